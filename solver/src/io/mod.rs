//! Readers for problem files: MPS/QPS, CBF and the JSON standard form.
//!
//! Every reader produces a validated [`ProblemData`] in the solver's standard
//! form
//!
//! ```text
//! minimize    ½xᵀPx + cᵀx + c₀
//! subject to  Ax + s = b,  s ∈ K
//! ```
//!
//! and reports malformed input as a [`ReadError`] (never a panic): text
//! formats give the one-based line number ([`ReadError::Parse`]), JSON gives
//! the JSON path of the offending value ([`ReadError::Json`]), and data that
//! parse but do not form a valid problem give [`ReadError::Problem`].
//!
//! # Formats
//!
//! * **MPS / QPS** ([`parse_mps`], extensions `.mps`, `.qps`): fixed and free
//!   MPS with the QPS extensions `QUADOBJ` and `QMATRIX`. Rows `l ≤ aᵀx ≤ u`
//!   and bounds `l ≤ x ≤ u` become, in this order, one
//!   [`SupportedCone::Zero`](crate::SupportedCone::Zero) block (equality rows, then fixed variables) and
//!   one [`SupportedCone::Nonnegative`](crate::SupportedCone::Nonnegative) block (for each row with finite
//!   bounds in file order `−aᵀx + s = −l` then `aᵀx + s = u`, then the same
//!   for the variable bounds). See [`mps`] for the conventions (objective
//!   constant, `OBJSENSE MAX`, negative upper bounds, multiple RHS sets).
//! * **CBF** ([`parse_cbf`], extension `.cbf`): the Conic Benchmark Format,
//!   versions 1–3, with the cones `F`, `L+`, `L-`, `L=`, `Q`, `QR`, `EXP`,
//!   `EXP*`, `@k:POW` and `@k:POW*` (parameters from `POWCONES` /
//!   `POW*CONES`) and the semidefinite sections `PSDVAR`, `PSDCON`,
//!   `OBJFCOORD`, `FCOORD`, `HCOORD` and `DCOORD`. A constraint
//!   `g = Ax + b ∈ K` becomes `−T A x + s = T b`, `s ∈ K'`, where `T` is the
//!   identity (`L+`, `L=`, `Q`), minus the identity (`L-`), the rotation
//!   `((g₁+g₂)/√2, (g₁−g₂)/√2, g₃, …)` that maps the rotated cone `QR` onto
//!   the second-order cone, the reversal `(g₃, g₂, g₁)` for `EXP`, the map
//!   `(g₃ − g₂, −g₃, g₁)` from the dual exponential cone `EXP*` onto the
//!   exponential cone, or the scaling `(g₁/β₁, g₂/β₂, g₃)` from the dual
//!   power cone onto the power cone. Power cones with more than two
//!   parameters or a longer normed part are chained through auxiliary
//!   variables. Variable cones are the constraint `g = x ∈ K`; matrix
//!   variables `X ⪰ 0` become `svec(X)` columns after the scalar ones. Output
//!   rows: one zero block, one nonnegative block, then the other cones in
//!   file order (constraint cones before variable cones), then the
//!   semidefinite cones of `PSDCON` and of `PSDVAR`. See [`cbf`].
//! * **JSON** ([`parse_json`], [`to_json`], extension `.json`): the standard
//!   form itself, with matrices as triplets and cone objects such as
//!   `{"type": "soc", "dim": 3}`, `{"type": "exp"}`,
//!   `{"type": "pow", "alpha": 0.3}` and `{"type": "psd", "n": 3}`. See
//!   [`json`].
//!
//! Any of these may be gzip-compressed (`.mps.gz`, `.QPS.gz`, `.cbf.gz`,
//! `.json.gz`); [`read_problem`] decompresses transparently. Extensions are
//! matched case-insensitively.
//!
//! `OBJSENSE MAX` in MPS and CBF is handled by negating the objective
//! (`P`, `c` and `c₀`): the solver then reports the minimum of the negated
//! objective, i.e. **minus** the maximum of the original problem. A maximized
//! convex quadratic is not a convex problem; its negated `P` is rejected by
//! validation ([`crate::ProblemError::PNotPsd`] when a diagonal entry is
//! positive).
//!
//! ```
//! use lpgd_solver::io::{parse_mps, to_json, parse_json};
//! let text = "\
//! NAME          TINY
//! ROWS
//!  N  COST
//!  G  LIM
//! COLUMNS
//!     X         COST      1.0        LIM       1.0
//! RHS
//!     RHS       LIM       2.0
//! ENDATA
//! ";
//! let prob = parse_mps(text).unwrap();
//! assert_eq!((prob.n(), prob.m()), (1, 2)); // x ≥ 2 and x ≥ 0
//! assert_eq!(parse_json(&to_json(&prob)).unwrap(), prob);
//! ```

