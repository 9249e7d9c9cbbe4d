//! brat standoff articles: `content/articles/SLUG.txt` (plain text, one
//! paragraph per line) with `SLUG.ann` beside it, and optionally `SLUG.toml`
//! (front matter: `title`, `date`, … as for Markdown articles; without a
//! title the first line is one, without a date the article is undated).
//! `content/brat.toml`'s `[defaults]` give front matter to every brat
//! article, key by key under its `SLUG.toml` (`front`). Offsets in
//! `.ann` are Unicode code points of the `.txt` (brat's convention).
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
//!
//! Stage 1 of the pipeline: content (load and normalise).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::annotations::{Annotation, Kind, Selector};
use super::{ArticleFront, Entity, EntityKind, Relation};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::read_text;
use crate::schema;
use crate::text::{nfc, slugify};

/// `content/brat.toml`: brat entity types → glossa kinds (`[types]`), and
/// the front matter every brat article gets unless its `SLUG.toml` says
/// otherwise (`[defaults]`).
#[derive(Debug, Default, Clone)]
pub struct BratConfig {
    pub types: BTreeMap<String, EntityKind>,
    /// The `[defaults]` table as written (its keys are [`DEFAULT_KEYS`],
    /// its values checked).
    pub defaults: toml::Table,
}

/// What `content/brat.toml` holds, as read.
#[derive(serde::Deserialize)]
struct RawConfig {
    #[serde(default)]
    types: BTreeMap<String, EntityKind>,
    /// Checked here (types, the date); kept as a table to merge.
    defaults: Option<ArticleFront>,
}

pub const CONFIG: &str = "content/brat.toml";

/// The front matter keys `[defaults]` may give: those that make sense for a
/// whole corpus (not its documents' titles or descriptions).
pub const DEFAULT_KEYS: &[&str] = &[
    "date",
    "authors",
    "source",
    "source_url",
    "via",
    "lang",
    "tags",
    "draft",
    "autolink",
];

fn config_keys_at(path: &[&str]) -> Option<&'static [&'static str]> {
    match path {
        [] => Some(&["types", "defaults"]),
        ["defaults"] => Some(DEFAULT_KEYS),
        _ => None,
    }
}

