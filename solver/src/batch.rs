//! Batched solves: many problems that share `P`, `A` and the cones and have
//! their own `c`, `b` and (optionally) a warm start, solved in parallel with
//! rayon.
//!
//! For the operator-splitting method the setup is done once on a prototype
//! problem: equilibration, symbolic analysis and the numeric factorization
//! of `K`, which every problem of the batch shares read-only (`Arc`) until
//! its own step-size update makes it refactor a private copy. The
//! interior-point method shares the equilibration and the symbolic analysis
//! (its numeric factorization changes every iteration anyway).
//!
//! **Lockstep.** When the shared factorization is simplicial or the dual
//! normal equations ([`crate::dual_normal`]), each thread runs one lockstep
//! stream of problems (`STREAM` = 16 on the prototype's step size, at most
//! `MAX_STREAM` = 64 in all): every iteration gathers the right-hand
//! sides of the linear step of all problems on the same factorization
//! into one `dim × k` block and applies `K⁻¹` to it in one
//! multi-right-hand-side solve (about 2× less time per column than `k`
//! single solves on the benchmark's 175 × 175 systems), then finishes
//! each problem's iteration on its own state. A problem that finishes
//! leaves the stream and the next unsolved problem of the batch takes its
//! place, so the panels stay full while the slow problems of a batch
//! finish, and the threads run until the batch is done (with fixed groups,
//! a group's last iterations ran on one or two problems, and a thread
//! whose group was done sat idle). With a linear objective one
//! factorization serves every step size
//! ([`crate::AdmmSettings::sigma_follows_scale`]), so all problems of a
//! stream share the panels whatever their step sizes: on the Sudoku paper
//! preset (LPGD-average, 3000 puzzles, minibatches of 50, four epochs)
//! the forward solves took 52.5 s against 65.3 s with `σ` fixed, at the
//! same iteration counts. Otherwise step-size updates land on a grid
//! around the initial step size, and the stream keeps one factorization
//! per step size reached: a problem that moves to a step size another one
//! has factored takes that factorization (the values it would compute
//! itself) and solves in lockstep with it. On 32 Sudoku LPs from the
//! paper preset's first epoch, which update their step size after 100
//! iterations, this halved the solve time (1151 → 544 ms, measured with a
//! grid of four steps per decade; the default two share more) against a
//! private refactorization per problem. Both multi-column solves compute
//! each column with the arithmetic of a single-column solve, so results
//! do not depend on which problems share a stream or a panel. With a
//! supernodal factorization (large systems, where the solve blocks the
//! columns) each problem runs on its own, in parallel.
//!
//! Either way each problem is solved on its own state, so results are
//! bit-for-bit independent of the number of threads and of the order of
//! the batch, and a failing problem (infeasible, wrong lengths, NaN data)
//! reports its own status or error without affecting the others. A time
//! limit counts the wall time since the problem joined its stream.

use crate::admm::linsys::{ColumnBlock, KktFactor};
use crate::admm::{AdmmSolver, FactorCache, RunState, Start};
use crate::error::SolverError;
use crate::problem::ProblemData;
use crate::settings::{Method, Settings};
use crate::solution::Solution;
use crate::solver::Solver;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Problems a lockstep stream keeps on the prototype's factorization
/// (where every problem starts): two panels of the multi-column solves.
/// A problem that finishes is replaced while fewer than this many remain
/// there; problems whose step size moved solve on their own
/// factorizations meanwhile, up to [`MAX_STREAM`] problems in all. Each
/// problem holds its own solver state (about 0.8 MB for a 9 × 9 Sudoku
/// LP, mostly iterates and acceleration memory), and a stream that keeps
/// them in the cache iterates faster. Measured on the Sudoku paper preset
/// (two threads; results do not depend on it): with LPGD-average on 1500
/// puzzles for two epochs (about 35 iterations per forward solve), 64 /
/// 32 / 16 / 8 problems per stream took 18.6 / 16.8 / 15.6 / 15.4 s; but
/// once the step sizes of a stream's problems spread over several values
/// (LPGD-average's fourth epoch of the full preset, 164 iterations),
/// a fixed 16 left the panels of the other step sizes nearly empty and the
/// forward solves took 80 s against 70 s with groups of 64.
const STREAM: usize = 16;

