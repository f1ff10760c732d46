//! MPS and QPS reader (fixed and free format).
//!
//! # Sections
//!
//! `NAME`, `OBJSENSE` (`MIN`/`MAX`, on the header line or the next line),
//! `OBJNAME`, `ROWS` (`N`, `E`, `L`, `G`), `COLUMNS` (with `MARKER` lines
//! `'INTORG'`/`'INTEND'`: integrality is recorded in [`MpsModel::integer`]
//! but otherwise ignored, the variables are kept as continuous), `RHS`,
//! `RANGES`, `BOUNDS`, `QUADOBJ`, `QMATRIX` and `ENDATA`. Lines starting
//! with `*` and blank lines are comments. A line whose first character is not
//! whitespace is a section header; data lines start with whitespace.
//!
//! **Free vs fixed format.** Each data line is first split at whitespace
//! (free MPS). If that gives the wrong number of fields for the section, or
//! names/numbers that do not resolve, the line is re-read by the fixed MPS
//! columns 2–3, 5–12, 15–22, 25–36, 40–47, 50–61, which allows names with
//! embedded spaces. If both fail, the free-format error is reported.
//!
//! # Conventions
//!
//! * The objective is `½xᵀQx + cᵀx + c₀`. The first `N` row (or the row named
//!   in `OBJNAME`) is the objective; other `N` rows are ignored. An `RHS`
//!   entry on the objective row gives `c₀ = −value` (the usual convention).
//! * `QUADOBJ` lists each entry of the symmetric `Q` once (either triangle):
//!   an off-diagonal entry `(i, j, v)` stands for both `Q_ij` and `Q_ji`.
//!   `QMATRIX` lists the full matrix (both triangles); it is symmetrized, so
//!   each off-diagonal entry contributes half its value to the upper
//!   triangle.
//! * `OBJSENSE MAX` negates `Q`, `c` and `c₀` in [`MpsModel::to_problem`],
//!   so the solver reports the minimum of the negated objective, i.e. minus
//!   the maximum.
//! * Only the first `RHS`, `RANGES` and `BOUNDS` set (by set name) is used;
//!   lines of other sets are ignored. Lines without a set name (2 or 4
//!   fields in `RHS`/`RANGES`) are accepted.
//! * `RANGES` with value `R`: `E` rows become `[rhs, rhs+|R|]` if `R > 0` and
//!   `[rhs−|R|, rhs]` if `R < 0` (`R = 0` keeps the equality); `L` rows
//!   become `[rhs−|R|, rhs]`, `G` rows `[rhs, rhs+|R|]`. Ranges on `N` rows
//!   are ignored.
//! * Default bounds are `[0, +∞)`. Bound types `UP`, `LO`, `FX`, `FR`, `MI`,
//!   `PL`, `BV` (`[0, 1]`), `LI`, `UI`; `SC` (semi-continuous) is rejected.
//!   A negative `UP` bound on a variable without `LO` keeps the lower bound
//!   `0` (no implicit `−∞`), so such a variable is infeasible unless a lower
//!   bound is also given. Bound values with magnitude `≥ 1e30` are infinite.
//! * A missing `ENDATA` is an error (it usually means a truncated file);
//!   anything after `ENDATA` is ignored.
//!
//! # Standard form
//!
//! With row bounds `l ≤ Ax ≤ u` and variable bounds `l_x ≤ x ≤ u_x`, the
//! rows of [`crate::ProblemData`] are, in order:
//!
//! 1. one [`SupportedCone::Zero`] block: every row with `l = u` (`aᵀx + s = u`)
//!    in file order, then every fixed variable (`x_j + s = l_j`);
//! 2. one [`SupportedCone::Nonnegative`] block: for each remaining row in
//!    file order `−aᵀx + s = −l` (if `l` is finite) then `aᵀx + s = u` (if `u`
//!    is finite), then for each remaining variable `−x_j + s = −l_j` and
//!    `x_j + s = u_j` (finite bounds only).
//!
//! Empty blocks are omitted.

use std::collections::HashMap;

use crate::cones::SupportedCone;
use crate::csc::CscMatrix;
use crate::error::{MatrixName, ProblemError, ReadError};
use crate::problem::ProblemData;

/// Bound and right-hand-side magnitudes at or above this are infinite.
pub const MPS_INFINITY: f64 = 1e30;

