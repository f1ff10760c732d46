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

use crate::dense::{self, Kernel, SchurKernels};
use crate::kkt::QuasiDefiniteLdl;
use crate::matvec;
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
    /// `A_d` column-major (`r × n`), for the products `A_d v`
    /// ([`crate::matvec`]).
    a_cm: Vec<f64>,
    /// Whether `A` may have changed since `at` and `a_cm` were copied
    /// ([`QuasiDefiniteLdl::invalidate`]).
    a_stale: bool,
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
        let mut a_src = Vec::with_capacity(a_entries.len());
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
            a_cm: vec![0.0; r * n],
            a_stale: true,
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
        for (u, &i) in u.iter_mut().zip(&self.rows) {
            *u = -z[i];
        }
        matvec::gemv(&self.a_cm, r, r, n, |j| tx[j], u, |k| k);
        // u ← S⁻¹u = z_d
        dense::solve_lower_in_place(&self.l, r, &self.l_inv_diag, u);
        dense::solve_lower_transpose_in_place(&self.l, r, &self.l_inv_diag, u);
        // x ← D̃⁻¹(r̃ − A_dᵀz_d)
        matvec::gemv(&self.at, n, n, r, |k| -u[k], x, |j| j);
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
        // `A` is the same at every interior-point iteration: its copies
        // (and the strided transpose) are redone only after it changed.
        if self.a_stale {
            for &(pos, dst, len) in &self.a_runs {
                self.at[dst..dst + len].copy_from_slice(&values[pos..pos + len]);
            }
            transpose(&self.at, self.n, self.rows.len(), &mut self.a_cm);
            self.a_stale = false;
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

    fn invalidate(&mut self) {
        self.a_stale = true;
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
        let n = self.n;
        let (xx, xz) = x.split_at(n);
        let (yx, yz) = y.split_at_mut(n);
        for ((y, &x), &k) in yx.iter_mut().zip(xx).zip(&self.k11_val) {
            *y = (k - static_reg) * x;
        }
        self.add_a_products(yx, yz, xx, xz);
        for ((y, &z), &d) in yz.iter_mut().zip(xz).zip(&self.d0) {
            *y -= (d - static_reg) * z;
        }
    }
}

impl DualNormalEquations {
    /// `yx ← yx + Aᵀxz` and `yz ← A xx` with `A` as last factored, the
    /// kept rows by the products of [`crate::matvec`].
    #[inline(always)]
    fn add_a_products(&self, yx: &mut [f64], yz: &mut [f64], xx: &[f64], xz: &[f64]) {
        let (n, r) = (self.n, self.rows.len());
        let rows = &self.rows;
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            if j == usize::MAX {
                yz[i] = 0.0;
            } else {
                yx[j] += v * xz[i];
                yz[i] = v * xx[j];
            }
        }
        matvec::gemv(&self.at, n, n, r, |k| xz[rows[k]], yx, |j| j);
        for &i in rows {
            yz[i] = 0.0;
        }
        matvec::gemv(&self.a_cm, r, r, n, |j| xx[j], yz, |k| rows[k]);
    }

    /// `aty = Aᵀy` and `ax = A x` for the `A` of the last factorization,
    /// in one pass over the dense copy of its kept rows (the residuals of
    /// an iterate, at about half the memory traffic of two products with
    /// the compressed columns).
    pub fn a_products(&self, ax: &mut [f64], aty: &mut [f64], x: &[f64], y: &[f64]) {
        aty.fill(0.0);
        pulp::Arch::new().dispatch(AProducts {
            dn: self,
            ax,
            aty,
            x,
            y,
        });
    }
}

