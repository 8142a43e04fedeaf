//! Resource estimates for magic-state preparation.
//!
//! So far the distillation side: D. Litinski, "Magic State Distillation: Not as Costly as You
//! Think", Quantum 3, 205 (2019), arXiv:1905.06903 ([`distillation`], searched by [`search`]),
//! on his surface-code error
//! model ([`surface`]), with the output state tracked by a small density-matrix calculation
//! ([`state`]) over the protocols' rotation schedules ([`schedule`]); and the textbook
//! Bravyi-Kitaev 15-to-1 baseline ([`textbook`]).
//!
//! The bottom-up side: fits of our hadamard-prep sweep statistics and the cost of an accepted
//! |H> ([`bottom_up`]), an optional modelled second level ([`level2`]); the comparison of all
//! schemes in common units ([`compare`]), the move of our colour-code state into a surface code
//! ([`transfer`]), application-level totals ([`application`]) and the written reports
//! ([`report`]).

pub mod application;
pub mod bottom_up;
pub mod compare;
pub mod ddouble;
pub mod distillation;
pub mod level2;
pub mod report;
pub mod schedule;
pub mod search;
pub mod state;
pub mod surface;
pub mod textbook;
pub mod transfer;

use thiserror::Error;

/// Inputs the cost model refuses, and model breakdowns, each explained in one line.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EstimateError {
    #[error(
        "physical error rate {0} is outside the model's range (0, {max})",
        max = surface::MAX_PHYSICAL_ERROR
    )]
    PhysicalError(f64),
    #[error("target output error {0} must lie in (0, 1)")]
    Target(f64),
    #[error("code distance {name} = {d} must be odd and between 1 and {max}", max = surface::MAX_DISTANCE)]
    Distance { name: &'static str, d: u32 },
    #[error("the number of level-1 factories must be at least 1 (got {0})")]
    Copies(u32),
    #[error("the error model breaks down: {0} (probabilities leave [0, 1])")]
    Breakdown(&'static str),
    #[error("the output error (~{0:.1e}) is below what double precision resolves here")]
    Precision(f64),
}
