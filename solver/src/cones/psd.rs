//! The cone of positive semidefinite symmetric `n × n` matrices, self-dual in
//! the scaled vectorization of [`svec`](super::svec) (`⟨svec X, svec Y⟩ = tr(XY)`).
//!
//! Jordan algebra: `X∘Y = (XY + YX)/2`, identity `e = svec(I)`, degree `n`.
//! Nesterov-Todd scaling (Todd, Toh and Tütüncü; as in Clarabel's
//! `PSDTriangleCone`): with Cholesky factors `S = L₁L₁ᵀ`, `Z = L₂L₂ᵀ` and the
//! SVD `L₂ᵀL₁ = UΛVᵀ`,
//!
//! `R = L₁VΛ^(−1/2)`, `R⁻¹ = Λ^(−1/2)UᵀL₂ᵀ`,
//!
//! so that `RᵀZR = R⁻¹SR⁻ᵀ = Λ`. On `svec` vectors the scaling is the
//! congruence `W: x ↦ svec(RᵀXR)`, with `Wᵀ: y ↦ svec(RYRᵀ)`,
//! `W⁻ᵀ: x ↦ svec(R⁻¹XR⁻ᵀ)` and `λ = Wz = W⁻ᵀs = svec(Λ)`. The KKT block is
//! `H = WᵀW: x ↦ svec(PXP)` with `P = RRᵀ`, i.e. the symmetric Kronecker
//! product `P ⊗ₛ P` written in the `svec` basis (entered dense).
//!
//! With `Λ` diagonal the Jordan operations with `λ` are entrywise:
//! `λ∘λ = svec(Λ²)` and `λ \ d` (the `X` with `(ΛX + XΛ)/2 = D`) is
//! `X_ij = 2D_ij/(λ_i + λ_j)`, the same formula on `svec` entries since both
//! sides carry the same `√2`. For `n = 1` everything reduces to the orthant.
//!
//! The trait's read-only methods (`mul_hs`, `step_length`, …) need dense
//! workspace; it is preallocated in [`PsdCone::new`] and kept behind a
//! [`Mutex`] (uncontended, so a lock costs a few nanoseconds and keeps the
//! solver `Sync`).

use super::svec::{from_svec_into, index, triangle_dim};
use super::{Cone, HsLayout};
use faer::diag::DiagMut;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::{
    cholesky_in_place, cholesky_in_place_scratch, LltRegularization,
};
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::linalg::svd::{svd, svd_scratch, ComputeSvdVectors};
use faer::{MatMut, MatRef, Par, Spec};
use std::f64::consts::{FRAC_1_SQRT_2, SQRT_2};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The cone of positive semidefinite `n × n` matrices in `svec` form
/// (`n(n+1)/2` entries).
pub struct PsdCone {
    n: usize,
    dim: usize,
    /// Diagonal of `Λ` (the scaled point `λ = svec(Λ)`).
    lambda: Vec<f64>,
    /// `Λ^(−1/2)`.
    lambda_isqrt: Vec<f64>,
    /// `R`, column-major `n × n`.
    r: Vec<f64>,
    /// `R⁻¹`, column-major `n × n`.
    rinv: Vec<f64>,
    /// `P = RRᵀ`, column-major `n × n`, exactly symmetric.
    rrt: Vec<f64>,
    /// Dense workspace (boxed to keep [`super::ConeBlock`] small).
    work: Box<Mutex<Work>>,
}

/// Preallocated dense workspace: `n × n` column-major matrices, a length-`n`
/// vector and the scratch memory of faer's decompositions.
struct Work {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
    l1: Vec<f64>,
    l2: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    vals: Vec<f64>,
    mem: MemBuffer,
}

impl Work {
    fn new(n: usize) -> Self {
        let par = Par::Seq;
        // Cholesky, the full SVD of an n × n matrix and the eigenvalues of a
        // symmetric one, run one at a time on the same buffer. faer's dense
        // decompositions take their memory from this stack when run
        // sequentially; only the very first call for a larger block makes
        // one-time lazy allocations inside faer / the `gemm` crate (measured
        // by `cone_operations_do_not_allocate` in tests/psd.rs).
        let req = StackReq::any_of(&[
            cholesky_in_place_scratch::<f64>(n, par, Spec::default()),
            svd_scratch::<f64>(
                n,
                n,
                ComputeSvdVectors::Full,
                ComputeSvdVectors::Full,
                par,
                Spec::default(),
            ),
            self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::No, par, Spec::default()),
        ]);
        let nn = n * n;
        Work {
            a: vec![0.0; nn],
            b: vec![0.0; nn],
            c: vec![0.0; nn],
            l1: vec![0.0; nn],
            l2: vec![0.0; nn],
            u: vec![0.0; nn],
            v: vec![0.0; nn],
            vals: vec![0.0; n],
            mem: MemBuffer::new(req),
        }
    }
}

