//! The differentiation layer on arbitrary small problems (`problem.rs`):
//! a forward solve by either method with small limits, then backward passes
//! in every mode (implicit with and without augmentation, LPGD lower, upper
//! and average with τ and ρ from the input, Lagrangian mirror descent) for
//! a loss gradient from the input (hostile values included), and a forward
//! (JVP) pass. Nothing may panic, and a gradient or tangent that is
//! returned must be finite: failures are typed errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lpgd_diff::{DiffSolver, Envelope, ImplicitSettings, LossGrad, LpgdSettings, Mode, ParamGrad};
use lpgd_solver::Method;

mod problem;
use problem::Bytes;

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let Some(prob) = problem::decode(&mut bytes) else {
        return;
    };
    let method = if bytes.byte() & 1 == 1 {
        Method::Admm
    } else {
        Method::InteriorPoint
    };
    let settings = problem::settings(method, false);
    let Ok(mut layer) = DiffSolver::new(prob.clone(), settings) else {
        return;
    };
    if layer.solve().is_err() {
        return;
    }
    let (n, m) = (prob.n(), prob.m());
    let loss = LossGrad {
        dx: Some((0..n).map(|_| bytes.value()).collect()),
        dy: (bytes.byte() & 1 == 1).then(|| (0..m).map(|_| bytes.value()).collect()),
        ds: (bytes.byte() & 1 == 1).then(|| (0..m).map(|_| bytes.value()).collect()),
    };
    let tau = bytes.value().abs();
    let rho = bytes.value().abs();
    let lpgd = |envelope| LpgdSettings {
        tau,
        rho,
        envelope,
        ..LpgdSettings::default()
    };
    let modes = [
        Mode::Implicit(ImplicitSettings::default()),
        Mode::Implicit(ImplicitSettings {
            rho: 0.5,
            ..ImplicitSettings::default()
        }),
        Mode::Lpgd(lpgd(Envelope::Lower)),
        Mode::Lpgd(lpgd(Envelope::Upper)),
        Mode::Lpgd(lpgd(Envelope::Average)),
        Mode::Lmd(lpgd(Envelope::Lower)),
    ];
    for mode in modes {
        if let Ok(b) = layer.backward(mode, &loss) {
            assert!(
                finite(&b.grad),
                "{mode:?}: non-finite gradient {:?}",
                b.grad
            );
        }
    }
    let dir = ParamGrad {
        p: (0..prob.p.nnz()).map(|_| bytes.value()).collect(),
        c: (0..n).map(|_| bytes.value()).collect(),
        a: (0..prob.a.nnz()).map(|_| bytes.value()).collect(),
        b: (0..m).map(|_| bytes.value()).collect(),
    };
    for mode in [modes[0], modes[4]] {
        if let Ok(f) = layer.jvp(mode, &dir) {
            let t = &f.tangent;
            assert!(
                t.dx.iter().chain(&t.dy).chain(&t.ds).all(|v| v.is_finite()),
                "{mode:?}: non-finite tangent {t:?}"
            );
        }
    }
});

fn finite(g: &ParamGrad) -> bool {
    g.p.iter()
        .chain(&g.c)
        .chain(&g.a)
        .chain(&g.b)
        .all(|v| v.is_finite())
}
