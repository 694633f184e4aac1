//! Output files and streams through the CLI (`src/output.rs`): what kind of target is replaced
//! and what is written in place, file modes, the `-o` check before any work, closed pipes,
//! full devices and signals during a write. FIFOs and device nodes are made in temporary
//! folders, never the system's.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MODEL: &str = "examples/seed003_1d.cnn";

fn cnnc() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cnnc"));
    cmd.current_dir(common::root());
    cmd
}

fn run(args: &[&str]) -> Output {
    cnnc().args(args).output().expect("cnnc runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `cnnc compile MODEL --emit cbf` on standard output: the text every `-o` below must receive.
fn cbf() -> String {
    let out = run(&["compile", MODEL, "--emit", "cbf"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("\nVER\n3\n"), "a CBF file: {text}");
    text
}

fn compile_to(path: &Path) -> Output {
    run(&[
        "compile",
        MODEL,
        "--emit",
        "cbf",
        "-o",
        path.to_str().expect("utf-8 path"),
    ])
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("lists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A character device node like the system's `/dev/full` (1, 7), made in `dir`.
fn full_device(dir: &Path) -> PathBuf {
    let path = dir.join("full");
    let made = Command::new("mknod")
        .arg(&path)
        .args(["c", "1", "7"])
        .output()
        .expect("mknod runs");
    assert!(
        made.status.success(),
        "these tests need `mknod` (run them as root): {}",
        stderr(&made)
    );
    path
}

fn is_full_device(path: &Path) -> bool {
    let m = fs::symlink_metadata(path).expect("exists");
    m.file_type().is_char_device() && m.rdev() == (1 << 8) | 7
}

#[test]
fn a_symlink_is_followed_and_kept() {
    let d = dir();
    let (link, real) = (d.path().join("link.cbf"), d.path().join("real.cbf"));
    std::os::unix::fs::symlink("real.cbf", &link).expect("symlink");
    // A link to the link, relative to its own directory.
    fs::create_dir(d.path().join("sub")).expect("mkdir");
    let chain = d.path().join("sub/chain.cbf");
    std::os::unix::fs::symlink("../link.cbf", &chain).expect("symlink");
    let expected = cbf();
    // First the link names a missing file, then an existing one, then through the chain.
    for (round, target) in [&link, &link, &chain].into_iter().enumerate() {
        if round == 2 {
            fs::write(&real, "old\n").expect("writes");
        }
        let out = compile_to(target);
        assert!(out.status.success(), "round {round}: {}", stderr(&out));
        assert_eq!(fs::read_link(&link).expect("link"), Path::new("real.cbf"));
        assert_eq!(
            fs::read_link(&chain).expect("link"),
            Path::new("../link.cbf")
        );
        assert_eq!(
            fs::read_to_string(&real).expect("real"),
            expected,
            "round {round}"
        );
        assert_eq!(names(d.path()), ["link.cbf", "real.cbf", "sub"]);
        assert_eq!(names(&d.path().join("sub")), ["chain.cbf"]);
    }
}

#[test]
fn a_fifo_receives_the_output_and_stays_a_fifo() {
    let d = dir();
    let fifo = d.path().join("fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .output()
        .expect("mkfifo runs");
    assert!(made.status.success(), "mkfifo: {}", stderr(&made));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            fs::File::open(&fifo)
                .expect("opens the fifo")
                .read_to_string(&mut text)
                .expect("reads the fifo");
            text
        })
    };
    let out = compile_to(&fifo);
    // On failure the reader may still wait for a writer; the test fails without joining it.
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(reader.join().expect("reader"), cbf());
    assert!(fs::symlink_metadata(&fifo)
        .expect("fifo")
        .file_type()
        .is_fifo());
    assert_eq!(names(d.path()), ["fifo"]);
}

#[test]
fn a_device_is_written_in_place_and_its_error_reported() {
    let d = dir();
    let full = full_device(d.path());
    for args in [
        vec!["compile", MODEL, "--emit", "cbf", "-o"],
        vec!["train", MODEL, "-o"],
    ] {
        let out = cnnc().args(&args).arg(&full).output().expect("cnnc runs");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
        assert!(
            err.contains("may hold part of the output"),
            "{args:?}: {err}"
        );
        assert!(is_full_device(&full), "{args:?}: still the device node");
        assert_eq!(names(d.path()), ["full"]);
    }
}

/// Runs `cnnc ARGS` under `umask`, returning the mode of `file` afterwards.
fn mode_under_umask(umask: &str, args: &[&str], file: &Path) -> u32 {
    let out = Command::new("sh")
        .current_dir(common::root())
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_cnnc"))
        .args(args)
        .arg("-o")
        .arg(file)
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    fs::metadata(file).expect("written").permissions().mode() & 0o7777
}

#[test]
fn new_files_honour_the_umask_and_replaced_files_keep_their_mode() {
    let d = dir();
    let weights = d.path().join("trained.json");
    let out = cnnc()
        .args(["train", MODEL, "-o"])
        .arg(&weights)
        .output()
        .expect("cnnc runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let commands: [&[&str]; 3] = [
        &["train", MODEL],
        &["compile", MODEL, "--emit", "cbf"],
        &["eval", MODEL, "--weights", weights.to_str().expect("utf-8")],
    ];
    for (i, args) in commands.iter().enumerate() {
        for (umask, mode) in [("022", 0o644), ("077", 0o600)] {
            let file = d.path().join(format!("new-{i}-{umask}"));
            assert_eq!(
                mode_under_umask(umask, args, &file),
                mode,
                "{args:?} umask {umask}"
            );
        }
        let file = d.path().join(format!("old-{i}"));
        fs::write(&file, "old\n").expect("writes");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).expect("chmod");
        for umask in ["022", "077"] {
            let inode = fs::metadata(&file).expect("exists").ino();
            let mode = mode_under_umask(umask, args, &file);
            assert_eq!(mode, 0o640, "{args:?} umask {umask}");
            // Replaced by a rename (a new inode), not rewritten in place.
            let now = fs::metadata(&file).expect("exists").ino();
            assert_ne!(now, inode, "{args:?} umask {umask}");
        }
        let text = fs::read_to_string(&file).expect("reads");
        assert_ne!(text, "old\n", "{args:?}");
    }
    assert!(names(d.path()).iter().all(|n| !n.ends_with(".tmp")));
}

#[test]
fn an_unwritable_output_is_refused_before_any_work() {
    let d = dir();
    let missing = d.path().join("missing/dir/w.json");
    let missing = missing.to_str().expect("utf-8");
    let no_model = d.path().join("no-such-model.cnn");
    let no_model = no_model.to_str().expect("utf-8");
    let here = d.path().to_str().expect("utf-8");
    let cases: [(&[&str], &str, &str); 5] = [
        (&["train", MODEL, "-o", missing], "E0801", "does not exist"),
        // The model does not even exist: the output is checked before it is read.
        (
            &["train", no_model, "-o", missing],
            "E0801",
            "does not exist",
        ),
        (&["train", MODEL, "-o", here], "E0801", "it is a directory"),
        (
            &["compile", MODEL, "--emit", "cbf", "-o", missing],
            "E0002",
            "does not exist",
        ),
        (
            &["eval", no_model, "--weights", no_model, "-o", here],
            "E0002",
            "it is a directory",
        ),
    ];
    for (args, code, what) in cases {
        let out = run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!("[{code}]")) && err.contains(what),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("E0001"),
            "{args:?}: the model was read: {err}"
        );
        assert_eq!(out.stdout.len(), 0, "{args:?}: a report was printed");
    }
    assert_eq!(names(d.path()).len(), 0);
}

