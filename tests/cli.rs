//! The `lpgd` binary's contract: `solve --json` prints exactly one JSON object
//! and exits 0 when the solver ran; unreadable or invalid input exits 2 with
//! a one-line message on stderr. Problems are written as JSON and MPS files.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// minimize x₁ + 2x₂ subject to x₁ + x₂ = 1, x ≥ 0 (optimum 1 at x = (1, 0)).
const TINY_MPS: &str = "\
NAME          TINY
ROWS
 N  obj
 E  c1
COLUMNS
    x1        obj       1.0        c1        1.0
    x2        obj       2.0        c1        1.0
RHS
    rhs       c1        1.0
ENDATA
";

/// minimize ½(x₁² + x₂²) + x₁ − x₂ subject to x₁ + x₂ = 1, x ≥ 0
/// (optimum −½ at x = (0, 1)), in the JSON standard form.
const TINY_QP_JSON: &str = r#"{
  "P": {"m": 2, "n": 2, "rows": [0, 1], "cols": [0, 1], "vals": [1.0, 1.0]},
  "c": [1.0, -1.0],
  "A": {"m": 3, "n": 2, "rows": [0, 0, 1, 2], "cols": [0, 1, 0, 1], "vals": [1.0, 1.0, -1.0, -1.0]},
  "b": [1.0, 0.0, 0.0],
  "cones": [{"type": "zero", "dim": 1}, {"type": "nonneg", "dim": 2}]
}"#;

fn write_temp(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn lpgd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lpgd"))
        .args(args)
        .output()
        .expect("run lpgd")
}

fn json_stdout(out: &Output) -> Value {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "stdout: {stdout}");
    let v: Value = serde_json::from_str(&stdout).expect("stdout is one JSON value");
    assert!(v.is_object(), "stdout: {stdout}");
    v
}

