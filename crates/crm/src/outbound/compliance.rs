//! Compliance profiles: the rules a list's numbers are picked under, checked at the moment a
//! number is handed out (never by a table filled in advance). A profile names a calling window
//! in the callee's local time — which must hold in every time zone of the number's country, so a
//! country spanning zones is called only when it is daytime in all of them — the days of the
//! week and the holidays without calls, calls to one number at most per 24 hours and per 30
//! days (counted over every list), a block after a refusal and after an abandoned call, consent
//! required, and the abandonment cap the dialer keeps under over its window. Presets give a
//! country's usual rules as a start; the manager decides.

use super::managers;
use crate::{Crm, CrmError, FieldError, OrgId, Tz, User};
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::Serialize;
use store::entities::{call_list, compliance_profile};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TryIntoModel};

pub use compliance_profile::Model as Profile;

/// A profile as a form or the API gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileIn {
    pub name: String,
    /// Minutes after midnight, callee's time: from (inclusive) to (exclusive).
    pub window_from: i32,
    pub window_to: i32,
    /// ISO weekdays (1 = Monday … 7 = Sunday).
    pub weekdays: Vec<u32>,
    /// YYYY-MM-DD, separated by commas, spaces or line ends.
    pub holidays: String,
    pub max_per_day: i32,
    pub max_per_30_days: i32,
    pub block_after_refusal_hours: i32,
    pub block_after_abandon_hours: i32,
    pub consent_required: bool,
    /// ‰ of answered calls.
    pub abandon_cap_permille: i32,
    pub abandon_window_hours: i32,
}

/// A country's usual rules, as a start (key, profile).
pub fn presets() -> Vec<(&'static str, ProfileIn)> {
    let p =
        |name: &str, from: i32, to: i32, days: &[u32], consent: bool, abandon_block: i32, window_h: i32| ProfileIn {
            name: name.into(),
            window_from: from * 60,
            window_to: to * 60,
            weekdays: days.to_vec(),
            holidays: String::new(),
            max_per_day: 0,
            max_per_30_days: 0,
            block_after_refusal_hours: 0,
            block_after_abandon_hours: abandon_block,
            consent_required: consent,
            abandon_cap_permille: 30,
            abandon_window_hours: window_h,
        };
    vec![
        // Telemarketing Sales Rule: 8:00–21:00 the callee's time; ≤ 3% abandoned per campaign
        // over 30 days.
        ("us", p("US (TSR)", 8, 21, &[1, 2, 3, 4, 5, 6, 7], false, 0, 720)),
        // Ofcom: ≤ 3% abandoned per 24 hours; an abandoned number not called again for 72 hours.
        ("uk", p("UK (Ofcom)", 8, 21, &[1, 2, 3, 4, 5, 6, 7], false, 72, 24)),
        // Prawo komunikacji elektronicznej art. 398: marketing calls need prior consent.
        ("pl", p("PL", 9, 20, &[1, 2, 3, 4, 5, 6], true, 72, 720)),
        // UWG § 7: calls to consumers need prior express consent.
        ("de", p("DE", 9, 20, &[1, 2, 3, 4, 5, 6], true, 72, 720)),
        // Sunday to Thursday, and Friday morning is a working day for many: Sunday–Friday.
        ("il", p("IL", 9, 20, &[7, 1, 2, 3, 4, 5], false, 72, 720)),
    ]
}

/// The time zones of a country (ISO 3166); none for a country not in the tz database.
pub fn zones_of(country: &str) -> Vec<Tz> {
    super::zones::ZONES
        .binary_search_by(|(c, _)| (*c).cmp(country))
        .map(|i| super::zones::ZONES[i].1.iter().filter_map(|z| z.parse().ok()).collect())
        .unwrap_or_default()
}

