//! Status sync against provider-sim with a small --step-secs: progression, exact
//! settlement, batching, spacing, isolation between providers, one runner per round.

use std::time::Duration;

use serde_json::{json, Value};
use smm_panel::provider::sim::SimArgs;

use crate::helpers::*;

/// Places orders of sim service 1 (0.90 USD per 1000 at 100 BDT/USD: 100 units cost
/// 9.00 BDT) and waits until the provider accepted them.
fn accepted_orders(app: &TestApp, token: &str, service: i64, links: &[String], qty: i64) -> Vec<i64> {
    let orders: Vec<Value> = links
        .iter()
        .map(|l| json!({"serviceId": service, "link": l, "qty": qty}))
        .collect();
    let placed = json(
        app.api()
            .post("/api/user/create-orders", &json!({"orders": orders}), Some(token)),
        201,
    );
    let ids: Vec<i64> = placed["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    for id in &ids {
        app.wait_for_order(token, *id, &["accepted"]);
    }
    ids
}

fn sim_stats(sim: &smm_panel::provider::sim::SimHandle) -> Value {
    reqwest::blocking::get(format!("{}/sim/stats", sim.base_url()))
        .unwrap()
        .json()
        .unwrap()
}

fn order(app: &TestApp, token: &str, id: i64) -> Value {
    json(app.api().get(&format!("/api/user/orders/{id}"), Some(token)), 200)
}

