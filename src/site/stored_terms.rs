//! The term index kept on disk between processes, so that `glossa build`
//! after an edit (a new process: a deploy) re-indexes the documents that
//! changed instead of folding every word of the site again.
//!
//! One file, `.glossa-cache/search-terms`, written after a build that made
//! or changed the index: a header (magic, this executable's identity and the
//! format, the payload's length and xxh3 checksum), then in postcard a key
//! per document of each kind and every term with its postings
//! (delta-encoded). A document's key hashes everything the index reads of
//! it: an entity's name and aliases; an article's inputs (its files and what
//! its anchoring read), title, description, tags and the names it names; a
//! quote's words and speaker. The next build reads it back when it has as
//! many documents of each kind, and re-indexes those whose key differs;
//! more than a few changed, another executable, or a file that is
//! unreadable, damaged or inconsistent is a miss and the index is built
//! from scratch.
//! Deleting the file is always safe.
//!
//! Stage 3 of the pipeline: the site graph.

use std::collections::BTreeMap;
use std::path::Path;

use super::Site;
use super::posting_list::PostingList;
use super::terms::{DocKind, Entry, Index, Postings, doc_of, named};
use crate::files::hash_value;

/// What the format is; another value is a miss.
const MAGIC: &[u8; 8] = b"glstrm01";

/// The version of the payload, part of the identity: bump it when
/// [`Stored`] or what a document's key covers changes.
const FORMAT: u64 = 1;

/// Header ([`crate::files::seal`]): magic, identity (8), payload length (8), payload checksum (8).
const HEADER: usize = crate::files::sealed_header(1);

/// The file, in the site's cache folder.
const FILE: &str = "search-terms";

/// What the file holds: per kind ([`DocKind`] order), per document, its key;
/// every term, in order, with its entries per kind, each written as the
/// difference from the one before (entries rise with the document). Written
/// from the index itself ([`View`]); read back straight into the index's
/// compressed lists ([`Listed`]), not through a `u32` per entry, which at
/// 50,000 articles held some 60 MB more at the peak of a build after an edit.
#[derive(serde::Deserialize)]
struct Stored {
    keys: [Vec<u64>; 3],
    terms: Vec<(Box<str>, [Listed; 3])>,
}

/// A term's entries of one kind, read from their deltas into a
/// [`PostingList`]; an entry that does not rise past the one before (or
/// overflows) makes the file unreadable.
struct Listed(PostingList);

impl<'de> serde::Deserialize<'de> for Listed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Deltas;
        impl<'de> serde::de::Visitor<'de> for Deltas {
            type Value = Listed;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rising list of entries, as deltas")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Listed, A::Error> {
                let mut list = PostingList::default();
                let mut at: Entry = 0;
                while let Some(d) = seq.next_element::<u32>()? {
                    let before = at;
                    at = at
                        .checked_add(d)
                        .ok_or_else(|| serde::de::Error::custom("an entry past u32"))?;
                    // (each entry of a document after the one before's)
                    if !list.is_empty() && doc_of(at) == doc_of(before) {
                        return Err(serde::de::Error::custom("entries do not rise"));
                    }
                    list.push(at);
                }
                list.fit();
                Ok(Listed(list))
            }
        }
        d.deserialize_seq(Deltas)
    }
}

/// Per kind, per document, a hash of what the index reads of it: an
/// entity's name and aliases; an article's inputs (its files and what its
/// anchoring read: its text), title, description, tags and the names of the
/// entities it names; a quote's words and its speaker's name. `None` for a
/// graph built without input keys.
fn doc_keys(site: &Site) -> Option<[Vec<u64>; 3]> {
    if site.articles.iter().any(|a| a.input_key == 0) {
        return None;
    }
    let name = |e: usize| site.entities[e].src.name.as_str();
    let entities = site
        .entities
        .iter()
        .map(|e| hash_value((&e.src.name, &e.src.aliases)))
        .collect();
    let articles = site
        .articles
        .iter()
        .map(|a| {
            let names: Vec<&str> = named(a).into_iter().map(name).collect();
            hash_value((a.input_key, &a.src.title, &a.src.description, &a.src.tags, names))
        })
        .collect();
    let quotes = site
        .quotes
        .iter()
        .map(|q| hash_value((&q.text, name(q.speaker))))
        .collect();
    Some([entities, articles, quotes])
}

