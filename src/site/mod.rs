//! Stage 3, the site graph: articles with their anchored annotations,
//! entities with every mention of them, quotes, tags, relations, related
//! articles and related entities — the only thing the renderer reads.
//!
//! Built from the loaded content in two steps: per article (anchoring, in
//! parallel: [`crate::anchor::article`]) and then across the site
//! ([`link`], [`related`]); [`time`] reads periods off it. [`patch`] edits a kept graph in place after an
//! edit; [`model`] has the node types. [`terms`] is the full-text index cut into the search
//! files, which [`stored_terms`] keeps between processes.

pub mod link;
pub mod model;
pub mod patch;
pub mod posting_list;
pub mod related;
pub mod stored_related;
pub mod stored_terms;
pub mod stream;
pub mod time;

use std::collections::{HashMap, HashSet};
use std::path::Path;

pub use model::*;
pub use patch::{ArticleEdit, Patched};

use crate::anchor::article::{AnchorCache, Anchored, Anchoring, Caches, LinkTargets, Undrawable};
use crate::anchor::stored::Store;
use crate::config::{BuildOptions, Config};
use crate::content::{self, Article, Entity};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::KnownHashes;
use crate::urls::Urls;
use crate::{config, i18n, timing};

pub mod terms;

#[derive(Debug)]
pub struct Site {
    pub config: Config,
    /// Newest first (date, then slug), then the undated ones by title.
    pub articles: Vec<ArticleNode>,
    /// By id.
    pub entities: Vec<EntityNode>,
    pub entity_index: HashMap<String, usize>,
    /// Newest article first, then in text order.
    pub quotes: Vec<QuoteNode>,
    /// By slug.
    pub tags: Vec<TagNode>,
    /// Annotations re-attached by approximate matching (each also warned
    /// about); `glossa check --fix` writes their new text back.
    pub reanchored: Vec<Reanchored>,
    /// UI strings in the site's language.
    pub strings: i18n::Strings,
    /// The entity graph: co-mentions and relations, sorted by (a, b).
    pub entity_edges: Vec<EntityEdge>,
    /// The same edges per entity: (other, weight, relation), by other.
    pub entity_adjacency: Vec<Vec<(usize, f64, bool)>>,
    /// Where rendered social images are kept between builds, by content
    /// hash (`ROOT/.glossa-cache`); `None` renders every image afresh.
    pub cache_dir: Option<std::path::PathBuf>,
    /// The social images' folder in `cache_dir` as the first image looked
    /// up found it, for the others (see [`CardFolder`]).
    pub card_folder: std::sync::OnceLock<CardFolder>,
    /// What anchoring an article reads besides its own files, kept so an
    /// edited article can be anchored again on its own
    /// ([`Site::prepare_article`]).
    pub anchoring: Anchoring,
    /// Whether articles keep their explicit annotations (see
    /// [`Articles::export_data`]).
    pub export_data: bool,
    /// The full-text index the search files are cut from, built on first
    /// use.
    pub terms: terms::Terms,
}

/// How many neighbours an entity's local graph shows.
const LOCAL_NEIGHBOURS: usize = 11;

impl Site {
    /// The entities entity `i`'s local graph shows: itself and its eleven
    /// strongest neighbours (by weight, then by index).
    pub fn local_graph_members(&self, i: usize) -> Vec<usize> {
        let mut neighbours: Vec<(usize, f64)> = self.entity_adjacency[i].iter().map(|&(o, w, _)| (o, w)).collect();
        let order = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        // (the eleven first in that order without sorting the rest: the most connected
        // entities have a neighbour in most of the others)
        if neighbours.len() > LOCAL_NEIGHBOURS {
            neighbours.select_nth_unstable_by(LOCAL_NEIGHBOURS, order);
            neighbours.truncate(LOCAL_NEIGHBOURS);
        }
        neighbours.sort_by(order);
        let mut keep = vec![i];
        keep.extend(neighbours.iter().map(|n| n.0));
        keep
    }

