//! Administrators set up the organization's telephony on one page: its SIP domain, carrier
//! trunks (with the live state of their registration), numbers and where they ring, ring
//! groups, and dial rules — what `switchboard trunk …` does, with the same checks (in `crm`).
//! Each change is in force at once (the routing snapshot is refreshed).

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Admin, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::CrmError;
use crm::sip::trunks::{Number, NumberRoute, RingGroup, Trunk};
use serde::Deserialize;

/// A trunk as the page lists it.
pub struct TrunkRow {
    pub t: Trunk,
    /// The registration at the carrier: none (it does not register), up or down.
    pub registered: Option<bool>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_telephony.html")]
pub struct TelephonyPage {
    pub p: Page,
    pub sip_domain: String,
    pub sip_address: String,
    /// never | on_demand | always
    pub recording: String,
    pub trunks: Vec<TrunkRow>,
    pub numbers: Vec<Number>,
    pub groups: Vec<RingGroup>,
    /// The organization's queues: (id, name).
    pub queues: Vec<(i64, String)>,
    pub rules: Vec<(String, bool)>,
    /// Where a number may ring: (`ext:101` or `group:3`, what the list shows).
    pub targets: Vec<(String, String)>,
    /// The form that was refused (its section shows the errors and keeps what was typed).
    pub failed: &'static str,
    pub typed: Typed,
    pub errors: FormErrors,
}

impl TelephonyPage {
    pub fn errors_of(&self, form: &str, field: &str) -> String {
        if self.failed == form { self.errors.field(field) } else { String::new() }
    }

    pub fn general_of(&self, form: &str) -> String {
        if self.failed == form { self.errors.general.clone().unwrap_or_default() } else { String::new() }
    }

    pub fn queue_name(&self, id: &Option<i64>) -> String {
        self.queues.iter().find(|(q, _)| Some(*q) == *id).map(|(_, n)| n.clone()).unwrap_or_default()
    }

    pub fn group_name(&self, id: &Option<i64>) -> String {
        self.groups.iter().find(|g| Some(g.id) == *id).map(|g| g.name.clone()).unwrap_or_default()
    }
}

/// What was typed in the refused form.
#[derive(Default)]
pub struct Typed {
    pub sip_domain: Option<DomainForm>,
    pub trunk: TrunkForm,
    pub number: NumberForm,
    pub group: GroupForm,
    pub rule: RuleForm,
}

#[derive(Deserialize, Default)]
pub struct DomainForm {
    #[serde(default)]
    pub sip_domain: String,
}

#[derive(Deserialize, Default)]
pub struct TrunkForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: String,
    #[serde(default)]
    pub transport: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// Addresses separated by spaces or commas.
    #[serde(default)]
    pub inbound: String,
    #[serde(default)]
    pub register: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NumberForm {
    #[serde(default)]
    pub number: String,
    /// `ext:101` or `group:3`.
    #[serde(default)]
    pub target: String,
}

#[derive(Deserialize, Default)]
pub struct GroupForm {
    #[serde(default)]
    pub name: String,
    /// Extensions separated by spaces or commas.
    #[serde(default)]
    pub members: String,
    #[serde(default)]
    pub in_order: Option<String>,
    #[serde(default)]
    pub ring_seconds: String,
}

#[derive(Deserialize, Default)]
pub struct RuleForm {
    #[serde(default)]
    pub prefix: String,
    /// `allow` or `deny`.
    #[serde(default)]
    pub action: String,
}

fn list(s: &str) -> Vec<String> {
    s.split([',', ' ', ';']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    failed: &'static str,
    typed: Typed,
    errors: FormErrors,
) -> Result<TelephonyPage, PageError> {
    let Some(me) = &ctx.user else { return Err(PageError::redirect("/login")) };
    let org = st.crm.org(me.org_id).await?;
    let groups = st.crm.ring_groups(me.org_id).await?;
    let mut targets: Vec<(String, String)> = st
        .crm
        .users(me.org_id)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (format!("ext:{}", u.extension), format!("{} — {}", u.extension, u.full_name)))
        .collect();
    targets.extend(groups.iter().map(|g| (format!("group:{}", g.id), g.name.clone())));
    let queues: Vec<(i64, String)> = st
        .crm
        .queue_confs(me.org_id)
        .await?
        .into_iter()
        .filter(|q| q.queue.active)
        .map(|q| (q.queue.id, q.queue.name))
        .collect();
    targets.extend(queues.iter().map(|(id, name)| (format!("queue:{id}"), name.clone())));
    let trunks = st
        .crm
        .trunks(me.org_id)
        .await?
        .into_iter()
        .map(|t| TrunkRow { registered: st.crm.trunk_registered(&t), t })
        .collect();
    Ok(TelephonyPage {
        p: Page::new(ctx, "nav-telephony"),
        recording: org.recording_policy.as_str().into(),
        sip_domain: typed.sip_domain.as_ref().map(|d| d.sip_domain.clone()).unwrap_or(org.sip_domain),
        sip_address: st.crm.sip_address().map(|a| a.to_string()).unwrap_or_default(),
        trunks,
        numbers: st.crm.numbers(me.org_id).await?,
        groups,
        queues,
        targets,
        rules: st.crm.dial_rules(me.org_id).await?,
        failed,
        typed,
        errors,
    })
}

pub async fn show(
    State(st): State<AppState>,
    Admin(ctx, _): Admin,
    OriginalUri(uri): OriginalUri,
) -> Result<TelephonyPage, PageError> {
    let mut pg = page(&st, &ctx, "", Typed::default(), FormErrors::default()).await?;
    pg.p = pg.p.with_flash(uri.query());
    Ok(pg)
}

/// Back to the page after a change, or the page again with the refused form's errors.
async fn done<T>(
    st: &AppState,
    ctx: &Ctx,
    r: Result<T, CrmError>,
    form: &'static str,
    typed: Typed,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to("/admin/telephony?ok=telephony-saved").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden)) => Err(PageError::from(e)),
        Err(e) => {
            let errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((status_of(&e), page(st, ctx, form, typed, errors).await?).into_response())
        }
    }
}

