//! Managers set up the call queues on one page: the queues with their strategy, times and
//! exit, their members with penalties, the after-call work of calls outside queues, and who is
//! in which state right now. The rules (ranges, who may, what an exit may name) are in `crm`.

use super::{FormErrors, Page, manager_only};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::queues::{AgentNow, ExitKind, MemberForm, QueueConf, QueueForm, Strategy};
use crm::{CrmError, User, UserId};

#[derive(Template, WebTemplate)]
#[template(path = "queues.html")]
pub struct QueuesPage {
    pub p: Page,
    pub queues: Vec<QueueConf>,
    /// The queue being changed (None: the form makes a new one).
    pub editing: Option<i64>,
    /// What the form shows: the queue's settings or what was typed.
    pub form: QueueForm,
    /// Every active user, with (member, penalty) in the queue being changed.
    pub people: Vec<(User, bool, i32)>,
    pub agents: Vec<AgentNow>,
    /// Callers waiting now, per queue id.
    pub waiting: Vec<(i64, usize)>,
    pub org_wrap_up: i32,
    pub errors: FormErrors,
}

impl QueuesPage {
    pub fn strategies(&self) -> &'static [Strategy] {
        Strategy::ALL
    }

    pub fn exits(&self) -> &'static [ExitKind] {
        ExitKind::ALL
    }

    pub fn err(&self, field: &str) -> String {
        self.errors.field(field)
    }

    pub fn name_of(&self, user: &i64) -> String {
        self.people.iter().find(|(u, _, _)| u.id.0 == *user).map(|(u, _, _)| u.full_name.clone()).unwrap_or_default()
    }

    pub fn waiting_in(&self, queue: &i64) -> usize {
        self.waiting.iter().find(|(q, _)| q == queue).map(|(_, n)| *n).unwrap_or(0)
    }

    pub fn is_editing(&self, queue: &i64) -> bool {
        self.editing == Some(*queue)
    }

    pub fn target(&self) -> String {
        crm::queues::exit::columns(&self.form.exit).1.unwrap_or_default()
    }

    pub fn exit_kind(&self) -> ExitKind {
        crm::queues::exit::columns(&self.form.exit).0
    }
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    editing: Option<i64>,
    typed: Option<(QueueForm, Vec<MemberForm>)>,
    errors: FormErrors,
) -> Result<QueuesPage, PageError> {
    // A removed queue is out of use (its history stays in the reports).
    let queues: Vec<_> = st.crm.queue_confs(me.org_id).await?.into_iter().filter(|q| q.queue.active).collect();
    let current = editing.and_then(|id| queues.iter().find(|q| q.queue.id == id));
    if editing.is_some() && current.is_none() {
        return Err(CrmError::NotFound.into());
    }
    let (form, members) = match (typed, current) {
        (Some(t), _) => t,
        (None, Some(c)) => (
            QueueForm::from(&c.queue),
            c.members.iter().map(|m| MemberForm { user_id: UserId(m.user_id), penalty: m.penalty }).collect(),
        ),
        // A new queue speaks the manager's language.
        (None, None) => (QueueForm { language: ctx.lang, ..QueueForm::default() }, vec![]),
    };
    let people = st
        .crm
        .users(me.org_id)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| {
            let m = members.iter().find(|m| m.user_id == u.id);
            (u, m.is_some(), m.map(|m| m.penalty).unwrap_or(0))
        })
        .collect();
    let mut waiting: Vec<(i64, usize)> = Vec::new();
    for w in st.crm.waiting_callers(me.org_id).await? {
        match waiting.iter_mut().find(|(q, _)| *q == w.queue) {
            Some((_, n)) => *n += 1,
            None => waiting.push((w.queue, 1)),
        }
    }
    Ok(QueuesPage {
        p: Page::new(ctx, "nav-queues"),
        queues,
        editing,
        form,
        people,
        agents: st.crm.agents_now(me).await?,
        waiting,
        org_wrap_up: st.crm.org(me.org_id).await?.wrap_up_seconds,
        errors,
    })
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    OriginalUri(uri): OriginalUri,
) -> Result<QueuesPage, PageError> {
    manager_only(&me)?;
    let mut pg = page(&st, &ctx, &me, None, None, FormErrors::default()).await?;
    pg.p = pg.p.with_flash(uri.query());
    Ok(pg)
}

pub async fn edit(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
) -> Result<QueuesPage, PageError> {
    manager_only(&me)?;
    page(&st, &ctx, &me, Some(id), None, FormErrors::default()).await
}

