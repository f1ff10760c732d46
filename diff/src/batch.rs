//! Batched forward and backward passes over problems that share `P`, `A`
//! and the cones and have their own `c`, `b` and loss gradient, in
//! parallel with rayon.
//!
//! Every instance runs on a clone of one prototype [`DiffSolver`]: the
//! interior-point symbolic analysis and the operator-splitting
//! factorization are computed once. For the operator-splitting method with
//! an LPGD mode (no refinement) the forward solves, and then all perturbed
//! solves of the backward passes, run as lockstep batches of the solver
//! ([`lpgd_solver::batch::BatchSolver`]: the shared factorization applied
//! to all right-hand sides of an iteration at once), the perturbed ones
//! warm-started from their instance's solution; with `ρ > 0` the
//! augmented matrix `P + ρI` is factored once for all perturbed problems.
//! The perturbed solves start from the prototype's step size, the
//! instance-by-instance path from the one its forward solve ended with
//! (both from [`DiffBatch::set_perturbed_scale`] when it is set), so
//! the two agree to the solver's tolerance, bitwise where the forward solves
//! kept their initial step size (tested). Results come back in input order, each
//! instance with its own result: an infeasible instance, a failed perturbed
//! solve or bad input is reported for that instance only; results do not
//! depend on the number of threads.

use crate::error::{check_tau_rho, DiffError, Side};
use crate::layer::{Backward, BackwardInfo, DiffSolver, Mode};
use crate::lpgd::{self, Envelope, LpgdSettings};
use crate::params::LossGrad;
use lpgd_solver::batch::{BatchItem, BatchSolver};
use lpgd_solver::{Method, ProblemData, Settings, Solution, Solver, SolverError, Start};
use rayon::prelude::*;
use std::time::Instant;

/// One instance of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchInstance<'a> {
    /// Linear cost `c`.
    pub c: &'a [f64],
    /// Right-hand side `b`.
    pub b: &'a [f64],
    /// Gradient of the loss at this instance's solution. Usually it depends
    /// on the solution; see [`DiffBatch::forward_backward_with`].
    pub loss: Option<&'a LossGrad>,
    /// Where the forward solve starts: [`Start::Cold`] usually, or a
    /// [`Start::Point`] such as this instance's solution for earlier data
    /// (on operator splitting, a warm start that can save most of the
    /// iterations when the data moved little; the interior point centres
    /// the point first). [`Start::Previous`] is a cold start here: the
    /// previous solve of a batch's solver was another instance's.
    pub start: Start<'a>,
}

/// The forward solution and backward pass of one instance.
#[derive(Debug, Clone)]
pub struct InstanceResult {
    /// Forward solution.
    pub solution: Solution,
    /// Gradient and backward information (`None` when no loss was given).
    pub backward: Option<Backward>,
    /// Forward wall time (s); in lockstep batches, the batch's forward wall
    /// time divided by the number of instances (and so is the backward
    /// pass's `time_s`, so that both sum to wall time over a batch).
    pub forward_time_s: f64,
}

/// A batch of differentiable problems sharing `P`, `A` and the cones.
///
/// ```
/// use lpgd_diff::batch::{BatchInstance, DiffBatch};
/// use lpgd_diff::{Envelope, LossGrad, LpgdSettings, Mode};
/// use lpgd_solver::{CscMatrix, ProblemData, Settings, Start, SupportedCone};
/// // minimize ½x² + cx subject to x ≤ b, for three (c, b) pairs.
/// let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[1.0]).unwrap();
/// let base = ProblemData::new(Some(CscMatrix::identity(1)), vec![0.0], a, vec![1.0],
///     vec![SupportedCone::Nonnegative(1)]).unwrap();
/// let batch = DiffBatch::new(base, Settings::default()).unwrap();
/// let loss = LossGrad::on_x(vec![1.0]);
/// let data = [([-0.5], [1.0]), ([-2.0], [1.0]), ([1.0], [-1.0])];
/// let items: Vec<BatchInstance> = data.iter()
///     .map(|(c, b)| BatchInstance { c, b, loss: Some(&loss), start: Start::Cold }).collect();
/// let mode = Mode::Lpgd(LpgdSettings { tau: 1e-3, envelope: Envelope::Average, ..Default::default() });
/// let out = batch.forward_backward(&items, mode);
/// // x = 0.5 (interior): dx/dc = −1; x = 1 (at x ≤ 1): dx/dc = 0, dx/db = 1.
/// let g0 = &out[0].as_ref().unwrap().backward.as_ref().unwrap().grad;
/// assert!((g0.c[0] + 1.0).abs() < 1e-5);
/// let g1 = &out[1].as_ref().unwrap().backward.as_ref().unwrap().grad;
/// assert!(g1.c[0].abs() < 1e-5 && (g1.b[0] - 1.0).abs() < 1e-5);
/// ```
#[derive(Clone)]
pub struct DiffBatch {
    proto: DiffSolver,
    /// The forward solves' own batch solver, when they use another method
    /// than the layer ([`DiffBatch::set_forward_method`]).
    forward_solver: Option<BatchSolver>,
}

