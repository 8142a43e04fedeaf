//! Fault events and their symptoms, and enumeration of fault combinations.
//!
//! A fault event is one Pauli term of one noise channel at one place in the (unrolled) circuit,
//! or one measurement's flip: `DEPOLARIZE1(p) 3` executed once gives three events (X3, Y3, Z3),
//! `DEPOLARIZE2` fifteen per pair, `M(p)` one per result. Its symptom is the set of detectors and
//! observables it flips, found by propagating it through the noiseless circuit in the Pauli-frame
//! simulator: every event gets its own shot lane (64 per word) and is injected deterministically
//! where it happens, so one pass over the circuit yields all symptoms, derived from the same gate
//! kernels the sampler uses. Symptoms of sets of events are XORs of bit-packed vectors.

use crate::circuit::{Circuit, Instruction, Item, Target};
use crate::error::SimError;
use crate::frame::noise::heralded_weights;
use crate::frame::{compile_noiseless_with, FrameProgram, FrameSimulator, Mode, NonClifford, Op};
use crate::gates::{GateId, GateKind, NoiseShape};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

mod enumerate;

pub use enumerate::{
    enumerate_size, shortest_decoder_failure, shortest_undetected_logical, Class, ClassCounts,
    SizeReport,
};

/// What one fault event does.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A Pauli product: (qubit, 'X' | 'Y' | 'Z') per qubit.
    Pauli(Vec<(u32, char)>),
    /// The result of measuring this qubit is reported flipped.
    MeasurementFlip(u32),
    /// The result of an `MPP` product measurement is reported flipped: (qubit, 'X' | 'Y' | 'Z')
    /// per factor of the product.
    ProductMeasurementFlip(Vec<(u32, char)>),
    /// An `MPAD` result is reported flipped.
    PadFlip,
    /// A heralded channel fired on this qubit: its herald result reads 1 and the Pauli
    /// ('I', 'X', 'Y' or 'Z') is applied.
    Herald(u32, char),
}

impl Effect {
    /// Injects this effect into lane `lane` of `sim`, right after the site's instruction ran;
    /// `back` is how far back in the record the term's result lies (1 = the last result).
    fn inject(&self, sim: &mut FrameSimulator, back: u32, lane: usize) {
        let pauli = |sim: &mut FrameSimulator, q: u32, p: char| {
            if p != 'I' {
                sim.inject_pauli(q as usize, lane, p != 'Z', p != 'X');
            }
        };
        match self {
            Effect::Pauli(paulis) => {
                for &(q, p) in paulis {
                    pauli(sim, q, p);
                }
            }
            Effect::MeasurementFlip(_) | Effect::ProductMeasurementFlip(_) | Effect::PadFlip => {
                sim.inject_record_flip(back, lane)
            }
            Effect::Herald(q, p) => {
                sim.inject_record_flip(back, lane);
                pauli(sim, *q, *p);
            }
        }
    }
}

/// A noise instruction as it stands in the circuit, with what each execution can do.
#[derive(Clone, Debug)]
pub struct Site {
    pub gate: GateId,
    /// The instruction's tag (empty when absent); the DEM keeps it on the errors it causes.
    pub tag: String,
    pub args: Vec<f64>,
    pub line: u32,
    /// The terms of one execution, in order: (group, term index, effect, disjoint probability).
    /// A group is one target (or target pair) of the instruction, i.e. one channel application;
    /// the term index is Stim's (1 = X, 2 = Y, 3 = Z; 1..=15 = IX..ZZ for pairs; 0 otherwise).
    pub terms: Vec<Term>,
}

/// One possible event of a [`Site`] execution.
#[derive(Clone, Debug)]
pub struct Term {
    pub group: u32,
    pub index: u8,
    pub effect: Effect,
    /// Probability of this term alone, as the circuit specifies it (disjoint within its group;
    /// for `ELSE_CORRELATED_ERROR` already multiplied by the chance no earlier branch fired).
    pub probability: f64,
}

/// One fault event: a term of a site at one execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultEvent {
    pub site: u32,
    pub term: u32,
    /// Number of `TICK`s executed before the event (its time step).
    pub tick: u64,
    /// Distinct per (site execution, group): events sharing it are exclusive alternatives.
    pub channel: u32,
}