#[test]
fn orders_move_to_completed_and_partial_or_canceled_ones_refund_exactly_once() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 1,
        ..sim_args("sync-key-1")
    });
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("sync@example.com", "1000");
    let links: Vec<String> = [
        "https://x.com/done",
        "https://x.com/partial-one",
        "https://x.com/cancel-one",
    ]
    .map(String::from)
    .to_vec();
    let ids = accepted_orders(&app, &token, service, &links, 1000); // 90.00 BDT each

    // Force-check the first order until it completes, recording what it passed through.
    let mut seen = Vec::new();
    wait_until(Duration::from_secs(20), "order to complete", || {
        let check = json(
            app.api().post(
                "/api/admin/orders/sync-status",
                &json!({"orderId": ids[0], "forceSync": true}),
                Some(&shop.admin_token),
            ),
            200,
        );
        let status = check["order"]["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        std::thread::sleep(Duration::from_millis(200));
        (status == "completed").then_some(())
    });
    assert_eq!(seen.first().map(String::as_str), Some("pending"));
    assert!(
        seen.contains(&"processing".to_string()),
        "passed through processing: {seen:?}"
    );

    wait_until(Duration::from_secs(30), "partial and canceled endings", || {
        app.sync_round(&shop.admin_token);
        let states: Vec<String> = ids
            .iter()
            .map(|id| order(&app, &token, *id)["status"].as_str().unwrap().to_string())
            .collect();
        (states == ["completed", "partial", "canceled"]).then_some(())
    });
    let partial = order(&app, &token, ids[1]);
    assert_eq!(partial["remains"], 500);
    assert_eq!(partial["providerStatus"], "Partial");
    // 270 charged; partial refunds 90 × 500 ÷ 1000 = 45; canceled refunds 90.
    let expected = 1_000_000_000 - 270_000_000 + 45_000_000 + 90_000_000;
    assert_eq!(app.balance_and_ledger_sum(user), (expected, expected));

    // More rounds refund nothing more.
    app.sync_round(&shop.admin_token);
    json(
        app.api().post(
            "/api/admin/orders/sync-status",
            &json!({"orderId": ids[2], "forceSync": true}),
            Some(&shop.admin_token),
        ),
        200,
    );
    assert_eq!(app.balance_and_ledger_sum(user), (expected, expected));
    let refunds = json(app.api().get("/api/user/transactions", Some(&token)), 200);
    assert_eq!(
        refunds["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "refund")
            .count(),
        2
    );
    app.assert_ledger_reconciles();
}

#[test]
fn a_round_uses_batches_of_the_configured_size_with_the_spacing() {
    let app = spawn_app_with(&[("SYNC_BATCH_SIZE", "3"), ("PROVIDER_CALL_SPACING_MS", "300")]);
    let shop = app.shop(sim_args("batch-sync-key"));
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("batches@example.com", "1000");
    let links: Vec<String> = (0..7).map(|i| format!("https://x.com/batch-{i}")).collect();
    accepted_orders(&app, &token, service, &links, 100);
    let before = sim_stats(&shop.sim)["multi_status_calls"].as_i64().unwrap();

    let round = app.sync_round(&shop.admin_token);
    assert_eq!(round["checked"], 7);
    assert_eq!(round["errors"], 0);
    let calls = sim_stats(&shop.sim)["multi_status_calls"].as_i64().unwrap() - before;
    assert_eq!(calls, 3, "7 orders in batches of 3: 3 + 3 + 1");
    let started =
        chrono::NaiveDateTime::parse_from_str(round["startedAt"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    let finished =
        chrono::NaiveDateTime::parse_from_str(round["finishedAt"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    assert!(
        (finished - started).num_milliseconds() >= 600,
        "two 300 ms pauses between three calls to one provider"
    );
}

#[test]
fn one_providers_failure_does_not_stop_another_and_a_bad_answer_touches_one_order() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let good = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("good-key-1")
    });
    let (_, token) = app.customer("two@example.com", "1000");
    // A second provider whose answers turn to HTML 502 once its orders are placed.
    let failing_sim = spawn_sim(sim_args("bad-key-1"));
    let failing = app.add_provider(&good.admin_token, "Failing", &failing_sim.api_url(), "bad-key-1");
    let api = app.api();
    json(
        api.post(
            &format!("/api/admin/providers/{failing}/import-services"),
            &json!({"markupPercent": 0}),
            Some(&good.admin_token),
        ),
        200,
    );
    let services = json(api.get("/api/admin/services", Some(&good.admin_token)), 200);
    let failing_service = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["providerId"] == failing && s["providerServiceId"] == "1")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let good_service = app.service_id(&good, "1");

    let good_ids = accepted_orders(
        &app,
        &token,
        good_service,
        &[
            "https://x.com/g1".into(),
            "https://x.com/g2".into(),
            "https://x.com/g3".into(),
        ],
        100,
    );
    accepted_orders(&app, &token, failing_service, &["https://x.com/f1".into()], 100);
    let html_sim = spawn_sim(SimArgs {
        html_rate: 1.0,
        ..sim_args("bad-key-1")
    });
    json(
        api.patch(
            &format!("/api/admin/providers/{failing}"),
            &json!({"apiUrl": html_sim.api_url(), "apiKey": "bad-key-1"}),
            Some(&good.admin_token),
        ),
        200,
    );
    // One of the good provider's orders carries an id its provider does not know.
    {
        use diesel::prelude::*;
        use smm_panel::db::schema::orders;
        let mut conn = app.state.conn().unwrap();
        diesel::update(orders::table.find(good_ids[2]))
            .set(orders::provider_order_id.eq("999999"))
            .execute(&mut **conn)
            .unwrap();
    }

    let round = app.sync_round(&good.admin_token);
    assert!(
        round["errorSummary"].as_str().unwrap_or_default().contains("Failing"),
        "{round}"
    );
    assert_eq!(round["changed"], 2, "the good provider's two valid orders completed");
    assert_eq!(round["errors"], 2, "one per-order error, one failed provider");
    assert_eq!(order(&app, &token, good_ids[0])["status"], "completed");
    assert_eq!(order(&app, &token, good_ids[1])["status"], "completed");
    let bad = order(&app, &token, good_ids[2]);
    assert_eq!(
        bad["status"], "pending",
        "a bad answer for one order leaves it as it was"
    );
    assert!(!bad["lastStatusCheck"].is_null(), "but its check is recorded");
    app.assert_ledger_reconciles();
}

#[test]
fn sync_requests_are_checked_and_the_live_status_endpoint_reflects_changes() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 1,
        ..sim_args("live-key-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("live@example.com", "1000");
    let ids = accepted_orders(&app, &token, service, &["https://x.com/live".into()], 100);
    let api = app.api();
    let admin = &shop.admin_token;

    assert_eq!(
        error_code(
            api.post(
                "/api/admin/orders/sync-status",
                &json!({"orderId": 424242}),
                Some(admin)
            ),
            404
        ),
        "not_found"
    );
    app.set_service_mode(admin, service, "manual");
    let manual = json(
        api.post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": "https://x.com/m", "qty": 100}),
            Some(&token),
        ),
        201,
    );
    let manual_id = manual["orders"][0]["id"].as_i64().unwrap();
    let error = json(
        api.post(
            "/api/admin/orders/sync-status",
            &json!({"orderId": manual_id, "forceSync": true}),
            Some(admin),
        ),
        422,
    );
    assert!(error["error"]["message"].as_str().unwrap().contains("nothing to sync"));
    assert_eq!(
        error_code(api.post("/api/admin/orders/sync-status", &json!({}), Some(&token)), 403),
        "forbidden"
    );
    let status = json(api.get("/api/admin/orders/sync-status", Some(admin)), 200);
    assert!(status["nextScheduledAt"].is_string());
    assert_eq!(status["ordersByStatus"]["pending"], 2);

    // The customer's page polls this endpoint with the session cookie.
    let browser = app.browser();
    browser.login("live@example.com", "correct-horse");
    assert_eq!(
        json(browser.get(&format!("/api/user/orders/{}", ids[0])), 200)["status"],
        "pending"
    );
    std::thread::sleep(Duration::from_millis(2100));
    app.sync_round(admin);
    assert_eq!(
        json(browser.get(&format!("/api/user/orders/{}", ids[0])), 200)["status"],
        "completed"
    );
    let html = browser.get(&format!("/orders/{}", ids[0])).text().unwrap();
    assert!(html.contains("data-live") && html.contains("completed"));

    // "Refresh status" is limited to once a minute per order.
    let other = accepted_orders(
        &app,
        &token,
        {
            app.set_service_mode(admin, service, "auto");
            service
        },
        &["https://x.com/refresh".into()],
        100,
    )[0];
    let response = browser.submit(&format!("/orders/{other}"), &format!("/orders/{other}/refresh"), &[]);
    assert_eq!(response.status(), 303);
    assert!(browser
        .get(&format!("/orders/{other}"))
        .text()
        .unwrap()
        .contains("Checked with the provider"));
    browser.submit(&format!("/orders/{other}"), &format!("/orders/{other}/refresh"), &[]);
    assert!(browser
        .get(&format!("/orders/{other}"))
        .text()
        .unwrap()
        .contains("Not checked again"));
}

