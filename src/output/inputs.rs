//! The inputs digest: one hash of every file a build reads (`glossa.toml`,
//! `content/`, `templates/`, `static/`, `i18n/`: names and bytes) and of
//! the options, which the manifest and `check`'s stamp compare with the last
//! one to know that nothing changed.
//!
//! Each file's bytes are hashed with xxh3, and the hash is kept by its
//! stamp in `.glossa-cache/inputs`: a file whose stamp (size, modification
//! and change times in nanoseconds, inode) is the one kept is not read
//! again. A write changes the change time, which no program can set back
//! (on Unix; elsewhere the stamp is the size and modification time alone);
//! a file stamped less than two seconds (`RACY`) before the digest started
//! is not kept, since a second write within the file system's timestamp
//! granularity could leave the same stamp (git's "racy clean" problem).
//! Symbolic links are read each time.
//!
//! Stage 5 of the pipeline: output.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::BuildOptions;
use crate::files::{Found, KnownHashes};

const HEADER: &str = "glossa-inputs 1";

/// How recent a file's stamp may be and still be kept (nanoseconds).
const RACY: u64 = 2_000_000_000;

/// What identifies a file's bytes without reading them: the size and
/// modification time of [`crate::files::Stamp`], and the change time and
/// inode (on Unix; elsewhere the modification time again, and 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    file: crate::files::Stamp,
    ctime: u64,
    inode: u64,
}

impl Stamp {
    // (the Unix walk reads the same values from the status itself: see its test)
    #[cfg(any(not(unix), test))]
    fn of(meta: &std::fs::Metadata) -> Stamp {
        let file = crate::files::Stamp::of(meta);
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ctime = (meta.ctime() as u64)
                .wrapping_mul(1_000_000_000)
                .wrapping_add(meta.ctime_nsec() as u64);
            Stamp {
                file,
                ctime,
                inode: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            Stamp {
                file,
                ctime: file.mtime,
                inode: 0,
            }
        }
    }
}

/// The hash of every input of the site at `root` with `opts` (see the
/// module docs); the stamps and hashes of its files are kept in
/// `.glossa-cache/inputs` for the next time.
pub fn digest(root: &Path, opts: &BuildOptions) -> u64 {
    digest_with(root, opts, false).0
}

/// [`digest`], with the hash of each file in `content/articles/` as found
/// (which loading may use instead of reading an article whose anchoring is
/// stored).
pub fn digest_and_known(root: &Path, opts: &BuildOptions) -> (u64, KnownHashes) {
    digest_with(root, opts, true)
}

fn digest_with(root: &Path, opts: &BuildOptions, with_known: bool) -> (u64, KnownHashes) {
    let started = crate::files::now_ns();
    let kept_at = root.join(".glossa-cache").join("inputs");
    // (the kept stamps read beside the walk: each is one core's work)
    let (kept, (mut files, articles_walked)) = rayon::join(|| read(&kept_at), || walk::inputs(root));
    let articles_dir = Path::new("content/articles");
    files.par_sort_unstable_by(|a, b| crate::files::path_order(&a.0, &b.0));
    let hashed: Vec<(bool, Option<u64>, Option<Stamp>)> = files
        .par_iter()
        .map(|(rel, status)| {
            let link = status.as_ref().is_some_and(|s| s.found == Found::Link);
            let stamp = status.as_ref().filter(|_| !link).map(|s| s.stamp);
            if let Some(s) = stamp
                && let Some(&(was, hash)) = kept.get(rel)
                && was == s
            {
                return (link, Some(hash), stamp);
            }
            let p = root.join(rel);
            let bytes = match link {
                true => std::fs::read_link(&p)
                    .ok()
                    .map(|t| t.into_os_string().into_encoded_bytes()),
                false => std::fs::read(&p).ok(),
            };
            (link, bytes.map(|b| xxhash_rust::xxh3::xxh3_64(&b)), stamp)
        })
        .collect();
    let keep: Vec<(&Path, Stamp, u64)> = files
        .iter()
        .zip(&hashed)
        .filter_map(|((rel, _), &(_, hash, stamp))| Some((rel.as_path(), stamp?, hash?)))
        .filter(|(_, s, _)| s.file.mtime.max(s.ctime).saturating_add(RACY) < started)
        .collect();
    let unchanged = keep.len() == kept.len() && keep.iter().all(|(rel, s, h)| kept.get(*rel) == Some(&(*s, *h)));
    if !unchanged {
        write(&kept_at, &keep);
    }
    let names: Vec<(&PathBuf, bool, Option<u64>)> = files
        .iter()
        .zip(&hashed)
        .map(|((rel, _), &(link, hash, _))| (rel, link, hash))
        .collect();
    let mut known = KnownHashes::default();
    let articles = files
        .iter()
        .zip(&hashed)
        .filter(|((rel, _), _)| with_known && rel.starts_with(articles_dir));
    let mut found = Vec::new();
    for ((rel, status), &(link, hash, _)) in articles {
        let size = status.as_ref().map_or(0, |s| s.stamp.file.size);
        known.add(rel.clone(), size, hash.filter(|_| !link));
        if articles_walked && let Some(s) = status {
            found.push((rel.clone(), s.found));
        }
    }
    if articles_walked && with_known {
        known.set_articles(found);
    }
    let mut h = DefaultHasher::new();
    (names, &opts.base_url, opts.drafts, &opts.output_dir).hash(&mut h);
    (h.finish(), known)
}

