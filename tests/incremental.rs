//! Builds that start from the last one (the manifest in
//! `.glossa-cache/builds/`): nothing changed → nothing rendered; an edit →
//! only pages whose view changed are rendered; either way the output is
//! byte-identical to a fresh build, and output files changed or removed by
//! hand are restored. Each input of an article's stored anchoring
//! (`.glossa-cache/anchors/`) changed in turn between two `glossa build`
//! processes gives what a fresh build gives.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{copy_site, fixture, seed_root, snapshot};
use glossa::{BuildOptions, BuildReport};

fn build_into(root: &Path, out: &Path) -> BuildReport {
    let opts = BuildOptions {
        output_dir: Some(out.to_path_buf()),
        ..Default::default()
    };
    match glossa::build(root, &opts) {
        Ok((report, _, _)) => report,
        Err(f) => panic!("build failed:\n{}", f.diags.render(&f.sources, false)),
    }
}

/// The output of a build from nothing (no manifest: a new cache dir).
fn fresh(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let copy = tempfile::tempdir().unwrap();
    for part in ["glossa.toml", "content", "templates", "static", "i18n"] {
        let from = root.join(part);
        for entry in walkdir::WalkDir::new(&from).into_iter().flatten() {
            let to = copy.path().join(entry.path().strip_prefix(root).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(entry.path(), &to).unwrap();
            }
        }
    }
    let out = tempfile::tempdir().unwrap();
    let report = build_into(copy.path(), out.path());
    assert_eq!(report.rendered, report.pages, "a fresh build renders every page");
    snapshot(out.path())
}

fn differences(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut d: Vec<String> = want
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(*v))
        .map(|(k, _)| format!("differs or missing: {k}"))
        .collect();
    d.extend(
        got.keys()
            .filter(|k| !want.contains_key(*k))
            .map(|k| format!("extra: {k}")),
    );
    d
}

#[test]
fn an_unchanged_site_is_not_rendered_again() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    let first = build_into(site.path(), out.path());
    assert_eq!(first.rendered, first.pages);
    let before = snapshot(out.path());
    let again = build_into(site.path(), out.path());
    assert_eq!(again.pages, first.pages);
    assert_eq!(again.rendered, 0, "nothing changed, nothing is rendered");
    assert_eq!((again.stats.written, again.stats.removed), (0, 0));
    assert_eq!(snapshot(out.path()), before);
}

#[test]
fn the_manifest_is_found_when_the_first_build_created_the_output_folder() {
    let site = copy_site(&fixture("multi"), false);
    let tmp = tempfile::tempdir().unwrap();
    // not there yet, and named through `..`: the same folder either way
    std::fs::create_dir(tmp.path().join("a")).unwrap();
    let out = tmp.path().join("a/../public");
    let first = build_into(site.path(), &out);
    assert_eq!(first.rendered, first.pages);
    let again = build_into(site.path(), &tmp.path().join("public"));
    assert_eq!(again.rendered, 0, "the second build finds the first one's manifest");
}

#[test]
fn an_edit_renders_only_what_it_affects_and_equals_a_fresh_build() {
    let site = copy_site(&seed_root(), true);
    let out = tempfile::tempdir().unwrap();
    let first = build_into(site.path(), out.path());

    // An entity's description: its page, and the pages that show its summary.
    let rand = site.path().join("content/entities/rand.md");
    let text = std::fs::read_to_string(&rand).unwrap();
    std::fs::write(&rand, format!("{text}\nMột câu mô tả thêm.\n")).unwrap();
    let r = build_into(site.path(), out.path());
    assert!(
        r.rendered > 0 && r.rendered < first.pages / 2,
        "{} of {}",
        r.rendered,
        first.pages
    );
    assert_eq!(
        differences(&snapshot(out.path()), &fresh(site.path())),
        Vec::<String>::new()
    );

    // A template used by one kind of page: exactly those pages.
    let tpl = site.path().join("templates/quote.html");
    let text = std::fs::read_to_string(&tpl).unwrap();
    let edited = text.replacen("{% endblock content %}", "<!-- edited -->{% endblock content %}", 1);
    assert_ne!(edited, text);
    std::fs::write(&tpl, edited).unwrap();
    let r = build_into(site.path(), out.path());
    let quote_pages = snapshot(out.path())
        .keys()
        .filter(|k| k.starts_with("quotes/") && k.ends_with("/index.html") && *k != "quotes/index.html")
        .count();
    assert!(quote_pages >= 5);
    assert_eq!(r.rendered, quote_pages, "only the quote pages use quote.html");
    // (a new process, the last build's records read back with the listing: the other files
    // are known to be as it left them, and neither read nor written)
    assert_eq!(
        (r.stats.written, r.stats.removed),
        (quote_pages, 0),
        "only the quote pages' files are written again"
    );
    assert_eq!(
        differences(&snapshot(out.path()), &fresh(site.path())),
        Vec::<String>::new()
    );

    // An article's text: rendered again; the output still equals a fresh build.
    let article = site.path().join("content/articles/ai-trung-quoc-nguon-mo.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, format!("{text}\nMột đoạn mới ở cuối bài.\n")).unwrap();
    let r = build_into(site.path(), out.path());
    assert!(r.rendered > 0 && r.rendered < first.pages);
    assert_eq!(
        differences(&snapshot(out.path()), &fresh(site.path())),
        Vec::<String>::new()
    );
}

/// Changes an output page in place: the same length, other bytes, so that
/// only its modification time tells.
fn change_in_place(page: &Path) {
    let mut bytes = std::fs::read(page).unwrap();
    let at = bytes.iter().position(|&b| b == b'<').unwrap();
    bytes[at + 1] = b'X';
    let built = std::fs::metadata(page).unwrap().modified().unwrap();
    std::fs::write(page, &bytes).unwrap();
    // A file system with coarse timestamps may give the write the build's
    // time: then move it on by hand rather than wait for the clock.
    let file = std::fs::File::options().write(true).open(page).unwrap();
    if file.metadata().unwrap().modified().unwrap() == built {
        file.set_modified(built + std::time::Duration::from_secs(1)).unwrap();
    }
    assert_ne!(file.metadata().unwrap().modified().unwrap(), built);
}

#[test]
fn output_changed_by_hand_is_restored() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let want = snapshot(out.path());
    change_in_place(&out.path().join("index.html"));
    std::fs::remove_file(out.path().join("entities/index.html")).unwrap();
    std::fs::write(out.path().join("stray.html"), "not ours").unwrap();
    let r = build_into(site.path(), out.path());
    assert!(r.rendered >= 2, "the changed and the removed page are made again");
    assert_eq!(r.stats.removed, 1, "the stray file goes, as in any build");
    assert_eq!(differences(&snapshot(out.path()), &want), Vec::<String>::new());
}

