//! Pages: layout, account page, headers, errors.

use smm_panel::domain::Role;

use crate::helpers::*;

#[test]
fn every_response_carries_the_security_headers() {
    let app = spawn_app();
    let browser = app.browser();
    for path in ["/login", "/api/user/me", "/healthz", "/no-such-page", "/static/app.css"] {
        let response = browser.get(path);
        let headers = response.headers();
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
    }
}

#[test]
fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app();
    let response = app.browser().get("/login");
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("smm_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains("Secure"),
        "loopback BIND: COOKIE_SECURE defaults to false"
    );

    let secure = spawn_app_with(&[("COOKIE_SECURE", "true")]);
    let cookie = secure.browser().get("/login").headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("Secure"));
}

#[test]
fn the_account_page_masks_the_api_key_until_asked_and_can_renew_it() {
    let app = spawn_app();
    let (_, token) = app.user_with_token("keys@example.com", Role::User);
    let key = json(app.api().get("/api/user/me", Some(&token)), 200)["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let browser = app.browser();
    browser.login("keys@example.com", "correct-horse");

    let page = browser.get("/account").text().unwrap();
    assert!(!page.contains(&key), "the key is not on the page by default");
    assert!(page.contains(&format!("••••{}", &key[key.len() - 4..])));

    let page = browser
        .submit("/account", "/account/api-key/reveal", &[])
        .text()
        .unwrap();
    assert!(page.contains(&key));

    let page = browser.submit("/account", "/account/api-key", &[]).text().unwrap();
    assert!(!page.contains(&key), "renewed");
    let renewed = json(app.api().get("/api/user/me", Some(&token)), 200)["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(renewed, key);
    assert!(page.contains(&renewed), "the new key is shown once");

    let mut conn = app.state.conn().unwrap();
    assert!(
        smm_panel::service::accounts::find_by_api_key(&mut conn, &app.state.key, &key)
            .unwrap()
            .is_none()
    );
    assert!(
        smm_panel::service::accounts::find_by_api_key(&mut conn, &app.state.key, &renewed)
            .unwrap()
            .is_some()
    );
}

#[test]
fn changing_the_password_checks_the_current_one() {
    let app = spawn_app();
    app.create_user("pw@example.com", "old-password", Role::User);
    let browser = app.browser();
    browser.login("pw@example.com", "old-password");

    let response = browser.submit(
        "/account",
        "/account/password",
        &[
            ("current_password", "not-it"),
            ("new_password", "new-password"),
            ("new_password_confirm", "new-password"),
        ],
    );
    assert_eq!(response.status(), 400);
    assert!(response.text().unwrap().contains("The current password is incorrect."));
    let response = browser.submit(
        "/account",
        "/account/password",
        &[
            ("current_password", "old-password"),
            ("new_password", "short"),
            ("new_password_confirm", "short"),
        ],
    );
    assert_eq!(response.status(), 400);
    app.api().token("pw@example.com", "old-password");

    let response = browser.submit(
        "/account",
        "/account/password",
        &[
            ("current_password", "old-password"),
            ("new_password", "new-password"),
            ("new_password_confirm", "new-password"),
        ],
    );
    assert_eq!(response.status(), 303);
    app.api().token("pw@example.com", "new-password");
    let response = app.api().post(
        "/api/auth/token",
        &serde_json::json!({"email": "pw@example.com", "password": "old-password"}),
        None,
    );
    assert_eq!(response.status(), 401);
}

#[test]
fn navigation_follows_the_role_and_unknown_paths_are_404() {
    let app = spawn_app();
    app.create_user("plain@example.com", "plain-pass-1", Role::User);
    app.create_user("boss@example.com", "boss-pass-12", Role::SuperAdmin);
    let user = app.browser();
    assert_eq!(location(&user.login("plain@example.com", "plain-pass-1")), "/");
    let home = user.get("/").text().unwrap();
    assert!(!home.contains("/admin"), "a customer sees no way into the admin area");

    // An admin lands in the admin area, whose bar is its own (distinct names, no
    // customer links twice) with a way back to the customer view.
    let boss = app.browser();
    assert_eq!(location(&boss.login("boss@example.com", "boss-pass-12")), "/admin");
    let admin = boss.get("/admin").text().unwrap();
    let bar = &admin[admin.find("<nav>").unwrap()..admin.find("</nav>").unwrap()];
    for (href, name) in [
        ("/admin", "Overview"),
        ("/admin/orders", "All orders"),
        ("/admin/orders/manual", "Manual order"),
        ("/admin/review", "Review"),
        ("/admin/users", "Users"),
        ("/admin/system", "System"),
        ("/admin/admins", "Admins"),
        ("/", "Customer view"),
    ] {
        assert!(
            bar.contains(&format!("href=\"{href}\">{name}")),
            "{name} in the admin bar"
        );
    }
    assert!(
        !bar.contains("href=\"/orders/new\""),
        "no customer links in the admin bar"
    );
    let customer_view = boss.get("/").text().unwrap();
    let bar = &customer_view[customer_view.find("<nav>").unwrap()..customer_view.find("</nav>").unwrap()];
    assert!(
        bar.contains("Admin area") && !bar.contains("/admin/users"),
        "the customer bar links the admin area once"
    );
    // A page to return to wins over the admin landing.
    let back = app.browser();
    let html = back.get("/login?next=/orders").text().unwrap();
    let csrf = csrf_token(&html);
    let response = back.post_form(
        "/login",
        &[
            ("email", "boss@example.com"),
            ("password", "boss-pass-12"),
            ("next", "/orders"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(location(&response), "/orders");

    let response = user.get("/definitely/not/here");
    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(error_code(app.api().get("/api/nothing", None), 404), "not_found");
}

#[test]
fn a_login_next_parameter_never_leaves_the_site() {
    let app = spawn_app();
    app.create_user("safe@example.com", "safe-pass-1", Role::User);
    let browser = app.browser();
    let response = browser.submit(
        "/login",
        "/login",
        &[
            ("email", "safe@example.com"),
            ("password", "safe-pass-1"),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(location(&response), "/");
}

#[test]
fn output_is_escaped() {
    let app = spawn_app();
    let browser = app.browser();
    let response = browser.submit(
        "/register",
        "/register",
        &[
            ("email", "<script>alert(1)</script>"),
            ("password", "x"),
            ("password_confirm", "x"),
        ],
    );
    let page = response.text().unwrap();
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"));
}

#[test]
fn requests_past_the_per_minute_limit_get_429_with_retry_after() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MIN", "5")]);
    let api = app.api();
    wait_for_room_in_the_minute(10.0);
    let statuses: Vec<u16> = (0..7)
        .map(|_| api.get("/api/user/me", None).status().as_u16())
        .collect();
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429, 429],
        "the first five are answered normally"
    );
    let response = api.get("/api/user/me", None);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(
        response.headers()["x-frame-options"],
        "DENY",
        "security headers on refusals too"
    );
    assert_eq!(error_code(response, 429), "rate_limited");
    for _ in 0..10 {
        assert_eq!(api.get("/healthz", None).status(), 200, "health checks are not counted");
    }
}

#[test]
fn the_dashboard_shows_recent_orders_and_which_order_a_charge_was_for() {
    let app = spawn_app();
    app.stop_workers();
    let shop = app.shop(sim_args("recent-key-1"));
    let service = app.service_id(&shop, "1");
    let id = app.create_user("recent@example.com", "recent-pass-1", Role::User);
    app.deposit(id, "100");
    let token = app.api().token("recent@example.com", "recent-pass-1");
    let browser = app.browser();
    browser.login("recent@example.com", "recent-pass-1");
    assert!(browser.get("/").text().unwrap().contains("You have no orders yet"));
    let placed = json(
        app.api().post(
            "/api/user/create-orders",
            &serde_json::json!({"orders": [{"serviceId": service, "link": "https://x.com/recent-post", "qty": 100}]}),
            Some(&token),
        ),
        201,
    );
    let order = placed["orders"][0]["id"].as_i64().unwrap();
    let home = browser.get("/").text().unwrap();
    assert!(!home.contains("You have no orders yet"));
    assert!(home.contains("https://x.com/recent-post"), "the order is listed");
    // Once in the orders table and once on its charge row.
    assert_eq!(home.matches(&format!("href=\"/orders/{order}\"")).count(), 2, "{home}");
}
