//! Euclidean projections onto the cones of [`SupportedCone`] and onto their
//! duals, and the derivatives (Jacobian-vector products) of these
//! projections.
//!
//! These are the building blocks of an operator-splitting (SCS-style ADMM)
//! solver, which projects onto `K` or `K*` once per iteration, and of implicit
//! differentiation of a solution map (diffcp-style), which needs `DΠ_K`.
//!
//! # Conventions
//!
//! For a closed convex cone `K` with dual `K* = {y : ⟨x, y⟩ ≥ 0 ∀x ∈ K}` and
//! polar `K° = −K*`, Moreau's decomposition states
//!
//! `x = Π_K(x) + Π_{K°}(x)`, `⟨Π_K(x), Π_{K°}(x)⟩ = 0`,
//!
//! hence `Π_{K*}(x) = −Π_{K°}(−x) = x + Π_K(−x)`. The dual projections of the
//! exponential and power cones are computed by this formula (the zero cone's
//! dual is the whole space; the other cones are self-dual and use their
//! primal projection).
//!
//! The projection is 1-Lipschitz and differentiable almost everywhere; where
//! it is differentiable, `DΠ_K(x)` is symmetric with eigenvalues in `[0, 1]`,
//! so **the vector-Jacobian product equals the Jacobian-vector product**
//! (`project_jvp` serves both). For the dual, `DΠ_{K*}(x) = I − DΠ_K(−x)`.
//! At the (measure-zero) points where `Π_K` is not differentiable an element
//! of Clarke's generalized Jacobian is returned, chosen so that the formula
//! for the dual holds exactly and self-dual cones give the same answer either
//! way: e.g. `½I` at the origin (and `½` for a zero entry of the orthant or a
//! pair of zero eigenvalues of the PSD cone), the identity on the boundary of
//! `K` and `0` on the boundary of `K°`.
//!
//! All projections are positively homogeneous (`Π(tx) = tΠ(x)` for `t > 0`);
//! the nonlinear ones (second-order norm, exponential, power, PSD) rescale
//! their input internally so that huge (`1e150`) or tiny (`1e-150`) inputs
//! give finite, accurate results.
//!
//! # Entry points
//!
//! * One cone: [`project`], [`project_dual`], [`project_jvp`],
//!   [`project_dual_jvp`].
//! * A product `K₁ × … × K_p`, blocks laid out in order ([`SupportedCone::dim`]
//!   entries each): [`project_product`], [`project_dual_product`],
//!   [`project_product_jvp`], [`project_dual_product_jvp`].
//! * Hot loops: [`Projector`] owns the scratch memory (the eigendecomposition
//!   workspaces of PSD blocks) and is allocation-free after construction; its
//!   [`Projector::linearize`] / [`Projector::apply_derivative`] pair evaluates
//!   `DΠ(x)` once and applies it to many directions (as an iterative solver
//!   of the implicit-differentiation system does).
//!
//! The free functions allocate only for PSD blocks (a [`PsdWorkspace`] per
//! call).
//!
//! ```
//! use lpgd_solver::projection::{project, project_dual};
//! use lpgd_solver::SupportedCone;
//!
//! // Second-order cone {(t, u) : ‖u‖ ≤ t}: (0, 3, 4) ↦ (2.5, 1.5, 2).
//! let soc = SupportedCone::SecondOrder(3);
//! let mut p = [0.0; 3];
//! project(&soc, &[0.0, 3.0, 4.0], &mut p);
//! assert!((p[0] - 2.5).abs() < 1e-15 && (p[1] - 1.5).abs() < 1e-15 && (p[2] - 2.0).abs() < 1e-15);
//!
//! // Exponential cone: (1, 1, 1) is outside (1·e¹ > 1); its projection is
//! // on the boundary y·exp(x/y) = z.
//! let mut q = [0.0; 3];
//! project(&SupportedCone::Exponential, &[1.0, 1.0, 1.0], &mut q);
//! assert!((q[1] * (q[0] / q[1]).exp() - q[2]).abs() < 1e-12);
//!
//! // Zero cone {0}: its dual is the whole space.
//! let mut d = [0.0; 2];
//! project_dual(&SupportedCone::Zero(2), &[1.0, -2.0], &mut d);
//! assert_eq!(d, [1.0, -2.0]);
//! ```

