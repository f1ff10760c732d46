//! Three-dimensional nonsymmetric cones (exponential, power) for the
//! interior-point method, written once against their dual barrier.
//!
//! A cone here is described by a logarithmically homogeneous self-concordant
//! barrier of degree 3 on the interior of its dual cone, of the form
//!
//! `f*(z) = −log ψ(z) − Σᵢ cᵢ·log(σᵢ·z_{kᵢ})`,
//!
//! with `ψ` smooth (see [`DualBarrier`]). Everything the method needs
//! follows from `ψ`'s derivatives up to third order:
//!
//! - `∇f* = −∇ψ/ψ − Σ cᵢσᵢe_{kᵢ}/(σᵢz_{kᵢ})`,
//!   `∇²f* = ∇ψ∇ψᵀ/ψ² − ∇²ψ/ψ + Σ cᵢ e_{kᵢ}e_{kᵢ}ᵀ/z_{kᵢ}²`;
//! - the central path is `s = −μ∇f*(z)`; the linearized centrality condition
//!   is `Δs + H Δz = −(s + σμ∇f*(z) − η)` with the higher-order (Mehrotra-type)
//!   correction `η = ½∇³f*(z)[Δzₐ, (∇²f*)⁻¹Δsₐ]` of the affine directions
//!   (Dahl & Andersen 2022, §5; the same form as Clarabel's);
//! - the scaling `H` is the primal-dual scaling of Tunçel (Dahl & Andersen
//!   eq. (20)): a rank-3 matrix with `Hz = s` and `H∇f(s) = ∇f*(z)`, where
//!   `∇f(s) = −z̃` for the conjugate barrier is found by Newton's method
//!   (`z̃` minimizes `f*(z) + ⟨s, z⟩`); near the central path, or when that
//!   update is ill-conditioned, the dual scaling `H = μ∇²f*(z)` is used;
//! - step lengths are found by backtracking on membership tests (there is
//!   no closed form), and [`Cone::barrier`] gives `f(s) + f*(z)` for the
//!   neighbourhood test of the dual-scaling fallback.

use super::{Cone, HsLayout};

/// A symmetric 3×3 matrix stored in full.
pub type Sym3 = [[f64; 3]; 3];

/// Backtracking factor of the step-length line search.
const BACKTRACK: f64 = 0.8;
/// Steps below this length are reported as 0.
const MIN_STEP: f64 = 1e-10;

/// The smooth part `ψ` of a dual barrier and its logarithmic terms.
pub trait DualBarrier: Clone + std::fmt::Debug {
    /// Short name for messages.
    const NAME: &'static str;
    /// The terms `cᵢ·log(σᵢ·z_{kᵢ})` as `(cᵢ, kᵢ, σᵢ)`.
    fn log_terms(&self) -> [(f64, usize, f64); 2];
    /// True if `z` is in the interior of the dual cone.
    fn is_dual_interior(&self, z: &[f64; 3]) -> bool;
    /// True if `s` is in the interior of the cone.
    fn is_primal_interior(&self, s: &[f64; 3]) -> bool;
    /// `ψ(z)`, `∇ψ(z)`, `∇²ψ(z)` at an interior `z`.
    fn psi(&self, z: &[f64; 3]) -> (f64, [f64; 3], Sym3);
    /// `∇³ψ(z)[u, v]`.
    fn psi_third(&self, z: &[f64; 3], u: &[f64; 3], v: &[f64; 3]) -> [f64; 3];
    /// `∇f(s)` of the conjugate barrier at an interior `s`; `guess` is a
    /// dual-interior point near `−∇f(s)`. The default is the damped Newton
    /// method of [`primal_gradient_newton`]; cones with a closed form
    /// override it.
    fn primal_gradient(&self, s: &[f64; 3], guess: &[f64; 3]) -> Option<[f64; 3]> {
        primal_gradient_newton(self, s, guess)
    }
}

