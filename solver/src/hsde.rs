//! Primal-dual interior-point method on the homogeneous self-dual embedding
//! extended to quadratic objectives (Goulart & Chen, "Clarabel: An
//! interior-point solver for conic programs with quadratic objectives",
//! 2024, eq. (8)):
//!
//! ```text
//! [0]   [  P   Aᵀ  c ] [x]   [    0     ]
//! [s] = [ −A   0   b ] [z] + [    0     ]      (s, z) ∈ K × K*,  τ, κ ≥ 0
//! [κ]   [ −cᵀ −bᵀ  0 ] [τ]   [ −xᵀPx/τ  ]
//! ```
//!
//! Each iteration linearizes the embedding, solves the KKT system twice
//! (the constant right-hand side `[−c; b]` and the step right-hand side) and
//! takes a Mehrotra predictor-corrector step with Nesterov-Todd scaling.
//! A solution is `x/τ, z/τ, s/τ` when `τ > 0`; `κ > 0` with `τ → 0` yields an
//! infeasibility certificate.

use crate::cones::CompositeCone;
use crate::csc::CscMatrix;
use crate::equilibrate::{equilibrate, Equilibration};
use crate::error::{ProblemError, SolverError};
use crate::kkt::KktSystem;
use crate::problem::{dot, ProblemData};
use crate::residuals::{
    evaluate, inf_norm, is_optimal, recover_solution, scaled_inf_norm, score as residual_score,
    DataNorms, Outcome, ScaledIterate,
};
use crate::settings::{KktBackend, Settings};
use crate::solution::{Residuals, Solution, Status, Timings};
use std::time::Instant;

/// Iterations without a new best iterate after which the method stops.
const STALL_ITERATIONS: u32 = 10;
/// With nonsymmetric cones, a primal-dual scaled step shorter than this
/// switches to the dual scaling (Clarabel's `min_switch_step_length`).
const MIN_SWITCH_STEP_LENGTH: f64 = 0.1;

/// The iterate `(x, z, s, τ, κ)` of the embedding (in scaled data).
#[derive(Debug, Clone)]
struct Variables {
    x: Vec<f64>,
    z: Vec<f64>,
    s: Vec<f64>,
    tau: f64,
    kappa: f64,
}

impl Variables {
    fn new(n: usize, m: usize) -> Self {
        Variables {
            x: vec![0.0; n],
            z: vec![0.0; m],
            s: vec![0.0; m],
            tau: 1.0,
            kappa: 1.0,
        }
    }

    fn axpy(&mut self, alpha: f64, d: &Variables) {
        axpy(&mut self.x, alpha, &d.x);
        axpy(&mut self.z, alpha, &d.z);
        axpy(&mut self.s, alpha, &d.s);
        self.tau += alpha * d.tau;
        self.kappa += alpha * d.kappa;
    }

    fn copy_from(&mut self, o: &Variables) {
        self.x.copy_from_slice(&o.x);
        self.z.copy_from_slice(&o.z);
        self.s.copy_from_slice(&o.s);
        self.tau = o.tau;
        self.kappa = o.kappa;
    }
}

/// Residuals of the embedding at the current iterate (scaled data).
#[derive(Debug, Clone)]
struct EmbeddingResiduals {
    /// `Px + Aᵀz + cτ`.
    rx: Vec<f64>,
    /// `Ax + s − bτ`.
    rz: Vec<f64>,
    /// `κ + cᵀx + bᵀz + xᵀPx/τ`.
    rtau: f64,
    px: Vec<f64>,
    atz: Vec<f64>,
    ax: Vec<f64>,
    xpx: f64,
    cx: f64,
    bz: f64,
}

/// Where a solve starts.
#[derive(Clone, Copy)]
enum Init<'a> {
    /// [`InteriorPointSolver::initialize`] (or the unit point).
    Cold,
    /// A point in the user's variables.
    Point {
        x: &'a [f64],
        y: &'a [f64],
        s: &'a [f64],
    },
    /// The previous solve's final iterate.
    Previous,
}

/// Largest relative residual of a point that is warm-started: beyond it
/// the cold start is as good. Measured: the Sudoku layer's LPGD perturbed
/// QPs at `τ = 1e4` have `r ≈ 1` and took 10 iterations warm against 9
/// cold; the gradient benchmark's LPs at `τ = 1` (`r` from 0.34 to 0.92)
/// took 0.98 of the cold iterations, at `τ = 0.1` (`r ≈ 0.07`) 0.77.
const WARM_MAX_RESIDUAL: f64 = 0.5;

/// Smallest relative residual a warm start is centred at
/// ([`InteriorPointSolver::warm_initialize`]): a point that solves the data
/// already still starts a little inside, where Newton steps are well
/// defined.
const WARM_MU_MIN: f64 = 1e-10;

/// Scalar summary of an iterate in the original data.
#[derive(Debug, Clone, Copy, Default)]
struct Info {
    pobj: f64,
    dobj: f64,
    res: Residuals,
    step: f64,
}

