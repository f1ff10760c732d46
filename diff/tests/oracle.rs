//! Black-box oracles: exactness against brute force, and LPGD on them —
//! Blackbox Backpropagation (eq. 25), direct loss minimization (eq. 17–19)
//! and the augmentation, all reproduced exactly.

mod common;
use common::Rng;
use lpgd_diff::oracle::{
    backward, backward_batch, solve, Domain, GridShortestPath, LinearOracle, Ranking, TopK,
};
use lpgd_diff::{DiffError, Envelope, Fallback, LpgdSettings};

/// Every monotone (right/down) path of the grid as an edge indicator.
fn all_paths(g: &GridShortestPath) -> Vec<Vec<f64>> {
    let (rows, cols) = g.shape();
    let edge = |from: usize, to: usize| g.edges().iter().position(|&e| e == (from, to)).unwrap();
    let mut out = Vec::new();
    let moves = rows + cols - 2;
    for mask in 0u32..(1 << moves) {
        if mask.count_ones() as usize != rows - 1 {
            continue;
        }
        let mut x = vec![0.0; g.dim()];
        let (mut i, mut j) = (0, 0);
        for k in 0..moves {
            let v = i * cols + j;
            if mask >> k & 1 == 1 {
                i += 1;
                x[edge(v, v + cols)] = 1.0;
            } else {
                j += 1;
                x[edge(v, v + 1)] = 1.0;
            }
        }
        out.push(x);
    }
    out
}

fn brute_min(set: &[Vec<f64>], c: &[f64]) -> f64 {
    set.iter()
        .map(|x| x.iter().zip(c).map(|(a, b)| a * b).sum::<f64>())
        .fold(f64::INFINITY, f64::min)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

#[test]
fn shortest_path_is_optimal() {
    let mut rng = Rng(1);
    for (rows, cols) in [(2, 2), (3, 4), (5, 5), (4, 2)] {
        let g = GridShortestPath::new(rows, cols).unwrap();
        assert_eq!(g.dim(), rows * (cols - 1) + cols * (rows - 1));
        let paths = all_paths(&g);
        for trial in 0..50 {
            // Nonnegative costs (Dijkstra) and mixed-sign ones (the DAG recursion).
            let c: Vec<f64> = (0..g.dim())
                .map(|_| {
                    if trial % 2 == 0 {
                        rng.uniform()
                    } else {
                        rng.normal()
                    }
                })
                .collect();
            let x = solve(&g, &c).unwrap();
            assert!(paths.contains(&x), "not a path: {x:?}");
            assert!((dot(&x, &c) - brute_min(&paths, &c)).abs() < 1e-12);
        }
    }
}

fn subsets(n: usize, k: usize) -> Vec<Vec<f64>> {
    (0u32..(1 << n))
        .filter(|m| m.count_ones() as usize == k)
        .map(|m| (0..n).map(|i| f64::from(m >> i & 1)).collect())
        .collect()
}

fn permutations(n: usize) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    let mut p: Vec<f64> = (1..=n).map(|v| v as f64).collect();
    fn heap(k: usize, p: &mut Vec<f64>, out: &mut Vec<Vec<f64>>) {
        if k == 1 {
            out.push(p.clone());
            return;
        }
        for i in 0..k {
            heap(k - 1, p, out);
            let j = if k.is_multiple_of(2) { i } else { 0 };
            p.swap(j, k - 1);
        }
    }
    heap(n, &mut p, &mut out);
    out
}

#[test]
fn top_k_and_ranking_are_optimal() {
    let mut rng = Rng(2);
    for _ in 0..50 {
        let c = rng.vec(6);
        let topk = TopK::new(6, 2);
        assert!(
            (dot(&solve(&topk, &c).unwrap(), &c) - brute_min(&subsets(6, 2), &c)).abs() < 1e-12
        );
        let rank = Ranking::new(6);
        let x = solve(&rank, &c).unwrap();
        assert!((dot(&x, &c) - brute_min(&permutations(6), &c)).abs() < 1e-12);
    }
}

fn settings(envelope: Envelope, tau: f64, rho: f64) -> LpgdSettings {
    LpgdSettings {
        tau,
        rho,
        envelope,
        fallback: Fallback::Error,
    }
}

/// Eq. 25: LPGD-lower with ρ = 0 is Blackbox Backpropagation, bit for bit
/// (against brute-force minimizers); upper and average are the matching
/// differences.
#[test]
fn lpgd_is_blackbox_backpropagation() {
    let g = GridShortestPath::new(3, 4).unwrap();
    let paths = all_paths(&g);
    let argmin = |c: &[f64]| -> Vec<f64> {
        let best = brute_min(&paths, c);
        paths.iter().find(|x| dot(x, c) == best).unwrap().clone()
    };
    let mut rng = Rng(3);
    for _ in 0..30 {
        let c: Vec<f64> = (0..g.dim()).map(|_| rng.uniform()).collect();
        let dl = rng.vec(g.dim());
        let xstar = solve(&g, &c).unwrap();
        for tau in [0.05, 0.5, 5.0] {
            let plus: Vec<f64> = c.iter().zip(&dl).map(|(c, d)| c + tau * d).collect();
            let minus: Vec<f64> = c.iter().zip(&dl).map(|(c, d)| c - tau * d).collect();
            let (xp, xm) = (argmin(&plus), argmin(&minus));
            let lower = backward(&g, &c, &xstar, &dl, settings(Envelope::Lower, tau, 0.0)).unwrap();
            let upper = backward(&g, &c, &xstar, &dl, settings(Envelope::Upper, tau, 0.0)).unwrap();
            let avg = backward(&g, &c, &xstar, &dl, settings(Envelope::Average, tau, 0.0)).unwrap();
            for e in 0..g.dim() {
                assert_eq!(lower[e], (xp[e] - xstar[e]) / tau);
                assert_eq!(upper[e], (xstar[e] - xm[e]) / tau);
                assert_eq!(avg[e], (xp[e] - xm[e]) * (0.5 / tau));
            }
        }
    }
}

