//! The `cnnc` command line: a thin layer over the library's stages.
//!
//! Exit codes: 0 success, 1 the input is wrong or an output failed (diagnostics printed),
//! 2 bad usage (including an `-o` that cannot be written, found before any work), 141 standard
//! output or error is a closed pipe (nothing printed). All writing goes through `cnnc::output`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use cnnc::diag::{render, Diagnostic, SourceMap};
use cnnc::output::{Output, EXIT_BROKEN_PIPE};
use cnnc::sema::Overrides;

/// Compile `.cnn` models — neural-network training with hard constraints — into conic programs.
#[derive(Parser)]
#[command(name = "cnnc", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check a model; print diagnostics, nothing else.
    Check {
        #[command(flatten)]
        input: Input,
    },
    /// Train the model's network with its method; print a summary, write the weights.
    Train {
        #[command(flatten)]
        input: Input,
        /// The method to use (default: the first one the model declares).
        #[arg(long)]
        method: Option<String>,
        /// Write the trained weights here (JSON), only after an optimal or almost optimal solve.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print the report as one JSON object instead of text.
        #[arg(long, value_enum)]
        report: Option<ReportFormat>,
        /// Draw an SVG figure into this file: the measures per iteration of a sequential
        /// method on a log scale; else the network on its data (the fitted function for one
        /// input, decision regions for two inputs and classes, else predicted against true).
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
    },
    /// Train once per value of a named constant and choose the value by the validation rows.
    ///
    /// Needs data with validation rows (`validation = 0.2` on the data declaration). Prints one
    /// row per value (objective, train / validation / test metric, neurons, seconds) and marks
    /// the best validation metric: MSE for numeric targets, balanced error for classes.
    Tune {
        #[command(flatten)]
        input: Input,
        /// The constant and its values: `beta=0.01,0.1,1` or `beta=0.001..10:5` (5 values
        /// evenly spaced on a log scale).
        #[arg(long, value_name = "NAME=VALUES", value_parser = cnnc::driver::tune::parse_over)]
        over: (String, Vec<f64>),
        /// The method to use (default: the first one the model declares).
        #[arg(long)]
        method: Option<String>,
        /// Write the best value's trained weights here (JSON).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print every run's report and the choice as one JSON object instead of the table.
        #[arg(long, value_enum)]
        report: Option<ReportFormat>,
        /// Draw the train, validation and test metric against the value (SVG).
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
    },
    /// Apply trained weights to the model's data: predictions (CSV) and metrics.
    Eval {
        #[command(flatten)]
        input: Input,
        /// The weights file written by `cnnc train -o`.
        #[arg(long)]
        weights: PathBuf,
        /// Write the predictions here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Draw the network on its data (SVG), as `train --plot` does for one pass.
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
    },
    /// Train with several methods and print them side by side.
    Compare {
        #[command(flatten)]
        input: Input,
        /// Comma-separated methods; those the model does not declare use their defaults
        /// (default: the methods the model declares, then adam).
        #[arg(long, value_delimiter = ',')]
        methods: Vec<String>,
        /// Draw every method's objective against its seconds, on log scales (SVG).
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
        /// Give adam the time the slowest other method took: adam runs last, with restarts
        /// while they fit in that time (unless its `time_limit` is set).
        #[arg(long)]
        same_time: bool,
    },
    /// Solve a model that trains nothing (a query on loaded networks, a convex model), or a
    /// conic problem in the Conic Benchmark Format (a `.cbf` file).
    ///
    /// Exit codes: 0 solved, 1 bad input, 2 bad usage, 3 infeasible, 4 unbounded,
    /// 5 iteration/time limit or numerical trouble, 6 no back end can solve it (CBF).
    Solve {
        #[command(flatten)]
        input: Input,
        /// Print the outcome as one JSON object.
        #[arg(long, value_enum)]
        report: Option<ReportFormat>,
        /// Stop the solver after this many seconds (exit 5), like a model's `time_limit`.
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        time_limit: Option<f64>,
    },
    /// Write a trained network in another format: an ONNX graph (Sub/Div standardization,
    /// Gemm, Relu/LeakyRelu/Sigmoid/Softplus), or a weights JSON file.
    ///
    /// The weights may be a JSON weights file or an ONNX file (by its `.onnx` extension), so
    /// `-o w.json` reads an ONNX network back into a weights file (docs/WEIGHTS.md, "ONNX").
    Export {
        /// The weights file written by `cnnc train -o` (or a `.onnx` file).
        #[arg(long)]
        weights: PathBuf,
        /// The format to write [default: by the extension of `-o`, `.json` or else `onnx`].
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        /// The element type of the ONNX graph's tensors [default: double].
        #[arg(long, value_enum)]
        precision: Option<OnnxPrecision>,
        /// The file to write (replaced atomically; a FIFO or device is written in place).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Compile a model and print one stage of it.
    Compile {
        #[command(flatten)]
        input: Input,
        /// The stage to print.
        #[arg(long, value_enum, default_value_t = Emit::Model)]
        emit: Emit,
        /// Text for people, JSON for programs.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The method whose lowering to show (default: the first one the model declares).
        #[arg(long)]
        method: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// The model file and command-line overrides.
#[derive(Args, Clone)]
struct Input {
    /// The `.cnn` model file (for `solve`, a `.cbf` conic problem too).
    file: PathBuf,
    /// Read data declaration NAME from another CSV file (repeatable).
    #[arg(long = "data", value_name = "NAME=PATH", value_parser = parse_data)]
    data: Vec<(String, PathBuf)>,
    /// Give named constant NAME another value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    set: Vec<(String, f64)>,
    /// Set option NAME of the model's methods, e.g. `iterations=10`; for a CBF file, a solver
    /// option: `max_iter`, `tol_gap_abs`, `tol_gap_rel`, `tol_feas` (repeatable).
    #[arg(long = "option", value_name = "NAME=VALUE", value_parser = parse_option)]
    options: Vec<(String, String)>,
    /// No progress line (one is drawn on a terminal's stderr for runs over a second, never
    /// with `--report json` or when stderr is not a terminal).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// The parsed syntax tree.
    Ast,
    /// The checked model: data shapes, variables, objective, constraints.
    Model,
    /// The training method's lowering stage (the pattern method: its activation patterns).
    Lowering,
    /// The pattern method's lowering stage (as `lowering`; E1104 for another method).
    Patterns,
    /// The ReLU complementarity form, the first stage of rank lifting (E1104 for a method
    /// without it).
    Complementarity,
    /// Convex-NN's parabolic relaxation of the layer products (E1104 for another method).
    Parabolic,
    /// Convex-NN's DC splitting of the activations (E1104 for another method).
    Dc,
    /// Convex-NN's penalty around the anchor (E1104 for another method).
    Penalty,
    /// The convex program after the training method's lowering.
    Convex,
    /// The conic problem the solver receives, readable.
    Conic,
    /// The conic problem in the Conic Benchmark Format (CBF 3).
    Cbf,
    /// Exactly what Clarabel receives (P, q, A, b, cones), as JSON.
    Json,
    /// The problem in CPLEX LP format (LP/MILP/QP only).
    Lp,
    /// The problem in free MPS format (LP/MILP/QP only).
    Mps,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ExportFormat {
    /// ONNX (IR 7, opset 13), tensors in `--precision`.
    Onnx,
    /// cnnc's weights JSON (docs/WEIGHTS.md).
    Json,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum OnnxPrecision {
    /// DOUBLE: cnnc's predictions to rounding.
    Double,
    /// FLOAT, for runtimes without DOUBLE kernels (onnxruntime has none for Softplus and
    /// LeakyRelu); the weights are rounded to single precision.
    Float,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ReportFormat {
    Json,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_data(s: &str) -> Result<(String, PathBuf), String> {
    let (n, p) = s
        .split_once('=')
        .ok_or("expected NAME=PATH, e.g. `train=other.csv`")?;
    if n.is_empty() || p.is_empty() {
        return Err("expected NAME=PATH, e.g. `train=other.csv`".into());
    }
    Ok((n.to_string(), PathBuf::from(p)))
}

/// `--time-limit`: a positive finite number of seconds.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t.is_finite() => Ok(t),
        _ => Err(format!("`{s}` is not a positive number of seconds")),
    }
}

fn parse_option(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((n, v)) if !n.is_empty() && !v.is_empty() => Ok((n.to_string(), v.to_string())),
        _ => Err("expected NAME=VALUE, e.g. `iterations=10`".into()),
    }
}

fn parse_set(s: &str) -> Result<(String, f64), String> {
    let (n, v) = s
        .split_once('=')
        .ok_or("expected NAME=VALUE, e.g. `beta=1e-3`")?;
    let v: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("`{v}` is not a number"))?;
    if n.is_empty() || !v.is_finite() {
        return Err("expected NAME=VALUE with a finite number, e.g. `beta=1e-3`".into());
    }
    Ok((n.to_string(), v))
}

/// What went wrong: diagnostics to print (exit 1).
struct Failed(SourceMap, Vec<Diagnostic>);

fn main() -> ExitCode {
    // Defence in depth: the nesting limits bound every pass's recursion, and the work runs on
    // a thread with a large stack (address space only; pages are touched as they are used).
    std::thread::Builder::new()
        .name("cnnc".into())
        .stack_size(256 << 20)
        .spawn(run)
        .expect("spawn the main thread")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    let out = match precheck(&cli.command) {
        Ok(out) => out,
        Err(d) => {
            let _ = report(&SourceMap::new(), &[d]);
            return ExitCode::from(2);
        }
    };
    let out = out.as_ref();
    let result = match cli.command {
        Command::Check { input } => check(&input),
        Command::Eval {
            input,
            weights,
            plot,
            ..
        } => match checked_plot(plot.as_deref(), out.is_none()) {
            Ok(plot) => eval(&input, &weights, out, plot.as_ref()),
            Err(code) => return code,
        },
        Command::Compare {
            input,
            methods,
            plot,
            same_time,
        } => match checked_plot(plot.as_deref(), true) {
            Ok(plot) => compare(&input, &methods, plot.as_ref(), same_time),
            Err(code) => return code,
        },
        Command::Tune {
            input,
            over,
            method,
            report,
            plot,
            ..
        } => match checked_plot(plot.as_deref(), true) {
            Ok(plot) => tune(&input, &over, method.as_deref(), out, report, plot.as_ref()),
            Err(code) => return code,
        },
        Command::Solve {
            input,
            report,
            time_limit,
        } if is_cbf(&input.file) => {
            let usage = |d: Diagnostic| {
                let _ = self::report(&SourceMap::new(), &[d]);
                ExitCode::from(2)
            };
            if !(input.data.is_empty() && input.set.is_empty()) {
                return usage(Diagnostic::error(
                    "E0004",
                    "--data and --set apply to models, not to a CBF file",
                ));
            }
            let settings = match cnnc::solve::Settings::from_pairs(&input.options) {
                Ok(s) => cnnc::solve::Settings { time_limit, ..s },
                Err(e) => return usage(Diagnostic::error("E0004", e).with_help(
                    "e.g. `cnnc solve FILE.cbf --option tol_gap_rel=1e-10 --option max_iter=500`",
                )),
            };
            return solve_cbf(&input.file, report, &settings);
        }
        Command::Solve {
            input,
            report,
            time_limit,
        } => return solve_model(&input, report, time_limit),
        Command::Train {
            input,
            method,
            report,
            plot,
            ..
        } => match checked_plot(plot.as_deref(), true) {
            Ok(plot) => train(&input, method.as_deref(), out, report, plot.as_ref()),
            Err(code) => return code,
        },
        Command::Compile {
            input,
            emit,
            format,
            method,
            ..
        } => compile(&input, emit, format, method.as_deref(), out),
        Command::Export {
            weights,
            format,
            precision,
            output,
        } => match (export_format(format, precision, &output), out) {
            (Ok((ExportFormat::Onnx, _)), Some(out))
                if out.is_stdout() && std::io::stdout().is_terminal() =>
            {
                let d = Diagnostic::error(
                    "E0004",
                    "an ONNX graph is binary: not written to a terminal",
                )
                .with_help(
                    "redirect standard output to a file or a pipe, or give `-o` a file name",
                );
                let _ = report(&SourceMap::new(), &[d]);
                return ExitCode::from(2);
            }
            (Ok((format, precision)), Some(out)) => export(&weights, format, precision, out),
            (Err(d), _) => {
                let _ = report(&SourceMap::new(), &[d]);
                return ExitCode::from(2);
            }
            (Ok(_), None) => return ExitCode::from(2),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed(sources, diags)) => {
            let _ = report(&sources, &diags);
            ExitCode::from(1)
        }
    }
}

/// A `--plot` target, checked before any work as `-o` is (exit 2 when it cannot be written, or
/// when it is `-` and the command prints its report to standard output: `busy`).
fn checked_plot(plot: Option<&Path>, busy: bool) -> Result<Option<Output>, ExitCode> {
    let out = plot.map(Output::check).transpose().map_err(|e| {
        let _ = report(&SourceMap::new(), &[e.to_diagnostic("E0002", "plot file")]);
        ExitCode::from(2)
    })?;
    if busy && out.as_ref().is_some_and(Output::is_stdout) {
        let _ = report(&SourceMap::new(), &[stdout_busy("--plot", "the figure")]);
        return Err(ExitCode::from(2));
    }
    Ok(out)
}

/// Writes a drawn figure to its `--plot` target.
fn write_figure(out: &Output, svg: &str) -> Result<(), Failed> {
    out.write(svg.as_bytes()).map_err(|e| {
        Failed(
            SourceMap::new(),
            vec![e.to_diagnostic("E0002", "plot file")],
        )
    })
}

/// clap's help, version and usage errors, written like every other output.
fn clap_exit(e: &clap::Error) -> ExitCode {
    let styled = e.render();
    let text = |terminal: bool| {
        if terminal {
            styled.ansi().to_string()
        } else {
            styled.to_string()
        }
    };
    let written = if e.use_stderr() {
        eprint(&text(std::io::stderr().is_terminal()))
    } else {
        print(&text(std::io::stdout().is_terminal()))
    };
    match written {
        Ok(()) => ExitCode::from(e.exit_code() as u8),
        Err(Failed(sources, diags)) => {
            let _ = report(&sources, &diags);
            ExitCode::from(1)
        }
    }
}

/// Checks the command's `-o` target before any work, and makes SIGINT and SIGTERM remove the
/// temporary file of a write in progress.
fn precheck(command: &Command) -> Result<Option<Output>, Diagnostic> {
    let (path, code, noun) = match command {
        Command::Train { output, .. } | Command::Tune { output, .. } => {
            (output, "E0801", "weights file")
        }
        Command::Eval { output, .. } | Command::Compile { output, .. } => {
            (output, "E0002", "output file")
        }
        Command::Export { output, .. } => (&Some(output.clone()), "E0002", "output file"),
        _ => return Ok(None),
    };
    let Some(path) = path else { return Ok(None) };
    cnnc::output::remove_temp_on_signals().map_err(|e| {
        Diagnostic::error(code, "cannot watch for signals to remove temporary files")
            .with_note(e.to_string())
    })?;
    let out = Output::check(path).map_err(|e| e.to_diagnostic(code, noun))?;
    if out.is_stdout() {
        match command {
            // Their output goes to standard output anyway.
            Command::Eval { .. } | Command::Compile { .. } => return Ok(None),
            Command::Train { .. } | Command::Tune { .. } => {
                return Err(stdout_busy("-o", "the weights"));
            }
            _ => {}
        }
    }
    Ok(Some(out))
}

/// `OPTION -` where standard output already carries the command's report or table (E0004).
fn stdout_busy(option: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "E0004",
        format!("`{option} -` would mix {what} into the report on standard output"),
    )
    .with_help(format!("give `{option}` a file name"))
}

/// `cnnc export`'s format (given, or by the extension of `-o`) and ONNX precision. A JSON file
/// named `.onnx` or an ONNX graph named `.json` could not be read back (files are told apart by
/// their extension), and a precision means nothing for JSON: each is E0004.
fn export_format(
    format: Option<ExportFormat>,
    precision: Option<OnnxPrecision>,
    output: &Path,
) -> Result<(ExportFormat, cnnc::onnx::Precision), Diagnostic> {
    let by_name = match output.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("onnx") => Some(ExportFormat::Onnx),
        Some(e) if e.eq_ignore_ascii_case("json") => Some(ExportFormat::Json),
        _ => None,
    };
    let name = |f: ExportFormat| match f {
        ExportFormat::Onnx => "onnx",
        ExportFormat::Json => "json",
    };
    let format = match (format, by_name) {
        (Some(f), Some(n)) if f != n => {
            return Err(Diagnostic::error(
                "E0004",
                format!(
                    "`--format {}` to `{}`: cnnc would read that file as {}",
                    name(f),
                    output.display(),
                    name(n)
                ),
            )
            .with_help(format!(
                "name the file `.{}`, or leave `--format` out",
                name(f)
            )))
        }
        (f, n) => f.or(n).unwrap_or(ExportFormat::Onnx),
    };
    let precision = match (format, precision) {
        (ExportFormat::Json, Some(_)) => {
            return Err(Diagnostic::error(
                "E0004",
                "`--precision` applies to ONNX graphs, not to a weights JSON file",
            )
            .with_help(
                "a weights JSON file holds every number as written; leave `--precision` out",
            ))
        }
        (_, Some(OnnxPrecision::Float)) => cnnc::onnx::Precision::Float,
        _ => cnnc::onnx::Precision::Double,
    };
    Ok((format, precision))
}

