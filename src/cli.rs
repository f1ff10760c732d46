//! The `lpgd` command line: argument parsing and printing only; the work is
//! done by [`lpgd::solver`], [`lpgd::bench`] and [`lpgd::experiments`].
//!
//! Exit codes: 0 when the solver ran (whatever its status) or the benchmark
//! finished, 2 for input that cannot be read or is invalid (file, problem
//! data, settings, usage), 1 for other failures (linear-solver setup, writing
//! the output file).

use std::path::PathBuf;
use std::process::ExitCode;

/// `println!` that ignores write errors: output piped into a reader that
/// stops early (`lpgd solve … | head`) must not panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod experiments;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lpgd::bench::{self, Baseline, BenchOptions, BenchReport, MarosFilter, SolverRun};
use lpgd::solver::{io, SolverError};
use lpgd::{Method, Settings, Solution, Solver};
use serde_json::json;

/// Conic optimization from the command line.
#[derive(Debug, Parser)]
#[command(name = "lpgd", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Solve one problem file (.mps/.qps, .cbf, .json; optionally .gz).
    Solve(SolveArgs),
    /// Solve a problem file and differentiate a loss through the solution.
    Grad(GradArgs),
    /// Benchmark against a baseline solver on a test set.
    Bench {
        #[command(subcommand)]
        set: BenchSet,
    },
    /// Plot the Lagrange–Moreau envelopes of a linearized loss (paper Fig. 1).
    Envelope(experiments::EnvelopeArgs),
    /// Learn the rules of Sudoku as LP constraints: LPGD vs implicit differentiation.
    Sudoku(experiments::SudokuArgs),
    /// Learn shortest-path edge costs from features: LPGD vs SPO+ vs two-stage.
    ShortestPath(experiments::ShortestPathArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MethodArg {
    /// Homogeneous self-dual interior-point method.
    Ipm,
    /// Operator splitting (ADMM) on the homogeneous self-dual embedding.
    Admm,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::Ipm => Method::InteriorPoint,
            MethodArg::Admm => Method::Admm,
        }
    }
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
struct SolveArgs {
    /// Problem file.
    file: PathBuf,
    /// Solution method.
    #[arg(long, value_enum, default_value_t = MethodArg::Ipm)]
    method: MethodArg,
    /// Absolute duality-gap tolerance (settings.eps_abs, or admm.eps_abs).
    #[arg(long, value_name = "X")]
    eps_abs: Option<f64>,
    /// Relative gap and feasibility tolerance (eps_rel and eps_feas of the method).
    #[arg(long, value_name = "X")]
    eps_rel: Option<f64>,
    /// Iteration limit.
    #[arg(long, value_name = "N")]
    max_iter: Option<u32>,
    /// Wall-clock limit in seconds, setup included.
    #[arg(long, value_name = "S")]
    time_limit: Option<f64>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Also print the primal-dual point x, y, s.
    #[arg(long)]
    full: bool,
    /// Print the solver's iteration table to stderr.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GradModeArg {
    /// Implicit differentiation of the optimality conditions.
    Implicit,
    /// LPGD, lower Lagrange–Moreau envelope.
    LpgdLower,
    /// LPGD, upper envelope.
    LpgdUpper,
    /// LPGD, average envelope.
    LpgdAverage,
    /// Lagrangian mirror descent.
    Lmd,
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
struct GradArgs {
    /// Problem file (any format `lpgd solve` reads; gradients refer to its
    /// standard form).
    file: PathBuf,
    /// Derivative mode.
    #[arg(long, value_enum, default_value_t = GradModeArg::LpgdAverage)]
    mode: GradModeArg,
    /// LPGD step τ.
    #[arg(long, default_value_t = 1e-3)]
    tau: f64,
    /// Augmentation ρ (implicit: ρ-augmented Jacobian; LPGD: P + ρI, c − ρx*).
    #[arg(long, default_value_t = 0.0)]
    rho: f64,
    /// Loss gradient on x: a JSON array of n numbers.
    #[arg(long, value_name = "FILE.json", conflicts_with = "dx_ones")]
    dx: Option<PathBuf>,
    /// Loss gradient on x: all ones.
    #[arg(long)]
    dx_ones: bool,
    /// Loss gradient on y: a JSON array of m numbers.
    #[arg(long, value_name = "FILE.json")]
    dy: Option<PathBuf>,
    /// Loss gradient on s: a JSON array of m numbers.
    #[arg(long, value_name = "FILE.json")]
    ds: Option<PathBuf>,
    /// Forward method.
    #[arg(long, value_enum, default_value_t = MethodArg::Ipm)]
    method: MethodArg,
    /// Newton refinement steps after every solve (0: none).
    #[arg(long, default_value_t = 0)]
    refine: usize,
    /// Print the JSON report (otherwise a summary).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum BenchSet {
    /// Maros-Meszaros QPs: DIR holds reference.csv and the QPS files.
    Maros(MarosArgs),
    /// CBLIB conic instances: the .cbf/.cbf.gz files under DIR and its
    /// subdirectories, with references from DIR/reference.csv.
    Cblib(CblibArgs),
    /// Random LPs and QPs sharing A and P, solved as a batch and one by one.
    Batch(BatchArgs),
    /// Forward and backward passes on the batch benchmark's problems.
    Grad(GradBenchArgs),
}

#[derive(Debug, Args)]
struct GradBenchArgs {
    /// Problems per batch.
    #[arg(long, default_value_t = 64)]
    count: usize,
    /// Variables per problem.
    #[arg(long, default_value_t = 50)]
    n: usize,
    /// Random inequality rows per problem (plus the 2n box rows).
    #[arg(long, default_value_t = 25)]
    m: usize,
    /// LPGD step τ.
    #[arg(long, default_value_t = 1e-3)]
    tau: f64,
    /// Repetitions; the median time is reported.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Seed of the random family.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON array on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct BatchArgs {
    /// Problems per batch.
    #[arg(long, default_value_t = 64)]
    count: usize,
    /// Variables per problem.
    #[arg(long, default_value_t = 50)]
    n: usize,
    /// Random inequality rows per problem (plus the 2n box rows).
    #[arg(long, default_value_t = 25)]
    m: usize,
    /// Repetitions; the median time is reported.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Seed of the random family.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Solver to compare against (one by one).
    #[arg(long, value_enum, default_value_t = BaselineArg::Clarabel)]
    baseline: BaselineArg,
    /// Print one JSON array on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BaselineArg {
    /// clarabel::solver::DefaultSolver at default settings.
    Clarabel,
    /// Our solver only.
    None,
}

impl From<BaselineArg> for Baseline {
    fn from(b: BaselineArg) -> Baseline {
        match b {
            BaselineArg::Clarabel => Baseline::Clarabel,
            BaselineArg::None => Baseline::None,
        }
    }
}

#[derive(Debug, Args)]
struct MarosArgs {
    /// Directory with reference.csv and the problem files [default:
    /// $LPGD_SHARED_DIR/data/maros_meszaros, else ../shared/data/maros_meszaros].
    dir: Option<PathBuf>,
    /// Our method.
    #[arg(long, value_enum, default_value_t = MethodArg::Ipm)]
    method: MethodArg,
    /// Relative objective error at which a problem counts as solved
    /// [default: 1e-6 for ipm, 1e-4 for admm].
    #[arg(long, value_name = "X")]
    tol: Option<f64>,
    /// Solver to compare against.
    #[arg(long, value_enum, default_value_t = BaselineArg::Clarabel)]
    baseline: BaselineArg,
    /// Keep problems with rows + cols ≤ N.
    #[arg(long, value_name = "N")]
    filter_max_size: Option<usize>,
    /// Keep problems whose name contains this (case-insensitive).
    #[arg(long, value_name = "NAME_SUBSTR")]
    filter: Option<String>,
    /// Time limit per solve in seconds, both solvers; failures are charged it.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    time_limit: f64,
    /// Print one JSON object (per-problem array and summary) on stdout.
    #[arg(long)]
    json: bool,
    /// Write the per-problem results as CSV to this file.
    #[arg(long, value_name = "CSV")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CblibArgs {
    /// Directory with reference.csv and subdirectories of CBF files [default:
    /// $LPGD_SHARED_DIR/data/cblib, else ../shared/data/cblib].
    dir: Option<PathBuf>,
    /// Our method.
    #[arg(long, value_enum, default_value_t = MethodArg::Ipm)]
    method: MethodArg,
    /// Relative objective error at which a problem counts as solved
    /// [default: 1e-6 for ipm, 1e-4 for admm].
    #[arg(long, value_name = "X")]
    tol: Option<f64>,
    /// Solver to compare against.
    #[arg(long, value_enum, default_value_t = BaselineArg::Clarabel)]
    baseline: BaselineArg,
    /// Keep instances whose name (relative path without extension, e.g.
    /// exp/beck751) contains this (case-insensitive).
    #[arg(long, value_name = "S")]
    filter: Option<String>,
    /// Time limit per solve in seconds, both solvers; failures are charged it.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    time_limit: f64,
    /// Print one JSON object (per-instance array and summary) on stdout.
    #[arg(long)]
    json: bool,
    /// Write the per-instance results as CSV to this file.
    #[arg(long, value_name = "CSV")]
    out: Option<PathBuf>,
}

/// Exit code for unreadable or invalid input.
const EXIT_INPUT: u8 = 2;
/// Exit code for other failures.
const EXIT_FAILURE: u8 = 1;

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("lpgd: error: {}", bench::one_line(message));
    ExitCode::from(code)
}

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Solve(args) => solve(args),
        Command::Grad(args) => grad(args),
        Command::Bench {
            set: BenchSet::Maros(args),
        } => bench_maros(args),
        Command::Bench {
            set: BenchSet::Cblib(args),
        } => bench_cblib(args),
        Command::Bench {
            set: BenchSet::Batch(args),
        } => bench_batch(args),
        Command::Bench {
            set: BenchSet::Grad(args),
        } => bench_grad(args),
        Command::Envelope(args) => experiments::envelope(args),
        Command::ShortestPath(args) => experiments::shortest_path(args),
        Command::Sudoku(args) => experiments::sudoku(args),
    }
}

