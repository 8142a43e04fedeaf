//! The global Hadamard measurement of Chamberland and Noh, npj Quantum Inf. 6, 91 (2020), on
//! the redundant-ghz layout (the redundant layout plus its GHZ network, `layout::ghz`), checked
//! with the state-vector simulator at d = 3.

mod common;
use common::single_faults::{fault_terms, propagate, qubits_of, uniform_noisy_items};
use num_complex::Complex64 as C;
use qec_sim::circuit::{parse_circuit, Circuit, Instruction, Item, Target};
use qec_sim::code::{color666, Color666, Pauli};
use qec_sim::frame::FrameProgram;
use qec_sim::gates::{GateId, GateKind};
use qec_sim::layout::ghz::{
    check, problem, radius_floor, segments_cross, solved, GhzEdge, Readout,
};
use qec_sim::layout::{GhzDesign, Layout, LayoutKind};
use qec_sim::magic::{ch_controls, hadamard_depth, hadamard_measurement, proxy};
use qec_sim::reference::check_deterministic;
use qec_sim::sampler::batch_rng;
use qec_sim::statevec::{gate_matrix, StateVector};
use std::f64::consts::PI;

fn d3() -> Layout {
    Layout::new(3, LayoutKind::RedundantGhz)
}

#[test]
fn plain_layout_has_no_ghz_tree_and_ghz_one_is_coupled() {
    for d in [3, 5, 7] {
        let plain = Layout::new(d, LayoutKind::Redundant);
        let err = hadamard_measurement(&plain).unwrap_err();
        assert!(
            err.contains("cannot run the global Hadamard measurement"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        let layout = Layout::new(d, LayoutKind::RedundantGhz);
        let circuit = hadamard_measurement(&layout).unwrap();
        layout.check_couplings(&circuit).unwrap();
        assert!(plain.check_couplings(&circuit).is_err());
        assert_eq!(
            circuit.stats().num_ticks as usize,
            hadamard_depth(&layout).unwrap()
        );
        // The GHZ network only adds couplings between ancillas.
        assert!(layout.graph.edge_count() > plain.graph.edge_count());
        assert_eq!(layout.max_degree(), 5);
        // Every data qubit gets exactly one CH, from an adjacent ancilla.
        let controls = ch_controls(&layout);
        assert_eq!(controls.len(), layout.num_data());
        let mut targets = Vec::new();
        circuit
            .for_each_flat(&mut |ins| {
                if ins.gate.name() == "CH" {
                    for pair in ins.targets.chunks(2) {
                        targets.push(pair[1].qubit_index().unwrap() as usize);
                    }
                }
                Ok::<(), ()>(())
            })
            .unwrap();
        targets.sort_unstable();
        assert_eq!(targets, (0..layout.num_data()).collect::<Vec<_>>());
    }
}

/// |0>_L of the d = 3 color code on `n` qubits (ancillas |0>): H on a pivot of each X
/// stabilizer row (reduced row echelon form), CX from the pivot to the rest of its row.
fn zero_logical(n: usize) -> StateVector {
    let mut rows = color666(3).check_matrix(Pauli::X);
    let mut pivots = Vec::new();
    let mut r = 0;
    for col in 0..rows[0].len() {
        let Some(p) = (r..rows.len()).find(|&i| rows[i][col] == 1) else {
            continue;
        };
        rows.swap(r, p);
        for i in 0..rows.len() {
            if i != r && rows[i][col] == 1 {
                let pivot_row = rows[r].clone();
                rows[i]
                    .iter_mut()
                    .zip(&pivot_row)
                    .for_each(|(a, b)| *a ^= b);
            }
        }
        pivots.push(col);
        r += 1;
    }
    let mut sv = StateVector::new(n).unwrap();
    let h = gate_matrix(GateId::named("H")).unwrap();
    let cx = gate_matrix(GateId::named("CX")).unwrap();
    for (row, &p) in rows.iter().zip(&pivots) {
        sv.apply1(&h, p);
        for q in (0..row.len()).filter(|&q| q != p && row[q] == 1) {
            sv.apply2(&cx, p, q);
        }
    }
    sv
}

/// a|0>_L + b|1>_L (real a, b) on `n` qubits.
fn logical(n: usize, a: f64, b: f64) -> Vec<num_complex::Complex64> {
    let zero = zero_logical(n);
    let mut one = zero.clone();
    for q in Color666::new(3).logical_support() {
        one.apply_pauli(q, true, false);
    }
    zero.amplitudes()
        .iter()
        .zip(one.amplitudes())
        .map(|(z, o)| z * a + o * b)
        .collect()
}

/// The circuit without its measurements (the unitary part, resets acting on |0> ancillas).
fn unitary_part(circuit: &Circuit) -> Circuit {
    let mut out = Circuit::new();
    for item in &circuit.items {
        if let Item::Instruction(ins) = item {
            if !ins.gate.name().starts_with('M') {
                out.push(ins.clone());
            }
        }
    }
    out
}

fn overlap(a: &[num_complex::Complex64], b: &[num_complex::Complex64]) -> num_complex::Complex64 {
    a.iter().zip(b).map(|(x, y)| x.conj() * y).sum()
}

/// The d = 3 logical input cos(t)|0>_L + sin(t)|1>_L for t in {0, pi/2, pi/4, -pi/4}, made by
/// transversal gates on |0>_L (X_L, then H^{(x)n} for |+>_L, then Z_L for |->_L).
fn logical_input(n: usize, t: f64) -> StateVector {
    let mut sv = zero_logical(n);
    let support = Color666::new(3).logical_support();
    let h = gate_matrix(GateId::named("H")).unwrap();
    if (t - PI / 2.0).abs() < 1e-12 {
        support.iter().for_each(|&q| sv.apply_pauli(q, true, false));
    }
    if (t.abs() - PI / 4.0).abs() < 1e-12 {
        (0..Color666::new(3).sites.len()).for_each(|q| sv.apply1(&h, q));
    }
    if (t + PI / 4.0).abs() < 1e-12 {
        support.iter().for_each(|&q| sv.apply_pauli(q, false, true));
    }
    sv
}

/// Runs the unitary part of `circuit` on cos(t)|0>_L + sin(t)|1>_L, rotates the root's X basis
/// to Z and checks: P(+1) = cos^2(t - pi/8) = (1 + <H_L>)/2, every flag 0, and the +1 branch
/// equal to |H>_L (its overlap with |H>_L (x) |0...0> has squared modulus P(+1)).
///
/// Leaves read out in X (`redundant-ghz-x`) are measured in X where the others are undone: the
/// root and they hold the GHZ state at the end, so a CX from the root onto each, appended to the
/// unitary part, maps the XOR of their X outcomes onto the root's and leaves them in |0>.
fn check_input(circuit: &Circuit, t: f64) -> Result<(), String> {
    let layout = d3();
    let n = layout.num_qubits();
    let mut sv = logical_input(n, t);
    let root = root_of(circuit);
    let mut unitary = unitary_part(circuit);
    for leaf in x_measured(circuit).into_iter().filter(|&q| q != root) {
        unitary.push(Instruction::new(
            GateId::named("CX"),
            vec![],
            vec![Target::qubit(root as u32), Target::qubit(leaf as u32)],
        ));
    }
    sv.run(&unitary, &mut batch_rng(1, 0)).unwrap();
    sv.apply1(&gate_matrix(GateId::named("H")).unwrap(), root);
    let expect_plus = (t - PI / 8.0).cos().powi(2);
    let p_plus = 1.0 - sv.prob_one(root);
    if (p_plus - expect_plus).abs() > 1e-9 {
        return Err(format!("t = {t}: P(+1) = {p_plus}, expected {expect_plus}"));
    }
    for q in layout.num_data()..n {
        if q != root && sv.prob_one(q) > 1e-9 {
            return Err(format!(
                "t = {t}: flag {q} fires with probability {}",
                sv.prob_one(q)
            ));
        }
    }
    let h_l = logical(n, (PI / 8.0).cos(), (PI / 8.0).sin());
    let o = overlap(&h_l, sv.amplitudes()).norm_sqr();
    if (o - p_plus).abs() > 1e-9 {
        return Err(format!("t = {t}: |<H_L|post>|^2 = {o}, P(+1) = {p_plus}"));
    }
    Ok(())
}

/// The qubits the circuit's instructions named `gate` act on, in order.
fn qubits_of_gate(circuit: &Circuit, gate: &str) -> Vec<usize> {
    let mut out = Vec::new();
    circuit
        .for_each_flat(&mut |ins| {
            if ins.gate.name() == gate {
                out.extend(ins.targets.iter().filter_map(|t| t.qubit_index()));
            }
            Ok::<(), ()>(())
        })
        .unwrap();
    out.into_iter().map(|q| q as usize).collect()
}

/// The GHZ root: the qubit reset in |+>.
fn root_of(circuit: &Circuit) -> usize {
    let roots = qubits_of_gate(circuit, "RX");
    assert_eq!(roots.len(), 1, "one GHZ root");
    roots[0]
}

/// The qubits measured in X (the root and any leaves read out in X).
fn x_measured(circuit: &Circuit) -> Vec<usize> {
    qubits_of_gate(circuit, "MX")
}

const INPUTS: [f64; 4] = [0.0, PI / 2.0, PI / 4.0, -PI / 4.0];

/// Both networks: undone by CXs (`redundant-ghz`) and with leaves read out in X
/// (`redundant-ghz-x`, which has some); and the mirrored network with its leaves read out in X
/// (`Ghz::with_leaves_read_in_x`, the `redundant-ghz-x` network where none is stored).
#[test]
fn hadamard_measurement_projects_onto_h_logical() {
    let mut mirrored_x = Layout::redundant_ghz_with(3, GhzDesign::Mirrored);
    mirrored_x.ghz = mirrored_x.ghz.map(|g| g.with_leaves_read_in_x());
    let layouts = [
        ("redundant-ghz", Layout::new(3, LayoutKind::RedundantGhz)),
        ("redundant-ghz-x", Layout::new(3, LayoutKind::RedundantGhzX)),
        ("mirrored, leaves in X", mirrored_x),
    ];
    for (name, layout) in layouts {
        let circuit = hadamard_measurement(&layout).unwrap();
        if name != "redundant-ghz" {
            assert!(
                x_measured(&circuit).len() > 1,
                "{name}: leaves read out in X"
            );
        }
        for t in INPUTS {
            check_input(&circuit, t).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

/// The checks are not vacuous: dropping any one CH breaks at least one of them, and so does
/// reading out a leaf in Z instead of X.
#[test]
fn a_missing_ch_is_caught() {
    let circuit = hadamard_measurement(&Layout::new(3, LayoutKind::RedundantGhzX)).unwrap();
    let root = root_of(&circuit);
    let leaf = *x_measured(&circuit).iter().find(|&&q| q != root).unwrap();
    let mut z_read = circuit.clone();
    for item in &mut z_read.items {
        if let Item::Instruction(ins) = item {
            if ins.gate.name() == "MX"
                && ins
                    .targets
                    .iter()
                    .any(|t| t.qubit_index() == Some(leaf as u32))
            {
                assert_eq!(ins.targets.len(), 1, "the leaf's MX stands alone");
                ins.gate = GateId::named("M");
            }
        }
    }
    assert!(
        INPUTS.iter().any(|&t| check_input(&z_read, t).is_err()),
        "a leaf read out in Z went unnoticed"
    );
    let circuit = hadamard_measurement(&d3()).unwrap();
    let ch_lines: Vec<usize> = (0..circuit.items.len())
        .filter(|&i| matches!(&circuit.items[i], Item::Instruction(ins) if ins.gate.name() == "CH"))
        .collect();
    assert_eq!(ch_lines.len(), Color666::new(3).sites.len());
    for &skip in &ch_lines {
        let mut broken = circuit.clone();
        broken.items.remove(skip);
        assert!(
            INPUTS.iter().any(|&t| check_input(&broken, t).is_err()),
            "dropping CH at item {skip} went unnoticed"
        );
    }
}

/// Time steps per Hadamard measurement on the redundant-ghz layout (the paper: 8, 13, 17).
#[test]
fn time_steps() {
    let depths: Vec<usize> = [3, 5, 7]
        .iter()
        .map(|&d| hadamard_depth(&Layout::new(d, LayoutKind::RedundantGhz)).unwrap())
        .collect();
    assert_eq!(depths, [9, 13, 19]);
    // The floor any tree over the candidate couplings meets (radius r: 2 r + 3 steps).
    let floors: Vec<usize> = [3, 5, 7]
        .iter()
        .map(|&d| 2 * radius_floor(&Layout::new(d, LayoutKind::Redundant)) + 3)
        .collect();
    eprintln!("floors {floors:?}");
    assert!(floors.iter().zip(&depths).all(|(f, d)| f <= d));
}

/// The solver's stored network (`layout::ghz::solved`, d = 5) passes `ghz::check` on the plain
/// redundant layout and is the one the redundant-ghz layout uses; `check` refuses it broken in
/// each way it tests (no candidate coupling, a CH from an ancilla not touching its data qubit or
/// outside its window, two gates on one qubit in one step, an undo before the encoding).
#[test]
fn solved_network_is_checked() {
    let plain = Layout::new(5, LayoutKind::Redundant);
    let net = solved(&plain, Readout::Undo).expect("a stored d = 5 network");
    assert_eq!(check(&plain, &net), Ok(()));
    assert_eq!(net.measure + 1, 13);
    assert_eq!(
        Layout::new(5, LayoutKind::RedundantGhz).ghz,
        Some(net.clone())
    );
    assert!(solved(&Layout::new(3, LayoutKind::Redundant), Readout::Undo).is_none());
    let (adj, touchers) = problem(&plain);
    let (p, t) = (net.tree[0].parent, net.tree[0].join);
    let member = |a: usize| a == net.root || net.tree.iter().any(|e| e.child == a);
    let mut broken = Vec::new();
    // A new child of the first parent over no candidate coupling.
    let far = (plain.num_data()..plain.num_qubits())
        .find(|&a| a != p && !member(a) && adj[p].iter().all(|&(b, _)| b != a))
        .unwrap();
    let mut g = net.clone();
    g.tree.push(GhzEdge::undone(p, far, t, t + 1));
    broken.push(("candidate", g));
    // Data qubit 0's CH from a member that does not touch it.
    let stranger = (plain.num_data()..plain.num_qubits())
        .find(|&a| member(a) && !touchers[0].contains(&a))
        .unwrap();
    let mut g = net.clone();
    g.ch[0].0 = stranger;
    broken.push(("toucher", g));
    let mut g = net.clone();
    g.ch[0].1 = net.measure + 1;
    broken.push(("window", g));
    // Data qubit 0's control also applies data qubit 1's CH, in the same step.
    let mut g = net.clone();
    g.ch[1] = g.ch[0];
    broken.push(("", g));
    let mut g = net.clone();
    g.tree[0].leave = t;
    broken.push(("second gate", g));
    for (what, g) in broken {
        let err = check(&plain, &g).expect_err(what);
        assert!(err.contains(what), "expected {what:?}, got {err:?}");
    }
}

/// The stored networks with leaves read out in X (`redundant-ghz-x`, d = 3, 5, 7) pass
/// `ghz::check`, are the ones that layout uses, read out some leaves in X, and take 8 / 12 / 17
/// steps (the paper's 8 / 13 / 17: `tHd3`, `tHd5`, `tHd7` of the authors' notebook). `check`
/// refuses a member read out in X that entangles another, and one read out after the root.
#[test]
fn leaves_read_out_in_x_are_checked() {
    let mut depths = Vec::new();
    for d in [3, 5, 7] {
        let plain = Layout::new(d, LayoutKind::Redundant);
        let net = solved(&plain, Readout::LeavesX).expect("a stored network");
        assert_eq!(check(&plain, &net), Ok(()));
        let layout = Layout::new(d, LayoutKind::RedundantGhzX);
        assert_eq!(layout.ghz, Some(net.clone()));
        assert!(net.tree.iter().any(|e| e.read_x));
        depths.push(hadamard_depth(&layout).unwrap());
        if d == 3 {
            // A parent read out in X, and a leaf read out after the root.
            let parent = net
                .tree
                .iter()
                .position(|e| net.tree.iter().any(|f| f.parent == e.child));
            let mut g = net.clone();
            g.tree[parent.unwrap()].read_x = true;
            assert!(check(&plain, &g).unwrap_err().contains("not a leaf"));
            let leaf = net.tree.iter().position(|e| e.read_x).unwrap();
            let mut g = net.clone();
            g.tree[leaf].leave = net.measure + 1;
            assert!(check(&plain, &g)
                .unwrap_err()
                .contains("after the measurement"));
        }
    }
    assert_eq!(depths, [8, 12, 17]);
    // Where no network is stored (d = 9), the mirrored one with its leaves read out in X: it
    // passes `check` (Layout::new checks it) and is no longer than redundant-ghz's.
    let x9 = Layout::new(9, LayoutKind::RedundantGhzX);
    assert!(x9.ghz.as_ref().unwrap().tree.iter().any(|e| e.read_x));
    let undo9 = Layout::new(9, LayoutKind::RedundantGhz);
    assert!(hadamard_depth(&x9).unwrap() <= hadamard_depth(&undo9).unwrap());
}

/// The coupling graph is planar as drawn: no two couplings cross (straight lines between the
/// drawing's positions), and every data qubit touches an ancilla of the GHZ state.
#[test]
fn ghz_layout_is_planar() {
    for d in [3, 5, 7] {
        let layout = Layout::new(d, LayoutKind::RedundantGhz);
        let pos = &layout.positions;
        let edges: Vec<(usize, usize)> = layout
            .graph
            .edge_indices()
            .map(|e| {
                let (a, b) = layout.graph.edge_endpoints(e).unwrap();
                (a.index(), b.index())
            })
            .collect();
        for (i, &(a, b)) in edges.iter().enumerate() {
            for &(c, e) in &edges[i + 1..] {
                assert!(
                    !segments_cross(pos[a], pos[b], pos[c], pos[e]),
                    "d = {d}: couplings {a}-{b} and {c}-{e} cross"
                );
            }
        }
        let members = layout.ghz.as_ref().unwrap().members();
        for (q, a) in ch_controls(&layout).into_iter().enumerate() {
            assert!(members.contains(&a) && layout.coupled(a, q));
        }
    }
}

/// The proxy measurement on data prepared in `data_reset`, with a DETECTOR on every
/// measurement (root and flags must all read 0).
fn proxy_with_detectors(layout: &Layout, data_reset: &str) -> Circuit {
    let mut c = Circuit::new();
    let data: Vec<u32> = (0..layout.num_data() as u32).collect();
    c.append(data_reset, &[], &data);
    c.items
        .extend(proxy(&hadamard_measurement(layout).unwrap()).items);
    let m = c.stats().num_measurements as u32;
    for k in 1..=m {
        c.push(Instruction::new(
            GateId::named("DETECTOR"),
            vec![],
            vec![Target::Rec(k)],
        ));
    }
    c
}

/// The proxy (CH -> CX[proxy:CH]) measures X^{(x)n}: on |+>^n the root and every flag are
/// deterministic 0 (tableau check), on |0>^n the root is random; Stim's text round-trips and
/// the frame sampler takes it without the twirl model.
#[test]
fn proxy_measures_transversal_x() {
    for d in [3, 5] {
        let layout = Layout::new(d, LayoutKind::RedundantGhz);
        let plus = proxy_with_detectors(&layout, "RX");
        check_deterministic(&plus).unwrap();
        assert!(check_deterministic(&proxy_with_detectors(&layout, "R")).is_err());
        let text = plus.to_string();
        assert_eq!(text.matches("CX[proxy:CH]").count(), layout.num_data());
        assert!(!text.contains("CH "));
        assert_eq!(parse_circuit(&text).unwrap(), plus);
        FrameProgram::compile(&plus).unwrap();
        layout.check_couplings(&plus).unwrap();
    }
}

/// Single faults of the noisy proxy measurement (uniform noise) that are accepted (root and
/// every flag read 0) yet leave a data error not equivalent, up to stabilizers and the measured
/// X^{(x)n}, to weight <= 1 in its X or Z part. With `ignore_flags` only the root is looked at.
fn accepted_bad_faults(d: usize, ignore_flags: bool) -> (usize, usize) {
    let layout = Layout::new(d, LayoutKind::RedundantGhz);
    let code = layout.code.code();
    let clean = proxy(&hadamard_measurement(&layout).unwrap());
    let items = uniform_noisy_items(&clean);
    // Which measurement (record order) is the root's MX.
    let is_root: Vec<bool> = items
        .iter()
        .filter(|ins| ins.gate.measures())
        .flat_map(|ins| ins.targets.iter().map(|_| ins.gate.name() == "MX"))
        .collect();
    let (mut count, mut bad) = (0, 0);
    for (k, ins) in items.iter().enumerate() {
        let width = match ins.gate.kind() {
            GateKind::Noise1 => 1,
            GateKind::Noise2 => 2,
            _ => continue,
        };
        let qs: Vec<u32> = ins.targets.iter().filter_map(|t| t.qubit_index()).collect();
        for group in qs.chunks(width) {
            for term in fault_terms(ins) {
                count += 1;
                let (flips, frame) = propagate(&items, k, group, term, layout.num_qubits());
                let seen = |(f, root): (&bool, &bool)| *f && (*root || !ignore_flags);
                if flips.iter().zip(&is_root).any(seen) {
                    continue;
                }
                let part = |bits: &[bool], flip: bool| -> Vec<usize> {
                    (0..layout.num_data()).filter(|&q| bits[q] ^ flip).collect()
                };
                // X^{(x)n} is the measured operator (the proxy of H_L): the accepted state is its
                // eigenstate, so an X part equal to it up to stabilizers is harmless.
                let wx = [false, true]
                    .map(|flip| code.reduced_weight(Pauli::X, &part(&frame.x, flip)))
                    .into_iter()
                    .min()
                    .unwrap();
                let wz = code.reduced_weight(Pauli::Z, &part(&frame.z, false));
                bad += usize::from(wx > 1 || wz > 1);
            }
        }
    }
    (count, bad)
}

/// Flag fault tolerance of the Hadamard measurement's Clifford skeleton (the proxy): every
/// accepted single fault leaves a correctable data error; without the flags some do not.
#[test]
fn proxy_single_faults_are_flagged_or_harmless() {
    for d in [3, 5] {
        let (count, bad) = accepted_bad_faults(d, false);
        assert!(count > 200, "d={d}: only {count} faults");
        assert_eq!(
            bad, 0,
            "d={d}: {bad} of {count} accepted single faults are harmful"
        );
    }
    let (_, bad) = accepted_bad_faults(5, true);
    assert!(bad > 0, "flags should matter");
}

/// The accepted data branches (d = 3: data qubits 0..7, ancillas 7..16) of a state whose root
/// was rotated to the Z basis: root 0 and every flag 0, or with `ignore_flags` root 0 and any
/// flag pattern; each unnormalised, only those with non-zero probability.
fn accepted_branches(sv: &StateVector, root: usize, ignore_flags: bool) -> Vec<Vec<C>> {
    let patterns = if ignore_flags { 1usize << 9 } else { 1 };
    (0..patterns)
        .filter(|p| p >> (root - 7) & 1 == 0)
        .map(|p| sv.amplitudes()[p << 7..(p + 1) << 7].to_vec())
        .filter(|b| b.iter().map(|a| a.norm_sqr()).sum::<f64>() > 1e-12)
        .collect()
}

/// Fidelity with |H>_L of the accepted, renormalised data state `post` after ideal syndrome
/// extraction and weight <= 1 correction (d = 3): the 64 states X_i Z_j |H>_L (i, j a data qubit
/// or none) have distinct syndromes, hence are orthogonal, and decoding maps each back to |H>_L,
/// so the fidelity is the sum of the squared overlaps.
fn corrected_fidelity(post: &[C], h_l: &[C]) -> f64 {
    let norm: f64 = post.iter().map(|a| a.norm_sqr()).sum();
    let choices: Vec<Option<usize>> = std::iter::once(None).chain((0..7).map(Some)).collect();
    let mut total = 0f64;
    for &xi in &choices {
        for &zj in &choices {
            // <h_l| X_i Z_j |post>: X_i permutes indices, Z_j signs them.
            let o: C = (0..post.len())
                .map(|b| {
                    let src = xi.map_or(b, |i| b ^ (1 << i));
                    let sign = zj.map_or(1.0, |j| if src >> j & 1 == 1 { -1.0 } else { 1.0 });
                    h_l[b].conj() * post[src] * sign
                })
                .sum();
            total += o.norm_sqr() / norm;
        }
    }
    total
}

/// Exact single-fault check of the real (CH) measurement at d = 3 with the state vector: a Pauli
/// (each of 3 or 15) after every gate or reset, on |0>_L and |+>_L inputs; whenever the root
/// reads +1 and every flag 0 with non-zero probability, the accepted data state is |H>_L up to
/// a correction of weight <= 1 in X and in Z, or it is |H⊥>_L so corrected: the outcome was
/// flipped (a Z on the GHZ state, like a root measurement error), which one measurement cannot
/// see and the protocol's repeated measurements must catch. Measurement flips are left out.
/// With `ignore_flags`, any flag pattern is accepted. Returns (faults tried, faults accepted with
/// a flipped outcome, faults accepted with neither state).
fn exact_bad_faults(circuit: &Circuit, ignore_flags: bool) -> (usize, usize, usize) {
    let n = d3().num_qubits();
    let items: Vec<Instruction> = unitary_part(circuit)
        .items
        .into_iter()
        .map(|i| match i {
            Item::Instruction(ins) => ins,
            Item::Repeat(_) => panic!("flat circuit expected"),
        })
        .collect();
    let root = root_of(circuit);
    let h = gate_matrix(GateId::named("H")).unwrap();
    let h_l = logical(7, (PI / 8.0).cos(), (PI / 8.0).sin());
    let h_perp = logical(7, -(PI / 8.0).sin(), (PI / 8.0).cos());
    let (mut count, mut flipped, mut bad) = (0, 0, 0);
    for t in [0.0, PI / 4.0] {
        let mut prefix = logical_input(n, t);
        let mut rng = batch_rng(2, 0);
        for (k, ins) in items.iter().enumerate() {
            prefix.execute(ins, &mut rng).unwrap();
            let width = match ins.gate.kind() {
                GateKind::Clifford1 | GateKind::Reset(_) => 1,
                GateKind::Clifford2 | GateKind::NonClifford2 => 2,
                _ => continue,
            };
            let qs = qubits_of(ins);
            for group in qs.chunks(width) {
                for paulis in 1..(1u32 << (2 * width)) {
                    count += 1;
                    let mut sv = prefix.clone();
                    for (b, &q) in group.iter().enumerate() {
                        let bits = paulis >> (2 * b);
                        sv.apply_pauli(q, bits & 1 == 1, bits & 2 == 2);
                    }
                    for later in &items[k + 1..] {
                        sv.execute(later, &mut rng).unwrap();
                    }
                    sv.apply1(&h, root);
                    let (mut flip, mut wrong) = (false, false);
                    for post in accepted_branches(&sv, root, ignore_flags) {
                        if corrected_fidelity(&post, &h_perp) > 1.0 - 1e-9 {
                            flip = true;
                        } else if corrected_fidelity(&post, &h_l) < 1.0 - 1e-9 {
                            wrong = true;
                        }
                    }
                    flipped += usize::from(flip);
                    bad += usize::from(wrong);
                }
            }
        }
    }
    (count, flipped, bad)
}

#[test]
fn exact_single_faults_are_flagged_or_correctable() {
    let circuit = hadamard_measurement(&d3()).unwrap();
    let (count, flipped, bad) = exact_bad_faults(&circuit, false);
    assert!(count > 500, "only {count} faults");
    assert_eq!(
        bad, 0,
        "{bad} of {count} accepted faults are not correctable"
    );
    assert!(flipped > 0, "Z faults on the GHZ state flip the outcome");
    eprintln!("{count} faults, {flipped} accepted with a flipped outcome");
    // Not vacuous: without the flags some accepted single faults are uncorrectable.
    let (_, _, bad) = exact_bad_faults(&circuit, true);
    assert!(bad > 0, "flags should matter");
    eprintln!("without flags: {bad} uncorrectable");
}
