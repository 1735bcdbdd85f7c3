//! The organization's settings: only administrators change them; times everywhere follow its
//! time zone; wrong values are refused and change nothing.

use crate::{TestApp, inbound, location};
use chrono::TimeZone;
use reqwest::StatusCode;
use telephony::events::{CallEventKind, EndCause};

#[tokio::test]
async fn the_time_zone_an_administrator_chooses_is_the_one_times_are_shown_in() {
    let app = TestApp::spawn().await;
    let at = chrono::Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap();
    let ended = CallEventKind::Ended { cause: EndCause::NoAnswer };
    app.call_event(inbound(app.acme_admin.org_id, "in-1", "48600111222", None, at, ended)).await;
    let bob = app.browser_as("bob").await;
    let page = app.get(&bob, "/missed").await.text().await.unwrap();
    assert!(page.contains("1 Jul 2026 12:00"), "Warsaw in summer is UTC+2: {page}");
    assert_eq!(app.get(&bob, "/admin/organization").await.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_form(
            &bob,
            "/missed",
            "/admin/organization",
            &[("name", "X"), ("time_zone", "UTC"), ("default_country", "PL")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "an agent changes nothing");

    let alice = app.browser_as("alice").await;
    let page = app.get(&alice, "/admin/organization").await.text().await.unwrap();
    assert!(page.contains("<option selected>Europe/Warsaw</option>") && page.contains("value=\"Acme\""));
    let fields = [("name", "Acme Israel"), ("time_zone", "Asia/Jerusalem"), ("default_country", "IL")];
    let r = app.post_form(&alice, "/admin/organization", "/admin/organization", &fields).await;
    assert_eq!(location(&r), "/admin/organization?ok=settings-saved");
    let page = app.get(&bob, "/missed").await.text().await.unwrap();
    assert!(page.contains("1 Jul 2026 13:00"), "Jerusalem in summer is UTC+3");
    let o = app.crm.org(app.acme_admin.org_id).await.unwrap();
    assert_eq!(
        (o.name.as_str(), o.time_zone.as_str(), o.default_country.as_str()),
        ("Acme Israel", "Asia/Jerusalem", "IL")
    );
    // Numbers typed from now on are Israeli ones.
    let c =
        crm::contacts::NewContact { last_name: "Cohen".into(), phone1: "052-123-4567".into(), ..Default::default() };
    assert_eq!(app.crm.create_contact(o.id, c).await.unwrap().phone1_e164, "972521234567");

    // Wrong values: each named, nothing changed.
    let bad = [("name", ""), ("time_zone", "Mars/Olympus_Mons"), ("default_country", "XX")];
    let r = app.post_form(&alice, "/admin/organization", "/admin/organization", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Give a name of 1 to 100 characters."), "{page}");
    for (tz, country, message) in [
        ("Mars/Olympus_Mons", "PL", "Choose a time zone from the list."),
        ("UTC", "XX", "Choose a country from the list."),
    ] {
        let f = [("name", "Acme"), ("time_zone", tz), ("default_country", country)];
        let r = app.post_form(&alice, "/admin/organization", "/admin/organization", &f).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains(message));
    }
    assert_eq!(app.crm.org(o.id).await.unwrap().time_zone, "Asia/Jerusalem", "unchanged");
    assert_eq!(app.crm.org(app.globex_admin.org_id).await.unwrap().time_zone, "Europe/Warsaw", "the other one too");
}
