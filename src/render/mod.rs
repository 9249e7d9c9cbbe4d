//! Rendering the site graph into pages: one [`Page`] per output file, a small
//! view made for each (see `docs/templates.md`), rendered with Tera; feeds and
//! the sitemap are written directly. Pages render in parallel.
//!
//! Stage 4 of the pipeline: rendering.

pub mod card;
mod context;
pub mod deps;
mod dump;
pub mod entity_graph;
mod jsonld;
mod layout;
mod port;
pub mod search;
mod sitemap;
pub mod templates;
mod time;
pub mod timeline;
mod views;
pub use views::{ARTICLES_KEPT_MAX, QUOTES_KEPT_MAX, Shared, dot_scale};

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use context::PageContext;
pub use search::SearchPart;
pub use templates::Templates;

use crate::diagnostics::Diagnostic;
use crate::site::Site;
use crate::text::escape_html;
use crate::urls::Urls;
use views::*;

/// One output file of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Page {
    /// The home page: page N (from 0) of the articles, newest first (see
    /// [`Config::paginate_by`](crate::config::Config::paginate_by)).
    Home(usize),
    Article(usize),
    EntityIndex,
    /// Entity E's page N (from 0): its mentions, `paginate_by` articles a
    /// page (see [`Page::entity_pages`]), and the quotes of their periods;
    /// the first page also shows its timeline, relations, related entities
    /// and graph.
    Entity(usize, usize),
    /// Page N (from 0) of every quote.
    QuoteIndex(usize),
    Quote(usize),
    TagIndex,
    /// Tag T's page N (from 0) of articles.
    Tag(usize, usize),
    NotFound,
    Search,
    /// The date archive's index: years and their months.
    ArchiveIndex,
    /// Page N (from 0) of the articles of a month (year, month 1–12), or
    /// of a year (year, 0).
    Archive(u16, u8, usize),
    /// A file of the search index (see [`search`]): its layout, a shard of
    /// its terms, result lines, articles' texts.
    SearchIndex(SearchPart),
    /// An entity's hover preview (its summary), fetched by article pages.
    EntityPreview(usize),
    /// Social images (PNG, 1200×630): the site's, an article's, a quote's.
    SiteImage,
    ArticleImage(usize),
    QuoteImage(usize),
    Atom,
    /// `sitemap.xml`: every HTML page's URL, or an index of the parts below.
    Sitemap,
    /// Part N (from 0) of the sitemap's URLs, when they are more than one file may hold.
    SitemapPart(usize),
    Robots,
}

impl Page {
    /// Every page of the site.
    pub fn all(site: &Site) -> Vec<Page> {
        let cfg = &site.config;
        let mut v = vec![
            Page::EntityIndex,
            Page::TagIndex,
            Page::NotFound,
            Page::Search,
            Page::Sitemap,
            Page::Robots,
        ];
        if has_feed(site) {
            v.push(Page::Atom);
        }
        // (the share cards that `cards` asks for: nothing is written that no page names)
        if cfg.cards.site() {
            v.push(Page::SiteImage);
        }
        // (entity pages first: the largest take the most memory while they render, and they
        // do so while few of the other pages' records are kept, not at the end of rendering,
        // when the build's memory peaks; a build renders the largest first, `largest_first`)
        for e in 0..site.entities.len() {
            v.extend(Page::of_entity(site, e));
        }
        v.extend(SearchPart::all(site).into_iter().map(Page::SearchIndex));
        v.extend((0..cfg.pages_for(site.articles.len())).map(Page::Home));
        v.extend((0..cfg.pages_for(site.quotes.len())).map(Page::QuoteIndex));
        v.extend((0..site.articles.len()).map(Page::Article));
        // (hover previews: only of entities some article mentions, the others are never fetched)
        v.extend(
            (0..site.entities.len())
                .filter(|&e| !site.entities[e].mentions.is_empty())
                .map(Page::EntityPreview),
        );
        v.extend((0..site.quotes.len()).map(Page::Quote));
        for (t, tag) in site.tags.iter().enumerate() {
            v.extend((0..cfg.pages_for(tag.articles.len())).map(|p| Page::Tag(t, p)));
        }
        v.extend(archive_pages(site));
        if cfg.cards.articles() {
            v.extend((0..site.articles.len()).map(Page::ArticleImage));
        }
        if cfg.cards.quotes() {
            v.extend((0..site.quotes.len()).map(Page::QuoteImage));
        }
        let urls = v.iter().filter(|p| p.in_sitemap()).count();
        v.extend((0..sitemap::parts(urls)).map(Page::SitemapPart));
        v
    }

    /// `pages` (from [`Page::all`]) in the order a build renders them: the
    /// entity pages first, the largest entities' first (most mentions and
    /// quotes), the others as they were. Before entity pages were paginated
    /// (stop 46), the largest at 50,000 articles (13,668 mentions) added
    /// 70-90 MB while it rendered; its first page is still its largest, and
    /// first, it meets the fewest records of pages already rendered
    /// (docs/performance-history.md, stops 45 and 46).
    /// [`Page::all`]'s own order stays the entities' (the sitemap's parts
    /// follow it, and an entity's mention count is not part of the site's
    /// structure).
    pub fn largest_first(site: &Site, pages: &mut [Page]) {
        pages.sort_by_key(|p| match *p {
            Page::Entity(e, _) => {
                let n = &site.entities[e];
                std::cmp::Reverse(n.mentions.len() + n.quotes.len() + 1)
            }
            _ => std::cmp::Reverse(0),
        });
    }

