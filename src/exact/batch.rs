//! Batches of exact shots in the frame sampler's result layout, so that every consumer of
//! detection events (output writers, decoders, sweeps) reads both engines alike.

use super::packed::{PackedNoise, Readout};
use super::program::{ExactProgram, Injection, NoiseMode, ShotEnd, Workspace};
use crate::bits::BitTable;
use rand_core::RngCore;

/// Observables computed at the end of a completed shot from the exact state, instead of (or
/// besides) the circuit's `OBSERVABLE_INCLUDE`s; e.g. a noiseless measurement of a logical
/// non-Pauli observable. Bit k of the result is observable k.
pub trait EndOfShot: Send + Sync {
    /// How many observables [`EndOfShot::observables`] returns.
    fn count(&self) -> usize;
    fn observables(&self, program: &ExactProgram, ws: &Workspace, rng: &mut dyn RngCore) -> u64;
}

/// Chooses the faults of each shot (e.g. exactly k of them, for stratified sampling).
pub trait FaultSource: Send + Sync {
    /// Appends one shot's faults to `out` (in any order).
    fn draw(&self, rng: &mut dyn RngCore, out: &mut Vec<Injection>);
}

/// What a batch runs and how it reads out.
#[derive(Clone, Copy)]
pub struct BatchSpec<'a> {
    pub program: &'a ExactProgram,
    /// Stop a shot at the first of these detectors that fires (its other bits stay 0).
    pub postselect: Option<&'a [bool]>,
    /// Replaces the circuit's observables when present.
    pub end_of_shot: Option<&'a dyn EndOfShot>,
    /// How noise is sampled, unless `faults` chooses each shot's faults.
    pub noise: NoiseMode<'a>,
    pub faults: Option<&'a dyn FaultSource>,
}

impl BatchSpec<'_> {
    /// Observable rows of the result table.
    pub fn num_observables(&self) -> usize {
        match self.end_of_shot {
            Some(e) => e.count(),
            None => self.program.num_observables,
        }
    }

    /// A result table for `words` x 64 shots: detectors then observables.
    pub fn table(&self, words: usize) -> BitTable {
        BitTable::new(self.program.num_detectors + self.num_observables(), words)
    }

    /// Runs `shots` shots (at most the table's width) into `table`, which is cleared first:
    /// 512 at a time ([`super::packed`]) when the noise is sampled or off, or the faults are
    /// chosen by a source (programs without correlated errors), and the program's dense vector
    /// is at most [`super::PACKED_MAX_ACTIVE`] qubits wide; else one at a time
    /// ([`Self::run_scalar`]: fixed faults, wider programs). Both give the same distribution,
    /// not the same shots for one seed.
    pub fn run(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        shots: usize,
        table: &mut BitTable,
    ) {
        let sampled = matches!(self.noise, NoiseMode::Sample | NoiseMode::Off);
        // Chosen faults go to the packed executor when the effect table takes them: programs
        // with correlated errors (which it leaves out) run them one shot at a time.
        let chosen = self.faults.is_some() && self.program.effects.is_some();
        if (chosen || self.faults.is_none() && sampled) && self.program.packs() {
            let noise = match (self.faults, self.noise) {
                (Some(source), _) => PackedNoise::Chosen(source),
                (None, NoiseMode::Sample) => PackedNoise::Sampled,
                (None, _) => PackedNoise::Off,
            };
            let out = Readout {
                noise,
                postselect: self.postselect,
                end_of_shot: self.end_of_shot,
            };
            self.program.run_packed(ws, rng, shots, out, table);
        } else {
            self.run_scalar(ws, rng, shots, table);
        }
    }

    /// [`Self::run`] one shot at a time, whatever the program and noise.
    pub fn run_scalar(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        shots: usize,
        table: &mut BitTable,
    ) {
        table.clear();
        let dets = self.program.num_detectors;
        let mut placed = Vec::new();
        for s in 0..shots {
            let noise = match self.faults {
                Some(source) => {
                    placed.clear();
                    source.draw(rng, &mut placed);
                    placed.sort_unstable();
                    NoiseMode::Fixed(&placed)
                }
                None => self.noise,
            };
            match self.program.run_shot(ws, rng, noise, self.postselect) {
                ShotEnd::Discarded { detector } => table.flip(detector as usize, s),
                ShotEnd::Completed => {
                    set_column(table, s, 0, ws.detectors.iter().copied());
                    match self.end_of_shot {
                        Some(e) => {
                            let obs = e.observables(self.program, ws, rng);
                            let bits = (0..e.count().min(64)).map(|k| obs >> k & 1 == 1);
                            set_column(table, s, dets, bits);
                        }
                        None => set_column(table, s, dets, ws.observables.iter().copied()),
                    }
                }
            }
        }
    }

    /// Runs `shots` shots into `table` (cleared first), one row per measurement: the record.
    pub fn run_measurements(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        shots: usize,
        table: &mut BitTable,
    ) {
        table.clear();
        for s in 0..shots {
            self.program.run_shot(ws, rng, self.noise, None);
            set_column(table, s, 0, ws.record.iter().copied());
        }
    }
}

/// Sets shot `shot`'s bits in rows `first..` of `table` (which start cleared).
fn set_column(table: &mut BitTable, shot: usize, first: usize, bits: impl Iterator<Item = bool>) {
    for (r, bit) in bits.enumerate() {
        if bit {
            table.flip(first + r, shot);
        }
    }
}
