//! Campaigns and processes (`/campaigns`): the lists, and for managers the forms — a process
//! with its ordered statuses (one initial, closing ones flagged), a campaign with its process,
//! kind, switches and agents, and each agent's successes.

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::cases::campaigns::{Campaign, CampaignIn, CampaignKind};
use crm::cases::processes::{Process, StatusIn};
use crm::{CrmError, User};

#[derive(Template, WebTemplate)]
#[template(path = "campaigns.html")]
pub struct ListPage {
    pub p: Page,
    pub campaigns: Vec<Campaign>,
    pub processes: Vec<Process>,
    pub manager: bool,
}

impl ListPage {
    pub fn process_name(&self, id: &i64) -> String {
        self.processes.iter().find(|p| p.id == *id).map(|p| p.name.clone()).unwrap_or_default()
    }
}

pub async fn list(State(st): State<AppState>, Authed(ctx, me): Authed) -> Result<ListPage, PageError> {
    let campaigns = st.crm.campaigns(me.org_id).await?.into_iter().filter(|c| me.is_manager() || c.shown).collect();
    let processes = st.crm.processes(me.org_id).await?;
    Ok(ListPage { p: Page::new(&ctx, "nav-campaigns"), campaigns, processes, manager: me.is_manager() })
}

#[derive(Template, WebTemplate)]
#[template(path = "process_form.html")]
pub struct ProcessPage {
    pub p: Page,
    pub id: Option<i64>,
    pub name: String,
    pub statuses: Vec<StatusIn>,
    pub errors: FormErrors,
}

pub async fn new_process(Authed(ctx, me): Authed) -> Result<ProcessPage, PageError> {
    super::manager_only(&me)?;
    let st = |n: &str, initial, closing| StatusIn { id: None, name: n.into(), initial, closing, active: true };
    let statuses = vec![st("", true, false), st("", false, false), st("", false, true)];
    Ok(ProcessPage {
        p: Page::new(&ctx, "nav-campaigns"),
        id: None,
        name: String::new(),
        statuses,
        errors: FormErrors::default(),
    })
}

pub async fn edit_process(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
) -> Result<ProcessPage, PageError> {
    super::manager_only(&me)?;
    let pr = st.crm.process(me.org_id, id).await?;
    let mut statuses: Vec<StatusIn> = pr
        .statuses
        .iter()
        .map(|s| StatusIn {
            id: Some(s.id),
            name: s.name.clone(),
            initial: s.initial,
            closing: s.closing,
            active: s.active,
        })
        .collect();
    statuses.push(StatusIn { active: true, ..Default::default() });
    Ok(ProcessPage {
        p: Page::new(&ctx, "nav-campaigns"),
        id: Some(id),
        name: pr.name,
        statuses,
        errors: FormErrors::default(),
    })
}

/// The statuses of a process form: rows `s{i}_name`, `s{i}_id`, `s{i}_closing`, `s{i}_active`,
/// and the `initial` radio naming a row.
fn statuses_from(pairs: &[(String, String)]) -> (String, Vec<StatusIn>) {
    let get = |k: &str| crate::forms::value(pairs, k);
    let initial = get("initial").unwrap_or_default();
    let mut out = vec![];
    for i in 0..100 {
        let Some(name) = get(&format!("s{i}_name")) else { continue };
        let id = get(&format!("s{i}_id")).and_then(|v| v.parse().ok());
        if name.trim().is_empty() && id.is_none() {
            continue;
        }
        out.push(StatusIn {
            id,
            name,
            initial: initial == i.to_string(),
            closing: get(&format!("s{i}_closing")).is_some(),
            active: id.is_none() || get(&format!("s{i}_active")).is_some(),
        });
    }
    (get("name").unwrap_or_default(), out)
}

