//! Training-stage diagnostics (E11xx training, E12xx pattern lowering, …, E15xx big-M queries): models that check but
//! cannot be trained, compiled or evaluated as asked. Each `tests/bad_train/<code>_<case>.cnn`
//! starts with `# cnnc: <command and options>`; the command run from the repository root on it
//! must exit 1 with diagnostic `<code>` first, and its stderr must match the snapshot
//! `snapshots/train_diagnostics__<case>.snap`. Every E11xx–E15xx code listed in
//! docs/ERRORS.md must have a case, but for E1304, which a build with the `sdp` feature cannot
//! raise: `tests/rank_lifting.rs` tests it in the default build; and E1113, which follows the
//! table `cnnc tune` prints on stdout: `tests/tune.rs` tests it.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

fn cases() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(common::root().join("tests/bad_train"))
        .expect("tests/bad_train")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cnn"))
        .collect();
    files.sort();
    files
}

#[test]
fn each_case_fails_with_its_code() {
    let files = cases();
    assert_eq!(files.len(), 30, "{files:?}");
    for path in files {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let code = name[..5].to_uppercase();
        let text = std::fs::read_to_string(&path).expect("case");
        let args = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# cnnc: "))
            .unwrap_or_else(|| panic!("{name}: no `# cnnc:` line"));
        let mut words = args.split_whitespace();
        let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
            .current_dir(common::root())
            .arg(words.next().expect("a command"))
            .arg(common::relative(&path))
            .args(words)
            .output()
            .expect("cnnc runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("[{code}] Error: "))
                || first.starts_with(&format!("Error[{code}]: ")),
            "{name}: {stderr}"
        );
        insta::assert_snapshot!(name[6..].to_string(), stderr);
    }
}

#[test]
fn every_documented_training_code_has_a_case() {
    let errors = std::fs::read_to_string(common::root().join("docs/ERRORS.md")).expect("ERRORS.md");
    let documented: BTreeSet<String> = errors
        .lines()
        .filter(|l| {
            ["| E11xx", "| E12xx", "| E13xx", "| E14xx", "| E15xx"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .flat_map(|l| {
            l.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| w.len() == 5 && w.starts_with("E1") && w[1..].parse::<u32>().is_ok())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(documented.len(), 31, "{documented:?}");
    let tested: BTreeSet<String> = cases()
        .iter()
        .map(|p| p.file_name().and_then(|s| s.to_str()).expect("name")[..5].to_uppercase())
        .chain(["E1304".to_string(), "E1113".to_string()])
        .collect();
    assert_eq!(tested, documented);
}