/// The holidays of a profile (unreadable entries are refused when it is saved).
fn holidays(text: &str) -> Vec<NaiveDate> {
    text.split([',', ' ', '\n', '\r', ';'])
        .filter_map(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .collect()
}

fn weekdays(stored: &str) -> Vec<u32> {
    stored.chars().filter_map(|c| c.to_digit(10)).filter(|d| (1..=7).contains(d)).collect()
}

/// Whether a call to a number of `country` may be placed at `now` under `p`: in every zone of
/// the country it is an allowed weekday, no holiday, and inside the window. A number whose
/// country has no known zone is never called under a profile.
pub fn open_for(p: &Profile, country: &str, now: DateTime<Utc>) -> bool {
    let zones = zones_of(country);
    let days = weekdays(&p.weekdays);
    let off = holidays(&p.holidays);
    !zones.is_empty()
        && zones.iter().all(|tz| {
            let local = now.with_timezone(tz);
            let minute = (local.hour() * 60 + local.minute()) as i32;
            days.contains(&local.weekday().number_from_monday())
                && !off.contains(&local.date_naive())
                && minute >= p.window_from
                && minute < p.window_to
        })
}

/// The countries whose numbers `p` lets be called at `now`.
pub fn open_countries(p: &Profile, now: DateTime<Utc>) -> Vec<&'static str> {
    super::zones::ZONES.iter().map(|(c, _)| *c).filter(|c| open_for(p, c, now)).collect()
}

fn check(p: &ProfileIn) -> Result<(), CrmError> {
    let mut checks = crate::error::Checks::default();
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        checks.push("name", "err-name");
    }
    if !(0..1440).contains(&p.window_from) || !(1..=1440).contains(&p.window_to) || p.window_from >= p.window_to {
        checks.push("window", "err-profile-window");
    }
    if p.weekdays.is_empty() || p.weekdays.iter().any(|d| !(1..=7).contains(d)) {
        checks.push("weekdays", "err-profile-weekdays");
    }
    let entries = p.holidays.split([',', ' ', '\n', '\r', ';']).filter(|d| !d.trim().is_empty()).count();
    if entries != holidays(&p.holidays).len() || entries > 400 {
        checks.push("holidays", "err-profile-holidays");
    }
    let hours = |v: i32| (0..=8760).contains(&v);
    if !(0..=100).contains(&p.max_per_day) || !(0..=1000).contains(&p.max_per_30_days) {
        checks.push("max_per_day", "err-profile-attempts");
    }
    if !hours(p.block_after_refusal_hours) || !hours(p.block_after_abandon_hours) {
        checks.push("block_after_refusal_hours", "err-profile-hours");
    }
    if !(0..=1000).contains(&p.abandon_cap_permille) || !(1..=8760).contains(&p.abandon_window_hours) {
        checks.push("abandon_cap", "err-profile-abandon");
    }
    checks.finish()
}

impl Crm {
    /// The organization's profiles (retired ones too: lists may still name them).
    pub async fn compliance_profiles(&self, org: OrgId) -> Result<Vec<Profile>, CrmError> {
        Ok(compliance_profile::Entity::find()
            .filter(compliance_profile::Column::OrgId.eq(org.0))
            .order_by_asc(compliance_profile::Column::Name)
            .all(self.db())
            .await?)
    }

