//! glossa's templates rendered by Tera 1.20 and by Tera 2.4 on the contexts a
//! glossa build wrote out (`GLOSSA_DUMP_CONTEXTS`): the pages compared byte for
//! byte, then each page kind timed with both. Usage (see `bench/tera2/run`):
//!
//! ```text
//! tera2-bench TEMPLATES CONTEXTS ROUNDS json|straight
//! ```
//!
//! The templates are ported to 2.4 as they are read (`port`): 2.x has
//! components instead of macros, found by name in every template.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use regex::{Captures, Regex};

/// glossa's escaper (the five characters that matter), for both engines.
fn escape_into(s: &str, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        let r: &[u8] = match c {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#39;",
            _ => continue,
        };
        w.write_all(&b[run..i])?;
        w.write_all(r)?;
        run = i + 1;
    }
    w.write_all(&b[run..])
}

fn escape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 8);
    escape_into(s, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("escaping keeps UTF-8")
}

/// A template without the indentation at the start of its lines, as glossa
/// reads it (`render/templates.rs`, `unindent`; none has `<pre>`).
fn unindent(t: &str) -> String {
    t.split_inclusive('\n')
        .map(|l| l.trim_start_matches([' ', '\t']))
        .collect()
}

/// A Tera 1.20 template as Tera 2.4 takes it: `{% import "x" as m %}` lines
/// dropped; `{% macro name(…) %}` made `{% component name(…) %}`, a default of
/// `false` made `none` (2.x takes a default's type for the argument's, and
/// `t=false` is given a map); `endmacro` made `endcomponent`; a call
/// `{{ m::name(a=b, c=d) }}` (or `self::`) made `{{ <name a={b} c={d} /> }}`;
/// `trim_end_matches`/`trim_start_matches` made `trim_end`/`trim_start`.
fn port(t: &str) -> String {
    let import = Regex::new(r#"\{%-?\s*import\s+"[^"]+"\s+as\s+\w+\s*-?%\}\n?"#).unwrap();
    let def = Regex::new(r"\{%(-?)\s*macro\s+(\w+)\(([^)]*)\)").unwrap();
    let call = Regex::new(r"\{\{(-?)\s*\w+::(\w+)\(([^)]*)\)\s*(-?)\}\}").unwrap();
    let t = import.replace_all(t, "");
    let t = def.replace_all(&t, |c: &Captures| {
        let args = c[3].replace("=false", "=none");
        format!("{{%{} component {}({args})", &c[1], &c[2])
    });
    let t = t.replace("endmacro", "endcomponent");
    let t = call.replace_all(&t, |c: &Captures| {
        let args: Vec<String> = split_args(&c[3])
            .iter()
            .map(|a| {
                let (k, v) = a.split_once('=').expect("a keyword argument");
                format!("{}={{{}}}", k.trim(), v.trim())
            })
            .collect();
        format!("{{{{{} <{} {} /> {}}}}}", &c[1], &c[2], args.join(" "), &c[4])
    });
    t.replace("trim_end_matches(", "trim_end(")
        .replace("trim_start_matches(", "trim_start(")
}

/// `a=b, c=f(x, y)` → `["a=b", "c=f(x, y)"]`.
fn split_args(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut from) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    if !s[from..].trim().is_empty() {
        out.push(&s[from..]);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, templates, contexts, rounds, conversion] = &args[..] else {
        eprintln!("usage: tera2-bench TEMPLATES CONTEXTS ROUNDS json|straight");
        std::process::exit(2);
    };
    let rounds: usize = rounds.parse().expect("ROUNDS: a number");
    let straight = conversion == "straight";
    let mut sources: Vec<(String, String)> = std::fs::read_dir(templates)
        .expect("TEMPLATES: a folder")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("a template");
            (e.file_name().to_string_lossy().into_owned(), unindent(&text))
        })
        .collect();
    sources.sort();
    let mut t1 = tera1::Tera::default();
    t1.autoescape_on(vec![".html", ".htm", ".xml"]);
    t1.set_escape_fn(escape);
    t1.add_raw_templates(sources.clone())
        .expect("Tera 1.20 takes glossa's templates");
    let mut t2 = tera2::Tera::new();
    t2.autoescape_on(vec![".html", ".htm", ".xml"]);
    t2.set_escape_fn(escape_into);
    let ported: Vec<(String, String)> = sources.iter().map(|(n, t)| (n.clone(), port(t))).collect();
    if let Err(e) = t2.add_raw_templates(ported) {
        eprintln!("Tera 2.4 refuses the ported templates: {e:?}");
        std::process::exit(1);
    }
    let by_template = read_contexts(Path::new(contexts));
    let mut differ = 0;
    for (template, views) in &by_template {
        for view in views {
            let one = t1.render(template, &tera1::Context::from_value(view.clone()).unwrap());
            let two = t2.render(template, &tera2::Context::from_serialize(view).unwrap());
            match (one, two) {
                (Ok(a), Ok(b)) if a == b => {}
                (a, b) => {
                    differ += 1;
                    if differ == 1 {
                        eprintln!(
                            "{template}: 1.20 {:?}\n2.4 {:?}",
                            a.map(|s| s.len()),
                            b.map(|s| s.len())
                        );
                    }
                }
            }
        }
    }
    let pages: usize = by_template.values().map(Vec::len).sum();
    println!(
        "{pages} pages of {} kinds: {} the same bytes, {differ} not",
        by_template.len(),
        pages - differ
    );
    println!();
    println!("| template (pages) | 1.20 | 2.4 | ratio (each round) |");
    println!("|---|---|---|---|");
    for (template, views) in &by_template {
        let (mut one, mut two) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (d1, d2) = time(&t1, &t2, template, views, straight);
            one.push(d1);
            two.push(d2);
        }
        let median = |v: &[Duration]| {
            let mut v = v.to_vec();
            v.sort();
            v[v.len() / 2].as_secs_f64() * 1e3
        };
        let ratios: Vec<f64> = one
            .iter()
            .zip(&two)
            .map(|(a, b)| b.as_secs_f64() / a.as_secs_f64())
            .collect();
        let (lo, hi) = ratios.iter().fold((f64::MAX, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
        println!(
            "| {template} ({}) | {:.1} ms | {:.1} ms | {:.2} ({lo:.2}–{hi:.2}) |",
            views.len(),
            median(&one),
            median(&two),
            median(&two) / median(&one)
        );
    }
}

