//! brat standoff import: a `SLUG.txt` + `SLUG.ann` pair (written here, with
//! Vietnamese text so code points and bytes differ) is an article; every
//! line type glossa reads — T (contiguous and discontinuous), N (to a site
//! entity and to Wikidata), # notes, R relations — shows up in the built
//! site, and bad lines get diagnostics at their line.

mod common;

use common::{build, sel, write};

/// Code-point offsets of the `nth` (1-based) occurrence of `needle`.
fn cp(txt: &str, needle: &str, nth: usize) -> (usize, usize) {
    let at = txt.match_indices(needle).nth(nth - 1).unwrap().0;
    let start = txt[..at].chars().count();
    (start, start + needle.chars().count())
}

const TXT: &str = "Hà Nội và Huawei\nÔng Nguyễn Văn A làm việc tại Huawei ở Hà Nội.\n\nTrung và Quốc là hai chữ.\n";

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Thử brat\"\nautolink = \"none\"\n");
    write(
        r,
        "content/entities/huawei.md",
        "+++\nname = \"Huawei\"\nkind = \"organization\"\n+++\nHãng công nghệ.\n",
    );
    write(r, "content/brat.toml", "[types]\nLocation = \"place\"\n");
    write(r, "content/articles/tin-brat.txt", TXT);
    write(
        r,
        "content/articles/tin-brat.toml",
        "date = \"2026-11-28\"\ntags = [\"brat\"]\n",
    );
    let (h1, h2) = cp(TXT, "Hà Nội", 1);
    let (w1, w2) = cp(TXT, "Huawei", 2);
    let (n1, n2) = cp(TXT, "Nguyễn Văn A", 1);
    let (t1, t2) = cp(TXT, "Trung", 1);
    let (q1, q2) = cp(TXT, "Quốc", 1);
    let ann = format!(
        "T1\tLocation {h1} {h2}\tHà Nội\n\
         T2\tOrganization {w1} {w2}\tHuawei\n\
         T3\tPerson {n1} {n2}\tNguyễn Văn A\n\
         T4\tLocation {t1} {t2};{q1} {q2}\tTrung Quốc\n\
         N1\tReference T2 glossa:huawei\tHuawei\n\
         N2\tReference T3 Wikidata:Q1\tNguyễn Văn A\n\
         #1\tAnnotatorNotes T1\tThủ đô của Việt Nam\n\
         R1\tWorks_at Arg1:T3 Arg2:T2\n\
         R2\tLocated_in Arg1:T2 Arg2:T1\n\
         E1\tTravel:T3\n"
    );
    write(r, "content/articles/tin-brat.ann", &ann);
    dir
}

#[test]
fn every_line_type_reaches_the_site() {
    let s = site();
    let b = build(s.path());
    let page = b.html("articles/tin-brat/index.html");
    // title from the first line, the text unchanged
    assert_eq!(
        page.select(&sel("h1"))
            .next()
            .unwrap()
            .text()
            .collect::<String>()
            .trim(),
        "Hà Nội và Huawei"
    );
    let mentions: Vec<(String, String)> = page
        .select(&sel(".article-body .mention"))
        .filter(|e| e.value().attr("id").is_some())
        .map(|e| (e.text().collect(), e.value().attr("data-entity").unwrap().to_string()))
        .collect();
    let want = [
        ("Hà Nội", "ha-noi"),
        ("Nguyễn Văn A", "nguyen-van-a"),
        ("Huawei", "huawei"),
        ("Trung", "trung-quoc"),
        ("Quốc", "trung-quoc"),
    ];
    assert_eq!(
        mentions,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>(),
        "T lines (the discontinuous one as two mentions)"
    );
    let note = page.select(&sel(".sidenote")).next().expect("the # line's note");
    assert_eq!(note.text().collect::<String>().trim(), "Thủ đô của Việt Nam");

    // entities created per (type, text), kinds from brat.toml and the type
    let person = b.text("entities/nguyen-van-a/index.html");
    assert!(person.contains("https://www.wikidata.org/wiki/Q1"), "N → Wikidata");
    assert!(b.text("entities/ha-noi/index.html").contains("\"@type\":\"Place\""));
    // R → a relation, shown on both ends with its label: from an entity
    // the .ann defines (R1) and from a site entity (R2, recorded on the
    // entity of content/entities/).
    let relations = |rel: &str| -> Vec<(String, String)> {
        b.html(rel)
            .select(&sel(".entity-relations .relation-list li"))
            .map(|li| {
                let label = li.select(&sel(".relation-label")).next().unwrap();
                let chip = li.select(&sel("a.entity-chip")).next().unwrap();
                (
                    label.text().collect::<String>(),
                    chip.value().attr("href").unwrap().to_string(),
                )
            })
            .collect()
    };
    let pair = |l: &str, h: &str| (l.to_string(), h.to_string());
    assert_eq!(
        relations("entities/nguyen-van-a/index.html"),
        vec![pair("works at", "/entities/huawei/")]
    );
    assert_eq!(
        relations("entities/huawei/index.html"),
        vec![
            pair("Trụ sở / vị trí tại", "/entities/ha-noi/"),
            pair("← works at", "/entities/nguyen-van-a/"),
        ]
    );
    assert_eq!(
        relations("entities/ha-noi/index.html"),
        vec![pair("Nơi có", "/entities/huawei/")]
    );
}

