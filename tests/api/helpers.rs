#![allow(dead_code)] // shared by every test module; not each uses every helper
//! Test harness: the real application on a random port over a fresh database (a new
//! SQLite file, or a new PostgreSQL database when `TEST_DATABASE_URL` is set), driven
//! over HTTP.

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::blocking::{Client, Response};
use serde_json::Value;
use smm_panel::config::Config;
use smm_panel::crypto::SecretKey;
use smm_panel::domain::{Email, LedgerKind, Money, Password, Role};
use smm_panel::service::accounts;
use smm_panel::startup::Application;
use smm_panel::state::AppState;
use tempfile::TempDir;

/// A database of its own for one test.
pub struct TestDb {
    pub url: String,
    /// For PostgreSQL: the server URL to drop the database from, and its name.
    drop_from: Option<(String, String)>,
}

impl TestDb {
    pub fn new(dir: &TempDir) -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(server) => Self::postgres(&server),
            None => Self {
                url: dir.path().join("test.db").display().to_string(),
                drop_from: None,
            },
        }
    }

    /// A fresh PostgreSQL database on the server `server_url` points at.
    pub fn postgres(server_url: &str) -> Self {
        let name = format!(
            "smm_test_{}",
            hex::encode(smm_panel::crypto::random_bytes::<8>().unwrap())
        );
        let mut conn = PgConnection::establish(server_url).expect("TEST_DATABASE_URL must reach PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let mut url = url::Url::parse(server_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Self {
            url: url.to_string(),
            drop_from: Some((server_url.to_string(), name)),
        }
    }

    /// A database this handle does not own (nothing is dropped with it).
    pub fn unmanaged(url: String) -> Self {
        Self { url, drop_from: None }
    }

    pub fn is_postgres(&self) -> bool {
        self.drop_from.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.drop_from {
            if let Ok(mut conn) = PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
            }
        }
    }
}

/// The environment a test app runs with; `overrides` replace or add variables.
pub fn test_env(dir: &TempDir, db: &TestDb, overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("DATA_DIR", dir.path().display().to_string()),
        ("DATABASE_URL", db.url.clone()),
        ("BIND", "127.0.0.1:0".into()),
        ("SECRET_KEY", SecretKey::generate_hex().unwrap()),
        ("BCRYPT_COST", "4".into()),
        ("WORKERS", "2".into()),
        // Pages in English unless a test asks for Bengali (`tests/api/i18n.rs`).
        ("DEFAULT_LANGUAGE", "en".into()),
        // Every test client is 127.0.0.1; the limit itself is tested on its own.
        ("RATE_LIMIT_PER_MIN", "1000000".into()),
        // Every provider-sim runs on this machine (the outbound policy has its own tests).
        ("PROVIDER_ALLOWED_HOSTS", "127.0.0.1,localhost".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in overrides {
        env.insert(k.to_string(), v.to_string());
    }
    env
}

pub struct TestApp {
    /// The variables the app was configured with (the CLI tests reuse them).
    pub env: HashMap<String, String>,
    pub address: String,
    pub port: u16,
    /// Direct access to the app's database and key, for setting up and checking effects.
    pub state: AppState,
    handle: actix_web::dev::ServerHandle,
    stop_workers_handle: smm_panel::worker::WorkerControl,
    thread: Option<JoinHandle<()>>,
    pub db: TestDb,
    pub dir: TempDir,
}

pub fn spawn_app() -> TestApp {
    spawn_app_with(&[])
}

pub fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = TestDb::new(&dir);
    let env = test_env(&dir, &db, overrides);
    spawn_with_env(env, db, dir)
}

