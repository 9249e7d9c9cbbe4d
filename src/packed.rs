//! Packed text: a string the site graph keeps LZ4-compressed, because it is
//! large and read rarely. An article's rendered text and its body HTML are
//! two thirds of the graph's memory at 10,000 articles (140 MB) but each is
//! read only by a few pages: the article's own page, and the entity pages
//! that quote its mentions in context. Unpacking one costs microseconds;
//! packing them takes the graph's peak well under its unpacked size.
//!
//! A large site's packed texts are still most of its graph (440 MB at
//! 50,000 articles): a build moves them to a [`Spill`], a temporary file
//! that no one else can see (deleted as it is made), and reads one back
//! when a page needs it — from the page cache, usually.
//!
//! A small site's rendered texts stay unpacked instead ([`Packed::keep_plain`]):
//! entity pages and quote cards read an article's text once for each
//! entity and quote that needs it — some 150,000 times at 10,000 articles —
//! and reading it back and unpacking it each time was about 4% of a cold
//! build there, for some 50 MB of text kept. A build that takes most
//! articles from the anchoring store, after an edit, keeps each packed until
//! a page first reads it ([`Packed::plain_when_read`]): it makes few pages,
//! and unpacking all 10,000 texts was 6% of its CPU samples.
//!
//! Foundation: shared by every stage of the pipeline.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A string kept compressed; [`Packed::unpack`] gives it back.
#[derive(Clone, Default)]
pub struct Packed {
    /// LZ4 block format, the unpacked length first (lz4_flex).
    bytes: Bytes,
    len: usize,
    /// Which string this is, for [`Packed::shared`]'s cache: a number no other string packed by
    /// this process has (a clone keeps it: same bytes). 0 for the empty string.
    id: u64,
}

/// The last id given to a packed string.
static LAST_ID: AtomicU64 = AtomicU64::new(0);

fn next_id() -> u64 {
    LAST_ID.fetch_add(1, Ordering::Relaxed) + 1
}

/// How many unpacked strings [`Packed::shared`] keeps per thread.
const RECENT: usize = 8;

thread_local! {
    /// The strings this thread unpacked last, by id, the latest first.
    static RECENT_UNPACKED: RefCell<Vec<(u64, Rc<String>)>> = const { RefCell::new(Vec::new()) };
}

/// Where the packed bytes are.
#[derive(Clone)]
enum Bytes {
    Memory(Box<[u8]>),
    /// `n` bytes at `at` in a spill file.
    Spilled {
        spill: Arc<Spill>,
        at: u64,
        n: usize,
    },
    /// Not packed: the string itself ([`Packed::keep_plain`]).
    Plain(Arc<str>),
    /// Packed until first read, then the string itself too
    /// ([`Packed::plain_when_read`]).
    Lazy {
        packed: Box<[u8]>,
        plain: OnceLock<Arc<str>>,
    },
}

/// A packed string as read ([`Packed::shared`]): borrowed when it is kept
/// plain, else unpacked (and shared with this thread's other readers).
pub enum Unpacked<'a> {
    Plain(&'a str),
    Recent(Rc<String>),
}

impl std::ops::Deref for Unpacked<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Unpacked::Plain(s) => s,
            Unpacked::Recent(s) => s,
        }
    }
}

impl Default for Bytes {
    fn default() -> Bytes {
        Bytes::Memory(Box::default())
    }
}

impl Packed {
    pub fn new(s: &str) -> Packed {
        Packed {
            bytes: Bytes::Memory(lz4_flex::compress_prepend_size(s.as_bytes()).into_boxed_slice()),
            len: s.len(),
            id: if s.is_empty() { 0 } else { next_id() },
        }
    }

    /// The string as it was given.
    pub fn unpack(&self) -> String {
        if self.len == 0 {
            return String::new();
        }
        match self.plain() {
            Some(s) => s.to_string(),
            None => unpack_bytes(&self.packed()),
        }
    }

    /// The string when it is kept unpacked (unpacked now if it is kept so once read).
    fn plain(&self) -> Option<&str> {
        match &self.bytes {
            Bytes::Plain(s) => Some(s),
            Bytes::Lazy { packed, plain } => Some(plain.get_or_init(|| unpack_bytes(packed).into())),
            Bytes::Memory(_) | Bytes::Spilled { .. } => None,
        }
    }