/// Type of a constraint row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowType {
    /// `E`: equality.
    Equal,
    /// `L`: `aᵀx ≤ rhs`.
    Less,
    /// `G`: `aᵀx ≥ rhs`.
    Greater,
}

/// An MPS/QPS problem as stated in the file, before conversion to standard
/// form (minimize or maximize `½xᵀQx + cᵀx + c₀` subject to
/// `row_lower ≤ Ax ≤ row_upper`, `col_lower ≤ x ≤ col_upper`).
#[derive(Debug, Clone, PartialEq)]
pub struct MpsModel {
    /// Problem name from the `NAME` line.
    pub name: String,
    /// `OBJSENSE MAX`.
    pub maximize: bool,
    /// Name of the objective row, if there is one.
    pub objective_name: Option<String>,
    /// Names of the constraint rows (`N` rows excluded), in file order.
    pub row_names: Vec<String>,
    /// Type of each constraint row.
    pub row_types: Vec<RowType>,
    /// Lower bound of each constraint row (`−∞` allowed).
    pub row_lower: Vec<f64>,
    /// Upper bound of each constraint row (`+∞` allowed).
    pub row_upper: Vec<f64>,
    /// Names of the columns, in order of first appearance.
    pub col_names: Vec<String>,
    /// Lower bound of each variable.
    pub col_lower: Vec<f64>,
    /// Upper bound of each variable.
    pub col_upper: Vec<f64>,
    /// Whether the variable was declared integer (`MARKER` or `BV`/`LI`/`UI`).
    pub integer: Vec<bool>,
    /// Linear objective (as in the file, before any `MAX` negation).
    pub c: Vec<f64>,
    /// Objective constant `c₀` (`−RHS` of the objective row).
    pub obj_constant: f64,
    /// Constraint matrix triplets: row indices.
    pub a_rows: Vec<usize>,
    /// Constraint matrix triplets: column indices.
    pub a_cols: Vec<usize>,
    /// Constraint matrix triplets: values (duplicates are summed).
    pub a_vals: Vec<f64>,
    /// Upper-triangle triplets of `Q`: row indices (`≤` column).
    pub q_rows: Vec<usize>,
    /// Upper-triangle triplets of `Q`: column indices.
    pub q_cols: Vec<usize>,
    /// Upper-triangle triplets of `Q`: values (duplicates are summed).
    pub q_vals: Vec<f64>,
}

impl MpsModel {
    /// Number of constraint rows (excluding `N` rows).
    pub fn num_rows(&self) -> usize {
        self.row_names.len()
    }

    /// Number of variables.
    pub fn num_cols(&self) -> usize {
        self.col_names.len()
    }

    /// Converts to the standard form described in the [module docs](self).
    pub fn to_problem(&self) -> Result<ProblemData, ReadError> {
        let n = self.num_cols();
        let m0 = self.num_rows();
        let dim = |what: &'static str, expected: usize, found: usize| {
            if expected == found {
                Ok(())
            } else {
                Err(ProblemError::Dimension {
                    what,
                    expected,
                    found,
                })
            }
        };
        dim("MPS row_types", m0, self.row_types.len())?;
        dim("MPS row_lower", m0, self.row_lower.len())?;
        dim("MPS row_upper", m0, self.row_upper.len())?;
        dim("MPS col_lower", n, self.col_lower.len())?;
        dim("MPS col_upper", n, self.col_upper.len())?;
        dim("MPS c", n, self.c.len())?;
        let row_bounds: Vec<(f64, f64)> = self
            .row_lower
            .iter()
            .copied()
            .zip(self.row_upper.iter().copied())
            .collect();
        let col_bounds: Vec<(f64, f64)> = self
            .col_lower
            .iter()
            .copied()
            .zip(self.col_upper.iter().copied())
            .collect();
        let is_eq = |(l, u): (f64, f64)| l == u && l.is_finite();

