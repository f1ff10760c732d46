//! `lpgd sudoku`: learning the rules of Sudoku as the constraints of a
//! linear program (paper §4.2, Appendix B), with LPGD or implicit
//! differentiation.
//!
//! **Data.** A deterministic generator: a solved `n × n` grid by randomized
//! backtracking, then clues removed in random order as long as the puzzle
//! keeps a unique solution (`n = 4` or `9`). Boards are one-hot encoded,
//! `x[(i·n + j)·n + d] = 1` if cell `(i, j)` holds digit `d + 1`
//! (`N = n³` variables).
//!
//! **Model.** For clues `e` (one-hot, zero on empty cells),
//!
//! ```text
//! x*(A, z₀; e) = argmin_{x ∈ [0,1]ᴺ} ⟨x, −e⟩   subject to   A x + b = 0,   b = −A z₀,
//! ```
//!
//! with `A ∈ ℝ^{m×N}` and `z₀ = sigmoid(w) ∈ (0, 1)ᴺ` learned: `x = z₀` is
//! always feasible, so every LP stays feasible during training. In the
//! solver's standard form the rows are `A x + s = A z₀` (zero cone), then
//! `x + s = 1` and `−x + s = 0` (nonnegative cone). `m` defaults to the
//! rank of the Sudoku rule system (40 for `n = 4`, 249 for `n = 9`), enough
//! rows to express the rules.
//!
//! **Training.** Mean squared error between `x*` and the one-hot solution,
//! Adam on `(A, w)`, minibatches solved and differentiated with the batch
//! API ([`lpgd_diff::batch::DiffBatch`]; interior-point method for the
//! quick preset, operator splitting for the paper preset). The
//! gradient of `b = −A z₀` in standard form (`A z₀`) is chained into `A`
//! and `w`. Methods: LPGD lower, upper and average (§3.5–3.6) and GD
//! (implicit differentiation with the ρ-augmented Jacobian, C.1), with the
//! paper's hyperparameters as defaults.
//!
//! **Metrics** per epoch on the training and test sets: MSE; error, the
//! fraction of puzzles whose argmax board is not the solution; and the
//! fraction of violated row/column/box constraints of the argmax boards.

use super::adam::Adam;
use super::plot::{self, Panel, Series, PALETTE};
use super::{create_dir, require, write_csv, write_text, ExperimentError, TrainingOutput};
use crate::rng::Rng;
use indicatif::{ProgressBar, ProgressStyle};
use lpgd_diff::batch::{BatchInstance, DiffBatch};
use lpgd_diff::{Envelope, Fallback, ImplicitSettings, LossGrad, LpgdSettings, Mode};
use lpgd_solver::{
    CscMatrix, KktBackend, Method, ProblemData, Settings, Solution, Start, SupportedCone,
};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

/// One puzzle: clues (`0` for an empty cell, else the digit `1..=n`) and
/// its unique solution, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Puzzle {
    /// Clues.
    pub clues: Vec<u8>,
    /// The solution.
    pub solution: Vec<u8>,
}

/// Side of the boxes of an `n × n` board (`n` a square).
fn box_side(n: usize) -> usize {
    (n as f64).sqrt().round() as usize
}

/// Whether digit `d` can go into cell `k` of `board`.
fn allowed(board: &[u8], n: usize, k: usize, d: u8) -> bool {
    let (i, j) = (k / n, k % n);
    let r = box_side(n);
    let (bi, bj) = (i / r * r, j / r * r);
    (0..n).all(|t| board[i * n + t] != d && board[t * n + j] != d)
        && (0..r).all(|a| (0..r).all(|b| board[(bi + a) * n + bj + b] != d))
}

/// Fills the empty cells of `board` by backtracking, trying digits in a
/// random order; false if impossible.
fn fill(board: &mut [u8], n: usize, rng: &mut Rng) -> bool {
    let Some(k) = board.iter().position(|&v| v == 0) else {
        return true;
    };
    let mut digits: Vec<u8> = (1..=n as u8).collect();
    rng.shuffle(&mut digits);
    for d in digits {
        if allowed(board, n, k, d) {
            board[k] = d;
            if fill(board, n, rng) {
                return true;
            }
        }
    }
    board[k] = 0;
    false
}

/// The digits used in each row, column and box of a board, as bit masks
/// (bit `d` for digit `d`).
struct Masks {
    n: usize,
    r: usize,
    row: Vec<u32>,
    col: Vec<u32>,
    boxes: Vec<u32>,
}

impl Masks {
    fn new(board: &[u8], n: usize) -> Self {
        let r = box_side(n);
        let mut m = Masks {
            n,
            r,
            row: vec![0; n],
            col: vec![0; n],
            boxes: vec![0; n],
        };
        for (k, &d) in board.iter().enumerate() {
            if d != 0 {
                m.toggle(k, d);
            }
        }
        m
    }

    fn box_of(&self, k: usize) -> usize {
        let (i, j) = (k / self.n, k % self.n);
        i / self.r * self.r + j / self.r
    }

    fn toggle(&mut self, k: usize, d: u8) {
        let bit = 1u32 << d;
        let b = self.box_of(k);
        self.row[k / self.n] ^= bit;
        self.col[k % self.n] ^= bit;
        self.boxes[b] ^= bit;
    }

    /// The digits allowed in cell `k` (bits `1..=n`).
    fn candidates(&self, k: usize) -> u32 {
        let all = ((1u32 << (self.n + 1)) - 1) & !1;
        all & !(self.row[k / self.n] | self.col[k % self.n] | self.boxes[self.box_of(k)])
    }
}

/// Number of solutions of `board`, counting up to `limit`: backtracking on
/// the empty cell with the fewest allowed digits.
fn count_solutions(board: &mut [u8], n: usize, limit: usize) -> usize {
    fn count(board: &mut [u8], masks: &mut Masks, limit: usize) -> usize {
        let mut best: Option<(usize, u32)> = None;
        for (k, _) in board.iter().enumerate().filter(|(_, &v)| v == 0) {
            let c = masks.candidates(k);
            if best.is_none_or(|(_, b)| c.count_ones() < b.count_ones()) {
                best = Some((k, c));
                if c.count_ones() <= 1 {
                    break;
                }
            }
        }
        let Some((k, mut cand)) = best else {
            return 1;
        };
        let mut found = 0;
        while cand != 0 && found < limit {
            let d = cand.trailing_zeros() as u8;
            cand &= cand - 1;
            board[k] = d;
            masks.toggle(k, d);
            found += count(board, masks, limit - found);
            masks.toggle(k, d);
        }
        board[k] = 0;
        found
    }
    let mut masks = Masks::new(board, n);
    count(board, &mut masks, limit)
}

