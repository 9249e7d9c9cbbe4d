//! Random edit sequences, rebuilt two ways after every edit and compared byte
//! for byte with a fresh `glossa::build` of the same content (a copy without
//! `.glossa-cache`) into another temp dir:
//!
//! - by one long-lived `rebuild::Session`, the watcher's code path (what
//!   `serve` and `build --watch` call after each batch of file events);
//!   every other step it rebuilds as `serve` does, the edited files' pages
//!   first (`Session::rebuild_first`): then, until `Session::finish`, only
//!   the pages it defers may differ from the fresh build;
//! - by a new `glossa build` process each time, with the output folder and
//!   `.glossa-cache` (the build manifest, the stored anchoring results, the
//!   cards) the last process left: the deploy after an edit.
//!
//! When an edit makes the content invalid, both must fail and the output
//! must still be the last good build. Any difference fails with the seed and
//! the edit sequence that produced it.
//!
//! `GLOSSA_EDIT_SEQUENCES=N` runs more sequences; `GLOSSA_EDIT_SEED=S` runs
//! only the sequence with seed S.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glossa::BuildOptions;
use glossa::output::session::{Outcome, Session};

const STEPS: usize = 12;
const SEQUENCES: u64 = 12;
/// (each step spawns a process)
const PROCESS_SEQUENCES: u64 = 8;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len())])
        }
    }
}

type Tree = BTreeMap<String, Vec<u8>>;

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> Tree {
    let mut t = Tree::new();
    if !dir.exists() {
        return t;
    }
    // (not the caches a site's builds keep: the edits do not restore those)
    let files = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".glossa-cache")
        .flatten();
    for e in files {
        if e.file_type().is_file() || e.file_type().is_symlink() {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            t.insert(rel, std::fs::read(e.path()).unwrap_or_default());
        }
    }
    t
}

/// Empty folders left in the output (a removed page's folder) are a
/// difference a browser would not see, but a fresh build has none.
fn empty_dirs(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir() && std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_none()))
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect()
}

fn diff(got: &Tree, want: &Tree) -> Option<String> {
    let mut out = Vec::new();
    for (k, v) in want {
        match got.get(k) {
            None => out.push(format!("missing in the session's output: {k}")),
            Some(g) if g != v => {
                // where, for text: the first line that differs
                let (g, w) = (String::from_utf8_lossy(g), String::from_utf8_lossy(v));
                let at = g.lines().zip(w.lines()).find(|(a, b)| a != b);
                match at {
                    Some((a, b)) if !k.ends_with(".png") => {
                        let cut = |s: &str| s.chars().take(300).collect::<String>();
                        out.push(format!("differs: {k}\n  got:  {}\n  want: {}", cut(a), cut(b)))
                    }
                    _ => out.push(format!("differs: {k}")),
                }
            }
            _ => {}
        }
    }
    for k in got.keys().filter(|k| !want.contains_key(*k)) {
        out.push(format!("extra in the session's output: {k}"));
    }
    if out.is_empty() { None } else { Some(out.join("\n")) }
}

/// The site being edited.
struct Site {
    root: PathBuf,
    n: usize,
    /// An annotation file we broke, and its text before.
    broken: Vec<(PathBuf, String)>,
    /// The inputs at the last step that built, to go back to when the
    /// content stays broken.
    good: Tree,
    /// How many steps in a row have failed.
    failing: usize,
}

