//! The problem model shared by every method:
//!
//! minimize ½xᵀPx + cᵀx + c₀ subject to Ax + s = b, s ∈ K,
//!
//! with `P` symmetric positive semidefinite stored by its upper triangle,
//! `A` sparse and `K` a product of [`SupportedCone`]s.

use crate::cones::SupportedCone;
use crate::csc::CscMatrix;
use crate::error::{MatrixName, ProblemError};
use std::sync::Arc;

/// Validated problem data in standard form.
///
/// The matrices are shared between copies (`Arc`): batches, layers and
/// solvers copy a problem for every instance and change only `c` and `b`,
/// so a copy does not copy `P` and `A`. Changing a matrix of one copy
/// ([`Arc::make_mut`]) gives that copy its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemData {
    /// Upper triangle of the quadratic cost, `n × n`.
    pub p: Arc<CscMatrix>,
    /// Linear cost, length `n`.
    pub c: Vec<f64>,
    /// Constraint matrix, `m × n`.
    pub a: Arc<CscMatrix>,
    /// Right-hand side, length `m`.
    pub b: Vec<f64>,
    /// Cones, in row order; their dimensions sum to `m`.
    pub cones: Vec<SupportedCone>,
    /// Constant added to the objective (e.g. from an MPS objective RHS).
    pub obj_constant: f64,
}

impl ProblemData {
    /// Validates and stores the data. `p = None` means a linear objective.
    ///
    /// ```
    /// use lpgd_solver::{CscMatrix, ProblemData, SupportedCone};
    /// // minimize x subject to x ≥ 1, written as −x + s = −1, s ≥ 0
    /// let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[-1.0]).unwrap();
    /// let prob = ProblemData::new(None, vec![1.0], a, vec![-1.0], vec![SupportedCone::Nonnegative(1)]).unwrap();
    /// assert_eq!(prob.n(), 1);
    /// ```
    pub fn new(
        p: Option<CscMatrix>,
        c: Vec<f64>,
        a: CscMatrix,
        b: Vec<f64>,
        cones: Vec<SupportedCone>,
    ) -> Result<Self, ProblemError> {
        let n = c.len();
        let p = p.unwrap_or_else(|| CscMatrix::zeros(n, n));
        let prob = ProblemData {
            p: Arc::new(p),
            c,
            a: Arc::new(a),
            b,
            cones,
            obj_constant: 0.0,
        };
        prob.validate()?;
        Ok(prob)
    }

    /// As [`ProblemData::new`] with [`sprs`] matrices at the boundary.
    ///
    /// ```
    /// use lpgd_solver::{ProblemData, SupportedCone};
    /// let a = sprs::CsMat::new_csc((1, 1), vec![0, 1], vec![0], vec![-1.0]);
    /// let prob = ProblemData::from_sprs(None, vec![1.0], &a, vec![-1.0], vec![SupportedCone::Nonnegative(1)]).unwrap();
    /// assert_eq!(prob.m(), 1);
    /// ```
    pub fn from_sprs(
        p: Option<&sprs::CsMat<f64>>,
        c: Vec<f64>,
        a: &sprs::CsMat<f64>,
        b: Vec<f64>,
        cones: Vec<SupportedCone>,
    ) -> Result<Self, ProblemError> {
        Self::new(
            p.map(CscMatrix::from_sprs),
            c,
            CscMatrix::from_sprs(a),
            b,
            cones,
        )
    }

    /// Number of variables.
    pub fn n(&self) -> usize {
        self.c.len()
    }

    /// Number of constraint rows.
    pub fn m(&self) -> usize {
        self.b.len()
    }

    /// Objective ½xᵀPx + cᵀx + c₀ at `x`.
    pub fn objective(&self, x: &[f64]) -> f64 {
        0.5 * self.p.quad_form_upper(x) + dot(&self.c, x) + self.obj_constant
    }