fn solve(args: SolveArgs) -> ExitCode {
    let mut settings = Settings {
        method: args.method.into(),
        verbose: args.verbose,
        ..Settings::default()
    };
    let admm = settings.method == Method::Admm;
    if let Some(e) = args.eps_abs {
        if admm {
            settings.admm.eps_abs = e;
        } else {
            settings.eps_abs = e;
        }
    }
    if let Some(e) = args.eps_rel {
        if admm {
            settings.admm.eps_rel = e;
            settings.admm.eps_feas = e;
        } else {
            settings.eps_rel = e;
            settings.eps_feas = e;
        }
    }
    if let Some(n) = args.max_iter {
        if admm {
            settings.admm.max_iter = n;
        } else {
            settings.max_iter = n;
        }
    }
    if let Some(t) = args.time_limit {
        settings.time_limit = t;
    }
    if let Err(e) = settings.validate() {
        return fail(EXIT_INPUT, &e.to_string());
    }
    let prob = match io::read_problem(&args.file) {
        Ok(p) => p,
        Err(e) => return fail(EXIT_INPUT, &e.to_string()),
    };
    let (n, m) = (prob.n(), prob.m());
    let mut solver = match Solver::new(prob, settings) {
        Ok(s) => s,
        Err(e @ SolverError::LinearSolver(_)) => return fail(EXIT_FAILURE, &e.to_string()),
        Err(e) => return fail(EXIT_INPUT, &e.to_string()),
    };
    let sol = solver.solve();
    if args.json {
        out!("{}", solution_json(&sol, n, m, args.full));
    } else {
        print_solution(&sol, n, m, args.full);
    }
    ExitCode::SUCCESS
}

