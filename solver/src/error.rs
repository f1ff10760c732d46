//! Typed errors for problem validation, file reading and solver setup.

use thiserror::Error;

/// Which matrix of the problem data an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixName {
    /// The quadratic cost matrix `P` (upper triangle).
    P,
    /// The constraint matrix `A`.
    A,
}

impl std::fmt::Display for MatrixName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatrixName::P => write!(f, "P"),
            MatrixName::A => write!(f, "A"),
        }
    }
}

/// A problem that is not a valid instance of
/// minimize ½xᵀPx + cᵀx subject to Ax + s = b, s ∈ K.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProblemError {
    /// A matrix or vector has the wrong size.
    #[error("dimension mismatch: {what} has {found} but {expected} expected")]
    Dimension {
        /// Which object.
        what: &'static str,
        /// Size expected from the rest of the data.
        expected: usize,
        /// Size given.
        found: usize,
    },
    /// `P` is not square.
    #[error("P must be square, found {rows}x{cols}")]
    PNotSquare {
        /// Rows of `P`.
        rows: usize,
        /// Columns of `P`.
        cols: usize,
    },
    /// `P` has an entry strictly below the diagonal.
    #[error("P must be given by its upper triangle: entry at row {row}, column {col} is below the diagonal")]
    PNotUpperTriangular {
        /// Row of the offending entry.
        row: usize,
        /// Column of the offending entry.
        col: usize,
    },
    /// `P` has a negative diagonal entry, so it is not positive semidefinite.
    #[error(
        "P is not positive semidefinite: diagonal entry at row {index}, column {index} is {value}"
    )]
    PNotPsd {
        /// Row and column of the diagonal entry.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// `P` has a nonnegative diagonal but is not positive semidefinite: the
    /// Cholesky factorization of `P + shift·I` breaks down (see
    /// [`crate::problem::check_p_psd`]).
    #[error(
        "P is not positive semidefinite: the Cholesky factorization of P + {shift:e}·I breaks down"
    )]
    PIndefinite {
        /// The diagonal shift used by the test.
        shift: f64,
    },
    /// A matrix entry is NaN or infinite.
    #[error("non-finite value {value} in {matrix} at row {row}, column {col}")]
    NonFiniteMatrix {
        /// Which matrix.
        matrix: MatrixName,
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// The value.
        value: f64,
    },
    /// A vector entry is NaN or infinite.
    #[error("non-finite value {value} in {vector} at index {index}")]
    NonFiniteVector {
        /// `"c"` or `"b"`.
        vector: &'static str,
        /// Position in the vector.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The step size of a warm start ([`crate::Start::PointAt`]) is not
    /// positive and finite.
    #[error("warm-start step size must be positive and finite, got {value}")]
    InvalidStepSize {
        /// The value.
        value: f64,
    },
    /// The compressed-column structure of a matrix is broken.
    #[error("invalid sparse structure of {matrix}: {reason}")]
    InvalidSparsity {
        /// Which matrix.
        matrix: MatrixName,
        /// What is wrong.
        reason: String,
    },
    /// A triplet index is out of range.
    #[error(
        "entry {entry} of {matrix} at row {row}, column {col} is outside the {rows}x{cols} matrix"
    )]
    IndexOutOfRange {
        /// Which matrix.
        matrix: MatrixName,
        /// Position in the triplet list.
        entry: usize,
        /// Row given.
        row: usize,
        /// Column given.
        col: usize,
        /// Rows of the matrix.
        rows: usize,
        /// Columns of the matrix.
        cols: usize,
    },
    /// A matrix is too large to allocate (its column pointers alone).
    #[error("{matrix} of size {rows}x{cols} is too large to allocate")]
    TooLarge {
        /// Which matrix.
        matrix: MatrixName,
        /// Rows requested.
        rows: usize,
        /// Columns requested.
        cols: usize,
    },
    /// The cone dimensions do not add up to the rows of `A`.
    #[error("cone dimensions sum to {cone_rows} but A has {a_rows} rows")]
    ConeDimensionSum {
        /// Sum of the cone dimensions.
        cone_rows: usize,
        /// Rows of `A`.
        a_rows: usize,
    },
    /// A cone has an invalid size or parameter.
    #[error("cone {index} ({cone}) is invalid: {reason}")]
    InvalidCone {
        /// Position in the cone list.
        index: usize,
        /// Cone name.
        cone: String,
        /// What is wrong.
        reason: String,
    },
    /// A data update does not match the stored problem.
    #[error("data update rejected: {0}")]
    Update(String),
}

/// A file that cannot be read as a problem.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The file could not be opened or decompressed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file extension is not one of the supported formats.
    #[error(
        "unknown problem format for {path}: expected .mps, .qps, .cbf or .json (optionally .gz)"
    )]
    UnknownFormat {
        /// The path.
        path: String,
    },
    /// A syntax or semantic error at a given line of a text format.
    #[error("{format} line {line}: {message}")]
    Parse {
        /// `"MPS"` or `"CBF"`.
        format: &'static str,
        /// One-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An error in a JSON problem, with the JSON path of the offending value.
    #[error("JSON {path}: {message}")]
    Json {
        /// JSON path such as `$.A.rows[3]`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The file was parsed but the resulting problem is invalid.
    #[error("invalid problem: {0}")]
    Problem(#[from] ProblemError),
}

/// Errors raised while setting up or running the solver (not solver statuses).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SolverError {
    /// The problem data are invalid.
    #[error(transparent)]
    Problem(#[from] ProblemError),
    /// The settings are invalid.
    #[error("invalid setting {name}: {reason}")]
    Settings {
        /// Setting name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The method has no implementation of a cone in the problem.
    #[error("cone {index} ({cone}) is not supported by this method")]
    UnsupportedCone {
        /// Position in the problem's cone list.
        index: usize,
        /// Cone name.
        cone: &'static str,
    },
    /// The sparse factorization could not be set up (e.g. out of memory).
    #[error("linear solver: {0}")]
    LinearSolver(String),
}
