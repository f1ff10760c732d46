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
//! with `M` dense (`n × n`) and factored by faer's dense Cholesky `LLᵀ`.
//! Rows of `A` with at least `n/2` entries are gathered into a dense
//! `n × r` block `B` and enter `M` through one matrix product
//! `(B D_B⁻¹) Bᵀ`; the other rows are added entry by entry. For small `n`
//! with dense rows (the typical learning-layer problem: tens of variables,
//! dense inequality rows plus box bounds) this replaces the sparse
//! elimination's indirect addressing by blocked dense kernels; for large or
//! very sparse problems the sparse `LDLᵀ` is the better backend
//! ([`prefer_normal_equations`] decides).
//!
//! **Numerics.** `M` is positive definite since `K₁₁ ⪰ εI` and `D > 0`; its
//! conditioning follows `D⁻¹`, which spreads over many orders of magnitude
//! near an interior-point solution, as in every normal-equations IPM. The
//! caller ([`crate::kkt::KktSystem::solve`]) refines iteratively against
//! the unregularized `K`, as for the sparse backend. Dynamic
//! regularization: a diagonal `D_i ≤ eps` is replaced by `delta`, and a
//! Cholesky pivot of `M` at most `eps` by `delta` (faer's `LLᵀ`
//! regularization).

use crate::kkt::QuasiDefiniteLdl;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, LltParams, LltRegularization};
use faer::linalg::cholesky::llt::solve::solve_in_place_with_conj;
use faer::linalg::matmul::matmul;
use faer::{Accum, Conj, Mat, MatMut, Par, Spec};

/// Largest number of variables for which the normal equations are
/// considered ([`prefer_normal_equations`]).
pub const MAX_DENSE_VARIABLES: usize = 300;

/// The Schur-complement factorization described in the module docs.
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
    /// The other rows of `A`, row-wise (dense rows are empty here): row
    /// pointers, columns, value positions and the values as last factored.
    sp_ptr: Vec<usize>,
    sp_col: Vec<usize>,
    sp_pos: Vec<usize>,
    sp_val: Vec<f64>,
    /// `D⁻¹`.
    w: Vec<f64>,
    /// `M`, then its Cholesky factor (lower triangle).
    mat: Mat<f64>,
    /// `B` (`n × r`) and `B D_B⁻¹`.
    b: Mat<f64>,
    bw: Mat<f64>,
    /// Work vector of length `r`.
    ub: Mat<f64>,
    mem: MemBuffer,
    req: StackReq,
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
fn split_blocks(
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
    let mut k11 = Vec::new();
    let mut a_entries = Vec::new();
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

/// Whether the normal equations are expected to be faster than the sparse
/// `LDLᵀ` whose factorization takes `sparse_flops` operations: the cone
/// block must be diagonal, `n ≤` [`MAX_DENSE_VARIABLES`], and the dense
/// work (`n³/3` for the Cholesky factor, `n²` per dense row, `k²/2` per
/// sparse row of `k` entries), discounted 4× for the dense kernels'
/// vectorized arithmetic, must not exceed the sparse work.
pub fn prefer_normal_equations(
    n: usize,
    m: usize,
    colptr: &[usize],
    rowval: &[usize],
    sparse_flops: f64,
) -> bool {
    if n == 0 || n > MAX_DENSE_VARIABLES {
        return false;
    }
    let Some((_, a_entries, _)) = split_blocks(n, m, colptr, rowval) else {
        return false;
    };
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
    dense / 4.0 <= sparse_flops
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
        let req = faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch::<f64>(
            n,
            Par::Seq,
            Spec::<LltParams, f64>::default(),
        );
        let r = dense_rows.len();
        Some(NormalEquations {
            n,
            k11,
            d_pos,
            dense_rows,
            b_src,
            sp_ptr,
            sp_col,
            sp_pos,
            sp_val: vec![0.0; nsp],
            w: vec![0.0; m],
            mat: Mat::zeros(n, n),
            b: Mat::zeros(n, r),
            bw: Mat::zeros(n, r),
            ub: Mat::zeros(r, 1),
            mem: MemBuffer::new(req),
            req,
        })
    }
}

