//! Stabilizer codes: a generic CSS code type ([`StabilizerCode`]) and the code families built on
//! it ([`color666`], the triangular 6.6.6 color code).
//!
//! A CSS code is described by supports: each X stabilizer is the set of qubits it acts on with
//! X, each Z stabilizer likewise with Z. From that one description follow the check matrices,
//! the commutation checks, syndromes and the distance. Codes are also data: [`mod@file`] reads and
//! writes the `codes/*.toml` files.

mod color;
pub mod file;

pub use color::{color666, lattice_coords, plane, Color, Color666, Face, NEIGHBOURS};

/// Pauli type of a CSS operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pauli {
    X,
    Z,
}

impl Pauli {
    /// The other CSS type: X errors are seen by Z checks and vice versa.
    pub fn dual(self) -> Pauli {
        match self {
            Pauli::X => Pauli::Z,
            Pauli::Z => Pauli::X,
        }
    }
}

/// A CSS stabilizer code given by the supports of its stabilizers and logical operators.
#[derive(Clone, Debug, PartialEq)]
pub struct StabilizerCode {
    /// Short identifier, e.g. `color666_d5`.
    pub name: String,
    pub num_qubits: usize,
    /// Supports of the X-type stabilizer generators.
    pub x_stabilizers: Vec<Vec<usize>>,
    /// Supports of the Z-type stabilizer generators.
    pub z_stabilizers: Vec<Vec<usize>>,
    /// Supports of the logical X operators, paired by index with `logical_z`.
    pub logical_x: Vec<Vec<usize>>,
    pub logical_z: Vec<Vec<usize>>,
    /// Planar coordinates of each qubit, if the code has a geometry.
    pub coords: Option<Vec<[f64; 2]>>,
    /// Face colour of each X stabilizer and each Z stabilizer (color codes).
    pub x_colors: Option<Vec<Color>>,
    pub z_colors: Option<Vec<Color>>,
}

/// A violated requirement of a CSS code, as found by [`StabilizerCode::check`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("qubit {qubit} in {what} is out of range (the code has {n} qubits)")]
    QubitOutOfRange {
        what: String,
        qubit: usize,
        n: usize,
    },
    #[error("{a} and {b} anticommute")]
    Anticommute { a: String, b: String },
    #[error("{a} and {b} commute but must anticommute")]
    Commute { a: String, b: String },
    #[error("there are {x} logical X and {z} logical Z operators")]
    LogicalCount { x: usize, z: usize },
    #[error("{what} has {got} entries for {want} stabilizers")]
    Length {
        what: String,
        got: usize,
        want: usize,
    },
}

/// Parity of the overlap of two sorted-or-not supports.
fn overlap_is_odd(a: &[usize], b: &[usize]) -> bool {
    a.iter().filter(|q| b.contains(q)).count() % 2 == 1
}

impl StabilizerCode {
    /// Stabilizer generators of one type.
    pub fn stabilizers(&self, kind: Pauli) -> &[Vec<usize>] {
        match kind {
            Pauli::X => &self.x_stabilizers,
            Pauli::Z => &self.z_stabilizers,
        }
    }

    /// Logical operators of one type.
    pub fn logicals(&self, kind: Pauli) -> &[Vec<usize>] {
        match kind {
            Pauli::X => &self.logical_x,
            Pauli::Z => &self.logical_z,
        }
    }

    /// Number of logical qubits, n - rank(Hx) - rank(Hz).
    pub fn num_logical_qubits(&self) -> usize {
        self.num_qubits
            - gf2_rank(&self.check_matrix(Pauli::X))
            - gf2_rank(&self.check_matrix(Pauli::Z))
    }

    /// The 0/1 check matrix of one type: a row per stabilizer, a column per qubit.
    pub fn check_matrix(&self, kind: Pauli) -> Vec<Vec<u8>> {
        self.stabilizers(kind)
            .iter()
            .map(|s| {
                let mut row = vec![0u8; self.num_qubits];
                for &q in s {
                    row[q] ^= 1;
                }
                row
            })
            .collect()
    }

