//! `lpgd shortest-path`: learning edge costs from features for a
//! shortest-path solver whose solution does not depend differentiably on
//! the costs, in the style of the PyEPO benchmark (Tang & Khalil).
//!
//! **Data** (PyEPO's shortest-path generator). A `k × k` grid of vertices
//! with edges pointing right and down (`d = 2k(k − 1)` edges), paths from
//! the top-left to the bottom-right corner. A fixed `B ∈ {0, 1}^{d×p}`
//! (Bernoulli ½); per sample, features `f ~ N(0, I_p)` and costs
//!
//! ```text
//! c_e = [ ((Bf)_e/√p + 3)^deg + 1 ] / 3.5^deg · ε_e,    ε_e ~ U[1 − noise, 1 + noise].
//! ```
//!
//! **Model.** Linear, `ĉ = Wf + w₀`, trained with Adam on minibatches; the
//! oracle is [`GridShortestPath`] (Dijkstra) from the diff crate.
//!
//! **Methods** (gradients with respect to `ĉ`, `x*(·)` the oracle):
//! - two-stage: mean squared error `‖ĉ − c‖²/d`, gradient `2(ĉ − c)/d`;
//! - SPO+ (Elmachtoub & Grigas): subgradient `2(x*(c) − x*(2ĉ − c))`;
//! - LPGD lower / average on the loss `ℓ(x) = ⟨c, x⟩` (the decision's true
//!   cost, so `∇ℓ = c`): `(x*(ĉ + τc) − x*(ĉ))/τ` — Blackbox
//!   Backpropagation with `λ = τ` (paper eq. 25) — and
//!   `(x*(ĉ + τc) − x*(ĉ − τc))/2τ` (eq. 22), via
//!   [`lpgd_diff::oracle::backward`].
//!
//! **Metric.** Normalized regret on a test set,
//! `Σᵢ (⟨cᵢ, x*(ĉᵢ)⟩ − ⟨cᵢ, x*(cᵢ)⟩) / Σᵢ ⟨cᵢ, x*(cᵢ)⟩`.

use super::adam::Adam;
use super::plot::{self, Panel, Series, PALETTE};
use super::{create_dir, dot, require, write_csv, write_text, ExperimentError, TrainingOutput};
use crate::rng::Rng;
use lpgd_diff::oracle::{self, GridShortestPath, LinearOracle};
use lpgd_diff::{Envelope, Fallback, LpgdSettings};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

/// A training method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpMethod {
    /// Mean squared error on the costs.
    TwoStage,
    /// The SPO+ surrogate.
    SpoPlus,
    /// LPGD, lower envelope (Blackbox Backpropagation for `ρ = 0`).
    LpgdLower,
    /// LPGD, average envelope.
    LpgdAverage,
}

impl SpMethod {
    /// Every method, in table order.
    pub const ALL: [SpMethod; 4] = [
        SpMethod::TwoStage,
        SpMethod::SpoPlus,
        SpMethod::LpgdLower,
        SpMethod::LpgdAverage,
    ];

    /// The name used on the command line and in the outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            SpMethod::TwoStage => "two-stage",
            SpMethod::SpoPlus => "spo+",
            SpMethod::LpgdLower => "lpgd-lower",
            SpMethod::LpgdAverage => "lpgd-average",
        }
    }

    /// Parses [`SpMethod::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        SpMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Settings of `lpgd shortest-path`.
#[derive(Debug, Clone)]
pub struct ShortestPathConfig {
    /// Vertices per side of the grid (`k`).
    pub grid: usize,
    /// Number of features `p`.
    pub features: usize,
    /// Polynomial degrees `deg` (one table row each).
    pub degrees: Vec<u32>,
    /// Multiplicative noise half-width (`0 ≤ noise < 1`).
    pub noise: f64,
    /// Training samples.
    pub train: usize,
    /// Test samples.
    pub test: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// LPGD temperature `τ` (PyEPO's Blackbox Backpropagation `λ`).
    pub tau: f64,
    /// Methods to train.
    pub methods: Vec<SpMethod>,
    /// Seed of the data and of the model initialization.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
}

