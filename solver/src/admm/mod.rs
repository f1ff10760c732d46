//! Operator splitting on the homogeneous self-dual embedding with quadratic
//! objectives (O'Donoghue, "Operator splitting for a homogeneous embedding
//! of the linear complementarity problem", SIAM J. Optim. 2021 — the method
//! of SCS 3).
//!
//! With `u = (x, y, τ)`, `v = (r, s, κ)`, the cone `C = ℝⁿ × K* × ℝ₊` and
//!
//! ```text
//!        [ P   Aᵀ  c ]       [    0     ]
//! F(u) = [ −A  0   b ] u  +  [    0     ]
//!        [ −cᵀ −bᵀ 0 ]       [ −xᵀPx/τ  ]
//! ```
//!
//! the embedding asks for `v = F(u)`, `u ∈ C`, `v ∈ C*`, `uᵀv = 0`. With the
//! diagonal metric `R = diag(σI, diag(1/ρ), d)` the Douglas-Rachford
//! iteration on `w` reads
//!
//! ```text
//! ũ = (R + F)⁻¹ R w                 (linear step, [`linsys`])
//! u = Π_C(2ũ − w)                   (projection, [`crate::projection`])
//! w ← w + α(u − ũ)                  (relaxed update, α ∈ (0, 2))
//! ```
//!
//! and `v = R(w + u − 2ũ)` pairs with `u` exactly: `u ∈ C`, `v ∈ C*`,
//! `uᵀv = 0` at every iteration, so only `v − F(u) → 0` remains to converge.
//!
//! **Linear step.** For fixed `τ` the first two block rows of
//! `Rũ + F(ũ) = Rw` are linear in `(x, y)`:
//! `K [x; y] = [σw_x − cτ; −w_y/ρ + bτ]` with the quasi-definite
//! `K = [P + σI, Aᵀ; A, −diag(1/ρ)]`, hence `(x, y) = p − τq` with
//! `Kp = [σw_x; −w_y/ρ]` and the constant `Kq = [c; −b]`. The third row then
//! is the quadratic `aτ² + βτ + γ = 0`,
//!
//! ```text
//! a = d + cᵀq_x + bᵀq_y − q_xᵀPq_x = d + σ‖q_x‖² + ρ⁻¹‖q_y‖²  (> 0),
//! β = −cᵀp_x − bᵀp_y + 2p_xᵀPq_x − d·w_τ,   γ = −p_xᵀPp_x  (≤ 0),
//! ```
//!
//! whose larger root is `τ̃ ≥ 0` (`ρ⁻¹‖q_y‖²` is `Σ q_yᵢ²/ρᵢ`). The weight
//! `d = ρ_τ·max(1, σ‖q_x‖² + ρ⁻¹‖q_y‖²)` of `τ` is set relative to the rest of
//! `a` (a fixed `d` let `τ` collapse to the trivial fixed point `u = 0` on
//! problems with many rows). One factorization of `K` serves every
//! iteration and every re-solve with new `c`, `b`; new values of `P`, `A` or
//! a new step size `ρ` refactor numerically on the shared symbolic analysis.
//! With a linear objective a new step size does not:
//! `σ(s) = σ₀·s/s₀` follows it, so `K(s) = T K(s_f) T` with
//! `T = diag(tI, I/t)`, `t = √(s/s_f)`, for the step size `s_f` of the
//! factorization, and the linear step scales its right-hand side and its
//! result by `T⁻¹` ([`crate::AdmmSettings::sigma_follows_scale`]).
//!
//! **Acceleration and step size.** Type-II Anderson acceleration
//! ([`anderson`]) on the map `w ↦ w + α(u − ũ)`, with its least-squares
//! problem and its safeguard in the `R`-norm `‖g‖²_R = Σ Rᵢgᵢ²`, the norm in
//! which the iteration is nonexpansive (`R` spans `σ = 1e-6` to `1/ρ = 10`:
//! in the Euclidean norm the acceleration stalled on small LPs). The
//! safeguard undoes a step whose fixed-point residual grows. At least every
//! [`crate::AdmmSettings::adaptive_scale_interval`] iterations the step size
//! is multiplied by `√(primal/dual)`, the geometric mean over the checks
//! since the last update of the ratio of relative residuals (as SCS does;
//! the instantaneous ratio oscillated and the updates undid each other),
//! when that factor leaves `[1/3, 3]`, rounded to the grid
//! `scale₀·10^(k/2)` around the initial step size (so that the problems
//! of a lockstep batch reach common step sizes and share their
//! factorizations, [`crate::batch`]), and `w` is mapped to the new metric
//! (`w = u + R⁻¹v`) so the point `(u, v)` is kept.
//!
//! **Termination.** At `x = u_x/τ`, `y = u_y/τ`, `s = v_s/τ` with the
//! interior-point method's residuals ([`crate::Residuals`]); infeasibility
//! from the normalized certificates `bᵀy = −1, ‖Aᵀy‖∞ ≤ ε` (primal) and
//! `cᵀx = −1, ‖Px‖∞, ‖Ax + s‖∞ ≤ ε` (dual) with `y = u_y`, `(x, s) = (u_x, v_s)`.

pub mod anderson;
pub mod linsys;
mod polish;

use crate::cones::SupportedCone;
use crate::csc::CscMatrix;
use crate::equilibrate::{equilibrate, Equilibration};
use crate::error::{ProblemError, SolverError};
use crate::problem::{check_update, dot, ProblemData};
use crate::projection::{Projector, Side};
use crate::residuals::{
    evaluate, inf_norm, is_optimal, recover_solution, scaled_inf_norm, score, DataNorms, Outcome,
    ScaledIterate,
};
use crate::settings::Settings;
use crate::solution::{Residuals, Solution, Status, Timings};
use anderson::Anderson;
use linsys::{KktFactor, KktPattern, SolveWorkspace};
use std::sync::Arc;
use std::time::Instant;

/// Step size multiplier of equality (zero-cone) rows.
const ZERO_CONE_RHO_FACTOR: f64 = 1000.0;
/// Bounds of the adaptive step size.
const MIN_SCALE: f64 = 1e-6;
const MAX_SCALE: f64 = 1e6;
/// A step-size update happens when `√(primal/dual)` leaves `[1/F, F]`.
const SCALE_UPDATE_FACTOR: f64 = 3.0;
/// Updated step sizes lie on the grid `scale₀·10^(k/SCALE_GRID_STEPS)`
/// around the solve's initial step size `scale₀`, so that problems of a
/// lockstep batch that move by similar factors land on the same step size
/// and keep sharing one factorization ([`FactorCache`]).
const SCALE_GRID_STEPS: f64 = 2.0;

/// The factorizations of `K` for the step sizes the problems of one
/// lockstep group have moved to: a problem whose step-size update lands on
/// a step size another problem already factored takes that factorization
/// (the same values it would compute: `K` depends only on the shared `P`,
/// `A`, `σ` and the step size) and stays in lockstep with it.
#[derive(Debug, Default)]
pub(crate) struct FactorCache {
    entries: std::sync::Mutex<Vec<(u64, Arc<KktFactor>)>>,
}

impl FactorCache {
    /// A cache holding `factor`, the factorization at step size `scale`.
    pub(crate) fn new(scale: f64, factor: &Arc<KktFactor>) -> Self {
        FactorCache {
            entries: std::sync::Mutex::new(vec![(scale.to_bits(), Arc::clone(factor))]),
        }
    }

    fn get(&self, scale: f64) -> Option<Arc<KktFactor>> {
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|(k, _)| *k == scale.to_bits())
            .map(|(_, f)| Arc::clone(f))
    }

    fn insert(&self, scale: f64, factor: &Arc<KktFactor>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.push((scale.to_bits(), Arc::clone(factor)));
        }
    }
}

