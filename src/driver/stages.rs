//! The stages after the model: the training method's lowering (or none, for a model without a
//! network), the convex program, and its conic form — what `cnnc compile --emit` prints.

use std::fmt::Write as _;

use crate::conic::canon::{canonicalize, ColumnMap};
use crate::conic::ConicProblem;
use crate::convex::from_model::{self, NoLowering, Translation};
use crate::diag::{Diagnostic, SourceMap};
use crate::lower::patterns::lowering::{self, Lowered};
use crate::lower::patterns::Source;
use crate::model::{LayerParam, MethodKind, Model};
use crate::sema::options::method_name;

use super::train::pick_method;

/// The convex program of a model: directly for a model without a trainable network, through
/// its training method's lowering otherwise.
pub enum Program {
    /// A model without a trainable network, translated as it is.
    Direct(Box<Translation>),
    /// The pattern lowering's result (its program is [`Lowered::translation`]).
    Patterns(Box<Lowered>),
}

impl Program {
    /// The program and where model variables went.
    pub fn translation(&self) -> &Translation {
        match self {
            Program::Direct(t) => t,
            Program::Patterns(l) => &l.translation,
        }
    }

    /// The pattern lowering's result, when the model was lowered with it.
    pub fn patterns(&self) -> Option<&Lowered> {
        match self {
            Program::Direct(_) => None,
            Program::Patterns(l) => Some(l),
        }
    }
}

/// Whether the model has a network with trainable weights.
pub fn has_trainable_network(model: &Model) -> bool {
    model.networks.iter().any(|n| {
        n.layers
            .iter()
            .any(|l| matches!(l.weight, LayerParam::Var(_)))
    })
}

/// Lowers `model` to a convex program (with `method`, or its first method, if it has a network).
pub fn program(
    model: &Model,
    sources: &SourceMap,
    method: Option<&str>,
) -> Result<Program, Vec<Diagnostic>> {
    if !has_trainable_network(model) {
        let translation = from_model::program(model, sources, &mut NoLowering)?;
        return Ok(Program::Direct(Box::new(translation)));
    }
    let m = pick_method(model, method)?;
    match m.kind {
        MethodKind::Patterns => {
            Ok(Program::Patterns(Box::new(lowering::lower(model, sources, m)?)))
        }
        other => Err(vec![m.label(Diagnostic::error(
            "E1102",
            format!("method `{}` has no convex program to show in this version of cnnc", method_name(other)),
        ), true, "no lowering yet")
        .with_note("the pattern method lowers two-layer ReLU networks; a model without a network is lowered directly")]),
    }
}

/// The conic form of a program.
pub fn conic(p: &Program) -> Result<(ConicProblem, ColumnMap), Vec<Diagnostic>> {
    canonicalize(&p.translation().program)
}

/// The `--emit patterns` text: how the patterns were found, and each pattern's active samples
/// (as a bit string while the data are small).
pub fn patterns_text(l: &Lowered) -> String {
    let p = &l.patterns;
    let mut s = String::new();
    let source = match p.source {
        Source::Exact => "exact enumeration".to_string(),
        Source::Sampled {
            strategy,
            draws,
            seed,
        } => {
            format!(
                "sampled: {draws} draws, strategy {}, seed {seed}",
                strategy.name()
            )
        }
    };
    let (n, d) = l.x.shape();
    let _ = writeln!(
        s,
        "data       {n} samples x {d} columns{}, rank {}",
        if l.bias_column {
            " (bias column last)"
        } else {
            ""
        },
        p.rank
    );
    let _ = writeln!(
        s,
        "patterns   {} non-empty ({} with the empty one), {source}",
        p.len(),
        p.len_with_empty()
    );
    let _ = writeln!(
        s,
        "blocks     {} output(s) x {} patterns x (v, w) of length {d}",
        l.blocks.len(),
        p.len()
    );
    const SHOWN: usize = 64;
    for (i, pat) in p.iter().enumerate().take(SHOWN) {
        let bits: String = if n <= 80 {
            (0..n).map(|j| if pat.get(j) { '1' } else { '0' }).collect()
        } else {
            format!("{} of {n} active", pat.count_active())
        };
        let _ = writeln!(s, "  D[{i}] {bits}");
    }
    if p.len() > SHOWN {
        let _ = writeln!(s, "  … {} more patterns", p.len() - SHOWN);
    }
    s
}

/// The `--emit patterns --format json` object: the data, the pattern masks and the weight
/// decay, enough to rebuild the same program elsewhere (`scripts/cvxpy_patterns.py`).
pub fn patterns_json(l: &Lowered, model: &Model) -> serde_json::Value {
    let (n, d) = l.x.shape();
    let net = &model.networks[l.net.0];
    let y = net
        .input
        .map(|id| {
            let y = &model.datasets[id.0].y;
            (0..y.nrows())
                .map(|i| y.row(i).iter().copied().collect::<Vec<f64>>())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let objective = model
        .objective
        .as_ref()
        .map(|o| crate::model::print::expr(model, &o.expr))
        .unwrap_or_default();
    serde_json::json!({
        "x": (0..n).map(|i| (0..d).map(|k| l.x[(i, k)]).collect::<Vec<f64>>()).collect::<Vec<_>>(),
        "y": y,
        "beta": 2.0 * l.gamma,
        "objective": objective,
        "rank": l.patterns.rank,
        "masks": l.patterns.iter().map(|p| (0..n).map(|j| u8::from(p.get(j))).collect::<Vec<u8>>()).collect::<Vec<_>>(),
    })
}