impl Default for ShortestPathConfig {
    fn default() -> Self {
        ShortestPathConfig {
            grid: 5,
            features: 5,
            degrees: vec![1, 2, 4, 6],
            noise: 0.5,
            train: 1000,
            test: 1000,
            epochs: 20,
            batch: 32,
            lr: 0.01,
            tau: 20.0,
            methods: SpMethod::ALL.to_vec(),
            seed: 0,
            out: PathBuf::from("results/shortest-path"),
        }
    }
}

/// Features and true costs of a set of samples.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// One feature vector (length `p`) per sample.
    pub features: Vec<Vec<f64>>,
    /// One cost vector (length `d`) per sample.
    pub costs: Vec<Vec<f64>>,
}

/// Draws `train` and `test` samples of PyEPO's shortest-path data (module
/// docs) for `edges` edges, sharing one `B`.
pub fn generate(
    edges: usize,
    features: usize,
    deg: u32,
    noise: f64,
    (train, test): (usize, usize),
    rng: &mut Rng,
) -> (Dataset, Dataset) {
    let b: Vec<f64> = (0..edges * features)
        .map(|_| if rng.uniform() < 0.5 { 1.0 } else { 0.0 })
        .collect();
    let sp = (features as f64).sqrt();
    let scale = 3.5f64.powi(deg as i32);
    let mut draw = |count: usize| {
        let mut set = Dataset {
            features: Vec::with_capacity(count),
            costs: Vec::with_capacity(count),
        };
        for _ in 0..count {
            let f: Vec<f64> = (0..features).map(|_| rng.normal()).collect();
            let c: Vec<f64> = (0..edges)
                .map(|e| {
                    let bf: f64 = (0..features).map(|k| b[e * features + k] * f[k]).sum();
                    let eps = 1.0 - noise + 2.0 * noise * rng.uniform();
                    ((bf / sp + 3.0).powi(deg as i32) + 1.0) / scale * eps
                })
                .collect();
            set.features.push(f);
            set.costs.push(c);
        }
        set
    };
    let tr = draw(train);
    let te = draw(test);
    (tr, te)
}

/// The linear model `ĉ = Wf + w₀`, parameters `[W (row-major d × p); w₀]`.
#[derive(Debug, Clone)]
pub struct LinearModel {
    /// Outputs `d`.
    pub d: usize,
    /// Inputs `p`.
    pub p: usize,
    /// `W` row by row, then `w₀`.
    pub theta: Vec<f64>,
}

impl LinearModel {
    /// Uniform initialization on `±1/√p` (as a default dense layer).
    pub fn new(d: usize, p: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (p.max(1) as f64).sqrt();
        let theta = (0..d * p + d)
            .map(|_| bound * (2.0 * rng.uniform() - 1.0))
            .collect();
        LinearModel { d, p, theta }
    }

    /// `ĉ = Wf + w₀`.
    pub fn predict(&self, f: &[f64]) -> Vec<f64> {
        let (w, w0) = self.theta.split_at(self.d * self.p);
        w.chunks_exact(self.p)
            .zip(w0)
            .map(|(row, b)| b + row.iter().zip(f).map(|(a, x)| a * x).sum::<f64>())
            .collect()
    }

    /// Adds the parameter gradient of `⟨g, ĉ(f)⟩` to `grad`.
    fn accumulate(&self, grad: &mut [f64], g: &[f64], f: &[f64]) {
        let (gw, g0) = grad.split_at_mut(self.d * self.p);
        for ((row, b), &ge) in gw.chunks_exact_mut(self.p).zip(g0).zip(g) {
            *b += ge;
            for (r, &x) in row.iter_mut().zip(f) {
                *r += ge * x;
            }
        }
    }
}

