//! Conic Benchmark Format (CBF) reader, versions 1–3.
//!
//! # Format
//!
//! A CBF file states
//!
//! ```text
//! minimize / maximize  cᵀx + Σⱼ⟨F⁰ⱼ, Xⱼ⟩ + c₀
//! subject to           g = A x + Σⱼ⟨Fⱼ, Xⱼ⟩ + b ∈ K_con,
//!                      G = Σₖ xₖ Hₖ + D ⪰ 0            (PSDCON),
//!                      x ∈ K_var,   Xⱼ ⪰ 0             (PSDVAR)
//! ```
//!
//! through the keywords `VER` (must come first), `POWCONES` and `POW*CONES`
//! (power cone parameters), `OBJSENSE` (`MIN`/`MAX`), `PSDVAR` (matrix
//! variables), `VAR` (`n k`, then `k` cone lines `TYPE dim`), `INT` (integer
//! variables: parsed and checked, then ignored), `PSDCON` (matrix
//! constraints), `CON` (`m k`, then `k` cone lines), `OBJFCOORD`,
//! `OBJACOORD` (`j value`), `OBJBCOORD` (`c₀`), `FCOORD`, `ACOORD`
//! (`i j value`), `BCOORD` (`i value`), `HCOORD` and `DCOORD`. Coordinate
//! sections start with their entry count; duplicate entries are summed.
//! Indices are zero-based. `#` starts a comment; blank lines are ignored.
//! `POWSTARCONES` is accepted as an alias of `POW*CONES`.
//!
//! ## Cones
//!
//! `F` (free), `L+` (nonnegative), `L-` (nonpositive), `L=` (zero), `Q`
//! (second-order `g₀ ≥ ‖g₁…‖`), `QR` (rotated, `2g₀g₁ ≥ ‖g₂…‖²`,
//! `g₀, g₁ ≥ 0`), `EXP` (`g₀ ≥ g₁·exp(g₂/g₁)`, `g₁ > 0`, closed; dimension
//! 3), `EXP*` (its dual, `g₀ ≥ −g₂·e⁻¹·exp(g₁/g₂)`, `g₂ < 0`, closed;
//! dimension 3), `@k:POW` and `@k:POW*`. A power cone refers to entry `k`
//! of `POWCONES` (resp. `POW*CONES`), a vector `α ∈ ℝᵖ` with positive
//! entries, normalized to `β = α / Σα`; the cone of dimension `d > p` is
//! `{(u, w) ∈ ℝᵖ × ℝᵈ⁻ᵖ : Πᵢ uᵢ^βᵢ ≥ ‖w‖, u ≥ 0}` for `POW` and
//! `{(u, w) : Πᵢ (uᵢ/βᵢ)^βᵢ ≥ ‖w‖, u ≥ 0}` for `POW*`.
//!
//! ## Matrix variables and constraints
//!
//! `PSDVAR` (`K`, then `K` sides) declares symmetric matrices `Xⱼ ⪰ 0`.
//! `OBJFCOORD` (`j k l value`) and `FCOORD` (`i j k l value`, `i` a `CON`
//! row) give entries of the symmetric coefficient matrices `F` of the trace
//! products `⟨F, Xⱼ⟩ = Σₖₗ Fₖₗ (Xⱼ)ₖₗ`: an entry at `(k, l)`, `k ≠ l`, stands
//! for both `Fₖₗ` and `Fₗₖ` and so counts twice. `PSDCON` (`K`, then `K`
//! sides) declares the constraints `Σₖ xₖHₖ + D ⪰ 0`, with `HCOORD`
//! (`c k i l value`: entry `(i, l)` of `Hₖ` in constraint `c`) and `DCOORD`
//! (`c i l value`); again an entry at `(i, l)` sets both symmetric
//! positions. The format gives the lower triangle; `(k, l)` and `(l, k)` are
//! read as the same entry (and summed if both appear).
//!
//! # Standard form
//!
//! The variables are the scalar `x` as in the file, then `svec(Xⱼ)` of each
//! matrix variable in `PSDVAR` order (see [`crate::cones::svec`]: upper
//! triangle by columns, off-diagonal entries times `√2`), then auxiliary
//! variables introduced for general power cones (see below). A trace
//! product coefficient `v` at `(k, l)` becomes `v` on the diagonal entry of
//! `svec` and `2v/√2 = √2·v` on an off-diagonal one.
//!
//! Each affine expression `g = Ax + b ∈ K` (one per `CON` block, and `g = x`
//! for each `VAR` block) becomes `−T A x + s = T b`, `s ∈ K'`:
//!
//! | CBF cone | `s = T g`                                   | `K'`              |
//! |----------|---------------------------------------------|-------------------|
//! | `L=`     | `g`                                         | zero              |
//! | `L+`     | `g`                                         | nonnegative       |
//! | `L-`     | `−g`                                        | nonnegative       |
//! | `Q`      | `g`                                         | second-order      |
//! | `QR`     | `((g₀+g₁)/√2, (g₀−g₁)/√2, g₂, …)`            | second-order      |
//! | `EXP`    | `(g₂, g₁, g₀)`                              | exponential       |
//! | `EXP*`   | `(g₂ − g₁, −g₂, g₀)`                        | exponential       |
//! | `POW`    | `(g₀, g₁, g₂)`, `p = 2`, `d = 3`             | power `β₀`        |
//! | `POW*`   | `(g₀/β₀, g₁/β₁, g₂)`, `p = 2`, `d = 3`       | power `β₀`        |
//! | `F`      | rows dropped                                | —                 |
//!
//! `EXP` is our exponential cone `{(x, y, z) : y·exp(x/y) ≤ z}` with the
//! entries reversed. For `EXP*`, `(u, v, w) = (g₂, g₁, g₀)` lies in the dual
//! cone `{u < 0, −u·exp(v/u) ≤ e·w}` (closed) exactly when
//! `(u − v, −u, w)` lies in the exponential cone: with `y = −u > 0`,
//! `y·exp((u − v)/y) = −u·e⁻¹·exp(v/u)`; the boundary pieces `u = 0,
//! v, w ≥ 0` and `y = 0, x ≤ 0, z ≥ 0` correspond too, and the map is
//! invertible. `POW*` scales the first `p` entries by `1/βᵢ`, which turns
//! `Πᵢ (uᵢ/βᵢ)^βᵢ` into the primal form.
//!
//! Power cones beyond `p = 2`, `d = 3` are represented exactly with
//! auxiliary variables (after the scaling of `POW*`):
//!
//! * `p = 1` (`β = 1`): the second-order cone on `(u₀, w)`.
//! * `p ≥ 2`: a chain of `p − 1` three-dimensional power cones
//!   `(u₀, u₁, t₁) ∈ P(β₀/S₁)`, `(tᵢ₋₁, uᵢ, tᵢ) ∈ P(Sᵢ₋₁/Sᵢ)` with
//!   `Sᵢ = β₀ + … + βᵢ`, where `t₁, …, t_{p−2}` are new variables (each
//!   is bounded by a weighted geometric mean and then enters the next cone
//!   as a nonnegative base) and the last `t` is `w₀` if `d = p + 1`, else a
//!   new variable `r` with `(r, w) ∈` second-order cone.
//!
//! A power cone with no `w` part (`d = p`) is rejected.
//!
//! Matrix constraints give `s = svec(Σₖ xₖHₖ + D)`, i.e. `A` rows
//! `−svec(Hₖ)` and `b = svec(D)`, and matrix variables give `−svec(Xⱼ) + s
//! = 0`, each with `s` in the [`SupportedCone::PositiveSemidefinite`] cone.
//!
//! The output rows are one zero block (all `L=` pieces, constraint blocks
//! first, then variable blocks, each in file order), one nonnegative block
//! (`L+` and `L-` pieces, same order), then the cones of every `Q`, `QR`,
//! `EXP`, `EXP*`, `POW` and `POW*` block (constraint blocks first, then
//! variable blocks, in file order), then one semidefinite cone per `PSDCON`
//! entry and then one per `PSDVAR` entry. Empty blocks are omitted.
//!
//! `OBJSENSE MAX` negates `c` and `c₀`: the solver reports minus the maximum.
//!
//! Dimensions above [`CBF_MAX_DIM`] are rejected (to bound memory use on
//! malformed files).

