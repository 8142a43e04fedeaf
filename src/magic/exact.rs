//! The `exact` CH model: state-vector trajectories of the whole |H> preparation protocol of
//! Chamberland and Noh, npj Quantum Inf. 6, 91 (2020), at d = 3 (7 data + 9 ancillas = 16
//! qubits, 65536 amplitudes), with CH and the injected |H> applied exactly.
//!
//! Postselection is not sampled: at every postselected measurement (one referenced by a body
//! DETECTOR) the state is projected onto the accepted outcome and the trajectory's acceptance
//! weight multiplied by its probability, so one trajectory yields P(accept | its faults and gauge
//! outcomes) and the output state given acceptance. The gauge-fixing outcomes of the growth round
//! (measurements no detector looks at) are sampled and drive the classically controlled Paulis.
//! The output is scored by ideal syndrome extraction and minimum-weight decoding: at d = 3 the
//! 64 states X_i Z_j |H>_L (i, j a data qubit or none) have distinct syndromes and each is decoded
//! back to |H>_L, so the decoded fidelity is F = sum over them of <X_i Z_j H_L| rho_data |X_i Z_j
//! H_L>, with rho_data the reduced data state (exact partial trace over the ancillas).
//!
//! Fault events are those of [`FaultSet::from_circuit`] on the Clifford proxy of the same noisy
//! body ([`super::proxy_prep`]): the noise sites are the same instructions in the same order, so
//! event ids (site, term, channel) are shared with the twirl and proxy samplers.

use super::{proxy_prep, HadamardPrep};
use crate::circuit::{Instruction, Target};
use crate::faults::{Effect, FaultSet};
use crate::frame::noise::uniform_open0;
use crate::gates::{Basis, GateId, GateKind};
use crate::layout::Role;
use crate::noise::NoiseModel;
use crate::sampler::batch_rng;
use crate::statevec::gate_matrix;
use crate::tableau::feedback_pauli;
use num_complex::Complex64 as C;
use rand_core::RngCore;

/// Most qubits [`ExactPrep`] simulates (2^26 amplitudes = 1 GiB).
pub const MAX_EXACT_QUBITS: usize = 26;

/// An outcome probability below this is taken as exactly 0 (numerical residue of a projection
/// that cannot happen); the trajectory is then rejected with weight 0.
const ZERO_PROB: f64 = 1e-12;

/// Weight of the other branch below which a measurement outcome counts as certain.
const CERTAIN: f64 = 1e-14;

const ZERO: C = C::new(0.0, 0.0);

/// One trajectory's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExactShot {
    /// Probability that every postselected measurement reads 0, given the faults and the sampled
    /// gauge outcomes.
    pub accept: f64,
    /// 1 - F of the accepted, decoded output with |H>_L (0 when `accept` is 0).
    pub infidelity: f64,
}

impl ExactShot {
    /// Accepted failure weight: `accept * infidelity`.
    pub fn fail(&self) -> f64 {
        self.accept * self.infidelity
    }
}

/// A rejected trajectory (an accepted outcome had probability 0).
const REJECTED: ExactShot = ExactShot {
    accept: 0.0,
    infidelity: 0.0,
};

/// A trajectory in progress.
#[derive(Clone)]
struct State {
    sv: Amps,
    record: Vec<bool>,
    accept: f64,
}

/// A measured qubit of a [`Step::Measure`].
#[derive(Clone, Debug)]
struct Meas {
    qubit: usize,
    /// Index in the measurement record.
    record: usize,
    inverted: bool,
    postselected: bool,
}

/// The noisy body compiled for the state vector.
#[derive(Clone, Debug)]
enum Step {
    /// A single-qubit unitary on each qubit.
    U1([C; 4], Vec<usize>),
    Cx(Vec<(usize, usize)>),
    Cz(Vec<(usize, usize)>),
    /// A two-qubit unitary (index = bit of the first qubit + 2 bit of the second) on each pair.
    U2([C; 16], Vec<(usize, usize)>),
    /// Pauli X^x Z^z on `qubit` if record `record` is 1.
    Feedback {
        record: usize,
        qubit: usize,
        x: bool,
        z: bool,
    },
    Reset(Basis, Vec<usize>),
    /// Reset to |0>, then this unitary (RH).
    MagicReset([C; 4], Vec<usize>),
    /// Measurements (then resets, for MR-type gates); `site` if flips are noisy.
    Measure {
        basis: Basis,
        reset: bool,
        targets: Vec<Meas>,
        site: Option<usize>,
    },
    /// A noise site (index into the fault set's sites).
    Noise(usize),
}