impl QuasiDefiniteLdl for NormalEquations {
    fn factor(
        &mut self,
        values: &[f64],
        _signs: &[i8],
        reg_eps: f64,
        reg_delta: f64,
    ) -> Result<(), String> {
        let (eps, delta) = (reg_eps.abs(), reg_delta.abs());
        for (w, &pos) in self.w.iter_mut().zip(&self.d_pos) {
            let mut d = -values[pos];
            if delta > 0.0 && d <= eps {
                d = delta;
            }
            if !(d > 0.0 && d.is_finite()) {
                return Err(format!("nonpositive cone-block pivot {d}"));
            }
            *w = d.recip();
        }
        for (v, &pos) in self.sp_val.iter_mut().zip(&self.sp_pos) {
            *v = values[pos];
        }
        let mat = &mut self.mat;
        mat.as_mut().fill(0.0);
        for &(pos, i, j) in &self.k11 {
            // Lower triangle: (j, i) with i ≤ j.
            mat[(j, i)] += values[pos];
        }
        if !self.dense_rows.is_empty() {
            for &(pos, j, k) in &self.b_src {
                self.b[(j, k)] = values[pos];
            }
            for (k, &r) in self.dense_rows.iter().enumerate() {
                let wr = self.w[r];
                for j in 0..self.n {
                    self.bw[(j, k)] = self.b[(j, k)] * wr;
                }
            }
            matmul(
                mat.as_mut(),
                Accum::Add,
                self.bw.as_ref(),
                self.b.transpose(),
                1.0,
                Par::Seq,
            );
        }
        for (r, p) in self.sp_ptr.windows(2).enumerate() {
            let (cols, vals) = (&self.sp_col[p[0]..p[1]], &self.sp_val[p[0]..p[1]]);
            let wr = self.w[r];
            for (&jp, &ap) in cols.iter().zip(vals) {
                let vp = ap * wr;
                for (&jq, &aq) in cols.iter().zip(vals) {
                    if jq <= jp {
                        mat[(jp, jq)] += vp * aq;
                    }
                }
            }
        }
        let stack = MemStack::new(&mut self.mem);
        cholesky_in_place(
            mat.as_mut(),
            LltRegularization {
                dynamic_regularization_delta: delta,
                dynamic_regularization_epsilon: eps,
            },
            Par::Seq,
            stack,
            Spec::<LltParams, f64>::default(),
        )
        .map_err(|e| format!("{e:?}"))?;
        if (0..self.n).all(|j| mat[(j, j)].is_finite()) {
            Ok(())
        } else {
            Err("non-finite normal-equations factor".into())
        }
    }

    fn solve_in_place(&mut self, rhs: &mut [f64]) {
        let n = self.n;
        let (x, z) = rhs.split_at_mut(n);
        // x ← r₁ + AᵀD⁻¹r₂
        for (k, &r) in self.dense_rows.iter().enumerate() {
            self.ub[(k, 0)] = self.w[r] * z[r];
        }
        for (r, p) in self.sp_ptr.windows(2).enumerate() {
            let u = self.w[r] * z[r];
            for (&j, &v) in self.sp_col[p[0]..p[1]].iter().zip(&self.sp_val[p[0]..p[1]]) {
                x[j] += v * u;
            }
        }
        let mut xm = MatMut::from_column_major_slice_mut(x, n, 1);
        if !self.dense_rows.is_empty() {
            matmul(
                xm.as_mut(),
                Accum::Add,
                self.b.as_ref(),
                self.ub.as_ref(),
                1.0,
                Par::Seq,
            );
        }
        let stack = MemStack::new(&mut self.mem);
        solve_in_place_with_conj(self.mat.as_ref(), Conj::No, xm.as_mut(), Par::Seq, stack);
        // z ← D⁻¹(Ax − r₂)
        if !self.dense_rows.is_empty() {
            matmul(
                self.ub.as_mut(),
                Accum::Replace,
                self.b.transpose(),
                xm.as_ref(),
                1.0,
                Par::Seq,
            );
            for (k, &r) in self.dense_rows.iter().enumerate() {
                z[r] = self.w[r] * (self.ub[(k, 0)] - z[r]);
            }
        }
        let x = xm.as_ref();
        for (r, p) in self.sp_ptr.windows(2).enumerate() {
            if p[0] == p[1] && self.dense_rows.binary_search(&r).is_ok() {
                continue;
            }
            let mut ax = 0.0;
            for (&j, &v) in self.sp_col[p[0]..p[1]].iter().zip(&self.sp_val[p[0]..p[1]]) {
                ax += v * x[(j, 0)];
            }
            z[r] = self.w[r] * (ax - z[r]);
        }
    }

    fn clone_box(&self) -> Box<dyn QuasiDefiniteLdl> {
        Box::new(NormalEquations {
            n: self.n,
            k11: self.k11.clone(),
            d_pos: self.d_pos.clone(),
            dense_rows: self.dense_rows.clone(),
            b_src: self.b_src.clone(),
            sp_ptr: self.sp_ptr.clone(),
            sp_col: self.sp_col.clone(),
            sp_pos: self.sp_pos.clone(),
            sp_val: self.sp_val.clone(),
            w: self.w.clone(),
            mat: self.mat.clone(),
            b: self.b.clone(),
            bw: self.bw.clone(),
            ub: self.ub.clone(),
            mem: MemBuffer::new(self.req),
            req: self.req,
        })
    }

    fn name(&self) -> &'static str {
        "normal equations"
    }
}
