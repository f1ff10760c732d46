//! Lagrangian proximal gradient descent (paper §3.4–3.6, C.3, C.4).
//!
//! With a loss gradient `(dx, dy, ds)` at `z* = (x*, y*, s*)`, the
//! linearized loss enters the saddle problem as `τ(dxᵀx + dyᵀy + dsᵀs)`
//! (C.3, eq. 79–82). On the feasible set `s = b − Ax`, so the perturbed
//! problem is again in standard form:
//!
//! ```text
//! c ← c + σ·τ·(dx − Aᵀds),   b ← b − σ·τ·dy        (σ = +1 lower, −1 upper)
//! ```
//!
//! and its saddle point has `y = y' − σ·τ·ds`, `y'` the standard-form dual
//! (the cone multiplier of `s` is `y + σ·τ·ds`). With the augmentation of
//! §3.6 the perturbed problems are solved with `P + ρI` and `c − ρx*`
//! (the augmented Lagrangian `L + ρ/2‖x − x*‖²` has the same solution at
//! `w` and a smoother envelope). The gradients are finite differences of
//! `∇_w L` ([`crate::lagrangian`]) — eq. 16 and 22:
//!
//! ```text
//! lower:    (∇_w L(z₊) − ∇_w L(z*)) / τ
//! upper:    (∇_w L(z*) − ∇_w L(z₋)) / τ
//! average:  (∇_w L(z₊) − ∇_w L(z₋)) / 2τ
//! ```
//!
//! For `τ → 0` (and `ρ = 0`) they converge to the true gradient
//! (Theorem 3.1; the average to second order). Forward mode (C.4, eq. 90)
//! is the corresponding difference of solutions along a data direction.
//!
//! **Failures.** A perturbed problem can be infeasible or unbounded for
//! large `τ` (only `b` changes feasibility; only `c` boundedness). The
//! average envelope then falls back to the one-sided envelope of the solve
//! that succeeded when [`Fallback::OneSided`] is set (the default; the
//! envelope actually used is reported); otherwise, and when no side
//! succeeds, a [`DiffError::PerturbedNotSolved`] names the failed side —
//! never a NaN gradient.

use crate::error::{check_tau_rho, DiffError, Side};
use crate::lagrangian;
use crate::layer::{DiffSolver, Direction, SolveRecord};
use crate::params::{LossGrad, ParamGrad, Tangent};
use lpgd_solver::{ProblemData, Solution, Status};

/// A gradient, the envelope it belongs to, and the perturbed solves.
pub(crate) type EnvelopeGrad = (ParamGrad, Envelope, Vec<SolveRecord>);

/// Which Lagrange–Moreau envelope's gradient LPGD returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `ℓ_τ`, perturbation towards lower loss (`+τ`).
    Lower,
    /// `ℓ^τ`, perturbation towards higher loss (`−τ`).
    Upper,
    /// The mean of both (two solves, run in parallel).
    Average,
}

impl Envelope {
    /// The name used on the command line (`lower`, `upper`, `average`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Envelope::Lower => "lower",
            Envelope::Upper => "upper",
            Envelope::Average => "average",
        }
    }
}

/// What the average envelope does when one of its two solves fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fallback {
    /// Return the other side's one-sided envelope gradient.
    #[default]
    OneSided,
    /// Return the error.
    Error,
}

/// LPGD settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LpgdSettings {
    /// Step `τ > 0` of the perturbation.
    pub tau: f64,
    /// Augmentation strength `ρ ≥ 0`.
    pub rho: f64,
    /// Envelope.
    pub envelope: Envelope,
    /// Behaviour of the average envelope when one side fails.
    pub fallback: Fallback,
}

impl Default for LpgdSettings {
    fn default() -> Self {
        LpgdSettings {
            tau: 1e-3,
            rho: 0.0,
            envelope: Envelope::Average,
            fallback: Fallback::OneSided,
        }
    }
}

/// One perturbed solve's outcome: `(x, saddle y, s)`, status, iterations.
pub(crate) struct Perturbed {
    x: Vec<f64>,
    y: Vec<f64>,
    s: Vec<f64>,
    status: Status,
    iterations: u32,
}

/// `+1` for the plus side, `−1` for the minus side.
pub(crate) fn sign(side: Side) -> f64 {
    match side {
        Side::Plus => 1.0,
        Side::Minus => -1.0,
    }
}

/// Checks a perturbed solution and turns its standard-form dual into the
/// saddle point's `y`: `y' − t·ds (+ y_shift)`, `t = ±τ`.
pub(crate) fn perturbed_from(
    p: Solution,
    side: Side,
    tau: f64,
    ds: Option<&[f64]>,
    y_shift: Option<&[f64]>,
) -> Result<Perturbed, DiffError> {
    if !p.status.is_solved() {
        return Err(DiffError::PerturbedNotSolved {
            side,
            tau,
            status: p.status,
        });
    }
    let t = sign(side) * tau;
    let mut y = p.y;
    if let Some(ds) = ds {
        for (yi, d) in y.iter_mut().zip(ds) {
            *yi -= t * d;
        }
    }
    if let Some(shift) = y_shift {
        for (yi, d) in y.iter_mut().zip(shift) {
            *yi += d;
        }
    }
    Ok(Perturbed {
        x: p.x,
        y,
        s: p.s,
        status: p.status,
        iterations: p.iterations,
    })
}