/// Where a detector is declared: its absolute coordinates and how many events precede it.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorInfo {
    pub coords: Vec<f64>,
    pub events_before: usize,
}

/// Every fault event of a circuit with its symptom, as bit-packed vectors.
#[derive(Clone, Debug)]
pub struct FaultSet {
    pub sites: Vec<Site>,
    pub events: Vec<FaultEvent>,
    pub detectors: Vec<DetectorInfo>,
    pub num_observables: usize,
    /// Words per event in `det`.
    pub det_words: usize,
    det: Vec<u64>,
    obs: Vec<u64>,
    /// For each top-level `REPEAT`, the event and detector counts before each iteration
    /// (count + 1 entries), and the coordinate shift of one iteration.
    pub loops: Vec<LoopSpan>,
}

/// Event and detector boundaries of a top-level `REPEAT` block's iterations.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopSpan {
    pub event_starts: Vec<usize>,
    pub detector_starts: Vec<usize>,
    pub coord_shift: Vec<f64>,
}

/// The circuit as propagation steps: noiseless ops, fault sites, and loops.
enum Step {
    Ops(Vec<Op>),
    Site(u32),
    Tick,
    Detector(Vec<f64>),
    ShiftCoords(Vec<f64>),
    Repeat(u64, Vec<Step>),
}

/// Builds steps and sites; tracks the `E`/`ELSE_CORRELATED_ERROR` chain's miss probability.
struct Builder {
    sites: Vec<Site>,
    chain_miss: f64,
    model: NonClifford,
}

impl Builder {
    fn items(&mut self, items: &[Item]) -> Result<Vec<Step>, SimError> {
        let mut steps = Vec::new();
        for item in items {
            match item {
                Item::Repeat(r) => {
                    self.chain_miss = 1.0;
                    steps.push(Step::Repeat(r.count, self.items(&r.body.items)?));
                }
                Item::Instruction(ins) => self.instruction(ins, &mut steps)?,
            }
        }
        Ok(steps)
    }

