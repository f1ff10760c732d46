//! Property tests (proptest, fixed seeds) over random problems with every
//! cone: invariance of the solution under scaling of the objective and of
//! the constraint rows, and verification of every infeasibility certificate
//! the solver returns.
#![allow(clippy::needless_range_loop)]

use lpgd_solver::{
    Certificate, CscMatrix, MatrixName, ProblemData, Settings, Solution, Solver, Status,
    SupportedCone,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Small deterministic generator (same scheme as `ipm.rs`).
struct Lcg(u64);
impl Lcg {
    fn new(seed: u64) -> Self {
        Lcg(seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407))
    }
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

fn dense_to_csc(rows: usize, cols: usize, d: &[Vec<f64>], name: MatrixName) -> CscMatrix {
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
    CscMatrix::from_triplets_named(rows, cols, &r, &c, &v, name).unwrap()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, x| a.max(x.abs()))
}

/// Symmetric `k × k` matrix from its scaled upper-triangular vectorization.
fn smat(v: &[f64], k: usize) -> Vec<Vec<f64>> {
    let mut m = vec![vec![0.0; k]; k];
    let mut idx = 0;
    for j in 0..k {
        for i in 0..=j {
            let x = if i == j {
                v[idx]
            } else {
                v[idx] / std::f64::consts::SQRT_2
            };
            m[i][j] = x;
            m[j][i] = x;
            idx += 1;
        }
    }
    m
}

fn svec(m: &[Vec<f64>]) -> Vec<f64> {
    let k = m.len();
    let mut v = Vec::new();
    for j in 0..k {
        for i in 0..=j {
            v.push(if i == j {
                m[i][j]
            } else {
                m[i][j] * std::f64::consts::SQRT_2
            });
        }
    }
    v
}

/// Cholesky of `M + shift·I` succeeds (`M` PSD up to `shift`).
fn psd_within(m: &[Vec<f64>], shift: f64) -> bool {
    let k = m.len();
    let mut l = vec![vec![0.0; k]; k];
    for j in 0..k {
        let mut d = m[j][j] + shift;
        for p in 0..j {
            d -= l[j][p] * l[j][p];
        }
        if d <= 0.0 {
            return false;
        }
        l[j][j] = d.sqrt();
        for i in j + 1..k {
            let mut s = m[i][j];
            for p in 0..j {
                s -= l[i][p] * l[j][p];
            }
            l[i][j] = s / l[j][j];
        }
    }
    true
}

/// A point in the interior of the cone (`dual = false`) or of its dual cone
/// (`dual = true`); the zero cone's interior is `{0}` and its dual's is ℝᵈ.
fn interior_point(cone: &SupportedCone, dual: bool, rng: &mut Lcg) -> Vec<f64> {
    match *cone {
        SupportedCone::Zero(d) => (0..d)
            .map(|_| if dual { rng.normal() } else { 0.0 })
            .collect(),
        SupportedCone::Nonnegative(d) => (0..d).map(|_| rng.uniform() + 0.1).collect(),
        SupportedCone::SecondOrder(d) => {
            let u: Vec<f64> = (0..d - 1).map(|_| rng.normal()).collect();
            let mut v = vec![u.iter().map(|x| x * x).sum::<f64>().sqrt() + rng.uniform() + 0.1];
            v.extend(u);
            v
        }
        SupportedCone::Exponential => {
            if dual {
                // {(u, v, w) : u < 0, −u·exp(v/u) ≤ e·w}
                let u = -(rng.uniform() + 0.2);
                let v = rng.normal();
                let w = -u * (v / u).exp() / std::f64::consts::E + rng.uniform() + 0.1;
                vec![u, v, w]
            } else {
                // {(x, y, z) : y > 0, y·exp(x/y) ≤ z}
                let y = rng.uniform() + 0.3;
                let x = rng.normal();
                vec![x, y, y * (x / y).exp() + rng.uniform() + 0.1]
            }
        }
        SupportedCone::Power(alpha) => {
            let (x, y) = (rng.uniform() + 0.2, rng.uniform() + 0.2);
            let bound = if dual {
                (x / alpha).powf(alpha) * (y / (1.0 - alpha)).powf(1.0 - alpha)
            } else {
                x.powf(alpha) * y.powf(1.0 - alpha)
            };
            vec![x, y, (rng.uniform() - 0.5) * 1.6 * bound]
        }
        SupportedCone::PositiveSemidefinite(k) => {
            let mut m = vec![vec![0.0; k]; k];
            for j in 0..k {
                for i in 0..=j {
                    let e = (rng.uniform() - 0.5) * 0.6 / k as f64;
                    m[i][j] = e + if i == j { 1.0 } else { 0.0 };
                    m[j][i] = m[i][j];
                }
            }
            svec(&m)
        }
        _ => unreachable!(),
    }
}

