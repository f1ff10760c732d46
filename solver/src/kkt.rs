//! The linear-system layer: assembly, factorization and solution of the
//! quasi-definite KKT system of the interior-point method,
//!
//! ```text
//! K = [ P + εI      Aᵀ      ]
//!     [   A     −(H + εI)   ]      H = WᵀW (block diagonal over cones)
//! ```
//!
//! stored by its upper triangle. Second-order cones above a size threshold
//! enter `H = η²(D + uuᵀ − vvᵀ)` through two extra rows each
//! (see [`crate::cones::HsLayout::SparseExpansion`]), so `K` stays sparse.
//!
//! The symbolic analysis (fill-reducing AMD ordering and elimination
//! structure) is done once per sparsity pattern; every interior-point
//! iteration only refactors numerically. A static regularization `ε` with
//! the expected pivot sign makes `K` quasi-definite, dynamic regularization
//! replaces pivots of the wrong sign, and iterative refinement against the
//! unregularized matrix recovers the accuracy lost to both.
//!
//! **Backend choice** ([`new_ldl`]). The AMD ordering is computed once and
//! faer's own rule picks the factorization: operations per factor entry
//! (AMD's count over the entries of `L` with its diagonal) at most 40 means
//! a simplicial factorization, done by [`SimplicialLdl`]
//! ([`crate::ldl`]); above, faer's supernodal factorization
//! ([`FaerLdl`]) with the same ordering. [`SimplicialLdl`] performs
//! bitwise the arithmetic of faer's simplicial `LDLᵀ` (so the iterates do
//! not depend on the backend), without faer's per-factorization
//! permutation of the matrix and elimination-tree walks: on the CBLIB set,
//! where every KKT system is in the simplicial regime, factorization time
//! roughly halves. Storing a pre-permuted matrix for faer instead had been
//! tried before: it changed the summation order, and CBLIB
//! sched_50_50_orig, whose last iterations are badly conditioned, ended
//! `AlmostSolved` instead of `Solved`; keeping faer's operation order
//! bitwise avoids exactly that. The switch at 40 was checked on
//! Maros–Meszaros instances forced to either factorization: below it the
//! simplicial one is faster (QPILOTNO at 39: 0.27 s against 0.53 s
//! supernodal; CONT-050 at 30: 0.09 s against 0.24 s), above it the
//! supernodal one wins or ties (QSHIP12L at 67: 0.70 s against 1.06 s;
//! Q25FV47 at 83: 0.27–0.33 s against 0.41–0.61 s; STCQP1 at 61: equal).
//!
//! **Normal equations** ([`new_backend`], [`KktBackend`]). When every cone
//! enters `K` through a diagonal `H` (zero and nonnegative cones) and there
//! are few variables, the Schur complement onto `x` is dense and small:
//! [`NormalEquations`] ([`crate::normal`]) factors
//! `M = P + εI + Aᵀ(H + εI)⁻¹A` with a dense Cholesky. [`KktBackend::Auto`]
//! takes it when its operation count, discounted 4× for vectorized dense
//! kernels, is at most the sparse factorization's
//! ([`normal_work`], [`prefer_dense`]). On the batch benchmark's problems (50
//! variables, 25 dense rows plus box bounds) a factorization takes 14 µs
//! against 20 µs sparse for LPs and 18 µs against 64 µs for QPs with a
//! dense `P`.
//!
//! **Dual normal equations.** When moreover `P` is diagonal, the bound rows
//! (one entry) fold into the diagonal and the Schur complement onto the
//! other rows, `S = D_d + A_d D̃⁻¹A_dᵀ`, is dense and small when there are
//! few of them: [`DualNormalEquations`] ([`crate::dual_normal`]) forms it by
//! one triangular matrix product and factors it with the dense Cholesky.
//! [`KktBackend::Auto`] takes it under the same 4× rule
//! ([`dual_normal_work`]) when every variable has a bound or a
//! diagonal `P` entry, and prefers it to the normal equations when its
//! operation count is lower: on the batch benchmark's LPs (`S` is
//! 25 × 25 against `M` 50 × 50) a whole interior-point solve of the 64
//! problems on one thread takes 23.2 ms against 32.5 ms. On a 729-variable LP with 249 dense equality rows
//! and box bounds (the 9 × 9 Sudoku layer) an interior-point iteration
//! takes 3.8 ms against 58 ms with the supernodal `LDLᵀ`, which adds one
//! rank-one update per variable to the dense block.

