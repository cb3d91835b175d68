//! Admin operations: manual orders, order edits with settlement, the review queue,
//! users and admins, the audit trail, and the role matrix.

use serde_json::{json, Value};
use smm_panel::domain::Role;
use smm_panel::provider::sim::SimArgs;

use crate::helpers::*;

#[test]
fn manual_orders_are_priced_charged_when_asked_and_never_forwarded() {
    let app = spawn_app();
    let shop = app.shop(sim_args("manual-ops-1"));
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("client@example.com", "100");
    let api = app.api();
    let admin = &shop.admin_token;

    let charged = json(api.post("/api/admin/orders/manual", &json!({"userId": user, "serviceId": service, "link": "https://x.com/m1", "quantity": 1000, "adminNotes": "paid by bKash"}), Some(admin)), 201);
    assert_eq!(charged["isManual"], true);
    assert_eq!(charged["forwardState"], "manual");
    assert_eq!(charged["charge"], "90.00");
    assert_eq!(charged["adminNotes"], "paid by bKash");
    assert_eq!(app.balance_and_ledger_sum(user), (10_000_000, 10_000_000));

    let free = json(api.post("/api/admin/orders/manual", &json!({"userId": user.to_string(), "serviceId": service, "link": "https://x.com/m2", "quantity": 1000, "charge": false}), Some(admin)), 201);
    assert_eq!(free["charge"], "0.00");
    assert_eq!(
        app.balance_and_ledger_sum(user),
        (10_000_000, 10_000_000),
        "not charged"
    );

    let broke = api.post(
        "/api/admin/orders/manual",
        &json!({"userId": user, "serviceId": service, "link": "https://x.com/m3", "quantity": 1000}),
        Some(admin),
    );
    assert_eq!(error_code(broke, 422), "insufficient_balance");
    for (body, status, field) in [
        (
            json!({"userId": 9999, "serviceId": service, "link": "https://x.com/a", "quantity": 100}),
            404,
            "",
        ),
        (
            json!({"userId": user, "serviceId": 9999, "link": "https://x.com/a", "quantity": 100}),
            404,
            "",
        ),
        (
            json!({"userId": user, "serviceId": service, "link": "https://x.com/a", "quantity": 10}),
            400,
            "quantity",
        ),
        (
            json!({"userId": user, "serviceId": service, "link": "bad", "quantity": 100}),
            400,
            "link",
        ),
    ] {
        let error = json(api.post("/api/admin/orders/manual", &body, Some(admin)), status);
        if !field.is_empty() {
            assert_eq!(error["error"]["field"], field);
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        sim_orders(&shop.sim).is_empty(),
        "manual orders never reach the provider"
    );
    let audit = app.audit_rows("order.manual_create");
    assert_eq!(audit.len(), 2, "one audit row per created order, none for refusals");
    assert!(audit[0].after_json.as_deref().unwrap().contains("bKash"));
    let mine = json(api.get("/api/user/orders", Some(&token)), 200);
    assert_eq!(mine["total"], 2, "the user sees their manual orders");
    assert!(
        mine["items"][0].get("adminNotes").is_none(),
        "but not the admin's notes"
    );
    app.assert_ledger_reconciles();
}

#[test]
fn editing_an_order_settles_exactly_once_and_is_audited() {
    let app = spawn_app();
    let shop = app.shop(sim_args("edit-ops-1"));
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("edited@example.com", "1000");
    let api = app.api();
    let admin = &shop.admin_token;
    let placed = json(
        api.post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": "https://x.com/e", "qty": 1000}),
            Some(&token),
        ),
        201,
    );
    let id = placed["orders"][0]["id"].as_i64().unwrap();
    app.wait_for_order(&token, id, &["accepted"]);
    assert_eq!(app.balance_and_ledger_sum(user).0, 910_000_000);

    let edited = json(
        api.patch(
            &format!("/api/admin/orders/{id}"),
            &json!({"status": "partial", "remains": 250, "startCount": 1200, "adminNotes": "provider under-delivered"}),
            Some(admin),
        ),
        200,
    );
    assert_eq!(edited["status"], "partial");
    assert_eq!(edited["startCount"], 1200);
    assert_eq!(
        app.balance_and_ledger_sum(user).0,
        910_000_000 + 22_500_000,
        "refunds 90 × 250 ÷ 1000"
    );
    json(
        api.patch(
            &format!("/api/admin/orders/{id}"),
            &json!({"status": "partial", "remains": 250}),
            Some(admin),
        ),
        200,
    );
    assert_eq!(
        app.balance_and_ledger_sum(user).0,
        932_500_000,
        "the same edit again refunds nothing"
    );
    json(
        api.patch(
            &format!("/api/admin/orders/{id}"),
            &json!({"status": "canceled"}),
            Some(admin),
        ),
        200,
    );
    assert_eq!(app.balance_and_ledger_sum(user).0, 1_000_000_000, "then the rest");
    json(
        api.patch(
            &format!("/api/admin/orders/{id}"),
            &json!({"status": "canceled"}),
            Some(admin),
        ),
        200,
    );
    assert_eq!(app.balance_and_ledger_sum(user).0, 1_000_000_000);

    for (body, field) in [
        (json!({"status": "lost"}), "status"),
        (json!({"remains": -1}), "remains"),
        (json!({"remains": 1001}), "remains"),
        (json!({"startCount": "many"}), "startCount"),
    ] {
        let error = json(api.patch(&format!("/api/admin/orders/{id}"), &body, Some(admin)), 400);
        assert_eq!(error["error"]["field"], field, "{body}");
    }
    assert_eq!(
        error_code(
            api.patch("/api/admin/orders/99999", &json!({"status": "completed"}), Some(admin)),
            404
        ),
        "not_found"
    );
    let rows = app.audit_rows("order.edit");
    assert_eq!(rows.len(), 4, "one per accepted edit, none for refusals");
    assert!(rows[0].before_json.as_deref().unwrap().contains("\"pending\""));
    assert!(rows[0].after_json.as_deref().unwrap().contains("under-delivered"));
    app.assert_ledger_reconciles();
}