    /// The string, unpacked once for several readers in a row: each thread keeps the last
    /// eight it unpacked this way. The quote cards of an article's page, of its quotes'
    /// pages and of the quote index come from the same article one after another, and each
    /// needs a few words of its text; unpacking the whole text for each was 2% of a cold build.
    pub fn shared(&self) -> Unpacked<'_> {
        if let Some(s) = self.plain() {
            return Unpacked::Plain(s);
        }
        if self.id == 0 {
            return Unpacked::Recent(Rc::new(self.unpack()));
        }
        Unpacked::Recent(RECENT_UNPACKED.with(|r| {
            let mut r = r.borrow_mut();
            if let Some(at) = r.iter().position(|(id, _)| *id == self.id) {
                let hit = r.remove(at);
                r.insert(0, hit);
            } else {
                r.truncate(RECENT - 1);
                r.insert(0, (self.id, Rc::new(self.unpack())));
            }
            Rc::clone(&r[0].1)
        }))
    }

    /// The string, borrowed when it is kept plain (for a reader that
    /// needs it once: it does not go through [`Packed::shared`]'s recent
    /// strings).
    pub fn read(&self) -> Cow<'_, str> {
        match self.plain() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(self.unpack()),
        }
    }

    /// Keeps the string unpacked from now on: read without unpacking, at
    /// the cost of its whole length in memory (see the module's doc).
    pub fn keep_plain(&mut self) {
        if self.len > 0 && !matches!(self.bytes, Bytes::Plain(_)) {
            self.bytes = Bytes::Plain(self.unpack().into());
        }
    }

    /// Keeps the string packed in memory until it is first read, then
    /// unpacked as well: for a build that may read few of its strings (see
    /// the module's doc). A string already kept plain, or spilled, stays so.
    pub fn plain_when_read(&mut self) {
        if let Bytes::Memory(b) = &mut self.bytes
            && self.len > 0
        {
            self.bytes = Bytes::Lazy {
                packed: std::mem::take(b),
                plain: OnceLock::new(),
            };
        }
    }

    /// The unpacked length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed size in bytes (what it costs in memory, or in a spill;
    /// with the string once read, when it is kept unpacked from then on).
    pub fn packed_len(&self) -> usize {
        match &self.bytes {
            Bytes::Memory(b) => b.len(),
            Bytes::Spilled { n, .. } => *n,
            Bytes::Plain(s) => s.len(),
            Bytes::Lazy { packed, plain } => packed.len() + plain.get().map_or(0, |s| s.len()),
        }
    }

    /// The packed bytes, read back from a spill if they are there (packed
    /// now if the string is kept plain).
    fn packed(&self) -> Cow<'_, [u8]> {
        match &self.bytes {
            Bytes::Memory(b) | Bytes::Lazy { packed: b, .. } => Cow::Borrowed(b),
            Bytes::Spilled { spill, at, n } => Cow::Owned(spill.read(*at, *n)),
            Bytes::Plain(s) => Cow::Owned(lz4_flex::compress_prepend_size(s.as_bytes())),
        }
    }

    /// Moves the packed bytes to `spill` (they stay in memory if writing
    /// fails).
    pub fn spill(&mut self, spill: &Arc<Spill>) {
        if let Bytes::Memory(b) = &self.bytes
            && self.len > 0
            && let Some(at) = spill.write(b)
        {
            self.bytes = Bytes::Spilled {
                spill: spill.clone(),
                at,
                n: b.len(),
            };
        }
    }
}

/// A string packed by [`Packed::new`], unpacked.
fn unpack_bytes(packed: &[u8]) -> String {
    let bytes = lz4_flex::decompress_size_prepended(packed).expect("packed by Packed::new");
    // (entity pages unpack each article's text once per entity named in it,
    // ~150,000 times at 10,000 articles: the fast UTF-8 check matters)
    crate::text::string_from_utf8(bytes).expect("packed from a str")
}

impl From<String> for Packed {
    fn from(s: String) -> Packed {
        Packed::new(&s)
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({} bytes in {})", self.len, self.packed_len())
    }
}