/// Which linear map of the scaling to apply to an `svec` vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `W x = svec(RᵀXR)`.
    W,
    /// `Wᵀ x = svec(RXRᵀ)`.
    Wt,
    /// `W⁻¹ x = svec(R⁻ᵀXR⁻¹)`.
    #[cfg_attr(not(test), allow(dead_code))]
    Winv,
    /// `W⁻ᵀ x = svec(R⁻¹XR⁻ᵀ)`.
    WinvT,
    /// `WᵀW x = svec(PXP)`, `P = RRᵀ`.
    H,
}

impl PsdCone {
    /// `λ_min` of the matrix of `svec` vector `z` (a Gershgorin lower bound
    /// if the eigensolver fails); `+∞` for the empty cone.
    fn lower_eigenvalue(&self, z: &[f64]) -> f64 {
        let n = self.n;
        if n == 0 {
            return f64::INFINITY;
        }
        let mut w = self.lock();
        let w = &mut *w;
        from_svec_into(n, z, &mut w.a);
        min_eigenvalue(n, &w.a, &mut w.vals, &mut w.mem)
            .unwrap_or_else(|| gershgorin_lower(n, &w.a))
    }
    /// The cone of positive semidefinite `n × n` matrices, with identity
    /// scaling and all workspace allocated.
    pub fn new(n: usize) -> Self {
        let mut eye = vec![0.0; n * n];
        for i in 0..n {
            eye[i + i * n] = 1.0;
        }
        PsdCone {
            n,
            dim: triangle_dim(n),
            lambda: vec![1.0; n],
            lambda_isqrt: vec![1.0; n],
            r: eye.clone(),
            rinv: eye.clone(),
            rrt: eye,
            work: Box::new(Mutex::new(Work::new(n))),
        }
    }

    /// Side `n` of the matrices.
    pub fn side(&self) -> usize {
        self.n
    }

    fn lock(&self) -> MutexGuard<'_, Work> {
        self.work.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `y ← op(x)` using the workspace `w`.
    fn apply_with(&self, w: &mut Work, op: Op, y: &mut [f64], x: &[f64]) {
        let n = self.n;
        let (m, transpose) = match op {
            Op::W => (&self.r, true),
            Op::Wt => (&self.r, false),
            Op::Winv => (&self.rinv, true),
            Op::WinvT => (&self.rinv, false),
            Op::H => (&self.rrt, false),
        };
        from_svec_into(n, x, &mut w.a);
        congruence_in_place(n, &mut w.a, &mut w.b, m, transpose);
        sym_to_svec(n, &w.a, y);
    }

    /// `y ← op(x)`.
    fn apply(&self, op: Op, y: &mut [f64], x: &[f64]) {
        let mut w = self.lock();
        self.apply_with(&mut w, op, y, x);
    }

    /// Largest `α ≤ α_max` with `Λ + α·D ⪰ 0` for the scaled direction
    /// `D = op(d)` (as a matrix): with `γ = λ_min(Λ^(−1/2) D Λ^(−1/2))`,
    /// `α = min(α_max, −1/γ)` if `γ < 0`.
    fn scaled_step(&self, w: &mut Work, op: Op, d: &[f64], amax: f64) -> f64 {
        let n = self.n;
        let (m, transpose) = match op {
            Op::W => (&self.r, true),
            _ => (&self.rinv, false),
        };
        from_svec_into(n, d, &mut w.a);
        congruence_in_place(n, &mut w.a, &mut w.b, m, transpose);
        for j in 0..n {
            for i in 0..n {
                w.a[i + j * n] *= self.lambda_isqrt[i] * self.lambda_isqrt[j];
            }
        }
        match min_eigenvalue(n, &w.a, &mut w.vals, &mut w.mem) {
            Some(g) if g < 0.0 => amax.min(-1.0 / g).max(0.0),
            Some(_) => amax.max(0.0),
            // A non-finite direction: no step.
            None => 0.0,
        }
    }
}

impl Clone for PsdCone {
    /// Copies the scaling; the clone gets its own workspace.
    fn clone(&self) -> Self {
        PsdCone {
            n: self.n,
            dim: self.dim,
            lambda: self.lambda.clone(),
            lambda_isqrt: self.lambda_isqrt.clone(),
            r: self.r.clone(),
            rinv: self.rinv.clone(),
            rrt: self.rrt.clone(),
            work: Box::new(Mutex::new(Work::new(self.n))),
        }
    }
}

impl std::fmt::Debug for PsdCone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PsdCone")
            .field("n", &self.n)
            .field("lambda", &self.lambda)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// Dense kernels on column-major n × n matrices (no allocation).

/// `c ← a·b`.
fn gemm_nn(n: usize, c: &mut [f64], a: &[f64], b: &[f64]) {
    for j in 0..n {
        let cj = &mut c[j * n..(j + 1) * n];
        cj.fill(0.0);
        for k in 0..n {
            let bkj = b[k + j * n];
            for (ci, ai) in cj.iter_mut().zip(&a[k * n..(k + 1) * n]) {
                *ci += ai * bkj;
            }
        }
    }
}

