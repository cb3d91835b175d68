//! Phase `pages` (issue 13): the list pages at a million orders. Its own database, app
//! and provider-sim: the catalogue comes through the admin API (three providers), then
//! set-based SQL seeds `BENCH_PAGES_ORDERS` orders (one customer in ten orders is the
//! same "big" customer) and three ledger rows per order, and every list request is
//! timed over HTTP, one client after another and `BENCH_PAGES_CONCURRENCY` at once.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{ExpressionMethods, NullableExpressionMethods, QueryDsl, RunQueryDsl, TextExpressionMethods};
use serde_json::Value;
use smm_panel::db::schema::{ledger_entries, orders, services};
use smm_panel::db::DbConnection;

use crate::app::{add_provider, blocking_client, call, shop, spawn_app, App, BenchDb, PASSWORD};
use crate::knobs::Knobs;
use crate::report::{met, pct};

/// No sync round over the seeded orders while they are measured.
const PAGES_APP_ENV: [(&str, &str); 1] = [("SYNC_INTERVAL_SECS", "86400")];
/// Customers besides the big one.
const SEED_CUSTOMERS: i64 = 999;
/// Orders (and their ledger rows) per seeding statement.
const SEED_CHUNK: i64 = 100_000;
/// The orders span the last year.
const SEED_DAYS: i64 = 365;
/// Unmeasured requests before each measured row.
const WARMUP_REQUESTS: usize = 5;
const TARGET_P99_MS: f64 = 20.0;

/// How long each part of the seed took.
pub struct Seeded {
    orders: i64,
    ledger_rows: i64,
    big_orders: i64,
    big_ledger_rows: i64,
    customers: Duration,
    order_rows: Duration,
    ledger: Duration,
    upkeep: Duration,
}

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    CustomerApi,
    AdminApi,
    CustomerPage,
    AdminPage,
}

/// One request to time.
struct Probe {
    label: String,
    path: String,
    who: Who,
}

#[derive(Default)]
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

    fn percentile_ms(&self, p: f64) -> f64 {
        let sorted = &self.latencies_us;
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
    }
}

/// A measured row: what the first answer held, and the two runs.
struct Row {
    label: String,
    path: String,
    /// For JSON lists: items on the page and the total as shown (`1000+` when capped).
    items: Option<usize>,
    total: Option<String>,
    bytes: usize,
    sequential: Sample,
    concurrent: Sample,
}

pub struct PagesResult {
    seeded: Seeded,
    /// The server answers `nextBefore` (keyset pagination); without it the cursor rows
    /// are skipped.
    cursors: bool,
    fragment: String,
    fragment_matches: i64,
    rows: Vec<Row>,
    skipped: Vec<String>,
}