/// Value, gradient and Hessian of `f*` at an interior `z`.
pub fn dual_barrier<B: DualBarrier>(b: &B, z: &[f64; 3]) -> (f64, [f64; 3], Sym3) {
    let (psi, dpsi, hpsi) = b.psi(z);
    let mut f = -psi.ln();
    let mut g = [0.0; 3];
    let mut h = [[0.0; 3]; 3];
    for i in 0..3 {
        g[i] = -dpsi[i] / psi;
        for j in 0..3 {
            h[i][j] = dpsi[i] * dpsi[j] / (psi * psi) - hpsi[i][j] / psi;
        }
    }
    for (c, k, sign) in b.log_terms() {
        f -= c * (sign * z[k]).ln();
        g[k] -= c / z[k];
        h[k][k] += c / (z[k] * z[k]);
    }
    (f, g, h)
}

/// `∇³f*(z)[u, v]`, from `f* = −log ψ − Σ cᵢ log(σᵢzₖ)`:
/// `−∇³ψ[u,v]/ψ + (∇²ψ[u,v]·∇ψ + ∇²ψu·(∇ψᵀv) + ∇²ψv·(∇ψᵀu))/ψ² − 2(∇ψᵀu)(∇ψᵀv)∇ψ/ψ³`
/// plus `−2cᵢuₖvₖ/zₖ³` on each logarithmic coordinate.
pub fn dual_third<B: DualBarrier>(b: &B, z: &[f64; 3], u: &[f64; 3], v: &[f64; 3]) -> [f64; 3] {
    let (psi, dpsi, hpsi) = b.psi(z);
    let t = b.psi_third(z, u, v);
    let hu = mul3(&hpsi, u);
    let hv = mul3(&hpsi, v);
    let uhv = dot3(u, &hv);
    let (gu, gv) = (dot3(&dpsi, u), dot3(&dpsi, v));
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = -t[i] / psi + (uhv * dpsi[i] + hu[i] * gv + hv[i] * gu) / (psi * psi)
            - 2.0 * gu * gv * dpsi[i] / (psi * psi * psi);
    }
    for (c, k, _) in b.log_terms() {
        out[k] -= 2.0 * c * u[k] * v[k] / (z[k] * z[k] * z[k]);
    }
    out
}

/// `∇f(s) = −z̃` of the conjugate barrier `f(s) = sup_z −⟨s, z⟩ − f*(z)`,
/// where `z̃` minimizes `f*(z) + ⟨s, z⟩` (so `−∇f*(z̃) = s`). Damped Newton
/// from `guess` (any dual-interior point; it is rescaled so that
/// `⟨s, z⟩ = 3`, exact on the central path). `None` if it fails.
pub fn primal_gradient<B: DualBarrier>(b: &B, s: &[f64; 3], guess: &[f64; 3]) -> Option<[f64; 3]> {
    b.primal_gradient(s, guess)
}

/// The damped-Newton computation behind [`primal_gradient`].
pub fn primal_gradient_newton<B: DualBarrier>(
    b: &B,
    s: &[f64; 3],
    guess: &[f64; 3],
) -> Option<[f64; 3]> {
    let sg = dot3(s, guess);
    if sg.is_nan() || sg <= 0.0 || !b.is_dual_interior(guess) || !b.is_primal_interior(s) {
        return None;
    }
    let mut z = [0.0; 3];
    for i in 0..3 {
        z[i] = 3.0 * guess[i] / sg;
    }
    for _ in 0..100 {
        let (_, g, h) = dual_barrier(b, &z);
        let r = [g[0] + s[0], g[1] + s[1], g[2] + s[2]];
        let l = cholesky3(&h)?;
        let d = chol_solve3(&l, &r);
        // Newton decrement λ² = rᵀH⁻¹r.
        let lam2 = dot3(&r, &d);
        if !lam2.is_finite() {
            return None;
        }
        let lam = lam2.max(0.0).sqrt();
        let mut t = if lam > 0.25 { 1.0 / (1.0 + lam) } else { 1.0 };
        loop {
            let trial = [z[0] - t * d[0], z[1] - t * d[1], z[2] - t * d[2]];
            if b.is_dual_interior(&trial) {
                z = trial;
                break;
            }
            t *= 0.5;
            if t < 1e-12 {
                return None;
            }
        }
        if lam < 1e-9 {
            return Some([-z[0], -z[1], -z[2]]);
        }
    }
    None
}