/// How faults are chosen in a trajectory.
enum Faults<'a> {
    /// Every channel sampled with its probability.
    Sample,
    /// Exactly these (site, term) pairs, sorted by site.
    Fixed(&'a [(usize, usize)]),
}

/// Dense state vector with the few kernels the protocol needs, written over contiguous halves
/// of blocks (no index arithmetic in the inner loops).
#[derive(Clone)]
struct Amps(Vec<C>);

impl Amps {
    fn new(n: usize) -> Amps {
        let mut v = vec![ZERO; 1 << n];
        v[0] = C::new(1.0, 0.0);
        Amps(v)
    }

    /// Calls `f(amplitudes with bit q = 0, amplitudes with bit q = 1)` on matching halves.
    fn halves(&mut self, q: usize, mut f: impl FnMut(&mut [C], &mut [C])) {
        let bit = 1 << q;
        for chunk in self.0.chunks_exact_mut(2 * bit) {
            let (lo, hi) = chunk.split_at_mut(bit);
            f(lo, hi);
        }
    }

    /// Calls `f(s00, s10, s01, s11)` on matching runs, where sAB holds the amplitudes with bit
    /// a = A and bit b = B.
    fn quarters(
        &mut self,
        a: usize,
        b: usize,
        mut f: impl FnMut(&mut [C], &mut [C], &mut [C], &mut [C]),
    ) {
        let (hq, lq) = (a.max(b), a.min(b));
        let (bh, bl) = (1 << hq, 1 << lq);
        for outer in self.0.chunks_exact_mut(2 * bh) {
            let (o0, o1) = outer.split_at_mut(bh);
            for (i0, i1) in o0.chunks_exact_mut(2 * bl).zip(o1.chunks_exact_mut(2 * bl)) {
                // Names by (low bit, high bit).
                let (l0h0, l1h0) = i0.split_at_mut(bl);
                let (l0h1, l1h1) = i1.split_at_mut(bl);
                if a == lq {
                    f(l0h0, l1h0, l0h1, l1h1);
                } else {
                    f(l0h0, l0h1, l1h0, l1h1);
                }
            }
        }
    }

    fn apply1(&mut self, m: &[C; 4], q: usize) {
        self.halves(q, |lo, hi| {
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                let (a0, a1) = (*x, *y);
                *x = m[0] * a0 + m[1] * a1;
                *y = m[2] * a0 + m[3] * a1;
            }
        });
    }

    fn apply2(&mut self, m: &[C; 16], a: usize, b: usize) {
        self.quarters(a, b, |s00, s10, s01, s11| {
            for k in 0..s00.len() {
                let v = [s00[k], s10[k], s01[k], s11[k]];
                let row = |r: usize| {
                    m[4 * r] * v[0]
                        + m[4 * r + 1] * v[1]
                        + m[4 * r + 2] * v[2]
                        + m[4 * r + 3] * v[3]
                };
                s00[k] = row(0);
                s10[k] = row(1);
                s01[k] = row(2);
                s11[k] = row(3);
            }
        });
    }

    fn cx(&mut self, c: usize, t: usize) {
        self.quarters(c, t, |_, s10, _, s11| s10.swap_with_slice(s11));
    }

    fn cz(&mut self, a: usize, b: usize) {
        self.quarters(a, b, |_, _, _, s11| s11.iter_mut().for_each(|x| *x = -*x));
    }

    /// X^x Z^z on qubit q (Y up to a global phase).
    fn pauli(&mut self, q: usize, x: bool, z: bool) {
        self.halves(q, |lo, hi| {
            if z {
                hi.iter_mut().for_each(|a| *a = -*a);
            }
            if x {
                lo.swap_with_slice(hi);
            }
        });
    }

    fn prob_one(&self, q: usize) -> f64 {
        let bit = 1 << q;
        self.0
            .chunks_exact(2 * bit)
            .map(|c| c[bit..].iter().map(|a| a.norm_sqr()).sum::<f64>())
            .sum()
    }

    /// [`Amps::collapse`], skipped when the outcome is certain (the other branch's weight,
    /// below [`CERTAIN`], is left in place: a relative error of that size, and a pass saved on
    /// the many resets and measurements of qubits in definite states).
    fn collapse_unless_certain(&mut self, q: usize, outcome: bool, prob: f64) {
        if prob < 1.0 - CERTAIN {
            self.collapse(q, outcome, prob);
        }
    }

    /// Projects qubit q onto Z = (-1)^outcome, renormalising by the outcome's probability.
    fn collapse(&mut self, q: usize, outcome: bool, prob: f64) {
        let scale = 1.0 / prob.sqrt();
        self.halves(q, |lo, hi| {
            let (keep, drop) = if outcome { (hi, lo) } else { (lo, hi) };
            keep.iter_mut().for_each(|a| *a *= scale);
            drop.fill(ZERO);
        });
    }
}

