//! The annotator's work, run by the rebuild loop between two rebuilds (see
//! [`crate::serve::Job`]), with the kept site graph: what the annotate page
//! asks for (an article's state, the entities, the articles, a selection
//! checked), a change planned ([`super::plan`]) and only then written
//! ([`super::disk`]) and rebuilt at once; each change kept for undo (the
//! files' previous bytes).
//!
//! Offsets in requests and replies are UTF-16 code units of the rendered
//! text (what JavaScript strings count), converted in [`super::view`].
//! Nothing is written when the files changed since the page read them (the
//! `version`, a hash of every file the article is made of), when the new
//! file would not resolve to the selected text, or when it would break
//! another annotation; the reason comes back, with `check`'s diagnostics
//! where there are some.
//!
//! On top of the pipeline: the preview server.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::disk::{create_new, remove_file, restore, write_atomic};
use super::plan::{Plan, plan};
use super::reply::Reply;
use super::request::{ApplyReq, SelectReq};
use super::selection::{check_selection, unselectable};
use super::suggestions::suggestions;
use super::view::View;
use crate::anchor::choose;
use crate::anchor::selector;
use crate::commands::suggest::Suggester;
use crate::content::{EntityKind, Kind, Selector};
use crate::serve::{Event, Rebuilder};
use crate::site::Site;
use crate::text::fold;

/// What the annotator keeps between requests: the changes that can be
/// undone (per article) and what suggestions are made from.
#[derive(Default)]
pub struct Annotator {
    pub(super) undo: HashMap<String, Vec<Change>>,
    pub(super) suggester: Option<(u64, Suggester)>,
}

/// One change as written: each file's bytes before (`None`: it did not
/// exist) and the hash of the bytes written.
pub(super) struct Change {
    pub(super) files: Vec<(PathBuf, Option<Vec<u8>>, u64)>,
}

/// How many changes per article are kept for undo.
pub(super) const UNDO_DEPTH: usize = 50;

/// The site graph, or the reason there is none.
pub(super) fn site_of<'a>(rb: &'a Rebuilder<'_>) -> Result<&'a Site, Reply> {
    rb.session.site().ok_or_else(|| {
        Reply::refused(
            "The site has errors (see the message over the page); annotate again once they are fixed. \
             Undo still works.",
        )
    })
}

