//! Batched solves: agreement with single solves, independence of thread
//! count and batch order, per-problem failures.
#![allow(clippy::needless_range_loop)]

use lpgd_solver::batch::{BatchItem, BatchSolver};
use lpgd_solver::{
    CscMatrix, Method, ProblemData, Settings, Solution, Solver, Start, Status, SupportedCone,
};

mod common;
use common::{plant, Lcg};

/// A prototype problem and `k` (c, b) pairs around it (feasible and bounded:
/// each b is `Ax₀ + s₀` with `s₀` in the cone, each c stays near the
/// planted one).
/// `(c, b)` of one batch item.
type CostRhs = (Vec<f64>, Vec<f64>);

fn family(k: usize, quadratic: bool) -> (ProblemData, Vec<CostRhs>) {
    let cones = [
        SupportedCone::Zero(2),
        SupportedCone::Nonnegative(14),
        SupportedCone::SecondOrder(4),
    ];
    let planted = plant(3, 10, &cones, quadratic);
    let p = &planted.prob;
    // Append two rows x₀ ≤ b₂₀ and −x₀ ≤ b₂₁ (a nonnegative block), which
    // make a problem infeasible when b₂₀ + b₂₁ < 0.
    let (mut rows, mut cols) = p.a.triplet_indices();
    let mut vals = p.a.nzval.clone();
    rows.extend([20, 21]);
    cols.extend([0, 0]);
    vals.extend([1.0, -1.0]);
    let a = CscMatrix::from_triplets(22, p.n(), &rows, &cols, &vals).unwrap();
    let mut cones = cones.to_vec();
    cones.push(SupportedCone::Nonnegative(2));
    let mut b0 = p.b.clone();
    b0.extend([100.0, 100.0]);
    let base = ProblemData::new(Some(CscMatrix::clone(&p.p)), p.c.clone(), a, b0, cones).unwrap();
    let mut rng = Lcg(99);
    let data = (0..k)
        .map(|_| {
            let c: Vec<f64> = base.c.iter().map(|v| v + 0.1 * rng.normal()).collect();
            let x0: Vec<f64> = (0..base.n()).map(|_| rng.normal()).collect();
            let mut b = vec![0.0; base.m()];
            base.a.gemv(&mut b, &x0, 1.0, 0.0);
            for i in 2..16 {
                b[i] += rng.uniform();
            }
            b[16] += 10.0;
            b[20] += 5.0;
            b[21] += 5.0;
            (c, b)
        })
        .collect();
    (base, data)
}

fn items(data: &[CostRhs]) -> Vec<BatchItem<'_>> {
    data.iter()
        .map(|(c, b)| BatchItem {
            c,
            b,
            start: Start::Cold,
        })
        .collect()
}

fn bits(sol: &Solution) -> Vec<u64> {
    sol.x
        .iter()
        .chain(&sol.y)
        .chain(&sol.s)
        .chain([&sol.objective])
        .map(|v| v.to_bits())
        .chain([sol.iterations as u64])
        .collect()
}

fn settings(method: Method) -> Settings {
    Settings {
        method,
        ..Settings::default()
    }
}

#[test]
fn batch_matches_single_solves() {
    for method in [Method::Admm, Method::InteriorPoint] {
        for quadratic in [false, true] {
            let (base, data) = family(8, quadratic);
            let batch = BatchSolver::new(base.clone(), settings(method)).unwrap();
            let sols = batch.solve(&items(&data));
            for ((c, b), sol) in data.iter().zip(&sols) {
                let sol = sol.as_ref().unwrap();
                let mut prob = base.clone();
                prob.c.clone_from(c);
                prob.b.clone_from(b);
                let single = Solver::new(prob, Settings::default()).unwrap().solve();
                assert_eq!(single.status, Status::Solved);
                assert_eq!(sol.status, Status::Solved, "{method:?}");
                let rel =
                    (sol.objective - single.objective).abs() / single.objective.abs().max(1.0);
                let tol = if method == Method::Admm { 1e-4 } else { 1e-7 };
                assert!(
                    rel < tol,
                    "{method:?}: {} vs {}",
                    sol.objective,
                    single.objective
                );
            }
        }
    }
}

