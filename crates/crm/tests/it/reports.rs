//! The managers' reports, from event logs written as the desk writes them: days and hours of
//! the organization's time zone (not UTC's), the figures' definitions, agents' time per state.

use super::{crms, new_user};
use chrono::{DateTime, NaiveDate, Utc};
use crm::OrgSlug;
use crm::queues::QueueForm;
use crm::reports::{Grouping, Period};
use store::entities::agent_status::{self as st, AgentState};
use store::entities::queue_event::{self, QueueEventKind as K};
use store::sea_orm::{ActiveModelTrait, Set};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn queue_and_agent_reports_count_in_the_organizations_days_and_hours() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap(); // Europe/Warsaw
        let mia = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let ala = crm.create_user(o.id, new_user("ala", "101", "agent")).await.unwrap();
        let q = crm.save_queue(&mia, None, QueueForm { name: "Sales".into(), ..Default::default() }).await.unwrap();
        let db = crm.store().conn();
        // (kind, at, wait s): 23:30 and 23:40 Warsaw on 30 November are 22:30 and 22:40 UTC;
        // 00:30 Warsaw on 1 December is still 30 November in UTC.
        let events = [
            (K::Enter, "2026-11-30T22:30:00Z", 0),
            (K::Connect, "2026-11-30T22:30:10Z", 10),
            (K::Complete, "2026-11-30T22:32:10Z", 120),
            (K::Enter, "2026-11-30T22:40:00Z", 0),
            (K::Abandon, "2026-11-30T22:40:03Z", 3),
            (K::Enter, "2026-11-30T23:30:00Z", 0),
            (K::Connect, "2026-11-30T23:30:40Z", 40),
            (K::Complete, "2026-11-30T23:31:40Z", 60),
            (K::Enter, "2026-11-30T23:40:00Z", 0),
            (K::Timeout, "2026-11-30T23:45:00Z", 300),
        ];
        for (i, (kind, at, wait)) in events.iter().enumerate() {
            queue_event::ActiveModel {
                org_id: Set(o.id.0),
                queue_id: Set(q.id),
                call_id: Set(format!("c{}", i / 3)),
                kind: Set(*kind),
                user_id: Set(Some(ala.id.0)),
                at: Set(t(at)),
                wait_ms: Set(Some(wait * 1000)),
                detail: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
        // Written straight into the log, the events are counted by recounting the log.
        crm.recount_queue_events(&mia).await.unwrap();
        let by_day = Period { from: d("2026-11-30"), to: d("2026-12-01"), by: Grouping::Day };
        let r = crm.report_queues(&mia, by_day).await.unwrap();
        let days: Vec<_> = r.rows.iter().map(|r| (r.bucket.as_str(), r.figures.received, r.figures.answered)).collect();
        assert_eq!(days, [("2026-11-30", 2, 1), ("2026-12-01", 2, 1)], "{backend}: days of Warsaw");
        let total = &r.totals[0];
        assert_eq!((total.queue.as_str(), total.figures.received, total.figures.abandoned), ("Sales", 4, 1));
        assert_eq!(total.figures.short_abandoned, 1, "{backend}: abandoned within 5 s");
        // Counted for the service level (20 s): 2 answered + 1 timeout (the short abandon is not).
        assert_eq!(total.service_level, Some(33), "{backend}");
        assert_eq!((total.asa_secs, total.aht_secs), (Some(25), Some(90)), "{backend}");
        let hourly = crm.report_queues(&mia, Period { by: Grouping::Hour, ..by_day }).await.unwrap();
        let hours: Vec<_> = hourly.rows.iter().map(|r| (r.bucket.as_str(), r.figures.received)).collect();
        assert_eq!(hours, [("2026-11-30 23:00", 2), ("2026-12-01 00:00", 2)], "{backend}");
        let monthly = crm.report_queues(&mia, Period { by: Grouping::Month, ..by_day }).await.unwrap();
        let months: Vec<_> = monthly.rows.iter().map(|r| (r.bucket.as_str(), r.figures.received)).collect();
        assert_eq!(months, [("2026-11", 2), ("2026-12", 2)], "{backend}");

        // In UTC the four callers all came on 30 November: a change of zone counts the days again.
        crm.update_org_settings(o.id, None, "UTC", "PL").await.unwrap();
        let utc = crm.report_queues(&mia, by_day).await.unwrap();
        let days: Vec<_> = utc.rows.iter().map(|r| (r.bucket.as_str(), r.figures.received)).collect();
        assert_eq!(days, [("2026-11-30", 4)], "{backend}: days of UTC");
        crm.update_org_settings(o.id, None, "Europe/Warsaw", "PL").await.unwrap();

        // Agents: 1 h available, 30 min in calls, 10 min after-call work, 20 min on a break.
        let brk = crm.add_status_reason(&mia, "Break").await.unwrap();
        for (state, from, to, reason) in [
            (AgentState::Available, "2026-12-01T07:00:00Z", "2026-12-01T08:00:00Z", None),
            (AgentState::InCall, "2026-12-01T08:00:00Z", "2026-12-01T08:30:00Z", None),
            (AgentState::WrapUp, "2026-12-01T08:30:00Z", "2026-12-01T08:40:00Z", None),
            (AgentState::Unavailable, "2026-12-01T08:40:00Z", "2026-12-01T09:00:00Z", Some(brk.id)),
        ] {
            st::ActiveModel {
                org_id: Set(o.id.0),
                user_id: Set(ala.id.0),
                available: Set(reason.is_none()),
                state: Set(state),
                reason_id: Set(reason),
                started_at: Set(t(from)),
                ended_at: Set(Some(t(to))),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
        // Two answered calls of 1.6 s each: 3.2 s of talk, shown as 3 s (not 1 + 1).
        for (i, (answered, ended)) in
            [("2026-12-01T08:00:00Z", "2026-12-01T08:00:01.600Z"), ("2026-12-01T08:10:00Z", "2026-12-01T08:10:01.600Z")]
                .into_iter()
                .enumerate()
        {
            store::entities::call_log::ActiveModel {
                org_id: Set(o.id.0),
                call_id: Set(format!("short-{i}")),
                user_id: Set(Some(ala.id.0)),
                extension: Set(ala.extension.as_str().to_string()),
                kind: Set(store::entities::call_log::CallKind::Incoming),
                number: Set("48600111222".into()),
                started_at: Set(t(answered)),
                answered_at: Set(Some(t(answered))),
                ended_at: Set(Some(t(ended))),
                talk_seconds: Set(1),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
        let agents = crm.report_agents(&mia, by_day).await.unwrap();
        let a = agents.iter().find(|a| a.user_id == ala.id.0).unwrap();
        assert_eq!((a.incoming, a.answered, a.talk_secs), (2, 2, 3), "{backend}: talk time summed, then rounded");
        assert_eq!(
            (a.logged_secs, a.available_secs, a.in_call_secs, a.wrap_up_secs, a.unavailable_secs),
            (7200, 3600, 1800, 600, 1200),
            "{backend}"
        );
        assert_eq!(a.pauses, vec![("Break".to_string(), 1200)]);
        assert_eq!(a.occupancy, Some(40), "{backend}: 40 of 100 minutes in calls or after-call work");

        // Bad periods change nothing and say why; agents may not read reports.
        let backwards = Period { from: d("2026-12-02"), to: d("2026-12-01"), by: Grouping::Day };
        assert_eq!(crm.report_queues(&mia, backwards).await.unwrap_err().code(), "err-report-order");
        let long_hourly = Period { from: d("2026-10-01"), to: d("2026-12-01"), by: Grouping::Hour };
        assert_eq!(crm.report_queues(&mia, long_hourly).await.unwrap_err().code(), "err-report-too-long");
        assert!(matches!(crm.report_agents(&ala, by_day).await, Err(crm::CrmError::Forbidden)));
    }
}

/// "All calls" counts every call once, through a queue or not: one answered at a desk, one rung
/// to two agents and answered by one, a caller who hung up in a queue before anyone was rung (in
/// the managers' call log without a user), an outgoing and an internal call; the missed calls
/// and what came of them; per campaign, the cases opened and closed and each agent's successes.
#[tokio::test]
async fn every_call_counts_once_with_the_missed_calls_and_the_campaigns() {
    use crm::calls::log::CallLogFilter;
    use telephony::events::{CallEventKind as E, Direction as D, EndCause};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let mia = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let ala = crm.create_user(o.id, new_user("ala", "101", "agent")).await.unwrap();
        crm.create_user(o.id, new_user("bea", "102", "agent")).await.unwrap();
        let at = crm.clock().now();
        let call = |id: &str, dir: D, from: &str, to: &str, ext: Option<&str>, ringing: &[&str], kind: E| {
            let mut e = super::ev(o.id.0, id, dir, from, to, ext, at, kind);
            e.call.ringing = ringing.iter().map(|r| r.to_string()).collect();
            e
        };
        let customer = "48600111222";
        let events = [
            call("c1", D::Inbound, customer, "48221234567", None, &["101"], E::Ringing),
            call("c1", D::Inbound, customer, "48221234567", Some("101"), &[], E::Answered),
            call("c1", D::Inbound, customer, "48221234567", Some("101"), &[], E::Ended { cause: EndCause::Answered }),
            call("c2", D::Inbound, "48600333444", "48221234567", None, &["101", "102"], E::Ringing),
            call("c2", D::Inbound, "48600333444", "48221234567", Some("102"), &[], E::Answered),
            call(
                "c2",
                D::Inbound,
                "48600333444",
                "48221234567",
                Some("102"),
                &[],
                E::Ended { cause: EndCause::Answered },
            ),
            call("c3", D::Inbound, "48600555666", "48221234567", None, &[], E::Ended { cause: EndCause::Cancelled }),
            call("c4", D::Outbound, "101", "48600777888", Some("101"), &[], E::Ringing),
            call("c4", D::Outbound, "101", "48600777888", Some("101"), &[], E::Answered),
            call("c4", D::Outbound, "101", "48600777888", Some("101"), &[], E::Ended { cause: EndCause::Answered }),
            call("c5", D::Internal, "101", "102", None, &["102"], E::Ringing),
            call("c5", D::Internal, "101", "102", None, &["102"], E::Ended { cause: EndCause::NoAnswer }),
        ];
        for e in events {
            super::send(&crm, e).await;
        }
        let today = crm.org_day(o.id, None).await.unwrap().0;
        let period = Period { from: today, to: today, by: Grouping::Day };
        let r = crm.report_calls(&mia, period).await.unwrap();
        let t = &r.total;
        assert_eq!(
            (t.incoming, t.incoming_answered, t.outgoing, t.outgoing_answered, t.internal),
            (3, 2, 1, 1, 1),
            "{b}"
        );
        assert_eq!(r.rows.len(), 1, "{b}: one day");
        assert_eq!((r.missed.misses, r.missed.callers, r.missed.still_listed), (1, 1, 1), "{b}");
        assert!(crm.report_calls(&ala, period).await.is_err(), "{b}: managers only");
        // The caller nobody was rung for: in the managers' log of everyone's calls, not an agent's.
        let everyone = CallLogFilter { limit: 50, everyone: true, ..Default::default() };
        let all = crm.call_log(&mia, &everyone).await.unwrap();
        let left = all.iter().find(|c| c.call_id == "c3").expect("the caller who left is logged");
        assert_eq!((left.extension.as_str(), left.number.as_str(), left.answered_at), ("", "48600555666", None), "{b}");
        assert!(crm.call_log(&ala, &everyone).await.unwrap().iter().all(|c| c.call_id != "c3"), "{b}: not an agent's");
        // Per campaign: a case opened and closed by ala, another still open.
        let st = |name: &str, initial, closing| crm::cases::processes::StatusIn {
            id: None,
            name: name.into(),
            initial,
            closing,
            active: true,
        };
        let process =
            crm.save_process(&mia, None, "Sales", &[st("New", true, false), st("Won", false, true)]).await.unwrap();
        let won = process.statuses.iter().find(|s| s.name == "Won").unwrap().id;
        let camp = crm::cases::campaigns::CampaignIn {
            name: "Spring".into(),
            kind: "inbound".into(),
            process_id: process.id,
            active: true,
            agents_may_add: true,
            shown: true,
            agents: vec![ala.id.0],
        };
        let camp = crm.save_campaign(&mia, None, camp).await.unwrap().id;
        let contact = crm::contacts::NewContact { last_name: "Nowak".into(), ..Default::default() };
        let contact = crm.create_contact(o.id, contact).await.unwrap().id;
        let case = crm.create_case(&ala, contact, camp, "").await.unwrap();
        crm.update_case(&ala, case.id, None, Some(won), Some(Some(ala.id.0)), None).await.unwrap();
        crm.create_case(&ala, contact, camp, "").await.unwrap();
        let rows = crm.report_campaigns(&mia, period).await.unwrap();
        assert_eq!(rows.len(), 1, "{b}");
        let c = &rows[0];
        assert_eq!((c.name.as_str(), c.opened, c.closed, c.open_now), ("Spring", 2, 1, 1), "{b}");
        assert_eq!(c.successes, [("ala Kowalska".to_string(), 1)], "{b}");
    }
}
