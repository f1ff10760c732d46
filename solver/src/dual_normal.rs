//! A dense dual normal-equations backend: the Schur complement of the KKT
//! matrix onto the constraint rows that are not bounds, for problems with a
//! diagonal `P` and a diagonal cone block — LPs and separable QPs with
//! bounds, in particular learning layers with many variables and a few
//! hundred dense learned rows.
//!
//! Rows of `A` with one entry (bounds `±x_j ≤ b_i`, fixed variables) are
//! eliminated into the diagonal; the other `r` rows `A_d` stay. With
//! `K₁₁ = P + εI` diagonal and the cone block `−D = −(H + εI)` split into
//! `D_s` (bound rows, `A_s`) and `D_d` (the rows `A_d`), the system
//!
//! ```text
//! [ K₁₁   A_sᵀ   A_dᵀ ] [x  ]   [r_x]
//! [ A_s   −D_s    0   ] [z_s] = [r_s]
//! [ A_d    0    −D_d  ] [z_d]   [r_d]
//! ```
//!
//! is solved through
//!
//! ```text
//! D̃ = K₁₁ + A_sᵀD_s⁻¹A_s                       (diagonal)
//! S = D_d + A_d D̃⁻¹ A_dᵀ                       (r × r, dense, LLᵀ)
//! S z_d = A_d D̃⁻¹ r̃ − r_d,   r̃ = r_x + A_sᵀD_s⁻¹r_s
//! x = D̃⁻¹(r̃ − A_dᵀz_d),     z_s = D_s⁻¹(A_s x − r_s)
//! ```
//!
//! — the normal equations `A D Aᵀ` of primal-dual interior-point methods
//! for LPs. `S` is formed as `G Gᵀ`, `G = A_d D̃^{-1/2}`, by one
//! lower-triangular matrix product, so the `r²·n/2` multiply-adds run in a
//! blocked dense kernel. The sparse `LDLᵀ` of the same matrix eliminates
//! each variable as its own supernode and adds one rank-one update per
//! variable to the dense `r × r` block: the same arithmetic, bound by
//! memory traffic (on a 729-variable LP with 249 dense rows and box bounds,
//! 58 ms per factorization).
//!
//! **Numerics** as in [`crate::normal`]: the static regularization is
//! removed from the cone block where `H_i ≥ 1e-6·ε`, kept on `K₁₁` and on
//! zero-cone rows; a pivot of `D̃` or of `S` at most `eps` becomes `delta`
//! (dynamic regularization), and the caller's iterative refinement against
//! the unregularized matrix restores the accuracy. `S` inherits the
//! conditioning of `D⁻¹`, which spreads over many orders of magnitude near
//! an interior-point solution; a variable with neither a bound nor a
//! diagonal `P` entry puts `1/ε` into `D̃⁻¹`, so
//! [`KktBackend::Auto`](crate::settings::KktBackend::Auto) does not choose
//! this backend for such problems ([`dual_normal_work`]).

use crate::dense::{self, axpy, axpy4, cols4, dot, dot4, Kernel, SchurKernels};
use crate::kkt::QuasiDefiniteLdl;
use crate::normal::{cone_block_pivot, solve_scaled_by_power_of_two, split_blocks};
use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};

/// Largest number of kept rows `r` (the dense `r × r` Schur complement).
pub const MAX_SCHUR_ROWS: usize = 2000;

/// Largest number of entries of the dense `r × n` copy of `A_d`.
pub const MAX_DENSE_ENTRIES: usize = 1 << 23;

