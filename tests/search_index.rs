//! The search index without a browser: the files `static/search.js` reads,
//! read here the way it reads them (see `src/render/search.rs` for the
//! format) — the layout from the search page's `data-index`, one shard per
//! query word picked by the FNV hash of its first letters, result lines per
//! chunk, articles' texts for excerpts. So CI catches an index bug (a word
//! folded wrong, a shard holding a term the script will not look for, a
//! result line pointing nowhere) without a browser.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Built, build, copy_site, fixture, sel};
use serde_json::Value;

const KINDS: [&str; 3] = ["e", "a", "q"];

/// A document a word occurs in: (field class 0–3, title word count).
type Hits = [BTreeMap<usize, (u32, u32)>; 3];

struct Search<'a> {
    site: &'a Built,
    /// `search/` as an output path.
    dir: String,
    meta: Value,
}

fn digit(c: u8) -> u32 {
    match c {
        b'A'..=b'Z' => (c - b'A') as u32,
        b'a'..=b'z' => (c - b'a') as u32 + 26,
        b'0'..=b'9' => (c - b'0') as u32 + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not a digit: {:?}", c as char),
    }
}

fn vlqs(s: &str) -> Vec<u32> {
    let (mut v, mut n, mut shift) = (Vec::new(), 0u32, 0);
    for c in s.bytes() {
        let d = digit(c);
        n |= (d & 31) << shift;
        if d & 32 != 0 {
            shift += 5;
        } else {
            v.push(n);
            (n, shift) = (0, 0);
        }
    }
    assert_eq!(shift, 0, "a number cut short in {s:?}");
    v
}

fn doc_set(s: &str) -> Vec<usize> {
    if let Some(bits) = s.strip_prefix('!') {
        let mut v = Vec::new();
        for (i, c) in bits.bytes().enumerate() {
            for j in 0..6 {
                if digit(c) & (1 << j) != 0 {
                    v.push(i * 6 + j);
                }
            }
        }
        v
    } else {
        let mut next = 0;
        vlqs(s)
            .into_iter()
            .map(|g| {
                let d = next + g as usize;
                next = d + 1;
                d
            })
            .collect()
    }
}

fn decode(entry: &str, into: &mut Hits) {
    for (k, part) in entry.split(',').enumerate() {
        let mut seg = part.split('.');
        let mut put = |d: usize, f: u32, n: u32| {
            let e = into[k].entry(d).or_insert((f, n));
            if e.0 < f {
                *e = (f, n);
            }
        };
        let title = seg.next().unwrap_or("");
        if k == 0 {
            // an entity's name: (gap, words in the name) pairs
            let v = vlqs(title);
            assert_eq!(v.len() % 2, 0, "{entry:?}");
            let mut next = 0;
            for pair in v.chunks(2) {
                put(next + pair[0] as usize, 3, pair[1]);
                next += pair[0] as usize + 1;
            }
        } else {
            for d in doc_set(title) {
                put(d, 3, 0);
            }
        }
        for f in [2, 1, 0] {
            for d in doc_set(seg.next().unwrap_or("")) {
                put(d, f, 0);
            }
        }
    }
}

fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// A query's words as the script makes them: folded, split on what is
/// not a letter or digit.
fn words(query: &str) -> Vec<String> {
    glossa::text::fold(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl<'a> Search<'a> {
    fn open(site: &'a Built) -> Search<'a> {
        let page = site.html("search/index.html");
        let root = page.select(&sel("#glossa-search")).next().expect("the search box");
        let url = root.value().attr("data-index").expect("data-index");
        let (file, _) = site.target_of(url, "search/index.html").unwrap();
        let meta: Value = serde_json::from_str(&site.text(&file)).unwrap();
        assert_eq!(meta["v"], 3, "{meta}");
        Search {
            site,
            dir: file.trim_end_matches("meta.json").to_string(),
            meta,
        }
    }

    fn n(&self, key: &str) -> usize {
        self.meta[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {}", self.meta)) as usize
    }

    fn json(&self, rel: &str) -> Value {
        serde_json::from_str(&self.site.text(&format!("{}{rel}", self.dir))).unwrap()
    }

    fn shard_of(&self, term: &str) -> usize {
        let head: String = term.chars().take(self.n("prefix")).collect();
        fnv(&head) as usize % self.n("shards")
    }

    fn shard(&self, k: usize) -> Value {
        self.json(&format!("t/{k}.json"))
    }

    /// What a word matches: exactly, or as the last word still typed.
    fn lookup(&self, w: &str, prefix: bool) -> Hits {
        let shard = self.shard(self.shard_of(w));
        let mut hits = Hits::default();
        if !prefix {
            if let Some(e) = shard["t"][w].as_str() {
                decode(e, &mut hits);
            }
        } else if w.chars().count() < self.n("prefix") {
            if let Some(e) = shard["p"][w].as_str() {
                decode(e, &mut hits);
            }
        } else {
            for (t, e) in shard["t"].as_object().unwrap() {
                if t.starts_with(w) {
                    decode(e.as_str().unwrap(), &mut hits);
                }
            }
        }
        hits
    }

    /// The results of a query, per kind, ranked as the script ranks them:
    /// (document, score).
    fn query(&self, query: &str) -> [Vec<(usize, u32)>; 3] {
        let ws = words(query);
        let open = query.chars().last().is_some_and(|c| c.is_alphanumeric());
        let all: Vec<Hits> = ws
            .iter()
            .enumerate()
            .map(|(i, w)| self.lookup(w, open && i == ws.len() - 1))
            .collect();
        std::array::from_fn(|k| {
            let mut list: Vec<(usize, u32)> = all[0][k]
                .keys()
                .filter_map(|d| {
                    let mut s = 0;
                    let mut title = true;
                    let mut n = 0;
                    for h in &all {
                        let (f, words) = *h[k].get(d)?;
                        s += [1, 2, 4, 8][f as usize];
                        if f == 3 {
                            n = words;
                        } else {
                            title = false;
                        }
                    }
                    if k == 0 && title && n as usize == all.len() {
                        s += 100;
                    }
                    Some((*d, s))
                })
                .collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            list
        })
    }

    /// A result's line: title, URL, context.
    fn doc(&self, kind: usize, d: usize) -> Value {
        let per = self.meta[KINDS[kind]][1].as_u64().unwrap() as usize;
        self.json(&format!("{}/{}.json", KINDS[kind], d / per))[d % per].clone()
    }

    fn titles(&self, query: &str) -> Vec<(&'static str, String)> {
        let r = self.query(query);
        let mut v = Vec::new();
        for (k, list) in r.iter().enumerate() {
            for (d, _) in list {
                v.push((KINDS[k], self.doc(k, *d)["t"].as_str().unwrap().to_string()));
            }
        }
        v
    }

    /// An article's text, as the excerpt is cut from it (gzipped JSON, and
    /// compressed: a gzip of stored blocks would decode the same).
    fn text(&self, article: usize) -> String {
        use std::io::Read;
        let per = self.n("x");
        let file = self.site.path(&format!("{}x/{}.json.gz", self.dir, article / per));
        let mut json = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
            .read_to_string(&mut json)
            .unwrap();
        let gz = std::fs::metadata(&file).unwrap().len();
        assert!(
            gz < json.len() as u64,
            "{}: {gz} bytes for {} of JSON",
            file.display(),
            json.len()
        );
        let texts: Value = serde_json::from_str(&json).unwrap();
        texts[article % per].as_str().unwrap().to_string()
    }
}

fn set<'a>(v: &'a [(&'static str, String)]) -> BTreeSet<(&'static str, &'a str)> {
    v.iter().map(|(k, t)| (*k, t.as_str())).collect()
}

#[test]
fn every_page_is_a_result_line_and_every_term_is_where_the_script_looks() {
    let site = build(&fixture("multi"));
    let s = Search::open(&site);
    // Each kind's result lines: its pages, each once, in chunks.
    for (k, dir) in KINDS.iter().zip(["entities/", "articles/", "quotes/"]) {
        let pages: BTreeSet<String> = site
            .html_files()
            .into_iter()
            .filter(|f| f.starts_with(dir) && f.ends_with("/index.html") && f.matches('/').count() == 2)
            .collect();
        let count = s.meta[k][0].as_u64().unwrap() as usize;
        assert_eq!(count, pages.len(), "{k}");
        let urls: BTreeSet<String> = (0..count)
            .map(|d| {
                let line = s.doc(KINDS.iter().position(|x| x == k).unwrap(), d);
                assert!(!line["t"].as_str().unwrap().is_empty(), "{line}");
                site.target_of(line["u"].as_str().unwrap(), "search/index.html")
                    .unwrap()
                    .0
            })
            .collect();
        assert_eq!(urls, pages, "{dir}");
    }
    // Every key folded (lower case, no marks, đ → d), in the shard the
    // script computes for it; prefixes shorter than three letters.
    let mut terms = 0;
    for k in 0..s.n("shards") {
        let shard = s.shard(k);
        for (key, what) in [("t", "term"), ("p", "prefix")] {
            for (t, entry) in shard[key].as_object().unwrap() {
                assert!(
                    t.chars()
                        .all(|c| c.is_alphanumeric() && (c.is_ascii() || !c.is_alphabetic()))
                        && *t == t.to_lowercase(),
                    "{what} {t:?} is not folded"
                );
                assert_eq!(s.shard_of(t), k, "{what} {t:?} in the wrong shard");
                if key == "p" {
                    assert!(t.chars().count() < s.n("prefix"), "{t:?}");
                }
                let mut hits = Hits::default();
                decode(entry.as_str().unwrap(), &mut hits);
                assert!(hits.iter().any(|h| !h.is_empty()), "{what} {t:?} occurs nowhere");
                terms += 1;
            }
        }
    }
    assert!(terms > 100, "{terms} keys");
    // đ is folded: "Đà Nẵng" is "da nang", and no key keeps a đ
    assert!(s.shard(s.shard_of("da"))["t"]["da"].is_string());
    assert!(s.shard(s.shard_of("nang"))["t"]["nang"].is_string());
}

#[test]
fn typed_queries_find_names_titles_quotes_and_body_text() {
    let site = build(&fixture("multi"));
    let s = Search::open(&site);
    // Without diacritics, as typed; entities first, then articles, quotes.
    let r = s.titles("da nang");
    assert_eq!(
        set(&r),
        BTreeSet::from([
            ("a", "Cuộc chiến chip: Huawei và SMIC"),
            ("a", "Mô hình mở từ Alibaba"),
            ("e", "Đà Nẵng")
        ])
    );
    assert_eq!(r[0], ("e", "Đà Nẵng".to_string()), "grouped: the entity first");
    // The last word is a prefix as it is typed.
    assert_eq!(
        set(&s.titles("anh du")),
        BTreeSet::from([("a", "Mô hình mở từ Alibaba"), ("e", "Ánh Dương")])
    );
    assert_eq!(set(&s.titles("da n")), set(&s.titles("da nang")), "a one-letter prefix");
    // …but a word followed by a space is whole: "dung" is Dũng, not "dụng…".
    assert_eq!(set(&s.titles("dung ")), BTreeSet::from([("e", "Dũng")]));
    let huaw = s.titles("huaw");
    let kinds: BTreeSet<&str> = huaw.iter().map(|r| r.0).collect();
    assert_eq!(kinds, BTreeSet::from(["a", "e", "q"]), "{huaw:?}");
    assert_eq!(huaw[0], ("e", "Huawei".to_string()), "the whole name typed ranks first");
    // An alias finds its entity.
    assert!(
        set(&s.titles("hoa vi")).contains(&("e", "Huawei")),
        "{:?}",
        s.titles("hoa vi")
    );
    // Quote words, typed with their diacritics or without.
    let q = ("q", "Chúng tôi sẽ tự chủ.");
    assert!(set(&s.titles("chung toi se tu chu")).contains(&q));
    assert!(set(&s.titles("Chúng tôi sẽ tự chủ")).contains(&q));

    // A phrase of an article's body only (not its title or description):
    // found, and its text, with its diacritics, has it for the excerpt.
    let chip = "Cuộc chiến chip: Huawei và SMIC";
    assert_eq!(set(&s.titles("mo rong nha may")), BTreeSet::from([("a", chip)]));
    let found = s.query("mo rong nha may");
    let (d, score) = found[1][0];
    assert!(score < 8 * 4, "a body match, not a title one: {score}");
    assert!(s.text(d).contains("SMIC đã mở rộng nhà máy"), "{}", s.text(d));
    // đ → d inside a body word: "doan" finds "Một đoạn có mã…".
    assert!(set(&s.titles("doan co ma")).contains(&("a", chip)));
    // An article with no annotations at all is searchable by its text.
    assert_eq!(
        set(&s.titles("khong nhac den ai")),
        BTreeSet::from([("a", "Một bài không có chú giải")])
    );
    // Nothing for a word that is nowhere.
    assert!(s.titles("huawzzq").is_empty());
}

/// Two builds of the same content write the same search files, byte for
/// byte (the rebuild tests compare whole outputs; this one says which part
/// differs if they do).
#[test]
fn the_search_files_are_the_same_every_build() {
    let site = copy_site(&fixture("multi"), false);
    let a = build(site.path());
    let b = build(site.path());
    let files = |b: &Built| -> BTreeMap<String, Vec<u8>> {
        common::snapshot(b.out.path())
            .into_iter()
            .filter(|(p, _)| p.starts_with("search/"))
            .collect()
    };
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.len() > 5, "{:?}", fa.keys());
    assert_eq!(fa, fb);
}

/// The watch loop patches the term index: an edit that adds a new word to
/// an article's body re-writes that word's shard (and the shard of a
/// prefix of it no word had before) and the article's text chunk, not the
/// other shards, and the files it writes equal a fresh build's.
#[test]
fn an_edit_rewrites_only_the_shards_of_the_words_it_changes() {
    use glossa::output::session::{Outcome, Session};
    let site = copy_site(&fixture("multi"), false);
    // enough articles for several shards
    for n in 0..400 {
        common::write(
            site.path(),
            &format!("content/articles/extra-{n:03}.md"),
            &format!(
                "+++\ntitle = \"Bài thêm {n}\"\ndate = \"2025-01-01\"\n+++\nMột câu về kinh tế và xã hội số {n}.\n"
            ),
        );
    }
    let out = tempfile::tempdir().unwrap();
    let opts = glossa::BuildOptions {
        output_dir: Some(out.path().to_path_buf()),
        ..Default::default()
    };
    let mut session = Session::watching(site.path(), opts);
    assert!(matches!(session.rebuild(&[]), Outcome::Built { .. }));
    let json =
        |p: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(out.path().join(p)).unwrap()).unwrap() };
    let shards = json("search/meta.json")["shards"].as_u64().unwrap();
    assert!(shards >= 8, "{shards}");
    let mut prefixes = BTreeSet::new();
    for k in 0..shards {
        prefixes.extend(
            json(&format!("search/t/{k}.json"))["p"]
                .as_object()
                .unwrap()
                .keys()
                .cloned(),
        );
    }

    let rel = std::path::Path::new("content/articles/chip-war.md");
    let text = std::fs::read_to_string(site.path().join(rel)).unwrap();
    std::fs::write(site.path().join(rel), format!("{text}\nQuizzical.\n")).unwrap();
    let changed = match session.rebuild(&[rel.to_path_buf()]) {
        Outcome::Built { changed, .. } => changed,
        Outcome::Failed { diags, sources } => panic!("{}", diags.render(&sources, false)),
    };
    let shard = |w: &str| format!("search/t/{}.json", fnv(w) as u64 % shards);
    let mut want: BTreeSet<String> = [shard("qui")].into();
    want.extend(["q", "qu"].iter().filter(|p| !prefixes.contains(**p)).map(|p| shard(p)));
    let search: BTreeSet<String> = changed.iter().filter(|p| p.starts_with("search/")).cloned().collect();
    let got: BTreeSet<String> = search.iter().filter(|p| p.starts_with("search/t/")).cloned().collect();
    assert_eq!(got, want, "{search:?}");
    assert!((got.len() as u64) < shards, "{search:?}");
    assert_eq!(search.len(), got.len() + 1, "the shards and the text chunk: {search:?}");
    assert!(search.iter().any(|p| p.starts_with("search/x/")), "{search:?}");
    // and what it wrote is what a fresh build writes
    let fresh = build(site.path());
    for p in &search {
        assert_eq!(
            std::fs::read(out.path().join(p)).unwrap(),
            std::fs::read(fresh.path(p)).unwrap(),
            "{p}"
        );
    }
}
