//! brat standoff articles: `content/articles/SLUG.txt` (plain text, one
//! paragraph per line) with `SLUG.ann` beside it, and optionally `SLUG.toml`
//! (front matter: `title`, `date`, … as for Markdown articles; without it
//! the title is the first line). Offsets in `.ann` are Unicode code points
//! of the `.txt` (brat's convention).
//!
//! - `T` lines (`T1<TAB>Type START END[;START END]<TAB>text`) become
//!   mentions; discontinuous spans become one mention per fragment. The
//!   entity is the one a normalisation names (`N1<TAB>Reference T1
//!   glossa:ID` for an entity of the site, `Wikidata:Q42` to record its
//!   Q-id), else one created per distinct (type, text), its kind from
//!   `content/brat.toml` (`[types] Person = "person"`) or from the type's
//!   usual name (Person, ORG, GPE, …).
//! - `#` lines (`#1<TAB>AnnotatorNotes T1<TAB>text`) become notes on T1.
//! - `R` lines (`R1<TAB>Type Arg1:T1 Arg2:T2`) become relations from T1's
//!   entity to T2's.
//! - Other lines (events, attributes) are skipped with a warning; lines that
//!   do not parse are errors at their line.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use super::annotations::{Annotation, Kind, Selector};
use super::{Entity, EntityKind, Relation};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::read_text;
use crate::text::{nfc, slugify};

/// `content/brat.toml`: brat entity types → glossa kinds.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BratConfig {
    #[serde(default)]
    pub types: BTreeMap<String, EntityKind>,
}

pub const CONFIG: &str = "content/brat.toml";

/// Reads `content/brat.toml` when there is one.
pub fn config(root: &Path, diags: &mut Diagnostics, sources: &mut Sources) -> BratConfig {
    let rel = Path::new(CONFIG);
    if !root.join(rel).is_file() {
        return BratConfig::default();
    }
    let Some(text) = read_text(root, rel, diags) else {
        return BratConfig::default();
    };
    sources.insert(rel, Arc::from(text.as_str()));
    match toml::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            diags.push(
                Diagnostic::error(rel, e.span(), e.message().trim().to_string())
                    .with_hint("brat.toml has one table: [types] BratType = \"person\" | \"organization\" | …"),
            );
            BratConfig::default()
        }
    }
}

fn kind_of(ty: &str, cfg: &BratConfig) -> EntityKind {
    if let Some(k) = cfg.types.get(ty) {
        return *k;
    }
    match ty.to_ascii_lowercase().as_str() {
        "person" | "per" | "people" => EntityKind::Person,
        "organization" | "organisation" | "org" | "company" => EntityKind::Organization,
        "location" | "loc" | "gpe" | "place" | "fac" | "facility" => EntityKind::Place,
        "product" => EntityKind::Product,
        "event" => EntityKind::Event,
        "work" | "work_of_art" => EntityKind::Work,
        _ => EntityKind::Concept,
    }
}

