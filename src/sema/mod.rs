//! Checking: names, imports, the standard library, data, shapes → the model IR.
//!
//! [`check`] parses nothing itself: it takes the parsed user file, loads the standard-library
//! modules it imports (embedded `.cnn` source, so their spans are real spans), resolves every
//! name, loads data, expands layers into variables, inlines library functions and expands
//! per-class constraints. Errors of a stage are collected before stopping.

mod data;
mod expr;
mod network;
pub mod options;
mod stdlib;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diag::{suggest, Diagnostic, SourceMap, Span};
use crate::model::{self, Model, OptionValue};
use crate::syntax::ast::{self, ItemKind};

pub use stdlib::{module_source, MODULES, PRELUDE};

/// Command-line overrides applied while checking.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--data NAME=path.csv`: read these data declarations from other files.
    pub data: Vec<(String, PathBuf)>,
    /// `--set NAME=value`: new values of named constants.
    pub set: Vec<(String, f64)>,
}

/// A definition a name can refer to.
#[derive(Clone, Debug)]
enum Def<'a> {
    Const(usize),
    Data(model::DataId),
    Network(model::NetId),
    Var(model::VarId),
    Fn(&'a ast::FnDef),
    /// A declaration that failed (its error is reported): the name is known, and uses of it
    /// are silent, so the root cause is reported once.
    Failed,
}

