//! Outbound call lists: numbers handed out one agent at a time, outcomes that decide when a
//! number comes back, do-not-call, categories, the end of the day — on SQLite and PostgreSQL.

use super::new_user;
use chrono::Duration;
use crm::outbound::lease::NotNow;
use crm::outbound::{Kind, NewNumber};
use crm::{Crm, OrgSlug, User};

struct Office {
    manager: User,
    agents: Vec<User>,
}

async fn office(crm: &Crm, agents: usize) -> Office {
    let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let manager = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
    let mut out = Vec::new();
    for i in 0..agents {
        out.push(crm.create_user(o.id, new_user(&format!("a{i}"), &format!("{}", 200 + i), "agent")).await.unwrap());
    }
    Office { manager, agents: out }
}

fn numbers(from: u32, n: u32) -> Vec<NewNumber> {
    (from..from + n)
        .map(|i| NewNumber { typed: format!("600 {:03} {:03}", i / 1000, i % 1000), ..Default::default() })
        .collect()
}

/// Fifty agents asking for the next number at the same moment, through two processes over one
/// database, never get the same one; each holds one (the default) and must give an outcome
/// before the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_agents_asking_at_once_never_get_the_same_number() {
    let dir = tempfile::tempdir().unwrap();
    for (b, store) in store::testing::backends(dir.path()).await {
        let settings = crm::CrmSettings { files: dir.path().join(format!("files-{b}")), ..Default::default() };
        let crm = Crm::start_with(store.clone(), settings.clone()).await.unwrap();
        // A second process over the same database: each serves its own agents' asks together,
        // and the two race in the database.
        let other = Crm::start_with(store, settings).await.unwrap();
        let o = office(&crm, 50).await;
        let list = crm.create_call_list(&o.manager, "Autumn", "").await.unwrap();
        let added = crm.add_list_numbers(&o.manager, list.id, &numbers(1, 40)).await.unwrap();
        assert_eq!(added.added, 40, "{b}");
        let asks = o.agents.iter().cloned().enumerate().map(|(i, a)| {
            let crm = if i % 2 == 0 { crm.clone() } else { other.clone() };
            tokio::spawn(async move { crm.next_number(&a).await.unwrap().map(|n| n.id) })
        });
        let got: Vec<i64> = futures_util::future::join_all(asks).await.into_iter().filter_map(|r| r.unwrap()).collect();
        let mut unique = got.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!((got.len(), unique.len()), (40, 40), "{b}: 40 numbers to 40 agents, none twice");
        let mut holder = None;
        for a in &o.agents {
            if crm.held_numbers(a).await.unwrap().len() == 1 {
                holder = Some(a);
                break;
            }
        }
        let again = crm.next_number(holder.unwrap()).await.unwrap_err();
        assert_eq!(again.code(), "err-lease-limit", "{b}: an outcome first");
    }
}

