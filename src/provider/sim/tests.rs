//! The client against the simulator, over real HTTP on loopback ports.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::Value;
use url::Url;

use super::{spawn, SimArgs, SimHandle};
use crate::domain::money::{Money, Rate};
use crate::provider::client::{CallError, CallRecord, NewProviderOrder, ProviderClient, ProviderErrorKind};
use crate::provider::reply::ProviderStatus;

fn start(args: SimArgs) -> SimHandle {
    spawn(SimArgs {
        bind: "127.0.0.1:0".into(),
        ..args
    })
    .expect("provider-sim starts")
}

fn client_for(sim: &SimHandle, key: &str, timeout: Duration) -> ProviderClient {
    let url = Url::parse(&sim.api_url()).expect("sim url parses");
    ProviderClient::new("sim".into(), url, key.into(), timeout)
}

fn client(sim: &SimHandle) -> ProviderClient {
    client_for(sim, "sim-key", Duration::from_secs(10))
}

/// A plain HTTP client for the `/sim/*` endpoints.
fn raw_http() -> reqwest::blocking::Client {
    crate::provider::client::install_crypto_provider();
    reqwest::blocking::Client::new()
}

fn sim_get(sim: &SimHandle, path: &str) -> Value {
    let body = raw_http()
        .get(format!("{}{path}", sim.base_url()))
        .send()
        .and_then(|r| r.text())
        .expect("sim endpoint answers");
    serde_json::from_str(&body).expect("sim endpoint returns JSON")
}

fn sim_orders(sim: &SimHandle) -> Vec<Value> {
    match sim_get(sim, "/sim/orders") {
        Value::Array(orders) => orders,
        other => panic!("/sim/orders returned {other}"),
    }
}

/// Polls `check` until it returns `Some`, failing after `limit`.
fn wait_until<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn order(service: &str, link: &str, quantity: i64) -> NewProviderOrder {
    NewProviderOrder {
        service: service.into(),
        link: link.into(),
        quantity,
        runs: None,
        interval: None,
        comments: None,
    }
}

#[test]
fn every_action_and_its_reply() {
    let sim = start(SimArgs::default());
    let client = client(&sim);

    let services = client.services().expect("services");
    assert_eq!(services.len(), 8);
    let first = services.iter().find(|s| s.service == "1").expect("service 1 exists");
    assert_eq!(first.rate, Rate::parse("0.90").expect("rate"));
    assert_eq!(
        (first.min, first.max, first.refill, first.cancel),
        (50, 10_000, true, true)
    );
    assert!(services.iter().any(|s| s.dripfeed));
    let categories: std::collections::HashSet<_> = services.iter().map(|s| s.category.as_str()).collect();
    assert!(categories.len() >= 3, "{categories:?}");

    let id = client.add(&order("1", "https://instagram.com/a", 1000)).expect("add");
    assert_eq!(id, "10001");
    let second = client.add(&order("2", "https://instagram.com/b", 1000)).expect("add");
    assert_eq!(second, "10002");

    let status = client.status(&id).expect("status");
    assert_eq!(status.status, ProviderStatus::Pending);
    assert_eq!(status.raw_status, "Pending");
    assert_eq!(status.charge, Some(Money::parse("0.9").expect("money")));
    assert_eq!(status.remains, Some(1000));
    assert!(status.start_count.is_some_and(|n| n >= 100));
    assert_eq!(status.currency.as_deref(), Some("USD"));

    let ids = vec![id.clone(), second.clone(), "4242".to_owned()];
    let statuses = client.statuses(&ids).expect("multi status");
    assert_eq!(statuses.len(), 3);
    assert!(statuses[&id]
        .as_ref()
        .is_ok_and(|s| s.status == ProviderStatus::Pending));
    assert!(statuses[&second].is_ok());
    assert_eq!(statuses["4242"], Err("Incorrect order ID".to_owned()));

    match client.status("4242") {
        Err(CallError::Provider { message, kind }) => {
            assert_eq!(
                (message.as_str(), kind),
                ("Incorrect order ID", ProviderErrorKind::Other)
            );
        }
        other => panic!("unknown order: {other:?}"),
    }
    // not completed yet: refill refused
    assert!(matches!(client.refill(&id), Err(CallError::Provider { .. })));

    let cancelled = client.cancel(&[id.clone(), second.clone()]).expect("cancel");
    assert_eq!(cancelled[0], (id.clone(), Ok(())));
    assert_eq!(cancelled[1].0, second);
    assert!(cancelled[1].1.is_err(), "service 2 has no cancel");
    assert_eq!(client.status(&id).expect("status").status, ProviderStatus::Canceled);

    let balance = client.balance().expect("balance");
    assert_eq!(balance.currency, "USD");
    // 1000 - 0.90 (refunded by the cancel) - 0.45
    assert_eq!(balance.balance, Money::parse("999.55").expect("money"));

    let stats = sim_get(&sim, "/sim/stats");
    assert_eq!(stats["adds"], 2);
    assert_eq!(stats["multi_status_calls"], 1);
    assert_eq!(stats["status_calls"], 3);
    assert_eq!(stats["cancel_calls"], 1);
    assert_eq!(stats["refill_calls"], 1);
    assert_eq!(stats["requests"], 10);
    let reset = raw_http()
        .post(format!("{}/sim/reset-stats", sim.base_url()))
        .send()
        .expect("reset-stats answers");
    assert!(reset.status().is_success());
    assert_eq!(sim_get(&sim, "/sim/stats")["requests"], 0);

    let orders = sim_orders(&sim);
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["order"], 10001);
    assert_eq!(orders[0]["service"], "1");
    assert_eq!(orders[0]["link"], "https://instagram.com/a");
    assert_eq!(orders[0]["quantity"], 1000);
    assert_eq!(orders[0]["status"], "Canceled");
    assert_eq!(orders[1]["status"], "Pending");
}

