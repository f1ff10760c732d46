//! [`DiffSolver`]: a conic program as a differentiable layer. It owns the
//! forward solver (either method of `lpgd-solver`), keeps its state between
//! the forward solve and the backward pass, and serves every derivative
//! mode from it.

use crate::error::{check_tau_rho, check_vec, DiffError, Side};
use crate::implicit::{self, ImplicitSettings};
use crate::lpgd::{self, LpgdSettings};
use crate::params::{LossGrad, ParamGrad, Tangent};
use crate::refine::refine;
use lpgd_solver::cones::CompositeCone;
use lpgd_solver::kkt::KktSystem;
use lpgd_solver::{
    CscMatrix, Method, ProblemData, Settings, Solution, Solver, SolverError, Start, Status,
};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// How a derivative is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Implicit differentiation of the optimality conditions ("GD"), with
    /// the ρ-augmented Jacobian (paper C.1; `rho = 0` is exact).
    Implicit(ImplicitSettings),
    /// Lagrangian proximal gradient descent: finite differences of
    /// Lagrangian gradients at warm-started re-solves (paper §3.5–3.6).
    Lpgd(LpgdSettings),
    /// Lagrangian mirror descent (paper C.2, eq. 67–69): as LPGD, with the
    /// perturbed problem measured by the Bregman divergence of the
    /// Lagrangian. Backward mode only; losses on `x` and `s`.
    Lmd(LpgdSettings),
}

/// One perturbed solve: which side, its status and iterations.
pub type SolveRecord = (Side, Status, u32);

/// What a backward pass returns besides the gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct BackwardInfo {
    /// Wall time of the backward pass (s).
    pub time_s: f64,
    /// LPGD: the envelope whose gradient was returned (differs from the
    /// requested one when a one-sided fallback was taken). `None` for
    /// implicit differentiation.
    pub envelope: Option<lpgd::Envelope>,
    /// LPGD: status and iterations of each perturbed solve.
    pub solves: Vec<SolveRecord>,
}

/// A gradient with its [`BackwardInfo`].
#[derive(Debug, Clone, PartialEq)]
pub struct Backward {
    /// `∇_w ℓ` (or its LPGD replacement) with respect to `(P, c, A, b)`.
    pub grad: ParamGrad,
    /// How it was obtained.
    pub info: BackwardInfo,
}

/// A forward-mode derivative with the statuses of its solves.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// The change of the solution.
    pub tangent: Tangent,
    /// Wall time (s).
    pub time_s: f64,
    /// LPGD: status and iterations of each perturbed solve.
    pub solves: Vec<SolveRecord>,
}

