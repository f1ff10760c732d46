//! Small conic problems decoded from fuzzer bytes, shared by the `solver`
//! and `diff` targets: up to 6 variables, up to 4 cones of every type,
//! sparse patterns, values from a table of hostile magnitudes (0, ±1,
//! ±1e±300, …) or raw bit patterns (NaN/Inf included).

use lpgd_solver::{
    AdmmSettings, CscMatrix, MatrixName, Method, ProblemData, Settings, SupportedCone,
};

pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    pub fn value(&mut self) -> f64 {
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

/// A problem from the next bytes, or `None` where its data fail
/// validation (which must be a typed error, not a panic).
pub fn decode(bytes: &mut Bytes<'_>) -> Option<ProblemData> {
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
        return None;
    };
    let p = if quadratic {
        match CscMatrix::from_triplets_named(n, n, &pr, &pc, &pv, MatrixName::P) {
            Ok(p) => Some(p),
            Err(_) => return None,
        }
    } else {
        None
    };
    ProblemData::new(p, c, a, b, cones).ok()
}

/// Small limits for fuzzing (40 interior-point iterations, 400 ADMM
/// iterations, 0.5 s) with the given method and ADMM polishing.
pub fn settings(method: Method, polish: bool) -> Settings {
    Settings {
        method,
        max_iter: 40,
        time_limit: 0.5,
        admm: AdmmSettings {
            max_iter: 400,
            polish,
            ..AdmmSettings::default()
        },
        ..Settings::default()
    }
}