/// The factorization described in the module docs.
#[derive(Clone)]
pub struct DualNormalEquations {
    n: usize,
    /// Value position of each diagonal entry of `K₁₁`.
    k11_pos: Vec<usize>,
    /// Value position of `−D_i` for each row.
    d_pos: Vec<usize>,
    /// The eliminated rows: (row, column of its entry, value position), the
    /// column `usize::MAX` for an empty row.
    bounds: Vec<(usize, usize, usize)>,
    /// Values of the eliminated rows' entries as last factored.
    bound_val: Vec<f64>,
    /// The kept rows, in increasing order.
    rows: Vec<usize>,
    /// Where `A_d` comes from: runs of entries consecutive both in the
    /// values and in `A_dᵀ` (a dense row is one run), as (value position,
    /// position in `A_dᵀ`, length).
    a_runs: Vec<(usize, usize, usize)>,
    /// `A_dᵀ` and `Gᵀ = D̃^{-1/2}A_dᵀ` (column-major `n × r`: one column
    /// per kept row).
    at: Vec<f64>,
    gt: Vec<f64>,
    /// The diagonal of `K₁₁` and the cone block's `D = H + εI` as last
    /// factored (for products with the matrix).
    k11_val: Vec<f64>,
    d0: Vec<f64>,
    /// `D̃⁻¹`, and the pivots `D` (without the static regularization where
    /// it is removed, after dynamic regularization) and `D⁻¹` of all rows.
    dt_inv: Vec<f64>,
    d: Vec<f64>,
    w: Vec<f64>,
    /// `S` and then, in place, its Cholesky factor (column-major `r × r`,
    /// lower triangle), and the reciprocals of the factor's diagonal.
    l: Vec<f64>,
    l_inv_diag: Vec<f64>,
    /// Scratch of the solves through [`QuasiDefiniteLdl::solve_in_place`].
    scratch: Scratch,
}

/// Scratch memory of a solve with [`DualNormalEquations`] (vectors of
/// lengths `r` and `n`), one per concurrent user of a shared factor
/// ([`DualNormalEquations::solve_with`]).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    u: Vec<f64>,
    t: Vec<f64>,
}

impl std::fmt::Debug for DualNormalEquations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DualNormalEquations")
            .field("n", &self.n)
            .field("m", &self.w.len())
            .field("kept_rows", &self.rows.len())
            .finish_non_exhaustive()
    }
}

/// The structure the backend needs: for a KKT upper triangle of dimension
/// `n + m` with a diagonal cone block, the value positions of `K₁₁`'s
/// diagonal (`None` if `K₁₁` has an off-diagonal entry or a missing
/// diagonal), the entries of `A` as (position, row, column), the positions
/// of the cone block's diagonal and the number of entries per row.
#[allow(clippy::type_complexity)]
fn analyse(
    n: usize,
    m: usize,
    colptr: &[usize],
    rowval: &[usize],
) -> Option<(
    Vec<usize>,
    Vec<(usize, usize, usize)>,
    Vec<usize>,
    Vec<usize>,
)> {
    let (k11, a_entries, d_pos) = split_blocks(n, m, colptr, rowval)?;
    let mut k11_pos = vec![usize::MAX; n];
    for &(pos, i, j) in &k11 {
        if i != j {
            return None;
        }
        k11_pos[j] = pos;
    }
    if k11_pos.contains(&usize::MAX) {
        return None;
    }
    let mut row_len = vec![0usize; m];
    for &(_, r, _) in &a_entries {
        row_len[r] += 1;
    }
    Some((k11_pos, a_entries, d_pos, row_len))
}

/// The operation count of [`DualNormalEquations`] (`r²·n` for `S`, `r³/3`
/// for its factor), if it applies and suits the problem: `K₁₁` and the
/// cone block diagonal, every variable with a bound row or a stored
/// diagonal entry of `P` (`p_diag`), `1 ≤ r ≤` [`MAX_SCHUR_ROWS`] kept rows
/// with `r·n ≤` [`MAX_DENSE_ENTRIES`].
pub fn dual_normal_work(
    n: usize,
    m: usize,
    colptr: &[usize],
    rowval: &[usize],
    p_diag: &[bool],
) -> Option<f64> {
    let (_, a_entries, _, row_len) = analyse(n, m, colptr, rowval)?;
    let mut bounded = p_diag.to_vec();
    for &(_, r, j) in &a_entries {
        if row_len[r] == 1 {
            bounded[j] = true;
        }
    }
    let r = row_len.iter().filter(|&&k| k > 1).count();
    if r == 0 || r > MAX_SCHUR_ROWS || r * n > MAX_DENSE_ENTRIES || bounded.contains(&false) {
        return None;
    }
    let (rf, nf) = (r as f64, n as f64);
    Some(rf * rf * nf + rf * rf * rf / 3.0)
}

