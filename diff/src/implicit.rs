//! Implicit differentiation of the solution map `(P, c, A, b) ↦ (x, y, s)`
//! ("GD" in the paper), with the ρ-augmentation of C.1.
//!
//! **Residual map.** Write the primal-dual pair through one vector
//! `v = y − s`: for `y ∈ K*`, `s ∈ K`, `yᵀs = 0` Moreau's decomposition
//! gives `y = Π_{K*}(v)` and `s = Π_{K*}(v) − v`. The optimality
//! conditions are then the equations
//!
//! ```text
//! F(u, v; w) = [ Pu + Aᵀ Π_{K*}(v) + c + ρ(u − x*) ]  = 0
//!              [ −Au + b − (Π_{K*}(v) − v)        ]
//! ```
//!
//! at `u = x*`. This is the homogeneous self-dual embedding's normalized
//! residual map `((Q − I)Π + I)(z)` of Agrawal et al. (2019) at `τ = 1`,
//! extended with the quadratic term `Pu`, without its last (duality gap)
//! row, which complementarity implies; `ρ(u − x*)` is the augmentation
//! of `Q_ρ` (paper eq. 46): it does not move the solution and regularizes
//! the system. The Jacobian in `z = (u, v)` is
//!
//! ```text
//! J = [ P + ρI    Aᵀ D  ]        D = DΠ_{K*}(v) (block diagonal, symmetric,
//!     [  −A      I − D  ]                         eigenvalues in [0, 1])
//! ```
//!
//! and the implicit function theorem gives `J dz = −F_w dw`
//! (forward mode, [`DerivativeSystem::jvp`]) and `∇_w ℓ = −F_wᵀ J⁻ᵀ ∇_z ℓ` (adjoint,
//! [`DerivativeSystem::adjoint`]) with `∇_z ℓ = (∇ₓℓ, D∇ᵧℓ + (D − I)∇ₛℓ)`. Spelled out for
//! `r = J⁻ᵀ∇_z ℓ = (r_u, r_v)`:
//!
//! ```text
//! ∇_c = −r_u,   ∇_b = −r_v,   ∇_A = r_v xᵀ − y r_uᵀ (on A's pattern),
//! ∇_P: stored p_ij (i < j): −(r_u,i x_j + r_u,j x_i);  p_ii: −r_u,i x_i.
//! ```
//!
//! `J` is nonsingular at a unique, strictly complementary solution with
//! linearly independent active constraints; elsewhere (degenerate LPs, for
//! which the true gradient is zero or undefined) the factorization or its
//! solution fails and [`DiffError::Singular`] is returned. `ρ > 0` removes
//! the singularity coming from a flat objective (zero curvature in `x`).
//!
//! **Linear algebra.** For zero and nonnegative cones (`D` diagonal) the
//! systems with `J` and `Jᵀ` reduce exactly to a quasi-definite KKT system
//! of the problem's pattern, solved on a copy of a [`KktSystem`] — the
//! interior-point solver's own, so its ordering and symbolic analysis are
//! reused ([`DerivativeSystem::from_kkt`], [`system`]). With dense `D`
//! blocks (second-order cones kept as dense `H` blocks, exponential, power
//! and PSD cones) the same reduction with `D`'s eigenvalues floored at
//! `1e-8` gives a KKT system of the same pattern that approximates `J`
//! to that order; it serves as the preconditioner of iterative refinement
//! against the exact `J` ([`DerivativeSystem::from_kkt_blocks`]). Only
//! second-order cones that the KKT system expands into extra rows (large
//! cones) and explicit [`Factorization::SparseLu`] use the fallback: `J`
//! assembled sparse and factored by faer's sparse LU with partial
//! pivoting, every solve followed by iterative refinement against `J`.

use crate::error::DiffError;
use crate::params::{LossGrad, ParamGrad, Tangent};
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::Lu;
use faer::sparse::{SparseColMat, Triplet};
use faer::MatMut;
use lpgd_solver::kkt::KktSystem;
use lpgd_solver::projection::project_dual_jvp;
use lpgd_solver::{CscMatrix, ProblemData, Settings, Solution, SupportedCone};
use std::sync::Arc;

/// Implicit differentiation settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImplicitSettings {
    /// Augmentation `ρ ≥ 0` (`0`: the exact derivative).
    pub rho: f64,
    /// How the derivative system is solved.
    pub factorization: Factorization,
}

