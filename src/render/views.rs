//! The views templates get: small structs made for one page from the site
//! graph (see `docs/templates.md`), never the graph itself.
//!
//! Stage 4 of the pipeline: rendering.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;

use crate::content::EntityKind;
use crate::i18n::Strings;
use crate::site::Site;
use crate::site::time::Timeline;
use crate::text::context;
use crate::text::{Alphabet, json_for_script};
use crate::urls::Urls;

pub struct Views<'a> {
    pub site: &'a Site,
    pub urls: &'a Urls,
    pub t: &'a Strings,
    /// What the pages of this render share of each article, quote and entity.
    pub shared: &'a Shared,
}

/// What many pages of one render show of the same article, quote or entity — its links and
/// dates, a quote's words around it — made by the first page that needs it and lent to the
/// views of the others. An article's item is in its related articles' pages, on the entity
/// pages of what it mentions, on its tags' and month's pages; a quote's card on its article's
/// page, its own, the quote index and the entity pages of who said it and whom it names —
/// made page by page, they cost a cold build 1.8% more instructions
/// (`docs/performance-history.md`, stop 41).
///
/// Made for one render (a build, or a patch of the pages an edit changed) from the graph it
/// renders, and dropped with it: nothing in it outlives the graph it was made from.
///
/// It holds all it made to the end of the render, so on a large site (more than
/// [`ARTICLES_KEPT_MAX`] articles or [`QUOTES_KEPT_MAX`] quotes) it holds nothing of the articles
/// and quotes, and each page makes what it shows of them again: at 50,000 articles they came to
/// about 90 MB (the quotes' links and surrounding words 59 MB and their slots 13 MB, the
/// articles' 17 MB), and a cold build's peak to 531 MB against 469 MB before they were kept.
pub struct Shared {
    /// One for each article and quote, or none on a large site.
    articles: Box<[OnceLock<ArticleShared>]>,
    quotes: Box<[OnceLock<QuoteShared>]>,
    entity_urls: Box<[OnceLock<String>]>,
    /// The timeline of each entity of more than one page, made from all its mentions once, not
    /// once a page (each page of the largest entities went through all their mentions again);
    /// an entity of one page keeps none.
    timelines: Box<[OnceLock<Timeline>]>,
    /// The site's header and footer, rendered once for the render's pages.
    pub layouts: super::layout::Layouts,
    /// The UI strings as every template sees them (`t`), and their hash: made once, by the
    /// first page rendered, and shared by every page (a Tera value is shared, not copied).
    strings: OnceLock<(tera::Value, u64)>,
}

/// The most articles whose links and dates a render keeps ([`Shared`]).
pub const ARTICLES_KEPT_MAX: usize = 20_000;
/// The most quotes whose links and surrounding words a render keeps ([`Shared`]): about
/// 35 MB of them. The 10,000-article bench site has 24,639 quotes, the 50,000-article one
/// 122,809.
pub const QUOTES_KEPT_MAX: usize = 50_000;

#[derive(Clone)]
struct ArticleShared {
    url: String,
    date: String,
    date_display: String,
    /// Each tag's URL, in the order of the article's tags.
    tag_urls: Vec<String>,
}

struct QuoteShared {
    url: String,
    anchor_url: String,
    before: String,
    after: String,
}

impl Shared {
    /// Whether `site` is too large for a render to keep what its pages share of its articles and
    /// quotes: more than [`ARTICLES_KEPT_MAX`] articles or [`QUOTES_KEPT_MAX`] quotes.
    pub fn large(site: &Site) -> bool {
        site.articles.len() > ARTICLES_KEPT_MAX || site.quotes.len() > QUOTES_KEPT_MAX
    }

    /// A render's sharing as on a large site, whatever the size of `site` (for the tests).
    #[cfg(test)]
    pub(crate) fn as_if_large(site: &Site) -> Shared {
        Shared {
            articles: Box::default(),
            quotes: Box::default(),
            ..Shared::new(site)
        }
    }

    /// Nothing made yet, room for everything in `site` (for its entities alone on a large site).
    pub fn new(site: &Site) -> Shared {
        fn slots<T>(n: usize) -> Box<[OnceLock<T>]> {
            (0..n).map(|_| OnceLock::new()).collect()
        }
        let large = Shared::large(site);
        Shared {
            articles: slots(if large { 0 } else { site.articles.len() }),
            quotes: slots(if large { 0 } else { site.quotes.len() }),
            entity_urls: slots(site.entities.len()),
            timelines: slots(site.entities.len()),
            layouts: Default::default(),
            strings: OnceLock::new(),
        }
    }

