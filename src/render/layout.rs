//! The site's header and footer (`site_header.html`, `site_footer.html`), rendered once per
//! render for each index page the navigation links to and once for every other page, instead
//! of on every page: `base.html` puts them in as `layout.header_html` and
//! `layout.footer_html`. They see `site`, `t` and `current` (the index page's URL, empty for
//! the others) and nothing of the page, so one rendering serves every page of its kind —
//! like Hugo's `partialCached`. On the 10,000-article bench site they were about a third of
//! the layout's cost (`docs/performance-history.md`, stop 49).
//!
//! A page's fingerprint covers what they show without them: `site` is in every page's view,
//! `t` is in the strings' hash, `current` follows from `page.url`, and the two templates are
//! in every page template's fingerprint (they are not page templates).
//!
//! Stage 4 of the pipeline: rendering.

use std::sync::OnceLock;

use tera::{Context, Value};

use super::{Page, templates::Templates};
use crate::site::Site;

/// Why the header or footer did not render: Tera's message, and where in the site's own
/// template.
pub type LayoutError = (String, Option<super::templates::Spot>);

/// The header and footer of one render, made by the first page that asks.
#[derive(Default)]
pub struct Layouts {
    /// `(current, {"header_html": …, "footer_html": …})`, the first with `current` empty; or
    /// the error rendering them gave.
    made: OnceLock<Result<Vec<(String, Value)>, LayoutError>>,
}

/// The index pages the navigation links to: each gets its own header and footer (with its
/// link marked `aria-current`); every other page shares one.
const INDEX_PAGES: [Page; 6] = [
    Page::Home(0),
    Page::EntityIndex,
    Page::QuoteIndex(0),
    Page::TagIndex,
    Page::Search,
    Page::ArchiveIndex,
];

impl Layouts {
    /// The `layout` value of `page`'s context: `{"header_html": …, "footer_html": …}`.
    /// (`strings`: the UI strings' value, `t`.)
    pub fn of(&self, site: &Site, tera: &Templates, strings: &Value, page: Page) -> Result<Value, LayoutError> {
        let made = self
            .made
            .get_or_init(|| make(site, tera, strings))
            .as_ref()
            .map_err(Clone::clone)?;
        let current = match INDEX_PAGES.contains(&page) {
            true => page.url(site),
            false => String::new(),
        };
        // (the first is for every other page)
        let found = made.iter().find(|(c, _)| *c == current).or(made.first());
        Ok(found.map_or_else(Value::none, |(_, value)| value.clone()))
    }
}

/// Renders both templates for every page kind: for no index page (`current` empty), then
/// for each index page.
fn make(site: &Site, tera: &Templates, strings: &Value) -> Result<Vec<(String, Value)>, LayoutError> {
    let currents = std::iter::once(String::new()).chain(INDEX_PAGES.iter().map(|p| p.url(site)));
    let mut ctx = Context::new();
    ctx.insert(
        "site",
        &super::site_view(
            site,
            &crate::urls::Urls {
                root: site.config.root_path(),
            },
        ),
    );
    ctx.insert_value("t", strings.clone());
    currents
        .map(|current| {
            ctx.insert("current", &current);
            let render = |name: &str| tera.tera.render(name, &ctx).map_err(|e| tera.failure(&e));
            let mut value = tera::Map::new();
            value.insert("header_html".into(), Value::from(render("site_header.html")?));
            value.insert("footer_html".into(), Value::from(render("site_footer.html")?));
            let value = Value::from(value);
            Ok((current, value))
        })
        .collect()
}
