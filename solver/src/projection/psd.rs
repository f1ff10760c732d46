//! The cone of positive semidefinite `n × n` matrices in the `svec`
//! vectorization of [`crate::cones::svec`] (self-dual, since `svec` is an
//! isometry).
//!
//! With the eigendecomposition `X = QΛQᵀ` (faer's symmetric EVD, on `X`
//! scaled to unit max-norm):
//!
//! * `Π(X) = Q·max(Λ, 0)·Qᵀ`;
//! * `DΠ(X)[dX] = Q (B ∘ (QᵀdXQ)) Qᵀ` (Daleckii–Krein), with
//!   `B_ij = (max(λ_i, 0) − max(λ_j, 0))/(λ_i − λ_j)` for `λ_i ≠ λ_j`, i.e.
//!   `1` if both are positive, `0` if both are negative,
//!   `λ_i/(λ_i − λ_j)` if `λ_i > 0 ≥ λ_j`, and `½` if `λ_i = λ_j = 0`.

use crate::cones::svec::{from_svec_into, triangle_dim};
use faer::diag::DiagMut;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par, Spec};
use std::f64::consts::SQRT_2;

/// Scratch memory for projecting onto (and differentiating the projection
/// onto) the cone of `n × n` PSD matrices: dense `n × n` buffers and faer's
/// eigendecomposition stack, allocated once.
///
/// It also keeps the eigendecomposition of the last point passed to
/// [`PsdWorkspace::linearize`] or [`PsdWorkspace::project_jvp`], which
/// [`PsdWorkspace::apply_derivative`] uses ([`PsdWorkspace::project`] does
/// not replace it).
///
/// ```
/// use lpgd_solver::projection::PsdWorkspace;
/// // diag(2, −1) ↦ diag(2, 0); svec = (X₁₁, √2·X₁₂, X₂₂).
/// let mut ws = PsdWorkspace::new(2);
/// let mut p = [0.0; 3];
/// ws.linearize(&[2.0, 0.0, -1.0], &mut p);
/// assert!((p[0] - 2.0).abs() < 1e-15 && p[1].abs() < 1e-15 && p[2].abs() < 1e-15);
/// // The derivative there keeps the (1,1) entry, halves nothing, kills (2,2)
/// // and scales the off-diagonal by λ₁/(λ₁ − λ₂) = 2/3.
/// let mut d = [0.0; 3];
/// ws.apply_derivative(&[1.0, 1.0, 1.0], &mut d);
/// assert!((d[0] - 1.0).abs() < 1e-15 && (d[1] - 2.0 / 3.0).abs() < 1e-15 && d[2].abs() < 1e-15);
/// ```
pub struct PsdWorkspace {
    n: usize,
    /// `n × n` scratch (column-major).
    a: Vec<f64>,
    /// Eigenvectors of the last decomposed point (columns).
    q: Vec<f64>,
    /// Eigenvalues of the last decomposed point divided by its max-norm.
    vals: Vec<f64>,
    /// Eigenvectors of the linearization point.
    lin_q: Vec<f64>,
    /// Scaled eigenvalues of the linearization point.
    lin_vals: Vec<f64>,
    /// `n × n` scratch.
    t: Vec<f64>,
    /// `n × n` scratch.
    c: Vec<f64>,
    mem: MemBuffer,
    /// Whether `lin_q`, `lin_vals` hold a decomposition.
    ready: bool,
}

impl std::fmt::Debug for PsdWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PsdWorkspace")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}

