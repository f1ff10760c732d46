//! Batched forward and backward passes: per-instance failures and results
//! independent of the number of threads.

mod common;
use common::*;
use lpgd_diff::batch::{BatchInstance, DiffBatch};
use lpgd_diff::{DiffError, DiffSolver, Envelope, ImplicitSettings, LossGrad, LpgdSettings, Mode};
use lpgd_solver::{Method, Settings, Start};

/// `(c, b)` of one instance.
type CostRhs = (Vec<f64>, Vec<f64>);

/// The batch items of `data`, all with the gradient `loss`.
fn instances<'a>(data: &'a [CostRhs], loss: &'a LossGrad) -> Vec<BatchInstance<'a>> {
    data.iter()
        .map(|(c, b)| BatchInstance {
            c,
            b,
            loss: Some(loss),
            start: Start::Cold,
        })
        .collect()
}

fn family(count: usize) -> (lpgd_solver::ProblemData, Vec<CostRhs>) {
    let base = planted_qp(&mut Rng(11), 6, 1, 8);
    let mut rng = Rng(12);
    let data = (0..count)
        .map(|_| {
            let c: Vec<f64> = base.c.iter().map(|v| v + 0.3 * rng.normal()).collect();
            let b: Vec<f64> = base.b.iter().map(|v| v + 0.3 * rng.uniform()).collect();
            (c, b)
        })
        .collect();
    (base, data)
}

#[test]
fn batch_is_thread_independent_and_matches_single_solves() {
    let (base, data) = family(12);
    for method in [Method::InteriorPoint, Method::Admm] {
        let mut settings = Settings {
            method,
            ..Settings::default()
        };
        // Tight ADMM tolerances, so that paths with different warm starts
        // agree closely (LPGD divides the solution error by τ).
        settings.admm.eps_abs = 1e-10;
        settings.admm.eps_rel = 1e-10;
        settings.admm.eps_feas = 1e-10;
        settings.admm.max_iter = 100_000;
        let batch = DiffBatch::new(base.clone(), settings.clone()).unwrap();
        let loss = LossGrad::on_x(vec![1.0; base.n()]);
        let items = instances(&data, &loss);
        let mode = Mode::Lpgd(LpgdSettings {
            tau: 1e-2,
            envelope: Envelope::Average,
            ..Default::default()
        });
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| batch.forward_backward(&items, mode))
        };
        let (one, two) = (run(1), run(2));
        for (i, (a, b)) in one.iter().zip(&two).enumerate() {
            let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
            assert_eq!(a.solution.x, b.solution.x, "{method:?} instance {i}");
            let (ga, gb) = (
                &a.backward.as_ref().unwrap().grad,
                &b.backward.as_ref().unwrap().grad,
            );
            assert_eq!(ga, gb, "{method:?} instance {i}");
            // The same bits as a batch of this instance alone; as a layer set
            // up on the batch's base data (bitwise for the interior-point
            // method); and the same gradient to rounding as a layer set up
            // on this instance's data (which equilibrates differently).
            let single = batch.forward_backward(&items[i..=i], mode);
            let single = single[0].as_ref().unwrap();
            assert_eq!(
                &single.backward.as_ref().unwrap().grad,
                ga,
                "{method:?} instance {i}"
            );
            let mut same = DiffSolver::new(base.clone(), settings.clone()).unwrap();
            same.update_c(&data[i].0).unwrap();
            same.update_b(&data[i].1).unwrap();
            same.solve().unwrap();
            let h = same.backward(mode, &loss).unwrap().grad;
            if method == Method::Admm {
                // The lockstep batch starts the minus side from the
                // reflection of the plus solution: the same gradient to the
                // solver's tolerance.
                let err = h.rel_error(ga, 1e-12);
                assert!(err < 1e-6, "{method:?} instance {i}: {err:e}");
            } else {
                assert_eq!(&h, ga, "{method:?} instance {i}");
            }
            let mut prob = base.clone();
            prob.c.clone_from(&data[i].0);
            prob.b.clone_from(&data[i].1);
            let mut alone = DiffSolver::new(prob, settings.clone()).unwrap();
            alone.solve().unwrap();
            let g = alone.backward(mode, &loss).unwrap().grad;
            let err = g.rel_error(ga, 1e-12);
            let tol = if method == Method::Admm { 1e-6 } else { 1e-8 };
            assert!(err < tol, "{method:?} instance {i}: {err:e}");
        }
    }
}