impl Site {
    fn files(&self, dir: &str, ext: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = walkdir::WalkDir::new(self.root.join(dir))
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file() && e.path().to_string_lossy().ends_with(ext))
            .map(|e| e.path().strip_prefix(&self.root).unwrap().to_path_buf())
            .collect();
        v.sort();
        v
    }

    fn read(&self, rel: &Path) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap_or_default()
    }

    fn write(&self, rel: &Path, text: impl AsRef<[u8]>) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        age(&p);
    }

    fn remove(&self, rel: &Path) {
        let _ = std::fs::remove_file(self.root.join(rel));
    }

    /// Puts the inputs back as they were at the last good step.
    fn restore(&mut self) -> Vec<PathBuf> {
        let now = tree(&self.root);
        let mut touched = Vec::new();
        for (rel, bytes) in &now {
            if self.good.get(rel) != Some(bytes) {
                touched.push(PathBuf::from(rel));
                match self.good.get(rel) {
                    Some(b) => self.write(Path::new(rel), b),
                    None => self.remove(Path::new(rel)),
                }
            }
        }
        for (rel, bytes) in &self.good {
            if !now.contains_key(rel) {
                touched.push(PathBuf::from(rel));
                self.write(Path::new(rel), bytes);
            }
        }
        self.broken.clear();
        touched
    }

    fn articles(&self) -> Vec<PathBuf> {
        self.files("content/articles", ".md")
    }

    /// Applies one random edit; returns its description and the input
    /// paths it touched.
    fn edit(&mut self, rng: &mut Rng) -> (String, Vec<PathBuf>) {
        self.n += 1;
        let n = self.n;
        if self.failing >= 2 {
            return ("restore the last good content".into(), self.restore());
        }
        // Fix what we broke, most of the time, soon.
        if !self.broken.is_empty() && rng.below(2) == 0 {
            let (rel, text) = self.broken.pop().unwrap();
            self.write(&rel, text);
            return (format!("fix {}", rel.display()), vec![rel]);
        }
        let words = ["Huawei", "SMIC", "Alibaba", "chip", "Trung Quốc", "Đà Nẵng", "mô hình"];
        match rng.below(21) {
            0 | 1 => {
                let Some(a) = rng.pick(&self.articles()).cloned() else {
                    return self.edit(rng);
                };
                let w = rng.pick(&words).unwrap();
                let mut t = self.read(&a);
                t.push_str(&format!("\n\nĐoạn {n} nói về {w} và *nhấn mạnh {n}*.\n"));
                self.write(&a, t);
                (format!("append a paragraph to {}", a.display()), vec![a])
            }
            2 => {
                let Some(a) = rng.pick(&self.articles()).cloned() else {
                    return self.edit(rng);
                };
                let w = rng.pick(&words).unwrap();
                let t = self.read(&a);
                // Only the body (after the front matter); may orphan an annotation.
                let body_at = t.rfind("+++\n").map_or(0, |i| i + 4);
                let (head, body) = t.split_at(body_at);
                self.write(&a, format!("{head}{}", body.replacen(w, &format!("X{n}"), 1)));
                (format!("replace {w:?} in the body of {}", a.display()), vec![a])
            }
            3 => {
                let rel = PathBuf::from(format!("content/articles/new-{n}.md"));
                let w = rng.pick(&words).unwrap();
                let day = 1 + rng.below(28);
                // a third of them undated
                let date = if rng.below(3) == 0 {
                    String::new()
                } else {
                    format!("date = \"2026-10-{day:02}\"\n")
                };
                self.write(
                    &rel,
                    format!(
                        "+++\ntitle = \"Bài mới {n}\"\n{date}tags = [\"Mới\", \"T{}\"]\n+++\n{w} xuất hiện ở đây. Huawei nói: “Câu {n}.”\n",
                        rng.below(3)
                    ),
                );
                let mut touched = vec![rel];
                if rng.below(2) == 0 {
                    let ann = PathBuf::from(format!("content/articles/new-{n}.annotations.toml"));
                    self.write(
                        &ann,
                        format!("[[mention]]\nentity = \"huawei\"\nexact = \"Huawei\"\n\n[[quote]]\nspeaker = \"huawei\"\nexact = \"Câu {n}.\"\n"),
                    );
                    touched.push(ann);
                }
                (format!("add article new-{n} ({} files)", touched.len()), touched)
            }
            4 => {
                let Some(a) = rng.pick(&self.articles()).cloned() else {
                    return self.edit(rng);
                };
                let ann = a.with_extension("annotations.toml");
                self.remove(&a);
                self.remove(&ann);
                (format!("delete {} and its annotations", a.display()), vec![a, ann])
            }
            5 => {
                let Some(a) = rng.pick(&self.articles()).cloned() else {
                    return self.edit(rng);
                };
                let to = PathBuf::from(format!("content/articles/renamed-{n}.md"));
                let ann = a.with_extension("annotations.toml");
                let ann_to = to.with_extension("annotations.toml");
                std::fs::rename(self.root.join(&a), self.root.join(&to)).unwrap();
                if self.root.join(&ann).is_file() {
                    std::fs::rename(self.root.join(&ann), self.root.join(&ann_to)).unwrap();
                }
                (
                    format!("rename {} to {}", a.display(), to.display()),
                    vec![a, to, ann, ann_to],
                )
            }
            6 => {
                // Break an annotation: an unknown entity.
                let anns = self.files("content/articles", ".annotations.toml");
                let Some(rel) = rng.pick(&anns).cloned() else {
                    return self.edit(rng);
                };
                let before = self.read(&rel);
                self.write(
                    &rel,
                    format!("{before}\n[[mention]]\nentity = \"khong-co-{n}\"\nexact = \"Huawei\"\n"),
                );
                self.broken.push((rel.clone(), before));
                (format!("break {} (unknown entity)", rel.display()), vec![rel])
            }
            7 => {
                // A note on an occurrence; may be fine or overlap badly.
                let anns = self.files("content/articles", ".annotations.toml");
                let Some(rel) = rng.pick(&anns).cloned() else {
                    return self.edit(rng);
                };
                let w = rng.pick(&words).unwrap();
                let mut t = self.read(&rel);
                t.push_str(&format!(
                    "\n[[note]]\nexact = \"{w}\"\nnth = 1\nbody = \"Ghi chú {n}\"\n"
                ));
                self.write(&rel, t);
                (format!("add a note on {w:?} in {}", rel.display()), vec![rel])
            }
            8 => {
                let rel = PathBuf::from(format!("content/entities/e{n}.md"));
                let w = rng.pick(&["mô hình", "nhà máy", "chip", "nguồn mở"]).unwrap();
                self.write(
                    &rel,
                    format!("+++\nname = \"Thực thể {n}\"\nkind = \"concept\"\naliases = [\"{w}\"]\n+++\nMô tả {n}.\n"),
                );
                (format!("add entity e{n} with alias {w:?}"), vec![rel])
            }
            9 => {
                let ents = self.files("content/entities", ".md");
                let Some(rel) = rng.pick(&ents).cloned() else {
                    return self.edit(rng);
                };
                if rng.below(3) == 0 {
                    self.remove(&rel);
                    (format!("delete entity {}", rel.display()), vec![rel])
                } else {
                    let t = self.read(&rel);
                    let t = t.replacen("name = \"", &format!("name = \"Đổi {n} "), 1);
                    self.write(&rel, format!("{t}\nThêm mô tả {n}.\n"));
                    (format!("rename and describe entity {}", rel.display()), vec![rel])
                }
            }
            10 => {
                let rel = PathBuf::from("templates/base.html");
                let base = std::fs::read_to_string(common::seed_root().join("templates/base.html")).unwrap();
                match rng.below(4) {
                    0 => {
                        self.remove(&rel);
                        ("remove the base.html override".into(), vec![rel])
                    }
                    1 => {
                        let before = if self.root.join(&rel).is_file() {
                            Some(self.read(&rel))
                        } else {
                            None
                        };
                        self.write(&rel, format!("{base}{{% if %}}\n"));
                        match before {
                            Some(b) => self.broken.push((rel.clone(), b)),
                            None => self.broken.push((rel.clone(), base.clone())),
                        }
                        ("break templates/base.html (syntax error)".into(), vec![rel])
                    }
                    2 => {
                        let at = base.rfind("</body>").unwrap();
                        self.write(&rel, format!("{}<!-- sửa {n} -->\n{}", &base[..at], &base[at..]));
                        (format!("override templates/base.html (edit {n})"), vec![rel])
                    }
                    _ => {
                        // the header or footer, rendered once for many pages (`render/layout.rs`)
                        let (name, end) = *rng
                            .pick(&[("site_header.html", "</header>"), ("site_footer.html", "</footer>")])
                            .unwrap();
                        let rel = PathBuf::from("templates").join(name);
                        let text = std::fs::read_to_string(common::seed_root().join(&rel)).unwrap();
                        let at = text.rfind(end).unwrap();
                        self.write(&rel, format!("{}<!-- sửa {n} -->{}", &text[..at], &text[at..]));
                        (format!("override templates/{name} (edit {n})"), vec![rel])
                    }
                }
            }
            11 | 12 => {
                let names = ["style.css", "extra.css", "img/a.png", "b.txt", "glossa.js"];
                let name = *rng.pick(&names).unwrap();
                let rel = PathBuf::from("static").join(name);
                if rng.below(3) == 0 {
                    self.remove(&rel);
                    (format!("delete static/{name}"), vec![rel])
                } else {
                    let bytes: Vec<u8> = (0..1 + rng.below(64)).map(|_| rng.next() as u8).collect();
                    self.write(&rel, bytes);
                    (format!("write static/{name}"), vec![rel])
                }
            }
            13 => {
                let rel = PathBuf::from("glossa.toml");
                let t = self.read(&rel);
                let t = match t.find("title = \"") {
                    Some(i) => format!("{}title = \"Sửa {n} {}", &t[..i], &t[i + 9..]),
                    None => t,
                };
                self.write(&rel, t);
                (format!("retitle the site ({n})"), vec![rel])
            }
            15 => {
                // What other pages show of an article: title, date, tags.
                let Some(a) = rng.pick(&self.articles()).cloned() else {
                    return self.edit(rng);
                };
                let t = self.read(&a);
                let t = match rng.below(4) {
                    0 => t.replacen("title = \"", &format!("title = \"Sửa {n}: "), 1),
                    1 => t.replacen("date = \"2026-", "date = \"2025-", 1),
                    // undated (listed last, out of the feed), or dated again
                    2 => match t.find("\ndate = \"") {
                        Some(i) => {
                            let end = t[i + 1..].find('\n').map_or(t.len(), |j| i + 1 + j);
                            format!("{}{}", &t[..i], &t[end..])
                        }
                        None => t.replacen(
                            "\ntitle = \"",
                            &format!("\ndate = \"2026-09-{:02}\"\ntitle = \"", 1 + n % 28),
                            1,
                        ),
                    },
                    _ => t.replacen("tags = [", &format!("tags = [\"Nhãn {n}\", "), 1),
                };
                self.write(&a, t);
                (format!("retitle, (un)date or retag {}", a.display()), vec![a])
            }
            16 => {
                // A word inserted somewhere in a body: the graph keeps its
                // shape (most of the time), so the rebuild patches it.
                let Some(a) = rng.pick(&self.articles()).cloned() else {
                    return self.edit(rng);
                };
                let t = self.read(&a);
                let body_at = t.rfind("+++\n").map_or(0, |i| i + 4);
                let mut spaces: Vec<usize> = t[body_at..].match_indices(' ').map(|(i, _)| body_at + i).collect();
                let near: Vec<usize> = match rng.below(3) {
                    0 => {
                        // near a name: inside the words an entity page shows
                        // around a mention, but not next to it
                        let w = rng.pick(&words).unwrap();
                        t[body_at..]
                            .match_indices(w)
                            .map(|(i, _)| body_at + i)
                            .flat_map(|at| spaces.iter().copied().filter(move |&s| s + 30 < at && at < s + 70))
                            .collect()
                    }
                    1 => {
                        // near a quote: inside the words its card and page
                        // show before or after it, but not next to it
                        let ann = a.with_extension("annotations.toml");
                        let anns = if self.root.join(&ann).is_file() {
                            self.read(&ann)
                        } else {
                            String::new()
                        };
                        quote_texts(&anns)
                            .iter()
                            .flat_map(|q| {
                                t[body_at..]
                                    .match_indices(q.as_str())
                                    .map(|(i, _)| (body_at + i, q.len()))
                            })
                            .flat_map(|(at, len)| {
                                spaces.iter().copied().filter(move |&s| {
                                    (s + 20 < at && at < s + 100) || (at + len + 10 < s && s < at + len + 100)
                                })
                            })
                            .collect()
                    }
                    _ => Vec::new(),
                };
                if !near.is_empty() {
                    spaces = near;
                }
                let Some(&at) = rng.pick(&spaces) else {
                    return self.edit(rng);
                };
                self.write(&a, format!("{} rất{}", &t[..at], &t[at..]));
                (format!("insert a word at byte {at} of {}", a.display()), vec![a])
            }
            17 => {
                // An entity's description only: its end, or its first
                // sentence (which other pages show as its summary).
                let ents = self.files("content/entities", ".md");
                let Some(rel) = rng.pick(&ents).cloned() else {
                    return self.edit(rng);
                };
                let t = self.read(&rel);
                let t = if rng.below(2) == 0 {
                    format!("{t}\nThêm mô tả {n}.\n")
                } else {
                    let at = t.rfind("+++\n").map_or(0, |i| i + 4);
                    format!("{}Mở đầu {n}. {}", &t[..at], &t[at..])
                };
                self.write(&rel, t);
                (format!("describe entity {} ({n})", rel.display()), vec![rel])
            }
            18 => {
                // A note's text.
                let anns = self.files("content/articles", ".annotations.toml");
                let Some(rel) = rng.pick(&anns).cloned() else {
                    return self.edit(rng);
                };
                let t = self.read(&rel);
                let notes: Vec<usize> = t.match_indices("body = \"").map(|(i, _)| i + 8).collect();
                let Some(&at) = rng.pick(&notes) else {
                    return self.edit(rng);
                };
                self.write(&rel, format!("{}Sửa {n}: {}", &t[..at], &t[at..]));
                (format!("reword a note in {}", rel.display()), vec![rel])
            }
            19 | 20 => {
                // A date edit: the article moves to another month of the
                // archive (or out of it, or into it), its entities'
                // timelines change, and so may the home page's "in the news".
                let Some(a) = rng.pick(&self.articles()).cloned() else {
                    return self.edit(rng);
                };
                let t = self.read(&a);
                let line = t.find("\ndate = \"").map(|i| {
                    let end = t[i + 1..].find('\n').map_or(t.len(), |j| i + 1 + j);
                    (i, end)
                });
                let month = ["2026-08", "2026-09", "2026-10", "2026-11", "2025-12"][rng.below(5)];
                let date = format!("\ndate = \"{month}-{:02}\"", 1 + rng.below(28));
                let (what, t) = match (line, rng.below(3)) {
                    (Some((i, end)), 0) => ("undate", format!("{}{}", &t[..i], &t[end..])),
                    (Some((i, end)), _) => ("redate", format!("{}{date}{}", &t[..i], &t[end..])),
                    (None, _) => ("date", t.replacen("\ntitle = \"", &format!("{date}\ntitle = \""), 1)),
                };
                self.write(&a, t);
                (format!("{what} {} ({})", a.display(), date.trim()), vec![a])
            }
            _ => {
                // An orphaned or stray annotation file and a nested folder.
                let rel = PathBuf::from(format!("content/articles/sub-{n}/bai-{n}.md"));
                self.write(
                    &rel,
                    format!("+++\ntitle = \"Trong thư mục {n}\"\ndate = \"2026-09-01\"\n+++\nSMIC và Huawei.\n"),
                );
                (format!("add a nested article sub-{n}/bai-{n}"), vec![rel])
            }
        }
    }
}

