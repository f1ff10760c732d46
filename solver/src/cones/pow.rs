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
