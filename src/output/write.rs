//! Writing the output directory, all or nothing. Every path is checked to
//! stay inside the output; files whose bytes did not change are left alone
//! (not even touched); files an earlier build made that are no longer
//! produced are removed.
//!
//! A write is planned first (what differs from what is there), then the
//! changed files are written into a staging directory *next to* the output
//! (`.NAME.glossa-staging`), and only when all of them are written is the
//! change committed: a journal file marks the staging complete, each file is
//! renamed into place and stale files are removed. A failure or interruption
//! while staging leaves the output byte-identical (the staging dir is
//! discarded on the next run); an interruption during the commit — a burst
//! of renames — is rolled forward by the next run, which finds the journal.
//!
//! Stage 5 of the pipeline: output.

use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::files::{Stamp, hash};
use crate::output::listing::output_files;
use crate::output::{Last, Listing, PathMap};

/// What a write did, in counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// What a write did: the output paths written and removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
}

impl WriteReport {
    pub fn stats(&self) -> WriteStats {
        WriteStats {
            written: self.written.len(),
            unchanged: self.unchanged,
            removed: self.removed.len(),
        }
    }
}

/// Whether `rel` is a plain relative path (no `..`, root, prefix, NUL or `\`).
pub fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\0')
        && !rel.contains('\\')
        && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)))
}

/// What must change in the output directory.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub write: Vec<(&'a str, &'a [u8])>,
    pub remove: Vec<String>,
    pub unchanged: usize,
}

/// Compares `files` with the output: with `known` (path → what the last
/// write put there) it trusts that record; without, it reads the disk.
pub fn plan<'a>(out: &Path, files: &'a [(String, Vec<u8>)], known: Option<&PathMap<Last>>) -> io::Result<Plan<'a>> {
    let mut plan = Plan::default();
    for (rel, bytes) in files {
        if !is_safe_relative(rel) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write outside the output directory: {rel:?}"),
            ));
        }
        let same = match known {
            Some(k) => k.get(rel).map(|l| l.hash) == Some(hash(bytes)) && out.join(rel).is_file(),
            None => same_file_bytes(&out.join(rel), bytes),
        };
        if same {
            plan.unchanged += 1;
        } else {
            plan.write.push((rel, bytes));
        }
    }
    let produced: HashSet<&str> = files.iter().map(|f| f.0.as_str()).collect();
    match known {
        Some(k) => plan.remove = k.keys().filter(|p| !produced.contains(p.as_str())).cloned().collect(),
        None if out.is_dir() => {
            for rel in output_files(out)? {
                if !produced.contains(rel.as_str()) {
                    plan.remove.push(rel);
                }
            }
        }
        None => {}
    }
    plan.remove.sort();
    Ok(plan)
}

fn same_file_bytes(path: &Path, bytes: &[u8]) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && m.len() == bytes.len() as u64 => std::fs::read(path).is_ok_and(|b| b == bytes),
        _ => false,
    }
}

/// The staging directory for `out`: a hidden sibling.
pub fn staging_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or("public".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.glossa-staging"))
}

const JOURNAL: &str = ".glossa-commit";

/// Test-only fault injection: with `GLOSSA_FAIL_AFTER_WRITES=N` in the
/// environment, staging fails after N files, as a full disk would.
fn injected_failure(written: usize) -> io::Result<()> {
    match std::env::var("GLOSSA_FAIL_AFTER_WRITES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) if written >= n => Err(io::Error::other("injected write failure (GLOSSA_FAIL_AFTER_WRITES)")),
        _ => Ok(()),
    }
}

/// Carries out `plan`: stage, then commit. See the module docs.
pub fn commit(out: &Path, plan: &Plan<'_>) -> io::Result<WriteReport> {
    recover(out)?;
    let mut report = WriteReport {
        unchanged: plan.unchanged,
        ..Default::default()
    };
    if plan.write.is_empty() && plan.remove.is_empty() {
        return Ok(report);
    }
    let staging = staging_dir(out);
    if let Err(e) = stage(&staging, plan) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    // The journal makes the staging complete: from here on we roll forward.
    let written: Vec<&str> = plan.write.iter().map(|(r, _)| &**r).collect();
    write_journal(&staging, &written, &plan.remove)?;
    apply_journal(out, &staging, steps(&written, &plan.remove))?;
    report.written = plan.write.iter().map(|(r, _)| r.to_string()).collect();
    report.removed = plan.remove.clone();
    Ok(report)
}

