//! A dense normal-equations backend for KKT systems whose cone block is
//! diagonal (zero and nonnegative cones), for problems with few variables.
//!
//! With `K₁₁ = P + εI` (`n × n`), `A` (`m × n`) and the diagonal
//! `−D = −(H + εI)`, the quasi-definite system
//!
//! ```text
//! [ K₁₁   Aᵀ ] [x]   [r₁]
//! [  A   −D  ] [z] = [r₂]
//! ```
//!
//! is solved through the Schur complement onto `x` (the normal equations of
//! the primal step):
//!
//! ```text
//! M = K₁₁ + AᵀD⁻¹A,   M x = r₁ + AᵀD⁻¹r₂,   z = D⁻¹(Ax − r₂),
//! ```
//!
//! with `M` dense (`n × n`) and factored by the blocked Cholesky `LLᵀ` of
//! [`crate::dense`].
//! Rows of `A` with at least `n/2` entries are gathered into a dense
//! `n × r` block `B` and enter `M` through one matrix product
//! `(B D_B⁻¹) Bᵀ`; the other rows are added entry by entry. For small `n`
//! with dense rows (the typical learning-layer problem: tens of variables,
//! dense inequality rows plus box bounds) this replaces the sparse
//! elimination's indirect addressing by blocked dense kernels; for large or
//! very sparse problems the sparse `LDLᵀ` is the better backend
//! ([`prefer_dense`] decides).
//!
//! **Numerics.** The sparse backends need the static regularization `ε` for
//! quasi-definiteness. Here it is removed again from the cone block
//! (`D = H` where `H_i ≥ 1e-6·ε`; `H_i + ε` below that, which bounds `D⁻¹`
//! by `1e6/ε` and keeps products with it finite even for data near the
//! overflow threshold): factoring the nearly unregularized system leaves
//! the caller's iterative refinement ([`crate::kkt::KktSystem::solve`],
//! against the unregularized `K`) far less to do — on the batch benchmark's
//! LPs 0.13 refinement steps per solve instead of 0.93 (QPs: 0.24 instead
//! of 0.96), with the same iterates to the printed digits. `K₁₁ = P + εI`
//! keeps its `ε`: without it a variable in no constraint of an LP makes `M`
//! singular; so do zero-cone rows (`H_i = 0`, hence `D_i = ε`). A diagonal
//! `D_i ≤ eps` becomes `delta`, and a Cholesky pivot of `M` at most `eps`
//! becomes `delta` (dynamic regularization); refinement
//! recovers the accuracy.
//! `M`'s conditioning follows `H⁻¹`, which spreads over many orders of
//! magnitude near an interior-point solution, as in every
//! normal-equations method.

use crate::dense::{self, axpy, axpy4, cols4, dot, dot4, Kernel, SchurKernels};
use crate::kkt::QuasiDefiniteLdl;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// Largest number of variables for which the normal equations are
/// considered ([`normal_work`]).
pub const MAX_DENSE_VARIABLES: usize = 300;

/// The Schur-complement factorization described in the module docs.
#[derive(Clone)]
pub struct NormalEquations {
    n: usize,
    /// Entries of the upper triangle of `K₁₁`: (value position, row, column).
    k11: Vec<(usize, usize, usize)>,
    /// Value position of `−D_i` for each row of `A`.
    d_pos: Vec<usize>,
    /// The rows of `A` gathered into the columns of `B`.
    dense_rows: Vec<usize>,
    /// Entries of `B`: (value position, row, column).
    b_src: Vec<(usize, usize, usize)>,
    /// The other rows of `A`, in increasing order.
    sparse_rows: Vec<usize>,
    /// The other rows of `A`, row-wise (dense rows are empty here): row
    /// pointers, columns, value positions and the values as last factored.
    sp_ptr: Vec<usize>,
    sp_col: Vec<usize>,
    sp_pos: Vec<usize>,
    sp_val: Vec<f64>,
    /// `D⁻¹`.
    w: Vec<f64>,
    /// `B` (`n × r`, column-major) and `B D_B⁻¹`.
    b: Vec<f64>,
    bw: Vec<f64>,
    /// The upper triangle of `K₁₁` and the diagonal `D` (before dynamic
    /// regularization) as last factored, for products with `K`.
    k11_val: Vec<f64>,
    d: Vec<f64>,
    /// `M` and then, in place, its Cholesky factor `L` (column-major
    /// `n × n`, lower triangle), and the reciprocals of `L`'s diagonal.
    l: Vec<f64>,
    l_inv_diag: Vec<f64>,
    /// `K₁₁` as a full column-major matrix when it has more than `n²/8`
    /// stored entries (a dense `P`), else empty.
    k11_full: Vec<f64>,
}

