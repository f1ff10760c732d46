//! The solver entry point on arbitrary small problem data built from bytes:
//! every cone type, sparse patterns, values from a table of hostile
//! magnitudes (0, ±1, ±1e±300, …) or raw bit patterns (NaN/Inf included).
//! Inputs that fail validation are skipped after checking that the error is
//! a typed one; valid problems are solved with small limits by both methods
//! (interior point and ADMM), then re-solved after a data update (cold and
//! warm-started), and solved as a batch of three problems with their own
//! `c` and `b` (the lockstep path of the ADMM batch). Nothing may panic, a
//! returned certificate must be finite, and a batch returns one result per
//! problem.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lpgd_solver::batch::{BatchItem, BatchSolver};
use lpgd_solver::{
    AdmmSettings, CscMatrix, MatrixName, Method, ProblemData, Settings, Solver, Start,
    SupportedCone,
};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn value(&mut self) -> f64 {
        const TABLE: [f64; 16] = [
            0.0, 1.0, -1.0, 2.0, -0.5, 1e300, -1e300, 1e-300, -1e-300, 1e8, -1e-8, 3.0, 0.1, -7.0,
            1e-12, 4.0,
        ];
        let b = self.byte();
        if b < 0xF0 {
            // Mostly moderate values: small integers and halves.
            f64::from(i32::from(b % 17) - 8) * if b & 0x80 != 0 { 0.5 } else { 1.0 }
        } else if b < 0xFF {
            TABLE[usize::from(b & 0x0F)]
        } else {
            let mut raw = [0u8; 8];
            for r in raw.iter_mut() {
                *r = self.byte();
            }
            f64::from_le_bytes(raw)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let n = usize::from(bytes.byte() % 7);
    let ncones = usize::from(bytes.byte() % 5);
    let mut cones = Vec::new();
    for _ in 0..ncones {
        let kind = bytes.byte();
        let d = usize::from(kind >> 4) % 5;
        cones.push(match kind % 6 {
            0 => SupportedCone::Zero(d),
            1 => SupportedCone::Nonnegative(d),
            2 => SupportedCone::SecondOrder(d),
            3 => SupportedCone::Exponential,
            4 => SupportedCone::Power(f64::from(bytes.byte()) / 255.0),
            _ => SupportedCone::PositiveSemidefinite(d % 4),
        });
    }
    let m: usize = cones.iter().map(|c| c.dim()).sum();
    let (mut ar, mut ac, mut av) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..m {
        for j in 0..n {
            if bytes.byte() & 1 == 1 {
                ar.push(i);
                ac.push(j);
                av.push(bytes.value());
            }
        }
    }
    let (mut pr, mut pc, mut pv) = (Vec::new(), Vec::new(), Vec::new());
    let quadratic = bytes.byte() & 1 == 1;
    if quadratic {
        for j in 0..n {
            for i in 0..=j {
                if bytes.byte() & 3 == 0 {
                    pr.push(i);
                    pc.push(j);
                    pv.push(bytes.value());
                }
            }
        }
    }
    let c: Vec<f64> = (0..n).map(|_| bytes.value()).collect();
    let b: Vec<f64> = (0..m).map(|_| bytes.value()).collect();
    let Ok(a) = CscMatrix::from_triplets(m, n, &ar, &ac, &av) else {
        return;
    };
    let p = if quadratic {
        match CscMatrix::from_triplets_named(n, n, &pr, &pc, &pv, MatrixName::P) {
            Ok(p) => Some(p),
            Err(_) => return,
        }
    } else {
        None
    };
    let Ok(prob) = ProblemData::new(p, c.clone(), a, b, cones) else {
        return;
    };
    // Both methods on the same data; the first byte left picks polishing.
    let polish = bytes.byte() & 1 == 1;
    for method in [Method::InteriorPoint, Method::Admm] {
        run(prob.clone(), method, polish, &c);
    }
});

fn run(prob: ProblemData, method: Method, polish: bool, c: &[f64]) {
    let settings = Settings {
        method,
        max_iter: 40,
        time_limit: 0.5,
        admm: AdmmSettings {
            max_iter: 400,
            polish,
            ..AdmmSettings::default()
        },
        ..Settings::default()
    };
    let Ok(mut solver) = Solver::new(prob.clone(), settings.clone()) else {
        return;
    };
    let sol = solver.solve();
    if let Some(cert) = &sol.certificate {
        match cert {
            lpgd_solver::Certificate::PrimalInfeasible { y } => {
                assert!(y.iter().all(|v| v.is_finite()), "{sol:?}")
            }
            lpgd_solver::Certificate::DualInfeasible { x, s } => {
                assert!(x.iter().chain(s).all(|v| v.is_finite()), "{sol:?}")
            }
        }
    }
    // Re-solve after a data update (the differentiation path).
    let c2: Vec<f64> = c.iter().map(|v| v * 0.5 + 1.0).collect();
    if solver.update_c(&c2).is_ok() {
        let _ = solver.solve();
        let _ = solver.solve_from(Start::Previous);
    }
    // A batch: the original data, a shifted cost, and a scaled right-hand
    // side (which may be infeasible or non-finite: a per-problem result).
    let b2: Vec<f64> = prob.b.iter().map(|v| v * 2.0 - 1.0).collect();
    let Ok(batch) = BatchSolver::new(prob.clone(), settings) else {
        return;
    };
    let items = [
        BatchItem { c, b: &prob.b, start: Start::Cold },
        BatchItem { c: &c2, b: &prob.b, start: Start::Previous },
        BatchItem { c, b: &b2, start: Start::Cold },
    ];
    assert_eq!(batch.solve(&items).len(), items.len());
}
