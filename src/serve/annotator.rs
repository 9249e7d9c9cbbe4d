//! The annotator's work, run by the rebuild loop between two rebuilds (see
//! [`super::Job`]), with the kept site graph: an article as the annotate
//! page sees it (its rendered text, its annotations anchored, what
//! `glossa suggest` reports for it), a selection checked, and a change —
//! an annotation added, changed or removed, an entity created — planned,
//! anchored in memory with the real anchoring, and only then written
//! (atomically, under `content/` only, never through a symlink) and rebuilt
//! at once. Each change can be undone: the files' previous bytes are kept.
//!
//! Offsets in requests and replies are UTF-16 code units of the rendered
//! text (what JavaScript strings count), converted here.
//!
//! Nothing is written when the files changed since the page read them (the
//! `version`, a hash of every file the article is made of), when the new
//! file would not resolve to the selected text, or when it would break
//! another annotation; the reason comes back, with `check`'s diagnostics
//! where there are some.
//!
//! On top of the pipeline: the preview server.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use toml::Spanned;

use super::{Event, Rebuilder};
use crate::anchor::article::{Anchored, ArticleFiles, Explicit, ExplicitNode, LinkTargets, anchor_article};
use crate::anchor::choose::{self, Unselectable};
use crate::anchor::markdown::{self, Document};
use crate::anchor::selector::{self, Failure, Occurrences};
use crate::commands::annotation_file::{self, Entry, What};
use crate::commands::suggest::Suggester;
use crate::content::{self, Annotation, Article, EntityKind, Kind, Selector, brat, jsonld};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::site::Site;
use crate::text::{collapse_ws, fold, slugify};
use crate::urls::Urls;

/// A reply: an HTTP status and its JSON.
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    fn ok(mut body: Value) -> Reply {
        body["ok"] = json!(true);
        Reply { status: 200, body }
    }

    /// Refused: nothing was written; `reason` says why, for the author.
    fn refused(reason: impl Into<String>) -> Reply {
        Reply {
            status: 422,
            body: json!({ "ok": false, "reason": reason.into() }),
        }
    }

    fn with(mut self, key: &str, value: Value) -> Reply {
        self.body[key] = value;
        self
    }

    /// The files changed since the page read them.
    fn stale() -> Reply {
        Reply {
            status: 409,
            body: json!({
                "ok": false,
                "stale": true,
                "reason": "The article or its annotations changed on disk since this page was loaded \
                           (saved in your editor?). Nothing was written; the page reloads with the files as they are now.",
            }),
        }
    }
}

/// What the annotator keeps between requests: the changes that can be
/// undone (per article) and what suggestions are made from.
#[derive(Default)]
pub struct Annotator {
    undo: HashMap<String, Vec<Change>>,
    suggester: Option<(u64, Suggester)>,
}

/// One change as written: each file's bytes before (`None`: it did not
/// exist) and the hash of the bytes written.
struct Change {
    files: Vec<(PathBuf, Option<Vec<u8>>, u64)>,
}

/// How many changes per article are kept for undo.
const UNDO_DEPTH: usize = 50;

/// Where an article's annotations are kept.
#[derive(Debug, Clone)]
enum Format {
    /// `SLUG.annotations.toml` (it may not exist yet).
    Toml(PathBuf),
    Jsonld(PathBuf),
    /// `SLUG.txt` with `SLUG.ann`.
    Brat {
        txt: PathBuf,
        ann: PathBuf,
    },
}

impl Format {
    fn name(&self) -> &'static str {
        match self {
            Format::Toml(_) => "toml",
            Format::Jsonld(_) => "jsonld",
            Format::Brat { .. } => "brat",
        }
    }

    /// The annotation file.
    fn file(&self) -> &Path {
        match self {
            Format::Toml(p) | Format::Jsonld(p) => p,
            Format::Brat { ann, .. } => ann,
        }
    }
}

/// UTF-16 offsets ↔ byte offsets of one text.
struct Utf16 {
    /// (UTF-16 offset, byte offset) at every character start, and the end.
    marks: Vec<(usize, usize)>,
}

