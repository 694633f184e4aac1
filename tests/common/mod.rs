//! Helpers shared by the integration tests: run the front end on a file as the CLI does.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cnnc::diag::{render, SourceMap};
use cnnc::sema::Overrides;

/// Runs the cnnc binary in `dir` with `args`.
pub fn cnnc<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cnnc runs")
}

/// A finished command's standard error as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the cnnc binary in `dir` with `args`, which must succeed (exit 0; its standard error
/// is shown otherwise), and returns its standard output.
pub fn cnnc_ok<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Vec<u8> {
    let out = cnnc(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "cnnc {:?}: {}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The repository root (tests run from there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `path` relative to the repository root, as a user would type it.
pub fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(root()).unwrap_or(path).to_path_buf()
}

/// Overrides from a `# args: --set a=1 --data train=x.csv` first line.
pub fn header_overrides(text: &str, base: &Path) -> Overrides {
    let mut o = Overrides::default();
    let Some(args) = text.lines().next().and_then(|l| l.strip_prefix("# args:")) else {
        return o;
    };
    let words: Vec<&str> = args.split_whitespace().collect();
    for pair in words.chunks(2) {
        if let [flag, value] = pair {
            let (n, v) = value.split_once('=').expect("NAME=VALUE");
            match *flag {
                "--set" => o.set.push((n.to_string(), v.parse().expect("a number"))),
                "--data" => o.data.push((n.to_string(), base.join(v))),
                other => panic!("unknown flag {other} in a test header"),
            }
        }
    }
    o
}

/// Runs the front end; `Ok` with the sources and results, or `Err` with the rendered errors.
pub fn frontend(
    path: &Path,
) -> Result<(SourceMap, cnnc::syntax::ast::File, cnnc::model::Model), String> {
    let rel = relative(path);
    let mut sources = SourceMap::new();
    let src = cnnc::read_model(&mut sources, &rel).map_err(|d| render(&sources, &d, false))?;
    let text = sources.get(src).text.clone();
    let base = rel.parent().unwrap_or(Path::new("")).to_path_buf();
    let overrides = header_overrides(&text, &base);
    match cnnc::frontend(&mut sources, src, &base, &overrides) {
        // `cnnc check` also checks convexity.
        Ok((f, m)) => match cnnc::driver::stages::check(&m, &sources) {
            Ok(()) => Ok((sources, f, m)),
            Err(d) => Err(render(&sources, &d, false)),
        },
        Err(d) => Err(render(&sources, &d, false)),
    }
}

/// `cnnc train MODEL --report json ARGS…` from the repository root, parsed.
pub fn train_json(model: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["train", model, "--report", "json"];
    all.extend_from_slice(args);
    serde_json::from_slice(&cnnc_ok(&root(), &all)).expect("a JSON report")
}

/// The number at `key` of a JSON object.
pub fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is a number in {v}"))
}

/// `cnnc eval m.cnn --weights WEIGHTS` in `dir`: the rows of `part` (from its CSV) and their
/// mean squared error, first output against first target.
pub fn eval_part_mse(dir: &Path, weights: &str, part: &str) -> (usize, f64) {
    let csv =
        String::from_utf8(cnnc_ok(dir, &["eval", "m.cnn", "--weights", weights])).expect("UTF-8");
    let prefix = format!("{part},");
    let errs: Vec<f64> = csv
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(|l| {
            let f: Vec<f64> = l
                .split(',')
                .skip(2)
                .map(|x| x.parse().expect("a number"))
                .collect();
            (f[0] - f[1]).powi(2)
        })
        .collect();
    (
        errs.len(),
        errs.iter().sum::<f64>() / errs.len().max(1) as f64,
    )
}