/// `c ← aᵀ·b`.
fn gemm_tn(n: usize, c: &mut [f64], a: &[f64], b: &[f64]) {
    for j in 0..n {
        let bj = &b[j * n..(j + 1) * n];
        for i in 0..n {
            let ai = &a[i * n..(i + 1) * n];
            c[i + j * n] = ai.iter().zip(bj).map(|(x, y)| x * y).sum();
        }
    }
}

/// `c ← a·bᵀ`.
fn gemm_nt(n: usize, c: &mut [f64], a: &[f64], b: &[f64]) {
    for j in 0..n {
        let cj = &mut c[j * n..(j + 1) * n];
        cj.fill(0.0);
        for k in 0..n {
            let bjk = b[j + k * n];
            for (ci, ai) in cj.iter_mut().zip(&a[k * n..(k + 1) * n]) {
                *ci += ai * bjk;
            }
        }
    }
}

/// `a ← Mᵀ·a·M` (`transpose`) or `a ← M·a·Mᵀ`, with `b` as scratch.
fn congruence_in_place(n: usize, a: &mut [f64], b: &mut [f64], m: &[f64], transpose: bool) {
    if transpose {
        gemm_nn(n, b, a, m);
        gemm_tn(n, a, m, b);
    } else {
        gemm_nt(n, b, a, m);
        gemm_nn(n, a, m, b);
    }
}

/// `out ← svec((A + Aᵀ)/2)` for a square column-major `a`.
fn sym_to_svec(n: usize, a: &[f64], out: &mut [f64]) {
    let mut k = 0;
    for j in 0..n {
        for i in 0..j {
            out[k] = FRAC_1_SQRT_2 * (a[i + j * n] + a[j + i * n]);
            k += 1;
        }
        out[k] = a[j + j * n];
        k += 1;
    }
}

/// `out ← mat(x + α·dx)` (both triangles).
fn from_svec_axpy(n: usize, x: &[f64], dx: &[f64], alpha: f64, out: &mut [f64]) {
    let mut k = 0;
    for j in 0..n {
        for i in 0..=j {
            let v = x[k] + alpha * dx[k];
            let v = if i == j { v } else { v * FRAC_1_SQRT_2 };
            out[i + j * n] = v;
            out[j + i * n] = v;
            k += 1;
        }
    }
}

/// In-place Cholesky factor `A = LLᵀ` (lower; the strict upper triangle is
/// zeroed). False unless `A` is numerically positive definite.
fn cholesky_lower(n: usize, a: &mut [f64], mem: &mut MemBuffer) -> bool {
    let ok = cholesky_in_place(
        MatMut::from_column_major_slice_mut(a, n, n),
        LltRegularization::default(),
        Par::Seq,
        MemStack::new(mem),
        Spec::default(),
    )
    .is_ok();
    for j in 1..n {
        a[j * n..j * n + j].fill(0.0);
    }
    ok && (0..n).all(|i| {
        let d = a[i + i * n];
        d > 0.0 && d.is_finite()
    })
}

/// Smallest eigenvalue of the symmetric `a` (lower triangle read), or
/// `None` if the decomposition fails or is not finite.
fn min_eigenvalue(n: usize, a: &[f64], vals: &mut [f64], mem: &mut MemBuffer) -> Option<f64> {
    if n == 0 {
        return Some(f64::INFINITY);
    }
    if a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    self_adjoint_evd(
        MatRef::from_column_major_slice(a, n, n),
        DiagMut::from_slice_mut(vals),
        None,
        Par::Seq,
        MemStack::new(mem),
        Spec::default(),
    )
    .ok()?;
    if vals.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(vals.iter().copied().fold(f64::INFINITY, f64::min))
}

/// Gershgorin lower bound on the smallest eigenvalue of the symmetric `a`.
fn gershgorin_lower(n: usize, a: &[f64]) -> f64 {
    (0..n)
        .map(|i| {
            let off: f64 = (0..n).filter(|&j| j != i).map(|j| a[i + j * n].abs()).sum();
            a[i + i * n] - off
        })
        .fold(f64::INFINITY, f64::min)
}

