//! A brat article's `.ann` with a change: a mention is a `T` line and an
//! `N` line naming the site's entity, a note an `AnnotatorNotes` line on
//! the mention of the same text; editing and removing keep every other
//! line.
//!
//! On top of the pipeline: the preview server.

use std::ops::Range;
use std::path::Path;

use super::plan::{Ask, Op};
use super::reply::Reply;
use crate::commands::annotation_file::What;
use crate::content::{EntityKind, Kind, brat};
use crate::diagnostics::{Diagnostics, Sources};
use crate::site::Site;

/// The brat type a kind is written as.
pub(super) fn brat_type(kind: EntityKind, cfg: &brat::BratConfig) -> String {
    if let Some((t, _)) = cfg.types.iter().find(|(_, k)| **k == kind) {
        return t.clone();
    }
    match kind {
        EntityKind::Person => "Person",
        EntityKind::Organization => "Organization",
        EntityKind::Place => "Location",
        EntityKind::Product => "Product",
        EntityKind::Concept => "Concept",
        EntityKind::Event => "Event",
        EntityKind::Work => "Work",
    }
    .to_string()
}

/// The `.ann` with the change: a mention is a `T` line and an `N` line
/// naming the site's entity; a note an `AnnotatorNotes` line on the
/// mention of the same text. Quotes and links have no brat form.
pub(super) fn brat_ann(site: &Site, root: &Path, ask: &Ask<'_>, txt: &Path) -> Result<String, Reply> {
    let ann = Ann::read(root, &txt.with_extension("ann"));
    let mut out: Vec<String> = ann.lines.clone();
    match (ask.op, ask.what.as_ref()) {
        (Op::Add, Some(What::Mention { entity })) => brat_mentions(site, root, ask, txt, &ann, entity, &mut out)?,
        (Op::Add, Some(What::Note { body })) => {
            // on the mention of the same text, as brat has notes
            let start = ask.entries.first().map(|(_, at)| *at);
            let exact = ask.entries.first().map(|(e, _)| e.selector.exact.as_str());
            let view = ask.view;
            let mention = view.article.annotations.iter().enumerate().find(|(k, a)| {
                matches!(a.kind, Kind::Mention { .. })
                    && view.ranges[*k].first().map(|r| r.start) == start
                    && exact == Some(a.selector.exact.as_str())
            });
            let Some(tid) = mention.and_then(|(_, a)| ann.id_at(&a.exact_span)) else {
                return Err(Reply::refused(
                    "In a brat article a note goes on a mention: make this text a mention first, then add the note.",
                ));
            };
            out.push(format!(
                "#{}\tAnnotatorNotes {tid}\t{}",
                ann.max_id('#') + 1,
                body.replace(['\t', '\n'], " ")
            ));
        }
        (Op::Add, _) => {
            return Err(Reply::refused(
                "A brat article (.txt + .ann) holds mentions and notes; quotes and links need a Markdown article.",
            ));
        }
        (Op::Edit(k) | Op::Delete(k), _) => brat_change(site, ask, k, &ann, &mut out)?,
    }
    let mut text = out.join("\n");
    text.push('\n');
    Ok(text)
}

/// A brat `.ann` file's lines.
pub(super) struct Ann {
    pub(super) text: String,
    pub(super) lines: Vec<String>,
}

impl Ann {
    pub(super) fn read(root: &Path, rel: &Path) -> Ann {
        let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
        let lines = text.lines().map(str::to_string).collect();
        Ann { text, lines }
    }

    /// The largest number of the ids starting with `prefix` (`T`, `N`, `#`).
    pub(super) fn max_id(&self, prefix: char) -> usize {
        self.lines
            .iter()
            .filter_map(|l| l.split('\t').next()?.strip_prefix(prefix)?.parse::<usize>().ok())
            .max()
            .unwrap_or(0)
    }

    /// The line a byte span of the file starts in.
    pub(super) fn line_at(&self, span: &Range<usize>) -> Option<usize> {
        let mut at = 0;
        for (i, l) in self.text.split_inclusive('\n').enumerate() {
            if at <= span.start && span.start < at + l.len().max(1) {
                return Some(i);
            }
            at += l.len();
        }
        None
    }

    /// The id (`T3`, `#1`) of the line a span starts in.
    pub(super) fn id_at(&self, span: &Range<usize>) -> Option<&str> {
        self.lines[self.line_at(span)?].split('\t').next()
    }
}