mod exp;
mod nonneg;
mod pow;
mod psd;
mod soc;
mod zero;

pub use psd::PsdWorkspace;

use crate::cones::SupportedCone;

/// Which cone of the pair `(K, K*)` a [`Projector`] operation refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Side {
    /// The cone `K` itself.
    #[default]
    Primal,
    /// The dual cone `K*`.
    Dual,
}

// ---------------------------------------------------------------------------
// One cone
// ---------------------------------------------------------------------------

/// `out ← Π_K(x)`, the Euclidean projection of `x` onto the cone `K`.
///
/// `x` and `out` have `cone.dim()` entries. Formulas (see the submodules):
///
/// * zero: `0`; nonnegative: `max(x, 0)`;
/// * second-order, `x = (t, u)`: `x` if `‖u‖ ≤ t`, `0` if `‖u‖ ≤ −t`, else
///   `((t + ‖u‖)/2)·(1, u/‖u‖)`;
/// * exponential: Friberg's (2021) univariate root-finding method;
/// * power: the Newton method of Hien (2015) on the radius `|z|` of the
///   projection, safeguarded by bisection;
/// * PSD: `svec(Q·max(Λ, 0)·Qᵀ)` for `X = QΛQᵀ`.
///
/// PSD cones allocate a [`PsdWorkspace`]; use a [`Projector`] in loops.
///
/// ```
/// use lpgd_solver::projection::project;
/// use lpgd_solver::SupportedCone;
///
/// let mut out = [0.0; 3];
/// project(&SupportedCone::Nonnegative(3), &[1.0, -2.0, 0.5], &mut out);
/// assert_eq!(out, [1.0, 0.0, 0.5]);
///
/// // 2×2 PSD cone in svec form: [[1, 2], [2, 1]] has eigenvalues 3 and −1,
/// // its projection is 1.5·[[1, 1], [1, 1]].
/// let x = [1.0, 2.0 * 2f64.sqrt(), 1.0];
/// let mut p = [0.0; 3];
/// project(&SupportedCone::PositiveSemidefinite(2), &x, &mut p);
/// let expected = [1.5, 1.5 * 2f64.sqrt(), 1.5];
/// assert!(p.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-14));
/// ```
///
/// # Panics
///
/// If `x` or `out` does not have `cone.dim()` entries.
pub fn project(cone: &SupportedCone, x: &[f64], out: &mut [f64]) {
    check_len(cone, &[x.len(), out.len()]);
    match *cone {
        SupportedCone::Zero(_) => zero::project(out),
        SupportedCone::Nonnegative(_) => nonneg::project(x, out),
        SupportedCone::SecondOrder(_) => soc::project(x, out),
        SupportedCone::Exponential => write3(out, exp::project(read3(x))),
        SupportedCone::Power(alpha) => write3(out, pow::project(read3(x), alpha)),
        SupportedCone::PositiveSemidefinite(n) => PsdWorkspace::new(n).project(x, out),
    }
}

/// `out ← Π_{K*}(x)`, the projection onto the dual cone, `= x + Π_K(−x)`
/// (Moreau). The zero cone's dual is the whole space (`out = x`); the
/// nonnegative, second-order and PSD cones are self-dual.
///
/// # Panics
///
/// If `x` or `out` does not have `cone.dim()` entries.
pub fn project_dual(cone: &SupportedCone, x: &[f64], out: &mut [f64]) {
    check_len(cone, &[x.len(), out.len()]);
    match *cone {
        SupportedCone::Zero(_) => out.copy_from_slice(x),
        SupportedCone::Nonnegative(_)
        | SupportedCone::SecondOrder(_)
        | SupportedCone::PositiveSemidefinite(_) => project(cone, x, out),
        SupportedCone::Exponential => {
            let v = read3(x);
            write3(out, add3(v, exp::project(neg3(v))));
        }
        SupportedCone::Power(alpha) => {
            let v = read3(x);
            write3(out, add3(v, pow::project(neg3(v), alpha)));
        }
    }
}