impl std::fmt::Debug for NormalEquations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NormalEquations")
            .field("n", &self.n)
            .field("m", &self.w.len())
            .field("dense_rows", &self.dense_rows.len())
            .finish_non_exhaustive()
    }
}

/// Positions of the blocks of a KKT upper triangle `(colptr, rowval)` of
/// dimension `n + m`, or `None` if the bottom-right block is not diagonal
/// (or a diagonal entry is missing).
#[allow(clippy::type_complexity)]
pub(crate) fn split_blocks(
    n: usize,
    m: usize,
    colptr: &[usize],
    rowval: &[usize],
) -> Option<(
    Vec<(usize, usize, usize)>,
    Vec<(usize, usize, usize)>,
    Vec<usize>,
)> {
    if colptr.len() != n + m + 1 {
        return None;
    }
    let k11_len = colptr[n];
    let mut k11 = Vec::with_capacity(k11_len);
    let mut a_entries = Vec::with_capacity(colptr[n + m] - k11_len);
    let mut d_pos = vec![usize::MAX; m];
    for j in 0..n + m {
        for pos in colptr[j]..colptr[j + 1] {
            let i = rowval[pos];
            if j < n {
                k11.push((pos, i, j));
            } else if i < n {
                a_entries.push((pos, j - n, i));
            } else if i == j {
                d_pos[j - n] = pos;
            } else {
                return None;
            }
        }
    }
    if d_pos.contains(&usize::MAX) {
        return None;
    }
    Some((k11, a_entries, d_pos))
}

/// The operation count of [`NormalEquations`] (`n³/3` for the Cholesky
/// factor, `n²` per dense row, `k²/2` per sparse row of `k` entries), if
/// they apply: the cone block diagonal and `1 ≤ n ≤`
/// [`MAX_DENSE_VARIABLES`].
pub fn normal_work(n: usize, m: usize, colptr: &[usize], rowval: &[usize]) -> Option<f64> {
    if n == 0 || n > MAX_DENSE_VARIABLES {
        return None;
    }
    let (_, a_entries, _) = split_blocks(n, m, colptr, rowval)?;
    let mut row_len = vec![0usize; m];
    for &(_, r, _) in &a_entries {
        row_len[r] += 1;
    }
    let nf = n as f64;
    let mut dense = nf * nf * nf / 3.0;
    for &k in &row_len {
        dense += if 2 * k >= n {
            nf * nf
        } else {
            (k * (k + 1) / 2) as f64
        };
    }
    Some(dense)
}

/// Whether a dense backend of operation count `dense_work`
/// ([`normal_work`], [`crate::dual_normal::dual_normal_work`]), discounted
/// 4× for the dense kernels' vectorized arithmetic, is expected to be
/// faster than the sparse `LDLᵀ` whose factorization takes `sparse_flops`
/// operations.
pub fn prefer_dense(dense_work: f64, sparse_flops: f64) -> bool {
    dense_work / 4.0 <= sparse_flops
}

