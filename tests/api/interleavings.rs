//! Actors meeting on one order (issue 10): each interleaving is staged, not timed. A
//! provider call is held at provider-sim's gate (`/sim/hold`) until the test has done
//! what happens meanwhile, then released; the checks are on effects (statuses, ledger
//! sums, what the simulator was sold).

use std::time::Duration;

use diesel::prelude::*;
use serde_json::{json, Value};
use smm_panel::db::schema::orders;
use smm_panel::provider::sim::{SimArgs, SimHandle};

use crate::helpers::*;

fn sim_post(sim: &SimHandle, path: &str) {
    let response = reqwest::blocking::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{path}");
}

/// Requests of `action` wait at the simulator, unprocessed, until `release`.
pub fn hold(sim: &SimHandle, action: &str) {
    sim_post(sim, &format!("/sim/hold?action={action}"));
}

pub fn release(sim: &SimHandle) {
    sim_post(sim, "/sim/release");
}

/// Waits until `n` requests wait at the simulator's gate.
pub fn wait_held(sim: &SimHandle, n: u64) {
    wait_until(Duration::from_secs(30), "a held provider call", || {
        let body: Value = reqwest::blocking::get(format!("{}/sim/held", sim.base_url()))
            .unwrap()
            .json()
            .unwrap();
        (body["waiting"].as_u64() == Some(n)).then_some(())
    });
}

fn place_one(app: &TestApp, token: &str, service: i64, link: &str) -> (i64, Value) {
    let placed = json(
        app.api().post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": link, "qty": 1000}),
            Some(token),
        ),
        201,
    );
    let order = placed["orders"][0].clone();
    (order["id"].as_i64().unwrap(), order)
}

fn admin_order(app: &TestApp, admin: &str, id: i64) -> Value {
    json(app.api().get(&format!("/api/admin/orders/{id}"), Some(admin)), 200)
}

fn order_ledger_sum(app: &TestApp, id: i64) -> i64 {
    smm_panel::db::ledger::sum_for_order(&mut app.state.conn().unwrap(), id).unwrap()
}

fn patch_order(app: &TestApp, admin: &str, id: i64, body: Value) -> reqwest::blocking::Response {
    app.api().patch(&format!("/api/admin/orders/{id}"), &body, Some(admin))
}

#[test]
fn an_edit_while_the_add_is_in_flight_is_refused_and_the_answer_is_kept() {
    let app = spawn_app();
    let shop = app.shop(sim_args("edit-flight-1"));
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("flight@example.com", "1000");
    let admin = &shop.admin_token;
    hold(&shop.sim, "add");
    let (id, placed) = place_one(&app, &token, service, "https://x.com/flight");
    let charge = placed["charge"].as_str().unwrap().to_string();
    wait_held(&shop.sim, 1);
    assert_eq!(admin_order(&app, admin, id)["forwardState"], "in_flight");

    let refused = json(patch_order(&app, admin, id, json!({"status": "canceled"})), 409);
    assert_eq!(refused["error"]["code"], "not_editable", "{refused}");
    assert_eq!(refused["order"]["forwardState"], "in_flight", "the order as it now is");
    assert_eq!(refused["order"]["status"], "pending");
    assert!(app.audit_rows("order.edit").is_empty(), "nothing audited");

    release(&shop.sim);
    let accepted = app.wait_for_order(&token, id, &["accepted"]);
    assert_eq!(accepted["status"], "pending", "the forward outcome is recorded");
    assert!(accepted["providerOrderId"].as_str().is_some());
    assert_eq!(
        order_ledger_sum(&app, id),
        -smm_panel::domain::Money::parse(&charge).unwrap().micros(),
        "charged once, never refunded"
    );

    // Now the admin's cancel applies, refunds, and no sync charges it again.
    let canceled = json(patch_order(&app, admin, id, json!({"status": "canceled"})), 200);
    assert_eq!(canceled["status"], "canceled");
    app.sync_round(admin);
    assert_eq!(admin_order(&app, admin, id)["status"], "canceled");
    assert_eq!(app.balance_and_ledger_sum(user), (1_000_000_000, 1_000_000_000));
    assert_eq!(sim_orders(&shop.sim).len(), 1, "bought once");
    app.assert_ledger_reconciles();
}

