//! Writing annotations into an article's `SLUG.annotations.toml` — what the
//! annotator of `glossa serve` does when the author saves — keeping every
//! other byte of the file as it was: comments, order, layout, line endings,
//! a byte-order mark.
//!
//! - a new annotation is appended as a `[[kind]]` table at the end of the
//!   file, its keys in the order the file's last table of that kind uses,
//!   separated as the file separates its tables;
//! - an annotation is changed by rewriting its own table only (from its
//!   `[[kind]]` line to its last value), with `toml_edit`, so its comments
//!   and the layout of the keys it keeps stay too;
//! - an annotation is removed by cutting its table; the comments before it
//!   (which usually head the next group) stay.
//!
//! Tables are located by the TOML parser's spans, not by searching the
//! text (a note's body may hold a line that looks like a table header).
//!
//! On top of the pipeline: the commands.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::fix::toml_string;
use crate::content::Selector;

/// What a new or changed annotation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Mention { entity: String },
    Quote { speaker: String, id: Option<String> },
    Note { body: String },
    Link { to: String },
}

impl What {
    /// `mention`, `quote`, `note` or `link`: its table's name.
    pub fn kind(&self) -> &'static str {
        match self {
            What::Mention { .. } => "mention",
            What::Quote { .. } => "quote",
            What::Note { .. } => "note",
            What::Link { .. } => "link",
        }
    }

    /// Its own keys (besides the selector's), as TOML values.
    fn keys(&self) -> Vec<(&'static str, String)> {
        match self {
            What::Mention { entity } => vec![("entity", toml_string(entity))],
            What::Quote { speaker, id } => {
                let mut v = Vec::new();
                if let Some(id) = id {
                    v.push(("id", toml_string(id)));
                }
                v.push(("speaker", toml_string(speaker)));
                v
            }
            What::Note { body } => vec![("body", toml_string(body))],
            What::Link { to } => vec![("to", toml_string(to))],
        }
    }
}

/// One annotation to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub what: What,
    pub selector: Selector,
}

impl Entry {
    /// Every key with its TOML value, kind keys first.
    fn values(&self) -> Vec<(&'static str, String)> {
        let s = &self.selector;
        let mut v = self.what.keys();
        v.push(("exact", toml_string(&s.exact)));
        if let Some(p) = &s.prefix {
            v.push(("prefix", toml_string(p)));
        }
        if let Some(x) = &s.suffix {
            v.push(("suffix", toml_string(x)));
        }
        if let Some(n) = s.nth {
            v.push(("nth", n.to_string()));
        }
        if s.all {
            v.push(("all", "true".into()));
        }
        v
    }
}

/// The comment a new annotation file starts with (as `glossa init` writes).
pub const HEADER: &str = "# Annotations select text as the reader sees it (Markdown syntax removed).
# `exact` must be unique in the article, or say which: `nth = 2`, `all = true`,
# or `prefix` / `suffix` with the text around it.
";

/// A file that cannot be edited in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

/// The tables of an annotation file by kind, in file order: where each
/// starts (its `[[kind]]`) and where its last value ends, and its keys in
/// order of appearance.
struct Tables(BTreeMap<String, Vec<Table>>);

struct Table {
    span: Range<usize>,
    keys: Vec<String>,
}

type RawTables = BTreeMap<String, Vec<Spanned<BTreeMap<String, Spanned<toml::Value>>>>>;

impl Tables {
    fn read(text: &str) -> Result<Tables, Unreadable> {
        let raw: RawTables = toml::from_str(text).map_err(|e| Unreadable(e.message().trim().to_string()))?;
        let mut out = BTreeMap::new();
        for (kind, items) in raw {
            let tables = items
                .into_iter()
                .map(|t| {
                    let start = t.span().start;
                    let mut keys: Vec<(usize, String, usize)> = t
                        .into_inner()
                        .into_iter()
                        .map(|(k, v)| (v.span().start, k, v.span().end))
                        .collect();
                    keys.sort();
                    let end = keys.iter().map(|k| k.2).max().unwrap_or(start);
                    Table {
                        span: start..end,
                        keys: keys.into_iter().map(|k| k.1).collect(),
                    }
                })
                .collect();
            out.insert(kind, tables);
        }
        Ok(Tables(out))
    }