use std::f64::consts::{FRAC_1_SQRT_2, SQRT_2};

use crate::cones::{svec, SupportedCone};
use crate::csc::CscMatrix;
use crate::error::{MatrixName, ReadError};
use crate::problem::ProblemData;

/// Largest number of variables or constraint rows accepted from a CBF file.
pub const CBF_MAX_DIM: usize = 50_000_000;

/// Initial capacity cap for coordinate lists (they grow beyond it as needed).
const PREALLOC_CAP: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Free,
    Zero,
    Nonneg,
    Nonpos,
    Soc,
    Rsoc,
    Exp,
    DualExp,
    /// Index into the `POWCONES` table.
    Pow(usize),
    /// Index into the `POW*CONES` table.
    DualPow(usize),
}

#[derive(Debug, Clone, Copy)]
struct Block {
    kind: Kind,
    dim: usize,
}

fn err(line: usize, message: impl Into<String>) -> ReadError {
    ReadError::Parse {
        format: "CBF",
        line,
        message: message.into(),
    }
}

/// Meaningful lines (comments stripped, blank lines skipped) with their
/// one-based numbers.
struct Lines<'a> {
    inner: std::iter::Enumerate<std::str::Lines<'a>>,
    last: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            inner: text.lines().enumerate(),
            last: 0,
        }
    }

    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        for (idx, raw) in self.inner.by_ref() {
            self.last = idx + 1;
            let content = match raw.find('#') {
                Some(k) => raw.get(..k).unwrap_or(""),
                None => raw,
            }
            .trim();
            if !content.is_empty() {
                return Some((idx + 1, content));
            }
        }
        None
    }

    /// The next line, or an error naming what was expected at end of file.
    fn expect(&mut self, what: &str) -> Result<(usize, &'a str), ReadError> {
        self.next_line().ok_or_else(|| {
            err(
                self.last.max(1),
                format!("unexpected end of file: expected {what}"),
            )
        })
    }
}

fn parse_index(tok: &str, line: usize, what: &str) -> Result<usize, ReadError> {
    tok.parse::<usize>().map_err(|_| {
        err(
            line,
            format!("invalid {what} '{tok}' (expected a nonnegative integer)"),
        )
    })
}

fn parse_value(tok: &str, line: usize) -> Result<f64, ReadError> {
    match tok.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(err(line, format!("value '{tok}' must be finite"))),
        Err(_) => Err(err(line, format!("invalid number '{tok}'"))),
    }
}