impl Cone for PsdCone {
    fn dim(&self) -> usize {
        self.dim
    }
    fn degree(&self) -> usize {
        self.n
    }
    fn unit_initialization(&self, z: &mut [f64], s: &mut [f64]) {
        z.fill(0.0);
        s.fill(0.0);
        for k in 0..self.n {
            z[index(k, k)] = 1.0;
            s[index(k, k)] = 1.0;
        }
    }
    /// `Z ← Z + (1 − λ_min(Z))·I` if `λ_min(Z) < √ε` (as the second-order
    /// cone does with its eigenvalue `z₀ − ‖z₁‖`).
    fn shift_to_cone(&self, z: &mut [f64]) {
        let alpha = self.lower_eigenvalue(z);
        if alpha < f64::EPSILON.sqrt() {
            for k in 0..self.n {
                z[index(k, k)] += 1.0 - alpha;
            }
        }
    }
    fn warm_centre(&self, s: &mut [f64], z: &mut [f64], mu: f64) -> bool {
        let floor = mu.sqrt();
        for v in [s, z] {
            let alpha = self.lower_eigenvalue(v);
            if alpha < floor {
                for k in 0..self.n {
                    v[index(k, k)] += floor - alpha;
                }
            }
        }
        true
    }
    fn set_identity_scaling(&mut self) {
        let n = self.n;
        for m in [&mut self.r, &mut self.rinv, &mut self.rrt] {
            m.fill(0.0);
            for i in 0..n {
                m[i + i * n] = 1.0;
            }
        }
        self.lambda.fill(1.0);
        self.lambda_isqrt.fill(1.0);
    }
    fn update_scaling(&mut self, s: &[f64], z: &[f64], _mu: f64) -> bool {
        let n = self.n;
        if n == 0 {
            return true;
        }
        if s.iter().chain(z).any(|v| !v.is_finite()) {
            return false;
        }
        let w = self.work.get_mut().unwrap_or_else(PoisonError::into_inner);
        // S = L₁L₁ᵀ, Z = L₂L₂ᵀ.
        from_svec_into(n, s, &mut w.l1);
        from_svec_into(n, z, &mut w.l2);
        if !cholesky_lower(n, &mut w.l1, &mut w.mem) || !cholesky_lower(n, &mut w.l2, &mut w.mem) {
            return false;
        }
        // L₂ᵀL₁ = UΛVᵀ.
        gemm_tn(n, &mut w.a, &w.l2, &w.l1);
        let ok = svd(
            MatRef::from_column_major_slice(&w.a, n, n),
            DiagMut::from_slice_mut(&mut w.vals),
            Some(MatMut::from_column_major_slice_mut(&mut w.u, n, n)),
            Some(MatMut::from_column_major_slice_mut(&mut w.v, n, n)),
            Par::Seq,
            MemStack::new(&mut w.mem),
            Spec::default(),
        )
        .is_ok();
        if !ok || !w.vals.iter().all(|&l| l > 0.0 && l.is_finite()) {
            return false;
        }
        for i in 0..n {
            self.lambda[i] = w.vals[i];
            self.lambda_isqrt[i] = 1.0 / w.vals[i].sqrt();
        }
        // R = L₁VΛ^(−1/2).
        gemm_nn(n, &mut self.r, &w.l1, &w.v);
        for j in 0..n {
            let f = self.lambda_isqrt[j];
            self.r[j * n..(j + 1) * n].iter_mut().for_each(|v| *v *= f);
        }
        // R⁻¹ = Λ^(−1/2)UᵀL₂ᵀ = Λ^(−1/2)(L₂U)ᵀ.
        gemm_nn(n, &mut w.b, &w.l2, &w.u);
        for j in 0..n {
            for i in 0..n {
                self.rinv[i + j * n] = self.lambda_isqrt[i] * w.b[j + i * n];
            }
        }
        // P = RRᵀ (each entry summed in the same order as its mirror, so P is
        // exactly symmetric).
        gemm_nt(n, &mut self.rrt, &self.r, &self.r);
        self.r
            .iter()
            .chain(&self.rinv)
            .chain(&self.rrt)
            .all(|v| v.is_finite())
    }
    fn hs_layout(&self) -> HsLayout {
        HsLayout::DenseUpper
    }
    /// The upper triangle of `P ⊗ₛ P` in the `svec` basis, packed by
    /// columns: for rows `(i, j)` and columns `(k, l)` (`i ≤ j`, `k ≤ l`),
    /// `P_ik·P_jl + P_il·P_jk`, times `1/√2` for each of `i = j`, `k = l`
    /// that holds (so `P_ik²` when both do).
    fn hs_values(&self, out: &mut [f64]) {
        let n = self.n;
        let p = |i: usize, j: usize| self.rrt[i + j * n];
        let mut pos = 0;
        let mut col = 0;
        for l in 0..n {
            for k in 0..=l {
                let mut row = 0;
                'rows: for j in 0..n {
                    for i in 0..=j {
                        if row > col {
                            break 'rows;
                        }
                        out[pos] = match (i == j, k == l) {
                            (false, false) => p(i, k) * p(j, l) + p(i, l) * p(j, k),
                            (true, false) => SQRT_2 * p(i, k) * p(i, l),
                            (false, true) => SQRT_2 * p(i, k) * p(j, k),
                            (true, true) => p(i, k) * p(i, k),
                        };
                        pos += 1;
                        row += 1;
                    }
                }
                col += 1;
            }
        }
    }
    fn mul_hs(&self, y: &mut [f64], x: &[f64]) {
        self.apply(Op::H, y, x);
    }
    fn affine_ds(&self, ds: &mut [f64], _s: &[f64]) {
        ds.fill(0.0);
        for (k, l) in self.lambda.iter().enumerate() {
            ds[index(k, k)] = l * l;
        }
    }
    fn combined_ds_shift(
        &mut self,
        shift: &mut [f64],
        step_z: &mut [f64],
        step_s: &mut [f64],
        sigma_mu: f64,
    ) {
        let n = self.n;
        let mut guard = self.lock();
        let w = &mut *guard;
        // step_z ← WΔz, step_s ← W⁻ᵀΔs (shift as the temporary).
        self.apply_with(w, Op::W, shift, step_z);
        step_z.copy_from_slice(shift);
        self.apply_with(w, Op::WinvT, shift, step_s);
        step_s.copy_from_slice(shift);
        // shift ← (W⁻ᵀΔs)∘(WΔz) − σμe, with X∘Y = (XY + YX)/2 = sym(XY).
        from_svec_into(n, step_s, &mut w.a);
        from_svec_into(n, step_z, &mut w.b);
        gemm_nn(n, &mut w.c, &w.a, &w.b);
        sym_to_svec(n, &w.c, shift);
        for k in 0..n {
            shift[index(k, k)] -= sigma_mu;
        }
    }
    fn delta_s_from_delta_z_offset(&self, out: &mut [f64], ds: &[f64], work: &mut [f64]) {
        // work ← λ \ ds: X_ij = 2·DS_ij/(λ_i + λ_j), entrywise on svec.
        let mut k = 0;
        for j in 0..self.n {
            for i in 0..=j {
                work[k] = 2.0 * ds[k] / (self.lambda[i] + self.lambda[j]);
                k += 1;
            }
        }
        // out ← Wᵀ(λ \ ds).
        self.apply(Op::Wt, out, work);
    }
    /// `−log det(S + αΔS) − log det(Z + αΔZ)` (degree `n`, matching
    /// [`Cone::degree`]), `+∞` outside the cone.
    fn barrier(&self, z: &[f64], s: &[f64], dz: &[f64], ds: &[f64], alpha: f64) -> f64 {
        let n = self.n;
        let mut guard = self.lock();
        let w = &mut *guard;
        let mut total = 0.0;
        for (x, dx) in [(s, ds), (z, dz)] {
            from_svec_axpy(n, x, dx, alpha, &mut w.a);
            if !cholesky_lower(n, &mut w.a, &mut w.mem) {
                return f64::INFINITY;
            }
            for i in 0..n {
                total -= 2.0 * w.a[i + i * n].ln();
            }
        }
        total
    }
    /// Through the scaling (Clarabel's rule): `z + αΔz ⪰ 0` iff
    /// `Λ + α·WΔz ⪰ 0`, and `s + αΔs ⪰ 0` iff `Λ + α·W⁻ᵀΔs ⪰ 0`; valid for
    /// the `(z, s)` of the last [`Cone::update_scaling`].
    fn step_length(&self, dz: &[f64], ds: &[f64], _z: &[f64], _s: &[f64], amax: f64) -> (f64, f64) {
        if self.n == 0 {
            return (amax, amax);
        }
        let mut guard = self.lock();
        let w = &mut *guard;
        let az = self.scaled_step(w, Op::W, dz, amax);
        let as_ = self.scaled_step(w, Op::WinvT, ds, amax);
        (az, as_)
    }
}

