//! Active-width scheduling: the compiler may take a circuit's operations in any order that
//! keeps, for every qubit, its own operations in sequence, and puts every measurement before
//! the detectors and feedback that read it. Such an order is the same physical process (the
//! operations it swaps act on different qubits and commute), so sampling it is exact.
//!
//! The order decides how many qubits are active at once, and the dense vector's size is 2 to
//! that power. The greedy rule here: whenever something is ready, take first detectors and
//! observables (a shot can stop early), then measurements and resets (they shrink the active
//! set), then Clifford gates and noise (free), and only then non-Clifford gates, preferring one
//! that activates no new qubit. In the |H> preparation this decodes each branch of the GHZ
//! control as soon as its controlled-Hadamards are done, instead of after all of them.
//! (Clifft's `ActiveWidthSchedulePass` reorders for the same reason.)

use super::compile::{is_noise_site, Compiler};
use crate::circuit::{Circuit, Instruction, Target};
use crate::error::SimError;
use crate::gates::{rotation_steps, GateKind, RotationStep};
use std::collections::BTreeSet;

/// A piece of one instruction (one target or target pair), or a whole correlated-error chain.
struct Unit {
    /// Each with its noise site and first target group, if noisy.
    instructions: Vec<(Instruction, Option<(u32, u32)>)>,
    record_base: u32,
    detector_base: u32,
    class: usize,
}

/// Priority classes, most urgent first.
const DETECTOR: usize = 0;
const MEASURE: usize = 1;
const CLIFFORD: usize = 2;
const NON_CLIFFORD: usize = 3;

fn class_of(kind: GateKind) -> usize {
    match kind {
        GateKind::Detector | GateKind::ObservableInclude => DETECTOR,
        GateKind::Measure(_)
        | GateKind::MeasureReset(_)
        | GateKind::Reset(_)
        | GateKind::PauliProductMeasure => MEASURE,
        GateKind::NonClifford1 | GateKind::NonClifford2 | GateKind::MagicReset => NON_CLIFFORD,
        _ => CLIFFORD,
    }
}

/// Splits the flat circuit into units with their record and detector positions.
fn units(circuit: &Circuit) -> Result<Vec<Unit>, SimError> {
    let mut out: Vec<Unit> = Vec::new();
    let (mut records, mut detectors, mut sites) = (0u32, 0u32, 0u32);
    circuit.for_each_flat(&mut |ins| {
        let kind = ins.gate.kind();
        let site = is_noise_site(ins).then_some(sites);
        match kind {
            GateKind::QubitCoords | GateKind::ShiftCoords | GateKind::Tick => {}
            GateKind::Correlated { else_branch: true } => match out.last_mut() {
                Some(u)
                    if matches!(u.instructions[0].0.gate.kind(), GateKind::Correlated { .. }) =>
                {
                    u.instructions.push((ins.clone(), site.map(|s| (s, 0))))
                }
                _ => out.push(unit(ins.clone(), records, detectors, site.map(|s| (s, 0)))),
            },
            GateKind::Detector
            | GateKind::ObservableInclude
            | GateKind::Correlated { .. }
            | GateKind::PauliProductMeasure
            | GateKind::PauliProductRotation { .. } => {
                out.push(unit(ins.clone(), records, detectors, site.map(|s| (s, 0))))
            }
            _ => {
                let group = if ins.gate.is_pairwise() { 2 } else { 1 };
                let mut base = records;
                for (g, targets) in ins.targets.chunks(group).enumerate() {
                    let mut piece = ins.clone();
                    piece.targets = targets.to_vec();
                    out.push(unit(piece, base, detectors, site.map(|s| (s, g as u32))));
                    base += u32::from(ins.gate.measures()) * targets.len() as u32;
                }
            }
        }
        records += ins.num_measurements() as u32;
        detectors += u32::from(kind == GateKind::Detector);
        sites += u32::from(site.is_some());
        Ok::<(), SimError>(())
    })?;
    Ok(out)
}

