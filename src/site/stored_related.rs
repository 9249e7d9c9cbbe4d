//! Related articles and entities kept on disk between processes, so that a
//! build after an edit that changed no article's entities (a new process: a
//! deploy) does not find them all again: at 10,000 articles that was 55-60 ms
//! of such a build's 640, most of it on one core.
//!
//! One file, `.glossa-cache/related`: a header ([`crate::files::seal`]:
//! magic, this executable's identity and the format, the key, the payload's
//! length and xxh3 checksum), then in postcard each article's related articles, each
//! entity's related entities and the entity graph's edges. The key hashes
//! everything [`super::related`] finds them from ([`key`]): how many articles
//! and entities there are, each article's entities in its order, each
//! entity's declared relations. Another key, another executable, or a file
//! unreadable, damaged or naming an article or entity the site does not have
//! is a miss: they are found again, and the file written again. Deleting it
//! is always safe.
//!
//! Stage 3 of the pipeline: the site graph.

use std::path::Path;

use super::model::{ArticleNode, EntityEdge, EntityNode};

/// What the format is; another value is a miss.
const MAGIC: &[u8; 8] = b"glsrel01";

/// The version of the payload, part of the identity: bump it when what is
/// stored, or what the key covers, changes.
const FORMAT: u64 = 1;

/// The file, in the site's cache folder.
const FILE: &str = "related";

/// An article's related articles: each one's index, score and the entities shared.
type ArticleRelated = Vec<(usize, f64, Vec<usize>)>;

/// What the file holds, as read.
type Stored = (Vec<ArticleRelated>, Vec<Vec<(usize, f64)>>, Vec<EntityEdge>);

/// A hash of everything related articles and entities are found from (see the module docs).
pub fn key(articles: &[ArticleNode], entities: &[EntityNode]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut put = |n: usize| h.update(&(n as u64).to_le_bytes());
    put(articles.len());
    put(entities.len());
    for a in articles {
        put(a.entities.len());
        for &(e, _) in &a.entities {
            put(e);
        }
    }
    for e in entities {
        put(e.relations.len());
        for &(_, other) in &e.relations {
            put(other);
        }
    }
    h.digest()
}

/// The related articles and entities `dir` holds under `key`, set on `articles` and
/// `entities`, and the entity graph's edges; `None` (nothing set) for a miss.
pub fn load(
    dir: &Path,
    key: u64,
    articles: &mut [ArticleNode],
    entities: &mut [EntityNode],
) -> Option<Vec<EntityEdge>> {
    let (related, entity_related, edges) = decode(&std::fs::read(dir.join(FILE)).ok()?, key)?;
    let (n, m) = (articles.len(), entities.len());
    let sound = related.len() == n
        && entity_related.len() == m
        && related
            .iter()
            .flatten()
            .all(|(b, _, shared)| *b < n && shared.iter().all(|&e| e < m))
        && entity_related.iter().flatten().all(|&(e, _)| e < m)
        && edges.iter().all(|e| e.a < m && e.b < m);
    if !sound {
        return None;
    }
    for (a, r) in articles.iter_mut().zip(related) {
        a.related = r;
    }
    for (e, r) in entities.iter_mut().zip(entity_related) {
        e.related = r;
    }
    Some(edges)
}

/// Writes what `articles`, `entities` and `edges` hold under `key` into `dir` (whole or not
/// at all: a temporary file renamed; a failure only costs the next build time).
pub fn save(dir: &Path, key: u64, articles: &[ArticleNode], entities: &[EntityNode], edges: &[EntityEdge]) {
    let related: Vec<&ArticleRelated> = articles.iter().map(|a| &a.related).collect();
    let entity_related: Vec<&Vec<(usize, f64)>> = entities.iter().map(|e| &e.related).collect();
    let Ok(payload) = postcard::to_stdvec(&(related, entity_related, edges)) else {
        return;
    };
    let bytes = crate::files::seal(MAGIC, &[identity(), key], &payload);
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let (file, tmp) = (
        dir.join(FILE),
        dir.join(format!("{FILE}.tmp{}", crate::files::process_id())),
    );
    if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, &file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

fn identity() -> u64 {
    crate::files::executable_identity() ^ FORMAT
}

/// The payload of a file's bytes, if they are sound, of this executable and under `key`.
fn decode(bytes: &[u8], key: u64) -> Option<Stored> {
    postcard::from_bytes(crate::files::unseal(bytes, MAGIC, &[identity(), key])?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::related;

    /// A few articles naming entities, and two entities with a declared relation.
    fn graph(named: &[&[usize]]) -> (Vec<ArticleNode>, Vec<EntityNode>) {
        let articles = named
            .iter()
            .map(|es| ArticleNode {
                entities: es.iter().map(|&e| (e, 1)).collect(),
                ..related::tests::article()
            })
            .collect();
        let mut entities: Vec<EntityNode> = (0..4).map(|_| related::tests::entity()).collect();
        entities[0].relations.push(("works with".into(), 3));
        (articles, entities)
    }

    fn found(articles: &mut [ArticleNode], entities: &mut [EntityNode]) -> Vec<EntityEdge> {
        let postings = related::Postings::of(articles, entities.len());
        related::related_articles(articles, &postings);
        related::related_entities(articles, &postings, entities)
    }

    #[test]
    fn what_is_stored_comes_back_under_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let named: &[&[usize]] = &[&[0, 1], &[1, 2], &[0, 2, 3], &[1]];
        let (mut articles, mut entities) = graph(named);
        let edges = found(&mut articles, &mut entities);
        let k = key(&articles, &entities);
        save(dir.path(), k, &articles, &entities, &edges);
        let (mut again, mut again_entities) = graph(named);
        assert_eq!(load(dir.path(), k, &mut again, &mut again_entities), Some(edges));
        let pairs = |a: &[ArticleNode]| a.iter().map(|a| a.related.clone()).collect::<Vec<_>>();
        assert_eq!(pairs(&again), pairs(&articles));
        let related_of = |e: &[EntityNode]| e.iter().map(|e| e.related.clone()).collect::<Vec<_>>();
        assert_eq!(related_of(&again_entities), related_of(&entities));
        // another key, a damaged file: misses, nothing set
        let (mut fresh, mut fresh_entities) = graph(named);
        assert_eq!(load(dir.path(), k ^ 1, &mut fresh, &mut fresh_entities), None);
        let path = dir.path().join(FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(load(dir.path(), k, &mut fresh, &mut fresh_entities), None);
        assert!(fresh.iter().all(|a| a.related.is_empty()));
    }

    #[test]
    fn the_key_covers_each_articles_entities_in_order_and_each_relation() {
        let base = graph(&[&[0, 1], &[1, 2]]);
        let k = key(&base.0, &base.1);
        for other in [
            graph(&[&[1, 0], &[1, 2]]),
            graph(&[&[0, 1], &[1, 3]]),
            graph(&[&[0, 1], &[1, 2], &[]]),
        ] {
            assert_ne!(key(&other.0, &other.1), k);
        }
        let (articles, mut entities) = graph(&[&[0, 1], &[1, 2]]);
        assert_eq!(key(&articles, &entities), k);
        entities[0].relations[0].1 = 2;
        assert_ne!(key(&articles, &entities), k);
        entities.push(related::tests::entity());
        assert_ne!(key(&articles, &entities), k);
    }
}
