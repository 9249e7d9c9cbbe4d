//! Re-anchoring after an article edit, and `check --fix` writing the new
//! text back without disturbing the annotation file's formatting: whole
//! words only, several fixes in one file, CRLF and BOM files kept as they
//! were, JSON-LD files left alone with a message.

mod common;

use std::path::Path;

use common::{copy_site, fixture, write};
use glossa::diagnostics::Severity;

#[test]
fn an_edited_sentence_is_reanchored_with_a_warning_and_fixed_in_place() {
    let site = copy_site(&fixture("multi"), false);
    let article = site.path().join("content/articles/chip-war.md");
    let text = std::fs::read_to_string(&article)
        .unwrap()
        .replace("Chúng tôi sẽ tự chủ.", "Chúng tôi sẽ luôn tự chủ.");
    std::fs::write(&article, text).unwrap();

    let loaded = glossa::load(site.path(), &Default::default());
    assert!(
        !loaded.diags.has_errors(),
        "{}",
        loaded.diags.render(&loaded.sources, false)
    );
    let warnings: Vec<_> = loaded
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("re-anchored") && warnings[0].message.contains("[luôn ]"),
        "{}",
        warnings[0].message
    );
    assert_eq!(loaded.site.reanchored.len(), 1);
    assert_eq!(loaded.site.reanchored[0].new, "Chúng tôi sẽ luôn tự chủ.");
    // The quote still gets its card, on the new text.
    let q = loaded.site.quotes.iter().find(|q| q.id == "huawei-tu-chu").unwrap();
    assert_eq!(q.text, "Chúng tôi sẽ luôn tự chủ.");

    let ann = site.path().join("content/articles/chip-war.annotations.toml");
    let before = std::fs::read_to_string(&ann).unwrap();
    let fixed = glossa::commands::fix::apply(site.path(), &loaded.site.reanchored).unwrap();
    assert_eq!(fixed.len(), 1);
    let after = std::fs::read_to_string(&ann).unwrap();
    assert_eq!(
        after,
        before.replace(
            "exact = \"Chúng tôi sẽ tự chủ.\"",
            "exact = \"Chúng tôi sẽ luôn tự chủ.\""
        )
    );
    assert!(after.contains("# crosses into *em*"), "comments are kept");

    let again = glossa::load(site.path(), &Default::default());
    assert!(again.diags.is_empty(), "{}", again.diags.render(&again.sources, false));
}

#[test]
fn a_rewritten_sentence_is_an_orphan_error_not_a_guess() {
    let site = copy_site(&fixture("multi"), false);
    let article = site.path().join("content/articles/chip-war.md");
    let text = std::fs::read_to_string(&article)
        .unwrap()
        .replace("Chúng tôi sẽ tự chủ.", "Không bình luận.");
    std::fs::write(&article, text).unwrap();
    let loaded = glossa::load(site.path(), &Default::default());
    assert!(loaded.diags.has_errors());
    assert!(loaded.site.reanchored.is_empty());
    let report = loaded.diags.render(&loaded.sources, false);
    assert!(
        report.contains("`exact` not found in the article: «Chúng tôi sẽ tự chủ.»"),
        "{report}"
    );
}

fn glossa_bin(root: &Path, args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = common::glossa(root, args);
    (code, stderr)
}

/// The multi fixture with the quote's `exact` set to `exact` and the
/// article's sentence to `sentence`.
fn quote_edited(exact: &str, sentence: &str) -> tempfile::TempDir {
    let site = copy_site(&fixture("multi"), false);
    let edit = |rel: &str, from: &str, to: &str| {
        let p = site.path().join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{rel} lacks {from:?}");
        std::fs::write(&p, text.replace(from, to)).unwrap();
    };
    edit(
        "content/articles/chip-war.annotations.toml",
        "exact = \"Chúng tôi sẽ tự chủ.\"",
        &format!("exact = \"{exact}\""),
    );
    edit(
        "content/articles/chip-war.md",
        "“Chúng tôi sẽ tự chủ.”",
        &format!("“{sentence}”"),
    );
    site
}

