//! Quote ids (permalinks): a quote without an `id` gets one derived from its
//! article, speaker and text (see `docs/annotations.md#quote-ids`).
//!
//! - a property: random sites full of look-alike quotes (one speaker, one
//!   beginning, the same text in several articles, twice in one article)
//!   give every quote an id, each a slug of at most 60 characters, no two
//!   alike; then adding articles with more look-alikes, removing one and
//!   appending a quote to another leave every other quote's id as it was;
//! - pinned ids: a duplicate is still an error, within an article too;
//! - `glossa check` warns when a quote page of the last build would be gone.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use common::write;
use glossa::BuildOptions;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

const SPEAKERS: [&str; 3] = ["nguyen-van-an", "tran-thi-binh", "le-van-cuong"];
const WORDS: [&str; 8] = ["làm", "đi", "xây", "nhà", "máy", "mới", "đường", "sắt"];

/// A quote as written: its speaker and its text (without the final stop).
#[derive(Debug, Clone, PartialEq)]
struct Quote {
    speaker: usize,
    text: String,
}

/// Every quote begins “Chúng tôi sẽ …”: the readable part of many ids is
/// the same.
fn quote() -> impl Strategy<Value = Quote> {
    (0..SPEAKERS.len(), prop::collection::vec(0..WORDS.len(), 1..4)).prop_map(|(speaker, words)| Quote {
        speaker,
        text: format!(
            "Chúng tôi sẽ {}",
            words.iter().map(|&w| WORDS[w]).collect::<Vec<_>>().join(" ")
        ),
    })
}

/// An article: its quotes, some repeated in it.
fn article() -> impl Strategy<Value = Vec<Quote>> {
    (
        prop::collection::vec(quote(), 1..5),
        prop::collection::vec(any::<Index>(), 0..2),
    )
        .prop_map(|(mut quotes, repeats)| {
            for r in repeats {
                let q = r.get(&quotes).clone();
                quotes.push(q);
            }
            quotes
        })
}

/// A new article made of look-alikes of the site's quotes: the same quote
/// (speaker and text), or the same speaker and beginning with one more word.
fn lookalikes() -> impl Strategy<Value = Vec<(Index, bool, usize)>> {
    prop::collection::vec((any::<Index>(), any::<bool>(), 0..WORDS.len()), 1..5)
}

fn write_site(root: &Path) {
    write(root, "glossa.toml", "title = \"Trích dẫn\"\nautolink = \"none\"\n");
    for (i, s) in SPEAKERS.iter().enumerate() {
        write(
            root,
            &format!("content/entities/{s}.md"),
            &format!("+++\nname = \"Người {i}\"\nkind = \"person\"\n+++\n"),
        );
    }
}

/// Writes article `slug` with `quotes` (each a sentence of its own, each
/// annotated: `nth` tells repeated ones apart).
fn write_article(root: &Path, slug: &str, quotes: &[Quote]) {
    let mut body = String::new();
    let mut ann = String::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for q in quotes {
        body.push_str(&format!("Người ấy nói: “{}.”\n\n", q.text));
        let n = seen.entry(&q.text).or_default();
        *n += 1;
        ann.push_str(&format!(
            "[[quote]]\nspeaker = \"{}\"\nexact = \"{}.\"\nnth = {n}\n\n",
            SPEAKERS[q.speaker], q.text
        ));
    }
    write(
        root,
        &format!("content/articles/{slug}.md"),
        &format!("+++\ntitle = \"Bài {slug}\"\ndate = \"2026-05-01\"\n+++\n{body}"),
    );
    write(root, &format!("content/articles/{slug}.annotations.toml"), &ann);
}

fn remove_article(root: &Path, slug: &str) {
    for ext in ["md", "annotations.toml"] {
        std::fs::remove_file(root.join(format!("content/articles/{slug}.{ext}"))).unwrap();
    }
}

/// (article slug, the quote's place among the article's) → id, checking
/// that the site loads without errors and that every quote got a valid id
/// of its own.
fn ids(root: &Path, quotes: usize) -> Result<BTreeMap<(String, usize), String>, TestCaseError> {
    let loaded = glossa::load(root, &BuildOptions::default());
    prop_assert!(
        !loaded.diags.has_errors(),
        "{}",
        loaded.diags.render(&loaded.sources, false)
    );
    let site = &loaded.site;
    prop_assert_eq!(site.quotes.len(), quotes, "every quote is a quote of its own");
    let mut out = BTreeMap::new();
    let mut all = HashSet::new();
    for a in &site.articles {
        for (k, &q) in a.quotes.iter().enumerate() {
            let id = site.quotes[q].id.clone();
            prop_assert!(!id.is_empty() && id.len() <= 60, "length of {}", id);
            prop_assert_eq!(glossa::text::slugify(&id), id.clone(), "a slug");
            prop_assert!(all.insert(id.clone()), "{} given twice", id);
            out.insert((a.src.slug.clone(), k), id);
        }
    }
    Ok(out)
}

