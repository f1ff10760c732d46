//! The product cone `K = K₁ × … × K_p`: applies each block's operation to
//! its slice of the stacked vectors.

use super::{ConeBlock, SupportedCone};
use crate::error::SolverError;
use std::ops::Range;

/// A product of cone blocks laid out along the rows of `A`.
#[derive(Debug, Clone)]
pub struct CompositeCone {
    /// The blocks, in row order.
    pub blocks: Vec<ConeBlock>,
    /// Row range of each block.
    pub ranges: Vec<Range<usize>>,
    numel: usize,
    degree: usize,
    work: Vec<f64>,
}

impl CompositeCone {
    /// Builds the product cone from the user's cone list (assumed validated).
    /// Consecutive zero cones, and consecutive orthants, are merged into one
    /// block: the product is the same set and the starting point is then
    /// centred over the whole block.
    ///
    /// Fails with [`SolverError::UnsupportedCone`] naming the first cone the
    /// interior-point method does not implement.
    pub fn new(specs: &[SupportedCone]) -> Result<Self, SolverError> {
        let mut merged: Vec<SupportedCone> = Vec::with_capacity(specs.len());
        for spec in specs {
            match (merged.last_mut(), *spec) {
                (Some(SupportedCone::Zero(d)), SupportedCone::Zero(e))
                | (Some(SupportedCone::Nonnegative(d)), SupportedCone::Nonnegative(e)) => *d += e,
                _ => merged.push(*spec),
            }
        }
        let mut blocks = Vec::with_capacity(merged.len());
        let mut ranges = Vec::with_capacity(merged.len());
        let mut start = 0;
        for (index, spec) in specs.iter().enumerate() {
            if ConeBlock::new(spec).is_none() {
                return Err(SolverError::UnsupportedCone {
                    index,
                    cone: spec.name(),
                });
            }
        }
        for spec in &merged {
            let Some(block) = ConeBlock::new(spec) else {
                continue;
            };
            let d = block.inner().dim();
            ranges.push(start..start + d);
            start += d;
            blocks.push(block);
        }
        let degree = blocks.iter().map(|b| b.inner().degree()).sum();
        Ok(CompositeCone {
            blocks,
            ranges,
            numel: start,
            degree,
            work: vec![0.0; start],
        })
    }

    /// Total dimension.
    pub fn numel(&self) -> usize {
        self.numel
    }

    /// Total degree `ν`.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// True if every block is symmetric.
    pub fn is_symmetric(&self) -> bool {
        self.blocks.iter().all(|b| b.inner().is_symmetric())
    }

    /// See [`super::Cone::unit_initialization`].
    pub fn unit_initialization(&self, z: &mut [f64], s: &mut [f64]) {
        for (b, r) in self.blocks.iter().zip(&self.ranges) {
            b.inner()
                .unit_initialization(&mut z[r.clone()], &mut s[r.clone()]);
        }
    }

    /// See [`super::Cone::shift_to_cone`].
    pub fn shift_to_cone(&self, z: &mut [f64]) {
        for (b, r) in self.blocks.iter().zip(&self.ranges) {
            b.inner().shift_to_cone(&mut z[r.clone()]);
        }
    }

    /// See [`super::Cone::warm_centre`]; false (with `s`, `z` partly
    /// changed) if a block has no warm start.
    pub fn warm_centre(&self, s: &mut [f64], z: &mut [f64], mu: f64) -> bool {
        self.blocks.iter().zip(&self.ranges).all(|(b, r)| {
            b.inner()
                .warm_centre(&mut s[r.clone()], &mut z[r.clone()], mu)
        })
    }

    /// See [`super::Cone::shift_to_dual_cone`].
    pub fn shift_to_dual_cone(&self, z: &mut [f64]) {
        for (b, r) in self.blocks.iter().zip(&self.ranges) {
            b.inner().shift_to_dual_cone(&mut z[r.clone()]);
        }
    }

