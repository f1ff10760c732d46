//! Solver settings: a plain struct with defaults, as in Clarabel.

use crate::error::SolverError;

/// Which algorithm solves the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Method {
    /// Homogeneous self-dual embedding interior-point method ([`crate::hsde`]).
    #[default]
    InteriorPoint,
    /// Operator splitting (ADMM / Douglas-Rachford) on the homogeneous
    /// self-dual embedding ([`crate::admm`]), tuned by [`AdmmSettings`].
    Admm,
}

/// Which factorization solves the interior-point method's KKT systems
/// ([`crate::kkt`]).
///
/// ```
/// use lpgd_solver::{CscMatrix, KktBackend, ProblemData, Settings, Solver, Status, SupportedCone};
/// // minimize x₁ + 2x₂ subject to x₁ + x₂ ≥ 1, x ≥ 0, with either backend
/// let a = CscMatrix::from_triplets(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 1], &[-1.0, -1.0, -1.0, -1.0]).unwrap();
/// let prob = ProblemData::new(None, vec![1.0, 2.0], a, vec![-1.0, 0.0, 0.0], vec![SupportedCone::Nonnegative(3)]).unwrap();
/// for kkt_backend in [KktBackend::SparseLdl, KktBackend::NormalEquations, KktBackend::DualNormalEquations] {
///     let settings = Settings { kkt_backend, ..Settings::default() };
///     let sol = Solver::new(prob.clone(), settings).unwrap().solve();
///     assert_eq!(sol.status, Status::Solved);
///     assert!((sol.objective - 1.0).abs() < 1e-7);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KktBackend {
    /// The normal equations or the dual normal equations where they apply
    /// and are expected to be faster
    /// (the cheaper of [`crate::normal::normal_work`] and
    /// [`crate::dual_normal::dual_normal_work`], if
    /// [`crate::normal::prefer_dense`]), the sparse
    /// `LDLᵀ` otherwise.
    #[default]
    Auto,
    /// Sparse quasi-definite `LDLᵀ` of the whole KKT matrix.
    SparseLdl,
    /// Dense normal equations ([`crate::normal`]); falls back to the sparse
    /// `LDLᵀ` when the cone block is not diagonal (cones other than zero and
    /// nonnegative) or there are more than
    /// [`crate::normal::MAX_DENSE_VARIABLES`] variables.
    NormalEquations,
    /// Dense dual normal equations ([`crate::dual_normal`]): the Schur
    /// complement onto the rows that are not bounds; falls back to the
    /// sparse `LDLᵀ` when `P` or the cone block is not diagonal or there are
    /// more than [`crate::dual_normal::MAX_SCHUR_ROWS`] such rows.
    DualNormalEquations,
}

/// Settings of the operator-splitting method ([`Method::Admm`]).
///
/// Termination uses the same relative residuals as the interior-point
/// method ([`crate::Residuals`]) with the looser tolerances below; the
/// `reduced_*` tolerances of [`Settings`] give `AlmostSolved` at a limit.
///
/// ```
/// use lpgd_solver::{AdmmSettings, Method, Settings};
/// let s = Settings { method: Method::Admm, ..Settings::default() };
/// assert_eq!(s.admm.eps_abs, 1e-5);
/// let tight = AdmmSettings { eps_abs: 1e-7, eps_rel: 1e-7, eps_feas: 1e-7, ..AdmmSettings::default() };
/// assert!(tight.max_iter > 1000);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdmmSettings {
    /// Iteration limit (one iteration = one linear solve and one projection).
    pub max_iter: u32,
    /// Absolute duality-gap tolerance.
    pub eps_abs: f64,
    /// Relative duality-gap tolerance.
    pub eps_rel: f64,
    /// Relative primal and dual residual tolerance.
    pub eps_feas: f64,
    /// Tolerance of normalized infeasibility certificates: `bᵀy = −1` with
    /// `‖Aᵀy‖∞ ≤ eps_infeas`, or `cᵀx = −1` with `‖Px‖∞, ‖Ax + s‖∞ ≤ eps_infeas`.
    pub eps_infeas: f64,
    /// Over-relaxation `α ∈ (0, 2)` of the Douglas-Rachford update.
    pub alpha: f64,
    /// Initial step size `ρ` of the inequality rows (equality rows use
    /// `1000ρ`); the step-size update changes it during the solve.
    pub scale: f64,
    /// Update `ρ` from the ratio of primal to dual residuals, by at least a
    /// factor 3, to a step size on the grid `scale₀·10^(k/2)` around the
    /// solve's initial step size `scale₀` (so that the problems of a batch
    /// can share the factorizations of the step sizes they reach).
    pub adaptive_scale: bool,
    /// Minimum number of iterations between two step-size updates.
    pub adaptive_scale_interval: u32,
    /// Primal proximal weight `σ` in `P + σI` (at the initial step size
    /// `scale`, see [`AdmmSettings::sigma_follows_scale`]).
    pub sigma: f64,
    /// With a linear objective (`P = 0`: no stored entries, or only
    /// zeros), let `σ` follow the step size,
    /// `σ(s) = sigma·s/scale`, instead of staying fixed (SCS keeps it
    /// fixed). Then `K(s) = [σ(s)I, Aᵀ; A, −diag(1/ρ(s))] = T K(s₀) T` with
    /// `T = diag(√(s/s₀)·I, √(s₀/s)·I)`, so the factorization at one step
    /// size serves every other through two diagonal scalings per solve:
    /// a step-size update costs no refactorization, and the problems of a
    /// lockstep batch keep solving in one panel whatever their step sizes
    /// ([`crate::batch`]). `σ` stays negligible next to `ρ` either way
    /// (`σ/ρ` is `sigma/scale` throughout).
    pub sigma_follows_scale: bool,
    /// Weight `ρ_τ` of `τ` in the metric of the splitting, relative to the
    /// `(x, y)` part (see [`crate::admm`]).
    pub rho_tau: f64,
    /// Anderson acceleration memory (0 disables acceleration).
    pub anderson_memory: usize,
    /// Apply Anderson acceleration every this many iterations (plain
    /// iterations in between), which decorrelates the stored differences.
    pub anderson_interval: u32,
    /// Polish a solution of a problem with only zero and nonnegative cones
    /// by solving the equality-constrained QP on its guessed active set
    /// (one extra factorization); the polished point replaces the solution
    /// only if it passes the same termination test with smaller residuals.
    /// Off by default: it costs up to ten factorizations, and on degenerate
    /// LPs the active set often does not settle within them.
    pub polish: bool,
    /// Check termination (and the step size) every this many iterations,
    /// and always after the first. The check costs three matrix-vector
    /// products, about a third of an iteration on small problems.
    pub check_interval: u32,
}

