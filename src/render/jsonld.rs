//! schema.org JSON-LD for each page: articles as `NewsArticle` with the
//! entities they mention, quotes as `Quotation`, entities as `Person` /
//! `Organization` / `Place` … with `sameAs` Wikidata, the home page as
//! `WebSite`. Serialised so that it cannot close its `<script>` element.
//!
//! Stage 4 of the pipeline: rendering.

use serde_json::{Value, json};

use crate::config::Config;
use crate::content::EntityKind;
use crate::site::Site;
use crate::urls::Urls;

fn schema_type(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Person => "Person",
        EntityKind::Organization => "Organization",
        EntityKind::Place => "Place",
        EntityKind::Product => "Product",
        EntityKind::Event => "Event",
        EntityKind::Work => "CreativeWork",
        EntityKind::Concept => "DefinedTerm",
    }
}

/// The JSON text, safe inside `<script type="application/ld+json">`: every
/// `<`, `>` and `&` is written as a `\u` escape, so neither `</script>` nor
/// `<!--` can appear (a superset of escaping `</`).
pub fn to_script_text(v: &Value) -> String {
    crate::text::json_for_script(v)
}

fn entity_ref(site: &Site, urls: &Urls, cfg: &Config, e: usize) -> Value {
    let n = &site.entities[e];
    let mut v = json!({
        "@type": schema_type(n.src.kind),
        "name": n.src.name,
        "url": cfg.absolute(&urls.entity(&n.src.id)),
    });
    let mut same_as = Vec::new();
    if let Some(q) = &n.src.wikidata {
        same_as.push(format!("https://www.wikidata.org/wiki/{q}"));
    }
    if let Some(u) = &n.src.url {
        same_as.push(u.clone());
    }
    if !same_as.is_empty() {
        v["sameAs"] = json!(same_as);
    }
    v
}

pub fn article(site: &Site, urls: &Urls, i: usize, image: Option<&str>) -> Value {
    let cfg = &site.config;
    let a = &site.articles[i];
    let url = cfg.absolute(&urls.article(&a.src.slug));
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.src.title,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": a.src.lang.as_deref().unwrap_or(&cfg.language),
        "mentions": a.entities.iter().map(|&(e, _)| entity_ref(site, urls, cfg, e)).collect::<Vec<_>>(),
        "about": a.entities.iter().take(3).map(|&(e, _)| entity_ref(site, urls, cfg, e)).collect::<Vec<_>>(),
        "publisher": {"@type": "Organization", "name": cfg.title},
    });
    if let Some(d) = &a.src.date {
        v["datePublished"] = json!(d);
    }
    if let Some(d) = &a.src.description {
        v["description"] = json!(d);
    }
    if !a.src.authors.is_empty() {
        v["author"] = json!(
            a.src
                .authors
                .iter()
                .map(|n| json!({"@type": "Person", "name": n}))
                .collect::<Vec<_>>()
        );
    }
    if let Some(src) = &a.src.source {
        let mut based = json!({"@type": "CreativeWork", "name": src});
        if let Some(u) = &a.src.source_url {
            based["url"] = json!(u);
        }
        v["isBasedOn"] = based;
    }
    if let Some(img) = image {
        v["image"] = json!(img);
    }
    v
}

pub fn quote(site: &Site, urls: &Urls, i: usize, image: Option<&str>) -> Value {
    let cfg = &site.config;
    let q = &site.quotes[i];
    let a = &site.articles[q.article];
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Quotation",
        "text": q.text,
        "url": cfg.absolute(&urls.quote(&q.id)),
        "creator": entity_ref(site, urls, cfg, q.speaker),
        "isPartOf": {
            "@type": "NewsArticle",
            "headline": a.src.title,
            "url": cfg.absolute(&urls.article(&a.src.slug)),
        },
    });
    if let Some(d) = &a.src.date {
        v["isPartOf"]["datePublished"] = json!(d);
    }
    if let Some(img) = image {
        v["image"] = json!(img);
    }
    v
}

pub fn entity(site: &Site, urls: &Urls, i: usize) -> Value {
    let cfg = &site.config;
    let n = &site.entities[i];
    let mut v = entity_ref(site, urls, cfg, i);
    v["@context"] = json!("https://schema.org");
    if !n.summary.is_empty() {
        v["description"] = json!(n.summary);
    }
    if !n.src.aliases.is_empty() {
        v["alternateName"] = json!(n.src.aliases);
    }
    v
}

pub fn website(site: &Site, urls: &Urls) -> Value {
    let cfg = &site.config;
    json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": cfg.title,
        "url": cfg.absolute(&urls.root),
        "inLanguage": cfg.language,
    })
}