/// `cnnc export`: reads the weights (JSON or ONNX), writes them in `format`, and prints what
/// was written.
fn export(
    weights: &Path,
    format: ExportFormat,
    precision: cnnc::onnx::Precision,
    out: &Output,
) -> Result<(), Failed> {
    let mut sources = SourceMap::new();
    let w = cnnc::nn::weights::read(weights, &mut sources)
        .map_err(|d| Failed(sources.clone(), vec![d]))?;
    let name = weights.display().to_string();
    let (bytes, kind) = match format {
        ExportFormat::Onnx => (
            cnnc::onnx::to_onnx(&w, &name, precision)
                .map_err(|d| Failed(sources.clone(), vec![d]))?,
            match precision {
                cnnc::onnx::Precision::Double => "ONNX, DOUBLE",
                cnnc::onnx::Precision::Float => "ONNX, FLOAT",
            },
        ),
        ExportFormat::Json => (w.to_json().into_bytes(), "weights JSON"),
    };
    out.write(&bytes).map_err(|e| {
        Failed(
            SourceMap::new(),
            vec![e.to_diagnostic("E0002", "output file")],
        )
    })?;
    if out.is_stdout() {
        // The data are the output: nothing else goes there.
        return Ok(());
    }
    print(&format!(
        "wrote {} ({kind}, {} bytes): {}\n",
        out.path().display(),
        bytes.len(),
        cnnc::onnx::write::describe(&w)
    ))
}

