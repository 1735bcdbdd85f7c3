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
use axum::extract::{OriginalUri, Path, State};
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
    /// The row whose change the forms hold (none: the forms add).
    pub editing: Editing,
    pub typed: Typed,
    pub errors: FormErrors,
}

/// What a change or removal is about: `trunk:5`, `number:3`, `group:2`, `rule:0048`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Editing {
    #[default]
    Nothing,
    Trunk(i64),
    Number(i64),
    Group(i64),
    Rule(String),
}

impl Editing {
    pub fn parse(s: &str) -> Editing {
        match s.split_once(':') {
            Some(("trunk", id)) => id.parse().map(Editing::Trunk).unwrap_or_default(),
            Some(("number", id)) => id.parse().map(Editing::Number).unwrap_or_default(),
            Some(("group", id)) => id.parse().map(Editing::Group).unwrap_or_default(),
            Some(("rule", p)) => Editing::Rule(p.to_string()),
            _ => Editing::Nothing,
        }
    }

    /// The form (section) it belongs to.
    pub fn form(&self) -> &'static str {
        match self {
            Editing::Nothing => "",
            Editing::Trunk(_) => "trunk",
            Editing::Number(_) => "number",
            Editing::Group(_) => "group",
            Editing::Rule(_) => "rule",
        }
    }

    /// Where the form posts a change (the rule's old prefix goes in the form).
    pub fn action(&self) -> String {
        match self {
            Editing::Nothing => String::new(),
            Editing::Trunk(id) => format!("/admin/telephony/trunks/{id}"),
            Editing::Number(id) => format!("/admin/telephony/numbers/{id}"),
            Editing::Group(id) => format!("/admin/telephony/groups/{id}"),
            Editing::Rule(_) => "/admin/telephony/rules/change".into(),
        }
    }
}

impl TelephonyPage {
    /// Whether the `form` section holds a change (not an addition).
    pub fn changing(&self, form: &str) -> bool {
        self.editing.form() == form
    }

    /// Where the `form` section posts: its change, or `add` for a new one.
    pub fn action_of(&self, form: &str, add: &str) -> String {
        if self.changing(form) { self.editing.action() } else { add.to_string() }
    }

    /// A rule's prefix as it goes in a link's query.
    pub fn rule_ref(&self, prefix: &str) -> String {
        prefix.replace('%', "%25").replace('+', "%2B").replace('#', "%23").replace('*', "%2A")
    }

    /// The rule being changed (its prefix as stored).
    pub fn old_prefix(&self) -> String {
        match &self.editing {
            Editing::Rule(p) => p.clone(),
            _ => String::new(),
        }
    }

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
    /// The prefix of the rule being changed.
    #[serde(default)]
    pub old_prefix: String,
}

fn list(s: &str) -> Vec<String> {
    s.split([',', ' ', ';']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    failed: &'static str,
    editing: Editing,
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
        editing,
        typed,
        errors,
    })
}

/// The page; `?edit=trunk:5` (or `number:`, `group:`, `rule:`) fills that section's form with
/// the row, to be changed.
pub async fn show(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    OriginalUri(uri): OriginalUri,
) -> Result<TelephonyPage, PageError> {
    let asked = uri.query().map(crate::ctx::url_pairs).unwrap_or_default();
    let editing = asked.iter().find(|(k, _)| k == "edit").map(|(_, v)| Editing::parse(v)).unwrap_or_default();
    let typed = typed_of(&st, me.org_id, &editing).await?;
    let mut pg = page(&st, &ctx, "", editing, typed, FormErrors::default()).await?;
    pg.p = pg.p.with_flash(uri.query());
    Ok(pg)
}

