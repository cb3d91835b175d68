//! Benchmarks (issue 5): order intake through `POST /api/user/create-orders`, the same
//! machine's bare limit (an actix handler doing one insert transaction), and forwarding
//! throughput against provider-sim at a fixed latency. Issue 6: status-sync throughput
//! over many accepted orders (phase `sync`, not run by default). Results and how to read
//! them are in `BENCHMARKS.md`.
//!
//! ```sh
//! cargo bench --bench orders                                                        # SQLite
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench orders  # PostgreSQL
//! BENCH_PHASES=sync cargo bench --bench orders                                      # status sync
//! ```
//!
//! On PostgreSQL a fresh database `smm_bench_<random>` is created on that server and
//! dropped afterwards. Knobs (environment): `BENCH_SECONDS` (10) measured seconds per
//! load phase, `BENCH_WARMUP_SECONDS` (1) unmeasured seconds before them,
//! `BENCH_CONCURRENCY` (32) requests in flight, `BENCH_WORKERS` (4) the app's
//! `WORKERS`, `BENCH_LATENCY_MS` (200) provider-sim latency, `BENCH_FORWARD_ORDERS`
//! (200) orders forwarded, `BENCH_LOADGEN` (`async`: one thread, one task and one
//! keep-alive connection per concurrent client; `threads`: one OS thread with its own
//! `reqwest::blocking` client per concurrent client), `BENCH_PHASES`
//! (`intake,v2,spread,bare,forward` by default; a list runs only those, `sync` included),
//! `BENCH_SYNC_ORDERS` (100000) accepted orders in the sync phase, `BENCH_SYNC_ROUNDS` (2)
//! rounds: the first changes every order, the others find nothing changed.
//!
//! Phases: `intake` — every client orders as the same customer; `v2` — the same through
//! `/api/v2` `action=add` with the customer's API key; `spread` — client `i`
//! orders as customer `i` (so no two transactions update the same balance row); `bare`
//! — the bare limit; `forward` — forwarding throughput; `sync` — `BENCH_SYNC_ROUNDS`
//! status-sync rounds over `BENCH_SYNC_ORDERS` accepted orders (its own database,
//! provider-sim and app).

use std::collections::HashMap;
use std::net::TcpListener;
use std::str::FromStr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse, HttpServer};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{json, Value};
use smm_panel::config::{Config, DatabaseUrl};
use smm_panel::crypto::SecretKey;
use smm_panel::db::{DbConnection, DbPool};
use smm_panel::domain::{Email, LedgerKind, Money, Password, Role};
use smm_panel::provider::sim::{SimArgs, SimHandle};
use smm_panel::startup::Application;
use smm_panel::state::AppState;

// ---------------------------------------------------------------------------------
// Knobs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoadGen {
    Async,
    Threads,
}

#[derive(Debug, Clone)]
struct Knobs {
    seconds: u64,
    warmup: u64,
    concurrency: usize,
    workers: usize,
    latency_ms: u64,
    forward_orders: usize,
    sync_orders: usize,
    sync_rounds: usize,
    loadgen: LoadGen,
    phases: Vec<String>,
}

fn knob<T: FromStr + PartialOrd + std::fmt::Display>(name: &str, default: T, min: T, max: T) -> T {
    match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
        None => default,
        Some(raw) => match raw.trim().parse::<T>() {
            Ok(v) if v >= min && v <= max => v,
            _ => panic!("{name}: '{raw}' must be a whole number from {min} to {max}"),
        },
    }
}

impl Knobs {
    fn from_env() -> Self {
        let loadgen = match std::env::var("BENCH_LOADGEN").unwrap_or_default().trim() {
            "" | "async" => LoadGen::Async,
            "threads" => LoadGen::Threads,
            other => panic!("BENCH_LOADGEN: '{other}' must be 'async' or 'threads'"),
        };
        Self {
            seconds: knob("BENCH_SECONDS", 10, 1, 600),
            warmup: knob("BENCH_WARMUP_SECONDS", 1, 0, 60),
            concurrency: knob("BENCH_CONCURRENCY", 32, 1, 1024),
            workers: knob("BENCH_WORKERS", 4, 1, 256),
            latency_ms: knob("BENCH_LATENCY_MS", 200, 1, 10_000),
            forward_orders: knob("BENCH_FORWARD_ORDERS", 200, 1, 100_000),
            sync_orders: knob("BENCH_SYNC_ORDERS", 100_000, 100, 10_000_000),
            sync_rounds: knob("BENCH_SYNC_ROUNDS", 2, 2, 100),
            loadgen,
            phases: std::env::var("BENCH_PHASES")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_PHASES.join(","))
                .split(',')
                .map(|p| {
                    let p = p.trim().to_string();
                    assert!(
                        PHASES.contains(&p.as_str()),
                        "BENCH_PHASES: '{p}' is not one of {PHASES:?}"
                    );
                    p
                })
                .collect(),
        }
    }

    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

/// Every phase, in the order they run.
const PHASES: [&str; 6] = ["intake", "v2", "spread", "bare", "forward", "sync"];
/// The phases run when `BENCH_PHASES` is not set (`sync` takes minutes: ask for it).
const DEFAULT_PHASES: [&str; 5] = ["intake", "v2", "spread", "bare", "forward"];

// ---------------------------------------------------------------------------------
// A database of the bench's own