/// The linear solver of the derivative system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Factorization {
    /// The interior-point solver's KKT system where it applies (every cone
    /// block of `H` stored as its own block: all cones except second-order
    /// cones large enough to be expanded), else sparse LU.
    #[default]
    Auto,
    /// Always sparse LU of `J`.
    SparseLu,
}

/// Refinement steps after each solve.
const REFINE_STEPS: usize = 3;

/// `DΠ_{K*}(v)` of one cone block.
enum DBlock {
    /// Diagonal entries.
    Diag(Vec<f64>),
    /// Dense, column-major `d × d`.
    Dense(Vec<f64>),
}

/// The factored linear system behind [`DerivativeSystem`].
enum Backend {
    /// Sparse LU of `J`, with `J` as triplets for refinement products.
    Lu {
        lu: Box<Lu<usize, f64>>,
        entries: Vec<Triplet<usize, usize, f64>>,
    },
    /// The symmetric reduced system on the interior-point KKT pattern (see
    /// [`DerivativeSystem::from_kkt`]); `d` is the diagonal of `D`.
    Kkt {
        kkt: Box<KktSystem>,
        settings: Box<Settings>,
        a: Arc<CscMatrix>,
        d: Vec<f64>,
    },
    /// The reduced system with `D` floored at `D_FLOOR` (dense cone
    /// blocks), refined against `J` (see [`DerivativeSystem::from_kkt_blocks`]).
    KktBlocks {
        kkt: Box<KktSystem>,
        settings: Box<Settings>,
        p_hat: CscMatrix,
        a: Arc<CscMatrix>,
        /// `D_ε⁻¹` per cone block.
        dinv: Vec<(usize, usize, DBlock)>,
    },
}

/// Eigenvalues of `D` below this are raised to it in the blockwise KKT
/// path ([`DerivativeSystem::from_kkt_blocks`]); refinement against `J`
/// removes the error this makes (of this order per step).
const D_FLOOR: f64 = 1e-8;

/// The Jacobian `J` at a solution, factored.
pub struct DerivativeSystem {
    n: usize,
    m: usize,
    /// Block offsets and `D` blocks.
    blocks: Vec<(usize, usize, DBlock)>,
    backend: Backend,
}

impl DerivativeSystem {
    /// Assembles and factors `J` for `prob` at the solution `sol`
    /// (`v = y − s`).
    pub fn new(prob: &ProblemData, sol: &Solution, rho: f64) -> Result<Self, DiffError> {
        let v: Vec<f64> = sol.y.iter().zip(&sol.s).map(|(y, s)| y - s).collect();
        Self::at(prob, &v, rho)
    }

    /// Assembles and factors `J` at the point with dual-slack combination
    /// `v` (`J` does not depend on `u`).
    pub fn at(prob: &ProblemData, v: &[f64], rho: f64) -> Result<Self, DiffError> {
        let (n, m) = (prob.n(), prob.m());
        let mut blocks = Vec::with_capacity(prob.cones.len());
        let mut block_of = vec![0usize; m];
        let mut off = 0;
        for (b, cone) in prob.cones.iter().enumerate() {
            let d = cone.dim();
            block_of[off..off + d].fill(b);
            blocks.push((off, d, d_block(cone, &v[off..off + d])));
            off += d;
        }
        let mut entries = Vec::with_capacity(2 * prob.p.nnz() + 2 * prob.a.nnz() + n + m);
        for j in 0..n {
            for k in prob.p.colptr[j]..prob.p.colptr[j + 1] {
                let (i, val) = (prob.p.rowval[k], prob.p.nzval[k]);
                entries.push(Triplet::new(i, j, val));
                if i != j {
                    entries.push(Triplet::new(j, i, val));
                }
            }
            if rho > 0.0 {
                entries.push(Triplet::new(j, j, rho));
            }
        }
        for j in 0..n {
            for k in prob.a.colptr[j]..prob.a.colptr[j + 1] {
                let (r, a) = (prob.a.rowval[k], prob.a.nzval[k]);
                entries.push(Triplet::new(n + r, j, -a));
                let (boff, d, block) = &blocks[block_of[r]];
                match block {
                    DBlock::Diag(dd) => {
                        let dr = dd[r - boff];
                        if dr != 0.0 {
                            entries.push(Triplet::new(j, n + r, a * dr));
                        }
                    }
                    DBlock::Dense(dd) => {
                        // Row r − off of the symmetric block.
                        for q in 0..*d {
                            let val = dd[q * d + (r - boff)];
                            if val != 0.0 {
                                entries.push(Triplet::new(j, n + boff + q, a * val));
                            }
                        }
                    }
                }
            }
        }
        for (boff, d, block) in &blocks {
            match block {
                DBlock::Diag(dd) => {
                    for (q, &dq) in dd.iter().enumerate() {
                        entries.push(Triplet::new(n + boff + q, n + boff + q, 1.0 - dq));
                    }
                }
                DBlock::Dense(dd) => {
                    for c in 0..*d {
                        for r in 0..*d {
                            let id = if r == c { 1.0 } else { 0.0 };
                            let val = id - dd[c * d + r];
                            if val != 0.0 || r == c {
                                entries.push(Triplet::new(n + boff + r, n + boff + c, val));
                            }
                        }
                    }
                }
            }
        }
        let dim = n + m;
        let mat = SparseColMat::<usize, f64>::try_new_from_triplets(dim, dim, &entries)
            .map_err(|e| DiffError::Singular(format!("assembling the Jacobian: {e:?}")))?;
        let lu = mat
            .sp_lu()
            .map_err(|e| DiffError::Singular(format!("LU factorization of the Jacobian: {e:?}")))?;
        Ok(DerivativeSystem {
            n,
            m,
            blocks,
            backend: Backend::Lu {
                lu: Box::new(lu),
                entries,
            },
        })
    }