/// Where a solve starts. The operator-splitting method starts exactly
/// there; the interior-point method moves a given or previous point into
/// the interior near the central path first
/// ([`crate::InteriorPointSolver::solve_from_point`]).
#[derive(Debug, Clone, Copy)]
pub enum Start<'a> {
    /// `w = (0, 0, 1)` with the configured initial step size.
    Cold,
    /// The last iterate and step size of the previous solve (a cold start if
    /// there was none; interior point: if it did not end solved). The
    /// natural warm start after a data update.
    Previous,
    /// A given primal-dual point in the user's variables (e.g. a previous
    /// solution), kept with the current step size.
    Point {
        /// Primal `x`, length `n`.
        x: &'a [f64],
        /// Dual `y`, length `m`.
        y: &'a [f64],
        /// Slack `s`, length `m`.
        s: &'a [f64],
    },
    /// [`Start::Point`] at a given step size, e.g. the one a previous solve
    /// of a similar problem ended with ([`crate::Solution::step_size`]),
    /// as [`Start::Previous`] keeps it for the same solver; clamped to
    /// `[1e-6, 1e6]`. The step size is the origin of the solve's grid of
    /// step-size updates. With a linear objective it costs no
    /// refactorization ([`crate::AdmmSettings::sigma_follows_scale`]). The
    /// interior-point method ignores it.
    PointAt {
        /// Primal `x`, length `n`.
        x: &'a [f64],
        /// Dual `y`, length `m`.
        y: &'a [f64],
        /// Slack `s`, length `m`.
        s: &'a [f64],
        /// Step size `ρ` of the inequality rows, positive and finite.
        scale: f64,
    },
}

impl<'a> Start<'a> {
    /// The start of a batch item, on a solver whose previous solve (if
    /// any) was another item's: [`Start::Previous`] becomes [`Start::Cold`].
    ///
    /// ```
    /// use lpgd_solver::Start;
    /// assert!(matches!(Start::Previous.for_batch_item(), Start::Cold));
    /// let x = [1.0];
    /// let point = Start::Point { x: &x, y: &[], s: &[] };
    /// assert!(matches!(point.for_batch_item(), Start::Point { .. }));
    /// ```
    pub fn for_batch_item(self) -> Start<'a> {
        match self {
            Start::Previous => Start::Cold,
            s => s,
        }
    }
}

/// The iterate vectors (scaled data), each of length `n + m + 1`.
#[derive(Debug, Clone)]
struct Iterate {
    w: Vec<f64>,
    ut: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    /// `T(w) = w + α(u − ũ)` and `g = T(w) − w`.
    tw: Vec<f64>,
    g: Vec<f64>,
    /// `T(w)` of the last accepted iterate (the safeguard's fallback).
    tw_prev: Vec<f64>,
}

impl Iterate {
    fn new(len: usize) -> Self {
        let z = vec![0.0; len];
        Iterate {
            w: z.clone(),
            ut: z.clone(),
            u: z.clone(),
            v: z.clone(),
            tw: z.clone(),
            g: z.clone(),
            tw_prev: z,
        }
    }
}

/// The equilibrated `P̂` (upper triangle) and `Â`, shared by the clones of
/// a solver (the problems of a batch, whose iterations then read one copy
/// from the cache) until one of them gets new values.
#[derive(Debug, Clone)]
struct ScaledMatrices {
    p: CscMatrix,
    a: CscMatrix,
}

/// Products of the residual evaluation (scaled data).
#[derive(Debug, Clone)]
struct Work {
    /// Right-hand side and solution of the linear step, `n + m`.
    p: Vec<f64>,
    /// `P̂u_x`, `Âᵀu_y`, `Âu_x` and the embedding residuals.
    px: Vec<f64>,
    aty: Vec<f64>,
    ax: Vec<f64>,
    rx: Vec<f64>,
    rz: Vec<f64>,
    /// `Π_C` input `2ũ − w` of the cone block.
    zy: Vec<f64>,
}

/// Scalars of the last evaluated iterate.
#[derive(Debug, Clone, Copy, Default)]
struct Info {
    pobj: f64,
    dobj: f64,
    res: Residuals,
    /// Relative primal and dual residuals used by the step-size update.
    pres_scale: f64,
    dres_scale: f64,
}

/// The loop state of one run, kept outside the solver so a batch can
/// advance many runs in lockstep ([`crate::batch`]).
#[derive(Debug, Clone)]
pub(crate) struct RunState {
    t0: Instant,
    factor_time: f64,
    status: Status,
    info: Info,
    evaluated: bool,
    iter: u32,
    last_scale_update: u32,
    /// Σ log(primal/dual) over the checks since the last step-size update,
    /// and their count: the update factor is their geometric mean.
    sum_log_ratio: f64,
    n_log_ratio: u32,
    accelerated: bool,
    norm_g_prev: f64,
    /// Fixed-point residual of the current iteration.
    norm_g: f64,
    /// Step size at the start of the solve: the origin of the grid of
    /// updated step sizes.
    base_scale: f64,
    /// Factorizations shared with the other problems of a lockstep group.
    factors: Option<Arc<FactorCache>>,
}

/// An operator-splitting solver bound to one problem. The symbolic
/// analysis and a numeric factorization of `K` are done in
/// [`AdmmSolver::new`]; [`AdmmSolver::solve_from`] warm-starts.
///
/// ```
/// use lpgd_solver::admm::{AdmmSolver, Start};
/// use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, Status, SupportedCone};
/// // minimize x₁ + 2x₂ subject to x₁ + x₂ = 1, x ≥ 0
/// let a = CscMatrix::from_triplets(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 1], &[1.0, 1.0, -1.0, -1.0]).unwrap();
/// let prob = ProblemData::new(None, vec![1.0, 2.0], a, vec![1.0, 0.0, 0.0],
///     vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)]).unwrap();
/// let settings = Settings { method: Method::Admm, ..Settings::default() };
/// let mut solver = AdmmSolver::new(prob, settings).unwrap();
/// let sol = solver.solve();
/// assert_eq!(sol.status, Status::Solved);
/// assert!((sol.objective - 1.0).abs() < 1e-4);
/// // A perturbed cost, warm-started from the previous iterate.
/// solver.update_c(&[1.0, 2.001]).unwrap();
/// let warm = solver.solve_from(Start::Previous).unwrap();
/// assert_eq!(warm.status, Status::Solved);
/// assert!(warm.iterations <= sol.iterations);
/// ```
#[derive(Debug, Clone)]
pub struct AdmmSolver {
    data: ProblemData,
    settings: Settings,
    equil: Equilibration,
    mats: Arc<ScaledMatrices>,
    c: Vec<f64>,
    b: Vec<f64>,
    factor: Arc<KktFactor>,
    solve_ws: SolveWorkspaceCell,
    projector: ProjectorCell,
    /// Rows of zero-cone blocks.
    equality_rows: Vec<bool>,
    /// All cones are zero or nonnegative, so [`polish`] applies.
    polishable: bool,
    /// Step-size pattern: 1 on inequality rows, `ZERO_CONE_RHO_FACTOR` on
    /// equality rows; `ρ = scale·rho_pattern`.
    rho_pattern: Vec<f64>,
    rho: Vec<f64>,
    /// `1/ρ` (the iteration multiplies by it).
    rho_inv: Vec<f64>,
    /// Current step size.
    scale: f64,
    /// `σ` at the current step size
    /// ([`crate::AdmmSettings::sigma_follows_scale`]).
    sigma: f64,
    /// Step size and `σ` with which `K` was last factored.
    factor_scale: f64,
    factor_sigma: f64,
    /// `P̂` is zero (no stored entries, or only zeros): the objective is
    /// linear.
    p_zero: bool,
    /// `t = √(scale/factor_scale)` when `σ` follows the step size:
    /// `K(scale)⁻¹ = T⁻¹K_f⁻¹T⁻¹` with `T = diag(tI, I/t)` and `K_f` the
    /// factored matrix (1 otherwise).
    lin_t: f64,
    /// `Kq = [ĉ; −b̂]`, `P̂q_x` and `ĉᵀq_x + b̂ᵀq_y − q_xᵀP̂q_x`.
    q: Vec<f64>,
    pq: Vec<f64>,
    q_coef: f64,
    /// Weight `d = ρ_τ·max(1, σ‖q_x‖² + ρ⁻¹‖q_y‖²)` of `τ` in the metric
    /// `R`: relative to the `(x, y)` part of the quadratic, so that `τ̃`
    /// neither collapses to 0 (a fixed point of the embedding) on problems
    /// with many rows nor barely moves on small ones.
    d_tau: f64,
    /// Diagonal of `R` (`σ`, `1/ρᵢ`, `d`): the metric in which the iteration
    /// is nonexpansive, used by the acceleration and its safeguard.
    metric: Vec<f64>,
    it: Iterate,
    work: Work,
    aa: Anderson,
    has_previous: bool,
    /// `P̂` or `Â` changed since the last factorization.
    needs_refactor: bool,
    /// `ĉ` or `b̂` changed since `q` was computed.
    needs_q: bool,
    setup_time: f64,
    norms: DataNorms,
}

