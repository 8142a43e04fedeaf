//! qec-sim: a quantum error-correction simulator and resource estimator.
//!
//! Data flows code -> layout -> circuit -> noise -> simulator -> decoder or postselection ->
//! statistics -> estimate. This crate so far holds the engine: the gate table ([`gates`]), the
//! Stim-format circuit IR ([`circuit`]), the stabilizer tableau simulator ([`tableau`]), the
//! bit-packed Pauli-frame sampler ([`frame`]) and the sample formats ([`output`]); and the first
//! stages: codes ([`code`]), qubit layouts ([`layout`]), flagged syndrome-measurement and
//! memory circuits ([`schedule`]) and noise models ([`noise`]); and the error analysis: fault
//! events and their enumeration ([`faults`]), detector error models ([`dem`]) and exact decoders
//! for small codes ([`decoder`]); the state-vector simulator for non-Clifford circuits
//! ([`statevec`]); Monte Carlo sweeps with sinter-format statistics ([`sweep`]); and the first
//! piece of the resource estimator, the distillation cost model ([`estimate`]).

pub mod bits;
pub mod circuit;
pub mod cli;
pub mod code;
pub mod decoder;
pub mod dem;
pub mod error;
pub mod estimate;
pub mod exact;
pub mod faults;
pub mod frame;
pub mod gates;
pub mod interrupt;
pub mod layout;
pub mod magic;
pub mod noise;
pub mod output;
pub mod progress;
pub mod reference;
pub mod sampler;
pub mod schedule;
pub mod shots;
pub mod statevec;
pub mod sweep;
pub mod tableau;
