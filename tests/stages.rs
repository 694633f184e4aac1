//! Every example's lowered stages — the method's lowering stage (named by the method:
//! `patterns`, `rank_lifting`, or `direct` for a model without a network) and its sub-stages
//! (`complementarity`), convex program, conic problem —
//! match their snapshots (`snapshots/stages__{<method>,convex,conic}@<file>.snap`). Long stages
//! are cut to their first 80 lines plus a line count, so the snapshot shows the header, sizes
//! and first rows. A method that cannot be lowered yet is recorded as its diagnostic, so the
//! snapshot changes when it can.

mod common;

use cnnc::diag::render;
use cnnc::driver::stages;

const KEEP: usize = 80;

fn cut(text: String) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= KEEP {
        return text;
    }
    format!(
        "{}\n… {} more lines\n",
        lines[..KEEP].join("\n"),
        lines.len() - KEEP
    )
}

#[test]
fn example_stages() {
    insta::glob!("../examples", "*.cnn", |path| {
        let (sources, _, model) = common::frontend(path).expect("example checks");
        let program = match stages::program(&model, &sources, None) {
            Ok(p) => p,
            Err(d) => {
                insta::assert_snapshot!("lowering", render(&sources, &d, false));
                return;
            }
        };
        // The method's own stage, named by the method (`--emit lowering`).
        let lowering = program.lowering();
        insta::assert_snapshot!(lowering.name(), lowering.stage_text(&model));
        // Its sub-stages (rank lifting: `complementarity`), each named by itself.
        for stage in lowering.sub_stages(&model) {
            insta::assert_snapshot!(stage.name, stage.text);
        }
        insta::assert_snapshot!(
            "convex",
            cut(cnnc::convex::print::print(&program.translation().program))
        );
        let (conic, _) = stages::conic(&program).expect("canonicalizes");
        insta::assert_snapshot!("conic", cut(cnnc::conic::print::print(&conic, &sources)));
    });
}
