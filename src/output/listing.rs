//! What the output directory holds: every file with its stamp, and every
//! folder with its own ([`FolderStamp`]), which a build compares with what
//! the last one wrote.
//!
//! Two ways to know it:
//!
//! - **walked**: every folder opened and read, every file's status taken
//!   (what a build does without a manifest that records the folders);
//! - **guided** by the last build's manifest: each folder it recorded is
//!   looked up by its path, and one whose stamp is the one recorded holds
//!   the entries the manifest says (a folder's change time moves whenever
//!   an entry is added to it, removed or renamed, and no program can set it
//!   back); only its files' stamps are taken, to tell one changed in place.
//!   A folder whose stamp moved is read, and a folder the manifest does not
//!   know is walked. At 10,000 articles (39,540 folders, 68,346 files) that
//!   is 108,000 status calls instead of 39,540 opens, 79,000 reads of
//!   entries and 68,000 status calls.
//!
//! A folder stamped within 0.1 s of when its stamp was taken (2 s on a file
//! system that keeps whole seconds) could change again within the file
//! system's timestamp granularity and keep it (git's "racy clean" problem):
//! it is recorded as [`FolderStamp::UNKNOWN`], so the next build reads it
//! (`FolderStamp::unless_racy`). The folders that a commit touched are
//! looked up again after it ([`after_commit`]); a file another program puts
//! into one of them while the build runs may so be taken in, and stay until
//! that folder changes again. Elsewhere than on Unix the output is always
//! walked.
//!
//! Stage 5 of the pipeline: output.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::files::Stamp;
use crate::output::{Last, PathMap, manifest};

/// One file of the output as a listing found it, with what the last build
/// recorded of it when the file is still as that build left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub stamp: Stamp,
    pub last: Option<Last>,
}

/// Every file of the output directory ([`list`]), each with the last
/// build's record of it when there is one: one map, not a listing and a map
/// of records beside it — at 50,000 articles the two held the 320,282 paths
/// twice, some 80 MB, through the whole build after a change every page
/// shows.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: PathMap<Listed>,
    /// Whether the last build's records were read (its manifest still
    /// describes this output): then a file without one is not the same as
    /// anything, and is written again without being read.
    pub recorded: bool,
    /// Every folder of the output (the output itself is `""`) with its
    /// stamp as the listing found it (Unix only).
    pub folders: Folders,
}

/// Folders with their stamps, packed: a build holds them from its start to
/// its end, and at 50,000 articles a map of the 190,000 paths was some
/// 20 MB more at the build's peak, as its pages rendered.
#[derive(Debug, Default)]
pub struct Folders(crate::packed::Packed);

impl Folders {
    fn pack(mut folders: Vec<(String, FolderStamp)>) -> Folders {
        folders.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut text = String::with_capacity(folders.len() * 64);
        for (path, f) in &folders {
            use std::fmt::Write;
            let _ = writeln!(text, "{:x} {:x} {path}", f.ctime, f.inode);
        }
        Folders(crate::packed::Packed::new(&text))
    }

    /// The folders, by path.
    pub fn unpack(&self) -> PathMap<FolderStamp> {
        let text = self.0.unpack();
        let mut map = PathMap::with_capacity_and_hasher(text.lines().count(), Default::default());
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let mut hex = || u64::from_str_radix(parts.next()?, 16).ok();
            if let (Some(ctime), Some(inode)) = (hex(), hex())
                && let Some(path) = parts.next()
            {
                map.insert(path.to_string(), FolderStamp { ctime, inode });
            }
        }
        map
    }
}

/// What tells that a folder's entries changed: its change time
/// (nanoseconds) and which folder it is (its inode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStamp {
    pub ctime: u64,
    pub inode: u64,
}

impl FolderStamp {
    /// Never a folder's: the next listing reads it.
    pub const UNKNOWN: FolderStamp = FolderStamp { ctime: 0, inode: 0 };

    /// `self`, or [`FolderStamp::UNKNOWN`] when it was stamped too shortly
    /// before `before` (a time before the status was taken) to be trusted:
    /// within 0.1 s when the time has a fraction of a second, within 2 s
    /// when it is whole seconds (a file system that keeps no finer time).
    fn unless_racy(self, before: u64) -> FolderStamp {
        let racy = match self.ctime % 1_000_000_000 {
            0 => 2_000_000_000,
            _ => 100_000_000,
        };
        match self.ctime.saturating_add(racy) < before {
            true => self,
            false => FolderStamp::UNKNOWN,
        }
    }
}

