//! Hyperplane activation patterns for the exact convex program of two-layer ReLU networks
//! (Pilanci & Ergen 2020; docs/PATTERNS.md, docs/REFERENCE.md).
//!
//! A pattern is `D = diag(1[X g ≥ 0])` for some `g`; with the distinct non-empty patterns
//! `D_1..D_P` of the data `X` (n×d, bias column included), the network
//! `min ½‖Σ_j (X u_j)₊ α_j − y‖² + (β/2) Σ_j (‖u_j‖² + α_j²)` has the same optimum as the group lasso
//!
//! ```text
//! min_{v_i, w_i}  ½‖Σ_i D_i X (v_i − w_i) − y‖² + β Σ_i (‖v_i‖₂ + ‖w_i‖₂)
//! s.t.            (2D_i − I) X v_i ≥ 0,  (2D_i − I) X w_i ≥ 0
//! ```
//!
//! This module finds the patterns — [`exact`]ly for rank ≤ 3 ([`arrangement`]), or [`sampled`]
//! ([`sample`]) — builds the program ([`lowering`]: `D_i X` is a row mask, never an n×n
//! matrix), maps a solution back to neurons ([`mod@recover`]) and prices patterns for column
//! generation ([`price`]) in a working-set solve ([`working_set`]) behind the
//! [`Lowering`](crate::lower::Lowering) interface ([`info`]).

pub mod arrangement;
pub mod info;
pub mod lowering;
pub mod pattern;
pub mod price;
pub mod recover;
pub mod rowspace;
pub mod sample;
pub mod working_set;

pub use arrangement::{cell_bound, exact, exact_in, pattern_bound};
pub use pattern::{Pattern, Patterns, Source};
pub use price::{facets, price_all, project, scores, search, PricingData};
pub use recover::{
    convex_objective, convex_prediction, forward, max_violation, merge, nonconvex_objective, prune,
    recover, reduce, regularizer_sum, Blocks, Network, ACTIVE_RTOL, PRUNE_RTOL, REDUCE_RTOL,
    ZERO_BLOCK_RTOL,
};
pub use rowspace::{rank, PatternError, RowSpace};
pub use sample::{sampled, sampled_in, Strategy};
