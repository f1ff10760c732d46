//! LPGD for black-box solvers of linear programs over arbitrary (e.g.
//! combinatorial) sets,
//!
//! ```text
//! x*(c) = argmin_{x ∈ X} ⟨c, x⟩,    L(x, c) = ⟨c, x⟩,    ∇_c L = x,
//! ```
//!
//! which need nothing but the solver ([`LinearOracle`]). The true gradient
//! of `c ↦ ℓ(x*(c))` is zero almost everywhere; LPGD's (paper eq. 16, 22)
//! is not:
//!
//! ```text
//! lower:    (x*(c + τ∇ℓ) − x*(c)) / τ        (= Blackbox Backpropagation, eq. 25)
//! upper:    (x*(c) − x*(c − τ∇ℓ)) / τ
//! average:  (x*(c + τ∇ℓ) − x*(c − τ∇ℓ)) / 2τ
//! ```
//!
//! **Augmentation.** `ρ/2‖x − x*‖²` is linear in `x` on the sets used here:
//! on `X ⊆ {0, 1}ⁿ`, `‖x‖² = ⟨1, x⟩`, so the augmented cost is
//! `c + ρ(½·1 − x*)` ([`Domain::Binary`]); on sets of constant norm (the
//! permutations of a ranking) it is `c − ρx*` ([`Domain::ConstantNorm`]).
//! Oracles over other sets ([`Domain::General`]) accept only `ρ = 0`.
//!
//! Shipped oracles: [`GridShortestPath`] (Dijkstra on a directed grid) and
//! [`TopK`] / [`Ranking`] (sorting).

use crate::error::{check_tau_rho, check_vec, DiffError};
use crate::lpgd::{Envelope, Fallback, LpgdSettings};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The feasible set's structure, for the augmentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// `X ⊆ {0, 1}ⁿ`.
    Binary,
    /// `‖x‖` is the same for every `x ∈ X`.
    ConstantNorm,
    /// Anything else (no augmentation).
    General,
}

/// A solver of `argmin_{x ∈ X} ⟨c, x⟩`.
pub trait LinearOracle: Sync {
    /// Length of `c` and `x`.
    fn dim(&self) -> usize;
    /// The structure of `X`.
    fn domain(&self) -> Domain;
    /// Writes a minimizer for `c` into `x` (deterministic tie-breaking).
    fn solve(&self, c: &[f64], x: &mut [f64]) -> Result<(), DiffError>;
}

/// The minimizer of `⟨c, x⟩` as a new vector, after checking `c`.
pub fn solve<O: LinearOracle + ?Sized>(oracle: &O, c: &[f64]) -> Result<Vec<f64>, DiffError> {
    check_vec(c, oracle.dim(), "c")?;
    let mut x = vec![0.0; oracle.dim()];
    oracle.solve(c, &mut x)?;
    Ok(x)
}

/// LPGD gradient with respect to `c` of a loss with gradient `dx` at the
/// solution `xstar = x*(c)`.
///
/// ```
/// use lpgd_diff::oracle::{backward, TopK};
/// use lpgd_diff::{Envelope, LpgdSettings};
/// // Select the 1 smallest of three costs; the loss wants item 2 selected.
/// let topk = TopK::new(3, 1);
/// let c = [0.0, 1.0, 0.5];
/// let xstar = lpgd_diff::oracle::solve(&topk, &c).unwrap();
/// assert_eq!(xstar, [1.0, 0.0, 0.0]);
/// let dx = [0.0, 0.0, -1.0];
/// let s = LpgdSettings { tau: 1.0, rho: 0.0, envelope: Envelope::Lower, ..Default::default() };
/// let g = backward(&topk, &c, &xstar, &dx, s).unwrap();
/// // c + τ·dx = (0, 1, −0.5) selects item 2: the gradient lowers c₂, raises c₀.
/// assert_eq!(g, [-1.0, 0.0, 1.0]);
/// ```
pub fn backward<O: LinearOracle + ?Sized>(
    oracle: &O,
    c: &[f64],
    xstar: &[f64],
    dx: &[f64],
    s: LpgdSettings,
) -> Result<Vec<f64>, DiffError> {
    let n = oracle.dim();
    check_vec(c, n, "c")?;
    check_vec(xstar, n, "x*")?;
    check_vec(dx, n, "dx")?;
    check_tau_rho(Some(s.tau), s.rho)?;
    let base = augmented_cost(oracle, c, xstar, s.rho)?;
    let side = |sigma: f64| -> Result<Vec<f64>, DiffError> {
        let cp: Vec<f64> = base
            .iter()
            .zip(dx)
            .map(|(b, d)| b + sigma * s.tau * d)
            .collect();
        let mut x = vec![0.0; n];
        oracle.solve(&cp, &mut x)?;
        Ok(x)
    };
    let diff = |a: &[f64], b: &[f64], scale: f64| -> Vec<f64> {
        a.iter().zip(b).map(|(u, v)| scale * (u - v)).collect()
    };
    match s.envelope {
        Envelope::Lower => Ok(diff(&side(1.0)?, xstar, 1.0 / s.tau)),
        Envelope::Upper => Ok(diff(xstar, &side(-1.0)?, 1.0 / s.tau)),
        Envelope::Average => {
            let (p, m) = rayon::join(|| side(1.0), || side(-1.0));
            match (p, m, s.fallback) {
                (Ok(p), Ok(m), _) => Ok(diff(&p, &m, 0.5 / s.tau)),
                (Ok(p), Err(_), Fallback::OneSided) => Ok(diff(&p, xstar, 1.0 / s.tau)),
                (Err(_), Ok(m), Fallback::OneSided) => Ok(diff(xstar, &m, 1.0 / s.tau)),
                (Err(e), _, _) | (_, Err(e), _) => Err(e),
            }
        }
    }
}

