//! Anchoring results kept on disk between processes, so that `glossa build`
//! after one edit (a new process: a deploy) anchors only the edited article.
//!
//! One file per article in `.glossa-cache/anchors/`, named by its key: a
//! 128-bit hash of everything anchoring the article reads but which linked
//! articles exist (see [`super::article::Anchoring::stored_key`]: the hash
//! of its files' bytes, the entity ids in index order, every autolinked
//! name with its entity, the site's `autolink`, root URL and UI strings)
//! and of this glossa executable ([`crate::files::executable_identity`]). A
//! changed input is a different file name, so a stale entry is never read;
//! it is removed by [`Store::prune`] after the build. Which linked articles
//! existed is in the result ([`Anchored::links`]), checked before it is
//! used: so the key is known before the annotations are parsed, and a
//! result found is used without parsing them. A Markdown article's key
//! reads its files' hashes, not their text: when the inputs' digest knows
//! those hashes, the key is known before the files are read, and with the
//! article's values ([`Meta`], stored beside the result when loading it
//! reported nothing) the article is made without reading them at all
//! (`site::stream`).
//!
//! A file is a header ([`crate::files::seal`]: magic, format version, the key
//! again, the payload's length and xxh3 checksum) and the [`Anchored`] with the article's
//! [`Meta`] (or none) in postcard. Only results without diagnostics are
//! kept (those point into sources that must be loaded anyway). Anything
//! unreadable, truncated, damaged or of another format is a miss: the
//! article is anchored again, nothing is reported.
//! Files are written in place, not to a temporary name renamed (10,000 renames in a cold
//! build at 10,000 articles): a concurrent build that reads half of one finds its length or
//! checksum wrong, a miss, and two builds that put one key put the same bytes. Deleting the
//! folder is always safe.
//!
//! Stage 2 of the pipeline: anchoring.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::article::Anchored;
use crate::content::Meta;

/// What the format is; another value is a miss.
const MAGIC: &[u8; 8] = b"glsanc01";

/// The version of what is stored, part of every key: bump it when
/// [`Anchored`] or what anchoring reads changes (a different executable
/// changes every key anyway).
pub const FORMAT: u32 = 6;

/// The key as the file's ids (its two halves, the low one first: the key's 16 bytes).
fn ids(key: Key) -> [u64; 2] {
    [key as u64, (key >> 64) as u64]
}

/// A key: see the module's doc.
pub type Key = u128;

/// The folder of stored anchoring results.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// Whether the folder was made (or found), once, when the first result
    /// was put: not again for each of a cold build's 10,000 articles.
    made: std::sync::OnceLock<bool>,
    /// Whether the folder was there when the store was opened (a store is opened for one load
    /// of the site). If it was not, nothing is looked up: a cold build looked each of its
    /// 10,000 articles up twice, 20,000 opens that all failed. What the load puts is for the
    /// next one; a result another process puts meanwhile is missed, which only costs time.
    found: bool,
    /// How many lookups found a sound result.
    hits: std::sync::atomic::AtomicUsize,
}

impl Store {
    /// The store in `cache_dir` (a site's `.glossa-cache`); nothing is
    /// created until something is put.
    pub fn new(cache_dir: &Path) -> Store {
        let dir = cache_dir.join("anchors");
        Store {
            found: dir.is_dir(),
            dir,
            made: std::sync::OnceLock::new(),
            hits: Default::default(),
        }
    }