/// Renders diagnostics to standard error.
fn report(sources: &SourceMap, diags: &[Diagnostic]) -> Result<(), Failed> {
    let color = std::io::stderr().is_terminal();
    stream(
        cnnc::output::stderr(&render(sources, diags, color)),
        "error",
    )
}

/// Prints to standard output.
fn print(text: &str) -> Result<(), Failed> {
    stream(cnnc::output::stdout(text), "output")
}

/// Prints to standard error.
fn eprint(text: &str) -> Result<(), Failed> {
    stream(cnnc::output::stderr(text), "error")
}

/// A closed pipe ends cnnc quietly, as it ends `cat`; any other failure is an error (E0003).
fn stream(result: std::io::Result<()>, which: &str) -> Result<(), Failed> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(EXIT_BROKEN_PIPE.into())
        }
        Err(e) => {
            let d = Diagnostic::error("E0003", format!("cannot write to standard {which}"))
                .with_note(e.to_string())
                .with_help("the output is incomplete; check where it was redirected");
            Err(Failed(SourceMap::new(), vec![d]))
        }
    }
}

/// Runs the front end on the input.
fn frontend(
    input: &Input,
) -> Result<(SourceMap, cnnc::syntax::ast::File, cnnc::model::Model), Failed> {
    let mut sources = SourceMap::new();
    let src = match cnnc::read_model(&mut sources, &input.file) {
        Ok(s) => s,
        Err(d) => return Err(Failed(sources, d)),
    };
    let overrides = Overrides {
        data: input.data.clone(),
        set: input.set.clone(),
    };
    let base = input.file.parent().unwrap_or(Path::new(""));
    match cnnc::frontend(&mut sources, src, base, &overrides) {
        Ok((file, mut model)) => {
            match cnnc::driver::train::override_declared(&mut model, &input.options) {
                Ok(()) => Ok((sources, file, model)),
                Err(d) => Err(Failed(sources, d)),
            }
        }
        Err(d) => Err(Failed(sources, d)),
    }
}

