//! Networks: `network net(train) { dense(8, relu, bias = column)  dense(1) }` expanded into
//! weight and bias variables (`net.W1`, `net.b1`, …) with their shapes and boxes, the input
//! width taken from the data, each activation resolved to its DC split.

use super::options::Kind;
use super::{Checker, Def};
use crate::diag::{group_digits, suggest, Diagnostic, Span};
use crate::model::{self, BiasMode, LayerParam, NetId, OptionValue, Shape, VarId, VarRole};
use crate::syntax::ast;

/// Layer kinds the language knows.
const LAYER_KINDS: [&str; 1] = ["dense"];

/// The widest layer: each layer's width is capped, their product by the memory budget.
const MAX_WIDTH: f64 = 1e6;

/// Named arguments of `dense`.
const DENSE_ARGS: [&str; 5] = ["width", "activation", "bias", "weights", "biases"];

impl<'a> Checker<'a> {
    pub(super) fn network(
        &mut self,
        span: Span,
        name: &ast::Ident,
        input: &ast::Ident,
        layers: &'a [ast::Layer],
    ) {
        let data = match self.names.get(&input.name) {
            Some((Def::Data(d), _)) => *d,
            Some((Def::Failed, _)) => {
                self.declare(name, Def::Failed);
                return;
            }
            Some(_) => {
                let d = Diagnostic::error("E0307", format!("`{}` is not data", input.name))
                    .with_primary(input.span, "a network is declared over a dataset")
                    .with_help("write `network net(train) { ... }` with `train` a `data` item");
                self.error(d);
                return;
            }
            None => {
                let mut d = Diagnostic::error("E0205", format!("unknown data `{}`", input.name))
                    .with_primary(input.span, "not defined");
                let data: Vec<&str> = self
                    .model
                    .datasets
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect();
                if let Some(s) = suggest(&input.name, data.iter().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.error(d);
                return;
            }
        };
        if layers.is_empty() {
            let d = Diagnostic::error("E0319", format!("network `{}` has no layers", name.name))
                .with_primary(span, "empty network")
                .with_help("add layers such as `dense(8, relu)  dense(1)`");
            self.error(d);
            return;
        }
        let net_id = NetId(self.model.networks.len());
        let inputs = self.model.datasets[data.0].d();
        let ds = &self.model.datasets[data.0];
        let samples = (ds.x.nrows() + ds.validation_x.nrows() + ds.test_x.nrows()) as u64;
        let mut width = inputs;
        let mut out = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            let Some(l) = self.layer(net_id, &name.name, i, width, layer) else {
                return;
            };
            let cols = (width + usize::from(l.bias == BiasMode::Column)) as u64;
            let bytes = crate::budget::layer(l.outputs as u64, cols, samples);
            let what = format!(
                "layer {} of `{}` (`{}.W{}`)",
                i + 1,
                name.name,
                name.name,
                i + 1
            );
            let how = format!(
                "{} × {} weights, {} × {} activations",
                group_digits(l.outputs as u64),
                group_digits(cols),
                group_digits(samples),
                group_digits(l.outputs as u64)
            );
            if !self.reserve(&what, bytes, layer.span, how) {
                return;
            };
            width = l.outputs;
            out.push(l);
        }
        self.model.networks.push(model::Network {
            name: name.name.clone(),
            input: Some(data),
            inputs,
            layers: out,
            loaded_from: None,
            standardization: None,
            span,
        });
        self.declare(name, Def::Network(net_id));
    }

