//! The "bare floor" for benchmarks (issue #6): the least work any generator
//! must do for the articles alone — read every `content/articles/*.md`,
//! split the `+++` TOML front matter (toml crate), render the Markdown with
//! pulldown-cmark, render one Tera template, write `articles/SLUG/index.html`
//! — on every core with rayon. No annotations, entities, lists or feeds.
//!
//! ```text
//! cargo run --release --example bare_floor -- SITE_ROOT OUTPUT_DIR
//! cargo run --release --example bare_floor -- SITE_ROOT -    # all but the writing
//! ```
//!
//! With `-` as the output the pages are made and dropped: what is left of
//! the floor without its writes. `bench/run` adds that to the time it takes
//! to write glossa's whole output (`output_floor`) for a lower bound of any
//! build that reads these articles and writes that output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use pulldown_cmark::{Options, Parser, html};
use rayon::prelude::*;
use serde::Deserialize;

const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ site_title }}</title>
{% if description %}<meta name="description" content="{{ description }}">{% endif %}
</head>
<body>
<header><a href="/">{{ site_title }}</a></header>
<main>
<article>
<h1>{{ title }}</h1>
<p><time datetime="{{ date }}">{{ date }}</time>{% for a in authors %} · {{ a }}{% endfor %}</p>
{% if tags %}<ul class="tags">{% for t in tags %}<li>{{ t }}</li>{% endfor %}</ul>{% endif %}
{{ content | safe }}
</article>
</main>
</body>
</html>
"#;

#[derive(Deserialize)]
struct Front {
    title: String,
    date: toml::Value,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// `(front matter, body)` of a `+++`-delimited file.
fn split(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++\n")?;
    let end = rest.find("\n+++")?;
    let body = &rest[end + 4..];
    Some((&rest[..end], body.strip_prefix('\n').unwrap_or(body)))
}

fn page(path: &Path, out: Option<&Path>, tera: &tera::Tera) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = fs::read_to_string(path).map_err(|e| err(&e))?;
    let (front, body) = split(&text).ok_or_else(|| err(&"no +++ front matter"))?;
    let front: Front = toml::from_str(front).map_err(|e| err(&e))?;
    let mut content = String::with_capacity(body.len() * 3 / 2);
    html::push_html(
        &mut content,
        Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
    );
    let mut ctx = tera::Context::new();
    ctx.insert("site_title", "glossa bench");
    ctx.insert("title", &front.title);
    ctx.insert("date", &front.date.to_string().trim_matches('"'));
    ctx.insert("description", &front.description);
    ctx.insert("authors", &front.authors);
    ctx.insert("tags", &front.tags);
    ctx.insert("content", &content);
    let html = tera.render("page.html", &ctx).map_err(|e| err(&e))?;
    let Some(out) = out else {
        std::hint::black_box(html);
        return Ok(());
    };
    let slug = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = out.join("articles").join(slug);
    fs::create_dir_all(&dir).map_err(|e| err(&e))?;
    fs::write(dir.join("index.html"), html).map_err(|e| err(&e))
}

fn run() -> Result<usize, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, out] = args.as_slice() else {
        return Err("usage: bare_floor SITE_ROOT OUTPUT_DIR|-".into());
    };
    let src = Path::new(root).join("content/articles");
    let files: Vec<PathBuf> = fs::read_dir(&src)
        .map_err(|e| format!("{}: {e}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    let mut tera = tera::Tera::default();
    tera.add_raw_template("page.html", TEMPLATE)
        .map_err(|e| e.to_string())?;
    let out = (out != "-").then(|| Path::new(out));
    files.par_iter().try_for_each(|p| page(p, out, &tera))?;
    Ok(files.len())
}

fn main() -> ExitCode {
    let t0 = Instant::now();
    match run() {
        Ok(n) => {
            eprintln!("bare_floor: {n} pages in {:.3} s", t0.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bare_floor: {e}");
            ExitCode::FAILURE
        }
    }
}
