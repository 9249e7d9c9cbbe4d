//! A selection mapped to the rendered text and checked before any dialog:
//! the refusals (empty, across blocks, in code, overlapping another
//! annotation without nesting), each with the reason the author reads.
//!
//! On top of the pipeline: the preview server.

use std::ops::Range;

use super::reply::Reply;
use super::request::ApplyReq;
use super::view::View;
use crate::anchor::choose::Unselectable;
use crate::content::{Annotation, Kind};
use crate::site::Site;

/// What an annotation is, for the author: "the mention of Huawei".
pub(super) fn describe(ann: &Annotation, site: &Site) -> String {
    let name = |id: &str| {
        site.entity_index
            .get(id)
            .map_or(id.to_string(), |&e| site.entities[e].src.name.clone())
    };
    match &ann.kind {
        Kind::Mention { entity } => format!("the mention of {}", name(entity.get_ref())),
        Kind::Quote { speaker, .. } => format!("the quote by {}", name(speaker.get_ref())),
        Kind::Note { .. } => "the note".into(),
        Kind::Link { .. } => "the link".into(),
    }
}

/// Why a selection cannot be an annotation, or nothing.
pub(super) fn check_selection(view: &View, site: &Site, r: &Range<usize>) -> Result<(), String> {
    let t = &view.text;
    if r.start >= r.end || t[r.clone()].trim().is_empty() {
        return Err("Select some text of the article first.".into());
    }
    if t[r.clone()].contains('\n') {
        return Err(
            "The selection runs across two blocks (paragraphs, headings, list items or table cells); \
                    an annotation stays within one."
                .into(),
        );
    }
    if view.code.iter().any(|c| c.start < r.end && r.start < c.end) {
        return Err("The selection is in code, which is not annotated.".into());
    }
    for (k, ranges) in view.ranges.iter().enumerate() {
        for a in ranges {
            let partial = a.start < r.end && r.start < a.end && !(a.start <= r.start && r.end <= a.end);
            let contains = r.start <= a.start && a.end <= r.end;
            if partial && !contains {
                return Err(format!(
                    "The selection overlaps {} («{}») without containing it or lying inside it; annotations \
                     must nest: select all of it, or only text inside it.",
                    describe(&view.article.annotations[k], site),
                    &t[a.clone()]
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn unselectable(u: Unselectable) -> String {
    match u {
        Unselectable::Empty => "Select some text of the article first.".into(),
        Unselectable::InCode => "The selection is in code, which is not annotated.".into(),
        Unselectable::AcrossBlocks => "The selection runs across two blocks (paragraphs, headings, list items or \
                                       table cells); an annotation stays within one."
            .into(),
        Unselectable::NotInAll => "«Every occurrence» would not include this one: an earlier occurrence overlaps \
                                   it. Annotate it alone."
            .into(),
    }
}

/// The selected spans of an `add` (byte ranges), each checked.
pub(super) fn selected(site: &Site, view: &View, req: &ApplyReq) -> Result<Vec<Range<usize>>, Reply> {
    let pairs: Vec<[usize; 2]> = match (&req.ranges, req.start, req.end) {
        (Some(r), _, _) if !r.is_empty() => r.clone(),
        (_, Some(s), Some(e)) => vec![[s, e]],
        _ => return Err(Reply::refused("Select some text of the article first.")),
    };
    let mut spans = Vec::new();
    for [s, e] in pairs {
        let Some(r) = view.span(s, e, req.text.as_deref()) else {
            return Err(Reply::stale());
        };
        check_selection(view, site, &r).map_err(Reply::refused)?;
        spans.push(r);
    }
    Ok(spans)
}
