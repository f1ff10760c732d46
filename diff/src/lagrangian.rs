//! The Lagrangian of the standard-form problem and its gradient with
//! respect to the data.
//!
//! ```text
//! L(x, s, y; P, c, A, b) = ½xᵀPx + cᵀx + yᵀ(Ax + s − b)
//! ∇_c L = x,   ∇_b L = −y,   ∇_A L = y xᵀ (on A's pattern),   ∇_P L = ½ x xᵀ
//! ```
//!
//! With `P` stored by its upper triangle, a stored off-diagonal entry
//! `p_ij` stands for `P_ij` and `P_ji`, so its gradient is
//! `½x_i x_j + ½x_j x_i = x_i x_j`, and a diagonal entry's is `½x_i²`.
//! LPGD's gradients are differences of these gradients at two points
//! (paper §3.4, eq. 16 and 22).

use crate::params::ParamGrad;
use lpgd_solver::ProblemData;

/// `∇_w L(x, y)` (the slack does not enter).
///
/// ```
/// use lpgd_diff::lagrangian::gradient;
/// use lpgd_solver::{CscMatrix, ProblemData, SupportedCone};
/// let p = CscMatrix::from_triplets(2, 2, &[0, 0, 1], &[0, 1, 1], &[2.0, 1.0, 3.0]).unwrap();
/// let a = CscMatrix::from_triplets(1, 2, &[0, 0], &[0, 1], &[1.0, 1.0]).unwrap();
/// let prob = ProblemData::new(Some(p), vec![0.0; 2], a, vec![1.0], vec![SupportedCone::Zero(1)]).unwrap();
/// let g = gradient(&prob, &[1.0, 2.0], &[3.0]);
/// assert_eq!(g.p, [0.5, 2.0, 2.0]); // ½x₁², x₁x₂, ½x₂²
/// assert_eq!(g.c, [1.0, 2.0]);
/// assert_eq!(g.a, [3.0, 6.0]);
/// assert_eq!(g.b, [-3.0]);
/// ```
pub fn gradient(prob: &ProblemData, x: &[f64], y: &[f64]) -> ParamGrad {
    let mut g = ParamGrad::zeros(prob);
    difference_into(prob, (x, y), None, 1.0, &mut g);
    g
}

/// `scale·(∇_w L(z₁) − ∇_w L(z₀))`, each entry computed as one difference
/// (`x₁ᵢx₁ⱼ − x₀ᵢx₀ⱼ`, …) before scaling.
pub fn difference(
    prob: &ProblemData,
    z1: (&[f64], &[f64]),
    z0: (&[f64], &[f64]),
    scale: f64,
) -> ParamGrad {
    let mut g = ParamGrad::zeros(prob);
    difference_into(prob, z1, Some(z0), scale, &mut g);
    g
}

fn difference_into(
    prob: &ProblemData,
    (x1, y1): (&[f64], &[f64]),
    z0: Option<(&[f64], &[f64])>,
    scale: f64,
    g: &mut ParamGrad,
) {
    let zero_x = vec![0.0; x1.len()];
    let zero_y = vec![0.0; y1.len()];
    let (x0, y0) = z0.unwrap_or((&zero_x, &zero_y));
    for (j, w) in prob.p.colptr.windows(2).enumerate() {
        for k in w[0]..w[1] {
            let i = prob.p.rowval[k];
            let half = if i == j { 0.5 } else { 1.0 };
            g.p[k] = scale * half * (x1[i] * x1[j] - x0[i] * x0[j]);
        }
    }
    for j in 0..x1.len() {
        g.c[j] = scale * (x1[j] - x0[j]);
    }
    for (j, w) in prob.a.colptr.windows(2).enumerate() {
        for k in w[0]..w[1] {
            let i = prob.a.rowval[k];
            g.a[k] = scale * (y1[i] * x1[j] - y0[i] * x0[j]);
        }
    }
    for i in 0..y1.len() {
        g.b[i] = -scale * (y1[i] - y0[i]);
    }
}
