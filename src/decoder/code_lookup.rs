//! Minimum-weight lookup decoding of a CSS code's own syndrome.

use super::{CodeChecks, Decision, Decoder, DecoderError};

/// Largest number of checks tabulated: the table has 2^checks entries of 4 bytes.
const MAX_CHECKS: usize = 28;

/// A table from every syndrome of a CSS code's checks to a minimum-weight error producing it,
/// built once by breadth-first search over error weight: syndromes first reached with w
/// flipped qubits have minimum weight w. For the 6.6.6 color code at d = 7 (37 qubits, 18
/// checks per type) that is 2^18 entries. Syndromes no error produces stay unreachable.
#[derive(Clone, Debug)]
pub struct CodeLookup {
    /// Syndrome of a flip on each qubit.
    columns: Vec<u32>,
    /// Per syndrome, the last qubit of its minimum-weight error (u32::MAX: unreachable; 0
    /// syndrome: none).
    last: Vec<u32>,
    /// Per logical, the qubits of its support as a membership list.
    logicals: Vec<Vec<bool>>,
}

impl CodeLookup {
    /// Builds the table; refuses codes with more than 28 checks or out-of-range qubits.
    pub fn new(code: CodeChecks) -> Result<CodeLookup, DecoderError> {
        let m = code.checks.len();
        if m > MAX_CHECKS {
            return Err(DecoderError::TooLarge(format!(
                "code-lookup tabulates at most {MAX_CHECKS} checks, the code has {m}"
            )));
        }
        if code.logicals.len() > 64 {
            return Err(DecoderError::TooLarge("more than 64 logicals".into()));
        }
        let n = code.num_qubits;
        let in_range = |s: &Vec<usize>| s.iter().all(|&q| q < n);
        if !code.checks.iter().all(in_range) || !code.logicals.iter().all(in_range) {
            return Err(DecoderError::BadInput(format!(
                "a check or logical names a qubit beyond the code's {n}"
            )));
        }
        let mut columns = vec![0u32; n];
        for (c, support) in code.checks.iter().enumerate() {
            for &q in support {
                columns[q] ^= 1 << c;
            }
        }
        let mut last = vec![u32::MAX; 1 << m];
        last[0] = 0;
        let mut frontier = vec![0u32];
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for &s in &frontier {
                for (q, &col) in columns.iter().enumerate() {
                    let t = (s ^ col) as usize;
                    if last[t] == u32::MAX && t != 0 {
                        last[t] = q as u32;
                        next.push(t as u32);
                    }
                }
            }
            frontier = next;
        }
        let logicals = code
            .logicals
            .iter()
            .map(|l| {
                let mut member = vec![false; n];
                for &q in l {
                    member[q] ^= true;
                }
                member
            })
            .collect();
        Ok(CodeLookup {
            columns,
            last,
            logicals,
        })
    }

    /// A minimum-weight set of qubits whose flips give `syndrome` (bit c = check c fired), or
    /// None if no error does.
    pub fn correction(&self, syndrome: u32) -> Option<Vec<usize>> {
        let mut s = syndrome as usize;
        if s >= self.last.len() {
            return None;
        }
        let mut qubits = Vec::new();
        while s != 0 {
            let q = self.last[s];
            if q == u32::MAX {
                return None;
            }
            qubits.push(q as usize);
            s ^= self.columns[q as usize] as usize;
        }
        Some(qubits)
    }

    /// Which logicals (bit k) a set of qubit flips anticommutes with.
    pub fn logical_flips(&self, qubits: &[usize]) -> u64 {
        let mut mask = 0;
        for (k, member) in self.logicals.iter().enumerate() {
            let parity = qubits.iter().filter(|&&q| member[q]).count() % 2;
            mask |= (parity as u64) << k;
        }
        mask
    }

    /// The syndrome (bit c = check c) of a set of qubit flips.
    pub fn syndrome(&self, qubits: &[usize]) -> u32 {
        qubits.iter().fold(0, |s, &q| s ^ self.columns[q])
    }
}

impl Decoder for CodeLookup {
    fn name(&self) -> &'static str {
        "code-lookup"
    }

    /// Detection events are the check outcomes (bit c = check c); bits beyond the code's
    /// checks make the shot undecodable (discarded).
    fn decode(&self, detectors: &[u64]) -> Decision {
        let first = detectors.first().copied().unwrap_or(0);
        if first >= self.last.len() as u64 || detectors.iter().skip(1).any(|&w| w != 0) {
            return Decision::Discard;
        }
        match self.correction(first as u32) {
            Some(qubits) => Decision::Predict(self.logical_flips(&qubits)),
            None => Decision::Discard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_code_corrects_single_flips() {
        // 3-qubit bit-flip code: checks Z0Z1, Z1Z2; logical X-flip detector Z0.
        let checks = vec![vec![0, 1], vec![1, 2]];
        let logicals = vec![vec![0]];
        let code = CodeLookup::new(CodeChecks {
            num_qubits: 3,
            checks: &checks,
            logicals: &logicals,
        })
        .unwrap();
        for q in 0..3 {
            let s = code.syndrome(&[q]);
            assert_eq!(code.correction(s), Some(vec![q]));
            assert_eq!(
                code.decode(&[s as u64]),
                Decision::Predict(code.logical_flips(&[q]))
            );
        }
        assert_eq!(code.correction(0), Some(vec![]));
    }
}
