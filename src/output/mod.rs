//! Stage 5, output: putting pages on disk and remembering what was put there.
//!
//! - [`session`]: one rebuild — what `build` does once and `serve` after
//!   every edit, the full way or a patch of the kept graph;
//! - [`write`](mod@write): the output directory, all or nothing (path safety,
//!   skip-unchanged, staging and a journalled commit, stale files);
//! - [`manifest`]: what the last build wrote and from what, so the next
//!   one skips what did not change;
//! - [`listing`]: what the output holds now, walked or guided by the
//!   manifest's folders;
//! - [`inputs`]: the digest of every input, each file's hash kept by its
//!   stamp;
//! - [`statics`]: the static files, built-in and the site's own;
//! - [`hosting`]: the output's size against what common static hosts accept.

pub mod hosting;
pub mod inputs;
pub mod listing;
pub mod manifest;
pub mod session;
pub mod statics;
pub mod write;

pub use listing::{Listed, Listing};

/// A map keyed by output path (relative, `/`-separated). A build after one
/// edit fills several with each of the site's ~70,000 outputs and looks
/// each up again: hashed with FxHash, not std's SipHash (the keys are the
/// site's own paths, not untrusted input).
pub type PathMap<V> = std::collections::HashMap<String, V, rustc_hash::FxBuildHasher>;

/// What the last build (a session's own, or the one whose manifest it read)
/// left at an output path: one record per path, in one map, not a map per
/// field — at 50,000 articles a map of the 320,282 paths costs some 30 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Last {
    /// A hash of the bytes written there ([`crate::files::hash`]).
    pub hash: u64,
    /// What the page was made from (its view's fingerprint), when known.
    pub fingerprint: Option<u64>,
    /// A hash of the graph nodes the page's view read
    /// ([`crate::render::deps`]); 0 when not known.
    pub deps: u64,
}

impl Last {
    /// Whether the page's view read nodes of hash `deps` then too (never
    /// when that is not known): then it need not even be built again.
    pub fn read_the_same(&self, deps: u64) -> bool {
        self.deps != 0 && self.deps == deps
    }
}

impl From<&manifest::Record> for Last {
    fn from(r: &manifest::Record) -> Last {
        Last {
            hash: r.hash,
            fingerprint: Some(r.fingerprint),
            deps: r.deps,
        }
    }
}
