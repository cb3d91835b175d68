//! Refill and cancel, end to end (issue 11): the customer's request, its rules, the
//! worker forwarding it to provider-sim, the sync round following it, the refund, the
//! admin's lists and resolutions, and the same through API v2.

use std::time::Duration;

use serde_json::{json, Value};
use smm_panel::provider::sim::{SimArgs, SimHandle};

use crate::helpers::*;

fn place(app: &TestApp, token: &str, service: i64, link: &str, qty: i64) -> i64 {
    let placed = json(
        app.api().post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": link, "qty": qty}),
            Some(token),
        ),
        201,
    );
    placed["orders"][0]["id"].as_i64().unwrap()
}

fn ask(app: &TestApp, token: &str, id: i64, kind: &str) -> reqwest::blocking::Response {
    app.api()
        .post(&format!("/api/user/orders/{id}/{kind}"), &json!({}), Some(token))
}

/// The admin's view of request `id` (from `/api/admin/refills` or `/api/admin/cancels`).
fn admin_request(app: &TestApp, admin: &str, kind: &str, id: i64) -> Value {
    let list = json(
        app.api().get(&format!("/api/admin/{kind}s?perPage=500"), Some(admin)),
        200,
    );
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("request {id} in {list}"))
}

fn wait_request(app: &TestApp, admin: &str, kind: &str, id: i64, states: &[&str]) -> Value {
    wait_until(
        Duration::from_secs(30),
        &format!("{kind} {id} to reach {states:?}"),
        || {
            let request = admin_request(app, admin, kind, id);
            states
                .contains(&request["state"].as_str().unwrap_or_default())
                .then_some(request)
        },
    )
}

fn sim_stats(sim: &SimHandle) -> Value {
    reqwest::blocking::get(format!("{}/sim/stats", sim.base_url()))
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn a_cancel_before_sending_refunds_at_once_and_nothing_is_bought() {
    let app = spawn_app_with(&[("WORKERS", "1")]);
    let shop = app.shop(sim_args("cancel-early-1"));
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("early@example.com", "1000");
    app.stop_workers();
    let id = place(&app, &token, service, "https://x.com/early", 1000);
    let request = json(ask(&app, &token, id, "cancel"), 201);
    assert_eq!(
        (request["status"].as_str(), request["open"].as_bool()),
        (Some("completed"), Some(false))
    );
    let order = json(app.api().get(&format!("/api/user/orders/{id}"), Some(&token)), 200);
    assert_eq!(order["status"], "canceled");
    assert_eq!(
        app.balance_and_ledger_sum(user),
        (1_000_000_000, 1_000_000_000),
        "refunded in full"
    );
    assert_eq!(error_code(ask(&app, &token, id, "cancel"), 422), "not_allowed");
    assert_eq!(app.count_forward_state("queued"), 0, "out of the queue");
    assert!(sim_orders(&shop.sim).is_empty());
    app.assert_ledger_reconciles();
}

#[test]
fn a_cancel_reaches_the_provider_and_the_sync_settles_it_once() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    // Orders stay Pending at this provider, so they can be canceled there.
    let shop = app.shop(SimArgs {
        step_secs: 3600,
        ..sim_args("cancel-sent-1")
    });
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("cancel@example.com", "1000");
    let id = place(&app, &token, service, "https://x.com/cancel-me", 1000);
    app.wait_for_order(&token, id, &["accepted"]);
    let request = json(ask(&app, &token, id, "cancel"), 201);
    assert_eq!(request["status"], "pending");
    let rid = request["id"].as_i64().unwrap();
    assert_eq!(
        error_code(ask(&app, &token, id, "cancel"), 409),
        "request_open",
        "one at a time"
    );
    let sent = wait_request(&app, &shop.admin_token, "cancel", rid, &["sent", "rejected", "unknown"]);
    assert_eq!(sent["state"], "sent", "{sent}");
    assert_eq!(sim_stats(&shop.sim)["cancel_calls"], 1);
    // Charged until the provider says Canceled; then refunded exactly once.
    assert_eq!(app.balance_and_ledger_sum(user).0, 1_000_000_000 - 90_000_000);
    app.sync_round(&shop.admin_token);
    app.sync_round(&shop.admin_token);
    let order = json(app.api().get(&format!("/api/user/orders/{id}"), Some(&token)), 200);
    assert_eq!(order["status"], "canceled");
    assert_eq!(app.balance_and_ledger_sum(user), (1_000_000_000, 1_000_000_000));
    let done = admin_request(&app, &shop.admin_token, "cancel", rid);
    assert_eq!(
        (done["status"].as_str(), done["open"].as_bool()),
        (Some("completed"), Some(false))
    );
    assert_eq!(sim_orders(&shop.sim).len(), 1);
    app.assert_ledger_reconciles();
}