/// Reads `content/brat.toml` when there is one; a problem in it is an error
/// at its line, and its tables then count as empty.
pub fn config(root: &Path, diags: &mut Diagnostics, sources: &mut Sources) -> BratConfig {
    let rel = Path::new(CONFIG);
    if !root.join(rel).is_file() {
        return BratConfig::default();
    }
    let Some(text) = read_text(root, rel, diags) else {
        return BratConfig::default();
    };
    sources.insert(rel, Arc::from(text.as_str()));
    let before = diags.error_count();
    let document = schema::parse(&text, 0, rel, config_keys_at, diags);
    let Some(document) = document.filter(|_| diags.error_count() == before) else {
        return BratConfig::default();
    };
    let raw = match RawConfig::deserialize(document) {
        Ok(c) => c,
        Err(e) => {
            diags.push(
                Diagnostic::error(rel, e.span(), e.message().trim().to_string()).with_hint(
                    "brat.toml has two tables: [types] BratType = \"person\" | \"organization\" | …, and [defaults] with front matter keys (date, tags, lang, …)",
                ),
            );
            return BratConfig::default();
        }
    };
    if let Some(date) = raw.defaults.as_ref().and_then(|d| d.date.as_deref())
        && !super::is_valid_date(date)
    {
        let at = text.find(date).map(|i| i..i + date.len());
        diags.push(super::bad_date(rel, at, date));
        return BratConfig::default();
    }
    let mut table: toml::Table = toml::from_str(&text).unwrap_or_default();
    let defaults = match table.remove("defaults") {
        Some(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    BratConfig {
        types: raw.types,
        defaults,
    }
}

/// A brat article's front matter: its `SLUG.toml` (`front_rel`; checked
/// like a Markdown article's) over `brat.toml`'s `[defaults]`, key by key.
/// `None` after reporting a problem.
pub(super) fn front(
    root: &Path,
    front_rel: &Path,
    cfg: &BratConfig,
    diags: &mut Diagnostics,
    sources: &mut Sources,
) -> Option<ArticleFront> {
    let mut table = toml::Table::new();
    if root.join(front_rel).is_file() {
        let text = read_text(root, front_rel, diags)?;
        sources.insert(front_rel, Arc::from(text.as_str()));
        let before = diags.error_count();
        let keys = |p: &[&str]| if p.is_empty() { Some(super::ARTICLE_KEYS) } else { None };
        let document = schema::parse(&text, 0, front_rel, keys, diags);
        let document = document.filter(|_| diags.error_count() == before)?;
        // (read as the struct first: its errors have spans)
        let f = match ArticleFront::deserialize(document) {
            Ok(f) => f,
            Err(e) => {
                diags.push(
                    Diagnostic::error(front_rel, e.span(), e.message().trim().to_string())
                        .with_hint("the front matter of a brat article: title, date, description, tags, …"),
                );
                return None;
            }
        };
        if let Some(date) = f.date.as_deref().filter(|d| !super::is_valid_date(d)) {
            let at = text.find(date).map(|i| i..i + date.len());
            diags.push(super::bad_date(front_rel, at, date));
            return None;
        }
        table = toml::from_str(&text).unwrap_or_default();
    }
    for (k, v) in &cfg.defaults {
        table.entry(k.clone()).or_insert_with(|| v.clone());
    }
    match toml::Value::Table(table).try_into() {
        Ok(f) => Some(f),
        Err(e) => {
            diags.push(Diagnostic::error(front_rel, None, e.message().trim().to_string()));
            None
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

/// The lines of a `.ann` file glossa reads, by kind; each keeps its span.
#[derive(Default)]
struct Lines {
    /// `T` lines by id.
    texts: BTreeMap<String, Text>,
    /// `N` lines: T id → (normalisation, line).
    norms: HashMap<String, (String, Range<usize>)>,
    /// `#` lines: (T id, note, line).
    notes: Vec<(String, String, Range<usize>)>,
    /// `R` lines: (type, from T id, to T id, line).
    rels: Vec<(String, String, String, Range<usize>)>,
}

/// An error at a line of the `.ann`, with the line's format as hint.
fn line_error(ann: &Path, line: &Range<usize>, msg: String, hint: &str) -> Diagnostic {
    Diagnostic::error(ann, Some(line.clone()), msg).with_hint(hint.to_string())
}

/// Reads `SLUG.txt` (its text given) and `SLUG.ann`, in four steps: the
/// `.ann`'s lines (`parse_lines`), an entity per text-bound annotation
/// (`entities_of`), the relations between them (`add_relations`), and
/// the mentions and notes on the rendered text (`annotations_of`).
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
    let title_line = txt.lines().map(str::trim).find(|l| !l.is_empty()).map(String::from);
    let ann_rel: PathBuf = txt_rel.with_extension("ann");
    sources.insert(&ann_rel, Arc::from(ann));
    let txt_cps: Vec<char> = txt.chars().collect();
    let lines = parse_lines(ann, &txt_cps, &ann_rel, diags);
    let (mut entities, entity_of) = entities_of(&lines, cfg, &ann_rel, diags);
    add_relations(&lines.rels, &entity_of, &mut entities, &ann_rel, diags);
    let (body, annotations) = annotations_of(txt, lines, &entity_of, &ann_rel, diags);
    Loaded {
        body,
        title_line,
        annotations,
        entities: entities.into_values().collect(),
    }
}

/// Every line of the `.ann` (`txt`: the `.txt`'s code points), read by its
/// first letter; a line that does not parse is an error at it, a kind
/// glossa does not use a warning.
fn parse_lines(ann: &str, txt: &[char], ann_rel: &Path, diags: &mut Diagnostics) -> Lines {
    let mut lines = Lines::default();
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
        let read = match id.chars().next() {
            Some('T') => text_line(&fields, txt, &span, ann_rel, diags).map(|t| {
                lines.texts.insert(id.to_string(), t);
            }),
            Some('N') => match refs(&fields).as_slice() {
                // N1<TAB>Reference T1 glossa:ID<TAB>name
                [_, target, norm] => {
                    lines.norms.insert(target.to_string(), (norm.to_string(), span.clone()));
                    Ok(())
                }
                _ => Err(line_error(
                    ann_rel,
                    &span,
                    format!("`{id}`: cannot read the normalisation"),
                    "N1<TAB>Reference T1 Wikidata:Q42<TAB>name",
                )),
            },
            Some('#') => match (refs(&fields).as_slice(), fields.get(2)) {
                ([_, target], Some(text)) => {
                    lines
                        .notes
                        .push((target.to_string(), nfc(text).into_owned(), span.clone()));
                    Ok(())
                }
                _ => Err(line_error(
                    ann_rel,
                    &span,
                    format!("`{id}`: cannot read the note"),
                    "#1<TAB>AnnotatorNotes T1<TAB>text",
                )),
            },
            Some('R') => {
                let arg = |p: &str| p.split_once(':').map(|(_, t)| t.to_string());
                match refs(&fields).as_slice() {
                    [ty, a, b] if arg(a).is_some() && arg(b).is_some() => {
                        let (a, b) = (arg(a).unwrap_or_default(), arg(b).unwrap_or_default());
                        lines.rels.push((ty.to_string(), a, b, span.clone()));
                        Ok(())
                    }
                    _ => Err(line_error(
                        ann_rel,
                        &span,
                        format!("`{id}`: cannot read the relation"),
                        "R1<TAB>Type Arg1:T1 Arg2:T2",
                    )),
                }
            }
            _ => Err(Diagnostic::warning(
                ann_rel,
                Some(span.clone()),
                format!("`{id}`: this kind of brat line is not used"),
            )
            .with_hint("glossa reads T (mentions), N (normalisations), # (notes) and R (relations)")),
        };
        if let Err(d) = read {
            diags.push(d);
        }
    }
    lines
}

/// The words of a line's second field (`Reference T1 glossa:ID`).
fn refs<'a>(fields: &[&'a str]) -> Vec<&'a str> {
    fields.get(1).map_or(Vec::new(), |f| f.split_whitespace().collect())
}