impl PsdWorkspace {
    /// Workspace for `n × n` matrices (`n(n+1)/2`-vectors).
    pub fn new(n: usize) -> Self {
        let nn = n * n;
        let req =
            self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, Par::Seq, Spec::default());
        PsdWorkspace {
            n,
            a: vec![0.0; nn],
            q: vec![0.0; nn],
            vals: vec![0.0; n],
            lin_q: vec![0.0; nn],
            lin_vals: vec![0.0; n],
            t: vec![0.0; nn],
            c: vec![0.0; nn],
            mem: MemBuffer::new(req),
            ready: false,
        }
    }

    /// The matrix side `n`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Length `n(n+1)/2` of the `svec` vectors.
    pub fn dim(&self) -> usize {
        triangle_dim(self.n)
    }

    fn check(&self, lens: &[usize]) {
        let dim = self.dim();
        for &len in lens {
            assert_eq!(len, dim, "vector length {len} ≠ svec dimension {dim}");
        }
    }

    /// `out ← svec(Q·max(Λ, 0)·Qᵀ)` for `svec(X) = x`.
    ///
    /// # Panics
    ///
    /// If a length differs from `n(n+1)/2`.
    pub fn project(&mut self, x: &[f64], out: &mut [f64]) {
        self.check(&[x.len(), out.len()]);
        let n = self.n;
        if n == 0 {
            return;
        }
        let scale = self.decompose(x);
        let pos = self.vals.iter().filter(|&&l| l > 0.0).count();
        if pos == n {
            out.copy_from_slice(x);
            return;
        }
        if pos == 0 {
            out.fill(0.0);
            return;
        }
        // T = [√λ_j q_j]_{λ_j > 0} (n × pos), C = T·Tᵀ.
        let mut k = 0;
        for j in 0..n {
            let l = self.vals[j];
            if l > 0.0 {
                let s = l.sqrt();
                for i in 0..n {
                    self.t[i + k * n] = s * self.q[i + j * n];
                }
                k += 1;
            }
        }
        let t = MatRef::from_column_major_slice(&self.t[..n * pos], n, pos);
        let c = MatMut::from_column_major_slice_mut(&mut self.c, n, n);
        matmul(c, Accum::Replace, t, t.transpose(), 1.0, Par::Seq);
        to_svec_scaled(n, &self.c, scale, out);
    }

    /// Projects like [`PsdWorkspace::project`] and keeps the
    /// eigendecomposition for [`PsdWorkspace::apply_derivative`].
    ///
    /// # Panics
    ///
    /// If a length differs from `n(n+1)/2`.
    pub fn linearize(&mut self, x: &[f64], out: &mut [f64]) {
        self.project(x, out);
        self.keep_linearization();
    }

    fn keep_linearization(&mut self) {
        self.lin_q.copy_from_slice(&self.q);
        self.lin_vals.copy_from_slice(&self.vals);
        self.ready = true;
    }

    /// `out ← DΠ(x)·dx` (one-shot: decomposes `x`, then applies the
    /// Daleckii–Krein formula).
    ///
    /// # Panics
    ///
    /// If a length differs from `n(n+1)/2`.
    pub fn project_jvp(&mut self, x: &[f64], dx: &[f64], out: &mut [f64]) {
        self.check(&[x.len(), dx.len(), out.len()]);
        if self.n == 0 {
            return;
        }
        self.decompose(x);
        self.keep_linearization();
        self.apply_derivative(dx, out);
    }

    /// `out ← DΠ(X)·dx = svec(Q (B ∘ QᵀdXQ) Qᵀ)` at the last point passed to
    /// [`PsdWorkspace::linearize`] or [`PsdWorkspace::project_jvp`];
    /// symmetric, so also the vector-Jacobian product.
    ///
    /// # Panics
    ///
    /// If no point has been linearized yet, or a length differs from
    /// `n(n+1)/2`.
    pub fn apply_derivative(&mut self, dx: &[f64], out: &mut [f64]) {
        self.check(&[dx.len(), out.len()]);
        let n = self.n;
        if n == 0 {
            return;
        }
        assert!(
            self.ready,
            "PsdWorkspace::apply_derivative called before PsdWorkspace::linearize"
        );
        if self.lin_vals.iter().all(|&l| l > 0.0) {
            out.copy_from_slice(dx);
            return;
        }
        if self.lin_vals.iter().all(|&l| l < 0.0) {
            out.fill(0.0);
            return;
        }
        from_svec_into(n, dx, &mut self.a);
        let q = MatRef::from_column_major_slice(&self.lin_q, n, n);
        {
            // T = dX·Q, C = Qᵀ·T
            let a = MatRef::from_column_major_slice(&self.a, n, n);
            let t = MatMut::from_column_major_slice_mut(&mut self.t, n, n);
            matmul(t, Accum::Replace, a, q, 1.0, Par::Seq);
            let t = MatRef::from_column_major_slice(&self.t, n, n);
            let c = MatMut::from_column_major_slice_mut(&mut self.c, n, n);
            matmul(c, Accum::Replace, q.transpose(), t, 1.0, Par::Seq);
        }
        for j in 0..n {
            for i in 0..n {
                self.c[i + j * n] *= dk_weight(self.lin_vals[i], self.lin_vals[j]);
            }
        }
        {
            // T = Q·C, A = T·Qᵀ
            let c = MatRef::from_column_major_slice(&self.c, n, n);
            let t = MatMut::from_column_major_slice_mut(&mut self.t, n, n);
            matmul(t, Accum::Replace, q, c, 1.0, Par::Seq);
            let t = MatRef::from_column_major_slice(&self.t, n, n);
            let a = MatMut::from_column_major_slice_mut(&mut self.a, n, n);
            matmul(a, Accum::Replace, t, q.transpose(), 1.0, Par::Seq);
        }
        to_svec_scaled(n, &self.a, 1.0, out);
    }

    /// Eigendecomposition of `X/s`, `s = max|x_k|`, into `q`, `vals`; returns
    /// `s`.
    fn decompose(&mut self, x: &[f64]) -> f64 {
        let n = self.n;
        let scale = x.iter().fold(0.0f64, |m, &t| m.max(t.abs()));
        if scale == 0.0 || !scale.is_finite() {
            self.vals.fill(if scale == 0.0 { 0.0 } else { f64::NAN });
            identity(n, &mut self.q);
            return if scale == 0.0 { 1.0 } else { scale };
        }
        from_svec_into(n, x, &mut self.a);
        for v in self.a.iter_mut() {
            *v /= scale;
        }
        let ok = self_adjoint_evd(
            MatRef::from_column_major_slice(&self.a, n, n),
            DiagMut::from_slice_mut(&mut self.vals),
            Some(MatMut::from_column_major_slice_mut(&mut self.q, n, n)),
            Par::Seq,
            MemStack::new(&mut self.mem),
            Spec::default(),
        )
        .is_ok();
        if !ok || self.vals.iter().chain(&self.q).any(|v| !v.is_finite()) {
            // Fallback (never observed): cyclic Jacobi on the same matrix.
            from_svec_into(n, x, &mut self.a);
            for v in self.a.iter_mut() {
                *v /= scale;
            }
            jacobi_eigh(n, &mut self.a, &mut self.q, &mut self.vals);
        }
        scale
    }
}