/// `out ← DΠ_K(x)·dx`, the derivative of the projection at `x` applied to
/// `dx` (also the vector-Jacobian product: `DΠ_K(x)` is symmetric).
///
/// * zero: `0`; nonnegative: `dx_i·[x_i > 0]` (`½` if `x_i = 0`);
/// * second-order, `x = (t, u)`, `r = ‖u‖`, `ū = u/r`: `I` if `r ≤ t`, `0` if
///   `r ≤ −t`, else `½[[1, ūᵀ], [ū, (1 + t/r)I − (t/r)ūūᵀ]]` (`½I` at `0`);
/// * exponential and power: implicit function theorem on the optimality
///   conditions `v − p = μ∇g(p)`, `g(p) = 0` of the projection `p` onto the
///   active boundary piece `g = 0`: `dp = M⁻¹dv − M⁻¹n (nᵀM⁻¹dv)/(nᵀM⁻¹n)`,
///   `M = I + μ∇²g(p)`, `n = ∇g(p)`; identity inside `K`, zero inside `K°`;
/// * PSD (Daleckii–Krein): `Q(B ∘ QᵀdXQ)Qᵀ` with
///   `B_ij = (max(λ_i, 0) − max(λ_j, 0))/(λ_i − λ_j)` (`1` for two positive,
///   `0` for two negative, `½` for two zero eigenvalues).
///
/// # Panics
///
/// If `x`, `dx` or `out` does not have `cone.dim()` entries.
pub fn project_jvp(cone: &SupportedCone, x: &[f64], dx: &[f64], out: &mut [f64]) {
    check_len(cone, &[x.len(), dx.len(), out.len()]);
    match *cone {
        SupportedCone::Zero(_) => zero::project(out),
        SupportedCone::Nonnegative(_) => nonneg::jvp(x, dx, out),
        SupportedCone::SecondOrder(_) => soc::apply(soc::linearize(x), x, dx, out),
        SupportedCone::Exponential => write3(out, exp::linearize(read3(x)).1.apply(read3(dx))),
        SupportedCone::Power(alpha) => {
            write3(out, pow::linearize(read3(x), alpha).1.apply(read3(dx)))
        }
        SupportedCone::PositiveSemidefinite(n) => PsdWorkspace::new(n).project_jvp(x, dx, out),
    }
}

/// `out ← DΠ_{K*}(x)·dx = dx − DΠ_K(−x)·dx` (also the vector-Jacobian
/// product). Identity for the dual of the zero cone; the same as
/// [`project_jvp`] for the self-dual cones.
///
/// # Panics
///
/// If `x`, `dx` or `out` does not have `cone.dim()` entries.
pub fn project_dual_jvp(cone: &SupportedCone, x: &[f64], dx: &[f64], out: &mut [f64]) {
    check_len(cone, &[x.len(), dx.len(), out.len()]);
    match *cone {
        SupportedCone::Zero(_) => out.copy_from_slice(dx),
        SupportedCone::Nonnegative(_)
        | SupportedCone::SecondOrder(_)
        | SupportedCone::PositiveSemidefinite(_) => project_jvp(cone, x, dx, out),
        SupportedCone::Exponential => {
            let d = read3(dx);
            let lin = exp::linearize(neg3(read3(x))).1;
            write3(out, sub3(d, lin.apply(d)));
        }
        SupportedCone::Power(alpha) => {
            let d = read3(dx);
            let lin = pow::linearize(neg3(read3(x)), alpha).1;
            write3(out, sub3(d, lin.apply(d)));
        }
    }
}

// ---------------------------------------------------------------------------
// Products of cones
// ---------------------------------------------------------------------------

/// Total dimension `Σ dim(K_i)` of a product of cones.
pub fn product_dim(cones: &[SupportedCone]) -> usize {
    cones.iter().map(|c| c.dim()).sum()
}

/// [`project`] onto the product `K₁ × … × K_p` (blocks in order).
///
/// # Panics
///
/// If `x` or `out` does not have [`product_dim`] entries.
pub fn project_product(cones: &[SupportedCone], x: &[f64], out: &mut [f64]) {
    for_blocks(cones, &[x.len(), out.len()], |cone, r| {
        project(cone, &x[r.clone()], &mut out[r])
    });
}

/// [`project_dual`] onto the product `K₁* × … × K_p*` (blocks in order).
///
/// # Panics
///
/// If `x` or `out` does not have [`product_dim`] entries.
pub fn project_dual_product(cones: &[SupportedCone], x: &[f64], out: &mut [f64]) {
    for_blocks(cones, &[x.len(), out.len()], |cone, r| {
        project_dual(cone, &x[r.clone()], &mut out[r])
    });
}