fn matrix1(gate: GateId) -> [C; 4] {
    let m = gate_matrix(gate).expect("unitary");
    [m[0], m[1], m[2], m[3]]
}

fn matrix2(gate: GateId) -> [C; 16] {
    let m = gate_matrix(gate).expect("unitary");
    std::array::from_fn(|i| m[i])
}

/// The self-inverse Clifford taking `basis` to Z (None for Z).
fn basis_change(basis: Basis) -> Option<[C; 4]> {
    match basis {
        Basis::Z => None,
        Basis::X => Some(matrix1(GateId::named("H"))),
        Basis::Y => Some(matrix1(GateId::named("H_YZ"))),
    }
}

/// The exact-model protocol at d = 3: compiled noisy body, postselection and fault events.
#[derive(Clone, Debug)]
pub struct ExactPrep {
    n: usize,
    num_data: usize,
    steps: Vec<Step>,
    /// Per record index: referenced by a body detector (postselected)?
    postselected: Vec<bool>,
    /// Basis each ancilla was last measured or reset in (rotated to Z before the partial trace).
    final_basis: Vec<Option<Basis>>,
    faults: FaultSet,
    /// Per site, per group present: the terms of that channel.
    site_channels: Vec<Vec<Vec<usize>>>,
    /// Per site, the index of its step.
    site_step: Vec<usize>,
    /// Channels: total probability and member events (indices into `faults.events`).
    channels: Vec<(f64, Vec<usize>)>,
    /// The 64 correctable branches X_i Z_j |H>_L on the data qubits.
    branches: Vec<Vec<C>>,
}

impl ExactPrep {
    /// Compiles `prep`'s body under `noise` at rate `p` (refused unless d = 3 and at most
    /// [`MAX_EXACT_QUBITS`] qubits, every body detector a single measurement, no correlated
    /// errors).
    pub fn new(prep: &HadamardPrep, noise: &NoiseModel, p: f64) -> Result<ExactPrep, String> {
        let n = prep.layout.num_qubits();
        if prep.d > 3 {
            return Err(format!(
                "the exact CH model simulates d = 3 only (d = {} needs {} qubits, a state vector \
                 of 2^{} amplitudes)",
                prep.d, n, n
            ));
        }
        if n > MAX_EXACT_QUBITS {
            return Err(format!(
                "{n} qubits: the exact CH model is limited to {MAX_EXACT_QUBITS}"
            ));
        }
        let num_data = prep.layout.num_data();
        if (0..n).any(|q| (prep.layout.roles[q] == Role::Data) != (q < num_data)) {
            return Err("the layout's data qubits must be numbered first".into());
        }
        let noisy = noise.apply(&prep.body, p);
        let faults = FaultSet::from_circuit(&proxy_prep(&noisy)).map_err(|e| e.to_string())?;
        let mut flat: Vec<Instruction> = Vec::new();
        noisy
            .for_each_flat(&mut |ins| {
                flat.push(ins.clone());
                Ok::<(), ()>(())
            })
            .expect("infallible");
        let (steps, num_records, detected) = compile(&flat, &faults)?;
        let mut postselected = vec![false; num_records];
        for r in detected {
            postselected[r] = true;
        }
        let mut final_basis = vec![None; n];
        for s in &steps {
            match s {
                Step::Reset(b, qs) => qs.iter().for_each(|&q| final_basis[q] = Some(*b)),
                Step::Measure { basis, targets, .. } => {
                    targets
                        .iter()
                        .for_each(|t| final_basis[t.qubit] = Some(*basis));
                }
                _ => {}
            }
        }
        let mut site_channels: Vec<Vec<Vec<usize>>> = faults
            .sites
            .iter()
            .map(|s| {
                let groups = s
                    .terms
                    .iter()
                    .map(|t| t.group as usize + 1)
                    .max()
                    .unwrap_or(0);
                vec![Vec::new(); groups]
            })
            .collect();
        for (s, site) in faults.sites.iter().enumerate() {
            for (t, term) in site.terms.iter().enumerate() {
                site_channels[s][term.group as usize].push(t);
            }
        }
        let num_channels = faults
            .events
            .iter()
            .map(|e| e.channel as usize + 1)
            .max()
            .unwrap_or(0);
        let mut channels = vec![(0.0, Vec::new()); num_channels];
        for (i, e) in faults.events.iter().enumerate() {
            let c = &mut channels[e.channel as usize];
            c.0 += faults.term_of(e).probability;
            c.1.push(i);
        }
        let mut site_step = vec![0; faults.sites.len()];
        for (i, step) in steps.iter().enumerate() {
            match step {
                Step::Noise(site)
                | Step::Measure {
                    site: Some(site), ..
                } => site_step[*site] = i,
                _ => {}
            }
        }
        let branches = correctable_branches(prep);
        Ok(ExactPrep {
            n,
            num_data,
            steps,
            postselected,
            final_basis,
            faults,
            site_channels,
            site_step,
            channels,
            branches,
        })
    }

