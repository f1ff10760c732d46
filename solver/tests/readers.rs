//! Tests of the MPS/QPS, CBF and JSON readers.

use std::io::Write;
use std::path::PathBuf;

use lpgd_solver::io::{self, mps, parse_cbf, parse_json, parse_mps, read_problem, to_json};
use lpgd_solver::{ProblemData, ProblemError, ReadError, SupportedCone};

// ---------------------------------------------------------------- helpers

fn shared_dir() -> PathBuf {
    match std::env::var_os("LPGD_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")),
    }
}

/// `s = b − A x`.
fn slack(prob: &ProblemData, x: &[f64]) -> Vec<f64> {
    let mut s = prob.b.clone();
    prob.a.gemv(&mut s, x, -1.0, 1.0);
    s
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

fn assert_vec_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!(close(*x, *y), "{a:?} vs {b:?}");
    }
}

#[track_caller]
fn assert_parse_err(res: Result<ProblemData, ReadError>, format: &str, line: usize, needle: &str) {
    match res {
        Err(ReadError::Parse {
            format: f,
            line: l,
            message,
        }) => {
            assert_eq!(f, format, "{message}");
            assert_eq!(l, line, "{message}");
            assert!(
                message.to_lowercase().contains(&needle.to_lowercase()),
                "message {message:?} does not contain {needle:?}"
            );
        }
        other => panic!("expected a {format} parse error at line {line}, got {other:?}"),
    }
}