    /// The edges among a local graph's `members`: for each member `a` in
    /// order, each member `b` it has an edge to, by entity index, with the
    /// edge's weight and whether it is a relation — each looked up in `a`'s
    /// adjacency (sorted by the other end), not the whole of it scanned
    /// (the strongest neighbours are the most connected entities). Both
    /// directions of an edge are listed.
    pub fn local_graph_edges(&self, members: &[usize]) -> Vec<(usize, usize, f64, bool)> {
        let mut by_entity: Vec<(usize, usize)> = members.iter().enumerate().map(|(b, &k)| (k, b)).collect();
        by_entity.sort_unstable();
        let mut edges = Vec::new();
        for (a, &k) in members.iter().enumerate() {
            let adjacency = &self.entity_adjacency[k];
            for &(o, b) in &by_entity {
                if let Ok(at) = adjacency.binary_search_by_key(&o, |e| e.0) {
                    let (_, w, relation) = adjacency[at];
                    edges.push((a, b, w, relation));
                }
            }
        }
        edges
    }
}

/// What one load keeps for the next (the rebuild loop holds one): files
/// whose stamp did not change are not read again, articles whose inputs did
/// not change are not anchored again.
#[derive(Default)]
pub struct Reuse {
    pub files: content::FileCache,
    pub anchors: AnchorCache,
}

/// Load → normalise → anchor → link, from a site root: `glossa.toml` (with
/// the command line's overrides), `content/`, the UI strings. Problems go
/// into `diags`; the graph is returned either way. `undrawable` is the share
/// card's glyph check (see [`Undrawable`]). `known`: the articles' files'
/// hashes as the inputs' digest found them, with which an article whose
/// anchoring is stored is taken from the store without being read.
#[allow(clippy::too_many_arguments)]
pub fn load(
    root: &Path,
    opts: &BuildOptions,
    reuse: Option<&mut Reuse>,
    known: Option<&KnownHashes>,
    export_data: bool,
    undrawable: Undrawable,
    diags: &mut Diagnostics,
    sources: &mut Sources,
) -> Site {
    let mut config = config::load(root, diags, sources);
    if let Some(url) = &opts.base_url {
        config.base_url = config::normalise_base_url(url);
    }
    let t = std::time::Instant::now();
    let (mut files, anchors) = match reuse {
        Some(r) => (Some(&mut r.files), Some(&mut r.anchors)),
        None => (None, None),
    };
    let strings = i18n::load(root, &config.language, diags, sources);
    let listing = content::Listing::new(root, known, diags, sources);
    let brat = listing.load(root, &listing.brat, diags, sources, files.as_deref_mut());
    let entities = content::load_entities(root, &brat, diags, sources, files.as_deref_mut());
    let t = timing::lap("load entities", t);
    let store = Store::new(&root.join(".glossa-cache"));
    let caches = Caches {
        memory: anchors,
        disk: Some(&store),
    };
    let articles = Articles {
        root,
        listing: &listing,
        brat,
        files,
        known,
        export_data,
    };
    let mut site = build(
        config,
        strings,
        articles,
        entities,
        opts.drafts,
        undrawable,
        sources,
        diags,
        caches,
    );
    timing::lap("load + anchor + link (site graph)", t);
    if timing::on() {
        let sum = |f: &dyn Fn(&ArticleNode) -> usize| site.articles.iter().map(f).sum::<usize>() / 1_000_000;
        eprintln!(
            "[timing]   graph: texts {} MB, body HTML {} MB (packed), notes {} MB, {} mentions, {} related",
            sum(&|a| a.text.packed_len()),
            sum(&|a| a.body_html.packed_len()),
            sum(&|a| a.notes.iter().map(|n| n.body_html.len()).sum()),
            site.articles.iter().map(|a| a.mentions.len()).sum::<usize>(),
            site.articles.iter().map(|a| a.related.len()).sum::<usize>(),
        );
    }
    site.cache_dir = Some(root.join(".glossa-cache"));
    site
}

/// The articles to load and anchor in batches ([`stream`]): the listing,
/// the brat articles already loaded (they define entities), the file cache.
pub struct Articles<'a> {
    pub root: &'a Path,
    pub listing: &'a content::Listing,
    pub brat: Vec<Article>,
    pub files: Option<&'a mut content::FileCache>,
    /// The articles' files' hashes as found when the build started
    /// ([`stream::Batches::known`]).
    pub known: Option<&'a KnownHashes>,
    /// Whether to keep each article's explicit annotations, which only
    /// `glossa export` reads (see [`Site::export_data`]). Dropped as each
    /// batch is anchored, they are never held with the graph: 95 MB at
    /// 50,000 articles, which, freed only before rendering, stayed in the
    /// process among the graph's pages.
    pub export_data: bool,
}

