//! The second-order cone `{(t, u) : ‖u‖₂ ≤ t}`, self-dual.
//!
//! Jordan algebra: `x∘y = (xᵀy, x₀y₁ + y₀x₁)`, identity `e = (1, 0)`, and
//! `J = diag(1, −1, …, −1)`. Nesterov-Todd scaling (Vandenberghe, "The CVXOPT
//! linear and quadratic cone program solvers", §4): with
//! `s̄ = s/√(sᵀJs)`, `z̄ = z/√(zᵀJz)`, `γ = √((1 + s̄ᵀz̄)/2)`,
//! `w̄ = (s̄ + Jz̄)/(2γ)` and `η = (sᵀJs / zᵀJz)^{1/4}`,
//! `W = η·W̄` with `W̄ = [w̄₀ w̄₁ᵀ; w̄₁ I + w̄₁w̄₁ᵀ/(1 + w̄₀)]` symmetric, and
//! `WᵀW = η²(2w̄w̄ᵀ − J)`.
//!
//! For large cones the dense `WᵀW` is written as `η²(D + uuᵀ − vvᵀ)` and
//! entered through two extra KKT rows (see [`HsLayout::SparseExpansion`]).
//! With `q = 2w̄₀² − 1`, `d₀ = 1/(2q)` and `r = q − d₀`:
//! `D = diag(d₀, 1, …, 1)`, `u = (√r, 2w̄₀w̄₁/√r)`, `v = √(2(1 + d₀)/r)·(0, w̄₁)`.
//! This choice keeps `D − vvᵀ ≻ 0`, so the expanded KKT matrix stays
//! quasi-definite (the `v` row joins the negative-definite block).

use super::{Cone, HsLayout};

/// Cones larger than this use the sparse expansion of `WᵀW` in the KKT matrix.
/// Smaller cones use the dense block: the expansion is exact but its
/// negative-definite part degrades like the scaling itself (condition ∝ w̄₀⁴)
/// near the boundary, which costs accuracy in the last iterations.
pub const SOC_EXPANSION_THRESHOLD: usize = 64;

/// A second-order cone of dimension `dim` (`t` first).
#[derive(Debug, Clone)]
pub struct SecondOrderCone {
    dim: usize,
    w: Vec<f64>,
    eta: f64,
    lambda: Vec<f64>,
}

impl SecondOrderCone {
    /// A second-order cone of the given dimension.
    pub fn new(dim: usize) -> Self {
        let mut w = vec![0.0; dim];
        let mut lambda = vec![0.0; dim];
        if dim > 0 {
            w[0] = 1.0;
            lambda[0] = 1.0;
        }
        SecondOrderCone {
            dim,
            w,
            eta: 1.0,
            lambda,
        }
    }

    /// `y ← W x`.
    fn mul_w(&self, y: &mut [f64], x: &[f64]) {
        let w0 = self.w[0];
        let w1x1 = dot(&self.w[1..], &x[1..]);
        let c = x[0] + w1x1 / (1.0 + w0);
        y[0] = self.eta * (w0 * x[0] + w1x1);
        for i in 1..self.dim {
            y[i] = self.eta * (x[i] + self.w[i] * c);
        }
    }

    /// `η²·diag(D)`, `η·u`, `η·v` with `WᵀW = η²(D + uuᵀ − vvᵀ)` (module docs).
    fn sparse_expansion(&self, dd: &mut [f64], u: &mut [f64], v: &mut [f64]) {
        let eta2 = self.eta * self.eta;
        let w0 = self.w[0];
        let q = 2.0 * w0 * w0 - 1.0;
        let d0 = 0.5 / q;
        let r = q - d0;
        let sr = r.sqrt();
        dd.fill(eta2);
        dd[0] = eta2 * d0;
        u[0] = self.eta * sr;
        v[0] = 0.0;
        let vs = (2.0 * (1.0 + d0) / r).sqrt();
        for i in 1..self.dim {
            u[i] = self.eta * 2.0 * w0 * self.w[i] / sr;
            v[i] = self.eta * vs * self.w[i];
        }
    }

