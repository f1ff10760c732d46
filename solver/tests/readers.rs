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
    // exponential cones of the wrong size; power cone without POWCONES
    let t = base.replace("Q 3\nL- 1", "EXP 3\nL- 1");
    assert!(parse_cbf(&t).is_ok());
    let t = base
        .replace("VAR\n6 4", "VAR\n7 4")
        .replace("Q 3\nL- 1", "EXP* 4\nL- 1");
    assert_parse_err(parse_cbf(&t), "CBF", 12, "must have dimension 3");
    let t = base.replace("Q 3\nL- 1", "@0:POW 3\nL- 1");
    assert_parse_err(parse_cbf(&t), "CBF", 12, "refers to POWCONES entry 0");
    let t = base.replace("Q 3\nL- 1", "SVECPSD 3\nL- 1");
    assert_parse_err(parse_cbf(&t), "CBF", 12, "not supported");
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

/// One-based number of the first line of `text` equal to `needle` (trimmed).
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.trim() == needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
        + 1
}

/// A deterministic pseudo-random sequence in [-1, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// Margin of our exponential cone `{(x, y, z) : y·exp(x/y) ≤ z, y > 0}`:
/// positive inside, negative outside (random points avoid `y = 0`).
fn exp_margin(s: &[f64]) -> f64 {
    let (x, y, z) = (s[0], s[1], s[2]);
    if y <= 0.0 {
        return -1.0;
    }
    z - y * (x / y).exp()
}

/// Margin of our power cone `x^α y^(1−α) ≥ |z|`, `x, y ≥ 0`.
fn pow_margin(s: &[f64], alpha: f64) -> f64 {
    if s[0] < 0.0 || s[1] < 0.0 {
        return -1.0;
    }
    s[0].powf(alpha) * s[1].powf(1.0 - alpha) - s[2].abs()
}

