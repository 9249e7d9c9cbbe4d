//! Loading the site's content from disk: walk `content/`, read each file as
//! UTF-8 (BOM stripped, CRLF → LF, NFC), split front matter and read it into
//! [`Article`]s and [`Entity`]s, and parse annotation files. Everything read
//! is kept in [`Sources`] so diagnostics can show the lines they point at.
//!
//! Stage 1 of the pipeline: content (load and normalise).

pub mod annotations;
pub mod brat;
pub mod frontmatter;
pub mod jsonld;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Deserializer};

pub use annotations::{Annotation, Kind, Selector};
use frontmatter::{Format, FrontMatterError};

use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::{KnownHashes, list_files, read_text, read_text_hashed};
use crate::schema;
use crate::text::{nfc, slugify};

/// An article as written: front matter, Markdown body, annotations.
#[derive(Debug, Clone, Default)]
pub struct Article {
    pub slug: String,
    /// Path relative to the site root, e.g. `content/articles/x.md`.
    pub path: PathBuf,
    pub title: String,
    /// As written: `YYYY-MM-DD` or RFC 3339; `None` for an undated article
    /// (listed after the dated ones, not in the feed).
    pub date: Option<String>,
    pub description: Option<String>,
    pub authors: Vec<String>,
    pub source: Option<String>,
    pub source_url: Option<String>,
    pub via: Option<String>,
    pub lang: Option<String>,
    pub tags: Vec<String>,
    pub draft: bool,
    /// Overrides the site's `autolink` for this article.
    pub autolink: Option<crate::config::Autolink>,
    /// The Markdown body, NFC: a slice of the file's text as loaded (the
    /// diagnostics keep that text too), not a copy of it.
    pub body: SharedText,
    /// Byte offset of the body in the file (after the front matter).
    pub body_offset: usize,
    /// Path of the annotation file, when there is one.
    pub annotations_path: Option<PathBuf>,
    pub annotations: Vec<Annotation>,
    /// The annotation file was read but not parsed: `annotations` stays
    /// empty until [`Article::parse_annotations`]. A site build leaves the
    /// parse to anchoring, which skips it when it finds the article's
    /// result stored ([`crate::anchor::article::anchor_all`]).
    pub annotations_unparsed: bool,
    /// Entities its annotation file defines (brat articles).
    pub entities: Vec<Entity>,
    /// The hashes of its Markdown and annotation files' bytes as read
    /// (Markdown articles; zero for brat ones).
    pub hashes: FileHashes,
}

/// The [`crate::files::hash`] of an article's files' bytes as read: its
/// Markdown file's and its annotation file's, when it has one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FileHashes {
    pub text: u64,
    pub annotations: Option<u64>,
}

/// What an article is besides its body and annotations: its front
/// matter's values as loaded, and which annotation file it has. Kept with
/// its stored anchoring, so that an article whose files hash as they did
/// is made again without reading them ([`Article::from_meta`]).
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct Meta {
    title: String,
    date: Option<String>,
    description: Option<String>,
    authors: Vec<String>,
    source: Option<String>,
    source_url: Option<String>,
    via: Option<String>,
    lang: Option<String>,
    tags: Vec<String>,
    draft: bool,
    autolink: Option<crate::config::Autolink>,
    annotations_path: Option<PathBuf>,
}

impl Article {
    /// Whether it is a Markdown article (else a brat one, whose front matter
    /// and annotations are in files of their own).
    pub fn is_markdown(&self) -> bool {
        self.path.extension().is_some_and(|x| x == "md")
    }

    /// The values [`Article::from_meta`] makes it again from.
    pub fn meta(&self) -> Meta {
        // (every field named: one added to `Article` must be placed here)
        let Article {
            slug: _,
            path: _,
            title,
            date,
            description,
            authors,
            source,
            source_url,
            via,
            lang,
            tags,
            draft,
            autolink,
            body: _,
            body_offset: _,
            annotations_path,
            annotations: _,
            annotations_unparsed: _,
            entities: _,
            hashes: _,
        } = self;
        Meta {
            title: title.clone(),
            date: date.clone(),
            description: description.clone(),
            authors: authors.clone(),
            source: source.clone(),
            source_url: source_url.clone(),
            via: via.clone(),
            lang: lang.clone(),
            tags: tags.clone(),
            draft: *draft,
            autolink: *autolink,
            annotations_path: annotations_path.clone(),
        }
    }