/// Orders left `unknown` by an ambiguous provider answer, resolved each way.
#[test]
fn the_review_queue_resolves_by_attach_resend_or_fail() {
    let app = spawn_app_with(&[("PROVIDER_TIMEOUT_SECS", "1")]);
    let shop = app.shop_without_faults_during_import(SimArgs {
        html_rate: 1.0,
        ..sim_args("review-ops-1")
    });
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("review@example.com", "1000");
    let api = app.api();
    let admin = &shop.admin_token;
    let orders: Vec<Value> = (0..3)
        .map(|i| json!({"serviceId": service, "link": format!("https://x.com/r{i}"), "qty": 1000}))
        .collect();
    let placed = json(
        api.post("/api/user/create-orders", &json!({"orders": orders}), Some(&token)),
        201,
    );
    let ids: Vec<i64> = placed["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    for id in &ids {
        app.wait_for_order(&token, *id, &["unknown"]);
    }
    let queue = json(api.get("/api/admin/orders?forwardState=unknown", Some(admin)), 200);
    assert_eq!(queue["total"], 3);
    assert!(queue["items"][0]["lastError"].as_str().is_some());

    // The provider is healthy again.
    let healthy = spawn_sim(sim_args("review-ops-1"));
    json(
        api.patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &json!({"apiUrl": healthy.api_url(), "apiKey": "review-ops-1"}),
            Some(admin),
        ),
        200,
    );

    let attached = json(
        api.post(
            &format!("/api/admin/orders/{}/resolve", ids[0]),
            &json!({"action": "attach", "providerOrderId": "10001"}),
            Some(admin),
        ),
        200,
    );
    assert_eq!(attached["forwardState"], "accepted");
    assert_eq!(attached["providerOrderId"], "10001");
    json(
        api.post(
            &format!("/api/admin/orders/{}/resolve", ids[1]),
            &json!({"action": "resend"}),
            Some(admin),
        ),
        200,
    );
    let resent = app.wait_for_order(&token, ids[1], &["accepted"]);
    assert!(resent["providerOrderId"].as_str().is_some());
    assert_eq!(adds_per_link(&healthy).get("https://x.com/r1"), Some(&1));
    let failed = json(
        api.post(
            &format!("/api/admin/orders/{}/resolve", ids[2]),
            &json!({"action": "fail"}),
            Some(admin),
        ),
        200,
    );
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        app.balance_and_ledger_sum(user).0,
        1_000_000_000 - 180_000_000,
        "the failed one is refunded"
    );

    let again = api.post(
        &format!("/api/admin/orders/{}/resolve", ids[2]),
        &json!({"action": "fail"}),
        Some(admin),
    );
    assert_eq!(error_code(again, 409), "not_in_review");
    assert_eq!(
        app.balance_and_ledger_sum(user).0,
        820_000_000,
        "nothing refunded twice"
    );
    let bad = api.post(
        &format!("/api/admin/orders/{}/resolve", ids[0]),
        &json!({"action": "explode"}),
        Some(admin),
    );
    assert_eq!(error_code(bad, 400), "validation_error");
    assert_eq!(app.audit_rows("order.resolve").len(), 3);
    app.assert_ledger_reconciles();
}