        // Output row of each piece: (equality, lower, upper) per row/column.
        let mut b = Vec::new();
        let mut next = 0usize;
        let mut assign_eq = |bounds: &[(f64, f64)], b: &mut Vec<f64>| -> Vec<[Option<usize>; 3]> {
            bounds
                .iter()
                .map(|&(l, u)| {
                    let mut slot = [None; 3];
                    if is_eq((l, u)) {
                        slot[0] = Some(next);
                        b.push(u);
                        next += 1;
                    }
                    slot
                })
                .collect()
        };
        let mut row_map = assign_eq(&row_bounds, &mut b);
        let mut col_map = assign_eq(&col_bounds, &mut b);
        let n_zero = next;
        for (slot, &(l, u)) in row_map
            .iter_mut()
            .zip(&row_bounds)
            .chain(col_map.iter_mut().zip(&col_bounds))
        {
            if is_eq((l, u)) {
                continue;
            }
            if l.is_finite() {
                slot[1] = Some(next);
                b.push(-l);
                next += 1;
            }
            if u.is_finite() {
                slot[2] = Some(next);
                b.push(u);
                next += 1;
            }
        }
        let m = next;
        const SIGNS: [f64; 3] = [1.0, -1.0, 1.0];

        let mut rows = Vec::with_capacity(self.a_vals.len() + 2 * n);
        let mut cols = Vec::with_capacity(self.a_vals.len() + 2 * n);
        let mut vals = Vec::with_capacity(self.a_vals.len() + 2 * n);
        for ((&i, &j), &v) in self.a_rows.iter().zip(&self.a_cols).zip(&self.a_vals) {
            let Some(map) = row_map.get(i) else {
                return Err(ProblemError::IndexOutOfRange {
                    matrix: MatrixName::A,
                    entry: 0,
                    row: i,
                    col: j,
                    rows: m0,
                    cols: n,
                }
                .into());
            };
            for (slot, sign) in map.iter().zip(SIGNS) {
                if let Some(o) = *slot {
                    rows.push(o);
                    cols.push(j);
                    vals.push(sign * v);
                }
            }
        }
        for (j, map) in col_map.iter().enumerate() {
            for (slot, sign) in map.iter().zip(SIGNS) {
                if let Some(o) = *slot {
                    rows.push(o);
                    cols.push(j);
                    vals.push(sign);
                }
            }
        }
        let a = CscMatrix::from_triplets_named(m, n, &rows, &cols, &vals, MatrixName::A)?;

        let sign = if self.maximize { -1.0 } else { 1.0 };
        let q_vals: Vec<f64> = self.q_vals.iter().map(|v| sign * v).collect();
        let p = CscMatrix::from_triplets_named(
            n,
            n,
            &self.q_rows,
            &self.q_cols,
            &q_vals,
            MatrixName::P,
        )?;
        let c = self.c.iter().map(|v| sign * v).collect();
        let mut cones = Vec::new();
        if n_zero > 0 {
            cones.push(SupportedCone::Zero(n_zero));
        }
        if m > n_zero {
            cones.push(SupportedCone::Nonnegative(m - n_zero));
        }
        let mut prob = ProblemData::new(Some(p), c, a, b, cones)?;
        prob.obj_constant = sign * self.obj_constant;
        prob.validate()?;
        Ok(prob)
    }
}

/// Where a row name points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowRef {
    Objective,
    OtherN,
    Con(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Name,
    ObjSense,
    ObjName,
    Rows,
    Columns,
    Rhs,
    Ranges,
    Bounds,
    QuadObj,
    QMatrix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoundType {
    Up,
    Lo,
    Fx,
    Fr,
    Mi,
    Pl,
    Bv,
    Li,
    Ui,
}

impl BoundType {
    fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "UP" => BoundType::Up,
            "LO" => BoundType::Lo,
            "FX" => BoundType::Fx,
            "FR" => BoundType::Fr,
            "MI" => BoundType::Mi,
            "PL" => BoundType::Pl,
            "BV" => BoundType::Bv,
            "LI" => BoundType::Li,
            "UI" => BoundType::Ui,
            "SC" => return Err("semi-continuous bounds (SC) are not supported".to_string()),
            _ => return Err(format!("unknown bound type '{s}'")),
        })
    }

    fn needs_value(self) -> bool {
        matches!(
            self,
            BoundType::Up | BoundType::Lo | BoundType::Fx | BoundType::Li | BoundType::Ui
        )
    }
}

/// A parsed data line of `RHS` or `RANGES`: optional set name, up to two
/// (row, value) pairs.
struct SetLine<'a> {
    set: Option<&'a str>,
    pairs: [Option<(RowRef, f64)>; 2],
}