fn check(input: &Input) -> Result<(), Failed> {
    let (sources, _, model) = frontend(input)?;
    if let Err(d) = cnnc::driver::stages::check(&model, &sources) {
        return Err(Failed(sources, d));
    }
    eprint(&format!(
        "{}: ok ({} data, {} network{}, {} variable{}, {} constraint{})\n",
        input.file.display(),
        model.datasets.len(),
        model.networks.len(),
        plural(model.networks.len()),
        model.vars.len(),
        plural(model.vars.len()),
        model.constraints.len(),
        plural(model.constraints.len()),
    ))
}

fn train(
    input: &Input,
    method: Option<&str>,
    output: Option<&Output>,
    format: Option<ReportFormat>,
    plot: Option<&Output>,
) -> Result<(), Failed> {
    use cnnc::driver::{self, TrainError};
    let (sources, _, model) = frontend(input)?;
    let fail = |sources: SourceMap, d: Vec<Diagnostic>| Failed(sources, d);
    // A model that trains nothing and asks for no training method is solved, not trained.
    let training = model
        .methods
        .iter()
        .any(|m| m.kind != cnnc::model::MethodKind::BigM);
    if model.trainable_networks().is_empty() && !training {
        let what = if model.networks.is_empty() {
            "the model has no network"
        } else {
            "its networks are loaded, with fixed weights"
        };
        let d = Diagnostic::error("E1111", format!("nothing to train: {what}")).with_help(format!(
            "`cnnc solve {}` solves it as it is written",
            input.file.display()
        ));
        return Err(fail(sources, vec![d]));
    }
    let method = match driver::pick_method(&model, method) {
        Ok(m) => m,
        Err(d) => return Err(fail(sources, d)),
    };
    // One line per pass of a sequential method, on a terminal only and never with JSON.
    let passes = match method.get("iterations") {
        Some(cnnc::model::OptionValue::Number(n)) => *n as usize,
        _ => 1,
    };
    // A one-pass figure draws the network against its targets: without targets, say so now.
    if plot.is_some() && passes <= 1 {
        let data = model
            .trainable_networks()
            .first()
            .and_then(|&i| model.networks[i].input);
        if let Some(d) = data
            .map(|d| &model.datasets[d.0])
            .filter(|d| d.target_kind.is_none())
        {
            let d = Diagnostic::error(
                "E1110",
                format!("nothing to plot: data `{}` has no targets", d.name),
            )
            .with_primary(d.span, "no `target` or `label`")
            .with_help("`--plot` draws predictions against targets, or the fitted function");
            return Err(fail(sources, vec![d]));
        }
    }
    let shown = !input.quiet
        && cnnc::progress::Progress::enabled_for_stderr(format == Some(ReportFormat::Json));
    let name = cnnc::sema::options::method_name(method.kind);
    let progress = cnnc::progress::Progress::new(shown && passes > 1, passes, name);
    let activity = cnnc::progress::Activity::begin(shown && passes <= 1, name);
    let result = driver::train::train_with(&model, &sources, method, &mut |it| {
        progress.iteration(it.iteration, it.objective, it.violation, it.fit)
    });
    progress.finish();
    drop(activity);
    let trained = match result {
        Ok(t) => t,
        Err(TrainError::Invalid(d)) => return Err(fail(sources, d)),
        Err(TrainError::NotSolved(outcome, problem)) => {
            let d = outcome.diagnostic(&problem).into_iter().collect();
            if format == Some(ReportFormat::Json) {
                let v = serde_json::json!({
                    "status": outcome.status.key(),
                    "method": cnnc::sema::options::method_name(method.kind),
                    "objective": null,
                    "infeasible_constraints": outcome.infeasible_groups,
                });
                print(&format!("{v}\n"))?;
            }
            return Err(fail(sources, d));
        }
    };
    let report = match driver::report(&trained) {
        Ok(r) => r,
        Err(d) => return Err(fail(sources, d)),
    };
    if let Some(plot) = plot {
        let sequential = report
            .stop_reason
            .as_deref()
            .is_some_and(|s| s != "single pass")
            && report.iterations.len() > 1;
        if sequential {
            write_plot(plot, &input.file, &report)?;
        } else {
            let svg = network_figure(&trained, &input.file, &report.method)
                .map_err(|d| Failed(SourceMap::new(), vec![d]))?;
            write_figure(plot, &svg)?;
        }
    }
    if let Some(out) = output {
        let weights = weights_file(&trained, &report.method)?;
        if let Err(d) = cnnc::nn::weights::write_to(out, &weights) {
            return Err(fail(sources, vec![d]));
        }
    }
    match format {
        Some(ReportFormat::Json) => print(&to_json(&report)),
        None => {
            print(&driver::text(&report))?;
            match output {
                Some(out) => print(&format!("weights    written to {}\n", out.path().display())),
                None => Ok(()),
            }
        }
    }
}