/// A build after another finds the output's folders as the last one left
/// them by their stamps, not by reading each (see `output::listing`): a
/// file changed by hand deep down, one added, one removed and a folder
/// added are still found and put right, long after the build that wrote
/// them.
#[test]
fn output_changed_by_hand_in_folders_the_last_build_did_not_touch_is_restored() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let want = snapshot(out.path());
    // (a folder stamped within 0.1 s of a listing is read again by the next one, trusted only
    // after: so a build well after the first, which changes no output file, records them all)
    std::thread::sleep(std::time::Duration::from_millis(200));
    let config = site.path().join("glossa.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n# a comment changes no page\n")).unwrap();
    let r = build_into(site.path(), out.path());
    assert_eq!((r.stats.written, r.stats.removed), (0, 0));
    let first = |dir: &str| {
        let mut pages: Vec<_> = std::fs::read_dir(out.path().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        pages.sort();
        pages.remove(0)
    };
    let (quote, entity, article) = (first("quotes"), first("entities"), first("articles"));
    std::fs::write(quote.join("stray.html"), "not ours").unwrap();
    std::fs::create_dir_all(entity.join("extra")).unwrap();
    std::fs::write(entity.join("extra/x.html"), "not ours either").unwrap();
    std::fs::remove_file(article.join("index.html")).unwrap();
    change_in_place(&quote.join("index.html"));
    let r = build_into(site.path(), out.path());
    assert_eq!(r.stats.removed, 2, "the two files added go");
    assert_eq!(r.stats.written, 2, "the page removed and the page changed come back");
    assert_eq!(differences(&snapshot(out.path()), &want), Vec::<String>::new());
    assert!(!entity.join("extra").exists(), "the folder added goes with its file");
}

/// A card drawn at a build is kept in the card cache
/// (`.glossa-cache/cards/`) as a link to its output file where the file
/// system allows, and a card taken from the cache is linked into the
/// output: an output card then changed in place (as an image optimiser run
/// on the output may) must not come back from the cache into the next
/// build.
#[test]
fn a_card_changed_in_place_in_the_output_is_not_taken_from_the_cache() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let want = snapshot(out.path());
    let cards: Vec<PathBuf> = walkdir::WalkDir::new(out.path())
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "card.png")
        .map(|e| e.into_path())
        .collect();
    assert!(cards.len() > 1, "the fixture has cards: {cards:?}");
    let change_in_place = || {
        for card in &cards {
            use std::io::{Seek, Write};
            let mut f = std::fs::File::options().write(true).open(card).unwrap();
            f.seek(std::io::SeekFrom::Start(60)).unwrap();
            f.write_all(b"changed in place").unwrap();
        }
    };
    // Drawn, then changed in place: drawn again.
    change_in_place();
    std::fs::remove_dir_all(out.path()).unwrap();
    let r = build_into(site.path(), out.path());
    assert_eq!(r.rendered, r.pages);
    assert_eq!(differences(&snapshot(out.path()), &want), Vec::<String>::new());
    // Taken from the cache (linked into the output where it can be), then
    // changed in place: drawn again.
    std::fs::remove_dir_all(out.path()).unwrap();
    build_into(site.path(), out.path());
    assert_eq!(differences(&snapshot(out.path()), &want), Vec::<String>::new());
    change_in_place();
    std::fs::remove_dir_all(out.path()).unwrap();
    build_into(site.path(), out.path());
    assert_eq!(differences(&snapshot(out.path()), &want), Vec::<String>::new());
    // and each card is stored again, as drawn
    let stored: Vec<Vec<u8>> = std::fs::read_dir(site.path().join(".glossa-cache/cards"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    for card in &cards {
        let drawn = &want[&*card.strip_prefix(out.path()).unwrap().to_string_lossy()];
        assert!(
            stored.contains(drawn),
            "{} is not in the card cache as drawn",
            card.display()
        );
    }
}

/// A card's temporary file, left by a process that stopped between writing
/// the card and renaming it into the cache, is removed by a later build that
/// looks cards up once it is old; one as new as a write in progress stays, as
/// does a file that is no card's.
#[test]
fn a_card_left_half_stored_is_removed_later() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let cards = site.path().join(".glossa-cache/cards");
    let old = cards.join("0123456789abcdef-0123456789abcdef.tmp4242");
    let new = cards.join("0123456789abcdef-fedcba9876543210.tmp4243");
    let other = cards.join("notes.tmp1");
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for file in [&old, &new, &other] {
        std::fs::write(file, b"half a card").unwrap();
    }
    for file in [&old, &other] {
        let f = std::fs::File::options().write(true).open(file).unwrap();
        f.set_modified(hour_ago).unwrap();
    }
    // (a change every card shows: the next build looks cards up)
    let config = site.path().join("glossa.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("Fixture: nhiều bài", "Fixture: một tên khác")).unwrap();
    build_into(site.path(), out.path());
    assert!(!old.exists(), "an old temporary file is removed");
    assert!(new.exists(), "a write that may be in progress is left alone");
    assert!(other.exists(), "a file that is no card's is left alone");
}

/// The card cache holds the cards of the output, not every card ever
/// drawn: a change that every card shows (the site's title) draws them all
/// again, and the old ones leave the cache (at 50,000 articles, four title
/// changes had left 546,411 cards, 8.5 GB, for 122,810 quotes).
#[test]
fn the_card_cache_holds_the_cards_of_the_output() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    // (each image by a hash of its bytes, sorted: a failure prints numbers, not images)
    let sorted = |images: Vec<Vec<u8>>| {
        let mut v: Vec<u64> = images
            .iter()
            .map(|bytes| {
                use std::hash::{Hash, Hasher};
                let mut h = std::hash::DefaultHasher::new();
                bytes.hash(&mut h);
                h.finish()
            })
            .collect();
        v.sort();
        v
    };
    let cached = || {
        sorted(
            std::fs::read_dir(site.path().join(".glossa-cache/cards"))
                .unwrap()
                .map(|e| std::fs::read(e.unwrap().path()).unwrap())
                .collect(),
        )
    };
    let shown = || {
        sorted(
            snapshot(out.path())
                .into_iter()
                .filter(|(path, _)| path.ends_with(".png"))
                .map(|(_, bytes)| bytes)
                .collect(),
        )
    };
    build_into(site.path(), out.path());
    let first = cached();
    assert!(first.len() > 1, "the fixture has cards");
    assert_eq!(first, shown());

    let config = site.path().join("glossa.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("Fixture: nhiều bài", "Fixture: một tên khác")).unwrap();
    build_into(site.path(), out.path());
    let second = cached();
    assert_eq!(second, shown(), "only the cards of the new title are kept");
    assert!(
        first.iter().all(|card| !second.contains(card)),
        "every card was drawn again"
    );

    // One quote changed: its card is drawn again and the old one leaves; the
    // cards of the pages not made again (their files kept) stay.
    for file in ["chip-war.md", "chip-war.annotations.toml"] {
        let path = site.path().join("content/articles").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("Chúng tôi sẽ tự chủ.", "Chúng tôi sẽ tự lực.")).unwrap();
    }
    let r = build_into(site.path(), out.path());
    assert!(r.rendered < r.pages, "pages were kept: {} of {}", r.rendered, r.pages);
    let third = cached();
    assert_eq!(third, shown());
    assert_eq!(third.len(), second.len());
    assert_eq!(
        third.iter().filter(|card| !second.contains(card)).count(),
        1,
        "one card drawn again"
    );

    // A build that looks no card up (nothing changed) leaves the cache as it is.
    build_into(site.path(), out.path());
    assert_eq!(cached(), third);
}

