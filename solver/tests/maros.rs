//! Maros-Meszaros QPs with rows + cols ≤ 1000 reach their reference objective
//! to 1e-6 relative (|f − f_ref| / max(1, |f_ref|)).
//!
//! The data are found through `LPGD_SHARED_DIR` (a directory holding
//! `data/maros_meszaros`) or `../shared` next to the workspace; the test
//! prints a note and passes when they are absent.

use lpgd_solver::{io, Settings, Solver};
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("LPGD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let dir = base.join("data/maros_meszaros");
    dir.join("reference.csv").exists().then_some(dir)
}

#[test]
fn maros_meszaros_small_reach_reference_objective() {
    let Some(dir) = data_dir() else {
        println!("note: Maros-Meszaros data not found (set LPGD_SHARED_DIR); skipping");
        return;
    };
    let csv = std::fs::read_to_string(dir.join("reference.csv")).unwrap();
    let settings = Settings::default();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (name, file) = (f[0], f[1]);
        let size: usize = f[2].parse::<usize>().unwrap() + f[3].parse::<usize>().unwrap();
        if size > 1000 {
            continue;
        }
        let mut reference: f64 = f[7].parse().unwrap();
        if name == "DPKLO1" {
            // reference.csv uses 0.71252221 (HiGHS and Clarabel through another
            // reader); the set's own table lists 0.37009622, which is the value
            // this reader's conversion attains (all 133 variables are free).
            reference = 0.37009622;
        }
        let prob = io::read_problem(dir.join(file)).unwrap_or_else(|e| panic!("{name}: {e}"));
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
