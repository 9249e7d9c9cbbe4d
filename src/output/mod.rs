//! Stage 5, output: putting pages on disk and remembering what was put there.
//!
//! - [`session`]: one rebuild — what `build` does once and `serve` after
//!   every edit, the full way or a patch of the kept graph;
//! - [`write`](mod@write): the output directory, all or nothing (path safety,
//!   skip-unchanged, staging and a journalled commit, stale files);
//! - [`manifest`]: what the last build wrote and from what, so the next
//!   one skips what did not change;
//! - [`inputs`]: the digest of every input, each file's hash kept by its
//!   stamp;
//! - [`statics`]: the static files, built-in and the site's own;
//! - [`hosting`]: the output's size against what common static hosts accept.

pub mod hosting;
pub mod inputs;
pub mod manifest;
pub mod session;
pub mod statics;
pub mod write;

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

/// One file of the output as a listing found it, with what the last build
/// recorded of it when the file is still as that build left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub stamp: crate::files::Stamp,
    pub last: Option<Last>,
}

/// Every file of the output directory ([`manifest::list_output`]), each with
/// the last build's record of it when there is one: one map, not a listing
/// and a map of records beside it — at 50,000 articles the two held the
/// 320,282 paths twice, some 80 MB, through the whole build after a change
/// every page shows.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: PathMap<Listed>,
    /// Whether the last build's records were read (its manifest still
    /// describes this output): then a file without one is not the same as
    /// anything, and is written again without being read.
    pub recorded: bool,
}