    /// How many pages entity `e`'s page takes: its mention groups (one per
    /// article that mentions it), `paginate_by` a page; one when it has none.
    pub fn entity_pages(site: &Site, e: usize) -> usize {
        site.config.pages_for(site.entities[e].mentioning_articles())
    }

    /// Every page of entity `e` (its mentions take one or more).
    pub fn of_entity(site: &Site, e: usize) -> impl Iterator<Item = Page> + use<> {
        (0..Page::entity_pages(site, e)).map(move |p| Page::Entity(e, p))
    }

    /// Whether the page is an HTML page at its own URL (`…/index.html`):
    /// what the sitemap lists.
    pub fn in_sitemap(&self) -> bool {
        matches!(
            self,
            Page::Home(_)
                | Page::Article(_)
                | Page::EntityIndex
                | Page::Entity(..)
                | Page::QuoteIndex(_)
                | Page::Quote(_)
                | Page::TagIndex
                | Page::Tag(..)
                | Page::Search
                | Page::ArchiveIndex
                | Page::Archive(..)
        )
    }

    /// The page kind, for timings.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Page::Home(_) => "home",
            Page::Article(_) => "article",
            Page::EntityIndex => "entity index",
            Page::Entity(..) => "entity",
            Page::QuoteIndex(_) => "quote index",
            Page::Quote(_) => "quote",
            Page::TagIndex => "tag index",
            Page::Tag(..) => "tag",
            Page::NotFound => "404",
            Page::Search => "search",
            Page::ArchiveIndex | Page::Archive(..) => "archive",
            Page::SearchIndex(_) => "search index",
            Page::EntityPreview(_) => "entity preview",
            Page::SiteImage | Page::ArticleImage(_) | Page::QuoteImage(_) => "image",
            Page::Atom => "atom",
            Page::Sitemap | Page::SitemapPart(_) => "sitemap",
            Page::Robots => "robots",
        }
    }

    /// The output path, relative to the output directory.
    pub fn path(&self, site: &Site) -> String {
        match *self {
            Page::Home(0) => "index.html".into(),
            Page::Home(p) => format!("page/{}/index.html", p + 1),
            Page::Article(i) => format!("articles/{}/index.html", site.articles[i].src.slug),
            Page::EntityIndex => "entities/index.html".into(),
            Page::Entity(i, 0) => format!("entities/{}/index.html", site.entities[i].src.id),
            Page::Entity(i, p) => format!("entities/{}/page/{}/index.html", site.entities[i].src.id, p + 1),
            Page::QuoteIndex(0) => "quotes/index.html".into(),
            Page::QuoteIndex(p) => format!("quotes/page/{}/index.html", p + 1),
            Page::Quote(i) => format!("quotes/{}/index.html", site.quotes[i].id),
            Page::TagIndex => "tags/index.html".into(),
            Page::Tag(i, 0) => format!("tags/{}/index.html", site.tags[i].slug),
            Page::Tag(i, p) => format!("tags/{}/page/{}/index.html", site.tags[i].slug, p + 1),
            Page::NotFound => "404.html".into(),
            Page::Search => "search/index.html".into(),
            Page::ArchiveIndex => "archive/index.html".into(),
            Page::Archive(y, m, 0) => format!("{}index.html", crate::urls::archive_dir(y, m)),
            Page::Archive(y, m, p) => format!("{}page/{}/index.html", crate::urls::archive_dir(y, m), p + 1),
            Page::SearchIndex(part) => part.path(),
            Page::EntityPreview(i) => format!("entities/{}/preview.json", site.entities[i].src.id),
            Page::SiteImage => "card.png".into(),
            Page::ArticleImage(i) => format!("articles/{}/card.png", site.articles[i].src.slug),
            Page::QuoteImage(i) => format!("quotes/{}/card.png", site.quotes[i].id),
            Page::Atom => "atom.xml".into(),
            Page::Sitemap => "sitemap.xml".into(),
            Page::SitemapPart(k) => sitemap::part_path(k),
            Page::Robots => "robots.txt".into(),
        }
    }

    /// The page's URL path (`/articles/x/`), for HTML pages.
    pub fn url(&self, site: &Site) -> String {
        let root = site.config.root_path();
        let p = self.path(site);
        match p.strip_suffix("index.html") {
            Some(dir) => format!("{root}{dir}"),
            None => format!("{root}{p}"),
        }
    }
}

/// The date archive's pages: its index (when an article is dated), then
/// every year's and every month's pages, newest first.
fn archive_pages(site: &Site) -> Vec<Page> {
    let months = crate::site::time::archive(site);
    let mut v = Vec::new();
    if !months.is_empty() {
        v.push(Page::ArchiveIndex);
    }
    let pages = |n: usize| 0..site.config.pages_for(n);
    let mut at = 0;
    while at < months.len() {
        let year = months[at].period.year;
        let of_year: Vec<_> = months[at..].iter().take_while(|m| m.period.year == year).collect();
        let n: usize = of_year.iter().map(|m| m.articles.len()).sum();
        v.extend(pages(n).map(|p| Page::Archive(year, 0, p)));
        for m in &of_year {
            v.extend(pages(m.articles.len()).map(|p| Page::Archive(year, m.period.month, p)));
        }
        at += of_year.len();
    }
    v
}

/// A rendering failure: which page and Tera's message.
#[derive(Debug)]
pub struct RenderError {
    pub page: String,
    pub message: String,
    /// Where in the site's own template it failed, when it was one of those.
    pub at: Option<templates::Spot>,
    /// Whether it was the site's header or footer that failed (`layout.rs`): the same error
    /// on every page.
    pub in_layout: bool,
}

