//! Benchmark harness: our solver and a baseline (Clarabel) side by side on a
//! list of problems with reference objectives.
//!
//! The core is [`run_problem`] (one problem, both solvers, sequentially in
//! this process) and [`run_cases`] (a list of problem files, read lazily, one
//! [`ProblemRecord`] each, then a [`BenchSummary`]). A test set plugs in by
//! turning its index into [`BenchCase`]s, as [`maros_cases`] does for the
//! Maros-Meszaros QPs and [`cblib_cases`] for CBLIB conic instances.
//!
//! # Metrics
//!
//! * Relative objective error `|obj − ref| / max(1, |ref|)` ([`rel_error`]).
//! * A solver *solves* a problem when its status is `Solved` or
//!   `AlmostSolved` and the relative objective error is at most
//!   [`BenchOptions::tol`] (default [`SOLVED_TOL`] = 1e-5; the command line
//!   uses [`ADMM_SOLVED_TOL`] = 1e-4 for the operator-splitting method,
//!   [`BenchOptions::method`]). Without a
//!   reference objective the status alone decides. A problem whose reference
//!   outcome is infeasibility ([`Expected::PrimalInfeasible`] or
//!   [`Expected::DualInfeasible`]) is solved when the solver reports that
//!   infeasibility (also at reduced accuracy, `AlmostPrimalInfeasible` /
//!   `AlmostDualInfeasible`).
//! * A solved problem is also *accurate* when the relative objective error
//!   is at most [`ACCURATE_TOL`] = 1e-6 (infeasible references and problems
//!   without a reference objective: when solved).
//! * Times are the wall time of constructor + solve (file reading and data
//!   conversion excluded). The summary reports the shifted geometric mean
//!   `exp(mean(ln(tᵢ + δ))) − δ` with δ = [`GEOMEAN_SHIFT`] = 1 ms, where a
//!   problem not solved (including a file that could not be read) is charged
//!   the time limit, and the ratio of our total interior-point iterations to
//!   the baseline's over the problems both solvers solve.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clarabel::algebra::CscMatrix as ClarabelCsc;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SupportedConeT};
use lpgd_solver::{CscMatrix, Method, ProblemData, Settings, Solver, Status, SupportedCone};
use serde::Serialize;

/// Relative objective error below which a solved problem counts as solved.
pub const SOLVED_TOL: f64 = 1e-5;
/// The solved threshold for the operator-splitting method, whose default
/// tolerances are 1e-5 (its acceptance target is 1e-4 agreement).
pub const ADMM_SOLVED_TOL: f64 = 1e-4;
/// Relative objective error at which a solved problem counts as accurate.
pub const ACCURATE_TOL: f64 = 1e-6;
/// Shift (seconds) of the shifted geometric mean of solve times.
pub const GEOMEAN_SHIFT: f64 = 1e-3;

/// The outcome a reference gives for a problem.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// An optimal solution (with the reference objective, if known).
    #[default]
    Optimal,
    /// The problem is primal infeasible.
    PrimalInfeasible,
    /// The problem is dual infeasible (unbounded).
    DualInfeasible,
}

impl Expected {
    /// The name used in CSV and JSON output.
    pub fn as_str(&self) -> &'static str {
        match self {
            Expected::Optimal => "optimal",
            Expected::PrimalInfeasible => "primal_infeasible",
            Expected::DualInfeasible => "dual_infeasible",
        }
    }

    /// The expected outcome from a reference status name (Clarabel's and
    /// ours coincide): `PrimalInfeasible` / `AlmostPrimalInfeasible` and
    /// `DualInfeasible` / `AlmostDualInfeasible` name infeasibility, anything
    /// else an optimum.
    pub fn from_status(status: &str) -> Expected {
        match status.trim() {
            "PrimalInfeasible" | "AlmostPrimalInfeasible" => Expected::PrimalInfeasible,
            "DualInfeasible" | "AlmostDualInfeasible" => Expected::DualInfeasible,
            _ => Expected::Optimal,
        }
    }
}

/// What a solver's final status says, across solvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `Solved` or `AlmostSolved`.
    Optimal,
    /// `PrimalInfeasible` or `AlmostPrimalInfeasible`.
    PrimalInfeasible,
    /// `DualInfeasible` or `AlmostDualInfeasible`.
    DualInfeasible,
    /// Anything else (limits, numerical trouble).
    Failed,
}

impl Outcome {
    /// The outcome of our solver's status.
    pub fn of_ours(status: Status) -> Outcome {
        match status {
            Status::Solved | Status::AlmostSolved => Outcome::Optimal,
            Status::PrimalInfeasible | Status::AlmostPrimalInfeasible => Outcome::PrimalInfeasible,
            Status::DualInfeasible | Status::AlmostDualInfeasible => Outcome::DualInfeasible,
            _ => Outcome::Failed,
        }
    }

    /// The outcome of Clarabel's status.
    pub fn of_clarabel(status: clarabel::solver::SolverStatus) -> Outcome {
        use clarabel::solver::SolverStatus as S;
        match status {
            S::Solved | S::AlmostSolved => Outcome::Optimal,
            S::PrimalInfeasible | S::AlmostPrimalInfeasible => Outcome::PrimalInfeasible,
            S::DualInfeasible | S::AlmostDualInfeasible => Outcome::DualInfeasible,
            _ => Outcome::Failed,
        }
    }
}