    /// The Markdown article at `path` (slug `slug`) whose files hash as
    /// `hashes` and whose values were `meta` when those files were loaded:
    /// as loading them would make it, without its body and annotations
    /// (which anchoring alone reads).
    pub fn from_meta(path: PathBuf, slug: String, meta: Meta, hashes: FileHashes) -> Article {
        Article {
            slug,
            path,
            title: meta.title,
            date: meta.date,
            description: meta.description,
            authors: meta.authors,
            source: meta.source,
            source_url: meta.source_url,
            via: meta.via,
            lang: meta.lang,
            tags: meta.tags,
            draft: meta.draft,
            autolink: meta.autolink,
            annotations_path: meta.annotations_path,
            hashes,
            ..Default::default()
        }
    }

    /// Parses the annotation file's text `text` (TOML, or JSON-LD by the
    /// file's extension) into `annotations`, when loading left it unparsed.
    pub fn parse_annotations(&mut self, text: &str, diags: &mut Diagnostics) {
        if !std::mem::take(&mut self.annotations_unparsed) {
            return;
        }
        let Some(file) = &self.annotations_path else { return };
        self.annotations = if file.extension().is_some_and(|x| x == "jsonld") {
            jsonld::parse(text, file, diags)
        } else {
            annotations::parse(text, file, diags)
        };
    }
}

/// A slice of a text that is shared (`Arc<str>`), read as a `&str`. An
/// article's body is a slice of its file, which [`Sources`] holds anyway
/// until the diagnostics are printed: sharing it instead of copying it
/// keeps a large site's text in memory once, not twice, while it is
/// anchored.
#[derive(Clone, Default)]
pub struct SharedText {
    text: Arc<str>,
    range: std::ops::Range<usize>,
}

impl SharedText {
    /// `text[range]`; `range` must fall on character boundaries.
    pub fn slice(text: Arc<str>, range: std::ops::Range<usize>) -> SharedText {
        assert!(text.get(range.clone()).is_some(), "a slice on character boundaries");
        SharedText { text, range }
    }
}

impl std::ops::Deref for SharedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text[self.range.clone()]
    }
}

impl From<String> for SharedText {
    fn from(s: String) -> SharedText {
        let range = 0..s.len();
        SharedText {
            text: Arc::from(s),
            range,
        }
    }
}

impl std::fmt::Debug for SharedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// The kinds of entity glossa knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Organization,
    Place,
    Product,
    Concept,
    Event,
    Work,
}

impl EntityKind {
    /// Its label in the site's UI strings.
    pub fn label(self, kinds: &crate::i18n::Kinds) -> &str {
        match self {
            EntityKind::Person => &kinds.person,
            EntityKind::Organization => &kinds.organization,
            EntityKind::Place => &kinds.place,
            EntityKind::Product => &kinds.product,
            EntityKind::Concept => &kinds.concept,
            EntityKind::Event => &kinds.event,
            EntityKind::Work => &kinds.work,
        }
    }

    pub const ALL: [EntityKind; 7] = [
        EntityKind::Person,
        EntityKind::Organization,
        EntityKind::Place,
        EntityKind::Product,
        EntityKind::Concept,
        EntityKind::Event,
        EntityKind::Work,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Organization => "organization",
            EntityKind::Place => "place",
            EntityKind::Product => "product",
            EntityKind::Concept => "concept",
            EntityKind::Event => "event",
            EntityKind::Work => "work",
        }
    }
}

/// A relation as written on its subject entity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Relation {
    #[serde(rename = "type")]
    pub kind: String,
    pub target: String,
}

/// An entity as written in `content/entities/ID.md`.
#[derive(Debug, Clone)]
pub struct Entity {
    pub id: String,
    pub path: PathBuf,
    pub name: String,
    pub kind: EntityKind,
    pub aliases: Vec<String>,
    pub wikidata: Option<String>,
    pub url: Option<String>,
    pub image: Option<String>,
    pub relations: Vec<Relation>,
    /// Span of the front matter, where relation diagnostics point.
    pub front_span: Range<usize>,
    pub autolink: bool,
    /// Names match in any case (`case_insensitive = true`); exact otherwise.
    pub case_insensitive: bool,
    /// Markdown description, NFC.
    pub description: String,
    /// Byte offset of the description in the file.
    pub description_offset: usize,
}

#[cfg(test)]
impl Entity {
    /// A place with `id` and `name` at `content/entities/ID.md`, linked
    /// automatically, with nothing else set (for unit tests).
    pub fn named(id: &str, name: &str) -> Entity {
        Entity {
            id: id.into(),
            path: format!("content/entities/{id}.md").into(),
            name: name.into(),
            kind: EntityKind::Place,
            aliases: Vec::new(),
            wikidata: None,
            url: None,
            image: None,
            relations: Vec::new(),
            front_span: 0..0,
            autolink: true,
            case_insensitive: false,
            description: String::new(),
            description_offset: 0,
        }
    }
}