/// A row's values as its form shows them.
async fn typed_of(st: &AppState, org: crm::OrgId, editing: &Editing) -> Result<Typed, PageError> {
    let mut typed = Typed::default();
    match editing {
        Editing::Nothing => {}
        Editing::Trunk(id) => {
            let t = st.crm.trunk(org, *id).await?;
            typed.trunk = TrunkForm {
                name: t.name,
                host: t.host,
                port: t.port.to_string(),
                transport: t.transport,
                username: t.username.unwrap_or_default(),
                password: String::new(),
                inbound: t.inbound_addresses,
                register: t.register.then(|| "on".into()),
            };
        }
        Editing::Number(id) => {
            let n = st.crm.number(org, *id).await?;
            let target = match (&n.route_extension, n.route_group_id, n.route_queue_id) {
                (Some(e), _, _) => format!("ext:{e}"),
                (None, Some(g), _) => format!("group:{g}"),
                (None, None, Some(q)) => format!("queue:{q}"),
                _ => String::new(),
            };
            typed.number = NumberForm { number: format!("+{}", n.number), target };
        }
        Editing::Group(id) => {
            let g = st.crm.ring_group(org, *id).await?;
            typed.group = GroupForm {
                name: g.name,
                members: g.members.replace(',', ", "),
                in_order: (!g.parallel).then(|| "on".into()),
                ring_seconds: g.ring_seconds.to_string(),
            };
        }
        Editing::Rule(prefix) => {
            let rules = st.crm.dial_rules(org).await?;
            let (p, allow) = rules.into_iter().find(|(p, _)| p == prefix).ok_or(CrmError::NotFound)?;
            typed.rule = RuleForm {
                prefix: p,
                action: if allow { "allow".into() } else { "deny".into() },
                old_prefix: String::new(),
            };
        }
    }
    Ok(typed)
}

/// Back to the page after a change, or the page again with the refused form's errors.
async fn done<T>(
    st: &AppState,
    ctx: &Ctx,
    r: Result<T, CrmError>,
    form: &'static str,
    typed: Typed,
) -> Result<Response, PageError> {
    changed(st, ctx, r, form, Editing::Nothing, typed).await
}

/// Like `done`, for a change of `editing` (refused: the form still holds the change).
async fn changed<T>(
    st: &AppState,
    ctx: &Ctx,
    r: Result<T, CrmError>,
    form: &'static str,
    editing: Editing,
    typed: Typed,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to("/admin/telephony?ok=telephony-saved").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => {
            let errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((status_of(&e), page(st, ctx, form, editing, typed, errors).await?).into_response())
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
    let r = st.crm.create_trunk(me.org_id, f.trunk()).await;
    let typed = Typed { trunk: TrunkForm { password: String::new(), ..f }, ..Default::default() };
    done(&st, &ctx, r, "trunk", typed).await
}

impl TrunkForm {
    fn trunk(&self) -> crm::sip::trunks::NewTrunk {
        let port = if self.port.trim().is_empty() { Some(5060) } else { self.port.trim().parse::<u16>().ok() };
        crm::sip::trunks::NewTrunk {
            name: self.name.clone(),
            host: self.host.clone(),
            // A port that is not one (0) is refused with its message.
            port: port.unwrap_or(0),
            transport: if self.transport.is_empty() { "udp".into() } else { self.transport.clone() },
            username: Some(self.username.trim().to_string()),
            password: Some(self.password.clone()),
            inbound_addresses: list(&self.inbound),
            register: self.register.is_some(),
        }
    }
}

impl NumberForm {
    fn route(&self) -> NumberRoute<'_> {
        match self.target.split_once(':') {
            Some(("ext", e)) => NumberRoute::Extension(e),
            Some(("group", g)) => NumberRoute::of(None, g.parse::<i64>().ok(), None),
            Some(("queue", q)) => NumberRoute::of(None, None, q.parse::<i64>().ok()),
            _ => NumberRoute::None,
        }
    }
}

impl GroupForm {
    fn ring(&self) -> u32 {
        if self.ring_seconds.trim().is_empty() { 20 } else { self.ring_seconds.trim().parse::<u32>().unwrap_or(0) }
    }
}

pub async fn change_trunk(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<TrunkForm>,
) -> Result<Response, PageError> {
    let r = st.crm.update_trunk(me.org_id, id, f.trunk()).await;
    let typed = Typed { trunk: TrunkForm { password: String::new(), ..f }, ..Default::default() };
    changed(&st, &ctx, r, "trunk", Editing::Trunk(id), typed).await
}

pub async fn change_number(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<NumberForm>,
) -> Result<Response, PageError> {
    let r = st.crm.update_number(me.org_id, id, &f.number, f.route()).await;
    changed(&st, &ctx, r, "number", Editing::Number(id), Typed { number: f, ..Default::default() }).await
}