    /// The derivative system solved on a copy of an interior-point solver's
    /// KKT system (its pattern and symbolic analysis), for problems whose
    /// cones are all zero or nonnegative (`D` diagonal). With `S₀` the rows
    /// where `dᵢ = 0` (inactive constraints) and `S₁` the others,
    /// `M = (I − D)D⁻¹` on `S₁`, the systems with `J` and `Jᵀ` reduce
    /// exactly to the quasi-definite
    ///
    /// ```text
    /// [ P + ρI   A₁ᵀ ] [ w₁ ]   [ q₁ ]
    /// [  A₁      −M  ] [ w₂ ] = [ q₂ ]
    /// ```
    ///
    /// (`J dz = r`: `q = (r₁, −r₂|S₁)`, then `dv|S₁ = w₂/D`, `dv|S₀ =
    /// r₂ + A du`; `Jᵀλ = g`: `q = (g_u + A₀ᵀ g_v|S₀, g_v|S₁ / D)`, then
    /// `λ_v|S₁ = −w₂`, `λ_v|S₀ = g_v|S₀`). In the KKT pattern the rows of
    /// `S₀` are kept with `A`'s entries zeroed and `H = 1`. The matrix is
    /// refactored numerically with the solver's regularization and solved
    /// with iterative refinement against itself. `p_hat` must have the
    /// KKT system's `P` pattern and hold `P + ρI`.
    pub fn from_kkt(
        prob: &ProblemData,
        sol: &Solution,
        kkt: &KktSystem,
        p_hat: &CscMatrix,
        settings: &Settings,
    ) -> Result<Self, DiffError> {
        Self::from_kkt_in(prob, sol, kkt, p_hat, settings, &mut None)
    }

    /// [`DerivativeSystem::from_kkt`], factoring `spare` if it holds a KKT
    /// system of an earlier derivative system ([`DerivativeSystem::into_spare`]).
    pub(crate) fn from_kkt_in(
        prob: &ProblemData,
        sol: &Solution,
        kkt: &KktSystem,
        p_hat: &CscMatrix,
        settings: &Settings,
        spare: &mut Option<Box<KktSystem>>,
    ) -> Result<Self, DiffError> {
        let (n, m) = (prob.n(), prob.m());
        let v: Vec<f64> = sol.y.iter().zip(&sol.s).map(|(y, s)| y - s).collect();
        let mut blocks = Vec::with_capacity(prob.cones.len());
        let mut d = Vec::with_capacity(m);
        let mut off = 0;
        for cone in &prob.cones {
            let dim = cone.dim();
            let block = d_block(cone, &v[off..off + dim]);
            match &block {
                DBlock::Diag(dd) => d.extend_from_slice(dd),
                DBlock::Dense(_) => {
                    return Err(DiffError::Unsupported(
                        "the KKT path needs zero and nonnegative cones only",
                    ))
                }
            }
            blocks.push((off, dim, block));
            off += dim;
        }
        let mut a = CscMatrix::clone(&prob.a);
        for (k, &r) in a.rowval.iter().enumerate() {
            if d[r] == 0.0 {
                a.nzval[k] = 0.0;
            }
        }
        let h: Vec<f64> = d
            .iter()
            .map(|&di| if di == 0.0 { 1.0 } else { (1.0 - di) / di })
            .collect();
        let kkt = refactored(kkt, p_hat, &a, spare, |k| {
            k.factor_with_diagonal_h(&h, settings)
        })?;
        Ok(DerivativeSystem {
            n,
            m,
            blocks,
            backend: Backend::Kkt {
                kkt,
                settings: Box::new(settings.clone()),
                a: Arc::clone(&prob.a),
                d,
            },
        })
    }

