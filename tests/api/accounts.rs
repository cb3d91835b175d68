//! Registration, sign-in, tokens and role guards.

use serde_json::json;
use smm_panel::domain::Role;
use smm_panel::service::tokens;

use crate::helpers::*;

#[test]
fn register_sign_out_and_sign_in_through_the_forms() {
    let app = spawn_app();
    let browser = app.browser();

    let response = browser.submit(
        "/register",
        "/register",
        &[
            ("email", "Rahim@Example.com"),
            ("password", "rahim-pass-1"),
            ("password_confirm", "rahim-pass-1"),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/");
    let dashboard = browser.get("/").text().unwrap();
    assert!(dashboard.contains("rahim@example.com"), "signed in after registering");
    assert!(dashboard.contains("0.00 BDT"));

    let response = browser.submit("/", "/logout", &[]);
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    let response = browser.get("/");
    assert_eq!(response.status(), 303, "signed out: the dashboard redirects");
    assert_eq!(location(&response), "/login?next=%2F");

    let response = browser.login("rahim@example.com", "wrong-password");
    assert_eq!(response.status(), 401);
    let page = response.text().unwrap();
    assert!(page.contains("The email or password is incorrect."));
    assert!(page.contains("value=\"rahim@example.com\""), "the typed email is kept");

    let response = browser.submit(
        "/login?next=/account",
        "/login",
        &[
            ("email", "RAHIM@example.com"),
            ("password", "rahim-pass-1"),
            ("next", "/account"),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/account");
    assert!(browser.get("/account").text().unwrap().contains("rahim@example.com"));
}

#[test]
fn a_form_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app();
    let browser = app.browser();
    browser.get("/register"); // a session exists, but the token is not sent

    let form = [
        ("email", "eve@example.com"),
        ("password", "eve-pass-123"),
        ("password_confirm", "eve-pass-123"),
    ];
    let response = browser.post_form("/register", &form);
    assert_eq!(response.status(), 403);
    assert!(response.text().unwrap().contains("Reload the page"));

    let mut forged = form.to_vec();
    forged.push(("csrf", "forged-token"));
    assert_eq!(browser.post_form("/register", &forged).status(), 403);

    let mut conn = app.state.conn().unwrap();
    assert!(smm_panel::db::users::find_by_email(&mut conn, "eve@example.com")
        .unwrap()
        .is_none());

    // Signed in, a cross-site logout or password change without the token does nothing either.
    app.create_user("sam@example.com", "sam-pass-123", Role::User);
    let signed_in = app.browser();
    assert_eq!(signed_in.login("sam@example.com", "sam-pass-123").status(), 303);
    assert_eq!(signed_in.post_form("/logout", &[]).status(), 403);
    let change = [
        ("current_password", "sam-pass-123"),
        ("new_password", "hijacked-1"),
        ("new_password_confirm", "hijacked-1"),
    ];
    assert_eq!(signed_in.post_form("/account/password", &change).status(), 403);
    assert_eq!(signed_in.get("/").status(), 200, "still signed in");
    app.api().token("sam@example.com", "sam-pass-123");
}

#[test]
fn duplicate_and_invalid_registrations_are_refused() {
    let app = spawn_app();
    let api = app.api();

    let body = json(
        api.post(
            "/api/auth/register",
            &json!({"email": "karim@example.com", "password": "karim-pass"}),
            None,
        ),
        201,
    );
    assert!(body["id"].as_i64().unwrap() > 0);

    for email in ["karim@example.com", "KARIM@Example.COM", " karim@example.com "] {
        let response = api.post(
            "/api/auth/register",
            &json!({"email": email, "password": "another-pass"}),
            None,
        );
        assert_eq!(error_code(response, 409), "email_taken", "{email}");
    }
    for (email, password) in [
        ("not-an-email", "long-enough"),
        ("", "long-enough"),
        ("ok@example.com", "short"),
        ("ok@example.com", ""),
    ] {
        let response = api.post(
            "/api/auth/register",
            &json!({"email": email, "password": password}),
            None,
        );
        assert_eq!(error_code(response, 400), "validation_error", "{email} / {password}");
    }
    let response = app
        .api()
        .client
        .post(app.url("/api/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(error_code(response, 400), "validation_error");

    // The form shows each problem beside its field and keeps the typed email.
    let browser = app.browser();
    let response = browser.submit(
        "/register",
        "/register",
        &[
            ("email", "KARIM@example.com"),
            ("password", "karim-pass-2"),
            ("password_confirm", "karim-pass-2"),
        ],
    );
    assert_eq!(response.status(), 409);
    let page = response.text().unwrap();
    assert!(page.contains("already exists"));
    assert!(page.contains("value=\"KARIM@example.com\""));
    let response = browser.submit(
        "/register",
        "/register",
        &[
            ("email", "new@example.com"),
            ("password", "short"),
            ("password_confirm", "short"),
        ],
    );
    assert_eq!(response.status(), 400);
    let page = response.text().unwrap();
    assert!(page.contains("at least 8 characters"));
    assert!(page.contains("value=\"new@example.com\""));
    let response = browser.submit(
        "/register",
        "/register",
        &[
            ("email", "new@example.com"),
            ("password", "long-enough-1"),
            ("password_confirm", "long-enough-2"),
        ],
    );
    assert_eq!(response.status(), 400);
    assert!(response.text().unwrap().contains("do not match"));

    let users = smm_panel::service::accounts::list(
        &app.state,
        None,
        smm_panel::service::pagination::PageRequest { page: 1, per_page: 50 },
    )
    .unwrap();
    assert_eq!(users.total, 1, "only the first registration created an account");
}

#[test]
fn tokens_are_signed_expire_and_name_their_user() {
    let app = spawn_app();
    let api = app.api();
    let id = app.create_user("nadia@example.com", "nadia-pass-1", Role::User);

    let response = api.post(
        "/api/auth/token",
        &json!({"email": "nadia@example.com", "password": "nadia-pass-1"}),
        None,
    );
    let body = json(response, 200);
    assert_eq!(body["expiresIn"], tokens::TOKEN_TTL_SECS);
    let token = body["token"].as_str().unwrap().to_string();

    let me = json(api.get("/api/user/me", Some(&token)), 200);
    assert_eq!(me["id"], id);
    assert_eq!(me["email"], "nadia@example.com");
    assert_eq!(me["role"], "user");
    assert_eq!(me["balance"], "0.00");
    assert_eq!(me["currency"], "BDT");
    assert!(me["apiKey"].as_str().unwrap().len() >= 32);

    // A wrong password and an unknown email get the same answer.
    let wrong = api.post(
        "/api/auth/token",
        &json!({"email": "nadia@example.com", "password": "nope-nope"}),
        None,
    );
    let unknown = api.post(
        "/api/auth/token",
        &json!({"email": "ghost@example.com", "password": "nope-nope"}),
        None,
    );
    let wrong = json(wrong, 401);
    assert_eq!(
        wrong["error"],
        json(unknown, 401)["error"],
        "a wrong password and an unknown email read the same (only the request ids differ)"
    );
    assert_eq!(wrong["error"]["code"], "unauthorized");

    let now = chrono::Utc::now().timestamp();
    let expired = tokens::issue(&app.state.key, id, 0, now - 100, 60);
    assert_eq!(error_code(api.get("/api/user/me", Some(&expired)), 401), "unauthorized");
    let other_key = smm_panel::crypto::SecretKey::from_bytes(&[9; 32]);
    let foreign = tokens::issue(&other_key, id, 0, now, 60);
    assert_eq!(error_code(api.get("/api/user/me", Some(&foreign)), 401), "unauthorized");
    let (body, signature) = token.rsplit_once('.').unwrap();
    let (prefix, _) = body.split_once('.').unwrap();
    let tampered = format!("{prefix}.{}.{}.{signature}", id + 1, now + 999);
    assert_eq!(
        error_code(api.get("/api/user/me", Some(&tampered)), 401),
        "unauthorized"
    );
    assert_eq!(error_code(api.get("/api/user/me", None), 401), "unauthorized");
    let basic = api
        .client
        .get(app.url("/api/user/me"))
        .header("Authorization", "Basic abc")
        .send()
        .unwrap();
    assert_eq!(error_code(basic, 401), "unauthorized");
}

#[test]
fn admin_routes_answer_401_without_credentials_and_403_for_users() {
    let app = spawn_app();
    let api = app.api();
    let (_, user_token) = app.user_with_token("user@example.com", Role::User);
    let (_, admin_token) = app.user_with_token("admin@example.com", Role::Admin);

    assert_eq!(error_code(api.get("/api/admin/users", None), 401), "unauthorized");
    assert_eq!(
        error_code(api.get("/api/admin/users", Some(&user_token)), 403),
        "forbidden"
    );
    let list = json(api.get("/api/admin/users", Some(&admin_token)), 200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["page"], 1);
    assert_eq!(list["perPage"], 50);
    assert_eq!(list["items"][0]["email"], "admin@example.com", "newest first");
    assert_eq!(list["items"][1]["role"], "user");
    assert!(list["items"][0].get("passwordHash").is_none());

    for i in 0..3 {
        app.create_user(&format!("bulk{i}@example.com"), "bulk-pass-1", Role::User);
    }
    let page2 = json(api.get("/api/admin/users?page=2&perPage=2", Some(&admin_token)), 200);
    assert_eq!(page2["total"], 5);
    assert_eq!(page2["items"].as_array().unwrap().len(), 2);
    assert_eq!(page2["items"][0]["email"], "bulk0@example.com");
    let found = json(api.get("/api/admin/users?q=BULK1", Some(&admin_token)), 200);
    assert_eq!(found["total"], 1);
    for bad in ["page=0", "perPage=501", "page=abc"] {
        assert_eq!(
            error_code(api.get(&format!("/api/admin/users?{bad}"), Some(&admin_token)), 400),
            "validation_error"
        );
    }

    // Pages: a visitor is sent to sign in, a user is refused, an admin sees the list.
    let visitor = app.browser();
    let response = visitor.get("/admin/users");
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=%2Fadmin%2Fusers");
    let user = app.browser();
    user.login("user@example.com", "correct-horse");
    assert_eq!(user.get("/admin/users").status(), 403);
    let admin = app.browser();
    admin.login("admin@example.com", "correct-horse");
    let page = admin.get("/admin/users?q=bulk").text().unwrap();
    assert!(page.contains("bulk2@example.com") && !page.contains("user@example.com"));
}

#[test]
fn repeated_wrong_passwords_lock_sign_in_for_a_while() {
    let app = spawn_app();
    app.create_user("target@example.com", "right-password", Role::User);
    let api = app.api();
    for _ in 0..5 {
        let response = api.post(
            "/api/auth/token",
            &json!({"email": "target@example.com", "password": "guess-guess"}),
            None,
        );
        assert_eq!(response.status(), 401);
    }
    let response = api.post(
        "/api/auth/token",
        &json!({"email": "target@example.com", "password": "right-password"}),
        None,
    );
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(error_code(response, 429), "rate_limited");
}

#[test]
fn the_page_session_also_signs_in_json_reads() {
    let app = spawn_app();
    app.create_user("web@example.com", "web-pass-123", Role::User);
    let browser = app.browser();
    browser.login("web@example.com", "web-pass-123");
    let me = json(browser.get("/api/user/me"), 200);
    assert_eq!(me["email"], "web@example.com");
}

#[test]
fn transactions_list_the_users_own_ledger_rows() {
    let app = spawn_app();
    let (id, token) = app.user_with_token("payer@example.com", Role::User);
    let (other, other_token) = app.user_with_token("other@example.com", Role::User);
    app.deposit(id, "150.5");
    app.deposit(id, "49.5");
    app.deposit(other, "7");

    let list = json(app.api().get("/api/user/transactions", Some(&token)), 200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["kind"], "deposit");
    assert_eq!(list["items"][0]["amount"], "49.50");
    assert_eq!(list["items"][0]["balanceAfter"], "200.00");
    assert_eq!(list["items"][1]["balanceAfter"], "150.50");
    let theirs = json(app.api().get("/api/user/transactions", Some(&other_token)), 200);
    assert_eq!(theirs["total"], 1);

    let (balance, sum) = app.balance_and_ledger_sum(id);
    assert_eq!(balance, 200_000_000);
    assert_eq!(balance, sum);
    let me = json(app.api().get("/api/user/me", Some(&token)), 200);
    assert_eq!(me["balance"], "200.00");
}

#[test]
fn the_ledger_is_append_only_in_the_database() {
    let app = spawn_app();
    let id = app.create_user("ledger@example.com", "ledger-pass", Role::User);
    app.deposit(id, "10");
    let mut conn = app.state.conn().unwrap();
    use diesel::RunQueryDsl;
    assert!(diesel::sql_query("UPDATE ledger_entries SET amount = 999")
        .execute(&mut **conn)
        .is_err());
    assert!(diesel::sql_query("DELETE FROM ledger_entries")
        .execute(&mut **conn)
        .is_err());
    assert_eq!(app.balance_and_ledger_sum(id), (10_000_000, 10_000_000));
}

/// Issue 12: sessions and tokens end server-side.
#[test]
fn a_copied_cookie_or_token_dies_with_sign_out_and_password_change() {
    let app = spawn_app();
    app.create_user("victim@example.com", "first-pass-123", Role::User);
    let browser = app.browser();
    assert_eq!(browser.login("victim@example.com", "first-pass-123").status(), 303);
    // An attacker copies the session cookie.
    let page = browser.get("/account");
    assert_eq!(page.status(), 200);
    let stolen: String = {
        // The attacker's copy: the cookie of another sign-in of the same account.
        let thief = app.browser();
        let html = thief.get("/login").text().unwrap();
        let csrf = csrf_token(&html);
        let response = thief.post_form(
            "/login",
            &[
                ("email", "victim@example.com"),
                ("password", "first-pass-123"),
                ("csrf", &csrf),
            ],
        );
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("smm_session="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .expect("a session cookie")
    };
    let with_cookie = || {
        reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url("/account"))
            .header("cookie", &stolen)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(with_cookie(), 200, "the copied cookie works while the session lives");
    let token = app.api().token("victim@example.com", "first-pass-123");
    assert_eq!(app.api().get("/api/user/me", Some(&token)).status(), 200);

    // The victim signs out in their own browser: the copy dies too, and so does the token.
    assert_eq!(browser.submit("/account", "/logout", &[]).status(), 303);
    assert_eq!(with_cookie(), 303, "the copied cookie is sent to the login page");
    assert_eq!(app.api().get("/api/user/me", Some(&token)).status(), 401);

    // A password change made elsewhere ends every earlier session and token, but the
    // browser that made it stays signed in.
    assert_eq!(browser.login("victim@example.com", "first-pass-123").status(), 303);
    let other = app.browser();
    assert_eq!(other.login("victim@example.com", "first-pass-123").status(), 303);
    let token = app.api().token("victim@example.com", "first-pass-123");
    let changed = browser.submit(
        "/account",
        "/account/password",
        &[
            ("current_password", "first-pass-123"),
            ("new_password", "second-pass-456"),
            ("new_password_confirm", "second-pass-456"),
        ],
    );
    assert_eq!(changed.status(), 303);
    assert_eq!(browser.get("/account").status(), 200, "the changing browser stays in");
    assert_eq!(other.get("/account").status(), 303, "the other session ended");
    assert_eq!(
        app.api().get("/api/user/me", Some(&token)).status(),
        401,
        "the old token ended"
    );

    // "Sign out everywhere" ends the rest.
    assert_eq!(browser.submit("/account", "/account/sessions/end", &[]).status(), 303);
    assert_eq!(browser.get("/account").status(), 303);
    let me = app.api().get(
        "/api/user/me",
        Some(&app.api().token("victim@example.com", "second-pass-456")),
    );
    assert_eq!(
        me.headers().get("cache-control").unwrap(),
        "no-store",
        "the API key is never cached"
    );
}

/// Issue 12: attempts are counted before the password is checked.
#[test]
fn forty_parallel_guesses_get_at_most_five_judged_and_a_locked_account_refuses_even_the_right_password() {
    let app = spawn_app();
    app.create_user("target@example.com", "right-pass-123", Role::User);
    app.create_user("second@example.com", "right-pass-456", Role::User);
    let guess = |email: &str, password: &str| {
        app.api()
            .post("/api/auth/token", &json!({"email": email, "password": password}), None)
            .status()
            .as_u16()
    };
    let barrier = std::sync::Barrier::new(40);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    guess("target@example.com", &format!("wrong-pass-{i}"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let judged = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        judged <= smm_panel::service::throttle::ACCOUNT_ATTEMPTS as usize,
        "{statuses:?}"
    );
    assert_eq!(judged + refused, 40, "{statuses:?}");
    // Locked: the right password is refused too, from any address.
    assert_eq!(guess("target@example.com", "right-pass-123"), 429);
    // Another account is not affected.
    assert_eq!(guess("second@example.com", "right-pass-456"), 200);
}