pub fn pages_phase(knobs: &Knobs) -> (&'static str, PagesResult) {
    let db = BenchDb::new();
    let n = knobs.pages_orders as i64;
    eprintln!(
        "smm-panel pages bench on {}: {n} orders, {} ledger rows",
        db.backend,
        3 * n
    );
    let sim_key = "bench-pages-sim-key";
    let sim = crate::app::rich_sim(sim_key, 0);
    let app = spawn_app(&db, knobs, &PAGES_APP_ENV);
    let shop = shop(&app, &sim, sim_key);
    let client = blocking_client();
    // Two more providers, so the provider filter has something to choose from.
    for name in ["Sim B", "Sim C"] {
        add_provider(&app, &shop.admin_token, name, &sim, sim_key);
    }

    let seeded = seed(&app, shop.customer_id, n);
    let targets = Targets::find(&app, shop.customer_id, n);
    let fragment_matches = count_links_containing(&app, &targets.fragment);

    let customer_email = "bench-customer@example.com";
    let admin_email = "bench-admin@example.com";
    let threads = knobs.pages_concurrency;
    let api_clients: Vec<_> = (0..threads).map(|_| blocking_client()).collect();
    let customer_pages: Vec<_> = (0..threads).map(|_| browser(&app, customer_email)).collect();
    let admin_pages: Vec<_> = (0..threads).map(|_| browser(&app, admin_email)).collect();

    let first = call(
        &client,
        reqwest::Method::GET,
        &format!("{}/api/user/orders", app.base),
        Some(&shop.customer_token),
        None,
        200,
    );
    let cursors = first.get("nextBefore").is_some();
    let (probes, cursor_probes) = targets.probes();
    let skipped = if cursors {
        Vec::new()
    } else {
        cursor_probes.iter().map(|p| p.label.clone()).collect()
    };
    let probes: Vec<Probe> = if cursors {
        probes.into_iter().chain(cursor_probes).collect()
    } else {
        probes
    };

    let mut rows = Vec::new();
    for probe in probes {
        let (clients, bearer) = match probe.who {
            Who::CustomerApi => (&api_clients, Some(shop.customer_token.as_str())),
            Who::AdminApi => (&api_clients, Some(shop.admin_token.as_str())),
            Who::CustomerPage => (&customer_pages, None),
            Who::AdminPage => (&admin_pages, None),
        };
        let url = format!("{}{}", app.base, probe.path);
        eprintln!("  pages: {} …", probe.label);
        let (items, total, bytes) = first_answer(&clients[0], &url, bearer);
        for _ in 0..WARMUP_REQUESTS {
            let _ = timed_get(&clients[0], &url, bearer);
        }
        let budget = Duration::from_secs(knobs.pages_seconds);
        let sequential = measure(&clients[..1], &url, bearer, knobs.pages_requests, budget);
        let concurrent = measure(clients, &url, bearer, knobs.pages_requests, budget);
        rows.push(Row {
            label: probe.label,
            path: probe.path,
            items,
            total,
            bytes,
            sequential,
            concurrent,
        });
    }
    let backend = db.backend;
    drop(app);
    drop(sim);
    drop(db);
    (
        backend,
        PagesResult {
            seeded,
            cursors,
            fragment: targets.fragment,
            fragment_matches,
            rows,
            skipped,
        },
    )
}

// ---------------------------------------------------------------------------------
// Seeding, set-based: one statement per chunk of orders and of ledger rows

/// A service the seeded orders are spread over: id, provider, provider's service id.
type Listing = (i64, Option<i64>, Option<String>);