/// The solver compared against ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// `clarabel::solver::DefaultSolver` at its default settings (except the
    /// time limit, and printing off).
    Clarabel,
    /// Our solver only.
    None,
}

/// Settings of a benchmark run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Per-solve time limit in seconds, for both solvers; also the time
    /// charged to a failure in the shifted geometric mean.
    pub time_limit: f64,
    /// Which baseline to run next to our solver.
    pub baseline: Baseline,
    /// Relative objective error at which a problem counts as solved.
    pub tol: f64,
    /// Our method.
    pub method: Method,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            time_limit: 30.0,
            baseline: Baseline::Clarabel,
            tol: SOLVED_TOL,
            method: Method::InteriorPoint,
        }
    }
}

/// One problem of a test set: a file and its reference objective.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchCase {
    /// Problem name.
    pub name: String,
    /// Problem file, read with [`lpgd_solver::io::read_problem`].
    pub path: PathBuf,
    /// Reference optimal objective (including any objective constant).
    pub reference: Option<f64>,
    /// The reference outcome.
    pub expected: Expected,
}

/// Outcome of one solver on one problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolverRun {
    /// Status name as the solver reports it (`"SetupError"` when the
    /// constructor rejected the problem).
    pub status: String,
    /// Objective including the constant (NaN, serialized as `null`, when
    /// not available).
    pub objective: f64,
    /// Relative objective error against the reference, if there is one and
    /// the objective is finite.
    pub rel_error: Option<f64>,
    /// Wall time of constructor + solve in seconds.
    pub time_s: f64,
    /// Interior-point iterations.
    pub iterations: u32,
    /// Status `Solved`/`AlmostSolved` and objective within the tolerance,
    /// or the expected infeasibility reported (see the module docs).
    pub solved: bool,
    /// Solved, and the objective within [`ACCURATE_TOL`].
    pub accurate: bool,
    /// Constructor error message, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SolverRun {
    #[allow(clippy::too_many_arguments)]
    fn finish(
        status: &str,
        outcome: Outcome,
        objective: f64,
        time_s: f64,
        iterations: u32,
        reference: Option<f64>,
        expected: Expected,
        tol: f64,
    ) -> Self {
        let rel_error = reference
            .map(|r| rel_error(objective, r))
            .filter(|e| e.is_finite());
        let within = |t: f64| match reference {
            Some(_) => rel_error.is_some_and(|e| e <= t),
            None => true,
        };
        let (solved, accurate) = match expected {
            Expected::Optimal => {
                let ok = outcome == Outcome::Optimal;
                (ok && within(tol), ok && within(ACCURATE_TOL.min(tol)))
            }
            Expected::PrimalInfeasible => {
                let ok = outcome == Outcome::PrimalInfeasible;
                (ok, ok)
            }
            Expected::DualInfeasible => {
                let ok = outcome == Outcome::DualInfeasible;
                (ok, ok)
            }
        };
        SolverRun {
            status: status.to_string(),
            objective,
            rel_error,
            time_s,
            iterations,
            solved,
            accurate,
            error: None,
        }
    }

    fn setup_error(message: String, time_s: f64) -> Self {
        SolverRun {
            status: "SetupError".to_string(),
            objective: f64::NAN,
            rel_error: None,
            time_s,
            iterations: 0,
            solved: false,
            accurate: false,
            error: Some(message),
        }
    }
}

/// Both solvers on one problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemRecord {
    /// Problem name.
    pub name: String,
    /// Constraint rows `m` (0 when the file could not be read).
    pub rows: usize,
    /// Variables `n`.
    pub cols: usize,
    /// Nonzeros of `A`.
    pub nnz_a: usize,
    /// Reference objective.
    pub reference: Option<f64>,
    /// The reference outcome.
    pub expected: Expected,
    /// Our solver (`None` when the file could not be read).
    pub ours: Option<SolverRun>,
    /// The baseline (`None` when not run).
    pub baseline: Option<SolverRun>,
    /// Our time over the baseline's, when both ran without a setup error.
    pub time_ratio: Option<f64>,
    /// Why the problem file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_error: Option<String>,
}

/// Per-solver aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolverSummary {
    /// Solver name.
    pub solver: String,
    /// Problems solved (see the module docs).
    pub solved: usize,
    /// Problems solved with the objective within [`ACCURATE_TOL`].
    pub accurate: usize,
    /// Problems attempted.
    pub total: usize,
    /// Shifted geometric mean time in seconds, failures charged the time limit.
    pub sgm_time_s: f64,
    /// Interior-point iterations summed over all problems.
    pub iterations: u64,
}

/// Aggregate over a benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchSummary {
    /// Number of problems.
    pub problems: usize,
    /// Problems whose file could not be read (failures for every solver).
    pub read_errors: usize,
    /// Relative objective error tolerance.
    pub tol: f64,
    /// Relative objective error of an accurate solve.
    pub accurate_tol: f64,
    /// Shift of the geometric mean, seconds.
    pub shift_s: f64,
    /// Per-solve time limit, seconds.
    pub time_limit_s: f64,
    /// Our solver.
    pub ours: SolverSummary,
    /// The baseline, if run.
    pub baseline: Option<SolverSummary>,
    /// `ours.sgm_time_s / baseline.sgm_time_s`.
    pub sgm_ratio: Option<f64>,
    /// Problems solved by both solvers (with a baseline).
    pub both_solved: Option<usize>,
    /// Our total iterations over the baseline's, over the problems both
    /// solved.
    pub iteration_ratio: Option<f64>,
}

