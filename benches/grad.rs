//! Criterion benchmark of differentiation: 64 random LPs and QPs (n = 50,
//! m = 25 inequality rows plus box bounds) sharing `A` and `P`, forward
//! solve plus backward pass (LPGD average and lower, implicit) as one
//! parallel batch, for both methods; and one problem's forward solve and
//! backward passes on their own. `lpgd bench grad` prints the same
//! comparison as a table with backward/forward ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lpgd::batch_bench::{random_family, Kind};
use lpgd::diff::batch::{BatchInstance, DiffBatch};
use lpgd::diff::DiffSolver;
use lpgd::grad_bench::{losses, mode, MODES};
use lpgd::{Method, Settings, Start};

fn grad(c: &mut Criterion) {
    for kind in [Kind::Lp, Kind::Qp] {
        let (base, data) = random_family(kind, 50, 25, 64, 1);
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
        let mut group = c.benchmark_group(format!("grad64_{kind:?}"));
        for (name, method) in [("ipm", Method::InteriorPoint), ("admm", Method::Admm)] {
            let settings = Settings {
                method,
                ..Settings::default()
            };
            group.bench_function(format!("{name}_forward"), |bch| {
                bch.iter(|| {
                    let batch = DiffBatch::new(base.clone(), settings.clone()).expect("valid");
                    black_box(batch.forward(&items).len())
                })
            });
            for m in MODES {
                group.bench_function(format!("{name}_forward_{m}"), |bch| {
                    bch.iter(|| {
                        let batch = DiffBatch::new(base.clone(), settings.clone()).expect("valid");
                        black_box(batch.forward_backward(&items, mode(m, 1e-3)).len())
                    })
                });
            }
            // One problem: forward solve, then each backward pass alone.
            let mut layer = DiffSolver::new(base.clone(), settings.clone()).expect("valid");
            layer.update_c(&data[0].0).expect("valid");
            layer.update_b(&data[0].1).expect("valid");
            group.bench_function(format!("{name}_single_forward"), |bch| {
                bch.iter(|| black_box(layer.clone().solve().map(|s| s.objective).ok()))
            });
            layer.solve().expect("solved");
            for m in MODES {
                group.bench_function(format!("{name}_single_backward_{m}"), |bch| {
                    bch.iter(|| black_box(layer.backward(mode(m, 1e-3), &losses[0]).is_ok()))
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3));
    targets = grad
}
criterion_main!(benches);
