//! An article as the annotator sees it, fresh from disk: where its
//! annotations are kept (TOML, JSON-LD, brat), the hash of its files (the
//! `version` a write must carry), its rendered text with UTF-16 offsets
//! (what JavaScript counts), and where each of its annotations anchors now.
//!
//! On top of the pipeline: the preview server.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::reply::Reply;
use crate::anchor::markdown::Document;
use crate::anchor::selector::{self, Failure, Occurrences};
use crate::content::{self, Annotation, Article, brat, jsonld};
use crate::diagnostics::{Diagnostics, Sources};
use crate::site::Site;
use crate::text::collapse_ws;

/// Where an article's annotations are kept.
#[derive(Debug, Clone)]
pub(super) enum Format {
    /// `SLUG.annotations.toml` (it may not exist yet).
    Toml(PathBuf),
    Jsonld(PathBuf),
    /// `SLUG.txt` with `SLUG.ann`.
    Brat {
        txt: PathBuf,
        ann: PathBuf,
    },
}

impl Format {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Format::Toml(_) => "toml",
            Format::Jsonld(_) => "jsonld",
            Format::Brat { .. } => "brat",
        }
    }

    /// The annotation file.
    pub(super) fn file(&self) -> &Path {
        match self {
            Format::Toml(p) | Format::Jsonld(p) => p,
            Format::Brat { ann, .. } => ann,
        }
    }
}

/// UTF-16 offsets ↔ byte offsets of one text.
pub(super) struct Utf16 {
    /// (UTF-16 offset, byte offset) at every character start, and the end.
    pub(super) marks: Vec<(usize, usize)>,
}

impl Utf16 {
    pub(super) fn new(text: &str) -> Utf16 {
        let mut marks = Vec::with_capacity(text.len() + 1);
        let mut u = 0;
        for (b, c) in text.char_indices() {
            marks.push((u, b));
            u += c.len_utf16();
        }
        marks.push((u, text.len()));
        Utf16 { marks }
    }

    pub(super) fn to_byte(&self, u: usize) -> Option<usize> {
        let i = self.marks.binary_search_by_key(&u, |m| m.0).ok()?;
        Some(self.marks[i].1)
    }

    pub(super) fn to_u16(&self, b: usize) -> usize {
        let i = self.marks.partition_point(|m| m.1 < b);
        self.marks.get(i).map_or(0, |m| m.0)
    }

    pub(super) fn range(&self, r: &Range<usize>) -> [usize; 2] {
        [self.to_u16(r.start), self.to_u16(r.end)]
    }
}

/// An article as the annotator sees it: fresh from disk.
pub(super) struct View {
    pub(super) ai: usize,
    pub(super) article: Article,
    pub(super) format: Format,
    pub(super) version: String,
    pub(super) text: String,
    pub(super) code: Vec<Range<usize>>,
    pub(super) sources: Sources,
    /// Whether its annotation file has errors (then its annotations cannot
    /// be told apart for editing: some were left out).
    pub(super) file_errors: bool,
    /// Per annotation of `article`: the ranges it anchors to now.
    pub(super) ranges: Vec<Vec<Range<usize>>>,
    pub(super) utf16: Utf16,
}

/// Every file an article is made of, relative to the root.
pub(super) fn reads(format: &Format, md: &Path) -> Vec<PathBuf> {
    match format {
        Format::Brat { txt, ann } => vec![txt.clone(), ann.clone(), txt.with_extension("toml")],
        _ => {
            let [toml, jsonld] = crate::content::annotation_files(md);
            vec![md.to_path_buf(), toml, jsonld]
        }
    }
}

/// A hash of the bytes (or absence) of `files`.
pub(super) fn version(root: &Path, files: &[PathBuf]) -> String {
    let mut all = Vec::new();
    for f in files {
        all.extend_from_slice(f.to_string_lossy().as_bytes());
        match std::fs::read(root.join(f)) {
            Ok(b) => {
                all.push(1);
                all.extend_from_slice(&(b.len() as u64).to_le_bytes());
                all.extend(b);
            }
            Err(_) => all.push(0),
        }
    }
    format!("{:016x}", crate::files::hash(&all))
}