#[test]
fn an_edit_of_a_queued_order_takes_it_out_of_the_queue_and_a_claimed_one_is_refused() {
    let app = spawn_app_with(&[("WORKERS", "1")]);
    let shop = app.shop(sim_args("edit-queue-1"));
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("queue@example.com", "1000");
    let admin = &shop.admin_token;
    app.stop_workers();
    let (first, _) = place_one(&app, &token, service, "https://x.com/q1");
    let (second, _) = place_one(&app, &token, service, "https://x.com/q2");

    // The edit arrives first: the order leaves the queue, so no worker can claim it.
    let edited = json(
        patch_order(&app, admin, first, json!({"status": "completed", "startCount": "10"})),
        200,
    );
    assert_eq!(edited["forwardState"], "manual");
    // The claim arrives first: the edit is refused.
    let claim = |owner: &str| {
        let mut conn = app.state.conn().unwrap();
        let now = smm_panel::db::now();
        smm_panel::db::write_transaction(&mut conn, |c| {
            smm_panel::db::orders::claim_next(c, owner, now, now + chrono::TimeDelta::seconds(60))
        })
        .unwrap()
    };
    let claimed = claim("test-worker").expect("the second order is still queued");
    assert_eq!(claimed.id, second, "the edited order is not claimable");
    assert!(claim("test-worker-2").is_none());
    let refused = patch_order(&app, admin, second, json!({"status": "canceled"}));
    assert_eq!(error_code(refused, 409), "not_editable");
    assert_eq!(admin_order(&app, admin, second)["status"], "pending");
    assert!(sim_orders(&shop.sim).is_empty());
    app.assert_ledger_reconciles();
}

#[test]
fn a_sync_reply_fetched_before_an_edit_is_not_applied_over_it() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    // Orders complete at once at the provider.
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("sync-edit-1")
    });
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("sync-edit@example.com", "1000");
    let admin = &shop.admin_token;
    let (id, _) = place_one(&app, &token, service, "https://x.com/se");
    app.wait_for_order(&token, id, &["accepted"]);

    // The round has read the order and asked the provider ("Completed")...
    hold(&shop.sim, "status");
    let round = app.start_round(admin);
    wait_held(&shop.sim, 1);
    // ...when the admin cancels it.
    json(patch_order(&app, admin, id, json!({"status": "canceled"})), 200);
    release(&shop.sim);
    let finished = app.wait_round(admin, round);
    assert_eq!(finished["changed"], 0, "{finished}");
    let now = admin_order(&app, admin, id);
    assert_eq!(now["status"], "canceled", "the admin's decision stands");
    assert_eq!(order_ledger_sum(&app, id), 0, "refunded once, never charged again");
    assert_eq!(app.balance_and_ledger_sum(user), (1_000_000_000, 1_000_000_000));
    app.assert_ledger_reconciles();
}

#[test]
fn an_edit_made_on_a_stale_view_does_not_revert_what_sync_applied() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("stale-view-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("stale@example.com", "1000");
    let admin = &shop.admin_token;
    let (id, _) = place_one(&app, &token, service, "https://x.com/partial-sv");
    app.wait_for_order(&token, id, &["accepted"]);
    let seen = admin_order(&app, admin, id);
    assert_eq!(seen["status"], "pending");

    // Sync applies the provider's Partial after the admin opened the order.
    app.sync_round(admin);
    let partial = admin_order(&app, admin, id);
    assert_eq!(partial["status"], "partial");
    let refund = order_ledger_sum(&app, id);

    // The admin saves the form they opened before: refused, nothing reverted.
    let stale = json(
        patch_order(
            &app,
            admin,
            id,
            json!({"status": "pending", "adminNotes": "checked", "version": seen["version"]}),
        ),
        409,
    );
    assert_eq!(stale["error"]["code"], "order_changed");
    assert_eq!(stale["order"]["status"], "partial");
    // A notes-only edit keeps the fields it leaves out as they are now.
    let noted = json(patch_order(&app, admin, id, json!({"adminNotes": "checked"})), 200);
    assert_eq!(noted["status"], "partial");
    assert_eq!(noted["remains"], partial["remains"]);
    assert_eq!(order_ledger_sum(&app, id), refund);
    app.assert_ledger_reconciles();
}