pub async fn save_process(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    id: Option<Path<i64>>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let id = id.map(|Path(i)| i);
    let (name, statuses) = statuses_from(&pairs);
    match st.crm.save_process(&me, id, &name, &statuses).await {
        Ok(_) => Ok(Redirect::to("/campaigns").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::NotFound | CrmError::Forbidden)) => Err(PageError::from(e)),
        Err(e) => {
            let mut statuses = statuses;
            statuses.push(StatusIn { active: true, ..Default::default() });
            let pg = ProcessPage {
                p: Page::new(&ctx, "nav-campaigns"),
                id,
                name,
                statuses,
                errors: FormErrors::from_crm(&e, ctx.lang),
            };
            Ok((status_of(&e), pg).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign_form.html")]
pub struct CampaignPage {
    pub p: Page,
    pub id: Option<i64>,
    pub c: CampaignIn,
    pub processes: Vec<Process>,
    pub users: Vec<User>,
    pub successes: Vec<(String, u64)>,
    pub errors: FormErrors,
}

impl CampaignPage {
    pub fn kinds(&self) -> &'static [CampaignKind] {
        CampaignKind::ALL
    }

    pub fn assigned(&self, id: &crm::UserId) -> bool {
        self.c.agents.contains(&id.0)
    }
}

async fn campaign_page(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    id: Option<i64>,
    c: CampaignIn,
    errors: FormErrors,
) -> Result<CampaignPage, PageError> {
    let processes = st.crm.processes(me.org_id).await?;
    let users: Vec<User> = st.crm.users(me.org_id).await?.into_iter().filter(|u| u.active).collect();
    let successes = match id {
        Some(id) => st
            .crm
            .campaign_successes(me.org_id, id)
            .await?
            .into_iter()
            .map(|(u, n)| (users.iter().find(|x| x.id == u).map(|x| x.full_name.clone()).unwrap_or_default(), n))
            .collect(),
        None => vec![],
    };
    Ok(CampaignPage { p: Page::new(ctx, "nav-campaigns"), id, c, processes, users, successes, errors })
}

pub async fn new_campaign(State(st): State<AppState>, Authed(ctx, me): Authed) -> Result<CampaignPage, PageError> {
    super::manager_only(&me)?;
    let c = CampaignIn {
        kind: CampaignKind::Inbound.as_str().into(),
        active: true,
        shown: true,
        agents_may_add: true,
        ..Default::default()
    };
    campaign_page(&st, &ctx, &me, None, c, FormErrors::default()).await
}

pub async fn edit_campaign(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
) -> Result<CampaignPage, PageError> {
    super::manager_only(&me)?;
    let k = st.crm.campaign(me.org_id, id).await?;
    let c = CampaignIn {
        name: k.name,
        kind: k.kind.as_str().into(),
        process_id: k.process_id,
        active: k.active,
        agents_may_add: k.agents_may_add,
        shown: k.shown,
        agents: k.agents,
    };
    campaign_page(&st, &ctx, &me, Some(id), c, FormErrors::default()).await
}

pub async fn save_campaign(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    id: Option<Path<i64>>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let id = id.map(|Path(i)| i);
    let get = |k: &str| crate::forms::value(&pairs, k);
    let c = CampaignIn {
        name: get("name").unwrap_or_default(),
        kind: get("kind").unwrap_or_default(),
        process_id: get("process_id").and_then(|v| v.parse().ok()).unwrap_or(0),
        active: get("active").is_some(),
        agents_may_add: get("agents_may_add").is_some(),
        shown: get("shown").is_some(),
        agents: pairs.iter().filter(|(k, _)| k == "agent").filter_map(|(_, v)| v.parse().ok()).collect(),
    };
    match st.crm.save_campaign(&me, id, c.clone()).await {
        Ok(_) => Ok(Redirect::to("/campaigns").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::NotFound | CrmError::Forbidden)) => Err(PageError::from(e)),
        Err(e) => Ok((status_of(&e), campaign_page(&st, &ctx, &me, id, c, FormErrors::from_crm(&e, ctx.lang)).await?)
            .into_response()),
    }
}
