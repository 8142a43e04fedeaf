//! The whole |H> preparation protocol of Chamberland and Noh (npj Quantum Inf. 6, 91 (2020)) as
//! one circuit: inject a noisy |H> into a corner of the color code, grow it to distance d by one
//! round of flagged stabilizer measurement (error detection; the stabilizers the injection
//! leaves random fix a gauge, undone by classically controlled Paulis), then (d-1)/2 times
//! [global Hadamard measurement, flagged stabilizer round]. Every flag, every deterministic
//! syndrome and every Hadamard outcome is a detector; an attempt is accepted only when none
//! fires. A noiseless tail (ideal syndrome extraction on fresh ancillas, and the logical
//! operators) lets a decoder score the accepted output. Design note: `docs/hadamard-prep.md`.

use super::{hadamard_ops, PrepTiming};
use crate::circuit::{Circuit, Instruction, Item, Target};
use crate::code::{lattice_coords, Pauli};
use crate::decoder::{CodeChecks, CodeLookup, Decision, Decoder, DecoderError};
use crate::gates::{Basis, GateId};
use crate::layout::{Layout, LayoutKind, Role};
use crate::noise::NoiseModel;
use crate::schedule::{coords_of, round_ops, Op, RoundMeanings, Schedule};

/// How the non-Clifford parts (the CH gates and the injected |H>) are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChModel {
    /// State vector, CH and |H> exact (d = 3 only).
    Exact,
    /// Pauli frames, CH as Ry(pi/4)-conjugated CZ with X/Z on the target scrambled (the
    /// approximation Chamberland and Noh simulate).
    Twirl,
    /// Clifford substitute: CH -> CX and |H> -> |+> (Stim-compatible).
    Proxy,
}

impl ChModel {
    pub const ALL: [ChModel; 3] = [ChModel::Exact, ChModel::Twirl, ChModel::Proxy];

    pub fn name(self) -> &'static str {
        match self {
            ChModel::Exact => "exact",
            ChModel::Twirl => "twirl",
            ChModel::Proxy => "proxy",
        }
    }

    pub fn named(name: &str) -> Option<ChModel> {
        ChModel::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// 4th detector coordinate of a Hadamard-measurement outcome (0..5 are Chromobius's colour and
/// basis indices of stabilizers, -1 marks flags).
pub const HADAMARD_COORD: f64 = 6.0;

/// 4th detector coordinate of the noiseless scoring tail's checks: they are scored by the
/// `hadamard-prep` decoder, never postselected (a circuit file carrying these marks is swept
/// with that decoder, see `docs/hadamard-prep.md`).
pub const TAIL_COORD: f64 = -2.0;

/// The generated protocol at one distance.
#[derive(Clone, Debug)]
pub struct HadamardPrep {
    pub d: usize,
    /// The redundant layout with its GHZ network (`redundant-ghz-x` or `redundant-ghz`, see
    /// [`crate::layout::ghz`]).
    pub layout: Layout,
    /// The noiseless protocol (CH gates, `RH` injection), TICK per time step; its detectors are
    /// the postselection.
    pub body: Circuit,
    /// Detectors of the body (all postselected).
    pub num_body_detectors: usize,
    pub timing: PrepTiming,
    /// Time steps of the body.
    pub ticks: usize,
    /// Data qubits prepared in |+> (the rest of the non-corner data start in |0>).
    pub plus: Vec<bool>,
    /// Which part of the protocol [`HadamardPrep::circuit`] runs.
    pub stages: Stages,
    /// Items of `body` that make up injection, growth and gauge fixing (with their detectors).
    grow_items: usize,
    /// Detectors among those items.
    growth_detectors: usize,
}

/// Which part of the protocol a circuit runs. The paper counts its stages apart (the authors'
/// notebook, github.com/einsteinchris/MagicStatePrep `DataMagicStatePrepSim.nb`, multiplies a
/// growing-stage acceptance by a check-stage one); the whole protocol is the default and what
/// the resource estimate uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stages {
    /// Injection, growth and the (d-1)/2 checks, all noisy.
    Whole,
    /// The checks from a perfect encoded |H>_L: injection and growth run noiselessly (their
    /// detectors never fire), so acceptance and logical error are the check stage's.
    PerfectStart,
    /// Injection and growth only (then the scoring tail): the growing stage's acceptance.
    Growth,
}

