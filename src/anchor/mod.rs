//! Stage 2, anchoring: annotations → spans of an article's rendered text,
//! and the article's HTML with those spans drawn in.
//!
//! - [`markdown`]: pulldown-cmark events, the rendered text with its map back
//!   to the events, span injection;
//! - [`selector`]: a TextQuoteSelector → ranges of the rendered text,
//!   re-anchoring and the closest match for diagnostics; [`choose`]: the
//!   other way, the smallest selector for a span (what the annotator writes);
//! - [`autolink`]: automatic mentions, every entity name in one pass;
//! - [`article`]: one article anchored — annotations resolved and checked,
//!   automatic mentions added, every span drawn ([`markup`]), problems
//!   reported ([`problems`]); every article in parallel, cached across
//!   rebuilds and ([`stored`]) across processes;
//! - [`quote_id`]: the id (permalink) of a quote that has no `id`.

pub mod article;
pub mod autolink;
pub mod choose;
pub mod markdown;
pub mod markup;
pub mod problems;
pub mod quote_id;
pub mod selector;
pub mod stored;
