//! Conic Benchmark Format (CBF) reader, versions 1–3.
//!
//! # Format
//!
//! A CBF file states
//!
//! ```text
//! minimize / maximize  cᵀx + c₀
//! subject to           A x + b ∈ K_con,   x ∈ K_var
//! ```
//!
//! through the keywords `VER` (must come first), `OBJSENSE` (`MIN`/`MAX`),
//! `VAR` (`n k`, then `k` cone lines `TYPE dim`), `CON` (`m k`, then `k` cone
//! lines), `INT` (integer variables: parsed and checked, then ignored),
//! `OBJACOORD` (`j value`), `OBJBCOORD` (`c₀`), `ACOORD` (`i j value`) and
//! `BCOORD` (`i value`). Coordinate sections start with their entry count;
//! duplicate entries are summed. Indices are zero-based. `#` starts a
//! comment; blank lines are ignored.
//!
//! Supported cones: `F` (free), `L+` (nonnegative), `L-` (nonpositive), `L=`
//! (zero), `Q` (second-order `x₁ ≥ ‖x₂…‖`) and `QR` (rotated, `2x₁x₂ ≥ ‖x₃…‖²`,
//! `x₁, x₂ ≥ 0`). The exponential (`EXP`, `EXP*`) and power (`@k:POW`,
//! `@k:POW*`, `POWCONES`, `POWSTARCONES`) cones and the semidefinite
//! sections (`PSDVAR`, `PSDCON`, `OBJFCOORD`, `FCOORD`, `HCOORD`, `DCOORD`)
//! give a [`ReadError::Parse`] saying they are not supported yet.
//!
//! # Standard form
//!
//! Each affine expression `g = Ax + b ∈ K` (one per `CON` block, and `g = x`
//! for each `VAR` block) becomes `−T A x + s = T b`, `s ∈ K'`:
//!
//! | CBF cone | `T`                                   | `K'`          |
//! |----------|---------------------------------------|---------------|
//! | `L=`     | `I`                                   | zero          |
//! | `L+`     | `I`                                   | nonnegative   |
//! | `L-`     | `−I`                                  | nonnegative   |
//! | `Q`      | `I`                                   | second-order  |
//! | `QR`     | `((g₁+g₂)/√2, (g₁−g₂)/√2, g₃, …)`      | second-order  |
//! | `F`      | rows dropped                          | —             |
//!
//! The output rows are one zero block (all `L=` pieces, constraint blocks
//! first, then variable blocks, each in file order), one nonnegative block
//! (`L+` and `L-` pieces, same order) and then one second-order cone per `Q`
//! or `QR` block (constraint blocks first, then variable blocks, in file
//! order). Empty blocks are omitted. The variables are kept as in the file.
//!
//! `OBJSENSE MAX` negates `c` and `c₀`: the solver reports minus the maximum.
//!
//! Dimensions above [`CBF_MAX_DIM`] are rejected (to bound memory use on
//! malformed files).

use crate::cones::SupportedCone;
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

fn parse_cone(name: &str, line: usize) -> Result<Kind, ReadError> {
    let upper = name.to_ascii_uppercase();
    Ok(match upper.as_str() {
        "F" => Kind::Free,
        "L=" => Kind::Zero,
        "L+" => Kind::Nonneg,
        "L-" => Kind::Nonpos,
        "Q" => Kind::Soc,
        "QR" => Kind::Rsoc,
        "EXP" => return Err(err(line, "exponential cone (EXP) is not yet supported")),
        "EXP*" => {
            return Err(err(
                line,
                "dual exponential cone (EXP*) is not yet supported",
            ))
        }
        "SVECPSD" => {
            return Err(err(
                line,
                "semidefinite cone (SVECPSD) is not yet supported",
            ))
        }
        _ if upper.starts_with('@') && upper.ends_with("POW*") => {
            return Err(err(line, "dual power cone (POW*) is not yet supported"))
        }
        _ if upper.starts_with('@') && upper.ends_with("POW") => {
            return Err(err(line, "power cone (POW) is not yet supported"))
        }
        _ => return Err(err(line, format!("unknown cone type '{name}'"))),
    })
}

