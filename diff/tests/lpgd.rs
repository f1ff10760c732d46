//! LPGD: convergence to the implicit gradient as τ → 0 (Theorem 3.1),
//! the closed-form special cases of §3.5, forward mode, the fallback, and
//! both forward methods.

mod common;
use common::*;
use lpgd_diff::{
    DiffError, DiffSolver, Envelope, Fallback, ImplicitSettings, LossGrad, LpgdSettings, Mode,
    ParamGrad, Side,
};
use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, SupportedCone};

fn lpgd(envelope: Envelope, tau: f64, rho: f64) -> Mode {
    Mode::Lpgd(LpgdSettings {
        tau,
        rho,
        envelope,
        fallback: Fallback::Error,
    })
}

const IMPLICIT: Mode = Mode::Implicit(ImplicitSettings {
    rho: 0.0,
    factorization: lpgd_diff::Factorization::Auto,
});

fn layer_for(prob: &ProblemData) -> DiffSolver {
    let mut layer = DiffSolver::new(prob.clone(), tight()).unwrap();
    layer.set_refinement(REFINE);
    let sol = layer.solve().unwrap();
    assert!(sol.status.is_solved());
    layer
}

/// Theorem 3.1: on strictly convex QPs with nondegenerate inequality
/// constraints, the one-sided LPGD gradients (c, b, A, P) approach the
/// implicit gradient to first order in τ, the average to second order;
/// losses on x, on y, on s and on all three.
#[test]
fn lpgd_converges_to_the_implicit_gradient() {
    for seed in 0..5 {
        let prob = planted_qp(&mut Rng(700 + seed), 8, 2, 10);
        let layer = layer_for(&prob);
        let (n, m) = (prob.n(), prob.m());
        let mut rng = Rng(800 + seed);
        let full = random_loss(&mut rng, n, m);
        let losses = [
            ("x", LossGrad::on_x(full.dx.clone().unwrap())),
            (
                "y",
                LossGrad {
                    dy: full.dy.clone(),
                    ..Default::default()
                },
            ),
            (
                "s",
                LossGrad {
                    ds: full.ds.clone(),
                    ..Default::default()
                },
            ),
            ("x, y, s", full),
        ];
        for (name, loss) in &losses {
            let exact = layer.backward(IMPLICIT, loss).unwrap().grad;
            for (env, tau, tol) in [
                (Envelope::Lower, 1e-6, 1e-4),
                (Envelope::Upper, 1e-6, 1e-4),
                (Envelope::Average, 1e-4, 1e-6),
            ] {
                let g = layer.backward(lpgd(env, tau, 0.0), loss).unwrap().grad;
                let floor = 1e-8 * exact.norm();
                for (blk, (u, v)) in ["P", "c", "A", "b"]
                    .iter()
                    .zip(g.blocks().iter().zip(exact.blocks()))
                {
                    let diff = u
                        .iter()
                        .zip(v)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                        .sqrt();
                    let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
                    let err = diff / norm.max(floor);
                    assert!(
                        err <= tol,
                        "seed {seed}, loss on {name}, {env:?} τ = {tau:e}, block {blk}: {err:e}"
                    );
                }
            }
        }
    }
}

