//! Drawing anchored spans: the markup each kind of span gets in the article
//! (a mention's link, a quote's `<mark>` and permalink, a note's sidenote, a
//! cross-link), the ids entity pages link back to, and the node data the
//! site graph is linked from. Also where a `[[link]]` points; a quote
//! without an `id` gets one from [`super::quote_id`].
//!
//! Stage 2 of the pipeline: anchoring.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::article::{AnchoredQuote, Explicit, ExplicitNode, LinkTargets, MentionNode, NoteNode};
use super::markdown::{self, Document, Inject, Markup, render_inline};
use super::problems::{duplicate_id_diag, undrawable_diag, unsafe_url_diag};
use super::quote_id;
use crate::config::Autolink;
use crate::content::{Annotation, Article, Kind};
use crate::diagnostics::Diagnostic;
use crate::i18n;
use crate::text::{context, escape_html, slugify};

/// Injection ranks: where spans share a boundary, the lower rank is outside.
const RANK_LINK: u8 = 0;
const RANK_QUOTE: u8 = 1;
const RANK_NOTE: u8 = 2;
const RANK_MENTION: u8 = 3;

/// How many characters of text around a quote its card shows.
pub const QUOTE_CONTEXT: usize = 140;

/// A span to draw: an explicit annotation, or an automatic mention of an
/// entity (by index).
pub enum Span<'a> {
    Explicit(&'a Annotation),
    Auto(usize),
}