    fn instruction(&mut self, ins: &Instruction, steps: &mut Vec<Step>) -> Result<(), SimError> {
        let kind = ins.gate.kind();
        if !matches!(kind, GateKind::Correlated { .. }) {
            self.chain_miss = 1.0;
        }
        let ops = compile_noiseless_with(ins, self.model)?;
        if !ops.is_empty() {
            steps.push(Step::Ops(ops));
        }
        let terms = match kind {
            GateKind::Tick => {
                steps.push(Step::Tick);
                return Ok(());
            }
            GateKind::Detector => {
                steps.push(Step::Detector(ins.args.clone()));
                return Ok(());
            }
            GateKind::ShiftCoords => {
                steps.push(Step::ShiftCoords(ins.args.clone()));
                return Ok(());
            }
            GateKind::Noise1 | GateKind::Noise2 => channel_terms(ins),
            GateKind::Correlated { else_branch } => {
                if !else_branch {
                    self.chain_miss = 1.0;
                }
                let p = ins.args[0] * self.chain_miss;
                self.chain_miss *= 1.0 - ins.args[0];
                let paulis = ins
                    .targets
                    .iter()
                    .filter_map(|t| match *t {
                        Target::Pauli { pauli, index, .. } => Some((index, pauli)),
                        _ => None,
                    })
                    .collect();
                vec![Term {
                    group: 0,
                    index: 0,
                    effect: Effect::Pauli(paulis),
                    probability: p,
                }]
            }
            GateKind::PauliProductMeasure => {
                let p = ins.args.first().copied().unwrap_or(0.0);
                ins.pauli_products()
                    .into_iter()
                    .enumerate()
                    .map(|(g, product)| Term {
                        group: g as u32,
                        index: 0,
                        effect: Effect::ProductMeasurementFlip(
                            product
                                .factors
                                .iter()
                                .map(|&(q, x, z)| (q, pauli_letter(x, z)))
                                .collect(),
                        ),
                        probability: p,
                    })
                    .collect()
            }
            GateKind::HeraldedNoise => {
                let shape = ins.gate.def().noise.expect("heralded noise has a shape");
                let weights = heralded_weights(shape, &ins.args);
                let mut terms = Vec::new();
                for (g, q) in ins
                    .targets
                    .iter()
                    .filter_map(|t| t.qubit_index())
                    .enumerate()
                {
                    for (i, &p) in weights.iter().enumerate() {
                        terms.push(Term {
                            group: g as u32,
                            index: i as u8,
                            effect: Effect::Herald(q, "IXYZ".as_bytes()[i] as char),
                            probability: p,
                        });
                    }
                }
                terms
            }
            GateKind::MeasurePad => {
                let p = ins.args.first().copied().unwrap_or(0.0);
                (0..ins.targets.len())
                    .map(|g| Term {
                        group: g as u32,
                        index: 0,
                        effect: Effect::PadFlip,
                        probability: p,
                    })
                    .collect()
            }
            GateKind::Measure(_) | GateKind::MeasureReset(_) => {
                let p = ins.args.first().copied().unwrap_or(0.0);
                ins.targets
                    .iter()
                    .enumerate()
                    .filter_map(|(g, t)| {
                        t.qubit_index().map(|q| Term {
                            group: g as u32,
                            index: 0,
                            effect: Effect::MeasurementFlip(q),
                            probability: p,
                        })
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let terms: Vec<Term> = terms.into_iter().filter(|t| t.probability > 0.0).collect();
        if !terms.is_empty() {
            self.sites.push(Site {
                gate: ins.gate,
                tag: ins.tag.clone(),
                args: ins.args.clone(),
                line: ins.line,
                terms,
            });
            steps.push(Step::Site(self.sites.len() as u32 - 1));
        }
        Ok(())
    }
}

/// 'X', 'Y' or 'Z' for the Pauli with bits (x, z) (Y when both).
fn pauli_letter(x: bool, z: bool) -> char {
    match (x, z) {
        (true, false) => 'X',
        (true, true) => 'Y',
        _ => 'Z',
    }
}

/// The terms of a one- or two-qubit Pauli channel, one group per target (pair), following the
/// gate table's [`NoiseShape`] and Stim's term order (X, Y, Z; IX, IY, ..., ZZ).
fn channel_terms(ins: &Instruction) -> Vec<Term> {
    let pairwise = ins.gate.is_pairwise();
    let n_terms = if pairwise { 15 } else { 3 };
    let shape = ins.gate.def().noise.expect("noise gate");
    let prob = |i: usize| -> f64 {
        match shape {
            NoiseShape::Fixed(c) => {
                if "_XYZ".find(c) == Some(i) {
                    ins.args[0]
                } else {
                    0.0
                }
            }
            NoiseShape::Uniform => ins.args[0] / n_terms as f64,
            NoiseShape::PerPauli => ins.args[i - 1],
            NoiseShape::HeraldedUniform | NoiseShape::HeraldedPerPauli => {
                unreachable!("heralded channels have their own terms")
            }
        }
    };
    let qubits: Vec<u32> = ins.targets.iter().filter_map(|t| t.qubit_index()).collect();
    let groups: Vec<&[u32]> = qubits.chunks(if pairwise { 2 } else { 1 }).collect();
    let mut terms = Vec::new();
    for (g, qs) in groups.iter().enumerate() {
        for i in 1..=n_terms {
            let letters = if pairwise { [i / 4, i % 4] } else { [i, 0] };
            let paulis = qs
                .iter()
                .zip(letters)
                .filter(|&(_, l)| l != 0)
                .map(|(&q, l)| (q, "IXYZ".as_bytes()[l] as char))
                .collect();
            terms.push(Term {
                group: g as u32,
                index: i as u8,
                effect: Effect::Pauli(paulis),
                probability: prob(i),
            });
        }
    }
    terms
}

/// Runs the steps once, injecting each event into its own lane of the simulator.
struct Runner<'a> {
    sites: &'a [Site],
    sim: &'a mut FrameSimulator,
    rng: Xoshiro256PlusPlus,
    events: Vec<FaultEvent>,
    detectors: Vec<DetectorInfo>,
    coord_shift: Vec<f64>,
    tick: u64,
    channel: u32,
    loops: Vec<LoopSpan>,
}

impl Runner<'_> {
    fn run(&mut self, steps: &[Step], top: bool) {
        for step in steps {
            match step {
                Step::Ops(ops) => {
                    self.sim.exec(ops, &mut self.rng);
                }
                Step::Site(s) => self.site(*s),
                Step::Tick => self.tick += 1,
                Step::Detector(args) => {
                    let coords = args
                        .iter()
                        .enumerate()
                        .map(|(i, a)| a + self.coord_shift.get(i).copied().unwrap_or(0.0))
                        .collect();
                    self.detectors.push(DetectorInfo {
                        coords,
                        events_before: self.events.len(),
                    });
                }
                Step::ShiftCoords(args) => add_shift(&mut self.coord_shift, args),
                Step::Repeat(count, body) => {
                    let mut span = LoopSpan {
                        event_starts: vec![self.events.len()],
                        detector_starts: vec![self.detectors.len()],
                        coord_shift: Vec::new(),
                    };
                    let before = self.coord_shift.clone();
                    for _ in 0..*count {
                        self.run(body, false);
                        span.event_starts.push(self.events.len());
                        span.detector_starts.push(self.detectors.len());
                        if span.coord_shift.is_empty() {
                            span.coord_shift = self
                                .coord_shift
                                .iter()
                                .enumerate()
                                .map(|(i, c)| c - before.get(i).copied().unwrap_or(0.0))
                                .collect();
                        }
                    }
                    if top {
                        self.loops.push(span);
                    }
                }
            }
        }
    }

    fn site(&mut self, s: u32) {
        let site = &self.sites[s as usize];
        let mut last_group = None;
        for (t, term) in site.terms.iter().enumerate() {
            if last_group != Some(term.group) {
                last_group = Some(term.group);
                self.channel += 1;
            }
            let lane = self.events.len();
            self.events.push(FaultEvent {
                site: s,
                term: t as u32,
                tick: self.tick,
                channel: self.channel,
            });
            // Results of this instruction are the last `groups` entries of the record.
            let groups = site.terms.last().map_or(0, |t| t.group + 1);
            term.effect.inject(self.sim, groups - term.group, lane);
        }
    }
}

fn add_shift(shift: &mut Vec<f64>, args: &[f64]) {
    if shift.len() < args.len() {
        shift.resize(args.len(), 0.0);
    }
    for (s, a) in shift.iter_mut().zip(args) {
        *s += a;
    }
}

impl FaultSet {
    /// Finds every fault event of a Clifford circuit and its symptom. Loops are unrolled: the
    /// cost grows with (events x circuit length). Refuses non-Clifford gates and circuits with
    /// more than 64 observables.
    pub fn from_circuit(circuit: &Circuit) -> Result<FaultSet, SimError> {
        let program = FrameProgram::compile(circuit)?;
        if program.num_observables > 64 {
            return Err(SimError::TooManyObservables {
                observables: program.num_observables,
            });
        }
        let mut builder = Builder {
            sites: Vec::new(),
            chain_miss: 1.0,
            model: NonClifford::Refuse,
        };
        let steps = builder.items(&circuit.items)?;
        let sites = builder.sites;
        let num_events = check_size(&program, count_events(&steps, &sites))?;
        let words = num_events.div_ceil(64).max(1).next_power_of_two();
        let mut sim = FrameSimulator::new(&program, words, Mode::Detect);
        sim.start();
        let mut runner = Runner {
            sites: &sites,
            sim: &mut sim,
            // The steps hold no noise, so nothing draws from it.
            rng: Xoshiro256PlusPlus::seed_from_u64(0),
            events: Vec::with_capacity(num_events),
            detectors: Vec::new(),
            coord_shift: Vec::new(),
            tick: 0,
            channel: 0,
            loops: Vec::new(),
        };
        runner.run(&steps, true);
        let (events, detectors, loops) = (runner.events, runner.detectors, runner.loops);
        let num_detectors = detectors.len();
        let det_words = num_detectors.div_ceil(64).max(1);
        let (det, obs) = transpose_results(sim.results(), num_detectors, num_events, det_words);
        Ok(FaultSet {
            sites,
            events,
            detectors,
            num_observables: program.num_observables,
            det_words,
            det,
            obs,
            loops,
        })
    }

    pub fn num_events(&self) -> usize {
        self.events.len()
    }

    pub fn num_detectors(&self) -> usize {
        self.detectors.len()
    }

    /// Detectors flipped by event `i`, bit-packed (bit d of word d / 64).
    pub fn detector_bits(&self, i: usize) -> &[u64] {
        &self.det[i * self.det_words..(i + 1) * self.det_words]
    }

    /// Observables flipped by event `i` (bit k = observable k).
    pub fn observable_mask(&self, i: usize) -> u64 {
        self.obs[i]
    }

    pub fn site_of(&self, e: &FaultEvent) -> &Site {
        &self.sites[e.site as usize]
    }

    pub fn term_of(&self, e: &FaultEvent) -> &Term {
        &self.site_of(e).terms[e.term as usize]
    }

    /// One line naming event `i` and where it comes from, e.g.
    /// `line 12, tick 3: DEPOLARIZE2(0.001) -> X4 Z7`.
    pub fn describe(&self, i: usize) -> String {
        let e = &self.events[i];
        let site = self.site_of(e);
        let args: Vec<String> = site.args.iter().map(|a| a.to_string()).collect();
        let effect = match &self.term_of(e).effect {
            Effect::Pauli(ps) => ps
                .iter()
                .map(|(q, p)| format!("{p}{q}"))
                .collect::<Vec<_>>()
                .join(" "),
            Effect::MeasurementFlip(q) => format!("flipped result of qubit {q}"),
            Effect::PadFlip => "flipped MPAD result".into(),
            Effect::Herald(q, p) => format!("herald of qubit {q} fired, {p}{q}"),
            Effect::ProductMeasurementFlip(ps) => format!(
                "flipped result of {}",
                ps.iter()
                    .map(|(q, p)| format!("{p}{q}"))
                    .collect::<Vec<_>>()
                    .join("*")
            ),
        };
        format!(
            "line {}, tick {}: {}({}) -> {effect}",
            site.line,
            e.tick,
            site.gate.name(),
            args.join(", ")
        )
    }
}

/// Number of events the steps produce, loops multiplied out (saturating).
fn count_events(steps: &[Step], sites: &[Site]) -> u128 {
    steps
        .iter()
        .map(|s| match s {
            Step::Site(i) => sites[*i as usize].terms.len() as u128,
            Step::Repeat(count, body) => (*count as u128).saturating_mul(count_events(body, sites)),
            _ => 0,
        })
        .fold(0u128, |a, b| a.saturating_add(b))
}

/// Most memory the propagation may take, in bytes.
const MAX_BYTES: u128 = 4 << 30;

/// Refuses analyses whose frames, results, events and symptom vectors would not fit in
/// [`MAX_BYTES`]; returns the event count otherwise.
fn check_size(program: &FrameProgram, events: u128) -> Result<usize, SimError> {
    let detectors = program.num_detectors as u128;
    let rows = 2 * program.num_qubits as u128
        + program.window as u128
        + detectors
        + program.num_observables as u128;
    let lanes = events.div_ceil(64).max(1).next_power_of_two();
    let per_event = std::mem::size_of::<FaultEvent>() as u128 + 8 * (detectors.div_ceil(64) + 1);
    let bytes = lanes
        .saturating_mul(8 * rows)
        .saturating_add(events.saturating_mul(per_event));
    if bytes > MAX_BYTES {
        return Err(SimError::AnalysisTooLarge {
            events: events.min(usize::MAX as u128) as usize,
            megabytes: (bytes >> 20).min(u64::MAX as u128) as u64,
            limit_mb: (MAX_BYTES >> 20) as u64,
        });
    }
    Ok(events as usize)
}

/// Turns simulator results (rows = detectors then observables, one lane per event) into
/// per-event bit vectors, 64 x 64 blocks at a time.
fn transpose_results(
    results: &crate::bits::BitTable,
    num_detectors: usize,
    num_events: usize,
    det_words: usize,
) -> (Vec<u64>, Vec<u64>) {
    let rows = results.rows();
    let mut det = vec![0u64; num_events * det_words];
    let mut obs = vec![0u64; num_events];
    let mut block = [0u64; 64];
    for event_word in 0..num_events.div_ceil(64) {
        for row_word in 0..rows.div_ceil(64) {
            for (i, b) in block.iter_mut().enumerate() {
                let r = row_word * 64 + i;
                *b = if r < rows {
                    results.row(r)[event_word]
                } else {
                    0
                };
            }
            crate::bits::transpose64(&mut block);
            for (i, &bits) in block.iter().enumerate() {
                let e = event_word * 64 + i;
                if e >= num_events {
                    break;
                }
                // Bit j of `bits` is row row_word * 64 + j.
                for j in iter_bits(bits) {
                    let r = row_word * 64 + j;
                    if r < num_detectors {
                        det[e * det_words + r / 64] |= 1 << (r % 64);
                    } else {
                        obs[e] |= 1 << (r - num_detectors);
                    }
                }
            }
        }
    }
    (det, obs)
}

/// Positions of the set bits of a word, lowest first.
pub fn iter_bits(mut w: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if w == 0 {
            return None;
        }
        let j = w.trailing_zeros() as usize;
        w &= w - 1;
        Some(j)
    })
}

