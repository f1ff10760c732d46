//! The power cone `K_α = {(x, y, z) : x^α·y^(1−α) ≥ |z|, x, y ≥ 0}`,
//! `α ∈ (0, 1)`.
//!
//! Its dual is `K_α* = {(u, v, w) : (u/α)^α·(v/(1−α))^(1−α) ≥ |w|, u, v ≥ 0}`
//! and its polar `K° = −K*`.
//!
//! # Projection (Hien 2015, as in SCS)
//!
//! L. T. K. Hien, "Differential properties of Euclidean projection onto
//! power cone", Math. Methods Oper. Res. 82 (2015). After scaling
//! `v₀ = (x₀, y₀, z₀)` to unit max-norm, with `r₀ = |z₀|`:
//!
//! * `v₀ ∈ K` → `v₀`; `v₀ ∈ K°` (`x₀, y₀ ≤ 0`,
//!   `(−x₀/α)^α(−y₀/(1−α))^(1−α) ≥ r₀`) → `0`; `r₀ = 0` →
//!   `(max(x₀, 0), max(y₀, 0), 0)`.
//! * Otherwise the projection is `(x(r), y(r), sign(z₀)·r)` where, from the
//!   stationarity conditions with multiplier `μ = r₀ − r`,
//!
//!   `x(r) = ½(x₀ + √(x₀² + 4α(r₀ − r)r))`,
//!   `y(r) = ½(y₀ + √(y₀² + 4(1−α)(r₀ − r)r))`,
//!
//!   and `r ∈ (0, r₀)` is the root of `x(r)^α·y(r)^(1−α) = r`. The function
//!   `x(r)^α y(r)^(1−α) − r` is concave and positive-then-negative, so
//!   `ψ(r) = ln((x(r)/r)^α (y(r)/r)^(1−α))` is decreasing with a single
//!   root. It is found by Newton's method safeguarded with bisection in the
//!   log-odds variable `t = ln(r/s)`, `s = r₀ − r` (the multiplier), which
//!   keeps both `r` and `s` to full relative precision (`s ≪ ε·r₀` for
//!   points just outside `K`, `r ≪ ε·r₀` near `K°`) and turns the
//!   logarithmic behaviour at both ends into nearly linear one; a final
//!   Newton step in the smaller of `r`, `s` polishes the root. `x(r)/r` is
//!   evaluated without cancellation (`2α(r₀ − r)/(√(…) − x₀)` when
//!   `x₀ < 0`).
//!
//! # Derivative
//!
//! `I` inside `K`, `0` inside `K°`, `½I` at the origin. On the boundary
//! piece `g(p) = sign(z)·z − x^α y^(1−α) = 0` (`x, y, |z| > 0`), with
//! `v₀ − p = μ∇g(p)`, `μ = r₀ − r`, the implicit function theorem gives
//! `dp = M⁻¹dv − M⁻¹n (nᵀM⁻¹dv)/(nᵀM⁻¹n)`, `M = I + μ∇²g`, `n = ∇g =
//! (−αr/x, −(1−α)r/y, sign z)`, where `∇²g = α(1−α)r·wwᵀ`, `w = (1/x, −1/y, 0)`
//! (evaluated in logarithms and in the orthonormal basis of
//! [`Lin3::Boundary`](super::Lin3), since `x`, `y`, `r` may differ by
//! hundreds of orders of magnitude).
//! For `r₀ = 0` (a non-differentiable point) the limit along `z₀ → 0⁺` is
//! used: `diag([x₀ > 0], [y₀ > 0], c)` with `c ∈ {0, 1}` depending on the
//! flatness of the boundary at `(0, y₀, 0)` (or `(x₀, 0, 0)`), and
//! `c = y₀/(y₀ + 2|x₀|)` (resp. `x₀/(x₀ + 2|y₀|)`) for `α = ½`.

use super::{find_root, max_abs, norm3, scale3, step, sub3, Lin3};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Origin,
    InCone,
    Polar,
    /// `z₀ = 0`: projection `(max(x₀, 0), max(y₀, 0), 0)`.
    Face,
    Boundary,
}

/// `Π_K(v)`.
pub(crate) fn project(v: [f64; 3], alpha: f64) -> [f64; 3] {
    let (scale, _, p, _) = solve(v, alpha);
    scale3(scale, p)
}

/// `(Π_K(v), DΠ_K(v))`.
pub(crate) fn linearize(v: [f64; 3], alpha: f64) -> ([f64; 3], Lin3) {
    let (scale, v0, p, kind) = solve(v, alpha);
    let lin = match kind {
        Kind::Origin => Lin3::Half,
        Kind::InCone => Lin3::Identity,
        Kind::Polar => Lin3::Zero,
        Kind::Face => face_lin(v0, alpha),
        Kind::Boundary => boundary_lin(v0, p, alpha),
    };
    (scale3(scale, p), lin)
}