fn parse_dim(tok: &str, line: usize, what: &str) -> Result<usize, ReadError> {
    let d = parse_index(tok, line, what)?;
    if d > CBF_MAX_DIM {
        return Err(err(
            line,
            format!("{what} {d} exceeds the reader limit {CBF_MAX_DIM}"),
        ));
    }
    Ok(d)
}

/// Splits a line into exactly `N` whitespace-separated fields.
fn fields<'a, const N: usize>(
    line: &'a str,
    lineno: usize,
    what: &str,
) -> Result<[&'a str; N], ReadError> {
    let mut out = [""; N];
    let mut it = line.split_whitespace();
    for slot in out.iter_mut() {
        *slot = it
            .next()
            .ok_or_else(|| err(lineno, format!("expected {what}, found '{line}'")))?;
    }
    if it.next().is_some() {
        return Err(err(lineno, format!("expected {what}, found '{line}'")));
    }
    Ok(out)
}

/// The parameter vectors of `POWCONES` and `POW*CONES`.
#[derive(Debug, Default)]
struct PowTables {
    primal: Option<Vec<Vec<f64>>>,
    dual: Option<Vec<Vec<f64>>>,
}

impl PowTables {
    fn params(&self, kind: Kind) -> &[f64] {
        let (table, k) = match kind {
            Kind::Pow(k) => (&self.primal, k),
            Kind::DualPow(k) => (&self.dual, k),
            _ => return &[],
        };
        table
            .as_ref()
            .and_then(|t| t.get(k))
            .map_or(&[], |v| v.as_slice())
    }
}

/// Parses a cone name; power cone references are checked against `pow`.
fn parse_cone(name: &str, line: usize, pow: &PowTables) -> Result<Kind, ReadError> {
    let upper = name.to_ascii_uppercase();
    Ok(match upper.as_str() {
        "F" => Kind::Free,
        "L=" => Kind::Zero,
        "L+" => Kind::Nonneg,
        "L-" => Kind::Nonpos,
        "Q" => Kind::Soc,
        "QR" => Kind::Rsoc,
        "EXP" => Kind::Exp,
        "EXP*" => Kind::DualExp,
        "SVECPSD" => {
            return Err(err(
                line,
                "semidefinite cone (SVECPSD) is not supported (CBF version 4)",
            ))
        }
        _ if upper.starts_with('@') => {
            let (index, suffix) = upper[1..]
                .split_once(':')
                .ok_or_else(|| err(line, format!("invalid parametric cone '{name}'")))?;
            let dual = match suffix {
                "POW" => false,
                "POW*" => true,
                _ => {
                    return Err(err(
                        line,
                        format!(
                            "unknown parametric cone type '{name}' (expected @k:POW or @k:POW*)"
                        ),
                    ))
                }
            };
            let k = parse_index(index, line, "power cone index")?;
            let (table, section) = if dual {
                (&pow.dual, "POW*CONES")
            } else {
                (&pow.primal, "POWCONES")
            };
            let declared = table.as_ref().map_or(0, Vec::len);
            if k >= declared {
                return Err(err(
                    line,
                    format!(
                        "power cone {name} refers to {section} entry {k}, but {declared} are \
                         declared ({section} must come before VAR and CON)"
                    ),
                ));
            }
            if dual {
                Kind::DualPow(k)
            } else {
                Kind::Pow(k)
            }
        }
        _ => return Err(err(line, format!("unknown cone type '{name}'"))),
    })
}

/// Reads the `VAR`/`CON` header `total k` and its `k` cone lines.
fn read_cones(
    lines: &mut Lines<'_>,
    section: &str,
    pow: &PowTables,
) -> Result<(usize, Vec<Block>), ReadError> {
    let (hline, header) = lines.expect(&format!("'{section}' dimensions"))?;
    let [total, count] = fields::<2>(header, hline, &format!("'{section}' header 'size count'"))?;
    let total = parse_dim(total, hline, "dimension")?;
    let count = parse_index(count, hline, "cone count")?;
    if count > total {
        return Err(err(
            hline,
            format!("{section} declares {count} cones for only {total} entries"),
        ));
    }
    let mut blocks = Vec::with_capacity(count.min(PREALLOC_CAP));
    let mut sum = 0usize;
    for k in 0..count {
        let (line, text) = lines.expect(&format!("cone {} of {count} in {section}", k + 1))?;
        let [name, dim] = fields::<2>(
            text,
            line,
            &format!("cone line {} of {count} in {section} ('TYPE dim')", k + 1),
        )?;
        let kind = parse_cone(name, line, pow)?;
        let dim = parse_dim(dim, line, "cone dimension")?;
        if dim == 0 {
            return Err(err(line, "cone dimension must be at least 1"));
        }
        match kind {
            Kind::Rsoc if dim < 2 => {
                return Err(err(line, "rotated cone QR needs dimension at least 2"))
            }
            Kind::Exp | Kind::DualExp if dim != 3 => {
                return Err(err(
                    line,
                    format!("exponential cone {name} must have dimension 3, found {dim}"),
                ))
            }
            Kind::Pow(_) | Kind::DualPow(_) => {
                let p = pow.params(kind).len();
                if dim <= p {
                    return Err(err(
                        line,
                        format!(
                            "not supported: power cone {name} of dimension {dim} with {p} \
                             parameters has no normed part (dimension must exceed {p})"
                        ),
                    ));
                }
            }
            _ => {}
        }
        sum = sum.saturating_add(dim);
        blocks.push(Block { kind, dim });
    }
    if sum != total {
        return Err(err(
            hline,
            format!("{section} cone dimensions sum to {sum} but {total} declared"),
        ));
    }
    Ok((total, blocks))
}

