//! Litinski's distillation cost model (Quantum 3, 205 (2019), arXiv:1905.06903): the
//! parametrised one-level (15-to-1)_{dX,dZ,dm} protocol, the two-level (15-to-1)x(15-to-1) and
//! (15-to-1)x(20-to-4) protocols, and a search for the cheapest one meeting a target. The paper's
//! formulas are as implemented in the author's calculation (github.com/litinski/magicstates,
//! commit 66a6d551, the version that produces the journal's results table); section numbers
//! are not quoted because only that code and the table could be checked here.
//!
//! Error model: an injected magic state (a faulty T measurement) has error p, split equally
//! between a π/2 over-rotation (a Z error) and ±π/4 mis-rotations; a level-1 output used at
//! level 2 has a Z error with its computed output error. A distance-d patch suffers p_L(d)
//! ([`super::surface`]) per code cycle, half X and half Z; a dX x dZ patch has X errors at rate
//! (dZ/dX) p_L(dX)/2 and Z errors at rate (dX/dZ) p_L(dZ)/2 per cycle. A rotation whose state
//! travels a distance M to a lattice-surgery measurement of dm cycles along a path of length L
//! additionally over-rotates by π/2 with probability M p_L(dm)/2 and by -π/4 with probability
//! (M + L dX/dm) p_L(dm)/2, and exposes the output patches it runs along to Z errors with
//! probability L (dm/dX) p_L(dX)/2. The output state is tracked exactly under these channels
//! ([`NoisyState`]) along the protocol's schedule ([`schedule`]).
//!
//! Precision: the calculation is free of catastrophic cancellation, yet double precision leaves
//! ~1e-24..1e-22 of absolute round-off in the output error. Output errors below 1e-17, or whose
//! two differently rounded runs disagree by more than 0.1%, are recomputed in double-double
//! precision (round-off ~1e-35); only if that fails too does `cost` return
//! [`EstimateError::Precision`] ([`cheapest`] then skips the protocol).

use super::ddouble::{Amp, Cdd};
use super::schedule::{self, Hold, Route, Schedule};
use super::state::NoisyState;
use super::surface::{check_distance, check_physical, logical_error_per_cycle};
use super::EstimateError;
use num_complex::Complex64;

/// Code distances of one protocol block: dX of the output patches (and the X boundary of the
/// check patches), dZ of the check patches, dm of the lattice-surgery measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Protocol15To1 {
    pub dx: u32,
    pub dz: u32,
    pub dm: u32,
}

/// The second-level protocol of a two-level factory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecondLevel {
    /// 15 level-1 states in, 1 out.
    FifteenToOne,
    /// 20 level-1 states in, 4 out.
    TwentyToFour,
}

/// A two-level factory: `copies` level-1 (15-to-1)_{first} factories feed a second-level block
/// of kind `kind` with distances `second` (dX2, dZ2, dm2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TwoLevel {
    pub first: Protocol15To1,
    pub copies: u32,
    pub second: Protocol15To1,
    pub kind: SecondLevel,
}

/// Any protocol of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    OneLevel(Protocol15To1),
    TwoLevel(TwoLevel),
}

/// What one run of a protocol costs and delivers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DistillationCost {
    /// Error of each output magic state (for 20-to-4: the 4-state infidelity divided by 4).
    pub output_error: f64,
    /// Probability that the run is discarded.
    pub failure_probability: f64,
    /// Physical qubits of the footprint.
    pub qubits: u64,
    /// Expected code cycles per successful run (retries included).
    pub code_cycles: f64,
    /// Magic states per successful run.
    pub outputs: u32,
    /// Space-time cost per output state: qubits x code cycles / outputs.
    pub qubit_cycles: f64,
}

impl DistillationCost {
    /// Fills in the per-output space-time cost.
    pub(crate) fn new(
        output_error: f64,
        failure_probability: f64,
        qubits: u64,
        cycles: f64,
        n: u32,
    ) -> Self {
        DistillationCost {
            output_error,
            failure_probability,
            qubits,
            code_cycles: cycles,
            outputs: n,
            qubit_cycles: qubits as f64 * cycles / f64::from(n),
        }
    }
}