impl Utf16 {
    fn new(text: &str) -> Utf16 {
        let mut marks = Vec::with_capacity(text.len() + 1);
        let mut u = 0;
        for (b, c) in text.char_indices() {
            marks.push((u, b));
            u += c.len_utf16();
        }
        marks.push((u, text.len()));
        Utf16 { marks }
    }

    fn to_byte(&self, u: usize) -> Option<usize> {
        let i = self.marks.binary_search_by_key(&u, |m| m.0).ok()?;
        Some(self.marks[i].1)
    }

    fn to_u16(&self, b: usize) -> usize {
        let i = self.marks.partition_point(|m| m.1 < b);
        self.marks.get(i).map_or(0, |m| m.0)
    }

    fn range(&self, r: &Range<usize>) -> [usize; 2] {
        [self.to_u16(r.start), self.to_u16(r.end)]
    }
}

/// An article as the annotator sees it: fresh from disk.
struct View {
    ai: usize,
    article: Article,
    format: Format,
    version: String,
    text: String,
    code: Vec<Range<usize>>,
    sources: Sources,
    /// Whether its annotation file has errors (then its annotations cannot
    /// be told apart for editing: some were left out).
    file_errors: bool,
    /// Per annotation of `article`: the ranges it anchors to now.
    ranges: Vec<Vec<Range<usize>>>,
    utf16: Utf16,
}

/// Every file an article is made of, relative to the root.
fn reads(format: &Format, md: &Path) -> Vec<PathBuf> {
    match format {
        Format::Brat { txt, ann } => vec![txt.clone(), ann.clone(), txt.with_extension("toml")],
        _ => {
            let stem = md
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            vec![
                md.to_path_buf(),
                md.with_file_name(format!("{stem}.annotations.toml")),
                md.with_file_name(format!("{stem}.annotations.jsonld")),
            ]
        }
    }
}

/// A hash of the bytes (or absence) of `files`.
fn version(root: &Path, files: &[PathBuf]) -> String {
    let mut all = Vec::new();
    for f in files {
        all.extend_from_slice(f.to_string_lossy().as_bytes());
        match std::fs::read(root.join(f)) {
            Ok(b) => {
                all.push(1);
                all.extend_from_slice(&(b.len() as u64).to_le_bytes());
                all.extend(b);
            }
            Err(_) => all.push(0),
        }
    }
    format!("{:016x}", crate::files::hash(&all))
}

