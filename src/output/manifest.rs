//! The build manifest: what the last build of an output directory wrote and
//! from what, kept in `.glossa-cache/builds/` so the next `glossa build` (a
//! new process) can skip work:
//!
//! - when no input file changed since a build that had no diagnostics, and
//!   the output directory still holds exactly what that build wrote, nothing
//!   is loaded or rendered at all;
//! - otherwise the graph is built again, but a page whose dependencies (the
//!   graph nodes it reads, [`crate::render::deps`]) hash as recorded is not even
//!   given a view, and a page whose fingerprint (its template's sources +
//!   its view, see [`crate::render::render_changed`]) is the one recorded is
//!   not rendered again — either only if its output file is still there with
//!   the recorded size and modification time.
//!
//! It records every folder of the output too, with its stamp, so that the
//! next build need not read the folders that did not change
//! ([`crate::output::listing`]).
//!
//! The manifest is tied to the glossa executable (a different build of glossa
//! may render the same view differently) and removed before a build changes
//! the output, so an interrupted build never leaves one that lies.
//!
//! Stage 5 of the pipeline: output.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::BuildOptions;
use crate::files::Stamp;
use crate::output::PathMap;
use crate::output::listing::FolderStamp;

const HEADER: &str = "glossa-manifest 3";

/// How a folder's line starts.
const FOLDER: &str = "d ";

/// One output file as the last build left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// What the bytes were made from; 0 for static files.
    pub fingerprint: u64,
    /// A hash of the bytes ([`crate::files::hash`]).
    pub hash: u64,
    /// The file as the build left it; a file that no longer has this stamp
    /// was changed by someone else and is not trusted.
    pub stamp: Stamp,
    /// A hash of the graph nodes the page read ([`crate::render::deps`]); 0 when
    /// not known. Unchanged, the next build does not even build its view.
    pub deps: u64,
}

/// What one build wrote.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// [`crate::output::inputs::digest`] of the build, 0 when unknown (a watch rebuild).
    pub inputs: u64,
    /// The build had no diagnostics at all (a no-op may skip printing them).
    pub clean: bool,
    /// How many pages (not static files) the site had.
    pub pages: usize,
    /// Output path (relative, `/`-separated) → record.
    pub files: PathMap<Record>,
}

/// Where the manifest for building `root` into `out` with `opts` lives.
pub fn location(root: &Path, out: &Path, opts: &BuildOptions) -> PathBuf {
    let out = resolved(out);
    let mut h = DefaultHasher::new();
    (out, &opts.base_url, opts.drafts).hash(&mut h);
    root.join(".glossa-cache")
        .join("builds")
        .join(format!("{:016x}.manifest", h.finish()))
}

/// `path` made absolute with symbolic links and `..` resolved, also before
/// it exists (the first build creates the output folder; the next must find
/// the same manifest).
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            resolved(parent).join(name)
        }
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// A manifest file read, its first line checked and parsed: enough to know
/// whether the inputs changed, before its records are parsed (where they
/// are used: [`Read::records`]).
pub struct Read {
    text: String,
    /// Where the records start in `text`.
    body: usize,
    /// Where the folders' lines start (after the files').
    folders_at: usize,
    pub inputs: u64,
    pub clean: bool,
    pub pages: usize,
}

fn hex(s: Option<&str>) -> Option<u64> {
    s.and_then(|s| u64::from_str_radix(s, 16).ok())
}

impl Read {
    /// The manifest at `path`, if there is one that this glossa wrote
    /// (`None` too when its first line is damaged).
    pub fn at(path: &Path) -> Option<Read> {
        let text = std::fs::read_to_string(path).ok()?;
        let first = text.lines().next()?;
        let body = (first.len() + 1).min(text.len());
        let mut head = first.strip_prefix(HEADER)?.split_whitespace();
        if hex(head.next())? != crate::files::executable_identity() {
            return None;
        }
        let inputs = hex(head.next())?;
        let clean = head.next()? == "clean";
        let pages = head.next()?.parse().ok()?;
        // the rest of the line names the output directory (see `prune`)
        let folders_at = match text[body..].starts_with(FOLDER) {
            true => body,
            false => text[body..]
                .find(&format!("\n{FOLDER}"))
                .map_or(text.len(), |at| body + at + 1),
        };
        Some(Read {
            text,
            body,
            folders_at,
            inputs,
            clean,
            pages,
        })
    }

    /// Calls `each` with every record (path, record); `None` when a line is
    /// damaged (the records before it were given already).
    pub fn records(&self, mut each: impl FnMut(&str, Record)) -> Option<()> {
        // (read as bytes at the places `write` puts them: the three hashes
        // are 16 digits each; a build after one edit reads 67,000 lines)
        for line in self.text[self.body..self.folders_at].lines() {
            let b = line.as_bytes();
            let field = |k: usize| b.get(17 * k..17 * k + 16).filter(|_| b.get(17 * k + 16) == Some(&b' '));
            let (fingerprint, hash, deps) = (hex16(field(0)?)?, hex16(field(1)?)?, hex16(field(2)?)?);
            let mut rest = line[51..].splitn(3, ' ');
            let size = rest.next()?.parse().ok()?;
            let mtime = rest.next()?.parse().ok()?;
            let stamp = Stamp { size, mtime };
            let record = Record {
                fingerprint,
                hash,
                stamp,
                deps,
            };
            each(rest.next()?, record);
        }
        Some(())
    }