/// The noise parameters of one protocol block, in the paper's units (cycles, patch widths).
struct BlockNoise {
    dx: f64,
    dz: f64,
    dm: f64,
    px: f64,
    pz: f64,
    pm: f64,
    /// Cycles per step: dm at level 1, t_L1 at level 2.
    step: f64,
    /// Added to every routing path: 0 at level 1, dm2 at level 2 (the state's final approach).
    path_extra: f64,
    /// Distance an input state travels before its rotation: dm at level 1 (the measurement
    /// itself), l_move at level 2 (from the level-1 factory).
    travel: f64,
    /// Error of an input magic state, per fault kind (π/2, -π/4, +π/4).
    input: [f64; 3],
}

impl BlockNoise {
    fn new(p: f64, d: Protocol15To1) -> Self {
        let f = |x: u32| f64::from(x);
        BlockNoise {
            dx: f(d.dx),
            dz: f(d.dz),
            dm: f(d.dm),
            px: logical_error_per_cycle(p, d.dx),
            pz: logical_error_per_cycle(p, d.dz),
            pm: logical_error_per_cycle(p, d.dm),
            step: f(d.dm),
            path_extra: 0.0,
            travel: f(d.dm),
            input: [p / 3.0; 3],
        }
    }

    /// Fault probabilities (π/2, -π/4, +π/4) of one rotation.
    fn faults(&self, route: Route) -> [f64; 3] {
        let [a, b, c] = self.input;
        match route {
            // The T measurement itself: its dm-cycle wait costs Z storage on the dZ patch, its
            // dZ-long readout a measurement error.
            Route::Direct => [
                a + 0.5 * self.dm / self.dz * self.pz * self.dm,
                b + 0.5 * self.dz * self.pm,
                c,
            ],
            Route::Path { .. } => {
                let reach = 0.5 * self.travel * self.pm;
                let len = self.path_len(route);
                [
                    a + reach,
                    b + reach + 0.5 * len * self.dx / self.dm * self.pm,
                    c,
                ]
            }
        }
    }

    fn path_len(&self, route: Route) -> f64 {
        match route {
            Route::Direct => 0.0,
            Route::Path { dx, dz } => {
                f64::from(dx) * self.dx + f64::from(dz) * self.dz + self.path_extra
            }
        }
    }

    /// Storage error probabilities (X, Z) of a patch during one step.
    fn storage(&self, output: bool, hold: Hold) -> (f64, f64) {
        let wait = |t: f64| {
            if output {
                (0.5 * self.px * t, 0.5 * self.px * t)
            } else {
                (
                    0.5 * self.dz / self.dx * self.px * t,
                    0.5 * self.dx / self.dz * self.pz * t,
                )
            }
        };
        let leave = 0.5 * self.px * (self.dm + 2.0 * self.dx);
        match hold {
            Hold::Idle => (0.0, 0.0),
            Hold::Wait => wait(self.step),
            Hold::Out => (leave, leave),
            Hold::WaitOut => {
                let (x, z) = wait(self.step);
                (x + leave, z + leave)
            }
        }
    }
}

/// Rejects probabilities outside [0, 1] (the model breaks down at large p or tiny distances).
fn probability(p: f64, what: &'static str) -> Result<f64, EstimateError> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(EstimateError::Breakdown(what))
    }
}

/// Relative disagreement between two equivalent runs above which an output error counts as
/// unresolved (floating-point round-off, roughly 1e-22 in absolute terms, dominates it).
const RESOLUTION: f64 = 1e-3;

/// Output errors at least this large are taken from the double-precision run; smaller ones are
/// recomputed in double-double precision (double precision leaves ~1e-24..1e-22 of absolute
/// round-off on these protocols).
const F64_TRUSTED: f64 = 1e-17;

/// Runs a schedule in double precision, and if the output error is small or round-off visibly
/// affects it, again in double-double precision ([`Cdd`]). Returns (failure probability, output
/// infidelity).
fn simulate_checked(s: &Schedule, noise: &BlockNoise) -> Result<(f64, f64), EstimateError> {
    match resolved::<Complex64>(s, noise) {
        Ok((fail, out)) if out >= F64_TRUSTED => Ok((fail, out)),
        Ok(_) | Err(EstimateError::Precision(_)) => resolved::<Cdd>(s, noise),
        Err(other) => Err(other),
    }
}