    /// Factors `J` through the interior-point KKT system for any cones whose
    /// `H` enters it blockwise ([`KktSystem::has_blockwise_h`]: zero,
    /// nonnegative, second-order cones below the expansion threshold,
    /// exponential, power and PSD cones). With `D = QΛQᵀ` per block and
    /// `D_ε = Q max(Λ, ε) Qᵀ` (`ε =` `D_FLOOR`), `w = D_ε dv` turns `J` into
    ///
    /// ```text
    /// [ P + ρI   Aᵀ ] [du]   [ r₁ ]        H = Q diag((1 − λ)/max(λ, ε)) Qᵀ
    /// [   A     −H  ] [w ] = [ −r₂ ],      dv = D_ε⁻¹ w,
    /// ```
    ///
    /// and `Jᵀλ = g` into the same matrix with right-hand side
    /// `(g_u, D_ε⁻¹ g_v)` and `λ_v = −w`. Both are exact for `ε → 0`; each
    /// solve is refined against `J` itself, so the floor only costs
    /// refinement steps. `p_hat` must have the KKT system's `P` pattern and
    /// hold `P + ρI`.
    pub fn from_kkt_blocks(
        prob: &ProblemData,
        sol: &Solution,
        kkt: &KktSystem,
        p_hat: &CscMatrix,
        settings: &Settings,
    ) -> Result<Self, DiffError> {
        Self::from_kkt_blocks_in(prob, sol, kkt, p_hat, settings, &mut None)
    }

    /// [`DerivativeSystem::from_kkt_blocks`], factoring `spare` if it holds
    /// a KKT system of an earlier derivative system.
    pub(crate) fn from_kkt_blocks_in(
        prob: &ProblemData,
        sol: &Solution,
        kkt: &KktSystem,
        p_hat: &CscMatrix,
        settings: &Settings,
        spare: &mut Option<Box<KktSystem>>,
    ) -> Result<Self, DiffError> {
        let (n, m) = (prob.n(), prob.m());
        if !kkt.has_blockwise_h() || kkt.h_blocks().len() != prob.cones.len() {
            return Err(DiffError::Unsupported(
                "the KKT system expands a second-order cone",
            ));
        }
        let v: Vec<f64> = sol.y.iter().zip(&sol.s).map(|(y, s)| y - s).collect();
        let h_len: usize = kkt.h_blocks().iter().map(|b| b.1).sum();
        let mut h = vec![0.0; h_len];
        let mut blocks = Vec::with_capacity(prob.cones.len());
        let mut dinv = Vec::with_capacity(prob.cones.len());
        let mut off = 0;
        for (cone, &(h_off, h_n)) in prob.cones.iter().zip(kkt.h_blocks()) {
            let dim = cone.dim();
            let block = d_block(cone, &v[off..off + dim]);
            let hb = &mut h[h_off..h_off + h_n];
            let inv = match &block {
                DBlock::Diag(dd) if h_n == dim => {
                    let mut inv = vec![0.0; dim];
                    for ((hi, ii), &di) in hb.iter_mut().zip(&mut inv).zip(dd) {
                        let l = di.clamp(0.0, 1.0);
                        *hi = (1.0 - l) / l.max(D_FLOOR);
                        *ii = 1.0 / l.max(D_FLOOR);
                    }
                    DBlock::Diag(inv)
                }
                _ if h_n == dim * (dim + 1) / 2 => {
                    let dense = match &block {
                        DBlock::Dense(dd) => dd.clone(),
                        DBlock::Diag(dd) => {
                            let mut full = vec![0.0; dim * dim];
                            for (q, &di) in dd.iter().enumerate() {
                                full[q * dim + q] = di;
                            }
                            full
                        }
                    };
                    let (hd, inv) = floored_blocks(&dense, dim)?;
                    let mut k = 0;
                    for j in 0..dim {
                        for i in 0..=j {
                            hb[k] = hd[j * dim + i];
                            k += 1;
                        }
                    }
                    DBlock::Dense(inv)
                }
                _ => {
                    return Err(DiffError::Unsupported(
                        "a dense derivative block on a diagonal KKT block",
                    ))
                }
            };
            blocks.push((off, dim, block));
            dinv.push((off, dim, inv));
            off += dim;
        }
        let kkt = refactored(kkt, p_hat, &prob.a, spare, |k| {
            k.factor_with_h(&h, settings)
        })?;
        Ok(DerivativeSystem {
            n,
            m,
            blocks,
            backend: Backend::KktBlocks {
                kkt,
                settings: Box::new(settings.clone()),
                p_hat: p_hat.clone(),
                a: Arc::clone(&prob.a),
                dinv,
            },
        })
    }

