//! Every write the annotator makes: only plain paths under `content/`,
//! never through a symlink, atomic (a temporary file renamed over the
//! old one), a new file never over an existing one, and files put back
//! as they were (a failed change, undo).
//!
//! On top of the pipeline: the preview server.

use std::path::{Component, Path, PathBuf};

/// Whether `rel` is a plain path under `content/` whose folders and file,
/// as far as they exist, are no symlinks.
pub(super) fn confined(root: &Path, rel: &Path) -> Result<(), String> {
    let mut comps = rel.components();
    if comps.next() != Some(Component::Normal("content".as_ref())) {
        return Err("only files under content/ are written".into());
    }
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err("not a plain path under content/".into());
    }
    let mut at = root.to_path_buf();
    for c in rel.components() {
        at.push(c);
        match at.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link, which is never written through",
                    at.display()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A temporary name beside `path` (hidden and `.tmp`: the watcher ignores it).
pub(super) fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.glossa.tmp", std::process::id()))
}

/// Writes `bytes` to `root/rel` atomically (a temporary file renamed over
/// it).
pub(super) fn write_atomic(root: &Path, rel: &Path, bytes: &[u8]) -> Result<(), String> {
    confined(root, rel)?;
    let path = root.join(rel);
    let tmp = temp_beside(&path);
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        e.to_string()
    })
}

/// Creates `root/rel` with `bytes`, atomically, failing if it exists.
pub(super) fn create_new(root: &Path, rel: &Path, bytes: &[u8]) -> Result<(), String> {
    confined(root, rel)?;
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        confined(root, rel)?;
    }
    let tmp = temp_beside(&path);
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    // a hard link fails when the name is taken: never an overwrite
    let linked = std::fs::hard_link(&tmp, &path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!("{} exists already", rel.display()),
        _ => e.to_string(),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

pub(super) fn remove_file(root: &Path, rel: &Path) -> Result<(), String> {
    confined(root, rel)?;
    match std::fs::remove_file(root.join(rel)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Puts files back as they were before a change.
pub(super) fn restore(root: &Path, done: &[(PathBuf, Option<Vec<u8>>, u64)]) {
    for (rel, before, _) in done.iter().rev() {
        let _ = match before {
            Some(b) => write_atomic(root, rel, b),
            None => remove_file(root, rel),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_under_content_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("content/articles")).unwrap();
        assert!(confined(root, Path::new("content/articles/a.annotations.toml")).is_ok());
        for bad in ["content/../x", "static/a.css", "/etc/passwd", "glossa.toml"] {
            assert!(confined(root, Path::new(bad)).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("x.toml"), "keep").unwrap();
            std::os::unix::fs::symlink(
                outside.path().join("x.toml"),
                root.join("content/articles/l.annotations.toml"),
            )
            .unwrap();
            std::os::unix::fs::symlink(outside.path(), root.join("content/linked")).unwrap();
            assert!(write_atomic(root, Path::new("content/articles/l.annotations.toml"), b"x").is_err());
            assert!(create_new(root, Path::new("content/linked/e.md"), b"x").is_err());
            assert_eq!(std::fs::read_to_string(outside.path().join("x.toml")).unwrap(), "keep");
            assert!(!outside.path().join("e.md").exists());
        }
        assert!(create_new(root, Path::new("content/entities/n.md"), b"1").is_ok());
        assert!(create_new(root, Path::new("content/entities/n.md"), b"2").is_err());
        assert_eq!(std::fs::read(root.join("content/entities/n.md")).unwrap(), b"1");
    }
}
