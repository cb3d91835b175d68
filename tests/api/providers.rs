//! Providers, the catalogue and the exchange rate: pages and JSON, against a real
//! provider-sim over HTTP.

use serde_json::json;
use smm_panel::domain::Role;

use crate::helpers::*;

#[test]
fn an_admin_adds_a_provider_tests_it_and_imports_its_services_with_a_markup() {
    let app = spawn_app();
    let sim = spawn_sim(sim_args("sim-secret-key-1"));
    let token = app.admin_token();
    let api = app.api();

    let id = app.add_provider(&token, "Sim", &sim.api_url(), "sim-secret-key-1");
    let test = json(
        api.post(&format!("/api/admin/providers/{id}/test"), &json!({}), Some(&token)),
        200,
    );
    assert_eq!(test["ok"], true, "{test}");
    assert_eq!(test["balance"], "1000.00");
    assert_eq!(test["currency"], "USD");
    assert!(test["latencyMs"].as_i64().is_some());

    let imported = json(
        api.post(
            &format!("/api/admin/providers/{id}/import-services"),
            &json!({"markupPercent": "50"}),
            Some(&token),
        ),
        200,
    );
    let offered = smm_panel::provider::client::ProviderClient::new(
        "sim".into(),
        url::Url::parse(&sim.api_url()).unwrap(),
        "sim-secret-key-1".into(),
        std::time::Duration::from_secs(5),
    )
    .services()
    .unwrap();
    assert_eq!(imported["imported"], offered.len());
    assert_eq!(imported["created"], offered.len());

    // Every imported service sells at the provider's rate plus 50 %.
    let services = json(api.get("/api/admin/services", Some(&token)), 200);
    let items = services["items"].as_array().unwrap();
    assert_eq!(items.len(), offered.len());
    for offer in &offered {
        let svc = items
            .iter()
            .find(|s| s["providerServiceId"] == offer.service.as_str())
            .expect("imported");
        let expected = offer
            .rate
            .with_markup(smm_panel::domain::Rate::parse("50").unwrap())
            .unwrap();
        assert_eq!(svc["rateUsdPer1000"], expected.to_string(), "{}", offer.name);
        assert_eq!(svc["providerRateUsdPer1000"], offer.rate.to_string());
        assert_eq!(svc["min"], offer.min);
        assert_eq!(svc["mode"], "auto");
    }
    let categories = json(api.get("/api/admin/categories", Some(&token)), 200);
    let mut provider_categories: Vec<&str> = offered.iter().map(|o| o.category.as_str()).collect();
    provider_categories.sort();
    provider_categories.dedup();
    assert_eq!(
        categories["items"].as_array().unwrap().len(),
        provider_categories.len(),
        "categories by the provider's names"
    );

    // Re-import with another markup updates rates, adds nothing.
    let again = json(
        api.post(
            &format!("/api/admin/providers/{id}/import-services"),
            &json!({"markupPercent": 100}),
            Some(&token),
        ),
        200,
    );
    assert_eq!(again["created"], 0);
    assert_eq!(again["updated"], offered.len());
    let services = json(api.get("/api/admin/services", Some(&token)), 200);
    assert_eq!(services["items"].as_array().unwrap().len(), offered.len());
    let first = &offered[0];
    let svc = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["providerServiceId"] == first.service.as_str())
        .unwrap();
    assert_eq!(
        svc["rateUsdPer1000"],
        first
            .rate
            .with_markup(smm_panel::domain::Rate::parse("100").unwrap())
            .unwrap()
            .to_string()
    );

    // Users see them priced in BDT at the admin's exchange rate.
    json(
        api.post("/api/admin/settings", &json!({"usdToBdt": "110.5"}), Some(&token)),
        200,
    );
    let (_, user_token) = app.user_with_token("buyer@example.com", Role::User);
    let catalog = json(api.get("/api/services", Some(&user_token)), 200);
    assert_eq!(catalog["currency"], "BDT");
    let listed = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["services"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    assert_eq!(listed.len(), offered.len());
    let sold = listed.iter().find(|s| s["id"] == svc["id"]).unwrap();
    let rate = smm_panel::domain::Rate::parse(svc["rateUsdPer1000"].as_str().unwrap()).unwrap();
    let expected = rate
        .price(1000, smm_panel::domain::Rate::parse("110.5").unwrap())
        .unwrap();
    assert_eq!(sold["pricePer1000"], expected.to_string());
    assert!(
        sold.get("rateUsdPer1000").is_none(),
        "customers do not see the provider side"
    );

    // Disabled services and hidden categories leave the customer's list.
    json(
        api.patch(
            &format!("/api/admin/services/{}", svc["id"]),
            &json!({"enabled": false}),
            Some(&token),
        ),
        200,
    );
    let catalog = json(api.get("/api/services", Some(&user_token)), 200);
    let count: usize = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["services"].as_array().unwrap().len())
        .sum();
    assert_eq!(count, offered.len() - 1);
    assert_eq!(error_code(api.get("/api/services", None), 401), "unauthorized");
}