    /// The KKT system this derivative system factored, for the next one of
    /// the same layer to refactor instead of copying the layer's
    /// ([`DerivativeSystem::from_kkt`]); `None` for the sparse LU.
    pub(crate) fn into_spare(self) -> Option<Box<KktSystem>> {
        match self.backend {
            Backend::Kkt { kkt, .. } | Backend::KktBlocks { kkt, .. } => Some(kkt),
            Backend::Lu { .. } => None,
        }
    }

    /// True if this system is solved on an interior-point KKT system.
    pub fn uses_kkt(&self) -> bool {
        matches!(
            self.backend,
            Backend::Kkt { .. } | Backend::KktBlocks { .. }
        )
    }

    /// `out ← D·x` (or `(D − I)·x` with `minus_identity`).
    fn apply_d(&self, x: &[f64], out: &mut [f64], minus_identity: bool) {
        apply_blocks(&self.blocks, x, out);
        if minus_identity {
            for (o, xi) in out.iter_mut().zip(x) {
                *o -= xi;
            }
        }
    }

    /// Solves `J x = rhs` (or `Jᵀ x = rhs`).
    pub(crate) fn solve(&mut self, rhs: &[f64], transpose: bool) -> Result<Vec<f64>, DiffError> {
        let x = match &mut self.backend {
            Backend::Lu { lu, entries } => lu_refined(lu, entries, rhs, transpose),
            Backend::Kkt {
                kkt,
                settings,
                a,
                d,
            } => kkt_solve(kkt, settings, a, d, self.n, rhs, transpose),
            Backend::KktBlocks {
                kkt,
                settings,
                p_hat,
                a,
                dinv,
            } => {
                let mut approx =
                    |r: &[f64]| kkt_blocks_solve(kkt, settings, dinv, self.n, r, transpose);
                let mut x = approx(rhs);
                let mut r = vec![0.0; rhs.len()];
                for _ in 0..REFINE_STEPS {
                    j_product(p_hat, a, &self.blocks, &x, &mut r, transpose);
                    for (ri, bi) in r.iter_mut().zip(rhs) {
                        *ri = bi - *ri;
                    }
                    let rnorm = r.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                    if rnorm == 0.0 || !rnorm.is_finite() {
                        break;
                    }
                    let dx = approx(&r);
                    for (xi, di) in x.iter_mut().zip(&dx) {
                        *xi += di;
                    }
                }
                x
            }
        };
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(DiffError::Singular(format!(
                "the solution of the derivative system is not finite (entry {i}): the Jacobian is singular at this solution"
            )));
        }
        Ok(x)
    }

    /// The adjoint: `∇_w ℓ` for a loss with gradient `loss` at `sol`.
    pub fn adjoint(
        &mut self,
        prob: &ProblemData,
        sol: &Solution,
        loss: &LossGrad,
    ) -> Result<ParamGrad, DiffError> {
        let (n, m) = (self.n, self.m);
        let g = loss.dense(n, m);
        let mut gz = vec![0.0; n + m];
        gz[..n].copy_from_slice(&g.dx);
        let mut tmp = vec![0.0; m];
        self.apply_d(&g.dy, &mut gz[n..], false);
        self.apply_d(&g.ds, &mut tmp, true);
        for (a, t) in gz[n..].iter_mut().zip(&tmp) {
            *a += t;
        }
        let r = self.solve(&gz, true)?;
        let (ru, rv) = r.split_at(n);
        let (x, y) = (&sol.x, &sol.y);
        let mut grad = ParamGrad::zeros(prob);
        for j in 0..n {
            for k in prob.p.colptr[j]..prob.p.colptr[j + 1] {
                let i = prob.p.rowval[k];
                grad.p[k] = if i == j {
                    -ru[i] * x[i]
                } else {
                    -(ru[i] * x[j] + ru[j] * x[i])
                };
            }
            for k in prob.a.colptr[j]..prob.a.colptr[j + 1] {
                let i = prob.a.rowval[k];
                grad.a[k] = rv[i] * x[j] - y[i] * ru[j];
            }
        }
        for (g, r) in grad.c.iter_mut().zip(ru) {
            *g = -r;
        }
        for (g, r) in grad.b.iter_mut().zip(rv) {
            *g = -r;
        }
        Ok(grad)
    }

    /// The forward derivative along the data direction `dir`.
    pub fn jvp(
        &mut self,
        prob: &ProblemData,
        sol: &Solution,
        dir: &ParamGrad,
    ) -> Result<Tangent, DiffError> {
        let (n, m) = (self.n, self.m);
        let (x, y) = (&sol.x, &sol.y);
        let mut rhs = vec![0.0; n + m];
        let (r1, r2) = rhs.split_at_mut(n);
        // r1 = −(dP x + dAᵀy + dc), r2 = dA x − db.
        for j in 0..n {
            for k in prob.p.colptr[j]..prob.p.colptr[j + 1] {
                let i = prob.p.rowval[k];
                r1[i] -= dir.p[k] * x[j];
                if i != j {
                    r1[j] -= dir.p[k] * x[i];
                }
            }
            for k in prob.a.colptr[j]..prob.a.colptr[j + 1] {
                let i = prob.a.rowval[k];
                r1[j] -= dir.a[k] * y[i];
                r2[i] += dir.a[k] * x[j];
            }
            r1[j] -= dir.c[j];
        }
        for i in 0..m {
            r2[i] -= dir.b[i];
        }
        let dz = self.solve(&rhs, false)?;
        let (du, dv) = dz.split_at(n);
        let mut dy = vec![0.0; m];
        let mut ds = vec![0.0; m];
        self.apply_d(dv, &mut dy, false);
        self.apply_d(dv, &mut ds, true);
        Ok(Tangent {
            dx: du.to_vec(),
            dy,
            ds,
        })
    }
}