/// [`project_jvp`] for the product cone (block diagonal).
///
/// # Panics
///
/// If `x`, `dx` or `out` does not have [`product_dim`] entries.
pub fn project_product_jvp(cones: &[SupportedCone], x: &[f64], dx: &[f64], out: &mut [f64]) {
    for_blocks(cones, &[x.len(), dx.len(), out.len()], |cone, r| {
        project_jvp(cone, &x[r.clone()], &dx[r.clone()], &mut out[r])
    });
}

/// [`project_dual_jvp`] for the product cone (block diagonal).
///
/// # Panics
///
/// If `x`, `dx` or `out` does not have [`product_dim`] entries.
pub fn project_dual_product_jvp(cones: &[SupportedCone], x: &[f64], dx: &[f64], out: &mut [f64]) {
    for_blocks(cones, &[x.len(), dx.len(), out.len()], |cone, r| {
        project_dual_jvp(cone, &x[r.clone()], &dx[r.clone()], &mut out[r])
    });
}

fn for_blocks(
    cones: &[SupportedCone],
    lens: &[usize],
    mut f: impl FnMut(&SupportedCone, std::ops::Range<usize>),
) {
    let dim = product_dim(cones);
    for &len in lens {
        assert_eq!(
            len, dim,
            "vector length {len} ≠ product cone dimension {dim}"
        );
    }
    let mut start = 0;
    for cone in cones {
        let end = start + cone.dim();
        f(cone, start..end);
        start = end;
    }
}

fn check_len(cone: &SupportedCone, lens: &[usize]) {
    let dim = cone.dim();
    for &len in lens {
        assert_eq!(
            len,
            dim,
            "vector length {len} ≠ dimension {dim} of the {} cone",
            cone.name()
        );
    }
}

// ---------------------------------------------------------------------------
// Projector: preallocated, allocation-free projections and derivatives
// ---------------------------------------------------------------------------

/// Projections onto a product cone `K = K₁ × … × K_p` and its dual with
/// preallocated scratch memory: after [`Projector::new`] no method allocates
/// (faer's dense eigendecomposition may make one-time lazy allocations on its
/// very first call for a given size).
///
/// Besides one-shot projections it keeps a *linearization*:
/// [`Projector::linearize`] projects `x` onto `K` or `K*` and records what is
/// needed to apply `DΠ(x)` (PSD eigenvectors, the boundary geometry of
/// exponential and power blocks, …); [`Projector::apply_derivative`] then
/// applies it to any number of directions without recomputing projections or
/// eigendecompositions. Since `DΠ(x)` is symmetric, the same call gives
/// vector-Jacobian products. Projections ([`Projector::project`], …) leave
/// the stored linearization untouched; the one-shot
/// [`Projector::project_jvp`] / [`Projector::project_dual_jvp`] replace it.
///
/// ```
/// use lpgd_solver::projection::{Projector, Side};
/// use lpgd_solver::SupportedCone;
///
/// let cones = [SupportedCone::Nonnegative(2), SupportedCone::SecondOrder(3)];
/// let mut proj = Projector::new(&cones);
/// let x = [1.0, -1.0, 0.0, 3.0, 4.0];
/// let mut p = [0.0; 5];
/// proj.project(&x, &mut p);
/// assert_eq!(&p[..2], &[1.0, 0.0]);
///
/// // D Π(x) applied to two directions.
/// proj.linearize(Side::Primal, &x, &mut p);
/// let mut d = [0.0; 5];
/// proj.apply_derivative(&[1.0, 1.0, 1.0, 0.0, 0.0], &mut d);
/// assert_eq!(&d[..2], &[1.0, 0.0]);
/// assert!((d[2] - 0.5).abs() < 1e-15); // ½·dt on the SOC block
/// proj.apply_derivative(&[0.0; 5], &mut d);
/// assert_eq!(d, [0.0; 5]);
/// ```
#[derive(Debug)]
pub struct Projector {
    cones: Vec<SupportedCone>,
    offsets: Vec<usize>,
    dim: usize,
    /// One workspace per PSD block, in order.
    psd: Vec<PsdWorkspace>,
    /// Index into `psd` of each block (unused for other cones).
    psd_index: Vec<usize>,
    /// Per-block linearization (valid once `linearized`).
    lin: Vec<BlockLin>,
    linearized: bool,
    /// Copy of the linearization point (per-entry data of orthant and
    /// second-order blocks).
    point: Vec<f64>,
    /// Scratch vectors of length `dim`.
    scratch: Vec<f64>,
    scratch2: Vec<f64>,
}

