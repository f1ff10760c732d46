//! Type-II Anderson acceleration of a fixed-point iteration `w ← T(w)`
//! (Walker & Ni, "Anderson acceleration for fixed-point iterations", 2011;
//! Zhang, O'Donoghue & Boyd, "Globally convergent type-I Anderson
//! acceleration for nonsmooth fixed-point iterations", 2020, for the
//! safeguard).
//!
//! With residuals `gₖ = T(wₖ) − wₖ` and the last `M` differences
//! `Sₖ = [Δw]`, `Yₖ = [Δg]`, the accelerated iterate is
//!
//! `wₖ₊₁ = T(wₖ) − (Sₖ + Yₖ)γ`,  `γ = argmin ‖gₖ − Yₖγ‖² + λ‖γ‖²`,
//!
//! in the diagonal metric `‖v‖² = Σ rᵢvᵢ²` set by [`Anderson::set_metric`]
//! (the metric in which the accelerated map is nonexpansive; the identity by
//! default), with a Tikhonov weight `λ = 1e-10·‖Yₖ‖²_F` for conditioning. The small
//! Gram system `YᵀY + λI` is kept up to date one column at a time and solved
//! by a Cholesky factorization, so a step costs `O(M·dim + M³)` and no
//! allocation. The safeguard lives in the caller: if the residual after an
//! accelerated step exceeds the previous one, the caller returns to the
//! plain iterate and [`Anderson::reset`]s.

/// Memory and workspace of the acceleration.
#[derive(Debug, Clone)]
pub struct Anderson {
    dim: usize,
    mem: usize,
    /// Columns of `S` and `Y`, `mem × dim` each, used circularly.
    s: Vec<f64>,
    y: Vec<f64>,
    /// Gram matrix `YᵀY`, `mem × mem`.
    gram: Vec<f64>,
    chol: Vec<f64>,
    gamma: Vec<f64>,
    rhs: Vec<f64>,
    prev_w: Vec<f64>,
    prev_g: Vec<f64>,
    /// Diagonal of the metric of the least-squares problem.
    metric: Vec<f64>,
    /// Number of stored columns and the next column to overwrite.
    len: usize,
    next: usize,
    has_prev: bool,
}

impl Anderson {
    /// Acceleration of an iteration on vectors of length `dim` with memory
    /// `mem` (0 disables it).
    pub fn new(dim: usize, mem: usize) -> Self {
        Anderson {
            dim,
            mem,
            s: vec![0.0; mem * dim],
            y: vec![0.0; mem * dim],
            gram: vec![0.0; mem * mem],
            chol: vec![0.0; mem * mem],
            gamma: vec![0.0; mem],
            rhs: vec![0.0; mem],
            prev_w: vec![0.0; dim],
            prev_g: vec![0.0; dim],
            metric: vec![1.0; dim],
            len: 0,
            next: 0,
            has_prev: false,
        }
    }

    /// Sets the diagonal metric of the least-squares problem (positive
    /// entries, length `dim`); the stored Gram matrix is recomputed, the
    /// history kept.
    pub fn set_metric(&mut self, metric: &[f64]) {
        debug_assert_eq!(metric.len(), self.dim);
        self.metric.copy_from_slice(metric);
        for k in 0..self.len {
            for j in 0..=k {
                let v = wdot(
                    &self.y[k * self.dim..(k + 1) * self.dim],
                    &self.y[j * self.dim..(j + 1) * self.dim],
                    &self.metric,
                );
                self.gram[k * self.mem + j] = v;
                self.gram[j * self.mem + k] = v;
            }
        }
    }

    /// Forgets the history.
    pub fn reset(&mut self) {
        self.len = 0;
        self.next = 0;
        self.has_prev = false;
    }

    /// Keeps the stored differences but forgets the last point, so the next
    /// [`Anderson::step`] does not form a difference across a change of the
    /// map (a warm start after new `c` or `b`, which shifts `T` but leaves
    /// its differences, the secant information, nearly unchanged).
    pub fn forget_last(&mut self) {
        self.has_prev = false;
    }

