//! The memory budget: sizes declared in a model or a CBF file are estimated before anything of
//! that size is allocated, and an input whose estimate exceeds the budget is refused with a
//! diagnostic (E0330 for models, E0730 for CBF files) instead of aborting on allocation.
//!
//! The budget is 4 GiB unless the environment variable `CNNC_MEMORY_LIMIT` gives another size:
//! a number of bytes with an optional binary suffix `K`, `M`, `G` or `T` (e.g. `16G`).
//! Estimates are conservative upper bounds of what cnnc itself allocates for an item; the
//! formulas are in [`model_var`], [`layer`], the data reader and the CBF reader
//! (docs/LANGUAGE.md lists them).

/// The default budget: 4 GiB.
pub const DEFAULT: u64 = 4 << 30;

/// The environment variable that overrides the budget.
pub const ENV: &str = "CNNC_MEMORY_LIMIT";

/// The budget in bytes and where it came from (for the diagnostic's note).
pub fn limit() -> (u64, String) {
    match std::env::var(ENV) {
        Ok(v) => match parse_size(&v) {
            Some(b) => (b, format!("{ENV}={v}")),
            None => (
                DEFAULT,
                format!(
                    "the default; {ENV}=`{}` is not a size such as `16G`",
                    crate::diag::elide(&v, 40)
                ),
            ),
        },
        Err(_) => (
            DEFAULT,
            format!("the default; set {ENV}, e.g. {ENV}=16G, to change it"),
        ),
    }
}

/// `123`, `512M`, `16G`, `1T` (binary multiples) as bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, shift) = match s.char_indices().last()? {
        (i, 'K' | 'k') => (&s[..i], 10),
        (i, 'M' | 'm') => (&s[..i], 20),
        (i, 'G' | 'g') => (&s[..i], 30),
        (i, 'T' | 't') => (&s[..i], 40),
        _ => (s, 0),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Bytes for people: `80.0 GB (80,000,000,000 bytes)`-like, in binary units.
pub fn show(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Product of dimensions, saturating at `u64::MAX` (so an absurd size is just "too large").
pub fn product(dims: &[u64]) -> u64 {
    dims.iter().fold(1u64, |a, &d| a.saturating_mul(d))
}

/// Bytes per entry of a decision variable (a model variable or a layer's weight): not only its
/// value but the conic column it becomes, with its name, bound rows, matrix entries and the
/// solver's copies. Measured: `var w[1000, 1000] in [0, 1]` peaks at 294 MB in
/// `compile --emit conic` (about 300 bytes per entry) and its CBF export at 1.5 GB in `solve`.
pub const BYTES_PER_ENTRY: u64 = 512;

/// A model variable of `entries` entries.
pub fn model_var(entries: u64) -> u64 {
    entries.saturating_mul(BYTES_PER_ENTRY)
}

/// A dense layer of `outputs × cols` weights over `samples` rows: the weights and bias
/// (`outputs × (cols + 1)` entries of [`BYTES_PER_ENTRY`]) and the pre- and post-activation
/// values of every sample (`2 × samples × outputs` numbers of 8 bytes).
pub fn layer(outputs: u64, cols: u64, samples: u64) -> u64 {
    let weights = outputs.saturating_mul(cols.saturating_add(1));
    let activations = samples.saturating_mul(outputs).saturating_mul(2);
    weights
        .saturating_mul(BYTES_PER_ENTRY)
        .saturating_add(activations.saturating_mul(8))
}

/// Bytes per non-zero of a lowered program: the term in the convex program (column, coefficient),
/// the conic matrix, Clarabel's copy and its KKT system. Measured: the diabetes pattern program
/// (5.8M non-zeros) peaks at 404 MB in `compile --emit conic`, about 70 bytes per non-zero.
pub const BYTES_PER_NONZERO: u64 = 128;

/// The pattern method's program for `patterns` activation patterns over `samples × cols` data:
/// per pattern two sign blocks and two prediction blocks (for `v_i` and `w_i`), each a dense
/// `samples × cols` block of non-zeros.
pub fn patterns_program(patterns: u64, samples: u64, cols: u64) -> u64 {
    patterns
        .saturating_mul(samples)
        .saturating_mul(cols)
        .saturating_mul(4)
        .saturating_mul(BYTES_PER_NONZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("512M"), Some(512 * 1024 * 1024));
        assert_eq!(parse_size("16G"), Some(16 * 1024 * 1024 * 1024));
        assert_eq!(parse_size("1t"), Some(1 << 40));
        assert_eq!(parse_size("G"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("99999999999T"), None);
    }

    #[test]
    fn estimates_by_hand() {
        // var w[100000, 100000]: 10^10 entries × 512 bytes = 5.12·10^12 bytes = 4.66 TiB.
        assert_eq!(model_var(product(&[100_000, 100_000])), 5_120_000_000_000);
        assert_eq!(show(5_120_000_000_000), "4.7 TiB");
        // 500 patterns of the diabetes data (354 × 11): 4 · 500 · 354 · 11 = 7,788,000 non-zeros.
        assert_eq!(patterns_program(500, 354, 11), 7_788_000 * 128);
        assert_eq!(show(80_000_000_000), "74.5 GiB");
        // dense(10^6) after 10^6 inputs, 4 samples: 10^6·(10^6+1)·512 + 2·4·10^6·8.
        assert_eq!(
            layer(1_000_000, 1_000_000, 4),
            1_000_000 * 1_000_001 * 512 + 8_000_000 * 8
        );
        assert_eq!(product(&[u64::MAX, 2]), u64::MAX);
        assert_eq!(show(1000), "1000 bytes");
    }
}