/// Linearization of one block.
#[derive(Debug, Clone, Copy)]
enum BlockLin {
    Zero,
    Identity,
    /// Slopes of `max(·, 0)` at the stored point.
    Orthant,
    Soc(soc::SocLin),
    /// `DΠ_K` (or `I − DΠ_K(−x)` when `complement`) of a 3-dimensional cone.
    Three {
        lin: Lin3,
        complement: bool,
    },
    Psd,
}

impl Projector {
    /// Preallocates the scratch memory for the cones `cones` (validated or
    /// not: the dimensions are taken as given).
    pub fn new(cones: &[SupportedCone]) -> Self {
        let mut offsets = Vec::with_capacity(cones.len() + 1);
        let mut psd = Vec::new();
        let mut psd_index = Vec::with_capacity(cones.len());
        let mut dim = 0;
        for cone in cones {
            offsets.push(dim);
            dim += cone.dim();
            if let SupportedCone::PositiveSemidefinite(n) = *cone {
                psd_index.push(psd.len());
                psd.push(PsdWorkspace::new(n));
            } else {
                psd_index.push(usize::MAX);
            }
        }
        offsets.push(dim);
        Projector {
            cones: cones.to_vec(),
            offsets,
            dim,
            psd,
            psd_index,
            lin: Vec::with_capacity(cones.len()),
            linearized: false,
            point: vec![0.0; dim],
            scratch: vec![0.0; dim],
            scratch2: vec![0.0; dim],
        }
    }

    /// The cones, in order.
    pub fn cones(&self) -> &[SupportedCone] {
        &self.cones
    }

    /// Total dimension of the product cone.
    pub fn dim(&self) -> usize {
        self.dim
    }

    fn check(&self, lens: &[usize]) {
        for &len in lens {
            assert_eq!(
                len, self.dim,
                "vector length {len} ≠ projector dimension {}",
                self.dim
            );
        }
    }

    /// `out ← Π_K(x)` (see [`project`]).
    ///
    /// # Panics
    ///
    /// If a length differs from [`Projector::dim`].
    pub fn project(&mut self, x: &[f64], out: &mut [f64]) {
        self.project_side(Side::Primal, x, out);
    }

    /// `out ← Π_{K*}(x)` (see [`project_dual`]).
    ///
    /// # Panics
    ///
    /// If a length differs from [`Projector::dim`].
    pub fn project_dual(&mut self, x: &[f64], out: &mut [f64]) {
        self.project_side(Side::Dual, x, out);
    }

    /// `out ← Π_K(x)` or `Π_{K*}(x)` according to `side`.
    ///
    /// # Panics
    ///
    /// If a length differs from [`Projector::dim`].
    pub fn project_side(&mut self, side: Side, x: &[f64], out: &mut [f64]) {
        self.check(&[x.len(), out.len()]);
        for (k, cone) in self.cones.iter().enumerate() {
            let r = self.offsets[k]..self.offsets[k + 1];
            let (xb, ob) = (&x[r.clone()], &mut out[r]);
            match *cone {
                SupportedCone::PositiveSemidefinite(_) => {
                    self.psd[self.psd_index[k]].project(xb, ob)
                }
                _ => match side {
                    Side::Primal => project(cone, xb, ob),
                    Side::Dual => project_dual(cone, xb, ob),
                },
            }
        }
    }

    /// `x ← Π_K(x)` or `Π_{K*}(x)` in place (through an internal copy).
    ///
    /// # Panics
    ///
    /// If `x.len()` differs from [`Projector::dim`].
    pub fn project_in_place(&mut self, side: Side, x: &mut [f64]) {
        self.check(&[x.len()]);
        let mut tmp = std::mem::take(&mut self.scratch);
        tmp.copy_from_slice(x);
        self.project_side(side, &tmp, x);
        self.scratch = tmp;
    }