impl Default for AdmmSettings {
    fn default() -> Self {
        AdmmSettings {
            max_iter: 100_000,
            eps_abs: 1e-5,
            eps_rel: 1e-5,
            eps_feas: 1e-5,
            eps_infeas: 1e-7,
            alpha: 1.5,
            scale: 0.1,
            adaptive_scale: true,
            adaptive_scale_interval: 100,
            sigma: 1e-6,
            sigma_follows_scale: true,
            rho_tau: 1.0,
            anderson_memory: 10,
            anderson_interval: 5,
            check_interval: 5,
            polish: false,
        }
    }
}

impl AdmmSettings {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), SolverError> {
        let positive = [
            ("admm.eps_abs", self.eps_abs),
            ("admm.eps_rel", self.eps_rel),
            ("admm.eps_feas", self.eps_feas),
            ("admm.eps_infeas", self.eps_infeas),
            ("admm.scale", self.scale),
            ("admm.sigma", self.sigma),
            ("admm.rho_tau", self.rho_tau),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(SolverError::Settings {
                    name,
                    reason: format!("must be positive and finite, got {v}"),
                });
            }
        }
        if !(self.alpha > 0.0 && self.alpha < 2.0) {
            return Err(SolverError::Settings {
                name: "admm.alpha",
                reason: format!("must lie in (0, 2), got {}", self.alpha),
            });
        }
        if self.anderson_interval == 0 {
            return Err(SolverError::Settings {
                name: "admm.anderson_interval",
                reason: "must be at least 1".into(),
            });
        }
        if self.check_interval == 0 {
            return Err(SolverError::Settings {
                name: "admm.check_interval",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// Settings of the interior-point method.
///
/// Termination uses relative residuals (see [`crate::Residuals`]): the point
/// is `Solved` when the primal and dual residuals are below `eps_feas` and the
/// duality gap is below `eps_abs` (absolute) or `eps_rel` (relative). The
/// `reduced_*` tier gives `AlmostSolved` when progress stalls.
///
/// ```
/// use lpgd_solver::Settings;
/// let s = Settings { max_iter: 50, ..Settings::default() };
/// assert_eq!(s.eps_abs, 1e-8);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Algorithm.
    pub method: Method,
    /// Iteration limit.
    pub max_iter: u32,
    /// Wall-clock limit in seconds (including setup).
    pub time_limit: f64,
    /// Print an iteration table to stderr.
    pub verbose: bool,
    /// Absolute duality-gap tolerance.
    pub eps_abs: f64,
    /// Relative duality-gap tolerance.
    pub eps_rel: f64,
    /// Relative primal and dual residual tolerance.
    pub eps_feas: f64,
    /// Absolute tolerance of infeasibility certificates.
    pub eps_infeas_abs: f64,
    /// Relative tolerance of infeasibility certificates.
    pub eps_infeas_rel: f64,
    /// Reduced tolerances used for `AlmostSolved` / almost-infeasible statuses.
    pub reduced_eps_abs: f64,
    /// See `reduced_eps_abs`.
    pub reduced_eps_rel: f64,
    /// See `reduced_eps_abs`.
    pub reduced_eps_feas: f64,
    /// See `reduced_eps_abs`.
    pub reduced_eps_infeas_abs: f64,
    /// See `reduced_eps_abs`.
    pub reduced_eps_infeas_rel: f64,
    /// Fraction of the distance to the cone boundary taken by a step.
    pub max_step_fraction: f64,
    /// Stop with the reduced tier when the step length falls below this.
    pub min_terminate_step_length: f64,
    /// Ruiz equilibration of the data.
    pub equilibrate_enable: bool,
    /// Ruiz iterations.
    pub equilibrate_max_iter: u32,
    /// Lower clip of equilibration scalings.
    pub equilibrate_min_scaling: f64,
    /// Upper clip of equilibration scalings.
    pub equilibrate_max_scaling: f64,
    /// Also scale the objective by `1/max(mean column norm of P, ‖c‖∞)`.
    /// Off by default: on the Maros-Meszaros problems with rows + cols ≤ 3000
    /// it cost iterations (1292 vs 1223 in total) and objective accuracy
    /// (QBEACONF stalls 2e-6 from its reference with it, 1e-10 without).
    pub equilibrate_cost: bool,
    /// Factorization of the KKT systems (interior-point method).
    pub kkt_backend: KktBackend,
    /// Static regularization `ε = static_reg_constant + static_reg_proportional·max|diag|`
    /// added with the expected pivot sign to the KKT diagonal.
    pub static_reg_constant: f64,
    /// See `static_reg_constant`.
    pub static_reg_proportional: f64,
    /// Pivots with the wrong sign or `|d| ≤ dynamic_reg_eps` are replaced by `±dynamic_reg_delta`.
    pub dynamic_reg_eps: f64,
    /// See `dynamic_reg_eps`.
    pub dynamic_reg_delta: f64,
    /// Iterative refinement against the unregularized KKT matrix.
    pub refine_enable: bool,
    /// Relative refinement tolerance.
    pub refine_reltol: f64,
    /// Absolute refinement tolerance.
    pub refine_abstol: f64,
    /// Maximum refinement steps per solve.
    pub refine_max_iter: u32,
    /// Stop refining when the residual shrinks by less than this ratio.
    pub refine_stop_ratio: f64,
    /// Settings of the operator-splitting method.
    pub admm: AdmmSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            method: Method::InteriorPoint,
            max_iter: 200,
            time_limit: f64::INFINITY,
            verbose: false,
            eps_abs: 1e-8,
            eps_rel: 1e-8,
            eps_feas: 1e-8,
            eps_infeas_abs: 1e-8,
            eps_infeas_rel: 1e-8,
            reduced_eps_abs: 5e-5,
            reduced_eps_rel: 5e-5,
            reduced_eps_feas: 1e-4,
            reduced_eps_infeas_abs: 5e-12,
            reduced_eps_infeas_rel: 5e-5,
            max_step_fraction: 0.99,
            min_terminate_step_length: 1e-4,
            equilibrate_enable: true,
            equilibrate_max_iter: 10,
            equilibrate_min_scaling: 1e-4,
            equilibrate_max_scaling: 1e4,
            equilibrate_cost: false,
            kkt_backend: KktBackend::Auto,
            static_reg_constant: 1e-8,
            static_reg_proportional: f64::EPSILON * f64::EPSILON,
            dynamic_reg_eps: 1e-13,
            dynamic_reg_delta: 2e-7,
            refine_enable: true,
            refine_reltol: 1e-13,
            refine_abstol: 1e-12,
            refine_max_iter: 10,
            refine_stop_ratio: 5.0,
            admm: AdmmSettings::default(),
        }
    }
}

