//! Warm starts of the interior-point method: from a solution, after a small
//! change of `c` (LPGD's perturbed solves), from far-away or infeasible
//! points, with nonsymmetric cones (cold start), to an infeasible problem,
//! and through the batch API (positive semidefinite cones: `psd.rs`).
#![allow(clippy::needless_range_loop)]

use lpgd_solver::batch::{BatchItem, BatchSolver};
use lpgd_solver::{ProblemData, Settings, Solver, Start, Status, SupportedCone};
use proptest::prelude::*;

mod common;
use common::{plant, Lcg};

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

fn symmetric_cone_sets() -> Vec<Vec<SupportedCone>> {
    vec![
        vec![SupportedCone::Zero(2), SupportedCone::Nonnegative(8)],
        vec![SupportedCone::Nonnegative(4), SupportedCone::SecondOrder(4)],
        vec![
            SupportedCone::Zero(1),
            SupportedCone::SecondOrder(3),
            SupportedCone::SecondOrder(5),
        ],
    ]
}

/// `c + ε‖c‖·d/‖d‖` for a Gaussian direction `d`.
fn nudged(c: &[f64], eps: f64, rng: &mut Lcg) -> Vec<f64> {
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let d: Vec<f64> = (0..c.len()).map(|_| rng.normal()).collect();
    let (nc, nd) = (norm(c), norm(&d));
    c.iter()
        .zip(&d)
        .map(|(ci, di)| ci + eps * nc * di / nd)
        .collect()
}

/// From the problem's own solution the method stops within two
/// iterations, at the same objective.
#[test]
fn warm_start_from_the_solution_stops_within_two_iterations() {
    for (k, cones) in symmetric_cone_sets().into_iter().enumerate() {
        for quadratic in [false, true] {
            let planted = plant(200 + k as u64, 7, &cones, quadratic);
            let mut solver = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
            let exact = solver.solve();
            assert_eq!(exact.status, Status::Solved);
            let warm = solver
                .solve_from(Start::Point {
                    x: &exact.x,
                    y: &exact.y,
                    s: &exact.s,
                })
                .unwrap();
            assert_eq!(warm.status, Status::Solved, "cones {cones:?}");
            assert!(
                warm.iterations <= 2,
                "cones {cones:?}, quadratic {quadratic}: {} iterations (cold {})",
                warm.iterations,
                exact.iterations
            );
            assert!(rel_err(warm.objective, exact.objective) < 1e-7);
            // `Start::Previous` continues from the same iterate.
            let again = solver.solve_from(Start::Previous).unwrap();
            assert_eq!(again.status, Status::Solved);
            assert!(again.iterations <= 2);
        }
    }
}

/// After moving `c` by 1e-3·‖c‖, a warm start from the previous solution
/// reaches the cold start's status and objective, in at most 60% of its
/// iterations (median over planted LPs and QPs with zero, nonnegative and
/// second-order cones).
#[test]
fn warm_start_after_a_small_cost_change_is_cheaper() {
    let mut ratios = Vec::new();
    let mut rng = Lcg(11);
    for seed in 0..24u64 {
        let cones = [
            SupportedCone::Zero(2),
            SupportedCone::Nonnegative(14),
            SupportedCone::SecondOrder(4),
        ];
        let planted = plant(seed, 12, &cones, seed % 2 == 0);
        let mut solver = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
        let first = solver.solve();
        assert_eq!(first.status, Status::Solved);
        solver
            .update_c(&nudged(&planted.prob.c, 1e-3, &mut rng))
            .unwrap();
        let warm = solver
            .solve_from(Start::Point {
                x: &first.x,
                y: &first.y,
                s: &first.s,
            })
            .unwrap();
        let cold = solver.solve();
        // The nudge can make a problem unbounded: both must say so.
        assert_eq!(warm.status, cold.status, "seed {seed}");
        if cold.status != Status::Solved {
            continue;
        }
        assert!(rel_err(warm.objective, cold.objective) < 1e-6);
        ratios.push(warm.iterations as f64 / cold.iterations as f64);
    }
    assert!(ratios.len() >= 20, "{} solved", ratios.len());
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    eprintln!("median warm/cold iteration ratio {median:.3}");
    assert!(median <= 0.6, "median warm/cold ratio {median}: {ratios:?}");
}

/// Problems with nonsymmetric cones have no warm start: the result is the
/// cold start's, bit for bit.
#[test]
fn nonsymmetric_cones_start_cold() {
    let cones = [SupportedCone::Exponential, SupportedCone::Nonnegative(3)];
    let planted = plant(5, 5, &cones, false);
    let mut solver = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
    let cold = solver.solve();
    assert_eq!(cold.status, Status::Solved);
    let warm = solver
        .solve_from(Start::Point {
            x: &planted.x,
            y: &planted.y,
            s: &planted.s,
        })
        .unwrap();
    assert_eq!(warm.iterations, cold.iterations);
    assert_eq!(warm.x, cold.x);
}

