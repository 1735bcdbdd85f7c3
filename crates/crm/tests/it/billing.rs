//! Billing: the organization's answered outside calls priced by the trunk's rate table (the
//! longest prefix, increments, the connection fee), filtered and totalled per day in the
//! organization's time zone, per agent and per campaign; bad rates refused with nothing
//! changed; an agent given the section sees only their own calls, one without it nothing.

use super::{crms, new_user};
use chrono::{DateTime, NaiveDate, Utc};
use crm::billing::rates::RateDirection;
use crm::billing::{BillingFilter, RateIn};
use crm::outbound::access::Section;
use crm::{CrmError, OrgSlug};
use store::entities::call_log::{self as cl, CallKind};
use store::sea_orm::{ActiveModelTrait, Set};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn calls_are_priced_by_the_longest_prefix_and_totalled_per_day_agent_and_campaign() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap(); // Europe/Warsaw, PL
        let mia = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let ala = crm.create_user(o.id, new_user("ala", "101", "agent")).await.unwrap();
        let ola = crm.create_user(o.id, new_user("ola", "102", "agent")).await.unwrap();
        let t1 = crm::sip::trunks::NewTrunk {
            name: "carrier".into(),
            host: "192.0.2.10".into(),
            port: 5060,
            transport: "udp".into(),
            ..Default::default()
        };
        let trunk = crm.create_trunk(o.id, t1).await.unwrap();
        let rate = |prefix: &str, per_minute: &str, first: &str, next: &str, fee: &str| RateIn {
            trunk_id: trunk.id,
            direction: "outbound".into(),
            prefix: prefix.into(),
            per_minute: per_minute.into(),
            first_seconds: first.into(),
            increment_seconds: next.into(),
            connect_fee: fee.into(),
        };
        crm.save_rate(&mia, rate("48", "0,10", "1", "1", "")).await.unwrap();
        crm.save_rate(&mia, rate("48600", "0.25", "30", "6", "0.05")).await.unwrap();
        // Bad input: refused, nothing changed.
        for bad in [rate("48x", "1", "1", "1", ""), rate("49", "-1", "1", "1", ""), rate("49", "1", "0", "1", "")] {
            assert!(matches!(crm.save_rate(&mia, bad).await, Err(CrmError::Invalid(_))), "{backend}");
        }
        assert!(matches!(crm.save_rate(&ala, rate("49", "1", "1", "1", "")).await, Err(CrmError::Forbidden)));
        assert_eq!(crm.trunk_rates(o.id).await.unwrap().len(), 2, "{backend}");
        // Saving the same prefix again changes its row.
        crm.save_rate(&mia, rate("48", "0.12", "1", "1", "")).await.unwrap();
        assert_eq!(crm.trunk_rates(o.id).await.unwrap().len(), 2, "{backend}");

        let list = crm.create_call_list(&mia, "Autumn", "").await.unwrap();
        let db = crm.store().conn();
        // (call id, agent, number, started, talk s): 23:30 UTC on 30 November is 1 December in
        // Warsaw; an unanswered call and an internal one are no billing records.
        let calls = [
            ("c1", &ala, "48221234567", "2026-11-30T10:00:00Z", 7, true),
            ("c2", &ala, "48600100001", "2026-11-30T23:30:00Z", 31, true),
            ("c3", &ola, "4412345678", "2026-12-01T09:00:00Z", 61, true),
            ("c4", &ola, "48221234567", "2026-12-01T09:10:00Z", 0, false),
        ];
        for (id, who, number, at, talk, answered) in calls {
            cl::ActiveModel {
                org_id: Set(o.id.0),
                call_id: Set(id.into()),
                user_id: Set(Some(who.id.0)),
                extension: Set(who.extension.as_str().to_string()),
                kind: Set(if answered { CallKind::Outgoing } else { CallKind::Missed }),
                number: Set(number.into()),
                started_at: Set(t(at)),
                answered_at: Set(answered.then(|| t(at))),
                talk_seconds: Set(talk),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
        // c2 was a dialer's call of the list.
        store::entities::dialer_call::ActiveModel {
            org_id: Set(o.id.0),
            list_id: Set(list.id),
            number_id: Set(0),
            number: Set("48600100001".into()),
            call_id: Set(Some("c2".into())),
            placed_at: Set(t("2026-11-30T23:29:50Z")),
            result: Set(crm::outbound::dialer::DialResult::Connected),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();

        let f = BillingFilter {
            direction: RateDirection::Outbound,
            from: d("2026-11-30"),
            to: d("2026-12-01"),
            agent: None,
            list: None,
        };
        let b = crm.billing(&mia, &f).await.unwrap();
        assert_eq!(b.currency, "PLN", "{backend}");
        assert_eq!(b.total.calls, 3, "{backend}");
        let cost = |id: &str| b.rows.iter().find(|r| r.number == id).unwrap().cost;
        // 0.12/min per second: 7 s = 0.014; 0.25/min 30/6 + 0.05: 31 s bill 36 s = 0.20; no rate
        // covers 44…
        assert_eq!(cost("48221234567"), Some(140), "{backend}");
        assert_eq!(cost("48600100001"), Some(2000), "{backend}");
        assert_eq!(cost("4412345678"), None, "{backend}");
        assert_eq!((b.total.cost, b.total.unpriced), (2140, 1), "{backend}");
        let days: Vec<_> = b.per_day.iter().map(|(d, t)| (d.to_string(), t.calls)).collect();
        assert_eq!(days, [("2026-11-30".to_string(), 1), ("2026-12-01".to_string(), 2)], "{backend}: Warsaw's days");
        let campaigns: Vec<_> = b.per_campaign.iter().map(|(c, t)| (c.as_str(), t.calls, t.cost)).collect();
        assert_eq!(campaigns, [("", 2, 140), ("Autumn", 1, 2000)], "{backend}");
        let agents: Vec<_> = b.per_agent.iter().map(|(a, t)| (a.clone(), t.calls)).collect();
        assert_eq!(agents.len(), 2, "{backend}: {agents:?}");
        // Filtered by campaign, and exported exactly so.
        let autumn = BillingFilter { list: Some(list.id), ..f.clone() };
        assert_eq!(crm.billing(&mia, &autumn).await.unwrap().total.calls, 1, "{backend}");
        let table = crm.export_billing(&mia, &autumn, vec!["h".into(); 9]).await.unwrap();
        assert_eq!(table.rows.len(), 1, "{backend}");
        // A period the wrong way round is refused.
        let back = BillingFilter { from: d("2026-12-02"), ..f.clone() };
        assert!(matches!(crm.billing(&mia, &back).await, Err(CrmError::Invalid(_))), "{backend}");

        // Agents: no billing section by default; given outbound billing, their own calls.
        assert!(matches!(crm.billing(&ala, &f).await, Err(CrmError::Forbidden)), "{backend}");
        crm.set_agent_sections(&mia, ala.id, &[Section::Calls, Section::OutboundBilling]).await.unwrap();
        let own = crm.billing(&ala, &BillingFilter { agent: Some(ola.id.0), ..f.clone() }).await.unwrap();
        assert_eq!(own.total.calls, 2, "{backend}: only her own, whoever she asks for");
        let inbound = BillingFilter { direction: RateDirection::Inbound, ..f.clone() };
        assert!(matches!(crm.billing(&ala, &inbound).await, Err(CrmError::Forbidden)), "{backend}");
    }
}

/// The call lists' statistics: per day the numbers worked, their calls and talk time, each
/// outcome and the successes; per list the dialer's calls and abandonment; every abandoned call
/// with how long after the answer its message began. Managers only; at most 92 days.
#[tokio::test]
async fn list_statistics_count_outcomes_successes_calls_and_abandoned_calls() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let mia = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let ala = crm.create_user(o.id, new_user("ala", "101", "agent")).await.unwrap();
        let list = crm.create_call_list(&mia, "Autumn", "").await.unwrap();
        let rows: Vec<crm::outbound::NewNumber> = ["600 100 001", "600 100 002"]
            .iter()
            .map(|n| crm::outbound::NewNumber { typed: n.to_string(), ..Default::default() })
            .collect();
        crm.add_list_numbers(&mia, list.id, &rows).await.unwrap();
        let sale = crm.add_list_outcome(&mia, "Sale", crm::outbound::Kind::Final, 0).await.unwrap();
        crm.set_outcome_success(&mia, sale.id, true).await.unwrap();
        let later = crm.add_list_outcome(&mia, "No answer", crm::outbound::Kind::Retry, 60).await.unwrap();
        let db = crm.store().conn();
        for (call, outcome, talk) in [("x1", sale.id, 60), ("x2", later.id, 0)] {
            let n = crm.next_number(&ala).await.unwrap().unwrap();
            cl::ActiveModel {
                org_id: Set(o.id.0),
                call_id: Set(call.into()),
                user_id: Set(Some(ala.id.0)),
                extension: Set(ala.extension.as_str().to_string()),
                kind: Set(CallKind::Outgoing),
                number: Set(n.number.clone()),
                started_at: Set(crm.clock().now()),
                answered_at: Set((talk > 0).then(|| crm.clock().now())),
                talk_seconds: Set(talk),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
            crm.give_outcome(&ala, n.id, outcome, None, "", Some(call)).await.unwrap();
        }
        let answered = crm.clock().now();
        store::entities::dialer_call::ActiveModel {
            org_id: Set(o.id.0),
            list_id: Set(list.id),
            number_id: Set(0),
            number: Set("48600100009".into()),
            placed_at: Set(answered),
            answered_at: Set(Some(answered)),
            message_at: Set(Some(answered + chrono::Duration::milliseconds(1700))),
            result: Set(crm::outbound::dialer::DialResult::Abandoned),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();

        let today = crm.org_day(o.id, None).await.unwrap().0;
        let s = crm.list_statistics(&mia, today, today, None).await.unwrap();
        let w = &s.days[0].1;
        assert_eq!((w.worked, w.calls, w.talk_seconds, w.successes), (2, 2, 60, 1), "{backend}");
        assert_eq!((w.outcomes[&sale.id], w.outcomes[&later.id]), (1, 1), "{backend}");
        assert_eq!(s.total.worked, 2, "{backend}");
        let l = &s.lists[0];
        assert_eq!((l.list_id, l.placed, l.answered, l.abandoned), (list.id, 1, 1, 1), "{backend}");
        assert_eq!((l.abandonment.answered, l.abandonment.abandoned), (1, 1), "{backend}");
        assert_eq!(s.abandoned.len(), 1, "{backend}");
        assert_eq!(s.abandoned[0].message_after_ms, Some(1700), "{backend}: the evidence");
        // One agent's days: hers; another's: nothing.
        assert_eq!(crm.list_statistics(&mia, today, today, Some(ala.id.0)).await.unwrap().total.worked, 2);
        assert_eq!(crm.list_statistics(&mia, today, today, Some(mia.id.0)).await.unwrap().total.worked, 0);
        let long = crm.list_statistics(&mia, today - chrono::Duration::days(100), today, None).await;
        assert!(matches!(long, Err(CrmError::Invalid(_))), "{backend}");
        assert!(matches!(crm.list_statistics(&ala, today, today, None).await, Err(CrmError::Forbidden)));
    }
}
