//! The per-iteration progress line of the sequential methods, on stderr, for terminals only:
//! `rank_lifting  12/50  objective 270.000001  violation 3.2e-5  fit 1.1e-3`.
//!
//! A disabled [`Progress`] draws on indicatif's hidden target, so it writes nothing; an enabled
//! one is redrawn after every iteration and cleared when finished or dropped (an error's
//! diagnostics then print on a clean line).
//!
//! For a run without passes, an [`Activity`] line says what is going on inside it — Clarabel's
//! iterations with the current relative gap, Adam's restarts and epochs — once the run has
//! taken a second. The code doing the work calls [`status`]; it draws only while an activity
//! is active on the same thread, so library users and tests see nothing.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress line of one training run.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    max_iterations: usize,
    method: String,
}

impl Progress {
    /// A progress line for `method`'s run of at most `max_iterations` iterations on stderr,
    /// drawn only when `enabled`.
    pub fn new(enabled: bool, max_iterations: usize, method: &str) -> Self {
        Self::with_target(
            enabled,
            ProgressDrawTarget::stderr(),
            max_iterations,
            method,
        )
    }

    /// Whether a progress line belongs on stderr: it is a terminal and the report is not JSON.
    pub fn enabled_for_stderr(json_report: bool) -> bool {
        !json_report && std::io::stderr().is_terminal()
    }

    /// As [`Progress::new`], drawing on `target` when `enabled` (else on the hidden target).
    fn with_target(
        enabled: bool,
        target: ProgressDrawTarget,
        max_iterations: usize,
        method: &str,
    ) -> Self {
        let target = if enabled {
            target
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(max_iterations as u64), target).with_style(
            ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            max_iterations,
            method: method.to_string(),
        }
    }

    /// Shows iteration `k` (1-based) finished, with the values known so far.
    pub fn iteration(
        &self,
        k: usize,
        objective: Option<f64>,
        violation: Option<f64>,
        fit: Option<f64>,
    ) {
        self.bar.set_position(k as u64);
        self.bar.set_message(line(
            &self.method,
            k,
            self.max_iterations,
            objective,
            violation,
            fit,
        ));
        // Iterations can be seconds apart: draw now rather than when the rate limit allows.
        self.bar.force_draw();
    }

    /// Runs `f` (which may print to stderr) with the line hidden, then redraws it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Clears the line.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

thread_local! {
    /// The activity line of the run on this thread, if one is shown.
    static ACTIVE: RefCell<Option<(ProgressBar, Duration)>> = const { RefCell::new(None) };
}

/// The status line of one run (`patterns  clarabel iteration 12  relative gap 3.1e-4  4 s`),
/// shown while it lives and cleared when dropped.
#[derive(Debug)]
pub struct Activity {
    bar: ProgressBar,
}

impl Activity {
    /// A status line on stderr for a run of `what`, drawn when `enabled` and only once the run
    /// has taken a second.
    pub fn begin(enabled: bool, what: &str) -> Activity {
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Activity::with_target(target, what, Duration::from_secs(1))
    }