/// Normalized regret of predicted costs on a set with true costs `costs`
/// and true optimal values `opt` (module docs).
pub fn normalized_regret<O: LinearOracle>(
    oracle: &O,
    costs: &[Vec<f64>],
    opt: &[f64],
    predicted: &[Vec<f64>],
) -> Result<f64, ExperimentError> {
    let regrets: Vec<f64> = costs
        .par_iter()
        .zip(predicted)
        .map(|(c, ch)| {
            let x = oracle::solve(oracle, ch).map_err(|source| ExperimentError::Diff {
                context: "test decision".into(),
                source,
            })?;
            Ok(dot(c, &x))
        })
        .collect::<Result<_, ExperimentError>>()?;
    let num: f64 = regrets.iter().zip(opt).map(|(r, o)| r - o).sum();
    let den: f64 = opt.iter().sum();
    Ok(num / den)
}

/// Gradient with respect to `ĉ` of one sample's training loss.
fn cost_gradient(
    method: SpMethod,
    oracle: &GridShortestPath,
    chat: &[f64],
    c: &[f64],
    xtrue: &[f64],
    tau: f64,
) -> Result<Vec<f64>, lpgd_diff::DiffError> {
    match method {
        SpMethod::TwoStage => {
            let d = c.len() as f64;
            Ok(chat.iter().zip(c).map(|(a, b)| 2.0 * (a - b) / d).collect())
        }
        SpMethod::SpoPlus => {
            let probe: Vec<f64> = chat.iter().zip(c).map(|(a, b)| 2.0 * a - b).collect();
            let x = oracle::solve(oracle, &probe)?;
            Ok(xtrue.iter().zip(&x).map(|(a, b)| 2.0 * (a - b)).collect())
        }
        SpMethod::LpgdLower | SpMethod::LpgdAverage => {
            let xhat = oracle::solve(oracle, chat)?;
            let envelope = if method == SpMethod::LpgdLower {
                Envelope::Lower
            } else {
                Envelope::Average
            };
            let s = LpgdSettings {
                tau,
                rho: 0.0,
                envelope,
                fallback: Fallback::Error,
            };
            oracle::backward(oracle, chat, &xhat, c, s)
        }
    }
}

/// One method's training run at one degree.
#[derive(Debug, Clone)]
pub struct TrainingRun {
    /// Degree of the data.
    pub deg: u32,
    /// Method.
    pub method: SpMethod,
    /// Test regret before training and after every epoch.
    pub regret: Vec<f64>,
    /// Cumulative training wall time after every epoch (s).
    pub seconds: Vec<f64>,
}

/// Trains one method on `train` and evaluates on `test` after every epoch.
pub fn train(
    cfg: &ShortestPathConfig,
    oracle: &GridShortestPath,
    method: SpMethod,
    (train, test): (&Dataset, &Dataset),
    deg: u32,
) -> Result<TrainingRun, ExperimentError> {
    let d = oracle.dim();
    let xtrue: Vec<Vec<f64>> = train
        .costs
        .par_iter()
        .map(|c| oracle::solve(oracle, c))
        .collect::<Result<_, _>>()
        .map_err(|source| ExperimentError::Diff {
            context: "true decisions".into(),
            source,
        })?;
    let opt: Vec<f64> = test
        .costs
        .par_iter()
        .map(|c| oracle::solve(oracle, c).map(|x| dot(c, &x)))
        .collect::<Result<_, _>>()
        .map_err(|source| ExperimentError::Diff {
            context: "true test decisions".into(),
            source,
        })?;
    let mut rng = Rng(cfg.seed ^ 0xA5A5_5A5A_0F0F_F0F0 ^ u64::from(deg));
    let mut model = LinearModel::new(d, cfg.features, &mut rng);
    let mut adam = Adam::new(model.theta.len(), cfg.lr);
    let evaluate = |model: &LinearModel| {
        let pred: Vec<Vec<f64>> = test.features.iter().map(|f| model.predict(f)).collect();
        normalized_regret(oracle, &test.costs, &opt, &pred)
    };
    let mut run = TrainingRun {
        deg,
        method,
        regret: vec![evaluate(&model)?],
        seconds: vec![0.0],
    };
    let mut order: Vec<usize> = (0..train.features.len()).collect();
    let mut elapsed = 0.0;
    for _ in 0..cfg.epochs {
        let start = Instant::now();
        rng.shuffle(&mut order);
        for chunk in order.chunks(cfg.batch) {
            let grads: Vec<Vec<f64>> = chunk
                .par_iter()
                .map(|&i| {
                    let chat = model.predict(&train.features[i]);
                    cost_gradient(method, oracle, &chat, &train.costs[i], &xtrue[i], cfg.tau)
                })
                .collect::<Result<_, _>>()
                .map_err(|source| ExperimentError::Diff {
                    context: format!("{} gradient", method.as_str()),
                    source,
                })?;
            let mut grad = vec![0.0; model.theta.len()];
            for (&i, g) in chunk.iter().zip(&grads) {
                model.accumulate(&mut grad, g, &train.features[i]);
            }
            let scale = 1.0 / chunk.len() as f64;
            grad.iter_mut().for_each(|g| *g *= scale);
            adam.step(&mut model.theta, &grad);
        }
        elapsed += start.elapsed().as_secs_f64();
        run.regret.push(evaluate(&model)?);
        run.seconds.push(elapsed);
    }
    Ok(run)
}

