//! The Conic Benchmark Format (CBF, versions 1–3): the text format of CBLIB that MOSEK,
//! JuMP/MathOptInterface and R's ROI read. [`write()`] exports a [`ConicProblem`]; [`read`] lexes
//! (logos), parses and checks a CBF file into one, so `cnnc solve FILE.cbf` can solve it.
//!
//! CBF states a problem as `min/max g_obj` subject to affine expressions in cones,
//! `g = Σ⟨F_j, X_j⟩ + G x + h ∈ K'` and `Σ x_j H_j + D ⪰ 0`, with variables `x ∈ K_x` and
//! `X_j ⪰ 0`. Our form is `min ½xᵀPx + qᵀx + c` with `A x + s = b, s ∈ K`, so a CBF row maps
//! to a slack `s = g`, i.e. `A = −G`, `b = h` (see the `build` and `write` modules for each
//! cone's mapping, including the reversed order of the exponential cone's entries).
//!
//! Reading accepts everything the writer emits and what the CBF documentation's examples use:
//! `VAR` cones `F, L+, L-, L=, Q, QR, EXP, @k:POW` (3 entries), `PSDVAR` with
//! `FCOORD`/`OBJFCOORD`, `PSDCON` with `HCOORD`/`DCOORD`, `INT`, `OBJSENSE MAX`. A `CHANGE`
//! keyword (version 1 hotstart sequences) ends the first instance, as the standard allows.
//! Not supported, with an error: dual cones `EXP*`, `@k:POW*`, power cones with other than 2
//! parameters.
//!
//! Error codes: E0701 unknown keyword, E0702 malformed number, E0703 malformed line (fields),
//! E0704 line count differs from the declared count (truncated item or file, stray line),
//! E0705 inconsistent sizes, E0706 index out of range, E0707 coordinate given twice,
//! E0708 unsupported cone, E0709 `VER` missing, misplaced or unsupported, E0710 keyword
//! repeated, E0711 keyword out of order, E0712 `OBJSENSE` missing or invalid.

mod build;
mod lexer;
mod parse;
mod report;
mod write;

pub use report::{
    exit_code, report_json, report_text, EXIT_BAD_INPUT, EXIT_CANNOT_SOLVE, EXIT_INFEASIBLE,
    EXIT_NOT_SOLVED, EXIT_SOLVED, EXIT_UNBOUNDED,
};
pub use write::write;

pub(crate) use write::num;

use crate::conic::ConicProblem;
use crate::diag::{Diagnostic, SourceMap};

/// Reads CBF `text`, adding it to `sources` under `name` so diagnostics show its lines.
/// All syntax errors are reported together; if there are none, all meaning errors are.
pub fn read(
    sources: &mut SourceMap,
    name: &str,
    text: String,
) -> Result<ConicProblem, Vec<Diagnostic>> {
    let id = sources.add(name, None, text);
    let (file, diags) = parse::parse(id, &sources.get(id).text);
    if !diags.is_empty() {
        return Err(diags);
    }
    build::build(&file)
}
