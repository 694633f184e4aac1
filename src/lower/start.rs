//! Start weights of a sequential method, shared by rank lifting and Convex-NN: a weights file
//! (as `cnnc train -o` writes it) checked against the network's layers.

use nalgebra::DMatrix;

use crate::diag::{Diagnostic, SourceMap};
use crate::model::{BiasMode, Method, VarId};
use crate::nn::Values;

/// The parameters of one layer.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// The weight variable.
    pub weight: VarId,
    /// The separate bias variable.
    pub bias_var: Option<VarId>,
    /// How the bias enters.
    pub bias: BiasMode,
}

/// Reads the weights file `path` into `values`, layer by layer; a file that does not fit the
/// layers gives `code` (with the method's label).
pub fn read_file(
    values: &mut Values,
    path: &str,
    layers: &[Params],
    method: &Method,
    code: &'static str,
) -> Result<(), Vec<Diagnostic>> {
    let mut sources = SourceMap::new();
    let file =
        crate::nn::weights::read(std::path::Path::new(path), &mut sources).map_err(|d| vec![d])?;
    let misfit = |what: String| {
        vec![method
            .label(
                Diagnostic::error(
                    code,
                    format!("the start weights `{path}` do not fit the network: {what}"),
                ),
                true,
                "start given here",
            )
            .with_help("start from a weights file written by `cnnc train -o` for this network, or use `start = random`")]
    };
    if file.layers.len() != layers.len() {
        return Err(misfit(format!(
            "{} layers for a network of {}",
            file.layers.len(),
            layers.len()
        )));
    }
    for (k, (rec, l)) in file.layers.iter().zip(layers).enumerate() {
        let w = rec.weight_matrix();
        let want = values.get(l.weight).shape();
        if w.shape() != want || rec.bias_mode() != l.bias {
            return Err(misfit(format!(
                "layer {} is {}x{} with bias = {}, the network's is {}x{} with bias = {}",
                k + 1,
                w.nrows(),
                w.ncols(),
                bias_word(rec.bias_mode()),
                want.0,
                want.1,
                bias_word(l.bias)
            )));
        }
        *values.get_mut(l.weight) = w;
        if let (Some(b), Some(v)) = (&rec.bias, l.bias_var) {
            *values.get_mut(v) = DMatrix::from_column_slice(b.len(), 1, b);
        }
    }
    Ok(())
}

fn bias_word(b: BiasMode) -> &'static str {
    match b {
        BiasMode::Separate => "separate",
        BiasMode::Column => "column",
        BiasMode::None => "none",
    }
}
