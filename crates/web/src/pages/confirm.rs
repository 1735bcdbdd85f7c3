//! "Remove …?": the question asked before something is removed, saying what that means; its
//! button posts the removal, its other way out goes back. Pages need no script for it.

use super::Page;
use askama::Template;
use askama_web::WebTemplate;
use crm::Language;

#[derive(Template, WebTemplate)]
#[template(path = "confirm_remove.html")]
pub struct ConfirmPage {
    pub p: Page,
    /// The words before the thing's name, its name (shown isolated, so a Latin name or a number
    /// keeps its order in a Hebrew sentence), and the words after.
    pub question: (String, String, String),
    pub consequence: String,
    /// Where the removal posts, and the fields it sends besides the CSRF token.
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
    pub back: String,
}

/// The question `key` (with `{ $name }` in it) in `lang`, split around the name.
pub fn question(lang: Language, key: &str, name: String) -> (String, String, String) {
    let text = crate::i18n::tr_args(lang, key, &[("name", "\u{1}".into())]);
    let (before, after) = text.split_once('\u{1}').unwrap_or((text.as_str(), ""));
    // (Fluent may wrap the argument in isolates: the page isolates it itself.)
    (before.trim_end_matches('\u{2068}').to_string(), name, after.trim_start_matches('\u{2069}').to_string())
}
