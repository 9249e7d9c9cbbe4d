//! W3C Web Annotation interop: `glossa export` writes every explicit
//! annotation as a JSON-LD collection (TextQuote + TextPosition selectors);
//! the same format read back as `SLUG.annotations.jsonld` in place of the
//! TOML files builds the same site, byte for byte. Bad JSON-LD gets located
//! diagnostics.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{copy_site, fixture, seed_root, snapshot};
use serde_json::Value;

fn glossa(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_glossa"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn build(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let o = glossa(root, &["build", "--output-dir", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    snapshot(out.path())
}

fn export(root: &Path) -> Value {
    let o = glossa(root, &["export"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Replaces every `SLUG.annotations.toml` of `site` with the exported
/// annotations of that article as `SLUG.annotations.jsonld`.
fn swap_to_jsonld(site: &Path, collection: &Value) -> usize {
    let mut n = 0;
    let base = export_base(collection);
    for entry in std::fs::read_dir(site.join("content/articles")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(slug) = name.strip_suffix(".annotations.toml") else {
            continue;
        };
        let url = format!("{base}articles/{slug}/");
        let one = glossa::commands::export::for_article(collection, &url);
        n += one["total"].as_u64().unwrap() as usize;
        std::fs::remove_file(entry.path()).unwrap();
        std::fs::write(
            site.join(format!("content/articles/{slug}.annotations.jsonld")),
            serde_json::to_string_pretty(&one).unwrap(),
        )
        .unwrap();
    }
    n
}

/// The site URL the collection's ids start with.
fn export_base(collection: &Value) -> String {
    collection["id"]
        .as_str()
        .unwrap()
        .trim_end_matches("annotations.jsonld")
        .to_string()
}

#[test]
fn export_is_a_w3c_collection_with_quote_and_position_selectors() {
    let v = export(&seed_root());
    assert_eq!(v["@context"], "http://www.w3.org/ns/anno.jsonld");
    assert_eq!(v["type"], "AnnotationCollection");
    let items = v["first"]["items"].as_array().unwrap();
    assert_eq!(v["total"].as_u64().unwrap() as usize, items.len());
    let count = |m: &str| items.iter().filter(|i| i["motivation"] == m).count();
    // the seed: 52 mentions, 6 quotes, 9 notes
    assert_eq!(
        (count("identifying"), count("highlighting"), count("commenting")),
        (52, 6, 9)
    );
    for i in items {
        let sel = i["target"]["selector"].as_array().unwrap();
        let quote = &sel[0];
        let pos = &sel[1];
        assert_eq!(quote["type"], "TextQuoteSelector");
        assert_eq!(pos["type"], "TextPositionSelector");
        let exact = quote["exact"].as_str().unwrap();
        // positions count code points
        let len = pos["end"].as_u64().unwrap() - pos["start"].as_u64().unwrap();
        assert_eq!(len as usize, exact.chars().count(), "{exact}");
    }
    let quote = items.iter().find(|i| i["motivation"] == "highlighting").unwrap();
    assert!(quote["body"]["source"].as_str().unwrap().contains("/entities/"));
    assert!(quote["id"].as_str().unwrap().contains("#q-"));
}

#[test]
fn exported_annotations_read_back_build_the_same_site() {
    for src in [seed_root(), fixture("multi")] {
        let want = build(&src);
        let copy = copy_site(&src, true);
        let collection = export(copy.path());
        let n = swap_to_jsonld(copy.path(), &collection);
        assert!(n > 10, "{n} annotations moved to JSON-LD");
        let got = build(copy.path());
        let differ: Vec<&String> = want.keys().filter(|k| got.get(*k) != want.get(*k)).collect();
        assert!(
            differ.is_empty(),
            "{}: differs after the round trip: {differ:?}",
            src.display()
        );
        assert_eq!(got.len(), want.len());
        // and exporting again gives the same collection
        assert_eq!(export(copy.path()), collection);
    }
}

#[test]
fn bad_json_ld_gets_located_diagnostics() {
    let copy = copy_site(&fixture("multi"), false);
    let dir = copy.path().join("content/articles");
    std::fs::remove_file(dir.join("chip-war.annotations.toml")).unwrap();
    std::fs::write(
        dir.join("chip-war.annotations.jsonld"),
        "{\n  \"items\": [\n    {\"motivation\": \"identifying\",\n     \"body\": \"https://example.org/sub/entities/khong-co/\",\n     \"target\": {\"selector\": {\"type\": \"TextQuoteSelector\", \"exact\": \"Huawei\"}}},\n    {\"motivation\": \"bookmarking\",\n     \"target\": {\"selector\": {\"type\": \"TextQuoteSelector\", \"exact\": \"SMIC\"}}}\n  ]\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("plain.annotations.jsonld"), "{ not json").unwrap();
    // open-models keeps its TOML file: two annotation files
    std::fs::write(dir.join("open-models.annotations.jsonld"), "[]").unwrap();
    let o = glossa(copy.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown entity `khong-co`"), "{err}");
    assert!(err.contains("chip-war.annotations.jsonld:5"), "{err}");
    assert!(err.contains("unsupported motivation `bookmarking`"), "{err}");
    assert!(err.contains("invalid JSON"), "{err}");
    assert!(err.contains("plain.annotations.jsonld:1:3"), "{err}");
    assert!(err.contains("two annotation files"), "{err}");
}
