//! The commands behind the CLI as library functions: training with any method, the report,
//! and the stages that `cnnc compile --emit` prints. `src/main.rs` only parses arguments and
//! prints what these return.

pub mod eval;
pub mod figures;
pub mod query;
pub mod report;
pub mod stages;
pub mod train;
pub mod tune;

pub use report::{report, text, Report};
pub use train::{pick_method, train, Exactness, TrainError, Trained};