/// Builds the graph: articles loaded and anchored in batches, then linked.
/// Problems go into `diags`; the graph is still returned (with the failing
/// annotations left out) so `check` can report everything. Unchanged
/// articles' anchoring is taken from the caches (and they are refreshed).
#[allow(clippy::too_many_arguments)]
pub fn build(
    config: Config,
    strings: i18n::Strings,
    articles: Articles<'_>,
    entities: Vec<Entity>,
    drafts: bool,
    undrawable: Undrawable,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    mut caches: Caches<'_>,
) -> Site {
    let urls = Urls {
        root: config.root_path(),
    };
    let (entities, entity_index) = index_entities(entities, diags);
    let assumed: HashSet<String> = articles.listing.slugs().collect();
    let mut anchoring = Anchoring::new(assumed.clone(), &entities, config.autolink, &urls, &strings, undrawable);
    let ids: Vec<&str> = entities.iter().map(|e| e.id.as_str()).collect();
    let export_data = articles.export_data;
    // (a one-off build's related lists are kept for the next one: see `stored_related`)
    let stored_related_dir = articles.known.map(|_| articles.root.join(".glossa-cache"));
    let batches = stream::Batches {
        root: articles.root,
        listing: articles.listing,
        drafts,
        strings: &strings,
        spill: crate::packed::Spill::new(&articles.root.join(".glossa-cache")),
        known: articles.known,
        export_data,
    };
    let t = std::time::Instant::now();
    let links = LinkTargets {
        entities: &entity_index,
        ids: &ids,
        urls: &urls,
        anchoring: &anchoring,
    };
    let mut all = batches.run(&links, articles.brat, articles.files, &mut caches, diags, sources);
    let missing = stream::missing(&assumed, &all);
    if !missing.is_empty() {
        anchoring.articles.retain(|s| !missing.contains(s));
        let links = LinkTargets {
            entities: &entity_index,
            ids: &ids,
            urls: &urls,
            anchoring: &anchoring,
        };
        batches.relink(&links, &mut all, &missing, &mut caches, diags, sources);
    }
    let from_store = caches.disk.map_or(0, Store::hits);
    let anchored = order_articles(stream::finish(all, caches), &config.language, diags);
    let (articles, anchored): (Vec<Article>, Vec<(u64, Anchored)>) = anchored.into_iter().unzip();
    let t = timing::lap(
        &format!("  load + anchor articles (in batches, {from_store} from the anchoring store)"),
        t,
    );

    let mut reanchored = Vec::new();
    let (mut nodes, quotes) = link::articles_and_quotes(articles, anchored, diags, &mut reanchored);
    link::attribute(&mut nodes, &entities);
    let mut entity_nodes = link::entity_nodes(entities, &nodes, &quotes, diags);
    link::relations(&mut entity_nodes, &entity_index, &config.language, sources, diags);
    let entity_edges = related_lists(&mut nodes, &mut entity_nodes, stored_related_dir.as_deref());
    let mut entity_adjacency: Vec<Vec<(usize, f64, bool)>> = vec![Vec::new(); entity_nodes.len()];
    for e in &entity_edges {
        entity_adjacency[e.a].push((e.b, e.weight, e.relation));
        entity_adjacency[e.b].push((e.a, e.weight, e.relation));
    }
    link::fit(&mut nodes, &mut entity_nodes, &mut entity_adjacency);
    timing::lap(&format!("  link ({} entity edges)", entity_edges.len()), t);
    let tags = link::tags(&nodes);

    diags.sort();
    Site {
        config,
        articles: nodes,
        entities: entity_nodes,
        entity_index,
        quotes,
        tags,
        reanchored,
        strings,
        entity_edges,
        entity_adjacency,
        cache_dir: None,
        card_folder: Default::default(),
        anchoring,
        export_data,
        terms: Default::default(),
    }
}