/// `x^α·y^(1−α)` for `x, y ≥ 0`.
#[inline]
fn geo(x: f64, y: f64, alpha: f64) -> f64 {
    if x <= 0.0 || y <= 0.0 {
        0.0
    } else {
        (alpha * x.ln() + (1.0 - alpha) * y.ln()).exp()
    }
}

/// `(x(r)/r, x'(r)/x(r))` for the coordinate with input `c0` and exponent
/// `c` (`α` or `1 − α`), at `0 < r` with `s = r₀ − r > 0` given separately
/// (whichever of `r`, `s` is small is then known to full relative precision).
#[inline]
fn ratio(c0: f64, c: f64, r: f64, s: f64) -> (f64, f64) {
    let d = (c0 * c0 + 4.0 * c * s * r).sqrt();
    let big = if c0 >= 0.0 {
        (c0 + d) / (2.0 * r)
    } else {
        2.0 * c * s / (d - c0)
    };
    (big, c * (s - r) / (d * (big * r)))
}

/// `ψ(r) = ln((x(r)/r)^α (y(r)/r)^(1−α))` and `dψ/dr`, at `(r, s = r₀ − r)`.
#[inline]
fn psi(x0: f64, y0: f64, alpha: f64, r: f64, s: f64) -> (f64, f64) {
    let beta = 1.0 - alpha;
    let (bx, lx) = ratio(x0, alpha, r, s);
    let (by, ly) = ratio(y0, beta, r, s);
    (
        alpha * bx.ln() + beta * by.ln(),
        alpha * lx + beta * ly - 1.0 / r,
    )
}

/// `(r, s) = (r₀/(1 + e^{−t}), r₀/(1 + e^{t}))`: both to full relative
/// precision, `r + s = r₀`.
#[inline]
fn split(t: f64, rh: f64) -> (f64, f64) {
    (rh / (1.0 + (-t).exp()), rh / (1.0 + t.exp()))
}

fn solve(v: [f64; 3], alpha: f64) -> (f64, [f64; 3], [f64; 3], Kind) {
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
    let [x0, y0, z0] = v0;
    let rh = z0.abs();
    let beta = 1.0 - alpha;
    if x0 >= 0.0 && y0 >= 0.0 && geo(x0, y0, alpha) >= rh {
        return (scale, v0, v0, Kind::InCone);
    }
    if x0 <= 0.0 && y0 <= 0.0 && geo(-x0 / alpha, -y0 / beta, alpha) >= rh {
        return (scale, v0, [0.0; 3], Kind::Polar);
    }
    let face = [x0.max(0.0), y0.max(0.0), 0.0];
    if rh == 0.0 {
        return (scale, v0, face, Kind::Face);
    }

    // Root of ψ, decreasing in r, in the log-odds variable t = ln(r/s):
    // both ends (r → 0 and s = r₀ − r → 0) behave like logarithms, which
    // Newton's method in t handles in a few steps.
    let f = |t: f64| {
        let (r, s) = split(t, rh);
        let (v, dr) = psi(x0, y0, alpha, r, s);
        (v, dr * (r * (s / rh)))
    };
    const T: f64 = 700.0;
    // Lower end: ψ → +∞ (or a positive limit) as r → 0, but the products s·r
    // may underflow for tiny r₀ and give a spurious −∞; move the end up
    // until ψ is finite.
    let mut lo = -T;
    while lo < -1.0 && {
        let v = f(lo).0;
        v.is_nan() || v == f64::NEG_INFINITY
    } {
        lo *= 0.5;
    }
    let t = if f(lo).0 <= 0.0 {
        lo // r < r₀·e^{lo}: negligible
    } else if f(T).0 >= 0.0 {
        T // s < r₀·e^{−700}
    } else {
        find_root(f, T, lo, 0.0, |t| 4.0 * f64::EPSILON * t.abs().max(1.0))
    };
    let (mut r, mut s) = split(t, rh);
    // t is known to ~ε·|t|; polish the smaller of r, s by Newton's method on
    // ψ in that variable (accepting only decreasing residuals).
    let (mut res, mut dres) = psi(x0, y0, alpha, r, s);
    for _ in 0..4 {
        if res == 0.0 || !res.is_finite() || !dres.is_finite() || dres == 0.0 {
            break;
        }
        let (rn, sn) = if r <= s {
            let rn = r - res / dres;
            (rn, rh - rn)
        } else {
            let sn = s + res / dres;
            (rh - sn, sn)
        };
        if !(rn > 0.0 && sn > 0.0) {
            break;
        }
        let (nres, ndres) = psi(x0, y0, alpha, rn, sn);
        if nres.is_nan() || nres.abs() >= res.abs() {
            break;
        }
        (r, s, res, dres) = (rn, sn, nres, ndres);
    }
    let (bx, _) = ratio(x0, alpha, r, s);
    let (by, _) = ratio(y0, beta, r, s);
    let p = [bx * r, by * r, r.copysign(z0)];

    // Safeguard: never return a point farther than the trivial candidates
    // (only possible for degenerate inputs); near-ties go to the root.
    let dist = norm3(sub3(v0, p)) * (1.0 - 4.0 * f64::EPSILON);
    let face_dist = norm3(sub3(v0, face));
    let zero_dist = norm3(v0);
    // (If x or y underflows to 0 with r > 0, p lies within the underflow
    // threshold of K: the boundary is flat to all representable orders.)
    if p.iter().all(|t| t.is_finite()) && dist <= face_dist && dist <= zero_dist {
        (scale, v0, p, Kind::Boundary)
    } else if face_dist <= zero_dist {
        (scale, v0, face, Kind::Face)
    } else {
        (scale, v0, [0.0; 3], Kind::Polar)
    }
}

