//! The rotation schedules of Litinski's protocols (Quantum 3, 205 (2019)): which π/8 rotations
//! run in each time step, along which lattice-surgery path, and which patches sit idle meanwhile.
//!
//! Qubit 0.. are the output patches (distance dX, surrounded by the routing region), the rest
//! are the check patches (distance dZ) measured in X at the end. Time steps follow the figures:
//! the one-level (15-to-1)_{dX,dZ,dm} block and the second-level 15-to-1 and 20-to-4 blocks, as
//! encoded in the author's published calculation (github.com/litinski/magicstates, commit
//! 66a6d551, the version matching the journal's results table).

/// Where the Pauli-product measurement of a rotation runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Route {
    /// A single-qubit rotation by a fast faulty T measurement right at the patch.
    Direct,
    /// A multi-patch measurement whose routing path is `dx` dX + `dz` dZ long.
    Path { dx: u32, dz: u32 },
}

/// One π/8 rotation exp(iπ/8 P), P = ±Z on the qubits in `support`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rotation {
    pub support: u32,
    pub negative: bool,
    pub route: Route,
    /// Output patches whose boundary the measurement runs along, so they pick up Z storage
    /// errors for its duration: the outputs in the support, plus any listed explicitly.
    pub exposes: u32,
}

/// What a patch does during the idle part of a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hold {
    /// Not in use (not yet touched, or already measured).
    Idle,
    /// Stored for the step's duration.
    Wait,
    /// An output patch moved out of the block: dm + 2 dX cycles of storage instead.
    Out,
    /// Both of the above (the last output of the 20-to-4 block).
    WaitOut,
}

/// One time step: rotations, then idling.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub rotations: Vec<Rotation>,
    pub hold: Vec<Hold>,
}

/// A whole protocol block.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub qubits: usize,
    pub outputs: usize,
    pub steps: Vec<Step>,
}

impl Schedule {
    /// Mask of the check qubits (measured at the end).
    pub fn checks(&self) -> u32 {
        ((1u32 << self.qubits) - 1) & !self.output_mask()
    }

    /// Mask of the output qubits.
    pub fn output_mask(&self) -> u32 {
        (1u32 << self.outputs) - 1
    }

    /// Total number of rotations (15 or 20).
    pub fn rotations(&self) -> usize {
        self.steps.iter().map(|s| s.rotations.len()).sum()
    }
}

/// Builds a schedule from compact step descriptions: a rotation is written as a pattern over
/// the qubits ('Z' in the support, 'z' in the support with the product's sign flipped, '_' not)
/// and a route; the idle pattern has one letter per qubit ('-' Idle, 'W' Wait, 'O' Out,
/// 'B' WaitOut).
fn build(outputs: usize, steps: &[(&[(&str, Route)], &str)]) -> Schedule {
    let qubits = steps[0].1.len();
    let output_mask = (1u32 << outputs) - 1;
    let steps = steps
        .iter()
        .map(|(rots, hold)| Step {
            rotations: rots
                .iter()
                .map(|(pattern, route)| {
                    let bits = |want: &[u8]| {
                        pattern
                            .bytes()
                            .enumerate()
                            .filter(|(_, c)| want.contains(c))
                            .fold(0u32, |m, (q, _)| m | 1 << q)
                    };
                    let support = bits(b"Zz");
                    Rotation {
                        support,
                        negative: bits(b"z").count_ones() % 2 == 1,
                        route: *route,
                        exposes: support & output_mask,
                    }
                })
                .collect(),
            hold: hold
                .bytes()
                .map(|c| match c {
                    b'W' => Hold::Wait,
                    b'O' => Hold::Out,
                    b'B' => Hold::WaitOut,
                    _ => Hold::Idle,
                })
                .collect(),
        })
        .collect();
    Schedule {
        qubits,
        outputs,
        steps,
    }
}

const fn path(dx: u32, dz: u32) -> Route {
    Route::Path { dx, dz }
}
const D: Route = Route::Direct;

