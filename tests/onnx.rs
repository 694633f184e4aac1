//! `cnnc export --format onnx` and ONNX files read back (`--weights net.onnx`,
//! `load("net.onnx")`): the graph's nodes, shapes and element types decoded from the bytes,
//! round trips of every shipped weights file byte for byte, every activation and bias mode
//! evaluated through the ONNX file against the JSON one, FLOAT graphs within single-precision
//! rounding, a graph of another producer's shape (MatMul + Add, typed FLOAT data) against a
//! forward pass by hand, and the errors E0803, E0808, E0809. The check with an independent
//! runtime (onnxruntime) is `scripts/onnx_check.py`, outside the tests; its output is in
//! docs/WEIGHTS.md.

mod common;

use std::path::Path;

use cnnc::onnx::proto::*;
use common::{cnnc, cnnc_ok, root, stderr};
use prost::Message;
use serde_json::Value;

fn shipped(name: &str) -> std::path::PathBuf {
    root().join("examples/weights").join(name)
}

fn decode(path: &Path) -> ModelProto {
    ModelProto::decode(&std::fs::read(path).expect("reads")[..]).expect("an ONNX model")
}

fn export(dir: &Path, weights: &Path, out: &str, extra: &[&str]) {
    let mut args = vec!["export", "--weights", weights.to_str().unwrap(), "-o", out];
    args.extend_from_slice(extra);
    cnnc_ok(dir, &args);
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("JSON")
}

/// The numbers of the `output` columns of `cnnc eval MODEL --weights W`.
fn eval(dir: &Path, model: &Path, weights: &Path) -> Vec<f64> {
    let out = cnnc_ok(
        dir,
        &[
            "eval",
            model.to_str().unwrap(),
            "--weights",
            weights.to_str().unwrap(),
        ],
    );
    let csv = String::from_utf8(out).expect("UTF-8");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let columns: Vec<usize> = (0..header.len())
        .filter(|&i| header[i].starts_with("output"))
        .collect();
    assert!(!columns.is_empty(), "{csv}");
    let values: Vec<f64> = lines
        .flat_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            columns
                .iter()
                .map(|&c| cells[c].parse::<f64>().expect("a number"))
                .collect::<Vec<_>>()
        })
        .collect();
    values
}

#[test]
fn the_breast_cancer_graph_is_standardization_then_gemm_layers_in_double() {
    let dir = tempfile::tempdir().unwrap();
    export(dir.path(), &shipped("breast_cancer.json"), "net.onnx", &[]);
    let m = decode(&dir.path().join("net.onnx"));
    assert_eq!(m.ir_version, 7);
    assert_eq!(m.opset_import.len(), 1);
    assert_eq!(
        (m.opset_import[0].domain.as_str(), m.opset_import[0].version),
        ("", 13)
    );
    assert_eq!(m.producer_name, "cnnc");
    let g = m.graph.expect("a graph");
    let ops: Vec<&str> = g.node.iter().map(|n| n.op_type.as_str()).collect();
    assert_eq!(ops, ["Sub", "Div", "Gemm", "Relu", "Gemm"]);
    // Each node takes the previous one's output; the last one is the graph's output.
    for w in g.node.windows(2) {
        assert_eq!(w[1].input[0], w[0].output[0]);
    }
    assert_eq!(g.node[0].input[0], "input");
    assert_eq!(g.node[4].output[0], "output");
    for gemm in [&g.node[2], &g.node[4]] {
        assert_eq!(gemm.attribute.len(), 1);
        assert_eq!(
            (gemm.attribute[0].name.as_str(), gemm.attribute[0].i),
            ("transB", 1)
        );
    }
    // The hidden layer's bias column became Gemm's C; the output layer has none.
    assert_eq!(g.node[2].input.len(), 3);
    assert_eq!(g.node[4].input.len(), 2);
    let shapes: Vec<(&str, Vec<i64>)> = g
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t.dims.clone()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("mean", vec![10]),
            ("std", vec![10]),
            ("layer1.weight", vec![16, 10]),
            ("layer1.bias", vec![16]),
            ("layer2.weight", vec![1, 16])
        ]
    );
    let w = read_json(&shipped("breast_cancer.json"));
    for t in &g.initializer {
        assert_eq!(t.data_type, DATA_DOUBLE);
        let count: i64 = t.dims.iter().product();
        assert_eq!(t.raw_data.len(), 8 * count as usize);
    }
    // The bias is the weights file's last column of each row of layer 1, bit for bit.
    let bias = &g.initializer[3].raw_data;
    let layer1 = w["layers"][0]["weights"].as_array().unwrap();
    for r in 0..16 {
        let got = f64::from_le_bytes(bias[8 * r..8 * r + 8].try_into().unwrap());
        assert_eq!(got, layer1[r * 11 + 10].as_f64().unwrap());
    }
    let mean = &g.initializer[0].raw_data;
    let want = w["standardization"]["mean"][3].as_f64().unwrap();
    assert_eq!(f64::from_le_bytes(mean[24..32].try_into().unwrap()), want);
    type Dims = Vec<(Option<i64>, Option<String>)>;
    let dims = |v: &ValueInfoProto| -> (i32, Dims) {
        let t = v.r#type.as_ref().unwrap().tensor_type.as_ref().unwrap();
        let d = t.shape.as_ref().unwrap().dim.iter();
        (
            t.elem_type,
            d.map(|d| (d.dim_value, d.dim_param.clone())).collect(),
        )
    };
    assert_eq!(
        dims(&g.input[0]),
        (
            DATA_DOUBLE,
            vec![(None, Some("N".into())), (Some(10), None)]
        )
    );
    assert_eq!(
        dims(&g.output[0]),
        (DATA_DOUBLE, vec![(None, Some("N".into())), (Some(1), None)])
    );
}