struct ColumnsLine<'a> {
    col: &'a str,
    pairs: [Option<(RowRef, f64)>; 2],
}

enum ColumnsRecord<'a> {
    Marker(bool),
    Entries(ColumnsLine<'a>),
}

struct BoundLine<'a> {
    kind: BoundType,
    set: Option<&'a str>,
    col: usize,
    value: f64,
}

/// Fixed-format fields (columns 2–3, 5–12, 15–22, 25–36, 40–47, 50–61),
/// trimmed; `None` for non-ASCII lines.
fn fixed_fields(line: &str) -> Option<[&str; 6]> {
    const SPANS: [(usize, usize); 6] = [(1, 3), (4, 12), (14, 22), (24, 36), (39, 47), (49, 61)];
    if !line.is_ascii() {
        return None;
    }
    let mut out = [""; 6];
    for (field, &(a, b)) in out.iter_mut().zip(SPANS.iter()) {
        let b = b.min(line.len());
        if a < b {
            *field = line.get(a..b).unwrap_or("").trim();
        }
    }
    Some(out)
}

/// Parses a number; accepts Fortran `D` exponents.
fn parse_number(s: &str) -> Result<f64, String> {
    let v = match s.parse::<f64>() {
        Ok(v) => v,
        Err(_) if s.contains(['d', 'D']) => s
            .replace(['d', 'D'], "e")
            .parse::<f64>()
            .map_err(|_| format!("invalid number '{s}'"))?,
        Err(_) => return Err(format!("invalid number '{s}'")),
    };
    if v.is_nan() {
        return Err(format!("invalid number '{s}'"));
    }
    Ok(v)
}

fn parse_finite(s: &str) -> Result<f64, String> {
    let v = parse_number(s)?;
    if !v.is_finite() {
        return Err(format!("value '{s}' must be finite"));
    }
    Ok(v)
}

/// Parses a bound value: magnitudes at least [`MPS_INFINITY`] are infinite.
fn parse_bound(s: &str) -> Result<f64, String> {
    let v = parse_number(s)?;
    Ok(if v >= MPS_INFINITY {
        f64::INFINITY
    } else if v <= -MPS_INFINITY {
        f64::NEG_INFINITY
    } else {
        v
    })
}