/// LPGD with augmentation in a batch (for ADMM: one factorization of
/// `P + ρI` shared by all perturbed problems) agrees with the
/// instance-by-instance path.
#[test]
fn augmented_batch_matches_single_layers() {
    let (base, data) = family(8);
    for method in [Method::InteriorPoint, Method::Admm] {
        let settings = Settings {
            method,
            ..Settings::default()
        };
        let batch = DiffBatch::new(base.clone(), settings.clone()).unwrap();
        let loss = LossGrad::on_x(vec![1.0; base.n()]);
        let items = instances(&data, &loss);
        let mode = Mode::Lpgd(LpgdSettings {
            tau: 0.1,
            rho: 0.5,
            envelope: Envelope::Average,
            ..Default::default()
        });
        let out = batch.forward_backward(&items, mode);
        for (i, r) in out.iter().enumerate() {
            let g = &r.as_ref().unwrap().backward.as_ref().unwrap().grad;
            let mut same = DiffSolver::new(base.clone(), settings.clone()).unwrap();
            same.update_c(&data[i].0).unwrap();
            same.update_b(&data[i].1).unwrap();
            same.solve().unwrap();
            let h = same.backward(mode, &loss).unwrap().grad;
            let tol = if method == Method::Admm { 1e-3 } else { 1e-12 };
            assert!(
                g.rel_error(&h, 1e-12) <= tol,
                "{method:?} instance {i}: {:e}",
                g.rel_error(&h, 1e-12)
            );
        }
    }
}

/// LPGD-average with `τ = 0.1`, `ρ = 0.5`: the mode of the perturbed-solve
/// settings tests.
/// Operator-splitting settings with all three tolerances `eps`.
fn admm_settings(eps: f64) -> Settings {
    let mut settings = Settings {
        method: Method::Admm,
        ..Settings::default()
    };
    settings.admm.eps_abs = eps;
    settings.admm.eps_rel = eps;
    settings.admm.eps_feas = eps;
    settings
}

fn average_mode() -> Mode {
    Mode::Lpgd(LpgdSettings {
        tau: 0.1,
        rho: 0.5,
        envelope: Envelope::Average,
        ..Default::default()
    })
}

/// Iterations of all perturbed solves of a batch's backward passes.
fn perturbed_iterations(out: &[Result<lpgd_diff::batch::InstanceResult, DiffError>]) -> u32 {
    out.iter()
        .map(|r| {
            let info = &r.as_ref().unwrap().backward.as_ref().unwrap().info;
            info.solves.iter().map(|s| s.2).sum::<u32>()
        })
        .sum()
}

/// With ADMM, `set_perturbed_scale` sets the step size the perturbed
/// solves start from: the gradients stay those of the default start (to
/// the solver's tolerance), in the batch and instance by instance, while
/// the perturbed solves take other iteration counts.
#[test]
fn perturbed_scale_changes_the_start_not_the_gradient() {
    let (base, data) = family(6);
    let settings = admm_settings(1e-10);
    let loss = LossGrad::on_x(vec![1.0; base.n()]);
    let items = instances(&data, &loss);
    let mode = average_mode();
    let default = DiffBatch::new(base.clone(), settings.clone()).unwrap();
    let reference = default.forward_backward(&items, mode);
    let mut counts = vec![perturbed_iterations(&reference)];
    for scale in [1e-3, 30.0] {
        let mut batch = DiffBatch::new(base.clone(), settings.clone()).unwrap();
        batch.set_perturbed_scale(Some(scale)).unwrap();
        let out = batch.forward_backward(&items, mode);
        counts.push(perturbed_iterations(&out));
        for (i, (r, q)) in out.iter().zip(&reference).enumerate() {
            let g = &r.as_ref().unwrap().backward.as_ref().unwrap().grad;
            let h = &q.as_ref().unwrap().backward.as_ref().unwrap().grad;
            let err = g.rel_error(h, 1e-12);
            assert!(err < 1e-5, "scale {scale}, instance {i}: {err:e}");
            let mut layer = DiffSolver::new(base.clone(), settings.clone()).unwrap();
            layer.set_perturbed_scale(Some(scale)).unwrap();
            layer.update_c(&data[i].0).unwrap();
            layer.update_b(&data[i].1).unwrap();
            layer.solve().unwrap();
            let f = layer.backward(mode, &loss).unwrap().grad;
            let err = f.rel_error(g, 1e-12);
            assert!(err < 1e-5, "scale {scale}, instance {i}: {err:e}");
        }
    }
    assert!(
        counts[1] != counts[0] && counts[2] != counts[0],
        "perturbed iterations {counts:?}"
    );
    let mut batch = DiffBatch::new(base, settings).unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(batch.set_perturbed_scale(Some(bad)).is_err());
    }
}