#[test]
fn a_refill_is_sent_once_and_followed_to_completed() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("refill-1")
    });
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("refill@example.com", "1000");
    let id = place(&app, &token, service, "https://x.com/refill-me", 1000);
    app.wait_for_order(&token, id, &["accepted"]);
    // Not completed yet: no refill.
    assert_eq!(error_code(ask(&app, &token, id, "refill"), 422), "not_allowed");
    app.sync_round(&shop.admin_token);
    let request = json(ask(&app, &token, id, "refill"), 201);
    let rid = request["id"].as_i64().unwrap();
    assert_eq!(error_code(ask(&app, &token, id, "refill"), 409), "request_open");
    let sent = wait_request(&app, &shop.admin_token, "refill", rid, &["sent", "rejected", "unknown"]);
    assert_eq!(sent["state"], "sent", "{sent}");
    assert!(sent["providerRefillId"].as_str().is_some(), "{sent}");
    app.sync_round(&shop.admin_token);
    let done = admin_request(&app, &shop.admin_token, "refill", rid);
    assert_eq!(
        (done["status"].as_str(), done["open"].as_bool()),
        (Some("completed"), Some(false)),
        "{done}"
    );
    assert_eq!(done["providerStatus"], "Completed");
    let stats = sim_stats(&shop.sim);
    assert_eq!(stats["refill_calls"], 1, "sent once: {stats}");
    assert_eq!(stats["refill_status_calls"], 1, "{stats}");
    // A new refill may be asked once the last one is closed; the ledger never moved.
    json(ask(&app, &token, id, "refill"), 201);
    assert_eq!(app.balance_and_ledger_sum(user).0, 1_000_000_000 - 90_000_000);
    app.assert_ledger_reconciles();
}

#[test]
fn refill_and_cancel_follow_the_services_flags_the_period_and_the_owner() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("rules-1")
    });
    let with_both = app.service_id(&shop, "1");
    let with_neither = app.service_id(&shop, "2");
    let (_, token) = app.customer("rules@example.com", "1000");
    let (_, stranger) = app.customer("stranger@example.com", "1000");
    let plain = place(&app, &token, with_neither, "https://x.com/plain", 1000);
    let refillable = place(&app, &token, with_both, "https://x.com/refillable", 1000);
    app.wait_for_order(&token, plain, &["accepted"]);
    assert_eq!(
        error_code(ask(&app, &token, plain, "cancel"), 422),
        "cancel_unavailable"
    );
    app.wait_for_order(&token, refillable, &["accepted"]);
    app.sync_round(&shop.admin_token);
    assert_eq!(
        error_code(ask(&app, &token, plain, "refill"), 422),
        "refill_unavailable"
    );
    // Someone else's order: 404, nothing created.
    assert_eq!(error_code(ask(&app, &stranger, refillable, "refill"), 404), "not_found");
    assert_eq!(error_code(ask(&app, &stranger, refillable, "cancel"), 404), "not_found");
    // Past the refill period.
    {
        use diesel::prelude::*;
        use smm_panel::db::schema::services;
        diesel::update(services::table.find(with_both))
            .set(services::refill_days.eq(0))
            .execute(&mut **app.state.conn().unwrap())
            .unwrap();
    }
    assert_eq!(
        error_code(ask(&app, &token, refillable, "refill"), 422),
        "refill_expired"
    );
    // A completed order cannot be canceled.
    assert_eq!(error_code(ask(&app, &token, refillable, "cancel"), 422), "not_allowed");
    let none = json(app.api().get("/api/admin/refills", Some(&shop.admin_token)), 200);
    assert_eq!(none["total"], 0);
}

