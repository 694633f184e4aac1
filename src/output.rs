//! Every file and stream cnnc writes goes through here.
//!
//! An `-o` target is looked at before any work ([`Output::check`]) and written at the end
//! ([`Output::write`]). A regular file, or one that does not exist yet, is replaced atomically:
//! a temporary file in the same directory, fsync, rename. A replaced file keeps its mode; a new
//! one gets `0o666` less the umask. A symbolic link is followed and the file it names replaced,
//! the link kept. Any other kind of target (a FIFO, a device) is opened and written in place,
//! never replaced. The path `-` is standard output ([`Output::is_stdout`]): the command decides
//! whether that is allowed (not where standard output already carries a report); a closed pipe
//! there ends cnnc quietly with [`EXIT_BROKEN_PIPE`]. While a temporary file exists its path is registered, and
//! [`remove_temp_on_signals`] makes SIGINT and SIGTERM remove it before exiting with
//! 128 + the signal (130, 143).
//!
//! Standard output and error are written with [`stdout`] and [`stderr`], which return the
//! error instead of panicking; the CLI ends quietly with [`EXIT_BROKEN_PIPE`] on a closed pipe.

use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::diag::Diagnostic;

/// Exit code when standard output or error is a closed pipe: 128 + SIGPIPE, the status a shell
/// reports for `cat` in the same place, so `set -o pipefail` sees both alike.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Test hook: when this variable holds a number of seconds, [`Output::write`] waits that long
/// after its temporary file is written and before the rename, so a test can signal it there.
pub const HOLD_ENV: &str = "CNNC_TEST_HOLD_TEMP";

/// The temporary files that exist right now (removed by the signal handler).
static TEMP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temp() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMP.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates a temporary file in `dir` and registers it, under the lock, so a signal sees it as
/// soon as it exists. [`forget`] it once it is renamed or removed.
fn create_temp(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    let mut registered = temp();
    let mut b = tempfile::Builder::new();
    // 0o666 through open(2), so the umask applies as it does for any new file.
    let tmp = b
        .prefix(".cnnc-")
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    registered.push(tmp.path().to_path_buf());
    Ok(tmp)
}

fn forget(registered: &mut Vec<PathBuf>, path: &Path) {
    registered.retain(|p| p != path);
}

/// A checked `-o` target.
#[derive(Debug)]
pub struct Output {
    /// The path as given.
    path: PathBuf,
    /// The file written: `path` with symbolic links followed.
    file: PathBuf,
    /// Replaced atomically (regular or new file) or written in place (anything else).
    replace: bool,
    /// The path is `-`: standard output.
    stdout: bool,
}

/// Why an output cannot be written.
#[derive(Debug)]
pub struct OutputError {
    /// The path as given.
    pub path: PathBuf,
    /// What failed, in words.
    pub what: String,
    /// The system's error, if there is one.
    pub error: Option<io::Error>,
    /// What it means for the user.
    pub help: &'static str,
}

const CHECK_HELP: &str = "choose a writable path with `-o` (its directory must exist)";
const REPLACE_HELP: &str = "nothing was replaced: an existing file is unchanged";
const IN_PLACE_HELP: &str = "the target is written in place and may hold part of the output";

impl OutputError {
    /// The diagnostic: `code` with "cannot write `noun` `path`: what".
    pub fn to_diagnostic(&self, code: &'static str, noun: &str) -> Diagnostic {
        let d = Diagnostic::error(
            code,
            format!(
                "cannot write {noun} `{}`: {}",
                self.path.display(),
                self.what
            ),
        );
        let d = match &self.error {
            Some(e) => d.with_note(e.to_string()),
            None => d,
        };
        d.with_help(self.help)
    }
}

/// The directory a file is in (`.` for a bare name).
fn dir_of(file: &Path) -> &Path {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// `path` with every symbolic link followed (the last one may name a missing file).
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&p)?;
                p = dir_of(&p).join(target);
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

