//! A simplicial sparse `LDLᵀ` factorization for quasi-definite matrices,
//! without pivoting, in the style of QDLDL.
//!
//! Given the upper triangle of a symmetric `K` and a fill-reducing
//! permutation `p` (AMD), it factors `PᵀKP = LDLᵀ` (`(PᵀKP)ᵢⱼ = K_{p(i) p(j)}`)
//! with `L` unit lower triangular and `D` diagonal.
//!
//! **Symbolic phase** (once per sparsity pattern, [`SimplicialLdl::new`]):
//! the AMD ordering, the pattern of the upper triangle of `PᵀKP` with, for
//! every permuted entry, the position of its value in the caller's value
//! array (so no numeric factorization ever permutes or allocates), the
//! elimination tree, and the pattern of every row of `L`. Row `k` of `L` is
//! the set of nodes reached from the rows of column `k` of the permuted upper
//! triangle by walking up the elimination tree, stopping at `k` or at an
//! already visited node. Each row pattern is stored in a topological order
//! of the tree (every node after its descendants), together with the
//! position of entry `(k, j)` within the column-wise storage of `L`, so the
//! numeric phase neither walks the tree nor searches.
//!
//! **Numeric phase** ([`SimplicialLdl::factor`]), up-looking: row `k` of `L`
//! solves the lower triangular system `L₀ D₀ l = a` restricted to the stored
//! row pattern, where `a` is column `k` of the permuted upper triangle:
//! `a` is scattered into a dense work vector `y`, then for every column `j`
//! of the pattern `l_kj = y_j / d_j`, `y_i −= L_ij y_j` for the rows `i < k`
//! already stored in column `j`, and `d_k = a_kk − Σ_j l_kj y_j`. Without
//! pivoting, quasi-definiteness is what guarantees the pivots exist; dynamic
//! regularization replaces a pivot whose sign differs from the expected one
//! (or that is too small) by `±δ`, as in QDLDL and faer.
//!
//! **Solve** ([`SimplicialLdl::solve_in_place`]): permute the right-hand
//! side into a preallocated buffer, forward substitution with `L` by
//! columns, then `D⁻¹` scaling fused with back substitution with `Lᵀ`, and
//! permute back.
//!
//! **Same arithmetic as faer's simplicial `LDLᵀ`.** The ordering is faer's
//! AMD called as faer's symbolic Cholesky calls it, the permuted columns
//! keep faer's entry order, the row patterns are in the order of faer's
//! `ereach` (the paths from the entries of column `k` in reverse order, each
//! bottom-up), and the solves accumulate as faer's do. The factor and the
//! solutions are therefore bitwise those of faer's simplicial path (the
//! interior-point iterates do not change with the backend); only the work
//! per factorization is less: no permutation of the matrix, no tree walks,
//! and `1/d_j` computed once per pivot instead of once per entry.

use crate::error::SolverError;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::amd;
use faer::sparse::SymbolicSparseColMatRef;

/// Marker for "no parent" in the elimination tree.
const NONE: usize = usize::MAX;

/// The fill-reducing ordering and factor structure of a symmetric pattern.
#[derive(Debug, Clone)]
pub struct LdlSymbolic {
    n: usize,
    /// `perm[k]`: original index of the `k`-th pivot.
    perm: Vec<usize>,
    /// Column pointers of the upper triangle of `PᵀKP` (entries of a column
    /// in the order of the input, the diagonal included).
    a_colptr: Vec<usize>,
    /// Row indices of the permuted upper triangle.
    a_rowval: Vec<usize>,
    /// For every permuted entry, the position of its value in the caller's
    /// value array (the original upper triangle).
    a_src: Vec<usize>,
    /// Column pointers of the strictly lower part of `L`.
    l_colptr: Vec<usize>,
    /// Row indices of `L`, increasing within each column (rows are
    /// appended in factorization order).
    l_rowval: Vec<usize>,
    /// Row pointers of the row patterns of `L`.
    r_ptr: Vec<usize>,
    /// Column index of each row-pattern entry, in topological order within
    /// each row.
    r_col: Vec<usize>,
    /// Position in `l_rowval`/`L` values of each row-pattern entry.
    r_pos: Vec<usize>,
    /// Operation count of a numeric factorization (see
    /// [`LdlSymbolic::factor_flops`]).
    flops: f64,
}

