//! Positive semidefinite cone in the interior-point method: SDPs with known
//! solutions and planted-KKT random problems with PSD blocks.
#![allow(clippy::needless_range_loop)]

use lpgd_solver::cones::svec::{index, to_svec, triangle_dim};
use lpgd_solver::{
    CscMatrix, ProblemData, Settings, Solution, Solver, Start, Status, SupportedCone,
};
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::f64::consts::SQRT_2;

/// Counts allocations made by the current thread (tests run in parallel).
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

fn solve(prob: ProblemData) -> Solution {
    Solver::new(prob, Settings::default()).unwrap().solve()
}

fn dense_to_csc(rows: usize, cols: usize, d: &[Vec<f64>]) -> CscMatrix {
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

/// Small deterministic generator (tests must not depend on a rand crate).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn uniform(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// A random orthogonal `k × k` matrix (column-major), by Gram-Schmidt
/// (twice) on a Gaussian matrix.
fn random_orthogonal(rng: &mut Lcg, k: usize) -> Vec<f64> {
    let mut q: Vec<f64> = (0..k * k).map(|_| rng.normal()).collect();
    for j in 0..k {
        for _ in 0..2 {
            for p in 0..j {
                let d: f64 = (0..k).map(|i| q[i + p * k] * q[i + j * k]).sum();
                for i in 0..k {
                    q[i + j * k] -= d * q[i + p * k];
                }
            }
        }
        let nrm = (0..k).map(|i| q[i + j * k].powi(2)).sum::<f64>().sqrt();
        for i in 0..k {
            q[i + j * k] /= nrm;
        }
    }
    q
}

/// `Q·diag(d)·Qᵀ` (column-major).
fn spectral(q: &[f64], d: &[f64]) -> Vec<f64> {
    let k = d.len();
    let mut m = vec![0.0; k * k];
    for j in 0..k {
        for i in 0..k {
            m[i + j * k] = (0..k).map(|p| q[i + p * k] * d[p] * q[j + p * k]).sum();
        }
    }
    m
}

/// Rows `−I` (so that `s = x` must lie in the cone) appended to `ad`.
fn push_identity_rows(
    ad: &mut Vec<Vec<f64>>,
    b: &mut Vec<f64>,
    n: usize,
    cols: std::ops::Range<usize>,
) {
    for j in cols {
        let mut row = vec![0.0; n];
        row[j] = -1.0;
        ad.push(row);
        b.push(0.0);
    }
}

fn report(name: &str, sol: &Solution) {
    eprintln!(
        "{name}: status {:?}, {} iterations, objective {:.12}",
        sol.status, sol.iterations, sol.objective
    );
}

#[test]
fn minimum_eigenvalue_sdp() {
    // minimize tr(CX) s.t. tr(X) = 1, X ⪰ 0 → λ_min(C), X = qqᵀ.
    let k = 4;
    let mut rng = Lcg(11);
    let q = random_orthogonal(&mut rng, k);
    let eig = [2.0, -1.5, 0.7, 3.1];
    let cmat = spectral(&q, &eig);
    let nv = triangle_dim(k);
    let c = to_svec(k, &cmat);
    let mut ad = vec![vec![0.0; nv]];
    let mut b = vec![1.0];
    for i in 0..k {
        ad[0][index(i, i)] = 1.0;
    }
    push_identity_rows(&mut ad, &mut b, nv, 0..nv);
    let prob = ProblemData::new(
        None,
        c,
        dense_to_csc(1 + nv, nv, &ad),
        b,
        vec![
            SupportedCone::Zero(1),
            SupportedCone::PositiveSemidefinite(k),
        ],
    )
    .unwrap();
    let sol = solve(prob);
    report("min eigenvalue", &sol);
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.objective + 1.5).abs() < 1e-7, "{}", sol.objective);
    // X = q₁q₁ᵀ for the eigenvector of −1.5.
    let expect = to_svec(k, &spectral(&q, &[0.0, 1.0, 0.0, 0.0]));
    for (a, e) in sol.x.iter().zip(&expect) {
        assert!((a - e).abs() < 1e-5, "{:?} vs {expect:?}", sol.x);
    }
    assert!(sol.iterations <= 25, "{} iterations", sol.iterations);
}