/// The `exact` texts of the `[[quote]]` entries of an annotation file (the
/// plain ones: an escaped text is left out).
fn quote_texts(toml: &str) -> Vec<String> {
    toml.split("[[")
        .filter(|block| block.starts_with("quote]]"))
        .filter_map(|block| {
            let line = block.lines().find(|l| l.starts_with("exact = \""))?;
            let text = line.strip_prefix("exact = \"")?.strip_suffix('"')?;
            (!text.contains('\\')).then(|| text.to_string())
        })
        .collect()
}

#[test]
fn the_quotes_the_edits_aim_near_are_read_from_the_annotation_file() {
    let anns =
        std::fs::read_to_string(common::fixture("multi").join("content/articles/chip-war.annotations.toml")).unwrap();
    assert_eq!(quote_texts(&anns), ["Chúng tôi sẽ tự chủ."]);
    let new =
        "[[mention]]\nentity = \"huawei\"\nexact = \"Huawei\"\n\n[[quote]]\nspeaker = \"huawei\"\nexact = \"Câu 7.\"\n";
    assert_eq!(quote_texts(new), ["Câu 7."]);
}

/// A temp dir on tmpfs when there is one: creating files there is 10–50×
/// cheaper than on the work disk, and this test creates thousands.
fn fast_tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}

