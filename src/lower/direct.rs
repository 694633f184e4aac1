//! The model as written: no rewriting. For a model without a network it is already a convex
//! program; a network node left in it (a fixed-weight network, until `big_m` exists) is
//! reported by the translation as E0610.
//!
//! `method direct` also trains a *linear* network, one dense layer without activation:
//!
//! ```text
//! net(X) = X Wᵀ + 1 bᵀ      (or [X 1] Wᵀ with `bias = column`)
//! ```
//!
//! is affine in its weights `W`, `b`, so the model is convex as written (least squares, ridge,
//! LAD, a linear SVM…) and its optimum is exact: the linear baseline beside a network, trained,
//! reported and evaluated as networks are. A deeper network or an activation is E1114.

use crate::conic::canon::ColumnMap;
use crate::convex::affine::csc_from_dmatrix;
use crate::convex::from_model::{self, Context, NoLowering, Translation};
use crate::convex::{Affine, Expr};
use crate::diag::{Diagnostic, SourceMap};
use crate::lower::network::{stacked_weights, trained_net, DenseLayer};
use crate::lower::{Exactness, Lowering, Measure, Recovered};
use crate::model::{BiasMode, DataPart, ExprKind, Method, Model, NetId};

const HELP: &str = "`method direct` trains a linear network, one dense layer without activation (e.g. `dense(1, bias = separate)`), whose model is convex as written; train deeper networks with `method patterns`, `rank_lifting`, `convex_nn` or `adam`";

/// The model translated as it is.
pub struct Direct {
    translation: Translation,
    net: Option<NetId>,
}

impl Direct {
    /// Translates `model` without a lowering.
    pub fn build(model: &Model, sources: &SourceMap) -> Result<Direct, Vec<Diagnostic>> {
        let translation = from_model::program(model, sources, &mut NoLowering)?;
        Ok(Direct {
            translation,
            net: None,
        })
    }

    /// `method direct`: the model as written, its one trainable network linear.
    pub fn lower(
        model: &Model,
        sources: &SourceMap,
        method: &Method,
    ) -> Result<Direct, Vec<Diagnostic>> {
        if model.trainable_networks().is_empty() {
            return Direct::build(model, sources);
        }
        let net = trained_net(model, method, "E1114", "direct", HELP)?;
        let err = |span, msg: String, label: &str| {
            vec![Diagnostic::error("E1114", msg)
                .with_primary(span, label.to_string())
                .with_help(HELP)]
        };
        let layer = match net.layers.as_slice() {
            [l] => l.clone(),
            layers => {
                let span = model.networks[net.net.0].span;
                return Err(err(
                    span,
                    format!(
                        "`method direct` trains a linear network; `{}` has {} layers",
                        net.name,
                        layers.len()
                    ),
                    "not one linear layer",
                ));
            }
        };
        if layer.activation.name != "identity" {
            return Err(err(
                layer.span,
                format!(
                    "`method direct` trains a linear network; this layer applies `{}`",
                    layer.activation.name
                ),
                "an activation",
            ));
        }
        let id = net.net;
        let mut hook = |e: &crate::model::Expr, cx: &mut Context<'_>| match &e.kind {
            ExprKind::NetOut(n, arg) if *n == id => Some(linear_output(&layer, arg, cx)),
            ExprKind::Weights(n) if *n == id => {
                Some(Ok(stacked_weights(cx, [layer.weight]).with_span(e.span)))
            }
            _ => None,
        };
        let translation = from_model::program(model, sources, &mut hook)?;
        Ok(Direct {
            translation,
            net: Some(id),
        })
    }
}

/// `X Wᵀ (+ 1 bᵀ)` for the features `X` of a dataset.
fn linear_output(
    layer: &DenseLayer,
    arg: &crate::model::Expr,
    cx: &mut Context<'_>,
) -> Result<Expr, Vec<Diagnostic>> {
    let ExprKind::Data(d, DataPart::X) = arg.kind else {
        return Err(vec![Diagnostic::error(
            "E1114",
            "`method direct` applies a linear network to a dataset's features only",
        )
        .with_primary(arg.span, "not `DATA.x`")
        .with_help(HELP)]);
    };
    let x = &cx.model.datasets[d.0].x;
    let n = x.nrows();
    let shape = |e: crate::convex::ShapeError| vec![e.to_diagnostic(Some(arg.span))];
    let features = match layer.bias {
        BiasMode::Column => x.clone().insert_column(x.ncols(), 1.0),
        _ => x.clone(),
    };
    let w = cx.var(layer.weight);
    let w = cx.prog.var(w).transpose();
    let mut out = w.left_mul(&csc_from_dmatrix(&features)).map_err(shape)?;
    if let (BiasMode::Separate, Some(b)) = (layer.bias, layer.bias_var) {
        let b = cx.var(b);
        let b = cx.prog.var(b).reshape(1, layer.outputs).map_err(shape)?;
        let ones = nalgebra::DMatrix::from_element(n, 1, 1.0);
        let b = b.left_mul(&csc_from_dmatrix(&ones)).map_err(shape)?;
        out = out.add(&b).map_err(shape)?;
    }
    Ok(Expr::from(out as Affine).with_span(arg.span))
}

impl Lowering for Direct {
    fn name(&self) -> &'static str {
        "direct"
    }

    fn exactness(&self) -> Exactness {
        Exactness::Exact
    }

    fn net(&self) -> Option<NetId> {
        self.net
    }

    fn translation(&self) -> &Translation {
        &self.translation
    }

    fn recover(
        &self,
        model: &Model,
        map: &ColumnMap,
        x: &[f64],
    ) -> Result<Recovered, Vec<Diagnostic>> {
        super::recover_values(model, &self.translation, map, x, false)
    }

    fn measure(&self, _: Option<f64>, _: &Recovered) -> Result<Option<Measure>, Vec<Diagnostic>> {
        // The program is the model: nothing to measure.
        Ok(None)
    }

    fn report_block(&self, _: &Recovered) -> Vec<String> {
        Vec::new()
    }

    fn stage_text(&self, model: &Model) -> String {
        match self.net {
            Some(n) => format!(
                "direct     the model is its own convex program: network `{}` is linear (one layer, no activation), affine in its weights\n",
                model.networks[n.0].name
            ),
            None => "direct     the model is its own convex program: no rewriting\n".into(),
        }
    }

    fn stage_json(&self, _: &Model) -> serde_json::Value {
        serde_json::json!({ "lowering": "direct" })
    }
}