impl Output {
    /// Checks that `path` can be written: not a directory, and for a file that is replaced,
    /// its directory exists and takes a new file (tried by creating and removing one).
    pub fn check(path: &Path) -> Result<Output, OutputError> {
        let fail = |what: String, error: Option<io::Error>| OutputError {
            path: path.to_path_buf(),
            what,
            error,
            help: CHECK_HELP,
        };
        if path.as_os_str() == "-" {
            return Ok(Output {
                path: path.to_path_buf(),
                file: path.to_path_buf(),
                replace: false,
                stdout: true,
            });
        }
        let file = resolve(path).map_err(|e| fail("cannot follow the link".into(), Some(e)))?;
        let replace = match fs::metadata(&file) {
            Ok(m) if m.is_dir() => return Err(fail("it is a directory".into(), None)),
            Ok(m) => m.is_file(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(fail("cannot look at it".into(), Some(e))),
        };
        if replace {
            let dir = dir_of(&file);
            match fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(fail(
                        format!("`{}` is not a directory", dir.display()),
                        None,
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let what = format!("its directory `{}` does not exist", dir.display());
                    return Err(fail(what, None));
                }
                Err(e) => return Err(fail(format!("cannot look at `{}`", dir.display()), Some(e))),
            }
            let probe = create_temp(dir).map_err(|e| {
                let what = format!("cannot create a file in `{}`", dir.display());
                fail(what, Some(e))
            })?;
            let mut registered = temp();
            forget(&mut registered, probe.path());
            drop(probe);
        }
        Ok(Output {
            path: path.to_path_buf(),
            file,
            replace,
            stdout: false,
        })
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the target is standard output (the path `-`).
    pub fn is_stdout(&self) -> bool {
        self.stdout
    }

    /// Writes `bytes` to the target: atomically for a regular or new file, in place otherwise.
    pub fn write(&self, bytes: &[u8]) -> Result<(), OutputError> {
        let fail = |what: &str, e: io::Error| OutputError {
            path: self.path.clone(),
            what: what.to_string(),
            error: Some(e),
            help: if self.replace {
                REPLACE_HELP
            } else {
                IN_PLACE_HELP
            },
        };
        if self.stdout {
            let mut out = io::stdout().lock();
            return match out.write_all(bytes).and_then(|()| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    std::process::exit(EXIT_BROKEN_PIPE.into())
                }
                r => r.map_err(|e| fail("writing failed", e)),
            };
        }
        if !self.replace {
            let mut f = OpenOptions::new()
                .write(true)
                .open(&self.file)
                .map_err(|e| fail("cannot open it", e))?;
            return f
                .write_all(bytes)
                .and_then(|()| f.flush())
                .map_err(|e| fail("writing failed", e));
        }
        let dir = dir_of(&self.file);
        let tmp = create_temp(dir)
            .map_err(|e| fail("cannot create a temporary file in its directory", e))?;
        let path = tmp.path().to_path_buf();
        let result = self.fill_and_rename(tmp, bytes);
        forget(&mut temp(), &path);
        let _ = fs::File::open(dir).and_then(|d| d.sync_all());
        result.map_err(|(what, e)| fail(what, e))
    }

    fn fill_and_rename(
        &self,
        mut tmp: tempfile::NamedTempFile,
        bytes: &[u8],
    ) -> Result<(), (&'static str, io::Error)> {
        if let Ok(old) = fs::metadata(&self.file) {
            let new = tmp.as_file();
            new.set_permissions(old.permissions())
                .map_err(|e| ("cannot give the new file the old one's mode", e))?;
            let owner = |m: &fs::Metadata| (m.uid(), m.gid());
            if new.metadata().map(|m| owner(&m)).ok() != Some(owner(&old)) {
                // Best effort: only root may give a file away; otherwise the writer owns it.
                let _ = std::os::unix::fs::fchown(new, Some(old.uid()), Some(old.gid()));
            }
        }
        tmp.write_all(bytes).map_err(|e| ("writing failed", e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| ("flushing to disk failed", e))?;
        hold_for_tests();
        let mut registered = temp();
        let path = tmp.path().to_path_buf();
        tmp.persist(&self.file)
            .map_err(|e| ("renaming the temporary file failed", e.error))?;
        forget(&mut registered, &path);
        Ok(())
    }
}

/// The [`HOLD_ENV`] test hook.
fn hold_for_tests() {
    if let Some(s) = std::env::var(HOLD_ENV).ok().and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_secs_f64(s));
    }
}

/// Checks `path` and writes `bytes` to it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    Output::check(path)?.write(bytes)
}

/// Writes to standard output and flushes it.
pub fn stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes to standard error.
pub fn stderr(text: &str) -> io::Result<()> {
    let mut err = io::stderr().lock();
    err.write_all(text.as_bytes())?;
    err.flush()
}

/// On SIGINT or SIGTERM: removes the registered temporary file, then exits with
/// 128 + the signal. Installs a watcher thread; call once, before any output is written.
pub fn remove_temp_on_signals() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Holding the lock until exit: a rename in progress finishes first, none starts.
            let registered = temp();
            for p in registered.iter() {
                let _ = fs::remove_file(p);
            }
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}