/// Outcomes decide when a number comes back: never (final), after the minutes (retry), at the
/// callback's time to its agent and to anyone after the owner's time, never again and nowhere
/// (do-not-call, in every list); an agent works only their categories; numbers held over the
/// end of the day go back to the pool; each number says why it is not handed out now.
#[tokio::test]
async fn outcomes_decide_when_a_number_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in super::crms(dir.path()).await {
        // Tomorrow 08:00 UTC, whatever the hour the test runs at: its 31 minutes must not cross
        // the organization's midnight (which gives held numbers back to the pool).
        let now = crm.clock().now();
        let morning = (now.date_naive() + Duration::days(1)).and_hms_opt(8, 0, 0).unwrap().and_utc();
        crm.clock().advance(morning - now);
        let o = office(&crm, 2).await;
        let (ala, bea) = (&o.agents[0], &o.agents[1]);
        let m = &o.manager;
        let vip = crm.add_list_category(m, "VIP").await.unwrap();
        assert_eq!(crm.add_list_category(m, "vip").await.unwrap_err().code(), "err-name-taken", "{b}");
        let list = crm.create_call_list(m, "Autumn", "").await.unwrap();
        let rows = vec![
            NewNumber { typed: "600 100 001".into(), name: "Nowak".into(), ..Default::default() },
            NewNumber { typed: "+48 600 100 002".into(), ..Default::default() },
            NewNumber { typed: "0048600100001".into(), ..Default::default() },
            NewNumber { typed: "not a number".into(), ..Default::default() },
            NewNumber { typed: "600 100 003".into(), category_id: Some(vip.id), ..Default::default() },
        ];
        let added = crm.add_list_numbers(m, list.id, &rows).await.unwrap();
        assert_eq!((added.added, added.duplicates, added.invalid.clone()), (3, 1, vec![4]), "{b}: one number once");
        let done = crm.add_list_outcome(m, "Finished", Kind::Final, 0).await.unwrap();
        let retry = crm.add_list_outcome(m, "No answer", Kind::Retry, 30).await.unwrap();
        let later = crm.add_list_outcome(m, "Call back later", Kind::Callback, 0).await.unwrap();
        let never = crm.add_list_outcome(m, "Do not call", Kind::DoNotCall, 0).await.unwrap();
        assert_eq!(crm.add_list_outcome(m, "Soon", Kind::Retry, 0).await.unwrap_err().code(), "err-out-of-range");
        // Bea works VIP only; ala everything. Numbers go in the order they were added.
        crm.set_agent_categories(m, bea.id, &[vip.id]).await.unwrap();
        let first = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!((first.number.as_str(), first.name.as_str()), ("48600100001", "Nowak"), "{b}");
        let vip_one = crm.next_number(bea).await.unwrap().unwrap();
        assert_eq!(vip_one.number, "48600100003", "{b}: bea gets only her category");
        assert_eq!(crm.why_not_now(ala.org_id, first.id).await.unwrap(), Some(NotNow::HeldBy { user: ala.id.0 }));
        // Retry: back after 30 minutes.
        crm.give_outcome(ala, first.id, retry.id, None, "", None).await.unwrap();
        let second = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(second.number, "48600100002", "{b}: the retried one waits");
        let not_before = crm.why_not_now(ala.org_id, first.id).await.unwrap();
        assert!(matches!(not_before, Some(NotNow::NotBefore { .. })), "{b}: {not_before:?}");
        // Call back later: tomorrow 10:00, hers; another agent does not get it when it is due.
        let tomorrow = crm.clock().now() + Duration::days(1);
        let err = crm.give_outcome(ala, second.id, later.id, None, "", None).await.unwrap_err();
        assert_eq!(err.code(), "err-callback-time", "{b}: a callback needs its time");
        crm.give_outcome(ala, second.id, later.id, Some(tomorrow), "after ten", None).await.unwrap();
        crm.clock().advance(Duration::minutes(31));
        let back = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(back.id, first.id, "{b}: the retry is due");
        crm.give_outcome(ala, back.id, done.id, None, "", None).await.unwrap();
        assert_eq!(crm.why_not_now(ala.org_id, first.id).await.unwrap(), Some(NotNow::Done), "{b}");
        crm.give_outcome(bea, vip_one.id, never.id, None, "", None).await.unwrap();
        assert!(crm.is_dnc(ala.org_id, "48600100003").await.unwrap(), "{b}: on the do-not-call list");
        // The same number in another list is never handed out either.
        let other = crm.create_call_list(m, "Winter", "").await.unwrap();
        crm.add_list_numbers(m, other.id, &[NewNumber { typed: "600100003".into(), ..Default::default() }])
            .await
            .unwrap();
        assert_eq!(crm.next_number(bea).await.unwrap(), None, "{b}: nothing left for bea");
        // Tomorrow: the callback is ala's at its time; bea may take it only after the owner's hour.
        crm.clock().advance(Duration::days(1));
        assert_eq!(crm.next_number(bea).await.unwrap(), None, "{b}: not in bea's category anyway");
        crm.set_agent_categories(m, bea.id, &[]).await.unwrap();
        assert_eq!(crm.next_number(bea).await.unwrap(), None, "{b}: ala's callback, within her hour");
        let mine = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(mine.id, second.id, "{b}: her callback comes back to her");
        // A retired outcome is offered no more; the number that had it keeps its history.
        crm.retire_list_outcome(m, retry.id).await.unwrap();
        let offered = crm.list_outcomes(ala.org_id).await.unwrap();
        assert!(offered.iter().any(|o| o.id == retry.id && !o.active), "{b}: retired, kept for history");
        let refused = crm.give_outcome(ala, mine.id, retry.id, None, "", None).await.unwrap_err();
        assert_eq!(refused.code(), "err-outcome-unknown", "{b}: a retired outcome is not given");
        assert!(crm.retire_list_outcome(ala, done.id).await.is_err(), "{b}: managers only");
        crm.retire_list_category(m, vip.id).await.unwrap();
        let vip_again = crm.add_list_category(m, "VIP").await.unwrap();
        assert_ne!(vip_again.id, vip.id, "{b}: the name is free again");
        let bad = NewNumber { typed: "600 999 999".into(), category_id: Some(vip.id), ..Default::default() };
        assert_eq!(crm.add_list_numbers(m, list.id, &[bad]).await.unwrap_err().code(), "err-category-unknown");
        let history = crm.number_history(ala.org_id, second.id).await.unwrap();
        assert_eq!((history.len(), history[0].note.as_str()), (1, "after ten"), "{b}");
        // Held over the end of the day: back to the pool the next day (her page shows it no more).
        crm.clock().advance(Duration::days(1));
        assert!(crm.held_numbers(ala).await.unwrap().is_empty(), "{b}: released at the end of the day");
        let next_day = crm.next_number(bea).await.unwrap().unwrap();
        assert_eq!(next_day.id, second.id, "{b}: released at the end of the day; the owner's time is over");
    }
}