pub async fn change_group(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<GroupForm>,
) -> Result<Response, PageError> {
    let r = st.crm.update_ring_group(me.org_id, id, &f.name, &list(&f.members), f.in_order.is_none(), f.ring()).await;
    changed(&st, &ctx, r, "group", Editing::Group(id), Typed { group: f, ..Default::default() }).await
}

pub async fn change_rule(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<RuleForm>,
) -> Result<Response, PageError> {
    let r = st.crm.update_dial_rule(me.org_id, &f.old_prefix, &f.prefix, f.action != "deny").await;
    let editing = Editing::Rule(f.old_prefix.clone());
    changed(&st, &ctx, r, "rule", editing, Typed { rule: f, ..Default::default() }).await
}

#[derive(Deserialize)]
pub struct RemoveQuery {
    #[serde(default)]
    what: String,
}

/// The question before a trunk, number, ring group or dial rule is removed (`?what=trunk:5`).
pub async fn confirm_remove(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    axum::extract::Query(q): axum::extract::Query<RemoveQuery>,
) -> Result<super::confirm::ConfirmPage, PageError> {
    let org = me.org_id;
    let ask = |key: &str, name: String| super::confirm::question(ctx.lang, key, name);
    let (question, consequence, action, fields) = match Editing::parse(&q.what) {
        Editing::Trunk(id) => {
            let t = st.crm.trunk(org, id).await?;
            (ask("remove-trunk", t.name), "remove-trunk-then", format!("/admin/telephony/trunks/{id}/remove"), vec![])
        }
        Editing::Number(id) => {
            let n = st.crm.number(org, id).await?;
            let action = format!("/admin/telephony/numbers/{id}/remove");
            (ask("remove-number", format!("+{}", n.number)), "remove-number-then", action, vec![])
        }
        Editing::Group(id) => {
            let g = st.crm.ring_group(org, id).await?;
            (ask("remove-group", g.name), "remove-group-then", format!("/admin/telephony/groups/{id}/remove"), vec![])
        }
        Editing::Rule(prefix) => {
            let rules = st.crm.dial_rules(org).await?;
            let (p, _) = rules.into_iter().find(|(p, _)| *p == prefix).ok_or(CrmError::NotFound)?;
            let shown = if p.is_empty() { "*".to_string() } else { format!("{p}…") };
            (ask("remove-rule", shown), "remove-rule-then", "/admin/telephony/rules/remove".into(), vec![("prefix", p)])
        }
        Editing::Nothing => return Err(CrmError::NotFound.into()),
    };
    Ok(super::confirm::ConfirmPage {
        p: Page::new(&ctx, "nav-telephony"),
        question,
        consequence: crate::i18n::tr(ctx.lang, consequence),
        action,
        fields,
        back: "/admin/telephony".into(),
    })
}

/// After a removal: back to the page, or the page with why it could not be removed.
async fn removed(st: &AppState, ctx: &Ctx, r: Result<(), CrmError>, form: &'static str) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to("/admin/telephony?ok=telephony-removed").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => {
            let mut errors = FormErrors::from_crm(&e, ctx.lang);
            // The reason is the section's, not a field's of its form.
            errors.general = Some(crate::i18n::tr(ctx.lang, e.code()));
            let pg = page(st, ctx, form, Editing::Nothing, Typed::default(), errors).await?;
            Ok((status_of(&e), pg).into_response())
        }
    }
}

pub async fn remove_trunk(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    removed(&st, &ctx, st.crm.delete_trunk(me.org_id, id).await, "trunk").await
}

pub async fn remove_number(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    removed(&st, &ctx, st.crm.delete_number(me.org_id, id).await, "number").await
}

pub async fn remove_group(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    removed(&st, &ctx, st.crm.delete_ring_group(me.org_id, id).await, "group").await
}

pub async fn remove_rule(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<RuleForm>,
) -> Result<Response, PageError> {
    removed(&st, &ctx, st.crm.delete_dial_rule(me.org_id, &f.prefix).await, "rule").await
}

pub async fn add_number(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<NumberForm>,
) -> Result<Response, PageError> {
    let r = st.crm.add_number(me.org_id, &f.number, f.route()).await;
    done(&st, &ctx, r, "number", Typed { number: f, ..Default::default() }).await
}

pub async fn add_group(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<GroupForm>,
) -> Result<Response, PageError> {
    let r = st.crm.create_ring_group(me.org_id, &f.name, &list(&f.members), f.in_order.is_none(), f.ring()).await;
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