/// What the digest's walk found at a path: what it is, and its stamp (a link's own).
struct Status {
    found: Found,
    stamp: Stamp,
}

impl Status {
    /// (from the status a call that does not follow links gives)
    #[cfg(not(unix))]
    fn of(meta: &std::fs::Metadata) -> Status {
        Status {
            found: Found::of_type(meta.file_type()),
            stamp: Stamp::of(meta),
        }
    }
}

/// The walk of the inputs: every file (not folder) of the site's `glossa.toml`, `content/`,
/// `templates/`, `static/` and `i18n/` with its status (`None` when it cannot be read), in no
/// order; and whether it went into `content/articles/` as a folder (not through a link: see
/// [`KnownHashes::articles`]). Links are listed, not followed (but a top folder that is one).
#[cfg(unix)]
mod walk {
    use std::ffi::OsStr;
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    use rayon::prelude::*;
    use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

    use super::{Stamp, Status};
    use crate::files::Found;

    const FOLDER: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::CLOEXEC);

    /// (each folder opened and each file's status read through the handle of the folder holding
    /// it, in parallel: through paths from the root, the statuses alone took 30 ms of a build
    /// at 10,000 articles)
    pub fn inputs(root: &Path) -> (Vec<(PathBuf, Option<Status>)>, bool) {
        let mut files = Vec::new();
        let mut articles_walked = false;
        let top = rustix::fs::open(root, FOLDER, Mode::empty());
        let Ok(top) = top else {
            return (files, false);
        };
        let top_names = [OsStr::new("glossa.toml")];
        files.extend(statuses(top.as_fd(), Path::new(""), &top_names));
        for name in ["content", "templates", "static", "i18n"] {
            // (a top folder given as a link is followed)
            match rustix::fs::openat(top.as_fd(), name, FOLDER, Mode::empty()) {
                Ok(fd) => folder(fd, Path::new(name), &mut files, &mut articles_walked),
                Err(rustix::io::Errno::NOTDIR) => {
                    files.extend(statuses(top.as_fd(), Path::new(""), &[OsStr::new(name)]))
                }
                Err(_) => {}
            }
        }
        (files, articles_walked)
    }

    fn folder(fd: OwnedFd, rel: &Path, files: &mut Vec<(PathBuf, Option<Status>)>, articles_walked: &mut bool) {
        let Ok(mut dir) = Dir::new(fd) else { return };
        let (mut names, mut folders) = (Vec::new(), Vec::new());
        while let Some(Ok(entry)) = dir.read() {
            let name = entry.file_name().to_bytes();
            if matches!(name, b"." | b"..") {
                continue;
            }
            let name = OsStr::from_bytes(name).to_os_string();
            let kind = match (entry.file_type(), dir.fd()) {
                (FileType::Unknown, Ok(fd)) => rustix::fs::statat(fd, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
                    .map_or(FileType::Unknown, |s| FileType::from_raw_mode(s.st_mode)),
                (kind, _) => kind,
            };
            match kind {
                FileType::Directory => folders.push(name),
                _ => names.push(name),
            }
        }
        let Ok(fd) = dir.fd() else { return };
        let names: Vec<&OsStr> = names.iter().map(|n| n.as_os_str()).collect();
        files.extend(statuses(fd, rel, &names));
        for name in folders {
            let sub = rel.join(&name);
            *articles_walked |= sub == Path::new("content/articles");
            let nofollow = FOLDER.union(OFlags::NOFOLLOW);
            if let Ok(fd) = rustix::fs::openat(fd, name.as_os_str(), nofollow, Mode::empty()) {
                folder(fd, &sub, files, articles_walked);
            }
        }
    }

    /// The status of each of `names` in the folder `fd` (at `rel`), in parallel.
    fn statuses(fd: rustix::fd::BorrowedFd<'_>, rel: &Path, names: &[&OsStr]) -> Vec<(PathBuf, Option<Status>)> {
        names
            .par_iter()
            .map(|name| {
                let status = rustix::fs::statat(fd, *name, AtFlags::SYMLINK_NOFOLLOW)
                    .ok()
                    .map(|s| Status {
                        found: match FileType::from_raw_mode(s.st_mode) {
                            FileType::Symlink => Found::Link,
                            FileType::RegularFile => Found::File,
                            _ => Found::Other,
                        },
                        stamp: stamp_of(&s),
                    });
                (rel.join(name), status)
            })
            .collect()
    }

    /// The values `Stamp::of` reads from `std`'s metadata, from a file's status (a time before
    /// 1970 is 0).
    // (the nanoseconds are unsigned on Linux, signed on other systems)
    #[allow(clippy::unnecessary_cast)]
    fn stamp_of(s: &rustix::fs::Stat) -> Stamp {
        let mtime = match u64::try_from(s.st_mtime) {
            Ok(secs) => secs.wrapping_mul(1_000_000_000).wrapping_add(s.st_mtime_nsec as u64),
            Err(_) => 0,
        };
        let ctime = (s.st_ctime as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(s.st_ctime_nsec as u64);
        Stamp {
            file: crate::files::Stamp {
                size: s.st_size as u64,
                mtime,
            },
            ctime,
            inode: s.st_ino as u64,
        }
    }
}

/// The walk of the inputs (see the Unix one), through paths.
#[cfg(not(unix))]
mod walk {
    use std::path::{Path, PathBuf};

    use rayon::prelude::*;

    use super::Status;

    pub fn inputs(root: &Path) -> (Vec<(PathBuf, Option<Status>)>, bool) {
        let mut names = vec![PathBuf::from("glossa.toml")];
        let mut articles_walked = false;
        for dir in ["content", "templates", "static", "i18n"] {
            for entry in walkdir::WalkDir::new(root.join(dir))
                .follow_links(false)
                .into_iter()
                .flatten()
            {
                let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                if !entry.file_type().is_dir() {
                    names.push(rel.to_path_buf());
                } else if rel == Path::new("content/articles") {
                    articles_walked = !entry.path_is_symlink();
                }
            }
        }
        let files = names
            .into_par_iter()
            .map(|rel| {
                let status = std::fs::symlink_metadata(root.join(&rel)).ok().map(|m| Status::of(&m));
                (rel, status)
            })
            .collect();
        (files, articles_walked)
    }
}

/// The kept stamps and hashes: one line per file, `SIZE MTIME CTIME INODE
/// HASH PATH`. Anything unreadable is taken for nothing kept.
fn read(path: &Path) -> HashMap<PathBuf, (Stamp, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return HashMap::new();
    }
    let line = |l: &str| {
        let mut f = l.splitn(6, ' ');
        let mut n = || f.next()?.parse::<u64>().ok();
        let file = crate::files::Stamp {
            size: n()?,
            mtime: n()?,
        };
        let stamp = Stamp {
            file,
            ctime: n()?,
            inode: n()?,
        };
        let hash = u64::from_str_radix(f.next()?, 16).ok()?;
        Some((PathBuf::from(f.next()?), (stamp, hash)))
    };
    lines.map(line).collect::<Option<_>>().unwrap_or_default()
}