pub fn seed(app: &App, big: i64, n: i64) -> Seeded {
    let mut conn = app.state.conn().expect("connection");
    let postgres = matches!(&**conn, DbConnection::Postgres(_));

    eprintln!("  pages seed: {SEED_CUSTOMERS} customers …");
    let started = Instant::now();
    let customers_sql = if postgres {
        format!(
            "INSERT INTO users (email, password_hash, role, balance, api_key_hash, api_key_enc, created_at) \
             SELECT 'seed-' || g || '@example.com', 'x', 'user', 0, 'seed-' || g, 'x', now() AT TIME ZONE 'UTC' \
             FROM generate_series(1, {SEED_CUSTOMERS}) g"
        )
    } else {
        format!(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {SEED_CUSTOMERS}) \
             INSERT INTO users (email, password_hash, role, balance, api_key_hash, api_key_enc, created_at) \
             SELECT 'seed-' || n || '@example.com', 'x', 'user', 0, 'seed-' || n, 'x', \
             strftime('%Y-%m-%d %H:%M:%f', 'now') FROM g"
        )
    };
    conn.batch_execute(&customers_sql).expect("seed customers");
    let customers = started.elapsed();
    let (first, last): (Option<i64>, Option<i64>) = {
        use smm_panel::db::schema::users;
        users::table
            .filter(users::email.like("seed-%"))
            .select((diesel::dsl::min(users::id), diesel::dsl::max(users::id)))
            .first(&mut **conn)
            .expect("seeded customers")
    };
    let first = first.expect("seeded customers");
    assert_eq!(
        last,
        Some(first + SEED_CUSTOMERS - 1),
        "seeded customer ids are contiguous"
    );

    let listings: Vec<Listing> = services::table
        .filter(services::provider_id.is_not_null())
        .order(services::id.asc())
        .select((services::id, services::provider_id, services::provider_service_id))
        .load(&mut **conn)
        .expect("services");
    assert!(!listings.is_empty(), "imported services");
    let pick = |f: &dyn Fn(&Listing) -> String| {
        let arms: String = listings
            .iter()
            .enumerate()
            .map(|(k, l)| format!(" WHEN {k} THEN {}", f(l)))
            .collect();
        format!("CASE g % {}{arms} END", listings.len())
    };
    let service_id = pick(&|l| l.0.to_string());
    let provider_id = pick(&|l| l.1.map_or_else(|| "NULL".into(), |p| p.to_string()));
    let provider_service_id = pick(&|l| l.2.as_ref().map_or_else(|| "NULL".into(), |s| format!("'{s}'")));

    // Orders are spread evenly over the last SEED_DAYS, oldest first.
    let start = (chrono::Utc::now() - chrono::Duration::days(SEED_DAYS))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let step_secs = (SEED_DAYS * 86_400) as f64 / n as f64;
    let at = |offset: &str| {
        if postgres {
            format!("TIMESTAMP '{start}' + (g * {step_secs}{offset}) * INTERVAL '1 second'")
        } else {
            format!("strftime('%Y-%m-%d %H:%M:%f', julianday('{start}') + (g * {step_secs}{offset}) / 86400.0)")
        }
    };
    let (created_at, checked_at) = (at(""), at(" + 3600"));
    let random = if postgres {
        "substr(md5(g::text), 1, 11)"
    } else {
        "substr(lower(hex(randomblob(6))), 1, 11)"
    };
    // h picks the order's fate: accepted and 60 % completed, 10 % in progress, 8 % pending,
    // 4 % partial, 3 % canceled; 3 % rejected (failed); 6 % manual (half of them placed by
    // an admin); 5.9 % accepted and completed, 0.4 % of all flagged by sync; 0.1 % unknown.
    let select = format!(
        "SELECT CASE WHEN g % 10 = 0 THEN {big} ELSE {first} + g % {SEED_CUSTOMERS} END, {service_id}, \
           CASE WHEN h >= 880 AND h < 940 THEN NULL ELSE {provider_id} END, {provider_service_id}, \
           'https://instagram.com/p/' || {random}, 100 * (1 + g % 50), 9000000 * (1 + g % 50), 'BDT', \
           900000, 100000000, 90000 * (1 + g % 50), \
           CASE WHEN h < 600 THEN 'completed' WHEN h < 700 THEN 'processing' WHEN h < 780 THEN 'pending' \
                WHEN h < 820 THEN 'partial' WHEN h < 850 THEN 'canceled' WHEN h < 880 THEN 'failed' \
                WHEN h < 910 THEN 'completed' WHEN h < 940 THEN 'pending' ELSE 'completed' END, \
           CASE WHEN h < 850 THEN 'accepted' WHEN h < 880 THEN 'rejected' WHEN h < 940 THEN 'manual' \
                WHEN h < 999 THEN 'accepted' ELSE 'unknown' END, \
           CASE WHEN h < 850 OR (h >= 940 AND h < 999) THEN CAST(10000000 + g AS TEXT) END, \
           CASE WHEN h < 600 THEN 'Completed' WHEN h < 700 THEN 'In progress' WHEN h < 780 THEN 'Pending' \
                WHEN h < 820 THEN 'Partial' WHEN h < 850 THEN 'Canceled' \
                WHEN h >= 940 AND h < 999 THEN 'Completed' END, \
           CASE WHEN h < 850 OR (h >= 940 AND h < 999) THEN 1000 + g % 5000 END, \
           CASE WHEN h < 600 OR (h >= 940 AND h < 999) THEN 0 WHEN h >= 780 AND h < 820 THEN 50 * (1 + g % 50) \
                WHEN h >= 820 AND h < 850 THEN 100 * (1 + g % 50) END, \
           CASE WHEN h < 850 OR (h >= 940 AND h < 999) THEN {checked_at} END, \
           h >= 880 AND h < 910, {created_at}, {created_at}, \
           CASE WHEN h >= 995 AND h < 999 THEN 'The provider reports an unexpected status' END"
    );
    let columns = "user_id, service_id, provider_id, provider_service_id, link, quantity, charge, currency, \
                   rate_per_1000, usd_to_bdt, provider_cost, status, forward_state, provider_order_id, \
                   provider_status, start_count, remains, last_status_check, is_manual, created_at, updated_at, \
                   review_reason";
    let started = Instant::now();
    let mut from = 1;
    while from <= n {
        let to = (from + SEED_CHUNK - 1).min(n);
        eprintln!("  pages seed: orders {from}–{to} …");
        let sql = if postgres {
            format!(
                "INSERT INTO orders ({columns}) {select} FROM (SELECT g, (g * 2654435761) % 1000 AS h \
                 FROM generate_series({from}::bigint, {to}::bigint) g) s"
            )
        } else {
            format!(
                "WITH RECURSIVE s(g) AS (SELECT {from} UNION ALL SELECT g + 1 FROM s WHERE g < {to}) \
                 INSERT INTO orders ({columns}) {select} FROM (SELECT g, (g * 2654435761) % 1000 AS h FROM s)"
            )
        };
        conn.batch_execute(&sql).expect("seed orders");
        from = to + 1;
    }
    let order_rows = started.elapsed();

    // Three rows per order: a deposit, the charge and a refund, at the order's time.
    let started = Instant::now();
    let (low, high): (Option<i64>, Option<i64>) = orders::table
        .select((diesel::dsl::min(orders::id), diesel::dsl::max(orders::id)))
        .first(&mut **conn)
        .expect("order ids");
    let (low, high) = (low.expect("orders"), high.expect("orders"));
    let (kinds, at) = if postgres {
        (
            "(VALUES (0, 'deposit'), (1, 'charge'), (2, 'refund')) AS k(n, kind)",
            "o.created_at + k.n * INTERVAL '1 second'",
        )
    } else {
        (
            "(SELECT 0 AS n, 'deposit' AS kind UNION ALL SELECT 1, 'charge' UNION ALL SELECT 2, 'refund') AS k",
            "strftime('%Y-%m-%d %H:%M:%f', julianday(o.created_at) + k.n / 86400.0)",
        )
    };
    let mut from = low;
    while from <= high {
        let to = (from + SEED_CHUNK - 1).min(high);
        eprintln!("  pages seed: ledger rows of orders {from}–{to} …");
        let sql = format!(
            "INSERT INTO ledger_entries (user_id, kind, amount, balance_after, order_id, note, created_at) \
             SELECT o.user_id, k.kind, \
               CASE k.kind WHEN 'charge' THEN -o.charge WHEN 'refund' THEN o.charge / 2 ELSE 1000000000 END, 0, \
               CASE WHEN k.kind = 'deposit' THEN NULL ELSE o.id END, \
               CASE k.kind WHEN 'charge' THEN 'Order ' || o.id WHEN 'refund' THEN 'Order ' || o.id || ' partial' \
                 ELSE 'Deposit' END, {at} \
             FROM orders o CROSS JOIN {kinds} WHERE o.id BETWEEN {from} AND {to}"
        );
        conn.batch_execute(&sql).expect("seed ledger rows");
        from = to + 1;
    }
    let ledger = started.elapsed();

    // What autovacuum does after a bulk load (statistics, visibility map, the GIN pending
    // list), and on SQLite the checkpoint that folds the WAL back into the file.
    eprintln!("  pages seed: upkeep …");
    let started = Instant::now();
    // One statement each: several in one batch would run as one transaction, where
    // VACUUM cannot.
    let upkeep_sql: &[&str] = if postgres {
        &[
            "VACUUM ANALYZE users",
            "VACUUM ANALYZE orders",
            "VACUUM ANALYZE ledger_entries",
        ]
    } else {
        &["PRAGMA wal_checkpoint(TRUNCATE)"]
    };
    for sql in upkeep_sql {
        conn.batch_execute(sql).expect("upkeep after the seed");
    }
    let upkeep = started.elapsed();

    let mut count = |user: Option<i64>| -> (i64, i64) {
        let mut o = orders::table.into_boxed();
        let mut l = ledger_entries::table.into_boxed();
        if let Some(user) = user {
            o = o.filter(orders::user_id.eq(user));
            l = l.filter(ledger_entries::user_id.eq(user));
        }
        (
            o.count().get_result(&mut **conn).expect("count orders"),
            l.count().get_result(&mut **conn).expect("count ledger rows"),
        )
    };
    let (orders, ledger_rows) = count(None);
    let (big_orders, big_ledger_rows) = count(Some(big));
    Seeded {
        orders,
        ledger_rows,
        big_orders,
        big_ledger_rows,
        customers,
        order_rows,
        ledger,
        upkeep,
    }
}

