//! A child panel on a parent panel on a provider, for real (issue 11): provider-sim ←
//! panel A ← panel B, where B's provider is A's `/api/v2` with a reseller's key. Orders,
//! statuses, a cancel and a refill flow through both panels; both ledgers reconcile and
//! nothing is bought twice.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use smm_panel::provider::sim::SimArgs;

use crate::helpers::*;

/// The panel's service imported from `provider`'s service `provider_service`.
fn service_of(app: &TestApp, admin: &str, provider: i64, provider_service: &str) -> Value {
    let services = json(app.api().get("/api/admin/services", Some(admin)), 200);
    services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["providerId"] == provider && s["providerServiceId"] == provider_service)
        .cloned()
        .unwrap_or_else(|| panic!("service {provider_service} of provider {provider} in {services}"))
}

fn import(app: &TestApp, admin: &str, provider: i64, markup: &str) {
    json(
        app.api().post(
            &format!("/api/admin/providers/{provider}/import-services"),
            &json!({"markupPercent": markup}),
            Some(admin),
        ),
        200,
    );
}

fn place(app: &TestApp, token: &str, service: i64, link: &str) -> i64 {
    json(
        app.api().post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": link, "qty": 1000}),
            Some(token),
        ),
        201,
    )["orders"][0]["id"]
        .as_i64()
        .unwrap()
}

fn order(app: &TestApp, token: &str, id: i64) -> Value {
    json(app.api().get(&format!("/api/user/orders/{id}"), Some(token)), 200)
}

fn wait_status(app: &TestApp, admin: &str, token: &str, id: i64, status: &str) -> Value {
    wait_until(Duration::from_secs(60), &format!("order {id} to be {status}"), || {
        app.sync_round(admin);
        let now = order(app, token, id);
        (now["status"] == status).then_some(now)
    })
}

#[test]
fn a_child_panel_buys_through_its_parent_and_everything_flows_back() {
    // Panel A on two providers: one that completes at once, one that keeps orders
    // Pending (so they can be canceled there).
    let a = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let fast = a.shop(SimArgs {
        step_secs: 0,
        ..sim_args("chain-fast-1")
    });
    let slow_sim = spawn_sim(SimArgs {
        step_secs: 3600,
        ..sim_args("chain-slow-1")
    });
    let slow = a.add_provider(&fast.admin_token, "Slow", &slow_sim.api_url(), "chain-slow-1");
    import(&a, &fast.admin_token, slow, "0");
    let a_fast_service = service_of(&a, &fast.admin_token, fast.provider_id, "1")["id"]
        .as_i64()
        .unwrap();
    let a_slow_service = service_of(&a, &fast.admin_token, slow, "1")["id"].as_i64().unwrap();
    // The reseller: B's owner, with a balance at A and A's API key.
    let (reseller, reseller_token) = a.customer("reseller@example.com", "5000");
    let reseller_key = json(a.api().get("/api/user/me", Some(&reseller_token)), 200)["apiKey"]
        .as_str()
        .unwrap()
        .to_string();

    // Panel B: its provider is A's /api/v2; 1 USD = 100 BDT at both.
    let b = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let b_admin = b.admin_token();
    json(
        b.api()
            .post("/api/admin/settings", &json!({"usdToBdt": "100"}), Some(&b_admin)),
        200,
    );
    let parent = b.add_provider(&b_admin, "Parent panel", &a.url("/api/v2"), &reseller_key);
    import(&b, &b_admin, parent, "10");
    // A sells sim service 1 at 90.00 BDT per 1000; B reads that as BDT (A's balance
    // says so), converts it to 0.90 USD, adds 10 %: 0.99 USD, 99.00 BDT per 1000.
    let b_fast = service_of(&b, &b_admin, parent, &a_fast_service.to_string());
    assert_eq!(b_fast["rateUsdPer1000"], "0.99", "{b_fast}");
    let b_fast = b_fast["id"].as_i64().unwrap();
    let b_slow = service_of(&b, &b_admin, parent, &a_slow_service.to_string())["id"]
        .as_i64()
        .unwrap();
    let (customer, token) = b.customer("customer@example.com", "1000");

    let started = Instant::now();
    let done = place(&b, &token, b_fast, "https://x.com/chain-done");
    let to_cancel = place(&b, &token, b_slow, "https://x.com/chain-cancel");
    for id in [done, to_cancel] {
        let forwarded = b.wait_for_order(&token, id, &["accepted", "rejected", "unknown"]);
        assert_eq!(forwarded["forwardState"], "accepted", "{forwarded}");
    }
    assert_eq!(order(&b, &token, done)["charge"], "99.00");
    // A placed them for the reseller and sent them to the sims.
    let at_a = json(a.api().get("/api/user/orders", Some(&reseller_token)), 200);
    assert_eq!(at_a["total"], 2, "{at_a}");
    for item in at_a["items"].as_array().unwrap() {
        a.wait_for_order(&reseller_token, item["id"].as_i64().unwrap(), &["accepted"]);
    }
    // Statuses flow back: A learns Completed from the sim, B from A.
    wait_status(
        &a,
        &fast.admin_token,
        &reseller_token,
        order(&b, &token, done)["providerOrderId"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        "completed",
    );
    wait_status(&b, &b_admin, &token, done, "completed");
    let end_to_end = started.elapsed();
    eprintln!("chain: order at B to Completed at B in {end_to_end:?}");

    // A cancel at B reaches the slow sim through A and settles at both panels.
    json(
        b.api().post(
            &format!("/api/user/orders/{to_cancel}/cancel"),
            &json!({}),
            Some(&token),
        ),
        201,
    );
    let a_id: i64 = order(&b, &token, to_cancel)["providerOrderId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    wait_status(&a, &fast.admin_token, &reseller_token, a_id, "canceled");
    wait_status(&b, &b_admin, &token, to_cancel, "canceled");

    // A refill at B of the completed order reaches the fast sim through A.
    let refill = json(
        b.api()
            .post(&format!("/api/user/orders/{done}/refill"), &json!({}), Some(&token)),
        201,
    );
    let refill_id = refill["id"].as_i64().unwrap();
    wait_until(Duration::from_secs(60), "the refill to complete at B", || {
        b.sync_round(&b_admin);
        a.sync_round(&fast.admin_token);
        let refills = json(b.api().get("/api/admin/refills", Some(&b_admin)), 200);
        let r = refills["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == refill_id)
            .cloned()?;
        (r["status"] == "completed").then_some(r)
    });
    let sim_stats: Value = reqwest::blocking::get(format!("{}/sim/stats", fast.sim.base_url()))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(sim_stats["refill_calls"], 1, "{sim_stats}");
    let slow_stats: Value = reqwest::blocking::get(format!("{}/sim/stats", slow_sim.base_url()))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(slow_stats["cancel_calls"], 1, "{slow_stats}");

    // Money: B's customer paid for the delivered order only; A's reseller likewise.
    assert_eq!(
        b.balance_and_ledger_sum(customer),
        (1_000_000_000 - 99_000_000, 1_000_000_000 - 99_000_000)
    );
    assert_eq!(
        a.balance_and_ledger_sum(reseller),
        (5_000_000_000 - 90_000_000, 5_000_000_000 - 90_000_000)
    );
    // Nothing was sent twice at any layer.
    assert_eq!(sim_orders(&fast.sim).len(), 1);
    assert_eq!(sim_orders(&slow_sim).len(), 1);
    a.assert_ledger_reconciles();
    b.assert_ledger_reconciles();
}
