//! Projections onto every supported cone and its dual, and their derivatives
//! (`lpgd_solver::projection`): membership, idempotence, Moreau
//! decomposition, optimality against random cone points and independent
//! brute-force references, Jacobian-vector products against central finite
//! differences, and edge cases (zeros, boundary points, huge and tiny
//! magnitudes).
#![allow(clippy::needless_range_loop)]

use lpgd_solver::cones::svec::{from_svec, to_svec, triangle_dim};
use lpgd_solver::projection::{
    project, project_dual, project_dual_jvp, project_dual_product, project_dual_product_jvp,
    project_jvp, project_product, project_product_jvp, Projector, PsdWorkspace, Side,
};
use lpgd_solver::SupportedCone;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

// ---------------------------------------------------------------------------
// Allocation counting (per thread: tests run in parallel)
// ---------------------------------------------------------------------------

struct CountingAlloc;
thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}
// SAFETY: forwards to the system allocator; the counter is a const-initialized
// thread-local `Cell`, which does not allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations() -> usize {
    ALLOCATIONS.with(|c| c.get())
}

// ---------------------------------------------------------------------------
// Fixed-seed random numbers
// ---------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    /// SplitMix64.
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    fn normals(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.normal()).collect()
    }
    /// `10^U(lo, hi)`.
    fn magnitude(&mut self, lo: f64, hi: f64) -> f64 {
        10f64.powf(lo + (hi - lo) * self.uniform())
    }
    fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n
    }
}

// ---------------------------------------------------------------------------
// Small vector helpers
// ---------------------------------------------------------------------------

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
fn norm(a: &[f64]) -> f64 {
    let m = a.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    if m == 0.0 {
        return 0.0;
    }
    m * a.iter().map(|t| (t / m) * (t / m)).sum::<f64>().sqrt()
}
fn sub(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}
fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}
fn scaled(s: f64, a: &[f64]) -> Vec<f64> {
    a.iter().map(|x| s * x).collect()
}
fn neg(a: &[f64]) -> Vec<f64> {
    scaled(-1.0, a)
}

fn pr(c: &SupportedCone, x: &[f64]) -> Vec<f64> {
    let mut o = vec![0.0; x.len()];
    project(c, x, &mut o);
    o
}
fn prd(c: &SupportedCone, x: &[f64]) -> Vec<f64> {
    let mut o = vec![0.0; x.len()];
    project_dual(c, x, &mut o);
    o
}
fn jvp(c: &SupportedCone, x: &[f64], dx: &[f64]) -> Vec<f64> {
    let mut o = vec![0.0; x.len()];
    project_jvp(c, x, dx, &mut o);
    o
}
fn jvpd(c: &SupportedCone, x: &[f64], dx: &[f64]) -> Vec<f64> {
    let mut o = vec![0.0; x.len()];
    project_dual_jvp(c, x, dx, &mut o);
    o
}

/// Primal (`dual = false`) or dual projection.
fn proj_side(c: &SupportedCone, dual: bool, x: &[f64]) -> Vec<f64> {
    if dual {
        prd(c, x)
    } else {
        pr(c, x)
    }
}
fn jvp_side(c: &SupportedCone, dual: bool, x: &[f64], dx: &[f64]) -> Vec<f64> {
    if dual {
        jvpd(c, x, dx)
    } else {
        jvp(c, x, dx)
    }
}

// ---------------------------------------------------------------------------
// Independent symmetric eigensolver (cyclic Jacobi) for PSD references
// ---------------------------------------------------------------------------

/// Eigenvalues and eigenvectors (columns, column-major) of the symmetric
/// column-major `a`.
fn jacobi(n: usize, a: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i + i * n] = 1.0;
    }
    for _ in 0..200 {
        let mut off = 0.0;
        let mut tot = 0.0;
        for j in 0..n {
            for i in 0..n {
                tot += a[i + j * n] * a[i + j * n];
                if i != j {
                    off += a[i + j * n] * a[i + j * n];
                }
            }
        }
        if off <= 1e-32 * tot || off < 1e-300 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p + q * n];
                if apq == 0.0 {
                    continue;
                }
                let theta = 0.5 * (a[q + q * n] - a[p + p * n]) / apq;
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (x, y) = (a[k + p * n], a[k + q * n]);
                    a[k + p * n] = c * x - s * y;
                    a[k + q * n] = s * x + c * y;
                }
                for k in 0..n {
                    let (x, y) = (a[p + k * n], a[q + k * n]);
                    a[p + k * n] = c * x - s * y;
                    a[q + k * n] = s * x + c * y;
                }
                for k in 0..n {
                    let (x, y) = (v[k + p * n], v[k + q * n]);
                    v[k + p * n] = c * x - s * y;
                    v[k + q * n] = s * x + c * y;
                }
            }
        }
    }
    ((0..n).map(|i| a[i + i * n]).collect(), v)
}

fn min_eig(n: usize, x: &[f64]) -> f64 {
    jacobi(n, &from_svec(n, x))
        .0
        .into_iter()
        .fold(f64::INFINITY, f64::min)
}

/// `Q·diag(λ)·Qᵀ` (column-major).
fn spectral(n: usize, q: &[f64], l: &[f64]) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..n {
            m[i + j * n] = (0..n).map(|k| q[i + k * n] * l[k] * q[j + k * n]).sum();
        }
    }
    m
}

fn random_orthogonal(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut q = rng.normals(n * n);
    for j in 0..n {
        for k in 0..j {
            let d: f64 = (0..n).map(|i| q[i + j * n] * q[i + k * n]).sum();
            for i in 0..n {
                q[i + j * n] -= d * q[i + k * n];
            }
        }
        let s = (0..n).map(|i| q[i + j * n].powi(2)).sum::<f64>().sqrt();
        for i in 0..n {
            q[i + j * n] /= s;
        }
    }
    q
}

/// Reference PSD projection by Jacobi: `svec(Q max(Λ,0) Qᵀ)`.
fn psd_reference(n: usize, x: &[f64]) -> Vec<f64> {
    let (l, q) = jacobi(n, &from_svec(n, x));
    let lp: Vec<f64> = l.iter().map(|v| v.max(0.0)).collect();
    to_svec(n, &spectral(n, &q, &lp))
}

// ---------------------------------------------------------------------------
// Cones, membership, random points
// ---------------------------------------------------------------------------

fn all_cones() -> Vec<SupportedCone> {
    use SupportedCone::*;
    vec![
        Zero(3),
        Nonnegative(5),
        SecondOrder(1),
        SecondOrder(2),
        SecondOrder(6),
        Exponential,
        Power(0.3),
        Power(0.5),
        Power(0.8),
        PositiveSemidefinite(1),
        PositiveSemidefinite(2),
        PositiveSemidefinite(4),
        PositiveSemidefinite(7),
    ]
}

fn geo(x: f64, y: f64, a: f64) -> f64 {
    if x <= 0.0 || y <= 0.0 {
        0.0
    } else {
        (a * x.ln() + (1.0 - a) * y.ln()).exp()
    }
}

/// An upper bound on `dist(x, K)`: the distance to the nearest of a few
/// points of `K` obtained by moving one coordinate (independent of the code
/// under test). On steep parts of a boundary a functional test such as
/// `y·exp(x/y) ≤ z + tol` would be far stricter than a distance test.
fn cone_gap(c: &SupportedCone, x: &[f64]) -> f64 {
    match *c {
        SupportedCone::Zero(_) => norm(x),
        SupportedCone::Nonnegative(_) => norm(&x.iter().map(|t| t.min(0.0)).collect::<Vec<_>>()),
        SupportedCone::SecondOrder(_) => (norm(&x[1..]) - x[0]).max(0.0),
        SupportedCone::Exponential => {
            let (r, s, t) = (x[0], x[1], x[2]);
            let mut gap = norm(&sub(x, &[r.min(0.0), 0.0, t.max(0.0)]));
            if s > 0.0 {
                let tz = t.max(s * (r / s).exp());
                gap = gap.min(tz - t);
                if t > 0.0 {
                    gap = gap.min((r - s * (t / s).ln()).max(0.0));
                }
            }
            gap
        }
        SupportedCone::Power(a) => power_gap(x, a, 1.0, 1.0),
        SupportedCone::PositiveSemidefinite(n) => (-min_eig(n, x)).max(0.0) * (n as f64).sqrt(),
        _ => unimplemented!("{c:?}"),
    }
}