    /// Records `(w, g = T(w) − w)` and overwrites `w` with the accelerated
    /// iterate; `tw = T(w)`. Returns false (and sets `w ← T(w)`) when no
    /// accelerated step is available (empty memory or a singular system).
    pub fn step(&mut self, w: &mut [f64], tw: &[f64], g: &[f64]) -> bool {
        debug_assert_eq!(w.len(), self.dim);
        if self.mem == 0 {
            w.copy_from_slice(tw);
            return false;
        }
        if self.has_prev {
            let (col, dim, mem) = (self.next, self.dim, self.mem);
            let sc = &mut self.s[col * dim..(col + 1) * dim];
            for ((s, &wi), &pw) in sc.iter_mut().zip(&*w).zip(&self.prev_w) {
                *s = wi - pw;
            }
            let yc = &mut self.y[col * dim..(col + 1) * dim];
            for ((y, &gi), &pg) in yc.iter_mut().zip(g).zip(&self.prev_g) {
                *y = gi - pg;
            }
            self.next = (self.next + 1) % mem;
            self.len = (self.len + 1).min(mem);
            // Refresh row/column `col` of the Gram matrix.
            let (y, gram) = (&self.y, &mut self.gram);
            let yk = |k: usize| &y[k * dim..(k + 1) * dim];
            for_each_wdot(
                self.len,
                |_| yk(col),
                yk,
                &self.metric,
                |k, v| {
                    gram[col * mem + k] = v;
                    gram[k * mem + col] = v;
                },
            );
        }
        self.prev_w.copy_from_slice(w);
        self.prev_g.copy_from_slice(g);
        self.has_prev = true;
        if self.len == 0 || !self.solve_gamma(g) {
            w.copy_from_slice(tw);
            return false;
        }
        w.copy_from_slice(tw);
        let dim = self.dim;
        for ((&gk, sk), yk) in self.gamma[..self.len]
            .iter()
            .zip(self.s.chunks_exact(dim))
            .zip(self.y.chunks_exact(dim))
        {
            for ((wi, &si), &yi) in w.iter_mut().zip(sk).zip(yk) {
                *wi -= gk * (si + yi);
            }
        }
        w.iter().all(|v| v.is_finite())
    }

    /// `γ = (YᵀY + λI)⁻¹Yᵀg` by a Cholesky factorization of the `len × len`
    /// Gram system.
    fn solve_gamma(&mut self, g: &[f64]) -> bool {
        let l = self.len;
        let mut trace = 0.0;
        for k in 0..l {
            trace += self.gram[k * self.mem + k];
        }
        let lambda = 1e-10 * trace + f64::MIN_POSITIVE;
        let (dim, y, rhs) = (self.dim, &self.y, &mut self.rhs);
        let yk = |k: usize| &y[k * dim..(k + 1) * dim];
        for_each_wdot(l, yk, |_| g, &self.metric, |k, v| rhs[k] = v);
        for k in 0..l {
            for j in 0..l {
                self.chol[k * l + j] = self.gram[k * self.mem + j];
            }
            self.chol[k * l + k] += lambda;
        }
        // In-place Cholesky (lower), then two triangular solves.
        for j in 0..l {
            let mut d = self.chol[j * l + j];
            for k in 0..j {
                d -= self.chol[j * l + k] * self.chol[j * l + k];
            }
            if d.is_nan() || d <= 0.0 {
                return false;
            }
            let d = d.sqrt();
            self.chol[j * l + j] = d;
            for i in j + 1..l {
                let mut v = self.chol[i * l + j];
                for k in 0..j {
                    v -= self.chol[i * l + k] * self.chol[j * l + k];
                }
                self.chol[i * l + j] = v / d;
            }
        }
        for i in 0..l {
            let mut v = self.rhs[i];
            for k in 0..i {
                v -= self.chol[i * l + k] * self.gamma[k];
            }
            self.gamma[i] = v / self.chol[i * l + i];
        }
        for i in (0..l).rev() {
            let mut v = self.gamma[i];
            for k in i + 1..l {
                v -= self.chol[k * l + i] * self.gamma[k];
            }
            self.gamma[i] = v / self.chol[i * l + i];
        }
        self.gamma[..l].iter().all(|v| v.is_finite())
    }
}

/// `Σ rᵢaᵢbᵢ`.
#[inline]
fn wdot(a: &[f64], b: &[f64], r: &[f64]) -> f64 {
    a.iter().zip(b).zip(r).map(|((x, y), w)| w * x * y).sum()
}

