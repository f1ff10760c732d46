//! `lpgd grad`: one forward solve of a problem file and one backward pass,
//! reported as JSON with gradients on the stored patterns of the input.
//!
//! Gradients refer to the standard-form data `(P, c, A, b)` as read. For
//! JSON files `dA` and `dP` list one value per input triplet, in the
//! input's order (a triplet given twice — whose values the reader sums —
//! gets the same derivative twice); for other formats they follow the
//! column-major storage order, with their row and column indices.

use lpgd_diff::{
    DiffError, DiffSolver, Envelope, Fallback, ImplicitSettings, LossGrad, LpgdSettings, Mode,
};
use lpgd_solver::{io, CscMatrix, Method, ProblemData, ReadError, Settings};
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Derivative mode of `lpgd grad`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradMode {
    /// Implicit differentiation.
    Implicit,
    /// LPGD, lower envelope.
    LpgdLower,
    /// LPGD, upper envelope.
    LpgdUpper,
    /// LPGD, average envelope.
    LpgdAverage,
    /// Lagrangian mirror descent (lower).
    Lmd,
}

impl GradMode {
    /// The name on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            GradMode::Implicit => "implicit",
            GradMode::LpgdLower => "lpgd-lower",
            GradMode::LpgdUpper => "lpgd-upper",
            GradMode::LpgdAverage => "lpgd-average",
            GradMode::Lmd => "lmd",
        }
    }
}

/// Options of one gradient computation.
#[derive(Debug, Clone)]
pub struct GradOptions {
    /// Derivative mode.
    pub mode: GradMode,
    /// LPGD step `τ`.
    pub tau: f64,
    /// Augmentation `ρ`.
    pub rho: f64,
    /// Forward method.
    pub method: Method,
    /// Loss gradient on `x`, `y`, `s`.
    pub loss: LossGrad,
    /// Use `∇ₓℓ = 1` (all ones) in place of `loss.dx`.
    pub dx_ones: bool,
    /// Newton refinement steps after each solve.
    pub refine: usize,
}

/// Why `lpgd grad` failed.
#[derive(Debug, thiserror::Error)]
pub enum GradError {
    /// The problem file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Solver setup or differentiation failed.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// A loss-gradient file is unreadable or malformed.
    #[error("{path}: {message}")]
    LossFile {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl GradError {
    /// True for errors in the user's input (files, data, settings).
    pub fn is_input_error(&self) -> bool {
        match self {
            GradError::Read(_) | GradError::LossFile { .. } => true,
            GradError::Diff(e) => matches!(
                e,
                DiffError::Problem(_)
                    | DiffError::Dimension { .. }
                    | DiffError::NonFinite { .. }
                    | DiffError::InvalidSetting { .. }
                    | DiffError::Unsupported(_)
            ),
        }
    }
}

/// Reads a JSON array of numbers (a loss gradient).
pub fn read_vector(path: &Path) -> Result<Vec<f64>, GradError> {
    let bad = |message: String| GradError::LossFile {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let arr = v
        .as_array()
        .ok_or_else(|| bad("expected a JSON array of numbers".into()))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .ok_or_else(|| bad(format!("entry {i} is not a number")))
        })
        .collect()
}

/// `(row, col)` of each input triplet of `P` and of `A`.
pub type TripletOrder = (Vec<(usize, usize)>, Vec<(usize, usize)>);

/// The input order of the triplets of `P` and `A` in a JSON file, if the
/// file is JSON.
fn json_triplets(path: &Path) -> Option<TripletOrder> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let text = if name.ends_with(".json") {
        std::fs::read_to_string(path).ok()?
    } else if name.ends_with(".json.gz") {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(path).ok()?)
            .read_to_string(&mut s)
            .ok()?;
        s
    } else {
        return None;
    };
    let v: Value = serde_json::from_str(&text).ok()?;
    let pairs = |m: &Value| -> Option<Vec<(usize, usize)>> {
        if m.is_null() {
            return Some(Vec::new());
        }
        let rows = m.get("rows")?.as_array()?;
        let cols = m.get("cols")?.as_array()?;
        rows.iter()
            .zip(cols)
            .map(|(r, c)| Some((r.as_u64()? as usize, c.as_u64()? as usize)))
            .collect()
    };
    let p = v.get("P").map_or(Some(Vec::new()), pairs)?;
    let a = pairs(v.get("A")?)?;
    Some((p, a))
}

