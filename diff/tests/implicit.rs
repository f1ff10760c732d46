//! Implicit differentiation against closed forms and against finite
//! differences of the loss through the forward solver.
//!
//! * The derivative of a projection (`minimize ½‖x‖² − zᵀx, x ∈ K` has
//!   `x* = Π_K(z)`) equals the cone's projection Jacobian, for every cone.
//! * Along random data directions `Δw`, the adjoint `⟨∇_w ℓ, Δw⟩` and the
//!   forward mode `⟨∇_z ℓ, ż⟩` agree with a Richardson-extrapolated central
//!   difference of `ℓ(z*(w + hΔw))` (relative error ≤ 1e-5; forward solves
//!   refined by Newton steps to about 1e-15) for LP, QP,
//!   SOCP, exponential- and power-cone problems with planted, strictly
//!   complementary solutions.

mod common;
use common::*;
use lpgd_diff::{DiffError, DiffSolver, ImplicitSettings, LossGrad, Mode, ParamGrad};
use lpgd_solver::projection::{project, project_jvp};
use lpgd_solver::{CscMatrix, ProblemData, SupportedCone};

const IMPLICIT: Mode = Mode::Implicit(ImplicitSettings {
    rho: 0.0,
    factorization: lpgd_diff::Factorization::Auto,
});

/// Worst relative error of adjoint and forward mode against finite
/// differences along `dirs` random directions.
fn check(prob: &ProblemData, seed: u64, dirs: usize, h: f64) -> f64 {
    let mut rng = Rng(seed);
    let settings = tight();
    let mut layer = DiffSolver::new(prob.clone(), settings.clone()).unwrap();
    layer.set_refinement(REFINE);
    let sol = layer.solve().unwrap().clone();
    assert!(sol.status.is_solved(), "forward: {}", sol.status);
    let g = random_loss(&mut rng, prob.n(), prob.m());
    let grad = layer.backward(IMPLICIT, &g).unwrap().grad;
    let gz = g.dense(prob.n(), prob.m());
    let mut worst = 0.0f64;
    for _ in 0..dirs {
        let dir = random_direction(&mut rng, prob);
        let fd = richardson(prob, &dir, h, &g, &settings);
        let adj = grad.dot(&dir);
        let fwd = layer.jvp(IMPLICIT, &dir).unwrap().tangent.dot(&gz);
        let scale = fd.abs().max(1e-2);
        let err = ((adj - fd).abs() / scale).max((fwd - fd).abs() / scale);
        eprintln!("fd {fd:.10e} adjoint {adj:.10e} forward {fwd:.10e} rel {err:.2e}");
        worst = worst.max(err);
    }
    worst
}

fn assert_fd(name: &str, prob: &ProblemData, seed: u64) {
    let err = check(prob, seed, 3, 1e-4);
    assert!(err <= 1e-5, "{name} (seed {seed}): relative error {err:e}");
}

#[test]
fn projection_derivative_is_the_cone_jacobian() {
    let mut rng = Rng(7);
    let cones = [
        SupportedCone::Nonnegative(4),
        SupportedCone::SecondOrder(4),
        SupportedCone::Exponential,
        SupportedCone::Power(0.4),
        SupportedCone::PositiveSemidefinite(3),
    ];
    for cone in cones {
        for _ in 0..3 {
            let d = cone.dim();
            let z = rng.vec(d);
            let mut a = CscMatrix::identity(d);
            a.nzval.iter_mut().for_each(|v| *v = -1.0);
            let c = z.iter().map(|v| -v).collect();
            let prob =
                ProblemData::new(Some(CscMatrix::identity(d)), c, a, vec![0.0; d], vec![cone])
                    .unwrap();
            let mut layer = DiffSolver::new(prob, tight()).unwrap();
            let sol = layer.solve().unwrap().clone();
            let mut px = vec![0.0; d];
            project(&cone, &z, &mut px);
            let x_err = sol
                .x
                .iter()
                .zip(&px)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(x_err < 1e-5, "{cone:?}: forward solution off by {x_err:e}");
            // ∂x*/∂c = −DΠ_K(z), symmetric.
            let gx = rng.vec(d);
            let grad = layer
                .backward(IMPLICIT, &LossGrad::on_x(gx.clone()))
                .unwrap()
                .grad;
            let mut dp = vec![0.0; d];
            project_jvp(&cone, &z, &gx, &mut dp);
            for (g, e) in grad.c.iter().zip(&dp) {
                assert!((g + e).abs() <= 1e-9, "{cone:?}: {:?} vs −{dp:?}", grad.c);
            }
        }
    }
}

