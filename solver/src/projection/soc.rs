//! The second-order cone `{(t, u) : ‖u‖₂ ≤ t}` (self-dual), `t` first.
//!
//! With `r = ‖u‖`:
//!
//! * `Π(x) = x` if `r ≤ t`; `0` if `r ≤ −t`; otherwise
//!   `α·(1, u/r)` with `α = (t + r)/2`.
//! * `DΠ(x) = I` if `r ≤ t`, `0` if `r ≤ −t`, and otherwise, with `ū = u/r`,
//!
//!   `DΠ(x) = ½ [[1, ūᵀ], [ū, (1 + t/r)·I − (t/r)·ūūᵀ]]`
//!
//!   (Ali, Wong and Kolter, "A semismooth Newton method for fast, generic
//!   convex programming"; diffcp). At `x = 0` it returns `½I`.

use super::norm2;

/// The derivative at a point (`ū` is recomputed from the point).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SocLin {
    Zero,
    Identity,
    Half,
    /// `r > |t|`: `c = α/r = (1 + t/r)/2` and `r = ‖u‖`.
    Outside {
        c: f64,
        r: f64,
    },
}

/// `out ← Π(x)`.
pub(crate) fn project(x: &[f64], out: &mut [f64]) {
    if x.is_empty() {
        return;
    }
    let t = x[0];
    let r = norm2(&x[1..]);
    if r <= t {
        out.copy_from_slice(x);
    } else if r <= -t {
        out.fill(0.0);
    } else {
        let alpha = 0.5 * t + 0.5 * r;
        out[0] = alpha;
        let c = alpha / r;
        for (o, &ui) in out[1..].iter_mut().zip(&x[1..]) {
            *o = c * ui;
        }
    }
}

/// The derivative of `Π` at `x`.
pub(crate) fn linearize(x: &[f64]) -> SocLin {
    if x.iter().all(|&v| v == 0.0) {
        return SocLin::Half;
    }
    let t = x[0];
    let r = norm2(&x[1..]);
    if r <= t {
        SocLin::Identity
    } else if r <= -t {
        SocLin::Zero
    } else {
        SocLin::Outside {
            c: 0.5 + 0.5 * (t / r),
            r,
        }
    }
}

/// `out ← DΠ(x)·dx` for `lin = linearize(x)`.
pub(crate) fn apply(lin: SocLin, x: &[f64], dx: &[f64], out: &mut [f64]) {
    match lin {
        SocLin::Zero => out.fill(0.0),
        SocLin::Identity => out.copy_from_slice(dx),
        SocLin::Half => {
            for (o, &d) in out.iter_mut().zip(dx) {
                *o = 0.5 * d;
            }
        }
        SocLin::Outside { c, r } => {
            let dt = dx[0];
            let s: f64 = x[1..]
                .iter()
                .zip(&dx[1..])
                .map(|(&ui, &di)| (ui / r) * di)
                .sum();
            out[0] = 0.5 * (dt + s);
            let coef = 0.5 * dt + (0.5 - c) * s;
            for ((o, &ui), &di) in out[1..].iter_mut().zip(&x[1..]).zip(&dx[1..]) {
                *o = coef * (ui / r) + c * di;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        let mut p = [0.0; 3];
        project(&[5.0, 3.0, 4.0], &mut p);
        assert_eq!(p, [5.0, 3.0, 4.0]);
        project(&[-5.0, 3.0, 4.0], &mut p);
        assert_eq!(p, [0.0; 3]);
        project(&[1.0, 3.0, 4.0], &mut p);
        for (a, b) in p.iter().zip([3.0, 1.8, 2.4]) {
            assert!((a - b).abs() < 1e-15);
        }
        assert_eq!(linearize(&[0.0; 3]), SocLin::Half);
        assert_eq!(linearize(&[5.0, 3.0, 4.0]), SocLin::Identity);
        assert_eq!(linearize(&[-5.0, 3.0, 4.0]), SocLin::Zero);
    }
}
