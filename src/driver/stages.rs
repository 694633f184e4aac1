//! The stages after the model: the training method's lowering (the model as written, for a
//! model without a network), the convex program, and its conic form — what `cnnc compile
//! --emit` prints. [`lowering()`] is the one place that maps a method to its lowering.

use crate::conic::canon::{canonicalize, ColumnMap};
use crate::conic::ConicProblem;
use crate::convex::from_model::Translation;
use crate::diag::{Diagnostic, SourceMap};
use crate::lower::big_m::BigM;
use crate::lower::convex_nn::ConvexNn;
use crate::lower::direct::Direct;
use crate::lower::patterns::lowering;
use crate::lower::rank_lifting::RankLifting;
use crate::lower::Lowering;
use crate::model::{Method, MethodKind, Model};
use crate::sema::options::method_name;

pub use crate::lower::patterns::info::{patterns_json, patterns_text};

use super::train::pick_method;

/// The lowering of `method`, or `None` when the method has none (a gradient method, or one
/// not available yet). Adding a method is one arm here.
pub fn lowering(
    model: &Model,
    sources: &SourceMap,
    method: &Method,
) -> Result<Option<Box<dyn Lowering>>, Vec<Diagnostic>> {
    Ok(match method.kind {
        MethodKind::Patterns => Some(Box::new(lowering::lower(model, sources, method)?)),
        MethodKind::RankLifting => Some(Box::new(RankLifting::lower(model, sources, method)?)),
        MethodKind::ConvexNn => Some(Box::new(ConvexNn::lower(model, sources, method)?)),
        MethodKind::BigM => Some(Box::new(BigM::lower(model, sources, method)?)),
        MethodKind::Direct => Some(Box::new(Direct::lower(model, sources, method)?)),
        _ => None,
    })
}

/// A model's lowering, for the stages `cnnc compile --emit` prints.
pub struct Program {
    lowering: Box<dyn Lowering>,
}

impl Program {
    /// The lowering.
    pub fn lowering(&self) -> &dyn Lowering {
        self.lowering.as_ref()
    }

    /// The program and where model variables went.
    pub fn translation(&self) -> &Translation {
        self.lowering.translation()
    }
}

/// Lowers `model` to a convex program: as written when it has no network, else with `method`
/// (or its first method).
pub fn program(
    model: &Model,
    sources: &SourceMap,
    method: Option<&str>,
) -> Result<Program, Vec<Diagnostic>> {
    if model.networks.is_empty() {
        let lowering = Box::new(Direct::build(model, sources)?);
        return Ok(Program { lowering });
    }
    // A query (loaded networks only) is lowered by big_m when it declares no method.
    let default;
    let m = if method.is_none() && model.methods.is_empty() && model.trainable_networks().is_empty()
    {
        default = super::train::method_or_default(model, "big_m")?;
        &default
    } else {
        pick_method(model, method)?
    };
    match lowering(model, sources, m)? {
        Some(lowering) => Ok(Program { lowering }),
        None => Err(vec![m.label(Diagnostic::error(
            "E1102",
            format!("method `{}` has no convex program to show in this version of cnnc", method_name(m.kind)),
        ), true, "no convex program")
        .with_note("lowered today: patterns (two-layer ReLU networks), rank_lifting (ReLU networks of any depth), convex_nn (networks with DC activations), big_m (queries on loaded ReLU networks); a model without a network is lowered directly")]),
    }
}

/// What `cnnc check` checks: the model's convexity as a training method will see it
/// ([`crate::convex::from_model::check_convexity`]); for a model that trains nothing, its
/// program as `cnnc solve` builds it (big-M encodes loaded networks, and the piecewise-linear
/// atoms exactly where they are not convex).
pub fn check(model: &Model, sources: &SourceMap) -> Result<(), Vec<Diagnostic>> {
    if !model.trainable_networks().is_empty() || model.networks.is_empty() {
        return crate::convex::from_model::check_convexity(model, sources);
    }
    let method = match model.methods.iter().find(|m| m.kind == MethodKind::BigM) {
        Some(m) => m.clone(),
        None => super::train::method_or_default(model, "big_m")?,
    };
    let l = BigM::lower(model, sources, &method)?;
    let errs = crate::convex::dcp::check(&l.translation().program);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// The conic form of a program.
pub fn conic(p: &Program) -> Result<(ConicProblem, ColumnMap), Vec<Diagnostic>> {
    canonicalize(&p.translation().program)
}
