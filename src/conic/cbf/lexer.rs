//! Tokens of a CBF file. The format is line-oriented, so line ends are tokens; comments (`#` to the
//! end of the line) and blanks are skipped. Anything that is neither a number nor a name is lexed
//! as [`Tok::Junk`] so that `1.2.3` or `4x` is reported as one bad word, not as two tokens.

use logos::Logos;

/// One token of a CBF file.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub(super) enum Tok {
    /// End of a line.
    #[token("\n")]
    Newline,
    /// A decimal integer, e.g. `-3`.
    #[regex(r"[+-]?[0-9]+", priority = 10)]
    Int,
    /// A decimal real in C notation, e.g. `-2.5e-3` or `.5`.
    #[regex(
        r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?[0-9]+[eE][+-]?[0-9]+",
        priority = 10
    )]
    Real,
    /// A keyword or a cone name, e.g. `ACOORD`, `L+`, `EXP*`, `@0:POW`.
    #[regex(r"[A-Za-z@][A-Za-z0-9@:+=*_-]*", priority = 10)]
    Word,
    /// Any other run of non-blank characters.
    #[regex(r"[^ \t\r\f\n#]+", priority = 1)]
    Junk,
}

/// Lexes `text` into tokens with their byte ranges; the lexer itself never fails.
pub(super) fn lex(text: &str) -> Vec<(Tok, std::ops::Range<usize>)> {
    let mut lexer = Tok::lexer(text);
    let mut out = Vec::new();
    while let Some(tok) = lexer.next() {
        // `Junk` matches every non-blank character, so an error can only be a stray byte
        // sequence logos could not classify; report it as junk too.
        out.push((tok.unwrap_or(Tok::Junk), lexer.span()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Tok, &str)> {
        lex(text).into_iter().map(|(t, r)| (t, &text[r])).collect()
    }

    #[test]
    fn lexes_lines_numbers_and_names() {
        assert_eq!(
            kinds("VER # version\n3\n L+ 2\n0 1 -2.5e-3\n@0:POW .5\n"),
            vec![
                (Tok::Word, "VER"),
                (Tok::Newline, "\n"),
                (Tok::Int, "3"),
                (Tok::Newline, "\n"),
                (Tok::Word, "L+"),
                (Tok::Int, "2"),
                (Tok::Newline, "\n"),
                (Tok::Int, "0"),
                (Tok::Int, "1"),
                (Tok::Real, "-2.5e-3"),
                (Tok::Newline, "\n"),
                (Tok::Word, "@0:POW"),
                (Tok::Real, ".5"),
                (Tok::Newline, "\n"),
            ]
        );
    }

    #[test]
    fn bad_words_are_single_junk_tokens() {
        assert_eq!(
            kinds("1.2.3 4x 1e\r\n"),
            vec![
                (Tok::Junk, "1.2.3"),
                (Tok::Junk, "4x"),
                (Tok::Junk, "1e"),
                (Tok::Newline, "\n"),
            ]
        );
    }
}