    /// See [`super::Cone::set_identity_scaling`].
    pub fn set_identity_scaling(&mut self) {
        for b in &mut self.blocks {
            b.inner_mut().set_identity_scaling();
        }
    }

    /// See [`super::Cone::update_scaling`]; false if any block fails.
    pub fn update_scaling(&mut self, s: &[f64], z: &[f64], mu: f64) -> bool {
        let mut ok = true;
        for (b, r) in self.blocks.iter_mut().zip(&self.ranges) {
            ok &= b
                .inner_mut()
                .update_scaling(&s[r.clone()], &z[r.clone()], mu);
        }
        ok
    }

    /// `y ← WᵀW x` blockwise.
    pub fn mul_hs(&self, y: &mut [f64], x: &[f64]) {
        for (b, r) in self.blocks.iter().zip(&self.ranges) {
            b.inner().mul_hs(&mut y[r.clone()], &x[r.clone()]);
        }
    }

    /// `ds ← λ∘λ` blockwise.
    pub fn affine_ds(&self, ds: &mut [f64], s: &[f64]) {
        for (b, r) in self.blocks.iter().zip(&self.ranges) {
            b.inner().affine_ds(&mut ds[r.clone()], &s[r.clone()]);
        }
    }

    /// Mehrotra shift blockwise, see [`super::Cone::combined_ds_shift`].
    pub fn combined_ds_shift(
        &mut self,
        shift: &mut [f64],
        step_z: &mut [f64],
        step_s: &mut [f64],
        sigma_mu: f64,
    ) {
        for (b, r) in self.blocks.iter_mut().zip(&self.ranges) {
            b.inner_mut().combined_ds_shift(
                &mut shift[r.clone()],
                &mut step_z[r.clone()],
                &mut step_s[r.clone()],
                sigma_mu,
            );
        }
    }

    /// `out ← Wᵀ(λ \ ds)` blockwise.
    pub fn delta_s_from_delta_z_offset(&mut self, out: &mut [f64], ds: &[f64]) {
        for (b, r) in self.blocks.iter().zip(&self.ranges) {
            b.inner().delta_s_from_delta_z_offset(
                &mut out[r.clone()],
                &ds[r.clone()],
                &mut self.work[r.clone()],
            );
        }
    }

    /// Largest common step lengths `(αz, αs)` over all blocks. Symmetric
    /// blocks (closed-form steps) go first, so the backtracking searches of
    /// nonsymmetric blocks start from the smallest bound.
    pub fn step_length(
        &self,
        dz: &[f64],
        ds: &[f64],
        z: &[f64],
        s: &[f64],
        amax: f64,
    ) -> (f64, f64) {
        let (mut az, mut as_) = (amax, amax);
        for symmetric in [true, false] {
            for (b, r) in self.blocks.iter().zip(&self.ranges) {
                if b.inner().is_symmetric() != symmetric {
                    continue;
                }
                let (a, c) = b.inner().step_length(
                    &dz[r.clone()],
                    &ds[r.clone()],
                    &z[r.clone()],
                    &s[r.clone()],
                    az.min(as_),
                );
                az = az.min(a);
                as_ = as_.min(c);
            }
        }
        (az, as_)
    }

    /// See [`super::Cone::set_dual_scaling`](super::Cone::set_dual_scaling).
    pub fn set_dual_scaling(&mut self, on: bool) {
        for b in &mut self.blocks {
            b.inner_mut().set_dual_scaling(on);
        }
    }

    /// Sum of the blocks' [`super::Cone::barrier`](super::Cone::barrier) values at `(z + αΔz, s + αΔs)`.
    pub fn barrier(&self, z: &[f64], s: &[f64], dz: &[f64], ds: &[f64], alpha: f64) -> f64 {
        let mut total = 0.0;
        for (b, r) in self.blocks.iter().zip(&self.ranges) {
            total += b.inner().barrier(
                &z[r.clone()],
                &s[r.clone()],
                &dz[r.clone()],
                &ds[r.clone()],
                alpha,
            );
        }
        total
    }
}
