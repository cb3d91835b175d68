//! Background work on blocking threads: forwarding orders to providers (and, as it
//! lands, status sync). Work lives in the database, never only in memory, so a crash
//! loses nothing; threads sleep on a condition variable until woken or due.

pub mod forwarder;
pub mod scheduler;
pub mod wake;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How many worker threads still run, for a stop that waits without owning them.
#[derive(Default)]
struct Running {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Running {
    /// Runs `body` as one counted thread.
    fn track(self: &Arc<Self>, body: impl FnOnce() + Send + 'static) -> impl FnOnce() + Send + 'static {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        let running = self.clone();
        move || {
            body();
            *running.count.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
            running.changed.notify_all();
        }
    }

    fn wait_idle(&self, timeout: Duration) {
        let count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .changed
            .wait_timeout_while(count, timeout, |n| *n > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

use crate::state::AppState;

/// Asks the workers to stop after their current step.
#[derive(Clone)]
pub struct WorkerControl {
    shutdown: Arc<AtomicBool>,
    state: AppState,
    stop_signal: Arc<wake::Wake>,
    running: Arc<Running>,
}

impl WorkerControl {
    pub fn stop(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.state.wake.notify();
        self.stop_signal.notify();
    }

    /// Stops the threads and waits (up to `timeout`) until each finished its step.
    pub fn stop_and_wait(&self, timeout: Duration) {
        self.stop();
        self.running.wait_idle(timeout);
    }
}

/// The running worker threads.
pub struct WorkerPool {
    shutdown: Arc<AtomicBool>,
    state: AppState,
    /// Wakes the scheduler only to stop (order wake-ups are none of its business).
    stop_signal: Arc<wake::Wake>,
    running: Arc<Running>,
    handles: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `WORKERS` forwarder threads and the sync scheduler.
    pub fn start(state: AppState) -> std::io::Result<Self> {
        let shutdown = Arc::new(AtomicBool::new(false));
        let stop_signal = Arc::new(wake::Wake::default());
        let running = Arc::new(Running::default());
        let token = state.runner_id.clone();
        let mut handles = Vec::new();
        {
            let (state, shutdown, stop_signal) = (state.clone(), shutdown.clone(), stop_signal.clone());
            let runner = format!("{token}-scheduler");
            handles.push(
                std::thread::Builder::new()
                    .name("sync-scheduler".into())
                    .spawn(running.track(move || scheduler::run(state, runner, shutdown, stop_signal)))?,
            );
        }
        if state.config.metrics {
            let (state, shutdown, stop_signal) = (state.clone(), shutdown.clone(), stop_signal.clone());
            handles.push(
                std::thread::Builder::new()
                    .name("metrics-sampler".into())
                    .spawn(running.track(move || crate::telemetry::sampler::run(state, shutdown, stop_signal)))?,
            );
        }
        for index in 0..state.config.workers {
            let (state, shutdown) = (state.clone(), shutdown.clone());
            let owner = format!("{token}-{}-{index}", std::process::id());
            handles.push(
                std::thread::Builder::new()
                    .name(format!("forwarder-{index}"))
                    .spawn(running.track(move || forwarder::run(state, owner, index == 0, shutdown)))?,
            );
        }
        log::info!(
            "started {} forwarding workers and the sync scheduler",
            state.config.workers
        );
        Ok(Self {
            shutdown,
            state,
            stop_signal,
            running,
            handles,
        })
    }

    /// A handle that asks the threads to stop without waiting for them.
    pub fn control(&self) -> WorkerControl {
        WorkerControl {
            shutdown: self.shutdown.clone(),
            state: self.state.clone(),
            stop_signal: self.stop_signal.clone(),
            running: self.running.clone(),
        }
    }

    /// Asks every thread to stop after its current step, and waits for them: an order
    /// being forwarded finishes its call and records the outcome first.
    pub fn stop(self) {
        self.control().stop();
        for handle in self.handles {
            let _ = handle.join();
        }
        log::info!("workers stopped");
    }
}
