//! The pages' HTML escaping: askama's, and bidi controls made visible. A name stored with
//! U+202E (right-to-left override) or another embedding, override or isolate control would
//! otherwise reverse what follows it on the page ("gnp.exe" read as "exe.png"), in Latin and in
//! Hebrew pages alike; each such control is shown as U+FFFD, so the manipulation shows and the
//! text around it reads as typed. Marks (U+200E, U+200F) stay: Hebrew text uses them.

use askama::filters::Escaper;
use std::fmt::{self, Write};

/// Embedding, override and isolate controls (not the marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Html;

impl Escaper for Html {
    fn write_escaped_str<W: Write>(&self, dest: W, s: &str) -> fmt::Result {
        if !s.contains(is_bidi_control) {
            return askama::filters::Html.write_escaped_str(dest, s);
        }
        let shown: String = s.chars().map(|c| if is_bidi_control(c) { '\u{FFFD}' } else { c }).collect();
        askama::filters::Html.write_escaped_str(dest, &shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_are_shown_and_html_is_escaped() {
        let mut out = String::new();
        Html.write_escaped_str(&mut out, "Ann\u{202E}gnp.exe <b>&\u{200F}").unwrap();
        assert_eq!(out, "Ann\u{FFFD}gnp.exe &#60;b&#62;&#38;\u{200F}");
    }

    /// The pages' own words pass the same escaping: they may use marks, never the controls it
    /// shows as U+FFFD.
    #[test]
    fn the_translations_use_no_bidi_controls() {
        for (lang, text) in [
            ("en", include_str!("../locales/en/main.ftl")),
            ("pl", include_str!("../locales/pl/main.ftl")),
            ("he", include_str!("../locales/he/main.ftl")),
        ] {
            let bad: Vec<&str> = text.lines().filter(|l| l.contains(is_bidi_control)).collect();
            assert!(bad.is_empty(), "{lang}: {bad:?}");
        }
    }
}
