//! `SLUG.annotations.jsonld`: an article's annotations as W3C Web
//! Annotations (what `glossa export` writes), read instead of a TOML file.
//! The file is a collection with its first page embedded (a collection
//! without `first` is empty), a page, a list of annotations or one.
//!
//! Each item's `target.selector` gives a TextQuoteSelector (`exact`,
//! `prefix`, `suffix`) and optionally a TextPositionSelector (`start`, in
//! Unicode code points of the rendered text), which picks the occurrence
//! when `exact` occurs more than once. What the annotation says comes from
//! `motivation` and `body`:
//!
//! | motivation | body | glossa |
//! |---|---|---|
//! | `identifying` | the entity's URL (`…/entities/ID/`) | mention |
//! | `highlighting` | the speaker's URL; the annotation `id` ends in `#q-QUOTE_ID` | quote |
//! | `commenting` | a `TextualBody` (Markdown) | note |
//! | `linking` | the target URL (`…/articles/SLUG/`, `…/entities/ID/` or an external URL) | link |
//!
//! Stage 1 of the pipeline: content (load and normalise).

use std::ops::Range;
use std::path::Path;

use serde_json::Value;
use toml::Spanned;

use super::annotations::{Annotation, Kind, Selector};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::text::nfc;

/// The last path segment of an `…/entities/ID/` or `…/articles/SLUG/` URL.
fn segment_after<'a>(url: &'a str, dir: &str) -> Option<&'a str> {
    let path = url.split('#').next()?;
    let at = path.rfind(&format!("/{dir}/"))?;
    let rest = path[at + dir.len() + 2..].trim_end_matches('/');
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

/// Whether `v`'s `type` is `t` or a list holding it.
fn has_type(v: &Value, t: &str) -> bool {
    match v.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(t)),
        _ => false,
    }
}

fn body_source(item: &Value) -> Option<&str> {
    let body = item.get("body")?;
    let body = body.as_array().and_then(|a| a.first()).unwrap_or(body);
    body.as_str()
        .or_else(|| body.get("source").and_then(Value::as_str))
        .or_else(|| body.get("id").and_then(Value::as_str))
}

fn body_text(item: &Value) -> Option<&str> {
    let body = item.get("body")?;
    let body = body.as_array().and_then(|a| a.first()).unwrap_or(body);
    body.get("value").and_then(Value::as_str)
}

/// Parses a JSON-LD annotation file. `spans[k]` is where item `k` starts in
/// the text (for diagnostics).
pub fn parse(text: &str, file: &Path, diags: &mut Diagnostics) -> Vec<Annotation> {
    let Some(doc) = json(text, file, diags) else {
        return Vec::new();
    };
    let Some(items) = items(&doc, text, file, diags) else {
        return Vec::new();
    };
    // where each item's "exact" is in the file, in order
    let mut exact_at = text.match_indices("\"exact\"").map(|(i, _)| i);
    let mut out = Vec::new();
    for item in items {
        let at = exact_at.next().unwrap_or(0);
        let span = at..at + 7;
        match annotation(item, &span) {
            Ok(a) => out.push(a),
            Err((msg, hint)) => diags.push(Diagnostic::error(file, Some(span), msg).with_hint(hint.to_string())),
        }
    }
    out
}

/// The file's JSON, or an error at the place it stops being JSON.
fn json(text: &str, file: &Path, diags: &mut Diagnostics) -> Option<Value> {
    match serde_json::from_str(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let offset = text
                .lines()
                .take(e.line().saturating_sub(1))
                .map(|l| l.len() + 1)
                .sum::<usize>()
                + e.column().saturating_sub(1);
            let at = offset.min(text.len());
            diags.push(
                Diagnostic::error(file, Some(at..at), format!("invalid JSON: {e}"))
                    .with_hint("the file is a W3C Web Annotation collection, as `glossa export` writes it"),
            );
            None
        }
    }
}

/// The annotations `doc` holds: a collection (`first.items` / `items`), a
/// page, a list, or one annotation; `None` (with an error) for a collection
/// whose first page is only referred to.
fn items<'a>(doc: &'a Value, text: &str, file: &Path, diags: &mut Diagnostics) -> Option<Vec<&'a Value>> {
    if let Some(a) = doc.as_array() {
        return Some(a.iter().collect());
    }
    if let Some(first) = doc.get("first") {
        if let Some(a) = first.get("items").and_then(Value::as_array) {
            return Some(a.iter().collect());
        }
        let at = text.find("\"first\"").unwrap_or(0);
        diags.push(
            Diagnostic::error(file, Some(at..at + 7), "the collection's first page is not embedded").with_hint(
                "glossa reads the annotations from the file itself: give \"first\" as an \
                 AnnotationPage with its \"items\", as `glossa export` writes it",
            ),
        );
        return None;
    }
    if let Some(a) = doc.get("items").and_then(Value::as_array) {
        return Some(a.iter().collect());
    }
    if has_type(doc, "AnnotationCollection") {
        // an empty collection: a page holds at least one annotation, so
        // there is none
        return Some(Vec::new());
    }
    Some(vec![doc])
}