/// Loaded files kept between rebuilds (`serve`, `build --watch`): a file
/// whose stamp (size, modification time) is unchanged is not read again.
#[derive(Default)]
pub struct FileCache {
    articles: HashMap<PathBuf, Cached<Article>>,
    entities: HashMap<PathBuf, Cached<Entity>>,
}

/// One loaded file (an article with its annotation file) and what loading
/// it reported.
struct Cached<T> {
    stamps: Vec<Option<crate::files::Stamp>>,
    item: Option<T>,
    diags: Diagnostics,
    sources: Sources,
}

/// The article files under `content/articles`, listed (and stray
/// annotation files warned about) before any is read, so that they can be
/// loaded in batches: brat articles first (they define entities), then the
/// Markdown ones.
pub struct Listing {
    /// `.txt` files with their `.ann`.
    pub brat: Vec<PathBuf>,
    pub markdown: Vec<PathBuf>,
    brat_config: brat::BratConfig,
}

impl Listing {
    /// The articles of the site at `root`: as the inputs' digest found them when it gives them
    /// (`known`, see [`KnownHashes::articles`]), else listed here.
    pub fn new(root: &Path, known: Option<&KnownHashes>, diags: &mut Diagnostics, sources: &mut Sources) -> Listing {
        let articles = match known.and_then(|k| k.articles(diags)) {
            Some(articles) => articles,
            None => list_files(root, Path::new("content/articles"), diags),
        };
        // (the listing is sorted: a name is looked up in it, not on disk)
        let listed = |p: &Path| articles.binary_search_by(|r| crate::files::path_order(r, p)).is_ok();
        for rel in &articles {
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(stem) = name
                .strip_suffix(".annotations.toml")
                .or_else(|| name.strip_suffix(".annotations.jsonld"))
            {
                let md = rel.with_file_name(format!("{stem}.md"));
                if !listed(&md) {
                    diags.push(
                        Diagnostic::warning(rel, None, "annotation file without an article")
                            .with_hint(format!("expected the article at {}", md.display())),
                    );
                }
            }
        }
        let (brat, markdown): (Vec<PathBuf>, Vec<PathBuf>) = articles
            .into_iter()
            .filter(|r| r.extension().is_some_and(|e| e == "md") || is_brat(root, r))
            .partition(|r| is_brat(root, r));
        let brat_config = if brat.is_empty() {
            brat::BratConfig::default()
        } else {
            brat::config(root, diags, sources)
        };
        Listing {
            brat,
            markdown,
            brat_config,
        }
    }

    /// The URL slug each listed article would have (its file name's).
    pub fn slugs(&self) -> impl Iterator<Item = String> + '_ {
        self.brat
            .iter()
            .chain(&self.markdown)
            .filter_map(|r| Some(slugify(&r.file_stem()?.to_string_lossy())))
    }

    /// Loads the articles `files` (some of the listed ones) in parallel,
    /// in the order given.
    pub fn load(
        &self,
        root: &Path,
        files: &[PathBuf],
        diags: &mut Diagnostics,
        sources: &mut Sources,
        cache: Option<&mut FileCache>,
    ) -> Vec<Article> {
        let files: Vec<&PathBuf> = files.iter().collect();
        load_each(
            root,
            &files,
            diags,
            sources,
            cache.map(|c| &mut c.articles),
            |rel| article_files(root, rel),
            |rel, d, s| {
                if is_brat(root, rel) {
                    load_brat_article(root, rel, &self.brat_config, d, s)
                } else {
                    load_article(root, rel, Parse::Later, d, s)
                }
            },
        )
    }

    /// Drops from `cache` the articles no longer listed.
    pub fn forget_others(&self, cache: &mut FileCache) {
        let listed: std::collections::HashSet<&PathBuf> = self.brat.iter().chain(&self.markdown).collect();
        cache.articles.retain(|p, _| listed.contains(p));
    }
}

/// Whether `rel` is a brat article: a `.txt` with its `.ann`.
fn is_brat(root: &Path, rel: &Path) -> bool {
    rel.extension().is_some_and(|e| e == "txt") && root.join(rel.with_extension("ann")).is_file()
}

/// Where the Markdown article `md`'s annotation file may be: beside it,
/// `SLUG.annotations.toml` (taken first) or `SLUG.annotations.jsonld`.
pub fn annotation_files(md: &Path) -> [PathBuf; 2] {
    let stem = md.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
    ["toml", "jsonld"].map(|x| md.with_file_name(format!("{stem}.annotations.{x}")))
}

