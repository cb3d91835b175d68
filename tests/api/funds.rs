//! Adding funds: payment methods, a customer's request, an admin's approval (a ledger
//! credit in the same transaction, once only) or rejection (nothing else changes).

use std::sync::{Arc, Barrier};

use serde_json::json;
use smm_panel::domain::Role;

use crate::helpers::*;

/// A bKash method through the admin page's form; returns its id.
fn add_bkash(app: &TestApp, admin: &Browser) -> i64 {
    let created = admin.submit(
        "/admin/funds",
        "/admin/funds/methods",
        &[
            ("name", "bKash personal"),
            ("kind", "bkash"),
            ("account", "01711000000"),
            ("instructions", "Send Money to this number."),
            ("minAmount", "100"),
            ("maxAmount", "25000"),
            ("enabled", "true"),
        ],
    );
    assert_eq!(created.status(), 303);
    let methods = json(
        app.api().get(
            "/api/admin/payment-methods",
            Some(&app.admin_token_of("boss@example.com")),
        ),
        200,
    );
    methods["items"][0]["id"].as_i64().unwrap()
}

impl TestApp {
    fn admin_token_of(&self, email: &str) -> String {
        self.api().token(email, "boss-pass-1")
    }

    fn ledger_rows(&self, user_id: i64) -> usize {
        use diesel::prelude::*;
        use smm_panel::db::schema::ledger_entries;
        let mut conn = self.state.conn().unwrap();
        let count: i64 = ledger_entries::table
            .filter(ledger_entries::user_id.eq(user_id))
            .count()
            .get_result(&mut **conn)
            .unwrap();
        count as usize
    }

