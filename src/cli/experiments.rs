//! `lpgd envelope` and `lpgd shortest-path`: parse, run the experiment from
//! [`lpgd::experiments`], print where the results went.

use super::{fail, MethodArg};
use clap::Args;
use lpgd::experiments::envelope::{self, EnvelopeConfig};
use lpgd::experiments::shortest_path::{self, ShortestPathConfig, SpMethod};
use lpgd::experiments::sudoku::{self, SudokuConfig, SudokuMethod};
use lpgd::experiments::ExperimentError;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `lpgd envelope`.
#[derive(Debug, Args)]
pub struct EnvelopeArgs {
    /// Output directory.
    #[arg(long, default_value = "results/envelope")]
    out: PathBuf,
    /// Seed of the random cut and the loss target.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Dimension of the LP over [0, 1]ⁿ.
    #[arg(long, default_value_t = 10)]
    n: usize,
    /// Temperatures τ (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0.3, 1.0, 3.0])]
    tau: Vec<f64>,
    /// Augmentation strengths ρ (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0.0, 1.0, 10.0])]
    rho: Vec<f64>,
    /// Points on the cut.
    #[arg(long, default_value_t = 401)]
    points: usize,
    /// The cut c(t) = c₀ + t·d is drawn for t in [-range, range].
    #[arg(long, default_value_t = 2.0)]
    range: f64,
}

/// A preset of `lpgd sudoku`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SudokuPreset {
    /// 4×4 boards, 800 training and 200 test puzzles, 10 epochs (minutes).
    Quick,
    /// 9×9 boards, 9000 training and 1000 test puzzles, 11 epochs,
    /// minibatches of 150, ADMM.
    Paper,
}