#[track_caller]
fn assert_json_err(res: Result<ProblemData, ReadError>, path: &str, needle: &str) {
    match res {
        Err(ReadError::Json { path: p, message }) => {
            assert_eq!(p, path, "{message}");
            assert!(
                message.to_lowercase().contains(&needle.to_lowercase()),
                "message {message:?} does not contain {needle:?}"
            );
        }
        other => panic!("expected a JSON error at {path}, got {other:?}"),
    }
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lpgd-readers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

// ---------------------------------------------------------------- MPS

/// minimize ½(2x² + 2xy + 4y²) + x + 2y − 3 (c₀ = −RHS of the objective)
/// s.t. x + y ≥ 1, x − y ≤ 2, 0 ≤ y ≤ 5 with x free.
const TINY_QPS: &str = "\
* a comment
NAME          TINY
ROWS
 N  obj
 G  c1
 L  c2
COLUMNS
    x         obj       1.0          c1        1.0
    x         c2        1.0
    y         obj       2.0          c1        1.0
    y         c2        -1.0
RHS
    RHS       c1        1.0          c2        2.0
    RHS       obj       3.0
BOUNDS
 FR BND       x
 UP BND       y         5.0
QUADOBJ
    x         x         2.0
    x         y         1.0
    y         y         4.0
ENDATA
";

fn tiny_objective(x: f64, y: f64) -> f64 {
    0.5 * (2.0 * x * x + 2.0 * x * y + 4.0 * y * y) + x + 2.0 * y - 3.0
}

#[test]
fn mps_tiny_qps_objective_and_constraints() {
    let prob = parse_mps(TINY_QPS).unwrap();
    assert_eq!(prob.n(), 2);
    // rows: c1 lower, c2 upper, y lower, y upper
    assert_eq!(prob.cones, vec![SupportedCone::Nonnegative(4)]);
    assert_eq!(prob.obj_constant, -3.0);
    for &(x, y) in &[(0.0, 0.0), (1.5, -2.0), (-0.3, 0.7)] {
        assert!(close(prob.objective(&[x, y]), tiny_objective(x, y)));
        let s = slack(&prob, &[x, y]);
        assert_vec_close(&s, &[x + y - 1.0, 2.0 - (x - y), y, 5.0 - y]);
    }
    let model = mps::parse_mps_model(TINY_QPS).unwrap();
    assert_eq!(model.name, "TINY");
    assert_eq!(model.num_rows(), 2);
    assert_eq!(model.col_names, vec!["x", "y"]);
    assert_eq!(model.col_lower[0], f64::NEG_INFINITY);
}

#[test]
fn mps_qmatrix_equals_quadobj_and_max_negates() {
    let qmatrix = TINY_QPS.replace("QUADOBJ", "QMATRIX").replace(
        "    x         y         1.0\n",
        "    x         y         1.0\n    y         x         1.0\n",
    );
    let a = parse_mps(TINY_QPS).unwrap();
    let b = parse_mps(&qmatrix).unwrap();
    assert_eq!(a, b);

    // Maximizing a convex quadratic is not a convex problem: the negated P
    // is rejected with the typed error.
    let max = TINY_QPS.replace("ROWS\n", "OBJSENSE\n    MAX\nROWS\n");
    assert!(matches!(
        parse_mps(&max),
        Err(ReadError::Problem(ProblemError::PNotPsd { index: 0, .. }))
    ));
    // For a linear objective MAX negates c and the constant.
    let lp = TINY_QPS.replace("QUADOBJ\n    x         x         2.0\n    x         y         1.0\n    y         y         4.0\n", "");
    let lp_min = parse_mps(&lp).unwrap();
    let lp_max = lp.replace("ROWS\n", "OBJSENSE\n    MAX\nROWS\n");
    let pm = parse_mps(&lp_max).unwrap();
    let lp_max2 = lp.replace("ROWS\n", "OBJSENSE MAXIMIZE\nROWS\n");
    assert_eq!(parse_mps(&lp_max2).unwrap(), pm);
    for &(x, y) in &[(0.0, 0.0), (1.5, -2.0)] {
        assert!(close(pm.objective(&[x, y]), -lp_min.objective(&[x, y])));
    }
    assert_eq!(pm.a, a.a);
    assert_eq!(pm.b, a.b);
}

#[test]
fn mps_ranges_bounds_and_row_order() {
    let text = "\
NAME RANGES
ROWS
 N  obj
 E  e1
 E  e2
 E  e3
 L  l1
 G  g1
 N  other
COLUMNS
    MARKER                 'MARKER'                 'INTORG'
    x         e1        1.0          e2        1.0
    MARKER                 'MARKER'                 'INTEND'
    x         e3        1.0          l1        1.0
    x         g1        1.0          other     7.0
    y         obj       1.0
    z         obj       1.0
    w         obj       1.0
RHS
    RHS       e1        1.0          e2        2.0
    RHS       e3        3.0          l1        4.0
    RHS       g1        5.0
    OTHER     g1        99.0
RANGES
    RNG       e1        2.0          e2        -2.0
    RNG       l1        -3.0         g1        3.0
BOUNDS
 FX BND       y         7.0
 MI BND       z
 UP BND       z         1.0
 BV BND       w
 UP BND       x         -1.0
ENDATA
";
    let model = mps::parse_mps_model(text).unwrap();
    assert_eq!(model.num_rows(), 5);
    assert_eq!(model.row_lower, vec![1.0, 0.0, 3.0, 1.0, 5.0]);
    assert_eq!(model.row_upper, vec![3.0, 2.0, 3.0, 4.0, 8.0]);
    assert_eq!(model.integer, vec![true, false, false, true]);
    // Negative UP without LO keeps the lower bound 0 (documented convention).
    assert_eq!((model.col_lower[0], model.col_upper[0]), (0.0, -1.0));
    assert_eq!(
        (model.col_lower[2], model.col_upper[2]),
        (f64::NEG_INFINITY, 1.0)
    );
    assert_eq!((model.col_lower[3], model.col_upper[3]), (0.0, 1.0));

    let prob = model.to_problem().unwrap();
    // Zero block: e3 (x = 3), fixed y (= 7). Nonnegative block: e1 lo/up,
    // e2 lo/up, l1 lo/up, g1 lo/up, x lo/up, z up, w lo/up.
    assert_eq!(
        prob.cones,
        vec![SupportedCone::Zero(2), SupportedCone::Nonnegative(13)]
    );
    let x = [0.5, 7.0, -2.0, 0.25];
    let s = slack(&prob, &x);
    let (x0, y, z, w) = (x[0], x[1], x[2], x[3]);
    let expected = [
        3.0 - x0,
        7.0 - y,
        x0 - 1.0,
        3.0 - x0,
        x0 - 0.0,
        2.0 - x0,
        x0 - 1.0,
        4.0 - x0,
        x0 - 5.0,
        8.0 - x0,
        x0,
        -1.0 - x0,
        1.0 - z,
        w,
        1.0 - w,
    ];
    assert_vec_close(&s, &expected);
    assert_eq!(prob.c, vec![0.0, 1.0, 1.0, 1.0]);
}

#[test]
fn mps_fixed_format_names_with_spaces() {
    let text = "\
NAME          SPACES
ROWS
 N  COST
 L  LIM 1
COLUMNS
    X ONE     COST      1.0            LIM 1     2.0
    X TWO     LIM 1     3.0
RHS
    RHS       LIM 1     4.0
BOUNDS
 UP BND       X TWO     1.5
ENDATA
";
    let model = mps::parse_mps_model(text).unwrap();
    assert_eq!(model.row_names, vec!["LIM 1"]);
    assert_eq!(model.col_names, vec!["X ONE", "X TWO"]);
    assert_eq!(model.col_upper[1], 1.5);
    let prob = model.to_problem().unwrap();
    let s = slack(&prob, &[1.0, 0.5]);
    assert_vec_close(&s, &[4.0 - 2.0 - 1.5, 1.0, 0.5, 1.0]);
}

#[test]
fn mps_free_format_and_negative_objective_rhs() {
    let text = "NAME free\nROWS\n N obj\n E r\nCOLUMNS\n x obj 1 r 1\n y r 1\nRHS\n r 2 obj -1.5\nBOUNDS\n LO x -1\nENDATA\n";
    let prob = parse_mps(text).unwrap();
    assert_eq!(prob.obj_constant, 1.5);
    assert_eq!(prob.cones[0], SupportedCone::Zero(1));
    assert_eq!(prob.b[0], 2.0);
}

#[test]
fn mps_errors() {
    let base = TINY_QPS;
    // unknown section
    let t = base.replace("RHS\n", "FOO\n");
    assert_parse_err(parse_mps(&t), "MPS", 12, "unknown section 'FOO'");
    // bad number
    let t = base.replace("c2        -1.0", "c2        -1.x0");
    assert_parse_err(parse_mps(&t), "MPS", 11, "invalid number");
    // unknown row name in COLUMNS
    let t = base.replace(
        "    y         c2        -1.0",
        "    y         c9        -1.0",
    );
    assert_parse_err(parse_mps(&t), "MPS", 11, "unknown row 'c9'");
    // unknown bound type
    let t = base.replace(" UP BND       y", " XX BND       y");
    assert_parse_err(parse_mps(&t), "MPS", 17, "unknown bound type");
    // semi-continuous
    let t = base.replace(" UP BND       y", " SC BND       y");
    assert_parse_err(parse_mps(&t), "MPS", 17, "semi-continuous");
    // unknown column in BOUNDS
    let t = base.replace(" UP BND       y", " UP BND       q");
    assert_parse_err(parse_mps(&t), "MPS", 17, "unknown column 'q'");
    // unknown row type
    let t = base.replace(" L  c2", " K  c2");
    assert_parse_err(parse_mps(&t), "MPS", 6, "unknown row type");
    // duplicate row
    let t = base.replace(" L  c2", " L  c1");
    assert_parse_err(parse_mps(&t), "MPS", 6, "duplicate row");
    // missing ENDATA is an error (truncated file), reported at the last line
    let t = base.replace("ENDATA\n", "");
    assert_parse_err(parse_mps(&t), "MPS", 21, "missing ENDATA");
    // quadratic constraints
    let t = base.replace("QUADOBJ", "QCMATRIX   c1");
    assert_parse_err(parse_mps(&t), "MPS", 18, "QCMATRIX");
    // wrong number of fields
    let t = base.replace(
        "    RHS       obj       3.0",
        "    RHS       obj       3.0   c1  1.0  extra",
    );
    assert_parse_err(parse_mps(&t), "MPS", 14, "fields");
    // empty input
    assert_parse_err(parse_mps(""), "MPS", 1, "missing ENDATA");
    // data line before any section
    assert_parse_err(parse_mps("   x y 1\n"), "MPS", 1, "outside of a section");
    // non-finite coefficient
    let t = base.replace("c2        -1.0", "c2        inf");
    assert_parse_err(parse_mps(&t), "MPS", 11, "finite");
}

#[test]
fn maros_meszaros_dimensions() {
    let dir = shared_dir().join("data/maros_meszaros");
    let csv = match std::fs::read_to_string(dir.join("reference.csv")) {
        Ok(c) => c,
        Err(_) => {
            eprintln!(
                "skipping maros_meszaros_dimensions: {} not found",
                dir.display()
            );
            return;
        }
    };
    let (mut count, mut tiny) = (0, 0);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (name, file) = (f[0], f[1]);
        let rows: usize = f[2].parse().unwrap();
        let cols: usize = f[3].parse().unwrap();
        let nnz: usize = f[4].parse().unwrap();
        let quad_offdiag: usize = f[6].parse().unwrap();
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let model = mps::parse_mps_model(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(model.num_cols(), cols, "{name}: columns");
        assert_eq!(model.num_rows(), rows, "{name}: rows");
        // The reference counts drop a few tiny coefficients (|v| around
        // 1e-12 and below, in HUES-MOD, HUESTIS and KSIP); the file's
        // stored entries bound it from above, the clearly nonzero ones from
        // below (the two bounds coincide for the other 129 problems).
        let significant = model.a_vals.iter().filter(|v| v.abs() >= 1e-10).count();
        assert!(
            significant <= nnz && nnz <= model.a_vals.len(),
            "{name}: nonzeros of A: reference {nnz}, stored {}, significant {significant}",
            model.a_vals.len()
        );
        if model.a_vals.len() != nnz {
            tiny += 1;
        }
        let offdiag = model
            .q_rows
            .iter()
            .zip(&model.q_cols)
            .filter(|(i, j)| i != j)
            .count();
        assert_eq!(offdiag, quad_offdiag, "{name}: off-diagonal Q entries");
        let prob = model.to_problem().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(prob.n(), cols);
        prob.validate().unwrap();
        count += 1;
    }
    assert_eq!(count, 132);
    assert!(tiny <= 3, "{tiny} problems differ from the reference nnz");
}

#[test]
fn maros_meszaros_hs21_objective() {
    let path = shared_dir().join("data/maros_meszaros/HS21.QPS");
    if !path.exists() {
        eprintln!(
            "skipping maros_meszaros_hs21_objective: {} not found",
            path.display()
        );
        return;
    }
    let prob = read_problem(&path).unwrap();
    // HS21: minimize 0.01 x₁² + x₂² − 100 with optimum −99.96 at (2, 0).
    assert!(close(prob.objective(&[2.0, 0.0]), -99.96));
    let s = slack(&prob, &[2.0, 0.0]);
    assert!(s.iter().all(|&v| v >= -1e-12), "{s:?}");
}

// ---------------------------------------------------------------- CBF

/// minimize x0 + 2 x1 − x2 + 0.5
/// s.t. L=: x0 + x1 − 1 = 0; L-: x2 − 4 ≤ 0; F: free row; QR: (x3, x4, x5 + 1)
/// variables: L+ x0, F x1, Q (x2, x3, x4), L- x5.
const TINY_CBF: &str = "\
# comment
VER
3

OBJSENSE
MIN

VAR
6 4
L+ 1
F 1
Q 3
L- 1

INT
1
1

CON
6 4
L= 1
L- 1
F 1
QR 3

OBJACOORD
3
0 1.0
1 2.0
2 -1.0

OBJBCOORD
0.5

ACOORD
7
0 0 1.0
0 1 1.0
1 2 1.0
2 0 9.0
3 3 1.0
4 4 1.0
5 5 1.0

BCOORD
3
0 -1.0
1 -4.0
5 1.0
";

#[test]
fn cbf_tiny_standard_form() {
    let prob = parse_cbf(TINY_CBF).unwrap();
    assert_eq!(prob.n(), 6);
    let h = std::f64::consts::FRAC_1_SQRT_2;
    assert_eq!(
        prob.cones,
        vec![
            SupportedCone::Zero(1),
            SupportedCone::Nonnegative(3),
            SupportedCone::SecondOrder(3),
            SupportedCone::SecondOrder(3),
        ]
    );
    let x = [0.3, -1.2, 2.5, 0.7, 1.9, -0.4];
    assert!(close(prob.objective(&x), x[0] + 2.0 * x[1] - x[2] + 0.5));
    let s = slack(&prob, &x);
    let expected = [
        x[0] + x[1] - 1.0, // L=
        -(x[2] - 4.0),     // L- constraint
        x[0],              // L+ variable
        -x[5],             // L- variable
        h * (x[3] + x[4]), // QR constraint, rotated
        h * (x[3] - x[4]),
        x[5] + 1.0,
        x[2], // Q variable
        x[3],
        x[4],
    ];
    assert_vec_close(&s, &expected);

    let max = TINY_CBF.replace("MIN", "MAX");
    let pm = parse_cbf(&max).unwrap();
    assert!(close(pm.objective(&x), -prob.objective(&x)));
}

#[test]
fn cbf_errors() {
    let base = TINY_CBF;
    // VAR cone dimensions do not match the declared count (error at header line 9)
    let t = base.replace("VAR\n6 4", "VAR\n7 4");
    assert_parse_err(parse_cbf(&t), "CBF", 9, "sum to 6 but 7 declared");
    // ACOORD index out of range
    let t = base.replace("3 3 1.0", "6 3 1.0");
    assert_parse_err(parse_cbf(&t), "CBF", 41, "row index 6 out of range");
    let t = base.replace("3 3 1.0", "3 6 1.0");
    assert_parse_err(parse_cbf(&t), "CBF", 41, "column index 6 out of range");
    // exponential and power cones
    let t = base.replace("Q 3\nL- 1", "EXP 3\nL- 1");
    assert_parse_err(parse_cbf(&t), "CBF", 12, "exponential cone");
    let t = base.replace("Q 3\nL- 1", "@0:POW 3\nL- 1");
    assert_parse_err(parse_cbf(&t), "CBF", 12, "power cone");
    let t = base.replace("OBJSENSE", "PSDVAR\n1\n2\n\nOBJSENSE");
    assert_parse_err(parse_cbf(&t), "CBF", 5, "semidefinite");
    // bad number
    let t = base.replace("2 -1.0", "2 -1.0.0");
    assert_parse_err(parse_cbf(&t), "CBF", 30, "invalid number");
    // unknown keyword
    let t = base.replace("OBJBCOORD", "OBJXCOORD");
    assert_parse_err(parse_cbf(&t), "CBF", 32, "unknown keyword");
    // unknown cone
    let t = base.replace("L+ 1", "L* 1");
    assert_parse_err(parse_cbf(&t), "CBF", 10, "unknown cone type");
    // must start with VER
    assert_parse_err(parse_cbf("OBJSENSE\nMIN\n"), "CBF", 1, "start with VER");
    // truncated ACOORD
    let t = base.replace("ACOORD\n7", "ACOORD\n9");
    assert_parse_err(parse_cbf(&t), "CBF", 45, "expected ACOORD entry");
    // unsupported version
    assert_parse_err(parse_cbf("VER\n4\n"), "CBF", 2, "version 4");
    // absurd dimension is rejected, not allocated
    assert_parse_err(
        parse_cbf("VER\n1\nVAR\n999999999999 1\nF 999999999999\n"),
        "CBF",
        4,
        "limit",
    );
}

fn cblib_dir() -> Option<PathBuf> {
    let dir = shared_dir().join("data/cblib");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping CBLIB test: {} not found", dir.display());
        None
    }
}

