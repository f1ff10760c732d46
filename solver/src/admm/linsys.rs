//! The linear-system layer of the operator-splitting method: the
//! quasi-definite matrix
//!
//! ```text
//! K = [ P + σI       Aᵀ       ]
//!     [   A     −diag(1/ρ)    ]
//! ```
//!
//! (`σ > 0` the primal proximal weight, `ρᵢ > 0` the per-row step sizes),
//! stored by its upper triangle and factored as `LDLᵀ` after a fill-reducing
//! AMD ordering. `K` is quasi-definite for every `σ, ρ > 0`, so the
//! factorization exists for any symmetric ordering and needs no pivoting.
//!
//! The pattern of `K` depends only on the patterns of `P` and `A`: the
//! symbolic analysis ([`KktPattern`]) is done once and shared (`Arc`) by every
//! numeric factorization ([`KktFactor`]) of the same pattern, whether it
//! comes from new values of `P` or `A`, a new `(σ, ρ)` after a step-size
//! update, or another problem of a batch. A factor is immutable once
//! computed; solves take their scratch memory from a [`SolveWorkspace`], so
//! one factor can serve many problems in parallel.

use crate::csc::CscMatrix;
use crate::dual_normal::{dual_normal_work, DualNormalEquations, PanelScratch, Scratch};
use crate::error::SolverError;
use crate::kkt::QuasiDefiniteLdl;
use crate::ldl::LdlSymbolic;
use crate::normal::prefer_dense;
use crate::settings::KktBackend;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::ldlt::factor::{LdltParams, LdltRegularization};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LdltRef, SymbolicCholesky,
    SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side, Spec};
use std::sync::Arc;

/// The pattern of `K`, the maps from `P`, `A` and the diagonal into its
/// values, and the symbolic factorization.
#[derive(Debug)]
pub struct KktPattern {
    n: usize,
    m: usize,
    colptr: Vec<usize>,
    rowval: Vec<usize>,
    /// Position of each stored entry of `P` in the values of `K`.
    p_map: Vec<usize>,
    /// Position of each stored entry of `A` in the values of `K`.
    a_map: Vec<usize>,
    /// Position of each diagonal entry.
    diag_pos: Vec<usize>,
    /// `+1` on the first `n` pivots, `−1` on the last `m`.
    signs: Vec<i8>,
    symbolic: SymbolicCholesky<usize>,
    /// The analysed dual normal equations when they replace the sparse
    /// `LDLᵀ` ([`KktPattern::with_backend`]).
    dense: Option<DualNormalEquations>,
}

impl KktPattern {
    /// Builds the pattern of `K` for `(P, A)` (`P` upper triangular) and
    /// performs the symbolic analysis, for the sparse `LDLᵀ` or the dual
    /// normal equations as [`KktPattern::with_backend`] chooses under
    /// [`KktBackend::Auto`].
    pub fn new(p: &CscMatrix, a: &CscMatrix) -> Result<Self, SolverError> {
        Self::with_backend(p, a, KktBackend::Auto)
    }

