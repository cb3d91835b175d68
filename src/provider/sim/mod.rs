//! The simulated provider (SPEC §6): API v2 at `/api/v2` with a seeded catalogue,
//! clock-driven order progression and seeded fault switches.
//!
//! Faults and whether the request took effect:
//! - `--timeout-rate`, `--html-rate`, `--garbage-rate`, `--reset-rate`: the request
//!   is processed (an `add` creates the order, a `cancel` cancels), then the answer
//!   is lost — never sent, a 502 HTML page, truncated JSON, or a dropped connection.
//!   This is the case that makes a resend dangerous, and `/sim/orders` shows it.
//! - `--error-rate`: `{"error":"Incorrect request"}` and nothing is processed.
//! - `--latency-ms`: every `/api/v2` answer (faulted or not) is delayed.
//!
//! Each `/api/v2` request draws five numbers from the seeded PRNG, in a fixed
//! order, so with sequential requests a seed always gives the same faults.
//! `/sim/*` requests are never faulted and draw nothing.

mod catalogue;
mod faults;
mod gate;
mod http;
mod state;
#[cfg(test)]
mod tests;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::{web, App, HttpServer};

pub use faults::Fault;

use crate::domain::money::Money;
use faults::FaultRates;
use state::{Sim, SimConfig};

/// `smm-panel provider-sim` options.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub bind: String,
    /// The API key clients must send.
    #[arg(long, default_value = "sim-key")]
    pub key: String,
    /// Seconds per status step: Pending → In progress → Completed (0: complete at once).
    #[arg(long, default_value_t = 30)]
    pub step_secs: u64,
    /// Seed for fault draws and start counts.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Delay every API answer by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Probability (0–1) that a request is processed and then never answered.
    #[arg(long, default_value_t = 0.0, value_parser = faults::parse_probability)]
    pub timeout_rate: f64,
    /// Probability (0–1) of HTTP 502 with an HTML body (the request is processed).
    #[arg(long, default_value_t = 0.0, value_parser = faults::parse_probability)]
    pub html_rate: f64,
    /// Probability (0–1) of HTTP 200 with malformed JSON (the request is processed).
    #[arg(long, default_value_t = 0.0, value_parser = faults::parse_probability)]
    pub garbage_rate: f64,
    /// Probability (0–1) of `{"error":"Incorrect request"}` (nothing is processed).
    #[arg(long, default_value_t = 0.0, value_parser = faults::parse_probability)]
    pub error_rate: f64,
    /// Probability (0–1) that the connection is dropped without a response (the request is processed).
    #[arg(long, default_value_t = 0.0, value_parser = faults::parse_probability)]
    pub reset_rate: f64,
    /// Starting account balance in USD; `add` is refused once it runs out.
    #[arg(long, default_value = "1000")]
    pub balance: Money,
    /// Refuse multi-status calls (`orders=1,2,3`) like providers that lack them.
    #[arg(long)]
    pub no_multi_status: bool,
    /// Answer a multi-status call that names any unknown order with one error for the
    /// whole call, like providers that validate the list as a whole.
    #[arg(long)]
    pub strict_multi_status: bool,
}

impl Default for SimArgs {
    fn default() -> Self {
        SimArgs {
            bind: "127.0.0.1:9090".into(),
            key: "sim-key".into(),
            step_secs: 30,
            seed: 1,
            latency_ms: 0,
            timeout_rate: 0.0,
            html_rate: 0.0,
            garbage_rate: 0.0,
            error_rate: 0.0,
            reset_rate: 0.0,
            balance: Money::from_micros(1_000 * 1_000_000),
            no_multi_status: false,
            strict_multi_status: false,
        }
    }
}

impl SimArgs {
    /// The defaults, listening on a free loopback port (for tests and `demo`).
    pub fn ephemeral() -> Self {
        SimArgs {
            bind: "127.0.0.1:0".into(),
            ..SimArgs::default()
        }
    }

    fn config(&self) -> io::Result<SimConfig> {
        let faults = FaultRates {
            timeout: self.timeout_rate,
            html: self.html_rate,
            garbage: self.garbage_rate,
            error: self.error_rate,
            reset: self.reset_rate,
        };
        faults
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("provider-sim: {e}")))?;
        if self.balance.is_negative() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "provider-sim: --balance must not be negative",
            ));
        }
        Ok(SimConfig {
            key: self.key.clone(),
            step: Duration::from_secs(self.step_secs),
            seed: self.seed,
            latency: Duration::from_millis(self.latency_ms),
            faults,
            balance: self.balance,
            no_multi_status: self.no_multi_status,
            strict_multi_status: self.strict_multi_status,
        })
    }
}

/// A simulator running on its own thread. Stops on [`SimHandle::stop`] or drop.
#[derive(Debug)]
pub struct SimHandle {
    pub addr: SocketAddr,
    server: Option<actix_web::dev::ServerHandle>,
    thread: Option<JoinHandle<()>>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/api/v2`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v2", self.addr)
    }

    /// `http://ADDR` (for `/sim/orders`, `/sim/stats`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops at once (requests in flight are dropped) and waits for the thread.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            // The stop command is sent when `stop` is called; the returned future
            // only reports completion, which joining the thread waits for anyway.
            let completion = server.stop(false);
            drop(completion);
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("provider-sim: server thread panicked");
            }
        }
    }

    /// Blocks until the server stops (Ctrl-C for [`run`]).
    fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("provider-sim: server thread panicked");
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves until Ctrl-C / SIGTERM. Prints `provider-sim listening on …` to stdout.
pub fn run(args: SimArgs) -> io::Result<()> {
    let handle = start(&args, true, None)?;
    println!("provider-sim listening on {} (key: {})", handle.api_url(), args.key);
    handle.wait();
    Ok(())
}

/// Starts the simulator on its own thread and actix system (2 workers, no signal
/// handling) and returns once it is listening. `bind` may use port 0.
pub fn spawn(args: SimArgs) -> io::Result<SimHandle> {
    start(&args, false, Some(2))
}

fn start(args: &SimArgs, signals: bool, workers: Option<usize>) -> io::Result<SimHandle> {
    let config = args.config()?;
    let listener = TcpListener::bind(&args.bind)
        .map_err(|e| io::Error::new(e.kind(), format!("provider-sim: cannot listen on {}: {e}", args.bind)))?;
    let addr = listener.local_addr()?;
    let sim = web::Data::new(Sim::new(config));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new().name("provider-sim".into()).spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let mut server = HttpServer::new(move || App::new().app_data(sim.clone()).configure(http::routes))
                // Pending "timeouts" must not hold up a shutdown.
                .shutdown_timeout(1)
                .keep_alive(Duration::from_secs(75));
            if let Some(workers) = workers {
                server = server.workers(workers);
            }
            if !signals {
                server = server.disable_signals();
            }
            let server = match server.listen(listener) {
                Ok(server) => server.run(),
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(server.handle()));
            if let Err(e) = server.await {
                log::error!("provider-sim: server error: {e}");
            }
        });
    })?;
    let server = ready_rx
        .recv()
        .map_err(|_| io::Error::other("provider-sim: server thread ended before listening"))??;
    log::debug!("provider-sim listening on http://{addr}/api/v2");
    Ok(SimHandle {
        addr,
        server: Some(server),
        thread: Some(thread),
    })
}