/// Position of entry `(r, c)` in the storage of `mat`.
fn position(mat: &CscMatrix, r: usize, c: usize) -> Option<usize> {
    let (lo, hi) = (*mat.colptr.get(c)?, *mat.colptr.get(c + 1)?);
    mat.rowval[lo..hi].binary_search(&r).ok().map(|k| lo + k)
}

/// `{"rows", "cols", "vals"}` of a gradient on `mat`'s pattern, in the
/// given triplet order or in storage order.
fn triplets(mat: &CscMatrix, grad: &[f64], order: Option<&[(usize, usize)]>) -> Value {
    let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    match order {
        Some(order) => {
            for &(r, c) in order {
                rows.push(r);
                cols.push(c);
                vals.push(position(mat, r, c).map_or(0.0, |k| grad[k]));
            }
        }
        None => {
            for c in 0..mat.n {
                let range = mat.colptr[c]..mat.colptr[c + 1];
                for (&r, &g) in mat.rowval[range.clone()].iter().zip(&grad[range]) {
                    rows.push(r);
                    cols.push(c);
                    vals.push(g);
                }
            }
        }
    }
    json!({"rows": rows, "cols": cols, "vals": vals})
}

fn mode_of(opts: &GradOptions) -> Mode {
    let lpgd = |envelope| LpgdSettings {
        tau: opts.tau,
        rho: opts.rho,
        envelope,
        fallback: Fallback::OneSided,
    };
    match opts.mode {
        GradMode::Implicit => Mode::Implicit(ImplicitSettings {
            rho: opts.rho,
            ..Default::default()
        }),
        GradMode::LpgdLower => Mode::Lpgd(lpgd(Envelope::Lower)),
        GradMode::LpgdUpper => Mode::Lpgd(lpgd(Envelope::Upper)),
        GradMode::LpgdAverage => Mode::Lpgd(lpgd(Envelope::Average)),
        GradMode::Lmd => Mode::Lmd(lpgd(Envelope::Lower)),
    }
}

/// Solves `path` and differentiates; returns the JSON report.
pub fn grad_file(path: &Path, opts: &GradOptions) -> Result<Value, GradError> {
    let prob = io::read_problem(path)?;
    let order = json_triplets(path);
    grad_problem(prob, order, opts)
}

/// As [`grad_file`] for a problem in memory (gradients in storage order
/// unless `order` gives the triplet order of `P` and `A`).
pub fn grad_problem(
    prob: ProblemData,
    order: Option<TripletOrder>,
    opts: &GradOptions,
) -> Result<Value, GradError> {
    let settings = Settings {
        method: opts.method,
        ..Settings::default()
    };
    let mut loss = opts.loss.clone();
    if opts.dx_ones {
        loss.dx = Some(vec![1.0; prob.n()]);
    }
    let mut layer = DiffSolver::new(prob, settings)?;
    layer.set_refinement(opts.refine);
    let t0 = Instant::now();
    let sol = layer.solve()?.clone();
    let forward_time = t0.elapsed().as_secs_f64();
    let mut report = json!({
        "status": sol.status.as_str(),
        "objective": sol.objective,
        "x": sol.x,
        "y": sol.y,
        "s": sol.s,
        "mode": opts.mode.as_str(),
        "tau": opts.tau,
        "rho": opts.rho,
        "forward_time_s": forward_time,
    });
    let back = layer.backward(mode_of(opts), &loss)?;
    let prob = layer.problem();
    let (p_order, a_order) = match &order {
        Some((p, a)) => (Some(&p[..]), Some(&a[..])),
        None => (None, None),
    };
    report["dc"] = json!(back.grad.c);
    report["db"] = json!(back.grad.b);
    report["dA"] = triplets(&prob.a, &back.grad.a, a_order);
    report["dP"] = triplets(&prob.p, &back.grad.p, p_order);
    report["backward_time_s"] = json!(back.info.time_s);
    if let Some(env) = back.info.envelope {
        report["envelope"] = json!(env.as_str());
        report["perturbed_solves"] = json!(back
            .info
            .solves
            .iter()
            .map(|(side, status, it)| json!({
                "side": side.to_string(),
                "status": status.as_str(),
                "iterations": it,
            }))
            .collect::<Vec<_>>());
    }
    Ok(report)
}