/// What a measurement of the protocol means, for its detector.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tag {
    /// Part of a stabilizer round (stage index; 0 is the growth round).
    Round(usize),
    /// Part of a Hadamard measurement (stage index).
    Hadamard(usize),
}

/// Solves A x = b over GF(2) (rows of A as 0/1 vectors); None if inconsistent.
fn solve_gf2(a: &[Vec<u8>], b: &[u8]) -> Option<Vec<u8>> {
    let n = a.first().map_or(0, Vec::len);
    let mut rows: Vec<(Vec<u8>, u8)> = a.iter().cloned().zip(b.iter().copied()).collect();
    let mut pivots = Vec::new();
    let mut r = 0;
    for c in 0..n {
        let Some(p) = (r..rows.len()).find(|&i| rows[i].0[c] == 1) else {
            continue;
        };
        rows.swap(r, p);
        let (pivot_row, pivot_b) = rows[r].clone();
        for (i, row) in rows.iter_mut().enumerate() {
            if i != r && row.0[c] == 1 {
                for (x, y) in row.0.iter_mut().zip(&pivot_row) {
                    *x ^= y;
                }
                row.1 ^= pivot_b;
            }
        }
        pivots.push(c);
        r += 1;
    }
    if rows[r..].iter().any(|row| row.1 == 1) {
        return None;
    }
    let mut x = vec![0u8; n];
    for (i, &c) in pivots.iter().enumerate() {
        x[c] = rows[i].1;
    }
    Some(x)
}

/// A Pauli correction (support) that flips only the stabilizer of face `f` among the faces'
/// checks of the other type and commutes with the logical representative `keep`: applying it
/// moves the state between gauges without touching the injected logical information.
fn gauge_correction(layout: &Layout, f: usize, keep: &[usize]) -> Vec<usize> {
    let n = layout.num_data();
    let indicator = |support: &[usize]| {
        let mut v = vec![0u8; n];
        for &q in support {
            v[q] ^= 1;
        }
        v
    };
    let mut a: Vec<Vec<u8>> = layout
        .code
        .faces
        .iter()
        .map(|g| indicator(&g.qubits))
        .collect();
    let mut b: Vec<u8> = (0..a.len()).map(|g| u8::from(g == f)).collect();
    a.push(indicator(keep));
    b.push(0);
    let x = solve_gf2(&a, &b).expect("faces and a logical are independent");
    (0..n).filter(|&q| x[q] == 1).collect()
}

/// Places ops as early as possible, except resets, which move to just before the next op on
/// their qubit (a qubit reset early would idle, and collect idle noise, until it is used);
/// returns the layers with each op's tag.
fn asap_tagged<T: Copy>(ops: Vec<(Op, T)>, n: usize) -> Vec<Vec<(Op, T)>> {
    let mut times = Schedule::asap_times(ops.iter().map(|(o, _)| o), n);
    let mut next_use: Vec<Option<usize>> = vec![None; n];
    for (k, (o, _)) in ops.iter().enumerate().rev() {
        if o.gate.starts_with('R') && o.qubits.len() == 1 {
            if let Some(t) = next_use[o.qubits[0]] {
                times[k] = times[k].max(t - 1);
            }
        }
        for &q in &o.qubits {
            next_use[q] = Some(times[k]);
        }
    }
    let depth = times.iter().map(|t| t + 1).max().unwrap_or(0);
    let mut layers: Vec<Vec<(Op, T)>> = vec![Vec::new(); depth];
    for ((o, tag), t) in ops.into_iter().zip(times) {
        layers[t].push((o, tag));
    }
    layers
}

/// Circuit writer that remembers where each measurement landed in the record.
struct Writer<'a> {
    layout: &'a Layout,
    circuit: Circuit,
    measurements: usize,
    detectors: usize,
}