#[cfg(test)]
mod tests {
    use super::super::svec::{from_svec, to_svec};
    use super::super::NonnegativeCone;
    use super::*;

    struct Lcg(u64);
    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let u1 = self.uniform().max(1e-300);
            let u2 = self.uniform();
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        }
    }

    /// svec of a random symmetric matrix.
    fn random_sym(rng: &mut Lcg, n: usize) -> Vec<f64> {
        (0..triangle_dim(n)).map(|_| rng.normal()).collect()
    }

    /// svec of `GGᵀ + shift·I` for a random `G`.
    fn random_pd(rng: &mut Lcg, n: usize, shift: f64) -> Vec<f64> {
        let g: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
        let mut m = vec![0.0; n * n];
        gemm_nt(n, &mut m, &g, &g);
        for i in 0..n {
            m[i + i * n] += shift;
        }
        to_svec(n, &m)
    }

    fn eye_svec(n: usize) -> Vec<f64> {
        let mut e = vec![0.0; triangle_dim(n)];
        for k in 0..n {
            e[index(k, k)] = 1.0;
        }
        e
    }

    fn lambda_svec(c: &PsdCone) -> Vec<f64> {
        let mut l = vec![0.0; c.dim];
        for k in 0..c.n {
            l[index(k, k)] = c.lambda[k];
        }
        l
    }

    /// Jordan product on svec vectors, computed independently of the cone.
    fn circ(n: usize, x: &[f64], y: &[f64]) -> Vec<f64> {
        let (a, b) = (from_svec(n, x), from_svec(n, y));
        let mut ab = vec![0.0; n * n];
        let mut ba = vec![0.0; n * n];
        gemm_nn(n, &mut ab, &a, &b);
        gemm_nn(n, &mut ba, &b, &a);
        let sum: Vec<f64> = ab.iter().zip(&ba).map(|(p, q)| 0.5 * (p + q)).collect();
        to_svec(n, &sum)
    }

    fn max_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    fn scaled_cone(rng: &mut Lcg, n: usize) -> (PsdCone, Vec<f64>, Vec<f64>) {
        let s = random_pd(rng, n, 0.1);
        let z = random_pd(rng, n, 0.1);
        let mut c = PsdCone::new(n);
        assert!(c.update_scaling(&s, &z, 1.0));
        (c, s, z)
    }

    /// Dense matrix of a linear map on svec vectors, by columns.
    fn dense_of(dim: usize, f: impl Fn(&mut [f64], &[f64])) -> Vec<Vec<f64>> {
        let mut h = vec![vec![0.0; dim]; dim];
        let mut e = vec![0.0; dim];
        let mut y = vec![0.0; dim];
        for j in 0..dim {
            e.fill(0.0);
            e[j] = 1.0;
            f(&mut y, &e);
            for i in 0..dim {
                h[i][j] = y[i];
            }
        }
        h
    }

    fn is_pd(n: usize, x: &[f64]) -> bool {
        let mut a = from_svec(n, x);
        let mut w = Work::new(n);
        cholesky_lower(n, &mut a, &mut w.mem)
    }

    #[test]
    fn nt_scaling_maps_z_and_s_to_lambda() {
        let mut rng = Lcg(1);
        for n in [1, 2, 3, 5] {
            let (c, s, z) = scaled_cone(&mut rng, n);
            let lam = lambda_svec(&c);
            let mut wz = vec![0.0; c.dim];
            let mut ws = vec![0.0; c.dim];
            c.apply(Op::W, &mut wz, &z);
            c.apply(Op::WinvT, &mut ws, &s);
            let scale = lam.iter().fold(1.0f64, |a, v| a.max(v.abs()));
            assert!(max_diff(&wz, &lam) < 1e-10 * scale, "{wz:?} vs {lam:?}");
            assert!(max_diff(&ws, &lam) < 1e-10 * scale, "{ws:?} vs {lam:?}");
            // W⁻¹W = I and W⁻ᵀWᵀ = I.
            let x = random_sym(&mut rng, n);
            let mut y = vec![0.0; c.dim];
            let mut back = vec![0.0; c.dim];
            c.apply(Op::W, &mut y, &x);
            c.apply(Op::Winv, &mut back, &y);
            assert!(max_diff(&back, &x) < 1e-9);
            c.apply(Op::Wt, &mut y, &x);
            c.apply(Op::WinvT, &mut back, &y);
            assert!(max_diff(&back, &x) < 1e-9);
        }
    }

    #[test]
    fn hs_values_equal_wtw_and_mul_hs() {
        let mut rng = Lcg(2);
        for n in [1, 2, 3, 4] {
            let (c, _, _) = scaled_cone(&mut rng, n);
            let d = c.dim;
            // WᵀW from the operators.
            let wtw = dense_of(d, |y, x| {
                let mut t = vec![0.0; d];
                c.apply(Op::W, &mut t, x);
                c.apply(Op::Wt, y, &t);
            });
            let hmul = dense_of(d, |y, x| c.mul_hs(y, x));
            let mut packed = vec![0.0; d * (d + 1) / 2];
            c.hs_values(&mut packed);
            let scale = wtw.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
            let mut k = 0;
            for j in 0..d {
                for i in 0..=j {
                    assert!(
                        (packed[k] - wtw[i][j]).abs() < 1e-11 * scale,
                        "n={n} ({i},{j}) {} vs {}",
                        packed[k],
                        wtw[i][j]
                    );
                    assert!((wtw[i][j] - wtw[j][i]).abs() < 1e-11 * scale);
                    assert!((hmul[i][j] - wtw[i][j]).abs() < 1e-11 * scale);
                    assert!((hmul[j][i] - wtw[j][i]).abs() < 1e-11 * scale);
                    k += 1;
                }
            }
            assert_eq!(k, packed.len());
        }
    }

    #[test]
    fn identity_scaling_is_identity() {
        let mut rng = Lcg(3);
        let (mut c, _, _) = scaled_cone(&mut rng, 3);
        c.set_identity_scaling();
        let mut packed = vec![0.0; 21];
        c.hs_values(&mut packed);
        let mut k = 0;
        for j in 0..6 {
            for i in 0..=j {
                assert_eq!(packed[k], if i == j { 1.0 } else { 0.0 });
                k += 1;
            }
        }
    }

    #[test]
    fn jordan_product_identities() {
        let mut rng = Lcg(4);
        let n = 4;
        let (c, _, _) = scaled_cone(&mut rng, n);
        let lam = lambda_svec(&c);
        let x = random_sym(&mut rng, n);
        // e∘x = x.
        assert!(max_diff(&circ(n, &eye_svec(n), &x), &x) < 1e-14);
        // λ∘λ = affine_ds.
        let mut ds = vec![0.0; c.dim];
        c.affine_ds(&mut ds, &[]);
        assert!(max_diff(&ds, &circ(n, &lam, &lam)) < 1e-12);
        // λ \ (λ∘x) = x, via delta_s_from_delta_z_offset with W = I.
        let mut ci = c.clone();
        ci.set_identity_scaling();
        ci.lambda.copy_from_slice(&c.lambda);
        let lx = circ(n, &lam, &x);
        let mut back = vec![0.0; c.dim];
        let mut work = vec![0.0; c.dim];
        ci.delta_s_from_delta_z_offset(&mut back, &lx, &mut work);
        assert!(max_diff(&back, &x) < 1e-12, "{back:?} vs {x:?}");
        assert!(max_diff(&work, &x) < 1e-12);
    }

    #[test]
    fn newton_offset_solves_linearized_complementarity() {
        // Δs = −Wᵀ(λ \ ds) − WᵀWΔz  ⇔  λ∘(W⁻ᵀΔs + WΔz) = −ds.
        let mut rng = Lcg(5);
        for n in [1, 3, 5] {
            let (c, _, _) = scaled_cone(&mut rng, n);
            let d = c.dim;
            let dz = random_sym(&mut rng, n);
            let ds = random_sym(&mut rng, n);
            let (mut off, mut work, mut hdz) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
            c.delta_s_from_delta_z_offset(&mut off, &ds, &mut work);
            c.mul_hs(&mut hdz, &dz);
            let dsv: Vec<f64> = (0..d).map(|i| -off[i] - hdz[i]).collect();
            let (mut a, mut b) = (vec![0.0; d], vec![0.0; d]);
            c.apply(Op::WinvT, &mut a, &dsv);
            c.apply(Op::W, &mut b, &dz);
            let sum: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
            let lhs = circ(n, &lambda_svec(&c), &sum);
            let neg: Vec<f64> = ds.iter().map(|v| -v).collect();
            assert!(max_diff(&lhs, &neg) < 1e-9, "n={n}: {lhs:?} vs {neg:?}");
        }
    }

    #[test]
    fn combined_shift_matches_formula() {
        let mut rng = Lcg(6);
        let n = 4;
        let (mut c, _, _) = scaled_cone(&mut rng, n);
        let d = c.dim;
        let dz = random_sym(&mut rng, n);
        let ds = random_sym(&mut rng, n);
        let (mut wdz, mut wds) = (vec![0.0; d], vec![0.0; d]);
        c.apply(Op::W, &mut wdz, &dz);
        c.apply(Op::WinvT, &mut wds, &ds);
        let mut expect = circ(n, &wds, &wdz);
        for k in 0..n {
            expect[index(k, k)] -= 0.3;
        }
        let (mut sz, mut ss, mut shift) = (dz.clone(), ds.clone(), vec![0.0; d]);
        c.combined_ds_shift(&mut shift, &mut sz, &mut ss, 0.3);
        assert!(max_diff(&shift, &expect) < 1e-10);
        assert!(max_diff(&sz, &wdz) < 1e-14 && max_diff(&ss, &wds) < 1e-14);
    }

    #[test]
    fn step_length_matches_bisection() {
        let mut rng = Lcg(7);
        for n in [1, 2, 3, 6] {
            for trial in 0..6 {
                let (c, s, z) = scaled_cone(&mut rng, n);
                let scale = if trial % 2 == 0 { 3.0 } else { 0.3 };
                let dz: Vec<f64> = random_sym(&mut rng, n).iter().map(|v| scale * v).collect();
                let ds: Vec<f64> = random_sym(&mut rng, n).iter().map(|v| scale * v).collect();
                let amax = 50.0;
                let (az, as_) = c.step_length(&dz, &ds, &z, &s, amax);
                for (x, d, a) in [(&z, &dz, az), (&s, &ds, as_)] {
                    let at =
                        |t: f64| -> Vec<f64> { x.iter().zip(d).map(|(p, q)| p + t * q).collect() };
                    // Bisection on positive definiteness (Cholesky).
                    let (mut lo, mut hi) = (0.0, amax);
                    if is_pd(n, &at(amax)) {
                        lo = amax;
                    } else {
                        for _ in 0..100 {
                            let mid = 0.5 * (lo + hi);
                            if is_pd(n, &at(mid)) {
                                lo = mid;
                            } else {
                                hi = mid;
                            }
                        }
                    }
                    assert!(
                        (a - lo).abs() <= 1e-8 * lo.max(1.0),
                        "n={n} trial={trial}: step {a} vs bisection {lo}"
                    );
                }
            }
        }
        // A positive semidefinite direction never hits the boundary.
        let (c, s, z) = scaled_cone(&mut rng, 3);
        let d = random_pd(&mut rng, 3, 0.0);
        assert_eq!(c.step_length(&d, &d, &z, &s, 7.0), (7.0, 7.0));
        // Nor does a zero one; a NaN one gives no step.
        let zero = vec![0.0; 6];
        assert_eq!(c.step_length(&zero, &zero, &z, &s, 7.0), (7.0, 7.0));
        let nan = vec![f64::NAN; 6];
        assert_eq!(c.step_length(&nan, &zero, &z, &s, 7.0), (0.0, 7.0));
    }

    #[test]
    fn initialization_and_shift() {
        let n = 3;
        let c = PsdCone::new(n);
        let (mut z, mut s) = (vec![5.0; 6], vec![5.0; 6]);
        c.unit_initialization(&mut z, &mut s);
        assert_eq!(z, eye_svec(n));
        assert_eq!(s, eye_svec(n));
        // An indefinite point is shifted to λ_min = 1.
        let mut x = to_svec(n, &[1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 3.0]); // eigenvalues −1, 3, 3
        c.shift_to_cone(&mut x);
        let expect = to_svec(n, &[3.0, 2.0, 0.0, 2.0, 3.0, 0.0, 0.0, 0.0, 5.0]);
        assert!(max_diff(&x, &expect) < 1e-12, "{x:?}");
        // An interior point stays.
        let y = to_svec(n, &[2.0, 0.5, 0.0, 0.5, 2.0, 0.0, 0.0, 0.0, 1.0]);
        let mut y2 = y.clone();
        c.shift_to_cone(&mut y2);
        assert_eq!(y, y2);
        c.shift_to_dual_cone(&mut y2);
        assert_eq!(y, y2);
    }

    #[test]
    fn update_scaling_rejects_non_interior_points() {
        let n = 2;
        let mut c = PsdCone::new(n);
        let pd = to_svec(n, &[2.0, 0.0, 0.0, 1.0]);
        let singular = to_svec(n, &[1.0, 1.0, 1.0, 1.0]);
        let indefinite = to_svec(n, &[1.0, 2.0, 2.0, 1.0]);
        assert!(c.update_scaling(&pd, &pd, 1.0));
        assert!(!c.update_scaling(&indefinite, &pd, 1.0));
        assert!(!c.update_scaling(&pd, &indefinite, 1.0));
        assert!(!c.update_scaling(&pd, &[f64::NAN, 0.0, 1.0], 1.0));
        // A singular point fails or at worst gives a finite scaling.
        let _ = c.update_scaling(&singular, &pd, 1.0);
    }

    #[test]
    fn barrier_is_negative_logdet() {
        let n = 2;
        let c = PsdCone::new(n);
        let s = to_svec(n, &[2.0, 0.5, 0.5, 1.0]); // det 1.75
        let z = to_svec(n, &[3.0, 0.0, 0.0, 1.0]); // det 3
        let zero = vec![0.0; 3];
        let b = c.barrier(&z, &s, &zero, &zero, 1.0);
        assert!((b + (1.75f64 * 3.0).ln()).abs() < 1e-13);
        // s − 2I is indefinite.
        let d = eye_svec(n).iter().map(|v| -2.0 * v).collect::<Vec<_>>();
        assert_eq!(c.barrier(&z, &s, &zero, &d, 1.0), f64::INFINITY);
    }

    #[test]
    fn side_one_matches_the_orthant() {
        let mut p = PsdCone::new(1);
        let mut o = NonnegativeCone::new(1);
        let (s, z) = ([2.0], [0.5]);
        assert!(p.update_scaling(&s, &z, 1.0) && o.update_scaling(&s, &z, 1.0));
        let (mut hp, mut ho) = ([0.0], [0.0]);
        p.hs_values(&mut hp);
        o.hs_values(&mut ho);
        assert!(
            (hp[0] - ho[0]).abs() < 1e-14 * ho[0].abs(),
            "{hp:?} vs {ho:?}"
        );
        p.affine_ds(&mut hp, &s);
        o.affine_ds(&mut ho, &s);
        assert!(
            (hp[0] - ho[0]).abs() < 1e-14 * ho[0].abs(),
            "{hp:?} vs {ho:?}"
        );
        let (mut w1, mut w2) = ([0.0], [0.0]);
        p.delta_s_from_delta_z_offset(&mut hp, &[0.7], &mut w1);
        o.delta_s_from_delta_z_offset(&mut ho, &[0.7], &mut w2);
        assert!(
            (hp[0] - ho[0]).abs() < 1e-14 * ho[0].abs(),
            "{hp:?} vs {ho:?}"
        );
        let (pa, pb) = p.step_length(&[-1.0], &[-4.0], &z, &s, 10.0);
        let (oa, ob) = o.step_length(&[-1.0], &[-4.0], &z, &s, 10.0);
        assert!(
            (pa - oa).abs() < 1e-14 && (pb - ob).abs() < 1e-14,
            "{pa} {pb} vs {oa} {ob}"
        );
        assert_eq!(p.degree(), 1);
    }
}