/// A conic program `minimize ½xᵀPx + cᵀx s.t. Ax + s = b, s ∈ K` whose
/// solution can be differentiated with respect to `(P, c, A, b)`.
///
/// Internally `P` is stored with its full diagonal in the pattern (explicit
/// zeros where the user's pattern has none), so that the augmentation
/// `P + ρI` of LPGD is a value update: perturbed solves keep the forward
/// solver's symbolic analysis (interior point) or reuse its cached
/// factorization when `ρ = 0` (operator splitting), and are warm-started
/// from the forward solution.
///
/// ```
/// use lpgd_diff::{DiffSolver, Envelope, LossGrad, LpgdSettings, Mode};
/// use lpgd_solver::{CscMatrix, ProblemData, Settings, SupportedCone};
/// // minimize ½‖x‖² + cᵀx subject to x ≥ 0 (−x + s = 0, s ≥ 0): x* = max(−c, 0).
/// let p = CscMatrix::identity(2);
/// let a = CscMatrix::from_triplets(2, 2, &[0, 1], &[0, 1], &[-1.0, -1.0]).unwrap();
/// let prob = ProblemData::new(Some(p), vec![-1.0, 2.0], a, vec![0.0; 2],
///     vec![SupportedCone::Nonnegative(2)]).unwrap();
/// let mut layer = DiffSolver::new(prob, Settings::default()).unwrap();
/// let sol = layer.solve().unwrap();
/// assert!((sol.x[0] - 1.0).abs() < 1e-6 && sol.x[1].abs() < 1e-6);
/// // ℓ = x₁: dℓ/dc = (−1, 0) (x₁ = −c₁ while positive, x₂ stays 0).
/// let loss = LossGrad::on_x(vec![1.0, 0.0]);
/// let mode = Mode::Lpgd(LpgdSettings { tau: 1e-3, rho: 0.0, envelope: Envelope::Average, ..Default::default() });
/// let g = layer.backward(mode, &loss).unwrap().grad;
/// assert!((g.c[0] + 1.0).abs() < 1e-5 && g.c[1].abs() < 1e-5);
/// ```
#[derive(Clone)]
pub struct DiffSolver {
    /// The problem as given (gradients refer to its patterns).
    user: ProblemData,
    /// Position in the internal `P` storage of each stored user entry.
    p_user_pos: Vec<usize>,
    /// Position in the internal `P` storage of each diagonal entry.
    p_diag_pos: Vec<usize>,
    /// Values of the internal `P` (user values, explicit diagonal zeros).
    p_work: Vec<f64>,
    solver: Solver,
    solution: Option<Solution>,
    /// A KKT system of the problem's pattern for implicit differentiation
    /// when the forward method has none (operator splitting), built on
    /// first use (`None` if it cannot be built) and shared by clones: the
    /// derivative system factors a copy with the current values
    /// ([`implicit`]), so only its pattern and analysis are used.
    kkt: Arc<OnceLock<Option<KktSystem>>>,
    /// Newton refinement steps after every solve (0: none).
    refine_steps: usize,
    /// Operator splitting: the step-size scale of LPGD's perturbed solves
    /// (`None`: the one the forward solve ended with).
    perturbed_scale: Option<f64>,
    /// Tolerance of LPGD's perturbed solves (`None`: the forward solve's).
    perturbed_tolerance: Option<f64>,
}

impl DiffSolver {
    /// Sets up the forward solver (method from `settings.method`).
    pub fn new(problem: ProblemData, settings: Settings) -> Result<Self, DiffError> {
        problem.validate()?;
        let (p_work, p_user_pos, p_diag_pos) = with_full_diagonal(&problem.p);
        let mut work = problem.clone();
        let vals = p_work.nzval.clone();
        work.p = Arc::new(p_work);
        let solver = Solver::new(work, settings)?;
        Ok(DiffSolver {
            user: problem,
            p_user_pos,
            p_diag_pos,
            p_work: vals,
            solver,
            solution: None,
            kkt: Arc::new(OnceLock::new()),
            refine_steps: 0,
            perturbed_scale: None,
            perturbed_tolerance: None,
        })
    }

    /// Refines every (almost) solved point — the forward solution and the
    /// perturbed solutions of LPGD — by up to `steps` Newton steps on the
    /// optimality conditions ([`refine`](mod@crate::refine)); `0` turns refinement off
    /// (the default). Worth it when derivatives must be accurate beyond the
    /// solver's tolerance (small `τ`, nonlinear cones).
    pub fn set_refinement(&mut self, steps: usize) {
        self.refine_steps = steps;
    }

    /// With the operator-splitting method, starts LPGD's perturbed solves at
    /// the step-size scale `scale` ([`lpgd_solver::AdmmSolver::set_scale`])
    /// instead of the one the forward solve ended with; `None` (the default)
    /// keeps that one. The perturbed problems of a large `τ` and `ρ` are
    /// far from the forward problem, and the augmentation `ρI` changes the
    /// balance of primal and dual residuals: on the Sudoku layer (`τ = 1e4`,
    /// `ρ = 10`) they took about 370 iterations from the forward scale `1`
    /// and about 60 from `10`. No effect with the interior-point method.
    ///
    /// ```
    /// use lpgd_diff::DiffSolver;
    /// use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, SupportedCone};
    /// let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[-1.0]).unwrap();
    /// let data = ProblemData::new(None, vec![1.0], a, vec![-1.0],
    ///     vec![SupportedCone::Nonnegative(1)]).unwrap();
    /// let mut layer = DiffSolver::new(data, Settings { method: Method::Admm, ..Settings::default() }).unwrap();
    /// layer.set_perturbed_scale(Some(10.0)).unwrap();
    /// assert!(layer.set_perturbed_scale(Some(0.0)).is_err());
    /// ```
    pub fn set_perturbed_scale(&mut self, scale: Option<f64>) -> Result<(), DiffError> {
        self.perturbed_scale = positive_setting("perturbed scale", scale)?;
        Ok(())
    }

