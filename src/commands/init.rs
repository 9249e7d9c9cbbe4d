//! `glossa init DIR`: scaffolds a site that builds at once — config, one
//! annotated article, two entities, and (optionally) copies of the default
//! templates to edit. Never overwrites an existing file.
//!
//! On top of the pipeline: the commands.

use std::io;
use std::path::{Path, PathBuf};

use crate::render::templates::{DEFAULTS, STATIC_DEFAULTS};

const CONFIG: &str = r#"# glossa site configuration — see README.md
title = "Trang của tôi"
description = "Bài viết có chú giải: ai được nhắc đến, ai nói gì, từ ngữ nghĩa là gì."
base_url = "/"
language = "vi"
"#;

const ARTICLE: &str = r#"+++
title = "Bài viết đầu tiên"
date = "2026-01-01"
description = "Một bài viết mẫu có chú giải."
tags = ["Mẫu"]
+++
**Hà Nội** là thủ đô của Việt Nam. Bà Lan, một kiến trúc sư ở Hà Nội, nói: “Thành phố thay đổi mỗi ngày.”

Đoạn văn này có một *chú thích* bên lề.
"#;

const ANNOTATIONS: &str = r#"# Annotations select text as the reader sees it (Markdown syntax removed).
# `exact` must be unique in the article, or say which: `nth = 2`, `all = true`,
# or `prefix` / `suffix` with the text around it.

[[mention]]
entity = "ha-noi"
exact = "Hà Nội"
all = true

[[mention]]
entity = "lan"
exact = "Bà Lan"

[[quote]]
id = "lan-thanh-pho"
speaker = "lan"
exact = "Thành phố thay đổi mỗi ngày."

[[note]]
exact = "chú thích"
body = "Chú thích hiện bên lề trên màn hình rộng, và ở chân trang khi in."
"#;

const ENTITY_HA_NOI: &str = r#"+++
name = "Hà Nội"
kind = "place"
aliases = ["Hanoi", "Thủ đô"]
wikidata = "Q1858"
+++
Thủ đô của Việt Nam.
"#;

const ENTITY_LAN: &str = r#"+++
name = "Lan"
kind = "person"
aliases = ["Bà Lan"]
relations = [{ type = "located_in", target = "ha-noi" }]
+++
Một kiến trúc sư (nhân vật mẫu).
"#;

/// Writes the scaffold into `dir` (created if needed). With `templates`,
/// also copies the default templates and static files to edit.
/// Returns the files written; fails if any of them exists already.
pub fn init(dir: &Path, templates: bool) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<(String, &str)> = vec![
        ("glossa.toml".into(), CONFIG),
        ("content/articles/bai-viet-dau-tien.md".into(), ARTICLE),
        (
            "content/articles/bai-viet-dau-tien.annotations.toml".into(),
            ANNOTATIONS,
        ),
        ("content/entities/ha-noi.md".into(), ENTITY_HA_NOI),
        ("content/entities/lan.md".into(), ENTITY_LAN),
    ];
    if templates {
        files.extend(DEFAULTS.iter().map(|(n, t)| (format!("templates/{n}"), *t)));
        files.extend(STATIC_DEFAULTS.iter().map(|(n, t)| (format!("static/{n}"), *t)));
    }
    for (rel, _) in &files {
        if dir.join(rel).exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} already exists; glossa init never overwrites files",
                    dir.join(rel).display()
                ),
            ));
        }
    }
    let mut written = Vec::new();
    for (rel, text) in files {
        let p = dir.join(&rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text)?;
        written.push(PathBuf::from(rel));
    }
    std::fs::create_dir_all(dir.join("static"))?;
    Ok(written)
}