/// A `T` line: `T1<TAB>Type START END[;START END]<TAB>text`. A text that
/// differs from the `.txt` at the offsets is a warning (the offsets win).
fn text_line(
    fields: &[&str],
    txt: &[char],
    span: &Range<usize>,
    ann_rel: &Path,
    diags: &mut Diagnostics,
) -> Result<Text, Diagnostic> {
    let id = fields[0];
    let (Some(mid), Some(text)) = (fields.get(1), fields.get(2)) else {
        return Err(line_error(
            ann_rel,
            span,
            format!("`{id}` needs three tab-separated fields"),
            "T1<TAB>Type START END<TAB>text",
        ));
    };
    let mut parts = mid.splitn(2, ' ');
    let ty = parts.next().unwrap_or("").to_string();
    let mut spans = Vec::new();
    let mut ok = !ty.is_empty();
    for frag in parts.next().unwrap_or("").split(';') {
        let nums: Vec<Option<usize>> = frag.split_whitespace().map(|n| n.parse().ok()).collect();
        match nums.as_slice() {
            [Some(s), Some(e)] if s < e && *e <= txt.len() => spans.push(*s..*e),
            _ => ok = false,
        }
    }
    if !ok || spans.is_empty() {
        return Err(line_error(
            ann_rel,
            span,
            format!("`{id}`: cannot read the type and offsets `{mid}`"),
            "offsets are code points of the .txt: `Type 0 4` or, discontinuous, `Type 0 4;10 15`",
        ));
    }
    let found: Vec<String> = spans.iter().map(|r| txt[r.clone()].iter().collect()).collect();
    let found = found.join(" ");
    if found != *text {
        diags.push(
            Diagnostic::warning(
                ann_rel,
                Some(span.clone()),
                format!("`{id}` says «{text}» but the .txt has «{found}» there"),
            )
            .with_hint("the offsets win; check the .ann was made for this .txt"),
        );
    }
    Ok(Text {
        ty,
        spans,
        text: nfc(&found).into_owned(),
        line: span.clone(),
    })
}

/// The entity of each `T` line: the site's entity its normalisation names
/// (`glossa:ID`), else one made per distinct (type, text) — its kind from
/// `brat.toml` or the type's usual name, its Wikidata id from a
/// `Wikidata:Q…` normalisation. Returns the entities made here by id, and
/// the entity id of each `T` id.
fn entities_of(
    lines: &Lines,
    cfg: &BratConfig,
    ann_rel: &Path,
    diags: &mut Diagnostics,
) -> (BTreeMap<String, Entity>, HashMap<String, String>) {
    let mut entities: BTreeMap<String, Entity> = BTreeMap::new();
    let mut entity_of: HashMap<String, String> = HashMap::new();
    let mut by_type_text: HashMap<(String, String), String> = HashMap::new();
    for (tid, t) in &lines.texts {
        let norm = lines.norms.get(tid).map(|(n, _)| n.as_str());
        let id = match norm.and_then(|n| n.strip_prefix("glossa:")) {
            Some(id) => id.to_string(),
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
            diags.push(line_error(
                ann_rel,
                &t.line,
                format!("`{tid}`: «{}» gives no entity id", t.text),
                "annotate letters or digits",
            ));
            continue;
        }
        if norm.is_none_or(|n| !n.starts_with("glossa:")) {
            let wikidata = norm.and_then(|n| n.strip_prefix("Wikidata:").or_else(|| n.strip_prefix("wikidata:")));
            let e = entities.entry(id.clone()).or_insert_with(|| Entity {
                name: t.text.clone(),
                kind: kind_of(&t.ty, cfg),
                autolink: true,
                ..stub(&id, ann_rel, &t.line)
            });
            if e.wikidata.is_none() {
                e.wikidata = wikidata.map(String::from);
            }
        }
        entity_of.insert(tid.clone(), id);
    }
    (entities, entity_of)
}

