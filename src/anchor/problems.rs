//! The diagnostics anchoring gives: an annotation whose text is not found,
//! is ambiguous, in code or past its `nth`; a link that does not resolve; an
//! unsafe URL; a quote its share card cannot draw; a quote id used twice.
//!
//! Stage 2 of the pipeline: anchoring.

use std::ops::Range;
use std::path::Path;

use super::selector::{self as anchor, Failure};
use crate::content::Annotation;
use crate::diagnostics::Diagnostic;

/// A quote whose share image would show boxes for some characters.
pub fn undrawable_diag(file: &Path, span: Range<usize>, chars: &[char]) -> Diagnostic {
    const LISTED: usize = 8;
    let mut list: Vec<String> = chars
        .iter()
        .take(LISTED)
        .map(|c| format!("{c} (U+{:04X})", *c as u32))
        .collect();
    if chars.len() > LISTED {
        list.push(format!("and {} more", chars.len() - LISTED));
    }
    Diagnostic::warning(
        file,
        Some(span),
        format!(
            "the quote's share image cannot draw {}: its embedded font has no glyph for them, so the PNG card shows a box in their place",
            list.join(", ")
        ),
    )
    .with_hint("the article and quote pages are not affected (browsers use the reader's fonts); to keep the card clean, quote a translation or transliteration")
}

/// A quote pinned to an id another quote of the same article has.
pub fn duplicate_id_diag(file: &Path, id: &toml::Spanned<String>) -> Diagnostic {
    Diagnostic::error(file, Some(id.span()), format!("duplicate quote id `{}`", id.get_ref())).with_hint(
        "another quote of this article has this id; give this one another `id`, or leave `id` out to have one derived",
    )
}

pub fn unsafe_url_diag(file: &Path, span: Range<usize>, url: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        Some(span),
        format!("link to `{url}` refused: only http(s), mailto, tel, ftp and relative URLs"),
    )
    .with_hint("javascript:, data: and other schemes could run code in the reader's browser")
}

pub fn link_diag(file: &Path, to: &toml::Spanned<String>, why: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        Some(to.span()),
        format!("link target `{}` does not resolve: {why}", to.get_ref()),
    )
    .with_hint("use `@/articles/SLUG.md`, `entity:ID` or an http(s) URL; javascript: and data: URLs are refused")
}

pub fn failure_diag(
    f: Failure,
    ann: &Annotation,
    file: &Path,
    text: &str,
    article_line: &dyn Fn(usize) -> usize,
) -> Diagnostic {
    match f {
        Failure::NotFound { exact } => {
            let occurrences = anchor::find_all(text, &exact);
            if !occurrences.is_empty() {
                let lines: Vec<String> = occurrences
                    .iter()
                    .take(8)
                    .map(|r| article_line(r.start).to_string())
                    .collect();
                return Diagnostic::error(
                    file,
                    Some(ann.exact_span.clone()),
                    format!("`exact` occurs {} times (lines {}) but never with this `prefix`/`suffix`", occurrences.len(), lines.join(", ")),
                )
                .with_hint("prefix/suffix must be the text right before/after it as the reader sees it (Markdown syntax removed)");
            }
            let flat = text.replace('\n', " ");
            if !anchor::find_all(&flat, &exact).is_empty() {
                return Diagnostic::error(
                    file,
                    Some(ann.exact_span.clone()),
                    "the annotation spans two paragraphs",
                )
                .with_hint("an annotation must lie within one paragraph; split it in two");
            }
            let d = Diagnostic::error(
                file,
                Some(ann.exact_span.clone()),
                format!("`exact` not found in the article: «{exact}»"),
            );
            match anchor::closest(text, &exact) {
                Some((r, _)) => {
                    let (want, have) = anchor::mark_difference(&exact, &text[r.clone()]);
                    d.with_hint(format!(
                        "closest match at article line {}: «{}» (differs: «{want}» vs «{have}»)",
                        article_line(r.start),
                        &text[r]
                    ))
                }
                None => d.with_hint("check the spelling against the article; matching is case-sensitive"),
            }
        }
        Failure::Ambiguous { occurrences } => {
            let mut lines: Vec<usize> = occurrences.iter().map(|r| article_line(r.start)).collect();
            lines.dedup();
            let more = if lines.len() > 8 { ", …" } else { "" };
            let lines: Vec<String> = lines.iter().take(8).map(usize::to_string).collect();
            Diagnostic::error(
                file,
                Some(ann.exact_span.clone()),
                format!(
                    "`exact` occurs {} times in the article (lines {}{more})",
                    occurrences.len(),
                    lines.join(", ")
                ),
            )
            .with_hint("say which: `nth = N`, `all = true`, or `prefix`/`suffix` with the text around it")
        }
        Failure::InCode { range } => {
            Diagnostic::error(file, Some(ann.exact_span.clone()), "the annotation is inside code").with_hint(format!(
                "text in code spans and blocks is not annotated (article line {})",
                article_line(range.start)
            ))
        }
        Failure::NthPastEnd { nth, count } => Diagnostic::error(
            file,
            ann.nth_span.clone().or(Some(ann.exact_span.clone())),
            format!(
                "`nth = {nth}` but the text occurs only {count} time{}",
                if count == 1 { "" } else { "s" }
            ),
        )
        .with_hint(format!("use a number from 1 to {count}")),
    }
}