/// Several `serve` processes on one PostgreSQL database: exactly one runs each round.
#[test]
fn two_processes_on_postgres_never_run_the_same_round() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("several processes share one database only on PostgreSQL: runs with TEST_DATABASE_URL");
        return;
    }
    let app = spawn_app_with(&[("SYNC_INTERVAL_SECS", "3600")]);
    // Hand the schedule to the two processes: this app stops, the next round is due now.
    app.stop_workers();
    {
        use diesel::prelude::*;
        use smm_panel::db::schema::sync_schedule;
        let mut conn = app.state.conn().unwrap();
        diesel::update(sync_schedule::table)
            .set(sync_schedule::next_run_at.eq(smm_panel::db::now()))
            .execute(&mut **conn)
            .unwrap();
    }
    let mut children: Vec<_> = (0..2)
        .map(|_| serve(&app.env, free_port(), &[("SYNC_INTERVAL_SECS", "1")]))
        .collect();
    std::thread::sleep(Duration::from_secs(6));
    for child in &mut children {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let mut conn = app.state.conn().unwrap();
    let rounds = smm_panel::db::sync::recent_rounds(&mut conn, 1000).unwrap();
    let scheduled: Vec<_> = rounds
        .iter()
        .filter(|r| r.trigger == "schedule" && r.runner.contains("-scheduler"))
        .collect();
    let from_children: Vec<_> = scheduled
        .iter()
        .filter(|r| !r.runner.starts_with(&app.state.runner_id))
        .collect();
    let runners: std::collections::HashSet<&str> = from_children.iter().map(|r| r.runner.as_str()).collect();
    eprintln!("{} rounds by {} processes", from_children.len(), runners.len());
    assert!(from_children.len() >= 3, "rounds ran: {}", from_children.len());
    assert!(
        from_children.len() <= 8,
        "one round per second at most, not one per process: {}",
        from_children.len()
    );
    let mut spans: Vec<_> = from_children
        .iter()
        .filter_map(|r| Some((r.started_at, r.finished_at?)))
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "rounds never overlap: {pair:?}");
    }
}

