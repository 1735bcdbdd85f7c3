//! Organizations (tenants): their licences (seats), SIP domain and locale defaults.

pub mod checklist;
pub use store::entities::organization::RecordingPolicy;
pub mod mail;

use crate::{Crm, CrmError, OrgId, OrgSlug};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::entities::organization as org;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

/// Seats a new organization gets until an administrator says otherwise.
pub const DEFAULT_SEATS: i32 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub seats: i32,
    pub sip_domain: String,
    pub default_country: String,
    pub time_zone: String,
    /// Opened on an incoming call instead of the contact card (`{caller}` filled in); empty: the card.
    pub screen_pop_url: String,
    pub created_at: DateTime<Utc>,
    pub recording_policy: RecordingPolicy,
    /// After-call work after a call outside any queue, in seconds (0: none).
    pub wrap_up_seconds: i32,
}

impl From<org::Model> for Organization {
    fn from(m: org::Model) -> Self {
        Organization {
            id: OrgId(m.id),
            slug: m.slug,
            name: m.name,
            seats: m.seats,
            sip_domain: m.sip_domain,
            default_country: m.default_country,
            time_zone: m.time_zone,
            screen_pop_url: m.screen_pop_url,
            recording_policy: m.recording_policy,
            wrap_up_seconds: m.wrap_up_seconds,
            created_at: m.created_at,
        }
    }
}