    pub(crate) fn with_target(target: ProgressDrawTarget, what: &str, after: Duration) -> Activity {
        let bar = ProgressBar::with_draw_target(None, target).with_style(
            ProgressStyle::with_template("{prefix}  {msg}  {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(what.to_string());
        ACTIVE.with(|a| *a.borrow_mut() = Some((bar.clone(), after)));
        Activity { bar }
    }

    /// Says what the run is now (`tune beta=0.1`).
    pub fn rename(&self, what: &str) {
        self.bar.set_prefix(what.to_string());
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        ACTIVE.with(|a| *a.borrow_mut() = None);
        self.bar.finish_and_clear();
    }
}

/// The active line of this thread, to update from elsewhere (a solver's callback), with the
/// time after which it is drawn.
pub fn active() -> Option<(ProgressBar, Duration)> {
    ACTIVE.with(|a| a.borrow().clone())
}

/// Shows `text` on `bar` once the run has taken `after`.
pub fn show(bar: &ProgressBar, after: Duration, text: impl FnOnce() -> String) {
    if bar.elapsed() >= after {
        bar.set_message(text());
        bar.tick();
    }
}

/// Says what the run on this thread's active line is doing now (`patterns  working set pass
/// 3, 40 of 2451 patterns`), if there is a line: the text before the solver's iterations.
pub fn stage(what: impl FnOnce() -> String) {
    if let Some((bar, _)) = active() {
        bar.set_prefix(what());
    }
}

/// Shows `text` on this thread's active line, if there is one.
pub fn status(text: impl FnOnce() -> String) {
    if let Some((bar, after)) = active() {
        show(&bar, after, text);
    }
}

/// The text of the progress line: method, `k/max` (k right-aligned to max's width), then each
/// known value — the objective to 6 decimals (or in exponent form beyond [10⁻³, 10⁶)), the
/// violation and the fit to 2 significant digits.
pub fn line(
    method: &str,
    k: usize,
    max_iterations: usize,
    objective: Option<f64>,
    violation: Option<f64>,
    fit: Option<f64>,
) -> String {
    let width = max_iterations.to_string().len();
    let mut text = format!("{method}  {k:>width$}/{max_iterations}");
    let values = [
        ("objective", objective.map(objective_text)),
        ("violation", violation.map(residual_text)),
        ("fit", fit.map(residual_text)),
    ];
    for (name, value) in values {
        if let Some(value) = value {
            text.push_str(&format!("  {name} {value}"));
        }
    }
    text
}

/// `270.000001`, `-1.500000e-7`, `0`.
fn objective_text(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        x.to_string()
    } else if (1e-3..1e6).contains(&x.abs()) {
        format!("{x:.6}")
    } else {
        format!("{x:.6e}")
    }
}

/// `3.2e-5`, `0`.
fn residual_text(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        x.to_string()
    } else {
        format!("{x:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::InMemoryTerm;

    #[test]
    fn the_line_shows_the_known_values() {
        assert_eq!(
            line(
                "rank_lifting",
                12,
                50,
                Some(270.000001),
                Some(3.2e-5),
                Some(1.1e-3)
            ),
            "rank_lifting  12/50  objective 270.000001  violation 3.2e-5  fit 1.1e-3"
        );
        assert_eq!(
            line("admm", 3, 100, None, Some(0.0), None),
            "admm    3/100  violation 0"
        );
        assert_eq!(
            line("admm", 7, 9, Some(-1.5e-7), None, Some(123456.0)),
            "admm  7/9  objective -1.500000e-7  fit 1.2e5"
        );
        assert_eq!(
            line("m", 1, 1, Some(f64::NAN), Some(f64::INFINITY), None),
            "m  1/1  objective NaN  violation inf"
        );
        assert_eq!(
            line("m", 1, 2, Some(0.0), None, None),
            "m  1/2  objective 0"
        );
        assert_eq!(objective_text(2e6), "2.000000e6");
        assert_eq!(objective_text(0.5e-3), "5.000000e-4");
    }

    #[test]
    fn an_enabled_line_is_drawn_and_cleared() {
        let term = InMemoryTerm::new(4, 120);
        let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
        let progress = Progress::with_target(true, target, 50, "rank_lifting");
        progress.iteration(11, Some(271.5), None, None);
        progress.iteration(12, Some(270.000001), Some(3.2e-5), Some(1.1e-3));
        assert_eq!(
            term.contents(),
            "rank_lifting  12/50  objective 270.000001  violation 3.2e-5  fit 1.1e-3"
        );
        progress.finish();
        assert_eq!(term.contents(), "");
    }

    #[test]
    fn a_dropped_line_is_cleared() {
        let term = InMemoryTerm::new(4, 120);
        let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
        let progress = Progress::with_target(true, target, 5, "m");
        progress.iteration(1, None, Some(1.0), None);
        assert_eq!(term.contents(), "m  1/5  violation 1.0e0");
        drop(progress);
        assert_eq!(term.contents(), "");
    }

    #[test]
    fn a_disabled_line_draws_nothing() {
        let term = InMemoryTerm::new(4, 120);
        let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
        let progress = Progress::with_target(false, target, 50, "rank_lifting");
        assert!(progress.bar.is_hidden());
        progress.iteration(1, Some(1.0), Some(2.0), Some(3.0));
        progress.suspend(|| ());
        progress.finish();
        assert_eq!(term.contents(), "");
        assert_eq!(term.moves_since_last_check(), "");
        assert!(Progress::new(false, 3, "m").bar.is_hidden());
    }

    #[test]
    fn an_activity_shows_the_solver_s_iterations_and_is_cleared() {
        use crate::conic::{Cone, ConicProblem, ConicVar, Origin, Triplets};
        let term = InMemoryTerm::new(4, 120);
        let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
        // minimize x subject to x ≥ 1 (the row s = −1 + x ≥ 0).
        let mut a = Triplets::new(1, 1);
        a.push(0, 0, -1.0);
        let p = ConicProblem {
            vars: vec![ConicVar {
                name: "x".into(),
                integer: false,
            }],
            p: Triplets::new(1, 1).into_csc(),
            q: vec![1.0],
            constant: 0.0,
            maximize: false,
            a: a.into_csc(),
            b: vec![-1.0],
            cones: vec![Cone::Nonneg(1)],
            origins: vec![Origin::default()],
        };
        {
            let activity = Activity::with_target(target, "direct", Duration::ZERO);
            let out = crate::solve::solve(
                &p,
                crate::solve::Backend::Clarabel,
                &crate::solve::Settings::default(),
            )
            .unwrap();
            assert!((out.objective.unwrap() - 1.0).abs() < 1e-7);
            let shown = term.contents();
            assert!(
                shown.starts_with("direct  clarabel iteration ") && shown.contains("relative gap"),
                "{shown}"
            );
            stage(|| "patterns  working set pass 2, 24 of 99 patterns".into());
            status(|| "clarabel iteration 3".into());
            assert!(
                term.contents().starts_with(
                    "patterns  working set pass 2, 24 of 99 patterns  clarabel iteration 3"
                ),
                "{}",
                term.contents()
            );
            stage(|| "direct".into());
            status(|| "adam restart 1/2".into());
            assert!(
                term.contents().starts_with("direct  adam restart 1/2"),
                "{}",
                term.contents()
            );
            drop(activity);
        }
        assert_eq!(term.contents(), "");
        // No activity: nothing to update.
        assert!(active().is_none());
        status(|| unreachable!("not called without an activity"));
    }

    #[test]
    fn json_reports_get_no_line() {
        assert!(!Progress::enabled_for_stderr(true));
    }
}