    /// `y ← W⁻¹ x`, using `W̄⁻¹ = J W̄ J`.
    fn mul_winv(&self, y: &mut [f64], x: &[f64]) {
        let w0 = self.w[0];
        let w1x1 = dot(&self.w[1..], &x[1..]);
        let c = -x[0] + w1x1 / (1.0 + w0);
        y[0] = (w0 * x[0] - w1x1) / self.eta;
        for i in 1..self.dim {
            y[i] = (x[i] + self.w[i] * c) / self.eta;
        }
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `xᵀJx = x₀² − ‖x₁‖²`.
#[inline]
fn jdot(x: &[f64]) -> f64 {
    let n1 = dot(&x[1..], &x[1..]);
    (x[0] - n1.sqrt()) * (x[0] + n1.sqrt())
}

/// Jordan product `out ← x∘y`.
pub(crate) fn circ(out: &mut [f64], x: &[f64], y: &[f64]) {
    out[0] = dot(x, y);
    for i in 1..out.len() {
        out[i] = x[0] * y[i] + y[0] * x[i];
    }
}

/// Inverse Jordan product `out ← x \ d`, i.e. the `u` with `x∘u = d`.
pub(crate) fn inv_circ(out: &mut [f64], x: &[f64], d: &[f64]) {
    let det = jdot(x);
    let u0 = (x[0] * d[0] - dot(&x[1..], &d[1..])) / det;
    out[0] = u0;
    for i in 1..out.len() {
        out[i] = (d[i] - u0 * x[i]) / x[0];
    }
}

/// Largest `α ≤ α_max` with `x + α·d` in the cone, for `x` in the cone:
/// the smallest positive root of `(x₀ + αd₀)² − ‖x₁ + αd₁‖² = 0`.
pub(crate) fn soc_step(x: &[f64], d: &[f64], amax: f64) -> f64 {
    let a = jdot(d);
    let b = 2.0 * (x[0] * d[0] - dot(&x[1..], &d[1..]));
    let c = jdot(x).max(0.0);
    let mut disc = b * b - 4.0 * a * c;
    if a >= 0.0 && b >= 0.0 && d[0] >= 0.0 {
        return amax;
    }
    // The first coordinate must stay nonnegative (exact for directions along
    // the axis, where the quadratic has a double root).
    let mut alpha = if d[0] < 0.0 {
        amax.min(-x[0] / d[0])
    } else {
        amax
    };
    if disc < 0.0 {
        // No real root, unless the negative value is rounding of a double root.
        if disc < -1e-12 * (b * b + (4.0 * a * c).abs()) {
            return alpha.max(0.0);
        }
        disc = 0.0;
    }
    if a == 0.0 {
        if b < 0.0 {
            alpha = alpha.min(-c / b);
        }
        return alpha.max(0.0);
    }
    let t = -0.5 * (b + b.signum() * disc.sqrt());
    for r in [t / a, if t != 0.0 { c / t } else { f64::INFINITY }] {
        if r >= 0.0 {
            alpha = alpha.min(r);
        }
    }
    alpha.max(0.0)
}

impl Cone for SecondOrderCone {
    fn dim(&self) -> usize {
        self.dim
    }
    fn degree(&self) -> usize {
        1
    }
    fn unit_initialization(&self, z: &mut [f64], s: &mut [f64]) {
        z.fill(0.0);
        s.fill(0.0);
        z[0] = 1.0;
        s[0] = 1.0;
    }
    fn shift_to_cone(&self, z: &mut [f64]) {
        let alpha = z[0] - dot(&z[1..], &z[1..]).sqrt();
        if alpha < f64::EPSILON.sqrt() {
            z[0] += 1.0 - alpha;
        }
    }
    /// The orthant's pairwise rule on the eigenvalues `x₀ ± ‖x₁‖`: each of
    /// `s`, `z` is raised along `e` until its smaller eigenvalue is
    /// `μ/λ_max` of the other (`√μ` when both are below `√μ`). A
    /// complementary pair `s = a(1, u)`, `z = b(1, −u)` shares a Jordan
    /// frame in which this gives both products `≈ μ`.
    fn warm_centre(&self, s: &mut [f64], z: &mut [f64], mu: f64) -> bool {
        let floor = mu.sqrt();
        let eig = |v: &[f64]| {
            let r = dot(&v[1..], &v[1..]).sqrt();
            (v[0] - r, v[0] + r)
        };
        let ((smin, smax), (zmin, zmax)) = (eig(s), eig(z));
        let target_s = mu / zmax.max(floor);
        let target_z = mu / smax.max(floor);
        if smin < target_s {
            s[0] += target_s - smin;
        }
        if zmin < target_z {
            z[0] += target_z - zmin;
        }
        true
    }
    fn set_identity_scaling(&mut self) {
        self.w.fill(0.0);
        self.w[0] = 1.0;
        self.eta = 1.0;
    }
    fn update_scaling(&mut self, s: &[f64], z: &[f64], _mu: f64) -> bool {
        let sjs = jdot(s);
        let zjz = jdot(z);
        if !(s[0] > 0.0 && z[0] > 0.0 && sjs > 0.0 && zjz > 0.0) {
            return false;
        }
        let sn = sjs.sqrt();
        let zn = zjz.sqrt();
        let sz = dot(s, z) / (sn * zn);
        let gamma = ((1.0 + sz) * 0.5).sqrt();
        self.w[0] = (s[0] / sn + z[0] / zn) / (2.0 * gamma);
        for i in 1..self.dim {
            self.w[i] = (s[i] / sn - z[i] / zn) / (2.0 * gamma);
        }
        self.eta = (sn / zn).sqrt();
        // λ = Wz without cancellation (CVXOPT): λ = √(‖s‖_J‖z‖_J)·(γ, ((γ + z̄₀)s̄₁ + (γ + s̄₀)z̄₁)/(s̄₀ + z̄₀ + 2γ)).
        let scale = (sn * zn).sqrt();
        let (s0, z0) = (s[0] / sn, z[0] / zn);
        let denom = s0 + z0 + 2.0 * gamma;
        self.lambda[0] = scale * gamma;
        for i in 1..self.dim {
            self.lambda[i] = scale * ((gamma + z0) * s[i] / sn + (gamma + s0) * z[i] / zn) / denom;
        }
        self.lambda.iter().all(|v| v.is_finite())
    }
    fn hs_layout(&self) -> HsLayout {
        if self.dim > SOC_EXPANSION_THRESHOLD {
            HsLayout::SparseExpansion
        } else {
            HsLayout::DenseUpper
        }
    }
    fn hs_values(&self, out: &mut [f64]) {
        let eta2 = self.eta * self.eta;
        let n = self.dim;
        match self.hs_layout() {
            HsLayout::DenseUpper => {
                let mut k = 0;
                for j in 0..n {
                    for i in 0..=j {
                        let jij = if i == j {
                            if i == 0 {
                                1.0
                            } else {
                                -1.0
                            }
                        } else {
                            0.0
                        };
                        out[k] = eta2 * (2.0 * self.w[i] * self.w[j] - jij);
                        k += 1;
                    }
                }
            }
            _ => {
                let (dd, rest) = out.split_at_mut(n);
                let (u, v) = rest.split_at_mut(n);
                self.sparse_expansion(dd, u, v);
            }
        }
    }
    fn mul_hs(&self, y: &mut [f64], x: &[f64]) {
        let eta2 = self.eta * self.eta;
        let wx = 2.0 * dot(&self.w, x);
        y[0] = eta2 * (self.w[0] * wx - x[0]);
        for i in 1..self.dim {
            y[i] = eta2 * (self.w[i] * wx + x[i]);
        }
    }
    fn affine_ds(&self, ds: &mut [f64], _s: &[f64]) {
        circ(ds, &self.lambda, &self.lambda);
    }
    fn combined_ds_shift(
        &mut self,
        shift: &mut [f64],
        step_z: &mut [f64],
        step_s: &mut [f64],
        sigma_mu: f64,
    ) {
        self.mul_w(shift, step_z);
        step_z.copy_from_slice(shift);
        self.mul_winv(shift, step_s);
        step_s.copy_from_slice(shift);
        circ(shift, step_s, step_z);
        shift[0] -= sigma_mu;
    }
    fn delta_s_from_delta_z_offset(&self, out: &mut [f64], ds: &[f64], work: &mut [f64]) {
        inv_circ(work, &self.lambda, ds);
        self.mul_w(out, work);
    }
    /// `−½log(s₀² − ‖s₁‖²) − ½log(z₀² − ‖z₁‖²)` at the shifted points
    /// (degree 1, matching [`Cone::degree`]).
    fn barrier(&self, z: &[f64], s: &[f64], dz: &[f64], ds: &[f64], alpha: f64) -> f64 {
        let disc = |x: &[f64], d: &[f64]| {
            let t = x[0] + alpha * d[0];
            let mut u2 = 0.0;
            for i in 1..x.len() {
                let v = x[i] + alpha * d[i];
                u2 += v * v;
            }
            if t > 0.0 {
                (t - u2.sqrt()) * (t + u2.sqrt())
            } else {
                -1.0
            }
        };
        let (a, b) = (disc(s, ds), disc(z, dz));
        if a > 0.0 && b > 0.0 {
            -0.5 * a.ln() - 0.5 * b.ln()
        } else {
            f64::INFINITY
        }
    }
    fn step_length(&self, dz: &[f64], ds: &[f64], z: &[f64], s: &[f64], amax: f64) -> (f64, f64) {
        (soc_step(z, dz, amax), soc_step(s, ds, amax))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense_hs(c: &SecondOrderCone) -> Vec<Vec<f64>> {
        let n = c.dim;
        let mut h = vec![vec![0.0; n]; n];
        let mut e = vec![0.0; n];
        let mut y = vec![0.0; n];
        for j in 0..n {
            e.fill(0.0);
            e[j] = 1.0;
            c.mul_hs(&mut y, &e);
            for i in 0..n {
                h[i][j] = y[i];
            }
        }
        h
    }

    fn sample(dim: usize) -> (Vec<f64>, Vec<f64>) {
        let s: Vec<f64> = (0..dim)
            .map(|i| if i == 0 { 3.0 } else { 0.3 * i as f64 - 0.4 })
            .collect();
        let z: Vec<f64> = (0..dim)
            .map(|i| if i == 0 { 2.5 } else { 0.5 - 0.2 * i as f64 })
            .collect();
        (s, z)
    }

    #[test]
    fn nt_scaling_maps_z_and_s_to_lambda() {
        let (s, z) = sample(5);
        let mut c = SecondOrderCone::new(5);
        assert!(c.update_scaling(&s, &z, 1.0));
        let mut a = vec![0.0; 5];
        let mut b = vec![0.0; 5];
        c.mul_w(&mut a, &z);
        c.mul_winv(&mut b, &s);
        for i in 0..5 {
            assert!((a[i] - b[i]).abs() < 1e-12, "{a:?} vs {b:?}");
            assert!(
                (a[i] - c.lambda[i]).abs() < 1e-12,
                "{a:?} vs λ = {:?}",
                c.lambda
            );
        }
        // W W⁻¹ = I
        c.mul_winv(&mut b, &s);
        c.mul_w(&mut a, &b);
        for i in 0..5 {
            assert!((a[i] - s[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn sparse_expansion_reproduces_hs() {
        let (s, z) = sample(6);
        let mut c = SecondOrderCone::new(6);
        assert!(c.update_scaling(&s, &z, 1.0));
        let h = dense_hs(&c);
        let mut vals = [0.0; 18];
        let (d, rest) = vals.split_at_mut(6);
        let (u, v) = rest.split_at_mut(6);
        c.sparse_expansion(d, u, v);
        for i in 0..6 {
            for j in 0..6 {
                let diag = if i == j { d[i] } else { 0.0 };
                let e = diag + u[i] * u[j] - v[i] * v[j];
                assert!((e - h[i][j]).abs() < 1e-10, "({i},{j}) {e} vs {}", h[i][j]);
            }
        }
        // D − vvᵀ/η² must stay positive definite: vᵀD⁻¹v < 1 (all scaled by η²).
        let q: f64 = (0..6).map(|i| v[i] * v[i] / d[i]).sum();
        assert!(q < 1.0);
    }

    #[test]
    fn inverse_circ_inverts_circ() {
        let x = [2.0, 0.5, -0.3];
        let u = [0.7, 0.1, 0.2];
        let mut d = [0.0; 3];
        circ(&mut d, &x, &u);
        let mut back = [0.0; 3];
        inv_circ(&mut back, &x, &d);
        for i in 0..3 {
            assert!((back[i] - u[i]).abs() < 1e-14);
        }
    }

    #[test]
    fn step_length_hits_boundary() {
        let x = [1.0, 0.0];
        let d = [-1.0, 0.0];
        assert!((soc_step(&x, &d, 10.0) - 1.0).abs() < 1e-14);
        let d = [0.0, 1.0];
        assert!((soc_step(&x, &d, 10.0) - 1.0).abs() < 1e-14);
        let d = [1.0, 0.5];
        assert_eq!(soc_step(&x, &d, 10.0), 10.0);
        // A double root (direction along the axis) must still stop at the boundary.
        let x = [0.5, 0.0];
        let d = [-1.0, 0.0];
        assert!((soc_step(&x, &d, 10.0) - 0.5).abs() < 1e-14);
    }
}