/// Every file and folder a listing found, in no order.
#[derive(Debug, Default)]
struct Found {
    files: Vec<(String, Option<Stamp>)>,
    folders: Vec<(String, FolderStamp)>,
    /// How many folders were opened and read (the others were trusted).
    read: usize,
}

impl Found {
    fn add(&mut self, other: Found) {
        self.files.extend(other.files);
        self.folders.extend(other.folders);
        self.read += other.read;
    }
}

/// What the output holds now, guided by the folders the last build's
/// manifest recorded when it can be, else walked, its folders read in
/// parallel. None of it (nothing trusted) when it cannot be listed. The
/// records are not joined to the files here (see [`Listing::recorded`]).
pub fn list(out: &Path, last: Option<&manifest::Read>) -> Listing {
    let how = How {
        parallel: true,
        stop: None,
    };
    listed(out, last, how).unwrap_or_default()
}

/// [`list`], the folders read one after the other (on a thread beside the
/// site's load, which has the cores busy), until `stop` is set: `None` if
/// it was.
pub fn list_until(out: &Path, last: Option<&manifest::Read>, stop: &AtomicBool) -> Option<Listing> {
    let how = How {
        parallel: false,
        stop: Some(stop),
    };
    match listed(out, last, how) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
        listed => Some(listed.unwrap_or_default()),
    }
}

/// How a listing goes: its folders read in parallel (then it cannot be
/// stopped), or one after the other until `stop` is set.
#[derive(Clone, Copy)]
struct How<'a> {
    parallel: bool,
    stop: Option<&'a AtomicBool>,
}

fn listed(out: &Path, last: Option<&manifest::Read>, how: How<'_>) -> io::Result<Listing> {
    let t = std::time::Instant::now();
    let found = match found(out, last, crate::files::now_ns(), how) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
        found => found.unwrap_or_default(),
    };
    let Found { files, folders, read } = found;
    crate::timing::lap(
        &format!("listed the output ({} folders, {read} of them read)", folders.len()),
        t,
    );
    let unknown = Stamp {
        size: u64::MAX,
        mtime: 0,
    };
    let mut map = PathMap::with_capacity_and_hasher(files.len(), Default::default());
    map.extend(files.into_iter().map(|(rel, stamp)| {
        let stamp = stamp.unwrap_or(unknown);
        (rel, Listed { stamp, last: None })
    }));
    Ok(Listing {
        files: map,
        recorded: false,
        folders: Folders::pack(folders),
    })
}

/// [`list`]'s findings, started at `before`.
fn found(out: &Path, last: Option<&manifest::Read>, before: u64, how: How<'_>) -> io::Result<Found> {
    last.and_then(|last| guided(out, last, before, how))
        .unwrap_or_else(|| walked(out, before, how))
}

/// Every file (not folder) under `out`: its path relative to `out`,
/// `/`-separated, sorted. Links are listed, not followed.
pub fn output_files(out: &Path) -> io::Result<Vec<String>> {
    let walk = Walk {
        stamps: false,
        how: How {
            parallel: true,
            stop: None,
        },
        before: 0,
    };
    let mut files: Vec<String> = folders::read(out, walk)?
        .files
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    files.par_sort_unstable();
    Ok(files)
}

/// Every file and folder under `out`, walked, with their stamps (a file's
/// `None` when it cannot be read).
///
/// The output of a large site is tens of thousands of folders (one a page):
/// read in parallel when a build waits for them (at 10,000 articles, 0.16 s
/// against 0.21 s), but the kernel's locks make that cost a third more CPU
/// (0.28 s against 0.21 s), so a listing on a thread beside the site's
/// load, which has the cores busy, reads them one after the other.
fn walked(out: &Path, before: u64, how: How<'_>) -> io::Result<Found> {
    let walk = Walk {
        stamps: true,
        how,
        before,
    };
    folders::read(out, walk)
}

/// What a walk of the output reads, and how.
#[derive(Clone, Copy)]
struct Walk<'a> {
    /// The files' and folders' stamps too.
    stamps: bool,
    how: How<'a>,
    /// When the listing started ([`FolderStamp::unless_racy`]).
    before: u64,
}

