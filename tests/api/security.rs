//! Issue 12's findings that are not about sign-in: headers, files at rest, ciphertexts
//! bound to their row, the upgrade of older values, and the customer's refresh guard.

use diesel::prelude::*;
use serde_json::{json, Value};
use smm_panel::db::schema::{providers, users};
use smm_panel::provider::sim::SimArgs;

use crate::helpers::*;

#[test]
fn secure_deployments_get_hsts_and_nothing_personal_is_cached() {
    smm_panel::provider::client::install_crypto_provider();
    let local = spawn_app();
    let plain = reqwest::blocking::get(local.url("/healthz")).unwrap();
    assert!(
        plain.headers().get("strict-transport-security").is_none(),
        "plain local http"
    );
    for secure in [
        spawn_app_with(&[("COOKIE_SECURE", "true")]),
        // Behind a TLS proxy the panel binds loopback: naming the proxy turns it on.
        spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]),
    ] {
        let response = reqwest::blocking::get(secure.url("/login")).unwrap();
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_some_and(|v| v.to_str().unwrap().contains("max-age=")),
            "{:?}",
            response.headers()
        );
        assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
        let cookie = response
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.contains("Secure"), "{cookie}");
    }
    let asset = reqwest::blocking::get(local.url("/static/app.css")).unwrap();
    assert_ne!(
        asset.headers().get("cache-control").unwrap(),
        "no-store",
        "static assets may be cached"
    );
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_database_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app();
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(app.dir.path()), 0o700);
    if !app.db.is_postgres() {
        assert_eq!(mode(&app.dir.path().join("test.db")), 0o600);
    }

    // A key file others can read is refused at start.
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    std::fs::write(&key_file, smm_panel::crypto::SecretKey::generate_hex().unwrap()).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_smm-panel"))
        .arg("migrate")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

#[test]
fn a_ciphertext_moved_to_another_row_does_not_decrypt() {
    let app = spawn_app();
    let shop = app.shop(sim_args("moved-key-123"));
    let (user, token) = app.customer("mover@example.com", "0");
    {
        let mut conn = app.state.conn().unwrap();
        let provider_key: String = providers::table
            .find(shop.provider_id)
            .select(providers::api_key_enc)
            .first(&mut **conn)
            .unwrap();
        diesel::update(users::table.find(user))
            .set(users::api_key_enc.eq(provider_key))
            .execute(&mut **conn)
            .unwrap();
    }
    let response = app.api().get("/api/user/me", Some(&token));
    assert_eq!(response.status(), 500);
    assert!(!response.text().unwrap().contains("moved-key-123"));
}