/// The number base: filters, an export of exactly the filtered rows (a formula-like name
/// neutralised, Polish letters in windows-1250 when asked), bulk actions on ticked rows or on
/// everything the filter matches.
#[tokio::test]
async fn the_number_base_filters_exports_and_changes_in_bulk() {
    use crm::outbound::base::{Bulk, NumberFilter};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in super::crms(dir.path()).await {
        let o = office(&crm, 1).await;
        let m = &o.manager;
        let vip = crm.add_list_category(m, "VIP").await.unwrap();
        let list = crm.create_call_list(m, "Autumn", "").await.unwrap();
        let mut rows = numbers(1, 5);
        rows[0].name = "=1+1".into();
        rows[1].name = "Żółć".into();
        rows[1].category_id = Some(vip.id);
        crm.add_list_numbers(m, list.id, &rows).await.unwrap();
        let vip_only = NumberFilter { category: Some(Some(vip.id)), ..Default::default() };
        let page = crm.number_base(m, &vip_only, 1, 50).await.unwrap();
        assert_eq!((page.total, page.rows[0].name.as_str()), (1, "Żółć"), "{b}");
        let none = NumberFilter { category: Some(None), ..Default::default() };
        assert_eq!(crm.number_base(m, &none, 1, 50).await.unwrap().total, 4, "{b}");
        assert!(crm.number_base(&o.agents[0], &none, 1, 50).await.is_err(), "{b}: managers only");
        let headers: Vec<String> = (0..10).map(|i| format!("h{i}")).collect();
        let all = crm.export_numbers(m, &NumberFilter::default(), headers.clone()).await.unwrap();
        let csv = String::from_utf8(all.to_csv().unwrap()).unwrap();
        assert_eq!(csv.lines().count(), 6, "{b}: a header and the five rows");
        assert!(csv.contains("\"'=1+1\""), "{b}: the formula neutralised: {csv}");
        let vip_csv = crm.export_numbers(m, &vip_only, headers).await.unwrap();
        let bytes = vip_csv.to_csv_in(encoding_rs::WINDOWS_1250).unwrap();
        let (text, _, bad) = encoding_rs::WINDOWS_1250.decode(&bytes);
        assert!(!bad && text.contains("Żółć") && text.lines().count() == 2, "{b}: exactly the filtered row: {text}");
        // Bulk: everything without a category into VIP; one ticked row assigned; one deleted.
        assert_eq!(crm.bulk_numbers(m, &none, Bulk::SetCategory(Some(vip.id))).await.unwrap(), 4, "{b}");
        assert_eq!(crm.number_base(m, &vip_only, 1, 50).await.unwrap().total, 5, "{b}");
        let first = page.rows[0].id;
        let ticked = NumberFilter { ids: Some(vec![first]), ..Default::default() };
        crm.bulk_numbers(m, &ticked, Bulk::Assign(Some(o.agents[0].id.0))).await.unwrap();
        let assigned = NumberFilter { agent: Some(Some(o.agents[0].id.0)), ..Default::default() };
        assert_eq!(crm.number_base(m, &assigned, 1, 50).await.unwrap().rows[0].id, first, "{b}");
        let bad = crm.bulk_numbers(m, &ticked, Bulk::SetCategory(Some(999_999))).await.unwrap_err();
        assert_eq!(bad.code(), "err-category-unknown", "{b}: nothing changed");
        assert_eq!(crm.bulk_numbers(m, &ticked, Bulk::Delete).await.unwrap(), 1, "{b}");
        assert_eq!(crm.number_base(m, &NumberFilter::default(), 1, 50).await.unwrap().total, 4, "{b}");
        let nothing = NumberFilter { ids: Some(vec![]), ..Default::default() };
        assert_eq!(crm.bulk_numbers(m, &nothing, Bulk::Delete).await.unwrap_err().code(), "err-rows-none", "{b}");
    }
}