#[test]
fn a_closed_pipe_ends_cnnc_quietly() {
    let cases: [(&[&str], bool); 7] = [
        (&["--help"], true),
        (
            &[
                "export",
                "--weights",
                "examples/weights/seed003.json",
                "-o",
                "-",
            ],
            true,
        ),
        (&["train", "--no-such-flag"], false),
        (&["train", MODEL], true),
        (&["compare", MODEL], true),
        (&["compile", MODEL, "--emit", "cbf"], true),
        (&["check", MODEL], false),
    ];
    for (args, on_stdout) in cases {
        // The reading end is closed before cnnc starts: every write meets a closed pipe.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let mut cmd = cnnc();
        cmd.args(args).stdin(Stdio::null());
        let out = if on_stdout {
            cmd.stdout(writer).stderr(Stdio::piped()).output()
        } else {
            cmd.stderr(writer).stdout(Stdio::piped()).output()
        }
        .expect("cnnc runs");
        // 141 = 128 + SIGPIPE, what a shell reports for `cat` there (src/output.rs).
        assert_eq!(out.status.code(), Some(141), "{args:?}");
        let other = if on_stdout { &out.stderr } else { &out.stdout };
        assert_eq!(String::from_utf8_lossy(other), "", "{args:?}");
    }
}

#[test]
fn a_full_standard_stream_is_an_error() {
    let d = dir();
    let full = full_device(d.path());
    let open = || {
        fs::OpenOptions::new()
            .write(true)
            .open(&full)
            .expect("opens")
    };
    for args in [
        &["--help"][..],
        &["train", MODEL],
        &["compile", MODEL, "--emit", "cbf"],
        &["compare", MODEL],
    ] {
        let out = cnnc()
            .args(args)
            .stdout(open())
            .output()
            .expect("cnnc runs");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("[E0003]") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
    // `check` prints only to standard error: nowhere left to report, but the exit says it.
    let out = cnnc()
        .args(["check", MODEL])
        .stderr(open())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout.len(), 0);
    assert!(is_full_device(&full));
}