/// minimize ‖X − G‖²_F s.t. diag(X) = 1, X ⪰ 0 for `G` with unit diagonal
/// and all off-diagonal entries `a`. The problem is strictly convex and
/// invariant under simultaneous permutations, so `X = (1 − t)I + t·11ᵀ`
/// with `t` the projection of `a` onto `[−1/(k−1), 1]`.
fn equicorrelation(k: usize, a: f64) -> (Solution, Vec<f64>, f64) {
    let nv = triangle_dim(k);
    let mut g = vec![a; k * k];
    for i in 0..k {
        g[i + i * k] = 1.0;
    }
    let gv = to_svec(k, &g);
    // ‖x − g‖² = ½xᵀ(2I)x − 2gᵀx + ‖g‖².
    let p = dense_to_csc(
        nv,
        nv,
        &(0..nv)
            .map(|i| (0..nv).map(|j| if i == j { 2.0 } else { 0.0 }).collect())
            .collect::<Vec<_>>(),
    );
    let c: Vec<f64> = gv.iter().map(|v| -2.0 * v).collect();
    let mut ad = vec![];
    let mut b = vec![];
    for i in 0..k {
        let mut row = vec![0.0; nv];
        row[index(i, i)] = 1.0;
        ad.push(row);
        b.push(1.0);
    }
    push_identity_rows(&mut ad, &mut b, nv, 0..nv);
    let mut prob = ProblemData::new(
        Some(p),
        c,
        dense_to_csc(k + nv, nv, &ad),
        b,
        vec![
            SupportedCone::Zero(k),
            SupportedCone::PositiveSemidefinite(k),
        ],
    )
    .unwrap();
    prob.obj_constant = gv.iter().map(|v| v * v).sum();
    let t = a.clamp(-1.0 / (k as f64 - 1.0), 1.0);
    let mut x = vec![t; k * k];
    for i in 0..k {
        x[i + i * k] = 1.0;
    }
    let objective = (k * (k - 1)) as f64 * (t - a).powi(2);
    (solve(prob), to_svec(k, &x), objective)
}

#[test]
fn nearest_correlation_matrix() {
    for (k, a) in [(4, -0.6), (3, 1.5), (5, 0.4)] {
        let (sol, x, objective) = equicorrelation(k, a);
        report(&format!("nearest correlation k={k} a={a}"), &sol);
        assert_eq!(sol.status, Status::Solved, "k={k} a={a}");
        assert!(
            (sol.objective - objective).abs() < 1e-7 * objective.max(1.0),
            "k={k} a={a}: {} vs {objective}",
            sol.objective
        );
        for (u, v) in sol.x.iter().zip(&x) {
            assert!((u - v).abs() < 1e-5, "k={k} a={a}: {:?} vs {x:?}", sol.x);
        }
    }
}

#[test]
fn psd_with_nonnegative_and_soc_blocks() {
    // minimize x₁ + x₂ + x₃ s.t. [[x₁, 1], [1, x₂]] ⪰ 0, x₁ ≥ 2,
    // ‖(x₂, ½)‖ ≤ x₃. All three are active: x = (2, ½, √½), objective 2.5 + √½.
    let ad = vec![
        vec![-1.0, 0.0, 0.0], // PSD: X₁₁ = x₁
        vec![0.0, 0.0, 0.0],  //      √2·X₁₂ = √2
        vec![0.0, -1.0, 0.0], //      X₂₂ = x₂
        vec![-1.0, 0.0, 0.0], // x₁ − 2 ≥ 0
        vec![0.0, 0.0, -1.0], // SOC (x₃, x₂, ½)
        vec![0.0, -1.0, 0.0],
        vec![0.0, 0.0, 0.0],
    ];
    let b = vec![0.0, SQRT_2, 0.0, -2.0, 0.0, 0.0, 0.5];
    let prob = ProblemData::new(
        None,
        vec![1.0, 1.0, 1.0],
        dense_to_csc(7, 3, &ad),
        b,
        vec![
            SupportedCone::PositiveSemidefinite(2),
            SupportedCone::Nonnegative(1),
            SupportedCone::SecondOrder(3),
        ],
    )
    .unwrap();
    let sol = solve(prob);
    report("psd + nonneg + soc", &sol);
    assert_eq!(sol.status, Status::Solved);
    let expect = 2.5 + 0.5f64.sqrt();
    assert!((sol.objective - expect).abs() < 1e-7, "{}", sol.objective);
    for (u, v) in sol.x.iter().zip(&[2.0, 0.5, 0.5f64.sqrt()]) {
        assert!((u - v).abs() < 1e-6, "{:?}", sol.x);
    }
}

