//! "Getting started" for administrators: the first-run checklist (crm
//! `organization::checklist`), each step linked to where it is done and ticked once it is.

use super::Page;
use crate::AppState;
use crate::ctx::Admin;
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use crm::organization::checklist::Step;

#[derive(Template, WebTemplate)]
#[template(path = "admin_start.html")]
pub struct StartPage {
    pub p: Page,
    pub steps: Vec<Step>,
}

impl StartPage {
    pub fn done(&self) -> usize {
        self.steps.iter().filter(|s| s.done).count()
    }
}

pub async fn show(State(st): State<AppState>, Admin(ctx, me): Admin) -> Result<StartPage, PageError> {
    let steps = st.crm.first_run(&me).await?;
    Ok(StartPage { p: Page::new(&ctx, "nav-start"), steps })
}