use crate::cones::{CompositeCone, HsLayout};
use crate::csc::CscMatrix;
use crate::dual_normal::{dual_normal_work, DualNormalEquations};
use crate::error::SolverError;
use crate::ldl::{LdlSymbolic, SimplicialLdl};
use crate::normal::{normal_work, prefer_dense, NormalEquations};
use crate::settings::{KktBackend, Settings};
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::ldlt::factor::{LdltParams, LdltRegularization};
use faer::perm::PermRef;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LdltRef, SymbolicCholesky,
    SymmetricOrdering,
};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side, Spec};
use std::sync::Arc;

/// A sparse `LDLᵀ` factorization of a quasi-definite matrix given by its
/// upper triangle. This is the replaceable backend of [`KktSystem`].
pub trait QuasiDefiniteLdl: Send + Sync {
    /// Numeric factorization of the matrix with the stored pattern and
    /// `values`. Pivots whose sign differs from `signs` or whose magnitude is
    /// below `reg_eps` are replaced by `±reg_delta`. `values` include the
    /// static regularization `static_reg` on the diagonal (with the signs
    /// of `signs`); a backend that does not need it may factor without it.
    fn factor(
        &mut self,
        values: &[f64],
        signs: &[i8],
        reg_eps: f64,
        reg_delta: f64,
        static_reg: f64,
    ) -> Result<(), String>;
    /// Solves `LDLᵀx = rhs` in place.
    fn solve_in_place(&mut self, rhs: &mut [f64]);
    /// A copy for another solver of the same pattern: the symbolic analysis
    /// is shared or copied, never recomputed; workspaces are fresh.
    fn clone_box(&self) -> Box<dyn QuasiDefiniteLdl>;
    /// A short name of the factorization, for reports and tests.
    fn name(&self) -> &'static str;
    /// `y ← K₀x`, `K₀` the matrix of the last factorization without the
    /// static regularization `static_reg` (added with the expected pivot
    /// signs), if the backend keeps a faster representation of it than the
    /// assembled upper triangle; false (the default) leaves it to
    /// [`KktSystem`].
    fn mul_unregularized(&self, _y: &mut [f64], _x: &[f64], _static_reg: f64) -> bool {
        false
    }
    /// Entries of `values` off the diagonal and outside the cone block
    /// (those of `P` and `A`) may differ at the next [`Self::factor`] from
    /// the last one. A backend that keeps its own copy of them refreshes it
    /// then; until this is called it may assume they are unchanged. A new
    /// backend has no copy yet.
    fn invalidate(&mut self) {}
}

/// [`QuasiDefiniteLdl`] backed by faer's sparse Cholesky module (simplicial or
/// supernodal). [`KktSystem`] uses it for supernodal factorizations only
/// (see the module docs); faer permutes the matrix at every numeric
/// factorization, which is a small part of a supernodal one.
pub struct FaerLdl {
    n: usize,
    colptr: Vec<usize>,
    rowval: Vec<usize>,
    symbolic: Arc<SymbolicCholesky<usize>>,
    l_values: Vec<f64>,
    mem: MemBuffer,
    req: StackReq,
    par: Par,
}

impl FaerLdl {
    /// Symbolic analysis (AMD ordering) of the pattern of an upper triangle;
    /// faer chooses between its simplicial and supernodal factorizations.
    pub fn new(n: usize, colptr: Vec<usize>, rowval: Vec<usize>) -> Result<Self, SolverError> {
        Self::with_ordering(n, colptr, rowval, None, SupernodalThreshold::AUTO)
    }