/// The files an article reads.
fn article_files(root: &Path, rel: &Path) -> Vec<PathBuf> {
    if is_brat(root, rel) {
        return vec![
            rel.to_path_buf(),
            rel.with_extension("ann"),
            rel.with_extension("toml"),
            PathBuf::from(brat::CONFIG),
        ];
    }
    let [toml, jsonld] = annotation_files(rel);
    vec![rel.to_path_buf(), toml, jsonld]
}

/// The entities of `content/entities`, with those the brat articles
/// `brat` define: new ones join the site's; for an entity the site has,
/// their relations are added to it. By id.
pub fn load_entities(
    root: &Path,
    brat: &[Article],
    diags: &mut Diagnostics,
    sources: &mut Sources,
    cache: Option<&mut FileCache>,
) -> Vec<Entity> {
    let files = list_files(root, Path::new("content/entities"), diags);
    let files: Vec<&PathBuf> = files
        .iter()
        .filter(|r| r.extension().is_some_and(|e| e == "md"))
        .collect();
    let mut entities = load_each(
        root,
        &files,
        diags,
        sources,
        cache.map(|c| {
            c.entities.clear();
            &mut c.entities
        }),
        |rel| vec![rel.to_path_buf()],
        |rel, d, s| load_entity(root, rel, d, s),
    );
    for a in brat {
        for g in &a.entities {
            match entities.iter_mut().find(|e| e.id == g.id) {
                Some(e) => e.relations.extend(g.relations.iter().cloned()),
                None if !g.name.is_empty() => entities.push(g.clone()),
                None => {}
            }
        }
    }
    entities.sort_by(|a, b| a.id.cmp(&b.id));
    entities
}

/// Loads files in parallel (or takes them from `cache` when every file they
/// read has the same stamp); their diagnostics and sources are merged in
/// file order, so the result does not depend on scheduling.
fn load_each<T: Send + Sync + Clone>(
    root: &Path,
    files: &[&PathBuf],
    diags: &mut Diagnostics,
    sources: &mut Sources,
    cache: Option<&mut HashMap<PathBuf, Cached<T>>>,
    reads: impl Fn(&Path) -> Vec<PathBuf> + Sync,
    load: impl Fn(&Path, &mut Diagnostics, &mut Sources) -> Option<T> + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let old = cache.as_deref();
    // A file changed within the last second may change again within the
    // file system's timestamp granularity without a new stamp (git's "racy
    // clean" problem): such a file is not trusted next time, but read again.
    let now = crate::files::now_ns();
    let trusted = |stamps: Vec<Option<crate::files::Stamp>>| {
        let recent = stamps.iter().flatten().any(|s| s.mtime + 1_000_000_000 > now);
        if recent { Vec::new() } else { stamps }
    };
    let loaded: Vec<Cached<T>> = files
        .par_iter()
        .map(|rel| {
            let stamps: Vec<_> = match old {
                Some(_) => reads(rel)
                    .iter()
                    .map(|f| crate::files::Stamp::read(&root.join(f)))
                    .collect(),
                None => Vec::new(),
            };
            if let Some(c) = old.and_then(|o| o.get(rel.as_path()))
                && !c.stamps.is_empty()
                && c.stamps == stamps
            {
                return Cached {
                    stamps: trusted(stamps),
                    item: c.item.clone(),
                    diags: c.diags.clone(),
                    sources: c.sources.clone(),
                };
            }
            let (mut d, mut s) = (Diagnostics::default(), Sources::default());
            let item = load(rel, &mut d, &mut s);
            Cached {
                stamps: trusted(stamps),
                item,
                diags: d,
                sources: s,
            }
        })
        .collect();
    let mut out = Vec::with_capacity(loaded.len());
    match cache {
        Some(cache) => {
            for (rel, c) in files.iter().zip(loaded) {
                diags.extend(c.diags.clone());
                sources.extend(c.sources.clone());
                out.extend(c.item.clone());
                cache.insert((*rel).clone(), c);
            }
        }
        None => {
            for c in loaded {
                diags.extend(c.diags);
                sources.extend(c.sources);
                out.extend(c.item);
            }
        }
    }
    out
}

/// One Markdown article (with its annotation file), read on its own — what
/// the rebuild loop does after an edit of it.
pub fn load_article_file(root: &Path, rel: &Path) -> (Option<Article>, Diagnostics, Sources) {
    let (mut d, mut s) = (Diagnostics::default(), Sources::default());
    let a = load_article(root, rel, Parse::Now, &mut d, &mut s);
    (a, d, s)
}