    fn balance(&self, token: &str) -> String {
        json(self.api().get("/api/user/me", Some(token)), 200)["balance"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn boss(app: &TestApp) -> Browser {
    app.create_user("boss@example.com", "boss-pass-1", Role::Admin);
    let admin = app.browser();
    assert_eq!(admin.login("boss@example.com", "boss-pass-1").status(), 303);
    admin
}

#[test]
fn a_customer_adds_funds_and_an_admin_approves_the_payment_once() {
    let app = spawn_app();
    let admin = boss(&app);
    // Without a method the customer is told so, and cannot ask.
    let (customer_id, token) = app.customer("payer@example.com", "0");
    let customer = app.browser();
    customer.login("payer@example.com", "correct-horse");
    assert!(customer
        .get("/funds")
        .text()
        .unwrap()
        .contains("takes no payments online yet"));

    // A method with a bad range is re-shown with the values kept, and not stored.
    let refused = admin.submit(
        "/admin/funds",
        "/admin/funds/methods",
        &[
            ("name", "Nagad"),
            ("kind", "nagad"),
            ("account", "01811000000"),
            ("minAmount", "500"),
            ("maxAmount", "100"),
        ],
    );
    assert_eq!(refused.status(), 400);
    let html = refused.text().unwrap();
    assert!(html.contains("The maximum cannot be below the minimum."), "{html}");
    assert!(html.contains("value=\"01811000000\"") && html.contains("value=\"500\""));
    let method = add_bkash(&app, &admin);

    // The customer sees the method, its account and instructions.
    let page = customer.get("/funds").text().unwrap();
    assert!(
        page.contains("bKash personal") && page.contains("01711000000") && page.contains("Send Money to this number.")
    );
    // Below the method's minimum: the form comes back with what was typed, nothing stored.
    let low = customer.submit(
        "/funds",
        "/funds",
        &[
            ("methodId", &method.to_string()),
            ("amount", "50"),
            ("txnId", "8n7a6b5c4d"),
        ],
    );
    assert_eq!(low.status(), 400);
    let html = low.text().unwrap();
    assert!(html.contains("must be between 100.00 and 25000.00"), "{html}");
    assert!(html.contains("value=\"8n7a6b5c4d\"") && html.contains("value=\"50\""));
    assert!(json(app.api().get("/api/user/funds", Some(&token)), 200)["requests"]
        .as_array()
        .unwrap()
        .is_empty());

    // A good request is listed as pending, and admins see a badge.
    let sent = customer.submit(
        "/funds",
        "/funds",
        &[
            ("methodId", &method.to_string()),
            ("amount", "1500.50"),
            ("txnId", " 8n7a6b5c4d "),
        ],
    );
    assert_eq!(sent.status(), 303);
    let page = customer.get("/funds").text().unwrap();
    assert!(page.contains("8N7A6B5C4D") && page.contains("pending"), "{page}");
    let admin_page = admin.get("/admin/funds").text().unwrap();
    assert!(admin_page.contains("payer@example.com") && admin_page.contains("1500.50"));
    assert!(
        admin_page.contains("title=\"Payments waiting for approval\">1</span>"),
        "the badge"
    );
    let request = json(
        app.api()
            .get("/api/admin/funds", Some(&app.admin_token_of("boss@example.com"))),
        200,
    )["items"][0]["id"]
        .as_i64()
        .unwrap();
    // Asking again for the same payment is refused while it waits.
    let again = json(
        app.api().post(
            "/api/user/funds",
            &json!({"methodId": method, "amount": "1500.50", "txnId": "8N7A6B5C4D"}),
            Some(&token),
        ),
        409,
    );
    assert_eq!(again["error"]["code"], "request_exists");

    // Approval credits the ledger once, with an audit row.
    let rows_before = app.ledger_rows(customer_id);
    let approved = admin.submit("/admin/funds", &format!("/admin/funds/{request}/approve"), &[]);
    assert_eq!(approved.status(), 303);
    assert_eq!(app.balance(&token), "1500.50");
    assert_eq!(app.ledger_rows(customer_id), rows_before + 1);
    let audit = app.audit_rows("funds.approve");
    assert_eq!(audit.len(), 1);
    assert!(audit[0]
        .after_json
        .as_deref()
        .unwrap_or_default()
        .contains("8N7A6B5C4D"));
    // Approving it again changes nothing.
    let twice = admin.submit("/admin/funds", &format!("/admin/funds/{request}/approve"), &[]);
    assert_eq!(twice.status(), 303);
    assert!(admin
        .get("/admin/funds?state=all")
        .text()
        .unwrap()
        .contains("already approved"));
    assert_eq!(app.balance(&token), "1500.50");
    assert_eq!(app.ledger_rows(customer_id), rows_before + 1);
    let api_twice = json(
        app.api().post(
            &format!("/api/admin/funds/{request}/approve"),
            &json!({}),
            Some(&app.admin_token_of("boss@example.com")),
        ),
        409,
    );
    assert_eq!(api_twice["error"]["code"], "already_decided");

    // Another customer naming the credited payment is refused at once.
    let (_, other) = app.customer("copycat@example.com", "0");
    let claimed = json(
        app.api().post(
            "/api/user/funds",
            &json!({"methodId": method, "amount": "1500.50", "txnId": "8n7a6b5c4d"}),
            Some(&other),
        ),
        409,
    );
    assert_eq!(claimed["error"]["code"], "payment_already_credited");
    // The customer's page shows the approval, and the ledger reconciles.
    assert!(customer.get("/funds").text().unwrap().contains("approved"));
    assert!(customer.get("/transactions").text().unwrap().contains("8N7A6B5C4D"));
    app.assert_ledger_reconciles();
}

#[test]
fn a_rejected_request_changes_nothing_but_its_state() {
    let app = spawn_app();
    let admin = boss(&app);
    let method = add_bkash(&app, &admin);
    let (customer_id, token) = app.customer("hopeful@example.com", "10");
    let asked = json(
        app.api().post(
            "/api/user/funds",
            &json!({"methodId": method, "amount": "700", "txnId": "NOPE1234"}),
            Some(&token),
        ),
        201,
    );
    let request = asked["id"].as_i64().unwrap();
    assert_eq!(asked["state"], "pending");
    let rows = app.ledger_rows(customer_id);

    // No reason: the page re-shows the form beside that request.
    let bare = admin.submit(
        "/admin/funds",
        &format!("/admin/funds/{request}/reject"),
        &[("reason", "  ")],
    );
    assert_eq!(bare.status(), 400);
    assert!(bare.text().unwrap().contains("A reason is required."));
    let api_bare = json(
        app.api().post(
            &format!("/api/admin/funds/{request}/reject"),
            &json!({}),
            Some(&app.admin_token_of("boss@example.com")),
        ),
        400,
    );
    assert_eq!(api_bare["error"]["field"], "reason");

    let rejected = admin.submit(
        "/admin/funds",
        &format!("/admin/funds/{request}/reject"),
        &[("reason", "No such payment reached our account")],
    );
    assert_eq!(rejected.status(), 303);
    assert_eq!(app.balance(&token), "10.00");
    assert_eq!(app.ledger_rows(customer_id), rows);
    let mine = json(app.api().get("/api/user/funds", Some(&token)), 200);
    assert_eq!(mine["requests"][0]["state"], "rejected");
    assert_eq!(mine["requests"][0]["reason"], "No such payment reached our account");
    assert_eq!(app.audit_rows("funds.reject").len(), 1);
    // A rejected request cannot be approved afterwards.
    let late = json(
        app.api().post(
            &format!("/api/admin/funds/{request}/approve"),
            &json!({}),
            Some(&app.admin_token_of("boss@example.com")),
        ),
        409,
    );
    assert_eq!(late["error"]["code"], "already_decided");
    assert_eq!(app.balance(&token), "10.00");
    app.assert_ledger_reconciles();
}

#[test]
fn two_admins_approving_at_once_credit_the_payment_once() {
    let app = spawn_app();
    let admin = boss(&app);
    let method = add_bkash(&app, &admin);
    let tokens: Vec<String> = (0..6)
        .map(|i| {
            let email = format!("admin{i}@example.com");
            app.create_user(&email, "boss-pass-1", Role::Admin);
            app.api().token(&email, "boss-pass-1")
        })
        .collect();
    let (customer_id, token) = app.customer("racer@example.com", "0");

    // Six admins approve one request at the same moment: one credit.
    let one = json(
        app.api().post(
            "/api/user/funds",
            &json!({"methodId": method, "amount": "2000", "txnId": "RACE0001"}),
            Some(&token),
        ),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let statuses = race(&app, &tokens, &vec![one; tokens.len()]);
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    assert_eq!(app.balance(&token), "2000.00");

    // Two customers claim one payment and both requests are approved at once: the
    // database lets one through.
    let (_, second) = app.customer("racer2@example.com", "0");
    let claims: Vec<i64> = [&token, &second]
        .iter()
        .map(|t| {
            json(
                app.api().post(
                    "/api/user/funds",
                    &json!({"methodId": method, "amount": "300", "txnId": "RACE0002"}),
                    Some(t),
                ),
                201,
            )["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let admin_page = admin.get("/admin/funds").text().unwrap();
    assert!(
        admin_page.contains("Same payment in request"),
        "the double claim is shown"
    );
    let targets: Vec<i64> = (0..tokens.len()).map(|i| claims[i % 2]).collect();
    let statuses = race(&app, &tokens, &targets);
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    let approved: Vec<_> = json(app.api().get("/api/admin/funds?state=approved", Some(&tokens[0])), 200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["txnId"] == "RACE0002")
        .cloned()
        .collect();
    assert_eq!(approved.len(), 1);
    let total = |t: &str| app.balance(t).parse::<f64>().unwrap_or_default();
    assert_eq!(total(&token) + total(&second), 2300.0, "one of the two got 300");
    assert!(app.ledger_rows(customer_id) <= 2);
    app.assert_ledger_reconciles();
}

/// Each admin approves its target at the same moment; the response statuses.
fn race(app: &TestApp, tokens: &[String], targets: &[i64]) -> Vec<u16> {
    let barrier = Arc::new(Barrier::new(tokens.len()));
    let handles: Vec<_> = tokens
        .iter()
        .zip(targets)
        .map(|(token, target)| {
            let (api, token, target, barrier) = (app.api(), token.clone(), *target, barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                api.post(&format!("/api/admin/funds/{target}/approve"), &json!({}), Some(&token))
                    .status()
                    .as_u16()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn the_funds_json_routes_check_their_input() {
    let app = spawn_app();
    let admin_token = app.admin_token();
    let api = app.api();
    let bad = json(
        api.post(
            "/api/admin/payment-methods",
            &json!({"name": "Rocket", "kind": "paypal", "account": "019", "minAmount": "10", "maxAmount": "20"}),
            Some(&admin_token),
        ),
        400,
    );
    assert_eq!(bad["error"]["field"], "kind");
    let method = json(
        api.post(
            "/api/admin/payment-methods",
            &json!({"name": "Rocket", "kind": "rocket", "account": "01911000000", "minAmount": "10", "maxAmount": "5000"}),
            Some(&admin_token),
        ),
        201,
    );
    let id = method["id"].as_i64().unwrap();
    assert_eq!(method["minAmount"], "10.00");
    let (_, token) = app.customer("json@example.com", "0");
    for (body, field) in [
        (json!({"amount": "20", "txnId": "ABCD1234"}), "methodId"),
        (
            json!({"methodId": id, "amount": "20.001", "txnId": "ABCD1234"}),
            "amount",
        ),
        (json!({"methodId": id, "amount": "-5", "txnId": "ABCD1234"}), "amount"),
        (json!({"methodId": id, "amount": "20", "txnId": "a b"}), "txnId"),
        (
            json!({"methodId": id + 1, "amount": "20", "txnId": "ABCD1234"}),
            "methodId",
        ),
    ] {
        assert_eq!(
            json(api.post("/api/user/funds", &body, Some(&token)), 400)["error"]["field"],
            field,
            "{body}"
        );
    }
    // A disabled method takes no new requests.
    json(
        api.patch(
            &format!("/api/admin/payment-methods/{id}"),
            &json!({"name": "Rocket", "kind": "rocket", "account": "01911000000", "minAmount": "10", "maxAmount": "5000", "enabled": false}),
            Some(&admin_token),
        ),
        200,
    );
    let refused = api.post(
        "/api/user/funds",
        &json!({"methodId": id, "amount": "20", "txnId": "ABCD1234"}),
        Some(&token),
    );
    assert_eq!(json(refused, 400)["error"]["field"], "methodId");
    assert!(json(api.get("/api/user/funds", Some(&token)), 200)["methods"]
        .as_array()
        .unwrap()
        .is_empty());
    // Customers cannot reach the admin routes.
    assert_eq!(api.get("/api/admin/funds", Some(&token)).status(), 403);
    assert_eq!(
        api.post("/api/admin/funds/1/approve", &json!({}), Some(&token))
            .status(),
        403
    );
    assert_eq!(
        json(api.get("/api/admin/funds?state=maybe", Some(&admin_token)), 400)["error"]["field"],
        "state"
    );
}