/// The checker's state over one model and its imports.
struct Checker<'a> {
    sources: &'a mut SourceMap,
    base_dir: PathBuf,
    overrides: &'a Overrides,
    diags: Vec<Diagnostic>,
    /// Value names: constants, data, networks, variables, functions.
    names: HashMap<String, (Def<'a>, Span)>,
    /// Activation definitions.
    activations: HashMap<String, (&'a ast::FnDef, Span)>,
    /// Library calls being inlined: (call span, function name), outermost first.
    call_stack: Vec<(Span, String)>,
    /// Constraint names declared so far (a per-class constraint under its base name).
    constraint_names: HashMap<String, Span>,
    /// Estimated bytes of the variables and layers declared so far (see [`crate::budget`]).
    memory: u64,
    model: Model,
}

/// Checks a parsed file (with the library files it imports already parsed in `library`).
///
/// `base_dir` is the directory data paths are relative to (the model file's directory).
pub fn check(
    sources: &mut SourceMap,
    file: &ast::File,
    library: &[ast::File],
    base_dir: &Path,
    overrides: &Overrides,
) -> Result<Model, Vec<Diagnostic>> {
    let name = sources.get(file.src).name.clone();
    let mut c = Checker {
        sources,
        base_dir: base_dir.to_path_buf(),
        overrides,
        diags: Vec::new(),
        names: HashMap::new(),
        activations: HashMap::new(),
        call_stack: Vec::new(),
        constraint_names: HashMap::new(),
        memory: 0,
        model: Model {
            file: name,
            constants: Vec::new(),
            datasets: Vec::new(),
            networks: Vec::new(),
            vars: Vec::new(),
            objective: None,
            constraints: Vec::new(),
            methods: Vec::new(),
            solver: model::Solver {
                name: "clarabel".into(),
                options: Vec::new(),
                span: None,
            },
        },
    };
    c.library(file, library);
    c.items(file);
    if c.diags.iter().any(Diagnostic::is_error) {
        return Err(c.diags);
    }
    Ok(c.model)
}

/// Parses the library modules a file imports (the prelude always), with their own imports.
pub fn load_library(
    sources: &mut SourceMap,
    file: &ast::File,
) -> Result<Vec<ast::File>, Vec<Diagnostic>> {
    let mut wanted: Vec<(String, Option<Span>)> = vec![(PRELUDE.to_string(), None)];
    for item in &file.items {
        if let ItemKind::Use { module, .. } = &item.kind {
            wanted.push((module.name.clone(), Some(module.span)));
        }
    }
    let mut loaded: Vec<String> = Vec::new();
    let mut files = Vec::new();
    let mut diags = Vec::new();
    while let Some((name, span)) = wanted.pop() {
        if loaded.contains(&name) {
            continue;
        }
        let Some(text) = module_source(&name) else {
            let mut d = Diagnostic::error("E0201", format!("no library module `{name}`"));
            if let Some(span) = span {
                d = d.with_primary(span, "not in stdlib/");
            }
            if let Some(s) = suggest(&name, MODULES.iter().map(|(n, _)| *n)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_note(format!(
                    "library modules: {}",
                    MODULES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            diags.push(d);
            continue;
        };
        loaded.push(name.clone());
        let id = sources.add(format!("stdlib/{name}.cnn"), None, text.to_string());
        match crate::syntax::parse(sources, id) {
            Ok(f) => {
                for item in &f.items {
                    if let ItemKind::Use { module, .. } = &item.kind {
                        wanted.push((module.name.clone(), Some(module.span)));
                    }
                }
                files.push(f);
            }
            Err(e) => diags.extend(e),
        }
    }
    if diags.is_empty() {
        Ok(files)
    } else {
        Err(diags)
    }
}

impl<'a> Checker<'a> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Adds `bytes` for the declaration at `span` to the model's estimate; if that goes over the
    /// memory budget, reports it (E0330) and returns false.
    fn reserve(&mut self, what: &str, bytes: u64, span: Span, how: String) -> bool {
        let total = self.memory.saturating_add(bytes);
        let (limit, origin) = crate::budget::limit();
        if total <= limit {
            self.memory = total;
            return true;
        }
        let show = crate::budget::show;
        let mut d = Diagnostic::error(
            "E0330",
            format!(
                "{what} needs an estimated {}, over the memory budget of {}",
                show(bytes),
                show(limit)
            ),
        )
        .with_primary(span, how);
        if self.memory > 0 {
            d = d.with_note(format!(
                "the declarations above it need {} already",
                show(self.memory)
            ));
        }
        d = d
            .with_note(format!("the budget is {origin}"))
            .with_help("make it smaller, or raise the budget if the machine has the memory");
        self.error(d);
        false
    }

    fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }

    /// Declares a value name, reporting a duplicate.
    fn declare(&mut self, name: &ast::Ident, def: Def<'a>) {
        if let Some((_, prev)) = self.names.get(&name.name) {
            let prev = *prev;
            let d = Diagnostic::error("E0203", format!("`{}` is defined twice", name.name))
                .with_primary(name.span, "defined again here")
                .with_label(prev, "first defined here")
                .with_help("rename one of them");
            self.error(d);
            return;
        }
        self.names.insert(name.name.clone(), (def, name.span));
    }

    /// Library functions and activations: the prelude's activations always; functions only as
    /// imported by `use`.
    fn library(&mut self, file: &ast::File, library: &'a [ast::File]) {
        let module_of = |f: &ast::File, s: &SourceMap| {
            let n = &s.get(f.src).name;
            n.trim_start_matches("stdlib/")
                .trim_end_matches(".cnn")
                .to_string()
        };
        let mut fns: HashMap<String, HashMap<String, (&'a ast::FnDef, Span)>> = HashMap::new();
        for lib in library {
            let module = module_of(lib, self.sources);
            for item in &lib.items {
                match &item.kind {
                    ItemKind::Fn(def) => {
                        fns.entry(module.clone())
                            .or_default()
                            .insert(def.name.name.clone(), (def, def.name.span));
                    }
                    ItemKind::Activation(def) => {
                        self.activations
                            .insert(def.name.name.clone(), (def, def.name.span));
                    }
                    _ => {}
                }
            }
        }
        for item in &file.items {
            let ItemKind::Use { module, names } = &item.kind else {
                continue;
            };
            let Some(defs) = fns.get(&module.name) else {
                continue; // unknown modules were reported while loading; the prelude has no fns
            };
            match names {
                None => {
                    let mut all: Vec<_> = defs.values().collect();
                    all.sort_by_key(|(_, s)| *s);
                    for (def, _) in all {
                        let ident = ast::Ident {
                            name: def.name.name.clone(),
                            span: module.span,
                        };
                        self.declare(&ident, Def::Fn(def));
                    }
                }
                Some(names) => {
                    for n in names {
                        match defs.get(&n.name) {
                            Some((def, _)) => self.declare(n, Def::Fn(def)),
                            None => {
                                let mut d = Diagnostic::error(
                                    "E0202",
                                    format!("module `{}` has no `{}`", module.name, n.name),
                                )
                                .with_primary(n.span, "not defined there");
                                let mut avail: Vec<&str> =
                                    defs.keys().map(String::as_str).collect();
                                avail.sort_unstable();
                                if let Some(s) = suggest(&n.name, avail.iter().copied()) {
                                    d = d.with_help(format!("did you mean `{s}`?"));
                                }
                                d = d.with_note(format!(
                                    "`{}` defines: {}",
                                    module.name,
                                    avail.join(", ")
                                ));
                                self.error(d);
                            }
                        }
                    }
                }
            }
        }
    }

    fn items(&mut self, file: &'a ast::File) {
        // Definitions first, in order, so later items may use earlier ones.
        for item in &file.items {
            match &item.kind {
                ItemKind::Fn(def) => self.declare(&def.name, Def::Fn(def)),
                ItemKind::Activation(def) => {
                    if let Some((_, prev)) = self.activations.get(&def.name.name) {
                        let d = Diagnostic::error(
                            "E0203",
                            format!("activation `{}` is defined twice", def.name.name),
                        )
                        .with_primary(def.name.span, "defined again here")
                        .with_label(*prev, "first defined here");
                        self.error(d);
                    } else {
                        self.activations
                            .insert(def.name.name.clone(), (def, def.name.span));
                    }
                }
                _ => {}
            }
        }
        for item in &file.items {
            match &item.kind {
                ItemKind::Const { name, value } => self.constant(name, value),
                ItemKind::Data { name, source, args } => self.data(item.span, name, source, args),
                ItemKind::Var { name, shape, bound } => self.var(name, shape, bound.as_ref()),
                ItemKind::Network {
                    name,
                    input,
                    layers,
                } => self.network(item.span, name, input, layers),
                ItemKind::NetworkLoad { name, source, args } => {
                    self.network_load(item.span, name, source, args)
                }
                _ => {}
            }
        }
        self.unknown_overrides();
        if self.has_errors() {
            return;
        }
        for item in &file.items {
            match &item.kind {
                ItemKind::Objective { sense, expr } => self.objective(item.span, *sense, expr),
                ItemKind::Constraint { name, each, body } => {
                    self.constraint(item.span, name, each.as_ref(), body)
                }
                ItemKind::Method { name, args } => self.method(item.span, name, args),
                ItemKind::Solver { name, args } => self.solver(item.span, name, args),
                _ => {}
            }
        }
        if self.model.solver.span.is_none() {
            self.model.solver.options = options::solver_options(&self.model.solver.name)
                .into_iter()
                .filter_map(|(n, _, default)| Some((n.to_string(), default?)))
                .collect();
        }
    }

    fn constant(&mut self, name: &ast::Ident, value: &ast::Expr) {
        let Some(v) = self.const_number(value, "a constant's value") else {
            self.declare(name, Def::Failed);
            return;
        };
        let over = self
            .overrides
            .set
            .iter()
            .rev()
            .find(|(n, _)| *n == name.name)
            .map(|(_, v)| *v);
        let idx = self.model.constants.len();
        self.model.constants.push(model::Constant {
            name: name.name.clone(),
            value: over.unwrap_or(v),
            overridden: over.is_some(),
            span: name.span,
        });
        self.declare(name, Def::Const(idx));
    }

    /// `--set` and `--data` names that match no declaration.
    fn unknown_overrides(&mut self) {
        let consts: Vec<String> = self
            .model
            .constants
            .iter()
            .map(|c| c.name.clone())
            .collect();
        for (n, _) in &self.overrides.set {
            if !consts.contains(n) {
                let mut d = Diagnostic::error(
                    "E0206",
                    format!("`--set {n}=…`: the model has no constant `{n}`"),
                );
                match suggest(n, consts.iter().map(String::as_str)) {
                    Some(s) => d = d.with_help(format!("did you mean `{s}`?")),
                    None if consts.is_empty() => d = d.with_note("the model declares no `const`"),
                    None => d = d.with_note(format!("constants: {}", consts.join(", "))),
                }
                self.diags.push(d);
            }
        }
        let data: Vec<String> = self.model.datasets.iter().map(|c| c.name.clone()).collect();
        for (n, _) in &self.overrides.data {
            if !data.contains(n) && !self.names.contains_key(n) {
                let mut d = Diagnostic::error(
                    "E0206",
                    format!("`--data {n}=…`: the model has no data `{n}`"),
                );
                if let Some(s) = suggest(n, data.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
            }
        }
    }

    fn var(&mut self, name: &ast::Ident, shape: &[ast::Expr], bound: Option<&ast::VarBound>) {
        let mut dims = Vec::new();
        for e in shape {
            match self.const_number(e, "a dimension") {
                Some(v) if v >= 1.0 && v.fract() == 0.0 && v < 1e9 => dims.push(v as usize),
                Some(v) if v >= 1e9 => {
                    let d = Diagnostic::error(
                        "E0304",
                        format!(
                            "a dimension must be less than 1,000,000,000, not {}",
                            crate::syntax::print::format_number(v)
                        ),
                    )
                    .with_primary(e.span, "larger than the limit");
                    self.error(d);
                    return;
                }
                Some(v) => {
                    let d = Diagnostic::error(
                        "E0304",
                        format!("a dimension must be a positive integer, not {v}"),
                    )
                    .with_primary(e.span, "not a positive integer");
                    self.error(d);
                    return;
                }
                None => return,
            }
        }
        let entries = crate::budget::product(&dims.iter().map(|&d| d as u64).collect::<Vec<_>>());
        let how = format!(
            "{} entries × {} bytes",
            crate::diag::group_digits(entries),
            crate::budget::BYTES_PER_ENTRY
        );
        let what = format!("variable `{}`", name.name);
        if !self.reserve(&what, crate::budget::model_var(entries), name.span, how) {
            return;
        }
        let (mut lower, mut upper) = (None, None);
        match bound {
            Some(ast::VarBound::Interval(lo, hi)) => {
                lower = self.const_number(lo, "a bound");
                upper = self.const_number(hi, "a bound");
                if let (Some(l), Some(u)) = (lower, upper) {
                    if l > u {
                        let d = Diagnostic::error("E0305", format!("empty interval [{l}, {u}]"))
                            .with_primary(lo.span.to(hi.span), "lower bound above upper bound");
                        self.error(d);
                    }
                }
            }
            Some(ast::VarBound::Lower(lo)) => lower = self.const_number(lo, "a bound"),
            Some(ast::VarBound::Upper(hi)) => upper = self.const_number(hi, "a bound"),
            None => {}
        }
        let id = model::VarId(self.model.vars.len());
        self.model.vars.push(model::Variable {
            name: name.name.clone(),
            shape: model::Shape(dims),
            lower,
            upper,
            role: model::VarRole::User,
            span: name.span,
        });
        self.declare(name, Def::Var(id));
    }

    fn objective(&mut self, span: Span, sense: ast::Sense, e: &ast::Expr) {
        if let Some(prev) = &self.model.objective {
            let d = Diagnostic::error("E0204", "more than one objective")
                .with_primary(span, "second objective")
                .with_label(prev.span, "first objective")
                .with_help("combine the terms into one `minimize` with `+`");
            self.error(d);
            return;
        }
        let Some(expr) = self.value_expr(e, &expr::Env::default()) else {
            return;
        };
        if !expr.shape.is_scalar() {
            let d = Diagnostic::error(
                "E0301",
                format!("the objective must be a scalar, not {}", expr.shape),
            )
            .with_primary(e.span, format!("this has shape {}", expr.shape))
            .with_help("reduce it with `sum(...)` or a loss from `losses`");
            self.error(d);
            return;
        }
        self.model.objective = Some(model::Objective { sense, expr, span });
    }

    fn constraint(
        &mut self,
        span: Span,
        name: &ast::Ident,
        each: Option<&ast::ForClause>,
        body: &ast::Body,
    ) {
        // One map lookup per constraint: checking names is linear in their number.
        if let Some(&prev) = self.constraint_names.get(&name.name) {
            let d = Diagnostic::error(
                "E0203",
                format!("constraint `{}` is defined twice", name.name),
            )
            .with_primary(name.span, "defined again here")
            .with_label(prev, "first defined here");
            self.error(d);
            return;
        }
        self.constraint_names.insert(name.name.clone(), span);
        match each {
            None => {
                let env = expr::Env::default();
                self.constraint_body(span, name.name.clone(), body, &env);
            }
            Some(f) => {
                let Some(data) = self.class_set(&f.over) else {
                    return;
                };
                let classes: Vec<String> = self.model.datasets[data.0]
                    .classes
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                for (k, cname) in classes.iter().enumerate() {
                    let mut env = expr::Env::default();
                    env.bind(&f.var.name, expr::Value::Class(data, k));
                    let before = self.diags.len();
                    self.constraint_body(span, format!("{}[{cname}]", name.name), body, &env);
                    if self.diags.len() > before {
                        break; // the same error for every class says nothing new
                    }
                }
            }
        }
    }

    fn method(&mut self, span: Span, name: &ast::Ident, args: &[ast::Arg]) {
        let Some((_, kind)) = options::METHODS.iter().find(|(n, _)| *n == name.name) else {
            let names: Vec<&str> = options::METHODS.iter().map(|(n, _)| *n).collect();
            let mut d = Diagnostic::error("E0401", format!("unknown method `{}`", name.name))
                .with_primary(name.span, "not a training method")
                .with_note(format!("methods: {}", names.join(", ")));
            if let Some(s) = suggest(&name.name, names.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return;
        };
        if let Some(prev) = self.model.methods.iter().find(|m| m.kind == *kind) {
            let d = Diagnostic::error("E0203", format!("method `{}` is declared twice", name.name))
                .with_primary(name.span, "declared again here")
                .with_label(prev.span.unwrap_or(name.span), "first declared here");
            self.error(d);
            return;
        }
        let what = format!("method `{}`", name.name);
        let Some(options) = self.options(&what, args, &options::method_options(*kind)) else {
            return;
        };
        let method = model::Method {
            kind: *kind,
            options,
            span: Some(span),
        };
        if method.kind == model::MethodKind::Patterns {
            self.reserve_patterns(&method, span);
        }
        self.model.methods.push(method);
    }

    /// The pattern method's program in the memory budget, from its declared options: `count`
    /// patterns when sampled, Cover's bound on the patterns of rank-3 data when exact (higher
    /// rank is refused by the lowering before any pattern exists).
    fn reserve_patterns(&mut self, method: &model::Method, span: Span) {
        let exact =
            matches!(method.get("enumeration"), Some(model::OptionValue::Word(w)) if w == "exact");
        let count = match method.get("count") {
            Some(model::OptionValue::Number(c)) => *c as u64,
            _ => 0,
        };
        let sizes: Vec<(u64, u64, String)> = self
            .model
            .networks
            .iter()
            .filter(|n| n.loaded_from.is_none())
            .filter_map(|n| {
                let ds = &self.model.datasets[n.input?.0];
                let bias = n
                    .layers
                    .first()
                    .is_some_and(|l| l.bias == model::BiasMode::Column);
                let cols = (n.inputs + usize::from(bias)) as u64;
                Some((ds.x.nrows() as u64, cols, n.name.clone()))
            })
            .collect();
        for (samples, cols, net) in sizes {
            let patterns = if exact {
                let bound =
                    crate::lower::patterns::cell_bound(samples as usize, cols.min(3) as usize);
                if bound >= u64::MAX as f64 {
                    u64::MAX
                } else {
                    bound as u64
                }
            } else {
                count
            };
            let bytes = crate::budget::patterns_program(patterns, samples, cols);
            let how = format!(
                "{}{} patterns × {} samples × {} columns of `{net}`, 4 blocks each",
                if exact { "up to " } else { "" },
                crate::diag::group_digits(patterns),
                crate::diag::group_digits(samples),
                crate::diag::group_digits(cols),
            );
            if !self.reserve("the program of method `patterns`", bytes, span, how) {
                return;
            }
        }
    }

    fn solver(&mut self, span: Span, name: &ast::Ident, args: &[ast::Arg]) {
        if let Some(prev) = self.model.solver.span {
            let d = Diagnostic::error("E0204", "more than one solver")
                .with_primary(span, "second solver")
                .with_label(prev, "first solver");
            self.error(d);
            return;
        }
        if !options::SOLVERS.contains(&name.name.as_str()) {
            let mut d = Diagnostic::error("E0402", format!("unknown solver `{}`", name.name))
                .with_primary(name.span, "not a solver")
                .with_note(format!("solvers: {}", options::SOLVERS.join(", ")));
            if let Some(s) = suggest(&name.name, options::SOLVERS) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return;
        }
        let what = format!("solver `{}`", name.name);
        let Some(options) = self.options(&what, args, &options::solver_options(&name.name)) else {
            return;
        };
        self.model.solver = model::Solver {
            name: name.name.clone(),
            options,
            span: Some(span),
        };
    }

    /// Checks named options against a schema and fills in defaults, in the schema's order.
    fn options(
        &mut self,
        what: &str,
        args: &[ast::Arg],
        schema: &[options::Spec],
    ) -> Option<Vec<(String, OptionValue)>> {
        let mut given: HashMap<&str, (OptionValue, Span)> = HashMap::new();
        let mut ok = true;
        for a in args {
            let Some(n) = &a.name else {
                let d = Diagnostic::error("E0403", format!("options of {what} are named"))
                    .with_primary(a.span, "write `name = value`")
                    .with_note(format!(
                        "options: {}",
                        schema.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                    ));
                self.error(d);
                ok = false;
                continue;
            };
            let Some(spec) = schema.iter().find(|s| s.0 == n.name) else {
                let mut d =
                    Diagnostic::error("E0404", format!("unknown option `{}` of {what}", n.name))
                        .with_primary(n.span, "unknown option");
                let names: Vec<&str> = schema.iter().map(|s| s.0).collect();
                if let Some(s) = suggest(&n.name, names.iter().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                d = d.with_note(if names.is_empty() {
                    format!("{what} takes no options")
                } else {
                    format!("options of {what}: {}", names.join(", "))
                });
                self.error(d);
                ok = false;
                continue;
            };
            if let Some((_, prev)) = given.get(n.name.as_str()) {
                let d = Diagnostic::error("E0203", format!("option `{}` is given twice", n.name))
                    .with_primary(n.span, "given again here")
                    .with_label(*prev, "first given here");
                self.error(d);
                ok = false;
                continue;
            }
            match self.option_value(&a.value, spec.1) {
                Some(v) => {
                    given.insert(spec.0, (v, n.span));
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        Some(
            schema
                .iter()
                .filter_map(|(name, _, default)| {
                    let v = given
                        .remove(name)
                        .map(|(v, _)| v)
                        .or_else(|| default.clone())?;
                    Some((name.to_string(), v))
                })
                .collect(),
        )
    }

    /// A constant option value of the given kind.
    fn option_value(&mut self, e: &ast::Expr, kind: options::Kind) -> Option<OptionValue> {
        use options::Kind;
        let bad = |c: &mut Self, found: &str| {
            let d = Diagnostic::error(
                "E0405",
                format!("expected {}, found {found}", kind.describe()),
            )
            .with_primary(e.span, format!("expected {}", kind.describe()));
            c.error(d);
            None
        };
        match kind {
            Kind::Word(words) => match &e.kind {
                ast::ExprKind::Name(w) if words.contains(&w.as_str()) => {
                    Some(OptionValue::Word(w.clone()))
                }
                ast::ExprKind::Name(w) => {
                    let mut d =
                        Diagnostic::error("E0405", format!("`{w}` is not {}", kind.describe()))
                            .with_primary(e.span, "not allowed here");
                    if let Some(s) = suggest(w, words.iter().copied()) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                    None
                }
                _ => bad(self, "another expression"),
            },
            Kind::WordOrWeights(words) => match &e.kind {
                ast::ExprKind::Str(path) => {
                    let full = self.base_dir.join(path);
                    match crate::nn::weights::read(&full, self.sources) {
                        Ok(_) => Some(OptionValue::Text(full.display().to_string())),
                        Err(d) => {
                            self.error(d.with_label(e.span, "read here"));
                            None
                        }
                    }
                }
                _ => self.option_value(e, Kind::Word(words)),
            },
            Kind::Bool => match &e.kind {
                ast::ExprKind::Name(w) if w == "true" => Some(OptionValue::Bool(true)),
                ast::ExprKind::Name(w) if w == "false" => Some(OptionValue::Bool(false)),
                _ => bad(self, &format!("`{}`", self.sources.slice(e.span))),
            },
            Kind::Number | Kind::Positive | Kind::Count | Kind::Fraction => {
                let v = self.const_number(e, "an option value")?;
                let fits = match kind {
                    Kind::Positive => v > 0.0 && v.is_finite(),
                    Kind::Count => v >= 0.0 && v.fract() == 0.0 && v < 1e15,
                    Kind::Fraction => v > 0.0 && v < 1.0,
                    _ => v.is_finite(),
                };
                if fits {
                    Some(OptionValue::Number(v))
                } else {
                    bad(self, &crate::syntax::print::format_number(v))
                }
            }
        }
    }
}