/// The weights file of a trained network.
fn weights_file(
    t: &cnnc::driver::Trained,
    method: &str,
) -> Result<cnnc::nn::weights::WeightsFile, Failed> {
    cnnc::nn::weights::WeightsFile::from_network(&t.model, t.net, &t.values, Some(method))
        .map_err(|e| Failed(SourceMap::new(), vec![e.to_diagnostic()]))
}

/// The figure of a trained network on its data.
fn network_figure(
    t: &cnnc::driver::Trained,
    model: &Path,
    method: &str,
) -> Result<String, Diagnostic> {
    use cnnc::driver::figures;
    let net = cnnc::nn::network::DenseNet::from_model(&t.model, t.net, &t.values)
        .map_err(|e| e.to_diagnostic())?;
    let Some(data) = t.model.networks[t.net.0].input else {
        return Err(Diagnostic::error(
            "E1110",
            "nothing to plot: the network has no data",
        ));
    };
    let forward = |x: &nalgebra::DMatrix<f64>| {
        let trace = net.forward_trace(x).map_err(|e| e.to_diagnostic())?;
        Ok((
            trace.output.clone(),
            figures::first_pre_activations(&net, &trace),
        ))
    };
    let title = format!("{method} on {}", model.display());
    figures::network(&title, &t.model.datasets[data.0], &forward)
}

/// `--plot`: the violations per iteration (and the fit) on a log scale.
fn write_plot(out: &Output, model: &Path, r: &cnnc::driver::report::Report) -> Result<(), Failed> {
    use cnnc::plot::{log_plot_svg, Series};
    let failed = |d: Diagnostic| Failed(SourceMap::new(), vec![d]);
    let sequential =
        r.stop_reason.as_deref().is_some_and(|s| s != "single pass") && r.iterations.len() > 1;
    let Some(first) = r.iterations.first().filter(|_| sequential) else {
        return Err(failed(
            Diagnostic::error(
                "E1110",
                format!("nothing to plot: method `{}` ran a single pass", r.method),
            )
            .with_help("`--plot` draws the passes of a sequential method such as `rank_lifting`"),
        ));
    };
    let plotted = r
        .measure
        .as_ref()
        .map(|m| m.plotted.clone())
        .unwrap_or_default();
    let mut series: Vec<Series> = first
        .details
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| plotted.contains(&name.as_str()))
        .map(|(k, (name, _))| Series {
            name: format!("{name} violation"),
            values: r.iterations.iter().map(|i| i.details[k].1).collect(),
        })
        .collect();
    if r.iterations.iter().any(|i| i.fit.is_some()) {
        series.push(Series {
            name: "fit (relative)".into(),
            values: r
                .iterations
                .iter()
                .map(|i| i.fit.unwrap_or(f64::NAN))
                .collect(),
        });
    }
    let title = format!("{} on {}", r.method, model.display());
    let plot = log_plot_svg(&title, "violation", &series).map_err(|e| {
        failed(Diagnostic::error(
            "E1110",
            format!("cannot draw the plot: {e}"),
        ))
    })?;
    for left in &plot.left_out {
        eprint(&format!("warning: {left}\n"))?;
    }
    out.write(plot.svg.as_bytes())
        .map_err(|e| failed(e.to_diagnostic("E0002", "plot file")))
}