/// A call list filled from a file through the import engine (seed 003): the columns read from
/// the header, nothing added before the run, numbers de-duplicated within the list (against the
/// list and the file), categories matched whatever their case or made (and named in the dry
/// run), agents found by extension or login, the contact with the number linked; killed and run
/// again it adds nothing twice; undone while no number was called.
#[tokio::test]
async fn a_call_list_is_filled_from_a_file_through_the_import_engine() {
    use crm::imports::{ImportState, Target};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in super::crms(dir.path()).await {
        let o = office(&crm, 1).await;
        let (m, ala) = (&o.manager, &o.agents[0]);
        let org = m.org_id;
        crm.add_list_category(m, "VIP").await.unwrap();
        let list = crm.create_call_list(m, "Jesień", "").await.unwrap();
        crm.add_list_numbers(m, list.id, &numbers(1, 1)).await.unwrap();
        let known =
            crm::contacts::NewContact { last_name: "Żak".into(), phone1: "600 200 300".into(), ..Default::default() };
        let contact = crm.create_contact(org, known).await.unwrap();
        let text = "Numer;Nazwa;Kategoria;Konsultant\n\
                    600 000 001;Już jest;;\n\
                    600 200 300;Łucja Żak;vip;200\n\
                    +48 600 200 301;Świętosław;Nowi klienci;a0\n\
                    600 200 300;Drugi raz;;\n\
                    zadzwoń;Nikt;;\n\
                    600 200 302;Ćma;nowi KLIENCI;999\n\
                    600 200 303;Gęśla;;\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(text);
        let tmp = dir.path().join(format!("list-{b}.csv"));
        std::fs::write(&tmp, &bytes).unwrap();
        let refused = crm.upload_import(ala, Target::CallList(list.id), "x", "", "x.csv", &tmp).await.unwrap_err();
        assert_eq!(refused.code(), "err-forbidden", "{b}: managers fill lists");
        std::fs::write(&tmp, &bytes).unwrap();
        let imp = crm.upload_import(m, Target::CallList(list.id), "Targi", "", "lista.csv", &tmp).await.unwrap();
        assert_eq!((imp.encoding.as_str(), imp.separator.as_str(), imp.has_header), ("windows-1250", ";", true), "{b}");
        assert_eq!(imp.mapping, ["number", "name", "category", "agent"], "{b}: the column order from the header");
        let p = crm.import_preview(org, imp.id, &imp.settings()).await.unwrap();
        assert_eq!(p.rows[1][1], "Łucja Żak", "{b}: the first records previewed");
        let sum = crm.check_import(m, imp.id, &imp.settings()).await.unwrap();
        assert_eq!((sum.total, sum.new, sum.duplicates, sum.invalid), (7, 3, 2, 2), "{b}");
        let problems: Vec<(u64, &str)> = sum.problems.iter().map(|p| (p.line, p.reason)).collect();
        assert_eq!(problems, [(2, "dup-phone"), (5, "dup-phone"), (6, "err-phone"), (7, "err-list-agent")], "{b}");
        assert_eq!(sum.new_categories, ["Nowi klienci"], "{b}: the category the import makes");
        assert_eq!(crm.list_counts(org).await.unwrap()[&list.id].total, 1, "{b}: nothing added before the run");
        let done = crm.run_import(m, imp.id).await.unwrap();
        assert_eq!(done.new, 3, "{b}");
        let cats = crm.list_categories(org).await.unwrap();
        assert_eq!(cats.len(), 2, "{b}: VIP and the new one, made once");
        let f = crm::outbound::base::NumberFilter { list: Some(list.id), ..Default::default() };
        let all = crm.number_base(m, &f, 1, 100).await.unwrap().rows;
        let lucja = all.iter().find(|n| n.name == "Łucja Żak").unwrap();
        assert_eq!(lucja.category_id, cats.iter().find(|c| c.name == "VIP").map(|c| c.id), "{b}: vip is VIP");
        assert_eq!(lucja.contact_id, Some(contact.id.0), "{b}: the contact with the number");
        assert_eq!(lucja.agent_id, Some(ala.id.0), "{b}: by extension");
        let swietoslaw = all.iter().find(|n| n.name == "Świętosław").unwrap();
        assert_eq!(swietoslaw.agent_id, Some(ala.id.0), "{b}: by login");
        assert_eq!(swietoslaw.number, "48600200301", "{b}");
        // Killed before it finished: run again, nothing twice.
        {
            use store::sea_orm::{ActiveModelTrait, EntityTrait, Set};
            let row =
                store::entities::import::Entity::find_by_id(imp.id).one(crm.store().conn()).await.unwrap().unwrap();
            let mut am: store::entities::import::ActiveModel = row.into();
            am.state = Set(ImportState::Checked);
            am.update(crm.store().conn()).await.unwrap();
        }
        assert_eq!(crm.run_import(m, imp.id).await.unwrap().new, 3, "{b}");
        assert_eq!(crm.list_counts(org).await.unwrap()[&list.id].total, 4, "{b}: no number twice");
        // A number of the import called: it can no longer be undone; before, it could.
        assert!(crm.import_undoable(org, imp.id).await.unwrap(), "{b}");
        crm.next_number(ala).await.unwrap().unwrap();
        let mine = crm.held_numbers(ala).await.unwrap();
        if mine[0].import_id == Some(imp.id) {
            assert!(!crm.import_undoable(org, imp.id).await.unwrap(), "{b}: a number is held");
        }
        let outcome = crm.add_list_outcome(m, "Koniec", Kind::Final, 0).await.unwrap();
        crm.give_outcome(ala, mine[0].id, outcome.id, None, "", None).await.unwrap();
        let undo = crm.undo_import(m, imp.id).await;
        if mine[0].import_id == Some(imp.id) {
            assert_eq!(undo.unwrap_err().code(), "err-import-used", "{b}");
        } else {
            assert_eq!(
                undo.map_err(|e| format!("{b}: {e:?}")).unwrap(),
                3,
                "{b}: the import's numbers go, the list's own stays"
            );
            assert_eq!(crm.list_counts(org).await.unwrap()[&list.id].total, 1, "{b}");
        }
    }
}