pub fn spawn_with_env(env: HashMap<String, String>, db: TestDb, dir: TempDir) -> TestApp {
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration is valid");
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(config) {
                Ok(app) => {
                    let _ = tx.send(Ok((
                        app.port(),
                        app.server_handle(),
                        app.state().clone(),
                        app.worker_control(),
                    )));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:#}")));
                }
            }
        })
    });
    let (port, handle, state, stop_workers_handle) =
        rx.recv().expect("server thread started").expect("application builds");
    TestApp {
        env,
        address: format!("http://127.0.0.1:{port}"),
        port,
        state,
        handle,
        stop_workers_handle,
        thread: Some(thread),
        db,
        dir,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false))).join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A new browser: its own cookie jar, redirects not followed (tests check them).
    pub fn browser(&self) -> Browser {
        smm_panel::provider::client::install_crypto_provider();
        Browser {
            base: self.address.clone(),
            client: Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// A plain API client (no cookies).
    pub fn api(&self) -> Api {
        smm_panel::provider::client::install_crypto_provider();
        Api {
            base: self.address.clone(),
            client: Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
        }
    }

    /// Creates an account directly (fast set-up for tests about something else).
    pub fn create_user(&self, email: &str, password: &str, role: Role) -> i64 {
        let email = Email::parse(email).unwrap();
        let password = Password::parse(password).unwrap();
        accounts::register(&self.state, &email, &password, role).expect("create user")
    }

    /// Credits a user through the ledger.
    pub fn deposit(&self, user_id: i64, amount: &str) {
        let amount = Money::parse(amount).unwrap();
        let mut conn = self.state.conn().unwrap();
        smm_panel::db::write_transaction(&mut conn, |c| {
            smm_panel::db::ledger::post(
                c,
                &smm_panel::db::ledger::Posting {
                    user_id,
                    kind: LedgerKind::Deposit,
                    amount,
                    order_id: None,
                    actor_id: None,
                    note: Some("test deposit"),
                    allow_negative: false,
                },
            )
        })
        .unwrap();
    }

    /// A user with a token, ready for API calls.
    pub fn user_with_token(&self, email: &str, role: Role) -> (i64, String) {
        let id = self.create_user(email, "correct-horse", role);
        let token = self.api().token(email, "correct-horse");
        (id, token)
    }

    /// `users.balance` and the sum of the user's ledger rows.
    pub fn balance_and_ledger_sum(&self, user_id: i64) -> (i64, i64) {
        let mut conn = self.state.conn().unwrap();
        let account = accounts::find(&mut conn, user_id).unwrap().unwrap();
        let sum = smm_panel::db::ledger::sum_for_user(&mut conn, user_id).unwrap();
        (account.balance.micros(), sum)
    }
}

pub struct Browser {
    base: String,
    pub client: Client,
}

impl Browser {
    pub fn get(&self, path: &str) -> Response {
        self.client.get(format!("{}{path}", self.base)).send().unwrap()
    }

    pub fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .unwrap()
    }

    /// GETs `page`, takes its CSRF token, and POSTs `form` with it to `action`.
    pub fn submit(&self, page: &str, action: &str, form: &[(&str, &str)]) -> Response {
        let html = self.get(page).text().unwrap();
        let csrf = csrf_token(&html);
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf", &csrf));
        self.post_form(action, &fields)
    }

    pub fn login(&self, email: &str, password: &str) -> Response {
        self.submit("/login", "/login", &[("email", email), ("password", password)])
    }
}

/// The value of the first hidden `csrf` input in a page.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub struct Api {
    base: String,
    pub client: Client,
}

impl Api {
    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    }

    pub fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    }

    pub fn token(&self, email: &str, password: &str) -> String {
        let response = self.post(
            "/api/auth/token",
            &serde_json::json!({"email": email, "password": password}),
            None,
        );
        assert_eq!(response.status(), 200, "token for {email}");
        response.json::<Value>().unwrap()["token"].as_str().unwrap().to_string()
    }
}

