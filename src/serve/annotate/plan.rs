//! A change planned: the request taken apart and checked ([`Ask`]: the
//! operation, what the annotation says, its spans and their selectors),
//! the new annotation file made, anchored in memory and verified — and only
//! then a [`Plan`] of files to write.
//!
//! On top of the pipeline: the preview server.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::entity::{Created, new_entity};
use super::file_text::new_file_text;
use super::reply::Reply;
use super::request::{ApplyReq, WhatReq};
use super::selection::{selected, unselectable};
use super::verify::verify;
use super::view::View;
use crate::anchor::choose::{self, Unselectable};
use crate::anchor::markdown;
use crate::commands::annotation_file::{Entry, What};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::site::Site;

/// A change checked and ready: each file's new text (and whether it must
/// not exist yet), and what it does, for the terminal.
pub(super) struct Plan {
    pub(super) writes: Vec<(PathBuf, String, bool)>,
    pub(super) summary: String,
}

/// The change planned (see the module docs): the request checked, the new
/// annotation file made, and both anchored in memory and compared.
pub(super) fn plan(site: &Site, root: &Path, req: &ApplyReq) -> Result<Plan, Reply> {
    let view = View::load(site, root, &req.slug)?;
    if view.version != req.version {
        return Err(Reply::stale());
    }
    let ask = Ask::new(site, root, &view, req)?;
    let new_text = new_file_text(site, root, &ask)?;
    verify(site, root, &ask, &new_text)?;
    let mut writes = Vec::new();
    if let Some((_, rel, text)) = &ask.created {
        writes.push((rel.clone(), text.clone(), true));
    }
    writes.push((view.format.file().to_path_buf(), new_text, false));
    Ok(Plan {
        writes,
        summary: ask.summary(),
    })
}

/// What a change does to the annotation file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    /// Annotation `k` (in the file's order) gets new fields.
    Edit(usize),
    Delete(usize),
}

/// A request taken apart and checked: what it says, on which spans, with
/// which selectors.
pub(super) struct Ask<'v> {
    pub(super) view: &'v View,
    pub(super) op: Op,
    pub(super) what: Option<What>,
    /// A new entity to create with it.
    pub(super) created: Option<Created>,
    /// The spans of rendered text it is about (the selection, or the
    /// spans of the annotation changed).
    pub(super) targets: Vec<Range<usize>>,
    /// Adding: each new annotation, with where its (first) span starts.
    pub(super) entries: Vec<(Entry, usize)>,
    pub(super) all: bool,
}