impl DiffBatch {
    /// Validates `base` and sets up the shared solver state.
    pub fn new(base: ProblemData, settings: Settings) -> Result<Self, DiffError> {
        Ok(DiffBatch {
            proto: DiffSolver::new(base, settings)?,
            forward_solver: None,
        })
    }

    /// Newton refinement steps after every solve (see
    /// [`DiffSolver::set_refinement`]).
    pub fn set_refinement(&mut self, steps: usize) {
        self.proto.set_refinement(steps);
    }

    /// With the operator-splitting method, the step-size scale of LPGD's
    /// perturbed solves (see [`DiffSolver::set_perturbed_scale`]).
    pub fn set_perturbed_scale(&mut self, scale: Option<f64>) -> Result<(), DiffError> {
        self.proto.set_perturbed_scale(scale)
    }

    /// The tolerance of LPGD's perturbed solves (see
    /// [`DiffSolver::set_perturbed_tolerance`]).
    pub fn set_perturbed_tolerance(&mut self, eps: Option<f64>) -> Result<(), DiffError> {
        self.proto.set_perturbed_tolerance(eps)
    }

    /// The method of the forward solves: the layer's own
    /// (`settings.method`, the default) or another one. The backward passes
    /// stay with the layer's method: LPGD's perturbed solves start from the
    /// forward solution (`Start::Point`), and implicit differentiation
    /// linearizes at it. So a layer on the operator-splitting method can
    /// take its forward solutions from the interior point, whose iteration
    /// count does not grow on degenerate problems (hundreds of
    /// operator-splitting iterations against a handful of interior-point
    /// ones on the learned Sudoku LPs), and keep the cheap warm-started
    /// perturbed solves. Forward solutions of the other method are not
    /// refined ([`DiffBatch::set_refinement`] applies to the layer's own).
    ///
    /// ```
    /// use lpgd_diff::batch::{BatchInstance, DiffBatch};
    /// use lpgd_diff::{Envelope, LossGrad, LpgdSettings, Mode};
    /// use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, Start, SupportedCone};
    /// // minimize ½x² + cx subject to x ≤ 1, on the operator-splitting
    /// // method with interior-point forward solves.
    /// let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[1.0]).unwrap();
    /// let base = ProblemData::new(Some(CscMatrix::identity(1)), vec![0.0], a, vec![1.0],
    ///     vec![SupportedCone::Nonnegative(1)]).unwrap();
    /// let mut batch = DiffBatch::new(base, Settings { method: Method::Admm, ..Settings::default() }).unwrap();
    /// batch.set_forward_method(Method::InteriorPoint).unwrap();
    /// let loss = LossGrad::on_x(vec![1.0]);
    /// let items = [BatchInstance { c: &[-0.5], b: &[1.0], loss: Some(&loss), start: Start::Cold }];
    /// let mode = Mode::Lpgd(LpgdSettings { tau: 1e-3, envelope: Envelope::Average, ..Default::default() });
    /// let out = batch.forward_backward(&items, mode);
    /// let r = out[0].as_ref().unwrap();
    /// assert!((r.solution.x[0] - 0.5).abs() < 1e-6);
    /// assert!((r.backward.as_ref().unwrap().grad.c[0] + 1.0).abs() < 1e-2);
    /// ```
    pub fn set_forward_method(&mut self, method: Method) -> Result<(), DiffError> {
        let settings = self.proto.solver().settings();
        if method == settings.method {
            self.forward_solver = None;
            return Ok(());
        }
        let settings = Settings {
            method,
            ..settings.clone()
        };
        self.forward_solver = Some(BatchSolver::new(self.problem().clone(), settings)?);
        Ok(())
    }

    /// The method of the forward solves ([`DiffBatch::set_forward_method`]).
    pub fn forward_method(&self) -> Method {
        match &self.forward_solver {
            Some(fs) => fs.method(),
            None => self.proto.solver().settings().method,
        }
    }

    /// The prototype problem.
    pub fn problem(&self) -> &ProblemData {
        self.proto.problem()
    }

