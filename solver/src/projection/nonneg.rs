//! The nonnegative orthant `{x : x ≥ 0}` (self-dual).
//!
//! `Π(x)_i = max(x_i, 0)`; `DΠ(x) = diag(s_i)` with `s_i = 1` for `x_i > 0`,
//! `0` for `x_i < 0` and `½` for `x_i = 0` (the midpoint of the generalized
//! derivative `[0, 1]`, which keeps `DΠ(x) + DΠ(−x) = I` exact).

use super::step;

/// `out ← max(x, 0)`.
#[inline]
pub(crate) fn project(x: &[f64], out: &mut [f64]) {
    for (o, &t) in out.iter_mut().zip(x) {
        *o = if t > 0.0 { t } else { 0.0 };
    }
}

/// `out ← DΠ(x)·dx`.
#[inline]
pub(crate) fn jvp(x: &[f64], dx: &[f64], out: &mut [f64]) {
    for ((o, &t), &d) in out.iter_mut().zip(x).zip(dx) {
        *o = step(t) * d;
    }
}
