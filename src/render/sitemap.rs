//! The sitemap (the sitemaps.org protocol): the absolute URL of every HTML
//! page, sorted. The protocol allows at most 50,000 URLs in a file, and
//! search engines refuse a longer one; a site with more (about 13,000
//! articles with glossa's quote and entity pages) gets a sitemap index in
//! `sitemap.xml` naming `sitemap-1.xml`, `sitemap-2.xml`…: each part the
//! next 50,000 pages in the order of [`Page::all`], sorted, so that a part
//! makes the URLs of its own pages only. `robots.txt` names `sitemap.xml`
//! either way.
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
    let pages: Vec<Page> = Page::all(site).into_iter().filter(Page::in_sitemap).collect();
    let urls_of = |r: std::ops::Range<usize>| -> Vec<String> {
        let urls = pages[r].iter().map(|p| site.config.absolute(&p.url(site)));
        urls.collect()
    };
    let part_url = |k| site.config.absolute(&format!("{root}{}", part_path(k)));
    file_of(pages.len(), MAX_URLS, part, urls_of, part_url)
}

/// The file for `count` pages with at most `limit` in a file: the main one
/// (`part` None) lists them all, or past `limit` the parts (their URLs given
/// by `part_url`); part `k` lists the `k`-th `limit` of them. `urls_of` makes
/// the URLs of a range of the pages; each file lists its own sorted.
fn file_of(
    count: usize,
    limit: usize,
    part: Option<usize>,
    urls_of: impl Fn(std::ops::Range<usize>) -> Vec<String>,
    part_url: impl Fn(usize) -> String,
) -> String {
    let mut s = String::from(XML);
    let range = match part {
        None if parts_of(count, limit) > 0 => {
            s.push_str(&format!("<sitemapindex xmlns=\"{NS}\">\n"));
            for k in 0..parts_of(count, limit) {
                s.push_str(&format!(
                    "<sitemap><loc>{}</loc></sitemap>\n",
                    escape_html(&part_url(k))
                ));
            }
            s.push_str("</sitemapindex>\n");
            return s;
        }
        None => 0..count,
        Some(k) => (k * limit).min(count)..((k + 1) * limit).min(count),
    };
    let mut urls = urls_of(range);
    urls.sort_unstable();
    urls.dedup();
    urlset(&mut s, &urls);
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
        // (in the pages' order, which is not the URLs')
        let urls: Vec<String> = [5, 2, 6, 0, 3, 1, 4]
            .map(|i| format!("https://example.org/a-{i}/?q=1&r=2"))
            .to_vec();
        let urls_of = |r: std::ops::Range<usize>| urls[r].to_vec();
        let part_url = |k| format!("https://example.org/{}", part_path(k));
        let mut sorted = urls.clone();
        sorted.sort();
        // within the limit: one list of every URL, sorted, escaped
        let main = file_of(7, 7, None, urls_of, part_url);
        assert_eq!(locs(&main), ("urlset".to_string(), sorted.clone()));
        assert!(main.contains("&amp;r=2"));
        // past it: the index names three parts; each lists at most three, sorted; together
        // every URL once
        let (kind, named) = locs(&file_of(7, 3, None, urls_of, part_url));
        assert_eq!(kind, "sitemapindex");
        assert_eq!(
            named,
            ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"].map(|p| format!("https://example.org/{p}"))
        );
        let mut listed = Vec::new();
        for k in 0..parts_of(7, 3) {
            let (kind, part) = locs(&file_of(7, 3, Some(k), urls_of, part_url));
            assert!(
                kind == "urlset" && !part.is_empty() && part.len() <= 3,
                "{kind} {part:?}"
            );
            assert!(part.is_sorted(), "{part:?}");
            listed.extend(part);
        }
        listed.sort();
        assert_eq!(listed, sorted);
        assert_eq!((parts(MAX_URLS), parts(MAX_URLS + 1)), (0, 2));
    }
}