/// A `VAR`/`CON` header: total size and `(cone type, dim)` list.
type ConeHeader = (usize, Vec<(String, usize)>);

/// Reads the `VAR`/`CON` headers and cone lists directly from the text.
fn cbf_headers(text: &str) -> (ConeHeader, ConeHeader) {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let read = |key: &str| {
        let Some(k) = lines.iter().position(|l| *l == key) else {
            return (0, vec![]);
        };
        let mut it = lines[k + 1].split_whitespace();
        let total: usize = it.next().unwrap().parse().unwrap();
        let count: usize = it.next().unwrap().parse().unwrap();
        let cones = lines[k + 2..k + 2 + count]
            .iter()
            .map(|l| {
                let mut t = l.split_whitespace();
                (
                    t.next().unwrap().to_string(),
                    t.next().unwrap().parse().unwrap(),
                )
            })
            .collect();
        (total, cones)
    };
    (read("VAR"), read("CON"))
}

#[test]
fn cblib_socp_parse() {
    let Some(dir) = cblib_dir() else { return };
    let mut count = 0;
    for entry in std::fs::read_dir(dir.join("socp")).unwrap() {
        let path = entry.unwrap().path();
        let prob = read_problem(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut text = String::new();
        use std::io::Read;
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let ((n, var), (m, con)) = cbf_headers(&text);
        assert_eq!(prob.n(), n, "{}", path.display());
        let kept = |cones: &[(String, usize)]| -> usize {
            cones.iter().filter(|(k, _)| k != "F").map(|(_, d)| d).sum()
        };
        assert_eq!(prob.m(), kept(&con) + kept(&var), "{}", path.display());
        assert!(m >= kept(&con));
        let socs = con
            .iter()
            .chain(&var)
            .filter(|(k, _)| k == "Q" || k == "QR")
            .count();
        let n_soc = prob
            .cones
            .iter()
            .filter(|k| matches!(k, SupportedCone::SecondOrder(_)))
            .count();
        assert_eq!(n_soc, socs, "{}", path.display());
        count += 1;
    }
    assert_eq!(count, 5);
}

/// Independent check of sambal: every ACOORD/BCOORD entry appears in the
/// standard form with the sign rule `−A x + s = b` (all its cones are `Q`,
/// `L+` or `L=`, and the variables are free).
#[test]
fn cblib_sambal_entries() {
    let Some(dir) = cblib_dir() else { return };
    let path = dir.join("socp/sambal.cbf.gz");
    let prob = read_problem(&path).unwrap();
    let mut text = String::new();
    use std::io::Read;
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let ((n, var), (m, con)) = cbf_headers(&text);
    assert_eq!((n, m), (31, 63));
    assert_eq!(var, vec![("F".to_string(), 31)]);
    // Map each CBF row to its output row with the documented ordering.
    let mut out = vec![usize::MAX; m];
    let mut next = 0;
    for pass in ["L=", "L+", "Q"] {
        let mut start = 0;
        for (kind, d) in &con {
            if kind == pass {
                for k in 0..*d {
                    out[start + k] = next;
                    next += 1;
                }
            }
            start += d;
        }
    }
    assert_eq!(next, prob.m());
    // Dense reconstruction from the file.
    let mut a = vec![vec![0.0; n]; m];
    let mut b = vec![0.0; m];
    let mut c = vec![0.0; n];
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let section = |key: &str| -> Vec<Vec<&str>> {
        let Some(k) = lines.iter().position(|l| *l == key) else {
            return vec![];
        };
        let count: usize = lines[k + 1].parse().unwrap();
        lines[k + 2..k + 2 + count]
            .iter()
            .map(|l| l.split_whitespace().collect())
            .collect()
    };
    for t in section("ACOORD") {
        let (i, j, v): (usize, usize, f64) = (
            t[0].parse().unwrap(),
            t[1].parse().unwrap(),
            t[2].parse().unwrap(),
        );
        a[i][j] += v;
    }
    for t in section("BCOORD") {
        let (i, v): (usize, f64) = (t[0].parse().unwrap(), t[1].parse().unwrap());
        b[i] += v;
    }
    for t in section("OBJACOORD") {
        let (j, v): (usize, f64) = (t[0].parse().unwrap(), t[1].parse().unwrap());
        c[j] += v;
    }
    assert_vec_close(&prob.c, &c);
    for (i, (row, &o)) in a.iter().zip(&out).enumerate() {
        assert!(close(prob.b[o], b[i]));
        for (j, &v) in row.iter().enumerate() {
            assert!(close(prob.a.get(o, j), -v), "entry ({i}, {j})");
        }
    }
}

#[test]
fn cblib_exp_and_pow_not_supported() {
    let Some(dir) = cblib_dir() else { return };
    for (sub, needle) in [("exp", "exponential cone"), ("pow", "power cone")] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            match read_problem(&path) {
                Err(ReadError::Parse {
                    format: "CBF",
                    message,
                    ..
                }) => assert!(message.contains(needle), "{}: {message}", path.display()),
                other => panic!(
                    "{}: expected not-supported error, got {other:?}",
                    path.display()
                ),
            }
        }
    }
}