/// Upper bound on the distance of `x` to `{(x, y, z): (x/sx)^α (y/sy)^(1−α) ≥ |z|, x, y ≥ 0}`.
fn power_gap(v: &[f64], a: f64, sx: f64, sy: f64) -> f64 {
    let b = 1.0 - a;
    let (x, y, z) = (v[0].max(0.0), v[1].max(0.0), v[2].abs());
    let e0 = norm(&[v[0].min(0.0), v[1].min(0.0)]);
    let mut gap = (z - geo(x / sx, y / sy, a)).max(0.0);
    if y > 0.0 {
        let xn = sx * (z / (y / sy).powf(b)).powf(1.0 / a);
        gap = gap.min((xn - x).max(0.0));
    }
    if x > 0.0 {
        let yn = sy * (z / (x / sx).powf(a)).powf(1.0 / b);
        gap = gap.min((yn - y).max(0.0));
    }
    e0 + gap
}

/// Upper bound on `dist(x, K*)`.
fn dual_gap(c: &SupportedCone, x: &[f64]) -> f64 {
    match *c {
        SupportedCone::Zero(_) => 0.0,
        SupportedCone::Exponential => {
            // K* = {u < 0, −u·exp(v/u) ≤ e·w} ∪ {u = 0, v ≥ 0, w ≥ 0}
            let (u, v, w) = (x[0], x[1], x[2]);
            let mut gap = norm(&sub(x, &[0.0, v.max(0.0), w.max(0.0)]));
            if u < 0.0 {
                let wn = w.max(-u * (v / u - 1.0).exp());
                gap = gap.min(wn - w);
                if w > 0.0 {
                    gap = gap.min((u * (1.0 + (-w / u).ln()) - v).max(0.0));
                }
            }
            gap
        }
        SupportedCone::Power(a) => power_gap(x, a, a, 1.0 - a),
        _ => cone_gap(c, x),
    }
}

/// `x ∈ K` up to the distance `tol`.
fn in_cone(c: &SupportedCone, x: &[f64], tol: f64) -> bool {
    cone_gap(c, x) <= tol
}

/// `x ∈ K*` up to the distance `tol`.
fn in_dual(c: &SupportedCone, x: &[f64], tol: f64) -> bool {
    dual_gap(c, x) <= tol
}

/// A random point of `K` (sometimes on its boundary).
fn random_cone_point(rng: &mut Rng, c: &SupportedCone) -> Vec<f64> {
    let scale = rng.magnitude(-2.0, 2.0);
    let boundary = rng.uniform() < 0.3;
    let v = match *c {
        SupportedCone::Zero(d) => vec![0.0; d],
        SupportedCone::Nonnegative(d) => (0..d)
            .map(|_| {
                if rng.uniform() < 0.2 {
                    0.0
                } else {
                    rng.normal().abs()
                }
            })
            .collect(),
        SupportedCone::SecondOrder(d) => {
            let u = rng.normals(d - 1);
            let t = norm(&u) * if boundary { 1.0 } else { 1.0 + rng.uniform() }
                + if d == 1 { rng.uniform() } else { 0.0 };
            let mut v = vec![t];
            v.extend(u);
            v
        }
        SupportedCone::Exponential => {
            if rng.uniform() < 0.1 {
                vec![-rng.normal().abs(), 0.0, rng.normal().abs()]
            } else {
                let rho = (2.0 * rng.normal()).clamp(-20.0, 20.0);
                let y = rng.normal().abs() + 1e-3;
                let z = y * rho.exp() * if boundary { 1.0 } else { 1.0 + rng.uniform() };
                vec![rho * y, y, z]
            }
        }
        SupportedCone::Power(a) => {
            let (x, y) = (rng.normal().abs(), rng.normal().abs());
            let g = geo(x, y, a) * if boundary { 1.0 } else { rng.uniform() };
            vec![x, y, if rng.uniform() < 0.5 { g } else { -g }]
        }
        SupportedCone::PositiveSemidefinite(n) => {
            let q = random_orthogonal(rng, n);
            let l: Vec<f64> = (0..n)
                .map(|_| {
                    if boundary && rng.uniform() < 0.5 {
                        0.0
                    } else {
                        rng.normal().abs()
                    }
                })
                .collect();
            to_svec(n, &spectral(n, &q, &l))
        }
        _ => unimplemented!("{c:?}"),
    };
    scaled(scale, &v)
}

/// A random point of `K*`.
fn random_dual_point(rng: &mut Rng, c: &SupportedCone) -> Vec<f64> {
    match *c {
        SupportedCone::Zero(d) => scaled(rng.magnitude(-2.0, 2.0), &rng.normals(d)),
        SupportedCone::Exponential => {
            let scale = rng.magnitude(-2.0, 2.0);
            if rng.uniform() < 0.1 {
                return scaled(scale, &[0.0, rng.normal().abs(), rng.normal().abs()]);
            }
            let u = -(rng.normal().abs() + 1e-3);
            let kappa = (2.0 * rng.normal()).clamp(-20.0, 20.0);
            let w = -u * kappa.exp() / std::f64::consts::E
                * if rng.uniform() < 0.3 {
                    1.0
                } else {
                    1.0 + rng.uniform()
                };
            scaled(scale, &[u, kappa * u, w])
        }
        SupportedCone::Power(a) => {
            let scale = rng.magnitude(-2.0, 2.0);
            let (u, v) = (rng.normal().abs(), rng.normal().abs());
            let g = geo(u / a, v / (1.0 - a), a)
                * if rng.uniform() < 0.3 {
                    1.0
                } else {
                    rng.uniform()
                };
            scaled(scale, &[u, v, if rng.uniform() < 0.5 { g } else { -g }])
        }
        _ => random_cone_point(rng, c),
    }
}

/// A random test point: Gaussian with a random scale, points of `K` and of
/// `K°`, and points with coordinates of very different magnitudes.
fn random_point(rng: &mut Rng, c: &SupportedCone) -> Vec<f64> {
    let d = c.dim();
    match rng.below(10) {
        0 => random_cone_point(rng, c),
        1 => neg(&random_dual_point(rng, c)),
        2 | 3 => {
            let mut v = rng.normals(d);
            for t in v.iter_mut() {
                *t *= rng.magnitude(-4.0, 4.0);
            }
            v
        }
        _ => scaled(rng.magnitude(-3.0, 3.0), &rng.normals(d)),
    }
}

// ---------------------------------------------------------------------------
// Basic properties
// ---------------------------------------------------------------------------

#[test]
fn zero_and_nonnegative_closed_forms() {
    let z = SupportedCone::Zero(3);
    let x = [1.0, -2.0, 0.0];
    assert_eq!(pr(&z, &x), vec![0.0; 3]);
    assert_eq!(prd(&z, &x), x.to_vec());
    assert_eq!(jvp(&z, &x, &[1.0, 2.0, 3.0]), vec![0.0; 3]);
    assert_eq!(jvpd(&z, &x, &[1.0, 2.0, 3.0]), vec![1.0, 2.0, 3.0]);
    let p = SupportedCone::Nonnegative(3);
    assert_eq!(pr(&p, &x), vec![1.0, 0.0, 0.0]);
    assert_eq!(prd(&p, &x), vec![1.0, 0.0, 0.0]);
    assert_eq!(jvp(&p, &x, &[1.0, 2.0, 3.0]), vec![1.0, 0.0, 1.5]);
}