#[test]
fn provider_keys_are_encrypted_at_rest_and_shown_masked_everywhere() {
    let app = spawn_app();
    let sim = spawn_sim(sim_args("plain-text-provider-key-7781"));
    let token = app.admin_token();
    let api = app.api();
    let id = app.add_provider(&token, "Masked", &sim.api_url(), "plain-text-provider-key-7781");

    let view = json(api.get(&format!("/api/admin/providers/{id}"), Some(&token)), 200);
    assert_eq!(view["apiKey"], "••••7781");
    let list = api.get("/api/admin/providers", Some(&token)).text().unwrap();
    assert!(!list.contains("plain-text-provider-key"));

    let browser = app.browser();
    browser.login("admin@example.com", "correct-horse");
    for page in ["/admin/providers", &format!("/admin/providers/{id}")] {
        let html = browser.get(page).text().unwrap();
        assert!(html.contains("••••7781"), "{page}");
        assert!(!html.contains("plain-text-provider-key"), "{page}");
    }

    // Not in the database in clear.
    let mut conn = app.state.conn().unwrap();
    let row = smm_panel::db::providers::find(&mut conn, id).unwrap().unwrap();
    assert!(!row.api_key_enc.contains("plain-text-provider-key"));
    assert_eq!(
        app.state
            .key
            .decrypt_for(&row.api_key_enc, &smm_panel::service::providers::key_context(row.id))
            .unwrap(),
        "plain-text-provider-key-7781"
    );
    if !app.db.is_postgres() {
        drop(conn);
        let bytes = std::fs::read(&app.db.url).unwrap();
        let wal = std::fs::read(format!("{}-wal", app.db.url)).unwrap_or_default();
        let needle = b"plain-text-provider-key";
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "not in the SQLite file"
        );
        assert!(!wal.windows(needle.len()).any(|w| w == needle), "not in the SQLite WAL");
    }

    // Editing without a key keeps the old one; the connection still works.
    json(
        api.patch(
            &format!("/api/admin/providers/{id}"),
            &json!({"name": "Renamed"}),
            Some(&token),
        ),
        200,
    );
    let test = json(
        api.post(&format!("/api/admin/providers/{id}/test"), &json!({}), Some(&token)),
        200,
    );
    assert_eq!(test["ok"], true);

    // The audit trail has before/after with the key masked.
    let rows = app.audit_rows("provider.update");
    assert_eq!(rows.len(), 1);
    let before = rows[0].before_json.as_deref().unwrap();
    let after = rows[0].after_json.as_deref().unwrap();
    assert!(before.contains("\"Masked\"") && after.contains("\"Renamed\""));
    assert!(before.contains("••••7781") && !before.contains("plain-text") && !after.contains("plain-text"));
    assert_eq!(app.audit_rows("provider.create").len(), 1);
}