/// Edges of the 5-cycle.
fn c5_edges() -> Vec<(usize, usize)> {
    (0..5).map(|i| (i, (i + 1) % 5)).collect()
}

#[test]
fn lovasz_theta_of_the_five_cycle() {
    // ϑ(C₅) = max ⟨J, X⟩ s.t. tr X = 1, X_ij = 0 on edges, X ⪰ 0 = √5.
    let k = 5;
    let nv = triangle_dim(k);
    let c: Vec<f64> = to_svec(k, &[1.0; 25]).iter().map(|v| -v).collect();
    let mut ad = vec![vec![0.0; nv]];
    let mut b = vec![1.0];
    for i in 0..k {
        ad[0][index(i, i)] = 1.0;
    }
    for (i, j) in c5_edges() {
        let mut row = vec![0.0; nv];
        row[index(i, j)] = 1.0;
        ad.push(row);
        b.push(0.0);
    }
    let rows = ad.len();
    push_identity_rows(&mut ad, &mut b, nv, 0..nv);
    let prob = ProblemData::new(
        None,
        c,
        dense_to_csc(rows + nv, nv, &ad),
        b,
        vec![
            SupportedCone::Zero(rows),
            SupportedCone::PositiveSemidefinite(k),
        ],
    )
    .unwrap();
    let sol = solve(prob);
    report("theta(C5)", &sol);
    assert_eq!(sol.status, Status::Solved);
    assert!(
        (sol.objective + 5f64.sqrt()).abs() < 1e-7,
        "{}",
        sol.objective
    );
}

#[test]
fn max_cut_relaxation_of_the_five_cycle() {
    // max Σ_edges (1 − X_ij)/2 s.t. diag X = 1, X ⪰ 0 = (25 + 5√5)/8
    // (unit vectors 4π/5 apart around a circle).
    let k = 5;
    let nv = triangle_dim(k);
    let mut c = vec![0.0; nv];
    for (i, j) in c5_edges() {
        // X_ij = x_(ij)/√2.
        c[index(i, j)] = 0.5 / SQRT_2;
    }
    let mut ad = vec![];
    let mut b = vec![];
    for i in 0..k {
        let mut row = vec![0.0; nv];
        row[index(i, i)] = 1.0;
        ad.push(row);
        b.push(1.0);
    }
    push_identity_rows(&mut ad, &mut b, nv, 0..nv);
    let mut prob = ProblemData::new(
        None,
        c,
        dense_to_csc(k + nv, nv, &ad),
        b,
        vec![
            SupportedCone::Zero(k),
            SupportedCone::PositiveSemidefinite(k),
        ],
    )
    .unwrap();
    prob.obj_constant = -2.5;
    let sol = solve(prob);
    report("max-cut(C5)", &sol);
    assert_eq!(sol.status, Status::Solved);
    let expect = -(25.0 + 5.0 * 5f64.sqrt()) / 8.0;
    assert!(
        (sol.objective - expect).abs() < 1e-7,
        "{} vs {expect}",
        sol.objective
    );
}

#[test]
fn side_one_psd_blocks_are_the_orthant() {
    // maximize x + y s.t. x + 2y ≤ 4, 3x + y ≤ 6, x, y ≥ 0 → −2.8, with the
    // four inequalities as 1 × 1 PSD blocks and as one orthant.
    let ad = vec![
        vec![1.0, 2.0],
        vec![3.0, 1.0],
        vec![-1.0, 0.0],
        vec![0.0, -1.0],
    ];
    let b = vec![4.0, 6.0, 0.0, 0.0];
    let mut iterations = vec![];
    for cones in [
        vec![SupportedCone::PositiveSemidefinite(1); 4],
        vec![SupportedCone::Nonnegative(4)],
    ] {
        let prob = ProblemData::new(
            None,
            vec![-1.0, -1.0],
            dense_to_csc(4, 2, &ad),
            b.clone(),
            cones,
        )
        .unwrap();
        let sol = solve(prob);
        report("1x1 psd / orthant LP", &sol);
        assert_eq!(sol.status, Status::Solved);
        assert!((sol.objective + 2.8).abs() < 1e-7);
        assert!((sol.x[0] - 1.6).abs() < 1e-6 && (sol.x[1] - 1.2).abs() < 1e-6);
        assert!((sol.y[0] - 0.4).abs() < 1e-6 && (sol.y[1] - 0.2).abs() < 1e-6);
        iterations.push(sol.iterations);
    }
    assert_eq!(iterations[0], iterations[1]);
}