impl RenderError {
    /// The diagnostics of a render's failures: one a page, and one in all for the header and
    /// footer, which every page shares. The text of a site's template they point into is put
    /// back in `sources` (which keeps only the files cited after loading).
    pub fn diagnostics(
        errors: impl IntoIterator<Item = RenderError>,
        tera: &Templates,
        sources: &mut crate::diagnostics::Sources,
    ) -> Vec<Diagnostic> {
        const HINT: &str = "a template uses a variable the page does not have; see docs/templates.md";
        const LAYOUT_HINT: &str = "site_header.html and site_footer.html see only `site`, `t` and \
            `current`: what depends on the page goes in base.html (see docs/templates.md)";
        let mut layout_told = false;
        let mut out = Vec::new();
        for e in errors {
            let (file, span) = match e.at {
                Some((file, span)) => {
                    if let Some(text) = tera.source(&file) {
                        sources.insert(&file, text);
                    }
                    (file, Some(span))
                }
                None => (Path::new("templates").to_path_buf(), None),
            };
            if !e.in_layout {
                let message = format!("rendering {} failed: {}", e.page, e.message);
                out.push(Diagnostic::error(file, span, message).with_hint(HINT));
            } else if !std::mem::replace(&mut layout_told, true) {
                let message = format!("rendering the site's header and footer failed: {}", e.message);
                out.push(Diagnostic::error(file, span, message).with_hint(LAYOUT_HINT));
            }
        }
        out
    }
}

