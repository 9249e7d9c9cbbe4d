//! Automatic mentions: every name and alias of every entity that allows it
//! (`autolink = false` in its front matter opts out), found in an article's
//! rendered text in one aho-corasick pass, leftmost-longest ("Thung lũng
//! Silicon" before "Silicon"), on Unicode word boundaries (a letter with
//! diacritics is a word character: "Hà Nội" does not match inside "Hà
//! Nộii"). Vietnamese tone marks placed the old or the new way (hòa/hoà,
//! thủy/thuỷ) match each other; names match case-exactly unless the entity
//! says `case_insensitive = true`. An alias two entities share is not
//! linked automatically: it would have to guess.
//!
//! Which matches become mentions (explicit annotations win; never in code,
//! headings or links) and how they are drawn is decided in `site`.
//!
//! Stage 2 of the pipeline: anchoring.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use unicode_normalization::UnicodeNormalization;

use crate::content::Entity;

/// The compiled names of a site's entities.
pub struct Autolinker {
    ac: Option<AhoCorasick>,
    /// Pattern index → entity index.
    entity: Vec<usize>,
    fingerprint: u64,
}

/// Vietnamese tone marks (combining, as in NFD).
const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

/// The spellings of `name` with the tone mark of each "oa", "oe" and "uy"
/// on either vowel, in NFC (at most 8: three such vowel pairs).
pub fn tone_variants(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.nfd().collect();
    // positions where a pair carries a tone: (first vowel, tone on first?)
    let mut sites = Vec::new();
    for i in 0..chars.len().saturating_sub(2) {
        let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
        let pairs: &[char] = match lower(chars[i]) {
            'o' => &['a', 'e'],
            'u' => &['y'],
            _ => &[],
        };
        let second = |c: char| pairs.contains(&lower(c));
        let tone_first = TONES.contains(&chars[i + 1]) && second(chars[i + 2]);
        let tone_second = second(chars[i + 1]) && TONES.contains(&chars[i + 2]);
        if tone_first || tone_second {
            sites.push(i);
        }
    }
    sites.truncate(3);
    let mut out = BTreeSet::new();
    for mask in 0..(1u32 << sites.len()) {
        let mut v = chars.clone();
        for (k, &at) in sites.iter().enumerate() {
            if mask & (1 << k) == 0 {
                continue;
            }
            // "V1 T V2" ⇄ "V1 V2 T"
            v.swap(at + 1, at + 2);
        }
        out.insert(v.into_iter().collect::<String>().nfc().collect::<String>());
    }
    out.insert(name.nfc().collect());
    out.into_iter().collect()
}

/// `name`, and when `any_case`, its lower-case, Capitalised and Title Case
/// forms (the ways a name appears at the start of a sentence or in a title).
fn case_variants(name: &str, any_case: bool) -> Vec<String> {
    let mut v = vec![name.to_string()];
    if any_case {
        let lower = name.to_lowercase();
        let cap = |w: &str| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        };
        v.push(cap(&lower));
        v.push(lower.split(' ').map(cap).collect::<Vec<_>>().join(" "));
        v.push(lower);
    }
    v
}

impl Autolinker {
    /// The names of the entities that allow automatic links.
    pub fn new(entities: &[Entity]) -> Autolinker {
        Autolinker::build(entities, false)
    }

    /// Every entity's names, `autolink = false` or not (for `suggest`).
    pub fn every_name(entities: &[Entity]) -> Autolinker {
        Autolinker::build(entities, true)
    }

