//! The KKT backends: the dense normal equations agree with the sparse
//! `LDLᵀ`, as single linear solves and as whole interior-point solves.

use lpgd_solver::cones::CompositeCone;
use lpgd_solver::kkt::KktSystem;
use lpgd_solver::{KktBackend, Settings, Solver, Status, SupportedCone};
use proptest::prelude::*;

mod common;
use common::{plant, Lcg};

fn with_backend(kkt_backend: KktBackend) -> Settings {
    Settings {
        kkt_backend,
        ..Settings::default()
    }
}

/// One refined solve with `H` spread over sixteen orders of magnitude (as
/// near an interior-point solution): both backends reach the refinement
/// tolerance and agree.
#[test]
fn normal_equations_solve_matches_sparse_ldl() {
    for quadratic in [false, true] {
        let cones = [SupportedCone::Zero(2), SupportedCone::Nonnegative(30)];
        let prob = plant(7, 12, &cones, quadratic).prob;
        let cc = CompositeCone::new(&prob.cones).unwrap();
        let (n, m) = (prob.n(), prob.m());
        let settings = Settings::default();
        let mut rng = Lcg(3);
        let h: Vec<f64> = (0..m)
            .map(|i| {
                if i < 2 {
                    0.0
                } else {
                    10f64.powf(16.0 * rng.uniform() - 8.0)
                }
            })
            .collect();
        let rhs: Vec<f64> = (0..n + m).map(|_| rng.normal()).collect();
        let mut sols = Vec::new();
        for backend in [KktBackend::SparseLdl, KktBackend::NormalEquations] {
            let mut kkt = KktSystem::with_backend(&prob.p, &prob.a, &cc, backend).unwrap();
            let normal = kkt.backend_name() == "normal equations";
            assert_eq!(normal, backend == KktBackend::NormalEquations);
            kkt.factor_with_diagonal_h(&h, &settings).unwrap();
            let mut out = vec![0.0; n + m];
            assert!(kkt.solve(&mut out, &rhs, &settings));
            sols.push(out);
        }
        let scale = sols[0].iter().fold(1.0f64, |a, v| a.max(v.abs()));
        for (a, b) in sols[0].iter().zip(&sols[1]) {
            assert!(
                (a - b).abs() <= 1e-8 * scale,
                "quadratic {quadratic}: {a} vs {b}"
            );
        }
    }
}

/// Cones outside the diagonal family fall back to the sparse factorization
/// when the normal equations are asked for.
#[test]
fn normal_equations_fall_back_for_other_cones() {
    let cones = [SupportedCone::Nonnegative(6), SupportedCone::SecondOrder(4)];
    let planted = plant(11, 5, &cones, true);
    let cc = CompositeCone::new(&planted.prob.cones).unwrap();
    let kkt = KktSystem::with_backend(
        &planted.prob.p,
        &planted.prob.a,
        &cc,
        KktBackend::NormalEquations,
    )
    .unwrap();
    assert_eq!(kkt.backend_name(), "simplicial LDLᵀ");
    let sol = Solver::new(
        planted.prob.clone(),
        with_backend(KktBackend::NormalEquations),
    )
    .unwrap()
    .solve();
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.objective - planted.objective).abs() < 1e-7 * planted.objective.abs().max(1.0));
}

fn diagonal_cone_list() -> impl Strategy<Value = Vec<SupportedCone>> {
    prop::collection::vec(
        prop_oneof![
            (1usize..4).prop_map(SupportedCone::Zero),
            (1usize..12).prop_map(SupportedCone::Nonnegative),
        ],
        1..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: proptest::test_runner::RngSeed::Fixed(20261129), ..ProptestConfig::default() })]

    /// Planted LPs and QPs: the normal equations reach the planted
    /// objective as the sparse `LDLᵀ` does.
    #[test]
    fn planted_problems_agree_across_backends(seed in any::<u64>(), n in 2usize..16, cones in diagonal_cone_list(), quadratic in any::<bool>()) {
        let zero_rows: usize = cones.iter().filter(|c| matches!(c, SupportedCone::Zero(_))).map(|c| c.dim()).sum();
        prop_assume!(zero_rows < n);
        let planted = plant(seed, n, &cones, quadratic);
        for backend in [KktBackend::SparseLdl, KktBackend::NormalEquations] {
            let sol = Solver::new(planted.prob.clone(), with_backend(backend)).unwrap().solve();
            prop_assert!(sol.status.is_solved(), "{backend:?}: status {:?}", sol.status);
            let rel = (sol.objective - planted.objective).abs() / planted.objective.abs().max(1.0);
            prop_assert!(rel < 1e-7, "{backend:?}: objective {} vs planted {}", sol.objective, planted.objective);
        }
    }
}