/// A random puzzle with a unique solution (module docs).
pub fn generate_puzzle(n: usize, rng: &mut Rng) -> Puzzle {
    let mut solution = vec![0u8; n * n];
    fill(&mut solution, n, rng);
    let mut clues = solution.clone();
    let mut order: Vec<usize> = (0..n * n).collect();
    rng.shuffle(&mut order);
    for k in order {
        let keep = clues[k];
        clues[k] = 0;
        if count_solutions(&mut clues.clone(), n, 2) != 1 {
            clues[k] = keep;
        }
    }
    Puzzle { clues, solution }
}

/// `count` puzzles, each from its own seed derived from `seed` (generated
/// in parallel, the same for any number of threads).
pub fn generate_puzzles(n: usize, count: usize, seed: u64) -> Vec<Puzzle> {
    (0..count)
        .into_par_iter()
        .map(|k| {
            let mut rng = Rng(seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            generate_puzzle(n, &mut rng)
        })
        .collect()
}

/// One-hot encoding of a board (zeros for empty cells).
pub fn one_hot(board: &[u8], n: usize) -> Vec<f64> {
    let mut x = vec![0.0; n * n * n];
    for (k, &v) in board.iter().enumerate() {
        if v > 0 {
            x[k * n + usize::from(v) - 1] = 1.0;
        }
    }
    x
}

/// The argmax board of a relaxed one-hot vector (ties to the smaller digit).
pub fn argmax_board(x: &[f64], n: usize) -> Vec<u8> {
    x.chunks_exact(n)
        .map(|cell| {
            let mut best = 0;
            for (d, &v) in cell.iter().enumerate() {
                if v > cell[best] {
                    best = d;
                }
            }
            best as u8 + 1
        })
        .collect()
}

/// Fraction of the `3n²` row, column and box constraints ("digit `d`
/// appears exactly once") that `board` violates.
pub fn violated_fraction(board: &[u8], n: usize) -> f64 {
    let r = box_side(n);
    let mut violated = 0;
    for d in 1..=n as u8 {
        for t in 0..n {
            let row = (0..n).filter(|&j| board[t * n + j] == d).count();
            let col = (0..n).filter(|&i| board[i * n + t] == d).count();
            let (bi, bj) = (t / r * r, t % r * r);
            let bx = (0..n)
                .filter(|&q| board[(bi + q / r) * n + bj + q % r] == d)
                .count();
            violated += usize::from(row != 1) + usize::from(col != 1) + usize::from(bx != 1);
        }
    }
    violated as f64 / (3 * n * n) as f64
}

/// Rank of the Sudoku rule system (cell, row, column and box constraints):
/// the default number of learned rows.
pub fn rule_rank(n: usize) -> usize {
    match n {
        4 => 40,
        _ => 249,
    }
}

/// A training method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SudokuMethod {
    /// LPGD, lower envelope.
    LpgdLower,
    /// LPGD, upper envelope.
    LpgdUpper,
    /// LPGD, average envelope.
    LpgdAverage,
    /// Implicit differentiation (ρ-augmented).
    Gd,
}

impl SudokuMethod {
    /// Every method, in table order.
    pub const ALL: [SudokuMethod; 4] = [
        SudokuMethod::LpgdLower,
        SudokuMethod::LpgdUpper,
        SudokuMethod::LpgdAverage,
        SudokuMethod::Gd,
    ];

    /// The name used on the command line and in the outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            SudokuMethod::LpgdLower => "lpgd-lower",
            SudokuMethod::LpgdUpper => "lpgd-upper",
            SudokuMethod::LpgdAverage => "lpgd-average",
            SudokuMethod::Gd => "gd",
        }
    }

    /// Parses [`SudokuMethod::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        SudokuMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Settings of `lpgd sudoku`.
#[derive(Debug, Clone)]
pub struct SudokuConfig {
    /// Board side (4 or 9).
    pub n: usize,
    /// Learned rows `m`.
    pub rows: usize,
    /// Training puzzles.
    pub train: usize,
    /// Test puzzles.
    pub test: usize,
    /// Epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// LPGD temperature `τ`.
    pub tau: f64,
    /// LPGD augmentation `ρ`.
    pub lpgd_rho: f64,
    /// LPGD learning rate.
    pub lpgd_lr: f64,
    /// GD augmentation `ρ` (C.1).
    pub gd_rho: f64,
    /// GD learning rate.
    pub gd_lr: f64,
    /// Methods to train.
    pub methods: Vec<SudokuMethod>,
    /// The conic solver of the layer (forward and LPGD's perturbed solves).
    pub solver: Method,
    /// With the operator-splitting solver: the mean forward iterations of
    /// a minibatch above which the following minibatches take their forward
    /// solves from the interior point ([`ForwardPolicy`]); `None` (or
    /// infinity) keeps them on operator splitting.
    pub ipm_forward_above: Option<f64>,
    /// Tolerance (`eps_abs = eps_rel = eps_feas`) of the forward solves,
    /// training and evaluation, of either method; `None` keeps the
    /// layer's own ([`TRAIN_EPS`]).
    pub train_eps: Option<f64>,
    /// Tolerance of LPGD's perturbed solves with the operator-splitting
    /// solver ([`DiffBatch::set_perturbed_tolerance`]; the interior point
    /// keeps its own).
    pub perturbed_eps: f64,
    /// Start every operator-splitting forward solve of a puzzle (training
    /// and test) from its solution of the previous epoch, when it has one;
    /// `false` starts them cold. Interior-point forward solves start cold
    /// either way.
    pub warm_start: bool,
    /// Seed of the puzzles and the initialization.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
    /// Show a progress bar.
    pub progress: bool,
}

impl SudokuConfig {
    /// The README's main job: 4 × 4 boards, 800 training and 200 test
    /// puzzles, 10 epochs.
    pub fn quick() -> Self {
        SudokuConfig {
            n: 4,
            rows: rule_rank(4),
            train: 800,
            test: 200,
            epochs: 10,
            batch: 32,
            tau: 1e4,
            lpgd_rho: 10.0,
            lpgd_lr: 0.1,
            gd_rho: 1e3,
            gd_lr: 0.1,
            methods: SudokuMethod::ALL.to_vec(),
            solver: Method::InteriorPoint,
            ipm_forward_above: None,
            train_eps: None,
            perturbed_eps: PERTURBED_EPS,
            warm_start: true,
            seed: 0,
            out: PathBuf::from("results/sudoku"),
            progress: true,
        }
    }

