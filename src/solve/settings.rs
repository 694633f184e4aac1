//! Solver settings, the model's `solver` block after defaults are filled in.

/// Settings shared by the back ends; microlp reads only `time_limit`.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Interior-point iteration limit (Clarabel).
    pub max_iter: u32,
    /// Wall-time limit in seconds, none by default.
    pub time_limit: Option<f64>,
    /// Absolute duality-gap tolerance (Clarabel).
    pub tol_gap_abs: f64,
    /// Relative duality-gap tolerance (Clarabel).
    pub tol_gap_rel: f64,
    /// Primal and dual feasibility tolerance (Clarabel).
    pub tol_feas: f64,
    /// Let the solver print its own progress to stdout.
    pub verbose: bool,
}

impl Default for Settings {
    /// The defaults of the `solver` block: Clarabel's own, 200 iterations, tolerances 1e-8.
    fn default() -> Settings {
        Settings {
            max_iter: 200,
            time_limit: None,
            tol_gap_abs: 1e-8,
            tol_gap_rel: 1e-8,
            tol_feas: 1e-8,
            verbose: false,
        }
    }
}
