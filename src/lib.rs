//! # lpgd
//!
//! Differentiable conic optimization. This crate is the facade over the
//! native solver [`lpgd_solver`] (re-exported as [`solver`], with its main
//! types at the top level) and the differentiation crate [`lpgd_diff`]
//! (re-exported as [`diff`]), and hosts the benchmark harness ([`bench`](mod@bench))
//! and the gradient report ([`grad`]) behind the `lpgd` command-line tool.
//!
//! Problems have the standard form
//!
//! ```text
//! minimize    ½xᵀPx + cᵀx + c₀
//! subject to  Ax + s = b,  s ∈ K
//! ```
//!
//! with `P` given by its upper triangle and `K` a product of
//! [`SupportedCone`]s laid out along the rows of `A`.
//!
//! ```
//! use lpgd::{CscMatrix, ProblemData, Settings, Solver, Status, SupportedCone};
//!
//! // minimize  x₁ + 2x₂  subject to  x₁ + x₂ = 1,  x₁ ≥ 0,  x₂ ≥ 0.
//! // Rows: the equality (zero cone), then −x + s = 0 with s ≥ 0.
//! let a = CscMatrix::from_triplets(
//!     3,
//!     2,
//!     &[0, 0, 1, 2],
//!     &[0, 1, 0, 1],
//!     &[1.0, 1.0, -1.0, -1.0],
//! )
//! .unwrap();
//! let prob = ProblemData::new(
//!     None,
//!     vec![1.0, 2.0],
//!     a,
//!     vec![1.0, 0.0, 0.0],
//!     vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)],
//! )
//! .unwrap();
//! let mut solver = Solver::new(prob, Settings::default()).unwrap();
//! let sol = solver.solve();
//! assert_eq!(sol.status, Status::Solved);
//! assert!((sol.objective - 1.0).abs() < 1e-6);
//! assert!((sol.x[0] - 1.0).abs() < 1e-6 && sol.x[1].abs() < 1e-6);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use lpgd_diff as diff;
pub use lpgd_solver as solver;
pub use lpgd_solver::{
    CscMatrix, Method, ProblemData, Settings, Solution, Solver, Start, Status, SupportedCone,
};

pub mod batch_bench;
pub mod bench;
pub mod experiments;
pub mod grad;
pub mod grad_bench;
pub mod rng;
