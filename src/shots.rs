//! Sampling a circuit's measurement results or detection events with the engine it needs: the
//! bit-packed Pauli-frame sampler for Clifford circuits, the exact engine for the others. One
//! driver for the `sample` / `detect` commands and the Python bindings.

use crate::bits::BitTable;
use crate::circuit::Circuit;
use crate::error::SimError;
use crate::exact::{BatchSpec, ExactProgram, NoiseMode};
use crate::frame::{FrameProgram, Mode};
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
        })
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
                    |(ws, t), rng, shots| {
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