/// Everything [`run`] computed and wrote.
pub type ShortestPathOutput = TrainingOutput<TrainingRun>;

fn validate(cfg: &ShortestPathConfig) -> Result<(), ExperimentError> {
    require(cfg.grid >= 2, "grid", cfg.grid, "at least 2")?;
    require(cfg.features >= 1, "features", cfg.features, "at least 1")?;
    require(
        (0.0..1.0).contains(&cfg.noise),
        "noise",
        cfg.noise,
        "in [0, 1)",
    )?;
    require(cfg.train >= 1, "train", cfg.train, "at least 1")?;
    require(cfg.test >= 1, "test", cfg.test, "at least 1")?;
    require(cfg.batch >= 1, "batch", cfg.batch, "at least 1")?;
    require(cfg.lr > 0.0 && cfg.lr.is_finite(), "lr", cfg.lr, "positive")?;
    require(
        cfg.tau > 0.0 && cfg.tau.is_finite(),
        "tau",
        cfg.tau,
        "positive",
    )?;
    require(!cfg.degrees.is_empty(), "degrees", "[]", "at least one")?;
    for &deg in &cfg.degrees {
        require((1..=16).contains(&deg), "deg", deg, "between 1 and 16")?;
    }
    require(!cfg.methods.is_empty(), "methods", "[]", "at least one")
}

