//! Suggestions in place: what `glossa suggest` reports for the article
//! (names of entities not linked, quoted passages not annotated as quotes,
//! with the likely speaker), placed in the text where annotate mode
//! underlines them. The suggester is kept while the entities stay the same.
//!
//! On top of the pipeline: the preview server.

use std::ops::Range;

use serde_json::{Value, json};

use super::selection::check_selection;
use super::view::View;
use crate::anchor::selector;
use crate::commands::suggest::Suggester;
use crate::site::Site;

/// What `glossa suggest` reports for the article, with where each
/// suggestion is in the text: names that are not mentions, quoted
/// passages that are not quotes (with the likely speaker).
pub(super) fn suggestions(cache: &mut Option<(u64, Suggester)>, site: &Site, view: &View) -> Vec<Value> {
    let key = {
        let mut h = 0u64;
        for e in &site.entities {
            let s = &e.src;
            h = h.rotate_left(5)
                ^ crate::files::hash(
                    format!("{}\0{}\0{:?}\0{:?}\0{}", s.id, s.name, s.aliases, s.kind, s.autolink).as_bytes(),
                );
        }
        h
    };
    if cache.as_ref().is_none_or(|(k, _)| *k != key) {
        *cache = Some((key, Suggester::new(site)));
    }
    let Some((_, suggester)) = &*cache else {
        return Vec::new();
    };
    let report = suggester.article(site, view.ai);
    let t = &view.text;
    let taken: Vec<&Range<usize>> = view.ranges.iter().flatten().collect();
    let fits = |r: &Range<usize>| {
        check_selection(view, site, r).is_ok() && !view.code.iter().any(|c| c.start < r.end && r.start < c.end)
    };
    let word_edge = |r: &Range<usize>| {
        !t[..r.start].chars().next_back().is_some_and(crate::text::is_word_char)
            && !t[r.end..].chars().next().is_some_and(crate::text::is_word_char)
    };
    let name = |id: &str| site.entity_index.get(id).map(|&e| site.entities[e].src.name.clone());
    let mut out = Vec::new();
    for u in &report.unlinked {
        let ranges: Vec<[usize; 2]> = selector::find_all(t, &u.text)
            .into_iter()
            .filter(|r| word_edge(r) && fits(r))
            // not already a mention of it
            .filter(|r| {
                !site.articles[view.ai]
                    .mentions
                    .iter()
                    .any(|m| m.range.start < r.end && r.start < m.range.end)
            })
            .map(|r| view.utf16.range(&r))
            .collect();
        if !ranges.is_empty() {
            out.push(json!({
                "kind": "mention", "entity": u.entity, "name": name(&u.entity), "text": u.text,
                "ranges": ranges, "why": u.why,
            }));
        }
    }
    for q in &report.quotes {
        let ranges: Vec<[usize; 2]> = selector::find_all(t, &q.text)
            .into_iter()
            .filter(|r| fits(r) && !taken.iter().any(|a| a.start <= r.start && r.end <= a.end && **a != *r))
            .map(|r| view.utf16.range(&r))
            .collect();
        if let Some(first) = ranges.first() {
            out.push(json!({
                "kind": "quote", "speaker": q.speaker, "speaker_name": q.speaker.as_deref().and_then(name),
                "text": q.text, "ranges": [first],
            }));
        }
    }
    out
}
