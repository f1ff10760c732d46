//! `lpgd envelope`: the paper's Figure 1 — the lower, upper and average
//! Lagrange–Moreau envelopes of a linearized loss along a random cut
//! through cost space, for several temperatures `τ` and augmentation
//! strengths `ρ` (§3.2–3.6).
//!
//! The model is the LP `x*(c) = argmin_{x ∈ [0,1]ⁿ} ⟨x, c⟩` (eq. 24), the
//! loss `ℓ(x) = ½‖x − x̂‖²` with a random target `x̂ ∈ [0, 1]ⁿ`, and the cut
//! `c(t) = c₀ + t·d`. At each `c` the loss is linearized at `x* = x*(c)`,
//! `ℓ̃(x) = ℓ(x*) + ⟨g, x − x*⟩` with `g = ∇ℓ(x*) = x* − x̂`, and the
//! augmented Lagrangian divergence of the box LP is
//! `D_ρ(x|c) = ⟨c, x − x*⟩ + ρ/2‖x − x*‖²` (eq. 8, 28). The envelopes
//! (eq. 10, 12, 15)
//!
//! ```text
//! lower:   ℓ̃_τ(c) = min_{x ∈ [0,1]ⁿ} ℓ̃(x) + D_ρ(x|c)/τ,   attained at x*(c + τg) of the augmented problem
//! upper:   ℓ̃^τ(c) = max_{x ∈ [0,1]ⁿ} ℓ̃(x) − D_ρ(x|c)/τ,   attained at x*(c − τg)
//! average: ½(ℓ̃_τ + ℓ̃^τ)
//! ```
//!
//! are evaluated at their proximal points (eq. 21), which the conic solver
//! computes as the QP `min ⟨x, c ± τg − ρx*⟩ + ρ/2‖x‖²` over the box — the
//! perturbed solve of an LPGD backward pass. `x = x*` is feasible in both
//! problems, so `lower ≤ ℓ(x*(c)) ≤ upper` at every point.

use super::plot::{self, Panel, Series, PALETTE};
use super::{create_dir, dot, require, write_csv, ExperimentError};
use crate::rng::Rng;
use lpgd_solver::{CscMatrix, ProblemData, Settings, Solver, SupportedCone};
use std::path::PathBuf;

/// Settings of `lpgd envelope`.
#[derive(Debug, Clone)]
pub struct EnvelopeConfig {
    /// Dimension `n` of the LP.
    pub n: usize,
    /// Temperatures `τ > 0` (one column of panels each).
    pub taus: Vec<f64>,
    /// Augmentation strengths `ρ ≥ 0` (one row of panels each).
    pub rhos: Vec<f64>,
    /// The cut is evaluated at `points` values of `t` in `[t_min, t_max]`.
    pub t_min: f64,
    /// See `t_min`.
    pub t_max: f64,
    /// Number of points on the cut (≥ 2).
    pub points: usize,
    /// Seed of `c₀`, `d` and `x̂`.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
}

impl Default for EnvelopeConfig {
    fn default() -> Self {
        EnvelopeConfig {
            n: 10,
            taus: vec![0.3, 1.0, 3.0],
            rhos: vec![0.0, 1.0, 10.0],
            t_min: -2.0,
            t_max: 2.0,
            points: 401,
            seed: 0,
            out: PathBuf::from("results/envelope"),
        }
    }
}

/// The envelope values at one point of the cut for one `(τ, ρ)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnvelopePoint {
    /// Lower envelope `ℓ̃_τ`.
    pub lower: f64,
    /// Average envelope.
    pub average: f64,
    /// Upper envelope `ℓ̃^τ`.
    pub upper: f64,
}

/// The curves along the cut.
#[derive(Debug, Clone)]
pub struct EnvelopeCurves {
    /// The cut parameters `t`.
    pub t: Vec<f64>,
    /// `ℓ(x*(c(t)))`.
    pub loss: Vec<f64>,
    /// `(τ, ρ, values along t)` for every combination.
    pub envelopes: Vec<(f64, f64, Vec<EnvelopePoint>)>,
}

