//! The exponential cone `K = closure{(x, y, z) : y·exp(x/y) ≤ z, y > 0}` and
//! its dual `K* = closure{(u, v, w) : −u·exp(v/u) ≤ e·w, u < 0}`.
//!
//! The interior-point method works with the degree-3 dual barrier
//! `f*(u, v, w) = −log r − log(−u) − log w`, `r = v − u − u·log(−w/u)`
//! (`r > 0` is the dual cone's defining inequality); see
//! [`nonsymmetric`](super::nonsymmetric) for how scaling, corrections and
//! step lengths follow from it.

use super::nonsymmetric::{DualBarrier, Nonsymmetric3, Sym3};

/// The exponential cone for the interior-point method.
pub type ExponentialCone = Nonsymmetric3<ExpBarrier>;

impl ExponentialCone {
    /// The exponential cone (3 rows).
    pub fn new() -> Self {
        // The central point is the same for every instance: compute it once.
        static PROTOTYPE: std::sync::OnceLock<ExponentialCone> = std::sync::OnceLock::new();
        PROTOTYPE
            .get_or_init(|| Nonsymmetric3::with_barrier(ExpBarrier, [-1.0, 0.5, 1.0]))
            .clone()
    }
}

impl Default for ExponentialCone {
    fn default() -> Self {
        Self::new()
    }
}

/// `ψ = r(u, v, w) = v − u − u·log(−w/u)` with terms `−log(−u) − log w`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExpBarrier;

impl DualBarrier for ExpBarrier {
    const NAME: &'static str = "exp";

    fn log_terms(&self) -> [(f64, usize, f64); 2] {
        [(1.0, 0, -1.0), (1.0, 2, 1.0)]
    }

    fn is_dual_interior(&self, z: &[f64; 3]) -> bool {
        z[0] < 0.0 && z[2] > 0.0 && {
            let r = z[1] - z[0] - z[0] * (-z[2] / z[0]).ln();
            r > 0.0 && r.is_finite()
        }
    }

    fn is_primal_interior(&self, s: &[f64; 3]) -> bool {
        s[1] > 0.0 && s[2] > 0.0 && {
            let r = s[1] * (s[2] / s[1]).ln() - s[0];
            r > 0.0 && r.is_finite()
        }
    }

    /// `∇r = (−l, 1, −u/w)` with `l = log(−w/u)`; `∇²r` has
    /// `∂²r/∂u² = 1/u`, `∂²r/∂u∂w = −1/w`, `∂²r/∂w² = u/w²`.
    fn psi(&self, z: &[f64; 3]) -> (f64, [f64; 3], Sym3) {
        let (u, v, w) = (z[0], z[1], z[2]);
        let l = (-w / u).ln();
        let r = v - u - u * l;
        let g = [-l, 1.0, -u / w];
        let h = [
            [1.0 / u, 0.0, -1.0 / w],
            [0.0, 0.0, 0.0],
            [-1.0 / w, 0.0, u / (w * w)],
        ];
        (r, g, h)
    }

    /// Closed form through the Wright omega function (Clarabel's; derived
    /// from `−∇f*(z̃) = s`): with `ω + log ω = 1 − x/y − log(y/z)`,
    /// `∇f(s) = (g, g + g·log(ωy/z) − 1/y, ω/((1 − ω)z))`, `g = 1/((ω − 1)y)`.
    fn primal_gradient(&self, s: &[f64; 3], _guess: &[f64; 3]) -> Option<[f64; 3]> {
        if !self.is_primal_interior(s) {
            return None;
        }
        let (x, y, z) = (s[0], s[1], s[2]);
        let w = wright_omega(1.0 - x / y - (y / z).ln())?;
        let g = 1.0 / ((w - 1.0) * y);
        let out = [g, g + g * (w * y / z).ln() - 1.0 / y, w / ((1.0 - w) * z)];
        out.iter().all(|v| v.is_finite()).then_some(out)
    }

    /// Nonzero third derivatives: `∂³r/∂u³ = −1/u²`, `∂³r/∂u∂w² = 1/w²`,
    /// `∂³r/∂w³ = −2u/w³`.
    fn psi_third(&self, z: &[f64; 3], a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
        let (u, w) = (z[0], z[2]);
        let w2 = w * w;
        [
            -a[0] * b[0] / (u * u) + a[2] * b[2] / w2,
            0.0,
            (a[0] * b[2] + a[2] * b[0]) / w2 - 2.0 * u * a[2] * b[2] / (w2 * w),
        ]
    }
}

/// The Wright omega function `ω(x)`, the solution of `ω + log ω = x`, for
/// `x > 1` (where `ω > 1`; interior points of the cone give such `x`).
/// Halley's method from the asymptotic start `x − log x` (or `1 + (x−1)/2`
/// near 1), to full precision in a few steps.
fn wright_omega(x: f64) -> Option<f64> {
    if x.is_nan() || x <= 1.0 {
        return None;
    }
    if x > 1e15 {
        // ω = x − log x + log x/x + …; the correction is below an ulp.
        return Some(x - x.ln());
    }
    let mut w = if x < 3.0 {
        1.0 + 0.5 * (x - 1.0)
    } else {
        x - x.ln()
    };
    for _ in 0..20 {
        let f = w + w.ln() - x;
        let d1 = 1.0 + 1.0 / w;
        let d2 = -1.0 / (w * w);
        let step = f / (d1 - 0.5 * f * d2 / d1);
        w -= step;
        if step.abs() <= 4.0 * f64::EPSILON * w {
            break;
        }
    }
    Some(w)
}
