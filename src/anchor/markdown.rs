//! Markdown as glossa sees it: pulldown-cmark's event stream, the article's
//! *rendered text* (what the reader sees, Markdown syntax gone, every run of
//! white space one space, blocks separated by `\n`) with a map back into the
//! events, and span injection — turning spans of rendered text into markup
//! that stays well-formed across inline formatting and never nests `<a>`.
//!
//! Raw HTML in articles is shown as text (escaped), never passed through.
//!
//! Stage 2 of the pipeline: anchoring.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::text::escape_html_into;

/// The Markdown extensions glossa enables.
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// A parsed article: its events (raw HTML already turned into text), the
/// source range of each event, and the rendered text.
pub struct Document<'a> {
    pub events: Vec<Event<'a>>,
    pub src: Vec<Range<usize>>,
    pub text: RenderedText,
}

/// Link and image destinations that would run code or smuggle a document
/// (`javascript:`, `vbscript:`, `data:`, `file:` and any scheme other than
/// http(s), mailto, tel and ftp), with the source range of each. Browsers
/// ignore tabs, newlines and case in a scheme, so this does too.
pub fn unsafe_urls(doc: &Document<'_>) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    for (ev, src) in doc.events.iter().zip(&doc.src) {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = ev
            && !is_safe_url(dest_url)
        {
            out.push((src.clone(), dest_url.to_string()));
        }
    }
    out
}

/// Whether a URL written by an author may become an `href`/`src`.
pub fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let lower = cleaned.to_ascii_lowercase();
    match lower.find(':') {
        // A colon after the first / ? or # is not a scheme.
        Some(i) if !lower[..i].contains(['/', '?', '#']) => {
            let scheme = &lower[..i];
            let is_scheme = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            !is_scheme || matches!(scheme, "http" | "https" | "mailto" | "tel" | "ftp")
        }
        _ => true,
    }
}

/// The text a reader sees, with a map from its bytes back to the events.
#[derive(Debug, Default, Clone)]
pub struct RenderedText {
    pub text: String,
    /// Runs of rendered text that are byte-identical to a run of an event's
    /// text, in order. A collapsed white-space run is a piece of length 1.
    pieces: Vec<Piece>,
    /// Rendered ranges inside inline code or code blocks: not annotatable.
    pub code: Vec<Range<usize>>,
    /// Rendered ranges inside headings and links: annotatable, but never
    /// linked automatically.
    pub no_autolink: Vec<Range<usize>>,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    at: usize,
    len: usize,
    event: usize,
    offset: usize,
}

impl RenderedText {
    fn piece_at(&self, pos: usize) -> Option<&Piece> {
        let i = self.pieces.partition_point(|p| p.at + p.len <= pos);
        self.pieces.get(i).filter(|p| p.at <= pos)
    }

    /// Event and byte offset in its text where the character at `pos` starts.
    pub fn locate_start(&self, pos: usize) -> Option<(usize, usize)> {
        let p = self.piece_at(pos)?;
        Some((p.event, p.offset + (pos - p.at).min(p.len.saturating_sub(1))))
    }

    /// Event and byte offset just after the character that ends at `end`
    /// (after a collapsed white-space run, its first character: the piece is
    /// one byte long).
    pub fn locate_end(&self, end: usize) -> Option<(usize, usize)> {
        let last = self.text[..end].chars().next_back()?;
        let p = self.piece_at(end - last.len_utf8())?;
        Some((p.event, p.offset + (end - p.at)))
    }

    /// Whether `range` touches code.
    pub fn overlaps_code(&self, range: &Range<usize>) -> bool {
        self.code.iter().any(|c| c.start < range.end && range.start < c.end)
    }

    /// Whether `range` touches code, a heading or a link.
    pub fn refuses_autolink(&self, range: &Range<usize>) -> bool {
        let touches = |c: &Range<usize>| c.start < range.end && range.start < c.end;
        self.code.iter().any(touches) || self.no_autolink.iter().any(touches)
    }
}

