//! Ruiz equilibration of the problem data.
//!
//! Finds diagonal `D` (columns, `n`), `E` (rows, `m`) and a cost scale `k`
//! so that the scaled data
//!
//! `P̂ = k·DPD`, `ĉ = k·Dc`, `Â = EAD`, `b̂ = Eb`
//!
//! (`k = 1` unless [`Settings::equilibrate_cost`] is set)
//!
//! have rows and columns of comparable infinity norm (Ruiz, "A scaling
//! algorithm to equilibrate both rows and columns norms in matrices", 2001).
//! The scaled problem is solved for `(x̂, ŝ, ẑ)`, and
//! `x = Dx̂`, `s = E⁻¹ŝ`, `y = Eẑ/k` recover the original variables.
//! `E` is kept constant on every non-orthant cone block so that the scaled
//! cone is the same cone.

use crate::cones::{CompositeCone, ConeBlock};
use crate::csc::CscMatrix;
use crate::error::ProblemError;
use crate::problem::{check_update, ProblemData};
use crate::settings::Settings;
use std::sync::Arc;

/// The scalings found by [`equilibrate`].
#[derive(Debug, Clone)]
pub struct Equilibration {
    /// Column scaling `D`.
    pub d: Vec<f64>,
    /// `D⁻¹`.
    pub dinv: Vec<f64>,
    /// Row scaling `E`.
    pub e: Vec<f64>,
    /// `E⁻¹`.
    pub einv: Vec<f64>,
    /// Cost scaling `k`.
    pub c_scale: f64,
}

impl Equilibration {
    /// No scaling.
    pub fn identity(n: usize, m: usize) -> Self {
        Equilibration {
            d: vec![1.0; n],
            dinv: vec![1.0; n],
            e: vec![1.0; m],
            einv: vec![1.0; m],
            c_scale: 1.0,
        }
    }
}

/// Data updates shared by every method: each validates the new values,
/// stores them in the original problem `data` and writes their scaled
/// counterpart (same formulas as [`equilibrate`]); nothing changes on error.
impl Equilibration {
    /// `c ← c`, `ĉ = k·Dc`.
    pub(crate) fn update_c(
        &self,
        data: &mut ProblemData,
        scaled: &mut [f64],
        c: &[f64],
    ) -> Result<(), ProblemError> {
        check_update(c, data.n(), "c")?;
        data.c.copy_from_slice(c);
        for j in 0..c.len() {
            scaled[j] = self.c_scale * self.d[j] * c[j];
        }
        Ok(())
    }

    /// `b ← b`, `b̂ = Eb`.
    pub(crate) fn update_b(
        &self,
        data: &mut ProblemData,
        scaled: &mut [f64],
        b: &[f64],
    ) -> Result<(), ProblemError> {
        check_update(b, data.m(), "b")?;
        data.b.copy_from_slice(b);
        for i in 0..b.len() {
            scaled[i] = self.e[i] * b[i];
        }
        Ok(())
    }

    /// New values of `A` in its storage order; `Â = EAD`.
    pub(crate) fn update_a_values(
        &self,
        data: &mut ProblemData,
        scaled: &mut CscMatrix,
        vals: &[f64],
    ) -> Result<(), ProblemError> {
        check_update(vals, data.a.nnz(), "A values")?;
        Arc::make_mut(&mut data.a).nzval.copy_from_slice(vals);
        let a = &data.a;
        for j in 0..a.n {
            for k in a.colptr[j]..a.colptr[j + 1] {
                scaled.nzval[k] = self.e[a.rowval[k]] * vals[k] * self.d[j];
            }
        }
        Ok(())
    }

    /// New values of the upper triangle of `P` in its storage order,
    /// rejected if `P` would not be positive semidefinite
    /// ([`crate::problem::check_p_psd`]); `P̂ = k·DPD`.
    pub(crate) fn update_p_values(
        &self,
        data: &mut ProblemData,
        scaled: &mut CscMatrix,
        vals: &[f64],
    ) -> Result<(), ProblemError> {
        check_update(vals, data.p.nnz(), "P values")?;
        let mut new_p = CscMatrix::clone(&data.p);
        new_p.nzval.copy_from_slice(vals);
        crate::problem::check_p_psd(&new_p)?;
        data.p = Arc::new(new_p);
        let p = &data.p;
        for j in 0..p.n {
            for idx in p.colptr[j]..p.colptr[j + 1] {
                scaled.nzval[idx] = self.c_scale * self.d[p.rowval[idx]] * vals[idx] * self.d[j];
            }
        }
        Ok(())
    }
}

