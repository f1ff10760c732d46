//! The exponential cone `K = closure{(x, y, z) : y·exp(x/y) ≤ z, y > 0}`.
//!
//! Its polar is `K° = −K* = {(x, y, z) : x > 0, z ≤ −x·exp(y/x − 1)} ∪
//! {(0, y, z) : y ≤ 0, z ≤ 0}`.
//!
//! # Projection (Friberg 2021)
//!
//! H. A. Friberg, "Projection onto the exponential cone: a univariate
//! root-finding problem", Optim. Methods Softw. (2023). After scaling the
//! input `v₀ = (r₀, s₀, t₀)` (our `(x, y, z)`) to unit max-norm (the
//! projection is positively homogeneous):
//!
//! 1. Cheap candidates: for `K` the better of `(min(r₀, 0), 0, max(t₀, 0))`
//!    and, if `s₀ > 0`, `(r₀, s₀, max(t₀, s₀·exp(r₀/s₀)))`; for `K°` the better
//!    of `(0, min(s₀, 0), min(t₀, 0))` and, if `r₀ > 0`,
//!    `(r₀, s₀, min(t₀, −r₀·exp(s₀/r₀ − 1)))`. A zero distance means
//!    `v₀ ∈ K` (projection `v₀`) or `v₀ ∈ K°` (projection `0`); the cheap
//!    primal candidate is also accepted when it is within `10⁻¹⁴` of `v₀`,
//!    or when the two candidates form a Moreau pair to within `10⁻¹⁴`
//!    (`‖v₀ − vp − vd‖∞`) and `10⁻²⁸` (`|⟨vp, vd⟩|`).
//! 2. If `r₀ ≤ 0` and `s₀ ≤ 0` the projection is `(r₀, 0, max(t₀, 0))`.
//! 3. Otherwise the primal part is `Π_K(v₀) = y·(ρ, 1, e^ρ)` and the polar part
//!    is proportional to the normal `(1, 1 − ρ, −e^{−ρ})`, where `ρ` is the
//!    root of
//!
//!    `h(ρ) = ((ρ−1)r₀ + s₀)·e^ρ − (r₀ − ρs₀)·e^{−ρ} − (ρ² − ρ + 1)·t₀`
//!
//!    (the condition that `v₀` lies in the plane spanned by the two rays).
//!    The root is bracketed with Friberg's bounds and found by Newton's method
//!    safeguarded with bisection, on `h(ρ)/(e^ρ + e^{−ρ})` (same root, no
//!    overflow).
//!    The candidate is the nearest point of the ray `ℝ₊·(ρ, 1, e^ρ)` (at the
//!    exact root this is Friberg's `y = ((ρ − 1)r₀ + s₀)/(ρ² − ρ + 1)`, but
//!    it avoids the cancellation in that numerator), kept if it is closer to
//!    `v₀` than the cheap candidate.
//!
//! # Derivative
//!
//! Inside `K`: `I`; inside `K°`: `0`; in the region `r₀ ≤ 0, s₀ ≤ 0`:
//! `diag([r₀ < 0], 0, [t₀ > 0])`; at the origin `½I`. Otherwise the projection
//! `p = (x, y, z)`, `y > 0`, lies on the smooth surface
//! `g(p) = y·e^{x/y} − z = 0` with `v₀ − p = μ∇g(p)`, `μ = z − t₀ > 0`, and the
//! implicit function theorem gives (as in diffcp)
//!
//! `dp = M⁻¹dv − M⁻¹n (nᵀM⁻¹dv)/(nᵀM⁻¹n)`, `M = I + μ∇²g(p)`, `n = ∇g(p)`,
//!
//! with `∇g = e^ρ(1, 1 − ρ, −e^{−ρ})`, `ρ = x/y`, and
//! `∇²g = (e^ρ/y)·wwᵀ`, `w = (1, −ρ, 0)`. Since `μe^ρ = r₀ − x`, the nonzero
//! eigenvalue of `μ∇²g` is `(r₀ − x)(1 + ρ²)/y`.

use super::{find_root, max_abs, norm3, scale3, step, sub3, Lin3};

/// Distance below which a cheap candidate is accepted without root search
/// (inputs are scaled to unit max-norm).
const TOL: f64 = 1e-14;
/// Bound on `|ρ|` (beyond it the projection is unchanged in double precision).
const RHO_MAX: f64 = 1e15;

/// Which piece of the cone the projection lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Origin,
    InCone,
    Polar,
    /// `r₀ ≤ 0, s₀ ≤ 0`: projection `(r₀, 0, max(t₀, 0))`.
    Face,
    /// Any other point (projection from the root search or a cheap
    /// candidate close to `v₀`).
    Other,
}