impl DualNormalEquations {
    /// [`DualNormalEquations::a_products`] for the `L` columns of a panel:
    /// `x` holds `n + m` rows of `L` interleaved points `[x; y]` and
    /// receives `[Aᵀy; A x]`. Each column gets exactly the arithmetic of
    /// the single-column products (the chains of [`crate::matvec`]), so
    /// the results are bitwise those of `L` separate calls, with one pass
    /// over each dense copy of `A` per panel.
    pub fn a_products_panel<const L: usize>(
        &self,
        x: &mut [[f64; L]],
        scratch: &mut PanelScratch<L>,
    ) {
        assert_eq!(x.len(), self.n + self.w.len());
        let (n, r) = (self.n, self.rows.len());
        scratch.t.resize(n, [0.0; L]);
        scratch.u.resize(r, [0.0; L]);
        scratch.v.resize(r, [0.0; L]);
        pulp::Arch::new().dispatch(AProductsPanel {
            dn: self,
            x,
            scratch,
        });
    }

    /// The body of [`DualNormalEquations::a_products_panel`]: the steps of
    /// [`DualNormalEquations::add_a_products`] on `L` lanes.
    #[inline(always)]
    fn a_products_panel_into<const L: usize>(&self, x: &mut [[f64; L]], sc: &mut PanelScratch<L>) {
        let n = self.n;
        let (xx, xz) = x.split_at_mut(n);
        let PanelScratch {
            t: aty,
            u: yd,
            v: axd,
        } = sc;
        aty.fill([0.0; L]);
        for (u, &i) in yd.iter_mut().zip(&self.rows) {
            *u = xz[i];
        }
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            if j != usize::MAX {
                for c in 0..L {
                    aty[j][c] += v * xz[i][c];
                }
            }
        }
        matvec::gemv_lanes(&self.at, n, yd, aty);
        axd.fill([0.0; L]);
        matvec::gemv_lanes(&self.a_cm, self.rows.len(), xx, axd);
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            for c in 0..L {
                xz[i][c] = if j == usize::MAX { 0.0 } else { v * xx[j][c] };
            }
        }
        for (u, &i) in axd.iter().zip(&self.rows) {
            xz[i] = *u;
        }
        xx.copy_from_slice(aty);
    }
}

/// `out ← aᵀ` for a column-major `rows × cols` matrix `a`, by blocks of
/// 16 × 16 entries.
fn transpose(a: &[f64], rows: usize, cols: usize, out: &mut [f64]) {
    const B: usize = 16;
    for c0 in (0..cols).step_by(B) {
        for r0 in (0..rows).step_by(B) {
            for c in c0..(c0 + B).min(cols) {
                for r in r0..(r0 + B).min(rows) {
                    out[c + cols * r] = a[r + rows * c];
                }
            }
        }
    }
}

/// Scratch memory of [`DualNormalEquations::solve_panel`] for panels of `L`
/// columns.
#[derive(Debug, Clone, Default)]
pub struct PanelScratch<const L: usize> {
    t: Vec<[f64; L]>,
    u: Vec<[f64; L]>,
    v: Vec<[f64; L]>,
}

impl DualNormalEquations {
    /// Solves like [`DualNormalEquations::solve_with`] for the `L` columns of
    /// a panel (`n + m` rows of `L` interleaved right-hand sides), each
    /// column with exactly the arithmetic of the single-column solve, so
    /// the results are bitwise those of `L` separate solves — whichever
    /// columns share the panel. The products with `A_d` and `A_dᵀ` run in
    /// the lane kernels of [`crate::matvec`]: one pass over each matrix
    /// per panel, each entry broadcast to `L` fused multiply-adds.
    ///
    /// The single-column solve scales a right-hand side of magnitude above
    /// `1e100` by a power of two first; a panel with such a column is solved
    /// column by column.
    pub fn solve_panel<const L: usize>(
        &self,
        x: &mut [[f64; L]],
        scratch: &mut PanelScratch<L>,
        single: &mut Scratch,
    ) {
        let mut big = [0.0f64; L];
        for row in x.iter() {
            for c in 0..L {
                big[c] = big[c].max(row[c].abs());
            }
        }
        if big.iter().any(|&b| b > 1e100 && b.is_finite()) {
            let mut col = vec![0.0; x.len()];
            for c in 0..L {
                for (v, row) in col.iter_mut().zip(x.iter()) {
                    *v = row[c];
                }
                self.solve_with(&mut col, single);
                for (v, row) in col.iter().zip(x.iter_mut()) {
                    row[c] = *v;
                }
            }
            return;
        }
        let (n, r) = (self.n, self.rows.len());
        scratch.t.resize(n, [0.0; L]);
        scratch.u.resize(r, [0.0; L]);
        scratch.v.resize(r, [0.0; L]);
        pulp::Arch::new().dispatch(SolvePanel {
            dn: self,
            x,
            scratch,
        });
    }