/// A looser perturbed tolerance: the same forward solution, fewer perturbed
/// iterations, and a gradient near the tight one (in the batch and instance
/// by instance); for both methods.
#[test]
fn perturbed_tolerance_trades_iterations_for_accuracy() {
    let (base, data) = family(6);
    let loss = LossGrad::on_x(vec![1.0; base.n()]);
    let items = instances(&data, &loss);
    let mode = average_mode();
    for method in [Method::Admm, Method::InteriorPoint] {
        let mut settings = Settings {
            method,
            ..Settings::default()
        };
        settings.eps_abs = 1e-10;
        settings.eps_rel = 1e-10;
        settings.eps_feas = 1e-10;
        settings.admm.eps_abs = 1e-10;
        settings.admm.eps_rel = 1e-10;
        settings.admm.eps_feas = 1e-10;
        let tight = DiffBatch::new(base.clone(), settings.clone()).unwrap();
        let reference = tight.forward_backward(&items, mode);
        let mut loose = DiffBatch::new(base.clone(), settings.clone()).unwrap();
        loose.set_perturbed_tolerance(Some(1e-4)).unwrap();
        let out = loose.forward_backward(&items, mode);
        assert!(
            perturbed_iterations(&out) < perturbed_iterations(&reference),
            "{method:?}: {} vs {} perturbed iterations",
            perturbed_iterations(&out),
            perturbed_iterations(&reference)
        );
        for (i, (r, q)) in out.iter().zip(&reference).enumerate() {
            let r = r.as_ref().unwrap();
            let q = q.as_ref().unwrap();
            assert_eq!(r.solution.x, q.solution.x, "{method:?}: the forward solve");
            let g = &r.backward.as_ref().unwrap().grad;
            let h = &q.backward.as_ref().unwrap().grad;
            let err = g.rel_error(h, 1e-12);
            assert!(err > 0.0 && err < 1e-2, "{method:?}, instance {i}: {err:e}");
            let mut layer = DiffSolver::new(base.clone(), settings.clone()).unwrap();
            layer.set_perturbed_tolerance(Some(1e-4)).unwrap();
            layer.update_c(&data[i].0).unwrap();
            layer.update_b(&data[i].1).unwrap();
            layer.solve().unwrap();
            let f = layer.backward(mode, &loss).unwrap().grad;
            let err = f.rel_error(h, 1e-12);
            assert!(err < 1e-2, "{method:?}, instance {i} alone: {err:e}");
        }
    }
    let mut batch = DiffBatch::new(base, Settings::default()).unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(batch.set_perturbed_tolerance(Some(bad)).is_err());
    }
}