/// An interior-point solver bound to one problem. The symbolic analysis of
/// the KKT matrix is done in [`InteriorPointSolver::new`] and reused by every
/// [`InteriorPointSolver::solve`], including after data updates of the same
/// pattern. [`crate::Solver`] selects it for [`crate::Method::InteriorPoint`].
/// A clone shares the symbolic analysis (the batch API relies on it).
#[derive(Clone)]
pub struct InteriorPointSolver {
    data: ProblemData,
    settings: Settings,
    cones: CompositeCone,
    equil: Equilibration,
    p: CscMatrix,
    a: CscMatrix,
    c: Vec<f64>,
    b: Vec<f64>,
    kkt: KktSystem,
    vars: Variables,
    step: Variables,
    res: EmbeddingResiduals,
    // Workspace, sized once.
    rhs: Vec<f64>,
    sol: Vec<f64>,
    x1z1: Vec<f64>,
    ds: Vec<f64>,
    ds_offset: Vec<f64>,
    work_z: Vec<f64>,
    work_s: Vec<f64>,
    best: Variables,
    setup_time: f64,
    /// Whether the last solve ended solved (its iterate can warm-start).
    previous_solved: bool,
    /// Whether the last run started from a warm point (not the cold start).
    started_warm: bool,
    /// Norms of the original data used by the relative residuals.
    norm_c: f64,
    norm_b: f64,
}

impl InteriorPointSolver {
    /// Validates the problem and settings, equilibrates the data, assembles
    /// the KKT matrix and performs its symbolic analysis. A `P` that is not
    /// positive semidefinite is rejected here with
    /// [`ProblemError::PIndefinite`] (see [`crate::problem::check_p_psd`]).
    pub fn new(data: ProblemData, settings: Settings) -> Result<Self, SolverError> {
        let t0 = Instant::now();
        data.validate()?;
        crate::problem::check_p_psd(&data.p)?;
        settings.validate()?;
        let (n, m) = (data.n(), data.m());
        let cones = CompositeCone::new(&data.cones)?;
        let mut p = CscMatrix::clone(&data.p);
        let mut a = CscMatrix::clone(&data.a);
        let mut c = data.c.clone();
        let mut b = data.b.clone();
        let equil = equilibrate(&mut p, &mut c, &mut a, &mut b, &cones, &settings);
        // Both normal equations square the data's magnitudes (AᵀH⁻¹A,
        // A D̃⁻¹Aᵀ, H⁻¹r):
        // data beyond 1e50 after equilibration keeps the sparse LDLᵀ.
        let extreme = [&p.nzval, &a.nzval, &c, &b]
            .iter()
            .any(|v| v.iter().any(|x| x.abs() > 1e50));
        let backend = match settings.kkt_backend {
            KktBackend::Auto if extreme => KktBackend::SparseLdl,
            other => other,
        };
        let kkt = KktSystem::with_backend(&p, &a, &cones, backend)?;
        let norm_c = inf_norm(&data.c);
        let norm_b = inf_norm(&data.b);
        Ok(InteriorPointSolver {
            settings,
            cones,
            equil,
            p,
            a,
            c,
            b,
            kkt,
            vars: Variables::new(n, m),
            step: Variables::new(n, m),
            best: Variables::new(n, m),
            res: EmbeddingResiduals {
                rx: vec![0.0; n],
                rz: vec![0.0; m],
                rtau: 0.0,
                px: vec![0.0; n],
                atz: vec![0.0; n],
                ax: vec![0.0; m],
                xpx: 0.0,
                cx: 0.0,
                bz: 0.0,
            },
            rhs: vec![0.0; n + m],
            sol: vec![0.0; n + m],
            x1z1: vec![0.0; n + m],
            ds: vec![0.0; m],
            ds_offset: vec![0.0; m],
            work_z: vec![0.0; m],
            work_s: vec![0.0; m],
            setup_time: t0.elapsed().as_secs_f64(),
            previous_solved: false,
            started_warm: false,
            norm_c,
            norm_b,
            data,
        })
    }

