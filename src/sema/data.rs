//! Data declarations: `csv("file.csv", features = [...], target = col | label = col, ...)` and
//! `inline(x = [[...]], y = [...] | label = [...])`, loaded into a [`model::Dataset`].
//!
//! CSV files are added to the source map, so a bad cell is shown in the file itself. Labels
//! become −1/+1 columns: one for two classes (the later class in sorted order is +1, or the
//! class named by `positive`), one per class (one-vs-rest) for more. A split is stratified by
//! class for labelled data and is computed before standardization, whose means and standard
//! deviations come from the training rows only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::options;
use super::{Checker, Def};
use crate::diag::{elide, suggest, Diagnostic, SourceId, Span};
use crate::model::{self, DataId, OptionValue};
use crate::syntax::ast;

/// Longest cell or header text echoed in a message, in bytes.
const MAX_ECHO: usize = 60;

/// What the target columns hold.
#[derive(Clone, Copy, PartialEq)]
enum TargetMode {
    Values,
    Labels,
}

/// The options every data source takes.
struct CommonOptions {
    standardize: bool,
    /// Train fraction.
    split: Option<f64>,
    /// The validation share of all rows, taken from the training share, and where it was written.
    validation: Option<(f64, Span)>,
    /// The class coded +1, where it was written.
    positive: Option<(String, Span)>,
    /// Where `weights = balanced` was written, if it was.
    balanced: Option<Span>,
    /// The seed of the shuffles.
    seed: u64,
}

/// Raw columns before coding: features n×d, targets n×k as numbers or label strings.
struct Table {
    x: Vec<Vec<f64>>,
    y_values: Vec<Vec<f64>>,
    labels: Vec<String>,
    feature_names: Vec<String>,
    target_names: Vec<String>,
}

/// A label sorts as a number when every label of the column is one.
fn sort_labels(labels: &mut [String]) {
    let all_numeric = labels.iter().all(|l| l.parse::<f64>().is_ok());
    if all_numeric {
        labels.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y)
        });
    } else {
        labels.sort();
    }
}

impl<'a> Checker<'a> {
    pub(super) fn data(
        &mut self,
        item_span: Span,
        name: &ast::Ident,
        source: &ast::Ident,
        args: &[ast::Arg],
    ) {
        let id = DataId(self.model.datasets.len());
        let loaded = match source.name.as_str() {
            "csv" => self.csv_data(item_span, name, args),
            "inline" => self.inline_data(item_span, name, args),
            other => {
                let mut d = Diagnostic::error("E1008", format!("unknown data source `{other}`"))
                    .with_primary(source.span, "not a data source")
                    .with_note("data sources: csv, inline");
                if let Some(s) = suggest(other, ["csv", "inline"]) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.error(d);
                None
            }
        };
        match loaded {
            Some(ds) => {
                self.model.datasets.push(ds);
                self.declare(name, Def::Data(id));
            }
            None => self.declare(name, Def::Failed),
        }
    }