impl Writer<'_> {
    fn push(&mut self, name: &str, args: Vec<f64>, targets: Vec<Target>) {
        self.circuit
            .push(Instruction::new(GateId::named(name), args, targets));
    }

    fn rec(&self, m: usize) -> Target {
        Target::Rec((self.measurements - m) as u32)
    }

    fn detector(&mut self, coords: Vec<f64>, records: &[usize]) {
        let targets = records.iter().map(|&m| self.rec(m)).collect();
        self.push("DETECTOR", coords, targets);
        self.detectors += 1;
    }

    /// Emits layers (a TICK after each), merging equal gates; returns each measurement's record
    /// index, op and tag in record order.
    fn emit<T: Copy>(&mut self, layers: &[Vec<(Op, T)>]) -> Vec<(usize, Op, T)> {
        let mut out = Vec::new();
        for layer in layers {
            let mut names: Vec<&'static str> = Vec::new();
            for (o, _) in layer {
                if !names.contains(&o.gate) {
                    names.push(o.gate);
                }
            }
            for name in names {
                let ops: Vec<&(Op, T)> = layer.iter().filter(|(o, _)| o.gate == name).collect();
                let targets = ops
                    .iter()
                    .flat_map(|(o, _)| o.qubits.iter().map(|&q| Target::qubit(q as u32)))
                    .collect();
                if name.starts_with('M') {
                    for (o, tag) in &ops {
                        out.push((self.measurements, o.clone(), *tag));
                        self.measurements += 1;
                    }
                }
                self.push(name, vec![], targets);
            }
            self.push("TICK", vec![], vec![]);
        }
        out
    }

    /// Colour-and-basis index of a face's stabilizer (Chromobius convention).
    fn color_index(&self, face: usize, basis: Pauli) -> f64 {
        let color = self.layout.code.faces[self.layout.faces[face].face]
            .color
            .index();
        (color + if basis == Pauli::Z { 3 } else { 0 }) as f64
    }

    fn face_center(&self, face: usize) -> [f64; 2] {
        lattice_coords(self.layout.code.faces[self.layout.faces[face].face].center)
    }
}

impl HadamardPrep {
    /// Builds the distance-`d` protocol (odd d >= 3) on the default layout
    /// ([`LayoutKind::HADAMARD`], `redundant-ghz-x`).
    pub fn new(d: usize) -> Result<HadamardPrep, String> {
        Self::on(d, LayoutKind::HADAMARD)
    }