// ---------------------------------------------------------------------------------
// What to ask for: cursors, pages, search terms and dates taken from the seeded data

struct Targets {
    big_deep_before: i64,
    big_deep_page: i64,
    fragment: String,
    provider_order_id: String,
    order_id: i64,
    provider_id: i64,
    admin_deep_before: i64,
    admin_deep_page: i64,
    from: String,
    to: String,
    range_deep_before: i64,
    ledger_deep_before: i64,
    ledger_deep_page: i64,
}

/// Rows from the end of a newest-first list: this far from the oldest.
const DEEP_FROM_END: i64 = 1000;
const PER_PAGE: i64 = 50;

impl Targets {
    fn find(app: &App, big: i64, n: i64) -> Self {
        let mut conn = app.state.conn().expect("connection");
        let big_orders: i64 = orders::table
            .filter(orders::user_id.eq(big))
            .count()
            .get_result(&mut **conn)
            .expect("count");
        // The `k`th newest order id of the big customer (0: the newest).
        let mut kth_of_big = |k: i64| -> i64 {
            orders::table
                .filter(orders::user_id.eq(big))
                .order(orders::id.desc())
                .offset(k)
                .select(orders::id)
                .first(&mut **conn)
                .expect("an order of the big customer")
        };
        let deep = big_orders - DEEP_FROM_END;
        let big_deep_before = kth_of_big(deep);
        let middle = kth_of_big(big_orders / 2);
        let link: String = orders::table
            .find(middle)
            .select(orders::link)
            .first(&mut **conn)
            .expect("link");
        // Seven characters of the random part: what a customer pastes to find one post.
        let fragment = link["https://instagram.com/p/".len()..][2..9].to_string();
        let order_id = orders::table
            .order(orders::id.desc())
            .offset(n / 2)
            .select(orders::id)
            .first::<i64>(&mut **conn)
            .expect("an order");
        let provider_order_id: String = orders::table
            .filter(orders::id.ge(order_id))
            .filter(orders::provider_order_id.is_not_null())
            .order(orders::id.asc())
            .select(orders::provider_order_id.assume_not_null())
            .first(&mut **conn)
            .expect("a provider order id");
        let provider_id: i64 = orders::table
            .filter(orders::provider_id.is_not_null())
            .order(orders::provider_id.desc())
            .select(orders::provider_id.assume_not_null())
            .first(&mut **conn)
            .expect("a provider");
        let day_of = |conn: &mut DbConnection, k: i64| -> (String, i64) {
            let (id, at): (i64, chrono::NaiveDateTime) = orders::table
                .order(orders::id.asc())
                .offset(k)
                .select((orders::id, orders::created_at))
                .first(conn)
                .expect("an order");
            (at.format("%Y-%m-%d").to_string(), id)
        };
        let (from, _) = day_of(&mut conn, n * 3 / 10);
        let (to, _) = day_of(&mut conn, n * 6 / 10);
        let (_, range_deep_before) = day_of(&mut conn, n * 4 / 10);
        let big_ledger: i64 = ledger_entries::table
            .filter(ledger_entries::user_id.eq(big))
            .count()
            .get_result(&mut **conn)
            .expect("count");
        let ledger_deep_before: i64 = ledger_entries::table
            .filter(ledger_entries::user_id.eq(big))
            .order(ledger_entries::id.desc())
            .offset(big_ledger - DEEP_FROM_END)
            .select(ledger_entries::id)
            .first(&mut **conn)
            .expect("a ledger row");
        Self {
            big_deep_before,
            big_deep_page: deep / PER_PAGE + 1,
            fragment,
            provider_order_id,
            order_id,
            provider_id,
            admin_deep_before: order_id,
            admin_deep_page: n / 2 / PER_PAGE + 1,
            from,
            to,
            range_deep_before,
            ledger_deep_before,
            ledger_deep_page: (big_ledger - DEEP_FROM_END) / PER_PAGE + 1,
        }
    }