#[test]
fn a_failed_build_leaves_output_and_manifest_that_agree() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let article = site.path().join("content/articles/chip-war.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, format!("{text}\nThêm một câu.\n")).unwrap();
    // the build process dies after staging two files
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_glossa"))
        .args(["--root", site.path().to_str().unwrap(), "build", "--output-dir"])
        .arg(out.path())
        .env("GLOSSA_FAIL_AFTER_WRITES", "0")
        .output()
        .unwrap();
    assert!(!status.status.success());
    // put the article back: the inputs are those of the first build again
    std::fs::write(&article, &text).unwrap();
    build_into(site.path(), out.path());
    assert_eq!(
        differences(&snapshot(out.path()), &fresh(site.path())),
        Vec::<String>::new()
    );
}

/// The watch loop patches the graph for an article edit; an entity page
/// shows the words around each mention, so a word added there (not next
/// to the name) must reach it, and a word added far from every mention
/// must not re-write it.
#[test]
fn a_patched_edit_near_a_mention_reaches_the_entity_page() {
    let site = copy_site(&seed_root(), false);
    let out = tempfile::tempdir().unwrap();
    let mut session = watching(site.path(), out.path());
    assert!(matches!(
        session.rebuild(&[]),
        glossa::output::session::Outcome::Built { .. }
    ));
    let rel = Path::new("content/articles/ai-trung-quoc-nguon-mo.md");
    let text = std::fs::read_to_string(site.path().join(rel)).unwrap();
    // "…Các công ty cũng ngần ngại chuyển đổi vì SMIC khó sản xuất…": a
    // word ~40 characters before "SMIC"
    let at = text.find("cũng ngần ngại chuyển đổi vì SMIC").expect("the sentence");
    let edited = format!("{}rất {}", &text[..at], &text[at..]);
    std::fs::write(site.path().join(rel), &edited).unwrap();
    let changed = match session.rebuild(&[rel.to_path_buf()]) {
        glossa::output::session::Outcome::Built { changed, .. } => changed,
        glossa::output::session::Outcome::Failed { diags, sources } => panic!("{}", diags.render(&sources, false)),
    };
    assert!(changed.contains(&"entities/smic/index.html".to_string()), "{changed:?}");
    assert_eq!(
        differences(&snapshot(out.path()), &fresh(site.path())),
        Vec::<String>::new()
    );
    // far from every mention: the article changes, no entity page does
    let end = format!("{edited}\nMột câu cuối không nhắc đến ai.\n");
    std::fs::write(site.path().join(rel), end).unwrap();
    let changed = match session.rebuild(&[rel.to_path_buf()]) {
        glossa::output::session::Outcome::Built { changed, .. } => changed,
        glossa::output::session::Outcome::Failed { diags, sources } => panic!("{}", diags.render(&sources, false)),
    };
    assert!(
        changed
            .iter()
            .any(|p| p.starts_with("articles/ai-trung-quoc-nguon-mo/")),
        "{changed:?}"
    );
    assert!(!changed.iter().any(|p| p.starts_with("entities/")), "{changed:?}");
    assert_eq!(
        differences(&snapshot(out.path()), &fresh(site.path())),
        Vec::<String>::new()
    );
}

/// Whether the site has a feed depends on the articles' dates, and every
/// page's layout links to it: undating every article removes the feed and
/// those links from every page, dating one brings them back — in a build
/// from the last one as in a fresh build, and in a watching session.
#[test]
fn the_feed_goes_and_comes_back_with_the_dates() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let mut session = watching(site.path(), out.path());
    assert!(matches!(
        session.rebuild(&[]),
        glossa::output::session::Outcome::Built { .. }
    ));
    let articles: Vec<std::path::PathBuf> = ["chip-war", "open-models", "plain"]
        .iter()
        .map(|a| std::path::PathBuf::from(format!("content/articles/{a}.md")))
        .collect();
    let dates: Vec<String> = articles
        .iter()
        .map(|a| std::fs::read_to_string(site.path().join(a)).unwrap())
        .collect();
    let undate = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with("date = "))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    for (a, t) in articles.iter().zip(&dates) {
        std::fs::write(site.path().join(a), undate(t)).unwrap();
    }
    for watching in [true, false] {
        if watching {
            session.rebuild(&articles);
        } else {
            build_into(site.path(), out.path());
        }
        let now = snapshot(out.path());
        assert!(!now.contains_key("atom.xml"));
        assert!(!String::from_utf8_lossy(&now["index.html"]).contains("atom.xml"));
        assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new());
        // one dated again
        std::fs::write(site.path().join(&articles[2]), &dates[2]).unwrap();
        if watching {
            session.rebuild(&articles[2..]);
        } else {
            build_into(site.path(), out.path());
        }
        let now = snapshot(out.path());
        assert!(now.contains_key("atom.xml"));
        assert!(String::from_utf8_lossy(&now["entities/index.html"]).contains("atom.xml"));
        assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new());
        std::fs::write(site.path().join(&articles[2]), undate(&dates[2])).unwrap();
    }
}

/// The `multi` fixture with one item a page (`paginate_by = 1`), built
/// into a new output: (site, output).
fn one_a_page() -> (tempfile::TempDir, tempfile::TempDir) {
    let site = copy_site(&fixture("multi"), false);
    let toml = site.path().join("glossa.toml");
    let config = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{config}paginate_by = 1\n")).unwrap();
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    (site, out)
}

/// Replaces `there` with `back` in `rel` and then `back` with `there`,
/// each edit built by a new build, then again in the watch loop; after each,
/// `check` is given the output and whether the edit was the first (`there`),
/// and the output must be a fresh build's.
fn there_and_back(
    site: &Path,
    out: &Path,
    rel: &str,
    (back, there): (&str, &str),
    check: impl Fn(&BTreeMap<String, Vec<u8>>, bool),
) {
    let mut session = None;
    for watch in [false, true] {
        if watch {
            let s = session.insert(watching(site, out));
            assert!(matches!(s.rebuild(&[]), glossa::output::session::Outcome::Built { .. }));
        }
        for (from, to) in [(back, there), (there, back)] {
            replace(site, rel, from, to);
            match &mut session {
                Some(s) => drop(s.rebuild(&[PathBuf::from(rel)])),
                None => drop(build_into(site, out)),
            }
            let now = snapshot(out);
            check(&now, to == there);
            assert_eq!(differences(&now, &fresh(site)), Vec::<String>::new());
        }
    }
}

/// The sitemap's text in an output's snapshot.
fn sitemap(out: &BTreeMap<String, Vec<u8>>) -> String {
    String::from_utf8(out["sitemap.xml"].clone()).unwrap()
}

/// A tag that gains an article of the others' gains a page of its list
/// (`paginate_by` articles a page), though no tag comes or goes: the
/// sitemap, which lists every page, must follow, and must drop the page
/// again when the tag loses it. (The site's structure, which the sitemap
/// reads, was the articles', entities', quotes' and tags' names alone: an
/// edit build kept the last sitemap, without the new page.)
#[test]
fn a_tag_page_gained_or_lost_reaches_the_sitemap() {
    let (site, out) = one_a_page();
    assert!(!sitemap(&snapshot(out.path())).contains("/tags/ai/page/2/"));
    let tags = (
        r#"tags = ["Bán dẫn", "Trung Quốc"]"#,
        r#"tags = ["Bán dẫn", "Trung Quốc", "AI"]"#,
    );
    there_and_back(
        site.path(),
        out.path(),
        "content/articles/chip-war.md",
        tags,
        |now, two| {
            assert_eq!(now.contains_key("tags/ai/page/2/index.html"), two);
            assert_eq!(sitemap(now).contains("/tags/ai/page/2/"), two);
        },
    );
}

