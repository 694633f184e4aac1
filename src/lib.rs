//! cnnc: a compiler for `.cnn` models — neural-network training with hard constraints,
//! lowered to conic programs.
//!
//! The stages, each arrow named by the folder (module) that does it and the public function
//! that runs it:
//!
//! ```text
//! .cnn text ──syntax, sema: frontend()──▶ model IR (model)
//!      ──lower: lower()──▶ the method's Lowering, holding its convex program (convex)
//!      ──conic::canon: canonicalize()──▶ conic IR (conic)
//!      ──solve: solve() (or solve::Session, reused between passes)──▶ solution
//!      ──lower: Lowering::recover, measure, next──▶ model values (or another pass)
//!      ──nn: driver::report()──▶ trained weights, metrics
//! ```
//! [`train()`] runs every arrow after the front end, looping while the lowering asks for
//! another pass. Inside `lower/`, one folder or file per rewriting: `patterns/` (Pilanci–Ergen,
//! one pass), `complementarity.rs` (the ReLU network as bilinear equalities) feeding
//! `rank_lifting/` (nuclear norms, sequential), `convex_nn/` (parabolic relaxation, DC
//! activations, penalty; sequential), `network.rs` and `start.rs` (shared by the layer-by-layer
//! methods), `direct.rs` (a model without a network). Every
//! stage's output can be printed with `cnnc compile --emit <stage>` (the method's own stage
//! with `--emit lowering`, a sub-stage by its name, e.g. `--emit complementarity` or
//! `--emit parabolic`).
//!
//! Adding a training method is new files under `src/lower/` implementing
//! [`lower::Lowering`], one match arm in [`driver::stages::lowering()`], its snapshots
//! (`tests/stages.rs` names the lowering stage's snapshot after the method, and each sub-stage
//! after itself) and its rows in `docs/ERRORS.md`.
#![warn(missing_docs)]

pub mod budget;
pub mod conic;
pub mod convex;
pub mod diag;
pub mod driver;
pub mod figures;
pub mod lower;
pub mod model;
pub mod nn;
pub mod onnx;
pub mod output;
pub mod plot;
pub mod progress;
pub mod sema;
pub mod solve;
pub mod syntax;

use std::path::Path;

use diag::{Diagnostic, SourceId, SourceMap};

pub use conic::canon::canonicalize;
pub use driver::train;
pub use solve::solve;

/// The lowering of `model` with `method` (which need not be declared), or `None` for a method
/// without one (a gradient method, or one not available yet).
pub fn lower(
    model: &model::Model,
    sources: &SourceMap,
    method: &model::Method,
) -> Result<Option<Box<dyn lower::Lowering>>, Vec<Diagnostic>> {
    driver::stages::lowering(model, sources, method)
}

/// Reads a model file into the source map, under the name it was given by. A UTF-8 byte-order
/// mark (which some Windows editors write) is dropped, so spans count from the first character.
pub fn read_model(sources: &mut SourceMap, path: &Path) -> Result<SourceId, Vec<Diagnostic>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = match text.strip_prefix('\u{feff}') {
                Some(rest) => rest.to_string(),
                None => text,
            };
            Ok(sources.add(path.display().to_string(), Some(path), text))
        }
        Err(e) => Err(vec![Diagnostic::error(
            "E0001",
            format!("cannot read model file `{}`: {e}", path.display()),
        )
        .with_help(
            "give the path of a `.cnn` file, e.g. `examples/seed003_1d.cnn`",
        )]),
    }
}

/// Parses and checks the model source `src`: AST and resolved model.
///
/// Data paths are relative to `base_dir` (the model file's directory).
pub fn frontend(
    sources: &mut SourceMap,
    src: SourceId,
    base_dir: &Path,
    overrides: &sema::Overrides,
) -> Result<(syntax::ast::File, model::Model), Vec<Diagnostic>> {
    let file = syntax::parse(sources, src)?;
    let library = sema::load_library(sources, &file)?;
    let model = sema::check(sources, &file, &library, base_dir, overrides)?;
    Ok((file, model))
}
