//! Shared test helpers: a deterministic generator, random conic problems
//! with unique, strictly complementary solutions, and central finite
//! differences of a linear loss through the forward solver.
#![allow(dead_code, clippy::needless_range_loop)]

use lpgd_diff::{DiffSolver, LossGrad, ParamGrad};
use lpgd_solver::{CscMatrix, ProblemData, Settings, SupportedCone};
use std::sync::Arc;

/// SplitMix64.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    pub fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.normal()).collect()
    }
}

/// Dense column-major `m × n` to CSC (all entries stored).
pub fn dense_csc(m: usize, n: usize, vals: &[f64]) -> CscMatrix {
    let (mut r, mut c, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..m {
            r.push(i);
            c.push(j);
            v.push(vals[j * m + i]);
        }
    }
    CscMatrix::from_triplets(m, n, &r, &c, &v).unwrap()
}

/// Upper triangle of `MᵀM/n + shift·I` (dense pattern).
pub fn random_spd(rng: &mut Rng, n: usize, shift: f64) -> CscMatrix {
    let mm = rng.vec(n * n);
    let (mut r, mut c, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..=j {
            let mut s: f64 = (0..n).map(|k| mm[k * n + i] * mm[k * n + j]).sum::<f64>() / n as f64;
            if i == j {
                s += shift;
            }
            r.push(i);
            c.push(j);
            v.push(s);
        }
    }
    CscMatrix::from_triplets(n, n, &r, &c, &v).unwrap()
}

/// A strictly convex QP with planted, strictly complementary solution:
/// `meq` equality rows and `mineq` inequality rows (half of them active,
/// at most `n − meq`),
/// dense random `A`, `P = MᵀM/n + I`.
pub fn planted_qp(rng: &mut Rng, n: usize, meq: usize, mineq: usize) -> ProblemData {
    let m = meq + mineq;
    let a = dense_csc(m, n, &rng.vec(m * n));
    let p = random_spd(rng, n, 1.0);
    let x = rng.vec(n);
    let mut y = vec![0.0; m];
    let mut s = vec![0.0; m];
    for i in 0..meq {
        y[i] = rng.normal();
    }
    // At most n − meq active rows (linearly independent active
    // constraints, so the solution is nondegenerate).
    let active = (mineq / 2).min(n.saturating_sub(meq));
    let mut order: Vec<usize> = (meq..m).collect();
    for k in (1..order.len()).rev() {
        order.swap(k, (rng.next() % (k as u64 + 1)) as usize);
    }
    for (rank, &i) in order.iter().enumerate() {
        if rank < active {
            y[i] = 0.5 + rng.uniform();
        } else {
            s[i] = 0.5 + rng.uniform();
        }
    }
    let mut b = vec![0.0; m];
    a.gemv(&mut b, &x, 1.0, 0.0);
    for i in 0..m {
        b[i] += s[i];
    }
    let mut c = vec![0.0; n];
    p.symv_upper(&mut c, &x, -1.0, 0.0);
    a.gemv_t(&mut c, &y, -1.0, 1.0);
    let mut cones = Vec::new();
    if meq > 0 {
        cones.push(SupportedCone::Zero(meq));
    }
    if mineq > 0 {
        cones.push(SupportedCone::Nonnegative(mineq));
    }
    ProblemData::new(Some(p), c, a, b, cones).unwrap()
}

/// Newton refinement steps after every solve in these tests: interior-point
/// solutions are accurate to about 1e-7 at tolerance 1e-10 (nonlinear
/// cones), refined ones to about 1e-15.
pub const REFINE: usize = 10;

/// Interior-point settings for reference solves.
pub fn tight() -> Settings {
    Settings {
        eps_abs: 1e-10,
        eps_rel: 1e-10,
        eps_feas: 1e-10,
        max_iter: 400,
        ..Settings::default()
    }
}

/// A random direction on the data's patterns (`P` direction symmetric by
/// construction: one value per stored entry).
pub fn random_direction(rng: &mut Rng, prob: &ProblemData) -> ParamGrad {
    ParamGrad {
        p: rng.vec(prob.p.nnz()),
        c: rng.vec(prob.n()),
        a: rng.vec(prob.a.nnz()),
        b: rng.vec(prob.m()),
    }
}

/// A random loss gradient on x, y and s.
pub fn random_loss(rng: &mut Rng, n: usize, m: usize) -> LossGrad {
    LossGrad {
        dx: Some(rng.vec(n)),
        dy: Some(rng.vec(m)),
        ds: Some(rng.vec(m)),
    }
}