fn eval(
    input: &Input,
    weights: &Path,
    output: Option<&Output>,
    plot: Option<&Output>,
) -> Result<(), Failed> {
    let (mut sources, _, model) = frontend(input)?;
    let file = match cnnc::nn::read_weights(weights, &mut sources) {
        Ok(f) => f,
        Err(d) => return Err(Failed(sources, vec![d])),
    };
    let title = format!("{} on {}", weights.display(), input.file.display());
    let title = plot.map(|_| title.as_str());
    let name = weights.display().to_string();
    let ev = match cnnc::driver::eval::evaluate_and_plot(&model, &file, &name, title) {
        Ok(e) => e,
        Err(d) => return Err(Failed(sources, d)),
    };
    if let (Some(plot), Some(svg)) = (plot, &ev.figure) {
        write_figure(plot, svg)?;
    }
    write_output(output, &ev.csv)?;
    match &ev.metrics {
        Some(m) => eprint(&cnnc::driver::report::metrics_text(m)),
        None => Ok(()),
    }
}

/// `cnnc compare`: one training run per method, in the given order; with `same_time`, the
/// adam runs come last and get the longest wall time of the others as their `time_limit`.
fn compare(
    input: &Input,
    methods: &[String],
    plot: Option<&Output>,
    same_time: bool,
) -> Result<(), Failed> {
    use cnnc::driver;
    use cnnc::model::{MethodKind, OptionValue};
    let (sources, _, model) = frontend(input)?;
    let names = if methods.is_empty() {
        driver::train::declared_and_adam(&model)
    } else {
        methods.to_vec()
    };
    let mut resolved = Vec::with_capacity(names.len());
    for name in &names {
        let method = match driver::train::method_or_default(&model, name) {
            Ok(mut m) if m.span.is_none() => {
                // Declared methods have the overrides already.
                match driver::train::override_options(&mut m, &input.options) {
                    Ok(_) => m,
                    Err(d) => return Err(Failed(sources, d)),
                }
            }
            Ok(m) => m,
            Err(d) => return Err(Failed(sources, d)),
        };
        resolved.push(method);
    }
    let is_adam = |k: usize| resolved[k].kind == MethodKind::Adam;
    let order: Vec<usize> = if same_time {
        let (adam, others): (Vec<usize>, Vec<usize>) = (0..names.len()).partition(|&k| is_adam(k));
        others.into_iter().chain(adam).collect()
    } else {
        (0..names.len()).collect()
    };
    let mut rows: Vec<Option<driver::report::Row>> = vec![None; names.len()];
    let activity = cnnc::progress::Activity::begin(
        !input.quiet && cnnc::progress::Progress::enabled_for_stderr(false),
        "compare",
    );
    // A method that cannot run on this model gets a row saying so; its diagnostics follow the
    // table, and the exit status is 1.
    let mut errors: Vec<Diagnostic> = Vec::new();
    // The longest wall time of the methods other than adam, for `same_time`.
    let mut longest = 0.0_f64;
    for k in order {
        let name = &names[k];
        let mut method = resolved[k].clone();
        if same_time && is_adam(k) && longest > 0.0 && method.get("time_limit").is_none() {
            method
                .options
                .push(("time_limit".into(), OptionValue::Number(longest)));
        }
        let mut failed = |d: Vec<Diagnostic>| {
            let code = d.first().map_or("", |d| d.code);
            let row = driver::report::Row::failed(name, &format!("not run ({code})"));
            errors.extend(d);
            row
        };
        activity.rename(&format!("compare {name}"));
        let started = std::time::Instant::now();
        let trained = driver::train(&model, &sources, &method);
        if !is_adam(k) {
            longest = longest.max(started.elapsed().as_secs_f64());
        }
        let row = match trained {
            Ok(t) => match driver::report(&t) {
                Ok(r) => driver::report::Row::from_report(&r),
                Err(d) => failed(d),
            },
            Err(driver::TrainError::Invalid(d)) => failed(d),
            Err(driver::TrainError::NotSolved(o, _)) => {
                driver::report::Row::failed(name, o.status.as_str())
            }
        };
        rows[k] = Some(row);
    }
    let rows: Vec<driver::report::Row> = rows.into_iter().flatten().collect();
    drop(activity);
    print(&driver::report::table(&rows))?;
    if let Some(plot) = plot {
        let title = format!("methods on {}", input.file.display());
        match driver::figures::compare(&title, &rows) {
            Ok(svg) => write_figure(plot, &svg)?,
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failed(sources, errors))
    }
}