/// One entity file, read on its own.
pub fn load_entity_file(root: &Path, rel: &Path) -> (Option<Entity>, Diagnostics, Sources) {
    let (mut d, mut s) = (Diagnostics::default(), Sources::default());
    let e = load_entity(root, rel, &mut d, &mut s);
    (e, d, s)
}

#[derive(Deserialize, Default)]
struct ArticleFront {
    title: Option<String>,
    #[serde(default, deserialize_with = "de_date")]
    date: Option<String>,
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    source: Option<String>,
    source_url: Option<String>,
    via: Option<String>,
    lang: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    draft: bool,
    autolink: Option<crate::config::Autolink>,
}

impl ArticleFront {
    /// Sets `a`'s optional fields from the front matter (NFC, trimmed,
    /// empty values dropped).
    fn fill(self, mut a: Article) -> Article {
        let n = |s: Option<String>| s.map(|s| nfc(s.trim()).into_owned()).filter(|s| !s.is_empty());
        a.description = n(self.description);
        a.authors = self.authors.into_iter().map(|x| nfc(&x).into_owned()).collect();
        a.source = n(self.source);
        a.source_url = n(self.source_url);
        a.via = n(self.via);
        a.lang = n(self.lang);
        a.tags = self
            .tags
            .into_iter()
            .map(|t| nfc(t.trim()).into_owned())
            .filter(|t| !t.is_empty())
            .collect();
        a.draft = self.draft;
        a.autolink = self.autolink;
        a
    }
}

const ARTICLE_KEYS: &[&str] = &[
    "title",
    "date",
    "description",
    "authors",
    "source",
    "source_url",
    "via",
    "lang",
    "tags",
    "draft",
    "autolink",
];

#[derive(Deserialize)]
struct EntityFront {
    name: Option<String>,
    kind: Option<EntityKind>,
    #[serde(default)]
    aliases: Vec<String>,
    wikidata: Option<String>,
    url: Option<String>,
    image: Option<String>,
    #[serde(default)]
    relations: Vec<Relation>,
    autolink: Option<bool>,
    case_insensitive: Option<bool>,
}

const ENTITY_KEYS: &[&str] = &[
    "name",
    "kind",
    "aliases",
    "wikidata",
    "url",
    "image",
    "relations",
    "autolink",
    "case_insensitive",
];

/// A date as TOML datetime or string, kept as its text.
fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    Ok(Some(match v {
        toml::Value::String(s) => s,
        other => other.to_string().trim_matches('"').to_string(),
    }))
}

/// Parsed front matter plus where it is, or `None` after reporting why not.
struct Front<T> {
    value: T,
    split: frontmatter::Split,
}

fn read_front<T: for<'de> Deserialize<'de>>(
    text: &str,
    rel: &Path,
    keys: &'static [&'static str],
    keys_at: schema::KeysAt,
    diags: &mut Diagnostics,
) -> Option<Front<T>> {
    let split = match frontmatter::split(text) {
        Ok(s) => s,
        Err(FrontMatterError::Missing) => {
            diags.push(
                Diagnostic::error(rel, Some(0..text.find('\n').unwrap_or(text.len())), "no front matter")
                    .with_hint("start the file with a `+++` line, `title = \"…\"` etc., and another `+++` line"),
            );
            return None;
        }
        Err(FrontMatterError::Unclosed(span)) => {
            diags.push(
                Diagnostic::error(rel, Some(span), "front matter is not closed")
                    .with_hint("add the closing `+++` (or `---`) line after the front matter"),
            );
            return None;
        }
    };
    let front = &text[split.front.clone()];
    let value = match split.format {
        Format::Toml => {
            let document = schema::parse(front, split.front.start, rel, keys_at, diags)?;
            match T::deserialize(document) {
                Ok(v) => v,
                Err(e) => {
                    let span = e.span().map(|s| schema::shift(s, split.front.start));
                    diags.push(Diagnostic::error(
                        rel,
                        span.or(Some(split.opener.clone())),
                        e.message().trim().to_string(),
                    ));
                    return None;
                }
            }
        }
        Format::Yaml => {
            if let Ok(map) = serde_saphyr::from_str::<BTreeMap<String, serde::de::IgnoredAny>>(front) {
                for key in map.keys().filter(|k| !keys.contains(&k.as_str())) {
                    let at = front.find(key.as_str()).map_or(split.opener.clone(), |i| {
                        split.front.start + i..split.front.start + i + key.len()
                    });
                    let mut d = Diagnostic::error(rel, Some(at), format!("unknown key `{key}`"));
                    if let Some(s) = schema::did_you_mean(key, keys.iter().copied()) {
                        d = d.with_hint(format!("did you mean `{s}`?"));
                    }
                    diags.push(d);
                }
            }
            match serde_saphyr::from_str::<T>(front) {
                Ok(v) => v,
                Err(e) => {
                    let at = e
                        .location()
                        .and_then(|l| offset_of(front, l.line() as usize, l.column() as usize))
                        .map(|o| split.front.start + o..split.front.start + o + 1);
                    let msg = e.to_string();
                    // The position is in the diagnostic; drop saphyr's own
                    // "error: line N column M:" (relative to the front matter).
                    let mut msg = msg.lines().next().unwrap_or("").trim().trim_start_matches("error: ");
                    if msg.starts_with("line ")
                        && let Some((_, rest)) = msg.split_once(": ")
                    {
                        msg = rest;
                    }
                    diags.push(
                        Diagnostic::error(
                            rel,
                            at.or(Some(split.opener.clone())),
                            format!("YAML front matter: {msg}"),
                        )
                        .with_hint("check the indentation and `key: value` pairs"),
                    );
                    return None;
                }
            }
        }
    };
    Some(Front { value, split })
}