/// The point `e` with `e = −∇f*(e)`, used as the starting `s = z` (it is
/// on the central path with `μ = 1`): minimizer of `f*(z) + ½‖z‖²`.
pub fn central_point<B: DualBarrier>(b: &B, start: [f64; 3]) -> [f64; 3] {
    let mut z = start;
    for _ in 0..200 {
        let (_, g, mut h) = dual_barrier(b, &z);
        let r = [g[0] + z[0], g[1] + z[1], g[2] + z[2]];
        for (i, row) in h.iter_mut().enumerate() {
            row[i] += 1.0;
        }
        let Some(l) = cholesky3(&h) else { break };
        let d = chol_solve3(&l, &r);
        let lam = dot3(&r, &d).max(0.0).sqrt();
        let mut t = if lam > 0.25 { 1.0 / (1.0 + lam) } else { 1.0 };
        loop {
            let trial = [z[0] - t * d[0], z[1] - t * d[1], z[2] - t * d[2]];
            if b.is_dual_interior(&trial) {
                z = trial;
                break;
            }
            t *= 0.5;
        }
        if lam < 1e-14 {
            break;
        }
    }
    z
}

/// A nonsymmetric 3-dimensional cone with dual barrier `B`.
#[derive(Debug, Clone)]
pub struct Nonsymmetric3<B: DualBarrier> {
    barrier: B,
    /// `e = −∇f*(e)`, the starting point.
    unit: [f64; 3],
    /// `z` at the last scaling update.
    z: [f64; 3],
    /// `∇f*(z)`.
    grad: [f64; 3],
    /// `∇²f*(z)`.
    h_dual: Sym3,
    /// The scaling matrix `H` entering the KKT system.
    hs: Sym3,
    dual_scaling: bool,
}

impl<B: DualBarrier> Nonsymmetric3<B> {
    /// The cone of barrier `b`, with the starting point found from `start`
    /// (any interior point of the dual cone).
    pub fn with_barrier(b: B, start: [f64; 3]) -> Self {
        let unit = central_point(&b, start);
        Nonsymmetric3 {
            barrier: b,
            unit,
            z: unit,
            grad: [0.0; 3],
            h_dual: [[0.0; 3]; 3],
            hs: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            dual_scaling: false,
        }
    }

    /// The barrier description.
    pub fn barrier_fn(&self) -> &B {
        &self.barrier
    }

    /// The current scaling matrix `H`.
    pub fn hs(&self) -> &Sym3 {
        &self.hs
    }

    fn use_dual_scaling(&mut self, mu: f64) {
        for i in 0..3 {
            for j in 0..3 {
                self.hs[i][j] = mu * self.h_dual[i][j];
            }
        }
    }