fn stage(staging: &Path, plan: &Plan<'_>) -> io::Result<()> {
    if staging.exists() {
        std::fs::remove_dir_all(staging)?;
    }
    std::fs::create_dir_all(staging)?;
    for (i, (rel, bytes)) in plan.write.iter().enumerate() {
        injected_failure(i)?;
        let p = staging.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, bytes)?;
    }
    Ok(())
}

/// Finishes a commit an earlier run started, or discards an incomplete
/// staging directory.
pub fn recover(out: &Path) -> io::Result<()> {
    let staging = staging_dir(out);
    if !staging.exists() {
        return Ok(());
    }
    match std::fs::read_to_string(staging.join(JOURNAL)) {
        Ok(journal) => apply_journal(out, &staging, journal_steps(&journal)),
        Err(_) => std::fs::remove_dir_all(&staging),
    }
}

/// One step of a commit: a staged file moved into the output, or an output
/// file removed.
#[derive(Clone, Copy)]
enum Step<'a> {
    Write(&'a str),
    Remove(&'a str),
}

/// The steps of a commit that writes `written` and removes `removed`, in
/// the journal's order.
fn steps<'a>(written: &'a [impl AsRef<str>], removed: &'a [impl AsRef<str>]) -> impl Iterator<Item = Step<'a>> {
    let w = written.iter().map(|r| Step::Write(r.as_ref()));
    w.chain(removed.iter().map(|r| Step::Remove(r.as_ref())))
}

/// The steps a journal's text lists (`w PATH` and `r PATH` lines; any other
/// line is skipped).
fn journal_steps(journal: &str) -> impl Iterator<Item = Step<'_>> {
    journal
        .lines()
        .filter_map(|line| match line.split_at(2.min(line.len())) {
            ("w ", rel) => Some(Step::Write(rel)),
            ("r ", rel) => Some(Step::Remove(rel)),
            _ => None,
        })
}

/// Writes the journal of a commit into `staging`, a line at a time (at
/// 50,000 articles a change every page shows journals 305,000 files: some
/// 14 MB of text, not held in memory while the commit runs).
fn write_journal(staging: &Path, written: &[impl AsRef<str>], removed: &[impl AsRef<str>]) -> io::Result<()> {
    use std::io::Write;
    let mut f = io::BufWriter::new(std::fs::File::create(staging.join(JOURNAL))?);
    for step in steps(written, removed) {
        let (op, rel) = match step {
            Step::Write(rel) => ("w ", rel),
            Step::Remove(rel) => ("r ", rel),
        };
        f.write_all(op.as_bytes())?;
        f.write_all(rel.as_bytes())?;
        f.write_all(b"\n")?;
    }
    f.flush()
}

fn apply_journal<'a>(out: &Path, staging: &Path, steps: impl Iterator<Item = Step<'a>>) -> io::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut touched_dirs = HashSet::new();
    for step in steps {
        let (Step::Write(rel) | Step::Remove(rel)) = step;
        if !is_safe_relative(rel) {
            continue;
        }
        let target = out.join(rel);
        match step {
            Step::Write(_) => {
                let from = staging.join(rel);
                if !from.exists() {
                    continue; // already moved by an interrupted run
                }
                if let Ok(m) = std::fs::symlink_metadata(&target)
                    && m.is_dir()
                {
                    std::fs::remove_dir_all(&target)?;
                }
                if let Some(parent) = target.parent() {
                    make_dirs(out, parent)?;
                }
                std::fs::rename(&from, &target)?;
            }
            Step::Remove(_) => {
                // A folder stands there when this commit wrote files under a
                // path that was a file (`a` → `a/index.html`): the file is
                // already gone, and the folder is output.
                if std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
                    continue;
                }
                match std::fs::remove_file(&target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                if let Some(parent) = target.parent() {
                    touched_dirs.insert(parent.to_path_buf());
                }
            }
        }
    }
    // Remove folders the removals emptied, deepest first.
    let mut dirs: Vec<PathBuf> = touched_dirs.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        let mut cur = Some(d.as_path());
        while let Some(dir) = cur {
            if dir == out || !dir.starts_with(out) || std::fs::remove_dir(dir).is_err() {
                break;
            }
            cur = dir.parent();
        }
    }
    std::fs::remove_dir_all(staging)
}