    /// Managers add a profile, or change one (`id`).
    pub async fn save_compliance_profile(
        &self,
        by: &User,
        id: Option<i64>,
        p: &ProfileIn,
    ) -> Result<Profile, CrmError> {
        managers(by)?;
        check(p)?;
        let org = by.org_id;
        let all = self.compliance_profiles(org).await?;
        let name = p.name.trim().to_string();
        if all.iter().any(|x| x.active && Some(x.id) != id && x.name.to_lowercase() == name.to_lowercase()) {
            return Err(CrmError::Conflict(FieldError { field: "name", code: "err-name-taken" }));
        }
        let mut am = match id {
            Some(id) => all.into_iter().find(|x| x.id == id).ok_or(CrmError::NotFound)?.into(),
            None => compliance_profile::ActiveModel { org_id: Set(org.0), active: Set(true), ..Default::default() },
        };
        am.name = Set(name);
        am.window_from = Set(p.window_from);
        am.window_to = Set(p.window_to);
        let mut days = p.weekdays.clone();
        days.sort_unstable();
        days.dedup();
        am.weekdays = Set(days.iter().map(u32::to_string).collect());
        am.holidays = Set(holidays(&p.holidays).iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
        am.max_per_day = Set(p.max_per_day);
        am.max_per_30_days = Set(p.max_per_30_days);
        am.block_after_refusal_hours = Set(p.block_after_refusal_hours);
        am.block_after_abandon_hours = Set(p.block_after_abandon_hours);
        am.consent_required = Set(p.consent_required);
        am.abandon_cap_permille = Set(p.abandon_cap_permille);
        am.abandon_window_hours = Set(p.abandon_window_hours);
        Ok(am.save(self.db()).await?.try_into_model()?)
    }

    /// Managers put a list under a profile (None: only the do-not-call list applies).
    pub async fn set_list_profile(&self, by: &User, list: i64, profile: Option<i64>) -> Result<(), CrmError> {
        managers(by)?;
        let l = self.call_list(by.org_id, list).await?;
        if let Some(p) = profile
            && !self.compliance_profiles(by.org_id).await?.iter().any(|x| x.id == p && x.active)
        {
            return Err(CrmError::invalid("profile", "err-profile-unknown"));
        }
        let mut am: call_list::ActiveModel = l.into();
        am.profile_id = Set(profile);
        am.update(self.db()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn profile(p: ProfileIn) -> Profile {
        Profile {
            id: 1,
            org_id: 1,
            name: p.name,
            window_from: p.window_from,
            window_to: p.window_to,
            weekdays: p.weekdays.iter().map(u32::to_string).collect(),
            holidays: p.holidays,
            max_per_day: p.max_per_day,
            max_per_30_days: p.max_per_30_days,
            block_after_refusal_hours: p.block_after_refusal_hours,
            block_after_abandon_hours: p.block_after_abandon_hours,
            consent_required: p.consent_required,
            abandon_cap_permille: p.abandon_cap_permille,
            abandon_window_hours: p.abandon_window_hours,
            active: true,
        }
    }

    #[test]
    fn every_zone_is_known_and_countries_are_sorted() {
        let z = super::super::zones::ZONES;
        assert!(z.windows(2).all(|w| w[0].0 < w[1].0), "sorted for the binary search");
        for (c, zones) in z {
            for name in *zones {
                assert!(name.parse::<Tz>().is_ok(), "{c}: {name}");
            }
        }
        assert_eq!(zones_of("PL"), [chrono_tz::Europe::Warsaw]);
        assert!(zones_of("US").len() > 20);
        assert!(zones_of("XX").is_empty());
    }

    /// The window is read in the callee's time, in every zone of their country.
    #[test]
    fn the_window_holds_in_every_zone_of_the_callees_country() {
        let us = profile(presets().remove(0).1);
        // 14:00 UTC: 9:00 in New York, but 6:00 in Los Angeles (and 4:00 in Honolulu).
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 14, 0, 0).unwrap();
        assert!(!open_for(&us, "US", t), "not daytime everywhere in the US");
        assert!(open_for(&us, "PL", t), "15:00 in Warsaw");
        // 21:30 UTC: 16:30 in New York, 13:30 in Los Angeles, 11:30 in Honolulu, 12:30 in Alaska.
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 21, 30, 0).unwrap();
        assert!(open_for(&us, "US", t));
        assert!(!open_for(&us, "PL", t), "22:30 in Warsaw");
        assert!(!open_for(&us, "", t), "a number without a country is never called under a profile");
        let pl = profile(ProfileIn { holidays: "2026-12-24, 2026-12-25".into(), ..presets().remove(2).1 });
        let sunday = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        assert!(!open_for(&pl, "PL", sunday), "not on Sunday");
        let christmas = Utc.with_ymd_and_hms(2026, 12, 24, 12, 0, 0).unwrap();
        assert!(!open_for(&pl, "PL", christmas), "not on a holiday");
        let monday = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        assert!(open_for(&pl, "PL", monday));
        assert!(open_countries(&pl, monday).contains(&"PL"));
    }

    #[test]
    fn bad_profiles_are_refused_by_field() {
        let mut p = presets().remove(0).1;
        p.window_from = 22 * 60;
        p.holidays = "2026-12-24, 24.12.2026".into();
        p.weekdays = vec![];
        let e = check(&p).unwrap_err();
        let CrmError::Invalid(fields) = e else { panic!() };
        let names: Vec<&str> = fields.iter().map(|f| f.field).collect();
        assert_eq!(names, ["window", "weekdays", "holidays"]);
    }
}