#[test]
fn disabled_users_are_locked_out_of_sessions_and_tokens() {
    let app = spawn_app();
    let admin = app.admin_token();
    let (user, token) = app.user_with_token("locked@example.com", Role::User);
    let browser = app.browser();
    assert_eq!(browser.login("locked@example.com", "correct-horse").status(), 303);
    let api = app.api();

    let disabled = json(
        api.patch(
            &format!("/api/admin/users/{user}"),
            &json!({"disabled": true}),
            Some(&admin),
        ),
        200,
    );
    assert_eq!(disabled["disabled"], true);
    assert_eq!(error_code(api.get("/api/user/me", Some(&token)), 401), "unauthorized");
    assert_eq!(browser.get("/").status(), 303, "the open session ends");
    let response = api.post(
        "/api/auth/token",
        &json!({"email": "locked@example.com", "password": "correct-horse"}),
        None,
    );
    assert!(json(response, 401)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("disabled"));
    assert_eq!(browser.login("locked@example.com", "correct-horse").status(), 401);

    json(
        api.patch(
            &format!("/api/admin/users/{user}"),
            &json!({"disabled": "false"}),
            Some(&admin),
        ),
        200,
    );
    // Re-enabled, the user signs in again: what was issued before the disable stays void.
    assert_eq!(api.get("/api/user/me", Some(&token)).status(), 401);
    let fresh = api.token("locked@example.com", "correct-horse");
    assert_eq!(api.get("/api/user/me", Some(&fresh)).status(), 200);
    assert_eq!(app.audit_rows("user.disable").len(), 1);
    assert_eq!(app.audit_rows("user.enable").len(), 1);

    let me = app.find_user("admin@example.com");
    assert_eq!(
        error_code(
            api.patch(
                &format!("/api/admin/users/{me}"),
                &json!({"disabled": true}),
                Some(&admin)
            ),
            422
        ),
        "self_disable"
    );
}