/// Derivative at a point with `z₀ = 0` outside `K ∪ K°` (exactly one of
/// `x₀, y₀` is positive).
fn face_lin(v0: [f64; 3], alpha: f64) -> Lin3 {
    let [x0, y0, _] = v0;
    // The boundary near (0, y₀, 0) is x = (|z|/y₀^(1−α))^(1/α): flatter than a
    // parabola for α < ½ (z passes through), sharper for α > ½ (z is cut).
    let through = |a: f64, pos: f64, neg: f64| {
        if a < 0.5 {
            1.0
        } else if a > 0.5 {
            0.0
        } else {
            pos / (pos + 2.0 * neg.abs())
        }
    };
    let c = if x0 < 0.0 && y0 > 0.0 {
        through(alpha, y0, x0)
    } else if y0 < 0.0 && x0 > 0.0 {
        through(1.0 - alpha, x0, y0)
    } else {
        0.0
    };
    Lin3::Diag([step(x0), step(y0), c])
}

/// Derivative at a projection `p = (x, y, ±r)` on the curved boundary.
fn boundary_lin(v0: [f64; 3], p: [f64; 3], alpha: f64) -> Lin3 {
    let [x, y, z] = p;
    let r = z.abs();
    if x.is_nan() || y.is_nan() || x <= 0.0 || y <= 0.0 || r == 0.0 {
        // x or y underflowed: p is the limit of the curved boundary on a
        // face that is flat to all representable orders (`z` passes).
        return Lin3::Diag([step(v0[0]), step(v0[1]), 1.0]);
    }
    let sigma = 1f64.copysign(z);
    let beta = 1.0 - alpha;
    let mu = v0[2].abs() - r;
    // Everything in logarithms: the coordinates may span hundreds of orders
    // of magnitude.
    let (lx, ly, lr) = (x.ln(), y.ln(), r.ln());
    let (lmin, lmax) = (lx.min(ly), lx.max(ly));
    // μ∇²g = μα(1−α)r·(1/x, −1/y)(1/x, −1/y)ᵀ: eigenvalue
    // k = μα(1−α)r(1/x² + 1/y²).
    let k = if mu > 0.0 {
        let l_inv2 = -2.0 * lmin + (2.0 * (lmin - lmax)).exp().ln_1p();
        (mu.ln() + (alpha * beta).ln() + lr + l_inv2).exp()
    } else {
        0.0
    };
    // ∇g = (−αr/x, −(1−α)r/y, σ); with h = ‖(x, y)‖, ŵ = (y, −x)/h and
    // ŵ₁ = (x, y)/h its coordinates are (−αry/(xh) + (1−α)rx/(yh), −r/h, σ),
    // ∝ (−α·y/x + (1−α)·x/y, −1, σ·h/r); scaled by e^{−M}, M the largest
    // log-magnitude, to stay finite.
    let lq = ly - lx; // ln(y/x)
    let lh = lmax + 0.5 * (2.0 * (lmin - lmax)).exp().ln_1p(); // ln h
    let m = lq.abs().max(lh - lr).max(0.0);
    let n = [
        -alpha * (lq - m).exp() + beta * (-lq - m).exp(),
        -(-m).exp(),
        sigma * (lh - lr - m).exp(),
    ];
    Lin3::boundary(x, y, k, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_is_rotated_soc() {
        // α = ½ (√(xy) ≥ |z|): check the optimality conditions.
        let v = [0.3, -1.2, 0.8];
        let p = project(v, 0.5);
        assert!((p[0] * p[1]).sqrt() - p[2].abs() > -1e-14);
        let d = sub3(v, p);
        assert!(super::super::dot3(p, d).abs() < 1e-14);
        // −d ∈ K* (polar part)
        let (u, w, t) = (-d[0], -d[1], -d[2]);
        assert!(u >= 0.0 && w >= 0.0);
        assert!((2.0 * u).sqrt() * (2.0 * w).sqrt() - t.abs() > -1e-12);
    }
}