/// Runs a schedule twice, the second time with a global phase on the state and the idle
/// channels (which commute) in reverse qubit order: identical in exact arithmetic, differently
/// rounded. Fails with [`EstimateError::Precision`] if they disagree on the output error.
fn resolved<A: Amp>(s: &Schedule, noise: &BlockNoise) -> Result<(f64, f64), EstimateError> {
    let (fail, out) = simulate::<A>(s, noise, false)?;
    let (_, again) = simulate::<A>(s, noise, true)?;
    if out > 0.0 && (out - again).abs() <= RESOLUTION * out {
        Ok((fail, out))
    } else {
        Err(EstimateError::Precision(out.max(again)))
    }
}

/// One noise channel of a protocol block, in the order the block applies them.
#[derive(Clone, Copy, Debug)]
enum Channel {
    /// A π/8 rotation exp(iπ/8 P), P = ±Z^support, faulty with probabilities (π/2, -π/4, +π/4).
    Rotate {
        support: u32,
        negative: bool,
        faults: [f64; 3],
    },
    /// A Z error on `qubit` with probability `p`.
    PhaseFlip { qubit: usize, p: f64 },
    /// An X error on `qubit` with probability `p`.
    BitFlip { qubit: usize, p: f64 },
}

/// Feeds the block's channels along schedule `s` to `apply`, checking every probability;
/// `reverse` runs the idle channels (which commute) in reverse qubit order.
fn for_each_channel(
    s: &Schedule,
    noise: &BlockNoise,
    reverse: bool,
    mut apply: impl FnMut(Channel),
) -> Result<(), EstimateError> {
    for step in &s.steps {
        let mut exposure = vec![0.0; s.outputs];
        for r in &step.rotations {
            let faults = noise.faults(r.route);
            probability(faults.iter().sum(), "rotation fault")?;
            apply(Channel::Rotate {
                support: r.support,
                negative: r.negative,
                faults,
            });
            for (q, e) in exposure.iter_mut().enumerate() {
                if r.exposes >> q & 1 == 1 {
                    *e += 0.5 * noise.path_len(r.route) * noise.dm / noise.dx * noise.px;
                }
            }
        }
        for (q, e) in exposure.into_iter().enumerate() {
            let p = probability(e, "exposure")?;
            apply(Channel::PhaseFlip { qubit: q, p });
        }
        let mut order: Vec<usize> = (0..s.qubits).collect();
        if reverse {
            order.reverse();
        }
        for &q in &order {
            let (x, _) = noise.storage(q < s.outputs, step.hold[q]);
            let p = probability(x, "storage")?;
            apply(Channel::BitFlip { qubit: q, p });
        }
        for &q in &order {
            let (_, z) = noise.storage(q < s.outputs, step.hold[q]);
            let p = probability(z, "storage")?;
            apply(Channel::PhaseFlip { qubit: q, p });
        }
    }
    Ok(())
}

/// Runs a schedule under the block's noise; returns (failure probability, output infidelity).
fn simulate<A: Amp>(
    s: &Schedule,
    noise: &BlockNoise,
    reverse: bool,
) -> Result<(f64, f64), EstimateError> {
    let mut state = NoisyState::<A>::plus(s.qubits);
    if reverse {
        state.rephase(1.0);
    }
    for_each_channel(s, noise, reverse, |c| match c {
        Channel::Rotate {
            support,
            negative,
            faults,
        } => state.rotate(support, negative, faults),
        Channel::PhaseFlip { qubit, p } => state.phase_flip(qubit, p),
        Channel::BitFlip { qubit, p } => state.bit_flip(qubit, p),
    })?;
    let (fail, infidelity) = state.outcome(s.checks());
    if fail < 1.0 && infidelity.is_finite() {
        Ok((fail.max(0.0), infidelity))
    } else {
        Err(EstimateError::Breakdown("every run fails"))
    }
}