/// LU solve with iterative refinement against the triplets of `J`.
fn lu_refined(
    lu: &Lu<usize, f64>,
    entries: &[Triplet<usize, usize, f64>],
    rhs: &[f64],
    transpose: bool,
) -> Vec<f64> {
    let solve = |x: &mut [f64]| {
        let len = x.len();
        let mat = MatMut::from_column_major_slice_mut(x, len, 1);
        if transpose {
            lu.solve_transpose_in_place(mat);
        } else {
            lu.solve_in_place(mat);
        }
    };
    let mut x = rhs.to_vec();
    solve(&mut x);
    let mut r = vec![0.0; rhs.len()];
    for _ in 0..REFINE_STEPS {
        r.copy_from_slice(rhs);
        for t in entries {
            let (i, j) = if transpose {
                (t.col, t.row)
            } else {
                (t.row, t.col)
            };
            r[i] -= t.val * x[j];
        }
        let rnorm = r.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if rnorm == 0.0 || !rnorm.is_finite() {
            break;
        }
        solve(&mut r);
        for (xi, ri) in x.iter_mut().zip(&r) {
            *xi += ri;
        }
    }
    x
}

/// `J x = rhs` or `Jᵀ x = rhs` through the reduced symmetric system of
/// [`DerivativeSystem::from_kkt`].
fn kkt_solve(
    kkt: &mut KktSystem,
    settings: &Settings,
    a: &CscMatrix,
    d: &[f64],
    n: usize,
    rhs: &[f64],
    transpose: bool,
) -> Vec<f64> {
    let m = d.len();
    let (r1, r2) = rhs.split_at(n);
    let mut q = vec![0.0; n + m];
    let (q1, q2) = q.split_at_mut(n);
    q1.copy_from_slice(r1);
    if transpose {
        // q₁ = g_u + A₀ᵀ g_v|S₀, q₂ = g_v|S₁ / D.
        let g0: Vec<f64> = (0..m)
            .map(|i| if d[i] == 0.0 { r2[i] } else { 0.0 })
            .collect();
        a.gemv_t(q1, &g0, 1.0, 1.0);
        for i in 0..m {
            q2[i] = if d[i] == 0.0 { 0.0 } else { r2[i] / d[i] };
        }
    } else {
        for i in 0..m {
            q2[i] = if d[i] == 0.0 { 0.0 } else { -r2[i] };
        }
    }
    let mut w = vec![0.0; n + m];
    if !kkt.solve(&mut w, &q, settings) {
        return vec![f64::NAN; n + m];
    }
    let mut x = w;
    let (du, w2) = x.split_at_mut(n);
    if transpose {
        for i in 0..m {
            w2[i] = if d[i] == 0.0 { r2[i] } else { -w2[i] };
        }
    } else {
        let mut adu = vec![0.0; m];
        a.gemv(&mut adu, du, 1.0, 0.0);
        for i in 0..m {
            w2[i] = if d[i] == 0.0 {
                r2[i] + adu[i]
            } else {
                w2[i] / d[i]
            };
        }
    }
    x
}

