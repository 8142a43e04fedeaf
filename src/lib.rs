//! qec-sim: a quantum error-correction simulator and resource estimator.
//!
//! Data flows code -> layout -> circuit -> noise -> simulator -> decoder or postselection ->
//! statistics -> estimate. This crate so far holds the engine: the gate table ([`gates`]), the
//! Stim-format circuit IR ([`circuit`]), the stabilizer tableau simulator ([`tableau`]), the
//! bit-packed Pauli-frame sampler ([`frame`]) and the sample formats ([`output`]).

pub mod bits;
pub mod circuit;
pub mod cli;
pub mod error;
pub mod estimate;
pub mod frame;
pub mod gates;
pub mod output;
pub mod reference;
pub mod sampler;
pub mod statevec;
pub mod sweep;
pub mod tableau;