/// The error orders are visible (so the test above is not vacuous):
/// halving τ halves the one-sided error and quarters the average's. On a
/// QP the solution map is affine near a nondegenerate solution and
/// `∇_w L` is quadratic in `z`, so the average is exact there (checked);
/// its second-order error shows on a second-order cone program.
#[test]
fn error_orders_in_tau() {
    let err = |layer: &DiffSolver, loss: &LossGrad, env, tau| {
        let exact = layer.backward(IMPLICIT, loss).unwrap().grad;
        layer
            .backward(lpgd(env, tau, 0.0), loss)
            .unwrap()
            .grad
            .rel_error(&exact, 1e-8)
    };
    let qp = planted_qp(&mut Rng(710), 8, 2, 10);
    let layer = layer_for(&qp);
    let loss = random_loss(&mut Rng(810), qp.n(), qp.m());
    let (l1, l2) = (
        err(&layer, &loss, Envelope::Lower, 1e-2),
        err(&layer, &loss, Envelope::Lower, 5e-3),
    );
    assert!((l1 / l2 - 2.0).abs() < 0.2, "lower: {l1:e} → {l2:e}");
    assert!(err(&layer, &loss, Envelope::Average, 1e-3) < 1e-10);
    let cones = vec![SupportedCone::SecondOrder(4), SupportedCone::SecondOrder(4)];
    let socp = planted_conic(&mut Rng(711), 6, cones, 1.0);
    let layer = layer_for(&socp);
    let loss = random_loss(&mut Rng(811), socp.n(), socp.m());
    let (a1, a2) = (
        err(&layer, &loss, Envelope::Average, 2e-2),
        err(&layer, &loss, Envelope::Average, 1e-2),
    );
    assert!((a1 / a2 - 4.0).abs() < 0.5, "average: {a1:e} → {a2:e}");
    let (u1, u2) = (
        err(&layer, &loss, Envelope::Upper, 2e-3),
        err(&layer, &loss, Envelope::Upper, 1e-3),
    );
    assert!((u1 / u2 - 2.0).abs() < 0.2, "upper: {u1:e} → {u2:e}");
}

/// Forward-mode LPGD approaches the implicit Jacobian-vector product.
#[test]
fn forward_mode_converges() {
    let prob = planted_qp(&mut Rng(720), 8, 2, 10);
    let layer = layer_for(&prob);
    let dir = random_direction(&mut Rng(820), &prob);
    let exact = layer.jvp(IMPLICIT, &dir).unwrap().tangent;
    for (env, tau, tol) in [
        (Envelope::Lower, 1e-6, 1e-4),
        (Envelope::Upper, 1e-6, 1e-4),
        (Envelope::Average, 1e-4, 1e-6),
    ] {
        let t = layer.jvp(lpgd(env, tau, 0.0), &dir).unwrap().tangent;
        let num: f64 = [(&t.dx, &exact.dx), (&t.dy, &exact.dy), (&t.ds, &exact.ds)]
            .iter()
            .flat_map(|(a, b)| a.iter().zip(b.iter()).map(|(u, v)| (u - v) * (u - v)))
            .sum::<f64>()
            .sqrt();
        let den = exact.dot(&exact).sqrt();
        assert!(num / den <= tol, "{env:?}: {:e}", num / den);
    }
}

