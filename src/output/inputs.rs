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
use crate::files::KnownHashes;

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
    let kept = read(&kept_at);
    let mut names = vec![PathBuf::from("glossa.toml")];
    // (whether the walk goes into `content/articles/` as the site's listing of its articles would:
    // then what it finds there is that listing)
    let articles_dir = Path::new("content/articles");
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
            } else if rel == articles_dir {
                articles_walked = !entry.path_is_symlink();
            }
        }
    }
    names.par_sort_unstable_by(|a, b| crate::files::path_order(a, b));
    // (the walk reads folders; the stamps, one call per file, in parallel)
    let files: Vec<(PathBuf, Option<std::fs::Metadata>)> = names
        .into_par_iter()
        .map(|rel| {
            let meta = std::fs::symlink_metadata(root.join(&rel)).ok();
            (rel, meta)
        })
        .collect();
    let hashed: Vec<(bool, Option<u64>, Option<Stamp>)> = files
        .par_iter()
        .map(|(rel, meta)| {
            let link = meta.as_ref().is_some_and(|m| m.file_type().is_symlink());
            let stamp = meta.as_ref().filter(|_| !link).map(Stamp::of);
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
    for ((rel, meta), &(link, hash, _)) in articles {
        let size = meta.as_ref().map_or(0, |m| m.len());
        known.add(rel.clone(), size, hash.filter(|_| !link));
        if articles_walked && let Some(m) = meta {
            found.push((rel.clone(), crate::files::Found::of_type(m.file_type())));
        }
    }
    if articles_walked && with_known {
        known.set_articles(found);
    }
    let mut h = DefaultHasher::new();
    (names, &opts.base_url, opts.drafts, &opts.output_dir).hash(&mut h);
    (h.finish(), known)
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
}