    /// Builds the distance-`d` protocol on a layout with a GHZ network (`redundant-ghz` or
    /// `redundant-ghz-x`).
    pub fn on(d: usize, kind: LayoutKind) -> Result<HadamardPrep, String> {
        if d < 3 || d.is_multiple_of(2) {
            return Err(format!(
                "distance {d}: the 6.6.6 color code needs odd d >= 3"
            ));
        }
        if !kind.has_ghz() {
            return Err(format!(
                "layout {}: no GHZ network for the Hadamard measurement",
                kind.name()
            ));
        }
        let layout = Layout::new(d, kind);
        let n = layout.num_qubits();
        let sites = &layout.code.sites;
        // Injection: |H> on the corner (0, 0); side j = 0 (logical X representative through the
        // corner) in |+>, side i = 0 (logical Z representative) in |0>; elsewhere |+> below the
        // diagonal i = j and |0> above it, so that whole faces are deterministic where possible.
        let corner = sites.iter().position(|&s| s == (0, 0)).expect("corner");
        let plus: Vec<bool> = sites
            .iter()
            .map(|&(i, j)| j == 0 || (i >= j && i != 0))
            .collect();
        let side_x: Vec<usize> = (0..sites.len()).filter(|&q| sites[q].1 == 0).collect();
        let side_z: Vec<usize> = (0..sites.len()).filter(|&q| sites[q].0 == 0).collect();

        let mut w = Writer {
            layout: &layout,
            circuit: Circuit::new(),
            measurements: 0,
            detectors: 0,
        };
        for (q, &p) in layout.positions.iter().enumerate() {
            w.push(
                "QUBIT_COORDS",
                coords_of(p).to_vec(),
                vec![Target::qubit(q as u32)],
            );
        }
        // Stage 0: injection and the growth round.
        let mut grow: Vec<(Op, Tag)> = (0..layout.num_data())
            .map(|q| {
                let gate = if q == corner {
                    "RH"
                } else if plus[q] {
                    "RX"
                } else {
                    "R"
                };
                (Op::new(gate, &[q]), Tag::Round(0))
            })
            .collect();
        grow.extend(round_ops(&layout).into_iter().map(|o| (o, Tag::Round(0))));
        let grow_layers = asap_tagged(grow, n);
        let grow_ticks = grow_layers.len();
        let measured = w.emit(&grow_layers);
        let deterministic = |face: usize, basis: Pauli| {
            let f = &layout.code.faces[layout.faces[face].face];
            f.qubits
                .iter()
                .all(|&q| q != corner && plus[q] == (basis == Pauli::X))
        };
        let mut feedback: Vec<(usize, Pauli, usize)> = Vec::new();
        // Record order keeps every qubit's measurements in program order.
        let mut meanings = RoundMeanings::new(&layout);
        for (m, o, _) in &measured {
            let info = meanings.next(o).expect("round measurements are ancillas");
            if info.role == Role::Flag {
                let [x, y] = coords_of(layout.positions[info.qubit]);
                w.detector(vec![x, y, 0.0, -1.0], &[*m]);
            } else if deterministic(info.face, info.basis) {
                let [x, y] = w.face_center(info.face);
                let c = w.color_index(info.face, info.basis);
                w.detector(vec![x, y, 0.0, c], &[*m]);
            } else {
                feedback.push((*m, info.basis, info.face));
            }
        }
        // Gauge fixing: a random X check that read -1 gets a Z correction commuting with the
        // logical X representative (and vice versa), classically controlled on its outcome.
        for (m, basis, face) in feedback {
            let keep = if basis == Pauli::X { &side_x } else { &side_z };
            let gate = if basis == Pauli::X { "CZ" } else { "CX" };
            let support = gauge_correction(&layout, layout.faces[face].face, keep);
            let targets = support
                .iter()
                .flat_map(|&q| [w.rec(m), Target::qubit(q as u32)])
                .collect();
            w.push(gate, vec![], targets);
        }

        let grow_items = w.circuit.items.len();
        let grow_detectors = w.detectors;
        // Stages 1..: (d-1)/2 x [Hadamard measurement, stabilizer round], scheduled together.
        let h_ops = hadamard_ops(&layout)?;
        let round = round_ops(&layout);
        let reps = (d - 1) / 2;
        let mut rest: Vec<(Op, Tag)> = Vec::new();
        for r in 0..reps {
            rest.extend(h_ops.iter().cloned().map(|o| (o, Tag::Hadamard(2 * r + 1))));
            rest.extend(round.iter().cloned().map(|o| (o, Tag::Round(2 * r + 2))));
        }
        let rest_layers = asap_tagged(rest, n);
        let rest_ticks = rest_layers.len();
        // The Hadamard outcome is the XOR of the block's X measurements (the root's and those
        // of leaves read out in X), one detector at the root once the last is in.
        let x_reads = h_ops.iter().filter(|o| o.gate == "MX").count();
        let root = layout
            .ghz
            .as_ref()
            .expect("hadamard_ops found the network")
            .root;
        let mut outcome: Vec<Vec<usize>> = vec![Vec::new(); 2 * reps + 1];
        for (m, o, tag) in w.emit(&rest_layers) {
            let q = o.qubits[0];
            match tag {
                Tag::Hadamard(t) if o.gate == "MX" => {
                    outcome[t].push(m);
                    if outcome[t].len() == x_reads {
                        let [x, y] = coords_of(layout.positions[root]);
                        w.detector(vec![x, y, t as f64, HADAMARD_COORD], &outcome[t]);
                    }
                }
                Tag::Hadamard(t) => {
                    let [x, y] = coords_of(layout.positions[q]);
                    w.detector(vec![x, y, t as f64, -1.0], &[m]);
                }
                Tag::Round(t) => {
                    let info = meanings.next(&o).expect("round measurements");
                    if info.role == Role::Flag {
                        let [x, y] = coords_of(layout.positions[q]);
                        w.detector(vec![x, y, t as f64, -1.0], &[m]);
                    } else {
                        let [x, y] = w.face_center(info.face);
                        let c = w.color_index(info.face, info.basis);
                        w.detector(vec![x, y, t as f64, c], &[m]);
                    }
                }
            }
        }
        let timing = PrepTiming {
            grow: grow_ticks,
            hadamard: Schedule::asap_depth(&h_ops, n),
            round: Schedule::asap_depth(&round, n),
            attempt: grow_ticks + rest_ticks,
        };
        let num_body_detectors = w.detectors;
        let body = w.circuit;
        layout.check_couplings(&body)?;
        Ok(HadamardPrep {
            d,
            layout,
            body,
            num_body_detectors,
            timing,
            ticks: grow_ticks + rest_ticks,
            plus,
            stages: Stages::Whole,
            grow_items,
            growth_detectors: grow_detectors,
        })
    }

    /// The protocol restricted to `stages` (see [`Stages`]); [`HadamardPrep::new`] is
    /// `Stages::Whole`.
    pub fn staged(d: usize, stages: Stages) -> Result<HadamardPrep, String> {
        Self::staged_on(d, LayoutKind::HADAMARD, stages)
    }

