//! Helpers shared by the integration tests: a small deterministic random
//! generator, dense-to-CSC conversion and planted-KKT problem generation.
#![allow(dead_code, clippy::needless_range_loop)]

use lpgd_solver::{CscMatrix, ProblemData, SupportedCone};

/// Converts a dense row-major matrix (zeros dropped) to CSC.
pub fn dense_to_csc(rows: usize, cols: usize, d: &[Vec<f64>]) -> CscMatrix {
    let (mut r, mut c, mut v) = (vec![], vec![], vec![]);
    for (i, row) in d.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            if x != 0.0 {
                r.push(i);
                c.push(j);
                v.push(x);
            }
        }
    }
    CscMatrix::from_triplets(rows, cols, &r, &c, &v).unwrap()
}

/// A planted problem: data derived from a chosen primal-dual solution.
#[derive(Debug, Clone)]
pub struct Planted {
    pub prob: ProblemData,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub s: Vec<f64>,
    pub objective: f64,
    pub strictly_convex: bool,
}

/// A problem whose data `(P, c, A, b)` are built around a random primal-dual
/// solution `(x, y, s)` (complementary on each cone), so its optimum is known.
pub fn plant(seed: u64, n: usize, cones: &[SupportedCone], quadratic: bool) -> Planted {
    let mut rng = Lcg(seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407));
    let m: usize = cones.iter().map(|c| c.dim()).sum();
    // A: dense-ish random with ~50% density.
    let mut ad = vec![vec![0.0; n]; m];
    for row in ad.iter_mut() {
        for v in row.iter_mut() {
            if rng.uniform() < 0.5 {
                *v = rng.normal();
            }
        }
    }
    let a = dense_to_csc(m, n, &ad);
    // P = BᵀB (+ I when strictly convex).
    let mut pd = vec![vec![0.0; n]; n];
    if quadratic {
        let k = n;
        let bm: Vec<Vec<f64>> = (0..k)
            .map(|_| (0..n).map(|_| rng.normal()).collect())
            .collect();
        for i in 0..n {
            for j in i..n {
                pd[i][j] = (0..k).map(|r| bm[r][i] * bm[r][j]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
    }
    let p = dense_to_csc(n, n, &pd);
    let x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut s = vec![0.0; m];
    let mut y = vec![0.0; m];
    let mut start = 0;
    for cone in cones {
        let d = cone.dim();
        match cone {
            SupportedCone::Zero(_) => {
                for i in start..start + d {
                    y[i] = rng.normal();
                }
            }
            SupportedCone::Nonnegative(_) => {
                for i in start..start + d {
                    if rng.uniform() < 0.5 {
                        s[i] = rng.uniform() + 0.1;
                    } else {
                        y[i] = rng.uniform() + 0.1;
                    }
                }
            }
            SupportedCone::SecondOrder(_) => {
                let u: Vec<f64> = (0..d - 1).map(|_| rng.normal()).collect();
                let nu = u.iter().map(|v| v * v).sum::<f64>().sqrt();
                match (rng.uniform() * 3.0) as u32 {
                    0 => {
                        // s interior, y = 0
                        s[start] = nu + 1.0;
                        s[start + 1..start + d].copy_from_slice(&u);
                    }
                    1 => {
                        y[start] = nu + 1.0;
                        y[start + 1..start + d].copy_from_slice(&u);
                    }
                    _ => {
                        let (ka, kb) = (rng.uniform() + 0.5, rng.uniform() + 0.5);
                        s[start] = ka * nu;
                        y[start] = kb * nu;
                        for i in 0..d - 1 {
                            s[start + 1 + i] = ka * u[i];
                            y[start + 1 + i] = -kb * u[i];
                        }
                    }
                }
            }
            SupportedCone::Exponential => {
                // Boundary point (ρt, t, t·e^ρ) and its complementary dual
                // k·(−e^ρ, −e^ρ(1−ρ), 1), or one of them interior.
                let (rho, t, k) = (rng.normal(), rng.uniform() + 0.2, rng.uniform() + 0.2);
                let er = rho.exp();
                match (rng.uniform() * 3.0) as u32 {
                    0 => s[start..start + 3].copy_from_slice(&[rho * t, t, t * er + k]),
                    1 => y[start..start + 3].copy_from_slice(&[
                        -k * er,
                        -k * er * (1.0 - rho),
                        k + t,
                    ]),
                    _ => {
                        s[start..start + 3].copy_from_slice(&[rho * t, t, t * er]);
                        y[start..start + 3].copy_from_slice(&[-k * er, -k * er * (1.0 - rho), k]);
                    }
                }
            }
            SupportedCone::Power(alpha) => {
                // Boundary point with x^α y^(1−α) = |z| and its complementary
                // dual k·(α|z|/x, (1−α)|z|/y, −sign z), or one of them interior.
                let (px, py, k) = (
                    rng.uniform() + 0.2,
                    rng.uniform() + 0.2,
                    rng.uniform() + 0.2,
                );
                let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                let pz = px.powf(*alpha) * py.powf(1.0 - alpha);
                let dual = [k * alpha * pz / px, k * (1.0 - alpha) * pz / py, -sign * k];
                match (rng.uniform() * 3.0) as u32 {
                    0 => s[start..start + 3].copy_from_slice(&[px, py, 0.5 * sign * pz]),
                    1 => y[start..start + 3].copy_from_slice(&[dual[0], dual[1], 0.5 * dual[2]]),
                    _ => {
                        s[start..start + 3].copy_from_slice(&[px, py, sign * pz]);
                        y[start..start + 3].copy_from_slice(&dual);
                    }
                }
            }
            _ => unreachable!(),
        }
        start += d;
    }
    let mut b = vec![0.0; m];
    a.gemv(&mut b, &x, 1.0, 0.0);
    for i in 0..m {
        b[i] += s[i];
    }
    let mut c = vec![0.0; n];
    p.symv_upper(&mut c, &x, -1.0, 0.0);
    a.gemv_t(&mut c, &y, -1.0, 1.0);
    let prob = ProblemData::new(Some(p), c, a, b, cones.to_vec()).unwrap();
    let objective = prob.objective(&x);
    Planted {
        prob,
        x,
        y,
        s,
        objective,
        strictly_convex: quadratic,
    }
}

/// Small deterministic generator (tests must not depend on a rand crate).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    pub fn uniform(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}