/// Reads a coordinate section header (entry count).
fn read_count(lines: &mut Lines<'_>, section: &str) -> Result<usize, ReadError> {
    let (line, text) = lines.expect(&format!("{section} entry count"))?;
    let [count] = fields::<1>(text, line, &format!("{section} entry count"))?;
    parse_index(count, line, "entry count")
}

/// Reads a `POWCONES` / `POW*CONES` section: `K L`, then for each of the
/// `K` cones its parameter count and that many values (`L` in total).
fn read_pow_table(lines: &mut Lines<'_>, section: &str) -> Result<Vec<Vec<f64>>, ReadError> {
    let (hline, header) = lines.expect(&format!("'{section}' header"))?;
    let [count, total] = fields::<2>(
        header,
        hline,
        &format!("'{section}' header 'cones parameters'"),
    )?;
    let count = parse_dim(count, hline, "cone count")?;
    let total = parse_dim(total, hline, "parameter count")?;
    if count > total {
        return Err(err(
            hline,
            format!("{section} declares {count} cones but only {total} parameters"),
        ));
    }
    let mut table = Vec::with_capacity(count.min(PREALLOC_CAP));
    let mut sum = 0usize;
    for k in 0..count {
        let (l, t) = lines.expect(&format!("parameter count of {section} entry {k}"))?;
        let [p] = fields::<1>(t, l, &format!("parameter count of {section} entry {k}"))?;
        let p = parse_index(p, l, "parameter count")?;
        if p == 0 {
            return Err(err(l, "a power cone needs at least one parameter"));
        }
        sum = sum.saturating_add(p);
        if sum > total {
            return Err(err(
                l,
                format!("{section} entries have more than the {total} declared parameters"),
            ));
        }
        let mut alpha = Vec::with_capacity(p.min(PREALLOC_CAP));
        for _ in 0..p {
            let (l, t) = lines.expect(&format!("parameter of {section} entry {k}"))?;
            let [v] = fields::<1>(t, l, &format!("a parameter of {section} entry {k}"))?;
            let v = parse_value(v, l)?;
            if v <= 0.0 {
                return Err(err(l, format!("power cone parameter {v} must be positive")));
            }
            alpha.push(v);
        }
        table.push(alpha);
    }
    if sum != total {
        return Err(err(
            hline,
            format!("{section} parameter counts sum to {sum} but {total} declared"),
        ));
    }
    Ok(table)
}

/// Reads `PSDVAR` / `PSDCON`: a count, then one side length per line.
fn read_sides(lines: &mut Lines<'_>, section: &str) -> Result<Vec<usize>, ReadError> {
    let (hline, header) = lines.expect(&format!("'{section}' count"))?;
    let [count] = fields::<1>(header, hline, &format!("'{section}' count"))?;
    let count = parse_dim(count, hline, "matrix count")?;
    let mut sides = Vec::with_capacity(count.min(PREALLOC_CAP));
    let mut total = 0usize;
    for k in 0..count {
        let (l, t) = lines.expect(&format!("side of {section} entry {k}"))?;
        let [n] = fields::<1>(t, l, &format!("side of {section} entry {k}"))?;
        let n = parse_dim(n, l, "matrix side")?;
        if n == 0 {
            return Err(err(l, "matrix side must be at least 1"));
        }
        total = total.saturating_add(n.saturating_mul(n.saturating_add(1)) / 2);
        if total > CBF_MAX_DIM {
            return Err(err(
                l,
                format!("{section} matrices exceed the reader limit of {CBF_MAX_DIM} entries"),
            ));
        }
        sides.push(n);
    }
    Ok(sides)
}

/// Checks a matrix coordinate `(k, l)` against the side `n`; returns the
/// `svec` position and the factor from a symmetric entry to its `svec`
/// coefficient (`√2` off the diagonal).
fn matrix_entry(k: &str, l: &str, n: usize, line: usize) -> Result<(usize, f64), ReadError> {
    let k = parse_index(k, line, "matrix row")?;
    let l = parse_index(l, line, "matrix column")?;
    if k >= n || l >= n {
        return Err(err(
            line,
            format!("matrix entry ({k}, {l}) out of range (side {n})"),
        ));
    }
    Ok((svec::index(k, l), if k == l { 1.0 } else { SQRT_2 }))
}

/// A matrix index with its range check.
fn matrix_index(tok: &str, count: usize, line: usize, what: &str) -> Result<usize, ReadError> {
    let i = parse_index(tok, line, what)?;
    if i >= count {
        return Err(err(
            line,
            format!("{what} {i} out of range ({count} declared)"),
        ));
    }
    Ok(i)
}

/// A source row of `g`: at most two output rows with coefficients.
type RowMap = [Option<(usize, f64)>; 2];

/// Where an entry of a power-cone chain comes from.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Source row (offset in its block) with a scale.
    Src(usize, f64),
    /// A variable (auxiliary column).
    Col(usize),
}

/// Assembles the output rows: maps from the source rows of `g` (constraint
/// rows and scalar variables) and direct entries `s_row += v·x_col`.
struct Builder {
    con_map: Vec<RowMap>,
    var_map: Vec<RowMap>,
    /// `(row, col, v)`: `s_row` contains `v·x_col` (so `A` gets `−v`).
    direct: Vec<(usize, usize, f64)>,
    cones: Vec<SupportedCone>,
    rows: usize,
    cols: usize,
}