impl<'a> Document<'a> {
    /// Parses `markdown` (NFC, LF).
    pub fn parse(markdown: &'a str) -> Document<'a> {
        let mut events = Vec::new();
        let mut src = Vec::new();
        for (ev, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
            let ev = match ev {
                // Raw HTML is shown as text, never trusted.
                Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
                Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
                Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
                other => other,
            };
            events.push(ev);
            src.push(range);
        }
        let text = build_text(&events);
        Document { events, src, text }
    }

    /// Byte offset in the Markdown source of rendered position `pos`.
    pub fn source_offset(&self, pos: usize) -> usize {
        match self.text.locate_start(pos) {
            Some((ev, off)) => {
                let r = &self.src[ev];
                // Text events map 1:1 unless escapes/entities shortened them.
                (r.start + off).min(r.end)
            }
            None => 0,
        }
    }
}

fn build_text(events: &[Event<'_>]) -> RenderedText {
    let mut rt = RenderedText::default();
    let mut image_depth = 0usize;
    let mut in_code_block = false;
    // inside a heading or a link (no automatic links there)
    let mut plain_depth = 0usize;
    for (i, ev) in events.iter().enumerate() {
        match ev {
            Event::Start(Tag::Heading { .. } | Tag::Link { .. }) => plain_depth += 1,
            Event::End(TagEnd::Heading(_) | TagEnd::Link) => plain_depth = plain_depth.saturating_sub(1),
            _ => {}
        }
        match ev {
            Event::Start(Tag::Image { .. }) => image_depth += 1,
            Event::End(TagEnd::Image) => image_depth = image_depth.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => {
                end_block(&mut rt);
                in_code_block = true;
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                end_block(&mut rt);
            }
            // (every block, table row and cell starts with one of these: its end needs nothing)
            Event::Start(t) if !matches!(t, Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. }) => {
                end_block(&mut rt)
            }
            Event::Text(s) if image_depth == 0 => {
                let start = rt.text.len();
                push_text(&mut rt, s, i);
                if in_code_block {
                    rt.code.push(start..rt.text.len());
                } else if plain_depth > 0 {
                    rt.no_autolink.push(start..rt.text.len());
                }
            }
            Event::Code(s) if image_depth == 0 => {
                let start = rt.text.len();
                push_text(&mut rt, s, i);
                rt.code.push(start..rt.text.len());
            }
            Event::SoftBreak | Event::HardBreak if image_depth == 0 => push_space(&mut rt, i, 0),
            _ => {}
        }
    }
    end_block(&mut rt);
    if rt.text.ends_with('\n') {
        rt.text.pop();
    }
    rt
}

fn end_block(rt: &mut RenderedText) {
    if rt.text.ends_with(' ') {
        rt.text.pop();
        // (the space ends the last piece, alone or after words)
        match rt.pieces.last_mut() {
            Some(p) if p.len > 1 => p.len -= 1,
            _ => {
                rt.pieces.pop();
            }
        }
    }
    if !rt.text.is_empty() && !rt.text.ends_with('\n') {
        rt.text.push('\n');
    }
}

fn push_space(rt: &mut RenderedText, event: usize, offset: usize) {
    if rt.text.is_empty() || rt.text.ends_with(' ') || rt.text.ends_with('\n') {
        return;
    }
    rt.pieces.push(Piece {
        at: rt.text.len(),
        len: 1,
        event,
        offset,
    });
    rt.text.push(' ');
}

/// Appends an event's text, every run of white space one space (none at the start of a block
/// or after a space): what is copied as it is — words and the single spaces between them —
/// extends one piece, so an event's plain prose is one piece however many words it has (a
/// piece per word and per space was 2% of a cold build's samples); a run of white space that
/// is not a single ASCII space is a piece of its own, of length 1.
fn push_text(rt: &mut RenderedText, s: &str, event: usize) {
    // Where the run copied as it is starts in `s`, and whether the last character kept (in the
    // run, else in the text) is a space or a line break, or there is none yet.
    let mut run: Option<usize> = None;
    let mut after_space = rt.text.is_empty() || rt.text.ends_with([' ', '\n']);
    let bytes = s.as_bytes();
    let mut off = 0;
    while off < bytes.len() {
        if plain(bytes, off) || (bytes[off] == b' ' && !after_space) {
            // Words and the single spaces between them, stepped over a byte at a time (decoding
            // each character and asking whether it is white space was 1.5% of a cold build's
            // samples): they extend the run.
            run.get_or_insert(off);
            while off < bytes.len() {
                if plain(bytes, off) {
                    after_space = false;
                } else if bytes[off] == b' ' && !after_space {
                    after_space = true;
                } else {
                    break;
                }
                off += 1;
            }
            continue;
        }
        let (white, space, len) = match bytes[off] {
            b' ' => (true, true, 1),
            b'\t'..=b'\r' => (true, false, 1),
            0..0x80 => (false, false, 1),
            _ => {
                let c = s[off..].chars().next().unwrap_or_default();
                (c.is_whitespace(), false, c.len_utf8())
            }
        };
        if !white {
            run.get_or_insert(off);
            after_space = false;
        } else if space && !after_space {
            run.get_or_insert(off);
            after_space = true;
        } else {
            // (collapsed: into the space or line break before it, else into one space)
            if let Some(st) = run.take() {
                push_run(rt, &s[st..off], event, st);
            }
            if !after_space {
                push_space(rt, event, off);
                after_space = true;
            }
        }
        off += len;
    }
    if let Some(st) = run {
        push_run(rt, &s[st..], event, st);
    }
}

/// Whether the byte at `at` of a text cannot start white space: an ASCII byte other than a
/// space or `\t`..`\r`, a byte inside a character, or a character's first byte that no white
/// space (`char::is_whitespace`: U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
/// U+202F, U+205F, U+3000) starts with — every first byte but `C2`, `E1 9A`, `E2` and `E3`.
/// (`E1` starts most of Vietnamese's letters with tone marks, so it looks at the next byte.)
#[inline(always)]
fn plain(bytes: &[u8], at: usize) -> bool {
    /// Per first byte: 0 plain, 1 not, 2 plain unless `9A` follows.
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 9;
        while b <= 13 {
            t[b] = 1;
            b += 1;
        }
        t[b' ' as usize] = 1;
        t[0xC2] = 1;
        t[0xE2] = 1;
        t[0xE3] = 1;
        t[0xE1] = 2;
        t
    };
    match CLASS[bytes[at] as usize] {
        0 => true,
        1 => false,
        _ => bytes.get(at + 1) != Some(&0x9A),
    }
}

