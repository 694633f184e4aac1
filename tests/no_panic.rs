//! The parser and checker never panic: 100,000 generated and mutated inputs (from the examples,
//! the standard library and the bad-input cases) go through `parse` and, when they parse,
//! through `check` with real data files. A panic fails the test and prints the input. One input
//! in 200 is generated to nest around the nesting limit (and far past it) or to be a flat chain
//! of thousands of terms, one in 200 declares huge sizes (variables, layers, bounds), and one
//! mutation in eight puts a huge number where a number was. Models that check also go through
//! the convexity check, as `cnnc check` does.
//!
//! `CNNC_FUZZ_SEED=n` explores another seed; `CNNC_FUZZ_INPUTS=n` runs more (or fewer) inputs.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use cnnc::diag::SourceMap;
use cnnc::sema::Overrides;

/// Tokens the mutator inserts: the language's keywords, operators, atoms and names.
const VOCAB: &[&str] = &[
    "use ",
    "const ",
    "data ",
    "network ",
    "var ",
    "fn ",
    "activation ",
    "minimize ",
    "maximize ",
    "constraint ",
    "for ",
    " in ",
    "method ",
    "solver ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    "=",
    "==",
    "<=",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "@",
    "^",
    ":",
    "#",
    "\"",
    "\n",
    " ",
    "x",
    "y",
    "train",
    "train.x",
    "train.y",
    "net",
    "net(train.x)",
    "classes(train)",
    "weights(net)",
    "count(y)",
    "dc(",
    "sum(",
    "sum_squares(",
    "norm1(",
    "norm2(",
    "pos(",
    "abs(",
    "exp(",
    "log(",
    "max(",
    "maximum(",
    "softplus(",
    "nuclear_norm(",
    "transpose(",
    "relu",
    "sigmoid",
    "dense(",
    "bias = column",
    "label = ",
    "target = ",
    "features = ",
    "csv(",
    "inline(",
    "load(",
    "0",
    "1",
    "-1",
    "2.5",
    "1e-3",
    "1e308",
    "1e999",
    "0.0",
    "3",
    "[1, 2]",
    "[[1, 2], [3, 4]]",
    "beta",
    "kappa",
    "c",
    "[c]",
    "[0]",
    "[0, 1]",
    "patterns",
    "adam",
    "enumeration = exact",
    "count = 5",
    "seed = 1",
    "clarabel",
    "max_iter = 3",
    "true",
    "split = 0.5",
    "standardize = true",
    "positive = minor",
    "é",
    "\u{0}",
    "\t",
    "\r\n",
];

fn corpus(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in ["examples", "tests/bad"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("corpus dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "cnn"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("corpus file");
            if text.contains("breast_cancer.csv") || text.contains("diabetes.csv") {
                continue;
            }
            out.push((common::relative(&f), text));
        }
    }
    for (name, text) in cnnc::sema::MODULES {
        out.push((
            PathBuf::from(format!("examples/{name}.cnn")),
            text.to_string(),
        ));
    }
    out
}

/// A char boundary at or below `i`.
fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut s = text.to_string();
    for _ in 0..rng.random_range(1..=4) {
        let len = s.len();
        let a = floor(&s, rng.random_range(0..=len));
        let b = floor(&s, (a + rng.random_range(0..=24)).min(len));
        match rng.random_range(0..8) {
            0 => s.replace_range(a..b, ""),
            1 => {
                let tok = VOCAB[rng.random_range(0..VOCAB.len())];
                s.insert_str(a, tok);
            }
            2 => {
                let tok = VOCAB[rng.random_range(0..VOCAB.len())];
                s.replace_range(a..b, tok);
            }
            3 => {
                let dup = s[a..b].to_string();
                s.insert_str(b, &dup);
            }
            4 => s.truncate(a),
            5 => {
                // Swap two lines.
                let mut lines: Vec<&str> = s.lines().collect();
                if lines.len() > 1 {
                    let (i, j) = (
                        rng.random_range(0..lines.len()),
                        rng.random_range(0..lines.len()),
                    );
                    lines.swap(i, j);
                }
                s = lines.join("\n");
            }
            6 => {
                // A huge size or number where a number was (shapes, widths, constants).
                if let Some(d) = s[a..].find(|c: char| c.is_ascii_digit()) {
                    let start = a + d;
                    let end = s[start..]
                        .find(|c: char| !c.is_ascii_digit())
                        .map_or(s.len(), |e| start + e);
                    let huge = HUGE[rng.random_range(0..HUGE.len())];
                    s.replace_range(start..end, huge);
                }
            }
            _ => {
                // A random digit or letter somewhere.
                let c = char::from(rng.random_range(b'0'..=b'z'));
                s.insert(a, c);
            }
        }
    }
    s
}

fn soup(rng: &mut ChaCha8Rng) -> String {
    (0..rng.random_range(1..40))
        .map(|_| VOCAB[rng.random_range(0..VOCAB.len())])
        .collect()
}

/// Numbers the size generators use: at, around and far past the width, dimension and memory
/// limits of docs/LANGUAGE.md.
const HUGE: &[&str] = &[
    "0",
    "4471",
    "65536",
    "100000",
    "999999",
    "1000000",
    "1000001",
    "999999999",
    "1000000000",
    "99999999999999999999",
    "1e300",
    "1e400",
];