    /// The paper's setting: 9 × 9 boards, 9000 training and 1000 test
    /// puzzles, 11 epochs, minibatches of [`PAPER_BATCH`], with the
    /// operator-splitting solver (as the paper's layers, which solve with
    /// SCS), forward solves to [`TRAIN_EPS`] warm-started across epochs.
    /// Its minibatches share one
    /// factorization of the dense `249 × 249` dual normal equations and
    /// iterate in lockstep, where the interior point forms and factors them
    /// for every puzzle at every iteration: on 640 puzzles, one epoch of
    /// the four methods took 24 s of layer time against 64 s. Minibatches
    /// whose LPs have become hard for operator splitting take their forward
    /// solves from the interior point ([`ForwardPolicy`],
    /// [`IPM_FORWARD_ABOVE`]).
    pub fn paper() -> Self {
        SudokuConfig {
            n: 9,
            rows: rule_rank(9),
            train: 9000,
            test: 1000,
            epochs: 11,
            batch: PAPER_BATCH,
            solver: Method::Admm,
            ipm_forward_above: Some(IPM_FORWARD_ABOVE),
            train_eps: Some(TRAIN_EPS),
            ..SudokuConfig::quick()
        }
    }
}

/// Minibatch size of the paper preset: the paper trains by the protocol of
/// OptNet's Sudoku experiment (Amos & Kolter, 2017), whose public code
/// draws minibatches of 150 puzzles (and holds out 10% of 10 000 puzzles
/// for testing, the preset's 9000 / 1000 split).
pub const PAPER_BATCH: usize = 150;

/// Metrics of one pass over a set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SetMetrics {
    /// Mean squared error of `x*` against the one-hot solution.
    pub mse: f64,
    /// Fraction of puzzles whose argmax board is not the solution.
    pub error: f64,
    /// Fraction of violated row/column/box constraints.
    pub violated: f64,
    /// Puzzles whose forward solve failed (excluded from the means).
    pub failed: usize,
}

/// One epoch of one method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// Epoch (0: before training).
    pub epoch: usize,
    /// Training-set metrics (during the epoch's passes; epoch 0: before).
    pub train: SetMetrics,
    /// Test-set metrics after the epoch.
    pub test: SetMetrics,
    /// Cumulative forward wall time (s).
    pub forward_s: f64,
    /// Cumulative backward wall time (s).
    pub backward_s: f64,
    /// Backward passes that failed (skipped) in this epoch.
    pub backward_failures: usize,
    /// Mean iterations of the epoch's training forward solves on the
    /// layer's solver.
    pub forward_iterations: f64,
    /// Fraction of the epoch's training forward solves that
    /// [`ForwardPolicy`] gave to the interior point (operator-splitting
    /// layers), and their mean iterations.
    pub ipm_forward_share: f64,
    /// See [`EpochRecord::ipm_forward_share`].
    pub ipm_forward_iterations: f64,
    /// Mean iterations of the epoch's perturbed solves (LPGD; 0 for GD).
    pub perturbed_iterations: f64,
}

/// Everything one method's training produced.
#[derive(Debug, Clone)]
pub struct SudokuRun {
    /// Method.
    pub method: SudokuMethod,
    /// Metrics per epoch.
    pub epochs: Vec<EpochRecord>,
}

/// The learned parameters `θ = [A (row-major m × N); w]`, `z₀ = sigmoid(w)`.
struct Model {
    m: usize,
    nvar: usize,
    theta: Vec<f64>,
}

fn sigmoid(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp())
}

impl Model {
    fn new(m: usize, nvar: usize, rng: &mut Rng) -> Self {
        let scale = 1.0 / (nvar as f64).sqrt();
        let mut theta: Vec<f64> = (0..m * nvar).map(|_| scale * rng.normal()).collect();
        theta.extend(std::iter::repeat_n(0.0, nvar));
        Model { m, nvar, theta }
    }

    fn z0(&self) -> Vec<f64> {
        self.theta[self.m * self.nvar..]
            .iter()
            .map(|&w| sigmoid(w))
            .collect()
    }

    /// The standard-form problem (module docs) with zero cost.
    fn problem(&self) -> Result<ProblemData, ExperimentError> {
        let (m, nv) = (self.m, self.nvar);
        let (mut ri, mut ci, mut vi) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..nv {
            for i in 0..m {
                ri.push(i);
                ci.push(j);
                vi.push(self.theta[i * nv + j]);
            }
            ri.extend([m + j, m + nv + j]);
            ci.extend([j, j]);
            vi.extend([1.0, -1.0]);
        }
        let solver_err = |e: lpgd_solver::ProblemError| ExperimentError::Solver {
            context: "Sudoku layer".into(),
            source: e.into(),
        };
        let a = CscMatrix::from_triplets(m + 2 * nv, nv, &ri, &ci, &vi).map_err(solver_err)?;
        let cones = vec![SupportedCone::Zero(m), SupportedCone::Nonnegative(2 * nv)];
        ProblemData::new(None, vec![0.0; nv], a, self.rhs(), cones).map_err(solver_err)
    }

    /// `[A z₀; 1; 0]`.
    fn rhs(&self) -> Vec<f64> {
        let (m, nv) = (self.m, self.nvar);
        let z0 = self.z0();
        let mut b: Vec<f64> = self.theta[..m * nv]
            .chunks_exact(nv)
            .map(|row| row.iter().zip(&z0).map(|(a, z)| a * z).sum())
            .collect();
        b.extend(std::iter::repeat_n(1.0, nv));
        b.extend(std::iter::repeat_n(0.0, nv));
        b
    }

    /// Adds the gradients with respect to `θ` of standard-form gradients
    /// (`da` on the pattern built by [`Model::problem`], `db`), one per
    /// instance, to `grad`: each entry of `grad` receives the instances'
    /// terms in their order, so the sum does not depend on the threads.
    /// Blocks of columns of `A` (and of entries of `w`) run in parallel.
    fn accumulate(&self, grad: &mut [f64], grads: &[(&[f64], &[f64])]) {
        let (m, nv) = (self.m, self.nvar);
        let z0 = self.z0();
        let (ga, gw) = grad.split_at_mut(m * nv);
        // A's entries: column j holds rows 0..m, then the two box rows. The
        // sums run on a column-major copy of `ga` (the layout of `da`, so
        // every pass is contiguous), by blocks of columns.
        let mut gt = vec![0.0; m * nv];
        for (i, row) in ga.chunks_exact(nv).enumerate() {
            for (j, &g) in row.iter().enumerate() {
                gt[j * m + i] = g;
            }
        }
        const BLOCK: usize = 32;
        gt.par_chunks_mut(BLOCK * m)
            .enumerate()
            .for_each(|(blk, cols)| {
                let j0 = blk * BLOCK;
                for (da, db) in grads {
                    for (q, g) in cols.chunks_exact_mut(m).enumerate() {
                        let (j, col) = (j0 + q, &da[(j0 + q) * (m + 2)..]);
                        for ((g, &a), &d) in g.iter_mut().zip(col).zip(&db[..m]) {
                            *g += a + d * z0[j];
                        }
                    }
                }
            });
        for (i, row) in ga.chunks_exact_mut(nv).enumerate() {
            for (j, g) in row.iter_mut().enumerate() {
                *g = gt[j * m + i];
            }
        }
        // b_top = A z₀: ∂z₀ = Aᵀ db_top, ∂w = ∂z₀ · z₀(1 − z₀).
        // Per instance and column, `dz_j = Σᵢ θ_ij db_i` in the order of `i`
        // (from −0.0, as `Iterator::sum`), by rows of `θ`.
        const COLS: usize = 128;
        gw.par_chunks_mut(COLS).enumerate().for_each(|(blk, g)| {
            let (j0, w) = (blk * COLS, g.len());
            let mut dz = vec![-0.0; grads.len() * w];
            for i in 0..m {
                let row = &self.theta[i * nv + j0..i * nv + j0 + w];
                for ((_, db), dz) in grads.iter().zip(dz.chunks_exact_mut(w)) {
                    let d = db[i];
                    for (z, &t) in dz.iter_mut().zip(row) {
                        *z += t * d;
                    }
                }
            }
            for dz in dz.chunks_exact(w) {
                for ((g, &d), &z) in g.iter_mut().zip(dz).zip(&z0[j0..j0 + w]) {
                    *g += d * z * (1.0 - z);
                }
            }
        });
    }
}

