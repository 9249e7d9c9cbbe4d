//! `glossa suggest`: the coverage report — what each article's annotations
//! and autolinking leave out. Per article: entity names found in the text
//! that are not mentions (the entity or the article turned autolinking off,
//! or the name sits in a heading, link or code), quoted passages (“…” and
//! "…") that are not annotated as quotes, with the nearest person or
//! organisation mentioned in the same sentence as the likely speaker, and
//! runs of capitalised words that name no entity (candidate new entities).
//!
//! A sentence's first word is capitalised anyway, so it starts a candidate
//! only when it is a name word: a syllable of an entity's name or alias,
//! or of a Vietnamese name (the common family names, middle and given
//! names in [`NAME_SYLLABLES`]); "Rồi", "Theo", "Trong" or a title such as
//! "Ông" stay out, while "Lương" in "Lương Cường đến" stays in.
//!
//! On top of the pipeline: the commands.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use serde::Serialize;

use crate::anchor::autolink::{Autolinker, tone_variants};
use crate::config::Autolink;
use crate::content::EntityKind;
use crate::site::Site;
use crate::text::{fold, is_word_char};

#[derive(Debug, Serialize)]
pub struct Report {
    pub articles: Vec<ArticleReport>,
}

#[derive(Debug, Serialize)]
pub struct ArticleReport {
    pub path: String,
    /// Entity names in the text that are not mentions.
    pub unlinked: Vec<Unlinked>,
    /// Quoted passages not annotated as quotes.
    pub quotes: Vec<QuoteCandidate>,
    /// Capitalised names that match no entity.
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Serialize)]
pub struct Unlinked {
    pub entity: String,
    pub text: String,
    pub count: usize,
    pub why: &'static str,
}

