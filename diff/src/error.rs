//! Errors of the differentiation layer.

use lpgd_solver::{ProblemError, SolverError, Status};
use std::fmt;

/// Which perturbed solve of an LPGD backward (or forward-mode) pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The solve at `w + τ·Δw` (lower envelope, right-sided difference).
    Plus,
    /// The solve at `w − τ·Δw` (upper envelope, left-sided difference).
    Minus,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Plus => "plus (+τ)",
            Side::Minus => "minus (−τ)",
        })
    }
}

/// Why a derivative could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// The problem data or an update was invalid.
    #[error(transparent)]
    Problem(#[from] ProblemError),
    /// The solver could not be set up.
    #[error(transparent)]
    Solver(#[from] SolverError),
    /// A derivative was requested before any forward solve.
    #[error("no forward solution to differentiate: call solve() first")]
    NoSolution,
    /// The forward solve did not find an optimal point.
    #[error(
        "the forward solve ended {status}; only (almost) solved problems can be differentiated"
    )]
    ForwardNotSolved {
        /// Status of the forward solve.
        status: Status,
    },
    /// A perturbed re-solve of LPGD did not find an optimal point (the
    /// perturbed problem may be infeasible or unbounded; a smaller `τ` or
    /// the one-sided fallback may help).
    #[error("the {side} perturbed solve with τ = {tau:e} ended {status}")]
    PerturbedNotSolved {
        /// Which solve failed.
        side: Side,
        /// The step `τ`.
        tau: f64,
        /// Its status.
        status: Status,
    },
    /// A vector has the wrong length.
    #[error("{what} has length {found}, expected {expected}")]
    Dimension {
        /// Which vector.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Given length.
        found: usize,
    },
    /// A vector contains NaN or ±∞.
    #[error("{what} has a non-finite entry at index {index}")]
    NonFinite {
        /// Which vector.
        what: &'static str,
        /// First offending index.
        index: usize,
    },
    /// A computed gradient or tangent overflowed: for LPGD, a difference
    /// quotient whose `τ` is too small for the difference of the perturbed
    /// solutions (a larger `τ` helps); for implicit differentiation, data
    /// near the floating-point range.
    #[error("the computed {what} has a non-finite entry at index {index} (LPGD: τ too small for a finite difference quotient)")]
    ResultNotFinite {
        /// Which result.
        what: &'static str,
        /// First offending index (blocks in the order `P`, `c`, `A`, `b`
        /// for gradients and `x`, `y`, `s` for tangents).
        index: usize,
    },
    /// A setting is out of range.
    #[error("invalid setting {name} = {value}: {reason}")]
    InvalidSetting {
        /// Setting name.
        name: &'static str,
        /// Given value.
        value: f64,
        /// What is required.
        reason: &'static str,
    },
    /// The linear system of implicit differentiation is singular or its
    /// solution is not finite (a degenerate solution, e.g. without strict
    /// complementarity or with dependent active constraints; `ρ > 0` or
    /// LPGD may help).
    #[error("implicit differentiation failed: {0}")]
    Singular(String),
    /// The mode does not support this request.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// An oracle (black-box solver) failed.
    #[error("oracle failed: {0}")]
    Oracle(String),
}

/// Checks the length and finiteness of a user vector.
pub(crate) fn check_vec(v: &[f64], expected: usize, what: &'static str) -> Result<(), DiffError> {
    if v.len() != expected {
        return Err(DiffError::Dimension {
            what,
            expected,
            found: v.len(),
        });
    }
    if let Some(index) = v.iter().position(|x| !x.is_finite()) {
        return Err(DiffError::NonFinite { what, index });
    }
    Ok(())
}

/// Checks `τ > 0` (finite) and `ρ ≥ 0` (finite).
pub(crate) fn check_tau_rho(tau: Option<f64>, rho: f64) -> Result<(), DiffError> {
    if let Some(tau) = tau {
        if !(tau.is_finite() && tau > 0.0) {
            return Err(DiffError::InvalidSetting {
                name: "tau",
                value: tau,
                reason: "must be positive and finite",
            });
        }
    }
    if !(rho.is_finite() && rho >= 0.0) {
        return Err(DiffError::InvalidSetting {
            name: "rho",
            value: rho,
            reason: "must be nonnegative and finite",
        });
    }
    Ok(())
}