    /// The fault events (shared ids with the proxy's [`FaultSet`]).
    pub fn events(&self) -> &FaultSet {
        &self.faults
    }

    /// Probability of fault event `i` at the construction's p.
    pub fn event_probability(&self, i: usize) -> f64 {
        self.faults.term_of(&self.faults.events[i]).probability
    }

    /// Number of measurements of the body, and how many are postselected.
    pub fn measurement_counts(&self) -> (usize, usize) {
        let post = self.postselected.iter().filter(|&&b| b).count();
        (self.postselected.len(), post)
    }

    /// Fault channels as (total probability, member events); at most one event per channel
    /// happens in a shot.
    pub fn channels(&self) -> &[(f64, Vec<usize>)] {
        &self.channels
    }

    /// P(exactly k channels fault), k = 0..=kmax, at the construction's p (Poisson-binomial).
    pub fn fault_count_distribution(&self, kmax: usize) -> Vec<f64> {
        let mut dist = vec![0.0; kmax + 1];
        dist[0] = 1.0;
        for &(q, _) in &self.channels {
            for k in (0..=kmax).rev() {
                dist[k] = dist[k] * (1.0 - q) + if k > 0 { dist[k - 1] * q } else { 0.0 };
            }
        }
        dist
    }

    /// One plain Monte Carlo trajectory: every channel (measurement flips included) sampled.
    pub fn sample(&self, rng: &mut impl RngCore) -> ExactShot {
        self.run(&Faults::Sample, rng)
    }

    /// One trajectory with exactly these fault events (indices into `events().events`) and no
    /// other noise: the subset-sampling stratum of `events.len()` faults. Gauge outcomes are
    /// sampled with `rng`. Two events of one channel are applied both (callers avoid it).
    pub fn with_faults(&self, events: &[usize], rng: &mut impl RngCore) -> ExactShot {
        let mut fixed: Vec<(usize, usize)> = events
            .iter()
            .map(|&i| {
                let e = &self.faults.events[i];
                (e.site as usize, e.term as usize)
            })
            .collect();
        fixed.sort_unstable();
        self.run(&Faults::Fixed(&fixed), rng)
    }