/// A copy of `kkt` with the values of `p_hat` and `a`, factored by
/// `factor` (with the derivative system's `H`). The copy is `spare` when
/// that holds the KKT system of an earlier derivative system of the same
/// pattern ([`DerivativeSystem::into_spare`]): `update_p` and `update_a`
/// rewrite every value a factorization reads from `P` and `A`, so it
/// factors bit for bit as a fresh copy of `kkt` would, without copying the
/// pattern, the values and the backend's dense matrices again.
fn refactored(
    kkt: &KktSystem,
    p_hat: &CscMatrix,
    a: &CscMatrix,
    spare: &mut Option<Box<KktSystem>>,
    factor: impl FnOnce(&mut KktSystem) -> Result<(), String>,
) -> Result<Box<KktSystem>, DiffError> {
    let mut kkt = match spare.take() {
        Some(k) if k.dim() == kkt.dim() && k.nnz() == kkt.nnz() => k,
        _ => Box::new(kkt.clone()),
    };
    kkt.update_p(p_hat);
    kkt.update_a(a);
    factor(&mut kkt).map_err(|e| {
        DiffError::Singular(format!("KKT factorization of the derivative system: {e}"))
    })?;
    Ok(kkt)
}

/// `H = Q diag((1 − λ)/max(λ, ε)) Qᵀ` and `D_ε⁻¹ = Q diag(1/max(λ, ε)) Qᵀ`
/// for a symmetric `D = QΛQᵀ` (column-major `d × d`, eigenvalues clamped to
/// `[0, 1]`).
fn floored_blocks(dense: &[f64], d: usize) -> Result<(Vec<f64>, Vec<f64>), DiffError> {
    let mat = faer::MatRef::from_column_major_slice(dense, d, d);
    let evd = mat
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| DiffError::Singular(format!("eigendecomposition of a D block: {e:?}")))?;
    let (q, lam) = (evd.U(), evd.S().column_vector());
    let (mut h, mut inv) = (vec![0.0; d * d], vec![0.0; d * d]);
    for k in 0..d {
        let l = lam[k].clamp(0.0, 1.0);
        let (hk, ik) = ((1.0 - l) / l.max(D_FLOOR), 1.0 / l.max(D_FLOOR));
        for j in 0..d {
            for i in 0..d {
                let qq = q[(i, k)] * q[(j, k)];
                h[j * d + i] += hk * qq;
                inv[j * d + i] += ik * qq;
            }
        }
    }
    Ok((h, inv))
}

/// `out ← B·x` for block-diagonal `B` given by its blocks.
fn apply_blocks(blocks: &[(usize, usize, DBlock)], x: &[f64], out: &mut [f64]) {
    for (off, d, block) in blocks {
        let (xs, os) = (&x[*off..off + d], &mut out[*off..off + d]);
        match block {
            DBlock::Diag(dd) => {
                for q in 0..*d {
                    os[q] = dd[q] * xs[q];
                }
            }
            DBlock::Dense(dd) => {
                for r in 0..*d {
                    os[r] = (0..*d).map(|c| dd[c * d + r] * xs[c]).sum();
                }
            }
        }
    }
}

/// `out ← J x` or `Jᵀ x` with `J = [P + ρI, AᵀD; −A, I − D]` (`p_hat`
/// holds `P + ρI` by its upper triangle, `blocks` the blocks of `D`).
fn j_product(
    p_hat: &CscMatrix,
    a: &CscMatrix,
    blocks: &[(usize, usize, DBlock)],
    x: &[f64],
    out: &mut [f64],
    transpose: bool,
) {
    let n = p_hat.n;
    let (xu, xv) = x.split_at(n);
    let (ou, ov) = out.split_at_mut(n);
    p_hat.symv_upper(ou, xu, 1.0, 0.0);
    let mut dv = vec![0.0; xv.len()];
    apply_blocks(blocks, xv, &mut dv);
    if transpose {
        // [(P + ρI)u − Aᵀv; D A u + v − D v]
        a.gemv_t(ou, xv, -1.0, 1.0);
        let mut au = vec![0.0; xv.len()];
        a.gemv(&mut au, xu, 1.0, 0.0);
        let mut dau = vec![0.0; xv.len()];
        apply_blocks(blocks, &au, &mut dau);
        for i in 0..ov.len() {
            ov[i] = dau[i] + xv[i] - dv[i];
        }
    } else {
        // [(P + ρI)u + Aᵀ D v; −A u + v − D v]
        a.gemv_t(ou, &dv, 1.0, 1.0);
        a.gemv(ov, xu, -1.0, 0.0);
        for i in 0..ov.len() {
            ov[i] += xv[i] - dv[i];
        }
    }
}