/// Forward solves on another method than the layer's: the interior point's
/// solutions, with LPGD's perturbed solves and the implicit derivatives of
/// the operator-splitting layer at them.
#[test]
fn forward_method_takes_the_other_methods_solutions() {
    let (base, data) = family(6);
    let loss = LossGrad::on_x(vec![1.0; base.n()]);
    let items = instances(&data, &loss);
    let settings = admm_settings(1e-9);
    let ipm_settings = Settings {
        method: Method::InteriorPoint,
        ..settings.clone()
    };
    let ipm = DiffBatch::new(base.clone(), ipm_settings).unwrap();
    let admm = DiffBatch::new(base.clone(), settings.clone()).unwrap();
    let mut hybrid = DiffBatch::new(base.clone(), settings).unwrap();
    assert_eq!(hybrid.forward_method(), Method::Admm);
    hybrid.set_forward_method(Method::InteriorPoint).unwrap();
    assert_eq!(hybrid.forward_method(), Method::InteriorPoint);
    let implicit = Mode::Implicit(ImplicitSettings::default());
    for mode in [average_mode(), implicit] {
        let h = hybrid.forward_backward(&items, mode);
        let i = ipm.forward_backward(&items, mode);
        let a = admm.forward_backward(&items, mode);
        for (k, ((h, i), a)) in h.iter().zip(&i).zip(&a).enumerate() {
            let (h, i, a) = (
                h.as_ref().unwrap(),
                i.as_ref().unwrap(),
                a.as_ref().unwrap(),
            );
            assert_eq!(
                h.solution.x, i.solution.x,
                "instance {k}: the interior point's"
            );
            assert_eq!(h.solution.iterations, i.solution.iterations);
            assert_ne!(h.solution.x, a.solution.x);
            let g = &h.backward.as_ref().unwrap().grad;
            let err = g.rel_error(&a.backward.as_ref().unwrap().grad, 1e-12);
            assert!(err < 1e-5, "{mode:?}, instance {k}: {err:e}");
        }
    }
    // LPGD's perturbed solves stay on the layer's method: as many
    // iterations as from the operator-splitting forward solutions, not the
    // interior point's handful.
    let h = hybrid.forward_backward(&items, average_mode());
    let a = admm.forward_backward(&items, average_mode());
    let i = ipm.forward_backward(&items, average_mode());
    assert!(
        perturbed_iterations(&h) > 2 * perturbed_iterations(&i),
        "{} against the interior point's {}",
        perturbed_iterations(&h),
        perturbed_iterations(&i)
    );
    assert!(perturbed_iterations(&h) * 2 > perturbed_iterations(&a));
    // Forward only, and without the lockstep path (refinement).
    let f = hybrid.forward(&items);
    let mut refined = hybrid.clone();
    refined.set_refinement(1);
    let r = refined.forward_backward(&items, average_mode());
    for ((f, r), i) in f.iter().zip(&r).zip(&i) {
        let i = &i.as_ref().unwrap().solution;
        assert_eq!(f.as_ref().unwrap().x, i.x);
        assert_eq!(r.as_ref().unwrap().solution.x, i.x);
    }
    // Back to the layer's own method.
    hybrid.set_forward_method(Method::Admm).unwrap();
    assert_eq!(hybrid.forward_method(), Method::Admm);
    for (h, a) in hybrid.forward(&items).iter().zip(admm.forward(&items)) {
        assert_eq!(h.as_ref().unwrap().x, a.unwrap().x);
    }
}

#[test]
fn failures_are_per_instance() {
    use lpgd_solver::{CscMatrix, ProblemData, SupportedCone};
    // minimize ½‖x‖² + cᵀx subject to −1 ≤ x ≤ 1 (rows x ≤ 1, −x ≤ 1).
    let a = CscMatrix::from_triplets(4, 2, &[0, 1, 2, 3], &[0, 1, 0, 1], &[1.0, 1.0, -1.0, -1.0])
        .unwrap();
    let base = ProblemData::new(
        Some(CscMatrix::identity(2)),
        vec![0.5, -0.5],
        a,
        vec![1.0; 4],
        vec![SupportedCone::Nonnegative(4)],
    )
    .unwrap();
    let loss = LossGrad::on_x(vec![1.0, 1.0]);
    let ok_b = [1.0; 4];
    // x₀ ≤ −1 and x₀ ≥ 1: infeasible.
    let infeasible_b = [-1.0, 1.0, -1.0, 1.0];
    let (c, short_c) = ([0.5, -0.5], [0.5]);
    let items = [
        BatchInstance {
            c: &c,
            b: &ok_b,
            loss: Some(&loss),
            start: Start::Cold,
        },
        BatchInstance {
            c: &short_c,
            b: &ok_b,
            loss: Some(&loss),
            start: Start::Cold,
        },
        BatchInstance {
            c: &c,
            b: &infeasible_b,
            loss: Some(&loss),
            start: Start::Cold,
        },
        BatchInstance {
            c: &c,
            b: &ok_b,
            loss: Some(&loss),
            start: Start::Cold,
        },
    ];
    for method in [Method::InteriorPoint, Method::Admm] {
        let settings = Settings {
            method,
            ..Settings::default()
        };
        let batch = DiffBatch::new(base.clone(), settings).unwrap();
        let out = batch.forward_backward(&items, Mode::Lpgd(LpgdSettings::default()));
        assert!(out[0].is_ok() && out[3].is_ok(), "{method:?}");
        let e1 = out[1].as_ref().err();
        assert!(
            matches!(e1, Some(DiffError::Problem(_))),
            "{method:?}: {e1:?}"
        );
        let e2 = out[2].as_ref().err();
        assert!(
            matches!(e2, Some(DiffError::ForwardNotSolved { .. })),
            "{method:?}: {e2:?}"
        );
    }
}