/// Daleckii–Krein weight `(λ_i⁺ − λ_j⁺)/(λ_i − λ_j)` with its limits.
#[inline]
fn dk_weight(li: f64, lj: f64) -> f64 {
    if li > 0.0 && lj > 0.0 {
        1.0
    } else if li < 0.0 && lj < 0.0 {
        0.0
    } else if li == 0.0 && lj == 0.0 {
        0.5
    } else {
        // Opposite signs (or one zero): the denominator is at least the
        // larger magnitude, no cancellation.
        (li.max(0.0) - lj.max(0.0)) / (li - lj)
    }
}

/// `out ← scale·svec(A)` from the upper triangle of the symmetrized `A`.
fn to_svec_scaled(n: usize, a: &[f64], scale: f64, out: &mut [f64]) {
    let mut k = 0;
    for j in 0..n {
        for i in 0..=j {
            out[k] = if i == j {
                scale * a[i + j * n]
            } else {
                scale * (SQRT_2 * 0.5) * (a[i + j * n] + a[j + i * n])
            };
            k += 1;
        }
    }
}

fn identity(n: usize, q: &mut [f64]) {
    q.fill(0.0);
    for i in 0..n {
        q[i + i * n] = 1.0;
    }
}

/// Cyclic Jacobi eigenvalue algorithm on the symmetric `a` (destroyed):
/// eigenvectors in the columns of `q`, eigenvalues in `vals`.
fn jacobi_eigh(n: usize, a: &mut [f64], q: &mut [f64], vals: &mut [f64]) {
    identity(n, q);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|j| (0..j).map(move |i| (i, j)))
            .map(|(i, j)| a[i + j * n] * a[i + j * n])
            .sum();
        let diag: f64 = (0..n).map(|i| a[i + i * n] * a[i + i * n]).sum();
        if off <= 1e-34 * diag || off < 1e-300 {
            break;
        }
        for p in 0..n {
            for r in p + 1..n {
                let apr = a[p + r * n];
                if apr == 0.0 {
                    continue;
                }
                let theta = (a[r + r * n] - a[p + p * n]) / (2.0 * apr);
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akr) = (a[k + p * n], a[k + r * n]);
                    a[k + p * n] = c * akp - s * akr;
                    a[k + r * n] = s * akp + c * akr;
                }
                for k in 0..n {
                    let (apk, ark) = (a[p + k * n], a[r + k * n]);
                    a[p + k * n] = c * apk - s * ark;
                    a[r + k * n] = s * apk + c * ark;
                }
                for k in 0..n {
                    let (qkp, qkr) = (q[k + p * n], q[k + r * n]);
                    q[k + p * n] = c * qkp - s * qkr;
                    q[k + r * n] = s * qkp + c * qkr;
                }
            }
        }
    }
    for i in 0..n {
        vals[i] = a[i + i * n];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_matches_faer() {
        let n = 5;
        let mut a = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..=j {
                let v = ((i * 3 + j * 7) as f64 * 0.61).sin();
                a[i + j * n] = v;
                a[j + i * n] = v;
            }
        }
        let a0 = a.clone();
        let (mut q, mut vals) = (vec![0.0; n * n], vec![0.0; n]);
        jacobi_eigh(n, &mut a, &mut q, &mut vals);
        // A q_k = λ_k q_k
        for k in 0..n {
            for i in 0..n {
                let aq: f64 = (0..n).map(|j| a0[i + j * n] * q[j + k * n]).sum();
                assert!((aq - vals[k] * q[i + k * n]).abs() < 1e-13);
            }
        }
        let mut ws = PsdWorkspace::new(n);
        let mut x = vec![0.0; triangle_dim(n)];
        to_svec_scaled(n, &a0, 1.0, &mut x);
        let scale = ws.decompose(&x);
        let mut fv: Vec<f64> = ws.vals.iter().map(|v| v * scale).collect();
        fv.sort_by(f64::total_cmp);
        vals.sort_by(f64::total_cmp);
        for (f, j) in fv.iter().zip(&vals) {
            assert!((f - j).abs() < 1e-13);
        }
    }

    #[test]
    fn dk_weights() {
        assert_eq!(dk_weight(1.0, 2.0), 1.0);
        assert_eq!(dk_weight(-1.0, -2.0), 0.0);
        assert_eq!(dk_weight(0.0, 0.0), 0.5);
        assert_eq!(dk_weight(3.0, -1.0), 0.75);
        assert_eq!(dk_weight(-1.0, 3.0), 0.75);
        assert_eq!(dk_weight(2.0, 0.0), 1.0);
        assert_eq!(dk_weight(-2.0, 0.0), 0.0);
    }
}