    /// Named arguments by name; positional ones are reported unless `positional` allows them.
    fn named_args<'b>(
        &mut self,
        what: &str,
        args: &'b [ast::Arg],
        allowed: &[&str],
    ) -> Option<BTreeMap<&'b str, &'b ast::Arg>> {
        let mut out = BTreeMap::new();
        let mut ok = true;
        for a in args {
            let Some(n) = &a.name else { continue };
            if !allowed.contains(&n.name.as_str()) {
                let mut d =
                    Diagnostic::error("E0404", format!("unknown option `{}` of {what}", n.name))
                        .with_primary(n.span, "unknown option")
                        .with_note(format!("options of {what}: {}", allowed.join(", ")));
                if let Some(s) = suggest(&n.name, allowed.iter().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.error(d);
                ok = false;
            } else if let Some(prev) = out.insert(n.name.as_str(), a) {
                let d = Diagnostic::error("E0203", format!("option `{}` is given twice", n.name))
                    .with_primary(n.span, "given again here")
                    .with_label(prev.span, "first given here");
                self.error(d);
                ok = false;
            }
        }
        ok.then_some(out)
    }

    /// A column name: a bare name or a string.
    fn column_name(&mut self, e: &ast::Expr) -> Option<(String, Span)> {
        match &e.kind {
            ast::ExprKind::Name(n) | ast::ExprKind::Str(n) => Some((n.clone(), e.span)),
            _ => {
                let d = Diagnostic::error("E0405", "expected a column name")
                    .with_primary(e.span, "not a column name")
                    .with_help("write the column's header, e.g. `target = price` or `target = \"sale price\"`");
                self.error(d);
                None
            }
        }
    }

    fn column_list(&mut self, e: &ast::Expr) -> Option<Vec<(String, Span)>> {
        match &e.kind {
            ast::ExprKind::List(items) => items.iter().map(|i| self.column_name(i)).collect(),
            _ => self.column_name(e).map(|c| vec![c]),
        }
    }

    /// The options shared by every data source: standardize, split, seed, positive.
    fn common_options(&mut self, opts: &BTreeMap<&str, &ast::Arg>) -> Option<CommonOptions> {
        let schema = options::csv_options();
        let mut standardize = false;
        let mut split = None;
        let mut validation = None;
        let mut seed = 0u64;
        let mut balanced = None;
        for (name, kind, _) in &schema {
            let Some(a) = opts.get(name) else { continue };
            let v = self.option_value(&a.value, *kind)?;
            match (*name, v) {
                ("standardize", OptionValue::Bool(b)) => standardize = b,
                ("split", OptionValue::Number(f)) => split = Some(f),
                ("validation", OptionValue::Number(f)) => validation = Some((f, a.span)),
                ("seed", OptionValue::Number(s)) => seed = s as u64,
                ("weights", OptionValue::Word(w)) if w == "balanced" => balanced = Some(a.span),
                _ => {}
            }
        }
        let positive = match opts.get("positive") {
            Some(a) => Some(match &a.value.kind {
                ast::ExprKind::Number(x) => (crate::syntax::print::format_number(*x), a.value.span),
                _ => self.column_name(&a.value)?,
            }),
            None => None,
        };
        Some(CommonOptions {
            standardize,
            split,
            validation,
            seed,
            positive,
            balanced,
        })
    }

    fn csv_data(
        &mut self,
        item_span: Span,
        name: &ast::Ident,
        args: &[ast::Arg],
    ) -> Option<model::Dataset> {
        let what = "`csv`";
        let opts = self.named_args(
            what,
            args,
            &[
                "features",
                "target",
                "label",
                "standardize",
                "split",
                "validation",
                "seed",
                "positive",
                "weights",
            ],
        )?;
        let positional: Vec<&ast::Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        let path_arg = match positional.as_slice() {
            [p] => *p,
            [] => {
                let d = Diagnostic::error("E0313", "`csv` needs the file's path")
                    .with_primary(item_span, "no path given")
                    .with_help("write `csv(\"data/file.csv\", target = COLUMN)`");
                self.error(d);
                return None;
            }
            [_, extra, ..] => {
                let d = Diagnostic::error("E0313", "`csv` takes one positional argument, the path")
                    .with_primary(extra.span, "extra argument")
                    .with_help("other options are named, e.g. `target = y`");
                self.error(d);
                return None;
            }
        };
        let ast::ExprKind::Str(written) = &path_arg.value.kind else {
            let d = Diagnostic::error("E0405", "the path of `csv` must be a string")
                .with_primary(path_arg.value.span, "not a string")
                .with_help("write the path in quotes, relative to the model file");
            self.error(d);
            return None;
        };
        let (mode, target_cols) = self.target_option(&opts, item_span)?;
        let features = match opts.get("features") {
            Some(a) => Some(self.column_list(&a.value)?),
            None => None,
        };
        let common = self.common_options(&opts)?;

        // `--data NAME=path` points the declaration at another file.
        let over = self
            .overrides
            .data
            .iter()
            .rev()
            .find(|(n, _)| *n == name.name)
            .map(|(_, p)| p.clone());
        let (shown, path): (String, PathBuf) = match &over {
            Some(p) => (p.display().to_string(), p.clone()),
            None => (written.clone(), self.base_dir.join(written)),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                let mut d = Diagnostic::error(
                    "E1001",
                    format!("cannot read data file `{shown}`: {}", io_reason(&e)),
                )
                .with_primary(path_arg.value.span, "read from here");
                d = if over.is_some() {
                    d.with_note(format!("`--data {}={shown}` replaced this path", name.name))
                } else {
                    d.with_note(format!(
                        "paths are relative to the model file's directory: {}",
                        display_dir(&self.base_dir)
                    ))
                };
                self.error(d);
                return None;
            }
        };
        let src = self.sources.add(shown.clone(), Some(&path), text);
        let table = self.read_csv(
            src,
            features.as_deref(),
            &target_cols,
            mode,
            path_arg.value.span,
        )?;
        self.finish_dataset(
            item_span,
            name,
            model::DataOrigin::Csv { path: shown },
            table,
            mode,
            common,
        )
    }

    /// `target = col` / `target = [a, b]` (values) or `label = col` (classes); at most one.
    fn target_option(
        &mut self,
        opts: &BTreeMap<&str, &ast::Arg>,
        item_span: Span,
    ) -> Option<(TargetMode, Vec<(String, Span)>)> {
        match (opts.get("target"), opts.get("label")) {
            (Some(t), Some(l)) => {
                let d = Diagnostic::error(
                    "E0405",
                    "give either `target` (values) or `label` (classes), not both",
                )
                .with_primary(l.span, "classes")
                .with_label(t.span, "values");
                self.error(d);
                None
            }
            (Some(t), None) => Some((TargetMode::Values, self.column_list(&t.value)?)),
            (None, Some(l)) => {
                let cols = self.column_list(&l.value)?;
                if cols.len() != 1 {
                    let d = Diagnostic::error("E0405", "`label` names one column")
                        .with_primary(l.value.span, format!("{} columns", cols.len()))
                        .with_help("labels of several classes live in one column; one-vs-rest coding is automatic");
                    self.error(d);
                    return None;
                }
                Some((TargetMode::Labels, cols))
            }
            (None, None) => {
                let _ = item_span;
                Some((TargetMode::Values, Vec::new()))
            }
        }
    }

    /// Reports a header name given twice (E1010), at its second place in the header line.
    fn unique_headers(&mut self, src: SourceId, headers: &[String]) -> bool {
        let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let Some(&j) = first.get(h.as_str()) else {
                first.insert(h, i);
                continue;
            };
            let text = &self.sources.get(src).text;
            let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
            let ranges = field_ranges(text, bom);
            let at = |k: usize| Span::new(src, ranges.get(k).cloned().unwrap_or(0..0));
            let name = self.sources.get(src).name.clone();
            let d = Diagnostic::error(
                "E1010",
                format!(
                    "column `{}` appears twice in the header of `{name}`",
                    elide(h, MAX_ECHO)
                ),
            )
            .with_primary(at(i), format!("column {} is named again", i + 1))
            .with_label(at(j), format!("column {} has this name", j + 1))
            .with_help("give every column its own name in the header line");
            self.error(d);
            return false;
        }
        true
    }

    fn read_csv(
        &mut self,
        src: SourceId,
        features: Option<&[(String, Span)]>,
        targets: &[(String, Span)],
        mode: TargetMode,
        path_span: Span,
    ) -> Option<Table> {
        let text = self.sources.get(src).text.clone();
        let file_span = |r: std::ops::Range<usize>| Span::new(src, r);
        let name = self.sources.get(src).name.clone();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => {
                let d = Diagnostic::error("E1009", format!("`{name}` is not valid CSV: {e}"))
                    .with_primary(file_span(0..0), "here");
                self.error(d);
                return None;
            }
        };
        if text.trim().is_empty() || headers.iter().all(String::is_empty) {
            let d = Diagnostic::error("E1006", format!("data file `{name}` is empty"))
                .with_primary(path_span, "read from here")
                .with_help("the first line must name the columns, e.g. `x1,x2,y`");
            self.error(d);
            return None;
        }
        let header_end = line_end(&text, 0);
        if !self.unique_headers(src, &headers) {
            return None;
        }
        let find = |c: &mut Self, (col, span): &(String, Span)| -> Option<usize> {
            if let Some(i) = headers.iter().position(|h| h == col) {
                return Some(i);
            }
            let mut d =
                Diagnostic::error("E1002", format!("data file `{name}` has no column `{col}`"))
                    .with_primary(*span, "no such column")
                    .with_label(file_span(0..header_end), "the header")
                    .with_note(format!("columns: {}", elide(&headers.join(", "), 400)));
            if let Some(s) = suggest(col, headers.iter().map(String::as_str)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            c.error(d);
            None
        };
        let target_idx: Vec<usize> = targets
            .iter()
            .map(|t| find(self, t))
            .collect::<Option<_>>()?;
        let feature_idx: Vec<usize> = match features {
            Some(f) => f.iter().map(|t| find(self, t)).collect::<Option<_>>()?,
            None => (0..headers.len())
                .filter(|i| !target_idx.contains(i))
                .collect(),
        };
        if let Some(&i) = feature_idx.iter().find(|i| target_idx.contains(i)) {
            let span = features
                .and_then(|f| f.iter().find(|(c, _)| *c == headers[i]).map(|(_, s)| *s))
                .unwrap_or(path_span);
            let d = Diagnostic::error(
                "E1002",
                format!("column `{}` is both a feature and the target", headers[i]),
            )
            .with_primary(span, "also the target");
            self.error(d);
            return None;
        }
        if feature_idx.is_empty() {
            let d = Diagnostic::error("E1002", format!("data file `{name}` has no feature column"))
                .with_primary(path_span, "no features")
                .with_note(format!("columns: {}", elide(&headers.join(", "), 400)));
            self.error(d);
            return None;
        }
        let mut table = Table {
            x: Vec::new(),
            y_values: Vec::new(),
            labels: Vec::new(),
            feature_names: feature_idx.iter().map(|&i| headers[i].clone()).collect(),
            target_names: target_idx.iter().map(|&i| headers[i].clone()).collect(),
        };
        let mut ok = true;
        let mut errors = 0;
        // Line numbers are counted as the records go by, so the reading stays linear.
        let (mut line_no, mut counted_to) = (1usize, 0usize);
        for rec in reader.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let at = e.position().map_or(0, |p| p.byte() as usize);
                    let d = Diagnostic::error("E1009", format!("`{name}` is not valid CSV: {e}"))
                        .with_primary(file_span(at..line_end(&text, at)), "here");
                    self.error(d);
                    return None;
                }
            };
            // With CRLF endings a record's position is the `\n` ending the line above it.
            let mut start = rec
                .position()
                .map_or(0, |p| p.byte() as usize)
                .min(text.len());
            while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                start += 1;
            }
            line_no += text.as_bytes()[counted_to..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted_to = start;
            let row = line_no;
            // Each field's place in the line, found in one scan, only when an error needs it.
            let ranges = std::cell::OnceCell::new();
            let field_span = |i: usize| -> Span {
                let r = ranges.get_or_init(|| field_ranges(&text, start));
                file_span(r.get(i).cloned().unwrap_or(start..line_end(&text, start)))
            };
            if rec.iter().all(str::is_empty) {
                continue; // a blank line
            }
            if rec.len() != headers.len() {
                let d = Diagnostic::error(
                    "E1005",
                    format!(
                        "row {row} of `{name}` has {} fields, the header has {}",
                        rec.len(),
                        headers.len()
                    ),
                )
                .with_primary(
                    file_span(start..line_end(&text, start)),
                    format!("{} fields", rec.len()),
                )
                .with_label(
                    file_span(0..header_end),
                    format!("{} columns", headers.len()),
                );
                self.error(d);
                return None;
            }
            let cell = |c: &mut Self, i: usize| -> Option<f64> {
                let s = rec.get(i).unwrap_or("");
                match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    Ok(_) => {
                        let d = Diagnostic::error(
                            "E1004",
                            format!(
                                "row {row}, column `{}` of `{name}` is `{}`: not a finite number",
                                elide(&headers[i], MAX_ECHO),
                                elide(s, MAX_ECHO)
                            ),
                        )
                        .with_primary(field_span(i), "not finite")
                        .with_help("remove or impute missing values before training");
                        c.error(d);
                        None
                    }
                    Err(_) => {
                        let d = Diagnostic::error(
                            "E1003",
                            format!("row {row}, column `{}` of `{name}` is not a number", elide(&headers[i], MAX_ECHO)),
                        )
                        .with_primary(field_span(i), if s.is_empty() { "empty cell".to_string() } else { format!("`{}`", elide(s, MAX_ECHO)) })
                        .with_help(if s.is_empty() {
                            "fill in the missing value or drop the row".to_string()
                        } else {
                            "features and `target` columns must be numeric; class names belong in a `label` column".to_string()
                        });
                        c.error(d);
                        None
                    }
                }
            };
            let mut xr = Vec::with_capacity(feature_idx.len());
            for &i in &feature_idx {
                match cell(self, i) {
                    Some(v) => xr.push(v),
                    None => ok = false,
                }
            }
            match mode {
                TargetMode::Values => {
                    let mut yr = Vec::with_capacity(target_idx.len());
                    for &i in &target_idx {
                        match cell(self, i) {
                            Some(v) => yr.push(v),
                            None => ok = false,
                        }
                    }
                    table.y_values.push(yr);
                }
                TargetMode::Labels => {
                    let l = rec.get(target_idx[0]).unwrap_or("").to_string();
                    if l.is_empty() {
                        let span = field_span(target_idx[0]);
                        let d = Diagnostic::error(
                            "E1003",
                            format!("row {row} of `{name}` has no label"),
                        )
                        .with_primary(span, "empty label");
                        self.error(d);
                        ok = false;
                    }
                    table.labels.push(l);
                }
            }
            table.x.push(xr);
            if !ok {
                errors += 1;
                if errors >= 3 {
                    break; // enough to show the pattern
                }
            }
        }
        if !ok {
            return None;
        }
        if table.x.is_empty() {
            let d = Diagnostic::error(
                "E1006",
                format!("data file `{name}` has a header but no rows"),
            )
            .with_primary(path_span, "read from here");
            self.error(d);
            return None;
        }
        Some(table)
    }

    fn inline_data(
        &mut self,
        item_span: Span,
        name: &ast::Ident,
        args: &[ast::Arg],
    ) -> Option<model::Dataset> {
        let opts = self.named_args(
            "`inline`",
            args,
            &[
                "x",
                "y",
                "label",
                "standardize",
                "split",
                "validation",
                "seed",
                "positive",
                "weights",
            ],
        )?;
        if let Some(a) = args.iter().find(|a| a.name.is_none()) {
            let d = Diagnostic::error("E0313", "the arguments of `inline` are named")
                .with_primary(a.span, "write `x = [...]`");
            self.error(d);
            return None;
        }
        let Some(xa) = opts.get("x") else {
            let d = Diagnostic::error("E0313", "`inline` needs the features `x = [[...], ...]`")
                .with_primary(item_span, "no `x`");
            self.error(d);
            return None;
        };
        let rows = |c: &mut Self, e: &ast::Expr| -> Option<Vec<Vec<f64>>> {
            let v = c.eval(e, &super::expr::Env::default())?;
            match v {
                super::expr::Value::Expr(model::Expr {
                    kind: model::ExprKind::Matrix(m),
                    ..
                }) => Some(
                    (0..m.nrows())
                        .map(|i| m.row(i).iter().copied().collect())
                        .collect(),
                ),
                _ => {
                    let d = Diagnostic::error("E0405", "expected a list of numbers or of rows")
                        .with_primary(e.span, "not a literal vector or matrix");
                    c.error(d);
                    None
                }
            }
        };
        let x = rows(self, &xa.value)?;
        let d_cols = x[0].len();
        let mut table = Table {
            x,
            y_values: Vec::new(),
            labels: Vec::new(),
            feature_names: (1..=d_cols).map(|i| format!("x{i}")).collect(),
            target_names: Vec::new(),
        };
        let (mode, ya) = match (opts.get("y"), opts.get("label")) {
            (Some(_), Some(l)) => {
                let d = Diagnostic::error(
                    "E0405",
                    "give either `y` (values) or `label` (classes), not both",
                )
                .with_primary(l.span, "classes");
                self.error(d);
                return None;
            }
            (Some(y), None) => (TargetMode::Values, Some(y)),
            (None, Some(l)) => (TargetMode::Labels, Some(l)),
            (None, None) => (TargetMode::Values, None),
        };
        if let Some(ya) = ya {
            let y = rows(self, &ya.value)?;
            if y.len() != table.x.len() {
                let d = Diagnostic::error(
                    "E0302",
                    format!(
                        "`x` has {} rows but the targets have {}",
                        table.x.len(),
                        y.len()
                    ),
                )
                .with_primary(ya.value.span, format!("{} rows", y.len()))
                .with_label(xa.value.span, format!("{} rows", table.x.len()));
                self.error(d);
                return None;
            }
            match mode {
                TargetMode::Values => {
                    table.target_names = (1..=y[0].len())
                        .map(|i| {
                            if y[0].len() == 1 {
                                "y".to_string()
                            } else {
                                format!("y{i}")
                            }
                        })
                        .collect();
                    table.y_values = y;
                }
                TargetMode::Labels => {
                    table.target_names = vec!["label".into()];
                    table.labels = y
                        .iter()
                        .map(|r| crate::syntax::print::format_number(r[0]))
                        .collect();
                }
            }
        }
        let common = self.common_options(&opts)?;
        self.finish_dataset(
            item_span,
            name,
            model::DataOrigin::Inline,
            table,
            mode,
            common,
        )
    }

    /// Codes labels, splits, standardizes and enumerates classes.
    fn finish_dataset(
        &mut self,
        item_span: Span,
        name: &ast::Ident,
        origin: model::DataOrigin,
        table: Table,
        mode: TargetMode,
        common: CommonOptions,
    ) -> Option<model::Dataset> {
        let mut table = table;
        let CommonOptions {
            standardize,
            split,
            validation,
            seed,
            mut positive,
            balanced,
        } = common;
        // Numeric labels name classes by value: `1` and `1.0` are one class, named `1`.
        if table.labels.iter().all(|l| l.parse::<f64>().is_ok()) {
            let canon = |l: &str| crate::syntax::print::format_number(l.parse().unwrap_or(0.0));
            for l in &mut table.labels {
                *l = canon(l);
            }
            if let Some((p, _)) = &mut positive {
                if p.parse::<f64>().is_ok() {
                    *p = canon(p);
                }
            }
        }
        let n = table.x.len();
        let d = table.feature_names.len();
        let has_target = !table.target_names.is_empty();
        // Classes and the ±1 coding.
        let mut class_names: Vec<String> = Vec::new();
        if mode == TargetMode::Labels && has_target {
            class_names = table.labels.clone();
            sort_labels(&mut class_names);
            class_names.dedup();
            if class_names.len() < 2 {
                let d = Diagnostic::error(
                    "E1007",
                    format!(
                        "data `{}` has only one class (`{}`)",
                        name.name,
                        class_names.first().cloned().unwrap_or_default()
                    ),
                )
                .with_primary(item_span, "one class")
                .with_help(
                    "classification needs at least two classes; use `target =` for numeric values",
                );
                self.error(d);
                return None;
            }
            if let Some((p, span)) = &positive {
                let Some(i) = class_names.iter().position(|c| c == p) else {
                    let mut d = Diagnostic::error(
                        "E1007",
                        format!("data `{}` has no class `{p}`", name.name),
                    )
                    .with_primary(*span, "no sample has this label")
                    .with_note(format!("classes: {}", class_names.join(", ")));
                    if let Some(s) = suggest(p, class_names.iter().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                    return None;
                };
                if class_names.len() == 2 {
                    // The positive class is coded +1: put it last.
                    let c = class_names.remove(i);
                    class_names.push(c);
                }
            }
        } else if let Some((_, span)) = &positive {
            let d = Diagnostic::error("E0405", "`positive` names a class of a `label` column")
                .with_primary(*span, "the data have no labels");
            self.error(d);
            return None;
        }
        if let (Some(span), true) = (balanced, class_names.is_empty()) {
            let (label, help) = if has_target {
                (
                    "the targets are numeric values, not classes",
                    "`weights = balanced` weighs each class by the inverse of its size: declare the classes with `label = COLUMN` instead of `target =`",
                )
            } else {
                (
                    "the data have no labels",
                    "`weights = balanced` weighs each class by the inverse of its size: declare the classes with `label = COLUMN`",
                )
            };
            let d = Diagnostic::error(
                "E1011",
                format!(
                    "`weights = balanced` needs class labels, and data `{}` has none",
                    name.name
                ),
            )
            .with_primary(span, label)
            .with_help(help);
            self.error(d);
            return None;
        }
        // One map lookup per row and one pass per grouping: linear in rows, whatever the classes.
        let index: std::collections::HashMap<&str, usize> = class_names
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let class_of: Vec<usize> = table
            .labels
            .iter()
            .map(|l| index.get(l.as_str()).copied().unwrap_or(0))
            .collect();
        let by_class = |rows: &mut dyn Iterator<Item = (usize, usize)>| {
            let mut groups = vec![Vec::new(); class_names.len()];
            if groups.is_empty() {
                return groups; // no classes: nothing to group
            }
            for (at, row) in rows {
                groups[class_of[row]].push(at);
            }
            groups
        };
        // The features and targets of every row, 8 bytes each, before they are built.
        let k = match mode {
            TargetMode::Values => table.target_names.len(),
            TargetMode::Labels if class_names.len() == 2 => 1,
            TargetMode::Labels => class_names.len(),
        };
        // Sample weights take as many cells as the targets.
        let w_cols = if balanced.is_some() { k } else { 0 };
        let cells = (n as u64).saturating_mul((d + k + w_cols) as u64);
        let weight_cells = if w_cols > 0 {
            format!(" + {w_cols} weight columns")
        } else {
            String::new()
        };
        let how = format!(
            "{} rows × ({d} features + {k} target columns{weight_cells}) × 8 bytes",
            crate::diag::group_digits(n as u64)
        );
        let what = format!("data `{}`", name.name);
        if !self.reserve(&what, cells.saturating_mul(8), item_span, how) {
            return None;
        }

        // Train/test split, stratified by class for labelled data; the validation rows are the
        // last of each class's shuffled training share, so the test rows do not depend on them.
        if let Some((v, span)) = validation {
            let train = split.unwrap_or(1.0);
            if v >= train {
                let d = Diagnostic::error(
                    "E1013",
                    format!(
                        "the validation share {} leaves no training rows of `{}`",
                        crate::syntax::print::format_number(v),
                        name.name
                    ),
                )
                .with_primary(span, format!("out of a training share of {}", crate::syntax::print::format_number(train)))
                .with_help("`validation` is a share of all rows, taken from the training share: keep it below `split` (e.g. `split = 0.8, validation = 0.2` for 60 / 20 / 20)");
                self.error(d);
                return None;
            }
        }
        let (train_rows, val_rows, test_rows) = if split.is_none() && validation.is_none() {
            ((0..n).collect(), Vec::new(), Vec::new())
        } else {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let groups: Vec<Vec<usize>> = if class_names.is_empty() {
                vec![(0..n).collect()]
            } else {
                by_class(&mut (0..n).map(|i| (i, i)))
            };
            let (mut tr, mut va, mut te) = (Vec::new(), Vec::new(), Vec::new());
            for mut g in groups {
                g.shuffle(&mut rng);
                let len = g.len() as f64;
                let keep = usize::from(!g.is_empty());
                let k = split.map_or(g.len(), |f| (len * f).round() as usize);
                let k = k.clamp(keep, g.len());
                let v = validation.map_or(0, |(f, _)| (len * f).round() as usize);
                let v = v.min(k - keep);
                tr.extend_from_slice(&g[..k - v]);
                va.extend_from_slice(&g[k - v..k]);
                te.extend_from_slice(&g[k..]);
            }
            tr.sort_unstable();
            va.sort_unstable();
            te.sort_unstable();
            (tr, va, te)
        };
        let xmat = |rows: &[usize]| DMatrix::from_fn(rows.len(), d, |i, j| table.x[rows[i]][j]);
        let mut x = xmat(&train_rows);
        let mut val_x = xmat(&val_rows);
        let mut test_x = xmat(&test_rows);
        let ymat = |rows: &[usize]| {
            DMatrix::from_fn(rows.len(), k, |i, j| match mode {
                TargetMode::Values => table.y_values[rows[i]][j],
                TargetMode::Labels => {
                    let c = class_of[rows[i]];
                    let hit = if k == 1 { c == 1 } else { c == j };
                    if hit {
                        1.0
                    } else {
                        -1.0
                    }
                }
            })
        };
        let y = ymat(&train_rows);
        let val_y = ymat(&val_rows);
        let test_y = ymat(&test_rows);
        let train_groups = by_class(&mut train_rows.iter().copied().enumerate());
        let mut val_groups = by_class(&mut val_rows.iter().copied().enumerate()).into_iter();
        let test_groups = by_class(&mut test_rows.iter().copied().enumerate());
        let mut classes: Vec<model::Class> = class_names
            .iter()
            .zip(train_groups.into_iter().zip(test_groups))
            .map(|(name, (rows, test_rows))| model::Class {
                name: name.clone(),
                rows,
                validation_rows: val_groups.next().unwrap_or_default(),
                test_rows,
                weight: None,
            })
            .collect();
        if let Some(c) = classes.iter().find(|c| c.rows.is_empty()) {
            let d = Diagnostic::error(
                "E1007",
                format!(
                    "class `{}` of `{}` has no training sample",
                    c.name, name.name
                ),
            )
            .with_primary(item_span, "after the split")
            .with_help("use a larger `split` fraction or more data");
            self.error(d);
            return None;
        }
        let w = balanced.map(|_| balanced_weights(&mut classes, y.nrows(), k));
        let standardization = standardize.then(|| {
            let mut mean = vec![0.0; d];
            let mut std = vec![1.0; d];
            let nt = x.nrows().max(1) as f64;
            for j in 0..d {
                let col = x.column(j);
                let m = col.sum() / nt;
                let var = col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / nt;
                mean[j] = m;
                std[j] = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
            }
            let s = model::Standardization { mean, std };
            apply_standardization(&mut x, &s);
            apply_standardization(&mut val_x, &s);
            apply_standardization(&mut test_x, &s);
            s
        });
        let target_names = match mode {
            TargetMode::Labels if k > 1 => class_names
                .iter()
                .map(|c| format!("{}={c}", table.target_names[0]))
                .collect(),
            _ => table.target_names,
        };
        Some(model::Dataset {
            name: name.name.clone(),
            origin,
            feature_names: table.feature_names,
            target_names,
            target_kind: has_target.then_some(match mode {
                TargetMode::Values => model::TargetKind::Values,
                TargetMode::Labels => model::TargetKind::Classes,
            }),
            x,
            y,
            validation_x: val_x,
            validation_y: val_y,
            test_x,
            test_y,
            w,
            classes,
            standardization,
            split,
            seed,
            validation: validation.map(|(f, _)| f),
            span: item_span,
        })
    }
}

