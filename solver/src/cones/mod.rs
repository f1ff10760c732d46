//! Cones of the constraint `s ∈ K` and the operations the interior-point
//! method needs from them.
//!
//! The algorithm in [`crate::hsde`] is written once against the [`Cone`]
//! trait: each cone supplies its Nesterov-Todd (or, for nonsymmetric cones,
//! primal-dual) scaling `W`, the block `H = WᵀW` that enters the KKT matrix,
//! the Mehrotra right-hand sides and the step-length rule. Adding a cone means
//! a new file here, a [`SupportedCone`] variant and an arm in [`ConeBlock`];
//! the interior-point loop and the KKT layer are untouched.

mod composite;
mod exp;
mod nonneg;
pub mod nonsymmetric;
mod pow;
mod psd;
mod soc;
pub mod svec;
mod zero;

pub use composite::CompositeCone;
pub use exp::{ExpBarrier, ExponentialCone};
pub use nonneg::NonnegativeCone;
pub use pow::{PowBarrier, PowerCone};
pub use psd::PsdCone;
pub use soc::SecondOrderCone;
pub use zero::ZeroCone;

use crate::error::ProblemError;

/// A cone in the product `K = K₁ × … × K_p`, as given by the user.
///
/// Blocks are laid out in order along the rows of `A`.
///
/// ```
/// use lpgd_solver::SupportedCone;
/// let k = [SupportedCone::Zero(2), SupportedCone::Nonnegative(3), SupportedCone::SecondOrder(3)];
/// assert_eq!(k.iter().map(|c| c.dim()).sum::<usize>(), 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SupportedCone {
    /// `{0}ᵈ`: equality constraints.
    Zero(usize),
    /// `{s : s ≥ 0}`: inequality constraints.
    Nonnegative(usize),
    /// `{(t, u) : ‖u‖₂ ≤ t}` of dimension `d ≥ 1` (`t` first).
    SecondOrder(usize),
    /// The exponential cone `closure{(x, y, z) : y·exp(x/y) ≤ z, y > 0}`
    /// (3 rows, in this order).
    Exponential,
    /// The power cone `{(x, y, z) : x^α·y^(1−α) ≥ |z|, x, y ≥ 0}` with
    /// `α ∈ (0, 1)` (3 rows, in this order).
    Power(f64),
    /// The cone of positive semidefinite symmetric `n × n` matrices, in the
    /// scaled upper-triangular vectorization of [`svec`]: `n(n+1)/2` rows
    /// `(X₁₁, √2·X₁₂, X₂₂, √2·X₁₃, √2·X₂₃, X₃₃, …)` (columns of the upper
    /// triangle in turn, off-diagonal entries times `√2`).
    PositiveSemidefinite(usize),
}

impl SupportedCone {
    /// Number of rows of `A` the cone covers.
    pub fn dim(&self) -> usize {
        match *self {
            SupportedCone::Zero(d)
            | SupportedCone::Nonnegative(d)
            | SupportedCone::SecondOrder(d) => d,
            SupportedCone::Exponential | SupportedCone::Power(_) => 3,
            SupportedCone::PositiveSemidefinite(n) => svec::triangle_dim(n),
        }
    }

    /// Short name used in messages and files.
    pub fn name(&self) -> &'static str {
        match self {
            SupportedCone::Zero(_) => "zero",
            SupportedCone::Nonnegative(_) => "nonneg",
            SupportedCone::SecondOrder(_) => "soc",
            SupportedCone::Exponential => "exp",
            SupportedCone::Power(_) => "pow",
            SupportedCone::PositiveSemidefinite(_) => "psd",
        }
    }

    /// Checks the cone's own parameters; `index` is its position in the list.
    pub fn validate(&self, index: usize) -> Result<(), ProblemError> {
        let invalid = |reason: &str| ProblemError::InvalidCone {
            index,
            cone: self.name().to_string(),
            reason: reason.to_string(),
        };
        match *self {
            SupportedCone::Zero(0)
            | SupportedCone::Nonnegative(0)
            | SupportedCone::SecondOrder(0)
            | SupportedCone::PositiveSemidefinite(0) => {
                Err(invalid("dimension must be at least 1"))
            }
            SupportedCone::Power(alpha) if !(alpha > 0.0 && alpha < 1.0) => Err(invalid(
                "the exponent α must lie in the open interval (0, 1)",
            )),
            _ => Ok(()),
        }
    }
}