/// Stages `bytes` at `p`: as a hard link to `file` when given and a link can
/// be made (no stamp then: the manifest reads it after the commit), else
/// written and stamped.
fn stage_file(p: &Path, bytes: &[u8], file: Option<&Path>) -> io::Result<Option<Stamp>> {
    match file.is_some_and(|f| std::fs::hard_link(f, p).is_ok()) {
        true => Ok(None),
        false => write_stamped(p, bytes).map(Some),
    }
}

/// Writes `bytes` to a new file at `p` and returns its stamp, read from the
/// open file: a rename into the output keeps it (the manifest would otherwise
/// look each file up again after the commit: 67,570 lookups, 0.1 s at the
/// end of a cold build of 10,000 articles). And should another program
/// change the file before the manifest is written, the stamp recorded is
/// not the changed file's, so the next build reads it again instead of
/// trusting the hash. (A file system that sets the time later — NFS, as it
/// writes back at close — gives the next build other stamps: those files
/// are read again, which is slower, never wrong.)
fn write_stamped(p: &Path, bytes: &[u8]) -> io::Result<Stamp> {
    use std::io::Write;
    let mut f = std::fs::File::create(p)?;
    f.write_all(bytes)?;
    Ok(Stamp::of(&f.metadata()?))
}

/// Makes the folder a staged file goes in. Usually its parent is there and it
/// is not, or it is there already (made by another thread): one `mkdir` then,
/// where `create_dir_all` also looks at what stands there (a file in its
/// place makes the write fail, as it would have made `create_dir_all` fail).
fn make_parent(dir: &Path) -> io::Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) => std::fs::create_dir_all(dir),
    }
}

/// `create_dir_all` that replaces a file standing where a folder must be.
fn make_dirs(out: &Path, dir: &Path) -> io::Result<()> {
    match std::fs::create_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) => {
            let mut cur = dir;
            while cur != out && cur.starts_with(out) {
                if std::fs::symlink_metadata(cur).is_ok_and(|m| !m.is_dir()) {
                    std::fs::remove_file(cur)?;
                    return std::fs::create_dir_all(dir);
                }
                match cur.parent() {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            Err(e)
        }
    }
}

/// Streaming form of [`plan`] + [`commit`] for builds: each rendered file is
/// offered as soon as it exists (from any thread), compared, and — if it
/// differs — written into the staging directory at once; only hashes are
/// kept, so memory does not grow with the size of the site. [`Stager::commit`]
/// then removes what is no longer produced and commits the journal.
pub struct Stager<'k> {
    out: PathBuf,
    staging: PathBuf,
    known: Option<&'k PathMap<Last>>,
    /// Every file in the output directory with its stamp, when known (a
    /// listing just taken), and the last build's record of it: what is not
    /// produced again is removed, and a file is found intact by its listed
    /// stamp, not looked up again.
    listing: Option<Listing>,
    staged: std::sync::atomic::AtomicUsize,
    ready: std::sync::OnceLock<io::Result<()>>,
    /// The hashes of the folders made in the staging folder so far.
    folders: std::sync::Mutex<rustc_hash::FxHashSet<u64>>,
}

/// How many folders a stager knows it made before it forgets them all (and
/// makes a forgotten folder's next file try a `mkdir` that fails, as before):
/// some 0.6 MB. At 10,000 articles the output has 39,540 folders; at 50,000,
/// where the peak is within a few MB of its target, some 200,000.
const FOLDERS_KNOWN: usize = 50_000;