    /// Every single fault event alone ([`ExactPrep::with_faults`] with one event), indexed by
    /// event. The noiseless prefix before a site is computed once and shared by the events of
    /// the sites that follow it (in 16 blocks of sites, run in parallel), so the gauge outcomes
    /// drawn before a fault are shared by those events: each shot is still a correct sample,
    /// only the shots are correlated. Deterministic for a given `seed`.
    pub fn single_faults(&self, seed: u64) -> Vec<ExactShot> {
        use rayon::prelude::*;
        let sites = self.faults.sites.len();
        let blocks = 16.min(sites.max(1));
        let mut by_site: Vec<Vec<usize>> = vec![Vec::new(); sites];
        for (i, e) in self.faults.events.iter().enumerate() {
            by_site[e.site as usize].push(i);
        }
        let results: Vec<Vec<(usize, ExactShot)>> = (0..blocks)
            .into_par_iter()
            .map(|b| {
                let (lo, hi) = (b * sites / blocks, (b + 1) * sites / blocks);
                let mut rng = batch_rng(seed, b as u64);
                let mut prefix = self.start();
                let mut at = 0;
                let mut out = Vec::new();
                for (site, events) in by_site.iter().enumerate().take(hi).skip(lo) {
                    let step = self.site_step[site];
                    if !self.advance(&mut prefix, at..step, &Faults::Fixed(&[]), &mut rng) {
                        // The noiseless run accepts with certainty; a zero here is numerical.
                        unreachable!("noiseless prefix rejected");
                    }
                    at = step;
                    for &e in events {
                        let term = self.faults.events[e].term as usize;
                        let mut state = prefix.clone();
                        let fixed = [(site, term)];
                        let shot = if self.advance(
                            &mut state,
                            step..self.steps.len(),
                            &Faults::Fixed(&fixed),
                            &mut rng,
                        ) {
                            self.finish(state)
                        } else {
                            REJECTED
                        };
                        out.push((e, shot));
                    }
                }
                out
            })
            .collect();
        let mut shots = vec![REJECTED; self.faults.num_events()];
        for (e, shot) in results.into_iter().flatten() {
            shots[e] = shot;
        }
        shots
    }

    /// The k = 1 stratum, exhaustively ([`ExactPrep::single_faults`]): mean acceptance and mean
    /// accepted failure (accept x infidelity) over every single fault event, each weighted by its
    /// probability over the sum of all events' probabilities. That is the conditional
    /// distribution of the one fault in the limit p -> 0; at finite p the exact weight carries a
    /// factor 1 / (1 - q_c) for the event's channel c, a relative error O(p). The weights do not
    /// depend on p when every rate is proportional to p (as in `cn20`).
    pub fn stratum_k1(&self) -> (f64, f64) {
        let shots = self.single_faults(0x6b31);
        let total: f64 = (0..shots.len()).map(|i| self.event_probability(i)).sum();
        shots.iter().enumerate().fold((0.0, 0.0), |(a, f), (i, s)| {
            let w = self.event_probability(i) / total;
            (a + w * s.accept, f + w * s.fail())
        })
    }

    /// k fault events from k distinct channels: channels drawn i.i.d. with probability
    /// proportional to their total probability, the whole draw rejected if one repeats (so a set
    /// of channels has probability proportional to the product of theirs), then within each
    /// channel a term proportional to its probability. This is the conditional distribution of
    /// the faults given exactly k of them in the limit p -> 0 (relative error O(p)).
    pub fn draw_faults(&self, k: usize, rng: &mut impl RngCore) -> Vec<usize> {
        assert!(k <= self.channels.len(), "more faults than channels");
        let cumulative: Vec<f64> = self
            .channels
            .iter()
            .scan(0.0, |s, c| {
                *s += c.0;
                Some(*s)
            })
            .collect();
        let total = *cumulative.last().expect("channels");
        loop {
            let mut chosen: Vec<usize> = Vec::with_capacity(k);
            for _ in 0..k {
                let u = uniform_open0(rng) * total;
                let c = cumulative
                    .partition_point(|&x| x < u)
                    .min(cumulative.len() - 1);
                chosen.push(c);
            }
            let mut sorted = chosen.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() < k {
                continue;
            }
            return chosen
                .iter()
                .map(|&c| {
                    let (q, members) = &self.channels[c];
                    let mut u = uniform_open0(rng) * q;
                    for &e in members {
                        u -= self.event_probability(e);
                        if u <= 0.0 {
                            return e;
                        }
                    }
                    *members.last().expect("non-empty channel")
                })
                .collect();
        }
    }

    /// `shots` trajectories of the k-fault stratum ([`ExactPrep::draw_faults`]), seeded:
    /// (sum of accept, sum of accept x infidelity). Divide by `shots` for the stratum means.
    pub fn sample_stratum(&self, k: usize, shots: usize, seed: u64) -> (f64, f64) {
        use rayon::prelude::*;
        (0..shots)
            .into_par_iter()
            .map(|s| {
                let mut rng = batch_rng(seed, s as u64);
                let events = self.draw_faults(k, &mut rng);
                let shot = self.with_faults(&events, &mut rng);
                (shot.accept, shot.fail())
            })
            .reduce(|| (0.0, 0.0), |x, y| (x.0 + y.0, x.1 + y.1))
    }

    /// Walks the steps once.
    fn run(&self, faults: &Faults, rng: &mut impl RngCore) -> ExactShot {
        let mut state = self.start();
        if self.advance(&mut state, 0..self.steps.len(), faults, rng) {
            self.finish(state)
        } else {
            REJECTED
        }
    }