struct BenchDb {
    url: String,
    backend: &'static str,
    /// For PostgreSQL: the server URL to drop the database from, and its name.
    drop_from: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl BenchDb {
    fn new() -> Self {
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

    fn data_dir(&self) -> String {
        self._dir.path().display().to_string()
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.drop_from {
            if let Ok(mut conn) = PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// The real application, in-process (as tests/api/helpers.rs starts it)

struct App {
    base: String,
    state: AppState,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

/// The app on `db`; `extra` settings are added to (or override) the bench's own.
fn spawn_app(db: &BenchDb, knobs: &Knobs, extra: &[(&str, &str)]) -> App {
    let mut env: HashMap<String, String> = [
        ("DATA_DIR", db.data_dir()),
        ("DATABASE_URL", db.url.clone()),
        ("BIND", "127.0.0.1:0".into()),
        ("SECRET_KEY", SecretKey::generate_hex().expect("key")),
        ("BCRYPT_COST", "4".into()),
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
fn call(
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

struct Shop {
    admin_token: String,
    customer_id: i64,
    customer_token: String,
    service_id: i64,
}

/// An account made directly (bcrypt cost 4) and its bearer token from the API.
fn account_with_token(app: &App, client: &reqwest::blocking::Client, email: &str, role: Role) -> (i64, String) {
    let password = "correct-horse-battery";
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
fn shop(app: &App, sim: &SimHandle, sim_key: &str) -> Shop {
    let client = blocking_client();
    let url = |path: &str| format!("{}{path}", app.base);
    let (_, admin_token) = account_with_token(app, &client, "bench-admin@example.com", Role::Admin);
    let admin = Some(admin_token.as_str());
    let body = json!({"name": "Sim", "apiUrl": sim.api_url(), "apiKey": sim_key});
    let provider_id = call(
        &client,
        reqwest::Method::POST,
        &url("/api/admin/providers"),
        admin,
        Some(&body),
        201,
    )["id"]
        .as_i64()
        .expect("provider id");
    call(
        &client,
        reqwest::Method::POST,
        &url(&format!("/api/admin/providers/{provider_id}/import-services")),
        admin,
        Some(&json!({"markupPercent": "0"})),
        200,
    );
    call(
        &client,
        reqwest::Method::POST,
        &url("/api/admin/settings"),
        admin,
        Some(&json!({"usdToBdt": "100"})),
        200,
    );
    let services = call(
        &client,
        reqwest::Method::GET,
        &url("/api/admin/services"),
        admin,
        None,
        200,
    );
    let service_id = services["items"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["providerServiceId"] == "1")
        .and_then(|s| s["id"].as_i64())
        .expect("sim service 1 imported");

    let (customer_id, customer_token) = customer(app, &client, "bench-customer@example.com");
    Shop {
        admin_token,
        customer_id,
        customer_token,
        service_id,
    }
}

/// A customer with a balance no run can exhaust (deposited through the ledger): its id and token.
fn customer(app: &App, client: &reqwest::blocking::Client, email: &str) -> (i64, String) {
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

fn set_mode(app: &App, shop: &Shop, mode: &str) {
    call(
        &blocking_client(),
        reqwest::Method::PATCH,
        &format!("{}/api/admin/services/{}", app.base, shop.service_id),
        Some(&shop.admin_token),
        Some(&json!({"mode": mode})),
        200,
    );
}

fn blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

// ---------------------------------------------------------------------------------
// The bare limit: one insert transaction behind a minimal actix handler

diesel::table! {
    bench_bare (id) {
        id -> BigInt,
        link -> Text,
        quantity -> BigInt,
        created_at -> Timestamp,
    }
}

#[derive(diesel::Insertable)]
#[diesel(table_name = bench_bare)]
struct NewBare<'a> {
    link: &'a str,
    quantity: i64,
    created_at: chrono::NaiveDateTime,
}

#[derive(serde::Deserialize)]
struct BareBody {
    link: String,
    qty: i64,
}

async fn bare_insert(pool: web::Data<DbPool>, body: web::Json<BareBody>) -> HttpResponse {
    let pool = pool.into_inner();
    let done = web::block(move || -> Result<usize, String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        smm_panel::db::write_transaction(&mut conn, |c| {
            diesel::insert_into(bench_bare::table)
                .values(&NewBare {
                    link: &body.link,
                    quantity: body.qty,
                    created_at: smm_panel::db::now(),
                })
                .execute(c)
        })
        .map_err(|e: diesel::result::Error| e.to_string())
    })
    .await;
    match done {
        Ok(Ok(_)) => HttpResponse::Created().json(json!({"success": true})),
        Ok(Err(e)) => HttpResponse::InternalServerError().json(json!({"success": false, "error": e})),
        Err(e) => HttpResponse::InternalServerError().json(json!({"success": false, "error": e.to_string()})),
    }
}

struct BareServer {
    url: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

/// The same database, its own table and its own pool of the app's size; actix's default
/// number of HTTP workers, as the app has.
fn spawn_bare(db: &BenchDb, knobs: &Knobs) -> BareServer {
    let url = DatabaseUrl::parse(&db.url).expect("database URL");
    let pool = smm_panel::db::connect(&url, (knobs.workers as u32 + 12).min(64)).expect("bare pool");
    {
        let mut conn = pool.get().expect("connection");
        let ddl = match &mut **conn {
            DbConnection::Sqlite(_) => {
                "CREATE TABLE bench_bare (id INTEGER PRIMARY KEY AUTOINCREMENT, link TEXT NOT NULL, \
                 quantity BIGINT NOT NULL, created_at TIMESTAMP NOT NULL)"
            }
            DbConnection::Postgres(_) => {
                "CREATE TABLE bench_bare (id BIGSERIAL PRIMARY KEY, link TEXT NOT NULL, \
                 quantity BIGINT NOT NULL, created_at TIMESTAMP NOT NULL)"
            }
        };
        conn.batch_execute(ddl).expect("create bench_bare");
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let data = web::Data::new(pool);
            let server = HttpServer::new(move || {
                actix_web::App::new()
                    .app_data(data.clone())
                    .route("/bare", web::post().to(bare_insert))
            })
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
            let _ = tx.send(server.handle());
            let _ = server.await;
        })
    });
    BareServer {
        url: format!("http://127.0.0.1:{port}/bare"),
        handle: rx.recv().expect("bare server started"),
        thread: Some(thread),
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false))).join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------------
// CPU accounting from /proc (Linux); `None` elsewhere

/// (busy, total) jiffies of the whole machine.
fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let values: Vec<u64> = line.split_whitespace().filter_map(|v| v.parse().ok()).collect();
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// utime + stime, in jiffies, of a `/proc/.../stat` file.
fn stat_cpu(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of proc(5), counted from after the command name (field 3 is index 0).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Bytes this process passed to write-like system calls (`wchar` of `/proc/self/io`):
/// SQLite's WAL and database pages, and HTTP on both ends of every loopback connection.
fn written_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|l| l.strip_prefix("wchar:")?.trim().parse().ok())
}

/// CPU use over a phase, as a share of all cores (100 % = every core busy), and what
/// the process wrote.
#[derive(Debug, Clone, Copy, Default)]
struct CpuShare {
    machine: Option<f64>,
    process: Option<f64>,
    loadgen: Option<f64>,
    /// CPU seconds this process spent (server, provider-sim and load generator).
    process_secs: Option<f64>,
    written: Option<u64>,
}

struct CpuMark {
    machine: Option<(u64, u64)>,
    process: Option<u64>,
    written: Option<u64>,
}

impl CpuMark {
    fn now() -> Self {
        Self {
            machine: machine_cpu(),
            process: stat_cpu("/proc/self/stat"),
            written: written_bytes(),
        }
    }

    /// Shares since `self`; `loadgen` is the generator thread's jiffies, if known.
    fn since(&self, loadgen: Option<u64>) -> CpuShare {
        let later = Self::now();
        let written = self.written.zip(later.written).map(|(a, b)| b - a);
        let (Some((b0, t0)), Some((b1, t1))) = (self.machine, later.machine) else {
            return CpuShare {
                written,
                ..CpuShare::default()
            };
        };
        let total = (t1 - t0) as f64;
        if total <= 0.0 {
            return CpuShare::default();
        }
        let share = |jiffies: u64| 100.0 * jiffies as f64 / total;
        let process = self.process.zip(later.process).map(|(a, b)| b - a);
        CpuShare {
            machine: Some(share(b1 - b0)),
            process: process.map(share),
            loadgen: loadgen.map(share),
            process_secs: process.map(|j| j as f64 / CLOCK_TICKS),
            written,
        }
    }
}

/// `USER_HZ`: the unit of /proc CPU times (100 on every mainstream Linux).
const CLOCK_TICKS: f64 = 100.0;

// ---------------------------------------------------------------------------------
// The load generator

#[derive(Debug, Default)]
struct Sample {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_us: Vec<u64>,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latencies_us.extend(other.latencies_us);
    }

    fn record(&mut self, outcome: Result<(), String>, latency: Duration) {
        match outcome {
            Ok(()) => {
                self.ok += 1;
                self.latencies_us.push(latency.as_micros() as u64);
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }
}

struct LoadResult {
    label: String,
    seconds: f64,
    sample: Sample,
    cpu: CpuShare,
}

impl LoadResult {
    fn per_second(&self) -> f64 {
        self.sample.ok as f64 / self.seconds
    }

    /// CPU milliseconds this process spent per completed request.
    fn cpu_ms_per_request(&self) -> Option<f64> {
        let secs = self.cpu.process_secs?;
        (self.sample.ok > 0).then(|| secs * 1000.0 / self.sample.ok as f64)
    }

    /// Kilobytes this process wrote per completed request.
    fn kb_written_per_request(&self) -> Option<f64> {
        let bytes = self.cpu.written?;
        (self.sample.ok > 0).then(|| bytes as f64 / 1024.0 / self.sample.ok as f64)
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        let sorted = &self.sample.latencies_us;
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
    }
}

/// The body a client sends for its `n`th request: `create-orders` JSON, or for `/api/v2`
/// an `add` with the client's API key (`credential`) as a JSON body.
fn order_body(url: &str, credential: Option<&str>, service_id: i64, prefix: &str, client: usize, n: u64) -> String {
    let link = format!("https://x.com/{prefix}-{client}-{n}");
    if url.ends_with("/api/v2") {
        json!({"key": credential, "action": "add", "service": service_id, "link": link, "quantity": 100}).to_string()
    } else {
        json!({"serviceId": service_id, "link": link, "qty": 100}).to_string()
    }
}

/// `concurrency` clients each send one request at a time, back to back, for the warm-up
/// and then the measured seconds. Only requests that complete inside the measured window
/// count (throughput = those / window, latencies are theirs).
fn drive(label: &str, url: &str, tokens: &[String], service_id: i64, prefix: &str, knobs: &Knobs) -> LoadResult {
    eprintln!(
        "  {label}: {} clients, {} s warm-up + {} s measured …",
        knobs.concurrency, knobs.warmup, knobs.seconds
    );
    let warm_end = Instant::now() + Duration::from_secs(knobs.warmup);
    let end = warm_end + Duration::from_secs(knobs.seconds);
    let (mut sample, cpu) = match knobs.loadgen {
        LoadGen::Async => drive_async(url, tokens, service_id, prefix, knobs.concurrency, warm_end, end),
        LoadGen::Threads => drive_threads(url, tokens, service_id, prefix, knobs.concurrency, warm_end, end),
    };
    sample.latencies_us.sort_unstable();
    LoadResult {
        label: label.to_string(),
        seconds: knobs.seconds as f64,
        sample,
        cpu,
    }
}

fn drive_async(
    url: &str,
    tokens: &[String],
    service_id: i64,
    prefix: &str,
    concurrency: usize,
    warm_end: Instant,
    end: Instant,
) -> (Sample, CpuShare) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for client_no in 0..concurrency {
            let (url, prefix) = (url.to_string(), prefix.to_string());
            // Client `i` signs in as account `i mod accounts` (none: no Authorization header).
            let token = (!tokens.is_empty()).then(|| tokens[client_no % tokens.len()].clone());
            tasks.spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("HTTP client");
                let mut sample = Sample::default();
                let mut n = 0u64;
                while Instant::now() < end {
                    n += 1;
                    let mut request = client
                        .post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(order_body(&url, token.as_deref(), service_id, &prefix, client_no, n));
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let started = Instant::now();
                    let outcome = match request.send().await {
                        Ok(response) => {
                            let status = response.status();
                            match response.bytes().await {
                                // API v2 answers a refusal with HTTP 200 and `{"error"}`.
                                Ok(body) if status.is_success() && !body.starts_with(b"{\"error\"") => Ok(()),
                                Ok(body) => Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
                                Err(e) => Err(format!("reading the body: {e}")),
                            }
                        }
                        Err(e) => Err(format!("{e}")),
                    };
                    let finished = Instant::now();
                    if finished >= warm_end && finished <= end {
                        sample.record(outcome, finished - started);
                    }
                }
                sample
            });
        }
        // Measures the window on the same thread: every task runs on it, so its CPU time
        // is the generator's.
        let monitor = tokio::spawn(async move {
            tokio::time::sleep_until(warm_end.into()).await;
            let mark = CpuMark::now();
            let thread_start = stat_cpu("/proc/thread-self/stat");
            tokio::time::sleep_until(end.into()).await;
            let generator = thread_start.zip(stat_cpu("/proc/thread-self/stat")).map(|(a, b)| b - a);
            mark.since(generator)
        });
        let mut total = Sample::default();
        while let Some(joined) = tasks.join_next().await {
            total.merge(joined.expect("load task"));
        }
        (total, monitor.await.expect("monitor task"))
    })
}

fn drive_threads(
    url: &str,
    tokens: &[String],
    service_id: i64,
    prefix: &str,
    concurrency: usize,
    warm_end: Instant,
    end: Instant,
) -> (Sample, CpuShare) {
    let monitor = std::thread::spawn(move || {
        std::thread::sleep(warm_end.saturating_duration_since(Instant::now()));
        let mark = CpuMark::now();
        std::thread::sleep(end.saturating_duration_since(Instant::now()));
        mark.since(None)
    });
    let threads: Vec<_> = (0..concurrency)
        .map(|client_no| {
            let (url, prefix) = (url.to_string(), prefix.to_string());
            // Client `i` signs in as account `i mod accounts` (none: no Authorization header).
            let token = (!tokens.is_empty()).then(|| tokens[client_no % tokens.len()].clone());
            std::thread::spawn(move || {
                let client = blocking_client();
                let mut sample = Sample::default();
                let mut n = 0u64;
                while Instant::now() < end {
                    n += 1;
                    let mut request = client
                        .post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(order_body(&url, token.as_deref(), service_id, &prefix, client_no, n));
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let started = Instant::now();
                    let outcome = match request.send() {
                        Ok(response) => {
                            let status = response.status();
                            match response.bytes() {
                                // API v2 answers a refusal with HTTP 200 and `{"error"}`.
                                Ok(body) if status.is_success() && !body.starts_with(b"{\"error\"") => Ok(()),
                                Ok(body) => Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
                                Err(e) => Err(format!("reading the body: {e}")),
                            }
                        }
                        Err(e) => Err(format!("{e}")),
                    };
                    let finished = Instant::now();
                    if finished >= warm_end && finished <= end {
                        sample.record(outcome, finished - started);
                    }
                }
                sample
            })
        })
        .collect();
    let mut total = Sample::default();
    for thread in threads {
        total.merge(thread.join().expect("load thread"));
    }
    (total, monitor.join().expect("monitor thread"))
}

// ---------------------------------------------------------------------------------
// Forwarding throughput

struct ForwardResult {
    orders: usize,
    /// From sending the first batch until every batch was answered.
    enqueue: Duration,
    /// From sending the first batch until the last order was accepted.
    end_to_end: Duration,
    /// From the first batch's answer (its orders queued, the workers woken) until the
    /// last order was accepted: what the workers took.
    elapsed: Duration,
    accepted: i64,
    other_states: Vec<(String, i64)>,
    sim_adds: Option<usize>,
    workers: usize,
    latency_ms: u64,
    cpu: CpuShare,
}

impl ForwardResult {
    fn per_second(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64()
    }

