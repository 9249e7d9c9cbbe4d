//! Foundation: the site's files as every stage reads them — walking a
//! folder (hidden and editor temp files skipped, symlinks refused), reading
//! text clean (UTF-8 checked, BOM dropped, CRLF as LF, NFC), the stamp that
//! tells a changed file without reading it, the content hash of bytes, the
//! hashes of the files a build found ([`KnownHashes`]), and the header that
//! seals every file of `.glossa-cache` ([`seal`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::text::nfc;

/// Reads a file as text the way every loader wants it: UTF-8 (an error
/// otherwise), BOM dropped, CRLF as LF, NFC.
pub fn read_text(root: &Path, rel: &Path, diags: &mut Diagnostics) -> Option<String> {
    read_utf8(root, rel, diags).map(clean_owned)
}

/// [`read_text`], with the [`hash`] of the file's bytes as read (before
/// they are cleaned): what [`KnownHashes`] gives without reading them.
pub fn read_text_hashed(root: &Path, rel: &Path, diags: &mut Diagnostics) -> Option<(String, u64)> {
    let text = read_utf8(root, rel, diags)?;
    let hash = hash(text.as_bytes());
    Some((clean_owned(text), hash))
}

/// The file's bytes as they are, checked to be UTF-8.
fn read_utf8(root: &Path, rel: &Path, diags: &mut Diagnostics) -> Option<String> {
    let bytes = match std::fs::read(root.join(rel)) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(rel, None, format!("cannot read the file: {e}")));
            return None;
        }
    };
    let text = match crate::text::string_from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            diags.push(
                Diagnostic::error(
                    rel,
                    None,
                    format!("the file is not valid UTF-8 (first bad byte at line {line}, byte {at})"),
                )
                .with_hint("save it as UTF-8; legacy encodings (TCVN3, VNI, Windows-1258) must be converted"),
            );
            return None;
        }
    };
    Some(text)
}

/// The [`hash`] of each input file's bytes as a build found them when it
/// started (the inputs' digest, which keeps them by stamp and so need not
/// read an unchanged file), by path relative to the site root; and the
/// files it could not hash (symbolic links, unreadable files). A loader
/// may take a file's hash from here instead of reading it. The digest's
/// walk of `content/articles/` comes with them ([`KnownHashes::articles`]),
/// so that the articles are not listed twice.
#[derive(Debug, Default)]
pub struct KnownHashes {
    // (by the paths' bytes, hashed with FxHash: a build after one edit looks up three files of
    // each of its 10,000 articles, and hashing a `Path` takes it apart into components)
    hashes: rustc_hash::FxHashMap<OsString, u64>,
    unknown: rustc_hash::FxHashSet<OsString>,
    /// The files' sizes added up.
    bytes: u64,
    /// What the walk found in `content/articles/`, sorted as [`list_files`] sorts; `None` when
    /// it did not walk that folder (it is not one, or is a link to one).
    articles: Option<Vec<(PathBuf, Found)>>,
}

impl KnownHashes {
    /// Adds a file found: its size, and its bytes' hash or `None` when they
    /// could not be hashed.
    pub fn add(&mut self, rel: PathBuf, size: u64, hash: Option<u64>) {
        self.bytes += size;
        match hash {
            Some(h) => {
                self.hashes.insert(rel.into_os_string(), h);
            }
            None => {
                self.unknown.insert(rel.into_os_string());
            }
        }
    }

    /// How many bytes the files hold, all together (as their stamps said).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// `Some(Some(hash))`: the file was there with bytes of that hash;
    /// `Some(None)`: it was not there; `None`: it was, but its bytes are
    /// not known (read it).
    pub fn get(&self, rel: &Path) -> Option<Option<u64>> {
        match self.hashes.get(rel.as_os_str()) {
            Some(&h) => Some(Some(h)),
            None if self.unknown.contains(rel.as_os_str()) => None,
            None => Some(None),
        }
    }

    /// Sets what the digest's walk found in `content/articles/`, sorted by [`path_order`].
    pub fn set_articles(&mut self, found: Vec<(PathBuf, Found)>) {
        debug_assert!(found.is_sorted_by(|a, b| path_order(&a.0, &b.0).is_le()));
        self.articles = Some(found);
    }

    /// The files of `content/articles/` as [`list_files`] gives them, from the digest's walk (the
    /// same warnings into `diags`); `None` when it did not walk that folder.
    pub fn articles(&self, diags: &mut Diagnostics) -> Option<Vec<PathBuf>> {
        let found = self.articles.as_ref()?;
        Some(listed(found.iter().map(|(rel, f)| (rel.clone(), *f)), diags))
    }
}

/// BOM dropped, CRLF/CR as LF, NFC.
pub fn clean_text(text: &str) -> String {
    clean_owned(text.to_string())
}

/// [`clean_text`] of a string we own: a file that needs no change (the
/// usual case) is returned as it is, not copied.
fn clean_owned(mut text: String) -> String {
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if text.contains('\r') {
        text = text.replace("\r\n", "\n").replace('\r', "\n");
    }
    match nfc(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(normalized) => normalized,
    }
}

