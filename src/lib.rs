//! cnnc: a compiler for `.cnn` models.
#![warn(missing_docs)]

pub mod conic;
pub mod convex;
pub mod diag;
pub mod syntax;
