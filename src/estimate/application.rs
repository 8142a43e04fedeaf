//! Application-level estimate (the questions the Azure Quantum Resource Estimator answers): an
//! algorithm with Q logical qubits and N_T T gates within a total error budget E.
//!
//! Assumptions (ours, stated in every report):
//! - The budget is split evenly: E/2 for the T states (each needs output error
//!   eps_T = E / (2 N_T)) and E/2 for the data qubits' memory.
//! - Data: surface-code patches at the smallest odd distance d with
//!   Q x (runtime in code cycles) x p_L(d) <= E/2, p_L(d) = 0.1 (100 p)^((d+1)/2) per patch and
//!   cycle (Litinski's model, [`super::surface`]); laid out as Litinski's intermediate block of
//!   2Q + 4 tiles (Quantum 3, 128 (2019)), each tile 2 d^2 physical qubits.
//! - T gates are consumed at `t_rate` per logical cycle (default 1), a logical cycle being d
//!   code cycles (one lattice-surgery operation); runtime = N_T d / t_rate code cycles.
//! - Factories of a scheme (its cheapest configuration meeting eps_T, [`super::compare`]) each
//!   deliver one state per `cycles` code cycles, so ceil((t_rate / d) x cycles) of them keep up.

use super::compare::{Comparison, Scheme, Settings};
use super::surface::logical_error_per_cycle;
use serde::Serialize;

/// The algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Algorithm {
    pub logical_qubits: u64,
    pub t_count: f64,
    pub error_budget: f64,
    /// T gates consumed per logical cycle.
    pub t_rate: f64,
}

/// Data-qubit part, common to all schemes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DataBlock {
    pub distance: u32,
    pub tiles: u64,
    pub qubits: u64,
    pub runtime_cycles: f64,
    pub memory_error: f64,
}

/// One scheme's totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemeTotals {
    pub scheme: Scheme,
    pub label: &'static str,
    pub config: Option<String>,
    pub factories: Option<u64>,
    pub factory_qubits: Option<f64>,
    pub total_qubits: Option<f64>,
    pub runtime_cycles: f64,
    pub runtime_ns: Option<f64>,
    pub note: String,
}

/// The whole application estimate at one p.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApplicationEstimate {
    pub p: f64,
    pub algorithm: Algorithm,
    /// Output error each T state must meet: E / (2 N_T).
    pub eps_per_t: f64,
    pub data: DataBlock,
    pub schemes: Vec<SchemeTotals>,
}

impl Algorithm {
    /// Checks the inputs; one-line errors.
    pub fn check(&self) -> Result<(), String> {
        if self.logical_qubits == 0 {
            return Err("--logical-qubits must be at least 1".into());
        }
        if !(self.t_count >= 1.0 && self.t_count.is_finite()) {
            return Err(format!(
                "--t-count must be at least 1 (got {})",
                self.t_count
            ));
        }
        if !(self.error_budget > 0.0 && self.error_budget < 1.0) {
            return Err(format!(
                "--error-budget must lie in (0, 1) (got {})",
                self.error_budget
            ));
        }
        if !(self.t_rate > 0.0 && self.t_rate.is_finite()) {
            return Err(format!("--t-rate must be positive (got {})", self.t_rate));
        }
        Ok(())
    }

    /// E / (2 N_T).
    pub fn eps_per_t(&self) -> f64 {
        self.error_budget / (2.0 * self.t_count)
    }

    /// The data block at physical error p: smallest odd d meeting half the budget.
    pub fn data_block(&self, p: f64) -> Result<DataBlock, String> {
        for d in (3..=super::surface::MAX_DISTANCE).step_by(2) {
            let runtime = self.t_count * f64::from(d) / self.t_rate;
            let err = self.logical_qubits as f64 * runtime * logical_error_per_cycle(p, d);
            if err <= self.error_budget / 2.0 {
                let tiles = 2 * self.logical_qubits + 4;
                return Ok(DataBlock {
                    distance: d,
                    tiles,
                    qubits: tiles * 2 * u64::from(d) * u64::from(d),
                    runtime_cycles: runtime,
                    memory_error: err,
                });
            }
        }
        Err(format!(
            "no surface-code distance up to {} keeps the data within half the error budget at p = {p}",
            super::surface::MAX_DISTANCE
        ))
    }
}

/// Totals per scheme from the comparison at eps_T (`cmp.target` must be [`Algorithm::eps_per_t`]).
pub fn estimate(
    alg: &Algorithm,
    cmp: &Comparison,
    settings: &Settings,
) -> Result<ApplicationEstimate, String> {
    let data = alg.data_block(cmp.p)?;
    let demand = alg.t_rate / f64::from(data.distance); // T states per code cycle
    let runtime_ns = settings.cycle_ns().map(|ns| data.runtime_cycles * ns);
    let schemes = cmp
        .entries
        .iter()
        .map(|e| match &e.choice {
            Some(c) => {
                let n = (demand * c.cycles).ceil().max(1.0) as u64;
                SchemeTotals {
                    scheme: e.scheme,
                    label: e.label,
                    config: Some(c.config.clone()),
                    factories: Some(n),
                    factory_qubits: Some(n as f64 * c.qubits),
                    total_qubits: Some(data.qubits as f64 + n as f64 * c.qubits),
                    runtime_cycles: data.runtime_cycles,
                    runtime_ns,
                    note: if c.extrapolated {
                        "EXTRAPOLATED fit".into()
                    } else {
                        e.note.clone()
                    },
                }
            }
            None => SchemeTotals {
                scheme: e.scheme,
                label: e.label,
                config: None,
                factories: None,
                factory_qubits: None,
                total_qubits: None,
                runtime_cycles: data.runtime_cycles,
                runtime_ns,
                note: e.note.clone(),
            },
        })
        .collect();
    Ok(ApplicationEstimate {
        p: cmp.p,
        algorithm: *alg,
        eps_per_t: alg.eps_per_t(),
        data,
        schemes,
    })
}
