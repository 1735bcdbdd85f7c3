//! What the contact and case lists share: conditions from the query string (`f0`, `o0`, `v0`,
//! `f1`…), their form, paging, and saved searches.

use crate::AppState;
use crate::ctx::{Authed, url_pairs};
use crate::error::PageError;
use crate::forms::CsrfForm;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::search::{Cond, OPS, SavedSearch, Target};
use serde::Deserialize;

/// A list's query: its conditions and page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub conds: Vec<Cond>,
    pub page: u64,
    pub q: String,
}

impl ListQuery {
    pub fn parse(query: Option<&str>) -> ListQuery {
        let pairs = query.map(url_pairs).unwrap_or_default();
        let get = |k: &str| crate::forms::value(&pairs, k);
        let mut conds = vec![];
        for i in 0..20 {
            let (Some(f), Some(o)) = (get(&format!("f{i}")), get(&format!("o{i}"))) else { continue };
            if f.is_empty() {
                continue;
            }
            conds.push(Cond { field: f, op: o, value: get(&format!("v{i}")).unwrap_or_default() });
        }
        ListQuery {
            conds,
            page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
            q: get("q").unwrap_or_default(),
        }
    }

    /// The query string of these conditions (and `page`).
    pub fn href(&self, base: &str, page: u64) -> String {
        let mut pairs: Vec<(String, String)> = vec![];
        for (i, c) in self.conds.iter().enumerate() {
            pairs.push((format!("f{i}"), c.field.clone()));
            pairs.push((format!("o{i}"), c.op.clone()));
            pairs.push((format!("v{i}"), c.value.clone()));
        }
        if page > 1 {
            pairs.push(("page".into(), page.to_string()));
        }
        format!("{base}?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    }

    /// The rows of the conditions form: the conditions, then one empty row.
    pub fn rows(&self) -> Vec<Cond> {
        let mut r = self.conds.clone();
        r.push(Cond { field: String::new(), op: "contains".into(), value: String::new() });
        r
    }

    pub fn ops(&self) -> [&'static str; 6] {
        OPS
    }

    /// The conditions as JSON, for the "save this search" form.
    pub fn json(&self) -> String {
        serde_json::to_string(&self.conds).unwrap_or_default()
    }
}

/// The href of a saved search.
pub fn saved_href(s: &SavedSearch) -> String {
    let q = ListQuery { conds: s.conditions.clone(), page: 1, q: String::new() };
    q.href(if s.target == "cases" { "/cases" } else { "/contacts" }, 1)
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    conditions: String,
}

pub async fn save(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfForm(f): CsrfForm<SaveForm>,
) -> Result<Response, PageError> {
    let target = Target::parse(&f.target)
        .ok_or_else(|| PageError::from(crm::CrmError::invalid("target", "err-search-field")))?;
    let conds: Vec<Cond> = serde_json::from_str(&f.conditions)
        .map_err(|_| PageError::from(crm::CrmError::invalid("conditions", "err-search-field")))?;
    let s = st.crm.save_search(&me, &f.name, target, &conds).await?;
    Ok(Redirect::to(&saved_href(&s)).into_response())
}

pub async fn delete(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    st.crm.delete_saved_search(&me, id).await?;
    Ok(Redirect::to("/contacts").into_response())
}