/// Inverse-class-size weights over the training rows, as scikit-learn's `balanced`: each row of
/// class `C` weighs `n / (k · |C|)` for `n` training rows and `k` classes, so that every class
/// weighs `n / k` in all and the weights sum to `n`. Records each class's weight and returns the
/// `n × cols` weight matrix (the shape of the targets: every column of a row holds its weight).
fn balanced_weights(classes: &mut [model::Class], n: usize, cols: usize) -> DMatrix<f64> {
    let k = classes.len() as f64;
    let mut w = DMatrix::zeros(n, cols);
    for c in classes.iter_mut() {
        let weight = n as f64 / (k * c.rows.len() as f64);
        c.weight = Some(weight);
        for &r in &c.rows {
            w.row_mut(r).fill(weight);
        }
    }
    w
}

/// `(x − mean) / std`, column by column.
pub fn apply_standardization(x: &mut DMatrix<f64>, s: &model::Standardization) {
    for j in 0..x.ncols().min(s.mean.len()) {
        for v in x.column_mut(j).iter_mut() {
            *v = (*v - s.mean[j]) / s.std[j];
        }
    }
}

/// The end of the line that starts at or contains `at`.
fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text[at..].find(['\n', '\r']).map_or(text.len(), |e| at + e)
}

/// Byte ranges of the fields of the CSV record starting at `start`, up to the end of its line
/// (quotes respected), in one scan.
fn field_ranges(text: &str, start: usize) -> Vec<std::ops::Range<usize>> {
    let end = line_end(text, start);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let (mut field_start, mut quoted) = (start, false);
    for (i, &b) in bytes.iter().enumerate().take(end).skip(start) {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                out.push(trim_range(text, field_start, i));
                field_start = i + 1;
            }
            _ => {}
        }
    }
    out.push(trim_range(text, field_start, end));
    out
}

fn trim_range(text: &str, s: usize, e: usize) -> std::ops::Range<usize> {
    let slice = &text[s..e];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    let (a, b) = (s + lead, e - trail);
    if a < b {
        a..b
    } else {
        s..e.max(s + 1).min(text.len())
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn display_dir(p: &Path) -> String {
    let s = p.display().to_string();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}
