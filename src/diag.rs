//! Diagnostics: the one error type every stage reports in, and its rendering.
//!
//! Stages build [`Diagnostic`]s (a stable code, a message, labelled spans, notes and a hint);
//! only [`render`] knows about ariadne. Spans point into a [`SourceMap`], which holds the model
//! files, the embedded standard library and any data file an error points into, so a bad CSV
//! cell is shown in the CSV itself.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Index of a source text in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SourceId(pub u32);

/// A byte range in one source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// The source the range is in.
    pub src: SourceId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span over `range` of source `src`.
    pub fn new(src: SourceId, range: Range<usize>) -> Span {
        Span {
            src,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The smallest span covering both (which must be in the same source).
    pub fn to(self, other: Span) -> Span {
        Span {
            src: self.src,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The byte range.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One source text: a model file, a standard-library module or a data file.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name shown in diagnostics and in `# file:line` comments.
    pub name: String,
    /// Where it was read from (`None` for embedded text).
    pub path: Option<PathBuf>,
    /// The text.
    pub text: String,
    line_starts: Vec<usize>,
}

/// All source texts of one compilation.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a text and returns its id.
    pub fn add(&mut self, name: impl Into<String>, path: Option<&Path>, text: String) -> SourceId {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.sources.push(Source {
            name: name.into(),
            path: path.map(Path::to_path_buf),
            text,
            line_starts,
        });
        SourceId(self.sources.len() as u32 - 1)
    }

    /// The source with this id.
    pub fn get(&self, id: SourceId) -> &Source {
        &self.sources[id.0 as usize]
    }

    /// All sources, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &Source)> {
        self.sources
            .iter()
            .enumerate()
            .map(|(i, s)| (SourceId(i as u32), s))
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.src)
            .text
            .get(span.range())
            .unwrap_or_default()
    }

    /// 1-based line and column (in characters) of a span's start.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        let src = self.get(span.src);
        let pos = (span.start as usize).min(src.text.len());
        let line = src.line_starts.partition_point(|&s| s <= pos) - 1;
        let col = src.text[src.line_starts[line]..pos].chars().count();
        (line + 1, col + 1)
    }

    /// `name:line`, the form used in printed stages.
    pub fn location(&self, span: Span) -> String {
        let (line, _) = self.line_col(span);
        format!("{}:{}", self.get(span.src).name, line)
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Stops the compilation.
    Error,
    /// Reported, compilation goes on.
    Warning,
}

/// A labelled span of a diagnostic.
#[derive(Clone, Debug)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// The main label is drawn as the error's location.
    pub primary: bool,
}

/// One error or warning, with a stable code (`E0203`), labels, notes and an optional hint.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `E0101`; documented in docs/ERRORS.md.
    pub code: &'static str,
    /// One-line message.
    pub message: String,
    /// Spans, the primary one first.
    pub labels: Vec<Label>,
    /// Extra facts.
    pub notes: Vec<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// Further diagnostics of the same stage that were counted but not kept (a stage stops
    /// storing them past [`MAX_SHOWN`]); [`render`] adds them to its "and N more" line. A `u32`
    /// keeps the type at 120 bytes (clippy's `result_large_err` limit is 128).
    pub omitted: u32,
}

impl Diagnostic {
    /// A new error with no labels.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
            omitted: 0,
        }
    }

    /// A new warning with no labels.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Adds the primary label.
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.insert(
            0,
            Label {
                span,
                message: message.into(),
                primary: true,
            },
        );
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Sets the hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// Errors of a stage: at least one diagnostic.
pub type Diagnostics = Vec<Diagnostic>;

/// At most this many diagnostics are rendered per source file; the rest are counted.
pub const MAX_SHOWN: usize = 30;

/// Source lines longer than this (in bytes) are not drawn; the diagnostic gives `file:line:col`.
const MAX_LINE: usize = 1000;

/// Adds `d` to `diags` unless [`MAX_SHOWN`] are kept already; then it is only counted (in the
/// last kept diagnostic's `omitted`), so a stage's memory stays bounded on any input.
pub fn push_bounded(diags: &mut Vec<Diagnostic>, d: Diagnostic) {
    if diags.len() >= MAX_SHOWN {
        if let Some(last) = diags.last_mut() {
            last.omitted = last.omitted.saturating_add(1).saturating_add(d.omitted);
            return;
        }
    }
    diags.push(d);
}

/// `text` shortened to about `max` bytes for a message, with the full length said.
pub fn elide(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… ({} bytes)",
        &text[..end],
        group_digits(text.len() as u64)
    )
}