/// A full benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// One record per problem, in input order.
    pub problems: Vec<ProblemRecord>,
    /// Aggregate.
    pub summary: BenchSummary,
}

/// Errors of the harness itself (not of a solve).
#[derive(Debug)]
pub enum BenchError {
    /// A file could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A malformed index file.
    Index {
        /// The path.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            BenchError::Index {
                path,
                line,
                message,
            } => write!(f, "{} line {line}: {message}", path.display()),
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BenchError::Io { source, .. } => Some(source),
            BenchError::Index { .. } => None,
        }
    }
}

/// `|obj − reference| / max(1, |reference|)`; NaN when `obj` is not finite.
pub fn rel_error(obj: f64, reference: f64) -> f64 {
    if !obj.is_finite() {
        return f64::NAN;
    }
    (obj - reference).abs() / reference.abs().max(1.0)
}

/// Shifted geometric mean `exp(mean(ln(tᵢ + shift))) − shift` (NaN when empty).
pub fn shifted_geomean(times: &[f64], shift: f64) -> f64 {
    if times.is_empty() {
        return f64::NAN;
    }
    let mean_log = times.iter().map(|t| (t + shift).ln()).sum::<f64>() / times.len() as f64;
    mean_log.exp() - shift
}

/// Solves with our solver at default settings except the time limit; the
/// time covers [`Solver::new`] and [`Solver::solve`]. A problem the
/// constructor rejects (such as a cone the solver does not implement) is a
/// `SetupError` run carrying the message.
pub fn run_ours(
    prob: ProblemData,
    reference: Option<f64>,
    expected: Expected,
    opts: &BenchOptions,
) -> SolverRun {
    let settings = Settings {
        time_limit: opts.time_limit,
        method: opts.method,
        ..Settings::default()
    };
    let start = Instant::now();
    let mut solver = match Solver::new(prob, settings) {
        Ok(s) => s,
        Err(e) => return SolverRun::setup_error(e.to_string(), start.elapsed().as_secs_f64()),
    };
    let sol = solver.solve();
    let time_s = start.elapsed().as_secs_f64();
    SolverRun::finish(
        sol.status.as_str(),
        Outcome::of_ours(sol.status),
        sol.objective,
        time_s,
        sol.iterations,
        reference,
        expected,
        opts.tol,
    )
}

/// A problem in Clarabel's data types; `q = c`, and the objective constant,
/// which Clarabel does not model, is kept to be added to its objective.
#[derive(Debug, Clone)]
pub struct ClarabelProblem {
    /// Upper triangle of `P`.
    pub p: ClarabelCsc<f64>,
    /// Linear cost.
    pub q: Vec<f64>,
    /// Constraint matrix.
    pub a: ClarabelCsc<f64>,
    /// Right-hand side.
    pub b: Vec<f64>,
    /// Cones.
    pub cones: Vec<SupportedConeT<f64>>,
    /// Objective constant of the original problem.
    pub obj_constant: f64,
}

fn to_clarabel_csc(mat: &CscMatrix) -> ClarabelCsc<f64> {
    ClarabelCsc::new(
        mat.m,
        mat.n,
        mat.colptr.clone(),
        mat.rowval.clone(),
        mat.nzval.clone(),
    )
}

