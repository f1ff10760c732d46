//! The solver entry point on arbitrary small problem data built from bytes
//! (`problem.rs`). Inputs that fail validation are skipped after checking that the error is
//! a typed one; valid problems are solved with small limits by both methods
//! (interior point and ADMM), then re-solved after a data update (cold,
//! from the previous iterate and from the first solution), and solved as a batch of three problems with their own
//! `c` and `b` (the lockstep path of the ADMM batch). Nothing may panic, a
//! returned certificate must be finite, and a batch returns one result per
//! problem.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lpgd_solver::batch::{BatchItem, BatchSolver};
use lpgd_solver::{Method, ProblemData, Solver, Start};

mod problem;
use problem::Bytes;

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let Some(prob) = problem::decode(&mut bytes) else {
        return;
    };
    let c = prob.c.clone();
    // Both methods on the same data; the first byte left picks polishing.
    let polish = bytes.byte() & 1 == 1;
    for method in [Method::InteriorPoint, Method::Admm] {
        run(prob.clone(), method, polish, &c);
    }
});

fn run(prob: ProblemData, method: Method, polish: bool, c: &[f64]) {
    let settings = problem::settings(method, polish);
    let Ok(mut solver) = Solver::new(prob.clone(), settings.clone()) else {
        return;
    };
    let sol = solver.solve();
    if let Some(cert) = &sol.certificate {
        match cert {
            lpgd_solver::Certificate::PrimalInfeasible { y } => {
                assert!(y.iter().all(|v| v.is_finite()), "{sol:?}")
            }
            lpgd_solver::Certificate::DualInfeasible { x, s } => {
                assert!(x.iter().chain(s).all(|v| v.is_finite()), "{sol:?}")
            }
        }
    }
    // Re-solve after a data update (the differentiation path).
    let c2: Vec<f64> = c.iter().map(|v| v * 0.5 + 1.0).collect();
    if solver.update_c(&c2).is_ok() {
        let _ = solver.solve();
        let _ = solver.solve_from(Start::Previous);
        // Warm-started from the first solution (a typed error when it has
        // non-finite entries, e.g. after an infeasibility certificate).
        let _ = solver.solve_from(Start::Point {
            x: &sol.x,
            y: &sol.y,
            s: &sol.s,
        });
    }
    // A batch: the original data, a shifted cost, and a scaled right-hand
    // side (which may be infeasible or non-finite: a per-problem result).
    let b2: Vec<f64> = prob.b.iter().map(|v| v * 2.0 - 1.0).collect();
    let Ok(batch) = BatchSolver::new(prob.clone(), settings) else {
        return;
    };
    let items = [
        BatchItem {
            c,
            b: &prob.b,
            start: Start::Cold,
        },
        BatchItem {
            c: &c2,
            b: &prob.b,
            start: Start::Previous,
        },
        BatchItem {
            c,
            b: &b2,
            start: Start::Cold,
        },
    ];
    assert_eq!(batch.solve(&items).len(), items.len());
}
