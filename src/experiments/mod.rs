//! The paper's experiments, run by `lpgd envelope`, `lpgd sudoku` and
//! `lpgd shortest-path`: each takes an output directory and a seed, writes
//! CSV files and PNG/SVG charts there, and is reproducible from the seed.
//!
//! - [`envelope`]: the Lagrange–Moreau envelopes of Figure 1 (§3.5, §3.6).
//! - [`sudoku`]: learning the rules of Sudoku as LP constraints (§4.2),
//!   LPGD against implicit differentiation.
//! - [`shortest_path`]: decision-focused learning of edge costs for a
//!   Dijkstra oracle (PyEPO-style data), LPGD against SPO+ and a two-stage
//!   baseline.

pub mod adam;
pub mod envelope;
pub mod plot;
pub mod shortest_path;
pub mod sudoku;

use lpgd_diff::DiffError;
use lpgd_solver::SolverError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an experiment could not run or write its results.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A configuration value is out of range.
    #[error("invalid setting {name} = {value}: {reason}")]
    InvalidConfig {
        /// The setting.
        name: &'static str,
        /// Its value, as given.
        value: String,
        /// What is required.
        reason: &'static str,
    },
    /// Creating or writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Drawing a chart failed.
    #[error("cannot draw {path}: {reason}")]
    Plot {
        /// The chart file.
        path: PathBuf,
        /// The backend's message.
        reason: String,
    },
    /// A solve failed where the experiment needs its result.
    #[error("solver failed ({context}): {source}")]
    Solver {
        /// Which solve.
        context: String,
        /// The solver's error.
        source: SolverError,
    },
    /// A solve ended without a solution (status given).
    #[error("solve did not succeed ({context}): status {status}")]
    NotSolved {
        /// Which solve.
        context: String,
        /// The status reached.
        status: String,
    },
    /// A gradient computation failed.
    #[error("differentiation failed ({context}): {source}")]
    Diff {
        /// Which instance or step.
        context: String,
        /// The diff crate's error.
        source: DiffError,
    },
}

/// What a training experiment computed and wrote.
#[derive(Debug, Clone)]
pub struct TrainingOutput<R> {
    /// One run per configuration (method, and degree where there are
    /// several).
    pub runs: Vec<R>,
    /// The markdown table of final metrics.
    pub table: String,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// False if the charts were drawn without text (no font found).
    pub labelled: bool,
}

/// Creates `dir` (and its parents).
pub fn create_dir(dir: &Path) -> Result<(), ExperimentError> {
    std::fs::create_dir_all(dir).map_err(|source| ExperimentError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a CSV file: `header` then one line per row (values joined by
/// commas; the caller quotes nothing, so fields must not contain commas).
pub fn write_csv(path: &Path, header: &str, rows: &[String]) -> Result<(), ExperimentError> {
    let io = |source| ExperimentError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "{header}").map_err(io)?;
    for r in rows {
        writeln!(w, "{r}").map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Writes a text file.
pub fn write_text(path: &Path, text: &str) -> Result<(), ExperimentError> {
    std::fs::write(path, text).map_err(|source| ExperimentError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// `aᵀb`.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Rejects a setting unless `ok`.
pub(crate) fn require(
    ok: bool,
    name: &'static str,
    value: impl std::fmt::Display,
    reason: &'static str,
) -> Result<(), ExperimentError> {
    if ok {
        Ok(())
    } else {
        Err(ExperimentError::InvalidConfig {
            name,
            value: value.to_string(),
            reason,
        })
    }
}