    /// Projects `x` onto `K` (`side = Primal`) or `K*` (`Dual`), writing the
    /// projection to `proj`, and records the linearization `DΠ(x)` for
    /// [`Projector::apply_derivative`].
    ///
    /// # Panics
    ///
    /// If a length differs from [`Projector::dim`].
    pub fn linearize(&mut self, side: Side, x: &[f64], proj: &mut [f64]) {
        self.check(&[x.len(), proj.len()]);
        let mut lin = std::mem::take(&mut self.lin);
        lin.clear();
        self.point.copy_from_slice(x);
        for (k, cone) in self.cones.iter().enumerate() {
            let r = self.offsets[k]..self.offsets[k + 1];
            let (xb, pb) = (&x[r.clone()], &mut proj[r]);
            let block = match (*cone, side) {
                (SupportedCone::Zero(_), Side::Primal) => {
                    zero::project(pb);
                    BlockLin::Zero
                }
                (SupportedCone::Zero(_), Side::Dual) => {
                    pb.copy_from_slice(xb);
                    BlockLin::Identity
                }
                (SupportedCone::Nonnegative(_), _) => {
                    nonneg::project(xb, pb);
                    BlockLin::Orthant
                }
                (SupportedCone::SecondOrder(_), _) => {
                    soc::project(xb, pb);
                    BlockLin::Soc(soc::linearize(xb))
                }
                (SupportedCone::Exponential, Side::Primal) => {
                    let (p, lin) = exp::linearize(read3(xb));
                    write3(pb, p);
                    BlockLin::Three {
                        lin,
                        complement: false,
                    }
                }
                (SupportedCone::Exponential, Side::Dual) => {
                    let v = read3(xb);
                    let (p, lin) = exp::linearize(neg3(v));
                    write3(pb, add3(v, p));
                    BlockLin::Three {
                        lin,
                        complement: true,
                    }
                }
                (SupportedCone::Power(alpha), Side::Primal) => {
                    let (p, lin) = pow::linearize(read3(xb), alpha);
                    write3(pb, p);
                    BlockLin::Three {
                        lin,
                        complement: false,
                    }
                }
                (SupportedCone::Power(alpha), Side::Dual) => {
                    let v = read3(xb);
                    let (p, lin) = pow::linearize(neg3(v), alpha);
                    write3(pb, add3(v, p));
                    BlockLin::Three {
                        lin,
                        complement: true,
                    }
                }
                (SupportedCone::PositiveSemidefinite(_), _) => {
                    self.psd[self.psd_index[k]].linearize(xb, pb);
                    BlockLin::Psd
                }
            };
            lin.push(block);
        }
        self.lin = lin;
        self.linearized = true;
    }

    /// `out ← DΠ(x)·dx` at the point `x` of the last
    /// [`Projector::linearize`] (for the side chosen there). `DΠ(x)` is
    /// symmetric, so this is also the vector-Jacobian product `dxᵀDΠ(x)`.
    ///
    /// # Panics
    ///
    /// If [`Projector::linearize`] has not been called, or a length differs
    /// from [`Projector::dim`].
    pub fn apply_derivative(&mut self, dx: &[f64], out: &mut [f64]) {
        self.check(&[dx.len(), out.len()]);
        assert!(
            self.linearized,
            "Projector::apply_derivative called before Projector::linearize"
        );
        for (k, block) in self.lin.iter().enumerate() {
            let r = self.offsets[k]..self.offsets[k + 1];
            let (xb, db, ob) = (&self.point[r.clone()], &dx[r.clone()], &mut out[r]);
            match *block {
                BlockLin::Zero => ob.fill(0.0),
                BlockLin::Identity => ob.copy_from_slice(db),
                BlockLin::Orthant => nonneg::jvp(xb, db, ob),
                BlockLin::Soc(s) => soc::apply(s, xb, db, ob),
                BlockLin::Three { lin, complement } => {
                    let d = read3(db);
                    let jd = lin.apply(d);
                    write3(ob, if complement { sub3(d, jd) } else { jd });
                }
                BlockLin::Psd => self.psd[self.psd_index[k]].apply_derivative(db, ob),
            }
        }
    }

    /// `out ← DΠ_K(x)·dx` (one-shot [`Projector::linearize`] +
    /// [`Projector::apply_derivative`]).
    ///
    /// # Panics
    ///
    /// If a length differs from [`Projector::dim`].
    pub fn project_jvp(&mut self, x: &[f64], dx: &[f64], out: &mut [f64]) {
        self.jvp_side(Side::Primal, x, dx, out);
    }