    fn get(&self, kind: &str, index: usize) -> Result<&Table, Unreadable> {
        self.0
            .get(kind)
            .and_then(|t| t.get(index))
            .ok_or_else(|| Unreadable(format!("the file has no [[{kind}]] number {}", index + 1)))
    }
}

/// Line ending and byte-order mark of a file, so new text follows them.
struct Conventions {
    bom: bool,
    crlf: bool,
}

impl Conventions {
    fn of(raw: &str) -> (Conventions, &str) {
        let bom = raw.starts_with('\u{feff}');
        let body = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        (
            Conventions {
                bom,
                crlf: body.contains("\r\n"),
            },
            body,
        )
    }

    /// `text` (with LF line ends) as the file writes it.
    fn lines(&self, text: &str) -> String {
        if self.crlf {
            text.replace('\n', "\r\n")
        } else {
            text.to_string()
        }
    }

    fn finish(&self, body: String) -> String {
        if self.bom { format!("\u{feff}{body}") } else { body }
    }
}

/// `[[kind]]` and its keys, one per line, in `order` where it names them.
fn table_text(entry: &Entry, order: Option<&[String]>) -> String {
    let mut values = entry.values();
    if let Some(order) = order {
        // keys the model table has, in its order; the selector's others
        // right after `exact`; anything else last
        let rank = |k: &str| -> (usize, usize) {
            if let Some(i) = order.iter().position(|o| o == k) {
                return (i, 0);
            }
            let exact = order.iter().position(|o| o == "exact").unwrap_or(order.len());
            match k {
                "prefix" => (exact, 1),
                "suffix" => (exact, 2),
                "nth" => (exact, 3),
                "all" => (exact, 4),
                _ => (order.len(), 0),
            }
        };
        values.sort_by_key(|(k, _)| rank(k));
    } else if matches!(entry.what, What::Note { .. } | What::Link { .. }) {
        // the selector first, then the gloss or target (as the example does)
        values.rotate_left(1);
    }
    let mut out = format!("[[{}]]\n", entry.what.kind());
    for (k, v) in values {
        out.push_str(&format!("{k} = {v}\n"));
    }
    out
}

/// A new annotation file holding `entry`.
pub fn new_file(entry: &Entry) -> String {
    format!("{HEADER}\n{}", table_text(entry, None))
}

/// `raw` with `entry` appended; every byte of `raw` is kept.
pub fn append(raw: &str, entry: &Entry) -> Result<String, Unreadable> {
    let (conv, body) = Conventions::of(raw);
    let tables = Tables::read(body)?;
    let order = tables
        .0
        .get(entry.what.kind())
        .and_then(|t| t.last())
        .map(|t| t.keys.as_slice());
    // Tables separated by a blank line, unless the file's are not.
    let headers: Vec<usize> = tables.0.values().flatten().map(|t| t.span.start).collect();
    let blank = headers.is_empty()
        || headers
            .iter()
            .any(|&h| body[..h].trim_end_matches([' ', '\t']).ends_with("\n\n") || body[..h].ends_with("\r\n\r\n"));
    let mut add = String::new();
    if !body.is_empty() && !body.ends_with('\n') {
        add.push('\n');
    }
    if blank && !body.trim().is_empty() && !body.ends_with("\n\n") && !body.ends_with("\r\n\r\n") {
        add.push('\n');
    }
    add.push_str(&table_text(entry, order));
    Ok(conv.finish(format!("{body}{}", conv.lines(&add))))
}