/// Related articles and entities, and the entity graph's edges: as stored in `dir` (a site's
/// cache folder, see [`stored_related`]) when what they are found from is unchanged, else found
/// (and stored there).
fn related_lists(articles: &mut [ArticleNode], entities: &mut [EntityNode], dir: Option<&Path>) -> Vec<EntityEdge> {
    let stored = dir.map(|dir| (dir, stored_related::key(articles, entities)));
    if let Some((dir, key)) = stored
        && let Some(edges) = stored_related::load(dir, key, articles, entities)
    {
        return edges;
    }
    let postings = related::Postings::of(articles, entities.len());
    related::related_articles(articles, &postings);
    let edges = related::related_entities(articles, &postings, entities);
    if let Some((dir, key)) = stored {
        stored_related::save(dir, key, articles, entities, &edges);
    }
    edges
}

/// The folder of social images kept between builds, as the first image a
/// site rendered found it: the images it held (listed once, so that a cold
/// build, which draws 24,640 at 10,000 articles, looks none up), and
/// whether it is there now (found or made), so that images are written
/// into it without making it again for each.
#[derive(Debug, Clone, Default)]
pub struct CardFolder {
    pub dir: std::path::PathBuf,
    pub made: bool,
    /// The images it held: each one's cache key and the hash of its bytes,
    /// both in its name (`KEY-HASH.png`), so that one changed after it was
    /// stored — it may share its file with an output, see
    /// `render::store_card` — is found out when read.
    pub stored: HashMap<u64, u64>,
}

/// Entities by id, and the index of each id; a duplicate id is an error.
fn index_entities(mut entities: Vec<Entity>, diags: &mut Diagnostics) -> (Vec<Entity>, HashMap<String, usize>) {
    let mut index: HashMap<String, usize> = HashMap::new();
    entities.sort_by(|a, b| a.id.cmp(&b.id));
    for (i, e) in entities.iter().enumerate() {
        if let Some(prev) = index.insert(e.id.clone(), i) {
            diags.push(
                Diagnostic::error(&e.path, None, format!("duplicate entity id `{}`", e.id)).with_hint(format!(
                    "{} has the same file name; entity ids must be unique across content/entities/",
                    entities[prev].path.display()
                )),
            );
        }
    }
    (entities, index)
}

/// The articles the site shows, each with its anchoring: the dated ones
/// newest first (date, then slug), then the undated ones by title in the
/// site language's alphabetical order (then slug); two with one URL are an
/// error.
fn order_articles(mut articles: stream::Anchoreds, language: &str, diags: &mut Diagnostics) -> stream::Anchoreds {
    let alphabet = crate::text::Alphabet::new(language);
    // Positions sorted, then the articles put in that order in place, each
    // moved a few times: an article with its anchoring is hundreds of bytes,
    // which a sort of the articles themselves moves some 14 times each (at
    // 10,000 articles), into a buffer of half of them. Ties (two articles
    // with one slug, reported below) keep the loading order.
    let mut order: Vec<usize> = (0..articles.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&articles[i].0, &articles[j].0);
        match (&a.date, &b.date) {
            (Some(x), Some(y)) => y.cmp(x).then_with(|| a.slug.cmp(&b.slug)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => alphabet.compare(&a.title, &b.title).then_with(|| a.slug.cmp(&b.slug)),
        }
    });
    permute(&mut articles, order);
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for (a, _) in &articles {
        if let Some(other) = seen.insert(&a.slug, &a.path) {
            diags.push(
                Diagnostic::error(
                    &a.path,
                    None,
                    format!("two articles have the URL /articles/{}/", a.slug),
                )
                .with_hint(format!("{} gives the same slug; rename one of them", other.display())),
            );
        }
    }
    articles
}

/// Puts `items` in the order `order` gives (`order[k]`: the position of the
/// item that goes at `k`), in place: each cycle of the permutation followed
/// by swaps.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start || from == at {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::permute;

    /// Every order of up to six items, and a long one of many cycles: the
    /// items end where the order puts them.
    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        fn check(order: Vec<usize>) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut got = items;
            permute(&mut got, order);
            assert_eq!(got, want);
        }
        fn orders(n: usize, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            if prefix.len() == n {
                out.push(prefix.clone());
                return;
            }
            for i in 0..n {
                if !prefix.contains(&i) {
                    prefix.push(i);
                    orders(n, prefix, out);
                    prefix.pop();
                }
            }
        }
        for n in 0..=6 {
            let mut all = Vec::new();
            orders(n, &mut Vec::new(), &mut all);
            all.into_iter().for_each(check);
        }
        check((0..1000).map(|i| (i * 7 + 3) % 1000).collect());
    }
}
