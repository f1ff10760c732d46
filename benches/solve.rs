//! Criterion benchmarks: our solver and Clarabel side by side on a few
//! representative Maros-Meszaros problems.
//!
//! The data directory is `$LPGD_SHARED_DIR/data/maros_meszaros`, by default
//! `../shared` next to the workspace; problems that are absent are skipped
//! with a note. Run with `cargo bench --bench solve`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use lpgd::bench::{clarabel_settings, to_clarabel};
use lpgd::{Settings, Solver};

const PROBLEMS: [&str; 5] = ["QAFIRO", "HS118", "CVXQP1_S", "QSHARE1B", "DUAL1"];

fn maros_dir() -> PathBuf {
    let shared = std::env::var_os("LPGD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")));
    shared.join("data").join("maros_meszaros")
}

fn solve(c: &mut Criterion) {
    let dir = maros_dir();
    for name in PROBLEMS {
        let path = dir.join(format!("{name}.QPS"));
        if !path.exists() {
            eprintln!("note: {} not found, skipping {name}", path.display());
            continue;
        }
        let prob = match lpgd::solver::io::read_problem(&path) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("note: cannot read {name}: {e}; skipping");
                continue;
            }
        };
        let cp = match to_clarabel(&prob) {
            Ok(cp) => cp,
            Err(e) => {
                eprintln!("note: {name}: {e}; skipping");
                continue;
            }
        };
        let mut group = c.benchmark_group(name);
        group.bench_function("lpgd", |b| {
            b.iter_batched(
                || prob.clone(),
                |p| {
                    let mut solver = Solver::new(p, Settings::default()).expect("valid problem");
                    black_box(solver.solve().objective)
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function("clarabel", |b| {
            b.iter(|| {
                use clarabel::solver::IPSolver;
                let mut solver = clarabel::solver::DefaultSolver::new(
                    &cp.p,
                    &cp.q,
                    &cp.a,
                    &cp.b,
                    &cp.cones,
                    clarabel_settings(f64::INFINITY),
                )
                .expect("valid problem");
                solver.solve();
                black_box(solver.solution.obj_val)
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = solve
}
criterion_main!(benches);