/// Tries the free-format interpretation, then the fixed-format one; reports
/// the free-format error if both fail.
fn free_or_fixed<'a, T>(
    line: &'a str,
    free: impl FnOnce(&[&'a str]) -> Result<T, String>,
    fixed: impl FnOnce(&[&'a str; 6]) -> Result<T, String>,
) -> Result<T, String> {
    let tokens: Vec<&'a str> = line.split_whitespace().collect();
    match free(&tokens) {
        Ok(v) => Ok(v),
        Err(e) => match fixed_fields(line) {
            Some(f) => fixed(&f).map_err(|_| e),
            None => Err(e),
        },
    }
}

struct Parser {
    model: MpsModel,
    rows: HashMap<String, RowRef>,
    cols: HashMap<String, usize>,
    rhs: Vec<f64>,
    ranges: Vec<Option<f64>>,
    rhs_set: Option<String>,
    range_set: Option<String>,
    bound_set: Option<String>,
    integer_mode: bool,
    has_objective: bool,
    last_col: Option<(String, usize)>,
}

impl Parser {
    fn row(&self, name: &str) -> Result<RowRef, String> {
        self.rows
            .get(name)
            .copied()
            .ok_or_else(|| format!("unknown row '{name}'"))
    }

    fn col(&self, name: &str) -> Result<usize, String> {
        self.cols
            .get(name)
            .copied()
            .ok_or_else(|| format!("unknown column '{name}'"))
    }

    fn pairs(
        &self,
        fields: &[&str],
        parse: fn(&str) -> Result<f64, String>,
    ) -> Result<[Option<(RowRef, f64)>; 2], String> {
        let mut out = [None, None];
        for (slot, pair) in out.iter_mut().zip(fields.chunks(2)) {
            if let [name, value] = pair {
                *slot = Some((self.row(name)?, parse(value)?));
            }
        }
        Ok(out)
    }

    fn rows_line<'a>(&self, line: &'a str) -> Result<(&'a str, &'a str), String> {
        free_or_fixed(
            line,
            |t| match t {
                [kind, name] => Ok((*kind, *name)),
                _ => Err(format!(
                    "ROWS line needs 2 fields (type, name), found {}",
                    t.len()
                )),
            },
            |f| {
                if f[0].is_empty() || f[1].is_empty() {
                    Err(String::new())
                } else {
                    Ok((f[0], f[1]))
                }
            },
        )
    }

    fn columns_line<'a>(&self, line: &'a str) -> Result<ColumnsRecord<'a>, String> {
        let marker = |kind: &str| match kind.trim_matches('\'').to_ascii_uppercase().as_str() {
            "INTORG" => Ok(ColumnsRecord::Marker(true)),
            "INTEND" => Ok(ColumnsRecord::Marker(false)),
            _ => Err(format!("unknown MARKER type '{kind}'")),
        };
        free_or_fixed(
            line,
            |t| match t {
                [_, m, kind] if m.trim_matches('\'').eq_ignore_ascii_case("MARKER") => marker(kind),
                [col, rest @ ..] if rest.len() == 2 || rest.len() == 4 => {
                    Ok(ColumnsRecord::Entries(ColumnsLine {
                        col,
                        pairs: self.pairs(rest, parse_finite)?,
                    }))
                }
                _ => Err(format!(
                    "COLUMNS line needs 3 or 5 fields (column, row, value[, row, value]), found {}",
                    t.len()
                )),
            },
            |f| {
                if f[2].trim_matches('\'').eq_ignore_ascii_case("MARKER") {
                    return marker(f[4]);
                }
                if f[1].is_empty() {
                    return Err(String::new());
                }
                let n = if f[4].is_empty() { 2 } else { 4 };
                Ok(ColumnsRecord::Entries(ColumnsLine {
                    col: f[1],
                    pairs: self.pairs(&f[2..2 + n], parse_finite)?,
                }))
            },
        )
    }

    /// `RHS` and `RANGES` lines.
    fn set_line<'a>(&self, line: &'a str, section: &str) -> Result<SetLine<'a>, String> {
        free_or_fixed(
            line,
            |t| match t.len() {
                3 | 5 => Ok(SetLine {
                    set: t.first().copied(),
                    pairs: self.pairs(&t[1..], parse_finite)?,
                }),
                2 | 4 => Ok(SetLine {
                    set: None,
                    pairs: self.pairs(t, parse_finite)?,
                }),
                k => Err(format!(
                    "{section} line needs 3 or 5 fields (set, row, value[, row, value]), found {k}"
                )),
            },
            |f| {
                let n = if f[4].is_empty() { 2 } else { 4 };
                Ok(SetLine {
                    set: Some(f[1]).filter(|s| !s.is_empty()),
                    pairs: self.pairs(&f[2..2 + n], parse_finite)?,
                })
            },
        )
    }

    fn bounds_line<'a>(&self, line: &'a str) -> Result<BoundLine<'a>, String> {
        free_or_fixed(
            line,
            |t| {
                let kind = BoundType::parse(t.first().copied().unwrap_or(""))?;
                let (set, col, value) = match (kind.needs_value(), t) {
                    (true, [_, set, col, v]) => (Some(*set), *col, Some(*v)),
                    (true, [_, col, v]) => (None, *col, Some(*v)),
                    (false, [_, set, col] | [_, set, col, _]) => (Some(*set), *col, None),
                    (false, [_, col]) => (None, *col, None),
                    _ => {
                        return Err(format!(
                            "BOUNDS line needs {} fields (type, set, column{}), found {}",
                            if kind.needs_value() { 4 } else { 3 },
                            if kind.needs_value() { ", value" } else { "" },
                            t.len()
                        ))
                    }
                };
                Ok(BoundLine {
                    kind,
                    set,
                    col: self.col(col)?,
                    value: value.map(parse_bound).transpose()?.unwrap_or(0.0),
                })
            },
            |f| {
                let kind = BoundType::parse(f[0])?;
                Ok(BoundLine {
                    kind,
                    set: Some(f[1]),
                    col: self.col(f[2])?,
                    value: if kind.needs_value() {
                        parse_bound(f[3])?
                    } else {
                        0.0
                    },
                })
            },
        )
    }

    fn quad_line(&self, line: &str) -> Result<(usize, usize, f64), String> {
        free_or_fixed(
            line,
            |t| match t {
                [a, b, v] => Ok((self.col(a)?, self.col(b)?, parse_finite(v)?)),
                _ => Err(format!(
                    "quadratic objective line needs 3 fields (column, column, value), found {}",
                    t.len()
                )),
            },
            |f| Ok((self.col(f[1])?, self.col(f[2])?, parse_finite(f[3])?)),
        )
    }

    fn add_row(&mut self, kind: &str, name: &str) -> Result<(), String> {
        if self.rows.contains_key(name) {
            return Err(format!("duplicate row name '{name}'"));
        }
        let row_type = match kind.to_ascii_uppercase().as_str() {
            "N" => {
                let is_objective = !self.has_objective
                    && match &self.model.objective_name {
                        Some(obj) => obj == name,
                        None => true,
                    };
                let r = if is_objective {
                    self.has_objective = true;
                    self.model.objective_name = Some(name.to_string());
                    RowRef::Objective
                } else {
                    RowRef::OtherN
                };
                self.rows.insert(name.to_string(), r);
                return Ok(());
            }
            "E" => RowType::Equal,
            "L" => RowType::Less,
            "G" => RowType::Greater,
            _ => return Err(format!("unknown row type '{kind}' (expected N, E, L or G)")),
        };
        let i = self.model.row_names.len();
        self.rows.insert(name.to_string(), RowRef::Con(i));
        self.model.row_names.push(name.to_string());
        self.model.row_types.push(row_type);
        self.rhs.push(0.0);
        self.ranges.push(None);
        Ok(())
    }

    fn column_index(&mut self, name: &str) -> usize {
        if let Some((last, j)) = &self.last_col {
            if last == name {
                return *j;
            }
        }
        let j = match self.cols.get(name) {
            Some(&j) => j,
            None => {
                let j = self.model.col_names.len();
                self.cols.insert(name.to_string(), j);
                self.model.col_names.push(name.to_string());
                self.model.col_lower.push(0.0);
                self.model.col_upper.push(f64::INFINITY);
                self.model.integer.push(self.integer_mode);
                self.model.c.push(0.0);
                j
            }
        };
        self.last_col = Some((name.to_string(), j));
        j
    }

    /// Whether a line of set `set` belongs to the active set (the first one).
    fn in_set(active: &mut Option<String>, set: Option<&str>) -> bool {
        match (set, active.as_deref()) {
            (None, _) => true,
            (Some(s), None) => {
                *active = Some(s.to_string());
                true
            }
            (Some(s), Some(a)) => s == a,
        }
    }

    fn data_line(&mut self, section: Section, line: &str) -> Result<(), String> {
        match section {
            Section::None | Section::Name => {
                Err("data line outside of a section (section headers start in column 1)".into())
            }
            Section::ObjSense => {
                let t: Vec<&str> = line.split_whitespace().collect();
                match t.as_slice() {
                    [s] => self.set_sense(s),
                    _ => Err("OBJSENSE expects one of MIN, MAX".into()),
                }
            }
            Section::ObjName => {
                let t: Vec<&str> = line.split_whitespace().collect();
                match t.as_slice() {
                    [s] => self.set_objname(s),
                    _ => Err("OBJNAME expects a row name".into()),
                }
            }
            Section::Rows => {
                let (kind, name) = self.rows_line(line)?;
                self.add_row(kind, name)
            }
            Section::Columns => match self.columns_line(line)? {
                ColumnsRecord::Marker(on) => {
                    self.integer_mode = on;
                    Ok(())
                }
                ColumnsRecord::Entries(rec) => {
                    let j = self.column_index(rec.col);
                    for (r, v) in rec.pairs.into_iter().flatten() {
                        match r {
                            RowRef::Objective => {
                                if let Some(c) = self.model.c.get_mut(j) {
                                    *c += v;
                                }
                            }
                            RowRef::OtherN => {}
                            RowRef::Con(i) => {
                                self.model.a_rows.push(i);
                                self.model.a_cols.push(j);
                                self.model.a_vals.push(v);
                            }
                        }
                    }
                    Ok(())
                }
            },
            Section::Rhs => {
                let rec = self.set_line(line, "RHS")?;
                if Self::in_set(&mut self.rhs_set, rec.set) {
                    for (r, v) in rec.pairs.into_iter().flatten() {
                        match r {
                            RowRef::Objective => self.model.obj_constant = -v,
                            RowRef::OtherN => {}
                            RowRef::Con(i) => {
                                if let Some(x) = self.rhs.get_mut(i) {
                                    *x = v;
                                }
                            }
                        }
                    }
                }
                Ok(())
            }
            Section::Ranges => {
                let rec = self.set_line(line, "RANGES")?;
                if Self::in_set(&mut self.range_set, rec.set) {
                    for (r, v) in rec.pairs.into_iter().flatten() {
                        if let RowRef::Con(i) = r {
                            if let Some(x) = self.ranges.get_mut(i) {
                                *x = Some(v);
                            }
                        }
                    }
                }
                Ok(())
            }
            Section::Bounds => {
                let rec = self.bounds_line(line)?;
                if Self::in_set(&mut self.bound_set, rec.set) {
                    self.apply_bound(&rec)?;
                }
                Ok(())
            }
            Section::QuadObj | Section::QMatrix => {
                let (i, j, v) = self.quad_line(line)?;
                let (r, c) = (i.min(j), i.max(j));
                let v = if section == Section::QMatrix && i != j {
                    0.5 * v
                } else {
                    v
                };
                self.model.q_rows.push(r);
                self.model.q_cols.push(c);
                self.model.q_vals.push(v);
                Ok(())
            }
        }
    }

    fn apply_bound(&mut self, rec: &BoundLine<'_>) -> Result<(), String> {
        let j = rec.col;
        let v = rec.value;
        let m = &mut self.model;
        let (Some(lo), Some(up), Some(int)) = (
            m.col_lower.get_mut(j),
            m.col_upper.get_mut(j),
            m.integer.get_mut(j),
        ) else {
            return Err(format!("column index {j} out of range"));
        };
        let lower_ok = |v: f64| {
            if v == f64::INFINITY {
                Err("lower bound +infinity".to_string())
            } else {
                Ok(v)
            }
        };
        let upper_ok = |v: f64| {
            if v == f64::NEG_INFINITY {
                Err("upper bound -infinity".to_string())
            } else {
                Ok(v)
            }
        };
        match rec.kind {
            BoundType::Up => *up = upper_ok(v)?,
            BoundType::Ui => {
                *up = upper_ok(v)?;
                *int = true;
            }
            BoundType::Lo => *lo = lower_ok(v)?,
            BoundType::Li => {
                *lo = lower_ok(v)?;
                *int = true;
            }
            BoundType::Fx => {
                if !v.is_finite() {
                    return Err("FX bound must be finite".into());
                }
                *lo = v;
                *up = v;
            }
            BoundType::Fr => {
                *lo = f64::NEG_INFINITY;
                *up = f64::INFINITY;
            }
            BoundType::Mi => *lo = f64::NEG_INFINITY,
            BoundType::Pl => *up = f64::INFINITY,
            BoundType::Bv => {
                *lo = 0.0;
                *up = 1.0;
                *int = true;
            }
        }
        Ok(())
    }

    fn set_sense(&mut self, s: &str) -> Result<(), String> {
        self.model.maximize = match s.to_ascii_uppercase().as_str() {
            "MIN" | "MINIMIZE" | "MINIMISE" => false,
            "MAX" | "MAXIMIZE" | "MAXIMISE" => true,
            _ => {
                return Err(format!(
                    "unknown objective sense '{s}' (expected MIN or MAX)"
                ))
            }
        };
        Ok(())
    }

    fn set_objname(&mut self, s: &str) -> Result<(), String> {
        if !self.rows.is_empty() {
            return Err("OBJNAME must come before ROWS".into());
        }
        self.model.objective_name = Some(s.to_string());
        Ok(())
    }

    fn finish(mut self) -> MpsModel {
        let m = self.model.row_names.len();
        let (mut lower, mut upper) = (Vec::with_capacity(m), Vec::with_capacity(m));
        for ((&kind, &rhs), &range) in self.model.row_types.iter().zip(&self.rhs).zip(&self.ranges)
        {
            let (l, u) = match (kind, range) {
                (RowType::Equal, None) => (rhs, rhs),
                (RowType::Equal, Some(r)) if r >= 0.0 => (rhs, rhs + r),
                (RowType::Equal, Some(r)) => (rhs + r, rhs),
                (RowType::Less, None) => (f64::NEG_INFINITY, rhs),
                (RowType::Less, Some(r)) => (rhs - r.abs(), rhs),
                (RowType::Greater, None) => (rhs, f64::INFINITY),
                (RowType::Greater, Some(r)) => (rhs, rhs + r.abs()),
            };
            lower.push(if l <= -MPS_INFINITY {
                f64::NEG_INFINITY
            } else {
                l
            });
            upper.push(if u >= MPS_INFINITY { f64::INFINITY } else { u });
        }
        self.model.row_lower = lower;
        self.model.row_upper = upper;
        self.model
    }
}