    /// The forward solve of `it` on `layer`, a clone of the prototype
    /// that may have solved other instances before, and the forward time.
    /// An interior-point layer is reused as it is: `c`, `b` and the
    /// solution are replaced and the solve starts from the instance's start
    /// (never from the previous instance's), so the result is a
    /// fresh clone's, bit for bit (tested), without copying the prototype
    /// for every instance. An operator-splitting layer that solves itself
    /// starts from a fresh clone: its step size adapts during a solve.
    fn solve_on(
        &self,
        layer: &mut DiffSolver,
        it: &BatchInstance<'_>,
    ) -> Result<(Solution, f64), DiffError> {
        if self.forward_solver.is_none() && matches!(self.proto.solver(), Solver::Admm(_)) {
            *layer = self.proto.clone();
        }
        layer.update_c(it.c)?;
        layer.update_b(it.b)?;
        let start = it.start.for_batch_item();
        let t0 = std::time::Instant::now();
        let sol = match &self.forward_solver {
            Some(fs) => {
                let item = BatchItem {
                    c: it.c,
                    b: it.b,
                    start,
                };
                let sol = fs.solve_sequential(&[item]).remove(0).map_err(diff_error)?;
                layer.set_solution(sol.clone());
                sol
            }
            None => layer.solve_from(start)?.clone(),
        };
        Ok((sol, t0.elapsed().as_secs_f64()))
    }

    /// The solver's lockstep batch, for the operator-splitting method
    /// without refinement.
    fn lockstep(&self) -> Option<BatchSolver> {
        match self.proto.solver() {
            Solver::Admm(_) if self.proto.refinement() == 0 => {
                Some(BatchSolver::from_solver(self.proto.solver().clone()))
            }
            _ => None,
        }
    }

