//! CBF syntax: tokens grouped into lines, lines into keyword items (`KEYWORD`, optional `HEADER`,
//! `BODY`), checked for shape only — field counts and kinds, declared line counts, repeated and
//! misordered keywords. Meaning (indices, cone names, sizes) is checked in `build`.

use super::lexer::{lex, Tok};
use crate::diag::{elide, push_bounded, suggest, Diagnostic, SourceId, Span};

/// A value with the span it was read from.
#[derive(Clone, Debug)]
pub(super) struct Sp<T> {
    pub v: T,
    pub span: Span,
}

/// The objective sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sense {
    Min,
    Max,
}

/// One `NAME dim` line of `VAR` or `CON`.
#[derive(Clone, Debug)]
pub(super) struct ConeDecl {
    pub name: Sp<String>,
    pub dim: Sp<i64>,
    pub line: Span,
}

/// A `VAR` or `CON` item: `total count` header, then `count` cone lines.
#[derive(Clone, Debug)]
pub(super) struct ConeList {
    pub keyword: Span,
    pub total: Sp<i64>,
    pub cones: Vec<ConeDecl>,
}

/// One coordinate line: `N` indices and a value.
#[derive(Clone, Debug)]
pub(super) struct Coord<const N: usize> {
    pub idx: [Sp<i64>; N],
    pub val: f64,
    pub line: Span,
}

/// One entry of `POWCONES`: the parameter vector α.
#[derive(Clone, Debug)]
pub(super) struct PowCone {
    pub alphas: Vec<f64>,
    pub span: Span,
}

/// The keywords of CBF versions 1 to 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Keyword {
    Ver,
    ObjSense,
    PowCones,
    DualPowCones,
    PsdVar,
    Var,
    Int,
    PsdCon,
    Con,
    ObjFCoord,
    ObjACoord,
    ObjBCoord,
    FCoord,
    ACoord,
    BCoord,
    HCoord,
    DCoord,
}

const KEYWORDS: [(&str, Keyword); 17] = [
    ("VER", Keyword::Ver),
    ("OBJSENSE", Keyword::ObjSense),
    ("POWCONES", Keyword::PowCones),
    ("POW*CONES", Keyword::DualPowCones),
    ("PSDVAR", Keyword::PsdVar),
    ("VAR", Keyword::Var),
    ("INT", Keyword::Int),
    ("PSDCON", Keyword::PsdCon),
    ("CON", Keyword::Con),
    ("OBJFCOORD", Keyword::ObjFCoord),
    ("OBJACOORD", Keyword::ObjACoord),
    ("OBJBCOORD", Keyword::ObjBCoord),
    ("FCOORD", Keyword::FCoord),
    ("ACOORD", Keyword::ACoord),
    ("BCOORD", Keyword::BCoord),
    ("HCOORD", Keyword::HCoord),
    ("DCOORD", Keyword::DCoord),
];

impl Keyword {
    fn from_name(s: &str) -> Option<Keyword> {
        KEYWORDS.iter().find(|(n, _)| *n == s).map(|&(_, k)| k)
    }

    /// The keyword as written in files.
    pub fn name(self) -> &'static str {
        KEYWORDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |&(n, _)| n)
    }

    /// 0: file format, 1: problem structure, 2: problem data (the order the groups must appear in).
    fn group(self) -> u8 {
        match self {
            Keyword::Ver => 0,
            Keyword::ObjSense
            | Keyword::PowCones
            | Keyword::DualPowCones
            | Keyword::PsdVar
            | Keyword::Var
            | Keyword::Int
            | Keyword::PsdCon
            | Keyword::Con => 1,
            _ => 2,
        }
    }

    /// Keywords that, when present, must come before this one.
    fn must_follow(self) -> &'static [Keyword] {
        match self {
            Keyword::Int => &[Keyword::Var],
            Keyword::PsdCon | Keyword::Con => &[Keyword::PsdVar, Keyword::Var],
            Keyword::Var => &[Keyword::PowCones, Keyword::DualPowCones],
            _ => &[],
        }
    }
}