/// An agent works the lists only with the dialer section; managers set who has which sections
/// (an agent nobody set has calls and the dialer).
#[tokio::test]
async fn the_dialer_is_a_section_managers_give() {
    use crm::outbound::access::Section;
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in super::crms(dir.path()).await {
        let o = office(&crm, 2).await;
        let (m, ala, bea) = (&o.manager, &o.agents[0], &o.agents[1]);
        let list = crm.create_call_list(m, "Autumn", "").await.unwrap();
        crm.add_list_numbers(m, list.id, &numbers(1, 5)).await.unwrap();
        assert_eq!(crm.sections_of(ala).await.unwrap(), [Section::Calls, Section::Dialer], "{b}: the defaults");
        assert_eq!(crm.set_agent_sections(ala, bea.id, &[]).await.unwrap_err().code(), "err-forbidden", "{b}");
        crm.set_agent_sections(m, ala.id, &[Section::Calls, Section::InboundBilling]).await.unwrap();
        assert_eq!(crm.next_number(ala).await.unwrap_err().code(), "err-forbidden", "{b}: no dialer");
        assert!(crm.next_number(bea).await.unwrap().is_some(), "{b}");
        assert_eq!(crm.agents_sections(m.org_id).await.unwrap()[&ala.id.0], [Section::Calls, Section::InboundBilling]);
        assert_eq!(crm.sections_of(m).await.unwrap().len(), 4, "{b}: managers open everything");
    }
}

