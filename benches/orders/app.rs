//! What every phase stands on: a database of the bench's own, the real application
//! in-process (as `tests/api/helpers.rs` starts it), the catalogue set up through the
//! admin API, and customers with a balance no run can exhaust.

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{json, Value};
use smm_panel::config::Config;
use smm_panel::crypto::SecretKey;
use smm_panel::domain::{Email, LedgerKind, Money, Password, Role};
use smm_panel::provider::sim::SimHandle;
use smm_panel::startup::Application;
use smm_panel::state::AppState;

use crate::knobs::Knobs;

// ---------------------------------------------------------------------------------
// A database of the bench's own

pub struct BenchDb {
    pub url: String,
    pub backend: &'static str,
    /// For PostgreSQL: the server URL to drop the database from, and its name.
    drop_from: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl BenchDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            None => Self {
                url: dir.path().join("bench.db").display().to_string(),
                backend: "SQLite",
                drop_from: None,
                _dir: dir,
            },
            Some(server) => {
                let name = format!(
                    "smm_bench_{}",
                    hex::encode(smm_panel::crypto::random_bytes::<8>().expect("random bytes"))
                );
                let mut conn = PgConnection::establish(&server).expect("BENCH_DATABASE_URL must reach PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create the bench database");
                let mut url = url::Url::parse(&server).expect("BENCH_DATABASE_URL is a URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    backend: "PostgreSQL",
                    drop_from: Some((server, name)),
                    _dir: dir,
                }
            }
        }
    }

    pub fn data_dir(&self) -> String {
        self._dir.path().display().to_string()
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        // `BENCH_KEEP_DB=1` leaves the database behind, to look at its query plans.
        if std::env::var("BENCH_KEEP_DB").is_ok_and(|v| v == "1") {
            self._dir.disable_cleanup(true);
            eprintln!("BENCH_KEEP_DB: the {} database is kept: {}", self.backend, self.url);
            return;
        }
        if let Some((server, name)) = &self.drop_from {
            if let Ok(mut conn) = PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// The real application, in-process (as tests/api/helpers.rs starts it)

pub struct App {
    pub base: String,
    pub state: AppState,
    /// The settings it runs with (a `serve` child started with them shares its
    /// database and key).
    pub env: HashMap<String, String>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

/// The app on `db`; `extra` settings are added to (or override) the bench's own.
pub fn spawn_app(db: &BenchDb, knobs: &Knobs, extra: &[(&str, &str)]) -> App {
    let mut env: HashMap<String, String> = [
        ("DATA_DIR", db.data_dir()),
        ("DATABASE_URL", db.url.clone()),
        ("BIND", "127.0.0.1:0".into()),
        ("SECRET_KEY", SecretKey::generate_hex().expect("key")),
        ("BCRYPT_COST", "4".into()),
        // The pages' language (`BENCH_LANGUAGE`, default en; bn adds Bengali digits).
        (
            "DEFAULT_LANGUAGE",
            std::env::var("BENCH_LANGUAGE").unwrap_or_else(|_| "en".into()),
        ),
        ("WORKERS", knobs.workers.to_string()),
        // Every request comes from 127.0.0.1: a per-client limit must not be what is measured.
        ("RATE_LIMIT_PER_MIN", "1000000".into()),
        // provider-sim runs on this machine.
        ("ALLOW_HTTP_PROVIDERS", "true".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("bench configuration is valid");
    let settings = env.clone();
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(config) {
                Ok(app) => {
                    let _ = tx.send(Ok((app.port(), app.server_handle(), app.state().clone())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:#}")));
                }
            }
        })
    });
    let (port, handle, state) = rx
        .recv()
        .expect("server thread started")
        .unwrap_or_else(|e| panic!("application builds: {e}"));
    App {
        base: format!("http://127.0.0.1:{port}"),
        state,
        env: settings,
        handle,
        thread: Some(thread),
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false))).join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One JSON call that must answer `expected`; returns the body.
pub fn call(
    client: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
    expected: u16,
) -> Value {
    let mut request = client.request(method.clone(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    assert_eq!(status, expected, "{method} {url}: unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Every bench account's password.
pub const PASSWORD: &str = "correct-horse-battery";

pub struct Shop {
    pub admin_token: String,
    pub customer_id: i64,
    pub customer_token: String,
    pub service_id: i64,
}

/// An account made directly (bcrypt cost 4) and its bearer token from the API.
fn account_with_token(app: &App, client: &reqwest::blocking::Client, email: &str, role: Role) -> (i64, String) {
    let password = PASSWORD;
    let id = smm_panel::service::accounts::register(
        &app.state,
        &Email::parse(email).expect("email"),
        &Password::parse(password).expect("password"),
        role,
    )
    .expect("register");
    let body = json!({"email": email, "password": password});
    let token = call(
        client,
        reqwest::Method::POST,
        &format!("{}/api/auth/token", app.base),
        None,
        Some(&body),
        200,
    )["token"]
        .as_str()
        .expect("a token")
        .to_string();
    (id, token)
}

/// The catalogue through the real admin API (sim services at cost, 1 USD = 100 BDT) and a
/// customer with a balance that no run can exhaust.
/// A provider-sim with `key`, answering after `latency_ms`, whose balance never runs out
/// during a bench.
pub fn rich_sim(key: &str, latency_ms: u64) -> SimHandle {
    smm_panel::provider::sim::spawn(smm_panel::provider::sim::SimArgs {
        key: key.into(),
        latency_ms,
        balance: Money::parse("1000000000").expect("amount"),
        ..smm_panel::provider::sim::SimArgs::ephemeral()
    })
    .expect("provider-sim starts")
}

pub fn shop(app: &App, sim: &SimHandle, sim_key: &str) -> Shop {
    let client = blocking_client();
    let (_, admin_token) = account_with_token(app, &client, "bench-admin@example.com", Role::Admin);
    let service_id = add_provider(app, &admin_token, "Sim", sim, sim_key);
    call(
        &client,
        reqwest::Method::POST,
        &format!("{}/api/admin/settings", app.base),
        Some(&admin_token),
        Some(&json!({"usdToBdt": "100"})),
        200,
    );
    let (customer_id, customer_token) = customer(app, &client, "bench-customer@example.com");
    Shop {
        admin_token,
        customer_id,
        customer_token,
        service_id,
    }
}

/// A provider for `sim` named `name`, through the admin API (nothing imported): its id.
pub fn create_provider(
    app: &App,
    client: &reqwest::blocking::Client,
    admin_token: &str,
    name: &str,
    sim: &SimHandle,
    sim_key: &str,
) -> i64 {
    let body = json!({"name": name, "apiUrl": sim.api_url(), "apiKey": sim_key});
    call(
        client,
        reqwest::Method::POST,
        &format!("{}/api/admin/providers", app.base),
        Some(admin_token),
        Some(&body),
        201,
    )["id"]
        .as_i64()
        .expect("provider id")
}

/// Adds provider-sim `sim` as provider `name` through the admin API and imports its
/// services at cost; the panel's id of the sim's service 1.
pub fn add_provider(app: &App, admin_token: &str, name: &str, sim: &SimHandle, sim_key: &str) -> i64 {
    let client = blocking_client();
    let url = |path: &str| format!("{}{path}", app.base);
    let admin = Some(admin_token);
    let provider_id = create_provider(app, &client, admin_token, name, sim, sim_key);
    call(
        &client,
        reqwest::Method::POST,
        &url(&format!("/api/admin/providers/{provider_id}/import-services")),
        admin,
        Some(&json!({"markupPercent": "0"})),
        200,
    );
    let services = call(
        &client,
        reqwest::Method::GET,
        &url("/api/admin/services?perPage=500"),
        admin,
        None,
        200,
    );
    services["items"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["providerServiceId"] == "1" && s["providerId"] == provider_id)
        .and_then(|s| s["id"].as_i64())
        .expect("sim service 1 imported")
}

/// A customer with a balance no run can exhaust (deposited through the ledger): its id and token.
pub fn customer(app: &App, client: &reqwest::blocking::Client, email: &str) -> (i64, String) {
    let (customer_id, token) = account_with_token(app, client, email, Role::User);
    let mut conn = app.state.conn().expect("connection");
    smm_panel::db::write_transaction(&mut conn, |c| {
        smm_panel::db::ledger::post(
            c,
            &smm_panel::db::ledger::Posting {
                user_id: customer_id,
                kind: LedgerKind::Deposit,
                amount: Money::parse("1000000000").expect("amount"),
                order_id: None,
                actor_id: None,
                note: Some("bench deposit"),
                allow_negative: false,
            },
        )
    })
    .expect("deposit");
    (customer_id, token)
}

pub fn set_mode(app: &App, shop: &Shop, mode: &str) {
    call(
        &blocking_client(),
        reqwest::Method::PATCH,
        &format!("{}/api/admin/services/{}", app.base, shop.service_id),
        Some(&shop.admin_token),
        Some(&json!({"mode": mode})),
        200,
    );
}

pub fn blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}
