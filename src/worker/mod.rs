//! Background work on blocking threads: forwarding orders to providers (and, as it
//! lands, status sync). Work lives in the database, never only in memory, so a crash
//! loses nothing; threads sleep on a condition variable until woken or due.

pub mod forwarder;
pub mod wake;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::state::AppState;

/// Asks the workers to stop after their current step.
#[derive(Clone)]
pub struct WorkerControl {
    shutdown: Arc<AtomicBool>,
    state: AppState,
}

impl WorkerControl {
    pub fn stop(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.state.wake.notify();
    }
}

/// The running worker threads.
pub struct WorkerPool {
    shutdown: Arc<AtomicBool>,
    state: AppState,
    handles: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `WORKERS` forwarder threads.
    pub fn start(state: AppState) -> std::io::Result<Self> {
        let shutdown = Arc::new(AtomicBool::new(false));
        let token = hex::encode(crate::crypto::random_bytes::<4>().unwrap_or_default());
        let mut handles = Vec::new();
        for index in 0..state.config.workers {
            let (state, shutdown) = (state.clone(), shutdown.clone());
            let owner = format!("{token}-{}-{index}", std::process::id());
            handles.push(
                std::thread::Builder::new()
                    .name(format!("forwarder-{index}"))
                    .spawn(move || forwarder::run(state, owner, index == 0, shutdown))?,
            );
        }
        log::info!("started {} forwarding workers", handles.len());
        Ok(Self {
            shutdown,
            state,
            handles,
        })
    }

    /// A handle that asks the threads to stop without waiting for them.
    pub fn control(&self) -> WorkerControl {
        WorkerControl {
            shutdown: self.shutdown.clone(),
            state: self.state.clone(),
        }
    }

    /// Asks every thread to stop after its current step, and waits for them: an order
    /// being forwarded finishes its call and records the outcome first.
    pub fn stop(self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.state.wake.notify();
        for handle in self.handles {
            let _ = handle.join();
        }
        log::info!("workers stopped");
    }
}
