//! The CSV import wizard (`/contacts/import`) for contacts and, for managers, the numbers of a
//! call list (`?list=ID` chooses it): upload (streamed to a file, CSRF
//! checked before the file is read), the guessed encoding, separator and header that the user
//! may change, a preview of the first rows as decoded, the mapping of columns to fields, the dry
//! run's summary (new, duplicates, invalid rows with line and reason), then the import on
//! confirmation; the list of past imports with undo.

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx, url_pairs};
use crate::error::{PageError, status_of};
use crate::forms::{CsrfForm, Upload};
use crate::i18n::tr;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use crm::CrmError;
use crm::imports::{Import, MAX_FILE, Preview, Settings, Summary, Target, sniff};
use crm::outbound::CallList;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "imports.html")]
pub struct ListPage {
    pub p: Page,
    pub imports: Vec<Import>,
    pub errors: FormErrors,
    pub names: std::collections::HashMap<i64, String>,
    /// The open call lists a manager may fill (none for agents).
    pub lists: Vec<CallList>,
    /// The list chosen to fill.
    pub list: Option<i64>,
}

impl ListPage {
    pub fn who(&self, id: &i64) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub list: Option<i64>,
}

/// The nav entry an import's page sits under.
fn nav(target: Target) -> &'static str {
    match target {
        Target::Contacts => "nav-contacts",
        Target::CallList(_) => "nav-call-lists",
    }
}

async fn lists_of(st: &AppState, me: &crm::User) -> Result<Vec<CallList>, CrmError> {
    if !me.is_manager() {
        return Ok(vec![]);
    }
    Ok(st.crm.call_lists(me.org_id).await?.into_iter().filter(|l| l.active).collect())
}

async fn user_names(st: &AppState, org: crm::OrgId) -> Result<std::collections::HashMap<i64, String>, CrmError> {
    Ok(st.crm.users(org).await?.into_iter().map(|u| (u.id.0, u.full_name)).collect())
}

pub async fn list(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    OriginalUri(uri): OriginalUri,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<ListPage, PageError> {
    let imports = st.crm.imports(me.org_id).await?;
    let names = user_names(&st, me.org_id).await?;
    let lists = lists_of(&st, &me).await?;
    let list = q.list.filter(|l| lists.iter().any(|x| x.id == *l));
    Ok(ListPage {
        p: Page::new(&ctx, nav(list.map_or(Target::Contacts, Target::CallList))).with_flash(uri.query()),
        imports,
        errors: FormErrors::default(),
        names,
        lists,
        list,
    })
}

/// The upload: a multipart form whose `csrf` field comes before the file.
pub async fn upload(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    headers: HeaderMap,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = Upload::read(&ctx, &headers, form, &st.crm.files().join("tmp"), MAX_FILE).await?;
    let target = up.field("target").parse().map_or(Target::Contacts, Target::CallList);
    let r = if up.too_large {
        Err(CrmError::invalid("file", "err-import-large"))
    } else {
        st.crm.upload_import(&me, target, &up.field("name"), &up.field("description"), &up.file_name, &up.path).await
    };
    match r {
        Ok(imp) => Ok(Redirect::to(&format!("/contacts/import/{}", imp.id)).into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            let imports = st.crm.imports(me.org_id).await?;
            let names = user_names(&st, me.org_id).await?;
            let errors = FormErrors::from_crm(&e, ctx.lang);
            let lists = lists_of(&st, &me).await?;
            let list = match target {
                Target::CallList(l) => Some(l),
                Target::Contacts => None,
            };
            let pg = ListPage { p: Page::new(&ctx, nav(target)), imports, errors, names, lists, list };
            Ok((status_of(&e), pg).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
pub struct WizardPage {
    pub p: Page,
    pub imp: Import,
    pub s: Settings,
    pub preview: Preview,
    pub summary: Option<Summary>,
    pub errors: FormErrors,
    /// The call list it fills.
    pub list: Option<CallList>,
}

impl WizardPage {
    pub fn encodings(&self) -> [&'static str; 4] {
        sniff::ENCODINGS
    }

    pub fn separators(&self) -> Vec<&'static str> {
        sniff::SEPARATORS.iter().map(|(n, _)| *n).collect()
    }

    pub fn sep_name(&self, x: &str) -> String {
        let key = match x {
            "," => "comma",
            ";" => "semicolon",
            "|" => "pipe",
            _ => "tab",
        };
        tr(self.p.lang, &format!("import-sep-{key}"))
    }

    pub fn fields(&self) -> Vec<&'static str> {
        self.imp.target.fields().to_vec()
    }

    /// The call list the import fills, by name.
    pub fn list_name(&self) -> Option<&str> {
        self.list.as_ref().map(|l| l.name.as_str())
    }

    pub fn mapped(&self, col: &usize) -> &str {
        self.s.mapping.get(*col).map(String::as_str).unwrap_or("")
    }

    pub fn cell<'a>(&self, row: &'a [String], col: &usize) -> &'a str {
        row.get(*col).map(String::as_str).unwrap_or("")
    }

    pub fn columns(&self) -> Vec<usize> {
        (0..self.preview.columns).collect()
    }

    pub fn reason(&self, code: &str) -> String {
        tr(self.p.lang, code)
    }
}

/// Settings from a query or form: what the user changed, over what the import has.
fn settings_from(imp: &Import, pairs: &[(String, String)]) -> Settings {
    let get = |k: &str| crate::forms::value(pairs, k);
    let mut s = Settings {
        encoding: get("encoding").unwrap_or_else(|| imp.encoding.clone()),
        separator: get("separator").unwrap_or_else(|| imp.separator.clone()),
        has_header: match get("has_header") {
            Some(v) => v == "1",
            None if pairs.iter().any(|(k, _)| k == "encoding") => false,
            None => imp.has_header,
        },
        mapping: imp.mapping.clone(),
    };
    let cols: Vec<(usize, String)> = pairs
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("map").and_then(|n| n.parse().ok()).map(|n: usize| (n, v.clone())))
        .filter(|(n, _)| *n < 200)
        .collect();
    if !cols.is_empty() {
        let n = cols.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
        s.mapping = vec![String::new(); n];
        for (i, v) in cols {
            s.mapping[i] = v;
        }
    }
    s
}