/// The ranges an annotation anchors to, as anchoring finds them (a
/// TextPositionSelector first, then the quote selector, then re-anchoring
/// an edited passage); none when it does not anchor.
pub(super) fn ranges_of(
    ann: &Annotation,
    text: &str,
    code: &[Range<usize>],
    cache: &mut Occurrences,
) -> Vec<Range<usize>> {
    if let Some(at) = ann.position.and_then(|cp| jsonld::byte_offset(text, cp)) {
        let exact = collapse_ws(&ann.selector.exact);
        let r = at..at + exact.len();
        if text[at..].starts_with(&exact) && !code.iter().any(|c| c.start < r.end && r.start < c.end) {
            return vec![r];
        }
    }
    match selector::anchor_cached(text, code, &ann.selector, cache) {
        Ok(r) => r,
        Err(Failure::NotFound { .. }) => selector::reanchor(text, &ann.selector)
            .map(|r| vec![r.range])
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

impl View {
    pub(super) fn load(site: &Site, root: &Path, slug: &str) -> Result<View, Reply> {
        let Some(ai) = site.articles.iter().position(|a| a.src.slug == slug) else {
            return Err(Reply::refused(format!(
                "There is no article `{slug}` in the site (as last built)."
            )));
        };
        let src = &site.articles[ai].src;
        let md = src.path.clone();
        let format = if md.extension().is_some_and(|e| e == "txt") {
            Format::Brat {
                txt: md.clone(),
                ann: md.with_extension("ann"),
            }
        } else {
            match &src.annotations_path {
                Some(p) if p.extension().is_some_and(|e| e == "jsonld") => Format::Jsonld(p.clone()),
                Some(p) => Format::Toml(p.clone()),
                None => {
                    let stem = md
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    Format::Toml(md.with_file_name(format!("{stem}.annotations.toml")))
                }
            }
        };
        let version = version(root, &reads(&format, &md));
        let (article, diags, sources) = match &format {
            Format::Brat { txt, .. } => {
                let (mut d, mut s) = (Diagnostics::default(), Sources::default());
                let text = crate::files::read_text(root, txt, &mut d);
                let cfg = brat::config(root, &mut d, &mut s);
                let mut a = src.clone();
                if let Some(text) = text {
                    s.insert(txt, Arc::from(text.as_str()));
                    let loaded = brat::load(root, txt, &text, &cfg, &mut d, &mut s);
                    a.body = loaded.body.into();
                    a.annotations = loaded.annotations;
                }
                (Some(a), d, s)
            }
            _ => content::load_article_file(root, &md),
        };
        let Some(article) = article else {
            return Err(Reply::refused(format!(
                "The article does not load; fix it first:\n{}",
                diags.render(&sources, false)
            )));
        };
        let file_errors = diags.iter().any(|d| d.is_error() && d.file == format.file());
        let doc = Document::parse(&article.body);
        let text = doc.text.text.clone();
        let code = doc.text.code.clone();
        drop(doc);
        let mut cache = Occurrences::default();
        let ranges = article
            .annotations
            .iter()
            .map(|a| ranges_of(a, &text, &code, &mut cache))
            .collect();
        Ok(View {
            ai,
            utf16: Utf16::new(&text),
            article,
            format,
            version,
            text,
            code,
            sources,
            file_errors,
            ranges,
        })
    }

    /// The place of annotation `k` among those of its kind, in file order.
    pub(super) fn kind_index(&self, k: usize) -> usize {
        let kind = self.article.annotations[k].kind.name();
        self.article.annotations[..k]
            .iter()
            .filter(|a| a.kind.name() == kind)
            .count()
    }

    /// A selection (UTF-16 offsets) as a byte range of the text, when the
    /// text there is `expected`.
    pub(super) fn span(&self, start: usize, end: usize, expected: Option<&str>) -> Option<Range<usize>> {
        let r = self.utf16.to_byte(start)?..self.utf16.to_byte(end)?;
        if r.start > r.end || expected.is_some_and(|e| self.text[r.clone()] != *e) {
            return None;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_map_to_bytes_and_back() {
        let t = "Hà Nội 😀 x";
        let u = Utf16::new(t);
        let emoji = t.find('😀').unwrap();
        let at = t[..emoji].encode_utf16().count();
        assert_eq!(u.to_byte(at), Some(emoji));
        assert_eq!(u.to_byte(at + 1), None, "inside a surrogate pair");
        assert_eq!(u.to_byte(at + 2), Some(emoji + 4));
        assert_eq!(u.to_u16(t.len()), t.encode_utf16().count());
        assert_eq!(u.range(&(0..t.len())), [0, t.encode_utf16().count()]);
    }
}