/// Batches reuse one layer clone and the KKT system of the previous
/// derivative system per rayon job: implicit differentiation on the
/// operator-splitting method (lockstep forward solves, then one backward
/// pass per instance) and on the interior point (each instance's forward
/// solve and backward pass on the reused clone) gives every instance the
/// bits it gets alone in a batch, with one thread or two, also after an
/// instance whose data is rejected. The layer is a box LP with dense
/// equality rows, as a learned Sudoku layer: its derivative systems are
/// factored through the dual normal equations, whose dense copies of `A`
/// the reused KKT system keeps.
#[test]
fn implicit_batch_reuses_kkt_systems_bitwise() {
    use lpgd_solver::cones::CompositeCone;
    use lpgd_solver::kkt::KktSystem;
    use lpgd_solver::{CscMatrix, ProblemData, SupportedCone};
    let (n, r) = (240, 60);
    let mut rng = Rng(31);
    let z0: Vec<f64> = (0..n).map(|_| 0.1 + 0.8 * rng.uniform()).collect();
    let dense = rng.vec(r * n);
    let (mut ri, mut ci, mut vi) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..r {
            ri.push(i);
            ci.push(j);
            vi.push(dense[i * n + j]);
        }
        ri.extend([r + j, r + n + j]);
        ci.extend([j, j]);
        vi.extend([1.0, -1.0]);
    }
    let a = CscMatrix::from_triplets(r + 2 * n, n, &ri, &ci, &vi).unwrap();
    let mut b = vec![0.0; r + 2 * n];
    a.gemv(&mut b, &z0, 1.0, 0.0);
    b[r..r + n].fill(1.0);
    b[r + n..].fill(0.0);
    let cones = vec![SupportedCone::Zero(r), SupportedCone::Nonnegative(2 * n)];
    let base = ProblemData::new(None, vec![0.0; n], a, b.clone(), cones).unwrap();
    // The layer's derivative systems use the KKT pattern with `P`'s explicit
    // diagonal: the dual normal equations.
    let idx: Vec<usize> = (0..n).collect();
    let p_diag = CscMatrix::from_triplets(n, n, &idx, &idx, &vec![0.0; n]).unwrap();
    let kkt = KktSystem::new(&p_diag, &base.a, &CompositeCone::new(&base.cones).unwrap()).unwrap();
    assert_eq!(kkt.backend_name(), "dual normal equations");
    let mut costs: Vec<Vec<f64>> = (0..7)
        .map(|_| {
            (0..n)
                .map(|_| if rng.uniform() < 0.2 { -1.0 } else { 0.0 })
                .collect()
        })
        .collect();
    costs[2][5] = f64::NAN;
    let targets: Vec<Vec<f64>> = (0..7).map(|_| rng.vec(n)).collect();
    let items: Vec<BatchInstance> = costs
        .iter()
        .map(|c| BatchInstance {
            c,
            b: &b,
            loss: None,
            start: Start::Cold,
        })
        .collect();
    for method in [Method::Admm, Method::InteriorPoint] {
        let mut settings = Settings {
            method,
            ..Settings::default()
        };
        settings.admm.eps_abs = 1e-6;
        settings.admm.eps_rel = 1e-6;
        settings.admm.eps_feas = 1e-6;
        let batch = DiffBatch::new(base.clone(), settings).unwrap();
        let mode = Mode::Implicit(ImplicitSettings {
            rho: 10.0,
            ..ImplicitSettings::default()
        });
        let run = |items: &[BatchInstance], first: usize, threads: usize| {
            let out = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    batch.forward_backward_with(items, mode, |k, sol| {
                        let t = &targets[first + k];
                        Some(LossGrad::on_x(
                            sol.x.iter().zip(t).map(|(x, y)| x - y).collect(),
                        ))
                    })
                });
            out.into_iter()
                .map(|r| {
                    r.ok().map(|r| {
                        let g = r.backward.unwrap().grad;
                        g.a.iter()
                            .chain(&g.b)
                            .chain(&g.c)
                            .map(|v| v.to_bits())
                            .collect::<Vec<u64>>()
                    })
                })
                .collect::<Vec<_>>()
        };
        let one = run(&items, 0, 1);
        assert!(one[2].is_none(), "{method:?}: a NaN cost must fail");
        assert_eq!(one.iter().filter(|g| g.is_some()).count(), 6);
        assert!(
            one.iter().flatten().all(|g| g.iter().any(|&v| v != 0)),
            "every gradient should be nonzero"
        );
        assert_eq!(run(&items, 0, 2), one, "{method:?}");
        for k in 0..items.len() {
            assert_eq!(
                run(&items[k..=k], k, 1)[0],
                one[k],
                "{method:?} instance {k}"
            );
        }
    }
}

