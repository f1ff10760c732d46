//! [`Solver`]: one entry point for both methods, chosen by
//! [`Settings::method`].

use crate::admm::{AdmmSolver, Start};
use crate::error::{ProblemError, SolverError};
use crate::hsde::InteriorPointSolver;
use crate::problem::ProblemData;
use crate::settings::{Method, Settings};
use crate::solution::Solution;

/// A solver bound to one problem: the interior-point method
/// ([`InteriorPointSolver`]) or operator splitting ([`AdmmSolver`]),
/// selected by [`Settings::method`] when it is created. Both keep their
/// factorization state across solves and data updates of the same pattern.
/// A clone shares (interior point: copies) the symbolic analysis and
/// (operator splitting) the numeric factorization until its own data update.
///
/// ```
/// use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, Solver, Status, SupportedCone};
/// // minimize x₁ + 2x₂ subject to x₁ + x₂ = 1, x ≥ 0
/// let a = CscMatrix::from_triplets(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 1], &[1.0, 1.0, -1.0, -1.0]).unwrap();
/// let prob = ProblemData::new(None, vec![1.0, 2.0], a, vec![1.0, 0.0, 0.0],
///     vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)]).unwrap();
/// for method in [Method::InteriorPoint, Method::Admm] {
///     let mut solver = Solver::new(prob.clone(), Settings { method, ..Settings::default() }).unwrap();
///     let sol = solver.solve();
///     assert_eq!(sol.status, Status::Solved);
///     assert!((sol.x[0] - 1.0).abs() < 1e-4);
/// }
/// ```
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Solver {
    /// The homogeneous self-dual interior-point method.
    InteriorPoint(InteriorPointSolver),
    /// Operator splitting on the homogeneous self-dual embedding.
    Admm(AdmmSolver),
}

impl Solver {
    /// Validates the problem and settings and sets up the method of
    /// `settings.method`.
    pub fn new(data: ProblemData, settings: Settings) -> Result<Self, SolverError> {
        Ok(match settings.method {
            Method::InteriorPoint => {
                Solver::InteriorPoint(InteriorPointSolver::new(data, settings)?)
            }
            Method::Admm => Solver::Admm(AdmmSolver::new(data, settings)?),
        })
    }

    /// Solves from a cold start.
    pub fn solve(&mut self) -> Solution {
        match self {
            Solver::InteriorPoint(s) => s.solve(),
            Solver::Admm(s) => s.solve(),
        }
    }

    /// Solves starting from `start`, after checking a given point's lengths
    /// and values. The interior-point method centres a warm start first
    /// ([`InteriorPointSolver::solve_from_point`]).
    pub fn solve_from(&mut self, start: Start<'_>) -> Result<Solution, ProblemError> {
        match self {
            Solver::InteriorPoint(s) => Ok(match start {
                Start::Cold => s.solve(),
                Start::Previous => s.solve_from_previous(),
                Start::Point { x, y, s: slack } | Start::PointAt { x, y, s: slack, .. } => {
                    let (n, m) = (s.problem().n(), s.problem().m());
                    crate::problem::check_update(x, n, "warm-start x")?;
                    crate::problem::check_update(y, m, "warm-start y")?;
                    crate::problem::check_update(slack, m, "warm-start s")?;
                    s.solve_from_point(x, y, slack)
                }
            }),
            Solver::Admm(s) => s.solve_from(start),
        }
    }

    /// The method in use.
    pub fn method(&self) -> Method {
        match self {
            Solver::InteriorPoint(_) => Method::InteriorPoint,
            Solver::Admm(_) => Method::Admm,
        }
    }

    /// The problem as currently stored (original, unscaled).
    pub fn problem(&self) -> &ProblemData {
        match self {
            Solver::InteriorPoint(s) => s.problem(),
            Solver::Admm(s) => s.problem(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        match self {
            Solver::InteriorPoint(s) => s.settings(),
            Solver::Admm(s) => s.settings(),
        }
    }

    /// Mutable settings: tolerances and limits may change between solves
    /// (changing `method` here has no effect; create a new solver).
    pub fn settings_mut(&mut self) -> &mut Settings {
        match self {
            Solver::InteriorPoint(s) => s.settings_mut(),
            Solver::Admm(s) => s.settings_mut(),
        }
    }

    /// Performs pending factorization work now (operator splitting: a
    /// refactorization after an update of `P` or `A`), so that clones made
    /// afterwards share it; the interior-point method has none.
    pub fn prepare(&mut self) -> Result<(), SolverError> {
        match self {
            Solver::InteriorPoint(_) => Ok(()),
            Solver::Admm(s) => s.prepare(),
        }
    }

    /// Replaces the linear cost `c`.
    pub fn update_c(&mut self, c: &[f64]) -> Result<(), ProblemError> {
        match self {
            Solver::InteriorPoint(s) => s.update_c(c),
            Solver::Admm(s) => s.update_c(c),
        }
    }

    /// Replaces the right-hand side `b`.
    pub fn update_b(&mut self, b: &[f64]) -> Result<(), ProblemError> {
        match self {
            Solver::InteriorPoint(s) => s.update_b(b),
            Solver::Admm(s) => s.update_b(b),
        }
    }

    /// Replaces the values of `A` in its storage order (same pattern).
    pub fn update_a_values(&mut self, vals: &[f64]) -> Result<(), ProblemError> {
        match self {
            Solver::InteriorPoint(s) => s.update_a_values(vals),
            Solver::Admm(s) => s.update_a_values(vals),
        }
    }

    /// Replaces the values of the upper triangle of `P` in its storage order
    /// (same pattern); an indefinite `P` is rejected and changes nothing.
    pub fn update_p_values(&mut self, vals: &[f64]) -> Result<(), ProblemError> {
        match self {
            Solver::InteriorPoint(s) => s.update_p_values(vals),
            Solver::Admm(s) => s.update_p_values(vals),
        }
    }
}