/// An entity named in one more article gains a page of its mentions
/// (`paginate_by` articles a page), and loses it when the name goes: the
/// new page is written and the sitemap lists it, the others' pagers follow,
/// by a new process and in the watch loop (where the edit is patched in
/// place until the pages change, then built the full way), each time as a
/// fresh build would.
#[test]
fn an_entity_page_gained_or_lost_follows_its_mentions() {
    let (site, out) = one_a_page();
    // Huawei: named in two articles, two pages
    let first = snapshot(out.path());
    assert!(first.contains_key("entities/huawei/page/2/index.html"));
    assert!(!sitemap(&first).contains("/entities/huawei/page/3/"));
    let text = ("Bài này không nhắc đến ai cả.", "Bài này nhắc đến Huawei một lần.");
    there_and_back(
        site.path(),
        out.path(),
        "content/articles/plain.md",
        text,
        |now, third| {
            assert_eq!(now.contains_key("entities/huawei/page/3/index.html"), third);
            assert_eq!(sitemap(now).contains("/entities/huawei/page/3/"), third);
            let second = String::from_utf8_lossy(&now["entities/huawei/page/2/index.html"]).into_owned();
            assert_eq!(second.contains("huawei/page/3/"), third, "page 2's pager");
        },
    );
}

/// `serve` writes an edited article's page first and the pages the edit
/// changes besides after (`Session::rebuild_first`, `Session::finish`).
/// When a template fails on one of those later pages, the article's page is
/// put back: the output is the last good build's, never half of an edit.
#[test]
fn a_template_failing_after_the_first_pages_leaves_the_last_good_output() {
    use glossa::output::session::Outcome;
    let site = copy_site(&fixture("multi"), false);
    let root = site.path();
    std::fs::create_dir_all(root.join("templates")).unwrap();
    // an entity page that fails on one mention's text
    std::fs::write(
        root.join("templates/entity.html"),
        "<!doctype html><html lang=\"vi\"><head><title>{{ entity.name }}</title></head><body>\
         {% for g in entity.mention_groups %}{% for m in g.mentions %}\
         {% if m.text == \"tự chủ\" %}{{ no_such.thing }}{% endif %}<p>{{ m.text }}</p>\
         {% endfor %}{% endfor %}</body></html>",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut session = watching(root, out.path());
    assert!(matches!(session.rebuild(&[]), Outcome::Built { .. }));
    let good = snapshot(out.path());
    // a new mention of Huawei, which the article names already
    let ann = Path::new("content/articles/chip-war.annotations.toml");
    let mut text = std::fs::read_to_string(root.join(ann)).unwrap();
    text.push_str("\n[[mention]]\nentity = \"huawei\"\nexact = \"tự chủ\"\n");
    std::fs::write(root.join(ann), text).unwrap();
    let first = session.rebuild_first(&[ann.to_path_buf()]);
    let Outcome::Built { changed, .. } = first else {
        panic!("the article's page is written first")
    };
    assert_eq!(changed, ["articles/chip-war/index.html"]);
    assert!(
        session.deferred().iter().any(|p| p == "entities/huawei/index.html"),
        "Huawei's page is left for later: {:?}",
        session.deferred()
    );
    assert_ne!(snapshot(out.path()), good, "the first page is written");
    match session.finish() {
        Some(Outcome::Failed { diags, sources }) => {
            let shown = diags.render(&sources, false);
            assert!(shown.contains("entity.html") || shown.contains("no_such"), "{shown}");
        }
        _ => panic!("the entity template fails"),
    }
    let d = differences(&snapshot(out.path()), &good);
    assert!(d.is_empty(), "the output is not the last good build's: {d:?}");
    // the template fixed: the output is a fresh build's
    std::fs::remove_file(root.join("templates/entity.html")).unwrap();
    assert!(matches!(
        session.rebuild(&[PathBuf::from("templates")]),
        Outcome::Built { .. }
    ));
    let d = differences(&snapshot(out.path()), &fresh(root));
    assert!(d.is_empty(), "{d:?}");
}

/// A watch-loop session of `root` writing into `out` (not built yet).
fn watching(root: &Path, out: &Path) -> glossa::output::session::Session {
    let opts = BuildOptions {
        output_dir: Some(out.to_path_buf()),
        ..Default::default()
    };
    glossa::output::session::Session::watching(root, opts)
}

/// `glossa build` of `root` into `out`, a new process: whether it built.
fn build_process(root: &Path, out: &Path) -> bool {
    std::process::Command::new(env!("CARGO_BIN_EXE_glossa"))
        .arg("--root")
        .arg(root)
        .args(["build", "--output-dir"])
        .arg(out)
        .output()
        .unwrap()
        .status
        .success()
}

/// Replaces the first `from` in `root/rel` with `to`.
fn replace(root: &Path, rel: &str, from: &str, to: &str) {
    let p = root.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(p, text.replacen(from, to, 1)).unwrap();
}

/// Every input an article's anchoring reads besides its own files, changed
/// one at a time with the articles' files untouched: a new process must not
/// take the stored results of the last for this one (each change moves an
/// article page, so a stale result would show).
#[test]
fn stored_anchoring_follows_every_input_it_was_made_from() {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path();
    // names only automatic mentions find, some twice
    common::write(
        root,
        "content/articles/tu-dong.md",
        "+++\ntitle = \"Tự động\"\ndate = \"2026-01-02\"\n+++\nSMIC, Huawei và Huawei; các kỹ sư của SMIC.\n",
    );
    // a brat article, whose front matter is in a file of its own
    common::write(root, "content/articles/tin.txt", "Tin\nHuawei và SMIC.\n");
    common::write(root, "content/articles/tin.ann", "");
    let out = tempfile::tempdir().unwrap();
    // (what is changed, the page that shows it or none, how)
    type Change = (&'static str, Option<&'static str>, fn(&Path));
    let tu_dong = Some("articles/tu-dong/index.html");
    let changes: [Change; 9] = [
        ("a brat article's own autolink", Some("articles/tin/index.html"), |r| {
            common::write(r, "content/articles/tin.toml", "autolink = \"none\"\n")
        }),
        ("an entity's name", tu_dong, |r| {
            replace(r, "content/entities/smic.md", "name = \"SMIC\"", "name = \"SMIC Corp\"")
        }),
        ("an alias", tu_dong, |r| {
            replace(r, "content/entities/an.md", "kind =", "aliases = [\"kỹ sư\"]\nkind =")
        }),
        ("the site's autolink", tu_dong, |r| {
            let p = r.join("glossa.toml");
            let t = std::fs::read_to_string(&p).unwrap();
            std::fs::write(p, format!("{t}autolink = \"all\"\n")).unwrap();
        }),
        ("an entity's autolink", tu_dong, |r| {
            replace(r, "content/entities/huawei.md", "kind =", "autolink = false\nkind =")
        }),
        // (the same pages, but every stored entity index is off by one)
        ("an entity id added before the others", None, |r| {
            common::write(
                r,
                "content/entities/aa.md",
                "+++\nname = \"Aa\"\nkind = \"concept\"\nautolink = false\n+++\nMới.\n",
            );
        }),
        ("a UI string", Some("articles/chip-war/index.html"), |r| {
            common::write(r, "i18n/vi.toml", "quote_link = \"Xem trích dẫn\"\n")
        }),
        ("the root URL", tu_dong, |r| {
            replace(
                r,
                "glossa.toml",
                "https://example.org/sub/",
                "https://example.org/khac/",
            )
        }),
        ("a linked article's existence", None, |r| {
            std::fs::remove_file(r.join("content/articles/open-models.md")).unwrap();
        }),
    ];
    assert!(build_process(root, out.path()));
    // one stored result per article, the stale ones removed by each build
    let stored = || std::fs::read_dir(root.join(".glossa-cache/anchors")).unwrap().count();
    let articles = stored();
    assert!(articles >= 5, "{articles}");
    let mut last = fresh(root);
    for (what, shown, change) in changes {
        change(root);
        let built = build_process(root, out.path());
        if what == "a linked article's existence" {
            // (the link is now an error: nothing is built, nothing stored)
            assert!(!built, "a link to a missing article fails the build");
            replace(root, "content/articles/chip-war.annotations.toml", "[[link]]", "[[x]]");
            continue;
        }
        assert!(built, "{what}: build failed");
        let want = fresh(root);
        if let Some(page) = shown {
            assert_ne!(
                want.get(page),
                last.get(page),
                "{what}: {page} is the same, the step tests nothing"
            );
        }
        let d = differences(&snapshot(out.path()), &want);
        assert!(d.is_empty(), "after changing {what}: {d:?}");
        assert_eq!(stored(), articles, "{what}: stale results kept");
        last = want;
    }
}

/// What loading an article reports comes back in every build, also when a
/// new process could take the article from the store without reading it:
/// an unknown key in its front matter (reported, yet the article is
/// anchored and stored), and an annotation file added beside the one it
/// has (reported, yet its key stays what it was).
#[test]
fn what_loading_an_article_reports_is_reported_by_every_build() {
    type Change = (&'static str, fn(&Path), &'static str);
    let changes: [Change; 2] = [
        (
            "an unknown key",
            |r| replace(r, "content/articles/chip-war.md", "title =", "colour = \"đỏ\"\ntitle ="),
            "unknown key `colour`",
        ),
        (
            "a second annotation file",
            |r| common::write(r, "content/articles/chip-war.annotations.jsonld", "[]\n"),
            "the article has two annotation files",
        ),
    ];
    for (what, change, said) in changes {
        let site = copy_site(&fixture("multi"), false);
        let root = site.path();
        let out = tempfile::tempdir().unwrap();
        assert!(build_process(root, out.path()));
        assert!(build_process(root, out.path()), "nothing changed");
        change(root);
        for run in ["first", "second"] {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_glossa"))
                .arg("--root")
                .arg(root)
                .args(["build", "--output-dir"])
                .arg(out.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success(), "{what}, {run} build: built");
            assert!(stderr.contains(said), "{what}, {run} build: {stderr}");
        }
    }
}

/// `glossa build` of `root` into `out`, a new process that must succeed,
/// with `GLOSSA_TIMINGS=1`: the lines of its timings that contain `about`.
fn timings(root: &Path, out: &Path, about: &str) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_glossa"))
        .env("GLOSSA_TIMINGS", "1")
        .arg("--root")
        .arg(root)
        .args(["build", "--output-dir"])
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    err.lines().filter(|l| l.contains(about)).collect::<Vec<_>>().join("\n")
}