    /// The step-size scale of LPGD's perturbed solves
    /// ([`DiffSolver::set_perturbed_scale`]).
    pub fn perturbed_scale(&self) -> Option<f64> {
        self.perturbed_scale
    }

    /// Solves LPGD's perturbed problems to the tolerance `eps` (`eps_abs`,
    /// `eps_rel` and `eps_feas` of the method in use) instead of the forward
    /// solve's; `None` (the default) keeps those. An error `δ` of a
    /// perturbed solution changes the LPGD gradient by about `δ/τ` against
    /// a gradient of about `‖z_τ − z*‖/τ`, the distance the perturbation
    /// moved the solution, so with a large `τ` a looser tolerance costs
    /// little accuracy: on the Sudoku layer (`τ = 1e4`) `1e-3` against the
    /// forward `1e-4` moved the minibatch gradients by about 1e-3 relative
    /// and saved about half of the perturbed iterations. A positive finite
    /// `eps` is required.
    ///
    /// ```
    /// use lpgd_diff::DiffSolver;
    /// use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, SupportedCone};
    /// let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[-1.0]).unwrap();
    /// let data = ProblemData::new(None, vec![1.0], a, vec![-1.0],
    ///     vec![SupportedCone::Nonnegative(1)]).unwrap();
    /// let mut layer = DiffSolver::new(data, Settings { method: Method::Admm, ..Settings::default() }).unwrap();
    /// layer.set_perturbed_tolerance(Some(1e-3)).unwrap();
    /// assert_eq!(layer.perturbed_tolerance(), Some(1e-3));
    /// assert!(layer.set_perturbed_tolerance(Some(f64::NAN)).is_err());
    /// ```
    pub fn set_perturbed_tolerance(&mut self, eps: Option<f64>) -> Result<(), DiffError> {
        self.perturbed_tolerance = positive_setting("perturbed tolerance", eps)?;
        Ok(())
    }

    /// The tolerance of LPGD's perturbed solves
    /// ([`DiffSolver::set_perturbed_tolerance`]).
    pub fn perturbed_tolerance(&self) -> Option<f64> {
        self.perturbed_tolerance
    }

    /// Whether perturbed solves use settings of their own
    /// ([`DiffSolver::set_perturbed_scale`],
    /// [`DiffSolver::set_perturbed_tolerance`]).
    pub(crate) fn has_perturbed_settings(&self) -> bool {
        self.perturbed_scale.is_some() || self.perturbed_tolerance.is_some()
    }

    /// Applies [`DiffSolver::perturbed_scale`] and
    /// [`DiffSolver::perturbed_tolerance`] to a solver for perturbed solves
    /// (after its data updates, so that one refactorization serves both).
    pub(crate) fn apply_perturbed_settings(&self, solver: &mut Solver) -> Result<(), DiffError> {
        if let Some(eps) = self.perturbed_tolerance {
            let settings = solver.settings_mut();
            let tolerances = match settings.method {
                Method::Admm => {
                    let a = &mut settings.admm;
                    [&mut a.eps_abs, &mut a.eps_rel, &mut a.eps_feas]
                }
                _ => [
                    &mut settings.eps_abs,
                    &mut settings.eps_rel,
                    &mut settings.eps_feas,
                ],
            };
            tolerances.into_iter().for_each(|t| *t = eps);
        }
        if let (Some(scale), Solver::Admm(admm)) = (self.perturbed_scale, solver) {
            admm.set_scale(scale)?;
        }
        Ok(())
    }

    /// Values of the internal `P` (full diagonal pattern) plus `ρI`.
    pub(crate) fn augmented_p_values(&self, rho: f64) -> Vec<f64> {
        let mut vals = self.p_work.clone();
        for &pos in &self.p_diag_pos {
            vals[pos] += rho;
        }
        vals
    }

    /// Newton refinement steps after every solve.
    pub fn refinement(&self) -> usize {
        self.refine_steps
    }

