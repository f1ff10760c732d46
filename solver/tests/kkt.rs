//! The KKT backends: the dense normal equations and the dual normal
//! equations agree with the sparse `LDLᵀ`, as single linear solves and as
//! whole interior-point solves; the operation-splitting method's dual normal
//! equations agree with its sparse factor.

use lpgd_solver::admm::linsys::KktPattern;
use lpgd_solver::cones::CompositeCone;
use lpgd_solver::kkt::KktSystem;
use lpgd_solver::{
    CscMatrix, KktBackend, Method, ProblemData, Settings, Solver, Status, SupportedCone,
};
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
/// near an interior-point solution; zero on the first `zero_rows`): the
/// sparse `LDLᵀ` and `backend` (reported as `name`) both reach the
/// refinement tolerance and agree.
fn refined_solve_matches_sparse_ldl(
    prob: &ProblemData,
    zero_rows: usize,
    seed: u64,
    backend: KktBackend,
    name: &str,
) {
    let cc = CompositeCone::new(&prob.cones).unwrap();
    let (n, m) = (prob.n(), prob.m());
    let settings = Settings::default();
    let mut rng = Lcg(seed);
    let h: Vec<f64> = (0..m)
        .map(|i| {
            if i < zero_rows {
                0.0
            } else {
                10f64.powf(16.0 * rng.uniform() - 8.0)
            }
        })
        .collect();
    let rhs: Vec<f64> = (0..n + m).map(|_| rng.normal()).collect();
    let mut sols = Vec::new();
    for b in [KktBackend::SparseLdl, backend] {
        let mut kkt = KktSystem::with_backend(&prob.p, &prob.a, &cc, b).unwrap();
        assert_eq!(kkt.backend_name() == name, b == backend);
        kkt.factor_with_diagonal_h(&h, &settings).unwrap();
        let mut out = vec![0.0; n + m];
        assert!(kkt.solve(&mut out, &rhs, &settings));
        sols.push(out);
    }
    let scale = sols[0].iter().fold(1.0f64, |a, v| a.max(v.abs()));
    for (a, b) in sols[0].iter().zip(&sols[1]) {
        assert!((a - b).abs() <= 1e-8 * scale, "{name}: {a} vs {b}");
    }
}