/// The ranges an annotation anchors to, as anchoring finds them (a
/// TextPositionSelector first, then the quote selector, then re-anchoring
/// an edited passage); none when it does not anchor.
fn ranges_of(ann: &Annotation, text: &str, code: &[Range<usize>], cache: &mut Occurrences) -> Vec<Range<usize>> {
    if let Some(at) = ann.position.and_then(|cp| jsonld::byte_offset(text, cp)) {
        let exact = collapse_ws(&ann.selector.exact);
        let r = at..at + exact.len();
        if text[at..].starts_with(&exact) && !code.iter().any(|c| c.start < r.end && r.start < c.end) {
            return vec![r];
        }
    }
    match selector::anchor_cached(text, code, &ann.selector, cache) {
        Ok(r) => r,
        Err(Failure::NotFound { .. }) => selector::reanchor(text, &ann.selector)
            .map(|r| vec![r.range])
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

impl View {
    fn load(site: &Site, root: &Path, slug: &str) -> Result<View, Reply> {
        let Some(ai) = site.articles.iter().position(|a| a.src.slug == slug) else {
            return Err(Reply::refused(format!(
                "There is no article `{slug}` in the site (as last built)."
            )));
        };
        let src = &site.articles[ai].src;
        let md = src.path.clone();
        let format = if md.extension().is_some_and(|e| e == "txt") {
            Format::Brat {
                txt: md.clone(),
                ann: md.with_extension("ann"),
            }
        } else {
            match &src.annotations_path {
                Some(p) if p.extension().is_some_and(|e| e == "jsonld") => Format::Jsonld(p.clone()),
                Some(p) => Format::Toml(p.clone()),
                None => {
                    let stem = md
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    Format::Toml(md.with_file_name(format!("{stem}.annotations.toml")))
                }
            }
        };
        let version = version(root, &reads(&format, &md));
        let (article, diags, sources) = match &format {
            Format::Brat { txt, .. } => {
                let (mut d, mut s) = (Diagnostics::default(), Sources::default());
                let text = crate::files::read_text(root, txt, &mut d);
                let cfg = brat::config(root, &mut d, &mut s);
                let mut a = src.clone();
                if let Some(text) = text {
                    s.insert(txt, Arc::from(text.as_str()));
                    let loaded = brat::load(root, txt, &text, &cfg, &mut d, &mut s);
                    a.body = loaded.body.into();
                    a.annotations = loaded.annotations;
                }
                (Some(a), d, s)
            }
            _ => content::load_article_file(root, &md),
        };
        let Some(article) = article else {
            return Err(Reply::refused(format!(
                "The article does not load; fix it first:\n{}",
                diags.render(&sources, false)
            )));
        };
        let file_errors = diags.iter().any(|d| d.is_error() && d.file == format.file());
        let doc = Document::parse(&article.body);
        let text = doc.text.text.clone();
        let code = doc.text.code.clone();
        drop(doc);
        let mut cache = Occurrences::default();
        let ranges = article
            .annotations
            .iter()
            .map(|a| ranges_of(a, &text, &code, &mut cache))
            .collect();
        Ok(View {
            ai,
            utf16: Utf16::new(&text),
            article,
            format,
            version,
            text,
            code,
            sources,
            file_errors,
            ranges,
        })
    }

    /// The place of annotation `k` among those of its kind, in file order.
    fn kind_index(&self, k: usize) -> usize {
        let kind = self.article.annotations[k].kind.name();
        self.article.annotations[..k]
            .iter()
            .filter(|a| a.kind.name() == kind)
            .count()
    }

    /// A selection (UTF-16 offsets) as a byte range of the text, when the
    /// text there is `expected`.
    fn span(&self, start: usize, end: usize, expected: Option<&str>) -> Option<Range<usize>> {
        let r = self.utf16.to_byte(start)?..self.utf16.to_byte(end)?;
        if r.start > r.end || expected.is_some_and(|e| self.text[r.clone()] != *e) {
            return None;
        }
        Some(r)
    }
}

/// What an annotation is, for the author: "the mention of Huawei".
fn describe(ann: &Annotation, site: &Site) -> String {
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
fn check_selection(view: &View, site: &Site, r: &Range<usize>) -> Result<(), String> {
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

fn unselectable(u: Unselectable) -> String {
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

/// A new entity asked for with a mention or a quote.
#[derive(Debug, Clone, Deserialize)]
pub struct NewEntity {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
}

/// What an annotation says, as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct WhatReq {
    pub kind: String,
    #[serde(default)]
    pub entity: Option<String>,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub new_entity: Option<NewEntity>,
}

/// A change, as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct ApplyReq {
    pub slug: String,
    pub version: String,
    /// `add`, `edit` or `delete`.
    pub op: String,
    /// The annotation edited or deleted (its place in the state's list).
    #[serde(default)]
    pub index: Option<usize>,
    /// The selection: UTF-16 offsets into the rendered text, and the text
    /// the page saw there.
    #[serde(default)]
    pub start: Option<usize>,
    #[serde(default)]
    pub end: Option<usize>,
    #[serde(default)]
    pub text: Option<String>,
    /// Several spans of the same text at once (a suggestion accepted for
    /// every occurrence of its name).
    #[serde(default)]
    pub ranges: Option<Vec<[usize; 2]>>,
    /// Every occurrence (`all = true`).
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub what: Option<WhatReq>,
}

/// A selection to check, as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct SelectReq {
    pub slug: String,
    pub version: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The site graph, or the reason there is none.
fn site_of<'a>(rb: &'a Rebuilder<'_>) -> Result<&'a Site, Reply> {
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
        let suggestions = self.suggestions(site, &view);
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
        Reply::ok(json!({ "page_changed": page, "undo": left }))
    }

    /// Writes a checked plan, rebuilds, and keeps it for undo; when the
    /// rebuild fails all the same (a problem across articles), the files are
    /// put back and the diagnostics returned.
    fn write_and_rebuild(&mut self, rb: &mut Rebuilder<'_>, root: &Path, slug: &str, plan: Plan) -> Reply {
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
            "undo": undo,
            "version": version,
            "written": changed.iter().map(|p| p.to_string_lossy().replace('\\', "/")).collect::<Vec<_>>(),
            "summary": plan.summary,
        }))
    }

    /// What `glossa suggest` reports for the article, with where each
    /// suggestion is in the text: names that are not mentions, quoted
    /// passages that are not quotes (with the likely speaker).
    fn suggestions(&mut self, site: &Site, view: &View) -> Vec<Value> {
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
        if self.suggester.as_ref().is_none_or(|(k, _)| *k != key) {
            self.suggester = Some((key, Suggester::new(site)));
        }
        let Some((_, suggester)) = &self.suggester else {
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
}

fn selector_json(s: &Selector) -> Value {
    json!({ "exact": s.exact, "prefix": s.prefix, "suffix": s.suffix, "nth": s.nth, "all": s.all })
}

/// Whether a rebuild rewrote the article's page.
fn page_changed(event: &Event, slug: &str) -> bool {
    let page = format!("articles/{slug}/index.html");
    matches!(event, Event::Reload { changed } if changed.contains(&page))
}

/// A change checked and ready: each file's new text (and whether it must
/// not exist yet), and what it does, for the terminal.
struct Plan {
    writes: Vec<(PathBuf, String, bool)>,
    summary: String,
}

/// A new entity: its id, its file (relative to the root) and the file's text.
type Created = (String, PathBuf, String);

/// The new entity's id and file, checked as `check` checks ids.
fn new_entity(site: &Site, root: &Path, e: &NewEntity) -> Result<Created, Reply> {
    let name = crate::text::nfc(e.name.trim()).into_owned();
    if name.is_empty() {
        return Err(Reply::refused("Give the new entity a name."));
    }
    let Some(kind) = EntityKind::ALL.iter().find(|k| k.as_str() == e.kind) else {
        return Err(Reply::refused(format!("`{}` is not a kind of entity.", e.kind)));
    };
    let id = match e.id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(id) => id.to_string(),
        None => slugify(&name),
    };
    if id.is_empty() || slugify(&id) != id {
        return Err(Reply::refused(format!(
            "The entity id `{id}` is not a URL slug; use lowercase ASCII letters, digits and hyphens, e.g. `{}`.",
            slugify(&name)
        )));
    }
    if content::is_reserved_name(&id) {
        return Err(Reply::refused(format!(
            "`{id}` is a reserved file name on some systems; choose another id."
        )));
    }
    let rel = PathBuf::from(format!("content/entities/{id}.md"));
    if let Some(&i) = site.entity_index.get(&id) {
        return Err(Reply::refused(format!(
            "An entity with the id `{id}` exists already ({}); pick it from the list, or give the new one another id.",
            site.entities[i].src.name
        )));
    }
    if root.join(&rel).symlink_metadata().is_ok() {
        return Err(Reply::refused(format!(
            "{} exists already; it is never overwritten.",
            rel.display()
        )));
    }
    let text = format!(
        "+++\nname = {}\nkind = \"{}\"\n+++\n",
        annotation_file_string(&name),
        kind.as_str()
    );
    Ok((id, rel, text))
}