/// What a build in a new process says of the search index.
fn search_index_timing(root: &Path, out: &Path) -> String {
    timings(root, out, "search index:")
}

/// A build in a new process after one article changed anchors that article alone: the
/// others come from the anchoring store (`.glossa-cache/anchors`), as `GLOSSA_TIMINGS=1`
/// counts them. A build with no store looks nothing up.
#[test]
fn a_new_process_after_one_edit_takes_the_other_articles_from_the_anchoring_store() {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    let from_store = || -> usize {
        let line = timings(root, out.path(), "load + anchor articles");
        let n = line.split("in batches, ").nth(1).and_then(|r| r.split(' ').next());
        n.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{line}"))
    };
    let articles = std::fs::read_dir(root.join("content/articles"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "md"))
        .count();
    assert!(articles >= 3);
    assert_eq!(from_store(), 0, "the first build");
    let edited = root.join("content/articles/chip-war.md");
    for n in 1..=2 {
        let text = std::fs::read_to_string(&edited).unwrap();
        std::fs::write(&edited, format!("{text}\nMột câu mới {n}.\n")).unwrap();
        assert_eq!(from_store(), articles - 1, "after edit {n}");
    }
    std::fs::remove_dir_all(root.join(".glossa-cache/anchors")).unwrap();
    std::fs::write(
        &edited,
        format!("{}\nMột câu nữa.\n", std::fs::read_to_string(&edited).unwrap()),
    )
    .unwrap();
    assert_eq!(from_store(), 0, "the store removed");
}

/// The search index a build stores (`.glossa-cache/search-terms`) is read
/// back by the next process, which indexes again only the documents that
/// changed: after an edit to each kind of document the output still equals
/// a fresh build's. A different number of documents, or a damaged or
/// foreign file, means building the index afresh.
#[test]
fn the_stored_search_index_follows_every_document_it_indexes() {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    let stored = root.join(".glossa-cache/search-terms");
    let damage = |at: usize| {
        let mut b = std::fs::read(&stored).unwrap();
        b[at] ^= 0x20;
        std::fs::write(&stored, b).unwrap();
    };
    assert!(!search_index_timing(root, out.path()).contains("read back"));
    assert!(stored.is_file());
    // (what changes, whether the stored index is read back, the change)
    type Change<'a> = (&'a str, bool, Box<dyn Fn(&Path) + 'a>);
    let changes: Vec<Change> = vec![
        (
            "a new word in an article",
            true,
            Box::new(|r| replace(r, "content/articles/plain.md", "không nhắc", "không hề nhắc Zanzibar,")),
        ),
        (
            "an entity's alias",
            true,
            Box::new(|r| {
                replace(
                    r,
                    "content/entities/huawei.md",
                    "\"Hoa Vi\"",
                    "\"Hoa Vi\", \"Zhonghua Weiwei\"",
                )
            }),
        ),
        (
            "a speaker's name",
            true,
            Box::new(|r| {
                replace(
                    r,
                    "content/entities/huawei.md",
                    "name = \"Huawei\"",
                    "name = \"Huawei Technologies\"",
                )
            }),
        ),
        (
            "a quote's words",
            true,
            Box::new(|r| {
                replace(r, "content/articles/chip-war.md", "tự chủ.", "tự lực.");
                replace(r, "content/articles/chip-war.annotations.toml", "tự chủ.", "tự lực.");
            }),
        ),
        ("the stored file's checksum", false, Box::new(|_| damage(30))),
        ("the stored file's payload", false, Box::new(|_| damage(200))),
        ("the stored file's executable", false, Box::new(|_| damage(9))),
        (
            "an article removed",
            false,
            Box::new(|r| std::fs::remove_file(r.join("content/articles/plain.md")).unwrap()),
        ),
    ];
    for (what, read_back, change) in changes {
        change(root);
        let said = search_index_timing(root, out.path());
        assert_eq!(
            said.contains("terms read back"),
            read_back,
            "after changing {what}: {said}"
        );
        let d = differences(&snapshot(out.path()), &fresh(root));
        assert!(d.is_empty(), "after changing {what}: {d:?}");
    }
}