/// Maps a norm to a scaling factor `1/√norm`, leaving tiny norms unscaled
/// and clipping huge ones.
fn limit_scaling(norm: f64, min: f64, max: f64) -> f64 {
    let v = if norm < min {
        1.0
    } else if norm > max {
        max
    } else {
        norm
    };
    1.0 / v.sqrt()
}

/// Equilibrates `(P, c, A, b)` in place and returns the scalings.
pub fn equilibrate(
    p: &mut CscMatrix,
    c: &mut [f64],
    a: &mut CscMatrix,
    b: &mut [f64],
    cones: &CompositeCone,
    settings: &Settings,
) -> Equilibration {
    let n = c.len();
    let m = b.len();
    let mut eq = Equilibration::identity(n, m);
    if !settings.equilibrate_enable {
        return eq;
    }
    let (smin, smax) = (
        settings.equilibrate_min_scaling,
        settings.equilibrate_max_scaling,
    );
    let mut dn = vec![0.0; n];
    let mut en = vec![0.0; m];
    let mut at_rows = vec![0.0; n];
    for _ in 0..settings.equilibrate_max_iter {
        dn.fill(0.0);
        p.col_norms_inf(&mut dn, true);
        at_rows.fill(0.0);
        en.fill(0.0);
        a.norms_inf(&mut at_rows, &mut en);
        for (d, t) in dn.iter_mut().zip(&at_rows) {
            *d = limit_scaling(d.max(*t), smin, smax);
        }
        for v in en.iter_mut() {
            *v = limit_scaling(*v, smin, smax);
        }
        rectify(&mut en, cones);
        p.scale_lr(&dn, &dn);
        a.scale_lr(&en, &dn);
        for j in 0..n {
            c[j] *= dn[j];
            eq.d[j] *= dn[j];
        }
        for i in 0..m {
            b[i] *= en[i];
            eq.e[i] *= en[i];
        }
    }
    if settings.equilibrate_cost {
        // Cost scaling: bring the larger of mean column norm of P and ‖c‖∞ to one.
        dn.fill(0.0);
        p.col_norms_inf(&mut dn, true);
        let mean_p = if n > 0 {
            dn.iter().sum::<f64>() / n as f64
        } else {
            0.0
        };
        let norm_c = c.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
        let ks = limit_scaling(mean_p.max(norm_c), smin, smax);
        let k = ks * ks;
        p.nzval.iter_mut().for_each(|v| *v *= k);
        c.iter_mut().for_each(|v| *v *= k);
        eq.c_scale = k;
    }
    for j in 0..n {
        eq.dinv[j] = 1.0 / eq.d[j];
    }
    for i in 0..m {
        eq.einv[i] = 1.0 / eq.e[i];
    }
    eq
}

/// Replaces the row scaling on each non-orthant block by its geometric mean,
/// so that blocks like the second-order cone are mapped onto themselves.
fn rectify(e: &mut [f64], cones: &CompositeCone) {
    for (block, r) in cones.blocks.iter().zip(&cones.ranges) {
        if !matches!(block, ConeBlock::Zero(_) | ConeBlock::Nonnegative(_)) && !r.is_empty() {
            let len = r.len() as f64;
            let g = (e[r.clone()].iter().map(|v| v.ln()).sum::<f64>() / len).exp();
            e[r.clone()].fill(g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cones::SupportedCone;

    #[test]
    fn equilibration_balances_badly_scaled_rows() {
        let mut p = CscMatrix::zeros(2, 2);
        let mut a = CscMatrix::from_triplets(2, 2, &[0, 1], &[0, 1], &[1e3, 1e-3]).unwrap();
        let mut c = vec![1.0, 1.0];
        let mut b = vec![1.0, 1.0];
        let cones = CompositeCone::new(&[SupportedCone::Nonnegative(2)]).unwrap();
        let eq = equilibrate(&mut p, &mut c, &mut a, &mut b, &cones, &Settings::default());
        for v in &a.nzval {
            assert!((v.abs() - 1.0).abs() < 1e-2, "{v}");
        }
        assert!(eq.d.iter().all(|d| d.is_finite() && *d > 0.0));
    }

    #[test]
    fn soc_rows_share_one_scaling() {
        let mut p = CscMatrix::zeros(3, 3);
        let mut a =
            CscMatrix::from_triplets(3, 3, &[0, 1, 2], &[0, 1, 2], &[1.0, 100.0, 0.01]).unwrap();
        let mut c = vec![1.0; 3];
        let mut b = vec![0.0; 3];
        let cones = CompositeCone::new(&[SupportedCone::SecondOrder(3)]).unwrap();
        let eq = equilibrate(&mut p, &mut c, &mut a, &mut b, &cones, &Settings::default());
        assert!((eq.e[0] - eq.e[1]).abs() < 1e-12 && (eq.e[1] - eq.e[2]).abs() < 1e-12);
    }
}