#[test]
fn known_values() {
    // SOC: (1, 3, 4) ↦ 3·(1, 0.6, 0.8)
    let p = pr(&SupportedCone::SecondOrder(3), &[1.0, 3.0, 4.0]);
    assert!(norm(&sub(&p, &[3.0, 1.8, 2.4])) < 1e-15);
    // Exponential: a point of K° maps to 0, −(point of K*)…
    let e = SupportedCone::Exponential;
    assert_eq!(pr(&e, &[1.0, 0.0, -1.0]), vec![0.0; 3]);
    // r ≤ 0, s ≤ 0 region: (r, 0, max(t, 0))
    assert_eq!(pr(&e, &[-1.0, -2.0, 3.0]), vec![-1.0, 0.0, 3.0]);
    assert_eq!(pr(&e, &[-1.0, -2.0, -3.0]), vec![-1.0, 0.0, 0.0]);
    // Power α = ½: x·y ≥ z² is the rotated SOC; (0, 0, 1) ↦ (½, ½, ½)·…
    // by symmetry the projection of (0, 0, 1) is (a, a, a) with a minimizing
    // 2a² + (1 − a)² ⇒ a = 1/3.
    let q = pr(&SupportedCone::Power(0.5), &[0.0, 0.0, 1.0]);
    assert!(norm(&sub(&q, &[1.0 / 3.0; 3])) < 1e-15, "{q:?}");
    // PSD 2×2: diag(1, −1) ↦ diag(1, 0)
    let s = pr(&SupportedCone::PositiveSemidefinite(2), &[1.0, 0.0, -1.0]);
    assert!(norm(&sub(&s, &[1.0, 0.0, 0.0])) < 1e-15, "{s:?}");
}

/// Π(x) ∈ K and Π_{K*}(x) ∈ K* for many random points.
#[test]
fn projections_lie_in_the_cone() {
    let mut rng = Rng::new(1);
    for c in all_cones() {
        for _ in 0..3000 {
            let x = random_point(&mut rng, &c);
            let tol = 1e-12 * norm(&x) + 1e-300;
            let p = pr(&c, &x);
            assert!(p.iter().all(|v| v.is_finite()), "{c:?} {x:?}");
            assert!(in_cone(&c, &p, tol), "{c:?}: Π({x:?}) = {p:?} ∉ K");
            let q = prd(&c, &x);
            assert!(in_dual(&c, &q, tol), "{c:?}: Π*({x:?}) = {q:?} ∉ K*");
        }
    }
}

/// Π(Π(x)) = Π(x), for the cone and its dual.
#[test]
fn projections_are_idempotent() {
    let mut rng = Rng::new(2);
    let mut worst: f64 = 0.0;
    for c in all_cones() {
        for dual in [false, true] {
            for _ in 0..2000 {
                let x = random_point(&mut rng, &c);
                let p = proj_side(&c, dual, &x);
                let pp = proj_side(&c, dual, &p);
                let err = norm(&sub(&pp, &p)) / norm(&x).max(1e-300);
                worst = worst.max(err);
                assert!(err <= 1e-13, "{c:?} dual={dual}: {x:?} ↦ {p:?} ↦ {pp:?}");
            }
        }
    }
    eprintln!("idempotence: worst relative error {worst:.2e}");
}

/// x = Π_K(x) + Π_{K°}(x), Π_{K°}(x) ∈ K°, ⟨Π_K(x), Π_{K°}(x)⟩ = 0, with
/// Π_{K°}(x) = −Π_{K*}(−x).
#[test]
fn moreau_decomposition() {
    let mut rng = Rng::new(3);
    let mut worst_dot: f64 = 0.0;
    let mut worst_sum: f64 = 0.0;
    for c in all_cones() {
        for _ in 0..3000 {
            let x = random_point(&mut rng, &c);
            let nx = norm(&x);
            let tol = 1e-12 * nx + 1e-300;
            let p = pr(&c, &x);
            let polar = neg(&prd(&c, &neg(&x)));
            let sum_err = norm(&sub(&add(&p, &polar), &x)) / nx.max(1e-300);
            let dot_err = dot(&p, &polar).abs() / (nx * nx).max(1e-300);
            worst_sum = worst_sum.max(sum_err);
            worst_dot = worst_dot.max(dot_err);
            assert!(
                sum_err <= 1e-13,
                "{c:?}: {x:?}: Π + Π° ≠ x: {p:?} + {polar:?}"
            );
            assert!(
                dot_err <= 1e-13,
                "{c:?}: {x:?}: ⟨Π, Π°⟩ = {}",
                dot(&p, &polar)
            );
            // The polar part, computed as x − Π(x), lies in K° = −K*.
            let d = sub(&x, &p);
            assert!(
                in_dual(&c, &neg(&d), tol),
                "{c:?}: x − Π(x) = {d:?} ∉ K° for {x:?}"
            );
            // And the dual projection decomposes x the same way.
            let q = prd(&c, &x);
            let e = sub(&x, &q); // ∈ (K*)° = −K
            assert!(
                in_cone(&c, &neg(&e), tol),
                "{c:?}: x − Π*(x) ∉ −K for {x:?}"
            );
            assert!(
                dot(&q, &e).abs() <= 1e-13 * nx * nx + 1e-300,
                "{c:?}: ⟨Π*, x − Π*⟩ ≠ 0"
            );
        }
    }
    eprintln!(
        "Moreau: worst ‖Π + Π° − x‖/‖x‖ {worst_sum:.2e}, worst |⟨Π, Π°⟩|/‖x‖² {worst_dot:.2e}"
    );
}

proptest! {
    #![proptest_config(Config {
        cases: 3000,
        rng_seed: RngSeed::Fixed(0x6c70_6764),
        failure_persistence: None,
        ..Config::default()
    })]

    /// Moreau decomposition and membership for the exponential and power
    /// cones on proptest-generated points (fixed seed).
    #[test]
    fn proptest_moreau_exp_pow(
        v in prop::array::uniform3(-1e3f64..1e3),
        alpha in 0.05f64..0.95,
        mag in -6i32..6,
    ) {
        let v: Vec<f64> = v.iter().map(|t| t * 10f64.powi(mag)).collect();
        let nv = norm(&v);
        for c in [SupportedCone::Exponential, SupportedCone::Power(alpha)] {
            let p = pr(&c, &v);
            let d = sub(&v, &p);
            let tol = 1e-12 * nv + 1e-300;
            prop_assert!(in_cone(&c, &p, tol), "{:?} {:?} {:?}", c, v, p);
            prop_assert!(in_dual(&c, &neg(&d), tol), "{:?} {:?} {:?}", c, v, d);
            prop_assert!(dot(&p, &d).abs() <= 1e-13 * nv * nv + 1e-300);
            let q = prd(&c, &v);
            prop_assert!(in_dual(&c, &q, tol));
        }
    }
}

/// ‖x − Π(x)‖ ≤ ‖x − q‖ for random points q of the cone, including points
/// near Π(x) (perturbed and pushed back into the cone by independent code).
#[test]
fn projection_beats_random_cone_points() {
    let mut rng = Rng::new(4);
    for c in all_cones() {
        for dual in [false, true] {
            for _ in 0..300 {
                let x = random_point(&mut rng, &c);
                let p = proj_side(&c, dual, &x);
                let dp = norm(&sub(&x, &p));
                let tol = 1e-12 * norm(&x) + 1e-300;
                for k in 0..60 {
                    let q = if k < 30 {
                        let q = if dual {
                            random_dual_point(&mut rng, &c)
                        } else {
                            random_cone_point(&mut rng, &c)
                        };
                        // half of them rescaled to the norm of x
                        if k % 2 == 0 {
                            q
                        } else {
                            scaled(norm(&x) / norm(&q).max(1e-300), &q)
                        }
                    } else {
                        let eps = rng.magnitude(-8.0, -1.0) * norm(&x);
                        let pert: Vec<f64> = p.iter().map(|t| t + eps * rng.normal()).collect();
                        repair(&c, dual, &pert)
                    };
                    let tq = 1e-12 * norm(&q);
                    assert!(
                        in_dual_or_cone(&c, dual, &q, tq + tol),
                        "{c:?} repair failed: {q:?}"
                    );
                    let dq = norm(&sub(&x, &q));
                    assert!(
                        dp <= dq + tol + tq,
                        "{c:?} dual={dual}: ‖x − Π(x)‖ = {dp} > ‖x − q‖ = {dq} (x={x:?}, q={q:?})"
                    );
                }
            }
        }
    }
}

