//! Solution polishing for problems whose cones are all zero or nonnegative
//! (the active-set refinement of OSQP: Stellato et al., "OSQP: an operator
//! splitting solver for quadratic programs", 2020, §5.2).
//!
//! From an approximate solution `(x, y, s)` (scaled data) guess the active
//! rows `𝒜` — equality rows, and inequality rows with `yᵢ > sᵢ` — and solve
//! the equality-constrained QP on them,
//!
//! ```text
//! [ P    A_𝒜ᵀ ] [x  ]   [ −c  ]
//! [ A_𝒜   0   ] [y_𝒜] = [ b_𝒜 ],     y_i = 0 (i ∉ 𝒜),  s = b − Ax (s_𝒜 = 0),
//! ```
//!
//! through the ADMM matrix `K` refactored with `σ = δ`, `−1/ρᵢ = −δ` on
//! active rows and `−1/ρᵢ = −1/δ` on the others (which decouples them:
//! their `yᵢ ≈ (aᵢᵀx − bᵢ)δ`), followed by iterative refinement against the
//! exact reduced system. Rows of `𝒜` with a negative multiplier and rows
//! off `𝒜` with a negative slack switch sides and the system is solved again
//! (a few primal-dual active-set rounds). The candidate is kept only if it
//! lies in the cones (`y_𝒜 ≥ 0` on inequality rows, `s ≥ 0` off `𝒜`, up to
//! rounding which is clipped) and its residuals, evaluated by the same definitions as every
//! other iterate, are smaller; the status is then decided on the polished
//! point by the same test.

use super::linsys::{KktFactor, SolveWorkspace};
use crate::csc::CscMatrix;

/// Regularization of the polishing system.
const DELTA: f64 = 1e-7;
/// Iterative refinement steps against the exact reduced system.
const REFINE_STEPS: usize = 4;
/// Active-set corrections: rows with a multiplier or slack of the wrong sign
/// switch sides and the system is solved again, at most this many times.
const ROUNDS: usize = 10;
/// Relative size of a sign violation that counts (smaller ones are clipped).
const SIGN_TOL: f64 = 1e-7;

/// Whether a row belongs to an equality block (`true`) or an inequality
/// block of the nonnegative orthant.
pub(crate) type RowKind = bool;

/// A polished point `(x, y, s)` in scaled data, or `None` if the active-set
/// system could not be factored or the point leaves the cones.
#[allow(clippy::too_many_arguments)]
pub(crate) fn polish(
    factor: &KktFactor,
    p: &CscMatrix,
    a: &CscMatrix,
    c: &[f64],
    b: &[f64],
    equality: &[RowKind],
    y: &[f64],
    s: &[f64],
) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let m = b.len();
    let mut active: Vec<bool> = (0..m).map(|i| equality[i] || y[i] > s[i]).collect();
    let mut f = factor.clone();
    let mut ws = SolveWorkspace::new(f.pattern(), 1);
    for _ in 0..ROUNDS {
        let (xp, zy, ax) = solve_active(&mut f, &mut ws, p, a, c, b, &active)?;
        // Rows whose multiplier or slack has the wrong sign switch sides.
        let mut changed = false;
        let mut yp = vec![0.0; m];
        let mut sp = vec![0.0; m];
        for i in 0..m {
            if equality[i] {
                yp[i] = zy[i];
            } else if active[i] {
                if zy[i] < -SIGN_TOL * (1.0 + y[i].abs()) {
                    active[i] = false;
                    changed = true;
                }
                yp[i] = zy[i].max(0.0);
            } else {
                let si = b[i] - ax[i];
                if si < -SIGN_TOL * (1.0 + b[i].abs()) {
                    active[i] = true;
                    changed = true;
                }
                sp[i] = si.max(0.0);
            }
        }
        if !changed {
            return Some((xp, yp, sp));
        }
    }
    None
}

/// Solves the reduced system for the active set `active` (see the module
/// documentation); returns `x`, the multipliers of all rows (meaningful on
/// active rows) and `Ax`.
#[allow(clippy::type_complexity)]
fn solve_active(
    f: &mut KktFactor,
    ws: &mut SolveWorkspace,
    p: &CscMatrix,
    a: &CscMatrix,
    c: &[f64],
    b: &[f64],
    active: &[bool],
) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let (n, m) = (c.len(), b.len());
    let rho: Vec<f64> = active
        .iter()
        .map(|&act| if act { 1.0 / DELTA } else { DELTA })
        .collect();
    f.refactor(p, a, DELTA, &rho).ok()?;
    // Right-hand side of the reduced system; inactive rows carry 0.
    let mut rhs = vec![0.0; n + m];
    for j in 0..n {
        rhs[j] = -c[j];
    }
    for i in 0..m {
        if active[i] {
            rhs[n + i] = b[i];
        }
    }
    let mut z = rhs.clone();
    f.solve_in_place(&mut z, 1, ws);
    let mut r = vec![0.0; n + m];
    let mut px = vec![0.0; n];
    let mut ax = vec![0.0; m];
    let mut aty = vec![0.0; n];
    for _ in 0..REFINE_STEPS {
        for i in 0..m {
            if !active[i] {
                z[n + i] = 0.0;
            }
        }
        // r = rhs − T z with T the exact reduced matrix.
        let (zx, zy) = z.split_at(n);
        p.symv_upper(&mut px, zx, 1.0, 0.0);
        a.gemv_t(&mut aty, zy, 1.0, 0.0);
        a.gemv(&mut ax, zx, 1.0, 0.0);
        for j in 0..n {
            r[j] = rhs[j] - px[j] - aty[j];
        }
        for i in 0..m {
            r[n + i] = if active[i] { rhs[n + i] - ax[i] } else { 0.0 };
        }
        f.solve_in_place(&mut r, 1, ws);
        for (zk, dk) in z.iter_mut().zip(&r) {
            *zk += dk;
        }
    }
    for i in 0..m {
        if !active[i] {
            z[n + i] = 0.0;
        }
    }
    if !z.iter().all(|v| v.is_finite()) {
        return None;
    }
    let zy = z.split_off(n);
    a.gemv(&mut ax, &z, 1.0, 0.0);
    Some((z, zy, ax))
}