impl NormalEquations {
    /// Analyses a KKT upper triangle of dimension `n + m` whose first `n`
    /// rows are the variables; `None` if its cone block is not diagonal.
    pub fn new(n: usize, m: usize, colptr: &[usize], rowval: &[usize]) -> Option<Self> {
        let (k11, a_entries, d_pos) = split_blocks(n, m, colptr, rowval)?;
        let mut row_len = vec![0usize; m];
        for &(_, r, _) in &a_entries {
            row_len[r] += 1;
        }
        let dense_rows: Vec<usize> = (0..m).filter(|&r| 2 * row_len[r] >= n.max(1)).collect();
        let mut dense_index = vec![usize::MAX; m];
        for (k, &r) in dense_rows.iter().enumerate() {
            dense_index[r] = k;
        }
        let mut b_src = Vec::new();
        let mut sp_ptr = vec![0usize; m + 1];
        for &(pos, r, j) in &a_entries {
            if dense_index[r] == usize::MAX {
                sp_ptr[r + 1] += 1;
            } else {
                b_src.push((pos, j, dense_index[r]));
            }
        }
        for r in 0..m {
            sp_ptr[r + 1] += sp_ptr[r];
        }
        let mut next = sp_ptr.clone();
        let nsp = sp_ptr[m];
        let (mut sp_col, mut sp_pos) = (vec![0usize; nsp], vec![0usize; nsp]);
        for &(pos, r, j) in &a_entries {
            if dense_index[r] == usize::MAX {
                sp_col[next[r]] = j;
                sp_pos[next[r]] = pos;
                next[r] += 1;
            }
        }
        let sparse_rows = (0..m).filter(|&r| dense_index[r] == usize::MAX).collect();
        let r = dense_rows.len();
        let k11_len = k11.len();
        Some(NormalEquations {
            n,
            k11,
            d_pos,
            dense_rows,
            b_src,
            sparse_rows,
            sp_ptr,
            sp_col,
            sp_pos,
            sp_val: vec![0.0; nsp],
            w: vec![0.0; m],
            b: vec![0.0; n * r],
            bw: vec![0.0; n * r],
            k11_val: vec![0.0; k11_len],
            d: vec![0.0; m],
            l: vec![0.0; n * n],
            l_inv_diag: vec![0.0; n],
            k11_full: if 8 * k11_len > n * n {
                vec![0.0; n * n]
            } else {
                Vec::new()
            },
        })
    }
}

/// A column-major `n × r` block (`B` or `B D_B⁻¹`) as a faer view.
fn block(data: &[f64], n: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(data, n, data.len().checked_div(n).unwrap_or(0))
}

/// `[v[rows[k]], v[rows[k + 1]], v[rows[k + 2]], v[rows[k + 3]]]`.
#[inline(always)]
fn gather4(v: &[f64], rows: &[usize], k: usize) -> [f64; 4] {
    [v[rows[k]], v[rows[k + 1]], v[rows[k + 2]], v[rows[k + 3]]]
}

impl SchurKernels for NormalEquations {
    #[inline(always)]
    fn solve_scaled(&mut self, rhs: &mut [f64]) {
        let n = self.n;
        let (x, z) = rhs.split_at_mut(n);
        let (w, rows) = (&self.w, &self.dense_rows);
        // x ← r₁ + AᵀD⁻¹r₂
        for &r in &self.sparse_rows {
            let u = w[r] * z[r];
            let p = self.sp_ptr[r]..self.sp_ptr[r + 1];
            for (&j, &v) in self.sp_col[p.clone()].iter().zip(&self.sp_val[p]) {
                x[j] += v * u;
            }
        }
        let full = rows.len() / 4 * 4;
        for k in (0..full).step_by(4) {
            let (wk, zk) = (gather4(w, rows, k), gather4(z, rows, k));
            let u = [wk[0] * zk[0], wk[1] * zk[1], wk[2] * zk[2], wk[3] * zk[3]];
            axpy4(x, cols4(&self.b, n, k, 0), u);
        }
        for (k, &r) in rows.iter().enumerate().skip(full) {
            axpy(x, w[r] * z[r], &self.b[k * n..(k + 1) * n]);
        }
        // x ← M⁻¹x = L⁻ᵀL⁻¹x
        dense::solve_lower_in_place(&self.l, n, &self.l_inv_diag, x);
        dense::solve_lower_transpose_in_place(&self.l, n, &self.l_inv_diag, x);
        // z ← D⁻¹(Ax − r₂)
        for k in (0..full).step_by(4) {
            let t = dot4(cols4(&self.b, n, k, 0), x);
            for (p, t) in t.into_iter().enumerate() {
                let r = rows[k + p];
                z[r] = w[r] * (t - z[r]);
            }
        }
        for (k, &r) in rows.iter().enumerate().skip(full) {
            z[r] = w[r] * (dot(&self.b[k * n..(k + 1) * n], x) - z[r]);
        }
        for &r in &self.sparse_rows {
            let p = self.sp_ptr[r]..self.sp_ptr[r + 1];
            let mut ax = 0.0;
            for (&j, &v) in self.sp_col[p.clone()].iter().zip(&self.sp_val[p]) {
                ax += v * x[j];
            }
            z[r] = w[r] * (ax - z[r]);
        }
    }