#[test]
fn bad_lines_get_diagnostics_at_their_line() {
    let s = site();
    let r = s.path();
    write(
        r,
        "content/articles/tin-brat.ann",
        "T1\tLocation 0 x\tHà\nR1\tRel Arg1:T9 Arg2:T1\nT2\tLocation 0 6\tHà Nội\n",
    );
    let report = glossa::check(r, &glossa::BuildOptions::default(), false);
    let text = report.diags.render(&report.sources, false);
    assert!(report.diags.has_errors());
    assert!(text.contains("tin-brat.ann:1:1"), "{text}");
    assert!(text.contains("cannot read the type and offsets"), "{text}");
    assert!(text.contains("tin-brat.ann:2:1"), "{text}");
    assert!(text.contains("not a T line here"), "{text}");
    // the whole line underlined (its tab shown as two spaces), nothing more
    let under = format!("  │ {}\n", "^".repeat("R1  Rel Arg1:T9 Arg2:T1".len()));
    assert!(text.contains(&under), "{text}");
}

/// What `glossa check` says of a site, and the kind of the entity loaded
/// for Hà Nội (T1, a `Location`) with the article's title, if loaded.
fn loaded(r: &std::path::Path) -> (String, Option<glossa::content::EntityKind>, Option<String>) {
    let l = glossa::load(r, &glossa::BuildOptions::default());
    let text = l.diags.render(&l.sources, false);
    let kind = l
        .site
        .entities
        .iter()
        .find(|e| e.src.name == "Hà Nội")
        .map(|e| e.src.kind);
    let title = l
        .site
        .articles
        .iter()
        .find(|a| a.src.slug == "tin-brat")
        .map(|a| a.src.title.clone());
    (text, kind, title)
}

/// `content/brat.toml`'s problems are errors at their place, and a file
/// with a problem counts as empty: its `[types]` and `[defaults]` are not
/// applied (a type's kind then comes from its usual name).
#[test]
fn brat_toml_with_a_problem_is_reported_and_not_applied() {
    use glossa::content::EntityKind;
    let s = site();
    let r = s.path();
    let (text, kind, _) = loaded(r);
    assert!(text.contains("0 errors"), "{text}");
    assert_eq!(kind, Some(EntityKind::Place));
    let types = "[types]\nLocation = \"person\"\n";
    write(r, "content/brat.toml", types);
    assert_eq!(loaded(r).1, Some(EntityKind::Person), "[types] applied");
    // an unknown table
    write(r, "content/brat.toml", &format!("{types}\n[typez]\nX = \"place\"\n"));
    let (text, kind, _) = loaded(r);
    assert!(text.contains("brat.toml:4:2"), "{text}");
    assert!(text.contains("`typez`"), "{text}");
    assert_eq!(kind, Some(EntityKind::Place), "{text}");
    // a key [defaults] may not give (a title is an article's own)
    write(
        r,
        "content/brat.toml",
        &format!("{types}\n[defaults]\ntitle = \"Chung\"\n"),
    );
    let (text, kind, title) = loaded(r);
    assert!(text.contains("brat.toml:5:1"), "{text}");
    assert_eq!(kind, Some(EntityKind::Place), "{text}");
    assert_ne!(title.as_deref(), Some("Chung"));
    // a date that is not one, underlined
    write(
        r,
        "content/brat.toml",
        &format!("{types}\n[defaults]\ndate = \"28/11/2026\"\n"),
    );
    let (text, kind, _) = loaded(r);
    assert!(text.contains("brat.toml:5:9"), "{text}");
    assert!(text.contains("`28/11/2026` is not a date"), "{text}");
    assert!(text.contains(&format!("  │         {}\n", "^".repeat(10))), "{text}");
    assert_eq!(kind, Some(EntityKind::Place), "{text}");
}

