//! Errors raised by the simulators and the command line, each explaining itself in one line.

use thiserror::Error;

/// Something a simulator cannot do with a (syntactically valid) circuit.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimError {
    #[error("line {line}: {gate} is not a Clifford gate; the Clifford simulators cannot run it")]
    NonClifford { gate: &'static str, line: u32 },
    #[error(
        "line {line}: {what} is not deterministic in the noiseless circuit \
         (its value depends on a random measurement outcome)"
    )]
    NonDeterministic { what: String, line: u32 },
    #[error("the circuit uses {qubits} qubits; the {engine} supports at most {limit}")]
    TooManyQubits {
        qubits: u64,
        engine: &'static str,
        limit: u64,
    },
}