    /// Symbolic analysis with a given fill-reducing ordering (`perm[k]` is
    /// the original index of the `k`-th pivot; AMD if `None`) and faer's
    /// simplicial/supernodal switch.
    pub fn with_ordering(
        n: usize,
        colptr: Vec<usize>,
        rowval: Vec<usize>,
        perm: Option<&[usize]>,
        supernodal: SupernodalThreshold,
    ) -> Result<Self, SolverError> {
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &colptr, None, &rowval);
        let perm_inv = perm.map(|p| {
            let mut inv = vec![0usize; p.len()];
            for (k, &i) in p.iter().enumerate() {
                inv[i] = k;
            }
            inv
        });
        let ordering = match (perm, &perm_inv) {
            (Some(p), Some(inv)) => SymmetricOrdering::Custom(PermRef::new_checked(p, inv, n)),
            _ => SymmetricOrdering::Amd,
        };
        let symbolic = factorize_symbolic_cholesky(
            sym,
            Side::Upper,
            ordering,
            CholeskySymbolicParams {
                supernodal_flop_ratio_threshold: supernodal,
                ..Default::default()
            },
        )
        .map_err(|e| SolverError::LinearSolver(format!("symbolic analysis failed: {e:?}")))?;
        let par = Par::Seq;
        let req = symbolic
            .factorize_numeric_ldlt_scratch::<f64>(par, Spec::<LdltParams, f64>::default())
            .or(symbolic.solve_in_place_scratch::<f64>(1, par));
        let mem = MemBuffer::try_new(req).map_err(|_| {
            SolverError::LinearSolver("out of memory for factorization workspace".into())
        })?;
        let l_values = vec![0.0; symbolic.len_val()];
        Ok(FaerLdl {
            n,
            colptr,
            rowval,
            symbolic: Arc::new(symbolic),
            l_values,
            mem,
            req,
            par,
        })
    }

    /// Number of stored entries of the factor.
    pub fn factor_nnz(&self) -> usize {
        self.l_values.len()
    }
}

impl QuasiDefiniteLdl for FaerLdl {
    fn factor(
        &mut self,
        values: &[f64],
        signs: &[i8],
        reg_eps: f64,
        reg_delta: f64,
        _static_reg: f64,
    ) -> Result<(), String> {
        let sym =
            SymbolicSparseColMatRef::new_checked(self.n, self.n, &self.colptr, None, &self.rowval);
        let mat = SparseColMatRef::new(sym, values);
        let stack = MemStack::new(&mut self.mem);
        self.symbolic
            .factorize_numeric_ldlt(
                &mut self.l_values,
                mat,
                Side::Upper,
                LdltRegularization {
                    dynamic_regularization_signs: Some(signs),
                    dynamic_regularization_delta: reg_delta,
                    dynamic_regularization_epsilon: reg_eps,
                },
                self.par,
                stack,
                Spec::<LdltParams, f64>::default(),
            )
            .map_err(|e| format!("{e:?}"))?;
        // Without pivoting, small accepted pivots can make the factor grow
        // without bound; report that rather than solving with it.
        if self.l_values.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err("non-finite LDLᵀ factor".into())
        }
    }

    fn solve_in_place(&mut self, rhs: &mut [f64]) {
        let n = rhs.len();
        let ldl = LdltRef::<usize, f64>::new(&self.symbolic, &self.l_values);
        let stack = MemStack::new(&mut self.mem);
        ldl.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(rhs, n, 1),
            self.par,
            stack,
        );
    }

    fn clone_box(&self) -> Box<dyn QuasiDefiniteLdl> {
        Box::new(FaerLdl {
            n: self.n,
            colptr: self.colptr.clone(),
            rowval: self.rowval.clone(),
            symbolic: Arc::clone(&self.symbolic),
            l_values: self.l_values.clone(),
            mem: MemBuffer::new(self.req),
            req: self.req,
            par: self.par,
        })
    }

    fn name(&self) -> &'static str {
        "supernodal LDLᵀ"
    }
}

impl QuasiDefiniteLdl for SimplicialLdl {
    fn factor(
        &mut self,
        values: &[f64],
        signs: &[i8],
        reg_eps: f64,
        reg_delta: f64,
        _static_reg: f64,
    ) -> Result<(), String> {
        SimplicialLdl::factor(self, values, signs, reg_eps, reg_delta)
    }

    fn solve_in_place(&mut self, rhs: &mut [f64]) {
        SimplicialLdl::solve_in_place(self, rhs);
    }

    fn clone_box(&self) -> Box<dyn QuasiDefiniteLdl> {
        Box::new(self.clone())
    }

    fn name(&self) -> &'static str {
        "simplicial LDLᵀ"
    }
}

/// Ratio of factorization operations to factor entries (diagonal included)
/// above which the supernodal factorization is used; faer's own switch.
const SUPERNODAL_FLOP_RATIO: f64 = 40.0;

