//! Trained networks in the ONNX format: `cnnc export --format onnx` writes one
//! ([`write::to_onnx`]), and every place that reads a weights file reads a `.onnx` file too
//! ([`read::from_onnx`]; `load("net.onnx")`, `eval --weights net.onnx`). The graph is described
//! in `docs/WEIGHTS.md` ("ONNX"); feature names, targets, the network's name, its model and
//! method travel as metadata (`cnnc.*` keys), so a round trip gives the same weights file.

pub mod proto;
pub mod read;
pub mod write;

pub use read::from_onnx;
pub use write::{to_onnx, Precision};

/// The IR version written (ONNX 1.8, the first with opset 13).
pub const IR_VERSION: i64 = 7;
/// The standard operator set written.
pub const OPSET: i64 = 13;
/// The graph's input: raw features, `N × d`.
pub const INPUT: &str = "input";
/// The graph's output: the network's outputs, `N × outputs`.
pub const OUTPUT: &str = "output";
/// Metadata key: the network's name.
pub const META_NETWORK: &str = "cnnc.network";
/// Metadata key: the model file it was trained from.
pub const META_MODEL: &str = "cnnc.model";
/// Metadata key: the training method.
pub const META_METHOD: &str = "cnnc.method";
/// Metadata key: the feature names, a JSON list.
pub const META_FEATURES: &str = "cnnc.feature_names";
/// Metadata key: the target, the JSON object of the weights file's `target`.
pub const META_TARGET: &str = "cnnc.target";

/// Metadata key: each layer's `bias_mode`, a JSON list, so that a `column` bias (which ONNX
/// holds as Gemm's `C`) comes back as a column.
pub const META_BIAS: &str = "cnnc.bias_modes";

/// Whether `path` names an ONNX file (by its extension).
pub fn is_onnx(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}