/// Positions of the set bits of a bit-packed vector.
pub fn set_bits(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words
        .iter()
        .enumerate()
        .flat_map(|(k, &w)| iter_bits(w).map(move |j| k * 64 + j))
}

/// One fault event of an [`Injector`]'s circuit: its channel (a noise instruction's target
/// group at one execution; events of a channel are exclusive) and its probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventInfo {
    pub site: u32,
    pub term: u32,
    pub channel: u32,
    pub probability: f64,
}

/// Runs a circuit's noiseless skeleton in the frame simulator with chosen fault events injected
/// per shot lane: the engine of stratified (fixed fault count) sampling and of enumerations in
/// circuits whose non-Clifford gates make symptoms random ([`NonClifford::Twirl`]). Events are
/// numbered as [`FaultSet::from_circuit`] numbers them. Loops are refused (unroll first).
pub struct Injector {
    pub program: FrameProgram,
    steps: Vec<Step>,
    sites: Vec<Site>,
    events: Vec<EventInfo>,
}

impl Injector {
    pub fn new(circuit: &Circuit, model: NonClifford) -> Result<Injector, SimError> {
        let program = FrameProgram::compile_with(circuit, model)?;
        let mut builder = Builder {
            sites: Vec::new(),
            chain_miss: 1.0,
            model,
        };
        let steps = builder.items(&circuit.items)?;
        if steps.iter().any(|s| matches!(s, Step::Repeat(..))) {
            return Err(SimError::Unsupported(
                "fault injection needs a circuit without REPEAT blocks".into(),
            ));
        }
        let sites = builder.sites;
        let mut events = Vec::new();
        let mut channel = 0;
        for step in &steps {
            if let Step::Site(s) = step {
                let mut last_group = None;
                for (t, term) in sites[*s as usize].terms.iter().enumerate() {
                    if last_group != Some(term.group) {
                        last_group = Some(term.group);
                        channel += 1;
                    }
                    events.push(EventInfo {
                        site: *s,
                        term: t as u32,
                        channel,
                        probability: term.probability,
                    });
                }
            }
        }
        Ok(Injector {
            program,
            steps,
            sites,
            events,
        })
    }

