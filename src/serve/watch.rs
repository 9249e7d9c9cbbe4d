//! Watching the site's inputs: `content/`, `templates/`, `static/` and
//! `glossa.toml`, never the output directory. File events are debounced by
//! notify-debouncer-full and handed on as batches of relevant paths; a batch
//! holding only editor temp files (`*.swp`, `*~`, `4913`, `.#*`) is dropped.
//! The rebuild rescans everything, so a missed event inside a batch (a new
//! folder whose files inotify did not report) costs nothing. The same
//! channel carries work for the rebuild loop ([`Jobs`]: the annotator's
//! requests), so that it runs between rebuilds, never during one.
//!
//! On top of the pipeline: the preview server.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::files::is_ignored_name;

/// The folders under the root that are inputs.
pub const INPUT_DIRS: [&str; 3] = ["content", "templates", "static"];

/// A batch of changed inputs (relative to the root), or the watcher's
/// complaint, or work handed to the rebuild loop.
pub enum Batch {
    Changed(Vec<PathBuf>),
    /// Events were lost (queue overflow): rebuild anyway.
    Rescan,
    Error(String),
    /// Work to run between rebuilds (the annotator's: [`super::Job`]).
    Job(super::Job),
}

/// What arrives on the watcher's channel: the debouncer's events, or work
/// sent through a [`Jobs`].
enum Inbox {
    Fs(DebounceEventResult),
    Job(super::Job),
}

/// Hands work to the loop that waits on a [`Watch`]: it runs between two
/// rebuilds, never during one.
#[derive(Clone)]
pub struct Jobs(mpsc::Sender<Inbox>);

impl Jobs {
    /// Queues `job`; false when the loop has stopped.
    pub fn send(&self, job: super::Job) -> bool {
        self.0.send(Inbox::Job(job)).is_ok()
    }
}

/// The input file `path` (absolute, as notify reports it) stands for, as a
/// path relative to `root`; `None` for the output dir, editor temp files and
/// anything that is not an input.
pub fn relevant(root: &Path, out: &Path, path: &Path) -> Option<PathBuf> {
    if path.starts_with(out) {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    if rel == Path::new(crate::config::FILE) {
        return Some(rel.to_path_buf());
    }
    let mut comps = rel.components();
    let first = comps.next()?.as_os_str().to_str()?;
    if !INPUT_DIRS.contains(&first) {
        return None;
    }
    if rel
        .components()
        .any(|c| c.as_os_str().to_str().is_none_or(is_ignored_name))
    {
        return None;
    }
    Some(rel.to_path_buf())
}

/// Whether an event kind can mean new bytes. Reads (opening, closing after
/// reading — which every rebuild does to every input) and metadata changes
/// (atime, permissions, `touch`) cannot, and rebuilding on them would loop.
pub fn changes_content(kind: &EventKind) -> bool {
    !matches!(kind, EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)))
}

/// Watches a site root; dropping it stops the watching.
pub struct Watch {
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    /// How long after a batch a following one still joins it.
    gap: Duration,
    root: PathBuf,
    out: PathBuf,
    rx: mpsc::Receiver<Inbox>,
    tx: mpsc::Sender<Inbox>,
    /// Jobs that arrived while a batch was being gathered: next.
    deferred: std::collections::VecDeque<super::Job>,
}

impl Watch {
    /// `root` and `out` are made absolute so they compare with what notify
    /// reports.
    pub fn new(root: &Path, out: &Path, debounce: Duration) -> notify::Result<Watch> {
        let root = std::path::absolute(root)?;
        let out = std::path::absolute(out)?;
        let (tx, rx) = mpsc::channel();
        let events = tx.clone();
        let mut debouncer = new_debouncer(debounce, None, move |r: DebounceEventResult| {
            let _ = events.send(Inbox::Fs(r));
        })?;
        // The root itself, not recursively: glossa.toml (editors replace it
        // by renaming, which a watch on the file itself would lose) and the
        // input folders appearing later.
        debouncer.watch(&root, RecursiveMode::NonRecursive)?;
        let mut w = Watch {
            debouncer,
            // a burst still going on sends a batch every quarter debounce
            // (the debouncer's tick)
            gap: (debounce / 4).clamp(Duration::from_millis(2), Duration::from_millis(30)),
            root,
            out,
            rx,
            tx,
            deferred: Default::default(),
        };
        for dir in INPUT_DIRS {
            w.watch_dir(dir);
        }
        Ok(w)
    }