fn grad(args: GradArgs) -> ExitCode {
    use lpgd::grad::{grad_file, read_vector, GradMode, GradOptions};
    let read = |p: &Option<PathBuf>| p.as_deref().map(read_vector).transpose();
    let loss = match (read(&args.dx), read(&args.dy), read(&args.ds)) {
        (Ok(dx), Ok(dy), Ok(ds)) => lpgd::diff::LossGrad { dx, dy, ds },
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return fail(EXIT_INPUT, &e.to_string())
        }
    };
    if !args.dx_ones && loss.dx.is_none() && loss.dy.is_none() && loss.ds.is_none() {
        return fail(
            EXIT_INPUT,
            "give a loss gradient: --dx FILE, --dx-ones, --dy FILE or --ds FILE",
        );
    }
    let opts = GradOptions {
        mode: match args.mode {
            GradModeArg::Implicit => GradMode::Implicit,
            GradModeArg::LpgdLower => GradMode::LpgdLower,
            GradModeArg::LpgdUpper => GradMode::LpgdUpper,
            GradModeArg::LpgdAverage => GradMode::LpgdAverage,
            GradModeArg::Lmd => GradMode::Lmd,
        },
        tau: args.tau,
        rho: args.rho,
        method: args.method.into(),
        loss,
        dx_ones: args.dx_ones,
        refine: args.refine,
    };
    match grad_file(&args.file, &opts) {
        Ok(report) => {
            if args.json {
                out!("{report}");
            } else {
                out!(
                    "status           {}",
                    report["status"].as_str().unwrap_or("?")
                );
                out!("objective        {}", report["objective"]);
                out!(
                    "mode             {} (τ = {}, ρ = {})",
                    opts.mode.as_str(),
                    opts.tau,
                    opts.rho
                );
                let norm = |k: &str| -> f64 {
                    let v = &report[k];
                    let arr = v.as_array().or_else(|| v["vals"].as_array());
                    arr.map_or(0.0, |a| {
                        a.iter()
                            .filter_map(|x| x.as_f64())
                            .map(|x| x * x)
                            .sum::<f64>()
                            .sqrt()
                    })
                };
                out!(
                    "‖dc‖ {:.4e}  ‖db‖ {:.4e}  ‖dA‖ {:.4e}  ‖dP‖ {:.4e}",
                    norm("dc"),
                    norm("db"),
                    norm("dA"),
                    norm("dP")
                );
                out!(
                    "time             forward {:.3e} s, backward {:.3e} s",
                    report["forward_time_s"].as_f64().unwrap_or(f64::NAN),
                    report["backward_time_s"].as_f64().unwrap_or(f64::NAN)
                );
                out!("(--json prints the gradients)");
            }
            ExitCode::SUCCESS
        }
        Err(e) if e.is_input_error() => fail(EXIT_INPUT, &e.to_string()),
        Err(e) => fail(EXIT_FAILURE, &e.to_string()),
    }
}