/// The `LDLᵀ` backend for the upper-triangle pattern `(colptr, rowval)`.
///
/// The AMD ordering is computed once. Where faer would factor
/// simplicially (operations per factor entry at most
/// 40, faer's switch), [`SimplicialLdl`] is used: the same
/// arithmetic as faer's simplicial path without its per-factorization
/// permutation of the matrix. Otherwise faer's supernodal factorization is
/// used, with the same ordering.
pub fn new_ldl(
    n: usize,
    colptr: &[usize],
    rowval: &[usize],
) -> Result<Box<dyn QuasiDefiniteLdl>, SolverError> {
    let sym = LdlSymbolic::new(n, colptr, rowval)?;
    let ratio = sym.factor_flops() / (sym.factor_nnz() + n).max(1) as f64;
    if ratio > SUPERNODAL_FLOP_RATIO {
        let perm = sym.perm().to_vec();
        drop(sym);
        Ok(Box::new(FaerLdl::with_ordering(
            n,
            colptr.to_vec(),
            rowval.to_vec(),
            Some(&perm),
            SupernodalThreshold::FORCE_SUPERNODAL,
        )?))
    } else {
        Ok(Box::new(SimplicialLdl::from_symbolic(sym)))
    }
}

/// The factorization of a KKT upper triangle of dimension `n + m` (plus
/// expansion rows) chosen by `backend`: the normal equations
/// ([`NormalEquations`]) or the dual normal equations
/// ([`DualNormalEquations`]) when asked for and applicable, or under
/// [`KktBackend::Auto`] when the cheaper of the two ([`normal_work`],
/// [`dual_normal_work`]) is expected to be faster than the sparse
/// factorization of [`new_ldl`] ([`prefer_dense`]); that one otherwise. `p_diag` marks
/// the variables with a stored diagonal entry of `P`.
pub fn new_backend(
    n: usize,
    m: usize,
    colptr: &[usize],
    rowval: &[usize],
    p_diag: &[bool],
    backend: KktBackend,
) -> Result<Box<dyn QuasiDefiniteLdl>, SolverError> {
    let dim = colptr.len() - 1;
    let (normal, dual) = match backend {
        KktBackend::SparseLdl => (false, false),
        KktBackend::NormalEquations => (n <= crate::normal::MAX_DENSE_VARIABLES, false),
        KktBackend::DualNormalEquations => (false, true),
        KktBackend::Auto => {
            // The cheaper dense backend, if any applies and beats the
            // sparse factorization.
            let primal = normal_work(n, m, colptr, rowval);
            let dual = dual_normal_work(n, m, colptr, rowval, p_diag);
            let cheaper_dual = match (primal, dual) {
                (Some(p), Some(d)) => d < p,
                (p, d) => d.is_some() && p.is_none(),
            };
            match primal.into_iter().chain(dual).reduce(f64::min) {
                Some(work) => {
                    let flops = LdlSymbolic::new(dim, colptr, rowval)?.factor_flops();
                    let dense = prefer_dense(work, flops);
                    (dense && !cheaper_dual, dense && cheaper_dual)
                }
                None => (false, false),
            }
        }
    };
    if normal {
        if let Some(ne) = NormalEquations::new(n, m, colptr, rowval) {
            return Ok(Box::new(ne));
        }
    }
    if dual {
        if let Some(dn) = DualNormalEquations::new(n, m, colptr, rowval) {
            return Ok(Box::new(dn));
        }
    }
    new_ldl(dim, colptr, rowval)
}

/// Factorization attempts, each with 100× the previous static regularization.
const REG_RETRIES: usize = 4;

/// How one KKT entry is refreshed from the cone scaling values.
#[derive(Debug, Clone, Copy)]
struct HsEntry {
    pos: usize,
    offset: usize,
    sign: f64,
}

/// The assembled KKT matrix, its factorization and refinement workspace.
/// Cloning copies the matrix and shares or copies the symbolic analysis of
/// the factorization (see [`QuasiDefiniteLdl::clone_box`]).
pub struct KktSystem {
    n: usize,
    m: usize,
    dim: usize,
    colptr: Vec<usize>,
    rowval: Vec<usize>,
    /// Values with P and A only (no H, no regularization).
    base: Vec<f64>,
    /// Values as factored.
    values: Vec<f64>,
    /// The positions where `values` may differ from `base` once `base` has
    /// been copied (the diagonal, `H` and the constant entries), sorted.
    dynamic_pos: Vec<usize>,
    /// Whether `base` changed since `values` last copied it all, and
    /// whether it then had a non-finite entry.
    base_changed: bool,
    base_non_finite: bool,
    signs: Vec<i8>,
    diag_pos: Vec<usize>,
    p_map: Vec<usize>,
    a_map: Vec<usize>,
    hs_entries: Vec<HsEntry>,
    const_entries: Vec<(usize, f64)>,
    hs_blocks: Vec<(usize, usize)>,
    hs_work: Vec<f64>,
    static_reg: f64,
    ldl: Box<dyn QuasiDefiniteLdl>,
    sol: Vec<f64>,
    rhs: Vec<f64>,
    err: Vec<f64>,
    dx: Vec<f64>,
    /// Number of refinement steps taken by the last solve.
    pub last_refine_steps: u32,
}

