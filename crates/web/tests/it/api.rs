use crate::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in
        ["/api/v1/me", "/api/v1/users", "/api/v1/users/{id}", "/api/v1/tokens", "/api/v1/tokens/{id}", "/api/v1/events"]
    {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The choices are the types' own: a call command is one of its variants, a missed call's
    // state one of its states.
    let schemas = &doc["components"]["schemas"];
    let commands = schemas["CommandIn"].to_string();
    for c in ["hold", "consult_complete", "conference_leave", "dtmf", "digits", "blind_transfer"] {
        assert!(commands.contains(&format!("\"{c}\"")), "{c} in {commands}");
    }
    let states = &schemas["MissedOut"]["properties"]["state"]["enum"];
    assert_eq!(states, &json!(["visible", "hidden", "removed"]), "{}", schemas["MissedOut"]);
}

#[tokio::test]
async fn errors_are_problem_documents_and_change_nothing() {
    let app = TestApp::spawn().await;
    let c = reqwest::Client::new();
    let r = c.get(app.url("/api/v1/users")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!((p["status"].as_u64(), p["code"].as_str()), (Some(401), Some("err-auth")));

    let admin = app.token_for(&app.acme_admin).await;
    let r = c
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let bad = json!({"username": "x y", "full_name": "X", "extension": "9", "role": "boss", "password": "pw"});
    let r = c.post(app.url("/api/v1/users")).bearer_auth(&admin).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["username", "extension", "role", "password"]);
    assert!(p["errors"][1]["message"].as_str().unwrap().contains("2 to 8 digits"));

    let agent = app.token_for(&app.acme_agent).await;
    let ok = json!({"username": "celina", "full_name": "Celina", "extension": "150", "role": "agent", "password": "celina-pass"});
    let r = c.post(app.url("/api/v1/users")).bearer_auth(&agent).json(&ok).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "agents cannot create users");
    assert_eq!(app.crm.users(app.acme_admin.org_id).await.unwrap().len(), 2, "nothing written");

    let r = c.post(app.url("/api/v1/users")).bearer_auth(&admin).json(&ok).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let u: Value = r.json().await.unwrap();
    assert_eq!(u["extension"], "150");
    let r = c.post(app.url("/api/v1/users")).bearer_auth(&admin).json(&ok).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    let id = u["id"].as_i64().unwrap();
    let r = c
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"extension": "151", "role": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let still: Value =
        c.get(app.url(&format!("/api/v1/users/{id}"))).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(still["extension"], "150", "a rejected change changes nothing");
    let r = c
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"unknown": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "unknown fields are refused");
    let r = c.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["content-type"].to_str().unwrap()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
}

