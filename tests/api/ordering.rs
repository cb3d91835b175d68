//! Placing orders: validation, pricing, atomic charging, the customer's lists.

use std::sync::{Arc, Barrier};

use serde_json::json;

use crate::helpers::*;

#[test]
fn an_order_is_priced_charged_forwarded_and_listed() {
    let app = spawn_app();
    let shop = app.shop(sim_args("order-key-1"));
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("buyer@example.com", "1000");
    let api = app.api();

    let body = json!({"categoryId": null, "serviceId": service, "link": "https://instagram.com/buyer", "qty": 1500});
    let placed = json(api.post("/api/user/create-orders", &body, Some(&token)), 201);
    assert_eq!(placed["success"], true);
    assert_eq!(placed["ordersCreated"], 1);
    assert_eq!(placed["totalCost"], "135.00", "0.90 USD/1000 × 1500 × 100 BDT/USD");
    assert_eq!(placed["currency"], "BDT");
    let id = placed["orders"][0]["id"].as_i64().unwrap();

    let order = app.wait_for_order(&token, id, &["accepted"]);
    assert_eq!(order["status"], "pending");
    assert_eq!(order["charge"], "135.00");
    assert_eq!(order["quantity"], 1500);
    assert!(order["providerOrderId"].as_str().is_some());
    assert!(order.get("userId").is_none(), "admin fields stay hidden from customers");
    assert_eq!(sim_orders(&shop.sim).len(), 1);

    let me = json(api.get("/api/user/me", Some(&token)), 200);
    assert_eq!(me["balance"], "865.00");
    let transactions = json(api.get("/api/user/transactions", Some(&token)), 200);
    assert_eq!(transactions["items"][0]["kind"], "charge");
    assert_eq!(transactions["items"][0]["amount"], "-135.00");
    assert_eq!(transactions["items"][0]["orderId"], id);

    // The admin view carries the rates used and the provider's cost.
    let all = json(
        api.get(&format!("/api/admin/orders?userId={user}"), Some(&shop.admin_token)),
        200,
    );
    assert_eq!(all["items"][0]["rateUsdPer1000"], "0.9");
    assert_eq!(all["items"][0]["usdToBdt"], "100");
    assert_eq!(all["items"][0]["providerCostUsd"], "1.35");
    // A later rate change does not touch it.
    json(
        api.post(
            "/api/admin/settings",
            &json!({"usdToBdt": "130"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    assert_eq!(
        json(api.get(&format!("/api/user/orders/{id}"), Some(&token)), 200)["charge"],
        "135.00"
    );
    app.assert_ledger_reconciles();
}

#[test]
fn several_orders_are_charged_together_or_not_at_all() {
    let app = spawn_app();
    let shop = app.shop(sim_args("batch-key-1"));
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("batch@example.com", "200");
    let api = app.api();
    let order = |link: &str, qty: i64| json!({"serviceId": service, "link": link, "qty": qty});

    // 90 + 90 + 45 = 225 > 200: none is placed.
    let body = json!({"orders": [order("https://x.com/a", 1000), order("https://x.com/b", 1000), order("https://x.com/c", 500)]});
    assert_eq!(
        error_code(api.post("/api/user/create-orders", &body, Some(&token)), 422),
        "insufficient_balance"
    );
    assert_eq!(app.balance_and_ledger_sum(user), (200_000_000, 200_000_000));
    assert_eq!(json(api.get("/api/user/orders", Some(&token)), 200)["total"], 0);

    // One bad order refuses the whole request and names it.
    let body = json!({"orders": [order("https://x.com/a", 1000), order("not a link", 1000)]});
    let error = json(api.post("/api/user/create-orders", &body, Some(&token)), 400);
    assert!(
        error["error"]["message"].as_str().unwrap().starts_with("Order 2:"),
        "{error}"
    );
    assert_eq!(json(api.get("/api/user/orders", Some(&token)), 200)["total"], 0);

    let body = json!({"orders": [order("https://x.com/a", 1000), order("https://x.com/b", 1000)]});
    let placed = json(api.post("/api/user/create-orders", &body, Some(&token)), 201);
    assert_eq!(placed["ordersCreated"], 2);
    assert_eq!(placed["totalCost"], "180.00");
    assert_eq!(app.balance_and_ledger_sum(user), (20_000_000, 20_000_000));
    let list = json(api.get("/api/user/orders", Some(&token)), 200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["link"], "https://x.com/b", "newest first");
}

#[test]
fn sixteen_concurrent_orders_on_a_balance_for_four_place_exactly_four() {
    let app = spawn_app();
    let shop = app.shop(sim_args("race-key-1"));
    let service = app.service_id(&shop, "1");
    let (user, token) = app.customer("racer@example.com", "360");
    let barrier = Arc::new(Barrier::new(16));
    let url = app.url("/api/user/create-orders");
    let statuses: Vec<u16> = (0..16)
        .map(|i| {
            let (barrier, url, token) = (barrier.clone(), url.clone(), token.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let body = json!({"serviceId": service, "link": format!("https://x.com/race{i}"), "qty": 1000});
                barrier.wait();
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 422).count(), 12, "{statuses:?}");
    assert_eq!(app.balance_and_ledger_sum(user), (0, 0));
    assert_eq!(json(app.api().get("/api/user/orders", Some(&token)), 200)["total"], 4);
    wait_until(std::time::Duration::from_secs(30), "4 adds at the provider", || {
        (sim_orders(&shop.sim).len() == 4).then_some(())
    });
    app.assert_ledger_reconciles();
}

#[test]
fn bad_orders_are_refused_clearly_and_change_nothing() {
    let app = spawn_app();
    let shop = app.shop(sim_args("bad-key-1"));
    let service = app.service_id(&shop, "1"); // min 50, max 10000
    let other = app.service_id(&shop, "4");
    let (user, token) = app.customer("careful@example.com", "100000");
    let api = app.api();
    let services = json(api.get("/api/admin/services", Some(&shop.admin_token)), 200);
    let category = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == service)
        .unwrap()["categoryId"]
        .clone();
    let other_category = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == other)
        .unwrap()["categoryId"]
        .clone();
    assert_ne!(category, other_category);

    let cases = [
        (
            json!({"serviceId": service, "link": "https://x.com/a", "qty": 49}),
            400,
            "qty",
        ),
        (
            json!({"serviceId": service, "link": "https://x.com/a", "qty": 10001}),
            400,
            "qty",
        ),
        (
            json!({"serviceId": service, "link": "https://x.com/a", "qty": "ten"}),
            400,
            "qty",
        ),
        (
            json!({"serviceId": service, "link": "https://x.com/a", "qty": -5}),
            400,
            "qty",
        ),
        (
            json!({"serviceId": service, "link": "https://x.com/a", "qty": "1e3"}),
            400,
            "qty",
        ),
        (json!({"serviceId": service, "link": "https://x.com/a"}), 400, "qty"),
        (
            json!({"serviceId": service, "link": "ftp://x.com/a", "qty": 100}),
            400,
            "link",
        ),
        (
            json!({"serviceId": service, "link": format!("https://x.com/{}", "a".repeat(2048)), "qty": 100}),
            400,
            "link",
        ),
        (json!({"serviceId": service, "link": "", "qty": 100}), 400, "link"),
        (
            json!({"serviceId": service, "categoryId": other_category, "link": "https://x.com/a", "qty": 100}),
            400,
            "serviceId",
        ),
        (
            json!({"serviceId": 9999, "link": "https://x.com/a", "qty": 100}),
            404,
            "",
        ),
        (json!({"link": "https://x.com/a", "qty": 100}), 400, "serviceId"),
        (json!({"orders": []}), 400, "orders"),
    ];
    for (body, status, field) in cases {
        let error = json(api.post("/api/user/create-orders", &body, Some(&token)), status);
        if !field.is_empty() {
            assert_eq!(error["error"]["field"], field, "{body}: {error}");
        }
    }
    let too_many: Vec<_> = (0..101)
        .map(|i| json!({"serviceId": service, "link": format!("https://x.com/{i}"), "qty": 100}))
        .collect();
    assert_eq!(
        error_code(
            api.post("/api/user/create-orders", &json!({"orders": too_many}), Some(&token)),
            400
        ),
        "validation_error"
    );

    // A disabled service is refused too.
    json(
        api.patch(
            &format!("/api/admin/services/{service}"),
            &json!({"enabled": false}),
            Some(&shop.admin_token),
        ),
        200,
    );
    let body = json!({"serviceId": service, "link": "https://x.com/a", "qty": 100});
    assert_eq!(
        error_code(api.post("/api/user/create-orders", &body, Some(&token)), 404),
        "not_found"
    );

    assert_eq!(
        app.balance_and_ledger_sum(user),
        (100_000_000_000, 100_000_000_000),
        "nothing charged"
    );
    assert_eq!(
        json(api.get("/api/user/orders", Some(&token)), 200)["total"],
        0,
        "nothing queued"
    );
    assert!(sim_orders(&shop.sim).is_empty());
}

#[test]
fn customers_see_only_their_own_orders() {
    let app = spawn_app();
    let shop = app.shop(sim_args("own-key-1"));
    let service = app.service_id(&shop, "1");
    let (_, alice) = app.customer("alice@example.com", "1000");
    let (_, bob) = app.customer("bob@example.com", "1000");
    let api = app.api();
    let placed = json(
        api.post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": "https://x.com/alice", "qty": 100}),
            Some(&alice),
        ),
        201,
    );
    let id = placed["orders"][0]["id"].as_i64().unwrap();
    json(
        api.post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": "https://x.com/bob-1", "qty": 100}),
            Some(&bob),
        ),
        201,
    );
    json(
        api.post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": "https://x.com/bob-2", "qty": 200}),
            Some(&bob),
        ),
        201,
    );

    assert_eq!(
        error_code(api.get(&format!("/api/user/orders/{id}"), Some(&bob)), 404),
        "not_found"
    );
    let bobs = json(api.get("/api/user/orders", Some(&bob)), 200);
    assert_eq!(bobs["total"], 2);
    assert!(bobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["link"].as_str().unwrap().contains("bob")));
    assert_eq!(json(api.get("/api/user/orders?q=bob-2", Some(&bob)), 200)["total"], 1);
    let searched = json(api.get(&format!("/api/user/orders?q={id}"), Some(&bob)), 200);
    assert!(
        searched["items"].as_array().unwrap().iter().all(|o| o["id"] != id),
        "another user's id finds nothing"
    );
    assert_eq!(
        json(api.get(&format!("/api/user/orders?q={id}"), Some(&alice)), 200)["total"],
        1
    );
    assert_eq!(
        json(api.get("/api/user/orders?status=failed", Some(&bob)), 200)["total"],
        0
    );
    assert_eq!(
        error_code(api.get("/api/user/orders?status=lost", Some(&bob)), 400),
        "validation_error"
    );
    assert_eq!(
        json(api.get("/api/user/orders?perPage=1&page=2", Some(&bob)), 200)["items"][0]["link"],
        "https://x.com/bob-1"
    );

    let browser = app.browser();
    browser.login("bob@example.com", "correct-horse");
    let html = browser.get("/orders").text().unwrap();
    assert!(html.contains("https://x.com/bob-1") && !html.contains("https://x.com/alice"));
    assert_eq!(browser.get(&format!("/orders/{id}")).status(), 404);
}

