//! Objectives, relative residuals and the optimality test in the original
//! (unscaled) data, shared by every method so that a status means the same
//! thing whichever method produced it.
//!
//! For an embedding iterate `(x̂, ẑ, ŝ, τ)` of the equilibrated problem
//! (`P̂ = kDPD`, `Â = EAD`, …, see [`crate::equilibrate`]) the candidate
//! solution is `x = Dx̂/τ`, `y = Eẑ/(kτ)`, `s = E⁻¹ŝ/τ`, and
//!
//! ```text
//! primal = ‖Ax + s − b‖∞ / max(1, ‖b‖∞ + ‖Ax‖∞ + ‖s‖∞)
//! dual   = ‖Px + Aᵀy + c‖∞ / max(1, ‖c‖∞ + ‖Px‖∞ + ‖Aᵀy‖∞)
//! gap    = |pobj − dobj|, relative to max(1, min(|pobj + c₀|, |dobj + c₀|))
//! ```
//!
//! with `pobj = ½xᵀPx + cᵀx`, `dobj = −½xᵀPx − bᵀy`. Each residual is
//! relative to the size of the terms it is made of (as in SCS), not to
//! `‖x‖` and `‖y‖` (Clarabel): an iterate running off along a direction
//! `e` with `Ae = 0`, `Pe = 0` (a free direction of an unbounded LP) has a
//! huge `‖x‖` that would otherwise make a residual of order one look
//! small and such a point pass as optimal.

use crate::equilibrate::Equilibration;
use crate::problem::{dot, ProblemData};
use crate::solution::{Certificate, Residuals, Solution, Status, Timings};

/// An iterate of the homogeneous embedding in scaled data, with the
/// products the residuals need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScaledIterate<'a> {
    pub s: &'a [f64],
    pub tau: f64,
    /// `P̂x̂ + Âᵀẑ + ĉτ`.
    pub rx: &'a [f64],
    /// `Âx̂ + ŝ − b̂τ`.
    pub rz: &'a [f64],
    /// `P̂x̂`, `Âᵀẑ` and `Âx̂`.
    pub px: &'a [f64],
    pub atz: &'a [f64],
    pub ax: &'a [f64],
    /// `x̂ᵀP̂x̂`.
    pub xpx: f64,
    /// `ĉᵀx̂`.
    pub cx: f64,
    /// `b̂ᵀẑ`.
    pub bz: f64,
}

/// Norms of the original data entering the relative residuals.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DataNorms {
    pub c: f64,
    pub b: f64,
    pub obj_constant: f64,
}

/// Primal and dual objective (without the constant) and relative residuals
/// of `it` in the original data.
pub(crate) fn evaluate(
    it: &ScaledIterate<'_>,
    eq: &Equilibration,
    norms: &DataNorms,
) -> (f64, f64, Residuals) {
    let tau = it.tau;
    let k = eq.c_scale;
    let xpx = it.xpx / (tau * tau);
    let pobj = (0.5 * xpx + it.cx / tau) / k;
    let dobj = (-0.5 * xpx - it.bz / tau) / k;
    let norm_s = scaled_inf_norm(it.s, &eq.einv) / tau;
    let norm_ax = scaled_inf_norm(it.ax, &eq.einv) / tau;
    let norm_px = scaled_inf_norm(it.px, &eq.dinv) / (tau * k);
    let norm_aty = scaled_inf_norm(it.atz, &eq.dinv) / (tau * k);
    let rz = scaled_inf_norm(it.rz, &eq.einv) / tau;
    let rx = scaled_inf_norm(it.rx, &eq.dinv) / (tau * k);
    let gap_abs = (pobj - dobj).abs();
    let c0 = norms.obj_constant;
    let res = Residuals {
        primal: rz / (1.0f64).max(norms.b + norm_ax + norm_s),
        dual: rx / (1.0f64).max(norms.c + norm_px + norm_aty),
        gap_abs,
        // Relative to the objective the user sees (with its constant), so a
        // constant that cancels most of ½xᵀPx + cᵀx does not loosen the test.
        gap_rel: gap_abs / (1.0f64).max((pobj + c0).abs().min((dobj + c0).abs())),
    };
    (pobj, dobj, res)
}

