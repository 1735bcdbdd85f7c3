//! The calling rules of the call lists (`/call-lists#calling-rules`): managers make compliance
//! profiles — starting from a country's preset — and put each list under one (and, over the
//! form's `dial_mode`, choose how it is dialled). The rules are crm's
//! (`crm::outbound::compliance`).

use crate::AppState;
use crate::ctx::Authed;
use crate::error::PageError;
use crate::forms::{CsrfForm, field};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::CrmError;
use crm::outbound::compliance::{Profile, ProfileIn, presets};
use crm::outbound::dialer::DialMode;

/// The preset asked for by `key`, else the organization's country's, else the US one: its key
/// and its rules.
pub fn preset_for(key: &str, country: &str) -> (&'static str, ProfileIn) {
    let home = if country == "GB" { "uk".to_string() } else { country.to_lowercase() };
    let wanted = if key.is_empty() { home.as_str() } else { key };
    let mut all = presets();
    let i = all.iter().position(|(k, _)| *k == wanted).unwrap_or(0);
    all.swap_remove(i)
}

/// The preset keys, in the order offered.
pub fn preset_keys() -> Vec<&'static str> {
    presets().into_iter().map(|(k, _)| k).collect()
}

/// "08:00" as minutes after midnight ("24:00" is the end of the day); None when no time.
fn minutes(s: &str) -> Option<i32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 1440).then_some(h * 60 + m)
}

/// Minutes after midnight as "08:00".
pub fn hhmm(m: &i32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A profile's abandonment cap in percent ("3", "2.5").
pub fn percent(permille: &i32) -> String {
    if permille % 10 == 0 { (permille / 10).to_string() } else { format!("{}.{}", permille / 10, permille % 10) }
}

/// The ISO weekdays a stored profile allows.
pub fn days_of(p: &Profile) -> Vec<u32> {
    p.weekdays.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn profile_from(pairs: &[(String, String)]) -> Result<ProfileIn, CrmError> {
    let get = |k: &str| field(pairs, k);
    let num = |k: &str| get(k).trim().parse::<i32>().unwrap_or(-1);
    let (Some(from), Some(to)) = (minutes(&get("window_from")), minutes(&get("window_to"))) else {
        return Err(CrmError::invalid("window", "err-profile-window"));
    };
    let cap: f64 = get("abandon_cap").trim().replace(',', ".").parse().unwrap_or(-1.0);
    Ok(ProfileIn {
        name: get("name"),
        window_from: from,
        window_to: to,
        weekdays: pairs.iter().filter(|(k, _)| k == "day").filter_map(|(_, v)| v.parse().ok()).collect(),
        holidays: get("holidays"),
        max_per_day: num("max_per_day"),
        max_per_30_days: num("max_per_30_days"),
        block_after_refusal_hours: num("block_after_refusal_hours"),
        block_after_abandon_hours: num("block_after_abandon_hours"),
        consent_required: get("consent_required") == "1",
        abandon_cap_permille: if cap < 0.0 { -1 } else { (cap * 10.0).round() as i32 },
        abandon_window_hours: num("abandon_window_hours"),
    })
}

/// Managers add a profile (or change one: the form's `id`).
pub async fn save_profile(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let id = field(&pairs, "id").parse().ok();
    let saved = match profile_from(&pairs) {
        Ok(p) => st.crm.save_compliance_profile(&me, id, &p).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(Redirect::to("/call-lists?ok=settings-saved#calling-rules").into_response()),
        Err(e) => super::call_lists::refused(&st, &ctx, &me, "profile", e).await,
    }
}

/// Managers put a list under a profile (or none) and choose how it is dialled.
pub async fn set_rules(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    st.crm.call_list(me.org_id, id).await?;
    // The dialing mode, when the form has it (the telephony's dialer is not on the page yet).
    let mode = DialMode::parse(&field(&pairs, "dial_mode"));
    let saved = match st.crm.set_list_profile(&me, id, field(&pairs, "profile").parse().ok()).await {
        Ok(()) => match mode {
            Some(m) => st.crm.set_dial_mode(&me, id, m).await,
            None => Ok(()),
        },
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to("/call-lists?ok=settings-saved#lists").into_response()),
        Err(e) => super::call_lists::refused(&st, &ctx, &me, &format!("profile-{id}"), e).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_and_written() {
        assert_eq!(super::minutes("08:00"), Some(480));
        assert_eq!(super::minutes("24:00"), Some(1440));
        assert_eq!(super::minutes("24:30"), None);
        assert_eq!(super::minutes("8"), None);
        assert_eq!(super::hhmm(&1260), "21:00");
        assert_eq!(super::percent(&30), "3");
        assert_eq!(super::percent(&25), "2.5");
    }
}