/// A parsed CBF file: each item as written, not yet checked for meaning.
#[derive(Debug, Default)]
pub(super) struct CbfFile {
    /// Every keyword in the order it appears.
    pub keywords: Vec<(Keyword, Span)>,
    pub ver: Option<Sp<i64>>,
    pub objsense: Option<Sp<Sense>>,
    pub powcones: Vec<PowCone>,
    pub dual_powcones: Vec<PowCone>,
    pub psdvar: Vec<Sp<i64>>,
    pub var: Option<ConeList>,
    pub int: Vec<Sp<i64>>,
    pub psdcon: Vec<Sp<i64>>,
    pub con: Option<ConeList>,
    pub objfcoord: Vec<Coord<3>>,
    pub objacoord: Vec<Coord<1>>,
    pub objbcoord: Option<Sp<f64>>,
    pub fcoord: Vec<Coord<4>>,
    pub acoord: Vec<Coord<2>>,
    pub bcoord: Vec<Coord<1>>,
    pub hcoord: Vec<Coord<4>>,
    pub dcoord: Vec<Coord<3>>,
    /// Where `CHANGE` ended the first instance, if it did.
    pub change: Option<Span>,
    /// The end of the text, for "file ends here" labels.
    pub eof: Span,
}

impl CbfFile {
    /// The span of the keyword's item, if it appeared.
    pub fn keyword_span(&self, k: Keyword) -> Option<Span> {
        self.keywords
            .iter()
            .find(|(kw, _)| *kw == k)
            .map(|&(_, s)| s)
    }
}

/// The kind of one field of a line.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Field {
    Int,
    Real,
    Word,
}

impl Field {
    fn describe(self) -> &'static str {
        match self {
            Field::Int => "INT",
            Field::Real => "REAL",
            Field::Word => "STR",
        }
    }
}

/// One read field.
#[derive(Clone, Debug)]
enum Val {
    Int(i64),
    Real(f64),
    Word(String),
}

#[derive(Debug)]
struct Line {
    toks: Vec<(Tok, Span)>,
}

impl Line {
    fn span(&self) -> Span {
        match (self.toks.first(), self.toks.last()) {
            (Some(a), Some(b)) => a.1.to(b.1),
            _ => Span::default(),
        }
    }
}

/// Body lines read: the fields of each well-formed line, with the line's span.
type BodyLines = Vec<(Vec<Sp<Val>>, Span)>;

/// Why a body stopped before its declared end.
enum Stop {
    /// The next line starts another item (or the file ended): reported, go on with that item.
    Short,
}

struct Parser<'t> {
    text: &'t str,
    lines: Vec<Line>,
    pos: usize,
    diags: Vec<Diagnostic>,
    file: CbfFile,
}

/// Parses CBF text of source `src`. Returns the file and every syntax error found.
pub(super) fn parse(src: SourceId, text: &str) -> (CbfFile, Vec<Diagnostic>) {
    let mut lines = Vec::new();
    let mut cur = Vec::new();
    for (tok, range) in lex(text) {
        if tok == Tok::Newline {
            if !cur.is_empty() {
                lines.push(Line {
                    toks: std::mem::take(&mut cur),
                });
            }
        } else {
            cur.push((tok, Span::new(src, range)));
        }
    }
    if !cur.is_empty() {
        lines.push(Line { toks: cur });
    }
    let end = text.trim_end().len();
    let mut p = Parser {
        text,
        lines,
        pos: 0,
        diags: Vec::new(),
        file: CbfFile {
            eof: Span::new(src, end..end),
            ..CbfFile::default()
        },
    };
    p.items();
    (p.file, p.diags)
}