#[test]
fn orders_progress_refill_and_end_per_link() {
    let sim = start(SimArgs {
        step_secs: 1,
        ..SimArgs::default()
    });
    let client = client(&sim);
    let plain = client
        .add(&order("1", "https://instagram.com/plain", 100))
        .expect("add");
    let partial = client
        .add(&order("7", "https://fb.com/partial-page", 200))
        .expect("add");
    let cancel = client
        .add(&order("1", "https://instagram.com/will-cancel", 300))
        .expect("add");
    let ids = vec![plain.clone(), partial.clone(), cancel.clone()];

    let mut seen_in_progress = false;
    let finals = wait_until(Duration::from_secs(10), "all orders terminal", || {
        let statuses = client.statuses(&ids).expect("multi status");
        let replies: Vec<_> = ids
            .iter()
            .map(|id| statuses[id].clone().expect("known order"))
            .collect();
        seen_in_progress |= replies.iter().any(|r| r.status == ProviderStatus::InProgress);
        replies.iter().all(|r| r.status.is_terminal()).then_some(replies)
    });
    assert!(seen_in_progress, "passes through In progress");
    assert_eq!(
        (finals[0].status.clone(), finals[0].remains),
        (ProviderStatus::Completed, Some(0))
    );
    assert_eq!(
        (finals[1].status.clone(), finals[1].remains),
        (ProviderStatus::Partial, Some(100))
    );
    assert_eq!(
        (finals[2].status.clone(), finals[2].remains),
        (ProviderStatus::Canceled, Some(300))
    );

    let refill = client.refill(&plain).expect("refill a completed order");
    assert_eq!(refill, "1");
    assert_eq!(client.refill_status(&refill).expect("refill status"), "Pending");
    wait_until(Duration::from_secs(5), "refill completes", || {
        (client.refill_status(&refill).expect("refill status") == "Completed").then_some(())
    });
    assert!(matches!(client.refill_status("99"), Err(CallError::Provider { .. })));
    // a terminal order can no longer be canceled
    let outcome = client.cancel(std::slice::from_ref(&plain)).expect("cancel call");
    assert!(outcome[0].1.is_err());
}

#[test]
fn wrong_key_is_an_authentication_error() {
    let sim = start(SimArgs::default());
    let client = client_for(&sim, "not-the-key-0123456789", Duration::from_secs(10));
    let error = client.balance().expect_err("wrong key refused");
    assert_eq!(
        error,
        CallError::Provider {
            message: "Invalid API key".into(),
            kind: ProviderErrorKind::Authentication
        }
    );
    assert_eq!(error.class(), "auth_error");
    assert!(!format!("{error:?} {error} {client:?}").contains("not-the-key-0123456789"));
    assert!(sim_orders(&sim).is_empty());
}

#[test]
fn refused_orders_are_provider_errors() {
    let sim = start(SimArgs::default());
    let client = client(&sim);
    let refused = |o: NewProviderOrder| match client.add(&o) {
        Err(CallError::Provider {
            message,
            kind: ProviderErrorKind::Other,
        }) => message,
        other => panic!("expected a provider error, got {other:?}"),
    };
    assert_eq!(refused(order("99", "https://x.y/z", 100)), "Incorrect service ID");
    assert_eq!(
        refused(order("1", "https://x.y/z", 10)),
        "Quantity less than minimal 50"
    );
    assert_eq!(
        refused(order("1", "https://x.y/z", 20_000)),
        "Quantity more than maximal 10000"
    );
    assert_eq!(refused(order("1", "", 100)), "Incorrect link");
    assert!(sim_orders(&sim).is_empty());

    // drip-feed and custom comments go through
    let drip = NewProviderOrder {
        runs: Some(3),
        interval: Some(10),
        ..order("4", "https://x.y/p", 100)
    };
    assert!(client.add(&drip).is_ok());
    let comments = NewProviderOrder {
        comments: Some("one\ntwo\nthree\nfour\nfive".into()),
        ..order("8", "https://x.y/p", 5)
    };
    assert!(client.add(&comments).is_ok());
    let orders = sim_orders(&sim);
    assert_eq!(
        (orders[0]["quantity"].clone(), orders[1]["quantity"].clone()),
        (300.into(), 5.into())
    );
}