/// `31970` as `31,970`.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Renders diagnostics as text; `color` is off in tests and when output is not a terminal.
///
/// At most [`MAX_SHOWN`] diagnostics per source file are drawn, followed by one line
/// "… and N more errors in `file`"; the time taken is linear in the sources' size.
pub fn render(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    let mut cache = ariadne::sources(
        sources
            .iter()
            .map(|(_, s)| (s.name.clone(), s.text.clone())),
    );
    // Per source (None: diagnostics without a span): shown so far and left out.
    let mut counts: Vec<(Option<SourceId>, usize, usize)> = Vec::new();
    for d in diags {
        let src = d
            .primary_span()
            .or(d.labels.first().map(|l| l.span))
            .map(|s| s.src);
        let i = match counts.iter().position(|c| c.0 == src) {
            Some(i) => i,
            None => {
                counts.push((src, 0, 0));
                counts.len() - 1
            }
        };
        if counts[i].1 < MAX_SHOWN {
            counts[i].1 += 1;
            out.push_str(&render_one(sources, &mut cache, &shortened(d), color));
        } else {
            counts[i].2 += 1;
        }
        counts[i].2 += d.omitted as usize;
    }
    for (src, _, more) in counts {
        if more > 0 {
            let place = match src {
                Some(id) => format!(" in `{}`", sources.get(id).name),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "… and {} more diagnostic{}{place} (only the first {MAX_SHOWN} are shown)",
                group_digits(more as u64),
                if more == 1 { "" } else { "s" }
            );
        }
    }
    out
}

/// `d` with every text (message, labels, notes, help) cut to [`MAX_LINE`] bytes, so no input
/// echoed into a message can make the output large; borrowed when nothing is that long.
fn shortened(d: &Diagnostic) -> std::borrow::Cow<'_, Diagnostic> {
    let long = |t: &str| t.len() > MAX_LINE;
    if !long(&d.message)
        && !d.labels.iter().any(|l| long(&l.message))
        && !d.notes.iter().any(|n| long(n))
        && !d.help.as_deref().is_some_and(long)
    {
        return std::borrow::Cow::Borrowed(d);
    }
    let mut d = d.clone();
    d.message = elide(&d.message, MAX_LINE);
    for l in &mut d.labels {
        l.message = elide(&l.message, MAX_LINE);
    }
    for n in &mut d.notes {
        *n = elide(n, MAX_LINE);
    }
    d.help = d.help.map(|h| elide(&h, MAX_LINE));
    std::borrow::Cow::Owned(d)
}

/// Whether some label of `d` sits on a line too long to draw.
fn has_long_line(sources: &SourceMap, d: &Diagnostic) -> bool {
    d.labels.iter().any(|l| {
        let text = sources.get(l.span.src).text.as_bytes();
        let a = (l.span.start as usize).min(text.len());
        let b = (l.span.end as usize).clamp(a, text.len());
        let start = text[..a]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        let end = text[b..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(text.len(), |i| b + i);
        end - start > MAX_LINE
    })
}

/// The shape of a diagnostic without source lines: message, `at file:line:col` per label.
fn render_plain(sources: &SourceMap, d: &Diagnostic) -> String {
    let mut s = format!("[{}] {}: {}\n", d.code, severity_word(d), d.message);
    for l in &d.labels {
        let (line, col) = sources.line_col(l.span);
        let _ = write!(s, "    at {}:{line}:{col}", sources.get(l.span.src).name);
        if !l.message.is_empty() {
            let _ = write!(s, ": {}", l.message);
        }
        s.push('\n');
    }
    if !d.labels.is_empty() {
        let _ = writeln!(s, "    note: the line is too long to show");
    }
    for n in &d.notes {
        let _ = writeln!(s, "    note: {n}");
    }
    if let Some(h) = &d.help {
        let _ = writeln!(s, "    help: {h}");
    }
    s
}

fn severity_word(d: &Diagnostic) -> &'static str {
    if d.is_error() {
        "Error"
    } else {
        "Warning"
    }
}

