//! The zero cone `{0}ᵈ` (equality constraints). Its dual is all of `ℝᵈ`, so
//! `s = 0`, `z` is free, `H = 0` and it adds nothing to the duality measure.

use super::{Cone, HsLayout};

/// The zero cone of dimension `dim`.
#[derive(Debug, Clone)]
pub struct ZeroCone {
    dim: usize,
}

impl ZeroCone {
    /// A zero cone of the given dimension.
    pub fn new(dim: usize) -> Self {
        ZeroCone { dim }
    }
}

impl Cone for ZeroCone {
    fn dim(&self) -> usize {
        self.dim
    }
    fn degree(&self) -> usize {
        0
    }
    fn unit_initialization(&self, z: &mut [f64], s: &mut [f64]) {
        z.fill(0.0);
        s.fill(0.0);
    }
    fn shift_to_cone(&self, z: &mut [f64]) {
        z.fill(0.0);
    }
    fn shift_to_dual_cone(&self, _z: &mut [f64]) {}
    fn warm_centre(&self, s: &mut [f64], _z: &mut [f64], _mu: f64) -> bool {
        s.fill(0.0);
        true
    }
    fn set_identity_scaling(&mut self) {}
    fn update_scaling(&mut self, _s: &[f64], _z: &[f64], _mu: f64) -> bool {
        true
    }
    fn hs_layout(&self) -> HsLayout {
        HsLayout::Diagonal
    }
    fn hs_values(&self, out: &mut [f64]) {
        out.fill(0.0);
    }
    fn mul_hs(&self, y: &mut [f64], _x: &[f64]) {
        y.fill(0.0);
    }
    fn affine_ds(&self, ds: &mut [f64], _s: &[f64]) {
        ds.fill(0.0);
    }
    fn combined_ds_shift(&mut self, shift: &mut [f64], _z: &mut [f64], _s: &mut [f64], _sm: f64) {
        shift.fill(0.0);
    }
    fn delta_s_from_delta_z_offset(&self, out: &mut [f64], _ds: &[f64], _work: &mut [f64]) {
        out.fill(0.0);
    }
    /// The zero cone has no barrier.
    fn barrier(&self, _z: &[f64], _s: &[f64], _dz: &[f64], _ds: &[f64], _alpha: f64) -> f64 {
        0.0
    }
    fn step_length(
        &self,
        _dz: &[f64],
        _ds: &[f64],
        _z: &[f64],
        _s: &[f64],
        amax: f64,
    ) -> (f64, f64) {
        (amax, amax)
    }
}