/// The queue form as typed: its settings, and the members ticked with their penalties.
fn read(fields: &[(String, String)]) -> (QueueForm, Vec<MemberForm>) {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    // A number that is not one is out of range (and refused with that message).
    let num = |k: &str| get(k).parse::<i32>().unwrap_or(-1);
    let form = QueueForm {
        name: get("name"),
        strategy: Strategy::parse(&get("strategy")).unwrap_or(Strategy::LongestIdle),
        ring_seconds: num("ring_seconds"),
        max_wait_seconds: num("max_wait_seconds"),
        max_waiting: num("max_waiting"),
        wrap_up_seconds: num("wrap_up_seconds"),
        priority: num("priority"),
        service_level_seconds: num("service_level_seconds"),
        service_level_target: num("service_level_target"),
        leave_when_empty: fields.iter().any(|(n, _)| n == "leave_when_empty"),
        exit: crm::queues::exit::from_form(
            ExitKind::parse(&get("exit_kind")).unwrap_or(ExitKind::HangUp),
            &get("exit_target"),
        ),
        announce_seconds: if get("announce_seconds").is_empty() { 0 } else { num("announce_seconds") },
        language: crm::Language::parse(&get("language")).unwrap_or(crm::Language::En),
        callback_minutes: if get("callback_minutes").is_empty() { 0 } else { num("callback_minutes") },
    };
    let members = fields
        .iter()
        .filter(|(n, _)| n == "member")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .map(|id| MemberForm { user_id: UserId(id), penalty: get(&format!("penalty_{id}")).parse().unwrap_or(-1) })
        .collect();
    (form, members)
}

async fn save(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    id: Option<i64>,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    manager_only(me)?;
    let (form, members) = read(&fields);
    let r = match st.crm.save_queue(me, id, form.clone()).await {
        Ok(q) => st.crm.set_queue_members(me, q.id, &members).await.map(|_| q),
        Err(e) => Err(e),
    };
    match r {
        Ok(q) => Ok(Redirect::to(&format!("/queues/{}?ok=queue-saved", q.id)).into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => {
            let errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((status_of(&e), page(st, ctx, me, id, Some((form, members)), errors).await?).into_response())
        }
    }
}

pub async fn create(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&st, &ctx, &me, None, f).await
}

pub async fn update(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&st, &ctx, &me, Some(id), f).await
}

/// "Remove the queue …?"
pub async fn confirm_remove(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
) -> Result<super::confirm::ConfirmPage, PageError> {
    manager_only(&me)?;
    let q = st.crm.queue_conf(me.org_id, id).await?;
    if !q.queue.active {
        return Err(CrmError::NotFound.into());
    }
    Ok(super::confirm::ConfirmPage {
        p: Page::new(&ctx, "nav-queues"),
        question: super::confirm::question(ctx.lang, "remove-queue", q.queue.name),
        consequence: crate::i18n::tr(ctx.lang, "remove-queue-then"),
        action: format!("/queues/{id}/remove"),
        fields: vec![],
        back: format!("/queues/{id}"),
    })
}

pub async fn remove(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    manager_only(&me)?;
    match st.crm.delete_queue(&me, id).await {
        Ok(()) => Ok(Redirect::to("/queues?ok=queue-removed").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => {
            let mut errors = FormErrors::from_crm(&e, ctx.lang);
            errors.general = Some(crate::i18n::tr(ctx.lang, e.code()));
            Ok((status_of(&e), page(&st, &ctx, &me, Some(id), None, errors).await?).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct WrapUpForm {
    #[serde(default)]
    wrap_up_seconds: String,
}

/// The after-call work of calls outside any queue.
pub async fn wrap_up(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<WrapUpForm>,
) -> Result<Response, PageError> {
    manager_only(&me)?;
    match st.crm.set_wrap_up(&me, f.wrap_up_seconds.trim().parse().unwrap_or(-1)).await {
        Ok(_) => Ok(Redirect::to("/queues?ok=queue-saved").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden)) => Err(PageError::from(e)),
        Err(e) => {
            let errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((status_of(&e), page(&st, &ctx, &me, None, None, errors).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "queue_call.html")]
pub struct QueueCallPage {
    pub p: Page,
    /// The caller's number, from the call log.
    pub caller: Option<String>,
    pub steps: Vec<crm::queues::why::Step>,
}

/// Why a call went where it did in the queues (managers).
pub async fn call(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<String>,
) -> Result<QueueCallPage, PageError> {
    manager_only(&me)?;
    let (caller, steps) = st.crm.call_journey(&me, &id).await?;
    Ok(QueueCallPage { p: Page::new(&ctx, "nav-wallboard"), caller, steps })
}