    /// The requests to time: those any server answers, and those that need cursors.
    fn probes(&self) -> (Vec<Probe>, Vec<Probe>) {
        let probe = |who: Who, label: &str, path: String| Probe {
            label: label.to_string(),
            path,
            who,
        };
        use Who::*;
        let plain = vec![
            probe(CustomerApi, "my orders: first page", "/api/user/orders".into()),
            probe(
                CustomerApi,
                "my orders: deep ?page=",
                format!("/api/user/orders?page={}", self.big_deep_page),
            ),
            probe(
                CustomerApi,
                "my orders: search link fragment",
                format!("/api/user/orders?q={}", self.fragment),
            ),
            probe(
                CustomerApi,
                "my orders: status=failed",
                "/api/user/orders?status=failed".into(),
            ),
            probe(AdminApi, "admin orders: first page", "/api/admin/orders".into()),
            probe(
                AdminApi,
                "admin: status=failed",
                "/api/admin/orders?status=failed".into(),
            ),
            probe(
                AdminApi,
                "admin: forwardState=rejected",
                "/api/admin/orders?forwardState=rejected".into(),
            ),
            probe(
                AdminApi,
                "admin: providerId",
                format!("/api/admin/orders?providerId={}", self.provider_id),
            ),
            probe(
                AdminApi,
                "admin: isManual=true",
                "/api/admin/orders?isManual=true".into(),
            ),
            probe(
                AdminApi,
                "admin: needsReview=true",
                "/api/admin/orders?needsReview=true".into(),
            ),
            probe(
                AdminApi,
                "admin: date range (30 %–60 %)",
                format!("/api/admin/orders?from={}&to={}", self.from, self.to),
            ),
            probe(
                AdminApi,
                "admin: status + provider + manual",
                format!(
                    "/api/admin/orders?status=completed&providerId={}&isManual=false",
                    self.provider_id
                ),
            ),
            probe(
                AdminApi,
                "admin: search link fragment",
                format!("/api/admin/orders?q={}", self.fragment),
            ),
            probe(
                AdminApi,
                "admin: search provider order id",
                format!("/api/admin/orders?q={}", self.provider_order_id),
            ),
            probe(
                AdminApi,
                "admin: search order id",
                format!("/api/admin/orders?q={}", self.order_id),
            ),
            probe(
                AdminApi,
                "admin: search 'instagram' (every link)",
                "/api/admin/orders?q=instagram".into(),
            ),
            probe(
                AdminApi,
                "admin: deep ?page=",
                format!("/api/admin/orders?page={}", self.admin_deep_page),
            ),
            probe(CustomerApi, "transactions: first page", "/api/user/transactions".into()),
            probe(
                CustomerApi,
                "transactions: deep ?page=",
                format!("/api/user/transactions?page={}", self.ledger_deep_page),
            ),
            probe(CustomerPage, "page /orders", "/orders".into()),
            probe(
                CustomerPage,
                "page /orders?page= (deep)",
                format!("/orders?page={}", self.big_deep_page),
            ),
            probe(AdminPage, "page /admin/orders", "/admin/orders".into()),
            probe(
                AdminPage,
                "page /admin/orders?status=failed",
                "/admin/orders?status=failed".into(),
            ),
            probe(
                AdminPage,
                "page /admin/orders?q=fragment",
                format!("/admin/orders?q={}", self.fragment),
            ),
            probe(CustomerPage, "page /transactions", "/transactions".into()),
        ];
        let cursors = vec![
            probe(
                CustomerApi,
                "my orders: deep ?before=",
                format!("/api/user/orders?before={}", self.big_deep_before),
            ),
            probe(
                CustomerApi,
                "my orders: deep ?after= (newer)",
                format!("/api/user/orders?after={}", self.big_deep_before),
            ),
            probe(
                AdminApi,
                "admin: deep ?before=",
                format!("/api/admin/orders?before={}", self.admin_deep_before),
            ),
            probe(
                AdminApi,
                "admin: date range, ?before= inside",
                format!(
                    "/api/admin/orders?from={}&to={}&before={}",
                    self.from, self.to, self.range_deep_before
                ),
            ),
            probe(
                AdminApi,
                "admin: status=failed, deep ?before=",
                format!("/api/admin/orders?status=failed&before={}", self.admin_deep_before),
            ),
            probe(
                CustomerApi,
                "transactions: deep ?before=",
                format!("/api/user/transactions?before={}", self.ledger_deep_before),
            ),
            probe(
                CustomerPage,
                "page /orders?before= (deep)",
                format!("/orders?before={}", self.big_deep_before),
            ),
            probe(
                AdminPage,
                "page /admin/orders?before= (deep)",
                format!("/admin/orders?before={}", self.admin_deep_before),
            ),
            probe(
                CustomerPage,
                "page /transactions?before= (deep)",
                format!("/transactions?before={}", self.ledger_deep_before),
            ),
        ];
        (plain, cursors)
    }
}