/// Renders every page; returns (output path, bytes) sorted by path.
pub fn render_all(site: &Site, tera: &Templates) -> Result<Vec<(String, Vec<u8>)>, Vec<RenderError>> {
    let pages = Page::all(site);
    let t = std::time::Instant::now();
    // (the search index, once, before the pages that read it)
    site.terms.get(site);
    let per_kind = crate::timing::PerKind::default();
    let shared = Shared::new(site);
    let results: Vec<Result<(String, Vec<u8>), RenderError>> = pages
        .par_iter()
        .map(|p| {
            let start = std::time::Instant::now();
            let r = render(site, tera, *p, &shared).map(|b| (p.path(site), b));
            per_kind.add(p.kind_name(), start);
            r
        })
        .collect();
    crate::timing::lap("render (wall)", t);
    per_kind.print();
    let mut ok = Vec::with_capacity(results.len());
    let mut errs = Vec::new();
    for r in results {
        match r {
            Ok(x) => ok.push(x),
            Err(e) => errs.push(e),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    ok.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(ok)
}

/// How many quotes the home page features.
pub const FEATURED_QUOTES: usize = 6;

/// Where a page stands in its paginated list: what templates get as
/// `paginator` (URLs root-relative, with `base_url`'s path).
#[derive(Serialize)]
struct Paginator {
    /// This page's number, from 1.
    number: usize,
    /// How many pages the list takes.
    pages: usize,
    /// How many items the whole list has.
    total: usize,
    first: String,
    last: String,
    previous: Option<String>,
    next: Option<String>,
}

fn paginator(site: &Site, p: usize, total: usize, page: impl Fn(usize) -> Page) -> Paginator {
    let pages = site.config.pages_for(total);
    let url = |k: usize| page(k).url(site);
    Paginator {
        number: p + 1,
        pages,
        total,
        first: url(0),
        last: url(pages - 1),
        previous: p.checked_sub(1).map(url),
        next: Some(p + 1).filter(|&k| k < pages).map(url),
    }
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    root: String,
    base_url: String,
    /// The Atom feed's URL; empty when there is none (no article is dated).
    feed_url: String,
    /// The date archive's URL; empty when there is none (no article is dated).
    archive_url: String,
}

#[derive(Serialize)]
struct PageMeta {
    url: String,
    canonical: String,
    title: String,
    description: String,
    /// schema.org JSON-LD, safe inside its `<script>` (empty: none).
    jsonld_html: String,
    /// The social image (absolute URL when `base_url` is) and its text.
    image: String,
    image_alt: String,
}

/// A rendered page, or the news that its output cannot have changed.
pub struct Rendered {
    /// A hash of everything the page's bytes are made from: the template's
    /// sources and the view given to it (Tera pages), the card's inputs
    /// (images), the bytes themselves (feeds and indexes written directly).
    pub fingerprint: u64,
    /// `None` when `fingerprint` equals the one the caller passed: the bytes
    /// were not made.
    pub bytes: Option<Vec<u8>>,
    /// Where the bytes stand with the card cache (social images only).
    pub card_cache: CardCache,
}

/// Where a rendered social image stands with the card cache
/// (`.glossa-cache/cards/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardCache {
    /// Not a social image, or no cache.
    Out,
    /// Drawn because the cache did not have it: the caller stores it there
    /// with [`store_card`] once it has written the bytes to a file (the
    /// page's `fingerprint` is the cache key).
    Missed,
    /// Read from this file of the cache (its bytes checked against the hash
    /// in its name): the caller may link it into the output instead of
    /// writing the bytes again.
    Hit(std::path::PathBuf),
}

/// Renders one page (a social image not in the card cache is stored there); `shared` as in
/// [`render_changed`].
pub fn render(site: &Site, tera: &Templates, page: Page, shared: &Shared) -> Result<Vec<u8>, RenderError> {
    let r = render_changed(site, tera, page, None, shared)?;
    let bytes = r.bytes.unwrap_or_default();
    if r.card_cache == CardCache::Missed {
        store_card(site, r.fingerprint, crate::files::hash(&bytes), None, &bytes);
    }
    Ok(bytes)
}

/// Renders one page unless its fingerprint is `previous`: the view is made
/// (cheap) and hashed, and Tera (expensive) runs only when it changed. `shared`: made with
/// [`Shared::new`] for the pages rendered together from `site`.
pub fn render_changed(
    site: &Site,
    tera: &Templates,
    page: Page,
    previous: Option<u64>,
    shared: &Shared,
) -> Result<Rendered, RenderError> {
    let unchanged = |fingerprint| Rendered {
        fingerprint,
        bytes: None,
        card_cache: CardCache::Out,
    };
    match prepare(site, page, shared) {
        Prepared::Tera(template, view) => {
            let (strings, strings_hash) = shared.strings(site);
            // (XXH3: every page's view goes through this; SipHash took 2-3% of a build)
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            let parts = (template, tera.fingerprint(template), strings_hash, view.hash());
            std::hash::Hash::hash(&parts, &mut h);
            let fingerprint = std::hash::Hasher::finish(&h);
            if previous == Some(fingerprint) {
                return Ok(unchanged(fingerprint));
            }
            let layout = shared
                .layouts
                .of(site, tera, strings, page)
                .map_err(|(message, at)| RenderError {
                    page: page.path(site),
                    message,
                    at,
                    in_layout: true,
                })?;
            // (the strings and the layout are shared values: each page takes a reference)
            let view = view.with([("t", strings.clone()), ("layout", layout)]);
            dump::context(template, || page.path(site), &view);
            let ctx = view.into_context();
            // (into bytes: `render` would check the UTF-8 it just wrote)
            let mut bytes = Vec::with_capacity(16 * 1024);
            tera.tera.render_to(template, &ctx, &mut bytes).map_err(|e| {
                let (message, at) = tera.failure(&e);
                RenderError {
                    page: page.path(site),
                    message,
                    at,
                    in_layout: false,
                }
            })?;
            Ok(Rendered {
                fingerprint,
                bytes: Some(bytes),
                card_cache: CardCache::Out,
            })
        }
        Prepared::Bytes(bytes) => {
            let fingerprint = crate::files::hash(&bytes);
            if previous == Some(fingerprint) {
                return Ok(unchanged(fingerprint));
            }
            Ok(Rendered {
                fingerprint,
                bytes: Some(bytes),
                card_cache: CardCache::Out,
            })
        }
        Prepared::Card(key, make) => {
            let fingerprint = card_key(&key);
            if previous == Some(fingerprint) {
                return Ok(unchanged(fingerprint));
            }
            let (bytes, card_cache) = cached_card(site, fingerprint, make);
            Ok(Rendered {
                fingerprint,
                bytes: Some(bytes),
                card_cache,
            })
        }
    }
}

/// A page's inputs, before the expensive step.
enum Prepared<'a> {
    /// A template and its view.
    Tera(&'static str, PageContext),
    /// Bytes made directly (feeds, sitemap, search index).
    Bytes(Vec<u8>),
    /// A social image: its inputs and how to draw it.
    Card(Vec<String>, Box<dyn FnOnce() -> Vec<u8> + 'a>),
}

fn prepare<'s>(site: &'s Site, page: Page, shared: &Shared) -> Prepared<'s> {
    let cfg = &site.config;
    let urls = Urls { root: cfg.root_path() };
    let v = Views {
        site,
        urls: &urls,
        t: &site.strings,
        shared,
    };
    match page {
        Page::SearchIndex(part) => Prepared::Bytes(search::file(site, &urls, part)),
        Page::EntityPreview(i) => Prepared::Bytes(v.entity_preview_json(i).into_bytes()),
        Page::SiteImage | Page::ArticleImage(_) | Page::QuoteImage(_) => card_of(site, &urls, page),
        Page::Atom => Prepared::Bytes(atom(site, &urls).into_bytes()),
        Page::Sitemap => Prepared::Bytes(sitemap::file(site, None).into_bytes()),
        Page::SitemapPart(k) => Prepared::Bytes(sitemap::file(site, Some(k)).into_bytes()),
        Page::Robots => Prepared::Bytes(
            format!(
                "User-agent: *\nAllow: /\nSitemap: {}\n",
                cfg.absolute(&format!("{}sitemap.xml", urls.root))
            )
            .into_bytes(),
        ),
        _ => {
            let (template, ctx) = template_page(&v, page);
            Prepared::Tera(template, ctx)
        }
    }
}

/// The site as every template sees it (`site`).
fn site_view<'s>(site: &'s Site, urls: &Urls) -> SiteView<'s> {
    let cfg = &site.config;
    SiteView {
        title: &cfg.title,
        description: &cfg.description,
        language: &cfg.language,
        root: urls.root.clone(),
        base_url: cfg.absolute(&urls.root),
        feed_url: if has_feed(site) {
            format!("{}atom.xml", urls.root)
        } else {
            String::new()
        },
        archive_url: match has_feed(site) {
            true => urls.archive(),
            false => String::new(),
        },
    }
}