/// From the start of the line of `span.start` to the end of the line
/// (newline included) of `span.end`.
fn whole_lines(text: &str, span: &Range<usize>) -> Range<usize> {
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.end..].find('\n').map_or(text.len(), |i| span.end + i + 1);
    start..end
}

/// `raw` with the `index`-th (from 0, in file order) `[[kind]]` table's
/// keys set to `entry`'s: kept where they are when present, removed when
/// `entry` has none, added at the end otherwise. Bytes outside that table
/// are kept.
pub fn replace(raw: &str, kind: &str, index: usize, entry: &Entry) -> Result<String, Unreadable> {
    if entry.what.kind() != kind {
        return Err(Unreadable(format!(
            "a [[{kind}]] cannot become a [[{}]]",
            entry.what.kind()
        )));
    }
    let (conv, body) = Conventions::of(raw);
    let tables = Tables::read(body)?;
    let table = tables.get(kind, index)?;
    let region = whole_lines(body, &table.span);
    let mut doc: toml_edit::DocumentMut = body[region.clone()]
        .parse()
        .map_err(|e: toml_edit::TomlError| Unreadable(e.to_string()))?;
    let t = doc
        .get_mut(kind)
        .and_then(|i| i.as_array_of_tables_mut())
        .and_then(|a| a.get_mut(0))
        .ok_or_else(|| Unreadable(format!("cannot read the [[{kind}]] table")))?;
    let values = entry.values();
    let keep: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
    let old: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
    for k in old {
        if !keep.contains(&k.as_str()) {
            t.remove(&k);
        }
    }
    for (k, v) in values {
        let value: toml_edit::Value = v.parse().map_err(|e: toml_edit::TomlError| Unreadable(e.to_string()))?;
        match t.get_mut(k).and_then(|i| i.as_value_mut()) {
            Some(old) => {
                // the value only: the key's spacing and any comment stay
                let decor = old.decor().clone();
                *old = value;
                *old.decor_mut() = decor;
            }
            None => {
                t.insert(k, toml_edit::Item::Value(value));
            }
        }
    }
    let new = conv.lines(&doc.to_string().replace("\r\n", "\n"));
    Ok(conv.finish(format!("{}{new}{}", &body[..region.start], &body[region.end..])))
}