    /// The paths of the files recorded; `None` when a line is damaged.
    pub fn paths(&self) -> Option<Vec<&str>> {
        let text = &self.text[self.body..self.folders_at];
        text.lines().map(|line| line.get(51..)?.splitn(3, ' ').nth(2)).collect()
    }

    /// The folders recorded, with their stamps, sorted by path; `None`
    /// when there are none (a watching session's manifest) or a line is
    /// damaged.
    pub fn folders(&self) -> Option<Vec<(&str, FolderStamp)>> {
        let text = &self.text[self.folders_at..];
        let folders: Vec<_> = text
            .lines()
            .map(|line| {
                let b = line.strip_prefix(FOLDER)?.as_bytes();
                let field = |k: usize| b.get(17 * k..17 * k + 16).filter(|_| b.get(17 * k + 16) == Some(&b' '));
                let stamp = FolderStamp {
                    ctime: hex16(field(0)?)?,
                    inode: hex16(field(1)?)?,
                };
                Some((line.get(FOLDER.len() + 34..)?, stamp))
            })
            .collect::<Option<_>>()?;
        (!folders.is_empty()).then_some(folders)
    }

    /// The whole manifest (its files; not its folders).
    pub fn manifest(&self) -> Option<Manifest> {
        let mut files = PathMap::with_capacity_and_hasher(self.pages, Default::default());
        self.records(|path, r| {
            files.insert(path.to_string(), r);
        })?;
        Some(Manifest {
            inputs: self.inputs,
            clean: self.clean,
            pages: self.pages,
            files,
        })
    }
}

/// Writes a manifest (whole or not at all: a temporary file renamed) for
/// the output directory `out`, and removes the manifests of output
/// directories that no longer exist (test runs and one-off builds into
/// temporary directories would otherwise pile up).
///
/// The folders' stamps are asked for once the files' lines are written
/// (a build takes them on another thread meanwhile).
pub fn write(path: &Path, out: &Path, m: &Manifest, folders: impl FnOnce() -> PathMap<FolderStamp>) -> io::Result<()> {
    let mut records: Vec<(&String, &Record)> = m.files.iter().collect();
    records.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = write_lines(&tmp, out, m, &records, folders);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Some(dir) = path.parent() {
        prune(dir);
    }
    Ok(())
}

/// How many files' lines are made at once (in parallel, some 2 MB of text).
const LINES_AT_ONCE: usize = 16_384;

/// Writes the header and one line per record into `file`, then one per
/// folder, a piece at a time: the whole text would be about 140 bytes a
/// file (45 MB at 50,000 articles), held at the end of a build, when its
/// memory peaks.
fn write_lines(
    file: &Path,
    out: &Path,
    m: &Manifest,
    records: &[(&String, &Record)],
    folders: impl FnOnce() -> PathMap<FolderStamp>,
) -> io::Result<()> {
    use std::io::Write;
    let mut w = io::BufWriter::with_capacity(256 * 1024, std::fs::File::create(file)?);
    writeln!(
        w,
        "{HEADER} {:016x} {:016x} {} {} {}",
        crate::files::executable_identity(),
        m.inputs,
        if m.clean { "clean" } else { "diagnostics" },
        m.pages,
        out.display()
    )?;
    // (made in parallel: one after the other they were 7% of a build after one edit)
    write_in_parallel(&mut w, records, |s, (n, r)| push_line(s, n, r))?;
    // (then the folders, each `d CTIME INODE PATH`: no file's line starts so)
    let folders = folders();
    let mut folders: Vec<(&String, &FolderStamp)> = folders.iter().collect();
    folders.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    write_in_parallel(&mut w, &folders, |s, (n, f)| {
        s.push_str(FOLDER);
        for h in [f.ctime, f.inode] {
            push_hex(s, h);
            s.push(' ');
        }
        s.push_str(n);
        s.push('\n');
    })?;
    w.flush()
}

/// Writes the lines `push` makes of `items` to `w`, in order, the lines
/// of [`LINES_AT_ONCE`] items made at a time, in parallel.
fn write_in_parallel<T: Sync>(
    w: &mut impl io::Write,
    items: &[T],
    push: impl Fn(&mut String, &T) + Sync,
) -> io::Result<()> {
    for group in items.chunks(LINES_AT_ONCE) {
        let texts: Vec<String> = group
            .par_chunks(1024)
            .map(|items| {
                let mut s = String::with_capacity(items.len() * 140);
                items.iter().for_each(|item| push(&mut s, item));
                s
            })
            .collect();
        for text in texts {
            w.write_all(text.as_bytes())?;
        }
    }
    Ok(())
}