/// A page's `<head>` facts: its URL, title and description (the site's
/// when empty), and the site's card as its image (or none, by `cards`).
fn meta(site: &Site, urls: &Urls, url: &str, title: String, description: String) -> PageMeta {
    let cfg = &site.config;
    PageMeta {
        canonical: cfg.absolute(url),
        url: url.to_string(),
        title,
        description: if description.is_empty() {
            cfg.description.clone()
        } else {
            description
        },
        jsonld_html: String::new(),
        // the site's card, or none
        image: match cfg.cards.site() {
            true => cfg.absolute(&format!("{}card.png", urls.root)),
            false => String::new(),
        },
        image_alt: cfg.title.clone(),
    }
}

impl PageMeta {
    fn with_image(mut self, image: String, alt: String) -> PageMeta {
        self.image = image;
        self.image_alt = alt;
        self
    }

    fn with_ld(mut self, v: serde_json::Value) -> PageMeta {
        self.jsonld_html = jsonld::to_script_text(&v);
        self
    }
}

/// A page made with a template: which one, and its context.
fn template_page(v: &Views<'_>, page: Page) -> (&'static str, PageContext) {
    let (site, urls, t) = (v.site, v.urls, v.t);
    let cfg = &site.config;
    let url = page.url(site);
    let meta = |title: String, description: String| meta(site, urls, &url, title, description);
    let mut ctx = PageContext::default();
    ctx.insert("site", &site_view(site, urls));
    // (and `t`, the UI strings: `render_changed` adds them)
    let template = match page {
        Page::Home(p) => {
            ctx.insert(
                "page",
                &meta(cfg.title.clone(), cfg.description.clone()).with_ld(jsonld::website(site, urls)),
            );
            home(v, &mut ctx, p);
            "index.html"
        }
        Page::Article(i) => {
            let a = &site.articles[i];
            ctx.insert(
                "page",
                &article_meta(
                    v,
                    meta(a.src.title.clone(), a.src.description.clone().unwrap_or_default()),
                    i,
                ),
            );
            ctx.insert("article", &v.article(i));
            ctx.insert("preview_json", &v.preview_json(i));
            "article.html"
        }
        Page::Entity(i, p) => {
            let e = &site.entities[i];
            ctx.insert(
                "page",
                &meta(e.src.name.clone(), e.summary.clone()).with_ld(jsonld::entity(site, urls, i)),
            );
            ctx.insert("entity", &v.entity(i, p));
            // (the graph with the quotes and related entities, on the first page)
            ctx.insert("graph_svg", &if p == 0 { v.local_graph(i) } else { String::new() });
            let groups = e.mentioning_articles();
            ctx.insert("paginator", &paginator(site, p, groups, |p| Page::Entity(i, p)));
            "entity.html"
        }
        Page::EntityIndex => {
            ctx.insert("page", &meta(t.entities.to_string(), String::new()));
            ctx.insert("groups", &v.entity_groups());
            ctx.insert("graph_svg", &v.site_graph());
            "entities.html"
        }
        Page::Quote(i) => {
            let q = &site.quotes[i];
            let speaker = &site.entities[q.speaker].src.name;
            let m = meta(
                format!("{speaker}: “{}”", crate::text::truncate_words(&q.text, 60)),
                q.text.clone(),
            );
            ctx.insert("page", &quote_meta(v, m, i));
            ctx.insert("quote", &v.quote_card(i));
            "quote.html"
        }
        Page::QuoteIndex(p) => {
            ctx.insert("page", &meta(t.quotes.to_string(), String::new()));
            let n = site.quotes.len();
            ctx.insert(
                "quotes",
                &cfg.page_range(n, p).map(|i| v.quote_card(i)).collect::<Vec<_>>(),
            );
            ctx.insert("paginator", &paginator(site, p, n, Page::QuoteIndex));
            "quotes.html"
        }
        Page::Tag(i, p) => {
            ctx.insert("page", &meta(site.tags[i].name.clone(), String::new()));
            tag(v, &mut ctx, i, p);
            "tag.html"
        }
        Page::TagIndex => {
            ctx.insert("page", &meta(t.tags.to_string(), String::new()));
            ctx.insert("tags", &tags(v));
            "tags.html"
        }
        Page::ArchiveIndex => {
            ctx.insert("page", &meta(t.archive.clone(), String::new()));
            ctx.insert("years", &time::archive_years(v));
            "archive.html"
        }
        Page::Archive(year, month, p) => {
            let period = crate::site::time::Period { year, month };
            let title = format!("{}: {}", t.archive, time::period_label(v, period));
            ctx.insert("page", &meta(title, String::new()));
            time::archive_page(v, &mut ctx, period, p);
            "archive_period.html"
        }
        Page::NotFound => {
            ctx.insert("page", &meta(t.not_found.to_string(), String::new()));
            "404.html"
        }
        Page::Search => {
            ctx.insert("page", &meta(t.search.to_string(), String::new()));
            // the index's layout; its other files are named from there
            ctx.insert("search_index_url", &format!("{}{}", urls.root, SearchPart::Meta.path()));
            let labels = serde_json::json!({
                "a": t.articles, "e": t.entities, "q": t.quotes, "found": t.search_found, "none": t.search_none,
                "more": t.search_more,
            });
            ctx.insert("search_labels", &labels.to_string());
            "search.html"
        }
        _ => unreachable!("{page:?} is not made with a template (see prepare)"),
    };
    (template, ctx)
}

