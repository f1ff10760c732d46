//! Products `y ← y + M v` with a dense column-major matrix `M` (leading
//! dimension `ld`), for one vector or for `L` interleaved vectors (lanes),
//! every entry of `y` computed as one chain of fused multiply-adds over the
//! columns of `M` in order:
//!
//! ```text
//! yᵢ ← fma(M_ic, v_c, yᵢ),   c = 0, 1, …, cols − 1.
//! ```
//!
//! Both forms evaluate exactly this chain, so lane `l` of the multi-vector
//! product is bit for bit the single product of vector `l`, whichever
//! vectors share the panel (what keeps lockstep batches independent of
//! their grouping, [`crate::batch`]).
//!
//! **Blocking.** The single form keeps [`SINGLE_ROWS`] entries of `y` in
//! registers and streams the columns of `M` past them: per column one
//! contiguous load of `M` per vector of `y` and one broadcast of `v_c`. The
//! lane form keeps [`LANE_ROWS`] entries × `L` lanes of `y` in registers
//! and broadcasts `M`'s entries: per column, `LANE_ROWS·L` multiply-adds
//! for one load of `v_c`'s lanes and [`LANE_ROWS`] broadcasts. With `L = 8`
//! and 256-bit vectors that is 12 accumulators, 3 loads per 2 fused
//! multiply-adds. Without fused multiply-add, in the two separately
//! rounded operations of the earlier kernels, the lane products ran at
//! about a third of the vector units' peak (load- and adder-bound).
//!
//! The kernels are `#[inline(always)]`: callers run them under `pulp`
//! runtime dispatch, where `f64::mul_add` is one instruction (it is a
//! library call, with the same result, on a CPU without fused
//! multiply-add).

/// Entries of `y` per block of [`gemv`].
pub const SINGLE_ROWS: usize = 32;

/// Entries of `y` per block of [`gemv_lanes`].
pub const LANE_ROWS: usize = 6;

/// `yᵢ ← chain over c < cols of fma(M_ic, v(c), yᵢ)` for `i < rows`, entry
/// `i` of the product stored at `y[at(i)]`; column `c` of `M` is
/// `m[c·ld..c·ld + rows]`.
#[inline(always)]
pub fn gemv(
    m: &[f64],
    ld: usize,
    rows: usize,
    cols: usize,
    v: impl Fn(usize) -> f64,
    y: &mut [f64],
    at: impl Fn(usize) -> usize,
) {
    assert!(cols == 0 || (rows <= ld && (cols - 1) * ld + rows <= m.len()));
    let mut i0 = 0;
    while i0 + SINGLE_ROWS <= rows {
        let mut acc = [0.0f64; SINGLE_ROWS];
        for (q, a) in acc.iter_mut().enumerate() {
            *a = y[at(i0 + q)];
        }
        for c in 0..cols {
            let vc = v(c);
            let col = &m[c * ld + i0..c * ld + i0 + SINGLE_ROWS];
            for q in 0..SINGLE_ROWS {
                acc[q] = col[q].mul_add(vc, acc[q]);
            }
        }
        for (q, &a) in acc.iter().enumerate() {
            y[at(i0 + q)] = a;
        }
        i0 += SINGLE_ROWS;
    }
    let tail = rows - i0;
    if tail > 0 {
        let mut acc = [0.0f64; SINGLE_ROWS];
        for (q, a) in acc[..tail].iter_mut().enumerate() {
            *a = y[at(i0 + q)];
        }
        for c in 0..cols {
            let vc = v(c);
            let col = &m[c * ld + i0..c * ld + rows];
            for (a, &mq) in acc[..tail].iter_mut().zip(col) {
                *a = mq.mul_add(vc, *a);
            }
        }
        for (q, &a) in acc[..tail].iter().enumerate() {
            y[at(i0 + q)] = a;
        }
    }
}

/// [`gemv`] for `L` vectors at once: `y[i][l] ← chain over c of
/// fma(M_ic, v[c][l], ·)` for `i < y.len()`, `c < v.len()`, from the values
/// in `y`.
#[inline(always)]
pub fn gemv_lanes<const L: usize>(m: &[f64], ld: usize, v: &[[f64; L]], y: &mut [[f64; L]]) {
    let (rows, cols) = (y.len(), v.len());
    assert!(cols == 0 || (rows <= ld && (cols - 1) * ld + rows <= m.len()));
    let mut i0 = 0;
    while i0 + LANE_ROWS <= rows {
        let yb: &mut [[f64; L]; LANE_ROWS] = (&mut y[i0..i0 + LANE_ROWS]).try_into().unwrap();
        let mut acc = *yb;
        for (c, vc) in v.iter().enumerate() {
            let col = &m[c * ld + i0..c * ld + i0 + LANE_ROWS];
            for q in 0..LANE_ROWS {
                for l in 0..L {
                    acc[q][l] = col[q].mul_add(vc[l], acc[q][l]);
                }
            }
        }
        *yb = acc;
        i0 += LANE_ROWS;
    }
    for i in i0..rows {
        let mut acc = y[i];
        for (c, vc) in v.iter().enumerate() {
            let mi = m[c * ld + i];
            for l in 0..L {
                acc[l] = mi.mul_add(vc[l], acc[l]);
            }
        }
        y[i] = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    /// The chain of the module docs, one entry at a time.
    fn reference(m: &[f64], ld: usize, v: &[f64], y: &[f64]) -> Vec<f64> {
        y.iter()
            .enumerate()
            .map(|(i, &yi)| {
                v.iter()
                    .enumerate()
                    .fold(yi, |acc, (c, &vc)| m[c * ld + i].mul_add(vc, acc))
            })
            .collect()
    }

    #[test]
    fn single_and_lane_products_are_the_chain_bit_for_bit() {
        for (rows, cols) in [(0, 3), (5, 0), (1, 1), (31, 7), (32, 5), (77, 40), (325, 9)] {
            let ld = rows + 3;
            let m = data(ld * cols.max(1), 1);
            let vs: Vec<Vec<f64>> = (0..8).map(|l| data(cols, 10 + l)).collect();
            let ys: Vec<Vec<f64>> = (0..8).map(|l| data(rows, 20 + l)).collect();
            let mut lanes_v = vec![[0.0; 8]; cols];
            let mut lanes_y = vec![[0.0; 8]; rows];
            for l in 0..8 {
                for c in 0..cols {
                    lanes_v[c][l] = vs[l][c];
                }
                for i in 0..rows {
                    lanes_y[i][l] = ys[l][i];
                }
            }
            gemv_lanes(&m, ld, &lanes_v, &mut lanes_y);
            for l in 0..8 {
                let want = reference(&m, ld, &vs[l], &ys[l]);
                // Stored reversed, through the index map.
                let mut got: Vec<f64> = ys[l].iter().rev().copied().collect();
                gemv(&m, ld, rows, cols, |c| vs[l][c], &mut got, |i| rows - 1 - i);
                got.reverse();
                for i in 0..rows {
                    assert_eq!(
                        got[i].to_bits(),
                        want[i].to_bits(),
                        "single {rows}×{cols} ({i})"
                    );
                    assert_eq!(lanes_y[i][l].to_bits(), want[i].to_bits(), "lane {l} ({i})");
                }
            }
        }
    }
}
