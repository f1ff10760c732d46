//! The nonnegative orthant `{s : s ≥ 0}`, self-dual. Nesterov-Todd scaling
//! is diagonal: `W = diag(√(s/z))`, `λ = √(s∘z)`, `H = WᵀW = diag(s/z)`.

use super::{orthant_step, Cone, HsLayout};

/// The nonnegative orthant of dimension `dim`.
#[derive(Debug, Clone)]
pub struct NonnegativeCone {
    dim: usize,
    w: Vec<f64>,
    lambda: Vec<f64>,
}

impl NonnegativeCone {
    /// An orthant of the given dimension.
    pub fn new(dim: usize) -> Self {
        NonnegativeCone {
            dim,
            w: vec![1.0; dim],
            lambda: vec![1.0; dim],
        }
    }
}

impl Cone for NonnegativeCone {
    fn dim(&self) -> usize {
        self.dim
    }
    fn degree(&self) -> usize {
        self.dim
    }
    fn unit_initialization(&self, z: &mut [f64], s: &mut [f64]) {
        z.fill(1.0);
        s.fill(1.0);
    }
    fn shift_to_cone(&self, z: &mut [f64]) {
        let alpha = z.iter().copied().fold(f64::INFINITY, f64::min);
        if alpha < f64::EPSILON.sqrt() {
            z.iter_mut().for_each(|v| *v += 1.0 - alpha);
        }
    }
    /// Pairwise: negative entries are clipped to zero, then the smaller
    /// entry of a pair with `sᵢzᵢ < μ` is raised to `μ/max(sᵢ, zᵢ)` (both to
    /// `√μ` if both are below it). A strictly complementary solution so
    /// becomes a point with every `sᵢzᵢ ≥ μ` that keeps its large entries,
    /// close to the central path at `μ`.
    fn warm_centre(&self, s: &mut [f64], z: &mut [f64], mu: f64) -> bool {
        let floor = mu.sqrt();
        for (si, zi) in s.iter_mut().zip(z.iter_mut()) {
            let (a, b) = (si.max(0.0), zi.max(0.0));
            let big = a.max(b);
            if big <= floor {
                (*si, *zi) = (floor, floor);
            } else if a >= b {
                (*si, *zi) = (a, b.max(mu / a));
            } else {
                (*si, *zi) = (a.max(mu / b), b);
            }
        }
        true
    }
    fn set_identity_scaling(&mut self) {
        self.w.fill(1.0);
    }
    fn update_scaling(&mut self, s: &[f64], z: &[f64], _mu: f64) -> bool {
        // Checked first and without an early exit, so that both loops
        // vectorize.
        let (s, z) = (&s[..self.dim], &z[..self.dim]);
        let interior = s
            .iter()
            .zip(z)
            .fold(true, |ok, (&si, &zi)| ok & (si > 0.0) & (zi > 0.0));
        if !interior {
            return false;
        }
        for ((l, w), (&si, &zi)) in self.lambda.iter_mut().zip(&mut self.w).zip(s.iter().zip(z)) {
            *l = (si * zi).sqrt();
            *w = (si / zi).sqrt();
        }
        true
    }
    fn hs_layout(&self) -> HsLayout {
        HsLayout::Diagonal
    }
    fn hs_values(&self, out: &mut [f64]) {
        for (o, w) in out.iter_mut().zip(&self.w) {
            *o = w * w;
        }
    }
    fn mul_hs(&self, y: &mut [f64], x: &[f64]) {
        for ((y, &w), &x) in y[..self.dim].iter_mut().zip(&self.w).zip(x) {
            *y = w * w * x;
        }
    }
    fn affine_ds(&self, ds: &mut [f64], _s: &[f64]) {
        for (d, l) in ds.iter_mut().zip(&self.lambda) {
            *d = l * l;
        }
    }
    fn combined_ds_shift(
        &mut self,
        shift: &mut [f64],
        step_z: &mut [f64],
        step_s: &mut [f64],
        sigma_mu: f64,
    ) {
        let steps = step_s[..self.dim].iter().zip(&step_z[..self.dim]);
        for (sh, (&ds, &dz)) in shift[..self.dim].iter_mut().zip(steps) {
            *sh = ds * dz - sigma_mu;
        }
    }
    fn delta_s_from_delta_z_offset(&self, out: &mut [f64], ds: &[f64], _work: &mut [f64]) {
        // Wᵀ(λ \ ds) = w·ds/λ = ds/z.
        let scaling = self.w.iter().zip(&self.lambda);
        for ((o, &d), (&w, &l)) in out[..self.dim].iter_mut().zip(ds).zip(scaling) {
            *o = w * d / l;
        }
    }
    /// `−Σ log(sᵢ + αΔsᵢ) + log(zᵢ + αΔzᵢ)`.
    fn barrier(&self, z: &[f64], s: &[f64], dz: &[f64], ds: &[f64], alpha: f64) -> f64 {
        let mut b = 0.0;
        for i in 0..self.dim {
            let v = (s[i] + alpha * ds[i]) * (z[i] + alpha * dz[i]);
            b -= if v > 0.0 {
                v.ln()
            } else {
                return f64::INFINITY;
            };
        }
        b
    }
    fn step_length(&self, dz: &[f64], ds: &[f64], z: &[f64], s: &[f64], amax: f64) -> (f64, f64) {
        (orthant_step(z, dz, amax), orthant_step(s, ds, amax))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every product ends at least `μ`, large entries are kept, and a pair
    /// already centred enough is left alone.
    #[test]
    fn warm_centre_keeps_large_entries() {
        let cone = NonnegativeCone::new(5);
        let mu = 1e-4;
        let mut s = [2.0, 0.0, -1.0, 1e-5, 0.5];
        let mut z = [0.0, 3.0, 1e-6, -2e-5, 0.4];
        assert!(cone.warm_centre(&mut s, &mut z, mu));
        assert_eq!((s[0], z[0]), (2.0, mu / 2.0));
        assert_eq!((s[1], z[1]), (mu / 3.0, 3.0));
        assert_eq!((s[2], z[2]), (0.01, 0.01));
        assert_eq!((s[3], z[3]), (0.01, 0.01));
        assert_eq!((s[4], z[4]), (0.5, 0.4));
        for (a, b) in s.iter().zip(&z) {
            assert!(a * b >= mu * (1.0 - 1e-12));
        }
    }
}