/// Reads a response as JSON, checking its status first.
pub fn json(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body = response.text().unwrap();
    assert_eq!(actual, status, "unexpected status; body: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Checks the SPEC §8 error shape and returns the code.
pub fn error_code(response: Response, status: u16) -> String {
    let body = json(response, status);
    assert_eq!(body["success"], false, "{body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body["error"]["code"].as_str().unwrap().to_string()
}

/// Polls `check` until it returns `Some`, or fails the test after `timeout`.
pub fn wait_until<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A simulated provider on a free loopback port (SPEC §6).
pub fn spawn_sim(args: smm_panel::provider::sim::SimArgs) -> smm_panel::provider::sim::SimHandle {
    smm_panel::provider::sim::spawn(args).expect("provider-sim starts")
}

pub fn sim_args(key: &str) -> smm_panel::provider::sim::SimArgs {
    smm_panel::provider::sim::SimArgs {
        key: key.into(),
        ..smm_panel::provider::sim::SimArgs::ephemeral()
    }
}

impl TestApp {
    /// An admin's token (creating the admin).
    pub fn admin_token(&self) -> String {
        self.user_with_token("admin@example.com", Role::Admin).1
    }

    /// Adds a provider through the API and returns its id.
    pub fn add_provider(&self, token: &str, name: &str, api_url: &str, key: &str) -> i64 {
        let body = serde_json::json!({"name": name, "apiUrl": api_url, "apiKey": key});
        json(self.api().post("/api/admin/providers", &body, Some(token)), 201)["id"]
            .as_i64()
            .unwrap()
    }

    /// Rows of the audit log with this action, oldest first.
    pub fn audit_rows(&self, action: &str) -> Vec<smm_panel::db::models::AuditRow> {
        let mut conn = self.state.conn().unwrap();
        let (mut rows, _) = smm_panel::db::audit::page(&mut conn, Some(action), 0, 1000).unwrap();
        rows.reverse();
        rows
    }
}

impl Api {
    pub fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.patch(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.delete(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    }
}

/// A catalogue to order from: the simulator's services imported at cost (no markup)
/// with 1 USD = 100 BDT, so sim service 1 (0.90 USD per 1000) costs 90.00 BDT per 1000.
pub struct Shop {
    pub admin_token: String,
    pub provider_id: i64,
    pub sim: smm_panel::provider::sim::SimHandle,
}

impl TestApp {
    pub fn shop(&self, args: smm_panel::provider::sim::SimArgs) -> Shop {
        let key = args.key.clone();
        let sim = spawn_sim(args);
        let admin_token = self.admin_token();
        let provider_id = self.add_provider(&admin_token, "Sim", &sim.api_url(), &key);
        let api = self.api();
        let imported = api.post(
            &format!("/api/admin/providers/{provider_id}/import-services"),
            &serde_json::json!({"markupPercent": "0"}),
            Some(&admin_token),
        );
        json(imported, 200);
        json(
            api.post(
                "/api/admin/settings",
                &serde_json::json!({"usdToBdt": "100"}),
                Some(&admin_token),
            ),
            200,
        );
        Shop {
            admin_token,
            provider_id,
            sim,
        }
    }

    /// Switches a service to `mode` (`auto` or `manual`) as the admin.
    pub fn set_service_mode(&self, admin: &str, service: i64, mode: &str) {
        json(
            self.api().patch(
                &format!("/api/admin/services/{service}"),
                &serde_json::json!({ "mode": mode }),
                Some(admin),
            ),
            200,
        );
    }

    /// The panel's id of the service imported from the simulator's service `sim_id`.
    pub fn service_id(&self, shop: &Shop, sim_id: &str) -> i64 {
        let services = json(self.api().get("/api/admin/services", Some(&shop.admin_token)), 200);
        services["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["providerServiceId"] == sim_id)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// A customer with `balance` BDT and a token.
    pub fn customer(&self, email: &str, balance: &str) -> (i64, String) {
        let (id, token) = self.user_with_token(email, Role::User);
        if balance != "0" {
            self.deposit(id, balance);
        }
        (id, token)
    }

    /// Waits until the order reaches a forward state in `states`, returning its JSON.
    pub fn wait_for_order(&self, token: &str, id: i64, states: &[&str]) -> Value {
        wait_until(
            Duration::from_secs(40),
            &format!("order {id} to reach {states:?}"),
            || {
                let order = json(self.api().get(&format!("/api/user/orders/{id}"), Some(token)), 200);
                states
                    .contains(&order["forwardState"].as_str().unwrap_or_default())
                    .then_some(order)
            },
        )
    }

    /// Every user's balance equals the sum of their ledger rows, and every order's rows
    /// sum to minus its net charge.
    pub fn assert_ledger_reconciles(&self) {
        use diesel::prelude::*;
        use smm_panel::db::schema::{orders, users};
        let mut conn = self.state.conn().unwrap();
        let ids: Vec<i64> = users::table.select(users::id).load(&mut **conn).unwrap();
        for id in ids {
            let balance: i64 = users::table.find(id).select(users::balance).first(&mut **conn).unwrap();
            let sum = smm_panel::db::ledger::sum_for_user(&mut conn, id).unwrap();
            assert_eq!(balance, sum, "user {id}: balance equals the ledger");
        }
        let rows: Vec<smm_panel::db::models::OrderRow> = orders::table
            .select(smm_panel::db::models::OrderRow::as_select())
            .load(&mut **conn)
            .unwrap();
        for order in rows {
            let status = smm_panel::domain::OrderStatus::parse(&order.status).unwrap();
            let net = smm_panel::domain::settlement::net_charge(
                Money::from_micros(order.charge),
                order.quantity,
                status,
                order.remains,
            );
            let sum = smm_panel::db::ledger::sum_for_order(&mut conn, order.id).unwrap();
            assert_eq!(
                sum,
                -net.micros(),
                "order {} ({}): ledger sums to minus its net charge",
                order.id,
                order.status
            );
        }
    }
}

/// What provider-sim accepted: `(order, link)` pairs.
pub fn sim_orders(sim: &smm_panel::provider::sim::SimHandle) -> Vec<(i64, String)> {
    let body: Value = reqwest::blocking::get(format!("{}/sim/orders", sim.base_url()))
        .unwrap()
        .json()
        .unwrap();
    body.as_array()
        .unwrap()
        .iter()
        .map(|o| (o["order"].as_i64().unwrap(), o["link"].as_str().unwrap().to_string()))
        .collect()
}

/// How many adds the simulator accepted for each link.
pub fn adds_per_link(sim: &smm_panel::provider::sim::SimHandle) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for (_, link) in sim_orders(sim) {
        *counts.entry(link).or_insert(0) += 1;
    }
    counts
}

impl TestApp {
    /// Imports the catalogue from a healthy simulator, then applies `args`' faults by
    /// pointing the provider at a second simulator that has them.
    pub fn shop_without_faults_during_import(&self, args: smm_panel::provider::sim::SimArgs) -> Shop {
        let healthy = smm_panel::provider::sim::SimArgs {
            key: args.key.clone(),
            ..smm_panel::provider::sim::SimArgs::ephemeral()
        };
        let mut shop = self.shop(healthy);
        let key = args.key.clone();
        let faulty = spawn_sim(args);
        // A new address needs the key typed again.
        let body = serde_json::json!({"apiUrl": faulty.api_url(), "apiKey": key});
        json(
            self.api().patch(
                &format!("/api/admin/providers/{}", shop.provider_id),
                &body,
                Some(&shop.admin_token),
            ),
            200,
        );
        shop.sim = faulty;
        shop
    }

    pub fn find_user(&self, email: &str) -> i64 {
        let mut conn = self.state.conn().unwrap();
        smm_panel::db::users::find_by_email(&mut conn, email)
            .unwrap()
            .unwrap()
            .id
    }

    pub fn count_forward_state(&self, state: &str) -> i64 {
        let mut conn = self.state.conn().unwrap();
        smm_panel::db::orders::count_by_forward_state(&mut conn)
            .unwrap()
            .into_iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| n)
    }

    /// Stops this app's forwarding workers and scheduler and waits until they have
    /// finished their step (the HTTP server keeps running), so another process, or the
    /// test itself, can own the queue and the schedule.
    pub fn stop_workers(&self) {
        self.stop_workers_handle.stop_and_wait(Duration::from_secs(60));
    }
}

/// Sleeps past the next minute's turn (plus two seconds) when fewer than `seconds` of
/// this minute are left or the minute began less than two seconds ago: for tests of
/// per-minute counters (minutes of the database's clock, which may be a little off this
/// one), so the window cannot turn in the middle. Retrying a run the minute turned in
/// at once instead could land every attempt in the same seconds around the turn.
pub fn wait_for_room_in_the_minute(seconds: f64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into_minute = now.as_secs_f64() % 60.0;
    if !(2.0..60.0 - seconds).contains(&into_minute) {
        std::thread::sleep(Duration::from_secs_f64((62.0 - into_minute) % 60.0));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the real `smm-panel serve` with the test app's database and key.
pub fn serve(env: &std::collections::HashMap<String, String>, port: u16, extra: &[(&str, &str)]) -> Child {
    serve_to(env, port, extra, Stdio::inherit())
}

/// `serve` with its log (standard error) going to `stderr`.
pub fn serve_to(
    env: &std::collections::HashMap<String, String>,
    port: u16,
    extra: &[(&str, &str)],
    stderr: Stdio,
) -> Child {
    smm_panel::provider::client::install_crypto_provider();
    let child = Command::new(env!("CARGO_BIN_EXE_smm-panel"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("BIND", format!("127.0.0.1:{port}"))
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start smm-panel serve");
    let url = format!("http://127.0.0.1:{port}/healthz");
    wait_until(Duration::from_secs(30), "serve to answer", || {
        reqwest::blocking::get(&url)
            .ok()
            .filter(|r| r.status().is_success())
            .map(|_| ())
    });
    child
}

/// An app whose own workers are stopped, so `serve` child processes own the queue of
/// its database: with a shop (the simulator with `args`) and a customer.
pub struct Handover {
    pub app: TestApp,
    pub shop: Shop,
    pub service: i64,
    pub token: String,
}

pub fn handover(args: smm_panel::provider::sim::SimArgs, customer: &str, balance: &str) -> Handover {
    let app = spawn_app_with(&[("WORKERS", "1")]);
    let shop = app.shop_without_faults_during_import(args);
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer(customer, balance);
    app.stop_workers();
    Handover {
        app,
        shop,
        service,
        token,
    }
}

/// Places `count` orders of `service` with links `https://x.com/<prefix>-<i>` at the
/// `serve` process listening on `port`; returns their ids.
pub fn place_at(port: u16, token: &str, service: i64, prefix: &str, count: usize) -> Vec<i64> {
    let orders: Vec<Value> = (0..count)
        .map(|i| serde_json::json!({"serviceId": service, "link": format!("https://x.com/{prefix}-{i}"), "qty": 100}))
        .collect();
    let response = Client::new()
        .post(format!("http://127.0.0.1:{port}/api/user/create-orders"))
        .bearer_auth(token)
        .json(&serde_json::json!({"orders": orders}))
        .send()
        .unwrap();
    json(response, 201)["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

impl TestApp {
    /// Starts a sync round from the admin API (waiting while another runs); its id.
    pub fn start_round(&self, admin: &str) -> i64 {
        let started = wait_until(Duration::from_secs(30), "a round to start", || {
            let response = self
                .api()
                .client
                .post(self.url("/api/admin/orders/sync-status"))
                .bearer_auth(admin)
                .send()
                .unwrap();
            (response.status() == 202).then(|| response.json::<Value>().unwrap())
        });
        started["round"]["id"].as_i64().unwrap()
    }

    /// Waits until round `id` has finished; returns it.
    pub fn wait_round(&self, admin: &str, id: i64) -> Value {
        wait_until(Duration::from_secs(60), "the round to finish", || {
            let status = json(self.api().get("/api/admin/orders/sync-status", Some(admin)), 200);
            status["lastRounds"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id && !r["finishedAt"].is_null())
                .cloned()
        })
    }

    /// Runs a sync round from the admin API to its end; returns the round.
    pub fn sync_round(&self, admin: &str) -> Value {
        let id = self.start_round(admin);
        self.wait_round(admin, id)
    }
}

/// Every page a signed-in customer can open (the tests add an order's own page).
pub const CUSTOMER_PAGES: &[&str] = &[
    "/",
    "/orders/new",
    "/orders/mass",
    "/orders",
    "/transactions",
    "/services",
    "/account",
    "/funds",
];

/// Every admin page without an id in its path (the Admins page needs a super admin).
pub const ADMIN_PAGES: &[&str] = &[
    "/admin",
    "/admin/orders",
    "/admin/orders/manual",
    "/admin/review",
    "/admin/requests",
    "/admin/funds",
    "/admin/sync",
    "/admin/system",
    "/admin/users",
    "/admin/providers",
    "/admin/services",
    "/admin/settings",
    "/admin/audit",
    "/admin/admins",
];