/// When an article's annotation file is parsed: as it is loaded, or later
/// by anchoring, which may find it need not be ([`Article::annotations_unparsed`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parse {
    Now,
    Later,
}

fn load_article(
    root: &Path,
    rel: &Path,
    parse: Parse,
    diags: &mut Diagnostics,
    sources: &mut Sources,
) -> Option<Article> {
    let (text, text_hash) = read_text_hashed(root, rel, diags)?;
    let text: Arc<str> = Arc::from(text);
    sources.insert(rel, text.clone());
    let stem = rel.file_stem()?.to_string_lossy().into_owned();
    let slug = slugify(&stem);
    if is_reserved_name(&slug) {
        diags.push(
            Diagnostic::error(rel, None, format!("`{slug}` is a reserved file name on some systems"))
                .with_hint(format!("rename the file, e.g. `{slug}-1.md`")),
        );
        return None;
    }
    if slug.is_empty() {
        diags.push(
            Diagnostic::error(rel, None, format!("the file name `{stem}` gives an empty URL slug"))
                .with_hint("name the file with letters or digits, e.g. `my-article.md`"),
        );
        return None;
    }
    let front: Option<Front<ArticleFront>> = read_front(
        &text,
        rel,
        ARTICLE_KEYS,
        |p| if p.is_empty() { Some(ARTICLE_KEYS) } else { None },
        diags,
    );
    let [ann_rel, jsonld_rel] = annotation_files(rel);
    let (toml_file, jsonld_file) = (root.join(&ann_rel).is_file(), root.join(&jsonld_rel).is_file());
    if toml_file && jsonld_file {
        diags.push(
            Diagnostic::error(&jsonld_rel, None, "the article has two annotation files")
                .with_hint(format!("keep {} or this one, not both", ann_rel.display())),
        );
    }
    let mut ann_hash = None;
    let (annotations_path, annotations) = if toml_file || jsonld_file {
        let (file, jsonld) = if toml_file {
            (ann_rel, false)
        } else {
            (jsonld_rel, true)
        };
        let anns = match read_text_hashed(root, &file, diags) {
            Some((t, h)) if parse == Parse::Later => {
                sources.insert(&file, Arc::from(t));
                ann_hash = Some(h);
                None
            }
            Some((t, h)) => {
                let t: Arc<str> = Arc::from(t);
                sources.insert(&file, t.clone());
                ann_hash = Some(h);
                Some(if jsonld {
                    jsonld::parse(&t, &file, diags)
                } else {
                    annotations::parse(&t, &file, diags)
                })
            }
            None => Some(Vec::new()),
        };
        (Some(file), anns)
    } else {
        (None, Some(Vec::new()))
    };
    let Front { value: mut f, split } = front?;
    let title = match f.title.take().map(|t| nfc(t.trim()).into_owned()) {
        Some(t) if !t.is_empty() => t,
        _ => {
            diags.push(
                Diagnostic::error(rel, Some(split.opener.clone()), "the article has no `title`")
                    .with_hint("add `title = \"…\"` to the front matter"),
            );
            return None;
        }
    };
    let date = f.date.take();
    if let Some(date) = date.as_deref().filter(|d| !is_valid_date(d)) {
        let at = text[split.front.clone()]
            .find(date)
            .map(|i| split.front.start + i..split.front.start + i + date.len());
        diags.push(bad_date(rel, at.or(Some(split.opener.clone())), date));
        return None;
    }
    Some(f.fill(Article {
        slug,
        path: rel.to_path_buf(),
        title,
        date,
        body: SharedText::slice(text.clone(), split.body.clone()),
        body_offset: split.body.start,
        annotations_path,
        annotations_unparsed: annotations.is_none(),
        annotations: annotations.unwrap_or_default(),
        hashes: FileHashes {
            text: text_hash,
            annotations: ann_hash,
        },
        ..Default::default()
    }))
}