/// Moves the crm's clock to the next Monday at `hour`:`minute` UTC.
fn to_monday(crm: &Crm, hour: u32, minute: u32) {
    use chrono::{Datelike, TimeZone, Timelike};
    let now = crm.clock().now();
    let mut day = now.date_naive() + Duration::days(1);
    while day.weekday() != chrono::Weekday::Mon {
        day += Duration::days(1);
    }
    let at = chrono::Utc.from_utc_datetime(&day.and_hms_opt(hour, minute, 0).unwrap());
    crm.clock().advance(at - now + Duration::seconds(1));
    assert_eq!((crm.clock().now().hour(), crm.clock().now().minute()), (hour, minute));
}

/// A list under a compliance profile hands out a number only as the rules allow at that moment:
/// the window in the callee's time in every zone of their country (a US number at 9:00 in New
/// York is not called while it is 6:00 in Los Angeles), consent, the calls per 24 hours over
/// every list, and a block after a refusal on the number's rows in other lists; each number says
/// which rule holds it back.
#[tokio::test]
async fn numbers_are_handed_out_only_as_their_rules_allow() {
    use crm::outbound::compliance::{ProfileIn, presets};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in super::crms(dir.path()).await {
        let o = office(&crm, 1).await;
        let (m, ala) = (&o.manager, &o.agents[0]);
        let org = m.org_id;
        let done = crm.add_list_outcome(m, "Done", Kind::Final, 0).await.unwrap();
        let retry = crm.add_list_outcome(m, "Again", Kind::Retry, 1).await.unwrap();
        let preset = |k: &str| presets().into_iter().find(|(key, _)| *key == k).unwrap().1;
        let us = crm.save_compliance_profile(m, None, &preset("us")).await.unwrap();
        let pl = ProfileIn { max_per_day: 1, block_after_refusal_hours: 72, ..preset("pl") };
        let pl = crm.save_compliance_profile(m, None, &pl).await.unwrap();
        let bad = ProfileIn { window_from: 1300, window_to: 600, ..preset("pl") };
        assert_eq!(crm.save_compliance_profile(m, None, &bad).await.unwrap_err().code(), "err-profile-window", "{b}");
        // Abroad: a US number and a Polish one, under the US rules.
        let abroad = crm.create_call_list(m, "Abroad", "").await.unwrap();
        let rows = [
            NewNumber { typed: "+1 212 555 0100".into(), name: "New York".into(), ..Default::default() },
            NewNumber { typed: "+48 600 100 001".into(), name: "Warszawa".into(), ..Default::default() },
        ];
        crm.add_list_numbers(m, abroad.id, &rows).await.unwrap();
        crm.set_list_profile(m, abroad.id, Some(us.id)).await.unwrap();
        assert_eq!(crm.set_list_profile(ala, abroad.id, None).await.unwrap_err().code(), "err-forbidden", "{b}");
        to_monday(&crm, 14, 0);
        let first = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(first.name, "Warszawa", "{b}: 15:00 in Warsaw, 6:00 in Los Angeles");
        crm.give_outcome(ala, first.id, done.id, None, "", None).await.unwrap();
        assert_eq!(crm.next_number(ala).await.unwrap(), None, "{b}: not yet daytime everywhere in the US");
        let f = crm::outbound::base::NumberFilter { list: Some(abroad.id), ..Default::default() };
        let rows = crm.number_base(m, &f, 1, 10).await.unwrap().rows;
        let why = crm.why_not_now_of(org, &rows).await.unwrap();
        assert_eq!(why[0], Some(NotNow::OutsideWindow { country: "US".into() }), "{b}");
        to_monday(&crm, 21, 30);
        let ny = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(ny.name, "New York", "{b}: 16:30 in New York, 11:30 in Honolulu");
        crm.give_outcome(ala, ny.id, done.id, None, "", None).await.unwrap();
        // Home: Polish rules — consent required, one call a day, 72 hours' block after a refusal.
        to_monday(&crm, 12, 0);
        let home = crm.create_call_list(m, "Home", "").await.unwrap();
        let rows = [
            NewNumber { typed: "600 200 001".into(), name: "Zgoda".into(), consent: true, ..Default::default() },
            NewNumber { typed: "600 200 002".into(), name: "Bez zgody".into(), ..Default::default() },
            NewNumber { typed: "600 200 003".into(), name: "Odmowa".into(), consent: true, ..Default::default() },
        ];
        crm.add_list_numbers(m, home.id, &rows).await.unwrap();
        crm.set_list_profile(m, home.id, Some(pl.id)).await.unwrap();
        let again = crm.create_call_list(m, "Home again", "").await.unwrap();
        let same = [NewNumber { typed: "600 200 003".into(), consent: true, ..Default::default() }];
        crm.add_list_numbers(m, again.id, &same).await.unwrap();
        crm.set_list_profile(m, again.id, Some(pl.id)).await.unwrap();
        let one = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(one.name, "Zgoda", "{b}");
        crm.give_outcome(ala, one.id, retry.id, None, "", None).await.unwrap();
        let refusal = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(refusal.name, "Odmowa", "{b}: the one without consent is skipped");
        crm.give_outcome(ala, refusal.id, done.id, None, "", None).await.unwrap();
        crm.clock().advance(Duration::minutes(5));
        assert_eq!(crm.next_number(ala).await.unwrap(), None, "{b}: one call a day; the refused number blocked");
        let f = crm::outbound::base::NumberFilter { list: Some(home.id), ..Default::default() };
        let rows = crm.number_base(m, &f, 1, 10).await.unwrap().rows;
        let why = crm.why_not_now_of(org, &rows).await.unwrap();
        assert!(matches!(why[0], Some(NotNow::NotBefore { .. } | NotNow::AttemptsUsed { .. })), "{b}: {:?}", why[0]);
        assert_eq!(why[1], Some(NotNow::NoConsent), "{b}");
        let f = crm::outbound::base::NumberFilter { list: Some(again.id), ..Default::default() };
        let rows = crm.number_base(m, &f, 1, 10).await.unwrap().rows;
        let why = crm.why_not_now_of(org, &rows).await.unwrap();
        assert!(matches!(why[0], Some(NotNow::Blocked { .. })), "{b}: refused in another list: {:?}", why[0]);
        // A day later the daily call is free again; the block holds for its 72 hours.
        crm.clock().advance(Duration::days(1));
        let back = crm.next_number(ala).await.unwrap().unwrap();
        assert_eq!(back.id, one.id, "{b}");
        crm.give_outcome(ala, back.id, done.id, None, "", None).await.unwrap();
        assert_eq!(crm.next_number(ala).await.unwrap(), None, "{b}: still blocked");
        crm.clock().advance(Duration::days(3));
        assert_eq!(crm.next_number(ala).await.unwrap().map(|n| n.list_id), Some(again.id), "{b}: the block ran out");
    }
}

