//! Long chains and deep nesting (issue 8 §1): flat chains of 100,000 terms check and compile,
//! nesting past the documented limit (128) gets one located E0102, and no input overflows a
//! stack. Inputs are generated; the CLI runs under a 4 GiB address-space cap (`prlimit`) so a
//! regression fails instead of exhausting the machine.

use std::path::Path;
use std::process::{Command, Output};

/// The nesting limit documented in docs/LANGUAGE.md.
const K: usize = 128;
/// Terms in a long chain.
const N: usize = 100_000;
const HEADER: &str = "var b in [-1, 1]\n";

/// Runs `cnnc ARGS model.cnn` on `text` under the memory cap, in a fresh folder.
fn cnnc(args: &[&str], text: &str) -> Output {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("model.cnn"), text).expect("write the model");
    run_in(dir.path(), args)
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new("prlimit")
        .arg("--as=4294967296")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_cnnc"))
        .args(args)
        .arg("model.cnn")
        .current_dir(dir)
        .output()
        .expect("prlimit and cnnc run")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts exit 0 and gives stdout (`check` reports on stderr: then that).
fn ok(args: &[&str], text: &str) -> String {
    let o = cnnc(args, text);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    match args {
        ["check"] => stderr(&o),
        _ => stdout(&o),
    }
}