/// A brat pair (`SLUG.txt` + `SLUG.ann`, front matter in `SLUG.toml` when
/// there is one, else from `brat.toml`'s `[defaults]`) as an article; see
/// [`brat`].
fn load_brat_article(
    root: &Path,
    rel: &Path,
    cfg: &brat::BratConfig,
    diags: &mut Diagnostics,
    sources: &mut Sources,
) -> Option<Article> {
    let txt = read_text(root, rel, diags)?;
    sources.insert(rel, Arc::from(txt.as_str()));
    let stem = rel.file_stem()?.to_string_lossy().into_owned();
    let slug = slugify(&stem);
    if slug.is_empty() || is_reserved_name(&slug) {
        diags.push(
            Diagnostic::error(rel, None, format!("the file name `{stem}` cannot be a URL slug"))
                .with_hint("name the file with letters or digits, e.g. `my-article.txt`"),
        );
        return None;
    }
    let mut f = brat::front(root, &rel.with_extension("toml"), cfg, diags, sources)?;
    let loaded = brat::load(root, rel, &txt, cfg, diags, sources);
    let n = |s: Option<String>| s.map(|s| nfc(s.trim()).into_owned()).filter(|s| !s.is_empty());
    let Some(title) = n(f.title.take()).or(loaded.title_line) else {
        diags.push(Diagnostic::error(rel, None, "the brat article is empty").with_hint("the first line is its title"));
        return None;
    };
    let date = f.date.take();
    Some(f.fill(Article {
        slug,
        path: rel.to_path_buf(),
        title,
        date,
        body: loaded.body.into(),
        body_offset: 0,
        annotations_path: Some(rel.with_extension("ann")),
        annotations: loaded.annotations,
        entities: loaded.entities,
        ..Default::default()
    }))
}

/// Whether `u` is an absolute http(s) URL (the only kind entity links may be).
pub fn is_web_url(u: &str) -> bool {
    let l = u.trim().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://")) && l.len() > 8
}

/// Byte offset of 1-based `line` and character `column` in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    let rest = &text[start..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(o, _)| o);
    Some((start + col).min(text.len().saturating_sub(1)))
}

/// Windows device names, refused as ids and slugs so the output can be
/// checked out and served anywhere.
pub fn is_reserved_name(slug: &str) -> bool {
    const NAMES: &[&str] = &["con", "prn", "aux", "nul"];
    let s = slug.to_ascii_lowercase();
    NAMES.contains(&s.as_str())
        || ((s.starts_with("com") || s.starts_with("lpt")) && s.len() == 4 && s.as_bytes()[3].is_ascii_digit())
}

/// A `date` that is not one.
fn bad_date(file: &Path, at: Option<Range<usize>>, date: &str) -> Diagnostic {
    Diagnostic::error(file, at, format!("`{date}` is not a date")).with_hint(
        "write `YYYY-MM-DD` or an RFC 3339 date-time such as 2026-11-28T08:00:00+07:00, or leave `date` out for an undated article",
    )
}

/// `YYYY-MM-DD`, optionally followed by `T`/space and a time.
pub fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 10 || !s.is_char_boundary(10) {
        return false;
    }
    let digits = |r: Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day) && (b.len() == 10 || matches!(b[10], b'T' | b't' | b' '))
}

fn entity_keys_at(path: &[&str]) -> Option<&'static [&'static str]> {
    match path {
        [] => Some(ENTITY_KEYS),
        ["relations"] => Some(&["type", "target"]),
        _ => None,
    }
}

