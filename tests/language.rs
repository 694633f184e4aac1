//! docs/LANGUAGE.md claims that no other test checks: `count(e)`, and the `weights =` and
//! `biases =` boxes of `dense`, through `--emit model`.

mod common;

fn emit_model(text: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("m.cnn");
    std::fs::write(&path, text).expect("write model");
    let stdout = common::cnnc_ok(dir.path(), &["compile", "m.cnn", "--emit", "model"]);
    String::from_utf8_lossy(&stdout).into_owned()
}

/// Lines of `text` up to their `# file:line` comment, trailing spaces removed.
fn entries(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(" # ").next().unwrap_or("").trim_end().to_string())
        .collect()
}

/// "`count(e)` is the number of rows": 3 rows of `train.x` and of `train.y`.
#[test]
fn count_is_the_number_of_rows() {
    let got = entries(&emit_model(
        "data train = inline(x = [[1, 2], [3, 4], [5, 6]], y = [1, -1, 1])\n\
         var w[2]\n\
         minimize norm1(train.x @ w - train.y) / count(train.y)\n\
         constraint c: sum(w) <= count(train.x)\n",
    ));
    assert!(
        got.contains(&"minimize norm1(train.x @ w - train.y) / 3".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"constraint c [scalar]: sum(w) <= 3".to_string()),
        "{got:?}"
    );
}

/// "`weights = r | [lo, hi]`, `biases = r | [lo, hi]`": boxes on that layer's variables only.
#[test]
fn dense_boxes_bound_the_layer_variables() {
    let got = entries(&emit_model(
        "use losses.{squared_error}\n\
         data train = inline(x = [[1, 2], [3, 4], [5, 6]], y = [1, -1, 1])\n\
         network net(train) { dense(4, relu, biases = [-1, 0.5], weights = 2)  dense(1, biases = 3) }\n\
         minimize squared_error(net(train.x), train.y)\n",
    ));
    for want in [
        "var net.W1 [4x2] in [-2, 2]  (weights of layer 1)",
        "var net.b1 [4] in [-1, 0.5]  (bias of layer 1)",
        "var net.W2 [1x4]  (weights of layer 2)",
        "var net.b2 [1] in [-3, 3]  (bias of layer 2)",
    ] {
        assert!(got.contains(&want.to_string()), "{want}\n{got:#?}");
    }
}