#[test]
fn only_a_super_admin_creates_admins_and_every_admin_route_checks_roles() {
    let app = spawn_app();
    let (_, user) = app.user_with_token("plain@example.com", Role::User);
    let (_, admin) = app.user_with_token("admin@example.com", Role::Admin);
    let (_, boss) = app.user_with_token("boss@example.com", Role::SuperAdmin);
    let api = app.api();

    let body = json!({"email": "second@example.com", "password": "second-admin-1"});
    assert_eq!(
        error_code(api.post("/api/admin/admins", &body, Some(&admin)), 403),
        "forbidden"
    );
    let created = json(api.post("/api/admin/admins", &body, Some(&boss)), 201);
    assert!(created["id"].as_i64().is_some());
    assert_eq!(
        error_code(api.post("/api/admin/admins", &body, Some(&boss)), 409),
        "email_taken"
    );
    assert_eq!(
        error_code(
            api.post(
                "/api/admin/admins",
                &json!({"email": "x@example.com", "password": "short"}),
                Some(&boss)
            ),
            400
        ),
        "validation_error"
    );
    let second = api.token("second@example.com", "second-admin-1");
    assert_eq!(json(api.get("/api/user/me", Some(&second)), 200)["role"], "admin");
    let rows = app.audit_rows("admin.create");
    assert_eq!(rows.len(), 1);
    assert!(
        !rows[0].after_json.as_deref().unwrap().contains("second-admin-1"),
        "no password in the audit log"
    );

    let audit = json(api.get("/api/admin/audit", Some(&admin)), 200);
    assert_eq!(audit["items"][0]["action"], "admin.create");
    assert_eq!(audit["items"][0]["after"]["email"], "second@example.com");

    let routes: &[(&str, &str)] = &[
        ("GET", "/api/admin/users"),
        ("POST", "/api/admin/users/1/balance"),
        ("PATCH", "/api/admin/users/1"),
        ("GET", "/api/admin/orders"),
        ("GET", "/api/admin/orders/1"),
        ("PATCH", "/api/admin/orders/1"),
        ("POST", "/api/admin/orders/manual"),
        ("POST", "/api/admin/orders/1/resolve"),
        ("GET", "/api/admin/orders/sync-status"),
        ("POST", "/api/admin/orders/sync-status"),
        ("GET", "/api/admin/providers"),
        ("POST", "/api/admin/providers"),
        ("POST", "/api/admin/categories"),
        ("POST", "/api/admin/services"),
        ("POST", "/api/admin/settings"),
        ("GET", "/api/admin/audit"),
        ("POST", "/api/admin/admins"),
    ];
    for (method, path) in routes {
        for (token, status) in [(None, 401), (Some(user.as_str()), 403)] {
            let request = match *method {
                "GET" => api.client.get(app.url(path)),
                "PATCH" => api.client.patch(app.url(path)).json(&json!({})),
                _ => api.client.post(app.url(path)).json(&json!({})),
            };
            let request = match token {
                Some(t) => request.bearer_auth(t),
                None => request,
            };
            assert_eq!(request.send().unwrap().status(), status, "{method} {path}");
        }
    }
}