    /// The body of [`DualNormalEquations::solve_panel`]: the steps of
    /// [`DualNormalEquations::solve_into`] on `L` lanes.
    #[inline(always)]
    fn solve_panel_into<const L: usize>(&self, x: &mut [[f64; L]], sc: &mut PanelScratch<L>) {
        let (n, r) = (self.n, self.rows.len());
        let (x, z) = x.split_at_mut(n);
        let w = &self.w;
        let PanelScratch { t, u, v: neg_u } = sc;
        // x ← r̃ = r_x + A_sᵀD_s⁻¹r_s
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            if j != usize::MAX {
                let f = v * w[i];
                for c in 0..L {
                    x[j][c] += f * z[i][c];
                }
            }
        }
        for ((t, x), &s) in t.iter_mut().zip(x.iter()).zip(&self.dt_inv) {
            for c in 0..L {
                t[c] = x[c] * s;
            }
        }
        // u ← A_d D̃⁻¹r̃ − r_d
        for (u, &i) in u.iter_mut().zip(&self.rows) {
            for c in 0..L {
                u[c] = -z[i][c];
            }
        }
        matvec::gemv_lanes(&self.a_cm, r, t, u);
        // u ← S⁻¹u
        dense::solve_lower_lanes(&self.l, r, &self.l_inv_diag, u);
        dense::solve_lower_transpose_lanes(&self.l, r, &self.l_inv_diag, u);
        // x ← D̃⁻¹(r̃ − A_dᵀz_d)
        for (v, u) in neg_u.iter_mut().zip(u.iter()) {
            for c in 0..L {
                v[c] = -u[c];
            }
        }
        matvec::gemv_lanes(&self.at, n, neg_u, x);
        for (x, &s) in x.iter_mut().zip(&self.dt_inv) {
            for c in 0..L {
                x[c] *= s;
            }
        }
        for (u, &i) in u.iter().zip(&self.rows) {
            z[i] = *u;
        }
        // z_s ← D_s⁻¹(A_s x − r_s)
        for (&(i, j, _), &v) in self.bounds.iter().zip(&self.bound_val) {
            for c in 0..L {
                let ax = if j == usize::MAX { 0.0 } else { v * x[j][c] };
                z[i][c] = w[i] * (ax - z[i][c]);
            }
        }
    }
}

/// [`DualNormalEquations::solve_panel`] under runtime dispatch.
struct SolvePanel<'a, const L: usize> {
    dn: &'a DualNormalEquations,
    x: &'a mut [[f64; L]],
    scratch: &'a mut PanelScratch<L>,
}

impl<const L: usize> pulp::WithSimd for SolvePanel<'_, L> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.dn.solve_panel_into(self.x, self.scratch);
    }
}

/// [`DualNormalEquations::a_products_panel`] under runtime dispatch.
struct AProductsPanel<'a, const L: usize> {
    dn: &'a DualNormalEquations,
    x: &'a mut [[f64; L]],
    scratch: &'a mut PanelScratch<L>,
}

impl<const L: usize> pulp::WithSimd for AProductsPanel<'_, L> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.dn.a_products_panel_into(self.x, self.scratch);
    }
}

/// [`DualNormalEquations::a_products`] under runtime dispatch.
struct AProducts<'a> {
    dn: &'a DualNormalEquations,
    ax: &'a mut [f64],
    aty: &'a mut [f64],
    x: &'a [f64],
    y: &'a [f64],
}

impl pulp::WithSimd for AProducts<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.dn.add_a_products(self.aty, self.ax, self.x, self.y);
    }
}
