//! Bad inputs: each `tests/bad/<case>.cnn` must fail with exit code 1 and its rendered
//! diagnostics must match the snapshot `tests/bad/snapshots/diagnostics__bad@<case>.cnn.snap`,
//! which shows the source above and the errors below (no colour). A first line
//! `# args: --set NAME=V --data NAME=PATH` passes command-line overrides.

mod common;

use std::process::Command;

#[test]
fn bad() {
    insta::glob!("bad", "*.cnn", |path| {
        let source = std::fs::read_to_string(path).expect("case file");
        let rendered = match common::frontend(path) {
            Ok(_) => panic!("{} was accepted, but is a bad-input case", path.display()),
            Err(e) => e,
        };
        assert_one_block_per_file(&rendered);
        insta::assert_snapshot!(format!("{source}\n----- diagnostics -----\n{rendered}"));
    });
}

/// Within one diagnostic, each file's labels are in one block: a second block header (`├─[`)
/// for a file already shown would carry the primary's `line:col` above other lines.
fn assert_one_block_per_file(rendered: &str) {
    let mut files: Vec<&str> = Vec::new();
    for line in rendered.lines() {
        if line.contains("Error") && !line.trim_start().starts_with('│') {
            files.clear(); // a new diagnostic
        }
        let header = line.split_once("╭─[ ").or_else(|| line.split_once("├─[ "));
        if let Some((_, rest)) = header {
            let file = rest.split(':').next().unwrap_or_default();
            assert!(
                !files.contains(&file),
                "a second block for {file}:\n{rendered}"
            );
            files.push(file);
        }
    }
}

#[test]
fn cli_exits_1_on_every_bad_case() {
    let dir = common::root().join("tests/bad");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/bad") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "cnn") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("case");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cnnc"));
        cmd.current_dir(common::root())
            .arg("check")
            .arg(common::relative(&path));
        if let Some(args) = text.lines().next().and_then(|l| l.strip_prefix("# args:")) {
            for w in args.split_whitespace() {
                // --data paths in headers are relative to the case file, as in `frontend`.
                if let Some((name, p)) = w.split_once('=').filter(|_| w.contains(".csv")) {
                    cmd.arg(format!("{name}=tests/bad/{p}"));
                } else {
                    cmd.arg(w);
                }
            }
        }
        let out = cmd.output().expect("cnnc runs");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.stderr.is_empty(),
            "{}: no diagnostic printed",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 30, "at least 30 bad-input cases, found {n}");
}

#[test]
fn missing_model_file_exits_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .args(["check", "no/such/model.cnn"])
        .output()
        .expect("cnnc runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read model file"));
}