/// Forward solves start where each instance says: on operator splitting
/// (lockstep, and the instance-by-instance path with refinement), an
/// instance started at its solution for slightly different data takes far
/// fewer iterations than from a cold start and reaches the same solution;
/// on the interior point, whose layer clones are reused from instance to
/// instance, `Start::Previous` is a cold start (never the previous
/// instance's point), bit for bit.
#[test]
fn forward_solves_start_from_each_instances_point() {
    let (base, data) = family(8);
    let mut rng = Rng(41);
    let moved: Vec<CostRhs> = data
        .iter()
        .map(|(c, b)| {
            (
                c.iter().map(|v| v + 1e-3 * rng.normal()).collect(),
                b.clone(),
            )
        })
        .collect();
    let loss = LossGrad::on_x(vec![1.0; base.n()]);
    for refinement in [0, 1] {
        let mut batch = DiffBatch::new(base.clone(), admm_settings(1e-8)).unwrap();
        batch.set_refinement(refinement);
        let first: Vec<_> = batch
            .forward(&instances(&data, &loss))
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        let cold = batch.forward_backward(&instances(&moved, &loss), average_mode());
        let warm_items: Vec<BatchInstance> = instances(&moved, &loss)
            .into_iter()
            .zip(&first)
            .map(|(it, s)| BatchInstance {
                start: Start::Point {
                    x: &s.x,
                    y: &s.y,
                    s: &s.s,
                },
                ..it
            })
            .collect();
        let warm = batch.forward_backward(&warm_items, average_mode());
        let iterations = |out: &[Result<lpgd_diff::batch::InstanceResult, DiffError>]| -> u32 {
            out.iter()
                .map(|r| r.as_ref().unwrap().solution.iterations)
                .sum()
        };
        let (ic, iw) = (iterations(&cold), iterations(&warm));
        assert!(
            2 * iw < ic,
            "refinement {refinement}: warm {iw} vs cold {ic} iterations"
        );
        for (c, w) in cold.iter().zip(&warm) {
            let (c, w) = (&c.as_ref().unwrap().solution, &w.as_ref().unwrap().solution);
            assert!(w.status.is_solved());
            let gap =
                c.x.iter()
                    .zip(&w.x)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
            assert!(
                gap < 1e-5,
                "refinement {refinement}: solutions differ by {gap}"
            );
        }
    }
    let batch = DiffBatch::new(base.clone(), Settings::default()).unwrap();
    let bits = |start: Start<'static>| {
        let items: Vec<BatchInstance> = instances(&moved, &loss)
            .into_iter()
            .map(|it| BatchInstance { start, ..it })
            .collect();
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| batch.forward_backward(&items, average_mode()))
            .into_iter()
            .map(|r| {
                let r = r.unwrap();
                let g = r.backward.unwrap().grad;
                r.solution
                    .x
                    .iter()
                    .chain(&g.c)
                    .map(|v| v.to_bits())
                    .collect::<Vec<u64>>()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(Start::Previous), bits(Start::Cold));
}