fn identity() -> u64 {
    crate::files::executable_identity() ^ FORMAT
}

/// Whether `dir` holds an index at all (stale or not): whether a build is
/// likely to read one back rather than build it.
pub fn exists(dir: &Path) -> bool {
    dir.join(FILE).is_file()
}

/// The index `dir` holds for `site`, brought up to date (the documents whose
/// key changed re-indexed), and whether any was; `None` for a miss.
pub fn load(site: &Site, dir: &Path) -> Option<(Index, bool)> {
    let t = std::time::Instant::now();
    let keys = doc_keys(site)?;
    let stored = decode(&std::fs::read(dir.join(FILE)).ok()?)?;
    let mut changed: [Vec<usize>; 3] = Default::default();
    for kind in DocKind::ALL {
        let (old, new) = (&stored.keys[kind as usize], &keys[kind as usize]);
        if old.len() != new.len() {
            return None;
        }
        changed[kind as usize] = (0..new.len()).filter(|&d| old[d] != new[d]).collect();
    }
    // (re-indexing a document reads every term: past a few, building is faster)
    let n: usize = changed.iter().map(Vec::len).sum();
    let docs: usize = keys.iter().map(Vec::len).sum();
    if n > (docs / 100).max(32) {
        return None;
    }
    let terms = postings(stored.terms, &keys)?;
    let mut index = Index::from_terms(site, terms);
    for kind in DocKind::ALL {
        if !changed[kind as usize].is_empty() {
            index.patch(site, kind, &changed[kind as usize]);
        }
    }
    crate::timing::lap(
        &format!(
            "  search index: {} terms read back, {n} documents re-indexed",
            index.terms.len()
        ),
        t,
    );
    Some((index, n > 0))
}

/// The terms' postings as read; `None` when an entry names a document the
/// site does not have.
fn postings(terms: Vec<(Box<str>, [Listed; 3])>, keys: &[Vec<u64>; 3]) -> Option<BTreeMap<Box<str>, Postings>> {
    let mut out = BTreeMap::new();
    for (term, lists) in terms {
        let mut p = Postings::default();
        for (k, Listed(list)) in lists.into_iter().enumerate() {
            if list.last_doc().is_some_and(|doc| doc >= keys[k].len()) {
                return None;
            }
            p.0[k] = list;
        }
        out.insert(term, p);
    }
    Some(out)
}

/// A term's entries of one kind as the file has them: deltas, made as
/// they are written (no copy of the index while it is saved).
struct Deltas<'a>(&'a PostingList);

impl serde::Serialize for Deltas<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut last = 0;
        s.collect_seq(self.0.iter().map(|e| {
            let d = e - last;
            last = e;
            d
        }))
    }
}

/// What [`Stored`] holds, borrowed from the index: the same bytes.
struct View<'a> {
    keys: &'a [Vec<u64>; 3],
    index: &'a Index,
}

impl serde::Serialize for View<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let terms = Terms(self.index);
        let mut st = s.serialize_struct("Stored", 2)?;
        st.serialize_field("keys", self.keys)?;
        st.serialize_field("terms", &terms)?;
        st.end()
    }
}

struct Terms<'a>(&'a Index);

impl serde::Serialize for Terms<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.terms.iter().map(|(t, p)| {
            let [e, a, q] = &p.0;
            (t, (Deltas(e), Deltas(a), Deltas(q)))
        }))
    }
}

/// An index to store, with its documents' keys: all [`Unsaved::save`] needs
/// of the graph, which can be freed first.
pub struct Unsaved {
    keys: [Vec<u64>; 3],
    index: std::sync::Arc<Index>,
    dir: std::path::PathBuf,
}

impl Unsaved {
    /// `index`, made for `site`, to be stored in `dir`; `None` when the
    /// graph was built without input keys.
    pub fn of(site: &Site, index: std::sync::Arc<Index>, dir: &Path) -> Option<Unsaved> {
        Some(Unsaved {
            keys: doc_keys(site)?,
            index,
            dir: dir.to_path_buf(),
        })
    }