/// An entity's name, or its id when the site has none by that id.
pub(super) fn name_of(site: &Site, id: &str) -> String {
    site.entity_index
        .get(id)
        .map_or(id.to_string(), |&e| site.entities[e].src.name.clone())
}

/// A `T` line (offsets in code points of the `.txt`) and an `N` line naming
/// the site's entity, for each new mention.
pub(super) fn brat_mentions(
    site: &Site,
    root: &Path,
    ask: &Ask<'_>,
    txt: &Path,
    ann: &Ann,
    entity: &str,
    out: &mut Vec<String>,
) -> Result<(), Reply> {
    let view = ask.view;
    let cfg = brat::config(root, &mut Diagnostics::default(), &mut Sources::default());
    let txt_text = view.sources.get(txt).unwrap_or_default();
    let (_, _, map) = brat::body_and_map(txt_text);
    let kind = site
        .entity_index
        .get(entity)
        .map(|&e| site.entities[e].src.kind)
        .unwrap_or(EntityKind::Concept);
    let (mut t, mut n) = (ann.max_id('T'), ann.max_id('N'));
    for (e, start) in &ask.entries {
        let rs = view.text[..*start].chars().count();
        let len = e.selector.exact.chars().count();
        let from = map.iter().position(|m| *m == Some(rs));
        let to = map.iter().position(|m| *m == Some(rs + len - 1)).map(|i| i + 1);
        let (Some(from), Some(to)) = (from, to) else {
            return Err(Reply::refused("This text cannot be located in the .txt file."));
        };
        let found: String = txt_text.chars().skip(from).take(to - from).collect();
        t += 1;
        n += 1;
        out.push(format!("T{t}\t{} {from} {to}\t{found}", brat_type(kind, &cfg)));
        out.push(format!(
            "N{n}\tReference T{t} glossa:{entity}\t{}",
            name_of(site, entity)
        ));
    }
    Ok(())
}

/// Annotation `k` of a brat article changed (a mention's entity, a note's
/// text) or removed (a mention with every line naming it).
pub(super) fn brat_change(site: &Site, ask: &Ask<'_>, k: usize, ann: &Ann, out: &mut Vec<String>) -> Result<(), Reply> {
    let a = &ask.view.article.annotations[k];
    let Some(i) = ann.line_at(&a.exact_span) else {
        return Err(Reply::stale());
    };
    let id = ann.lines[i].split('\t').next().unwrap_or("").to_string();
    match (ask.op, &a.kind, ask.what.as_ref()) {
        (Op::Delete(_), Kind::Note { .. }, _) => {
            out.remove(i);
        }
        (Op::Delete(_), _, _) => {
            let noted = ann.lines.iter().any(|l| {
                l.starts_with('#')
                    && l.split('\t').nth(1).and_then(|r| r.split_whitespace().nth(1)) == Some(id.as_str())
            });
            if noted {
                return Err(Reply::refused(
                    "In a brat article this mention carries a note (the note hangs on its T line): delete the note first.",
                ));
            }
            let names_it = |l: &str| {
                l.split(['\t', ' '])
                    .any(|w| w == id || w.split(':').nth(1) == Some(id.as_str()))
            };
            *out = ann
                .lines
                .iter()
                .enumerate()
                .filter(|(j, l)| *j != i && !names_it(l))
                .map(|(_, l)| l.clone())
                .collect();
        }
        (_, Kind::Mention { .. }, Some(What::Mention { entity })) => {
            let name = name_of(site, entity);
            let norm = ann.lines.iter().position(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                f.first().is_some_and(|x| x.starts_with('N'))
                    && f.get(1)
                        .is_some_and(|r| r.split_whitespace().nth(1) == Some(id.as_str()))
            });
            let line = |nid: &str| format!("{nid}\tReference {id} glossa:{entity}\t{name}");
            match norm {
                Some(j) => out[j] = line(ann.lines[j].split('\t').next().unwrap_or("N1")),
                None => out.push(line(&format!("N{}", ann.max_id('N') + 1))),
            }
        }
        (_, Kind::Note { .. }, Some(What::Note { body })) => {
            let f: Vec<&str> = ann.lines[i].split('\t').collect();
            out[i] = format!(
                "{}\t{}\t{}",
                f[0],
                f.get(1).unwrap_or(&""),
                body.replace(['\t', '\n'], " ")
            );
        }
        _ => {
            return Err(Reply::refused(
                "In a brat article a mention stays a mention and a note a note.",
            ));
        }
    }
    Ok(())
}