impl<'t> Parser<'t> {
    fn slice(&self, span: Span) -> &'t str {
        self.text.get(span.range()).unwrap_or_default()
    }

    /// If line `i` is a lone word, that word.
    fn lone_word(&self, i: usize) -> Option<(&'t str, Span)> {
        let line = self.lines.get(i)?;
        match line.toks.as_slice() {
            [(Tok::Word, s)] => Some((self.slice(*s), *s)),
            _ => None,
        }
    }

    /// Whether line `i` starts a new item (a known keyword or `CHANGE` alone on its line).
    fn starts_item(&self, i: usize) -> bool {
        self.lone_word(i)
            .is_some_and(|(w, _)| w == "CHANGE" || Keyword::from_name(w).is_some())
    }

    fn items(&mut self) {
        let mut stray_reported = false;
        while self.pos < self.lines.len() {
            let Some((word, span)) = self.lone_word(self.pos).map(|(w, s)| (w.to_string(), s))
            else {
                if !stray_reported {
                    let line = self.lines[self.pos].span();
                    push_bounded(
                        &mut self.diags,
                        Diagnostic::error("E0704", "data line outside any keyword item")
                            .with_primary(line, "this line belongs to no keyword")
                            .with_help(
                                "the item above has more lines than its header declares, or its \
                                 keyword is missing; fix the count in the header",
                            ),
                    );
                    stray_reported = true;
                }
                self.pos += 1;
                continue;
            };
            stray_reported = false;
            self.pos += 1;
            if word == "CHANGE" {
                // A hotstart sequence (CBF version 1): the standard allows reading only the
                // first instance, as if the file ended here.
                self.file.change = Some(span);
                return;
            }
            let Some(kw) = Keyword::from_name(&word) else {
                self.unknown_keyword(&word, span);
                while self.pos < self.lines.len() && !self.starts_item(self.pos) {
                    self.pos += 1;
                }
                stray_reported = true;
                continue;
            };
            self.check_order(kw, span);
            self.file.keywords.push((kw, span));
            self.item(kw, span);
        }
    }

    fn unknown_keyword(&mut self, word: &str, span: Span) {
        let mut d = Diagnostic::error("E0701", format!("unknown keyword `{}`", elide(word, 60)))
            .with_primary(span, "not a CBF keyword");
        let names = KEYWORDS.iter().map(|(n, _)| *n);
        d = match suggest(word, names) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(
                "CBF versions 1 to 3 know VER, OBJSENSE, POWCONES, POW*CONES, PSDVAR, VAR, INT, \
                 PSDCON, CON, OBJFCOORD, OBJACOORD, OBJBCOORD, FCOORD, ACOORD, BCOORD, HCOORD, \
                 DCOORD and CHANGE (keywords are case sensitive)",
            ),
        };
        push_bounded(&mut self.diags, d);
    }

    fn check_order(&mut self, kw: Keyword, span: Span) {
        if let Some(&(_, first)) = self.file.keywords.iter().find(|(k, _)| *k == kw) {
            push_bounded(
                &mut self.diags,
                Diagnostic::error("E0710", format!("keyword `{}` appears twice", kw.name()))
                    .with_primary(span, "repeated here")
                    .with_label(first, "first given here")
                    .with_help("each keyword may appear at most once; merge the two items"),
            );
            return;
        }
        if kw == Keyword::Ver {
            if let Some(&(_, first)) = self.file.keywords.first() {
                push_bounded(
                    &mut self.diags,
                    Diagnostic::error("E0709", "`VER` must be the first keyword of the file")
                        .with_primary(span, "given here")
                        .with_label(first, "but the file starts with this keyword"),
                );
            }
            return;
        }
        if let Some(&(later, lspan)) = self
            .file
            .keywords
            .iter()
            .find(|(k, _)| k.group() > kw.group())
        {
            push_bounded(&mut self.diags,
                Diagnostic::error(
                    "E0711",
                    format!(
                        "`{}` comes after `{}`, but problem structure must come before problem data",
                        kw.name(),
                        later.name()
                    ),
                )
                .with_primary(span, "structure keyword here")
                .with_label(lspan, "data keyword above it")
                .with_help(format!("move the `{}` item up", kw.name())),
            );
            return;
        }
        for (k, kspan) in self.file.keywords.clone() {
            if k.must_follow().contains(&kw) {
                push_bounded(
                    &mut self.diags,
                    Diagnostic::error(
                        "E0711",
                        format!("`{}` must come before `{}`", kw.name(), k.name()),
                    )
                    .with_primary(span, "given here")
                    .with_label(kspan, format!("`{}` is above it", k.name()))
                    .with_help(format!(
                        "move the `{}` item above `{}`",
                        kw.name(),
                        k.name()
                    )),
                );
                return;
            }
        }
    }

    /// Reads the next line as a body or header line with fields `want`. `Ok(None)`: the line was
    /// malformed (reported) and skipped. `Err(Stop::Short)`: the item ended early (reported).
    fn fields(
        &mut self,
        kw: Keyword,
        what: &str,
        want: &[Field],
        progress: Option<(&Sp<i64>, usize)>,
    ) -> Result<Option<Vec<Sp<Val>>>, Stop> {
        if self.pos >= self.lines.len() || self.starts_item(self.pos) {
            let (at, label) = if self.pos >= self.lines.len() {
                (self.file.eof, "the file ends here".to_string())
            } else {
                let s = self.lines[self.pos].span();
                (s, format!("`{}` starts here", elide(self.slice(s), 60)))
            };
            let mut d = match progress {
                Some((count, got)) => Diagnostic::error(
                    "E0704",
                    format!(
                        "`{}` declares {} {what} lines but only {got} follow",
                        kw.name(),
                        count.v
                    ),
                )
                .with_primary(at, label)
                .with_label(count.span, "count declared here"),
                None => Diagnostic::error(
                    "E0704",
                    format!("`{}` is missing its {what} line", kw.name()),
                )
                .with_primary(at, label),
            };
            d = d.with_help(format!(
                "each {what} line of `{}` has the form `{}`; check that the file is complete",
                kw.name(),
                want.iter()
                    .map(|f| f.describe())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
            push_bounded(&mut self.diags, d);
            return Err(Stop::Short);
        }
        let line_span = self.lines[self.pos].span();
        let toks = std::mem::take(&mut self.lines[self.pos].toks);
        self.pos += 1;
        let shape = want
            .iter()
            .map(|f| f.describe())
            .collect::<Vec<_>>()
            .join(" ");
        if toks.len() != want.len() {
            push_bounded(
                &mut self.diags,
                Diagnostic::error(
                    "E0703",
                    format!(
                        "a {what} line of `{}` has {} fields, expected {}",
                        kw.name(),
                        toks.len(),
                        want.len()
                    ),
                )
                .with_primary(line_span, format!("expected `{shape}`"))
                .with_help(format!("write this line as `{shape}`")),
            );
            return Ok(None);
        }
        let mut out = Vec::with_capacity(want.len());
        let mut ok = true;
        for (&(tok, span), &field) in toks.iter().zip(want) {
            let s = self.slice(span);
            let val = match (tok, field) {
                (Tok::Junk, Field::Int | Field::Real) => {
                    self.bad_number(s, span);
                    None
                }
                (Tok::Int, Field::Int) => match s.parse::<i64>() {
                    Ok(v) => Some(Val::Int(v)),
                    Err(_) => {
                        push_bounded(
                            &mut self.diags,
                            Diagnostic::error(
                                "E0702",
                                format!("integer `{}` is too large", elide(s, 60)),
                            )
                            .with_primary(span, "does not fit in 64 bits"),
                        );
                        None
                    }
                },
                (Tok::Int | Tok::Real, Field::Real) => match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(Val::Real(v)),
                    _ => {
                        push_bounded(
                            &mut self.diags,
                            Diagnostic::error(
                                "E0702",
                                format!("number `{}` is out of range", elide(s, 60)),
                            )
                            .with_primary(span, "not a finite 64-bit float"),
                        );
                        None
                    }
                },
                (Tok::Word, Field::Word) => Some(Val::Word(s.to_string())),
                _ => {
                    let found = match tok {
                        Tok::Int => "an integer",
                        Tok::Real => "a real number",
                        Tok::Word => "a name",
                        Tok::Junk | Tok::Newline => "malformed text",
                    };
                    let expected = match field {
                        Field::Int => "an integer",
                        Field::Real => "a number",
                        Field::Word => "a name",
                    };
                    push_bounded(
                        &mut self.diags,
                        Diagnostic::error(
                            "E0703",
                            format!(
                                "expected {expected} in this {what} line of `{}`, found `{}`",
                                kw.name(),
                                elide(s, 60)
                            ),
                        )
                        .with_primary(span, format!("{found}, not {expected}"))
                        .with_help(format!(
                            "a `{}` {what} line has the form `{shape}`",
                            kw.name()
                        )),
                    );
                    None
                }
            };
            match val {
                Some(v) => out.push(Sp { v, span }),
                None => ok = false,
            }
        }
        Ok(ok.then_some(out))
    }

    fn bad_number(&mut self, s: &str, span: Span) {
        push_bounded(
            &mut self.diags,
            Diagnostic::error("E0702", format!("`{}` is not a number", elide(s, 60)))
                .with_primary(span, "malformed number")
                .with_help("numbers are written in C notation, e.g. `3`, `-0.5`, `1.5e-3`"),
        );
    }

    /// Reads a one-integer header that counts lines; negative counts are reported.
    fn count(&mut self, kw: Keyword) -> Result<Option<Sp<i64>>, Stop> {
        let Some(f) = self.fields(kw, "header", &[Field::Int], None)? else {
            return Ok(None);
        };
        Ok(self.nonneg(kw, int_of(&f[0])))
    }

    fn nonneg(&mut self, kw: Keyword, v: Sp<i64>) -> Option<Sp<i64>> {
        if v.v < 0 {
            push_bounded(
                &mut self.diags,
                Diagnostic::error("E0703", format!("negative count in `{}`", kw.name()))
                    .with_primary(v.span, "must be zero or more"),
            );
            None
        } else {
            Some(v)
        }
    }

    /// Reads `count` body lines of shape `want`; malformed lines are reported and left out.
    fn body(&mut self, kw: Keyword, count: &Sp<i64>, want: &[Field]) -> Result<BodyLines, Stop> {
        let mut out = Vec::new();
        let mut got = 0usize;
        while (got as i64) < count.v {
            let line = self.lines.get(self.pos).map(Line::span).unwrap_or_default();
            if let Some(f) = self.fields(kw, "body", want, Some((count, got)))? {
                out.push((f, line));
            }
            got += 1;
        }
        Ok(out)
    }

    fn item(&mut self, kw: Keyword, kspan: Span) {
        // A short item has been reported; the main loop goes on with the next keyword.
        let _ = self.item_inner(kw, kspan);
    }

    fn item_inner(&mut self, kw: Keyword, kspan: Span) -> Result<(), Stop> {
        use Field::{Int as I, Real as R, Word as W};
        match kw {
            Keyword::Ver => {
                if let Some(f) = self.fields(kw, "version", &[I], None)? {
                    self.file.ver.get_or_insert(int_of(&f[0]));
                }
            }
            Keyword::ObjSense => {
                if let Some(f) = self.fields(kw, "sense", &[W], None)? {
                    let sense = match &f[0].v {
                        Val::Word(w) if w == "MIN" => Some(Sense::Min),
                        Val::Word(w) if w == "MAX" => Some(Sense::Max),
                        _ => None,
                    };
                    match sense {
                        Some(v) => {
                            self.file.objsense.get_or_insert(Sp { v, span: f[0].span });
                        }
                        None => push_bounded(
                            &mut self.diags,
                            Diagnostic::error(
                                "E0712",
                                "the objective sense must be `MIN` or `MAX`",
                            )
                            .with_primary(f[0].span, "unknown sense")
                            .with_help("write `MIN` or `MAX` in capital letters"),
                        ),
                    }
                }
            }
            Keyword::PowCones | Keyword::DualPowCones => {
                let Some(h) = self.fields(kw, "header", &[I, I], None)? else {
                    return Ok(());
                };
                let (Some(k), Some(total)) = (
                    self.nonneg(kw, int_of(&h[0])),
                    self.nonneg(kw, int_of(&h[1])),
                ) else {
                    return Ok(());
                };
                let mut cones = Vec::new();
                let mut params = 0i64;
                for got in 0..k.v as usize {
                    let Some(n) = self.fields(kw, "cone", &[I], Some((&k, got)))? else {
                        continue;
                    };
                    let Some(n) = self.nonneg(kw, int_of(&n[0])) else {
                        continue;
                    };
                    params += n.v;
                    let rows = self.body(kw, &n, &[R])?;
                    let alphas: Vec<f64> = rows.iter().map(|(f, _)| real_of(&f[0])).collect();
                    let span = rows.last().map_or(n.span, |(_, s)| n.span.to(*s));
                    cones.push(PowCone { alphas, span });
                }
                if params != total.v {
                    push_bounded(
                        &mut self.diags,
                        Diagnostic::error(
                            "E0705",
                            format!(
                                "`{}` declares {} parameters in total but its cones list {params}",
                                kw.name(),
                                total.v
                            ),
                        )
                        .with_primary(total.span, "total declared here")
                        .with_help(
                            "the second header number is the sum of the cones' parameter counts",
                        ),
                    );
                }
                if kw == Keyword::PowCones {
                    self.file.powcones = cones;
                } else {
                    self.file.dual_powcones = cones;
                }
            }
            Keyword::PsdVar | Keyword::PsdCon | Keyword::Int => {
                let Some(n) = self.count(kw)? else {
                    return Ok(());
                };
                let rows = self.body(kw, &n, &[I])?;
                let v: Vec<Sp<i64>> = rows.iter().map(|(f, _)| int_of(&f[0])).collect();
                match kw {
                    Keyword::PsdVar => self.file.psdvar = v,
                    Keyword::PsdCon => self.file.psdcon = v,
                    _ => self.file.int = v,
                }
            }
            Keyword::Var | Keyword::Con => {
                let Some(h) = self.fields(kw, "header", &[I, I], None)? else {
                    return Ok(());
                };
                let (Some(total), Some(k)) = (
                    self.nonneg(kw, int_of(&h[0])),
                    self.nonneg(kw, int_of(&h[1])),
                ) else {
                    return Ok(());
                };
                let rows = self.body(kw, &k, &[W, I])?;
                let cones = rows
                    .iter()
                    .map(|(f, line)| ConeDecl {
                        name: Sp {
                            v: match &f[0].v {
                                Val::Word(w) => w.clone(),
                                _ => String::new(),
                            },
                            span: f[0].span,
                        },
                        dim: int_of(&f[1]),
                        line: *line,
                    })
                    .collect();
                let list = ConeList {
                    keyword: kspan,
                    total,
                    cones,
                };
                if kw == Keyword::Var {
                    self.file.var.get_or_insert(list);
                } else {
                    self.file.con.get_or_insert(list);
                }
            }
            Keyword::ObjBCoord => {
                if let Some(f) = self.fields(kw, "value", &[R], None)? {
                    self.file.objbcoord.get_or_insert(Sp {
                        v: real_of(&f[0]),
                        span: f[0].span,
                    });
                }
            }
            Keyword::ObjFCoord => self.file.objfcoord = self.coords::<3>(kw)?,
            Keyword::ObjACoord => self.file.objacoord = self.coords::<1>(kw)?,
            Keyword::FCoord => self.file.fcoord = self.coords::<4>(kw)?,
            Keyword::ACoord => self.file.acoord = self.coords::<2>(kw)?,
            Keyword::BCoord => self.file.bcoord = self.coords::<1>(kw)?,
            Keyword::HCoord => self.file.hcoord = self.coords::<4>(kw)?,
            Keyword::DCoord => self.file.dcoord = self.coords::<3>(kw)?,
        }
        Ok(())
    }

    /// A counted list of `N` indices and a value per line.
    fn coords<const N: usize>(&mut self, kw: Keyword) -> Result<Vec<Coord<N>>, Stop> {
        let Some(n) = self.count(kw)? else {
            return Ok(Vec::new());
        };
        let mut want = vec![Field::Int; N];
        want.push(Field::Real);
        let rows = self.body(kw, &n, &want)?;
        Ok(rows
            .into_iter()
            .map(|(f, line)| Coord {
                idx: std::array::from_fn(|i| int_of(&f[i])),
                val: real_of(&f[N]),
                line,
            })
            .collect())
    }
}

fn int_of(v: &Sp<Val>) -> Sp<i64> {
    Sp {
        v: match v.v {
            Val::Int(i) => i,
            _ => 0,
        },
        span: v.span,
    }
}

fn real_of(v: &Sp<Val>) -> f64 {
    match v.v {
        Val::Real(r) => r,
        Val::Int(i) => i as f64,
        Val::Word(_) => 0.0,
    }
}