/// A file's line: three hashes, two numbers and a path, as
/// [`Read::records`] reads it back.
fn push_line(s: &mut String, path: &str, r: &Record) {
    for h in [r.fingerprint, r.hash, r.deps] {
        push_hex(s, h);
        s.push(' ');
    }
    let Stamp { size, mtime } = r.stamp;
    s.push_str(itoa::Buffer::new().format(size));
    s.push(' ');
    s.push_str(itoa::Buffer::new().format(mtime));
    s.push(' ');
    s.push_str(path);
    s.push('\n');
}

/// 16 lowercase hex digits as `push_hex` writes them.
fn hex16(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |v, &d| {
        let d = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => return None,
        };
        Some(v << 4 | u64::from(d))
    })
}

/// `v` as 16 lowercase hex digits (as `{:016x}` writes it).
fn push_hex(s: &mut String, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    for (i, d) in digits.iter_mut().enumerate() {
        *d = DIGITS[(v >> (60 - 4 * i)) as usize & 15];
    }
    s.push_str(std::str::from_utf8(&digits).expect("hex digits are ASCII"));
}

/// Removes manifests whose output directory is gone.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.extension().is_none_or(|e| e != "manifest") {
            continue;
        }
        let Ok(f) = std::fs::File::open(&p) else { continue };
        let mut head = String::new();
        let _ = io::BufRead::read_line(&mut io::BufReader::new(f), &mut head);
        // HEADER, identity, inputs, clean, pages, then the directory
        let out = head.trim_end_matches('\n').splitn(7, ' ').nth(6);
        if out.is_some_and(|o| !Path::new(o).is_dir()) {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// What the last build of `root` with `opts`' base URL and drafts setting
/// wrote, into whichever output directory: that directory and its files'
/// paths (relative, `/`-separated), from the newest such manifest. For
/// `glossa check`, which compares it with the site now; whichever glossa
/// wrote it (only the paths are read). `None` when there is none.
pub fn last_build(root: &Path, opts: &BuildOptions) -> Option<(PathBuf, Vec<String>)> {
    let path = last_build_path(root, opts)?;
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    // HEADER (two words), identity, inputs, clean, pages, then the directory
    let out = lines.next()?.splitn(7, ' ').nth(6).map(PathBuf::from)?;
    let files = lines
        .filter(|l| !l.starts_with(FOLDER))
        .filter_map(|l| l.splitn(6, ' ').nth(5))
        .map(String::from)
        .collect();
    Some((out, files))
}

/// The manifest [`last_build`] reads: the newest for `root` with `opts`'
/// base URL and drafts setting, whichever the output directory.
pub fn last_build_path(root: &Path, opts: &BuildOptions) -> Option<PathBuf> {
    let dir = root.join(".glossa-cache").join("builds");
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(&dir).ok()?.flatten() {
        let p = entry.path();
        if p.extension().is_none_or(|e| e != "manifest") {
            continue;
        }
        let Ok(f) = std::fs::File::open(&p) else { continue };
        let mut head = String::new();
        let _ = io::BufRead::read_line(&mut io::BufReader::new(f), &mut head);
        // HEADER (two words), identity, inputs, clean, pages, then the directory
        let Some(out) = head
            .strip_prefix(HEADER)
            .and_then(|h| h.trim_end_matches('\n').splitn(6, ' ').nth(5))
        else {
            continue;
        };
        let out = PathBuf::from(out);
        let modified = entry.metadata().and_then(|m| m.modified()).ok();
        // (the same flags give the same manifest name)
        if let Some(t) = modified
            && location(root, &out, opts) == p
            && newest.as_ref().is_none_or(|n| t > n.0)
        {
            newest = Some((t, p));
        }
    }
    newest.map(|(_, p)| p)
}

/// Removes a manifest (before the output it describes changes).
pub fn remove(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_as_written_and_a_damaged_line_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (path, out) = (dir.path().join("m.manifest"), dir.path().join("public"));
        std::fs::create_dir(&out).unwrap();
        let record = |n: u64| Record {
            fingerprint: n,
            hash: u64::MAX - n,
            stamp: Stamp {
                size: n * 1000,
                mtime: 1_796_432_691_182_689_802 + n,
            },
            deps: n << 60,
        };
        let mut m = Manifest {
            inputs: 0xabc,
            clean: true,
            pages: 3,
            files: PathMap::default(),
        };
        for (n, p) in ["b/index.html", "a b/ç.html", "0"].iter().enumerate() {
            m.files.insert(p.to_string(), record(n as u64));
        }
        write(&path, &out, &m, PathMap::default).unwrap();
        let read = Read::at(&path).unwrap();
        assert_eq!((read.inputs, read.clean, read.pages), (0xabc, true, 3));
        let mut back = Vec::new();
        read.records(|p, r| back.push((p.to_string(), r))).unwrap();
        let mut want: Vec<(String, Record)> = m.files.into_iter().collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(back, want, "sorted by path, every field as written");

        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().nth(1).unwrap();
        for damaged in [
            &line[1..],
            &line.replacen(' ', "", 1),
            &line.replacen('0', "g", 1),
            &line[..60],
        ] {
            std::fs::write(&path, text.replace(line, damaged)).unwrap();
            let read = Read::at(&path).unwrap();
            assert!(read.records(|_, _| {}).is_none(), "{damaged:?}");
        }
    }
}