#[test]
fn qp_matches_finite_differences() {
    for seed in 0..4 {
        let prob = planted_qp(&mut Rng(100 + seed), 8, 2, 10);
        assert_fd("QP", &prob, seed);
    }
}

/// `minimize cᵀx` over a box `−1 ≤ x ≤ 1` cut by random inequalities: a
/// vertex solution; `∇_c ℓ` is zero, `∇_b ℓ` and `∇_A ℓ` are not.
fn random_lp(rng: &mut Rng, n: usize, m: usize) -> ProblemData {
    let rows = m + 2 * n;
    let (mut r, mut c, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..m {
            r.push(i);
            c.push(j);
            v.push(rng.normal());
        }
        r.extend([m + j, m + n + j]);
        c.extend([j, j]);
        v.extend([1.0, -1.0]);
    }
    let a = CscMatrix::from_triplets(rows, n, &r, &c, &v).unwrap();
    let mut b = vec![1.0; rows];
    for bi in b.iter_mut().take(m) {
        *bi = 0.5 + rng.uniform();
    }
    ProblemData::new(
        None,
        rng.vec(n),
        a,
        b,
        vec![SupportedCone::Nonnegative(rows)],
    )
    .unwrap()
}

#[test]
fn lp_matches_finite_differences() {
    for seed in 0..4 {
        assert_fd("LP", &random_lp(&mut Rng(200 + seed), 6, 4), seed);
    }
}

#[test]
fn socp_matches_finite_differences() {
    for seed in 0..3 {
        let cones = vec![
            SupportedCone::SecondOrder(4),
            SupportedCone::SecondOrder(3),
            SupportedCone::Nonnegative(3),
        ];
        assert_fd(
            "SOCP, quadratic objective",
            &planted_conic(&mut Rng(300 + seed), 6, cones.clone(), 1.0),
            seed,
        );
        assert_fd(
            "SOCP, linear objective",
            &planted_conic(&mut Rng(310 + seed), 6, cones, -1.0),
            seed,
        );
    }
}

#[test]
fn exponential_cone_matches_finite_differences() {
    for seed in 0..3 {
        let cones = vec![
            SupportedCone::Zero(1),
            SupportedCone::Exponential,
            SupportedCone::Exponential,
            SupportedCone::Nonnegative(2),
        ];
        assert_fd(
            "exponential cone",
            &planted_conic(&mut Rng(400 + seed), 6, cones, 1.0),
            seed,
        );
    }
}

#[test]
fn power_cone_matches_finite_differences() {
    for seed in 0..3 {
        let cones = vec![
            SupportedCone::Power(0.3),
            SupportedCone::Power(0.7),
            SupportedCone::SecondOrder(3),
        ];
        assert_fd(
            "power cone",
            &planted_conic(&mut Rng(500 + seed), 6, cones, 1.0),
            seed,
        );
    }
}

/// For stored entries of `P` the gradient is the derivative of the loss in
/// that stored value, which moves both symmetric entries off the diagonal.
#[test]
fn p_gradient_is_per_stored_entry() {
    let prob = planted_qp(&mut Rng(600), 4, 0, 6);
    let mut rng = Rng(601);
    let g = random_loss(&mut rng, prob.n(), prob.m());
    let mut layer = DiffSolver::new(prob.clone(), tight()).unwrap();
    layer.set_refinement(REFINE);
    layer.solve().unwrap();
    let grad = layer.backward(IMPLICIT, &g).unwrap().grad;
    for k in 0..prob.p.nnz() {
        let mut dir = ParamGrad::zeros(&prob);
        dir.p[k] = 1.0;
        let fd = richardson(&prob, &dir, 1e-4, &g, &tight());
        assert!(
            (grad.p[k] - fd).abs() <= 1e-5 * fd.abs().max(1e-2),
            "entry {k}: {} vs {fd}",
            grad.p[k]
        );
    }
}

