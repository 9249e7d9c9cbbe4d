//! W3C Web Annotation interop: `glossa export` writes every explicit
//! annotation as a JSON-LD collection (TextQuote + TextPosition selectors);
//! the same format read back as `SLUG.annotations.jsonld` in place of the
//! TOML files builds the same site, byte for byte. Bad JSON-LD gets located
//! diagnostics. Every export is checked against the Web Annotation Data
//! Model's requirements ([`violations`]), and a site whose base URL is a
//! path (so the ids would not be IRIs) is refused.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Command;

use common::{copy_site, fixture, seed_root, snapshot, write};
use serde_json::{Value, json};

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

/// `glossa export` with `args`, parsed.
fn export(root: &Path, args: &[&str]) -> Value {
    let o = glossa(root, &[&["export"], args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The example site's own base URL is `/`: its exports need one.
const BASE: &str = "https://example.org/project/";

// ---- the Web Annotation Data Model's requirements, as a checker ----

const ANNO: &str = "http://www.w3.org/ns/anno.jsonld";

/// An absolute IRI (RFC 3987): a scheme, `:`, something after it, and no
/// character an IRI cannot hold.
fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut c = scheme.chars();
    c.next().is_some_and(|c| c.is_ascii_alphabetic())
        && c.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

fn types(v: &Value) -> Vec<&str> {
    match v.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `@context` is the Web Annotation context or a list holding it.
fn context_ok(v: &Value) -> bool {
    match v.get("@context") {
        Some(Value::String(s)) => s == ANNO,
        Some(Value::Array(a)) => a.len() > 1 && a.iter().any(|c| c == ANNO),
        _ => false,
    }
}

fn iri_at(v: &Value, key: &str, what: &str, out: &mut Vec<String>) {
    match v.get(key).and_then(Value::as_str) {
        Some(s) if is_iri(s) => {}
        Some(s) => out.push(format!("{what}: `{key}` {s:?} is not an absolute IRI (MUST)")),
        None => out.push(format!("{what}: no single `{key}` IRI (MUST)")),
    }
}

fn non_negative(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64)
}

/// A body or target that is a resource: an IRI, a SpecificResource (one
/// `source` IRI, its selectors), a TextualBody (`value`) or an external
/// resource (`id`).
fn resource(r: &Value, what: &str, out: &mut Vec<String>) {
    match r {
        Value::String(s) if is_iri(s) => {}
        Value::String(s) => out.push(format!("{what}: {s:?} is not an absolute IRI (MUST)")),
        Value::Object(o) if o.contains_key("source") => {
            match &o["source"] {
                Value::Object(src) => iri_at(&Value::Object(src.clone()), "id", &format!("{what}.source"), out),
                _ => iri_at(r, "source", what, out),
            }
            let selectors = match r.get("selector") {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(s) => vec![s],
                None => Vec::new(),
            };
            for (k, sel) in selectors.into_iter().enumerate() {
                selector(sel, &format!("{what}.selector[{k}]"), out);
            }
        }
        Value::Object(_) if types(r).contains(&"TextualBody") => {
            if !r.get("value").is_some_and(Value::is_string) {
                out.push(format!("{what}: a TextualBody without a string `value` (MUST)"));
            }
        }
        Value::Object(_) => iri_at(r, "id", what, out),
        _ => out.push(format!("{what}: neither an IRI nor a resource")),
    }
}

fn selector(s: &Value, what: &str, out: &mut Vec<String>) {
    match types(s).as_slice() {
        ["TextQuoteSelector"] => {
            if !s.get("exact").is_some_and(Value::is_string) {
                out.push(format!("{what}: a TextQuoteSelector without `exact` (MUST)"));
            }
            for k in ["prefix", "suffix"] {
                if s.get(k).is_some_and(|v| !v.is_string()) {
                    out.push(format!("{what}: `{k}` is not one string (MUST NOT have more than 1)"));
                }
            }
        }
        ["TextPositionSelector"] => match (non_negative(s.get("start")), non_negative(s.get("end"))) {
            (Some(a), Some(b)) if a <= b => {}
            _ => out.push(format!(
                "{what}: `start`/`end` are not non-negative integers in order (MUST)"
            )),
        },
        [_] => {}
        _ => out.push(format!("{what}: a selector without exactly one `type` (MUST)")),
    }
}

/// One annotation; `inherited` when the collection around it gives the
/// `@context` (an embedded annotation need not repeat it).
fn annotation(a: &Value, inherited: bool, what: &str, out: &mut Vec<String>) {
    if !(context_ok(a) || inherited && a.get("@context").is_none()) {
        out.push(format!("{what}: no `@context` with {ANNO} (MUST)"));
    }
    iri_at(a, "id", what, out);
    if !types(a).contains(&"Annotation") {
        out.push(format!("{what}: `type` does not include Annotation (MUST)"));
    }
    if a.get("body").is_some() && a.get("bodyValue").is_some() {
        out.push(format!("{what}: both `body` and `bodyValue` (MUST NOT)"));
    }
    match a.get("target") {
        None | Some(Value::Null) => out.push(format!("{what}: no `target` (MUST)")),
        Some(Value::Array(t)) if t.is_empty() => out.push(format!("{what}: no `target` (MUST)")),
        Some(Value::Array(t)) => {
            for (k, t) in t.iter().enumerate() {
                resource(t, &format!("{what}.target[{k}]"), out);
            }
        }
        Some(t) => resource(t, &format!("{what}.target"), out),
    }
    match a.get("body") {
        Some(Value::Array(b)) => {
            for (k, b) in b.iter().enumerate() {
                resource(b, &format!("{what}.body[{k}]"), out);
            }
        }
        Some(b) => resource(b, &format!("{what}.body"), out),
        None => {}
    }
}

/// Everything in `doc` (an AnnotationCollection) that breaks the Web
/// Annotation Data Model (§3 annotations, §4 specific resources and
/// selectors, §5 collections and pages), one line each; empty when it
/// conforms. The MUSTs, and the SHOULDs a consumer relies on (`total`,
/// the page's `partOf` and `startIndex`).
fn violations(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let c = "collection";
    if !context_ok(doc) {
        out.push(format!("{c}: no `@context` with {ANNO} (MUST)"));
    }
    iri_at(doc, "id", c, &mut out);
    if !types(doc).contains(&"AnnotationCollection") {
        out.push(format!("{c}: `type` does not include AnnotationCollection (MUST)"));
    }
    if doc.get("label").is_some_and(|l| !l.is_string()) {
        out.push(format!("{c}: `label` is not a string (MUST)"));
    }
    let Some(total) = non_negative(doc.get("total")) else {
        out.push(format!(
            "{c}: no non-negative integer `total` (SHOULD; MUST be one if present)"
        ));
        return out;
    };
    let page = match doc.get("first") {
        None if total > 0 => {
            out.push(format!("{c}: total {total} but no `first` page (MUST)"));
            return out;
        }
        None => return out,
        // a page given by its IRI: valid, but its items are elsewhere
        Some(Value::String(s)) => {
            if !is_iri(s) {
                out.push(format!("{c}: `first` {s:?} is not an IRI (MUST)"));
            }
            return out;
        }
        Some(p) => p,
    };
    let p = "first page";
    if !types(page).contains(&"AnnotationPage") {
        out.push(format!("{p}: `type` does not include AnnotationPage (MUST)"));
    }
    iri_at(page, "id", p, &mut out);
    if page.get("@context").is_some() {
        out.push(format!("{p}: embedded, but has its own `@context` (SHOULD NOT)"));
    }
    let part_of = page
        .get("partOf")
        .and_then(|v| v.as_str().or_else(|| v.get("id").and_then(Value::as_str)));
    if part_of.is_none() || part_of != doc.get("id").and_then(Value::as_str) {
        out.push(format!("{p}: `partOf` does not name the collection's id (SHOULD)"));
    }
    match page.get("startIndex") {
        Some(v) if v.as_u64() == Some(0) => {}
        Some(v) => out.push(format!(
            "{p}: `startIndex` {v} is not 0, the first page's first entry (MUST)"
        )),
        None => out.push(format!("{p}: no `startIndex` (SHOULD)")),
    }
    let items = match page.get("items").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => a,
        _ => {
            out.push(format!("{p}: `items` is not an array of 1 or more annotations (MUST)"));
            return out;
        }
    };
    if page.get("next").is_none() && items.len() as u64 != total {
        out.push(format!("{c}: total {total}, but its only page holds {}", items.len()));
    }
    let mut ids = HashSet::new();
    for (k, a) in items.iter().enumerate() {
        let what = format!("items[{k}]");
        if let Some(s) = a.as_str() {
            if !is_iri(s) {
                out.push(format!("{what}: {s:?} is not an IRI (MUST)"));
            }
            continue;
        }
        annotation(a, context_ok(doc), &what, &mut out);
        if let Some(id) = a.get("id").and_then(Value::as_str)
            && !ids.insert(id)
        {
            out.push(format!("{what}: id {id} is not unique"));
        }
    }
    out
}

/// Panics with every violation of `doc`.
fn assert_conforms(doc: &Value, what: &str) {
    let v = violations(doc);
    assert!(
        v.is_empty(),
        "{what} breaks the Web Annotation model:\n{}",
        v.join("\n")
    );
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
        assert_conforms(&one, &format!("{slug}.annotations.jsonld"));
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
    let v = export(&seed_root(), &["--base-url", BASE]);
    assert_conforms(&v, "the example site's export");
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
    // every IRI is built on the base URL given
    assert_eq!(v["id"], format!("{BASE}annotations.jsonld"));
    for i in items {
        for iri in [&i["id"], &i["target"]["source"]] {
            assert!(iri.as_str().unwrap().starts_with(BASE), "{iri}");
        }
        if i["motivation"] != "commenting" {
            assert!(i["body"]["source"].as_str().unwrap().starts_with(BASE), "{i}");
        }
    }
}

/// The model requires IRIs: with a base URL that is only a path (the
/// example site's `/`, or `--base-url /sub/`) the ids would be relative, so
/// `export` writes nothing and says which flag or setting to give (a usage
/// error, exit 2).
#[test]
fn export_refuses_a_base_url_that_is_only_a_path() {
    let multi = copy_site(&fixture("multi"), false);
    let cases: [(&Path, &[&str], &str); 4] = [
        (&seed_root(), &[], "`/`"),
        (multi.path(), &["--base-url", "/sub/"], "`/sub/`"),
        (multi.path(), &["--base-url", "example.org/sub"], "`example.org/sub/`"),
        (multi.path(), &["--base-url", "https:///sub/"], "`https:///sub/`"),
    ];
    for (root, args, shown) in cases {
        let out_file = tempfile::tempdir().unwrap();
        let target = out_file.path().join("annotations.jsonld");
        let o = glossa(
            root,
            &[&["export", "--output", target.to_str().unwrap()], args].concat(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!target.exists(), "{args:?}: a collection was written");
        assert!(err.starts_with("error: the base URL "), "{err}");
        assert!(err.contains(shown), "{args:?}: {err}");
        assert!(err.contains("not be IRIs"), "{err}");
        assert!(err.contains("--base-url https://example.org/"), "{err}");
        assert!(err.contains("`base_url"), "{err}");
    }
    // an absolute base, from glossa.toml or the flag, exports as before
    let v = export(multi.path(), &[]);
    assert!(v["id"].as_str().unwrap().starts_with("https://example.org/sub/"));
    assert_conforms(&v, "the multi fixture's export");
    let v = export(&seed_root(), &["--base-url", "http://localhost:1111"]);
    assert_eq!(v["id"], "http://localhost:1111/annotations.jsonld");
    assert_conforms(&v, "the export with a local base URL");
}

/// A site with no annotation files: a collection of 0, with no page (a
/// page holds at least one annotation); read back, an empty collection is
/// an article without annotations.
#[test]
fn an_empty_export_conforms_and_reads_back() {
    let site = tempfile::tempdir().unwrap();
    let r = site.path();
    write(
        r,
        "glossa.toml",
        "title = \"Trống\"\nbase_url = \"https://example.org/\"\n",
    );
    write(
        r,
        "content/articles/a.md",
        "+++\ntitle = \"A\"\ndate = \"2026-01-02\"\n+++\nKhông có chú giải.\n",
    );
    let v = export(r, &[]);
    assert_conforms(&v, "an empty export");
    assert_eq!(v["total"], 0);
    assert!(v.get("first").is_none(), "{v}");
    let one = glossa::commands::export::for_article(&v, "https://example.org/articles/a/");
    assert_conforms(&one, "an empty per-article collection");
    assert_eq!(one["id"], "https://example.org/articles/a/annotations.jsonld");
    write(r, "content/articles/a.annotations.jsonld", &one.to_string());
    let o = glossa(r, &["check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim(), "0 errors, 0 warnings");
}

/// A collection whose first page is given by its IRI (valid in the model)
/// holds no annotations glossa can read: an error at `"first"`, not an
/// article silently without annotations.
#[test]
fn a_collection_whose_page_is_elsewhere_is_an_error() {
    let site = tempfile::tempdir().unwrap();
    let r = site.path();
    write(r, "glossa.toml", "title = \"Trang\"\n");
    write(
        r,
        "content/articles/a.md",
        "+++\ntitle = \"A\"\ndate = \"2026-01-02\"\n+++\nMột câu.\n",
    );
    write(
        r,
        "content/articles/a.annotations.jsonld",
        "{\n  \"type\": \"AnnotationCollection\",\n  \"total\": 3,\n  \"first\": \"https://example.org/page1\"\n}\n",
    );
    let o = glossa(r, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the collection's first page is not embedded"), "{err}");
    assert!(err.contains("a.annotations.jsonld:4:3"), "{err}");
}

/// The checker above finds what it must: each break of a real export
/// gives a violation (so a passing export is evidence, not a test that
/// cannot fail).
#[test]
fn the_checker_catches_each_broken_requirement() {
    let good = export(&fixture("multi"), &[]);
    assert!(violations(&good).is_empty());
    type Break = fn(&mut Value);
    let breaks: [(&str, Break); 16] = [
        ("relative annotation id", |v| {
            v["first"]["items"][0]["id"] = json!("/articles/chip-war/#a-0")
        }),
        ("relative target", |v| {
            v["first"]["items"][0]["target"]["source"] = json!("/sub/articles/chip-war/")
        }),
        ("relative body source", |v| {
            v["first"]["items"][0]["body"]["source"] = json!("/sub/entities/huawei/")
        }),
        ("no context", |v| {
            v.as_object_mut().unwrap().remove("@context");
        }),
        ("wrong context", |v| v["@context"] = json!("http://schema.org")),
        ("no annotation type", |v| v["first"]["items"][0]["type"] = json!("Note")),
        ("no target", |v| {
            v["first"]["items"][0].as_object_mut().unwrap().remove("target");
        }),
        ("quote selector without exact", |v| {
            v["first"]["items"][0]["target"]["selector"][0]
                .as_object_mut()
                .unwrap()
                .remove("exact");
        }),
        ("relative collection id", |v| v["id"] = json!("/annotations.jsonld")),
        ("no collection type", |v| v["type"] = json!("OrderedCollection")),
        ("no first page", |v| {
            v.as_object_mut().unwrap().remove("first");
        }),
        ("page not a page", |v| v["first"]["type"] = json!("Collection")),
        ("page without id", |v| {
            v["first"].as_object_mut().unwrap().remove("id");
        }),
        ("partOf elsewhere", |v| {
            v["first"]["partOf"] = json!("https://example.org/other")
        }),
        ("empty page", |v| v["first"]["items"] = json!([])),
        ("duplicate ids", |v| {
            let a = v["first"]["items"][0]["id"].clone();
            v["first"]["items"][1]["id"] = a;
        }),
    ];
    for (what, f) in breaks {
        let mut bad = good.clone();
        f(&mut bad);
        assert!(!violations(&bad).is_empty(), "the checker missed: {what}");
    }
}

#[test]
fn exported_annotations_read_back_build_the_same_site() {
    for src in [seed_root(), fixture("multi")] {
        let want = build(&src);
        let copy = copy_site(&src, true);
        // the example site's base URL is `/`; the fixture's is absolute
        let args: &[&str] = if src == seed_root() { &["--base-url", BASE] } else { &[] };
        let collection = export(copy.path(), args);
        assert_conforms(&collection, &src.display().to_string());
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
        assert_eq!(export(copy.path(), args), collection);
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

/// A TextPositionSelector picks the occurrence that starts at its code
/// point when `exact` is still there and not in code; otherwise the quote
/// selector alone decides (here: two occurrences, so an error).
#[test]
fn a_position_selector_picks_its_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"T\"\nautolink = \"none\"\n");
    write(
        r,
        "content/entities/huawei.md",
        "+++\nname = \"Huawei\"\nkind = \"organization\"\n+++\nHãng.\n",
    );
    let body = "Đầu tiên Huawei.\n\nRồi `Huawei` và Huawei.\n";
    write(
        r,
        "content/articles/a.md",
        &format!("+++\ntitle = \"A\"\ndate = \"2026-01-01\"\n+++\n{body}"),
    );
    // positions count code points of the text as anchoring sees it: the
    // Markdown rendered, paragraphs one line break apart, code as its text
    let plain = "Đầu tiên Huawei.\nRồi Huawei và Huawei.";
    let cp = |nth: usize| {
        let at = plain.match_indices("Huawei").nth(nth).unwrap().0;
        plain[..at].chars().count()
    };
    let annotation = |start: usize| {
        json!({
            "type": "Annotation",
            "motivation": "identifying",
            "body": "https://example.org/entities/huawei/",
            "target": {"source": "https://example.org/articles/a/", "selector": [
                {"type": "TextQuoteSelector", "exact": "Huawei"},
                {"type": "TextPositionSelector", "start": start, "end": start + 6}
            ]}
        })
        .to_string()
    };
    let marked = |start: usize| {
        write(r, "content/articles/a.annotations.jsonld", &annotation(start));
        let loaded = glossa::load(r, &Default::default());
        let report = loaded.diags.render(&loaded.sources, false);
        if loaded.diags.has_errors() {
            return Err(report);
        }
        let out = tempfile::tempdir().unwrap();
        let opts = glossa::BuildOptions {
            output_dir: Some(out.path().to_path_buf()),
            ..Default::default()
        };
        glossa::build(r, &opts).map_err(|_| report)?;
        let page = std::fs::read_to_string(out.path().join("articles/a/index.html")).unwrap();
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse(".article-body p").unwrap();
        Ok(doc
            .select(&sel)
            .map(|p| p.inner_html().matches("class=\"mention").count())
            .collect::<Vec<_>>())
    };
    // the third "Huawei" (the second is in code): the second paragraph's
    assert_eq!(marked(cp(2)), Ok(vec![0, 1]));
    assert_eq!(marked(cp(0)), Ok(vec![1, 0]));
    // a position where the text is not (one code point off), or in code
    for start in [cp(2) + 1, cp(1)] {
        let err = marked(start).unwrap_err();
        assert!(err.contains("occurs 2 times"), "{start}: {err}");
    }
}