fn annotation_file_string(s: &str) -> String {
    crate::commands::fix::toml_string(s)
}

/// The diagnostic for a note body with raw HTML (shown as text, never as
/// HTML: almost always not what the author meant).
fn raw_html_diag(body: &str, file: &Path) -> Option<Diagnostic> {
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

/// What the request asks to say, checked, with the entity it creates.
fn what_of(site: &Site, root: &Path, req: &WhatReq, file: &Path) -> Result<(What, Option<Created>), Reply> {
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

/// `what` as the annotation anchoring reads.
fn annotation(what: &What, selector: Selector, position: Option<usize>) -> Annotation {
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

fn what_kind(e: &Explicit) -> &'static str {
    match e {
        Explicit::Mention(_) => "mention",
        Explicit::Quote { .. } => "quote",
        Explicit::Note(_) => "note",
        Explicit::Link(_) => "link",
    }
}

/// What a change does to the annotation file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    /// Annotation `k` (in the file's order) gets new fields.
    Edit(usize),
    Delete(usize),
}

/// A request taken apart and checked: what it says, on which spans, with
/// which selectors.
struct Ask<'v> {
    view: &'v View,
    op: Op,
    what: Option<What>,
    /// A new entity to create with it.
    created: Option<Created>,
    /// The spans of rendered text it is about (the selection, or the
    /// spans of the annotation changed).
    targets: Vec<Range<usize>>,
    /// Adding: each new annotation, with where its (first) span starts.
    entries: Vec<(Entry, usize)>,
    all: bool,
}