/// Margin of the second-order cone `t ≥ ‖u‖`.
fn soc_margin(s: &[f64]) -> f64 {
    s[0] - s[1..].iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Every output cone's margin at the slack `s` (exp, pow and soc only).
fn cone_margins(prob: &ProblemData, s: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut r = 0;
    for k in &prob.cones {
        let blk = &s[r..r + k.dim()];
        out.push(match *k {
            SupportedCone::Exponential => exp_margin(blk),
            SupportedCone::Power(a) => pow_margin(blk, a),
            SupportedCone::SecondOrder(_) => soc_margin(blk),
            other => panic!("unexpected cone {other:?}"),
        });
        r += k.dim();
    }
    out
}

/// minimize nothing s.t. g = (2x₀ + 1, x₁, x₂) ∈ EXP, (x₀, x₁, x₂) ∈ EXP,
/// (x₃, x₄, x₅) ∈ EXP*.
const EXP_CBF: &str = "\
VER
3
VAR
6 2
EXP 3
EXP* 3
CON
3 1
EXP 3
ACOORD
3
0 0 2.0
1 1 1.0
2 2 1.0
BCOORD
1
0 1.0
";

#[test]
fn cbf_exponential_cones_standard_form() {
    let prob = parse_cbf(EXP_CBF).unwrap();
    assert_eq!((prob.n(), prob.m()), (6, 9));
    assert_eq!(prob.cones, vec![SupportedCone::Exponential; 3]);
    let x = [0.3, -1.2, 2.5, 0.7, 1.9, -0.4];
    let expected = [
        x[2],
        x[1],
        2.0 * x[0] + 1.0, // constraint EXP, reversed
        x[2],
        x[1],
        x[0], // variable EXP, reversed
        x[5] - x[4],
        -x[5],
        x[3], // variable EXP*: (g₂ − g₁, −g₂, g₀)
    ];
    assert_vec_close(&slack(&prob, &x), &expected);
    assert_vec_close(&prob.b, &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(prob.a.nnz(), 10);
}

/// The EXP and EXP* maps agree with the CBF definitions of the cones on
/// points near their boundaries (both sides), and the map is exact on the
/// boundary pieces `y = 0` (EXP) and `x₂ = 0` (EXP*).
#[test]
fn cbf_exponential_transforms_on_points() {
    let primal = parse_cbf("VER\n3\nVAR\n3 1\nEXP 3\n").unwrap();
    let dual = parse_cbf("VER\n3\nVAR\n3 1\nEXP* 3\n").unwrap();
    // CBF EXP: g₀ ≥ g₁·exp(g₂/g₁), g₁ > 0.
    let cbf_exp = |g: &[f64]| {
        if g[1] <= 0.0 {
            -1.0
        } else {
            g[0] - g[1] * (g[2] / g[1]).exp()
        }
    };
    // CBF EXP*: g₀ ≥ −g₂·e⁻¹·exp(g₁/g₂), g₂ < 0.
    let cbf_dual = |g: &[f64]| {
        if g[2] >= 0.0 {
            -1.0
        } else {
            g[0] + g[2] * (g[1] / g[2] - 1.0).exp()
        }
    };
    let mut rng = Lcg(7);
    let (mut inside, mut outside) = (0, 0);
    for _ in 0..4000 {
        let a = 2.0 * rng.next();
        let bpos = 0.05 + 2.0 * rng.next().abs();
        let factor = 1.0 + 0.2 * rng.next();
        // EXP: g = (g₁·exp(g₂/g₁)·factor, g₁, g₂), sometimes g₁ < 0
        let g1 = if rng.next() < -0.8 { -bpos } else { bpos };
        let g = [bpos * (a / bpos).exp() * factor, g1, a];
        let (want, got) = (cbf_exp(&g), exp_margin(&slack(&primal, &g)));
        if want.abs() > 1e-9 * (1.0 + g[0].abs()) {
            assert_eq!(want > 0.0, got > 0.0, "EXP at {g:?}: {want} vs {got}");
        }
        // EXP*: g = (−g₂·e⁻¹·exp(g₁/g₂)·factor, g₁, g₂), sometimes g₂ > 0
        let g2 = if rng.next() < -0.8 { bpos } else { -bpos };
        let g = [bpos * (a / -bpos - 1.0).exp() * factor, a, g2];
        let (want, got) = (cbf_dual(&g), exp_margin(&slack(&dual, &g)));
        if want.abs() > 1e-9 * (1.0 + g[0].abs()) {
            assert_eq!(want > 0.0, got > 0.0, "EXP* at {g:?}: {want} vs {got}");
            if want > 0.0 {
                inside += 1;
            } else {
                outside += 1;
            }
        }
    }
    assert!(inside > 1000 && outside > 1000, "{inside} {outside}");
    // Boundary pieces: EXP* {g₂ = 0, g₁ ≥ 0, g₀ ≥ 0} ↦ {y = 0, x ≤ 0, z ≥ 0}.
    let s = slack(&dual, &[2.0, 3.0, 0.0]);
    assert_vec_close(&s, &[-3.0, 0.0, 2.0]);
    // EXP {g₁ = 0, g₂ ≤ 0, g₀ ≥ 0} ↦ {y = 0, x ≤ 0, z ≥ 0}.
    let s = slack(&primal, &[2.0, 0.0, -3.0]);
    assert_vec_close(&s, &[-3.0, 0.0, 2.0]);
}

/// Power cones: 3-dimensional POW and POW* (parameters not summing to 1),
/// a longer POW with three parameters and a two-entry normed part (chain
/// with auxiliary variables), and a one-parameter POW (second-order cone).
const POW_CBF: &str = "\
VER
3
POWCONES
3 6
2
3.0
1.0
3
1
1
2
1
2.0
POW*CONES
1 2
2
1.0
4.0
VAR
13 4
@0:POW 3
@0:POW* 3
@1:POW 5
@2:POW 2
CON
3 1
@0:POW 3
ACOORD
1
0 0 2.0
BCOORD
1
2 -1.0
";

#[test]
fn cbf_power_cones_standard_form() {
    let prob = parse_cbf(POW_CBF).unwrap();
    // 13 variables, then r (normed part of @1:POW) and t₁ (chain link).
    assert_eq!(prob.n(), 15);
    assert_eq!(
        prob.cones,
        vec![
            SupportedCone::Power(0.75), // constraint @0:POW
            SupportedCone::Power(0.75), // variables 0–2
            SupportedCone::Power(0.2),  // variables 3–5, POW* entry 0
            SupportedCone::Power(0.5),  // (x₆, x₇, t₁)
            SupportedCone::Power(0.5),  // (t₁, x₈, r)
            SupportedCone::SecondOrder(3),
            SupportedCone::SecondOrder(2),
        ]
    );
    let x: Vec<f64> = (0..15).map(|k| 0.1 * k as f64 + 0.05).collect();
    let (r, t1) = (x[13], x[14]);
    let expected = [
        2.0 * x[0],
        0.0,
        -1.0,
        x[0],
        x[1],
        x[2],
        x[3] / 0.2,
        x[4] / 0.8,
        x[5],
        x[6],
        x[7],
        t1,
        t1,
        x[8],
        r,
        r,
        x[9],
        x[10],
        x[11],
        x[12],
    ];
    assert_vec_close(&slack(&prob, &x), &expected);
    assert_eq!(prob.c, vec![0.0; 15]);
}

/// POW, POW* and the chained POW agree with the CBF definitions on points.
#[test]
fn cbf_power_transforms_on_points() {
    let prob = parse_cbf(POW_CBF).unwrap();
    let mut rng = Lcg(11);
    let mut count = [0usize; 2];
    for _ in 0..3000 {
        let mut x = [0.0; 15];
        for v in x.iter_mut() {
            *v = 0.05 + rng.next().abs();
        }
        let factor = 1.0 + 0.3 * rng.next();
        // @0:POW on x₀..x₂: β = (0.75, 0.25)
        x[2] = x[0].powf(0.75) * x[1].powf(0.25) * factor * rng.next().signum();
        // @0:POW* on x₃..x₅: β = (0.2, 0.8), Π (uᵢ/βᵢ)^βᵢ ≥ |w|
        x[5] = (x[3] / 0.2).powf(0.2) * (x[4] / 0.8).powf(0.8) * factor;
        // @1:POW on x₆..x₁₀: β = (0.25, 0.25, 0.5), normed part (x₉, x₁₀)
        let gm = x[6].powf(0.25) * x[7].powf(0.25) * x[8].powf(0.5);
        let angle = 3.0 * rng.next();
        x[9] = gm * factor * angle.cos();
        x[10] = gm * factor * angle.sin();
        // @2:POW on (x₁₁, x₁₂): x₁₁ ≥ |x₁₂|
        x[12] = x[11] * factor;
        // canonical auxiliary values: r = ‖w‖, t₁ = √(x₆x₇)
        x[13] = x[9].hypot(x[10]);
        x[14] = (x[6] * x[7]).sqrt();
        let s = slack(&prob, &x);
        let margins = cone_margins(&prob, &s);
        let inside = factor < 1.0;
        if (factor - 1.0).abs() < 1e-6 {
            continue;
        }
        count[inside as usize] += 1;
        // constraint cone (2x₀, 0, −1) is inside whenever x₀ > 0... skip it
        for (k, m) in margins.iter().enumerate().skip(1) {
            if k == 3 || k == 5 {
                // (x₆, x₇, t₁) and (r, x₉, x₁₀) hold with equality by
                // construction; (t₁, x₈, r) decides
                assert!(m.abs() < 1e-12, "{m}");
                continue;
            }
            let tol = 1e-12 * (1.0 + s.iter().map(|v| v.abs()).fold(0.0, f64::max));
            assert_eq!(*m > tol, inside, "cone {k} at {x:?}: margin {m}");
        }
    }
    assert!(count[0] > 500 && count[1] > 500, "{count:?}");
}

/// Matrix variables and constraints: OBJFCOORD, FCOORD, HCOORD, DCOORD.
const PSD_CBF: &str = "\
VER
3
OBJSENSE
MAX
PSDVAR
2
2
1
VAR
2 1
F 2
PSDCON
1
2
CON
1 1
L= 1
OBJFCOORD
2
0 0 0 1.0
0 1 0 0.5
OBJACOORD
1
1 3.0
FCOORD
2
0 0 1 0 2.0
0 1 0 0 -1.0
ACOORD
1
0 0 1.0
BCOORD
1
0 -4.0
HCOORD
2
0 0 1 0 1.5
0 1 1 1 2.0
DCOORD
2
0 0 0 1.0
0 1 1 0.25
";

#[test]
fn cbf_semidefinite_standard_form() {
    let prob = parse_cbf(PSD_CBF).unwrap();
    // x₀, x₁, svec(X) (3 entries), svec(Y) (1 entry)
    assert_eq!((prob.n(), prob.m()), (6, 8));
    assert_eq!(
        prob.cones,
        vec![
            SupportedCone::Zero(1),
            SupportedCone::PositiveSemidefinite(2), // PSDCON 0
            SupportedCone::PositiveSemidefinite(2), // PSDVAR 0
            SupportedCone::PositiveSemidefinite(1), // PSDVAR 1
        ]
    );
    let r2 = std::f64::consts::SQRT_2;
    let (x0, x1) = (0.5, -1.2);
    let (x00, x01, x11, y) = (0.7, -0.3, 1.1, 0.4);
    let v = [x0, x1, x00, r2 * x01, x11, y];
    // ⟨F, X⟩ counts the off-diagonal entry twice
    let expected = [
        2.0 * 2.0 * x01 - y + x0 - 4.0, // L= row
        1.0,                            // svec(x₀H₀ + x₁H₁ + D)
        r2 * 1.5 * x0,
        2.0 * x1 + 0.25,
        x00, // svec(X)
        r2 * x01,
        x11,
        y, // svec(Y)
    ];
    assert_vec_close(&slack(&prob, &v), &expected);
    // MAX: minus (⟨F⁰, X⟩ + 3x₁) with F⁰ = [[1, .5], [.5, 0]]
    assert!(close(
        prob.objective(&v),
        -(x00 + 2.0 * 0.5 * x01 + 3.0 * x1)
    ));
    assert!(close(prob.c[3], -0.5 * r2));

    // (k, l) and (l, k) name the same entry
    let swapped = PSD_CBF
        .replace("0 1 0 0.5", "0 0 1 0.5")
        .replace("0 0 1 0 2.0", "0 0 0 1 2.0")
        .replace("0 0 1 0 1.5", "0 0 0 1 1.5");
    assert_eq!(parse_cbf(&swapped).unwrap(), prob);

    // Without VAR: a pure matrix problem.
    let sdp = "VER\n3\nPSDVAR\n1\n3\nOBJFCOORD\n2\n0 2 2 1.0\n0 2 0 1.0\n";
    let p = parse_cbf(sdp).unwrap();
    assert_eq!((p.n(), p.m()), (6, 6));
    assert_eq!(p.cones, vec![SupportedCone::PositiveSemidefinite(3)]);
    // svec positions: (0,2) ↦ 3, (2,2) ↦ 5
    assert_vec_close(&p.c, &[0.0, 0.0, 0.0, r2, 0.0, 1.0]);
}

#[test]
fn cbf_errors_new_cones() {
    let t = POW_CBF.replace("@2:POW 2", "@2:POW 1");
    let t = t.replace("13 4", "12 4");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "@2:POW 1"),
        "not supported: power cone @2:POW of dimension 1",
    );
    let t = POW_CBF.replace("@2:POW 2", "@3:POW 2");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "@3:POW 2"),
        "refers to POWCONES entry 3, but 3 are declared",
    );
    let t = POW_CBF.replace("@2:POW 2", "@0:POW* 2");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "@0:POW* 2"),
        "no normed part",
    );
    let t = POW_CBF.replace("@2:POW 2", "@0:ROOT 2");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "@0:ROOT 2"),
        "unknown parametric cone",
    );
    let t = POW_CBF.replace("3.0\n", "-3.0\n");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "-3.0"),
        "must be positive",
    );
    let t = POW_CBF.replace("3 6", "3 7");
    assert_parse_err(parse_cbf(&t), "CBF", 4, "sum to 6 but 7 declared");
    // POW*CONES alias, and dual cones taken from the dual table
    let t = POW_CBF.replace("POW*CONES", "POWSTARCONES");
    assert_eq!(parse_cbf(&t).unwrap(), parse_cbf(POW_CBF).unwrap());
    let t = POW_CBF.replace("POW*CONES", "POWCONES");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "1 2") - 1,
        "duplicate POWCONES",
    );

    // matrix sections
    let t = PSD_CBF.replace("PSDVAR\n2\n2\n1\n", "");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "OBJFCOORD"),
        "OBJFCOORD must come after PSDVAR",
    );
    let t = PSD_CBF.replace("0 1 0 0 -1.0", "0 2 0 0 -1.0");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "0 2 0 0 -1.0"),
        "PSDVAR index 2 out of range",
    );
    let t = PSD_CBF.replace("0 1 0 0 -1.0", "0 1 1 0 -1.0");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "0 1 1 0 -1.0"),
        "matrix entry (1, 0) out of range (side 1)",
    );
    let t = PSD_CBF.replace("0 0 1 0 2.0", "1 0 1 0 2.0");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "1 0 1 0 2.0"),
        "FCOORD row index 1 out of range",
    );
    let t = PSD_CBF.replace("0 1 1 1 2.0", "1 1 1 1 2.0");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "1 1 1 1 2.0"),
        "PSDCON index 1 out of range",
    );
    let t = PSD_CBF.replace("0 1 1 1 2.0", "0 2 1 1 2.0");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "0 2 1 1 2.0"),
        "HCOORD variable index 2 out of range",
    );
    let t = PSD_CBF.replace("0 1 1 0.25", "0 2 1 0.25");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "0 2 1 0.25"),
        "matrix entry (2, 1) out of range (side 2)",
    );
    let t = PSD_CBF.replace("PSDCON\n1\n2\n", "");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "HCOORD"),
        "HCOORD must come after PSDCON",
    );
    let t = PSD_CBF.replace("PSDCON\n1\n2\n", "PSDCON\n1\n0\n");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "0"),
        "side must be at least 1",
    );
    let t = PSD_CBF.replace("0 0 0 1.0\n0 1 0 0.5", "0 0 0 1.0 2.0\n0 1 0 0.5");
    assert_parse_err(
        parse_cbf(&t),
        "CBF",
        line_of(&t, "0 0 0 1.0 2.0"),
        "expected OBJFCOORD entry",
    );
    // no VAR and no PSDVAR
    assert_parse_err(parse_cbf("VER\n3\nPSDCON\n1\n2\n"), "CBF", 5, "missing VAR");
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

