//! The textbook baseline: Bravyi and Kitaev's 15-to-1 protocol (Phys. Rev. A 71, 022316 (2005))
//! with output error 35 p^3 at leading order, run on surface-code patches of one distance d.
//!
//! Assumptions (ours, stated so the comparison is reproducible): the 15-to-1 circuit is laid out
//! as Litinski's 5-patch π/8-rotation block (Quantum 3, 205 (2019)) with every distance
//! equal to d, i.e. 2((d + 4d) 3d + 2d) = 30 d^2 + 4 d physical qubits and 6 d code cycles per
//! attempt; the 15 injected states have error p; a run is discarded when any of them is faulty
//! (1 - (1 - p)^15 at leading order); and every logical error of the 5 patches during the 6 d
//! cycles, 5 x 6d x p_L(d), is counted as an output error on top of 35 p^3 (an upper bound).

use super::distillation::DistillationCost;
use super::surface::{check_distance, check_physical, logical_error_per_cycle};
use super::EstimateError;

/// Bravyi-Kitaev 15-to-1 on distance-`d` patches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TextbookFifteenToOne {
    pub d: u32,
}

impl TextbookFifteenToOne {
    /// Cost at physical (and injection) error `p`.
    pub fn cost(&self, p: f64) -> Result<DistillationCost, EstimateError> {
        check_physical(p)?;
        check_distance("d", self.d)?;
        let d = f64::from(self.d);
        let cycles_per_attempt = 6.0 * d;
        let logical = 5.0 * cycles_per_attempt * logical_error_per_cycle(p, self.d);
        let fail = 1.0 - (1.0 - p).powi(15);
        let qubits = 30 * u64::from(self.d).pow(2) + 4 * u64::from(self.d);
        let cycles = cycles_per_attempt / (1.0 - fail);
        let output_error = 35.0 * p.powi(3) + logical;
        Ok(DistillationCost::new(output_error, fail, qubits, cycles, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_is_35_p_cubed_at_large_distance() {
        let c = TextbookFifteenToOne { d: 25 }.cost(1e-3).unwrap();
        assert!(
            (c.output_error / 35e-9 - 1.0).abs() < 1e-3,
            "{}",
            c.output_error
        );
        assert_eq!(c.qubits, 30 * 625 + 100);
        assert!(TextbookFifteenToOne { d: 4 }.cost(1e-3).is_err());
    }
}
