//! One posting list of the term index, kept compressed: the documents of
//! one kind a term occurs in, each with its field class, as the term index
//! ([`super::terms`]) holds it between its making and the search files.
//!
//! An entry is `doc << 2 | field` ([`super::terms::Entry`]); a list holds
//! its entries sorted by document, each as the LEB128 varint of its
//! document's distance from the one before, shifted left by two, with the
//! field in the low bits. A common word is in most documents, one after
//! the other: one byte an entry instead of four. At 50,000 articles the
//! index holds 22 million entries, which took 60 MB of the build's peak as
//! vectors of `u32` (their capacity 127 MB).
//!
//! Every [`SKIP`]th entry is also listed with where it starts, so that
//! finding one document's entry ([`PostingList::get`], what re-indexing an
//! edited article asks of every term) decodes at most [`SKIP`] entries.
//!
//! Stage 3 of the pipeline: the site graph.

use super::terms::{Entry, doc_of};

/// How many entries apart the skip points are.
pub const SKIP: usize = 64;

/// A term's entries of one document kind, sorted by document, one per
/// document (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PostingList {
    bytes: Vec<u8>,
    /// Per skip point (entry `SKIP`, `2 × SKIP`, …): the document of the
    /// entry before it and where the entry starts in `bytes`.
    skips: Vec<(u32, u32)>,
    len: u32,
    /// The last entry's document (0 when empty).
    last: u32,
}

impl PostingList {
    /// The list of `entries`, which must rise by document.
    pub fn from_entries(entries: impl IntoIterator<Item = Entry>) -> PostingList {
        let mut list = PostingList::default();
        for e in entries {
            list.push(e);
        }
        list.fit();
        list
    }

    /// Appends `e`, whose document must come after the last entry's.
    pub fn push(&mut self, e: Entry) {
        let doc = doc_of(e) as u32;
        debug_assert!(self.len == 0 || doc > self.last, "entries rise by document");
        if self.len > 0 && (self.len as usize).is_multiple_of(SKIP) {
            self.skips.push((self.last, self.bytes.len() as u32));
        }
        let mut v = (doc - if self.len == 0 { 0 } else { self.last }) << 2 | (e & 3);
        while v >= 0x80 {
            self.bytes.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
        self.len += 1;
        self.last = doc;
    }

    /// Gives back what was reserved for pushing.
    pub fn fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.skips.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The last entry's document (the greatest), if there is one.
    pub fn last_doc(&self) -> Option<usize> {
        (self.len > 0).then_some(self.last as usize)
    }

    /// The entries, in document order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            bytes: &self.bytes,
            at: 0,
            doc: 0,
            first: true,
            left: self.len as usize,
        }
    }

    /// The entry of document `doc`, if it has one.
    pub fn get(&self, doc: usize) -> Option<Entry> {
        let doc = u32::try_from(doc).ok()?;
        if self.len == 0 || doc > self.last {
            return None;
        }
        // the last skip point whose entry's predecessor is before `doc`
        let k = self.skips.partition_point(|&(before, _)| before < doc);
        let mut it = match k.checked_sub(1).map(|k| self.skips[k]) {
            Some((before, at)) => Iter {
                bytes: &self.bytes,
                at: at as usize,
                doc: before,
                first: false,
                left: self.len as usize - k * SKIP,
            },
            None => self.iter(),
        };
        it.find(|&e| doc_of(e) as u32 >= doc)
            .filter(|&e| doc_of(e) as u32 == doc)
    }

    /// Sets document `doc`'s entry to `e` (`None`: removes it).
    pub fn set(&mut self, doc: usize, e: Option<Entry>) {
        let mut entries: Vec<Entry> = self.iter().collect();
        match (entries.binary_search_by(|x| doc_of(*x).cmp(&doc)), e) {
            (Ok(at), Some(e)) => entries[at] = e,
            (Ok(at), None) => {
                entries.remove(at);
            }
            (Err(at), Some(e)) => entries.insert(at, e),
            (Err(_), None) => return,
        }
        *self = PostingList::from_entries(entries);
    }
}

