//! The standard library: `.cnn` modules embedded at build time, so their spans are real spans.

/// Library modules by name (`use losses` reads `stdlib/losses.cnn`).
pub const MODULES: [(&str, &str); 4] = [
    ("activations", include_str!("../../stdlib/activations.cnn")),
    ("losses", include_str!("../../stdlib/losses.cnn")),
    (
        "regularizers",
        include_str!("../../stdlib/regularizers.cnn"),
    ),
    ("constraints", include_str!("../../stdlib/constraints.cnn")),
];

/// The module every model imports: layers name its activations directly.
pub const PRELUDE: &str = "activations";

/// The source of a library module.
pub fn module_source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}