/// Orders whose link contains `fragment` (how selective the search term is).
fn count_links_containing(app: &App, fragment: &str) -> i64 {
    let mut conn = app.state.conn().expect("connection");
    orders::table
        .filter(orders::link.like(format!("%{fragment}%")))
        .count()
        .get_result(&mut **conn)
        .expect("count")
}

// ---------------------------------------------------------------------------------
// The requests

/// A client signed in through the login form (its session cookie kept).
fn browser(app: &App, email: &str) -> reqwest::blocking::Client {
    let client = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client");
    let html = client
        .get(format!("{}/login", app.base))
        .send()
        .and_then(|r| r.text())
        .expect("the login page");
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    let csrf = &html[start..start + html[start..].find('"').expect("CSRF value")];
    let response = client
        .post(format!("{}/login", app.base))
        .form(&[("email", email), ("password", PASSWORD), ("csrf", csrf)])
        .send()
        .expect("sign in");
    assert_eq!(response.status().as_u16(), 303, "{email} signs in");
    client
}

fn request(client: &reqwest::blocking::Client, url: &str, bearer: Option<&str>) -> reqwest::blocking::RequestBuilder {
    let request = client.get(url);
    match bearer {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// One request; its latency, or why it failed.
fn timed_get(client: &reqwest::blocking::Client, url: &str, bearer: Option<&str>) -> Result<Duration, String> {
    let started = Instant::now();
    let response = request(client, url, bearer).send().map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if status.is_success() {
        Ok(elapsed)
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
    }
}

/// The first answer: items on the page and the total shown, for JSON lists; its size.
fn first_answer(
    client: &reqwest::blocking::Client,
    url: &str,
    bearer: Option<&str>,
) -> (Option<usize>, Option<String>, usize) {
    let response = request(client, url, bearer).send().expect("first request");
    let status = response.status();
    let body = response.text().unwrap_or_default();
    assert!(status.is_success(), "{url}: HTTP {status}: {body}");
    let Ok(json) = serde_json::from_str::<Value>(&body) else {
        return (None, None, body.len());
    };
    let items = json["items"].as_array().map(Vec::len);
    let total = json["total"].as_i64().map(|t| {
        if json["totalExact"] == Value::Bool(false) {
            format!("{t}+")
        } else {
            t.to_string()
        }
    });
    (items, total, body.len())
}

/// `total` requests split over `clients` (one thread each), each thread sending one
/// request after another on its keep-alive connection; stops at `budget`.
fn measure(
    clients: &[reqwest::blocking::Client],
    url: &str,
    bearer: Option<&str>,
    total: usize,
    budget: Duration,
) -> Sample {
    let deadline = Instant::now() + budget;
    let per_client = total.div_ceil(clients.len());
    std::thread::scope(|scope| {
        let threads: Vec<_> = clients
            .iter()
            .map(|client| {
                scope.spawn(move || {
                    let mut sample = Sample::default();
                    for _ in 0..per_client {
                        if Instant::now() >= deadline {
                            break;
                        }
                        match timed_get(client, url, bearer) {
                            Ok(latency) => {
                                sample.ok += 1;
                                sample.latencies_us.push(latency.as_micros() as u64);
                            }
                            Err(e) => {
                                sample.errors += 1;
                                sample.first_error.get_or_insert(e);
                            }
                        }
                    }
                    sample
                })
            })
            .collect();
        let mut all = Sample::default();
        for thread in threads {
            all.merge(thread.join().expect("request thread"));
        }
        all.latencies_us.sort_unstable();
        all
    })
}

// ---------------------------------------------------------------------------------
// Report

pub fn report_pages(backend: &str, background: Option<f64>, knobs: &Knobs, r: &PagesResult) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let s = &r.seeded;
    println!();
    println!(
        "smm-panel list pages benchmark — {backend} — {cores} cores — {} orders, {} ledger rows; \
         the big customer has {} orders and {} ledger rows",
        s.orders, s.ledger_rows, s.big_orders, s.big_ledger_rows
    );
    println!(
        "machine CPU busy in the second before the run (other work): {}",
        pct(background)
    );
    println!(
        "seed (set-based SQL, {SEED_CHUNK} orders per statement): {SEED_CUSTOMERS} customers {:.1} s, \
         orders {:.1} s, ledger rows {:.1} s, upkeep ({}) {:.1} s — {:.1} s in all",
        s.customers.as_secs_f64(),
        s.order_rows.as_secs_f64(),
        s.ledger.as_secs_f64(),
        if backend == "PostgreSQL" {
            "VACUUM ANALYZE"
        } else {
            "WAL checkpoint"
        },
        s.upkeep.as_secs_f64(),
        (s.customers + s.order_rows + s.ledger + s.upkeep).as_secs_f64(),
    );
    println!(
        "search fragment '{}' is in {} links; each row: {} requests (or {} s) one after another on one \
         keep-alive connection (seq), then the same split over {} clients at once (c{}); {WARMUP_REQUESTS} \
         unmeasured requests first",
        r.fragment,
        r.fragment_matches,
        knobs.pages_requests,
        knobs.pages_seconds,
        knobs.pages_concurrency,
        knobs.pages_concurrency,
    );
    println!();
    println!(
        "| {:<38} | {:>5} | {:>7} | {:>6} | {:>5} | {:>7} | {:>7} | {:>7} | {:>5} | {:>7} | {:>7} | {:>7} |",
        "request", "items", "total", "KB", "seq n", "p50 ms", "p99 ms", "max ms", "c n", "p50 ms", "p99 ms", "max ms"
    );
    println!(
        "|{:-<40}|{:->7}|{:->9}|{:->8}|{:->7}|{:->9}|{:->9}|{:->9}|{:->7}|{:->9}|{:->9}|{:->9}|",
        "", "", "", "", "", "", "", "", "", "", "", ""
    );
    for row in &r.rows {
        let (seq, conc) = (&row.sequential, &row.concurrent);
        println!(
            "| {:<38} | {:>5} | {:>7} | {:>6.1} | {:>5} | {:>7.1} | {:>7.1} | {:>7.1} | {:>5} | {:>7.1} | {:>7.1} | {:>7.1} |",
            row.label,
            row.items.map_or_else(|| "-".into(), |i| i.to_string()),
            row.total.clone().unwrap_or_else(|| "-".into()),
            row.bytes as f64 / 1024.0,
            seq.ok,
            seq.percentile_ms(50.0),
            seq.percentile_ms(99.0),
            seq.percentile_ms(100.0),
            conc.ok,
            conc.percentile_ms(50.0),
            conc.percentile_ms(99.0),
            conc.percentile_ms(100.0),
        );
    }
    println!();
    for row in &r.rows {
        for (mode, sample) in [("seq", &row.sequential), ("c", &row.concurrent)] {
            if let Some(e) = &sample.first_error {
                println!(
                    "{} ({mode}): {} errors, first: {}",
                    row.label,
                    sample.errors,
                    e.chars().take(300).collect::<String>()
                );
            }
        }
    }
    if !r.cursors {
        println!(
            "this server answers no nextBefore (no keyset pagination); not run: {:?}",
            r.skipped
        );
    }
    for row in &r.rows {
        let p99 = row.sequential.percentile_ms(99.0);
        let errors = row.sequential.errors + row.concurrent.errors;
        println!(
            "target p99 ≤ {TARGET_P99_MS} ms (one client), {} [{}]: {p99:.1} ms — {}",
            row.label,
            row.path,
            met(p99 <= TARGET_P99_MS && errors == 0)
        );
    }
}