/// The issue's case through the binary: "…về công nghệ." edited to "…về
/// chip." re-anchors to the whole words (never "…về ch"), and `--fix`
/// writes exactly those.
#[test]
fn check_and_fix_reanchor_to_whole_words() {
    let site = quote_edited("Chúng tôi sẽ tự chủ về công nghệ.", "Chúng tôi sẽ tự chủ về chip.");
    let ann = site.path().join("content/articles/chip-war.annotations.toml");
    let before = std::fs::read_to_string(&ann).unwrap();
    let (code, err) = glossa_bin(site.path(), &["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 errors, 1 warning"), "{err}");
    assert!(
        err.contains("(76% similar): «Chúng tôi sẽ tự chủ về c[ông nghệ].» → «Chúng tôi sẽ tự chủ về c[hip].»"),
        "{err}"
    );
    let (code, err) = glossa_bin(site.path(), &["check", "--fix"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("fixed content/articles/chip-war.annotations.toml"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&ann).unwrap(),
        before.replace("về công nghệ.\"", "về chip.\"")
    );
    let (_, err) = glossa_bin(site.path(), &["check"]);
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
}

/// When only part of a word would be similar enough ("…về chip" of
/// "chiplet"), the annotation is an orphan: an error, and `--fix` writes
/// nothing; the hint quotes whole words.
#[test]
fn a_match_only_inside_a_word_is_an_orphan_and_fix_writes_nothing() {
    let site = quote_edited(
        "Chúng tôi sẽ tự chủ về công nghệ.",
        "Chúng tôi sẽ tự chủ về chiplet tiên tiến.",
    );
    let ann = site.path().join("content/articles/chip-war.annotations.toml");
    let before = std::fs::read(&ann).unwrap();
    let (code, err) = glossa_bin(site.path(), &["check", "--fix"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("`exact` not found in the article: «Chúng tôi sẽ tự chủ về công nghệ.»"),
        "{err}"
    );
    assert!(!err.contains("re-anchored") && !err.contains("fixed "), "{err}");
    let hint = err
        .lines()
        .find(|l| l.contains("closest match"))
        .unwrap_or_else(|| panic!("{err}"));
    let quoted = hint.split('«').nth(1).and_then(|q| q.split('»').next()).unwrap();
    let md = std::fs::read_to_string(site.path().join("content/articles/chip-war.md")).unwrap();
    let at = md.find(quoted).unwrap_or_else(|| panic!("{hint}"));
    let next = md[at + quoted.len()..].chars().next();
    assert!(!next.is_some_and(char::is_alphanumeric), "ends inside a word: {hint}");
    assert_eq!(std::fs::read(&ann).unwrap(), before, "not a byte changed");
}

/// A site with two articles whose annotation files hold several
/// annotations each: one file LF without a BOM, one CRLF with a BOM.
fn two_articles() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Sửa nhiều chỗ\"\nautolink = \"none\"\n");
    let article = "+++\ntitle = \"Bài\"\ndate = \"2026-11-28\"\n+++\n\
        Huawei hợp tác với SMIC để sản xuất chip tại Trung Quốc.\n\n\
        Theo báo cáo, SMIC đã mở rộng nhà máy ở Thượng Hải.\n\n\
        Một phát ngôn viên nói rằng công ty sẽ tự chủ về công nghệ.\n";
    write(r, "content/articles/a.md", article);
    write(r, "content/articles/b.md", &article.replace('\n', "\r\n"));
    let ann = "# Ghi chú về bài\n\
        [[note]]\n\
        exact = \"Huawei hợp tác với SMIC để sản xuất chip\"   # đầu bài\n\
        body = \"Một.\"\n\
        \n\
        [[note]]\n\
        body = \"Hai.\"\n\
        exact = \"SMIC đã mở rộng nhà máy ở Thượng Hải\"\n\
        \n\
        [[note]]\n\
        exact = 'công ty sẽ tự chủ về công nghệ'\n\
        body = \"Ba.\"\n";
    write(r, "content/articles/a.annotations.toml", ann);
    write(
        r,
        "content/articles/b.annotations.toml",
        &format!("\u{feff}{}", ann.replace('\n', "\r\n")),
    );
    dir
}

