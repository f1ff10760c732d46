//! Hostile input: NaN/Inf, extreme magnitudes, empty problems, broken sparse
//! structure, non-PSD `P`, degenerate `A`, hostile files and settings. Each
//! test asserts the specific documented outcome (a typed error variant or a
//! status) and, through the test harness, that nothing panics. Crashes found
//! by fuzzing (`fuzz/`) are kept here as regressions.
#![allow(clippy::needless_range_loop)]

use lpgd_solver::{
    io, problem::check_p_psd, AdmmSettings, Certificate, CscMatrix, MatrixName, Method,
    ProblemData, ProblemError, ReadError, Settings, Solver, SolverError, Status, SupportedCone,
};
use std::path::PathBuf;

fn t(m: usize, n: usize, r: &[usize], c: &[usize], v: &[f64]) -> CscMatrix {
    CscMatrix::from_triplets(m, n, r, c, v).unwrap()
}

fn p_upper(n: usize, r: &[usize], c: &[usize], v: &[f64]) -> CscMatrix {
    CscMatrix::from_triplets_named(n, n, r, c, v, MatrixName::P).unwrap()
}

fn nonneg(d: usize) -> Vec<SupportedCone> {
    vec![SupportedCone::Nonnegative(d)]
}

fn solve(prob: ProblemData) -> lpgd_solver::Solution {
    Solver::new(prob, Settings::default()).unwrap().solve()
}

/// min x₁ + x₂ s.t. x ≥ 0 (as −x + s = 0), x₁ + x₂ ≥ 1, with `P = diag(1, 1)`.
fn base() -> (CscMatrix, Vec<f64>, CscMatrix, Vec<f64>, Vec<SupportedCone>) {
    (
        p_upper(2, &[0, 1], &[0, 1], &[1.0, 1.0]),
        vec![1.0, 1.0],
        t(
            3,
            2,
            &[0, 1, 2, 2],
            &[0, 1, 0, 1],
            &[-1.0, -1.0, -1.0, -1.0],
        ),
        vec![0.0, 0.0, -1.0],
        nonneg(3),
    )
}

// ---------------------------------------------------------------- NaN / Inf

#[test]
fn non_finite_values_in_problem_data_are_typed_errors() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let (mut p, c, a, b, k) = base();
        p.nzval[1] = bad;
        let e = ProblemData::new(Some(p), c, a, b, k).unwrap_err();
        assert!(
            matches!(
                e,
                ProblemError::NonFiniteMatrix {
                    matrix: MatrixName::P,
                    row: 1,
                    col: 1,
                    ..
                }
            ),
            "{e:?}"
        );

        let (p, mut c, a, b, k) = base();
        c[0] = bad;
        let e = ProblemData::new(Some(p), c, a, b, k).unwrap_err();
        assert!(
            matches!(
                e,
                ProblemError::NonFiniteVector {
                    vector: "c",
                    index: 0,
                    ..
                }
            ),
            "{e:?}"
        );

        let (p, c, mut a, b, k) = base();
        a.nzval[2] = bad; // column 1, row 1
        let e = ProblemData::new(Some(p), c, a, b, k).unwrap_err();
        assert!(
            matches!(
                e,
                ProblemError::NonFiniteMatrix {
                    matrix: MatrixName::A,
                    row: 1,
                    col: 1,
                    ..
                }
            ),
            "{e:?}"
        );

        let (p, c, a, mut b, k) = base();
        b[2] = bad;
        let e = ProblemData::new(Some(p), c, a, b, k).unwrap_err();
        assert!(
            matches!(
                e,
                ProblemError::NonFiniteVector {
                    vector: "b",
                    index: 2,
                    ..
                }
            ),
            "{e:?}"
        );

        // Public fields edited after validation: Solver::new validates again.
        let (p, c, a, b, k) = base();
        let mut prob = ProblemData::new(Some(p), c, a, b, k).unwrap();
        prob.obj_constant = bad;
        let e = Solver::new(prob, Settings::default()).err().unwrap();
        assert!(
            matches!(
                e,
                SolverError::Problem(ProblemError::NonFiniteVector {
                    vector: "objective constant",
                    ..
                })
            ),
            "{e:?}"
        );
    }
}

