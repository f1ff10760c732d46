//! Smoke tests of the experiments on tiny configurations, asserting the
//! properties the paper's figures rest on.

use lpgd::experiments::envelope::{self, EnvelopeConfig};
use lpgd::experiments::shortest_path::{self, ShortestPathConfig, SpMethod};
use lpgd::experiments::ExperimentError;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lpgd-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn envelopes_bracket_the_loss_and_tighten_with_augmentation() {
    let cfg = EnvelopeConfig {
        n: 6,
        taus: vec![0.5, 2.0],
        rhos: vec![0.0, 5.0],
        points: 41,
        seed: 3,
        out: scratch("envelope"),
        ..EnvelopeConfig::default()
    };
    let out = envelope::run(&cfg).unwrap();
    let c = &out.curves;
    assert_eq!(c.t.len(), 41);
    assert_eq!(c.envelopes.len(), 4);
    // lower ≤ ℓ(x*) ≤ upper pointwise (x* is feasible in both proximal
    // problems), up to the solver's tolerance.
    for (_, _, vals) in &c.envelopes {
        for (v, l) in vals.iter().zip(&c.loss) {
            assert!(v.lower <= l + 1e-6 && *l <= v.upper + 1e-6, "{v:?} vs {l}");
            assert!((v.average - 0.5 * (v.lower + v.upper)).abs() < 1e-12);
        }
    }
    // The envelopes are not trivial: the lower one is strictly below the
    // loss somewhere, and a larger τ lowers it (the divergence weighs less).
    let gap = |tau: f64, rho: f64| -> f64 {
        let (_, _, vals) = c
            .envelopes
            .iter()
            .find(|(t, r, _)| *t == tau && *r == rho)
            .unwrap();
        vals.iter().zip(&c.loss).map(|(v, l)| l - v.lower).sum()
    };
    assert!(gap(0.5, 0.0) > 1e-3);
    assert!(gap(2.0, 0.0) > gap(0.5, 0.0));
    // The augmentation ρ‖x − x*‖²/2 keeps the proximal point closer to x*.
    assert!(gap(2.0, 5.0) < gap(2.0, 0.0));
    for f in &out.files {
        assert!(std::fs::metadata(f).unwrap().len() > 0, "{}", f.display());
    }
    let csv = std::fs::read_to_string(&out.files[0]).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4 * 41);
    // Deterministic from the seed.
    let again = envelope::compute(&cfg).unwrap();
    assert_eq!(again.loss, c.loss);
    std::fs::remove_dir_all(&cfg.out).unwrap();
}

#[test]
fn envelope_rejects_bad_settings() {
    let cfg = EnvelopeConfig {
        taus: vec![0.0],
        ..EnvelopeConfig::default()
    };
    assert!(matches!(
        envelope::compute(&cfg),
        Err(ExperimentError::InvalidConfig { name: "tau", .. })
    ));
}

#[test]
fn shortest_path_training_reduces_regret() {
    let cfg = ShortestPathConfig {
        grid: 4,
        degrees: vec![4],
        train: 200,
        test: 200,
        epochs: 4,
        seed: 5,
        out: scratch("shortest-path"),
        ..ShortestPathConfig::default()
    };
    let out = shortest_path::run(&cfg).unwrap();
    assert_eq!(out.runs.len(), SpMethod::ALL.len());
    for r in &out.runs {
        assert_eq!(r.regret.len(), cfg.epochs + 1);
        let (first, last) = (r.regret[0], *r.regret.last().unwrap());
        assert!(r.regret.iter().all(|g| (0.0..10.0).contains(g)), "{r:?}");
        if r.method != SpMethod::LpgdLower {
            // From a random initialization every consistent method improves.
            assert!(last < 0.7 * first, "{:?}: {first} → {last}", r.method);
        } else {
            assert!(last < first, "{:?}: {first} → {last}", r.method);
        }
    }
    assert!(out.table.contains("| 4 |"));
    assert_eq!(out.files.len(), 5);
    // Same seed, same numbers.
    let again = shortest_path::run(&cfg).unwrap();
    for (a, b) in out.runs.iter().zip(&again.runs) {
        assert_eq!(a.regret, b.regret);
    }
    std::fs::remove_dir_all(&cfg.out).unwrap();
}