/// Runs one `add` against a sim whose every request gets `fault`, returning the
/// client's error and how many orders the sim recorded.
fn add_with_fault(args: SimArgs, timeout: Duration) -> (CallError, usize) {
    let sim = start(args);
    let client = client_for(&sim, "sim-key", timeout);
    let error = client
        .add(&order("1", "https://instagram.com/x", 100))
        .expect_err("faulted add fails");
    (error, sim_orders(&sim).len())
}

#[test]
fn timeout_is_after_send_and_the_order_exists() {
    let started = Instant::now();
    let (error, recorded) = add_with_fault(
        SimArgs {
            timeout_rate: 1.0,
            ..SimArgs::default()
        },
        Duration::from_secs(1),
    );
    assert!(matches!(error, CallError::AfterSend(_)), "{error:?}");
    assert!(error.is_ambiguous());
    assert_eq!(recorded, 1, "the provider accepted the order it never answered");
    // the sim stopped despite the request it is still "processing"
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn html_garbage_and_reset_are_after_send_and_the_order_exists() {
    for args in [
        SimArgs {
            html_rate: 1.0,
            ..SimArgs::default()
        },
        SimArgs {
            garbage_rate: 1.0,
            ..SimArgs::default()
        },
        SimArgs {
            reset_rate: 1.0,
            ..SimArgs::default()
        },
    ] {
        let (error, recorded) = add_with_fault(args.clone(), Duration::from_secs(10));
        assert!(matches!(error, CallError::AfterSend(_)), "{args:?}: {error:?}");
        assert_eq!(error.class(), "after_send");
        assert_eq!(recorded, 1, "{args:?}");
    }
}

#[test]
fn html_error_message_names_the_page() {
    let sim = start(SimArgs {
        html_rate: 1.0,
        ..SimArgs::default()
    });
    let error = client(&sim).balance().expect_err("html fault");
    let message = error.to_string();
    assert!(message.contains("502") && message.contains("HTML"), "{message}");
}

#[test]
fn error_fault_is_a_provider_error_and_creates_nothing() {
    let (error, recorded) = add_with_fault(
        SimArgs {
            error_rate: 1.0,
            ..SimArgs::default()
        },
        Duration::from_secs(10),
    );
    assert_eq!(error, CallError::provider("Incorrect request"));
    assert_eq!(error.class(), "provider_error");
    assert_eq!(recorded, 0);
}

#[test]
fn closed_port_is_before_send() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("local addr").port()
    };
    let url = Url::parse(&format!("http://127.0.0.1:{port}/api/v2")).expect("url");
    let client = ProviderClient::new("gone".into(), url, "sim-key".into(), Duration::from_secs(5));
    let error = client
        .add(&order("1", "https://x.y/z", 100))
        .expect_err("nobody listens");
    assert!(matches!(error, CallError::BeforeSend(_)), "{error:?}");
    assert!(!error.is_ambiguous());
}

#[test]
fn tls_handshake_failure_is_before_send() {
    // https against the plain-HTTP simulator: the handshake fails, nothing is processed.
    let sim = start(SimArgs::default());
    let url = Url::parse(&format!("https://{}/api/v2", sim.addr)).expect("url");
    let client = ProviderClient::new("tls".into(), url, "sim-key".into(), Duration::from_secs(5));
    let error = client.add(&order("1", "https://x.y/z", 100)).expect_err("no TLS there");
    assert!(matches!(error, CallError::BeforeSend(_)), "{error:?}");
    assert!(sim_orders(&sim).is_empty());
}

#[test]
fn unresolvable_host_is_before_send() {
    let url = Url::parse("http://provider.invalid/api/v2").expect("url");
    let client = ProviderClient::new("nx".into(), url, "sim-key".into(), Duration::from_secs(5));
    let error = client.balance().expect_err("no such host");
    assert!(matches!(error, CallError::BeforeSend(_)), "{error:?}");
}

