//! The areas of the product whose screens come with later work: each shows what it will hold.

use super::Page;
use crate::ctx::Authed;
use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "area.html")]
pub struct AreaPage {
    pub p: Page,
    pub description: String,
}

pub fn area(a: Authed, nav_key: &'static str) -> AreaPage {
    let Authed(ctx, _) = a;
    AreaPage { p: Page::new(&ctx, nav_key), description: nav_key.replacen("nav-", "area-", 1) }
}