    /// Applies the configured refinement to a solution of `prob`.
    fn refined(&self, prob: &ProblemData, mut sol: Solution) -> Result<Solution, DiffError> {
        if self.refine_steps > 0 && sol.status.is_solved() {
            refine(prob, &mut sol, self.refine_steps)?;
        }
        Ok(sol)
    }

    /// The problem (as given, with any updates).
    pub fn problem(&self) -> &ProblemData {
        &self.user
    }

    /// The forward solver.
    pub fn solver(&self) -> &Solver {
        &self.solver
    }

    /// Mutable solver settings (tolerances, limits) for later solves.
    pub fn settings_mut(&mut self) -> &mut Settings {
        self.solver.settings_mut()
    }

    /// The last forward solution.
    pub fn solution(&self) -> Option<&Solution> {
        self.solution.as_ref()
    }

    /// Forward solve from a cold start.
    pub fn solve(&mut self) -> Result<&Solution, DiffError> {
        self.solve_from(Start::Cold)
    }

    /// Forward solve from `start` (see [`lpgd_solver::Solver::solve_from`]:
    /// the interior-point method centres a given point first).
    pub fn solve_from(&mut self, start: Start<'_>) -> Result<&Solution, DiffError> {
        let sol = self.solver.solve_from(start)?;
        let sol = self.refined(self.solver.problem(), sol)?;
        Ok(self.solution.insert(sol))
    }

    /// Replaces `c` (invalidates the forward solution).
    pub fn update_c(&mut self, c: &[f64]) -> Result<(), DiffError> {
        self.solver.update_c(c)?;
        self.user.c.copy_from_slice(c);
        self.solution = None;
        Ok(())
    }

    /// Replaces `b` (invalidates the forward solution).
    pub fn update_b(&mut self, b: &[f64]) -> Result<(), DiffError> {
        self.solver.update_b(b)?;
        self.user.b.copy_from_slice(b);
        self.solution = None;
        Ok(())
    }

    /// Replaces the values of `A` in its storage order (same pattern).
    pub fn update_a_values(&mut self, vals: &[f64]) -> Result<(), DiffError> {
        self.solver.update_a_values(vals)?;
        Arc::make_mut(&mut self.user.a).nzval.copy_from_slice(vals);
        self.solution = None;
        Ok(())
    }

    /// Replaces the stored values of `P` in its storage order (same
    /// pattern; must stay positive semidefinite).
    pub fn update_p_values(&mut self, vals: &[f64]) -> Result<(), DiffError> {
        check_vec(vals, self.user.p.nnz(), "P values")?;
        let mut work = self.p_work.clone();
        for (&pos, &v) in self.p_user_pos.iter().zip(vals) {
            work[pos] = v;
        }
        self.solver.update_p_values(&work)?;
        self.p_work = work;
        Arc::make_mut(&mut self.user.p).nzval.copy_from_slice(vals);
        self.solution = None;
        Ok(())
    }

    /// Sets the forward solution (computed elsewhere for this layer's data,
    /// e.g. by a lockstep batch).
    pub(crate) fn set_solution(&mut self, sol: Solution) {
        self.solution = Some(sol);
    }

    /// The forward solution, if it can be differentiated.
    pub(crate) fn solved(&self) -> Result<&Solution, DiffError> {
        let sol = self.solution.as_ref().ok_or(DiffError::NoSolution)?;
        if sol.status.is_solved() {
            Ok(sol)
        } else {
            Err(DiffError::ForwardNotSolved { status: sol.status })
        }
    }

    /// Gradient of a loss with gradient `loss` at the forward solution, by
    /// `mode`.
    pub fn backward(&self, mode: Mode, loss: &LossGrad) -> Result<Backward, DiffError> {
        self.backward_in(mode, loss, &mut None)
    }