/// `(x*(c), LPGD gradient)` of one instance.
pub type SolutionAndGrad = (Vec<f64>, Vec<f64>);

/// Forward and LPGD backward for many `(c, dx)` pairs in parallel; each
/// instance reports its own result.
pub fn backward_batch<O: LinearOracle + ?Sized>(
    oracle: &O,
    items: &[(&[f64], &[f64])],
    s: LpgdSettings,
) -> Vec<Result<SolutionAndGrad, DiffError>> {
    items
        .par_iter()
        .map(|(c, dx)| {
            let xstar = solve(oracle, c)?;
            let g = backward(oracle, c, &xstar, dx, s)?;
            Ok((xstar, g))
        })
        .collect()
}

/// `c` plus the linearized augmentation `ρ/2‖x − x*‖²`.
fn augmented_cost<O: LinearOracle + ?Sized>(
    oracle: &O,
    c: &[f64],
    xstar: &[f64],
    rho: f64,
) -> Result<Vec<f64>, DiffError> {
    if rho == 0.0 {
        return Ok(c.to_vec());
    }
    match oracle.domain() {
        Domain::Binary => Ok(c
            .iter()
            .zip(xstar)
            .map(|(c, x)| c + rho * (0.5 - x))
            .collect()),
        Domain::ConstantNorm => Ok(c.iter().zip(xstar).map(|(c, x)| c - rho * x).collect()),
        Domain::General => Err(DiffError::InvalidSetting {
            name: "rho",
            value: rho,
            reason: "this oracle's feasible set has no linear augmentation; use rho = 0",
        }),
    }
}

/// Shortest path from the top-left to the bottom-right vertex of a
/// `rows × cols` grid whose edges point right and down (the layout of the
/// PyEPO shortest-path benchmark). Edge `e` of vertex `(i, j)` (row-major
/// vertex `v = i·cols + j`) is listed in vertex order, each vertex's right
/// edge before its down edge; `x_e = 1` if the path uses edge `e`.
///
/// Dijkstra's algorithm (binary heap) when every cost is nonnegative;
/// otherwise — LPGD's perturbed costs can be negative — the exact
/// recursion over the grid's topological order (the graph is acyclic).
/// Ties go to the smaller predecessor index.
#[derive(Debug, Clone)]
pub struct GridShortestPath {
    rows: usize,
    cols: usize,
    /// `(from, to)` per edge.
    edges: Vec<(usize, usize)>,
    /// Incoming edges per vertex.
    incoming: Vec<Vec<usize>>,
    /// Outgoing edges per vertex.
    outgoing: Vec<Vec<usize>>,
}

impl GridShortestPath {
    /// The grid with `rows × cols ≥ 2` vertices.
    pub fn new(rows: usize, cols: usize) -> Result<Self, DiffError> {
        if rows == 0 || cols == 0 || rows * cols < 2 {
            return Err(DiffError::InvalidSetting {
                name: "grid size",
                value: (rows * cols) as f64,
                reason: "needs at least two vertices",
            });
        }
        let nv = rows * cols;
        let mut edges = Vec::new();
        let mut incoming = vec![Vec::new(); nv];
        let mut outgoing = vec![Vec::new(); nv];
        for i in 0..rows {
            for j in 0..cols {
                let v = i * cols + j;
                if j + 1 < cols {
                    outgoing[v].push(edges.len());
                    incoming[v + 1].push(edges.len());
                    edges.push((v, v + 1));
                }
                if i + 1 < rows {
                    outgoing[v].push(edges.len());
                    incoming[v + cols].push(edges.len());
                    edges.push((v, v + cols));
                }
            }
        }
        Ok(GridShortestPath {
            rows,
            cols,
            edges,
            incoming,
            outgoing,
        })
    }

    /// `(from, to)` vertices of every edge.
    pub fn edges(&self) -> &[(usize, usize)] {
        &self.edges
    }

