//! `/healthz`, and a database outage answered with 503 rather than a crash.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use smm_panel::domain::Role;

use crate::helpers::*;

#[test]
fn healthz_is_ok_while_the_database_answers() {
    let app = spawn_app();
    let body = json(app.api().get("/healthz", None), 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}

#[test]
fn readyz_says_ready_once_migrated_and_not_when_the_database_is_gone() {
    let app = spawn_app();
    let body = json(app.api().get("/readyz", None), 200);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["migrations"], "current");
    // As if this build were newer than the schema: its last migration not applied.
    {
        use diesel::connection::SimpleConnection;
        let mut conn = app.state.conn().unwrap();
        conn.batch_execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT MAX(version) FROM __diesel_schema_migrations)",
        )
        .unwrap();
    }
    let body = json(app.api().get("/readyz", None), 503);
    assert_eq!(body["migrations"], "pending", "{body}");

    let (app, proxy, db) = behind_a_proxy(&[]);
    assert_eq!(app.api().get("/readyz", None).status(), 200);
    proxy.cut();
    let body = json(app.api().get("/readyz", None), 503);
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["database"], "unreachable");
    drop(app);
    drop(db);
}

#[test]
fn every_answer_carries_a_request_id_and_a_plausible_callers_id_is_kept() {
    let app = spawn_app();
    smm_panel::provider::client::install_crypto_provider();
    let client = reqwest::blocking::Client::new();
    let id_of =
        |response: &reqwest::blocking::Response| response.headers()["x-request-id"].to_str().unwrap().to_string();
    let first = client.get(app.url("/login")).send().unwrap();
    let second = client.get(app.url("/login")).send().unwrap();
    let (a, b) = (id_of(&first), id_of(&second));
    assert_eq!(a.len(), 16, "{a}");
    assert_ne!(a, b, "each request its own id");
    // A proxy's id is kept, on errors too; one that could forge log lines is replaced.
    let kept = client
        .get(app.url("/api/user/me"))
        .header("X-Request-Id", "edge-7f3a.1")
        .send()
        .unwrap();
    assert_eq!(kept.status(), 401);
    assert_eq!(id_of(&kept), "edge-7f3a.1");
    let replaced = client
        .get(app.url("/login"))
        .header("X-Request-Id", "evil id\" injected")
        .send()
        .unwrap();
    assert_ne!(id_of(&replaced), "evil id\" injected");
    assert_eq!(id_of(&replaced).len(), 16);
}

/// A TCP proxy to PostgreSQL that a test can cut, like a network outage.
struct CuttableProxy {
    port: u16,
    up: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl CuttableProxy {
    fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let (up2, streams2) = (up.clone(), streams.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                streams2
                    .lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Self { port, up, streams }
    }

    /// Lets new connections through again (the cut ones stay dead).
    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// An app on a fresh PostgreSQL database reached through a `CuttableProxy` (the
/// database is returned to be dropped after the app).
fn behind_a_proxy(overrides: &[(&str, &str)]) -> (TestApp, CuttableProxy, TestDb) {
    let server = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = TestDb::postgres(&server);
    let real = url::Url::parse(&db.url).unwrap();
    let proxy = CuttableProxy::start(format!("{}:{}", real.host_str().unwrap(), real.port().unwrap_or(5432)));
    let mut proxied = real.clone();
    proxied.set_host(Some("127.0.0.1")).unwrap();
    proxied.set_port(Some(proxy.port)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let proxied_db = TestDb::unmanaged(proxied.to_string());
    let env = test_env(&dir, &proxied_db, overrides);
    (spawn_with_env(env, proxied_db, dir), proxy, db)
}

/// An embedded SQLite file cannot become unreachable, so the outage is staged on
/// PostgreSQL behind a proxy in both runs of the suite.
#[test]
fn a_database_outage_gives_503_not_a_crash() {
    let (app, proxy, db) = behind_a_proxy(&[]);
    let (_, token) = app.user_with_token("up@example.com", Role::User);
    assert_eq!(app.api().get("/healthz", None).status(), 200);

    proxy.cut();
    let api = app.api();
    let body = json(api.get("/healthz", None), 503);
    assert_eq!(body["database"], "unreachable");
    assert_eq!(
        error_code(api.get("/api/user/me", Some(&token)), 503),
        "service_unavailable"
    );
    let page = app.browser().get("/login");
    assert_eq!(page.status(), 200, "pages that need no database still render");
    drop(app);
    drop(db);
}

/// The shared rate limit fails open: while the database cannot count, requests go
/// through uncounted (those that need the database answer 503 on their own), with no
/// added wait.
#[test]
fn the_shared_rate_limit_lets_requests_through_while_the_database_is_unreachable() {
    let (app, proxy, db) = behind_a_proxy(&[("RATE_LIMIT_PER_MIN", "2")]);
    // The window must not turn between the counted requests and the uncounted ones.
    wait_for_room_in_the_minute(15.0);
    let api = app.api();
    let statuses: Vec<u16> = (0..3).map(|_| api.get("/login", None).status().as_u16()).collect();
    assert_eq!(statuses, [200, 200, 429], "counted in the database");

    proxy.cut();
    let started = std::time::Instant::now();
    for _ in 0..5 {
        assert_eq!(api.get("/login", None).status(), 200);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "an outage adds at most one short wait: {:?}",
        started.elapsed()
    );
    drop(app);
    drop(db);
}

/// After the database's connections die (a restart, a network cut), each dead pooled
/// connection fails at most the one request that finds it and is then dropped by its
/// error, even under back-to-back load where none sits idle long enough to be tested.
#[test]
fn dead_pooled_connections_are_dropped_by_their_errors() {
    let (app, proxy, db) = behind_a_proxy(&[("WORKERS", "1")]);
    app.stop_workers();
    let (_, token) = app.user_with_token("alive@example.com", Role::User);
    let api = app.api();
    for _ in 0..20 {
        assert_eq!(api.get("/api/user/me", Some(&token)).status(), 200);
    }

    proxy.cut();
    proxy.restore();
    let (mut failures, mut run) = (0, 0);
    for _ in 0..200 {
        match api.get("/api/user/me", Some(&token)).status().as_u16() {
            200 => run += 1,
            503 => {
                failures += 1;
                run = 0;
            }
            other => panic!("unexpected {other}"),
        }
        if run == 30 {
            break;
        }
    }
    assert_eq!(
        run, 30,
        "the app recovers: {failures} failed requests, then 30 in a row answered"
    );
    // The pool holds at most WORKERS + 12 connections: each dead one fails once.
    assert!(failures <= 13, "{failures} requests failed on dead connections");
    drop(app);
    drop(db);
}