#[test]
fn results_are_independent_of_threads_and_order() {
    for method in [Method::Admm, Method::InteriorPoint] {
        let (base, data) = family(12, true);
        let batch = BatchSolver::new(base, settings(method)).unwrap();
        let its = items(&data);
        let reference: Vec<Vec<u64>> = batch
            .solve_sequential(&its)
            .iter()
            .map(|r| bits(r.as_ref().unwrap()))
            .collect();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got: Vec<Vec<u64>> = pool
                .install(|| batch.solve(&its))
                .iter()
                .map(|r| bits(r.as_ref().unwrap()))
                .collect();
            assert_eq!(got, reference, "{method:?} with {threads} threads");
        }
        let reversed: Vec<BatchItem> = its.iter().rev().copied().collect();
        let mut got: Vec<Vec<u64>> = batch
            .solve(&reversed)
            .iter()
            .map(|r| bits(r.as_ref().unwrap()))
            .collect();
        got.reverse();
        assert_eq!(got, reference, "{method:?} reversed");
        // Nor on the other problems of the batch (the operator-splitting
        // method solves a group in lockstep, one multi-column solve per
        // iteration): each problem alone gives the same bits.
        for (i, item) in its.iter().enumerate() {
            let alone = batch.solve(std::slice::from_ref(item));
            assert_eq!(
                bits(alone[0].as_ref().unwrap()),
                reference[i],
                "{method:?} alone"
            );
        }
    }
}

#[test]
fn failures_stay_with_their_problem() {
    for method in [Method::Admm, Method::InteriorPoint] {
        let (base, mut data) = family(5, false);
        let batch = BatchSolver::new(base.clone(), settings(method)).unwrap();
        let clean: Vec<Vec<u64>> = batch
            .solve(&items(&data))
            .iter()
            .map(|r| bits(r.as_ref().unwrap()))
            .collect();
        // Problem 1: x₀ ≤ −1 and −x₀ ≤ −1 is infeasible; problem 3 has a NaN.
        data[1].1[20] = -1.0;
        data[1].1[21] = -1.0;
        data[3].0[0] = f64::NAN;
        let got = batch.solve(&items(&data));
        assert!(got[3].is_err(), "{method:?}: NaN c accepted");
        assert_eq!(
            got[1].as_ref().unwrap().status,
            Status::PrimalInfeasible,
            "{method:?}"
        );
        for k in [0, 2, 4] {
            assert_eq!(
                bits(got[k].as_ref().unwrap()),
                clean[k],
                "{method:?}: problem {k} changed"
            );
        }
    }
}

/// A problem without variables or rows (valid, trivially solved): the
/// lockstep path's column block has zero rows and must still hold one
/// column per problem (a fuzzing find).
#[test]
fn empty_problems_batch() {
    let empty = CscMatrix::from_triplets(0, 0, &[], &[], &[]).unwrap();
    let base = ProblemData::new(None, vec![], empty, vec![], vec![]).unwrap();
    for method in [Method::Admm, Method::InteriorPoint] {
        let batch = BatchSolver::new(base.clone(), settings(method)).unwrap();
        let data: Vec<CostRhs> = vec![(vec![], vec![]); 3];
        let sols = batch.solve(&items(&data));
        assert_eq!(sols.len(), 3);
        for sol in sols {
            let sol = sol.unwrap();
            assert_eq!(sol.status, Status::Solved, "{method:?}");
            assert_eq!(sol.objective, 0.0);
        }
    }
}