    /// [`DiffSolver::backward`]; implicit differentiation factors its
    /// derivative system on `spare` when that holds the KKT system of an
    /// earlier one of this layer or its clones, and leaves its own there
    /// (the same bits as a fresh copy, without copying the layer's KKT
    /// system for every backward pass of a batch).
    pub(crate) fn backward_in(
        &self,
        mode: Mode,
        loss: &LossGrad,
        spare: &mut Option<Box<KktSystem>>,
    ) -> Result<Backward, DiffError> {
        let t0 = Instant::now();
        let sol = self.solved()?;
        loss.check(self.user.n(), self.user.m())?;
        let (grad, envelope, solves) = match mode {
            Mode::Implicit(s) => {
                check_tau_rho(None, s.rho)?;
                let mut sys = self.derivative_system_in(sol, s, spare)?;
                let g = sys.adjoint(&self.user, sol, loss);
                *spare = sys.into_spare();
                (g?.finite()?, None, Vec::new())
            }
            Mode::Lpgd(s) => {
                let (g, env, solves) = lpgd::backward(self, sol, loss, s)?;
                (g, Some(env), solves)
            }
            Mode::Lmd(s) => {
                let (g, env, solves) = lpgd::lmd_backward(self, sol, loss, s)?;
                (g, Some(env), solves)
            }
        };
        Ok(Backward {
            grad,
            info: BackwardInfo {
                time_s: t0.elapsed().as_secs_f64(),
                envelope,
                solves,
            },
        })
    }

    /// Change of the solution along the data direction `dir`, by `mode`
    /// (forward mode: implicit Jacobian-vector product, or LPGD's finite
    /// difference of solutions, paper C.4 eq. 90).
    pub fn jvp(&self, mode: Mode, dir: &ParamGrad) -> Result<Forward, DiffError> {
        let t0 = Instant::now();
        let sol = self.solved()?;
        dir.check(&self.user)?;
        let (tangent, solves) = match mode {
            Mode::Implicit(s) => {
                check_tau_rho(None, s.rho)?;
                let t = self
                    .derivative_system(sol, s)?
                    .jvp(&self.user, sol, dir)?
                    .finite()?;
                (t, Vec::new())
            }
            Mode::Lpgd(s) => lpgd::jvp(self, sol, dir, s)?,
            Mode::Lmd(_) => {
                return Err(DiffError::Unsupported(
                    "Lagrangian mirror descent has no forward mode; use Mode::Lpgd",
                ))
            }
        };
        Ok(Forward {
            tangent,
            time_s: t0.elapsed().as_secs_f64(),
            solves,
        })
    }

    /// The implicit derivative system at `sol`: for zero and nonnegative
    /// cones on a KKT system of the problem's pattern (see
    /// [`implicit::DerivativeSystem::from_kkt`]) — the interior-point
    /// solver's own, or one analysed once for this layer under operator
    /// splitting — else sparse LU.
    pub fn derivative_system(
        &self,
        sol: &Solution,
        s: ImplicitSettings,
    ) -> Result<implicit::DerivativeSystem, DiffError> {
        self.derivative_system_in(sol, s, &mut None)
    }

    /// [`DiffSolver::derivative_system`] on a spare KKT system
    /// ([`implicit::DerivativeSystem::into_spare`]).
    fn derivative_system_in(
        &self,
        sol: &Solution,
        s: ImplicitSettings,
        spare: &mut Option<Box<KktSystem>>,
    ) -> Result<implicit::DerivativeSystem, DiffError> {
        let work = self.solver.problem();
        let mut p_hat = CscMatrix::clone(&work.p);
        for &pos in &self.p_diag_pos {
            p_hat.nzval[pos] += s.rho;
        }
        let kkt = match &self.solver {
            Solver::InteriorPoint(ipm) => Some(ipm.kkt()),
            Solver::Admm(_) => self.own_kkt(),
        };
        let settings = self.solver.settings();
        implicit::system_in(
            &self.user,
            sol,
            s,
            kkt.map(|k| (k, &p_hat, settings)),
            spare,
        )
    }

    /// The layer's own KKT system (operator splitting), analysed on first
    /// use by this layer or any of its clones, which share it.
    pub(crate) fn own_kkt(&self) -> Option<&KktSystem> {
        self.kkt
            .get_or_init(|| {
                let work = self.solver.problem();
                let cones = CompositeCone::new(&work.cones).ok()?;
                KktSystem::new(&work.p, &work.a, &cones).ok()
            })
            .as_ref()
    }

