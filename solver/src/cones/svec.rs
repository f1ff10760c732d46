//! The scaled upper-triangular vectorization of symmetric matrices used by
//! the [`PositiveSemidefinite`](super::SupportedCone::PositiveSemidefinite)
//! cone.
//!
//! A symmetric `n × n` matrix `X` is stored as the `n(n+1)/2` entries of its
//! upper triangle, column by column, with off-diagonal entries multiplied by
//! `√2`:
//!
//! `svec(X) = (X₁₁, √2·X₁₂, X₂₂, √2·X₁₃, √2·X₂₃, X₃₃, …)`.
//!
//! The scaling makes `svec` an isometry: `⟨svec X, svec Y⟩ = tr(XY)`, so the
//! cone is self-dual in this vectorization. Indices below are 0-based; entry
//! `(i, j)` with `i ≤ j` sits at position `j(j+1)/2 + i`.
//!
//! ```
//! use lpgd_solver::cones::svec;
//! // [[1, 2], [2, 3]] ↦ (1, 2√2, 3)
//! let v = svec::to_svec(2, &[1.0, 2.0, 2.0, 3.0]);
//! assert_eq!(v.len(), svec::triangle_dim(2));
//! assert!((v[1] - 2.0 * 2f64.sqrt()).abs() < 1e-15);
//! assert_eq!(svec::from_svec(2, &v), vec![1.0, 2.0, 2.0, 3.0]);
//! ```

use std::f64::consts::SQRT_2;

/// `n(n+1)/2`, the length of `svec` of an `n × n` matrix.
#[inline]
pub fn triangle_dim(n: usize) -> usize {
    n * (n + 1) / 2
}

/// The side `n` with `n(n+1)/2 = len`, if there is one.
pub fn side_of(len: usize) -> Option<usize> {
    let n = (((8 * len + 1) as f64).sqrt() as usize).saturating_sub(1) / 2;
    (n.saturating_sub(1)..=n + 1).find(|&k| triangle_dim(k) == len)
}

/// Position of entry `(i, j)` (either order) in `svec`.
#[inline]
pub fn index(i: usize, j: usize) -> usize {
    let (i, j) = if i <= j { (i, j) } else { (j, i) };
    j * (j + 1) / 2 + i
}

/// `svec(X)` for a symmetric `n × n` matrix given column-major in `x`
/// (only its upper triangle is read).
pub fn to_svec(n: usize, x: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; triangle_dim(n)];
    to_svec_into(n, x, &mut v);
    v
}

/// [`to_svec`] into a preallocated `out` of length `n(n+1)/2`.
pub fn to_svec_into(n: usize, x: &[f64], out: &mut [f64]) {
    let mut k = 0;
    for j in 0..n {
        for i in 0..=j {
            let scale = if i == j { 1.0 } else { SQRT_2 };
            out[k] = scale * x[i + j * n];
            k += 1;
        }
    }
}

/// The symmetric matrix (column-major, `n × n`) with `svec(X) = v`.
pub fn from_svec(n: usize, v: &[f64]) -> Vec<f64> {
    let mut x = vec![0.0; n * n];
    from_svec_into(n, v, &mut x);
    x
}

/// [`from_svec`] into a preallocated `n × n` column-major `out`.
pub fn from_svec_into(n: usize, v: &[f64], out: &mut [f64]) {
    let mut k = 0;
    for j in 0..n {
        for i in 0..=j {
            let val = if i == j { v[k] } else { v[k] / SQRT_2 };
            out[i + j * n] = val;
            out[j + i * n] = val;
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isometry_and_roundtrip() {
        let n = 4;
        let mut a = vec![0.0; n * n];
        let mut b = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..=j {
                let (p, q) = (
                    ((i * 7 + j * 3) as f64 * 0.37).sin(),
                    ((i + 2 * j) as f64).cos(),
                );
                a[i + j * n] = p;
                a[j + i * n] = p;
                b[i + j * n] = q;
                b[j + i * n] = q;
            }
        }
        let tr: f64 = (0..n * n).map(|k| a[k] * b[k]).sum();
        let (va, vb) = (to_svec(n, &a), to_svec(n, &b));
        let dot: f64 = va.iter().zip(&vb).map(|(x, y)| x * y).sum();
        assert!((tr - dot).abs() < 1e-13);
        for (x, y) in from_svec(n, &va).iter().zip(&a) {
            assert!((x - y).abs() < 1e-15);
        }
        for (i, j) in [(0, 0), (0, 1), (1, 1), (0, 2), (2, 1), (3, 3)] {
            assert_eq!(index(i, j), index(j, i));
        }
        assert_eq!(index(1, 2), 4);
        for len in 0..60 {
            let expect = (0..12).find(|&k| triangle_dim(k) == len);
            assert_eq!(side_of(len), expect);
        }
    }
}