#[test]
fn two_admins_resolving_one_order_at_once_never_both_win() {
    let app = spawn_app_with(&[("PROVIDER_TIMEOUT_SECS", "2")]);
    let shop = app.shop_without_faults_during_import(SimArgs {
        html_rate: 1.0,
        ..sim_args("two-resolves-1")
    });
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("resolves@example.com", "1000");
    let second_admin = app
        .user_with_token("admin2@example.com", smm_panel::domain::Role::Admin)
        .1;
    let pairs = [
        ("attach", "fail"),
        ("fail", "attach"),
        ("resend", "fail"),
        ("attach", "resend"),
    ];
    let ids: Vec<i64> = (0..pairs.len())
        .map(|i| place_one(&app, &token, service, &format!("https://x.com/two-{i}")).0)
        .collect();
    for id in &ids {
        app.wait_for_order(&token, *id, &["unknown"]);
    }
    // Resent orders go nowhere while the two decide.
    app.stop_workers();
    for (id, (a, b)) in ids.iter().zip(pairs) {
        let barrier = std::sync::Barrier::new(2);
        let resolve = |admin: &str, action: &str| {
            barrier.wait();
            let response = app.api().post(
                &format!("/api/admin/orders/{id}/resolve"),
                &json!({"action": action, "providerOrderId": format!("p{id}")}),
                Some(admin),
            );
            let status = response.status().as_u16();
            (status, response.json::<Value>().unwrap())
        };
        let (first, second) = std::thread::scope(|s| {
            let one = s.spawn(|| resolve(&shop.admin_token, a));
            let two = s.spawn(|| resolve(&second_admin, b));
            (one.join().unwrap(), two.join().unwrap())
        });
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{a} vs {b}: {first:?} {second:?}");
        let (winner, loser) = if first.0 == 200 {
            ((a, first.1), second.1)
        } else {
            ((b, second.1), first.1)
        };
        // Refused by the state machine, or beaten to the compare-and-set: 409 either way.
        assert!(
            matches!(loser["error"]["code"].as_str(), Some("not_in_review" | "order_changed")),
            "{loser}"
        );
        let now = admin_order(&app, &shop.admin_token, *id);
        let expected = match winner.0 {
            "attach" => ("accepted", "pending"),
            "fail" => ("rejected", "failed"),
            _ => ("queued", "pending"),
        };
        assert_eq!(
            (now["forwardState"].as_str().unwrap(), now["status"].as_str().unwrap()),
            expected,
            "{a} vs {b}: the winner's decision holds"
        );
        let charged = if expected.1 == "failed" { 0 } else { -90_000_000 };
        assert_eq!(order_ledger_sum(&app, *id), charged, "{a} vs {b}: settled once");
    }
    assert_eq!(
        app.audit_rows("order.resolve").len(),
        pairs.len(),
        "one audit row per winner"
    );
    let (balance, ledger) = app.balance_and_ledger_sum(user);
    assert_eq!(balance, ledger);
    app.assert_ledger_reconciles();
}