    /// [`KktPattern::new`] with a chosen factorization: the dual normal
    /// equations ([`crate::dual_normal`]; `P` diagonal, every variable
    /// bounded) when asked for and applicable, or under
    /// [`KktBackend::Auto`] when their operation count, discounted as in
    /// [`prefer_dense`], is at most the sparse factorization's and faer
    /// would factor supernodally (the simplicial factor has the batched
    /// multi-column solves of [`KktFactor::solve_columns`]); the sparse
    /// `LDLᵀ` otherwise. The normal equations onto `x` do not apply: with
    /// a fixed `σ` they would need no refactorization either, but the dense
    /// `n × n` solve costs more per iteration than the sparse one.
    pub fn with_backend(
        p: &CscMatrix,
        a: &CscMatrix,
        backend: KktBackend,
    ) -> Result<Self, SolverError> {
        let (n, m) = (p.n, a.m);
        let dim = n + m;
        // Column j < n holds P's column j then the diagonal; column n + i
        // holds row i of A (as column entries j) then the diagonal.
        let at = a.transpose_with_map();
        let mut colptr = Vec::with_capacity(dim + 1);
        let mut rowval = Vec::with_capacity(p.nnz() + a.nnz() + dim);
        let mut p_map = vec![0usize; p.nnz()];
        let mut a_map = vec![0usize; a.nnz()];
        let mut diag_pos = vec![0usize; dim];
        colptr.push(0);
        for j in 0..n {
            let mut has_diag = false;
            for k in p.colptr[j]..p.colptr[j + 1] {
                let i = p.rowval[k];
                if i == j {
                    has_diag = true;
                    diag_pos[j] = rowval.len();
                }
                p_map[k] = rowval.len();
                rowval.push(i);
            }
            if !has_diag {
                diag_pos[j] = rowval.len();
                rowval.push(j);
            }
            colptr.push(rowval.len());
        }
        let (ref at_mat, ref at_map) = at;
        for i in 0..m {
            for k in at_mat.colptr[i]..at_mat.colptr[i + 1] {
                a_map[at_map[k]] = rowval.len();
                rowval.push(at_mat.rowval[k]);
            }
            diag_pos[n + i] = rowval.len();
            rowval.push(n + i);
            colptr.push(rowval.len());
        }
        let mut signs = vec![1i8; dim];
        signs[n..].fill(-1);
        let sym = SymbolicSparseColMatRef::new_checked(dim, dim, &colptr, None, &rowval);
        let symbolic = factorize_symbolic_cholesky(
            sym,
            Side::Upper,
            SymmetricOrdering::Amd,
            CholeskySymbolicParams::default(),
        )
        .map_err(|e| SolverError::LinearSolver(format!("symbolic analysis failed: {e:?}")))?;
        let p_diag: Vec<bool> = (0..n)
            .map(|j| p.rowval[p.colptr[j]..p.colptr[j + 1]].contains(&j))
            .collect();
        let extreme = [&p.nzval, &a.nzval]
            .iter()
            .any(|v| v.iter().any(|x| x.abs() > 1e50));
        let dense = match backend {
            KktBackend::DualNormalEquations => true,
            KktBackend::Auto if !extreme => {
                matches!(symbolic.raw(), SymbolicCholeskyRaw::Supernodal(_))
                    && match dual_normal_work(n, m, &colptr, &rowval, &p_diag) {
                        Some(work) => {
                            let flops = LdlSymbolic::new(dim, &colptr, &rowval)?.factor_flops();
                            prefer_dense(work, flops)
                        }
                        None => false,
                    }
            }
            _ => false,
        };
        let dense = if dense {
            DualNormalEquations::new(n, m, &colptr, &rowval)
        } else {
            None
        };
        Ok(KktPattern {
            n,
            m,
            colptr,
            rowval,
            p_map,
            a_map,
            diag_pos,
            signs,
            symbolic,
            dense,
        })
    }

    /// Dimension `n + m` of `K`.
    pub fn dim(&self) -> usize {
        self.n + self.m
    }

    /// Stored entries of the upper triangle of `K`.
    pub fn nnz(&self) -> usize {
        self.rowval.len()
    }

    /// Stored entries of the factor (`L`, or the dense matrices of the dual
    /// normal equations).
    pub fn factor_nnz(&self) -> usize {
        match &self.dense {
            Some(dn) => dn.stored_entries(),
            None => self.symbolic.len_val(),
        }
    }

    /// Whether the factorization is the dual normal equations.
    pub fn is_dual_normal(&self) -> bool {
        self.dense.is_some()
    }

    fn factor_scratch(&self) -> faer::dyn_stack::StackReq {
        self.symbolic
            .factorize_numeric_ldlt_scratch::<f64>(Par::Seq, Spec::<LdltParams, f64>::default())
    }
}