/// A build of a copy of `root` without its `.glossa-cache`: nothing an
/// earlier build left can make it right or wrong.
fn fresh_build(root: &Path) -> Result<Tree, String> {
    let copy = fast_tempdir();
    for e in walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".glossa-cache")
        .flatten()
    {
        let to = copy.path().join(e.path().strip_prefix(root).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    let root = copy.path();
    let out = fast_tempdir();
    let opts = BuildOptions {
        output_dir: Some(out.path().to_path_buf()),
        ..Default::default()
    };
    match glossa::build(root, &opts) {
        Ok(_) => Ok(tree(out.path())),
        Err(f) => Err(f.diags.render(&f.sources, false)),
    }
}

/// Gives a file a modification time of its own, long past: the session
/// trusts the stamps of files not changed in the last second (see
/// `content::FileCache`), so with real times a fast test would hardly ever
/// take its files from the cache. Every write gets a later time than the
/// last, as a real edit would.
fn age(path: &Path) {
    static CLOCK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tick = CLOCK.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000 + tick);
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

/// A session's outcome: `Ok` when built, else the errors.
fn built(outcome: Outcome) -> Result<(), String> {
    match outcome {
        Outcome::Built { .. } => Ok(()),
        Outcome::Failed { diags, sources } => Err(diags.render(&sources, false)),
    }
}

/// What rebuilds the site after each edit.
enum Builder {
    /// One watching session for the whole sequence.
    Session(Box<Session>),
    /// A new `glossa build` process each time, into this output folder.
    Process(PathBuf),
}

impl Builder {
    /// Rebuilds after `changed`: `Ok` when built, else the errors.
    fn rebuild(&mut self, root: &Path, changed: &[PathBuf]) -> Result<(), String> {
        match self {
            Builder::Session(s) => built(s.rebuild(changed)),
            Builder::Process(out) => {
                let run = std::process::Command::new(env!("CARGO_BIN_EXE_glossa"))
                    .arg("--root")
                    .arg(root)
                    .args(["build", "--output-dir"])
                    .arg(&*out)
                    .output()
                    .unwrap();
                match run.status.success() {
                    true => Ok(()),
                    false => Err(String::from_utf8_lossy(&run.stderr).into_owned()),
                }
            }
        }
    }
}

/// The steps that failed, and those whose rebuild was split (the edited
/// files' pages first).
fn run_sequence(seed: u64, processes: bool) -> Result<(usize, usize), String> {
    let site_dir = common::copy_site(&common::fixture("multi"), false);
    // Two items a page: the home page, tags and quote index come in pages
    // that shift as articles come and go.
    let config = site_dir.path().join("glossa.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}paginate_by = 2\n")).unwrap();
    // An article older than the "in the news" window (30 days before the
    // newest): an edit to it changes its entities' timelines but not which
    // entities are in the news, so the home page's timelines must follow
    // their own dependency.
    std::fs::write(
        site_dir.path().join("content/articles/old-news.md"),
        "+++\ntitle = \"Tin cũ\"\ndate = \"2026-06-10\"\n+++\nHuawei và SMIC ở Trung Quốc, tháng sáu.\n",
    )
    .unwrap();
    for entry in walkdir::WalkDir::new(site_dir.path()).into_iter().flatten() {
        if entry.file_type().is_file() {
            age(entry.path());
        }
    }
    let out_dir = fast_tempdir();
    let out = out_dir.path().join("public");
    let root = site_dir.path().to_path_buf();
    let mut site = Site {
        good: tree(&root),
        root,
        n: 0,
        broken: Vec::new(),
        failing: 0,
    };
    let mut rng = Rng::new(seed);
    let mut builder = match processes {
        true => Builder::Process(out.clone()),
        false => Builder::Session(Box::new(Session::watching(
            &site.root,
            BuildOptions {
                output_dir: Some(out.clone()),
                ..Default::default()
            },
        ))),
    };
    let mut log: Vec<String> = vec!["initial build".into()];
    let mut last_good: Option<Tree> = None;
    let mut changed: Vec<PathBuf> = Vec::new();
    let mut failures = 0;
    let mut split = 0;
    for step in 0..=STEPS {
        if step > 0 {
            let (what, paths) = site.edit(&mut rng);
            log.push(what);
            changed = paths;
        }
        let fail = |msg: String| {
            let steps: Vec<String> = log.iter().enumerate().map(|(i, s)| format!("  {i:2}. {s}")).collect();
            Err(format!(
                "seed {seed}, after step {step}: {msg}\nedits:\n{}",
                steps.join("\n")
            ))
        };
        let fresh = fresh_build(&site.root);
        let outcome = match &mut builder {
            // every other step the way `serve` rebuilds: the edited files'
            // pages first, then the rest
            Builder::Session(session) if step % 2 == 1 => {
                let first = session.rebuild_first(&changed);
                let deferred = session.deferred().to_vec();
                if !deferred.is_empty() {
                    split += 1;
                    // meanwhile only the deferred pages may be out of date
                    if let (Outcome::Built { .. }, Ok(want)) = (&first, &fresh) {
                        let now = tree(&out);
                        let stale: Vec<&String> = now
                            .keys()
                            .chain(want.keys())
                            .filter(|k| now.get(*k) != want.get(*k) && !deferred.contains(k))
                            .collect();
                        if !stale.is_empty() {
                            return fail(format!(
                                "after the first pages, pages that were not deferred differ from a fresh build: {stale:?}"
                            ));
                        }
                    }
                }
                built(session.finish().unwrap_or(first))
            }
            builder => builder.rebuild(&site.root, &changed),
        };
        match (outcome, fresh) {
            (Ok(()), Ok(want)) => {
                if let Some(d) = diff(&tree(&out), &want) {
                    return fail(format!("the output differs from a fresh build:\n{d}"));
                }
                let empty = empty_dirs(&out);
                if !empty.is_empty() {
                    return fail(format!("empty folders left in the output: {empty:?}"));
                }
                last_good = Some(want);
                site.good = tree(&site.root);
                site.failing = 0;
            }
            (Err(errors), Err(_)) => {
                failures += 1;
                site.failing += 1;
                let want = last_good.clone().unwrap_or_default();
                if let Some(d) = diff(&tree(&out), &want) {
                    return fail(format!(
                        "a failed rebuild changed the output:\n{d}\nthe errors:\n{errors}"
                    ));
                }
            }
            (Ok(()), Err(e)) => {
                return fail(format!("the rebuild succeeded but a fresh build failed:\n{e}"));
            }
            (Err(errors), Ok(_)) => {
                return fail(format!("the rebuild failed but a fresh build succeeded:\n{errors}"));
            }
        }
    }
    Ok((failures, split))
}