/// `items` mapped by `f`, in parallel or in turn; in turn, an error of
/// kind `Interrupted` once `how.stop` is set.
fn each<T: Sync, U: Send>(items: &[T], how: How<'_>, f: impl Fn(&T) -> U + Sync + Send) -> io::Result<Vec<U>> {
    if how.parallel {
        return Ok(items.par_iter().map(f).collect());
    }
    let mut done = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if i % 256 == 0 && how.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        done.push(f(item));
    }
    Ok(done)
}

/// The folder holding `rel` (`""`: the output itself).
fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(p, _)| p)
}

/// The output guided by the folders the manifest `last` recorded (see the
/// module docs); `None` when it recorded none, or records that do not hang
/// together (a folder or file whose folder it does not record): then it
/// is walked.
#[cfg(unix)]
fn guided(out: &Path, last: &manifest::Read, before: u64, how: How<'_>) -> Option<io::Result<Found>> {
    let recorded = last.folders()?;
    if recorded.first().map(|f| f.0) != Some("") {
        return None;
    }
    let index: rustc_hash::FxHashMap<&str, usize> = recorded.iter().enumerate().map(|(i, f)| (f.0, i)).collect();
    let paths = last.paths()?;
    let root = match folders::open_output(out) {
        Ok(fd) => fd,
        Err(e) => return Some(Err(e)),
    };
    let now = match each(&recorded, how, |(rel, _)| folders::status(&root, rel)) {
        Ok(now) => now,
        Err(e) => return Some(Err(e)),
    };
    let state = states(&recorded, &now, &index)?;
    // the files of trusted folders: their stamps, looked up by path
    let mut trusted = Vec::new();
    for rel in paths {
        if state[*index.get(parent(rel))?] == State::Trusted {
            trusted.push(rel);
        }
    }
    let files = match each(&trusted, how, |rel| folders::file_status(&root, rel)) {
        Ok(files) => files.into_iter().flatten().collect(),
        Err(e) => return Some(Err(e)),
    };
    let folders = (recorded.iter().zip(&state))
        .filter(|(_, s)| **s == State::Trusted)
        .map(|((rel, stamp), _)| (rel.to_string(), *stamp))
        .collect();
    let mut found = Found {
        files,
        folders,
        read: 0,
    };
    // the others read (and those they hold that the manifest does not know, walked)
    let known = |rel: &str| index.get(rel).is_some_and(|&i| state[i] != State::Gone);
    let read: Vec<&str> = (recorded.iter().zip(&state))
        .filter(|(_, s)| **s == State::Read)
        .map(|((rel, _), _)| *rel)
        .collect();
    let walk = Walk {
        stamps: true,
        how,
        before,
    };
    let read = each(&read, how, |rel| folders::read_one(&root, rel, walk, &known));
    let add = |read: Vec<io::Result<Found>>| {
        for one in read {
            found.add(one?);
        }
        Ok(found)
    };
    Some(read.and_then(add))
}

/// What a guided listing makes of each `recorded` folder, whose stamp is
/// `now` (`None`: not there as a folder). Top-down (a folder's path sorts
/// before those inside it): a folder is trusted when its stamp is the one
/// recorded and the folder holding it is there. `None` when a folder's
/// holder is not recorded.
#[cfg(unix)]
fn states(
    recorded: &[(&str, FolderStamp)],
    now: &[Option<FolderStamp>],
    index: &rustc_hash::FxHashMap<&str, usize>,
) -> Option<Vec<State>> {
    let mut state = vec![State::Gone; recorded.len()];
    for (i, (rel, was)) in recorded.iter().enumerate() {
        let holder_there = match i {
            0 => true,
            _ => state[*index.get(parent(rel))?] != State::Gone,
        };
        state[i] = match now[i] {
            Some(stamp) if holder_there && stamp == *was && *was != FolderStamp::UNKNOWN => State::Trusted,
            Some(_) if holder_there => State::Read,
            _ => State::Gone,
        };
    }
    Some(state)
}

#[cfg(not(unix))]
fn guided(_: &Path, _: &manifest::Read, _: u64, _: How<'_>) -> Option<io::Result<Found>> {
    None
}

/// What a guided listing makes of a recorded folder.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Its stamp is the one recorded: it holds what the manifest says.
    Trusted,
    /// There, changed: read.
    Read,
    /// Not there (or not a folder, or its holder is not).
    Gone,
}