    /// [`HadamardPrep::staged`] on a layout of `kind` (see [`HadamardPrep::on`]).
    pub fn staged_on(d: usize, kind: LayoutKind, stages: Stages) -> Result<HadamardPrep, String> {
        let mut prep = HadamardPrep::on(d, kind)?;
        prep.stages = stages;
        if stages == Stages::Growth {
            prep.body.items.truncate(prep.grow_items);
            prep.num_body_detectors = prep.growth_detectors;
            prep.ticks = prep.timing.grow;
        }
        Ok(prep)
    }

    /// The noiseless ideal-extraction tail on fresh ancillas (numbered after the layout's
    /// qubits): for every face its Z check then, after all of them, its X check (one detector
    /// each), then the logical X operator (observable 0) and, unless `proxy`, the logical Z
    /// operator (observable 1), both on the side j = 0. Its detectors follow the body's, at
    /// (face centre, time, [`TAIL_COORD`]): Z checks at the stage after the last round, X
    /// checks one later.
    pub fn tail(&self, proxy: bool) -> Circuit {
        self.tail_with(if proxy { 1 } else { 2 })
    }

    /// The scoring tail of a model's circuit (see [`HadamardPrep::circuit`]).
    pub fn scoring_tail(&self, model: ChModel) -> Circuit {
        match model {
            ChModel::Exact => self.tail_with(0),
            _ => self.tail(model == ChModel::Proxy),
        }
    }

    /// The tail's syndrome checks followed by the first `logicals` (0, 1 or 2) of logical X,
    /// logical Z. The exact model keeps none: it scores the logical state itself.
    fn tail_with(&self, logicals: usize) -> Circuit {
        let mut c = Circuit::new();
        let mut push = |name: &str, args: Vec<f64>, targets: Vec<Target>| {
            c.push(Instruction::new(GateId::named(name), args, targets))
        };
        let a = self.layout.num_qubits() as u32;
        let q = |x: usize| Target::qubit(x as u32);
        let faces: Vec<&Vec<usize>> = self.layout.code.faces.iter().map(|f| &f.qubits).collect();
        let side = self.layout.code.logical_support();
        // (support, measures X?, observable index)
        let mut checks: Vec<(&[usize], bool, Option<f64>)> = Vec::new();
        checks.extend(faces.iter().map(|s| (s.as_slice(), false, None)));
        checks.extend(faces.iter().map(|s| (s.as_slice(), true, None)));
        checks.extend(
            [(&side[..], true, Some(0.0)), (&side[..], false, Some(1.0))]
                .into_iter()
                .take(logicals),
        );
        // Z checks at the stage after the last round (stage d - 1), X checks one later.
        let mark = |k: usize| {
            let face = &self.layout.code.faces[k % faces.len()];
            let [x, y] = lattice_coords(face.center);
            let t = (self.d + k / faces.len()) as f64;
            vec![x, y, t, TAIL_COORD]
        };
        for (k, (support, x_type, obs)) in checks.iter().enumerate() {
            let anc = Target::qubit(a + k as u32);
            push(if *x_type { "RX" } else { "R" }, vec![], vec![anc]);
            let pairs = support
                .iter()
                .flat_map(|&d| if *x_type { [anc, q(d)] } else { [q(d), anc] })
                .collect();
            push("CX", vec![], pairs);
            push(if *x_type { "MX" } else { "M" }, vec![], vec![anc]);
            match obs {
                Some(index) => push("OBSERVABLE_INCLUDE", vec![*index], vec![Target::Rec(1)]),
                None => push("DETECTOR", mark(k), vec![Target::Rec(1)]),
            }
        }
        c
    }

    /// The circuit to simulate: the body (CH kept, or replaced by `CX[proxy:CH]` and `RH` by
    /// `RX[proxy:RH]` for [`ChModel::Proxy`]) under `noise` at rate `p`, then the noiseless
    /// [`HadamardPrep::tail`]; for the exact model the tail's syndrome checks only (it scores
    /// the logical state itself, see [`super::HadamardScore`]).
    pub fn circuit(&self, noise: &NoiseModel, p: f64, model: ChModel) -> Circuit {
        let mut body = match self.stages {
            Stages::PerfectStart => {
                let (perfect, checks) = self.body.items.split_at(self.grow_items);
                let mut body = Circuit {
                    items: perfect.to_vec(),
                };
                let checks = Circuit {
                    items: checks.to_vec(),
                };
                body.items.extend(noise.apply(&checks, p).items);
                body
            }
            Stages::Whole | Stages::Growth => noise.apply(&self.body, p),
        };
        if model == ChModel::Proxy {
            body = proxy_prep(&body);
        }
        body.items.extend(self.scoring_tail(model).items);
        body
    }