/// Arguments of `lpgd sudoku`; options override the preset.
#[derive(Debug, Args)]
pub struct SudokuArgs {
    /// Preset.
    #[arg(long, value_enum, default_value = "quick")]
    preset: SudokuPreset,
    /// Output directory.
    #[arg(long, default_value = "results/sudoku")]
    out: PathBuf,
    /// Seed of the puzzles and the initialization.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Learned constraint rows m (default: the rank of the rules).
    #[arg(long)]
    rows: Option<usize>,
    /// Training puzzles.
    #[arg(long)]
    train: Option<usize>,
    /// Test puzzles.
    #[arg(long)]
    test: Option<usize>,
    /// Epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Minibatch size (default: the preset's, 32 for quick and 150 for
    /// paper).
    #[arg(long)]
    batch: Option<usize>,
    /// LPGD temperature τ.
    #[arg(long)]
    tau: Option<f64>,
    /// LPGD augmentation ρ.
    #[arg(long)]
    lpgd_rho: Option<f64>,
    /// LPGD learning rate.
    #[arg(long)]
    lpgd_lr: Option<f64>,
    /// GD (implicit) augmentation ρ.
    #[arg(long)]
    gd_rho: Option<f64>,
    /// GD learning rate.
    #[arg(long)]
    gd_lr: Option<f64>,
    /// Methods (comma-separated): lpgd-lower, lpgd-upper, lpgd-average, gd.
    #[arg(long, value_delimiter = ',')]
    methods: Option<Vec<String>>,
    /// Conic solver of the layer (default: the preset's, ipm for quick and
    /// admm for paper).
    #[arg(long, value_enum)]
    solver: Option<MethodArg>,
    /// With the operator-splitting solver: mean forward iterations of a
    /// minibatch above which the next minibatches solve their forward
    /// problems with the interior point (default: the preset's, 400 for
    /// paper; `inf` never switches).
    #[arg(long)]
    ipm_forward_above: Option<f64>,
    /// Tolerance of the forward solves, in training and in the
    /// evaluations (default: the preset's, 1e-3 for paper; the layer's
    /// own for quick).
    #[arg(long)]
    train_eps: Option<f64>,
    /// Tolerance of LPGD's perturbed solves with the operator-splitting
    /// solver (default 3e-3).
    #[arg(long)]
    perturbed_eps: Option<f64>,
    /// Start every operator-splitting forward solve cold, not from the
    /// puzzle's solution of the previous epoch.
    #[arg(long)]
    cold_start: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Arguments of `lpgd shortest-path`.
#[derive(Debug, Args)]
pub struct ShortestPathArgs {
    /// Output directory.
    #[arg(long, default_value = "results/shortest-path")]
    out: PathBuf,
    /// Seed of the data and the model initialization.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Vertices per side of the grid.
    #[arg(long, default_value_t = 5)]
    grid: usize,
    /// Number of features.
    #[arg(long, default_value_t = 5)]
    features: usize,
    /// Polynomial degrees of the cost model (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4, 6])]
    deg: Vec<u32>,
    /// Multiplicative noise half-width.
    #[arg(long, default_value_t = 0.5)]
    noise: f64,
    /// Training samples.
    #[arg(long, default_value_t = 1000)]
    train: usize,
    /// Test samples.
    #[arg(long, default_value_t = 1000)]
    test: usize,
    /// Epochs.
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// LPGD temperature τ (Blackbox Backpropagation's λ).
    #[arg(long, default_value_t = 20.0)]
    tau: f64,
    /// Methods (comma-separated): two-stage, spo+, lpgd-lower, lpgd-average.
    #[arg(long, value_delimiter = ',', default_values_t = SpMethod::ALL.map(|m| m.as_str().to_string()))]
    methods: Vec<String>,
}

fn report(result: Result<(Vec<PathBuf>, bool), ExperimentError>) -> ExitCode {
    match result {
        Ok((files, labelled)) => {
            for f in &files {
                out!("wrote {}", f.display());
            }
            if !labelled {
                out!("note: no TrueType font found (set LPGD_FONT to a .ttf file); the charts have no text");
            }
            ExitCode::SUCCESS
        }
        Err(e @ ExperimentError::InvalidConfig { .. }) => fail(2, &e.to_string()),
        Err(e) => fail(1, &e.to_string()),
    }
}

pub fn envelope(args: EnvelopeArgs) -> ExitCode {
    let cfg = EnvelopeConfig {
        n: args.n,
        taus: args.tau,
        rhos: args.rho,
        t_min: -args.range,
        t_max: args.range,
        points: args.points,
        seed: args.seed,
        out: args.out,
    };
    report(envelope::run(&cfg).map(|o| {
        out!(
            "{} points on the cut, {} (τ, ρ) pairs",
            o.curves.t.len(),
            o.curves.envelopes.len()
        );
        (o.files, o.labelled)
    }))
}

pub fn shortest_path(args: ShortestPathArgs) -> ExitCode {
    let mut methods = Vec::new();
    for m in &args.methods {
        match SpMethod::parse(m) {
            Some(m) => methods.push(m),
            None => {
                return fail(
                    2,
                    &format!("unknown method {m:?} (two-stage, spo+, lpgd-lower, lpgd-average)"),
                )
            }
        }
    }
    let cfg = ShortestPathConfig {
        grid: args.grid,
        features: args.features,
        degrees: args.deg,
        noise: args.noise,
        train: args.train,
        test: args.test,
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        tau: args.tau,
        methods,
        seed: args.seed,
        out: args.out,
    };
    report(shortest_path::run(&cfg).map(|o| {
        out!("{}", o.table);
        (o.files, o.labelled)
    }))
}

pub fn sudoku(args: SudokuArgs) -> ExitCode {
    let mut cfg = match args.preset {
        SudokuPreset::Quick => SudokuConfig::quick(),
        SudokuPreset::Paper => SudokuConfig::paper(),
    };
    if let Some(list) = &args.methods {
        let mut methods = Vec::new();
        for m in list {
            match SudokuMethod::parse(m) {
                Some(m) => methods.push(m),
                None => {
                    return fail(
                        2,
                        &format!("unknown method {m:?} (lpgd-lower, lpgd-upper, lpgd-average, gd)"),
                    )
                }
            }
        }
        cfg.methods = methods;
    }
    cfg.out = args.out;
    cfg.seed = args.seed;
    cfg.progress = !args.quiet;
    cfg.warm_start &= !args.cold_start;
    if let Some(solver) = args.solver {
        cfg.solver = solver.into();
    }
    if let Some(eps) = args.train_eps {
        cfg.train_eps = Some(eps);
    }
    cfg.perturbed_eps = args.perturbed_eps.unwrap_or(cfg.perturbed_eps);
    if let Some(above) = args.ipm_forward_above {
        cfg.ipm_forward_above = Some(above);
    }
    cfg.rows = args.rows.unwrap_or(cfg.rows);
    cfg.train = args.train.unwrap_or(cfg.train);
    cfg.test = args.test.unwrap_or(cfg.test);
    cfg.epochs = args.epochs.unwrap_or(cfg.epochs);
    cfg.batch = args.batch.unwrap_or(cfg.batch);
    cfg.tau = args.tau.unwrap_or(cfg.tau);
    cfg.lpgd_rho = args.lpgd_rho.unwrap_or(cfg.lpgd_rho);
    cfg.lpgd_lr = args.lpgd_lr.unwrap_or(cfg.lpgd_lr);
    cfg.gd_rho = args.gd_rho.unwrap_or(cfg.gd_rho);
    cfg.gd_lr = args.gd_lr.unwrap_or(cfg.gd_lr);
    report(sudoku::run(&cfg).map(|o| {
        out!("{}", o.table);
        (o.files, o.labelled)
    }))
}