/// As its unpacked length and packed bytes (the on-disk anchoring cache,
/// [`crate::anchor::stored`], keeps it so).
impl serde::Serialize for Packed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.len, AsBytes(&self.packed())).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Packed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Packed, D::Error> {
        let (len, ByteBuf(bytes)) = <(usize, ByteBuf)>::deserialize(d)?;
        // (the length LZ4 prepends must be the one recorded)
        let prepended = bytes
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        if prepended != Some(len) {
            return Err(serde::de::Error::custom("packed length mismatch"));
        }
        Ok(Packed {
            bytes: Bytes::Memory(bytes.into_boxed_slice()),
            len,
            id: if len == 0 { 0 } else { next_id() },
        })
    }
}

/// Bytes serialised as one byte string (not a sequence of numbers).
struct AsBytes<'a>(&'a [u8]);

impl serde::Serialize for AsBytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A byte string read back.
struct ByteBuf(Vec<u8>);

impl<'de> serde::Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ByteBuf, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        d.deserialize_bytes(Visit)
    }
}

/// A temporary file packed texts are moved to: deleted as it is made
/// (the system removes it when the process ends, however it ends), written
/// at its end, read anywhere.
pub struct Spill {
    file: std::fs::File,
    /// Where the next bytes go.
    end: AtomicU64,
}

impl Spill {
    /// A spill in `dir` (created if need be); `None` when it cannot be made.
    pub fn new(dir: &std::path::Path) -> Option<Arc<Spill>> {
        std::fs::create_dir_all(dir).ok()?;
        let file = tempfile::tempfile_in(dir).ok()?;
        Some(Arc::new(Spill {
            file,
            end: AtomicU64::new(0),
        }))
    }

    /// Appends `bytes`; where they start. Each write takes its place first, so threads spill
    /// side by side (a failed write leaves a gap no one reads).
    fn write(&self, bytes: &[u8]) -> Option<u64> {
        let at = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        write_at(&self.file, bytes, at).ok()?;
        Some(at)
    }

    /// The `n` bytes at `at`.
    fn read(&self, at: u64, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        read_at(&self.file, &mut buf, at).expect("a spill reads back what it wrote");
        buf
    }
}