/// The home page's lists: page `p` of the articles, and on the first page
/// the featured quotes and the entities in the news.
fn home(v: &Views<'_>, ctx: &mut PageContext, p: usize) {
    let site = v.site;
    let n = site.articles.len();
    ctx.insert(
        "articles",
        &site
            .config
            .page_range(n, p)
            .map(|i| v.article_item(i))
            .collect::<Vec<_>>(),
    );
    ctx.insert("paginator", &paginator(site, p, n, Page::Home));
    // (on the first page only)
    let featured: Vec<QuoteCard> = match p {
        0 => (0..site.quotes.len().min(FEATURED_QUOTES))
            .map(|i| v.quote_card(i))
            .collect(),
        _ => Vec::new(),
    };
    ctx.insert("featured_quotes", &featured);
    ctx.insert("in_the_news", &if p == 0 { time::news(v) } else { Default::default() });
}

/// An article page's meta: its own card, or the site's (or none) from
/// `m`, and its JSON-LD naming that image.
fn article_meta(v: &Views<'_>, m: PageMeta, i: usize) -> PageMeta {
    let (site, urls) = (v.site, v.urls);
    let cfg = &site.config;
    let a = &site.articles[i];
    let (m, image) = match cfg.cards.articles() {
        true => {
            let image = cfg.absolute(&format!("{}card.png", urls.article(&a.src.slug)));
            (m.with_image(image.clone(), a.src.title.clone()), Some(image))
        }
        false => {
            let image = Some(m.image.clone()).filter(|i| !i.is_empty());
            (m, image)
        }
    };
    m.with_ld(jsonld::article(site, urls, i, image.as_deref()))
}

/// A quote page's meta: its own card (or none), and its JSON-LD.
fn quote_meta(v: &Views<'_>, m: PageMeta, i: usize) -> PageMeta {
    let (site, urls) = (v.site, v.urls);
    let cfg = &site.config;
    let q = &site.quotes[i];
    let speaker = &site.entities[q.speaker].src.name;
    let (m, image) = match cfg.cards.quotes() {
        true => {
            let image = cfg.absolute(&format!("{}card.png", urls.quote(&q.id)));
            (
                m.with_image(image.clone(), format!("“{}” — {speaker}", q.text)),
                Some(image),
            )
        }
        false => (m, None),
    };
    m.with_ld(jsonld::quote(site, urls, i, image.as_deref()))
}

/// Page `p` of tag `i`'s articles.
fn tag(v: &Views<'_>, ctx: &mut PageContext, i: usize, p: usize) {
    let (site, urls) = (v.site, v.urls);
    let tag = &site.tags[i];
    ctx.insert(
        "tag",
        &TagItem {
            name: tag.name.clone(),
            url: urls.tag(&tag.slug),
            count: tag.articles.len(),
        },
    );
    let n = tag.articles.len();
    ctx.insert(
        "articles",
        &tag.articles[site.config.page_range(n, p)]
            .iter()
            .map(|&a| v.article_item(a))
            .collect::<Vec<_>>(),
    );
    ctx.insert("paginator", &paginator(site, p, n, |p| Page::Tag(i, p)));
}

/// Every tag, in the site language's alphabetical order.
fn tags(v: &Views<'_>) -> Vec<TagItem> {
    let mut tags: Vec<TagItem> = v
        .site
        .tags
        .iter()
        .map(|tag| TagItem {
            name: tag.name.clone(),
            url: v.urls.tag(&tag.slug),
            count: tag.articles.len(),
        })
        .collect();
    let alpha = crate::text::Alphabet::new(&v.site.config.language);
    tags.sort_by(|a, b| alpha.compare(&a.name, &b.name));
    tags
}

/// A share card: what it is drawn from (the card cache's key) and how.
fn card_of<'s>(site: &'s Site, urls: &Urls, page: Page) -> Prepared<'s> {
    let cfg = &site.config;
    let t = &site.strings;
    match page {
        Page::ArticleImage(i) => {
            let a = &site.articles[i];
            // "date · source", either may be missing
            let sub = [a.src.date.as_deref().map(|d| t.format_date(d)), a.src.source.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            let key = ["title", &a.src.title, &sub, &cfg.title].map(String::from).to_vec();
            Prepared::Card(key, Box::new(move || card::title_card(&a.src.title, &sub, &cfg.title)))
        }
        Page::QuoteImage(i) => {
            let q = &site.quotes[i];
            let speaker = &site.entities[q.speaker].src.name;
            let key = ["quote", &q.text, speaker, &cfg.title].map(String::from).to_vec();
            Prepared::Card(key, Box::new(move || card::quote_card(&q.text, speaker, &cfg.title)))
        }
        _ => {
            let host = cfg.absolute(&urls.root);
            let footer = host
                .split_once("://")
                .map_or(cfg.title.as_str(), |(_, h)| h.trim_end_matches('/'));
            let key = ["site", &cfg.title, &cfg.description, footer]
                .map(String::from)
                .to_vec();
            let footer = footer.to_string();
            Prepared::Card(
                key,
                Box::new(move || card::title_card(&cfg.title, &cfg.description, &footer)),
            )
        }
    }
}

/// The cache key of a social image: the renderer version and every input.
fn card_key(key: &[String]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&(card::RENDER_VERSION, key), &mut h);
    std::hash::Hasher::finish(&h)
}

