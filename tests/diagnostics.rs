//! The diagnostics catalogue: one small site per mistake, asserting the
//! message, the hint and the exact `file:line:col` the user is sent to.

use std::path::Path;

const ARTICLE: &str = "+++\ntitle = \"T\"\ndate = \"2026-01-01\"\n+++\nHuawei hợp tác với SMIC. SMIC mở rộng.\n\nĐoạn hai có `mã SMIC` và Huawei.\n";

fn entity(name: &str) -> String {
    format!("+++\nname = \"{name}\"\nkind = \"organization\"\n+++\nMô tả.\n")
}

/// Builds a site from (path, text) pairs and returns `check`'s report.
fn report(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<(String, String)> = vec![
        ("content/articles/a.md".into(), ARTICLE.into()),
        ("content/entities/huawei.md".into(), entity("Huawei")),
        ("content/entities/smic.md".into(), entity("SMIC")),
    ];
    for (p, t) in files {
        all.retain(|(q, _)| q != p);
        all.push((p.to_string(), t.to_string()));
    }
    for (p, t) in &all {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    let loaded = glossa::load(dir.path(), &Default::default());
    // `build` agrees with `check` and writes nothing.
    let out = dir.path().join("public");
    let opts = glossa::BuildOptions {
        output_dir: Some(out.clone()),
        ..Default::default()
    };
    if loaded.diags.has_errors() {
        assert!(glossa::build(dir.path(), &opts).is_err());
        assert!(!out.exists());
    }
    loaded.diags.render(&loaded.sources, false)
}

fn assert_has(report: &str, needles: &[&str]) {
    for n in needles {
        assert!(report.contains(n), "missing {n:?} in:\n{report}");
    }
}

fn ann(text: &str) -> (&'static str, String) {
    ("content/articles/a.annotations.toml", text.to_string())
}

fn with_ann(text: &str) -> String {
    let (p, t) = ann(text);
    report(&[(p, &t)])
}

#[test]
fn toml_syntax_error() {
    let r = with_ann("[[mention]\nentity = \"huawei\"\n");
    assert_has(&r, &["TOML syntax error", "a.annotations.toml:1:", "1 error"]);
}

/// The byte spans `check --format json` gives for an article `a.md` alone.
fn json_spans(article: &str) -> Vec<[u64; 2]> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("content/articles")).unwrap();
    std::fs::write(dir.path().join("content/articles/a.md"), article).unwrap();
    let loaded = glossa::load(dir.path(), &Default::default());
    let json = loaded.diags.to_json(&loaded.sources);
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| [d["span"][0].as_u64().unwrap(), d["span"][1].as_u64().unwrap()])
        .collect()
}

#[test]
fn yaml_syntax_error() {
    let r = report(&[(
        "content/articles/a.md",
        "---\ntitle: [unclosed\ndate: 2026-01-01\n---\nx\n",
    )]);
    assert_has(&r, &["YAML front matter: expected string scalar", "a.md:2:8"]);
    assert_has(&r, &["2 │ title: [unclosed\n  │        ^\n"]);
    // the span itself, as `check --format json` gives it: the `[` alone
    assert_eq!(
        json_spans("---\ntitle: [unclosed\ndate: 2026-01-01\n---\nx\n"),
        [[11, 12]]
    );
}

/// YAML front matter has the same keys as TOML: a misspelt one is an
/// error at that key with the nearest known key, and the known ones beside
/// it are not reported.
#[test]
fn yaml_unknown_key() {
    let r = report(&[(
        "content/articles/a.md",
        "---\ntitle: T\ndate: 2026-01-01\ntgas: [a]\n---\nx\n",
    )]);
    assert_has(
        &r,
        &["a.md:4:1", "unknown key `tgas`", "did you mean `tags`?", "1 error"],
    );
    assert_has(&r, &["4 │ tgas: [a]\n  │ ^^^^\n"]);
    assert_eq!(
        json_spans("---\ntitle: T\ndate: 2026-01-01\ntgas: [a]\n---\nx\n"),
        [[30, 34]]
    );
    let r = report(&[("content/articles/a.md", "---\ntitle: T\ndate: 2026-01-01\n---\nx\n")]);
    assert_has(&r, &["0 errors"]);
}