#[test]
fn a_wrong_key_or_an_unreachable_provider_is_reported_by_its_class() {
    let app = spawn_app();
    let sim = spawn_sim(sim_args("right-key-0000"));
    let token = app.admin_token();
    let api = app.api();

    let wrong = app.add_provider(&token, "Wrong key", &sim.api_url(), "wrong-key-0000");
    let test = json(
        api.post(&format!("/api/admin/providers/{wrong}/test"), &json!({}), Some(&token)),
        200,
    );
    assert_eq!(test["ok"], false);
    assert_eq!(test["error"]["code"], "auth_error");
    assert!(test["error"]["message"].as_str().unwrap().contains("Invalid API key"));
    let response = api.post(
        &format!("/api/admin/providers/{wrong}/import-services"),
        &json!({"markupPercent": "10"}),
        Some(&token),
    );
    assert_eq!(error_code(response, 502), "provider_auth_error");
    assert_eq!(
        json(api.get("/api/admin/services", Some(&token)), 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = app.add_provider(
        &token,
        "Down",
        &format!("http://127.0.0.1:{closed}/api/v2"),
        "k-123456789",
    );
    let test = json(
        api.post(&format!("/api/admin/providers/{down}/test"), &json!({}), Some(&token)),
        200,
    );
    assert_eq!(test["ok"], false);
    assert_eq!(test["error"]["code"], "before_send");

    // Health figures count the failures.
    let view = json(api.get(&format!("/api/admin/providers/{wrong}"), Some(&token)), 200);
    assert_eq!(view["health"]["calls"], 2);
    assert_eq!(view["health"]["errors"], 2);
    assert_eq!(view["health"]["errorRatePercent"], "100.0");
}

#[test]
fn provider_urls_must_be_https_and_public_unless_allowed() {
    // The production defaults: no ALLOW_HTTP_PROVIDERS, no PROVIDER_ALLOWED_HOSTS.
    let app = spawn_app_with(&[("PROVIDER_ALLOWED_HOSTS", "")]);
    let token = app.admin_token();
    let api = app.api();
    let add = |url: &str| {
        api.post(
            "/api/admin/providers",
            &json!({"name": format!("P {url}"), "apiUrl": url, "apiKey": "k-12345678"}),
            Some(&token),
        )
    };

    let response = add("http://provider.example/api/v2");
    let body = json(response, 400);
    assert_eq!(body["error"]["field"], "apiUrl");
    assert!(body["error"]["message"].as_str().unwrap().contains("https"));
    for bad in [
        "ftp://provider.example/api",
        "not a url",
        "",
        "https://user:pw@provider.example/api/v2",
    ] {
        assert_eq!(error_code(add(bad), 400), "validation_error", "{bad}");
    }
    assert_eq!(add("https://provider.example/api/v2").status(), 201);
    // Addresses of the panel's own network are refused (issue 12).
    for internal in [
        "http://127.0.0.1:9/api/v2",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/api/v2",
        "https://192.168.1.10/api/v2",
        "https://[::1]/api/v2",
        "https://[fd00::1]/api/v2",
    ] {
        let body = json(add(internal), 400);
        assert!(
            body["error"]["message"].as_str().unwrap().contains("not allowed"),
            "{internal}: {body}"
        );
    }
    assert_eq!(
        json(api.get("/api/admin/providers", Some(&token)), 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let permissive = spawn_app_with(&[("ALLOW_HTTP_PROVIDERS", "true")]);
    let token = permissive.admin_token();
    let body = json!({"name": "Plain", "apiUrl": "http://provider.example/api/v2", "apiKey": "k-12345678"});
    assert_eq!(
        permissive
            .api()
            .post("/api/admin/providers", &body, Some(&token))
            .status(),
        201
    );
}

#[test]
fn bad_catalogue_input_is_refused_with_the_field_named_and_nothing_written() {
    let app = spawn_app();
    let token = app.admin_token();
    let api = app.api();
    let sim = spawn_sim(sim_args("cat-key-1234"));
    let provider = app.add_provider(&token, "Sim", &sim.api_url(), "cat-key-1234");
    let category = json(
        api.post("/api/admin/categories", &json!({"name": "Followers"}), Some(&token)),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        error_code(
            api.post("/api/admin/categories", &json!({"name": "Followers"}), Some(&token)),
            409
        ),
        "category_name_taken"
    );
    assert_eq!(
        error_code(
            api.post("/api/admin/categories", &json!({"name": "  "}), Some(&token)),
            400
        ),
        "validation_error"
    );

    let good = json!({"categoryId": category, "name": "IG followers", "providerId": provider, "providerServiceId": "1",
                      "rateUsdPer1000": "1.20", "min": 50, "max": "10000", "mode": "auto"});
    let bad_cases = [
        ("name", json!("")),
        ("min", json!(20000)),
        ("rateUsdPer1000", json!("0")),
        ("rateUsdPer1000", json!("-1")),
        ("rateUsdPer1000", json!("0.0000001")),
        ("rateUsdPer1000", json!("1e3")),
        ("min", json!("many")),
        ("mode", json!("sometimes")),
        ("providerServiceId", json!(null)),
    ];
    for (field, value) in bad_cases {
        let mut body = good.clone();
        body[field] = value.clone();
        let response = api.post("/api/admin/services", &body, Some(&token));
        let error = json(response, 400);
        assert_eq!(error["error"]["field"], field, "{field} = {value}: {error}");
    }
    let mut body = good.clone();
    body["providerId"] = json!(999);
    assert_eq!(
        error_code(api.post("/api/admin/services", &body, Some(&token)), 404),
        "not_found"
    );
    body = good.clone();
    body["categoryId"] = json!("12345");
    assert_eq!(
        error_code(api.post("/api/admin/services", &body, Some(&token)), 404),
        "not_found"
    );
    assert_eq!(
        json(api.get("/api/admin/services", Some(&token)), 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing written"
    );
    assert!(app.audit_rows("service.create").is_empty());

    let created = json(api.post("/api/admin/services", &good, Some(&token)), 201);
    assert_eq!(created["rateUsdPer1000"], "1.2");
    let id = created["id"].as_i64().unwrap();
    let response = api.patch(
        &format!("/api/admin/services/{id}"),
        &json!({"min": 100, "max": 50}),
        Some(&token),
    );
    assert_eq!(error_code(response, 400), "validation_error");
    assert_eq!(
        json(api.get(&format!("/api/admin/services/{id}"), Some(&token)), 200)["min"],
        50,
        "unchanged"
    );
    let manual = json(
        api.patch(
            &format!("/api/admin/services/{id}"),
            &json!({"mode": "manual", "providerId": "", "providerServiceId": ""}),
            Some(&token),
        ),
        200,
    );
    assert_eq!(manual["mode"], "manual");
    assert_eq!(manual["providerId"], serde_json::Value::Null);

    for path in [
        "/api/admin/providers/999",
        "/api/admin/services/999",
        "/api/admin/providers/abc",
    ] {
        assert_eq!(error_code(api.get(path, Some(&token)), 404), "not_found", "{path}");
    }
    assert_eq!(
        error_code(
            api.patch("/api/admin/providers/999", &json!({"name": "x"}), Some(&token)),
            404
        ),
        "not_found"
    );
    assert_eq!(
        error_code(api.post("/api/admin/providers/999/test", &json!({}), Some(&token)), 404),
        "not_found"
    );
    assert_eq!(
        error_code(
            api.post(
                "/api/admin/providers",
                &json!({"name": "No key", "apiUrl": "https://x.example/api"}),
                Some(&token)
            ),
            400
        ),
        "validation_error"
    );
    assert_eq!(
        error_code(
            api.post("/api/admin/settings", &json!({"usdToBdt": "abc"}), Some(&token)),
            400
        ),
        "validation_error"
    );
    assert_eq!(
        error_code(
            api.post("/api/admin/settings", &json!({"usdToBdt": "0"}), Some(&token)),
            400
        ),
        "validation_error"
    );
    assert_eq!(
        json(api.get("/api/admin/settings", Some(&token)), 200)["usdToBdt"],
        "122"
    );
}

#[test]
fn deleting_a_provider_keeps_it_for_history_when_services_use_it() {
    let app = spawn_app();
    let sim = spawn_sim(sim_args("del-key-1234"));
    let token = app.admin_token();
    let api = app.api();
    let used = app.add_provider(&token, "Used", &sim.api_url(), "del-key-1234");
    let unused = app.add_provider(&token, "Unused", &sim.api_url(), "del-key-1234");
    json(
        api.post(
            &format!("/api/admin/providers/{used}/import-services"),
            &json!({"markupPercent": 0}),
            Some(&token),
        ),
        200,
    );

    assert_eq!(
        json(api.delete(&format!("/api/admin/providers/{unused}"), Some(&token)), 200)["keptForHistory"],
        false
    );
    assert_eq!(
        json(api.delete(&format!("/api/admin/providers/{used}"), Some(&token)), 200)["keptForHistory"],
        true
    );
    assert_eq!(
        json(api.get("/api/admin/providers", Some(&token)), 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let services = json(api.get("/api/admin/services", Some(&token)), 200);
    assert!(
        services["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["enabled"] == false),
        "its services are disabled"
    );
    assert_eq!(app.audit_rows("provider.delete").len(), 2);
    // The name can be reused after the delete.
    app.add_provider(&token, "Used", &sim.api_url(), "del-key-1234");
}

#[test]
fn provider_routes_are_admin_only() {
    let app = spawn_app();
    let (_, user) = app.user_with_token("u@example.com", Role::User);
    let api = app.api();
    for (method, path) in [
        ("GET", "/api/admin/providers"),
        ("POST", "/api/admin/providers"),
        ("PATCH", "/api/admin/providers/1"),
        ("DELETE", "/api/admin/providers/1"),
        ("POST", "/api/admin/providers/1/test"),
        ("POST", "/api/admin/providers/1/import-services"),
        ("POST", "/api/admin/categories"),
        ("POST", "/api/admin/services"),
        ("PATCH", "/api/admin/services/1"),
        ("POST", "/api/admin/settings"),
    ] {
        for (token, status) in [(None, 401), (Some(user.as_str()), 403)] {
            let request = match method {
                "GET" => api.client.get(app.url(path)),
                "POST" => api.client.post(app.url(path)).json(&json!({})),
                "PATCH" => api.client.patch(app.url(path)).json(&json!({})),
                _ => api.client.delete(app.url(path)),
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
fn the_admin_pages_manage_providers_services_and_the_rate() {
    let app = spawn_app();
    let sim = spawn_sim(sim_args("page-key-9876"));
    app.create_user("admin@example.com", "correct-horse", Role::Admin);
    let browser = app.browser();
    browser.login("admin@example.com", "correct-horse");

    // A refused form keeps what was typed (but never the key).
    let response = browser.submit(
        "/admin/providers",
        "/admin/providers",
        &[
            ("name", "Page sim"),
            ("apiUrl", "http://provider.example/x"),
            ("apiKey", "page-key-9876"),
            ("onAmbiguous", "retry"),
        ],
    );
    assert_eq!(response.status(), 400);
    let html = response.text().unwrap();
    assert!(html.contains("must use https"));
    assert!(html.contains("value=\"Page sim\"") && html.contains("value=\"http://provider.example/x\""));
    assert!(!html.contains("page-key-9876"));

    let response = browser.submit(
        "/admin/providers",
        "/admin/providers",
        &[
            ("name", "Page sim"),
            ("apiUrl", &sim.api_url()),
            ("apiKey", "page-key-9876"),
            ("onAmbiguous", "retry"),
            ("enabled", "true"),
        ],
    );
    assert_eq!(response.status(), 303);
    let edit = location(&response);
    let html = browser.submit(&edit, &format!("{edit}/test"), &[]).text().unwrap();
    assert!(html.contains("Connection OK"), "{html}");
    let response = browser.submit(
        &edit,
        &format!("{edit}/import"),
        &[("markupPercent", "20"), ("categoryId", "")],
    );
    assert_eq!(location(&response), "/admin/services");
    let html = browser.get("/admin/services").text().unwrap();
    assert!(html.contains("Imported") && html.contains("Instagram"), "{html}");

    let response = browser.submit("/admin/settings", "/admin/settings", &[("usdToBdt", "1e2")]);
    assert_eq!(response.status(), 400);
    assert!(response.text().unwrap().contains("value=\"1e2\""));
    assert_eq!(
        browser
            .submit("/admin/settings", "/admin/settings", &[("usdToBdt", "118.25")])
            .status(),
        303
    );
    assert!(browser.get("/admin/settings").text().unwrap().contains("118.25"));
    let rows = app.audit_rows("settings.update");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].after_json.as_deref().unwrap().contains("118.25"));
    assert!(rows[0].actor_id.is_some() && rows[0].ip.is_some());

    let response = browser.submit(
        "/admin/services",
        "/admin/services",
        &[
            ("categoryId", "1"),
            ("name", "Custom"),
            ("rateUsdPer1000", "2"),
            ("min", "500"),
            ("max", "100"),
            ("mode", "manual"),
        ],
    );
    assert_eq!(response.status(), 400);
    let html = response.text().unwrap();
    assert!(html.contains("cannot be more than the maximum") && html.contains("value=\"Custom\""));
}

#[test]
fn a_provider_service_listed_twice_keeps_both_listings_across_imports() {
    let app = spawn_app();
    let shop = app.shop(sim_args("listings-1"));
    let admin = &shop.admin_token;
    let api = app.api();
    let imported = app.service_id(&shop, "1");
    let services = json(api.get("/api/admin/services", Some(admin)), 200);
    let count = services["items"].as_array().unwrap().len();
    let category = services["items"][0]["categoryId"].clone();
    // A premium listing of the same provider service, made by hand, with a 7-day refill.
    let premium = json(
        api.post(
            "/api/admin/services",
            &serde_json::json!({"categoryId": category, "name": "Followers [Premium]", "providerId": shop.provider_id,
                "providerServiceId": "1", "rateUsdPer1000": "2.50", "min": 50, "max": 1000, "mode": "auto",
                "refill": true, "refillDays": "7"}),
            Some(admin),
        ),
        201,
    );
    assert_eq!(premium["refillDays"], 7);
    assert_eq!(premium["imported"], false);
    let bad = api.patch(
        &format!("/api/admin/services/{}", premium["id"]),
        &serde_json::json!({"refillDays": "-1"}),
        Some(admin),
    );
    assert_eq!(error_code(bad, 400), "validation_error");
    // Importing again updates its own listing only, and creates nothing new.
    json(
        api.post(
            &format!("/api/admin/providers/{}/import-services", shop.provider_id),
            &serde_json::json!({"markupPercent": "50"}),
            Some(admin),
        ),
        200,
    );
    let after = json(api.get("/api/admin/services", Some(admin)), 200);
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), count + 1);
    let find = |id: &serde_json::Value| items.iter().find(|s| &s["id"] == id).unwrap().clone();
    assert_eq!(
        find(&serde_json::json!(imported))["rateUsdPer1000"],
        "1.35",
        "0.90 + 50 %"
    );
    assert_eq!(
        find(&premium["id"])["rateUsdPer1000"],
        "2.5",
        "the hand-made listing is kept"
    );
}

#[test]
fn a_provider_in_another_currency_is_converted_at_the_admins_rate() {
    let app = spawn_app();
    let sim = spawn_sim(sim_args("euro-key-1"));
    let admin = app.admin_token();
    let api = app.api();
    let bad = api.post(
        "/api/admin/providers",
        &serde_json::json!({"name": "Euro", "apiUrl": sim.api_url(), "apiKey": "euro-key-1", "currency": "EU"}),
        Some(&admin),
    );
    assert_eq!(error_code(bad, 400), "validation_error");
    let provider = json(
        api.post(
            "/api/admin/providers",
            &serde_json::json!({"name": "Euro", "apiUrl": sim.api_url(), "apiKey": "euro-key-1", "currency": "eur"}),
            Some(&admin),
        ),
        201,
    );
    assert_eq!(provider["currency"], "EUR");
    let id = provider["id"].as_i64().unwrap();
    let import = || {
        api.post(
            &format!("/api/admin/providers/{id}/import-services"),
            &serde_json::json!({"markupPercent": "0"}),
            Some(&admin),
        )
    };
    // No rate for EUR yet: refused, nothing imported.
    assert_eq!(error_code(import(), 422), "currency_rate_missing");
    assert_eq!(
        json(api.get("/api/admin/services", Some(&admin)), 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    json(
        api.post(
            "/api/admin/settings",
            &serde_json::json!({"usdRates": {"EUR": "0.5"}}),
            Some(&admin),
        ),
        200,
    );
    json(import(), 200);
    let services = json(api.get("/api/admin/services", Some(&admin)), 200);
    let first = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["providerServiceId"] == "1")
        .unwrap();
    // 0.90 EUR per 1000 at 0.5 EUR per USD: 1.80 USD.
    assert_eq!(first["rateUsdPer1000"], "1.8");
    assert_eq!(first["providerRateUsdPer1000"], "1.8");
}

/// Issue 12: a plain admin cannot send a provider's stored key to another address.
#[test]
fn repointing_a_provider_needs_its_key_typed_again() {
    let app = spawn_app();
    let shop = app.shop(sim_args("stay-home-1"));
    // A listener that records whatever reaches it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let (_, plain_admin) = app.user_with_token("plain-admin@example.com", smm_panel::domain::Role::Admin);
    let api = app.api();
    let moved = api.patch(
        &format!("/api/admin/providers/{}", shop.provider_id),
        &serde_json::json!({"apiUrl": format!("http://{address}/api/v2")}),
        Some(&plain_admin),
    );
    assert_eq!(error_code(moved, 400), "validation_error");
    let tested = api.post(
        &format!("/api/admin/providers/{}/test", shop.provider_id),
        &serde_json::json!({}),
        Some(&plain_admin),
    );
    assert_eq!(tested.status(), 200, "still tests the old address");
    let mut received = Vec::new();
    if let Ok((mut stream, _)) = listener.accept() {
        use std::io::Read;
        let _ = stream.read_to_end(&mut received);
    }
    assert!(received.is_empty(), "the listener got nothing, let alone the key");
    // With the key typed again, it may move; the audit shows the old and new address.
    json(
        api.patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &serde_json::json!({"apiUrl": format!("http://{address}/api/v2"), "apiKey": "a-new-key"}),
            Some(&plain_admin),
        ),
        200,
    );
    let audit = app.audit_rows("provider.update");
    let last = audit.last().unwrap();
    assert!(last.before_json.as_deref().unwrap().contains(&shop.sim.api_url()));
    assert!(last.after_json.as_deref().unwrap().contains(&address.to_string()));
}

/// Adds a provider at `url` and runs its "Test connection"; the test's JSON.
fn add_and_test(app: &TestApp, token: &str, name: &str, url: &str) -> serde_json::Value {
    let provider = json(
        app.api().post(
            "/api/admin/providers",
            &json!({"name": name, "apiUrl": url, "apiKey": format!("{name}-key-1")}),
            Some(token),
        ),
        201,
    );
    json(
        app.api().post(
            &format!("/api/admin/providers/{}/test", provider["id"]),
            &json!({}),
            Some(token),
        ),
        200,
    )
}

/// Issue 12: a name that resolves inward is refused when the call is made.
#[test]
fn a_name_resolving_to_an_internal_address_is_refused_at_call_time() {
    let app = spawn_app_with(&[("PROVIDER_ALLOWED_HOSTS", "")]);
    let sim = spawn_sim(sim_args("inward-1"));
    let token = app.admin_token();
    // `localhost` passes the form (it is a name) but resolves to loopback.
    let url = format!("http://localhost:{}/api/v2", sim.addr().port());
    let tested = add_and_test(&app, &token, "Inward", &url);
    assert_eq!(tested["ok"], false, "{tested}");
    assert!(
        tested["error"]["message"].as_str().unwrap().contains("loopback"),
        "{tested}"
    );
    let stats: serde_json::Value = reqwest::blocking::get(format!("{}/sim/stats", sim.base_url()))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(stats["requests"], 0, "nothing reached the address");
}

/// Issue 12: a provider reply is read up to 10 MB, no further.
#[test]
fn an_oversized_reply_is_cut_off_not_buffered() {
    let app = spawn_app();
    let token = app.admin_token();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"balance\":\"",
            );
            let chunk = vec![b'9'; 1024 * 1024];
            for _ in 0..12 {
                if stream.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
    });
    let tested = add_and_test(&app, &token, "Huge", &format!("http://{address}/api/v2"));
    assert_eq!(tested["ok"], false, "{tested}");
    assert!(
        tested["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than 10 MB"),
        "{tested}"
    );
}
