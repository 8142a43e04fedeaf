//! Errors raised by the simulators, each explaining itself in one line. The source line (when
//! there is one) is kept apart so that the command line can print `FILE:LINE: message`.

use thiserror::Error;

/// Something a simulator cannot do with a (syntactically valid) circuit.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimError {
    #[error("{gate} is not a Clifford gate; the Clifford simulators cannot run it")]
    NonClifford { gate: &'static str, line: u32 },
    #[error(
        "{what} is not deterministic in the noiseless circuit \
         (its value depends on a random measurement outcome)"
    )]
    NonDeterministic { what: String, line: u32 },
    #[error(
        "the circuit needs {what}; sampling it would take {} GB of memory (limit {} GB)",
        gb(*bytes), gb(*limit)
    )]
    TooBig {
        what: String,
        bytes: u64,
        limit: u64,
    },
    #[error(
        "the error analysis would need about {megabytes} MB for {events} fault events \
         (limit {limit_mb} MB); loops are unrolled, so shorten long REPEAT blocks"
    )]
    AnalysisTooLarge {
        events: usize,
        megabytes: u64,
        limit_mb: u64,
    },
    #[error("the circuit has {observables} observables; the error analysis supports at most 64")]
    TooManyObservables { observables: usize },
    #[error(
        "{gate} has no exact form as independent error mechanisms; \
         allow approximating its disjoint errors (--approximate-disjoint-errors, as in Stim)"
    )]
    NeedsApproximation { gate: &'static str, line: u32 },
    #[error("{0}")]
    Unsupported(String),
    #[error("the circuit uses {qubits} qubits; the {engine} supports at most {limit}")]
    TooManyQubits {
        qubits: u64,
        engine: &'static str,
        limit: u64,
    },
}

impl SimError {
    /// The 1-based source line the error points at, if any.
    pub fn line(&self) -> Option<u32> {
        match self {
            SimError::NonClifford { line, .. }
            | SimError::NonDeterministic { line, .. }
            | SimError::NeedsApproximation { line, .. } => Some(*line),
            SimError::TooManyQubits { .. }
            | SimError::Unsupported(_)
            | SimError::TooBig { .. }
            | SimError::TooManyObservables { .. }
            | SimError::AnalysisTooLarge { .. } => None,
        }
    }
}

/// Bytes as gigabytes with one decimal.
fn gb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e9)
}