/// `Π_K(v)`.
pub(crate) fn project(v: [f64; 3]) -> [f64; 3] {
    let (scale, _, p, _) = solve(v);
    scale3(scale, p)
}

/// `(Π_K(v), DΠ_K(v))`.
pub(crate) fn linearize(v: [f64; 3]) -> ([f64; 3], Lin3) {
    let (scale, v0, p, kind) = solve(v);
    let lin = match kind {
        Kind::Origin => Lin3::Half,
        Kind::InCone => Lin3::Identity,
        Kind::Polar => Lin3::Zero,
        Kind::Face => Lin3::Diag([1.0 - step(v0[0]), 0.0, step(v0[2])]),
        Kind::Other => boundary_lin(v0, p),
    };
    (scale3(scale, p), lin)
}

/// Derivative at a projection `p` of `v0` (both scaled) off the trivial cases.
fn boundary_lin(v0: [f64; 3], p: [f64; 3]) -> Lin3 {
    let [x, y, _] = p;
    if y.is_nan() || y <= 1e-300 {
        // A cheap candidate on the face y = 0 (chosen when it satisfies the
        // optimality conditions to within rounding, e.g. the true projection
        // is (4e-59, 3e-61, z)): x moves with r₀ only when x < 0.
        return Lin3::Diag([if x < 0.0 { 1.0 } else { 0.0 }, 0.0, step(p[2])]);
    }
    let rho = x / y;
    // μ·e^ρ = r₀ − x ≥ 0 (0 when the cheap candidate moved only z), so the
    // nonzero eigenvalue of μ∇²g = μ(e^ρ/y)·(1, −ρ)(1, −ρ)ᵀ is
    // (r₀ − x)(1 + ρ²)/y.
    let mu_e = v0[0] - x;
    let k = if mu_e > 0.0 {
        mu_e * ((1.0 + rho * rho) / y)
    } else {
        0.0
    };
    // ∇g ∝ (1, 1 − ρ, −e^{−ρ}); in the basis (ŵ, ŵ₁, e_z) with
    // ŵ = (1, −ρ, 0)/√(1+ρ²), ŵ₁ = (ρ, 1, 0)/√(1+ρ²) its coordinates are
    // proportional to (1 − ρ + ρ², 1, −e^{−ρ}√(1+ρ²)). Scaled by 1/s² (and by
    // e^ρ for ρ < 0) to stay finite.
    let s = rho.abs().max(1.0);
    let (a, b) = (1.0 / s, rho / s);
    let root = (a * a + b * b).sqrt() / s; // √(1+ρ²)/s²
    let n = if rho >= 0.0 {
        [a * a - a * b + b * b, a * a, -(-rho).exp() * root]
    } else {
        let e = rho.exp();
        [(a * a - a * b + b * b) * e, a * a * e, -root]
    };
    Lin3::boundary(x, y, k, n)
}

/// Projection of `v` scaled by `1/scale`: returns `(scale, v/scale, p, kind)`
/// with `Π_K(v) = scale·p`.
fn solve(v: [f64; 3]) -> (f64, [f64; 3], [f64; 3], Kind) {
    let scale = max_abs(&v);
    if scale == 0.0 || !scale.is_finite() {
        let p = if scale == 0.0 {
            [0.0; 3]
        } else {
            [f64::NAN; 3]
        };
        return (1.0, v, p, Kind::Origin);
    }
    let v0 = [v[0] / scale, v[1] / scale, v[2] / scale];
    let [r0, s0, t0] = v0;

    let (vp, pdist) = primal_heuristic(v0);
    if pdist == 0.0 {
        return (scale, v0, v0, Kind::InCone);
    }
    let (vd, ddist) = polar_heuristic(v0);
    if ddist == 0.0 {
        return (scale, v0, [0.0; 3], Kind::Polar);
    }
    if r0 <= 0.0 && s0 <= 0.0 {
        return (scale, v0, vp, Kind::Face);
    }
    // Accept the cheap candidates if they are within TOL of v₀ or of a
    // Moreau pair (vp + vd = v₀, vp ⊥ vd). Friberg uses ε^(2/3) for both
    // tests; an orthogonality defect δ still allows an error ≈ √δ in vp,
    // hence the much smaller threshold on ⟨vp, vd⟩.
    let resid = sub3(sub3(v0, vp), vd);
    let cheap_ok = pdist.min(ddist) <= TOL
        || (max_abs(&resid) <= TOL && super::dot3(vp, vd).abs() <= TOL * TOL);
    if cheap_ok {
        return (scale, v0, vp, Kind::Other);
    }

    let (lo, hi) = search_bracket(v0, pdist, ddist);
    let h = |rho: f64| h_scaled(r0, s0, t0, rho);
    let rho = if lo == hi {
        lo
    } else {
        let (fl, _) = h(lo);
        let (neg, pos) = if fl <= 0.0 { (lo, hi) } else { (hi, lo) };
        find_root(h, neg, pos, 0.5 * (lo + hi), |x| {
            4.0 * f64::EPSILON * x.abs().max(1.0)
        })
    };
    let (cand, cdist) = primal_from_rho(v0, rho);
    // Near-ties (the distances agree to second order in the error) go to the
    // root-search candidate, which satisfies the optimality conditions.
    if cdist <= pdist * (1.0 + 4.0 * f64::EPSILON) {
        (scale, v0, cand, Kind::Other)
    } else {
        (scale, v0, vp, Kind::Other)
    }
}

