//! Operator-splitting method: planted-KKT problems for every cone, agreement
//! with the interior-point method, warm starts, infeasibility certificates,
//! data updates and limits.
#![allow(clippy::needless_range_loop)]

use lpgd_solver::{
    AdmmSettings, Certificate, CscMatrix, Method, ProblemData, ProblemError, Settings, Solver,
    Start, Status, SupportedCone,
};
use proptest::prelude::*;
use std::sync::Arc;

mod common;
use common::{plant, Lcg};

fn admm_settings() -> Settings {
    Settings {
        method: Method::Admm,
        ..Settings::default()
    }
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, x| a.max(x.abs()))
}

fn cone_list() -> impl Strategy<Value = Vec<SupportedCone>> {
    prop::collection::vec(
        prop_oneof![
            (1usize..3).prop_map(SupportedCone::Zero),
            (1usize..8).prop_map(SupportedCone::Nonnegative),
            (2usize..7).prop_map(SupportedCone::SecondOrder),
            Just(SupportedCone::Exponential),
            (0.1f64..0.9).prop_map(SupportedCone::Power),
        ],
        1..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: proptest::test_runner::RngSeed::Fixed(20261130), ..ProptestConfig::default() })]

    /// Planted problems over the zero, nonnegative, second-order,
    /// exponential and power cones solve to the method's default tolerance
    /// and their objective agrees with the planted one to 1e-4.
    #[test]
    fn planted_problems_are_solved(seed in any::<u64>(), n in 2usize..10, cones in cone_list(), quadratic in any::<bool>()) {
        let zero_rows: usize = cones.iter().filter(|c| matches!(c, SupportedCone::Zero(_))).map(|c| c.dim()).sum();
        prop_assume!(zero_rows < n);
        let planted = plant(seed, n, &cones, quadratic);
        let sol = Solver::new(planted.prob.clone(), admm_settings()).unwrap().solve();
        prop_assert_eq!(sol.status, Status::Solved);
        prop_assert!(sol.residuals.primal < 1e-5 && sol.residuals.dual < 1e-5);
        let rel = rel_err(sol.objective, planted.objective);
        prop_assert!(rel < 1e-4, "objective {} vs planted {}", sol.objective, planted.objective);
    }
}

/// A small SDP: minimize ⟨C, X⟩ subject to tr(X) = 1, X ⪰ 0, whose optimum
/// is λmin(C); both methods agree.
#[test]
fn psd_problem_matches_the_interior_point_method() {
    // C = [[2, 1], [1, 3]] in svec order (x11, √2·x12, x22).
    let r2 = 2f64.sqrt();
    let c = vec![2.0, r2 * 1.0, 3.0];
    // tr(X) = x11 + x22 = 1 (zero row); −X + S = 0 with S ⪰ 0.
    let a = CscMatrix::from_triplets(
        4,
        3,
        &[0, 0, 1, 2, 3],
        &[0, 2, 0, 1, 2],
        &[1.0, 1.0, -1.0, -1.0, -1.0],
    )
    .unwrap();
    let prob = ProblemData::new(
        None,
        c,
        a,
        vec![1.0, 0.0, 0.0, 0.0],
        vec![
            SupportedCone::Zero(1),
            SupportedCone::PositiveSemidefinite(2),
        ],
    )
    .unwrap();
    let lmin = 2.5 - (0.25f64 + 1.0).sqrt();
    let ipm = Solver::new(prob.clone(), Settings::default())
        .unwrap()
        .solve();
    let admm = Solver::new(prob, admm_settings()).unwrap().solve();
    assert_eq!(admm.status, Status::Solved);
    assert!(rel_err(ipm.objective, lmin) < 1e-8);
    assert!(
        rel_err(admm.objective, lmin) < 1e-4,
        "{} vs {lmin}",
        admm.objective
    );
}