/// Every exponential and power cone instance reads, with one cone per
/// `EXP` / `@k:POW` block and the variables as in the file (all power cones
/// are 3-dimensional with two parameters, so no auxiliary variables).
#[test]
fn cblib_exp_and_pow_parse() {
    let Some(dir) = cblib_dir() else { return };
    let mut count = 0;
    for sub in ["exp", "pow"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let prob = read_problem(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut text = String::new();
            use std::io::Read;
            flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            let ((n, var), (_, con)) = cbf_headers(&text);
            assert_eq!(prob.n(), n, "{}", path.display());
            let kept: usize = con
                .iter()
                .chain(&var)
                .filter(|(k, _)| k != "F")
                .map(|(_, d)| d)
                .sum();
            assert_eq!(prob.m(), kept, "{}", path.display());
            let blocks = |pred: &dyn Fn(&str) -> bool| {
                con.iter().chain(&var).filter(|(k, _)| pred(k)).count()
            };
            let n_exp = prob
                .cones
                .iter()
                .filter(|k| **k == SupportedCone::Exponential)
                .count();
            assert_eq!(n_exp, blocks(&|k| k == "EXP"), "{}", path.display());
            let pows: Vec<f64> = prob
                .cones
                .iter()
                .filter_map(|k| match k {
                    SupportedCone::Power(a) => Some(*a),
                    _ => None,
                })
                .collect();
            assert_eq!(
                pows.len(),
                blocks(&|k| k.ends_with(":POW")),
                "{}",
                path.display()
            );
            if sub == "pow" {
                // HMCR: POWCONES entry (0.8305…, 0.1694…), which sums to 1
                assert!(!pows.is_empty());
                for a in pows {
                    assert!((a - 8.305084745762712e-1).abs() < 1e-15, "{a}");
                }
            }
            count += 1;
        }
    }
    assert_eq!(count, 17);
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

    for p in [
        parse_mps(TINY_QPS).unwrap(),
        parse_cbf(TINY_CBF).unwrap(),
        parse_cbf(EXP_CBF).unwrap(),
        parse_cbf(POW_CBF).unwrap(),
        parse_cbf(PSD_CBF).unwrap(),
    ] {
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

/// The exponential, power and semidefinite cone objects: parsed, written
/// back in the same form, and read again to the same problem.
#[test]
fn json_new_cones() {
    let text = r#"{
      "c": [1.0, 0.0, 0.0],
      "A": {"m": 9, "n": 3, "rows": [0, 1, 2, 3, 4, 5, 6, 7, 8],
            "cols": [0, 1, 2, 0, 1, 2, 0, 1, 2], "vals": [-1, -1, -1, -1, -1, -1, -1, -1, -1]},
      "b": [0, 1, 0, 0, 0, 0, 1, 0, 1],
      "cones": [{"type": "exp"}, {"type": "pow", "alpha": 0.25}, {"type": "psd", "n": 2}]
    }"#;
    let prob = parse_json(text).unwrap();
    assert_eq!(
        prob.cones,
        vec![
            SupportedCone::Exponential,
            SupportedCone::Power(0.25),
            SupportedCone::PositiveSemidefinite(2),
        ]
    );
    let out = to_json(&prob);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["cones"],
        serde_json::json!([{"type": "exp"}, {"type": "pow", "alpha": 0.25}, {"type": "psd", "n": 2}])
    );
    assert_eq!(parse_json(&out).unwrap(), prob);
    // an exponent that is not a short decimal survives the round trip
    let mut p = prob.clone();
    p.cones[1] = SupportedCone::Power(1.0 / 3.0);
    assert_eq!(parse_json(&to_json(&p)).unwrap(), p);
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
    // exponential, power and semidefinite cones: strict keys and values
    assert_json_err(
        edit(&|v| v["cones"][1] = serde_json::json!({"type": "exp", "dim": 3})),
        "$.cones[1].dim",
        "unknown key (expected one of type)",
    );
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "pow"})),
        "$.cones[0]",
        "missing required key \"alpha\"",
    );
    for bad in [0.0, 1.0, -0.5, 1.5] {
        assert_json_err(
            edit(&|v| v["cones"][0] = serde_json::json!({"type": "pow", "alpha": bad})),
            "$.cones[0].alpha",
            "open interval (0, 1)",
        );
    }
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "pow", "alpha": "0.5"})),
        "$.cones[0].alpha",
        "expected a number",
    );
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "psd", "n": 0})),
        "$.cones[0].n",
        "at least 1",
    );
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "psd", "n": 1.5})),
        "$.cones[0].n",
        "nonnegative integer",
    );
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "psd", "dim": 3})),
        "$.cones[0].dim",
        "unknown key (expected one of type, n)",
    );
    // psd n = 2 covers 3 rows: with the nonneg(2) block, 5 ≠ 3
    assert_json_err(
        edit(&|v| v["cones"][0] = serde_json::json!({"type": "psd", "n": 2})),
        "$.cones",
        "sum to 5 but A has 3 rows",
    );
    // unknown cones and keys
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
    for text in [TINY_QPS, TINY_CBF, TINY_JSON, EXP_CBF, POW_CBF, PSD_CBF] {
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