impl Protocol15To1 {
    /// The protocol (15-to-1)_{dX,dZ,dm}.
    pub fn new(dx: u32, dz: u32, dm: u32) -> Self {
        Protocol15To1 { dx, dz, dm }
    }

    fn check(&self, level: u8) -> Result<(), EstimateError> {
        let names: [&'static str; 3] = if level == 1 {
            ["dX", "dZ", "dm"]
        } else {
            ["dX2", "dZ2", "dm2"]
        };
        check_distance(names[0], self.dx)?;
        check_distance(names[1], self.dz)?;
        check_distance(names[2], self.dm)
    }

    /// Physical qubits: 2((dX + 4dZ) 3dX + 2dm): a (dX + 4dZ)-wide, 3dX-high block.
    pub fn qubits(&self) -> u64 {
        let (dx, dz, dm) = (u64::from(self.dx), u64::from(self.dz), u64::from(self.dm));
        2 * ((dx + 4 * dz) * 3 * dx + 2 * dm)
    }

    /// (failure probability, output error) at physical error `p`.
    fn outcome(&self, p: f64) -> Result<(f64, f64), EstimateError> {
        simulate_checked(&schedule::fifteen_to_one(), &BlockNoise::new(p, *self))
    }

    /// Cost at physical error `p`: 6 steps of dm cycles, repeated on failure.
    pub fn cost(&self, p: f64) -> Result<DistillationCost, EstimateError> {
        check_physical(p)?;
        self.check(1)?;
        let (fail, out) = self.outcome(p)?;
        let cycles = 6.0 * f64::from(self.dm) / (1.0 - fail);
        Ok(DistillationCost::new(out, fail, self.qubits(), cycles, 1))
    }
}

impl SecondLevel {
    pub(super) fn schedule(self) -> Schedule {
        match self {
            SecondLevel::FifteenToOne => schedule::fifteen_to_one_second_level(),
            SecondLevel::TwentyToFour => schedule::twenty_to_four_second_level(),
        }
    }

    pub(super) fn outputs(self) -> u32 {
        match self {
            SecondLevel::FifteenToOne => 1,
            SecondLevel::TwentyToFour => 4,
        }
    }

    /// [`pauli_z_floor`] of the block when only its inputs fail, each with a π/2 fault of
    /// probability `out1` (the input part of [`quick_floor`]).
    pub(super) fn input_floor(self, out1: f64) -> f64 {
        pauli_z_floor(&self.schedule(), &input_only_noise([out1, 0.0, 0.0])).unwrap_or(0.0)
    }

    /// Width of the level-2 block in units of (dX2, dZ2): outputs and checks side by side.
    fn width(self) -> (u64, u64) {
        match self {
            SecondLevel::FifteenToOne => (1, 4),
            SecondLevel::TwentyToFour => (4, 3),
        }
    }
}

impl TwoLevel {
    /// Physical qubits: the level-2 block (width x 3dX2), the level-1 factories each
    /// with half a dm2-wide bus along it, and the 20 dm2^2 + 2 dX2 dm2 routing region.
    pub fn qubits(&self) -> u64 {
        let u = |x: u32| u64::from(x);
        let (dx, dz, dm) = (u(self.first.dx), u(self.first.dz), u(self.first.dm));
        let (dx2, dz2, dm2) = (u(self.second.dx), u(self.second.dz), u(self.second.dm));
        let (a, b) = self.kind.width();
        let block = 2 * (a * dx2 + b * dz2) * 3 * dx2;
        let factories =
            u(self.copies) * (2 * (dx + 4 * dz) * 3 * dx + (dx + 4 * dz) * dm2 + 4 * dm);
        block + factories + 40 * dm2 * dm2 + 4 * dx2 * dm2
    }

    /// Cost at physical error `p`: level-2 rotations run two at a time, every
    /// t_L1 = max(6 dm / ((n/2)(1 - p_fail,1)), dm2) cycles.
    pub fn cost(&self, p: f64) -> Result<DistillationCost, EstimateError> {
        check_physical(p)?;
        self.first.check(1)?;
        self.second.check(2)?;
        if self.copies == 0 {
            return Err(EstimateError::Copies(self.copies));
        }
        let (fail1, out1) = self.first.outcome(p)?;
        self.cost_given_first(p, fail1, out1, true)
    }

