//! Progress on a terminal: while a build runs, one line on stderr names the phase it is in
//! (load, anchor, link, page dependencies, render, write) with a count and, for rendering, a
//! bar. Only when stderr is a terminal and `--quiet` is not given (`enable`): a pipe, a file or
//! a CI log gets nothing from here. The line is cleared when the build ends, so what stays on
//! the screen is the same as without it.
//!
//! Phases are marked where they end already (`timing::lap` calls `phase_done`), so the stages
//! that report them need no code of their own; rendering counts its pages (`Bar`).
//!
//! Foundation: shared by every stage of the pipeline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ON: AtomicBool = AtomicBool::new(false);

/// The line shown: a spinner between counted phases, a bar while pages render.
fn line() -> &'static Mutex<Option<ProgressBar>> {
    static LINE: OnceLock<Mutex<Option<ProgressBar>>> = OnceLock::new();
    LINE.get_or_init(|| Mutex::new(None))
}

/// Turns progress on (the command line does, when stderr is a terminal and not `--quiet`).
pub fn enable(on: bool) {
    ON.store(on, Ordering::Relaxed);
}

/// Whether progress is shown.
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("a valid template"));
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Shows `message` as what is being done now (a spinner), replacing the line shown.
pub fn start(message: &str) {
    if on() {
        let mut line = line().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = line.replace(spinner(message.to_string())) {
            old.finish_and_clear();
        }
    }
}

/// What runs after the phase `timing::lap` names (by the start of its name).
const NEXT: &[(&str, &str)] = &[
    ("read the manifest", "loading articles, annotations and entities"),
    ("load content", "anchoring annotations"),
    ("anchor articles", "linking entities, quotes and related articles"),
    ("anchor + link", "indexing for search, hashing each page's inputs"),
    ("search index", "hashing each page's inputs"),
    ("render + stage", "writing the output"),
    ("commit writes", "writing the manifest"),
];

/// A phase has ended (`timing::lap` names it): the line names the next one, if known.
pub fn phase_done(name: &str) {
    if on()
        && let Some((_, next)) = NEXT.iter().find(|(done, _)| name.trim_start().starts_with(done))
    {
        start(next);
    }
}

/// Clears the line (the build has ended).
pub fn clear() {
    if on()
        && let Some(old) = line().lock().unwrap_or_else(|e| e.into_inner()).take()
    {
        old.finish_and_clear();
    }
}

/// A counted phase (pages rendered): a bar with `done/total` while it lasts. Nothing is drawn
/// when progress is off; `inc` is then one relaxed load.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// Starts the bar, replacing the line shown.
    pub fn new(message: &str, total: usize) -> Bar {
        if !on() {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {human_pos}/{human_len} {elapsed}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        let mut line = line().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = line.replace(bar.clone()) {
            old.finish_and_clear();
        }
        Bar(Some(bar))
    }

    /// One more done.
    pub fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
}