    /// Tunçel's primal-dual scaling (Dahl & Andersen eq. (20)):
    /// `H = s sᵀ/⟨s,z⟩ + δs δsᵀ/⟨δs,δz⟩ + t·a aᵀ` with `δs = s + μ∇f*(z)`,
    /// `δz = z + μ∇f(s)`, `a ⟂ z, ∇f(s)` normalized and
    /// `t = μ‖∇²f* − ∇f*∇f*ᵀ/3 − ttᵀ/(∇fᵀ∇²f*∇f − 3μ̃²)‖_F`,
    /// `t = μ̃∇f* − ∇²f*∇f`, `μ̃ = ⟨∇f*, ∇f⟩/3`. Falls back to the dual
    /// scaling when the update is ill-conditioned or near the central path.
    fn use_primal_dual_scaling(&mut self, s: &[f64; 3], z: &[f64; 3]) {
        let sz = dot3(s, z);
        let mu = sz / 3.0;
        let Some(zt) = primal_gradient(&self.barrier, s, z) else {
            self.use_dual_scaling(mu);
            return;
        };
        let st = self.grad;
        let mut ds = [0.0; 3];
        let mut dz = [0.0; 3];
        for i in 0..3 {
            ds[i] = s[i] + mu * st[i];
            dz[i] = z[i] + mu * zt[i];
        }
        let dsdz = dot3(&ds, &dz);
        let mut_ = dot3(&st, &zt) / 3.0;
        let hzt = mul3(&self.h_dual, &zt);
        let de1 = mu * mut_ - 1.0;
        let de2 = dot3(&zt, &hzt) - 3.0 * mut_ * mut_;
        if !(de1.abs() > f64::EPSILON.sqrt() && de2.abs() > f64::EPSILON && sz > 0.0 && dsdz > 0.0)
        {
            self.use_dual_scaling(mu);
            return;
        }
        let mut tvec = [0.0; 3];
        for i in 0..3 {
            tvec[i] = mut_ * st[i] - hzt[i];
        }
        let mut fro = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                let v = self.h_dual[i][j] - st[i] * st[j] / 3.0 - tvec[i] * tvec[j] / de2;
                fro += v * v;
            }
        }
        let t = mu * fro.sqrt();
        let mut axis = [
            z[1] * zt[2] - z[2] * zt[1],
            z[2] * zt[0] - z[0] * zt[2],
            z[0] * zt[1] - z[1] * zt[0],
        ];
        let na = dot3(&axis, &axis).sqrt();
        if !(na > 0.0 && t.is_finite()) {
            self.use_dual_scaling(mu);
            return;
        }
        axis.iter_mut().for_each(|a| *a /= na);
        for i in 0..3 {
            for j in 0..3 {
                self.hs[i][j] = s[i] * s[j] / sz + ds[i] * ds[j] / dsdz + t * axis[i] * axis[j];
            }
        }
    }
}