    fn layer(
        &mut self,
        net: NetId,
        net_name: &str,
        index: usize,
        inputs: usize,
        layer: &'a ast::Layer,
    ) -> Option<model::Layer> {
        if !LAYER_KINDS.contains(&layer.kind.name.as_str()) {
            let mut d = Diagnostic::error("E0319", format!("unknown layer `{}`", layer.kind.name))
                .with_primary(layer.kind.span, "not a layer kind")
                .with_note(format!("layers: {}", LAYER_KINDS.join(", ")));
            if let Some(s) = suggest(&layer.kind.name, LAYER_KINDS) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return None;
        }
        // Positional: width, activation; then named.
        let mut given: Vec<(&str, &ast::Arg)> = Vec::new();
        let mut positional = 0;
        for a in &layer.args {
            let key = match &a.name {
                Some(n) => {
                    if !DENSE_ARGS.contains(&n.name.as_str()) {
                        let mut d = Diagnostic::error(
                            "E0404",
                            format!("unknown option `{}` of `dense`", n.name),
                        )
                        .with_primary(n.span, "unknown option")
                        .with_note(format!("options of `dense`: {}", DENSE_ARGS.join(", ")));
                        if let Some(s) = suggest(&n.name, DENSE_ARGS) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        self.error(d);
                        return None;
                    }
                    n.name.as_str()
                }
                None => {
                    positional += 1;
                    match positional {
                        1 => "width",
                        2 => "activation",
                        _ => {
                            let d = Diagnostic::error("E0313", "`dense` takes at most two positional arguments (width, activation)")
                                .with_primary(a.span, "extra argument")
                                .with_help("name the other options, e.g. `bias = column`");
                            self.error(d);
                            return None;
                        }
                    }
                }
            };
            if let Some((_, prev)) = given.iter().find(|(k, _)| *k == key) {
                let d = Diagnostic::error("E0203", format!("`{key}` of `dense` is given twice"))
                    .with_primary(a.span, "given again here")
                    .with_label(prev.span, "first given here");
                self.error(d);
                return None;
            }
            given.push((key, a));
        }
        let get = |k: &str| given.iter().find(|(g, _)| *g == k).map(|(_, a)| *a);
        let Some(width_arg) = get("width") else {
            let d = Diagnostic::error("E0313", "`dense` needs its width")
                .with_primary(layer.span, "no width")
                .with_help("write `dense(8, relu)` for 8 units");
            self.error(d);
            return None;
        };
        let outputs = match self.option_value(&width_arg.value, Kind::Count)? {
            OptionValue::Number(w) if (1.0..=MAX_WIDTH).contains(&w) => w as usize,
            OptionValue::Number(w) if w > MAX_WIDTH => {
                let d = Diagnostic::error(
                    "E0304",
                    format!(
                        "a layer's width is at most 1,000,000, not {}",
                        crate::syntax::print::format_number(w)
                    ),
                )
                .with_primary(width_arg.value.span, "wider than the limit");
                self.error(d);
                return None;
            }
            _ => {
                let d = Diagnostic::error("E0304", "a layer's width must be a positive integer")
                    .with_primary(width_arg.value.span, "not a positive integer");
                self.error(d);
                return None;
            }
        };
        let activation = match get("activation") {
            Some(a) => self.resolve_activation(&a.value)?,
            None => self.resolve_activation_name("identity", layer.span)?,
        };
        let bias = match get("bias") {
            Some(a) => {
                match self.option_value(&a.value, Kind::Word(&["separate", "column", "none"]))? {
                    OptionValue::Word(w) if w == "column" => BiasMode::Column,
                    OptionValue::Word(w) if w == "none" => BiasMode::None,
                    _ => BiasMode::Separate,
                }
            }
            None => BiasMode::Separate,
        };
        let wbox = match get("weights") {
            Some(a) => Some(self.layer_box(&a.value)?),
            None => None,
        };
        let bbox = match get("biases") {
            Some(a) => {
                if bias != BiasMode::Separate {
                    let d = Diagnostic::error("E0405", "`biases` bounds a separate bias vector")
                        .with_primary(a.span, "this layer has no separate bias")
                        .with_help("with `bias = column` the bias is a column of the weights: bound it with `weights`");
                    self.error(d);
                    return None;
                }
                Some(self.layer_box(&a.value)?)
            }
            None => None,
        };
        let l = index + 1;
        let cols = inputs + usize::from(bias == BiasMode::Column);
        let weight = self.layer_var(
            format!("{net_name}.W{l}"),
            vec![outputs, cols],
            wbox,
            VarRole::Weight { net, layer: index },
            layer.span,
        );
        let bias_param = (bias == BiasMode::Separate).then(|| {
            LayerParam::Var(self.layer_var(
                format!("{net_name}.b{l}"),
                vec![outputs],
                bbox,
                VarRole::Bias { net, layer: index },
                layer.span,
            ))
        });
        Some(model::Layer {
            inputs,
            outputs,
            activation,
            bias,
            weight: LayerParam::Var(weight),
            bias_param,
            span: layer.span,
        })
    }

    fn layer_var(
        &mut self,
        name: String,
        dims: Vec<usize>,
        bounds: Option<(f64, f64)>,
        role: VarRole,
        span: Span,
    ) -> VarId {
        let id = VarId(self.model.vars.len());
        self.model.vars.push(model::Variable {
            name,
            shape: Shape(dims),
            lower: bounds.map(|b| b.0),
            upper: bounds.map(|b| b.1),
            role,
            span,
        });
        id
    }