/// Every stage accepts `text`; gives the `--emit conic` output.
fn all_stages(text: &str) -> String {
    assert!(ok(&["check"], text).contains("model.cnn: ok"));
    for emit in ["ast", "model", "convex"] {
        assert!(!ok(&["compile", "--emit", emit], text).is_empty());
    }
    ok(&["compile", "--emit", "conic"], text)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[test]
fn a_sum_of_100000_terms_compiles_to_its_closed_form() {
    // b + b + … + b (N times) is N·b.
    let text = format!("{HEADER}minimize {}\n", vec!["b"; N].join(" + "));
    let conic = all_stages(&text);
    assert!(
        conic.contains(&format!("q·x + c: {N} b\n")),
        "{}",
        &conic[..conic.len().min(600)]
    );
    // `b - b + b - b …` (an even count) is 0.
    let alternating = format!(
        "{HEADER}minimize b{}\n",
        " - b + b".repeat(N / 2 - 1) + " - b"
    );
    let conic = ok(&["compile", "--emit", "conic"], &alternating);
    assert!(
        conic.contains("q·x + c: 0\n"),
        "{}",
        &conic[..conic.len().min(600)]
    );
}

#[test]
fn a_sum_of_100000_atoms_gets_one_epigraph_each() {
    // |b| ≤ tᵢ is two linear rows per term, besides the two rows of b's bounds.
    let text = format!("{HEADER}minimize {}\n", vec!["abs(b)"; N].join(" + "));
    assert!(ok(&["check"], &text).contains("model.cnn: ok"));
    let conic = ok(&["compile", "--emit", "conic"], &text);
    assert_eq!(
        first_line(&conic),
        format!(
            "conic problem: {} variables, {} rows, {} cone blocks, nnz(A) = {}, nnz(P) = 0",
            N + 1,
            2 * N + 2,
            N + 2,
            4 * N + 2
        )
    );
}

#[test]
fn products_lists_and_argument_lists_of_100000_terms_compile() {
    // b * 2 * 1 * 1 … is 2·b.
    let product = format!("{HEADER}minimize b * 2{}\n", " * 1".repeat(N));
    assert!(all_stages(&product).contains("q·x + c: 2 b\n"));
    // sum of N ones, times b, is N·b.
    let list = format!("{HEADER}minimize sum([{}]) * b\n", vec!["1"; N].join(", "));
    assert!(all_stages(&list).contains(&format!("q·x + c: {N} b\n")));
    // A function of N parameters returning their sum, called with N copies of b: N·b.
    let params: Vec<String> = (0..N).map(|i| format!("a{i}")).collect();
    let call = format!(
        "{HEADER}fn f({}) = {}\nminimize f({})\n",
        params.join(", "),
        params.join(" + "),
        vec!["b"; N].join(", ")
    );
    assert!(all_stages(&call).contains(&format!("q·x + c: {N} b\n")));
    // The same with named arguments in reverse order, a{i} = i·b: the sum of i·b is N(N−1)/2·b.
    let named: Vec<String> = (0..N).rev().map(|i| format!("a{i} = {i} * b")).collect();
    let call = format!(
        "{HEADER}fn f({}) = {}\nminimize f({})\n",
        params.join(", "),
        params.join(" + "),
        named.join(", ")
    );
    let conic = ok(&["compile", "--emit", "conic"], &call);
    assert!(
        conic.contains(&format!("q·x + c: {} b\n", N * (N - 1) / 2)),
        "{}",
        &conic[..conic.len().min(600)]
    );
}

#[test]
fn a_list_of_100000_constraints_compiles() {
    let n = 100_000;
    let mut text = format!("{HEADER}minimize b\n");
    for i in 0..n {
        text.push_str(&format!("constraint c{i}: b >= -{}\n", i + 1));
    }
    assert!(ok(&["check"], &text).contains(&format!("{n} constraints")));
    let conic = ok(&["compile", "--emit", "conic"], &text);
    assert!(
        first_line(&conic).starts_with(&format!("conic problem: 1 variables, {} rows", n + 2)),
        "{}",
        first_line(&conic)
    );
}

/// Each nesting form at `depth` levels, and the column (on line 2) where level K + 1 starts.
fn nested(form: &str, depth: usize) -> (String, usize) {
    let m = "minimize ".len() + 1;
    let (expr, col) = match form {
        "paren" => (
            format!("{}b{}", "(".repeat(depth), ")".repeat(depth)),
            m + K,
        ),
        "neg" => (format!("{}b", "-".repeat(depth)), m + K),
        "abs" => (
            format!("{}b{}", "abs(".repeat(depth), ")".repeat(depth)),
            m + 4 * K + 3,
        ),
        "pow" => (format!("b{}", "^1".repeat(depth)), m + 2 * K),
        // Exactly K + 1 indices: level K + 1 is the first `[0]`.
        "index" => (format!("b{}", "[0]".repeat(depth)), m + 1),
        "list" => (
            format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
            m + K,
        ),
        _ => unreachable!("{form}"),
    };
    (format!("{HEADER}minimize {expr}\n"), col)
}

const FORMS: [&str; 6] = ["paren", "neg", "abs", "pow", "index", "list"];

#[test]
fn nesting_up_to_the_limit_is_accepted() {
    for form in FORMS {
        let (text, _) = nested(form, K);
        let o = cnnc(&["compile", "--emit", "conic"], &text);
        let err = stderr(&o);
        assert!(!err.contains("E0102"), "{form}: {err}");
        // `b[0]` of a scalar and a list of lists of numbers are refused by the checker.
        let expected = match form {
            "index" | "list" => 1,
            _ => 0,
        };
        assert_eq!(o.status.code(), Some(expected), "{form}: {err}");
    }
}

#[test]
fn one_level_past_the_limit_is_one_located_diagnostic() {
    for form in FORMS {
        let (text, col) = nested(form, K + 1);
        for args in [&["check"][..], &["compile", "--emit", "ast"]] {
            let o = cnnc(args, &text);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{form}: {err}");
            assert_eq!(
                first_line(&err),
                format!(
                    "[E0102] Error: expression nested {} deep; the limit is {K}",
                    K + 1
                ),
                "{form}"
            );
            assert_eq!(err.matches("Error:").count(), 1, "{form}: {err}");
            assert!(
                err.contains(&format!("─[ model.cnn:2:{col} ]")),
                "{form}: {err}"
            );
        }
    }
}

#[test]
fn very_deep_nesting_is_refused_without_a_crash() {
    for depth in [1_400, 5_000, 10_000, 100_000] {
        for form in FORMS {
            let (text, _) = nested(form, depth);
            let o = cnnc(&["compile", "--emit", "ast"], &text);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{form} {depth}: {err}");
            assert_eq!(
                first_line(&err),
                format!("[E0102] Error: expression nested {depth} deep; the limit is {K}"),
                "{form} {depth}"
            );
            assert!(!err.contains("is missing"), "{form} {depth}: {err}");
        }
    }
}

#[test]
fn two_too_deep_expressions_give_one_diagnostic() {
    // Two over-deep expressions: one diagnostic, for the first.
    let (deep, _) = nested("neg", 300);
    let text = format!("{deep}constraint c: {}b <= 1\n", "-".repeat(400));
    let o = cnnc(&["check"], &text);
    let err = stderr(&o);
    assert_eq!(err.matches("Error:").count(), 1, "{err}");
    assert_eq!(
        first_line(&err),
        format!("[E0102] Error: expression nested 300 deep; the limit is {K}")
    );
}

/// `f0` calls `f1` … calls `f{n-1}`, which returns its argument.
fn call_chain(n: usize) -> String {
    let mut text = HEADER.to_string();
    for i in 0..n - 1 {
        text.push_str(&format!("fn f{i}(x) = f{}(x)\n", i + 1));
    }
    text.push_str(&format!("fn f{}(x) = x\nminimize f0(b)\n", n - 1));
    text
}

#[test]
fn the_call_depth_limit_is_named_as_such() {
    assert!(ok(&["check"], &call_chain(32)).contains("model.cnn: ok"));
    let o = cnnc(&["check"], &call_chain(33));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        first_line(&err),
        "[E0316] Error: function calls nested 33 deep; the limit is 32"
    );
    // The 33rd call is `f32(x)` in the body of `f31`, on line 33.
    assert!(err.contains("─[ model.cnn:33:13 ]"), "{err}");
    assert!(!err.contains("calls itself"), "{err}");
    // Recursion is still called recursion.
    let o = cnnc(
        &["check"],
        &format!("{HEADER}fn f(x) = f(x)\nminimize f(b)\n"),
    );
    assert_eq!(
        first_line(&stderr(&o)),
        "[E0316] Error: `f` calls itself (directly or not)"
    );
}

