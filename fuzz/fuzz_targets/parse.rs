//! Fuzzes the circuit parser: it must never panic, and whatever it accepts must print to text
//! that parses back to the same circuit. Run with `cargo fuzz run parse` from the repository
//! root (needs `cargo install cargo-fuzz` and a nightly toolchain).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qec_sim::circuit::parse_circuit;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(circuit) = parse_circuit(text) {
            let printed = circuit.to_string();
            let again = parse_circuit(&printed).expect("printed circuits parse");
            assert_eq!(again, circuit);
        }
    }
});
