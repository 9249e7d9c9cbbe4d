//! Phase timings for profiling: with `GLOSSA_TIMINGS=1` in the environment,
//! each pipeline phase prints how long it took to stderr. Off, it costs one
//! cached environment lookup.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("GLOSSA_TIMINGS").is_some())
}

/// Prints `name: N ms` since `start` when timings are on; returns now.
pub fn lap(name: &str, start: Instant) -> Instant {
    if enabled() {
        eprintln!("[timing] {name}: {:.1} ms", start.elapsed().as_secs_f64() * 1000.0);
    }
    Instant::now()
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