    /// Grid shape.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Predecessor edge of every vertex on shortest paths from vertex 0.
    fn predecessors(&self, c: &[f64]) -> Vec<usize> {
        let nv = self.rows * self.cols;
        let mut dist = vec![f64::INFINITY; nv];
        let mut pred = vec![usize::MAX; nv];
        dist[0] = 0.0;
        if c.iter().all(|&w| w >= 0.0) {
            let mut heap = BinaryHeap::new();
            heap.push(State {
                dist: 0.0,
                vertex: 0,
            });
            let mut done = vec![false; nv];
            while let Some(State { dist: d, vertex: v }) = heap.pop() {
                if done[v] {
                    continue;
                }
                done[v] = true;
                for &e in &self.outgoing[v] {
                    let w = self.edges[e].1;
                    let nd = d + c[e];
                    if nd < dist[w] || (nd == dist[w] && e < pred[w]) {
                        dist[w] = nd;
                        pred[w] = e;
                        heap.push(State {
                            dist: nd,
                            vertex: w,
                        });
                    }
                }
            }
        } else {
            // Row-major order is topological (edges go right or down).
            for w in 1..nv {
                for &e in &self.incoming[w] {
                    let nd = dist[self.edges[e].0] + c[e];
                    if nd < dist[w] || (nd == dist[w] && e < pred[w]) {
                        dist[w] = nd;
                        pred[w] = e;
                    }
                }
            }
        }
        pred
    }
}

/// A heap entry ordered by increasing distance, then vertex.
#[derive(Debug, Clone, Copy, PartialEq)]
struct State {
    dist: f64,
    vertex: usize,
}
impl Eq for State {}
impl Ord for State {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .dist
            .total_cmp(&self.dist)
            .then_with(|| other.vertex.cmp(&self.vertex))
    }
}
impl PartialOrd for State {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl LinearOracle for GridShortestPath {
    fn dim(&self) -> usize {
        self.edges.len()
    }

    fn domain(&self) -> Domain {
        Domain::Binary
    }

    fn solve(&self, c: &[f64], x: &mut [f64]) -> Result<(), DiffError> {
        check_vec(c, self.dim(), "edge costs")?;
        let pred = self.predecessors(c);
        x.fill(0.0);
        let mut v = self.rows * self.cols - 1;
        while v != 0 {
            let e = pred[v];
            if e == usize::MAX {
                return Err(DiffError::Oracle("sink unreachable".into()));
            }
            x[e] = 1.0;
            v = self.edges[e].0;
        }
        Ok(())
    }
}

/// Top-`k` selection: `x*(c)` is the indicator of the `k` smallest entries
/// of `c` (`argmin ⟨c, x⟩` over `x ∈ {0, 1}ⁿ`, `Σx = k`; ties to the
/// smaller index). For "top-k by score `θ`" use `c = −θ`.
#[derive(Debug, Clone, Copy)]
pub struct TopK {
    n: usize,
    k: usize,
}

impl TopK {
    /// Selection of `k ≤ n` out of `n`.
    pub fn new(n: usize, k: usize) -> Self {
        TopK { n, k: k.min(n) }
    }
}

fn ascending(c: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..c.len()).collect();
    idx.sort_by(|&a, &b| c[a].total_cmp(&c[b]).then(a.cmp(&b)));
    idx
}

impl LinearOracle for TopK {
    fn dim(&self) -> usize {
        self.n
    }

    fn domain(&self) -> Domain {
        Domain::Binary
    }

    fn solve(&self, c: &[f64], x: &mut [f64]) -> Result<(), DiffError> {
        check_vec(c, self.n, "scores")?;
        x.fill(0.0);
        for &i in ascending(c).iter().take(self.k) {
            x[i] = 1.0;
        }
        Ok(())
    }
}

/// Ranking: `x*(c) = argmin ⟨c, π⟩` over the permutations `π` of
/// `(1, …, n)`: the smallest entry of `c` gets rank `n`, the largest rank
/// `1` (rearrangement inequality; ties to the smaller index). For ranks of
/// scores `θ` in decreasing order (rank 1 = best) use `c = θ`.
#[derive(Debug, Clone, Copy)]
pub struct Ranking {
    n: usize,
}

impl Ranking {
    /// Rankings of `n` items.
    pub fn new(n: usize) -> Self {
        Ranking { n }
    }
}

impl LinearOracle for Ranking {
    fn dim(&self) -> usize {
        self.n
    }

    fn domain(&self) -> Domain {
        Domain::ConstantNorm
    }

    fn solve(&self, c: &[f64], x: &mut [f64]) -> Result<(), DiffError> {
        check_vec(c, self.n, "scores")?;
        for (pos, &i) in ascending(c).iter().enumerate() {
            x[i] = (self.n - pos) as f64;
        }
        Ok(())
    }
}