    /// Assembles `M` in `self.l` and factors it; `D⁻¹` and the values of
    /// `A` are in place.
    #[inline(always)]
    fn assemble_and_factor(&mut self, eps: f64, delta: f64) -> Result<(), String> {
        let n = self.n;
        let mat = &mut self.l;
        mat.fill(0.0);
        for (&v, &(_, i, j)) in self.k11_val.iter().zip(&self.k11) {
            // Lower triangle: (j, i) with i ≤ j.
            mat[j + n * i] += v;
        }
        if !self.dense_rows.is_empty() {
            let cols = self.bw.chunks_exact_mut(n).zip(self.b.chunks_exact(n));
            for ((bw, b), &r) in cols.zip(&self.dense_rows) {
                let wr = self.w[r];
                for (u, &v) in bw.iter_mut().zip(b) {
                    *u = v * wr;
                }
            }
            matmul(
                MatMut::from_column_major_slice_mut(mat, n, n),
                Accum::Add,
                block(&self.bw, n),
                block(&self.b, n).transpose(),
                1.0,
                Par::Seq,
            );
        }
        for &r in &self.sparse_rows {
            let p = self.sp_ptr[r]..self.sp_ptr[r + 1];
            let (cols, vals) = (&self.sp_col[p.clone()], &self.sp_val[p]);
            let wr = self.w[r];
            for (&jp, &ap) in cols.iter().zip(vals) {
                let vp = ap * wr;
                for (&jq, &aq) in cols.iter().zip(vals) {
                    if jq <= jp {
                        mat[jp + n * jq] += vp * aq;
                    }
                }
            }
        }
        dense::cholesky_in_place(mat, n, &mut self.l_inv_diag, eps, delta)
            .map_err(|j| format!("nonpositive normal-equations pivot at {j}"))
    }

    #[inline(always)]
    fn mul_body(&self, y: &mut [f64], x: &[f64], static_reg: f64) {
        let n = self.n;
        let (xx, xz) = x.split_at(n);
        let (yx, yz) = y.split_at_mut(n);
        for (y, &x) in yx.iter_mut().zip(xx) {
            *y = -static_reg * x;
        }
        if self.k11_full.is_empty() {
            for (&(_, i, j), &v) in self.k11.iter().zip(&self.k11_val) {
                yx[i] += v * xx[j];
                if i != j {
                    yx[j] += v * xx[i];
                }
            }
        } else {
            let full = n / 4 * 4;
            for k in (0..full).step_by(4) {
                let xk = [xx[k], xx[k + 1], xx[k + 2], xx[k + 3]];
                axpy4(yx, cols4(&self.k11_full, n, k, 0), xk);
            }
            for (k, col) in self.k11_full.chunks_exact(n).enumerate().skip(full) {
                axpy(yx, xx[k], col);
            }
        }
        for &r in &self.sparse_rows {
            let p = self.sp_ptr[r]..self.sp_ptr[r + 1];
            let zr = xz[r];
            let mut ax = 0.0;
            for (&j, &v) in self.sp_col[p.clone()].iter().zip(&self.sp_val[p]) {
                ax += v * xx[j];
                yx[j] += v * zr;
            }
            yz[r] = ax;
        }
        let rows = &self.dense_rows;
        let full = rows.len() / 4 * 4;
        for k in (0..full).step_by(4) {
            let c = cols4(&self.b, n, k, 0);
            axpy4(yx, c, gather4(xz, rows, k));
            for (p, t) in dot4(c, xx).into_iter().enumerate() {
                yz[rows[k + p]] = t;
            }
        }
        for (k, &r) in rows.iter().enumerate().skip(full) {
            let col = &self.b[k * n..(k + 1) * n];
            axpy(yx, xz[r], col);
            yz[r] = dot(col, xx);
        }
        for ((y, &z), &d) in yz.iter_mut().zip(xz).zip(&self.d) {
            *y -= (d - static_reg) * z;
        }
    }
}