/// Reads the `VAR`/`CON` header `total k` and its `k` cone lines.
fn read_cones(lines: &mut Lines<'_>, section: &str) -> Result<(usize, Vec<Block>), ReadError> {
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
        let kind = parse_cone(name, line)?;
        let dim = parse_dim(dim, line, "cone dimension")?;
        if dim == 0 {
            return Err(err(line, "cone dimension must be at least 1"));
        }
        if kind == Kind::Rsoc && dim < 2 {
            return Err(err(line, "rotated cone QR needs dimension at least 2"));
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

/// A row of `g`: at most two output rows with coefficients.
type RowMap = [Option<(usize, f64)>; 2];

/// Assigns output rows to the blocks and returns the maps for each affine
/// row of the constraint and variable blocks, plus the cones.
fn layout(
    con: &[Block],
    m: usize,
    var: &[Block],
    n: usize,
) -> (Vec<RowMap>, Vec<RowMap>, Vec<SupportedCone>, usize) {
    let mut con_map: Vec<RowMap> = vec![[None, None]; m];
    let mut var_map: Vec<RowMap> = vec![[None, None]; n];
    let mut cones = Vec::new();
    let mut next = 0usize;
    let h = std::f64::consts::FRAC_1_SQRT_2;

    // (map, start row of block in g, block) for all blocks in order.
    let mut pieces: Vec<(bool, usize, Block)> = Vec::new();
    let mut start = 0;
    for b in con {
        pieces.push((true, start, *b));
        start += b.dim;
    }
    start = 0;
    for b in var {
        pieces.push((false, start, *b));
        start += b.dim;
    }

    for pass in 0..3 {
        let mut dim_total = 0;
        for &(is_con, start, block) in &pieces {
            let wanted = match block.kind {
                Kind::Zero => pass == 0,
                Kind::Nonneg | Kind::Nonpos => pass == 1,
                Kind::Soc | Kind::Rsoc => pass == 2,
                Kind::Free => false,
            };
            if !wanted {
                continue;
            }
            let map = if is_con { &mut con_map } else { &mut var_map };
            for k in 0..block.dim {
                let o = next + k;
                let entry: RowMap = match (block.kind, k) {
                    (Kind::Nonpos, _) => [Some((o, -1.0)), None],
                    (Kind::Rsoc, 0) => [Some((next, h)), Some((next + 1, h))],
                    (Kind::Rsoc, 1) => [Some((next, h)), Some((next + 1, -h))],
                    _ => [Some((o, 1.0)), None],
                };
                if let Some(slot) = map.get_mut(start + k) {
                    *slot = entry;
                }
            }
            next += block.dim;
            if pass == 2 {
                cones.push(SupportedCone::SecondOrder(block.dim));
            } else {
                dim_total += block.dim;
            }
        }
        if pass == 0 && dim_total > 0 {
            cones.push(SupportedCone::Zero(dim_total));
        }
        if pass == 1 && dim_total > 0 {
            cones.push(SupportedCone::Nonnegative(dim_total));
        }
    }
    (con_map, var_map, cones, next)
}

/// Parses CBF text into standard form; see the [module docs](self).
pub fn parse_cbf(text: &str) -> Result<ProblemData, ReadError> {
    let mut lines = Lines::new(text);
    let mut version: Option<u32> = None;
    let mut maximize = false;
    let mut var: Option<(usize, Vec<Block>)> = None;
    let mut con: Option<(usize, Vec<Block>)> = None;
    let mut seen: Vec<&str> = Vec::new();
    let mut obj: Vec<(usize, f64)> = Vec::new();
    let mut c0 = 0.0;
    let (mut ai, mut aj, mut av) = (Vec::new(), Vec::new(), Vec::new());
    let mut bcoord: Vec<(usize, f64)> = Vec::new();

    while let Some((line, text)) = lines.next_line() {
        let [keyword] = fields::<1>(text, line, "a section keyword")?;
        let keyword = keyword.to_ascii_uppercase();
        if version.is_none() && keyword != "VER" {
            return Err(err(
                line,
                format!("CBF file must start with VER, found '{text}'"),
            ));
        }
        const KNOWN: [&str; 9] = [
            "VER",
            "OBJSENSE",
            "VAR",
            "CON",
            "INT",
            "OBJACOORD",
            "OBJBCOORD",
            "ACOORD",
            "BCOORD",
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
            "VAR" => {
                var = Some(read_cones(&mut lines, "VAR")?);
            }
            "CON" => {
                if !ai.is_empty() || !bcoord.is_empty() {
                    return Err(err(line, "CON must come before ACOORD and BCOORD"));
                }
                con = Some(read_cones(&mut lines, "CON")?);
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
            "POWCONES" | "POWSTARCONES" => {
                return Err(err(
                    line,
                    format!("power cones ({keyword}) are not yet supported"),
                ))
            }
            "PSDVAR" | "PSDCON" | "OBJFCOORD" | "FCOORD" | "HCOORD" | "DCOORD" => {
                return Err(err(
                    line,
                    format!("semidefinite cones ({keyword}) are not yet supported"),
                ))
            }
            "CHANGE" => return Err(err(line, "CHANGE sections are not supported")),
            _ => return Err(err(line, format!("unknown keyword '{text}'"))),
        }
    }

    let last = lines.last.max(1);
    if version.is_none() {
        return Err(err(last, "empty file: missing VER"));
    }
    let (n, var_blocks) = var.ok_or_else(|| err(last, "missing VAR section"))?;
    let (m, con_blocks) = con.unwrap_or((0, Vec::new()));

    let (con_map, var_map, cones, rows) = layout(&con_blocks, m, &var_blocks, n);
    let mut b = vec![0.0; rows];
    for (i, v) in bcoord {
        for (o, coef) in con_map.get(i).into_iter().flatten().flatten() {
            if let Some(x) = b.get_mut(*o) {
                *x += coef * v;
            }
        }
    }
    let extra = var_map.len().min(2 * n);
    let (mut rr, mut cc, mut vv) = (
        Vec::with_capacity(av.len() + extra),
        Vec::with_capacity(av.len() + extra),
        Vec::with_capacity(av.len() + extra),
    );
    for ((&i, &j), &v) in ai.iter().zip(&aj).zip(&av) {
        for (o, coef) in con_map.get(i).into_iter().flatten().flatten() {
            rr.push(*o);
            cc.push(j);
            vv.push(-coef * v);
        }
    }
    for (j, map) in var_map.iter().enumerate() {
        for (o, coef) in map.iter().flatten() {
            rr.push(*o);
            cc.push(j);
            vv.push(-coef);
        }
    }
    let a = CscMatrix::from_triplets_named(rows, n, &rr, &cc, &vv, MatrixName::A)?;

    let sign = if maximize { -1.0 } else { 1.0 };
    let mut c = vec![0.0; n];
    for (j, v) in obj {
        if let Some(x) = c.get_mut(j) {
            *x += sign * v;
        }
    }
    let mut prob = ProblemData::new(None, c, a, b, cones)?;
    prob.obj_constant = sign * c0;
    prob.validate()?;
    Ok(prob)
}