/// The entries of a [`PostingList`], decoded as they are read.
pub struct Iter<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The document of the entry before.
    doc: u32,
    first: bool,
    /// How many entries are left (the exact length a serializer asks for).
    left: usize,
}

impl Iterator for Iter<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        self.left = self.left.checked_sub(1)?;
        let mut v: u32 = 0;
        let mut shift = 0;
        loop {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= ((b & 0x7f) as u32) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        self.doc = if self.first { v >> 2 } else { self.doc + (v >> 2) };
        self.first = false;
        Some(self.doc << 2 | (v & 3))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(docs: impl IntoIterator<Item = u32>) -> Vec<Entry> {
        docs.into_iter().map(|d| d << 2 | (d * 7 % 4)).collect()
    }

    #[test]
    fn a_list_gives_back_its_entries_and_finds_each_document() {
        // (the first document 0 or not; gaps of one and of thousands, which
        // take several bytes; more entries than a skip point apart)
        for docs in [
            vec![0, 1, 2, 3],
            vec![5],
            (0..500).map(|d| d * 3 + 1).collect(),
            vec![0, 40, 41, 20_000, 20_001, 1 << 28],
            // (gaps whose varint has a continuation byte of 0x80: 32 × 4 = 128)
            vec![0, 32, 64, 4_192],
            (0..3 * SKIP as u32 + 5).collect(),
        ] {
            let want = entries(docs.iter().copied());
            let list = PostingList::from_entries(want.clone());
            assert_eq!(list.iter().collect::<Vec<_>>(), want);
            assert_eq!(
                list.skips.len(),
                (want.len() - 1) / SKIP,
                "a skip point every {SKIP} entries"
            );
            assert_eq!(list.bytes.capacity(), list.bytes.len(), "fitted");
            assert!(!list.is_empty());
            assert_eq!(list.len(), want.len());
            assert_eq!(list.iter().len(), want.len());
            for &e in &want {
                assert_eq!(list.get(doc_of(e)), Some(e), "{docs:?}");
            }
            let absent = (0..docs.last().unwrap() + 3).filter(|d| !docs.contains(d));
            for d in absent.take(2_000) {
                assert_eq!(list.get(d as usize), None, "{d} in {docs:?}");
            }
        }
        assert!(PostingList::default().is_empty());
        assert_eq!(PostingList::default().get(0), None);
        assert!(PostingList::default().iter().next().is_none());
    }

    #[test]
    fn a_common_word_takes_a_byte_an_entry() {
        let list = PostingList::from_entries(entries(0..10_000));
        assert_eq!(list.bytes.len(), 10_000);
    }

    #[test]
    fn setting_an_entry_keeps_the_list_as_if_made_with_it() {
        let docs: Vec<u32> = (0..300).map(|d| d * 2).collect();
        let mut list = PostingList::from_entries(entries(docs.iter().copied()));
        list.set(7, Some(7 << 2 | 3)); // new, between two
        list.set(8, Some(8 << 2)); // changed field
        list.set(100, None); // removed
        list.set(101, None); // not there: nothing
        list.set(1000, Some(1000 << 2 | 1)); // new, last
        let mut want: Vec<Entry> = entries(docs.iter().copied().filter(|&d| d != 100));
        want.insert(4, 7 << 2 | 3);
        want[5] = 8 << 2;
        want.push(1000 << 2 | 1);
        assert_eq!(list, PostingList::from_entries(want.clone()));
        assert_eq!(list.iter().collect::<Vec<_>>(), want);
        assert_eq!(list.get(100), None);
        assert_eq!(list.get(7), Some(7 << 2 | 3));
        let mut one = PostingList::from_entries([5 << 2]);
        one.set(5, None);
        assert!(one.is_empty());
        assert_eq!(one, PostingList::default());
    }
}