/// A social image from the content-addressed cache (`.glossa-cache/cards/`,
/// keyed by the renderer version and every input), or rendered on a miss —
/// which the caller then stores ([`store_card`]). Rendering is
/// deterministic, so a hit gives the same bytes; the cache only saves time
/// (cards are the slowest thing a large site renders).
fn cached_card(site: &Site, key: u64, render: impl FnOnce() -> Vec<u8>) -> (Vec<u8>, CardCache) {
    let Some(folder) = card_folder(site) else {
        return (render(), CardCache::Out);
    };
    if let Some(&digest) = folder.stored.get(&key) {
        let file = card_path(&folder.dir, key, digest);
        match std::fs::read(&file) {
            // (its bytes checked: the file may be an output's too, changed since)
            Ok(bytes) if crate::files::hash(&bytes) == digest => return (bytes, CardCache::Hit(file)),
            Ok(_) => {
                let _ = std::fs::remove_file(&file);
            }
            Err(_) => {}
        }
    }
    let cache = if folder.made { CardCache::Missed } else { CardCache::Out };
    (render(), cache)
}

/// The card cache's folder as the first image looked up found it, listed
/// (`None` without a cache). A temporary file a process left there (it
/// stopped between writing a card and renaming it, [`store_card`]) is
/// removed once it is older than any write in progress can be.
fn card_folder(site: &Site) -> Option<&crate::site::CardFolder> {
    let dir = site.cache_dir.as_ref()?.join("cards");
    Some(site.card_folder.get_or_init(|| {
        let stored = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name();
                    let name = name.to_str()?;
                    if is_card_temporary(name) && is_stale(&e) {
                        let _ = std::fs::remove_file(e.path());
                    }
                    parse_card_name(name)
                })
                .collect(),
            Err(_) => Default::default(),
        };
        let made = dir.is_dir() || std::fs::create_dir_all(&dir).is_ok();
        crate::site::CardFolder { dir, made, stored }
    }))
}

/// The card cache's files that are no image of the output: `images` gives
/// the hashes of the output's images (the new output's, once it is
/// committed). Only the files listed when this build first looked a card up
/// are candidates; a build that looked none up has none, and does not go
/// through `images`.
pub fn unused_cards(site: &Site, images: impl Iterator<Item = u64>) -> UnusedCards {
    let Some(folder) = site.card_folder.get() else {
        return UnusedCards::default();
    };
    let used: std::collections::HashSet<u64> = images.collect();
    UnusedCards {
        dir: folder.dir.clone(),
        cards: folder
            .stored
            .iter()
            .filter(|(_, digest)| !used.contains(digest))
            .map(|(&key, &digest)| (key, digest))
            .collect(),
    }
}

/// Cards in the card cache that the output does not show ([`unused_cards`]), by their key and
/// hash. They are found while the graph is still held, when a build's memory peaks: as a path
/// each (some 100 bytes), the 122,810 of a change every card shows at 50,000 articles took that
/// peak from 486–488 MB to 505 MB (docs/performance-history.md, stop 53).
#[derive(Default)]
pub struct UnusedCards {
    dir: std::path::PathBuf,
    cards: Vec<(u64, u64)>,
}

impl UnusedCards {
    pub fn len(&self) -> usize {
        self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }

    /// Removes their files (in parallel; one that cannot be removed stays).
    pub fn remove(&self) {
        use rayon::prelude::*;
        self.cards.par_iter().for_each(|&(key, digest)| {
            let _ = std::fs::remove_file(card_path(&self.dir, key, digest));
        });
    }
}

/// How old a card's temporary file must be to be taken for a leftover: a
/// write and its rename take microseconds, so none in progress is this old.
const CARD_TEMPORARY_STALE: std::time::Duration = std::time::Duration::from_secs(600);

/// `KEY-HASH.tmpPID`: a card being written ([`store_card`]).
fn is_card_temporary(name: &str) -> bool {
    name.rsplit_once(".tmp")
        .is_some_and(|(card, pid)| pid.bytes().all(|b| b.is_ascii_digit()) && parse_card_stem(card).is_some())
}

/// Whether the folder entry was last modified longer ago than
/// [`CARD_TEMPORARY_STALE`] (not when that cannot be told).
fn is_stale(entry: &std::fs::DirEntry) -> bool {
    let modified = entry.metadata().and_then(|m| m.modified());
    modified.is_ok_and(|t| t.elapsed().is_ok_and(|age| age > CARD_TEMPORARY_STALE))
}

/// `KEY-HASH.png` (each 16 hex digits) → (key, hash).
fn parse_card_name(name: &str) -> Option<(u64, u64)> {
    parse_card_stem(name.strip_suffix(".png")?)
}

/// `KEY-HASH` (a card's name without its extension) → (key, hash).
fn parse_card_stem(stem: &str) -> Option<(u64, u64)> {
    let (key, digest) = stem.split_once('-')?;
    let hex = |s: &str| (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok()).flatten();
    Some((hex(key)?, hex(digest)?))
}

/// The card cache's file for `key` with bytes of hash `digest`, in `dir` (the cache's folder).
fn card_path(dir: &std::path::Path, key: u64, digest: u64) -> std::path::PathBuf {
    dir.join(format!("{key:016x}-{digest:016x}.png"))
}

/// Stores a social image in the card cache (`key`: its cache key, `digest`:
/// [`crate::files::hash`] of its bytes). When the bytes were just written
/// to a file (`written`: the output's staged copy), the cache entry is a
/// hard link to it: no second copy of every card written at a cold build
/// (and a card taken from the cache is linked into the output the same
/// way, [`CardCache::Hit`]). The output is only ever replaced by renaming
/// (`output::write`); a file changed in place afterwards (an image
/// optimiser run on the output) no longer matches the hash in its cache
/// name and is not used. Else (no file, or no link across file systems)
/// the bytes are written, then renamed into place so a concurrent build
/// never reads half a file. A failure only leaves the cache without the
/// image (and a process stopped between the two, a temporary file that a
/// later build removes when it lists the cache).
pub fn store_card(site: &Site, key: u64, digest: u64, written: Option<&std::path::Path>, bytes: &[u8]) {
    let Some(folder) = card_folder(site).filter(|f| f.made) else {
        return;
    };
    let file = card_path(&folder.dir, key, digest);
    if let Some(from) = written {
        match std::fs::hard_link(from, &file) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return,
            Err(_) => {} // (another file system, say: copied)
        }
    }
    let tmp = file.with_extension(format!("tmp{}", crate::files::process_id()));
    // (a write that fails — a full disk — or a rename that does leaves no temporary file)
    if std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, &file))
        .is_err()
    {
        let _ = std::fs::remove_file(&tmp);
    }
}