/// A numeric `LDLᵀ` factorization of `K` for given `(P, A, σ, ρ)`.
#[derive(Debug, Clone)]
pub struct KktFactor {
    pattern: Arc<KktPattern>,
    /// Values of the upper triangle of `K` as factored.
    values: Vec<f64>,
    l_values: Vec<f64>,
    /// The dual normal equations, when the pattern chose them.
    dense: Option<DualNormalEquations>,
}

impl KktFactor {
    /// Assembles `K` from `P`, `A` (same patterns as `pattern`), `σ` and `ρ`
    /// (one entry per row of `A`) and factors it.
    pub fn new(
        pattern: Arc<KktPattern>,
        p: &CscMatrix,
        a: &CscMatrix,
        sigma: f64,
        rho: &[f64],
    ) -> Result<Self, SolverError> {
        let dense = pattern.dense.clone();
        let mut f = KktFactor {
            values: vec![0.0; pattern.nnz()],
            l_values: vec![
                0.0;
                if dense.is_some() {
                    0
                } else {
                    pattern.factor_nnz()
                }
            ],
            dense,
            pattern,
        };
        f.refactor(p, a, sigma, rho)?;
        Ok(f)
    }

    /// Whether a solve with `k` right-hand sides computes every column
    /// with exactly the arithmetic of a single-column solve (faer's
    /// simplicial factorization and the dual normal equations; the
    /// supernodal one blocks the columns).
    pub fn columnwise_multi_solve(&self) -> bool {
        self.dense.is_some()
            || matches!(
                self.pattern.symbolic.raw(),
                SymbolicCholeskyRaw::Simplicial(_)
            )
    }

    /// The shared pattern and symbolic analysis.
    pub fn pattern(&self) -> &Arc<KktPattern> {
        &self.pattern
    }

    /// Reassembles and refactors in place (no allocation beyond the
    /// factorization scratch).
    pub fn refactor(
        &mut self,
        p: &CscMatrix,
        a: &CscMatrix,
        sigma: f64,
        rho: &[f64],
    ) -> Result<(), SolverError> {
        let pat = &*self.pattern;
        self.values.fill(0.0);
        for (k, &pos) in pat.p_map.iter().enumerate() {
            self.values[pos] += p.nzval[k];
        }
        for (k, &pos) in pat.a_map.iter().enumerate() {
            self.values[pos] = a.nzval[k];
        }
        for j in 0..pat.n {
            self.values[pat.diag_pos[j]] += sigma;
        }
        for (i, r) in rho.iter().enumerate() {
            self.values[pat.diag_pos[pat.n + i]] = -1.0 / r;
        }
        if let Some(v) = self.values.iter().find(|v| !v.is_finite()) {
            return Err(SolverError::LinearSolver(format!(
                "non-finite entry {v} in the ADMM KKT matrix"
            )));
        }
        if let Some(dn) = &mut self.dense {
            // Refactorizations are rare (new data or step size): `A` is
            // copied again each time.
            dn.invalidate();
            return dn
                .factor(&self.values, &pat.signs, 1e-14, 1e-12, 0.0)
                .map_err(|e| {
                    SolverError::LinearSolver(format!(
                        "dual normal-equations factorization of the ADMM KKT matrix failed: {e}"
                    ))
                });
        }
        let dim = pat.dim();
        let mut mem = MemBuffer::try_new(pat.factor_scratch()).map_err(|_| {
            SolverError::LinearSolver("out of memory for factorization workspace".into())
        })?;
        let sym = SymbolicSparseColMatRef::new_checked(dim, dim, &pat.colptr, None, &pat.rowval);
        let mat = SparseColMatRef::new(sym, &self.values);
        pat.symbolic
            .factorize_numeric_ldlt(
                &mut self.l_values,
                mat,
                Side::Upper,
                LdltRegularization {
                    dynamic_regularization_signs: Some(&pat.signs),
                    dynamic_regularization_delta: 1e-12,
                    dynamic_regularization_epsilon: 1e-14,
                },
                Par::Seq,
                MemStack::new(&mut mem),
                Spec::<LdltParams, f64>::default(),
            )
            .map_err(|e| SolverError::LinearSolver(format!("LDLᵀ factorization failed: {e:?}")))?;
        if self.l_values.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(SolverError::LinearSolver(
                "non-finite LDLᵀ factor of the ADMM KKT matrix".into(),
            ))
        }
    }

    /// Solves `K v = rhs` in place for `k` right-hand sides stored column
    /// by column in `rhs` (length `k·dim`).
    pub fn solve_in_place(&self, rhs: &mut [f64], k: usize, work: &mut SolveWorkspace) {
        let dim = self.pattern.dim();
        debug_assert_eq!(rhs.len(), k * dim);
        if let Some(dn) = &self.dense {
            for col in rhs.chunks_exact_mut(dim.max(1)) {
                dn.solve_with(col, &mut work.dense);
            }
            return;
        }
        work.reserve(&self.pattern, k);
        let ldl = LdltRef::<usize, f64>::new(&self.pattern.symbolic, &self.l_values);
        ldl.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(rhs, dim, k),
            Par::Seq,
            MemStack::new(&mut work.mem),
        );
    }
}