impl<'v> Ask<'v> {
    pub(super) fn new(site: &Site, root: &Path, view: &'v View, req: &ApplyReq) -> Result<Ask<'v>, Reply> {
        let file = view.format.file();
        let op = match (req.op.as_str(), req.index) {
            ("add", _) => Op::Add,
            ("edit" | "delete", Some(k)) if k < view.article.annotations.len() => {
                if view.file_errors {
                    return Err(Reply::refused(format!(
                        "{} has errors; fix them (see `glossa check`) before changing its annotations here.",
                        file.display()
                    )));
                }
                if req.op == "edit" { Op::Edit(k) } else { Op::Delete(k) }
            }
            ("edit" | "delete", _) => return Err(Reply::stale()),
            (other, _) => {
                return Err(Reply::refused(format!(
                    "`{other}` is not something the annotator does."
                )));
            }
        };
        let (what, created) = match (&req.what, op) {
            (_, Op::Delete(_)) => (None, None),
            (Some(w), _) => {
                let (what, created) = what_of(site, root, w, file)?;
                (Some(what), created)
            }
            (None, _) => return Err(Reply::refused("Say what the annotation is.")),
        };
        let targets = match op {
            Op::Add => selected(site, view, req)?,
            Op::Edit(k) | Op::Delete(k) => view.ranges[k].clone(),
        };
        let mut ask = Ask {
            view,
            op,
            what,
            created,
            targets,
            entries: Vec::new(),
            all: req.all,
        };
        if op == Op::Add {
            ask.entries = ask.choose_selectors(req.ranges.is_some())?;
        }
        // quote ids are site-wide
        if let Some(What::Quote { id: Some(id), .. }) = &ask.what
            && site.quotes.iter().any(|q| q.id == *id && q.article != view.ai)
        {
            return Err(Reply::refused(format!(
                "The quote id `{id}` is taken by a quote of another article; choose another one (or leave it empty)."
            )));
        }
        Ok(ask)
    }

    /// The new annotations' selectors: one `all = true` when that is asked
    /// for (or when it covers exactly the spans given), else the smallest
    /// selector of each span.
    pub(super) fn choose_selectors(&self, several: bool) -> Result<Vec<(Entry, usize)>, Reply> {
        let (text, code) = (&self.view.text, &self.view.code);
        let what = self
            .what
            .clone()
            .ok_or_else(|| Reply::refused("Say what the annotation is."))?;
        let first = self.targets[0].clone();
        if self.targets.len() > 1 || self.all {
            match choose::choose_all(text, code, first.clone()) {
                Ok((selector, ranges)) if self.all || ranges == self.targets => {
                    return Ok(vec![(Entry { what, selector }, first.start)]);
                }
                _ if self.all => return Err(Reply::refused(unselectable(Unselectable::NotInAll))),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for r in &self.targets {
            if several && text[r.clone()] != text[first.clone()] {
                return Err(Reply::stale());
            }
            let selector = choose::choose(text, code, r.clone()).map_err(|u| Reply::refused(unselectable(u)))?;
            out.push((
                Entry {
                    what: what.clone(),
                    selector,
                },
                r.start,
            ));
        }
        Ok(out)
    }

    /// What the terminal says of it.
    pub(super) fn summary(&self) -> String {
        let mut s = match self.op {
            Op::Add => format!(
                "{} added{}",
                self.what.as_ref().map_or("annotation", What::kind),
                if self.entries.len() > 1 {
                    format!(" ×{}", self.entries.len())
                } else {
                    String::new()
                }
            ),
            Op::Edit(_) => "annotation changed".into(),
            Op::Delete(_) => "annotation removed".into(),
        };
        if let Some((id, _, _)) = &self.created {
            s.push_str(&format!("; new entity `{id}`"));
        }
        s
    }
}

/// What the request asks to say, checked, with the entity it creates.
pub(super) fn what_of(site: &Site, root: &Path, req: &WhatReq, file: &Path) -> Result<(What, Option<Created>), Reply> {
    let created = match &req.new_entity {
        Some(e) if matches!(req.kind.as_str(), "mention" | "quote") => Some(new_entity(site, root, e)?),
        _ => None,
    };
    let id_or = |given: &Option<String>| -> Result<String, Reply> {
        match (&created, given.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (Some((id, _, _)), _) => Ok(id.clone()),
            (None, Some(g)) => Ok(g.to_string()),
            (None, None) => Err(Reply::refused("Choose an entity (or make a new one).")),
        }
    };
    let what = match req.kind.as_str() {
        "mention" => What::Mention {
            entity: id_or(&req.entity)?,
        },
        "quote" => What::Quote {
            speaker: id_or(&req.speaker)?,
            id: req
                .id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        },
        "note" => {
            let body = crate::text::nfc(req.body.as_deref().unwrap_or("").trim()).into_owned();
            if body.is_empty() {
                return Err(Reply::refused("The note is empty: write its text."));
            }
            if let Some(d) = raw_html_diag(&body, file) {
                let mut ds = Diagnostics::default();
                ds.push(d);
                return Err(Reply::refused("The note's body has raw HTML.")
                    .with("diagnostics", json!(ds.render(&Sources::default(), false))));
            }
            What::Note { body }
        }
        "link" => {
            let to = req.to.as_deref().map(str::trim).unwrap_or("");
            if to.is_empty() {
                return Err(Reply::refused("Choose what the link points to."));
            }
            What::Link { to: to.to_string() }
        }
        other => return Err(Reply::refused(format!("`{other}` is not a kind of annotation."))),
    };
    Ok((what, created))
}

/// The diagnostic for a note body with raw HTML (shown as text, never as
/// HTML: almost always not what the author meant).
pub(super) fn raw_html_diag(body: &str, file: &Path) -> Option<Diagnostic> {
    let doc = pulldown_cmark::Parser::new_ext(body, markdown::options());
    let raw = doc
        .into_iter()
        .any(|e| matches!(e, pulldown_cmark::Event::Html(_) | pulldown_cmark::Event::InlineHtml(_)));
    raw.then(|| {
        Diagnostic::error(
            file,
            None,
            "the note's body has raw HTML, which glossa shows as text, not as HTML",
        )
        .with_hint("write Markdown instead (**bold**, *italic*, [a link](https://…)), or escape the `<` as `\\<`")
    })
}