#[test]
fn psd_with_exponential_cone() {
    // The mixed problem of `psd_with_nonnegative_and_soc_blocks` plus
    // minimize t with (1, 1, t) ∈ K_exp (t ≥ e): exercises the PSD barrier
    // in the nonsymmetric path.
    let ad = vec![
        vec![-1.0, 0.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0, 0.0],
        vec![0.0, -1.0, 0.0, 0.0],
        vec![-1.0, 0.0, 0.0, 0.0],
        vec![0.0, 0.0, -1.0, 0.0],
        vec![0.0, -1.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0, -1.0],
    ];
    let b = vec![0.0, SQRT_2, 0.0, -2.0, 0.0, 0.0, 0.5, 1.0, 1.0, 0.0];
    let prob = ProblemData::new(
        None,
        vec![1.0; 4],
        dense_to_csc(10, 4, &ad),
        b,
        vec![
            SupportedCone::PositiveSemidefinite(2),
            SupportedCone::Nonnegative(1),
            SupportedCone::SecondOrder(3),
            SupportedCone::Exponential,
        ],
    )
    .unwrap();
    let sol = solve(prob);
    report("psd + exp", &sol);
    assert!(sol.status.is_solved(), "{:?}", sol.status);
    let expect = 2.5 + 0.5f64.sqrt() + std::f64::consts::E;
    assert!((sol.objective - expect).abs() < 1e-7, "{}", sol.objective);
}

#[test]
fn cone_operations_do_not_allocate() {
    use lpgd_solver::cones::{Cone, PsdCone};
    for k in [1, 3, 8, 16, 40] {
        let mut rng = Lcg(k as u64);
        let d = triangle_dim(k);
        let q = random_orthogonal(&mut rng, k);
        let ls: Vec<f64> = (0..k).map(|_| rng.uniform() + 0.1).collect();
        let lz: Vec<f64> = (0..k).map(|_| rng.uniform() + 0.1).collect();
        let s = to_svec(k, &spectral(&q, &ls));
        let q2 = random_orthogonal(&mut rng, k);
        let z = to_svec(k, &spectral(&q2, &lz));
        let dz: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let dsv: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let (mut y, mut w, mut sz, mut ss) = (vec![0.0; d], vec![0.0; d], dz.clone(), dsv.clone());
        let mut hs = vec![0.0; d * (d + 1) / 2];
        let mut zz = z.clone();
        let mut cone = PsdCone::new(k);
        // Warm-up: for larger blocks the first call through faer's dense
        // decompositions allocates once (lazy one-time state of faer / the
        // `gemm` crate, e.g. its thread-local packing slab: ~490 allocations
        // at k = 40); every later call must allocate nothing.
        assert!(cone.update_scaling(&s, &z, 1.0));
        let _ = cone.step_length(&dz, &dsv, &z, &s, 1.0);
        let before = allocations();
        assert!(cone.update_scaling(&s, &z, 1.0));
        cone.hs_values(&mut hs);
        cone.mul_hs(&mut y, &dz);
        cone.affine_ds(&mut y, &s);
        cone.delta_s_from_delta_z_offset(&mut y, &dsv, &mut w);
        cone.combined_ds_shift(&mut y, &mut sz, &mut ss, 0.1);
        let _ = cone.step_length(&dz, &dsv, &z, &s, 1.0);
        let _ = cone.barrier(&z, &s, &dz, &dsv, 0.01);
        cone.shift_to_cone(&mut zz);
        let count = allocations() - before;
        eprintln!("k={k}: {count} allocations in one round of cone operations");
        assert_eq!(count, 0, "k={k}");
    }
}

/// A planted problem: data derived from a chosen primal-dual solution.
#[derive(Debug, Clone)]
struct Planted {
    prob: ProblemData,
    objective: f64,
}

