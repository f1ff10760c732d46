//! Batched forward and backward passes over problems that share `P`, `A`
//! and the cones and have their own `c`, `b` and loss gradient, in
//! parallel with rayon.
//!
//! Every instance runs on a clone of one prototype [`DiffSolver`]: the
//! interior-point symbolic analysis and the operator-splitting
//! factorization are computed once. Results come back in input order, each
//! instance with its own result: an infeasible instance, a failed perturbed
//! solve or bad input is reported for that instance only; results do not
//! depend on the number of threads.

use crate::error::DiffError;
use crate::layer::{Backward, DiffSolver, Mode};
use crate::params::LossGrad;
use lpgd_solver::{ProblemData, Settings, Solution};
use rayon::prelude::*;

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
}

/// The forward solution and backward pass of one instance.
#[derive(Debug, Clone)]
pub struct InstanceResult {
    /// Forward solution.
    pub solution: Solution,
    /// Gradient and backward information (`None` when no loss was given).
    pub backward: Option<Backward>,
    /// Forward wall time (s).
    pub forward_time_s: f64,
}

/// A batch of differentiable problems sharing `P`, `A` and the cones.
///
/// ```
/// use lpgd_diff::batch::{BatchInstance, DiffBatch};
/// use lpgd_diff::{Envelope, LossGrad, LpgdSettings, Mode};
/// use lpgd_solver::{CscMatrix, ProblemData, Settings, SupportedCone};
/// // minimize ½x² + cx subject to x ≤ b, for three (c, b) pairs.
/// let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[1.0]).unwrap();
/// let base = ProblemData::new(Some(CscMatrix::identity(1)), vec![0.0], a, vec![1.0],
///     vec![SupportedCone::Nonnegative(1)]).unwrap();
/// let batch = DiffBatch::new(base, Settings::default()).unwrap();
/// let loss = LossGrad::on_x(vec![1.0]);
/// let data = [([-0.5], [1.0]), ([-2.0], [1.0]), ([1.0], [-1.0])];
/// let items: Vec<BatchInstance> = data.iter()
///     .map(|(c, b)| BatchInstance { c, b, loss: Some(&loss) }).collect();
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
}

impl DiffBatch {
    /// Validates `base` and sets up the shared solver state.
    pub fn new(base: ProblemData, settings: Settings) -> Result<Self, DiffError> {
        Ok(DiffBatch {
            proto: DiffSolver::new(base, settings)?,
        })
    }

    /// Newton refinement steps after every solve (see
    /// [`DiffSolver::set_refinement`]).
    pub fn set_refinement(&mut self, steps: usize) {
        self.proto.set_refinement(steps);
    }

    /// The prototype problem.
    pub fn problem(&self) -> &ProblemData {
        self.proto.problem()
    }

    fn instance(&self, c: &[f64], b: &[f64]) -> Result<(DiffSolver, Solution, f64), DiffError> {
        let mut layer = self.proto.clone();
        layer.update_c(c)?;
        layer.update_b(b)?;
        let t0 = std::time::Instant::now();
        let sol = layer.solve()?.clone();
        Ok((layer, sol, t0.elapsed().as_secs_f64()))
    }

    /// Forward solves only.
    pub fn forward(&self, items: &[BatchInstance<'_>]) -> Vec<Result<Solution, DiffError>> {
        items
            .par_iter()
            .map(|it| self.instance(it.c, it.b).map(|(_, sol, _)| sol))
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
        items
            .par_iter()
            .enumerate()
            .map(|(i, it)| {
                let (layer, solution, forward_time_s) = self.instance(it.c, it.b)?;
                let backward = match loss(i, &solution) {
                    Some(g) => Some(layer.backward(mode, &g)?),
                    None => None,
                };
                Ok(InstanceResult {
                    solution,
                    backward,
                    forward_time_s,
                })
            })
            .collect()
    }
}