    /// Forward solves only.
    pub fn forward(&self, items: &[BatchInstance<'_>]) -> Vec<Result<Solution, DiffError>> {
        let lockstep;
        let solver = match &self.forward_solver {
            Some(fs) => Some(fs),
            None => {
                lockstep = self.lockstep();
                lockstep.as_ref()
            }
        };
        if let Some(bs) = solver {
            let batch: Vec<BatchItem> = items
                .iter()
                .map(|it| BatchItem {
                    c: it.c,
                    b: it.b,
                    start: it.start,
                })
                .collect();
            return bs
                .solve(&batch)
                .into_iter()
                .map(|r| r.map_err(diff_error))
                .collect();
        }
        items
            .par_iter()
            .map_init(
                || self.proto.clone(),
                |layer, it| self.solve_on(layer, it).map(|(sol, _)| sol),
            )
            .collect()
    }

    /// Forward solve and, for instances with a loss, a backward pass by
    /// `mode`.
    pub fn forward_backward(
        &self,
        items: &[BatchInstance<'_>],
        mode: Mode,
    ) -> Vec<Result<InstanceResult, DiffError>> {
        self.forward_backward_with(items, mode, |i, _| items[i].loss.cloned())
    }

    /// As [`DiffBatch::forward_backward`], with the loss gradient of
    /// instance `i` computed from its solution by `loss(i, solution)` (the
    /// usual case: `ℓ` evaluated at `x*`).
    pub fn forward_backward_with<F>(
        &self,
        items: &[BatchInstance<'_>],
        mode: Mode,
        loss: F,
    ) -> Vec<Result<InstanceResult, DiffError>>
    where
        F: Fn(usize, &Solution) -> Option<LossGrad> + Sync,
    {
        if let (Some(bs), Mode::Lpgd(s)) = (self.lockstep(), mode) {
            return self.lockstep_lpgd(&bs, items, s, &loss);
        }
        if self.lockstep().is_some() {
            return self.lockstep_then_each(items, mode, &loss);
        }
        items
            .par_iter()
            .enumerate()
            .map_init(
                || (self.proto.clone(), None),
                |(layer, spare), (i, it)| {
                    let (solution, forward_time_s) = self.solve_on(layer, it)?;
                    let backward = match loss(i, &solution) {
                        Some(g) => Some(layer.backward_in(mode, &g, spare)?),
                        None => None,
                    };
                    Ok(InstanceResult {
                        solution,
                        backward,
                        forward_time_s,
                    })
                },
            )
            .collect()
    }

    /// Lockstep forward solves, then each instance's backward pass on its own
    /// clone of the prototype (modes without perturbed solves to batch:
    /// implicit differentiation, LMD).
    fn lockstep_then_each<F>(
        &self,
        items: &[BatchInstance<'_>],
        mode: Mode,
        loss: &F,
    ) -> Vec<Result<InstanceResult, DiffError>>
    where
        F: Fn(usize, &Solution) -> Option<LossGrad> + Sync,
    {
        if matches!(mode, Mode::Implicit(_)) {
            // Analyse the KKT system once, before the instances clone it.
            self.proto.own_kkt();
        }
        let count = items.len().max(1) as f64;
        let t0 = Instant::now();
        let forward = self.forward(items);
        let forward_time_s = t0.elapsed().as_secs_f64() / count;
        let t1 = Instant::now();
        // One clone of the prototype per rayon job, reused from instance to
        // instance: its solver does not solve here (the forward solves ran
        // in lockstep; LMD's perturbed solves run on copies of it), so
        // replacing `c`, `b` and the solution makes it the fresh clone of
        // every instance, and implicit differentiation refactors the KKT
        // system of the job's previous derivative system (`spare`).
        let mut out: Vec<Result<InstanceResult, DiffError>> = items
            .par_iter()
            .zip(forward)
            .enumerate()
            .map_init(
                || (self.proto.clone(), None),
                |(layer, spare), (i, (it, f))| {
                    let solution = f?;
                    let backward = match loss(i, &solution) {
                        Some(g) => {
                            layer.update_c(it.c)?;
                            layer.update_b(it.b)?;
                            layer.set_solution(solution.clone());
                            Some(layer.backward_in(mode, &g, spare)?)
                        }
                        None => None,
                    };
                    Ok(InstanceResult {
                        solution,
                        backward,
                        forward_time_s,
                    })
                },
            )
            .collect();
        let backward_time_s = t1.elapsed().as_secs_f64() / count;
        for bw in out.iter_mut().flatten().filter_map(|r| r.backward.as_mut()) {
            bw.info.time_s = backward_time_s;
        }
        out
    }

    /// Forward and LPGD backward passes as two lockstep batches.
    fn lockstep_lpgd<F>(
        &self,
        bs: &BatchSolver,
        items: &[BatchInstance<'_>],
        s: LpgdSettings,
        loss: &F,
    ) -> Vec<Result<InstanceResult, DiffError>>
    where
        F: Fn(usize, &Solution) -> Option<LossGrad> + Sync,
    {
        let count = items.len().max(1) as f64;
        let t0 = Instant::now();
        let forward = self.forward(items);
        let forward_time_s = t0.elapsed().as_secs_f64() / count;
        let prob = self.proto.problem();
        let (n, m) = (prob.n(), prob.m());
        let sides: &[Side] = match s.envelope {
            Envelope::Lower => &[Side::Plus],
            Envelope::Upper => &[Side::Minus],
            Envelope::Average => &[Side::Plus, Side::Minus],
        };
        // Each instance's solution and loss, or its error; and the perturbed
        // problems `(instance, side, c, b, warm start)`.
        let mut state: Vec<Result<(Solution, Option<LossGrad>), DiffError>> = Vec::new();
        let mut perturbed: Vec<PerturbedProblem> = Vec::new();
        for (i, (it, f)) in items.iter().zip(forward).enumerate() {
            let prepared = f.and_then(|sol| {
                if !sol.status.is_solved() {
                    return Err(DiffError::ForwardNotSolved { status: sol.status });
                }
                let g = loss(i, &sol);
                if let Some(g) = &g {
                    g.check(n, m)?;
                    check_tau_rho(Some(s.tau), s.rho)?;
                    let (dc, db) = lpgd::loss_direction(prob, g);
                    for &side in sides {
                        let t = lpgd::sign(side) * s.tau;
                        let c = it.c.iter().zip(&dc).map(|(c, d)| c + t * d).collect();
                        let b = match &db {
                            Some(db) => it.b.iter().zip(db).map(|(b, d)| b + t * d).collect(),
                            None => it.b.to_vec(),
                        };
                        perturbed.push(PerturbedProblem {
                            instance: i,
                            side,
                            c,
                            b,
                            start: sol.clone(),
                        });
                    }
                }
                Ok((sol, g))
            });
            state.push(prepared);
        }
        let t1 = Instant::now();
        let aug;
        let pbs = if s.rho > 0.0 || self.proto.has_perturbed_settings() {
            let mut solver = self.proto.solver().clone();
            let augmented = if s.rho > 0.0 {
                solver.update_p_values(&self.proto.augmented_p_values(s.rho))
            } else {
                Ok(())
            };
            let prepared = augmented
                .map_err(DiffError::from)
                .and_then(|()| self.proto.apply_perturbed_settings(&mut solver))
                .and_then(|()| solver.prepare().map_err(DiffError::from));
            if let Err(e) = prepared {
                let msg = e.to_string();
                return (0..items.len())
                    .map(|_| {
                        Err(DiffError::Singular(format!(
                            "augmented factorization: {msg}"
                        )))
                    })
                    .collect();
            }
            aug = BatchSolver::from_solver(solver);
            &aug
        } else {
            bs
        };
        for p in &mut perturbed {
            for (c, x) in p.c.iter_mut().zip(&p.start.x) {
                *c -= s.rho * x;
            }
        }
        // Plus sides first; each minus side then starts from the reflection
        // 2z* − z₊ of its plus solution, which is z*(w − τΔw) to second
        // order in τ (from z* when the plus solve failed). Results by
        // instance: `plus[i]`, `minus[i]`.
        type Outcome = Option<Result<Solution, DiffError>>;
        let solve_side = |side: Side, perturbed: &[PerturbedProblem], out: &mut [Outcome]| {
            let on_side: Vec<&PerturbedProblem> =
                perturbed.iter().filter(|p| p.side == side).collect();
            let batch: Vec<BatchItem> = on_side
                .iter()
                .map(|p| BatchItem {
                    c: &p.c,
                    b: &p.b,
                    start: Start::Point {
                        x: &p.start.x,
                        y: &p.start.y,
                        s: &p.start.s,
                    },
                })
                .collect();
            for (p, r) in on_side.iter().zip(pbs.solve(&batch)) {
                out[p.instance] = Some(r.map_err(diff_error));
            }
        };
        let mut plus: Vec<Outcome> = (0..items.len()).map(|_| None).collect();
        let mut minus: Vec<Outcome> = (0..items.len()).map(|_| None).collect();
        solve_side(Side::Plus, &perturbed, &mut plus);
        let reflect = |star: &[f64], plus: &[f64]| -> Vec<f64> {
            star.iter().zip(plus).map(|(a, b)| 2.0 * a - b).collect()
        };
        for p in perturbed.iter_mut().filter(|p| p.side == Side::Minus) {
            if let Some(Ok(zp)) = &plus[p.instance] {
                if zp.status.is_solved() {
                    p.start.x = reflect(&p.start.x, &zp.x);
                    p.start.y = reflect(&p.start.y, &zp.y);
                    p.start.s = reflect(&p.start.s, &zp.s);
                }
            }
        }
        solve_side(Side::Minus, &perturbed, &mut minus);
        let backward_time_s = t1.elapsed().as_secs_f64() / count;
        // The instances' gradients (dense in `A` for a learned layer) in
        // parallel.
        state
            .into_par_iter()
            .zip(plus.into_par_iter().zip(minus))
            .map(|(st, (plus, minus))| {
                let (sol, g) = st?;
                let Some(g) = g else {
                    return Ok(InstanceResult {
                        solution: sol,
                        backward: None,
                        forward_time_s,
                    });
                };
                let checked = |r: Option<Result<Solution, DiffError>>, side| {
                    r.map(|r| {
                        r.and_then(|p| lpgd::perturbed_from(p, side, s.tau, g.ds.as_deref(), None))
                    })
                };
                let (plus, minus) = (checked(plus, Side::Plus), checked(minus, Side::Minus));
                let sides = match (plus, minus) {
                    (Some(p), Some(q)) => lpgd::combine(p, q, s.fallback)?,
                    (Some(p), None) => lpgd::Sides::Plus(p?),
                    (None, Some(q)) => lpgd::Sides::Minus(q?),
                    (None, None) => return Err(DiffError::NoSolution),
                };
                let (grad, envelope, solves) = lpgd::envelope_gradient(prob, &sol, s.tau, sides)?;
                Ok(InstanceResult {
                    solution: sol,
                    backward: Some(Backward {
                        grad,
                        info: BackwardInfo {
                            time_s: backward_time_s,
                            envelope: Some(envelope),
                            solves,
                        },
                    }),
                    forward_time_s,
                })
            })
            .collect()
    }
}

/// One perturbed problem of a lockstep backward pass.
struct PerturbedProblem {
    instance: usize,
    side: Side,
    c: Vec<f64>,
    b: Vec<f64>,
    /// The instance's solution, the warm start.
    start: Solution,
}

/// Solver errors of one instance as differentiation errors.
fn diff_error(e: SolverError) -> DiffError {
    match e {
        SolverError::Problem(p) => DiffError::Problem(p),
        other => DiffError::Solver(other),
    }
}