/// The contexts of `dir` (`TEMPLATE.HASH.json`) by template.
fn read_contexts(dir: &Path) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut by: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("CONTEXTS: a folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(template) = name.rsplitn(3, '.').nth(2) else {
            continue;
        };
        let view = serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("a JSON context");
        by.entry(template.to_string()).or_default().push(view);
    }
    by
}

/// One round of `template`: every view rendered by both engines, which goes
/// first alternating from one view to the next, the context conversion
/// counted. For 1.20, the JSON view becomes the context, as in glossa (whose
/// views are made as JSON: `to_value` stands for that); for 2.4 either that
/// JSON is converted again (`straight` false: glossa hashes the JSON to know
/// whether a page changed) or the view is converted once.
fn time(
    t1: &tera1::Tera,
    t2: &tera2::Tera,
    template: &str,
    views: &[serde_json::Value],
    straight: bool,
) -> (Duration, Duration) {
    let (mut d1, mut d2) = (Duration::ZERO, Duration::ZERO);
    for (i, view) in views.iter().enumerate() {
        for engine in if i % 2 == 0 { [1, 2] } else { [2, 1] } {
            let started = Instant::now();
            let mut out = Vec::with_capacity(16 * 1024);
            if engine == 1 {
                let ctx = tera1::Context::from_value(serde_json::to_value(view).unwrap()).unwrap();
                t1.render_to(template, &ctx, &mut out).expect("1.20 renders");
                d1 += started.elapsed();
            } else {
                let ctx = match straight {
                    true => tera2::Context::from_serialize(view).unwrap(),
                    false => tera2::Context::from_serialize(&serde_json::to_value(view).unwrap()).unwrap(),
                };
                t2.render_to(template, &ctx, &mut out).expect("2.4 renders");
                d2 += started.elapsed();
            }
            std::hint::black_box(out);
        }
    }
    (d1, d2)
}