/// The box LP `x*(c) = argmin_{x ∈ [0,1]ⁿ} ⟨x, c⟩ = 1[c < 0]`.
fn box_lp(c: Vec<f64>) -> ProblemData {
    let n = c.len();
    let (mut r, mut col, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..n {
        r.extend([j, n + j]);
        col.extend([j, j]);
        v.extend([1.0, -1.0]);
    }
    let a = CscMatrix::from_triplets(2 * n, n, &r, &col, &v).unwrap();
    let mut b = vec![1.0; n];
    b.extend(vec![0.0; n]);
    ProblemData::new(None, c, a, b, vec![SupportedCone::Nonnegative(2 * n)]).unwrap()
}

/// §3.5, eq. 25: on an LP, LPGD-lower with ρ = 0 is Blackbox
/// Backpropagation, `(x*(c + τ∇ℓ) − x*(c))/τ`, reproduced to machine
/// precision (refined vertices are exact 0/1 vectors); the implicit
/// gradient is zero.
#[test]
fn blackbox_backpropagation_on_a_box_lp() {
    let c = vec![0.3, -0.2, 0.05, -0.7, 1.2, -0.01];
    let dl = vec![-0.5, 0.5, -0.13, 0.2, -2.0, -0.3];
    let layer = layer_for(&box_lp(c.clone()));
    let xstar =
        |c: &[f64]| -> Vec<f64> { c.iter().map(|&v| f64::from(u8::from(v < 0.0))).collect() };
    for tau in [0.1, 0.5, 2.0] {
        let g = layer
            .backward(lpgd(Envelope::Lower, tau, 0.0), &LossGrad::on_x(dl.clone()))
            .unwrap()
            .grad;
        let cp: Vec<f64> = c.iter().zip(&dl).map(|(c, d)| c + tau * d).collect();
        let (x1, x0) = (xstar(&cp), xstar(&c));
        for j in 0..c.len() {
            let bb = (x1[j] - x0[j]) / tau;
            assert!(
                (g.c[j] - bb).abs() <= 1e-12,
                "τ = {tau}, j = {j}: {} vs {bb}",
                g.c[j]
            );
        }
    }
    let implicit = layer.backward(IMPLICIT, &LossGrad::on_x(dl.clone()));
    if let Ok(g) = implicit {
        assert!(g.grad.c.iter().all(|v| v.abs() < 1e-9), "{:?}", g.grad.c);
    }
}

/// §3.5, eq. 27: for a regularized LP (`½‖x‖²` over the box, so
/// `x*(c) = clip(−c, 0, 1)`) LPGD-average is Domke's symmetric difference
/// `(x*(c + τ∇ℓ) − x*(c − τ∇ℓ))/2τ`, to machine precision.
#[test]
fn domke_symmetric_difference_on_a_regularized_lp() {
    let c = vec![0.3, -0.2, -0.5, -1.7, 1.2, -0.95];
    let dl = vec![-0.5, 0.5, -0.1, 0.2, -2.0, -0.3];
    let mut prob = box_lp(c.clone());
    prob.p = std::sync::Arc::new(CscMatrix::identity(c.len()));
    let layer = layer_for(&prob);
    let xstar = |c: &[f64]| -> Vec<f64> { c.iter().map(|&v| (-v).clamp(0.0, 1.0)).collect() };
    for tau in [0.01, 0.2, 1.0] {
        let g = layer
            .backward(
                lpgd(Envelope::Average, tau, 0.0),
                &LossGrad::on_x(dl.clone()),
            )
            .unwrap()
            .grad;
        let cp: Vec<f64> = c.iter().zip(&dl).map(|(c, d)| c + tau * d).collect();
        let cm: Vec<f64> = c.iter().zip(&dl).map(|(c, d)| c - tau * d).collect();
        let (xp, xm) = (xstar(&cp), xstar(&cm));
        for j in 0..c.len() {
            let domke = (xp[j] - xm[j]) / (2.0 * tau);
            assert!(
                (g.c[j] - domke).abs() <= 1e-12,
                "τ = {tau}, j = {j}: {} vs {domke}",
                g.c[j]
            );
        }
    }
}

/// The augmentation (§3.6) keeps the forward solution and smooths the
/// LPGD gradient of an LP: on the box LP the plus-side problem becomes
/// `minimize ρ/2‖x‖² + (c − ρx* + τ∇ℓ)ᵀx` over the box, so LPGD-lower is
/// `(clip(x* − (c + τ∇ℓ)/ρ, 0, 1) − x*)/τ`: a ramp instead of
/// Blackbox Backpropagation's jump of `1/τ`.
#[test]
fn augmented_lpgd_on_a_box_lp() {
    let c = vec![0.3, -0.2, 0.05];
    let dl = vec![-5.0, 3.0, -0.2];
    let layer = layer_for(&box_lp(c.clone()));
    let xs = [0.0, 1.0, 0.0];
    for (tau, rho) in [(0.1, 1.0), (0.1, 0.2), (1.0, 10.0), (0.02, 0.5)] {
        let g = layer
            .backward(lpgd(Envelope::Lower, tau, rho), &LossGrad::on_x(dl.clone()))
            .unwrap()
            .grad;
        for j in 0..c.len() {
            let xp = (xs[j] - (c[j] + tau * dl[j]) / rho).clamp(0.0, 1.0);
            let expect = (xp - xs[j]) / tau;
            assert!(
                (g.c[j] - expect).abs() <= 1e-9 * expect.abs().max(1.0),
                "τ {tau} ρ {rho} j {j}: {} vs {expect}",
                g.c[j]
            );
        }
    }
    // Coordinate 0 crosses zero at τ = 0.06: without augmentation the
    // gradient jumps from 0 to 1/τ, with ρ = 1 it grows continuously.
    let g = |tau: f64, rho: f64| {
        layer
            .backward(lpgd(Envelope::Lower, tau, rho), &LossGrad::on_x(dl.clone()))
            .unwrap()
            .grad
            .c[0]
    };
    assert!(g(0.059, 0.0).abs() < 1e-9 && (g(0.061, 0.0) - 1.0 / 0.061).abs() < 1e-6);
    assert!((g(0.061, 1.0) - g(0.059, 1.0)).abs() < 0.5);
}

/// A loss on y shifts b; a huge τ makes one side infeasible. The average
/// falls back to the other side's envelope (reported), or errors with
/// `Fallback::Error` — never NaN.
#[test]
fn infeasible_perturbation_falls_back_or_errors() {
    // minimize x subject to 0 ≤ x ≤ 1; a loss on the dual of x ≥ 0.
    let a = CscMatrix::from_triplets(2, 1, &[0, 1], &[0, 0], &[1.0, -1.0]).unwrap();
    let prob = ProblemData::new(
        Some(CscMatrix::identity(1)),
        vec![1.0],
        a,
        vec![1.0, 0.0],
        vec![SupportedCone::Nonnegative(2)],
    )
    .unwrap();
    let layer = layer_for(&prob);
    // b₀ + σ·τ·(−dy₀): with dy₀ = 1, τ = 2 the plus side has x ≤ −1, x ≥ 0.
    let loss = LossGrad {
        dy: Some(vec![1.0, 0.0]),
        ..Default::default()
    };
    let settings = LpgdSettings {
        tau: 2.0,
        rho: 0.0,
        envelope: Envelope::Average,
        fallback: Fallback::OneSided,
    };
    let out = layer.backward(Mode::Lpgd(settings), &loss).unwrap();
    assert_eq!(out.info.envelope, Some(Envelope::Upper));
    assert!(out.grad.norm().is_finite());
    let err = layer
        .backward(
            Mode::Lpgd(LpgdSettings {
                fallback: Fallback::Error,
                ..settings
            }),
            &loss,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            DiffError::PerturbedNotSolved {
                side: Side::Plus,
                ..
            }
        ),
        "{err}"
    );
}

