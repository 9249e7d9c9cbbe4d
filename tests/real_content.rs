//! Issue 13's "done when" site, content as it comes rather than as glossa's
//! authors would write it: a brat corpus with no per-document files (no
//! `SLUG.toml`, no `brat.toml`), Markdown articles without dates, and a
//! thousand quotes by ten speakers that all begin with the same words
//! (“Chúng tôi sẽ tiếp tục…”, the same five words for most of them, some
//! quotes word for word in several articles). It builds with no error,
//! every quote gets a page of its own, and `glossa check` reports nothing.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::write;
use glossa::BuildOptions;

const SPEAKERS: usize = 10;
const ARTICLES: usize = 50;
const QUOTES_PER_ARTICLE: usize = 20;
const BRAT_DOCS: usize = 20;

fn write_site(root: &Path) {
    write(root, "glossa.toml", "title = \"Kho lưu trữ\"\n");
    for s in 0..SPEAKERS {
        write(
            root,
            &format!("content/entities/nguoi-{s}.md"),
            &format!("+++\nname = \"Người phát ngôn số {s}\"\nkind = \"person\"\n+++\n"),
        );
    }
    // undated Markdown articles, each quote its own paragraph
    for a in 0..ARTICLES {
        let mut body = String::new();
        let mut ann = String::new();
        for k in 0..QUOTES_PER_ARTICLE {
            let speaker = (a + k) % SPEAKERS;
            // a third of the texts recur in other articles word for word
            let n = if k % 3 == 0 { k } else { a * QUOTES_PER_ARTICLE + k };
            let text = match k % 4 {
                0 => format!("Chúng tôi sẽ tiếp tục cố gắng, lần thứ {n}."),
                1 => format!("Chúng tôi sẽ tiếp tục cố gắng hơn nữa trong năm {n}."),
                2 => format!("Chúng tôi sẽ làm việc {n} ngày."),
                _ => format!("Chúng tôi sẽ tiếp tục cố gắng đến cùng với {n} người."),
            };
            body.push_str(&format!("Người phát ngôn nói: “{text}”\n\n"));
            ann.push_str(&format!(
                "[[quote]]\nspeaker = \"nguoi-{speaker}\"\nexact = \"{text}\"\n\n"
            ));
        }
        write(
            root,
            &format!("content/articles/bai-{a:02}.md"),
            &format!("+++\ntitle = \"Phát biểu {a}\"\n+++\n{body}"),
        );
        write(root, &format!("content/articles/bai-{a:02}.annotations.toml"), &ann);
    }
    // a brat corpus: .txt + .ann, nothing else
    for d in 0..BRAT_DOCS {
        let txt = format!("Tin số {d}\nBộ Tài chính họp ở Hà Nội với ông Lê Văn Tám lần {d}.\n");
        let cp = |needle: &str| {
            let at = txt.find(needle).unwrap();
            let s = txt[..at].chars().count();
            format!("{s} {}", s + needle.chars().count())
        };
        let ann = format!(
            "T1\tOrganization {}\tBộ Tài chính\nT2\tLocation {}\tHà Nội\nT3\tPerson {}\tLê Văn Tám\n",
            cp("Bộ Tài chính"),
            cp("Hà Nội"),
            cp("Lê Văn Tám")
        );
        write(root, &format!("content/articles/tin-{d:02}.txt"), &txt);
        write(root, &format!("content/articles/tin-{d:02}.ann"), &ann);
    }
}

#[test]
fn the_issue_13_site_builds_and_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_site(root);
    let out = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        output_dir: Some(out.path().to_path_buf()),
        ..Default::default()
    };
    let t = std::time::Instant::now();
    if let Err(f) = glossa::build(root, &opts) {
        panic!("build failed:\n{}", f.diags.render(&f.sources, false));
    }
    eprintln!("build: {:?}", t.elapsed());

    // every quote has a page of its own
    let quotes: HashSet<String> = std::fs::read_dir(out.path().join("quotes"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "index.html" && n != "page")
        .collect();
    assert_eq!(quotes.len(), ARTICLES * QUOTES_PER_ARTICLE);
    for q in &quotes {
        assert!(out.path().join("quotes").join(q).join("index.html").is_file(), "{q}");
        assert!(q.len() <= 60 && glossa::text::slugify(q) == *q, "{q}");
    }
    // the brat documents' mentions reach their entities
    let page = std::fs::read_to_string(out.path().join("articles/tin-07/index.html")).unwrap();
    for id in ["bo-tai-chinh", "ha-noi", "le-van-tam"] {
        assert!(page.contains(&format!("href=\"/entities/{id}/\"")), "{id}");
        assert!(out.path().join(format!("entities/{id}/index.html")).is_file());
    }

    let t = std::time::Instant::now();
    let report = glossa::check(root, &BuildOptions::default(), false);
    eprintln!("check: {:?}", t.elapsed());
    assert!(
        report.diags.is_empty(),
        "{}",
        report.diags.render(&report.sources, false)
    );
}

/// A tag made only of punctuation has nothing to make its URL from: it is left out with a
/// warning, and the tags after it keep their own pages (their names and URLs were paired by
/// position, so one such tag gave every later tag the next one's page). An emoji has a name
/// to make one from (`🔥` → `fire`).
#[test]
fn a_tag_without_letters_is_left_out_and_the_others_keep_their_pages() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "glossa.toml", "title = \"Kho\"\n");
    write(
        root,
        "content/articles/bai.md",
        "+++\ntitle = \"Bài\"\ndate = 2024-05-01\ntags = [\"🔥\", \"!!!\", \"Hà Nội\", \"—\", \"Kinh tế\"]\n+++\nThân bài.\n",
    );
    let built = common::build(root);
    let html = built.html("articles/bai/index.html");
    let links: Vec<(String, String)> = html
        .select(&common::sel(".article-header .tag-list a"))
        .map(|a| (a.text().collect(), a.value().attr("href").unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        links,
        [
            ("🔥".to_string(), "/tags/fire/".to_string()),
            ("Hà Nội".to_string(), "/tags/ha-noi/".to_string()),
            ("Kinh tế".to_string(), "/tags/kinh-te/".to_string())
        ]
    );
    let tag_page = built.html("tags/ha-noi/index.html");
    let title: String = tag_page.select(&common::sel("h1")).flat_map(|h| h.text()).collect();
    assert!(title.contains("Hà Nội"), "{title}");
    let (code, out, err) = common::glossa(root, &["check"]);
    let said = format!("{out}{err}");
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("warning") && said.contains("\"!!!\"") && said.contains("\"—\""),
        "{said}"
    );
    assert!(said.contains("content/articles/bai.md"), "{said}");
}