/// A brat article's `SLUG.toml` with a key no article has, or a date
/// that is not one, is an error at that place, and the article is left out (as a Markdown article with bad
/// front matter is).
#[test]
fn a_brat_article_with_bad_front_matter_is_left_out() {
    let s = site();
    let r = s.path();
    assert_eq!(loaded(r).2.as_deref(), Some("Hà Nội và Huawei"));
    write(
        r,
        "content/articles/tin-brat.toml",
        "date = \"2026-11-28\"\ntitel = \"Tin\"\n",
    );
    let (text, _, title) = loaded(r);
    assert!(text.contains("tin-brat.toml:2:1"), "{text}");
    assert!(text.contains("`titel`"), "{text}");
    assert_eq!(title, None, "{text}");
    write(
        r,
        "content/articles/tin-brat.toml",
        "tags = [\"brat\"]\ndate = \"hôm qua\"\n",
    );
    let (text, _, title) = loaded(r);
    assert!(text.contains("tin-brat.toml:2:9"), "{text}");
    assert!(text.contains("`hôm qua` is not a date"), "{text}");
    assert!(text.contains(&format!("  │         {}\n", "^".repeat(7))), "{text}");
    assert_eq!(title, None, "{text}");
}

/// A normalisation to an entity the site does not have is an error at its
/// `T` line, with the nearest id, also when an `R` line gives that entity
/// a relation (which travels on a placeholder until the site's entity
/// takes it).
#[test]
fn a_normalisation_to_an_unknown_entity_with_a_relation() {
    let s = site();
    let r = s.path();
    let ann = std::fs::read_to_string(r.join("content/articles/tin-brat.ann")).unwrap();
    write(
        r,
        "content/articles/tin-brat.ann",
        &ann.replace("glossa:huawei", "glossa:huawey"),
    );
    let l = glossa::load(r, &glossa::BuildOptions::default());
    let text = l.diags.render(&l.sources, false);
    assert!(text.contains("tin-brat.ann:2:1"), "{text}");
    assert!(text.contains("unknown entity `huawey`"), "{text}");
    assert!(text.contains("did you mean `huawei`?"), "{text}");
    assert!(
        l.site.entities.iter().all(|e| !e.src.name.is_empty()),
        "no entity without a name"
    );
}

/// A line of the `.txt` indented or ending in spaces: the paragraph is its
/// words, and the mentions after it are where their offsets say (the
/// second of two "Huawei" here).
#[test]
fn indented_lines_keep_mentions_in_place() {
    let s = site();
    let r = s.path();
    let txt = "Hà Nội\n   Ông Nguyễn Văn A ở Huawei.  \n\tTrung Quốc và Huawei\t\n";
    write(r, "content/articles/tin-brat.txt", txt);
    let (a, b) = cp(txt, "Huawei", 2);
    let (c, d) = cp(txt, "Trung Quốc", 1);
    write(
        r,
        "content/articles/tin-brat.ann",
        &format!(
            "T1\tOrganization {a} {b}\tHuawei\nN1\tReference T1 glossa:huawei\tHuawei\nT2\tLocation {c} {d}\tTrung Quốc\n"
        ),
    );
    let built = build(r);
    let page = built.html("articles/tin-brat/index.html");
    let paragraphs: Vec<String> = page
        .select(&sel(".article-body p"))
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(
        paragraphs,
        ["Hà Nội", "Ông Nguyễn Văn A ở Huawei.", "Trung Quốc và Huawei"]
    );
    let marked: Vec<String> = page
        .select(&sel(".article-body p:nth-of-type(3) .mention"))
        .map(|m| m.text().collect())
        .collect();
    assert_eq!(marked, ["Trung Quốc", "Huawei"]);
}