#[test]
fn the_order_pages_place_single_and_mass_orders() {
    let app = spawn_app();
    let shop = app.shop(sim_args("page-order-key"));
    let service = app.service_id(&shop, "1").to_string();
    let (user, _) = app.customer("pages@example.com", "500");
    let browser = app.browser();
    browser.login("pages@example.com", "correct-horse");

    let html = browser.get("/orders/new").text().unwrap();
    assert!(
        html.contains("data-price=\"90\"") || html.contains("data-price=\"90.00\""),
        "price per 1000 for the live price"
    );

    let response = browser.submit(
        "/orders/new",
        "/orders",
        &[("serviceId", &service), ("link", "https://x.com/p"), ("qty", "20")],
    );
    assert_eq!(response.status(), 400);
    let html = response.text().unwrap();
    assert!(
        html.contains("between 50 and 10000")
            && html.contains("value=\"https://x.com/p\"")
            && html.contains("value=\"20\"")
    );

    let response = browser.submit(
        "/orders/new",
        "/orders",
        &[("serviceId", &service), ("link", "https://x.com/p"), ("qty", "1000")],
    );
    assert_eq!(response.status(), 303);
    let detail = location(&response);
    let html = browser.get(&detail).text().unwrap();
    assert!(html.contains("https://x.com/p") && html.contains("90.00"));

    let text = format!("{service}|https://x.com/m1|100\n\n{service}|https://x.com/m2|99999\n");
    let response = browser.submit("/orders/mass", "/orders/mass", &[("orders", &text)]);
    assert_eq!(response.status(), 400);
    let html = response.text().unwrap();
    assert!(html.contains("Line 3:"), "the error names the line in the box");
    let text = format!("{service}|https://x.com/m1|100\n{service}|https://x.com/m2|200\n");
    assert_eq!(
        browser
            .submit("/orders/mass", "/orders/mass", &[("orders", &text)])
            .status(),
        303
    );
    assert_eq!(
        app.balance_and_ledger_sum(user).0,
        500_000_000 - 90_000_000 - 9_000_000 - 18_000_000
    );
    let html = browser.get("/transactions").text().unwrap();
    assert!(html.contains("-90.00") && html.contains("-18.00"));
}