/// "In the news" counts the mentions of the last 30 days before the newest
/// article. An article redated out of that window within its month changes
/// those counts but no timeline (still the same month) and, past the first
/// page, no article the home page lists: the home page must still follow.
#[test]
fn an_article_leaving_the_news_window_within_its_month_updates_the_home_page() {
    let site = copy_site(&fixture("multi"), false);
    let config = site.path().join("glossa.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}paginate_by = 2\n")).unwrap();
    let late = PathBuf::from("content/articles/late-october.md");
    let article =
        |date: &str| format!("+++\ntitle = \"Cuối tháng mười\"\ndate = \"{date}\"\n+++\nHuawei, Huawei và Huawei.\n");
    std::fs::write(site.path().join(&late), article("2026-10-28")).unwrap();
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let before = snapshot(out.path());
    let mut session = watching(site.path(), out.path());
    assert!(matches!(
        session.rebuild(&[]),
        glossa::output::session::Outcome::Built { .. }
    ));
    for watching in [true, false] {
        // the newest article is from 2026-11-25: the window starts after 10-26
        std::fs::write(site.path().join(&late), article("2026-10-20")).unwrap();
        if watching {
            session.rebuild(std::slice::from_ref(&late));
        } else {
            build_into(site.path(), out.path());
        }
        let now = snapshot(out.path());
        assert_ne!(now["index.html"], before["index.html"], "the news counts changed");
        assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new());
        std::fs::write(site.path().join(&late), article("2026-10-28")).unwrap();
        if watching {
            session.rebuild(std::slice::from_ref(&late));
        } else {
            build_into(site.path(), out.path());
        }
        assert_eq!(differences(&snapshot(out.path()), &before), Vec::<String>::new());
    }
}

/// The watch loop patches an article in place only while its quotes stay
/// the same quotes by the same speakers: a quote given to another speaker,
/// or a quote added after the others, takes the full way, and either way
/// the output equals a fresh build.
#[test]
fn quote_edits_in_the_watch_loop_equal_a_fresh_build() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    let mut session = watching(site.path(), out.path());
    assert!(matches!(
        session.rebuild(&[]),
        glossa::output::session::Outcome::Built { .. }
    ));
    let rel = PathBuf::from("content/articles/chip-war.annotations.toml");
    let said = "speaker = \"huawei\"\nexact = \"Chúng tôi sẽ tự chủ.\"\n";
    let edits = [
        // the same quote, said by another
        said.replace("huawei", "smic"),
        // a second quote after it
        format!("{said}\n[[quote]]\nid = \"smic-mo-rong\"\nspeaker = \"smic\"\nexact = \"SMIC đã mở rộng nhà máy.\"\n"),
    ];
    for (n, edit) in edits.iter().enumerate() {
        replace(site.path(), rel.to_str().unwrap(), said, edit);
        match session.rebuild(std::slice::from_ref(&rel)) {
            glossa::output::session::Outcome::Built { .. } => {}
            glossa::output::session::Outcome::Failed { diags, sources } => panic!("{}", diags.render(&sources, false)),
        }
        let now = snapshot(out.path());
        assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new(), "edit {n}");
        let page = String::from_utf8_lossy(&now["quotes/huawei-tu-chu/index.html"]).into_owned();
        let speaker = if n == 0 { "smic" } else { "huawei" };
        assert!(
            page.contains(&format!("class=\"quote-speaker\" href=\"/sub/entities/{speaker}/\"")),
            "edit {n}"
        );
        assert_eq!(now.contains_key("quotes/smic-mo-rong/index.html"), n == 1, "edit {n}");
        // (the next edit starts from the fixture's quote)
        replace(site.path(), rel.to_str().unwrap(), edit, said);
        session.rebuild(std::slice::from_ref(&rel));
    }
}

fn rebuilt(session: &mut glossa::output::session::Session, rel: &Path) -> Option<glossa::output::hosting::OutputSize> {
    match session.rebuild(&[rel.to_path_buf()]) {
        glossa::output::session::Outcome::Built { size, .. } => size,
        glossa::output::session::Outcome::Failed { diags, sources } => panic!("{}", diags.render(&sources, false)),
    }
}

/// Annotation edits that change which entities an article names are
/// patched in the watch loop (no full relink: the outcome gives no size),
/// and the patched graph equals a fresh build's: an entity newly named in
/// the article, inside a quote, lists that quote as being about it, and a pair of
/// entities whose only shared article stops naming one of them is no
/// longer related.
#[test]
fn naming_edits_in_the_watch_loop_equal_a_fresh_build() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    let mut session = watching(site.path(), out.path());
    session.rebuild(&[]);
    let rel = PathBuf::from("content/articles/chip-war.annotations.toml");
    let da_nang =
        "[[mention]]\nentity = \"da-nang\"\nexact = \"Đà Nẵng\"          # inside a Markdown link and **bold**\n";
    let about = "[[mention]]\nentity = \"alibaba\"\nexact = \"tự chủ\"\n";
    let quote = "/sub/quotes/huawei-tu-chu/";
    // Alibaba (named in the other article), named in the quote
    replace(
        site.path(),
        rel.to_str().unwrap(),
        da_nang,
        &format!("{da_nang}{about}"),
    );
    assert!(rebuilt(&mut session, &rel).is_none(), "patched");
    let now = snapshot(out.path());
    assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new());
    let alibaba = String::from_utf8_lossy(&now["entities/alibaba/index.html"]).into_owned();
    assert!(alibaba.contains(quote), "the quote about Alibaba is on its page");
    // Đà Nẵng no longer named in the article it shared with SMIC
    let smic = "href=\"/sub/entities/smic/\"";
    let before = String::from_utf8_lossy(&now["entities/da-nang/index.html"]).into_owned();
    assert!(before.contains(smic), "SMIC is related to Đà Nẵng before");
    replace(site.path(), rel.to_str().unwrap(), da_nang, "");
    assert!(rebuilt(&mut session, &rel).is_none(), "patched");
    let now = snapshot(out.path());
    assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new());
    let after = String::from_utf8_lossy(&now["entities/da-nang/index.html"]).into_owned();
    assert!(!after.contains(smic), "SMIC is not related to Đà Nẵng after");
}

