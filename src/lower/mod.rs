//! Rewritings of the model towards conic form, one module per method.

pub mod patterns;