impl<B: DualBarrier> Cone for Nonsymmetric3<B> {
    fn dim(&self) -> usize {
        3
    }
    fn degree(&self) -> usize {
        3
    }
    fn is_symmetric(&self) -> bool {
        false
    }
    fn unit_initialization(&self, z: &mut [f64], s: &mut [f64]) {
        z.copy_from_slice(&self.unit);
        s.copy_from_slice(&self.unit);
    }
    fn shift_to_cone(&self, z: &mut [f64]) {
        // Only used by the symmetric initialization, which problems with
        // nonsymmetric cones never take; the unit point is interior.
        z.copy_from_slice(&self.unit);
    }
    fn set_identity_scaling(&mut self) {
        self.hs = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    }
    fn set_dual_scaling(&mut self, on: bool) {
        self.dual_scaling = on;
    }
    fn update_scaling(&mut self, s: &[f64], z: &[f64], mu: f64) -> bool {
        let s3 = [s[0], s[1], s[2]];
        let z3 = [z[0], z[1], z[2]];
        if !self.barrier.is_dual_interior(&z3) || !self.barrier.is_primal_interior(&s3) {
            return false;
        }
        let (_, g, h) = dual_barrier(&self.barrier, &z3);
        self.grad = g;
        self.h_dual = h;
        self.z = z3;
        if self.dual_scaling {
            self.use_dual_scaling(mu);
        } else {
            self.use_primal_dual_scaling(&s3, &z3);
        }
        self.hs.iter().flatten().all(|v| v.is_finite())
    }
    fn hs_layout(&self) -> HsLayout {
        HsLayout::DenseUpper
    }
    fn hs_values(&self, out: &mut [f64]) {
        let h = &self.hs;
        out.copy_from_slice(&[h[0][0], h[0][1], h[1][1], h[0][2], h[1][2], h[2][2]]);
    }
    fn mul_hs(&self, y: &mut [f64], x: &[f64]) {
        let r = mul3(&self.hs, &[x[0], x[1], x[2]]);
        y.copy_from_slice(&r);
    }
    /// For nonsymmetric cones the affine right-hand side is `s` itself.
    fn affine_ds(&self, ds: &mut [f64], s: &[f64]) {
        ds.copy_from_slice(s);
    }
    /// `σμ∇f*(z) − η` with `η = ½∇³f*(z)[Δz, (∇²f*)⁻¹Δs]`.
    fn combined_ds_shift(
        &mut self,
        shift: &mut [f64],
        step_z: &mut [f64],
        step_s: &mut [f64],
        sigma_mu: f64,
    ) {
        let eta = match cholesky3(&self.h_dual) {
            Some(l) => {
                let u = chol_solve3(&l, &[step_s[0], step_s[1], step_s[2]]);
                let v = [step_z[0], step_z[1], step_z[2]];
                let t = dual_third(&self.barrier, &self.z, &u, &v);
                [0.5 * t[0], 0.5 * t[1], 0.5 * t[2]]
            }
            None => [0.0; 3],
        };
        for i in 0..3 {
            shift[i] = sigma_mu * self.grad[i] - eta[i];
        }
    }
    /// The linearized centrality condition is `Δs + HΔz = −ds`: offset `ds`.
    fn delta_s_from_delta_z_offset(&self, out: &mut [f64], ds: &[f64], _work: &mut [f64]) {
        out.copy_from_slice(ds);
    }
    fn step_length(&self, dz: &[f64], ds: &[f64], z: &[f64], s: &[f64], amax: f64) -> (f64, f64) {
        let az = backtrack(z, dz, amax, |p| self.barrier.is_dual_interior(p));
        let as_ = backtrack(s, ds, amax, |p| self.barrier.is_primal_interior(p));
        (az, as_)
    }
    /// `f(s + αΔs) + f*(z + αΔz)`, with `f(s) = −3 − f*(−∇f(s))`.
    fn barrier(&self, z: &[f64], s: &[f64], dz: &[f64], ds: &[f64], alpha: f64) -> f64 {
        let zc = [
            z[0] + alpha * dz[0],
            z[1] + alpha * dz[1],
            z[2] + alpha * dz[2],
        ];
        let sc = [
            s[0] + alpha * ds[0],
            s[1] + alpha * ds[1],
            s[2] + alpha * ds[2],
        ];
        if !self.barrier.is_dual_interior(&zc) || !self.barrier.is_primal_interior(&sc) {
            return f64::INFINITY;
        }
        let Some(gp) = primal_gradient(&self.barrier, &sc, &zc) else {
            return f64::INFINITY;
        };
        let zt = [-gp[0], -gp[1], -gp[2]];
        let fp = -3.0 - dual_barrier(&self.barrier, &zt).0;
        fp + dual_barrier(&self.barrier, &zc).0
    }
}

/// Largest `α = α_max·0.8ᵏ` with `q + α·dq` interior (0 below `1e-10`).
fn backtrack(q: &[f64], dq: &[f64], amax: f64, inside: impl Fn(&[f64; 3]) -> bool) -> f64 {
    let mut a = amax;
    while a >= MIN_STEP {
        let p = [q[0] + a * dq[0], q[1] + a * dq[1], q[2] + a * dq[2]];
        if inside(&p) {
            return a;
        }
        a *= BACKTRACK;
    }
    0.0
}

