//! The native part of the `qec_sim` Python package: circuits parsed and sampled by qec-sim,
//! results handed over as Stim's `b8` bytes, which `qec_sim/__init__.py` turns into numpy
//! arrays shaped as Stim's. Every error is a `ValueError` carrying the CLI's one-line message.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use qec_sim::bits::BitTable;
use qec_sim::circuit::{parse_circuit, Circuit as RsCircuit};
use qec_sim::decoder::{by_name, Decoder, DecoderInput, Postselect};
use qec_sim::dem::{self, DemOptions};
use qec_sim::output::{write_shots, BitNames, Format};
use qec_sim::shots::{Produce, ShotSampler};
use qec_sim::sweep::tasks::marked_prep;
use qec_sim::sweep::{run_task, Engine, FlagsFirst, RunConfig, Shard, StopRule, SweepTask};
use std::collections::BTreeMap;

/// Largest result (bytes of bit-packed shots) one `sample` call may return.
const MAX_RESULT_BYTES: u64 = 1 << 32;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A Stim-format circuit.
#[pyclass(module = "qec_sim._qec_sim", frozen)]
struct Circuit {
    inner: RsCircuit,
}

#[pymethods]
impl Circuit {
    #[new]
    #[pyo3(signature = (text = ""))]
    fn new(text: &str) -> PyResult<Self> {
        let inner = parse_circuit(text).map_err(|e| value_error(format!("circuit:{e}")))?;
        Ok(Circuit { inner })
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    #[getter]
    fn num_qubits(&self) -> u64 {
        self.inner.stats().num_qubits as u64
    }

    #[getter]
    fn num_measurements(&self) -> u64 {
        self.inner.stats().num_measurements
    }

    #[getter]
    fn num_detectors(&self) -> u64 {
        self.inner.stats().num_detectors
    }

    #[getter]
    fn num_observables(&self) -> u64 {
        self.inner.stats().num_observables as u64
    }

    /// The detector error model as Stim's `.dem` text.
    #[pyo3(signature = (approximate_disjoint_errors = false))]
    fn detector_error_model_text(
        &self,
        py: Python<'_>,
        approximate_disjoint_errors: bool,
    ) -> PyResult<String> {
        let options = DemOptions {
            approximate_disjoint_errors,
        };
        let model = py
            .allow_threads(|| dem::from_circuit(&self.inner, options))
            .map_err(value_error)?;
        Ok(model.to_string())
    }

    /// `shots` shots as `b8` bytes (one padded byte row per shot) with the number of bits per
    /// shot: measurements (`detections = False`) or detectors then observables.
    fn sample_b8<'py>(
        &self,
        py: Python<'py>,
        shots: u64,
        seed: u64,
        detections: bool,
    ) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
        let produce = if detections {
            Produce::Detections
        } else {
            Produce::Measurements
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let sampler =
            ShotSampler::new(&self.inner, produce, shots, seed, threads).map_err(value_error)?;
        let (bits, dets) = match produce {
            Produce::Measurements => (sampler.num_measurements(), 0),
            Produce::Detections => (
                sampler.num_detectors() + sampler.num_observables(),
                sampler.num_detectors(),
            ),
        };
        let bytes = (bits as u64).div_ceil(8).max(1).saturating_mul(shots);
        if bytes > MAX_RESULT_BYTES {
            return Err(value_error(format!(
                "{shots} shots of {bits} bits need {bytes} bytes, more than the limit of \
                 {MAX_RESULT_BYTES}; sample in smaller pieces"
            )));
        }
        let mut out = Vec::with_capacity(bytes as usize);
        py.allow_threads(|| {
            sampler.run(
                |t: &BitTable, n, invert| {
                    let mut buf = Vec::new();
                    let names = BitNames::Measurements;
                    write_shots(t, 0..bits, n, invert, Format::B8, names, &mut buf);
                    buf
                },
                |buf| {
                    out.extend_from_slice(&buf);
                    Ok::<(), ()>(())
                },
            )
        })
        .map_err(|()| value_error("sampling failed"))?;
        Ok((PyBytes::new(py, &out), bits, dets))
    }
}

/// (shots, errors, discards, seconds, custom counts), the fields of `sinter.AnonTaskStats`.
type SinterCounts = (u64, u64, u64, f64, BTreeMap<String, u64>);

/// One sinter task compiled for a qec-sim plugin: the circuit on its engine (frame sampler or
/// exact engine) and a decoder, sampled and judged in Rust batch by batch.
#[pyclass(module = "qec_sim._qec_sim")]
struct SinterTask {
    task: SweepTask,
    seed: u64,
    calls: u64,
}