/// `[Σᵢ (rᵢ·a_c[i])·b_c[i]]_c` for `W` pairs of vectors of the length of `r`:
/// each sum bitwise that of [`wdot`] (index order, from `−0.0` like
/// `Iterator::sum`), the `W` sums side by side as independent chains.
#[inline]
fn wdots<const W: usize>(a: [&[f64]; W], b: [&[f64]; W], r: &[f64]) -> [f64; W] {
    let n = r.len();
    let (a, b) = (a.map(|v| &v[..n]), b.map(|v| &v[..n]));
    let mut acc = [-0.0; W];
    for (i, &ri) in r.iter().enumerate() {
        for c in 0..W {
            acc[c] += ri * a[c][i] * b[c][i];
        }
    }
    acc
}

/// `f(k, Σᵢ rᵢ·a(k)ᵢ·b(k)ᵢ)` for `k < len` ([`wdots`], four at a time).
fn for_each_wdot<'a>(
    len: usize,
    a: impl Fn(usize) -> &'a [f64],
    b: impl Fn(usize) -> &'a [f64],
    r: &[f64],
    mut f: impl FnMut(usize, f64),
) {
    let mut k = 0;
    while k + 4 <= len {
        let v = wdots::<4>(
            std::array::from_fn(|c| a(k + c)),
            std::array::from_fn(|c| b(k + c)),
            r,
        );
        for (c, v) in v.into_iter().enumerate() {
            f(k + c, v);
        }
        k += 4;
    }
    for k in k..len {
        let [v] = wdots::<1>([a(k)], [b(k)], r);
        f(k, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_weighted_dots_are_bitwise_wdot() {
        let dim = 37;
        let v = |k: usize| -> Vec<f64> {
            (0..dim)
                .map(|i| ((i * 7 + k * 13) % 11) as f64 / 3.0 - 1.7 + 1e-9 * i as f64)
                .collect()
        };
        let rows: Vec<Vec<f64>> = (0..10).map(v).collect();
        let (g, r) = (v(99), v(42).iter().map(|x| x.abs()).collect::<Vec<_>>());
        for len in 0..=rows.len() {
            let mut got = vec![f64::NAN; len];
            for_each_wdot(len, |k| &rows[k], |_| &g, &r, |k, d| got[k] = d);
            for (k, d) in got.iter().enumerate() {
                assert_eq!(d.to_bits(), wdot(&rows[k], &g, &r).to_bits());
            }
        }
    }

    /// On an affine contraction `T(w) = Mw + q` of dimension `d`, type-II
    /// Anderson with memory `d` is equivalent to GMRES and would converge in
    /// `d + 1` steps in exact arithmetic; the normal equations lose some of
    /// that, but it stays within a few multiples of `d`, against hundreds of
    /// plain iterations.
    #[test]
    fn accelerates_a_linear_contraction() {
        let d = 6;
        let m: Vec<f64> = (0..d * d)
            .map(|k| {
                let (i, j) = (k / d, k % d);
                if i == j {
                    0.95
                } else {
                    0.01 * ((i * 7 + j * 3) % 5) as f64
                }
            })
            .collect();
        let q: Vec<f64> = (0..d).map(|i| 1.0 + i as f64).collect();
        let apply = |w: &[f64], out: &mut [f64]| {
            for i in 0..d {
                out[i] = q[i] + (0..d).map(|j| m[i * d + j] * w[j]).sum::<f64>();
            }
        };
        let run = |mem: usize, metric: Option<&[f64]>| {
            let mut aa = Anderson::new(d, mem);
            if let Some(r) = metric {
                aa.set_metric(r);
            }
            let mut w = vec![0.0; d];
            let (mut tw, mut g) = (vec![0.0; d], vec![0.0; d]);
            for it in 0..2000 {
                apply(&w, &mut tw);
                for i in 0..d {
                    g[i] = tw[i] - w[i];
                }
                if g.iter().map(|v| v * v).sum::<f64>().sqrt() < 1e-10 {
                    return it;
                }
                aa.step(&mut w, &tw, &g);
            }
            2000
        };
        let plain = run(0, None);
        let accelerated = run(d, None);
        assert!(plain > 200, "plain iteration took {plain}");
        assert!(accelerated <= 3 * d, "accelerated took {accelerated}");
        // A badly scaled diagonal metric (as the operator-splitting `R`)
        // changes the least-squares weights, not the secant condition: with
        // full memory the iteration still converges as fast.
        let metric: Vec<f64> = (0..d)
            .map(|i| if i % 2 == 0 { 1e-6 } else { 10.0 })
            .collect();
        let weighted = run(d, Some(&metric));
        assert!(
            weighted <= 3 * d,
            "accelerated in the metric took {weighted}"
        );
    }
}
