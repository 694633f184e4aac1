//! Source text → AST: the pest grammar (`grammar/cnn.pest`), the typed tree and its printer.

pub mod ast;
mod parse;
pub mod print;

pub use parse::parse;