#[test]
fn unknown_key_with_did_you_mean() {
    let r = with_ann("[[mention]]\nentity = \"huawei\"\nexcat = \"Huawei\"\n");
    assert_has(
        &r,
        &[
            "a.annotations.toml:3:1",
            "unknown key `excat` in `mention`",
            "did you mean `exact`?",
        ],
    );
}

#[test]
fn missing_required_keys() {
    let r = report(&[("content/articles/a.md", "+++\ndate = \"2026-01-01\"\n+++\nx\n")]);
    assert_has(&r, &["a.md:1:1", "the article has no `title`"]);
    // a title of white space is none
    let r = report(&[(
        "content/articles/a.md",
        "+++\ntitle = \" \"\ndate = \"2026-01-01\"\n+++\nx\n",
    )]);
    assert_has(&r, &["a.md:1:1", "the article has no `title`", "1 error"]);
    let r = with_ann("[[quote]]\nexact = \"Huawei\"\n");
    assert_has(&r, &["a.annotations.toml:1:1", "this [[quote]] has no `speaker`"]);
}

#[test]
fn exact_not_found_shows_the_closest_match_and_the_difference() {
    let r = with_ann("[[mention]]\nentity = \"huawei\"\nexact = \"Hauwei hợp tác\"\n");
    assert_has(
        &r,
        &[
            "a.annotations.toml:3:9",
            "`exact` not found in the article: «Hauwei hợp tác»",
            "closest match at article line 5: «Huawei hợp tác»",
            "«H[au]wei hợp tác» vs «H[ua]wei hợp tác»",
        ],
    );
}

#[test]
fn exact_ambiguous_lists_the_occurrences() {
    let r = with_ann("[[mention]]\nentity = \"smic\"\nexact = \"SMIC\"\n");
    assert_has(
        &r,
        &[
            "a.annotations.toml:3:9",
            "`exact` occurs 2 times in the article (lines 5)",
            "`nth = N`, `all = true`",
        ],
    );
}

#[test]
fn nth_past_the_last_occurrence() {
    let r = with_ann("[[mention]]\nentity = \"smic\"\nexact = \"SMIC\"\nnth = 3\n");
    assert_has(
        &r,
        &[
            "a.annotations.toml:4:7",
            "`nth = 3` but the text occurs only 2 times",
            "from 1 to 2",
        ],
    );
}

#[test]
fn unknown_entity_and_speaker_with_the_nearest_id() {
    let r = with_ann(
        "[[mention]]\nentity = \"huawey\"\nexact = \"Huawei\"\nall = true\n\n[[quote]]\nspeaker = \"smc\"\nexact = \"SMIC mở rộng.\"\n",
    );
    assert_has(
        &r,
        &[
            "a.annotations.toml:2:10",
            "unknown entity `huawey`",
            "did you mean `huawei`?",
            "a.annotations.toml:7:11",
            "unknown speaker `smc`",
            "did you mean `smic`?",
        ],
    );
}

#[test]
fn duplicate_entity_ids_quote_ids_and_colliding_slugs() {
    let r = report(&[
        ("content/entities/more/huawei.md", &entity("Huawei again")),
        ("content/articles/a b.md", ARTICLE),
        ("content/articles/a-b.md", ARTICLE),
        (
            "content/articles/a.annotations.toml",
            "[[quote]]\nid = \"q\"\nspeaker = \"huawei\"\nexact = \"Huawei hợp tác\"\n",
        ),
        (
            "content/articles/a-b.annotations.toml",
            "[[quote]]\nid = \"q\"\nspeaker = \"huawei\"\nexact = \"Huawei hợp tác\"\n",
        ),
    ]);
    assert_has(
        &r,
        &[
            "duplicate entity id `huawei`",
            "two articles have the URL /articles/a-b/",
            "duplicate quote id `q`",
        ],
    );
}