impl DualNormalEquations {
    /// Analyses a KKT upper triangle of dimension `n + m` whose first `n`
    /// rows are the variables; `None` if `K₁₁` or the cone block is not
    /// diagonal, or the kept rows exceed the limits of
    /// [`dual_normal_work`].
    pub fn new(n: usize, m: usize, colptr: &[usize], rowval: &[usize]) -> Option<Self> {
        let (k11_pos, a_entries, d_pos, row_len) = analyse(n, m, colptr, rowval)?;
        let rows: Vec<usize> = (0..m).filter(|&i| row_len[i] > 1).collect();
        let r = rows.len();
        if r > MAX_SCHUR_ROWS || r * n > MAX_DENSE_ENTRIES {
            return None;
        }
        let mut kept = vec![usize::MAX; m];
        for (k, &i) in rows.iter().enumerate() {
            kept[i] = k;
        }
        let mut bounds: Vec<(usize, usize, usize)> = (0..m)
            .filter(|&i| row_len[i] == 0)
            .map(|i| (i, usize::MAX, usize::MAX))
            .collect();
        let mut a_src = Vec::new();
        for &(pos, i, j) in &a_entries {
            if kept[i] == usize::MAX {
                bounds.push((i, j, pos));
            } else {
                a_src.push((pos, kept[i], j));
            }
        }
        bounds.sort_unstable();
        a_src.sort_unstable();
        let mut a_runs: Vec<(usize, usize, usize)> = Vec::new();
        for (pos, k, j) in a_src {
            let dst = j + n * k;
            match a_runs.last_mut() {
                Some((p0, d0, len)) if *p0 + *len == pos && *d0 + *len == dst => *len += 1,
                _ => a_runs.push((pos, dst, 1)),
            }
        }
        Some(DualNormalEquations {
            n,
            k11_pos,
            d_pos,
            bound_val: vec![0.0; bounds.len()],
            bounds,
            rows,
            a_runs,
            at: vec![0.0; r * n],
            gt: vec![0.0; r * n],
            k11_val: vec![0.0; n],
            d0: vec![0.0; m],
            dt_inv: vec![0.0; n],
            w: vec![0.0; m],
            d: vec![0.0; m],
            l: vec![0.0; r * r],
            l_inv_diag: vec![0.0; r],
            scratch: Scratch {
                u: vec![0.0; r],
                t: vec![0.0; n],
            },
        })
    }