fn config() -> Config {
    Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn derived_ids_are_unique_and_stable(
        base in prop::collection::vec(article(), 2..6),
        added in prop::collection::vec(lookalikes(), 1..4),
        removed in any::<Index>(),
        edited in any::<Index>(),
        appended in any::<Index>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_site(root);
        let slug = |i: usize| format!("bai-{i}");
        for (i, quotes) in base.iter().enumerate() {
            write_article(root, &slug(i), quotes);
        }
        let count = |arts: &[Vec<Quote>]| arts.iter().map(Vec::len).sum::<usize>();
        let before = ids(root, count(&base))?;

        // look-alike articles added, one article removed, one quote
        // appended to another (a copy of one of its own: the same text twice)
        let every: Vec<Quote> = base.iter().flatten().cloned().collect();
        let mut now: Vec<Vec<Quote>> = base.clone();
        for (j, new) in added.iter().enumerate() {
            let quotes: Vec<Quote> = new
                .iter()
                .map(|(pick, same, word)| {
                    let q = pick.get(&every).clone();
                    if *same {
                        q
                    } else {
                        Quote { text: format!("{} {}", q.text, WORDS[*word]), ..q }
                    }
                })
                .collect();
            write_article(root, &format!("moi-{j}"), &quotes);
            now.push(quotes);
        }
        let removed = removed.index(base.len());
        remove_article(root, &slug(removed));
        now[removed].clear();
        let edited = (removed + 1 + edited.index(base.len() - 1)) % base.len();
        let copy = appended.get(&base[edited]).clone();
        now[edited].push(copy);
        write_article(root, &slug(edited), &now[edited]);
        let after = ids(root, count(&now))?;

        for ((s, k), id) in &before {
            if *s == slug(removed) {
                prop_assert!(!after.contains_key(&(s.clone(), *k)));
                continue;
            }
            prop_assert_eq!(after.get(&(s.clone(), *k)), Some(id), "the id of quote {} of {}", k, s);
        }
    }
}

/// A site with one article, `bai` (its annotation file as given), and
/// speaker `an`.
fn small_site(ann: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"T\"\nautolink = \"none\"\n");
    write(
        r,
        "content/entities/an.md",
        "+++\nname = \"An\"\nkind = \"person\"\n+++\n",
    );
    write(
        r,
        "content/articles/bai.md",
        "+++\ntitle = \"Bài\"\ndate = \"2026-05-01\"\n+++\nAn nói: “Chúng tôi sẽ làm.” Rồi: “Chúng tôi sẽ làm.”\n",
    );
    write(r, "content/articles/bai.annotations.toml", ann);
    dir
}

fn check(root: &Path) -> (glossa::CheckReport, String) {
    let report = glossa::check(root, &BuildOptions::default(), false);
    let text = report.diags.render(&report.sources, false);
    (report, text)
}

#[test]
fn a_pinned_id_used_twice_in_one_article_is_an_error_at_the_second() {
    let s = small_site(
        "[[quote]]\nid = \"lam\"\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm.\"\nnth = 1\n\n\
         [[quote]]\nid = \"lam\"\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm.\"\nnth = 2\n",
    );
    let (report, text) = check(s.path());
    assert!(report.diags.has_errors(), "{text}");
    assert!(text.contains("error: duplicate quote id `lam`"), "{text}");
    assert!(text.contains("bai.annotations.toml:8:6"), "at the second `id`: {text}");
}

