//! A new annotation file checked before it is written: the article
//! anchored in memory with the old file and with the new one, with the
//! real anchoring; refused when the new one has an error the old one did
//! not, or when its annotations are not the old ones with exactly the
//! change.
//!
//! On top of the pipeline: the preview server.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::entity::Created;
use super::plan::{Ask, Op};
use super::reply::Reply;
use super::view::{Format, View};
use crate::anchor::article::{Anchored, ArticleFiles, Explicit, ExplicitNode, LinkTargets, anchor_article};
use crate::content::{self, Article, brat, jsonld};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::site::Site;
use crate::urls::Urls;

/// Anchors the article with its old annotation file and with `new_text`,
/// in memory: refused when the new one has an error the old one did not,
/// or when its annotations are not the old ones with exactly the change.
pub(super) fn verify(site: &Site, root: &Path, ask: &Ask<'_>, new_text: &str) -> Result<(), Reply> {
    let view = ask.view;
    let file = view.format.file().to_path_buf();
    let old_text = view.sources.get(&file).map(str::to_string);
    let (old_an, _) = anchored(site, view, &view.article, None, old_text.as_deref());
    let mut new_article = view.article.clone();
    let mut parse_diags = Diagnostics::default();
    new_article.annotations = match &view.format {
        Format::Toml(_) => content::annotations::parse(&crate::files::clean_text(new_text), &file, &mut parse_diags),
        Format::Jsonld(_) => jsonld::parse(new_text, &file, &mut parse_diags),
        Format::Brat { txt, .. } => {
            let txt_text = view.sources.get(txt).unwrap_or_default().to_string();
            let cfg = brat::config(root, &mut Diagnostics::default(), &mut Sources::default());
            let mut s = Sources::default();
            brat::parse(txt, &txt_text, new_text, &cfg, &mut parse_diags, &mut s).annotations
        }
    };
    if new_article.annotations_path.is_none() {
        new_article.annotations_path = Some(file.clone());
    }
    let (new_an, sources) = anchored(site, view, &new_article, ask.created.as_ref(), Some(new_text));
    let mut all_diags = parse_diags;
    all_diags.extend(new_an.diags.iter().cloned());
    let errors = new_errors(&old_an, &all_diags);
    if !errors.is_empty() {
        let mut ds = Diagnostics::default();
        ds.extend(errors);
        return Err(Reply::refused("This annotation is not valid; nothing was written.")
            .with("diagnostics", json!(ds.render(&sources, false))));
    }
    check_outcome(ask, &old_an, &new_an)
}

/// The errors of `diags` that the old anchoring did not have (by message).
pub(super) fn new_errors(old: &Anchored, diags: &Diagnostics) -> Vec<Diagnostic> {
    let mut had: HashMap<&str, usize> = HashMap::new();
    for d in old.diags.iter().filter(|d| d.is_error()) {
        *had.entry(d.message.as_str()).or_default() += 1;
    }
    let mut out = Vec::new();
    for d in diags.iter().filter(|d| d.is_error()) {
        match had.get_mut(d.message.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(d.clone()),
        }
    }
    out
}

/// Anchors `article` (its annotations as given) with the site's entities
/// (and a new one); the sources its diagnostics point into.
pub(super) fn anchored(
    site: &Site,
    view: &View,
    article: &Article,
    created: Option<&Created>,
    ann_text: Option<&str>,
) -> (Anchored, Sources) {
    let mut index = site.entity_index.clone();
    let mut ids: Vec<&str> = site.entities.iter().map(|e| e.src.id.as_str()).collect();
    if let Some((id, _, _)) = created {
        index.insert(id.clone(), ids.len());
        ids.push(id);
    }
    let urls = Urls {
        root: site.config.root_path(),
    };
    let links = LinkTargets {
        entities: &index,
        ids: &ids,
        urls: &urls,
        anchoring: &site.anchoring,
    };
    let mut sources = view.sources.clone();
    if let (Some(t), Some(p)) = (ann_text, &article.annotations_path) {
        sources.insert(p, Arc::from(t));
    }
    let files = ArticleFiles::of(article, &sources);
    (anchor_article(article, &links, &site.strings, &files), sources)
}

/// Checks that the new anchoring is the old one with exactly the change:
/// every other explicit annotation where it was, the new one on exactly
/// the selected spans.
pub(super) fn check_outcome(ask: &Ask<'_>, old: &Anchored, new: &Anchored) -> Result<(), Reply> {
    let view = ask.view;
    let key = |n: &ExplicitNode| format!("{:?} {:?}", n.range, n.what);
    let mut left: HashMap<String, i64> = HashMap::new();
    for n in &new.explicit {
        *left.entry(key(n)).or_default() += 1;
    }
    // the old ones, minus the edited or deleted annotation's spans
    let changed_kind = match ask.op {
        Op::Edit(k) | Op::Delete(k) => Some(view.article.annotations[k].kind.name()),
        Op::Add => None,
    };
    for n in &old.explicit {
        if changed_kind.is_some_and(|kind| ask.targets.contains(&n.range) && what_kind(&n.what) == kind) {
            continue;
        }
        let c = left.entry(key(n)).or_default();
        *c -= 1;
        if *c < 0 {
            return Err(Reply::refused(format!(
                "This change would break another annotation («{}»); nothing was written.",
                &view.text[n.range.clone()]
            )));
        }
    }
    // what is left is what the change added
    let added: Vec<&ExplicitNode> = new
        .explicit
        .iter()
        .filter(|n| left.get(&key(n)).copied().unwrap_or(0) > 0)
        .collect();
    match (ask.op, &ask.what) {
        (Op::Delete(_), _) if !added.is_empty() => Err(Reply::refused(
            "Removing this annotation would change others; nothing was written.",
        )),
        (_, Some(w)) => {
            for r in &ask.targets {
                if !added.iter().any(|n| n.range == *r && what_kind(&n.what) == w.kind()) {
                    return Err(Reply::refused(format!(
                        "The new {} would not land on «{}» (it anchors elsewhere, or is left out); nothing was written.",
                        w.kind(),
                        &view.text[r.clone()]
                    )));
                }
            }
            // `all = true` adds the other occurrences too; nothing else does
            if !ask.all && added.len() > ask.targets.len() {
                return Err(Reply::refused(
                    "The new annotation would land on more text than was selected; nothing was written.",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

pub(super) fn what_kind(e: &Explicit) -> &'static str {
    match e {
        Explicit::Mention(_) => "mention",
        Explicit::Quote { .. } => "quote",
        Explicit::Note(_) => "note",
        Explicit::Link(_) => "link",
    }
}