    fn start(&self) -> State {
        State {
            sv: Amps::new(self.n),
            record: vec![false; self.postselected.len()],
            accept: 1.0,
        }
    }

    fn finish(&self, state: State) -> ExactShot {
        ExactShot {
            accept: state.accept,
            infidelity: (1.0 - self.fidelity(state.sv)).max(0.0),
        }
    }

    /// Runs steps `range` on `state`; false if an accepted outcome has probability 0.
    fn advance(
        &self,
        state: &mut State,
        range: std::ops::Range<usize>,
        faults: &Faults,
        rng: &mut impl RngCore,
    ) -> bool {
        let State { sv, record, accept } = state;
        let mut cursor = 0;
        // The terms at `site` that happen in this trajectory.
        let mut active = |site: usize, rng: &mut dyn RngCore| -> Vec<usize> {
            match faults {
                Faults::Sample => self.site_channels[site]
                    .iter()
                    .filter_map(|terms| {
                        // Same draw as `uniform_open0`, on a trait object.
                        let mut u = ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
                        for &t in terms {
                            u -= self.faults.sites[site].terms[t].probability;
                            if u <= 0.0 {
                                return Some(t);
                            }
                        }
                        None
                    })
                    .collect(),
                Faults::Fixed(list) => {
                    let mut out = Vec::new();
                    while cursor < list.len() && list[cursor].0 < site {
                        cursor += 1;
                    }
                    while cursor < list.len() && list[cursor].0 == site {
                        out.push(list[cursor].1);
                        cursor += 1;
                    }
                    out
                }
            }
        };
        for step in &self.steps[range] {
            match step {
                Step::U1(m, qs) => qs.iter().for_each(|&q| sv.apply1(m, q)),
                Step::Cx(pairs) => pairs.iter().for_each(|&(a, b)| sv.cx(a, b)),
                Step::Cz(pairs) => pairs.iter().for_each(|&(a, b)| sv.cz(a, b)),
                Step::U2(m, pairs) => pairs.iter().for_each(|&(a, b)| sv.apply2(m, a, b)),
                Step::Feedback {
                    record: r,
                    qubit,
                    x,
                    z,
                } => {
                    if record[*r] {
                        sv.pauli(*qubit, *x, *z);
                    }
                }
                Step::Reset(basis, qs) => {
                    for &q in qs {
                        reset(sv, q, rng);
                        if let Some(m) = basis_change(*basis) {
                            sv.apply1(&m, q);
                        }
                    }
                }
                Step::MagicReset(m, qs) => {
                    for &q in qs {
                        reset(sv, q, rng);
                        sv.apply1(m, q);
                    }
                }
                Step::Measure {
                    basis,
                    reset: then_reset,
                    targets,
                    site,
                } => {
                    let flips = site.map_or(Vec::new(), |s| active(s, rng));
                    let change = basis_change(*basis);
                    for (g, t) in targets.iter().enumerate() {
                        let q = t.qubit;
                        if let Some(m) = &change {
                            sv.apply1(m, q);
                        }
                        let p1 = sv.prob_one(q).clamp(0.0, 1.0);
                        let flip = site.is_some_and(|s| {
                            flips
                                .iter()
                                .any(|&term| self.faults.sites[s].terms[term].group as usize == g)
                        });
                        let outcome = if t.postselected {
                            // The record must read 0.
                            let outcome = flip ^ t.inverted;
                            let p = if outcome { p1 } else { 1.0 - p1 };
                            if p < ZERO_PROB {
                                return false;
                            }
                            *accept *= p;
                            outcome
                        } else {
                            uniform_open0(rng) <= p1
                        };
                        let p = if outcome { p1 } else { 1.0 - p1 };
                        sv.collapse_unless_certain(q, outcome, p);
                        if *then_reset && outcome {
                            sv.pauli(q, true, false);
                        }
                        if let Some(m) = &change {
                            sv.apply1(m, q);
                        }
                        record[t.record] = outcome ^ flip ^ t.inverted;
                    }
                }
                Step::Noise(site) => {
                    for term in active(*site, rng) {
                        if let Effect::Pauli(ps) = &self.faults.sites[*site].terms[term].effect {
                            for &(q, letter) in ps {
                                sv.pauli(q as usize, letter != 'Z', letter != 'X');
                            }
                        }
                    }
                }
            }
        }
        true
    }