/// Parses MPS/QPS text into an [`MpsModel`] (the problem as stated, with
/// row and column names), without converting to standard form.
pub fn parse_mps_model(text: &str) -> Result<MpsModel, ReadError> {
    let err = |line: usize, message: String| ReadError::Parse {
        format: "MPS",
        line,
        message,
    };
    let mut p = Parser {
        model: MpsModel {
            name: String::new(),
            maximize: false,
            objective_name: None,
            row_names: Vec::new(),
            row_types: Vec::new(),
            row_lower: Vec::new(),
            row_upper: Vec::new(),
            col_names: Vec::new(),
            col_lower: Vec::new(),
            col_upper: Vec::new(),
            integer: Vec::new(),
            c: Vec::new(),
            obj_constant: 0.0,
            a_rows: Vec::new(),
            a_cols: Vec::new(),
            a_vals: Vec::new(),
            q_rows: Vec::new(),
            q_cols: Vec::new(),
            q_vals: Vec::new(),
        },
        rows: HashMap::new(),
        cols: HashMap::new(),
        rhs: Vec::new(),
        ranges: Vec::new(),
        rhs_set: None,
        range_set: None,
        bound_set: None,
        integer_mode: false,
        has_objective: false,
        last_col: None,
    };
    let mut section = Section::None;
    let mut last_line = 0;
    for (idx, line) in text.lines().enumerate() {
        let line_no = idx + 1;
        last_line = line_no;
        if line.trim().is_empty() || line.starts_with('*') {
            continue;
        }
        let starts_with_space = line.starts_with(|c: char| c.is_whitespace());
        if starts_with_space {
            p.data_line(section, line).map_err(|m| err(line_no, m))?;
            continue;
        }
        let mut tokens = line.split_whitespace();
        let keyword = tokens.next().unwrap_or("").to_ascii_uppercase();
        let arg = tokens.next();
        section = match keyword.as_str() {
            "NAME" => {
                p.model.name = line.get(4..).unwrap_or("").trim().to_string();
                Section::Name
            }
            "OBJSENSE" => match arg {
                Some(s) => {
                    p.set_sense(s).map_err(|m| err(line_no, m))?;
                    Section::None
                }
                None => Section::ObjSense,
            },
            "OBJNAME" => match arg {
                Some(s) => {
                    p.set_objname(s).map_err(|m| err(line_no, m))?;
                    Section::None
                }
                None => Section::ObjName,
            },
            "ROWS" => Section::Rows,
            "COLUMNS" => Section::Columns,
            "RHS" => Section::Rhs,
            "RANGES" => Section::Ranges,
            "BOUNDS" => Section::Bounds,
            "QUADOBJ" => Section::QuadObj,
            "QMATRIX" => Section::QMatrix,
            "ENDATA" => return Ok(p.finish()),
            "QSECTION" => {
                return Err(err(
                    line_no,
                    "section QSECTION is not supported (use QUADOBJ or QMATRIX)".into(),
                ))
            }
            "QCMATRIX" => {
                return Err(err(
                    line_no,
                    "quadratic constraints (QCMATRIX) are not supported".into(),
                ))
            }
            "CSECTION" => {
                return Err(err(
                    line_no,
                    "conic sections (CSECTION) are not supported yet".into(),
                ))
            }
            _ => return Err(err(line_no, format!("unknown section '{keyword}'"))),
        };
    }
    Err(err(
        last_line.max(1),
        "missing ENDATA (truncated file?)".into(),
    ))
}