async fn wizard(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    pairs: &[(String, String)],
    summary: Option<Summary>,
    errors: FormErrors,
) -> Result<WizardPage, PageError> {
    let Some(me) = &ctx.user else { return Err(PageError::redirect("/login")) };
    let imp = st.crm.import(me.org_id, id).await?;
    let mut s = settings_from(&imp, pairs);
    let preview = match st.crm.import_preview(me.org_id, id, &s).await {
        Ok(p) => p,
        Err(CrmError::Invalid(_)) => {
            s = settings_from(&imp, &[]);
            st.crm.import_preview(me.org_id, id, &s).await?
        }
        Err(e) => return Err(PageError::from(e)),
    };
    s.mapping.resize(preview.columns, String::new());
    let list = match imp.target {
        Target::CallList(l) => Some(st.crm.call_list(me.org_id, l).await?),
        Target::Contacts => None,
    };
    Ok(WizardPage { p: Page::new(ctx, nav(imp.target)), imp, s, preview, summary, errors, list })
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, _): Authed,
    Path(id): Path<i64>,
    OriginalUri(uri): OriginalUri,
) -> Result<WizardPage, PageError> {
    let pairs = uri.query().map(url_pairs).unwrap_or_default();
    wizard(&st, &ctx, id, &pairs, None, FormErrors::default()).await
}

/// The dry run: keeps the settings and mapping, shows the summary; nothing is written.
pub async fn check(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let imp = st.crm.import(me.org_id, id).await?;
    let s = settings_from(&imp, &pairs);
    match st.crm.check_import(&me, id, &s).await {
        Ok(sum) => Ok(wizard(&st, &ctx, id, &pairs, Some(sum), FormErrors::default()).await?.into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => {
            let pg = wizard(&st, &ctx, id, &pairs, None, FormErrors::from_crm(&e, ctx.lang)).await?;
            Ok((status_of(&e), pg).into_response())
        }
    }
}

pub async fn run(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    match st.crm.run_import(&me, id).await {
        Ok(_) => match st.crm.import(me.org_id, id).await?.target {
            Target::Contacts => Ok(Redirect::to("/contacts/import?ok=import-done").into_response()),
            Target::CallList(l) => {
                Ok(Redirect::to(&format!("/call-lists/numbers?list={l}&ok=import-done-list")).into_response())
            }
        },
        Err(e) => Err(PageError::from(e)),
    }
}

pub async fn undo(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    match st.crm.undo_import(&me, id).await {
        Ok(_) => Ok(Redirect::to("/contacts/import?ok=import-undone").into_response()),
        Err(e) => Err(PageError::from(e)),
    }
}