/// The one-level (15-to-1)_{dX,dZ,dm} block: 11 multi-patch rotations and
/// 4 single-qubit ones on the dZ patches, in 6 steps of dm code cycles.
pub fn fifteen_to_one() -> Schedule {
    build(
        1,
        &[
            (
                &[
                    ("_Z___", D),
                    ("__Z__", D),
                    ("___Z_", D),
                    ("_ZZZ_", path(0, 3)),
                ],
                "-WWW-",
            ),
            (&[("ZZZ__", path(1, 2)), ("ZZ_Z_", path(1, 3))], "WWWW-"),
            (
                &[("Z_ZZ_", path(1, 3)), ("Z__ZZ", path(1, 4)), ("____Z", D)],
                "WWWWW",
            ),
            (&[("ZZ__Z", path(1, 4)), ("Z_Z_Z", path(1, 4))], "WWWWW"),
            (&[("ZZZZZ", path(1, 4)), ("__ZZZ", path(0, 3))], "OWWWW"),
            (&[("_Z_ZZ", path(0, 4)), ("_ZZ_Z", path(0, 4))], "-WWWW"),
        ],
    )
}

/// The second-level 15-to-1 block fed by level-1 states: two rotations per
/// step of t_L1 cycles. The measurement of rotation 13 runs along the output patch, which
/// therefore is exposed although outside its support.
pub fn fifteen_to_one_second_level() -> Schedule {
    let mut s = build(
        1,
        &[
            (&[("_Z___", path(1, 1)), ("__Z__", path(0, 3))], "-WW--"),
            (&[("___Z_", path(1, 3)), ("____Z", path(0, 1))], "-WWWW"),
            (&[("ZZZ__", path(1, 2)), ("_ZZZ_", path(0, 4))], "WWWWW"),
            (&[("Z_ZZ_", path(1, 3)), ("ZZ_Z_", path(1, 4))], "WWWWW"),
            (&[("ZZ__Z", path(1, 4)), ("Z__ZZ", path(1, 4))], "WWWWW"),
            (&[("Z_Z_Z", path(1, 4)), ("ZZZZZ", path(1, 4))], "WWWWW"),
            (&[("_Z_ZZ", path(1, 4)), ("__ZZZ", path(0, 3))], "OWWWW"),
            (&[("_ZZ_Z", path(0, 4))], "-WW-W"),
        ],
    );
    s.steps[6].rotations[0].exposes |= 1;
    s
}

/// The second-level 20-to-4 block: 4 outputs, 3 checks, two rotations per
/// step of t_L1 cycles.
pub fn twenty_to_four_second_level() -> Schedule {
    build(
        4,
        &[
            (
                &[("____z__", path(4, 1)), ("_____z_", path(0, 2))],
                "----WW-",
            ),
            (
                &[("Z___ZZ_", path(4, 2)), ("____zZZ", path(0, 3))],
                "W---WWW",
            ),
            (
                &[("Z____ZZ", path(4, 3)), ("______z", path(0, 1))],
                "W---WWW",
            ),
            (
                &[("Z___Z_Z", path(4, 3)), ("_Z__ZZ_", path(3, 3))],
                "WW--WWW",
            ),
            (
                &[("ZZZZ_Z_", path(4, 2)), ("_Z__Z_Z", path(3, 3))],
                "WWWWWWW",
            ),
            (
                &[("ZZZZZ__", path(4, 1)), ("_Z___ZZ", path(3, 3))],
                "WWWWWWW",
            ),
            (
                &[("ZZZZZZZ", path(4, 3)), ("__Z_ZZ_", path(2, 3))],
                "WWWWWWW",
            ),
            (
                &[("ZZZZ__Z", path(4, 3)), ("__Z_Z_Z", path(2, 3))],
                "OOWWWWW",
            ),
            (
                &[("__Z__ZZ", path(4, 3)), ("___ZZZ_", path(1, 3))],
                "--OWWWW",
            ),
            (
                &[("___ZZ_Z", path(4, 3)), ("___Z_ZZ", path(1, 3))],
                "---BWWW",
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_have_the_right_shape() {
        for (s, n, k, rots) in [
            (fifteen_to_one(), 5, 1, 15),
            (fifteen_to_one_second_level(), 5, 1, 15),
            (twenty_to_four_second_level(), 7, 4, 20),
        ] {
            assert_eq!((s.qubits, s.outputs, s.rotations()), (n, k, rots));
            assert!(s.steps.iter().all(|st| st.hold.len() == n));
            // Every rotation is distinct, as in a distillation code.
            let mut supports: Vec<u32> = s
                .steps
                .iter()
                .flat_map(|st| st.rotations.iter().map(|r| r.support))
                .collect();
            supports.sort_unstable();
            supports.dedup();
            assert_eq!(supports.len(), rots);
        }
    }
}
