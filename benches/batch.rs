//! Criterion benchmark of batched solves: 64 random LPs and QPs
//! (n = 50, m = 25 inequality rows plus box bounds) sharing `A` and `P`,
//! solved as one parallel batch and one by one, with both methods, and
//! Clarabel one by one for comparison. Run with `cargo bench --bench batch`;
//! `lpgd bench batch` prints the same comparison as problems per second.

use std::hint::black_box;
use std::time::Duration;

use clarabel::solver::IPSolver;
use criterion::{criterion_group, criterion_main, Criterion};
use lpgd::batch_bench::{random_family, Kind};
use lpgd::bench::{clarabel_settings, to_clarabel};
use lpgd::solver::batch::{BatchItem, BatchSolver};
use lpgd::{Method, Settings, Solver};
use lpgd_solver::Start;

fn batch(c: &mut Criterion) {
    for kind in [Kind::Lp, Kind::Qp] {
        let (base, data) = random_family(kind, 50, 25, 64, 1);
        let items: Vec<BatchItem> = data
            .iter()
            .map(|(c, b)| BatchItem {
                c,
                b,
                start: Start::Cold,
            })
            .collect();
        let mut group = c.benchmark_group(format!("batch64_{kind:?}"));
        for (name, method) in [("ipm", Method::InteriorPoint), ("admm", Method::Admm)] {
            let settings = Settings {
                method,
                ..Settings::default()
            };
            group.bench_function(format!("{name}_batch"), |bch| {
                bch.iter(|| {
                    let solver =
                        BatchSolver::new(base.clone(), settings.clone()).expect("valid problem");
                    black_box(solver.solve(&items).len())
                })
            });
            group.bench_function(format!("{name}_one_by_one"), |bch| {
                bch.iter(|| {
                    for (c, b) in &data {
                        let mut prob = base.clone();
                        prob.c.clone_from(c);
                        prob.b.clone_from(b);
                        let mut solver =
                            Solver::new(prob, settings.clone()).expect("valid problem");
                        black_box(solver.solve().objective);
                    }
                })
            });
        }
        group.bench_function("clarabel_one_by_one", |bch| {
            bch.iter(|| {
                for (c, b) in &data {
                    let mut prob = base.clone();
                    prob.c.clone_from(c);
                    prob.b.clone_from(b);
                    let cp = to_clarabel(&prob).expect("supported cones");
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
                    black_box(solver.solution.obj_val);
                }
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(5));
    targets = batch
}
criterion_main!(benches);