/// [`SolveWorkspace`] and [`Projector`] hold scratch memory only; cloning a
/// solver gives the clone fresh scratch.
#[derive(Debug)]
struct SolveWorkspaceCell(SolveWorkspace);
impl Clone for SolveWorkspaceCell {
    fn clone(&self) -> Self {
        SolveWorkspaceCell(self.0.fresh())
    }
}
#[derive(Debug)]
struct ProjectorCell(Projector);
impl Clone for ProjectorCell {
    fn clone(&self) -> Self {
        ProjectorCell(Projector::new(self.0.cones()))
    }
}

impl AdmmSolver {
    /// Validates the problem and settings, equilibrates the data, and
    /// factors `K` (symbolic analysis and numeric factorization).
    pub fn new(data: ProblemData, settings: Settings) -> Result<Self, SolverError> {
        let t0 = Instant::now();
        data.validate()?;
        crate::problem::check_p_psd(&data.p)?;
        settings.validate()?;
        let cones = crate::cones::CompositeCone::new(&data.cones)?;
        let mut p = CscMatrix::clone(&data.p);
        let mut a = CscMatrix::clone(&data.a);
        let mut c = data.c.clone();
        let mut b = data.b.clone();
        let equil = equilibrate(&mut p, &mut c, &mut a, &mut b, &cones, &settings);
        let pattern = Arc::new(KktPattern::with_backend(&p, &a, settings.kkt_backend)?);
        let (n, m) = (data.n(), data.m());
        let mut rho_pattern = Vec::with_capacity(m);
        for cone in &data.cones {
            let f = if matches!(cone, SupportedCone::Zero(_)) {
                ZERO_CONE_RHO_FACTOR
            } else {
                1.0
            };
            rho_pattern.extend(std::iter::repeat_n(f, cone.dim()));
        }
        let equality_rows: Vec<bool> = rho_pattern.iter().map(|&f| f != 1.0).collect();
        let polishable = data
            .cones
            .iter()
            .all(|c| matches!(c, SupportedCone::Zero(_) | SupportedCone::Nonnegative(_)));
        let scale = settings.admm.scale;
        let rho: Vec<f64> = rho_pattern.iter().map(|f| f * scale).collect();
        let settings_sigma = settings.admm.sigma;
        let p_zero = p.nzval.iter().all(|&v| v == 0.0);
        let factor = KktFactor::new(pattern.clone(), &p, &a, settings_sigma, &rho)?;
        let solve_ws = SolveWorkspace::new(&pattern, 1);
        let projector = Projector::new(&data.cones);
        let len = n + m + 1;
        let norms = DataNorms {
            c: inf_norm(&data.c),
            b: inf_norm(&data.b),
            obj_constant: data.obj_constant,
        };
        let mut solver = AdmmSolver {
            aa: Anderson::new(len, settings.admm.anderson_memory),
            settings,
            equil,
            mats: Arc::new(ScaledMatrices { p, a }),
            c,
            b,
            factor: Arc::new(factor),
            solve_ws: SolveWorkspaceCell(solve_ws),
            projector: ProjectorCell(projector),
            equality_rows,
            polishable,
            rho_pattern,
            rho_inv: rho.iter().map(|r| 1.0 / r).collect(),
            rho,
            scale,
            sigma: settings_sigma,
            factor_scale: scale,
            factor_sigma: settings_sigma,
            lin_t: 1.0,
            p_zero,
            q: vec![0.0; n + m],
            pq: vec![0.0; n],
            q_coef: 0.0,
            d_tau: 1.0,
            metric: vec![1.0; len],
            it: Iterate::new(len),
            work: Work {
                p: vec![0.0; n + m],
                px: vec![0.0; n],
                aty: vec![0.0; n],
                ax: vec![0.0; m],
                rx: vec![0.0; n],
                rz: vec![0.0; m],
                zy: vec![0.0; m],
            },
            has_previous: false,
            needs_refactor: false,
            needs_q: false,
            setup_time: 0.0,
            norms,
            data,
        };
        solver.update_q();
        solver.setup_time = t0.elapsed().as_secs_f64();
        Ok(solver)
    }

    /// Makes `self` what `proto.clone()` would be, reusing its memory and
    /// its copy of `P`, `A` and the cones: for a clone of `proto` whose
    /// `c`, `b` and run state have changed since, and nothing else (a
    /// problem of a lockstep batch taking over the solver of a finished
    /// one, [`crate::batch`]), without another copy of `A`. Every field is
    /// named, so a new field has to say how it is reset.
    pub(crate) fn reset_to(&mut self, proto: &Self) {
        let AdmmSolver {
            data,
            settings,
            equil,
            mats,
            c,
            b,
            factor,
            solve_ws: _,
            projector: _,
            equality_rows,
            polishable,
            rho_pattern,
            rho,
            rho_inv,
            scale,
            sigma,
            factor_scale,
            factor_sigma,
            lin_t,
            p_zero,
            q,
            pq,
            q_coef,
            d_tau,
            metric,
            it,
            work,
            aa,
            has_previous,
            needs_refactor,
            needs_q,
            setup_time,
            norms,
        } = self;
        debug_assert!(
            data.a.nnz() == proto.data.a.nnz()
                && data.p.nnz() == proto.data.p.nnz()
                && data.cones == proto.data.cones
        );
        data.c.clone_from(&proto.data.c);
        data.b.clone_from(&proto.data.b);
        data.obj_constant = proto.data.obj_constant;
        settings.clone_from(&proto.settings);
        equil.clone_from(&proto.equil);
        mats.clone_from(&proto.mats);
        c.clone_from(&proto.c);
        b.clone_from(&proto.b);
        factor.clone_from(&proto.factor);
        equality_rows.clone_from(&proto.equality_rows);
        *polishable = proto.polishable;
        rho_pattern.clone_from(&proto.rho_pattern);
        rho.clone_from(&proto.rho);
        rho_inv.clone_from(&proto.rho_inv);
        *scale = proto.scale;
        *sigma = proto.sigma;
        *factor_scale = proto.factor_scale;
        *factor_sigma = proto.factor_sigma;
        *lin_t = proto.lin_t;
        *p_zero = proto.p_zero;
        q.clone_from(&proto.q);
        pq.clone_from(&proto.pq);
        *q_coef = proto.q_coef;
        *d_tau = proto.d_tau;
        metric.clone_from(&proto.metric);
        it.clone_from(&proto.it);
        work.clone_from(&proto.work);
        aa.clone_from(&proto.aa);
        *has_previous = proto.has_previous;
        *needs_refactor = proto.needs_refactor;
        *needs_q = proto.needs_q;
        *setup_time = proto.setup_time;
        *norms = proto.norms;
    }