fn load_entity(root: &Path, rel: &Path, diags: &mut Diagnostics, sources: &mut Sources) -> Option<Entity> {
    let text = read_text(root, rel, diags)?;
    let text: Arc<str> = Arc::from(text);
    sources.insert(rel, text.clone());
    let id = rel.file_stem()?.to_string_lossy().into_owned();
    if is_reserved_name(&id) {
        diags.push(
            Diagnostic::error(rel, None, format!("`{id}` is a reserved file name on some systems"))
                .with_hint(format!("rename the file, e.g. `{id}-1.md`")),
        );
        return None;
    }
    if slugify(&id) != id {
        diags.push(
            Diagnostic::error(rel, None, format!("entity id `{id}` is not a URL slug")).with_hint(format!(
                "rename the file to `{}.md` (lowercase ASCII letters, digits and hyphens)",
                slugify(&id)
            )),
        );
        return None;
    }
    let Front { value: f, split } = read_front::<EntityFront>(&text, rel, ENTITY_KEYS, entity_keys_at, diags)?;
    let Some(name) = f.name.map(|n| nfc(n.trim()).into_owned()).filter(|n| !n.is_empty()) else {
        diags.push(
            Diagnostic::error(rel, Some(split.opener.clone()), "the entity has no `name`")
                .with_hint("add `name = \"…\"` to the front matter"),
        );
        return None;
    };
    let Some(kind) = f.kind else {
        diags.push(
            Diagnostic::error(rel, Some(split.opener.clone()), "the entity has no `kind`")
                .with_hint("add `kind = \"person\"` (or organization, place, product, concept, event, work)"),
        );
        return None;
    };
    let url = match f.url {
        Some(u) if !is_web_url(&u) => {
            let at = text[split.front.clone()]
                .find(u.as_str())
                .map(|i| split.front.start + i..split.front.start + i + u.len());
            diags.push(
                Diagnostic::error(
                    rel,
                    at.or(Some(split.opener.clone())),
                    format!("`url` must be an http(s) address, not `{u}`"),
                )
                .with_hint("javascript:, data: and other schemes are refused; write https://…"),
            );
            None
        }
        other => other,
    };
    Some(Entity {
        id,
        path: rel.to_path_buf(),
        name,
        kind,
        aliases: f
            .aliases
            .into_iter()
            .map(|a| nfc(a.trim()).into_owned())
            .filter(|a| !a.is_empty())
            .collect(),
        wikidata: f.wikidata,
        url,
        image: f.image,
        relations: f.relations,
        front_span: split.front.clone(),
        autolink: f.autolink.unwrap_or(true),
        case_insensitive: f.case_insensitive.unwrap_or(false),
        description: text[split.body.clone()].to_string(),
        description_offset: split.body.start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_made_from_its_values_is_the_one_loaded_but_its_body_and_annotations() {
        let dir = tempfile::tempdir().unwrap();
        let rel = Path::new("content/articles/bai-viet.md");
        std::fs::create_dir_all(dir.path().join("content/articles")).unwrap();
        std::fs::write(
            dir.path().join(rel),
            "+++\ntitle = \" Bài viết \"\ndate = \"2026-11-28\"\ndescription = \"Mô tả\"\n\
             authors = [\"An\"]\nsource = \"Báo\"\nsource_url = \"https://example.org/a\"\n\
             via = \"Bạn\"\nlang = \"vi\"\ntags = [\"Kinh tế\"]\ndraft = true\nautolink = \"all\"\n+++\nThân bài.\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("content/articles/bai-viet.annotations.toml"), "").unwrap();
        let (loaded, diags, _) = load_article_file(dir.path(), rel);
        assert!(diags.is_empty());
        let loaded = loaded.unwrap();
        let made = Article::from_meta(rel.to_path_buf(), loaded.slug.clone(), loaded.meta(), loaded.hashes);
        let without_body = |a: &Article| {
            let mut a = a.clone();
            (a.body, a.body_offset, a.annotations, a.annotations_unparsed) = Default::default();
            format!("{a:?}")
        };
        assert_eq!(without_body(&made), without_body(&loaded));
        assert!(loaded.draft && loaded.annotations_path.is_some() && loaded.hashes.annotations.is_some());
    }

    #[test]
    fn dates() {
        assert!(is_valid_date("2026-11-28"));
        assert!(is_valid_date("2026-11-28T08:00:00+07:00"));
        assert!(!is_valid_date("28/11/2026"));
        assert!(!is_valid_date("2026-13-01"));
        // each part of the shape wrong on its own
        for bad in [
            "x026-11-28",
            "2026/11-28",
            "2026-1x-28",
            "2026-11/28",
            "2026-11-2x",
            "2026-11-28x",
            "2026-11-00",
            "2026-00-28",
            "2026-11-1",
        ] {
            assert!(!is_valid_date(bad), "{bad}");
        }
        assert!(is_valid_date("2026-11-28 08:00"));
    }

    #[test]
    fn reserved_names() {
        for name in ["con", "NUL", "com1", "LPT9", "aux"] {
            assert!(is_reserved_name(name), "{name}");
        }
        for name in ["console", "com", "com10", "comx", "lpt", "nul1", "compo"] {
            assert!(!is_reserved_name(name), "{name}");
        }
    }
}