    fn end_to_end_per_second(&self) -> f64 {
        self.accepted as f64 / self.end_to_end.as_secs_f64()
    }

    fn ideal(&self) -> f64 {
        self.workers as f64 * 1000.0 / self.latency_ms as f64
    }
}

/// The highest order id so far (0 when there is none).
fn last_order_id(app: &App) -> i64 {
    use diesel::QueryDsl;
    use smm_panel::db::schema::orders;
    let mut conn = app.state.conn().expect("connection");
    orders::table
        .select(diesel::dsl::max(orders::id))
        .first::<Option<i64>>(&mut **conn)
        .expect("last order id")
        .unwrap_or(0)
}

/// Forward states of the orders with an id above `after`: a range of the primary key, so
/// polling it often stays cheap however many orders the intake phases left behind.
fn forward_states_after(app: &App, after: i64) -> HashMap<String, i64> {
    use diesel::{ExpressionMethods, QueryDsl};
    use smm_panel::db::schema::orders;
    let mut conn = app.state.conn().expect("connection");
    orders::table
        .filter(orders::id.gt(after))
        .group_by(orders::forward_state)
        .select((orders::forward_state, diesel::dsl::count_star()))
        .load::<(String, i64)>(&mut **conn)
        .expect("forward states")
        .into_iter()
        .collect()
}

/// Queues `BENCH_FORWARD_ORDERS` orders of the auto service, 100 per request, and times
/// the workers from the moment the first batch is queued until the last order is
/// `accepted` by provider-sim (later batches are queued while the first is forwarded).
fn forwarding(app: &App, shop: &Shop, sim: &SimHandle, knobs: &Knobs) -> ForwardResult {
    let after = last_order_id(app);
    let n = knobs.forward_orders;
    eprintln!(
        "  forwarding: {n} orders, WORKERS={}, provider latency {} ms …",
        knobs.workers, knobs.latency_ms
    );
    let client = blocking_client();
    let url = format!("{}/api/user/create-orders", app.base);
    let mark = CpuMark::now();
    let started = Instant::now();
    let mut sent = 0;
    let mut first_queued = None;
    while sent < n {
        let batch: Vec<Value> = (sent..n.min(sent + 100))
            .map(|i| json!({"serviceId": shop.service_id, "link": format!("https://x.com/f-{i}"), "qty": 100}))
            .collect();
        sent += batch.len();
        call(
            &client,
            reqwest::Method::POST,
            &url,
            Some(&shop.customer_token),
            Some(&json!({ "orders": batch })),
            201,
        );
        first_queued.get_or_insert_with(Instant::now);
    }
    let enqueue = started.elapsed();
    let first_queued = first_queued.expect("at least one batch");
    let ideal_secs = n as f64 * knobs.latency_ms as f64 / 1000.0 / knobs.workers as f64;
    let deadline = started + Duration::from_secs_f64(ideal_secs * 5.0 + 30.0);
    let mut states;
    let finished = loop {
        states = forward_states_after(app, after);
        let settled = ["accepted", "rejected", "unknown"]
            .iter()
            .map(|s| states.get(*s).copied().unwrap_or(0))
            .sum::<i64>();
        if settled >= n as i64 || Instant::now() > deadline {
            break Instant::now();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let cpu = mark.since(None);
    let accepted = states.get("accepted").copied().unwrap_or(0);
    let other_states = states
        .iter()
        .filter(|(s, _)| s.as_str() != "accepted")
        .map(|(s, c)| (s.clone(), *c))
        .collect();
    let sim_adds = reqwest::blocking::get(format!("{}/sim/orders", sim.base_url()))
        .ok()
        .and_then(|r| r.json::<Value>().ok())
        .and_then(|v| v.as_array().map(Vec::len));
    ForwardResult {
        orders: n,
        enqueue,
        end_to_end: finished - started,
        elapsed: finished - first_queued,
        accepted,
        other_states,
        sim_adds,
        workers: knobs.workers,
        latency_ms: knobs.latency_ms,
        cpu,
    }
}

// ---------------------------------------------------------------------------------
// Status sync (issue 6): N accepted orders, a round in which every order changes, then
// a round in which none does

/// The app's settings for the sync phase: no spacing between provider calls, the
/// largest batch, and a schedule that stays quiet. The scheduler's first round runs at
/// start-up, before there are orders; the measured rounds are started by the bench.
const SYNC_APP_ENV: [(&str, &str); 3] = [
    ("PROVIDER_CALL_SPACING_MS", "0"),
    ("SYNC_BATCH_SIZE", "100"),
    ("SYNC_INTERVAL_SECS", "86400"),
];
/// Threads sending the setup's `add` calls to provider-sim.
const SYNC_ADD_THREADS: usize = 8;
/// Orders per multi-row insert: 18 bound values a row, 18,000 a statement (SQLite allows
/// 32,766, PostgreSQL 65,535).
const SYNC_INSERT_BATCH: usize = 1000;
/// Calls per component probe.
const SYNC_PROBE_CALLS: usize = 300;
/// Orders the per-order-transaction probe changes.
const SYNC_PROBE_ORDERS: usize = 2000;

/// A size field of `/proc/self/status` (`VmRSS`, `VmHWM`), in MiB.
fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// This process's resident set now, in MiB.
fn rss_mib() -> Option<f64> {
    proc_status_mib("VmRSS")
}

/// The largest resident set this process has had so far, in MiB.
fn peak_rss_mib() -> Option<f64> {
    proc_status_mib("VmHWM")
}

/// What SQLite has allocated (page caches, prepared statements, schema) across every
/// connection of this process, in MiB.
fn sqlite_heap_mib() -> f64 {
    // SAFETY: a read of SQLite's global memory counter; no arguments, no state changed.
    let bytes = unsafe { libsqlite3_sys::sqlite3_memory_used() };
    bytes as f64 / 1024.0 / 1024.0
}

fn mib(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1} MiB"))
}

struct RoundResult {
    label: String,
    counts: smm_panel::service::sync::Counts,
    elapsed: Duration,
    /// provider-sim's `status` requests with `orders=` (multi) and with `order=` (single).
    sim_calls: Option<(u64, u64)>,
    cpu: CpuShare,
    rss_after: Option<f64>,
    peak_rss_after: Option<f64>,
    sqlite_heap_after: f64,
}

impl RoundResult {
    fn per_second(&self) -> f64 {
        self.counts.checked as f64 / self.elapsed.as_secs_f64()
    }
}

/// One part of a batch, timed alone: `calls` calls in `elapsed`, each covering `orders`
/// orders.
struct Probe {
    label: &'static str,
    calls: usize,
    orders: usize,
    elapsed: Duration,
}

impl Probe {
    fn per_call_ms(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1000.0 / self.calls as f64
    }

    fn orders_per_second(&self) -> f64 {
        (self.calls * self.orders) as f64 / self.elapsed.as_secs_f64()
    }
}

struct SyncResult {
    orders: usize,
    adds: Duration,
    inserts: Duration,
    rss_before: Option<f64>,
    rss_after_setup: Option<f64>,
    peak_rss_after_setup: Option<f64>,
    sqlite_heap_before: f64,
    sqlite_heap_after_setup: f64,
    rounds: Vec<RoundResult>,
    /// Orders that ended with provider status `Pending` and a start count.
    synced: i64,
    /// Ledger rows of the sync orders (settlement must write none).
    ledger_rows: i64,
    probes: Vec<Probe>,
}

fn sim_stats(sim: &SimHandle) -> Option<(u64, u64)> {
    let stats = reqwest::blocking::get(format!("{}/sim/stats", sim.base_url()))
        .ok()?
        .json::<Value>()
        .ok()?;
    Some((stats["multi_status_calls"].as_u64()?, stats["status_calls"].as_u64()?))
}

fn reset_sim_stats(sim: &SimHandle) {
    blocking_client()
        .post(format!("{}/sim/reset-stats", sim.base_url()))
        .send()
        .expect("reset provider-sim stats");
}

/// `n` orders placed with provider-sim over HTTP from several threads; their sim ids,
/// in the order of `i` (the panel link `https://x.com/sync-{i}`).
fn sim_adds(sim: &SimHandle, key: &str, n: usize) -> Vec<String> {
    use smm_panel::provider::client::{NewProviderOrder, ProviderClient};
    let api = url::Url::parse(&sim.api_url()).expect("sim URL");
    let per_thread = n.div_ceil(SYNC_ADD_THREADS);
    let threads: Vec<_> = (0..SYNC_ADD_THREADS)
        .map(|t| {
            let range = (t * per_thread).min(n)..((t + 1) * per_thread).min(n);
            let client = ProviderClient::new("bench".into(), api.clone(), key.into(), Duration::from_secs(60));
            std::thread::spawn(move || {
                range
                    .map(|i| {
                        let order = NewProviderOrder {
                            service: "1".into(),
                            link: format!("https://x.com/sync-{i}"),
                            quantity: 100,
                            runs: None,
                            interval: None,
                            comments: None,
                        };
                        client
                            .add(&order)
                            .unwrap_or_else(|e| panic!("provider-sim add {i}: {e}"))
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().expect("add thread"))
        .collect()
}

/// The panel's rows for the sim's orders: `accepted`, `pending`, never checked, with
/// their provider order ids. Multi-row inserts of `SYNC_INSERT_BATCH`, one transaction
/// each. No ledger rows: the charge is 0, so settlement finds the empty ledger right
/// (as for an uncharged order) and writes nothing while the status stays pending.
fn insert_accepted(app: &App, shop: &Shop, sim_ids: &[String]) {
    use diesel::{ExpressionMethods, QueryDsl};
    use smm_panel::db::models::NewOrderRow;
    use smm_panel::db::schema::{orders, services};
    let mut conn = app.state.conn().expect("connection");
    let (provider_id, provider_service_id, rate_per_1000): (Option<i64>, Option<String>, i64) = services::table
        .find(shop.service_id)
        .select((
            services::provider_id,
            services::provider_service_id,
            services::rate_per_1000,
        ))
        .first(&mut **conn)
        .expect("the sim service");
    let links: Vec<String> = (0..sim_ids.len()).map(|i| format!("https://x.com/sync-{i}")).collect();
    let now = smm_panel::db::now();
    for (chunk, ids) in sim_ids.chunks(SYNC_INSERT_BATCH).enumerate() {
        let rows: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(j, sim_id)| {
                (
                    NewOrderRow {
                        user_id: shop.customer_id,
                        service_id: shop.service_id,
                        provider_id,
                        provider_service_id: provider_service_id.as_deref(),
                        link: &links[chunk * SYNC_INSERT_BATCH + j],
                        quantity: 100,
                        charge: 0,
                        currency: "BDT",
                        rate_per_1000,
                        usd_to_bdt: 100_000_000,
                        provider_cost: Some(90_000),
                        status: "pending",
                        forward_state: "accepted",
                        is_manual: false,
                        admin_notes: None,
                        created_at: now,
                        updated_at: now,
                    },
                    orders::provider_order_id.eq(sim_id.as_str()),
                )
            })
            .collect();
        smm_panel::db::write_transaction(&mut conn, |c| {
            smm_panel::on_backend!(c, |c| diesel::insert_into(orders::table).values(&rows).execute(c))
        })
        .expect("insert the accepted orders");
    }
    if let DbConnection::Postgres(c) = &mut **conn {
        // What autovacuum does after a bulk load; done here so it does not happen mid-round.
        c.batch_execute("ANALYZE orders").expect("analyze orders");
    }
}

/// Starts a round as the admin's "Sync now" does and runs it on this thread. Waits for
/// the lease if the scheduler's start-up round still holds it.
fn timed_round(app: &App, sim: &SimHandle, label: String) -> RoundResult {
    use smm_panel::service::sync::{begin_round, run_round, Trigger};
    let deadline = Instant::now() + Duration::from_secs(120);
    reset_sim_stats(sim);
    eprintln!("  sync: {label} …");
    // The clock starts with the `begin_round` that wins, not with any wait before it.
    let (round, started, mark) = loop {
        let (started, mark) = (Instant::now(), CpuMark::now());
        match begin_round(&app.state, Trigger::Admin, "bench").expect("begin a round") {
            Some(round) => break (round, started, mark),
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            None => panic!("the round lease stayed taken for 120 s"),
        }
    };
    let counts = run_round(&app.state, &round).expect("run the round");
    let elapsed = started.elapsed();
    let cpu = mark.since(None);
    RoundResult {
        label,
        counts,
        elapsed,
        sim_calls: sim_stats(sim),
        cpu,
        rss_after: rss_mib(),
        peak_rss_after: peak_rss_mib(),
        sqlite_heap_after: sqlite_heap_mib(),
    }
}

/// Each part of a batch alone, after the rounds: the provider call (with and without the
/// app's per-call health record), the batch read, the batched touch, and the per-order
/// transaction of round 1.
fn sync_probes(app: &App, sim: &SimHandle, sim_key: &str, sim_ids: &[String]) -> Vec<Probe> {
    use smm_panel::db::schema::orders;
    let state = &app.state;
    let ids: Vec<String> = sim_ids.iter().take(100).cloned().collect();
    let time = |label: &'static str, calls: usize, orders: usize, mut f: Box<dyn FnMut(usize) + '_>| {
        let started = Instant::now();
        for i in 0..calls {
            f(i);
        }
        Probe {
            label,
            calls,
            orders,
            elapsed: started.elapsed(),
        }
    };
    let plain = smm_panel::provider::client::ProviderClient::new(
        "bench".into(),
        url::Url::parse(&sim.api_url()).expect("sim URL"),
        sim_key.into(),
        Duration::from_secs(60),
    );
    let provider = {
        use diesel::QueryDsl;
        let mut conn = state.conn().expect("connection");
        let id: i64 = smm_panel::db::schema::providers::table
            .select(smm_panel::db::schema::providers::id)
            .first(&mut **conn)
            .expect("the provider");
        smm_panel::db::providers::find(&mut conn, id)
            .expect("provider row")
            .expect("provider")
    };
    let observed = smm_panel::service::providers::client(state, &provider).expect("the app's client");
    let mut probes = vec![
        time(
            "provider call, 100 ids (HTTP, sim, JSON parse)",
            SYNC_PROBE_CALLS,
            ids.len(),
            Box::new(|_| {
                plain.statuses(&ids).expect("statuses");
            }),
        ),
        time(
            "provider call, 100 ids, with the app's health record",
            SYNC_PROBE_CALLS,
            ids.len(),
            Box::new(|_| {
                observed.statuses(&ids).expect("statuses");
            }),
        ),
        time(
            "batch read: orders_to_check(100)",
            SYNC_PROBE_CALLS,
            100,
            Box::new(|_| {
                let mut conn = state.conn().expect("connection");
                let batch = smm_panel::db::sync::orders_to_check(&mut conn, provider.id, smm_panel::db::now(), 100)
                    .expect("orders to check");
                assert_eq!(batch.len(), 100);
            }),
        ),
    ];
    // The same 100 orders touched over and over (they are checked already).
    let batch_ids: Vec<i64> = {
        use diesel::{ExpressionMethods, QueryDsl};
        let mut conn = state.conn().expect("connection");
        orders::table
            .filter(orders::forward_state.eq("accepted"))
            .order(orders::id.asc())
            .select(orders::id)
            .limit(SYNC_PROBE_ORDERS as i64)
            .load(&mut **conn)
            .expect("order ids")
    };
    probes.push(time(
        "batched touch: touch_checked(100 ids)",
        SYNC_PROBE_CALLS,
        100,
        Box::new(|_| {
            let mut conn = state.conn().expect("connection");
            smm_panel::db::sync::touch_checked(
                &mut conn,
                &batch_ids[..100],
                smm_panel::db::now(),
                smm_panel::db::sync::Checked::Answered,
            )
            .expect("touch");
        }),
    ));
    // Round 1's path for one order: a guarded sync move (with its settlement) in a
    // transaction of its own, on one connection, as `apply_batch` does.
    let change = |c: &mut DbConnection, id: i64| -> Result<Money, smm_panel::error::AppError> {
        let current = smm_panel::db::orders::find(c, id)?.expect("order");
        let patch = smm_panel::db::orders::OrderPatch {
            status: Some("pending"),
            provider_status: Some(Some("Pending".into())),
            start_count: Some(Some(100)),
            remains: Some(Some(100)),
            last_status_check: Some(Some(smm_panel::db::now())),
            ..Default::default()
        };
        let moved = smm_panel::service::order_machine::apply(
            c,
            &current,
            smm_panel::domain::Move::SyncUpdate,
            smm_panel::db::orders::Guard::Version(current.version),
            &patch,
            None,
        )?;
        Ok(moved.expect("nobody else moves the bench's orders"))
    };
    let mut conn = state.conn().expect("connection");
    probes.push(time(
        "per-order change, 1 transaction each (round 1's path)",
        batch_ids.len(),
        1,
        Box::new(|i| {
            smm_panel::db::write_transaction(&mut conn, |c| change(c, batch_ids[i])).expect("change");
        }),
    ));
    // The same statements, a batch of 100 orders per transaction: what batching the
    // changed orders' transactions would give.
    probes.push(time(
        "per-order change, 100 in 1 transaction (batched)",
        batch_ids.len() / 100,
        100,
        Box::new(|b| {
            smm_panel::db::write_transaction(&mut conn, |c| {
                batch_ids[b * 100..(b + 1) * 100]
                    .iter()
                    .try_for_each(|id| change(c, *id).map(drop))
            })
            .expect("change");
        }),
    ));
    probes
}

fn sync_phase(knobs: &Knobs) -> (&'static str, SyncResult) {
    let n = knobs.sync_orders;
    let db = BenchDb::new();
    eprintln!("smm-panel sync bench on {}: {n} accepted orders", db.backend);
    let sim_key = "bench-sync-sim-key";
    let sim = smm_panel::provider::sim::spawn(SimArgs {
        key: sim_key.into(),
        // Every order stays "Pending": round 2 finds nothing changed.
        step_secs: 86_400,
        latency_ms: 0,
        balance: Money::parse("1000000000").expect("amount"),
        ..SimArgs::ephemeral()
    })
    .expect("provider-sim starts");
    let app = spawn_app(&db, knobs, &SYNC_APP_ENV);
    let shop = shop(&app, &sim, sim_key);
    let rss_before = rss_mib();
    let sqlite_heap_before = sqlite_heap_mib();

    eprintln!("  sync setup: {n} adds to provider-sim from {SYNC_ADD_THREADS} threads …");
    let started = Instant::now();
    let sim_ids = sim_adds(&sim, sim_key, n);
    let adds = started.elapsed();
    eprintln!("  sync setup: {n} orders inserted, {SYNC_INSERT_BATCH} per statement …");
    let started = Instant::now();
    insert_accepted(&app, &shop, &sim_ids);
    let inserts = started.elapsed();
    let rss_after_setup = rss_mib();
    let peak_rss_after_setup = peak_rss_mib();
    let sqlite_heap_after_setup = sqlite_heap_mib();

    let rounds: Vec<RoundResult> = (1..=knobs.sync_rounds)
        .map(|k| {
            let what = if k == 1 {
                "every order changes"
            } else {
                "nothing changed"
            };
            timed_round(&app, &sim, format!("round {k}: {what}"))
        })
        .collect();
    let (synced, ledger_rows) = {
        use diesel::{ExpressionMethods, QueryDsl};
        use smm_panel::db::schema::{ledger_entries, orders};
        let mut conn = app.state.conn().expect("connection");
        let synced = orders::table
            .filter(orders::forward_state.eq("accepted"))
            .filter(orders::provider_status.eq("Pending"))
            .filter(orders::start_count.is_not_null())
            .count()
            .get_result(&mut **conn)
            .expect("count synced");
        let ledger_rows = ledger_entries::table
            .filter(ledger_entries::order_id.is_not_null())
            .count()
            .get_result(&mut **conn)
            .expect("count ledger rows");
        (synced, ledger_rows)
    };
    eprintln!("  sync: timing each part of a batch alone …");
    let probes = sync_probes(&app, &sim, sim_key, &sim_ids);
    let backend = db.backend;
    drop(app);
    drop(sim);
    drop(db);
    (
        backend,
        SyncResult {
            orders: n,
            adds,
            inserts,
            rss_before,
            rss_after_setup,
            peak_rss_after_setup,
            sqlite_heap_before,
            sqlite_heap_after_setup,
            rounds,
            synced,
            ledger_rows,
            probes,
        },
    )
}

fn report_sync(backend: &str, background: Option<f64>, r: &SyncResult) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "smm-panel status-sync benchmark — {backend} — {cores} cores — {} accepted orders — \
         PROVIDER_CALL_SPACING_MS=0, SYNC_BATCH_SIZE=100, provider-sim latency 0, statuses stay Pending",
        r.orders
    );
    println!(
        "machine CPU busy in the second before the run (other work): {}",
        pct(background)
    );
    println!(
        "setup (not measured): {} sim adds in {:.1} s ({:.0}/s, {SYNC_ADD_THREADS} threads); \
         {} rows inserted in {:.1} s ({:.0}/s)",
        r.orders,
        r.adds.as_secs_f64(),
        r.orders as f64 / r.adds.as_secs_f64(),
        r.orders,
        r.inserts.as_secs_f64(),
        r.orders as f64 / r.inserts.as_secs_f64(),
    );
    println!();
    println!(
        "| {:<30} | {:>7} | {:>7} | {:>6} | {:>7} | {:>9} | {:>10} | {:>7} | {:>7} | {:>12} | {:>10} |",
        "round",
        "checked",
        "changed",
        "errors",
        "seconds",
        "checked/s",
        "sim calls",
        "machine",
        "process",
        "cpu µs/order",
        "RSS after"
    );
    println!(
        "|{:-<32}|{:->9}|{:->9}|{:->8}|{:->9}|{:->11}|{:->12}|{:->9}|{:->9}|{:->14}|{:->12}|",
        "", "", "", "", "", "", "", "", "", "", ""
    );
    for round in &r.rounds {
        let calls = round
            .sim_calls
            .map_or_else(|| "-".into(), |(multi, single)| format!("{multi} + {single}"));
        let cpu_us = round.cpu.process_secs.filter(|_| round.counts.checked > 0).map_or_else(
            || "-".into(),
            |s| format!("{:.0}", s * 1e6 / round.counts.checked as f64),
        );
        println!(
            "| {:<30} | {:>7} | {:>7} | {:>6} | {:>7.2} | {:>9.0} | {:>10} | {:>7} | {:>7} | {:>12} | {:>10} |",
            round.label,
            round.counts.checked,
            round.counts.changed,
            round.counts.errors,
            round.elapsed.as_secs_f64(),
            round.per_second(),
            calls,
            pct(round.cpu.machine),
            pct(round.cpu.process),
            cpu_us,
            mib(round.rss_after),
        );
    }
    println!();
    println!("sim calls: multi-status + single-status requests provider-sim answered during the round");
    let after_rounds = |f: fn(&RoundResult) -> Option<f64>| {
        r.rounds
            .iter()
            .enumerate()
            .map(|(k, x)| format!(", after round {} {}", k + 1, mib(f(x))))
            .collect::<String>()
    };
    println!(
        "RSS (VmRSS; the process holds the app, provider-sim and the bench): before setup {}, after setup {}{}",
        mib(r.rss_before),
        mib(r.rss_after_setup),
        after_rounds(|x| x.rss_after),
    );
    println!(
        "peak RSS (VmHWM, since the process started): after setup {}{}",
        mib(r.peak_rss_after_setup),
        after_rounds(|x| x.peak_rss_after),
    );
    if backend == "SQLite" {
        println!(
            "of which SQLite's heap (sqlite3_memory_used: page caches of the pool's connections, statements): \
             before setup {}, after setup {}{}",
            mib(Some(r.sqlite_heap_before)),
            mib(Some(r.sqlite_heap_after_setup)),
            after_rounds(|x| Some(x.sqlite_heap_after)),
        );
    }
    println!(
        "after the rounds: {} of {} orders have provider status Pending and a start count; \
         {} ledger rows reference an order",
        r.synced, r.orders, r.ledger_rows
    );
    println!();
    println!("each part of a batch alone (after the rounds, one thread):");
    for p in &r.probes {
        println!(
            "  {:<55} {:>5} × {:>7.3} ms = {:>8.0} orders/s if it were the only cost",
            p.label,
            p.calls,
            p.per_call_ms(),
            p.orders_per_second()
        );
    }
    println!();
    for round in &r.rounds {
        println!(
            "target ≥ 10000 orders checked/s, {}: {:.0}/s — {}",
            round.label,
            round.per_second(),
            met(round.per_second() >= 10_000.0 && round.counts.errors == 0)
        );
    }
}

// Report

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.0} %"))
}

fn met(ok: bool) -> &'static str {
    if ok {
        "MET"
    } else {
        "NOT MET"
    }
}

struct Results {
    intake: Option<LoadResult>,
    /// The same customer's orders through `/api/v2` (`action=add`, issue 11).
    v2: Option<LoadResult>,
    spread: Option<LoadResult>,
    bare: Option<LoadResult>,
    forward: Option<ForwardResult>,
}

fn report(backend: &str, knobs: &Knobs, background: Option<f64>, results: &Results) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let loadgen = match knobs.loadgen {
        LoadGen::Async => "async (1 thread, 1 keep-alive connection per client)",
        LoadGen::Threads => "threads (1 reqwest::blocking client per client)",
    };
    println!();
    println!(
        "smm-panel benchmark — {backend} — {cores} cores — concurrency {} — {} s measured after {} s warm-up",
        knobs.concurrency, knobs.seconds, knobs.warmup
    );
    println!("load generator: {loadgen}");
    println!(
        "machine/process/loadgen: CPU busy as a share of all cores (the whole machine, this process — app, \
         provider-sim and generator —, the generator's thread); cpu ms/req: this process's CPU time per \
         request; KB wr/req: bytes this process wrote per request (SQLite pages and WAL, HTTP both ways)"
    );
    println!(
        "machine CPU busy in the second before the run (other work): {}",
        pct(background)
    );
    println!();
    println!(
        "| {:<38} | {:>8} | {:>6} | {:>6} | {:>6} | {:>6} | {:>7} | {:>7} | {:>7} | {:>10} | {:>9} |",
        "phase",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
        "machine",
        "process",
        "loadgen",
        "cpu ms/req",
        "KB wr/req"
    );
    println!(
        "|{:-<40}|{:->10}|{:->8}|{:->8}|{:->8}|{:->8}|{:->9}|{:->9}|{:->9}|{:->12}|{:->11}|",
        "", "", "", "", "", "", "", "", "", "", ""
    );
    let loads = [&results.intake, &results.v2, &results.spread, &results.bare];
    for r in loads.iter().copied().flatten() {
        let num = |v: Option<f64>, decimals: usize| v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"));
        println!(
            "| {:<38} | {:>8} | {:>6} | {:>6.0} | {:>6.1} | {:>6.1} | {:>7} | {:>7} | {:>7} | {:>10} | {:>9} |",
            r.label,
            r.sample.ok,
            r.sample.errors,
            r.per_second(),
            r.percentile_ms(50.0),
            r.percentile_ms(99.0),
            pct(r.cpu.machine),
            pct(r.cpu.process),
            pct(r.cpu.loadgen),
            num(r.cpu_ms_per_request(), 3),
            num(r.kb_written_per_request(), 1),
        );
    }
    println!();
    for r in loads.iter().copied().flatten() {
        if let Some(e) = &r.sample.first_error {
            println!(
                "first error in {}: {}",
                r.label,
                e.chars().take(300).collect::<String>()
            );
        }
    }
    if let Some(forward) = &results.forward {
        println!(
            "forwarding: {} of {} orders accepted in {:.2} s from the first batch queued = {:.1} orders/s; \
             ideal WORKERS ÷ latency = {} ÷ {:.3} s = {:.1} orders/s → {:.1} % of ideal (machine CPU {})",
            forward.accepted,
            forward.orders,
            forward.elapsed.as_secs_f64(),
            forward.per_second(),
            forward.workers,
            forward.latency_ms as f64 / 1000.0,
            forward.ideal(),
            100.0 * forward.per_second() / forward.ideal(),
            pct(forward.cpu.machine),
        );
        println!(
            "forwarding: end to end (from sending the first batch; all {} queued in {:.2} s): \
             {:.2} s = {:.1} orders/s → {:.1} % of ideal",
            forward.orders,
            forward.enqueue.as_secs_f64(),
            forward.end_to_end.as_secs_f64(),
            forward.end_to_end_per_second(),
            100.0 * forward.end_to_end_per_second() / forward.ideal(),
        );
        if !forward.other_states.is_empty() {
            println!("forwarding: other forward states: {:?}", forward.other_states);
        }
        if let Some(adds) = forward.sim_adds {
            println!("forwarding: provider-sim recorded {adds} adds");
        }
    }
    println!();
    for intake in [&results.intake, &results.spread].into_iter().flatten() {
        println!(
            "target intake ≥ 1000 orders/s, {}: {:.0} orders/s — {}",
            intake.label,
            intake.per_second(),
            met(intake.per_second() >= 1000.0 && intake.sample.errors == 0)
        );
        if let Some(bare) = &results.bare {
            let ratio = 100.0 * intake.per_second() / bare.per_second();
            println!(
                "target intake ≥ 50 % of the bare limit, {}: {:.0} / {:.0} = {ratio:.1} % — {}",
                intake.label,
                intake.per_second(),
                bare.per_second(),
                met(ratio >= 50.0)
            );
        }
    }
    if let Some(forward) = &results.forward {
        let forward_pct = 100.0 * forward.per_second() / forward.ideal();
        println!(
            "target forwarding ≥ 90 % of ideal: {forward_pct:.1} % — {}",
            met(forward_pct >= 90.0 && forward.accepted == forward.orders as i64)
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a test run of the bench target (no flag) skips.
    if !std::env::args().any(|a| a == "--bench") {
        println!("orders bench: run it with `cargo bench --bench orders` (skipped)");
        return;
    }
    let knobs = Knobs::from_env();
    // What else keeps the machine busy (another build, a test run) shows up here.
    let idle = CpuMark::now();
    std::thread::sleep(Duration::from_secs(1));
    let background = idle.since(None).machine;
    smm_panel::provider::client::install_crypto_provider();
    if knobs.phases.iter().any(|p| p != "sync") {
        order_phases(&knobs, background);
    }
    if knobs.runs("sync") {
        let (backend, result) = sync_phase(&knobs);
        report_sync(backend, background, &result);
    }
}

/// The phases of issue 5 (intake, spread, bare, forward) on one database and app.
fn order_phases(knobs: &Knobs, background: Option<f64>) {
    let db = BenchDb::new();
    eprintln!("smm-panel bench on {}: {knobs:?}", db.backend);

    let sim_key = "bench-sim-key";
    let sim = smm_panel::provider::sim::spawn(SimArgs {
        key: sim_key.into(),
        latency_ms: knobs.latency_ms,
        balance: Money::parse("1000000000").expect("amount"),
        ..SimArgs::ephemeral()
    })
    .expect("provider-sim starts");
    let app = spawn_app(&db, knobs, &[]);
    let shop = shop(&app, &sim, sim_key);
    let intake_url = format!("{}/api/user/create-orders", app.base);
    let mut results = Results {
        intake: None,
        v2: None,
        spread: None,
        bare: None,
        forward: None,
    };

    // Intake with the service in manual mode: orders are validated, charged and stored,
    // nothing is forwarded, so the workers compete neither for the CPU nor the database.
    set_mode(&app, &shop, "manual");
    if knobs.runs("intake") {
        let tokens = [shop.customer_token.clone()];
        results.intake = Some(drive(
            "intake, 1 customer (create-orders)",
            &intake_url,
            &tokens,
            shop.service_id,
            "b",
            knobs,
        ));
    }
    if knobs.runs("v2") {
        let client = blocking_client();
        let me = call(
            &client,
            reqwest::Method::GET,
            &format!("{}/api/user/me", app.base),
            Some(&shop.customer_token),
            None,
            200,
        );
        let key = me["apiKey"].as_str().expect("the customer's API key").to_string();
        results.v2 = Some(drive(
            "intake, 1 customer (API v2 add)",
            &format!("{}/api/v2", app.base),
            &[key],
            shop.service_id,
            "v",
            knobs,
        ));
    }
    if knobs.runs("spread") {
        let client = blocking_client();
        let tokens: Vec<String> = (0..knobs.concurrency)
            .map(|i| customer(&app, &client, &format!("bench-customer-{i}@example.com")).1)
            .collect();
        let label = format!("intake, {} customers (create-orders)", tokens.len());
        results.spread = Some(drive(&label, &intake_url, &tokens, shop.service_id, "s", knobs));
    }
    if knobs.runs("bare") {
        let bare = spawn_bare(&db, knobs);
        results.bare = Some(drive(
            "bare limit (actix + 1 insert tx)",
            &bare.url,
            &[],
            shop.service_id,
            "bare",
            knobs,
        ));
    }
    if knobs.runs("forward") {
        set_mode(&app, &shop, "auto");
        results.forward = Some(forwarding(&app, &shop, &sim, knobs));
    }

    report(db.backend, knobs, background, &results);
    drop(app);
    drop(sim);
    drop(db);
}