impl LdlSymbolic {
    /// Symbolic analysis of the upper triangle `(colptr, rowval)` of an
    /// `n × n` symmetric matrix (entries below the diagonal are rejected;
    /// duplicate entries are summed). The ordering is AMD.
    pub fn new(n: usize, colptr: &[usize], rowval: &[usize]) -> Result<Self, SolverError> {
        let (perm, flops) = amd_order(n, colptr, rowval)?;
        let mut sym = Self::with_ordering(n, colptr, rowval, perm)?;
        sym.flops = flops;
        Ok(sym)
    }

    /// Symbolic analysis with a given ordering (`perm[k]` is the original
    /// index of the `k`-th pivot).
    pub fn with_ordering(
        n: usize,
        colptr: &[usize],
        rowval: &[usize],
        perm: Vec<usize>,
    ) -> Result<Self, SolverError> {
        let bad = |msg: &str| SolverError::LinearSolver(format!("LDL symbolic analysis: {msg}"));
        if colptr.len() != n + 1 || perm.len() != n || colptr[n] != rowval.len() {
            return Err(bad("inconsistent dimensions"));
        }
        let mut pinv = vec![NONE; n];
        for (k, &p) in perm.iter().enumerate() {
            if p >= n || pinv[p] != NONE {
                return Err(bad("ordering is not a permutation"));
            }
            pinv[p] = k;
        }

        // Upper triangle of PᵀKP by counting sort on the permuted column,
        // entries in input order within a column (as faer permutes).
        let nnz = rowval.len();
        let mut a_colptr = vec![0usize; n + 1];
        for j in 0..n {
            for &i in &rowval[colptr[j]..colptr[j + 1]] {
                if i > j {
                    return Err(bad("entry below the diagonal"));
                }
                a_colptr[pinv[i].max(pinv[j]) + 1] += 1;
            }
        }
        for k in 0..n {
            a_colptr[k + 1] += a_colptr[k];
        }
        let mut next = a_colptr[..n].to_vec();
        let mut entries = vec![(0usize, 0usize); nnz];
        for j in 0..n {
            for p in colptr[j]..colptr[j + 1] {
                let (pi, pj) = (pinv[rowval[p]], pinv[j]);
                let (r, c) = (pi.min(pj), pi.max(pj));
                entries[next[c]] = (r, p);
                next[c] += 1;
            }
        }
        let a_rowval: Vec<usize> = entries.iter().map(|e| e.0).collect();
        let a_src: Vec<usize> = entries.iter().map(|e| e.1).collect();
        drop(entries);

        // Elimination tree and row patterns of L (QDLDL's tree walk). Each
        // row pattern is stored in the order faer's `ereach` produces: the
        // paths from the entries of column k in reverse order, each path
        // bottom-up (a topological order: every node after its
        // descendants).
        let mut parent = vec![NONE; n];
        let mut mark = vec![NONE; n];
        let mut stack = vec![0usize; n];
        let mut r_ptr = vec![0usize; n + 1];
        let mut r_col = Vec::new();
        for k in 0..n {
            mark[k] = k;
            let mut top = n;
            for &i0 in &a_rowval[a_colptr[k]..a_colptr[k + 1]] {
                let mut i = i0;
                let mut len = 0;
                while mark[i] != k {
                    if parent[i] == NONE {
                        parent[i] = k;
                    }
                    mark[i] = k;
                    stack[len] = i;
                    len += 1;
                    i = parent[i];
                }
                stack.copy_within(..len, top - len);
                top -= len;
            }
            r_col.extend_from_slice(&stack[top..]);
            r_ptr[k + 1] = r_col.len();
        }

        // Column-wise storage of L: positions of the row-pattern entries.
        let mut l_colptr = vec![0usize; n + 1];
        for &j in &r_col {
            l_colptr[j + 1] += 1;
        }
        for j in 0..n {
            l_colptr[j + 1] += l_colptr[j];
        }
        let mut fill = l_colptr[..n].to_vec();
        let mut l_rowval = vec![0usize; r_col.len()];
        let mut r_pos = vec![0usize; r_col.len()];
        for k in 0..n {
            for t in r_ptr[k]..r_ptr[k + 1] {
                let j = r_col[t];
                r_pos[t] = fill[j];
                l_rowval[fill[j]] = k;
                fill[j] += 1;
            }
        }
        // faer's count for a given ordering: Σ c + c(c+1)/2 over the column
        // counts c of L with the diagonal.
        let flops = l_colptr
            .windows(2)
            .map(|w| {
                let c = (w[1] - w[0] + 1) as f64;
                c + c * (c + 1.0) / 2.0
            })
            .sum();
        Ok(LdlSymbolic {
            flops,
            n,
            perm,
            a_colptr,
            a_rowval,
            a_src,
            l_colptr,
            l_rowval,
            r_ptr,
            r_col,
            r_pos,
        })
    }

