//! Benchmark harness: our solver and a baseline (Clarabel) side by side on a
//! list of problems with reference objectives.
//!
//! The core is [`run_problem`] (one problem, both solvers, sequentially in
//! this process) and [`run_cases`] (a list of problem files, read lazily, one
//! [`ProblemRecord`] each, then a [`BenchSummary`]). A test set plugs in by
//! turning its index into [`BenchCase`]s, as [`maros_cases`] does for the
//! Maros-Meszaros QPs.
//!
//! # Metrics
//!
//! * Relative objective error `|obj − ref| / max(1, |ref|)` ([`rel_error`]).
//! * A solver *solves* a problem when its status is `Solved` or
//!   `AlmostSolved` and the relative objective error is at most
//!   [`BenchOptions::tol`] (default [`SOLVED_TOL`] = 1e-5). Without a
//!   reference objective the status alone decides.
//! * Times are the wall time of constructor + solve (file reading and data
//!   conversion excluded). The summary reports the shifted geometric mean
//!   `exp(mean(ln(tᵢ + δ))) − δ` with δ = [`GEOMEAN_SHIFT`] = 1 ms, where a
//!   problem not solved (including a file that could not be read) is charged
//!   the time limit.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clarabel::algebra::CscMatrix as ClarabelCsc;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SupportedConeT};
use lpgd_solver::{CscMatrix, ProblemData, Settings, Solver, SupportedCone};
use serde::Serialize;

/// Relative objective error below which a solved problem counts as solved.
pub const SOLVED_TOL: f64 = 1e-5;
/// Shift (seconds) of the shifted geometric mean of solve times.
pub const GEOMEAN_SHIFT: f64 = 1e-3;

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
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            time_limit: 30.0,
            baseline: Baseline::Clarabel,
            tol: SOLVED_TOL,
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
    /// Status `Solved`/`AlmostSolved` and objective within the tolerance.
    pub solved: bool,
    /// Constructor error message, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SolverRun {
    fn finish(
        status: &str,
        status_ok: bool,
        objective: f64,
        time_s: f64,
        iterations: u32,
        reference: Option<f64>,
        tol: f64,
    ) -> Self {
        let rel_error = reference
            .map(|r| rel_error(objective, r))
            .filter(|e| e.is_finite());
        let solved = status_ok
            && match reference {
                Some(_) => rel_error.is_some_and(|e| e <= tol),
                None => true,
            };
        SolverRun {
            status: status.to_string(),
            objective,
            rel_error,
            time_s,
            iterations,
            solved,
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
    /// Our solver (`None` when the file could not be read).
    pub ours: Option<SolverRun>,
    /// The baseline (`None` when not run).
    pub baseline: Option<SolverRun>,
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
    /// Problems attempted.
    pub total: usize,
    /// Shifted geometric mean time in seconds, failures charged the time limit.
    pub sgm_time_s: f64,
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
/// time covers [`Solver::new`] and [`Solver::solve`].
pub fn run_ours(prob: ProblemData, reference: Option<f64>, opts: &BenchOptions) -> SolverRun {
    let settings = Settings {
        time_limit: opts.time_limit,
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
        sol.status.is_solved(),
        sol.objective,
        time_s,
        sol.iterations,
        reference,
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
pub fn to_clarabel(prob: &ProblemData) -> Result<ClarabelProblem, String> {
    let cones = prob
        .cones
        .iter()
        .map(|cone| match *cone {
            SupportedCone::Zero(d) => Ok(SupportedConeT::ZeroConeT(d)),
            SupportedCone::Nonnegative(d) => Ok(SupportedConeT::NonnegativeConeT(d)),
            SupportedCone::SecondOrder(d) => Ok(SupportedConeT::SecondOrderConeT(d)),
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
    let ok = matches!(
        status,
        clarabel::solver::SolverStatus::Solved | clarabel::solver::SolverStatus::AlmostSolved
    );
    SolverRun::finish(
        &status.to_string(),
        ok,
        sol.obj_val + cp.obj_constant,
        time_s,
        sol.iterations,
        reference,
        opts.tol,
    )
}

/// Runs our solver and the baseline (sequentially) on one problem.
pub fn run_problem(
    name: &str,
    prob: &ProblemData,
    reference: Option<f64>,
    opts: &BenchOptions,
) -> ProblemRecord {
    let ours = run_ours(prob.clone(), reference, opts);
    let baseline = match opts.baseline {
        Baseline::None => None,
        Baseline::Clarabel => Some(match to_clarabel(prob) {
            Ok(cp) => run_clarabel(&cp, reference, opts),
            Err(e) => SolverRun::setup_error(e, 0.0),
        }),
    };
    ProblemRecord {
        name: name.to_string(),
        rows: prob.m(),
        cols: prob.n(),
        nnz_a: prob.a.nnz(),
        reference,
        ours: Some(ours),
        baseline,
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
            Ok(prob) => run_problem(&case.name, &prob, case.reference, opts),
            Err(e) => ProblemRecord {
                name: case.name.clone(),
                rows: 0,
                cols: 0,
                nnz_a: 0,
                reference: case.reference,
                ours: None,
                baseline: None,
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
        SolverSummary {
            solver: solver.to_string(),
            solved: problems
                .iter()
                .filter(|p| pick(p).is_some_and(|r| r.solved))
                .count(),
            total: problems.len(),
            sgm_time_s: shifted_geomean(&times, GEOMEAN_SHIFT),
        }
    };
    let ours = side("lpgd", &|p| p.ours.as_ref());
    let baseline = match opts.baseline {
        Baseline::None => None,
        Baseline::Clarabel => Some(side("clarabel", &|p| p.baseline.as_ref())),
    };
    let sgm_ratio = baseline.as_ref().map(|b| ours.sgm_time_s / b.sgm_time_s);
    BenchSummary {
        problems: problems.len(),
        read_errors: problems.iter().filter(|p| p.read_error.is_some()).count(),
        tol: opts.tol,
        shift_s: GEOMEAN_SHIFT,
        time_limit_s: opts.time_limit,
        ours,
        baseline,
        sgm_ratio,
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
    ];
    let mut header = vec![
        "problem".to_string(),
        "rows".into(),
        "cols".into(),
        "nnz_a".into(),
        "reference_objective".into(),
    ];
    for who in ["ours", "baseline"] {
        header.extend(side.iter().map(|c| format!("{who}_{c}")));
    }
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
                    ]);
                    errors.extend(r.error.iter().cloned());
                }
                None => row.extend(std::iter::repeat_n(String::new(), side.len())),
            }
        }
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
            error: None,
        };
        let rec = |ours: SolverRun, base: SolverRun| ProblemRecord {
            name: "p".into(),
            rows: 1,
            cols: 1,
            nnz_a: 1,
            reference: Some(0.0),
            ours: Some(ours),
            baseline: Some(base),
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
        let base = run_clarabel(&cp, Some(4.0), &opts);
        assert_eq!(base.status, "Solved");
        assert!(base.solved, "{base:?}");
        assert!((base.objective - 4.0).abs() < 1e-7);
    }

    #[test]
    fn ours_and_clarabel_agree_on_tiny_lp() {
        let prob = tiny_lp();
        let rec = run_problem("tiny", &prob, Some(4.0), &BenchOptions::default());
        let ours = rec.ours.unwrap();
        let base = rec.baseline.unwrap();
        assert!(ours.solved, "{ours:?}");
        assert!(base.solved, "{base:?}");
        assert!((ours.objective - base.objective).abs() < 1e-6);
    }
}