#[test]
fn overlapping_annotations_that_cannot_nest() {
    let r = with_ann(
        "[[mention]]\nentity = \"huawei\"\nexact = \"Huawei hợp tác\"\nnth = 1\n\n[[quote]]\nspeaker = \"smic\"\nexact = \"hợp tác với SMIC\"\n",
    );
    assert_has(
        &r,
        &[
            "a.annotations.toml:8:9",
            "this quote overlaps a mention (line 3) without nesting inside it",
            "make one contain the other",
        ],
    );
}

#[test]
fn annotation_spanning_two_paragraphs() {
    let r = with_ann("[[note]]\nexact = \"SMIC mở rộng. Đoạn hai\"\nbody = \"x\"\n");
    assert_has(&r, &["a.annotations.toml:2:9", "the annotation spans two paragraphs"]);
}

#[test]
fn annotation_inside_a_code_span() {
    let r = with_ann("[[mention]]\nentity = \"smic\"\nexact = \"mã SMIC\"\n");
    assert_has(
        &r,
        &[
            "a.annotations.toml:3:9",
            "the annotation is inside code",
            "article line 7",
        ],
    );
}

#[test]
fn link_that_does_not_resolve() {
    let r = with_ann(
        "[[link]]\nexact = \"SMIC mở rộng\"\nto = \"@/articles/missing.md\"\n\n[[link]]\nexact = \"Đoạn hai\"\nto = \"entity:nope\"\n",
    );
    assert_has(
        &r,
        &[
            "a.annotations.toml:3:6",
            "link target `@/articles/missing.md` does not resolve: no such article",
            "a.annotations.toml:7:6",
            "`entity:nope` does not resolve: unknown entity",
        ],
    );
}

/// A link to an article whose file is there but does not load (here: no
/// title) does not resolve either: the link is reported with the file's
/// own error, though anchoring ran before the file was known to fail.
#[test]
fn link_to_an_article_that_does_not_load() {
    let r = report(&[
        ("content/articles/b.md", "+++\ndate = \"2026-01-01\"\n+++\nx\n"),
        (
            "content/articles/a.annotations.toml",
            "[[link]]\nexact = \"SMIC mở rộng\"\nto = \"@/articles/b.md\"\n",
        ),
    ]);
    assert_has(
        &r,
        &[
            "b.md:1:1",
            "the article has no `title`",
            "a.annotations.toml:3:6",
            "link target `@/articles/b.md` does not resolve: no such article",
            "2 errors",
        ],
    );
}

#[test]
fn relation_to_an_unknown_entity() {
    let r = report(&[(
        "content/entities/huawei.md",
        "+++\nname = \"Huawei\"\nkind = \"organization\"\nrelations = [{ type = \"parent_of\", target = \"smc\" }]\n+++\n",
    )]);
    assert_has(
        &r,
        &[
            "huawei.md:4:46",
            "relation to unknown entity `smc`",
            "did you mean `smic`?",
        ],
    );
}

/// The lengths of the runs of `^` that underline the spans in a report.
fn carets(report: &str) -> Vec<usize> {
    report
        .lines()
        .filter_map(|l| {
            let t = l.trim_start_matches([' ', '│', '|']).trim_start();
            t.starts_with('^').then(|| t.chars().take_while(|&c| c == '^').count())
        })
        .collect()
}

#[test]
fn relation_to_an_unknown_entity_underlines_its_name() {
    let r = report(&[(
        "content/entities/huawei.md",
        "+++\nname = \"Huawei\"\nkind = \"organization\"\nrelations = [{ type = \"parent_of\", target = \"smc\" }]\n+++\n",
    )]);
    assert_eq!(carets(&r), [3], "{r}");
}