/// Regular files under `root/dir`, relative to root, sorted. Symlinks are not
/// followed (a warning says so); hidden and editor temp files are skipped.
pub fn list_files(root: &Path, dir: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let base = root.join(dir);
    if !base.is_dir() {
        return Vec::new();
    }
    let mut found: Vec<(PathBuf, Found)> = WalkDir::new(&base)
        .follow_links(false)
        .into_iter()
        .flatten()
        .map(|entry| {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path()).to_path_buf();
            (rel, Found::of(&entry))
        })
        .collect();
    // (sorted here rather than by walkdir, whose comparisons take each
    // path's file name apart again, and by bytes rather than by `Path`'s
    // order, which takes both paths apart into components: the two were 80%
    // of listing 20,000 articles)
    found.sort_unstable_by(|a, b| path_order(&a.0, &b.0));
    listed(found, diags)
}

/// What a walk found at a path, as far as listing goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    File,
    /// A symbolic link (not followed).
    Link,
    /// A folder, or anything else that is not a file.
    Other,
}

impl Found {
    /// What `entry` is (a walk that does not follow links).
    pub fn of(entry: &walkdir::DirEntry) -> Found {
        match entry.path_is_symlink() {
            true => Found::Link,
            false => Found::of_type(entry.file_type()),
        }
    }

    /// What a file of this type is (as a link's own status gives it).
    pub fn of_type(t: std::fs::FileType) -> Found {
        match t {
            t if t.is_symlink() => Found::Link,
            t if t.is_file() => Found::File,
            _ => Found::Other,
        }
    }
}

/// The files of a walk (`found`, in order) that a build reads: hidden and
/// editor temp files skipped, links left out with a warning.
fn listed(found: impl IntoIterator<Item = (PathBuf, Found)>, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (rel, what) in found {
        let name = rel.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if is_ignored_name(&name) {
            continue;
        }
        match what {
            Found::Link => diags.push(
                Diagnostic::warning(&rel, None, "symbolic link not followed")
                    .with_hint("glossa reads only real files inside the site; copy the file in instead"),
            ),
            Found::File => out.push(rel),
            Found::Other => {}
        }
    }
    out
}

/// The order of `Path`'s `Ord` for the clean relative paths a walk gives
/// (no `.`, no repeated separator): component by component, which is the
/// order of their bytes with the separator below every other byte. Found
/// from the bytes alone, without taking the paths apart.
pub fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let key = |c: u8| {
        if c == b'/' || c == std::path::MAIN_SEPARATOR as u8 {
            0
        } else {
            c
        }
    };
    let (a, b) = (a.as_os_str().as_encoded_bytes(), b.as_os_str().as_encoded_bytes());
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => key(a[i]).cmp(&key(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

/// Hidden files and editor temp files (`.x`, `*.swp`, `*~`, `4913`, `.#x`).
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".swp") || name.ends_with('~') || name == "4913" || name.ends_with(".tmp")
}

/// This process's id, for the temporary names of files written whole and
/// then renamed (read once: `std::process::id` is a system call each time,
/// and a cold build names a temporary file for every card and every stored
/// anchoring).
pub fn process_id() -> u32 {
    static ID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *ID.get_or_init(std::process::id)
}

/// A content hash of a file's bytes (XXH3: 1.5 GB of output at 10,000
/// articles went through this, several times slower with SipHash).
pub fn hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// How many bytes [`seal`] puts before a payload sealed with `ids` of this many.
pub const fn sealed_header(ids: usize) -> usize {
    8 + 8 * ids + 8 + 8
}

/// A file of `.glossa-cache` as its bytes: `magic` (its format), `ids` (what the payload is
/// for: this glossa, a key; little-endian), the payload's length and its xxh3 checksum, then
/// the payload.
pub fn seal(magic: &[u8; 8], ids: &[u64], payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(sealed_header(ids.len()) + payload.len());
    bytes.extend_from_slice(magic);
    for id in ids {
        bytes.extend_from_slice(&id.to_le_bytes());
    }
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&hash(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// The payload of a file [`seal`] made with `magic` and `ids`; `None` when anything differs
/// (another format, glossa or key; a length or checksum that does not match: a file cut short,
/// damaged or grown).
pub fn unseal<'a>(bytes: &'a [u8], magic: &[u8; 8], ids: &[u64]) -> Option<&'a [u8]> {
    let (head, payload) = bytes.split_at_checked(sealed_header(ids.len()))?;
    let u64_at = |i: usize| Some(u64::from_le_bytes(head.get(i..i + 8)?.try_into().ok()?));
    let n = ids.len();
    let sound = head.starts_with(magic)
        && ids.iter().enumerate().all(|(i, id)| u64_at(8 + 8 * i) == Some(*id))
        && u64_at(8 + 8 * n)? == payload.len() as u64
        && u64_at(16 + 8 * n)? == hash(payload);
    sound.then_some(payload)
}