impl Builder {
    fn map(&mut self, is_con: bool, src: usize, out: usize, coef: f64) {
        let map = if is_con {
            &mut self.con_map
        } else {
            &mut self.var_map
        };
        if let Some(entry) = map.get_mut(src) {
            if let Some(slot) = entry.iter_mut().find(|s| s.is_none()) {
                *slot = Some((out, coef));
            }
        }
    }

    fn new_col(&mut self) -> usize {
        self.cols += 1;
        self.cols - 1
    }

    fn put(&mut self, is_con: bool, start: usize, slot: Slot, out: usize) {
        match slot {
            Slot::Src(k, scale) => self.map(is_con, start + k, out, scale),
            Slot::Col(col) => self.direct.push((out, col, 1.0)),
        }
    }

    /// Emits the cones of one non-orthant block whose source rows start at
    /// `start`.
    fn block(&mut self, is_con: bool, start: usize, block: Block, pow: &PowTables) {
        let o = self.rows;
        let h = FRAC_1_SQRT_2;
        match block.kind {
            Kind::Soc => {
                for k in 0..block.dim {
                    self.map(is_con, start + k, o + k, 1.0);
                }
                self.rows += block.dim;
                self.cones.push(SupportedCone::SecondOrder(block.dim));
            }
            Kind::Rsoc => {
                self.map(is_con, start, o, h);
                self.map(is_con, start, o + 1, h);
                self.map(is_con, start + 1, o, h);
                self.map(is_con, start + 1, o + 1, -h);
                for k in 2..block.dim {
                    self.map(is_con, start + k, o + k, 1.0);
                }
                self.rows += block.dim;
                self.cones.push(SupportedCone::SecondOrder(block.dim));
            }
            Kind::Exp => {
                // (x, y, z) = (g₂, g₁, g₀)
                self.map(is_con, start, o + 2, 1.0);
                self.map(is_con, start + 1, o + 1, 1.0);
                self.map(is_con, start + 2, o, 1.0);
                self.rows += 3;
                self.cones.push(SupportedCone::Exponential);
            }
            Kind::DualExp => {
                // (x, y, z) = (g₂ − g₁, −g₂, g₀)
                self.map(is_con, start, o + 2, 1.0);
                self.map(is_con, start + 1, o, -1.0);
                self.map(is_con, start + 2, o, 1.0);
                self.map(is_con, start + 2, o + 1, -1.0);
                self.rows += 3;
                self.cones.push(SupportedCone::Exponential);
            }
            Kind::Pow(_) | Kind::DualPow(_) => {
                let alpha = pow.params(block.kind);
                let total: f64 = alpha.iter().sum();
                let beta: Vec<f64> = alpha.iter().map(|a| a / total).collect();
                let dual = matches!(block.kind, Kind::DualPow(_));
                let scale = |i: usize| if dual { 1.0 / beta[i] } else { 1.0 };
                self.power(is_con, start, block.dim, &beta, &scale);
            }
            Kind::Free | Kind::Zero | Kind::Nonneg | Kind::Nonpos => {}
        }
    }

    /// `Πᵢ (scaleᵢ·uᵢ)^βᵢ ≥ ‖w‖` on the block's source rows `(u, w)`.
    fn power(
        &mut self,
        is_con: bool,
        start: usize,
        dim: usize,
        beta: &[f64],
        scale: &dyn Fn(usize) -> f64,
    ) {
        let p = beta.len();
        if p == 0 || dim <= p {
            return;
        }
        let tail = dim - p;
        if p == 1 {
            // u₀ ≥ ‖w‖
            let o = self.rows;
            self.put(is_con, start, Slot::Src(0, scale(0)), o);
            for k in 0..tail {
                self.put(is_con, start, Slot::Src(p + k, 1.0), o + 1 + k);
            }
            self.rows += dim;
            self.cones.push(SupportedCone::SecondOrder(dim));
            return;
        }
        let target = if tail == 1 {
            Slot::Src(p, 1.0)
        } else {
            Slot::Col(self.new_col())
        };
        let mut base = Slot::Src(0, scale(0));
        let mut weight = beta[0];
        for i in 1..p {
            let next = weight + beta[i];
            let z = if i + 1 == p {
                target
            } else {
                Slot::Col(self.new_col())
            };
            let o = self.rows;
            self.put(is_con, start, base, o);
            self.put(is_con, start, Slot::Src(i, scale(i)), o + 1);
            self.put(is_con, start, z, o + 2);
            self.rows += 3;
            self.cones.push(SupportedCone::Power(weight / next));
            base = z;
            weight = next;
        }
        if tail != 1 {
            let o = self.rows;
            self.put(is_con, start, target, o);
            for k in 0..tail {
                self.put(is_con, start, Slot::Src(p + k, 1.0), o + 1 + k);
            }
            self.rows += 1 + tail;
            self.cones.push(SupportedCone::SecondOrder(1 + tail));
        }
    }
}

