//! Fault enumeration and the shortest undetectable logical error, on Stim's circuits.

mod common;
use qec_sim::decoder::{by_name, DecoderInput};
use qec_sim::dem::{self, DemOptions};
use qec_sim::faults::{
    enumerate_size, shortest_decoder_failure, shortest_undetected_logical, FaultSet,
};

fn faults(name: &str) -> FaultSet {
    FaultSet::from_circuit(&common::load_circuit(&format!("{name}.stim"))).unwrap()
}

#[test]
fn color_code_d3_has_no_undetected_logical_single_fault() {
    let f = faults("color_xyz_d3_r3");
    let one = enumerate_size(&f, 1, 5, None);
    assert_eq!(one.counts.total(), f.num_events() as u64);
    assert_eq!(one.counts.logical, 0, "{:?}", one.logical_examples);
    assert!(one.counts.detected > 0 && one.counts.harmless > 0);
}

#[test]
fn shortest_undetectable_logical_of_rotated_surface_code_is_d() {
    for (name, d) in [
        ("surface_rotated_x_d3_r3", 3),
        ("surface_rotated_z_d5_r5", 5),
    ] {
        let f = faults(name);
        let set = shortest_undetected_logical(&f, d + 1, 4).expect(name);
        assert_eq!(set.len(), d, "{name}: {set:?}");
    }
}

#[test]
fn search_agrees_with_exhaustive_enumeration() {
    let f = faults("surface_rotated_x_d3_r3");
    for k in 1..=2 {
        assert_eq!(enumerate_size(&f, k, 1, None).counts.logical, 0);
    }
    let three = enumerate_size(&f, 3, 3, None);
    assert!(three.counts.logical > 0);
    for set in &three.logical_examples {
        assert_eq!(set.len(), 3);
    }
    let n = f.num_events() as u64;
    assert_eq!(three.counts.total(), n * (n - 1) * (n - 2) / 6);
}

#[test]
fn lookup_decoder_corrects_every_single_fault_of_a_distance_3_memory() {
    let circuit = common::load_circuit("rep_code_d3_r3.stim");
    let f = FaultSet::from_circuit(&circuit).unwrap();
    let model = dem::from_circuit(&circuit, DemOptions::default()).unwrap();
    let input = DecoderInput {
        dem: Some(&model),
        max_faults: 1,
        ..DecoderInput::default()
    };
    let decoder = by_name("lookup", &input).unwrap();
    let one = enumerate_size(&f, 1, 1, Some(decoder.as_ref()));
    assert_eq!(one.counts.decoder_wrong, 0);
    assert_eq!(one.counts.decoder_discarded, 0);
    let shortest = shortest_decoder_failure(&f, decoder.as_ref(), 3).unwrap();
    assert_eq!(shortest.len(), 2);
}

#[test]
fn stim_color_code_circuits_have_reduced_circuit_distance() {
    // Stim's search_for_undetectable_logical_errors finds the same sizes (2 and 3) for its
    // color_code:memory_xyz circuits at d = 3 and 5: hook errors cost one unit of distance.
    for (name, size) in [("color_xyz_d3_r3", 2), ("color_xyz_d5_r5_p001", 3)] {
        let set = shortest_undetected_logical(&faults(name), 6, 4).expect(name);
        assert_eq!(set.len(), size, "{name}");
    }
}

#[test]
fn flagged_color_code_circuits_have_circuit_distance_d() {
    // The shipped circuits of `qec-sim gen` (circuits/README.md: Stim finds distance d too).
    for layout in ["standard", "redundant"] {
        for basis in ["x", "z"] {
            let name = format!("color666_{layout}_d3_r3_memory_{basis}_cn20_p001.stim");
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("circuits")
                .join(&name);
            let text = std::fs::read_to_string(&path).unwrap();
            let circuit = qec_sim::circuit::parse_circuit(&text).unwrap();
            let f = FaultSet::from_circuit(&circuit).unwrap();
            assert_eq!(enumerate_size(&f, 1, 1, None).counts.logical, 0, "{name}");
            let set = shortest_undetected_logical(&f, 5, 4).expect(&name);
            assert_eq!(set.len(), 3, "{name}");
        }
    }
}

#[test]
fn mpp_flip_probability_is_a_measurement_error_site() {
    // Two products, each with its own flip event; the second product's flip reaches D1 only.
    let circuit = qec_sim::circuit::parse_circuit(
        "R 0 1 2\nMPP(0.125) Z0*Z1 !Z1*Z2\nDETECTOR rec[-2]\nDETECTOR rec[-1]\nM 1\nDETECTOR rec[-1]\n",
    )
    .unwrap();
    let set = FaultSet::from_circuit(&circuit).unwrap();
    assert_eq!(set.num_events(), 2);
    assert_eq!(set.detector_bits(0)[0], 0b001);
    assert_eq!(set.detector_bits(1)[0], 0b010);
    assert!(
        set.describe(1)
            .ends_with("MPP(0.125) -> flipped result of Z1*Z2"),
        "{}",
        set.describe(1)
    );
    let model = dem::from_circuit(&circuit, DemOptions::default()).unwrap();
    assert_eq!(
        model.to_string(),
        "error(0.125) D0\nerror(0.125) D1\ndetector D2\n"
    );
    // An X error on qubit 1 before the products flips both and the final M; SPP in between
    // (exp(-i pi/4 Z1 Z2) commutes with Z-type errors but turns X1 into X1 Z1 Z2 = -iY1 Z2).
    let circuit = qec_sim::circuit::parse_circuit(
        "R 0 1 2\nX_ERROR(0.25) 1\nSPP Z1*Z2\nMPP Z0*Z1 X1\nDETECTOR rec[-2]\n",
    )
    .unwrap();
    let set = FaultSet::from_circuit(&circuit).unwrap();
    assert_eq!(set.num_events(), 1);
    assert_eq!(set.detector_bits(0)[0], 0b1);
    // Non-Clifford gates are refused with their line.
    let t = qec_sim::circuit::parse_circuit("R 0\nT 0\nM 0\nDETECTOR rec[-1]\n").unwrap();
    assert_eq!(
        FaultSet::from_circuit(&t).unwrap_err().to_string(),
        "T is not a Clifford gate; the Clifford simulators cannot run it"
    );
}