/// How a cone's block `H = WᵀW` enters the KKT matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HsLayout {
    /// `H` is diagonal; values are its `dim` diagonal entries.
    Diagonal,
    /// `H` is dense; values are its upper triangle packed by columns
    /// (`dim·(dim+1)/2` entries).
    DenseUpper,
    /// `H = η²(D + uuᵀ − vvᵀ)` with `D` diagonal, entered through two extra
    /// KKT rows so the matrix stays sparse. Values are `[η²·diag(D); η·u; η·v]`
    /// (`3·dim` entries); the extra rows have diagonal `+1` (for `u`) and `−1`
    /// (for `v`).
    SparseExpansion,
}

/// Operations of one cone block used by the interior-point method.
///
/// Notation (Clarabel's): `W` is the scaling with `Wz = W⁻ᵀs = λ`, `∘` the
/// Jordan product of the cone and `e` its identity element.
pub trait Cone {
    /// Number of entries.
    fn dim(&self) -> usize;
    /// Degree `ν` of the cone (its contribution to `μ = (sᵀz + τκ)/(ν + 1)`).
    fn degree(&self) -> usize;
    /// Whether the cone is symmetric (self-scaled).
    fn is_symmetric(&self) -> bool {
        true
    }
    /// Writes the identity `e` into `z` and `s` (zero for the zero cone).
    fn unit_initialization(&self, z: &mut [f64], s: &mut [f64]);
    /// Moves `z` into the interior: `z ← z + (1 − α)e` if its smallest
    /// eigenvalue `α` is below a small margin (the zero cone sets `z = 0`).
    fn shift_to_cone(&self, z: &mut [f64]);
    /// Moves a dual vector into the interior of the dual cone (the same as
    /// [`Cone::shift_to_cone`] for self-dual cones).
    fn shift_to_dual_cone(&self, z: &mut [f64]) {
        self.shift_to_cone(z);
    }
    /// Moves a warm-start pair `(s, z)` (e.g. a solution of a nearby
    /// problem, on or outside the boundary) into the interior with
    /// `λ_min(s)·λ_min(z) ≳ μ`: each eigenvalue below `√μ` is raised to
    /// `√μ` along `e` (the nonnegative orthant, a product of rays, does
    /// better: see [`NonnegativeCone`]). The zero cone sets `s = 0` and
    /// leaves `z` free. False for cones without such a shift (the
    /// nonsymmetric ones), whose problems then start cold.
    fn warm_centre(&self, _s: &mut [f64], _z: &mut [f64], _mu: f64) -> bool {
        false
    }
    /// Sets `W = I`.
    fn set_identity_scaling(&mut self);
    /// Computes the scaling at an interior pair `(s, z)`; false if the pair
    /// is not interior.
    fn update_scaling(&mut self, s: &[f64], z: &[f64], mu: f64) -> bool;
    /// The layout of `H = WᵀW` in the KKT matrix.
    fn hs_layout(&self) -> HsLayout;
    /// Writes the values of `H` in the format of [`Cone::hs_layout`].
    fn hs_values(&self, out: &mut [f64]);
    /// `y ← WᵀW x`.
    fn mul_hs(&self, y: &mut [f64], x: &[f64]);
    /// Affine-scaling complementarity right-hand side `ds ← λ∘λ`.
    fn affine_ds(&self, ds: &mut [f64], s: &[f64]);
    /// Mehrotra shift `(W⁻ᵀΔsₐ)∘(WΔzₐ) − σμe` written into `shift`.
    /// `step_z`, `step_s` hold the affine directions and may be overwritten.
    fn combined_ds_shift(
        &mut self,
        shift: &mut [f64],
        step_z: &mut [f64],
        step_s: &mut [f64],
        sigma_mu: f64,
    );
    /// `out ← Wᵀ(λ \ ds)`, the offset in `Δs = −Wᵀ(λ \ ds) − WᵀWΔz`.
    fn delta_s_from_delta_z_offset(&self, out: &mut [f64], ds: &[f64], work: &mut [f64]);
    /// Chooses between the primal-dual scaling (false, the default) and the
    /// dual scaling `H = μ∇²f*(z)` (true) for cones that have the choice
    /// (nonsymmetric ones); symmetric cones always use Nesterov-Todd.
    fn set_dual_scaling(&mut self, _on: bool) {}
    /// Barrier value `f(s + α·ds) + f*(z + α·dz)` of the cone and its dual
    /// (`+∞` outside), for the neighbourhood test of the dual-scaling
    /// fallback.
    fn barrier(&self, z: &[f64], s: &[f64], dz: &[f64], ds: &[f64], alpha: f64) -> f64;
    /// Largest `(αz, αs) ≤ α_max` keeping `z + αz·dz` and `s + αs·ds` in the cone.
    fn step_length(
        &self,
        dz: &[f64],
        ds: &[f64],
        z: &[f64],
        s: &[f64],
        alpha_max: f64,
    ) -> (f64, f64);
}