/// Lays out the scalar cones (see the [module docs](self)); `cols` is the
/// number of variables before auxiliary ones.
fn layout(
    con: &[Block],
    m: usize,
    var: &[Block],
    n: usize,
    cols: usize,
    pow: &PowTables,
) -> Builder {
    let mut b = Builder {
        con_map: vec![[None, None]; m],
        var_map: vec![[None, None]; n],
        direct: Vec::new(),
        cones: Vec::new(),
        rows: 0,
        cols,
    };

    // (is constraint, start row of block in g, block) for all blocks in order.
    let mut pieces: Vec<(bool, usize, Block)> = Vec::with_capacity(con.len() + var.len());
    let mut start = 0;
    for blk in con {
        pieces.push((true, start, *blk));
        start += blk.dim;
    }
    start = 0;
    for blk in var {
        pieces.push((false, start, *blk));
        start += blk.dim;
    }

    for (pass, kinds) in [[Kind::Zero, Kind::Zero], [Kind::Nonneg, Kind::Nonpos]]
        .iter()
        .enumerate()
    {
        let first = b.rows;
        for &(is_con, start, blk) in &pieces {
            if !kinds.contains(&blk.kind) {
                continue;
            }
            let sign = if blk.kind == Kind::Nonpos { -1.0 } else { 1.0 };
            for k in 0..blk.dim {
                let o = b.rows + k;
                b.map(is_con, start + k, o, sign);
            }
            b.rows += blk.dim;
        }
        let d = b.rows - first;
        if d > 0 {
            b.cones.push(if pass == 0 {
                SupportedCone::Zero(d)
            } else {
                SupportedCone::Nonnegative(d)
            });
        }
    }
    for &(is_con, start, blk) in &pieces {
        b.block(is_con, start, blk, pow);
    }
    b
}

