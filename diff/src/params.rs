//! Vectors over the problem data `w = (P, c, A, b)` and over the solution
//! `z = (x, y, s)`: gradients, directions and tangents.

use crate::error::{check_vec, DiffError};
use lpgd_solver::ProblemData;

/// A vector over the standard-form data `(P, c, A, b)`: a gradient of a
/// loss with respect to the data, or a direction in data space (forward
/// mode). `p` and `a` hold one value per *stored* entry of `P` (upper
/// triangle) and `A`, in their storage order (column-major, rows increasing
/// within a column), so entries outside the sparsity patterns are never
/// represented.
///
/// For `P` a stored off-diagonal entry `p_ij` (`i < j`) stands for both
/// `P_ij` and `P_ji`: the gradient with respect to it is the sum of the
/// gradients with respect to the two symmetric entries.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamGrad {
    /// With respect to the stored entries of `P`.
    pub p: Vec<f64>,
    /// With respect to `c`.
    pub c: Vec<f64>,
    /// With respect to the stored entries of `A`.
    pub a: Vec<f64>,
    /// With respect to `b`.
    pub b: Vec<f64>,
}

impl ParamGrad {
    /// `Ok(self)` if every entry is finite, else
    /// [`DiffError::ResultNotFinite`].
    pub(crate) fn finite(self) -> Result<Self, DiffError> {
        let all = self.p.iter().chain(&self.c).chain(&self.a).chain(&self.b);
        match all.clone().position(|v| !v.is_finite()) {
            None => Ok(self),
            Some(index) => Err(DiffError::ResultNotFinite {
                what: "gradient",
                index,
            }),
        }
    }

    /// All zeros, shaped like `prob`.
    pub fn zeros(prob: &ProblemData) -> Self {
        ParamGrad {
            p: vec![0.0; prob.p.nnz()],
            c: vec![0.0; prob.n()],
            a: vec![0.0; prob.a.nnz()],
            b: vec![0.0; prob.m()],
        }
    }

    /// Checks that the shapes match `prob` and every entry is finite.
    pub fn check(&self, prob: &ProblemData) -> Result<(), DiffError> {
        check_vec(&self.p, prob.p.nnz(), "dP")?;
        check_vec(&self.c, prob.n(), "dc")?;
        check_vec(&self.a, prob.a.nnz(), "dA")?;
        check_vec(&self.b, prob.m(), "db")
    }

    /// The four blocks, in the order `p, c, a, b`.
    pub fn blocks(&self) -> [&[f64]; 4] {
        [&self.p, &self.c, &self.a, &self.b]
    }

    /// Euclidean inner product over all blocks.
    pub fn dot(&self, other: &ParamGrad) -> f64 {
        self.blocks()
            .iter()
            .zip(other.blocks())
            .map(|(u, v)| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>())
            .sum()
    }

    /// Euclidean norm over all blocks.
    pub fn norm(&self) -> f64 {
        self.dot(self).sqrt()
    }

    /// `‖self − other‖ / max(‖other‖, floor)`.
    pub fn rel_error(&self, other: &ParamGrad, floor: f64) -> f64 {
        let mut diff = self.clone();
        diff.axpy(-1.0, other);
        diff.norm() / other.norm().max(floor)
    }

    /// `self ← self + alpha·other`.
    pub fn axpy(&mut self, alpha: f64, other: &ParamGrad) {
        for (u, v) in [
            (&mut self.p, &other.p),
            (&mut self.c, &other.c),
            (&mut self.a, &other.a),
            (&mut self.b, &other.b),
        ] {
            for (a, b) in u.iter_mut().zip(v) {
                *a += alpha * b;
            }
        }
    }

    /// `self ← alpha·self`.
    pub fn scale(&mut self, alpha: f64) {
        for u in [&mut self.p, &mut self.c, &mut self.a, &mut self.b] {
            for a in u.iter_mut() {
                *a *= alpha;
            }
        }
    }
}

/// The gradient `(∇ₓℓ, ∇ᵧℓ, ∇ₛℓ)` of a loss `ℓ(x, y, s)` at the forward
/// solution. Missing parts are zero.
///
/// ```
/// use lpgd_diff::LossGrad;
/// let g = LossGrad::on_x(vec![1.0, -1.0]);
/// assert!(g.dy.is_none() && g.ds.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossGrad {
    /// `∇ₓℓ`, length `n`.
    pub dx: Option<Vec<f64>>,
    /// `∇ᵧℓ`, length `m`.
    pub dy: Option<Vec<f64>>,
    /// `∇ₛℓ`, length `m`.
    pub ds: Option<Vec<f64>>,
}

impl LossGrad {
    /// A loss on the primal variables only.
    pub fn on_x(dx: Vec<f64>) -> Self {
        LossGrad {
            dx: Some(dx),
            ..Default::default()
        }
    }

    /// Checks lengths (`n` for `dx`, `m` for `dy` and `ds`) and finiteness.
    pub fn check(&self, n: usize, m: usize) -> Result<(), DiffError> {
        if let Some(v) = &self.dx {
            check_vec(v, n, "dx")?;
        }
        if let Some(v) = &self.dy {
            check_vec(v, m, "dy")?;
        }
        if let Some(v) = &self.ds {
            check_vec(v, m, "ds")?;
        }
        Ok(())
    }

    /// The loss gradient as a tangent-shaped triple with zeros filled in.
    pub fn dense(&self, n: usize, m: usize) -> Tangent {
        let get = |v: &Option<Vec<f64>>, len| v.clone().unwrap_or_else(|| vec![0.0; len]);
        Tangent {
            dx: get(&self.dx, n),
            dy: get(&self.dy, m),
            ds: get(&self.ds, m),
        }
    }
}

/// A change of the solution `(dx, dy, ds)`: the result of a forward-mode
/// derivative (Jacobian-vector product).
#[derive(Debug, Clone, PartialEq)]
pub struct Tangent {
    /// Change of `x`.
    pub dx: Vec<f64>,
    /// Change of `y`.
    pub dy: Vec<f64>,
    /// Change of `s`.
    pub ds: Vec<f64>,
}

impl Tangent {
    /// `Ok(self)` if every entry is finite, else
    /// [`DiffError::ResultNotFinite`].
    pub(crate) fn finite(self) -> Result<Self, DiffError> {
        let all = self.dx.iter().chain(&self.dy).chain(&self.ds);
        match all.clone().position(|v| !v.is_finite()) {
            None => Ok(self),
            Some(index) => Err(DiffError::ResultNotFinite {
                what: "tangent",
                index,
            }),
        }
    }

    /// `⟨self, g⟩` over the three blocks: the directional derivative of a
    /// loss with gradient `g`.
    pub fn dot(&self, g: &Tangent) -> f64 {
        [(&self.dx, &g.dx), (&self.dy, &g.dy), (&self.ds, &g.ds)]
            .iter()
            .map(|(u, v)| u.iter().zip(v.iter()).map(|(a, b)| a * b).sum::<f64>())
            .sum()
    }
}