    /// Decoded fidelity of the final state with |H>_L: sum over the correctable branches of
    /// their weight in the reduced data state. Ancillas are first rotated into the basis they
    /// were last measured or reset in (a local unitary, which leaves the reduced data state
    /// unchanged but usually makes one ancilla pattern carry the whole state); the partial trace
    /// then runs over every ancilla pattern with non-negligible weight (< 1e-20 of the norm
    /// skipped).
    fn fidelity(&self, mut sv: Amps) -> f64 {
        for q in self.num_data..self.n {
            if let Some(m) = self.final_basis[q].and_then(basis_change) {
                sv.apply1(&m, q);
            }
        }
        let dim = 1 << self.num_data;
        let norm: f64 = sv.0.iter().map(|a| a.norm_sqr()).sum();
        let mut captured = 0.0;
        for slice in sv.0.chunks(dim) {
            let w: f64 = slice.iter().map(|a| a.norm_sqr()).sum();
            if w < 1e-20 * norm {
                continue;
            }
            for b in &self.branches {
                let o: C = b.iter().zip(slice).map(|(x, y)| x.conj() * y).sum();
                captured += o.norm_sqr();
            }
        }
        captured / norm
    }
}

/// Reset of qubit q to |0>: a Z measurement (sampled), then X if it read 1.
fn reset(sv: &mut Amps, q: usize, rng: &mut impl RngCore) {
    let p1 = sv.prob_one(q).clamp(0.0, 1.0);
    let outcome = uniform_open0(rng) <= p1;
    sv.collapse_unless_certain(q, outcome, if outcome { p1 } else { 1.0 - p1 });
    if outcome {
        sv.pauli(q, true, false);
    }
}

/// Compiles the flat noisy body: steps, number of measurement records, and the records that a
/// DETECTOR references. Noise sites are matched to `faults.sites` in order, with the criterion
/// of the fault enumeration (an instruction with a nonzero-probability term).
fn compile(
    flat: &[Instruction],
    faults: &FaultSet,
) -> Result<(Vec<Step>, usize, Vec<usize>), String> {
    let mut steps = Vec::new();
    let mut records = 0usize;
    let mut detected = Vec::new();
    let mut next_site = 0usize;
    let qubit = |t: &Target| t.qubit_index().map(|q| q as usize);
    // Takes the next fault site if this instruction is it (checked against the gate and args).
    let mut take_site = |ins: &Instruction| -> Option<usize> {
        let site = faults.sites.get(next_site)?;
        (site.gate == ins.gate && site.args == ins.args).then(|| {
            next_site += 1;
            next_site - 1
        })
    };
    for ins in flat {
        let pairs = || -> Vec<(usize, usize)> {
            ins.targets
                .chunks(2)
                .map(|p| (qubit(&p[0]).expect("q"), qubit(&p[1]).expect("q")))
                .collect()
        };
        match ins.gate.kind() {
            GateKind::Clifford1 => steps.push(Step::U1(
                matrix1(ins.gate),
                ins.targets.iter().filter_map(qubit).collect(),
            )),
            GateKind::Clifford2 | GateKind::NonClifford2 => {
                if ins.targets.iter().any(|t| matches!(t, Target::Rec(_))) {
                    let action = ins
                        .gate
                        .clifford_action()
                        .ok_or("classical control of a non-Clifford gate")?;
                    for pair in ins.targets.chunks(2) {
                        let (k, t, slot) = match (pair[0], pair[1]) {
                            (Target::Rec(k), t) => (k, t, 0),
                            (t, Target::Rec(k)) => (k, t, 1),
                            _ => return Err("feedback mixed with quantum pairs".into()),
                        };
                        let (x, z) = feedback_pauli(action, slot);
                        steps.push(Step::Feedback {
                            record: records - k as usize,
                            qubit: qubit(&t).ok_or("feedback on a record")?,
                            x,
                            z,
                        });
                    }
                    continue;
                }
                match ins.gate.name() {
                    "CX" => steps.push(Step::Cx(pairs())),
                    "CZ" => steps.push(Step::Cz(pairs())),
                    _ => steps.push(Step::U2(matrix2(ins.gate), pairs())),
                }
            }
            GateKind::Reset(b) => steps.push(Step::Reset(
                b,
                ins.targets.iter().filter_map(qubit).collect(),
            )),
            GateKind::MagicReset => steps.push(Step::MagicReset(
                matrix1(ins.gate),
                ins.targets.iter().filter_map(qubit).collect(),
            )),
            GateKind::Measure(basis) | GateKind::MeasureReset(basis) => {
                let site = if ins.args.first().is_some_and(|&p| p > 0.0) {
                    Some(take_site(ins).ok_or("measurement flip not among the fault sites")?)
                } else {
                    None
                };
                let targets = ins
                    .targets
                    .iter()
                    .map(|t| {
                        records += 1;
                        Meas {
                            qubit: qubit(t).expect("measured qubit"),
                            record: records - 1,
                            inverted: matches!(t, Target::Qubit { inverted: true, .. }),
                            postselected: false,
                        }
                    })
                    .collect();
                steps.push(Step::Measure {
                    basis,
                    reset: matches!(ins.gate.kind(), GateKind::MeasureReset(_)),
                    targets,
                    site,
                });
            }
            GateKind::Noise1 | GateKind::Noise2 => {
                if let Some(site) = take_site(ins) {
                    steps.push(Step::Noise(site));
                }
            }
            GateKind::Correlated { .. } => {
                return Err("correlated errors (E) are not supported by the exact model".into())
            }
            GateKind::NonClifford1
            | GateKind::PauliProductMeasure
            | GateKind::PauliProductRotation { .. } => {
                return Err(format!(
                    "{} is not supported by the exact model",
                    ins.gate.name()
                ))
            }
            GateKind::Detector => {
                let recs: Vec<usize> = ins
                    .targets
                    .iter()
                    .filter_map(|t| match t {
                        Target::Rec(k) => Some(records - *k as usize),
                        _ => None,
                    })
                    .collect();
                if recs.len() != 1 {
                    return Err(format!(
                        "a body detector over {} measurements: the exact model postselects \
                         single measurements only",
                        recs.len()
                    ));
                }
                detected.push(recs[0]);
            }
            GateKind::ObservableInclude => {
                return Err("the exact model scores the state; the body has no observables".into())
            }
            GateKind::QubitCoords | GateKind::ShiftCoords | GateKind::Tick => {}
        }
    }
    if next_site != faults.sites.len() {
        return Err(format!(
            "matched {next_site} of {} fault sites",
            faults.sites.len()
        ));
    }
    for s in &mut steps {
        if let Step::Measure { targets, .. } = s {
            for t in targets {
                t.postselected = detected.contains(&t.record);
            }
        }
    }
    Ok((steps, records, detected))
}