    /// Checks every structural and numerical requirement, naming the first
    /// violation found.
    pub fn validate(&self) -> Result<(), ProblemError> {
        let n = self.c.len();
        let m = self.b.len();
        if self.p.m != self.p.n {
            return Err(ProblemError::PNotSquare {
                rows: self.p.m,
                cols: self.p.n,
            });
        }
        if self.p.n != n {
            return Err(ProblemError::Dimension {
                what: "P (columns)",
                expected: n,
                found: self.p.n,
            });
        }
        if self.a.n != n {
            return Err(ProblemError::Dimension {
                what: "A (columns)",
                expected: n,
                found: self.a.n,
            });
        }
        if self.a.m != m {
            return Err(ProblemError::Dimension {
                what: "A (rows)",
                expected: m,
                found: self.a.m,
            });
        }
        self.p.check_structure(MatrixName::P)?;
        self.a.check_structure(MatrixName::A)?;
        for j in 0..n {
            for k in self.p.colptr[j]..self.p.colptr[j + 1] {
                if self.p.rowval[k] > j {
                    return Err(ProblemError::PNotUpperTriangular {
                        row: self.p.rowval[k],
                        col: j,
                    });
                }
            }
        }
        check_finite_matrix(&self.p, MatrixName::P)?;
        // A negative diagonal entry is a certain sign of an indefinite P.
        // (Indefiniteness with a nonnegative diagonal is not detected here.)
        for j in 0..n {
            for k in self.p.colptr[j]..self.p.colptr[j + 1] {
                if self.p.rowval[k] == j && self.p.nzval[k] < 0.0 {
                    return Err(ProblemError::PNotPsd {
                        index: j,
                        value: self.p.nzval[k],
                    });
                }
            }
        }
        check_finite_matrix(&self.a, MatrixName::A)?;
        check_finite_vector(&self.c, "c")?;
        check_finite_vector(&self.b, "b")?;
        if !self.obj_constant.is_finite() {
            return Err(ProblemError::NonFiniteVector {
                vector: "objective constant",
                index: 0,
                value: self.obj_constant,
            });
        }
        let mut total: usize = 0;
        for (i, cone) in self.cones.iter().enumerate() {
            cone.validate(i)?;
            // Dimensions come from callers and files: a PSD side near 2³² or
            // huge blocks must not overflow (a panic in debug builds, a
            // wrapped sum in release).
            let dim = match *cone {
                SupportedCone::PositiveSemidefinite(k) => k
                    .checked_add(1)
                    .and_then(|k1| k.checked_mul(k1))
                    .map(|v| v / 2),
                _ => Some(cone.dim()),
            };
            let Some(next) = dim.and_then(|d| total.checked_add(d)) else {
                return Err(ProblemError::InvalidCone {
                    index: i,
                    cone: cone.name().to_string(),
                    reason: "dimension overflows the address space".to_string(),
                });
            };
            total = next;
        }
        if total != m {
            return Err(ProblemError::ConeDimensionSum {
                cone_rows: total,
                a_rows: m,
            });
        }
        Ok(())
    }
}

/// Relative diagonal shift of the positive-semidefiniteness test of
/// [`check_p_psd`].
pub const PSD_SHIFT: f64 = 1e-5;