    /// How many lookups found a sound result so far.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn file(&self, key: Key) -> PathBuf {
        self.dir.join(format!("{key:032x}"))
    }

    /// The result stored under `key`, if a sound one is there, with the
    /// article's values when they were stored too.
    pub fn get(&self, key: Key) -> Option<(Anchored, Option<Meta>)> {
        if !self.found {
            return None;
        }
        let found = decode(&std::fs::read(self.file(key)).ok()?, key)?;
        self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(found)
    }

    /// Stores `an` under `key` when it has no diagnostics, with the
    /// article's values `meta` when its loading reported nothing either
    /// (else the next build must load it, to report that again); a failure
    /// to write only costs the next build time.
    pub fn put(&self, key: Key, an: &Anchored, meta: Option<&Meta>) {
        if !an.diags.is_empty() || !an.reanchored.is_empty() {
            return;
        }
        let Some(bytes) = encode(key, an, meta) else { return };
        if !*self.made.get_or_init(|| std::fs::create_dir_all(&self.dir).is_ok()) {
            return;
        }
        // (in place: a reader that finds the file half-written finds its length or checksum
        // wrong, a miss; two builds writing one key write the same bytes)
        let file = self.file(key);
        if std::fs::write(&file, bytes).is_err() {
            let _ = std::fs::remove_file(&file);
        }
    }

    /// Removes every stored result whose key is not in `used` (stale ones,
    /// and temporary files a killed build left).
    pub fn prune(&self, used: &HashSet<Key>) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let key = name.to_str().and_then(|n| Key::from_str_radix(n, 16).ok());
            if key.is_none_or(|k| !used.contains(&k)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The file's bytes for `an` and `meta` under `key`.
fn encode(key: Key, an: &Anchored, meta: Option<&Meta>) -> Option<Vec<u8>> {
    let payload = postcard::to_stdvec(&(an, meta)).ok()?;
    Some(crate::files::seal(MAGIC, &ids(key), &payload))
}

/// The result in a file's bytes, if they are sound and for `key`.
fn decode(bytes: &[u8], key: Key) -> Option<(Anchored, Option<Meta>)> {
    postcard::from_bytes(crate::files::unseal(bytes, MAGIC, &ids(key))?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::article::{MentionNode, NoteNode};
    use crate::packed::Packed;

    fn sample() -> Anchored {
        Anchored {
            text: Packed::new("Ông Đặng nói rằng"),
            body_html: Packed::new("<p>Ông <a href=\"/e/dang/\">Đặng</a> nói rằng</p>"),
            explicit: Vec::new(),
            mentions: vec![MentionNode {
                entity: 3,
                n: 1,
                range: 4..11,
            }],
            mention_context: 7,
            quotes: Vec::new(),
            links: vec![("khac".into(), true)],
            notes: vec![NoteNode {
                number: 1,
                id: "n1".into(),
                body_html: "<em>x</em>".into(),
            }],
            diags: Vec::new(),
            reanchored: Vec::new(),
        }
    }

    #[test]
    fn gives_back_what_was_put_under_the_same_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.put(7, &sample(), None);
        // (opened with no folder, it looks nothing up: what a load puts is for the next one)
        assert!(store.get(7).is_none());
        let store = Store::new(dir.path());
        let (got, meta) = store.get(7).expect("stored");
        assert!(meta.is_none());
        assert_eq!(got.text.unpack(), "Ông Đặng nói rằng");
        assert_eq!(got.body_html.unpack(), sample().body_html.unpack());
        assert_eq!(got.mentions[0].range, 4..11);
        assert_eq!(got.notes[0].body_html, "<em>x</em>");
        assert!(store.get(8).is_none());
        // a file renamed to another key is not taken for it
        std::fs::copy(store.file(7), store.file(8)).unwrap();
        assert!(store.get(8).is_none());
    }

    #[test]
    fn damaged_or_foreign_files_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        Store::new(dir.path()).put(1, &sample(), None);
        let store = Store::new(dir.path());
        let good = std::fs::read(store.file(1)).unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            std::fs::write(store.file(1), &bad).unwrap();
            assert!(store.get(1).is_none(), "byte {i} flipped");
        }
        // (the header: magic, key, the payload's length and checksum)
        let header = crate::files::sealed_header(2);
        for n in [0, 5, header, good.len() - 1] {
            std::fs::write(store.file(1), &good[..n]).unwrap();
            assert!(store.get(1).is_none(), "cut at {n}");
        }
        std::fs::write(store.file(1), [&good[..], b"x"].concat()).unwrap();
        assert!(store.get(1).is_none(), "trailing byte");
    }

    #[test]
    fn keeps_nothing_with_diagnostics_and_prunes_the_unused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let mut an = sample();
        an.diags
            .push(crate::diagnostics::Diagnostic::warning(Path::new("a.md"), None, "w"));
        store.put(1, &an, None);
        store.put(2, &sample(), None);
        store.put(3, &sample(), None);
        let store = Store::new(dir.path());
        assert!(store.get(1).is_none() && store.get(2).is_some());
        std::fs::write(dir.path().join("anchors/junk.tmp1"), "x").unwrap();
        store.prune(&HashSet::from([3]));
        assert!(store.get(2).is_none() && store.get(3).is_some());
        assert_eq!(std::fs::read_dir(dir.path().join("anchors")).unwrap().count(), 1);
    }
}