    fn watch_dir(&mut self, dir: &str) {
        let path = self.root.join(dir);
        // Never the output dir, even if someone put it inside an input.
        if path.is_dir() && !self.out.starts_with(&path) {
            let _ = self.debouncer.unwatch(&path);
            if let Err(e) = self.debouncer.watch(&path, RecursiveMode::Recursive) {
                eprintln!("warning: cannot watch {}: {e}", path.display());
            }
        } else if path.is_dir() {
            // The output dir is inside this input dir: watch its children
            // except the output dir.
            if let Ok(entries) = std::fs::read_dir(&path) {
                let _ = self.debouncer.watch(&path, RecursiveMode::NonRecursive);
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() && !p.starts_with(&self.out) && !self.out.starts_with(&p) {
                        let _ = self.debouncer.watch(&p, RecursiveMode::Recursive);
                    }
                }
            }
        }
    }

    /// A handle that queues work for whoever calls [`Watch::next`].
    pub fn jobs(&self) -> Jobs {
        Jobs(self.tx.clone())
    }

    /// Waits up to `timeout` for the next batch; `None` when nothing came.
    /// Batches arriving right after the first are merged into it, so a burst
    /// of changes gives one rebuild. A job comes back on its own, at once
    /// (or right after the batch being gathered when it arrived).
    pub fn next(&mut self, timeout: Duration) -> Option<Batch> {
        if let Some(job) = self.deferred.pop_front() {
            return Some(Batch::Job(job));
        }
        let first = match self.rx.recv_timeout(timeout).ok()? {
            Inbox::Job(job) => return Some(Batch::Job(job)),
            Inbox::Fs(r) => r,
        };
        let mut results = vec![first];
        // Bounded, so that a never-ending stream of events cannot starve
        // the rebuild (or the stop flag).
        let until = std::time::Instant::now() + Duration::from_millis(500);
        while std::time::Instant::now() < until
            && let Ok(more) = self.rx.recv_timeout(self.gap)
        {
            match more {
                Inbox::Fs(r) => results.push(r),
                Inbox::Job(job) => {
                    self.deferred.push_back(job);
                    break;
                }
            }
        }
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut rescan = false;
        let mut errors = Vec::new();
        let mut new_dirs = Vec::new();
        for result in results {
            match result {
                Ok(events) => {
                    for ev in events {
                        rescan |= ev.need_rescan();
                        if !changes_content(&ev.kind) {
                            continue;
                        }
                        for p in &ev.paths {
                            if let Some(rel) = relevant(&self.root, &self.out, p) {
                                if let Some(dir) = INPUT_DIRS.iter().find(|d| rel == Path::new(d)) {
                                    new_dirs.push(*dir);
                                }
                                if !paths.contains(&rel) {
                                    paths.push(rel);
                                }
                            }
                        }
                    }
                }
                Err(errs) => errors.extend(errs.into_iter().map(|e| e.to_string())),
            }
        }
        // An input folder (re)created: watch it (again).
        for dir in new_dirs {
            self.watch_dir(dir);
        }
        if rescan {
            Some(Batch::Rescan)
        } else if !paths.is_empty() {
            paths.sort();
            Some(Batch::Changed(paths))
        } else if !errors.is_empty() {
            Some(Batch::Error(errors.join("; ")))
        } else {
            // Only ignored paths: nothing to do, but report that we woke.
            Some(Batch::Changed(Vec::new()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inputs_are_relevant() {
        let root = Path::new("/site");
        let out = Path::new("/site/public");
        let rel = |p: &str| relevant(root, out, Path::new(p)).map(|r| r.to_string_lossy().into_owned());
        assert_eq!(rel("/site/glossa.toml").as_deref(), Some("glossa.toml"));
        assert_eq!(
            rel("/site/content/articles/a.md").as_deref(),
            Some("content/articles/a.md")
        );
        assert_eq!(rel("/site/templates/base.html").as_deref(), Some("templates/base.html"));
        assert_eq!(rel("/site/static/x.png").as_deref(), Some("static/x.png"));
        assert_eq!(rel("/site/content").as_deref(), Some("content"));
        for ignored in [
            "/site/public/index.html",
            "/site/README.md",
            "/site/content/articles/.a.md.swp",
            "/site/content/articles/a.md.swp",
            "/site/content/articles/a.md~",
            "/site/content/articles/4913",
            "/site/content/articles/.#a.md",
            "/site/content/.git/x",
            "/elsewhere/content/a.md",
        ] {
            assert_eq!(rel(ignored), None, "{ignored}");
        }
        // An output dir inside an input folder is never an input.
        assert_eq!(
            relevant(
                root,
                Path::new("/site/static/out"),
                Path::new("/site/static/out/a.html")
            ),
            None
        );
    }
}
