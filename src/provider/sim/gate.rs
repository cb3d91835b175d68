//! A gate tests close on one action (`POST /sim/hold?action=add`) so that requests of
//! that action wait, unprocessed, until it is opened again (`POST /sim/release`).
//! `GET /sim/held` tells how many wait, so a test knows a call is in flight before it
//! stages what happens meanwhile: interleavings without timing luck.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::Notify;

#[derive(Default)]
pub(crate) struct Gate {
    held: Mutex<HashSet<String>>,
    waiting: AtomicUsize,
    opened: Notify,
}

impl Gate {
    fn is_held(&self, action: &str) -> bool {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(action)
    }

    pub fn hold(&self, action: &str) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(action.to_string());
    }

    /// Opens the gate for `action`, or for every action.
    pub fn release(&self, action: Option<&str>) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        match action {
            Some(action) => {
                held.remove(action);
            }
            None => held.clear(),
        }
        drop(held);
        self.opened.notify_waiters();
    }

    /// Requests waiting at the gate now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits while `action` is held.
    pub async fn pass(&self, action: &str) {
        if !self.is_held(action) {
            return;
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        loop {
            // Registered before the check, so a release in between is not missed.
            let opened = self.opened.notified();
            if !self.is_held(action) {
                break;
            }
            opened.await;
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}