fn in_dual_or_cone(c: &SupportedCone, dual: bool, q: &[f64], tol: f64) -> bool {
    if dual {
        in_dual(c, q, tol)
    } else {
        in_cone(c, q, tol)
    }
}

/// Moves `v` into `K` (or `K*`) by a simple feasibility repair (not a
/// projection, independent of the code under test).
fn repair(c: &SupportedCone, dual: bool, v: &[f64]) -> Vec<f64> {
    match (*c, dual) {
        (SupportedCone::Zero(d), false) => vec![0.0; d],
        (SupportedCone::Zero(_), true) => v.to_vec(),
        (SupportedCone::Nonnegative(_), _) => v.iter().map(|t| t.max(0.0)).collect(),
        (SupportedCone::SecondOrder(_), _) => {
            let mut w = v.to_vec();
            w[0] = w[0].max(norm(&v[1..]));
            w
        }
        (SupportedCone::Exponential, false) => {
            let y = v[1].abs().max(1e-12);
            let z = v[2].max(y * (v[0] / y).exp());
            if z.is_finite() {
                vec![v[0], y, z]
            } else {
                vec![v[0].min(0.0), 0.0, v[2].max(0.0)]
            }
        }
        (SupportedCone::Exponential, true) => {
            let u = -v[0].abs().max(1e-12);
            let w = v[2].max(-u * (v[1] / u).exp() / std::f64::consts::E);
            if w.is_finite() {
                vec![u, v[1], w]
            } else {
                vec![0.0, v[1].max(0.0), v[2].max(0.0)]
            }
        }
        (SupportedCone::Power(a), false) => {
            let (x, y) = (v[0].max(0.0), v[1].max(0.0));
            let g = geo(x, y, a);
            vec![x, y, v[2].clamp(-g, g)]
        }
        (SupportedCone::Power(a), true) => {
            let (x, y) = (v[0].max(0.0), v[1].max(0.0));
            let g = geo(x / a, y / (1.0 - a), a);
            vec![x, y, v[2].clamp(-g, g)]
        }
        (SupportedCone::PositiveSemidefinite(n), _) => {
            let (l, q) = jacobi(n, &from_svec(n, v));
            let lp: Vec<f64> = l.iter().map(|t| t.max(0.0)).collect();
            to_svec(n, &spectral(n, &q, &lp))
        }
        _ => unreachable!(),
    }
}

/// PSD projection against an independent Jacobi eigendecomposition.
#[test]
fn psd_matches_jacobi_reference() {
    let mut rng = Rng::new(5);
    for n in [1, 2, 3, 5, 8, 12] {
        let c = SupportedCone::PositiveSemidefinite(n);
        for _ in 0..100 {
            let x = random_point(&mut rng, &c);
            let p = pr(&c, &x);
            let r = psd_reference(n, &x);
            assert!(norm(&sub(&p, &r)) <= 1e-12 * norm(&x), "n={n}");
        }
    }
}

// ---------------------------------------------------------------------------
// Exponential and power cones against slow independent references
// ---------------------------------------------------------------------------

/// Golden-section minimization of `f` on `[a, b]`.
fn golden(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..200 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
        if (b - a).abs() < 1e-15 * (1.0 + a.abs()) {
            break;
        }
    }
    0.5 * (a + b)
}

/// Best point `t·b` (t ≥ 0) on the ray through `b`.
fn on_ray(v: &[f64], b: &[f64]) -> Vec<f64> {
    let bb = dot(b, b);
    let t = (dot(v, b) / bb).max(0.0);
    scaled(t, b)
}

/// Minimizes `dist(v, ray(param))` over a parameter interval: dense grid, then
/// golden section, then bisection on the sign of the derivative of
/// `⟨v,b⟩²/‖b‖²` (`deriv`) for full precision.
fn best_on_rays(
    v: &[f64],
    ray: &dyn Fn(f64) -> Vec<f64>,
    dray: &dyn Fn(f64) -> Vec<f64>,
    lo: f64,
    hi: f64,
    grid: usize,
) -> (f64, Vec<f64>) {
    let dist = |s: f64| norm(&sub(v, &on_ray(v, &ray(s))));
    let h = (hi - lo) / grid as f64;
    let mut best = (f64::INFINITY, lo);
    for k in 0..=grid {
        let s = lo + h * k as f64;
        let d = dist(s);
        if d < best.0 {
            best = (d, s);
        }
    }
    let (a, b) = ((best.1 - h).max(lo), (best.1 + h).min(hi));
    let mut s = golden(&dist, a, b);
    // Stationarity: G(s) = ⟨v,b'⟩‖b‖² − ⟨v,b⟩⟨b,b'⟩ changes sign at the optimum.
    let g = |s: f64| {
        let (b, db) = (ray(s), dray(s));
        dot(v, &db) * dot(&b, &b) - dot(v, &b) * dot(&b, &db)
    };
    let (mut l, mut r) = ((s - h).max(lo), (s + h).min(hi));
    let (gl, gr) = (g(l), g(r));
    if gl > 0.0 && gr < 0.0 && dot(v, &ray(s)) > 0.0 {
        for _ in 0..200 {
            let m = 0.5 * (l + r);
            if m == l || m == r {
                break;
            }
            if g(m) > 0.0 {
                l = m;
            } else {
                r = m;
            }
        }
        let m = 0.5 * (l + r);
        if dist(m) <= dist(s) * (1.0 + 1e-12) {
            s = m;
        }
    }
    let p = on_ray(v, &ray(s));
    (norm(&sub(v, &p)), p)
}

/// Slow reference projection onto the exponential cone: the nearest of `v`
/// (if in K), the face `{(x, 0, z): x ≤ 0, z ≥ 0}` and the rays
/// `y·(ρ, 1, e^ρ)`, ρ ∈ [−40, 40].
fn exp_reference(v: &[f64]) -> Vec<f64> {
    if in_cone(&SupportedCone::Exponential, v, 0.0) {
        return v.to_vec();
    }
    let face = vec![v[0].min(0.0), 0.0, v[2].max(0.0)];
    let ray = |r: f64| vec![r, 1.0, r.exp()];
    let dray = |r: f64| vec![1.0, 0.0, r.exp()];
    let (d, p) = best_on_rays(v, &ray, &dray, -40.0, 40.0, 16000);
    if d < norm(&sub(v, &face)) {
        p
    } else {
        face
    }
}

/// Slow reference projection onto the power cone: the nearest of `v` (if in
/// K), the face `{(x, y, 0): x, y ≥ 0}` and the rays
/// `t·(σ, 1 − σ, ±σ^α (1−σ)^(1−α))`, `σ = 1/(1 + e^{−θ})`, θ ∈ [−80, 80]
/// (the logistic parametrization resolves rays with tiny `x` or `y`).
fn pow_reference(v: &[f64], a: f64) -> Vec<f64> {
    if in_cone(&SupportedCone::Power(a), v, 0.0) {
        return v.to_vec();
    }
    let face = vec![v[0].max(0.0), v[1].max(0.0), 0.0];
    let sg = if v[2] < 0.0 { -1.0 } else { 1.0 };
    let ray = move |th: f64| {
        let (s, c) = (1.0 / (1.0 + (-th).exp()), 1.0 / (1.0 + th.exp()));
        vec![s, c, sg * geo(s, c, a)]
    };
    let dray = move |th: f64| {
        let (s, c) = (1.0 / (1.0 + (-th).exp()), 1.0 / (1.0 + th.exp()));
        let g = geo(s, c, a);
        let ds = s * c;
        vec![ds, -ds, sg * g * (a * c - (1.0 - a) * s)]
    };
    let (d, p) = best_on_rays(v, &ray, &dray, -80.0, 80.0, 32000);
    if d < norm(&sub(v, &face)) {
        p
    } else {
        face
    }
}

