//! An article's annotation file (`SLUG.annotations.toml`): mentions, quotes,
//! notes and links, each with a TextQuoteSelector and the byte spans of its
//! keys so that anchoring problems point at the right line.
//!
//! Stage 1 of the pipeline: content (load and normalise).

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema;
use crate::text::nfc;

/// What an annotation says about its span.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// The span names an entity.
    Mention { entity: Spanned<String> },
    /// A direct quote by `speaker`; `id` is explicit or derived later.
    Quote {
        id: Option<Spanned<String>>,
        speaker: Spanned<String>,
    },
    /// A gloss; `body` is Markdown.
    Note { body: String },
    /// A cross-link to `@/articles/x.md`, `entity:id` or an URL.
    Link { to: Spanned<String> },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Mention { .. } => "mention",
            Kind::Quote { .. } => "quote",
            Kind::Note { .. } => "note",
            Kind::Link { .. } => "link",
        }
    }
}

/// W3C TextQuoteSelector plus glossa's `nth` / `all`; texts are NFC.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub exact: String,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub nth: Option<usize>,
    pub all: bool,
}

/// One annotation as written, with where it is in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub kind: Kind,
    pub selector: Selector,
    /// Span of the `exact` value: where "not found" diagnostics point.
    pub exact_span: Range<usize>,
    /// Span of the `nth` value, when given.
    pub nth_span: Option<Range<usize>>,
    /// Where the annotation starts in the rendered text, in code points (a
    /// W3C TextPositionSelector): picks among occurrences of `exact`.
    pub position: Option<usize>,
}

#[derive(Deserialize, Default)]
struct RawFile {
    #[serde(default)]
    mention: Vec<Spanned<Raw>>,
    #[serde(default)]
    quote: Vec<Spanned<Raw>>,
    #[serde(default)]
    note: Vec<Spanned<Raw>>,
    #[serde(default)]
    link: Vec<Spanned<Raw>>,
}

#[derive(Deserialize)]
struct Raw {
    exact: Option<Spanned<String>>,
    prefix: Option<String>,
    suffix: Option<String>,
    nth: Option<Spanned<i64>>,
    all: Option<bool>,
    entity: Option<Spanned<String>>,
    id: Option<Spanned<String>>,
    speaker: Option<Spanned<String>>,
    body: Option<String>,
    to: Option<Spanned<String>>,
}

const SELECTOR: [&str; 5] = ["exact", "prefix", "suffix", "nth", "all"];

fn keys_at(path: &[&str]) -> Option<&'static [&'static str]> {
    const TOP: &[&str] = &["mention", "quote", "note", "link"];
    const MENTION: &[&str] = &["exact", "prefix", "suffix", "nth", "all", "entity"];
    const QUOTE: &[&str] = &["exact", "prefix", "suffix", "nth", "all", "id", "speaker"];
    const NOTE: &[&str] = &["exact", "prefix", "suffix", "nth", "all", "body"];
    const LINK: &[&str] = &["exact", "prefix", "suffix", "nth", "all", "to"];
    debug_assert!(SELECTOR.iter().all(|k| MENTION.contains(k)));
    match path {
        [] => Some(TOP),
        ["mention"] => Some(MENTION),
        ["quote"] => Some(QUOTE),
        ["note"] => Some(NOTE),
        ["link"] => Some(LINK),
        _ => None,
    }
}