fn run_side(
    layer: &DiffSolver,
    sol: &Solution,
    s: LpgdSettings,
    side: Side,
    dir: &Direction<'_>,
    ds: Option<&[f64]>,
    y_shift: Option<&[f64]>,
) -> Result<Perturbed, DiffError> {
    let p = layer.perturbed_solve(sol, s.rho, sign(side) * s.tau, dir)?;
    perturbed_from(p, side, s.tau, ds, y_shift)
}

/// The perturbed solves of an envelope.
pub(crate) enum Sides {
    Plus(Perturbed),
    Minus(Perturbed),
    Both(Perturbed, Perturbed),
}

impl Sides {
    /// The envelope these solves give.
    fn envelope(&self) -> Envelope {
        match self {
            Sides::Plus(_) => Envelope::Lower,
            Sides::Minus(_) => Envelope::Upper,
            Sides::Both(..) => Envelope::Average,
        }
    }

    /// `(side, status, iterations)` of each solve.
    fn record(&self) -> Vec<SolveRecord> {
        let one = |side, p: &Perturbed| (side, p.status, p.iterations);
        match self {
            Sides::Plus(p) => vec![one(Side::Plus, p)],
            Sides::Minus(q) => vec![one(Side::Minus, q)],
            Sides::Both(p, q) => vec![one(Side::Plus, p), one(Side::Minus, q)],
        }
    }
}

/// Applies the fallback to the outcomes of the two solves of an average
/// envelope.
pub(crate) fn combine(
    plus: Result<Perturbed, DiffError>,
    minus: Result<Perturbed, DiffError>,
    fallback: Fallback,
) -> Result<Sides, DiffError> {
    match (plus, minus, fallback) {
        (Ok(p), Ok(m), _) => Ok(Sides::Both(p, m)),
        (Ok(p), Err(_), Fallback::OneSided) => Ok(Sides::Plus(p)),
        (Err(_), Ok(m), Fallback::OneSided) => Ok(Sides::Minus(m)),
        (Err(e), _, _) | (_, Err(e), _) => Err(e),
    }
}

/// Runs the solves an envelope needs (both in parallel for the average)
/// and applies the fallback.
fn run_envelope(
    layer: &DiffSolver,
    sol: &Solution,
    s: LpgdSettings,
    dir: &Direction<'_>,
    ds: Option<&[f64]>,
    y_shift: Option<&[f64]>,
) -> Result<Sides, DiffError> {
    check_tau_rho(Some(s.tau), s.rho)?;
    match s.envelope {
        Envelope::Lower => Ok(Sides::Plus(run_side(
            layer,
            sol,
            s,
            Side::Plus,
            dir,
            ds,
            y_shift,
        )?)),
        Envelope::Upper => Ok(Sides::Minus(run_side(
            layer,
            sol,
            s,
            Side::Minus,
            dir,
            ds,
            y_shift,
        )?)),
        Envelope::Average => {
            let (plus, minus) = rayon::join(
                || run_side(layer, sol, s, Side::Plus, dir, ds, y_shift),
                || run_side(layer, sol, s, Side::Minus, dir, ds, y_shift),
            );
            combine(plus, minus, s.fallback)
        }
    }
}

/// The data direction of a loss: `Δc = dx − Aᵀds`, `Δb = −dy`.
pub(crate) fn loss_direction(prob: &ProblemData, loss: &LossGrad) -> (Vec<f64>, Option<Vec<f64>>) {
    let mut dc = loss.dx.clone().unwrap_or_else(|| vec![0.0; prob.n()]);
    if let Some(ds) = &loss.ds {
        prob.a.gemv_t(&mut dc, ds, -1.0, 1.0);
    }
    let db = loss.dy.as_ref().map(|dy| dy.iter().map(|v| -v).collect());
    (dc, db)
}

/// LPGD backward pass: the gradient of the chosen envelope of the
/// linearized loss.
pub(crate) fn backward(
    layer: &DiffSolver,
    sol: &Solution,
    loss: &LossGrad,
    s: LpgdSettings,
) -> Result<EnvelopeGrad, DiffError> {
    let (dc, db) = loss_direction(layer.problem(), loss);
    let dir = Direction {
        c: Some(&dc),
        b: db.as_deref(),
        ..Default::default()
    };
    let sides = run_envelope(layer, sol, s, &dir, loss.ds.as_deref(), None)?;
    envelope_gradient(layer.problem(), sol, s.tau, sides)
}