#[test]
fn sudoku_training_lowers_the_loss() {
    use lpgd::experiments::sudoku::{self, SudokuConfig, SudokuMethod};
    let cfg = SudokuConfig {
        train: 64,
        test: 16,
        epochs: 3,
        batch: 16,
        methods: vec![SudokuMethod::LpgdAverage, SudokuMethod::Gd],
        seed: 4,
        out: scratch("sudoku"),
        progress: false,
        ..SudokuConfig::quick()
    };
    let out = sudoku::run(&cfg).unwrap();
    assert_eq!(out.runs.len(), 2);
    for r in &out.runs {
        assert_eq!(r.epochs.len(), cfg.epochs + 1);
        let (first, last) = (r.epochs[0].train.mse, r.epochs[cfg.epochs].train.mse);
        assert!(last < first, "{:?}: train MSE {first} → {last}", r.method);
        assert!(r
            .epochs
            .iter()
            .all(|e| e.train.failed == 0 && e.test.failed == 0));
        assert!(r.epochs[cfg.epochs].backward_s > 0.0);
        let e = &r.epochs[1];
        assert!(e.forward_iterations > 1.0);
        assert_eq!(
            e.perturbed_iterations > 1.0,
            r.method == SudokuMethod::LpgdAverage,
            "{:?}: {} perturbed iterations",
            r.method,
            e.perturbed_iterations
        );
    }
    assert!(out.table.contains("| lpgd-average |"));
    // Written after every epoch: one row per method, epoch and set.
    let csv = std::fs::read_to_string(cfg.out.join("curves.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * (cfg.epochs + 1) * 2);
    assert!(
        csv.starts_with("method,")
            && csv
                .lines()
                .next()
                .unwrap()
                .ends_with(",perturbed_iterations,ipm_forward_share,ipm_forward_iterations")
    );
    for f in &out.files {
        assert!(std::fs::metadata(f).unwrap().len() > 0, "{}", f.display());
    }
    // Same seed, same numbers (timings aside).
    let again = sudoku::run(&cfg).unwrap();
    for (a, b) in out.runs.iter().zip(&again.runs) {
        for (x, y) in a.epochs.iter().zip(&b.epochs) {
            assert_eq!((x.train, x.test), (y.train, y.test));
        }
    }
    std::fs::remove_dir_all(&cfg.out).unwrap();
}

/// Warm starts from the previous epoch's solutions: the first epoch (no
/// previous solutions) is the cold run's bit for bit; from the second on,
/// the forward solves (training and test) start elsewhere and end at other
/// points of these LPs' optimal faces, close in MSE.
#[test]
fn sudoku_warm_starts_change_later_epochs_only() {
    use lpgd::experiments::sudoku::{self, SudokuConfig, SudokuMethod};
    let warm_cfg = SudokuConfig {
        methods: vec![SudokuMethod::LpgdAverage, SudokuMethod::Gd],
        warm_start: true,
        ..small_admm_config(7, "sudoku-warm")
    };
    let cold_cfg = SudokuConfig {
        warm_start: false,
        out: scratch("sudoku-cold"),
        ..warm_cfg.clone()
    };
    let warm = sudoku::run(&warm_cfg).unwrap();
    let cold = sudoku::run(&cold_cfg).unwrap();
    for (w, c) in warm.runs.iter().zip(&cold.runs) {
        let (w1, c1) = (&w.epochs[1], &c.epochs[1]);
        assert_eq!((w1.train, w1.test), (c1.train, c1.test), "{:?}", w.method);
        assert_eq!(w1.forward_iterations, c1.forward_iterations);
        let (w2, c2) = (&w.epochs[2], &c.epochs[2]);
        assert_ne!(w2.train, c2.train);
        assert_ne!(w2.test, c2.test);
        assert!((w2.train.mse - c2.train.mse).abs() < 1e-2);
        assert!(w
            .epochs
            .iter()
            .all(|e| e.train.failed == 0 && e.test.failed == 0 && e.backward_failures == 0));
    }
    std::fs::remove_dir_all(&warm_cfg.out).unwrap();
    std::fs::remove_dir_all(&cold_cfg.out).unwrap();
}

/// A small 4 × 4 LPGD-average run on the operator-splitting solver.
fn small_admm_config(seed: u64, name: &str) -> lpgd::experiments::sudoku::SudokuConfig {
    use lpgd::experiments::sudoku::{SudokuConfig, SudokuMethod};
    SudokuConfig {
        train: 48,
        test: 8,
        epochs: 2,
        batch: 16,
        methods: vec![SudokuMethod::LpgdAverage],
        solver: lpgd::Method::Admm,
        seed,
        out: scratch(name),
        progress: false,
        ..SudokuConfig::quick()
    }
}

/// The layer on the operator-splitting solver: every solve succeeds and
/// LPGD-average lowers the training loss.
#[test]
fn sudoku_trains_on_the_operator_splitting_solver() {
    use lpgd::experiments::sudoku::{self, SudokuConfig, SudokuMethod};
    let cfg = small_admm_config(5, "sudoku-admm");
    let out = sudoku::run(&cfg).unwrap();
    let r = &out.runs[0];
    let (first, last) = (r.epochs[0].train.mse, r.epochs[cfg.epochs].train.mse);
    assert!(last < first, "train MSE {first} → {last}");
    assert!(r
        .epochs
        .iter()
        .all(|e| e.train.failed == 0 && e.test.failed == 0 && e.backward_failures == 0));
    let table = std::fs::read_to_string(cfg.out.join("table.md")).unwrap();
    assert!(table.contains("operator splitting"), "{table}");
    // `train` hands every finished epoch to its callback (which `run` uses
    // to rewrite the files), and stops on the callback's error.
    let puzzles = sudoku::generate_puzzles(cfg.n, cfg.train + cfg.test, cfg.seed);
    let sets = puzzles.split_at(cfg.train);
    let start = sudoku::initial_record(&cfg, sets).unwrap();
    let mut seen = Vec::new();
    let again = sudoku::train(
        &cfg,
        SudokuMethod::LpgdAverage,
        sets,
        start,
        None,
        &mut |run| {
            seen.push(run.epochs.clone());
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(seen.len(), cfg.epochs);
    assert_eq!(seen.last().unwrap(), &again.epochs);
    assert_eq!(seen[0][..], again.epochs[..2]);
    let mut calls = 0;
    let stopped = sudoku::train(
        &cfg,
        SudokuMethod::LpgdAverage,
        sets,
        start,
        None,
        &mut |_| {
            calls += 1;
            Err(lpgd::experiments::ExperimentError::InvalidConfig {
                name: "stop",
                value: "1".into(),
                reason: "the test stops after one epoch",
            })
        },
    );
    assert!(stopped.is_err() && calls == 1);
    assert!(r.epochs.iter().all(|e| e.ipm_forward_share == 0.0));
    // From threshold 0 every minibatch after the first takes its forward
    // solves from the interior point, and training still lowers the loss.
    let switched = SudokuConfig {
        ipm_forward_above: Some(0.0),
        methods: vec![SudokuMethod::LpgdAverage, SudokuMethod::Gd],
        ..cfg.clone()
    };
    let out = sudoku::run(&switched).unwrap();
    for r in &out.runs {
        let (first, last) = (r.epochs[0].train.mse, r.epochs[cfg.epochs].train.mse);
        assert!(last < first, "{:?}: train MSE {first} → {last}", r.method);
        let (e1, e2) = (&r.epochs[1], &r.epochs[2]);
        assert!((e1.ipm_forward_share - 2.0 / 3.0).abs() < 1e-12, "{e1:?}");
        assert_eq!(e2.ipm_forward_share, 1.0);
        assert!(e1.forward_iterations > 1.0 && e1.ipm_forward_iterations > 1.0);
        assert!(r
            .epochs
            .iter()
            .all(|e| e.train.failed == 0 && e.test.failed == 0 && e.backward_failures == 0));
    }
    std::fs::remove_dir_all(&cfg.out).unwrap();
}

/// A looser tolerance for the forward solves: fewer iterations, training
/// still lowers the loss, and the evaluations solve to it too (other
/// epoch-0 metrics).
#[test]
fn sudoku_forward_tolerance_applies_to_training_and_evaluation() {
    use lpgd::experiments::sudoku::{self, SudokuConfig};
    use lpgd::experiments::ExperimentError;
    let tight = SudokuConfig {
        train_eps: None,
        ..small_admm_config(6, "sudoku-train-eps")
    };
    let loose = SudokuConfig {
        train_eps: Some(1e-2),
        ..tight.clone()
    };
    let a = &sudoku::run(&tight).unwrap().runs[0];
    let b = &sudoku::run(&loose).unwrap().runs[0];
    assert_ne!(a.epochs[0].train, b.epochs[0].train);
    assert_ne!(a.epochs[0].test, b.epochs[0].test);
    let iterations = |r: &sudoku::SudokuRun| {
        r.epochs[1..]
            .iter()
            .map(|e| e.forward_iterations)
            .sum::<f64>()
    };
    assert!(
        iterations(b) < 0.8 * iterations(a),
        "{} against {}",
        iterations(b),
        iterations(a)
    );
    let (first, last) = (b.epochs[0].train.mse, b.epochs[2].train.mse);
    assert!(last < first, "train MSE {first} → {last}");
    assert!(b
        .epochs
        .iter()
        .all(|e| e.train.failed == 0 && e.test.failed == 0 && e.backward_failures == 0));
    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let bad = SudokuConfig {
            train_eps: Some(eps),
            ..loose.clone()
        };
        assert!(matches!(
            sudoku::run(&bad),
            Err(ExperimentError::InvalidConfig {
                name: "train-eps",
                ..
            })
        ));
    }
    std::fs::remove_dir_all(&tight.out).unwrap();
}

/// A looser tolerance for LPGD's perturbed solves: the same epoch-0
/// metrics (forward solves only), fewer perturbed iterations, training
/// still lowers the loss; bad values are rejected by name.
#[test]
fn sudoku_perturbed_tolerance_applies_to_the_backward_solves() {
    use lpgd::experiments::sudoku::{self, SudokuConfig};
    use lpgd::experiments::ExperimentError;
    let tight = SudokuConfig {
        perturbed_eps: 1e-4,
        ..small_admm_config(7, "sudoku-perturbed-eps")
    };
    let loose = SudokuConfig {
        perturbed_eps: 1e-2,
        ..tight.clone()
    };
    let a = &sudoku::run(&tight).unwrap().runs[0];
    let b = &sudoku::run(&loose).unwrap().runs[0];
    assert_eq!(a.epochs[0], b.epochs[0]);
    let perturbed = |r: &sudoku::SudokuRun| {
        r.epochs[1..]
            .iter()
            .map(|e| e.perturbed_iterations)
            .sum::<f64>()
    };
    assert!(
        perturbed(b) < 0.8 * perturbed(a),
        "{} against {}",
        perturbed(b),
        perturbed(a)
    );
    let (first, last) = (b.epochs[0].train.mse, b.epochs[2].train.mse);
    assert!(last < first, "train MSE {first} → {last}");
    assert!(b.epochs.iter().all(|e| e.backward_failures == 0));
    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let bad = SudokuConfig {
            perturbed_eps: eps,
            ..loose.clone()
        };
        assert!(matches!(
            sudoku::run(&bad),
            Err(ExperimentError::InvalidConfig {
                name: "perturbed-eps",
                ..
            })
        ));
    }
    std::fs::remove_dir_all(&tight.out).unwrap();
}

/// The forward-solver policy: the interior point after a minibatch above
/// the threshold, operator splitting again every tenth minibatch.
#[test]
fn sudoku_forward_policy_switches_on_iteration_counts() {
    use lpgd::experiments::sudoku::{
        ForwardPolicy, SudokuConfig, FORWARD_PROBE_EVERY, FORWARD_PROBE_MAX,
    };
    use lpgd::Method;
    let cfg = SudokuConfig::paper();
    let mut policy = ForwardPolicy::new(&cfg);
    assert_eq!(policy.next_method(), Method::Admm);
    policy.observe(cfg.ipm_forward_above.unwrap());
    assert_eq!(policy.next_method(), Method::Admm);
    policy.observe(cfg.ipm_forward_above.unwrap() + 1.0);
    assert_eq!(policy.current(), Method::InteriorPoint);
    for _ in 1..FORWARD_PROBE_EVERY {
        assert_eq!(policy.next_method(), Method::InteriorPoint);
    }
    assert_eq!(policy.next_method(), Method::Admm);
    // A probe still above: the next one comes after twice as many, up to
    // the longest interval.
    let mut every = FORWARD_PROBE_EVERY;
    for _ in 0..6 {
        policy.observe(1e4);
        every = (2 * every).min(FORWARD_PROBE_MAX);
        for _ in 1..every {
            assert_eq!(policy.next_method(), Method::InteriorPoint);
        }
        assert_eq!(policy.next_method(), Method::Admm);
    }
    assert_eq!(every, FORWARD_PROBE_MAX);
    policy.observe(10.0);
    assert_eq!(policy.next_method(), Method::Admm);
    assert_eq!(policy.current(), Method::Admm);
    // Switched again: probes from the first interval.
    policy.observe(1e4);
    for _ in 1..FORWARD_PROBE_EVERY {
        assert_eq!(policy.next_method(), Method::InteriorPoint);
    }
    assert_eq!(policy.next_method(), Method::Admm);
    // Never on an interior-point layer or without a threshold.
    for cfg in [
        SudokuConfig::quick(),
        SudokuConfig {
            ipm_forward_above: None,
            ..SudokuConfig::paper()
        },
    ] {
        let mut policy = ForwardPolicy::new(&cfg);
        policy.observe(1e9);
        assert_eq!(policy.next_method(), cfg.solver);
    }
}