fn push_run(rt: &mut RenderedText, run: &str, event: usize, offset: usize) {
    rt.pieces.push(Piece {
        at: rt.text.len(),
        len: run.len(),
        event,
        offset,
    });
    rt.text.push_str(run);
}

/// How one annotation is drawn around its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markup {
    /// `a`, `mark` or `span`. An `a` inside another link becomes a `span`
    /// without `href`.
    pub tag: &'static str,
    /// Classes; continuation pieces add `FIRST-cont`.
    pub class: String,
    /// Only on the first piece.
    pub id: Option<String>,
    pub href: Option<String>,
    /// `data-*` attributes (name without `data-`), on every piece.
    pub data: Vec<(&'static str, String)>,
    /// Trusted HTML placed right after the span ends, outside any link.
    pub after: String,
}

/// A span of rendered text to mark up.
#[derive(Debug, Clone)]
pub struct Inject {
    pub range: Range<usize>,
    /// Nesting preference for equal ranges: lower is outer.
    pub rank: u8,
    pub markup: Markup,
}

impl Markup {
    fn open(&self, out: &mut String, first: bool, in_link: bool) {
        let tag = if self.tag == "a" && in_link { "span" } else { self.tag };
        out.push('<');
        out.push_str(tag);
        out.push_str(" class=\"");
        escape_html_into(out, &self.class);
        if !first {
            let base = self.class.split(' ').next().unwrap_or("");
            out.push(' ');
            escape_html_into(out, base);
            out.push_str("-cont");
        }
        out.push('"');
        if first && let Some(id) = &self.id {
            out.push_str(" id=\"");
            escape_html_into(out, id);
            out.push('"');
        }
        if tag == "a"
            && let Some(href) = &self.href
        {
            out.push_str(" href=\"");
            escape_html_into(out, href);
            out.push('"');
        }
        for (k, v) in &self.data {
            out.push_str(" data-");
            out.push_str(k);
            out.push_str("=\"");
            escape_html_into(out, v);
            out.push('"');
        }
        out.push('>');
    }

