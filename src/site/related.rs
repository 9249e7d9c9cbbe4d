//! Related articles (shared entities weighted by rarity, from entity →
//! article postings) and related entities (co-mentions plus declared
//! relations, the entity graph's edges).
//!
//! Stage 3 of the pipeline: the site graph.

use rayon::prelude::*;

use super::model::{ArticleNode, EntityEdge, EntityNode};

/// Articles naming more entities than this add no co-occurrence edges.
pub const COOCCURRENCE_CAP: usize = 200;
/// How many related entities an entity lists.
pub const RELATED_ENTITIES: usize = 8;
/// For an entity in many articles, how many articles on each side (in date
/// order) of an article share it for relatedness.
pub const WINDOW: usize = 100;

/// Related articles by shared entities, each weighted by how rare it is
/// (idf). Walks entity → articles postings, not all article pairs; very
/// common entities (in more than a quarter of a large site) carry little
/// weight and are skipped, and an entity named in more than `2 × WINDOW`
/// articles links each article only to the `WINDOW` before and after it in
/// date order, so the cost per article is bounded and linking grows linearly
/// with the archive (not with the square of an entity's article count).
pub fn related_articles(nodes: &mut [ArticleNode], postings: &Postings) {
    let n = nodes.len();
    // Scores in a dense array per thread (only the touched slots are read
    // and reset), the best five picked by partial selection.
    let nodes_ro: &[ArticleNode] = nodes;
    let related: Vec<Vec<(usize, f64, Vec<usize>)>> = (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0f64; n], vec![usize::MAX; n], Vec::new()),
            |buffers, ai| postings.related_of(nodes_ro, ai, buffers),
        )
        .collect();
    for (a, r) in nodes.iter_mut().zip(related) {
        a.related = r;
    }
}

/// Entity → the articles naming it, and each entity's weight (idf).
pub struct Postings {
    articles: Vec<Vec<usize>>,
    idf: Vec<f64>,
    /// Entities in more articles than this carry little weight and are
    /// skipped.
    cap: usize,
}

/// Scratch space for [`Postings::related_of`]: scores, which article last
/// set them, the articles touched.
type Scratch = (Vec<f64>, Vec<usize>, Vec<usize>);

impl Postings {
    pub fn of(nodes: &[ArticleNode], entity_count: usize) -> Postings {
        let n = nodes.len();
        let mut articles: Vec<Vec<usize>> = vec![Vec::new(); entity_count];
        for (ai, a) in nodes.iter().enumerate() {
            for &(e, _) in &a.entities {
                articles[e].push(ai);
            }
        }
        let idf = articles
            .iter()
            .map(|p| ((n as f64 + 1.0) / (p.len() as f64 + 0.5)).ln())
            .collect();
        let cap = if n > 200 { n / 4 } else { usize::MAX };
        Postings { articles, idf, cap }
    }

    /// The articles sharing entity `e` with article `ai` (which names it):
    /// all of them, or for an entity in more than `2 × WINDOW` articles the
    /// `WINDOW` on each side of `ai` in date order. Sorted, and symmetric:
    /// `b` is near `a` exactly when `a` is near `b`.
    pub fn near(&self, e: usize, ai: usize) -> &[usize] {
        let list = &self.articles[e];
        if list.len() <= 2 * WINDOW + 1 {
            return list;
        }
        let at = list.partition_point(|&x| x < ai);
        &list[at.saturating_sub(WINDOW)..(at + WINDOW + 1).min(list.len())]
    }