/// `v` lies in the cone (`dual = false`) or its dual (`dual = true`), up to
/// `tol` (absolute, for vectors of norm about one).
fn in_cone(cone: &SupportedCone, v: &[f64], dual: bool, tol: f64) -> bool {
    match *cone {
        SupportedCone::Zero(_) => dual || v.iter().all(|x| x.abs() <= tol),
        SupportedCone::Nonnegative(_) => v.iter().all(|&x| x >= -tol),
        SupportedCone::SecondOrder(_) => {
            v[0] >= v[1..].iter().map(|x| x * x).sum::<f64>().sqrt() - tol
        }
        SupportedCone::Exponential => {
            let (a, b, c) = (v[0], v[1], v[2]);
            if dual {
                // Closure of {u < 0, −u·exp(v/u) ≤ e·w}: also u = 0, v, w ≥ 0.
                if a < -tol {
                    -a * (b / a).exp() <= std::f64::consts::E * c + tol
                } else {
                    a <= tol && b >= -tol && c >= -tol
                }
            } else if b > tol {
                b * (a / b).exp() <= c + tol
            } else {
                b >= -tol && a <= tol && c >= -tol
            }
        }
        SupportedCone::Power(alpha) => {
            let (x, y, z) = (v[0].max(0.0), v[1].max(0.0), v[2]);
            let g = if dual {
                (x / alpha).powf(alpha) * (y / (1.0 - alpha)).powf(1.0 - alpha)
            } else {
                x.powf(alpha) * y.powf(1.0 - alpha)
            };
            v[0] >= -tol && v[1] >= -tol && g >= z.abs() - tol
        }
        SupportedCone::PositiveSemidefinite(k) => psd_within(&smat(v, k), tol),
        _ => unreachable!(),
    }
}

fn cone_list() -> impl Strategy<Value = Vec<SupportedCone>> {
    prop::collection::vec(
        prop_oneof![
            (1usize..3).prop_map(SupportedCone::Zero),
            (1usize..6).prop_map(SupportedCone::Nonnegative),
            (2usize..6).prop_map(SupportedCone::SecondOrder),
            Just(SupportedCone::Exponential),
            (0.2f64..0.8).prop_map(SupportedCone::Power),
            (1usize..4).prop_map(SupportedCone::PositiveSemidefinite),
        ],
        1..4,
    )
}