/// XXH3 of a value through `Hash`: the same for the same value in every
/// process of one executable, so it can be stored in `.glossa-cache`.
pub fn hash_value(v: impl std::hash::Hash) -> u64 {
    let mut h = Digest::default();
    v.hash(&mut h);
    std::hash::Hasher::finish(&h)
}

/// XXH3 as a `Hasher`, the same hash as `xxhash_rust`'s streaming one but
/// with the small writes `Hash` makes (a number, a string's end mark)
/// gathered here first: the streaming hasher copies each through a call to
/// `memcpy`, 4% of a rebuild's CPU when every page's dependencies were
/// hashed that way.
pub struct Digest {
    gathered: [u8; 256],
    n: usize,
    xxh3: xxhash_rust::xxh3::Xxh3,
}

impl Default for Digest {
    fn default() -> Digest {
        Digest {
            gathered: [0; 256],
            n: 0,
            xxh3: xxhash_rust::xxh3::Xxh3::new(),
        }
    }
}

impl std::hash::Hasher for Digest {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if self.n + bytes.len() > self.gathered.len() {
            self.xxh3.update(&self.gathered[..self.n]);
            self.n = 0;
            if bytes.len() > self.gathered.len() {
                self.xxh3.update(bytes);
                return;
            }
        }
        self.gathered[self.n..self.n + bytes.len()].copy_from_slice(bytes);
        self.n += bytes.len();
    }

    fn finish(&self) -> u64 {
        let mut xxh3 = self.xxh3.clone();
        xxh3.update(&self.gathered[..self.n]);
        xxh3.digest()
    }
}

/// Now, in nanoseconds since the epoch (0 before it): what a stamp's times
/// are compared with to tell a file changed too recently to trust its stamp
/// (git's "racy clean" problem).
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// What identifies a file's bytes without reading them: size and
/// modification time (nanoseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    pub size: u64,
    pub mtime: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Stamp {
            size: meta.len(),
            mtime,
        }
    }

    /// The stamp of the file at `path`, if it is a regular file.
    pub fn read(path: &Path) -> Option<Stamp> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        meta.is_file().then(|| Stamp::of(&meta))
    }
}

/// This glossa: its version and its executable's size and modification
/// time. What it wrote into a cache (the build manifest, anchoring results)
/// another build of glossa does not trust.
pub fn executable_identity() -> u64 {
    static ID: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *ID.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
            meta.len().hash(&mut h);
            if let Ok(t) = meta.modified()
                && let Ok(d) = t.duration_since(std::time::UNIX_EPOCH)
            {
                d.as_nanos().hash(&mut h);
            }
        }
        h.finish()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_strips_bom_and_crlf() {
        assert_eq!(clean_text("\u{feff}a\r\nb"), "a\nb");
        assert_eq!(clean_text("a\rb\r\n"), "a\nb\n");
        // decomposed (NFD) Vietnamese becomes NFC; NFC text stays as it is
        assert_eq!(clean_text("Vie\u{0302}\u{0323}t"), "Việt");
        assert_eq!(clean_text("\u{feff}Việt"), "Việt");
        assert_eq!(clean_text(""), "");
    }

    #[test]
    fn digest_is_xxh3_of_the_bytes_written() {
        use std::hash::Hasher;
        // pieces of every size around the gathering buffer's, so that each
        // way through `write` is taken
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        for sizes in [
            &[1usize, 8, 8, 3][..],
            &[255, 2],
            &[256, 256, 1],
            &[300],
            &[7, 600, 9],
            &[0],
            &[],
        ] {
            let (mut d, mut at) = (Digest::default(), 0);
            for &n in sizes.iter().cycle().take(40) {
                let n = n.min(bytes.len() - at);
                d.write(&bytes[at..at + n]);
                at += n;
            }
            assert_eq!(d.finish(), xxhash_rust::xxh3::xxh3_64(&bytes[..at]), "{sizes:?}");
        }
        // and through `Hash`, what the streaming hasher gives
        let value = (42u64, "Đặng", vec![1u32, 2, 3], 'x');
        let mut streaming = xxhash_rust::xxh3::Xxh3::new();
        std::hash::Hash::hash(&value, &mut streaming);
        assert_eq!(hash_value(&value), streaming.finish());
    }

    #[test]
    fn path_order_is_the_order_of_paths() {
        // names that sort differently by bytes and by components: a
        // separator against the characters below and above it ('-', '.',
        // '0'), a prefix, a space, non-ASCII letters
        let names = [
            "a", "a/b", "a-b", "a.b", "a/b/c", "a0", "ab", "a b", "a/b-c", "a/b.c", "a/bc", "đ", "đ/x", "đa", "e",
            "ê/1", "b/a/z", "b-a/z", "b/a-z",
        ];
        for x in names {
            for y in names {
                let (x, y) = (Path::new(x), Path::new(y));
                assert_eq!(path_order(x, y), x.cmp(y), "{x:?} against {y:?}");
            }
        }
    }
}