impl Clone for KktSystem {
    fn clone(&self) -> Self {
        KktSystem {
            n: self.n,
            m: self.m,
            dim: self.dim,
            colptr: self.colptr.clone(),
            rowval: self.rowval.clone(),
            base: self.base.clone(),
            values: self.values.clone(),
            dynamic_pos: self.dynamic_pos.clone(),
            base_changed: self.base_changed,
            base_non_finite: self.base_non_finite,
            signs: self.signs.clone(),
            diag_pos: self.diag_pos.clone(),
            p_map: self.p_map.clone(),
            a_map: self.a_map.clone(),
            hs_entries: self.hs_entries.clone(),
            const_entries: self.const_entries.clone(),
            hs_blocks: self.hs_blocks.clone(),
            hs_work: self.hs_work.clone(),
            static_reg: self.static_reg,
            ldl: self.ldl.clone_box(),
            sol: self.sol.clone(),
            rhs: self.rhs.clone(),
            err: self.err.clone(),
            dx: self.dx.clone(),
            last_refine_steps: self.last_refine_steps,
        }
    }
}

#[derive(Clone, Copy)]
enum Src {
    P(usize),
    A(usize),
    Diag,
    Hs(usize, f64),
    Const(f64),
}

impl KktSystem {
    /// Assembles the pattern of `K` for `(P, A)` and the cones, and performs
    /// the symbolic analysis ([`KktBackend::Auto`]).
    pub fn new(p: &CscMatrix, a: &CscMatrix, cones: &CompositeCone) -> Result<Self, SolverError> {
        Self::with_backend(p, a, cones, KktBackend::Auto)
    }

