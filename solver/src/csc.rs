//! Compressed sparse column storage used throughout the solver.
//!
//! The public API also accepts [`sprs::CsMat`] (see [`CscMatrix::from_sprs`]);
//! this type is the solver's own because the interior-point method needs
//! stable nonzero positions (the data-update API addresses values by their
//! position in `nzval`) and explicit control of sortedness.

use crate::error::{MatrixName, ProblemError};

/// A sparse matrix in compressed sparse column form with sorted row indices
/// and no duplicate entries.
#[derive(Debug, Clone, PartialEq)]
pub struct CscMatrix {
    /// Number of rows.
    pub m: usize,
    /// Number of columns.
    pub n: usize,
    /// Column pointers, length `n + 1`.
    pub colptr: Vec<usize>,
    /// Row index of each stored entry.
    pub rowval: Vec<usize>,
    /// Value of each stored entry.
    pub nzval: Vec<f64>,
}

impl CscMatrix {
    /// Builds a matrix from raw CSC arrays, checking the structure.
    ///
    /// ```
    /// use lpgd_solver::CscMatrix;
    /// let a = CscMatrix::new(2, 2, vec![0, 1, 2], vec![0, 1], vec![1.0, 2.0]).unwrap();
    /// assert_eq!(a.nnz(), 2);
    /// ```
    pub fn new(
        m: usize,
        n: usize,
        colptr: Vec<usize>,
        rowval: Vec<usize>,
        nzval: Vec<f64>,
    ) -> Result<Self, ProblemError> {
        let mat = CscMatrix {
            m,
            n,
            colptr,
            rowval,
            nzval,
        };
        mat.check_structure(MatrixName::A)?;
        Ok(mat)
    }

    /// An `m × n` matrix without entries.
    pub fn zeros(m: usize, n: usize) -> Self {
        CscMatrix {
            m,
            n,
            colptr: vec![0; n + 1],
            rowval: Vec::new(),
            nzval: Vec::new(),
        }
    }

    /// The `n × n` identity.
    pub fn identity(n: usize) -> Self {
        CscMatrix {
            m: n,
            n,
            colptr: (0..=n).collect(),
            rowval: (0..n).collect(),
            nzval: vec![1.0; n],
        }
    }

    /// Builds a matrix from triplets (row, column, value); duplicates are summed,
    /// explicit zeros are kept (they fix the sparsity pattern).
    ///
    /// ```
    /// use lpgd_solver::CscMatrix;
    /// let a = CscMatrix::from_triplets(2, 2, &[1, 0, 1], &[0, 1, 0], &[1.0, 2.0, 3.0]).unwrap();
    /// assert_eq!(a.get(1, 0), 4.0);
    /// ```
    pub fn from_triplets(
        m: usize,
        n: usize,
        rows: &[usize],
        cols: &[usize],
        vals: &[f64],
    ) -> Result<Self, ProblemError> {
        Self::from_triplets_named(m, n, rows, cols, vals, MatrixName::A)
    }