/// Metrics of solutions `xs` against the puzzles.
fn metrics(puzzles: &[Puzzle], xs: &[Option<Vec<f64>>], n: usize) -> SetMetrics {
    let (mut mse, mut error, mut violated, mut ok) = (0.0, 0.0, 0.0, 0usize);
    for (p, x) in puzzles.iter().zip(xs) {
        let Some(x) = x else { continue };
        let target = one_hot(&p.solution, n);
        mse += x
            .iter()
            .zip(&target)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            / x.len() as f64;
        let board = argmax_board(x, n);
        error += f64::from(u8::from(board != p.solution));
        violated += violated_fraction(&board, n);
        ok += 1;
    }
    let k = ok.max(1) as f64;
    SetMetrics {
        mse: mse / k,
        error: error / k,
        violated: violated / k,
        failed: puzzles.len() - ok,
    }
}

fn mode_of(cfg: &SudokuConfig, method: SudokuMethod) -> Mode {
    let lpgd = |envelope| {
        Mode::Lpgd(LpgdSettings {
            tau: cfg.tau,
            rho: cfg.lpgd_rho,
            envelope,
            fallback: Fallback::OneSided,
        })
    };
    match method {
        SudokuMethod::LpgdLower => lpgd(Envelope::Lower),
        SudokuMethod::LpgdUpper => lpgd(Envelope::Upper),
        SudokuMethod::LpgdAverage => lpgd(Envelope::Average),
        SudokuMethod::Gd => Mode::Implicit(ImplicitSettings {
            rho: cfg.gd_rho,
            ..ImplicitSettings::default()
        }),
    }
}

/// Tolerances of the operator-splitting solves: SCS's defaults
/// (`eps_abs = eps_rel = 1e-4`), with which the paper's layers
/// (cvxpylayers) solve. On one epoch of 640 paper-preset puzzles they took
/// 0.78× the layer time of the solver's defaults (1e-5) and moved the
/// final train MSE of each method by at most 2e-4.
const ADMM_EPS: f64 = 1e-4;

/// Tolerance of the paper preset's forward solves
/// ([`SudokuConfig::train_eps`]), in training and in the evaluations (the
/// train metrics are those of the training forward solves, so the test
/// metrics are computed at the same tolerance; LPGD's perturbed solves
/// keep [`PERTURBED_EPS`]).
/// The learned LPs become degenerate, and operator splitting's iteration
/// count then grows about as fast as its tolerance shrinks: on 960
/// paper-preset puzzles with LPGD-upper (operator splitting only, seed 0),
/// the second epoch's forward solves averaged 129 iterations at 1e-3
/// against 420 at 1e-4, with train MSE 0.0900 against 0.0898 and test MSE
/// 0.0929 against 0.0931 after it. Over five epochs of the same puzzles
/// (one thread each, with [`ForwardPolicy`]), GD ended at train MSE 0.0909
/// against 0.0920 and LPGD-average at 0.0767 against 0.0759, with 72 s
/// against 203 s and 54 s against 136 s of forward time; at 1e-3 neither
/// method's forward solves averaged more than 160 iterations in an epoch,
/// so none went to the interior point. Its forward solves take 9.8
/// iterations at 1e-3 against 11.5 at 1e-4 (second epoch above), which
/// moves the break-even of [`IPM_FORWARD_ABOVE`] from about 420 to about
/// 360 operator-splitting iterations.
pub const TRAIN_EPS: f64 = 1e-3;

/// Iterative-refinement tolerance (relative and absolute) of the interior
/// point's linear solves in the forward solves of [`ForwardPolicy`]
/// (the solver's default is `1e-13`, Clarabel's). Those solves stop at
/// `1e-3` or `1e-4`, and a search direction with a relative residual of
/// `1e-8` is as good to them as an exact one. At the default, nearly every
/// solve of these LPs took one refinement step (a second solve and two
/// more products with the dense rows); at `1e-8` none did, and on 960
/// paper-preset puzzles (LPGD-upper, every forward solve on the interior
/// point after the first minibatch) the second epoch's forward solves took
/// 11.53 iterations against 11.48, ending at train MSE 0.08953 against
/// 0.08956.
const IPM_REFINE_TOL: f64 = 1e-8;

/// Initial step-size scale of the operator-splitting forward solves. The
/// LPs' optimal faces are large, and which point of them the method
/// reaches depends on it: after one epoch on 640 paper-preset puzzles the
/// train MSE was 0.142 (LPGD-average) and 0.147 (GD) from scale 1, as with
/// the interior point, against 0.166 and 0.176 from the default 0.1, at
/// the same iteration counts.
const FORWARD_SCALE: f64 = 1.0;

/// Step-size scale of LPGD's perturbed solves with the operator-splitting
/// method ([`DiffBatch::set_perturbed_scale`]). Measured on a minibatch of
/// 32 paper-preset puzzles at the initial model (`τ = 1e4`, `ρ = 10`): 365
/// iterations per perturbed solve from the forward solves' scale (0.1 or 1),
/// 180 from 3, 59 from 10, 57 from 30; the forward LPs take about 60 at
/// 0.1 to 1 and 68 at 10.
const PERTURBED_SCALE: f64 = 10.0;