/// Escapes every ASCII punctuation character, so a line of plain text is a
/// Markdown paragraph that renders as exactly that text.
fn escape_markdown(line: &str) -> String {
    let mut s = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if c.is_ascii_punctuation() {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// The Markdown body for `txt` (a paragraph per non-blank line, white space
/// collapsed), the text it renders to, and, per code point of `txt`, its
/// code point in the rendered text (`None` for white space collapsed away).
pub fn body_and_map(txt: &str) -> (String, Vec<char>, Vec<Option<usize>>) {
    let mut body = String::new();
    let mut rendered: Vec<char> = Vec::new();
    let mut map = Vec::with_capacity(txt.len());
    let mut out_cp = 0usize; // code points of rendered text so far
    let mut first_paragraph = true;
    for line in txt.split('\n') {
        let chars: Vec<char> = line.chars().collect();
        let trimmed_start = chars.iter().position(|c| !c.is_whitespace());
        let Some(start) = trimmed_start else {
            map.extend(std::iter::repeat_n(None, chars.len() + 1));
            continue;
        };
        let end = chars.iter().rposition(|c| !c.is_whitespace()).map_or(0, |i| i + 1);
        if !first_paragraph {
            out_cp += 1; // the line break between paragraphs
            rendered.push('\n');
            body.push_str("\n\n");
        }
        first_paragraph = false;
        let mut para = String::new();
        let mut prev_space = false;
        for (i, &c) in chars.iter().enumerate() {
            if i < start || i >= end {
                map.push(None);
                continue;
            }
            if c.is_whitespace() {
                if prev_space {
                    map.push(None);
                } else {
                    map.push(Some(out_cp));
                    out_cp += 1;
                    para.push(' ');
                }
                prev_space = true;
            } else {
                map.push(Some(out_cp));
                out_cp += 1;
                para.push(c);
                prev_space = false;
            }
        }
        map.push(None); // the '\n' of the .txt
        rendered.extend(para.chars());
        body.push_str(&escape_markdown(&para));
    }
    (body, rendered, map)
}

/// What loading one brat pair gives.
pub struct Loaded {
    pub body: String,
    pub title_line: Option<String>,
    pub annotations: Vec<Annotation>,
    pub entities: Vec<Entity>,
}

/// A parsed `T` line.
struct Text {
    ty: String,
    spans: Vec<Range<usize>>,
    text: String,
    line: Range<usize>,
}

/// Reads `SLUG.txt` (its text given) and `SLUG.ann`.
pub fn load(
    root: &Path,
    txt_rel: &Path,
    txt: &str,
    cfg: &BratConfig,
    diags: &mut Diagnostics,
    sources: &mut Sources,
) -> Loaded {
    let ann_rel: PathBuf = txt_rel.with_extension("ann");
    let ann = if root.join(&ann_rel).is_file() {
        read_text(root, &ann_rel, diags).unwrap_or_default()
    } else {
        String::new()
    };
    parse(txt_rel, txt, &ann, cfg, diags, sources)
}

/// [`load`] with the `.ann` text given (the annotator checks a new one
/// before writing it).
pub fn parse(
    txt_rel: &Path,
    txt: &str,
    ann: &str,
    cfg: &BratConfig,
    diags: &mut Diagnostics,
    sources: &mut Sources,
) -> Loaded {
    let (body, rendered, map) = body_and_map(txt);
    let title_line = txt.lines().map(str::trim).find(|l| !l.is_empty()).map(String::from);
    let ann_rel: PathBuf = txt_rel.with_extension("ann");
    sources.insert(&ann_rel, Arc::from(ann));
    let txt_cps: Vec<char> = txt.chars().collect();
    let err = |line: &Range<usize>, msg: String, hint: &str| {
        Diagnostic::error(&ann_rel, Some(line.clone()), msg).with_hint(hint.to_string())
    };

    let mut texts: BTreeMap<String, Text> = BTreeMap::new();
    let mut norms: HashMap<String, (String, Range<usize>)> = HashMap::new();
    let mut notes: Vec<(String, String, Range<usize>)> = Vec::new();
    let mut rels: Vec<(String, String, String, Range<usize>)> = Vec::new();
    let mut at = 0;
    for line in ann.split_inclusive('\n') {
        let span = at..at + line.trim_end_matches('\n').len();
        at += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let id = fields[0];
        match id.chars().next() {
            Some('T') => {
                let (Some(mid), Some(text)) = (fields.get(1), fields.get(2)) else {
                    diags.push(err(
                        &span,
                        format!("`{id}` needs three tab-separated fields"),
                        "T1<TAB>Type START END<TAB>text",
                    ));
                    continue;
                };
                let mut parts = mid.splitn(2, ' ');
                let ty = parts.next().unwrap_or("").to_string();
                let mut spans = Vec::new();
                let mut ok = !ty.is_empty();
                for frag in parts.next().unwrap_or("").split(';') {
                    let nums: Vec<Option<usize>> = frag.split_whitespace().map(|n| n.parse().ok()).collect();
                    match nums.as_slice() {
                        [Some(s), Some(e)] if s < e && *e <= txt_cps.len() => spans.push(*s..*e),
                        _ => ok = false,
                    }
                }
                if !ok || spans.is_empty() {
                    diags.push(err(
                        &span,
                        format!("`{id}`: cannot read the type and offsets `{mid}`"),
                        "offsets are code points of the .txt: `Type 0 4` or, discontinuous, `Type 0 4;10 15`",
                    ));
                    continue;
                }
                let found: Vec<String> = spans.iter().map(|r| txt_cps[r.clone()].iter().collect()).collect();
                if found.join(" ") != *text {
                    diags.push(
                        Diagnostic::warning(
                            &ann_rel,
                            Some(span.clone()),
                            format!("`{id}` says «{text}» but the .txt has «{}» there", found.join(" ")),
                        )
                        .with_hint("the offsets win; check the .ann was made for this .txt"),
                    );
                }
                texts.insert(
                    id.to_string(),
                    Text {
                        ty,
                        spans,
                        text: nfc(&found.join(" ")).into_owned(),
                        line: span,
                    },
                );
            }
            Some('N') => {
                // N1<TAB>Reference T1 glossa:ID<TAB>name
                let refs: Vec<&str> = fields.get(1).map_or(Vec::new(), |f| f.split_whitespace().collect());
                match refs.as_slice() {
                    [_, target, norm] => {
                        norms.insert(target.to_string(), (norm.to_string(), span));
                    }
                    _ => diags.push(err(
                        &span,
                        format!("`{id}`: cannot read the normalisation"),
                        "N1<TAB>Reference T1 Wikidata:Q42<TAB>name",
                    )),
                }
            }
            Some('#') => {
                let refs: Vec<&str> = fields.get(1).map_or(Vec::new(), |f| f.split_whitespace().collect());
                match (refs.as_slice(), fields.get(2)) {
                    ([_, target], Some(text)) => notes.push((target.to_string(), nfc(text).into_owned(), span)),
                    _ => diags.push(err(
                        &span,
                        format!("`{id}`: cannot read the note"),
                        "#1<TAB>AnnotatorNotes T1<TAB>text",
                    )),
                }
            }
            Some('R') => {
                let parts: Vec<&str> = fields.get(1).map_or(Vec::new(), |f| f.split_whitespace().collect());
                let arg = |p: &str| p.split_once(':').map(|(_, t)| t.to_string());
                match parts.as_slice() {
                    [ty, a, b] if arg(a).is_some() && arg(b).is_some() => rels.push((
                        ty.to_string(),
                        arg(a).unwrap_or_default(),
                        arg(b).unwrap_or_default(),
                        span,
                    )),
                    _ => diags.push(err(
                        &span,
                        format!("`{id}`: cannot read the relation"),
                        "R1<TAB>Type Arg1:T1 Arg2:T2",
                    )),
                }
            }
            _ => diags.push(
                Diagnostic::warning(
                    &ann_rel,
                    Some(span),
                    format!("`{id}`: this kind of brat line is not used"),
                )
                .with_hint("glossa reads T (mentions), N (normalisations), # (notes) and R (relations)"),
            ),
        }
    }

    // entity per text-bound annotation
    let mut entities: BTreeMap<String, Entity> = BTreeMap::new();
    let mut entity_of: HashMap<String, String> = HashMap::new();
    let mut by_type_text: HashMap<(String, String), String> = HashMap::new();
    for (tid, t) in &texts {
        let norm = norms.get(tid);
        let site_id = norm.and_then(|(n, _)| n.strip_prefix("glossa:")).map(String::from);
        let id = match site_id {
            Some(id) => id,
            None => by_type_text
                .entry((t.ty.clone(), t.text.clone()))
                .or_insert_with(|| {
                    let base = slugify(&t.text);
                    let taken = entities.get(&base).is_some_and(|e| e.kind != kind_of(&t.ty, cfg));
                    if taken {
                        slugify(&format!("{} {}", t.text, t.ty))
                    } else {
                        base
                    }
                })
                .clone(),
        };
        if id.is_empty() {
            diags.push(err(
                &t.line,
                format!("`{tid}`: «{}» gives no entity id", t.text),
                "annotate letters or digits",
            ));
            continue;
        }
        let wikidata = norm
            .and_then(|(n, _)| n.strip_prefix("Wikidata:").or_else(|| n.strip_prefix("wikidata:")))
            .map(String::from);
        if norm.is_none_or(|(n, _)| !n.starts_with("glossa:")) {
            let e = entities.entry(id.clone()).or_insert_with(|| Entity {
                id: id.clone(),
                path: ann_rel.clone(),
                name: t.text.clone(),
                kind: kind_of(&t.ty, cfg),
                aliases: Vec::new(),
                wikidata: None,
                url: None,
                image: None,
                relations: Vec::new(),
                front_span: t.line.clone(),
                autolink: true,
                case_insensitive: false,
                description: String::new(),
                description_offset: 0,
            });
            if e.wikidata.is_none() {
                e.wikidata = wikidata;
            }
        }
        entity_of.insert(tid.clone(), id);
    }
    for (ty, a, b, line) in &rels {
        match (entity_of.get(a), entity_of.get(b)) {
            (Some(from), Some(to)) => {
                let rel = Relation {
                    kind: ty.to_lowercase(),
                    target: to.clone(),
                };
                match entities.get_mut(from) {
                    Some(e) => e.relations.push(rel),
                    // a site entity: the relation is recorded on a stub the
                    // loader merges into it
                    None => entities
                        .entry(from.clone())
                        .or_insert_with(|| stub(from, &ann_rel, line))
                        .relations
                        .push(rel),
                }
            }
            _ => diags.push(err(
                line,
                format!("a relation argument is not a T line here ({a}, {b})"),
                "R lines name T ids of this file",
            )),
        }
    }

    // annotations: a mention per fragment, notes on their T's first fragment
    let to_rendered = |r: &Range<usize>| -> Option<(usize, String)> {
        let start = map.get(r.start..r.end)?.iter().flatten().next().copied()?;
        let end = map.get(r.start..r.end)?.iter().flatten().last().copied()? + 1;
        Some((start, rendered[start..end].iter().collect()))
    };
    let mut annotations = Vec::new();
    let selector = |exact: String| Selector {
        exact,
        prefix: None,
        suffix: None,
        nth: None,
        all: false,
    };
    for (tid, t) in &texts {
        let Some(id) = entity_of.get(tid) else { continue };
        for r in &t.spans {
            let Some((start, exact)) = to_rendered(r) else { continue };
            annotations.push(Annotation {
                kind: Kind::Mention {
                    entity: Spanned::new(t.line.clone(), id.clone()),
                },
                selector: selector(exact),
                exact_span: t.line.clone(),
                nth_span: None,
                position: Some(start),
            });
        }
    }
    for (target, text, line) in notes {
        let Some(t) = texts.get(&target) else {
            diags.push(err(
                &line,
                format!("the note is on `{target}`, which is not a T line here"),
                "#1<TAB>AnnotatorNotes T1<TAB>text",
            ));
            continue;
        };
        let Some((start, exact)) = t.spans.first().and_then(&to_rendered) else {
            continue;
        };
        annotations.push(Annotation {
            kind: Kind::Note { body: text },
            selector: selector(exact),
            exact_span: line,
            nth_span: None,
            position: Some(start),
        });
    }
    Loaded {
        body,
        title_line,
        annotations,
        entities: entities.into_values().collect(),
    }
}

/// A placeholder carrying relations for an entity defined elsewhere.
fn stub(id: &str, path: &Path, line: &Range<usize>) -> Entity {
    Entity {
        id: id.to_string(),
        path: path.to_path_buf(),
        name: String::new(),
        kind: EntityKind::Concept,
        aliases: Vec::new(),
        wikidata: None,
        url: None,
        image: None,
        relations: Vec::new(),
        front_span: line.clone(),
        autolink: false,
        case_insensitive: false,
        description: String::new(),
        description_offset: 0,
    }
}