    /// The UI strings' template value (`t`) and its hash (see [`Shared`]).
    pub fn strings(&self, site: &Site) -> &(tera::Value, u64) {
        self.strings.get_or_init(|| {
            let v = tera::Value::from_serializable(&site.strings);
            let h = super::context::hash_values([("t", &v)]);
            (v, h)
        })
    }
}

#[derive(Serialize, Clone)]
pub struct TagItem {
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize, Clone)]
pub struct TagLink<'a> {
    pub name: &'a str,
    pub url: Cow<'a, str>,
}

#[derive(Serialize, Clone)]
pub struct ArticleItem<'a> {
    pub title: &'a str,
    pub url: Cow<'a, str>,
    pub date: Cow<'a, str>,
    pub date_display: Cow<'a, str>,
    pub description: &'a str,
    pub tags: Vec<TagLink<'a>>,
}

#[derive(Serialize, Clone)]
pub struct EntityItem<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub url: &'a str,
    pub kind: &'static str,
    pub kind_label: &'a str,
    pub summary: &'a str,
    pub count: usize,
}

#[derive(Serialize, Clone)]
pub struct SpeakerRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub url: &'a str,
    pub kind_label: &'a str,
}

#[derive(Serialize, Clone)]
pub struct ArticleRef<'a> {
    pub title: &'a str,
    pub url: Cow<'a, str>,
    pub date: Cow<'a, str>,
    pub date_display: Cow<'a, str>,
}

#[derive(Serialize, Clone)]
pub struct QuoteCard<'a> {
    pub id: &'a str,
    pub url: Cow<'a, str>,
    pub text: &'a str,
    pub speaker: SpeakerRef<'a>,
    pub article: ArticleRef<'a>,
    pub anchor_url: Cow<'a, str>,
    pub before: Cow<'a, str>,
    pub after: Cow<'a, str>,
}

#[derive(Serialize)]
pub struct NoteView<'a> {
    pub number: usize,
    pub id: &'a str,
    pub body_html: &'a str,
}

#[derive(Serialize)]
pub struct RelatedArticle<'a> {
    #[serde(flatten)]
    pub item: ArticleItem<'a>,
    pub shared: Vec<String>,
}

#[derive(Serialize)]
pub struct ArticleView<'a> {
    #[serde(flatten)]
    pub item: ArticleItem<'a>,
    /// Its month's archive page (empty when undated): the date links there.
    pub archive_url: String,
    /// The article's own language when it differs from the site's.
    pub lang: &'a str,
    pub authors: &'a [String],
    pub source: &'a str,
    pub source_url: &'a str,
    pub source_entity_url: &'a str,
    pub via: &'a str,
    pub via_entity_url: &'a str,
    pub body_html: String,
    pub entities: Vec<EntityItem<'a>>,
    pub quotes: Vec<QuoteCard<'a>>,
    pub notes: Vec<NoteView<'a>>,
    pub related: Vec<RelatedArticle<'a>>,
}

#[derive(Serialize)]
pub struct RelationView<'a> {
    pub label: String,
    pub other: EntityItem<'a>,
}

#[derive(Serialize)]
pub struct MentionContext {
    pub before: String,
    pub text: String,
    pub after: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct MentionGroup<'a> {
    pub article: ArticleItem<'a>,
    pub mentions: Vec<MentionContext>,
    /// On the first group of a period: the period (its heading); else
    /// null. Undated articles' groups are in none.
    pub period: Option<super::time::PeriodHead>,
    /// Whether it is in a period, and the last group of it.
    pub in_period: bool,
    pub period_end: bool,
}

#[derive(Serialize)]
pub struct RelatedEntity<'a> {
    #[serde(flatten)]
    pub item: EntityItem<'a>,
    pub weight: f64,
}

#[derive(Serialize)]
pub struct EntityView<'a> {
    #[serde(flatten)]
    pub item: EntityItem<'a>,
    pub aliases: &'a [String],
    pub description_html: &'a str,
    pub wikidata: &'a str,
    pub wikidata_url: String,
    pub external_url: &'a str,
    pub relations: Vec<RelationView<'a>>,
    pub mention_groups: Vec<MentionGroup<'a>>,
    /// The mention list's runs by period: `mention_groups[start..end]`.
    pub mention_periods: Vec<super::time::MentionPeriod>,
    /// Its mentions over time: the chart and its counts.
    pub timeline: super::time::TimelineView,
    /// Quotes it said (site order).
    pub quotes: Vec<QuoteCard<'a>>,
    /// Quotes it said or that mention it, by period, newest first.
    pub quote_periods: Vec<super::time::QuotePeriod<'a>>,
    pub related: Vec<RelatedEntity<'a>>,
    /// The articles that name the entity without a mention in their text (those with one are
    /// in `mention_groups`, with their description and tags).
    pub articles: Vec<ArticleItem<'a>>,
}