#[test]
fn every_shipped_weights_file_comes_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["seed003.json", "moons.json", "breast_cancer.json"] {
        export(dir.path(), &shipped(name), "net.onnx", &[]);
        export(
            dir.path(),
            &dir.path().join("net.onnx"),
            "back.json",
            &["--format", "json"],
        );
        let back = std::fs::read_to_string(dir.path().join("back.json")).unwrap();
        let original = std::fs::read_to_string(shipped(name)).unwrap();
        assert_eq!(back, original, "{name}");
    }
}

/// The weights of `path` with the hidden layers' activation replaced.
fn with_activation(path: &Path, activation: &str, out: &Path) {
    let mut w = read_json(path);
    let n = w["layers"].as_array().unwrap().len();
    for l in 0..n - 1 {
        w["layers"][l]["activation"] = activation.into();
    }
    std::fs::write(out, serde_json::to_string(&w).unwrap()).unwrap();
}

#[test]
fn every_activation_and_bias_mode_predicts_as_the_json_file() {
    // seed003: column bias then none; moons: separate biases; breast_cancer: standardized.
    let cases = [
        ("seed003.json", "examples/seed003_1d.cnn"),
        ("moons.json", "examples/moons_adam.cnn"),
        ("breast_cancer.json", "examples/breast_cancer_bounds.cnn"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, model) in cases {
        for act in ["relu", "identity", "sigmoid", "softplus", "leaky_relu"] {
            let json = dir.path().join("w.json");
            with_activation(&shipped(name), act, &json);
            export(dir.path(), &json, "w.onnx", &[]);
            let want = eval(dir.path(), &root().join(model), &json);
            let got = eval(dir.path(), &root().join(model), &dir.path().join("w.onnx"));
            assert_eq!(got.len(), want.len(), "{name} {act}");
            assert!(want.len() >= 5, "{name} {act}: {}", want.len());
            assert_eq!(got, want, "{name} {act}");
            let ops: Vec<String> = decode(&dir.path().join("w.onnx"))
                .graph
                .unwrap()
                .node
                .iter()
                .map(|n| n.op_type.clone())
                .collect();
            let op = match act {
                "relu" => "Relu",
                "sigmoid" => "Sigmoid",
                "softplus" => "Softplus",
                "leaky_relu" => "LeakyRelu",
                _ => "",
            };
            let hidden = read_json(&json)["layers"].as_array().unwrap().len() - 1;
            let count = ops.iter().filter(|o| *o == op).count();
            assert_eq!(count, if op.is_empty() { 0 } else { hidden }, "{ops:?}");
            assert_eq!(ops.iter().filter(|o| *o == "Gemm").count(), hidden + 1);
        }
    }
}

#[test]
fn a_float_graph_holds_the_weights_rounded_to_single_precision() {
    let dir = tempfile::tempdir().unwrap();
    let name = "moons.json";
    export(
        dir.path(),
        &shipped(name),
        "f.onnx",
        &["--precision", "float"],
    );
    let g = decode(&dir.path().join("f.onnx")).graph.unwrap();
    for t in &g.initializer {
        assert_eq!(t.data_type, DATA_FLOAT, "{}", t.name);
        assert_eq!(
            t.raw_data.len(),
            4 * t.dims.iter().product::<i64>() as usize
        );
    }
    let elem = |v: &ValueInfoProto| {
        v.r#type
            .as_ref()
            .unwrap()
            .tensor_type
            .as_ref()
            .unwrap()
            .elem_type
    };
    assert_eq!(
        (elem(&g.input[0]), elem(&g.output[0])),
        (DATA_FLOAT, DATA_FLOAT)
    );
    export(
        dir.path(),
        &dir.path().join("f.onnx"),
        "back.json",
        &["--format", "json"],
    );
    let (a, b) = (
        read_json(&shipped(name)),
        read_json(&dir.path().join("back.json")),
    );
    let mut checked = 0;
    for (la, lb) in a["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["layers"].as_array().unwrap())
    {
        for key in ["weights", "bias"] {
            for (x, y) in la[key]
                .as_array()
                .unwrap()
                .iter()
                .zip(lb[key].as_array().unwrap())
            {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert_eq!(y, x as f32 as f64);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 16 * 2 + 16 + 16 * 16 + 16 + 16 + 1);
}

#[test]
fn a_loaded_onnx_network_answers_the_query_as_its_json_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("weights")).unwrap();
    export(
        dir.path(),
        &shipped("seed003.json"),
        "weights/seed003.onnx",
        &[],
    );
    std::fs::copy(
        shipped("seed003.json"),
        dir.path().join("weights/seed003.json"),
    )
    .unwrap();
    let query = std::fs::read_to_string(root().join("examples/seed003_query.cnn")).unwrap();
    assert!(query.contains("load(\"weights/seed003.json\")"));
    std::fs::write(dir.path().join("json.cnn"), &query).unwrap();
    std::fs::write(
        dir.path().join("onnx.cnn"),
        query.replace("seed003.json", "seed003.onnx"),
    )
    .unwrap();
    let objective = |model: &str| -> f64 {
        let out = cnnc_ok(dir.path(), &["solve", model, "--report", "json"]);
        let v: Value = serde_json::from_slice(&out).expect("a JSON report");
        v["objective"].as_f64().expect("an objective")
    };
    let (a, b) = (objective("json.cnn"), objective("onnx.cnn"));
    assert_eq!(a, b);
    // The largest output over x in [-5, 3], by a dense scan of the network's pieces.
    let w = read_json(&shipped("seed003.json"));
    let net = |x: f64| -> f64 {
        let l1 = w["layers"][0]["weights"].as_array().unwrap();
        let l2 = w["layers"][1]["weights"].as_array().unwrap();
        (0..6)
            .map(|j| {
                let z = l1[2 * j].as_f64().unwrap() * x + l1[2 * j + 1].as_f64().unwrap();
                l2[j].as_f64().unwrap() * z.max(0.0)
            })
            .sum()
    };
    let scan = (0..=80_000)
        .map(|i| net(-5.0 + 8.0 * i as f64 / 80_000.0))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        (a - scan).abs() <= 1e-6 * (1.0 + scan.abs()),
        "{a} vs {scan}"
    );
}

/// A 2 → 2 relu → 1 graph as another producer writes it: `MatMul` by a `d × k` matrix, `Add`,
/// typed FLOAT data, no metadata.
fn foreign_graph(op_after_first: &str) -> Vec<u8> {
    let float = |name: &str, dims: Vec<i64>, v: Vec<f32>| TensorProto {
        name: name.into(),
        dims,
        data_type: DATA_FLOAT,
        float_data: v,
        ..Default::default()
    };
    let node = |op: &str, inputs: &[&str], out: &str| NodeProto {
        name: format!("n_{out}"),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![out.into()],
        ..Default::default()
    };
    let io = |name: &str, width: i64| ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: DATA_FLOAT,
                shape: Some(TensorShapeProto {
                    dim: vec![
                        Dimension {
                            dim_param: Some("batch".into()),
                            ..Default::default()
                        },
                        Dimension {
                            dim_value: Some(width),
                            ..Default::default()
                        },
                    ],
                }),
            }),
        }),
    };
    let g = GraphProto {
        name: "foreign".into(),
        node: vec![
            node("MatMul", &["x", "W1"], "h"),
            node("Add", &["h", "b1"], "hb"),
            node(op_after_first, &["hb"], "a"),
            node("MatMul", &["a", "W2"], "y"),
        ],
        // W1 is 2 × 2 as `d × k`: column j holds neuron j's weights.
        initializer: vec![
            float("W1", vec![2, 2], vec![1.0, -1.0, 2.0, 0.5]),
            float("b1", vec![2], vec![0.25, -0.5]),
            float("W2", vec![2, 1], vec![3.0, -2.0]),
        ],
        input: vec![io("x", 2)],
        output: vec![io("y", 1)],
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        graph: Some(g),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn a_matmul_add_graph_of_another_producer_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.onnx"), foreign_graph("Relu")).unwrap();
    std::fs::write(
        dir.path().join("d.csv"),
        "x1,x2\n1,0\n0,2\n-1,1\n2,-1\n0.5,0.5\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m.cnn"),
        "data d = csv(\"d.csv\", features = [x1, x2])\n",
    )
    .unwrap();
    let got = eval(
        dir.path(),
        &dir.path().join("m.cnn"),
        &dir.path().join("f.onnx"),
    );
    let rows = [[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0], [2.0, -1.0], [0.5, 0.5]];
    let want: Vec<f64> = rows
        .iter()
        .map(|[a, b]| {
            let h1 = (a * 1.0 + b * 2.0 + 0.25_f64).max(0.0);
            let h2 = (a * -1.0 + b * 0.5 - 0.5_f64).max(0.0);
            3.0 * h1 - 2.0 * h2
        })
        .collect();
    assert_eq!(got, want);
    export(
        dir.path(),
        &dir.path().join("f.onnx"),
        "w.json",
        &["--format", "json"],
    );
    let w = read_json(&dir.path().join("w.json"));
    assert_eq!(w["network"], "foreign");
    assert_eq!(
        w["layers"][0]["weights"],
        serde_json::json!([1.0, 2.0, -1.0, 0.5])
    );
    assert_eq!(w["layers"][0]["bias_mode"], "separate");
    assert_eq!(w["layers"][1]["bias_mode"], "none");
}