#[tokio::test]
async fn tokens_over_the_api() {
    let app = TestApp::spawn().await;
    let c = reqwest::Client::new();
    let t = app.token_for(&app.acme_agent).await;
    let r = c.post(app.url("/api/v1/tokens")).bearer_auth(&t).json(&json!({"name": "second"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.unwrap();
    let second = made["token"].as_str().unwrap().to_string();
    let list: Value = c.get(app.url("/api/v1/tokens")).bearer_auth(&second).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let id = made["info"]["id"].as_i64().unwrap();
    let r = c.delete(app.url(&format!("/api/v1/tokens/{id}"))).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        c.get(app.url("/api/v1/me")).bearer_auth(&second).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

/// The telephony set-up over the API with an administrator's token: a trunk, a number and dial
/// rules added, changed and removed with the pages' checks; an agent's token is refused; a bad
/// change is a problem document in the token user's language and changes nothing.
#[tokio::test]
async fn telephony_is_set_up_changed_and_removed_over_the_api() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(&app.acme_admin).await;
    let agent = app.token_for(&app.acme_agent).await;
    let c = reqwest::Client::new();
    let url = |p: &str| app.url(&format!("/api/v1{p}"));
    let r = c.get(url("/trunks")).bearer_auth(&agent).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "agents do not set up telephony");
    let t: Value = c
        .post(url("/trunks"))
        .bearer_auth(&admin)
        .json(&json!({"name": "carier", "host": "192.0.2.1", "password": "s3cret"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((t["port"].as_i64(), t["has_password"].as_bool()), (Some(5060), Some(true)), "{t}");
    assert!(t.get("password").is_none(), "a password is never read back");
    let id = t["id"].as_i64().unwrap();
    let bad = c
        .put(url(&format!("/trunks/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "carrier", "host": "192.0.2.1", "port": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fixed: Value = c
        .put(url(&format!("/trunks/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "carrier", "host": "192.0.2.2"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((fixed["name"].as_str(), fixed["host"].as_str()), (Some("carrier"), Some("192.0.2.2")));
    assert_eq!(fixed["has_password"], true, "an absent password keeps the one it had");
    // A number to an extension, changed; dial rules replaced as a whole, a bad set refused.
    let n: Value = c
        .post(url("/numbers"))
        .bearer_auth(&admin)
        .json(&json!({"number": "+48 22 123 45 00", "extension": "101"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n["number"], "48221234500", "{n}");
    let nid = n["id"].as_i64().unwrap();
    let r = c
        .put(url(&format!("/numbers/{nid}")))
        .bearer_auth(&admin)
        .json(&json!({"number": "48221234501", "extension": "100"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rules = json!([{"prefix": "0", "allow": true}, {"prefix": "0700", "allow": false}]);
    let r = c.put(url("/dial-rules")).bearer_auth(&admin).json(&rules).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let twice = json!([{"prefix": "0", "allow": true}, {"prefix": "0", "allow": false}]);
    let r = c.put(url("/dial-rules")).bearer_auth(&admin).json(&twice).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let now: Value = c.get(url("/dial-rules")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(now, rules, "the refused set changed nothing");
    // Removed; another organization's is not found.
    let other = app.token_for(&app.globex_admin).await;
    let r = c.delete(url(&format!("/trunks/{id}"))).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for path in [format!("/numbers/{nid}"), format!("/trunks/{id}")] {
        let r = c.delete(url(&path)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{path}");
    }
    let left: Value = c.get(url("/trunks")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(left, json!([]));
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    for p in ["/api/v1/trunks", "/api/v1/trunks/{id}", "/api/v1/numbers", "/api/v1/numbers/{id}", "/api/v1/dial-rules"]
    {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
}

/// Queues, agents' states and supervision over the API: a manager sets up a queue with its
/// members and a callback offer, changes and removes it; bad input is refused with its field and
/// changes nothing; an agent sets their own state and sees no queue; a manager sees every agent.
#[tokio::test]
async fn queues_and_agent_states_are_set_up_and_read_over_the_api() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(&app.acme_admin).await;
    let agent = app.token_for(&app.acme_agent).await;
    let c = reqwest::Client::new();
    let url = |p: &str| app.url(&format!("/api/v1{p}"));
    let bob = app.acme_agent.id.0;
    let r = c.get(url("/queues")).bearer_auth(&agent).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "agents do not set up queues");
    let q: Value = c
        .post(url("/queues"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Support", "callback_minutes": 30, "language": "pl",
            "exit": {"kind": "extension", "extension": "100"}, "members": [{"user_id": bob, "penalty": 0}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((q["callback_minutes"].as_i64(), q["language"].as_str()), (Some(30), Some("pl")), "{q}");
    assert_eq!(q["exit"], json!({"kind": "extension", "extension": "100"}));
    assert_eq!(q["members"], json!([{"user_id": bob, "penalty": 0}]));
    assert_eq!(q["strategy"], "longest_idle", "the defaults of a new queue");
    let id = q["id"].as_i64().unwrap();
    // Bad input: its field named, nothing changed (members checked before the queue is saved).
    for (body, field) in [
        (json!({"name": "Support", "callback_minutes": 2}), "callback_minutes"),
        (json!({"name": "Support", "strategy": "loudest"}), "strategy"),
        (json!({"name": "Renamed", "members": [{"user_id": 999_999}]}), "members"),
    ] {
        let r = c.put(url(&format!("/queues/{id}"))).bearer_auth(&admin).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let list: Value = c.get(url("/queues")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!((list[0]["name"].as_str(), list[0]["callback_minutes"].as_i64()), (Some("Support"), Some(30)));
    let changed: Value = c
        .put(url(&format!("/queues/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "Support line", "strategy": "round_robin", "members": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (changed["strategy"].as_str(), changed["members"].as_array().map(Vec::len)),
        (Some("round_robin"), Some(0))
    );
    // The agent's own state; a manager sees everyone's and sets it.
    let me: Value = c.get(url("/me/status")).bearer_auth(&agent).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["state"], "logged_out");
    let me: Value = c
        .put(url("/me/status"))
        .bearer_auth(&agent)
        .json(&json!({"state": "available"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((me["state"].as_str(), me["available"].as_bool()), (Some("available"), Some(true)));
    let r = c
        .put(url("/me/status"))
        .bearer_auth(&agent)
        .json(&json!({"state": "unavailable", "reason_id": 77}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "an unknown reason");
    let r = c.get(url("/agents")).bearer_auth(&agent).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "agents do not watch the others");
    let all: Value = c.get(url("/agents")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    let bob_now = all.as_array().unwrap().iter().find(|a| a["user_id"] == bob).unwrap();
    assert_eq!(bob_now["state"], "available", "{all}");
    let r = c
        .put(url(&format!("/agents/{bob}/status")))
        .bearer_auth(&admin)
        .json(&json!({"state": "logged_out"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let waiting: Value = c.get(url("/queues/waiting")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(waiting, json!([]));
    let r = c
        .post(url("/calls/sb-0000000000000000/supervision"))
        .bearer_auth(&admin)
        .json(&json!({"mode": "listen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "no such call in progress");
    let r = c.delete(url(&format!("/queues/{id}"))).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let list: Value = c.get(url("/queues")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(list, json!([]), "a removed queue is out of use");
    let doc: Value = c.get(url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for p in [
        "/api/v1/queues",
        "/api/v1/queues/{id}",
        "/api/v1/me/status",
        "/api/v1/agents",
        "/api/v1/calls/{id}/supervision",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} in the OpenAPI document");
    }
}

/// Call lists over the API: a manager starts a list, adds numbers (one refused, one twice) and
/// an outcome; an agent takes the next number, may not take another before giving an outcome,
/// gives one, and is told when nothing is left; the number says why it is not handed out.
#[tokio::test]
async fn a_call_list_is_worked_over_the_api() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(&app.acme_admin).await;
    let agent = app.token_for(&app.acme_agent).await;
    let c = reqwest::Client::new();
    let url = |p: &str| app.url(&format!("/api/v1{p}"));
    let post = |p: &str, token: &str, body: Value| c.post(url(p)).bearer_auth(token.to_string()).json(&body).send();
    let r = post("/call-lists", &agent, json!({"name": "Mine"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "agents do not start lists");
    let list: Value = post("/call-lists", &admin, json!({"name": "Autumn"})).await.unwrap().json().await.unwrap();
    let id = list["id"].as_i64().unwrap();
    let numbers =
        json!({"numbers": [{"number": "600 100 001", "name": "Nowak"}, {"number": "+48600100001"}, {"number": "abc"}]});
    let added: Value = post(&format!("/call-lists/{id}/numbers"), &admin, numbers).await.unwrap().json().await.unwrap();
    assert_eq!(added, json!({"added": 1, "duplicates": 1, "invalid": [3]}));
    let bad = post("/call-lists/outcomes", &admin, json!({"name": "Later", "kind": "someday"})).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done: Value = post("/call-lists/outcomes", &admin, json!({"name": "Finished", "kind": "final"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let n: Value = post("/call-lists/next", &agent, json!({})).await.unwrap().json().await.unwrap();
    assert_eq!((n["number"].as_str(), n["name"].as_str()), (Some("48600100001"), Some("Nowak")), "{n}");
    let nid = n["id"].as_i64().unwrap();
    let r = post("/call-lists/next", &agent, json!({})).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "an outcome before the next number");
    let detail: Value = c
        .get(url(&format!("/call-lists/numbers/{nid}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["not_now"]["why"], "held_by", "{detail}");
    let out = json!({"outcome_id": done["id"], "note": "bought"});
    let r = post(&format!("/call-lists/numbers/{nid}/outcome"), &agent, out).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = post("/call-lists/next", &agent, json!({})).await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "nothing left");
    let detail: Value = c
        .get(url(&format!("/call-lists/numbers/{nid}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (detail["not_now"]["why"].as_str(), detail["history"][0]["note"].as_str()),
        (Some("done"), Some("bought"))
    );
}
