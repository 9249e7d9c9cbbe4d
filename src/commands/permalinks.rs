//! `glossa check`'s watch on quote permalinks. A quote's page
//! (`/quotes/ID/`, with its share card under it) is a URL readers share, so
//! a quote page the last build wrote that the site would not have any more
//! is worth a warning (when the site has no errors: an error may be why a
//! quote is missing). The last build is read from its manifest
//! ([`crate::output::manifest::last_build`]): no output is listed.
//!
//! When a quote of the site now is recognisably the one that had the old
//! id — in the article the old quote page links back to, its id derived
//! and its URL new: the only such quote there, or the only one with the
//! old id's readable part (speaker and first words, see
//! [`crate::anchor::quote_id`]) — the warning is at that quote's
//! annotation, with the hint to pin the old id there. Otherwise (the quote
//! or its article was removed, an `id` was changed, …) it names the old
//! page.
//!
//! On top of the pipeline: the commands.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::anchor::quote_id::readable_part;
use crate::config::BuildOptions;
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::read_text;
use crate::output::manifest;
use crate::site::{QuoteNode, Site};
use crate::urls::Urls;

/// A warning per quote page of the last build (with `opts`' flags) that the
/// site would not write now; the files they point into are added to
/// `sources`.
pub fn gone(root: &Path, opts: &BuildOptions, site: &Site, sources: &mut Sources) -> Vec<Diagnostic> {
    let Some((out, files)) = manifest::last_build(root, opts) else {
        return Vec::new();
    };
    let old: Vec<&str> = files.iter().filter_map(|f| quote_page(f)).collect();
    let now: HashSet<&str> = site.quotes.iter().map(|q| q.id.as_str()).collect();
    let was: HashSet<&str> = old.iter().copied().collect();
    let mut gone: Vec<&str> = old.into_iter().filter(|id| !now.contains(id)).collect();
    gone.sort_unstable();
    let page = |id: &str| out.join("quotes").join(id).join("index.html");
    let successors = successors(site, &gone, &was, &|id| {
        std::fs::read_to_string(page(id))
            .ok()
            .and_then(|html| article_of(&html, id))
    });
    let urls = Urls {
        root: site.config.root_path(),
    };
    let mut diags = Vec::new();
    for id in gone {
        let old_url = urls.quote(id);
        let d = match successors.get(id) {
            Some(q) => {
                let file = site.articles[q.article]
                    .src
                    .annotations_path
                    .clone()
                    .unwrap_or_default();
                add_source(root, &file, sources);
                Diagnostic::warning(
                    file,
                    Some(q.at.clone()),
                    format!(
                        "this quote's permalink changes from {old_url} (the last build's) to {}",
                        urls.quote(&q.id)
                    ),
                )
                .with_hint(format!(
                    "its id is derived from its article, speaker and text; to keep the old URL (and its share card), add `id = \"{id}\"` to this quote"
                ))
            }
            None => {
                let page = page(id);
                let page = page.strip_prefix(root).map_or(page.clone(), Path::to_path_buf);
                Diagnostic::warning(
                    page,
                    None,
                    format!("the quote page {old_url} of the last build would be gone: no quote has the id `{id}` now"),
                )
                .with_hint(format!(
                    "links to it break; if the quote is still on the site, add `id = \"{id}\"` to its annotation to keep the URL"
                ))
            }
        };
        diags.push(d);
    }
    diags
}

/// The quotes of the site now that recognisably had the `gone` ids in the
/// last build (whose ids are `was`): per article (the one an old quote page
/// links back to, `article_of`), when one old id went and one derived id
/// came, they pair up; otherwise an old id pairs with the one new derived
/// id that begins the same way, if it is the only old id that does.
fn successors<'a, 'b>(
    site: &'a Site,
    gone: &[&'b str],
    was: &HashSet<&str>,
    article_of: &dyn Fn(&str) -> Option<String>,
) -> HashMap<&'b str, &'a QuoteNode> {
    let mut by_article: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for &id in gone {
        if let Some(slug) = article_of(id) {
            by_article.entry(slug).or_default().push(id);
        }
    }
    // the derived quotes with a new URL, by article
    let mut fresh: HashMap<&str, Vec<&QuoteNode>> = HashMap::new();
    for q in site.quotes.iter().filter(|q| !q.pinned && !was.contains(q.id.as_str())) {
        fresh.entry(&site.articles[q.article].src.slug).or_default().push(q);
    }
    let mut out = HashMap::new();
    for (slug, old) in by_article {
        let new = fresh.get(slug.as_str()).map_or(&[][..], Vec::as_slice);
        let alike = |old: &str, q: &QuoteNode| {
            let r = readable_part(&q.id);
            r == readable_part(old) || r == old
        };
        if let ([o], [q]) = (old.as_slice(), new) {
            out.insert(*o, *q);
            continue;
        }
        for &o in &old {
            let mut like = new.iter().filter(|q| alike(o, q));
            if let (Some(q), None) = (like.next(), like.next())
                && old.iter().filter(|&&p| alike(p, q)).count() == 1
            {
                out.insert(o, *q);
            }
        }
    }
    out
}

/// The slug of the article a quote page links back to (`…/articles/SLUG/#q-ID`).
fn article_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("/#q-{id}\""))?;
    let before = &html[..at];
    let slug = &before[before.rfind("/articles/")? + "/articles/".len()..];
    (!slug.is_empty() && !slug.contains(['/', '"', '<'])).then(|| slug.to_string())
}

/// The quote id of an output path `quotes/ID/index.html`.
fn quote_page(path: &str) -> Option<&str> {
    let id = path.strip_prefix("quotes/")?.strip_suffix("/index.html")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Reads `file` into `sources` (loading dropped the files no diagnostic
/// cited) so the warning shows its line.
fn add_source(root: &Path, file: &Path, sources: &mut Sources) {
    if sources.get(file).is_none()
        && let Some(text) = read_text(root, file, &mut Diagnostics::default())
    {
        sources.insert(file, text.into());
    }
}