/// Holds the add, expires the worker's lease as a dead worker's would, lets the
/// recovery run, then lets the provider answer.
fn late_answer_case(on_ambiguous: &str) {
    let app = spawn_app_with(&[("PROVIDER_TIMEOUT_SECS", "5"), ("FORWARD_RETRY_DELAYS_SECS", "0,0")]);
    let shop = app.shop(sim_args("late-answer-1"));
    json(
        app.api().patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &json!({"onAmbiguous": on_ambiguous}),
            Some(&shop.admin_token),
        ),
        200,
    );
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("late@example.com", "1000");
    hold(&shop.sim, "add");
    let (id, _) = place_one(&app, &token, service, "https://x.com/late");
    wait_held(&shop.sim, 1);
    {
        let mut conn = app.state.conn().unwrap();
        diesel::update(orders::table.find(id))
            .set(orders::lease_until.eq(smm_panel::db::now() - chrono::TimeDelta::seconds(1)))
            .execute(&mut **conn)
            .unwrap();
    }
    // The recovery pass (which a free worker runs every 2 s) takes the expired lease.
    assert_eq!(
        smm_panel::worker::forwarder::recover_expired_leases(&app.state).unwrap(),
        1
    );
    let recovered = if on_ambiguous == "retry" { "queued" } else { "unknown" };
    assert_eq!(admin_order(&app, &shop.admin_token, id)["forwardState"], recovered);

    release(&shop.sim);
    let held = wait_until(Duration::from_secs(30), "the late answer to be recorded", || {
        let order = admin_order(&app, &shop.admin_token, id);
        order["providerOrderId"].as_str().is_some().then_some(order)
    });
    let sold = sim_orders(&shop.sim);
    assert_eq!(sold.len(), 1);
    assert_eq!(
        held["providerOrderId"],
        sold[0].0.to_string(),
        "the provider's id is kept"
    );
    assert_eq!(held["forwardState"], "unknown", "held for review, out of the queue");
    assert!(
        held["reviewReason"]
            .as_str()
            .unwrap()
            .contains("will not be sent again"),
        "{held}"
    );
    // Resend would buy it twice: refused. Attach takes the id the provider gave.
    let resend = app.api().post(
        &format!("/api/admin/orders/{id}/resolve"),
        &json!({"action": "resend"}),
        Some(&shop.admin_token),
    );
    assert_eq!(error_code(resend, 409), "not_in_review");
    let attached = json(
        app.api().post(
            &format!("/api/admin/orders/{id}/resolve"),
            &json!({"action": "attach"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    assert_eq!(attached["forwardState"], "accepted");
    assert_eq!(attached["providerOrderId"], sold[0].0.to_string());
    assert_eq!(sim_orders(&shop.sim).len(), 1, "never resent");
    assert_eq!(app.balance_and_ledger_sum(user).0, 1_000_000_000 - 90_000_000);
    app.assert_ledger_reconciles();
}

#[test]
fn a_late_answer_after_a_lost_lease_is_kept_and_never_resent_in_review_mode() {
    late_answer_case("review");
}

#[test]
fn a_late_answer_after_a_lost_lease_is_kept_and_never_resent_in_retry_mode() {
    late_answer_case("retry");
}

#[test]
fn a_skewed_clock_in_another_process_recovers_no_live_order() {
    let Handover {
        app,
        shop,
        service,
        token,
    } = handover(sim_args("skew-key-1"), "skew@example.com", "1000");
    let common = [("PROVIDER_TIMEOUT_SECS", "20"), ("WORKERS", "1")];
    let port_a = free_port();
    let mut a = serve(&app.env, port_a, &common);
    hold(&shop.sim, "add");
    let ids = place_at(port_a, &token, service, "skew", 1);
    wait_held(&shop.sim, 1);
    // B's own clock runs two minutes ahead: far past A's 30 s lease, if B trusted it.
    let mut extra = common.to_vec();
    extra.push(("SMM_TEST_CLOCK_SKEW_SECS", "120"));
    let mut b = serve(&app.env, free_port(), &extra);
    // B's lease recovery runs every 2 s from its start; give it three chances.
    let until = std::time::Instant::now() + Duration::from_secs(6);
    while std::time::Instant::now() < until {
        assert_eq!(app.count_forward_state("in_flight"), 1, "A's live lease stands");
        std::thread::sleep(Duration::from_millis(200));
    }
    release(&shop.sim);
    let order = app.wait_for_order(&token, ids[0], &["accepted", "unknown"]);
    assert_eq!(order["forwardState"], "accepted", "{order}");
    assert_eq!(sim_orders(&shop.sim).len(), 1);
    for child in [&mut a, &mut b] {
        let _ = child.kill();
        let _ = child.wait();
    }
    app.assert_ledger_reconciles();
}

#[test]
fn a_provider_that_refuses_whole_batches_is_checked_order_by_order_and_escalates() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    // Orders stay Pending at this provider.
    let shop = app.shop(SimArgs {
        step_secs: 3600,
        strict_multi_status: true,
        ..sim_args("strict-batch-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("strict@example.com", "1000");
    let admin = &shop.admin_token;
    let ids: Vec<i64> = (0..3)
        .map(|i| place_one(&app, &token, service, &format!("https://x.com/strict-{i}")).0)
        .collect();
    for id in &ids {
        app.wait_for_order(&token, *id, &["accepted"]);
    }
    let first = app.sync_round(admin);
    assert_eq!(
        (first["checked"].as_i64(), first["errors"].as_i64()),
        (Some(3), Some(0)),
        "{first}"
    );
    let multi_status = || {
        let mut conn = app.state.conn().unwrap();
        smm_panel::db::providers::find(&mut conn, shop.provider_id)
            .unwrap()
            .unwrap()
            .multi_status
    };
    assert_eq!(multi_status(), Some(true));
    // The provider has no order 999999: it refuses every multi-status call naming it.
    {
        let mut conn = app.state.conn().unwrap();
        diesel::update(orders::table.find(ids[2]))
            .set(orders::provider_order_id.eq("999999"))
            .execute(&mut **conn)
            .unwrap();
    }
    let round = app.sync_round(admin);
    assert_eq!(
        (round["checked"].as_i64(), round["errors"].as_i64()),
        (Some(3), Some(1)),
        "{round}"
    );
    let checked_at = |id: i64| admin_order(&app, admin, id)["lastStatusCheck"].clone();
    let good_checked = checked_at(ids[0]);
    let bad = admin_order(&app, admin, ids[2]);
    assert_eq!(bad["statusErrors"], 1);
    assert_eq!(
        bad["lastStatusCheck"], good_checked,
        "stamped with its batch, so batches rotate"
    );
    assert_eq!(multi_status(), Some(true), "one bad id does not unlearn multi-status");
    for _ in 1..smm_panel::service::sync::REVIEW_AFTER_ERRORS {
        app.sync_round(admin);
    }
    let held = admin_order(&app, admin, ids[2]);
    assert!(
        held["reviewReason"].as_str().unwrap().contains("Incorrect order ID"),
        "{held}"
    );
    let queue = json(app.api().get("/api/admin/orders?needsReview=true", Some(admin)), 200);
    assert_eq!(queue["total"], 1);
    assert_eq!(queue["items"][0]["id"], ids[2]);
    // Held orders are left alone by later rounds; the others are still checked.
    let next = app.sync_round(admin);
    assert_eq!(
        (next["checked"].as_i64(), next["errors"].as_i64()),
        (Some(2), Some(0)),
        "{next}"
    );
    assert_eq!(checked_at(ids[2]), held["lastStatusCheck"]);
    let failed = json(
        app.api().post(
            &format!("/api/admin/orders/{}/resolve", ids[2]),
            &json!({"action": "fail"}),
            Some(admin),
        ),
        200,
    );
    assert_eq!(failed["status"], "failed");
    assert_eq!(order_ledger_sum(&app, ids[2]), 0);
    app.assert_ledger_reconciles();
}

#[test]
fn orders_of_a_disabled_provider_are_listed_for_review() {
    let app = spawn_app();
    let shop = app.shop(sim_args("stranded-1"));
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("stranded@example.com", "1000");
    let admin = &shop.admin_token;
    let (id, _) = place_one(&app, &token, service, "https://x.com/stranded");
    app.wait_for_order(&token, id, &["accepted"]);
    json(
        app.api().patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &json!({"enabled": false}),
            Some(admin),
        ),
        200,
    );
    app.sync_round(admin);
    let held = admin_order(&app, admin, id);
    assert!(held["reviewReason"].as_str().unwrap().contains("disabled"), "{held}");
    let queue = json(app.api().get("/api/admin/orders?needsReview=true", Some(admin)), 200);
    assert_eq!(queue["total"], 1);
    // Re-enabled, the admin resumes it and sync takes it up again.
    json(
        app.api().patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &json!({"enabled": true}),
            Some(admin),
        ),
        200,
    );
    let resumed = json(
        app.api().post(
            &format!("/api/admin/orders/{id}/resolve"),
            &json!({"action": "resume"}),
            Some(admin),
        ),
        200,
    );
    assert!(resumed["reviewReason"].is_null());
    let round = app.sync_round(admin);
    assert_eq!(round["checked"], 1, "{round}");
}

#[test]
fn amounts_and_balances_stay_within_the_maximum() {
    let app = spawn_app();
    let admin = app.admin_token();
    let (user, _) = app.customer("rich@example.com", "0");
    let deposit = |amount: &str| {
        app.api().post(
            &format!("/api/admin/users/{user}/balance"),
            &json!({"amount": amount, "note": "big"}),
            Some(&admin),
        )
    };
    assert_eq!(error_code(deposit("9000000000000"), 422), "balance_limit");
    assert_eq!(error_code(deposit("9000000000000"), 422), "balance_limit");
    json(deposit("600000000000"), 200);
    assert_eq!(error_code(deposit("600000000000"), 422), "balance_limit");
    json(deposit("400000000000"), 200);
    let (balance, ledger) = app.balance_and_ledger_sum(user);
    assert_eq!(balance, 1_000_000_000_000 * 1_000_000, "exactly at the maximum");
    assert_eq!(balance, ledger);
    assert_eq!(error_code(deposit("0.01"), 422), "balance_limit");
    assert_eq!(app.balance_and_ledger_sum(user), (balance, balance), "nothing written");
}

#[test]
fn the_pages_show_why_an_order_waits_and_refuse_a_stale_edit() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("pages-review-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("pages-review@example.com", "1000");
    app.create_user("boss@example.com", "boss-pass-123", smm_panel::domain::Role::Admin);
    let admin = app.browser();
    admin.login("boss@example.com", "boss-pass-123");
    let (id, _) = place_one(&app, &token, service, "https://x.com/partial-page");
    app.wait_for_order(&token, id, &["accepted"]);

    // The admin opens the order; sync applies the provider's Partial meanwhile.
    let page = admin.get(&format!("/admin/orders/{id}")).text().unwrap();
    assert!(page.contains("name=\"version\""), "the edit form carries the version");
    app.sync_round(&shop.admin_token);
    let csrf = csrf_token(&page);
    let version = {
        let marker = "name=\"version\" value=\"";
        let start = page.find(marker).unwrap() + marker.len();
        page[start..start + page[start..].find('"').unwrap()].to_string()
    };
    let saved = admin.post_form(
        &format!("/admin/orders/{id}"),
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("status", "pending"),
            ("adminNotes", "looked"),
        ],
    );
    assert_eq!(saved.status(), 303);
    let after = admin.get(&format!("/admin/orders/{id}")).text().unwrap();
    assert!(
        after.contains("was not changed"),
        "the stale save is refused with a reason"
    );
    assert_eq!(admin_order(&app, &shop.admin_token, id)["status"], "partial");

    // Flagged for review, it shows on the queue with its reason and is resolved there.
    {
        let mut conn = app.state.conn().unwrap();
        diesel::update(orders::table.find(id))
            .set(orders::review_reason.eq("The provider reports the status 'Refunded'"))
            .execute(&mut **conn)
            .unwrap();
    }
    let queue = admin.get("/admin/review").text().unwrap();
    assert!(
        queue.contains(&format!("Order {id}")) && queue.contains("reports the status &#39;Refunded&#39;"),
        "{queue}"
    );
    assert!(queue.contains("value=\"resume\"") && !queue.contains("value=\"resend\""));
    let resolved = admin.submit(
        "/admin/review",
        &format!("/admin/orders/{id}/resolve"),
        &[("action", "fail")],
    );
    assert_eq!(resolved.status(), 303);
    let queue = admin.get("/admin/review").text().unwrap();
    assert!(queue.contains("Nothing waits for review"), "{queue}");
    assert_eq!(admin_order(&app, &shop.admin_token, id)["status"], "failed");
    app.assert_ledger_reconciles();
}

#[test]
fn a_sync_reply_still_applies_when_only_the_notes_changed_during_the_call() {
    let app = spawn_app_with(&[("PROVIDER_CALL_SPACING_MS", "0")]);
    let shop = app.shop(SimArgs {
        step_secs: 0,
        ..sim_args("sync-notes-1")
    });
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("sync-notes@example.com", "1000");
    let admin = &shop.admin_token;
    let (id, _) = place_one(&app, &token, service, "https://x.com/partial-notes");
    app.wait_for_order(&token, id, &["accepted"]);
    hold(&shop.sim, "status");
    let round = app.start_round(admin);
    wait_held(&shop.sim, 1);
    let noted = json(
        patch_order(&app, admin, id, json!({"adminNotes": "customer asked"})),
        200,
    );
    assert_eq!(noted["status"], "pending");
    release(&shop.sim);
    let finished = app.wait_round(admin, round);
    assert_eq!(finished["changed"], 1, "re-read, re-decided, applied: {finished}");
    let now = admin_order(&app, admin, id);
    assert_eq!(
        (now["status"].as_str(), now["adminNotes"].as_str()),
        (Some("partial"), Some("customer asked"))
    );
    app.assert_ledger_reconciles();
}