    /// Matrix dimension.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// The ordering: `perm()[k]` is the original index of the `k`-th pivot.
    pub fn perm(&self) -> &[usize] {
        &self.perm
    }

    /// Stored entries of the strictly lower part of `L`.
    pub fn factor_nnz(&self) -> usize {
        self.l_rowval.len()
    }

    /// Operation count of one numeric factorization as faer estimates it
    /// when it chooses between its simplicial and supernodal
    /// factorizations: AMD's count (divisions plus multiply-subtracts) for
    /// an AMD ordering, else from the column counts of `L`.
    pub fn factor_flops(&self) -> f64 {
        self.flops
    }
}

/// AMD ordering of the pattern of `K + Kᵀ` given by its upper triangle, and
/// AMD's operation count of the factorization.
fn amd_order(
    n: usize,
    colptr: &[usize],
    rowval: &[usize],
) -> Result<(Vec<usize>, f64), SolverError> {
    let mut perm = vec![0usize; n];
    let mut perm_inv = vec![0usize; n];
    if n == 0 {
        return Ok((perm, 0.0));
    }
    let fail = |what: &str| SolverError::LinearSolver(format!("AMD ordering failed: {what}"));
    // The same call as faer's symbolic Cholesky, so both find the same
    // ordering.
    let sym = SymbolicSparseColMatRef::new_unsorted_checked(n, n, colptr, None, rowval);
    let req = amd::order_maybe_unsorted_scratch::<usize>(n, rowval.len());
    let mut mem = MemBuffer::try_new(req).map_err(|_| fail("out of memory"))?;
    let flops = amd::order_maybe_unsorted(
        &mut perm,
        &mut perm_inv,
        sym,
        amd::Control::default(),
        MemStack::new(&mut mem),
    )
    .map_err(|e| fail(&format!("{e:?}")))?;
    Ok((perm, flops.n_div + flops.n_mult_subs_ldl))
}

/// The numeric `LDLᵀ` factor of a quasi-definite matrix over an
/// [`LdlSymbolic`] structure, with its workspaces.
#[derive(Debug, Clone)]
pub struct SimplicialLdl {
    sym: LdlSymbolic,
    /// Strictly lower entries of `L` (column-wise, see `LdlSymbolic`).
    l_values: Vec<f64>,
    /// Pivots `D`.
    d: Vec<f64>,
    /// `1 / D`.
    dinv: Vec<f64>,
    /// Dense work vector of the factorization (all zero between uses).
    y: Vec<f64>,
    /// Permuted right-hand side of a solve.
    work: Vec<f64>,
    /// Pivots replaced by dynamic regularization in the last factorization.
    dynamic_reg_count: usize,
}