#[cfg(unix)]
fn write_at(file: &std::fs::File, bytes: &[u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn write_at(file: &std::fs::File, mut bytes: &[u8], mut at: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, bytes, at)?;
        bytes = &bytes[n..];
        at += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, buf, at)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        at += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Bytes, Packed, Spill};

    #[test]
    fn gives_back_what_it_was_given() {
        for s in [
            "",
            "a",
            "Người Trung Quốc đã phát hành <b>nhiều</b> hệ thống\n"
                .repeat(50)
                .as_str(),
        ] {
            let p = Packed::new(s);
            assert_eq!(p.unpack(), s);
            assert_eq!(p.len(), s.len());
        }
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::new(dir.path()).unwrap();
        let mut spilled: Vec<(Packed, String)> = (0..50)
            .map(|i| {
                let s = format!("Đoạn {i}: ") + &"tiếng Việt ".repeat(i * 7);
                (Packed::new(&s), s)
            })
            .collect();
        for (p, _) in &mut spilled {
            p.spill(&spill);
        }
        for (p, s) in &spilled {
            assert!(matches!(p.bytes, Bytes::Spilled { .. }));
            assert_eq!(&p.unpack(), s);
        }
        let long = "Đây là một câu tiếng Việt. ".repeat(400);
        assert!(
            Packed::new(&long).packed_len() < long.len() / 4,
            "repetitive text packs small"
        );
    }

    /// The strings a thread unpacked lately are kept by which string they are: never another's
    /// text, even one packed with the same length or read back from the store, and still right
    /// once more strings than are kept went through.
    #[test]
    fn a_shared_string_is_always_its_own() {
        let texts: Vec<String> = (0..3 * super::RECENT)
            .map(|i| format!("Bài {i:03}: Đặng nói"))
            .collect();
        let packed: Vec<Packed> = texts.iter().map(|t| Packed::new(t)).collect();
        let stored: Vec<Packed> = packed
            .iter()
            .map(|p| postcard::from_bytes(&postcard::to_stdvec(p).unwrap()).unwrap())
            .collect();
        for round in 0..2 {
            for (i, t) in texts.iter().enumerate() {
                assert_eq!(&*packed[i].shared(), t, "round {round}, text {i}");
                assert_eq!(&*packed[i].clone().shared(), t);
                assert_eq!(&*stored[(i + 1) % texts.len()].shared(), &texts[(i + 1) % texts.len()]);
            }
        }
        assert_eq!(&*Packed::new("").shared(), "");
        assert_eq!(&*Packed::default().shared(), "");
    }

    /// A string kept plain reads as it was given every way (unpacked, shared, read), is
    /// borrowed rather than unpacked, is stored exactly as its packed form is (so the anchoring
    /// store reads it back), and is not moved to a spill.
    #[test]
    fn a_string_kept_plain_reads_and_stores_as_the_packed_one() {
        let text = "Ông Đặng nói: \"Học, học nữa, học mãi.\" ".repeat(30);
        let packed = Packed::new(&text);
        let mut plain = packed.clone();
        plain.keep_plain();
        assert!(matches!(plain.bytes, Bytes::Plain(_)));
        assert_eq!(plain.unpack(), text);
        assert_eq!(&*plain.shared(), text);
        assert!(matches!(plain.shared(), super::Unpacked::Plain(_)));
        assert!(matches!(plain.read(), std::borrow::Cow::Borrowed(_)));
        assert_eq!(plain.read(), text);
        assert_eq!(plain.len(), text.len());
        assert_eq!(
            postcard::to_stdvec(&plain).unwrap(),
            postcard::to_stdvec(&packed).unwrap()
        );
        let back: Packed = postcard::from_bytes(&postcard::to_stdvec(&plain).unwrap()).unwrap();
        assert_eq!(back.unpack(), text);
        let dir = tempfile::tempdir().unwrap();
        plain.spill(&Spill::new(dir.path()).unwrap());
        assert!(matches!(plain.bytes, Bytes::Plain(_)));
    }

    /// A string kept packed until read reads as it was given every way, is unpacked once (then
    /// borrowed), is stored exactly as its packed form is, and stays in memory (not spilled).
    #[test]
    fn a_string_kept_packed_until_read_reads_and_stores_as_the_packed_one() {
        let text = "Bà Đặng Thị Ngọc Thịnh phát biểu tại hội nghị. ".repeat(30);
        let packed = Packed::new(&text);
        let mut lazy = packed.clone();
        lazy.plain_when_read();
        assert!(matches!(&lazy.bytes, Bytes::Lazy { plain, .. } if plain.get().is_none()));
        assert_eq!(lazy.packed_len(), packed.packed_len());
        let dir = tempfile::tempdir().unwrap();
        lazy.spill(&Spill::new(dir.path()).unwrap());
        assert!(matches!(lazy.bytes, Bytes::Lazy { .. }));
        assert_eq!(
            postcard::to_stdvec(&lazy).unwrap(),
            postcard::to_stdvec(&packed).unwrap()
        );
        assert_eq!(lazy.read(), text);
        assert!(matches!(&lazy.bytes, Bytes::Lazy { plain, .. } if plain.get().is_some()));
        assert!(matches!(lazy.read(), std::borrow::Cow::Borrowed(_)));
        assert!(matches!(lazy.shared(), super::Unpacked::Plain(_)));
        assert_eq!(&*lazy.shared(), text);
        assert_eq!(lazy.unpack(), text);
        assert_eq!(lazy.packed_len(), packed.packed_len() + text.len());
        assert_eq!(
            postcard::to_stdvec(&lazy).unwrap(),
            postcard::to_stdvec(&packed).unwrap()
        );
        let mut kept = lazy.clone();
        kept.keep_plain();
        assert!(matches!(kept.bytes, Bytes::Plain(_)));
        assert_eq!(kept.read(), text);
    }

    /// The empty string reads empty however it is kept.
    #[test]
    fn the_empty_string_reads_empty_however_kept() {
        let keep: [fn(&mut Packed); 3] = [|_| {}, Packed::keep_plain, Packed::plain_when_read];
        for k in keep {
            let mut empty = Packed::new("");
            k(&mut empty);
            assert_eq!(&*empty.shared(), "");
            assert_eq!(empty.read(), "");
            assert_eq!(empty.unpack(), "");
        }
    }
}