    /// The solve of [`QuasiDefiniteLdl::solve_in_place`] without scaling,
    /// with external scratch memory.
    #[inline(always)]
    fn solve_into(&self, rhs: &mut [f64], scratch: &mut Scratch) {
        let (n, r) = (self.n, self.rows.len());
        let (x, z) = rhs.split_at_mut(n);
        let w = &self.w;
        // x ← r̃ = r_x + A_sᵀD_s⁻¹r_s
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            if j != usize::MAX {
                x[j] += v * w[i] * z[i];
            }
        }
        // u ← A_d D̃⁻¹r̃ − r_d
        let Scratch { u, t: tx } = scratch;
        for (t, (&x, &s)) in tx.iter_mut().zip(x.iter().zip(&self.dt_inv)) {
            *t = x * s;
        }
        let full = r / 4 * 4;
        for k0 in (0..full).step_by(4) {
            let t = dot4(cols4(&self.at, n, k0, 0), tx);
            for (p, t) in t.into_iter().enumerate() {
                u[k0 + p] = t - z[self.rows[k0 + p]];
            }
        }
        for k in full..r {
            u[k] = dot(&self.at[k * n..(k + 1) * n], tx) - z[self.rows[k]];
        }
        // u ← S⁻¹u = z_d
        dense::solve_lower_in_place(&self.l, r, &self.l_inv_diag, u);
        dense::solve_lower_transpose_in_place(&self.l, r, &self.l_inv_diag, u);
        // x ← D̃⁻¹(r̃ − A_dᵀz_d)
        for k0 in (0..full).step_by(4) {
            let c = [-u[k0], -u[k0 + 1], -u[k0 + 2], -u[k0 + 3]];
            axpy4(x, cols4(&self.at, n, k0, 0), c);
        }
        for k in full..r {
            axpy(x, -u[k], &self.at[k * n..(k + 1) * n]);
        }
        for (x, &s) in x.iter_mut().zip(&self.dt_inv) {
            *x *= s;
        }
        for (&u, &i) in u.iter().zip(&self.rows) {
            z[i] = u;
        }
        // z_s ← D_s⁻¹(A_s x − r_s)
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            let ax = if j == usize::MAX { 0.0 } else { v * x[j] };
            z[i] = w[i] * (ax - z[i]);
        }
    }

    /// Entries of the dense matrices (`A_dᵀ`, `Gᵀ`, `S`).
    pub fn stored_entries(&self) -> usize {
        self.at.len() + self.gt.len() + self.l.len()
    }

    /// Scratch memory for [`DualNormalEquations::solve_with`].
    pub fn scratch(&self) -> Scratch {
        self.scratch.clone()
    }

    /// Solves with the last factorization, like
    /// [`QuasiDefiniteLdl::solve_in_place`], through a shared reference
    /// and the caller's `scratch` (from [`DualNormalEquations::scratch`]),
    /// so that one factor serves many solves in parallel.
    pub fn solve_with(&self, rhs: &mut [f64], scratch: &mut Scratch) {
        solve_scaled_by_power_of_two(rhs, |rhs| {
            pulp::Arch::new().dispatch(SolveWith {
                dn: self,
                rhs,
                scratch,
            })
        });
    }
}

/// [`DualNormalEquations::solve_with`] under runtime dispatch.
struct SolveWith<'a> {
    dn: &'a DualNormalEquations,
    rhs: &'a mut [f64],
    scratch: &'a mut Scratch,
}

impl pulp::WithSimd for SolveWith<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.dn.solve_into(self.rhs, self.scratch);
    }
}

impl QuasiDefiniteLdl for DualNormalEquations {
    fn factor(
        &mut self,
        values: &[f64],
        _signs: &[i8],
        reg_eps: f64,
        reg_delta: f64,
        static_reg: f64,
    ) -> Result<(), String> {
        let (eps, delta) = (reg_eps.abs(), reg_delta.abs());
        for (((d0, d), w), &pos) in self
            .d0
            .iter_mut()
            .zip(&mut self.d)
            .zip(&mut self.w)
            .zip(&self.d_pos)
        {
            *d0 = -values[pos];
            *d = cone_block_pivot(*d0, static_reg, eps, delta)?;
            *w = d.recip();
        }
        for (v, &(_, _, pos)) in self.bound_val.iter_mut().zip(&self.bounds) {
            *v = if pos == usize::MAX { 0.0 } else { values[pos] };
        }
        for ((s, k), &pos) in self
            .dt_inv
            .iter_mut()
            .zip(&mut self.k11_val)
            .zip(&self.k11_pos)
        {
            *k = values[pos];
            *s = 0.0;
        }
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            if j != usize::MAX {
                self.dt_inv[j] += v * v * self.w[i];
            }
        }
        for (s, &k) in self.dt_inv.iter_mut().zip(&self.k11_val) {
            // K₁₁ = P + εI loses its ε where the bounds and P alone give a
            // pivot of at least 1e-6·ε (as the cone block does).
            let mut d = *s + (k - static_reg);
            if d < 1e-6 * static_reg {
                d = *s + k;
            }
            if delta > 0.0 && d <= eps {
                d = delta;
            }
            if !(d > 0.0 && d.is_finite()) {
                return Err(format!("nonpositive dual normal-equations diagonal {d}"));
            }
            *s = d.recip();
        }
        for &(pos, dst, len) in &self.a_runs {
            self.at[dst..dst + len].copy_from_slice(&values[pos..pos + len]);
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
        "dual normal equations"
    }