/// `ℓ(z) = gₓᵀx + gᵧᵀy + gₛᵀs` at the solution of `prob` with data
/// `w + t·dir`.
pub fn loss_at(
    prob: &ProblemData,
    dir: &ParamGrad,
    t: f64,
    g: &LossGrad,
    settings: &Settings,
) -> f64 {
    let mut q = prob.clone();
    for (v, d) in Arc::make_mut(&mut q.p).nzval.iter_mut().zip(&dir.p) {
        *v += t * d;
    }
    for (v, d) in q.c.iter_mut().zip(&dir.c) {
        *v += t * d;
    }
    for (v, d) in Arc::make_mut(&mut q.a).nzval.iter_mut().zip(&dir.a) {
        *v += t * d;
    }
    for (v, d) in q.b.iter_mut().zip(&dir.b) {
        *v += t * d;
    }
    let mut layer = DiffSolver::new(q, settings.clone()).unwrap();
    layer.set_refinement(REFINE);
    let sol = layer.solve().unwrap();
    assert!(sol.status.is_solved(), "FD solve: {}", sol.status);
    let dot = |u: &Option<Vec<f64>>, v: &[f64]| {
        u.as_ref()
            .map_or(0.0, |u| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>())
    };
    dot(&g.dx, &sol.x) + dot(&g.dy, &sol.y) + dot(&g.ds, &sol.s)
}

/// Central difference `(ℓ(w + h·dir) − ℓ(w − h·dir)) / 2h`.
pub fn central_difference(
    prob: &ProblemData,
    dir: &ParamGrad,
    h: f64,
    g: &LossGrad,
    settings: &Settings,
) -> f64 {
    (loss_at(prob, dir, h, g, settings) - loss_at(prob, dir, -h, g, settings)) / (2.0 * h)
}

/// Richardson-extrapolated central difference, `(4·D(h) − D(2h)) / 3`:
/// error `O(h⁴)` plus the solver's error amplified by about `1.5/h`.
pub fn richardson(
    prob: &ProblemData,
    dir: &ParamGrad,
    h: f64,
    g: &LossGrad,
    settings: &Settings,
) -> f64 {
    let d1 = central_difference(prob, dir, h, g, settings);
    let d2 = central_difference(prob, dir, 2.0 * h, g, settings);
    (4.0 * d1 - d2) / 3.0
}

/// A complementary pair `(s, y)` for one cone, `s ∈ K`, `y ∈ K*`,
/// `sᵀy = 0`, strictly complementary and away from non-smooth parts of
/// the boundary.
pub fn complementary_pair(rng: &mut Rng, cone: &SupportedCone) -> (Vec<f64>, Vec<f64>) {
    let d = cone.dim();
    let pos = |rng: &mut Rng| 0.5 + rng.uniform();
    match cone {
        SupportedCone::Zero(_) => (vec![0.0; d], rng.vec(d)),
        SupportedCone::Nonnegative(_) => {
            let (mut s, mut y) = (vec![0.0; d], vec![0.0; d]);
            for i in 0..d {
                if rng.uniform() < 0.5 {
                    y[i] = pos(rng);
                } else {
                    s[i] = pos(rng);
                }
            }
            (s, y)
        }
        SupportedCone::SecondOrder(_) => {
            let u = rng.vec(d - 1);
            let nu = u.iter().map(|v| v * v).sum::<f64>().sqrt();
            let (a, b) = (pos(rng), pos(rng));
            let mut s = vec![a * nu];
            s.extend(u.iter().map(|v| a * v));
            let mut y = vec![b * nu];
            y.extend(u.iter().map(|v| -b * v));
            (s, y)
        }
        SupportedCone::Exponential => {
            // s = (r·t, t, t·eʳ) on the boundary, y = λ(−eʳ, −eʳ(1 − r), 1).
            let (r, t, l) = (0.5 * rng.normal(), pos(rng), pos(rng));
            let e = r.exp();
            (vec![r * t, t, t * e], vec![-l * e, -l * e * (1.0 - r), l])
        }
        SupportedCone::Power(alpha) => {
            // s = (x, y, x^α y^(1−α)), y* = λ(α z/x, (1 − α) z/y, −1).
            let (x, yv, l) = (pos(rng), pos(rng), pos(rng));
            let z = x.powf(*alpha) * yv.powf(1.0 - alpha);
            (
                vec![x, yv, z],
                vec![l * alpha * z / x, l * (1.0 - alpha) * z / yv, -l],
            )
        }
        other => panic!("no planted pair for {other:?}"),
    }
}

/// A problem with the planted solution `(x, y, s)`: dense random `A`
/// (`m × n`), `P = MᵀM/n + shift·I` (`None` for `shift < 0`), a
/// complementary pair per cone.
pub fn planted_conic(
    rng: &mut Rng,
    n: usize,
    cones: Vec<SupportedCone>,
    shift: f64,
) -> ProblemData {
    let m: usize = cones.iter().map(|c| c.dim()).sum();
    let a = dense_csc(m, n, &rng.vec(m * n));
    let p = (shift >= 0.0).then(|| random_spd(rng, n, shift));
    let x = rng.vec(n);
    let (mut s, mut y) = (Vec::with_capacity(m), Vec::with_capacity(m));
    for cone in &cones {
        let (si, yi) = complementary_pair(rng, cone);
        s.extend(si);
        y.extend(yi);
    }
    let mut b = s.clone();
    a.gemv(&mut b, &x, 1.0, 1.0);
    let mut c = vec![0.0; n];
    if let Some(p) = &p {
        p.symv_upper(&mut c, &x, -1.0, 0.0);
    }
    a.gemv_t(&mut c, &y, -1.0, 1.0);
    ProblemData::new(p, c, a, b, cones).unwrap()
}