    /// As [`CscMatrix::from_triplets`], naming the matrix in errors.
    pub fn from_triplets_named(
        m: usize,
        n: usize,
        rows: &[usize],
        cols: &[usize],
        vals: &[f64],
        name: MatrixName,
    ) -> Result<Self, ProblemError> {
        if rows.len() != cols.len() || rows.len() != vals.len() {
            return Err(ProblemError::InvalidSparsity {
                matrix: name,
                reason: format!(
                    "triplet arrays have different lengths (rows {}, cols {}, vals {})",
                    rows.len(),
                    cols.len(),
                    vals.len()
                ),
            });
        }
        for (k, (&r, &c)) in rows.iter().zip(cols).enumerate() {
            if r >= m || c >= n {
                return Err(ProblemError::IndexOutOfRange {
                    matrix: name,
                    entry: k,
                    row: r,
                    col: c,
                    rows: m,
                    cols: n,
                });
            }
        }
        // Dimensions come from files and callers: allocate the column
        // pointers fallibly rather than abort on an absurd `n`.
        let too_large = ProblemError::TooLarge {
            matrix: name,
            rows: m,
            cols: n,
        };
        let ncolptr = n.checked_add(1).ok_or_else(|| too_large.clone())?;
        let mut colptr: Vec<usize> = Vec::new();
        colptr.try_reserve_exact(ncolptr).map_err(|_| too_large)?;
        colptr.resize(ncolptr, 0);
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&k| (cols[k], rows[k]));
        let mut rowval = Vec::with_capacity(rows.len());
        let mut nzval: Vec<f64> = Vec::with_capacity(rows.len());
        let mut last: Option<(usize, usize)> = None;
        for &k in &order {
            let key = (cols[k], rows[k]);
            if last == Some(key) {
                if let Some(v) = nzval.last_mut() {
                    *v += vals[k];
                }
                continue;
            }
            last = Some(key);
            rowval.push(rows[k]);
            nzval.push(vals[k]);
            colptr[cols[k] + 1] += 1;
        }
        for j in 0..n {
            colptr[j + 1] += colptr[j];
        }
        Ok(CscMatrix {
            m,
            n,
            colptr,
            rowval,
            nzval,
        })
    }

    /// Converts a [`sprs::CsMat`] (CSC or CSR) into solver storage.
    ///
    /// ```
    /// use lpgd_solver::CscMatrix;
    /// let s = sprs::CsMat::new_csc((2, 2), vec![0, 1, 2], vec![0, 1], vec![1.0, 2.0]);
    /// let a = CscMatrix::from_sprs(&s);
    /// assert_eq!(a.get(1, 1), 2.0);
    /// ```
    pub fn from_sprs(mat: &sprs::CsMat<f64>) -> Self {
        let csc = if mat.is_csc() {
            mat.clone()
        } else {
            mat.to_csc()
        };
        let (m, n) = csc.shape();
        let mut out = CscMatrix::zeros(m, n);
        for (j, col) in csc.outer_iterator().enumerate() {
            let mut entries: Vec<(usize, f64)> = col.iter().map(|(i, &v)| (i, v)).collect();
            entries.sort_by_key(|e| e.0);
            for (i, v) in entries {
                out.rowval.push(i);
                out.nzval.push(v);
            }
            out.colptr[j + 1] = out.rowval.len();
        }
        out
    }

    /// Converts into a [`sprs::CsMat`] in CSC storage.
    pub fn to_sprs(&self) -> sprs::CsMat<f64> {
        sprs::CsMat::new_csc(
            (self.m, self.n),
            self.colptr.clone(),
            self.rowval.clone(),
            self.nzval.clone(),
        )
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.rowval.len()
    }

    /// Entry `(i, j)`, zero if not stored.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if j >= self.n {
            return 0.0;
        }
        let range = self.colptr[j]..self.colptr[j + 1];
        match self.rowval[range.clone()].binary_search(&i) {
            Ok(k) => self.nzval[range.start + k],
            Err(_) => 0.0,
        }
    }

    /// Row and column of each stored entry, in storage order.
    pub fn triplet_indices(&self) -> (Vec<usize>, Vec<usize>) {
        let mut cols = Vec::with_capacity(self.nnz());
        for j in 0..self.n {
            for _ in self.colptr[j]..self.colptr[j + 1] {
                cols.push(j);
            }
        }
        (self.rowval.clone(), cols)
    }

    /// The transpose, together with the map from each transposed entry to its
    /// position in `self.nzval`.
    pub fn transpose_with_map(&self) -> (CscMatrix, Vec<usize>) {
        let mut count = vec![0usize; self.m + 1];
        for &i in &self.rowval {
            count[i + 1] += 1;
        }
        for i in 0..self.m {
            count[i + 1] += count[i];
        }
        let colptr = count.clone();
        let mut next = count;
        let mut rowval = vec![0usize; self.nnz()];
        let mut nzval = vec![0.0; self.nnz()];
        let mut map = vec![0usize; self.nnz()];
        for j in 0..self.n {
            for k in self.colptr[j]..self.colptr[j + 1] {
                let i = self.rowval[k];
                let dst = next[i];
                next[i] += 1;
                rowval[dst] = j;
                nzval[dst] = self.nzval[k];
                map[dst] = k;
            }
        }
        (
            CscMatrix {
                m: self.n,
                n: self.m,
                colptr,
                rowval,
                nzval,
            },
            map,
        )
    }

    /// The transpose.
    pub fn transpose(&self) -> CscMatrix {
        self.transpose_with_map().0
    }

    /// `y ← α·M·x + β·y`.
    pub fn gemv(&self, y: &mut [f64], x: &[f64], alpha: f64, beta: f64) {
        scale_or_zero(y, beta);
        for j in 0..self.n {
            let xj = alpha * x[j];
            if xj == 0.0 {
                continue;
            }
            for k in self.colptr[j]..self.colptr[j + 1] {
                y[self.rowval[k]] += self.nzval[k] * xj;
            }
        }
    }

    /// `y ← α·Mᵀ·x + β·y`.
    pub fn gemv_t(&self, y: &mut [f64], x: &[f64], alpha: f64, beta: f64) {
        for j in 0..self.n {
            let mut acc = 0.0;
            for k in self.colptr[j]..self.colptr[j + 1] {
                acc += self.nzval[k] * x[self.rowval[k]];
            }
            y[j] = if beta == 0.0 {
                alpha * acc
            } else {
                beta * y[j] + alpha * acc
            };
        }
    }

    /// `y ← α·M·x + β·y` for a symmetric `M` stored by its upper triangle.
    pub fn symv_upper(&self, y: &mut [f64], x: &[f64], alpha: f64, beta: f64) {
        scale_or_zero(y, beta);
        for j in 0..self.n {
            let mut acc = 0.0;
            for k in self.colptr[j]..self.colptr[j + 1] {
                let i = self.rowval[k];
                let v = self.nzval[k];
                if i == j {
                    acc += v * x[j];
                } else {
                    acc += v * x[i];
                    y[i] += alpha * v * x[j];
                }
            }
            y[j] += alpha * acc;
        }
    }

    /// `xᵀMx` for a symmetric `M` stored by its upper triangle.
    pub fn quad_form_upper(&self, x: &[f64]) -> f64 {
        let mut acc = 0.0;
        for j in 0..self.n {
            for k in self.colptr[j]..self.colptr[j + 1] {
                let i = self.rowval[k];
                let v = self.nzval[k] * x[i] * x[j];
                acc += if i == j { v } else { 2.0 * v };
            }
        }
        acc
    }

    /// Infinity norm of each column (of the full symmetric matrix if `symmetric_upper`).
    pub fn col_norms_inf(&self, out: &mut [f64], symmetric_upper: bool) {
        for j in 0..self.n {
            for k in self.colptr[j]..self.colptr[j + 1] {
                let v = self.nzval[k].abs();
                out[j] = out[j].max(v);
                if symmetric_upper {
                    let i = self.rowval[k];
                    out[i] = out[i].max(v);
                }
            }
        }
    }

    /// Infinity norms of the columns and of the rows in one pass:
    /// `col[j] ← max(col[j], ‖M₋ⱼ‖∞)`, `row[i] ← max(row[i], ‖Mᵢ₋‖∞)`.
    pub fn norms_inf(&self, col: &mut [f64], row: &mut [f64]) {
        for (j, cj) in col.iter_mut().enumerate().take(self.n) {
            let range = self.colptr[j]..self.colptr[j + 1];
            let mut acc = *cj;
            for (&i, v) in self.rowval[range.clone()].iter().zip(&self.nzval[range]) {
                let v = v.abs();
                acc = acc.max(v);
                row[i] = row[i].max(v);
            }
            *cj = acc;
        }
    }

    /// Infinity norm of each row.
    pub fn row_norms_inf(&self, out: &mut [f64]) {
        for (k, &i) in self.rowval.iter().enumerate() {
            out[i] = out[i].max(self.nzval[k].abs());
        }
    }

    /// `M ← diag(l)·M·diag(r)`.
    pub fn scale_lr(&mut self, l: &[f64], r: &[f64]) {
        for (j, &rj) in r.iter().enumerate().take(self.n) {
            let range = self.colptr[j]..self.colptr[j + 1];
            for (&i, v) in self.rowval[range.clone()]
                .iter()
                .zip(&mut self.nzval[range])
            {
                *v *= l[i] * rj;
            }
        }
    }

    /// Checks column pointers, sorted unique in-range row indices.
    pub fn check_structure(&self, name: MatrixName) -> Result<(), ProblemError> {
        let bad = |reason: String| ProblemError::InvalidSparsity {
            matrix: name,
            reason,
        };
        if self.colptr.len() != self.n + 1 {
            return Err(bad(format!(
                "colptr has length {} but {} columns need {}",
                self.colptr.len(),
                self.n,
                self.n + 1
            )));
        }
        if self.colptr[0] != 0 {
            return Err(bad("colptr[0] is not 0".into()));
        }
        if self.rowval.len() != self.nzval.len() {
            return Err(bad(format!(
                "rowval has {} entries but nzval has {}",
                self.rowval.len(),
                self.nzval.len()
            )));
        }
        if self.colptr[self.n] != self.rowval.len() {
            return Err(bad(format!(
                "colptr[n] = {} but {} entries are stored",
                self.colptr[self.n],
                self.rowval.len()
            )));
        }
        // Monotone column pointers (checked for every column before any
        // entry is read: together with colptr[n] = nnz they keep every
        // range colptr[j]..colptr[j + 1] inside rowval).
        for j in 0..self.n {
            if self.colptr[j] > self.colptr[j + 1] {
                return Err(bad(format!("colptr decreases at column {j}")));
            }
        }
        for j in 0..self.n {
            let mut prev: Option<usize> = None;
            for k in self.colptr[j]..self.colptr[j + 1] {
                let i = self.rowval[k];
                if i >= self.m {
                    return Err(ProblemError::IndexOutOfRange {
                        matrix: name,
                        entry: k,
                        row: i,
                        col: j,
                        rows: self.m,
                        cols: self.n,
                    });
                }
                if let Some(p) = prev {
                    if i <= p {
                        return Err(bad(format!(
                            "row indices in column {j} are not strictly increasing (row {i} after {p})"
                        )));
                    }
                }
                prev = Some(i);
            }
        }
        Ok(())
    }
}

