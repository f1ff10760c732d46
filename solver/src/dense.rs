//! Small dense kernels for the normal-equations backend
//! ([`crate::normal`]): a Cholesky factorization `M = LLᵀ` with dynamic
//! regularization, the triangular solves with `L` and `Lᵀ`, and the
//! four-column products they are built from.
//!
//! Matrices are column-major `n × n` slices (lower triangle used). Every
//! kernel works on blocks of four columns so that each load and store of
//! the updated vector carries four multiply-adds, and reductions run in
//! independent partial sums: on the tens-of-variables systems of learning
//! layers the scalar column-by-column loops were bound by load/store
//! traffic and by the latency of one accumulation chain, not by
//! arithmetic. The callers compile them for the widest vector instructions
//! the CPU has (`pulp` runtime dispatch); no fused multiply-add is formed,
//! so the results are the same at every vector width.

/// Columns per block.
const W: usize = 4;

/// `y ← y + (a₀c₀ + a₁c₁) + (a₂c₂ + a₃c₃)`, each `cₖ` at least as long as
/// `y`.
#[inline(always)]
pub fn axpy4(y: &mut [f64], c: [&[f64]; W], a: [f64; W]) {
    let len = y.len();
    let (c0, c1, c2, c3) = (&c[0][..len], &c[1][..len], &c[2][..len], &c[3][..len]);
    for ((((y, &u0), &u1), &u2), &u3) in y.iter_mut().zip(c0).zip(c1).zip(c2).zip(c3) {
        *y += (a[0] * u0 + a[1] * u1) + (a[2] * u2 + a[3] * u3);
    }
}

/// `y ← y + a·x`.
#[inline(always)]
pub fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `[c₀ᵀx, c₁ᵀx, c₂ᵀx, c₃ᵀx]`, each `cₖ` at least as long as `x`, with
/// four partial sums per column.
#[inline(always)]
pub fn dot4(c: [&[f64]; W], x: &[f64]) -> [f64; W] {
    let len = x.len();
    let head = len - len % 4;
    let mut acc = [[0.0f64; 4]; W];
    for (k, col) in c.iter().enumerate() {
        let col = &col[..len];
        for (u, v) in col[..head].chunks_exact(4).zip(x[..head].chunks_exact(4)) {
            for l in 0..4 {
                acc[k][l] += u[l] * v[l];
            }
        }
    }
    let mut out = [0.0; W];
    for (k, col) in c.iter().enumerate() {
        let mut s = (acc[k][0] + acc[k][1]) + (acc[k][2] + acc[k][3]);
        for (u, v) in col[head..len].iter().zip(&x[head..]) {
            s += u * v;
        }
        out[k] = s;
    }
    out
}

