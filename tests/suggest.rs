//! `glossa suggest` on a small site with known gaps: a name whose entity
//! opted out of autolinking, names in a heading, an article with autolink
//! off, quotes without annotations (with and without a speaker in the
//! sentence), and capitalised names that match no entity. Checked in the
//! JSON the binary prints, and in its human output.

mod common;

use std::path::Path;

use common::write;
use std::process::Command;

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Thử suggest\"\n");
    write(
        r,
        "content/entities/chan.md",
        "+++\nname = \"Chan\"\nkind = \"person\"\naliases = [\"ông Chan\"]\n+++\nNhà nghiên cứu.\n",
    );
    write(
        r,
        "content/entities/bidv.md",
        "+++\nname = \"BIDV\"\nkind = \"organization\"\nautolink = false\n+++\nNgân hàng.\n",
    );
    write(
        r,
        "content/entities/ha-noi.md",
        "+++\nname = \"Hà Nội\"\nkind = \"place\"\n+++\nThủ đô.\n",
    );
    write(
        r,
        "content/articles/bai.md",
        "+++\ntitle = \"Bài\"\ndate = \"2026-11-20\"\n+++\n\
         ## Hà Nội hôm nay\n\n\
         BIDV và BIDV mở chi nhánh. Ông Chan nói: “Đây là một bước lớn.” Rồi Lương Cường đến Hà Nội.\n\n\
         “Không ai biết trước.” Ông Phạm Minh Chính và Lương Cường gặp nhau. Câu “đã được chú thích” thì không.\n",
    );
    write(
        r,
        "content/articles/bai.annotations.toml",
        "[[quote]]\nspeaker = \"chan\"\nexact = \"“đã được chú thích”\"\n",
    );
    write(
        r,
        "content/articles/tat.md",
        "+++\ntitle = \"Tắt\"\ndate = \"2026-11-21\"\nautolink = \"none\"\n+++\nHà Nội mùa thu.\n",
    );
    dir
}

fn suggest(root: &Path, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_glossa"))
        .args(["--root", root.to_str().unwrap(), "suggest", "--format", format])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn reports_unlinked_names_unannotated_quotes_and_new_names() {
    let s = site();
    let v: serde_json::Value = serde_json::from_str(&suggest(s.path(), "json")).unwrap();
    let articles = v["articles"].as_array().unwrap();
    let bai = articles
        .iter()
        .find(|a| a["path"] == "content/articles/bai.md")
        .unwrap();

    let unlinked: Vec<(String, String, u64)> = bai["unlinked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["entity"].as_str().unwrap().into(),
                u["text"].as_str().unwrap().into(),
                u["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(unlinked.contains(&("bidv".into(), "BIDV".into(), 2)), "{unlinked:?}");
    // the heading's "Hà Nội" is not linked; the one in the text is
    assert!(
        unlinked.contains(&("ha-noi".into(), "Hà Nội".into(), 1)),
        "{unlinked:?}"
    );
    let why = bai["unlinked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["entity"] == "bidv")
        .unwrap();
    assert!(why["why"].as_str().unwrap().contains("autolink = false"));

    let quotes: Vec<(String, Option<String>)> = bai["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["text"].as_str().unwrap().into(),
                q["speaker"].as_str().map(String::from),
            )
        })
        .collect();
    assert_eq!(
        quotes,
        vec![
            ("Đây là một bước lớn.".to_string(), Some("chan".to_string())),
            ("Không ai biết trước.".to_string(), None),
        ],
        "the annotated quote is not reported"
    );

    let names: Vec<(String, u64)> = bai["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().into(), c["count"].as_u64().unwrap()))
        .collect();
    assert!(names.contains(&("Lương Cường".into(), 2)), "{names:?}");
    assert!(names.contains(&("Phạm Minh Chính".into(), 1)), "{names:?}");
    assert!(
        !names.iter().any(|(n, _)| n.contains("Hà Nội") || n.contains("Chan")),
        "{names:?}"
    );

    let tat = articles
        .iter()
        .find(|a| a["path"] == "content/articles/tat.md")
        .unwrap();
    assert_eq!(tat["unlinked"][0]["entity"], "ha-noi");
    assert!(tat["unlinked"][0]["why"].as_str().unwrap().contains("none"));

    let human = suggest(s.path(), "human");
    assert!(human.contains("content/articles/bai.md"), "{human}");
    assert!(human.contains("«BIDV» ×2 → bidv"), "{human}");
    assert!(human.contains("speaker? chan"), "{human}");
    assert!(human.contains("Lương Cường ×2"), "{human}");
    assert!(human.lines().last().unwrap().starts_with("2 articles:"), "{human}");
}

/// The names `suggest` proposes from an article made of `body`, with a
/// site holding one entity, Samsung Electronics.
fn candidates_of(body: &str) -> Vec<(String, u64)> {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Tên\"\n");
    write(
        r,
        "content/entities/samsung.md",
        "+++\nname = \"Samsung Electronics\"\nkind = \"organization\"\n+++\nHãng điện tử.\n",
    );
    write(
        r,
        "content/articles/ten.md",
        &format!("+++\ntitle = \"Tên\"\ndate = \"2026-11-22\"\n+++\n{body}"),
    );
    let v: serde_json::Value = serde_json::from_str(&suggest(r, "json")).unwrap();
    v["articles"][0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().into(), c["count"].as_u64().unwrap()))
        .collect()
}

/// A sentence's first word is capitalised anyway: it starts a candidate
/// only when it is a name word (a Vietnamese family, middle or given name,
/// or a word of an entity's name), never an ordinary word or a title.
#[test]
fn a_name_that_opens_a_sentence_keeps_its_first_syllable() {
    let body = "Lương Cường đến Hà Nội hôm qua.\n\n\
                Rồi Lương Cường phát biểu.\n\n\
                Hôm đó, Trần Thanh Mẫn cũng có mặt. Nguyễn Văn An ra về sớm.\n\n\
                Theo Reuters, cuộc họp kéo dài. Tuy nhiên không ai nói gì.\n\n\
                Bà Nguyễn Thị Lan nói thêm: Minh Anh kể lại. Thuý Hằng cười.\n\n\
                “Xong rồi.” Đặng Văn Lâm nói. Samsung Display ra mắt.\n";
    let mut got = candidates_of(body);
    got.sort();
    let mut want: Vec<(String, u64)> = [
        ("Lương Cường", 2),
        ("Trần Thanh Mẫn", 1),
        ("Nguyễn Văn An", 1),
        ("Nguyễn Thị Lan", 1),
        ("Minh Anh", 1),
        // the list spells it "thúy": the tone mark on either vowel matches
        ("Thuý Hằng", 1),
        ("Đặng Văn Lâm", 1),
        // a word of an entity's name
        ("Samsung Display", 1),
        // not at a sentence start, and no entity on this site
        ("Hà Nội", 1),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .collect();
    want.sort();
    assert_eq!(got, want);
}

/// A capitalised ordinary word alone at the start of a sentence, or before
/// one other capitalised word, proposes nothing.
#[test]
fn an_ordinary_word_that_opens_a_sentence_is_no_candidate() {
    for body in [
        "Trong phòng họp không có ai.\n",
        "Theo Reuters, giá tăng.\n",
        "Tuy Vậy vẫn chưa xong.\n",
        "Rồi Chan đến.\n",
        "Ông Chan nói.\n",
    ] {
        assert_eq!(candidates_of(body), vec![], "{body}");
    }
}