#[derive(Debug, Serialize)]
pub struct QuoteCandidate {
    pub text: String,
    /// The nearest person or organisation mentioned in the same sentence.
    pub speaker: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Candidate {
    pub name: String,
    pub count: usize,
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Syllables of Vietnamese personal names, lower case: the common family
/// names, then common middle and given names. A sentence-initial word that
/// is one of these may start a name. Words that are far more often
/// something else at the start of a sentence are left out: "Từ" (from),
/// "Sang" (to), "Anh", "Chị", "Em" (titles and pronouns), numbers ("Hai",
/// "Ba", "Năm").
pub const NAME_SYLLABLES: &[&str] = &[
    // family names
    "nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ", "hồ", "ngô", "dương",
    "lý", "lương", "đào", "đoàn", "vương", "trịnh", "trương", "đinh", "lâm", "phùng", "mai", "tô", "hà", "tạ", "châu",
    "quách", "cao", "lưu", "tăng", "lại", "kiều", "mạc", "hứa", "triệu", "chu", "tôn", "thân", "khổng", "nông", "lò",
    "âu", "diệp", "giang", "khúc", "kim", "la", "lục", "ninh", "quan", "thái", "vi", "yên",
    // middle and given names
    "thị", "hữu", "đức", "công", "quang", "minh", "thanh", "ngọc", "xuân", "thu", "hồng", "bảo", "gia", "hoài", "khánh",
    "tuấn", "hùng", "dũng", "cường", "chính", "hải", "sơn", "long", "nam", "bình", "hoa", "lan", "linh", "hương",
    "trang", "thảo", "nga", "phương", "huệ", "hạnh", "yến", "vy", "vân", "tâm", "thắng", "thành", "trung", "phúc",
    "lộc", "tài", "kiên", "hiếu", "nghĩa", "quân", "tú", "tùng", "phong", "huy", "hiền", "loan", "oanh", "dung", "ánh",
    "khoa", "việt", "quý", "tiến", "toàn", "trí", "nhân", "hòa", "an", "vinh", "phát", "duy", "đạt", "thủy", "nhung",
    "hằng", "uyên", "thư", "quỳnh", "mỹ", "diễm", "thúy", "tường", "bá", "đình", "khắc", "trọng", "mạnh", "thiện",
    "thuận", "tín", "nhật", "mẫn", "hiển", "hậu", "khải", "lực", "nguyên", "phú", "thịnh", "thông", "tuệ", "vĩnh",
    "văn",
];

/// Titles and forms of address that open a sentence before a name ("Ông
/// Phạm Minh Chính"): never part of the candidate, even when an entity's
/// alias holds one ("ông Chan").
const TITLES: &[&str] = &[
    "ông", "bà", "anh", "chị", "em", "cô", "chú", "bác", "cụ", "thầy", "ngài", "cháu", "con",
];

/// The words that may open a candidate at the start of a sentence, lower
/// case, with the tone mark of "oa", "oe", "uy" either way (hòa/hoà):
/// [`NAME_SYLLABLES`] and the capitalised words of the entities' names and
/// aliases, without [`TITLES`].
fn name_words(entities: &[crate::content::Entity]) -> HashSet<String> {
    let from_entities = entities
        .iter()
        .flat_map(|e| std::iter::once(&e.name).chain(&e.aliases))
        .flat_map(|n| n.split(|c: char| !is_word_char(c)))
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .map(str::to_lowercase);
    NAME_SYLLABLES
        .iter()
        .map(|s| s.to_string())
        .chain(from_entities)
        .filter(|w| !TITLES.contains(&w.as_str()))
        .flat_map(|w| tone_variants(&w))
        .collect()
}

/// The report for every article of the site.
pub fn report(site: &Site) -> Report {
    let suggester = Suggester::new(site);
    Report {
        articles: (0..site.articles.len()).map(|ai| suggester.article(site, ai)).collect(),
    }
}

/// What every article's report reads, made once per site: every entity
/// name (autolinking or not) and the folded names known.
pub struct Suggester {
    entities: Vec<crate::content::Entity>,
    every_name: Autolinker,
    known: HashSet<String>,
    name_words: HashSet<String>,
}

impl Suggester {
    pub fn new(site: &Site) -> Suggester {
        let entities: Vec<crate::content::Entity> = site.entities.iter().map(|e| e.src.clone()).collect();
        let every_name = Autolinker::every_name(&entities);
        let known = entities
            .iter()
            .flat_map(|e| std::iter::once(&e.name).chain(&e.aliases))
            .map(|n| fold(n))
            .collect();
        let name_words = name_words(&entities);
        Suggester {
            entities,
            every_name,
            known,
            name_words,
        }
    }

    /// The report for article `ai` of `site` (the site it was made for).
    pub fn article(&self, site: &Site, ai: usize) -> ArticleReport {
        let (entities, every_name, known) = (&self.entities, &self.every_name, &self.known);
        let name_words = &self.name_words;
        let a = &site.articles[ai];
        let text = &a.text.unpack();
        let mention_ranges: Vec<&Range<usize>> = a.mentions.iter().map(|m| &m.range).collect();
        let mode = a.src.autolink.unwrap_or(site.config.autolink);

        let mut unlinked: BTreeMap<(String, String), (usize, &'static str)> = BTreeMap::new();
        for (r, e) in every_name.find(text) {
            if mention_ranges.iter().any(|m| overlaps(m, &r)) {
                continue;
            }
            let id = entities[e].id.clone();
            let why = if !entities[e].autolink {
                "the entity has autolink = false"
            } else if mode == Autolink::None {
                "autolink is \"none\" for this article"
            } else {
                "in a heading, a link, code or another annotation"
            };
            unlinked.entry((id, text[r].to_string())).or_insert((0, why)).0 += 1;
        }

        let quoted: Vec<String> = site
            .quotes
            .iter()
            .filter(|q| q.article == ai)
            .map(|q| crate::text::collapse_ws(&q.text))
            .collect();
        let mut quotes = Vec::new();
        for r in quoted_passages(text) {
            let inner = crate::text::collapse_ws(text[r.clone()].trim_matches(['“', '”', '"']));
            if inner.is_empty() || quoted.iter().any(|q| q.contains(&inner) || inner.contains(q.as_str())) {
                continue;
            }
            let sentence = sentence_around(text, &r);
            let speaker = a
                .mentions
                .iter()
                .filter(|m| sentence.start <= m.range.start && m.range.end <= sentence.end && !overlaps(&m.range, &r))
                .filter(|m| {
                    matches!(
                        site.entities[m.entity].src.kind,
                        EntityKind::Person | EntityKind::Organization
                    )
                })
                .min_by_key(|m| {
                    if m.range.end <= r.start {
                        r.start - m.range.end
                    } else {
                        m.range.start.saturating_sub(r.end)
                    }
                })
                .map(|m| site.entities[m.entity].src.id.clone());
            quotes.push(QuoteCandidate { text: inner, speaker });
        }

        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for r in capitalised_runs(text, name_words) {
            if mention_ranges.iter().any(|m| overlaps(m, &r)) || known.contains(&fold(&text[r.clone()])) {
                continue;
            }
            *names.entry(text[r].to_string()).or_default() += 1;
        }
        ArticleReport {
            path: a.src.path.to_string_lossy().replace('\\', "/"),
            unlinked: unlinked
                .into_iter()
                .map(|((entity, text), (count, why))| Unlinked {
                    entity,
                    text,
                    count,
                    why,
                })
                .collect(),
            quotes,
            candidates: names
                .into_iter()
                .map(|(name, count)| Candidate { name, count })
                .collect(),
        }
    }
}

/// “…” and "…" within one paragraph, marks included.
fn quoted_passages(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None;
    for (i, c) in text.char_indices() {
        match (open, c) {
            (_, '\n') => open = None,
            (None, '“') => open = Some((i, '”')),
            (None, '"') => open = Some((i, '"')),
            (Some((start, close)), c) if c == close => {
                out.push(start..i + c.len_utf8());
                open = None;
            }
            _ => {}
        }
    }
    out
}

/// The sentence around `r`: from after the last `.`, `!`, `?` or line break
/// before it to the first one after it.
fn sentence_around(text: &str, r: &Range<usize>) -> Range<usize> {
    let end_of = |c: char| matches!(c, '.' | '!' | '?' | '\n');
    let start = text[..r.start].rfind(end_of).map_or(0, |i| i + 1);
    let end = text[r.end..].find(end_of).map_or(text.len(), |i| r.end + i);
    start..end
}

/// Runs of two or more capitalised words ("Lương Cường"). The word that
/// starts a sentence is capitalised anyway, so it is kept only when it is
/// one of `name_words` (lower case): "Rồi Lương Cường đến" gives "Lương
/// Cường", and so does "Lương Cường đến" at the start of a sentence.
fn capitalised_runs(text: &str, name_words: &HashSet<String>) -> Vec<Range<usize>> {
    let mut words: Vec<(Range<usize>, bool)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (start, is_word_char(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let capital = text[s..].chars().next().is_some_and(char::is_uppercase);
                words.push((s..i, capital));
                start = None;
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if !words[i].1 {
            i += 1;
            continue;
        }
        let mut j = i;
        // extend while the next word is capitalised and only a space apart
        while j + 1 < words.len() && words[j + 1].1 && &text[words[j].0.end..words[j + 1].0.start] == " " {
            j += 1;
        }
        let mut first = i;
        let before = text[..words[i].0.start].trim_end_matches([' ', '“', '”', '"', '(']);
        let sentence_start = before.is_empty() || before.ends_with(['.', '!', '?', '\n', ':']);
        if sentence_start && !name_words.contains(&text[words[i].0.clone()].to_lowercase()) {
            first += 1;
        }
        if j > first {
            out.push(words[first].0.start..words[j].0.end);
        }
        i = j + 1;
    }
    out
}

/// The report as text, for people.
pub fn render_human(r: &Report) -> String {
    let mut s = String::new();
    let (mut n_unlinked, mut n_quotes, mut n_names) = (0, 0, 0);
    for a in &r.articles {
        if a.unlinked.is_empty() && a.quotes.is_empty() && a.candidates.is_empty() {
            continue;
        }
        s.push_str(&format!("{}\n", a.path));
        if !a.unlinked.is_empty() {
            s.push_str(&format!("  names that are not mentions ({}):\n", a.unlinked.len()));
            for u in &a.unlinked {
                s.push_str(&format!("    «{}» ×{} → {} ({})\n", u.text, u.count, u.entity, u.why));
            }
        }
        if !a.quotes.is_empty() {
            s.push_str(&format!("  quotes not annotated ({}):\n", a.quotes.len()));
            for q in &a.quotes {
                let who = q
                    .speaker
                    .as_deref()
                    .map_or("no speaker in the sentence".to_string(), |s| format!("speaker? {s}"));
                s.push_str(&format!("    “{}” — {who}\n", crate::text::truncate_words(&q.text, 80)));
            }
        }
        if !a.candidates.is_empty() {
            s.push_str(&format!("  names that match no entity ({}):\n", a.candidates.len()));
            for c in &a.candidates {
                s.push_str(&format!("    {} ×{}\n", c.name, c.count));
            }
        }
        n_unlinked += a.unlinked.iter().map(|u| u.count).sum::<usize>();
        n_quotes += a.quotes.len();
        n_names += a.candidates.len();
    }
    s.push_str(&format!(
        "{} articles: {n_unlinked} names not linked, {n_quotes} quotes not annotated, {n_names} possible new entities\n",
        r.articles.len()
    ));
    s
}