/// `(gap_abs < eps_abs or gap_rel < eps_rel)` and both residuals `< eps_feas`.
pub(crate) fn is_optimal(r: &Residuals, eps_abs: f64, eps_rel: f64, eps_feas: f64) -> bool {
    (r.gap_abs < eps_abs || r.gap_rel < eps_rel) && r.primal < eps_feas && r.dual < eps_feas
}

/// `‖diag(d)·v‖∞`.
#[inline]
pub(crate) fn scaled_inf_norm(v: &[f64], d: &[f64]) -> f64 {
    v.iter()
        .zip(d)
        .fold(0.0f64, |acc, (x, s)| acc.max((x * s).abs()))
}

/// `‖v‖∞`.
#[inline]
pub(crate) fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |acc, x| acc.max(x.abs()))
}

/// Distance from optimality used to rank points: the worst of the relative
/// residuals and the (absolute or relative) gap.
pub(crate) fn score(r: &Residuals) -> f64 {
    r.primal.max(r.dual).max(r.gap_rel.min(r.gap_abs))
}

/// What a method reports at the end of a solve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    pub status: Status,
    pub iterations: u32,
    /// Primal and dual objectives without the constant.
    pub pobj: f64,
    pub dobj: f64,
    pub res: Residuals,
    pub timings: Timings,
}

/// The [`Solution`] in the user's variables for the embedding point
/// `(x̂, ẑ, ŝ, τ)` of the equilibrated problem: `x = Dx̂/τ`, `y = Eẑ/(kτ)`,
/// `s = E⁻¹ŝ/τ`, or, for an infeasibility status, the certificate
/// normalized to `bᵀy = −1` (primal) or `cᵀx = −1` (dual). Without `τ > 0`
/// the point is reported as NaN; a certificate that is not finite in the
/// user's units (a ray that overflowed) certifies nothing and is reported
/// as [`Status::NumericalError`].
pub(crate) fn recover_solution(
    out: &Outcome,
    eq: &Equilibration,
    data: &ProblemData,
    xh: &[f64],
    zh: &[f64],
    sh: &[f64],
    tau: f64,
) -> Solution {
    let mut x: Vec<f64> = xh.iter().zip(&eq.d).map(|(v, d)| d * v).collect();
    let mut y: Vec<f64> = zh.iter().zip(&eq.e).map(|(v, e)| e * v).collect();
    let mut s: Vec<f64> = sh.iter().zip(&eq.einv).map(|(v, e)| e * v).collect();
    let mut objective = f64::NAN;
    let mut dual_objective = f64::NAN;
    let mut certificate = None;
    let mut status = out.status;
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    match out.status {
        Status::PrimalInfeasible | Status::AlmostPrimalInfeasible => {
            let by = dot(&data.b, &y);
            y.iter_mut().for_each(|v| *v *= -1.0 / by);
            x.fill(f64::NAN);
            s.fill(f64::NAN);
            if finite(&y) {
                certificate = Some(Certificate::PrimalInfeasible { y: y.clone() });
            } else {
                // The ray overflowed in the original units: it certifies
                // nothing.
                status = Status::NumericalError;
            }
        }
        Status::DualInfeasible | Status::AlmostDualInfeasible => {
            let cx = dot(&data.c, &x);
            x.iter_mut().for_each(|v| *v *= -1.0 / cx);
            s.iter_mut().for_each(|v| *v *= -1.0 / cx);
            y.fill(f64::NAN);
            if finite(&x) && finite(&s) {
                certificate = Some(Certificate::DualInfeasible {
                    x: x.clone(),
                    s: s.clone(),
                });
            } else {
                status = Status::NumericalError;
            }
        }
        _ if tau > 0.0 => {
            x.iter_mut().for_each(|v| *v *= 1.0 / tau);
            s.iter_mut().for_each(|v| *v *= 1.0 / tau);
            y.iter_mut().for_each(|v| *v *= 1.0 / (tau * eq.c_scale));
            objective = out.pobj + data.obj_constant;
            dual_objective = out.dobj + data.obj_constant;
        }
        _ => {
            x.fill(f64::NAN);
            y.fill(f64::NAN);
            s.fill(f64::NAN);
        }
    }
    Solution {
        status,
        x,
        y,
        s,
        objective,
        dual_objective,
        iterations: out.iterations,
        residuals: out.res,
        timings: out.timings,
        certificate,
        step_size: None,
    }
}
