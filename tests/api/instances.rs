//! Limits that hold across instances (issue 14): two real `serve` processes on one
//! PostgreSQL database share the rate limit and the sign-in throttle exactly;
//! `X-Forwarded-For` counts only from `TRUSTED_PROXIES`; `/api/v2` is limited per API
//! key. The two-process tests run on PostgreSQL in both runs of the suite (SQLite is
//! one process by construction); the others run on the suite's database, so SQLite's
//! in-memory counters are checked too.

use std::net::IpAddr;
use std::process::Child;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::blocking::{Client, Response};
use serde_json::{json, Value};
use smm_panel::domain::Role;
use smm_panel::service::throttle::{LoginThrottle, ACCOUNT_ATTEMPTS, ADDRESS_ATTEMPTS};
use tempfile::TempDir;

use crate::helpers::*;

fn postgres_server() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A `serve` process, stopped with the test (a failing one too).
struct Instance {
    child: Child,
    port: u16,
}

impl Instance {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two `serve` processes on one fresh PostgreSQL database. Fields drop in order: the
/// processes stop before their database is dropped.
struct Pair {
    a: Instance,
    b: Instance,
    _db: TestDb,
    _dir: TempDir,
}

impl Pair {
    /// The `i`-th instance of an alternation.
    fn nth(&self, i: usize) -> &Instance {
        if i % 2 == 0 {
            &self.a
        } else {
            &self.b
        }
    }
}

fn two_instances(overrides: &[(&str, &str)]) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::postgres(&postgres_server());
    let env = test_env(&dir, &db, overrides);
    // One after the other: the first migrates the fresh database.
    let (port_a, port_b) = (free_port(), free_port());
    let a = Instance {
        child: serve(&env, port_a, &[("WORKERS", "1")]),
        port: port_a,
    };
    let b = Instance {
        child: serve(&env, port_b, &[("WORKERS", "1")]),
        port: port_b,
    };
    Pair {
        a,
        b,
        _db: db,
        _dir: dir,
    }
}

