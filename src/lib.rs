//! cnnc: a compiler for `.cnn` models.
#![warn(missing_docs)]

pub mod conic;
pub mod diag;
pub mod syntax;
pub mod nn;