/// Tests that the symmetric matrix with upper triangle `p` is positive
/// semidefinite, up to a tolerance: with `P` scaled to `P̂ = P / max|Pᵢⱼ|`,
/// the sparse Cholesky factorization (AMD ordering, no pivoting, no
/// regularization) of `P̂ + δ·I` with `δ = PSD_SHIFT · ‖P̂‖₁` must succeed
/// (`‖·‖₁` the largest absolute column sum, an upper bound of the spectral
/// radius). So a `P` with an eigenvalue below `−PSD_SHIFT · ‖P‖₁` fails, as
/// does any column with a zero diagonal and a nonzero off-diagonal entry; a
/// PSD `P` (singular or not) passes, as does a slightly indefinite one with
/// eigenvalues in `[−PSD_SHIFT·‖P‖₁, 0)` — the rounding of PSD data printed
/// to a few digits in files (Maros-Meszaros VALUES has `λ_min = −1.3e-5`
/// with `λ_max = 10.8`, and solves).
///
/// Empty and diagonal `P` are decided without a factorization (a negative
/// diagonal entry gives [`ProblemError::PNotPsd`]). `p` must have a valid
/// upper-triangular structure with finite values (see
/// [`ProblemData::validate`]). If the factorization cannot be set up (out
/// of memory) the test is skipped; the KKT factorization of the solver will
/// report that.
///
/// ```
/// use lpgd_solver::{problem::check_p_psd, CscMatrix, ProblemError};
/// // [[1, 2], [2, 1]] has eigenvalues 3 and −1.
/// let p = CscMatrix::from_triplets(2, 2, &[0, 0, 1], &[0, 1, 1], &[1.0, 2.0, 1.0]).unwrap();
/// assert!(matches!(check_p_psd(&p), Err(ProblemError::PIndefinite { .. })));
/// let q = CscMatrix::from_triplets(2, 2, &[0, 0, 1], &[0, 1, 1], &[1.0, 1.0, 1.0]).unwrap();
/// assert!(check_p_psd(&q).is_ok());
/// ```
pub fn check_p_psd(p: &CscMatrix) -> Result<(), ProblemError> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::cholesky::llt::factor::{LltParams, LltRegularization};
    use faer::sparse::linalg::cholesky::{
        factorize_symbolic_cholesky, CholeskySymbolicParams, SymmetricOrdering,
    };
    use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
    use faer::{Par, Side, Spec};

    let n = p.n;
    let mut diagonal = true;
    let mut max_abs = 0.0f64;
    for j in 0..n {
        for k in p.colptr[j]..p.colptr[j + 1] {
            let v = p.nzval[k];
            max_abs = max_abs.max(v.abs());
            if p.rowval[k] != j && v != 0.0 {
                diagonal = false;
            }
            if p.rowval[k] == j && v < 0.0 {
                return Err(ProblemError::PNotPsd { index: j, value: v });
            }
        }
    }
    if diagonal || max_abs == 0.0 || !max_abs.is_finite() {
        return Ok(());
    }
    let inv = 1.0 / max_abs;
    let mut col_sums = vec![0.0f64; n];
    for j in 0..n {
        for k in p.colptr[j]..p.colptr[j + 1] {
            let (i, v) = (p.rowval[k], (p.nzval[k] * inv).abs());
            col_sums[j] += v;
            if i != j {
                col_sums[i] += v;
            }
        }
    }
    let shift = PSD_SHIFT * col_sums.iter().fold(0.0f64, |a, &v| a.max(v));
    // Upper triangle of P̂ + δI with every diagonal entry present.
    let mut colptr = Vec::with_capacity(n + 1);
    let mut rowval = Vec::with_capacity(p.nnz() + n);
    let mut values = Vec::with_capacity(p.nnz() + n);
    colptr.push(0usize);
    for j in 0..n {
        let mut diag = shift;
        for k in p.colptr[j]..p.colptr[j + 1] {
            let i = p.rowval[k];
            if i < j {
                rowval.push(i);
                values.push(p.nzval[k] * inv);
            } else if i == j {
                diag += p.nzval[k] * inv;
            }
        }
        rowval.push(j);
        values.push(diag);
        colptr.push(rowval.len());
    }
    // Sorted, in-range, diagonal last in each column: a valid pattern.
    let sym = SymbolicSparseColMatRef::new_checked(n, n, &colptr, None, &rowval);
    let Ok(symbolic) = factorize_symbolic_cholesky(
        sym,
        Side::Upper,
        SymmetricOrdering::Amd,
        CholeskySymbolicParams::default(),
    ) else {
        return Ok(());
    };
    let par = Par::Seq;
    let req = symbolic.factorize_numeric_llt_scratch::<f64>(par, Spec::<LltParams, f64>::default());
    let Ok(mut mem) = MemBuffer::try_new(req) else {
        return Ok(());
    };
    let mut l_values = Vec::new();
    if l_values.try_reserve_exact(symbolic.len_val()).is_err() {
        return Ok(());
    }
    l_values.resize(symbolic.len_val(), 0.0);
    let mat = SparseColMatRef::new(sym, &values);
    let result = symbolic.factorize_numeric_llt(
        &mut l_values,
        mat,
        Side::Upper,
        LltRegularization::default(),
        par,
        MemStack::new(&mut mem),
        Spec::<LltParams, f64>::default(),
    );
    match result {
        Ok(_) => Ok(()),
        Err(_) => Err(ProblemError::PIndefinite { shift }),
    }
}

fn check_finite_matrix(mat: &CscMatrix, name: MatrixName) -> Result<(), ProblemError> {
    for j in 0..mat.n {
        for k in mat.colptr[j]..mat.colptr[j + 1] {
            let v = mat.nzval[k];
            if !v.is_finite() {
                return Err(ProblemError::NonFiniteMatrix {
                    matrix: name,
                    row: mat.rowval[k],
                    col: j,
                    value: v,
                });
            }
        }
    }
    Ok(())
}

fn check_finite_vector(v: &[f64], name: &'static str) -> Result<(), ProblemError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(ProblemError::NonFiniteVector {
            vector: name,
            index: i,
            value: v[i],
        }),
        None => Ok(()),
    }
}

#[inline]
/// Checks a replacement vector of a data update: its length and finiteness.
pub(crate) fn check_update(
    v: &[f64],
    expected: usize,
    what: &'static str,
) -> Result<(), ProblemError> {
    if v.len() != expected {
        return Err(ProblemError::Dimension {
            what,
            expected,
            found: v.len(),
        });
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(ProblemError::NonFiniteVector {
            vector: what,
            index: i,
            value: v[i],
        });
    }
    Ok(())
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