/// A point with a relative residual above one half on the new data is no
/// better than the cold start, which is then taken: the result is the cold
/// start's, bit for bit.
#[test]
fn distant_points_start_cold() {
    let cones = [SupportedCone::Zero(2), SupportedCone::Nonnegative(9)];
    let planted = plant(8, 6, &cones, true);
    let mut solver = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
    let cold = solver.solve();
    assert_eq!(cold.status, Status::Solved);
    let far = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| 100.0 * x + 10.0).collect() };
    let (x, y, s) = (far(&cold.x), far(&cold.y), far(&cold.s));
    let warm = solver
        .solve_from(Start::Point {
            x: &x,
            y: &y,
            s: &s,
        })
        .unwrap();
    assert_eq!(warm.iterations, cold.iterations);
    assert_eq!(warm.x, cold.x);
}

/// A warm start from a feasible neighbour's solution still certifies an
/// infeasible problem.
#[test]
fn warm_start_certifies_infeasibility() {
    // x₁ + x₂ = b₀, x ≥ 0: feasible for b₀ = 1, infeasible for b₀ = −1.
    let a = lpgd_solver::CscMatrix::from_triplets(
        3,
        2,
        &[0, 0, 1, 2],
        &[0, 1, 0, 1],
        &[1.0, 1.0, -1.0, -1.0],
    )
    .unwrap();
    let prob = ProblemData::new(
        None,
        vec![1.0, 2.0],
        a,
        vec![1.0, 0.0, 0.0],
        vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)],
    )
    .unwrap();
    let mut solver = Solver::new(prob, Settings::default()).unwrap();
    let sol = solver.solve();
    assert_eq!(sol.status, Status::Solved);
    solver.update_b(&[-1.0, 0.0, 0.0]).unwrap();
    let warm = solver
        .solve_from(Start::Point {
            x: &sol.x,
            y: &sol.y,
            s: &sol.s,
        })
        .unwrap();
    assert_eq!(warm.status, Status::PrimalInfeasible);
    // The point is far from the new data (relative residual 1): the run
    // starts cold and is not repeated.
    let cold = solver.solve();
    assert_eq!(warm.iterations, cold.iterations);
}

/// The batch API warm-starts interior-point solves too, with the results of
/// one-by-one solves.
#[test]
fn batch_warm_starts_match_single_solves() {
    let cones = [
        SupportedCone::Nonnegative(12),
        SupportedCone::SecondOrder(3),
    ];
    let planted = plant(3, 8, &cones, true);
    let mut rng = Lcg(5);
    let mut solver = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
    let sol = solver.solve();
    let costs: Vec<Vec<f64>> = (0..6)
        .map(|_| nudged(&planted.prob.c, 1e-2, &mut rng))
        .collect();
    let start = Start::Point {
        x: &sol.x,
        y: &sol.y,
        s: &sol.s,
    };
    let items: Vec<BatchItem> = costs
        .iter()
        .map(|c| BatchItem {
            c,
            b: &planted.prob.b,
            start,
        })
        .collect();
    let batch = BatchSolver::new(planted.prob.clone(), Settings::default()).unwrap();
    for (c, r) in costs.iter().zip(batch.solve(&items)) {
        let r = r.unwrap();
        let mut single = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
        single.update_c(c).unwrap();
        single.update_b(&planted.prob.b).unwrap();
        let cold_iters = single.solve().iterations;
        let one = single.solve_from(start).unwrap();
        assert_eq!(r.status, Status::Solved);
        assert_eq!(r.x, one.x);
        assert_eq!(r.iterations, one.iterations);
        assert!(r.iterations < cold_iters);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, rng_seed: proptest::test_runner::RngSeed::Fixed(20261129), ..ProptestConfig::default() })]

    /// From an arbitrary point (far away, outside the cones, mismatched
    /// duals) the warm-started method still reaches the cold start's
    /// objective.
    #[test]
    fn any_warm_start_reaches_the_cold_objective(seed in any::<u64>(), scale in -3.0f64..3.0, set in 0usize..3, quadratic in any::<bool>()) {
        let cones = &symmetric_cone_sets()[set];
        let planted = plant(seed, 7, cones, quadratic);
        let mut solver = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
        let cold = solver.solve();
        prop_assert_eq!(cold.status, Status::Solved);
        let mut rng = Lcg(seed ^ 0xABCD);
        let mag = 10f64.powf(scale);
        let mut point = |len: usize| -> Vec<f64> { (0..len).map(|_| mag * rng.normal()).collect() };
        let (x, y, s) = (point(planted.prob.n()), point(planted.prob.m()), point(planted.prob.m()));
        let warm = solver.solve_from(Start::Point { x: &x, y: &y, s: &s }).unwrap();
        prop_assert_eq!(warm.status, Status::Solved);
        prop_assert!(rel_err(warm.objective, cold.objective) < 1e-6, "warm {} cold {}", warm.objective, cold.objective);
    }
}