fn render_one<C: ariadne::Cache<String>>(
    sources: &SourceMap,
    cache: &mut C,
    d: &Diagnostic,
    color: bool,
) -> String {
    use ariadne::{Config, Label as ALabel, Report, ReportKind};
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let Some(primary) = d.primary_span().or(d.labels.first().map(|l| l.span)) else {
        // No span to show: a plain message in the same shape.
        let mut s = format!(
            "{}[{}]: {}\n",
            if d.is_error() { "Error" } else { "Warning" },
            d.code,
            d.message
        );
        for n in &d.notes {
            let _ = writeln!(s, "    note: {n}");
        }
        if let Some(h) = &d.help {
            let _ = writeln!(s, "    help: {h}");
        }
        return s;
    };
    if has_long_line(sources, d) {
        return render_plain(sources, d);
    }
    let name = |id: SourceId| sources.get(id).name.clone();
    let mut report = Report::build(kind, (name(primary.src), char_range(sources, primary)))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(ariadne::IndexType::Char),
        )
        .with_code(d.code)
        .with_message(&d.message);
    // Labels line by line, the primary's file first and the primary first on its line: ariadne
    // starts a new block (headed by the primary's `line:col` when in the same file) whenever a
    // label is above the one before.
    let line = |sp: Span| {
        let text = sources.get(sp.src).text.as_bytes();
        let end = (sp.start as usize).min(text.len());
        text[..end].iter().filter(|&&b| b == b'\n').count()
    };
    let mut labels: Vec<&Label> = d.labels.iter().collect();
    labels.sort_by_key(|l| {
        let same = l.span.src == primary.src;
        (!same, l.span.src, line(l.span), !l.primary, l.span.start)
    });
    for (order, l) in labels.into_iter().enumerate() {
        let mut label = ALabel::new((name(l.span.src), char_range(sources, l.span)))
            .with_order(i32::try_from(order).unwrap_or(i32::MAX));
        if !l.message.is_empty() {
            label = label.with_message(&l.message);
        }
        report = report.with_label(label);
    }
    for n in &d.notes {
        report = report.with_note(n);
    }
    if let Some(h) = &d.help {
        report = report.with_help(h);
    }
    let mut buf = Vec::new();
    let _ = report.finish().write(cache, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// ariadne counts characters; spans count bytes.
fn char_range(sources: &SourceMap, span: Span) -> Range<usize> {
    let text = &sources.get(span.src).text;
    let clamp = |b: usize| {
        let mut b = b.min(text.len());
        while !text.is_char_boundary(b) {
            b -= 1;
        }
        b
    };
    let s = clamp(span.start as usize);
    let e = clamp(span.end as usize).max(s);
    let cs = text[..s].chars().count();
    cs..cs + text[s..e].chars().count()
}

/// The closest of `candidates` to `name`, if close enough to suggest ("did you mean").
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            suggest("sqared_error", ["squared_error", "hinge"]),
            Some("squared_error")
        );
        assert_eq!(suggest("zzz", ["squared_error", "hinge"]), None);
    }

    #[test]
    fn rendering_is_bounded() {
        let mut m = SourceMap::new();
        let id = m.add("a.cnn", None, "x\n".repeat(100));
        let d = |i: usize| {
            Diagnostic::error("E0000", "Z".repeat(5000))
                .with_primary(Span::new(id, 2 * i..2 * i + 1), "here")
        };
        let mut diags = Vec::new();
        for i in 0..100 {
            push_bounded(&mut diags, d(i));
        }
        assert_eq!(diags.len(), MAX_SHOWN);
        assert_eq!(diags[MAX_SHOWN - 1].omitted, 70);
        // Two more beyond the bounded list: 70 + 2 left out in all.
        diags.push(d(98));
        diags.push(d(99));
        let out = render(&m, &diags, false);
        assert_eq!(out.matches("[E0000]").count(), MAX_SHOWN);
        assert_eq!(
            out.matches("… and 72 more diagnostics in `a.cnn`").count(),
            1
        );
        // Each message cut to 1,000 bytes and its length said: "… (5,000 bytes)".
        assert_eq!(out.matches("… (5,000 bytes)").count(), MAX_SHOWN);
        assert!(out.len() < MAX_SHOWN * 1500, "{} bytes", out.len());
    }

    #[test]
    fn elide_keeps_short_text_and_cuts_at_a_char_boundary() {
        assert_eq!(elide("abc", 3), "abc");
        assert_eq!(elide("ééé", 3), "é… (6 bytes)");
        assert_eq!(group_digits(1234567), "1,234,567");
        assert_eq!(group_digits(999), "999");
    }

    #[test]
    fn line_col_counts_from_one() {
        let mut m = SourceMap::new();
        let id = m.add("a.cnn", None, "ab\ncdé f\n".into());
        assert_eq!(m.line_col(Span::new(id, 0..1)), (1, 1));
        assert_eq!(m.line_col(Span::new(id, 8..9)), (2, 5));
    }
}
