//! Magic-state preparation circuits: the global Hadamard measurement of Chamberland and Noh,
//! "Very low overhead fault-tolerant magic state preparation using redundant ancilla encoding
//! and flag qubits", npj Quantum Inf. 6, 91 (2020). Design notes: `docs/hadamard-prep.md`.
//!
//! The 6.6.6 color code is self-dual, so transversal H is the logical Hadamard and a measurement
//! of H^{⊗n} projects a code state onto |H>_L (outcome +1) or |H⊥>_L. The single control qubit
//! of that controlled-H^{⊗n} is spread over the ancillas as a GHZ state ("redundant ancilla
//! encoding"), each data qubit gets one CH from an adjacent ancilla, the GHZ state is unwound
//! and its root measured in X; the other ancillas are measured in Z and act as flags (on the
//! default layout, `redundant-ghz-x`, the leaves are measured in X instead of unwound, and the
//! outcome is the XOR of every X outcome).
//!
//! The GHZ tree, its time steps and the CH controls are the layout's GHZ network
//! ([`crate::layout::ghz`], layouts `redundant-ghz-x` and `redundant-ghz`): one coupling graph
//! for the flagged rounds and the Hadamard measurement. Layouts without one (ancillas coupled only inside faces) are
//! refused with a one-line reason.

mod prep;
mod score;

pub use prep::{
    proxy_prep, residual_pauli, ChModel, HadamardPrep, PrepDecoder, Stages, HADAMARD_COORD,
    TAIL_COORD,
};
pub use score::HadamardScore;

use crate::circuit::{Circuit, Instruction, Item, Target};
use crate::gates::GateId;
use crate::layout::ghz::Ghz;
use crate::layout::{Layout, Role};
use crate::schedule::{Op, Schedule};

/// The ancillas of a layout (every qubit that is not data).
pub fn ancillas(layout: &Layout) -> Vec<usize> {
    (0..layout.num_qubits())
        .filter(|&q| layout.roles[q] != Role::Data)
        .collect()
}

/// The layout's GHZ network, or why the layout cannot run the global Hadamard measurement.
fn network(layout: &Layout) -> Result<&Ghz, String> {
    layout.ghz.as_ref().ok_or_else(|| {
        format!(
            "layout {} cannot run the global Hadamard measurement: its ancillas are coupled only \
             inside faces, so no GHZ state spans them (use layout redundant-ghz-x, the default for \
             the Hadamard tasks, or redundant-ghz)",
            layout.kind.name()
        )
    })
}

/// The GHZ encoding tree's (parent, child) edges in encoding order (empty if there is none).
pub fn ghz_tree_edges(layout: &Layout) -> Vec<(usize, usize)> {
    network(layout).map_or(Vec::new(), |g| {
        g.tree.iter().map(|e| (e.parent, e.child)).collect()
    })
}

/// The GHZ root and the first ancilla it entangles (the pair whose X(x)X is a stabilizer right
/// after their CX), or None if the layout has no GHZ tree.
pub fn ghz_first_pair(layout: &Layout) -> Option<(usize, usize)> {
    ghz_tree_edges(layout).first().copied()
}

/// For every data qubit, the adjacent ancilla that applies its CH (empty without a network).
pub fn ch_controls(layout: &Layout) -> Vec<usize> {
    network(layout).map_or(Vec::new(), |g| g.ch.iter().map(|&(a, _)| a).collect())
}

/// The ops of one global Hadamard measurement, in the order of the network's time steps: reset
/// the GHZ root in |+> and the other GHZ ancillas in |0>, CX down the GHZ tree, `CH ancilla
/// data` on every data qubit, CX up the tree (each edge at its undo step, see [`Ghz`]),
/// measure the root in X (+1 = projected onto |H>_L) and the other GHZ ancillas in Z (flags, 0
/// without faults). Err if the layout has no GHZ network.
pub fn hadamard_ops(layout: &Layout) -> Result<Vec<Op>, String> {
    Ok(network(layout)?.ops())
}

/// Emits a schedule as a circuit: each op its own instruction, a TICK after every layer.
pub fn schedule_circuit(schedule: &Schedule) -> Circuit {
    let mut c = Circuit::new();
    for layer in &schedule.layers {
        for o in layer {
            let targets = o.qubits.iter().map(|&q| Target::qubit(q as u32)).collect();
            c.push(Instruction::new(GateId::named(o.gate), vec![], targets));
        }
        c.push(Instruction::new(GateId::named("TICK"), vec![], vec![]));
    }
    c
}

