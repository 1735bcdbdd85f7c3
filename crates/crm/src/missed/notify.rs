//! An e-mail for every new missed call to the users who asked for one (when the organization
//! offers it and has an outgoing mail server). Sent in the background: a slow or failing mail
//! server never holds up the call events; failures are logged.

use super::MissedCall;
use crate::{Crm, Language, OrgId};
use store::entities::{user, user_preference as up};
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

impl Crm {
    pub(super) fn notify_missed_by_email(&self, org: OrgId, row: MissedCall) {
        let crm = self.clone();
        tokio::spawn(async move {
            if let Err(e) = crm.send_missed_emails(org, &row).await {
                tracing::warn!(org = org.0, error = %e, "missed-call e-mail not sent");
            }
        });
    }

    async fn send_missed_emails(&self, org: OrgId, row: &MissedCall) -> Result<(), crate::CrmError> {
        if !self.missed_settings(org).await?.email_offered {
            return Ok(());
        }
        let wanted = up::Entity::find()
            .filter(up::Column::OrgId.eq(org.0))
            .filter(up::Column::MissedEmail.eq(true))
            .filter(up::Column::Email.ne(""))
            .all(self.db())
            .await?;
        let users = user::Entity::find()
            .filter(user::Column::OrgId.eq(org.0))
            .filter(user::Column::Active.eq(true))
            .filter(user::Column::Id.is_in(wanted.iter().map(|p| p.user_id)))
            .all(self.db())
            .await?;
        for pref in wanted {
            let Some(u) = users.iter().find(|u| u.id == pref.user_id) else { continue };
            let lang = Language::parse(&u.language).unwrap_or_default();
            let (subject, body) = missed_mail(lang, row);
            if let Err(e) = self.send_mail(org, &pref.email, &subject, &body).await {
                tracing::warn!(org = org.0, user = u.id, error = %e, "missed-call e-mail not sent");
            }
        }
        Ok(())
    }
}

/// The subject and text of the e-mail, in the user's language.
fn missed_mail(lang: Language, m: &MissedCall) -> (String, String) {
    let (caller, called, n, at) = (&m.caller, &m.called_number, m.count, m.last_at.format("%Y-%m-%d %H:%M UTC"));
    match lang {
        Language::En => (
            format!("Missed call from +{caller}"),
            format!("+{caller} called {called} at {at} and nobody answered (missed calls from this number: {n}).\n"),
        ),
        Language::Pl => (
            format!("Nieodebrane połączenie od +{caller}"),
            format!("+{caller} dzwonił(a) na {called} o {at} i nikt nie odebrał (nieodebrane z tego numeru: {n}).\n"),
        ),
        Language::He => (
            format!("שיחה שלא נענתה מ-‎+{caller}"),
            format!("‎+{caller} התקשר/ה אל {called} ב-{at} ואף אחד לא ענה (שיחות שלא נענו מהמספר: {n}).\n"),
        ),
    }
}