    /// Article `ai`'s five most related articles, with the entities shared.
    /// Summation order is the entity order of `ai`, so scores do not depend
    /// on threads.
    pub fn related_of(
        &self,
        nodes: &[ArticleNode],
        ai: usize,
        (score, seen, touched): &mut Scratch,
    ) -> Vec<(usize, f64, Vec<usize>)> {
        touched.clear();
        let counted = |e: usize| self.articles[e].len() <= self.cap;
        for &(e, _) in &nodes[ai].entities {
            if !counted(e) {
                continue;
            }
            for &bi in self.near(e, ai) {
                if bi != ai {
                    if seen[bi] != ai {
                        seen[bi] = ai;
                        score[bi] = 0.0;
                        touched.push(bi);
                    }
                    score[bi] += self.idf[e];
                }
            }
        }
        let order = |x: &usize, y: &usize| score[*y].total_cmp(&score[*x]).then(x.cmp(y));
        if touched.len() > 5 {
            touched.select_nth_unstable_by(4, order);
            touched.truncate(5);
        }
        touched.sort_by(order);
        touched
            .iter()
            .map(|&b| {
                let shared = nodes[ai]
                    .entities
                    .iter()
                    .map(|&(e, _)| e)
                    .filter(|&e| counted(e) && self.near(e, ai).binary_search(&b).is_ok())
                    .collect();
                (b, score[b], shared)
            })
            .collect()
    }
}

