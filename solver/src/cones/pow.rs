//! The power cone `K_α = {(x, y, z) : x^α·y^(1−α) ≥ |z|, x, y ≥ 0}`,
//! `α ∈ (0, 1)`, and its dual
//! `K_α* = {(u, v, w) : (u/α)^α·(v/(1−α))^(1−α) ≥ |w|, u, v ≥ 0}`.
//!
//! The interior-point method works with the degree-3 dual barrier
//! `f*(u, v, w) = −log(φ − w²) − (1−α)·log u − α·log v` with
//! `φ = (u/α)^(2α)·(v/(1−α))^(2(1−α))`; see
//! [`nonsymmetric`](super::nonsymmetric).

use super::nonsymmetric::{DualBarrier, Nonsymmetric3, Sym3};

/// The power cone for the interior-point method.
pub type PowerCone = Nonsymmetric3<PowBarrier>;

impl PowerCone {
    /// The power cone with exponent `alpha ∈ (0, 1)` (3 rows).
    pub fn new(alpha: f64) -> Self {
        Nonsymmetric3::with_barrier(PowBarrier { alpha }, [1.0, 1.0, 0.0])
    }
}

/// `ψ = φ(u, v) − w²` with terms `−(1−α)·log u − α·log v`.
#[derive(Debug, Clone, Copy)]
pub struct PowBarrier {
    /// The exponent `α`.
    pub alpha: f64,
}

impl PowBarrier {
    /// `φ = exp(2α·log(u/α) + 2(1−α)·log(v/(1−α)))`.
    fn phi(&self, u: f64, v: f64) -> f64 {
        let a = self.alpha;
        (2.0 * a * (u / a).ln() + 2.0 * (1.0 - a) * (v / (1.0 - a)).ln()).exp()
    }
}

impl DualBarrier for PowBarrier {
    const NAME: &'static str = "pow";

    fn log_terms(&self) -> [(f64, usize, f64); 2] {
        [(1.0 - self.alpha, 0, 1.0), (self.alpha, 1, 1.0)]
    }

    fn is_dual_interior(&self, z: &[f64; 3]) -> bool {
        let a = self.alpha;
        z[0] > 0.0
            && z[1] > 0.0
            && a * (z[0] / a).ln() + (1.0 - a) * (z[1] / (1.0 - a)).ln() > z[2].abs().ln()
    }

    fn is_primal_interior(&self, s: &[f64; 3]) -> bool {
        let a = self.alpha;
        s[0] > 0.0 && s[1] > 0.0 && a * s[0].ln() + (1.0 - a) * s[1].ln() > s[2].abs().ln()
    }

    /// With `p = 2α`, `q = 2(1−α)`: `∇φ = φ·(p/u, q/v, 0)`,
    /// `∇²φ = φ·[[p(p−1)/u², pq/(uv)], [pq/(uv), q(q−1)/v²]]`, and the
    /// `−w²` term adds `−2w` and `−2`.
    fn psi(&self, z: &[f64; 3]) -> (f64, [f64; 3], Sym3) {
        let (u, v, w) = (z[0], z[1], z[2]);
        let (p, q) = (2.0 * self.alpha, 2.0 * (1.0 - self.alpha));
        let phi = self.phi(u, v);
        let g = [phi * p / u, phi * q / v, -2.0 * w];
        let h01 = phi * p * q / (u * v);
        let h = [
            [phi * p * (p - 1.0) / (u * u), h01, 0.0],
            [h01, phi * q * (q - 1.0) / (v * v), 0.0],
            [0.0, 0.0, -2.0],
        ];
        (phi - w * w, g, h)
    }