#[test]
fn normal_equations_solve_matches_sparse_ldl() {
    for quadratic in [false, true] {
        let cones = [SupportedCone::Zero(2), SupportedCone::Nonnegative(30)];
        let prob = plant(7, 12, &cones, quadratic).prob;
        refined_solve_matches_sparse_ldl(
            &prob,
            2,
            3,
            KktBackend::NormalEquations,
            "normal equations",
        );
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

/// A feasible, bounded problem with a diagonal (or no) `P`: `eq` dense
/// equality rows and `ineq` dense inequality rows satisfied by a point `x₀`
/// inside the box `−1 ≤ x ≤ 2`, then the `2n` bound rows (the shape of a
/// learned-constraint layer).
fn bounded_problem(seed: u64, n: usize, eq: usize, ineq: usize, quadratic: bool) -> ProblemData {
    let mut rng = Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let x0: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let (mut ri, mut ci, mut vi) = (Vec::new(), Vec::new(), Vec::new());
    let mut b = Vec::new();
    for i in 0..eq + ineq {
        let mut ax = 0.0;
        for (j, &x) in x0.iter().enumerate() {
            if rng.uniform() < 0.7 {
                let v = rng.normal();
                ri.push(i);
                ci.push(j);
                vi.push(v);
                ax += v * x;
            }
        }
        b.push(if i < eq { ax } else { ax + rng.uniform() });
    }
    for j in 0..n {
        ri.extend([eq + ineq + j, eq + ineq + n + j]);
        ci.extend([j, j]);
        vi.extend([1.0, -1.0]);
    }
    b.extend(std::iter::repeat_n(2.0, n));
    b.extend(std::iter::repeat_n(1.0, n));
    let m = eq + ineq + 2 * n;
    let a = CscMatrix::from_triplets(m, n, &ri, &ci, &vi).unwrap();
    let p = quadratic.then(|| {
        let d: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        let idx: Vec<usize> = (0..n).collect();
        CscMatrix::from_triplets(n, n, &idx, &idx, &d).unwrap()
    });
    let c: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut cones = vec![SupportedCone::Nonnegative(ineq + 2 * n)];
    if eq > 0 {
        cones.insert(0, SupportedCone::Zero(eq));
    }
    ProblemData::new(p, c, a, b, cones).unwrap()
}

/// [`refined_solve_matches_sparse_ldl`] for the dual normal equations;
/// `Auto`'s choice between the dense backends.
#[test]
fn dual_normal_equations_solve_matches_sparse_ldl() {
    for quadratic in [false, true] {
        let prob = bounded_problem(5, 40, 3, 6, quadratic);
        refined_solve_matches_sparse_ldl(
            &prob,
            3,
            9,
            KktBackend::DualNormalEquations,
            "dual normal equations",
        );
    }
    // Auto: the dual normal equations for many variables and dense rows, and
    // when their Schur complement is the smaller one (25 × 25 against
    // 50 × 50); the normal equations for a dense `P`.
    for (n, rows) in [(400, 60), (50, 25)] {
        let prob = bounded_problem(1, n, 0, rows, false);
        let cc = CompositeCone::new(&prob.cones).unwrap();
        let kkt = KktSystem::new(&prob.p, &prob.a, &cc).unwrap();
        assert_eq!(kkt.backend_name(), "dual normal equations", "n = {n}");
    }
    let planted = plant(3, 20, &[SupportedCone::Nonnegative(30)], true);
    let cc = CompositeCone::new(&planted.prob.cones).unwrap();
    let kkt = KktSystem::new(&planted.prob.p, &planted.prob.a, &cc).unwrap();
    assert_eq!(kkt.backend_name(), "normal equations");
}

/// New values of `A` reach the dual normal equations' dense copies (which
/// are only rebuilt when `A` changed): a solve after `update_a_values`
/// reaches a fresh solver's solution of the new data (not bitwise: the
/// updated solver keeps its equilibration), far from the old one's.
#[test]
fn dual_normal_equations_follow_new_a_values() {
    let prob = bounded_problem(7, 40, 2, 6, false);
    let mut moved = prob.clone();
    for (k, v) in std::sync::Arc::make_mut(&mut moved.a)
        .nzval
        .iter_mut()
        .enumerate()
    {
        if k % 3 == 0 {
            *v *= 1.25;
        }
    }
    for method in [
        lpgd_solver::Method::InteriorPoint,
        lpgd_solver::Method::Admm,
    ] {
        let mut settings = lpgd_solver::Settings {
            method,
            ..with_backend(KktBackend::DualNormalEquations)
        };
        settings.admm.eps_abs = 1e-9;
        settings.admm.eps_rel = 1e-9;
        settings.admm.eps_feas = 1e-9;
        let mut solver = Solver::new(prob.clone(), settings.clone()).unwrap();
        let first = solver.solve();
        assert_eq!(first.status, Status::Solved, "{method:?}");
        solver.update_a_values(&moved.a.nzval).unwrap();
        let updated = solver.solve();
        let fresh = Solver::new(moved.clone(), settings).unwrap().solve();
        let dist = |u: &[f64], v: &[f64]| {
            u.iter()
                .zip(v)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max)
        };
        assert_eq!(updated.status, Status::Solved, "{method:?}");
        assert!(dist(&first.x, &fresh.x) > 1e-2, "{method:?}");
        let tol = 1e-4;
        assert!(
            dist(&updated.x, &fresh.x) < tol,
            "{method:?}: {:e}",
            dist(&updated.x, &fresh.x)
        );
    }
}

/// A non-diagonal `P` or a cone outside the diagonal family falls back to
/// the sparse factorization when the dual normal equations are asked for.
#[test]
fn dual_normal_equations_fall_back() {
    for (cones, quadratic) in [
        (vec![SupportedCone::Nonnegative(8)], true),
        (
            vec![SupportedCone::Nonnegative(6), SupportedCone::SecondOrder(4)],
            false,
        ),
    ] {
        let planted = plant(13, 5, &cones, quadratic);
        let cc = CompositeCone::new(&planted.prob.cones).unwrap();
        let kkt = KktSystem::with_backend(
            &planted.prob.p,
            &planted.prob.a,
            &cc,
            KktBackend::DualNormalEquations,
        )
        .unwrap();
        assert_eq!(kkt.backend_name(), "simplicial LDLᵀ");
        let sol = Solver::new(
            planted.prob.clone(),
            with_backend(KktBackend::DualNormalEquations),
        )
        .unwrap()
        .solve();
        assert_eq!(sol.status, Status::Solved);
        assert!(
            (sol.objective - planted.objective).abs() < 1e-7 * planted.objective.abs().max(1.0)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, rng_seed: proptest::test_runner::RngSeed::Fixed(20261130), ..ProptestConfig::default() })]

    /// Bounded LPs and separable QPs with dense rows: the dual normal
    /// equations reach the objective of the sparse `LDLᵀ`.
    #[test]
    fn bounded_problems_agree_across_backends(seed in any::<u64>(), n in 2usize..40, eq in 0usize..4, ineq in 0usize..12, quadratic in any::<bool>()) {
        prop_assume!(eq < n);
        let prob = bounded_problem(seed, n, eq, ineq, quadratic);
        let reference = Solver::new(prob.clone(), with_backend(KktBackend::SparseLdl)).unwrap().solve();
        prop_assert!(reference.status.is_solved(), "sparse LDLᵀ: status {:?}", reference.status);
        for backend in [KktBackend::DualNormalEquations, KktBackend::Auto] {
            let sol = Solver::new(prob.clone(), with_backend(backend)).unwrap().solve();
            prop_assert!(sol.status.is_solved(), "{backend:?}: status {:?}", sol.status);
            let rel = (sol.objective - reference.objective).abs() / reference.objective.abs().max(1.0);
            prop_assert!(rel < 1e-7, "{backend:?}: objective {} vs {}", sol.objective, reference.objective);
        }
    }
}

