//! The gradient benchmark (`lpgd bench grad`): the random LP/QP families of
//! [`crate::batch_bench`] (64 problems, n = 50, m = 25 rows plus box
//! bounds), a random loss gradient on `x` per problem, and for each method
//! and derivative mode
//!
//! * the wall time of the parallel batch: forward only, and forward plus
//!   backward ([`lpgd_diff::batch::DiffBatch`], setup included), median
//!   over repetitions;
//! * one by one on the calling thread, the ratio of each problem's backward
//!   time to its forward time (median over the problems) — the issue's
//!   "implicit adjoint ≤ 0.25× forward" and "one-sided LPGD ≤ 0.5× forward".

use crate::batch_bench::{CostRhs, Kind, Rng};
use lpgd_diff::batch::{BatchInstance, DiffBatch};
use lpgd_diff::{DiffSolver, Envelope, Fallback, ImplicitSettings, LossGrad, LpgdSettings, Mode};
use lpgd_solver::{Method, ProblemData, Settings, Start};
use serde::Serialize;
use std::time::Instant;

/// Derivative modes measured.
pub const MODES: [&str; 3] = ["lpgd-average", "lpgd-lower", "implicit"];

/// The mode named `name` (one of [`MODES`]) with `τ`.
pub fn mode(name: &str, tau: f64) -> Mode {
    let lpgd = |envelope| {
        Mode::Lpgd(LpgdSettings {
            tau,
            rho: 0.0,
            envelope,
            fallback: Fallback::OneSided,
        })
    };
    match name {
        "lpgd-lower" => lpgd(Envelope::Lower),
        "lpgd-upper" => lpgd(Envelope::Upper),
        "implicit" => Mode::Implicit(ImplicitSettings::default()),
        _ => lpgd(Envelope::Average),
    }
}

/// One row of the benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct GradBenchRow {
    /// `"ipm"` or `"admm"`.
    pub method: String,
    /// LP or QP.
    pub kind: Kind,
    /// Derivative mode.
    pub mode: String,
    /// Problems in the batch.
    pub count: usize,
    /// Batch wall time of the forward solves (s).
    pub forward_s: f64,
    /// Batch wall time of forward and backward passes (s).
    pub total_s: f64,
    /// Median over problems of backward time / forward time, one by one.
    pub backward_ratio: f64,
    /// Instances with a gradient.
    pub ok: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A deterministic loss gradient on `x` per problem (standard normal).
pub fn losses(n: usize, count: usize, seed: u64) -> Vec<LossGrad> {
    let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
    (0..count)
        .map(|_| LossGrad::on_x((0..n).map(|_| rng.normal()).collect()))
        .collect()
}

/// Runs one method and mode on a family.
pub fn run(
    method: Method,
    mode_name: &str,
    tau: f64,
    base: &ProblemData,
    data: &[CostRhs],
    kind: Kind,
    reps: usize,
) -> GradBenchRow {
    let settings = Settings {
        method,
        ..Settings::default()
    };
    let losses = losses(base.n(), data.len(), 7);
    let items: Vec<BatchInstance> = data
        .iter()
        .zip(&losses)
        .map(|((c, b), l)| BatchInstance {
            c,
            b,
            loss: Some(l),
            start: Start::Cold,
        })
        .collect();
    let m = mode(mode_name, tau);
    let (mut fwd, mut tot) = (Vec::new(), Vec::new());
    let mut ok = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let batch = DiffBatch::new(base.clone(), settings.clone()).expect("valid problem");
        std::hint::black_box(batch.forward(&items).len());
        fwd.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let batch = DiffBatch::new(base.clone(), settings.clone()).expect("valid problem");
        let out = batch.forward_backward(&items, m);
        tot.push(t.elapsed().as_secs_f64());
        ok = out
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|r| r.backward.is_some()))
            .count();
    }
    let mut ratios = Vec::with_capacity(data.len());
    // One pass on the prototype first: its per-pattern setup (the
    // operator-splitting factorization, and the KKT analysis an implicit
    // backward pass needs under ADMM) is then shared by the clones, as the
    // forward factorization is, and not charged to the first instance.
    let mut proto = DiffSolver::new(base.clone(), settings).expect("valid problem");
    if proto.solve().is_ok() {
        let _ = proto.backward(m, &losses[0]);
    }
    for ((c, b), l) in data.iter().zip(&losses) {
        let mut layer = proto.clone();
        if layer.update_c(c).is_err() || layer.update_b(b).is_err() {
            continue;
        }
        let t = Instant::now();
        if layer.solve().is_err() {
            continue;
        }
        let tf = t.elapsed().as_secs_f64();
        let t = Instant::now();
        if layer.backward(m, l).is_ok() {
            ratios.push(t.elapsed().as_secs_f64() / tf);
        }
    }
    GradBenchRow {
        method: match method {
            Method::Admm => "admm".into(),
            _ => "ipm".into(),
        },
        kind,
        mode: mode_name.into(),
        count: data.len(),
        forward_s: median(fwd),
        total_s: median(tot),
        backward_ratio: median(ratios),
        ok,
    }
}