#[test]
fn a_provider_without_multi_status_is_checked_one_order_per_call_and_remembered() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop_without_faults_during_import(SimArgs {
        no_multi_status: true,
        ..sim_args("single-key-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("single@example.com", "1000");
    let links: Vec<String> = (0..3).map(|i| format!("https://x.com/single-{i}")).collect();
    accepted_orders(&app, &token, service, &links, 100);

    let round = app.sync_round(&shop.admin_token);
    assert_eq!(round["checked"], 3);
    assert_eq!(round["errors"], 0, "{round}");
    let stats = sim_stats(&shop.sim);
    assert_eq!(stats["multi_status_calls"], 1, "tried once");
    assert_eq!(stats["status_calls"], 3, "then one call per order");
    {
        let mut conn = app.state.conn().unwrap();
        let provider = smm_panel::db::providers::find(&mut conn, shop.provider_id)
            .unwrap()
            .unwrap();
        assert_eq!(provider.multi_status, Some(false), "remembered");
    }
    // Orders checked this round are due again only in a later round.
    {
        use diesel::prelude::*;
        use smm_panel::db::schema::orders;
        let mut conn = app.state.conn().unwrap();
        diesel::update(orders::table)
            .set(orders::last_status_check.eq(None::<chrono::NaiveDateTime>))
            .execute(&mut **conn)
            .unwrap();
    }
    app.sync_round(&shop.admin_token);
    let stats = sim_stats(&shop.sim);
    assert_eq!(stats["multi_status_calls"], 1, "not tried again");
    assert_eq!(stats["status_calls"], 6);
}

/// A round's changes are applied in one transaction per batch; when one order's
/// settlement cannot be written (its refund would take the balance past the maximum),
/// the others of its batch are still applied, each on its own.
#[test]
fn one_order_that_cannot_settle_does_not_hold_back_its_batch() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 1,
        ..sim_args("sync-key-batch")
    });
    let service = app.service_id(&shop, "1");
    let (full, full_token) = app.customer("full@example.com", "1000");
    let (_, token) = app.customer("plain@example.com", "1000");
    let stuck = accepted_orders(&app, &full_token, service, &["https://x.com/cancel-full".into()], 1000)[0];
    // 910 BDT left; topped up to 50 BDT under the maximum, so a 90 BDT refund cannot fit.
    json(
        app.api().post(
            &format!("/api/admin/users/{full}/balance"),
            &json!({"amount": "999999999040", "note": "near the maximum"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    let links: Vec<String> = ["https://x.com/done-b", "https://x.com/cancel-b"]
        .map(String::from)
        .to_vec();
    let ids = accepted_orders(&app, &token, service, &links, 1000);
    wait_until(Duration::from_secs(30), "the other orders to end", || {
        app.sync_round(&shop.admin_token);
        let states: Vec<String> = ids
            .iter()
            .map(|id| order(&app, &token, *id)["status"].as_str().unwrap().to_string())
            .collect();
        (states == ["completed", "canceled"]).then_some(())
    });
    let stuck_order = order(&app, &full_token, stuck);
    assert_ne!(stuck_order["status"], "canceled", "not settled: {stuck_order}");
    // It waits for an admin with the reason, out of the rounds.
    let held = json(
        app.api()
            .get(&format!("/api/admin/orders/{stuck}"), Some(&shop.admin_token)),
        200,
    );
    let reason = held["reviewReason"].as_str().unwrap_or_default();
    assert!(reason.contains("could not be applied"), "{held}");
    assert_eq!(
        app.balance_and_ledger_sum(full),
        (999_999_999_950_000_000, 999_999_999_950_000_000),
        "no refund was written"
    );
    app.assert_ledger_reconciles();
}