    /// `r` (meaning `[-r, r]`) or `[lo, hi]`.
    fn layer_box(&mut self, e: &ast::Expr) -> Option<(f64, f64)> {
        let (lo, hi) = match &e.kind {
            ast::ExprKind::List(items) if items.len() == 2 => (
                self.const_number(&items[0], "a bound")?,
                self.const_number(&items[1], "a bound")?,
            ),
            ast::ExprKind::List(_) => {
                let d = Diagnostic::error("E0405", "a box is `[lo, hi]` or a radius `r`")
                    .with_primary(e.span, "not two numbers");
                self.error(d);
                return None;
            }
            _ => {
                let r = self.const_number(e, "a bound")?;
                (-r, r)
            }
        };
        if lo > hi || lo.is_nan() || hi.is_nan() {
            let d = Diagnostic::error("E0305", format!("empty box [{lo}, {hi}]"))
                .with_primary(e.span, "lower bound above upper bound");
            self.error(d);
            return None;
        }
        Some((lo, hi))
    }

    fn resolve_activation(&mut self, e: &ast::Expr) -> Option<model::Activation> {
        match &e.kind {
            ast::ExprKind::Name(n) => self.resolve_activation_name(n, e.span),
            _ => {
                let d = Diagnostic::error("E0405", "expected an activation name")
                    .with_primary(e.span, "not a name")
                    .with_help("write e.g. `relu`, `sigmoid`, `softplus` or `identity`");
                self.error(d);
                None
            }
        }
    }

    pub(super) fn resolve_activation_name(
        &mut self,
        name: &str,
        span: Span,
    ) -> Option<model::Activation> {
        let Some((def, _)) = self.activations.get(name).copied() else {
            let mut names: Vec<&str> = self.activations.keys().map(String::as_str).collect();
            names.sort_unstable();
            let mut d = Diagnostic::error("E0205", format!("unknown activation `{name}`"))
                .with_primary(span, "not an activation")
                .with_note(format!("activations: {}", names.join(", ")));
            if let Some(s) = suggest(name, names.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return None;
        };
        let (p, q) = self.activation_split(def)?;
        Some(model::Activation {
            name: name.to_string(),
            p,
            q,
        })
    }

    /// `network name = load("weights.json")`: a network with fixed weights from a weights
    /// file (relative to the model file), e.g. for queries on a trained network.
    pub(super) fn network_load(
        &mut self,
        span: Span,
        name: &ast::Ident,
        source: &ast::Ident,
        args: &[ast::Arg],
    ) {
        if source.name != "load" {
            let d = Diagnostic::error("E0319", format!("unknown network source `{}`", source.name))
                .with_primary(source.span, "not a network source")
                .with_help("write `network NAME = load(\"weights.json\")`");
            self.error(d);
            return;
        }
        let path = match args {
            [ast::Arg {
                name: None,
                value:
                    ast::Expr {
                        kind: ast::ExprKind::Str(p),
                        ..
                    },
                ..
            }] => p.clone(),
            _ => {
                let d =
                    Diagnostic::error("E0313", "`load` takes the weights file's path, a string")
                        .with_primary(span, "write `load(\"weights.json\")`");
                self.error(d);
                return;
            }
        };
        let full = self.base_dir.join(&path);
        let file = match crate::nn::weights::read(&full, self.sources) {
            Ok(f) => f,
            Err(d) => {
                let d = d.with_label(args[0].span, "loaded here");
                self.error(d);
                return;
            }
        };
        let mut layers = Vec::with_capacity(file.layers.len());
        let mut inputs = file.inputs;
        for record in &file.layers {
            let Some(activation) = self.resolve_activation_name(&record.activation, args[0].span)
            else {
                return;
            };
            let bias = record.bias_mode();
            layers.push(model::Layer {
                inputs,
                outputs: record.shape[0],
                activation,
                bias,
                weight: LayerParam::Fixed(record.weight_matrix()),
                bias_param: record.bias.as_ref().map(|b| {
                    LayerParam::Fixed(nalgebra::DMatrix::from_column_slice(b.len(), 1, b))
                }),
                span,
            });
            inputs = record.shape[0];
        }
        let id = NetId(self.model.networks.len());
        self.model.networks.push(model::Network {
            name: name.name.clone(),
            input: None,
            inputs: file.inputs,
            layers,
            loaded_from: Some(path),
            standardization: file.standardization.clone(),
            span,
        });
        self.declare(name, Def::Network(id));
    }
}