#[test]
fn unreadable_graphs_and_files_are_refused_naming_what_breaks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.cnn"),
        "data d = csv(\"d.csv\", features = [x1, x2])\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("d.csv"), "x1,x2\n1,0\n").unwrap();
    let run = |file: &str, bytes: &[u8]| -> String {
        std::fs::write(dir.path().join(file), bytes).unwrap();
        let out = cnnc(dir.path(), &["eval", "m.cnn", "--weights", file]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        stderr(&out)
    };
    let err = run("tanh.onnx", &foreign_graph("Tanh"));
    assert!(err.contains("Error[E0809]"), "{err}");
    assert!(
        err.contains(
            "ONNX file `tanh.onnx`: node `n_a` (Tanh): `Tanh` is not read here after a layer"
        ),
        "{err}"
    );
    let err = run("text.onnx", b"not a protobuf message \xff\xff\xff");
    assert!(err.contains("Error[E0803]"), "{err}");
    assert!(err.contains("`text.onnx` is not an ONNX file"), "{err}");
    let err = run("empty.onnx", &ModelProto::default().encode_to_vec());
    assert!(err.contains("Error[E0809]"), "{err}");
    assert!(err.contains("the file has no graph"), "{err}");
}

#[test]
fn a_user_defined_activation_has_no_onnx_operator() {
    let dir = tempfile::tempdir().unwrap();
    with_activation(
        &shipped("seed003.json"),
        "my_abs",
        &dir.path().join("u.json"),
    );
    let out = cnnc(
        dir.path(),
        &["export", "--weights", "u.json", "-o", "u.onnx"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("Error[E0808]"), "{err}");
    assert!(
        err.contains("layer 1 has the activation `my_abs`, which has no ONNX operator"),
        "{err}"
    );
    assert!(!dir.path().join("u.onnx").exists());
}

#[test]
fn mutated_and_truncated_onnx_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    export(dir.path(), &shipped("breast_cancer.json"), "net.onnx", &[]);
    let bytes = std::fs::read(dir.path().join("net.onnx")).unwrap();
    assert!(cnnc::onnx::from_onnx(&bytes, "net.onnx").is_ok());
    // A fixed linear congruential generator: the same 4,000 inputs on every run.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) as usize
    };
    let (mut refused, mut read) = (0, 0);
    for case in 0..4000 {
        let mut b = bytes.clone();
        if case % 4 == 0 {
            b.truncate(next() % b.len());
        } else {
            for _ in 0..1 + next() % 4 {
                let at = next() % b.len();
                b[at] = next() as u8;
            }
        }
        match cnnc::onnx::from_onnx(&b, "m.onnx") {
            Ok(w) => {
                read += 1;
                assert!(w.validate("m.onnx").is_ok());
            }
            Err(d) => {
                refused += 1;
                assert!(
                    ["E0803", "E0804", "E0805", "E0806", "E0809"].contains(&d.code),
                    "{}",
                    d.code
                );
            }
        }
    }
    assert_eq!(read + refused, 4000);
    assert!(refused > 1000, "{refused} refused");
}