/// `h(ρ)/(e^ρ + e^{−ρ})` (same sign, smooth, no overflow) and its
/// derivative `h'/(e^ρ + e^{−ρ}) − tanh(ρ)·(h/(e^ρ + e^{−ρ}))`.
fn h_scaled(r0: f64, s0: f64, t0: f64, rho: f64) -> (f64, f64) {
    let lin_p = (rho - 1.0) * r0 + s0; // coefficient of e^ρ in h
    let lin_d = r0 - rho * s0; // coefficient of −e^{−ρ}
    let quad = rho * (rho - 1.0) + 1.0;
    let dlin_p = rho * r0 + s0; // coefficient of e^ρ in h'
    let dlin_d = r0 - (rho - 1.0) * s0; // coefficient of e^{−ρ} in h'
    let dquad = 2.0 * rho - 1.0;
    let (f, hp) = if rho >= 0.0 {
        // divide numerator and denominator by e^ρ, e = e^{−ρ}
        let e = (-rho).exp();
        let den = 1.0 + e * e;
        (
            (lin_p - lin_d * e * e - quad * t0 * e) / den,
            (dlin_p + dlin_d * e * e - dquad * t0 * e) / den,
        )
    } else {
        // divide by e^{−ρ}, e = e^ρ
        let e = rho.exp();
        let den = 1.0 + e * e;
        (
            (lin_p * e * e - lin_d - quad * t0 * e) / den,
            (dlin_p * e * e + dlin_d - dquad * t0 * e) / den,
        )
    };
    (f, hp - rho.tanh() * f)
}

/// Cheap primal candidate and its distance to `v0`.
fn primal_heuristic(v0: [f64; 3]) -> ([f64; 3], f64) {
    let [r0, s0, t0] = v0;
    let mut vp = [r0.min(0.0), 0.0, t0.max(0.0)];
    let mut dist = norm3(sub3(v0, vp));
    if s0 > 0.0 {
        let tp = t0.max(s0 * (r0 / s0).exp());
        let d = tp - t0;
        if d < dist {
            vp = [r0, s0, tp];
            dist = d;
        }
    }
    (vp, dist)
}

/// Cheap polar candidate and its distance to `v0`.
fn polar_heuristic(v0: [f64; 3]) -> ([f64; 3], f64) {
    let [r0, s0, t0] = v0;
    let mut vd = [0.0, s0.min(0.0), t0.min(0.0)];
    let mut dist = norm3(sub3(v0, vd));
    if r0 > 0.0 {
        let td = t0.min(-r0 * (s0 / r0 - 1.0).exp());
        let d = t0 - td;
        if d < dist {
            vd = [r0, s0, td];
            dist = d;
        }
    }
    (vd, dist)
}

/// Primal projection for a given `ρ`: the nearest point `t·a` of the ray
/// `a = (ρ, 1, e^ρ)` of the boundary (`t = ⟨v₀, a⟩/‖a‖²`, which at the root
/// equals Friberg's `((ρ−1)r₀ + s₀)/(ρ² − ρ + 1)` but is insensitive to
/// cancellation and to errors in `ρ`), and its distance to `v0`
/// (`(NaN, ∞)` if `t ≤ 0`).
fn primal_from_rho(v0: [f64; 3], rho: f64) -> ([f64; 3], f64) {
    // a scaled to max-norm ~1
    let a = if rho > 0.0 {
        let e = (-rho).exp();
        [rho * e, e, 1.0]
    } else {
        let s = rho.abs().max(1.0);
        [rho / s, 1.0 / s, rho.exp() / s]
    };
    let t = super::dot3(v0, a) / super::dot3(a, a);
    if t.is_nan() || t <= 0.0 || t.is_infinite() {
        return ([f64::NAN; 3], f64::INFINITY);
    }
    let p = scale3(t, a);
    (p, norm3(sub3(v0, p)))
}

/// `ψ`-bound of the primal part (Friberg's `ppsi`).
fn ppsi(r0: f64, s0: f64) -> f64 {
    let root = (r0 * r0 + s0 * s0 - r0 * s0).sqrt();
    let psi = if r0 > s0 {
        (r0 - s0 + root) / r0
    } else {
        -s0 / (r0 - s0 - root)
    };
    ((psi - 1.0) * r0 + s0) / (psi * (psi - 1.0) + 1.0)
}