    /// The decoder for [`HadamardPrep::circuit`]: discard unless every body detector is quiet,
    /// then minimum-weight correction of the tail's syndromes, predicting the logical flips.
    pub fn decoder(&self, model: ChModel) -> Result<PrepDecoder, DecoderError> {
        let faces: Vec<Vec<usize>> = self
            .layout
            .code
            .faces
            .iter()
            .map(|f| f.qubits.clone())
            .collect();
        let side = vec![self.layout.code.logical_support()];
        let lookup = CodeLookup::new(CodeChecks {
            num_qubits: self.layout.num_data(),
            checks: &faces,
            logicals: &side,
        })?;
        Ok(PrepDecoder {
            body: self.num_body_detectors,
            faces: faces.len(),
            lookup,
            both_logicals: model != ChModel::Proxy,
        })
    }
}

impl HadamardPrep {
    /// The exact model's scorer: the decoder plus the logical operators on the side j = 0.
    pub fn score(&self) -> Result<super::HadamardScore, DecoderError> {
        let side = self.layout.code.logical_support();
        let on = |b: Basis| side.iter().map(|&q| (q, b)).collect();
        Ok(super::HadamardScore {
            decoder: self.decoder(ChModel::Exact)?,
            logical_x: on(Basis::X),
            logical_z: on(Basis::Z),
            images: std::sync::OnceLock::new(),
        })
    }
}

/// Tag that marks an `RX` standing in for an `RH` (|+> for |H>) in a proxy circuit.
pub const PROXY_RH_TAG: &str = "proxy:RH";

/// The proxy of a prep circuit: [`super::proxy`] plus `RH` -> `RX[proxy:RH]` (|H> -> |+>).
pub fn proxy_prep(circuit: &Circuit) -> Circuit {
    let mut out = super::proxy(circuit);
    for item in &mut out.items {
        if let Item::Instruction(ins) = item {
            if ins.gate.name() == "RH" {
                ins.gate = GateId::named("RX");
                ins.tag = PROXY_RH_TAG.to_string();
            }
        }
    }
    out
}

/// Decoder of [`HadamardPrep::circuit`] (see [`HadamardPrep::decoder`]). Observable 0 is the
/// logical X measurement (flipped by logical Z or Y), observable 1 the logical Z measurement
/// (flipped by X or Y; absent in the proxy).
#[derive(Clone, Debug)]
pub struct PrepDecoder {
    body: usize,
    faces: usize,
    lookup: CodeLookup,
    both_logicals: bool,
}

impl PrepDecoder {
    fn bit(detectors: &[u64], i: usize) -> bool {
        detectors
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// Predicted flip of the logical measured by the checks starting at detector `start`.
    fn predict(&self, detectors: &[u64], start: usize) -> u64 {
        let syndrome = (0..self.faces)
            .filter(|&k| Self::bit(detectors, start + k))
            .fold(0u32, |s, k| s | 1 << k);
        match self.lookup.correction(syndrome) {
            Some(qubits) => self.lookup.logical_flips(&qubits),
            None => 0,
        }
    }
}

impl Decoder for PrepDecoder {
    fn name(&self) -> &'static str {
        "hadamard-prep"
    }

    fn decode(&self, detectors: &[u64]) -> Decision {
        if (0..self.body).any(|i| Self::bit(detectors, i)) {
            return Decision::Discard;
        }
        // Z checks (first block) see X errors, which flip the logical Z measurement (obs 1);
        // X checks (second block) see Z errors, which flip the logical X measurement (obs 0).
        let z_flip = self.predict(detectors, self.body + self.faces);
        let mut mask = z_flip;
        if self.both_logicals {
            mask |= self.predict(detectors, self.body) << 1;
        }
        Decision::Predict(mask)
    }
}

/// Name of the residual logical Pauli given the mispredicted observables (bit 0: logical X
/// measurement wrong, i.e. a Z component; bit 1: logical Z measurement wrong, an X component).
pub fn residual_pauli(mask: u64) -> &'static str {
    match mask & 3 {
        0 => "I",
        1 => "Z",
        2 => "X",
        _ => "Y",
    }
}