    /// The level-2 block's noise when the level-1 (failure, output error) are known: steps of
    /// t_L1 cycles, inputs travelling 10 dm2 + n (dX + 4 dZ)/4 from the level-1 factories.
    fn level2_noise(&self, p: f64, fail1: f64, out1: f64) -> BlockNoise {
        let mut noise = BlockNoise::new(p, self.second);
        noise.step = self.step_time(fail1);
        noise.path_extra = noise.dm;
        noise.travel = 10.0 * noise.dm
            + f64::from(self.copies) / 4.0 * f64::from(self.first.dx + 4 * self.first.dz);
        noise.input = [out1, 0.0, 0.0];
        noise
    }

    /// Level-2 cost when the level-1 (failure, output error) are already known; `check` runs
    /// the round-off check (the search skips it for candidates that cannot win).
    pub(super) fn cost_given_first(
        &self,
        p: f64,
        fail1: f64,
        out1: f64,
        check: bool,
    ) -> Result<DistillationCost, EstimateError> {
        let t_l1 = self.step_time(fail1);
        let noise = self.level2_noise(p, fail1, out1);
        let schedule = self.kind.schedule();
        let (fail2, out2) = if check {
            simulate_checked(&schedule, &noise)?
        } else {
            simulate::<Complex64>(&schedule, &noise, false)?
        };
        let n = self.kind.outputs();
        let cycles = self.cycles_per_attempt(t_l1) / (1.0 - fail2);
        Ok(DistillationCost::new(
            out2 / f64::from(n),
            fail2,
            self.qubits(),
            cycles,
            n,
        ))
    }

    /// Space-time per output state without level-2 failures: a lower bound on
    /// [`DistillationCost::qubit_cycles`] that needs no simulation.
    pub(super) fn qubit_cycles_floor(&self, fail1: f64) -> f64 {
        self.qubits() as f64 * self.cycles_per_attempt(self.step_time(fail1))
            / f64::from(self.kind.outputs())
    }

    /// A lower bound on the output error per state at physical error `p` when the level-1
    /// (failure, output error) are known, without simulating the level-2 block; `schedule` is
    /// the kind's. With `input_floor` = [`SecondLevel::input_floor`] at `out1` the cheaper
    /// [`quick_floor`], else [`pauli_z_floor`].
    pub(super) fn output_error_floor(
        &self,
        schedule: &Schedule,
        p: f64,
        (fail1, out1): (f64, f64),
        input_floor: Option<f64>,
    ) -> f64 {
        let noise = self.level2_noise(p, fail1, out1);
        let floor = match input_floor {
            Some(input) => quick_floor(schedule, &noise, input),
            None => pauli_z_floor(schedule, &noise),
        };
        floor.unwrap_or(0.0) / f64::from(self.kind.outputs())
    }

    fn step_time(&self, fail1: f64) -> f64 {
        let pairs = f64::from(self.copies) / 2.0;
        (6.0 * f64::from(self.first.dm) / pairs / (1.0 - fail1)).max(f64::from(self.second.dm))
    }

    fn cycles_per_attempt(&self, t_l1: f64) -> f64 {
        self.kind.schedule().rotations() as f64 / 2.0 * t_l1
    }
}

/// A block's noise with only the input states' faults `input` (no logical errors).
fn input_only_noise(input: [f64; 3]) -> BlockNoise {
    let mut noise = BlockNoise::new(0.0, Protocol15To1::new(1, 1, 1));
    (noise.px, noise.pz, noise.pm) = (0.0, 0.0, 0.0);
    noise.input = input;
    noise
}

