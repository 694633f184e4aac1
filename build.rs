//! Links a system LAPACK/BLAS when the `sdp` feature is on (Clarabel's PSD cones need them).
//!
//! The default build is pure Rust and runs nothing here. With `--features sdp`, `lapack` and
//! `blas` are found through pkg-config, which also emits the link flags; when they are missing
//! the build stops with a message naming the package to install.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_SDP");
    if std::env::var_os("CARGO_FEATURE_SDP").is_none() {
        return;
    }
    for lib in ["lapack", "blas"] {
        if let Err(e) = pkg_config::probe_library(lib) {
            eprintln!(
                "error: the `sdp` feature needs a system {lib} library, found through pkg-config.\n\
                 On Debian/Ubuntu install it with `apt-get install libopenblas-dev`\n\
                 (or build without `--features sdp`; PSD cones then cannot be solved).\n\
                 pkg-config said: {e}"
            );
            std::process::exit(1);
        }
    }
}
