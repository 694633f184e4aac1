//! Option schemas of methods, solvers, layers and data sources: names, kinds, defaults.
//! One table per thing that takes options, so unknown options, wrong kinds and defaults are
//! handled by one mechanism.

use crate::model::{MethodKind, OptionValue};

/// The kind of value an option takes.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Any number.
    Number,
    /// A positive number.
    Positive,
    /// A non-negative integer.
    Count,
    /// A number in (0, 1).
    Fraction,
    /// One of these words.
    Word(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
}

impl Kind {
    /// What the kind is, in words.
    pub fn describe(self) -> String {
        match self {
            Kind::Number => "a number".into(),
            Kind::Positive => "a positive number".into(),
            Kind::Count => "a non-negative integer".into(),
            Kind::Fraction => "a number between 0 and 1".into(),
            Kind::Word(ws) => format!(
                "one of {}",
                ws.iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Kind::Bool => "`true` or `false`".into(),
        }
    }
}

/// One option: name, kind, default (`None`: no default, the option is unset unless given).
pub type Spec = (&'static str, Kind, Option<OptionValue>);

fn num(x: f64) -> Option<OptionValue> {
    Some(OptionValue::Number(x))
}
fn word(w: &str) -> Option<OptionValue> {
    Some(OptionValue::Word(w.to_string()))
}
fn boolean(b: bool) -> Option<OptionValue> {
    Some(OptionValue::Bool(b))
}

/// The methods by name.
pub const METHODS: [(&str, MethodKind); 5] = [
    ("patterns", MethodKind::Patterns),
    ("rank_lifting", MethodKind::RankLifting),
    ("convex_nn", MethodKind::ConvexNn),
    ("big_m", MethodKind::BigM),
    ("adam", MethodKind::Adam),
];

/// The name of a method kind.
pub fn method_name(kind: MethodKind) -> &'static str {
    METHODS
        .iter()
        .find(|(_, k)| *k == kind)
        .map(|(n, _)| *n)
        .unwrap_or("?")
}

/// Options of each method.
pub fn method_options(kind: MethodKind) -> Vec<Spec> {
    match kind {
        MethodKind::Patterns => vec![
            (
                "enumeration",
                Kind::Word(&["exact", "sampled"]),
                word("exact"),
            ),
            ("count", Kind::Count, num(1000.0)),
            ("seed", Kind::Count, num(0.0)),
            (
                "strategy",
                Kind::Word(&["gaussian", "data_aware"]),
                word("gaussian"),
            ),
            ("merge", Kind::Bool, boolean(true)),
        ],
        MethodKind::RankLifting => vec![
            ("lambda", Kind::Positive, num(1.0)),
            ("iterations", Kind::Count, num(30.0)),
            (
                "start",
                Kind::Word(&["zeros", "random", "perturbed"]),
                word("random"),
            ),
            ("seed", Kind::Count, num(0.0)),
            ("tolerance", Kind::Positive, num(1e-6)),
        ],
        MethodKind::ConvexNn => vec![
            ("eta", Kind::Positive, num(1.0)),
            ("mu", Kind::Positive, num(1.0)),
            ("epsilon", Kind::Positive, num(1e-7)),
            ("iterations", Kind::Count, num(50.0)),
            ("seed", Kind::Count, num(0.0)),
        ],
        MethodKind::BigM => vec![("bounds", Kind::Word(&["interval"]), word("interval"))],
        MethodKind::Adam => vec![
            ("lr", Kind::Positive, num(1e-2)),
            ("epochs", Kind::Count, num(5000.0)),
            ("restarts", Kind::Count, num(10.0)),
            ("seed", Kind::Count, num(0.0)),
        ],
    }
}

/// The solvers by name.
pub const SOLVERS: [&str; 2] = ["clarabel", "microlp"];

/// Options of each solver.
pub fn solver_options(name: &str) -> Vec<Spec> {
    match name {
        "clarabel" => vec![
            ("max_iter", Kind::Count, num(200.0)),
            ("time_limit", Kind::Positive, None),
            ("tol_gap_abs", Kind::Positive, num(1e-8)),
            ("tol_gap_rel", Kind::Positive, num(1e-8)),
            ("tol_feas", Kind::Positive, num(1e-8)),
            ("verbose", Kind::Bool, boolean(false)),
        ],
        _ => vec![("time_limit", Kind::Positive, None)],
    }
}

/// Named options of a `dense` layer (width and activation are positional or named too).
pub fn layer_options() -> Vec<Spec> {
    vec![
        ("width", Kind::Count, None),
        (
            "bias",
            Kind::Word(&["separate", "column", "none"]),
            word("separate"),
        ),
    ]
}

/// Named options of a `csv(...)` data source besides the path.
pub fn csv_options() -> Vec<Spec> {
    vec![
        ("standardize", Kind::Bool, boolean(false)),
        ("split", Kind::Fraction, None),
        ("seed", Kind::Count, num(0.0)),
    ]
}