/// Mean operator-splitting iterations per forward solve of a minibatch
/// above which the paper preset's next minibatches take their forward
/// solves from the interior point ([`ForwardPolicy`]). The learned LPs
/// become degenerate as training proceeds, and operator splitting then
/// needs hundreds to over a thousand iterations per forward solve, where
/// the interior point needs about 12 (to the same tolerance 1e-4). On 960
/// paper-preset puzzles with LPGD-upper (seed 0, two threads), the
/// forward time of an epoch whose operator-splitting solves averaged 420
/// iterations was the same with either method (11.4 s against 11.5 s, the
/// interior point on 90% of the minibatches at threshold 250), and of the
/// next epoch, at 715–727 iterations, 12.5 s against 18.8 s. The
/// perturbed solves took as many iterations from either start (67 against
/// 66 per solve).
pub const IPM_FORWARD_ABOVE: f64 = 400.0;

/// After how many minibatches a run whose forward solves went to the
/// interior point first tries operator splitting again
/// ([`ForwardPolicy`]); the interval doubles after every probe that is
/// still above the threshold, up to [`FORWARD_PROBE_MAX`]. In the full
/// paper preset (eighth session) LPGD-upper's probes averaged 1650–3030
/// operator-splitting iterations per forward solve in epochs 2 to 5: at
/// one probe per ten minibatches they took about 40% of its forward time.
pub const FORWARD_PROBE_EVERY: usize = 10;

/// Longest interval between probes of [`ForwardPolicy`] (minibatches).
pub const FORWARD_PROBE_MAX: usize = 160;

/// Which method solves a minibatch's forward problems, on an
/// operator-splitting layer: the layer's own while its forward solves
/// average at most [`SudokuConfig::ipm_forward_above`] iterations per
/// minibatch, the interior point after a minibatch above it, with every
/// [`FORWARD_PROBE_EVERY`]-th minibatch back on operator splitting to
/// measure again, at intervals that double while the probes stay above
/// the threshold. The backward passes stay on the layer's method (LPGD's
/// perturbed solves warm-start from the forward solution,
/// [`DiffBatch::set_forward_method`]). The choice depends on iteration
/// counts only, so a run is reproducible from its seed.
#[derive(Debug, Clone)]
pub struct ForwardPolicy {
    solver: Method,
    above: f64,
    on_ipm: bool,
    since_probe: usize,
    probe_every: usize,
}

impl ForwardPolicy {
    /// The policy of `cfg` (never switching unless the layer is on
    /// operator splitting and `cfg.ipm_forward_above` is finite).
    pub fn new(cfg: &SudokuConfig) -> Self {
        let above = match (cfg.solver, cfg.ipm_forward_above) {
            (Method::Admm, Some(a)) => a,
            _ => f64::INFINITY,
        };
        ForwardPolicy {
            solver: cfg.solver,
            above,
            on_ipm: false,
            since_probe: 0,
            probe_every: FORWARD_PROBE_EVERY,
        }
    }

    /// The method of the current state (for evaluations).
    pub fn current(&self) -> Method {
        if self.on_ipm {
            Method::InteriorPoint
        } else {
            self.solver
        }
    }

    /// The method of the next minibatch's forward solves.
    pub fn next_method(&mut self) -> Method {
        if !self.on_ipm {
            return self.solver;
        }
        self.since_probe += 1;
        if self.since_probe >= self.probe_every {
            self.since_probe = 0;
            self.solver
        } else {
            Method::InteriorPoint
        }
    }

    /// Records the mean iterations of a minibatch solved on the layer's
    /// method.
    pub fn observe(&mut self, mean_iterations: f64) {
        let was_on_ipm = self.on_ipm;
        self.on_ipm = mean_iterations > self.above;
        self.probe_every = match (was_on_ipm, self.on_ipm) {
            (true, true) => (2 * self.probe_every).min(FORWARD_PROBE_MAX),
            _ => FORWARD_PROBE_EVERY,
        };
        self.since_probe = 0;
    }
}

/// Tolerance of LPGD's perturbed operator-splitting solves
/// ([`SudokuConfig::perturbed_eps`], `--perturbed-eps`;
/// [`DiffBatch::set_perturbed_tolerance`]; the interior point keeps its
/// own). Measured on a minibatch of 32 paper-preset puzzles at a model
/// from the first epoch (`τ = 1e4`, `ρ = 10`, perturbed step size 10),
/// against perturbed solves to 1e-7: the summed LPGD-average gradient
/// moved by 1.3% at 1e-4 (99 iterations per perturbed solve), 2.5% at 3e-4
/// (81), 5.5% at 1e-3 (58) and 9.6% at 3e-3 (40). Over four epochs of 3000
/// paper-preset puzzles (minibatches of 150, one thread, seed 0), 3e-3
/// against 1e-3 took 37–43 against 54–63 iterations per perturbed solve
/// of LPGD-average from the second epoch (LPGD-upper 44–52 against 61–81),
/// 63 s against 87 s of LPGD-average backward time and 37 s against 49 s
/// of LPGD-upper's, ending at train MSE 0.0736 against 0.0739 and 0.0916
/// against 0.0917 (LPGD-lower: 0.0910 against 0.0889, 31 s against 41 s);
/// 1e-2 took about half the backward time of 1e-3, ending at 0.0729 and
/// 0.0913. In the full preset (fourteenth session) the three LPGD methods'
/// backward time went from 1126 s to 768 s.
const PERTURBED_EPS: f64 = 3e-3;

fn layer(model: &Model, cfg: &SudokuConfig, forward: Method) -> Result<DiffBatch, ExperimentError> {
    let (solver, eps) = (cfg.solver, cfg.train_eps);
    // The dual normal equations (bounds eliminated, the learned rows
    // dense) are what `Auto` chooses for the interior point at both board
    // sizes; asked for directly, every minibatch's setup skips the sparse
    // analysis that `Auto` compares them with.
    let mut settings = Settings {
        method: solver,
        kkt_backend: KktBackend::DualNormalEquations,
        ..Settings::default()
    };
    settings.admm.scale = FORWARD_SCALE;
    settings.admm.eps_abs = ADMM_EPS;
    settings.admm.eps_rel = ADMM_EPS;
    settings.admm.eps_feas = ADMM_EPS;
    if solver == Method::Admm {
        // The interior-point forward solves of [`ForwardPolicy`] stop at
        // the same tolerances.
        settings.eps_abs = ADMM_EPS;
        settings.eps_rel = ADMM_EPS;
        settings.eps_feas = ADMM_EPS;
        settings.refine_reltol = IPM_REFINE_TOL;
        settings.refine_abstol = IPM_REFINE_TOL;
    }
    if let Some(eps) = eps {
        for e in [
            &mut settings.eps_abs,
            &mut settings.eps_rel,
            &mut settings.eps_feas,
            &mut settings.admm.eps_abs,
            &mut settings.admm.eps_rel,
            &mut settings.admm.eps_feas,
        ] {
            *e = eps;
        }
    }
    let diff_err = |source| ExperimentError::Diff {
        context: "Sudoku layer".into(),
        source,
    };
    let mut batch = DiffBatch::new(model.problem()?, settings).map_err(diff_err)?;
    batch
        .set_perturbed_scale(Some(PERTURBED_SCALE))
        .map_err(diff_err)?;
    if solver == Method::Admm {
        batch
            .set_perturbed_tolerance(Some(cfg.perturbed_eps))
            .map_err(diff_err)?;
    }
    batch.set_forward_method(forward).map_err(diff_err)?;
    Ok(batch)
}

