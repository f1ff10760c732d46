//! # lpgd-diff
//!
//! Derivatives of the solution of a conic program
//!
//! ```text
//! minimize ½xᵀPx + cᵀx  subject to  Ax + s = b,  s ∈ K
//! ```
//!
//! with respect to its data `w = (P, c, A, b)`, built on the forward solver
//! of [`lpgd_solver`] (either method) and reusing its state:
//!
//! * [`Mode::Implicit`] — implicit differentiation of the optimality
//!   conditions (the paper's "GD"), adjoint and forward mode, with the
//!   ρ-augmented Jacobian of C.1 ([`implicit`]).
//! * [`Mode::Lpgd`] — Lagrangian proximal gradient descent: the gradient of
//!   the lower, upper or average Lagrange–Moreau envelope of the linearized
//!   loss, from warm-started re-solves at `c ± τ∇ℓ` with the augmentation
//!   `P + ρI`, `c − ρx*` ([`lpgd`]); and its forward-mode counterpart.
//!
//! * [`oracle`] — LPGD for black-box solvers of linear programs over
//!   arbitrary sets ([`oracle::LinearOracle`]): shortest paths on a grid
//!   (Dijkstra), top-k selection and ranking (sorting).
//!
//! The Lagrangian is `L = ½xᵀPx + cᵀx + yᵀ(Ax + s − b)` ([`lagrangian`]);
//! gradients are reported on the stored patterns of `P` (upper triangle)
//! and `A` ([`ParamGrad`]).
//!
//! ```
//! use lpgd_diff::{DiffSolver, ImplicitSettings, LossGrad, Mode};
//! use lpgd_solver::{CscMatrix, ProblemData, Settings, SupportedCone};
//! // minimize ½x² − x subject to x ≤ 3: x* = 1, dx*/dc = −1.
//! let a = CscMatrix::from_triplets(1, 1, &[0], &[0], &[1.0]).unwrap();
//! let prob = ProblemData::new(Some(CscMatrix::identity(1)), vec![-1.0], a, vec![3.0],
//!     vec![SupportedCone::Nonnegative(1)]).unwrap();
//! let mut layer = DiffSolver::new(prob, Settings::default()).unwrap();
//! layer.solve().unwrap();
//! let g = layer.backward(Mode::Implicit(ImplicitSettings::default()), &LossGrad::on_x(vec![1.0])).unwrap();
//! assert!((g.grad.c[0] + 1.0).abs() < 1e-8);
//! assert!(g.grad.b[0].abs() < 1e-8); // the constraint is inactive
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![allow(clippy::needless_range_loop)]

pub mod batch;
pub mod error;
pub mod implicit;
pub mod lagrangian;
pub mod layer;
pub mod lpgd;
pub mod oracle;
pub mod params;
pub mod refine;

pub use error::{DiffError, Side};
pub use implicit::{DerivativeSystem, Factorization, ImplicitSettings};
pub use layer::{Backward, BackwardInfo, DiffSolver, Forward, Mode};
pub use lpgd::{Envelope, Fallback, LpgdSettings};
pub use params::{LossGrad, ParamGrad, Tangent};
pub use refine::{refine, RefineInfo};