/// The stamps of the output's folders after a commit that wrote the files
/// `written` and removed `removed`, given `folders`, the listing's stamps
/// from before it: every folder the commit touched (one holding a path
/// written or removed, at any depth) is looked at again; one it removed, or
/// that a file written took the place of, leaves the map. Empty where
/// folders have no stamps (not Unix), or when the output cannot be opened.
pub fn after_commit(out: &Path, folders: Folders, written: &[String], removed: &[String]) -> PathMap<FolderStamp> {
    after_commit_at(out, folders.unpack(), written, removed, crate::files::now_ns())
}

/// [`after_commit`], its stamps taken after `before`.
fn after_commit_at(
    out: &Path,
    mut folders: PathMap<FolderStamp>,
    written: &[String],
    removed: &[String],
    before: u64,
) -> PathMap<FolderStamp> {
    let mut touched = rustc_hash::FxHashSet::default();
    for rel in written.iter().chain(removed) {
        let mut rel = rel.as_str();
        while !rel.is_empty() {
            rel = parent(rel);
            if !touched.insert(rel) {
                break;
            }
        }
    }
    if written.iter().any(|w| folders.contains_key(w)) {
        let files: rustc_hash::FxHashSet<&str> = written.iter().map(String::as_str).collect();
        folders.retain(|rel, _| {
            let mut rel = rel.as_str();
            while !rel.is_empty() {
                if files.contains(rel) {
                    return false;
                }
                rel = parent(rel);
            }
            true
        });
    }
    let touched: Vec<&str> = touched.into_iter().collect();
    let Some(now) = folders::status_all(out, &touched) else {
        return PathMap::default();
    };
    for (rel, stamp) in touched.iter().zip(now) {
        match stamp {
            Some(stamp) => folders.insert(rel.to_string(), stamp.unless_racy(before)),
            None => folders.remove(*rel),
        };
    }
    folders
}

/// The walk on Unix: each folder opened and each file's stamp read through
/// the handle of the folder holding it, so no path is looked up from the
/// root again (28% less CPU than through paths, most of it the kernel's,
/// measured when the 10,000-article output had 25,000 folders and 67,000
/// files); the guided listing's lookups by path.
#[cfg(unix)]
mod folders {
    use std::ffi::CString;
    use std::io;
    use std::os::fd::{AsFd, OwnedFd};
    use std::path::Path;