fn unit(ins: Instruction, record_base: u32, detector_base: u32, site: Option<(u32, u32)>) -> Unit {
    let class = class_of(ins.gate.kind());
    Unit {
        instructions: vec![(ins, site)],
        record_base,
        detector_base,
        class,
    }
}

/// Compiles `circuit` in the greedy order described in the module docs.
pub(super) fn compile_scheduled(c: &mut Compiler, circuit: &Circuit) -> Result<(), SimError> {
    let units = units(circuit)?;
    // Dependencies: the previous unit on each qubit, and the unit that wrote each record read.
    let mut waiting = vec![0usize; units.len()];
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    let mut last_on_qubit: Vec<Option<usize>> = vec![None; circuit.stats().num_qubits as usize];
    let mut writer: Vec<usize> = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let mut deps = Vec::new();
        for (ins, _) in &u.instructions {
            for t in &ins.targets {
                match *t {
                    Target::Rec(k) => {
                        let r = u.record_base.checked_sub(k).ok_or_else(|| {
                            SimError::Unsupported(format!(
                                "line {}: rec[-{k}] reaches before the first measurement",
                                ins.line
                            ))
                        })?;
                        deps.push(writer[r as usize]);
                    }
                    _ => {
                        if let Some(q) = t.qubit_index() {
                            match last_on_qubit[q as usize].replace(i) {
                                Some(prev) if prev != i => deps.push(prev),
                                _ => {}
                            }
                        }
                    }
                }
            }
            writer.extend(std::iter::repeat_n(i, ins.num_measurements() as usize));
        }
        deps.sort_unstable();
        deps.dedup();
        waiting[i] = deps.len();
        for d in deps {
            after[d].push(i);
        }
    }
    let mut ready: [BTreeSet<usize>; 4] = Default::default();
    for (i, u) in units.iter().enumerate() {
        if waiting[i] == 0 {
            ready[u.class].insert(i);
        }
    }
    let mut compiled = 0;
    while let Some(i) = pick(c, &units, &mut ready) {
        compiled += 1;
        let u = &units[i];
        let mut base = u.record_base;
        for (ins, site) in &u.instructions {
            c.instruction_at(ins, base, u.detector_base, *site)?;
            base += ins.num_measurements() as u32;
        }
        for &j in &after[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready[units[j].class].insert(j);
            }
        }
    }
    debug_assert_eq!(compiled, units.len(), "the dependencies have no cycle");
    if compiled < units.len() {
        return Err(SimError::Unsupported(
            "internal error: the exact engine's scheduler left operations out".into(),
        ));
    }
    Ok(())
}

/// Takes the next unit to compile (see the module docs).
fn pick(c: &Compiler, units: &[Unit], ready: &mut [BTreeSet<usize>; 4]) -> Option<usize> {
    for class in [DETECTOR, MEASURE, CLIFFORD] {
        if let Some(i) = ready[class].pop_first() {
            return Some(i);
        }
    }
    let quiet = ready[NON_CLIFFORD].iter().copied().find(|&i| {
        let ins = &units[i].instructions[0].0;
        // A gate's first step, if a rotation, activates a qubit when the image of its Pauli has
        // an X or Y on a dormant qubit. RH starts with a reset: always a fresh active qubit.
        match rotation_steps(ins.gate, &ins.args).and_then(|s| s.first().copied()) {
            Some(RotationStep::Rotate { axis, slot, .. }) => ins
                .targets
                .get(slot)
                .and_then(|t| t.qubit_index())
                .is_some_and(|q| {
                    c.dormant_x(&c.product_image(&[(q as usize, axis)]))
                        .is_none()
                }),
            _ => false,
        }
    });
    let i = quiet.or_else(|| ready[NON_CLIFFORD].first().copied())?;
    ready[NON_CLIFFORD].remove(&i);
    Some(i)
}