/// Three re-anchored annotations in one file are all rewritten (the file
/// patched from its end, so earlier spans stay valid), comments and order
/// kept, and each file keeps its line endings and byte-order mark.
#[test]
fn several_fixes_in_one_file_keep_its_line_endings_and_bom() {
    let site = two_articles();
    let r = site.path();
    let ann = |slug: &str| r.join(format!("content/articles/{slug}.annotations.toml"));
    let (a_before, b_before) = (
        std::fs::read_to_string(ann("a")).unwrap(),
        std::fs::read_to_string(ann("b")).unwrap(),
    );
    let edits = [
        ("hợp tác với SMIC", "hợp tác chặt chẽ với SMIC"),
        ("SMIC đã mở rộng", "SMIC vừa mở rộng"),
        ("công ty sẽ tự chủ", "công ty sẽ luôn tự chủ"),
    ];
    for slug in ["a", "b"] {
        let p = r.join(format!("content/articles/{slug}.md"));
        let mut text = std::fs::read_to_string(&p).unwrap();
        for (from, to) in edits {
            text = text.replace(from, to);
        }
        std::fs::write(&p, text).unwrap();
    }
    let report = glossa::check(r, &Default::default(), true);
    assert_eq!(
        report.diags.warning_count(),
        6,
        "{}",
        report.diags.render(&report.sources, false)
    );
    assert_eq!(
        report.fixed,
        vec![
            Path::new("content/articles/a.annotations.toml"),
            Path::new("content/articles/b.annotations.toml")
        ]
    );
    let want = |before: &str| {
        before
            .replace(
                "\"Huawei hợp tác với SMIC để sản xuất chip\"",
                "\"Huawei hợp tác chặt chẽ với SMIC để sản xuất chip\"",
            )
            .replace(
                "\"SMIC đã mở rộng nhà máy ở Thượng Hải\"",
                "\"SMIC vừa mở rộng nhà máy ở Thượng Hải\"",
            )
            .replace(
                "'công ty sẽ tự chủ về công nghệ'",
                "\"công ty sẽ luôn tự chủ về công nghệ\"",
            )
    };
    let (a_after, b_after) = (
        std::fs::read_to_string(ann("a")).unwrap(),
        std::fs::read_to_string(ann("b")).unwrap(),
    );
    assert_eq!(a_after, want(&a_before));
    assert_eq!(b_after, want(&b_before));
    assert!(b_after.starts_with('\u{feff}') && b_after.matches("\r\n").count() == b_after.matches('\n').count());
    assert!(!a_after.contains('\r') && !a_after.starts_with('\u{feff}'));
    let again = glossa::check(r, &Default::default(), false);
    assert!(again.diags.is_empty(), "{}", again.diags.render(&again.sources, false));
}

/// A JSON-LD annotation file (what `glossa export` writes) is not patched:
/// `check --fix` leaves it byte for byte and says so.
#[test]
fn fix_leaves_json_ld_files_alone_and_says_so() {
    let site = copy_site(&fixture("multi"), false);
    let r = site.path();
    let collection = glossa::export(r, &Default::default())
        .unwrap_or_else(|f| panic!("{}", f.diags.render(&f.sources, false)))
        .expect("the fixture's base URL is absolute");
    let base = collection["id"]
        .as_str()
        .unwrap()
        .trim_end_matches("annotations.jsonld");
    let one = glossa::commands::export::for_article(&collection, &format!("{base}articles/chip-war/"));
    let dir = r.join("content/articles");
    std::fs::remove_file(dir.join("chip-war.annotations.toml")).unwrap();
    let jsonld = dir.join("chip-war.annotations.jsonld");
    std::fs::write(&jsonld, serde_json::to_string_pretty(&one).unwrap()).unwrap();
    let article = dir.join("chip-war.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(
        &article,
        text.replace("Chúng tôi sẽ tự chủ.", "Chúng tôi sẽ luôn tự chủ."),
    )
    .unwrap();
    let before = std::fs::read(&jsonld).unwrap();

    let (code, err) = glossa_bin(r, &["check", "--fix"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("re-anchored"), "{err}");
    assert!(
        err.contains("content/articles/chip-war.annotations.jsonld")
            && err.contains("not updated by `--fix`: the old `exact` stays for 1 re-anchored annotation"),
        "{err}"
    );
    assert!(!err.contains("fixed "), "{err}");
    assert_eq!(std::fs::read(&jsonld).unwrap(), before);
    // without --fix, no such message
    let (_, err) = glossa_bin(r, &["check"]);
    assert!(!err.contains("not updated by"), "{err}");
}
