//! Which keys a TOML document may hold, checked on the parser's spanned tree
//! so that every unknown key is reported at its own line with a "did you mean".
//! Serde then reads the values; this pass only guards the key names.
//!
//! Foundation: shared by every stage of the pipeline.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, Diagnostics};

/// Allowed keys for the table at a path of key names (`[]` is the top level,
/// `["mention"]` the tables of `[[mention]]`); `None` allows any key.
pub type KeysAt = fn(&[&str]) -> Option<&'static [&'static str]>;

/// Parses `text` (a TOML document starting at byte `offset` of `file`),
/// reports syntax errors and unknown keys, and returns the document for serde
/// to read the values from (`T::deserialize`: it is not parsed twice); `None`
/// on a syntax error.
pub fn parse<'a>(
    text: &'a str,
    offset: usize,
    file: &Path,
    keys_at: KeysAt,
    diags: &mut Diagnostics,
) -> Option<toml::de::Deserializer<'a>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().map(|s| s.start + offset..s.end + offset);
            diags.push(
                Diagnostic::error(file, span, format!("TOML syntax error: {}", e.message().trim()))
                    .with_hint("check quotes, brackets and `key = value` pairs on this line"),
            );
        }
        return None;
    }
    walk(table.get_ref(), &mut Vec::new(), offset, file, keys_at, diags);
    Some(toml::de::Deserializer::from(table))
}

fn walk(
    table: &DeTable<'_>,
    path: &mut Vec<String>,
    offset: usize,
    file: &Path,
    keys_at: KeysAt,
    diags: &mut Diagnostics,
) {
    let (allowed, location) = {
        let path_refs: Vec<&str> = path.iter().map(String::as_str).collect();
        (keys_at(&path_refs), where_(&path_refs))
    };
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        if let Some(allowed) = allowed
            && !allowed.contains(&name)
        {
            let span = key.span();
            let mut d = Diagnostic::error(
                file,
                Some(span.start + offset..span.end + offset),
                format!("unknown key `{name}`{location}"),
            );
            d = match did_you_mean(name, allowed.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!("allowed keys here: {}", allowed.join(", "))),
            };
            diags.push(d);
            continue;
        }
        path.push(name.to_string());
        match value.get_ref() {
            DeValue::Table(t) => walk(t, path, offset, file, keys_at, diags),
            DeValue::Array(items) => {
                for item in items.iter() {
                    if let DeValue::Table(t) = item.get_ref() {
                        walk(t, path, offset, file, keys_at, diags);
                    }
                }
            }
            _ => {}
        }
        path.pop();
    }
}

fn where_(path: &[&str]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" in `{}`", path.join("."))
    }
}

/// The candidate closest to `name`, if it is close enough to be a typo:
/// few edits (transpositions count as one) or a high Jaro-Winkler score.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max_edits = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), strsim::jaro_winkler(name, c), c))
        .filter(|(edits, jw, _)| *edits <= max_edits || *jw > 0.85)
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

/// Shifts a span found in a sub-document to the enclosing file.
pub fn shift(span: Range<usize>, offset: usize) -> Range<usize> {
    span.start + offset..span.end + offset
}
