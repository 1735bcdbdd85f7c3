//! Translations (fluent files under web/locales, compiled in): English, Polish, Hebrew.

use crm::Language;
use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Bidi isolation marks would show up inside attributes and JSON.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static IDS: LazyLock<[LanguageIdentifier; 3]> =
    LazyLock::new(|| ["en", "pl", "he"].map(|s| s.parse().expect("valid language id")));

fn id(lang: Language) -> &'static LanguageIdentifier {
    &IDS[match lang {
        Language::En => 0,
        Language::Pl => 1,
        Language::He => 2,
    }]
}

/// The message `key` in `lang` (English when missing there; the key itself when missing everywhere).
pub fn tr(lang: Language, key: &str) -> String {
    LOCALES.try_lookup(id(lang), key).unwrap_or_else(|| key.to_string())
}

pub fn tr_has(lang: Language, key: &str) -> bool {
    LOCALES.try_lookup(id(lang), key).is_some()
}

/// The message with arguments, e.g. `tr_args(lang, "users-licences", &[("used", 3.into()), …])`.
pub fn tr_args(lang: Language, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue<'static>> =
        args.iter().map(|(k, v)| (Cow::Borrowed(*k), v.clone())).collect();
    LOCALES.try_lookup_with_args(id(lang), key, &map).unwrap_or_else(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn ids(lang: &str) -> (BTreeSet<String>, Vec<String>) {
        let text = std::fs::read_to_string(format!("{}/locales/{lang}/main.ftl", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let all: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
            .filter(|k| !k.starts_with('#'))
            .collect();
        let set: BTreeSet<String> = all.iter().cloned().collect();
        let mut seen = BTreeSet::new();
        let dups = all.into_iter().filter(|k| !seen.insert(k.clone())).collect();
        (set, dups)
    }

    #[test]
    fn every_language_has_every_message_once() {
        let (en, en_dups) = ids("en");
        for lang in ["pl", "he"] {
            let (other, dups) = ids(lang);
            assert!(dups.is_empty(), "{lang}: defined twice: {dups:?}");
            assert_eq!(en.difference(&other).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in {lang}");
            assert_eq!(other.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "only in {lang}");
        }
        assert!(en_dups.is_empty(), "en: defined twice: {en_dups:?}");
    }

    #[test]
    fn every_message_file_parses_whole() {
        for lang in ["en", "pl", "he"] {
            let text =
                std::fs::read_to_string(format!("{}/locales/{lang}/main.ftl", env!("CARGO_MANIFEST_DIR"))).unwrap();
            if let Err((_, errors)) = fluent_templates::fluent_bundle::FluentResource::try_new(text) {
                panic!("{lang}: {errors:?}");
            }
        }
    }
}