fn plant(seed: u64, n: usize, cones: &[SupportedCone], quadratic: bool) -> Planted {
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
    // P = BᵀB + I when quadratic.
    let mut pd = vec![vec![0.0; n]; n];
    if quadratic {
        let bm: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..n).map(|_| rng.normal()).collect())
            .collect();
        for i in 0..n {
            for j in i..n {
                pd[i][j] = (0..n).map(|r| bm[r][i] * bm[r][j]).sum::<f64>()
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
        match *cone {
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
            SupportedCone::PositiveSemidefinite(k) => {
                // S = QΛ_sQᵀ, Y = QΛ_yQᵀ with complementary eigenvalue
                // supports (SY = 0): S interior, Y interior, or a random split.
                let q = random_orthogonal(&mut rng, k);
                let mode = (rng.uniform() * 4.0) as u32;
                let (mut ls, mut ly) = (vec![0.0; k], vec![0.0; k]);
                for i in 0..k {
                    let v = rng.uniform() + 0.1;
                    let to_s = match mode {
                        0 => true,
                        1 => false,
                        _ => rng.uniform() < 0.5,
                    };
                    if to_s {
                        ls[i] = v;
                    } else {
                        ly[i] = v;
                    }
                }
                s[start..start + d].copy_from_slice(&to_svec(k, &spectral(&q, &ls)));
                y[start..start + d].copy_from_slice(&to_svec(k, &spectral(&q, &ly)));
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
    Planted { prob, objective }
}

/// Warm starts with PSD blocks: from the solution the method stops within
/// two iterations; after a 1e-3 relative change of `c` it reaches the cold
/// start's objective in fewer iterations.
#[test]
fn psd_warm_starts() {
    let cones = [
        SupportedCone::Nonnegative(3),
        SupportedCone::PositiveSemidefinite(3),
        SupportedCone::PositiveSemidefinite(2),
    ];
    for quadratic in [false, true] {
        let planted = plant(17, 8, &cones, quadratic);
        let mut solver = Solver::new(planted.prob.clone(), Settings::default()).unwrap();
        let first = solver.solve();
        assert_eq!(first.status, Status::Solved);
        let start = Start::Point {
            x: &first.x,
            y: &first.y,
            s: &first.s,
        };
        let again = solver.solve_from(start).unwrap();
        assert_eq!(again.status, Status::Solved);
        assert!(again.iterations <= 2, "{} iterations", again.iterations);
        let mut rng = Lcg(3);
        let c: Vec<f64> = planted
            .prob
            .c
            .iter()
            .map(|v| v + 1e-3 * rng.normal())
            .collect();
        solver.update_c(&c).unwrap();
        let warm = solver.solve_from(start).unwrap();
        let cold = solver.solve();
        assert_eq!(warm.status, Status::Solved);
        assert!((warm.objective - cold.objective).abs() < 1e-6 * cold.objective.abs().max(1.0));
        assert!(
            warm.iterations < cold.iterations,
            "warm {} cold {}",
            warm.iterations,
            cold.iterations
        );
    }
}

fn psd_cone_list() -> impl Strategy<Value = Vec<SupportedCone>> {
    prop::collection::vec(
        prop_oneof![
            (1usize..4).prop_map(SupportedCone::Zero),
            (1usize..6).prop_map(SupportedCone::Nonnegative),
            (2usize..6).prop_map(SupportedCone::SecondOrder),
            (1usize..6).prop_map(SupportedCone::PositiveSemidefinite),
            (1usize..6).prop_map(SupportedCone::PositiveSemidefinite),
        ],
        1..5,
    )
    .prop_filter("at least one PSD cone", |k| {
        k.iter()
            .any(|c| matches!(c, SupportedCone::PositiveSemidefinite(_)))
    })
}

proptest! {
    // A fixed seed keeps CI deterministic; set PROPTEST_RNG_SEED to explore others.
    #![proptest_config(ProptestConfig { cases: 32, rng_seed: proptest::test_runner::RngSeed::Fixed(20261130), ..ProptestConfig::default() })]

    #[test]
    fn planted_psd_problems_are_solved(seed in any::<u64>(), n in 2usize..12, cones in psd_cone_list(), quadratic in any::<bool>()) {
        let zero_rows: usize = cones.iter().filter(|c| matches!(c, SupportedCone::Zero(_))).map(|c| c.dim()).sum();
        prop_assume!(zero_rows < n);
        let planted = plant(seed, n, &cones, quadratic);
        let sol = solve(planted.prob.clone());
        prop_assert!(sol.status.is_solved(), "status {:?}", sol.status);
        let rel = (sol.objective - planted.objective).abs() / planted.objective.abs().max(1.0);
        prop_assert!(rel < 1e-7, "objective {} vs planted {}", sol.objective, planted.objective);
    }
}