    /// `out ← DΠ_{K*}(x)·dx` (one-shot).
    ///
    /// # Panics
    ///
    /// If a length differs from [`Projector::dim`].
    pub fn project_dual_jvp(&mut self, x: &[f64], dx: &[f64], out: &mut [f64]) {
        self.jvp_side(Side::Dual, x, dx, out);
    }

    fn jvp_side(&mut self, side: Side, x: &[f64], dx: &[f64], out: &mut [f64]) {
        self.check(&[x.len(), dx.len(), out.len()]);
        let mut tmp = std::mem::take(&mut self.scratch2);
        self.linearize(side, x, &mut tmp);
        self.scratch2 = tmp;
        self.apply_derivative(dx, out);
    }
}

// ---------------------------------------------------------------------------
// Shared helpers of the 3-dimensional cones
// ---------------------------------------------------------------------------

/// Derivative of the projection onto a 3-dimensional cone at one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Lin3 {
    Zero,
    Identity,
    Half,
    Diag([f64; 3]),
    /// Projection `p = (x, y, z)` onto a smooth boundary piece `g = 0` with
    /// multiplier `μ > 0`, where `μ∇²g(p) = K·ŵŵᵀ` has rank one with
    /// `ŵ = (y, −x, 0)/‖(x, y)‖` (true for both the exponential and the power
    /// cone). Everything is expressed in the orthonormal basis
    /// `(ŵ, ŵ₁ = (x, y, 0)/‖(x, y)‖, e_z)`, where `M⁻¹ = diag(c, 1, 1)`,
    /// `c = 1/(1 + K)`, and `n ∝ ∇g(p)` has coordinates `n`. In this basis
    /// `nᵀM⁻¹n = c·n₀² + n₁² + n₂²` is a sum of nonnegative terms, so the
    /// formula stays accurate when `K` is huge and `n` nearly parallel to `ŵ`.
    Boundary {
        w: [f64; 2],
        c: f64,
        n: [f64; 3],
    },
}

impl Lin3 {
    /// `D·d`: `dp = M⁻¹d − M⁻¹n (nᵀM⁻¹d)/(nᵀM⁻¹n)` for the boundary case.
    pub(crate) fn apply(&self, d: [f64; 3]) -> [f64; 3] {
        match *self {
            Lin3::Zero => [0.0; 3],
            Lin3::Identity => d,
            Lin3::Half => scale3(0.5, d),
            Lin3::Diag(s) => [s[0] * d[0], s[1] * d[1], s[2] * d[2]],
            Lin3::Boundary { w: [wx, wy], c, n } => {
                // coordinates of d in the basis (ŵ, ŵ₁, e_z)
                let b = [wx * d[0] + wy * d[1], -wy * d[0] + wx * d[1], d[2]];
                let m = [c * n[0], n[1], n[2]];
                let nm = dot3(n, m);
                let coef = if nm > 0.0 { dot3(m, b) / nm } else { 0.0 };
                let r = [
                    c * b[0] - coef * m[0],
                    b[1] - coef * m[1],
                    b[2] - coef * m[2],
                ];
                [wx * r[0] - wy * r[1], wy * r[0] + wx * r[1], r[2]]
            }
        }
    }

    /// The boundary case at the projection `p = (x, y, ·)` (`x² + y² > 0`),
    /// `k = μ·(the nonzero eigenvalue of ∇²g)` (may be `+∞`), and `n` the
    /// coordinates of a multiple of `∇g(p)` in the basis `(ŵ, ŵ₁, e_z)`.
    pub(crate) fn boundary(x: f64, y: f64, k: f64, n: [f64; 3]) -> Lin3 {
        let h = x.hypot(y);
        let c = if k > 0.0 { 1.0 / (1.0 + k) } else { 1.0 };
        Lin3::Boundary {
            w: [y / h, -x / h],
            c,
            n: unit3(n),
        }
    }
}

/// Slope of `max(t, 0)` with the convention `½` at `0`.
#[inline]
pub(crate) fn step(t: f64) -> f64 {
    if t > 0.0 {
        1.0
    } else if t < 0.0 {
        0.0
    } else {
        0.5
    }
}