/// `cnnc tune`: one training run per value; the table (or JSON), the best value's weights.
fn tune(
    input: &Input,
    (name, values): &(String, Vec<f64>),
    method: Option<&str>,
    output: Option<&Output>,
    format: Option<ReportFormat>,
    plot: Option<&Output>,
) -> Result<(), Failed> {
    use cnnc::driver::{self, tune};
    let mut runs: Vec<tune::Run> = Vec::with_capacity(values.len());
    // Each run's network, to write the best one's.
    let mut weights = Vec::with_capacity(values.len());
    let mut refused: Vec<(SourceMap, Vec<Diagnostic>)> = Vec::new();
    // The last trained network's values: adam starts the next value from them.
    let mut previous: Option<cnnc::nn::Values> = None;
    let activity = cnnc::progress::Activity::begin(
        !input.quiet
            && cnnc::progress::Progress::enabled_for_stderr(format == Some(ReportFormat::Json)),
        "tune",
    );
    for (k, &value) in values.iter().enumerate() {
        activity.rename(&format!(
            "tune {}/{}  {name}={}",
            k + 1,
            values.len(),
            cnnc::syntax::print::format_number(value)
        ));
        let mut at = input.clone();
        at.set.retain(|(n, _)| n != name);
        at.set.push((name.clone(), value));
        let (sources, _, model) = frontend(&at)?;
        if runs.is_empty() {
            let held = model
                .networks
                .iter()
                .filter_map(|n| n.input)
                .any(|d| model.datasets[d.0].validation_x.nrows() > 0);
            if !held {
                let d = Diagnostic::error(
                    "E1112",
                    "nothing to choose by: the network's data have no validation rows",
                )
                .with_help("add `validation = 0.2` (a share of all rows) to the data declaration; docs/LANGUAGE.md, \"Validation rows\"");
                return Err(Failed(sources, vec![d]));
            }
        }
        let m = match driver::pick_method(&model, method) {
            Ok(m) => m,
            Err(d) => return Err(Failed(sources, d)),
        };
        let status = |s: &str| tune::Run {
            value,
            status: s.to_string(),
            score: None,
            report: None,
        };
        let run = match driver::train::train_from(&model, &sources, m, previous.as_ref()) {
            Ok(t) => match driver::report(&t) {
                Ok(r) => {
                    weights.push(Some(weights_file(&t, &r.method)?));
                    previous = Some(t.values.clone());
                    tune::Run {
                        value,
                        status: r.status.clone(),
                        score: tune::score(&r),
                        report: Some(r),
                    }
                }
                Err(d) => return Err(Failed(sources, d)),
            },
            // A value the method refuses (a negative β) is a row; its diagnostics follow.
            Err(driver::TrainError::Invalid(d)) => {
                let code = d.first().map_or("", |d| d.code);
                let row = status(&format!("not run ({code})"));
                refused.push((sources, d));
                row
            }
            Err(driver::TrainError::NotSolved(o, _)) => status(o.status.key()),
        };
        weights.resize(runs.len() + 1, None); // none for a run without a network
        runs.push(run);
    }
    drop(activity);
    let best = tune::best(&runs);
    if let Some(plot) = plot {
        let title = format!("{name} on {}", input.file.display());
        let svg = driver::figures::sweep(&title, name, &runs, best)
            .map_err(|d| Failed(SourceMap::new(), vec![d]))?;
        write_figure(plot, &svg)?;
    }
    let criterion = runs
        .iter()
        .find_map(|r| r.report.as_ref()?.metrics.as_ref().map(tune::criterion))
        .unwrap_or("validation MSE");
    let written = match (output, best.and_then(|i| weights[i].as_ref())) {
        (Some(out), Some(w)) => {
            if let Err(d) = cnnc::nn::weights::write_to(out, w) {
                return Err(Failed(SourceMap::new(), vec![d]));
            }
            Some(out.path().display().to_string())
        }
        _ => None,
    };
    match format {
        Some(ReportFormat::Json) => print(&to_json(&serde_json::json!({
            "constant": name,
            "criterion": criterion,
            "best": best.map(|i| serde_json::json!({"index": i, "value": runs[i].value, "score": runs[i].score})),
            "weights": written,
            "runs": runs,
        })))?,
        None => {
            print(&tune::table(name, &runs, best))?;
            let line = match best {
                Some(i) => format!(
                    "best       {name} = {} by the {criterion} ({})\n",
                    cnnc::syntax::print::format_number(runs[i].value),
                    runs[i].score.map_or("-".into(), |s| format!("{s:.6}"))
                ),
                None => "best       none: no run produced a network\n".to_string(),
            };
            print(&line)?;
            if let Some(path) = &written {
                print(&format!("weights    of the best written to {path}\n"))?;
            }
        }
    }
    let last = refused.pop();
    for (sources, d) in &refused {
        let _ = report(sources, d);
    }
    if let Some((sources, d)) = last {
        return Err(Failed(sources, d));
    }
    if best.is_none() {
        let d = Diagnostic::error("E1113", format!("no value of `{name}` produced a network"))
            .with_help("see each run's status above; `cnnc train --set NAME=VALUE` shows one run's diagnostics");
        return Err(Failed(SourceMap::new(), vec![d]));
    }
    Ok(())
}

/// `cnnc solve FILE.cbf`: its own exit codes, so it returns one.
fn solve_cbf(
    path: &Path,
    format: Option<ReportFormat>,
    settings: &cnnc::solve::Settings,
) -> ExitCode {
    use cnnc::conic::cbf;
    let mut sources = SourceMap::new();
    // A failed write is reported (exit 1 for the stream, as for a bad file).
    let written = |r: Result<(), Failed>, code: ExitCode| match r {
        Ok(()) => code,
        Err(Failed(s, d)) => {
            let _ = report(&s, &d);
            ExitCode::from(cbf::EXIT_BAD_INPUT as u8)
        }
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let d = Diagnostic::error("E0001", format!("cannot read `{}`: {e}", path.display()));
            let bad = ExitCode::from(cbf::EXIT_BAD_INPUT as u8);
            return written(report(&sources, &[d]), bad);
        }
    };
    let problem = match cbf::read(&mut sources, &path.display().to_string(), text) {
        Ok(p) => p,
        Err(d) => {
            return written(
                report(&sources, &d),
                ExitCode::from(cbf::EXIT_BAD_INPUT as u8),
            )
        }
    };
    let backend = cnnc::solve::choose_backend(&problem);
    match cnnc::solve::solve(&problem, backend, settings) {
        Ok(outcome) => {
            let shown = match format {
                Some(ReportFormat::Json) => print(&format!(
                    "{}\n",
                    cbf::report_json(&problem, &outcome).trim_end()
                )),
                None => print(&cbf::report_text(&outcome)),
            };
            let shown = shown.and_then(|()| match outcome.diagnostic(&problem) {
                Some(d) => report(&sources, &[d]),
                None => Ok(()),
            });
            written(shown, ExitCode::from(cbf::exit_code(outcome.status) as u8))
        }
        Err(e) => {
            let shown = match format {
                Some(ReportFormat::Json) => print(&format!(
                    "{}\n",
                    serde_json::json!({"status": "cannot_solve", "objective": null, "error": e.to_string()})
                )),
                None => Ok(()),
            };
            let shown = shown.and_then(|()| report(&sources, &[e.to_diagnostic()]));
            written(shown, ExitCode::from(cbf::EXIT_CANNOT_SOLVE as u8))
        }
    }
}

/// Whether `cnnc solve` reads `file` as a CBF problem (by its extension).
fn is_cbf(file: &Path) -> bool {
    file.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cbf"))
}