#[test]
fn unsafe_link_in_an_entity_description() {
    let r = report(&[(
        "content/entities/huawei.md",
        "+++\nname = \"Huawei\"\nkind = \"organization\"\n+++\nMô tả, xem [trang](javascript:alert(1)).\n",
    )]);
    assert_has(&r, &["huawei.md:5:12", "link to `javascript:alert(1)` refused"]);
    assert_eq!(carets(&r), ["[trang](javascript:alert(1))".len()], "{r}");
}

#[test]
fn reserved_names_are_refused() {
    let r = report(&[
        ("content/entities/con.md", &entity("Con")),
        ("content/articles/nul.md", ARTICLE),
        ("content/articles/aux.txt", "Tiêu đề\nNội dung.\n"),
        ("content/articles/aux.ann", ""),
    ]);
    assert_has(
        &r,
        &[
            "content/entities/con.md",
            "`con` is a reserved file name",
            "content/articles/nul.md",
            "the file name `aux` cannot be a URL slug",
        ],
    );
}

#[test]
fn every_problem_in_one_run_with_a_summary_and_json() {
    let r = with_ann(
        "[[mention]]\nentity = \"x\"\nexact = \"Huawei\"\nall = true\n\n[[mention]]\nentity = \"smic\"\nexact = \"nothing like it\"\n",
    );
    assert_has(&r, &["unknown entity `x`", "`exact` not found", "2 errors, 0 warnings"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("content/articles")).unwrap();
    std::fs::write(dir.path().join("content/articles/a.md"), "+++\ntitle = 1\n+++\n").unwrap();
    let loaded = glossa::load(Path::new(dir.path()), &Default::default());
    let json = loaded.diags.to_json(&loaded.sources);
    let first = &json["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "content/articles/a.md");
    assert_eq!(first["line"], 2);
    assert_eq!(json["errors"], 1);
}

#[test]
fn quote_with_characters_the_card_cannot_draw_is_a_warning() {
    let article = "+++\ntitle = \"T\"\ndate = \"2026-01-01\"\n+++\nHuawei nói: “深度求索 rất mạnh 🙂”.\n";
    let ann = "[[quote]]\nspeaker = \"huawei\"\nexact = \"深度求索 rất mạnh 🙂\"\n";
    let r = report(&[
        ("content/articles/a.md", article),
        ("content/articles/a.annotations.toml", ann),
    ]);
    assert_has(
        &r,
        &[
            "warning",
            "a.annotations.toml:3:9",
            "the quote's share image cannot draw 深 (U+6DF1), 度 (U+5EA6), 求 (U+6C42), 索 (U+7D22), 🙂 (U+1F642)",
            "quote a translation or transliteration",
        ],
    );
    assert!(r.contains("0 errors, 1 warning"), "a warning only:\n{r}");
    // Vietnamese, typographic quotes and dashes draw: no warning.
    let clean = with_ann("[[quote]]\nspeaker = \"smic\"\nexact = \"SMIC mở rộng.\"\n");
    assert!(!clean.contains("cannot draw"), "{clean}");
}

/// `check --format json` for the catalogue's site with `files` added.
fn report_json(files: &[(&str, &str)]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<(String, String)> = vec![
        ("content/articles/a.md".into(), ARTICLE.into()),
        ("content/entities/huawei.md".into(), entity("Huawei")),
    ];
    all.extend(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    for (p, t) in &all {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    let loaded = glossa::load(dir.path(), &Default::default());
    loaded.diags.to_json(&loaded.sources)
}

/// The messages and byte spans of a JSON report.
fn messages_and_spans(json: &serde_json::Value) -> Vec<(String, [u64; 2])> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let span = [d["span"][0].as_u64().unwrap(), d["span"][1].as_u64().unwrap()];
            (d["message"].as_str().unwrap().to_string(), span)
        })
        .collect()
}

/// A JSON-LD annotation file (`SLUG.annotations.jsonld`, the W3C Web
/// Annotation format `export` writes): a collection, a bare annotation or
/// an empty collection are read; each problem is at its place.
#[test]
fn jsonld_annotation_files() {
    const FILE: &str = "content/articles/a.annotations.jsonld";
    let mention = |body: &str| {
        format!(
            "{{\"type\": \"Annotation\", \"motivation\": \"identifying\", \"body\": \"{body}\",\n \
             \"target\": {{\"source\": \"https://example.org/articles/a/\", \
             \"selector\": {{\"type\": \"TextQuoteSelector\", \"exact\": \"hợp tác với\"}}}}}}"
        )
    };
    let check = |text: &str| messages_and_spans(&report_json(&[(FILE, text)]));
    // a bare annotation is read (its unknown entity is reported)
    let found = check(&mention("https://example.org/entities/huawey/"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.contains("unknown entity `huawey`"), "{found:?}");
    // empty collections, their type a string or a list
    for ty in ["\"AnnotationCollection\"", "[\"AnnotationCollection\"]"] {
        assert_eq!(check(&format!("{{\"type\": {ty}, \"total\": 0}}")), []);
    }
    // a body that is not one entity's URL, at the item's "exact"
    let text = format!(
        "{{\"items\": [\n{},\n{}\n]}}",
        mention("https://example.org/entities/huawei/"),
        mention("https://example.org/entities/huawei/extra/")
    );
    let second = text.rfind("\"exact\"").unwrap() as u64;
    assert_eq!(
        check(&text),
        [(
            "a mention whose body is not an entity URL".to_string(),
            [second, second + 7]
        )]
    );
    // a first page only referred to
    let text = "{\"type\": \"AnnotationCollection\",\n \"first\": \"https://example.org/p1\"}";
    let at = text.find("\"first\"").unwrap() as u64;
    assert_eq!(
        check(text),
        [("the collection's first page is not embedded".to_string(), [at, at + 7])]
    );
    // not JSON: where it stops being JSON, on its third line
    let text = "{\"items\": [\n  {\"type\": \"Annotation\"},\n  {\"type\": \"Annotation\",}\n]}";
    let found = check(text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.starts_with("invalid JSON"), "{found:?}");
    let comma = text.rfind(",}").unwrap() as u64 + 1;
    assert_eq!(found[0].1, [comma, comma], "{found:?}");
}

/// A date that is not one is reported at its value, in TOML and YAML.
#[test]
fn a_bad_date_is_at_its_value() {
    for text in [
        "+++\ntitle = \"T\"\ndate = \"hôm qua\"\n+++\nx\n",
        "---\ntitle: T\ndate: hôm qua\n---\nx\n",
    ] {
        let found = messages_and_spans(&report_json(&[("content/articles/a.md", text)]));
        let at = text.find("hôm qua").unwrap() as u64;
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].0.contains("`hôm qua` is not a date"), "{found:?}");
        assert_eq!(found[0].1, [at, at + "hôm qua".len() as u64], "{text}");
    }
}