fn scale_or_zero(y: &mut [f64], beta: f64) {
    if beta == 0.0 {
        y.iter_mut().for_each(|v| *v = 0.0);
    } else if beta != 1.0 {
        y.iter_mut().for_each(|v| *v *= beta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_sum_duplicates_and_sort() {
        let a = CscMatrix::from_triplets(3, 2, &[2, 0, 2, 1], &[0, 0, 0, 1], &[1.0, 2.0, 3.0, 4.0])
            .unwrap();
        assert_eq!(a.colptr, vec![0, 2, 3]);
        assert_eq!(a.rowval, vec![0, 2, 1]);
        assert_eq!(a.nzval, vec![2.0, 4.0, 4.0]);
    }

    #[test]
    fn out_of_range_triplet_is_reported() {
        let e = CscMatrix::from_triplets(2, 2, &[0, 5], &[0, 1], &[1.0, 1.0]).unwrap_err();
        assert!(matches!(
            e,
            ProblemError::IndexOutOfRange {
                entry: 1,
                row: 5,
                col: 1,
                ..
            }
        ));
    }

    #[test]
    fn norms_inf_are_the_column_and_row_norms() {
        let a = CscMatrix::from_triplets(
            3,
            3,
            &[0, 2, 1, 0, 2],
            &[0, 0, 1, 2, 2],
            &[-4.0, 1.5, -0.5, 2.0, -3.0],
        )
        .unwrap();
        let (mut col, mut row) = (vec![0.0; 3], vec![0.0; 3]);
        a.norms_inf(&mut col, &mut row);
        assert_eq!(col, vec![4.0, 0.5, 3.0]);
        assert_eq!(row, vec![4.0, 0.5, 3.0]);
        let (mut col2, mut row2) = (vec![0.0; 3], vec![0.0; 3]);
        a.col_norms_inf(&mut col2, false);
        a.row_norms_inf(&mut row2);
        assert_eq!((col, row), (col2, row2));
        // Existing entries are maxima to keep.
        let (mut col, mut row) = (vec![5.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]);
        a.norms_inf(&mut col, &mut row);
        assert_eq!(col, vec![5.0, 0.5, 3.0]);
        assert_eq!(row, vec![4.0, 1.0, 3.0]);
    }

    #[test]
    fn symv_matches_dense() {
        let p = CscMatrix::from_triplets(2, 2, &[0, 0, 1], &[0, 1, 1], &[2.0, 1.0, 3.0]).unwrap();
        let mut y = vec![0.0; 2];
        p.symv_upper(&mut y, &[1.0, 2.0], 1.0, 0.0);
        assert_eq!(y, vec![4.0, 7.0]);
        assert_eq!(p.quad_form_upper(&[1.0, 2.0]), 18.0);
    }

    #[test]
    fn transpose_roundtrip() {
        let a = CscMatrix::from_triplets(3, 2, &[0, 2, 1], &[0, 0, 1], &[1.0, 2.0, 3.0]).unwrap();
        let (t, map) = a.transpose_with_map();
        assert_eq!(t.get(0, 2), 2.0);
        for (k, &src) in map.iter().enumerate() {
            assert_eq!(t.nzval[k], a.nzval[src]);
        }
        assert_eq!(t.transpose(), a);
    }
}