/// Where the forward solve of a puzzle starts: its solution of the previous
/// epoch (`warm`) on operator splitting, at the initial step size, cold
/// otherwise. Starting at the step size the previous solve ended with
/// ([`Start::PointAt`]) took more iterations: on 3000 puzzles
/// (LPGD-average, minibatches of 50, four epochs) 169, 198 and 136 per
/// forward solve in epochs 2 to 4 against 140, 113 and 62.
fn start_of<'a>(forward: Method, warm: Option<&'a Solution>) -> Start<'a> {
    match (forward, warm) {
        (Method::Admm, Some(w)) => Start::Point {
            x: &w.x,
            y: &w.y,
            s: &w.s,
        },
        _ => Start::Cold,
    }
}

/// The metrics of forward solves of a set of puzzles, to the tolerance of
/// the training forward solves (so that train and test metrics compare);
/// with `warm` (one entry per puzzle), the solves start from and replace
/// its solutions.
fn evaluate(
    model: &Model,
    cfg: &SudokuConfig,
    forward: Method,
    (puzzles, clues): (&[Puzzle], &[Vec<f64>]),
    warm: Option<&mut [Option<Solution>]>,
) -> Result<SetMetrics, ExperimentError> {
    let n = cfg.n;
    let batch = layer(model, cfg, forward)?;
    let b = model.rhs();
    let solutions = {
        let starts = warm.as_deref();
        let items: Vec<BatchInstance> = clues
            .iter()
            .enumerate()
            .map(|(i, c)| BatchInstance {
                c,
                b: &b,
                loss: None,
                start: start_of(forward, starts.and_then(|w| w[i].as_ref())),
            })
            .collect();
        batch.forward(&items)
    };
    let solved: Vec<Option<Solution>> = solutions
        .into_iter()
        .map(|r| r.ok().filter(|s| s.status.is_solved()))
        .collect();
    let xs: Vec<Option<Vec<f64>>> = solved
        .iter()
        .map(|s| s.as_ref().map(|s| s.x.clone()))
        .collect();
    if let Some(warm) = warm {
        for (w, s) in warm.iter_mut().zip(solved) {
            if s.is_some() {
                *w = s;
            }
        }
    }
    Ok(metrics(puzzles, &xs, n))
}

/// The costs `−e` (negated one-hot clues) of a set of puzzles.
fn costs(set: &[Puzzle], n: usize) -> Vec<Vec<f64>> {
    set.iter()
        .map(|p| one_hot(&p.clues, n).into_iter().map(|v| -v).collect())
        .collect()
}

/// The initial model of every method (drawn from `rng`).
fn initial_model(cfg: &SudokuConfig, rng: &mut Rng) -> Model {
    Model::new(cfg.rows, cfg.n * cfg.n * cfg.n, rng)
}

/// The seed of the model's initialization and of the minibatch order.
fn training_rng(cfg: &SudokuConfig) -> Rng {
    Rng(cfg.seed ^ 0x005E_ED0F_5D0C)
}

/// The epoch-0 record: the metrics of the initial model, which every
/// method starts from (so [`run`] evaluates it once).
pub fn initial_record(
    cfg: &SudokuConfig,
    (train, test): (&[Puzzle], &[Puzzle]),
) -> Result<EpochRecord, ExperimentError> {
    let n = cfg.n;
    let model = initial_model(cfg, &mut training_rng(cfg));
    Ok(EpochRecord {
        epoch: 0,
        train: evaluate(&model, cfg, cfg.solver, (train, &costs(train, n)), None)?,
        test: evaluate(&model, cfg, cfg.solver, (test, &costs(test, n)), None)?,
        forward_s: 0.0,
        backward_s: 0.0,
        backward_failures: 0,
        forward_iterations: 0.0,
        ipm_forward_share: 0.0,
        ipm_forward_iterations: 0.0,
        perturbed_iterations: 0.0,
    })
}