/// Eq. 17–19: for `x*(w) = argmin −⟨w, Ψ(x)⟩` with `Ψ(x) = x` over
/// top-k sets and the Hamming loss `ℓ(x) = Σ xᵢ(1 − 2x̂ᵢ) + Σ x̂ᵢ` (linear
/// on binary vectors), direct loss minimization's update
/// `(Ψ(x*) − Ψ(x_τ))/τ` with `x_τ = argmin −⟨w, x⟩ + τℓ(x)` (brute force)
/// equals LPGD-lower through `c = −w` (`∇_w = −∇_c`).
#[test]
fn lpgd_is_direct_loss_minimization() {
    let (n, k) = (7, 3);
    let set = subsets(n, k);
    let topk = TopK::new(n, k);
    let mut rng = Rng(4);
    for _ in 0..30 {
        let w = rng.vec(n);
        let target = &set[(rng.next() % set.len() as u64) as usize];
        let hamming = |x: &[f64]| -> f64 {
            x.iter()
                .zip(target)
                .map(|(a, t)| a * (1.0 - 2.0 * t) + t)
                .sum()
        };
        let c: Vec<f64> = w.iter().map(|v| -v).collect();
        let xstar = solve(&topk, &c).unwrap();
        let dl: Vec<f64> = target.iter().map(|t| 1.0 - 2.0 * t).collect();
        for tau in [0.1, 1.0, 3.0] {
            let obj = |x: &Vec<f64>| -dot(&w, x) + tau * hamming(x);
            let best = set.iter().map(obj).fold(f64::INFINITY, f64::min);
            let x_tau = set.iter().find(|x| obj(x) == best).unwrap();
            let dlm: Vec<f64> = xstar
                .iter()
                .zip(x_tau)
                .map(|(a, b)| (a - b) / tau)
                .collect();
            let grad_c =
                backward(&topk, &c, &xstar, &dl, settings(Envelope::Lower, tau, 0.0)).unwrap();
            for i in 0..n {
                assert!(
                    (-grad_c[i] - dlm[i]).abs() < 1e-12,
                    "τ {tau}: {grad_c:?} vs {dlm:?}"
                );
            }
        }
    }
}

/// The augmented perturbed problem `argmin ⟨c + τ∇ℓ, x⟩ + ρ/2‖x − x*‖²`
/// (brute force over the set) is what the linearized augmentation solves,
/// for binary sets (top-k) and constant-norm sets (rankings).
#[test]
fn augmentation_matches_brute_force() {
    let mut rng = Rng(5);
    let cases: [(&dyn LinearOracle, Vec<Vec<f64>>); 2] = [
        (&TopK::new(6, 2), subsets(6, 2)),
        (&Ranking::new(5), permutations(5)),
    ];
    for (oracle, set) in cases {
        assert_ne!(oracle.domain(), Domain::General);
        for _ in 0..30 {
            let n = oracle.dim();
            let c = rng.vec(n);
            let dl = rng.vec(n);
            let xstar = solve(oracle, &c).unwrap();
            for (tau, rho) in [(0.3, 1.0), (1.0, 0.5), (0.1, 4.0)] {
                let obj = |x: &Vec<f64>| {
                    let lin: f64 = x
                        .iter()
                        .zip(c.iter().zip(&dl))
                        .map(|(x, (c, d))| x * (c + tau * d))
                        .sum();
                    let dist: f64 = x.iter().zip(&xstar).map(|(a, b)| (a - b) * (a - b)).sum();
                    lin + 0.5 * rho * dist
                };
                let best = set.iter().map(obj).fold(f64::INFINITY, f64::min);
                let g =
                    backward(oracle, &c, &xstar, &dl, settings(Envelope::Lower, tau, rho)).unwrap();
                let xp: Vec<f64> = xstar.iter().zip(&g).map(|(x, g)| x + tau * g).collect();
                assert!(
                    (obj(&xp) - best).abs() < 1e-9,
                    "τ {tau} ρ {rho}: {} vs {best}",
                    obj(&xp)
                );
            }
        }
    }
}

#[test]
fn oracle_errors_are_typed() {
    let g = GridShortestPath::new(3, 3).unwrap();
    assert!(matches!(
        solve(&g, &[1.0; 3]),
        Err(DiffError::Dimension { .. })
    ));
    let mut c = vec![1.0; g.dim()];
    c[2] = f64::NAN;
    assert!(matches!(solve(&g, &c), Err(DiffError::NonFinite { .. })));
    assert!(GridShortestPath::new(1, 1).is_err());
    let ok = vec![1.0; g.dim()];
    let x = solve(&g, &ok).unwrap();
    let r = backward(&g, &ok, &x, &ok, settings(Envelope::Lower, 0.0, 0.0));
    assert!(matches!(r, Err(DiffError::InvalidSetting { .. })));
    // A batch reports per-instance errors.
    let short = [1.0; 2];
    let items: Vec<(&[f64], &[f64])> = vec![(&ok, &ok), (&short, &ok)];
    let out = backward_batch(&g, &items, settings(Envelope::Average, 1.0, 0.0));
    assert!(out[0].is_ok() && out[1].is_err());
}