fn random_matrix(rng: &mut Lcg, rows: usize, cols: usize, density: f64) -> Vec<Vec<f64>> {
    (0..rows)
        .map(|_| {
            (0..cols)
                .map(|_| {
                    if rng.uniform() < density {
                        rng.normal()
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// `BᵀB + I` (upper triangle), strictly convex.
fn strictly_convex_p(rng: &mut Lcg, n: usize) -> Vec<Vec<f64>> {
    let b = random_matrix(rng, n, n, 0.7);
    let mut p = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i..n {
            p[i][j] =
                (0..n).map(|r| b[r][i] * b[r][j]).sum::<f64>() + if i == j { 1.0 } else { 0.0 };
        }
    }
    p
}

/// A feasible problem with a strictly convex objective (so `x*` is unique):
/// `b = Ax₀ + s₀` with `s₀` interior.
fn feasible_problem(seed: u64, n: usize, cones: &[SupportedCone]) -> ProblemData {
    let mut rng = Lcg::new(seed);
    let m: usize = cones.iter().map(|c| c.dim()).sum();
    let a = random_matrix(&mut rng, m, n, 0.6);
    let x0: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut b = vec![0.0; m];
    let mut start = 0;
    for cone in cones {
        let s0 = interior_point(cone, false, &mut rng);
        for (k, v) in s0.iter().enumerate() {
            b[start + k] = dot(&a[start + k], &x0) + v;
        }
        start += cone.dim();
    }
    let p = strictly_convex_p(&mut rng, n);
    let c: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    ProblemData::new(
        Some(dense_to_csc(n, n, &p, MatrixName::P)),
        c,
        dense_to_csc(m, n, &a, MatrixName::A),
        b,
        cones.to_vec(),
    )
    .unwrap()
}

fn solve(prob: ProblemData) -> Solution {
    Solver::new(prob, Settings::default()).unwrap().solve()
}

fn close(x: &[f64], y: &[f64], tol: f64) -> bool {
    let scale = inf_norm(x).max(1.0);
    x.iter().zip(y).all(|(a, b)| (a - b).abs() <= tol * scale)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: RngSeed::Fixed(20261201), ..ProptestConfig::default() })]

    /// min α·(½xᵀPx + cᵀx): same x, objective and y scaled by α.
    #[test]
    fn objective_scaling_leaves_the_solution_invariant(seed in any::<u64>(), n in 2usize..7, cones in cone_list(), log_alpha in -3.0f64..3.0) {
        let zero_rows: usize = cones.iter().filter(|c| matches!(c, SupportedCone::Zero(_))).map(|c| c.dim()).sum();
        prop_assume!(zero_rows < n);
        let prob = feasible_problem(seed, n, &cones);
        let alpha = 10f64.powf(log_alpha);
        let mut scaled = prob.clone();
        std::sync::Arc::make_mut(&mut scaled.p).nzval.iter_mut().for_each(|v| *v *= alpha);
        scaled.c.iter_mut().for_each(|v| *v *= alpha);
        let s0 = solve(prob);
        let s1 = solve(scaled);
        prop_assert!(s0.status.is_solved(), "original: {:?}", s0.status);
        prop_assert!(s1.status.is_solved(), "scaled by {alpha}: {:?}", s1.status);
        prop_assert!(close(&s0.x, &s1.x, 1e-4), "x {:?} vs {:?}", s0.x, s1.x);
        let rel = (s1.objective - alpha * s0.objective).abs() / (alpha * s0.objective.abs()).max(alpha).max(1e-300);
        prop_assert!(rel < 1e-5, "objective {} vs α·{} (α = {alpha})", s1.objective, s0.objective);
        let y0: Vec<f64> = s0.y.iter().map(|v| v * alpha).collect();
        prop_assert!(close(&y0, &s1.y, 1e-3), "y {:?} vs {:?}", y0, s1.y);
    }

    /// Rows scaled by a positive diagonal that maps each cone onto itself
    /// (per row on zero and nonnegative rows, one factor per SOC / exp / pow /
    /// PSD block): same x.
    #[test]
    fn row_scaling_leaves_the_solution_invariant(seed in any::<u64>(), n in 2usize..7, cones in cone_list(), scale_seed in any::<u64>()) {
        let zero_rows: usize = cones.iter().filter(|c| matches!(c, SupportedCone::Zero(_))).map(|c| c.dim()).sum();
        prop_assume!(zero_rows < n);
        let prob = feasible_problem(seed, n, &cones);
        let mut rng = Lcg::new(scale_seed);
        let mut d = Vec::with_capacity(prob.m());
        for cone in &cones {
            let dim = cone.dim();
            match cone {
                SupportedCone::Zero(_) | SupportedCone::Nonnegative(_) => {
                    d.extend((0..dim).map(|_| 10f64.powf(4.0 * rng.uniform() - 2.0)));
                }
                _ => {
                    let f = 10f64.powf(4.0 * rng.uniform() - 2.0);
                    d.extend(std::iter::repeat_n(f, dim));
                }
            }
        }
        let mut scaled = prob.clone();
        let ones = vec![1.0; n];
        std::sync::Arc::make_mut(&mut scaled.a).scale_lr(&d, &ones);
        for (bi, di) in scaled.b.iter_mut().zip(&d) {
            *bi *= di;
        }
        let s0 = solve(prob);
        let s1 = solve(scaled);
        prop_assert!(s0.status.is_solved(), "original: {:?}", s0.status);
        prop_assert!(s1.status.is_solved(), "scaled: {:?}", s1.status);
        prop_assert!(close(&s0.x, &s1.x, 1e-4), "x {:?} vs {:?}", s0.x, s1.x);
        prop_assert!((s0.objective - s1.objective).abs() <= 1e-5 * s0.objective.abs().max(1.0));
    }
}

/// Checks a certificate against the conditions documented on
/// [`Certificate`], in the original data; returns a description of the
/// first violation.
fn verify_certificate(prob: &ProblemData, sol: &Solution) -> Result<(), String> {
    let tol = if matches!(
        sol.status,
        Status::AlmostPrimalInfeasible | Status::AlmostDualInfeasible
    ) {
        1e-3
    } else {
        1e-5
    };
    let (n, m) = (prob.n(), prob.m());
    match &sol.certificate {
        None => Ok(()),
        Some(Certificate::PrimalInfeasible { y }) => {
            let by = dot(&prob.b, y);
            if (by + 1.0).abs() > 1e-9 {
                return Err(format!("bᵀy = {by}"));
            }
            let mut aty = vec![0.0; n];
            prob.a.gemv_t(&mut aty, y, 1.0, 0.0);
            let scale = inf_norm(y).max(1.0);
            if inf_norm(&aty) > tol * scale {
                return Err(format!("‖Aᵀy‖ = {} (‖y‖ = {scale})", inf_norm(&aty)));
            }
            let mut start = 0;
            for cone in &prob.cones {
                let r = start..start + cone.dim();
                if !in_cone(cone, &y[r.clone()], true, tol * scale) {
                    return Err(format!(
                        "y[{r:?}] = {:?} not in the dual of {cone:?}",
                        &y[r.clone()]
                    ));
                }
                start += cone.dim();
            }
            Ok(())
        }
        Some(Certificate::DualInfeasible { x, s }) => {
            let cx = dot(&prob.c, x);
            if (cx + 1.0).abs() > 1e-9 {
                return Err(format!("cᵀx = {cx}"));
            }
            let scale = inf_norm(x).max(inf_norm(s)).max(1.0);
            let mut px = vec![0.0; n];
            prob.p.symv_upper(&mut px, x, 1.0, 0.0);
            if inf_norm(&px) > tol * scale {
                return Err(format!("‖Px‖ = {}", inf_norm(&px)));
            }
            let mut axs = s.clone();
            prob.a.gemv(&mut axs, x, 1.0, 1.0);
            if inf_norm(&axs) > tol * scale {
                return Err(format!("‖Ax + s‖ = {}", inf_norm(&axs)));
            }
            let mut start = 0;
            for cone in &prob.cones {
                let r = start..start + cone.dim();
                if !in_cone(cone, &s[r.clone()], false, tol * scale) {
                    return Err(format!("s[{r:?}] = {:?} not in {cone:?}", &s[r.clone()]));
                }
                start += cone.dim();
            }
            let _ = m;
            Ok(())
        }
    }
}

/// Primal infeasible by construction: `y₀ ∈ int K*` with `Aᵀy₀ = 0` and
/// `bᵀy₀ = −1`.
fn primal_infeasible(seed: u64, n: usize, cones: &[SupportedCone], quadratic: bool) -> ProblemData {
    let mut rng = Lcg::new(seed);
    let m: usize = cones.iter().map(|c| c.dim()).sum();
    let mut y0 = Vec::with_capacity(m);
    for cone in cones {
        y0.extend(interior_point(cone, true, &mut rng));
    }
    let yy = dot(&y0, &y0);
    let mut a = random_matrix(&mut rng, m, n, 0.7);
    for j in 0..n {
        let col: f64 = (0..m).map(|i| a[i][j] * y0[i]).sum();
        for i in 0..m {
            a[i][j] -= col * y0[i] / yy;
            if a[i][j].abs() < 1e-14 {
                a[i][j] = 0.0;
            }
        }
    }
    let mut b: Vec<f64> = (0..m).map(|_| rng.normal()).collect();
    let shift = (dot(&b, &y0) + 1.0) / yy;
    for i in 0..m {
        b[i] -= shift * y0[i];
    }
    let p = if quadratic {
        strictly_convex_p(&mut rng, n)
    } else {
        vec![vec![0.0; n]; n]
    };
    // c = −Aᵀz₁ with z₁ ∈ int K*: the dual is feasible (x = 0, z = z₁), so
    // a primal infeasibility certificate is the only correct answer.
    let mut z1 = Vec::with_capacity(m);
    for cone in cones {
        z1.extend(interior_point(cone, true, &mut rng));
    }
    let c: Vec<f64> = (0..n)
        .map(|j| -(0..m).map(|i| a[i][j] * z1[i]).sum::<f64>())
        .collect();
    ProblemData::new(
        Some(dense_to_csc(n, n, &p, MatrixName::P)),
        c,
        dense_to_csc(m, n, &a, MatrixName::A),
        b,
        cones.to_vec(),
    )
    .unwrap()
}

/// Dual infeasible by construction: a feasible point `x₀` and a ray `d` with
/// `Pd = 0`, `Ad = −s_d`, `s_d ∈ K`, `cᵀd = −1`.
fn dual_infeasible(seed: u64, n: usize, cones: &[SupportedCone], quadratic: bool) -> ProblemData {
    let mut rng = Lcg::new(seed);
    let m: usize = cones.iter().map(|c| c.dim()).sum();
    let d: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let dd = dot(&d, &d);
    let mut a = random_matrix(&mut rng, m, n, 0.7);
    let (mut sd, mut s0) = (Vec::with_capacity(m), Vec::with_capacity(m));
    for cone in cones {
        sd.extend(interior_point(cone, false, &mut rng));
        s0.extend(interior_point(cone, false, &mut rng));
    }
    for i in 0..m {
        let ad = dot(&a[i], &d);
        for j in 0..n {
            a[i][j] += (-sd[i] - ad) * d[j] / dd;
        }
    }
    let x0: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let b: Vec<f64> = (0..m).map(|i| dot(&a[i], &x0) + s0[i]).collect();
    let mut c: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let shift = (dot(&c, &d) + 1.0) / dd;
    for j in 0..n {
        c[j] -= shift * d[j];
    }
    // P = BᵀB with the rows of B orthogonal to d, so Pd = 0.
    let mut p = vec![vec![0.0; n]; n];
    if quadratic {
        let mut bm = random_matrix(&mut rng, n - 1, n, 0.8);
        for row in bm.iter_mut() {
            let rd = dot(row, &d);
            for j in 0..n {
                row[j] -= rd * d[j] / dd;
            }
        }
        for i in 0..n {
            for j in i..n {
                p[i][j] = (0..n - 1).map(|r| bm[r][i] * bm[r][j]).sum();
            }
        }
    }
    ProblemData::new(
        Some(dense_to_csc(n, n, &p, MatrixName::P)),
        c,
        dense_to_csc(m, n, &a, MatrixName::A),
        b,
        cones.to_vec(),
    )
    .unwrap()
}

fn symmetric(cones: &[SupportedCone]) -> bool {
    !cones
        .iter()
        .any(|c| matches!(c, SupportedCone::Exponential | SupportedCone::Power(_)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: RngSeed::Fixed(20261202), ..ProptestConfig::default() })]

    #[test]
    fn primal_infeasibility_certificates_verify(seed in any::<u64>(), n in 1usize..6, cones in cone_list(), quadratic in any::<bool>()) {
        let prob = primal_infeasible(seed, n, &cones, quadratic);
        let sol = solve(prob.clone());
        prop_assert!(!sol.status.is_solved(), "infeasible problem reported {:?}", sol.status);
        prop_assert!(!matches!(sol.status, Status::DualInfeasible | Status::AlmostDualInfeasible), "{:?}", sol.status);
        // With free directions (an LP with fewer rows than variables) the
        // method may also stop at MaxIterations; otherwise, on symmetric
        // cones, it must find the certificate.
        let m: usize = cones.iter().map(|c| c.dim()).sum();
        if symmetric(&cones) && (quadratic || m >= n) {
            prop_assert_eq!(sol.status, Status::PrimalInfeasible);
        }
        if let Err(e) = verify_certificate(&prob, &sol) {
            return Err(TestCaseError::fail(format!("{:?}: {e}", sol.status)));
        }
    }

    #[test]
    fn dual_infeasibility_certificates_verify(seed in any::<u64>(), n in 2usize..6, cones in cone_list(), quadratic in any::<bool>()) {
        // An LP with fewer rows than variables has free directions `e`
        // (`Ae = 0`, `cᵀe = 0`) besides the planted ray; the embedding's
        // iterates can run off along them without producing a certificate
        // (see unbounded_lp_with_free_directions_is_not_solved).
        let m: usize = cones.iter().map(|c| c.dim()).sum();
        prop_assume!(quadratic || m >= n);
        let prob = dual_infeasible(seed, n, &cones, quadratic);
        let sol = solve(prob.clone());
        prop_assert!(!sol.status.is_solved(), "unbounded problem reported {:?}", sol.status);
        prop_assert!(!matches!(sol.status, Status::PrimalInfeasible | Status::AlmostPrimalInfeasible), "{:?}", sol.status);
        if symmetric(&cones) {
            prop_assert_eq!(sol.status, Status::DualInfeasible);
        }
        if let Err(e) = verify_certificate(&prob, &sol) {
            return Err(TestCaseError::fail(format!("{:?}: {e}", sol.status)));
        }
    }
}

/// Found by `dual_infeasibility_certificates_verify`: an unbounded LP (one
/// equality row, three variables, so A has a two-dimensional null space)
/// was reported `AlmostSolved` at a point with ‖x‖ ≈ 6e10 and an absolute
/// dual residual of order one, when the relative dual residual was
/// `‖Px + Aᵀy + c‖ / max(1, ‖c‖ + ‖x‖ + ‖y‖)` (Clarabel's definition): the
/// diverging ‖x‖ along a free direction made it small. It is now relative
/// to `‖c‖ + ‖Px‖ + ‖Aᵀy‖`, and the run ends at the iteration limit: the
/// iterates drift along the free direction (‖x‖ → 1e15, `κ/τ → 0`) and no
/// certificate forms, so `DualInfeasible` is not claimed either.
#[test]
fn unbounded_lp_with_free_directions_is_not_solved() {
    let prob = dual_infeasible(790114158059264421, 3, &[SupportedCone::Zero(1)], false);
    let sol = solve(prob.clone());
    assert!(!sol.status.is_solved(), "{:?} x = {:?}", sol.status, sol.x);
    assert!(sol.residuals.dual > 0.1, "{:?}", sol.residuals);
    verify_certificate(&prob, &sol).unwrap();
}
