//! # lpgd-solver
//!
//! A native Rust conic solver for
//!
//! ```text
//! minimize    ½xᵀPx + cᵀx
//! subject to  Ax + s = b,  s ∈ K
//! ```
//!
//! with `K` a product of zero, nonnegative, second-order, exponential, power
//! and positive semidefinite cones ([`SupportedCone`]), by a primal-dual
//! interior-point method on the homogeneous self-dual embedding extended to
//! quadratic objectives ([`hsde`]). Symmetric cones use Nesterov-Todd
//! scaling; the exponential and power cones use a primal-dual scaling with a
//! third-order correction ([`cones::nonsymmetric`]). The solver keeps its symbolic
//! factorization across iterations and across re-solves with new data of the
//! same sparsity pattern ([`Solver::update_c`], [`Solver::update_b`],
//! [`Solver::update_a_values`], [`Solver::update_p_values`]), which is what
//! the differentiation crate builds on.
//!
//! ```
//! use lpgd_solver::{CscMatrix, ProblemData, Settings, Solver, Status, SupportedCone};
//! // minimize x₁ + x₂ subject to x₁ + x₂ = 1, x ≥ 0 (x ≥ 0 as −x + s = 0, s ≥ 0)
//! let a = CscMatrix::from_triplets(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 1], &[1.0, 1.0, -1.0, -1.0]).unwrap();
//! let prob = ProblemData::new(
//!     None,
//!     vec![1.0, 1.0],
//!     a,
//!     vec![1.0, 0.0, 0.0],
//!     vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)],
//! ).unwrap();
//! let mut solver = Solver::new(prob, Settings::default()).unwrap();
//! let sol = solver.solve();
//! assert_eq!(sol.status, Status::Solved);
//! assert!((sol.objective - 1.0).abs() < 1e-7);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Index loops mirror the formulas (several arrays indexed together).
#![allow(clippy::needless_range_loop)]

pub mod admm;
pub mod batch;
pub mod cones;
pub mod csc;
pub mod dense;
pub mod dual_normal;
pub mod equilibrate;
pub mod error;
pub mod hsde;
pub mod io;
pub mod kkt;
pub mod ldl;
pub mod matvec;
pub mod normal;
pub mod problem;
pub mod projection;
mod residuals;
pub mod settings;
pub mod solution;
mod solver;

pub use admm::{AdmmSolver, Start};
pub use cones::SupportedCone;
pub use csc::CscMatrix;
pub use error::{MatrixName, ProblemError, ReadError, SolverError};
pub use hsde::InteriorPointSolver;
pub use problem::ProblemData;
pub use settings::{AdmmSettings, KktBackend, Method, Settings};
pub use solution::{Certificate, Residuals, Solution, Status, Timings};
pub use solver::Solver;
