//! Exact decoders for small codes, behind one small trait so that a sweep can pick one by name.
//!
//! A decoder sees one shot's detection events, bit-packed (bit d of word d / 64 is detector d),
//! and either discards the shot or predicts which observables flipped (bit k = observable k).
//! The shot is a logical failure when it is kept and the prediction differs from the actual flips.
//!
//! * [`Postselect`]: discard when any detector of a chosen set fires, else predict no flip.
//! * [`DemLookup`]: a table from every syndrome of up to t error mechanisms of a detector error
//!   model to the most likely observable flip; other syndromes are discarded.
//! * [`CodeLookup`]: minimum-weight decoding of a code's own syndrome for ideal (noiseless)
//!   final syndrome extraction, a table built once by breadth-first search over error weight.
//! * [`ColorDecoder`]: flag-aware concatenated matching for colour codes (any syndrome, no
//!   discards), with a per-shot confidence (the complementary gap).

mod code_lookup;
mod color;
mod dem_lookup;
mod fault_pairs;
mod few_defects;

pub use code_lookup::CodeLookup;
pub use color::{ColorDecoder, ColorOutcome};
pub use dem_lookup::{binomial, DemLookup};

use crate::dem::DetectorErrorModel;
use thiserror::Error;

/// What a decoder makes of one shot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Throw the shot away (postselection, or a syndrome the decoder cannot explain).
    Discard,
    /// Keep it, predicting these observable flips (bit k = observable k).
    Predict(u64),
}

/// A decoder of detection events (see module docs).
pub trait Decoder: Send + Sync {
    /// The name [`by_name`] knows it by.
    fn name(&self) -> &'static str;
    /// Decodes one shot's bit-packed detection events.
    fn decode(&self, detectors: &[u64]) -> Decision;
    /// [`Decoder::decode`] with the shot's confidence, a gap in dB (10 log10 of a likelihood
    /// ratio; larger is surer), when the decoder has one. Postselecting on it is the caller's.
    fn decode_with_gap(&self, detectors: &[u64]) -> (Decision, Option<f64>) {
        (self.decode(detectors), None)
    }
}

/// Why a decoder could not be built.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecoderError {
    #[error("unknown decoder '{0}' (known: postselect, lookup, code-lookup, color)")]
    Unknown(String),
    #[error("decoder '{0}' needs {1}")]
    Missing(&'static str, &'static str),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    BadInput(String),
}

/// Discards a shot when any detector of its set fires; otherwise predicts no flip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Postselect {
    mask: Vec<u64>,
}

impl Postselect {
    /// Postselects on the given detectors.
    pub fn on(detectors: &[usize]) -> Postselect {
        let words = detectors.iter().max().map_or(0, |&d| d / 64 + 1);
        let mut mask = vec![0u64; words];
        for &d in detectors {
            mask[d / 64] |= 1 << (d % 64);
        }
        Postselect { mask }
    }

    /// Postselects on every one of `num_detectors` detectors.
    pub fn all(num_detectors: usize) -> Postselect {
        Postselect::on(&(0..num_detectors).collect::<Vec<_>>())
    }
}

impl Decoder for Postselect {
    fn name(&self) -> &'static str {
        "postselect"
    }

    fn decode(&self, detectors: &[u64]) -> Decision {
        if self.mask.iter().zip(detectors).any(|(m, d)| m & d != 0) {
            Decision::Discard
        } else {
            Decision::Predict(0)
        }
    }
}

/// A CSS code's view for [`CodeLookup`]: qubit count, the supports of the checks that see the
/// error type being corrected, and the supports of the logical operators whose flips are
/// predicted (those of the other type).
#[derive(Clone, Copy, Debug)]
pub struct CodeChecks<'a> {
    pub num_qubits: usize,
    pub checks: &'a [Vec<usize>],
    pub logicals: &'a [Vec<usize>],
}

/// What a decoder can be built from; [`by_name`] takes what the chosen decoder needs.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecoderInput<'a> {
    pub dem: Option<&'a DetectorErrorModel>,
    pub code: Option<CodeChecks<'a>>,
    /// Largest number of error mechanisms `lookup` tabulates (default 1 when 0).
    pub max_faults: usize,
}

/// Builds a decoder by name: `postselect` (all detectors of the DEM), `lookup` (a [`DemLookup`]
/// of up to `max_faults` mechanisms), `code-lookup` (a [`CodeLookup`] of the code's checks) or
/// `color` (a [`ColorDecoder`] of the DEM).
pub fn by_name(name: &str, input: &DecoderInput) -> Result<Box<dyn Decoder>, DecoderError> {
    match name {
        "postselect" => {
            let dem = input.dem.ok_or(DecoderError::Missing(
                "postselect",
                "a detector error model",
            ))?;
            Ok(Box::new(Postselect::all(dem.num_detectors() as usize)))
        }
        "lookup" => {
            let dem = input
                .dem
                .ok_or(DecoderError::Missing("lookup", "a detector error model"))?;
            Ok(Box::new(DemLookup::new(dem, input.max_faults.max(1))?))
        }
        "code-lookup" => {
            let code = input.code.ok_or(DecoderError::Missing(
                "code-lookup",
                "a code's check supports",
            ))?;
            Ok(Box::new(CodeLookup::new(code)?))
        }
        "color" => {
            let dem = input
                .dem
                .ok_or(DecoderError::Missing("color", "a detector error model"))?;
            Ok(Box::new(ColorDecoder::new(dem)?))
        }
        other => Err(DecoderError::Unknown(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postselect_discards_only_on_its_detectors() {
        let p = Postselect::on(&[1, 70]);
        assert_eq!(p.decode(&[0b1, 0]), Decision::Predict(0));
        assert_eq!(p.decode(&[0b10, 0]), Decision::Discard);
        assert_eq!(p.decode(&[0, 1 << 6]), Decision::Discard);
        assert_eq!(p.decode(&[0]), Decision::Predict(0));
    }

    #[test]
    fn unknown_names_are_refused() {
        let err = by_name("mwpm", &DecoderInput::default()).err().unwrap();
        assert!(err.to_string().contains("unknown decoder 'mwpm'"));
        assert!(by_name("lookup", &DecoderInput::default()).is_err());
    }
}