/// The operator-splitting method with the dual normal equations: the same
/// statuses and objectives (within its tolerance, against the interior
/// point) as with the sparse factor, for LPs and separable QPs, and an
/// infeasible problem certified; `Auto` takes them only where faer would
/// factor supernodally.
#[test]
fn admm_dual_normal_equations_match_the_sparse_factor() {
    for (seed, quadratic) in [(2, false), (4, true), (6, false)] {
        let prob = bounded_problem(seed, 60, 4, 10, quadratic);
        let reference = Solver::new(prob.clone(), Settings::default())
            .unwrap()
            .solve();
        assert_eq!(reference.status, Status::Solved);
        for kkt_backend in [KktBackend::SparseLdl, KktBackend::DualNormalEquations] {
            let settings = Settings {
                method: Method::Admm,
                kkt_backend,
                ..Settings::default()
            };
            let sol = Solver::new(prob.clone(), settings).unwrap().solve();
            assert_eq!(sol.status, Status::Solved, "{kkt_backend:?}");
            let rel =
                (sol.objective - reference.objective).abs() / reference.objective.abs().max(1.0);
            assert!(
                rel < 1e-4,
                "{kkt_backend:?}: {} vs {}",
                sol.objective,
                reference.objective
            );
        }
    }
    // Σ_j x_j = 1000 with −1 ≤ x ≤ 2 on 60 variables has no solution.
    let n = 60;
    let (mut ri, mut ci, mut vi) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..n {
        ri.extend([0, 1 + j, 1 + n + j]);
        ci.extend([j, j, j]);
        vi.extend([1.0, 1.0, -1.0]);
    }
    let a = CscMatrix::from_triplets(1 + 2 * n, n, &ri, &ci, &vi).unwrap();
    let mut b = vec![1000.0];
    b.extend(std::iter::repeat_n(2.0, n));
    b.extend(std::iter::repeat_n(1.0, n));
    let cones = vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2 * n)];
    let prob = ProblemData::new(None, vec![1.0; n], a, b, cones).unwrap();
    let settings = Settings {
        method: Method::Admm,
        kkt_backend: KktBackend::DualNormalEquations,
        ..Settings::default()
    };
    let sol = Solver::new(prob, settings).unwrap().solve();
    assert_eq!(sol.status, Status::PrimalInfeasible);

    let wide = bounded_problem(1, 729, 0, 249, false);
    let small = bounded_problem(1, 50, 0, 25, false);
    assert!(KktPattern::new(&wide.p, &wide.a).unwrap().is_dual_normal());
    assert!(!KktPattern::new(&small.p, &small.a)
        .unwrap()
        .is_dual_normal());
    let forced = KktPattern::with_backend(&small.p, &small.a, KktBackend::DualNormalEquations);
    assert!(forced.unwrap().is_dual_normal());
}