/// Bad input to a backward pass: typed errors.
#[test]
fn bad_input_is_a_typed_error() {
    let prob = planted_qp(&mut Rng(730), 4, 0, 4);
    let mut layer = DiffSolver::new(prob.clone(), tight()).unwrap();
    let loss = LossGrad::on_x(vec![1.0; 4]);
    assert!(matches!(
        layer.backward(IMPLICIT, &loss),
        Err(DiffError::NoSolution)
    ));
    layer.solve().unwrap();
    let short = LossGrad::on_x(vec![1.0; 3]);
    assert!(matches!(
        layer.backward(IMPLICIT, &short),
        Err(DiffError::Dimension { .. })
    ));
    let nan = LossGrad::on_x(vec![1.0, f64::NAN, 0.0, 0.0]);
    assert!(matches!(
        layer.backward(IMPLICIT, &nan),
        Err(DiffError::NonFinite { .. })
    ));
    for (tau, rho) in [(0.0, 0.0), (-1.0, 0.0), (f64::NAN, 0.0), (1.0, -1.0)] {
        let r = layer.backward(lpgd(Envelope::Lower, tau, rho), &loss);
        assert!(
            matches!(r, Err(DiffError::InvalidSetting { .. })),
            "τ {tau} ρ {rho}"
        );
    }
    let mut bad_dir = ParamGrad::zeros(&prob);
    bad_dir.c.pop();
    assert!(matches!(
        layer.jvp(IMPLICIT, &bad_dir),
        Err(DiffError::Dimension { .. })
    ));
}

