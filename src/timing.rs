//! Phase timings for profiling: with `GLOSSA_TIMINGS=1` in the environment,
//! each pipeline phase prints how long it took to stderr. Off, it costs one
//! cached environment lookup.
//!
//! Foundation: shared by every stage of the pipeline.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("GLOSSA_TIMINGS").is_some())
}

/// Prints `name: N ms` since `start` when timings are on; returns now.
pub fn lap(name: &str, start: Instant) -> Instant {
    crate::progress::phase_done(name);
    if enabled() {
        eprintln!(
            "[timing] {name}: {:.1} ms{}",
            start.elapsed().as_secs_f64() * 1000.0,
            memory()
        );
    }
    Instant::now()
}

/// `; RSS now N MB, peak M MB` from `/proc/self/status` (Linux), else "".
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    match (kb("VmRSS:"), kb("VmHWM:")) {
        (Some(now), Some(peak)) => format!("; RSS now {} MB, peak {} MB", now / 1024, peak / 1024),
        _ => String::new(),
    }
}

/// Whether timings are on (for callers that collect more detail).
pub fn on() -> bool {
    enabled()
}

/// CPU time per kind of work, summed across threads (e.g. per page kind).
#[derive(Default)]
pub struct PerKind(std::sync::Mutex<std::collections::BTreeMap<&'static str, (usize, f64)>>);

impl PerKind {
    /// Adds one item of `kind` that started at `start` (when timings are on).
    pub fn add(&self, kind: &'static str, start: Instant) {
        if enabled() {
            let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let e = m.entry(kind).or_default();
            e.0 += 1;
            e.1 += start.elapsed().as_secs_f64() * 1000.0;
        }
    }

    /// Prints the table (when timings are on).
    pub fn print(self) {
        if enabled() {
            for (kind, (n, ms)) in self.0.into_inner().unwrap_or_default() {
                eprintln!("[timing]   {kind}: {n} pages, {ms:.1} ms CPU");
            }
        }
    }
}
