//! The batch benchmark (`lpgd bench batch`): a family of random LPs or QPs
//! that share `A` (and `P`) and differ in `c` and `b`, solved as one batch
//! ([`lpgd_solver::batch::BatchSolver`], rayon) and one by one (a fresh
//! solver per problem), for both methods, next to Clarabel one by one.
//!
//! Each problem has `n` variables, `m` random inequality rows `Ax ≤ b` and
//! the box `−1 ≤ x ≤ 1` (so `m + 2n` nonnegative-cone rows); `A` is dense
//! Gaussian, `b = Ax₀ + s₀` with `x₀ ∈ (−½, ½)ⁿ`, `s₀ ∈ (0, 1)ᵐ` (feasible),
//! `c` Gaussian, and for QPs `P = MᵀM/n + 0.1·I` with Gaussian `M`.

use crate::bench::{clarabel_settings, to_clarabel};
use clarabel::solver::{DefaultSolver, IPSolver};
use lpgd_solver::batch::{BatchItem, BatchSolver};
use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, Solver, Start, SupportedCone};
use serde::Serialize;
use std::time::Instant;

/// Linear or quadratic objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// `P = 0`.
    Lp,
    /// `P = MᵀM/n + 0.1·I`.
    Qp,
}

/// `(c, b)` of one problem of a family.
pub type CostRhs = (Vec<f64>, Vec<f64>);

pub use crate::rng::Rng;

/// A prototype problem and `count` `(c, b)` pairs sharing its `P`, `A` and
/// cones.
pub fn random_family(
    kind: Kind,
    n: usize,
    m: usize,
    count: usize,
    seed: u64,
) -> (ProblemData, Vec<CostRhs>) {
    let mut rng = Rng(seed);
    let rows = m + 2 * n;
    let (mut ri, mut ci, mut vi) = (Vec::new(), Vec::new(), Vec::new());
    let mut a_dense = vec![0.0; m * n];
    for j in 0..n {
        for i in 0..m {
            let v = rng.normal();
            a_dense[i * n + j] = v;
            ri.push(i);
            ci.push(j);
            vi.push(v);
        }
        ri.extend([m + j, m + n + j]);
        ci.extend([j, j]);
        vi.extend([1.0, -1.0]);
    }
    let a = CscMatrix::from_triplets(rows, n, &ri, &ci, &vi).expect("valid pattern");
    let p = match kind {
        Kind::Lp => None,
        Kind::Qp => {
            let mm: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
            let (mut pr, mut pc, mut pv) = (Vec::new(), Vec::new(), Vec::new());
            for j in 0..n {
                for i in 0..=j {
                    let mut v =
                        (0..n).map(|k| mm[k * n + i] * mm[k * n + j]).sum::<f64>() / n as f64;
                    if i == j {
                        v += 0.1;
                    }
                    pr.push(i);
                    pc.push(j);
                    pv.push(v);
                }
            }
            Some(CscMatrix::from_triplets(n, n, &pr, &pc, &pv).expect("valid pattern"))
        }
    };
    let draw = |rng: &mut Rng| -> CostRhs {
        let c: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let x0: Vec<f64> = (0..n).map(|_| rng.uniform() - 0.5).collect();
        let mut b = vec![1.0; rows];
        for i in 0..m {
            b[i] = (0..n).map(|j| a_dense[i * n + j] * x0[j]).sum::<f64>() + rng.uniform();
        }
        (c, b)
    };
    let (c0, b0) = draw(&mut rng);
    let base = ProblemData::new(p, c0, a, b0, vec![SupportedCone::Nonnegative(rows)])
        .expect("valid problem");
    let data = (0..count).map(|_| draw(&mut rng)).collect();
    (base, data)
}

/// Timings of one configuration (median over the repetitions).
#[derive(Debug, Clone, Serialize)]
pub struct BatchBenchRow {
    /// `"ipm"`, `"admm"` or `"clarabel"`.
    pub solver: String,
    /// LP or QP.
    pub kind: Kind,
    /// Problems in the batch.
    pub count: usize,
    /// Wall time of the parallel batch solve, setup included (s); `None`
    /// for the baseline, which has no batch mode.
    pub batch_s: Option<f64>,
    /// Wall time of solving the problems one by one, each with its own
    /// solver (s).
    pub sequential_s: f64,
    /// Problems solved (status `Solved`) in the batch run (or the
    /// sequential run for the baseline).
    pub solved: usize,
}

impl BatchBenchRow {
    /// Problems per second of the batch solve.
    pub fn batch_rate(&self) -> Option<f64> {
        self.batch_s.map(|t| self.count as f64 / t)
    }

    /// Problems per second one by one.
    pub fn sequential_rate(&self) -> f64 {
        self.count as f64 / self.sequential_s
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs one method on a family: `reps` batch solves and `reps` one-by-one
/// solves.
pub fn run_method(
    method: Method,
    base: &ProblemData,
    data: &[CostRhs],
    kind: Kind,
    reps: usize,
) -> BatchBenchRow {
    let settings = Settings {
        method,
        ..Settings::default()
    };
    let items: Vec<BatchItem> = data
        .iter()
        .map(|(c, b)| BatchItem {
            c,
            b,
            start: Start::Cold,
        })
        .collect();
    let mut batch_times = Vec::with_capacity(reps);
    let mut solved = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let batch = BatchSolver::new(base.clone(), settings.clone()).expect("valid problem");
        let sols = batch.solve(&items);
        batch_times.push(t.elapsed().as_secs_f64());
        solved = sols
            .iter()
            .filter(|s| {
                s.as_ref()
                    .is_ok_and(|s| s.status == lpgd_solver::Status::Solved)
            })
            .count();
    }
    let mut seq_times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        for (c, b) in data {
            let mut prob = base.clone();
            prob.c.clone_from(c);
            prob.b.clone_from(b);
            let mut solver = Solver::new(prob, settings.clone()).expect("valid problem");
            std::hint::black_box(solver.solve());
        }
        seq_times.push(t.elapsed().as_secs_f64());
    }
    BatchBenchRow {
        solver: match method {
            Method::Admm => "admm".into(),
            _ => "ipm".into(),
        },
        kind,
        count: data.len(),
        batch_s: Some(median(batch_times)),
        sequential_s: median(seq_times),
        solved,
    }
}

/// Clarabel one by one on the same family.
pub fn run_clarabel(
    base: &ProblemData,
    data: &[CostRhs],
    kind: Kind,
    reps: usize,
) -> BatchBenchRow {
    let mut times = Vec::with_capacity(reps);
    let mut solved = 0;
    for _ in 0..reps {
        solved = 0;
        let t = Instant::now();
        for (c, b) in data {
            let mut prob = base.clone();
            prob.c.clone_from(c);
            prob.b.clone_from(b);
            let cp = to_clarabel(&prob).expect("supported cones");
            let mut solver = DefaultSolver::new(
                &cp.p,
                &cp.q,
                &cp.a,
                &cp.b,
                &cp.cones,
                clarabel_settings(f64::INFINITY),
            )
            .expect("valid problem");
            solver.solve();
            if solver.solution.status == clarabel::solver::SolverStatus::Solved {
                solved += 1;
            }
        }
        times.push(t.elapsed().as_secs_f64());
    }
    BatchBenchRow {
        solver: "clarabel".into(),
        kind,
        count: data.len(),
        batch_s: None,
        sequential_s: median(times),
        solved,
    }
}