impl SimplicialLdl {
    /// Symbolic analysis (AMD) of the upper triangle `(colptr, rowval)`.
    pub fn new(n: usize, colptr: &[usize], rowval: &[usize]) -> Result<Self, SolverError> {
        Ok(Self::from_symbolic(LdlSymbolic::new(n, colptr, rowval)?))
    }

    /// Allocates the numeric factor and workspaces for `sym`.
    pub fn from_symbolic(sym: LdlSymbolic) -> Self {
        let n = sym.n;
        SimplicialLdl {
            l_values: vec![0.0; sym.factor_nnz()],
            d: vec![0.0; n],
            dinv: vec![0.0; n],
            y: vec![0.0; n],
            work: vec![0.0; n],
            dynamic_reg_count: 0,
            sym,
        }
    }

    /// The symbolic structure.
    pub fn symbolic(&self) -> &LdlSymbolic {
        &self.sym
    }

    /// The pivots `D` of the last factorization (permuted order).
    pub fn pivots(&self) -> &[f64] {
        &self.d
    }

    /// Pivots replaced by dynamic regularization in the last factorization.
    pub fn dynamic_reg_count(&self) -> usize {
        self.dynamic_reg_count
    }

    /// Numeric factorization of the matrix whose upper triangle has the
    /// analysed pattern and `values` (same positions as the `rowval` given
    /// to the analysis). `signs[i]` is the expected sign of pivot `i`
    /// (original numbering): a pivot `d` with `signs > 0` and `d ≤ eps`, or
    /// `signs < 0` and `d ≥ −eps`, becomes `+delta` or `−delta`; with
    /// `signs == 0`, `|d| ≤ eps` becomes `±delta` by the sign of `d`
    /// (`delta ≤ 0` disables dynamic regularization). Fails on a zero or
    /// non-finite pivot.
    pub fn factor(
        &mut self,
        values: &[f64],
        signs: &[i8],
        eps: f64,
        delta: f64,
    ) -> Result<(), String> {
        let sym = &self.sym;
        let n = sym.n;
        assert!(values.len() == sym.a_src.len() && signs.len() == n);
        let (eps, delta) = (eps.abs(), delta.abs());
        let y = &mut self.y[..];
        let lv = &mut self.l_values[..];
        let mut count = 0;
        let steps = sym
            .a_colptr
            .windows(2)
            .zip(sym.r_ptr.windows(2))
            .zip(&sym.perm)
            .enumerate();
        for (k, ((a, r), &orig)) in steps {
            for (&i, &src) in sym.a_rowval[a[0]..a[1]].iter().zip(&sym.a_src[a[0]..a[1]]) {
                y[i] += values[src];
            }
            let mut d = y[k];
            y[k] = 0.0;
            for (&j, &pos) in sym.r_col[r[0]..r[1]].iter().zip(&sym.r_pos[r[0]..r[1]]) {
                let yj = y[j];
                y[j] = 0.0;
                let start = sym.l_colptr[j];
                let (done, rest) = lv.split_at_mut(pos);
                for (&i, &l) in sym.l_rowval[start..pos].iter().zip(&done[start..]) {
                    y[i] -= l * yj;
                }
                let lkj = yj * self.dinv[j];
                rest[0] = lkj;
                d -= lkj * yj;
            }
            if delta > 0.0 {
                let s = signs[orig];
                if s > 0 && d <= eps {
                    d = delta;
                    count += 1;
                } else if s < 0 && d >= -eps {
                    d = -delta;
                    count += 1;
                } else if s == 0 && d.abs() <= eps {
                    d = if d < 0.0 { -delta } else { delta };
                    count += 1;
                }
            }
            let dinv = d.recip();
            if d == 0.0 || !d.is_finite() || !dinv.is_finite() {
                self.dynamic_reg_count = count;
                return Err(format!("zero or non-finite pivot at position {k}"));
            }
            self.d[k] = d;
            self.dinv[k] = dinv;
        }
        self.dynamic_reg_count = count;
        Ok(())
    }