/// Largest number of problems in a lockstep stream.
const MAX_STREAM: usize = 64;

/// One problem of a batch: its linear cost, right-hand side and start.
/// [`Start::Previous`] means a cold start here.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// Linear cost `c`, length `n`.
    pub c: &'a [f64],
    /// Right-hand side `b`, length `m`.
    pub b: &'a [f64],
    /// Where the solve starts (the interior-point method centres a given
    /// point first: [`crate::InteriorPointSolver::solve_from_point`]).
    pub start: Start<'a>,
}

/// A prototype solver for a batch: the shared setup of problems with the
/// pattern and values of `P`, `A` and the cones of `base`.
///
/// ```
/// use lpgd_solver::batch::{BatchItem, BatchSolver};
/// use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, Start, Status, SupportedCone};
/// // minimize cᵀx subject to x₁ + x₂ = b₀, x ≥ 0, for three (c, b) pairs.
/// let a = CscMatrix::from_triplets(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 1], &[1.0, 1.0, -1.0, -1.0]).unwrap();
/// let base = ProblemData::new(None, vec![1.0, 2.0], a, vec![1.0, 0.0, 0.0],
///     vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)]).unwrap();
/// let batch = BatchSolver::new(base, Settings { method: Method::Admm, ..Settings::default() }).unwrap();
/// let data = [([1.0, 2.0], [1.0, 0.0, 0.0]), ([3.0, 1.0], [2.0, 0.0, 0.0]), ([1.0, 1.0], [-1.0, 0.0, 0.0])];
/// let items: Vec<BatchItem> = data.iter()
///     .map(|(c, b)| BatchItem { c, b, start: Start::Cold })
///     .collect();
/// let sols = batch.solve(&items);
/// let sol0 = sols[0].as_ref().unwrap();
/// assert_eq!(sol0.status, Status::Solved);
/// assert!((sol0.objective - 1.0).abs() < 1e-4);
/// assert!((sols[1].as_ref().unwrap().objective - 2.0).abs() < 1e-4);
/// // x₁ + x₂ = −1 with x ≥ 0 is infeasible: only that problem says so.
/// assert!(sols[2].as_ref().unwrap().status.is_infeasible());
/// ```
#[derive(Clone)]
pub struct BatchSolver {
    proto: Solver,
}

impl BatchSolver {
    /// Validates `base` and the settings and performs the shared setup for
    /// the method of `settings.method`.
    pub fn new(base: ProblemData, settings: Settings) -> Result<Self, SolverError> {
        Ok(BatchSolver {
            proto: Solver::new(base, settings)?,
        })
    }

    /// A batch solver over an existing solver's setup (its problem's `P`,
    /// `A`, cones, settings and factorization or symbolic analysis).
    pub fn from_solver(proto: Solver) -> Self {
        BatchSolver { proto }
    }

    /// The prototype problem.
    pub fn problem(&self) -> &ProblemData {
        self.proto.problem()
    }

    /// The method of the solves.
    pub fn method(&self) -> Method {
        self.proto.settings().method
    }