    fn close(&self, out: &mut String, in_link: bool) {
        let tag = if self.tag == "a" && in_link { "span" } else { self.tag };
        out.push_str("</");
        out.push_str(tag);
        out.push('>');
    }
}

/// Renders `doc` to HTML with `spans` injected. Spans must be well-nested
/// (no partial overlaps), lie within one block and outside code; the caller
/// (anchoring) guarantees that and reports the rest as diagnostics. A span
/// that still breaks those rules is skipped rather than producing bad HTML.
pub fn render(doc: &Document<'_>, spans: &[Inject]) -> String {
    let bounds = boundaries(doc, spans);
    let mut st = State {
        spans,
        open: Vec::new(),
        started: vec![false; spans.len()],
        md_links: 0,
        images: 0,
        pending: String::new(),
        out: Vec::new(),
        parked: Vec::new(),
    };
    let mut b = 0;
    for (i, ev) in doc.events.iter().enumerate() {
        let k = b;
        while b < bounds.len() && bounds[b].event == i {
            b += 1;
        }
        let here = &bounds[k..b];
        match ev {
            Event::Text(s) if !here.is_empty() => st.split_text(s, here),
            Event::Start(
                tag @ (Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }),
            ) => st.inline_start(tag, ev),
            Event::End(
                tag @ (TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image),
            ) => st.inline_end(tag, ev),
            _ => st.other(ev, here),
        }
    }
    let _ = st.close_all();
    st.flush_pending();
    let mut out = String::with_capacity(doc.text.text.len() * 2);
    pulldown_cmark::html::push_html(&mut out, st.out.into_iter());
    out
}

/// Where a span opens or closes: in which event, at which byte of it.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Bound {
    event: usize,
    offset: usize,
    /// 0 closes, 1 opens (closings first at one place).
    opens: u8,
    /// Opening order (outer first); closings in reverse.
    key: isize,
    span: usize,
}

/// The boundaries of the spans that can be injected, in document order.
/// Opening order: by start, longer first, then rank. A span that is empty,
/// crosses a line, touches code or partly overlaps one accepted before is
/// skipped (anchoring diagnosed it).
fn boundaries(doc: &Document<'_>, spans: &[Inject]) -> Vec<Bound> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| {
        (
            spans[i].range.start,
            std::cmp::Reverse(spans[i].range.end),
            spans[i].rank,
            i,
        )
    });
    let mut bounds = Vec::new();
    let mut accepted: Vec<&Range<usize>> = Vec::new();
    for (seq, &i) in order.iter().enumerate() {
        let r = &spans[i].range;
        if r.start >= r.end || r.end > doc.text.text.len() || doc.text.text[r.clone()].contains('\n') {
            continue;
        }
        if doc.text.overlaps_code(r) {
            continue;
        }
        // Partial overlap with an accepted span: skip (diagnosed earlier).
        if accepted.iter().any(|a| {
            a.start < r.end
                && r.start < a.end
                && !(a.start <= r.start && r.end <= a.end)
                && !(r.start <= a.start && a.end <= r.end)
        }) {
            continue;
        }
        let (Some((se, so)), Some((ee, eo))) = (doc.text.locate_start(r.start), doc.text.locate_end(r.end)) else {
            continue;
        };
        accepted.push(r);
        let seq = seq as isize;
        bounds.push(Bound {
            event: se,
            offset: so,
            opens: 1,
            key: seq,
            span: i,
        });
        bounds.push(Bound {
            event: ee,
            offset: eo,
            opens: 0,
            key: -seq,
            span: i,
        });
    }
    bounds.sort();
    bounds
}