/// Every pass over `text` in this process: parse, check, lowering, canonicalization, the four
/// printers, evaluation with its gradient, and dropping it all.
fn every_pass(text: &str) -> Result<(), String> {
    use cnnc::diag::SourceMap;
    use cnnc::driver::stages;
    let mut sources = SourceMap::new();
    let src = sources.add("model.cnn", None, text.to_string());
    let render = |s: &SourceMap, d: &[cnnc::diag::Diagnostic]| cnnc::diag::render(s, d, false);
    let (file, model) = cnnc::frontend(
        &mut sources,
        src,
        Path::new("."),
        &cnnc::sema::Overrides::default(),
    )
    .map_err(|d| render(&sources, &d))?;
    let program = stages::program(&model, &sources, None).map_err(|d| render(&sources, &d))?;
    let (conic, _) = stages::conic(&program).map_err(|d| render(&sources, &d))?;
    let printed = [
        cnnc::syntax::print::print_file(&sources, &file),
        cnnc::model::print::print_model(&sources, &model),
        cnnc::convex::print::print(&program.translation().program),
        cnnc::conic::print::print(&conic, &sources),
    ];
    assert!(printed.iter().all(|p| !p.is_empty()));
    let objective = &model.objective.as_ref().expect("an objective").expr;
    let point = model
        .vars
        .iter()
        .map(|v| nalgebra::DMatrix::from_element(v.shape.rows(), v.shape.cols(), 0.5))
        .collect();
    let at = cnnc::nn::Values::new(&model, point).map_err(|e| e.to_string())?;
    cnnc::nn::value_and_gradient(&model, objective, &at).map_err(|e| e.to_string())?;
    Ok(())
}

/// Runs [`every_pass`] on a thread with a stack of `mib` MiB.
fn on_stack(mib: usize, text: String) -> Result<(), String> {
    std::thread::Builder::new()
        .stack_size(mib << 20)
        .spawn(move || every_pass(&text))
        .expect("spawn")
        .join()
        .expect("no panic")
}

#[test]
fn no_pass_recurses_per_term() {
    // 100,000-term chains on a 1 MiB stack: a pass recursing once per term would overflow it.
    let chains = [
        vec!["b"; N].join(" + "),
        format!("abs(b){}", " + abs(b) - b".repeat(N / 2)),
        format!("abs(b){}", " * 2 * 0.5".repeat(N / 2)),
        format!("sum(abs(x){})", " * [1, 1]".repeat(N)),
        format!("b{}", " / 1 * 1".repeat(N / 2)),
        format!("sum([{}]) * b", vec!["1"; N].join(", ")),
    ];
    for chain in chains {
        let text = format!("{HEADER}var x[2] in [-1, 1]\nminimize {chain}\n");
        if let Err(e) = on_stack(1, text) {
            panic!("{}: {e}", &chain[..40]);
        }
    }
}

#[test]
fn nesting_at_the_limit_fits_a_default_thread_stack() {
    // 2 MiB is what Rust gives a spawned thread (and each test) by default.
    for form in ["paren", "neg", "abs", "pow"] {
        let (text, _) = nested(form, K);
        if let Err(e) = on_stack(2, text) {
            panic!("{form}: {e}");
        }
    }
}

#[test]
fn functions_at_both_limits_compile() {
    // 32 functions, each nesting 128 deep around the next: the model is about 32 × 128 levels
    // deep once they are expanded. An even count of `-` keeps each body convex: the objective
    // is |…|b|…| 32 times, one epigraph variable and two rows per `abs`, besides b and its two
    // bound rows.
    let mut text = HEADER.to_string();
    let negs = "-".repeat(K - 2);
    for i in 0..31 {
        text.push_str(&format!("fn f{i}(x) = {negs}abs(f{}(x))\n", i + 1));
    }
    text.push_str(&format!("fn f31(x) = {negs}abs(x)\nminimize f0(b)\n"));
    let conic = all_stages(&text);
    assert!(
        first_line(&conic).starts_with("conic problem: 33 variables, 66 rows"),
        "{}",
        first_line(&conic)
    );
}