#[derive(Serialize)]
pub struct EntityGroup<'a> {
    pub kind: &'static str,
    pub label: String,
    pub entities: Vec<EntityItem<'a>>,
}

/// What an article page carries of each entity it mentions, for the hover
/// preview; the summary is fetched from the entity's `preview.json` (so an
/// edited summary re-writes one small file, not every article naming it).
#[derive(Serialize)]
struct Preview<'a> {
    name: &'a str,
    kind_label: String,
    url: &'a str,
}

/// The weight of an entity's dot in a local graph: its mention count (+1)
/// rounded down to a power of two, so a graph shows orders of magnitude and
/// one more mention does not redraw every neighbour's graph.
pub fn dot_scale(mentions: usize) -> f64 {
    (1u64 << (mentions as u64 + 1).ilog2()) as f64
}

impl<'a> Views<'a> {
    /// The whole entity graph, as inline SVG: the entities with an edge (one
    /// with none would only push the others into a corner), renumbered in
    /// the site's order, and every edge among them. Made from the site's
    /// edges in one pass: at 50,000 articles they are 517,885 (16.6 MB as
    /// drawing edges), and a copy of them all, then a second one grown edge
    /// by edge for the connected entities, had added about 40 MB while this
    /// page rendered (docs/performance-history.md, stop 46).
    pub fn site_graph(&self) -> String {
        use crate::render::entity_graph::{Edge, Node};
        let site = self.site;
        let mut connected = vec![false; site.entities.len()];
        for e in &site.entity_edges {
            connected[e.a] = true;
            connected[e.b] = true;
        }
        // (each connected entity's number in the graph)
        let mut index = vec![usize::MAX; site.entities.len()];
        let mut nodes = Vec::new();
        for i in (0..site.entities.len()).filter(|&i| connected[i]) {
            index[i] = nodes.len();
            let e = &site.entities[i];
            nodes.push(Node {
                label: e.src.name.clone(),
                url: self.urls.entity(&e.src.id),
                kind: e.src.kind.as_str().to_string(),
                weight: e.mentions.len() as f64 + 1.0,
            });
        }
        if nodes.len() < 2 {
            return String::new();
        }
        let edges: Vec<Edge> = site
            .entity_edges
            .iter()
            .map(|e| Edge {
                a: index[e.a],
                b: index[e.b],
                weight: e.weight,
                relation: e.relation,
            })
            .collect();
        crate::render::entity_graph::layout_svg(
            &nodes,
            &edges,
            &crate::render::entity_graph::Options {
                title: self.t.entity_graph.to_string(),
                id_prefix: "site-graph".into(),
                ..Default::default()
            },
        )
    }

    /// Entity `i` and its strongest neighbours, as inline SVG. Built from
    /// the site's adjacency lists, so each page touches only the edges of
    /// the dozen entities it shows, not the whole graph.
    pub fn local_graph(&self, i: usize) -> String {
        let keep = self.site.local_graph_members(i);
        if keep.len() < 2 {
            return String::new();
        }
        let nodes: Vec<crate::render::entity_graph::Node> = keep
            .iter()
            .map(|&k| {
                let e = &self.site.entities[k];
                crate::render::entity_graph::Node {
                    label: e.src.name.clone(),
                    url: self.urls.entity(&e.src.id),
                    kind: e.src.kind.as_str().to_string(),
                    weight: dot_scale(e.mentions.len()),
                }
            })
            .collect();
        // (each edge once)
        let edges: Vec<crate::render::entity_graph::Edge> = self
            .site
            .local_graph_edges(&keep)
            .into_iter()
            .filter(|&(a, b, _, _)| b > a)
            .map(|(a, b, weight, relation)| crate::render::entity_graph::Edge { a, b, weight, relation })
            .collect();
        crate::render::entity_graph::layout_svg(
            &nodes,
            &edges,
            &crate::render::entity_graph::Options {
                width: 640.0,
                height: 420.0,
                highlight: Some(0),
                title: format!("{}: {}", self.t.entity_graph, self.site.entities[i].src.name),
                id_prefix: "local-graph".into(),
                ..Default::default()
            },
        )
    }