struct State<'s, 'a> {
    spans: &'s [Inject],
    /// Spans whose tag is open now, outermost first: index, whether opened
    /// as a real `<a>`, whether it is the first piece, and where in `out`
    /// its opening tag is.
    open: Vec<(usize, bool, bool, usize)>,
    /// Whether a span's first piece (with its id) was emitted.
    started: Vec<bool>,
    /// Markdown links open now.
    md_links: usize,
    /// Images open now: everything inside goes into the `alt` attribute.
    images: usize,
    /// `after` markup waiting until no link is open.
    pending: String,
    out: Vec<Event<'a>>,
    /// Spans closed around an image, reopened after it.
    parked: Vec<usize>,
}

/// The events of the document, with the spans' tags put in.
impl<'a> State<'_, 'a> {
    /// A text event with boundaries `here` inside: cut at each, the tags
    /// opened and closed between the pieces.
    fn split_text(&mut self, s: &CowStr<'a>, here: &[Bound]) {
        let mut last = 0;
        for bound in here {
            let off = bound.offset.min(s.len());
            if off > last && s.is_char_boundary(off) {
                self.out.push(Event::Text(CowStr::from(s[last..off].to_string())));
                last = off;
            }
            self.open_or_close(bound);
        }
        if last < s.len() {
            self.out.push(Event::Text(CowStr::from(s[last..].to_string())));
        }
    }

    /// Emphasis, strong, strikethrough, a link or an image starts: the open
    /// spans close before it and open again inside (an image's wait until
    /// it ends, with nothing of theirs in its alt text).
    fn inline_start(&mut self, tag: &Tag<'a>, ev: &Event<'a>) {
        let reopen = self.close_all();
        if matches!(tag, Tag::Image { .. }) {
            // `after` markup must not end up in the alt text
            self.flush_pending();
            self.images += 1;
        }
        self.out.push(ev.clone());
        match tag {
            Tag::Image { .. } => self.parked = reopen,
            Tag::Link { .. } => {
                self.md_links += 1;
                self.reopen(reopen);
            }
            _ => self.reopen(reopen),
        }
    }

    /// The end of what [`State::inline_start`] began.
    fn inline_end(&mut self, tag: &TagEnd, ev: &Event<'a>) {
        let reopen = if matches!(tag, TagEnd::Image) {
            std::mem::take(&mut self.parked)
        } else {
            self.close_all()
        };
        self.out.push(ev.clone());
        match tag {
            TagEnd::Link => self.md_links = self.md_links.saturating_sub(1),
            TagEnd::Image => self.images = self.images.saturating_sub(1),
            _ => {}
        }
        self.flush_pending();
        self.reopen(reopen);
    }

    /// Any other event; breaks may carry a boundary (a span ending on a
    /// collapsed space), a block's end closes every span.
    fn other(&mut self, ev: &Event<'a>, here: &[Bound]) {
        if matches!(ev, Event::End(_)) {
            let _ = self.close_all();
            self.flush_pending();
        }
        self.out.push(ev.clone());
        for bound in here {
            self.open_or_close(bound);
        }
    }

    fn open_or_close(&mut self, bound: &Bound) {
        if bound.opens == 1 {
            self.open_span(bound.span)
        } else {
            self.close_span(bound.span)
        }
    }
}