/// A cheap lower bound on a block's output infidelity (all outputs jointly), the larger of two:
///
/// - Z errors on an output commute with every other channel (Pauli channels commute, and the
///   rotations and their faults are diagonal) and with the checks' measurement, so they may be
///   moved to the end, where they map the ideal output |m>^k to orthogonal states. If their
///   combined probabilities z_q are at most 1/2, the infidelity is at least 1 - Π_q (1 - z_q).
/// - `input_floor`, the [`pauli_z_floor`] of a run with input faults alone, times
///   survival / survival_input (the probabilities that no channel faults, in this block and in
///   that run): each configuration of input faults is at least that much likelier here, as
///   every channel's fault probabilities are at least the input's.
fn quick_floor(s: &Schedule, noise: &BlockNoise, input_floor: f64) -> Result<f64, EstimateError> {
    let (mut survival, mut survival_input) = (1.0, 1.0);
    let mut z = vec![0.0f64; s.outputs];
    let input = 1.0 - noise.input.iter().sum::<f64>();
    for_each_channel(s, noise, false, |c| match c {
        Channel::Rotate { faults, .. } => {
            survival *= 1.0 - faults.iter().sum::<f64>();
            survival_input *= input;
        }
        Channel::PhaseFlip { qubit, p } => {
            survival *= 1.0 - p;
            if let Some(z) = z.get_mut(qubit) {
                *z = *z * (1.0 - p) + p * (1.0 - *z);
            }
        }
        Channel::BitFlip { p, .. } => survival *= 1.0 - p,
    })?;
    let flips = if z.iter().all(|&z| z <= 0.5) {
        1.0 - z.iter().map(|z| 1.0 - z).product::<f64>()
    } else {
        0.0
    };
    let inputs = if survival_input > 0.0 {
        survival / survival_input * input_floor
    } else {
        0.0
    };
    Ok(flips.max(inputs))
}

/// A lower bound on a block's output infidelity (all outputs jointly) from its Pauli Z faults
/// alone, without simulating it; rigorous, no cancellation (a sum of positive terms).
///
/// A rotation's π/2 fault is the ideal rotation followed by the Pauli ±Z^support, and the flip
/// channels are Z or X Paulis. Take the fault configurations in which every channel either does
/// nothing or applies its Z Pauli. In each, the Z Paulis commute with the (diagonal) rotations
/// to the end of the block, where their product Z^u is kept for sure if u has no check qubit
/// and maps the ideal output |m>^k to an orthogonal state if u has an output qubit. Their
/// probabilities, tracked per u (one vector of 2^n entries), thus sum to part of the kept-and-
/// wrong probability W, and every other configuration adds a nonnegative amount to W. The
/// infidelity is W / P_acc ≥ W.
fn pauli_z_floor(s: &Schedule, noise: &BlockNoise) -> Result<f64, EstimateError> {
    let mut frame = vec![0.0f64; 1 << s.qubits];
    frame[0] = 1.0;
    let mut next = frame.clone();
    let mut add = |frame: &mut Vec<f64>, mask: usize, nothing: f64, pauli: f64| {
        for (u, x) in next.iter_mut().enumerate() {
            *x = nothing * frame[u] + pauli * frame[u ^ mask];
        }
        std::mem::swap(frame, &mut next);
    };
    for_each_channel(s, noise, false, |c| match c {
        Channel::Rotate {
            support, faults, ..
        } => add(
            &mut frame,
            support as usize,
            1.0 - faults.iter().sum::<f64>(),
            faults[0],
        ),
        Channel::PhaseFlip { qubit, p } => add(&mut frame, 1 << qubit, 1.0 - p, p),
        Channel::BitFlip { p, .. } => frame.iter_mut().for_each(|x| *x *= 1.0 - p),
    })?;
    let (checks, outputs) = (s.checks() as usize, s.output_mask() as usize);
    Ok(frame
        .iter()
        .enumerate()
        .filter(|&(u, _)| u & checks == 0 && u & outputs != 0)
        .map(|(_, x)| x)
        .sum())
}

