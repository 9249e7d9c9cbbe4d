//! `glossa check --fix`: writes re-anchored text back into the annotation
//! files. Only the bytes of each `exact` string (located by the TOML parser's
//! span) are replaced, so the file's formatting, order and comments stay as
//! the author wrote them (its line endings and byte-order mark too). A
//! JSON-LD annotation file is left alone, with a warning saying so.
//!
//! On top of the pipeline: the commands.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::files::clean_text;
use crate::site::Reanchored;

fn is_toml(file: &Path) -> bool {
    file.extension().is_some_and(|e| e == "toml")
}

/// A TOML basic string holding `s`.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Applies `fixes` under `root`; returns the files rewritten.
pub fn apply(root: &Path, fixes: &[Reanchored]) -> io::Result<Vec<PathBuf>> {
    let mut by_file: BTreeMap<&Path, Vec<&Reanchored>> = BTreeMap::new();
    // Only TOML annotation files carry the `exact` value's span; a JSON-LD
    // file (`glossa export`'s format) is regenerated, not patched.
    for f in fixes.iter().filter(|f| is_toml(&f.file)) {
        by_file.entry(&f.file).or_default().push(f);
    }
    let mut written = Vec::new();
    for (file, mut fixes) in by_file {
        let path = root.join(file);
        let raw = std::fs::read_to_string(&path)?;
        // Spans refer to the cleaned text (BOM dropped, LF, NFC).
        let mut text = clean_text(&raw);
        fixes.sort_by_key(|f| std::cmp::Reverse(f.exact_span.start));
        for f in fixes {
            let span = f.exact_span.clone();
            if span.end > text.len() || !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
                continue;
            }
            text.replace_range(span, &toml_string(&f.new));
        }
        // Keep the file's own conventions.
        if raw.contains("\r\n") {
            text = text.replace('\n', "\r\n");
        }
        if raw.starts_with('\u{feff}') {
            text.insert(0, '\u{feff}');
        }
        if text != raw {
            std::fs::write(&path, text)?;
            written.push(file.to_path_buf());
        }
    }
    Ok(written)
}

/// A warning for each annotation file [`apply`] does not rewrite (JSON-LD),
/// with how many of its annotations keep their old `exact`.
pub fn not_rewritten(fixes: &[Reanchored]) -> Vec<Diagnostic> {
    let mut count: BTreeMap<&Path, usize> = BTreeMap::new();
    for f in fixes.iter().filter(|f| !is_toml(&f.file)) {
        *count.entry(&f.file).or_default() += 1;
    }
    count
        .into_iter()
        .map(|(file, n)| {
            let s = if n == 1 { "" } else { "s" };
            Diagnostic::warning(
                file,
                None,
                format!("not updated by `--fix`: the old `exact` stays for {n} re-anchored annotation{s}"),
            )
            .with_hint(
                "`--fix` rewrites TOML annotation files only; update `exact` (and `start`) in this JSON-LD file by hand",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_round_trip() {
        for s in ["plain", "“curly” and \"straight\"", "back\\slash", "Bắc Kinh"] {
            let doc = format!("x = {}", toml_string(s));
            let v: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(v["x"].as_str(), Some(s));
        }
    }

    /// The escapes a person would write: `\t` and `\n`, not `\u0009`.
    #[test]
    fn toml_strings_use_the_short_escapes() {
        assert_eq!(toml_string("a\tb\nc\"d\\e\u{1}"), "\"a\\tb\\nc\\\"d\\\\e\\u0001\"");
    }

    /// Two fixes in one file whose last bytes are an `exact` value (no
    /// newline after it); a span the file no longer has, or one that
    /// would cut a character, is skipped rather than written.
    #[test]
    fn fixes_reach_the_end_of_the_file_and_skip_stale_spans() {
        let dir = tempfile::tempdir().unwrap();
        let name = "a.annotations.toml";
        let text = "[[note]]\nbody = \"x\"\nexact = \"một\"\n\n[[note]]\nbody = \"y\"\nexact = \"hai\"";
        std::fs::write(dir.path().join(name), text).unwrap();
        let fix = |span: std::ops::Range<usize>, new: &str| Reanchored {
            file: name.into(),
            exact_span: span,
            old: String::new(),
            new: new.into(),
        };
        let at = |q: &str| text.find(q).unwrap()..text.find(q).unwrap() + q.len();
        let stale = [
            fix(text.len()..text.len() + 4, "x"),
            fix(at("\"một\"").start + 3..text.len(), "x"),
        ];
        assert_eq!(apply(dir.path(), &stale).unwrap(), Vec::<PathBuf>::new());
        assert_eq!(std::fs::read_to_string(dir.path().join(name)).unwrap(), text);
        let written = apply(dir.path(), &[fix(at("\"một\""), "một hai"), fix(at("\"hai\""), "ba")]).unwrap();
        assert_eq!(written, vec![PathBuf::from(name)]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(name)).unwrap(),
            text.replace("\"một\"", "\"một hai\"").replace("\"hai\"", "\"ba\"")
        );
    }

    /// One warning per JSON-LD file, with its count in words that agree.
    #[test]
    fn json_ld_files_get_one_warning_each() {
        let f = |file: &str| Reanchored {
            file: file.into(),
            exact_span: 0..0,
            old: String::new(),
            new: String::new(),
        };
        let d = not_rewritten(&[
            f("a.annotations.jsonld"),
            f("b.annotations.jsonld"),
            f("b.annotations.jsonld"),
            f("c.annotations.toml"),
        ]);
        let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "not updated by `--fix`: the old `exact` stays for 1 re-anchored annotation",
                "not updated by `--fix`: the old `exact` stays for 2 re-anchored annotations",
            ]
        );
    }
}