/// One global Hadamard measurement on `layout`, gates as early as possible, every two-qubit
/// gate checked against the layout's couplings. Its measurements: one MX (the GHZ root; 0 =
/// outcome +1) and one M per other ancilla (flags), in the order their qubits finish.
pub fn hadamard_measurement(layout: &Layout) -> Result<Circuit, String> {
    let ops = hadamard_ops(layout)?;
    let circuit = schedule_circuit(&Schedule::asap(ops, layout.num_qubits()));
    layout.check_couplings(&circuit)?;
    Ok(circuit)
}

/// Peak active width (see `docs/exact-engine.md`) the exact engine needs for a noiseless round
/// followed by (d-1)/2 x [global Hadamard measurement, round] on `layout` from |0...0> (the
/// attempt's stages, without the injection): the Hadamard measurements' share of the exact
/// engine's cost; `tests/hadamard_exact.rs` compares the GHZ designs with it
/// (`layout::PROTOCOL_JUDGED_UP_TO`). One measurement between two rounds is not enough: with
/// the rounds of `schedule::shortest_round` the d = 7 networks need 12 active qubits each
/// there, but the protocol-judged one needs 13 in the whole attempt.
pub fn exact_width(layout: &Layout) -> usize {
    let round = crate::schedule::round_ops(layout);
    let h = hadamard_ops(layout).expect("a layout with a GHZ network");
    let mut ops = round.clone();
    for _ in 0..(layout.code.distance - 1) / 2 {
        ops.extend(h.iter().cloned());
        ops.extend(round.iter().cloned());
    }
    let circuit = schedule_circuit(&Schedule::asap(ops, layout.num_qubits()));
    crate::exact::ExactProgram::compile_with_limit(&circuit, usize::MAX)
        .map_or(usize::MAX, |p| p.max_active)
}

/// Time steps (TICKs) of one global Hadamard measurement on `layout`.
pub fn hadamard_depth(layout: &Layout) -> Result<usize, String> {
    Ok(Schedule::asap_depth(
        &hadamard_ops(layout)?,
        layout.num_qubits(),
    ))
}

/// Tag that marks a `CX` standing in for a `CH` in a [`proxy`] circuit.
pub const PROXY_TAG: &str = "proxy:CH";

/// The Clifford proxy of a magic-state circuit (Stim-compatible): every `CH` becomes `CX[proxy:CH]`
/// on the same pair, so the global Hadamard measurement becomes a measurement of X^{(x)n} = X_L
/// with the same gates, time steps and fault locations. Loops are kept.
pub fn proxy(circuit: &Circuit) -> Circuit {
    let items = circuit
        .items
        .iter()
        .map(|item| match item {
            Item::Instruction(ins) if ins.gate.name() == "CH" => {
                let mut cx = ins.clone();
                cx.gate = GateId::named("CX");
                cx.tag = PROXY_TAG.to_string();
                Item::Instruction(cx)
            }
            Item::Repeat(r) => {
                let mut r = r.clone();
                r.body = proxy(&r.body);
                Item::Repeat(r)
            }
            other => other.clone(),
        })
        .collect();
    Circuit { items }
}

/// Time steps of one |H> preparation attempt at distance d, read off the generated circuit (the
/// resource estimate takes T_d = `attempt` from here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrepTiming {
    /// Injection and growth (error-detection round included).
    pub grow: usize,
    /// One global Hadamard measurement.
    pub hadamard: usize,
    /// One flagged stabilizer round.
    pub round: usize,
    /// The whole attempt as generated (`gen --stats`): the (d-1)/2 Hadamard measurements and
    /// rounds are scheduled together as early as possible, so they overlap and the attempt is
    /// shorter than grow + (d-1)/2 (hadamard + round).
    pub attempt: usize,
}

/// [`PrepTiming`] of the distance-`d` protocol ([`HadamardPrep`]).
pub fn prep_timing(d: usize) -> Result<PrepTiming, String> {
    Ok(HadamardPrep::new(d)?.timing)
}

/// [`PrepTiming`] of the distance-`d` protocol on the layout named `layout` (`redundant-ghz`
/// or `redundant-ghz-x`).
pub fn prep_timing_on(d: usize, layout: &str) -> Result<PrepTiming, String> {
    let kind = crate::layout::LayoutKind::from_name(layout)
        .ok_or_else(|| format!("unknown layout '{layout}' for the |H> preparation"))?;
    Ok(HadamardPrep::on(d, kind)?.timing)
}