    /// Solves every item in parallel (rayon's global pool), returning the
    /// results in the order of `items`. An item whose `c`, `b` or warm start
    /// has the wrong length or non-finite entries gets its own error.
    pub fn solve(&self, items: &[BatchItem<'_>]) -> Vec<Result<Solution, SolverError>> {
        match &self.proto {
            Solver::Admm(proto) if proto.factor().columnwise_multi_solve() => {
                let streams = rayon::current_num_threads().clamp(1, items.len().max(1));
                let fresh = items.len().div_ceil(streams).clamp(1, STREAM);
                let queue = AtomicUsize::new(0);
                let parts: Vec<_> = (0..streams)
                    .into_par_iter()
                    .map(|_| lockstep(proto, items, &queue, fresh))
                    .collect();
                in_order(items.len(), parts)
            }
            _ => items
                .par_iter()
                .map_init(
                    || self.instance(),
                    |solver, item| self.solve_one(solver, item),
                )
                .collect(),
        }
    }

    /// Solves the items on the calling thread (one lockstep stream where
    /// [`BatchSolver::solve`] would use one per thread); the same results
    /// as [`BatchSolver::solve`].
    pub fn solve_sequential(&self, items: &[BatchItem<'_>]) -> Vec<Result<Solution, SolverError>> {
        match &self.proto {
            Solver::Admm(proto) if proto.factor().columnwise_multi_solve() => {
                let queue = AtomicUsize::new(0);
                let part = lockstep(proto, items, &queue, STREAM);
                in_order(items.len(), vec![part])
            }
            _ => {
                let mut solver = self.instance();
                items
                    .iter()
                    .map(|item| self.solve_one(&mut solver, item))
                    .collect()
            }
        }
    }

    /// A solver for the items of one thread: a clone of the prototype (the
    /// operator-splitting factorization and the interior-point symbolic
    /// analysis are shared or copied, not recomputed).
    fn instance(&self) -> Solver {
        match &self.proto {
            Solver::Admm(s) => Solver::Admm(s.clone()),
            Solver::InteriorPoint(s) => Solver::InteriorPoint(s.clone()),
        }
    }

    /// Solves one item on `solver`, which may have solved other items
    /// before. The interior-point solver is reused as it is: `c` and `b`
    /// are replaced in full and the solve starts from the item's start
    /// (`Start::Previous` is cold: the previous solve was another item's),
    /// so the result is that of a fresh clone of the prototype, bit for bit
    /// (tested), without the clone's copies of the problem data and of the
    /// dense matrices of its factorization. The operator-splitting solver
    /// adapts its step size and factorization during a solve, so every item
    /// starts from a fresh clone.
    fn solve_one(
        &self,
        solver: &mut Solver,
        item: &BatchItem<'_>,
    ) -> Result<Solution, SolverError> {
        if let Solver::Admm(proto) = &self.proto {
            *solver = Solver::Admm(proto.clone());
        }
        solver.update_c(item.c)?;
        solver.update_b(item.b)?;
        let start = item.start.for_batch_item();
        Ok(solver.solve_from(start)?)
    }
}

/// The results of the lockstep streams, `(item, result)` pairs, in the
/// order of the items.
fn in_order(
    len: usize,
    parts: Vec<Vec<(usize, Result<Solution, SolverError>)>>,
) -> Vec<Result<Solution, SolverError>> {
    let mut out: Vec<Option<Result<Solution, SolverError>>> = (0..len).map(|_| None).collect();
    for (i, r) in parts.into_iter().flatten() {
        out[i] = Some(r);
    }
    out.into_iter()
        .map(|r| r.expect("every item is taken from the queue once"))
        .collect()
}

/// `solver` (a clone of the prototype) set up for `item`, and its run
/// state, sharing the factorizations of its stream.
fn start_run(
    mut solver: AdmmSolver,
    item: &BatchItem<'_>,
    cache: &Arc<FactorCache>,
) -> Result<(AdmmSolver, RunState), SolverError> {
    solver.update_c(item.c)?;
    solver.update_b(item.b)?;
    let start = item.start.for_batch_item();
    solver.check_start(start)?;
    let state = solver.begin(start, Some(cache));
    Ok((solver, state))
}

/// One lockstep stream: solves items taken from `queue` (the index of the
/// next untaken item) on clones of `proto`, keeping `fresh` of them on the
/// prototype's factorization while items remain (at most [`MAX_STREAM`]
/// in all), applying each shared factorization to all right-hand sides of
/// an iteration at once; returns `(item, result)` pairs. An item takes
/// over the solver of a finished one, reset to the prototype
/// ([`AdmmSolver::reset_to`]).
fn lockstep(
    proto: &AdmmSolver,
    items: &[BatchItem<'_>],
    queue: &AtomicUsize,
    fresh: usize,
) -> Vec<(usize, Result<Solution, SolverError>)> {
    let cache = Arc::new(FactorCache::new(proto.scale(), proto.factor()));
    let dim = proto.factor().pattern().dim();
    let mut out = Vec::new();
    let capacity = MAX_STREAM.min(items.len()).max(1);
    let mut runs: Vec<(usize, AdmmSolver, RunState)> = Vec::with_capacity(capacity);
    let mut spare: Vec<AdmmSolver> = Vec::with_capacity(capacity);
    // One block per factorization in use: the problems on each iterate in
    // lockstep (usually one or two step sizes per stream).
    let mut panels: Vec<Panel> = Vec::new();
    loop {
        // Finished problems leave; the next items of the queue join.
        let mut on_proto = runs
            .iter()
            .filter(|(_, solver, _)| Arc::ptr_eq(solver.factor(), proto.factor()))
            .count();
        while runs.len() < capacity && on_proto < fresh {
            on_proto += 1;
            let i = queue.fetch_add(1, Ordering::Relaxed);
            if i >= items.len() {
                break;
            }
            let solver = match spare.pop() {
                Some(mut s) => {
                    s.reset_to(proto);
                    s
                }
                None => proto.clone(),
            };
            match start_run(solver, &items[i], &cache) {
                Ok((solver, state)) => runs.push((i, solver, state)),
                Err(e) => out.push((i, Err(e))),
            }
        }
        let mut k = 0;
        while k < runs.len() {
            let (_, solver, state) = &mut runs[k];
            if solver.next_iteration(state) {
                k += 1;
            } else {
                let (i, mut solver, state) = runs.swap_remove(k);
                out.push((i, Ok(solver.finish(state))));
                spare.push(solver);
            }
        }
        if runs.is_empty() {
            if queue.load(Ordering::Relaxed) >= items.len() {
                break;
            }
            continue;
        }
        panels.iter_mut().for_each(|p| p.members.clear());
        for (r, (_, solver, _)) in runs.iter_mut().enumerate() {
            solver.linear_rhs();
            let factor = solver.factor();
            let k = match panels.iter().position(|p| Arc::ptr_eq(&p.factor, factor)) {
                Some(k) => k,
                None => {
                    panels.push(Panel {
                        factor: Arc::clone(factor),
                        block: ColumnBlock::new(dim, capacity),
                        members: Vec::with_capacity(capacity),
                        checks: Vec::with_capacity(capacity),
                        products: vec![0.0; dim],
                    });
                    panels.len() - 1
                }
            };
            let p = &mut panels[k];
            // Gathered into the block while the right-hand side is hot.
            p.factor
                .set_column(&mut p.block, p.members.len(), solver.linear_buffer());
            p.members.push(r);
        }
        for p in panels.iter_mut().filter(|p| !p.members.is_empty()) {
            let solved = p.factor.solve_columns(&mut p.block, p.members.len());
            // Only the dual normal equations keep the dense copy of `A`
            // that the panel products use.
            let dense_products = p.factor.pattern().is_dual_normal();
            p.checks.clear();
            for (col, &r) in p.members.iter().enumerate() {
                let (_, solver, state) = &mut runs[r];
                if solved {
                    p.factor.get_column(&p.block, col, solver.linear_buffer());
                } else {
                    solver.solve_linear();
                }
                if !solver.project_iteration(state) {
                    continue;
                }
                if dense_products && solver.evaluation_due(state) {
                    p.checks.push(r);
                } else {
                    solver.conclude_iteration(state, false);
                }
            }
            // The termination checks' products `A u_x`, `Aᵀu_y`, a panel
            // of problems per pass over `A` (the same bits as one by one).
            for (col, &r) in p.checks.iter().enumerate() {
                p.factor
                    .set_column(&mut p.block, col, runs[r].1.residual_point());
            }
            let ready = p.factor.a_products_columns(&mut p.block, p.checks.len());
            for (col, &r) in p.checks.iter().enumerate() {
                let (_, solver, state) = &mut runs[r];
                if ready {
                    p.factor.get_column(&p.block, col, &mut p.products);
                    let (aty, ax) = solver.product_buffers();
                    let (pa, pb) = p.products.split_at(aty.len());
                    aty.copy_from_slice(pa);
                    ax.copy_from_slice(pb);
                }
                solver.conclude_iteration(state, ready);
            }
        }
        // Factorizations no problem uses any more stay in the cache only.
        panels.retain(|p| !p.members.is_empty());
    }
    out
}

/// The right-hand sides of the problems of a lockstep stream that share one
/// factorization.
struct Panel {
    factor: Arc<KktFactor>,
    block: ColumnBlock,
    members: Vec<usize>,
    /// The members whose iteration checks termination, and a column of
    /// their products.
    checks: Vec<usize>,
    products: Vec<f64>,
}
