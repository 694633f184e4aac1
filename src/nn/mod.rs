//! Numeric networks and models: forward passes, gradients, metrics, weights files and the
//! Adam baseline.
//!
//! Everything here works on numbers, after a method (or a weights file) has produced values
//! for the decision variables: [`eval`] recomputes the non-convex objective and each
//! constraint's slack with gradients, [`network`] runs a trained network, [`metrics`] scores
//! its predictions, [`weights`] stores it, and [`adam`] trains the same objective by gradient
//! descent as a baseline.

pub mod activation;
pub mod adam;
mod error;
pub mod eval;
pub mod metrics;
pub mod network;
pub mod values;
pub mod weights;

pub use activation::ActivationFn;
pub use adam::{AdamOptions, AdamResult};
pub use error::EvalError;
pub use eval::{objective, slacks, value, value_and_gradient, Slack};
pub use network::{DenseLayer, DenseNet};
pub use values::Values;
pub use weights::{read as read_weights, write_atomic, WeightsFile};

#[cfg(test)]
mod adam_tests;
#[cfg(test)]
mod gradient_tests;
#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod test_models;
#[cfg(test)]
mod weights_tests;