#[test]
fn a_signal_during_the_write_leaves_no_temporary_file() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let d = dir();
        let target = d.path().join("w.json");
        fs::write(&target, "old\n").expect("writes");
        let mut child = cnnc()
            .args(["train", MODEL, "-o"])
            .arg(&target)
            // Test hook: wait before the rename, with the temporary file written.
            .env(cnnc::output::HOLD_ENV, "120")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cnnc starts");
        let mut polls = 0;
        while !names(d.path()).iter().any(|n| n.ends_with(".tmp")) {
            assert!(
                child.try_wait().expect("waits").is_none(),
                "cnnc ended early"
            );
            polls += 1;
            assert!(polls < 6000, "no temporary file appeared");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let killed = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let out = child.wait_with_output().expect("cnnc ends");
        assert_eq!(
            out.status.code(),
            Some(code),
            "SIG{signal}: {}",
            stderr(&out)
        );
        assert_eq!(names(d.path()), ["w.json"], "SIG{signal}");
        assert_eq!(fs::read_to_string(&target).expect("reads"), "old\n");
    }
}

/// `cnnc ARGS…` in `dir`, with the model and weights given from the project's root.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    cnnc()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cnnc runs")
}

#[test]
fn a_dash_is_standard_output_where_nothing_else_is_printed_there() {
    let d = dir();
    let root = common::root();
    let model = root.join(MODEL);
    let model = model.to_str().unwrap();
    let weights = root.join("examples/weights/seed003.json");
    let weights = weights.to_str().unwrap();
    // compile and eval print their output there anyway: `-o -` is the same.
    let out = run_in(d.path(), &["compile", model, "--emit", "cbf", "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), cbf());
    let plain = run_in(d.path(), &["eval", model, "--weights", weights]);
    let dash = run_in(d.path(), &["eval", model, "--weights", weights, "-o", "-"]);
    assert!(dash.status.success(), "{}", stderr(&dash));
    assert_eq!(dash.stdout, plain.stdout);
    assert!(plain.stdout.starts_with(b"part,"), "predictions CSV");
    // export writes the data alone, byte for byte what a file receives.
    for format in ["json", "onnx"] {
        let file = format!("w.{format}");
        let to_file = run_in(d.path(), &["export", "--weights", weights, "-o", &file]);
        assert!(to_file.status.success(), "{}", stderr(&to_file));
        let dash = run_in(
            d.path(),
            &[
                "export",
                "--weights",
                weights,
                "--format",
                format,
                "-o",
                "-",
            ],
        );
        assert!(dash.status.success(), "{}", stderr(&dash));
        assert_eq!(
            dash.stdout,
            fs::read(d.path().join(&file)).unwrap(),
            "{format}"
        );
    }
    // train and tune print their report there: `-o -` and `--plot -` are refused before any
    // work, and no file named `-` appears.
    for args in [
        &["train", model, "-o", "-"][..],
        &["train", model, "--plot", "-"],
        &["compare", model, "--plot", "-"],
        &["eval", model, "--weights", weights, "--plot", "-"],
    ] {
        let out = run_in(d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("E0004") && err.contains(" -` would mix"),
            "{err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(names(d.path()), ["w.json", "w.onnx"]);
}

#[test]
fn an_onnx_graph_is_not_written_to_a_terminal() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut main, mut side) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the integers; the null pointers ask for
    // no name, settings or window size.
    let rc = unsafe {
        libc::openpty(
            &mut main,
            &mut side,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors are open and owned here alone.
    let (main, side) = unsafe { (OwnedFd::from_raw_fd(main), OwnedFd::from_raw_fd(side)) };
    let out = cnnc()
        .args([
            "export",
            "--weights",
            "examples/weights/seed003.json",
            "-o",
            "-",
        ])
        .stdout(Stdio::from(side))
        .stderr(Stdio::piped())
        .output()
        .expect("cnnc runs");
    drop(main);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("E0004") && err.contains("not written to a terminal"),
        "{err}"
    );
}