/// The box LP/QP `min ½ρ‖x‖² + ⟨c, x⟩` over `[0, 1]ⁿ` as a reusable
/// solver (rows `x ≤ 1`, then `−x ≤ 0`).
fn box_solver(n: usize, rho: f64) -> Result<Solver, ExperimentError> {
    let rows: Vec<usize> = (0..2 * n).collect();
    let cols: Vec<usize> = (0..n).chain(0..n).collect();
    let vals: Vec<f64> = (0..2 * n).map(|i| if i < n { 1.0 } else { -1.0 }).collect();
    let a = CscMatrix::from_triplets(2 * n, n, &rows, &cols, &vals).map_err(|e| {
        ExperimentError::Solver {
            context: "box constraints".into(),
            source: e.into(),
        }
    })?;
    let p = (rho > 0.0)
        .then(|| {
            let d: Vec<usize> = (0..n).collect();
            CscMatrix::from_triplets(n, n, &d, &d, &vec![rho; n])
        })
        .transpose()
        .map_err(|e| ExperimentError::Solver {
            context: "augmentation".into(),
            source: e.into(),
        })?;
    let b: Vec<f64> = (0..2 * n).map(|i| if i < n { 1.0 } else { 0.0 }).collect();
    let prob = ProblemData::new(
        p,
        vec![0.0; n],
        a,
        b,
        vec![SupportedCone::Nonnegative(2 * n)],
    )
    .map_err(|e| ExperimentError::Solver {
        context: "box problem".into(),
        source: e.into(),
    })?;
    Solver::new(prob, Settings::default()).map_err(|source| ExperimentError::Solver {
        context: "box problem".into(),
        source,
    })
}

/// Solves `solver`'s box problem for cost `c`, returning `x`.
fn solve_box(solver: &mut Solver, c: &[f64], context: &str) -> Result<Vec<f64>, ExperimentError> {
    solver.update_c(c).map_err(|e| ExperimentError::Solver {
        context: context.into(),
        source: e.into(),
    })?;
    let sol = solver.solve();
    if !sol.status.is_solved() {
        return Err(ExperimentError::NotSolved {
            context: context.into(),
            status: sol.status.as_str().into(),
        });
    }
    Ok(sol.x)
}

/// Computes the loss and the envelopes along the cut.
pub fn compute(cfg: &EnvelopeConfig) -> Result<EnvelopeCurves, ExperimentError> {
    require(cfg.n >= 1, "n", cfg.n, "at least one variable")?;
    require(cfg.points >= 2, "points", cfg.points, "at least 2")?;
    require(
        cfg.t_min.is_finite() && cfg.t_max.is_finite() && cfg.t_min < cfg.t_max,
        "t range",
        format!("{}..{}", cfg.t_min, cfg.t_max),
        "finite with t_min < t_max",
    )?;
    for &tau in &cfg.taus {
        require(
            tau > 0.0 && tau.is_finite(),
            "tau",
            tau,
            "positive and finite",
        )?;
    }
    for &rho in &cfg.rhos {
        require(
            rho >= 0.0 && rho.is_finite(),
            "rho",
            rho,
            "nonnegative and finite",
        )?;
    }
    let n = cfg.n;
    let mut rng = Rng(cfg.seed);
    let c0: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let d: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let target: Vec<f64> = (0..n).map(|_| 0.5 + rng.normal()).collect();
    let t: Vec<f64> = (0..cfg.points)
        .map(|k| cfg.t_min + (cfg.t_max - cfg.t_min) * k as f64 / (cfg.points - 1) as f64)
        .collect();
    let mut lp = box_solver(n, 0.0)?;
    let mut augmented: Vec<Solver> = cfg
        .rhos
        .iter()
        .map(|&rho| box_solver(n, rho))
        .collect::<Result<_, _>>()?;
    let mut loss = Vec::with_capacity(t.len());
    let mut envelopes: Vec<(f64, f64, Vec<EnvelopePoint>)> = cfg
        .rhos
        .iter()
        .flat_map(|&rho| cfg.taus.iter().map(move |&tau| (tau, rho, Vec::new())))
        .collect();
    for &tk in &t {
        let c: Vec<f64> = c0.iter().zip(&d).map(|(a, b)| a + tk * b).collect();
        let xstar = solve_box(&mut lp, &c, "x*(c)")?;
        let g: Vec<f64> = xstar.iter().zip(&target).map(|(x, y)| x - y).collect();
        let l = 0.5 * dot(&g, &g);
        loss.push(l);
        for (k, (&rho, solver)) in cfg.rhos.iter().zip(&mut augmented).enumerate() {
            for (j, &tau) in cfg.taus.iter().enumerate() {
                let mut side = |sigma: f64| -> Result<f64, ExperimentError> {
                    let cp: Vec<f64> = c
                        .iter()
                        .zip(&g)
                        .zip(&xstar)
                        .map(|((c, g), x)| c + sigma * tau * g - rho * x)
                        .collect();
                    let x = solve_box(solver, &cp, "proximal point")?;
                    let dx: Vec<f64> = x.iter().zip(&xstar).map(|(a, b)| a - b).collect();
                    let div = dot(&c, &dx) + 0.5 * rho * dot(&dx, &dx);
                    Ok(l + dot(&g, &dx) + sigma * div / tau)
                };
                let (lower, upper) = (side(1.0)?, side(-1.0)?);
                envelopes[k * cfg.taus.len() + j].2.push(EnvelopePoint {
                    lower,
                    average: 0.5 * (lower + upper),
                    upper,
                });
            }
        }
    }
    Ok(EnvelopeCurves { t, loss, envelopes })
}

