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