    /// The problem as currently stored (original, unscaled).
    pub fn problem(&self) -> &ProblemData {
        &self.data
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Mutable settings (tolerances and limits may change between solves).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// The KKT system of the last iteration (factorization and pattern).
    pub fn kkt(&self) -> &KktSystem {
        &self.kkt
    }

    /// The equilibration scalings.
    pub fn equilibration(&self) -> &Equilibration {
        &self.equil
    }

    /// Replaces the linear cost `c`.
    pub fn update_c(&mut self, c: &[f64]) -> Result<(), ProblemError> {
        self.equil.update_c(&mut self.data, &mut self.c, c)?;
        self.norm_c = inf_norm(c);
        Ok(())
    }

    /// Replaces the right-hand side `b`.
    pub fn update_b(&mut self, b: &[f64]) -> Result<(), ProblemError> {
        self.equil.update_b(&mut self.data, &mut self.b, b)?;
        self.norm_b = inf_norm(b);
        Ok(())
    }

    /// Replaces the values of `A`, given in its storage order (same pattern).
    pub fn update_a_values(&mut self, vals: &[f64]) -> Result<(), ProblemError> {
        self.equil
            .update_a_values(&mut self.data, &mut self.a, vals)?;
        self.kkt.update_a(&self.a);
        Ok(())
    }

    /// Replaces the values of the upper triangle of `P`, in its storage order
    /// (same pattern). Values that make `P` indefinite are rejected
    /// ([`ProblemError::PIndefinite`], [`ProblemError::PNotPsd`]) and change
    /// nothing.
    pub fn update_p_values(&mut self, vals: &[f64]) -> Result<(), ProblemError> {
        self.equil
            .update_p_values(&mut self.data, &mut self.p, vals)?;
        self.kkt.update_p(&self.p);
        Ok(())
    }

    /// Runs the interior-point method from a fresh starting point.
    pub fn solve(&mut self) -> Solution {
        self.run(Init::Cold, 0.0)
    }

    /// Runs the interior-point method from a primal-dual point `(x, y, s)`
    /// in the user's variables, typically the solution of a nearby problem
    /// (the warm start of LPGD's perturbed solves). The point is moved into
    /// the interior close to the central path at
    /// `μ₀ = r²·(1 + ‖s‖∞)(1 + ‖z‖∞)` (scaled data), `r` its largest
    /// relative residual (primal, dual, gap) on the current data, each
    /// complementary pair raised to products `≥ μ₀` keeping its large
    /// entries ([`crate::cones::Cone::warm_centre`]); with
    /// nonsymmetric cones, or when that fails, the solve starts cold. A warm
    /// run that ends other than [`Status::Solved`] (and not at a limit) is
    /// repeated from the cold start within the remaining time, whose result
    /// is returned (unless only the warm run came close: `AlmostSolved`);
    /// `iterations` and timings count both runs. Lengths are not checked
    /// here ([`crate::Solver::solve_from`] does).
    pub fn solve_from_point(&mut self, x: &[f64], y: &[f64], s: &[f64]) -> Solution {
        self.with_cold_retry(Init::Point { x, y, s })
    }

    /// Runs the interior-point method from the final iterate of the
    /// previous solve, if it ended solved (almost or fully); otherwise from
    /// the cold start. As [`Self::solve_from_point`] otherwise.
    pub fn solve_from_previous(&mut self) -> Solution {
        self.with_cold_retry(Init::Previous)
    }

    /// A warm run, confirmed from the cold start unless it ended
    /// [`Status::Solved`] or at a limit (a run that took the cold start
    /// anyway, for `r > WARM_MAX_RESIDUAL` or nonsymmetric cones, is not
    /// repeated): a warm start near a solution of
    /// other data can end at reduced accuracy, or at a certificate the cold
    /// start does not reproduce (seen on QBRANDY with `c` moved by 1e-3:
    /// a dual infeasibility certificate where the cold start finds the
    /// optimum). The cold result is returned unless the warm one is
    /// [`Status::AlmostSolved`] and the cold one is not solved.
    fn with_cold_retry(&mut self, init: Init<'_>) -> Solution {
        let warm = self.run(init, 0.0);
        let retry = !matches!(
            warm.status,
            Status::Solved | Status::MaxIterations | Status::TimeLimit
        );
        if !retry || !self.started_warm {
            return warm;
        }
        let warm_iterate = self.vars.clone();
        let warm_previous = self.previous_solved;
        let cold = self.run(Init::Cold, warm.timings.solve);
        let (iterations, solve, factor) = (
            warm.iterations + cold.iterations,
            warm.timings.solve + cold.timings.solve,
            warm.timings.factor + cold.timings.factor,
        );
        let keep_warm = warm.status == Status::AlmostSolved && !cold.status.is_solved();
        if keep_warm {
            self.vars = warm_iterate;
            self.previous_solved = warm_previous;
        }
        let mut out = if keep_warm { warm } else { cold };
        out.iterations = iterations;
        out.timings.solve = solve;
        out.timings.factor = factor;
        out
    }

    /// The method itself, from `init`; `elapsed` seconds of an earlier
    /// attempt count against the time limit.
    fn run(&mut self, init: Init<'_>, elapsed: f64) -> Solution {
        let t0 = Instant::now();
        self.started_warm = false;
        let mut factor_time = 0.0;
        let mut status = Status::Unsolved;
        let mut iter: u32 = 0;
        let mut info = Info::default();
        let mut best_info: Option<Info> = None;
        let mut stalled = 0u32;
        let mut evaluated = false;

        if self.settings.verbose {
            eprintln!(
                "lpgd-solver: n = {}, m = {}, nnz(P) = {}, nnz(A) = {}, cones = {}, nnz(KKT) = {}",
                self.data.n(),
                self.data.m(),
                self.data.p.nnz(),
                self.data.a.nnz(),
                self.data.cones.len(),
                self.kkt.nnz()
            );
            eprintln!(
                "{:>4}  {:>13}  {:>13}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>7}",
                "iter", "pcost", "dcost", "gap", "pres", "dres", "k/t", "mu", "step"
            );
        }

        // Nonsymmetric cones start with the primal-dual scaling and fall back
        // to the dual scaling (Clarabel's strategy) on numerical trouble or
        // short steps.
        let symmetric = self.cones.is_symmetric();
        let mut dual_scaling = false;
        self.cones.set_dual_scaling(false);
        if self.setup_time + elapsed > self.settings.time_limit {
            // Setup alone used the budget: no starting-point factorization.
            status = Status::TimeLimit;
        } else {
            let tf = Instant::now();
            let init_ok = if symmetric {
                let warm = match init {
                    Init::Cold => false,
                    Init::Point { x, y, s } => {
                        self.load_point(x, y, s);
                        self.warm_initialize()
                    }
                    Init::Previous => self.load_previous() && self.warm_initialize(),
                };
                self.started_warm = warm;
                warm || self.initialize()
            } else {
                self.unit_initialize();
                true
            };
            factor_time += tf.elapsed().as_secs_f64();
            if !init_ok {
                status = Status::NumericalError;
            }
        }

        while status == Status::Unsolved {
            self.compute_residuals();
            let mu = self.mu();
            info = self.compute_info(info.step);
            evaluated = true;
            if self.settings.verbose {
                eprintln!(
                    "{:>4}  {:>13.6e}  {:>13.6e}  {:>9.2e}  {:>9.2e}  {:>9.2e}  {:>9.2e}  {:>9.2e}  {:>7.3}",
                    iter,
                    info.pobj,
                    info.dobj,
                    info.res.gap_rel,
                    info.res.primal,
                    info.res.dual,
                    self.vars.kappa / self.vars.tau,
                    mu,
                    info.step
                );
            }
            if !all_finite(&self.vars) {
                status = Status::NumericalError;
                break;
            }
            if let Some(s) = self.check_termination(&info, false) {
                status = s;
                break;
            }
            if self.is_better(&info, best_info.as_ref()) {
                self.best.copy_from(&self.vars);
                best_info = Some(info);
                stalled = 0;
            } else if let Some(best) = best_info.filter(|b| self.is_optimal(b, true)) {
                // Past the numerical floor the iterates only get worse: stop
                // and fall back to the best one (reduced tolerances below).
                stalled += 1;
                if stalled >= STALL_ITERATIONS || score(&info) > 100.0 * score(&best) {
                    if !symmetric && !dual_scaling {
                        // Retry from the best iterate with the dual scaling.
                        dual_scaling = true;
                        self.cones.set_dual_scaling(true);
                        self.vars.copy_from(&self.best);
                        stalled = 0;
                        continue;
                    }
                    status = Status::InsufficientProgress;
                    break;
                }
            }
            if iter >= self.settings.max_iter {
                status = Status::MaxIterations;
                break;
            }
            if self.setup_time + elapsed + t0.elapsed().as_secs_f64() > self.settings.time_limit {
                status = Status::TimeLimit;
                break;
            }

            // Scaling and factorization.
            if !self.cones.update_scaling(&self.vars.s, &self.vars.z, mu) {
                status = Status::NumericalError;
                break;
            }
            let tf = Instant::now();
            let factored = self.kkt.update_and_factor(&self.cones, &self.settings);
            factor_time += tf.elapsed().as_secs_f64();
            // Constant right-hand side [−c; b].
            let n = self.data.n();
            for j in 0..n {
                self.rhs[j] = -self.c[j];
            }
            self.rhs[n..].copy_from_slice(&self.b);
            let mut x1z1 = std::mem::take(&mut self.x1z1);
            let ok = factored.is_ok() && self.kkt.solve(&mut x1z1, &self.rhs, &self.settings);
            self.x1z1 = x1z1;

            // Predictor (affine) step.
            let ok = ok && {
                self.cones.affine_ds(&mut self.ds, &self.vars.s);
                let dkappa = self.vars.tau * self.vars.kappa;
                self.compute_step(1.0, dkappa)
            };
            let alpha_aff = if ok { self.step_length(1.0) } else { 0.0 };
            let sigma = (1.0 - alpha_aff).powi(3);
            // Corrector (combined) step; with nonsymmetric cones the
            // second-order terms are damped by the affine step length in
            // the first iteration, whose starting point is poorly centred.
            let weight = if !symmetric && iter == 0 {
                alpha_aff
            } else {
                1.0
            };
            let ok = ok && self.combined_step(sigma, mu, weight);
            if !ok {
                if !symmetric && !dual_scaling {
                    dual_scaling = true;
                    self.cones.set_dual_scaling(true);
                    continue;
                }
                status = Status::NumericalError;
                break;
            }
            let alpha_max = self.step_length(1.0);
            let mut alpha = (self.settings.max_step_fraction * alpha_max).min(1.0);
            if dual_scaling {
                alpha = self.backtrack_to_neighbourhood(alpha);
            }
            info.step = alpha;
            if !symmetric && !dual_scaling && alpha < MIN_SWITCH_STEP_LENGTH {
                dual_scaling = true;
                self.cones.set_dual_scaling(true);
                continue;
            }
            if alpha < self.settings.min_terminate_step_length {
                status = Status::InsufficientProgress;
                break;
            }
            self.vars.axpy(alpha, &self.step);
            iter += 1;
        }

        // Fall back to the reduced tolerances, on the best iterate seen.
        if matches!(
            status,
            Status::MaxIterations
                | Status::TimeLimit
                | Status::NumericalError
                | Status::InsufficientProgress
        ) {
            // Only iterates whose residuals were evaluated qualify (a failed
            // initialization has none).
            if let Some(bi) = best_info {
                if self.is_better(&bi, Some(&info)) || !all_finite(&self.vars) {
                    self.vars.copy_from(&self.best);
                    self.compute_residuals();
                    info = self.compute_info(info.step);
                }
                // A run cut short by a limit has not stalled: an
                // infeasibility test at the reduced tolerances can pass on a
                // feasible problem there (POWELL20 after 2 iterations), so
                // only an almost-optimal point replaces a limit status.
                let limit_stop = matches!(status, Status::MaxIterations | Status::TimeLimit);
                match self.check_termination(&info, true) {
                    Some(s) if limit_stop && !s.is_solved() => {}
                    Some(s) => status = s,
                    None => {}
                }
            }
        }

        let solve_time = t0.elapsed().as_secs_f64();
        self.previous_solved = status.is_solved() && self.vars.tau > 0.0 && all_finite(&self.vars);
        if self.settings.verbose {
            eprintln!(
                "status: {status}, iterations: {iter}, time: {:.3e} s (setup {:.3e} s, factor {:.3e} s)",
                self.setup_time + solve_time,
                self.setup_time,
                factor_time
            );
        }
        if !evaluated {
            // No iterate was ever evaluated: there is nothing to report.
            info.pobj = f64::NAN;
            info.dobj = f64::NAN;
            info.res = Residuals {
                primal: f64::NAN,
                dual: f64::NAN,
                gap_abs: f64::NAN,
                gap_rel: f64::NAN,
            };
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

    /// Starting point for symmetric cones. With `H = I` in the KKT matrix:
    /// for a QP one solve of `K[x; z] = [−c; b]` gives `x`, `z` and `s = −z`
    /// (the minimizer of `½xᵀPx + cᵀx + ½‖Ax − b‖²`-type regularized
    /// problem); for an LP two solves separate the primal (`[0; b]`: `x`,
    /// `s = −z`) from the dual (`[−c; 0]`: `z`), since with `P = 0` one solve
    /// would tie them together. `s` and `z` are then shifted into the cone.
    fn initialize(&mut self) -> bool {
        let n = self.data.n();
        self.cones.set_identity_scaling();
        if self
            .kkt
            .update_and_factor(&self.cones, &self.settings)
            .is_err()
        {
            return false;
        }
        let mut sol = std::mem::take(&mut self.sol);
        let ok = if self.p.nnz() > 0 {
            for j in 0..n {
                self.rhs[j] = -self.c[j];
            }
            self.rhs[n..].copy_from_slice(&self.b);
            let ok = self.kkt.solve(&mut sol, &self.rhs, &self.settings);
            self.vars.x.copy_from_slice(&sol[..n]);
            self.vars.z.copy_from_slice(&sol[n..]);
            for (s, z) in self.vars.s.iter_mut().zip(&sol[n..]) {
                *s = -z;
            }
            ok
        } else {
            self.rhs[..n].fill(0.0);
            self.rhs[n..].copy_from_slice(&self.b);
            let ok1 = self.kkt.solve(&mut sol, &self.rhs, &self.settings);
            self.vars.x.copy_from_slice(&sol[..n]);
            for (s, z) in self.vars.s.iter_mut().zip(&sol[n..]) {
                *s = -z;
            }
            for j in 0..n {
                self.rhs[j] = -self.c[j];
            }
            self.rhs[n..].fill(0.0);
            let ok2 = self.kkt.solve(&mut sol, &self.rhs, &self.settings);
            self.vars.z.copy_from_slice(&sol[n..]);
            ok1 && ok2
        };
        self.sol = sol;
        self.cones.shift_to_cone(&mut self.vars.s);
        self.cones.shift_to_dual_cone(&mut self.vars.z);
        self.vars.tau = 1.0;
        self.vars.kappa = 1.0;
        ok
    }

    /// Loads a point in the user's variables into the iterate, in the
    /// scaled data (`x̂ = D⁻¹x`, `ŝ = Es`, `ẑ = c_scale·E⁻¹y`, `τ = 1`).
    fn load_point(&mut self, x: &[f64], y: &[f64], s: &[f64]) {
        let eq = &self.equil;
        for ((v, x), d) in self.vars.x.iter_mut().zip(x).zip(&eq.d) {
            *v = x / d;
        }
        for ((v, s), e) in self.vars.s.iter_mut().zip(s).zip(&eq.e) {
            *v = s * e;
        }
        for ((v, y), e) in self.vars.z.iter_mut().zip(y).zip(&eq.e) {
            *v = y * eq.c_scale / e;
        }
        self.vars.tau = 1.0;
    }

    /// Normalizes the last iterate to `τ = 1`; false if the previous solve
    /// did not end solved.
    fn load_previous(&mut self) -> bool {
        if !self.previous_solved {
            return false;
        }
        let inv = 1.0 / self.vars.tau;
        for v in self
            .vars
            .x
            .iter_mut()
            .chain(&mut self.vars.z)
            .chain(&mut self.vars.s)
        {
            *v *= inv;
        }
        self.vars.tau = 1.0;
        true
    }

    /// Warm starting point from the loaded `(x, z, s)` with `τ = 1`: with
    /// `r` the largest relative residual of the point on the current data
    /// (primal `‖Ax + s − b‖∞/(1 + ‖b‖∞)`, dual `‖Px + Aᵀz + c‖∞/(1 + ‖c‖∞)`,
    /// gap `|cᵀx + xᵀPx + bᵀz|/(1 + |cᵀx + xᵀPx| + |bᵀz|)`), the pair
    /// `(s, z)` is centred at
    /// `μ₀ = clamp(r², WARM_MU_MIN, 1)·(1 + ‖s‖∞)(1 + ‖z‖∞)`
    /// ([`crate::cones::Cone::warm_centre`]) and `κ = μ₀`: the closer the
    /// data are to those the point solves, the closer to the solution the
    /// method starts. The exponent is empirical: on the gradient
    /// benchmark's LPs and QPs (`lpgd bench grad`) with `c` moved by `τ·g`,
    /// `μ₀ ∝ r²` was never slower than the cold start for `τ` from `1e-5`
    /// to `1` and took 0.3× its iterations at `τ = 1e-3`, where `μ₀ ∝ r`
    /// took 0.5× and was slower than cold at `τ = 1` with a smaller factor.
    /// (Skajaa, Andersen & Ye, "Warmstarting the homogeneous and self-dual
    /// interior point method for linear and conic quadratic problems",
    /// 2013, blend the point with the cold start instead; this keeps its
    /// large entries.) False if the point is not finite, `r` exceeds
    /// [`WARM_MAX_RESIDUAL`] (no better than the cold start) or a cone has
    /// no warm start.
    fn warm_initialize(&mut self) -> bool {
        self.vars.kappa = 0.0;
        if !all_finite(&self.vars) {
            return false;
        }
        self.compute_residuals();
        let r = &self.res;
        let primal = inf_norm(&r.rz) / (1.0 + inf_norm(&self.b));
        let dual = inf_norm(&r.rx) / (1.0 + inf_norm(&self.c));
        let pobj = r.cx + r.xpx;
        let gap = (pobj + r.bz).abs() / (1.0 + pobj.abs() + r.bz.abs());
        let rel = primal.max(dual).max(gap);
        if rel.is_nan() || rel > WARM_MAX_RESIDUAL {
            return false;
        }
        let scale = (1.0 + inf_norm(&self.vars.s)) * (1.0 + inf_norm(&self.vars.z));
        let mu = (rel * rel).clamp(WARM_MU_MIN, 1.0) * scale;
        if !self
            .cones
            .warm_centre(&mut self.vars.s, &mut self.vars.z, mu)
        {
            return false;
        }
        self.vars.kappa = mu;
        all_finite(&self.vars)
    }

    /// Starting point for problems with nonsymmetric cones: `x = 0`,
    /// `s = z =` the cones' central points, `τ = κ = 1`.
    fn unit_initialize(&mut self) {
        self.vars.x.fill(0.0);
        self.cones
            .unit_initialization(&mut self.vars.z, &mut self.vars.s);
        self.vars.tau = 1.0;
        self.vars.kappa = 1.0;
    }

    /// Backtracks `α` (by 0.8, at most 50 times) until the iterate stays in
    /// the neighbourhood `Φ(α) < max(1, Φ(0))` of the central path, with
    /// `Φ = (ν+1)·log μ − log τ − log κ + Σ(f(s) + f*(z))`; used with the
    /// dual scaling of nonsymmetric cones. (Clarabel requires `Φ < 1`, which
    /// no step satisfies once the current iterate is outside; not moving
    /// further away is then the useful test.)
    fn backtrack_to_neighbourhood(&self, mut alpha: f64) -> f64 {
        let limit = self.neighbourhood_measure(0.0).max(1.0);
        for _ in 0..50 {
            if self.neighbourhood_measure(alpha) < limit {
                return alpha;
            }
            alpha *= 0.8;
        }
        alpha
    }

    /// `Φ(α)` of [`Self::backtrack_to_neighbourhood`] at the iterate
    /// advanced by `α` along the current step.
    fn neighbourhood_measure(&self, alpha: f64) -> f64 {
        let nu = (self.cones.degree() + 1) as f64;
        let tau = self.vars.tau + alpha * self.step.tau;
        let kappa = self.vars.kappa + alpha * self.step.kappa;
        let mut sz = 0.0;
        for i in 0..self.vars.s.len() {
            sz += (self.vars.s[i] + alpha * self.step.s[i])
                * (self.vars.z[i] + alpha * self.step.z[i]);
        }
        let mu = (sz + tau * kappa) / nu;
        nu * mu.ln() - tau.ln() - kappa.ln()
            + self.cones.barrier(
                &self.vars.z,
                &self.vars.s,
                &self.step.z,
                &self.step.s,
                alpha,
            )
    }

    fn mu(&self) -> f64 {
        (dot(&self.vars.s, &self.vars.z) + self.vars.tau * self.vars.kappa)
            / (self.cones.degree() as f64 + 1.0)
    }

    fn compute_residuals(&mut self) {
        let v = &self.vars;
        let r = &mut self.res;
        self.p.symv_upper(&mut r.px, &v.x, 1.0, 0.0);
        self.a.gemv_t(&mut r.atz, &v.z, 1.0, 0.0);
        self.a.gemv(&mut r.ax, &v.x, 1.0, 0.0);
        r.xpx = dot(&v.x, &r.px);
        r.cx = dot(&self.c, &v.x);
        r.bz = dot(&self.b, &v.z);
        for j in 0..r.rx.len() {
            r.rx[j] = r.px[j] + r.atz[j] + self.c[j] * v.tau;
        }
        for i in 0..r.rz.len() {
            r.rz[i] = r.ax[i] + v.s[i] - self.b[i] * v.tau;
        }
        r.rtau = v.kappa + r.cx + r.bz + r.xpx / v.tau;
    }

    /// Objectives and relative residuals in the original data, at `x/τ` etc.
    fn compute_info(&self, step: f64) -> Info {
        let (pobj, dobj, res) = evaluate(
            &ScaledIterate {
                s: &self.vars.s,
                tau: self.vars.tau,
                rx: &self.res.rx,
                rz: &self.res.rz,
                px: &self.res.px,
                atz: &self.res.atz,
                ax: &self.res.ax,
                xpx: self.res.xpx,
                cx: self.res.cx,
                bz: self.res.bz,
            },
            &self.equil,
            &DataNorms {
                c: self.norm_c,
                b: self.norm_b,
                obj_constant: self.data.obj_constant,
            },
        );
        Info {
            pobj,
            dobj,
            res,
            step,
        }
    }

    fn is_better(&self, a: &Info, b: Option<&Info>) -> bool {
        match b {
            None => score(a).is_finite(),
            Some(b) => score(a) < score(b) || !score(b).is_finite(),
        }
    }

    /// Optimality test at the full (or reduced) tolerances.
    fn is_optimal(&self, info: &Info, reduced: bool) -> bool {
        let s = &self.settings;
        if reduced {
            is_optimal(
                &info.res,
                s.reduced_eps_abs,
                s.reduced_eps_rel,
                s.reduced_eps_feas,
            )
        } else {
            is_optimal(&info.res, s.eps_abs, s.eps_rel, s.eps_feas)
        }
    }

    /// Full (or reduced) termination test: optimality, then certificates.
    fn check_termination(&self, info: &Info, reduced: bool) -> Option<Status> {
        let s = &self.settings;
        let (inf_abs, inf_rel) = if reduced {
            (s.reduced_eps_infeas_abs, s.reduced_eps_infeas_rel)
        } else {
            (s.eps_infeas_abs, s.eps_infeas_rel)
        };
        if self.is_optimal(info, reduced) {
            return Some(if reduced {
                Status::AlmostSolved
            } else {
                Status::Solved
            });
        }
        let eq = &self.equil;
        // Primal infeasibility: bᵀy < 0 and ‖Aᵀy‖ ≤ ε·(−bᵀy), y = Ez (a ray).
        // Only finite rays certify anything (an overflowed iterate with
        // `bᵀy = −∞` would pass the inequalities).
        let by = self.res.bz;
        if by < -inf_abs && by.is_finite() {
            let aty = scaled_inf_norm(&self.res.atz, &eq.dinv);
            let ny = scaled_inf_norm(&self.vars.z, &eq.e);
            if aty < -inf_rel * by && ny > 0.0 {
                return Some(if reduced {
                    Status::AlmostPrimalInfeasible
                } else {
                    Status::PrimalInfeasible
                });
            }
        }
        // Dual infeasibility: cᵀx < 0, ‖Px‖ ≤ ε·(−cᵀx), ‖Ax + s‖ ≤ ε·(−cᵀx).
        let cx = self.res.cx / eq.c_scale;
        if cx < -inf_abs && cx.is_finite() {
            let px = scaled_inf_norm(&self.res.px, &eq.dinv) / eq.c_scale;
            let mut axs = 0.0f64;
            for i in 0..self.res.ax.len() {
                axs = axs.max(((self.res.ax[i] + self.vars.s[i]) * eq.einv[i]).abs());
            }
            if px < -inf_rel * cx && axs < -inf_rel * cx {
                return Some(if reduced {
                    Status::AlmostDualInfeasible
                } else {
                    Status::DualInfeasible
                });
            }
        }
        None
    }

    /// Corrector right-hand side `ds = λ∘λ + (W⁻ᵀΔsₐ)∘(WΔzₐ) − σμe`,
    /// `dκ = τκ + ΔτₐΔκₐ − σμ` (without the second-order terms when
    /// `correction` is false), then the Newton step with residual weight `1 − σ`.
    fn combined_step(&mut self, sigma: f64, mu: f64, correction: f64) -> bool {
        let mut step_z = std::mem::take(&mut self.work_z);
        let mut step_s = std::mem::take(&mut self.work_s);
        let mut shift = std::mem::take(&mut self.ds_offset);
        let mut dkappa = self.vars.tau * self.vars.kappa - sigma * mu;
        for (w, d) in step_z.iter_mut().zip(&self.step.z) {
            *w = correction * d;
        }
        step_s.copy_from_slice(&self.step.s);
        dkappa += correction * self.step.tau * self.step.kappa;
        self.cones
            .combined_ds_shift(&mut shift, &mut step_z, &mut step_s, sigma * mu);
        self.cones.affine_ds(&mut self.ds, &self.vars.s);
        axpy(&mut self.ds, 1.0, &shift);
        self.ds_offset = shift;
        self.work_z = step_z;
        self.work_s = step_s;
        self.compute_step(1.0 - sigma, dkappa)
    }

    /// Solves the Newton system for the right-hand side
    /// `(η·rx, η·rz, η·rτ, ds, dκ)` (with `ds` in `self.ds`), storing the
    /// direction in `self.step`.
    ///
    /// With `K[x₁; z₁] = [−c; b]` and `K[x₂; z₂] = [−dx; −dz + Wᵀ(λ \ ds)]`:
    /// `Δx = x₂ + Δτ·x₁`, `Δz = z₂ + Δτ·z₁`, `Δs = −Wᵀ(λ \ ds) − WᵀWΔz`,
    /// `Δκ = −(dκ + κΔτ)/τ`, and, with `ξ = x/τ`,
    /// `Δτ = (dτ − dκ/τ + (c + 2Pξ)ᵀx₂ + bᵀz₂) / (κ/τ − cᵀx₁ − bᵀz₁ + ξᵀPξ − 2ξᵀPx₁)`
    /// (the denominator equals `(x₁ − ξ)ᵀP(x₁ − ξ) + z₁ᵀWᵀWz₁ + κ/τ > 0` in
    /// exact arithmetic).
    fn compute_step(&mut self, eta: f64, dkappa: f64) -> bool {
        let n = self.data.n();
        let tau = self.vars.tau;
        let kappa = self.vars.kappa;
        let mut offset = std::mem::take(&mut self.work_s);
        self.cones
            .delta_s_from_delta_z_offset(&mut offset, &self.ds);
        for j in 0..n {
            self.rhs[j] = -eta * self.res.rx[j];
        }
        for i in 0..self.data.m() {
            self.rhs[n + i] = -eta * self.res.rz[i] + offset[i];
        }
        let mut sol = std::mem::take(&mut self.sol);
        let ok = self.kkt.solve(&mut sol, &self.rhs, &self.settings);
        let (x2, z2) = sol.split_at(n);
        let (x1, z1) = self.x1z1.split_at(n);
        // Numerator.
        let mut num = eta * self.res.rtau - dkappa / tau + dot(&self.b, z2);
        for j in 0..n {
            num += (self.c[j] + 2.0 * self.res.px[j] / tau) * x2[j];
        }
        // Denominator: κ/τ − cᵀx₁ − bᵀz₁ + ξᵀPξ − 2ξᵀPx₁, formed from the
        // computed (x₁, z₁) directly rather than through the identity
        // cᵀx₁ + bᵀz₁ = −x₁ᵀPx₁ − z₁ᵀHz₁: the direct form stays consistent
        // with the equations the step actually satisfies when the KKT solve
        // is only approximately exact, which matters in the last iterations.
        let xi_p_xi = self.res.xpx / (tau * tau);
        let den = kappa / tau - dot(&self.c, x1) - dot(&self.b, z1) + xi_p_xi
            - 2.0 * dot(&self.res.px, x1) / tau;
        let mut hz = std::mem::take(&mut self.work_z);
        let dtau = num / den;
        for j in 0..n {
            self.step.x[j] = x2[j] + dtau * x1[j];
        }
        for i in 0..self.data.m() {
            self.step.z[i] = z2[i] + dtau * z1[i];
        }
        self.cones.mul_hs(&mut hz, &self.step.z);
        for i in 0..self.data.m() {
            self.step.s[i] = -offset[i] - hz[i];
        }
        self.step.tau = dtau;
        self.step.kappa = -(dkappa + kappa * dtau) / tau;
        self.sol = sol;
        self.work_z = hz;
        self.work_s = offset;
        ok && dtau.is_finite()
    }

    /// Largest step in `[0, α_max]` keeping the iterate in the cone and
    /// `τ, κ ≥ 0`.
    fn step_length(&self, amax: f64) -> f64 {
        let mut alpha = amax;
        if self.step.tau < 0.0 {
            alpha = alpha.min(-self.vars.tau / self.step.tau);
        }
        if self.step.kappa < 0.0 {
            alpha = alpha.min(-self.vars.kappa / self.step.kappa);
        }
        let (az, as_) = self.cones.step_length(
            &self.step.z,
            &self.step.s,
            &self.vars.z,
            &self.vars.s,
            alpha,
        );
        alpha.min(az).min(as_).max(0.0)
    }

    fn make_solution(
        &self,
        status: Status,
        iterations: u32,
        info: &Info,
        timings: Timings,
    ) -> Solution {
        let out = Outcome {
            status,
            iterations,
            pobj: info.pobj,
            dobj: info.dobj,
            res: info.res,
            timings,
        };
        let v = &self.vars;
        // Without an evaluated iterate there is no point to report.
        let tau = if info.res.primal.is_nan() {
            f64::NAN
        } else {
            v.tau
        };
        recover_solution(&out, &self.equil, &self.data, &v.x, &v.z, &v.s, tau)
    }
}

/// [`score`] of an iterate's residuals.
fn score(i: &Info) -> f64 {
    residual_score(&i.res)
}

fn all_finite(v: &Variables) -> bool {
    v.tau.is_finite()
        && v.kappa.is_finite()
        && v.x.iter().chain(&v.z).chain(&v.s).all(|x| x.is_finite())
}

#[inline]
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}