#[test]
fn the_format_follows_the_output_name_and_a_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = shipped("moons.json");
    let w = w.to_str().unwrap();
    // `.json` alone chooses JSON: the same file back.
    cnnc_ok(dir.path(), &["export", "--weights", w, "-o", "copy.json"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("copy.json")).unwrap(),
        std::fs::read_to_string(w).unwrap()
    );
    // Any other name is ONNX.
    let out = cnnc_ok(dir.path(), &["export", "--weights", w, "-o", "net.bin"]);
    let size = std::fs::metadata(dir.path().join("net.bin")).unwrap().len();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("wrote net.bin (ONNX, DOUBLE, {size} bytes): cnnc network `net`: 2 → 16 relu → 16 relu → 1\n")
    );
    assert!(decode(&dir.path().join("net.bin")).graph.is_some());
    for (args, message) in [
        (
            vec!["--format", "json", "-o", "w.onnx"],
            "`--format json` to `w.onnx`: cnnc would read that file as onnx",
        ),
        (
            vec!["--format", "onnx", "-o", "w.json"],
            "`--format onnx` to `w.json`: cnnc would read that file as json",
        ),
        (
            vec!["--precision", "float", "-o", "w.json"],
            "`--precision` applies to ONNX graphs, not to a weights JSON file",
        ),
    ] {
        let mut all = vec!["export", "--weights", w];
        all.extend(args);
        let out = cnnc(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let err = stderr(&out);
        assert!(
            err.contains("Error[E0004]") && err.contains(message),
            "{err}"
        );
    }
    assert!(!dir.path().join("w.onnx").exists() && !dir.path().join("w.json").exists());
    // A JSON file named `.onnx` is pointed at.
    std::fs::copy(w, dir.path().join("json.onnx")).unwrap();
    let out = cnnc(
        dir.path(),
        &["export", "--weights", "json.onnx", "-o", "x.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("it looks like JSON"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn workflow_md_shows_what_export_prints() {
    let doc = std::fs::read_to_string(root().join("docs/WORKFLOW.md")).unwrap();
    let section = &doc[doc
        .find("## Take the network elsewhere")
        .expect("the ONNX section")..];
    let command = "cnnc export --weights examples/weights/moons.json -o moons.onnx";
    assert!(section.contains(command));
    let printed = section
        .lines()
        .find(|l| l.starts_with("wrote "))
        .expect("the printed line");
    let dir = tempfile::tempdir().unwrap();
    let out = cnnc_ok(
        dir.path(),
        &[
            "export",
            "--weights",
            shipped("moons.json").to_str().unwrap(),
            "-o",
            "moons.onnx",
        ],
    );
    assert_eq!(String::from_utf8(out).unwrap(), format!("{printed}\n"));
}