    /// [`KktSystem::new`] with a chosen factorization.
    pub fn with_backend(
        p: &CscMatrix,
        a: &CscMatrix,
        cones: &CompositeCone,
        backend: KktBackend,
    ) -> Result<Self, SolverError> {
        let n = p.n;
        let m = a.m;
        let n_extra = cones
            .blocks
            .iter()
            .filter(|b| b.inner().hs_layout() == HsLayout::SparseExpansion)
            .count()
            * 2;
        let dim = n + m + n_extra;
        let hs_count: usize = cones
            .blocks
            .iter()
            .zip(&cones.ranges)
            .map(|(b, r)| match b.inner().hs_layout() {
                HsLayout::Diagonal => r.len(),
                HsLayout::DenseUpper => r.len() * (r.len() + 1) / 2,
                HsLayout::SparseExpansion => 3 * r.len() + 2,
            })
            .sum();
        let mut entries: Vec<(usize, usize, Src)> =
            Vec::with_capacity(p.nnz() + a.nnz() + dim + hs_count);
        let mut signs = vec![1i8; dim];
        for j in 0..n {
            for k in p.colptr[j]..p.colptr[j + 1] {
                entries.push((p.rowval[k], j, Src::P(k)));
            }
        }
        for j in 0..n {
            for k in a.colptr[j]..a.colptr[j + 1] {
                entries.push((j, n + a.rowval[k], Src::A(k)));
            }
        }
        for i in 0..dim {
            entries.push((i, i, Src::Diag));
        }
        let mut hs_blocks = Vec::with_capacity(cones.blocks.len());
        let mut offset = 0;
        let mut extra = n + m;
        for (block, r) in cones.blocks.iter().zip(&cones.ranges) {
            let d = r.len();
            let z0 = n + r.start;
            for s in &mut signs[z0..z0 + d] {
                *s = -1;
            }
            let len = match block.inner().hs_layout() {
                HsLayout::Diagonal => {
                    for i in 0..d {
                        entries.push((z0 + i, z0 + i, Src::Hs(offset + i, -1.0)));
                    }
                    d
                }
                HsLayout::DenseUpper => {
                    let mut k = 0;
                    for j in 0..d {
                        for i in 0..=j {
                            entries.push((z0 + i, z0 + j, Src::Hs(offset + k, -1.0)));
                            k += 1;
                        }
                    }
                    k
                }
                HsLayout::SparseExpansion => {
                    let (eu, ev) = (extra, extra + 1);
                    extra += 2;
                    signs[eu] = 1;
                    signs[ev] = -1;
                    for i in 0..d {
                        entries.push((z0 + i, z0 + i, Src::Hs(offset + i, -1.0)));
                        entries.push((z0 + i, eu, Src::Hs(offset + d + i, 1.0)));
                        entries.push((z0 + i, ev, Src::Hs(offset + 2 * d + i, 1.0)));
                    }
                    entries.push((eu, eu, Src::Const(1.0)));
                    entries.push((ev, ev, Src::Const(-1.0)));
                    3 * d
                }
            };
            hs_blocks.push((offset, len));
            offset += len;
        }
        // Bucket by column, then sort each column by row. Entries of one
        // position are merged, so their relative order does not matter.
        let mut start = vec![0usize; dim + 1];
        for e in &entries {
            start[e.1 + 1] += 1;
        }
        for j in 0..dim {
            start[j + 1] += start[j];
        }
        let mut next = start.clone();
        let mut by_col = vec![(0, 0, Src::Diag); entries.len()];
        for &e in &entries {
            by_col[next[e.1]] = e;
            next[e.1] += 1;
        }
        for w in start.windows(2) {
            by_col[w[0]..w[1]].sort_unstable_by_key(|e| e.0);
        }
        let entries = by_col;
        let mut colptr = vec![0usize; dim + 1];
        let mut rowval = Vec::with_capacity(entries.len());
        let mut p_map = vec![0usize; p.nnz()];
        let mut a_map = vec![0usize; a.nnz()];
        let mut diag_pos = vec![0usize; dim];
        let mut hs_entries = Vec::new();
        let mut const_entries = Vec::new();
        let mut last: Option<(usize, usize)> = None;
        for &(i, j, src) in &entries {
            if last != Some((i, j)) {
                rowval.push(i);
                colptr[j + 1] += 1;
                last = Some((i, j));
            }
            let pos = rowval.len() - 1;
            match src {
                Src::P(k) => p_map[k] = pos,
                Src::A(k) => a_map[k] = pos,
                Src::Diag => diag_pos[i] = pos,
                Src::Hs(off, sign) => hs_entries.push(HsEntry {
                    pos,
                    offset: off,
                    sign,
                }),
                Src::Const(v) => const_entries.push((pos, v)),
            }
        }
        for j in 0..dim {
            colptr[j + 1] += colptr[j];
        }
        let nnz = rowval.len();
        let p_diag: Vec<bool> = (0..n)
            .map(|j| p.rowval[p.colptr[j]..p.colptr[j + 1]].contains(&j))
            .collect();
        let ldl = new_backend(n, m, &colptr, &rowval, &p_diag, backend)?;
        let mut dynamic_pos: Vec<usize> = diag_pos
            .iter()
            .copied()
            .chain(hs_entries.iter().map(|e| e.pos))
            .chain(const_entries.iter().map(|e| e.0))
            .collect();
        dynamic_pos.sort_unstable();
        dynamic_pos.dedup();
        let mut kkt = KktSystem {
            n,
            m,
            dim,
            colptr,
            rowval,
            base: vec![0.0; nnz],
            values: vec![0.0; nnz],
            dynamic_pos,
            base_changed: true,
            base_non_finite: false,
            signs,
            diag_pos,
            p_map,
            a_map,
            hs_entries,
            const_entries,
            hs_blocks,
            hs_work: vec![0.0; offset],
            static_reg: 0.0,
            ldl,
            sol: vec![0.0; dim],
            rhs: vec![0.0; dim],
            err: vec![0.0; dim],
            dx: vec![0.0; dim],
            last_refine_steps: 0,
        };
        kkt.update_p(p);
        kkt.update_a(a);
        Ok(kkt)
    }

    /// Dimension of the (possibly expanded) KKT matrix.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Stored entries of the upper triangle of `K`.
    pub fn nnz(&self) -> usize {
        self.rowval.len()
    }