/// What is wrong with an item, and the hint.
type Problem = (String, &'static str);

/// One Web Annotation as an [`Annotation`], its spans at `span` (its
/// `"exact"` key in the file).
fn annotation(item: &Value, span: &Range<usize>) -> Result<Annotation, Problem> {
    let selectors: Vec<&Value> = match item.pointer("/target/selector") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    let by_type = |t: &str| {
        selectors
            .iter()
            .find(|s| s.get("type").and_then(Value::as_str) == Some(t))
    };
    let quote = by_type("TextQuoteSelector").ok_or((
        "annotation without a TextQuoteSelector".to_string(),
        "give target.selector a {\"type\": \"TextQuoteSelector\", \"exact\": …}",
    ))?;
    let exact = quote
        .get("exact")
        .and_then(Value::as_str)
        .filter(|e| !e.trim().is_empty())
        .ok_or((
            "the TextQuoteSelector has no `exact` text".to_string(),
            "add the quoted text as \"exact\"",
        ))?;
    let string = |k: &str| quote.get(k).and_then(Value::as_str).map(|s| nfc(s).into_owned());
    let position = by_type("TextPositionSelector")
        .and_then(|p| p.get("start"))
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    Ok(Annotation {
        kind: kind(item, span)?,
        selector: Selector {
            exact: nfc(exact).into_owned(),
            prefix: string("prefix"),
            suffix: string("suffix"),
            nth: None,
            all: false,
        },
        exact_span: span.clone(),
        nth_span: None,
        position,
    })
}

/// The kind of annotation an item is, by its motivation and body.
fn kind(item: &Value, span: &Range<usize>) -> Result<Kind, Problem> {
    let spanned = |s: &str| Spanned::new(span.clone(), s.to_string());
    let motivation = item.get("motivation").and_then(Value::as_str).unwrap_or("");
    let source = body_source(item);
    let problem = |msg: &str, hint: &'static str| (msg.to_string(), hint);
    match motivation {
        "identifying" | "tagging" | "classifying" => match source.and_then(|s| segment_after(s, "entities")) {
            Some(id) => Ok(Kind::Mention { entity: spanned(id) }),
            None => Err(problem(
                "a mention whose body is not an entity URL",
                "the body is the entity page's URL, e.g. https://example.org/entities/huawei/",
            )),
        },
        "highlighting" => match source.and_then(|s| segment_after(s, "entities")) {
            Some(speaker) => Ok(Kind::Quote {
                id: item
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|i| i.rsplit_once("#q-"))
                    .map(|(_, q)| spanned(q)),
                speaker: spanned(speaker),
            }),
            None => Err(problem(
                "a quote whose body is not the speaker's entity URL",
                "the body is the speaker's entity page URL",
            )),
        },
        "commenting" | "describing" => match body_text(item) {
            Some(body) => Ok(Kind::Note {
                body: nfc(body).into_owned(),
            }),
            None => Err(problem(
                "a note without a TextualBody value",
                "give the body as {\"type\": \"TextualBody\", \"value\": \"…\"}",
            )),
        },
        "linking" => match source {
            Some(url) => Ok(Kind::Link {
                to: spanned(&link_target(url)),
            }),
            None => Err(problem(
                "a link without a target URL in its body",
                "the body is the URL linked to",
            )),
        },
        other => Err((
            format!("unsupported motivation `{other}`"),
            "glossa reads identifying (mention), highlighting (quote), commenting (note) and linking (link)",
        )),
    }
}

/// A link's target as an annotation file writes it: `entity:ID` for an
/// entity page, `@/articles/SLUG.md[#F]` for an article, else the URL.
fn link_target(url: &str) -> String {
    if let Some(id) = segment_after(url, "entities") {
        format!("entity:{id}")
    } else if let Some(slug) = segment_after(url, "articles") {
        match url.split_once('#') {
            Some((_, f)) => format!("@/articles/{slug}.md#{f}"),
            None => format!("@/articles/{slug}.md"),
        }
    } else {
        url.to_string()
    }
}

/// `text[range]` as code points from the start of `text`.
pub fn code_points(text: &str, range: &Range<usize>) -> (usize, usize) {
    let start = text[..range.start].chars().count();
    (start, start + text[range.clone()].chars().count())
}

/// The byte offset of code point `cp` in `text`.
pub fn byte_offset(text: &str, cp: usize) -> Option<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .nth(cp)
}