/// A simulated hour of predictive dialing with 10 agents (the crm's clock moved second by
/// second; the real pick, rules and records) keeps abandonment within the 3% cap, lets no
/// abandoned callee wait past 2 s for the message, never dials a do-not-call number or one
/// outside its window, and keeps agents busier than progressive dialing of the same traffic.
#[tokio::test]
async fn a_simulated_hour_of_predictive_dialing_stays_within_the_law() {
    use crm::outbound::compliance::presets;
    use crm::outbound::dialer::DialMode;
    use crm::outbound::simulation::{Traffic, run};
    let mut reports = vec![];
    for mode in [DialMode::Predictive, DialMode::Progressive] {
        let dir = tempfile::tempdir().unwrap();
        let (b, crm) = super::crms(dir.path()).await.into_iter().next().unwrap();
        let o = office(&crm, 10).await;
        let m = &o.manager;
        to_monday(&crm, 9, 0);
        let list = crm.create_call_list(m, "Hour", "").await.unwrap();
        crm.add_list_numbers(m, list.id, &numbers(1, 3000)).await.unwrap();
        // Some numbers are on the do-not-call list, some abroad where it is night.
        for i in (1..3000).step_by(97) {
            let e164 = format!("48600{:03}{:03}", i / 1000, i % 1000);
            crm.add_dnc_number(m, &e164).await.unwrap();
        }
        let night = (0..40).map(|i| NewNumber { typed: format!("+1 212 555 {:04}", 100 + i), ..Default::default() });
        crm.add_list_numbers(m, list.id, &night.collect::<Vec<_>>()).await.unwrap();
        let profile = crm.save_compliance_profile(m, None, &presets()[0].1).await.unwrap();
        crm.set_list_profile(m, list.id, Some(profile.id)).await.unwrap();
        crm.set_dial_mode(m, list.id, mode).await.unwrap();
        let outcome = crm.add_list_outcome(m, "Done", Kind::Final, 0).await.unwrap();
        let r = run(&crm, &o.agents, list.id, outcome.id, mode, &Traffic::default()).await.unwrap();
        println!("{b} {mode:?}: {r:?}");
        assert_eq!((r.dialled_dnc, r.dialled_outside_window), (0, 0), "{b} {mode:?}");
        assert!(r.abandonment <= 0.03, "{b} {mode:?}: abandonment {:.3}", r.abandonment);
        assert!(r.longest_message_delay <= 2.0, "{b} {mode:?}: {}", r.longest_message_delay);
        let ab = crm.abandonment(m.org_id, list.id).await.unwrap();
        assert_eq!(
            (ab.abandoned, ab.answered),
            (u64::from(r.abandoned), u64::from(r.answered)),
            "{b}: kept as evidence"
        );
        reports.push(r);
    }
    let (predictive, progressive) = (&reports[0], &reports[1]);
    assert_eq!(progressive.abandoned, 0, "the agent's phone first: nobody answers into silence");
    assert!(predictive.predictive_seconds > 0, "predictive paced ahead once it had history");
    assert!(
        predictive.occupancy > progressive.occupancy,
        "predictive keeps agents busier: {:.2} against {:.2}",
        predictive.occupancy,
        progressive.occupancy
    );
}