/// Step-size updates within a lockstep group: problems that move to the same
/// step size share one factorization (and keep solving in lockstep), which
/// must give each problem the bits it gets alone in its group.
#[test]
fn step_size_updates_in_lockstep_do_not_change_results() {
    let (base, data) = family(12, true);
    let mut s = settings(Method::Admm);
    s.admm.scale = 1e-3;
    s.admm.adaptive_scale_interval = 10;
    s.admm.eps_abs = 1e-9;
    s.admm.eps_rel = 1e-9;
    s.admm.eps_feas = 1e-9;
    let batch = BatchSolver::new(base.clone(), s.clone()).unwrap();
    let its = items(&data);
    let sols = batch.solve_sequential(&its);
    let mut moved = Vec::new();
    for ((item, (c, b)), sol) in its.iter().zip(&data).zip(&sols) {
        let sol = sol.as_ref().unwrap();
        assert_eq!(sol.status, Status::Solved);
        let alone = batch.solve(std::slice::from_ref(item));
        assert_eq!(bits(sol), bits(alone[0].as_ref().unwrap()));
        // The step size each problem ends with (the same path outside a
        // batch, up to rounding).
        let mut prob = base.clone();
        prob.c.clone_from(c);
        prob.b.clone_from(b);
        let mut single = lpgd_solver::AdmmSolver::new(prob, s.clone()).unwrap();
        assert_eq!(single.solve().status, Status::Solved);
        moved.push(single.scale().to_bits());
    }
    let distinct: std::collections::HashSet<u64> = moved.iter().copied().collect();
    assert!(
        !distinct.contains(&s.admm.scale.to_bits()) && distinct.len() < moved.len(),
        "every problem should move off the initial step size, some to the same one: {distinct:?}"
    );
}

/// A lockstep stream holds a few problems at a time; the next problem of
/// the batch takes over the solver of a finished one, reset to the
/// prototype. Whatever the finished problem left (its iterates, its
/// acceleration memory, the step size and factorization it moved to, an
/// error), each problem must get the bits it gets alone: batches several
/// times the stream's width, cold and warm starts (at the current step
/// size and at the one a previous solve ended with) mixed, on 1–3 threads;
/// with a quadratic objective (a factorization per step size) and a
/// linear one (one factorization for all step sizes,
/// [`lpgd_solver::AdmmSettings::sigma_follows_scale`]).
#[test]
fn problems_taking_over_a_finished_problems_solver_start_afresh() {
    for quadratic in [true, false] {
        takeover_matches_solves_alone(quadratic);
    }
}

fn takeover_matches_solves_alone(quadratic: bool) {
    let (base, mut data) = family(60, quadratic);
    data[7].0[0] = f64::NAN;
    let mut s = settings(Method::Admm);
    s.admm.scale = 1e-3;
    s.admm.adaptive_scale_interval = 10;
    // Step sizes move (the updates are exercised).
    let moved = data[..5]
        .iter()
        .filter(|(c, b)| {
            let mut prob = base.clone();
            prob.c.clone_from(c);
            prob.b.clone_from(b);
            let mut single = lpgd_solver::AdmmSolver::new(prob, s.clone()).unwrap();
            single.solve();
            single.scale() != s.admm.scale
        })
        .count();
    assert!(moved > 0, "quadratic {quadratic}: no step size moved");
    let batch = BatchSolver::new(base, s).unwrap();
    let cold = batch.solve_sequential(&items(&data)[..30]);
    let mut its = items(&data);
    for (k, item) in its.iter_mut().enumerate().skip(30) {
        if let Ok(w) = &cold[k - 30] {
            match k % 3 {
                1 => {
                    item.start = Start::Point {
                        x: &w.x,
                        y: &w.y,
                        s: &w.s,
                    }
                }
                2 => {
                    item.start = Start::PointAt {
                        x: &w.x,
                        y: &w.y,
                        s: &w.s,
                        scale: w.step_size.unwrap(),
                    }
                }
                _ => {}
            }
        }
    }
    let outcome = |r: &Result<Solution, _>| r.as_ref().map(bits).map_err(|e| format!("{e}"));
    let alone: Vec<_> = its
        .iter()
        .map(|item| outcome(&batch.solve(std::slice::from_ref(item))[0]))
        .collect();
    assert!(alone[7].is_err() && alone[37].is_ok());
    let sequential: Vec<_> = batch.solve_sequential(&its).iter().map(outcome).collect();
    assert_eq!(sequential, alone, "one stream");
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let got: Vec<_> = pool
            .install(|| batch.solve(&its))
            .iter()
            .map(outcome)
            .collect();
        assert_eq!(got, alone, "{threads} threads");
    }
}