/// Files written by [`run`].
#[derive(Debug, Clone)]
pub struct EnvelopeOutput {
    /// The curves.
    pub curves: EnvelopeCurves,
    /// Paths of the CSV, PNG and SVG files.
    pub files: Vec<PathBuf>,
    /// False if the charts were drawn without text (no font found).
    pub labelled: bool,
}

/// Computes the curves and writes `envelope.csv` (long format: `t, tau,
/// rho, loss, lower, average, upper`), `envelope.png` and `envelope.svg`
/// (one panel per `(ρ, τ)`: rows `ρ`, columns `τ`) into `cfg.out`.
pub fn run(cfg: &EnvelopeConfig) -> Result<EnvelopeOutput, ExperimentError> {
    let curves = compute(cfg)?;
    create_dir(&cfg.out)?;
    let mut rows = Vec::new();
    for (tau, rho, vals) in &curves.envelopes {
        for ((t, l), v) in curves.t.iter().zip(&curves.loss).zip(vals) {
            rows.push(format!(
                "{t},{tau},{rho},{l},{},{},{}",
                v.lower, v.average, v.upper
            ));
        }
    }
    let csv = cfg.out.join("envelope.csv");
    write_csv(&csv, "t,tau,rho,loss,lower,average,upper", &rows)?;
    let panels: Vec<Panel> = curves
        .envelopes
        .iter()
        .map(|(tau, rho, vals)| {
            let along = |f: fn(&EnvelopePoint) -> f64| -> Vec<(f64, f64)> {
                curves.t.iter().zip(vals).map(|(&t, v)| (t, f(v))).collect()
            };
            Panel {
                title: format!("τ = {tau}, ρ = {rho}"),
                x_label: "t  (c = c₀ + t·d)".into(),
                y_label: "loss".into(),
                series: vec![
                    Series {
                        label: "lower".into(),
                        color: PALETTE[0],
                        points: along(|v| v.lower),
                    },
                    Series {
                        label: "average".into(),
                        color: PALETTE[1],
                        points: along(|v| v.average),
                    },
                    Series {
                        label: "upper".into(),
                        color: PALETTE[2],
                        points: along(|v| v.upper),
                    },
                    Series {
                        label: "loss ℓ(x*(c))".into(),
                        color: PALETTE[5],
                        points: curves
                            .t
                            .iter()
                            .copied()
                            .zip(curves.loss.iter().copied())
                            .collect(),
                    },
                ],
            }
        })
        .collect();
    let (png, svg) = (cfg.out.join("envelope.png"), cfg.out.join("envelope.svg"));
    let grid = (cfg.rhos.len().max(1), cfg.taus.len().max(1));
    let size = (420 * grid.1 as u32, 320 * grid.0 as u32);
    let labelled = plot::draw(&panels, grid, size, &png, &svg)?;
    Ok(EnvelopeOutput {
        curves,
        files: vec![csv, png, svg],
        labelled,
    })
}