impl Protocol {
    /// Cost at physical error `p`.
    pub fn cost(&self, p: f64) -> Result<DistillationCost, EstimateError> {
        match self {
            Protocol::OneLevel(x) => x.cost(p),
            Protocol::TwoLevel(x) => x.cost(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64 as C;
    use std::f64::consts::{FRAC_1_SQRT_2, PI};

    /// |m>^k ⊗ |+>^(n-k), |m> = (|0> + e^{iπ/4}|1>)/√2: the output the protocols promise.
    fn promised(n: usize, k: usize) -> Vec<C> {
        let magic = [
            C::new(FRAC_1_SQRT_2, 0.0),
            C::from_polar(FRAC_1_SQRT_2, PI / 4.0),
        ];
        let plus = [C::new(FRAC_1_SQRT_2, 0.0); 2];
        (0..1usize << n)
            .map(|j| {
                (0..n)
                    .map(|q| (if q < k { magic } else { plus })[j >> q & 1])
                    .product()
            })
            .collect()
    }

    #[test]
    fn noiseless_schedules_output_magic_states() {
        for (s, n, k) in [
            (schedule::fifteen_to_one(), 5, 1),
            (schedule::fifteen_to_one_second_level(), 5, 1),
            (schedule::twenty_to_four_second_level(), 7, 4),
        ] {
            let mut state = NoisyState::<C>::plus(n);
            for r in s.steps.iter().flat_map(|st| &st.rotations) {
                state.rotate(r.support, r.negative, [0.0; 3]);
            }
            let overlap: C = promised(n, k)
                .iter()
                .zip(state.ideal())
                .map(|(a, b)| a.conj() * b)
                .sum();
            assert!(
                (overlap.norm() - 1.0).abs() < 1e-12,
                "{n} qubits: {overlap}"
            );
        }
    }

    #[test]
    fn double_double_agrees_with_double_where_both_resolve() {
        let noise = BlockNoise::new(1e-3, Protocol15To1::new(17, 7, 7));
        let s = schedule::fifteen_to_one();
        let (fail, out) = simulate::<C>(&s, &noise, false).unwrap();
        let (fail_dd, out_dd) = simulate::<Cdd>(&s, &noise, true).unwrap();
        assert!((out / out_dd - 1.0).abs() < 1e-9, "{out} {out_dd}");
        assert!((fail / fail_dd - 1.0).abs() < 1e-12, "{fail} {fail_dd}");
    }

    #[test]
    fn output_error_floors_lie_below_the_simulated_error() {
        // The search skips protocols by these floors: they must never exceed the real output
        // error, for both kinds, small and large distances, and p from 1e-4 to 3e-3.
        for p in [1e-4, 1e-3, 3e-3] {
            for (dx, dz, dm) in [(5, 3, 3), (11, 5, 5), (15, 7, 7)] {
                let first = Protocol15To1::new(dx, dz, dm);
                let (fail1, out1) = first.outcome(p).unwrap();
                for kind in [SecondLevel::FifteenToOne, SecondLevel::TwentyToFour] {
                    for (dx2, dz2, dm2) in [(7, 3, 3), (13, 7, 7), (21, 11, 13)] {
                        let proto = TwoLevel {
                            first,
                            copies: 6,
                            second: Protocol15To1::new(dx2, dz2, dm2),
                            kind,
                        };
                        let Ok(cost) = proto.cost_given_first(p, fail1, out1, true) else {
                            continue;
                        };
                        let s = kind.schedule();
                        let input = kind.input_floor(out1);
                        let quick = proto.output_error_floor(&s, p, (fail1, out1), Some(input));
                        let full = proto.output_error_floor(&s, p, (fail1, out1), None);
                        let what = format!("{proto:?} at {p}: {quick} {full} {cost:?}");
                        assert!(full > 0.0 && quick > 0.0, "{what}");
                        assert!(
                            quick <= cost.output_error && full <= cost.output_error,
                            "{what}"
                        );
                        assert!(
                            proto.qubit_cycles_floor(fail1) <= cost.qubit_cycles,
                            "{what}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn one_level_leading_order_is_35_p_cubed() {
        // With vanishing logical errors only the injected states fail: 35 p^3 at leading
        // order (Bravyi-Kitaev), with p/3 of each fault kind.
        let c = Protocol15To1::new(99, 99, 99).cost(1e-4).unwrap();
        let p_z: f64 = 1e-4 / 3.0;
        assert!(
            c.output_error > 0.0 && c.output_error < 35.0 * 1e-12,
            "{c:?}"
        );
        assert!(c.output_error > 35.0 * p_z.powi(3), "{c:?}");
    }
}