/// Converts our problem data to Clarabel's (same standard form, `P` by its
/// upper triangle in both). Fails on a cone Clarabel's conversion here does
/// not cover.
///
/// The cones carry over one to one, with the same row conventions
/// (checked against the clarabel 0.11 sources):
///
/// * [`SupportedCone::Exponential`] → `ExponentialConeT`: Clarabel's primal
///   cone is `s₃ ≥ s₂·exp(s₁/s₂)`, `s₂ > 0`, our `(x, y, z)` order.
/// * [`SupportedCone::Power`]`(α)` → `PowerConeT(α)`: `s₁^α·s₂^(1−α) ≥ |s₃|`.
/// * [`SupportedCone::PositiveSemidefinite`]`(n)` would map to
///   `PSDTriangleConeT(n)`, whose vectorization (upper triangle by columns,
///   off-diagonal entries times `√2`) is ours, but that variant exists only
///   when clarabel is built with its `sdp` feature (which needs a BLAS/LAPACK
///   backend, e.g. `sdp-openblas`); this build does not enable it, so the
///   conversion fails with a message saying so.
pub fn to_clarabel(prob: &ProblemData) -> Result<ClarabelProblem, String> {
    let cones = prob
        .cones
        .iter()
        .map(|cone| match *cone {
            SupportedCone::Zero(d) => Ok(SupportedConeT::ZeroConeT(d)),
            SupportedCone::Nonnegative(d) => Ok(SupportedConeT::NonnegativeConeT(d)),
            SupportedCone::SecondOrder(d) => Ok(SupportedConeT::SecondOrderConeT(d)),
            SupportedCone::Exponential => Ok(SupportedConeT::ExponentialConeT()),
            SupportedCone::Power(alpha) => Ok(SupportedConeT::PowerConeT(alpha)),
            SupportedCone::PositiveSemidefinite(n) => Err(format!(
                "no Clarabel conversion for PositiveSemidefinite({n}): clarabel is built \
                 without its \"sdp\" feature (PSDTriangleConeT)"
            )),
            other => Err(format!("no Clarabel conversion for cone {other:?}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ClarabelProblem {
        p: to_clarabel_csc(&prob.p),
        q: prob.c.clone(),
        a: to_clarabel_csc(&prob.a),
        b: prob.b.clone(),
        cones,
        obj_constant: prob.obj_constant,
    })
}

/// Clarabel's default settings with the given time limit and printing off.
pub fn clarabel_settings(time_limit: f64) -> DefaultSettings<f64> {
    DefaultSettings {
        time_limit,
        verbose: false,
        ..DefaultSettings::default()
    }
}

/// Solves with `clarabel::solver::DefaultSolver`; the time covers its
/// constructor and solve.
pub fn run_clarabel(
    cp: &ClarabelProblem,
    reference: Option<f64>,
    expected: Expected,
    opts: &BenchOptions,
) -> SolverRun {
    let settings = clarabel_settings(opts.time_limit);
    let start = Instant::now();
    let mut solver = match DefaultSolver::new(&cp.p, &cp.q, &cp.a, &cp.b, &cp.cones, settings) {
        Ok(s) => s,
        Err(e) => return SolverRun::setup_error(e.to_string(), start.elapsed().as_secs_f64()),
    };
    solver.solve();
    let time_s = start.elapsed().as_secs_f64();
    let sol = &solver.solution;
    let status = sol.status;
    SolverRun::finish(
        &status.to_string(),
        Outcome::of_clarabel(status),
        sol.obj_val + cp.obj_constant,
        time_s,
        sol.iterations,
        reference,
        expected,
        opts.tol,
    )
}

/// Runs our solver and the baseline (sequentially) on one problem.
pub fn run_problem(
    name: &str,
    prob: &ProblemData,
    reference: Option<f64>,
    expected: Expected,
    opts: &BenchOptions,
) -> ProblemRecord {
    let ours = run_ours(prob.clone(), reference, expected, opts);
    let baseline = match opts.baseline {
        Baseline::None => None,
        Baseline::Clarabel => Some(match to_clarabel(prob) {
            Ok(cp) => run_clarabel(&cp, reference, expected, opts),
            Err(e) => SolverRun::setup_error(e, 0.0),
        }),
    };
    let time_ratio = baseline
        .as_ref()
        .filter(|b| b.error.is_none() && ours.error.is_none() && b.time_s > 0.0)
        .map(|b| ours.time_s / b.time_s);
    ProblemRecord {
        name: name.to_string(),
        rows: prob.m(),
        cols: prob.n(),
        nnz_a: prob.a.nnz(),
        reference,
        expected,
        ours: Some(ours),
        baseline,
        time_ratio,
        read_error: None,
    }
}

/// Reads and runs every case in order, calling `progress` after each.
pub fn run_cases(
    cases: &[BenchCase],
    opts: &BenchOptions,
    mut progress: impl FnMut(usize, &ProblemRecord),
) -> BenchReport {
    let mut problems = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        let record = match lpgd_solver::io::read_problem(&case.path) {
            Ok(prob) => run_problem(&case.name, &prob, case.reference, case.expected, opts),
            Err(e) => ProblemRecord {
                name: case.name.clone(),
                rows: 0,
                cols: 0,
                nnz_a: 0,
                reference: case.reference,
                expected: case.expected,
                ours: None,
                baseline: None,
                time_ratio: None,
                read_error: Some(one_line(&e.to_string())),
            },
        };
        progress(i, &record);
        problems.push(record);
    }
    let summary = summarize(&problems, opts);
    BenchReport { problems, summary }
}

/// Aggregates records: solved counts and shifted geometric mean times, a
/// failure (or a problem whose file could not be read) charged the time limit.
pub fn summarize(problems: &[ProblemRecord], opts: &BenchOptions) -> BenchSummary {
    let side = |solver: &str, pick: &dyn Fn(&ProblemRecord) -> Option<&SolverRun>| {
        let times: Vec<f64> = problems
            .iter()
            .map(|p| match pick(p) {
                Some(run) if run.solved => run.time_s,
                _ => opts.time_limit,
            })
            .collect();
        let count = |f: &dyn Fn(&SolverRun) -> bool| {
            problems.iter().filter(|p| pick(p).is_some_and(f)).count()
        };
        SolverSummary {
            solver: solver.to_string(),
            solved: count(&|r| r.solved),
            accurate: count(&|r| r.accurate),
            total: problems.len(),
            sgm_time_s: shifted_geomean(&times, GEOMEAN_SHIFT),
            iterations: problems
                .iter()
                .filter_map(pick)
                .map(|r| u64::from(r.iterations))
                .sum(),
        }
    };
    let ours = side("lpgd", &|p| p.ours.as_ref());
    let baseline = match opts.baseline {
        Baseline::None => None,
        Baseline::Clarabel => Some(side("clarabel", &|p| p.baseline.as_ref())),
    };
    let sgm_ratio = baseline.as_ref().map(|b| ours.sgm_time_s / b.sgm_time_s);
    let (both_solved, iteration_ratio) = match baseline {
        None => (None, None),
        Some(_) => {
            let both: Vec<(&SolverRun, &SolverRun)> = problems
                .iter()
                .filter_map(|p| Some((p.ours.as_ref()?, p.baseline.as_ref()?)))
                .filter(|(o, b)| o.solved && b.solved)
                .collect();
            let ours_it: u64 = both.iter().map(|(o, _)| u64::from(o.iterations)).sum();
            let base_it: u64 = both.iter().map(|(_, b)| u64::from(b.iterations)).sum();
            let ratio = (base_it > 0).then(|| ours_it as f64 / base_it as f64);
            (Some(both.len()), ratio)
        }
    };
    BenchSummary {
        problems: problems.len(),
        read_errors: problems.iter().filter(|p| p.read_error.is_some()).count(),
        tol: opts.tol,
        accurate_tol: ACCURATE_TOL.min(opts.tol),
        shift_s: GEOMEAN_SHIFT,
        time_limit_s: opts.time_limit,
        ours,
        baseline,
        sgm_ratio,
        both_solved,
        iteration_ratio,
    }
}

/// Which Maros-Meszaros problems to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarosFilter {
    /// Keep problems with `rows + cols ≤ max_size`.
    pub max_size: Option<usize>,
    /// Keep problems whose name contains this (case-insensitive).
    pub name_contains: Option<String>,
}