/// Trains one method from the initial model, whose metrics `start` are
/// ([`initial_record`]); `bar` (if any) advances by one per minibatch, and
/// `on_epoch` sees the run after every epoch (to save partial results).
pub fn train(
    cfg: &SudokuConfig,
    method: SudokuMethod,
    (train, test): (&[Puzzle], &[Puzzle]),
    start: EpochRecord,
    bar: Option<&ProgressBar>,
    on_epoch: &mut dyn FnMut(&SudokuRun) -> Result<(), ExperimentError>,
) -> Result<SudokuRun, ExperimentError> {
    let n = cfg.n;
    let nvar = n * n * n;
    let (train_c, test_c) = (costs(train, n), costs(test, n));
    let targets: Vec<Vec<f64>> = train.iter().map(|p| one_hot(&p.solution, n)).collect();
    let mut rng = training_rng(cfg);
    let mut model = initial_model(cfg, &mut rng);
    let lr = if method == SudokuMethod::Gd {
        cfg.gd_lr
    } else {
        cfg.lpgd_lr
    };
    let mut adam = Adam::new(model.theta.len(), lr);
    let mode = mode_of(cfg, method);
    let mut run = SudokuRun {
        method,
        epochs: vec![start],
    };
    let mut order: Vec<usize> = (0..train.len()).collect();
    let (mut fwd_total, mut bwd_total) = (0.0, 0.0);
    let mut policy = ForwardPolicy::new(cfg);
    // Each puzzle's last solution, the start of its next forward solve.
    let mut warm: Vec<Option<Solution>> = vec![None; train.len()];
    let mut test_warm: Vec<Option<Solution>> = vec![None; test.len()];
    for epoch in 1..=cfg.epochs {
        rng.shuffle(&mut order);
        let mut xs: Vec<Option<Vec<f64>>> = vec![None; train.len()];
        let mut failures = 0;
        let (mut fwd_iters, mut fwd_solves) = (0u64, 0u64);
        let (mut ipm_iters, mut ipm_solves) = (0u64, 0u64);
        let (mut pert_iters, mut pert_solves) = (0u64, 0u64);
        for chunk in order.chunks(cfg.batch) {
            let start = Instant::now();
            let forward = policy.next_method();
            let batch = layer(&model, cfg, forward)?;
            let b = model.rhs();
            let items: Vec<BatchInstance> = chunk
                .iter()
                .map(|&i| BatchInstance {
                    c: &train_c[i],
                    b: &b,
                    loss: None,
                    start: start_of(forward, warm[i].as_ref()),
                })
                .collect();
            let results = batch.forward_backward_with(&items, mode, |k, sol| {
                let t = &targets[chunk[k]];
                let scale = 2.0 / nvar as f64;
                Some(LossGrad::on_x(
                    sol.x.iter().zip(t).map(|(x, y)| scale * (x - y)).collect(),
                ))
            });
            let wall = start.elapsed().as_secs_f64();
            let mut grads = Vec::with_capacity(chunk.len());
            let (mut fwd, mut bwd, mut used) = (0.0, 0.0, 0usize);
            let (mut batch_iters, mut batch_solves) = (0u64, 0u64);
            for (&i, r) in chunk.iter().zip(results) {
                let Ok(r) = r else {
                    failures += 1;
                    continue;
                };
                fwd += r.forward_time_s;
                if forward == cfg.solver {
                    fwd_iters += u64::from(r.solution.iterations);
                    fwd_solves += 1;
                    batch_iters += u64::from(r.solution.iterations);
                    batch_solves += 1;
                } else {
                    ipm_iters += u64::from(r.solution.iterations);
                    ipm_solves += 1;
                }
                if let Some(bw) = &r.backward {
                    for &(_, _, it) in &bw.info.solves {
                        pert_iters += u64::from(it);
                        pert_solves += 1;
                    }
                }
                let solved = r.solution.status.is_solved();
                match r.backward {
                    Some(bw) if solved => {
                        bwd += bw.info.time_s;
                        grads.push(bw.grad);
                        used += 1;
                    }
                    _ => failures += 1,
                }
                if solved {
                    xs[i] = Some(r.solution.x.clone());
                    if cfg.warm_start {
                        warm[i] = Some(r.solution);
                    }
                }
            }
            // The batch's wall time, split in proportion to the summed
            // per-instance forward and backward times.
            let share = if fwd + bwd > 0.0 {
                fwd / (fwd + bwd)
            } else {
                1.0
            };
            fwd_total += wall * share;
            bwd_total += wall * (1.0 - share);
            if forward == cfg.solver {
                policy.observe(mean(batch_iters, batch_solves));
            }
            let mut grad = vec![0.0; model.theta.len()];
            let terms: Vec<(&[f64], &[f64])> = grads.iter().map(|g| (&g.a[..], &g.b[..])).collect();
            model.accumulate(&mut grad, &terms);
            if used > 0 {
                let scale = 1.0 / used as f64;
                grad.iter_mut().for_each(|g| *g *= scale);
                adam.step(&mut model.theta, &grad);
            }
            if let Some(bar) = bar {
                bar.inc(1);
            }
        }
        let train_metrics = metrics(train, &xs, n);
        let test_metrics = evaluate(
            &model,
            cfg,
            policy.current(),
            (test, &test_c),
            cfg.warm_start.then_some(&mut test_warm[..]),
        )?;
        if let Some(bar) = bar {
            bar.set_message(format!(
                "{} epoch {epoch}: train MSE {:.4}, test error {:.3}, iterations {:.0} forward / {:.0} perturbed",
                method.as_str(),
                train_metrics.mse,
                test_metrics.error,
                mean(fwd_iters, fwd_solves),
                mean(pert_iters, pert_solves)
            ));
        }
        run.epochs.push(EpochRecord {
            epoch,
            train: train_metrics,
            test: test_metrics,
            forward_s: fwd_total,
            backward_s: bwd_total,
            backward_failures: failures,
            forward_iterations: mean(fwd_iters, fwd_solves),
            ipm_forward_share: ipm_solves as f64 / (ipm_solves + fwd_solves).max(1) as f64,
            ipm_forward_iterations: mean(ipm_iters, ipm_solves),
            perturbed_iterations: mean(pert_iters, pert_solves),
        });
        on_epoch(&run)?;
    }
    Ok(run)
}

fn mean(total: u64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total as f64 / count as f64
    }
}

/// Everything [`run`] computed and wrote.
pub type SudokuOutput = TrainingOutput<SudokuRun>;

fn validate(cfg: &SudokuConfig) -> Result<(), ExperimentError> {
    require(cfg.n == 4 || cfg.n == 9, "n", cfg.n, "4 or 9")?;
    require(cfg.rows >= 1, "rows", cfg.rows, "at least 1")?;
    require(cfg.train >= 1, "train", cfg.train, "at least 1")?;
    require(cfg.test >= 1, "test", cfg.test, "at least 1")?;
    require(cfg.batch >= 1, "batch", cfg.batch, "at least 1")?;
    for (name, v) in [
        ("tau", cfg.tau),
        ("lpgd-lr", cfg.lpgd_lr),
        ("gd-lr", cfg.gd_lr),
    ] {
        require(v > 0.0 && v.is_finite(), name, v, "positive and finite")?;
    }
    for (name, v) in [("lpgd-rho", cfg.lpgd_rho), ("gd-rho", cfg.gd_rho)] {
        require(v >= 0.0 && v.is_finite(), name, v, "nonnegative and finite")?;
    }
    if let Some(v) = cfg.ipm_forward_above {
        require(v >= 0.0, "ipm-forward-above", v, "nonnegative")?;
    }
    if let Some(v) = cfg.train_eps {
        require(
            v > 0.0 && v.is_finite(),
            "train-eps",
            v,
            "positive and finite",
        )?;
    }
    require(
        cfg.perturbed_eps > 0.0 && cfg.perturbed_eps.is_finite(),
        "perturbed-eps",
        cfg.perturbed_eps,
        "positive and finite",
    )?;
    require(!cfg.methods.is_empty(), "methods", "[]", "at least one")
}