    /// Solves `LDLᵀ(Pᵀx) = Pᵀb` in place (`rhs` holds `b` on entry and `x`
    /// on exit), with the factor of the last successful [`Self::factor`].
    pub fn solve_in_place(&mut self, rhs: &mut [f64]) {
        let sym = &self.sym;
        let n = sym.n;
        assert!(rhs.len() == n);
        let x = &mut self.work[..];
        for (w, &p) in x.iter_mut().zip(&sym.perm) {
            *w = rhs[p];
        }
        let lv = &self.l_values[..];
        let li = &sym.l_rowval[..];
        // L z = b
        for (j, c) in sym.l_colptr.windows(2).enumerate() {
            let xj = x[j];
            for (&i, &l) in li[c[0]..c[1]].iter().zip(&lv[c[0]..c[1]]) {
                x[i] -= l * xj;
            }
        }
        // Lᵀ x = D⁻¹ z, accumulated as faer does; x[j] is final once
        // computed, so it is permuted back at once.
        let cols = sym.l_colptr.windows(2).zip(self.dinv.iter().zip(&sym.perm));
        for (j, (c, (&dinv, &p))) in cols.enumerate().rev() {
            let mut acc = 0.0;
            for (&i, &l) in li[c[0]..c[1]].iter().zip(&lv[c[0]..c[1]]).rev() {
                acc += l * x[i];
            }
            let xj = x[j] * dinv - acc;
            x[j] = xj;
            rhs[p] = xj;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64* generator: deterministic test data without dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        /// Uniform in [-1, 1).
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Upper triangle (CSC, sorted, no duplicates) of a dense symmetric matrix.
    fn upper_csc(k: &[Vec<f64>]) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
        let n = k.len();
        let (mut colptr, mut rowval, mut vals) = (vec![0], Vec::new(), Vec::new());
        for j in 0..n {
            for i in 0..=j {
                if k[i][j] != 0.0 || i == j {
                    rowval.push(i);
                    vals.push(k[i][j]);
                }
            }
            colptr.push(rowval.len());
        }
        (colptr, rowval, vals)
    }

    /// A random sparse quasi-definite matrix `[P + I, Aᵀ; A, −D]` (dense),
    /// with the expected pivot signs.
    fn random_quasidefinite(rng: &mut Rng, n1: usize, n2: usize) -> (Vec<Vec<f64>>, Vec<i8>) {
        let n = n1 + n2;
        let mut k = vec![vec![0.0; n]; n];
        for i in 0..n1 {
            k[i][i] = 1.0 + rng.unit().abs();
        }
        for i in n1..n {
            k[i][i] = -(0.1 + rng.unit().abs());
        }
        // Positive semidefinite P as a sum of sparse rank-one terms.
        for _ in 0..n1 {
            let (a, b) = (rng.below(n1), rng.below(n1));
            let (u, v) = (rng.unit(), rng.unit());
            k[a][a] += u * u;
            k[b][b] += v * v;
            if a != b {
                k[a][b] += u * v;
                k[b][a] += u * v;
            } else {
                k[a][a] += 2.0 * u * v + u * u + v * v;
            }
        }
        for _ in 0..(2 * n2) {
            let (i, j) = (n1 + rng.below(n2), rng.below(n1));
            let v = 3.0 * rng.unit();
            k[i][j] = v;
            k[j][i] = v;
        }
        let signs = (0..n).map(|i| if i < n1 { 1 } else { -1 }).collect();
        (k, signs)
    }

    /// Dense `L D Lᵀ` of a factor (permuted numbering).
    fn reconstruct(f: &SimplicialLdl) -> Vec<Vec<f64>> {
        let n = f.sym.n;
        let mut l = vec![vec![0.0; n]; n];
        for j in 0..n {
            l[j][j] = 1.0;
            for p in f.sym.l_colptr[j]..f.sym.l_colptr[j + 1] {
                l[f.sym.l_rowval[p]][j] = f.l_values[p];
            }
        }
        let mut out = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in 0..n {
                out[i][j] = (0..n).map(|t| l[i][t] * f.d[t] * l[j][t]).sum();
            }
        }
        out
    }