/// The shared benchmark directory: `$LPGD_SHARED_DIR`, else `../shared`
/// relative to the current directory (the layout next to a checkout).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("LPGD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"))
}

/// Reads `dir/reference.csv` (columns
/// `problem,file,rows,cols,nnz_a,quad_vars,quad_offdiag_nnz,reference_objective,note`)
/// and returns the cases passing `filter`, in file order.
pub fn maros_cases(dir: &Path, filter: &MarosFilter) -> Result<Vec<BenchCase>, BenchError> {
    let index = dir.join("reference.csv");
    let text = std::fs::read_to_string(&index).map_err(|source| BenchError::Io {
        path: index.clone(),
        source,
    })?;
    let bad = |line: usize, message: String| BenchError::Index {
        path: index.clone(),
        line,
        message,
    };
    let mut lines = text.lines().enumerate();
    let header = lines
        .next()
        .map(|(_, h)| split_csv_line(h))
        .ok_or_else(|| bad(1, "empty file".into()))?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| bad(1, format!("missing column {name:?}")))
    };
    let (c_name, c_file, c_rows, c_cols, c_ref) = (
        col("problem")?,
        col("file")?,
        col("rows")?,
        col("cols")?,
        col("reference_objective")?,
    );
    let needle = filter.name_contains.as_ref().map(|s| s.to_lowercase());
    let mut cases = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv_line(line);
        let field = |c: usize| {
            fields.get(c).map(|s| s.trim()).ok_or_else(|| {
                bad(
                    i + 1,
                    format!("expected {} fields, found {}", header.len(), fields.len()),
                )
            })
        };
        let number = |c: usize| -> Result<usize, BenchError> {
            let s = field(c)?;
            s.parse()
                .map_err(|_| bad(i + 1, format!("{:?} is not a count", s)))
        };
        let name = field(c_name)?;
        let size = number(c_rows)? + number(c_cols)?;
        if filter.max_size.is_some_and(|max| size > max) {
            continue;
        }
        if let Some(n) = &needle {
            if !name.to_lowercase().contains(n.as_str()) {
                continue;
            }
        }
        let reference = match field(c_ref)? {
            "" => None,
            s => Some(
                s.parse::<f64>()
                    .map_err(|_| bad(i + 1, format!("{s:?} is not a number")))?,
            )
            .filter(|v| v.is_finite()),
        };
        cases.push(BenchCase {
            name: name.to_string(),
            path: dir.join(field(c_file)?),
            reference,
            expected: Expected::Optimal,
        });
    }
    Ok(cases)
}

/// One reference row of a CBLIB directory.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CblibReference {
    objective: Option<f64>,
    expected: Expected,
}

/// Reads `reference.csv` of a CBLIB directory (columns
/// `file,clarabel_status,reference_objective,clarabel_solve_time_s`; `file`
/// relative to the directory with `/` separators, the objective empty or
/// `nan` when there is none, `clarabel_status` optional), keyed by file.
fn cblib_references(index: &Path) -> Result<Vec<(String, CblibReference)>, BenchError> {
    let text = std::fs::read_to_string(index).map_err(|source| BenchError::Io {
        path: index.to_path_buf(),
        source,
    })?;
    let bad = |line: usize, message: String| BenchError::Index {
        path: index.to_path_buf(),
        line,
        message,
    };
    let mut lines = text.lines().enumerate();
    let header = lines
        .next()
        .map(|(_, h)| split_csv_line(h))
        .ok_or_else(|| bad(1, "empty file".into()))?;
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let c_file = col("file").ok_or_else(|| bad(1, "missing column \"file\"".into()))?;
    let c_ref = col("reference_objective")
        .ok_or_else(|| bad(1, "missing column \"reference_objective\"".into()))?;
    let c_status = col("clarabel_status").or_else(|| col("status"));
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv_line(line);
        let field = |c: usize| {
            fields.get(c).map(|s| s.trim()).ok_or_else(|| {
                bad(
                    i + 1,
                    format!("expected {} fields, found {}", header.len(), fields.len()),
                )
            })
        };
        let objective = match field(c_ref)? {
            "" => None,
            s => Some(
                s.parse::<f64>()
                    .map_err(|_| bad(i + 1, format!("{s:?} is not a number")))?,
            )
            .filter(|v| v.is_finite()),
        };
        let expected = match c_status {
            Some(c) => Expected::from_status(field(c)?),
            None => Expected::Optimal,
        };
        let file = field(c_file)?.replace('\\', "/");
        out.push((
            file,
            CblibReference {
                objective,
                expected,
            },
        ));
    }
    Ok(out)
}