#[test]
fn a_refill_with_no_answer_waits_for_an_admin_and_a_refused_one_says_why() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0"), ("PROVIDER_TIMEOUT_SECS", "2")]);
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("refill-faults-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("faults@example.com", "1000");
    let first = place(&app, &token, service, "https://x.com/f1", 1000);
    let second = place(&app, &token, service, "https://x.com/f2", 1000);
    app.wait_for_order(&token, first, &["accepted"]);
    app.wait_for_order(&token, second, &["accepted"]);
    app.sync_round(&shop.admin_token);
    // The provider now answers every call with a 502 HTML page.
    let broken = spawn_sim(SimArgs {
        html_rate: 1.0,
        ..sim_args("refill-faults-1")
    });
    let key = "refill-faults-1";
    let point_at = |url: String| {
        json(
            app.api().patch(
                &format!("/api/admin/providers/{}", shop.provider_id),
                &json!({"apiUrl": url, "apiKey": key}),
                Some(&shop.admin_token),
            ),
            200,
        )
    };
    point_at(broken.api_url());
    let rid = json(ask(&app, &token, first, "refill"), 201)["id"].as_i64().unwrap();
    let held = wait_request(&app, &shop.admin_token, "refill", rid, &["unknown", "sent", "rejected"]);
    assert_eq!(held["state"], "unknown", "never resent blind: {held}");
    assert!(held["error"].as_str().unwrap().contains("502"), "{held}");
    // The admin finds it in the provider's panel and attaches the refill id.
    let attached = json(
        app.api().post(
            &format!("/api/admin/requests/{rid}/resolve"),
            &json!({"action": "attach", "providerRefillId": "1"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    assert_eq!(attached["state"], "sent");
    assert_eq!(app.audit_rows("refill.resolve").len(), 1);

    // A provider that refuses: rejected, with its words for the customer.
    let refusing = spawn_sim(SimArgs {
        error_rate: 1.0,
        ..sim_args("refill-faults-1")
    });
    point_at(refusing.api_url());
    let rid = json(ask(&app, &token, second, "refill"), 201)["id"].as_i64().unwrap();
    let refused = wait_request(&app, &shop.admin_token, "refill", rid, &["rejected", "unknown", "sent"]);
    assert_eq!(refused["state"], "rejected");
    assert_eq!(refused["error"], "Incorrect request");
    let closed = app.api().post(
        &format!("/api/admin/requests/{rid}/resolve"),
        &json!({"action": "complete"}),
        Some(&shop.admin_token),
    );
    assert_eq!(error_code(closed, 409), "request_closed");
}

#[test]
fn api_v2_refill_refill_status_and_cancel() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("v2-requests-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("v2req@example.com", "1000");
    let key = json(app.api().get("/api/user/me", Some(&token)), 200)["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let call = |fields: &[(&str, &str)]| -> Value {
        smm_panel::provider::client::install_crypto_provider();
        let mut all = vec![("key", key.as_str())];
        all.extend_from_slice(fields);
        reqwest::blocking::Client::new()
            .post(app.url("/api/v2"))
            .form(&all)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let done = place(&app, &token, service, "https://x.com/v2-done", 1000);
    app.wait_for_order(&token, done, &["accepted"]);
    app.sync_round(&shop.admin_token);
    let done_text = done.to_string();
    let refill = call(&[("action", "refill"), ("order", &done_text)]);
    let refill_id = refill["refill"]
        .as_str()
        .unwrap_or_else(|| panic!("{refill}"))
        .to_string();
    let again = call(&[("action", "refill"), ("orders", &format!("{done},424242"))]);
    assert_eq!(again[0]["order"], done);
    assert!(
        again[0]["refill"]["error"].as_str().unwrap().contains("already"),
        "{again}"
    );
    assert_eq!(
        again[1],
        json!({"order": 424242, "refill": {"error": "Incorrect order ID"}})
    );
    let status = call(&[("action", "refill_status"), ("refill", &refill_id)]);
    assert!(status["status"].is_string(), "{status}");
    let many = call(&[("action", "refill_status"), ("refills", &format!("{refill_id},999"))]);
    assert_eq!(many[0]["refill"], refill_id.parse::<i64>().unwrap());
    assert_eq!(
        many[1],
        json!({"refill": 999, "status": {"error": "Incorrect refill ID"}})
    );
    let canceled = call(&[("action", "cancel"), ("orders", &format!("{done},31337"))]);
    assert_eq!(canceled[0]["order"], done);
    assert!(
        canceled[0]["cancel"]["error"].is_string(),
        "a completed order: {canceled}"
    );
    assert_eq!(
        canceled[1],
        json!({"order": 31337, "cancel": {"error": "Incorrect order ID"}})
    );
}

#[test]
fn the_order_page_offers_refill_and_cancel_and_the_admin_page_lists_them() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 3600,
        ..sim_args("pages-requests-1")
    });
    let service = app.service_id(&shop, "1");
    app.create_user("buyer@example.com", "buyer-pass-123", smm_panel::domain::Role::User);
    let buyer_id = app.find_user("buyer@example.com");
    app.deposit(buyer_id, "1000");
    let buyer = app.browser();
    buyer.login("buyer@example.com", "buyer-pass-123");
    let token = app.api().token("buyer@example.com", "buyer-pass-123");
    let id = place(&app, &token, service, "https://x.com/page-cancel", 1000);
    app.wait_for_order(&token, id, &["accepted"]);

    let page = buyer.get(&format!("/orders/{id}")).text().unwrap();
    assert!(page.contains("Cancel order"), "an active order of a cancel service");
    assert!(!page.contains("Ask for a refill"), "not completed: no refill");
    let response = buyer.submit(&format!("/orders/{id}"), &format!("/orders/{id}/cancel"), &[]);
    assert_eq!(response.status(), 303);
    let page = buyer.get(&format!("/orders/{id}")).text().unwrap();
    assert!(page.contains("Cancel requested"), "flash");
    assert!(page.contains("Refill and cancel requests") && !page.contains("Cancel order</button>"));

    app.create_user("desk@example.com", "desk-pass-1234", smm_panel::domain::Role::Admin);
    let desk = app.browser();
    desk.login("desk@example.com", "desk-pass-1234");
    let list = desk.get("/admin/requests?kind=cancel").text().unwrap();
    assert!(list.contains(&format!("/admin/orders/{id}")), "{list}");
    assert!(
        list.contains(&format!("<a href=\"/admin/orders?userId={buyer_id}\""))
            && list.contains(">buyer@example.com</a>"),
        "the customer by email: {list}"
    );
    let order_page = desk.get(&format!("/admin/orders/{id}")).text().unwrap();
    assert!(
        order_page.contains(&format!("<a href=\"/admin/providers/{}\">Sim</a>", shop.provider_id)),
        "the provider by name: {order_page}"
    );
    // A stranger's POST to the same button: 404, nothing created.
    app.create_user("nosy@example.com", "nosy-pass-1234", smm_panel::domain::Role::User);
    let nosy = app.browser();
    nosy.login("nosy@example.com", "nosy-pass-1234");
    let response = nosy.submit("/orders", &format!("/orders/{id}/refill"), &[]);
    assert_eq!(response.status(), 404);
    let cancels = json(
        app.api().get("/api/admin/cancels?open=true", Some(&shop.admin_token)),
        200,
    );
    assert_eq!(cancels["total"], 1);
}

#[test]
fn the_cancel_fault_matrix_never_resends_blind() {
    let app = spawn_app_with(&[
        ("PROVIDER_CALL_SPACING_MS", "0"),
        ("PROVIDER_TIMEOUT_SECS", "2"),
        ("FORWARD_RETRY_DELAYS_SECS", "0,0"),
    ]);
    let shop = app.shop(SimArgs {
        step_secs: 3600,
        ..sim_args("cancel-faults-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("cancel-faults@example.com", "1000");
    let ids: Vec<i64> = (0..3)
        .map(|i| place(&app, &token, service, &format!("https://x.com/cf-{i}"), 1000))
        .collect();
    for id in &ids {
        app.wait_for_order(&token, *id, &["accepted"]);
    }
    let key = "cancel-faults-1";
    let point_at = |url: &str| {
        json(
            app.api().patch(
                &format!("/api/admin/providers/{}", shop.provider_id),
                &json!({"apiUrl": url, "apiKey": key}),
                Some(&shop.admin_token),
            ),
            200,
        );
    };
    let cancel = |id: i64| json(ask(&app, &token, id, "cancel"), 201)["id"].as_i64().unwrap();
    let settle = |rid: i64| wait_request(&app, &shop.admin_token, "cancel", rid, &["sent", "rejected", "unknown"]);

    // No usable answer after sending (502): held for an admin, never resent.
    let html = spawn_sim(SimArgs {
        html_rate: 1.0,
        ..sim_args("cancel-faults-1")
    });
    point_at(&html.api_url());
    let first = cancel(ids[0]);
    assert_eq!(settle(first)["state"], "unknown");
    assert_eq!(sim_stats(&html)["cancel_calls"], 1, "sent once");
    // The provider refuses: rejected, with its words.
    let refusing = spawn_sim(SimArgs {
        error_rate: 1.0,
        ..sim_args("cancel-faults-1")
    });
    point_at(&refusing.api_url());
    let second = cancel(ids[1]);
    let refused = settle(second);
    assert_eq!(
        (refused["state"].as_str(), refused["error"].as_str()),
        (Some("rejected"), Some("Incorrect request"))
    );
    // Not sent at all (nothing listens): retried, then rejected as not sent.
    point_at(&format!("http://127.0.0.1:{}/api/v2", free_port()));
    let third = cancel(ids[2]);
    let unsent = settle(third);
    assert_eq!(unsent["state"], "rejected", "{unsent}");
    assert_eq!(unsent["attempts"], 3);
    assert!(
        unsent["error"].as_str().unwrap().starts_with("could not be sent"),
        "{unsent}"
    );
    // Back to the real provider, the admin resends the one that had no answer.
    point_at(&shop.sim.api_url());
    let resent = json(
        app.api().post(
            &format!("/api/admin/requests/{first}/resolve"),
            &json!({"action": "resend"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    assert_eq!(resent["state"], "queued");
    assert_eq!(settle(first)["state"], "sent");
    app.sync_round(&shop.admin_token);
    let order = json(
        app.api().get(&format!("/api/user/orders/{}", ids[0]), Some(&token)),
        200,
    );
    assert_eq!(order["status"], "canceled");
    // The others were never canceled: still charged, still active.
    for id in &ids[1..] {
        let order = json(app.api().get(&format!("/api/user/orders/{id}"), Some(&token)), 200);
        assert_eq!(order["status"], "pending");
    }
    app.assert_ledger_reconciles();
}