/// Columns per panel of a [`ColumnBlock`]: a panel row fits in a few
/// vector registers, so the updates of a panel by one entry of `L` have a
/// fixed width and need no bounds checks.
pub const PANEL: usize = 8;

/// Largest number of columns of a partial last panel that the dual normal
/// equations solve one at a time rather than as a panel: a panel costs
/// about as much with one live column as with eight (the lane products of
/// [`crate::matvec`] run on every lane), a single-column solve about one
/// lane's share. Both give the same bits.
const NARROW_PANEL: usize = 3;

/// Right-hand sides of a multi-column solve with [`KktFactor::solve_columns`],
/// kept in the factorization's row order (fill-reducing for the sparse
/// `LDLᵀ`, the original one for the dual normal equations) and in panels of
/// [`PANEL`] interleaved columns: entry `i` of column `c` is lane `c mod PANEL`
/// of row `(c / PANEL)·dim + i`. The updates of a panel by one entry of `L`
/// (or of `A`) are then contiguous and vectorize, and a panel of the
/// benchmark's systems (175 rows) stays in the L1 cache.
#[derive(Debug, Clone)]
pub struct ColumnBlock {
    dim: usize,
    cols: usize,
    x: Vec<[f64; PANEL]>,
    /// Scratch of the dual normal equations' panel and single-column solves.
    dense: PanelScratch<PANEL>,
    single: Option<Scratch>,
    column: Vec<f64>,
    products: Vec<f64>,
}

impl ColumnBlock {
    /// Room for `cols` columns of length `dim`.
    pub fn new(dim: usize, cols: usize) -> Self {
        ColumnBlock {
            dim,
            cols,
            x: vec![[0.0; PANEL]; cols.div_ceil(PANEL) * dim],
            dense: PanelScratch::default(),
            single: None,
            column: Vec::new(),
            products: Vec::new(),
        }
    }

    /// Number of columns the block holds (also when `dim` is zero).
    pub fn capacity(&self) -> usize {
        self.cols
    }
}

impl KktFactor {
    /// Stores `rhs` (length `dim`) as column `col` of `block`, permuted
    /// (`x ← Pb`). Panics if `col` is beyond the block's capacity.
    pub fn set_column(&self, block: &mut ColumnBlock, col: usize, rhs: &[f64]) {
        let dim = self.pattern.dim();
        assert!(block.dim == dim && rhs.len() == dim);
        let (p, c) = (col / PANEL, col % PANEL);
        let panel = &mut block.x[p * dim..(p + 1) * dim];
        match self.row_order() {
            Some(perm) => {
                for (row, &src) in panel.iter_mut().zip(perm.arrays().0) {
                    row[c] = rhs[src];
                }
            }
            None => {
                for (row, &v) in panel.iter_mut().zip(rhs) {
                    row[c] = v;
                }
            }
        }
    }