    /// `[y_x; y_z] = [(K₁₁ − εI)x + Aᵀz; Ax − (D − εI)z]` from the blocks,
    /// the kept rows' products four columns of `A_dᵀ` at a time.
    fn mul_unregularized(&self, y: &mut [f64], x: &[f64], static_reg: f64) -> bool {
        let _ = pulp::Arch::new().dispatch(Kernel::Mul(self, y, x, static_reg));
        true
    }
}

impl SchurKernels for DualNormalEquations {
    /// Forms `S` in `self.l` and factors it; `D⁻¹`, `D̃⁻¹` and `A_dᵀ` are
    /// in place.
    #[inline(always)]
    fn assemble_and_factor(&mut self, eps: f64, delta: f64) -> Result<(), String> {
        let (n, r) = (self.n, self.rows.len());
        let sq = &mut self.scratch.t;
        for (t, &s) in sq.iter_mut().zip(&self.dt_inv) {
            *t = s.sqrt();
        }
        for (g, a) in self.gt.chunks_exact_mut(n).zip(self.at.chunks_exact(n)) {
            for ((g, &a), &s) in g.iter_mut().zip(a).zip(sq.iter()) {
                *g = a * s;
            }
        }
        self.l.fill(0.0);
        for (k, &i) in self.rows.iter().enumerate() {
            self.l[k + r * k] = self.d[i];
        }
        let gt = MatRef::from_column_major_slice(&self.gt, n, r);
        matmul(
            MatMut::from_column_major_slice_mut(&mut self.l, r, r),
            BlockStructure::TriangularLower,
            Accum::Add,
            gt.transpose(),
            BlockStructure::Rectangular,
            gt,
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        dense::cholesky_in_place(&mut self.l, r, &mut self.l_inv_diag, eps, delta)
            .map_err(|j| format!("nonpositive dual normal-equations pivot at {j}"))
    }

    #[inline(always)]
    fn solve_scaled(&mut self, rhs: &mut [f64]) {
        let mut scratch = std::mem::take(&mut self.scratch);
        self.solve_into(rhs, &mut scratch);
        self.scratch = scratch;
    }

    #[inline(always)]
    fn mul_body(&self, y: &mut [f64], x: &[f64], static_reg: f64) {
        let (n, r) = (self.n, self.rows.len());
        let (xx, xz) = x.split_at(n);
        let (yx, yz) = y.split_at_mut(n);
        for ((y, &x), &k) in yx.iter_mut().zip(xx).zip(&self.k11_val) {
            *y = (k - static_reg) * x;
        }
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            if j == usize::MAX {
                yz[i] = 0.0;
            } else {
                yx[j] += v * xz[i];
                yz[i] = v * xx[j];
            }
        }
        let full = r / 4 * 4;
        for k0 in (0..full).step_by(4) {
            let c = cols4(&self.at, n, k0, 0);
            let rows = [
                self.rows[k0],
                self.rows[k0 + 1],
                self.rows[k0 + 2],
                self.rows[k0 + 3],
            ];
            axpy4(yx, c, [xz[rows[0]], xz[rows[1]], xz[rows[2]], xz[rows[3]]]);
            for (t, i) in dot4(c, xx).into_iter().zip(rows) {
                yz[i] = t;
            }
        }
        for k in full..r {
            let col = &self.at[k * n..(k + 1) * n];
            axpy(yx, xz[self.rows[k]], col);
            yz[self.rows[k]] = dot(col, xx);
        }
        for ((y, &z), &d) in yz.iter_mut().zip(xz).zip(&self.d0) {
            *y -= (d - static_reg) * z;
        }
    }
}
