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
    /// One of these words, or a string: the path of a weights file (relative to the model),
    /// read when the model is checked.
    WordOrWeights(&'static [&'static str]),
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
            Kind::WordOrWeights(ws) => format!(
                "{} or the path of a weights file in quotes",
                Kind::Word(ws).describe()
            ),
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

/// The value of an option given as text on the command line (`--option NAME=VALUE`), checked
/// against its kind. A weights-file path stays as given (relative to the working folder), less
/// the quotes a shell may have passed through.
pub fn parse_text(kind: Kind, text: &str) -> Result<OptionValue, String> {
    let bad = || format!("`{text}` is not {}", kind.describe());
    match kind {
        Kind::Word(ws) => ws
            .contains(&text)
            .then(|| OptionValue::Word(text.to_string()))
            .ok_or_else(bad),
        Kind::WordOrWeights(ws) if ws.contains(&text) => Ok(OptionValue::Word(text.to_string())),
        // A path may come quoted as in a model file (`start="w.json"`): the quotes go.
        Kind::WordOrWeights(_) => Ok(OptionValue::Text(
            text.strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text)
                .to_string(),
        )),
        Kind::Bool => match text {
            "true" => Ok(OptionValue::Bool(true)),
            "false" => Ok(OptionValue::Bool(false)),
            _ => Err(bad()),
        },
        Kind::Number | Kind::Positive | Kind::Count | Kind::Fraction => {
            let v: f64 = text.trim().parse().map_err(|_| bad())?;
            let fits = match kind {
                Kind::Positive => v > 0.0 && v.is_finite(),
                Kind::Count => v >= 0.0 && v.fract() == 0.0 && v < 1e15,
                Kind::Fraction => v > 0.0 && v < 1.0,
                _ => v.is_finite(),
            };
            fits.then_some(OptionValue::Number(v)).ok_or_else(bad)
        }
    }
}

/// The methods by name.
pub const METHODS: [(&str, MethodKind); 6] = [
    ("patterns", MethodKind::Patterns),
    ("rank_lifting", MethodKind::RankLifting),
    ("convex_nn", MethodKind::ConvexNn),
    ("big_m", MethodKind::BigM),
    ("adam", MethodKind::Adam),
    ("direct", MethodKind::Direct),
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
            ("working_set", Kind::Bool, None),
            ("search", Kind::Bool, boolean(true)),
            ("starts", Kind::Count, num(64.0)),
            ("reduce", Kind::Bool, boolean(true)),
            ("facets", Kind::Bool, boolean(true)),
            ("differences", Kind::Bool, None),
        ],
        MethodKind::RankLifting => vec![
            ("lambda", Kind::Positive, num(1.0)),
            ("iterations", Kind::Count, num(50.0)),
            ("tolerance", Kind::Positive, num(1e-7)),
            ("epsilon", Kind::Positive, None),
            ("stall", Kind::Count, num(0.0)),
            (
                "start",
                Kind::WordOrWeights(&["zeros", "random"]),
                word("random"),
            ),
            ("perturb", Kind::Number, num(0.0)),
            ("seed", Kind::Count, num(0.0)),
            (
                "form",
                Kind::Word(&["elementwise", "matrix"]),
                word("elementwise"),
            ),
        ],
        MethodKind::ConvexNn => vec![
            ("eta", Kind::Positive, num(1.0)),
            ("mu", Kind::Positive, num(1.0)),
            ("epsilon", Kind::Positive, num(1e-7)),
            ("iterations", Kind::Count, num(50.0)),
            (
                "start",
                Kind::WordOrWeights(&["random", "adam"]),
                word("random"),
            ),
            ("seed", Kind::Count, num(0.0)),
            ("tighten", Kind::Count, num(5.0)),
        ],
        MethodKind::BigM => vec![
            ("bounds", Kind::Word(&["interval", "lp"]), word("interval")),
            ("relaxation", Kind::Bool, boolean(false)),
        ],
        MethodKind::Adam => vec![
            ("lr", Kind::Positive, num(1e-2)),
            ("epochs", Kind::Count, num(5000.0)),
            ("restarts", Kind::Count, num(10.0)),
            ("time_limit", Kind::Positive, None),
            ("seed", Kind::Count, num(0.0)),
        ],
        MethodKind::Direct => Vec::new(),
    }
}

/// The solvers by name.
pub const SOLVERS: [&str; 3] = ["clarabel", "microlp", "cbc"];

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

/// Named options of a `csv(...)` or `inline(...)` data source besides the columns.
pub fn csv_options() -> Vec<Spec> {
    vec![
        ("standardize", Kind::Bool, boolean(false)),
        ("split", Kind::Fraction, None),
        ("validation", Kind::Fraction, None),
        ("seed", Kind::Count, num(0.0)),
        ("weights", Kind::Word(&["none", "balanced"]), word("none")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_path_on_the_command_line_loses_its_quotes() {
        let kind = Kind::WordOrWeights(&["random"]);
        for text in ["\"w.json\"", "w.json"] {
            assert_eq!(
                parse_text(kind, text),
                Ok(OptionValue::Text("w.json".into()))
            );
        }
        assert_eq!(
            parse_text(kind, "random"),
            Ok(OptionValue::Word("random".into()))
        );
    }
}