    /// Reads column `col` of `block` into `out` (length `dim`), permuted
    /// back (`v ← Pᵀx`).
    pub fn get_column(&self, block: &ColumnBlock, col: usize, out: &mut [f64]) {
        let dim = self.pattern.dim();
        assert!(block.dim == dim && out.len() == dim);
        let (p, c) = (col / PANEL, col % PANEL);
        let panel = &block.x[p * dim..(p + 1) * dim];
        match self.row_order() {
            Some(perm) => {
                for (v, &src) in out.iter_mut().zip(perm.arrays().1) {
                    *v = panel[src][c];
                }
            }
            None => {
                for (v, row) in out.iter_mut().zip(panel) {
                    *v = row[c];
                }
            }
        }
    }

    /// `ax = A x` and `aty = Aᵀy` from the dense copy of `A` that the dual
    /// normal equations keep (the `A` of this factorization); false, doing
    /// nothing, for the sparse `LDLᵀ`.
    pub fn a_products(&self, ax: &mut [f64], aty: &mut [f64], x: &[f64], y: &[f64]) -> bool {
        match &self.dense {
            Some(dn) => {
                dn.a_products(ax, aty, x, y);
                true
            }
            None => false,
        }
    }

    /// Replaces the points `[x; y]` in columns `0..k` of `block` (set by
    /// [`KktFactor::set_column`]) by `[Aᵀy; A x]`, each column bitwise
    /// [`KktFactor::a_products`] of that column alone: panels of
    /// [`PANEL`] columns take one pass over each dense copy of `A`
    /// ([`DualNormalEquations::a_products_panel`]); a partial last panel
    /// of at most three columns (`NARROW_PANEL`) is done column by column.
    /// False, doing nothing, for the sparse `LDLᵀ`.
    pub fn a_products_columns(&self, block: &mut ColumnBlock, k: usize) -> bool {
        let Some(dn) = &self.dense else {
            return false;
        };
        let dim = self.pattern.dim();
        assert!(block.dim == dim && k <= block.capacity());
        if dim == 0 {
            return true;
        }
        let n = dim - self.pattern.m;
        let ColumnBlock {
            x,
            dense,
            column,
            products,
            ..
        } = block;
        let narrow = k % PANEL;
        let x = &mut x[..k.div_ceil(PANEL) * dim];
        for row in &mut x[(k / PANEL) * dim..] {
            row[narrow..].fill(0.0);
        }
        for (p, panel) in x.chunks_exact_mut(dim).enumerate() {
            if p == k / PANEL && narrow <= NARROW_PANEL {
                column.resize(dim, 0.0);
                products.resize(dim, 0.0);
                for c in 0..narrow {
                    for (v, row) in column.iter_mut().zip(panel.iter()) {
                        *v = row[c];
                    }
                    let (aty, ax) = products.split_at_mut(n);
                    let (px, py) = column.split_at(n);
                    dn.a_products(ax, aty, px, py);
                    for (v, row) in products.iter().zip(panel.iter_mut()) {
                        row[c] = *v;
                    }
                }
            } else {
                dn.a_products_panel(panel, dense);
            }
        }
        true
    }