/// One article's spans as they are drawn, in document order.
pub struct Drawing<'a> {
    text: &'a str,
    /// The article's slug (derived quote ids hash it).
    slug: &'a str,
    /// The quote ids its annotation file pins: a derived id steps aside.
    pinned: HashSet<&'a str>,
    /// The quote annotations drawn so far (by address): a later occurrence
    /// of an `all = true` quote is not a quote of its own.
    quoted: HashSet<*const Annotation>,
    links: &'a LinkTargets<'a>,
    strings: &'a i18n::Strings,
    mode: Autolink,
    ann_path: &'a Path,
    /// Mentions so far per entity (their `n`).
    per_entity: HashMap<usize, usize>,
    /// Entities already linked ("first": one link each).
    linked: HashSet<usize>,
    pub injects: Vec<Inject>,
    pub mentions: Vec<MentionNode>,
    pub quotes: Vec<AnchoredQuote>,
    pub notes: Vec<NoteNode>,
    pub explicit: Vec<ExplicitNode>,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Drawing<'a> {
    pub fn new(
        text: &'a str,
        article: &'a Article,
        links: &'a LinkTargets<'a>,
        strings: &'a i18n::Strings,
        mode: Autolink,
        ann_path: &'a Path,
    ) -> Drawing<'a> {
        let pinned = article
            .annotations
            .iter()
            .filter_map(|a| match &a.kind {
                Kind::Quote { id: Some(id), .. } => Some(id.get_ref().as_str()),
                _ => None,
            })
            .collect();
        Drawing {
            text,
            slug: &article.slug,
            pinned,
            quoted: HashSet::new(),
            links,
            strings,
            mode,
            ann_path,
            per_entity: HashMap::new(),
            linked: HashSet::new(),
            injects: Vec::new(),
            mentions: Vec::new(),
            quotes: Vec::new(),
            notes: Vec::new(),
            explicit: Vec::new(),
            diags: Vec::new(),
        }
    }

    /// Draws the next span (spans come in document order).
    pub fn span(&mut self, range: Range<usize>, span: Span<'_>) {
        let ann = match span {
            Span::Auto(e) => return self.auto_mention(range, e),
            Span::Explicit(ann) => ann,
        };
        let drawn = match &ann.kind {
            Kind::Mention { entity } => Some(self.mention(&range, entity.get_ref())),
            Kind::Quote { id, speaker } => self.quote(&range, ann, id.as_ref(), speaker.get_ref()),
            Kind::Note { body } => Some(self.note(&range, ann, body)),
            Kind::Link { to } => Some(self.link(&range, to.get_ref())),
        };
        if let Some((rank, markup)) = drawn {
            self.injects.push(Inject { range, rank, markup });
        }
    }

    /// The next mention of entity `e` here: its number and element id.
    fn next_mention(&mut self, range: &Range<usize>, e: usize, id: &str) -> String {
        let n = self.per_entity.entry(e).or_default();
        *n += 1;
        let mention = MentionNode {
            entity: e,
            n: *n,
            range: range.clone(),
        };
        let mid = mention.element_id(id);
        self.mentions.push(mention);
        mid
    }

    /// An automatic mention: a link, or — past the first under `autolink =
    /// "first"` — a plain span, still a mention with an id for the entity
    /// page's deep links.
    fn auto_mention(&mut self, range: Range<usize>, e: usize) {
        let id = self.links.ids[e];
        let mid = self.next_mention(&range, e, id);
        let link = self.mode == Autolink::All || self.linked.insert(e);
        let markup = Markup {
            tag: if link { "a" } else { "span" },
            class: if link { "mention auto" } else { "mention mention-plain" }.into(),
            id: Some(mid),
            href: link.then(|| self.links.urls.entity(id)),
            data: vec![("entity", id.to_string())],
            after: String::new(),
        };
        self.injects.push(Inject {
            range,
            rank: RANK_MENTION,
            markup,
        });
    }

    fn mention(&mut self, range: &Range<usize>, entity: &str) -> (u8, Markup) {
        let e = self.links.entities[entity];
        self.linked.insert(e);
        self.explicit.push(ExplicitNode {
            range: range.clone(),
            what: Explicit::Mention(e),
        });
        let id = self.next_mention(range, e, entity);
        let markup = Markup {
            tag: "a",
            class: "mention".into(),
            id: Some(id),
            href: Some(self.links.urls.entity(entity)),
            data: vec![("entity", entity.to_string())],
            after: String::new(),
        };
        (RANK_MENTION, markup)
    }

    /// A quote: its card's data, a `<mark>` and the permalink after it.
    /// `None` for a later occurrence of an `all = true` quote (the first
    /// occurrence is the card), and for a second quote pinned to an id
    /// this article already uses (an error).
    fn quote(
        &mut self,
        range: &Range<usize>,
        ann: &Annotation,
        id: Option<&Spanned<String>>,
        speaker: &str,
    ) -> Option<(u8, Markup)> {
        if !self.quoted.insert(ann) {
            return None;
        }
        let text = self.text;
        let qtext = text[range.clone()].trim_matches(['“', '”', '"']).to_string();
        let taken = |quotes: &[AnchoredQuote], id: &str| quotes.iter().any(|q| q.id == id);
        let qid = match id {
            Some(id) if taken(&self.quotes, id.get_ref()) => {
                self.diags.push(duplicate_id_diag(self.ann_path, id));
                return None;
            }
            Some(id) => id.get_ref().clone(),
            // the first id of the sequence this article leaves free
            None => (0..)
                .map(|k| quote_id::derive(speaker, self.slug, &qtext, k))
                .find(|d| !taken(&self.quotes, d) && !self.pinned.contains(d.as_str()))
                .unwrap_or_default(),
        };
        let speaker = self.links.entities[speaker];
        self.explicit.push(ExplicitNode {
            range: range.clone(),
            what: Explicit::Quote {
                id: qid.clone(),
                speaker,
            },
        });
        let undrawable = (self.links.anchoring.undrawable)(&qtext);
        if !undrawable.is_empty() {
            self.diags
                .push(undrawable_diag(self.ann_path, ann.exact_span.clone(), &undrawable));
        }
        let around = context(text, range, QUOTE_CONTEXT);
        self.quotes.push(AnchoredQuote {
            id: qid.clone(),
            pinned: id.is_some(),
            at: ann.exact_span.clone(),
            range: range.clone(),
            speaker,
            text: qtext,
            context: crate::files::hash_value(around),
        });
        let after = format!(
            "<a class=\"quote-link\" href=\"{}\" aria-label=\"{}\"></a>",
            escape_html(&self.links.urls.quote(&qid)),
            escape_html(&self.strings.quote_link)
        );
        let markup = Markup {
            tag: "mark",
            class: "quote".into(),
            id: Some(format!("q-{qid}")),
            href: None,
            data: vec![("quote", qid)],
            after,
        };
        Some((RANK_QUOTE, markup))
    }

    /// A note: its reference and the sidenote after it (numbered by CSS).
    fn note(&mut self, range: &Range<usize>, ann: &Annotation, body: &str) -> (u8, Markup) {
        self.explicit.push(ExplicitNode {
            range: range.clone(),
            what: Explicit::Note(body.to_string()),
        });
        for (_, url) in markdown::unsafe_urls(&Document::parse(body)) {
            self.diags
                .push(unsafe_url_diag(self.ann_path, ann.exact_span.clone(), &url));
        }
        let k = self.notes.len() + 1;
        let body_html = render_inline(body);
        // The number is drawn by CSS (a counter), so the toggle is named for
        // screen readers with `aria-label`.
        let toggle = escape_html(&self.strings.note_toggle.replace("{n}", &k.to_string()));
        let after = format!(
            "<label for=\"sn-{k}\" class=\"margin-toggle sidenote-number\"></label><input type=\"checkbox\" id=\"sn-{k}\" class=\"margin-toggle\" aria-label=\"{toggle}\"><span class=\"sidenote\" role=\"note\">{body_html}</span>"
        );
        self.notes.push(NoteNode {
            number: k,
            id: format!("n-{k}"),
            body_html,
        });
        let markup = Markup {
            tag: "span",
            class: "note-ref".into(),
            id: Some(format!("n-{k}")),
            href: None,
            data: vec![],
            after,
        };
        (RANK_NOTE, markup)
    }

    fn link(&mut self, range: &Range<usize>, to: &str) -> (u8, Markup) {
        self.explicit.push(ExplicitNode {
            range: range.clone(),
            what: Explicit::Link(to.to_string()),
        });
        let href = resolve_link(to, self.links).unwrap_or_default();
        let markup = Markup {
            tag: "a",
            class: "xref".into(),
            id: None,
            href: Some(href),
            data: vec![],
            after: String::new(),
        };
        (RANK_LINK, markup)
    }
}

/// Where a `[[link]]` `to` points, or why it cannot.
pub fn resolve_link(to: &str, links: &LinkTargets<'_>) -> Result<String, &'static str> {
    if let Some(slug) = linked_slug(to) {
        let fragment = to.split_once('#').map(|(_, f)| f);
        if slug.is_empty() || !links.anchoring.articles.contains(&slug) {
            return Err("no such article");
        }
        let url = links.urls.article(&slug);
        return Ok(match fragment {
            Some(f) if !f.is_empty() => format!("{url}#{f}"),
            _ => url,
        });
    }
    if let Some(id) = to.strip_prefix("entity:") {
        return if links.entities.contains_key(id) {
            Ok(links.urls.entity(id))
        } else {
            Err("unknown entity")
        };
    }
    let lower = to.trim().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:") {
        return Ok(to.trim().to_string());
    }
    Err("unsupported URL scheme")
}

/// The article slug a link target `@/articles/…` names.
pub fn linked_slug(to: &str) -> Option<String> {
    let rest = to.strip_prefix("@/articles/")?;
    let path = rest.split_once('#').map_or(rest, |(p, _)| p);
    let stem = path.trim_end_matches(".md").rsplit('/').next().unwrap_or("");
    Some(slugify(stem))
}
