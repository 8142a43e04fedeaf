//! Throws the corpus of broken circuits in tests/data/malformed at the command line: each must
//! give exactly one line on stderr, `error: FILE:LINE:...` naming the line the file's first
//! comment expects, a non-zero exit, no panic, and no output file.

mod common;
use std::process::Command;

#[test]
fn every_malformed_circuit_gets_a_one_line_error_naming_its_line() {
    let dir = common::data_path("malformed");
    let out_dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "stim"))
    {
        let text = std::fs::read_to_string(path).unwrap();
        let expect: u32 = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect-line: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: first line must be '# expect-line: N'", path.display()));
        let out = out_dir.path().join("out.01");
        let result = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
            .args(["detect", "--shots", "10", "--circuit"])
            .arg(path)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        let name = path.display().to_string();
        assert!(!result.status.success(), "{name} was accepted");
        assert_eq!(result.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: not one line: {stderr}");
        let prefix = format!("error: {name}:{expect}:");
        assert!(
            stderr.starts_with(&prefix),
            "expected '{prefix}...', got: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists(), "{name}: an output file was left behind");
        assert_eq!(
            std::fs::read_dir(out_dir.path()).unwrap().count(),
            0,
            "temporary files left"
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} malformed circuits found");
}