/// `cnnc solve MODEL.cnn`: a query on loaded networks, or a model without a network.
fn solve_model(input: &Input, format: Option<ReportFormat>, time_limit: Option<f64>) -> ExitCode {
    use cnnc::conic::cbf::{exit_code, EXIT_BAD_INPUT};
    use cnnc::driver::{query, TrainError};
    let fail = |Failed(s, d): Failed| {
        let _ = report(&s, &d);
        ExitCode::from(EXIT_BAD_INPUT as u8)
    };
    let (sources, _, mut model) = match frontend(input) {
        Ok(f) => f,
        Err(f) => return fail(f),
    };
    if let Some(t) = time_limit {
        let opt = (
            "time_limit".to_string(),
            cnnc::model::OptionValue::Number(t),
        );
        model.solver.options.retain(|(n, _)| n != "time_limit");
        model.solver.options.push(opt);
    }
    let activity = cnnc::progress::Activity::begin(
        !input.quiet
            && cnnc::progress::Progress::enabled_for_stderr(format == Some(ReportFormat::Json)),
        "solve",
    );
    let answer = query::solve(&model, &sources);
    drop(activity);
    let answer = match answer {
        Ok(a) => a,
        Err(TrainError::Invalid(d)) => return fail(Failed(sources, d)),
        Err(TrainError::NotSolved(outcome, problem)) => {
            let d: Vec<Diagnostic> = outcome.diagnostic(&problem).into_iter().collect();
            if format == Some(ReportFormat::Json) {
                let v = serde_json::json!({
                    "status": outcome.status.key(),
                    "objective": null,
                    "solver": outcome.backend.name(),
                    "infeasible_constraints": outcome.infeasible_groups,
                });
                if let Err(f) = print(&format!("{v}\n")) {
                    return fail(f);
                }
            }
            let _ = report(&sources, &d);
            return ExitCode::from(exit_code(outcome.status) as u8);
        }
    };
    let shown = match format {
        Some(ReportFormat::Json) => print(&to_json(&answer)),
        None => print(&query::text(&answer)),
    };
    match shown {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => fail(f),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn compile(
    input: &Input,
    emit: Emit,
    format: Format,
    method: Option<&str>,
    output: Option<&Output>,
) -> Result<(), Failed> {
    use cnnc::driver::stages;
    let (sources, file, model) = frontend(input)?;
    let text = match (emit, format) {
        (Emit::Ast, Format::Text) => cnnc::syntax::print::print_file(&sources, &file),
        (Emit::Ast, Format::Json) => to_json(&file),
        (Emit::Model, Format::Text) => cnnc::model::print::print_model(&sources, &model),
        (Emit::Model, Format::Json) => to_json(&model),
        (_, _) => {
            let program = match stages::program(&model, &sources, method) {
                Ok(p) => p,
                Err(d) => return Err(Failed(sources, d)),
            };
            match emit {
                Emit::Lowering | Emit::Patterns => {
                    let l = program.lowering();
                    if matches!(emit, Emit::Patterns) && l.name() != "patterns" {
                        let d = Diagnostic::error("E1104", "no activation patterns: the model is not lowered with `method patterns`");
                        return Err(Failed(sources, vec![d]));
                    }
                    match format {
                        Format::Text => l.stage_text(&model),
                        Format::Json => to_json(&l.stage_json(&model)),
                    }
                }
                Emit::Complementarity | Emit::Parabolic | Emit::Dc | Emit::Penalty => {
                    let name = match emit {
                        Emit::Complementarity => "complementarity",
                        Emit::Parabolic => "parabolic",
                        Emit::Dc => "dc",
                        _ => "penalty",
                    };
                    let l = program.lowering();
                    let stages = l.sub_stages(&model);
                    let Some(st) = stages.iter().find(|s| s.name == name) else {
                        let has: Vec<&str> = stages.iter().map(|s| s.name).collect();
                        let d = Diagnostic::error(
                            "E1104",
                            format!("no {name} stage: the method's lowering is `{}`", l.name()),
                        )
                        .with_note(if has.is_empty() {
                            format!("`{}` has no sub-stages", l.name())
                        } else {
                            format!("its stages: {}", has.join(", "))
                        })
                        .with_help("`--emit complementarity` shows the first stage of `method rank_lifting`, `--emit parabolic|dc|penalty` those of `method convex_nn`; `--emit lowering` shows any method's own stage");
                        return Err(Failed(sources, vec![d]));
                    };
                    match format {
                        Format::Text => st.text.clone(),
                        Format::Json => to_json(&st.json),
                    }
                }
                Emit::Convex => {
                    let errs = cnnc::convex::dcp::check(&program.translation().program);
                    if !errs.is_empty() {
                        return Err(Failed(sources, errs));
                    }
                    cnnc::convex::print::print(&program.translation().program)
                }
                _ => {
                    let p = match stages::conic(&program) {
                        Ok((p, _)) => p,
                        Err(d) => return Err(Failed(sources, d)),
                    };
                    match emit {
                        Emit::Cbf => cnnc::conic::cbf::write(&p),
                        Emit::Json => cnnc::conic::json::write(&p),
                        Emit::Lp | Emit::Mps => {
                            let text = if matches!(emit, Emit::Lp) {
                                cnnc::conic::lp::write(&p)
                            } else {
                                cnnc::conic::mps::write(&p)
                            };
                            match text {
                                Ok(t) => t,
                                Err(d) => return Err(Failed(sources, vec![d])),
                            }
                        }
                        _ => cnnc::conic::print::print(&p, &sources),
                    }
                }
            }
        }
    };
    write_output(output, &text)
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serializing plain data structures cannot fail.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// Writes to the checked `-o` target or to standard output.
fn write_output(output: Option<&Output>, text: &str) -> Result<(), Failed> {
    match output {
        None => print(text),
        Some(out) => out.write(text.as_bytes()).map_err(|e| {
            Failed(
                SourceMap::new(),
                vec![e.to_diagnostic("E0002", "output file")],
            )
        }),
    }
}