/// `∇_w L` differences of the envelope's solves (eq. 16 and 22).
pub(crate) fn envelope_gradient(
    prob: &ProblemData,
    sol: &Solution,
    tau: f64,
    sides: Sides,
) -> Result<EnvelopeGrad, DiffError> {
    let star = (&sol.x[..], &sol.y[..]);
    let grad = match &sides {
        Sides::Both(p, q) => lagrangian::difference(prob, (&p.x, &p.y), (&q.x, &q.y), 0.5 / tau),
        Sides::Plus(p) => lagrangian::difference(prob, (&p.x, &p.y), star, 1.0 / tau),
        Sides::Minus(q) => lagrangian::difference(prob, star, (&q.x, &q.y), 1.0 / tau),
    };
    Ok((grad.finite()?, sides.envelope(), sides.record()))
}

/// Lagrangian mirror descent (C.2): the perturbed problem of eq. 68–69,
///
/// ```text
/// minimize L(x, s; w) − ⟨(x, s) − (x*, s*), ∇_{(x,s)} L(z*)⟩ + σ·τ·(dxᵀx + dsᵀs)
/// ```
///
/// with `∇ₓL(z*) = Px* + c + Aᵀy*` (zero up to the solver's accuracy) and
/// `∇ₛL(z*) = y*`. In standard form this is `c ← c − ∇ₓL(z*) + Aᵀy* +
/// σ·τ·(dx − Aᵀds)` (so the cost becomes `−Px* + σ·τ·(dx − Aᵀds)`: a
/// projection of `x*` in the metric of `P`), and the saddle point's `y` is
/// the standard-form dual minus `σ·τ·ds` plus `y*`. The gradient is the
/// envelope's difference of `∇_w L` as in LPGD, with the Bregman term's
/// linear part held fixed. Without constraints `∇ₓL(z*) = 0` and this is
/// LPGD (the paper's equivalence); in general the perturbed problem needs
/// strong convexity (`P ≻ 0` or `ρ > 0`) to be bounded. Losses on `y` are
/// not supported.
pub(crate) fn lmd_backward(
    layer: &DiffSolver,
    sol: &Solution,
    loss: &LossGrad,
    s: LpgdSettings,
) -> Result<EnvelopeGrad, DiffError> {
    if loss.dy.is_some() {
        return Err(DiffError::Unsupported(
            "Lagrangian mirror descent takes losses on x and s only",
        ));
    }
    let prob = layer.problem();
    let n = prob.n();
    let (dc, _) = loss_direction(prob, loss);
    // shift = Aᵀy* − (Px* + c + Aᵀy*).
    let mut grad_x = prob.c.clone();
    prob.p.symv_upper(&mut grad_x, &sol.x, 1.0, 1.0);
    prob.a.gemv_t(&mut grad_x, &sol.y, 1.0, 1.0);
    let mut shift = vec![0.0; n];
    prob.a.gemv_t(&mut shift, &sol.y, 1.0, 0.0);
    for (v, g) in shift.iter_mut().zip(&grad_x) {
        *v -= g;
    }
    let dir = Direction {
        c_shift: Some(&shift),
        c: Some(&dc),
        ..Default::default()
    };
    let sides = run_envelope(layer, sol, s, &dir, loss.ds.as_deref(), Some(&sol.y))?;
    envelope_gradient(prob, sol, s.tau, sides)
}

/// Forward-mode LPGD: `(z*(w + τΔw) − z*(w))/τ` (lower, right-sided),
/// `(z*(w) − z*(w − τΔw))/τ` (upper, left-sided) or the central
/// difference (average), with the same augmentation.
pub(crate) fn jvp(
    layer: &DiffSolver,
    sol: &Solution,
    dir: &ParamGrad,
    s: LpgdSettings,
) -> Result<(Tangent, Vec<SolveRecord>), DiffError> {
    let nz = |v: &Vec<f64>| v.iter().any(|&x| x != 0.0);
    let d = Direction {
        p: nz(&dir.p).then_some(&dir.p[..]),
        c: Some(&dir.c),
        a: nz(&dir.a).then_some(&dir.a[..]),
        b: nz(&dir.b).then_some(&dir.b[..]),
        c_shift: None,
    };
    let sides = run_envelope(
        layer,
        sol,
        LpgdSettings {
            fallback: Fallback::Error,
            ..s
        },
        &d,
        None,
        None,
    )?;
    let diff = |a: &[f64], b: &[f64], scale: f64| -> Vec<f64> {
        a.iter().zip(b).map(|(u, v)| scale * (u - v)).collect()
    };
    let (hi, lo, scale) = match &sides {
        Sides::Both(p, q) => ((&p.x, &p.y, &p.s), (&q.x, &q.y, &q.s), 0.5 / s.tau),
        Sides::Plus(p) => ((&p.x, &p.y, &p.s), (&sol.x, &sol.y, &sol.s), 1.0 / s.tau),
        Sides::Minus(q) => ((&sol.x, &sol.y, &sol.s), (&q.x, &q.y, &q.s), 1.0 / s.tau),
    };
    let tangent = Tangent {
        dx: diff(hi.0, lo.0, scale),
        dy: diff(hi.1, lo.1, scale),
        ds: diff(hi.2, lo.2, scale),
    };
    Ok((tangent.finite()?, sides.record()))
}