/// A model whose declared sizes are huge: variables, layers over real data, literal lists;
/// `check` must refuse (or accept) each without allocating what it declares.
fn huge(rng: &mut ChaCha8Rng) -> String {
    let mut pick = || HUGE[rng.random_range(0..HUGE.len())];
    let (a, b, c, d) = (pick(), pick(), pick(), pick());
    format!(
        "use losses.{{squared_error}}\n\
         data train = csv(\"data/seed003_1d.csv\", features = [x1], target = y)\n\
         var w[{a}, {b}]\n\
         var v[{c}] in [-{d}, {d}]\n\
         network net(train) {{ dense({a}, relu)  dense({c}, relu)  dense(1) }}\n\
         minimize squared_error(net(train.x), train.y) + sum(w) + sum(v)\n\
         constraint k: sum(v) <= {b}\n"
    )
}

/// The nesting limit of docs/LANGUAGE.md.
const MAX_DEPTH: usize = 128;

/// An expression nested about `MAX_DEPTH` deep (below, at or past it) in random forms, or a
/// long flat chain of mixed terms (thousands), inside an objective or a constraint.
fn structured(rng: &mut ChaCha8Rng) -> String {
    let expr = if rng.random_bool(0.5) {
        let depth = match rng.random_range(0..4) {
            0 => rng.random_range(MAX_DEPTH - 3..=MAX_DEPTH + 3),
            1 => rng.random_range(1..=MAX_DEPTH),
            2 => rng.random_range(MAX_DEPTH..4 * MAX_DEPTH),
            _ => rng.random_range(1_000..20_000),
        };
        // Built inside-out, one level per form, in linear time.
        let (mut open, mut close) = (Vec::with_capacity(depth), Vec::with_capacity(depth));
        for _ in 0..depth {
            let (o, c) = [
                ("(", ")"),
                ("-", ""),
                ("abs(", ")"),
                ("", "^1"),
                ("", "[0]"),
                ("[", "]"),
                ("sum(", ") + 1"),
                ("2 * (", ")"),
            ][rng.random_range(0..8)];
            open.push(o);
            close.push(c);
        }
        open.reverse();
        format!("{}b{}", open.concat(), close.concat())
    } else {
        let n = rng.random_range(1_000..5_000);
        let mut e = String::from("b");
        for _ in 0..n {
            // Products and quotients by numbers, so that most chains check.
            let (op, term) = match rng.random_range(0..4) {
                0 => ("*", "2"),
                1 => ("/", "4"),
                k => (
                    ["+", "-"][k - 2],
                    ["b", "2", "abs(b)", "(b - 1)", "x[0]", "-b", "b^2"][rng.random_range(0..7)],
                ),
            };
            e.push_str(&format!(" {op} {term}"));
        }
        e
    };
    let item = match rng.random_range(0..3) {
        0 => format!("minimize {expr}"),
        1 => format!("minimize b\nconstraint c: {expr} <= 1"),
        _ => format!("const k = {expr}\nminimize b"),
    };
    format!("var b in [-1, 1]\nvar x[3]\n{item}\n")
}

fn run_one(path: &Path, text: &str) {
    let mut sources = SourceMap::new();
    let src = sources.add(path.display().to_string(), Some(path), text.to_string());
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    if let Ok(file) = cnnc::syntax::parse(&sources, src) {
        if let Ok(lib) = cnnc::sema::load_library(&mut sources, &file) {
            let overrides = Overrides {
                data: Vec::new(),
                set: vec![("beta".into(), 0.5)],
            };
            let result = cnnc::sema::check(&mut sources, &file, &lib, &base, &overrides);
            if let Err(diags) = result {
                // Rendering must not panic either.
                let _ = cnnc::diag::render(&sources, &diags, false);
            } else if let Ok(m) = result {
                let _ = cnnc::model::print::print_model(&sources, &m);
                // What `cnnc check` runs after the checker.
                if let Err(diags) = cnnc::convex::from_model::check_convexity(&m, &sources) {
                    let _ = cnnc::diag::render(&sources, &diags, false);
                }
            }
        }
    } else if let Err(diags) = cnnc::syntax::parse(&sources, src) {
        let _ = cnnc::diag::render(&sources, &diags, false);
    }
}

#[test]
fn parser_and_checker_never_panic() {
    let seed: u64 = std::env::var("CNNC_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2026);
    let inputs: usize = std::env::var("CNNC_FUZZ_INPUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let corpus = corpus(&common::root());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    std::env::set_current_dir(common::root()).expect("cd to the repository");
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failure = None;
    let mut checked = 0;
    for i in 0..inputs {
        let (path, text) = if rng.random_range(0..200) == 0 {
            (PathBuf::from("examples/deep.cnn"), structured(&mut rng))
        } else if rng.random_range(0..200) == 0 {
            (PathBuf::from("examples/huge.cnn"), huge(&mut rng))
        } else if rng.random_range(0..10) == 0 {
            (PathBuf::from("examples/soup.cnn"), soup(&mut rng))
        } else {
            let (p, t) = &corpus[rng.random_range(0..corpus.len())];
            (p.clone(), mutate(&mut rng, t))
        };
        if catch_unwind(AssertUnwindSafe(|| run_one(&path, &text))).is_err() {
            failure = Some((i, path, text));
            break;
        }
        checked += 1;
    }
    std::panic::set_hook(hook);
    if let Some((i, path, text)) = failure {
        panic!(
            "input {i} (seed {seed}, based on {}) panicked:\n{text:?}",
            path.display()
        );
    }
    assert_eq!(checked, inputs);
    eprintln!("{checked} inputs, no panic (seed {seed})");
}