/// Offsets and relation arguments that cannot be right are errors at their
/// line: an empty span, a span past the end of the `.txt`, an argument
/// without its `Arg:` label, a discontinuous span with one bad part.
#[test]
fn impossible_offsets_and_arguments_are_errors() {
    let s = site();
    let r = s.path();
    let past = TXT.chars().count() + 1;
    write(
        r,
        "content/articles/tin-brat.ann",
        &format!(
            "T1\tLocation 0 6\tHà Nội\nT2\tLocation 3 3\t\nT3\tLocation 0 {past}\tx\nR1\tIn Arg1T1 Arg2:T1\nR2\tIn Arg1:T1 T1\nT4\tLocation 0 6;9 x\tHà Nội\n"
        ),
    );
    let report = glossa::check(r, &glossa::BuildOptions::default(), false);
    let text = report.diags.render(&report.sources, false);
    for (line, what) in [
        (2, "`T2`: cannot read the type and offsets `Location 3 3`"),
        (3, "`T3`: cannot read the type and offsets"),
        (4, "`R1`: cannot read the relation"),
        (5, "`R2`: cannot read the relation"),
        (6, "`T4`: cannot read the type and offsets `Location 0 6;9 x`"),
    ] {
        let at = format!("tin-brat.ann:{line}:1");
        let i = text.find(&at).unwrap_or_else(|| panic!("no {at} in {text}"));
        let before = &text[..i];
        let message = before.rsplit("error: ").next().unwrap();
        assert!(message.starts_with(what), "line {line}: {message}");
    }
    assert!(text.contains("5 errors"), "{text}");
}

/// The same words annotated with types of one kind are one entity; with a
/// type of another kind they are another entity, its id told apart by its
/// type ("Hà Nội" the city and "Hà Nội" the football club).
#[test]
fn one_text_of_two_kinds_is_two_entities() {
    let s = site();
    let r = s.path();
    write(r, "content/brat.toml", "");
    let (a, b) = cp(TXT, "Hà Nội", 1);
    let (c, d) = cp(TXT, "Hà Nội", 2);
    write(
        r,
        "content/articles/tin-brat.ann",
        &format!("T1\tLocation {a} {b}\tHà Nội\nT2\tGPE {c} {d}\tHà Nội\nT3\tOrganization {a} {b}\tHà Nội\n"),
    );
    let l = glossa::load(r, &glossa::BuildOptions::default());
    assert!(!l.diags.has_errors(), "{}", l.diags.render(&l.sources, false));
    let mut found: Vec<(String, &str)> = l
        .site
        .entities
        .iter()
        .filter(|e| e.src.name == "Hà Nội")
        .map(|e| (e.src.id.clone(), e.src.kind.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("ha-noi".to_string(), "place"),
            ("ha-noi-organization".to_string(), "organization")
        ]
    );
}

/// An entity a brat corpus makes is autolinked like one of
/// `content/entities/`: another article naming it links to its page.
#[test]
fn a_brat_entity_is_autolinked_elsewhere() {
    let s = site();
    let r = s.path();
    write(r, "glossa.toml", "title = \"Thử brat\"\n");
    write(
        r,
        "content/articles/khac.md",
        "+++\ntitle = \"Khác\"\ndate = \"2026-11-29\"\n+++\nHôm nay Nguyễn Văn A đến.\n",
    );
    let built = build(r);
    let page = built.html("articles/khac/index.html");
    let links: Vec<String> = page
        .select(&sel(".article-body a.mention"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(links.iter().any(|h| h.ends_with("entities/nguyen-van-a/")), "{links:?}");
}