/// Warm-starting from an accurate solution (the interior-point method's)
/// terminates at once.
#[test]
fn warm_start_from_the_solution_terminates_immediately() {
    for (k, cones) in [
        vec![SupportedCone::Zero(2), SupportedCone::Nonnegative(6)],
        vec![SupportedCone::Nonnegative(3), SupportedCone::SecondOrder(4)],
        vec![SupportedCone::Exponential, SupportedCone::Nonnegative(2)],
        vec![SupportedCone::Power(0.3), SupportedCone::SecondOrder(3)],
    ]
    .into_iter()
    .enumerate()
    {
        for quadratic in [false, true] {
            let planted = plant(100 + k as u64, 6, &cones, quadratic);
            let exact = Solver::new(planted.prob.clone(), Settings::default())
                .unwrap()
                .solve();
            assert_eq!(exact.status, Status::Solved);
            let mut admm = Solver::new(planted.prob.clone(), admm_settings()).unwrap();
            let warm = admm
                .solve_from(Start::Point {
                    x: &exact.x,
                    y: &exact.y,
                    s: &exact.s,
                })
                .unwrap();
            assert_eq!(warm.status, Status::Solved, "cones {cones:?}");
            assert!(
                warm.iterations <= 2,
                "cones {cones:?}, quadratic {quadratic}: {} iterations",
                warm.iterations
            );
            assert!(rel_err(warm.objective, exact.objective) < 1e-6);
        }
    }
}

/// After perturbing `c` by 1e-3·‖c‖, a warm start from the previous
/// iterate needs at most 30% of a cold start's iterations (median over a
/// deterministic random set of planted LPs and QPs).
#[test]
fn warm_start_after_a_small_cost_change_is_much_cheaper() {
    let mut ratios = Vec::new();
    let mut rng = Lcg(7);
    for seed in 0..24u64 {
        let cones = [
            SupportedCone::Zero(2),
            SupportedCone::Nonnegative(12),
            SupportedCone::SecondOrder(4),
        ];
        let planted = plant(seed, 10, &cones, seed % 2 == 0);
        let mut solver = Solver::new(planted.prob.clone(), admm_settings()).unwrap();
        let first = solver.solve();
        assert_eq!(first.status, Status::Solved);
        let c = &planted.prob.c;
        let norm_c = c.iter().map(|v| v * v).sum::<f64>().sqrt();
        let dir: Vec<f64> = (0..c.len()).map(|_| rng.normal()).collect();
        let norm_d = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
        let c2: Vec<f64> = c
            .iter()
            .zip(&dir)
            .map(|(ci, di)| ci + 1e-3 * norm_c * di / norm_d)
            .collect();
        solver.update_c(&c2).unwrap();
        let warm = solver.solve_from(Start::Previous).unwrap();
        let cold = solver.solve();
        assert_eq!(warm.status, Status::Solved);
        assert_eq!(cold.status, Status::Solved);
        assert!(rel_err(warm.objective, cold.objective) < 1e-4);
        ratios.push(warm.iterations as f64 / cold.iterations as f64);
    }
    ratios.sort_by(f64::total_cmp);
    let median = 0.5 * (ratios[11] + ratios[12]);
    eprintln!("median warm/cold iteration ratio {median:.3}");
    assert!(median <= 0.3, "median warm/cold ratio {median}: {ratios:?}");
}

/// An infeasible LP (x ≥ 1 and x ≤ 0) gives a primal certificate that
/// verifies: `Aᵀy ≈ 0`, `bᵀy = −1`, `y ≥ 0`.
#[test]
fn primal_infeasibility_is_certified() {
    // −x + s₁ = −1 (x ≥ 1), x + s₂ = 0 (x ≤ 0), s ≥ 0.
    let a = CscMatrix::from_triplets(2, 1, &[0, 1], &[0, 0], &[-1.0, 1.0]).unwrap();
    let prob = ProblemData::new(
        None,
        vec![1.0],
        a.clone(),
        vec![-1.0, 0.0],
        vec![SupportedCone::Nonnegative(2)],
    )
    .unwrap();
    let sol = Solver::new(prob, admm_settings()).unwrap().solve();
    assert_eq!(sol.status, Status::PrimalInfeasible);
    let Some(Certificate::PrimalInfeasible { y }) = sol.certificate else {
        panic!("no certificate")
    };
    let by = -y[0];
    assert!((by + 1.0).abs() < 1e-12);
    let mut aty = vec![0.0];
    a.gemv_t(&mut aty, &y, 1.0, 0.0);
    assert!(inf_norm(&aty) < 1e-6 && y.iter().all(|v| *v >= 0.0));
}

/// An unbounded LP (minimize −x with x ≥ 0) gives a dual certificate that
/// verifies: `cᵀx = −1`, `Ax + s ≈ 0`, `s ≥ 0`.
#[test]
fn dual_infeasibility_is_certified() {
    let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[-1.0]).unwrap();
    let prob = ProblemData::new(
        None,
        vec![-1.0],
        a,
        vec![0.0],
        vec![SupportedCone::Nonnegative(1)],
    )
    .unwrap();
    let sol = Solver::new(prob, admm_settings()).unwrap().solve();
    assert_eq!(sol.status, Status::DualInfeasible);
    let Some(Certificate::DualInfeasible { x, s }) = sol.certificate else {
        panic!("no certificate")
    };
    assert!((-x[0] + 1.0).abs() < 1e-12);
    assert!((-x[0] + s[0]).abs() < 1e-6 && s[0] >= 0.0);
}