/// `xᵀy` with four partial sums.
#[inline(always)]
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    let len = x.len().min(y.len());
    let head = len - len % 4;
    let mut acc = [0.0f64; 4];
    for (u, v) in x[..head].chunks_exact(4).zip(y[..head].chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += u[l] * v[l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (u, v) in x[head..len].iter().zip(&y[head..len]) {
        s += u * v;
    }
    s
}

/// The slice of column `j` of an `n`-row column-major matrix from row
/// `from` to the end.
#[inline(always)]
fn col(a: &[f64], n: usize, j: usize, from: usize) -> &[f64] {
    &a[j * n + from..(j + 1) * n]
}

/// Columns `j0..j0 + 4` of an `n`-row column-major matrix from row `from`.
#[inline(always)]
pub fn cols4(a: &[f64], n: usize, j0: usize, from: usize) -> [&[f64]; W] {
    [
        col(a, n, j0, from),
        col(a, n, j0 + 1, from),
        col(a, n, j0 + 2, from),
        col(a, n, j0 + 3, from),
    ]
}

/// `[−v[j0], −v[j0 + 1], −v[j0 + 2], −v[j0 + 3]]`.
#[inline(always)]
fn neg4(v: &[f64], j0: usize) -> [f64; W] {
    [-v[j0], -v[j0 + 1], -v[j0 + 2], -v[j0 + 3]]
}

/// In-place Cholesky factorization `M = LLᵀ` of the lower triangle of the
/// column-major `n × n` matrix `a` (the strict upper triangle is neither
/// read nor written). Right-looking by blocks of four columns: a block is
/// factored column by column, then the trailing lower triangle receives
/// one rank-4 update per column.
///
/// **Dynamic regularization** (as faer's `LLᵀ`): when `eps > 0` and
/// `delta > 0`, a pivot `≤ eps` is replaced by `delta`. Writes the
/// reciprocals of `L`'s diagonal into `inv_diag`. Returns the index of the
/// first pivot that is not positive and finite.
#[inline(always)]
pub fn cholesky_in_place(
    a: &mut [f64],
    n: usize,
    inv_diag: &mut [f64],
    eps: f64,
    delta: f64,
) -> Result<(), usize> {
    let regularize = eps > 0.0 && delta > 0.0;
    let mut j0 = 0;
    while j0 < n {
        let w = (n - j0).min(W);
        for q in 0..w {
            let j = j0 + q;
            let (done, rest) = a.split_at_mut(j * n);
            let cj = &mut rest[j..n];
            for k in j0..j {
                axpy(cj, -done[k * n + j], col(done, n, k, j));
            }
            let mut d = cj[0];
            if regularize && d <= eps {
                d = delta;
            }
            if !(d > 0.0 && d.is_finite()) {
                return Err(j);
            }
            let l = d.sqrt();
            let inv = l.recip();
            cj[0] = l;
            for v in &mut cj[1..] {
                *v *= inv;
            }
            inv_diag[j] = inv;
        }
        let (panel, trail) = a.split_at_mut((j0 + w) * n);
        for (t, cj) in trail.chunks_exact_mut(n).enumerate() {
            let j = j0 + w + t;
            let cj = &mut cj[j..];
            if w == W {
                let s = [
                    -panel[j0 * n + j],
                    -panel[(j0 + 1) * n + j],
                    -panel[(j0 + 2) * n + j],
                    -panel[(j0 + 3) * n + j],
                ];
                axpy4(cj, cols4(panel, n, j0, j), s);
            } else {
                for k in j0..j0 + w {
                    axpy(cj, -panel[k * n + j], col(panel, n, k, j));
                }
            }
        }
        j0 += w;
    }
    Ok(())
}

/// `x ← L⁻¹x` for the lower-triangular column-major `L` (`n × n`) with
/// `inv_diag` the reciprocals of its diagonal: forward substitution by
/// blocks of four columns.
#[inline(always)]
pub fn solve_lower_in_place(l: &[f64], n: usize, inv_diag: &[f64], x: &mut [f64]) {
    let mut j0 = 0;
    while j0 < n {
        let w = (n - j0).min(W);
        for q in 0..w {
            let j = j0 + q;
            x[j] *= inv_diag[j];
            let xj = x[j];
            for p in q + 1..w {
                x[j0 + p] -= l[j * n + j0 + p] * xj;
            }
        }
        let (head, tail) = x[..n].split_at_mut(j0 + w);
        if w == W {
            axpy4(tail, cols4(l, n, j0, j0 + W), neg4(head, j0));
        } else {
            for k in j0..j0 + w {
                axpy(tail, -head[k], col(l, n, k, j0 + w));
            }
        }
        j0 += w;
    }
}

/// `x ← L⁻ᵀx` (backward substitution with `Lᵀ`) for the `L` of
/// [`solve_lower_in_place`], by blocks of four columns from the last.
#[inline(always)]
pub fn solve_lower_transpose_in_place(l: &[f64], n: usize, inv_diag: &[f64], x: &mut [f64]) {
    if n == 0 {
        return;
    }
    let mut j0 = (n - 1) / W * W;
    loop {
        let w = (n - j0).min(W);
        let (head, tail) = x[..n].split_at_mut(j0 + w);
        if w == W {
            let t = dot4(cols4(l, n, j0, j0 + W), tail);
            for (v, t) in head[j0..].iter_mut().zip(t) {
                *v -= t;
            }
        } else {
            for k in j0..j0 + w {
                head[k] -= dot(col(l, n, k, j0 + w), tail);
            }
        }
        for q in (0..w).rev() {
            let j = j0 + q;
            let mut v = head[j];
            for p in q + 1..w {
                v -= l[j * n + j0 + p] * head[j0 + p];
            }
            head[j] = v * inv_diag[j];
        }
        if j0 == 0 {
            break;
        }
        j0 -= W;
    }
}

/// `[c₀ᵀx, …]` on each lane of `x` (rows of `L` interleaved columns), with
/// the arithmetic of [`dot`] on every lane.
#[inline(always)]
fn dot_lanes<const L: usize>(col: &[f64], x: &[[f64; L]]) -> [f64; L] {
    let len = x.len().min(col.len());
    let head = len - len % 4;
    let mut acc = [[0.0f64; L]; 4];
    for (u, v) in col[..head].chunks_exact(4).zip(x[..head].chunks_exact(4)) {
        for l in 0..4 {
            for c in 0..L {
                acc[l][c] += u[l] * v[l][c];
            }
        }
    }
    let mut s = [0.0; L];
    for c in 0..L {
        s[c] = (acc[0][c] + acc[1][c]) + (acc[2][c] + acc[3][c]);
    }
    for (u, v) in col[head..len].iter().zip(&x[head..len]) {
        for c in 0..L {
            s[c] += u * v[c];
        }
    }
    s
}

/// [`solve_lower_in_place`] on each lane of `x` (rows of `L` interleaved
/// right-hand sides), with its arithmetic on every lane.
#[inline(always)]
pub fn solve_lower_lanes<const L: usize>(
    l: &[f64],
    n: usize,
    inv_diag: &[f64],
    x: &mut [[f64; L]],
) {
    let mut j0 = 0;
    while j0 < n {
        let w = (n - j0).min(W);
        for q in 0..w {
            let j = j0 + q;
            for c in 0..L {
                x[j][c] *= inv_diag[j];
            }
            let xj = x[j];
            for p in q + 1..w {
                let lv = l[j * n + j0 + p];
                for c in 0..L {
                    x[j0 + p][c] -= lv * xj[c];
                }
            }
        }
        let (head, tail) = x[..n].split_at_mut(j0 + w);
        let mut a = [[0.0; L]; W];
        for (q, a) in a.iter_mut().enumerate().take(w) {
            for c in 0..L {
                a[c] = -head[j0 + q][c];
            }
        }
        if w == W {
            let [c0, c1, c2, c3] = cols4(l, n, j0, j0 + W);
            for ((((y, &u0), &u1), &u2), &u3) in tail.iter_mut().zip(c0).zip(c1).zip(c2).zip(c3) {
                for c in 0..L {
                    y[c] += (a[0][c] * u0 + a[1][c] * u1) + (a[2][c] * u2 + a[3][c] * u3);
                }
            }
        } else {
            for (q, a) in a.iter().enumerate().take(w) {
                for (y, &u) in tail.iter_mut().zip(col(l, n, j0 + q, j0 + w)) {
                    for c in 0..L {
                        y[c] += a[c] * u;
                    }
                }
            }
        }
        j0 += w;
    }
}

/// [`solve_lower_transpose_in_place`] on each lane of `x`, with its
/// arithmetic on every lane.
#[inline(always)]
pub fn solve_lower_transpose_lanes<const L: usize>(
    l: &[f64],
    n: usize,
    inv_diag: &[f64],
    x: &mut [[f64; L]],
) {
    if n == 0 {
        return;
    }
    let mut j0 = (n - 1) / W * W;
    loop {
        let w = (n - j0).min(W);
        let (head, tail) = x[..n].split_at_mut(j0 + w);
        for k in j0..j0 + w {
            let t = dot_lanes(col(l, n, k, j0 + w), tail);
            for c in 0..L {
                head[k][c] -= t[c];
            }
        }
        for q in (0..w).rev() {
            let j = j0 + q;
            let mut v = head[j];
            for p in q + 1..w {
                let lv = l[j * n + j0 + p];
                for c in 0..L {
                    v[c] -= lv * head[j0 + p][c];
                }
            }
            for c in 0..L {
                head[j][c] = v[c] * inv_diag[j];
            }
        }
        if j0 == 0 {
            break;
        }
        j0 -= W;
    }
}

/// The three dense kernels of a Schur-complement KKT backend
/// ([`crate::normal`], [`crate::dual_normal`]); each runs through
/// [`Kernel`], compiled for the widest vector instructions the CPU has.
pub(crate) trait SchurKernels {
    /// Assembles the Schur complement and factors it (the numeric part of
    /// `QuasiDefiniteLdl::factor` once the data are in place).
    fn assemble_and_factor(&mut self, eps: f64, delta: f64) -> Result<(), String>;
    /// The solve of `QuasiDefiniteLdl::solve_in_place` without scaling.
    fn solve_scaled(&mut self, rhs: &mut [f64]);
    /// The product of `QuasiDefiniteLdl::mul_unregularized`.
    fn mul_body(&self, y: &mut [f64], x: &[f64], static_reg: f64);
}

/// One call of a [`SchurKernels`] method, run by `pulp`'s runtime dispatch
/// (no fused multiply-add is formed, so the results do not depend on the
/// instruction set).
pub(crate) enum Kernel<'a, T> {
    Factor(&'a mut T, f64, f64),
    Solve(&'a mut T, &'a mut [f64]),
    Mul(&'a T, &'a mut [f64], &'a [f64], f64),
}

impl<T: SchurKernels> pulp::WithSimd for Kernel<'_, T> {
    type Output = Result<(), String>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
        match self {
            Kernel::Factor(k, eps, delta) => k.assemble_and_factor(eps, delta),
            Kernel::Solve(k, rhs) => {
                k.solve_scaled(rhs);
                Ok(())
            }
            Kernel::Mul(k, y, x, reg) => {
                k.mul_body(y, x, reg);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_spd(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let g: Vec<f64> = (0..n * n).map(|_| rnd()).collect();
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                m[i + n * j] = (0..n).map(|k| g[i + n * k] * g[j + n * k]).sum::<f64>();
            }
            m[i + n * i] += 0.5;
        }
        m
    }

    #[test]
    fn cholesky_and_solves_invert_the_matrix() {
        for n in [0, 1, 3, 4, 5, 8, 11, 50] {
            let m = random_spd(n, n as u64 + 3);
            let mut l = m.clone();
            let mut inv = vec![0.0; n];
            cholesky_in_place(&mut l, n, &mut inv, 0.0, 0.0).unwrap();
            for j in 0..n {
                for i in j..n {
                    let llt: f64 = (0..=j).map(|k| l[i + n * k] * l[j + n * k]).sum();
                    assert!(
                        (llt - m[i + n * j]).abs() < 1e-12 * n as f64,
                        "n={n} ({i},{j})"
                    );
                }
            }
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin()).collect();
            let mut x = b.clone();
            solve_lower_in_place(&l, n, &inv, &mut x);
            solve_lower_transpose_in_place(&l, n, &inv, &mut x);
            for i in 0..n {
                let mx: f64 = (0..n).map(|j| m[i + n * j] * x[j]).sum();
                assert!((mx - b[i]).abs() < 1e-10, "n={n} row {i}");
            }
        }
    }

    #[test]
    fn small_pivots_are_regularized_or_reported() {
        // A singular 6 × 6 matrix: rank one.
        let n = 6;
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                m[i + n * j] = 1.0;
            }
        }
        let mut inv = vec![0.0; n];
        let mut l = m.clone();
        assert_eq!(cholesky_in_place(&mut l, n, &mut inv, 0.0, 0.0), Err(1));
        let mut l = m.clone();
        cholesky_in_place(&mut l, n, &mut inv, 1e-13, 1e-7).unwrap();
        assert!(inv.iter().all(|v| v.is_finite() && *v > 0.0));
        let mut nan = m.clone();
        nan[0] = f64::NAN;
        assert_eq!(
            cholesky_in_place(&mut nan, n, &mut inv, 1e-13, 1e-7),
            Err(0)
        );
    }

    #[test]
    fn block_products_match_scalar_loops() {
        let cols: Vec<Vec<f64>> = (0..4)
            .map(|k| (0..13).map(|i| ((i * 7 + k * 3) as f64).cos()).collect())
            .collect();
        let x: Vec<f64> = (0..13).map(|i| (i as f64).sin()).collect();
        let c = [&cols[0][..], &cols[1][..], &cols[2][..], &cols[3][..]];
        let d = dot4(c, &x);
        for k in 0..4 {
            let want: f64 = cols[k].iter().zip(&x).map(|(a, b)| a * b).sum();
            assert!((d[k] - want).abs() < 1e-13);
            assert!((dot(&cols[k], &x) - want).abs() < 1e-13);
        }
        let mut y = x.clone();
        axpy4(&mut y, c, [1.0, -2.0, 0.5, 3.0]);
        for i in 0..13 {
            let want = x[i] + cols[0][i] - 2.0 * cols[1][i] + 0.5 * cols[2][i] + 3.0 * cols[3][i];
            assert!((y[i] - want).abs() < 1e-13);
        }
    }
}