impl Annotator {
    /// What the annotate page needs of article `slug`.
    pub fn state(&mut self, rb: &mut Rebuilder<'_>, slug: &str) -> Reply {
        let site = match site_of(rb) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let root = rb.session.root().to_path_buf();
        let view = match View::load(site, &root, slug) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let name = |id: &str| site.entity_index.get(id).map(|&e| site.entities[e].src.name.clone());
        let annotations: Vec<Value> = view
            .article
            .annotations
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let mut v = json!({
                    "index": k,
                    "kind": a.kind.name(),
                    "exact": a.selector.exact,
                    "all": a.selector.all,
                    "ranges": view.ranges[k].iter().map(|r| view.utf16.range(r)).collect::<Vec<_>>(),
                });
                match &a.kind {
                    Kind::Mention { entity } => {
                        v["entity"] = json!(entity.get_ref());
                        v["entity_name"] = json!(name(entity.get_ref()));
                    }
                    Kind::Quote { id, speaker } => {
                        v["speaker"] = json!(speaker.get_ref());
                        v["speaker_name"] = json!(name(speaker.get_ref()));
                        v["id"] = json!(id.as_ref().map(|i| i.get_ref()));
                    }
                    Kind::Note { body } => v["body"] = json!(body),
                    Kind::Link { to } => v["to"] = json!(to.get_ref()),
                }
                v
            })
            .collect();
        let suggestions = suggestions(&mut self.suggester, site, &view);
        let a = &site.articles[view.ai];
        Reply::ok(json!({
            "slug": slug,
            "title": a.src.title,
            "version": view.version,
            "format": view.format.name(),
            "file": view.format.file().to_string_lossy().replace('\\', "/"),
            "editable": !view.file_errors,
            "text": view.text,
            "code": view.code.iter().map(|r| view.utf16.range(r)).collect::<Vec<_>>(),
            "annotations": annotations,
            "suggestions": suggestions,
            "undo": self.undo.get(slug).map_or(0, Vec::len),
            "kinds": EntityKind::ALL.iter().map(|k| json!({"id": k.as_str(), "label": k.label(&site.strings.kind)})).collect::<Vec<_>>(),
        }))
    }

    /// Every entity, for the pickers: id, name, kind, and the folded names
    /// and aliases a search matches.
    pub fn entities(&mut self, rb: &mut Rebuilder<'_>) -> Reply {
        let site = match site_of(rb) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let list: Vec<Value> = site
            .entities
            .iter()
            .map(|e| {
                let e = &e.src;
                let keys: Vec<String> = std::iter::once(&e.name).chain(&e.aliases).map(|n| fold(n)).collect();
                json!({
                    "id": e.id, "name": e.name, "aliases": e.aliases, "kind": e.kind.as_str(),
                    "label": e.kind.label(&site.strings.kind), "keys": keys,
                })
            })
            .collect();
        Reply::ok(json!({ "entities": list }))
    }

    /// Every article, for the link picker: slug, title, the folded title.
    pub fn articles(&mut self, rb: &mut Rebuilder<'_>) -> Reply {
        let site = match site_of(rb) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let list: Vec<Value> = site
            .articles
            .iter()
            .map(|a| json!({"slug": a.src.slug, "title": a.src.title, "date": a.src.date, "key": fold(&a.src.title)}))
            .collect();
        Reply::ok(json!({ "articles": list }))
    }

    /// Whether a selection can be an annotation; the selector it would get.
    pub fn select(&mut self, rb: &mut Rebuilder<'_>, req: SelectReq) -> Reply {
        let site = match site_of(rb) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let root = rb.session.root().to_path_buf();
        let view = match View::load(site, &root, &req.slug) {
            Ok(v) => v,
            Err(r) => return r,
        };
        if view.version != req.version {
            return Reply::stale();
        }
        let Some(r) = view.span(req.start, req.end, Some(&req.text)) else {
            return Reply::stale();
        };
        if let Err(why) = check_selection(&view, site, &r) {
            return Reply::refused(why);
        }
        match choose::choose(&view.text, &view.code, r.clone()) {
            Ok(sel) => {
                let inside: Vec<usize> = (0..view.ranges.len())
                    .filter(|&k| view.ranges[k].iter().any(|a| a.start <= r.start && r.end <= a.end))
                    .collect();
                let count = selector::find_all(&view.text, &sel.exact).len();
                Reply::ok(json!({
                    "selector": selector_json(&sel),
                    "occurrences": count,
                    "inside": inside,
                }))
            }
            Err(u) => Reply::refused(unselectable(u)),
        }
    }

    /// An annotation added, changed or removed (see the module docs).
    pub fn apply(&mut self, rb: &mut Rebuilder<'_>, req: ApplyReq) -> Reply {
        let root = rb.session.root().to_path_buf();
        let planned = match rb.session.site() {
            Some(site) => plan(site, &root, &req),
            None => Err(site_of(rb).err().unwrap_or_else(|| Reply::refused("no site"))),
        };
        let plan = match planned {
            Ok(p) => p,
            Err(r) => return r,
        };
        self.write_and_rebuild(rb, &root, &req.slug, plan)
    }

    /// The last change to article `slug` undone: its files' previous bytes
    /// put back, when nothing changed them since.
    pub fn undo(&mut self, rb: &mut Rebuilder<'_>, slug: &str) -> Reply {
        let root = rb.session.root().to_path_buf();
        let Some(change) = self.undo.get_mut(slug).and_then(Vec::pop) else {
            return Reply::refused("There is nothing to undo for this article.");
        };
        for (rel, _, written) in &change.files {
            let now = std::fs::read(root.join(rel)).ok();
            if now.as_deref().map(crate::files::hash) != Some(*written) {
                return Reply::refused(format!(
                    "{} changed since (in your editor?); undo would overwrite that, so nothing was undone.",
                    rel.display()
                ));
            }
        }
        let mut changed = Vec::new();
        for (rel, before, _) in change.files.iter().rev() {
            let done = match before {
                Some(bytes) => write_atomic(&root, rel, bytes),
                None => remove_file(&root, rel),
            };
            if let Err(why) = done {
                return Reply::refused(format!("Cannot undo {}: {why}", rel.display()));
            }
            changed.push(rel.clone());
        }
        eprintln!(
            "Annotate: undone ({})",
            changed
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let event = rb.rebuild(&changed);
        let page = page_changed(&event, slug);
        let left = self.undo.get(slug).map_or(0, Vec::len);
        let rest = rb.session.deferred().len();
        Reply::ok(json!({ "page_changed": page, "undo": left, "rest": rest }))
    }

    /// Writes a checked plan, rebuilds, and keeps it for undo; when the
    /// rebuild fails all the same (a problem across articles), the files are
    /// put back and the diagnostics returned.
    pub(super) fn write_and_rebuild(&mut self, rb: &mut Rebuilder<'_>, root: &Path, slug: &str, plan: Plan) -> Reply {
        let mut done: Vec<(PathBuf, Option<Vec<u8>>, u64)> = Vec::new();
        for (rel, bytes, create_only) in &plan.writes {
            let before = std::fs::read(root.join(rel)).ok();
            let result = if *create_only {
                create_new(root, rel, bytes.as_bytes())
            } else {
                write_atomic(root, rel, bytes.as_bytes())
            };
            if let Err(why) = result {
                restore(root, &done);
                return Reply::refused(format!("Cannot write {}: {why}. Nothing was changed.", rel.display()));
            }
            done.push((rel.clone(), before, crate::files::hash(bytes.as_bytes())));
        }
        let changed: Vec<PathBuf> = done.iter().map(|d| d.0.clone()).collect();
        eprintln!(
            "Annotate: {} ({})",
            plan.summary,
            changed
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let event = rb.rebuild(&changed);
        if let Event::Error { text } = &event {
            restore(root, &done);
            rb.rebuild(&changed);
            return Reply::refused("The site would not build with this change, so it was not kept.")
                .with("diagnostics", json!(text));
        }
        let page = page_changed(&event, slug);
        let stack = self.undo.entry(slug.to_string()).or_default();
        stack.push(Change { files: done });
        if stack.len() > UNDO_DEPTH {
            stack.remove(0);
        }
        let undo = stack.len();
        let version = rb
            .session
            .site()
            .and_then(|site| View::load(site, root, slug).ok())
            .map(|v| v.version);
        Reply::ok(json!({
            "page_changed": page,
            // other pages the change rewrites, written after this reply
            "rest": rb.session.deferred().len(),
            "undo": undo,
            "version": version,
            "written": changed.iter().map(|p| p.to_string_lossy().replace('\\', "/")).collect::<Vec<_>>(),
            "summary": plan.summary,
        }))
    }
}

pub(super) fn selector_json(s: &Selector) -> Value {
    json!({ "exact": s.exact, "prefix": s.prefix, "suffix": s.suffix, "nth": s.nth, "all": s.all })
}

/// Whether a rebuild rewrote the article's page.
pub(super) fn page_changed(event: &Event, slug: &str) -> bool {
    let page = format!("articles/{slug}/index.html");
    matches!(event, Event::Reload { changed } if changed.contains(&page))
}