pub use crate::anchor::article::MENTION_CONTEXT;

/// How many of the newest articles the Atom feed carries (in full).
pub const FEED_ENTRIES: usize = 50;

/// Whether the site has a feed: an Atom entry needs a date, so undated
/// articles are not in it, and a site with no dated article has none
/// (rather than a feed with a made-up `<updated>`).
pub fn has_feed(site: &Site) -> bool {
    site.articles.first().is_some_and(|a| a.src.date.is_some())
}

/// The articles the feed carries: the newest dated ones (which come first
/// in the site's order).
pub fn feed_articles(site: &Site) -> impl Iterator<Item = (usize, &str)> {
    site.articles
        .iter()
        .enumerate()
        .map_while(|(i, a)| Some((i, a.src.date.as_deref()?)))
        .take(FEED_ENTRIES)
}

fn atom(site: &Site, urls: &Urls) -> String {
    let cfg = &site.config;
    // (the newest, the first)
    let updated = feed_articles(site).map(|(_, d)| rfc3339(d)).max().unwrap_or_default();
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"");
    s.push_str(&format!(" xml:lang=\"{}\">\n", escape_html(&cfg.language)));
    s.push_str(&format!("<title>{}</title>\n", escape_html(&cfg.title)));
    let home = cfg.absolute(&urls.root);
    s.push_str(&format!("<link href=\"{}\"/>\n", escape_html(&home)));
    s.push_str(&format!(
        "<link rel=\"self\" href=\"{}\"/>\n",
        escape_html(&cfg.absolute(&format!("{}atom.xml", urls.root)))
    ));
    s.push_str(&format!(
        "<id>{}</id>\n<updated>{updated}</updated>\n",
        escape_html(&home)
    ));
    for (i, date) in feed_articles(site) {
        let a = &site.articles[i];
        let link = cfg.absolute(&urls.article(&a.src.slug));
        s.push_str("<entry>\n");
        s.push_str(&format!("<title>{}</title>\n", escape_html(&a.src.title)));
        s.push_str(&format!(
            "<link href=\"{}\"/>\n<id>{}</id>\n",
            escape_html(&link),
            escape_html(&link)
        ));
        s.push_str(&format!("<updated>{}</updated>\n", rfc3339(date)));
        let authors = if a.src.authors.is_empty() {
            vec![cfg.title.clone()]
        } else {
            a.src.authors.clone()
        };
        for au in authors {
            s.push_str(&format!("<author><name>{}</name></author>\n", escape_html(&au)));
        }
        if let Some(d) = &a.src.description {
            s.push_str(&format!("<summary>{}</summary>\n", escape_html(d)));
        }
        s.push_str(&format!(
            "<content type=\"html\">{}</content>\n",
            escape_html(&a.body_html.unpack())
        ));
        s.push_str("</entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

/// `2026-11-28` → `2026-11-28T00:00:00Z`; full date-times pass through.
fn rfc3339(date: &str) -> String {
    if date.len() == 10 {
        format!("{date}T00:00:00Z")
    } else {
        date.replace(' ', "T")
    }
}

#[cfg(test)]
mod tests {
    /// A large site's pages make what they show of each article and quote again instead of
    /// sharing it ([`super::Shared`]): the example site rendered both ways, page by page, the
    /// same bytes (its social images and search files left out: they share nothing).
    #[test]
    fn pages_that_share_nothing_are_the_pages_that_share() {
        let site_dir = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for entry in walkdir::WalkDir::new(root.join("content")) {
            let entry = entry.unwrap();
            let to = site_dir.path().join(entry.path().strip_prefix(root).unwrap());
            match entry.file_type().is_dir() {
                true => std::fs::create_dir_all(&to).unwrap(),
                false => drop(std::fs::copy(entry.path(), &to).unwrap()),
            }
        }
        std::fs::copy(root.join("glossa.toml"), site_dir.path().join("glossa.toml")).unwrap();
        let (mut diags, mut sources) = Default::default();
        let site = crate::site::load(
            site_dir.path(),
            &Default::default(),
            None,
            None,
            false,
            super::card::undrawable_in_quote,
            &mut diags,
            &mut sources,
        );
        let tera = super::templates::load(site_dir.path(), &mut diags, &mut sources).unwrap();
        assert!(!diags.has_errors(), "{diags:?}");
        let (shared, unshared) = (super::Shared::new(&site), super::Shared::as_if_large(&site));
        let mut compared = 0;
        for page in super::Page::all(&site) {
            if matches!(page.kind_name(), "image" | "search index") {
                continue;
            }
            let one = super::render(&site, &tera, page, &shared).unwrap();
            let other = super::render(&site, &tera, page, &unshared).unwrap();
            assert!(one == other, "{} differs", page.path(&site));
            compared += 1;
        }
        assert!(compared > 50, "{compared} pages");
    }
}