fn solution_json(sol: &Solution, n: usize, m: usize, full: bool) -> serde_json::Value {
    let r = &sol.residuals;
    let mut obj = json!({
        "status": sol.status.as_str(),
        "objective": sol.objective,
        "dual_objective": sol.dual_objective,
        "iterations": sol.iterations,
        "solve_time_s": sol.timings.setup + sol.timings.solve,
        "setup_time_s": sol.timings.setup,
        "factor_time_s": sol.timings.factor,
        "primal_residual": r.primal,
        "dual_residual": r.dual,
        "gap_abs": r.gap_abs,
        "gap_rel": r.gap_rel,
        "n": n,
        "m": m,
    });
    if full {
        obj["x"] = json!(sol.x);
        obj["y"] = json!(sol.y);
        obj["s"] = json!(sol.s);
    }
    obj
}

fn print_solution(sol: &Solution, n: usize, m: usize, full: bool) {
    let r = &sol.residuals;
    let t = &sol.timings;
    out!("status      {}", sol.status);
    out!("objective   {:.10e}", sol.objective);
    out!("iterations  {}", sol.iterations);
    out!(
        "time        {:.4e} s (setup {:.2e} s, iterations {:.2e} s)",
        t.setup + t.solve,
        t.setup,
        t.solve
    );
    out!(
        "residuals   primal {:.2e}  dual {:.2e}  gap_rel {:.2e}",
        r.primal,
        r.dual,
        r.gap_rel
    );
    out!("size        n = {n}, m = {m}");
    if full {
        for (name, v) in [("x", &sol.x), ("y", &sol.y), ("s", &sol.s)] {
            let items: Vec<String> = v.iter().map(|v| format!("{v:e}")).collect();
            out!("{name} = [{}]", items.join(", "));
        }
    }
}