/// Writes `curves.csv` and `table.md` for the runs so far (after every
/// epoch, so an interrupted run keeps its results); returns their paths and
/// the table.
fn write_tables(
    cfg: &SudokuConfig,
    runs: &[SudokuRun],
) -> Result<(PathBuf, PathBuf, String), ExperimentError> {
    let mut rows = Vec::new();
    for r in runs {
        for e in &r.epochs {
            for (set, m) in [("train", e.train), ("test", e.test)] {
                rows.push(format!(
                    "{},{},{set},{},{},{},{},{},{},{},{},{},{},{}",
                    r.method.as_str(),
                    e.epoch,
                    m.mse,
                    m.error,
                    m.violated,
                    m.failed,
                    e.forward_s,
                    e.backward_s,
                    e.backward_failures,
                    e.forward_iterations,
                    e.perturbed_iterations,
                    e.ipm_forward_share,
                    e.ipm_forward_iterations
                ));
            }
        }
    }
    let csv = cfg.out.join("curves.csv");
    write_csv(
        &csv,
        "method,epoch,set,mse,error,violated,failed_solves,forward_s,backward_s,backward_failures,forward_iterations,perturbed_iterations,ipm_forward_share,ipm_forward_iterations",
        &rows,
    )?;
    let mut table = String::from(
        "| method | train MSE | test MSE | train error | test error | test violated | forward s | backward s |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in runs {
        if let Some(e) = r.epochs.last() {
            table += &format!(
                "| {} | {:.5} | {:.5} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} |\n",
                r.method.as_str(),
                e.train.mse,
                e.test.mse,
                e.train.error,
                e.test.error,
                e.test.violated,
                e.forward_s,
                e.backward_s
            );
        }
    }
    let done =
        runs.len() == cfg.methods.len() && runs.iter().all(|r| r.epochs.len() == cfg.epochs + 1);
    let progress = match runs.last() {
        Some(r) if !done => format!(
            " (in progress: {} at epoch {})",
            r.method.as_str(),
            r.epochs.len() - 1
        ),
        _ => String::new(),
    };
    let table_md = cfg.out.join("table.md");
    write_text(
        &table_md,
        &format!(
            "Sudoku {n}×{n}, {} training / {} test puzzles, {} epochs, m = {}, {}{progress}\n\n{table}",
            cfg.train,
            cfg.test,
            cfg.epochs,
            cfg.rows,
            match cfg.solver {
                Method::Admm => "operator splitting",
                _ => "interior point",
            },
            n = cfg.n
        ),
    )?;
    Ok((csv, table_md, table))
}

/// Generates the puzzles, trains every method and writes `curves.csv` (per
/// method, epoch and set), `table.md`, and `sudoku.png`/`sudoku.svg`
/// (train MSE and test error over epochs, train MSE over backward wall
/// time) into `cfg.out`.
pub fn run(cfg: &SudokuConfig) -> Result<SudokuOutput, ExperimentError> {
    validate(cfg)?;
    let puzzles = generate_puzzles(cfg.n, cfg.train + cfg.test, cfg.seed);
    let (train_set, test_set) = puzzles.split_at(cfg.train);
    let steps = cfg.train.div_ceil(cfg.batch) * cfg.epochs * cfg.methods.len();
    let bar = cfg.progress.then(|| {
        let bar = ProgressBar::new(steps as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} minibatches  {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let start = initial_record(cfg, (train_set, test_set))?;
    create_dir(&cfg.out)?;
    let mut runs: Vec<SudokuRun> = Vec::new();
    for &method in &cfg.methods {
        let run = train(
            cfg,
            method,
            (train_set, test_set),
            start,
            bar.as_ref(),
            &mut |partial| {
                let mut so_far = runs.clone();
                so_far.push(partial.clone());
                write_tables(cfg, &so_far).map(|_| ())
            },
        )?;
        runs.push(run);
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    let (csv, table_md, table) = write_tables(cfg, &runs)?;
    let curve = |f: &dyn Fn(&EpochRecord) -> (f64, f64)| -> Vec<Series> {
        runs.iter()
            .enumerate()
            .map(|(k, r)| Series {
                label: r.method.as_str().into(),
                color: PALETTE[k % PALETTE.len()],
                points: r.epochs.iter().map(f).collect(),
            })
            .collect()
    };
    let panels = vec![
        Panel {
            title: "train MSE".into(),
            x_label: "epoch".into(),
            y_label: "MSE".into(),
            series: curve(&|e| (e.epoch as f64, e.train.mse)),
        },
        Panel {
            title: "test error".into(),
            x_label: "epoch".into(),
            y_label: "fraction of boards wrong".into(),
            series: curve(&|e| (e.epoch as f64, e.test.error)),
        },
        Panel {
            title: "train MSE over backward time".into(),
            x_label: "backward wall time (s)".into(),
            y_label: "MSE".into(),
            series: curve(&|e| (e.backward_s, e.train.mse)),
        },
    ];
    let (png, svg) = (cfg.out.join("sudoku.png"), cfg.out.join("sudoku.svg"));
    let labelled = plot::draw(&panels, (1, 3), (1260, 380), &png, &svg)?;
    Ok(TrainingOutput {
        runs,
        table,
        files: vec![csv, table_md, png, svg],
        labelled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puzzles_have_unique_valid_solutions() {
        for n in [4, 9] {
            let puzzles = generate_puzzles(n, 3, 11);
            for p in &puzzles {
                assert_eq!(violated_fraction(&p.solution, n), 0.0);
                for (c, s) in p.clues.iter().zip(&p.solution) {
                    assert!(*c == 0 || c == s);
                }
                assert_eq!(count_solutions(&mut p.clues.clone(), n, 2), 1);
                assert!(p.clues.contains(&0));
            }
            assert_eq!(puzzles, generate_puzzles(n, 3, 11));
        }
    }

    #[test]
    fn encoding_round_trips() {
        let p = generate_puzzle(4, &mut Rng(2));
        let x = one_hot(&p.solution, 4);
        assert_eq!(x.iter().sum::<f64>(), 16.0);
        assert_eq!(argmax_board(&x, 4), p.solution);
        let mut wrong = p.solution.clone();
        wrong.swap(0, 1);
        assert!(violated_fraction(&wrong, 4) > 0.0);
    }

    /// The batched, parallel accumulation gives the bits of adding the
    /// instances' terms one after the other (the chain rule through
    /// `A` and `b = A z₀` entry by entry).
    #[test]
    fn gradient_accumulation_adds_instances_in_order() {
        let mut rng = Rng(5);
        let (m, nv) = (7, 70);
        let mut model = Model::new(m, nv, &mut rng);
        model.theta[m * nv..]
            .iter_mut()
            .for_each(|w| *w = rng.normal());
        let data: Vec<(Vec<f64>, Vec<f64>)> = (0..5)
            .map(|_| {
                let da = (0..nv * (m + 2)).map(|_| rng.normal()).collect();
                let db = (0..m + 2 * nv).map(|_| rng.normal()).collect();
                (da, db)
            })
            .collect();
        let start: Vec<f64> = (0..model.theta.len()).map(|_| rng.normal()).collect();
        let z0 = model.z0();
        let mut want = start.clone();
        for (da, db) in &data {
            let (ga, gw) = want.split_at_mut(m * nv);
            for j in 0..nv {
                for i in 0..m {
                    ga[i * nv + j] += da[j * (m + 2) + i] + db[i] * z0[j];
                }
            }
            for j in 0..nv {
                let dz: f64 = (0..m).map(|i| model.theta[i * nv + j] * db[i]).sum();
                gw[j] += dz * z0[j] * (1.0 - z0[j]);
            }
        }
        let terms: Vec<(&[f64], &[f64])> = data.iter().map(|(a, b)| (&a[..], &b[..])).collect();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut got = start.clone();
            pool.install(|| model.accumulate(&mut got, &terms));
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{threads} threads");
        }
    }
}
