//! Solver settings, the model's `solver` block after defaults are filled in.

use crate::model::OptionValue;

/// Settings shared by the back ends; microlp and CBC read only `time_limit`.
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

impl Settings {
    /// The same settings with the three tolerances `factor` times looser (at most 1e-4).
    pub fn loosened(&self, factor: f64) -> Settings {
        let l = |t: f64| (t * factor).min(1e-4).max(t);
        Settings {
            tol_gap_abs: l(self.tol_gap_abs),
            tol_gap_rel: l(self.tol_gap_rel),
            tol_feas: l(self.tol_feas),
            ..self.clone()
        }
    }

    /// The settings of a model's `solver` block, whose options the checker has already
    /// validated; options that do not apply here keep their defaults.
    pub fn from_options(options: &[(String, OptionValue)]) -> Settings {
        let mut s = Settings::default();
        for (name, value) in options {
            match (name.as_str(), value) {
                // `as` saturates; the checker only lets counts through.
                ("max_iter", OptionValue::Number(v)) => s.max_iter = *v as u32,
                ("time_limit", OptionValue::Number(v)) => s.time_limit = Some(*v),
                ("tol_gap_abs", OptionValue::Number(v)) => s.tol_gap_abs = *v,
                ("tol_gap_rel", OptionValue::Number(v)) => s.tol_gap_rel = *v,
                ("tol_feas", OptionValue::Number(v)) => s.tol_feas = *v,
                ("verbose", OptionValue::Bool(v)) => s.verbose = *v,
                _ => {}
            }
        }
        s
    }

    /// The solver options of `cnnc solve FILE.cbf --option NAME=VALUE`: `max_iter` (a count),
    /// `tol_gap_abs`, `tol_gap_rel`, `tol_feas` (positive numbers); the error says what is wrong.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Settings, String> {
        let mut s = Settings::default();
        for (name, text) in pairs {
            let v: f64 = match text.trim().parse() {
                Ok(v) if f64::is_finite(v) && v > 0.0 => v,
                _ => return Err(format!("`{name}={text}`: expected a positive number")),
            };
            match name.as_str() {
                "max_iter" if v.fract() == 0.0 && v <= f64::from(u32::MAX) => s.max_iter = v as u32,
                "max_iter" => return Err(format!("`max_iter={text}`: expected a whole number")),
                "tol_gap_abs" => s.tol_gap_abs = v,
                "tol_gap_rel" => s.tol_gap_rel = v,
                "tol_feas" => s.tol_feas = v,
                _ => {
                    return Err(format!(
                        "`{name}` is not a solver option of a CBF solve; the options are max_iter, tol_gap_abs, tol_gap_rel and tol_feas (--time-limit for the time)"
                    ))
                }
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_solver_block() {
        let options = vec![
            ("max_iter".to_string(), OptionValue::Number(50.0)),
            ("time_limit".to_string(), OptionValue::Number(2.5)),
            ("tol_feas".to_string(), OptionValue::Number(1e-6)),
            ("verbose".to_string(), OptionValue::Bool(true)),
        ];
        let s = Settings::from_options(&options);
        assert_eq!(
            s,
            Settings {
                max_iter: 50,
                time_limit: Some(2.5),
                tol_feas: 1e-6,
                verbose: true,
                ..Settings::default()
            }
        );
        assert_eq!(Settings::from_options(&[]), Settings::default());
    }

    #[test]
    fn reads_command_line_pairs() {
        let pair = |n: &str, v: &str| vec![(n.to_string(), v.to_string())];
        let s = Settings::from_pairs(&pair("tol_gap_rel", "1e-10")).unwrap();
        assert_eq!(s.tol_gap_rel, 1e-10);
        assert_eq!(
            Settings::from_pairs(&pair("max_iter", "7"))
                .unwrap()
                .max_iter,
            7
        );
        for (n, v) in [
            ("max_iter", "2.5"),
            ("tol_feas", "-1"),
            ("tol_feas", "x"),
            ("iters", "3"),
        ] {
            assert!(Settings::from_pairs(&pair(n, v)).is_err(), "{n}={v}");
        }
    }
}
