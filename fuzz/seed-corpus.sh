#!/usr/bin/env bash
# Builds the fuzz corpora in fuzz/corpus/<target>/ (git-ignored) from the
# committed handwritten seeds in fuzz/seeds/ plus the small files (≤ 16 KB
# after decompression) of the benchmark data in $LPGD_SHARED_DIR/data
# (default ../shared next to the checkout). Benchmark data are never
# committed; they are copied here at run time only.
set -euo pipefail
cd "$(dirname "$0")"
shared="${LPGD_SHARED_DIR:-$(cd ../.. && pwd)/shared}"
for t in mps cbf json solver diff; do mkdir -p "corpus/$t"; done
cp seeds/mps/* corpus/mps/
cp seeds/cbf/* corpus/cbf/
cp seeds/json/* corpus/json/
if [ -d "$shared/data/maros_meszaros" ]; then
  find "$shared/data/maros_meszaros" -maxdepth 1 \( -iname '*.qps' -o -iname '*.mps' \) -size -16k |
    while read -r f; do cp "$f" "corpus/mps/$(basename "$f")"; done
fi
if [ -d "$shared/data/cblib" ]; then
  find "$shared/data/cblib" -name '*.cbf.gz' -size -8k | while read -r f; do
    out="corpus/cbf/$(basename "$f" .gz)"
    gunzip -c "$f" > "$out"
    [ "$(wc -c < "$out")" -le 16384 ] || rm -f "$out"
  done
fi
echo "corpora: $(for t in mps cbf json solver diff; do printf '%s=%s ' $t "$(ls corpus/$t | wc -l)"; done)"
