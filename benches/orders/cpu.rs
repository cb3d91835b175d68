//! CPU accounting from /proc (Linux); `None` elsewhere.

/// (busy, total) jiffies of the whole machine.
fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let values: Vec<u64> = line.split_whitespace().filter_map(|v| v.parse().ok()).collect();
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// utime + stime, in jiffies, of a `/proc/.../stat` file.
pub fn stat_cpu(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of proc(5), counted from after the command name (field 3 is index 0).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Bytes this process passed to write-like system calls (`wchar` of `/proc/self/io`):
/// SQLite's WAL and database pages, and HTTP on both ends of every loopback connection.
fn written_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|l| l.strip_prefix("wchar:")?.trim().parse().ok())
}

/// CPU use over a phase, as a share of all cores (100 % = every core busy), and what
/// the process wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuShare {
    pub machine: Option<f64>,
    pub process: Option<f64>,
    pub loadgen: Option<f64>,
    /// CPU seconds this process spent (server, provider-sim and load generator).
    pub process_secs: Option<f64>,
    pub written: Option<u64>,
}

pub struct CpuMark {
    machine: Option<(u64, u64)>,
    process: Option<u64>,
    written: Option<u64>,
}

impl CpuMark {
    pub fn now() -> Self {
        Self {
            machine: machine_cpu(),
            process: stat_cpu("/proc/self/stat"),
            written: written_bytes(),
        }
    }

    /// Shares since `self`; `loadgen` is the generator thread's jiffies, if known.
    pub fn since(&self, loadgen: Option<u64>) -> CpuShare {
        let later = Self::now();
        let written = self.written.zip(later.written).map(|(a, b)| b - a);
        let (Some((b0, t0)), Some((b1, t1))) = (self.machine, later.machine) else {
            return CpuShare {
                written,
                ..CpuShare::default()
            };
        };
        let total = (t1 - t0) as f64;
        if total <= 0.0 {
            return CpuShare::default();
        }
        let share = |jiffies: u64| 100.0 * jiffies as f64 / total;
        let process = self.process.zip(later.process).map(|(a, b)| b - a);
        CpuShare {
            machine: Some(share(b1 - b0)),
            process: process.map(share),
            loadgen: loadgen.map(share),
            process_secs: process.map(|j| j as f64 / CLOCK_TICKS),
            written,
        }
    }
}

/// `USER_HZ`: the unit of /proc CPU times (100 on every mainstream Linux).
const CLOCK_TICKS: f64 = 100.0;