    /// Writes the file (whole or not at all: a temporary file renamed). The
    /// payload goes to the file as it is encoded, its length and checksum
    /// counted on the way and written into the header last: at 50,000
    /// articles it is tens of megabytes, which a build would otherwise hold
    /// at its end, when its memory peaks.
    pub fn save(self) {
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let file = self.dir.join(FILE);
        let tmp = self.dir.join(format!("{FILE}.tmp{}", std::process::id()));
        let view = View {
            keys: &self.keys,
            index: &self.index,
        };
        if write_file(&tmp, &view).is_err() || std::fs::rename(&tmp, &file).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The header and `view`'s payload, into a new file at `path`. postcard
/// writes a few bytes at a time: they are gathered first, then counted,
/// checksummed and written 256 KB at a time (a checksum updated for every
/// few bytes cost more than encoding them).
fn write_file(path: &Path, view: &View<'_>) -> std::io::Result<()> {
    use std::io::{Seek, Write};
    let mut out = std::io::BufWriter::with_capacity(
        256 * 1024,
        Summed {
            inner: std::fs::File::create(path)?,
            sum: xxhash_rust::xxh3::Xxh3::new(),
            len: 0,
        },
    );
    // (room for the header, which the sum leaves out: straight to the file,
    // past the buffer, still empty)
    out.get_mut().inner.write_all(&[0; HEADER])?;
    postcard::to_io(view, &mut out).map_err(std::io::Error::other)?;
    let Summed {
        inner: mut file,
        sum,
        len,
    } = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    let mut head = [0; HEADER];
    head[..8].copy_from_slice(MAGIC);
    head[8..16].copy_from_slice(&identity().to_le_bytes());
    head[16..24].copy_from_slice(&len.to_le_bytes());
    head[24..32].copy_from_slice(&sum.digest().to_le_bytes());
    file.seek(std::io::SeekFrom::Start(0))?;
    file.write_all(&head)
}

/// A writer that counts and checksums what goes through it.
struct Summed<W> {
    inner: W,
    sum: xxhash_rust::xxh3::Xxh3,
    len: u64,
}

impl<W: std::io::Write> std::io::Write for Summed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sum.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The payload of a file's bytes, if they are sound and of this executable.
fn decode(bytes: &[u8]) -> Option<Stored> {
    postcard::from_bytes(crate::files::unseal(bytes, MAGIC, &[identity()])?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload as [`View`] writes one: three articles, one term whose
    /// article entries are written as `deltas`.
    fn payload(deltas: &[u32]) -> Vec<u8> {
        let keys: [Vec<u64>; 3] = [vec![7], vec![1, 2, 3], vec![]];
        let terms = vec![("đường", [vec![0u32], deltas.to_vec(), vec![]])];
        postcard::to_allocvec(&(keys, terms)).unwrap()
    }

    #[test]
    fn entries_are_read_back_into_lists_only_when_they_rise_within_the_site() {
        // documents 0 and 2 (an entry is `doc << 2 | field`)
        let read: Stored = postcard::from_bytes(&payload(&[1, 9])).unwrap();
        let terms = postings(read.terms, &read.keys).unwrap();
        let p = &terms["đường"];
        assert_eq!(p.0[DocKind::Article as usize].iter().collect::<Vec<_>>(), [1, 10]);
        assert_eq!(p.0[DocKind::Entity as usize].iter().collect::<Vec<_>>(), [0]);
        assert!(p.0[DocKind::Quote as usize].is_empty());
        // a second entry of document 0, and one past u32: the file is refused
        assert!(postcard::from_bytes::<Stored>(&payload(&[1, 2])).is_err());
        assert!(postcard::from_bytes::<Stored>(&payload(&[5, u32::MAX])).is_err());
        // document 3 of three articles: read, but not taken
        let read: Stored = postcard::from_bytes(&payload(&[1, 11])).unwrap();
        assert!(postings(read.terms, &read.keys).is_none());
    }
}
