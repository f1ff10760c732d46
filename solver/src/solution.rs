//! What a solve returns: status, primal-dual point, residuals and timings.

use std::fmt;

/// Outcome of a solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Not solved yet.
    Unsolved,
    /// Residuals and gap meet the full tolerances.
    Solved,
    /// Residuals and gap meet only the reduced tolerances.
    AlmostSolved,
    /// A certificate `y ∈ K*`, `Aᵀy = 0`, `bᵀy < 0` was found.
    PrimalInfeasible,
    /// A certificate `Px = 0`, `Ax + s = 0`, `s ∈ K`, `cᵀx < 0` was found.
    DualInfeasible,
    /// A primal infeasibility certificate within the reduced tolerances.
    AlmostPrimalInfeasible,
    /// A dual infeasibility certificate within the reduced tolerances.
    AlmostDualInfeasible,
    /// The iteration limit was reached.
    MaxIterations,
    /// The time limit was reached.
    TimeLimit,
    /// The iteration broke down (factorization failure, non-finite values,
    /// or no progress) without meeting any tolerance.
    NumericalError,
    /// Steps became too short to make progress.
    InsufficientProgress,
}

impl Status {
    /// The status name as printed and as used in JSON output.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Unsolved => "Unsolved",
            Status::Solved => "Solved",
            Status::AlmostSolved => "AlmostSolved",
            Status::PrimalInfeasible => "PrimalInfeasible",
            Status::DualInfeasible => "DualInfeasible",
            Status::AlmostPrimalInfeasible => "AlmostPrimalInfeasible",
            Status::AlmostDualInfeasible => "AlmostDualInfeasible",
            Status::MaxIterations => "MaxIterations",
            Status::TimeLimit => "TimeLimit",
            Status::NumericalError => "NumericalError",
            Status::InsufficientProgress => "InsufficientProgress",
        }
    }

    /// `Solved` or `AlmostSolved`.
    pub fn is_solved(&self) -> bool {
        matches!(self, Status::Solved | Status::AlmostSolved)
    }

    /// One of the (almost) infeasible statuses.
    pub fn is_infeasible(&self) -> bool {
        matches!(
            self,
            Status::PrimalInfeasible
                | Status::DualInfeasible
                | Status::AlmostPrimalInfeasible
                | Status::AlmostDualInfeasible
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Residuals of the returned point in the original (unscaled) data.
///
/// `primal = ‖Ax + s − b‖∞ / max(1, ‖b‖∞ + ‖x‖∞ + ‖s‖∞)`,
/// `dual = ‖Px + Aᵀy + c‖∞ / max(1, ‖c‖∞ + ‖x‖∞ + ‖y‖∞)`,
/// `gap_abs = |pobj − dobj|`, `gap_rel = gap_abs / max(1, min(|pobj|, |dobj|))`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Residuals {
    /// Relative primal residual.
    pub primal: f64,
    /// Relative dual residual.
    pub dual: f64,
    /// Absolute duality gap.
    pub gap_abs: f64,
    /// Relative duality gap.
    pub gap_rel: f64,
}

/// Wall-clock times in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timings {
    /// Validation, equilibration, KKT assembly and symbolic analysis.
    pub setup: f64,
    /// Interior-point iterations.
    pub solve: f64,
    /// Numeric factorizations (part of `solve`).
    pub factor: f64,
}

/// An infeasibility certificate, in the original data.
#[derive(Debug, Clone, PartialEq)]
pub enum Certificate {
    /// `y ∈ K*`, `Aᵀy ≈ 0`, `bᵀy = −1`.
    PrimalInfeasible {
        /// The dual ray.
        y: Vec<f64>,
    },
    /// `Px ≈ 0`, `Ax + s ≈ 0`, `s ∈ K`, `cᵀx = −1`.
    DualInfeasible {
        /// The primal ray.
        x: Vec<f64>,
        /// Its slack.
        s: Vec<f64>,
    },
}

/// Result of a solve.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Outcome.
    pub status: Status,
    /// Primal variables (the certificate's `x` when dual infeasible).
    pub x: Vec<f64>,
    /// Dual variables of `Ax + s = b` (the certificate's `y` when primal infeasible).
    pub y: Vec<f64>,
    /// Slacks.
    pub s: Vec<f64>,
    /// Primal objective `½xᵀPx + cᵀx + c₀` (NaN when infeasible).
    pub objective: f64,
    /// Dual objective `−½xᵀPx − bᵀy + c₀` (NaN when infeasible).
    pub dual_objective: f64,
    /// Interior-point iterations taken.
    pub iterations: u32,
    /// Residuals of the returned point.
    pub residuals: Residuals,
    /// Wall-clock times.
    pub timings: Timings,
    /// Infeasibility certificate, when the status is (almost) infeasible.
    pub certificate: Option<Certificate>,
    /// Operator splitting: the step size (`ρ` of the inequality rows) the
    /// solve ended with, to start a later solve of a similar problem there
    /// ([`crate::Start::PointAt`]); `None` for the interior point.
    pub step_size: Option<f64>,
}