/// Trains every method at every degree and writes `regret.csv` (final
/// test regret per degree and method), `curves.csv` (per epoch),
/// `table.md`, and `regret.png`/`regret.svg` (test regret over epochs, one
/// panel per degree) into `cfg.out`.
pub fn run(cfg: &ShortestPathConfig) -> Result<ShortestPathOutput, ExperimentError> {
    validate(cfg)?;
    let oracle =
        GridShortestPath::new(cfg.grid, cfg.grid).map_err(|source| ExperimentError::Diff {
            context: "grid".into(),
            source,
        })?;
    let mut runs = Vec::new();
    for &deg in &cfg.degrees {
        let mut rng = Rng(cfg
            .seed
            .wrapping_mul(0x9E37_79B9)
            .wrapping_add(u64::from(deg)));
        let (tr, te) = generate(
            oracle.dim(),
            cfg.features,
            deg,
            cfg.noise,
            (cfg.train, cfg.test),
            &mut rng,
        );
        for &method in &cfg.methods {
            runs.push(train(cfg, &oracle, method, (&tr, &te), deg)?);
        }
    }
    create_dir(&cfg.out)?;
    let final_rows: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{},{},{},{},{}",
                r.deg,
                r.method.as_str(),
                r.regret[0],
                r.regret.last().copied().unwrap_or(f64::NAN),
                r.seconds.last().copied().unwrap_or(0.0)
            )
        })
        .collect();
    let regret_csv = cfg.out.join("regret.csv");
    write_csv(
        &regret_csv,
        "deg,method,initial_test_regret,final_test_regret,train_seconds",
        &final_rows,
    )?;
    let mut curve_rows = Vec::new();
    for r in &runs {
        for (epoch, (g, s)) in r.regret.iter().zip(&r.seconds).enumerate() {
            curve_rows.push(format!("{},{},{epoch},{g},{s}", r.deg, r.method.as_str()));
        }
    }
    let curves_csv = cfg.out.join("curves.csv");
    write_csv(
        &curves_csv,
        "deg,method,epoch,test_regret,train_seconds",
        &curve_rows,
    )?;
    let mut table = String::from("| deg |");
    for m in &cfg.methods {
        table += &format!(" {} |", m.as_str());
    }
    table += "\n|---|";
    table += &"---|".repeat(cfg.methods.len());
    table.push('\n');
    for &deg in &cfg.degrees {
        table += &format!("| {deg} |");
        for r in runs.iter().filter(|r| r.deg == deg) {
            let last = r.regret.last().copied().unwrap_or(f64::NAN);
            table += &format!(" {:.2}% |", 100.0 * last);
        }
        table.push('\n');
    }
    let table_md = cfg.out.join("table.md");
    write_text(
        &table_md,
        &format!(
            "Normalized test regret after {} epochs ({}×{} grid, noise {}, {} training samples)\n\n{table}",
            cfg.epochs, cfg.grid, cfg.grid, cfg.noise, cfg.train
        ),
    )?;
    let panels: Vec<Panel> = cfg
        .degrees
        .iter()
        .map(|&deg| Panel {
            title: format!("deg = {deg}"),
            x_label: "epoch".into(),
            y_label: "normalized test regret".into(),
            series: runs
                .iter()
                .filter(|r| r.deg == deg)
                .map(|r| Series {
                    label: r.method.as_str().into(),
                    color: PALETTE[SpMethod::ALL
                        .iter()
                        .position(|m| *m == r.method)
                        .unwrap_or(0)],
                    points: r
                        .regret
                        .iter()
                        .enumerate()
                        .map(|(e, &g)| (e as f64, g))
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let (png, svg) = (cfg.out.join("regret.png"), cfg.out.join("regret.svg"));
    let grid = (1, panels.len().max(1));
    let labelled = plot::draw(&panels, grid, (420 * grid.1 as u32, 340), &png, &svg)?;
    Ok(TrainingOutput {
        runs,
        table,
        files: vec![regret_csv, curves_csv, table_md, png, svg],
        labelled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_costs_have_zero_regret() {
        let oracle = GridShortestPath::new(4, 4).unwrap();
        let mut rng = Rng(3);
        let (_, te) = generate(oracle.dim(), 3, 2, 0.5, (1, 50), &mut rng);
        let opt: Vec<f64> = te
            .costs
            .iter()
            .map(|c| dot(c, &oracle::solve(&oracle, c).unwrap()))
            .collect();
        assert_eq!(
            normalized_regret(&oracle, &te.costs, &opt, &te.costs).unwrap(),
            0.0
        );
        let flipped: Vec<Vec<f64>> = te
            .costs
            .iter()
            .map(|c| c.iter().map(|v| -v).collect())
            .collect();
        assert!(normalized_regret(&oracle, &te.costs, &opt, &flipped).unwrap() > 0.0);
    }

    #[test]
    fn the_data_follow_the_generator() {
        let mut rng = Rng(1);
        let (tr, _) = generate(12, 5, 1, 0.0, (200, 1), &mut rng);
        // Without noise and for deg = 1, c = ((Bf)/√p + 3 + 1)/3.5 is affine in f.
        for c in &tr.costs {
            assert!(c.iter().all(|v| v.is_finite()));
        }
        let mean: f64 = tr.costs.iter().flatten().sum::<f64>() / (200.0 * 12.0);
        assert!((mean - 4.0 / 3.5).abs() < 0.05, "mean {mean}");
    }
}