    /// Reduces `−∇f*(z̃) = s` to one scalar equation. With `r = φ/ψ ≥ 1` at
    /// `z̃`, the first two components give `z̃₀ = (2αr + 1 − α)/s₀`,
    /// `z̃₁ = (2(1−α)r + α)/s₁`, the third `z̃₂ = −s₂φ/(2r)`, and
    /// `ψ = φ − z̃₂²` becomes `4r(r − 1) = s₂²·φ(r)`. In `t = r − 1 = eᵘ`:
    /// `q(u) = log 4 + u + log(1 + t) − 2·log|s₂| − log φ(1 + t) = 0`,
    /// increasing from `−∞` to `2(α·log s₀ + (1−α)·log s₁ − log|s₂|) > 0`;
    /// solved by Newton's method safeguarded with bisection. `∇f(s) = −z̃`.
    fn primal_gradient(&self, s: &[f64; 3], _guess: &[f64; 3]) -> Option<[f64; 3]> {
        if !self.is_primal_interior(s) {
            return None;
        }
        let a = self.alpha;
        let (ca, cb) = (2.0 * a, 2.0 * (1.0 - a));
        let log_phi = |r: f64| {
            ca * ((ca * r + 1.0 - a) / (a * s[0])).ln()
                + cb * ((cb * r + a) / ((1.0 - a) * s[1])).ln()
        };
        let r = if s[2] == 0.0 {
            1.0
        } else {
            let l2 = 2.0 * s[2].abs().ln();
            let q = |u: f64| {
                let t = u.exp();
                (4.0f64).ln() + u + t.ln_1p() - l2 - log_phi(1.0 + t)
            };
            let dq = |u: f64| {
                let t = u.exp();
                let r = 1.0 + t;
                1.0 + t / r - t * (ca * ca / (ca * r + 1.0 - a) + cb * cb / (cb * r + a))
            };
            let (mut lo, mut hi) = (-700.0f64, 700.0f64);
            if q(lo) >= 0.0 {
                1.0
            } else {
                let mut u = 0.0f64.clamp(lo, hi);
                for _ in 0..200 {
                    let f = q(u);
                    if f == 0.0 {
                        break;
                    }
                    if f < 0.0 {
                        lo = u;
                    } else {
                        hi = u;
                    }
                    let d = dq(u);
                    let mut next = u - f / d;
                    if !(next > lo && next < hi) || d <= 0.0 {
                        next = 0.5 * (lo + hi);
                    }
                    if (next - u).abs() <= 1e-15 * (1.0 + u.abs()) || hi - lo < 1e-14 {
                        u = next;
                        break;
                    }
                    u = next;
                }
                1.0 + u.exp()
            }
        };
        let phi = log_phi(r).exp();
        let z = [
            (ca * r + 1.0 - a) / s[0],
            (cb * r + a) / s[1],
            -s[2] * phi / (2.0 * r),
        ];
        let out = [-z[0], -z[1], -z[2]];
        out.iter().all(|v| v.is_finite()).then_some(out)
    }

    /// Third derivatives of `φ` only: `φ·p(p−1)(p−2)/u³`, `φ·p(p−1)q/(u²v)`,
    /// `φ·pq(q−1)/(uv²)`, `φ·q(q−1)(q−2)/v³`.
    fn psi_third(&self, z: &[f64; 3], a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
        let (u, v) = (z[0], z[1]);
        let (p, q) = (2.0 * self.alpha, 2.0 * (1.0 - self.alpha));
        let phi = self.phi(u, v);
        let t000 = phi * p * (p - 1.0) * (p - 2.0) / (u * u * u);
        let t001 = phi * p * (p - 1.0) * q / (u * u * v);
        let t011 = phi * p * q * (q - 1.0) / (u * v * v);
        let t111 = phi * q * (q - 1.0) * (q - 2.0) / (v * v * v);
        let cross = a[0] * b[1] + a[1] * b[0];
        [
            t000 * a[0] * b[0] + t001 * cross + t011 * a[1] * b[1],
            t001 * a[0] * b[0] + t011 * cross + t111 * a[1] * b[1],
            0.0,
        ]
    }
}