#[test]
fn exp_matches_brute_force() {
    let c = SupportedCone::Exponential;
    let mut rng = Rng::new(6);
    let (mut worst_d, mut worst_p): (f64, f64) = (0.0, 0.0);
    for _ in 0..1500 {
        let x = random_point(&mut rng, &c);
        let nx = norm(&x);
        let x1 = scaled(1.0 / nx, &x); // the reference works at unit scale
        let p = pr(&c, &x1);
        let r = exp_reference(&x1);
        let (dp, dr) = (norm(&sub(&x1, &p)), norm(&sub(&x1, &r)));
        assert!(
            dp <= dr + 1e-13,
            "x={x1:?}: {dp} > reference {dr} (p={p:?}, ref={r:?})"
        );
        let rho = p[0] / p[1];
        if !(p[1] > 0.0 && rho.abs() > 35.0) {
            let e = norm(&sub(&p, &r));
            worst_d = worst_d.max(dr - dp);
            worst_p = worst_p.max(e);
            assert!(e <= 1e-7, "x={x1:?}: p={p:?} ref={r:?} (|Δ| = {e:.2e})");
        }
        // Homogeneity: Π(x) = ‖x‖·Π(x/‖x‖).
        let px = pr(&c, &x);
        assert!(norm(&sub(&px, &scaled(nx, &p))) <= 1e-14 * nx);
    }
    eprintln!("exp vs brute force: worst distance gap {worst_d:.2e}, worst point difference {worst_p:.2e}");
}

#[test]
fn pow_matches_brute_force() {
    let mut rng = Rng::new(7);
    let (mut worst_d, mut worst_p): (f64, f64) = (0.0, 0.0);
    for k in 0..1500 {
        let a = [0.1, 0.3, 0.5, 0.6, 0.9][k % 5];
        let c = SupportedCone::Power(a);
        let x = random_point(&mut rng, &c);
        let nx = norm(&x);
        let x1 = scaled(1.0 / nx, &x);
        let p = pr(&c, &x1);
        let r = pow_reference(&x1, a);
        let (dp, dr) = (norm(&sub(&x1, &p)), norm(&sub(&x1, &r)));
        assert!(
            dp <= dr + 1e-13,
            "α={a} x={x1:?}: {dp} > reference {dr} (p={p:?}, ref={r:?})"
        );
        // The reference resolves rays with x/y ∈ [e^{−80}, e^{80}] only.
        if p[0].min(p[1]) > 1e-33 * norm(&p) || p[2] == 0.0 {
            let e = norm(&sub(&p, &r));
            worst_d = worst_d.max(dr - dp);
            worst_p = worst_p.max(e);
            // The reference point is only as accurate as a 1-D search on the
            // distance (≈ √ε in the ray parameter); `exp_pow_stationarity`
            // checks the optimality conditions to full precision.
            assert!(
                e <= 1e-7,
                "α={a} x={x1:?}: p={p:?} ref={r:?} (|Δ| = {e:.2e})"
            );
        }
        let px = pr(&c, &x);
        assert!(norm(&sub(&px, &scaled(nx, &p))) <= 1e-14 * nx);
    }
    eprintln!("pow vs brute force: worst distance gap {worst_d:.2e}, worst point difference {worst_p:.2e}");
}