    /// The permutation of the rows of a [`ColumnBlock`]: the fill-reducing
    /// ordering of the sparse factor; none for the dual normal equations.
    fn row_order(&self) -> Option<faer::perm::PermRef<'_, usize>> {
        if self.dense.is_some() {
            None
        } else {
            self.pattern.symbolic.perm()
        }
    }

    /// Solves `K v = b` in place for columns `0..k` of `block` (set by
    /// [`KktFactor::set_column`]; the other lanes of the last panel are
    /// zeroed). Each column gets exactly the arithmetic of a solve of that
    /// column alone, so the results do not depend on which columns share a
    /// block:
    /// - faer's simplicial factor: `x_i −= l_ij·x_j` down the columns of the
    ///   unit `L`, then `x_j ← x_j·(1/d_j) − Σ l_ij·x_i` (summed from the
    ///   last entry up) back up;
    /// - the dual normal equations: [`DualNormalEquations::solve_panel`],
    ///   each entry of the dense rows of `A` loaded once per panel.
    ///
    /// Returns false, doing nothing, for a supernodal factorization.
    pub fn solve_columns(&self, block: &mut ColumnBlock, k: usize) -> bool {
        let dim = self.pattern.dim();
        if let Some(dn) = &self.dense {
            assert!(block.dim == dim && k <= block.capacity());
            if dim == 0 {
                return true;
            }
            let ColumnBlock {
                x,
                dense,
                single,
                column,
                ..
            } = block;
            let x = &mut x[..k.div_ceil(PANEL) * dim];
            for row in &mut x[(k / PANEL) * dim..] {
                row[k % PANEL..].fill(0.0);
            }
            let single = single.get_or_insert_with(|| dn.scratch());
            let narrow = k % PANEL;
            for (p, panel) in x.chunks_exact_mut(dim).enumerate() {
                if p == k / PANEL && narrow <= NARROW_PANEL {
                    // A partial panel with few columns: column by column.
                    column.resize(dim, 0.0);
                    for c in 0..narrow {
                        for (v, row) in column.iter_mut().zip(panel.iter()) {
                            *v = row[c];
                        }
                        dn.solve_with(column, single);
                        for (v, row) in column.iter().zip(panel.iter_mut()) {
                            row[c] = *v;
                        }
                    }
                } else {
                    dn.solve_panel(panel, dense, single);
                }
            }
            return true;
        }
        let SymbolicCholeskyRaw::Simplicial(sym) = self.pattern.symbolic.raw() else {
            return false;
        };
        assert!(block.dim == dim && k <= block.capacity());
        if dim == 0 {
            return true;
        }
        let (cp, ri, lv) = (sym.col_ptr(), sym.row_idx(), &self.l_values[..]);
        let x = &mut block.x[..k.div_ceil(PANEL) * dim];
        // The lanes past column k of a partial last panel.
        for row in &mut x[(k / PANEL) * dim..] {
            row[k % PANEL..].fill(0.0);
        }
        pulp::Arch::new().dispatch(SolvePanels { x, dim, cp, ri, lv });
        true
    }
}

/// The panel solves of [`KktFactor::solve_columns`], compiled for the
/// widest vector instructions the CPU has (`pulp` runtime dispatch; the
/// same IEEE operations at any width, no fused multiply-add).
struct SolvePanels<'a> {
    x: &'a mut [[f64; PANEL]],
    dim: usize,
    cp: &'a [usize],
    ri: &'a [usize],
    lv: &'a [f64],
}

impl pulp::WithSimd for SolvePanels<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        for panel in self.x.chunks_exact_mut(self.dim) {
            solve_panel(panel, self.cp, self.ri, self.lv);
        }
    }
}

/// `x ← L⁻ᵀD⁻¹L⁻¹x` for one panel (`dim` rows of [`PANEL`] columns) with
/// the simplicial factor in compressed columns (`cp`, `ri`, `lv`; the
/// diagonal `d_j` stored first in column `j`, then the entries of the unit
/// `L` below it).
#[inline(always)]
fn solve_panel(x: &mut [[f64; PANEL]], cp: &[usize], ri: &[usize], lv: &[f64]) {
    let dim = x.len();
    for j in 0..dim {
        let xj = x[j];
        let col = cp[j] + 1..cp[j + 1];
        for (&i, &l) in ri[col.clone()].iter().zip(&lv[col]) {
            let xi = &mut x[i];
            for c in 0..PANEL {
                xi[c] -= l * xj[c];
            }
        }
    }
    for j in (0..dim).rev() {
        let mut acc = [0.0; PANEL];
        let col = cp[j] + 1..cp[j + 1];
        for (&i, &l) in ri[col.clone()].iter().zip(&lv[col]).rev() {
            let xi = &x[i];
            for c in 0..PANEL {
                acc[c] += l * xi[c];
            }
        }
        let dinv = lv[cp[j]].recip();
        let xj = &mut x[j];
        for c in 0..PANEL {
            xj[c] = xj[c] * dinv - acc[c];
        }
    }
}