    pub fn events(&self) -> &[EventInfo] {
        &self.events
    }

    /// Event `e`'s term: its group (target or pair of its instruction), Stim's term index, its
    /// effect and probability.
    pub fn term(&self, e: usize) -> &Term {
        let info = &self.events[e];
        &self.sites[info.site as usize].terms[info.term as usize]
    }

    /// What event `e` does.
    pub fn effect(&self, e: usize) -> &Effect {
        let info = &self.events[e];
        &self.sites[info.site as usize].terms[info.term as usize].effect
    }

    /// Runs `sim` (built for [`Injector::program`] in detect mode) once, injecting event e into
    /// lane l for every (e, l) of `injections`, which must be sorted by event. Results land in
    /// `sim.results()` (detectors, then observables; one column per lane).
    pub fn run(
        &self,
        sim: &mut FrameSimulator,
        injections: &[(u32, u32)],
        rng: &mut impl rand_core::RngCore,
    ) {
        sim.start();
        let mut next = 0;
        let mut event = 0u32;
        for step in &self.steps {
            match step {
                Step::Ops(ops) => sim.exec(ops, rng),
                Step::Site(s) => {
                    let site = &self.sites[*s as usize];
                    let groups = site.terms.last().map_or(0, |t| t.group + 1);
                    for term in &site.terms {
                        while next < injections.len() && injections[next].0 == event {
                            let lane = injections[next].1 as usize;
                            term.effect.inject(sim, groups - term.group, lane);
                            next += 1;
                        }
                        event += 1;
                    }
                }
                _ => {}
            }
        }
    }
}
