//! This process's CPU time, resident memory and open files, from the kernel
//! (`getrusage`, `/proc/self/statm`, `/proc/self/fd`). Elsewhere than Linux the
//! memory and file figures read 0.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

static STARTED: OnceLock<(Instant, f64)> = OnceLock::new();

fn started() -> (Instant, f64) {
    *STARTED.get_or_init(|| {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        (Instant::now(), unix)
    })
}

/// When this process started measuring (Unix seconds); fixed at the first call.
pub fn start_time_secs() -> f64 {
    started().1
}

pub fn uptime() -> Duration {
    started().0.elapsed()
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    /// User + system CPU seconds since the process started.
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
    pub open_fds: u64,
}

impl Figures {
    pub fn read() -> Self {
        Self {
            cpu_seconds: cpu_seconds(),
            rss_bytes: rss_bytes(),
            open_fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
        }
    }
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own; RUSAGE_SELF is valid.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a system constant.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page_size).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_uses_memory_cpu_and_files() {
        let busy: u64 = (0..2_000_000u64).map(|i| i ^ (i >> 3)).sum();
        assert!(busy > 0);
        let figures = super::Figures::read();
        assert!(figures.cpu_seconds > 0.0);
        if cfg!(target_os = "linux") {
            assert!(figures.rss_bytes > 1024 * 1024, "{figures:?}");
            assert!(figures.open_fds >= 3, "{figures:?}");
        }
    }
}