/// Related entities: co-mentioned in the same articles (weighted by how
/// often), plus a bonus for a declared relation. Returns the graph's edges,
/// sorted, for the entity graph views.
///
/// Each entity counts the entities after it in the articles naming it
/// (`postings`, the lists related articles are found from), in a dense
/// array per thread (only the touched slots read and reset), so
/// memory holds the pairs that occur, not each occurrence. (A map from
/// pair to weight took 1.5 million hashed insertions at 10,000 articles, a
/// third of linking; a sorted list of every occurrence, 12 MB there and
/// five times that at 50,000.)
pub fn related_entities(articles: &[ArticleNode], postings: &Postings, entities: &mut [EntityNode]) -> Vec<EntityEdge> {
    let n = entities.len();
    let key = |x: usize, y: usize| ((x.min(y) as u64) << 32) | x.max(y) as u64;
    let co: Vec<Vec<(usize, u32)>> = (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0u32; n], Vec::new()),
            |(count, touched), x| {
                for &ai in &postings.articles[x] {
                    let named = &articles[ai].entities;
                    if named.len() > COOCCURRENCE_CAP {
                        continue;
                    }
                    for &(y, _) in named {
                        if y > x {
                            if count[y] == 0 {
                                touched.push(y);
                            }
                            count[y] += 1;
                        }
                    }
                }
                touched.sort_unstable();
                let found = touched.iter().map(|&y| (y, std::mem::take(&mut count[y]))).collect();
                touched.clear();
                found
            },
        )
        .collect();
    // (in key order: by the first entity, then the second)
    let mut weighted: Vec<(u64, f64, bool)> = co
        .iter()
        .enumerate()
        .flat_map(|(x, ys)| ys.iter().map(move |&(y, c)| (key(x, y), f64::from(c), false)))
        .collect();
    let mut declared: Vec<u64> = entities
        .iter()
        .enumerate()
        .flat_map(|(i, e)| e.relations.iter().map(move |&(_, other)| key(i, other)))
        .collect();
    declared.sort_unstable();
    declared.dedup();
    let co_mentioned = weighted.len();
    for k in declared {
        match weighted[..co_mentioned].binary_search_by_key(&k, |w| w.0) {
            Ok(at) => {
                weighted[at].1 += 2.0;
                weighted[at].2 = true;
            }
            Err(_) => weighted.push((k, 2.0, true)),
        }
    }
    weighted.sort_unstable_by_key(|w| w.0);
    let mut per: Vec<Vec<(usize, f64)>> = vec![Vec::new(); entities.len()];
    let edges: Vec<EntityEdge> = weighted
        .into_iter()
        .map(|(k, weight, relation)| {
            let (a, b) = ((k >> 32) as usize, (k & u64::from(u32::MAX)) as usize);
            per[a].push((b, weight));
            per[b].push((a, weight));
            EntityEdge { a, b, weight, relation }
        })
        .collect();
    for (e, mut v) in entities.iter_mut().zip(per) {
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(RELATED_ENTITIES);
        e.related = v;
    }
    edges
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::content::Article;
    use crate::packed::Packed;

    /// An article naming no entity.
    pub(crate) fn article() -> ArticleNode {
        ArticleNode {
            src: Article::default(),
            text: Packed::new(""),
            body_html: Packed::new(""),
            mentions: Vec::new(),
            mention_context: 0,
            quotes: Vec::new(),
            notes: Vec::new(),
            entities: Vec::new(),
            related: Vec::new(),
            tag_slugs: Vec::new(),
            source_entity: None,
            via_entity: None,
            explicit: Vec::new(),
            input_key: 0,
        }
    }

    /// An entity with no mentions or relations.
    pub(crate) fn entity() -> EntityNode {
        EntityNode {
            src: crate::content::Entity::named("e", "E"),
            description_html: String::new(),
            summary: String::new(),
            mentions: Vec::new(),
            quotes: Vec::new(),
            relations: Vec::new(),
            related: Vec::new(),
            articles: Vec::new(),
        }
    }

    /// Articles (newest first) naming the given entities.
    fn articles(named: &[Vec<usize>]) -> Vec<ArticleNode> {
        named
            .iter()
            .map(|es| ArticleNode {
                entities: es.iter().map(|&e| (e, 1)).collect(),
                ..article()
            })
            .collect()
    }

    #[test]
    fn a_common_entity_relates_only_articles_near_in_date() {
        // 1,000 articles; entity 0 in every fourth (250: more than 2 × WINDOW,
        // not more than a quarter of the site), entity 1 in articles 600 and 990.
        let mut named: Vec<Vec<usize>> = (0..1000)
            .map(|i| if i % 4 == 0 { vec![0] } else { vec![2 + i] })
            .collect();
        named[600].push(1);
        named[990] = vec![1];
        let mut nodes = articles(&named);
        let postings = Postings::of(&nodes, 1002);
        related_articles(&mut nodes, &postings);
        let related: Vec<usize> = nodes[600].related.iter().map(|r| r.0).collect();
        // 990 shares the rarer entity 1; then, among equal scores, the
        // lowest indices within WINDOW positions of 600 (position 150 of 250):
        // positions 50.. → articles 200, 204, 208, 212 — not 0, 4, 8, 12.
        assert_eq!(related, [990, 200, 204, 208, 212]);
        assert_eq!(nodes[600].related[1].2, [0], "entity 0 is shared with 200");
        // Symmetric: 200 is near 600 as 600 is near 200, and 0 is near neither.
        assert!(postings.near(0, 200).contains(&600) && postings.near(0, 600).contains(&200));
        assert!(!postings.near(0, 600).contains(&0) && !postings.near(0, 0).contains(&600));
        assert_eq!(
            postings.near(0, 400).len(),
            2 * WINDOW + 1,
            "positions 0 to 200 around position 100"
        );
    }

    #[test]
    fn entities_are_related_by_articles_in_common_and_declared_relations() {
        // 0 and 1 together in three articles, 1 and 2 in one; 2 and 3 in
        // none but declared related (both ways, counted once), as are 0 and 1.
        let nodes = articles(&[vec![0, 1], vec![1, 0, 2], vec![0, 1], vec![3]]);
        let mut entities: Vec<EntityNode> = (0..4).map(|_| entity()).collect();
        entities[2].relations = vec![("x".into(), 3)];
        entities[3].relations = vec![("y".into(), 2)];
        entities[1].relations = vec![("z".into(), 0)];
        let edges = related_entities(&nodes, &Postings::of(&nodes, 4), &mut entities);
        let found: Vec<(usize, usize, f64, bool)> = edges.iter().map(|e| (e.a, e.b, e.weight, e.relation)).collect();
        assert_eq!(
            found,
            [
                (0, 1, 5.0, true),
                (0, 2, 1.0, false),
                (1, 2, 1.0, false),
                (2, 3, 2.0, true)
            ]
        );
        assert_eq!(entities[0].related, [(1, 5.0), (2, 1.0)]);
        assert_eq!(
            entities[2].related,
            [(3, 2.0), (0, 1.0), (1, 1.0)],
            "heaviest first, then by entity"
        );
        assert_eq!(entities[3].related, [(2, 2.0)]);
    }

    #[test]
    fn an_entity_in_few_articles_relates_all_of_them() {
        let named: Vec<Vec<usize>> = (0..300)
            .map(|i| if i % 2 == 0 { vec![0] } else { vec![1 + i] })
            .collect();
        let nodes = articles(&named);
        let postings = Postings::of(&nodes, 301);
        assert_eq!(postings.near(0, 298).len(), 150);
    }
}