impl State<'_, '_> {
    fn in_link(&self) -> bool {
        self.md_links > 0 || self.open.iter().any(|&(_, a, _, _)| a)
    }

    fn html(&mut self, s: String) {
        if !s.is_empty() {
            self.out.push(Event::InlineHtml(CowStr::from(s)));
        }
    }

    fn open_span(&mut self, i: usize) {
        let first = !self.started[i];
        self.started[i] = true;
        let in_link = self.in_link();
        let mut s = String::new();
        self.spans[i].markup.open(&mut s, first, in_link);
        self.open
            .push((i, self.spans[i].markup.tag == "a" && !in_link, first, self.out.len()));
        self.html(s);
    }

    fn close_top(&mut self) -> Option<usize> {
        let (i, as_a, first, at) = self.open.pop()?;
        if self.out.len() == at + 1 {
            // Nothing since the opening tag (a piece reopened right before
            // more formatting starts or ends): drop it rather than leave an
            // empty element; the id goes to the next piece.
            self.out.pop();
            if first {
                self.started[i] = false;
            }
            return Some(i);
        }
        let mut s = String::new();
        self.spans[i].markup.close(&mut s, !as_a);
        self.html(s);
        Some(i)
    }

    fn close_span(&mut self, i: usize) {
        let Some(pos) = self.open.iter().position(|&(j, _, _, _)| j == i) else {
            return;
        };
        let mut above = Vec::new();
        while self.open.len() > pos + 1 {
            if let Some(j) = self.close_top() {
                above.push(j);
            }
        }
        self.close_top();
        self.pending.push_str(&self.spans[i].markup.after);
        self.flush_pending();
        above.reverse();
        self.reopen(above);
    }

    /// Closes every open span, innermost first; returns them outermost first.
    fn close_all(&mut self) -> Vec<usize> {
        let mut closed = Vec::new();
        while let Some(j) = self.close_top() {
            closed.push(j);
        }
        closed.reverse();
        closed
    }

    fn reopen(&mut self, spans: Vec<usize>) {
        for i in spans {
            self.open_span(i);
        }
    }

    fn flush_pending(&mut self) {
        if !self.in_link() && self.images == 0 && !self.pending.is_empty() {
            let p = std::mem::take(&mut self.pending);
            self.html(p);
        }
    }
}
/// Renders a note body (Markdown, raw HTML escaped) as inline HTML that can
/// sit inside a paragraph: block boundaries become `<br>`.
pub fn render_inline(md: &str) -> String {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let doc = Document::parse(md);
    let mut events = Vec::new();
    for ev in doc.events {
        match ev {
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. })
            | Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link)
            | Event::Text(_)
            | Event::Code(_)
            | Event::SoftBreak
            | Event::HardBreak => events.push(ev),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock) => {
                events.push(Event::InlineHtml("\u{1}".into()))
            }
            // the other blocks' and images' tags (an image's alt text stays, as text)
            _ => {}
        }
    }
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    let out = out.trim_end_matches('\u{1}');
    out.replace('\u{1}', "<br>")
}

#[cfg(test)]
mod tests {
    use super::{Document, is_safe_url};

