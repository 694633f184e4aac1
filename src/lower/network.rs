//! The one network a training method trains: its layers of trainable parameters, checked once
//! for every method that rewrites a network layer by layer (complementarity, rank lifting,
//! Convex-NN). Each method then checks the activations it covers.

use nalgebra::DMatrix;

use crate::convex::from_model::Context;
use crate::convex::{Affine, Constraint, Expr, Program};
use crate::diag::{Diagnostic, Span};
use crate::model::{
    self, Activation, BiasMode, DataId, DataPart, ExprKind, LayerParam, Method, Model, NetId, VarId,
};

/// One trainable dense layer.
#[derive(Clone, Debug)]
pub struct DenseLayer {
    /// Input width (without a bias column).
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// How the bias enters.
    pub bias: BiasMode,
    /// The weight variable (`outputs × inputs`, one more column with a bias column).
    pub weight: VarId,
    /// The separate bias variable.
    pub bias_var: Option<VarId>,
    /// The activation, as its DC split.
    pub activation: Activation,
    /// Declaration.
    pub span: Span,
}

/// The network a method trains.
#[derive(Clone, Debug)]
pub struct TrainedNet {
    /// The network.
    pub net: NetId,
    /// Its name.
    pub name: String,
    /// The data it is declared over.
    pub data: DataId,
    /// Training samples.
    pub samples: usize,
    /// Layers, input to output.
    pub layers: Vec<DenseLayer>,
}

/// The one trainable network of `model`, every layer trained on the network's data; errors
/// carry `code` and `help`, and name the method's `stage`.
pub fn trained_net(
    model: &Model,
    method: &Method,
    code: &'static str,
    stage: &str,
    help: &str,
) -> Result<TrainedNet, Vec<Diagnostic>> {
    let err = |span: Option<Span>, msg: String, label: &str| {
        let d = Diagnostic::error(code, msg);
        let d = match span {
            Some(s) => d.with_primary(s, label.to_string()),
            None => d,
        };
        vec![method
            .label(d, span.is_none(), "method declared here")
            .with_help(help.to_string())]
    };
    let trainable = model.trainable_networks();
    let [i] = trainable.as_slice() else {
        return Err(err(
            None,
            format!(
                "{stage}: the method trains one network; this model has {}",
                trainable.len()
            ),
            "",
        ));
    };
    let net = &model.networks[*i];
    let Some(data) = net.input else {
        return Err(err(
            Some(net.span),
            "the network has fixed weights".into(),
            "not trained",
        ));
    };
    let mut layers = Vec::with_capacity(net.layers.len());
    for layer in &net.layers {
        let LayerParam::Var(weight) = layer.weight else {
            return Err(err(
                Some(layer.span),
                "a layer with fixed weights".into(),
                "not trained",
            ));
        };
        let bias_var = match &layer.bias_param {
            Some(LayerParam::Var(b)) => Some(*b),
            _ => None,
        };
        layers.push(DenseLayer {
            inputs: layer.inputs,
            outputs: layer.outputs,
            bias: layer.bias,
            weight,
            bias_var,
            activation: layer.activation.clone(),
            span: layer.span,
        });
    }
    Ok(TrainedNet {
        net: NetId(*i),
        name: net.name.clone(),
        data,
        samples: model.datasets[data.0].x.nrows(),
        layers,
    })
}

/// `weights(net)` as the program sees it when a method keeps the layers' weight variables:
/// every layer's weight matrix, row by row, stacked (as it is evaluated), over the program's
/// own weight columns.
pub fn stacked_weights(cx: &mut Context<'_>, weights: impl IntoIterator<Item = VarId>) -> Expr {
    let mut cols = Vec::new();
    for w in weights {
        let v = cx.var(w);
        let b = &cx.prog.vars[v.0];
        for r in 0..b.rows {
            for c in 0..b.cols {
                cols.push(b.offset + r + c * b.rows);
            }
        }
    }
    Affine::from_fn(cols.len(), 1, |e, terms| {
        terms.push(cols[e], 1.0);
        0.0
    })
    .into()
}

/// The error of a layer-by-layer method (`code`, `method` in words) for the network applied to
/// `arg` when `arg` is not its training features `data` (which the lifted blocks stand for).
pub fn other_inputs(
    arg: &model::Expr,
    data: DataId,
    code: &'static str,
    method: &str,
) -> Option<Vec<Diagnostic>> {
    let on_training_data = matches!(arg.kind, ExprKind::Data(d, DataPart::X) if d == data);
    (!on_training_data).then(|| {
        vec![Diagnostic::error(
            code,
            format!("{method} knows the network's output on its training features only"),
        )
        .with_primary(arg.span, "not the training features")
        .with_help("apply the network to the data it is declared over, e.g. `net(train.x)`; evaluate other data with `cnnc eval`")]
    })
}

/// Layer 1 of a lifted network, affine because the data are known: `Z¹ − X W¹ᵀ − 1 b¹ᵀ = 0`
/// over program blocks `z` (samples × outputs), `w` (with the bias as its last column when
/// `bias == Column`) and the separate bias `b`.
pub fn first_layer(
    prog: &Program,
    x: &DMatrix<f64>,
    (z, w, b): (
        crate::convex::VarId,
        crate::convex::VarId,
        Option<crate::convex::VarId>,
    ),
    (inputs, outputs, bias): (usize, usize, BiasMode),
) -> Constraint {
    let m = x.nrows();
    let col = |v: crate::convex::VarId, r: usize, c: usize| {
        let blk = &prog.vars[v.0];
        blk.offset + r + c * blk.rows
    };
    let first = Affine::from_fn(m, outputs, |e, terms| {
        let (j, i) = (e % m, e / m);
        terms.push(col(z, j, i), 1.0);
        for k in 0..inputs {
            terms.push(col(w, i, k), -x[(j, k)]);
        }
        if let Some(b) = b {
            terms.push(col(b, i, 0), -1.0);
        }
        if bias == BiasMode::Column {
            terms.push(col(w, i, inputs), -1.0);
        }
        0.0
    });
    let zeros = Affine::constant(m, outputs, vec![0.0; m * outputs]).expect("sizes match");
    Constraint::eq(first.into(), zeros.into()).with_label("layer 1: Z1 = X W1ᵀ + 1 b1ᵀ")
}
