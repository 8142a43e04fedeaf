//! Moving the state: our |H> ends in a distance-d colour code, while Litinski's factories (and
//! the consumers of T states in his architecture) use surface-code patches. This is the cost of
//! moving an accepted colour-code |H> into a surface-code patch of the consumer's distance, by
//! OUR MODEL (stated in every report), not a simulation:
//!
//! - Method: subsystem lattice surgery between the colour code and a fresh surface-code patch
//!   (H. Poulsen Nautrup, N. Friis, H. J. Briegel, "Fault-tolerant interface between quantum
//!   memories and quantum processors", Nat. Commun. 8, 1321 (2017)): the two patches are merged
//!   by measuring the joint boundary operator for d_s rounds, the usual lattice-surgery merge
//!   time (C. Horsman et al., "Surface code quantum computing by lattice surgery", New J. Phys.
//!   14, 123011 (2012)), then the colour code is measured out (one more round, neglected).
//! - Distance: the smallest odd d_s (at least the colour code's d) whose surface-code error over
//!   the merge, d_s p_L(d_s) with Litinski's p_L(d) = 0.1 (100 p)^((d+1)/2) per cycle, is at most
//!   a tenth of the target.
//! - Qubits: the surface patch with its ancillas, 2 d_s^2, a column of d_s joint-boundary
//!   ancillas, and the colour code's N_d, all busy for d_s code cycles.
//! - Error added: d_s p_L(d_s) on the surface side plus d_s p_mem(d) on the colour side, with
//!   p_mem the colour-code memory error per round ([`super::level2::MemoryModel`]: fitted from
//!   measured statistics where they exist at d, else the assumed surface-like formula).
//!
//! Cultivation's published volumes already include its escape into the surface code (the
//! grafted code of Gidney-Shutty-Jones, arXiv:2409.17595), so the move is charged to ours only.

use super::level2::MemoryModel;
use super::surface::logical_error_per_cycle;
use serde::Serialize;

/// Largest surface-code distance considered for the consumer's patch.
pub const MAX_SURFACE_DISTANCE: u32 = 61;

/// The cost of moving one accepted colour-code state into a surface-code patch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransferCost {
    /// Colour-code distance of the state.
    pub d_color: usize,
    /// Surface-code distance of the consumer's patch.
    pub d_surface: u32,
    /// Code cycles of the merge.
    pub cycles: f64,
    pub qubits: u64,
    /// qubits x cycles.
    pub spacetime: f64,
    /// Logical error added by the move.
    pub error: f64,
    /// p_mem(d_color) per round.
    pub memory_per_round: f64,
    /// Whether the colour side uses the assumed memory model (no measured fit at d_color).
    pub memory_assumed: bool,
}

/// The move of a distance-`d_color` colour-code state (`color_qubits` qubits) at physical
/// error `p` for a state of target error `target`; None if no d_s up to
/// [`MAX_SURFACE_DISTANCE`] keeps the surface side within a tenth of the target.
pub fn cost(
    p: f64,
    target: f64,
    d_color: usize,
    color_qubits: u64,
    memory: &MemoryModel,
) -> Option<TransferCost> {
    let start = (d_color as u32) | 1;
    let d_s = (start..=MAX_SURFACE_DISTANCE)
        .step_by(2)
        .find(|&d| f64::from(d) * logical_error_per_cycle(p, d) <= 0.1 * target)?;
    let cycles = f64::from(d_s);
    let qubits = 2 * u64::from(d_s) * u64::from(d_s) + u64::from(d_s) + color_qubits;
    let (p_mem, memory_assumed) = memory.per_round(p, d_color);
    Some(TransferCost {
        d_color,
        d_surface: d_s,
        cycles,
        qubits,
        spacetime: qubits as f64 * cycles,
        error: cycles * (logical_error_per_cycle(p, d_s) + p_mem),
        memory_per_round: p_mem,
        memory_assumed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_surface_side_stays_within_a_tenth_of_the_target() {
        let memory = MemoryModel::default();
        let t = cost(1e-3, 1e-9, 5, 100, &memory).unwrap();
        let ds = f64::from(t.d_surface);
        assert!(ds * logical_error_per_cycle(1e-3, t.d_surface) <= 1e-10);
        // The next smaller odd distance would not do.
        let smaller = t.d_surface - 2;
        assert!(f64::from(smaller) * logical_error_per_cycle(1e-3, smaller) > 1e-10);
        assert_eq!(
            t.qubits,
            2 * (t.d_surface * t.d_surface) as u64 + t.d_surface as u64 + 100
        );
        assert_eq!(t.spacetime, t.qubits as f64 * ds);
        assert!(t.memory_assumed && t.error > ds * logical_error_per_cycle(1e-3, t.d_surface));
        // Tighter targets need larger patches; impossible ones give None.
        assert!(cost(1e-3, 1e-14, 5, 100, &memory).unwrap().d_surface > t.d_surface);
        assert!(cost(9e-3, 1e-40, 5, 100, &memory).is_none());
    }
}