#[test]
fn non_finite_updates_are_rejected_and_leave_the_solver_usable() {
    let (p, c, a, b, k) = base();
    let prob = ProblemData::new(Some(p), c, a, b, k).unwrap();
    let mut solver = Solver::new(prob.clone(), Settings::default()).unwrap();
    let first = solver.solve();
    assert_eq!(first.status, Status::Solved);
    let mut av = prob.a.nzval.clone();
    av[0] = f64::NAN;
    assert!(matches!(
        solver.update_a_values(&av),
        Err(ProblemError::NonFiniteVector {
            vector: "A values",
            index: 0,
            ..
        })
    ));
    let mut pv = prob.p.nzval.clone();
    pv[1] = f64::INFINITY;
    assert!(matches!(
        solver.update_p_values(&pv),
        Err(ProblemError::NonFiniteVector {
            vector: "P values",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        solver.update_c(&[f64::NEG_INFINITY, 0.0]),
        Err(ProblemError::NonFiniteVector {
            vector: "c",
            index: 0,
            ..
        })
    ));
    assert!(matches!(
        solver.update_b(&[0.0, f64::NAN, 0.0]),
        Err(ProblemError::NonFiniteVector {
            vector: "b",
            index: 1,
            ..
        })
    ));
    // The rejected updates changed nothing.
    let again = solver.solve();
    assert_eq!(again.status, Status::Solved);
    assert_eq!(again.objective, first.objective);
}

const MPS: &str = "NAME T\nROWS\n N COST\n G LIM\nCOLUMNS\n    X COST 1.0 LIM 1.0\nRHS\n    RHS LIM 2.0\nENDATA\n";
const CBF: &str = "VER\n3\nOBJSENSE\nMIN\nVAR\n1 1\nF 1\nCON\n1 1\nL+ 1\nOBJACOORD\n1\n0 1.0\nACOORD\n1\n0 0 1.0\nBCOORD\n1\n0 -2.0\n";

fn parse_error(r: Result<ProblemData, ReadError>) -> (&'static str, usize, String) {
    match r {
        Err(ReadError::Parse {
            format,
            line,
            message,
        }) => (format, line, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn non_finite_values_in_files_are_parse_errors() {
    // The untouched files are fine.
    assert_eq!(io::parse_mps(MPS).unwrap().c, vec![1.0]);
    assert_eq!(io::parse_cbf(CBF).unwrap().c, vec![1.0]);
    for bad in ["nan", "NaN", "inf", "-inf", "infinity", "1e400"] {
        // c, A, b and P of an MPS file.
        for (from, to, line) in [
            ("COST 1.0", format!("COST {bad}"), 6),
            ("LIM 1.0", format!("LIM {bad}"), 6),
            ("LIM 2.0", format!("LIM {bad}"), 8),
            ("ENDATA", format!("QUADOBJ\n    X X {bad}\nENDATA"), 10),
        ] {
            let (format, l, msg) = parse_error(io::parse_mps(&MPS.replace(from, &to)));
            assert_eq!((format, l), ("MPS", line), "{bad}: {msg}");
            assert!(
                msg.contains("must be finite") || msg.contains("invalid number"),
                "{msg}"
            );
        }
        // c, A and b of a CBF file.
        for (from, to, line) in [
            ("0 1.0\nACOORD", format!("0 {bad}\nACOORD"), 13),
            ("0 0 1.0", format!("0 0 {bad}"), 16),
            ("0 -2.0", format!("0 {bad}"), 19),
        ] {
            let (format, l, msg) = parse_error(io::parse_cbf(&CBF.replace(from, &to)));
            assert_eq!((format, l), ("CBF", line), "{bad}: {msg}");
            assert!(msg.contains("must be finite"), "{msg}");
        }
    }
    // JSON has no NaN literal, and numbers beyond f64 are rejected.
    let json = |v: &str| {
        format!(
            "{{\"c\":[{v}],\"A\":{{\"m\":1,\"n\":1,\"rows\":[0],\"cols\":[0],\"vals\":[1]}},\"b\":[1],\"cones\":[{{\"type\":\"nonneg\",\"dim\":1}}]}}"
        )
    };
    assert!(io::parse_json(&json("1")).is_ok());
    for bad in ["NaN", "Infinity", "1e400", "-1e400"] {
        let e = io::parse_json(&json(bad)).unwrap_err();
        assert!(
            matches!(e, ReadError::Json { ref path, .. } if path == "$"),
            "{e:?}"
        );
    }
}

#[test]
fn empty_and_truncated_files_are_parse_errors() {
    assert!(matches!(
        io::parse_mps(""),
        Err(ReadError::Parse { format: "MPS", .. })
    ));
    assert!(matches!(
        io::parse_cbf(""),
        Err(ReadError::Parse { format: "CBF", .. })
    ));
    assert!(matches!(io::parse_json(""), Err(ReadError::Json { .. })));
    assert!(matches!(
        io::parse_mps(&MPS[..MPS.len() / 2]),
        Err(ReadError::Parse { format: "MPS", .. })
    ));
    // Absurd dimensions are refused before anything is allocated.
    for text in [
        "VER\n3\nVAR\n1000000000000 1\nF 1000000000000\n",
        "VER\n3\nVAR\n18446744073709551615 1\nF 18446744073709551615\n",
        "VER\n3\nCON\n1000000000000 1\nL+ 1000000000000\n",
    ] {
        assert!(matches!(
            io::parse_cbf(text),
            Err(ReadError::Parse {
                format: "CBF",
                line: 4,
                ..
            })
        ));
    }
    let e = io::parse_json(
        "{\"c\":[],\"A\":{\"m\":100000000000,\"n\":0,\"rows\":[],\"cols\":[],\"vals\":[]},\"b\":[],\"cones\":[]}",
    )
    .unwrap_err();
    assert!(
        matches!(e, ReadError::Json { ref path, .. } if path == "$.A.m"),
        "{e:?}"
    );
}

// ------------------------------------------------------ extreme magnitudes

#[test]
fn huge_and_tiny_magnitudes_give_a_status_not_a_panic() {
    let k = nonneg(1);
    // A huge cost on a well-posed problem: min 1e300·x s.t. x ≥ 1.
    let sol = solve(
        ProblemData::new(
            None,
            vec![1e300],
            t(1, 1, &[0], &[0], &[-1.0]),
            vec![-1.0],
            k.clone(),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.x[0] - 1.0).abs() < 1e-6 && (sol.objective / 1e300 - 1.0).abs() < 1e-6);
    // Everything 1e300: the first factorization overflows.
    let sol = solve(
        ProblemData::new(
            None,
            vec![1e300],
            t(1, 1, &[0], &[0], &[-1e300]),
            vec![-1e300],
            k.clone(),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::NumericalError);
    assert_eq!(sol.iterations, 0);
    assert!(sol.objective.is_nan());
    // Mixed 1e±300 in one matrix (ipm.rs has the same class): NumericalError.
    let a = t(2, 2, &[0, 1], &[0, 1], &[-1e300, -1e-300]);
    let sol = solve(
        ProblemData::new(None, vec![1e300, 1.0], a, vec![-1e300, -1e-300], nonneg(2)).unwrap(),
    );
    assert_eq!(sol.status, Status::NumericalError);
    // A huge P: the steps collapse.
    let sol = solve(
        ProblemData::new(
            Some(p_upper(1, &[0], &[0], &[1e300])),
            vec![1.0],
            t(1, 1, &[0], &[0], &[-1.0]),
            vec![-1.0],
            k.clone(),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::InsufficientProgress);
    // Everything 1e-300: below every tolerance, the data are numerically zero;
    // the point returned satisfies the (relative) tolerances, not x ≥ 1.
    let sol = solve(
        ProblemData::new(
            None,
            vec![1e-300],
            t(1, 1, &[0], &[0], &[-1e-300]),
            vec![-1e-300],
            k,
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
    assert!(sol.residuals.primal < 1e-8 && sol.objective.abs() < 1e-290);
    // Subnormal values are finite and accepted.
    let tiny = f64::MIN_POSITIVE / 4.0;
    let sol = solve(
        ProblemData::new(
            None,
            vec![tiny],
            t(1, 1, &[0], &[0], &[-1.0]),
            vec![-1.0],
            nonneg(1),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
}

// ------------------------------------------------------------ empty problems

#[test]
fn empty_problems() {
    // n = 0, m = 0.
    let sol =
        solve(ProblemData::new(None, vec![], CscMatrix::zeros(0, 0), vec![], vec![]).unwrap());
    assert_eq!(
        (sol.status, sol.iterations, sol.objective),
        (Status::Solved, 0, 0.0)
    );
    // n = 0, m = 1: feasible iff b ≥ 0 (s = b).
    let empty_col = |b: f64, k: SupportedCone| {
        solve(ProblemData::new(None, vec![], CscMatrix::zeros(1, 0), vec![b], vec![k]).unwrap())
    };
    let sol = empty_col(1.0, SupportedCone::Nonnegative(1));
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.s[0] - 1.0).abs() < 1e-8);
    let sol = empty_col(-1.0, SupportedCone::Nonnegative(1));
    assert_eq!(sol.status, Status::PrimalInfeasible);
    assert!(matches!(
        sol.certificate,
        Some(Certificate::PrimalInfeasible { .. })
    ));
    assert_eq!(
        empty_col(1.0, SupportedCone::Zero(1)).status,
        Status::PrimalInfeasible
    );
    // n = 1, m = 0: unconstrained.
    let free = |p: Option<CscMatrix>, c: f64| {
        solve(ProblemData::new(p, vec![c], CscMatrix::zeros(0, 1), vec![], vec![]).unwrap())
    };
    let sol = free(None, 1.0);
    assert_eq!(sol.status, Status::DualInfeasible);
    let Some(Certificate::DualInfeasible { x, .. }) = sol.certificate else {
        panic!("no certificate")
    };
    assert_eq!(x, vec![-1.0]);
    let sol = free(None, 0.0);
    assert_eq!((sol.status, sol.objective), (Status::Solved, 0.0));
    let sol = free(Some(p_upper(1, &[0], &[0], &[2.0])), -2.0);
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.x[0] - 1.0).abs() < 1e-8 && (sol.objective + 1.0).abs() < 1e-8);
    // Zero-dimensional cones are invalid, not empty.
    let e = ProblemData::new(
        None,
        vec![],
        CscMatrix::zeros(0, 0),
        vec![],
        vec![SupportedCone::Nonnegative(0)],
    )
    .unwrap_err();
    assert!(
        matches!(e, ProblemError::InvalidCone { index: 0, .. }),
        "{e:?}"
    );
    // Cone dimensions that overflow usize are typed errors, not panics.
    for cones in [
        vec![SupportedCone::PositiveSemidefinite(usize::MAX)],
        vec![SupportedCone::PositiveSemidefinite(1 << 33)],
        vec![
            SupportedCone::Nonnegative(usize::MAX),
            SupportedCone::Zero(2),
        ],
    ] {
        let e = ProblemData::new(None, vec![], CscMatrix::zeros(0, 0), vec![], cones).unwrap_err();
        assert!(matches!(e, ProblemError::InvalidCone { .. }), "{e:?}");
    }
    let e = ProblemData::new(
        None,
        vec![],
        CscMatrix::zeros(0, 0),
        vec![],
        vec![SupportedCone::Nonnegative(usize::MAX)],
    )
    .unwrap_err();
    assert!(matches!(e, ProblemError::ConeDimensionSum { .. }), "{e:?}");
    // An empty JSON problem round-trips and solves.
    let prob = io::parse_json("{\"c\":[],\"A\":{\"m\":0,\"n\":0,\"rows\":[],\"cols\":[],\"vals\":[]},\"b\":[],\"cones\":[]}").unwrap();
    assert_eq!(solve(prob).status, Status::Solved);
}

// ----------------------------------------------------- sparse structure

#[test]
fn duplicate_triplets_are_summed() {
    let a = t(2, 2, &[1, 0, 1, 1], &[0, 1, 0, 0], &[1.0, 2.0, 3.0, -0.5]);
    assert_eq!((a.nnz(), a.get(1, 0), a.get(0, 1)), (2, 3.5, 2.0));
    // Duplicates that cancel leave an explicit zero (the pattern is kept).
    let a = t(1, 1, &[0, 0], &[0, 0], &[1.0, -1.0]);
    assert_eq!((a.nnz(), a.nzval[0]), (1, 0.0));
    // Duplicate P triplets on the diagonal sum before the PSD check.
    let p = p_upper(1, &[0, 0], &[0, 0], &[-1.0, 3.0]);
    let prob = ProblemData::new(
        Some(p),
        vec![0.0],
        t(1, 1, &[0], &[0], &[-1.0]),
        vec![-1.0],
        nonneg(1),
    )
    .unwrap();
    let sol = solve(prob);
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.objective - 1.0).abs() < 1e-7);
    // Raw CSC with a repeated row in a column is refused.
    let e = CscMatrix::new(2, 1, vec![0, 2], vec![1, 1], vec![1.0, 2.0]).unwrap_err();
    assert!(matches!(e, ProblemError::InvalidSparsity { .. }), "{e:?}");
}

#[test]
fn unsorted_and_out_of_range_indices() {
    // Unsorted triplets are fine: they are sorted.
    let a = t(3, 2, &[2, 0, 1], &[1, 1, 0], &[1.0, 2.0, 3.0]);
    assert_eq!(a.rowval, vec![1, 0, 2]);
    // Out-of-range triplets name the entry.
    let e = CscMatrix::from_triplets(2, 2, &[0, 2], &[0, 0], &[1.0, 1.0]).unwrap_err();
    assert!(
        matches!(
            e,
            ProblemError::IndexOutOfRange {
                entry: 1,
                row: 2,
                col: 0,
                ..
            }
        ),
        "{e:?}"
    );
    let e = CscMatrix::from_triplets(2, 2, &[0], &[7], &[1.0]).unwrap_err();
    assert!(
        matches!(
            e,
            ProblemError::IndexOutOfRange {
                entry: 0,
                col: 7,
                ..
            }
        ),
        "{e:?}"
    );
    let e = CscMatrix::from_triplets(2, 2, &[0, 1], &[0], &[1.0]).unwrap_err();
    assert!(matches!(e, ProblemError::InvalidSparsity { .. }), "{e:?}");
    // Raw CSC: unsorted rows, rows out of range, broken column pointers.
    let bad_csc: Vec<(Vec<usize>, Vec<usize>, usize)> = vec![
        (vec![0, 2], vec![1, 0], 2),    // unsorted
        (vec![0, 1, 2], vec![0, 5], 2), // row out of range
        (vec![0, 5, 2], vec![0, 1], 2), // colptr past nnz, then decreasing (was a panic)
        (vec![1, 1, 2], vec![0, 1], 2), // colptr[0] ≠ 0
        (vec![0, 1], vec![0], 2),       // colptr too short
        (vec![0, 1, 3], vec![0, 1], 2), // colptr[n] ≠ nnz
        (vec![0, 2, 1], vec![0, 1], 2), // decreasing
    ];
    for (colptr, rowval, n) in bad_csc {
        let nz = vec![1.0; rowval.len()];
        let r = CscMatrix::new(2, n, colptr.clone(), rowval.clone(), nz.clone());
        assert!(
            matches!(
                r,
                Err(ProblemError::InvalidSparsity { .. } | ProblemError::IndexOutOfRange { .. })
            ),
            "{colptr:?} {rowval:?}: {r:?}"
        );
        // The same broken structure given through the public fields.
        let a = CscMatrix {
            m: 2,
            n,
            colptr,
            rowval,
            nzval: nz,
        };
        let r = ProblemData::new(None, vec![0.0; n], a, vec![0.0; 2], nonneg(2));
        assert!(
            matches!(
                r,
                Err(ProblemError::InvalidSparsity {
                    matrix: MatrixName::A,
                    ..
                } | ProblemError::IndexOutOfRange {
                    matrix: MatrixName::A,
                    ..
                } | ProblemError::Dimension { .. })
            ),
            "{r:?}"
        );
    }
    // Absurd dimensions: a typed error instead of an allocation abort.
    for n in [usize::MAX, 1 << 60] {
        let e = CscMatrix::from_triplets(1, n, &[], &[], &[]).unwrap_err();
        assert!(
            matches!(e, ProblemError::TooLarge { cols, .. } if cols == n),
            "{e:?}"
        );
    }
    // P entries below the diagonal, P not square, dimension mismatches.
    let (_, c, a, b, k) = base();
    let lower = p_upper(2, &[1], &[0], &[1.0]);
    let e = ProblemData::new(Some(lower), c.clone(), a.clone(), b.clone(), k.clone()).unwrap_err();
    assert!(
        matches!(e, ProblemError::PNotUpperTriangular { row: 1, col: 0 }),
        "{e:?}"
    );
    let e = ProblemData::new(
        Some(CscMatrix::zeros(3, 2)),
        c.clone(),
        a.clone(),
        b.clone(),
        k.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(e, ProblemError::PNotSquare { rows: 3, cols: 2 }),
        "{e:?}"
    );
    let e = ProblemData::new(None, c.clone(), a.clone(), b.clone(), nonneg(2)).unwrap_err();
    assert!(
        matches!(
            e,
            ProblemError::ConeDimensionSum {
                cone_rows: 2,
                a_rows: 3
            }
        ),
        "{e:?}"
    );
    let mut prob = ProblemData::new(None, c, a, b, k).unwrap();
    prob.c.push(1.0);
    let e = Solver::new(prob, Settings::default()).err().unwrap();
    assert!(
        matches!(e, SolverError::Problem(ProblemError::Dimension { .. })),
        "{e:?}"
    );
}

// ------------------------------------------------------------- P not PSD

#[test]
fn p_not_psd_is_a_typed_error() {
    let a = t(2, 2, &[0, 1], &[0, 1], &[1.0, 1.0]);
    let b = vec![1.0, 1.0];
    // Negative diagonal: rejected by ProblemData::new.
    let e = ProblemData::new(
        Some(p_upper(2, &[0, 1], &[0, 1], &[1.0, -1.0])),
        vec![0.0; 2],
        a.clone(),
        b.clone(),
        nonneg(2),
    )
    .unwrap_err();
    assert!(
        matches!(e, ProblemError::PNotPsd { index: 1, value } if value == -1.0),
        "{e:?}"
    );
    // Indefinite with a nonnegative diagonal ([[1, 2], [2, 1]], eigenvalues
    // 3 and −1; this one used to be reported Solved at a local minimum) and
    // with a zero diagonal ([[0, 1], [1, 0]]; used to be reported Solved at
    // −7e24): accepted as data, rejected by Solver::new.
    for p in [
        p_upper(2, &[0, 0, 1], &[0, 1, 1], &[1.0, 2.0, 1.0]),
        p_upper(2, &[0], &[1], &[1.0]),
    ] {
        let prob = ProblemData::new(
            Some(p.clone()),
            vec![0.0; 2],
            a.clone(),
            b.clone(),
            nonneg(2),
        )
        .unwrap();
        let e = Solver::new(prob, Settings::default()).err().unwrap();
        assert!(
            matches!(e, SolverError::Problem(ProblemError::PIndefinite { .. })),
            "{e:?}"
        );
        assert!(matches!(
            check_p_psd(&p),
            Err(ProblemError::PIndefinite { .. })
        ));
    }
    // PSD but singular (rank one, and rank one with huge and tiny scale) passes.
    for s in [1.0, 1e300, 1e-300] {
        let p = p_upper(2, &[0, 0, 1], &[0, 1, 1], &[s, s, s]);
        assert!(check_p_psd(&p).is_ok(), "scale {s}");
    }
    let p = p_upper(2, &[0, 0, 1], &[0, 1, 1], &[1.0, 1.0, 1.0]);
    let prob = ProblemData::new(Some(p), vec![-1.0, 0.0], a.clone(), b.clone(), nonneg(2)).unwrap();
    assert_eq!(solve(prob).status, Status::Solved);
    // Indefinite on a larger, sparse P: a path graph Laplacian (PSD) minus
    // a small multiple of the identity on one block.
    let n = 50;
    let (mut r, mut c, mut v) = (vec![], vec![], vec![]);
    for i in 0..n {
        r.push(i);
        c.push(i);
        v.push(if i == 0 || i == n - 1 { 1.0 } else { 2.0 });
        if i + 1 < n {
            r.push(i);
            c.push(i + 1);
            v.push(-1.0);
        }
    }
    let lap = p_upper(n, &r, &c, &v);
    assert!(check_p_psd(&lap).is_ok());
    let mut shifted = lap.clone();
    for j in 0..n {
        for k in shifted.colptr[j]..shifted.colptr[j + 1] {
            if shifted.rowval[k] == j {
                shifted.nzval[k] -= 0.01; // λ_min(Laplacian) = 0 → −0.01
            }
        }
    }
    assert!(matches!(
        check_p_psd(&shifted),
        Err(ProblemError::PIndefinite { .. })
    ));
    // A data update to an indefinite P is refused; the solver keeps the old P.
    let p = p_upper(2, &[0, 0, 1], &[0, 1, 1], &[1.0, 0.5, 1.0]);
    let prob = ProblemData::new(Some(p), vec![1.0, 1.0], a, b, nonneg(2)).unwrap();
    let mut solver = Solver::new(prob, Settings::default()).unwrap();
    let first = solver.solve();
    assert_eq!(first.status, Status::Solved);
    assert!(matches!(
        solver.update_p_values(&[1.0, 2.0, 1.0]),
        Err(ProblemError::PIndefinite { .. })
    ));
    assert!(matches!(
        solver.update_p_values(&[-1.0, 0.0, 1.0]),
        Err(ProblemError::PNotPsd { index: 0, .. })
    ));
    assert_eq!(solver.problem().p.nzval, vec![1.0, 0.5, 1.0]);
    assert_eq!(solver.solve().objective, first.objective);
}

fn shared_dir() -> Option<PathBuf> {
    let base = std::env::var_os("LPGD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let dir = base.join("data/maros_meszaros");
    dir.join("reference.csv").exists().then_some(dir)
}

#[test]
fn psd_check_accepts_every_maros_meszaros_p() {
    // The convex QP set (VALUES has λ_min = −1.3e-5 from rounded data and is
    // accepted within the tolerance) must pass the PSD check.
    let Some(dir) = shared_dir() else {
        println!("note: Maros-Meszaros data not found (set LPGD_SHARED_DIR); skipping");
        return;
    };
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if io::format_of(&path).is_none() {
            continue;
        }
        let prob = io::read_problem(&path).unwrap();
        assert!(check_p_psd(&prob.p).is_ok(), "{}", path.display());
        count += 1;
    }
    assert!(count >= 100, "only {count} problems");
}

// ------------------------------------------------------- degenerate A

#[test]
fn degenerate_and_rank_deficient_a() {
    let eq2 = vec![SupportedCone::Zero(2), SupportedCone::Nonnegative(2)];
    // Duplicated equality rows x₁ + x₂ = 1 (twice), x ≥ 0.
    let dup = t(
        4,
        2,
        &[0, 0, 1, 1, 2, 3],
        &[0, 1, 0, 1, 0, 1],
        &[1.0, 1.0, 1.0, 1.0, -1.0, -1.0],
    );
    let p = Some(p_upper(2, &[0, 1], &[0, 1], &[1.0, 1.0]));
    let sol = solve(
        ProblemData::new(
            p,
            vec![0.0, 0.0],
            dup.clone(),
            vec![1.0, 1.0, 0.0, 0.0],
            eq2.clone(),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.x[0] - 0.5).abs() < 1e-6 && (sol.x[1] - 0.5).abs() < 1e-6);
    let sol = solve(
        ProblemData::new(
            None,
            vec![1.0, 1.0],
            dup.clone(),
            vec![1.0, 1.0, 0.0, 0.0],
            eq2.clone(),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.objective - 1.0).abs() < 1e-7);
    // ... and inconsistent: x₁ + x₂ = 1 and = 2.
    let sol =
        solve(ProblemData::new(None, vec![1.0, 1.0], dup, vec![1.0, 2.0, 0.0, 0.0], eq2).unwrap());
    assert_eq!(sol.status, Status::PrimalInfeasible);
    // A zero row: 0 = 0 is harmless, 0 = 1 and 0 ≤ −1 are infeasible.
    let zr = t(2, 1, &[1], &[0], &[-1.0]);
    let zk = vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(1)];
    let sol =
        solve(ProblemData::new(None, vec![1.0], zr.clone(), vec![0.0, 0.0], zk.clone()).unwrap());
    assert_eq!(sol.status, Status::Solved);
    assert!(sol.x[0].abs() < 1e-7);
    let sol = solve(ProblemData::new(None, vec![1.0], zr.clone(), vec![1.0, 0.0], zk).unwrap());
    assert_eq!(sol.status, Status::PrimalInfeasible);
    let sol = solve(ProblemData::new(None, vec![1.0], zr, vec![-1.0, 0.0], nonneg(2)).unwrap());
    assert_eq!(sol.status, Status::PrimalInfeasible);
    // An all-zero A stored with explicit zeros.
    let za = t(2, 2, &[0, 1], &[0, 1], &[0.0, 0.0]);
    let sol = solve(
        ProblemData::new(
            Some(p_upper(2, &[0, 1], &[0, 1], &[1.0, 1.0])),
            vec![1.0, -1.0],
            za,
            vec![1.0, 1.0],
            nonneg(2),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.x[0] + 1.0).abs() < 1e-6 && (sol.x[1] - 1.0).abs() < 1e-6);
    // A zero column: free if its cost is zero, unbounded if not (LP), and
    // fixed by P if P covers it.
    let zc = t(1, 2, &[0], &[0], &[-1.0]);
    let sol =
        solve(ProblemData::new(None, vec![1.0, 0.0], zc.clone(), vec![0.0], nonneg(1)).unwrap());
    assert_eq!(sol.status, Status::Solved);
    let sol =
        solve(ProblemData::new(None, vec![1.0, 1.0], zc.clone(), vec![0.0], nonneg(1)).unwrap());
    assert_eq!(sol.status, Status::DualInfeasible);
    let p = p_upper(2, &[1], &[1], &[1.0]);
    let sol = solve(ProblemData::new(Some(p), vec![1.0, 1.0], zc, vec![0.0], nonneg(1)).unwrap());
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.objective + 0.5).abs() < 1e-7);
    // Rank-deficient equality block (row 2 = 2·row 1), consistent, x ≥ 0.
    let a = t(
        5,
        3,
        &[0, 0, 1, 1, 2, 3, 4],
        &[0, 1, 0, 1, 0, 1, 2],
        &[1.0, 2.0, 2.0, 4.0, -1.0, -1.0, -1.0],
    );
    let k = vec![SupportedCone::Zero(2), SupportedCone::Nonnegative(3)];
    let sol = solve(
        ProblemData::new(
            None,
            vec![1.0, 1.0, 1.0],
            a.clone(),
            vec![1.0, 2.0, 0.0, 0.0, 0.0],
            k.clone(),
        )
        .unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
    assert!((sol.objective - 0.5).abs() < 1e-7, "{}", sol.objective);
    // More equality rows than variables, all consistent (m = 3n).
    let n = 4;
    let (mut r, mut c, mut v) = (vec![], vec![], vec![]);
    for copy in 0..3 {
        for j in 0..n {
            r.push(copy * n + j);
            c.push(j);
            v.push((copy + 1) as f64);
        }
    }
    let a = t(3 * n, n, &r, &c, &v);
    let b: Vec<f64> = (0..3 * n).map(|i| ((i / n) + 1) as f64 * 2.0).collect();
    let sol = solve(
        ProblemData::new(None, vec![1.0; n], a, b, vec![SupportedCone::Zero(3 * n)]).unwrap(),
    );
    assert_eq!(sol.status, Status::Solved);
    assert!(sol.x.iter().all(|x| (x - 2.0).abs() < 1e-6), "{:?}", sol.x);
    // A degenerate second-order cone block: every row identical.
    let a = t(3, 1, &[0, 1, 2], &[0, 0, 0], &[-1.0, -1.0, -1.0]);
    let sol = solve(
        ProblemData::new(
            None,
            vec![1.0],
            a,
            vec![0.0; 3],
            vec![SupportedCone::SecondOrder(3)],
        )
        .unwrap(),
    );
    // s = (x, x, x) ∈ SOC forces x ≤ 0 … and x ≥ 0 from t ≥ ‖u‖ with t = x:
    // only x = 0 is feasible, on the cone's apex.
    assert!(sol.status.is_solved(), "{:?}", sol.status);
    assert!(sol.x[0].abs() < 1e-4, "{:?}", sol.x);
}

// --------------------------------------------------------------- settings

#[test]
fn hostile_settings() {
    let (p, c, a, b, k) = base();
    let prob = ProblemData::new(Some(p), c, a, b, k).unwrap();
    for (name, s) in [
        (
            "time_limit",
            Settings {
                time_limit: f64::NAN,
                ..Settings::default()
            },
        ),
        (
            "time_limit",
            Settings {
                time_limit: 0.0,
                ..Settings::default()
            },
        ),
        (
            "eps_abs",
            Settings {
                eps_abs: -1.0,
                ..Settings::default()
            },
        ),
        (
            "max_step_fraction",
            Settings {
                max_step_fraction: 1.5,
                ..Settings::default()
            },
        ),
        (
            "max_step_fraction",
            Settings {
                max_step_fraction: f64::NAN,
                ..Settings::default()
            },
        ),
    ] {
        let e = Solver::new(prob.clone(), s).err().unwrap();
        assert!(
            matches!(e, SolverError::Settings { name: n, .. } if n == name),
            "{e:?}"
        );
    }
    // max_iter = 0: no iteration, status MaxIterations.
    let s = Settings {
        max_iter: 0,
        ..Settings::default()
    };
    let sol = Solver::new(prob.clone(), s).unwrap().solve();
    assert_eq!((sol.status, sol.iterations), (Status::MaxIterations, 0));
    // An infinite time limit is the default and valid.
    let s = Settings {
        time_limit: f64::INFINITY,
        ..Settings::default()
    };
    assert_eq!(Solver::new(prob, s).unwrap().solve().status, Status::Solved);
}

/// Found by the `solver` fuzz target: on this tiny power-cone problem the
/// operator-splitting iterate overflows in one iteration, and its ray
/// passed the primal-infeasibility test in scaled units while being
/// infinite in the user's units, so `PrimalInfeasible` came with the
/// certificate `y = [NaN, NaN, −∞]` — for a feasible problem (`x = −10`),
/// unbounded along `d = −1`. A certificate that is not finite now certifies
/// nothing (the method reports `NumericalError`); the interior-point method
/// finds the dual-infeasibility certificate.
#[test]
fn an_overflowed_ray_is_not_a_certificate() {
    let a = t(3, 1, &[0, 1], &[0, 0], &[4.0, 5.0]);
    let prob = ProblemData::new(
        None,
        vec![4.0],
        a,
        vec![-3.0, -1.5, 2.3809410283047268e-148],
        vec![SupportedCone::Power(0.17254901960784313)],
    )
    .unwrap();
    for method in [Method::InteriorPoint, Method::Admm] {
        let settings = Settings {
            method,
            max_iter: 40,
            time_limit: 0.5,
            admm: AdmmSettings {
                max_iter: 400,
                ..AdmmSettings::default()
            },
            ..Settings::default()
        };
        let sol = Solver::new(prob.clone(), settings).unwrap().solve();
        assert!(
            !matches!(
                sol.status,
                Status::PrimalInfeasible | Status::AlmostPrimalInfeasible
            ),
            "{method:?}: {sol:?}"
        );
        match &sol.certificate {
            Some(Certificate::DualInfeasible { x, s }) => {
                assert!(x.iter().chain(s).all(|v| v.is_finite()), "{sol:?}")
            }
            Some(other) => panic!("{method:?}: {other:?}"),
            None => assert!(!sol.status.is_infeasible(), "{method:?}: {sol:?}"),
        }
        if method == Method::InteriorPoint {
            assert_eq!(sol.status, Status::DualInfeasible);
        }
    }
}
