//! The Adam optimizer (Kingma & Ba, 2015) on a flat parameter vector:
//!
//! ```text
//! m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,
//! θ ← θ − η · m̂ / (√v̂ + ε),   m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ).
//! ```

/// Adam state for `len` parameters.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Learning rate `η`.
    pub lr: f64,
    /// First-moment decay `β₁`.
    pub beta1: f64,
    /// Second-moment decay `β₂`.
    pub beta2: f64,
    /// `ε` in the denominator.
    pub eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Adam with learning rate `lr` and the usual defaults
    /// (`β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`).
    pub fn new(len: usize, lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            m: vec![0.0; len],
            v: vec![0.0; len],
            t: 0,
        }
    }

    /// One step on `theta` with gradient `grad` (same length as at
    /// construction).
    pub fn step(&mut self, theta: &mut [f64], grad: &[f64]) {
        self.t = self.t.saturating_add(1);
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        for ((th, &g), (m, v)) in theta
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut().zip(self.v.iter_mut()))
        {
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
            *th -= self.lr * (*m / c1) / ((*v / c2).sqrt() + self.eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimizes_a_quadratic() {
        let mut theta = vec![3.0, -2.0];
        let mut adam = Adam::new(2, 0.1);
        for _ in 0..500 {
            let g: Vec<f64> = theta.iter().map(|t| 2.0 * t).collect();
            adam.step(&mut theta, &g);
        }
        assert!(theta.iter().all(|t| t.abs() < 1e-2), "{theta:?}");
    }
}