/// What happened to one offered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub path: String,
    pub hash: u64,
    /// The file's stamp when known: as it was found, when it was kept; as
    /// written, when it was staged by writing it (not by a link). The
    /// manifest reads the others from the disk after the commit.
    pub stamp: Option<Stamp>,
    pub changed: bool,
}

impl AsRef<Offered> for Offered {
    fn as_ref(&self) -> &Offered {
        self
    }
}

impl<'k> Stager<'k> {
    /// Finishes or discards an earlier interrupted write first. `known`:
    /// what the output holds (path → the hash of its bytes, with what else
    /// the last build recorded), when known; `listing`: every file in it
    /// with its stamp, when known (else, without `known`, it is walked),
    /// and the last build's records when `known` is not given.
    pub fn new(out: &Path, known: Option<&'k PathMap<Last>>, listing: Option<Listing>) -> io::Result<Stager<'k>> {
        recover(out)?;
        Ok(Stager {
            out: out.to_path_buf(),
            staging: staging_dir(out),
            known,
            listing,
            staged: std::sync::atomic::AtomicUsize::new(0),
            ready: std::sync::OnceLock::new(),
            folders: Default::default(),
        })
    }

    /// Compares `bytes` with what the output holds at `rel` and stages it
    /// when it differs.
    pub fn offer(&self, rel: &str, bytes: &[u8]) -> io::Result<Offered> {
        self.offer_from(rel, bytes, None)
    }

    /// [`Stager::offer`], the bytes staged as a hard link to `file` when
    /// given (a file that holds them: a card of the card cache) and a link
    /// can be made there, else written.
    pub fn offer_from(&self, rel: &str, bytes: &[u8], file: Option<&Path>) -> io::Result<Offered> {
        if !is_safe_relative(rel) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write outside the output directory: {rel:?}"),
            ));
        }
        let h = hash(bytes);
        let same = match (self.known, &self.listing) {
            (Some(k), _) => k.get(rel).map(|l| l.hash) == Some(h) && self.is_there(rel),
            // (a file not as the last build left it is not the same, without looking)
            (None, Some(listing)) if listing.recorded => {
                listing.files.get(rel).and_then(|l| l.last).map(|l| l.hash) == Some(h)
            }
            // (not listed, or listed with another size: not the same, without looking — a
            // cold build offers every file of an empty output)
            (None, Some(listing)) => {
                listing
                    .files
                    .get(rel)
                    .is_some_and(|l| l.stamp.size == bytes.len() as u64)
                    && same_file_bytes(&self.out.join(rel), bytes)
            }
            (None, None) => same_file_bytes(&self.out.join(rel), bytes),
        };
        let mut stamp = None;
        if !same {
            let ready = self.ready.get_or_init(|| {
                if self.staging.exists() {
                    std::fs::remove_dir_all(&self.staging)?;
                }
                std::fs::create_dir_all(&self.staging)
            });
            if let Err(e) = ready {
                return Err(io::Error::new(e.kind(), e.to_string()));
            }
            let n = self.staged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            injected_failure(n)?;
            let p = self.staging.join(rel);
            // (`None`: the staging folder itself)
            let parent = rel.rsplit_once('/').and(p.parent());
            if let Some(parent) = parent
                && self.first_into(parent)
            {
                make_parent(parent)?;
            }
            stamp = match (stage_file(&p, bytes, file), parent) {
                (Err(e), Some(parent)) if e.kind() == io::ErrorKind::NotFound => {
                    make_parent(parent)?;
                    stage_file(&p, bytes, file)?
                }
                (staged, _) => staged?,
            };
        }
        Ok(Offered {
            path: rel.to_string(),
            hash: h,
            stamp,
            changed: !same,
        })
    }

    /// Whether `folder` (in the staging folder) is new to this stager. A
    /// folder is made by the first file offered into it; the others (a
    /// quote's page and card, the search index's shards) skip the `mkdir`
    /// that would fail: 30,000 of them at 10,000 articles. Folders are known
    /// by their paths' hashes: should two agree, the second folder's first
    /// file fails to stage for want of it, and makes it then.
    fn first_into(&self, folder: &Path) -> bool {
        let h = hash(folder.as_os_str().as_encoded_bytes());
        self.folders.lock().is_ok_and(|mut made| {
            if made.len() >= FOLDERS_KNOWN && !made.contains(&h) {
                made.clear();
            }
            made.insert(h)
        })
    }

    /// Where the bytes of an offer are on disk now: the staged file when it
    /// was staged, else the output's file (which held the same bytes).
    pub fn file_of(&self, offered: &Offered) -> PathBuf {
        match offered.changed {
            true => self.staging.join(&offered.path),
            false => self.out.join(&offered.path),
        }
    }

    /// What the last build left at `rel` (the hash of its bytes first) and
    /// the file's stamp, when that is known and the file is still there.
    pub fn intact(&self, rel: &str) -> Option<(&Last, Stamp)> {
        match (self.known, &self.listing) {
            (Some(k), listing) => {
                let last = k.get(rel)?;
                let stamp = match listing {
                    Some(listing) => listing.files.get(rel)?.stamp,
                    None => Stamp::read(&self.out.join(rel))?,
                };
                Some((last, stamp))
            }
            (None, Some(listing)) => {
                let l = listing.files.get(rel)?;
                Some((l.last.as_ref()?, l.stamp))
            }
            (None, None) => None,
        }
    }

    /// Whether a file is at `rel` (as listed, when there is a listing).
    fn is_there(&self, rel: &str) -> bool {
        match &self.listing {
            Some(listing) => listing.files.contains_key(rel),
            None => self.out.join(rel).is_file(),
        }
    }

    /// Keeps the file at `rel` as it is (as [`Stager::intact`] found it).
    pub fn keep(&self, rel: &str, (last, stamp): (&Last, Stamp)) -> Offered {
        Offered {
            path: rel.to_string(),
            hash: last.hash,
            stamp: Some(stamp),
            changed: false,
        }
    }

    /// Drops everything staged: the output stays as it was.
    pub fn abort(self) {
        if self.ready.get().is_some() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }

    /// Commits the staged files and removes outputs not in `produced`.
    pub fn commit(self, produced: &[impl AsRef<Offered>]) -> io::Result<WriteReport> {
        self.commit_with(produced, true)
    }

    /// Commits the staged files of `offered`, leaving every other output as
    /// it is (a patch offers only the pages an edit can change).
    pub fn commit_changes(self, offered: &[impl AsRef<Offered>]) -> io::Result<WriteReport> {
        self.commit_with(offered, false)
    }

    fn commit_with(mut self, produced: &[impl AsRef<Offered>], remove_others: bool) -> io::Result<WriteReport> {
        let count = produced.len();
        let produced = || produced.iter().map(AsRef::as_ref);
        let changed = || produced().filter(|o| o.changed).map(|o| o.path.clone()).collect();
        let (mut written, mut remove): (Vec<String>, Vec<String>) = match self.listing.take() {
            _ if !remove_others => (changed(), Vec::new()),
            // What the output held less what was produced is what goes; the paths written are
            // the listing's own, moved (at 50,000 articles a change every page shows writes
            // 305,000 files: copies of their paths, and a set of the 320,000 produced, held
            // 30 MB more at the end of the build)
            Some(Listing { files: mut all, .. }) => {
                let mut written = Vec::new();
                for o in produced() {
                    let listed = all.remove_entry(o.path.as_str()).map(|(path, _)| path);
                    if o.changed {
                        written.push(listed.unwrap_or_else(|| o.path.clone()));
                    }
                }
                (written, all.into_keys().collect())
            }
            None => {
                // (hashed with FxHash, as the output's other path maps: 70,000 paths at 10,000 articles)
                let mut names = rustc_hash::FxHashSet::with_capacity_and_hasher(count, Default::default());
                names.extend(produced().map(|o| o.path.as_str()));
                let remove = match self.known {
                    Some(k) => k.keys().filter(|p| !names.contains(p.as_str())).cloned().collect(),
                    None if self.out.is_dir() => output_files(&self.out)?
                        .into_iter()
                        .filter(|rel| !names.contains(rel.as_str()))
                        .collect(),
                    None => Vec::new(),
                };
                (changed(), remove)
            }
        };
        remove.sort_unstable();
        written.sort_unstable();
        let report = WriteReport {
            unchanged: count - written.len(),
            written,
            removed: remove,
        };
        if report.written.is_empty() && report.removed.is_empty() {
            self.abort();
            return Ok(report);
        }
        // A first build (no output folder, or an empty one): the staging
        // folder becomes the output in one rename — as atomic as the journal,
        // and one system call instead of one per file.
        let fresh = match std::fs::read_dir(&self.out) {
            Err(e) => e.kind() == io::ErrorKind::NotFound,
            Ok(mut entries) => entries.next().is_none() && std::fs::remove_dir(&self.out).is_ok(),
        };
        if fresh && report.unchanged == 0 && self.ready.get().is_some_and(|r| r.is_ok()) {
            std::fs::rename(&self.staging, &self.out)?;
            return Ok(report);
        }
        std::fs::create_dir_all(&self.staging)?;
        write_journal(&self.staging, &report.written, &report.removed)?;
        let steps = steps(&report.written, &report.removed);
        apply_journal(&self.out, &self.staging, steps)?;
        Ok(report)
    }
}