/// `R` lines as relations from their first argument's entity to their
/// second's; on an entity of the site, a stub carries them (the loader
/// merges it in).
fn add_relations(
    rels: &[(String, String, String, Range<usize>)],
    entity_of: &HashMap<String, String>,
    entities: &mut BTreeMap<String, Entity>,
    ann_rel: &Path,
    diags: &mut Diagnostics,
) {
    for (ty, a, b, line) in rels {
        let (Some(from), Some(to)) = (entity_of.get(a), entity_of.get(b)) else {
            diags.push(line_error(
                ann_rel,
                line,
                format!("a relation argument is not a T line here ({a}, {b})"),
                "R lines name T ids of this file",
            ));
            continue;
        };
        let rel = Relation {
            kind: ty.to_lowercase(),
            target: to.clone(),
        };
        entities
            .entry(from.clone())
            .or_insert_with(|| stub(from, ann_rel, line))
            .relations
            .push(rel);
    }
}

/// The article's Markdown body, and its annotations on the text it renders
/// to: a mention per fragment of each `T` line, a note (`#` line) on its
/// `T`'s first fragment.
fn annotations_of(
    txt: &str,
    lines: Lines,
    entity_of: &HashMap<String, String>,
    ann_rel: &Path,
    diags: &mut Diagnostics,
) -> (String, Vec<Annotation>) {
    let (body, rendered, map) = body_and_map(txt);
    let to_rendered = |r: &Range<usize>| -> Option<(usize, String)> {
        let start = map.get(r.start..r.end)?.iter().flatten().next().copied()?;
        let end = map.get(r.start..r.end)?.iter().flatten().last().copied()? + 1;
        Some((start, rendered[start..end].iter().collect()))
    };
    let annotation = |kind: Kind, (start, exact): (usize, String), line: &Range<usize>| Annotation {
        kind,
        selector: Selector {
            exact,
            prefix: None,
            suffix: None,
            nth: None,
            all: false,
        },
        exact_span: line.clone(),
        nth_span: None,
        position: Some(start),
    };
    let mut annotations = Vec::new();
    for (tid, t) in &lines.texts {
        let Some(id) = entity_of.get(tid) else { continue };
        for r in &t.spans {
            let Some(at) = to_rendered(r) else { continue };
            let entity = Spanned::new(t.line.clone(), id.clone());
            annotations.push(annotation(Kind::Mention { entity }, at, &t.line));
        }
    }
    for (target, text, line) in lines.notes {
        let Some(t) = lines.texts.get(&target) else {
            diags.push(line_error(
                ann_rel,
                &line,
                format!("the note is on `{target}`, which is not a T line here"),
                "#1<TAB>AnnotatorNotes T1<TAB>text",
            ));
            continue;
        };
        let Some(at) = t.spans.first().and_then(&to_rendered) else {
            continue;
        };
        annotations.push(annotation(Kind::Note { body: text }, at, &line));
    }
    (body, annotations)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A type's kind: `brat.toml`'s `[types]` first, then the usual names
    /// of the common brat and NER schemes, in any case; anything else is a
    /// concept.
    #[test]
    fn types_get_kinds_by_their_usual_names() {
        use EntityKind::*;
        let cfg = BratConfig::default();
        let usual = [
            (Person, &["Person", "PER", "people"][..]),
            (Organization, &["Organization", "organisation", "ORG", "Company"]),
            (Place, &["Location", "LOC", "GPE", "place", "FAC", "Facility"]),
            (Product, &["Product"]),
            (Event, &["EVENT"]),
            (Work, &["Work", "WORK_OF_ART"]),
            (Concept, &["Misc", "Disease", "person2"]),
        ];
        for (kind, names) in usual {
            for ty in names {
                assert_eq!(kind_of(ty, &cfg), kind, "{ty}");
            }
        }
        let cfg = BratConfig {
            types: [("PER".to_string(), Place)].into(),
            ..Default::default()
        };
        assert_eq!(kind_of("PER", &cfg), Place);
        assert_eq!(kind_of("Per", &cfg), Person, "[types] names are exact");
    }
}