/// New values of `A` and `P` (same pattern) give the same answer as a
/// fresh solver on the new data.
#[test]
fn data_updates_match_a_fresh_solve() {
    let cones = [SupportedCone::Zero(1), SupportedCone::Nonnegative(8)];
    let first = plant(11, 6, &cones, true);
    let second = plant(12, 6, &cones, true);
    // Same pattern is needed: use the second problem's values on the
    // first's pattern by rebuilding both from dense data of full density.
    let mut solver = Solver::new(first.prob.clone(), admm_settings()).unwrap();
    assert_eq!(solver.solve().status, Status::Solved);
    let mut target = first.prob.clone();
    for (k, v) in Arc::make_mut(&mut target.a).nzval.iter_mut().enumerate() {
        *v *= 1.0 + 0.1 * ((k % 7) as f64 - 3.0) / 3.0;
    }
    for v in Arc::make_mut(&mut target.p).nzval.iter_mut() {
        *v *= 1.5;
    }
    target.c.copy_from_slice(&second.prob.c);
    solver.update_a_values(&target.a.nzval).unwrap();
    solver.update_p_values(&target.p.nzval).unwrap();
    solver.update_c(&target.c).unwrap();
    let updated = solver.solve();
    let fresh = Solver::new(target.clone(), Settings::default())
        .unwrap()
        .solve();
    assert_eq!(updated.status, Status::Solved);
    assert_eq!(fresh.status, Status::Solved);
    assert!(
        rel_err(updated.objective, fresh.objective) < 1e-4,
        "{} vs {}",
        updated.objective,
        fresh.objective
    );
}

/// The iteration limit is honoured exactly; a warm start with a wrong
/// length or a NaN is a typed error.
#[test]
fn limits_and_bad_warm_starts() {
    let planted = plant(
        5,
        8,
        &[
            SupportedCone::Nonnegative(10),
            SupportedCone::SecondOrder(5),
        ],
        false,
    );
    let settings = Settings {
        admm: AdmmSettings {
            max_iter: 3,
            ..AdmmSettings::default()
        },
        ..admm_settings()
    };
    let mut solver = Solver::new(planted.prob.clone(), settings).unwrap();
    let sol = solver.solve();
    assert_eq!(sol.status, Status::MaxIterations);
    assert_eq!(sol.iterations, 3);
    let n = planted.prob.n();
    let m = planted.prob.m();
    assert!(matches!(
        solver.solve_from(Start::Point {
            x: &vec![0.0; n + 1],
            y: &vec![0.0; m],
            s: &vec![0.0; m]
        }),
        Err(ProblemError::Dimension {
            what: "warm-start x",
            ..
        })
    ));
    let mut y = vec![0.0; m];
    y[2] = f64::NAN;
    assert!(matches!(
        solver.solve_from(Start::Point {
            x: &vec![0.0; n],
            y: &y,
            s: &vec![0.0; m]
        }),
        Err(ProblemError::NonFiniteVector {
            vector: "warm-start y",
            index: 2,
            ..
        })
    ));
    let (x, y, s) = (vec![0.0; n], vec![0.0; m], vec![0.0; m]);
    for scale in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let start = Start::PointAt {
            x: &x,
            y: &y,
            s: &s,
            scale,
        };
        assert!(
            matches!(
                solver.solve_from(start),
                Err(ProblemError::InvalidStepSize { .. })
            ),
            "step size {scale}"
        );
    }
}

