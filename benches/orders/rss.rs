//! Memory of the real binary (phase `rss`, issue 13): `smm-panel serve` as its own
//! process on a database the bench prepared, its resident set idle and while the
//! one-customer intake load runs against it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::app::{set_mode, shop, spawn_app, BenchDb};
use crate::knobs::Knobs;
use crate::loadgen::{drive, LoadResult};
use crate::report::met;

pub struct RssResult {
    pub idle_mib: f64,
    pub load_peak_mib: f64,
    pub after_load_mib: f64,
    pub load: LoadResult,
}

fn vm_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// `smm-panel serve` as its own process, killed when dropped.
pub struct Serve(pub Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Serve {
    /// Starts `serve` with `env` (plus `extra`) on a free port and waits until it
    /// answers; returns it and its base URL.
    pub fn start(env: &std::collections::HashMap<String, String>, extra: &[(&str, &str)]) -> (Serve, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Serve(
            Command::new(env!("CARGO_BIN_EXE_smm-panel"))
                .arg("serve")
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .envs(env)
                .env("BIND", format!("127.0.0.1:{port}"))
                .env("RUST_LOG", "warn")
                .envs(extra.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start smm-panel serve"),
        );
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::blocking::get(format!("{base}/healthz")).map_or(true, |r| !r.status().is_success()) {
            assert!(Instant::now() < deadline, "serve did not answer in 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        (child, base)
    }
}

pub fn rss_phase(knobs: &Knobs) -> (&'static str, RssResult) {
    let db = BenchDb::new();
    eprintln!(
        "smm-panel rss bench on {}: `smm-panel serve` as its own process",
        db.backend
    );
    let sim_key = "bench-rss-sim-key";
    let sim = smm_panel::provider::sim::spawn(smm_panel::provider::sim::SimArgs {
        key: sim_key.into(),
        balance: smm_panel::domain::Money::parse("1000000000").expect("amount"),
        ..smm_panel::provider::sim::SimArgs::ephemeral()
    })
    .expect("provider-sim starts");
    // The catalogue and customer are made by an in-process app, which then stops.
    let setup = spawn_app(&db, knobs, &[]);
    let shop = shop(&setup, &sim, sim_key);
    set_mode(&setup, &shop, "manual");
    let env = setup.env.clone();
    drop(setup);

    let (child, base) = Serve::start(&env, &[]);
    let pid = child.0.id();
    // Idle: after start-up work (migrations checked, first sync round) has settled.
    std::thread::sleep(Duration::from_secs(3));
    let idle_mib = vm_rss_mib(pid).unwrap_or(f64::NAN);

    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let mut peak: f64 = 0.0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(vm_rss_mib(pid).unwrap_or(0.0));
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        })
    };
    let tokens = [shop.customer_token.clone()];
    let load = drive(
        "intake against `serve` (1 customer)",
        &format!("{base}/api/user/create-orders"),
        &tokens,
        shop.service_id,
        "r",
        knobs,
    );
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let load_peak_mib = sampler.join().expect("sampler");
    std::thread::sleep(Duration::from_secs(2));
    let after_load_mib = vm_rss_mib(pid).unwrap_or(f64::NAN);
    let backend = db.backend;
    drop(child);
    drop(sim);
    drop(db);
    (
        backend,
        RssResult {
            idle_mib,
            load_peak_mib,
            after_load_mib,
            load,
        },
    )
}

pub fn report_rss(backend: &str, r: &RssResult) {
    println!();
    println!("smm-panel memory — {backend} — `smm-panel serve` as its own process");
    println!(
        "{}: {} answered, {} errors, {:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
        r.load.label,
        r.load.sample.ok,
        r.load.sample.errors,
        r.load.per_second(),
        r.load.percentile_ms(50.0),
        r.load.percentile_ms(99.0)
    );
    println!(
        "RSS idle {:.1} MiB; peak under the intake load {:.1} MiB; 2 s after it {:.1} MiB",
        r.idle_mib, r.load_peak_mib, r.after_load_mib
    );
    println!(
        "target RSS ≤ 50 MB idle: {:.1} MiB — {}",
        r.idle_mib,
        met(r.idle_mib * 1.048_576 <= 50.0)
    );
    println!(
        "target RSS ≤ 150 MB under the intake load: {:.1} MiB — {}",
        r.load_peak_mib,
        met(r.load_peak_mib * 1.048_576 <= 150.0)
    );
}