#[inline]
pub(crate) fn dot3(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub(crate) fn mul3(m: &Sym3, x: &[f64; 3]) -> [f64; 3] {
    [dot3(&m[0], x), dot3(&m[1], x), dot3(&m[2], x)]
}

/// Lower Cholesky factor of a symmetric positive definite 3×3 matrix.
pub(crate) fn cholesky3(h: &Sym3) -> Option<Sym3> {
    let mut l = [[0.0; 3]; 3];
    for j in 0..3 {
        let mut d = h[j][j];
        for k in 0..j {
            d -= l[j][k] * l[j][k];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        l[j][j] = d.sqrt();
        for i in j + 1..3 {
            let mut v = h[i][j];
            for k in 0..j {
                v -= l[i][k] * l[j][k];
            }
            l[i][j] = v / l[j][j];
        }
    }
    Some(l)
}

/// Solves `LLᵀx = b`.
pub(crate) fn chol_solve3(l: &Sym3, b: &[f64; 3]) -> [f64; 3] {
    let mut y = [0.0; 3];
    for i in 0..3 {
        let mut v = b[i];
        for k in 0..i {
            v -= l[i][k] * y[k];
        }
        y[i] = v / l[i][i];
    }
    let mut x = [0.0; 3];
    for i in (0..3).rev() {
        let mut v = y[i];
        for k in i + 1..3 {
            v -= l[k][i] * x[k];
        }
        x[i] = v / l[i][i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cones::{ExpBarrier, PowBarrier};

    fn points() -> Vec<[f64; 3]> {
        vec![
            [0.3, 1.2, 2.0],
            [-2.0, 0.5, 0.9],
            [1.5, 0.7, 5.0],
            [0.1, 3.0, 1.2],
        ]
    }

    /// Dual-interior test points for `b`, built by `−∇f*` of primal ones.
    fn check_barrier<B: DualBarrier>(b: &B, zs: &[[f64; 3]]) {
        for z in zs {
            assert!(b.is_dual_interior(z), "{z:?}");
            let (f, g, h) = dual_barrier(b, z);
            let eps = 1e-6;
            for k in 0..3 {
                let mut zp = *z;
                let mut zm = *z;
                zp[k] += eps;
                zm[k] -= eps;
                let (fp, gp, hp) = dual_barrier(b, &zp);
                let (fm, gm, hm) = dual_barrier(b, &zm);
                let fd = (fp - fm) / (2.0 * eps);
                assert!(
                    (fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()),
                    "grad {k}: {fd} vs {}",
                    g[k]
                );
                for i in 0..3 {
                    let fd = (gp[i] - gm[i]) / (2.0 * eps);
                    assert!((fd - h[i][k]).abs() < 1e-5 * (1.0 + h[i][k].abs()), "hess");
                }
                // Third derivative along e_k against differences of H.
                let mut ek = [0.0; 3];
                ek[k] = 1.0;
                for j in 0..3 {
                    let mut ej = [0.0; 3];
                    ej[j] = 1.0;
                    let t = dual_third(b, z, &ek, &ej);
                    for i in 0..3 {
                        let fd = (hp[i][j] - hm[i][j]) / (2.0 * eps);
                        assert!(
                            (fd - t[i]).abs() < 1e-4 * (1.0 + t[i].abs()),
                            "third {i}{j}{k}: {fd} vs {}",
                            t[i]
                        );
                    }
                }
            }
            // Logarithmic homogeneity: ⟨∇f*(z), z⟩ = −3 and ∇²f*(z)z = −∇f*(z).
            assert!((dot3(&g, z) + 3.0).abs() < 1e-10);
            let hz = mul3(&h, z);
            for i in 0..3 {
                assert!((hz[i] + g[i]).abs() < 1e-9 * (1.0 + g[i].abs()));
            }
            let _ = f;
            // The conjugate gradient inverts −∇f*.
            let s = [-g[0], -g[1], -g[2]];
            assert!(b.is_primal_interior(&s), "{s:?}");
            let guess = [z[0] * 1.7, z[1] * 1.7, z[2] * 1.7];
            let gp = primal_gradient(b, &s, &guess).unwrap();
            for i in 0..3 {
                assert!(
                    (-gp[i] - z[i]).abs() < 1e-9 * (1.0 + z[i].abs()),
                    "{gp:?} vs {z:?}"
                );
            }
        }
    }

    #[test]
    fn exp_barrier_derivatives() {
        let zs: Vec<[f64; 3]> = vec![
            [-1.0, 0.5, 1.0],
            [-0.3, 2.0, 0.4],
            [-2.0, -1.0, 3.0],
            [-0.5, 0.3, 5.0],
        ];
        check_barrier(&ExpBarrier, &zs);
        let c = crate::cones::ExponentialCone::new();
        let mut z = [0.0; 3];
        let mut s = [0.0; 3];
        c.unit_initialization(&mut z, &mut s);
        let (_, g, _) = dual_barrier(&ExpBarrier, &[z[0], z[1], z[2]]);
        for i in 0..3 {
            assert!((g[i] + z[i]).abs() < 1e-12);
        }
        let _ = points();
    }

    /// The exponential cone's closed-form conjugate gradient (Wright omega)
    /// agrees with the generic Newton computation, including near the
    /// boundary and far out.
    #[test]
    fn exp_primal_gradient_matches_newton() {
        for s in [
            [0.3f64, 1.2, 2.0],
            [-2.0, 0.5, 0.9],
            [1.0, 0.7, 5.0],
            [-30.0, 1.0, 1e-3],
            [0.99, 1.0, 2.7],
        ] {
            let closed = primal_gradient_newton(&ExpBarrier, &s, &[-1.0, 0.5, 1.0]).unwrap();
            let g = primal_gradient(&ExpBarrier, &s, &[-1.0, 0.5, 1.0]).unwrap();
            for i in 0..3 {
                assert!(
                    (g[i] - closed[i]).abs() < 1e-9 * (1.0 + g[i].abs()),
                    "{g:?} vs {closed:?}"
                );
            }
        }
    }

    /// The power cone's scalar reduction agrees with the generic Newton
    /// computation.
    #[test]
    fn pow_primal_gradient_matches_newton() {
        for alpha in [0.05, 0.3, 0.5, 0.9] {
            let b = PowBarrier { alpha };
            for s in [
                [1.0, 2.0, 0.5],
                [0.3, 0.1, -0.2],
                [1.0, 1.0, 0.0],
                [2.0, 3.0, 1e-9],
                [5.0, 0.01, 0.01],
            ] {
                if !b.is_primal_interior(&s) {
                    continue;
                }
                let newton = primal_gradient_newton(&b, &s, &[1.0, 1.0, 0.0]).unwrap();
                let g = primal_gradient(&b, &s, &[1.0, 1.0, 0.0]).unwrap();
                for i in 0..3 {
                    assert!(
                        (g[i] - newton[i]).abs() < 1e-8 * (1.0 + newton[i].abs()),
                        "α = {alpha}, s = {s:?}: {g:?} vs {newton:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn pow_barrier_derivatives() {
        for alpha in [0.1, 0.35, 0.5, 0.8] {
            let zs: Vec<[f64; 3]> = vec![[1.0, 1.0, 0.3], [0.4, 2.0, -0.5], [3.0, 0.2, 0.1]];
            let b = PowBarrier { alpha };
            let zs: Vec<[f64; 3]> = zs.into_iter().filter(|z| b.is_dual_interior(z)).collect();
            assert!(!zs.is_empty());
            check_barrier(&b, &zs);
        }
    }

    #[test]
    fn primal_dual_scaling_identities() {
        let mut c = crate::cones::PowerCone::new(0.3);
        let s = [1.0, 2.0, 0.5];
        let z = [0.8, 0.4, -0.2];
        assert!(c.update_scaling(&s, &z, 0.5));
        let h = *c.hs();
        let hz = mul3(&h, &z);
        for i in 0..3 {
            assert!((hz[i] - s[i]).abs() < 1e-10, "Hz = {hz:?}, s = {s:?}");
        }
        let zt = primal_gradient(&c.barrier, &s, &z).unwrap();
        let (_, st, _) = dual_barrier(&c.barrier, &z);
        let hzt = mul3(&h, &zt);
        for i in 0..3 {
            assert!(
                (hzt[i] - st[i]).abs() < 1e-8 * (1.0 + st[i].abs()),
                "{hzt:?} vs {st:?}"
            );
        }
    }
}