pub mod cbf;
pub mod json;
pub mod mps;

use std::io::Read;
use std::path::Path;

use crate::error::ReadError;
use crate::problem::ProblemData;

/// Problem file formats understood by [`read_problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Fixed or free MPS, including the QPS extensions (`.mps`, `.qps`).
    Mps,
    /// Conic Benchmark Format (`.cbf`).
    Cbf,
    /// The JSON standard form of [`to_json`] (`.json`).
    Json,
}

/// Detects the format and compression from a file name: returns the format
/// and whether the file is gzip-compressed, or `None` for an unknown
/// extension. Matching is case-insensitive.
///
/// ```
/// use lpgd_solver::io::{format_of, Format};
/// assert_eq!(format_of("data/AUG2D.QPS"), Some((Format::Mps, false)));
/// assert_eq!(format_of("x.cbf.GZ"), Some((Format::Cbf, true)));
/// assert_eq!(format_of("x.txt"), None);
/// ```
pub fn format_of(path: impl AsRef<Path>) -> Option<(Format, bool)> {
    let name = path.as_ref().file_name()?.to_str()?.to_ascii_lowercase();
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(stem) => (stem, true),
        None => (name.as_str(), false),
    };
    let format = if stem.ends_with(".mps") || stem.ends_with(".qps") {
        Format::Mps
    } else if stem.ends_with(".cbf") {
        Format::Cbf
    } else if stem.ends_with(".json") {
        Format::Json
    } else {
        return None;
    };
    Some((format, gz))
}

/// Reads a problem file, choosing the parser by extension (`.mps`, `.qps`,
/// `.cbf`, `.json`, each optionally followed by `.gz`, case-insensitive).
///
/// Gzip files are decompressed with [`flate2::read::MultiGzDecoder`], so
/// concatenated gzip members are read completely.
pub fn read_problem(path: impl AsRef<Path>) -> Result<ProblemData, ReadError> {
    let path = path.as_ref();
    let display = path.display().to_string();
    let (format, gz) = format_of(path).ok_or_else(|| ReadError::UnknownFormat {
        path: display.clone(),
    })?;
    let io_err = |source: std::io::Error| ReadError::Io {
        path: display.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut text = String::new();
    if gz {
        flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file))
            .read_to_string(&mut text)
            .map_err(io_err)?;
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .map_err(io_err)?;
    }
    match format {
        Format::Mps => parse_mps(&text),
        Format::Cbf => parse_cbf(&text),
        Format::Json => parse_json(&text),
    }
}

/// Parses fixed or free MPS/QPS text; see [`mps`].
pub fn parse_mps(text: &str) -> Result<ProblemData, ReadError> {
    mps::parse_mps_model(text)?.to_problem()
}

/// Parses Conic Benchmark Format text; see [`cbf`].
pub fn parse_cbf(text: &str) -> Result<ProblemData, ReadError> {
    cbf::parse_cbf(text)
}

/// Parses the JSON standard form; see [`json`].
pub fn parse_json(text: &str) -> Result<ProblemData, ReadError> {
    json::parse_json(text)
}

/// Writes a problem in the JSON standard form read by [`parse_json`]; the
/// round trip reproduces the same [`ProblemData`].
pub fn to_json(prob: &ProblemData) -> String {
    json::to_json(prob)
}