/// An entity's `url` must be an http(s) address with somewhere to go: a
/// scheme alone is refused at its value, a real address is kept.
#[test]
fn an_entity_url_needs_more_than_a_scheme() {
    for (url, refused) in [
        ("https://", true),
        ("HTTP://", true),
        ("javascript:alert(1)", true),
        ("https://x", false),
    ] {
        let text = format!("+++\nname = \"Huawei\"\nkind = \"organization\"\nurl = \"{url}\"\n+++\nx\n");
        let found = messages_and_spans(&report_json(&[("content/entities/huawei.md", &text)]));
        if refused {
            let at = text.find(url).unwrap() as u64;
            let message = format!("`url` must be an http(s) address, not `{url}`");
            assert_eq!(found, [(message, [at, at + url.len() as u64])]);
        } else {
            assert_eq!(found, []);
        }
    }
}

/// A link in an article's body to a scheme that could run code is refused
/// at the link itself, counted from the top of the file.
#[test]
fn unsafe_link_in_an_article_body() {
    let text = "+++\ntitle = \"T\"\ndate = \"2026-01-01\"\n+++\nĐầu.\n\nXem [đây](javascript:alert(1)).\n";
    let found = messages_and_spans(&report_json(&[("content/articles/a.md", text)]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].0.starts_with("link to `javascript:alert(1)` refused"),
        "{found:?}"
    );
    let [s, e] = found[0].1;
    assert_eq!(&text[s as usize..e as usize], "[đây](javascript:alert(1))");
}