fn bench_options(
    time_limit: f64,
    baseline: BaselineArg,
    method: MethodArg,
    tol: Option<f64>,
) -> Result<BenchOptions, String> {
    let method: Method = method.into();
    let tol = tol.unwrap_or(match method {
        Method::Admm => bench::ADMM_SOLVED_TOL,
        _ => bench::SOLVED_TOL,
    });
    if tol.is_nan() || tol <= 0.0 {
        return Err("--tol must be positive".into());
    }
    Ok(BenchOptions {
        time_limit,
        baseline: baseline.into(),
        tol,
        method,
    })
}

fn bench_batch(args: BatchArgs) -> ExitCode {
    use lpgd::batch_bench::{random_family, run_clarabel, run_method, Kind};
    if args.count == 0 || args.n == 0 || args.reps == 0 {
        return fail(EXIT_INPUT, "--count, --n and --reps must be positive");
    }
    let mut rows = Vec::new();
    for kind in [Kind::Lp, Kind::Qp] {
        let (base, data) = random_family(kind, args.n, args.m, args.count, args.seed);
        for method in [Method::InteriorPoint, Method::Admm] {
            rows.push(run_method(method, &base, &data, kind, args.reps));
        }
        if matches!(args.baseline, BaselineArg::Clarabel) {
            rows.push(run_clarabel(&base, &data, kind, args.reps));
        }
    }
    if args.json {
        out!("{}", serde_json::to_string(&rows).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    out!(
        "{} problems of n = {}, m = {} + {} box rows, {} threads, median of {} runs",
        args.count,
        args.n,
        args.m,
        2 * args.n,
        rayon_threads(),
        args.reps
    );
    out!(
        "{:<9} {:<4} {:>12} {:>12} {:>14} {:>14} {:>7}",
        "solver",
        "kind",
        "batch_ms",
        "one_by_one_ms",
        "batch_prob/s",
        "single_prob/s",
        "solved"
    );
    for r in &rows {
        out!(
            "{:<9} {:<4} {:>12} {:>12.3} {:>14} {:>14.0} {:>4}/{}",
            r.solver,
            format!("{:?}", r.kind),
            r.batch_s.map_or("-".into(), |t| format!("{:.3}", 1e3 * t)),
            1e3 * r.sequential_s,
            r.batch_rate().map_or("-".into(), |v| format!("{v:.0}")),
            r.sequential_rate(),
            r.solved,
            r.count
        );
    }
    ExitCode::SUCCESS
}

fn bench_grad(args: GradBenchArgs) -> ExitCode {
    use lpgd::batch_bench::{random_family, Kind};
    use lpgd::grad_bench::{run, MODES};
    if args.count == 0 || args.n == 0 || args.reps == 0 {
        return fail(EXIT_INPUT, "--count, --n and --reps must be positive");
    }
    if !(args.tau.is_finite() && args.tau > 0.0) {
        return fail(EXIT_INPUT, "--tau must be positive and finite");
    }
    let mut rows = Vec::new();
    for kind in [Kind::Lp, Kind::Qp] {
        let (base, data) = random_family(kind, args.n, args.m, args.count, args.seed);
        for method in [Method::InteriorPoint, Method::Admm] {
            for mode in MODES {
                rows.push(run(method, mode, args.tau, &base, &data, kind, args.reps));
            }
        }
    }
    if args.json {
        out!("{}", serde_json::to_string(&rows).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    out!(
        "{} problems of n = {}, m = {} + {} box rows, τ = {}, {} threads, median of {} runs",
        args.count,
        args.n,
        args.m,
        2 * args.n,
        args.tau,
        rayon_threads(),
        args.reps
    );
    out!(
        "{:<5} {:<3} {:<13} {:>11} {:>15} {:>12} {:>17} {:>6}",
        "solver",
        "kind",
        "mode",
        "forward_ms",
        "fwd+bwd_ms",
        "bwd_ms",
        "bwd/fwd (single)",
        "ok"
    );
    for r in &rows {
        out!(
            "{:<5} {:<3?} {:<13} {:>11.3} {:>15.3} {:>12.3} {:>17.3} {:>3}/{}",
            r.method,
            r.kind,
            r.mode,
            r.forward_s * 1e3,
            r.total_s * 1e3,
            (r.total_s - r.forward_s) * 1e3,
            r.backward_ratio,
            r.ok,
            r.count
        );
    }
    ExitCode::SUCCESS
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn bench_maros(args: MarosArgs) -> ExitCode {
    if args.time_limit.is_nan() || args.time_limit <= 0.0 {
        return fail(EXIT_INPUT, "--time-limit must be positive");
    }
    let filter = MarosFilter {
        max_size: args.filter_max_size,
        name_contains: args.filter,
    };
    let dir = args
        .dir
        .unwrap_or_else(|| bench::shared_dir().join("data/maros_meszaros"));
    let cases = match bench::maros_cases(&dir, &filter) {
        Ok(c) => c,
        Err(e) => return fail(EXIT_INPUT, &e.to_string()),
    };
    let opts = match bench_options(args.time_limit, args.baseline, args.method, args.tol) {
        Ok(o) => o,
        Err(e) => return fail(EXIT_INPUT, &e),
    };
    let with_baseline = opts.baseline != Baseline::None;
    if !args.json {
        print_bench_header(with_baseline);
    }
    let total = cases.len();
    let report = bench::run_cases(&cases, &opts, |i, rec| {
        if args.json {
            eprintln!(
                "[{}/{total}] {} lpgd {}{}",
                i + 1,
                rec.name,
                run_brief(rec.ours.as_ref()),
                rec.baseline.as_ref().map_or(String::new(), |b| format!(
                    " | clarabel {}",
                    run_brief(Some(b))
                ))
            );
        } else {
            print_bench_row(rec, with_baseline);
        }
    });
    if let Some(path) = &args.out {
        if let Err(e) = std::fs::write(path, bench::report_csv(&report)) {
            return fail(EXIT_FAILURE, &format!("{}: {e}", path.display()));
        }
    }
    if args.json {
        match serde_json::to_string(&report) {
            Ok(s) => out!("{s}"),
            Err(e) => return fail(EXIT_FAILURE, &e.to_string()),
        }
    } else {
        print_bench_summary(&report);
    }
    ExitCode::SUCCESS
}

fn bench_cblib(args: CblibArgs) -> ExitCode {
    if args.time_limit.is_nan() || args.time_limit <= 0.0 {
        return fail(EXIT_INPUT, "--time-limit must be positive");
    }
    let dir = args
        .dir
        .unwrap_or_else(|| bench::shared_dir().join("data/cblib"));
    let cases = match bench::cblib_cases(&dir, args.filter.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(EXIT_INPUT, &e.to_string()),
    };
    let opts = match bench_options(args.time_limit, args.baseline, args.method, args.tol) {
        Ok(o) => o,
        Err(e) => return fail(EXIT_INPUT, &e),
    };
    let with_baseline = opts.baseline != Baseline::None;
    let width = cases
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    if !args.json {
        print_cblib_header(width, with_baseline);
    }
    let total = cases.len();
    let report = bench::run_cases(&cases, &opts, |i, rec| {
        if args.json {
            eprintln!(
                "[{}/{total}] {} lpgd {}{}",
                i + 1,
                rec.name,
                run_brief(rec.ours.as_ref()),
                rec.baseline.as_ref().map_or(String::new(), |b| format!(
                    " | clarabel {}",
                    run_brief(Some(b))
                ))
            );
        } else {
            print_cblib_row(rec, width, with_baseline);
        }
    });
    if let Some(path) = &args.out {
        if let Err(e) = std::fs::write(path, bench::report_csv(&report)) {
            return fail(EXIT_FAILURE, &format!("{}: {e}", path.display()));
        }
    }
    if args.json {
        match serde_json::to_string(&report) {
            Ok(s) => out!("{s}"),
            Err(e) => return fail(EXIT_FAILURE, &e.to_string()),
        }
    } else {
        print_cblib_summary(&report);
    }
    ExitCode::SUCCESS
}

const CBLIB_RUN_HEADER: &str = "status                     objective  rel_err  iter   time_s";

fn cblib_cells(run: Option<&SolverRun>) -> String {
    match run {
        Some(r) => format!(
            "{:<20} {:>15} {:>8} {:>5} {:>8.4}",
            r.status,
            if r.objective.is_finite() {
                format!("{:.8e}", r.objective)
            } else {
                "-".into()
            },
            r.rel_error.map_or("-".into(), |e| format!("{e:.1e}")),
            r.iterations,
            r.time_s
        ),
        None => format!("{:<20} {:>15} {:>8} {:>5} {:>8}", "-", "-", "-", "-", "-"),
    }
}

fn print_cblib_header(width: usize, with_baseline: bool) {
    let mut line = format!(
        "{:<width$} {:>7} {:>7} | lpgd {CBLIB_RUN_HEADER}",
        "instance", "rows", "cols"
    );
    if with_baseline {
        line.push_str(&format!(" | clarabel {CBLIB_RUN_HEADER} |  ratio"));
    }
    out!("{line}");
}

fn print_cblib_row(rec: &bench::ProblemRecord, width: usize, with_baseline: bool) {
    let mark = |run: Option<&SolverRun>| match run {
        Some(r) if r.solved => ' ',
        Some(_) | None => '*',
    };
    let mut line = format!(
        "{:<width$} {:>7} {:>7} |    {}{}",
        rec.name,
        rec.rows,
        rec.cols,
        mark(rec.ours.as_ref()),
        cblib_cells(rec.ours.as_ref())
    );
    if with_baseline {
        line.push_str(&format!(
            " |        {}{} | {:>6}",
            mark(rec.baseline.as_ref()),
            cblib_cells(rec.baseline.as_ref()),
            rec.time_ratio.map_or("-".into(), |r| format!("{r:.2}"))
        ));
    }
    if rec.expected != bench::Expected::Optimal {
        line.push_str(&format!("  (expected {})", rec.expected.as_str()));
    }
    if let Some(e) = rec.read_error.as_ref() {
        line.push_str(&format!("  read error: {e}"));
    }
    for (who, run) in [("lpgd", &rec.ours), ("clarabel", &rec.baseline)] {
        if let Some(err) = run.as_ref().and_then(|r| r.error.as_ref()) {
            line.push_str(&format!("  {who} error: {}", bench::one_line(err)));
        }
    }
    out!("{line}");
}

fn print_cblib_summary(report: &BenchReport) {
    let s = &report.summary;
    out!(
        "instances: {} (read errors: {}); * = not solved; solved = status Solved/AlmostSolved and \
         |obj-ref|/max(1,|ref|) <= {:e}, or the infeasibility of an infeasible reference reported; \
         accurate = solved within {:e}; time limit {} s (charged to failures), shift {} s",
        s.problems,
        s.read_errors,
        s.tol,
        s.accurate_tol,
        s.time_limit_s,
        s.shift_s
    );
    for side in std::iter::once(&s.ours).chain(s.baseline.as_ref()) {
        out!(
            "{:<9} solved {}/{}, accurate (rel err <= {:e}) {}/{}, shifted geomean time {:.4e} s, \
             iterations {}",
            format!("{}:", side.solver),
            side.solved,
            side.total,
            s.accurate_tol,
            side.accurate,
            side.total,
            side.sgm_time_s,
            side.iterations
        );
    }
    if let Some(r) = s.sgm_ratio {
        let iters = match (s.iteration_ratio, s.both_solved) {
            (Some(i), Some(n)) => format!("{i:.3} (over the {n} instances both solved)"),
            (None, Some(n)) => format!("- (both solved {n})"),
            _ => "-".into(),
        };
        out!("ratio lpgd/clarabel: shifted geomean time {r:.3}, total iterations {iters}");
    }
}

fn run_brief(run: Option<&SolverRun>) -> String {
    match run {
        Some(r) => format!(
            "{} {:.2e}s err {} it {}",
            r.status,
            r.time_s,
            r.rel_error.map_or("-".into(), |e| format!("{e:.1e}")),
            r.iterations
        ),
        None => "not run".into(),
    }
}

const RUN_HEADER: &str = "status                 time_s   rel_err  iter";

fn run_cells(run: Option<&SolverRun>) -> String {
    match run {
        Some(r) => format!(
            "{:<20} {:>8.4} {:>9} {:>5}",
            r.status,
            r.time_s,
            r.rel_error.map_or("-".into(), |e| format!("{e:.1e}")),
            r.iterations
        ),
        None => format!("{:<20} {:>8} {:>9} {:>5}", "-", "-", "-", "-"),
    }
}

fn print_bench_header(with_baseline: bool) {
    let mut line = format!(
        "{:<12} {:>7} {:>7} | lpgd {RUN_HEADER}",
        "problem", "rows", "cols"
    );
    if with_baseline {
        line.push_str(&format!(" | clarabel {RUN_HEADER}"));
    }
    out!("{line}");
}

fn print_bench_row(rec: &bench::ProblemRecord, with_baseline: bool) {
    let mut line = format!(
        "{:<12} {:>7} {:>7} |      {}",
        rec.name,
        rec.rows,
        rec.cols,
        run_cells(rec.ours.as_ref())
    );
    if with_baseline {
        line.push_str(&format!(" |          {}", run_cells(rec.baseline.as_ref())));
    }
    if let Some(e) = rec.read_error.as_ref() {
        line.push_str(&format!("  read error: {e}"));
    }
    for err in [&rec.ours, &rec.baseline]
        .into_iter()
        .flatten()
        .filter_map(|r| r.error.as_ref())
    {
        line.push_str(&format!("  setup error: {err}"));
    }
    out!("{line}");
}

fn print_bench_summary(report: &BenchReport) {
    let s = &report.summary;
    out!(
        "problems: {} (read errors: {}); solved = status Solved/AlmostSolved and |obj-ref|/max(1,|ref|) <= {:e}; \
         time limit {} s (charged to failures), shift {} s",
        s.problems, s.read_errors, s.tol, s.time_limit_s, s.shift_s
    );
    for side in std::iter::once(&s.ours).chain(s.baseline.as_ref()) {
        out!(
            "{:<9} solved {}/{}, shifted geomean time {:.4e} s",
            format!("{}:", side.solver),
            side.solved,
            side.total,
            side.sgm_time_s
        );
    }
    if let Some(r) = s.sgm_ratio {
        out!("ratio lpgd/clarabel (shifted geomean time): {r:.3}");
    }
}