/// CBF files (`.cbf`, `.cbf.gz`, any case) under `dir`, as paths relative to
/// `dir` with `/` separators, sorted.
fn cbf_files(dir: &Path) -> Result<Vec<String>, BenchError> {
    fn walk(root: &Path, rel: &str, depth: usize, out: &mut Vec<String>) -> Result<(), BenchError> {
        let here = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(rel)
        };
        let entries = std::fs::read_dir(&here).map_err(|source| BenchError::Io {
            path: here.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| BenchError::Io {
                path: here.clone(),
                source,
            })?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            if path.is_dir() {
                if depth < 8 {
                    walk(root, &child, depth + 1, out)?;
                }
            } else if matches!(
                lpgd_solver::io::format_of(&path),
                Some((lpgd_solver::io::Format::Cbf, _))
            ) {
                out.push(child);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", 0, &mut out)?;
    out.sort();
    Ok(out)
}

/// The instance name of a relative CBF path: the path without `.cbf` /
/// `.cbf.gz` (`exp/beck751.cbf.gz` ↦ `exp/beck751`).
fn cbf_name(rel: &str) -> String {
    let lower = rel.to_ascii_lowercase();
    for ext in [".cbf.gz", ".cbf"] {
        if lower.ends_with(ext) {
            return rel[..rel.len() - ext.len()].to_string();
        }
    }
    rel.to_string()
}

/// The CBLIB instances under `dir`: every `.cbf` / `.cbf.gz` file in `dir`
/// and its subdirectories (the shared set has `exp`, `pow` and `socp`), in
/// order of their relative paths, named by the relative path without the
/// extension (`exp/beck751`). References come from `dir/reference.csv` (see
/// `cblib_references`'s columns) when the file exists: a listed file that
/// is missing is still a case (it fails to read), and a file not listed has
/// no reference (its status alone decides). `name_contains` keeps the
/// instances whose name contains it (case-insensitive).
pub fn cblib_cases(dir: &Path, name_contains: Option<&str>) -> Result<Vec<BenchCase>, BenchError> {
    let index = dir.join("reference.csv");
    let references = if index.is_file() {
        cblib_references(&index)?
    } else {
        Vec::new()
    };
    let mut files = cbf_files(dir)?;
    for (file, _) in &references {
        if !files.contains(file) {
            files.push(file.clone());
        }
    }
    files.sort();
    files.dedup();
    let needle = name_contains.map(str::to_lowercase);
    let mut cases = Vec::new();
    for rel in files {
        let name = cbf_name(&rel);
        if let Some(n) = &needle {
            if !name.to_lowercase().contains(n.as_str()) {
                continue;
            }
        }
        let reference = references
            .iter()
            .find(|(f, _)| *f == rel)
            .map(|(_, r)| *r)
            .unwrap_or(CblibReference {
                objective: None,
                expected: Expected::Optimal,
            });
        cases.push(BenchCase {
            name,
            path: dir.join(&rel),
            reference: reference.objective,
            expected: reference.expected,
        });
    }
    Ok(cases)
}

/// Splits one CSV line, honouring double-quoted fields with `""` escapes.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    fields.push(cur);
    fields
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt_num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| format!("{x:e}"))
}

