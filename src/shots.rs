//! Sampling a circuit's measurement results or detection events with the engine it needs: the
//! bit-packed Pauli-frame sampler for Clifford circuits, the exact engine for the others. One
//! driver for the `sample` / `detect` commands and the Python bindings.

use crate::bits::BitTable;
use crate::circuit::Circuit;
use crate::error::SimError;
use crate::exact::{BatchSpec, ExactProgram, NoiseMode};
use crate::frame::{FrameProgram, Mode, SweepBits};
use crate::reference;
use crate::sampler::{run_batches, run_batches_with, BatchPlan};

/// What a [`ShotSampler`] produces per shot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Produce {
    /// Every measurement result, in record order.
    Measurements,
    /// Detection events, then observable flips.
    Detections,
}

enum Engine {
    Frame(FrameProgram),
    Exact(Box<ExactProgram>),
}

/// A circuit compiled for sampling, with its batch plan.
pub struct ShotSampler {
    engine: Engine,
    plan: BatchPlan,
    produce: Produce,
    /// Frame sampler, measurements: the reference sample the frames' flips are XORed with.
    reference: Vec<bool>,
    /// Per-shot sweep bits (frame sampler only); None reads every `sweep[k]` as 0.
    sweep: Option<SweepBits>,
}

impl ShotSampler {
    /// Compiles `circuit` for the engine it needs and plans `shots` shots (refusing circuits too
    /// big to sample, and, for detection events on the frame sampler, circuits whose detectors
    /// or observables are not deterministic).
    pub fn new(
        circuit: &Circuit,
        produce: Produce,
        shots: u64,
        seed: u64,
        threads: usize,
    ) -> Result<ShotSampler, SimError> {
        if circuit.first_non_clifford().is_some() {
            let program = ExactProgram::compile(circuit)?;
            let plan = BatchPlan {
                shots,
                seed,
                threads,
                words: 1,
            };
            return Ok(ShotSampler {
                engine: Engine::Exact(Box::new(program)),
                plan,
                produce,
                reference: Vec::new(),
                sweep: None,
            });
        }
        let program = FrameProgram::compile(circuit)?;
        let mode = match produce {
            Produce::Measurements => Mode::Measure,
            Produce::Detections => Mode::Detect,
        };
        let plan = BatchPlan::new(&program, mode, shots, seed, threads)?;
        let reference = match produce {
            Produce::Measurements => reference::reference_sample(circuit)?.measurements,
            Produce::Detections => {
                reference::check_deterministic(circuit)?;
                Vec::new()
            }
        };
        Ok(ShotSampler {
            engine: Engine::Frame(program),
            plan,
            produce,
            reference,
            sweep: None,
        })
    }

    /// Number of `sweep[k]` bits the circuit reads per shot.
    pub fn num_sweep_bits(&self) -> usize {
        match &self.engine {
            Engine::Frame(p) => p.num_sweep_bits,
            Engine::Exact(_) => 0,
        }
    }

    /// Uses `bits` (shot i's sweep bits in column i) for the `sweep[k]` controls. They change
    /// measurements; detection events and observable flips are, as in Stim's `m2d --sweep`,
    /// relative to the noiseless run with the same sweep bits, which sweep data cannot change.
    /// The frame sampler only: the exact engine refuses.
    pub fn with_sweep(mut self, bits: SweepBits) -> Result<ShotSampler, String> {
        self.check_sweep_supported()?;
        self.sweep = Some(bits);
        Ok(self)
    }

    /// Whether this engine takes sweep data: the exact engine (non-Clifford circuits) does not.
    pub fn check_sweep_supported(&self) -> Result<(), String> {
        match self.engine {
            Engine::Frame(_) => Ok(()),
            Engine::Exact(_) => Err("sweep data (--sweep) is not supported for circuits with non-Clifford gates: the exact engine reads every sweep[k] as 0".into()),
        }
    }

    pub fn num_detectors(&self) -> usize {
        match &self.engine {
            Engine::Frame(p) => p.num_detectors as usize,
            Engine::Exact(p) => p.num_detectors,
        }
    }

    pub fn num_observables(&self) -> usize {
        match &self.engine {
            Engine::Frame(p) => p.num_observables,
            Engine::Exact(p) => p.num_observables,
        }
    }

    pub fn num_measurements(&self) -> usize {
        match &self.engine {
            Engine::Frame(p) => p.num_measurements as usize,
            Engine::Exact(p) => p.num_measurements,
        }
    }

    /// Runs every batch; `encode(table, shots, invert)` turns a batch's table (detectors then
    /// observables, or the measurement record, one row per bit) into output, rows flagged in
    /// `invert` to be read inverted; `emit` receives the encodings in shot order.
    pub fn run<T: Send, E: Send>(
        &self,
        encode: impl Fn(&BitTable, usize, Option<&[bool]>) -> T + Sync + Send,
        emit: impl FnMut(T) -> Result<(), E> + Send,
    ) -> Result<(), E> {
        let measurements = self.produce == Produce::Measurements;
        match &self.engine {
            Engine::Frame(program) => {
                let mode = if measurements {
                    Mode::Measure
                } else {
                    Mode::Detect
                };
                run_batches(
                    program,
                    mode,
                    &self.plan,
                    // Detection events are relative to the noiseless run under the same sweep
                    // bits (Stim's `m2d --sweep`), and frames are linear: the sweep Paulis'
                    // deviation cancels exactly, so only measurements read the sweep bits.
                    self.sweep.as_ref().filter(|_| measurements),
                    |sim, shots| {
                        if measurements {
                            encode(sim.record(), shots, Some(&self.reference))
                        } else {
                            encode(sim.results(), shots, None)
                        }
                    },
                    emit,
                )
            }
            Engine::Exact(program) => {
                let spec = BatchSpec {
                    program,
                    postselect: None,
                    end_of_shot: None,
                    noise: NoiseMode::Sample,
                    faults: None,
                };
                let table = || {
                    if measurements {
                        BitTable::new(program.num_measurements.max(1), self.plan.words)
                    } else {
                        spec.table(self.plan.words)
                    }
                };
                run_batches_with(
                    &self.plan,
                    || (program.workspace(), table()),
                    |(ws, t), rng, _, shots| {
                        if measurements {
                            spec.run_measurements(ws, rng, shots, t);
                        } else {
                            spec.run(ws, rng, shots, t);
                        }
                        encode(t, shots, None)
                    },
                    emit,
                )
            }
        }
    }
}