/// The operator-splitting method serves LPGD too: its gradients agree with
/// the interior-point method's at a moderate τ (to its accuracy), and the
/// warm-started perturbed solves need fewer iterations than the cold
/// forward solve.
#[test]
fn admm_lpgd_agrees_and_warm_starts() {
    let prob = planted_qp(&mut Rng(740), 8, 2, 10);
    let loss = random_loss(&mut Rng(840), prob.n(), prob.m());
    let ipm = layer_for(&prob);
    let settings = Settings {
        method: Method::Admm,
        eps_abs: 1e-9,
        eps_rel: 1e-9,
        max_iter: 20_000,
        ..Settings::default()
    };
    let mut admm = DiffSolver::new(prob.clone(), settings).unwrap();
    let cold = admm.solve().unwrap().iterations;
    let mode = lpgd(Envelope::Average, 1e-2, 0.0);
    let a = admm.backward(mode, &loss).unwrap();
    let b = ipm.backward(mode, &loss).unwrap();
    let err = a.grad.rel_error(&b.grad, 1e-8);
    assert!(err < 1e-4, "ADMM vs IPM LPGD: {err:e}");
    for (_, status, it) in &a.info.solves {
        assert!(status.is_solved());
        assert!(
            *it < cold,
            "warm-started perturbed solve {it} vs cold {cold}"
        );
    }
}

/// The interior-point method warm-starts LPGD's perturbed solves from the
/// forward solution: at a small τ each takes at most half the forward
/// solve's iterations, for both envelopes' sides and with augmentation.
#[test]
fn ipm_lpgd_perturbed_solves_are_warm_started() {
    let prob = planted_qp(&mut Rng(741), 10, 3, 12);
    let loss = random_loss(&mut Rng(841), prob.n(), prob.m());
    let mut layer = DiffSolver::new(prob, Settings::default()).unwrap();
    let cold = layer.solve().unwrap().iterations;
    for rho in [0.0, 1.0] {
        let out = layer
            .backward(lpgd(Envelope::Average, 1e-4, rho), &loss)
            .unwrap();
        assert_eq!(out.info.solves.len(), 2);
        for (_, status, it) in &out.info.solves {
            assert!(status.is_solved());
            assert!(
                2 * it <= cold,
                "ρ = {rho}: warm-started perturbed solve {it} vs cold {cold}"
            );
        }
    }
}

/// Lagrangian mirror descent coincides with LPGD without constraints
/// (paper C.2, eq. 70–71), for every envelope and with augmentation.
#[test]
fn lmd_is_lpgd_without_constraints() {
    let mut rng = Rng(900);
    let n = 6;
    let p = random_spd(&mut rng, n, 0.5);
    let a = CscMatrix::zeros(0, n);
    let prob = ProblemData::new(Some(p), rng.vec(n), a, vec![], vec![]).unwrap();
    let layer = layer_for(&prob);
    let loss = LossGrad::on_x(rng.vec(n));
    for env in [Envelope::Lower, Envelope::Upper, Envelope::Average] {
        for (tau, rho) in [(1e-3, 0.0), (0.5, 0.0), (0.5, 2.0)] {
            let s = LpgdSettings {
                tau,
                rho,
                envelope: env,
                fallback: Fallback::Error,
            };
            let a = layer.backward(Mode::Lmd(s), &loss).unwrap().grad;
            let b = layer.backward(Mode::Lpgd(s), &loss).unwrap().grad;
            assert!(a.rel_error(&b, 1e-12) < 1e-10, "{env:?} τ {tau} ρ {rho}");
        }
    }
}

