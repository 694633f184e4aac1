//! The pattern method's working-set solver against the full solve over every candidate, side
//! by side in one run (figures for `docs/PERFORMANCE.md`, not a test):
//! `cargo bench --bench working_set [-- CASE…]`, cases `2d` and `diabetes`.
//!
//! Each case is trained five times with the cnnc binary (`--report json`): the working set with
//! the search off (the same candidates as the full solve; the default on the 2-D case, whose
//! 2,451 candidates are more than 4 per sample), the full solve with facet rows and difference
//! blocks (`working_set=false`, the default on diabetes), the same with plain blocks
//! (`differences=false`), the full solve with every sign row and plain blocks, the program
//! before issue 12 (`working_set=false, facets=false, differences=false`), and the working set
//! with the search (with difference blocks, its default when it searches). It prints the
//! wall time, the objective, the certificate's relative gap and the hidden width of each, and
//! the speed-up of the case's default over the program before.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// 50 samples of 2-D N(0, I) features (the data of `benches/patterns.rs`, seed 2020: with the
/// bias column rank 3 and 2,451 exact patterns) and a smooth target.
fn two_d(dir: &Path) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(2020);
    let mut s = String::from("x1,x2,y\n");
    for _ in 0..50 {
        let a: f64 = rng.sample(StandardNormal);
        let b: f64 = rng.sample(StandardNormal);
        let y = (1.5 * a).sin() + 0.5 * b * b - 0.5 + rng.random_range(-0.1..0.1);
        s.push_str(&format!("{a},{b},{y}\n"));
    }
    std::fs::write(dir.join("two_d.csv"), s).unwrap();
    let model = "use losses.{squared_error}\nuse regularizers.{weight_decay}\n\
        data train = csv(\"two_d.csv\", features = [x1, x2], target = y)\n\
        network net(train) {\n  dense(50, relu, bias = column)\n  dense(1, bias = none)\n}\n\
        minimize squared_error(net(train.x), train.y) + weight_decay(net, 1e-3)\n\
        method patterns(enumeration = exact)\n";
    std::fs::write(dir.join("two_d.cnn"), model).unwrap();
    dir.join("two_d.cnn").display().to_string()
}

fn run(model: &str, args: &[&str]) -> (f64, serde_json::Value) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cnnc"))
        .args(["train", model, "--report", "json"])
        .args(args)
        .output()
        .expect("cnnc runs");
    let seconds = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (seconds, serde_json::from_slice(&out.stdout).expect("JSON"))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let cases = [
        // The name, the model, and which of the first two runs is its default.
        ("2d", two_d(dir.path()), 0),
        ("diabetes", format!("{root}/benches/diabetes_beta1.cnn"), 1),
    ];
    println!("| case | solve | seconds | objective | relative gap | hidden width | passes |");
    println!("|---|---|---|---|---|---|---|");
    for (name, model, default) in &cases {
        if !args.is_empty() && !args.iter().any(|a| a == name) {
            continue;
        }
        let mut times = Vec::new();
        for (label, extra) in [
            (
                "working set, search off",
                vec!["--option", "working_set=true", "--option", "search=false"],
            ),
            ("full, facet rows", vec!["--option", "working_set=false"]),
            (
                "full, facet rows, plain blocks",
                vec![
                    "--option",
                    "working_set=false",
                    "--option",
                    "differences=false",
                ],
            ),
            (
                "full, all rows, plain blocks (before issue 12)",
                vec![
                    "--option",
                    "working_set=false",
                    "--option",
                    "facets=false",
                    "--option",
                    "differences=false",
                ],
            ),
            (
                "working set, search on when sampled (then difference blocks)",
                vec!["--option", "working_set=true"],
            ),
        ] {
            let (s, r) = run(model, &extra);
            let gap = r["certificate"]["relative_gap"]
                .as_f64()
                .map_or("-".into(), |g| format!("{g:.1e}"));
            println!(
                "| {name} | {label} | {s:.2} | {:.10} | {gap} | {} | {} |",
                r["objective"].as_f64().unwrap_or(f64::NAN),
                r["widths"][1],
                r["patterns"]["rounds"]
            );
            times.push(s);
        }
        println!(
            "| {name} | speed-up of the default ({}) over the program before issue 12 | {:.1}× | | | | |",
            ["working set", "full solve"][*default],
            times[3] / times[*default],
        );
    }
}