pub async fn sip_domain(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<DomainForm>,
) -> Result<Response, PageError> {
    let r = st.crm.set_sip_domain(me.org_id, &f.sip_domain).await;
    done(&st, &ctx, r, "sip_domain", Typed { sip_domain: Some(f), ..Default::default() }).await
}

pub async fn add_trunk(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<TrunkForm>,
) -> Result<Response, PageError> {
    let port = if f.port.trim().is_empty() { Some(5060) } else { f.port.trim().parse::<u16>().ok() };
    let t = crm::sip::trunks::NewTrunk {
        name: f.name.clone(),
        host: f.host.clone(),
        // A port that is not one (0) is refused with its message.
        port: port.unwrap_or(0),
        transport: if f.transport.is_empty() { "udp".into() } else { f.transport.clone() },
        username: Some(f.username.trim().to_string()),
        password: Some(f.password.clone()),
        inbound_addresses: list(&f.inbound),
        register: f.register.is_some(),
    };
    let r = st.crm.create_trunk(me.org_id, t).await;
    let typed = Typed { trunk: TrunkForm { password: String::new(), ..f }, ..Default::default() };
    done(&st, &ctx, r, "trunk", typed).await
}

pub async fn add_number(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<NumberForm>,
) -> Result<Response, PageError> {
    let route = match f.target.split_once(':') {
        Some(("ext", e)) => NumberRoute::Extension(e),
        Some(("group", g)) => NumberRoute::of(None, g.parse::<i64>().ok(), None),
        Some(("queue", q)) => NumberRoute::of(None, None, q.parse::<i64>().ok()),
        _ => NumberRoute::None,
    };
    let r = st.crm.add_number(me.org_id, &f.number, route).await;
    done(&st, &ctx, r, "number", Typed { number: f, ..Default::default() }).await
}

pub async fn add_group(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<GroupForm>,
) -> Result<Response, PageError> {
    let ring = if f.ring_seconds.trim().is_empty() { 20 } else { f.ring_seconds.trim().parse::<u32>().unwrap_or(0) };
    let r = st.crm.create_ring_group(me.org_id, &f.name, &list(&f.members), f.in_order.is_none(), ring).await;
    done(&st, &ctx, r, "group", Typed { group: f, ..Default::default() }).await
}

#[derive(Deserialize)]
pub struct RecordingForm {
    #[serde(default)]
    recording_policy: String,
}

/// Whether the organization's calls are recorded.
pub async fn recording(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<RecordingForm>,
) -> Result<Response, PageError> {
    let r = st.crm.set_recording_policy(&me, &f.recording_policy).await;
    done(&st, &ctx, r, "recording", Typed::default()).await
}

/// The organization's dial rules become the preset of its country.
pub async fn rule_preset(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    let r = st.crm.apply_dial_rule_preset(me.org_id).await;
    done(&st, &ctx, r, "rule", Typed::default()).await
}

pub async fn add_rule(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<RuleForm>,
) -> Result<Response, PageError> {
    let r = st.crm.add_dial_rule(me.org_id, &f.prefix, f.action != "deny").await;
    done(&st, &ctx, r, "rule", Typed { rule: f, ..Default::default() }).await
}