#[test]
fn keys_stored_before_binding_are_upgraded_at_start() {
    use chacha20poly1305::aead::{Aead, KeyInit};
    use sha2::Digest;
    let first = spawn_app();
    let (user, token) = first.customer("legacy@example.com", "0");
    // Rewrite the user's key the way it was stored before: unbound (`v1:`) ciphertext
    // under the HKDF "encryption" key, looked up by plain SHA-256.
    let legacy_key = "smk_legacy-key-0123456789";
    let master = hex::decode(first.env["SECRET_KEY"].as_str()).unwrap();
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"smm-panel"), &master);
    let mut encryption = [0u8; 32];
    hk.expand(b"encryption", &mut encryption).unwrap();
    let nonce = [7u8; 12];
    let sealed = chacha20poly1305::ChaCha20Poly1305::new(&encryption.into())
        .encrypt(&nonce.into(), legacy_key.as_bytes())
        .unwrap();
    let stored = format!(
        "v1:{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            [&nonce[..], &sealed].concat()
        )
    );
    {
        let mut conn = first.state.conn().unwrap();
        diesel::update(users::table.find(user))
            .set((
                users::api_key_enc.eq(&stored),
                users::api_key_hash.eq(hex::encode(sha2::Sha256::digest(legacy_key))),
            ))
            .execute(&mut **conn)
            .unwrap();
    }
    // The upgrade every start runs (`startup::prepare`): the same key reads back, and
    // API v2 finds it under the keyed index.
    assert_eq!(smm_panel::service::secrets::upgrade(&first.state).unwrap(), 1);
    assert_eq!(smm_panel::service::secrets::upgrade(&first.state).unwrap(), 0, "once");
    let second = first;
    let me = json(second.api().get("/api/user/me", Some(&token)), 200);
    assert_eq!(me["apiKey"], legacy_key);
    let stored_now: String = users::table
        .find(user)
        .select(users::api_key_enc)
        .first(&mut **second.state.conn().unwrap())
        .unwrap();
    assert!(stored_now.starts_with("v2:"), "{stored_now}");
    smm_panel::provider::client::install_crypto_provider();
    let balance: Value = reqwest::blocking::Client::new()
        .post(second.url("/api/v2"))
        .form(&[("key", legacy_key), ("action", "balance")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(balance["currency"], "BDT", "{balance}");
}

#[test]
fn a_failed_refresh_counts_for_the_guard_and_tells_the_customer_nothing_internal() {
    let app = spawn_app_with(&[("PROVIDER_TIMEOUT_SECS", "2")]);
    let shop = app.shop(SimArgs {
        step_secs: 3600,
        ..sim_args("refresh-guard-1")
    });
    let service = app.service_id(&shop, "1");
    app.create_user("refresher@example.com", "refresh-pass-1", smm_panel::domain::Role::User);
    let buyer_id = app.find_user("refresher@example.com");
    app.deposit(buyer_id, "1000");
    let token = app.api().token("refresher@example.com", "refresh-pass-1");
    let placed = json(
        app.api().post(
            "/api/user/create-orders",
            &json!({"serviceId": service, "link": "https://x.com/refresh", "qty": 1000}),
            Some(&token),
        ),
        201,
    );
    let id = placed["orders"][0]["id"].as_i64().unwrap();
    app.wait_for_order(&token, id, &["accepted"]);
    let broken = spawn_sim(SimArgs {
        html_rate: 1.0,
        ..sim_args("refresh-guard-1")
    });
    json(
        app.api().patch(
            &format!("/api/admin/providers/{}", shop.provider_id),
            &json!({"apiUrl": broken.api_url(), "apiKey": "refresh-guard-1"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    let browser = app.browser();
    browser.login("refresher@example.com", "refresh-pass-1");
    let refresh = || {
        let response = browser.submit(&format!("/orders/{id}"), &format!("/orders/{id}/refresh"), &[]);
        assert_eq!(response.status(), 303);
        browser.get(&format!("/orders/{id}")).text().unwrap()
    };
    let first = refresh();
    assert!(first.contains("could not be asked just now"), "a generic message");
    assert!(
        !first.contains("502") && !first.contains("HTML") && !first.contains("Sim"),
        "nothing internal"
    );
    let calls = |sim: &smm_panel::provider::sim::SimHandle| -> u64 {
        let stats: Value = reqwest::blocking::get(format!("{}/sim/stats", sim.base_url()))
            .unwrap()
            .json()
            .unwrap();
        stats["status_calls"].as_u64().unwrap()
    };
    assert_eq!(calls(&broken), 1);
    let second = refresh();
    assert!(
        second.contains("less than a minute ago"),
        "the guard holds after an error"
    );
    assert_eq!(calls(&broken), 1, "the provider was not asked again");
}

#[test]
fn sign_in_follows_only_this_sites_paths() {
    let app = spawn_app();
    app.create_user("next@example.com", "next-pass-123", smm_panel::domain::Role::User);
    for (next, expected) in [
        ("/orders?page=2", "/orders?page=2"),
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/%09/evil.example", "/%09/evil.example"),
    ] {
        let browser = app.browser();
        let html = browser.get("/login").text().unwrap();
        let csrf = csrf_token(&html);
        let response = browser.post_form(
            "/login",
            &[
                ("email", "next@example.com"),
                ("password", "next-pass-123"),
                ("next", next),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(response.status(), 303, "{next:?}");
        assert_eq!(location(&response), expected, "{next:?}");
    }
}