/// A warm start at the step size a solve ended with
/// ([`Start::PointAt`], [`lpgd_solver::Solution::step_size`]) starts
/// there: from the solution it terminates at once and keeps the step
/// size; with a linear objective it does not refactor. The interior-point
/// method ignores the step size.
#[test]
fn warm_start_at_a_step_size() {
    let cones = [
        SupportedCone::Zero(2),
        SupportedCone::Nonnegative(8),
        SupportedCone::SecondOrder(4),
    ];
    for quadratic in [false, true] {
        let planted = plant(0, 10, &cones, quadratic);
        let mut s = admm_settings();
        s.admm.scale = 100.0;
        s.admm.adaptive_scale_interval = 10;
        let mut first = lpgd_solver::AdmmSolver::new(planted.prob.clone(), s.clone()).unwrap();
        let sol = first.solve();
        assert_eq!(sol.status, Status::Solved);
        let scale = sol.step_size.unwrap();
        assert_ne!(
            scale, 100.0,
            "quadratic {quadratic}: the step size did not move"
        );
        let at_scale = Start::PointAt {
            x: &sol.x,
            y: &sol.y,
            s: &sol.s,
            scale,
        };
        let mut admm = lpgd_solver::AdmmSolver::new(planted.prob.clone(), s).unwrap();
        let factor = Arc::clone(admm.factor());
        let warm = admm.solve_from(at_scale).unwrap();
        assert_eq!(warm.status, Status::Solved);
        assert!(warm.iterations <= 2, "{} iterations", warm.iterations);
        assert_eq!(warm.step_size, Some(scale));
        assert_eq!(Arc::ptr_eq(&factor, admm.factor()), !quadratic);
        let mut ipm = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
        let at = ipm.solve_from(at_scale).unwrap();
        let plain = ipm
            .solve_from(Start::Point {
                x: &sol.x,
                y: &sol.y,
                s: &sol.s,
            })
            .unwrap();
        assert_eq!(at.x, plain.x);
        assert_eq!(at.step_size, None);
    }
}

/// Polishing recovers the exact solution of nondegenerate planted LPs and
/// QPs over the zero and nonnegative cones: the objective then agrees with
/// the planted one far below the method's tolerance.
#[test]
fn polishing_recovers_exact_solutions() {
    let settings = Settings {
        admm: AdmmSettings {
            polish: true,
            ..AdmmSettings::default()
        },
        ..admm_settings()
    };
    let mut polished = 0;
    for seed in 0..10u64 {
        let cones = [SupportedCone::Zero(2), SupportedCone::Nonnegative(15)];
        let planted = plant(300 + seed, 8, &cones, seed % 2 == 1);
        let plain = Solver::new(planted.prob.clone(), admm_settings())
            .unwrap()
            .solve();
        let sol = Solver::new(planted.prob.clone(), settings.clone())
            .unwrap()
            .solve();
        assert_eq!(sol.status, Status::Solved);
        // Never worse than without polishing.
        assert!(
            sol.residuals.primal.max(sol.residuals.dual)
                <= plain.residuals.primal.max(plain.residuals.dual) * (1.0 + 1e-12)
                || rel_err(sol.objective, planted.objective) < 1e-9
        );
        if rel_err(sol.objective, planted.objective) < 1e-9 {
            polished += 1;
        }
    }
    assert!(polished >= 8, "only {polished} of 10 polished");
}

/// With a linear objective `σ` follows the step size
/// ([`AdmmSettings::sigma_follows_scale`]): step-size updates rescale the
/// solves with the one factorization instead of refactoring, and the
/// planted optimum is still reached. With `σ` fixed the same solves
/// refactor (so the updates are exercised).
#[test]
fn linear_objectives_keep_one_factorization_through_step_size_updates() {
    let cones = [
        SupportedCone::Zero(2),
        SupportedCone::Nonnegative(8),
        SupportedCone::SecondOrder(4),
    ];
    for seed in 0..6 {
        let mut planted = plant(seed, 10, &cones, false);
        if seed % 2 == 1 {
            // Stored zeros in P (as a differentiable layer's problem has)
            // still make a linear objective.
            let idx: Vec<usize> = (0..10).collect();
            planted.prob.p =
                Arc::new(CscMatrix::from_triplets(10, 10, &idx, &idx, &[0.0; 10]).unwrap());
        }
        for follows in [true, false] {
            let mut s = admm_settings();
            s.admm.scale = 100.0;
            s.admm.adaptive_scale_interval = 10;
            s.admm.sigma_follows_scale = follows;
            let mut admm = lpgd_solver::AdmmSolver::new(planted.prob.clone(), s).unwrap();
            let factor = Arc::clone(admm.factor());
            let sol = admm.solve();
            assert_eq!(sol.status, Status::Solved, "seed {seed}, {follows}");
            let rel = rel_err(sol.objective, planted.objective);
            assert!(rel < 1e-4, "seed {seed}, {follows}: {rel:e}");
            assert_ne!(
                admm.scale(),
                100.0,
                "seed {seed}: the step size did not move"
            );
            assert_eq!(
                Arc::ptr_eq(&factor, admm.factor()),
                follows,
                "seed {seed}, {follows}"
            );
        }
    }
}