impl<'v> Ask<'v> {
    fn new(site: &Site, root: &Path, view: &'v View, req: &ApplyReq) -> Result<Ask<'v>, Reply> {
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
    fn choose_selectors(&self, several: bool) -> Result<Vec<(Entry, usize)>, Reply> {
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
    fn summary(&self) -> String {
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

/// The selected spans of an `add` (byte ranges), each checked.
fn selected(site: &Site, view: &View, req: &ApplyReq) -> Result<Vec<Range<usize>>, Reply> {
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

/// The change planned (see the module docs): the request checked, the new
/// annotation file made, and both anchored in memory and compared.
fn plan(site: &Site, root: &Path, req: &ApplyReq) -> Result<Plan, Reply> {
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

/// The annotation file with the change, in its format.
fn new_file_text(site: &Site, root: &Path, ask: &Ask<'_>) -> Result<String, Reply> {
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

/// Anchors the article with its old annotation file and with `new_text`,
/// in memory: refused when the new one has an error the old one did not,
/// or when its annotations are not the old ones with exactly the change.
fn verify(site: &Site, root: &Path, ask: &Ask<'_>, new_text: &str) -> Result<(), Reply> {
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
fn new_errors(old: &Anchored, diags: &Diagnostics) -> Vec<Diagnostic> {
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
fn anchored(
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
fn check_outcome(ask: &Ask<'_>, old: &Anchored, new: &Anchored) -> Result<(), Reply> {
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

/// The JSON-LD file for `article`'s annotations, in `glossa export`'s
/// format (a collection of this article's annotations).
fn jsonld_file(site: &Site, view: &View, article: &Article, created: Option<&Created>) -> Result<String, Reply> {
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

/// The brat type a kind is written as.
fn brat_type(kind: EntityKind, cfg: &brat::BratConfig) -> String {
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
fn brat_ann(site: &Site, root: &Path, ask: &Ask<'_>, txt: &Path) -> Result<String, Reply> {
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
struct Ann {
    text: String,
    lines: Vec<String>,
}

impl Ann {
    fn read(root: &Path, rel: &Path) -> Ann {
        let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
        let lines = text.lines().map(str::to_string).collect();
        Ann { text, lines }
    }

    /// The largest number of the ids starting with `prefix` (`T`, `N`, `#`).
    fn max_id(&self, prefix: char) -> usize {
        self.lines
            .iter()
            .filter_map(|l| l.split('\t').next()?.strip_prefix(prefix)?.parse::<usize>().ok())
            .max()
            .unwrap_or(0)
    }

    /// The line a byte span of the file starts in.
    fn line_at(&self, span: &Range<usize>) -> Option<usize> {
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
    fn id_at(&self, span: &Range<usize>) -> Option<&str> {
        self.lines[self.line_at(span)?].split('\t').next()
    }
}

/// An entity's name, or its id when the site has none by that id.
fn name_of(site: &Site, id: &str) -> String {
    site.entity_index
        .get(id)
        .map_or(id.to_string(), |&e| site.entities[e].src.name.clone())
}

/// A `T` line (offsets in code points of the `.txt`) and an `N` line naming
/// the site's entity, for each new mention.
fn brat_mentions(
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
fn brat_change(site: &Site, ask: &Ask<'_>, k: usize, ann: &Ann, out: &mut Vec<String>) -> Result<(), Reply> {
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

/// Whether `rel` is a plain path under `content/` whose folders and file,
/// as far as they exist, are no symlinks.
fn confined(root: &Path, rel: &Path) -> Result<(), String> {
    let mut comps = rel.components();
    if comps.next() != Some(Component::Normal("content".as_ref())) {
        return Err("only files under content/ are written".into());
    }
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err("not a plain path under content/".into());
    }
    let mut at = root.to_path_buf();
    for c in rel.components() {
        at.push(c);
        match at.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link, which is never written through",
                    at.display()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A temporary name beside `path` (hidden and `.tmp`: the watcher ignores it).
fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.glossa.tmp", std::process::id()))
}

/// Writes `bytes` to `root/rel` atomically (a temporary file renamed over
/// it).
fn write_atomic(root: &Path, rel: &Path, bytes: &[u8]) -> Result<(), String> {
    confined(root, rel)?;
    let path = root.join(rel);
    let tmp = temp_beside(&path);
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        e.to_string()
    })
}

/// Creates `root/rel` with `bytes`, atomically, failing if it exists.
fn create_new(root: &Path, rel: &Path, bytes: &[u8]) -> Result<(), String> {
    confined(root, rel)?;
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        confined(root, rel)?;
    }
    let tmp = temp_beside(&path);
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    // a hard link fails when the name is taken: never an overwrite
    let linked = std::fs::hard_link(&tmp, &path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!("{} exists already", rel.display()),
        _ => e.to_string(),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

fn remove_file(root: &Path, rel: &Path) -> Result<(), String> {
    confined(root, rel)?;
    match std::fs::remove_file(root.join(rel)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Puts files back as they were before a change.
fn restore(root: &Path, done: &[(PathBuf, Option<Vec<u8>>, u64)]) {
    for (rel, before, _) in done.iter().rev() {
        let _ = match before {
            Some(b) => write_atomic(root, rel, b),
            None => remove_file(root, rel),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_map_to_bytes_and_back() {
        let t = "Hà Nội 😀 x";
        let u = Utf16::new(t);
        let emoji = t.find('😀').unwrap();
        let at = t[..emoji].encode_utf16().count();
        assert_eq!(u.to_byte(at), Some(emoji));
        assert_eq!(u.to_byte(at + 1), None, "inside a surrogate pair");
        assert_eq!(u.to_byte(at + 2), Some(emoji + 4));
        assert_eq!(u.to_u16(t.len()), t.encode_utf16().count());
        assert_eq!(u.range(&(0..t.len())), [0, t.encode_utf16().count()]);
    }

    #[test]
    fn only_plain_paths_under_content_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("content/articles")).unwrap();
        assert!(confined(root, Path::new("content/articles/a.annotations.toml")).is_ok());
        for bad in ["content/../x", "static/a.css", "/etc/passwd", "glossa.toml"] {
            assert!(confined(root, Path::new(bad)).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("x.toml"), "keep").unwrap();
            std::os::unix::fs::symlink(
                outside.path().join("x.toml"),
                root.join("content/articles/l.annotations.toml"),
            )
            .unwrap();
            std::os::unix::fs::symlink(outside.path(), root.join("content/linked")).unwrap();
            assert!(write_atomic(root, Path::new("content/articles/l.annotations.toml"), b"x").is_err());
            assert!(create_new(root, Path::new("content/linked/e.md"), b"x").is_err());
            assert_eq!(std::fs::read_to_string(outside.path().join("x.toml")).unwrap(), "keep");
            assert!(!outside.path().join("e.md").exists());
        }
        assert!(create_new(root, Path::new("content/entities/n.md"), b"1").is_ok());
        assert!(create_new(root, Path::new("content/entities/n.md"), b"2").is_err());
        assert_eq!(std::fs::read(root.join("content/entities/n.md")).unwrap(), b"1");
    }
}