/// The seeds to run: `GLOSSA_EDIT_SEED`, or 1..=`GLOSSA_EDIT_SEQUENCES`
/// (`default` of them).
fn seeds(default: u64) -> Vec<u64> {
    match std::env::var("GLOSSA_EDIT_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => {
            let n = std::env::var("GLOSSA_EDIT_SEQUENCES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(default);
            (1..=n).collect()
        }
    }
}

/// Runs the sequences of `seeds` rebuilding one way; panics at the first
/// difference.
fn run_all(seeds: &[u64], processes: bool) {
    let started = std::time::Instant::now();
    let (mut failed_steps, mut split_steps) = (0, 0);
    for seed in seeds {
        match run_sequence(*seed, processes) {
            Ok((f, s)) => {
                failed_steps += f;
                split_steps += s;
            }
            Err(e) => panic!("{e}"),
        }
    }
    eprintln!(
        "{} sequences × {STEPS} edits in {} ms; {failed_steps} steps left the content invalid, \
         {split_steps} wrote the edited files' pages first",
        seeds.len(),
        started.elapsed().as_millis()
    );
    // The sequences must exercise the failure path and the split too.
    assert!(seeds.len() < 4 || failed_steps > 0, "no edit broke the site");
    assert!(
        processes || seeds.len() < 4 || split_steps > 0,
        "no rebuild wrote the edited pages first"
    );
}

#[test]
fn random_edits_rebuild_like_a_fresh_build() {
    run_all(&seeds(SEQUENCES), false);
}

/// The deploy after an edit: each step a new process, reusing the output,
/// the manifest and the stored anchoring results of the last.
#[test]
fn random_edits_built_by_new_processes_match_a_fresh_build() {
    run_all(&seeds(PROCESS_SEQUENCES), true);
}