    use rayon::prelude::*;
    use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, Stat};

    use super::{FolderStamp, Found, Walk};
    use crate::files::Stamp;

    const FOLDER: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::CLOEXEC)
        .union(OFlags::NOFOLLOW);

    /// The output folder, opened (it may be a link to one: followed, as
    /// `std::fs::read_dir` does; no link inside it is).
    pub fn open_output(out: &Path) -> io::Result<OwnedFd> {
        Ok(rustix::fs::open(
            out,
            FOLDER.difference(OFlags::NOFOLLOW),
            Mode::empty(),
        )?)
    }

    pub fn read(out: &Path, walk: Walk) -> io::Result<Found> {
        inside(open_output(out)?, "", walk, &|_| false)
    }

    /// `rel`'s path under the output folder, as the system takes it.
    fn c_path(rel: &str) -> io::Result<CString> {
        CString::new(if rel.is_empty() { "." } else { rel }).map_err(|_| io::ErrorKind::InvalidInput.into())
    }

    /// The stamp of the folder at `rel` under `root` (`None`: not there, or
    /// not a folder). The folders on its way are followed: the caller knows
    /// them for folders.
    pub fn status(root: &OwnedFd, rel: &str) -> Option<FolderStamp> {
        let s = rustix::fs::statat(root, c_path(rel).ok()?, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        (FileType::from_raw_mode(s.st_mode) == FileType::Directory).then(|| folder_stamp(&s))
    }

    /// [`status`] of each of `folders` under `out`, in parallel; `None`
    /// when `out` cannot be opened.
    pub fn status_all(out: &Path, folders: &[&str]) -> Option<Vec<Option<FolderStamp>>> {
        let root = open_output(out).ok()?;
        Some(folders.par_iter().map(|rel| status(&root, rel)).collect())
    }

    /// A recorded file of a trusted folder, with its stamp (`None` when it
    /// cannot be read), unless it is not there.
    pub fn file_status(root: &OwnedFd, rel: &str) -> Option<(String, Option<Stamp>)> {
        match rustix::fs::statat(root, c_path(rel).ok()?, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(s) if FileType::from_raw_mode(s.st_mode) == FileType::Directory => None,
            Ok(s) => Some((rel.to_string(), Some(stamp_of(&s)))),
            Err(rustix::io::Errno::NOENT) => None,
            Err(_) => Some((rel.to_string(), None)),
        }
    }

    /// The folder at `rel` read: its files and stamp, and the folders in it
    /// that `known` does not claim, walked.
    pub fn read_one(root: &OwnedFd, rel: &str, walk: Walk, known: &(dyn Fn(&str) -> bool + Sync)) -> io::Result<Found> {
        match rustix::fs::openat(root, c_path(rel)?, FOLDER, Mode::empty()) {
            Ok(fd) => inside(fd, rel, walk, known),
            // (gone, or something else now, since it was looked up: its holder changed too)
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR | rustix::io::Errno::LOOP) => Ok(Found::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Everything in `folder` (at `rel`), and in the folders inside it that
    /// `skip` does not claim, at any depth.
    fn inside(folder: OwnedFd, rel: &str, walk: Walk, skip: &(dyn Fn(&str) -> bool + Sync)) -> io::Result<Found> {
        let mut found = Found {
            read: 1,
            ..Found::default()
        };
        let mut folders = Vec::new();
        if walk.stamps {
            // (taken before the entries are read: an entry added meanwhile moves it)
            let stamp = folder_stamp(&rustix::fs::fstat(&folder)?);
            found.folders.push((rel.to_string(), stamp.unless_racy(walk.before)));
        }
        // (the entries are read through the handle itself, which the status calls below share:
        // they do not move its position; a copy of it, or `Dir::read_from`'s new handle, was two
        // more system calls for each of a large site's 38,000 folders)
        let mut dir = Dir::new(folder)?;
        while let Some(entry) = dir.read() {
            let entry = entry?;
            let fd = dir.fd()?;
            let name = entry.file_name();
            if matches!(name.to_bytes(), b"." | b"..") {
                continue;
            }
            let text = String::from_utf8_lossy(name.to_bytes());
            let path = if rel.is_empty() {
                text.into_owned()
            } else {
                format!("{rel}/{text}")
            };
            // (a link is a file here, whatever it points at; a file system
            // that does not say an entry's type is asked)
            let kind = match entry.file_type() {
                FileType::Unknown => rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map(|s| FileType::from_raw_mode(s.st_mode))?,
                kind => kind,
            };
            if kind == FileType::Directory {
                if !skip(&path) {
                    folders.push((name.to_owned(), path));
                }
            } else {
                let stamp = walk
                    .stamps
                    .then(|| rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW).ok())
                    .flatten()
                    .map(|s| stamp_of(&s));
                found.files.push((path, stamp));
            }
        }
        let fd = dir.fd()?;
        let read = |(name, path): &(CString, String)| {
            let sub = rustix::fs::openat(fd.as_fd(), name, FOLDER, Mode::empty())?;
            inside(sub, path, walk, &|_| false)
        };
        for one in super::each(&folders, walk.how, read)? {
            found.add(one?);
        }
        Ok(found)
    }

    /// Nanoseconds since the epoch (a time before 1970 is 0).
    // (the nanoseconds are unsigned on Linux, signed on other systems)
    #[allow(clippy::unnecessary_cast)]
    fn nanos(secs: i64, nanos: u64) -> u64 {
        match u64::try_from(secs) {
            Ok(secs) => secs.wrapping_mul(1_000_000_000).wrapping_add(nanos),
            Err(_) => 0,
        }
    }

    /// [`Stamp::of`] from the file's status.
    #[allow(clippy::unnecessary_cast)]
    fn stamp_of(s: &Stat) -> Stamp {
        Stamp {
            size: s.st_size as u64,
            mtime: nanos(s.st_mtime as i64, s.st_mtime_nsec as u64),
        }
    }

    #[allow(clippy::unnecessary_cast)]
    fn folder_stamp(s: &Stat) -> FolderStamp {
        FolderStamp {
            ctime: nanos(s.st_ctime as i64, s.st_ctime_nsec as u64),
            inode: s.st_ino as u64,
        }
    }
}

/// The walk elsewhere, through paths; folders have no stamps.
#[cfg(not(unix))]
mod folders {
    use std::io;
    use std::path::{Path, PathBuf};

    use super::{FolderStamp, Found, Walk};
    use crate::files::Stamp;

    pub fn read(out: &Path, walk: Walk) -> io::Result<Found> {
        inside(out, "", walk)
    }

    pub fn status_all(_: &Path, _: &[&str]) -> Option<Vec<Option<FolderStamp>>> {
        None
    }

    fn inside(path: &Path, rel: &str, walk: Walk) -> io::Result<Found> {
        let mut found = Found {
            read: 1,
            ..Found::default()
        };
        let mut folders = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let rel = if rel.is_empty() {
                name.into_owned()
            } else {
                format!("{rel}/{name}")
            };
            // (a link is a file here, whatever it points at)
            if entry.file_type()?.is_dir() {
                folders.push((entry.path(), rel));
            } else {
                let stamp = walk
                    .stamps
                    .then(|| entry.metadata().ok().map(|m| Stamp::of(&m)))
                    .flatten();
                found.files.push((rel, stamp));
            }
        }
        // (each folder's handle is closed before the ones inside are read)
        let read = |(path, rel): &(PathBuf, String)| inside(path, rel, walk);
        for one in super::each(&folders, walk.how, read)? {
            found.add(one?);
        }
        Ok(found)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    const PARALLEL: How<'static> = How {
        parallel: true,
        stop: None,
    };
    const IN_TURN: How<'static> = How {
        parallel: false,
        stop: None,
    };

    /// Writes `files` (path, text) under `out`.
    fn put(out: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            std::fs::create_dir_all(out.join(rel).parent().unwrap()).unwrap();
            std::fs::write(out.join(rel), text).unwrap();
        }
    }

    /// The files found, sorted, with their stamps.
    fn sorted(found: &Found) -> Vec<(String, Option<Stamp>)> {
        let mut files = found.files.clone();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    }

    /// The listing: every file at any depth, `/`-separated, with its stamp,
    /// and every folder with its own; a link to a folder outside is a file,
    /// not walked into.
    #[test]
    fn the_output_is_walked_file_by_file_and_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let outside = dir.path().join("outside");
        put(&outside, &[("secret.txt", "x")]);
        put(
            &out,
            &[
                ("z.html", "1"),
                ("a/index.html", "22"),
                ("a/b/c/d.png", "333"),
                ("b/x", ""),
            ],
        );
        std::fs::create_dir_all(out.join("empty")).unwrap();
        std::os::unix::fs::symlink(&outside, out.join("a/link")).unwrap();
        let want = ["a/b/c/d.png", "a/index.html", "a/link", "b/x", "z.html"];
        assert_eq!(output_files(&out).unwrap(), want);
        let far = crate::files::now_ns() + 3_600_000_000_000;
        let found = walked(&out, far, PARALLEL).unwrap();
        let files = sorted(&found);
        assert_eq!(
            sorted(&walked(&out, far, IN_TURN).unwrap()),
            files,
            "the same in parallel or in turn"
        );
        let names: Vec<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
        assert_eq!(names, want);
        for (rel, stamp) in &files {
            let m = std::fs::symlink_metadata(out.join(rel)).unwrap();
            assert_eq!(*stamp, Some(Stamp::of(&m)), "{rel}: the stamp a path's metadata gives");
        }
        let mut folders: Vec<&str> = found.folders.iter().map(|(rel, _)| rel.as_str()).collect();
        folders.sort();
        assert_eq!(folders, ["", "a", "a/b", "a/b/c", "b", "empty"]);
        assert_eq!(found.read, 6);
        for (rel, stamp) in &found.folders {
            use std::os::unix::fs::MetadataExt;
            let m = std::fs::metadata(out.join(rel)).unwrap();
            let ctime = m.ctime() as u64 * 1_000_000_000 + m.ctime_nsec() as u64;
            assert_eq!((stamp.ctime, stamp.inode), (ctime, m.ino()), "{rel:?}");
        }
        // just stamped: not trusted
        let now = walked(&out, crate::files::now_ns(), PARALLEL).unwrap();
        assert!(now.folders.iter().all(|(_, s)| *s == FolderStamp::UNKNOWN));
        assert!(output_files(&dir.path().join("none")).is_err());
        // an output folder that is itself a link is listed through it
        std::os::unix::fs::symlink(&out, dir.path().join("linked")).unwrap();
        assert_eq!(output_files(&dir.path().join("linked")).unwrap(), want);
    }

    /// A manifest of `out` as it is now: its files' records and its
    /// folders' stamps, taken as long enough ago to be trusted.
    fn manifest_of(out: &Path, at: &Path) -> manifest::Read {
        let far = crate::files::now_ns() + 3_600_000_000_000;
        let found = walked(out, far, PARALLEL).unwrap();
        let record = |stamp: Option<Stamp>| manifest::Record {
            fingerprint: 1,
            hash: 2,
            stamp: stamp.unwrap(),
            deps: 3,
        };
        let m = manifest::Manifest {
            inputs: 0,
            clean: true,
            pages: 0,
            files: found.files.into_iter().map(|(rel, s)| (rel, record(s))).collect(),
        };
        manifest::write(at, out, &m, || found.folders.into_iter().collect()).unwrap();
        manifest::Read::at(at).unwrap()
    }

    /// Guided by the manifest, a listing reads only the folders whose
    /// entries changed, and finds what a walk finds: a file changed in
    /// place, one added deep down, one removed, a new folder, a folder that
    /// became a link (a file, not followed), a folder removed.
    #[test]
    fn a_listing_guided_by_the_manifest_finds_what_a_walk_finds() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let outside = dir.path().join("outside");
        put(&outside, &[("secret.html", "x")]);
        put(
            &out,
            &[
                ("index.html", "home"),
                ("a/index.html", "a"),
                ("a/x/index.html", "ax"),
                ("a/x/card.png", "png"),
                ("a/y/index.html", "ay"),
                ("b/index.html", "b"),
                ("b/z/index.html", "bz"),
                ("c/q/index.html", "cq"),
            ],
        );
        let read = manifest_of(&out, &dir.path().join("m.manifest"));
        let far = crate::files::now_ns() + 3_600_000_000_000;
        let guided = |out: &Path| guided(out, &read, far, PARALLEL).unwrap().unwrap();
        let walk = |out: &Path| walked(out, far, PARALLEL).unwrap();
        let nothing = guided(&out);
        assert_eq!(sorted(&nothing), sorted(&walk(&out)));
        assert_eq!((nothing.read, nothing.folders.len()), (0, 8), "every folder trusted");

        // (a change within the file system's timestamp granularity could keep a folder's stamp)
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::fs::write(out.join("a/x/card.png"), "PNG").unwrap(); // in place: no folder changes
        std::fs::write(out.join("a/y/stray.html"), "stray").unwrap();
        std::fs::remove_file(out.join("b/index.html")).unwrap();
        put(&out, &[("a/new/deeper/index.html", "new")]);
        std::fs::remove_dir_all(out.join("b/z")).unwrap();
        std::fs::remove_dir_all(out.join("c/q")).unwrap();
        std::os::unix::fs::symlink(&outside, out.join("c/q")).unwrap();
        let after = guided(&out);
        let files = sorted(&after);
        assert_eq!(files, sorted(&walk(&out)));
        let names: Vec<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
        let want = [
            "a/index.html",
            "a/new/deeper/index.html",
            "a/x/card.png",
            "a/x/index.html",
            "a/y/index.html",
            "a/y/stray.html",
            "c/q",
            "index.html",
        ];
        assert_eq!(names, want);
        // read: a (a new folder in it), a/y, b, c; walked: a/new, a/new/deeper
        assert_eq!(after.read, 6);
        let mut folders: Vec<&str> = after.folders.iter().map(|(rel, _)| rel.as_str()).collect();
        folders.sort();
        assert_eq!(folders, ["", "a", "a/new", "a/new/deeper", "a/x", "a/y", "b", "c"]);

        // the output made again from nothing: every folder another, read
        std::fs::remove_dir_all(&out).unwrap();
        put(&out, &[("index.html", "home"), ("a/x/index.html", "ax")]);
        let again = guided(&out);
        assert_eq!(sorted(&again), sorted(&walk(&out)));
        assert_eq!(again.read, 3);
    }

    /// A manifest whose folders do not hang together (a file or folder whose
    /// folder it does not record), or that records none, is not followed:
    /// the output is walked.
    #[test]
    fn a_manifest_without_whole_folder_records_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        put(&out, &[("index.html", "home"), ("a/b/index.html", "ab")]);
        let at = dir.path().join("m.manifest");
        let read = manifest_of(&out, &at);
        let far = crate::files::now_ns() + 3_600_000_000_000;
        assert!(guided(&out, &read, far, PARALLEL).is_some());
        let text = std::fs::read_to_string(&at).unwrap();
        for drop in ["a", "a/b", ""] {
            let line = text.lines().find(|l| l.starts_with("d ") && &l[36..] == drop);
            let cut = text.replace(&format!("{}\n", line.unwrap()), "");
            std::fs::write(&at, cut).unwrap();
            let read = manifest::Read::at(&at).unwrap();
            assert!(guided(&out, &read, far, PARALLEL).is_none(), "without {drop:?}");
        }
        let files_only: String = text
            .lines()
            .filter(|l| !l.starts_with("d "))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&at, files_only).unwrap();
        let read = manifest::Read::at(&at).unwrap();
        assert!(guided(&out, &read, far, PARALLEL).is_none());
        let listing = list(&out, Some(&read));
        assert_eq!(listing.files.len(), 2);
        let folders = listing.folders.unpack();
        let mut paths: Vec<&str> = folders.keys().map(String::as_str).collect();
        paths.sort();
        assert_eq!(paths, ["", "a", "a/b"]);
        // in turn, the same; none once told to stop
        let stop = AtomicBool::new(false);
        let in_turn = list_until(&out, Some(&read), &stop).unwrap();
        assert_eq!((in_turn.files, in_turn.folders.unpack()), (listing.files, folders));
        stop.store(true, Ordering::Relaxed);
        assert!(list_until(&out, Some(&read), &stop).is_none());
    }

    /// Packed folders unpack as they were, whatever their paths.
    #[test]
    fn packed_folders_unpack_as_they_were() {
        let stamp = |n: u64| FolderStamp {
            ctime: 1_796_614_031_537_572_204 + n,
            inode: u64::MAX - n,
        };
        let folders: Vec<(String, FolderStamp)> = ["", "a b/c", "đ/ở", "z", "a"]
            .iter()
            .enumerate()
            .map(|(n, p)| (p.to_string(), stamp(n as u64)))
            .collect();
        let want: PathMap<FolderStamp> = folders.iter().cloned().collect();
        assert_eq!(Folders::pack(folders).unpack(), want);
        assert!(Folders::default().unpack().is_empty());
    }

    /// After a commit, the folders it touched are stamped again, the ones
    /// it removed (or put a file in the place of) leave; the others keep
    /// the listing's stamps.
    #[test]
    fn a_commit_stamps_again_the_folders_it_touched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        put(
            &out,
            &[
                ("index.html", "home"),
                ("a/x/index.html", "ax"),
                ("b/y/index.html", "by"),
                ("c/d/e", "e"),
                ("k/index.html", "k"),
            ],
        );
        let far = crate::files::now_ns() + 3_600_000_000_000;
        let before: PathMap<FolderStamp> = walked(&out, far, PARALLEL).unwrap().folders.into_iter().collect();
        std::thread::sleep(std::time::Duration::from_millis(50));
        put(&out, &[("a/x/card.png", "png"), ("n/m/index.html", "nm")]);
        // (taken at once: what follows may take over the 0.1 s margin on a busy machine)
        let just_after = crate::files::now_ns();
        std::fs::remove_dir_all(out.join("b/y")).unwrap();
        std::fs::remove_dir_all(out.join("c/d")).unwrap();
        std::fs::write(out.join("c/d"), "a file now").unwrap();
        let written = ["a/x/card.png", "n/m/index.html", "c/d"].map(String::from);
        let removed = ["b/y/index.html".to_string()];
        let after = after_commit_at(&out, before.clone(), &written, &removed, far);
        let now: PathMap<FolderStamp> = walked(&out, far, PARALLEL).unwrap().folders.into_iter().collect();
        assert_eq!(after, now, "each folder there, stamped as it is");
        assert_eq!(after["k"], before["k"], "k: not touched");
        for moved in ["", "a/x", "b", "c"] {
            assert_ne!(after[moved], before[moved], "{moved:?}: its entries changed");
        }
        // stamped just before: the next listing reads them
        let soon = after_commit_at(&out, before, &written, &removed, just_after);
        assert_eq!(soon["a/x"], FolderStamp::UNKNOWN);
    }
}