    /// The problem as currently stored (original, unscaled).
    pub fn problem(&self) -> &ProblemData {
        &self.data
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Mutable settings (tolerances and limits may change between solves;
    /// a new initial step size takes effect at the next cold start).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// The equilibration scalings.
    pub fn equilibration(&self) -> &Equilibration {
        &self.equil
    }

    /// The current factorization of `K` (shared with clones of this solver
    /// until one of them refactors).
    pub fn factor(&self) -> &Arc<KktFactor> {
        &self.factor
    }

    /// The current step size `ρ` of the inequality rows.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Performs a refactorization pending after an update of `P` or `A` now
    /// rather than at the next solve, so that clones made afterwards share
    /// it (e.g. the problems of a batch).
    pub fn prepare(&mut self) -> Result<(), SolverError> {
        if self.needs_refactor {
            self.refactor()?;
        }
        Ok(())
    }

    /// Replaces the linear cost `c` (no refactorization).
    pub fn update_c(&mut self, c: &[f64]) -> Result<(), ProblemError> {
        self.equil.update_c(&mut self.data, &mut self.c, c)?;
        self.norms.c = inf_norm(c);
        self.needs_q = true;
        Ok(())
    }

    /// Replaces the right-hand side `b` (no refactorization).
    pub fn update_b(&mut self, b: &[f64]) -> Result<(), ProblemError> {
        self.equil.update_b(&mut self.data, &mut self.b, b)?;
        self.norms.b = inf_norm(b);
        self.needs_q = true;
        Ok(())
    }

    /// Replaces the values of `A` (same pattern); the numeric
    /// refactorization happens at the next solve.
    pub fn update_a_values(&mut self, vals: &[f64]) -> Result<(), ProblemError> {
        let mats = Arc::make_mut(&mut self.mats);
        self.equil
            .update_a_values(&mut self.data, &mut mats.a, vals)?;
        self.needs_refactor = true;
        Ok(())
    }

    /// Replaces the values of the upper triangle of `P` (same pattern); the
    /// numeric refactorization happens at the next solve. Values that make
    /// `P` indefinite are rejected ([`ProblemError::PIndefinite`],
    /// [`ProblemError::PNotPsd`]) and change nothing.
    pub fn update_p_values(&mut self, vals: &[f64]) -> Result<(), ProblemError> {
        let mats = Arc::make_mut(&mut self.mats);
        self.equil
            .update_p_values(&mut self.data, &mut mats.p, vals)?;
        self.p_zero = mats.p.nzval.iter().all(|&v| v == 0.0);
        self.needs_refactor = true;
        Ok(())
    }

    /// Runs the method from a cold start.
    pub fn solve(&mut self) -> Solution {
        self.run(Start::Cold)
    }

    /// Runs the method from `start`; fails only if a given point has the
    /// wrong lengths or non-finite entries.
    pub fn solve_from(&mut self, start: Start<'_>) -> Result<Solution, ProblemError> {
        self.check_start(start)?;
        Ok(self.run(start))
    }

    /// Lengths and finiteness of a given starting point.
    pub(crate) fn check_start(&self, start: Start<'_>) -> Result<(), ProblemError> {
        if let Start::Point { x, y, s } | Start::PointAt { x, y, s, .. } = start {
            check_update(x, self.data.n(), "warm-start x")?;
            check_update(y, self.data.m(), "warm-start y")?;
            check_update(s, self.data.m(), "warm-start s")?;
        }
        if let Start::PointAt { scale, .. } = start {
            if !(scale > 0.0 && scale.is_finite()) {
                return Err(ProblemError::InvalidStepSize { value: scale });
            }
        }
        Ok(())
    }

    /// Refactors `K` for the current `P̂`, `Â`, `σ` and `ρ` (copy-on-write if
    /// the factor is shared) and recomputes `q`.
    fn refactor(&mut self) -> Result<(), SolverError> {
        self.sigma = self.sigma_at(self.scale);
        let mats = &*self.mats;
        Arc::make_mut(&mut self.factor).refactor(&mats.p, &mats.a, self.sigma, &self.rho)?;
        self.factor_scale = self.scale;
        self.factor_sigma = self.sigma;
        self.needs_refactor = false;
        self.update_q();
        Ok(())
    }

    /// Whether `σ` follows the step size: a linear objective (`P̂ = 0`) with
    /// [`crate::AdmmSettings::sigma_follows_scale`].
    fn sigma_follows(&self) -> bool {
        self.settings.admm.sigma_follows_scale && self.p_zero
    }

    /// `σ` at step size `s`: `sigma·s/scale₀` if it follows the step size,
    /// `sigma` otherwise (both exactly `sigma` at `s = scale₀`).
    fn sigma_at(&self, s: f64) -> f64 {
        let a = &self.settings.admm;
        if self.sigma_follows() {
            a.sigma * (s / a.scale)
        } else {
            a.sigma
        }
    }

    /// Whether the factorization gives `K` at step size `s` for the
    /// current settings: through the scaling `T` of
    /// [`crate::AdmmSettings::sigma_follows_scale`] if `σ` follows the step
    /// size (whatever the step size it was computed at), directly
    /// otherwise.
    fn factor_fits(&self, s: f64) -> bool {
        if self.sigma_follows() {
            self.factor_sigma == self.sigma_at(self.factor_scale)
        } else {
            self.factor_scale == s && self.factor_sigma == self.settings.admm.sigma
        }
    }

    /// Multiplies `[z_x; z_y]` by `T⁻¹ = diag(I/t, tI)`, before and after
    /// the solve with the factored `K_f`: `K(s)⁻¹ = T⁻¹K_f⁻¹T⁻¹`.
    fn unscale_linear(z: &mut [f64], n: usize, t: f64) {
        if t == 1.0 {
            return;
        }
        let (zx, zy) = z.split_at_mut(n);
        let inv = 1.0 / t;
        zx.iter_mut().for_each(|v| *v *= inv);
        zy.iter_mut().for_each(|v| *v *= t);
    }

    /// `Kq = [ĉ; −b̂]`, `P̂q_x` and the coefficient `ĉᵀq_x + b̂ᵀq_y − q_xᵀP̂q_x`.
    fn update_q(&mut self) {
        let n = self.data.n();
        self.lin_t = (self.scale / self.factor_scale).sqrt();
        self.q[..n].copy_from_slice(&self.c);
        for (qi, bi) in self.q[n..].iter_mut().zip(&self.b) {
            *qi = -bi;
        }
        Self::unscale_linear(&mut self.q, n, self.lin_t);
        self.factor
            .solve_in_place(&mut self.q, 1, &mut self.solve_ws.0);
        Self::unscale_linear(&mut self.q, n, self.lin_t);
        let (qx, qy) = self.q.split_at(n);
        self.mats.p.symv_upper(&mut self.pq, qx, 1.0, 0.0);
        self.q_coef = dot(&self.c, qx) + dot(&self.b, qy) - dot(qx, &self.pq);
        self.d_tau = self.settings.admm.rho_tau * self.q_coef.max(1.0);
        self.needs_q = false;
        let (mx, rest) = self.metric.split_at_mut(n);
        mx.fill(self.sigma);
        rest[..self.rho_inv.len()].copy_from_slice(&self.rho_inv);
        rest[rest.len() - 1] = self.d_tau;
        self.aa.set_metric(&self.metric);
    }

    /// Sets the step size for the following solves that do not start cold:
    /// `ρ = scale·rho_pattern` (clamped to `[1e-6, 1e6]`), refactoring now
    /// and keeping the last iterate `(u, v)` for [`Start::Previous`]. A
    /// [`Start::Point`] is taken with the current step size, so this is how
    /// a warm start gets a step size other than the one the last solve ended
    /// with; a cold start still begins at `settings.admm.scale`. The
    /// adaptive rule ([`crate::AdmmSettings::adaptive_scale`]) moves it by
    /// at most a factor of the square root of the residual ratio per
    /// hundred iterations, so a warm start on a problem whose data moved far
    /// (e.g. LPGD's perturbed problems with a large `τ` and `ρ`) can need
    /// many iterations without a better one. A positive finite `scale` is
    /// required.
    ///
    /// ```
    /// use lpgd_solver::{AdmmSolver, CscMatrix, Method, ProblemData, Settings, Start, SupportedCone};
    /// // minimize x subject to x ≥ 1, warm-started at step size 10.
    /// let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[-1.0]).unwrap();
    /// let data = ProblemData::new(None, vec![1.0], a, vec![-1.0],
    ///     vec![SupportedCone::Nonnegative(1)]).unwrap();
    /// let mut admm = AdmmSolver::new(data, Settings { method: Method::Admm, ..Settings::default() }).unwrap();
    /// admm.set_scale(10.0).unwrap();
    /// assert_eq!(admm.scale(), 10.0);
    /// let sol = admm.solve_from(Start::Point { x: &[1.0], y: &[1.0], s: &[0.0] }).unwrap();
    /// assert!((sol.x[0] - 1.0).abs() < 1e-4);
    /// assert!(admm.set_scale(f64::NAN).is_err());
    /// ```
    pub fn set_scale(&mut self, scale: f64) -> Result<(), SolverError> {
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(SolverError::Settings {
                name: "scale",
                reason: format!("must be positive and finite, got {scale}"),
            });
        }
        let scale = scale.clamp(MIN_SCALE, MAX_SCALE);
        if scale == self.scale && !self.needs_refactor {
            return Ok(());
        }
        self.rescale(scale)?;
        self.remap_w();
        self.aa.reset();
        Ok(())
    }

    /// Sets `ρ = scale·rho_pattern` and `σ`, and refactors unless the
    /// factorization serves the new step size
    /// ([`crate::AdmmSettings::sigma_follows_scale`]).
    fn rescale(&mut self, scale: f64) -> Result<(), SolverError> {
        self.set_rho(scale);
        if self.needs_refactor || !self.factor_fits(scale) {
            self.refactor()
        } else {
            self.update_q();
            Ok(())
        }
    }

    /// `ρ = scale·rho_pattern`, `1/ρ` and `σ`.
    fn set_rho(&mut self, scale: f64) {
        self.scale = scale;
        self.sigma = self.sigma_at(scale);
        for ((r, ri), f) in self
            .rho
            .iter_mut()
            .zip(&mut self.rho_inv)
            .zip(&self.rho_pattern)
        {
            *r = f * scale;
            *ri = 1.0 / *r;
        }
    }

    /// [`AdmmSolver::rescale`] that takes the factorization from `cache`
    /// when another problem has computed it, and adds its own otherwise.
    fn rescale_shared(&mut self, scale: f64, cache: &FactorCache) -> Result<(), SolverError> {
        if !self.needs_refactor && self.sigma_follows() && self.factor_fits(scale) {
            return self.rescale(scale);
        }
        let Some(factor) = cache.get(scale) else {
            self.rescale(scale)?;
            cache.insert(scale, &self.factor);
            return Ok(());
        };
        self.set_rho(scale);
        self.factor = factor;
        self.factor_scale = scale;
        self.factor_sigma = self.sigma;
        self.update_q();
        Ok(())
    }

    /// Brings the factorization up to date and sets the initial `w` for
    /// `start` (scaled data).
    fn initialize(
        &mut self,
        start: Start<'_>,
        factors: Option<&FactorCache>,
    ) -> Result<(), SolverError> {
        let (n, m) = (self.data.n(), self.data.m());
        let previous = matches!(start, Start::Previous) && self.has_previous;
        let cold = matches!(start, Start::Cold | Start::Previous) && !previous;
        let given = match start {
            Start::PointAt { scale, .. } => Some(scale.clamp(MIN_SCALE, MAX_SCALE)),
            _ => None,
        };
        if cold && self.scale != self.settings.admm.scale {
            self.rescale(self.settings.admm.scale)?;
        } else if let Some(scale) = given.filter(|&s| s != self.scale) {
            match factors {
                Some(cache) => self.rescale_shared(scale, cache)?,
                None => self.rescale(scale)?,
            }
        } else if self.needs_refactor || !self.factor_fits(self.scale) {
            self.set_rho(self.scale);
            self.refactor()?;
        } else if self.needs_q {
            self.update_q();
        }
        let eq = &self.equil;
        match start {
            _ if previous => {}
            Start::Point { x, y, s } | Start::PointAt { x, y, s, .. } => {
                // u = (x̂, ŷ, 1), v = (0, ŝ, 0), w = u + R⁻¹v.
                let w = &mut self.it.w;
                for j in 0..n {
                    w[j] = eq.dinv[j] * x[j];
                }
                for i in 0..m {
                    w[n + i] = eq.c_scale * eq.einv[i] * y[i] + self.rho[i] * eq.e[i] * s[i];
                }
                w[n + m] = 1.0;
            }
            _ => {
                self.it.w.fill(0.0);
                self.it.w[n + m] = 1.0;
            }
        }
        if previous {
            self.aa.forget_last();
        } else {
            self.aa.reset();
        }
        Ok(())
    }

    /// The right-hand side `[σw_x; −w_y/ρ]` of the linear step, in the
    /// buffer that [`Self::linear_finish`] reads as `p = K⁻¹[σw_x; −w_y/ρ]`.
    /// With `σ` following the step size it is `T⁻¹[σw_x; −w_y/ρ]`, for
    /// the factored `K_f` ([`Self::unscale_linear`]).
    pub(crate) fn linear_rhs(&mut self) {
        let n = self.data.n();
        let t = self.lin_t;
        let sigma = self.sigma / t;
        let w = &self.it.w;
        let p = &mut self.work.p;
        for (pj, wj) in p[..n].iter_mut().zip(w) {
            *pj = sigma * wj;
        }
        for ((pi, wi), r) in p[n..].iter_mut().zip(&w[n..]).zip(&self.rho_inv) {
            *pi = -wi * r * t;
        }
    }

    /// Applies `K⁻¹` to the buffer of [`Self::linear_rhs`] with this
    /// solver's own factorization.
    pub(crate) fn solve_linear(&mut self) {
        self.factor
            .solve_in_place(&mut self.work.p, 1, &mut self.solve_ws.0);
    }

    /// The buffer of [`Self::linear_rhs`], to receive `K⁻¹` applied to it by
    /// a shared multi-right-hand-side solve.
    pub(crate) fn linear_buffer(&mut self) -> &mut [f64] {
        &mut self.work.p
    }

    /// The linear step `ũ = (R + F)⁻¹Rw` from `p = K⁻¹[σw_x; −w_y/ρ]`
    /// (after the scaling `T⁻¹` if `σ` follows the step size).
    fn linear_finish(&mut self) {
        let n = self.data.n();
        Self::unscale_linear(&mut self.work.p, n, self.lin_t);
        let sigma = self.sigma;
        let w = &self.it.w[..];
        let p = &self.work.p[..];
        let (px, py) = p.split_at(n);
        let (wx, rest) = w.split_at(n);
        let (wy, w_tau) = rest.split_at(py.len());
        let (c, b) = (&self.c[..], &self.b[..]);
        let (ppp, ppq, cpx, bpy) = if self.mats.p.nnz() > 0 {
            let (qx, qy) = self.q.split_at(n);
            quadratic_terms(sigma, px, py, wx, wy, qx, qy, c, b, &self.rho_inv)
        } else {
            (0.0, 0.0, dot(c, px), dot(b, py))
        };
        let a = self.d_tau + self.q_coef;
        let beta = -cpx - bpy + 2.0 * ppq - self.d_tau * w_tau[0];
        let tau = root_plus(a, beta, -ppp);
        let (ut_xy, ut_tau) = self.it.ut.split_at_mut(p.len());
        for ((u, &pk), &qk) in ut_xy.iter_mut().zip(p).zip(&self.q) {
            *u = pk - tau * qk;
        }
        ut_tau[0] = tau;
    }

    /// `u = Π_C(2ũ − w)`, `v = R(u − (2ũ − w))`, `T(w) = w + α(u − ũ)`;
    /// returns `‖g‖_R` of `g = T(w) − w`.
    fn projection_step(&mut self) -> f64 {
        let (n, m) = (self.data.n(), self.data.m());
        let alpha = self.settings.admm.alpha;
        let it = &mut self.it;
        let (ut, w) = (&it.ut[..], &it.w[..]);
        let (ux, rest) = it.u.split_at_mut(n);
        let (uy, u_tau) = rest.split_at_mut(m);
        let (vx, rest) = it.v.split_at_mut(n);
        let (vy, v_tau) = rest.split_at_mut(m);
        let (utx, rest) = ut.split_at(n);
        let (uty, ut_tau) = rest.split_at(m);
        let (wx, rest) = w.split_at(n);
        let (wy, w_tau) = rest.split_at(m);
        for ((u, &t), &wj) in ux.iter_mut().zip(utx).zip(wx) {
            *u = 2.0 * t - wj;
        }
        vx.fill(0.0);
        let zy = &mut self.work.zy[..];
        for ((z, &t), &wi) in zy.iter_mut().zip(uty).zip(wy) {
            *z = 2.0 * t - wi;
        }
        self.projector.0.project_side(Side::Dual, zy, uy);
        for (((v, &u), &z), &r) in vy.iter_mut().zip(&*uy).zip(&*zy).zip(&self.rho_inv) {
            *v = (u - z) * r;
        }
        let zt = 2.0 * ut_tau[0] - w_tau[0];
        u_tau[0] = zt.max(0.0);
        v_tau[0] = self.d_tau * (u_tau[0] - zt);
        // g and T(w), with ‖g‖²_R = Σ rₖgₖ² summed in index order.
        let mut norm2 = -0.0;
        for (((((g, tw), &u), &t), &wk), &r) in
            it.g.iter_mut()
                .zip(&mut it.tw)
                .zip(&it.u)
                .zip(ut)
                .zip(w)
                .zip(&self.metric)
        {
            *g = alpha * (u - t);
            *tw = wk + *g;
            norm2 += r * *g * *g;
        }
        norm2.sqrt()
    }

    /// Residuals of `(u, v)` in the original data.
    fn evaluate(&mut self) -> Info {
        self.evaluate_with(false)
    }

    /// [`Self::evaluate`], with `A u_x` and `Aᵀu_y` already in the
    /// workspace if `products_ready`.
    fn evaluate_with(&mut self, products_ready: bool) -> Info {
        let (n, m) = (self.data.n(), self.data.m());
        let (ux, rest) = self.it.u.split_at(n);
        let (uy, ut) = rest.split_at(m);
        let tau = ut[0];
        let vs = &self.it.v[n..n + m];
        let w = &mut self.work;
        let mats = &*self.mats;
        mats.p.symv_upper(&mut w.px, ux, 1.0, 0.0);
        if !products_ready && !self.factor.a_products(&mut w.ax, &mut w.aty, ux, uy) {
            mats.a.gemv_t(&mut w.aty, uy, 1.0, 0.0);
            mats.a.gemv(&mut w.ax, ux, 1.0, 0.0);
        }
        for j in 0..n {
            w.rx[j] = w.px[j] + w.aty[j] + self.c[j] * tau;
        }
        for i in 0..m {
            w.rz[i] = w.ax[i] + vs[i] - self.b[i] * tau;
        }
        let xpx = dot(ux, &w.px);
        let cx = dot(&self.c, ux);
        let by = dot(&self.b, uy);
        // Relative residuals of the scaled embedding, for the step size.
        let pden = inf_norm(&w.ax)
            .max(inf_norm(vs))
            .max(inf_norm(&self.b) * tau);
        let dden = inf_norm(&w.px)
            .max(inf_norm(&w.aty))
            .max(inf_norm(&self.c) * tau);
        let pres_scale = inf_norm(&w.rz) / pden.max(1e-300);
        let dres_scale = inf_norm(&w.rx) / dden.max(1e-300);
        if tau.is_nan() || tau <= 0.0 {
            return Info {
                pobj: f64::NAN,
                dobj: f64::NAN,
                res: Residuals {
                    primal: f64::INFINITY,
                    dual: f64::INFINITY,
                    gap_abs: f64::INFINITY,
                    gap_rel: f64::INFINITY,
                },
                pres_scale,
                dres_scale,
            };
        }
        let (pobj, dobj, res) = evaluate(
            &ScaledIterate {
                s: vs,
                tau,
                rx: &w.rx,
                rz: &w.rz,
                px: &w.px,
                atz: &w.aty,
                ax: &w.ax,
                xpx,
                cx,
                bz: by,
            },
            &self.equil,
            &self.norms,
        );
        Info {
            pobj,
            dobj,
            res,
            pres_scale,
            dres_scale,
        }
    }

    /// Normalized infeasibility certificates at `(u, v)` (after [`Self::evaluate`]).
    fn check_infeasibility(&self) -> Option<Status> {
        let (n, m) = (self.data.n(), self.data.m());
        let eq = &self.equil;
        let eps = self.settings.admm.eps_infeas;
        let uy = &self.it.u[n..n + m];
        // Only finite rays certify anything: an overflowed iterate
        // (`bᵀy = −∞`) would pass the inequalities.
        let by = dot(&self.b, uy);
        if by < 0.0 && by.is_finite() && scaled_inf_norm(&self.work.aty, &eq.dinv) <= -eps * by {
            return Some(Status::PrimalInfeasible);
        }
        let cx = dot(&self.c, &self.it.u[..n]) / eq.c_scale;
        if cx < 0.0 && cx.is_finite() {
            let px = scaled_inf_norm(&self.work.px, &eq.dinv) / eq.c_scale;
            let vs = &self.it.v[n..n + m];
            let mut axs = 0.0f64;
            for i in 0..m {
                axs = axs.max(((self.work.ax[i] + vs[i]) * eq.einv[i]).abs());
            }
            if px <= -eps * cx && axs <= -eps * cx {
                return Some(Status::DualInfeasible);
            }
        }
        None
    }

    fn run(&mut self, start: Start<'_>) -> Solution {
        let mut st = self.begin(start, None);
        while self.next_iteration(&mut st) {
            self.linear_rhs();
            self.solve_linear();
            self.complete_iteration(&mut st);
        }
        self.finish(st)
    }

    /// Brings the factorization up to date and sets the starting point;
    /// step-size changes take their factorizations from `factors` (shared
    /// with the other problems of a lockstep stream) when given.
    pub(crate) fn begin(
        &mut self,
        start: Start<'_>,
        factors: Option<&Arc<FactorCache>>,
    ) -> RunState {
        let mut st = RunState {
            t0: Instant::now(),
            factor_time: 0.0,
            status: Status::Unsolved,
            info: Info::default(),
            evaluated: false,
            iter: 0,
            last_scale_update: 0,
            sum_log_ratio: 0.0,
            n_log_ratio: 0,
            accelerated: false,
            norm_g_prev: f64::INFINITY,
            norm_g: f64::INFINITY,
            base_scale: 0.0,
            factors: factors.cloned(),
        };
        let tf = Instant::now();
        if self.initialize(start, factors.map(|f| &**f)).is_err() {
            st.status = Status::NumericalError;
        }
        st.base_scale = self.scale;
        st.factor_time += tf.elapsed().as_secs_f64();
        if self.settings.verbose {
            eprintln!(
                "lpgd-solver (admm): n = {}, m = {}, nnz(P) = {}, nnz(A) = {}, nnz(L) = {}",
                self.data.n(),
                self.data.m(),
                self.data.p.nnz(),
                self.data.a.nnz(),
                self.factor.pattern().factor_nnz()
            );
            eprintln!(
                "{:>6}  {:>13}  {:>13}  {:>9}  {:>9}  {:>9}  {:>9}",
                "iter", "pcost", "dcost", "gap", "pres", "dres", "scale"
            );
        }
        st
    }

    /// Whether another iteration runs: false once a status is set, or when
    /// the iteration or time limit is reached (which sets it).
    pub(crate) fn next_iteration(&self, st: &mut RunState) -> bool {
        if st.status != Status::Unsolved {
            return false;
        }
        if st.iter >= self.settings.admm.max_iter {
            st.status = Status::MaxIterations;
            return false;
        }
        if self.setup_time + st.t0.elapsed().as_secs_f64() > self.settings.time_limit {
            st.status = Status::TimeLimit;
            return false;
        }
        true
    }

    /// The rest of an iteration once `K⁻¹` has been applied to
    /// [`Self::linear_rhs`]: `τ̃` and `ũ`, the projection, the termination
    /// tests, the step-size update and the (accelerated) update of `w`.
    pub(crate) fn complete_iteration(&mut self, st: &mut RunState) {
        if self.project_iteration(st) {
            self.conclude_iteration(st, false);
        }
    }

    /// The first part of [`Self::complete_iteration`]: `τ̃` and `ũ` and the
    /// projection. False if the iteration ends there (a numerical error,
    /// or an accelerated step undone); otherwise
    /// [`Self::conclude_iteration`] follows.
    pub(crate) fn project_iteration(&mut self, st: &mut RunState) -> bool {
        self.linear_finish();
        let norm_g = self.projection_step();
        st.iter += 1;
        st.norm_g = norm_g;
        if !norm_g.is_finite() {
            st.status = Status::NumericalError;
            return false;
        }
        // Safeguard: an accelerated step that increased the fixed-point
        // residual is undone (restart from the plain iterate).
        if st.accelerated && norm_g > st.norm_g_prev {
            self.it.w.copy_from_slice(&self.it.tw_prev);
            self.aa.reset();
            st.accelerated = false;
            return false;
        }
        true
    }

    /// Whether the iteration that [`Self::project_iteration`] just ran
    /// checks termination (every [`crate::AdmmSettings::check_interval`]
    /// iterations, and after the first).
    pub(crate) fn evaluation_due(&self, st: &RunState) -> bool {
        st.iter.is_multiple_of(self.settings.admm.check_interval) || st.iter == 1
    }

    /// The point `[u_x; u_y]` whose products `A u_x` and `Aᵀu_y` the
    /// termination check needs (after [`Self::project_iteration`]).
    pub(crate) fn residual_point(&self) -> &[f64] {
        &self.it.u[..self.data.n() + self.data.m()]
    }

    /// Where [`Self::conclude_iteration`] with `products_ready` expects
    /// `Aᵀu_y` and `A u_x`.
    pub(crate) fn product_buffers(&mut self) -> (&mut [f64], &mut [f64]) {
        (&mut self.work.aty, &mut self.work.ax)
    }

    /// The second part of [`Self::complete_iteration`]: the termination
    /// tests when due, the step-size update and the update of `w`. With
    /// `products_ready`, the check takes `A u_x` and `Aᵀu_y` from
    /// [`Self::product_buffers`] (computed for several problems at once by
    /// a lockstep batch) instead of computing them.
    pub(crate) fn conclude_iteration(&mut self, st: &mut RunState, products_ready: bool) {
        let anderson_interval = self.settings.admm.anderson_interval;
        let (iter, norm_g) = (st.iter, st.norm_g);
        if self.evaluation_due(st) {
            st.info = self.evaluate_with(products_ready);
            st.evaluated = true;
            if self.settings.verbose && (iter.is_multiple_of(100) || iter == 1) {
                self.print_line(iter, &st.info);
            }
            let s = &self.settings.admm;
            if is_optimal(&st.info.res, s.eps_abs, s.eps_rel, s.eps_feas) {
                st.status = Status::Solved;
                return;
            }
            if let Some(status) = self.check_infeasibility() {
                st.status = status;
                return;
            }
            if self.update_scale(st) {
                return;
            }
        }
        st.norm_g_prev = norm_g;
        // `tw_prev ← T(w)` by a swap: `tw` is rewritten by the next iteration.
        let it = &mut self.it;
        std::mem::swap(&mut it.tw_prev, &mut it.tw);
        if iter.is_multiple_of(anderson_interval) {
            st.accelerated = self.aa.step(&mut it.w, &it.tw_prev, &it.g);
        } else {
            it.w.copy_from_slice(&it.tw_prev);
            st.accelerated = false;
        }
    }

    /// Accumulates the residual ratio of the last evaluation and, at least
    /// [`crate::AdmmSettings::adaptive_scale_interval`] iterations after the
    /// previous update, changes the step size by the geometric mean of the
    /// ratios when it leaves `[1/3, 3]`, rounded to the grid
    /// `scale₀·10^(k/2)` ([`SCALE_GRID_STEPS`]). Returns true if the step
    /// size changed (or the refactorization failed, which sets the status).
    fn update_scale(&mut self, st: &mut RunState) -> bool {
        let s = &self.settings.admm;
        if !s.adaptive_scale {
            return false;
        }
        let log_ratio = (st.info.pres_scale / st.info.dres_scale).ln();
        if log_ratio.is_finite() {
            st.sum_log_ratio += log_ratio;
            st.n_log_ratio += 1;
        }
        if st.iter - st.last_scale_update < s.adaptive_scale_interval {
            return false;
        }
        let ratio = (0.5 * st.sum_log_ratio / f64::from(st.n_log_ratio.max(1))).exp();
        if (1.0 / SCALE_UPDATE_FACTOR..=SCALE_UPDATE_FACTOR).contains(&ratio) {
            return false;
        }
        let steps = (SCALE_GRID_STEPS * (self.scale * ratio / st.base_scale).log10()).round();
        let new_scale =
            (st.base_scale * 10f64.powf(steps / SCALE_GRID_STEPS)).clamp(MIN_SCALE, MAX_SCALE);
        if new_scale == self.scale || !new_scale.is_finite() {
            return false;
        }
        st.last_scale_update = st.iter;
        st.sum_log_ratio = 0.0;
        st.n_log_ratio = 0;
        let tf = Instant::now();
        let ok = match st.factors.as_deref() {
            Some(cache) => self.rescale_shared(new_scale, cache).is_ok(),
            None => self.rescale(new_scale).is_ok(),
        };
        st.factor_time += tf.elapsed().as_secs_f64();
        if !ok {
            st.status = Status::NumericalError;
            return true;
        }
        self.remap_w();
        self.aa.reset();
        st.accelerated = false;
        st.norm_g_prev = f64::INFINITY;
        true
    }

    /// Ends a run: the reduced-tolerance fallback at a limit, polishing,
    /// and the solution in the user's variables.
    pub(crate) fn finish(&mut self, st: RunState) -> Solution {
        let RunState {
            t0,
            mut factor_time,
            mut status,
            mut info,
            evaluated,
            iter,
            ..
        } = st;
        self.has_previous = status != Status::NumericalError;
        if matches!(status, Status::MaxIterations | Status::TimeLimit) && evaluated {
            // The last evaluated point may meet the reduced tolerances.
            info = self.evaluate();
            let r = &self.settings;
            if is_optimal(
                &info.res,
                r.reduced_eps_abs,
                r.reduced_eps_rel,
                r.reduced_eps_feas,
            ) {
                status = Status::AlmostSolved;
            }
        }
        if !evaluated || matches!(status, Status::NumericalError) {
            info.pobj = f64::NAN;
            info.dobj = f64::NAN;
            if !evaluated {
                info.res = Residuals {
                    primal: f64::NAN,
                    dual: f64::NAN,
                    gap_abs: f64::NAN,
                    gap_rel: f64::NAN,
                };
            }
        }
        if self.settings.admm.polish && status.is_solved() && self.polishable {
            let tf = Instant::now();
            if let Some(polished) = self.try_polish(&info) {
                info = polished;
                status = Status::Solved;
            }
            factor_time += tf.elapsed().as_secs_f64();
        }
        let solve_time = t0.elapsed().as_secs_f64();
        if self.settings.verbose {
            if evaluated {
                self.print_line(iter, &info);
            }
            eprintln!(
                "status: {status}, iterations: {iter}, time: {:.3e} s (setup {:.3e} s)",
                self.setup_time + solve_time,
                self.setup_time
            );
        }
        self.make_solution(
            status,
            iter,
            &info,
            Timings {
                setup: self.setup_time,
                solve: solve_time,
                factor: factor_time,
            },
        )
    }

    /// Polishes the current point ([`polish`]); on success `(u, v)` hold the
    /// polished point (with `τ = 1`) and its evaluation is returned.
    fn try_polish(&mut self, info: &Info) -> Option<Info> {
        let (n, m) = (self.data.n(), self.data.m());
        let tau = self.it.u[n + m];
        if tau.is_nan() || tau <= 0.0 {
            return None;
        }
        let y: Vec<f64> = self.it.u[n..n + m].iter().map(|v| v / tau).collect();
        let sl: Vec<f64> = self.it.v[n..n + m].iter().map(|v| v / tau).collect();
        let (xp, yp, sp) = polish::polish(
            &self.factor,
            &self.mats.p,
            &self.mats.a,
            &self.c,
            &self.b,
            &self.equality_rows,
            &y,
            &sl,
        )?;
        let (u_old, v_old) = (self.it.u.clone(), self.it.v.clone());
        self.it.u[..n].copy_from_slice(&xp);
        self.it.u[n..n + m].copy_from_slice(&yp);
        self.it.u[n + m] = 1.0;
        self.it.v.fill(0.0);
        self.it.v[n..n + m].copy_from_slice(&sp);
        let pinfo = self.evaluate();
        let s = &self.settings.admm;
        if is_optimal(&pinfo.res, s.eps_abs, s.eps_rel, s.eps_feas)
            && score(&pinfo.res) <= score(&info.res)
        {
            if self.settings.verbose {
                eprintln!(
                    "polished: pres {:.2e}, dres {:.2e}, gap {:.2e}",
                    pinfo.res.primal, pinfo.res.dual, pinfo.res.gap_rel
                );
            }
            Some(pinfo)
        } else {
            self.it.u = u_old;
            self.it.v = v_old;
            None
        }
    }

    /// After a step-size change keep `(u, v)`: `w = u + R⁻¹v`.
    fn remap_w(&mut self) {
        let (n, m) = (self.data.n(), self.data.m());
        let it = &mut self.it;
        it.w[..n].copy_from_slice(&it.u[..n]);
        for i in 0..m {
            it.w[n + i] = it.u[n + i] + self.rho[i] * it.v[n + i];
        }
        it.w[n + m] = it.u[n + m] + it.v[n + m] / self.d_tau;
    }

    fn print_line(&self, iter: u32, info: &Info) {
        eprintln!(
            "{:>6}  {:>13.6e}  {:>13.6e}  {:>9.2e}  {:>9.2e}  {:>9.2e}  {:>9.2e}",
            iter,
            info.pobj,
            info.dobj,
            info.res.gap_rel,
            info.res.primal,
            info.res.dual,
            self.scale
        );
    }

    fn make_solution(
        &self,
        status: Status,
        iterations: u32,
        info: &Info,
        timings: Timings,
    ) -> Solution {
        let (n, m) = (self.data.n(), self.data.m());
        let out = Outcome {
            status,
            iterations,
            pobj: info.pobj,
            dobj: info.dobj,
            res: info.res,
            timings,
        };
        let (u, v) = (&self.it.u, &self.it.v);
        let mut sol = recover_solution(
            &out,
            &self.equil,
            &self.data,
            &u[..n],
            &u[n..n + m],
            &v[n..n + m],
            u[n + m],
        );
        sol.step_size = Some(self.scale);
        sol
    }
}

/// Larger root of `aτ² + βτ + γ` with `a > 0`, `γ ≤ 0` (so it is `≥ 0`),
/// written without cancellation for either sign of `β`.
fn root_plus(a: f64, beta: f64, gamma: f64) -> f64 {
    let disc = (beta * beta - 4.0 * a * gamma).max(0.0).sqrt();
    if beta <= 0.0 {
        (-beta + disc) / (2.0 * a)
    } else if disc + beta > 0.0 {
        -2.0 * gamma / (beta + disc)
    } else {
        0.0
    }
}

/// `p_xᵀP̂p_x`, `q_xᵀP̂p_x`, `ĉᵀp_x` and `b̂ᵀp_y` in one pass over each block
/// (separate accumulators, each summed in index order), without a product
/// with `P̂`: the first block row of `Kp` gives `P̂p_x = σ(w_x − p_x) − Âᵀp_y`,
/// the second `Âp_x = (p_y − w_y)/ρ`, and `Kq` gives `Âq_x = q_y/ρ − b̂`. The
/// first is clamped at 0.
#[allow(clippy::too_many_arguments)]
fn quadratic_terms(
    sigma: f64,
    px: &[f64],
    py: &[f64],
    wx: &[f64],
    wy: &[f64],
    qx: &[f64],
    qy: &[f64],
    c: &[f64],
    b: &[f64],
    rho_inv: &[f64],
) -> (f64, f64, f64, f64) {
    let (mut ppp, mut ppq) = (0.0, 0.0);
    // −0.0 is the starting value of `Iterator::sum` (as in `dot`).
    let (mut cpx, mut bpy) = (-0.0, -0.0);
    for (((&pj, &wj), &qj), &cj) in px.iter().zip(wx).zip(qx).zip(c) {
        let d = sigma * (wj - pj);
        ppp += pj * d;
        ppq += qj * d;
        cpx += cj * pj;
    }
    for ((((&pi, &wi), &qi), &bi), &r) in py.iter().zip(wy).zip(qy).zip(b).zip(rho_inv) {
        ppp -= pi * (pi - wi) * r;
        ppq -= pi * (qi * r - bi);
        bpy += bi * pi;
    }
    (ppp.max(0.0), ppq, cpx, bpy)
}

#[cfg(test)]
mod tests {
    use super::root_plus;

    #[test]
    fn root_plus_is_the_larger_nonnegative_root() {
        // (τ − 2)(τ + 3) = τ² + τ − 6 and (τ + 2)(τ − 3) = τ² − τ − 6.
        assert!((root_plus(1.0, 1.0, -6.0) - 2.0).abs() < 1e-15);
        assert!((root_plus(1.0, -1.0, -6.0) - 3.0).abs() < 1e-15);
        // γ = 0: roots 0 and −β/a.
        assert!((root_plus(2.0, -4.0, 0.0) - 2.0).abs() < 1e-15);
        assert_eq!(root_plus(2.0, 4.0, 0.0), 0.0);
        // Tiny γ with β > 0: the small root without cancellation.
        let r = root_plus(1.0, 1e8, -1e-8);
        assert!((r - 1e-16).abs() < 1e-30, "{r:e}");
    }
}