fn assert_input_error(out: &Output) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
    assert!(!stderr.trim().is_empty());
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[test]
fn solve_json_problem_prints_one_object() {
    let file = write_temp("tiny-qp.json", TINY_QP_JSON);
    let out = lpgd(&["solve", file.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v = json_stdout(&out);
    for key in [
        "status",
        "objective",
        "iterations",
        "solve_time_s",
        "primal_residual",
        "dual_residual",
        "gap_rel",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert!(v.get("x").is_none() && v.get("y").is_none() && v.get("s").is_none());
    assert_eq!(v["status"], "Solved");
    assert!((v["objective"].as_f64().unwrap() + 0.5).abs() < 1e-6, "{v}");

    let out = lpgd(&["solve", file.to_str().unwrap(), "--json", "--full"]);
    assert!(out.status.success(), "{out:?}");
    let v = json_stdout(&out);
    let x: Vec<f64> = serde_json::from_value(v["x"].clone()).unwrap();
    assert!(x[0].abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6, "{v}");
    assert_eq!(v["y"].as_array().unwrap().len(), 3);
    assert_eq!(v["s"].as_array().unwrap().len(), 3);
}

#[test]
fn invalid_json_problem_is_a_one_line_error() {
    // cone dimensions (1 + 1) do not cover the 3 rows of A
    let bad_cones = TINY_QP_JSON.replace(r#""dim": 2"#, r#""dim": 1"#);
    let file = write_temp("bad-cones.json", &bad_cones);
    assert_input_error(&lpgd(&["solve", file.to_str().unwrap(), "--json"]));
    let file = write_temp("truncated.json", &TINY_QP_JSON[..40]);
    assert_input_error(&lpgd(&["solve", file.to_str().unwrap(), "--json"]));
}

#[test]
fn solve_json_prints_one_object() {
    let file = write_temp("tiny.mps", TINY_MPS);
    let out = lpgd(&["solve", file.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v = json_stdout(&out);
    for key in [
        "status",
        "objective",
        "iterations",
        "solve_time_s",
        "primal_residual",
        "dual_residual",
        "gap_rel",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert!(v.get("x").is_none());
    assert_eq!(v["status"], "Solved");
    assert!((v["objective"].as_f64().unwrap() - 1.0).abs() < 1e-6, "{v}");
    assert!(v["iterations"].as_u64().is_some());
}

#[test]
fn solve_full_adds_the_point() {
    let file = write_temp("tiny-full.mps", TINY_MPS);
    let out = lpgd(&[
        "solve",
        file.to_str().unwrap(),
        "--json",
        "--full",
        "--eps-abs",
        "1e-9",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json_stdout(&out);
    let m = v["m"].as_u64().unwrap() as usize;
    assert_eq!(v["x"].as_array().unwrap().len(), 2);
    assert_eq!(v["y"].as_array().unwrap().len(), m);
    assert_eq!(v["s"].as_array().unwrap().len(), m);
    assert!((v["x"][0].as_f64().unwrap() - 1.0).abs() < 1e-6, "{v}");
}

#[test]
fn solve_human_summary() {
    let file = write_temp("tiny-human.mps", TINY_MPS);
    let out = lpgd(&["solve", file.to_str().unwrap(), "--max-iter", "100"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    for word in ["status", "objective", "iterations", "time", "residuals"] {
        assert!(stdout.contains(word), "{stdout}");
    }
}

#[test]
fn invalid_file_is_a_one_line_error() {
    let file = write_temp("garbage.mps", "this is not\na problem\n");
    assert_input_error(&lpgd(&["solve", file.to_str().unwrap(), "--json"]));
}

#[test]
fn missing_file_is_a_one_line_error() {
    assert_input_error(&lpgd(&["solve", "/nonexistent/problem.mps", "--json"]));
}

#[test]
fn invalid_setting_is_a_one_line_error() {
    let file = write_temp("tiny-bad-setting.mps", TINY_MPS);
    assert_input_error(&lpgd(&[
        "solve",
        file.to_str().unwrap(),
        "--eps-abs",
        "-1",
        "--json",
    ]));
}

// ---------------------------------------------------------------- bench cblib

/// minimize x s.t. (x, 3, 4) ∈ Q: optimum 5.
const CBF_SOCP: &str = "VER\n3\nVAR\n1 1\nF 1\nCON\n3 1\nQ 3\nOBJACOORD\n1\n0 1.0\n\
                        ACOORD\n1\n0 0 1.0\nBCOORD\n2\n1 3.0\n2 4.0\n";
/// minimize t s.t. (t, 1, 1) ∈ EXP (t ≥ 1·exp(1/1)): optimum e.
const CBF_EXP: &str = "VER\n3\nVAR\n1 1\nF 1\nCON\n3 1\nEXP 3\nOBJACOORD\n1\n0 1.0\n\
                       ACOORD\n1\n0 0 1.0\nBCOORD\n2\n1 1.0\n2 1.0\n";
/// x − 1 ≥ 0 and −x − 1 ≥ 0: primal infeasible.
const CBF_INFEASIBLE: &str = "VER\n3\nVAR\n1 1\nF 1\nCON\n2 1\nL+ 2\nOBJACOORD\n1\n0 1.0\n\
                              ACOORD\n2\n0 0 1.0\n1 0 -1.0\nBCOORD\n2\n0 -1.0\n1 -1.0\n";

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CBLIB-like directory: `socp/tiny.cbf`, `exp/tiny.cbf`,
/// `exp/infeasible.cbf` and `reference.csv`.
fn cblib_dir() -> PathBuf {
    let dir = temp_dir("cblib");
    for (file, text) in [
        ("socp/tiny.cbf", CBF_SOCP),
        ("exp/tiny.cbf", CBF_EXP),
        ("exp/infeasible.cbf", CBF_INFEASIBLE),
    ] {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(
        dir.join("reference.csv"),
        format!(
            "file,clarabel_status,reference_objective,clarabel_solve_time_s\n\
             exp/infeasible.cbf,PrimalInfeasible,nan,0.001\n\
             exp/tiny.cbf,Solved,{},0.001\n\
             socp/tiny.cbf,Solved,5.0,0.001\n",
            std::f64::consts::E
        ),
    )
    .unwrap();
    dir
}

#[test]
fn bench_cblib_table_json_and_csv() {
    let dir = cblib_dir();
    let d = dir.to_str().unwrap();

    let out = lpgd(&["bench", "cblib", d]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "exp/infeasible",
        "exp/tiny",
        "socp/tiny",
        "PrimalInfeasible",
        "lpgd:     solved 3/3",
        "clarabel: solved 3/3",
        "ratio lpgd/clarabel",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }

    let csv = dir.join("out.csv");
    let out = lpgd(&[
        "bench",
        "cblib",
        d,
        "--json",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json_stdout(&out);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 3);
    assert_eq!(problems[0]["name"], "exp/infeasible");
    assert_eq!(problems[0]["expected"], "primal_infeasible");
    for p in problems {
        for who in ["ours", "baseline"] {
            assert_eq!(p[who]["solved"], true, "{who}: {p}");
        }
        assert!(p["time_ratio"].as_f64().is_some(), "{p}");
    }
    let e = problems[1]["ours"]["objective"].as_f64().unwrap();
    assert!((e - std::f64::consts::E).abs() < 1e-6, "{e}");
    let s = &v["summary"];
    assert_eq!(s["ours"]["solved"], 3);
    assert_eq!(s["baseline"]["accurate"], 3);
    assert_eq!(s["both_solved"], 3);
    assert!(s["iteration_ratio"].as_f64().unwrap() > 0.0);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");

    // filter and no baseline
    let out = lpgd(&[
        "bench",
        "cblib",
        d,
        "--json",
        "--baseline",
        "none",
        "--filter",
        "EXP/",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json_stdout(&out);
    assert_eq!(v["problems"].as_array().unwrap().len(), 2);
    assert!(v["problems"][0]["baseline"].is_null());
    assert!(v["summary"]["baseline"].is_null());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_cblib_reports_bad_files_per_instance() {
    let dir = temp_dir("cblib-bad");
    std::fs::create_dir_all(dir.join("exp")).unwrap();
    std::fs::write(dir.join("exp/tiny.cbf"), CBF_EXP).unwrap();
    std::fs::write(dir.join("exp/garbage.cbf"), "VER\n3\nVAR\n1 1\nZ 1\n").unwrap();
    let out = lpgd(&[
        "bench",
        "cblib",
        dir.to_str().unwrap(),
        "--baseline",
        "none",
    ]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("read error"), "{stdout}");
    assert!(stdout.contains("solved 1/2"), "{stdout}");

    // a semidefinite instance: Clarabel (built without "sdp") cannot take
    // it, which is an error of that instance only
    std::fs::write(
        dir.join("exp/psd.cbf"),
        "VER\n3\nPSDVAR\n1\n2\nCON\n1 1\nL= 1\nOBJFCOORD\n2\n0 0 0 1.0\n0 1 1 1.0\n\
         FCOORD\n1\n0 0 0 0 1.0\nBCOORD\n1\n0 -1.0\n",
    )
    .unwrap();
    let out = lpgd(&["bench", "cblib", dir.to_str().unwrap(), "--filter", "psd"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("clarabel error: no Clarabel conversion"),
        "{stdout}"
    );
    assert!(stdout.contains("clarabel: solved 0/1"), "{stdout}");

    // a missing directory and a bad time limit are input errors
    assert_input_error(&lpgd(&["bench", "cblib", "/nonexistent/cblib"]));
    assert_input_error(&lpgd(&[
        "bench",
        "cblib",
        dir.to_str().unwrap(),
        "--time-limit",
        "0",
    ]));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Both methods solve the tiny QP from the command line.
#[test]
fn admm_method_solves() {
    let path = write_temp("admm.json", TINY_QP_JSON);
    let out = Command::new(env!("CARGO_BIN_EXE_lpgd"))
        .args(["solve", "--method", "admm", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "Solved");
    assert!((v["objective"].as_f64().unwrap() + 0.5).abs() < 1e-4);
}

/// Output into a pipe whose reader has gone away is not a panic.
#[test]
fn closed_stdout_is_not_a_panic() {
    let path = write_temp("pipe.mps", TINY_MPS);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lpgd"))
        .args(["solve", "--full"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The QP above with `A`'s triplets out of order and one given twice
/// (their values sum to the stored entry).
const QP_UNORDERED_JSON: &str = r#"{
  "P": {"m": 2, "n": 2, "rows": [1, 0], "cols": [1, 0], "vals": [1.0, 1.0]},
  "c": [1.0, -1.0],
  "A": {"m": 3, "n": 2, "rows": [2, 0, 1, 0, 0], "cols": [1, 1, 0, 0, 0], "vals": [-1.0, 1.0, -1.0, 0.5, 0.5]},
  "b": [1.0, 0.0, 0.0],
  "cones": [{"type": "zero", "dim": 1}, {"type": "nonneg", "dim": 2}]
}"#;

fn vals(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn grad_json_reports_gradients_in_input_order() {
    let prob = write_temp("grad.json", QP_UNORDERED_JSON);
    let dx = write_temp("dx.json", "[0.0, 1.0]");
    let p = prob.to_str().unwrap();
    let run = |mode: &str| {
        let out = lpgd(&[
            "grad",
            p,
            "--mode",
            mode,
            "--tau",
            "1e-4",
            "--dx",
            dx.to_str().unwrap(),
            "--refine",
            "5",
            "--json",
        ]);
        assert!(out.status.success(), "{out:?}");
        json_stdout(&out)
    };
    let implicit = run("implicit");
    for key in [
        "status",
        "objective",
        "x",
        "y",
        "s",
        "dc",
        "db",
        "dA",
        "dP",
        "forward_time_s",
        "backward_time_s",
    ] {
        assert!(implicit.get(key).is_some(), "missing {key}: {implicit}");
    }
    assert_eq!(implicit["status"], "Solved");
    // Triplets in input order, duplicates included.
    assert_eq!(implicit["dA"]["rows"], serde_json::json!([2, 0, 1, 0, 0]));
    assert_eq!(implicit["dA"]["cols"], serde_json::json!([1, 1, 0, 0, 0]));
    let da = vals(&implicit["dA"]["vals"]);
    assert_eq!(da[3], da[4]);
    assert_eq!(vals(&implicit["dP"]["vals"]).len(), 2);
    // x = (0, 1): x₂ = b₀ − x₁ with x₁ held at its bound, so dℓ/db₀ = 1.
    assert!((vals(&implicit["db"])[0] - 1.0).abs() < 1e-8, "{implicit}");
    let avg = run("lpgd-average");
    for key in ["dc", "db"] {
        for (a, b) in vals(&implicit[key]).iter().zip(vals(&avg[key])) {
            assert!((a - b).abs() < 1e-6, "{key}: {implicit} vs {avg}");
        }
    }
    for (a, b) in da.iter().zip(vals(&avg["dA"]["vals"])) {
        assert!((a - b).abs() < 1e-6);
    }
}

#[test]
fn grad_input_errors_are_one_line() {
    let prob = write_temp("grad-err.json", QP_UNORDERED_JSON);
    let p = prob.to_str().unwrap();
    assert_input_error(&lpgd(&["grad", p, "--json"]));
    let short = write_temp("short.json", "[1.0]");
    assert_input_error(&lpgd(&["grad", p, "--dx", short.to_str().unwrap()]));
    let bad = write_temp("bad.json", "{\"x\": 1}");
    assert_input_error(&lpgd(&["grad", p, "--dy", bad.to_str().unwrap()]));
    assert_input_error(&lpgd(&["grad", p, "--dx-ones", "--tau", "-1"]));
    let ok = lpgd(&["grad", p, "--dx-ones"]);
    assert!(ok.status.success() && !ok.stdout.is_empty(), "{ok:?}");
}

#[test]
fn experiments_write_their_files_and_reject_bad_settings() {
    let dir = std::env::temp_dir().join(format!("lpgd-cli-exp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let env_dir = dir.join("env");
    let out = lpgd(&[
        "envelope",
        "--out",
        env_dir.to_str().unwrap(),
        "--points",
        "21",
        "--n",
        "4",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for f in ["envelope.csv", "envelope.png", "envelope.svg"] {
        assert!(env_dir.join(f).is_file(), "{f} missing");
        assert!(text.contains(f), "{text}");
    }
    let sp_dir = dir.join("sp");
    let out = lpgd(&[
        "shortest-path",
        "--out",
        sp_dir.to_str().unwrap(),
        "--grid",
        "3",
        "--deg",
        "2",
        "--train",
        "40",
        "--test",
        "40",
        "--epochs",
        "2",
        "--methods",
        "spo+,lpgd-average",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("| deg | spo+ | lpgd-average |"), "{text}");
    assert!(sp_dir.join("regret.csv").is_file());
    let bad = lpgd(&[
        "shortest-path",
        "--out",
        sp_dir.to_str().unwrap(),
        "--noise",
        "1.5",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("noise"));
    let bad = lpgd(&["shortest-path", "--methods", "magic"]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = lpgd(&[
        "envelope",
        "--out",
        env_dir.to_str().unwrap(),
        "--rho",
        "-1",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let su_dir = dir.join("sudoku");
    let out = lpgd(&[
        "sudoku",
        "--out",
        su_dir.to_str().unwrap(),
        "--train",
        "16",
        "--test",
        "4",
        "--epochs",
        "1",
        "--batch",
        "8",
        "--methods",
        "lpgd-average,gd",
        "--solver",
        "admm",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("| lpgd-average |") && text.contains("| gd |"),
        "{text}"
    );
    let table = std::fs::read_to_string(su_dir.join("table.md")).unwrap();
    assert!(table.contains("operator splitting"), "{table}");
    for f in ["curves.csv", "sudoku.png"] {
        assert!(su_dir.join(f).is_file(), "{f} missing");
    }
    for bad_args in [
        &["sudoku", "--methods", "magic"][..],
        &["sudoku", "--solver", "simplex"][..],
        &["sudoku", "--train", "0"][..],
    ] {
        let bad = lpgd(bad_args);
        assert_eq!(bad.status.code(), Some(2), "{bad_args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