/// `raw` without the `index`-th `[[kind]]` table (and the blank line before
/// it, so that no gap doubles). Comments before the table stay.
pub fn remove(raw: &str, kind: &str, index: usize) -> Result<String, Unreadable> {
    let (conv, body) = Conventions::of(raw);
    let tables = Tables::read(body)?;
    let table = tables.get(kind, index)?;
    let mut region = whole_lines(body, &table.span);
    let before = &body[..region.start];
    if let Some(blank) = before.strip_suffix("\r\n").or_else(|| before.strip_suffix('\n'))
        && (blank.ends_with('\n') || blank.is_empty())
    {
        region.start = blank.len();
    }
    Ok(conv.finish(format!("{}{}", &body[..region.start], &body[region.end..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(entity: &str, exact: &str) -> Entry {
        Entry {
            what: What::Mention { entity: entity.into() },
            selector: Selector {
                exact: exact.into(),
                prefix: None,
                suffix: None,
                nth: None,
                all: false,
            },
        }
    }

    const FILE: &str = "# Annotations\n\n# Places\n\n[[mention]]\nentity = \"bac-kinh\"   # the city\nexact = \"Bắc Kinh\"\nall = true\n\n# Notes\n\n[[note]]\nexact = \"SMIC\"\nnth = 1\nbody = \"\"\"\n[[mention]]\nnot a table\"\"\"\n";

    #[test]
    fn appending_keeps_every_byte_and_the_files_key_order() {
        let mut e = mention("huawei", "Huawei");
        e.selector.prefix = Some("như ".into());
        let out = append(FILE, &e).unwrap();
        assert!(out.starts_with(FILE));
        assert_eq!(
            &out[FILE.len()..],
            "\n[[mention]]\nentity = \"huawei\"\nexact = \"Huawei\"\nprefix = \"như \"\n"
        );
        let note = Entry {
            what: What::Note { body: "a *b*".into() },
            selector: Selector {
                nth: Some(2),
                ..e.selector.clone()
            },
        };
        let out = append(FILE, &note).unwrap();
        assert_eq!(
            &out[FILE.len()..],
            "\n[[note]]\nexact = \"Huawei\"\nprefix = \"như \"\nnth = 2\nbody = \"a *b*\"\n"
        );
        // CRLF and a BOM stay; a missing final newline is added first
        let crlf = format!("\u{feff}{}", FILE.trim_end().replace('\n', "\r\n"));
        let out = append(&crlf, &mention("x", "y")).unwrap();
        assert!(out.starts_with(&crlf));
        assert_eq!(
            &out[crlf.len()..],
            "\r\n\r\n[[mention]]\r\nentity = \"x\"\r\nexact = \"y\"\r\n"
        );
        // an empty file, and a file whose tables are not separated
        assert_eq!(
            append("", &mention("x", "y")).unwrap(),
            "[[mention]]\nentity = \"x\"\nexact = \"y\"\n"
        );
        let tight = "[[mention]]\nentity = \"a\"\nexact = \"b\"\n[[mention]]\nentity = \"c\"\nexact = \"d\"\n";
        assert!(
            append(tight, &mention("x", "y"))
                .unwrap()
                .ends_with("\"d\"\n[[mention]]\nentity = \"x\"\nexact = \"y\"\n")
        );
        assert!(append("[[mention]\n", &mention("x", "y")).is_err());
    }

    #[test]
    fn a_new_file_has_the_usual_header() {
        let t = new_file(&mention("x", "y"));
        assert!(t.starts_with("# Annotations select text"));
        let v: toml::Table = toml::from_str(&t).unwrap();
        assert_eq!(v["mention"][0]["entity"].as_str(), Some("x"));
    }

    #[test]
    fn replacing_touches_only_that_table() {
        let e = mention("bac-kinh-2", "Bắc Kinh");
        let out = replace(FILE, "mention", 0, &e).unwrap();
        assert_eq!(
            out,
            FILE.replace(
                "entity = \"bac-kinh\"   # the city\nexact = \"Bắc Kinh\"\nall = true\n",
                "entity = \"bac-kinh-2\"   # the city\nexact = \"Bắc Kinh\"\n"
            )
        );
        let note = Entry {
            what: What::Note { body: "mới".into() },
            selector: Selector {
                exact: "SMIC".into(),
                prefix: None,
                suffix: None,
                nth: Some(1),
                all: false,
            },
        };
        let out = replace(FILE, "note", 0, &note).unwrap();
        assert!(out.starts_with(&FILE[..FILE.find("[[note]]").unwrap()]));
        assert!(
            out.ends_with("[[note]]\nexact = \"SMIC\"\nnth = 1\nbody = \"mới\"\n"),
            "{out}"
        );
        assert!(replace(FILE, "mention", 1, &e).is_err());
        assert!(replace(FILE, "note", 0, &e).is_err());
    }

    #[test]
    fn removing_keeps_the_comments_around() {
        let out = remove(FILE, "mention", 0).unwrap();
        assert_eq!(
            out,
            "# Annotations\n\n# Places\n\n# Notes\n\n[[note]]\nexact = \"SMIC\"\nnth = 1\nbody = \"\"\"\n[[mention]]\nnot a table\"\"\"\n"
        );
        let out = remove(FILE, "note", 0).unwrap();
        assert_eq!(out, FILE[..FILE.find("\n[[note]]").unwrap()].to_string());
        // the note's body is not a table
        assert!(remove(FILE, "mention", 1).is_err());
    }
}