/// The pivot used for the cone-block diagonal `d0 = H_i + ε`: without the
/// static regularization `ε` unless `H_i` is below `1e-6·ε` (`D⁻¹` then
/// stays at most `1e6/ε`, so products with it cannot overflow), `delta`
/// when at most `eps` (dynamic regularization).
pub(crate) fn cone_block_pivot(
    d0: f64,
    static_reg: f64,
    eps: f64,
    delta: f64,
) -> Result<f64, String> {
    let mut d = d0 - static_reg;
    if d < 1e-6 * static_reg {
        d = d0;
    }
    if delta > 0.0 && d <= eps {
        d = delta;
    }
    if d > 0.0 && d.is_finite() {
        Ok(d)
    } else {
        Err(format!("nonpositive cone-block pivot {d}"))
    }
}

/// Runs the solve `f` on `rhs / 2ᵏ` (exact scaling) when `rhs` is near the
/// overflow threshold: the products with `D⁻¹` of the Schur-complement
/// backends overflow for data of order 1e300 where the sparse elimination
/// would not.
pub(crate) fn solve_scaled_by_power_of_two(rhs: &mut [f64], f: impl FnOnce(&mut [f64])) {
    let big = rhs.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let scale = if big > 1e100 && big.is_finite() {
        2f64.powi(big.log2().floor() as i32)
    } else {
        1.0
    };
    if scale != 1.0 {
        rhs.iter_mut().for_each(|v| *v /= scale);
    }
    f(rhs);
    if scale != 1.0 {
        rhs.iter_mut().for_each(|v| *v *= scale);
    }
}

impl QuasiDefiniteLdl for NormalEquations {
    fn factor(
        &mut self,
        values: &[f64],
        _signs: &[i8],
        reg_eps: f64,
        reg_delta: f64,
        static_reg: f64,
    ) -> Result<(), String> {
        let (eps, delta) = (reg_eps.abs(), reg_delta.abs());
        for (w, (d0, &pos)) in self.w.iter_mut().zip(self.d.iter_mut().zip(&self.d_pos)) {
            *d0 = -values[pos];
            *w = cone_block_pivot(*d0, static_reg, eps, delta)?.recip();
        }
        for (v, &pos) in self.sp_val.iter_mut().zip(&self.sp_pos) {
            *v = values[pos];
        }
        for (v, &(pos, _, _)) in self.k11_val.iter_mut().zip(&self.k11) {
            *v = values[pos];
        }
        let n = self.n;
        if !self.k11_full.is_empty() {
            self.k11_full.fill(0.0);
            for (&v, &(_, i, j)) in self.k11_val.iter().zip(&self.k11) {
                self.k11_full[i + n * j] += v;
                if i != j {
                    self.k11_full[j + n * i] += v;
                }
            }
        }
        for &(pos, j, k) in &self.b_src {
            self.b[j + n * k] = values[pos];
        }
        pulp::Arch::new().dispatch(Kernel::Factor(self, eps, delta))
    }

    fn solve_in_place(&mut self, rhs: &mut [f64]) {
        solve_scaled_by_power_of_two(rhs, |rhs| {
            let _ = pulp::Arch::new().dispatch(Kernel::Solve(self, rhs));
        });
    }

    fn clone_box(&self) -> Box<dyn QuasiDefiniteLdl> {
        Box::new(self.clone())
    }

    fn name(&self) -> &'static str {
        "normal equations"
    }

    /// `[y_x; y_z] = [(K₁₁ − εI)x + Aᵀz; Ax − (D − εI)z]` from the blocks,
    /// with the dense rows' products four lanes at a time.
    fn mul_unregularized(&self, y: &mut [f64], x: &[f64], static_reg: f64) -> bool {
        let _ = pulp::Arch::new().dispatch(Kernel::Mul(self, y, x, static_reg));
        true
    }
}