/// An entity's description edited in the watch loop is patched in place
/// (no full relink) and equals a fresh build; a description with a
/// `javascript:` link is refused as in a full build; a new name takes the
/// full way.
#[test]
fn entity_edits_in_the_watch_loop() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    let mut session = watching(site.path(), out.path());
    session.rebuild(&[]);
    let rel = PathBuf::from("content/entities/an.md");
    let text = "Không được nhắc đến.";
    let safe = "Xem [báo](https://example.org/an).";
    replace(site.path(), rel.to_str().unwrap(), text, safe);
    assert!(rebuilt(&mut session, &rel).is_none(), "patched");
    let now = snapshot(out.path());
    assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new());
    assert!(String::from_utf8_lossy(&now["entities/an/index.html"]).contains("https://example.org/an"));

    replace(
        site.path(),
        rel.to_str().unwrap(),
        "https://example.org/an",
        "javascript:alert(1)",
    );
    match session.rebuild(std::slice::from_ref(&rel)) {
        glossa::output::session::Outcome::Failed { diags, sources } => {
            let r = diags.render(&sources, false);
            assert!(r.contains("link to `javascript:alert(1)` refused"), "{r}");
        }
        glossa::output::session::Outcome::Built { .. } => panic!("a javascript: link was published"),
    }
    assert_eq!(snapshot(out.path()), now, "a failed rebuild writes nothing");

    replace(
        site.path(),
        rel.to_str().unwrap(),
        "javascript:alert(1)",
        "https://example.org/an",
    );
    replace(
        site.path(),
        rel.to_str().unwrap(),
        "name = \"An\"",
        "name = \"An Nhiên\"",
    );
    assert!(rebuilt(&mut session, &rel).is_some(), "a new name is the full way");
    let now = snapshot(out.path());
    assert_eq!(differences(&now, &fresh(site.path())), Vec::<String>::new());
    assert!(String::from_utf8_lossy(&now["entities/an/index.html"]).contains("An Nhiên"));
}

/// The co-occurrence cap at its edge: an article naming exactly as many
/// entities as the cap adds its pairs to the graph, one naming more adds
/// none. An article going from the cap to one over it, patched in the
/// watch loop, takes its pairs away as a fresh build leaves them out.
#[test]
fn an_article_passing_the_cooccurrence_cap_in_the_watch_loop() {
    use common::write;
    let cap = 200;
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Cap\"\n");
    let name = |i: usize| format!("E{i:03}");
    for i in 0..=cap {
        write(
            r,
            &format!("content/entities/e{i:03}.md"),
            &format!("+++\nname = \"{}\"\nkind = \"organization\"\n+++\n", name(i)),
        );
    }
    let mention = |i: usize| format!("[[mention]]\nentity = \"e{i:03}\"\nexact = \"{}\"\n\n", name(i));
    let a = |n: usize| {
        let names: Vec<String> = (0..n).map(name).collect();
        format!("+++\ntitle = \"A\"\ndate = \"2026-11-21\"\n+++\n{}.\n", names.join(" "))
    };
    write(r, "content/articles/a.md", &a(cap));
    let first: String = (0..cap).map(mention).collect();
    write(r, "content/articles/a.annotations.toml", &first);
    write(
        r,
        "content/articles/b.md",
        &format!(
            "+++\ntitle = \"B\"\ndate = \"2026-11-20\"\n+++\n{} {} {}.\n",
            name(0),
            name(1),
            name(cap)
        ),
    );
    let b: String = [0, 1, cap].into_iter().map(mention).collect();
    write(r, "content/articles/b.annotations.toml", &b);

    let out = tempfile::tempdir().unwrap();
    let mut session = watching(r, out.path());
    assert!(matches!(
        session.rebuild(&[]),
        glossa::output::session::Outcome::Built { .. }
    ));
    let related =
        |page: &[u8], other: usize| String::from_utf8_lossy(page).contains(&format!("href=\"/entities/e{other:03}/\""));
    let before = snapshot(out.path());
    assert!(
        related(&before["entities/e002/index.html"], 0),
        "A's pairs count at the cap"
    );

    // (a name in the text is linked wherever the site mentions it: the
    // text and its annotations change together)
    write(r, "content/articles/a.md", &a(cap + 1));
    write(
        r,
        "content/articles/a.annotations.toml",
        &format!("{first}{}", mention(cap)),
    );
    let changed = ["content/articles/a.md", "content/articles/a.annotations.toml"].map(PathBuf::from);
    match session.rebuild(&changed) {
        glossa::output::session::Outcome::Built { size, .. } => assert!(size.is_none(), "patched"),
        glossa::output::session::Outcome::Failed { diags, sources } => panic!("{}", diags.render(&sources, false)),
    }
    let now = snapshot(out.path());
    assert_eq!(differences(&now, &fresh(r)), Vec::<String>::new());
    assert!(
        !related(&now["entities/e002/index.html"], 0),
        "A's pairs are gone over the cap"
    );
}

/// The multi fixture's `plain.md` in a watch-loop session: what the stamp
/// tests below edit.
struct Plain {
    site: tempfile::TempDir,
    out: tempfile::TempDir,
    rel: PathBuf,
    path: PathBuf,
    text: String,
}

impl Plain {
    fn new() -> Plain {
        let site = copy_site(&fixture("multi"), false);
        let rel = PathBuf::from("content/articles/plain.md");
        let path = site.path().join(&rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let out = tempfile::tempdir().unwrap();
        Plain {
            site,
            out,
            rel,
            path,
            text,
        }
    }

    /// A session of the site, built once.
    fn session(&self) -> glossa::output::session::Session {
        let mut session = watching(self.site.path(), self.out.path());
        session.rebuild(&[]);
        session
    }

    /// The article's page as the session last wrote it.
    fn page(&self) -> String {
        String::from_utf8_lossy(&snapshot(self.out.path())["articles/plain/index.html"]).into_owned()
    }

    /// The output differs from a fresh build in nothing.
    fn assert_fresh(&self) {
        assert_eq!(
            differences(&snapshot(self.out.path()), &fresh(self.site.path())),
            Vec::<String>::new()
        );
    }
}

/// Sets the modification time of the file at `p`.
fn set_mtime(p: &Path, t: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap()
}

/// A time long past: a stamp of the last second is not trusted, this one is.
fn long_ago() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_780_000_000)
}

/// An article deleted, then restored with other words of the same size and
/// its old modification time (as `cp -p`, `rsync -t` or an archive would),
/// shows the restored words: the watch loop forgets a deleted file.
#[test]
fn an_article_restored_with_its_old_time_shows_its_new_words() {
    let p = Plain::new();
    set_mtime(&p.path, long_ago());
    let mut session = p.session();
    std::fs::remove_file(&p.path).unwrap();
    rebuilt(&mut session, &p.rel);
    assert!(!snapshot(p.out.path()).contains_key("articles/plain/index.html"));
    let (from, to) = ("không", "KHÔNG");
    assert!(p.text.contains(from), "{}", p.text);
    let restored = p.text.replacen(from, to, 1);
    assert_eq!(restored.len(), p.text.len());
    std::fs::write(&p.path, &restored).unwrap();
    set_mtime(&p.path, long_ago());
    rebuilt(&mut session, &p.rel);
    assert!(p.page().contains(to));
    p.assert_fresh();
}

/// An article whose stamp is trusted (written long ago), then edited: the
/// watch loop reads it again instead of keeping what it loaded before.
#[test]
fn an_edit_to_an_article_with_an_old_stamp_is_seen() {
    let p = Plain::new();
    for entry in walkdir::WalkDir::new(p.site.path().join("content")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            set_mtime(entry.path(), long_ago());
        }
    }
    let mut session = p.session();
    std::fs::write(&p.path, p.text.replacen("không", "KHÔNG", 1)).unwrap();
    rebuilt(&mut session, &p.rel);
    assert!(p.page().contains("KHÔNG"));
    p.assert_fresh();
}