#[pymethods]
impl SinterTask {
    /// `decoder` is `postselect` (discard a shot when a detector fires; predict no flip),
    /// `lookup` (qec-sim's DEM lookup decoder covering `lookup_faults` mechanisms), `color`
    /// (the colour-code decoder, `--decoder color`: detectors need Chromobius's colour/basis
    /// coordinate) or `hadamard-prep` (the |H> protocol's decoder, for `qec-sim gen --task
    /// hadamard-prep`). With `postselect_on` (sinter's postselection_mask as detector indices)
    /// only those detectors discard, and `lookup` / `color` decode the kept shots.
    #[new]
    #[pyo3(signature = (text, decoder, postselect_on, lookup_faults, seed))]
    fn new(
        text: &str,
        decoder: &str,
        postselect_on: Option<Vec<usize>>,
        lookup_faults: usize,
        seed: u64,
    ) -> PyResult<Self> {
        let circuit = parse_circuit(text).map_err(|e| value_error(format!("circuit:{e}")))?;
        let stats = circuit.stats();
        if let Some(d) = postselect_on
            .iter()
            .flatten()
            .find(|&&d| d as u64 >= stats.num_detectors)
        {
            return Err(value_error(format!(
                "postselection_mask names detector {d}, but the circuit has {}",
                stats.num_detectors
            )));
        }
        if decoder == "hadamard-prep" {
            // The protocol's own decoder, recognised from the circuit's scoring-tail marks.
            if postselect_on.is_some() {
                return Err(value_error(
                    "qec-sim-hadamard-prep postselects by itself: the task must not have a postselection_mask",
                ));
            }
            let prep = marked_prep(&circuit)
                .map_err(|e| value_error(format!("{e:#}")))?
                .ok_or_else(|| {
                    value_error(
                        "qec-sim-hadamard-prep needs a `qec-sim gen --task hadamard-prep` circuit \
                         (its scoring-tail detectors are missing)",
                    )
                })?;
            let task = prep
                .task(circuit, serde_json::Value::Null)
                .map_err(|e| value_error(format!("{e:#}")))?;
            return Ok(SinterTask {
                task,
                seed,
                calls: 0,
            });
        }
        let engine = Engine::for_circuit(&circuit).map_err(value_error)?;
        let flags = postselect_on.as_deref().map(Postselect::on);
        let built: Box<dyn Decoder> = match decoder {
            "postselect" => {
                Box::new(flags.unwrap_or_else(|| Postselect::all(stats.num_detectors as usize)))
            }
            "lookup" | "color" => {
                let options = DemOptions {
                    approximate_disjoint_errors: true,
                };
                let dem = dem::from_circuit(&circuit, options).map_err(value_error)?;
                let input = DecoderInput {
                    dem: Some(&dem),
                    code: None,
                    max_faults: lookup_faults,
                };
                let inner = by_name(decoder, &input).map_err(value_error)?;
                match flags {
                    Some(flags) => Box::new(FlagsFirst { flags, inner }),
                    None => inner,
                }
            }
            other => {
                let expected = "postselect, lookup, color or hadamard-prep";
                let message = format!("unknown qec-sim decoder '{other}' (expected {expected})");
                return Err(value_error(message));
            }
        };
        let task = SweepTask::custom(circuit, engine, built, serde_json::Value::Null, None, None);
        Ok(SinterTask {
            task,
            seed,
            calls: 0,
        })
    }

    /// Samples about `shots` shots (at least one) from a fresh random stream; returns (shots,
    /// errors, discards, seconds, custom counts).
    fn sample(&mut self, py: Python<'_>, shots: u64) -> PyResult<SinterCounts> {
        let seed = self
            .seed
            .wrapping_add(self.calls.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        self.calls += 1;
        let rule = StopRule {
            max_shots: shots.max(1),
            max_errors: None,
            max_seconds: None,
        };
        let config = RunConfig {
            seed,
            threads: 1,
            shard: Shard::WHOLE,
            max_round_batches: 64,
        };
        let task = &self.task;
        let stats = py
            .allow_threads(|| {
                run_task(task, &rule, &config, task.empty_stats(), |_, _| {
                    Ok::<(), qec_sim::error::SimError>(())
                })
            })
            .map_err(value_error)?;
        Ok((
            stats.shots,
            stats.errors,
            stats.discards,
            stats.seconds,
            stats.custom_counts,
        ))
    }
}

/// Runs a `qec-sim` command in this process (arguments without the program name); errors are
/// `ValueError`s with the command's message (`{:#}`: the cause chain on one line).
#[pyfunction]
fn run_cli(py: Python<'_>, args: Vec<String>) -> PyResult<()> {
    py.allow_threads(|| qec_sim::cli::run_args(&args))
        .map_err(|e| value_error(format!("{e:#}")))
}

#[pymodule]
fn _qec_sim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_class::<Circuit>()?;
    m.add_class::<SinterTask>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