/// A lockstep batch on the dual normal equations (panel solves and the
/// termination checks' panel products `A u_x`, `Aᵀu_y`) gives every
/// problem the bits of its solve alone, whichever problems share its
/// panels: 13 problems make one full panel and a partial one, and as they
/// finish at different iterations the panels of checks shrink through the
/// column-by-column path.
#[test]
fn admm_dual_normal_lockstep_batch_matches_single_solves() {
    use lpgd_solver::batch::{BatchItem, BatchSolver};
    use lpgd_solver::Start;
    let base = bounded_problem(8, 40, 3, 10, false);
    let settings = Settings {
        method: Method::Admm,
        kkt_backend: KktBackend::DualNormalEquations,
        ..Settings::default()
    };
    let mut rng = Lcg(17);
    let costs: Vec<Vec<f64>> = (0..13)
        .map(|_| base.c.iter().map(|v| v + 0.3 * rng.normal()).collect())
        .collect();
    let items: Vec<BatchItem<'_>> = costs
        .iter()
        .map(|c| BatchItem {
            c,
            b: &base.b,
            start: Start::Cold,
        })
        .collect();
    let bits = |r: &Result<lpgd_solver::Solution, lpgd_solver::SolverError>| {
        let s = r.as_ref().unwrap();
        assert_eq!(s.status, Status::Solved);
        let r = &s.residuals;
        s.x.iter()
            .chain(&s.y)
            .chain(&s.s)
            .chain(&[r.primal, r.dual, r.gap_abs, r.gap_rel, s.dual_objective])
            .map(|v| v.to_bits())
            .chain([s.iterations as u64])
            .collect::<Vec<u64>>()
    };
    let batch = BatchSolver::new(base.clone(), settings).unwrap();
    let together: Vec<Vec<u64>> = batch.solve(&items).iter().map(bits).collect();
    let iterations: Vec<u64> = together.iter().map(|b| *b.last().unwrap()).collect();
    assert!(
        iterations.iter().any(|&k| k != iterations[0]),
        "the problems should finish at different iterations: {iterations:?}"
    );
    for (item, expected) in items.iter().zip(&together) {
        let alone = batch.solve(std::slice::from_ref(item));
        assert_eq!(&bits(&alone[0]), expected);
    }
}

/// Interior-point batches reuse one solver per thread from item to item
/// (`BatchSolver::solve`, `solve_sequential`): on the dual normal
/// equations, whose dense copies of `A` the reused solver keeps, each
/// problem gets the bits of its solve on a fresh solver, also after a
/// problem with non-finite data (rejected) and an infeasible one in the
/// same sequence.
#[test]
fn ipm_dual_normal_batch_reuse_matches_fresh_solves() {
    use lpgd_solver::batch::{BatchItem, BatchSolver};
    use lpgd_solver::Start;
    let base = bounded_problem(8, 40, 3, 10, false);
    let settings = Settings {
        kkt_backend: KktBackend::DualNormalEquations,
        ..Settings::default()
    };
    let mut rng = Lcg(23);
    let mut costs: Vec<Vec<f64>> = (0..7)
        .map(|_| base.c.iter().map(|v| v + 0.3 * rng.normal()).collect())
        .collect();
    costs[2][0] = f64::NAN;
    // Problem 4: a zero-cone row asks Σ_j a_j x_j far outside the box.
    let mut far = base.b.clone();
    far[0] = 1e6;
    let items: Vec<BatchItem<'_>> = costs
        .iter()
        .enumerate()
        .map(|(k, c)| BatchItem {
            c,
            b: if k == 4 { &far } else { &base.b },
            start: Start::Cold,
        })
        .collect();
    let bits = |r: &Result<lpgd_solver::Solution, lpgd_solver::SolverError>| match r {
        Ok(s) => {
            s.x.iter()
                .chain(&s.y)
                .chain(&s.s)
                .chain(&[s.objective, s.residuals.primal, s.residuals.dual])
                .map(|v| v.to_bits())
                .chain([s.iterations as u64, s.status as u64])
                .collect::<Vec<u64>>()
        }
        Err(_) => vec![],
    };
    let batch = BatchSolver::new(base.clone(), settings.clone()).unwrap();
    let sequential: Vec<Vec<u64>> = batch.solve_sequential(&items).iter().map(bits).collect();
    assert!(sequential[2].is_empty(), "a NaN cost must be rejected");
    let statuses: Vec<Status> = batch
        .solve_sequential(&items)
        .into_iter()
        .flatten()
        .map(|s| s.status)
        .collect();
    assert_eq!(statuses.iter().filter(|&&s| s == Status::Solved).count(), 5);
    assert!(statuses.contains(&Status::PrimalInfeasible), "{statuses:?}");
    let parallel: Vec<Vec<u64>> = batch.solve(&items).iter().map(bits).collect();
    assert_eq!(parallel, sequential);
    for (k, item) in items.iter().enumerate() {
        let alone = BatchSolver::new(base.clone(), settings.clone())
            .unwrap()
            .solve(std::slice::from_ref(item));
        assert_eq!(bits(&alone[0]), sequential[k], "problem {k}");
    }
}