/// A relation's keys are checked like the entity's own: a misspelt one is
/// an error with the nearest key.
#[test]
fn relation_with_a_misspelt_key() {
    let r = report(&[(
        "content/entities/huawei.md",
        "+++\nname = \"Huawei\"\nkind = \"organization\"\nrelations = [{ type = \"parent_of\", targte = \"smic\" }]\n+++\n",
    )]);
    assert_has(&r, &["huawei.md:4:", "unknown key `targte`", "did you mean `target`?"]);
}

/// An `exact` no longer in the text is not re-anchored into code, however
/// close the code is: it is reported as not found.
#[test]
fn no_reanchoring_into_code() {
    let article = "+++\ntitle = \"T\"\ndate = \"2026-01-01\"\n+++\nĐoạn một.\n\nMã `Huawei hợp tác với SMIC` ở đây.\n";
    let r = report(&[
        ("content/articles/a.md", article),
        (
            "content/articles/a.annotations.toml",
            "[[mention]]\nentity = \"huawei\"\nexact = \"Huawei hợp tác với SMIX\"\n",
        ),
    ]);
    assert_has(&r, &["`exact` not found", "1 error"]);
    assert!(!r.contains("re-anchored"), "{r}");
}

/// A template Tera 2 cannot read is an error at its file, line and column as written (the
/// indentation glossa takes off each line counted back in); a Tera 1 filter Tera 2 lacks gets
/// a hint saying what to write instead; a template written for Tera 1 loads as it is.
#[test]
fn template_errors_point_at_the_line_written() {
    let page =
        |block: &str| format!("{{% extends \"base.html\" %}}\n{{% block content %}}{block}{{% endblock content %}}\n");
    let cases: [(String, &[&str]); 4] = [
        // column 24 of the line as written: the indentation glossa strips is counted back in
        (
            page("\n    <p>{{ page.title | nope_filter }}</p>\n"),
            &[
                "templates/404.html:3:24",
                "Unknown filter `nope_filter`",
                "{{ page.title | nope_filter }}",
            ],
        ),
        (
            page("{{ page | json_encode }}"),
            &[
                "templates/404.html:2:",
                "`json_encode` is a Tera 1 filter that Tera 2 does not have",
            ],
        ),
        (page("\n{% if %}\n"), &["templates/404.html:3:", "template error"]),
        // a macro called where the rewrite does not reach: the line, and how components are called
        (
            page("{% set x = m::tag_links(tags=[]) %}"),
            &["templates/404.html:2:", "macros are components in Tera 2"],
        ),
    ];
    for (template, needles) in &cases {
        assert_has(&report(&[("templates/404.html", template)]), needles);
    }
    let tera1 = "{% extends \"base.html\" %}\n{% import \"macros.html\" as m %}\n{% block content %}{{ m::tag_links(tags=[], own=false) }}{{ page.title | trim_end_matches(pat=\"x\") }}{% endblock content %}\n";
    let r = report(&[("templates/404.html", tera1)]);
    assert!(r.contains("0 errors") && !r.contains("template error"), "{r}");
}