    /// An article's `date` (ISO, the day) and `date_display`: both empty
    /// for an undated article.
    fn dates(&self, date: Option<&str>) -> (String, String) {
        match date {
            Some(d) => (d.get(..10).unwrap_or(d).to_string(), self.t.format_date(d)),
            None => (String::new(), String::new()),
        }
    }

    /// What the pages share of article `i` (made now if no page made it yet; made for this page
    /// alone on a site too large to keep it).
    fn article_shared(&self, i: usize) -> Cow<'a, ArticleShared> {
        let make = || {
            let a = &self.site.articles[i];
            let (date, date_display) = self.dates(a.src.date.as_deref());
            ArticleShared {
                url: self.urls.article(&a.src.slug),
                date,
                date_display,
                tag_urls: a.tag_slugs.iter().map(|slug| self.urls.tag(slug)).collect(),
            }
        };
        match self.shared.articles.get(i) {
            Some(slot) => Cow::Borrowed(slot.get_or_init(make)),
            None => Cow::Owned(make()),
        }
    }

    /// Article `i`'s URL and dates ([`Views::article_shared`]), without its tags' URLs.
    fn article_link(&self, i: usize) -> [Cow<'a, str>; 3] {
        match self.article_shared(i) {
            Cow::Borrowed(s) => [&s.url, &s.date, &s.date_display].map(|s| Cow::Borrowed(s.as_str())),
            Cow::Owned(s) => [s.url, s.date, s.date_display].map(Cow::Owned),
        }
    }

    /// Entity `i`'s URL (made once a render).
    pub fn entity_url(&self, i: usize) -> &'a str {
        self.shared.entity_urls[i].get_or_init(|| self.urls.entity(&self.site.entities[i].src.id))
    }

    pub fn article_item(&self, i: usize) -> ArticleItem<'a> {
        let a = &self.site.articles[i];
        let ([url, date, date_display], tag_urls): (_, Vec<Cow<'a, str>>) = match self.article_shared(i) {
            Cow::Borrowed(s) => (
                [&s.url, &s.date, &s.date_display].map(|s| Cow::Borrowed(s.as_str())),
                s.tag_urls.iter().map(|u| Cow::Borrowed(u.as_str())).collect(),
            ),
            Cow::Owned(s) => (
                [s.url, s.date, s.date_display].map(Cow::Owned),
                s.tag_urls.into_iter().map(Cow::Owned).collect(),
            ),
        };
        ArticleItem {
            title: &a.src.title,
            url,
            date,
            date_display,
            description: a.src.description.as_deref().unwrap_or(""),
            tags: a
                .src
                .tags
                .iter()
                .zip(tag_urls)
                .map(|(name, url)| TagLink { name, url })
                .collect(),
        }
    }

    /// [`Views::entity_item`] without the mention count and summary: for
    /// lists on other pages, which then do not change with every mention
    /// added or summary edited.
    pub fn entity_ref(&self, i: usize) -> EntityItem<'a> {
        EntityItem {
            count: 0,
            summary: "",
            ..self.entity_item(i)
        }
    }

    pub fn entity_item(&self, i: usize) -> EntityItem<'a> {
        let e = &self.site.entities[i];
        EntityItem {
            id: &e.src.id,
            name: &e.src.name,
            url: self.entity_url(i),
            kind: e.src.kind.as_str(),
            kind_label: e.src.kind.label(&self.t.kind),
            summary: &e.summary,
            count: e.mentions.len(),
        }
    }

    pub fn quote_card(&self, i: usize) -> QuoteCard<'a> {
        let q = &self.site.quotes[i];
        let a = &self.site.articles[q.article];
        let s = &self.site.entities[q.speaker];
        let [article_url, article_date, article_date_display] = self.article_link(q.article);
        let make = || {
            let (before, after) = q.around(&a.text.shared());
            QuoteShared {
                url: self.urls.quote(&q.id),
                anchor_url: format!("{article_url}#{}", q.element_id()),
                before,
                after,
            }
        };
        let [url, anchor_url, before, after] = match self.shared.quotes.get(i) {
            Some(slot) => {
                let s = slot.get_or_init(make);
                [&s.url, &s.anchor_url, &s.before, &s.after].map(|s| Cow::Borrowed(s.as_str()))
            }
            None => {
                let s = make();
                [s.url, s.anchor_url, s.before, s.after].map(Cow::Owned)
            }
        };
        QuoteCard {
            id: &q.id,
            url,
            text: &q.text,
            speaker: SpeakerRef {
                id: &s.src.id,
                name: &s.src.name,
                url: self.entity_url(q.speaker),
                kind_label: s.src.kind.label(&self.t.kind),
            },
            article: ArticleRef {
                title: &a.src.title,
                date: article_date,
                date_display: article_date_display,
                url: article_url,
            },
            anchor_url,
            before,
            after,
        }
    }

    pub fn article(&self, i: usize) -> ArticleView<'_> {
        let a = &self.site.articles[i];
        let entity_url = |e: Option<usize>| e.map_or("", |e| self.entity_url(e));
        ArticleView {
            item: self.article_item(i),
            archive_url: crate::site::time::month_of(self.site, i)
                .map(|p| self.urls.archive_period(p.year, p.month))
                .unwrap_or_default(),
            lang: a.src.lang.as_deref().unwrap_or(""),
            authors: &a.src.authors,
            source: a.src.source.as_deref().unwrap_or(""),
            source_url: a.src.source_url.as_deref().unwrap_or(""),
            source_entity_url: entity_url(a.source_entity),
            via: a.src.via.as_deref().unwrap_or(""),
            via_entity_url: entity_url(a.via_entity),
            body_html: a.body_html.unpack(),
            entities: a
                .entities
                .iter()
                .map(|&(e, n)| EntityItem {
                    count: n,
                    ..self.entity_ref(e)
                })
                .collect(),
            quotes: a.quotes.iter().map(|&q| self.quote_card(q)).collect(),
            notes: a
                .notes
                .iter()
                .map(|n| NoteView {
                    number: n.number,
                    id: &n.id,
                    body_html: &n.body_html,
                })
                .collect(),
            related: a
                .related
                .iter()
                .map(|(b, _, shared)| RelatedArticle {
                    item: self.article_item(*b),
                    shared: shared.iter().map(|&e| self.site.entities[e].src.name.clone()).collect(),
                })
                .collect(),
        }
    }

    /// Entity previews for the hover card, safe inside `<script>`.
    pub fn preview_json(&self, i: usize) -> String {
        let a = &self.site.articles[i];
        let mut map: BTreeMap<&str, Preview> = BTreeMap::new();
        for &(e, _) in &a.entities {
            let n = &self.site.entities[e];
            map.insert(
                &n.src.id,
                Preview {
                    name: &n.src.name,
                    kind_label: n.src.kind.label(&self.t.kind).to_string(),
                    url: self.entity_url(e),
                },
            );
        }
        json_for_script(&map)
    }

    /// `entities/ID/preview.json`: what the hover preview fetches.
    pub fn entity_preview_json(&self, i: usize) -> String {
        let n = &self.site.entities[i];
        serde_json::json!({
            "name": n.src.name,
            "kind_label": n.src.kind.label(&self.t.kind),
            "summary": n.summary,
        })
        .to_string()
    }

    /// Entity `i`'s page `page` (from 0; see [`super::Page::Entity`]): the
    /// mention groups of its articles on that page, and the quotes of their
    /// periods ([`super::time::quote_page`]); the first page also has its
    /// timeline (whose bars lead to the page where each period starts), the
    /// quotes it said, relations, related entities and other articles, the
    /// others leave those empty.
    pub fn entity(&self, i: usize, page: usize) -> EntityView<'_> {
        let e = &self.site.entities[i];
        // (each group's article and mention count, for the periods and the pages: mentions
        // come grouped by article)
        let group_articles = &e.mention_groups();
        let make = || crate::site::time::timeline(self.site, i);
        let alone;
        let timeline = match self.site.config.pages_for(group_articles.len()) > 1 {
            true => self.shared.timelines[i].get_or_init(make),
            false => {
                alone = make();
                &alone
            }
        };
        let on_page = self.site.config.page_range(group_articles.len(), page);
        let first = page == 0;
        let skip: usize = group_articles[..on_page.start].iter().map(|g| g.1).sum();
        let take: usize = group_articles[on_page.clone()].iter().map(|g| g.1).sum();
        let mut groups: Vec<MentionGroup> = Vec::with_capacity(on_page.len());
        let mut last_article = usize::MAX;
        let mut text = Cow::Borrowed("");
        let mut article_url = Cow::Borrowed("");
        for &(ai, mi) in e.mentions.iter().skip(skip).take(take) {
            let a = &self.site.articles[ai];
            let m = &a.mentions[mi];
            if ai != last_article {
                groups.push(MentionGroup {
                    article: self.article_item(ai),
                    mentions: Vec::new(),
                    period: None,
                    in_period: false,
                    period_end: false,
                });
                last_article = ai;
                text = a.text.read();
                [article_url, ..] = self.article_link(ai);
            }
            let (before, after) = context(&text, &m.range, super::MENTION_CONTEXT);
            if let Some(g) = groups.last_mut() {
                g.mentions.push(MentionContext {
                    before,
                    text: text[m.range.clone()].to_string(),
                    after,
                    url: format!("{article_url}#{}", m.element_id(&self.site.entities[m.entity].src.id)),
                });
            }
        }
        // (the articles listed with their mentions are not listed again)
        let mentioned: std::collections::HashSet<usize> =
            e.mentions.iter().filter(|_| first).map(|&(ai, _)| ai).collect();
        let all_periods = super::time::mention_periods(self, timeline, group_articles);
        // (a timeline's link to a period goes to the page its first group is on)
        let href = |id: &str| {
            let start = all_periods.iter().find(|p| p.id == id).map_or(0, |p| p.start);
            let at = start.checked_div(self.site.config.paginate_by).unwrap_or(0);
            match at == page {
                true => format!("#{id}"),
                false => format!("{}#{id}", super::Page::Entity(i, at).url(self.site)),
            }
        };
        let timeline_view = match first {
            true => super::time::timeline_view(self, i, timeline, href),
            false => Default::default(),
        };
        let mention_periods = super::time::periods_on_page(all_periods, on_page);
        super::time::mark_periods(&mut groups, &mention_periods);
        // (the quotes it said are listed twice on the first page, alone and among the quotes by
        // period: each card is made once)
        let quotes: Vec<QuoteCard> = match first {
            true => e.quotes.iter().map(|&q| self.quote_card(q)).collect(),
            false => Vec::new(),
        };
        let said = |q: usize| e.quotes.binary_search(&q).ok().and_then(|k| quotes.get(k).cloned());
        // Its quotes by period go on the pages of its mentions, each period's beside the
        // mentions of its time (a prolific speaker's quotes all on the first page made it the
        // largest page of the site).
        let oldest = super::time::oldest_on_pages(self, timeline, group_articles);
        let here = |p| super::time::quote_page(&oldest, p) == page;
        let quote_periods = super::time::quote_periods(self, i, timeline, here, said);
        EntityView {
            mention_periods,
            quote_periods,
            timeline: timeline_view,
            item: self.entity_item(i),
            aliases: &e.src.aliases,
            description_html: &e.description_html,
            wikidata: e.src.wikidata.as_deref().unwrap_or(""),
            wikidata_url: e
                .src
                .wikidata
                .as_ref()
                .map(|q| format!("https://www.wikidata.org/wiki/{q}"))
                .unwrap_or_default(),
            external_url: e.src.url.as_deref().unwrap_or(""),
            relations: e
                .relations
                .iter()
                .filter(|_| first)
                .map(|(label, o)| RelationView {
                    label: label.clone(),
                    other: self.entity_ref(*o),
                })
                .collect(),
            mention_groups: groups,
            quotes,
            related: e
                .related
                .iter()
                .filter(|_| first)
                .map(|&(o, w)| RelatedEntity {
                    item: self.entity_ref(o),
                    weight: w,
                })
                .collect(),
            articles: e
                .articles
                .iter()
                .filter(|&&a| first && !mentioned.contains(&a))
                .map(|&a| self.article_item(a))
                .collect(),
        }
    }

    /// Entities by kind (fixed order), names in the language's alphabet.
    pub fn entity_groups(&self) -> Vec<EntityGroup<'a>> {
        let alpha = Alphabet::new(&self.site.config.language);
        EntityKind::ALL
            .iter()
            .filter_map(|&kind| {
                let mut ids: Vec<usize> = (0..self.site.entities.len())
                    .filter(|&i| self.site.entities[i].src.kind == kind)
                    .collect();
                if ids.is_empty() {
                    return None;
                }
                ids.sort_by(|&a, &b| alpha.compare(&self.site.entities[a].src.name, &self.site.entities[b].src.name));
                Some(EntityGroup {
                    kind: kind.as_str(),
                    label: kind.label(&self.t.kind).to_string(),
                    entities: ids.into_iter().map(|i| self.entity_item(i)).collect(),
                })
            })
            .collect()
    }
}