/// The 64 states X_i Z_j |H>_L (i, j in {none, data qubits}) on the data qubits, with
/// |0>_L = uniform superposition over the X-stabilizer group, |1>_L = X_L |0>_L (X_L on the side
/// j = 0, the logical used by the protocol) and |H>_L = cos(pi/8)|0>_L + sin(pi/8)|1>_L.
fn correctable_branches(prep: &HadamardPrep) -> Vec<Vec<C>> {
    let code = &prep.layout.code;
    let k = code.sites.len();
    let faces: Vec<usize> = code
        .faces
        .iter()
        .map(|f| f.qubits.iter().fold(0, |m, &q| m | 1 << q))
        .collect();
    let logical = code.logical_support().iter().fold(0, |m, &q| m | 1 << q);
    let mut group = vec![0usize];
    for &f in &faces {
        let more: Vec<usize> = group.iter().map(|&s| s ^ f).collect();
        for s in more {
            if !group.contains(&s) {
                group.push(s);
            }
        }
    }
    let t = std::f64::consts::PI / 8.0;
    let amp = 1.0 / (group.len() as f64).sqrt();
    let mut h = vec![ZERO; 1 << k];
    for &s in &group {
        h[s] += C::new(t.cos() * amp, 0.0);
        h[s ^ logical] += C::new(t.sin() * amp, 0.0);
    }
    let choices: Vec<Option<usize>> = std::iter::once(None).chain((0..k).map(Some)).collect();
    let mut out = Vec::new();
    for &xi in &choices {
        for &zj in &choices {
            let mut v = vec![ZERO; 1 << k];
            for (b, &a) in h.iter().enumerate() {
                let sign = zj.map_or(1.0, |j| if b >> j & 1 == 1 { -1.0 } else { 1.0 });
                v[xi.map_or(b, |i| b ^ (1 << i))] = a * sign;
            }
            out.push(v);
        }
    }
    out
}