    fn build(entities: &[Entity], every: bool) -> Autolinker {
        // pattern → the entities it names
        let mut names: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (i, e) in entities.iter().enumerate().filter(|(_, e)| every || e.autolink) {
            for n in std::iter::once(&e.name).chain(&e.aliases) {
                let n = n.trim();
                if n.chars().count() < 2 {
                    continue;
                }
                for c in case_variants(n, e.case_insensitive) {
                    for t in tone_variants(&c) {
                        names.entry(t).or_default().insert(i);
                    }
                }
            }
        }
        let unique: Vec<(String, usize)> = names
            .into_iter()
            .filter_map(|(n, es)| (es.len() == 1).then(|| (n, *es.first().unwrap_or(&0))))
            .collect();
        let mut h = DefaultHasher::new();
        for (n, e) in &unique {
            (n, &entities[*e].id).hash(&mut h);
        }
        let ac = if unique.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(unique.iter().map(|(n, _)| n))
                .ok()
        };
        Autolinker {
            ac,
            entity: unique.into_iter().map(|(_, e)| e).collect(),
            fingerprint: h.finish(),
        }
    }

    /// A hash of every pattern and its entity.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Every name on word boundaries, leftmost-longest, not overlapping:
    /// (range in `text`, entity index).
    pub fn find(&self, text: &str) -> Vec<(Range<usize>, usize)> {
        let Some(ac) = &self.ac else { return Vec::new() };
        let mut all: Vec<(Range<usize>, usize)> = ac
            .find_overlapping_iter(text)
            .filter(|m| on_word_boundaries(text, m.start(), m.end()))
            .map(|m| (m.start()..m.end(), self.entity[m.pattern().as_usize()]))
            .collect();
        all.sort_by_key(|(r, e)| (r.start, std::cmp::Reverse(r.end), *e));
        let mut out: Vec<(Range<usize>, usize)> = Vec::new();
        for (r, e) in all {
            if out.last().is_none_or(|(l, _)| l.end <= r.start) {
                out.push((r, e));
            }
        }
        out
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

fn on_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(id: &str, name: &str, aliases: &[&str]) -> Entity {
        Entity {
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            ..Entity::named(id, name)
        }
    }

    fn found(es: &[Entity], text: &str) -> Vec<(String, String)> {
        Autolinker::new(es)
            .find(text)
            .into_iter()
            .map(|(r, e)| (text[r].to_string(), es[e].id.clone()))
            .collect()
    }

    #[test]
    fn tone_placements_match_each_other() {
        let v = tone_variants("Khánh Hòa");
        assert!(v.contains(&"Khánh Hoà".to_string()), "{v:?}");
        let v = tone_variants("thuỷ điện");
        assert!(v.contains(&"thủy điện".to_string()), "{v:?}");
        assert_eq!(tone_variants("Hà Nội"), vec!["Hà Nội".to_string()]);
    }

    /// Two pairs in one name: each placement of one goes with each of the
    /// other (found by cargo-mutants: with every pair swapped together, the
    /// mixed spellings were missing and nothing noticed).
    #[test]
    fn tone_placements_combine_across_pairs() {
        let v = tone_variants("Hoà Thuỷ");
        let want = ["Hoà Thuỷ", "Hoà Thủy", "Hòa Thuỷ", "Hòa Thủy"];
        assert_eq!(v, want.map(String::from).to_vec(), "sorted, each once");
    }

    #[test]
    fn word_boundaries_count_diacritics_as_letters() {
        let es = [
            entity("ha-noi", "Hà Nội", &[]),
            entity("my", "Mỹ", &[]),
            entity("my-tho", "Mỹ Tho", &[]),
        ];
        assert_eq!(
            found(&es, "Hà Nộii và Hà Nội."),
            vec![("Hà Nội".into(), "ha-noi".into())]
        );
        assert_eq!(
            found(&es, "Mỹ Tho, nước Mỹ, Mỹx"),
            vec![("Mỹ Tho".into(), "my-tho".into()), ("Mỹ".into(), "my".into())]
        );
    }

    #[test]
    fn english_names_stop_at_word_boundaries_and_case_is_exact_by_default() {
        let es = [entity("apple", "Apple", &[]), entity("ai", "AI", &["OpenAI"])];
        assert_eq!(
            found(&es, "Pineapple, SAID, AIM; but Apple and AI, OpenAI's apple."),
            vec![
                ("Apple".into(), "apple".into()),
                ("AI".into(), "ai".into()),
                ("OpenAI".into(), "ai".into()),
            ]
        );
        let mut lower = entity("nguon-mo", "nguồn mở", &[]);
        assert_eq!(found(std::slice::from_ref(&lower), "Nguồn mở và nguồn mở").len(), 1);
        lower.case_insensitive = true;
        assert_eq!(found(&[lower], "Nguồn mở và nguồn mở").len(), 2);
    }

    #[test]
    fn leftmost_longest_and_shared_aliases() {
        let es = [
            entity("silicon-valley", "Thung lũng Silicon", &["Silicon Valley"]),
            entity("silicon", "Silicon", &["Si"]),
            entity("a", "Trùng", &["chung"]),
            entity("b", "Trùng lặp", &["chung"]),
        ];
        assert_eq!(
            found(&es, "Thung lũng Silicon và Silicon; chung"),
            vec![
                ("Thung lũng Silicon".into(), "silicon-valley".into()),
                ("Silicon".into(), "silicon".into()),
            ]
        );
    }

    /// Three pairs: all eight spellings, the mixed ones too (cargo-mutants:
    /// swapping all but one pair at a time went unnoticed with two); a
    /// fourth pair keeps its placement (at most three pairs vary).
    #[test]
    fn tone_placements_combine_across_three_pairs() {
        let nfc = |s: &str| s.nfc().collect::<String>();
        let v = tone_variants(&nfc("Hoà Thuỷ Khoẻ"));
        assert_eq!(v.len(), 8, "{v:?}");
        for s in ["Hoà Thủy Khỏe", "Hòa Thuỷ Khỏe", "Hòa Thủy Khoẻ", "Hoà Thuỷ Khỏe"] {
            assert!(v.contains(&nfc(s)), "{s}: {v:?}");
        }
        assert_eq!(tone_variants(&nfc("Hoà Thuỷ Khoẻ Hoè")).len(), 8);
    }
}