/// Parses an annotation file whose (BOM-free, LF, NFC) text is `text`.
/// Every problem goes into `diags`; what could be read is returned.
pub fn parse(text: &str, file: &Path, diags: &mut Diagnostics) -> Vec<Annotation> {
    let Some(document) = schema::parse(text, 0, file, keys_at, diags) else {
        return Vec::new();
    };
    let raw = match RawFile::deserialize(document) {
        Ok(r) => r,
        Err(e) => {
            diags.push(
                Diagnostic::error(file, e.span(), e.message().trim().to_string())
                    .with_hint("see the annotation file format in the README"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let groups = [
        ("mention", raw.mention),
        ("quote", raw.quote),
        ("note", raw.note),
        ("link", raw.link),
    ];
    for (kind, items) in groups {
        for item in items {
            let table_span = item.span();
            let raw = item.into_inner();
            if let Some(a) = convert(kind, raw, table_span, file, diags) {
                out.push(a);
            }
        }
    }
    out.sort_by_key(|a| a.exact_span.start);
    out
}

fn missing(file: &Path, span: Range<usize>, kind: &str, key: &str, hint: &str) -> Diagnostic {
    Diagnostic::error(file, Some(span), format!("this [[{kind}]] has no `{key}`")).with_hint(hint.to_string())
}

fn convert(kind: &str, raw: Raw, table_span: Range<usize>, file: &Path, diags: &mut Diagnostics) -> Option<Annotation> {
    // The header line `[[kind]]` is the most useful place to point at.
    let head = table_span.start..table_span.start + kind.len() + 4;
    let Raw {
        exact,
        prefix,
        suffix,
        nth,
        all,
        entity,
        id,
        speaker,
        body,
        to,
    } = raw;
    let Some(exact) = exact else {
        let hint = "add `exact = \"…\"` with the text this annotation selects";
        diags.push(missing(file, head, kind, "exact", hint));
        return None;
    };
    let exact_span = exact.span();
    let exact_text = nfc(exact.get_ref()).into_owned();
    if exact_text.trim().is_empty() {
        diags.push(
            Diagnostic::error(file, Some(exact_span), "`exact` is empty")
                .with_hint("give the text this annotation selects"),
        );
        return None;
    }
    let nth_span = nth.as_ref().map(|n| n.span());
    let occurrence = occurrence(nth, all.unwrap_or(false), file, diags);
    let keys = KindKeys {
        entity,
        id,
        speaker,
        body,
        to,
    };
    let kind = kind_of(kind, keys, head, file, diags)?;
    let (nth, all) = occurrence?;
    Some(Annotation {
        kind,
        selector: Selector {
            exact: exact_text,
            prefix: prefix.map(|p| nfc(&p).into_owned()),
            suffix: suffix.map(|s| nfc(&s).into_owned()),
            nth,
            all,
        },
        exact_span,
        nth_span,
        position: None,
    })
}

/// Which occurrence a selector picks: `(nth, all)`, or `None` after an
/// error (`nth` below 1, or both `nth` and `all = true`).
fn occurrence(
    nth: Option<Spanned<i64>>,
    all: bool,
    file: &Path,
    diags: &mut Diagnostics,
) -> Option<(Option<usize>, bool)> {
    let mut ok = true;
    let nth_span = nth.as_ref().map(|n| n.span());
    let nth = match nth {
        Some(n) if *n.get_ref() < 1 => {
            diags.push(
                Diagnostic::error(file, Some(n.span()), "`nth` counts from 1")
                    .with_hint("use `nth = 1` for the first occurrence"),
            );
            ok = false;
            None
        }
        Some(n) => Some(*n.get_ref() as usize),
        None => None,
    };
    if all && nth.is_some() {
        diags.push(
            Diagnostic::error(file, nth_span, "`nth` and `all = true` cannot both be given")
                .with_hint("keep `nth` for one occurrence or `all` for every one"),
        );
        ok = false;
    }
    ok.then_some((nth, all))
}

/// The keys of a table that say what kind of annotation it is.
struct KindKeys {
    entity: Option<Spanned<String>>,
    id: Option<Spanned<String>>,
    speaker: Option<Spanned<String>>,
    body: Option<String>,
    to: Option<Spanned<String>>,
}

/// The annotation a `[[kind]]` table makes, from the key its kind needs
/// (an error at the table's header `head` when it is missing).
fn kind_of(kind: &str, keys: KindKeys, head: Range<usize>, file: &Path, diags: &mut Diagnostics) -> Option<Kind> {
    let KindKeys {
        entity,
        id,
        speaker,
        body,
        to,
    } = keys;
    let (key, hint, made) = match kind {
        "mention" => (
            "entity",
            "add `entity = \"id\"`, the file name of an entity in content/entities/",
            entity.map(|entity| Kind::Mention { entity }),
        ),
        "quote" => {
            if speaker.is_some() && !quote_id_ok(id.as_ref(), file, diags) {
                return None;
            }
            (
                "speaker",
                "add `speaker = \"id\"`, the entity who said it",
                speaker.map(|speaker| Kind::Quote { id, speaker }),
            )
        }
        "note" => (
            "body",
            "add `body = \"…\"`, the gloss in Markdown",
            body.map(|body| Kind::Note {
                body: nfc(&body).into_owned(),
            }),
        ),
        _ => (
            "to",
            "add `to = \"@/articles/x.md\"`, `\"entity:id\"` or an https URL",
            to.map(|to| Kind::Link { to }),
        ),
    };
    if made.is_none() {
        diags.push(missing(file, head, kind, key, hint));
    }
    made
}

/// Whether a quote's pinned `id` (if any) is a URL slug; an error at it if not.
fn quote_id_ok(id: Option<&Spanned<String>>, file: &Path, diags: &mut Diagnostics) -> bool {
    let Some(id) = id else { return true };
    let slug = crate::text::slugify(id.get_ref());
    if slug == *id.get_ref() && !super::is_reserved_name(id.get_ref()) {
        return true;
    }
    diags.push(
        Diagnostic::error(
            file,
            Some(id.span()),
            format!("quote id `{}` is not a URL slug", id.get_ref()),
        )
        .with_hint(format!(
            "use lowercase ASCII letters, digits and hyphens, e.g. `{slug}`"
        )),
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_and_reports_unknown_keys() {
        let text = r#"
[[mention]]
entity = "a"
exact = "A"
all = true

[[quote]]
speaker = "a"
exact = "hello"

[[note]]
exact = "A"
body = "gloss"
nht = 2
"#;
        let mut d = Diagnostics::default();
        let anns = parse(text, Path::new("x.toml"), &mut d);
        assert_eq!(anns.len(), 3);
        let msgs: Vec<String> = d.iter().map(|d| format!("{} {:?}", d.message, d.hint)).collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains("unknown key `nht`") && msgs[0].contains("did you mean `nth`"),
            "{msgs:?}"
        );
    }

    #[test]
    fn quote_ids_must_be_slugs() {
        let text = "[[quote]]\nid = \"../../etc\"\nspeaker = \"a\"\nexact = \"x\"\n";
        let mut d = Diagnostics::default();
        assert!(parse(text, Path::new("x.toml"), &mut d).is_empty());
        let diag = d.iter().next().unwrap();
        assert!(diag.message.contains("not a URL slug"), "{}", diag.message);
        assert_eq!(diag.span, Some(15..26));
    }

    #[test]
    fn missing_speaker_points_at_the_table() {
        let text = "[[quote]]\nexact = \"x\"\n";
        let mut d = Diagnostics::default();
        let anns = parse(text, Path::new("x.toml"), &mut d);
        assert!(anns.is_empty());
        let diag = d.iter().next().unwrap();
        assert!(diag.message.contains("no `speaker`"));
    }

    /// A misspelt table name, or a misspelt key of a quote or a link, is
    /// reported (like one of a mention or a note).
    #[test]
    fn unknown_tables_and_keys_of_every_kind_are_reported() {
        let text = "[[mentoin]]\nentity = \"a\"\nexact = \"A\"\n\n\
                    [[quote]]\nspeaker = \"a\"\nexact = \"B\"\nspeeker = \"b\"\n\n\
                    [[link]]\nto = \"entity:a\"\nexact = \"C\"\ntoo = \"x\"\n";
        let mut d = Diagnostics::default();
        parse(text, Path::new("x.toml"), &mut d);
        let msgs: Vec<String> = d.iter().map(|d| format!("{} {:?}", d.message, d.hint)).collect();
        for (bad, good) in [("mentoin", "mention"), ("speeker", "speaker"), ("too", "to")] {
            assert!(
                msgs.iter()
                    .any(|m| m.contains(&format!("unknown key `{bad}`"))
                        && m.contains(&format!("did you mean `{good}`"))),
                "{bad}: {msgs:?}"
            );
        }
    }

    /// A missing key is reported at the table's header, `[[quote]]`.
    #[test]
    fn a_missing_key_points_at_the_header() {
        let text = "\n[[quote]]\nexact = \"x\"\n";
        let mut d = Diagnostics::default();
        parse(text, Path::new("x.toml"), &mut d);
        let diag = d.iter().next().unwrap();
        assert_eq!(diag.span.clone().map(|s| &text[s]), Some("[[quote]]"));
    }

    /// `nth` counts from 1: 0 and below are errors, not the first
    /// occurrence (nor an underflow later).
    #[test]
    fn nth_counts_from_one() {
        for (nth, ok) in [("0", false), ("-1", false), ("1", true)] {
            let text = format!("[[note]]\nexact = \"x\"\nbody = \"y\"\nnth = {nth}\n");
            let mut d = Diagnostics::default();
            let anns = parse(&text, Path::new("x.toml"), &mut d);
            assert_eq!(anns.len(), usize::from(ok), "nth = {nth}");
            assert_eq!(
                d.iter().any(|d| d.message.contains("counts from 1")),
                !ok,
                "nth = {nth}"
            );
        }
    }
}
