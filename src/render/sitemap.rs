//! The sitemap (the sitemaps.org protocol): the absolute URL of every HTML
//! page, sorted. The protocol allows at most 50,000 URLs in a file, and
//! search engines refuse a longer one; a site with more (about 13,000
//! articles with glossa's quote and entity pages) gets a sitemap index in
//! `sitemap.xml` naming `sitemap-1.xml`, `sitemap-2.xml`…, 50,000 URLs
//! each. `robots.txt` names `sitemap.xml` either way.
//!
//! Stage 4 of the pipeline: rendering.

use super::Page;
use crate::site::Site;
use crate::text::escape_html;

/// At most this many URLs in one file: the protocol's limit.
pub const MAX_URLS: usize = 50_000;

const XML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
const NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// How many part files (`sitemap-N.xml`) a site with `urls` URLs has: none
/// when they fit in `sitemap.xml`.
pub fn parts(urls: usize) -> usize {
    parts_of(urls, MAX_URLS)
}

fn parts_of(urls: usize, limit: usize) -> usize {
    if urls <= limit { 0 } else { urls.div_ceil(limit) }
}

/// The path of part `k` (from 0).
pub fn part_path(k: usize) -> String {
    format!("sitemap-{}.xml", k + 1)
}

/// `sitemap.xml` (`part` None) or part file `part` of `site`.
pub fn file(site: &Site, part: Option<usize>) -> String {
    let root = site.config.root_path();
    let urls = urls(site);
    let part_url = |k| site.config.absolute(&format!("{root}{}", part_path(k)));
    file_of(&urls, MAX_URLS, part, part_url)
}

/// Every page's absolute URL, sorted.
fn urls(site: &Site) -> Vec<String> {
    let mut urls: Vec<String> = Page::all(site)
        .into_iter()
        .filter(Page::in_sitemap)
        .map(|p| site.config.absolute(&p.url(site)))
        .collect();
    urls.sort_unstable();
    urls.dedup();
    urls
}

/// The file for `urls` (sorted) with at most `limit` in a file: the main
/// one (`part` None) lists them all, or past `limit` the parts (their URLs
/// given by `part_url`); part `k` lists the `k`-th `limit` of them.
fn file_of(urls: &[String], limit: usize, part: Option<usize>, part_url: impl Fn(usize) -> String) -> String {
    let mut s = String::from(XML);
    match part {
        None if parts_of(urls.len(), limit) > 0 => {
            s.push_str(&format!("<sitemapindex xmlns=\"{NS}\">\n"));
            for k in 0..parts_of(urls.len(), limit) {
                s.push_str(&format!(
                    "<sitemap><loc>{}</loc></sitemap>\n",
                    escape_html(&part_url(k))
                ));
            }
            s.push_str("</sitemapindex>\n");
            return s;
        }
        None => urlset(&mut s, urls),
        Some(k) => urlset(&mut s, urls.chunks(limit).nth(k).unwrap_or_default()),
    }
    s
}

fn urlset(s: &mut String, urls: &[String]) {
    s.push_str(&format!("<urlset xmlns=\"{NS}\">\n"));
    for u in urls {
        s.push_str("<url><loc>");
        s.push_str(&escape_html(u));
        s.push_str("</loc></url>\n");
    }
    s.push_str("</urlset>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `<loc>`s of a file, and its root element's name.
    fn locs(xml: &str) -> (String, Vec<String>) {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().namespace(), Some(NS));
        let locs = root
            .descendants()
            .filter(|n| n.tag_name().name() == "loc")
            .map(|n| n.text().unwrap().to_string())
            .collect();
        (root.tag_name().name().to_string(), locs)
    }

    #[test]
    fn past_the_limit_the_sitemap_is_an_index_of_parts_holding_every_url_once() {
        let urls: Vec<String> = (0..7).map(|i| format!("https://example.org/a-{i}/?q=1&r=2")).collect();
        let part_url = |k| format!("https://example.org/{}", part_path(k));
        // within the limit: one list of every URL, escaped
        let (kind, all) = locs(&file_of(&urls, 7, None, part_url));
        assert_eq!((kind.as_str(), &all), ("urlset", &urls));
        assert!(file_of(&urls, 7, None, part_url).contains("&amp;r=2"));
        // past it: the index names three parts; together they list every URL once, in order
        let (kind, named) = locs(&file_of(&urls, 3, None, part_url));
        assert_eq!(kind, "sitemapindex");
        assert_eq!(
            named,
            ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"].map(|p| format!("https://example.org/{p}"))
        );
        let mut listed = Vec::new();
        for k in 0..parts_of(urls.len(), 3) {
            let (kind, part) = locs(&file_of(&urls, 3, Some(k), part_url));
            assert!(
                kind == "urlset" && !part.is_empty() && part.len() <= 3,
                "{kind} {part:?}"
            );
            listed.extend(part);
        }
        assert_eq!(listed, urls);
        assert_eq!((parts(MAX_URLS), parts(MAX_URLS + 1)), (0, 2));
    }
}