    /// Solves the problem with data `w + t·Δw`, augmented by
    /// `ρ/2‖x − x*‖²` (`P + ρI`, `c − ρx*`), warm-started from the forward
    /// solution, on a clone of the forward solver. Blocks of `Δw` that are
    /// `None` are not changed (no refactorization for them).
    pub(crate) fn perturbed_solve(
        &self,
        sol: &Solution,
        rho: f64,
        t: f64,
        dir: &Direction<'_>,
    ) -> Result<Solution, DiffError> {
        let mut solver = self.solver.clone();
        let (n, m) = (self.user.n(), self.user.m());
        if rho > 0.0 || dir.p.is_some() {
            let mut vals = self.p_work.clone();
            if let Some(dp) = dir.p {
                for (&pos, &d) in self.p_user_pos.iter().zip(dp) {
                    vals[pos] += t * d;
                }
            }
            for &pos in &self.p_diag_pos {
                vals[pos] += rho;
            }
            solver.update_p_values(&vals)?;
        }
        if let Some(da) = dir.a {
            let vals: Vec<f64> = self
                .user
                .a
                .nzval
                .iter()
                .zip(da)
                .map(|(a, d)| a + t * d)
                .collect();
            solver.update_a_values(&vals)?;
        }
        let mut c = self.user.c.clone();
        if let Some(dc) = dir.c {
            for j in 0..n {
                c[j] += t * dc[j];
            }
        }
        if let Some(shift) = dir.c_shift {
            for j in 0..n {
                c[j] += shift[j];
            }
        }
        if rho > 0.0 {
            for j in 0..n {
                c[j] -= rho * sol.x[j];
            }
        }
        solver.update_c(&c)?;
        if let Some(db) = dir.b {
            let b: Vec<f64> = (0..m).map(|i| self.user.b[i] + t * db[i]).collect();
            solver.update_b(&b)?;
        }
        self.apply_perturbed_settings(&mut solver)?;
        let out = solver.solve_from(Start::Point {
            x: &sol.x,
            y: &sol.y,
            s: &sol.s,
        })?;
        self.refined(solver.problem(), out)
    }
}

/// A direction in data space with optional blocks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Direction<'a> {
    /// Added to `c` unscaled (Lagrangian mirror descent's linear term).
    pub c_shift: Option<&'a [f64]>,
    pub p: Option<&'a [f64]>,
    pub c: Option<&'a [f64]>,
    pub a: Option<&'a [f64]>,
    pub b: Option<&'a [f64]>,
}

/// `P` with every diagonal entry in its pattern: the new matrix, the
/// position of each original entry in it, and the position of each
/// diagonal entry.
fn with_full_diagonal(p: &CscMatrix) -> (CscMatrix, Vec<usize>, Vec<usize>) {
    let n = p.n;
    let mut colptr = vec![0usize; n + 1];
    let mut rowval = Vec::with_capacity(p.nnz() + n);
    let mut nzval = Vec::with_capacity(p.nnz() + n);
    let mut user_pos = Vec::with_capacity(p.nnz());
    let mut diag_pos = vec![0usize; n];
    for j in 0..n {
        let (lo, hi) = (p.colptr[j], p.colptr[j + 1]);
        let mut has_diag = false;
        for k in lo..hi {
            let i = p.rowval[k];
            if i == j {
                has_diag = true;
                diag_pos[j] = rowval.len();
            }
            user_pos.push(rowval.len());
            rowval.push(i);
            nzval.push(p.nzval[k]);
        }
        if !has_diag {
            // Rows are increasing and the matrix is upper triangular, so the
            // diagonal goes last.
            diag_pos[j] = rowval.len();
            rowval.push(j);
            nzval.push(0.0);
        }
        colptr[j + 1] = rowval.len();
    }
    (
        CscMatrix {
            m: n,
            n,
            colptr,
            rowval,
            nzval,
        },
        user_pos,
        diag_pos,
    )
}

/// `value` if it is `None` or positive and finite; a settings error naming
/// `name` otherwise.
fn positive_setting(name: &'static str, value: Option<f64>) -> Result<Option<f64>, DiffError> {
    match value {
        Some(v) if !(v > 0.0 && v.is_finite()) => Err(DiffError::Solver(SolverError::Settings {
            name,
            reason: format!("must be positive and finite, got {v}"),
        })),
        _ => Ok(value),
    }
}
