//! Durable forwarding against provider-sim's faults: never a second `add` for one
//! order, never a lost order, never a ledger out of balance.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use smm_panel::provider::sim::SimArgs;

use crate::helpers::*;

/// Places `count` orders of sim service 1 and returns their ids.
fn place(app: &TestApp, token: &str, service: i64, prefix: &str, count: usize) -> Vec<i64> {
    let orders: Vec<Value> = (0..count)
        .map(|i| json!({"serviceId": service, "link": format!("https://x.com/{prefix}-{i}"), "qty": 100}))
        .collect();
    let placed = json(
        app.api()
            .post("/api/user/create-orders", &json!({"orders": orders}), Some(token)),
        201,
    );
    placed["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

/// Runs `count` orders against a simulator with `fault` and returns their final JSON.
fn run_fault(
    fault: impl FnOnce(&mut SimArgs),
    overrides: &[(&str, &str)],
    final_states: &[&str],
) -> (TestApp, Shop, Vec<Value>) {
    let app = spawn_app_with(overrides);
    let mut args = sim_args("fault-key-1");
    fault(&mut args);
    let shop = app.shop_without_faults_during_import(args);
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("faults@example.com", "1000");
    let ids = place(&app, &token, service, "fault", 3);
    let orders = ids
        .iter()
        .map(|id| app.wait_for_order(&token, *id, final_states))
        .collect();
    (app, shop, orders)
}

#[test]
fn a_provider_error_fails_and_refunds_without_an_add() {
    let (app, shop, orders) = run_fault(|a| a.error_rate = 1.0, &[], &["rejected"]);
    for order in &orders {
        assert_eq!(order["status"], "failed");
    }
    assert!(sim_orders(&shop.sim).is_empty());
    let (_, sum) = app.balance_and_ledger_sum(app.find_user("faults@example.com"));
    assert_eq!(sum, 1_000_000_000, "fully refunded");
    app.assert_ledger_reconciles();
}

/// Every "after sending" fault: the provider took the order, so it is never sent again
/// and waits for an admin (`review`, the default).
#[test]
fn faults_after_sending_are_held_for_review_never_resent() {
    type Fault = fn(&mut SimArgs);
    let faults: [(&str, Fault); 4] = [
        ("timeout", |a| a.timeout_rate = 1.0),
        ("html", |a| a.html_rate = 1.0),
        ("garbage", |a| a.garbage_rate = 1.0),
        ("reset", |a| a.reset_rate = 1.0),
    ];
    for (name, fault) in faults {
        let (app, shop, orders) = run_fault(fault, &[("PROVIDER_TIMEOUT_SECS", "1")], &["unknown"]);
        for order in &orders {
            assert_eq!(order["status"], "pending", "{name}");
        }
        // Give a wrongly resending worker time to show itself, then count.
        std::thread::sleep(Duration::from_millis(1500));
        let adds = adds_per_link(&shop.sim);
        assert_eq!(adds.len(), 3, "{name}: each order reached the provider");
        assert!(adds.values().all(|n| *n == 1), "{name}: never a second add: {adds:?}");
        app.assert_ledger_reconciles();
    }
}

#[test]
fn an_unreachable_provider_is_retried_then_failed_and_refunded() {
    let app = spawn_app_with(&[("FORWARD_RETRY_DELAYS_SECS", "0,1")]);
    let shop = app.shop(sim_args("down-key-1"));
    let service = app.service_id(&shop, "1");
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let body = json!({"apiUrl": format!("http://127.0.0.1:{closed}/api/v2"), "apiKey": "down-key-1"});
    json(
        app.api().patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &body,
            Some(&shop.admin_token),
        ),
        200,
    );
    let (user, token) = app.customer("down@example.com", "100");
    let ids = place(&app, &token, service, "down", 1);
    let order = app.wait_for_order(&token, ids[0], &["rejected"]);
    assert_eq!(order["status"], "failed");
    let admin = json(
        app.api()
            .get(&format!("/api/admin/orders?q={}", ids[0]), Some(&shop.admin_token)),
        200,
    );
    assert_eq!(admin["items"][0]["attempts"], 3, "the first try and two retries");
    assert_eq!(app.balance_and_ledger_sum(user), (100_000_000, 100_000_000));
    app.assert_ledger_reconciles();
}

#[test]
fn a_provider_set_to_retry_resends_ambiguous_orders() {
    let app = spawn_app_with(&[("FORWARD_RETRY_DELAYS_SECS", "0,0")]);
    let shop = app.shop_without_faults_during_import(SimArgs {
        html_rate: 1.0,
        ..sim_args("retry-key-1")
    });
    json(
        app.api().patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &json!({"onAmbiguous": "retry"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("retry@example.com", "100");
    let ids = place(&app, &token, service, "retry", 1);
    let order = app.wait_for_order(&token, ids[0], &["rejected"]);
    assert_eq!(order["status"], "failed");
    // The admin's explicit choice: each attempt reached the provider.
    assert_eq!(adds_per_link(&shop.sim).values().copied().collect::<Vec<_>>(), vec![3]);
    app.assert_ledger_reconciles();
}

#[test]
fn manual_service_orders_wait_for_an_admin() {
    let app = spawn_app();
    let shop = app.shop(sim_args("manual-key-1"));
    let service = app.service_id(&shop, "1");
    app.set_service_mode(&shop.admin_token, service, "manual");
    let (_, token) = app.customer("manual@example.com", "100");
    let ids = place(&app, &token, service, "manual", 1);
    std::thread::sleep(Duration::from_millis(500));
    let order = json(
        app.api().get(&format!("/api/user/orders/{}", ids[0]), Some(&token)),
        200,
    );
    assert_eq!(order["forwardState"], "manual");
    assert!(sim_orders(&shop.sim).is_empty());
}

/// Kills `serve` with SIGKILL while adds are in flight, restarts it: every order is
/// there, none was sent twice, the ledger reconciles.
#[test]
fn a_crash_mid_forward_loses_nothing_and_sends_nothing_twice() {
    // The in-process app stops forwarding; the real binary takes over the same database.
    let Handover {
        app,
        shop,
        service,
        token,
    } = handover(
        SimArgs {
            latency_ms: 1500,
            ..sim_args("crash-key-1")
        },
        "crash@example.com",
        "1000",
    );
    let env = app.env.clone();
    let port = free_port();
    let overrides = [("WORKERS", "4"), ("PROVIDER_TIMEOUT_SECS", "3")];
    let mut first = serve(&env, port, &overrides);
    let ids = place_at(port, &token, service, "crash", 8);
    assert_eq!(ids.len(), 8);
    wait_until(Duration::from_secs(10), "adds in flight", || {
        app.count_forward_state("in_flight").ge(&1).then_some(())
    });
    first.kill().unwrap();
    first.wait().unwrap();

    let mut second = serve(&env, port, &overrides);
    wait_until(Duration::from_secs(60), "every order to settle", || {
        (app.count_forward_state("in_flight") == 0 && app.count_forward_state("queued") == 0).then_some(())
    });
    second.kill().unwrap();
    second.wait().unwrap();

    for id in &ids {
        let order = json(app.api().get(&format!("/api/user/orders/{id}"), Some(&token)), 200);
        assert!(
            ["accepted", "unknown"].contains(&order["forwardState"].as_str().unwrap()),
            "{order}"
        );
    }
    std::thread::sleep(Duration::from_millis(1600));
    let adds = adds_per_link(&shop.sim);
    assert!(adds.values().all(|n| *n == 1), "never sent twice: {adds:?}");
    let accepted = ids
        .iter()
        .filter(|id| {
            json(app.api().get(&format!("/api/user/orders/{id}"), Some(&token)), 200)["forwardState"] == "accepted"
        })
        .count();
    assert!(adds.len() >= accepted, "every accepted order is at the provider");
    assert!(
        accepted < ids.len(),
        "the killed calls were recovered from their expired leases as ambiguous"
    );
    app.assert_ledger_reconciles();
}

/// Two `serve` processes on one PostgreSQL database share the queue: 500 orders, each
/// forwarded exactly once.
#[test]
fn two_processes_on_postgres_forward_each_order_exactly_once() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("two processes share a queue only on PostgreSQL: runs with TEST_DATABASE_URL");
        return;
    }
    let Handover {
        app,
        shop,
        service,
        token,
    } = handover(
        SimArgs {
            latency_ms: 5,
            ..sim_args("pair-key-1")
        },
        "pair@example.com",
        "100000",
    );
    let env = app.env.clone();
    let (port_a, port_b) = (free_port(), free_port());
    let mut a = serve(&env, port_a, &[("WORKERS", "4")]);
    let mut b = serve(&env, port_b, &[("WORKERS", "4")]);
    for batch in 0..5 {
        let port = if batch % 2 == 0 { port_a } else { port_b };
        assert_eq!(
            place_at(port, &token, service, &format!("pair-{batch}"), 100).len(),
            100
        );
    }
    wait_until(Duration::from_secs(120), "500 orders accepted", || {
        (app.count_forward_state("accepted") == 500).then_some(())
    });
    a.kill().unwrap();
    b.kill().unwrap();
    let _ = (a.wait(), b.wait());
    let adds = adds_per_link(&shop.sim);
    assert_eq!(adds.len(), 500);
    assert!(adds.values().all(|n| *n == 1), "each forwarded exactly once");
    app.assert_ledger_reconciles();
}

/// SIGTERM stops taking work but lets calls in flight finish and record their outcome.
#[test]
fn sigterm_lets_in_flight_forwards_finish() {
    let Handover {
        app,
        shop,
        service,
        token,
    } = handover(
        SimArgs {
            latency_ms: 1500,
            ..sim_args("term-key-1")
        },
        "term@example.com",
        "1000",
    );
    let env = app.env.clone();
    let port = free_port();
    let mut child = serve(&env, port, &[("WORKERS", "2"), ("PROVIDER_TIMEOUT_SECS", "5")]);
    place_at(port, &token, service, "term", 2);
    wait_until(Duration::from_secs(10), "both adds in flight", || {
        (app.count_forward_state("in_flight") == 2).then_some(())
    });
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "a clean exit: {exit:?}");
    assert_eq!(app.count_forward_state("in_flight"), 0, "no claim left behind");
    assert_eq!(
        app.count_forward_state("accepted"),
        2,
        "the calls finished and were recorded"
    );
    assert_eq!(sim_orders(&shop.sim).len(), 2);
    app.assert_ledger_reconciles();
}
