//! The problem model shared by every method:
//!
//! minimize ½xᵀPx + cᵀx + c₀ subject to Ax + s = b, s ∈ K,
//!
//! with `P` symmetric positive semidefinite stored by its upper triangle,
//! `A` sparse and `K` a product of [`SupportedCone`]s.

use crate::cones::SupportedCone;
use crate::csc::CscMatrix;
use crate::error::{MatrixName, ProblemError};

/// Validated problem data in standard form.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemData {
    /// Upper triangle of the quadratic cost, `n × n`.
    pub p: CscMatrix,
    /// Linear cost, length `n`.
    pub c: Vec<f64>,
    /// Constraint matrix, `m × n`.
    pub a: CscMatrix,
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
            p,
            c,
            a,
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
        let mut total = 0;
        for (i, cone) in self.cones.iter().enumerate() {
            cone.validate(i)?;
            total += cone.dim();
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
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