#[test]
fn the_admin_pages_run_the_panel_day_to_day() {
    let app = spawn_app_with(&[("PROVIDER_TIMEOUT_SECS", "1")]);
    let shop = app.shop_without_faults_during_import(SimArgs {
        html_rate: 1.0,
        ..sim_args("pages-ops-1")
    });
    let service = app.service_id(&shop, "1").to_string();
    let (user, token) = app.customer("daily@example.com", "1000");
    app.create_user("root@example.com", "root-pass-123", Role::SuperAdmin);
    let admin = app.browser();
    admin.login("root@example.com", "root-pass-123");

    // A manual order from the form: a refusal keeps the values, then it is created.
    let user_id = user.to_string();
    let response = admin.submit(
        "/admin/orders/manual",
        "/admin/orders/manual",
        &[
            ("userId", &user_id),
            ("serviceId", &service),
            ("link", "https://x.com/daily"),
            ("quantity", "5"),
            ("charge", "true"),
        ],
    );
    assert_eq!(response.status(), 400);
    let html = response.text().unwrap();
    assert!(html.contains("between 50 and 10000") && html.contains("value=\"https://x.com/daily\""));
    let response = admin.submit(
        "/admin/orders/manual",
        "/admin/orders/manual",
        &[
            ("userId", &user_id),
            ("serviceId", &service),
            ("link", "https://x.com/daily"),
            ("quantity", "1000"),
            ("charge", "true"),
            ("adminNotes", "phone order"),
        ],
    );
    assert_eq!(response.status(), 303);
    let order_page = location(&response);
    assert_eq!(app.balance_and_ledger_sum(user).0, 910_000_000);
    // The order's page and the list name the customer by email, linked to their orders.
    let customer_link = format!("<a href=\"/admin/orders?userId={user}\"");
    for page in [order_page.as_str(), "/admin/orders"] {
        let html = admin.get(page).text().unwrap();
        let at = html.find(&customer_link).unwrap_or_else(|| panic!("{page}: {html}"));
        assert!(
            html[at..].split("</a>").next().unwrap().ends_with(">daily@example.com"),
            "{page}"
        );
    }
    let filtered = admin.get(&format!("/admin/orders?userId={user}")).text().unwrap();
    assert!(filtered.contains(&format!("href=\"{order_page}\"")));

    // Edit it to partial from its page.
    let response = admin.submit(
        &order_page,
        &order_page,
        &[
            ("status", "partial"),
            ("remains", "500"),
            ("startCount", "10"),
            ("adminNotes", "half done"),
        ],
    );
    assert_eq!(response.status(), 303);
    assert!(admin.get(&order_page).text().unwrap().contains("half done"));
    assert_eq!(app.balance_and_ledger_sum(user).0, 955_000_000);

    // An ambiguous order shows in the review queue with a badge, and is failed from there.
    let placed = json(app.api().post("/api/user/create-orders", &serde_json::json!({"serviceId": service.parse::<i64>().unwrap(), "link": "https://x.com/amb", "qty": 1000}), Some(&token)), 201);
    let id = placed["orders"][0]["id"].as_i64().unwrap();
    app.wait_for_order(&token, id, &["unknown"]);
    wait_until(std::time::Duration::from_secs(10), "the review badge", || {
        admin
            .get("/admin/review")
            .text()
            .unwrap()
            .contains("title=\"Orders waiting for review\">1<")
            .then_some(())
    });
    let queue = admin.get("/admin/review").text().unwrap();
    assert!(queue.contains(&format!(
        "{customer_link} title=\"All orders of user {user}\">daily@example.com</a>"
    )));
    let response = admin.submit(
        "/admin/review",
        &format!("/admin/orders/{id}/resolve"),
        &[("action", "fail")],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(
        json(app.api().get(&format!("/api/user/orders/{id}"), Some(&token)), 200)["status"],
        "failed"
    );

    // Users: disable and enable; admins; audit; dashboard.
    let response = admin.submit(
        "/admin/users",
        &format!("/admin/users/{user}/disabled"),
        &[("disabled", "true")],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(app.api().get("/api/user/me", Some(&token)).status(), 401);
    admin.submit(
        "/admin/users",
        &format!("/admin/users/{user}/disabled"),
        &[("disabled", "false")],
    );
    let response = admin.submit(
        "/admin/admins",
        "/admin/admins",
        &[("email", "helper@example.com"), ("password", "helper-pass-1")],
    );
    assert_eq!(response.status(), 303);
    let audit = admin.get("/admin/audit").text().unwrap();
    for action in [
        "order.manual_create",
        "order.edit",
        "order.resolve",
        "user.disable",
        "user.enable",
        "admin.create",
    ] {
        assert!(audit.contains(action), "{action} in the audit page");
    }
    let dashboard = admin.get("/admin").text().unwrap();
    assert!(dashboard.contains("Orders today") && dashboard.contains("<svg"));

    // A plain admin cannot reach the super admin's page; a user reaches no admin page.
    let helper = app.browser();
    helper.login("helper@example.com", "helper-pass-1");
    assert_eq!(helper.get("/admin/admins").status(), 403);
    assert_eq!(helper.get("/admin").status(), 200);
    let customer = app.browser();
    customer.login("daily@example.com", "correct-horse");
    for page in [
        "/admin",
        "/admin/orders",
        "/admin/review",
        "/admin/audit",
        "/admin/orders/manual",
        "/admin/sync",
    ] {
        assert_eq!(customer.get(page).status(), 403, "{page}");
    }
    app.assert_ledger_reconciles();
}

#[test]
fn admin_order_filters_narrow_by_manual_flag_user_and_date() {
    let app = spawn_app();
    let shop = app.shop(sim_args("filters-1"));
    let service = app.service_id(&shop, "1");
    let (alice, alice_token) = app.customer("fa@example.com", "1000");
    let (bob, _) = app.customer("fb@example.com", "1000");
    let api = app.api();
    let admin = &shop.admin_token;
    let day_before = chrono::Utc::now().date_naive();
    json(
        api.post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": "https://x.com/f1", "qty": 100}),
            Some(&alice_token),
        ),
        201,
    );
    json(
        api.post(
            "/api/admin/orders/manual",
            &json!({"userId": bob, "serviceId": service, "link": "https://x.com/f2", "quantity": 100}),
            Some(admin),
        ),
        201,
    );
    let count = |query: &str| {
        json(api.get(&format!("/api/admin/orders?{query}"), Some(admin)), 200)["total"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count(""), 2);
    assert_eq!(count("isManual=true"), 1);
    assert_eq!(count("isManual=false"), 1);
    assert_eq!(count(&format!("userId={alice}")), 1);
    let today = chrono::Utc::now().date_naive();
    // From the day before placing to the day after (the same day unless midnight UTC
    // passed between).
    assert_eq!(count(&format!("from={day_before}&to={today}")), 2);
    assert_eq!(count(&format!("to={}", day_before.pred_opt().unwrap())), 0);
    assert_eq!(count(&format!("from={}", today.succ_opt().unwrap())), 0);
    assert_eq!(
        error_code(api.get("/api/admin/orders?from=yesterday", Some(admin)), 400),
        "validation_error"
    );
    assert_eq!(
        error_code(api.get("/api/admin/orders?isManual=maybe", Some(admin)), 400),
        "validation_error"
    );
}

/// The manual-order page finds the user by email (a plain GET step, no JavaScript),
/// shows the chosen user's balance, and places the order for them.
#[test]
fn the_manual_order_page_finds_the_user_by_email() {
    let app = spawn_app();
    app.stop_workers();
    let shop = app.shop(sim_args("manual-pick-key"));
    let service = app.service_id(&shop, "1");
    let target = app.create_user("rahim.uddin@example.com", "rahim-pass-1", Role::User);
    app.deposit(target, "250");
    app.create_user("karim@example.com", "karim-pass-1", Role::User);
    app.create_user("picker@example.com", "picker-pass-1", Role::Admin);
    let admin = app.browser();
    admin.login("picker@example.com", "picker-pass-1");

    let found = admin.get("/admin/orders/manual?user=RAHIM").text().unwrap();
    assert!(found.contains(&format!("href=\"/admin/orders/manual?userId={target}\"")));
    assert!(found.contains("rahim.uddin@example.com") && !found.contains("karim@example.com"));
    let none = admin.get("/admin/orders/manual?user=nobody-here").text().unwrap();
    assert!(["No user&#x27;s", "No user&#39;s", "No user's"]
        .iter()
        .any(|s| none.contains(&format!("{s} email contains"))));
    // The search words come back escaped inside the translated sentence.
    let markup = admin.get("/admin/orders/manual?user=%3Cb%3Eloud").text().unwrap();
    assert!(!markup.contains("<b>loud"), "{markup}");
    assert!(markup.contains("&#60;b&#62;loud") || markup.contains("&lt;b&gt;loud"));

    let chosen = admin
        .get(&format!("/admin/orders/manual?userId={target}"))
        .text()
        .unwrap();
    assert!(chosen.contains("For <strong>rahim.uddin@example.com</strong>"));
    assert!(chosen.contains("balance 250.00"), "the user's balance is shown");
    assert!(chosen.contains(&format!("name=\"userId\" value=\"{target}\"")));

    let placed = admin.submit(
        &format!("/admin/orders/manual?userId={target}"),
        "/admin/orders/manual",
        &[
            ("userId", &target.to_string()),
            ("serviceId", &service.to_string()),
            ("link", "https://x.com/picked"),
            ("quantity", "100"),
            ("charge", "true"),
        ],
    );
    assert_eq!(placed.status(), 303, "placed");
    let (balance, sum) = app.balance_and_ledger_sum(target);
    assert!(balance < 250_000_000 && balance == sum, "charged through the ledger");
}