/// A client whose requests come from `127.0.0.<n>` (every loopback address reaches the
/// server): each gets its own address bucket.
fn client_from(n: u8) -> Client {
    smm_panel::provider::client::install_crypto_provider();
    Client::builder()
        .local_address(IpAddr::from([127, 0, 0, n]))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Runs `run` (given the attempt's number, to pick fresh buckets) until one run starts
/// and ends inside one minute with a second to spare on each side (the windows are
/// minutes of the database's clock, which may be a little off this one); its result.
/// A run is only started with at least ten seconds of the minute left, so the minute
/// turns during one only when the machine stalls; such a run proves nothing and is
/// repeated.
fn within_one_minute<T>(mut run: impl FnMut(u8) -> T) -> T {
    for attempt in 0..4 {
        wait_for_room_in_the_minute(10.0);
        let start = now_secs().saturating_sub(1) / 60;
        let result = run(attempt);
        if (now_secs() + 1) / 60 == start {
            return result;
        }
    }
    panic!("the minute turned during each of four runs");
}

/// The status, the `Retry-After` seconds, and the seconds left in the minute when the
/// request was sent and when it was answered (the `Retry-After` lies between them).
struct Outcome {
    status: u16,
    retry_after: Option<u64>,
    left: (u64, u64),
}

fn send(request: reqwest::blocking::RequestBuilder) -> (Outcome, Response) {
    let before = 60 - now_secs() % 60;
    let response = request.send().unwrap();
    let after = 60 - now_secs() % 60;
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    (
        Outcome {
            status: response.status().as_u16(),
            retry_after,
            left: (after, before),
        },
        response,
    )
}

fn assert_refused_until_the_minute_ends(outcome: &Outcome) {
    assert_eq!(outcome.status, 429);
    let retry = outcome.retry_after.expect("Retry-After on a 429");
    let (low, high) = outcome.left;
    // One second either way for the database clock's offset from this one.
    assert!(
        (low.saturating_sub(1)..=high + 1).contains(&retry),
        "Retry-After {retry} s, the minute had {low}–{high} s left"
    );
}

#[test]
fn two_instances_let_through_exactly_the_limit_of_one() {
    let pair = two_instances(&[("RATE_LIMIT_PER_MIN", "30")]);
    let outcomes = within_one_minute(|attempt| {
        let client = client_from(10 + attempt);
        (0..40)
            .map(|i| send(client.get(pair.nth(i).url("/login"))).0)
            .collect::<Vec<_>>()
    });
    let passed: Vec<usize> = (0..40).filter(|i| outcomes[*i].status == 200).collect();
    assert_eq!(passed.len(), 30, "the limit across both, not per instance");
    assert_eq!(passed, (0..30).collect::<Vec<_>>(), "the first 30, then none");
    for outcome in &outcomes[30..] {
        assert_refused_until_the_minute_ends(outcome);
    }
    // Each instance served its half of the 30 and refused its half of the rest.
    assert_eq!(passed.iter().filter(|i| *i % 2 == 0).count(), 15);
}

/// Many requests at once (each instance counts them in batches, one upsert per batch):
/// still exactly the limit passes across both.
#[test]
fn a_burst_at_both_instances_at_once_passes_exactly_the_limit() {
    let pair = two_instances(&[("RATE_LIMIT_PER_MIN", "50")]);
    let statuses = within_one_minute(|attempt| {
        let client = client_from(40 + attempt);
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..16)
                .map(|t| {
                    let (client, pair) = (&client, &pair);
                    scope.spawn(move || {
                        (0..5)
                            .map(|i| send(client.get(pair.nth(t + i).url("/login"))).0.status)
                            .collect::<Vec<u16>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect::<Vec<u16>>()
        })
    });
    assert_eq!(statuses.len(), 80);
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 50, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 30, "{statuses:?}");
}

#[test]
fn the_sign_in_throttle_counts_guesses_made_at_either_instance() {
    let pair = two_instances(&[]);
    let client = client_from(1);
    for (email, password) in [("one@example.com", "right-pass-1"), ("two@example.com", "right-pass-2")] {
        let response = client
            .post(pair.a.url("/api/auth/register"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let guess = |instance: &Instance, email: &str, password: &str| {
        send(
            client
                .post(instance.url("/api/auth/token"))
                .json(&json!({"email": email, "password": password})),
        )
        .0
    };

    // Alternated: three guesses at one, two at the other; five in all lock the account.
    for i in 0..ACCOUNT_ATTEMPTS as usize {
        assert_eq!(
            guess(pair.nth(i), "one@example.com", "wrong-pass").status,
            401,
            "guess {i}"
        );
    }
    for instance in [&pair.a, &pair.b] {
        let refused = guess(instance, "one@example.com", "right-pass-1");
        assert_eq!(refused.status, 429, "locked at both, even for the right password");
        let wait = refused.retry_after.unwrap();
        assert!((55..=60).contains(&wait), "the first lockout is a minute: {wait}");
    }

    // Twenty guesses at once, ten at each instance: at most five are judged.
    let barrier = std::sync::Barrier::new(20);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let (barrier, instance, guess) = (&barrier, pair.nth(i), &guess);
                s.spawn(move || {
                    barrier.wait();
                    guess(instance, "two@example.com", &format!("wrong-{i}")).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let judged = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(judged, ACCOUNT_ATTEMPTS as usize, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        20 - judged,
        "{statuses:?}"
    );
    assert_eq!(guess(&pair.b, "two@example.com", "right-pass-2").status, 429);
}

/// The throttle's rules on the shared counters, as two processes would see them (two
/// pools on one database): the cases of its in-memory unit tests, alternated.
#[test]
fn the_sign_in_rules_hold_on_the_shared_counters() {
    let db = TestDb::postgres(&postgres_server());
    let url = smm_panel::config::DatabaseUrl::parse(&db.url).unwrap();
    let pool = |size| {
        let pool = smm_panel::db::connect(&url, size).unwrap();
        smm_panel::db::migrate(&pool).unwrap();
        pool
    };
    let (one, two) = (LoginThrottle::shared(pool(2)), LoginThrottle::shared(pool(2)));
    let either = |i: u32| if i % 2 == 0 { &one } else { &two };

    for i in 0..ACCOUNT_ATTEMPTS {
        either(i).begin(&format!("10.0.0.{i}"), "a@x.com").unwrap();
    }
    let locked = two.begin("10.9.9.9", " A@X.com ").unwrap_err();
    assert!(
        matches!(locked, smm_panel::error::AppError::RateLimited { retry_after_secs: 60 }),
        "{locked:?}"
    );
    assert_eq!(one.retry_after("10.9.9.9", "a@x.com").unwrap(), Some(60));
    one.begin("10.9.9.9", "b@x.com").expect("another account is not locked");

    // An address, across accounts; signing in to one's own gives back only itself.
    for i in 0..ADDRESS_ATTEMPTS - 2 {
        either(i).begin("10.0.1.1", &format!("victim{i}@x.com")).unwrap();
        either(i + 1).begin("10.0.1.1", "me@x.com").unwrap();
        either(i).success("10.0.1.1", "me@x.com").unwrap();
    }
    one.begin("10.0.1.1", "victim-19@x.com").unwrap();
    two.begin("10.0.1.1", "victim-20@x.com").unwrap();
    assert!(
        one.begin("10.0.1.1", "fresh@x.com").is_err(),
        "20 guesses lock the address"
    );
    assert!(two.begin("10.0.1.2", "fresh@x.com").is_ok());

    // A success clears the account's count, seen by the other process.
    for i in 0..ACCOUNT_ATTEMPTS - 1 {
        either(i).begin("10.0.2.1", "c@x.com").unwrap();
    }
    one.success("10.0.2.1", "c@x.com").unwrap();
    for i in 0..ACCOUNT_ATTEMPTS - 1 {
        either(i).begin("10.0.2.1", "c@x.com").unwrap();
    }
    assert_eq!(two.retry_after("10.0.2.1", "c@x.com").unwrap(), None);
}

#[test]
fn spent_counters_are_pruned_and_live_ones_kept() {
    use smm_panel::db::limits::{self, ThrottleRow};
    let db = TestDb::postgres(&postgres_server());
    let pool = smm_panel::db::connect(&smm_panel::config::DatabaseUrl::parse(&db.url).unwrap(), 1).unwrap();
    smm_panel::db::migrate(&pool).unwrap();
    let conn = &mut **pool.get().unwrap();
    let now_ms: i64 = 1_800_000_000_000;
    let (hour, day) = (3_600_000, 24 * 3_600_000);
    limits::count_hits(
        conn,
        &[
            ("ip:old", (now_ms - hour) / 1000 - 60, 1),
            ("ip:recent", (now_ms - hour) / 1000 + 60, 1),
        ],
    )
    .unwrap();
    for (bucket, idle_ms, locked_until_ms) in [
        ("account:idle", day + 1, None),
        ("account:idle-but-locked", day + 1, Some(now_ms + hour)),
        ("account:recent", day - 1, None),
    ] {
        limits::lock_throttle_rows(conn, &[bucket], now_ms).unwrap();
        let row = ThrottleRow {
            bucket: bucket.into(),
            attempts: 1,
            window_start_ms: now_ms - idle_ms,
            locked_until_ms,
            lockouts: 1,
        };
        limits::save_throttle_row(conn, &row).unwrap();
    }
    assert_eq!(limits::prune(conn, now_ms).unwrap(), 2);
    use diesel::prelude::*;
    use smm_panel::db::schema::{limit_windows, login_throttle};
    let windows: Vec<String> = limit_windows::table.select(limit_windows::bucket).load(conn).unwrap();
    assert_eq!(windows, ["ip:recent"]);
    let mut counters: Vec<String> = login_throttle::table.select(login_throttle::bucket).load(conn).unwrap();
    counters.sort();
    assert_eq!(counters, ["account:idle-but-locked", "account:recent"]);
}

/// Statuses of `count` anonymous GETs of `/login` from `127.0.0.<source>` with
/// `X-Forwarded-For: forwarded`.
fn pages_forwarded_for(app: &TestApp, source: u8, forwarded: &str, count: usize) -> Vec<u16> {
    let client = client_from(source);
    (0..count)
        .map(|_| {
            client
                .get(app.url("/login"))
                .header("X-Forwarded-For", forwarded)
                .send()
                .unwrap()
                .status()
                .as_u16()
        })
        .collect()
}

/// The buckets counted in the database (the shared counters), e.g. `ip:…`.
fn counted_buckets(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use smm_panel::db::schema::limit_windows;
    limit_windows::table
        .select(limit_windows::bucket)
        .load::<String>(&mut **app.state.conn().unwrap())
        .unwrap()
}

#[test]
fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let limited = [("RATE_LIMIT_PER_MIN", "3"), ("TRUSTED_PROXIES", "127.0.0.1")];
    let behind = spawn_app_with(&limited);
    let statuses = within_one_minute(|n| {
        let (one, two) = (format!("203.0.113.{}", 2 * n + 1), format!("203.0.113.{}", 2 * n + 2));
        // A chain: what the client wrote, then what the proxy appended.
        let two_via_chain = format!("198.51.100.1, {two}");
        (
            pages_forwarded_for(&behind, 1, &one, 4),
            pages_forwarded_for(&behind, 1, &two_via_chain, 1),
        )
    });
    assert_eq!(
        statuses,
        (vec![200, 200, 200, 429], vec![200]),
        "a limit for each client"
    );

    let direct = spawn_app_with(&limited[..1]);
    let statuses = within_one_minute(|n| {
        let (one, two) = (format!("203.0.113.{}", 2 * n + 1), format!("203.0.113.{}", 2 * n + 2));
        (
            pages_forwarded_for(&direct, 30 + n, &one, 3),
            pages_forwarded_for(&direct, 30 + n, &two, 1),
        )
    });
    assert_eq!(
        statuses,
        (vec![200, 200, 200], vec![429]),
        "without a trusted proxy the header is ignored: one limit for the peer"
    );

    // PostgreSQL counts in the database; SQLite (one process) in memory.
    let buckets = counted_buckets(&behind);
    if behind.db.is_postgres() {
        assert!(buckets.iter().any(|b| b.starts_with("ip:203.0.113.")), "{buckets:?}");
    } else {
        assert!(buckets.is_empty(), "{buckets:?}");
    }
    assert!(counted_buckets(&direct).iter().all(|b| b.starts_with("ip:127.0.0.")));
}

/// An `/api/v2` call from the test's address; the status and the JSON body.
fn v2(app: &TestApp, key: &str) -> (Outcome, Value) {
    let (outcome, response) = send(
        client_from(1)
            .post(app.url("/api/v2"))
            .form(&[("key", key), ("action", "balance")]),
    );
    (outcome, response.json().unwrap())
}

#[test]
fn api_v2_is_limited_per_key_and_invented_keys_count_against_the_address() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MIN", "3")]);
    let key_of = |email: &str| {
        let id = app.create_user(email, "correct-horse", Role::User);
        smm_panel::service::accounts::api_key(&app.state, &mut app.state.conn().unwrap(), id).unwrap()
    };
    let (first, second) = within_one_minute(|n| {
        let (a, b) = (
            key_of(&format!("a{n}@example.com")),
            key_of(&format!("b{n}@example.com")),
        );
        let a_calls: Vec<(Outcome, Value)> = (0..4).map(|_| v2(&app, &a)).collect();
        let b_call = v2(&app, &b);
        (a_calls, b_call)
    });
    for (outcome, body) in &first[..3] {
        assert_eq!(outcome.status, 200);
        assert_eq!(body["currency"], "BDT", "{body}");
    }
    let (refused, body) = &first[3];
    assert_refused_until_the_minute_ends(refused);
    assert_eq!(body.as_object().unwrap().len(), 1, "only the error: {body}");
    assert!(
        body["error"].as_str().unwrap().starts_with("Too many requests"),
        "{body}"
    );
    assert_eq!(second.0.status, 200, "another key has its own limit: {}", second.1);

    // A key's calls do not use up its address's limit; invented keys do.
    let statuses = within_one_minute(|n| {
        let client = client_from(20 + n);
        let page = client.get(app.url("/login")).send().unwrap().status().as_u16();
        let invented: Vec<(u16, Value)> = (0..3)
            .map(|i| {
                let response = client
                    .post(app.url("/api/v2"))
                    .form(&[("key", format!("invented-{n}-{i}").as_str()), ("action", "balance")])
                    .send()
                    .unwrap();
                (response.status().as_u16(), response.json().unwrap())
            })
            .collect();
        (page, invented)
    });
    assert_eq!(statuses.0, 200);
    let invented = &statuses.1;
    assert_eq!(
        (invented[0].0, invented[1].0, invented[2].0),
        (200, 200, 429),
        "{invented:?}"
    );
    assert_eq!(invented[0].1["error"], "Invalid API key");
}