/// A degenerate LP (two identical active constraints) has a singular
/// Jacobian: a typed error, not NaN; `ρ > 0` does not remove this kind of
/// singularity (dependent active rows), so the error stays.
#[test]
fn singular_jacobian_is_an_error() {
    // minimize x subject to x ≥ 0 twice.
    let a = CscMatrix::from_triplets(2, 1, &[0, 1], &[0, 0], &[-1.0, -1.0]).unwrap();
    let prob = ProblemData::new(
        None,
        vec![1.0],
        a,
        vec![0.0, 0.0],
        vec![SupportedCone::Nonnegative(2)],
    )
    .unwrap();
    let mut layer = DiffSolver::new(prob, tight()).unwrap();
    layer.solve().unwrap();
    let r = layer.backward(IMPLICIT, &LossGrad::on_x(vec![1.0]));
    match r {
        Err(DiffError::Singular(_)) => {}
        Ok(g) => assert!(
            g.grad.norm().is_finite(),
            "a gradient must be finite: {:?}",
            g.grad
        ),
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// The layer's derivative system with `Factorization::Auto` runs on a KKT
/// system and agrees with sparse LU, adjoint and forward mode, with and
/// without augmentation.
fn assert_kkt_matches_lu(prob: &ProblemData, settings: lpgd_solver::Settings, seed: u64) {
    use lpgd_diff::Factorization;
    let mut layer = DiffSolver::new(prob.clone(), settings).unwrap();
    layer.set_refinement(REFINE);
    let sol = layer.solve().unwrap().clone();
    let mut rng = Rng(seed);
    let g = random_loss(&mut rng, prob.n(), prob.m());
    let dir = random_direction(&mut rng, prob);
    for rho in [0.0, 0.7] {
        let auto = ImplicitSettings {
            rho,
            factorization: Factorization::Auto,
        };
        let lu = ImplicitSettings {
            rho,
            factorization: Factorization::SparseLu,
        };
        assert!(layer.derivative_system(&sol, auto).unwrap().uses_kkt());
        assert!(!layer.derivative_system(&sol, lu).unwrap().uses_kkt());
        let a = layer.backward(Mode::Implicit(auto), &g).unwrap().grad;
        let b = layer.backward(Mode::Implicit(lu), &g).unwrap().grad;
        assert!(
            a.rel_error(&b, 1e-12) < 1e-9,
            "seed {seed} ρ {rho}: {:e}",
            a.rel_error(&b, 1e-12)
        );
        let ta = layer.jvp(Mode::Implicit(auto), &dir).unwrap().tangent;
        let tb = layer.jvp(Mode::Implicit(lu), &dir).unwrap().tangent;
        let gz = g.dense(prob.n(), prob.m());
        let (da, db) = (ta.dot(&gz), tb.dot(&gz));
        assert!(
            (da - db).abs() <= 1e-9 * db.abs().max(1.0),
            "seed {seed} ρ {rho}: {da} vs {db}"
        );
    }
}

/// For LPs and QPs (zero and nonnegative cones) the derivative system is
/// solved exactly on a KKT system — the interior-point solver's, or one
/// analysed for the layer under operator splitting (forward solves refined
/// to the same point); for second-order, exponential and power cones on
/// the interior-point KKT system as a preconditioner. Both agree with the
/// sparse LU of `J`.
#[test]
fn kkt_path_agrees_with_lu() {
    let problems = [
        planted_qp(&mut Rng(900), 8, 2, 10),
        planted_qp(&mut Rng(901), 5, 0, 12),
        random_lp(&mut Rng(902), 6, 4),
    ];
    let admm = lpgd_solver::Settings {
        method: lpgd_solver::Method::Admm,
        ..lpgd_solver::Settings::default()
    };
    for (k, prob) in problems.iter().enumerate() {
        assert_kkt_matches_lu(prob, tight(), 950 + 2 * k as u64);
        assert_kkt_matches_lu(prob, admm.clone(), 951 + 2 * k as u64);
    }
    // Dense D blocks (second-order, exponential, power cones): the floored
    // reduced system on the KKT pattern, refined against J.
    let conic = [
        vec![SupportedCone::SecondOrder(3), SupportedCone::Nonnegative(2)],
        vec![
            SupportedCone::SecondOrder(4),
            SupportedCone::Zero(1),
            SupportedCone::SecondOrder(3),
        ],
        vec![SupportedCone::Exponential, SupportedCone::Nonnegative(2)],
        vec![SupportedCone::Power(0.3), SupportedCone::SecondOrder(3)],
    ];
    for (k, cones) in conic.into_iter().enumerate() {
        let prob = planted_conic(&mut Rng(903 + k as u64), 5, cones, 1.0);
        assert_kkt_matches_lu(&prob, tight(), 960 + k as u64);
    }
}