/// Scratch memory of [`KktFactor::solve_in_place`], one per concurrent user.
pub struct SolveWorkspace {
    mem: MemBuffer,
    req: faer::dyn_stack::StackReq,
    cols: usize,
    /// Scratch of the dual normal equations (empty for the sparse factor).
    dense: Scratch,
}

impl std::fmt::Debug for SolveWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolveWorkspace")
            .field("cols", &self.cols)
            .finish_non_exhaustive()
    }
}

impl SolveWorkspace {
    /// Scratch for solves with up to `k` right-hand sides.
    pub fn new(pattern: &KktPattern, k: usize) -> Self {
        let req = pattern.symbolic.solve_in_place_scratch::<f64>(k, Par::Seq);
        SolveWorkspace {
            mem: MemBuffer::new(req),
            req,
            cols: k,
            dense: pattern
                .dense
                .as_ref()
                .map(DualNormalEquations::scratch)
                .unwrap_or_default(),
        }
    }

    /// A new workspace of the same capacity.
    pub fn fresh(&self) -> Self {
        SolveWorkspace {
            mem: MemBuffer::new(self.req),
            req: self.req,
            cols: self.cols,
            dense: self.dense.clone(),
        }
    }

    fn reserve(&mut self, pattern: &KktPattern, k: usize) {
        if k > self.cols {
            *self = SolveWorkspace::new(pattern, k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small quasi-definite system: `P` tridiagonal, `A` with a dense row
    /// and a sparse block, deterministic values.
    fn system() -> (CscMatrix, CscMatrix) {
        let n = 12;
        let (mut pr, mut pc, mut pv) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..n {
            pr.push(j);
            pc.push(j);
            pv.push(2.0 + j as f64 * 0.1);
            if j > 0 {
                pr.push(j - 1);
                pc.push(j);
                pv.push(-0.5);
            }
        }
        let p = CscMatrix::from_triplets(n, n, &pr, &pc, &pv).unwrap();
        let (mut ar, mut ac, mut av) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..n {
            ar.push(0);
            ac.push(j);
            av.push(1.0 + (j % 3) as f64);
            ar.push(1 + j % 5);
            ac.push(j);
            av.push(-0.7 + 0.05 * j as f64);
        }
        let a = CscMatrix::from_triplets(6, n, &ar, &ac, &av).unwrap();
        (p, a)
    }

    /// An LP layer's system: `P` diagonal, `r` dense rows of `A`, then the
    /// bounds `0 ≤ x ≤ 1` of each of the `n` variables.
    fn layer_system(n: usize, r: usize) -> (CscMatrix, CscMatrix) {
        let idx: Vec<usize> = (0..n).collect();
        let p = CscMatrix::from_triplets(n, n, &idx, &idx, &vec![0.5; n]).unwrap();
        let (mut ar, mut ac, mut av) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..n {
            for i in 0..r {
                ar.push(i);
                ac.push(j);
                av.push((((i * 7 + j * 13) % 17) as f64 - 8.0) / 8.0);
            }
            ar.extend([r + j, r + n + j]);
            ac.extend([j, j]);
            av.extend([1.0, -1.0]);
        }
        let a = CscMatrix::from_triplets(r + 2 * n, n, &ar, &ac, &av).unwrap();
        (p, a)
    }

    /// Solves `k` columns (the one at `huge` scaled to 1e200) as a block
    /// and one by one, asserting bitwise equal results.
    fn assert_block_solve_is_columnwise(f: &KktFactor, k: usize, huge: Option<usize>) {
        let pattern = f.pattern();
        let dim = pattern.dim();
        let cols: Vec<Vec<f64>> = (0..k)
            .map(|c| {
                let s = if huge == Some(c) { 1e200 } else { 1.0 };
                (0..dim)
                    .map(|i| s * (((i * 31 + c * 17) % 13) as f64 - 6.0))
                    .collect()
            })
            .collect();
        let mut block = ColumnBlock::new(dim, k + 2);
        for (c, col) in cols.iter().enumerate() {
            f.set_column(&mut block, c, col);
        }
        assert!(f.columnwise_multi_solve());
        assert!(f.solve_columns(&mut block, k));
        let mut ws = SolveWorkspace::new(pattern, 1);
        let mut out = vec![0.0; dim];
        for (c, col) in cols.iter().enumerate() {
            let mut single = col.clone();
            f.solve_in_place(&mut single, 1, &mut ws);
            f.get_column(&block, c, &mut out);
            for i in 0..dim {
                assert_eq!(out[i].to_bits(), single[i].to_bits(), "k = {k}, column {c}");
            }
        }
    }

    #[test]
    fn column_block_solve_is_bitwise_the_single_column_solve() {
        let (p, a) = system();
        let pattern = Arc::new(KktPattern::new(&p, &a).unwrap());
        // Small enough for faer's simplicial factorization.
        assert!(!pattern.is_dual_normal());
        let rho: Vec<f64> = (0..a.m).map(|i| 0.1 * (1.0 + i as f64)).collect();
        let f = KktFactor::new(pattern, &p, &a, 1e-6, &rho).unwrap();
        for k in [1, 3, 4, 7, 8, 9, 16, 21] {
            assert_block_solve_is_columnwise(&f, k, None);
        }
    }

    #[test]
    fn dual_normal_block_solve_is_bitwise_the_single_column_solve() {
        // 301 variables: several row blocks of the panel solve and a tail
        // after the last multiple of four; 7 dense rows (a group of four and
        // three single rows) and 12 (three groups).
        for r in [7, 12] {
            let (p, a) = layer_system(301, r);
            let pattern = Arc::new(
                KktPattern::with_backend(&p, &a, KktBackend::DualNormalEquations).unwrap(),
            );
            assert!(pattern.is_dual_normal());
            let rho: Vec<f64> = (0..a.m).map(|i| 0.1 * (1.0 + (i % 5) as f64)).collect();
            let f = KktFactor::new(pattern, &p, &a, 1e-6, &rho).unwrap();
            for k in [1, 3, 8, 9, 21] {
                assert_block_solve_is_columnwise(&f, k, None);
            }
            // A column near overflow is scaled by a power of two when solved
            // alone; its panel is then solved column by column.
            assert_block_solve_is_columnwise(&f, 11, Some(9));
        }
    }

    #[test]
    fn dual_normal_a_products_match_the_compressed_columns() {
        let (p, a) = layer_system(301, 7);
        let pattern =
            Arc::new(KktPattern::with_backend(&p, &a, KktBackend::DualNormalEquations).unwrap());
        let f = KktFactor::new(pattern, &p, &a, 1e-6, &vec![0.3; a.m]).unwrap();
        let x: Vec<f64> = (0..a.n).map(|j| ((j * 7) % 11) as f64 - 5.0).collect();
        let y: Vec<f64> = (0..a.m).map(|i| ((i * 5) % 13) as f64 - 6.0).collect();
        let (mut ax, mut aty) = (vec![f64::NAN; a.m], vec![f64::NAN; a.n]);
        assert!(f.a_products(&mut ax, &mut aty, &x, &y));
        let (mut ax_ref, mut aty_ref) = (vec![0.0; a.m], vec![0.0; a.n]);
        a.gemv(&mut ax_ref, &x, 1.0, 0.0);
        a.gemv_t(&mut aty_ref, &y, 1.0, 0.0);
        for (u, v) in ax.iter().zip(&ax_ref).chain(aty.iter().zip(&aty_ref)) {
            assert!((u - v).abs() <= 1e-12 * (1.0 + v.abs()), "{u} vs {v}");
        }
        // The sparse factor keeps no dense copy.
        let (p, a) = system();
        let pattern = Arc::new(KktPattern::new(&p, &a).unwrap());
        let sparse = KktFactor::new(pattern, &p, &a, 1e-6, &[0.1; 6]).unwrap();
        assert!(!sparse.a_products(&mut [0.0; 6], &mut [0.0; 12], &[0.0; 12], &[0.0; 6]));
    }
}
