//! Problems found in the content, as data: a [`Diagnostic`] carries the file,
//! the byte span in that file, what is wrong and a hint. Every stage pushes
//! into a [`Diagnostics`] list and carries on where it safely can; the caller
//! decides whether to stop. Rendering to the terminal goes through
//! codespan-reporting (file:line:col, the source line, a caret).
//!
//! Foundation: shared by every stage of the pipeline.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the content, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file, relative to the site root when it is inside it.
    pub file: PathBuf,
    /// Byte range in that file; `None` when the problem is the whole file.
    pub span: Option<Range<usize>>,
    /// What is wrong, in the user's words.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(file: impl Into<PathBuf>, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, span, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self, sources: &Sources) -> Option<(usize, usize)> {
        let text = sources.get(&self.file)?;
        let start = self.span.as_ref()?.start.min(text.len());
        Some(line_col(text, start))
    }
}

/// 1-based line and character column of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..at].chars().count() + 1)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}: {}", self.file.display(), self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// The texts of the files diagnostics point into, so they can be shown.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: HashMap<PathBuf, Arc<str>>,
}

impl Sources {
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: Arc<str>) {
        self.files.insert(path.into(), text);
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(|t| &**t)
    }

    /// The text of `path`, shared.
    pub fn get_shared(&self, path: &Path) -> Option<Arc<str>> {
        self.files.get(path).cloned()
    }

    pub fn remove(&mut self, path: &Path) {
        self.files.remove(path);
    }

    /// Keeps only the files some diagnostic points into: the rest are not
    /// needed to print them (a large site's sources are its whole text).
    pub fn retain_cited(&mut self, diags: &Diagnostics) {
        let cited = diags.cited_files();
        self.files.retain(|path, _| cited.contains(path.as_path()));
    }

    /// Adds every file of `other` (loaded elsewhere, e.g. on another thread).
    pub fn extend(&mut self, other: Sources) {
        self.files.extend(other.files);
    }
}

/// Every problem found in one run.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.list.extend(other);
    }

    /// The files some diagnostic points into.
    pub fn cited_files(&self) -> std::collections::HashSet<&Path> {
        self.list.iter().map(|d| d.file.as_path()).collect()
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.list.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.list.len() - self.error_count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Sorts by file and position so output is deterministic.
    pub fn sort(&mut self) {
        self.list.sort_by(|a, b| {
            (&a.file, a.span.as_ref().map(|s| s.start), a.severity, &a.message).cmp(&(
                &b.file,
                b.span.as_ref().map(|s| s.start),
                b.severity,
                &b.message,
            ))
        });
        self.list.dedup();
    }

    /// Renders every diagnostic the way a compiler does, then a summary line.
    pub fn render(&self, sources: &Sources, color: bool) -> String {
        let mut files = SimpleFiles::new();
        let mut ids: HashMap<&Path, usize> = HashMap::new();
        let config = term::Config::default();
        let mut out = Vec::new();
        for d in &self.list {
            let mut cs = match d.severity {
                Severity::Error => CsDiagnostic::error(),
                Severity::Warning => CsDiagnostic::warning(),
            }
            .with_message(&d.message);
            let text = sources.get(&d.file);
            match (text, &d.span) {
                (Some(text), Some(span)) => {
                    let id = *ids
                        .entry(&d.file)
                        .or_insert_with(|| files.add(d.file.display().to_string(), text.to_string()));
                    let end = span.end.min(text.len()).max(span.start.min(text.len()));
                    cs = cs.with_labels(vec![Label::primary(id, span.start.min(text.len())..end)]);
                }
                _ => {
                    cs = cs.with_notes(vec![format!("in {}", d.file.display())]);
                }
            }
            if let Some(h) = &d.hint {
                cs = cs.with_notes(vec![format!("hint: {h}")]);
            }
            if color {
                let mut w = term::termcolor::Buffer::ansi();
                let _ = term::emit_to_write_style(&mut w, &config, &files, &cs);
                out.extend_from_slice(w.as_slice());
            } else {
                let _ = term::emit_to_io_write(&mut out, &config, &files, &cs);
            }
        }
        let mut s = String::from_utf8_lossy(&out).into_owned();
        s.push_str(&self.summary());
        s.push('\n');
        s
    }

    /// "2 errors, 1 warning".
    pub fn summary(&self) -> String {
        let (e, w) = (self.error_count(), self.warning_count());
        format!(
            "{e} error{}, {w} warning{}",
            if e == 1 { "" } else { "s" },
            if w == 1 { "" } else { "s" }
        )
    }

    /// The diagnostics as JSON for editors and CI. Line starts are computed
    /// once per file, so thousands of diagnostics stay linear.
    pub fn to_json(&self, sources: &Sources) -> serde_json::Value {
        let mut line_starts: HashMap<&Path, Vec<usize>> = HashMap::new();
        let items: Vec<_> = self
            .list
            .iter()
            .map(|d| {
                let pos = match (sources.get(&d.file), &d.span) {
                    (Some(text), Some(span)) => {
                        let starts = line_starts.entry(&d.file).or_insert_with(|| {
                            std::iter::once(0)
                                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                                .collect()
                        });
                        let mut at = span.start.min(text.len());
                        while !text.is_char_boundary(at) {
                            at -= 1;
                        }
                        let line = starts.partition_point(|&s| s <= at);
                        let col = text[starts[line - 1]..at].chars().count() + 1;
                        Some((line, col))
                    }
                    _ => None,
                };
                let (line, column) = pos.unzip();
                serde_json::json!({
                    "severity": d.severity,
                    "file": d.file.display().to_string(),
                    "line": line,
                    "column": column,
                    "span": d.span.as_ref().map(|s| [s.start, s.end]),
                    "message": d.message,
                    "hint": d.hint,
                })
            })
            .collect();
        serde_json::json!({
            "diagnostics": items,
            "errors": self.error_count(),
            "warnings": self.warning_count(),
        })
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_and_caret() {
        let mut sources = Sources::default();
        sources.insert("a.toml", Arc::from("x = 1\nexact = \"Bytedance\"\n"));
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::error("a.toml", Some(14..25), "`exact` not found").with_hint("closest: ByteDance"));
        let out = ds.render(&sources, false);
        assert!(out.contains("a.toml:2:9"), "{out}");
        assert!(out.contains("^^^^^^^^^^^"), "{out}");
        assert!(out.contains("hint: closest: ByteDance"), "{out}");
        assert!(out.ends_with("1 error, 0 warnings\n"), "{out}");
    }
}