/// One approximate solve of `J x = rhs` (or `Jᵀ x = rhs`) through the
/// floored reduced system of [`DerivativeSystem::from_kkt_blocks`].
fn kkt_blocks_solve(
    kkt: &mut KktSystem,
    settings: &Settings,
    dinv: &[(usize, usize, DBlock)],
    n: usize,
    rhs: &[f64],
    transpose: bool,
) -> Vec<f64> {
    let (r1, r2) = rhs.split_at(n);
    let m = r2.len();
    let mut q = vec![0.0; n + m];
    q[..n].copy_from_slice(r1);
    if transpose {
        apply_blocks(dinv, r2, &mut q[n..]);
    } else {
        for (qi, ri) in q[n..].iter_mut().zip(r2) {
            *qi = -ri;
        }
    }
    let mut w = vec![0.0; n + m];
    if !kkt.solve(&mut w, &q, settings) {
        return vec![f64::NAN; n + m];
    }
    let mut x = w.clone();
    if transpose {
        for (xi, wi) in x[n..].iter_mut().zip(&w[n..]) {
            *xi = -wi;
        }
    } else {
        apply_blocks(dinv, &w[n..], &mut x[n..]);
    }
    x
}

/// `DΠ_{K*}(v)` for one cone block.
fn d_block(cone: &SupportedCone, v: &[f64]) -> DBlock {
    match cone {
        SupportedCone::Zero(d) => DBlock::Diag(vec![1.0; *d]),
        SupportedCone::Nonnegative(_) => DBlock::Diag(
            v.iter()
                .map(|&t| match t.partial_cmp(&0.0) {
                    Some(std::cmp::Ordering::Greater) => 1.0,
                    Some(std::cmp::Ordering::Less) => 0.0,
                    _ => 0.5,
                })
                .collect(),
        ),
        _ => {
            let d = v.len();
            let mut dense = vec![0.0; d * d];
            let mut e = vec![0.0; d];
            for c in 0..d {
                e[c] = 1.0;
                project_dual_jvp(cone, v, &e, &mut dense[c * d..(c + 1) * d]);
                e[c] = 0.0;
            }
            // Symmetrize (DΠ is symmetric; this removes rounding asymmetry).
            for c in 0..d {
                for r in c + 1..d {
                    let s = 0.5 * (dense[c * d + r] + dense[r * d + c]);
                    dense[c * d + r] = s;
                    dense[r * d + c] = s;
                }
            }
            DBlock::Dense(dense)
        }
    }
}

/// The derivative system for `settings`: on the interior-point solver's KKT
/// system when `kkt` is given, it applies (exactly for zero and nonnegative
/// cones, as a preconditioner for cones with dense blocks) and
/// `settings.factorization` allows it; sparse LU otherwise.
pub fn system(
    prob: &ProblemData,
    sol: &Solution,
    settings: ImplicitSettings,
    kkt: Option<(&KktSystem, &CscMatrix, &Settings)>,
) -> Result<DerivativeSystem, DiffError> {
    system_in(prob, sol, settings, kkt, &mut None)
}

/// [`system`], refactoring `spare` if it holds the KKT system of an earlier
/// derivative system of the same layer ([`DerivativeSystem::into_spare`]).
pub(crate) fn system_in(
    prob: &ProblemData,
    sol: &Solution,
    settings: ImplicitSettings,
    kkt: Option<(&KktSystem, &CscMatrix, &Settings)>,
    spare: &mut Option<Box<KktSystem>>,
) -> Result<DerivativeSystem, DiffError> {
    if let (Factorization::Auto, Some((k, p_hat, s))) = (settings.factorization, kkt) {
        if k.has_diagonal_h() {
            if let Ok(sys) = DerivativeSystem::from_kkt_in(prob, sol, k, p_hat, s, spare) {
                return Ok(sys);
            }
        } else if k.has_blockwise_h() {
            if let Ok(sys) = DerivativeSystem::from_kkt_blocks_in(prob, sol, k, p_hat, s, spare) {
                return Ok(sys);
            }
        }
    }
    DerivativeSystem::new(prob, sol, settings.rho)
}