/// Managers paste numbers onto the do-not-call list: a line that is no number refuses the
/// paste and adds nothing; the rest are read in the organization's country, once each; the
/// pick never hands them out; a number taken off is handed out again.
#[tokio::test]
async fn a_pasted_do_not_call_list_is_all_or_nothing_and_never_dialled() {
    let dir = tempfile::tempdir().unwrap();
    for (b, store) in store::testing::backends(dir.path()).await {
        let settings = crm::CrmSettings { files: dir.path().join(format!("files-{b}")), ..Default::default() };
        let crm = Crm::start_with(store, settings).await.unwrap();
        let o = office(&crm, 1).await;
        let list = crm.create_call_list(&o.manager, "Autumn", "").await.unwrap();
        crm.add_list_numbers(&o.manager, list.id, &numbers(1, 2)).await.unwrap();
        let refused = crm.add_dnc_numbers(&o.manager, "600 000 001\nnot a number\n600 000 002; 12").await.unwrap();
        assert_eq!(refused, Err(crm::outbound::dnc::BadLines(vec![2, 3])), "{b}");
        assert_eq!(crm.dnc_count(o.manager.org_id).await.unwrap(), 0, "{b}: nothing added");
        let added = crm.add_dnc_numbers(&o.manager, "600 000 001, +48 600 000 001\n600000002").await.unwrap();
        assert_eq!(added, Ok(2), "{b}: once each");
        assert_eq!(crm.add_dnc_numbers(&o.manager, "600 000 001").await.unwrap(), Ok(0), "{b}: already there");
        assert!(matches!(crm.add_dnc_numbers(&o.agents[0], "600 000 003").await, Err(crm::CrmError::Forbidden)));
        // Both listed numbers are on it: nothing to hand out.
        assert!(crm.next_number(&o.agents[0]).await.unwrap().is_none(), "{b}");
        let found = crm.dnc_numbers(&o.manager, "000 002", 10).await.unwrap();
        assert_eq!(found.len(), 1, "{b}");
        crm.remove_dnc_number(&o.manager, found[0].id).await.unwrap();
        let n = crm.next_number(&o.agents[0]).await.unwrap().expect("handed out again");
        assert_eq!(n.number, "48600000002", "{b}");
    }
}
