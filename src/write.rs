//! Writing the output directory: every file path checked to stay inside it,
//! files whose bytes did not change left alone (not even touched), files from
//! an earlier build that are no longer produced removed.

use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

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
        WriteStats { written: self.written.len(), unchanged: self.unchanged, removed: self.removed.len() }
    }
}

/// Whether `rel` is a plain relative path (no `..`, root, prefix, NUL or `\`).
pub fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\0')
        && !rel.contains('\\')
        && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)))
}

/// Writes `files` (relative path, bytes) into `out`, skipping unchanged files
/// and removing files that are not in `files`.
pub fn write_site(out: &Path, files: &[(String, Vec<u8>)]) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    let mut keep: HashSet<PathBuf> = HashSet::new();
    std::fs::create_dir_all(out)?;
    for (rel, bytes) in files {
        if !is_safe_relative(rel) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("refusing to write outside the output directory: {rel:?}")));
        }
        let path = out.join(rel);
        keep.insert(path.clone());
        if write_if_changed(&path, bytes)? {
            report.written.push(rel.clone());
        } else {
            report.unchanged += 1;
        }
    }
    report.removed = remove_stale(out, &keep)?;
    Ok(report)
}

/// Writes `bytes` to `path` unless it already holds exactly them.
/// Returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.is_file() && meta.len() == bytes.len() as u64 && std::fs::read(path)? == bytes {
            return Ok(false);
        }
        if meta.is_dir() {
            std::fs::remove_dir_all(path)?;
        }
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)?;
    Ok(true)
}

fn remove_stale(out: &Path, keep: &HashSet<PathBuf>) -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(out).min_depth(1).follow_links(false) {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_dir() {
            dirs.push(entry.path().to_path_buf());
        } else if !keep.contains(entry.path()) {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.path().strip_prefix(out).unwrap_or(entry.path()).to_string_lossy().replace('\\', "/"));
        }
    }
    // Deepest first, so emptied parents go too.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        if std::fs::read_dir(&d)?.next().is_none() {
            std::fs::remove_dir(&d)?;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(is_safe_relative("articles/x/index.html"));
        assert!(!is_safe_relative("../x"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative("a\\b"));
        assert!(!is_safe_relative("a/../../b"));
    }

    #[test]
    fn unchanged_files_are_not_rewritten_and_stale_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![("a/index.html".to_string(), b"A".to_vec()), ("b.txt".to_string(), b"B".to_vec())];
        assert_eq!(write_site(dir.path(), &files).unwrap().stats(), WriteStats { written: 2, unchanged: 0, removed: 0 });
        assert_eq!(write_site(dir.path(), &files).unwrap().stats(), WriteStats { written: 0, unchanged: 2, removed: 0 });
        let fewer = vec![files[1].clone()];
        assert_eq!(write_site(dir.path(), &fewer).unwrap().stats(), WriteStats { written: 0, unchanged: 1, removed: 1 });
        assert!(!dir.path().join("a").exists());
    }
}
