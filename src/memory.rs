//! Giving memory the build has freed back to the system between its phases.
//!
//! The allocator (jemalloc, chosen by the `glossa` binary, see `main.rs`)
//! keeps freed pages for a second before returning them, which suits the
//! phases themselves: a page freed is soon used again. Between phases it
//! does not: what loading freed (each article's files, read and decoded
//! when its anchoring came from the store) is still counted when the
//! pages render, and a build after one edit lasts a few seconds. At
//! 50,000 articles such a build peaked at 525–537 MB with the pages kept,
//! some 45 MB more than with every freed page returned at once (which
//! costs a fifth more time: each new allocation is a page fault). So a
//! build gives them back at two points, when the graph is built and when
//! the pages are rendered ([`release`]), for no time measurable (482 MB);
//! the binary says how ([`on_release`]). A library user with another
//! allocator gives nothing, and nothing happens.
//!
//! Foundation: shared by every stage of the pipeline.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Sets how [`release`] gives freed memory back (once per process; a
/// second call is ignored).
pub fn on_release(f: fn()) {
    let _ = RELEASE.set(f);
}

/// Gives the memory freed so far back to the system, if the program said
/// how ([`on_release`]).
pub fn release() {
    if let Some(f) = RELEASE.get() {
        f();
    }
}