/// Parses CBF text into standard form; see the [module docs](self).
pub fn parse_cbf(text: &str) -> Result<ProblemData, ReadError> {
    let mut lines = Lines::new(text);
    let mut version: Option<u32> = None;
    let mut maximize = false;
    let mut pow = PowTables::default();
    let mut var: Option<(usize, Vec<Block>)> = None;
    let mut con: Option<(usize, Vec<Block>)> = None;
    // Sides of the matrix variables and constraints, and the offset of each
    // matrix variable's svec among the matrix columns.
    let mut psdvar: Option<Vec<usize>> = None;
    let mut psdvar_off: Vec<usize> = Vec::new();
    let mut psdcon: Option<Vec<usize>> = None;
    let mut seen: Vec<&str> = Vec::new();
    let mut obj: Vec<(usize, f64)> = Vec::new();
    // (matrix column, value) and (row, matrix column, value); matrix
    // columns are placed after the scalar variables at the end.
    let mut objf: Vec<(usize, f64)> = Vec::new();
    let mut fcoord: Vec<(usize, usize, f64)> = Vec::new();
    let mut c0 = 0.0;
    let (mut ai, mut aj, mut av) = (Vec::new(), Vec::new(), Vec::new());
    let mut bcoord: Vec<(usize, f64)> = Vec::new();
    // (matrix constraint, svec position, scalar variable, value) and
    // (matrix constraint, svec position, value), values already scaled.
    let mut hcoord: Vec<(usize, usize, usize, f64)> = Vec::new();
    let mut dcoord: Vec<(usize, usize, f64)> = Vec::new();

    while let Some((line, text)) = lines.next_line() {
        let [keyword] = fields::<1>(text, line, "a section keyword")?;
        let mut keyword = keyword.to_ascii_uppercase();
        if keyword == "POWSTARCONES" {
            keyword = "POW*CONES".to_string();
        }
        if version.is_none() && keyword != "VER" {
            return Err(err(
                line,
                format!("CBF file must start with VER, found '{text}'"),
            ));
        }
        const KNOWN: [&str; 17] = [
            "VER",
            "POWCONES",
            "POW*CONES",
            "OBJSENSE",
            "PSDVAR",
            "VAR",
            "INT",
            "PSDCON",
            "CON",
            "OBJFCOORD",
            "OBJACOORD",
            "OBJBCOORD",
            "FCOORD",
            "ACOORD",
            "BCOORD",
            "HCOORD",
            "DCOORD",
        ];
        if let Some(&k) = KNOWN.iter().find(|&&k| k == keyword) {
            if seen.contains(&k) {
                return Err(err(line, format!("duplicate {k} section")));
            }
            seen.push(k);
        }
        let n = var.as_ref().map(|v| v.0);
        let m = con.as_ref().map(|c| c.0);
        let need_var =
            |n: Option<usize>| n.ok_or_else(|| err(line, format!("{keyword} must come after VAR")));
        let need_con =
            |m: Option<usize>| m.ok_or_else(|| err(line, format!("{keyword} must come after CON")));
        let need_psdvar = |p: Option<&Vec<usize>>| {
            p.cloned()
                .ok_or_else(|| err(line, format!("{keyword} must come after PSDVAR")))
        };
        let need_psdcon = |p: Option<&Vec<usize>>| {
            p.cloned()
                .ok_or_else(|| err(line, format!("{keyword} must come after PSDCON")))
        };
        match keyword.as_str() {
            "VER" => {
                let (l, t) = lines.expect("version number")?;
                let [v] = fields::<1>(t, l, "version number")?;
                let v: u32 = v
                    .parse()
                    .map_err(|_| err(l, format!("invalid version '{v}'")))?;
                if !(1..=3).contains(&v) {
                    return Err(err(l, format!("CBF version {v} is not supported (1 to 3)")));
                }
                version = Some(v);
            }
            "POWCONES" => pow.primal = Some(read_pow_table(&mut lines, "POWCONES")?),
            "POW*CONES" => pow.dual = Some(read_pow_table(&mut lines, "POW*CONES")?),
            "OBJSENSE" => {
                let (l, t) = lines.expect("MIN or MAX")?;
                let [s] = fields::<1>(t, l, "MIN or MAX")?;
                maximize = match s.to_ascii_uppercase().as_str() {
                    "MIN" => false,
                    "MAX" => true,
                    _ => {
                        return Err(err(
                            l,
                            format!("unknown objective sense '{s}' (expected MIN or MAX)"),
                        ))
                    }
                };
            }
            "PSDVAR" => {
                let sides = read_sides(&mut lines, "PSDVAR")?;
                let mut off = 0;
                psdvar_off = sides
                    .iter()
                    .map(|&s| {
                        let o = off;
                        off += svec::triangle_dim(s);
                        o
                    })
                    .collect();
                psdvar = Some(sides);
            }
            "VAR" => {
                var = Some(read_cones(&mut lines, "VAR", &pow)?);
            }
            "PSDCON" => {
                psdcon = Some(read_sides(&mut lines, "PSDCON")?);
            }
            "CON" => {
                if !ai.is_empty() || !bcoord.is_empty() {
                    return Err(err(line, "CON must come before ACOORD and BCOORD"));
                }
                con = Some(read_cones(&mut lines, "CON", &pow)?);
            }
            "INT" => {
                let n = need_var(n)?;
                let count = read_count(&mut lines, "INT")?;
                for _ in 0..count {
                    let (l, t) = lines.expect("integer variable index")?;
                    let [j] = fields::<1>(t, l, "a variable index")?;
                    let j = parse_index(j, l, "variable index")?;
                    if j >= n {
                        return Err(err(
                            l,
                            format!("INT variable index {j} out of range (n = {n})"),
                        ));
                    }
                }
            }
            "OBJFCOORD" => {
                let sides = need_psdvar(psdvar.as_ref())?;
                let count = read_count(&mut lines, "OBJFCOORD")?;
                objf.reserve(count.min(PREALLOC_CAP));
                for _ in 0..count {
                    let what = "OBJFCOORD entry 'j k l value'";
                    let (l, t) = lines.expect(what)?;
                    let [j, r, c, v] = fields::<4>(t, l, what)?;
                    let j = matrix_index(j, sides.len(), l, "PSDVAR index")?;
                    let (pos, scale) = matrix_entry(r, c, sides[j], l)?;
                    objf.push((psdvar_off[j] + pos, scale * parse_value(v, l)?));
                }
            }
            "OBJACOORD" => {
                let n = need_var(n)?;
                let count = read_count(&mut lines, "OBJACOORD")?;
                obj.reserve(count.min(PREALLOC_CAP));
                for _ in 0..count {
                    let (l, t) = lines.expect("OBJACOORD entry 'j value'")?;
                    let [j, v] = fields::<2>(t, l, "OBJACOORD entry 'j value'")?;
                    let j = parse_index(j, l, "variable index")?;
                    if j >= n {
                        return Err(err(
                            l,
                            format!("OBJACOORD index {j} out of range (n = {n})"),
                        ));
                    }
                    obj.push((j, parse_value(v, l)?));
                }
            }
            "OBJBCOORD" => {
                let (l, t) = lines.expect("objective constant")?;
                let [v] = fields::<1>(t, l, "objective constant")?;
                c0 = parse_value(v, l)?;
            }
            "FCOORD" => {
                let m = need_con(m)?;
                let sides = need_psdvar(psdvar.as_ref())?;
                let count = read_count(&mut lines, "FCOORD")?;
                fcoord.reserve(count.min(PREALLOC_CAP));
                for _ in 0..count {
                    let what = "FCOORD entry 'i j k l value'";
                    let (l, t) = lines.expect(what)?;
                    let [i, j, r, c, v] = fields::<5>(t, l, what)?;
                    let i = parse_index(i, l, "row index")?;
                    if i >= m {
                        return Err(err(
                            l,
                            format!("FCOORD row index {i} out of range (m = {m})"),
                        ));
                    }
                    let j = matrix_index(j, sides.len(), l, "PSDVAR index")?;
                    let (pos, scale) = matrix_entry(r, c, sides[j], l)?;
                    fcoord.push((i, psdvar_off[j] + pos, scale * parse_value(v, l)?));
                }
            }
            "ACOORD" => {
                let n = need_var(n)?;
                let m = need_con(m)?;
                let count = read_count(&mut lines, "ACOORD")?;
                let cap = count.min(PREALLOC_CAP);
                ai.reserve(cap);
                aj.reserve(cap);
                av.reserve(cap);
                for _ in 0..count {
                    let (l, t) = lines.expect("ACOORD entry 'i j value'")?;
                    let [i, j, v] = fields::<3>(t, l, "ACOORD entry 'i j value'")?;
                    let i = parse_index(i, l, "row index")?;
                    let j = parse_index(j, l, "column index")?;
                    if i >= m {
                        return Err(err(
                            l,
                            format!("ACOORD row index {i} out of range (m = {m})"),
                        ));
                    }
                    if j >= n {
                        return Err(err(
                            l,
                            format!("ACOORD column index {j} out of range (n = {n})"),
                        ));
                    }
                    ai.push(i);
                    aj.push(j);
                    av.push(parse_value(v, l)?);
                }
            }
            "BCOORD" => {
                let m = need_con(m)?;
                let count = read_count(&mut lines, "BCOORD")?;
                bcoord.reserve(count.min(PREALLOC_CAP));
                for _ in 0..count {
                    let (l, t) = lines.expect("BCOORD entry 'i value'")?;
                    let [i, v] = fields::<2>(t, l, "BCOORD entry 'i value'")?;
                    let i = parse_index(i, l, "row index")?;
                    if i >= m {
                        return Err(err(
                            l,
                            format!("BCOORD row index {i} out of range (m = {m})"),
                        ));
                    }
                    bcoord.push((i, parse_value(v, l)?));
                }
            }
            "HCOORD" => {
                let sides = need_psdcon(psdcon.as_ref())?;
                let n = need_var(n)?;
                let count = read_count(&mut lines, "HCOORD")?;
                hcoord.reserve(count.min(PREALLOC_CAP));
                for _ in 0..count {
                    let what = "HCOORD entry 'i j k l value'";
                    let (l, t) = lines.expect(what)?;
                    let [i, j, r, c, v] = fields::<5>(t, l, what)?;
                    let i = matrix_index(i, sides.len(), l, "PSDCON index")?;
                    let j = parse_index(j, l, "variable index")?;
                    if j >= n {
                        return Err(err(
                            l,
                            format!("HCOORD variable index {j} out of range (n = {n})"),
                        ));
                    }
                    let (pos, scale) = matrix_entry(r, c, sides[i], l)?;
                    hcoord.push((i, pos, j, scale * parse_value(v, l)?));
                }
            }
            "DCOORD" => {
                let sides = need_psdcon(psdcon.as_ref())?;
                let count = read_count(&mut lines, "DCOORD")?;
                dcoord.reserve(count.min(PREALLOC_CAP));
                for _ in 0..count {
                    let what = "DCOORD entry 'i k l value'";
                    let (l, t) = lines.expect(what)?;
                    let [i, r, c, v] = fields::<4>(t, l, what)?;
                    let i = matrix_index(i, sides.len(), l, "PSDCON index")?;
                    let (pos, scale) = matrix_entry(r, c, sides[i], l)?;
                    dcoord.push((i, pos, scale * parse_value(v, l)?));
                }
            }
            "CHANGE" => return Err(err(line, "CHANGE sections are not supported")),
            _ => return Err(err(line, format!("unknown keyword '{text}'"))),
        }
    }

    let last = lines.last.max(1);
    if version.is_none() {
        return Err(err(last, "empty file: missing VER"));
    }
    let psdvar = psdvar.unwrap_or_default();
    let psdcon = psdcon.unwrap_or_default();
    let (n, var_blocks) = match var {
        Some(v) => v,
        None if !psdvar.is_empty() => (0, Vec::new()),
        None => return Err(err(last, "missing VAR section")),
    };
    let (m, con_blocks) = con.unwrap_or((0, Vec::new()));
    let n_psd: usize = psdvar.iter().map(|&s| svec::triangle_dim(s)).sum();

    let mut out = layout(&con_blocks, m, &var_blocks, n, n + n_psd, &pow);
    // Matrix constraints: s = svec(Σ xⱼHⱼ + D).
    let mut psdcon_start = Vec::with_capacity(psdcon.len());
    for &side in &psdcon {
        psdcon_start.push(out.rows);
        out.rows += svec::triangle_dim(side);
        out.cones.push(SupportedCone::PositiveSemidefinite(side));
    }
    for &(c, pos, j, v) in &hcoord {
        out.direct.push((psdcon_start[c] + pos, j, v));
    }
    // Matrix variables: s = svec(Xⱼ).
    for (&side, &off) in psdvar.iter().zip(&psdvar_off) {
        for q in 0..svec::triangle_dim(side) {
            out.direct.push((out.rows + q, n + off + q, 1.0));
        }
        out.rows += svec::triangle_dim(side);
        out.cones.push(SupportedCone::PositiveSemidefinite(side));
    }
    let (rows, cols) = (out.rows, out.cols);

    let mut b = vec![0.0; rows];
    for (i, v) in bcoord {
        for (o, coef) in out.con_map.get(i).into_iter().flatten().flatten() {
            if let Some(x) = b.get_mut(*o) {
                *x += coef * v;
            }
        }
    }
    for &(c, pos, v) in &dcoord {
        if let Some(x) = b.get_mut(psdcon_start[c] + pos) {
            *x += v;
        }
    }
    for (i, col, v) in fcoord {
        ai.push(i);
        aj.push(n + col);
        av.push(v);
    }
    let cap = 2 * av.len() + 2 * n + out.direct.len();
    let (mut rr, mut cc, mut vv) = (
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
    );
    for ((&i, &j), &v) in ai.iter().zip(&aj).zip(&av) {
        for (o, coef) in out.con_map.get(i).into_iter().flatten().flatten() {
            rr.push(*o);
            cc.push(j);
            vv.push(-coef * v);
        }
    }
    for (j, map) in out.var_map.iter().enumerate() {
        for (o, coef) in map.iter().flatten() {
            rr.push(*o);
            cc.push(j);
            vv.push(-coef);
        }
    }
    for &(o, j, v) in &out.direct {
        rr.push(o);
        cc.push(j);
        vv.push(-v);
    }
    let a = CscMatrix::from_triplets_named(rows, cols, &rr, &cc, &vv, MatrixName::A)?;

    let sign = if maximize { -1.0 } else { 1.0 };
    let mut c = vec![0.0; cols];
    for (j, v) in obj {
        if let Some(x) = c.get_mut(j) {
            *x += sign * v;
        }
    }
    for (col, v) in objf {
        if let Some(x) = c.get_mut(n + col) {
            *x += sign * v;
        }
    }
    let mut prob = ProblemData::new(None, c, a, b, out.cones)?;
    prob.obj_constant = sign * c0;
    prob.validate()?;
    Ok(prob)
}