/// One block of the product cone.
#[derive(Debug, Clone)]
pub enum ConeBlock {
    /// See [`ZeroCone`].
    Zero(ZeroCone),
    /// See [`NonnegativeCone`].
    Nonnegative(NonnegativeCone),
    /// See [`SecondOrderCone`].
    SecondOrder(SecondOrderCone),
    /// See [`ExponentialCone`].
    Exponential(ExponentialCone),
    /// See [`PowerCone`].
    Power(PowerCone),
    /// See [`PsdCone`].
    Psd(PsdCone),
}

impl ConeBlock {
    /// The block implementing a user cone, or `None` if the interior-point
    /// method has no implementation of it.
    pub fn new(spec: &SupportedCone) -> Option<Self> {
        Some(match *spec {
            SupportedCone::Zero(d) => ConeBlock::Zero(ZeroCone::new(d)),
            SupportedCone::Nonnegative(d) => ConeBlock::Nonnegative(NonnegativeCone::new(d)),
            SupportedCone::SecondOrder(d) => ConeBlock::SecondOrder(SecondOrderCone::new(d)),
            SupportedCone::Exponential => ConeBlock::Exponential(ExponentialCone::new()),
            SupportedCone::Power(alpha) => ConeBlock::Power(PowerCone::new(alpha)),
            SupportedCone::PositiveSemidefinite(n) => ConeBlock::Psd(PsdCone::new(n)),
        })
    }

    /// The block as a [`Cone`].
    #[inline]
    pub fn inner(&self) -> &dyn Cone {
        match self {
            ConeBlock::Zero(c) => c,
            ConeBlock::Nonnegative(c) => c,
            ConeBlock::SecondOrder(c) => c,
            ConeBlock::Exponential(c) => c,
            ConeBlock::Power(c) => c,
            ConeBlock::Psd(c) => c,
        }
    }

    /// Mutable access.
    #[inline]
    pub fn inner_mut(&mut self) -> &mut dyn Cone {
        match self {
            ConeBlock::Zero(c) => c,
            ConeBlock::Nonnegative(c) => c,
            ConeBlock::SecondOrder(c) => c,
            ConeBlock::Exponential(c) => c,
            ConeBlock::Power(c) => c,
            ConeBlock::Psd(c) => c,
        }
    }
}

/// Largest `α ≤ α_max` with `x + α·dx ≥ 0` elementwise.
#[inline]
pub(crate) fn orthant_step(x: &[f64], dx: &[f64], alpha_max: f64) -> f64 {
    // Branch-free in four independent lanes so that the loop vectorizes;
    // the minimum does not depend on the order of its terms.
    #[inline(always)]
    fn ratio(xi: f64, di: f64) -> f64 {
        if di < 0.0 {
            -xi / di
        } else {
            f64::INFINITY
        }
    }
    let mut lanes = [alpha_max; 4];
    let (xc, dc) = (x.chunks_exact(4), dx.chunks_exact(4));
    let (xr, dr) = (xc.remainder(), dc.remainder());
    for (xs, ds) in xc.zip(dc) {
        for k in 0..4 {
            lanes[k] = lanes[k].min(ratio(xs[k], ds[k]));
        }
    }
    for (&xi, &di) in xr.iter().zip(dr) {
        lanes[0] = lanes[0].min(ratio(xi, di));
    }
    lanes[0].min(lanes[1]).min(lanes[2].min(lanes[3])).max(0.0)
}