#[test]
fn stopped_sim_refuses_connections() {
    let mut sim = start(SimArgs::default());
    let client = client(&sim);
    assert!(client.balance().is_ok());
    sim.stop();
    // The first client may still hold a pooled keep-alive connection, which a worker
    // that is still winding down may even answer: what it gets is not deterministic
    // (it was flaky under a loaded machine). A new connection to the closed port is
    // refused before anything is sent.
    drop(client);
    let error = self::client(&sim).balance().expect_err("stopped");
    assert!(matches!(error, CallError::BeforeSend(_)), "{error:?}");
}

#[test]
fn latency_is_honoured() {
    let sim = start(SimArgs {
        latency_ms: 300,
        ..SimArgs::default()
    });
    let client = client(&sim);
    let started = Instant::now();
    client.balance().expect("balance");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn observer_sees_every_call() {
    let sim = start(SimArgs::default());
    type Seen = (String, &'static str, Option<&'static str>);
    let records: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let sink = Arc::clone(&records);
    let client = client(&sim).with_observer(Arc::new(move |r: &CallRecord<'_>| {
        if let Ok(mut all) = sink.lock() {
            all.push((r.provider.to_owned(), r.action, r.error_class));
        }
    }));
    client.balance().expect("balance");
    let _ = client.status("1");
    let _ = client.statuses(&["1".to_owned(), "2".to_owned()]);
    let seen = records.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(
        seen,
        vec![
            ("sim".to_owned(), "balance", None),
            ("sim".to_owned(), "status", Some("provider_error")),
            ("sim".to_owned(), "multi_status", None),
        ]
    );
}

#[test]
fn fields_in_the_query_string_work_too() {
    let sim = start(SimArgs::default());
    let body = raw_http()
        .get(format!("{}?key=sim-key&action=balance", sim.api_url()))
        .send()
        .and_then(|r| r.text())
        .expect("GET answers");
    let value: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(value, serde_json::json!({"balance": "1000.00000", "currency": "USD"}));
}

#[test]
fn seeded_faults_are_reproducible_over_http() {
    let outcomes = |seed: u64| {
        let sim = start(SimArgs {
            seed,
            garbage_rate: 0.3,
            error_rate: 0.3,
            ..SimArgs::default()
        });
        let client = client(&sim);
        (0..40)
            .map(|_| match client.balance() {
                Ok(_) => "ok",
                Err(e) => e.class(),
            })
            .collect::<Vec<_>>()
    };
    let first = outcomes(42);
    assert_eq!(first, outcomes(42));
    assert_ne!(first, outcomes(43));
    for class in ["ok", "after_send", "provider_error"] {
        assert!(first.contains(&class), "{class} in {first:?}");
    }
}

#[test]
fn multi_status_counts_as_one_call() {
    let sim = start(SimArgs::default());
    let client = client(&sim);
    let ids: Vec<String> = (0..100)
        .map(|_| client.add(&order("3", "https://x.y/p", 10)).expect("add"))
        .collect();
    let statuses = client.statuses(&ids).expect("multi status");
    assert!(statuses.values().all(Result::is_ok));
    let stats = sim_get(&sim, "/sim/stats");
    assert_eq!(
        (stats["multi_status_calls"].clone(), stats["status_calls"].clone()),
        (1.into(), 0.into())
    );
}

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[test]
fn cli_defaults_and_validation() {
    let parsed = Cli::try_parse_from(["provider-sim"]).expect("defaults parse");
    assert_eq!(parsed.sim, SimArgs::default());
    let parsed = Cli::try_parse_from([
        "provider-sim",
        "--bind",
        "127.0.0.1:0",
        "--key",
        "k",
        "--step-secs",
        "2",
        "--seed",
        "9",
        "--latency-ms",
        "5",
        "--timeout-rate",
        "0.1",
        "--html-rate",
        "0.2",
        "--garbage-rate",
        "0.3",
        "--error-rate",
        "0.4",
        "--reset-rate",
        "1",
        "--balance",
        "12.5",
    ])
    .expect("all options parse");
    assert_eq!(
        (parsed.sim.step_secs, parsed.sim.seed, parsed.sim.latency_ms),
        (2, 9, 5)
    );
    assert_eq!(parsed.sim.reset_rate, 1.0);
    assert_eq!(parsed.sim.balance, Money::parse("12.5").expect("money"));
    let error = Cli::try_parse_from(["provider-sim", "--html-rate", "1.5"]).expect_err("out of range");
    assert!(error.to_string().contains("between 0 and 1"), "{error}");
    assert!(Cli::try_parse_from(["provider-sim", "--balance", "1e3"]).is_err());

    // spawn checks too, for callers that build SimArgs by hand
    let error = spawn(SimArgs {
        bind: "127.0.0.1:0".into(),
        timeout_rate: -0.5,
        ..SimArgs::default()
    })
    .expect_err("invalid rate");
    assert!(error.to_string().contains("--timeout-rate"), "{error}");
}