// ---------------------------------------------------------------- JSON

const TINY_JSON: &str = r#"{
  "P": {"m": 2, "n": 2, "rows": [0, 0, 1], "cols": [0, 1, 1], "vals": [2.0, 1.0, 4.0]},
  "c": [1.0, 2.0],
  "A": {"m": 3, "n": 2, "rows": [0, 0, 1, 2], "cols": [0, 1, 0, 1], "vals": [1.0, 1.0, -1.0, -1.0]},
  "b": [1.0, 0.0, 0.0],
  "cones": [{"type": "zero", "dim": 1}, {"type": "nonneg", "dim": 2}],
  "obj_constant": -3.0
}"#;

#[test]
fn json_parse_and_round_trip() {
    let prob = parse_json(TINY_JSON).unwrap();
    assert_eq!(prob.n(), 2);
    assert_eq!(prob.obj_constant, -3.0);
    assert!(close(
        prob.objective(&[1.0, -1.0]),
        tiny_objective(1.0, -1.0)
    ));
    assert_eq!(parse_json(&to_json(&prob)).unwrap(), prob);

    for p in [parse_mps(TINY_QPS).unwrap(), parse_cbf(TINY_CBF).unwrap()] {
        assert_eq!(parse_json(&to_json(&p)).unwrap(), p);
    }
    // P optional or null; obj_constant optional
    let lp = r#"{"c": [1.0], "A": {"m": 1, "n": 1, "rows": [0], "cols": [0], "vals": [-1.0]},
                "b": [-1.0], "cones": [{"type": "soc", "dim": 1}], "P": null}"#;
    let lp = parse_json(lp).unwrap();
    assert_eq!(lp.p.nnz(), 0);
    assert_eq!(lp.obj_constant, 0.0);
    assert_eq!(parse_json(&to_json(&lp)).unwrap(), lp);
}

