//! The annotation file with a change, in the article's format: TOML by
//! spans, every other byte kept ([`crate::commands::annotation_file`]);
//! JSON-LD rewritten whole in `glossa export`'s format; brat in
//! [`super::brat`].
//!
//! On top of the pipeline: the preview server.

use std::path::Path;

use serde_json::{Value, json};
use toml::Spanned;

use super::brat::brat_ann;
use super::entity::Created;
use super::plan::{Ask, Op};
use super::reply::Reply;
use super::verify::anchored;
use super::view::{Format, View};
use crate::commands::annotation_file::{self, Entry, What};
use crate::content::{Annotation, Article, Kind, Selector};
use crate::diagnostics::Diagnostics;
use crate::site::Site;
use crate::urls::Urls;

/// The annotation file with the change, in its format.
pub(super) fn new_file_text(site: &Site, root: &Path, ask: &Ask<'_>) -> Result<String, Reply> {
    let view = ask.view;
    let file = view.format.file();
    let unreadable = |u: annotation_file::Unreadable| Reply::refused(format!("{}: {}", file.display(), u.0));
    let raw = std::fs::read_to_string(root.join(file)).ok();
    let what = || ask.what.clone().unwrap_or(What::Note { body: String::new() });
    match (&view.format, ask.op) {
        (Format::Toml(_), Op::Add) => {
            let mut text = raw.clone().unwrap_or_default();
            for (i, (e, _)) in ask.entries.iter().enumerate() {
                text = match (i, &raw) {
                    (0, None) => annotation_file::new_file(e),
                    _ => annotation_file::append(&text, e).map_err(unreadable)?,
                };
            }
            Ok(text)
        }
        (Format::Toml(_), Op::Edit(k) | Op::Delete(k)) => {
            let kind = view.article.annotations[k].kind.name();
            let raw = raw.unwrap_or_default();
            let changed = if let Op::Delete(_) = ask.op {
                annotation_file::remove(&raw, kind, view.kind_index(k))
            } else {
                let entry = Entry {
                    what: what(),
                    selector: view.article.annotations[k].selector.clone(),
                };
                annotation_file::replace(&raw, kind, view.kind_index(k), &entry)
            };
            changed.map_err(unreadable)
        }
        (Format::Jsonld(_), op) => {
            let mut article = view.article.clone();
            let cp = |b: usize| view.text[..b].chars().count();
            match op {
                Op::Add => {
                    for (e, at) in &ask.entries {
                        article
                            .annotations
                            .push(annotation(&e.what, e.selector.clone(), Some(cp(*at))));
                    }
                }
                Op::Delete(k) => {
                    article.annotations.remove(k);
                }
                Op::Edit(k) => {
                    let old = &article.annotations[k];
                    let at = view.ranges[k].first().map(|r| cp(r.start)).or(old.position);
                    article.annotations[k] = annotation(&what(), old.selector.clone(), at);
                }
            }
            jsonld_file(site, view, &article, ask.created.as_ref())
        }
        (Format::Brat { txt, .. }, _) => brat_ann(site, root, ask, txt),
    }
}

/// `what` as the annotation anchoring reads.
pub(super) fn annotation(what: &What, selector: Selector, position: Option<usize>) -> Annotation {
    let s = |v: &str| Spanned::new(0..0, v.to_string());
    let kind = match what {
        What::Mention { entity } => Kind::Mention { entity: s(entity) },
        What::Quote { speaker, id } => Kind::Quote {
            id: id.as_deref().map(s),
            speaker: s(speaker),
        },
        What::Note { body } => Kind::Note { body: body.clone() },
        What::Link { to } => Kind::Link { to: s(to) },
    };
    Annotation {
        kind,
        selector,
        exact_span: 0..0,
        nth_span: None,
        position,
    }
}

/// The JSON-LD file for `article`'s annotations, in `glossa export`'s
/// format (a collection of this article's annotations).
pub(super) fn jsonld_file(
    site: &Site,
    view: &View,
    article: &Article,
    created: Option<&Created>,
) -> Result<String, Reply> {
    let (an, sources) = anchored(site, view, article, created, None);
    if let Some(d) = an.diags.iter().find(|d| d.is_error()) {
        let mut ds = Diagnostics::default();
        ds.push(d.clone());
        return Err(Reply::refused("This annotation is not valid; nothing was written.")
            .with("diagnostics", json!(ds.render(&sources, false))));
    }
    let cfg = &site.config;
    let urls = Urls { root: cfg.root_path() };
    let article_url = cfg.absolute(&urls.article(&article.slug));
    let entity_url = |e: usize| {
        let id = match site.entities.get(e) {
            Some(n) => n.src.id.clone(),
            None => created.map(|c| c.0.clone()).unwrap_or_default(),
        };
        cfg.absolute(&urls.entity(&id))
    };
    let items: Vec<Value> = an
        .explicit
        .iter()
        .enumerate()
        .map(|(k, n)| crate::commands::export::item(cfg, &urls, &article_url, &view.text, k, n, &entity_url))
        .collect();
    let doc = json!({
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "AnnotationCollection",
        "total": items.len(),
        "first": {"type": "AnnotationPage", "items": items},
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()))
}