/// Largest absolute entry.
#[inline]
pub(crate) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, &t| m.max(t.abs()))
}

/// `‖v‖₂` without overflow or underflow.
pub(crate) fn norm2(v: &[f64]) -> f64 {
    let ss: f64 = v.iter().map(|t| t * t).sum();
    if ss.is_finite() && ss > 1e-280 {
        return ss.sqrt();
    }
    let m = max_abs(v);
    if m == 0.0 || !m.is_finite() {
        return m;
    }
    let ss: f64 = v.iter().map(|t| (t / m) * (t / m)).sum();
    m * ss.sqrt()
}

/// Root of `f` (returning value and derivative) by Newton's method
/// safeguarded with bisection (Numerical Recipes' `rtsafe`), on the bracket
/// with `f(neg) ≤ 0 ≤ f(pos)` (either order), starting at `start`. Stops when
/// the step is below `tol(x)`.
pub(crate) fn find_root(
    f: impl Fn(f64) -> (f64, f64),
    neg: f64,
    pos: f64,
    start: f64,
    tol: impl Fn(f64) -> f64,
) -> f64 {
    const MAX_ITERS: usize = 200;
    let (mut xl, mut xh) = (neg, pos);
    if xl == xh {
        return xl;
    }
    let mut x = start;
    let mut dx_old = (xh - xl).abs();
    let mut dx = dx_old;
    let (mut fx, mut dfx) = f(x);
    for _ in 0..MAX_ITERS {
        if fx == 0.0 {
            return x;
        }
        if fx < 0.0 {
            xl = x;
        } else {
            xh = x;
        }
        let newton = x - fx / dfx;
        let use_newton = newton.is_finite()
            && (newton - xl) * (newton - xh) < 0.0
            && (2.0 * fx).abs() <= (dx_old * dfx).abs();
        dx_old = dx;
        if use_newton {
            dx = x - newton;
            x = newton;
        } else {
            dx = 0.5 * (xh - xl);
            x = xl + dx;
        }
        if dx.abs() <= tol(x) || x == xl || x == xh {
            return x;
        }
        (fx, dfx) = f(x);
    }
    x
}

#[inline]
pub(crate) fn read3(x: &[f64]) -> [f64; 3] {
    [x[0], x[1], x[2]]
}
#[inline]
pub(crate) fn write3(out: &mut [f64], v: [f64; 3]) {
    out[..3].copy_from_slice(&v);
}
#[inline]
pub(crate) fn neg3(v: [f64; 3]) -> [f64; 3] {
    [-v[0], -v[1], -v[2]]
}
#[inline]
pub(crate) fn add3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
#[inline]
pub(crate) fn sub3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
pub(crate) fn scale3(s: f64, v: [f64; 3]) -> [f64; 3] {
    [s * v[0], s * v[1], s * v[2]]
}
#[inline]
pub(crate) fn dot3(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
#[inline]
pub(crate) fn norm3(v: [f64; 3]) -> f64 {
    norm2(&v)
}
/// `v/‖v‖` (zero stays zero).
#[inline]
pub(crate) fn unit3(v: [f64; 3]) -> [f64; 3] {
    let m = max_abs(&v);
    if m == 0.0 || !m.is_finite() {
        return [0.0; 3];
    }
    let v = scale3(1.0 / m, v);
    scale3(1.0 / norm3(v), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_root_both_orientations() {
        let tol = |x: f64| 4.0 * f64::EPSILON * x.abs().max(1.0);
        let r = find_root(|x| (x * x - 2.0, 2.0 * x), 0.0, 2.0, 1.0, tol);
        assert!((r - 2f64.sqrt()).abs() < 1e-15);
        let r = find_root(|x| (2.0 - x * x, -2.0 * x), 2.0, 0.0, 0.1, tol);
        assert!((r - 2f64.sqrt()).abs() < 1e-15);
        // Non-smooth: pure bisection still converges.
        let r = find_root(|x| (x.cbrt(), f64::NAN), -1.0, 3.0, 1.0, tol);
        assert!(r.abs() < 1e-14);
    }

    #[test]
    fn norm2_extremes() {
        assert!((norm2(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15);
        assert!((norm2(&[3e-200, 4e-200]) / 5e-200 - 1.0).abs() < 1e-15);
        assert_eq!(norm2(&[]), 0.0);
    }
}