/// An edit that keeps an article's size and modification time (two saves
/// within the file system's time granularity) is still seen: a stamp from
/// the last second is not trusted (git's "racy clean" case), nor one from
/// the future (a clock ahead, which this test uses so as not to race the
/// clock itself).
#[test]
fn an_edit_that_keeps_a_recent_stamp_is_seen() {
    let p = Plain::new();
    let ahead = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    set_mtime(&p.path, ahead);
    let mut session = p.session();
    std::fs::write(&p.path, p.text.replacen("không", "KHÔNG", 1)).unwrap();
    set_mtime(&p.path, ahead);
    rebuilt(&mut session, &p.rel);
    assert!(p.page().contains("KHÔNG"));
    // Within the last second: stamped "now", built, edited and stamped the
    // same, built again. An attempt that took longer than the second shows
    // nothing and is made again.
    for attempt in 0.. {
        assert!(attempt < 20, "never built twice within a second of an edit");
        let (x, y) = (format!("X{attempt:03}"), format!("Y{attempt:03}"));
        let stamped = std::time::SystemTime::now();
        std::fs::write(&p.path, p.text.replacen("không", &x, 1)).unwrap();
        set_mtime(&p.path, stamped);
        rebuilt(&mut session, &p.rel);
        std::fs::write(&p.path, p.text.replacen("không", &y, 1)).unwrap();
        set_mtime(&p.path, stamped);
        rebuilt(&mut session, &p.rel);
        if stamped.elapsed().unwrap() >= std::time::Duration::from_millis(1000) {
            continue;
        }
        assert!(p.page().contains(&y), "attempt {attempt}");
        break;
    }
}

/// A search shard holds, for each prefix shorter than three letters, the
/// union of the posting lists of every term it starts. So a word an
/// article gains changes the unions of its prefixes, in shards that may
/// hold no term that changed: a build after the edit must still write
/// them as a fresh build does (their dependency hash reads the unions).
#[test]
fn a_word_gained_reaches_the_shards_of_its_short_prefixes() {
    let site = copy_site(&fixture("multi"), false);
    // enough articles for at least four shards (see `terms::shard_count`)
    let filler = ["mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "muoi"];
    for i in 0..150 {
        let body: Vec<String> = (0..60).map(|k| format!("{}{}", filler[(i + k) % 10], k % 7)).collect();
        let text = format!(
            "+++\ntitle = \"Bài {i}\"\ndate = \"2026-01-01\"\n+++\n{}\n",
            body.join(" ")
        );
        common::write(site.path(), &format!("content/articles/bai-{i}.md"), &text);
    }
    // Words another article has, none of whose first two letters start a
    // word of the edited one; the word added is one whose two-letter
    // prefix lies in another shard than its three-letter one (with four
    // shards or more, whatever their number).
    let candidates = [
        "zodiac", "quorum", "yonder", "xenon", "vortex", "kiwi", "jasmine", "umbra",
    ];
    let source = format!(
        "+++\ntitle = \"Nguồn\"\ndate = \"2026-01-02\"\n+++\n{}\n",
        candidates.join(" ")
    );
    common::write(site.path(), "content/articles/nguon.md", &source);
    let shard = |s: &str| glossa::site::terms::shard_of(s, 4);
    let word = candidates
        .iter()
        .find(|w| shard(&w[..2]) != shard(&w[..3]))
        .expect("a word whose prefixes fall in two shards");
    let out = tempfile::tempdir().unwrap();
    build_into(site.path(), out.path());
    let edited = site.path().join("content/articles/bai-3.md");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, format!("{text}{word}\n")).unwrap();
    let r = build_into(site.path(), out.path());
    assert!(r.rendered < r.pages / 2, "an edit build, not a full one");
    assert_eq!(
        differences(&snapshot(out.path()), &fresh(site.path())),
        Vec::<String>::new()
    );
}

/// A UI string that only the templates show (`t.home`, in every page's
/// navigation) changed between two builds: every page shows the new one, as
/// a fresh build does. The strings are turned into a template value once per
/// build and each page's fingerprint reads their hash, not the value: a
/// fingerprint without it would keep every page as it was.
#[test]
fn a_ui_string_only_templates_show_reaches_every_page() {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    assert!(build_process(root, out.path()));
    let before = snapshot(out.path());
    common::write(root, "i18n/vi.toml", "home = \"Trang nhà mới\"\n");
    assert!(build_process(root, out.path()));
    let got = snapshot(out.path());
    let page = "articles/chip-war/index.html";
    assert_ne!(got.get(page), before.get(page), "the step tests nothing");
    assert!(String::from_utf8_lossy(&got[page]).contains("Trang nhà mới"));
    let d = differences(&got, &fresh(root));
    assert!(d.is_empty(), "{d:?}");
}

/// The related articles and entities a build keeps (`.glossa-cache/related`)
/// are read back by the next process only while what they are found from is
/// unchanged: after each change below (each one changes the lists) a new
/// process must give what a fresh build gives. An edit of an article's words
/// alone reads them back (the file is not written again).
#[test]
fn stored_related_lists_follow_the_entities_named_and_the_relations() {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    let stored = root.join(".glossa-cache/related");
    build_into(root, out.path());
    let written = || std::fs::read(&stored).unwrap();
    // (what is changed, how)
    type Change = (&'static str, fn(&Path));
    let changes: [Change; 6] = [
        ("an article names one more entity", |r| {
            replace(r, "content/articles/plain.md", "không nhắc", "nhắc Huawei, không nhắc")
        }),
        // (as many entities as before: only which changes)
        ("an article names another entity instead", |r| {
            replace(r, "content/articles/plain.md", "nhắc Huawei,", "nhắc Alibaba,")
        }),
        ("a relation is added", |r| {
            replace(
                r,
                "content/entities/ho.md",
                "kind =",
                "relations = [{ type = \"competitor_of\", target = \"ha\" }]\nkind =",
            )
        }),
        // (every entity keeps as many relations: only where they point changes)
        ("two relations swap their targets", |r| {
            replace(
                r,
                "content/entities/huawei.md",
                "target = \"alibaba\"",
                "target = \"ha\"",
            );
            replace(r, "content/entities/ho.md", "target = \"ha\"", "target = \"alibaba\"");
        }),
        ("an article is added", |r| {
            common::write(
                r,
                "content/articles/moi.md",
                "+++\ntitle = \"Mới\"\ndate = \"2026-11-02\"\n+++\nHuawei và SMIC.\n",
            )
        }),
        ("an entity is added", |r| {
            common::write(
                r,
                "content/entities/zte.md",
                "+++\nname = \"ZTE\"\nkind = \"organization\"\n+++\nMột hãng.\n",
            );
            replace(r, "content/articles/moi.md", "Huawei và SMIC.", "Huawei, ZTE và SMIC.");
        }),
    ];
    let mut last = fresh(root);
    for (what, change) in changes {
        change(root);
        build_into(root, out.path());
        let want = fresh(root);
        assert!(want != last, "{what}: the output is the same, the step tests nothing");
        let d = differences(&snapshot(out.path()), &want);
        assert!(d.is_empty(), "after: {what}: {d:?}");
        last = want;
    }
    // words alone: read back, not found and written again
    let before = written();
    let modified = std::fs::metadata(&stored).unwrap().modified().unwrap();
    replace(root, "content/articles/plain.md", "Bài này", "Bài viết này");
    build_into(root, out.path());
    assert_eq!(differences(&snapshot(out.path()), &fresh(root)), Vec::<String>::new());
    assert_eq!(written(), before);
    assert_eq!(std::fs::metadata(&stored).unwrap().modified().unwrap(), modified);
}
