//! `/api/v2` served to resellers (SPEC §7, issue 11): raw requests as PHP and Python
//! clients send them (form body, query string, JSON body), the exact reply shapes,
//! errors as `{"error"}` with HTTP 200, key isolation, and a standard client (the
//! panel's own provider client) using the panel as its provider.

use std::time::Duration;

use serde_json::{json, Value};
use smm_panel::provider::client::{NewProviderOrder, ProviderClient};
use smm_panel::provider::sim::SimArgs;

use crate::helpers::*;

/// The user's API key, from `/api/user/me`.
fn api_key(app: &TestApp, token: &str) -> String {
    json(app.api().get("/api/user/me", Some(token)), 200)["apiKey"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A form-encoded POST, as PHP's curl and Python's requests send it; the JSON reply
/// (whatever the status) and the status.
fn form(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Value) {
    smm_panel::provider::client::install_crypto_provider();
    let response = reqwest::blocking::Client::new()
        .post(app.url("/api/v2"))
        .form(fields)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.text().unwrap();
    assert!(content_type.starts_with("application/json"), "{content_type}: {body}");
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

/// Asserts a `{"error": …}` reply with HTTP 200, and returns the message.
fn refused(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let (status, body) = form(app, fields);
    assert_eq!(status, 200, "{fields:?}: {body}");
    let object = body.as_object().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(object.len(), 1, "only the error: {body}");
    let message = body["error"].as_str().unwrap_or_else(|| panic!("{body}"));
    assert!(!message.is_empty());
    message.to_string()
}

struct Reseller {
    app: TestApp,
    shop: Shop,
    service: i64,
    user: i64,
    token: String,
    key: String,
}

fn reseller(step_secs: u64) -> Reseller {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs,
        ..sim_args("v2-sim-key-1")
    });
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("reseller@example.com", "1000");
    let key = api_key(&app, &token);
    Reseller {
        app,
        shop,
        service,
        user,
        token,
        key,
    }
}

#[test]
fn every_action_answers_in_the_wire_shapes_over_form_query_and_json() {
    let Reseller {
        app,
        shop,
        service,
        user,
        token,
        key,
    } = reseller(0);
    let service_text = service.to_string();

    let (status, services) = form(&app, &[("key", &key), ("action", "services")]);
    assert_eq!(status, 200);
    let listed = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == service)
        .unwrap_or_else(|| panic!("{services}"));
    assert!(listed["service"].is_i64(), "ids are numbers");
    for text in ["name", "type", "category", "rate", "min", "max"] {
        assert!(listed[text].is_string(), "{text} is a string: {listed}");
    }
    assert!(listed["refill"].is_boolean() && listed["cancel"].is_boolean());
    // Sim service 1 is 0.90 USD per 1000 at cost, at 100 BDT/USD.
    assert_eq!(listed["rate"], "90.00");

    // add: form body, query string, JSON body with numbers.
    let (_, added) = form(
        &app,
        &[
            ("key", &key),
            ("action", "add"),
            ("service", &service_text),
            ("link", "https://x.com/v2-form"),
            ("quantity", "1000"),
        ],
    );
    let by_form = added["order"].as_i64().unwrap_or_else(|| panic!("{added}"));
    assert_eq!(added.as_object().unwrap().len(), 1, "{added}");
    let by_query: Value = reqwest::blocking::get(app.url(&format!(
        "/api/v2?key={key}&action=add&service={service}&link=https%3A%2F%2Fx.com%2Fv2-query&quantity=500"
    )))
    .unwrap()
    .json()
    .unwrap();
    let by_query = by_query["order"].as_i64().unwrap_or_else(|| panic!("{by_query}"));
    let by_json: Value = reqwest::blocking::Client::new()
        .post(app.url("/api/v2"))
        .json(
            &json!({"key": key, "action": "add", "service": service, "link": "https://x.com/v2-json", "quantity": 200}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    let by_json = by_json["order"].as_i64().unwrap_or_else(|| panic!("{by_json}"));
    // Placed like any order: charged, forwarded, listed for the user.
    let (balance, ledger) = app.balance_and_ledger_sum(user);
    assert_eq!(balance, 1_000_000_000 - 90_000_000 - 45_000_000 - 18_000_000);
    assert_eq!(balance, ledger);
    for id in [by_form, by_query, by_json] {
        app.wait_for_order(&token, id, &["accepted"]);
    }
    assert_eq!(sim_orders(&shop.sim).len(), 3);

    let (_, one) = form(
        &app,
        &[("key", &key), ("action", "status"), ("order", &by_form.to_string())],
    );
    for text in ["charge", "start_count", "status", "remains", "currency"] {
        assert!(one[text].is_string(), "{text} is a string: {one}");
    }
    assert_eq!(one["charge"], "90.00");
    assert_eq!(one["currency"], "BDT");
    assert!(
        ["Pending", "In progress", "Completed"].contains(&one["status"].as_str().unwrap()),
        "{one}"
    );

    app.sync_round(&shop.admin_token);
    let list = format!("{by_form},{by_query}, 999999");
    let (_, many) = form(&app, &[("key", &key), ("action", "status"), ("orders", &list)]);
    assert_eq!(many[by_form.to_string()]["status"], "Completed", "{many}");
    assert_eq!(many[by_form.to_string()]["remains"], "0", "{many}");
    assert_eq!(many[by_query.to_string()]["charge"], "45.00");
    assert_eq!(many["999999"], json!({"error": "Incorrect order ID"}));

    let (_, balance_reply) = form(&app, &[("key", &key), ("action", "balance")]);
    assert_eq!(balance_reply, json!({"balance": "847.00", "currency": "BDT"}));
    app.assert_ledger_reconciles();
}

#[test]
fn mistakes_are_error_objects_with_http_200_and_change_nothing() {
    let Reseller {
        app,
        service,
        user,
        key,
        ..
    } = reseller(30);
    let service = service.to_string();
    assert_eq!(refused(&app, &[("action", "balance")]), "Invalid API key");
    assert_eq!(
        refused(&app, &[("key", "not-a-key"), ("action", "balance")]),
        "Invalid API key"
    );
    refused(&app, &[("key", &key)]);
    refused(&app, &[("key", &key), ("action", "explode")]);
    let add = |extra: &[(&'static str, &str)]| {
        let mut fields = vec![("key", key.as_str()), ("action", "add")];
        fields.extend_from_slice(extra);
        refused(&app, &fields)
    };
    assert_eq!(
        add(&[("link", "https://x.com/a"), ("quantity", "100")]),
        "Incorrect service ID"
    );
    assert_eq!(
        add(&[("service", "999999"), ("link", "https://x.com/a"), ("quantity", "100")]),
        "Incorrect service ID"
    );
    assert!(add(&[("service", &service), ("link", "not a link"), ("quantity", "100")]).contains("link"));
    assert!(add(&[("service", &service), ("link", "https://x.com/a"), ("quantity", "5")]).contains("between"));
    assert!(add(&[("service", &service), ("link", "https://x.com/a"), ("quantity", "1e3")]).contains("whole number"));
    let (_, poor_token) = app.customer("poor@example.com", "1");
    let poor_key = api_key(&app, &poor_token);
    let poor = refused(
        &app,
        &[
            ("key", &poor_key),
            ("action", "add"),
            ("service", &service),
            ("link", "https://x.com/a"),
            ("quantity", "100"),
        ],
    );
    assert!(poor.contains("balance"), "{poor}");
    assert!(add(&[
        ("service", &service),
        ("link", "https://x.com/a"),
        ("quantity", "100"),
        ("runs", "5"),
        ("interval", "10")
    ])
    .contains("drip-feed"));
    assert!(add(&[
        ("service", &service),
        ("link", "https://x.com/a"),
        ("quantity", "100"),
        ("comments", "nice\ngreat")
    ])
    .contains("comments"));
    refused(&app, &[("key", &key), ("action", "status")]);
    assert_eq!(
        refused(&app, &[("key", &key), ("action", "status"), ("order", "abc")]),
        "Incorrect order ID"
    );
    let too_many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    refused(
        &app,
        &[("key", &key), ("action", "status"), ("orders", &too_many.join(","))],
    );
    // A JSON body that is not an object, and a GET with nothing.
    let broken: Value = reqwest::blocking::Client::new()
        .post(app.url("/api/v2"))
        .header("content-type", "application/json")
        .body("[1,2")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(broken["error"].is_string(), "{broken}");
    let bare = reqwest::blocking::get(app.url("/api/v2")).unwrap();
    assert_eq!(bare.status(), 200);
    assert!(bare.json::<Value>().unwrap()["error"].is_string());

    assert_eq!(
        app.balance_and_ledger_sum(user),
        (1_000_000_000, 1_000_000_000),
        "nothing charged"
    );
    assert_eq!(
        app.count_forward_state("queued") + app.count_forward_state("accepted"),
        0
    );
}

#[test]
fn one_key_never_sees_another_users_orders_and_a_disabled_key_is_refused() {
    let Reseller {
        app,
        shop,
        service,
        key,
        ..
    } = reseller(30);
    let (other, other_token) = app.customer("other@example.com", "100");
    let other_key = api_key(&app, &other_token);
    let (_, added) = form(
        &app,
        &[
            ("key", &key),
            ("action", "add"),
            ("service", &service.to_string()),
            ("link", "https://x.com/mine"),
            ("quantity", "100"),
        ],
    );
    let mine = added["order"].as_i64().unwrap().to_string();
    assert_eq!(
        refused(&app, &[("key", &other_key), ("action", "status"), ("order", &mine)]),
        "Incorrect order ID"
    );
    let (_, many) = form(&app, &[("key", &other_key), ("action", "status"), ("orders", &mine)]);
    assert_eq!(many, json!({ mine.clone(): {"error": "Incorrect order ID"} }));
    let (_, own) = form(&app, &[("key", &key), ("action", "status"), ("order", &mine)]);
    assert!(own["status"].is_string(), "{own}");

    json(
        app.api().patch(
            &format!("/api/admin/users/{other}"),
            &json!({"disabled": true}),
            Some(&shop.admin_token),
        ),
        200,
    );
    assert_eq!(
        refused(&app, &[("key", &other_key), ("action", "balance")]),
        "This account is disabled"
    );
}

#[test]
fn a_standard_client_uses_the_panel_as_its_provider() {
    let Reseller { app, service, key, .. } = reseller(0);
    let client = ProviderClient::new(
        "Parent panel".into(),
        url::Url::parse(&app.url("/api/v2")).unwrap(),
        key,
        Duration::from_secs(10),
    );
    let services = client.services().unwrap();
    let listed = services.iter().find(|s| s.service == service.to_string()).unwrap();
    assert_eq!(listed.rate.to_string(), "90");
    let id = client
        .add(&NewProviderOrder {
            service: service.to_string(),
            link: "https://x.com/child".into(),
            quantity: 1000,
            runs: None,
            interval: None,
            comments: None,
        })
        .unwrap();
    let reply = client.status(&id).unwrap();
    assert_eq!(reply.currency.as_deref(), Some("BDT"));
    let many = client.statuses(&[id.clone(), "424242".into()]).unwrap();
    assert!(many[&id].is_ok());
    assert!(many["424242"].is_err());
    let balance = client.balance().unwrap();
    assert_eq!(balance.currency, "BDT");
    assert_eq!(balance.balance.to_string(), "910.00");
}

#[test]
fn api_v2_is_rate_limited_in_its_own_error_shape() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MIN", "3")]);
    smm_panel::provider::client::install_crypto_provider();
    wait_for_room_in_the_minute(10.0);
    let mut last = None;
    for _ in 0..4 {
        last = Some(
            reqwest::blocking::Client::new()
                .post(app.url("/api/v2"))
                .form(&[("key", "x"), ("action", "balance")])
                .send()
                .unwrap(),
        );
    }
    let response = last.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().unwrap();
    assert!(body["error"].as_str().unwrap().contains("Too many requests"), "{body}");
}

#[test]
fn drip_feed_and_custom_comments_orders_are_priced_on_the_total_and_forwarded_per_run() {
    let Reseller {
        app,
        shop,
        user,
        token,
        key,
        ..
    } = reseller(30);
    // Sim service 4 takes drip-feed (0.15 USD per 1000 at cost: 15.00 BDT per 1000).
    let drip = app.service_id(&shop, "4").to_string();
    let (_, added) = form(
        &app,
        &[
            ("key", &key),
            ("action", "add"),
            ("service", &drip),
            ("link", "https://x.com/drip"),
            ("quantity", "100"),
            ("runs", "5"),
            ("interval", "30"),
        ],
    );
    let id = added["order"].as_i64().unwrap_or_else(|| panic!("{added}"));
    let order = app.wait_for_order(&token, id, &["accepted"]);
    assert_eq!(order["quantity"], 500, "the order is the total of its runs");
    assert_eq!(order["charge"], "7.50", "priced on 500");
    let sold: Vec<Value> = reqwest::blocking::get(format!("{}/sim/orders", shop.sim.base_url()))
        .unwrap()
        .json()
        .unwrap();
    // The sim records runs × quantity: 500 means it was sent 100 per run (500 sent
    // per run would read 2500).
    assert_eq!(sold[0]["quantity"], 500, "sent as 100 per run × 5 runs");
    for (fields, message) in [
        (vec![("runs", "5")], "interval"),
        (vec![("runs", "1"), ("interval", "30")], "runs"),
        (vec![("runs", "5"), ("interval", "0")], "interval"),
    ] {
        let mut all = vec![
            ("key", key.as_str()),
            ("action", "add"),
            ("service", drip.as_str()),
            ("link", "https://x.com/drip-bad"),
            ("quantity", "100"),
        ];
        all.extend(fields);
        assert!(refused(&app, &all).contains(message), "{all:?}");
    }

    // A comments service (made by the admin): the quantity is the number of lines.
    let category =
        json(app.api().get("/api/admin/services", Some(&shop.admin_token)), 200)["items"][0]["categoryId"].clone();
    let comments = json(
        app.api().post(
            "/api/admin/services",
            &json!({"categoryId": category, "name": "Custom comments", "rateUsdPer1000": "10", "min": 1, "max": 100,
                "mode": "manual", "type": "Custom Comments"}),
            Some(&shop.admin_token),
        ),
        201,
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let add_comments = |text: &str| {
        reqwest::blocking::Client::new()
            .post(app.url("/api/v2"))
            .json(
                &json!({"key": key, "action": "add", "service": comments, "link": "https://x.com/c", "comments": text}),
            )
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap()
    };
    let placed = add_comments("great post\n\nnice one\nlove it\n");
    let placed = placed["order"].as_i64().unwrap_or_else(|| panic!("{placed}"));
    let order = json(app.api().get(&format!("/api/user/orders/{placed}"), Some(&token)), 200);
    assert_eq!(
        (order["quantity"].as_i64(), order["charge"].as_str()),
        (Some(3), Some("3.00"))
    );
    assert!(add_comments("  \n ")["error"].as_str().unwrap().contains("comments"));
    assert!(refused(
        &app,
        &[
            ("key", &key),
            ("action", "add"),
            ("service", &comments),
            ("link", "https://x.com/c"),
            ("quantity", "3")
        ]
    )
    .contains("comments"));
    let (balance, ledger) = app.balance_and_ledger_sum(user);
    assert_eq!(balance, 1_000_000_000 - 7_500_000 - 3_000_000);
    assert_eq!(balance, ledger);
}

#[test]
fn a_key_sent_in_the_query_string_never_reaches_the_log() {
    smm_panel::provider::client::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(&dir);
    let env = test_env(&dir, &db, &[]);
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_smm-panel"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("BIND", format!("127.0.0.1:{port}"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until(Duration::from_secs(30), "serve to answer", || {
        reqwest::blocking::get(format!("{base}/healthz"))
            .ok()
            .filter(|r| r.status().is_success())
    });
    let secret = "query-string-key-1234567890";
    let reply: Value = reqwest::blocking::get(format!("{base}/api/v2?key={secret}&action=balance"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(reply["error"], "Invalid API key");
    let mut child = child;
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("GET /api/v2"), "the request is logged: {log}");
    assert!(!log.contains(secret), "but never its key: {log}");
}