/// Per-problem CSV: one row per problem, `ours_*` and `baseline_*` columns.
pub fn report_csv(report: &BenchReport) -> String {
    let side = [
        "status",
        "objective",
        "rel_error",
        "time_s",
        "iterations",
        "solved",
        "accurate",
    ];
    let mut header = vec![
        "problem".to_string(),
        "rows".into(),
        "cols".into(),
        "nnz_a".into(),
        "reference_objective".into(),
        "expected".into(),
    ];
    for who in ["ours", "baseline"] {
        header.extend(side.iter().map(|c| format!("{who}_{c}")));
    }
    header.push("time_ratio".into());
    header.push("error".into());
    let mut out = header.join(",");
    out.push('\n');
    for p in &report.problems {
        let mut row = vec![
            csv_field(&p.name),
            p.rows.to_string(),
            p.cols.to_string(),
            p.nnz_a.to_string(),
            opt_num(p.reference),
            p.expected.as_str().to_string(),
        ];
        let mut errors = p.read_error.iter().cloned().collect::<Vec<_>>();
        for run in [&p.ours, &p.baseline] {
            match run {
                Some(r) => {
                    row.extend([
                        csv_field(&r.status),
                        opt_num(Some(r.objective).filter(|v| v.is_finite())),
                        opt_num(r.rel_error),
                        format!("{:.6}", r.time_s),
                        r.iterations.to_string(),
                        r.solved.to_string(),
                        r.accurate.to_string(),
                    ]);
                    errors.extend(r.error.iter().cloned());
                }
                None => row.extend(std::iter::repeat_n(String::new(), side.len())),
            }
        }
        row.push(opt_num(p.time_ratio));
        row.push(csv_field(&errors.join("; ")));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// Collapses a message to one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_lp() -> ProblemData {
        // minimize x₁ + 2x₂ + 3 s.t. x₁ + x₂ = 1, x ≥ 0: optimum 1 + 3 = 4
        let a =
            CscMatrix::from_triplets(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 1], &[1.0, 1.0, -1.0, -1.0])
                .unwrap();
        let mut prob = ProblemData::new(
            None,
            vec![1.0, 2.0],
            a,
            vec![1.0, 0.0, 0.0],
            vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)],
        )
        .unwrap();
        prob.obj_constant = 3.0;
        prob
    }

    #[test]
    fn shifted_geomean_of_known_numbers() {
        // (1+1)(3+1)(7+1) = 64 → cube root 4 → minus shift 1 = 3
        assert!((shifted_geomean(&[1.0, 3.0, 7.0], 1.0) - 3.0).abs() < 1e-12);
        // constant times give the time itself, for any shift
        assert!((shifted_geomean(&[0.25; 5], GEOMEAN_SHIFT) - 0.25).abs() < 1e-12);
        assert!(shifted_geomean(&[], 1.0).is_nan());
    }

    #[test]
    fn rel_error_uses_max_one_abs_ref() {
        assert_eq!(rel_error(1.5, 0.5), 1.0);
        assert_eq!(rel_error(110.0, 100.0), 0.1);
        assert!(rel_error(f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn summary_charges_failures_the_time_limit() {
        let run = |solved: bool, t: f64| SolverRun {
            status: if solved { "Solved" } else { "MaxIterations" }.into(),
            objective: 0.0,
            rel_error: Some(0.0),
            time_s: t,
            iterations: 1,
            solved,
            accurate: solved,
            error: None,
        };
        let rec = |ours: SolverRun, base: SolverRun| ProblemRecord {
            name: "p".into(),
            rows: 1,
            cols: 1,
            nnz_a: 1,
            reference: Some(0.0),
            expected: Expected::Optimal,
            ours: Some(ours),
            baseline: Some(base),
            time_ratio: None,
            read_error: None,
        };
        let opts = BenchOptions {
            time_limit: 8.0,
            ..BenchOptions::default()
        };
        let problems = [
            rec(run(true, 1.0), run(true, 1.0)),
            rec(run(false, 0.5), run(true, 1.0)),
        ];
        let s = summarize(&problems, &opts);
        assert_eq!(s.ours.solved, 1);
        assert_eq!(s.baseline.as_ref().unwrap().solved, 2);
        let expect_ours = shifted_geomean(&[1.0, 8.0], GEOMEAN_SHIFT);
        assert!((s.ours.sgm_time_s - expect_ours).abs() < 1e-12);
        assert!((s.baseline.as_ref().unwrap().sgm_time_s - 1.0).abs() < 1e-12);
        assert!((s.sgm_ratio.unwrap() - expect_ours).abs() < 1e-12);
        assert_eq!(s.both_solved, Some(1));
        assert_eq!(s.iteration_ratio, Some(1.0));
        assert_eq!((s.ours.iterations, s.ours.accurate), (2, 1));
    }

    #[test]
    fn finish_judges_accuracy_and_infeasibility() {
        let run = |outcome, obj, reference, expected| {
            SolverRun::finish("S", outcome, obj, 1.0, 3, reference, expected, SOLVED_TOL)
        };
        let r = run(Outcome::Optimal, 1.0 + 5e-6, Some(1.0), Expected::Optimal);
        assert!(r.solved && !r.accurate);
        let r = run(Outcome::Optimal, 1.0 + 5e-7, Some(1.0), Expected::Optimal);
        assert!(r.solved && r.accurate);
        let r = run(Outcome::Optimal, 1.1, Some(1.0), Expected::Optimal);
        assert!(!r.solved && !r.accurate);
        let r = run(Outcome::Optimal, 7.0, None, Expected::Optimal);
        assert!(r.solved && r.accurate && r.rel_error.is_none());
        // an expected-infeasible problem is correct only when reported so
        let r = run(
            Outcome::PrimalInfeasible,
            f64::NAN,
            None,
            Expected::PrimalInfeasible,
        );
        assert!(r.solved && r.accurate);
        let r = run(Outcome::Optimal, 1.0, None, Expected::PrimalInfeasible);
        assert!(!r.solved);
        let r = run(
            Outcome::DualInfeasible,
            1.0,
            None,
            Expected::PrimalInfeasible,
        );
        assert!(!r.solved);
        assert_eq!(
            Expected::from_status("AlmostPrimalInfeasible"),
            Expected::PrimalInfeasible
        );
        assert_eq!(Expected::from_status("AlmostSolved"), Expected::Optimal);
        assert_eq!(Outcome::of_ours(Status::AlmostSolved), Outcome::Optimal);
        assert_eq!(
            Outcome::of_clarabel(clarabel::solver::SolverStatus::AlmostPrimalInfeasible),
            Outcome::PrimalInfeasible
        );
    }

    #[test]
    fn cblib_index_walks_subdirectories() {
        let dir = std::env::temp_dir().join(format!("lpgd-bench-cblib-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("exp")).unwrap();
        std::fs::create_dir_all(dir.join("socp")).unwrap();
        for f in ["exp/a.cbf.gz", "exp/B.CBF", "socp/c.cbf", "socp/notes.txt"] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        std::fs::write(
            dir.join("reference.csv"),
            "file,clarabel_status,reference_objective,clarabel_solve_time_s\n\
             exp/a.cbf.gz,Solved,1.5,0.001\n\
             exp/B.CBF,PrimalInfeasible,nan,0.002\n\
             pow/missing.cbf.gz,Solved,2.0,0.1\n",
        )
        .unwrap();
        let all = cblib_cases(&dir, None).unwrap();
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["exp/B", "exp/a", "pow/missing", "socp/c"]);
        assert_eq!(all[0].expected, Expected::PrimalInfeasible);
        assert_eq!(all[0].reference, None);
        assert_eq!(all[1].reference, Some(1.5));
        assert_eq!(all[1].path, dir.join("exp/a.cbf.gz"));
        assert_eq!(all[2].reference, Some(2.0));
        assert_eq!(
            (all[3].reference, all[3].expected),
            (None, Expected::Optimal)
        );
        let some = cblib_cases(&dir, Some("EXP/")).unwrap();
        assert_eq!(some.len(), 2);
        std::fs::remove_file(dir.join("reference.csv")).unwrap();
        assert_eq!(cblib_cases(&dir, None).unwrap().len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            cblib_cases(&dir, None),
            Err(BenchError::Io { .. })
        ));
    }

    #[test]
    fn clarabel_conversion_of_exp_and_pow_cones() {
        // minimize z s.t. (1, 1, z) ∈ K_exp: z ≥ e;
        // minimize −w s.t. (4, 1, w) ∈ K_pow(0.5): w ≤ 2.
        let e = std::f64::consts::E;
        for (cone, b, c, expect) in [
            (SupportedCone::Exponential, [1.0, 1.0, 0.0], 1.0, e),
            (SupportedCone::Power(0.5), [4.0, 1.0, 0.0], -1.0, -2.0),
        ] {
            let a = CscMatrix::from_triplets(3, 1, &[2], &[0], &[-1.0]).unwrap();
            let prob = ProblemData::new(None, vec![c], a, b.to_vec(), vec![cone]).unwrap();
            let cp = to_clarabel(&prob).unwrap();
            let base = run_clarabel(
                &cp,
                Some(expect),
                Expected::Optimal,
                &BenchOptions::default(),
            );
            assert!(base.solved && base.accurate, "{cone:?}: {base:?}");
        }
        let a = CscMatrix::from_triplets(3, 1, &[0, 2], &[0, 0], &[-1.0, -1.0]).unwrap();
        let psd = ProblemData::new(
            None,
            vec![1.0],
            a,
            vec![0.0; 3],
            vec![SupportedCone::PositiveSemidefinite(2)],
        )
        .unwrap();
        assert!(to_clarabel(&psd).unwrap_err().contains("sdp"));
    }

    #[test]
    fn csv_lines_with_quotes() {
        assert_eq!(
            split_csv_line("a,\"b,c\",,\"d\"\"e\""),
            ["a", "b,c", "", "d\"e"]
        );
        assert_eq!(csv_field("x,y"), "\"x,y\"");
    }

    #[test]
    fn maros_index_filters() {
        let dir = std::env::temp_dir().join(format!("lpgd-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("reference.csv"),
            "problem,file,rows,cols,nnz_a,quad_vars,quad_offdiag_nnz,reference_objective,note\n\
             QAFIRO,QAFIRO.QPS,27,32,83,3,0,-1.5907818e+00,\n\
             BIG,BIG.QPS,1000,1000,5,0,0,1.0,\"a, note\"\n",
        )
        .unwrap();
        let all = maros_cases(&dir, &MarosFilter::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].path, dir.join("QAFIRO.QPS"));
        assert_eq!(all[0].reference, Some(-1.5907818));
        let small = maros_cases(
            &dir,
            &MarosFilter {
                max_size: Some(59),
                name_contains: None,
            },
        )
        .unwrap();
        assert_eq!(small.len(), 1);
        let named = maros_cases(
            &dir,
            &MarosFilter {
                max_size: None,
                name_contains: Some("bi".into()),
            },
        )
        .unwrap();
        assert_eq!(named[0].name, "BIG");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clarabel_conversion_solves_tiny_lp() {
        let prob = tiny_lp();
        let opts = BenchOptions::default();
        let cp = to_clarabel(&prob).unwrap();
        let base = run_clarabel(&cp, Some(4.0), Expected::Optimal, &opts);
        assert_eq!(base.status, "Solved");
        assert!(base.solved, "{base:?}");
        assert!((base.objective - 4.0).abs() < 1e-7);
    }

    #[test]
    fn ours_and_clarabel_agree_on_tiny_lp() {
        let prob = tiny_lp();
        let rec = run_problem(
            "tiny",
            &prob,
            Some(4.0),
            Expected::Optimal,
            &BenchOptions::default(),
        );
        let ours = rec.ours.unwrap();
        let base = rec.baseline.unwrap();
        assert!(ours.solved, "{ours:?}");
        assert!(base.solved, "{base:?}");
        assert!((ours.objective - base.objective).abs() < 1e-6);
    }
}