fn cross(a: &[f64], b: &[f64]) -> Vec<f64> {
    vec![
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn unit(a: &[f64]) -> Vec<f64> {
    scaled(1.0 / norm(a), a)
}

/// Full-precision optimality check of the exponential and power cone
/// projections on the curved part of the boundary: `p` is on the surface
/// `g(p) = 0` and `v − p` is a nonnegative multiple of the outward normal
/// `∇g(p)` (`exp`: `g = y·e^{x/y} − z`, `∇g ∝ (1, 1 − ρ, −e^{−ρ})`;
/// `pow`: `g = |z| − x^α y^(1−α)`, `∇g = (−α|z|/x, −(1−α)|z|/y, sign z)`).
#[test]
fn exp_pow_stationarity() {
    let mut rng = Rng::new(16);
    let mut worst: f64 = 0.0;
    let mut tested = 0;
    for k in 0..20000 {
        let a = [0.1, 0.3, 0.5, 0.6, 0.9][k % 5];
        let c = if k % 2 == 0 {
            SupportedCone::Exponential
        } else {
            SupportedCone::Power(a)
        };
        let v = random_point(&mut rng, &c);
        let p = pr(&c, &v);
        let d = sub(&v, &p);
        let (nv, np, nd) = (norm(&v), norm(&p), norm(&d));
        if np <= 1e-8 * nv || nd <= 1e-8 * nv {
            continue; // p = 0 or p = v
        }
        let n = match c {
            SupportedCone::Exponential => {
                if p[1] <= 0.0 {
                    continue; // face y = 0
                }
                let rho = p[0] / p[1];
                // surface: y·e^ρ = z
                assert!(
                    (p[1] * rho.exp() - p[2]).abs()
                        <= 1e-14 * p[2].abs().max(1e-300) * (1.0 + rho.abs())
                );
                // ∇g ∝ (1, 1 − ρ, −e^{−ρ}), scaled to stay finite
                let s = rho.abs().max(1.0);
                if rho >= 0.0 {
                    vec![1.0 / s, (1.0 - rho) / s, -(-rho).exp() / s]
                } else {
                    let e = rho.exp();
                    vec![e / s, (1.0 - rho) * e / s, -1.0 / s]
                }
            }
            _ => {
                if p[2] == 0.0 || p[0] <= 0.0 || p[1] <= 0.0 {
                    continue; // face z = 0
                }
                let r = p[2].abs();
                assert!((geo(p[0], p[1], a) - r).abs() <= 1e-13 * r, "{v:?} ↦ {p:?}");
                // ∇g·xy/r = (−α y, −(1−α) x, sign(z)·xy/r)
                vec![
                    -a * p[1],
                    -(1.0 - a) * p[0],
                    p[2].signum() * p[0] * (p[1] / r),
                ]
            }
        };
        let (ud, un) = (unit(&d), unit(&n));
        // v − p is computed from coordinates of size ‖v‖: its direction is
        // only known to ≈ ε‖v‖/‖v − p‖.
        let err = norm(&cross(&ud, &un)) / (1.0 + 10.0 * f64::EPSILON * nv / nd / 1e-11);
        assert!(
            dot(&ud, &un) > 0.0,
            "{c:?}: v − p not along +∇g: v={v:?} p={p:?}"
        );
        worst = worst.max(err);
        tested += 1;
        assert!(
            err <= 1e-11,
            "{c:?}: v={v:?} p={p:?}: ∠(v − p, ∇g) = {err:.2e}"
        );
    }
    eprintln!("stationarity: {tested} curved-boundary projections, worst angle {worst:.2e}");
    assert!(tested > 5000);
}

/// Friberg's (2021) stress grid: every `(x, y, z)` with coordinates in
/// `{0, ±e^k : k = −20, …, 21}` (85³ points spanning 18 orders of
/// magnitude), for the exponential cone and three power cones: Moreau
/// conditions to relative accuracy 1e-12 (membership of both parts by
/// distance, orthogonality) and finite derivatives.
#[test]
fn exp_pow_friberg_grid() {
    let mut domain = vec![0.0];
    for k in -20..=21 {
        let e = (k as f64).exp();
        domain.push(e);
        domain.push(-e);
    }
    for c in [
        SupportedCone::Exponential,
        SupportedCone::Power(0.2),
        SupportedCone::Power(0.5),
        SupportedCone::Power(0.85),
    ] {
        let (mut worst_gap, mut worst_dot): (f64, f64) = (0.0, 0.0);
        let mut j = [0.0; 3];
        for &x in &domain {
            for &y in &domain {
                for &z in &domain {
                    let v = [x, y, z];
                    let nv = norm(&v);
                    let p = pr(&c, &v);
                    let d = sub(&v, &p);
                    let gap = cone_gap(&c, &p).max(dual_gap(&c, &neg(&d))) / nv.max(1e-300);
                    let dt = dot(&p, &d).abs() / (nv * nv).max(1e-300);
                    worst_gap = worst_gap.max(gap);
                    worst_dot = worst_dot.max(dt);
                    assert!(
                        gap <= 1e-12 && dt <= 1e-13,
                        "{c:?}: {v:?} ↦ {p:?} (gap {gap:.1e}, dot {dt:.1e})"
                    );
                    project_jvp(&c, &v, &[1.0, -0.5, 0.25], &mut j);
                    assert!(j.iter().all(|t| t.is_finite()), "{c:?}: DΠ({v:?}) = {j:?}");
                }
            }
        }
        eprintln!("{c:?} grid: worst relative membership gap {worst_gap:.1e}, worst |⟨Π, Π°⟩|/‖v‖² {worst_dot:.1e}");
    }
}

/// Coordinates of independent, log-uniform magnitudes in `[1e-150, 1e150]`
/// (random signs, some exact zeros): finite projections and derivatives,
/// and the Moreau conditions to relative accuracy 1e-12, for the cone and
/// its dual.
#[test]
fn exp_pow_extreme_magnitudes() {
    let mut rng = Rng::new(17);
    let mut worst: f64 = 0.0;
    for k in 0..200_000 {
        let mut v = [0.0; 3];
        for t in v.iter_mut() {
            if rng.uniform() < 0.05 {
                continue;
            }
            let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
            *t = sign * rng.magnitude(-150.0, 150.0);
        }
        let nv = norm(&v);
        if nv == 0.0 {
            continue;
        }
        let c = if k % 2 == 0 {
            SupportedCone::Exponential
        } else {
            SupportedCone::Power(0.02 + 0.96 * rng.uniform())
        };
        let dx = rng.normals(3);
        for dual in [false, true] {
            let p = proj_side(&c, dual, &v);
            let j = jvp_side(&c, dual, &v, &dx);
            assert!(
                p.iter().chain(&j).all(|t| t.is_finite()),
                "{c:?} dual={dual}: {v:?} ↦ {p:?}, {j:?}"
            );
            let d = sub(&v, &p);
            let (g1, g2) = if dual {
                (dual_gap(&c, &p), cone_gap(&c, &neg(&d)))
            } else {
                (cone_gap(&c, &p), dual_gap(&c, &neg(&d)))
            };
            let err = (g1.max(g2) / nv).max(10.0 * dot(&p, &d).abs() / (nv * nv));
            worst = worst.max(err);
            assert!(err <= 1e-12, "{c:?} dual={dual}: {v:?} ↦ {p:?} ({err:.1e})");
        }
    }
    eprintln!("extreme magnitudes: worst relative Moreau defect {worst:.1e}");
}

// ---------------------------------------------------------------------------
// Derivatives
// ---------------------------------------------------------------------------

/// Central finite difference of the projection along `dx` with step `h`.
fn fd(c: &SupportedCone, dual: bool, x: &[f64], dx: &[f64], h: f64) -> Vec<f64> {
    let xp: Vec<f64> = x.iter().zip(dx).map(|(a, b)| a + h * b).collect();
    let xm: Vec<f64> = x.iter().zip(dx).map(|(a, b)| a - h * b).collect();
    scaled(
        0.5 / h,
        &sub(&proj_side(c, dual, &xp), &proj_side(c, dual, &xm)),
    )
}

/// DΠ(x)·dx against central differences, at points where two step sizes
/// agree (i.e. away from the non-differentiable sets).
#[test]
fn jvp_matches_finite_differences() {
    let mut rng = Rng::new(8);
    for c in all_cones() {
        for dual in [false, true] {
            let (mut tested, mut total) = (0, 0);
            let mut worst: f64 = 0.0;
            for _ in 0..1500 {
                let x = random_point(&mut rng, &c);
                let dx = rng.normals(c.dim());
                let h = 1e-5 * norm(&x) / norm(&dx);
                total += 1;
                let f1 = fd(&c, dual, &x, &dx, h);
                let f2 = fd(&c, dual, &x, &dx, 0.25 * h);
                let sc = norm(&dx);
                // Skip points near a kink: the two central differences must
                // agree, and so must the one-sided ones (a piecewise-linear
                // kink, e.g. on the boundary of a polyhedral or second-order
                // cone, fools central differences of any step).
                let p0 = proj_side(&c, dual, &x);
                let xp: Vec<f64> = x.iter().zip(&dx).map(|(a, b)| a + 0.25 * h * b).collect();
                let fwd = scaled(4.0 / h, &sub(&proj_side(&c, dual, &xp), &p0));
                if norm(&sub(&f1, &f2)) > 1e-7 * sc || norm(&sub(&fwd, &f2)) > 1e-3 * sc {
                    continue;
                }
                tested += 1;
                let j = jvp_side(&c, dual, &x, &dx);
                let err = norm(&sub(&j, &f2)) / sc;
                worst = worst.max(err);
                assert!(
                    err <= 1e-5,
                    "{c:?} dual={dual}: x={x:?} dx={dx:?}: jvp={j:?} fd={f2:?}"
                );
            }
            eprintln!("{c:?} dual={dual}: {tested}/{total} points tested, worst relative error {worst:.1e}");
            assert!(
                tested * 10 >= total * 7,
                "{c:?}: only {tested}/{total} smooth points"
            );
        }
    }
}

/// Directional derivatives at points whose projection is on the curved part
/// of the exponential / power cone boundary (the non-trivial case), at
/// several scales.
#[test]
fn jvp_on_curved_boundary_pieces() {
    let mut rng = Rng::new(9);
    for c in [
        SupportedCone::Exponential,
        SupportedCone::Power(0.25),
        SupportedCone::Power(0.7),
    ] {
        let mut count = 0;
        let mut worst: f64 = 0.0;
        while count < 500 {
            // p on the boundary plus a normal-ish offset outside K.
            let q = random_cone_point(&mut rng, &c);
            let x = add(&q, &scaled(norm(&q) * rng.uniform(), &rng.normals(3)));
            let p = pr(&c, &x);
            let on_curve = match c {
                SupportedCone::Exponential => {
                    p[1] > 1e-3 * norm(&p) && norm(&sub(&x, &p)) > 1e-3 * norm(&x)
                }
                _ => {
                    p[0] > 1e-3 * norm(&p)
                        && p[1] > 1e-3 * norm(&p)
                        && p[2].abs() > 1e-3 * norm(&p)
                        && norm(&sub(&x, &p)) > 1e-3 * norm(&x)
                }
            };
            if !on_curve {
                continue;
            }
            let s = rng.magnitude(-100.0, 100.0);
            let x = scaled(s, &x);
            count += 1;
            for dual in [false, true] {
                let dx = rng.normals(3);
                let h = 1e-5 * norm(&x) / norm(&dx);
                let f2 = fd(&c, dual, &x, &dx, 0.25 * h);
                let j = jvp_side(&c, dual, &x, &dx);
                let err = norm(&sub(&j, &f2)) / norm(&dx);
                worst = worst.max(err);
                assert!(
                    err <= 1e-5,
                    "{c:?} dual={dual}: x={x:?}: jvp={j:?} fd={f2:?}"
                );
            }
        }
        eprintln!("{c:?}: curved boundary, worst relative JVP error {worst:.1e}");
    }
}

/// DΠ(x) is symmetric with eigenvalues in [0, 1]: ⟨a, DΠ b⟩ = ⟨DΠ a, b⟩ and
/// 0 ≤ ⟨a, DΠ a⟩ ≤ ‖a‖²; the dual derivative equals I − DΠ_K(−x).
#[test]
fn jvp_symmetric_and_contractive() {
    let mut rng = Rng::new(10);
    for c in all_cones() {
        for _ in 0..500 {
            let x = random_point(&mut rng, &c);
            let (a, b) = (rng.normals(c.dim()), rng.normals(c.dim()));
            for dual in [false, true] {
                let (ja, jb) = (jvp_side(&c, dual, &x, &a), jvp_side(&c, dual, &x, &b));
                let tol = 1e-12 * norm(&a) * norm(&b);
                assert!(
                    (dot(&a, &jb) - dot(&ja, &b)).abs() <= tol,
                    "{c:?} dual={dual} not symmetric at {x:?}"
                );
                let q = dot(&a, &ja);
                assert!(
                    q >= -1e-12 * dot(&a, &a) && q <= dot(&a, &a) * (1.0 + 1e-12),
                    "{c:?} {x:?}: {q}"
                );
                assert!(norm(&ja) <= norm(&a) * (1.0 + 1e-12));
            }
            let jd = jvpd(&c, &x, &a);
            let jm = jvp(&c, &neg(&x), &a);
            assert!(
                norm(&sub(&add(&jd, &jm), &a)) <= 1e-13 * norm(&a),
                "{c:?}: DΠ*(x) ≠ I − DΠ(−x)"
            );
        }
    }
}

/// Closed forms of the SOC and PSD derivatives at specific points.
#[test]
fn jvp_known_values() {
    let soc = SupportedCone::SecondOrder(3);
    // x = (0, 3, 4): t = 0, r = 5, ū = (0.6, 0.8): D = ½[[1, ūᵀ], [ū, I]].
    let j = jvp(&soc, &[0.0, 3.0, 4.0], &[1.0, 0.0, 0.0]);
    assert!(norm(&sub(&j, &[0.5, 0.3, 0.4])) < 1e-15);
    let j = jvp(&soc, &[0.0, 3.0, 4.0], &[0.0, -0.8, 0.6]);
    assert!(norm(&sub(&j, &[0.0, -0.4, 0.3])) < 1e-15);
    // At the origin: ½I for every cone but the zero cone.
    for c in all_cones() {
        let d = c.dim();
        let dx: Vec<f64> = (0..d).map(|i| i as f64 + 1.0).collect();
        let j = jvp(&c, &vec![0.0; d], &dx);
        let expect = if matches!(c, SupportedCone::Zero(_)) {
            vec![0.0; d]
        } else {
            scaled(0.5, &dx)
        };
        assert!(norm(&sub(&j, &expect)) < 1e-15 * norm(&dx), "{c:?}: {j:?}");
    }
    // PSD: X = diag(3, −1): B = [[1, 3/4], [3/4, 0]].
    let psd = SupportedCone::PositiveSemidefinite(2);
    let j = jvp(&psd, &[3.0, 0.0, -1.0], &[1.0, 1.0, 1.0]);
    assert!(norm(&sub(&j, &[1.0, 0.75, 0.0])) < 1e-15, "{j:?}");
}

// ---------------------------------------------------------------------------
// Products and the Projector
// ---------------------------------------------------------------------------

#[test]
fn product_functions_and_projector_agree_with_blocks() {
    let cones = all_cones();
    let dim: usize = cones.iter().map(|c| c.dim()).sum();
    let mut rng = Rng::new(11);
    let mut proj = Projector::new(&cones);
    assert_eq!(proj.dim(), dim);
    assert_eq!(proj.cones(), &cones[..]);
    for _ in 0..50 {
        let mut x = Vec::with_capacity(dim);
        for c in &cones {
            x.extend(random_point(&mut rng, c));
        }
        let dx = rng.normals(dim);
        // Blockwise references.
        let (mut p, mut pd, mut j, mut jd) = (vec![], vec![], vec![], vec![]);
        let mut off = 0;
        for c in &cones {
            let r = off..off + c.dim();
            p.extend(pr(c, &x[r.clone()]));
            pd.extend(prd(c, &x[r.clone()]));
            j.extend(jvp(c, &x[r.clone()], &dx[r.clone()]));
            jd.extend(jvpd(c, &x[r.clone()], &dx[r.clone()]));
            off += c.dim();
        }
        let mut o = vec![0.0; dim];
        let close = |a: &[f64], b: &[f64]| norm(&sub(a, b)) <= 1e-14 * (norm(b) + 1e-300);
        project_product(&cones, &x, &mut o);
        assert!(close(&o, &p));
        project_dual_product(&cones, &x, &mut o);
        assert!(close(&o, &pd));
        project_product_jvp(&cones, &x, &dx, &mut o);
        assert!(close(&o, &j));
        project_dual_product_jvp(&cones, &x, &dx, &mut o);
        assert!(close(&o, &jd));

        proj.project(&x, &mut o);
        assert!(close(&o, &p));
        proj.project_dual(&x, &mut o);
        assert!(close(&o, &pd));
        proj.project_jvp(&x, &dx, &mut o);
        assert!(close(&o, &j));
        proj.project_dual_jvp(&x, &dx, &mut o);
        assert!(close(&o, &jd));
        let mut y = x.clone();
        proj.project_in_place(Side::Primal, &mut y);
        assert!(close(&y, &p));
        let mut y = x.clone();
        proj.project_in_place(Side::Dual, &mut y);
        assert!(close(&y, &pd));

        // One linearization, several directions (and linearity in dx).
        let mut q = vec![0.0; dim];
        proj.linearize(Side::Dual, &x, &mut q);
        assert!(close(&q, &pd));
        proj.apply_derivative(&dx, &mut o);
        assert!(close(&o, &jd));
        let dx2 = rng.normals(dim);
        let mut o2 = vec![0.0; dim];
        proj.apply_derivative(&dx2, &mut o2);
        let mut o3 = vec![0.0; dim];
        proj.apply_derivative(&add(&dx, &scaled(2.0, &dx2)), &mut o3);
        assert!(norm(&sub(&o3, &add(&o, &scaled(2.0, &o2)))) <= 1e-13 * norm(&o3));
        proj.linearize(Side::Primal, &x, &mut q);
        assert!(close(&q, &p));
        // Projections of other points do not disturb the linearization.
        let other: Vec<f64> = x.iter().map(|t| -2.0 * t + 0.5).collect();
        proj.project(&other, &mut q);
        proj.project_dual(&other, &mut q);
        proj.apply_derivative(&dx, &mut o);
        assert!(close(&o, &j));
    }
}

#[test]
#[should_panic(expected = "before Projector::linearize")]
fn apply_derivative_requires_linearize() {
    let mut proj = Projector::new(&[SupportedCone::Nonnegative(2)]);
    proj.apply_derivative(&[1.0, 1.0], &mut [0.0; 2]);
}

#[test]
#[should_panic(expected = "dimension")]
fn wrong_length_panics() {
    project(&SupportedCone::SecondOrder(3), &[1.0, 2.0], &mut [0.0; 2]);
}

#[test]
fn psd_workspace_reuse() {
    let mut rng = Rng::new(12);
    let n = 6;
    let c = SupportedCone::PositiveSemidefinite(n);
    let mut ws = PsdWorkspace::new(n);
    assert_eq!((ws.n(), ws.dim()), (n, triangle_dim(n)));
    for _ in 0..20 {
        let x = random_point(&mut rng, &c);
        let dx = rng.normals(ws.dim());
        let mut p = vec![0.0; ws.dim()];
        ws.linearize(&x, &mut p);
        assert!(norm(&sub(&p, &pr(&c, &x))) <= 1e-14 * norm(&x));
        let mut other = vec![0.0; ws.dim()];
        ws.project(&rng.normals(ws.dim()), &mut other); // keeps the linearization
        let mut j = vec![0.0; ws.dim()];
        ws.apply_derivative(&dx, &mut j);
        assert!(norm(&sub(&j, &jvp(&c, &x, &dx))) <= 1e-14 * norm(&dx));
    }
}

/// After construction (and a warm-up call for faer's lazy one-time state),
/// the projector allocates nothing.
#[test]
fn projector_does_not_allocate() {
    let mut cones = all_cones();
    cones.push(SupportedCone::PositiveSemidefinite(30));
    let dim: usize = cones.iter().map(|c| c.dim()).sum();
    let mut rng = Rng::new(13);
    let mut x = Vec::with_capacity(dim);
    for c in &cones {
        x.extend(random_point(&mut rng, c));
    }
    let dx = rng.normals(dim);
    let mut out = vec![0.0; dim];
    let mut y = x.clone();
    let mut proj = Projector::new(&cones);
    let mut round = |proj: &mut Projector| {
        proj.project(&x, &mut out);
        proj.project_dual(&x, &mut out);
        y.copy_from_slice(&x);
        proj.project_in_place(Side::Primal, &mut y);
        proj.linearize(Side::Primal, &x, &mut out);
        proj.apply_derivative(&dx, &mut out);
        proj.linearize(Side::Dual, &x, &mut out);
        proj.apply_derivative(&dx, &mut out);
        proj.project_jvp(&x, &dx, &mut out);
        proj.project_dual_jvp(&x, &dx, &mut out);
    };
    round(&mut proj); // warm-up
    let before = allocations();
    round(&mut proj);
    let count = allocations() - before;
    assert_eq!(
        count, 0,
        "{count} allocations in a round of projector operations"
    );
}

// ---------------------------------------------------------------------------
// Edge cases
// ---------------------------------------------------------------------------

/// Special points of each cone: zero, unit vectors, boundary points of K and
/// of K°, exact face points.
fn special_points(c: &SupportedCone) -> Vec<Vec<f64>> {
    let d = c.dim();
    let mut pts = vec![vec![0.0; d]];
    for i in 0..d {
        for s in [1.0, -1.0] {
            let mut e = vec![0.0; d];
            e[i] = s;
            pts.push(e);
        }
    }
    pts.push(vec![1.0; d]);
    pts.push(vec![-1.0; d]);
    let e = std::f64::consts::E;
    match *c {
        SupportedCone::SecondOrder(d) if d > 1 => {
            let mut b = vec![0.0; d];
            b[0] = 1.0;
            b[1] = 1.0;
            pts.push(b.clone());
            b[0] = -1.0;
            pts.push(b);
        }
        SupportedCone::Exponential => {
            pts.extend([
                vec![0.0, 1.0, 1.0],
                vec![1.0, 1.0, e],
                vec![-1.0, 1.0, 1.0 / e],
                vec![-1.0, 0.0, 1.0],
                vec![-1.0, 0.0, 0.0],
                vec![0.0, 0.0, 1.0],
                vec![1.0, 0.0, -1.0],
                vec![1.0, -1.0, -(-2f64).exp()], // boundary of K° (z = −x·e^{y/x − 1})
                vec![1.0, 1.0, -1.0],
                vec![0.0, -1.0, -1.0],
                vec![1.0, 1e-300, 1.0],
                vec![1e-300, 1.0, 1.0],
                vec![-1e-300, -1e-300, 1.0],
                vec![700.0, 1.0, 1.0],
                vec![-700.0, 1.0, 1.0],
                vec![1.0, -700.0, 1.0],
                vec![1.0, 1.0, 1e-300],
            ]);
        }
        SupportedCone::Power(a) => {
            pts.extend([
                vec![1.0, 1.0, 1.0],
                vec![1.0, 1.0, -1.0],
                vec![-a, -(1.0 - a), 1.0], // on the boundary of K°
                vec![1.0, 0.0, 0.0],
                vec![-1.0, 1.0, 0.0],
                vec![1.0, -1.0, 0.0],
                vec![0.0, 0.0, 1.0],
                vec![1e-300, 1.0, 0.5],
                vec![1.0, 1e-300, 0.5],
                vec![-1.0, -1.0, 1e-300],
                vec![-1.0, 1.0, 1e-300],
            ]);
        }
        SupportedCone::PositiveSemidefinite(n) if n > 1 => {
            let mut m = vec![0.0; n * n];
            m[0] = 1.0; // rank one: on the boundary
            pts.push(to_svec(n, &m));
            let mut m = vec![1.0; n * n]; // rank one
            pts.push(to_svec(n, &m));
            for v in m.iter_mut() {
                *v = -*v;
            }
            pts.push(to_svec(n, &m));
        }
        _ => {}
    }
    pts
}

#[test]
fn edge_cases_are_finite_and_homogeneous() {
    let mut rng = Rng::new(14);
    for c in all_cones() {
        let mut pts = special_points(&c);
        for _ in 0..50 {
            pts.push(random_point(&mut rng, &c));
        }
        for x in &pts {
            let nx = norm(x);
            let dx = rng.normals(c.dim());
            let p1 = pr(&c, x);
            let q1 = prd(&c, x);
            for s in [1.0, 1e150, 1e-150, 1e300, 1e-300] {
                let xs = scaled(s, x);
                let (p, q) = (pr(&c, &xs), prd(&c, &xs));
                let (j, jd) = (jvp(&c, &xs, &dx), jvpd(&c, &xs, &dx));
                for v in [&p, &q, &j, &jd] {
                    assert!(
                        v.iter().all(|t| t.is_finite()),
                        "{c:?} s={s:e}: {x:?} ↦ {v:?}"
                    );
                }
                let tol = 1e-12 * s * nx + 1e-300 * s.min(1.0);
                if (1e-150..=1e150).contains(&s) {
                    // Homogeneity: Π(s·x) = s·Π(x).
                    assert!(
                        norm(&sub(&p, &scaled(s, &p1))) <= 1e-13 * s * nx,
                        "{c:?} s={s:e} x={x:?}: {p:?} vs {p1:?}"
                    );
                    assert!(
                        norm(&sub(&q, &scaled(s, &q1))) <= 1e-13 * s * nx,
                        "{c:?} s={s:e} x={x:?}"
                    );
                    assert!(in_cone(&c, &p, tol), "{c:?} s={s:e}: {p:?} ∉ K");
                    assert!(in_dual(&c, &q, tol), "{c:?} s={s:e}: {q:?} ∉ K*");
                }
            }
        }
    }
}

/// Points of K are fixed (exactly, or up to rounding for PSD), points of K°
/// map to 0; the derivative is I inside K and 0 inside K°.
#[test]
fn boundary_and_interior_points() {
    let mut rng = Rng::new(15);
    for c in all_cones() {
        for _ in 0..300 {
            let q = random_cone_point(&mut rng, &c);
            let p = pr(&c, &q);
            assert!(
                norm(&sub(&p, &q)) <= 1e-13 * norm(&q),
                "{c:?}: {q:?} ↦ {p:?}"
            );
            let z = random_dual_point(&mut rng, &c);
            let p = pr(&c, &neg(&z));
            assert!(norm(&p) <= 1e-13 * norm(&z), "{c:?}: −{z:?} ↦ {p:?}");
            let pd = prd(&c, &z);
            assert!(
                norm(&sub(&pd, &z)) <= 1e-13 * norm(&z),
                "{c:?}: Π*({z:?}) = {pd:?}"
            );
        }
    }
    // Derivative in the interiors (strictly inside by construction).
    let e = SupportedCone::Exponential;
    let dx = [0.3, -0.2, 0.7];
    assert_eq!(jvp(&e, &[0.0, 1.0, 2.0], &dx), dx.to_vec());
    assert_eq!(jvp(&e, &[1.0, 0.0, -2.0], &dx), vec![0.0; 3]);
    let pw = SupportedCone::Power(0.4);
    assert_eq!(jvp(&pw, &[1.0, 1.0, 0.5], &dx), dx.to_vec());
    assert_eq!(jvp(&pw, &[-1.0, -1.0, 0.5], &dx), vec![0.0; 3]);
}