    /// The factorization in use ([`QuasiDefiniteLdl::name`]).
    pub fn backend_name(&self) -> &'static str {
        self.ldl.name()
    }

    /// The static regularization used in the last factorization.
    pub fn static_regularization(&self) -> f64 {
        self.static_reg
    }

    /// Copies new values of `P` (same pattern) into the matrix.
    pub fn update_p(&mut self, p: &CscMatrix) {
        self.base_changed = true;
        for &pos in &self.p_map {
            self.base[pos] = 0.0;
        }
        for (k, &pos) in self.p_map.iter().enumerate() {
            self.base[pos] += p.nzval[k];
        }
    }

    /// Copies new values of `A` (same pattern) into the matrix.
    pub fn update_a(&mut self, a: &CscMatrix) {
        self.base_changed = true;
        for (k, &pos) in self.a_map.iter().enumerate() {
            self.base[pos] = a.nzval[k];
        }
    }

    /// Writes `H` from the cones' current scaling, regularizes and factors.
    pub fn update_and_factor(
        &mut self,
        cones: &CompositeCone,
        settings: &Settings,
    ) -> Result<(), String> {
        for (block, &(off, len)) in cones.blocks.iter().zip(&self.hs_blocks) {
            block.inner().hs_values(&mut self.hs_work[off..off + len]);
        }
        self.reset_values();
        for e in &self.hs_entries {
            self.values[e.pos] += e.sign * self.hs_work[e.offset];
        }
        for &(pos, v) in &self.const_entries {
            self.values[pos] = v;
        }
        self.regularize_and_factor(settings)
    }

    /// True if every cone block enters `K` through a diagonal `H` (zero and
    /// nonnegative cones), so that [`KktSystem::factor_with_diagonal_h`]
    /// applies.
    pub fn has_diagonal_h(&self) -> bool {
        self.dim == self.n + self.m
            && self.const_entries.is_empty()
            && self.hs_entries.len() == self.m
            && self
                .hs_entries
                .iter()
                .all(|e| e.offset < self.m && e.pos == self.diag_pos[self.n + e.offset])
    }

    /// Factors `K` with a given diagonal `H` (one value per constraint row)
    /// in place of the cones' scaling, with the usual static and dynamic
    /// regularization; [`KktSystem::solve`] then solves with it. Used to
    /// solve other systems of the same pattern (e.g. the implicit
    /// derivative of a solution) with the symbolic analysis of this one.
    /// Requires [`KktSystem::has_diagonal_h`].
    pub fn factor_with_diagonal_h(&mut self, h: &[f64], settings: &Settings) -> Result<(), String> {
        if !self.has_diagonal_h() || h.len() != self.m {
            return Err("the KKT system has no diagonal H of this length".into());
        }
        self.reset_values();
        for e in &self.hs_entries {
            self.values[e.pos] += e.sign * h[e.offset];
        }
        self.regularize_and_factor(settings)
    }

    /// True if every cone block enters `K` through its own diagonal or
    /// dense block of `H` (no second-order cone in the sparse expansion),
    /// so that [`KktSystem::factor_with_h`] applies.
    pub fn has_blockwise_h(&self) -> bool {
        self.dim == self.n + self.m && self.const_entries.is_empty()
    }

    /// `(offset, length)` of each cone block's values of `H` in the
    /// argument of [`KktSystem::factor_with_h`]: a block of dimension `d`
    /// is diagonal if its length is `d` (its `d` diagonal values), dense
    /// otherwise (length `d(d+1)/2`, the upper triangle column by column).
    pub fn h_blocks(&self) -> &[(usize, usize)] {
        &self.hs_blocks
    }

    /// Factors `K` with `H` given block by block (layout of
    /// [`KktSystem::h_blocks`]) in place of the cones' scaling, with the
    /// usual static and dynamic regularization; [`KktSystem::solve`] then
    /// solves with it. Requires [`KktSystem::has_blockwise_h`].
    pub fn factor_with_h(&mut self, h: &[f64], settings: &Settings) -> Result<(), String> {
        if !self.has_blockwise_h() || h.len() != self.hs_work.len() {
            return Err("the KKT system has no blockwise H of this layout".into());
        }
        self.reset_values();
        for e in &self.hs_entries {
            self.values[e.pos] += e.sign * h[e.offset];
        }
        self.regularize_and_factor(settings)
    }

    /// Factors `values` with a static regularization proportional to the
    /// largest diagonal entry; if the factorization breaks down, retries
    /// with 100× the regularization (iterative refinement against the
    /// unregularized matrix recovers the accuracy).
    fn regularize_and_factor(&mut self, settings: &Settings) -> Result<(), String> {
        self.static_reg = 0.0;
        if self.base_non_finite
            || self
                .dynamic_pos
                .iter()
                .any(|&p| !self.values[p].is_finite())
        {
            return Err("non-finite KKT entry".into());
        }
        let max_diag = self
            .diag_pos
            .iter()
            .fold(0.0f64, |acc, &pos| acc.max(self.values[pos].abs()));
        let mut reg = settings.static_reg_constant + settings.static_reg_proportional * max_diag;
        let mut result = Err(String::new());
        for _ in 0..REG_RETRIES {
            self.apply_static_reg(reg);
            result = self.ldl.factor(
                &self.values,
                &self.signs,
                settings.dynamic_reg_eps,
                settings.dynamic_reg_delta,
                reg,
            );
            if result.is_ok() {
                break;
            }
            reg *= 100.0;
        }
        result
    }

    /// `values ← base`: in full (and checked finite) after `P` or `A`
    /// changed, otherwise only at the positions that factorizations
    /// change (a pass over `A`'s entries at every interior-point iteration
    /// otherwise, where only `H` and the diagonal move).
    fn reset_values(&mut self) {
        if self.base_changed {
            self.values.copy_from_slice(&self.base);
            self.ldl.invalidate();
            self.base_non_finite = self.base.iter().any(|v| !v.is_finite());
            self.base_changed = false;
        } else {
            for &p in &self.dynamic_pos {
                self.values[p] = self.base[p];
            }
        }
    }

    /// Sets the static regularization to `reg` (replacing the previous one).
    fn apply_static_reg(&mut self, reg: f64) {
        for (i, &pos) in self.diag_pos.iter().enumerate() {
            self.values[pos] += f64::from(self.signs[i]) * (reg - self.static_reg);
        }
        self.static_reg = reg;
    }

    /// `y ← K₀ x` with `K₀` the matrix without static regularization. Each
    /// column of the upper triangle ends with its diagonal entry.
    fn mul_unregularized(&self, y: &mut [f64], x: &[f64]) {
        if self.ldl.mul_unregularized(y, x, self.static_reg) {
            return;
        }
        y.fill(0.0);
        let cols = self.colptr.windows(2).zip(x.iter().zip(&self.signs));
        for (j, (w, (&xj, &sign))) in cols.enumerate() {
            let last = w[1] - 1;
            let rows = &self.rowval[w[0]..last];
            let vals = &self.values[w[0]..last];
            let mut acc = (self.values[last] - f64::from(sign) * self.static_reg) * xj;
            for (&i, &v) in rows.iter().zip(vals) {
                acc += v * x[i];
                y[i] += v * xj;
            }
            y[j] += acc;
        }
    }

    /// Solves `K₀ [x; z] = [bx; bz]` with iterative refinement. `rhs` and
    /// `out` have length `n + m`; extra expansion rows have zero right-hand
    /// side. Returns false if the solution is not finite.
    pub fn solve(&mut self, out: &mut [f64], rhs: &[f64], settings: &Settings) -> bool {
        let nm = self.n + self.m;
        self.rhs[..nm].copy_from_slice(rhs);
        self.rhs[nm..].fill(0.0);
        self.sol.copy_from_slice(&self.rhs);
        self.ldl.solve_in_place(&mut self.sol);
        self.last_refine_steps = 0;
        if settings.refine_enable {
            let norm_b = inf_norm(&self.rhs);
            let mut err = std::mem::take(&mut self.err);
            let mut dx = std::mem::take(&mut self.dx);
            let mut norm_e = self.residual(&mut err, &self.sol);
            for _ in 0..settings.refine_max_iter {
                if norm_e <= settings.refine_abstol + settings.refine_reltol * norm_b {
                    break;
                }
                let last = norm_e;
                dx.copy_from_slice(&err);
                self.ldl.solve_in_place(&mut dx);
                for (d, s) in dx.iter_mut().zip(&self.sol) {
                    *d += s;
                }
                norm_e = self.residual(&mut err, &dx);
                let ratio = last / norm_e;
                self.last_refine_steps += 1;
                if ratio < settings.refine_stop_ratio {
                    if ratio > 1.0 {
                        std::mem::swap(&mut self.sol, &mut dx);
                    }
                    break;
                }
                std::mem::swap(&mut self.sol, &mut dx);
            }
            self.err = err;
            self.dx = dx;
        }
        out.copy_from_slice(&self.sol[..nm]);
        out.iter().all(|v| v.is_finite())
    }

    /// `err ← rhs − K₀ x`, returning `‖err‖∞`.
    fn residual(&self, err: &mut [f64], x: &[f64]) -> f64 {
        self.mul_unregularized(err, x);
        let mut norm = 0.0f64;
        for (e, b) in err.iter_mut().zip(&self.rhs) {
            *e = b - *e;
            norm = norm.max(e.abs());
        }
        norm
    }
}

#[inline]
fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |acc, x| acc.max(x.abs()))
}