    /// No white space starts with a byte `plain` steps over, and no character's later byte is
    /// one it stops at (so it stops only where a character starts); it steps over ASCII
    /// letters and Vietnamese ones.
    #[test]
    fn plain_bytes_start_no_white_space() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let b = c.encode_utf8(&mut buf).as_bytes();
            if c.is_whitespace() {
                assert!(!super::plain(b, 0), "{c:?} is white space");
            }
            assert!((1..b.len()).all(|i| super::plain(b, i)), "{c:?}");
        }
        for c in "aZ09.,ĐđƯươÂâẠạẶặỄễỰựỹ“”".chars() {
            let b = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(super::plain(b, 0), !"“”".contains(c), "{c:?}");
        }
    }

    /// A note's body is inline HTML: formatting and links kept, each block
    /// ending in a `<br>` but the last, raw HTML and images' tags dropped.
    #[test]
    fn a_note_body_renders_inline() {
        let md =
            "Một *hai* `ba`\n\n# Bốn\n\n- năm\n- [sáu](https://e.org/)\n\n```\nbảy\n```\n\n![tám](x.png) <b>chín</b>";
        assert_eq!(
            super::render_inline(md),
            "Một <em>hai</em> <code>ba</code><br>Bốn<br>năm<br><a href=\"https://e.org/\">sáu</a><br>bảy\n<br>tám &lt;b&gt;chín&lt;/b&gt;"
        );
    }

    /// A run of white space is one space in the rendered text; a range that
    /// ends on it ends in the source right after the run's first character,
    /// whatever the run is made of.
    #[test]
    fn a_range_ending_on_collapsed_space_ends_after_its_first_character() {
        let doc = Document::parse("Hà  Nội\t\tvà\nHuế");
        assert_eq!(doc.text.text, "Hà Nội và Huế");
        let text = doc.text.text.clone();
        for (end, source) in [(3, 3), (4, 4), (9, 10), (10, 11), (13, 15), (14, 16)] {
            let (ev, off) = doc.text.locate_end(end).expect("located");
            let at = doc.src[ev].start + off;
            assert_eq!(at, source, "{:?}", &text[..end]);
        }
        assert_eq!(doc.text.locate_end(0), None);
    }

    /// Every character of the rendered text maps back to the source: a
    /// letter to the same letter, a space to white space, whether the prose
    /// around it was copied as it is (one piece for many words) or its white
    /// space collapsed (tabs, runs, no-break and ideographic spaces, spaces
    /// at the start or end of a block or of an emphasis, a space before an
    /// image that ends a paragraph).
    #[test]
    fn every_rendered_character_maps_back_to_its_source() {
        let md = "  Ông Đặng  nói\t rằng *“Hà Nội”*  và\u{a0}Huế,\u{3000}hôm nay \nlà  **thứ**  hai. \n\n- một  hai \n- ba\n\nẢnh chụp ![một bức ảnh](x.png)\n\nCuối cùng ";
        let doc = Document::parse(md);
        let text = &doc.text.text;
        assert_eq!(
            text,
            "Ông Đặng nói rằng “Hà Nội” và Huế, hôm nay là thứ hai.\nmột hai\nba\nẢnh chụp\nCuối cùng"
        );
        for (pos, c) in text.char_indices().filter(|&(_, c)| c != '\n') {
            let (ev, off) = doc.text.locate_start(pos).expect("located");
            let at = doc.src[ev].start + off;
            let source = md[at..].chars().next().expect("a character there");
            match c {
                ' ' => assert!(source.is_whitespace(), "{pos}: {source:?}"),
                _ => assert_eq!(source, c, "at {pos}"),
            }
            let end = pos + c.len_utf8();
            let (ev, off) = doc.text.locate_end(end).expect("located");
            let at = doc.src[ev].start + off;
            match c {
                // (just after the first byte of the run's first character)
                ' ' => {
                    let first = (0..at).rev().find(|&i| md.is_char_boundary(i)).expect("a start");
                    assert!(md[first..].starts_with(char::is_whitespace), "end {end}");
                }
                _ => assert!(md[..at].ends_with(c), "end {end}: {:?}", &md[..at]),
            }
        }
    }

    /// Schemes that could run code are refused however they are disguised
    /// (browsers drop white space and control characters from URLs); what
    /// only looks like a scheme after a path is not one.
    #[test]
    fn safe_urls() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
        ] {
            assert!(!is_safe_url(bad), "{bad:?}");
        }
        for good in [
            "https://example.org/",
            "mailto:a@example.org",
            "tel:+84",
            "/articles/a/",
            "a/b:c",
            "?q=x:y",
            "#f:1",
            "1:2",
        ] {
            assert!(is_safe_url(good), "{good:?}");
        }
    }
}
