//! cnnc: a compiler for `.cnn` models — neural-network training with hard constraints,
//! lowered to conic programs.
//!
//! The stages, one public function per arrow:
//!
//! ```text
//! .cnn text ──syntax::parse──▶ AST ──sema::check──▶ model IR ──lower──▶ convex program
//!      ──canonicalize──▶ conic IR ──solve──▶ solution ──▶ trained weights, metrics
//! ```
//!
//! [`frontend`] runs the first two arrows (with the standard library loaded); every stage's
//! output can be printed with `cnnc compile --emit <stage>`.
#![warn(missing_docs)]

pub mod budget;
pub mod conic;
pub mod convex;
pub mod diag;
pub mod driver;
pub mod lower;
pub mod model;
pub mod nn;
pub mod output;
pub mod sema;
pub mod solve;
pub mod syntax;

use std::path::Path;

use diag::{Diagnostic, SourceId, SourceMap};

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
