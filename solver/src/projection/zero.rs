//! The zero cone `{0}ᵈ` and its dual, the whole space `ℝᵈ`.
//!
//! `Π_{0}(x) = 0`, `DΠ_{0} = 0`; `Π_{ℝᵈ}(x) = x`, `DΠ_{ℝᵈ} = I`.

/// `out ← 0`.
#[inline]
pub(crate) fn project(out: &mut [f64]) {
    out.fill(0.0);
}