#[test]
fn identical_quotes_in_one_article_and_a_pinned_lookalike_all_build() {
    // the same quote twice, derived; then the first one's derived id
    // pinned on the second: the first steps aside (the pin wins)
    let s = small_site(
        "[[quote]]\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm.\"\nnth = 1\n\n\
         [[quote]]\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm.\"\nnth = 2\n",
    );
    let loaded = glossa::load(s.path(), &BuildOptions::default());
    assert!(
        loaded.diags.is_empty(),
        "{}",
        loaded.diags.render(&loaded.sources, false)
    );
    let ids: Vec<String> = loaded.site.quotes.iter().map(|q| q.id.clone()).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|i| i.starts_with("an-chung-toi-se-lam-")), "{ids:?}");

    write(
        s.path(),
        "content/articles/bai.annotations.toml",
        &format!(
            "[[quote]]\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm.\"\nnth = 1\n\n\
             [[quote]]\nid = \"{}\"\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm.\"\nnth = 2\n",
            ids[0]
        ),
    );
    let loaded = glossa::load(s.path(), &BuildOptions::default());
    assert!(
        loaded.diags.is_empty(),
        "{}",
        loaded.diags.render(&loaded.sources, false)
    );
    let now: Vec<&str> = loaded.site.quotes.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(now[1], ids[0], "the pin");
    assert!(
        now[0] != ids[0] && now[0].starts_with("an-chung-toi-se-lam-"),
        "{now:?}"
    );
}

#[test]
fn check_warns_when_a_quote_page_of_the_last_build_would_be_gone() {
    let derived = "[[quote]]\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm.\"\nnth = 1\n";
    let s = small_site(derived);
    let r = s.path();
    let out = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        output_dir: Some(out.path().to_path_buf()),
        ..Default::default()
    };
    let build = || {
        if let Err(f) = glossa::build(r, &opts) {
            panic!("{}", f.diags.render(&f.sources, false));
        }
    };
    // no build yet: nothing to compare with
    let (report, text) = check(r);
    assert!(report.diags.is_empty(), "{text}");
    build();
    let old = glossa::load(r, &BuildOptions::default()).site.quotes[0].id.clone();
    assert!(out.path().join(format!("quotes/{old}/index.html")).is_file());
    let (report, text) = check(r);
    assert!(report.diags.is_empty(), "{text}");

    // another article with the same quote: nothing changes
    write(
        r,
        "content/articles/khac.md",
        "+++\ntitle = \"Khác\"\ndate = \"2026-05-02\"\n+++\nAn nói: “Chúng tôi sẽ làm.”\n",
    );
    write(r, "content/articles/khac.annotations.toml", derived);
    let (report, text) = check(r);
    assert!(report.diags.is_empty(), "{text}");

    // the quote edited: its derived id changes, and check says so at it
    write(
        r,
        "content/articles/bai.md",
        "+++\ntitle = \"Bài\"\ndate = \"2026-05-01\"\n+++\nAn nói: “Chúng tôi sẽ làm ngay.” Rồi: “Chúng tôi sẽ làm.”\n",
    );
    let edited = "[[quote]]\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm ngay.\"\n";
    write(r, "content/articles/bai.annotations.toml", edited);
    let new = glossa::load(r, &BuildOptions::default())
        .site
        .quotes
        .iter()
        .find(|q| q.text.contains("ngay"))
        .unwrap()
        .id
        .clone();
    let (report, text) = check(r);
    assert_eq!(report.diags.warning_count(), 1, "{text}");
    assert!(!report.diags.has_errors(), "{text}");
    assert!(
        text.contains(&format!(
            "this quote's permalink changes from /quotes/{old}/ (the last build's) to /quotes/{new}/"
        )),
        "{text}"
    );
    assert!(
        text.contains("content/articles/bai.annotations.toml:3:9"),
        "at the quote: {text}"
    );
    assert!(text.contains(&format!("add `id = \"{old}\"` to this quote")), "{text}");
    // (a check with other flags compares with the builds made with them: none)
    let drafts = glossa::check(
        r,
        &BuildOptions {
            drafts: true,
            ..Default::default()
        },
        false,
    );
    assert!(drafts.diags.is_empty());

    // pinned: the URL stays
    write(
        r,
        "content/articles/bai.annotations.toml",
        &format!("[[quote]]\nid = \"{old}\"\nspeaker = \"an\"\nexact = \"Chúng tôi sẽ làm ngay.\"\n"),
    );
    let (report, text) = check(r);
    assert!(report.diags.is_empty(), "{text}");

    // the quote removed: the old page is named
    write(r, "content/articles/bai.annotations.toml", "");
    let (report, text) = check(r);
    assert_eq!(report.diags.warning_count(), 1, "{text}");
    assert!(
        text.contains(&format!(
            "the quote page /quotes/{old}/ of the last build would be gone: no quote has the id `{old}` now"
        )),
        "{text}"
    );
}