    /// Syndrome of an error of type `kind` on `support`: one bit per stabilizer of the dual type
    /// (Z stabilizers see X errors), true where the stabilizer anticommutes with the error.
    pub fn syndrome(&self, kind: Pauli, support: &[usize]) -> Vec<bool> {
        self.stabilizers(kind.dual())
            .iter()
            .map(|s| overlap_is_odd(s, support))
            .collect()
    }

    /// Checks ranges, that all stabilizers commute, that logicals commute with all stabilizers,
    /// and that logical X_i and Z_j anticommute exactly when i == j.
    pub fn check(&self) -> Result<(), CodeError> {
        self.check_ranges()?;
        let x_ops = self.named_operators(Pauli::X);
        let z_ops = self.named_operators(Pauli::Z);
        if self.logical_x.len() != self.logical_z.len() {
            return Err(CodeError::LogicalCount {
                x: self.logical_x.len(),
                z: self.logical_z.len(),
            });
        }
        let nx = self.x_stabilizers.len();
        let nz = self.z_stabilizers.len();
        for (i, (a, sa)) in x_ops.iter().enumerate() {
            for (j, (b, sb)) in z_ops.iter().enumerate() {
                let must_anticommute = i >= nx && j >= nz && i - nx == j - nz;
                match (overlap_is_odd(sa, sb), must_anticommute) {
                    (true, false) => {
                        return Err(CodeError::Anticommute {
                            a: a.clone(),
                            b: b.clone(),
                        })
                    }
                    (false, true) => {
                        return Err(CodeError::Commute {
                            a: a.clone(),
                            b: b.clone(),
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Stabilizers then logicals of one type, each with a name for error messages.
    fn named_operators(&self, kind: Pauli) -> Vec<(String, &Vec<usize>)> {
        let t = if kind == Pauli::X { "X" } else { "Z" };
        let stabs = self.stabilizers(kind).iter().enumerate();
        let logicals = self.logicals(kind).iter().enumerate();
        stabs
            .map(|(i, s)| (format!("{t} stabilizer {i}"), s))
            .chain(logicals.map(|(i, s)| (format!("logical {t}{i}"), s)))
            .collect()
    }

    fn check_ranges(&self) -> Result<(), CodeError> {
        let lists = [
            ("an X stabilizer", &self.x_stabilizers),
            ("a Z stabilizer", &self.z_stabilizers),
            ("a logical X", &self.logical_x),
            ("a logical Z", &self.logical_z),
        ];
        for (what, list) in lists {
            if let Some(&qubit) = list.iter().flatten().find(|&&q| q >= self.num_qubits) {
                return Err(CodeError::QubitOutOfRange {
                    what: what.into(),
                    qubit,
                    n: self.num_qubits,
                });
            }
        }
        let lengths = [
            (
                "coords",
                self.coords.as_ref().map(Vec::len),
                self.num_qubits,
            ),
            (
                "x_colors",
                self.x_colors.as_ref().map(Vec::len),
                self.x_stabilizers.len(),
            ),
            (
                "z_colors",
                self.z_colors.as_ref().map(Vec::len),
                self.z_stabilizers.len(),
            ),
        ];
        for (what, got, want) in lengths {
            if let Some(got) = got.filter(|&g| g != want) {
                return Err(CodeError::Length {
                    what: what.into(),
                    got,
                    want,
                });
            }
        }
        Ok(())
    }

    /// A lowest-weight nontrivial logical operator of type `kind` with weight at most
    /// `max_weight`, found by exhaustive search; `None` if there is none that light.
    ///
    /// An operator is a nontrivial logical when it commutes with every stabilizer of the dual
    /// type and anticommutes with some logical of the dual type. The search walks supports in
    /// increasing order and keeps the syndrome as packed words, so each step is a few XORs.
    pub fn min_weight_logical(&self, kind: Pauli, max_weight: usize) -> Option<Vec<usize>> {
        let checks: Vec<&Vec<usize>> = self
            .stabilizers(kind.dual())
            .iter()
            .chain(self.logicals(kind.dual()))
            .collect();
        let num_stab = self.stabilizers(kind.dual()).len();
        let words = checks.len().div_ceil(64).max(1);
        let mut columns = vec![0u64; self.num_qubits * words];
        for (r, support) in checks.iter().enumerate() {
            for &q in support.iter() {
                columns[q * words + r / 64] ^= 1 << (r % 64);
            }
        }
        let search = LogicalSearch {
            columns: &columns,
            words,
            num_stab,
            n: self.num_qubits,
        };
        (1..=max_weight).find_map(|w| {
            let mut chosen = Vec::with_capacity(w);
            search
                .dfs(0, w, &mut vec![0; words], &mut chosen)
                .then_some(chosen)
        })
    }

    /// The code distance if it is at most `max_weight`: the weight of the lightest nontrivial
    /// logical of either type.
    pub fn distance_up_to(&self, max_weight: usize) -> Option<usize> {
        [Pauli::X, Pauli::Z]
            .iter()
            .filter_map(|&k| self.min_weight_logical(k, max_weight).map(|l| l.len()))
            .min()
    }

    /// The smallest weight of `support` (an operator of type `kind`) times any product of
    /// stabilizers of the same type. Exhaustive over the stabilizer group, so only for codes
    /// with at most ~20 generators of that type.
    pub fn reduced_weight(&self, kind: Pauli, support: &[usize]) -> usize {
        let gens = self.stabilizers(kind);
        assert!(
            gens.len() <= 24,
            "reduced_weight enumerates 2^{} products",
            gens.len()
        );
        let to_bits = |s: &[usize]| {
            let mut v = vec![false; self.num_qubits];
            for &q in s {
                v[q] ^= true;
            }
            v
        };
        let gen_bits: Vec<Vec<bool>> = gens.iter().map(|g| to_bits(g)).collect();
        let mut current = to_bits(support);
        let mut best = current.iter().filter(|&&b| b).count();
        // Gray-code walk: each step toggles one generator.
        for step in 1u64..(1 << gens.len()) {
            let g = step.trailing_zeros() as usize;
            for (c, &b) in current.iter_mut().zip(&gen_bits[g]) {
                *c ^= b;
            }
            best = best.min(current.iter().filter(|&&b| b).count());
        }
        best
    }
}

/// State of the exhaustive low-weight logical search: per qubit, the packed column of which
/// dual-type checks (stabilizers first, then logicals) it anticommutes with.
struct LogicalSearch<'a> {
    columns: &'a [u64],
    words: usize,
    num_stab: usize,
    n: usize,
}

impl LogicalSearch<'_> {
    /// Chooses `left` more qubits from `start..n`; true (and `chosen` filled) on success.
    fn dfs(&self, start: usize, left: usize, acc: &mut Vec<u64>, chosen: &mut Vec<usize>) -> bool {
        if left == 0 {
            return self.is_nontrivial_logical(acc);
        }
        for q in start..=self.n - left {
            let col = &self.columns[q * self.words..(q + 1) * self.words];
            acc.iter_mut().zip(col).for_each(|(a, c)| *a ^= c);
            chosen.push(q);
            if self.dfs(q + 1, left - 1, acc, chosen) {
                return true;
            }
            chosen.pop();
            acc.iter_mut().zip(col).for_each(|(a, c)| *a ^= c);
        }
        false
    }

    fn is_nontrivial_logical(&self, acc: &[u64]) -> bool {
        let bit = |r: usize| acc[r / 64] >> (r % 64) & 1 == 1;
        let total = self.words * 64;
        (0..self.num_stab).all(|r| !bit(r)) && (self.num_stab..total).any(bit)
    }
}

/// Rank over GF(2) of a 0/1 matrix.
pub fn gf2_rank(matrix: &[Vec<u8>]) -> usize {
    let mut rows: Vec<Vec<u8>> = matrix.to_vec();
    let cols = rows.first().map_or(0, Vec::len);
    let mut rank = 0;
    for c in 0..cols {
        let Some(p) = (rank..rows.len()).find(|&r| rows[r][c] == 1) else {
            continue;
        };
        rows.swap(rank, p);
        let pivot = rows[rank].clone();
        for (r, row) in rows.iter_mut().enumerate() {
            if r != rank && row[c] == 1 {
                row.iter_mut().zip(&pivot).for_each(|(a, b)| *a ^= b);
            }
        }
        rank += 1;
    }
    rank
}