#[test]
fn json_errors() {
    let base: serde_json::Value = serde_json::from_str(TINY_JSON).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        parse_json(&v.to_string())
    };
    // missing "c"
    assert_json_err(
        edit(&|v| {
            v.as_object_mut().unwrap().remove("c");
        }),
        "$",
        "missing required key \"c\"",
    );
    // wrong types
    assert_json_err(edit(&|v| v["c"] = "x".into()), "$.c", "expected an array");
    assert_json_err(
        edit(&|v| v["c"][1] = true.into()),
        "$.c[1]",
        "expected a number",
    );
    assert_json_err(
        edit(&|v| v["A"]["rows"][3] = (-1).into()),
        "$.A.rows[3]",
        "nonnegative integer",
    );
    assert_json_err(
        edit(&|v| v["A"]["rows"][3] = 1.5.into()),
        "$.A.rows[3]",
        "nonnegative integer",
    );
    assert_json_err(
        edit(&|v| v["cones"][1]["dim"] = "2".into()),
        "$.cones[1].dim",
        "nonnegative integer",
    );
    // out-of-range triplets
    assert_json_err(
        edit(&|v| v["A"]["rows"][3] = 3.into()),
        "$.A.rows[3]",
        "out of range",
    );
    assert_json_err(
        edit(&|v| v["A"]["cols"][2] = 5.into()),
        "$.A.cols[2]",
        "out of range",
    );
    // length mismatch
    assert_json_err(
        edit(&|v| v["A"]["vals"] = serde_json::json!([1.0, 2.0])),
        "$.A.vals",
        "has 2 entries but rows has 4",
    );
    // cone dims not summing to rows
    assert_json_err(
        edit(&|v| v["cones"][1]["dim"] = 3.into()),
        "$.cones",
        "sum to 4 but A has 3 rows",
    );
    assert_json_err(
        edit(&|v| v["cones"][1]["dim"] = 0.into()),
        "$.cones[1].dim",
        "at least 1",
    );
    // size mismatches
    assert_json_err(edit(&|v| v["A"]["m"] = 4.into()), "$.A.m", "b has length 3");
    assert_json_err(edit(&|v| v["P"]["n"] = 3.into()), "$.P.n", "c has length 2");
    // unsupported / unknown cones and keys
    assert_json_err(
        edit(&|v| v["cones"][1] = serde_json::json!({"type": "exp", "dim": 3})),
        "$.cones[1].type",
        "exponential cone is not yet supported",
    );
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "pow", "alpha": 0.3})),
        "$.cones[0].type",
        "power cone",
    );
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "psd", "n": 2})),
        "$.cones[0].type",
        "semidefinite",
    );
    assert_json_err(
        edit(&|v| v["cones"][0]["type"] = "box".into()),
        "$.cones[0].type",
        "unknown cone type",
    );
    assert_json_err(
        edit(&|v| v["obj_const"] = 1.0.into()),
        "$.obj_const",
        "unknown key",
    );
    // syntax error
    assert_json_err(parse_json("{\"c\": [1,"), "$", "invalid JSON");
    assert_json_err(parse_json("[]"), "$", "expected an object");
    // P below the diagonal: rejected by problem validation
    match edit(&|v| {
        v["P"]["rows"] = serde_json::json!([0, 1, 1]);
        v["P"]["cols"] = serde_json::json!([0, 0, 1]);
    }) {
        Err(ReadError::Problem(ProblemError::PNotUpperTriangular { row: 1, col: 0 })) => {}
        other => panic!("expected PNotUpperTriangular, got {other:?}"),
    }
}