/// Plans against the disk and commits: what `glossa build` does.
pub fn write_site(out: &Path, files: &[(String, Vec<u8>)]) -> io::Result<WriteReport> {
    recover(out)?;
    let plan = plan(out, files, None)?;
    commit(out, &plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record of a file that holds `bytes`, nothing else known.
    fn last(bytes: &str) -> Last {
        Last {
            hash: hash(bytes.as_bytes()),
            fingerprint: None,
            deps: 0,
        }
    }

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(is_safe_relative("articles/x/index.html"));
        assert!(!is_safe_relative("../x"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative("a\\b"));
        assert!(!is_safe_relative("a/../../b"));
        let dir = tempfile::tempdir().unwrap();
        let files = vec![("../escape.txt".to_string(), b"x".to_vec())];
        assert!(write_site(&dir.path().join("out"), &files).is_err());
        assert!(!dir.path().join("escape.txt").exists());
    }

    #[test]
    fn unchanged_files_are_not_rewritten_and_stale_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let files = vec![
            ("a/index.html".to_string(), b"A".to_vec()),
            ("b.txt".to_string(), b"B".to_vec()),
        ];
        assert_eq!(
            write_site(&out, &files).unwrap().stats(),
            WriteStats {
                written: 2,
                unchanged: 0,
                removed: 0
            }
        );
        assert_eq!(
            write_site(&out, &files).unwrap().stats(),
            WriteStats {
                written: 0,
                unchanged: 2,
                removed: 0
            }
        );
        let fewer = vec![files[1].clone()];
        assert_eq!(
            write_site(&out, &fewer).unwrap().stats(),
            WriteStats {
                written: 0,
                unchanged: 1,
                removed: 1
            }
        );
        assert!(!out.join("a").exists());
        assert!(!staging_dir(&out).exists());
    }

    #[test]
    fn an_interrupted_commit_is_rolled_forward() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, &[("old.txt".to_string(), b"old".to_vec())]).unwrap();
        // A complete staging dir with its journal, as if the process died
        // right after writing the journal.
        let staging = staging_dir(&out);
        std::fs::create_dir_all(staging.join("n")).unwrap();
        std::fs::write(staging.join("n/new.txt"), "new").unwrap();
        std::fs::write(staging.join(JOURNAL), "w n/new.txt\nr old.txt\n").unwrap();
        recover(&out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("n/new.txt")).unwrap(), "new");
        assert!(!out.join("old.txt").exists());
        assert!(!staging.exists());
        // An incomplete one (no journal) is discarded.
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("junk.txt"), "junk").unwrap();
        recover(&out).unwrap();
        assert!(!staging.exists() && !out.join("junk.txt").exists());
    }

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn the_known_hashes_are_trusted_only_for_files_still_there() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let all = [("a.html", "A"), ("b.html", "B"), ("c.html", "C"), ("old.html", "O")];
        write_site(&out, &files(&all)).unwrap();
        std::fs::remove_file(out.join("c.html")).unwrap(); // removed by hand
        // (b's record says other bytes than the page has now)
        let known: PathMap<Last> = [("a.html", "A"), ("b.html", "B0"), ("c.html", "C"), ("old.html", "O")]
            .iter()
            .map(|(p, b)| (p.to_string(), last(b)))
            .collect();
        let now = files(&all[..3]);
        let p = plan(&out, &now, Some(&known)).unwrap();
        let written: Vec<&str> = p.write.iter().map(|w| w.0).collect();
        assert_eq!(written, ["b.html", "c.html"]);
        assert_eq!(p.unchanged, 1);
        assert_eq!(p.remove, ["old.html"]);
        // the same through the streaming writer
        let stager = Stager::new(&out, Some(&known), None).unwrap();
        let offered: Vec<Offered> = now.iter().map(|(p, b)| stager.offer(p, b).unwrap()).collect();
        let changed: Vec<&str> = offered.iter().filter(|o| o.changed).map(|o| o.path.as_str()).collect();
        assert_eq!(changed, ["b.html", "c.html"]);
        stager.commit(&offered).unwrap();
        assert_eq!(std::fs::read(out.join("c.html")).unwrap(), b"C");
        assert!(!out.join("old.html").exists());
    }

    /// A symbolic link in the output is replaced by a file, even when what
    /// it points at has the page's bytes (and the link itself their length):
    /// the site must not depend on a file outside it.
    #[cfg(unix)]
    #[test]
    fn a_symlink_in_the_output_is_replaced_by_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        std::fs::create_dir_all(&out).unwrap();
        let outside = dir.path().join("outside.html");
        let bytes = outside.to_str().unwrap().as_bytes().to_vec();
        std::fs::write(&outside, &bytes).unwrap();
        std::os::unix::fs::symlink(&outside, out.join("a.html")).unwrap();
        let now = vec![("a.html".to_string(), bytes.clone())];
        assert_eq!(plan(&out, &now, None).unwrap().write.len(), 1);
        write_site(&out, &now).unwrap();
        let m = std::fs::symlink_metadata(out.join("a.html")).unwrap();
        assert!(m.is_file() && !m.file_type().is_symlink());
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), bytes);
        assert_eq!(std::fs::read(&outside).unwrap(), bytes);
    }

    #[test]
    fn a_file_where_a_folder_must_be_makes_way() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, &files(&[("a", "a file"), ("b.txt", "B")])).unwrap();
        write_site(&out, &files(&[("a/index.html", "A"), ("b.txt", "B")])).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/index.html")).unwrap(), "A");
    }

    #[test]
    fn removals_tolerate_a_file_already_gone_and_keep_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, &files(&[("x/y/z.html", "Z"), ("gone.html", "G")])).unwrap();
        std::fs::remove_file(out.join("gone.html")).unwrap();
        let known: PathMap<Last> = [("x/y/z.html", "Z"), ("gone.html", "G")]
            .iter()
            .map(|(p, b)| (p.to_string(), last(b)))
            .collect();
        let p = plan(&out, &[], Some(&known)).unwrap();
        assert_eq!(p.remove, ["gone.html", "x/y/z.html"]);
        commit(&out, &p).unwrap();
        // the folders the removals emptied go, the output folder stays
        assert!(!out.join("x").exists());
        assert!(out.is_dir());
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }

    #[test]
    fn the_streaming_writer_walks_the_output_when_nothing_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        // a first build: no output folder yet, so the staging folder
        // becomes the output in one rename
        let stager = Stager::new(&out, None, None).unwrap();
        let offered = vec![
            stager.offer("a.html", b"A").unwrap(),
            stager.offer("stale.html", b"S").unwrap(),
        ];
        #[cfg(unix)]
        let staged = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(staging_dir(&out)).unwrap());
        stager.commit(&offered).unwrap();
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&out).unwrap()),
            staged
        );
        // then one that no longer makes stale.html
        let stager = Stager::new(&out, None, None).unwrap();
        let offered = vec![stager.offer("a.html", b"A").unwrap()];
        assert!(!offered[0].changed);
        let report = stager.commit(&offered).unwrap();
        assert_eq!(
            report.stats(),
            WriteStats {
                written: 0,
                unchanged: 1,
                removed: 1
            }
        );
        assert!(out.join("a.html").is_file() && !out.join("stale.html").exists());
    }

    /// A temporary folder with an output folder's path in it (not made) and
    /// a file holding `PNG`, as a card of the card cache would.
    fn output_and_a_cached_card() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (out, cached) = (dir.path().join("public"), dir.path().join("cached.png"));
        std::fs::write(&cached, b"PNG").unwrap();
        (dir, out, cached)
    }

    /// A folder is made once, by the first file offered into it; should it be
    /// gone when a later file is staged (taken away, or another folder with
    /// the same hash), that file makes it again, whether written or linked.
    #[test]
    fn a_folder_made_once_is_made_again_when_it_is_gone() {
        let (_dir, out, cached) = output_and_a_cached_card();
        let stager = Stager::new(&out, None, None).unwrap();
        let mut offered = Vec::new();
        for (folder, file, cached) in [("q/a", "more.html", None), ("q/c", "card.png", Some(&cached))] {
            offered.push(stager.offer(&format!("{folder}/index.html"), b"I").unwrap());
            std::fs::remove_dir_all(staging_dir(&out).join(folder)).unwrap();
            let o = stager.offer_from(&format!("{folder}/{file}"), b"PNG", cached.map(|p| p.as_path()));
            offered.push(o.unwrap());
        }
        offered.push(stager.offer("q/b/index.html", b"B").unwrap());
        stager.commit(&offered).unwrap();
        assert_eq!(std::fs::read(out.join("q/a/more.html")).unwrap(), b"PNG");
        assert_eq!(std::fs::read(out.join("q/c/card.png")).unwrap(), b"PNG");
        assert_eq!(std::fs::read(out.join("q/b/index.html")).unwrap(), b"B");
        assert!(!out.join("q/a/index.html").exists() && !out.join("q/c/index.html").exists());
    }

    /// A file staged by writing it carries the stamp the output then has
    /// (the manifest records it without looking the file up again), into a
    /// new output folder and into one that exists; a staged link does not.
    #[test]
    fn a_written_file_is_stamped_as_the_output_has_it() {
        let (_dir, out, cached) = output_and_a_cached_card();
        for (a, b) in [("A", "B"), ("AA", "BBB")] {
            let stager = Stager::new(&out, None, None).unwrap();
            let offered = vec![
                stager.offer("a.html", a.as_bytes()).unwrap(),
                stager.offer("x/b.html", b.as_bytes()).unwrap(),
                stager.offer_from("c.png", b"PNG", Some(&cached)).unwrap(),
            ];
            assert_eq!(offered[2].stamp, None);
            stager.commit(&offered).unwrap();
            for o in &offered[..2] {
                assert!(o.changed);
                assert_eq!(o.stamp, Stamp::read(&out.join(&o.path)), "{}", o.path);
            }
        }
    }

    /// A removal that fails for a reason other than the file being gone
    /// (here a name longer than the file system allows) stops the commit,
    /// and the journal stays for the next run to finish.
    #[test]
    fn a_removal_that_fails_stops_the_commit_and_keeps_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, &[("a.txt".to_string(), b"A".to_vec())]).unwrap();
        let staging = staging_dir(&out);
        std::fs::create_dir_all(&staging).unwrap();
        let journal = format!("r {}.html\nr a.txt\n", "x".repeat(300));
        std::fs::write(staging.join(JOURNAL), &journal).unwrap();
        assert!(recover(&out).is_err());
        assert!(staging.join(JOURNAL).exists(), "the journal is kept");
        assert!(out.join("a.txt").exists(), "nothing after the failure was done");
    }

    /// Making a folder the output needs never touches what is above the
    /// output folder, even when it fails for another reason than a file in
    /// the way (a name too long): a symlinked parent stays.
    #[cfg(unix)]
    #[test]
    fn making_folders_stops_at_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("real"), &link).unwrap();
        let out = link.join("public");
        std::fs::create_dir(&out).unwrap();
        assert!(make_dirs(&out, &out.join("x".repeat(300))).is_err());
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    }
}
