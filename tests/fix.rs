//! Re-anchoring after an article edit, and `check --fix` writing the new
//! text back without disturbing the annotation file's formatting.

mod common;

use common::{copy_site, fixture};
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