/// Writes the kept stamps (a new file renamed over the old: a reader sees
/// one or the other). A failure only means reading the files next time.
fn write(path: &Path, keep: &[(&Path, Stamp, u64)]) {
    use std::fmt::Write as _;
    let mut text = format!("{HEADER}\n");
    for (rel, s, h) in keep {
        let Some(rel) = rel.to_str().filter(|r| !r.contains('\n')) else {
            continue;
        };
        let _ = writeln!(
            text,
            "{} {} {} {} {h:016x} {rel}",
            s.file.size, s.file.mtime, s.ctime, s.inode
        );
    }
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!(".inputs.{}", std::process::id()));
    if std::fs::write(&tmp, text).is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Diagnostics;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("glossa.toml"), "title = \"t\"\n").expect("written");
        std::fs::create_dir_all(dir.path().join("content/articles")).expect("made");
        std::fs::write(dir.path().join("content/articles/a.md"), "# A\n").expect("written");
        dir
    }

    /// What the last digest kept.
    fn kept(root: &Path) -> HashMap<PathBuf, (Stamp, u64)> {
        read(&root.join(".glossa-cache/inputs"))
    }

    #[test]
    fn a_change_of_bytes_changes_the_digest_and_recent_files_are_not_kept() {
        let dir = site();
        let opts = BuildOptions::default();
        let first = digest(dir.path(), &opts);
        // just written: too recent to be trusted next time
        assert!(kept(dir.path()).is_empty());
        assert_eq!(digest(dir.path(), &opts), first);
        std::fs::write(dir.path().join("content/articles/a.md"), "# B\n").expect("written");
        let second = digest(dir.path(), &opts);
        assert_ne!(second, first);
        std::fs::write(dir.path().join("content/articles/b.md"), "# B\n").expect("written");
        assert_ne!(digest(dir.path(), &opts), second, "a new file");
    }

    #[test]
    fn a_kept_hash_is_used_only_while_the_stamp_is_the_same() {
        let dir = site();
        let opts = BuildOptions::default();
        let a = dir.path().join("content/articles/a.md");
        let truth = digest(dir.path(), &opts);
        // a kept hash that is not the file's, under the file's stamp: it
        // stands for the file while the stamp holds, and not once a write
        // changed the stamp (the change time, at least)
        let stamp = Stamp::of(&std::fs::symlink_metadata(&a).expect("stat"));
        write(
            &dir.path().join(".glossa-cache/inputs"),
            &[(Path::new("content/articles/a.md"), stamp, 42)],
        );
        assert_ne!(digest(dir.path(), &opts), truth, "the planted hash stood for the file");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&a, "# A\n").expect("written again, the same bytes");
        assert_eq!(digest(dir.path(), &opts), truth, "a changed stamp: read again");
    }

    #[test]
    fn the_kept_file_round_trips_and_rejects_what_it_cannot_read() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("inputs");
        let s = Stamp {
            file: crate::files::Stamp { size: 1, mtime: 2 },
            ctime: 3,
            inode: 4,
        };
        write(&path, &[(Path::new("content/a b.md"), s, 0xabc)]);
        let back = read(&path);
        assert_eq!(back.get(Path::new("content/a b.md")), Some(&(s, 0xabc)));
        std::fs::write(&path, format!("{HEADER}\n1 2 x 4 abc content/a.md\n")).expect("written");
        assert!(read(&path).is_empty());
        std::fs::write(&path, "glossa-inputs 0\n").expect("written");
        assert!(read(&path).is_empty());
    }

    /// The digest's walk stands for the site's listing of its articles: the same files in the
    /// same order, the same warnings — and none when it did not go into the folder as the
    /// listing does.
    #[cfg(unix)]
    #[test]
    fn the_articles_the_digest_found_are_the_ones_the_listing_finds() {
        let dir = site();
        let articles = dir.path().join("content/articles");
        for name in [
            "b.md",
            "a.annotations.toml",
            ".hidden.md",
            "x.md~",
            "Ä-z.md",
            "sub/c.md",
        ] {
            let p = articles.join(name);
            std::fs::create_dir_all(p.parent().expect("a folder")).expect("made");
            std::fs::write(p, "# x\n").expect("written");
        }
        std::os::unix::fs::symlink(articles.join("b.md"), articles.join("leak.md")).expect("linked");
        let listed = |known: Option<&KnownHashes>| {
            let mut diags = Diagnostics::default();
            let files = match known {
                Some(k) => k.articles(&mut diags),
                None => Some(crate::files::list_files(
                    dir.path(),
                    Path::new("content/articles"),
                    &mut diags,
                )),
            };
            let warnings: Vec<String> = diags.iter().map(|d| format!("{d:?}")).collect();
            (files, warnings)
        };
        let (_, known) = digest_and_known(dir.path(), &BuildOptions::default());
        let (files, warnings) = listed(Some(&known));
        assert_eq!((files.clone(), warnings.clone()), listed(None));
        assert_eq!(files.expect("walked").len(), 5, "a, a's annotations, b, Ä-z, sub/c");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        // the folder itself a link: the listing goes in, the digest's walk does not
        let elsewhere = tempfile::tempdir().expect("a temporary folder");
        std::fs::rename(&articles, elsewhere.path().join("articles")).expect("moved");
        std::os::unix::fs::symlink(elsewhere.path().join("articles"), &articles).expect("linked");
        let (_, known) = digest_and_known(dir.path(), &BuildOptions::default());
        assert_eq!(known.articles(&mut Diagnostics::default()), None);
    }

    /// The walk through folder handles finds what a walk through paths finds, with the same
    /// stamps: files, links (not followed), files in folders, a folder given as a link at the
    /// top (followed) and one inside (not).
    #[cfg(unix)]
    #[test]
    fn the_walk_finds_every_input_with_the_stamp_its_status_gives() {
        let dir = site();
        let root = dir.path();
        for (rel, text) in [
            ("content/articles/b.md", "b"),
            ("content/entities/x/y.md", "y"),
            ("i18n/vi.toml", ""),
        ] {
            std::fs::create_dir_all(root.join(rel).parent().expect("a folder")).expect("made");
            std::fs::write(root.join(rel), text).expect("written");
        }
        std::os::unix::fs::symlink(root.join("content/articles/b.md"), root.join("content/articles/l.md"))
            .expect("linked");
        let outside = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(outside.path().join("s.css"), "s").expect("written");
        std::os::unix::fs::symlink(outside.path(), root.join("static")).expect("linked");
        std::os::unix::fs::symlink(outside.path(), root.join("content/elsewhere")).expect("linked");
        let (mut found, walked) = walk::inputs(root);
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let got: Vec<(PathBuf, Option<(Found, Stamp)>)> = found
            .into_iter()
            .map(|(rel, s)| (rel, s.map(|s| (s.found, s.stamp))))
            .collect();
        let want: Vec<(PathBuf, Option<(Found, Stamp)>)> = [
            "content/articles/a.md",
            "content/articles/b.md",
            "content/articles/l.md",
            "content/elsewhere",
            "content/entities/x/y.md",
            "glossa.toml",
            "i18n/vi.toml",
            "static/s.css",
        ]
        .iter()
        .map(|rel| {
            let m = std::fs::symlink_metadata(root.join(rel)).expect("there");
            (PathBuf::from(rel), Some((Found::of_type(m.file_type()), Stamp::of(&m))))
        })
        .collect();
        assert_eq!(got, want);
        assert!(walked);
        assert_eq!(got[2].1.expect("found").0, Found::Link);
    }
}