    fn mul(k: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
        k.iter()
            .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
            .collect()
    }

    #[test]
    fn factor_reconstructs_permuted_matrix() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for trial in 0..40 {
            let (n1, n2) = (1 + rng.below(12), rng.below(10));
            let (k, signs) = random_quasidefinite(&mut rng, n1, n2);
            let (colptr, rowval, vals) = upper_csc(&k);
            let n = n1 + n2;
            let mut f = SimplicialLdl::new(n, &colptr, &rowval).unwrap();
            f.factor(&vals, &signs, 1e-13, 1e-7).unwrap();
            assert_eq!(f.dynamic_reg_count(), 0, "trial {trial}");
            let rec = reconstruct(&f);
            let perm = f.symbolic().perm().to_vec();
            for a in 0..n {
                for b in 0..n {
                    let want = k[perm[a]][perm[b]];
                    assert!(
                        (rec[a][b] - want).abs() <= 1e-10 * (1.0 + want.abs()),
                        "trial {trial}: ({a},{b}) {} vs {want}",
                        rec[a][b]
                    );
                }
            }
            // Pivot signs of a quasi-definite matrix follow the blocks.
            for (kk, &d) in f.pivots().iter().enumerate() {
                assert_eq!(d > 0.0, signs[perm[kk]] > 0, "trial {trial}");
            }
        }
    }

    #[test]
    fn solve_is_accurate_and_refactoring_reuses_structure() {
        let mut rng = Rng(12345);
        for trial in 0..30 {
            let (n1, n2) = (1 + rng.below(20), rng.below(15));
            let (k, signs) = random_quasidefinite(&mut rng, n1, n2);
            let (colptr, rowval, vals) = upper_csc(&k);
            let n = n1 + n2;
            let mut f = SimplicialLdl::new(n, &colptr, &rowval).unwrap();
            // A first factorization of other values must leave no trace.
            let scaled: Vec<f64> = vals.iter().map(|v| 2.0 * v).collect();
            f.factor(&scaled, &signs, 1e-13, 1e-7).unwrap();
            f.factor(&vals, &signs, 1e-13, 1e-7).unwrap();
            let x: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
            let mut b = mul(&k, &x);
            f.solve_in_place(&mut b);
            for (a, e) in b.iter().zip(&x) {
                assert!((a - e).abs() <= 1e-9, "trial {trial}: {a} vs {e}");
            }
        }
    }

    #[test]
    fn unsorted_columns_and_duplicates_are_summed() {
        // K = [4 1; 1 -3] with the (0,1) entry split in two and column 1
        // stored diagonal first.
        let colptr = [0, 1, 4];
        let rowval = [0, 1, 0, 0];
        let vals = [4.0, -3.0, 0.25, 0.75];
        let mut f = SimplicialLdl::new(2, &colptr, &rowval).unwrap();
        f.factor(&vals, &[1, -1], 1e-13, 1e-7).unwrap();
        let mut b = [4.0 * 1.0 + 2.0, 1.0 - 3.0 * 2.0];
        f.solve_in_place(&mut b);
        assert!((b[0] - 1.0).abs() < 1e-14 && (b[1] - 2.0).abs() < 1e-14);
    }

    #[test]
    fn lower_entries_are_rejected() {
        assert!(SimplicialLdl::new(2, &[0, 2, 3], &[0, 1, 1]).is_err());
    }

    #[test]
    fn dynamic_regularization_replaces_wrong_sign_and_tiny_pivots() {
        // Diagonal: a correct pivot, a wrong-sign one, a tiny one.
        let colptr = [0, 1, 2, 3];
        let rowval = [0, 1, 2];
        let vals = [2.0, -1.0, 1e-15];
        let ord = LdlSymbolic::with_ordering(3, &colptr, &rowval, vec![0, 1, 2]).unwrap();
        let mut f = SimplicialLdl::from_symbolic(ord);
        f.factor(&vals, &[1, 1, -1], 1e-13, 1e-7).unwrap();
        assert_eq!(f.pivots(), &[2.0, 1e-7, -1e-7]);
        assert_eq!(f.dynamic_reg_count(), 2);
        // A pivot that turns wrong only through elimination:
        // [1 2; 2 1] with both expected positive gives d₁ = 1 − 4 < 0.
        let ord = LdlSymbolic::with_ordering(2, &[0, 1, 3], &[0, 0, 1], vec![0, 1]).unwrap();
        let mut f = SimplicialLdl::from_symbolic(ord);
        f.factor(&[1.0, 2.0, 1.0], &[1, 1], 1e-13, 1e-7).unwrap();
        assert_eq!(f.pivots(), &[1.0, 1e-7]);
        // Unsigned pivots: only |d| ≤ eps is replaced, keeping the sign.
        f.factor(&[1.0, 2.0, 4.0 - 1e-15], &[0, 0], 1e-13, 1e-7)
            .unwrap();
        assert_eq!(f.pivots(), &[1.0, -1e-7]);
        // Without dynamic regularization a zero pivot is an error, and the
        // next factorization is unaffected.
        assert!(f.factor(&[1.0, 2.0, 4.0], &[1, 1], 1e-13, 0.0).is_err());
        f.factor(&[1.0, 2.0, 5.0], &[1, 1], 1e-13, 1e-7).unwrap();
        assert_eq!(f.pivots(), &[1.0, 1.0]);
    }

    #[test]
    fn kkt_backend_choice_solves_sparse_and_dense_matrices() {
        use crate::kkt::new_ldl;
        let mut rng = Rng(4242);
        // Sparse (simplicial, this module) and dense enough for faer's
        // supernodal factorization (about n/3 operations per entry).
        for (n1, n2, dense) in [(40, 30, false), (90, 70, true)] {
            let (mut k, signs) = random_quasidefinite(&mut rng, n1, n2);
            if dense {
                for i in 0..n1 {
                    for j in n1..n1 + n2 {
                        let v = rng.unit();
                        k[i][j] = v;
                        k[j][i] = v;
                    }
                }
            }
            let (colptr, rowval, vals) = upper_csc(&k);
            let n = n1 + n2;
            let sym = LdlSymbolic::new(n, &colptr, &rowval).unwrap();
            let ratio = sym.factor_flops() / (sym.factor_nnz() + n) as f64;
            assert_eq!(ratio > 40.0, dense, "ratio {ratio}");
            let mut f = new_ldl(n, &colptr, &rowval).unwrap();
            f.factor(&vals, &signs, 1e-13, 1e-7, 0.0).unwrap();
            let x: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
            let mut b = mul(&k, &x);
            f.solve_in_place(&mut b);
            for (a, e) in b.iter().zip(&x) {
                assert!((a - e).abs() <= 1e-8, "{a} vs {e}");
            }
        }
    }

    #[test]
    fn bitwise_equal_to_faer_simplicial() {
        use crate::kkt::{FaerLdl, QuasiDefiniteLdl};
        use faer::sparse::linalg::SupernodalThreshold;
        let mut rng = Rng(777);
        for trial in 0..20 {
            let (k, signs) = random_quasidefinite(&mut rng, 5 + 3 * trial, 4 + 2 * trial);
            let (colptr, rowval, vals) = upper_csc(&k);
            let n = k.len();
            let mut f = SimplicialLdl::new(n, &colptr, &rowval).unwrap();
            f.factor(&vals, &signs, 1e-13, 1e-7).unwrap();
            let mut g = FaerLdl::with_ordering(
                n,
                colptr.clone(),
                rowval.clone(),
                None,
                SupernodalThreshold::FORCE_SIMPLICIAL,
            )
            .unwrap();
            g.factor(&vals, &signs, 1e-13, 1e-7, 0.0).unwrap();
            let b: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
            let (mut x1, mut x2) = (b.clone(), b);
            f.solve_in_place(&mut x1);
            g.solve_in_place(&mut x2);
            // Same ordering and same operation order: bitwise equal.
            assert_eq!(x1, x2);
        }
    }
}