// ---------------------------------------------------------------- files

#[test]
fn read_problem_dispatch_and_gzip() {
    let qps = temp_path("tiny.QPS");
    std::fs::write(&qps, TINY_QPS).unwrap();
    let expected = read_problem(&qps).unwrap();
    assert_eq!(expected, parse_mps(TINY_QPS).unwrap());

    // gzip, written as two concatenated members to exercise MultiGzDecoder
    let gz = temp_path("tiny.mps.GZ");
    {
        let mut file = std::fs::File::create(&gz).unwrap();
        let (first, second) = TINY_QPS.split_at(100);
        for part in [first, second] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(part.as_bytes()).unwrap();
            file.write_all(&enc.finish().unwrap()).unwrap();
        }
    }
    assert_eq!(read_problem(&gz).unwrap(), expected);

    let json = temp_path("tiny.json.gz");
    {
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&json).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(to_json(&expected).as_bytes()).unwrap();
        enc.finish().unwrap();
    }
    assert_eq!(read_problem(&json).unwrap(), expected);

    let cbf = temp_path("tiny.cbf");
    std::fs::write(&cbf, TINY_CBF).unwrap();
    assert_eq!(read_problem(&cbf).unwrap(), parse_cbf(TINY_CBF).unwrap());

    assert!(matches!(
        read_problem(temp_path("tiny.txt")),
        Err(ReadError::UnknownFormat { .. })
    ));
    assert!(matches!(
        read_problem(temp_path("missing.mps")),
        Err(ReadError::Io { .. })
    ));
    // a corrupt gzip file is an Io error, not a panic
    let bad = temp_path("bad.cbf.gz");
    std::fs::write(&bad, b"not gzip").unwrap();
    assert!(matches!(read_problem(&bad), Err(ReadError::Io { .. })));
    assert_eq!(io::format_of("a/b.Json"), Some((io::Format::Json, false)));
}

#[test]
fn malformed_inputs_never_panic() {
    // Truncations and byte edits of valid files give errors, never panics.
    for text in [TINY_QPS, TINY_CBF, TINY_JSON] {
        for cut in 0..text.len() {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let t = &text[..cut];
            let _ = parse_mps(t);
            let _ = parse_cbf(t);
            let _ = parse_json(t);
        }
        let bytes = text.as_bytes();
        for k in 0..bytes.len() {
            for rep in [b'-', b'9', b' ', b'\n', b'#', b'x'] {
                let mut b = bytes.to_vec();
                b[k] = rep;
                if let Ok(t) = String::from_utf8(b) {
                    let _ = parse_mps(&t);
                    let _ = parse_cbf(&t);
                    let _ = parse_json(&t);
                }
            }
        }
    }
}