/// `ψ`-bound of the polar part (Friberg's `dpsi`).
fn dpsi(r0: f64, s0: f64) -> f64 {
    let root = (r0 * r0 + s0 * s0 - r0 * s0).sqrt();
    let psi = if s0 > r0 {
        (r0 - root) / s0
    } else {
        (r0 - s0) / (r0 + root)
    };
    (r0 - psi * s0) / (psi * (psi - 1.0) + 1.0)
}

fn pomega(rho: f64) -> f64 {
    let val = rho.exp() / (rho * (rho - 1.0) + 1.0);
    if rho < 2.0 {
        val.min(2f64.exp() / 3.0)
    } else {
        val
    }
}

fn domega(rho: f64) -> f64 {
    let val = -(-rho).exp() / (rho * (rho - 1.0) + 1.0);
    if rho > -1.0 {
        val.max(-1f64.exp() / 3.0)
    } else {
        val
    }
}

/// Friberg's bracket `[low, upr]` of the root of `h` (collapsed to one point
/// if the ends do not bracket a sign change).
fn search_bracket(v0: [f64; 3], pdist: f64, ddist: f64) -> (f64, f64) {
    let [r0, s0, t0] = v0;
    let mut baselow = -RHO_MAX;
    let mut baseupr = RHO_MAX;
    let mut low = -RHO_MAX;
    let mut upr = RHO_MAX;

    let dp = (pdist * pdist - s0.min(0.0).powi(2)).max(0.0).sqrt();
    let dd = (ddist * ddist - r0.min(0.0).powi(2)).max(0.0).sqrt();

    if t0 > 0.0 {
        let b = (t0 / ppsi(r0, s0)).ln();
        if b.is_finite() {
            low = low.max(b);
        }
    } else if t0 < 0.0 {
        let b = -(-t0 / dpsi(r0, s0)).ln();
        if b.is_finite() {
            upr = upr.min(b);
        }
    }
    if r0 > 0.0 {
        baselow = (1.0 - s0 / r0).clamp(-RHO_MAX, RHO_MAX);
        low = low.max(baselow);
        let tpu = dd.min(dp + t0).max(1e-12);
        let b = low.max(baselow + tpu / (r0 * pomega(low)));
        if b.is_finite() {
            upr = upr.min(b);
        }
    }
    if s0 > 0.0 {
        baseupr = (r0 / s0).clamp(-RHO_MAX, RHO_MAX);
        upr = upr.min(baseupr);
        let tdl = -dp.min(dd - t0).max(1e-12);
        let b = upr.min(baseupr - tdl / (s0 * domega(upr)));
        if b.is_finite() {
            low = low.max(b);
        }
    }
    // Guarantee a valid, ordered bracket inside [baselow, baseupr].
    let (a, b) = (low.min(upr), low.max(upr));
    let low = a.max(baselow).min(baseupr);
    let upr = b.max(baselow).min(baseupr);
    if low != upr {
        let (fl, _) = h_scaled(r0, s0, t0, low);
        let (fu, _) = h_scaled(r0, s0, t0, upr);
        if (fl * fu).is_nan() || fl * fu > 0.0 {
            return if fl.abs() < fu.abs() {
                (low, low)
            } else {
                (upr, upr)
            };
        }
    }
    (low, upr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_h_matches_h() {
        let (r0, s0, t0) = (0.3, -0.7, 0.9);
        for &rho in &[-3.0, -0.5, 0.0, 0.4, 2.5] {
            let e = f64::exp(rho);
            let h =
                ((rho - 1.0) * r0 + s0) * e - (r0 - rho * s0) / e - (rho * (rho - 1.0) + 1.0) * t0;
            let (f, df) = h_scaled(r0, s0, t0, rho);
            let w = 1.0 / (2.0 * rho.cosh());
            assert!((f - h * w).abs() < 1e-13);
            let eps = 1e-6;
            let fd = (h_scaled(r0, s0, t0, rho + eps).0 - h_scaled(r0, s0, t0, rho - eps).0)
                / (2.0 * eps);
            assert!((fd - df).abs() < 1e-7, "{rho}: {fd} vs {df}");
        }
    }

    #[test]
    fn known_projection() {
        // (1, 1, 1): projection on the boundary, KKT residuals tiny.
        let p = project([1.0, 1.0, 1.0]);
        let d = sub3([1.0, 1.0, 1.0], p);
        assert!((p[1] * (p[0] / p[1]).exp() - p[2]).abs() < 1e-14);
        assert!(super::super::dot3(p, d).abs() < 1e-14);
    }
}