impl Crm {
    pub async fn create_org(&self, slug: &OrgSlug, name: &str) -> Result<Organization, CrmError> {
        if self.find_org_by_slug(slug).await?.is_some() {
            return Err(CrmError::Conflict(crate::FieldError { field: "org", code: "err-org-exists" }));
        }
        let name = name.trim();
        let name = if name.is_empty() { slug.as_str() } else { name };
        let m = org::ActiveModel {
            slug: Set(slug.as_str().to_string()),
            name: Set(name.to_string()),
            seats: Set(DEFAULT_SEATS),
            sip_domain: Set(format!("{}.switchboard", slug.as_str())),
            default_country: Set("PL".into()),
            time_zone: Set("Europe/Warsaw".into()),
            screen_pop_url: Set(String::new()),
            recording_policy: Set(RecordingPolicy::OnDemand),
            wrap_up_seconds: Set(0),
            created_at: Set(self.now()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        self.routing_changed();
        Ok(m.into())
    }

    pub async fn find_org_by_slug(&self, slug: &OrgSlug) -> Result<Option<Organization>, CrmError> {
        Ok(org::Entity::find().filter(org::Column::Slug.eq(slug.as_str())).one(self.db()).await?.map(Into::into))
    }

    /// The organization, creating it when missing.
    pub async fn ensure_org(&self, slug: &OrgSlug) -> Result<Organization, CrmError> {
        match self.find_org_by_slug(slug).await? {
            Some(o) => Ok(o),
            None => self.create_org(slug, slug.as_str()).await,
        }
    }

    pub async fn org(&self, id: OrgId) -> Result<Organization, CrmError> {
        org::Entity::find_by_id(id.0).one(self.db()).await?.map(Into::into).ok_or(CrmError::NotFound)
    }

    pub async fn org_count(&self) -> Result<u64, CrmError> {
        Ok(org::Entity::find().count(self.db()).await?)
    }

    /// Sets the SIP domain (digest realm): a host name or an address, unique among organizations.
    pub async fn set_sip_domain(&self, id: OrgId, domain: &str) -> Result<Organization, CrmError> {
        let d = domain.trim().to_ascii_lowercase();
        let ok = (1..=253).contains(&d.len()) && d.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
        if !ok {
            return Err(CrmError::invalid("sip_domain", "err-sip-domain"));
        }
        let taken = org::Entity::find()
            .filter(org::Column::SipDomain.eq(d.clone()))
            .filter(org::Column::Id.ne(id.0))
            .count(self.db())
            .await?;
        if taken > 0 {
            return Err(CrmError::Conflict(crate::FieldError { field: "sip_domain", code: "err-sip-domain-taken" }));
        }
        let m = org::Entity::find_by_id(id.0).one(self.db()).await?.ok_or(CrmError::NotFound)?;
        let mut am: org::ActiveModel = m.into();
        am.sip_domain = Set(d);
        let o = am.update(self.db()).await?.into();
        self.routing_changed();
        Ok(o)
    }

    /// Sets how many users of the organization may be logged in at once (0 to 100,000).
    pub async fn set_seats(&self, id: OrgId, seats: i64) -> Result<Organization, CrmError> {
        if !(0..=100_000).contains(&seats) {
            return Err(CrmError::invalid("seats", "err-seats"));
        }
        let m = org::Entity::find_by_id(id.0).one(self.db()).await?.ok_or(CrmError::NotFound)?;
        let mut am: org::ActiveModel = m.into();
        am.seats = Set(seats as i32);
        Ok(am.update(self.db()).await?.into())
    }
}

impl Crm {
    /// Administrators set the organization's name, time zone (IANA, e.g. `Asia/Jerusalem`: times
    /// are shown and days counted in it) and default country (numbers typed without a calling
    /// code). Numbers already stored keep their E.164 form.
    pub async fn set_org_settings(
        &self,
        by: &crate::User,
        name: &str,
        time_zone: &str,
        country: &str,
    ) -> Result<Organization, CrmError> {
        if !by.is_admin() {
            return Err(CrmError::Forbidden);
        }
        self.update_org_settings(by.org_id, Some(name), time_zone, country).await
    }

    /// The same from the server's command line (no user; the name unchanged when None).
    pub async fn update_org_settings(
        &self,
        id: OrgId,
        name: Option<&str>,
        time_zone: &str,
        country: &str,
    ) -> Result<Organization, CrmError> {
        let name = name.map(str::trim);
        if name.is_some_and(|n| n.is_empty() || n.chars().count() > 100) {
            return Err(CrmError::invalid("name", "err-org-name"));
        }
        let tz: chrono_tz::Tz =
            time_zone.trim().parse().map_err(|_| CrmError::invalid("time_zone", "err-time-zone"))?;
        let country = country.trim().to_ascii_uppercase();
        if crate::contacts::phone::calling_code(&country).is_none() {
            return Err(CrmError::invalid("default_country", "err-country"));
        }
        let m = org::Entity::find_by_id(id.0).one(self.db()).await?.ok_or(CrmError::NotFound)?;
        let zone_changed = m.time_zone != tz.name();
        let mut am: org::ActiveModel = m.into();
        if let Some(name) = name {
            am.name = Set(name.into());
        }
        am.time_zone = Set(tz.name().into());
        am.default_country = Set(country);
        let o = am.update(self.db()).await?.into();
        self.routing_changed();
        if zone_changed {
            // The queues' days are the zone's days: count them again.
            self.flush_queue_journal().await;
            self.store.rebuild_queue_days(id.0, crate::reports::day_of(tz)).await?;
        }
        Ok(o)
    }

    /// Administrators say whether the organization's calls are recorded: never, on demand, or
    /// always; in force for calls answered from now on, on every node.
    pub async fn set_recording_policy(&self, by: &crate::User, policy: &str) -> Result<Organization, CrmError> {
        if !by.is_admin() {
            return Err(CrmError::Forbidden);
        }
        let policy = RecordingPolicy::parse(policy).ok_or(CrmError::invalid("recording_policy", "err-invalid"))?;
        let m = org::Entity::find_by_id(by.org_id.0).one(self.db()).await?.ok_or(CrmError::NotFound)?;
        let mut am: org::ActiveModel = m.into();
        am.recording_policy = Set(policy);
        let o = am.update(self.db()).await?;
        self.routing_changed();
        Ok(o.into())
    }

    /// Managers set the after-call work after calls outside any queue (queues have their own),
    /// 0 to 3600 seconds; in force for calls that end from now on.
    pub async fn set_wrap_up(&self, by: &crate::User, seconds: i32) -> Result<Organization, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        if !(0..=3600).contains(&seconds) {
            return Err(CrmError::invalid("wrap_up_seconds", "err-out-of-range"));
        }
        let m = org::Entity::find_by_id(by.org_id.0).one(self.db()).await?.ok_or(CrmError::NotFound)?;
        let mut am: org::ActiveModel = m.into();
        am.wrap_up_seconds = Set(seconds);
        let o = am.update(self.db()).await?;
        self.reload_desk_org(&o);
        Ok(o.into())
    }

    /// Managers set the URL opened on an incoming call instead of the contact card (`{caller}`
    /// is the caller's E.164 number); empty: the card.
    pub async fn set_screen_pop_url(&self, by: &crate::User, url: &str) -> Result<(), CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let url = url.trim();
        let ok = url.is_empty()
            || (url.len() <= 500
                && (url.starts_with("https://") || url.starts_with("http://"))
                && !url.contains(char::is_whitespace)
                && !url.contains(['"', '<', '>']));
        if !ok {
            return Err(CrmError::invalid("screen_pop_url", "err-pop-url"));
        }
        let m = org::Entity::find_by_id(by.org_id.0).one(self.db()).await?.ok_or(CrmError::NotFound)?;
        let mut am: org::ActiveModel = m.into();
        am.screen_pop_url = Set(url.into());
        am.update(self.db()).await?;
        Ok(())
    }
}
