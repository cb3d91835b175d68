//! Issue 14: `/metrics` counts what happens and is read only by whom it should be; the
//! request id reaches the log and the error body; the System page shows every instance.
//! (nextest runs each test in its own process, so the process-wide counters start at
//! zero in each.)

use std::process::{Child, Command};
use std::time::Duration;

use serde_json::json;
use smm_panel::domain::Role;

use crate::helpers::*;

/// The value of the sample `name{labels}` (labels as rendered), 0 when absent.
fn sample(body: &str, series: &str) -> f64 {
    body.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn scrape(app: &TestApp) -> String {
    let response = app.api().get("/metrics", None);
    assert_eq!(response.status(), 200, "loopback may scrape");
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    response.text().unwrap()
}

#[test]
fn placing_and_forwarding_an_order_moves_the_right_counters() {
    let app = spawn_app();
    let shop = app.shop(sim_args("metrics-key-1"));
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("counted@example.com", "1000");
    let before = scrape(&app);
    let placed = json(
        app.api().post(
            "/api/user/create-orders",
            &json!({"orders": [{"serviceId": service, "link": "https://x.com/counted", "qty": 100}]}),
            Some(&token),
        ),
        201,
    );
    let id = placed["orders"][0]["id"].as_i64().unwrap();
    app.wait_for_order(&token, id, &["accepted"]);
    let after = scrape(&app);
    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    let provider = shop.provider_id;

    assert_eq!(
        moved(r#"smm_http_requests_total{route="/api/user/create-orders",method="POST",class="2xx"}"#),
        1.0
    );
    assert!(
        after.contains(r#"smm_http_request_duration_seconds_bucket{route="/api/user/create-orders",class="2xx",le="#),
        "a latency histogram per route pattern"
    );
    assert_eq!(moved(r#"smm_orders_placed_total{route="queued"}"#), 1.0);
    assert_eq!(moved(r#"smm_ledger_postings_total{kind="charge"}"#), 1.0);
    assert_eq!(
        moved(&format!(
            r#"smm_forward_outcomes_total{{provider="{provider}",outcome="accepted"}}"#
        )),
        1.0
    );
    assert_eq!(
        moved(&format!(
            r#"smm_provider_call_duration_seconds_count{{provider="{provider}",action="add"}}"#
        )),
        1.0
    );
    // An order's own page is counted under its pattern, not its id.
    app.api().get(&format!("/api/user/orders/{id}"), Some(&token));
    let later = scrape(&app);
    assert!(
        later.contains(r#"route="/api/user/orders/{id}""#),
        "route patterns, not paths"
    );
    assert!(!later.contains(&format!("/api/user/orders/{id}\"")));
    for gauge in [
        "smm_forward_queue_depth",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "smm_uptime_seconds",
        r#"smm_db_pool_connections{state="idle"}"#,
        r#"smm_build_info{version=""#,
        "smm_db_pool_wait_seconds_count",
    ] {
        assert!(later.contains(gauge), "{gauge} is exposed");
    }
    assert!(sample(&later, "process_resident_memory_bytes") > 1e6);

    // No secret in any label: the provider's key, tokens, emails.
    for secret in [
        "metrics-key-1",
        token.as_str(),
        shop.admin_token.as_str(),
        "counted@example.com",
    ] {
        assert!(!later.contains(secret), "a secret leaked into /metrics");
    }
}

#[test]
fn metrics_are_for_this_machine_admins_and_the_scraper_token() {
    let token = "scrape-token-0123456789abcdef";
    let app = spawn_app_with(&[("METRICS_TOKEN", token), ("TRUSTED_PROXIES", "127.0.0.1")]);
    let (_, admin) = app.user_with_token("ops@example.com", Role::Admin);
    let (_, customer) = app.user_with_token("nosy@example.com", Role::User);
    let client = reqwest::blocking::Client::new();
    let get = |headers: &[(&str, &str)]| {
        let mut request = client.get(app.url("/metrics"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().unwrap()
    };
    let remote = ("X-Forwarded-For", "203.0.113.9");

    assert_eq!(get(&[]).status(), 200, "loopback, not forwarded");
    let refused = get(&[remote]);
    assert_eq!(refused.status(), 403, "an anonymous caller through the proxy");
    assert_eq!(json(refused, 403)["error"]["code"], "forbidden");
    assert_eq!(
        get(&[("Forwarded", "for=203.0.113.9")]).status(),
        403,
        "any forwarding header means the caller is not this machine"
    );
    let bearer = format!("Bearer {token}");
    assert_eq!(
        get(&[remote, ("Authorization", &bearer)]).status(),
        200,
        "the scraper token"
    );
    let admin_bearer = format!("Bearer {admin}");
    assert_eq!(
        get(&[remote, ("Authorization", &admin_bearer)]).status(),
        200,
        "an admin"
    );
    let customer_bearer = format!("Bearer {customer}");
    assert_eq!(
        get(&[remote, ("Authorization", &customer_bearer)]).status(),
        403,
        "a customer"
    );
    assert_eq!(
        get(&[remote, ("Authorization", "Bearer not-the-token-at-all")]).status(),
        401,
        "a wrong token"
    );
}

#[test]
fn metrics_off_serves_no_metrics() {
    let app = spawn_app_with(&[("METRICS", "off")]);
    let response = app.api().get("/metrics", None);
    assert_eq!(response.status(), 404);
    assert!(json(response, 404)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("METRICS=off"));
}

/// `serve` with its standard error going to `log` (a file), on `env`'s database.
fn serve_logging(
    env: &std::collections::HashMap<String, String>,
    port: u16,
    log: &std::path::Path,
    extra: &[(&str, &str)],
) -> Child {
    serve_to(env, port, extra, std::fs::File::create(log).unwrap().into())
}

/// Stops `child` as a supervisor would (SIGTERM) and waits for it.
fn terminate(mut child: Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let waited = wait_until(Duration::from_secs(30), "serve to stop", || {
        child.try_wait().ok().flatten()
    });
    assert!(waited.success() || waited.code().is_some(), "{waited:?}");
}

#[test]
fn the_request_id_is_in_the_log_lines_and_the_error_reply() {
    let app = spawn_app();
    app.stop_workers();
    let log = app.dir.path().join("serve.log");
    let port = free_port();
    let child = serve_logging(&app.env, port, &log, &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")]);
    let client = reqwest::blocking::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");

    let registered = client
        .post(url("/api/auth/register"))
        .header("X-Request-Id", "trace-register-1")
        .json(&json!({"email": "traced@example.com", "password": "a long enough password"}))
        .send()
        .unwrap();
    assert_eq!(registered.status(), 201);
    assert_eq!(registered.headers()["x-request-id"], "trace-register-1");
    let refused = client
        .post(url("/api/auth/register"))
        .header("X-Request-Id", "trace-refused-2")
        .json(&json!({"email": "not an email", "password": "a long enough password"}))
        .send()
        .unwrap();
    assert_eq!(
        json(refused, 400)["requestId"],
        "trace-refused-2",
        "the error body names the request"
    );
    terminate(child);

    let whole = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = whole
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("a JSON log line: {line}")))
        .collect();
    let registered_line = lines
        .iter()
        .find(|l| l["msg"].as_str().unwrap_or("").contains("registered"))
        .expect("the registration is logged");
    assert_eq!(
        registered_line["requestId"], "trace-register-1",
        "a line the request caused carries its id"
    );
    assert!(registered_line["ts"].is_string() && registered_line["level"] == "INFO");
    assert!(
        lines
            .iter()
            .any(|l| l["msg"].as_str().unwrap_or("").contains("id=trace-refused-2")),
        "the access line names the request"
    );
    assert!(!whole.contains("a long enough password"), "no password in the log");
}

#[test]
fn the_system_page_shows_every_instance_sharing_the_database() {
    let app = spawn_app();
    app.stop_workers();
    let (first_port, second_port) = (free_port(), free_port());
    let dir = app.dir.path();
    let first = serve_logging(&app.env, first_port, &dir.join("a.log"), &[]);
    let second = serve_logging(&app.env, second_port, &dir.join("b.log"), &[]);
    let pids = [first.id(), second.id()];
    for port in [first_port, second_port] {
        for _ in 0..3 {
            reqwest::blocking::get(format!("http://127.0.0.1:{port}/login")).unwrap();
        }
    }
    // Each writes the minute it is in when it stops.
    terminate(first);
    terminate(second);

    app.create_user("sysadmin@example.com", "admin password 1", Role::Admin);
    let browser = app.browser();
    browser.login("sysadmin@example.com", "admin password 1");
    let page = browser.get("/admin/system");
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    for pid in pids {
        assert!(
            html.contains(&format!("/{pid}-")),
            "instance of process {pid} is listed"
        );
    }
    assert!(html.contains("<polyline"), "charts are drawn");
    assert!(html.contains("Requests per minute") && html.contains("Provider latency"));

    // Thresholds: a bad one is shown back with the values kept, a good one saved.
    let bad = browser.submit(
        "/admin/system",
        "/admin/system/alerts",
        &[("errorRatePercent", "150"), ("queueDepth", "7")],
    );
    assert_eq!(bad.status(), 400);
    let bad = bad.text().unwrap();
    assert!(bad.contains("from 1 to 100") && bad.contains(r#"value="7""#));
    let saved = browser.submit("/admin/system", "/admin/system/alerts", &[("queueDepth", "1")]);
    assert!(saved.status().is_success() || saved.status().is_redirection());
    assert_eq!(app.audit_rows("alerts.update").len(), 1);
}

#[test]
fn an_alert_shows_on_the_dashboard_when_its_threshold_is_crossed() {
    let app = spawn_app();
    app.stop_workers();
    let shop = app.shop(sim_args("alert-key-1"));
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("queued@example.com", "1000");
    json(
        app.api().post(
            "/api/user/create-orders",
            &json!({"orders": [{"serviceId": service, "link": "https://x.com/waiting", "qty": 100}]}),
            Some(&token),
        ),
        201,
    );
    app.create_user("watcher@example.com", "admin password 1", Role::Admin);
    let browser = app.browser();
    browser.login("watcher@example.com", "admin password 1");
    assert!(!browser.get("/admin").text().unwrap().contains("Alert:"));
    // As JSON: a bad threshold is refused and changes nothing.
    let api = app.api();
    let refused = api.post(
        "/api/admin/alerts",
        &json!({"queueDepth": 1, "errorRatePercent": "lots"}),
        Some(&shop.admin_token),
    );
    assert_eq!(json(refused, 400)["error"]["field"], "errorRatePercent");
    let now = json(api.get("/api/admin/alerts", Some(&shop.admin_token)), 200);
    assert_eq!(now["thresholds"]["queueDepth"], serde_json::Value::Null);
    assert_eq!(now["alerts"], json!([]));
    browser.submit("/admin/system", "/admin/system/alerts", &[("queueDepth", "1")]);
    let now = json(api.get("/api/admin/alerts", Some(&shop.admin_token)), 200);
    assert_eq!(now["thresholds"]["queueDepth"], 1);
    assert_eq!(now["alerts"][0]["key"], "queue_depth");
    let dashboard = browser.get("/admin").text().unwrap();
    assert!(
        dashboard.contains("Alert: 1 orders wait to be forwarded"),
        "the workers are stopped, so the order waits"
    );
    // A provider whose balance (1000 USD at the simulator) is below the line is named,
    // in English and in Bengali.
    browser.submit(
        "/admin/system",
        "/admin/system/alerts",
        &[("queueDepth", "1"), ("providerBalanceBelow", "5000")],
    );
    let now = json(api.get("/api/admin/alerts", Some(&shop.admin_token)), 200);
    let balance_alert = now["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == format!("provider_balance:{}", shop.provider_id))
        .expect("a provider balance alert")
        .clone();
    assert_eq!(
        balance_alert["message"],
        "provider 'Sim' balance '1000.00 USD' is below 5000.00"
    );
    let dashboard = browser.get("/admin").text().unwrap();
    assert!(
        dashboard.contains("Sim&#39; balance &#39;1000.00 USD&#39; is below 5000.00"),
        "{dashboard}"
    );
    browser.submit("/admin", "/language", &[("lang", "bn"), ("next", "/admin")]);
    let dashboard = browser.get("/admin").text().unwrap();
    assert!(
        dashboard.contains("Sim&#39;-এর ব্যালেন্স &#39;1000.00 USD&#39;, যা ৫০০০.০০-এর নিচে"),
        "{dashboard}"
    );
}

#[test]
fn old_minutes_roll_up_into_hours_and_a_month_old_history_is_deleted() {
    use smm_panel::db::metrics::{self, SampleRow};
    let app = spawn_app();
    app.stop_workers();
    let now = chrono::Utc::now().timestamp();
    let hour = (now - 3 * 86_400) / 3600 * 3600;
    let row = |instance: &str, at: i64, requests: i64, p50: i64, p95: i64| SampleRow {
        instance: instance.into(),
        span: metrics::MINUTE,
        at,
        requests,
        errors: 1,
        p50_ms: p50,
        p95_ms: p95,
        p99_ms: p95 * 2,
        cpu_ms: 100,
        rss_bytes: 1000 + at % 7,
        queue_depth: requests / 10,
        sync_rounds: 0,
        sync_ms: 0,
    };
    let mut conn = app.state.conn().unwrap();
    let rows = [
        row("a", hour, 30, 10, 40),
        row("a", hour + 60, 10, 30, 90),
        row("b", hour + 120, 5, 7, 8),
        row("a", now - 31 * 86_400, 1, 1, 1),
        row("a", now / 60 * 60 - 60, 2, 3, 4),
    ];
    for r in &rows {
        metrics::insert(&mut conn, r, &[]).unwrap();
    }
    smm_panel::db::write_transaction(&mut conn, |c| {
        metrics::roll_up(c, now - metrics::MINUTE_ROWS_KEPT, now - metrics::KEPT)
    })
    .unwrap();

    // (The app's own sampler wrote a row as its workers stopped: left out.)
    let ours =
        |rows: Vec<SampleRow>| -> Vec<SampleRow> { rows.into_iter().filter(|r| r.instance.len() == 1).collect() };
    let minutes = ours(metrics::samples_since(&mut conn, metrics::MINUTE, 0).unwrap());
    assert_eq!(minutes.len(), 1, "only the recent minute stays a minute: {minutes:?}");
    let hours = ours(metrics::samples_since(&mut conn, metrics::HOUR, 0).unwrap());
    assert_eq!(hours.len(), 2, "one hour row per instance: {hours:?}");
    let a = hours.iter().find(|h| h.instance == "a").unwrap();
    assert_eq!((a.at, a.requests, a.errors, a.cpu_ms), (hour, 40, 2, 200));
    assert_eq!(a.p50_ms, (30 * 10 + 10 * 30) / 40, "p50 weighted by requests");
    assert_eq!((a.p95_ms, a.p99_ms, a.queue_depth), (90, 180, 3), "the hour's worst");
    assert!(
        hours.iter().all(|h| h.at > now - metrics::KEPT),
        "a month-old row is gone"
    );

    // Rolling up again (another instance doing it too) changes nothing.
    smm_panel::db::write_transaction(&mut conn, |c| {
        metrics::roll_up(c, now - metrics::MINUTE_ROWS_KEPT, now - metrics::KEPT)
    })
    .unwrap();
    assert_eq!(
        ours(metrics::samples_since(&mut conn, metrics::HOUR, 0).unwrap()).len(),
        2
    );
}