/// With constraints LMD's perturbed problem is a projection of `x*` in the
/// metric of `P`: for `x ≥ 0` binding at `x*₀ = 0` and a loss pushing `x₀`
/// below zero, the LMD point stays at the bound (gradient 0 in `c₀`) while
/// LPGD-lower with a large `τ` sees the same; a loss pushing `x₀` up moves
/// both. Losses on `y` are rejected.
#[test]
fn lmd_with_constraints() {
    // minimize ½‖x‖² + (1, −1)ᵀx subject to x ≥ 0: x* = (0, 1).
    let a = CscMatrix::from_triplets(2, 2, &[0, 1], &[0, 1], &[-1.0, -1.0]).unwrap();
    let prob = ProblemData::new(
        Some(CscMatrix::identity(2)),
        vec![1.0, -1.0],
        a,
        vec![0.0, 0.0],
        vec![SupportedCone::Nonnegative(2)],
    )
    .unwrap();
    let layer = layer_for(&prob);
    let s = LpgdSettings {
        tau: 0.5,
        rho: 0.0,
        envelope: Envelope::Lower,
        fallback: Fallback::Error,
    };
    // ℓ = x₀ − x₁ (wants x₀ smaller: already at the bound; x₁ larger).
    let g = layer
        .backward(Mode::Lmd(s), &LossGrad::on_x(vec![1.0, -1.0]))
        .unwrap()
        .grad;
    // x^L = argmin ½‖x − x*‖² + τ(x₀ − x₁) over x ≥ 0 = (0, 1.5).
    assert!(
        g.c[0].abs() < 1e-9 && (g.c[1] - 1.0).abs() < 1e-9,
        "{:?}",
        g.c
    );
    // ℓ = −x₀: x^L = (0.5, 1).
    let g = layer
        .backward(Mode::Lmd(s), &LossGrad::on_x(vec![-1.0, 0.0]))
        .unwrap()
        .grad;
    assert!(
        (g.c[0] - 1.0).abs() < 1e-9 && g.c[1].abs() < 1e-9,
        "{:?}",
        g.c
    );
    let bad = LossGrad {
        dy: Some(vec![1.0, 0.0]),
        ..Default::default()
    };
    assert!(matches!(
        layer.backward(Mode::Lmd(s), &bad),
        Err(DiffError::Unsupported(_))
    ));
}

/// A τ so small that the difference quotient overflows (found by the `diff`
/// fuzz target: τ = 4.3e-317 with ρ = 8; the augmented perturbed solution
/// differs from `x*` by rounding) gives a typed error, never an infinite
/// gradient.
#[test]
fn overflowing_difference_quotient_is_an_error() {
    let a = lpgd_solver::CscMatrix::from_triplets(1, 1, &[0], &[0], &[-1.0]).unwrap();
    let p = lpgd_solver::CscMatrix::from_triplets(1, 1, &[0], &[0], &[1.0]).unwrap();
    let prob = ProblemData::new(
        Some(p),
        vec![1.0],
        a,
        vec![10.0],
        vec![SupportedCone::Nonnegative(1)],
    )
    .unwrap();
    let mut layer = DiffSolver::new(prob, lpgd_solver::Settings::default()).unwrap();
    layer.solve().unwrap();
    let loss = LossGrad {
        dx: Some(vec![1.0]),
        dy: None,
        ds: None,
    };
    for envelope in [Envelope::Lower, Envelope::Upper, Envelope::Average] {
        let s = LpgdSettings {
            tau: 4.2816277e-317,
            rho: 8.0,
            envelope,
            ..LpgdSettings::default()
        };
        let e = layer.backward(Mode::Lpgd(s), &loss).unwrap_err();
        assert!(
            matches!(e, DiffError::ResultNotFinite { .. }),
            "{envelope:?}: {e}"
        );
    }
}