impl Settings {
    /// Rejects settings that cannot work (non-positive tolerances, a step
    /// fraction outside (0, 1], a NaN limit).
    pub fn validate(&self) -> Result<(), SolverError> {
        let positive = [
            ("eps_abs", self.eps_abs),
            ("eps_rel", self.eps_rel),
            ("eps_feas", self.eps_feas),
            ("eps_infeas_abs", self.eps_infeas_abs),
            ("eps_infeas_rel", self.eps_infeas_rel),
            ("reduced_eps_abs", self.reduced_eps_abs),
            ("reduced_eps_rel", self.reduced_eps_rel),
            ("reduced_eps_feas", self.reduced_eps_feas),
            ("time_limit", self.time_limit),
            ("equilibrate_min_scaling", self.equilibrate_min_scaling),
            ("equilibrate_max_scaling", self.equilibrate_max_scaling),
        ];
        for (name, v) in positive {
            if v.is_nan() || v <= 0.0 {
                return Err(SolverError::Settings {
                    name,
                    reason: format!("must be positive, got {v}"),
                });
            }
        }
        if !(self.max_step_fraction > 0.0 && self.max_step_fraction <= 1.0) {
            return Err(SolverError::Settings {
                name: "max_step_fraction",
                reason: format!("must lie in (0, 1], got {}", self.max_step_fraction),
            });
        }
        self.admm.validate()
    }
}
