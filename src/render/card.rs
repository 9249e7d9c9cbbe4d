//! Social-card images (`og:image`, 1200×630 PNG) for quotes and articles, rendered at build time:
//! no browser, no network, no system fonts.
//!
//! How: the text is shaped with rustybuzz (the Rust port of HarfBuzz: kerning, mark placement,
//! the Vietnamese `locl` forms) against two OFL fonts embedded with `include_bytes!`
//! (`card/fonts/`, Noto Serif Regular and Noto Sans Bold, both with every precomposed Vietnamese
//! letter, see `card/fonts/OFL.txt`; they are not under `static/`, so a site does not publish
//! them). This module lays it out itself — word wrap, shrink to fit, balanced lines, elision
//! with "…" — from the paragraph shaped word by word (each word's glyphs kept per thread: the
//! words of quotes recur, and neither font reaches across a space), draws each line with the
//! glyphs its paragraph was shaped into when HarfBuzz marks both of its ends safe to break
//! (else shapes it again), then
//! rasterizes each glyph outline (ttf-parser, which rustybuzz re-exports) with
//! ab_glyph_rasterizer (exact-area coverage, the font-rs algorithm), caches the coverage per
//! thread by (glyph, size, quarter-pixel offset) in five levels, blends it onto a
//! palette-indexed canvas whose palette holds each (background, text colour) ramp of the kind of
//! card in coverage order (16 colours at most, so 4 bits a pixel), and encodes that as a PNG
//! itself (`card/png.rs`: row filters chosen there, a DEFLATE stream with a Huffman code fitted
//! to cards written there, skipping the rows and columns nothing was drawn on, and copying the
//! code of rows that recur from card to card — the quote mark, a speaker — from a per-thread
//! cache). The footer band with the site's name is drawn and coded once per thread for each
//! site and kind of card (`Footer`), and its code appended to every card that has it.
//!
//! Why not resvg: going through an SVG string would only be a detour. We must measure and break
//! the lines ourselves anyway (SVG has no wrapping), and usvg would bring an XML parser, CSS, a
//! font database, image decoders and a second text layout engine, several times what these
//! dependencies cost to compile, and add an escaping step where a mistake is a broken card.
//! Here the text is never markup: `<`, `&` and `"` are just glyphs. Why not tiny-skia for the
//! fill (tried first): its supersampling path filler took about 10 ms for a paragraph; a card
//! is only glyphs and rectangles, and with the glyph cache a card draws in about 0.2 ms and
//! encodes in about 0.2 ms (`cargo run --release --example card_bench`).
//!
//! Deterministic: the same input gives the same bytes on every run and machine of the same
//! architecture — only the embedded fonts are used, the arithmetic is the same whatever the
//! CPU (ab_glyph_rasterizer's AVX2/SSE4.2 line drawers are its scalar code compiled with those
//! features, and Rust never fuses or reorders float operations), a cached glyph is exactly what
//! rasterizing it again would give, the PNG has no timestamp, and `Cargo.lock` pins the crates.
//!
//! Text is NFC-normalized first, so decomposed input (`e` + U+0302 + U+0303) uses the font's
//! precomposed `ễ`. Lines break only at spaces (Vietnamese words are space-separated syllables);
//! a word wider than a line (a URL, a long compound) breaks after a hyphen or slash, else between
//! grapheme clusters, never inside one. Glyphs the fonts lack (CJK, emoji) draw as the font's
//! missing-glyph box.
//!
//! Stage 4 of the pipeline: rendering.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ab_glyph_rasterizer::{Point, Rasterizer, point};
use rustybuzz::ttf_parser::{GlyphId, OutlineBuilder, Rect};
use rustybuzz::{Direction, Face, Language, ShapePlan, UnicodeBuffer, script};
use unicode_segmentation::UnicodeSegmentation;

mod png;

/// Card width in pixels (the Open Graph recommended size).
pub const WIDTH: u32 = 1200;
/// Card height in pixels.
pub const HEIGHT: u32 = 630;

/// Bump when a change here changes the bytes of existing cards: a cache of rendered cards keyed
/// by a hash of (this, the function, its arguments) then stays correct. (2: 16 coverage levels,
/// the palette in ramp order, our own filter choice; 3: 6 levels, a palette per kind of card,
/// 4-bit pixels, a Huffman code tuned for cards; 4: a run of zeros between two bytes of a row
/// coded as one, where it was cut at every eighth byte.)
pub const RENDER_VERSION: u32 = 4;

static SERIF_TTF: &[u8] = include_bytes!("card/fonts/NotoSerif-Regular.ttf");
static SANS_BOLD_TTF: &[u8] = include_bytes!("card/fonts/NotoSans-Bold.ttf");

const W: f32 = WIDTH as f32;
const H: f32 = HEIGHT as f32;
const MARGIN_X: f32 = 96.0;
const TEXT_W: f32 = W - 2.0 * MARGIN_X;
const BAND_H: f32 = 84.0;
const BAND_TOP: f32 = H - BAND_H;
const STRIPE_H: f32 = 6.0;
/// The vertical space the content block is centred in.
const REGION_TOP: f32 = 48.0;
const REGION_BOTTOM: f32 = BAND_TOP - 40.0;

const PAPER: Rgb = Rgb(0xF7, 0xF2, 0xE8);
const INK: Rgb = Rgb(0x1F, 0x1B, 0x17);
const MUTED: Rgb = Rgb(0x6B, 0x61, 0x57);
const ACCENT: Rgb = Rgb(0xA8, 0x43, 0x2A);
const BAND: Rgb = Rgb(0x2A, 0x24, 0x1F);

/// Line heights as multiples of the font size: the smallest at which the stacked marks of
/// capitals (`Ỗ`, `Ẫ`, reaching well above the cap height) clear the deepest descenders of the
/// line above (`g`, `ỵ`), in both fonts; see `stacked_marks_clear_the_line_above`.
const QUOTE_LH: f32 = 1.32;
const TITLE_LH: f32 = 1.3;

/// Renders the card of a quote: a large opening quote mark, the quote (serif, as large as fits,
/// elided with "…" at a word boundary when even the smallest size does not fit), "— speaker" and
/// the site name in a footer band. Returns PNG bytes, 1200×630.
pub fn quote_card(quote: &str, speaker: &str, site_name: &str) -> Vec<u8> {
    draw_quote(quote, speaker, site_name).encode()
}

/// Renders the card of an article: the title (bold, as large as fits), a subtitle line (for
/// example "date · source") and the site name in a footer band. Returns PNG bytes, 1200×630.
pub fn title_card(title: &str, subtitle: &str, site_name: &str) -> Vec<u8> {
    draw_title(title, subtitle, site_name).encode()
}

/// The characters of a quote that its card cannot draw, in order of first appearance, each
/// once: the embedded serif font has no glyph for them (CJK, emoji, arrows and other symbols,
/// scripts other than Latin, Greek and Cyrillic), so the card shows the font's missing-glyph
/// box in their place.
/// Characters that are never drawn (joiners, variation selectors, soft hyphens) are not
/// reported. `check` and `build` warn about them; the HTML pages are not affected.
pub fn undrawable_in_quote(quote: &str) -> Vec<char> {
    static SERIF_CMAP: std::sync::OnceLock<Option<rustybuzz::ttf_parser::Face<'static>>> = std::sync::OnceLock::new();
    let Some(face) = SERIF_CMAP.get_or_init(|| rustybuzz::ttf_parser::Face::parse(SERIF_TTF, 0).ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // (quotes come from article text, NFC since loading: `text::nfc` borrows it as it is)
    for c in crate::text::nfc(quote).chars().filter(|c| !c.is_ascii()) {
        let invisible = c.is_whitespace()
            || c.is_control()
            || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{206f}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{e0000}'..='\u{e0fff}');
        if !invisible && !out.contains(&c) && face.glyph_index(c).is_none() {
            out.push(c);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

// ---------------------------------------------------------------------------------------------
// Fonts

struct Font {
    face: Face<'static>,
    plan: ShapePlan,
    lang: Language,
    upem: f32,
    /// The advance of "…", in font units (every elided line ends with one).
    ellipsis: i32,
    /// Rasterized glyphs by (glyph, size, quarter-pixel x offset): the same few hundred glyphs
    /// at a few sizes make up every card, so most cards only copy coverage.
    glyphs: RefCell<HashMap<(u16, u32, u8), Rc<Bitmap>>>,
    /// Short texts shaped, by text: the site name and the speakers recur on card after card.
    runs: RefCell<HashMap<String, Rc<[Glyph]>>>,
}

/// A glyph's coverage levels (`0..LEVELS`), `w` × `h` (the smallest box holding every non-zero
/// level), whose top left corner is at (`left`, `top`) from the pen position on the baseline,
/// and its bounding box in font units (kept because ttf-parser computes a bounding box by
/// walking the whole outline). Rows are `stride` bytes apart, `w` rounded up to a multiple of
/// eight with zeros (no coverage), so that they blend eight pixels at a time.
struct Bitmap {
    left: i64,
    top: i64,
    w: usize,
    h: usize,
    stride: usize,
    cov: Vec<u8>,
    bbox: Option<Rect>,
}

/// Horizontal positions are kept to a quarter pixel (vertical ones to a whole pixel: baselines
/// are rounded).
const SUBPIXELS: f32 = 4.0;
/// Past this many glyphs the cache starts over (a few MB at most).
const CACHE_MAX: usize = 8192;
/// Texts up to this many bytes are kept shaped, up to `RUNS_MAX` of them (then the cache starts
/// over): names, and the words of longer texts ([`Font::shape_words`]).
const RUN_MAX_LEN: usize = 64;
const RUNS_MAX: usize = 16384;

impl Font {
    fn new(data: &'static [u8]) -> Font {
        let face = Face::from_slice(data, 0).expect("embedded font parses");
        let lang: Language = "vi".parse().expect("language tag");
        let plan = ShapePlan::new(&face, Direction::LeftToRight, Some(script::LATIN), Some(&lang), &[]);
        let upem = face.units_per_em() as f32;
        let mut font = Font {
            face,
            plan,
            lang,
            upem,
            ellipsis: 0,
            glyphs: RefCell::default(),
            runs: RefCell::default(),
        };
        font.ellipsis = font.advance(ELLIPSIS);
        font
    }

    /// Shapes one run of text: (byte cluster, x advance, x offset, y offset, glyph) per glyph,
    /// in font units. Everything is shaped left to right as Latin, with the plan made once.
    fn shape(&self, text: &str) -> Vec<Glyph> {
        let mut buf = UnicodeBuffer::new();
        buf.push_str(text);
        buf.set_direction(Direction::LeftToRight);
        buf.set_script(script::LATIN);
        buf.set_language(self.lang.clone());
        let out = rustybuzz::shape_with_plan(&self.face, &self.plan, buf);
        out.glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(i, p)| Glyph {
                cluster: i.cluster as usize,
                advance: p.x_advance,
                dx: p.x_offset,
                dy: p.y_offset,
                id: GlyphId(i.glyph_id as u16),
                unsafe_to_break: i.unsafe_to_break(),
            })
            .collect()
    }

    /// `shape(text)`, from the cache when the text is short: shaping depends only on the font
    /// and the text, so the cache never changes a card.
    fn shape_cached(&self, text: &str) -> Rc<[Glyph]> {
        if text.len() > RUN_MAX_LEN {
            return self.shape(text).into();
        }
        if let Some(g) = self.runs.borrow().get(text) {
            return g.clone();
        }
        let g: Rc<[Glyph]> = self.shape(text).into();
        let mut runs = self.runs.borrow_mut();
        if runs.len() >= RUNS_MAX {
            runs.clear();
        }
        runs.insert(text.to_string(), g.clone());
        g
    }

    /// `shape(text)` for a normalized text (words one space apart), made of its words' shapes —
    /// each from the cache, as the words of quotes recur from card to card — and the space's,
    /// when it is longer than a cached run. The same glyphs as shaping the whole text: neither
    /// embedded font has a lookup that reaches across a space (no kerning with it, no ligature
    /// or contextual form through it; `words_shape_as_the_text_does` checks every pair of
    /// characters a card draws on either side of one), so each word shapes alone as it does in
    /// its text. Browsers cache the words of a text the same way, for fonts like these.
    fn shape_words(&self, text: &str) -> Rc<[Glyph]> {
        if text.len() <= RUN_MAX_LEN {
            return self.shape_cached(text);
        }
        self.by_words(text).into()
    }

    /// The glyphs of `text`'s words and spaces, each shaped alone, in the text's clusters.
    fn by_words(&self, text: &str) -> Vec<Glyph> {
        let space = self.shape_cached(" ");
        let mut out = Vec::with_capacity(text.len());
        let mut at = 0;
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                out.extend(space.iter().map(|g| Glyph {
                    cluster: g.cluster + at - 1,
                    ..*g
                }));
            }
            out.extend(self.shape_cached(word).iter().map(|g| Glyph {
                cluster: g.cluster + at,
                ..*g
            }));
            at += word.len() + 1;
        }
        out
    }

    fn advance(&self, text: &str) -> i32 {
        self.shape(text).iter().map(|g| g.advance).sum()
    }

    /// The glyph rasterized at `size` px with its origin `sub / SUBPIXELS` px right of a pixel
    /// edge: exact-area coverage, quantized to `LEVELS`. Cached; the result depends only on
    /// the arguments, so the cache never changes a card.
    fn bitmap(&self, id: GlyphId, size: f32, sub: u8) -> Rc<Bitmap> {
        let key = (id.0, size.to_bits(), sub);
        if let Some(b) = self.glyphs.borrow().get(&key) {
            return b.clone();
        }
        let s = size / self.upem;
        let fx = sub as f32 / SUBPIXELS;
        let bbox = self.face.glyph_bounding_box(id);
        let b = match bbox {
            Some(bb) => {
                // A pixel of room on every side, so no outline is clipped.
                let left = (fx + bb.x_min as f32 * s).floor() as i64 - 1;
                let top = (-bb.y_max as f32 * s).floor() as i64 - 1;
                let w = ((fx + bb.x_max as f32 * s).ceil() as i64 + 1 - left) as usize;
                let h = ((-bb.y_min as f32 * s).ceil() as i64 + 1 - top) as usize;
                let mut ras = Rasterizer::new(w, h);
                let start = point(0.0, 0.0);
                let (x, y) = (fx - left as f32, -top as f32);
                self.face.outline_glyph(
                    id,
                    &mut Outline {
                        ras: &mut ras,
                        x,
                        y,
                        s,
                        start,
                        last: start,
                    },
                );
                let mut levels = Vec::with_capacity(w * h);
                ras.for_each_pixel(|_, a| levels.push((a.min(1.0) * (LEVELS - 1) as f32 + 0.5) as u8));
                // Without the rows and columns of zeros around the coverage (blending them
                // would change no pixel).
                let rows = || levels.chunks_exact(w);
                let y0 = rows().position(|r| r.iter().any(|&l| l != 0)).unwrap_or(h);
                let y1 = h - rows().rev().position(|r| r.iter().any(|&l| l != 0)).unwrap_or(h);
                let x0 = rows().filter_map(|r| r.iter().position(|&l| l != 0)).min().unwrap_or(w);
                let x1 = rows()
                    .filter_map(|r| r.iter().rposition(|&l| l != 0))
                    .max()
                    .map_or(0, |x| x + 1);
                let (tw, th) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
                let stride = tw.next_multiple_of(8);
                let mut cov = vec![0; stride * th];
                if tw > 0 {
                    for (row, levels) in cov.chunks_exact_mut(stride).zip(rows().skip(y0)) {
                        row[..tw].copy_from_slice(&levels[x0..x1]);
                    }
                }
                Bitmap {
                    left: left + x0 as i64,
                    top: top + y0 as i64,
                    w: if th > 0 { tw } else { 0 },
                    h: th,
                    stride,
                    cov,
                    bbox,
                }
            }
            None => Bitmap {
                left: 0,
                top: 0,
                w: 0,
                h: 0,
                stride: 0,
                cov: Vec::new(),
                bbox,
            },
        };
        let b = Rc::new(b);
        let mut cache = self.glyphs.borrow_mut();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, b.clone());
        b
    }
}

#[derive(Clone, Copy)]
struct Glyph {
    cluster: usize,
    advance: i32,
    dx: i32,
    dy: i32,
    id: GlyphId,
    /// HarfBuzz's flag: breaking the text at the start of this glyph's cluster and shaping the
    /// two sides separately might not give the glyphs on either side of it.
    unsafe_to_break: bool,
}

struct Fonts {
    serif: Font,
    sans: Font,
}

thread_local! {
    // A shape plan is not `Sync`, so each thread (rayon's workers) keeps its own fonts, plans and
    // glyph cache, made on the thread's first card and dropped when the thread ends.
    static FONTS: Fonts = Fonts { serif: Font::new(SERIF_TTF), sans: Font::new(SANS_BOLD_TTF) };
}

fn with_fonts<R>(f: impl FnOnce(&Fonts) -> R) -> R {
    FONTS.with(f)
}

// ---------------------------------------------------------------------------------------------
// Layout

/// Normalized text shaped once, with prefix sums of the advances so the width of any substring
/// that starts and ends at a cluster boundary costs two binary searches.
struct Measured {
    text: String,
    glyphs: Rc<[Glyph]>,
    clusters: Vec<usize>,
    prefix: Vec<i32>,
    words: Vec<(usize, usize)>,
    /// Each word's glyphs, `start..end` (indices into `glyphs` and `prefix`).
    word_glyphs: Vec<(usize, usize)>,
    ellipsis: i32,
}

const ELLIPSIS: &str = "…";

impl Measured {
    fn new(font: &Font, raw: &str) -> Measured {
        let text = normalize(raw);
        let glyphs = font.shape_words(&text);
        let clusters = glyphs.iter().map(|g| g.cluster).collect();
        let mut prefix = Vec::with_capacity(glyphs.len() + 1);
        prefix.push(0);
        let mut sum = 0;
        for g in glyphs.iter() {
            sum += g.advance;
            prefix.push(sum);
        }
        let mut words = Vec::new();
        let mut start = 0;
        for (i, _) in text.match_indices(' ') {
            words.push((start, i));
            start = i + 1;
        }
        if start < text.len() {
            words.push((start, text.len()));
        }
        let glyph = |at: usize| glyphs.partition_point(|g| g.cluster < at);
        let word_glyphs = words.iter().map(|&(a, b)| (glyph(a), glyph(b))).collect();
        Measured {
            text,
            glyphs,
            clusters,
            prefix,
            words,
            word_glyphs,
            ellipsis: font.ellipsis,
        }
    }

    /// The glyphs of `text[a..b]` cut out of the paragraph's shaping, when both ends are at the
    /// start of a cluster that HarfBuzz marks safe to break at: exactly what shaping
    /// `text[a..b]` alone would give, without shaping it again. `None` otherwise (a kerning pair,
    /// a ligature or a contextual form across the break, or a break inside a cluster).
    fn cut(&self, a: usize, b: usize) -> Option<Vec<Glyph>> {
        let i = self.clusters.partition_point(|&c| c < a);
        let j = self.clusters.partition_point(|&c| c < b);
        let safe = |k: usize, at: usize| match self.glyphs.get(k) {
            Some(g) => g.cluster == at && !g.unsafe_to_break,
            None => at == self.text.len(),
        };
        ((a == 0 || safe(i, a)) && safe(j, b) && i < j).then(|| {
            self.glyphs[i..j]
                .iter()
                .map(|g| Glyph {
                    cluster: g.cluster - a,
                    ..*g
                })
                .collect()
        })
    }

    /// Width of `text[a..b]` in font units.
    fn width(&self, a: usize, b: usize) -> f32 {
        let i = self.clusters.partition_point(|&c| c < a);
        let j = self.clusters.partition_point(|&c| c < b);
        (self.prefix[j] - self.prefix[i]) as f32
    }

    /// Greedy wrap at `limit` font units: byte ranges of the lines, and whether a word had to be
    /// broken because it alone is wider than a line. Such a word (a URL, a hyphenated compound)
    /// goes on from the current line and breaks after its last hyphen or slash that fits, else
    /// between two graphemes — never inside one.
    fn wrap(&self, limit: f32) -> (Vec<(usize, usize)>, bool) {
        let mut lines = Vec::new();
        // The line so far: its byte range and its first glyph (widths from word to word are
        // then differences of `prefix`, without searching `clusters`).
        let mut cur: Option<(usize, usize, usize)> = None;
        let mut broke = false;
        let width = |i: usize, j: usize| (self.prefix[j] - self.prefix[i]) as f32;
        for (&(ws, we), &(gs, ge)) in self.words.iter().zip(&self.word_glyphs) {
            if let Some((cs, _, cg)) = cur
                && width(cg, ge) <= limit
            {
                cur = Some((cs, we, cg));
                continue;
            }
            if width(gs, ge) <= limit {
                lines.extend(cur.take().map(|(s, e, _)| (s, e)));
                cur = Some((ws, we, gs));
                continue;
            }
            broke = true;
            let mut cs = cur.take().map_or(ws, |(s, _, _)| s);
            let mut soft = None;
            for (off, g) in self.text[ws..we].grapheme_indices(true) {
                let (gs, ge) = (ws + off, ws + off + g.len());
                if self.width(cs, ge) > limit {
                    let at = soft.filter(|&p| p > cs).unwrap_or(gs);
                    if at == ws && cs < ws {
                        lines.push((cs, ws - 1)); // the line so far, without the space
                        cs = ws;
                    } else if at > cs {
                        lines.push((cs, at));
                        cs = at;
                    }
                    soft = None;
                }
                if matches!(g, "-" | "/" | "_" | "." | "‐" | "–" | "—") {
                    soft = Some(ge);
                }
            }
            cur = Some((cs, we, self.clusters.partition_point(|&c| c < cs)));
        }
        lines.extend(cur.map(|(s, e, _)| (s, e)));
        (lines, broke)
    }

    /// The narrowest limit that still gives `n` lines: evens out the line lengths, so a quote
    /// does not end with one lonely word.
    fn balance(&self, limit: f32, n: usize) -> Vec<(usize, usize)> {
        let (mut lo, mut hi) = (limit * 0.5, limit);
        for _ in 0..10 {
            let mid = (lo + hi) / 2.0;
            let (lines, broke) = self.wrap(mid);
            if lines.len() == n && !broke {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        self.wrap(hi).0
    }

    /// The last line when the text is cut after the line starting at `s`: as many whole words as
    /// fit with "…" (trailing punctuation dropped), or, when not even one does, graphemes.
    fn elide_from(&self, s: usize, limit: f32) -> String {
        let room = limit - self.ellipsis as f32;
        let mut end = None;
        for &(_, we) in self.words.iter().filter(|w| w.1 > s) {
            if self.width(s, we) > room {
                break;
            }
            let e = trim_punct(&self.text, s, we);
            if e > s {
                end = Some(e);
            }
        }
        let end = end.unwrap_or_else(|| {
            let mut e = s;
            for (off, g) in self.text[s..].grapheme_indices(true) {
                let ge = s + off + g.len();
                if e > s && self.width(s, ge) > room {
                    break;
                }
                e = ge;
            }
            e
        });
        format!("{}{ELLIPSIS}", &self.text[s..end])
    }
}

fn trim_punct(text: &str, s: usize, mut e: usize) -> usize {
    while let Some(c) = text[s..e].chars().next_back() {
        if !matches!(
            c,
            ',' | ';' | ':' | '.' | '-' | '–' | '—' | '(' | '[' | '"' | '\'' | '“' | '‘' | '«'
        ) {
            break;
        }
        e -= c.len_utf8();
    }
    e
}

/// NFC, runs of breaking white space to one space, control characters dropped. No-break spaces
/// stay (and keep their words together).
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    // (borrowed when it is NFC already, as a site's texts are once loaded: `nfc()` composes
    // character by character, 3% of a card)
    for c in crate::text::nfc(s).chars() {
        if c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}') {
            space = !out.is_empty();
        } else if !c.is_control() {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// A laid-out paragraph: the font size, its lines and, where they could be reused from the
/// layout, their glyphs (else the line is shaped when drawn).
struct Para {
    size: f32,
    lines: Vec<String>,
    shaped: Vec<Option<Vec<Glyph>>>,
}

/// How a paragraph may be sized.
struct Fit {
    max: f32,
    min: f32,
    step: f32,
    lh: f32,
    max_lines: usize,
    balance: bool,
}

/// Lays out `text` in `width` × `height` pixels at the largest size from `fit.max` down to
/// `fit.min` that fits; when none does, at the smallest size with the rest elided. A size where
/// some word would have to be broken is taken only when no size fits without.
fn layout(font: &Font, text: &str, width: f32, height: f32, fit: &Fit) -> Para {
    let m = Measured::new(font, text);
    if m.words.is_empty() {
        return Para {
            size: fit.max,
            lines: Vec::new(),
            shaped: Vec::new(),
        };
    }
    let max_lines = |size: f32| ((height / (size * fit.lh)).floor() as usize).clamp(1, fit.max_lines);
    let limit = |size: f32| width * font.upem / size;
    let mut sizes = Vec::new();
    let mut size = fit.max;
    while size > fit.min {
        sizes.push(size);
        size -= fit.step;
    }
    sizes.push(fit.min);
    let mut fallback = None;
    for &size in &sizes {
        let (lines, broke) = m.wrap(limit(size));
        if lines.len() > max_lines(size) {
            continue;
        }
        if broke {
            fallback.get_or_insert((size, lines));
            continue;
        }
        let lines = if fit.balance && lines.len() > 1 {
            m.balance(limit(size), lines.len())
        } else {
            lines
        };
        return para(&m, size, &lines);
    }
    if let Some((size, lines)) = fallback {
        return para(&m, size, &lines);
    }
    let size = fit.min;
    let n = max_lines(size);
    let (lines, _) = m.wrap(limit(size));
    let mut out = para(&m, size, &lines[..n - 1]);
    out.lines.push(m.elide_from(lines[n - 1].0, limit(size)));
    out.shaped.push(None);
    out
}

fn para(m: &Measured, size: f32, lines: &[(usize, usize)]) -> Para {
    Para {
        size,
        lines: lines.iter().map(|&(a, b)| m.text[a..b].to_string()).collect(),
        shaped: lines.iter().map(|&(a, b)| m.cut(a, b)).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

struct Drawn {
    /// 1200×630 palette indices, row by row.
    idx: Vec<u8>,
    /// Per row, the columns drawn on, `x0..x1` (empty when `x0 >= x1`): every other pixel is
    /// paper.
    spans: Vec<Span>,
    /// At most 256 colours: the paper, the card kind's ramps, then any other in order of first
    /// use.
    palette: Vec<[u8; 3]>,
    /// Ink bounds of every line of text drawn, in pixels (for the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    ink: Vec<Ink>,
    /// The footer band, when it is one this thread drew before: its rows (`BAND_ROW..`) are then
    /// blank here, and the PNG has the footer's own code there.
    footer: Option<Rc<Footer>>,
}

/// The first row of the footer band.
const BAND_ROW: usize = BAND_TOP as usize;
const _: () = assert!(BAND_ROW as f32 == BAND_TOP, "the band starts at a whole pixel");

/// A footer band drawn once per thread for each site name and palette (the kind of card), and
/// given to every later card that has the same: what the band and the site's name cost each
/// card — filling and clearing 100 KB of pixels, drawing the name, comparing the rows with
/// those of the card before to reuse their code — was about 7% of drawing and coding a card.
/// Its rows do not depend on the rest of the card: nothing is drawn in them or in the row above
/// them before the footer (checked for each card), and its rows' DEFLATE code, after a blank
/// row, is the same wherever it is (see `png::Blocks`).
struct Footer {
    site_name: String,
    palette: Vec<[u8; 3]>,
    /// Rows `BAND_ROW..HEIGHT`: their pixels and spans, and the ink of the name.
    pixels: Vec<u8>,
    spans: Vec<Span>,
    ink: Vec<Ink>,
    /// The rows' code after a blank row, made when first needed (at the bit depth of
    /// `palette`, which is that of every card given this footer: it is the last thing drawn,
    /// and adds no colour).
    code: std::cell::OnceCell<png::Code>,
}

/// How many footers a thread keeps (a site has one per kind of card).
const FOOTERS_KEPT: usize = 8;

thread_local! {
    static FOOTERS: RefCell<Vec<Rc<Footer>>> = const { RefCell::new(Vec::new()) };
}

/// A box in pixels: left, top, right, bottom.
#[derive(Debug, Clone, Copy)]
struct Ink(f32, f32, f32, f32);

/// Feeds a glyph outline (font units, y up) to the rasterizer (pixels, y down) at `(x, y)`.
struct Outline<'a> {
    ras: &'a mut Rasterizer,
    x: f32,
    y: f32,
    s: f32,
    start: Point,
    last: Point,
}

impl Outline<'_> {
    fn pt(&self, x: f32, y: f32) -> Point {
        point(self.x + x * self.s, self.y - y * self.s)
    }
}

impl OutlineBuilder for Outline<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.start = self.pt(x, y);
        self.last = self.start;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.pt(x, y);
        self.ras.draw_line(self.last, p);
        self.last = p;
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let p = self.pt(x, y);
        self.ras.draw_quad(self.last, self.pt(x1, y1), p);
        self.last = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let p = self.pt(x, y);
        self.ras.draw_cubic(self.last, self.pt(x1, y1), self.pt(x2, y2), p);
        self.last = p;
    }
    fn close(&mut self) {
        if self.last != self.start {
            self.ras.draw_line(self.last, self.start);
        }
        self.last = self.start;
    }
}

/// The card being drawn, as palette indices: the card is flat colours plus antialiasing ramps
/// between pairs of them, so it fits in a few colours and is stored as a palette PNG — 4 bits a
/// pixel when it has at most 16 (`card/png.rs`), a sixth of the size of an RGB one and quicker
/// to compress.
struct Canvas {
    idx: Vec<u8>,
    /// Per row, the columns drawn on so far.
    spans: Vec<Span>,
    palette: Vec<[u8; 3]>,
    /// Each ramp of the card's kind: the palette index of its background, its text colour and
    /// the palette index of its level 1 (levels `1..LEVELS` follow in order).
    ramps: Vec<(u8, [u8; 3], u8)>,
    /// Colour → palette index, open addressing keyed by the colour as `u32`.
    slots: Vec<(u32, u8)>,
    ink: Vec<Ink>,
    footer: Option<Rc<Footer>>,
}

const SLOTS: usize = 1024;
const EMPTY: u32 = u32::MAX;
/// Antialiasing levels (coverage 0, 1/4, …, 1). Five keep every card in 16 colours (the paper,
/// three ramps of four steps, the band; a title card's accent rule), so it is stored at 4 bits
/// a pixel; side by side at 3× zoom, Vietnamese text with stacked marks looks the same as with
/// 16 levels (the previous count). Fewer levels also mean fewer distinct edge pixels, which
/// DEFLATE codes in fewer bits (five levels, 4-bit pixels and a Huffman code fitted to cards took
/// `card_bench 300` from 33,844 to 19,574 bytes a card together: commit 548caa0).
const LEVELS: usize = 5;

/// The (background, text colour) pairs a quote card draws text in. The palette starts with
/// each one's antialiasing ramp, levels `1..LEVELS` in order right after its background (or
/// after the previous ramp), so that a glyph edge — neighbouring coverage levels — is
/// neighbouring indices: small differences after the PNG filter, which the DEFLATE code stores
/// in few bits. Blending onto one of these backgrounds is then an addition.
const QUOTE_RAMPS: [(Rgb, Rgb); 3] = [(PAPER, INK), (PAPER, ACCENT), (BAND, PAPER)];
/// A title card's: its accent is only the flat rule and stripe, one more colour.
const TITLE_RAMPS: [(Rgb, Rgb); 3] = [(PAPER, INK), (PAPER, MUTED), (BAND, PAPER)];

/// Palette index of the paper (the first colour).
const PAPER_IDX: u8 = 0;
const _: () = assert!(3 + 3 * (LEVELS - 1) <= 16, "a card's palette fits in 4 bits");

/// A colour blended `level / (LEVELS - 1)` of the way from `bg` to `fg`.
fn mix(bg: [u8; 3], fg: [u8; 3], level: u8) -> [u8; 3] {
    let t = level as f32 / (LEVELS - 1) as f32;
    let m = |b: u8, f: u8| (b as f32 + (f as f32 - b as f32) * t + 0.5) as u8;
    [m(bg[0], fg[0]), m(bg[1], fg[1]), m(bg[2], fg[2])]
}

fn rgb(c: Rgb) -> [u8; 3] {
    [c.0, c.1, c.2]
}

/// Columns `x0..x1` of a row (empty when `x0 >= x1`).
type Span = (u16, u16);

const NO_SPAN: Span = (WIDTH as u16, 0);

thread_local! {
    /// The last card's pixel buffer and the columns of each row it drew on, reused by the
    /// thread's next card: no 756 KB allocation (and its page faults) per card, and only those
    /// pixels to clear.
    static SPARE: RefCell<(Vec<u8>, Vec<Span>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Rows of pixels (`WIDTH` each) made paper again where their spans say they were drawn on,
/// and their spans emptied.
fn clear_rows(idx: &mut [u8], spans: &mut [Span]) {
    for (row, span) in idx.chunks_exact_mut(WIDTH as usize).zip(spans) {
        if span.0 < span.1 {
            row[span.0 as usize..span.1 as usize].fill(PAPER_IDX);
        }
        *span = NO_SPAN;
    }
}

impl Canvas {
    /// A blank card (paper) whose palette starts with `ramps`.
    fn new(ramps: &[(Rgb, Rgb)]) -> Canvas {
        let (mut idx, mut spans) = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let w = WIDTH as usize;
        if idx.len() == w * HEIGHT as usize && spans.len() == HEIGHT as usize {
            clear_rows(&mut idx, &mut spans);
        } else {
            idx = vec![PAPER_IDX; w * HEIGHT as usize];
            spans = vec![NO_SPAN; HEIGHT as usize];
        }
        let mut c = Canvas {
            idx,
            spans,
            palette: Vec::with_capacity(256),
            ramps: Vec::with_capacity(ramps.len()),
            slots: vec![(EMPTY, 0); SLOTS],
            ink: Vec::new(),
            footer: None,
        };
        c.colour(rgb(PAPER));
        for &(bg, fg) in ramps {
            let (bg, fg) = (rgb(bg), rgb(fg));
            let at = match c.palette.iter().position(|&p| p == bg) {
                Some(i) => i as u8,
                None => {
                    c.push(bg);
                    (c.palette.len() - 1) as u8
                }
            };
            c.ramps.push((at, fg, c.palette.len() as u8));
            for level in 1..LEVELS as u8 {
                c.push(mix(bg, fg, level));
            }
        }
        c
    }

    /// Appends a colour to the palette even if it is there already (a ramp keeps its order);
    /// lookups by colour find the first.
    fn push(&mut self, c: [u8; 3]) {
        let v = self.palette.len() as u8;
        self.palette.push(c);
        let key = u32::from_be_bytes([0, c[0], c[1], c[2]]);
        let mut h = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize % SLOTS;
        loop {
            let (k, _) = self.slots[h];
            if k == key {
                return;
            }
            if k == EMPTY {
                self.slots[h] = (key, v);
                return;
            }
            h = (h + 1) % SLOTS;
        }
    }

    /// The palette index of a colour, added if new; once 256 colours are taken (which only
    /// overlapping glyphs of different colours could cause), the nearest one.
    fn colour(&mut self, c: [u8; 3]) -> u8 {
        colour(&mut self.palette, &mut self.slots, c)
    }

    /// Fills a rectangle; the edges are rounded to whole pixels.
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        let v = self.colour([color.0, color.1, color.2]);
        let clamp = |v: f32, max: f32| v.round().clamp(0.0, max) as usize;
        let (x0, x1) = (clamp(x, W), clamp(x + w, W));
        let (y0, y1) = (clamp(y, H), clamp(y + h, H));
        if x0 >= x1 {
            return;
        }
        for row in y0..y1 {
            self.idx[row * WIDTH as usize + x0..row * WIDTH as usize + x1].fill(v);
            mark(&mut self.spans[row], x0, x1);
        }
    }

    /// Draws one line with its left edge at `x` and its baseline at `baseline` (rounded to a
    /// whole pixel): each glyph's cached coverage is blended onto the card.
    fn text(&mut self, font: &Font, size: f32, x: f32, baseline: f32, text: &str, color: Rgb) {
        self.glyphs(font, size, x, baseline, &font.shape(text), color);
    }

    /// Draws line `i` of a paragraph, with the glyphs from its layout when it kept them.
    fn line(&mut self, font: &Font, p: &Para, i: usize, x: f32, baseline: f32, color: Rgb) {
        match p.shaped.get(i) {
            Some(Some(glyphs)) => self.glyphs(font, p.size, x, baseline, glyphs, color),
            _ => self.text(font, p.size, x, baseline, &p.lines[i], color),
        }
    }

    /// Draws every line of a paragraph set `lh` apart, the first line's box at `top`.
    fn para(&mut self, font: &Font, p: &Para, lh: f32, x: f32, top: f32, color: Rgb) {
        for i in 0..p.lines.len() {
            self.line(font, p, i, x, baseline(font, p, lh, top, i), color);
        }
    }

    /// Draws shaped glyphs, the first one's pen position at `x`.
    fn glyphs(&mut self, font: &Font, size: f32, x: f32, baseline: f32, glyphs: &[Glyph], color: Rgb) {
        let s = size / font.upem;
        let fg = rgb(color);
        // Palette index of level 1 of this colour's ramp on each background that has one (else
        // 0), so blending onto it is an addition.
        let mut ramp = [0u8; 256];
        // Palette index → its level on a ramp of this colour (0: none) and the ramp's level 1.
        let mut on_ramp = [(0u8, 0u8); 256];
        for &(bg, c, base) in &self.ramps {
            if c == fg {
                ramp[bg as usize] = base;
                for l in 1..LEVELS as u8 {
                    on_ramp[(base + l - 1) as usize] = (l, base);
                }
            }
        }
        // The background with a ramp (each text colour has at most one), for the common case of
        // a glyph row that covers only that background.
        let plain = (0..=255u8)
            .find(|&b| ramp[b as usize] != 0)
            .map(|b| (b, ramp[b as usize]));
        // Elsewhere (a glyph over another's antialiased edge) each (background, level) pair is
        // blended once.
        let mut memo: HashMap<(u8, u8), u8> = HashMap::new();
        let mut ink = Ink(f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        let mut pen = x;
        for g in glyphs {
            let gx = pen + g.dx as f32 * s;
            let gy = (baseline - g.dy as f32 * s).round();
            pen += g.advance as f32 * s;
            let (mut ix, mut sub) = (gx.floor(), ((gx - gx.floor()) * SUBPIXELS).round());
            if sub >= SUBPIXELS {
                ix += 1.0;
                sub = 0.0;
            }
            let bm = font.bitmap(g.id, size, sub as u8);
            if let Some(b) = bm.bbox {
                ink.0 = ink.0.min(gx + b.x_min as f32 * s);
                ink.1 = ink.1.min(gy - b.y_max as f32 * s);
                ink.2 = ink.2.max(gx + b.x_max as f32 * s);
                ink.3 = ink.3.max(gy - b.y_min as f32 * s);
            }
            if bm.w == 0 {
                continue;
            }
            // The part of the bitmap on the card: rows r0..r1, columns c0..c1.
            let (x0, y0) = (ix as i64 + bm.left, gy as i64 + bm.top);
            let (bw, bh) = (bm.w as i64, bm.h as i64);
            let (r0, r1) = ((-y0).clamp(0, bh), (HEIGHT as i64 - y0).clamp(0, bh));
            let (c0, c1) = ((-x0).clamp(0, bw), (WIDTH as i64 - x0).clamp(0, bw));
            if r0 >= r1 || c0 >= c1 {
                continue;
            }
            let (r0, r1, c0, c1) = (r0 as usize, r1 as usize, c0 as usize, c1 as usize);
            let left = (x0 + c0 as i64) as usize;
            let top = (y0 + r0 as i64) as usize;
            // Whole rows with their padding (zeros, which leave the card as it is) when they fit
            // on the card's row, so that no pixel is left over from the eights.
            let cols = if c0 == 0 && left + bm.stride <= WIDTH as usize {
                bm.stride
            } else {
                c1 - c0
            };
            let w = WIDTH as usize;
            let (at, n) = (top * w + left, r1 - r0);
            let cov = &bm.cov[r0 * bm.stride + c0..];
            let span = (left, left + (c1 - c0));
            // The rows over the ramp's background only, then the rest one pixel at a time.
            let fast = match plain {
                Some((bg, r)) => blend_rows(
                    &mut self.idx[at..],
                    &mut self.spans[top..top + n],
                    cov,
                    bm.stride,
                    cols,
                    span,
                    bg,
                    r,
                ),
                None => 0,
            };
            for i in fast..n {
                let src = &cov[i * bm.stride..][..cols];
                let dst = &mut self.idx[at + i * w..][..cols];
                mark(&mut self.spans[top + i], span.0, span.1);
                for (px, &level) in dst.iter_mut().zip(src) {
                    if level == 0 {
                        continue;
                    }
                    let old = *px;
                    let r = ramp[old as usize];
                    *px = if r != 0 {
                        r + level - 1
                    } else if let (a @ 1.., base) = on_ramp[old as usize] {
                        // Over an edge of the same colour (glyphs that touch): the coverages
                        // composed, a + b - ab, to the nearest level of the ramp (mixing the
                        // colours instead would add colours off the ramps to the palette).
                        base + over(a, level) - 1
                    } else {
                        let (palette, slots) = (&mut self.palette, &mut self.slots);
                        *memo.entry((old, level)).or_insert_with(|| {
                            let bg = palette[old as usize];
                            colour(palette, slots, mix(bg, fg, level))
                        })
                    };
                }
            }
        }
        if ink.0 <= ink.2 {
            self.ink.push(ink);
        }
    }

    /// The footer band with the site name, elided to one line: the thread's [`Footer`] for
    /// this site and palette when it has one and nothing was drawn where it goes, else drawn
    /// (and kept as the thread's footer when it added no colour).
    fn footer(&mut self, fonts: &Fonts, site_name: &str) {
        let w = WIDTH as usize;
        let untouched = self.spans[BAND_ROW - 1..].iter().all(|s| s.0 >= s.1);
        if !untouched {
            return self.draw_footer(fonts, site_name);
        }
        let same = |f: &&Rc<Footer>| f.site_name == site_name && f.palette == self.palette;
        if let Some(f) = FOOTERS.with(|k| k.borrow().iter().find(same).cloned()) {
            self.ink.extend_from_slice(&f.ink);
            self.footer = Some(f);
            return;
        }
        let (colours, inked) = (self.palette.len(), self.ink.len());
        let palette = self.palette.clone();
        self.draw_footer(fonts, site_name);
        if self.palette.len() != colours {
            return;
        }
        let f = Rc::new(Footer {
            site_name: site_name.to_string(),
            palette,
            pixels: self.idx[BAND_ROW * w..].to_vec(),
            spans: self.spans[BAND_ROW..].to_vec(),
            ink: self.ink[inked..].to_vec(),
            code: Default::default(),
        });
        // (the rows are the footer's from now on, here as on the next cards)
        clear_rows(&mut self.idx[BAND_ROW * w..], &mut self.spans[BAND_ROW..]);
        FOOTERS.with(|k| {
            let mut k = k.borrow_mut();
            if k.len() >= FOOTERS_KEPT {
                k.remove(0);
            }
            k.push(Rc::clone(&f));
        });
        self.footer = Some(f);
    }

    fn draw_footer(&mut self, fonts: &Fonts, site_name: &str) {
        self.rect(0.0, BAND_TOP, W, BAND_H, BAND);
        self.rect(0.0, BAND_TOP, W, STRIPE_H, ACCENT);
        let fit = Fit {
            max: 30.0,
            min: 22.0,
            step: 2.0,
            lh: 1.0,
            max_lines: 1,
            balance: false,
        };
        let p = layout(&fonts.sans, site_name, TEXT_W, BAND_H, &fit);
        let baseline = BAND_TOP + STRIPE_H + (BAND_H - STRIPE_H) / 2.0 + cap_height(&fonts.sans, p.size) / 2.0;
        for i in 0..p.lines.len() {
            self.line(&fonts.sans, &p, i, MARGIN_X, baseline, PAPER);
        }
    }

    fn finish(self) -> Drawn {
        Drawn {
            idx: self.idx,
            spans: self.spans,
            palette: self.palette,
            ink: self.ink,
            footer: self.footer,
        }
    }
}

/// Eight pixels (or coverage levels) as one word, for the blending below: levels are below 128,
/// so adding `LOW7` to them sets the top bit of exactly the non-zero ones and carries no further.
const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGH: u64 = 0x8080_8080_8080_8080;

fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().expect("eight bytes"))
}

/// Blends rows of a glyph (`cols` levels each, `stride` apart in `cov`) onto the canvas from
/// `idx[0]` on (rows `WIDTH` apart), widening their `spans` by `x0..x1`, for as long as they cover
/// only `bg`, the background of the text colour's ramp, which starts at palette index `r` (all
/// rows but where glyphs overlap): returns how many rows it blended.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn blend_rows(
    idx: &mut [u8],
    spans: &mut [Span],
    cov: &[u8],
    stride: usize,
    cols: usize,
    (x0, x1): (usize, usize),
    bg: u8,
    r: u8,
) -> usize {
    for (i, span) in spans.iter_mut().enumerate() {
        let src = &cov[i * stride..][..cols];
        let dst = &mut idx[i * WIDTH as usize..][..cols];
        // Outside the columns drawn on so far the row is paper: no need to look there.
        let (s0, s1) = (span.0 as usize, span.1 as usize);
        let untouched = s1 <= x0 || s0 >= x0 + cols;
        if !(untouched && bg == PAPER_IDX) && clash(dst, src, bg) {
            return i;
        }
        mark(span, x0, x1);
        blend(dst, src, r);
    }
    spans.len()
}

/// Whether a glyph row (`src`, coverage levels) covers any pixel of `dst` that is not `bg`.
#[inline(always)]
fn clash(dst: &[u8], src: &[u8], bg: u8) -> bool {
    let (d8, s8) = (dst.chunks_exact(8), src.chunks_exact(8));
    let tail = d8
        .remainder()
        .iter()
        .zip(s8.remainder())
        .any(|(&p, &l)| l != 0 && p != bg);
    let bgs = bg as u64 * ONES;
    let mut any = 0;
    for (d, s) in d8.zip(s8) {
        let other = word(d) ^ bgs;
        any |= (word(s) + LOW7) & (((other & LOW7) + LOW7) | other) & HIGH;
    }
    tail || any != 0
}

/// Blends a glyph row onto pixels of its ramp's background: level `l > 0` is palette index
/// `r + l - 1` (below 128: no carries between the bytes of a word).
#[inline(always)]
fn blend(dst: &mut [u8], src: &[u8], r: u8) {
    let px = |p: u8, l: u8| if l == 0 { p } else { r.wrapping_add(l).wrapping_sub(1) };
    let s8 = src.chunks_exact(8);
    for (p, &l) in dst.chunks_exact_mut(8).into_remainder().iter_mut().zip(s8.remainder()) {
        *p = px(*p, l);
    }
    let base = (r as u64).wrapping_sub(1).wrapping_mul(ONES);
    for (d, s) in dst.chunks_exact_mut(8).zip(s8) {
        let l = word(s);
        let covered = ((l + LOW7) & HIGH) >> 7;
        let mask = covered * 0xFF;
        let p = ((l + base) & mask) | (word(d) & !mask);
        d.copy_from_slice(&p.to_le_bytes());
    }
}

/// Coverage `b` over coverage `a` (levels `1..LEVELS`): `a + b - ab`, rounded to a level.
fn over(a: u8, b: u8) -> u8 {
    let top = (LEVELS - 1) as u32;
    let (a, b) = (a as u32, b as u32);
    (((a + b) * top - a * b + top / 2) / top) as u8
}

/// Widens a row's span to take in columns `x0..x1`.
fn mark(span: &mut Span, x0: usize, x1: usize) {
    *span = (span.0.min(x0 as u16), span.1.max(x1 as u16));
}

/// The palette index of a colour, added if new; once 256 colours are taken (which only
/// overlapping glyphs of different colours could cause), the nearest one.
fn colour(palette: &mut Vec<[u8; 3]>, slots: &mut [(u32, u8)], c: [u8; 3]) -> u8 {
    let key = u32::from_be_bytes([0, c[0], c[1], c[2]]);
    let mut h = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize % SLOTS;
    loop {
        let (k, v) = slots[h];
        if k == key {
            return v;
        }
        if k == EMPTY {
            break;
        }
        h = (h + 1) % SLOTS;
    }
    if palette.len() == 256 {
        let dist = |p: &[u8; 3]| p.iter().zip(c).map(|(&a, b)| (a as i32 - b as i32).pow(2)).sum::<i32>();
        let (i, _) = palette
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| dist(p))
            .expect("palette is full");
        return i as u8;
    }
    let v = palette.len() as u8;
    palette.push(c);
    slots[h] = (key, v);
    v
}

fn cap_height(font: &Font, size: f32) -> f32 {
    font.face.capital_height().map_or(0.7 * font.upem, f32::from) * size / font.upem
}

/// The baseline of line `i` of a paragraph whose first line box starts at `top`: the capitals
/// are centred in the line box.
fn baseline(font: &Font, p: &Para, lh: f32, top: f32, i: usize) -> f32 {
    top + (i as f32 + 0.5) * p.size * lh + cap_height(font, p.size) / 2.0
}

const MARK: &str = "“";
const MARK_SIZE: f32 = 200.0;
const MARK_GAP: f32 = 18.0;
const SPEAKER_GAP: f32 = 22.0;
const SPEAKER_LH: f32 = 1.3;

fn draw_quote(quote: &str, speaker: &str, site_name: &str) -> Drawn {
    with_fonts(|fonts| {
        let mut c = Canvas::new(&QUOTE_RAMPS);
        let region = REGION_BOTTOM - REGION_TOP;
        // The quote mark's ink box, so the block starts where the mark's ink does.
        let s = MARK_SIZE / fonts.serif.upem;
        let mark = fonts.serif.shape_cached(MARK);
        let mark_glyph = mark.first().map(|g| g.id);
        let mark_box = mark_glyph.and_then(|g| fonts.serif.face.glyph_bounding_box(g));
        let (mark_left, mark_top, mark_h) = mark_box.map_or((0.0, 0.0, 0.0), |b| {
            (b.x_min as f32 * s, b.y_max as f32 * s, (b.y_max - b.y_min) as f32 * s)
        });

        let speaker = normalize(speaker);
        let speaker_para = (!speaker.is_empty()).then(|| {
            let fit = Fit {
                max: 32.0,
                min: 24.0,
                step: 2.0,
                lh: SPEAKER_LH,
                max_lines: 1,
                balance: false,
            };
            layout(&fonts.sans, &format!("— {speaker}"), TEXT_W, region, &fit)
        });
        let speaker_h = speaker_para.as_ref().map_or(0.0, |p| SPEAKER_GAP + p.size * SPEAKER_LH);

        let fit = Fit {
            max: 60.0,
            min: 28.0,
            step: 2.0,
            lh: QUOTE_LH,
            max_lines: usize::MAX,
            balance: true,
        };
        let text_h = region - mark_h - MARK_GAP - speaker_h;
        let q = layout(&fonts.serif, quote, TEXT_W, text_h, &fit);
        let q_h = q.lines.len() as f32 * q.size * QUOTE_LH;

        let block = mark_h + MARK_GAP + q_h + speaker_h;
        let mut y = REGION_TOP + ((region - block) / 2.0).max(0.0);
        c.glyphs(
            &fonts.serif,
            MARK_SIZE,
            MARGIN_X - mark_left,
            y + mark_top,
            &mark,
            ACCENT,
        );
        y += mark_h + MARK_GAP;
        c.para(&fonts.serif, &q, QUOTE_LH, MARGIN_X, y, INK);
        y += q_h;
        if let Some(p) = &speaker_para {
            y += SPEAKER_GAP;
            c.para(&fonts.sans, p, SPEAKER_LH, MARGIN_X, y, ACCENT);
        }
        c.footer(fonts, site_name);
        c.finish()
    })
}

const RULE_W: f32 = 88.0;
const RULE_H: f32 = 8.0;
const RULE_GAP: f32 = 30.0;
const SUB_GAP: f32 = 20.0;
const SUB_LH: f32 = 1.3;

fn draw_title(title: &str, subtitle: &str, site_name: &str) -> Drawn {
    with_fonts(|fonts| {
        let mut c = Canvas::new(&TITLE_RAMPS);
        let region = REGION_BOTTOM - REGION_TOP;
        let subtitle = normalize(subtitle);
        let sub = (!subtitle.is_empty()).then(|| {
            let fit = Fit {
                max: 34.0,
                min: 24.0,
                step: 2.0,
                lh: SUB_LH,
                max_lines: 2,
                balance: true,
            };
            layout(&fonts.serif, &subtitle, TEXT_W, 2.0 * 34.0 * SUB_LH, &fit)
        });
        let sub_h = sub
            .as_ref()
            .map_or(0.0, |p| SUB_GAP + p.lines.len() as f32 * p.size * SUB_LH);

        let fit = Fit {
            max: 80.0,
            min: 36.0,
            step: 2.0,
            lh: TITLE_LH,
            max_lines: usize::MAX,
            balance: true,
        };
        let t = layout(&fonts.sans, title, TEXT_W, region - RULE_H - RULE_GAP - sub_h, &fit);
        let t_h = t.lines.len() as f32 * t.size * TITLE_LH;

        let block = RULE_H + RULE_GAP + t_h + sub_h;
        let mut y = REGION_TOP + ((region - block) / 2.0).max(0.0);
        c.rect(MARGIN_X, y, RULE_W, RULE_H, ACCENT);
        y += RULE_H + RULE_GAP;
        c.para(&fonts.sans, &t, TITLE_LH, MARGIN_X, y, INK);
        y += t_h;
        if let Some(p) = &sub {
            y += SUB_GAP;
            c.para(&fonts.serif, p, SUB_LH, MARGIN_X, y, MUTED);
        }
        c.footer(fonts, site_name);
        c.finish()
    })
}

impl Drawn {
    /// Every pixel, the footer's too (for the tests).
    #[cfg(test)]
    fn pixels(&self) -> Vec<u8> {
        let mut idx = self.idx.clone();
        if let Some(f) = &self.footer {
            idx[BAND_ROW * WIDTH as usize..].copy_from_slice(&f.pixels);
        }
        idx
    }

    /// The PNG, giving the pixel buffer back to the thread for its next card.
    fn encode(self) -> Vec<u8> {
        let png = png::encode(&self);
        SPARE.with(|s| *s.borrow_mut() = (self.idx, self.spans));
        png
    }
}

#[cfg(test)]
mod tests {
    use super::png::{BLOCKS, costs, costs_small, filter_row};
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    const SHORT_VI: &str = "Học, học nữa, học mãi.";
    const LONG_VI: &str = "Ở đâu có những người dân biết đứng lên, ở đó có hy vọng. Chúng ta phải nhớ rằng \
        Ễnh ương kêu suốt đêm, những ngọn đèn vẫn sáng ở cuối phố, và Ừ thì cuộc đời vẫn tiếp diễn, \
        dẫu mưa gió bão bùng, dẫu có những người đã ra đi mãi mãi. Ặc ặc, tiếng cười của trẻ nhỏ \
        vang lên giữa những ngõ hẻm quen thuộc của Hà Nội, nơi mỗi viên gạch đều kể một câu chuyện.";

    #[test]
    fn undrawable_characters_are_those_the_serif_font_lacks() {
        // Every Vietnamese letter, precomposed or not, and the typography around quotes draws.
        let vi = format!("{LONG_VI} Đ đ Ơ ư “x” ‘y’ — – … « » {}", "Vie\u{323}\u{302}t");
        assert_eq!(undrawable_in_quote(&vi), Vec::<char>::new());
        // CJK and emoji do not; each is listed once, in order; a variation selector or a
        // zero-width joiner is never drawn and not listed.
        assert_eq!(
            undrawable_in_quote("深度 深 🙂\u{fe0f} a\u{200d}b"),
            vec!['深', '度', '🙂']
        );
    }

    /// Width and height from the IHDR chunk, checking the signature and chunk order.
    fn ihdr(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
        (be(16), be(20))
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut d = ::png::Decoder::new(std::io::Cursor::new(png_bytes));
        d.set_transformations(::png::Transformations::EXPAND);
        let mut r = d.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, ::png::ColorType::Rgb, "palette expanded to RGB");
        (info.width, info.height, buf)
    }

    #[test]
    fn cards_are_1200_by_630_pngs() {
        for png in [
            quote_card(SHORT_VI, "Lê-nin", "Glossa"),
            title_card("Tiêu đề", "2026-11-28 · Tuổi Trẻ", "Glossa"),
        ] {
            assert_eq!(ihdr(&png), (1200, 630));
            assert_eq!(png[25], 3, "a palette PNG");
            let (w, h, pixels) = decode(&png);
            assert_eq!((w, h), (1200, 630));
            // Something was drawn besides the paper and the band.
            assert!(pixels.chunks_exact(3).any(|p| p == [INK.0, INK.1, INK.2]));
        }
    }

    /// The rows of a drawn card as the PNG stores them before compression: packed to 4 bits a
    /// pixel when the palette allows, each filtered whole (the filter choice taken over whole
    /// rows), its filter type first.
    fn filtered_rows(d: &Drawn) -> Vec<u8> {
        const W: usize = WIDTH as usize;
        let packed = d.palette.len() <= 16;
        let rows: Vec<Vec<u8>> = d
            .pixels()
            .chunks_exact(W)
            .map(|r| match packed {
                true => r.chunks_exact(2).map(|p| p[0] << 4 | p[1]).collect(),
                false => r.to_vec(),
            })
            .collect();
        let zero = vec![0; rows[0].len()];
        let mut out = Vec::new();
        let mut prev = &zero;
        for cur in &rows {
            let mut f = vec![0; cur.len()];
            let kind = filter_row(prev, cur, &mut f, !packed && d.palette.len() <= 128);
            out.push(kind);
            out.extend_from_slice(&f);
            prev = cur;
        }
        out
    }

    /// The IDAT's zlib stream of a PNG.
    fn idat(png: &[u8]) -> &[u8] {
        let at = png.windows(4).position(|w| w == b"IDAT").unwrap();
        let len = u32::from_be_bytes(png[at - 4..at].try_into().unwrap()) as usize;
        &png[at + 4..at + 4 + len]
    }

    /// `Deflate`, given only the columns drawn on, writes a stream that fdeflate's decoder
    /// (checking the Adler-32) decodes to every row whole, filtered as the PNG says; also when it
    /// appends rows it encoded before; at 4 bits a pixel and, when overlapping glyphs of
    /// different colours need more than 16, at 8.
    #[test]
    fn deflate_decodes_to_the_filtered_rows() {
        for (d, depth) in [
            (draw_quote(LONG_VI, "Hồ Xuân Hương", "Trích dẫn"), 4),
            (draw_title("Ỗ Ễ Ặ Ở Ừ ở đâu gỵ", "Ấn Độ · ngày 2", "Ỗ"), 4),
            (draw_quote("f\u{301}\u{303}\u{309} ĩ\u{323}\u{300} VAVAV", "", ""), 8),
            (draw_title(&"W".repeat(3000), &"ễ".repeat(500), ""), 4),
            (draw_quote("", "", ""), 4),
            (draw_quote("Đặng ướ ỗ, Ỗ Ẫ gỵ", "Đặng Thùy Trâm", "Glossa"), 4),
        ] {
            let reference = filtered_rows(&d);
            // Three times: rows seen, then kept, then appended from `BLOCKS`.
            for _ in 0..3 {
                let png = png::encode(&d);
                assert_eq!(png[24], depth, "bit depth, {} colours", d.palette.len());
                let rows = fdeflate::decompress_to_vec(idat(&png)).expect("a valid zlib stream");
                assert_eq!(rows.len(), reference.len());
                let first = rows.iter().zip(&reference).position(|(a, b)| a != b);
                assert!(rows == reference, "the decoded rows differ from byte {first:?}");
            }
        }
        assert!(BLOCKS.with(|b| b.borrow().keeps_any()));
    }

    /// With every index below 128 (a palette of at most 128 colours), the filter costs computed
    /// as sums of absolute differences are those of the general sums of `|d as i8|`.
    #[test]
    fn small_palette_costs_are_the_general_ones() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in (0..40).chain([255, 256, 257, 1199, 1200]) {
            for spread in [2, 16, 128] {
                let mut row = |_| {
                    (0..n)
                        .map(|_| (next() % spread) as u8 * (128 / spread as u8))
                        .collect::<Vec<_>>()
                };
                let (prev, cur) = (row(0), row(1));
                assert_eq!(costs_small(&prev, &cur), costs(&prev, &cur), "{n} {spread}");
                let zeros = vec![0; n];
                assert_eq!(costs_small(&zeros, &cur), costs(&zeros, &cur));
                let top: Vec<u8> = cur.iter().map(|&c| 127 - c.min(127)).collect();
                assert_eq!(costs_small(&top, &cur), costs(&top, &cur));
            }
        }
    }

    /// Our encoder: every pixel decodes (by the `png` crate) to the colour drawn, on cards with
    /// each filter, overlapping glyphs (colours off the ramps) and a reused pixel buffer.
    #[test]
    fn png_round_trip() {
        let cases = [
            draw_quote(LONG_VI, "Hồ Xuân Hương", "Trích dẫn"),
            draw_title("Ỗ Ễ Ặ Ở Ừ ở đâu gỵ", "Ấn Độ · ngày 2", "Ỗ"),
            draw_quote("f\u{301}\u{303}\u{309} ĩ\u{323}\u{300} VAVAV", "", ""),
            draw_quote("", "", ""),
        ];
        assert!(cases[2].palette.len() > 16, "some colours off the ramps");
        for d in cases {
            let (w, h, rgb) = decode(&png::encode(&d));
            assert_eq!((w, h), (WIDTH, HEIGHT));
            for (px, &i) in rgb.chunks_exact(3).zip(&d.pixels()) {
                assert_eq!(px, d.palette[i as usize]);
            }
            d.encode();
        }
    }

    /// A card given the thread's footer codes as it would with the footer's rows drawn on it:
    /// the first card of a site and kind (which keeps the footer) and the next ones, of both
    /// kinds and both bit depths.
    #[test]
    fn a_kept_footer_codes_as_its_rows_drawn() {
        let cards = [
            draw_quote(LONG_VI, "Hồ Xuân Hương", "Trích dẫn"),
            draw_quote(SHORT_VI, "", "Trích dẫn"),
            draw_quote("f\u{301}\u{303}\u{309} ĩ\u{323}\u{300} VAVAV", "", "Trích dẫn"),
            draw_title("Ỗ Ễ Ặ Ở Ừ ở đâu gỵ", "Ấn Độ · ngày 2", "Trích dẫn"),
            draw_title(SHORT_VI, "", "Trích dẫn"),
        ];
        assert!(cards[2].palette.len() > 16, "some colours off the ramps");
        for (i, d) in cards.iter().enumerate() {
            let f = d.footer.as_ref().expect("a footer kept");
            let mut spans = d.spans.clone();
            spans[BAND_ROW..].copy_from_slice(&f.spans);
            let drawn = Drawn {
                idx: d.pixels(),
                spans,
                palette: d.palette.clone(),
                ink: Vec::new(),
                footer: None,
            };
            assert!(png::encode(d) == png::encode(&drawn), "card {i}");
        }
    }

    #[test]
    fn same_input_same_bytes() {
        assert_eq!(
            quote_card(LONG_VI, "Hồ Xuân Hương", "Trích dẫn"),
            quote_card(LONG_VI, "Hồ Xuân Hương", "Trích dẫn")
        );
        assert_eq!(title_card(LONG_VI, "Thứ Ba", "x"), title_card(LONG_VI, "Thứ Ba", "x"));
        // And from another thread, with its own fonts and shape plans.
        let there = std::thread::spawn(|| quote_card(SHORT_VI, "A", "B")).join().unwrap();
        assert_eq!(there, quote_card(SHORT_VI, "A", "B"));
    }

    #[test]
    fn decomposed_input_renders_like_precomposed() {
        let nfd: String = "Tiếng Việt ễ ặ ở Ừ".nfd().collect();
        assert_eq!(quote_card(&nfd, "X", "Y"), quote_card("Tiếng Việt ễ ặ ở Ừ", "X", "Y"));
    }

    #[test]
    fn long_quote_is_elided_at_a_word_boundary() {
        let words = ["những", "người", "dân", "biết", "đứng", "lên,", "hy", "vọng"];
        let long: String = (0..500).map(|i| words[i % words.len()]).collect::<Vec<_>>().join(" ");
        assert!(long.chars().count() >= 2000);
        let png = quote_card(&long, "Ai đó", "Glossa");
        assert_eq!(ihdr(&png), (1200, 630));
        let q = with_fonts(|f| layout(&f.serif, &long, TEXT_W, 300.0, &quote_fit()));
        assert_eq!(q.size, 28.0);
        let last = q.lines.last().unwrap();
        let kept = last.strip_suffix(ELLIPSIS).expect("ends with an ellipsis");
        assert!(
            !kept.ends_with(','),
            "punctuation before the ellipsis is dropped: {last}"
        );
        let prefix: String = q.lines.join(" ");
        let prefix = prefix.strip_suffix(ELLIPSIS).unwrap();
        assert!(long.starts_with(prefix), "the kept text is a prefix of the quote");
        assert!(
            long[prefix.len()..].starts_with(' ') || long[prefix.len()..].starts_with(", "),
            "cut at a word: {last}"
        );
        assert!(
            q.lines
                .iter()
                .all(|l| with_fonts(|f| f.serif.advance(l)) as f32 * 28.0 / 1000.0 <= TEXT_W + 0.5)
        );
    }

    fn quote_fit() -> Fit {
        Fit {
            max: 60.0,
            min: 28.0,
            step: 2.0,
            lh: QUOTE_LH,
            max_lines: usize::MAX,
            balance: true,
        }
    }

    #[test]
    fn a_word_longer_than_a_line_breaks_between_graphemes() {
        let word = "Nghiêng".repeat(40) + "ễ\u{301}"; // ends in a grapheme of three code points
        let png = quote_card(&word, &"Tên ".repeat(100), &"Trang ".repeat(100));
        assert_eq!(ihdr(&png), (1200, 630));
        let q = with_fonts(|f| layout(&f.serif, &word, TEXT_W, 300.0, &quote_fit()));
        assert!(q.lines.len() > 1);
        let norm = normalize(&word);
        let joined: String = q.lines.concat();
        assert_eq!(
            joined.trim_end_matches(ELLIPSIS),
            &norm[..joined.trim_end_matches(ELLIPSIS).len()]
        );
        for l in &q.lines {
            let l = l.trim_end_matches(ELLIPSIS);
            let g = l.graphemes(true).next_back().unwrap();
            assert!(norm.graphemes(true).any(|x| x == g));
        }
        // A single grapheme wider than a line, and a word of many of them, do not panic either.
        title_card(&"W".repeat(3000), &"ễ".repeat(500), "");
        quote_card("", "", "");
        title_card("   ", " \n\t ", "\u{0}");
    }

    #[test]
    fn a_long_compound_breaks_after_its_hyphens() {
        let text = format!("Xem {} nhé", "đường-dẫn-rất-dài-không-có-khoảng-trắng-".repeat(4));
        let q = with_fonts(|f| layout(&f.serif, &text, TEXT_W, 400.0, &quote_fit()));
        assert!(q.lines.len() > 1);
        assert!(
            q.lines[0].starts_with("Xem đường-"),
            "goes on from the current line: {:?}",
            q.lines
        );
        for l in &q.lines[..q.lines.len() - 1] {
            assert!(l.ends_with('-'), "{:?}", q.lines);
        }
        assert_eq!(
            q.lines.concat().replace(' ', ""),
            text.replace(' ', ""),
            "nothing lost or added"
        );
    }

    #[test]
    fn markup_characters_are_just_text() {
        let png = quote_card("a < b && \"c\" > 'd' </svg> &amp;", "<script>", "A & B \"site\"");
        assert_eq!(decode(&png).0, 1200);
        let plain = quote_card("a b", "c", "d");
        assert_ne!(png, plain);
    }

    #[test]
    fn text_stays_inside_the_card_and_above_the_band() {
        for d in [
            draw_quote(LONG_VI, "Ừ Ễ Ặ Ở", "Glossa"),
            draw_quote("Ỗ Ễ Ặ Ở Ừ Ấ Ậ Ẫ Ỡ Ợ", "Ỗng", "Ỗ"),
            draw_quote(&LONG_VI.repeat(10), "Ỗ", "Ỗ"),
            draw_title("Ỗ Ễ Ặ Ở Ừ ở đâu có những người dân gỵ", "Ấn Độ · ngày 2", "Ỗ"),
            draw_title(&LONG_VI.repeat(3), &LONG_VI.repeat(3), "Ỗ"),
        ] {
            let (band, rest) = d.ink.split_last().unwrap();
            assert!(band.1 > BAND_TOP && band.3 < H, "{band:?}");
            for r in rest {
                assert!(r.0 >= MARGIN_X - 30.0 && r.2 <= W - MARGIN_X + 4.0, "{r:?}");
                assert!(r.1 >= 8.0 && r.3 <= BAND_TOP - 8.0, "{r:?}");
            }
        }
    }

    /// The highest stacked marks (capitals: `Ỗ`, `Ẫ`) stay clear of the deepest descenders
    /// (`g`, `ỵ`) of the line above, at each paragraph's line height.
    #[test]
    fn stacked_marks_clear_the_line_above() {
        with_fonts(|f| {
            for (font, lh, size) in [
                (&f.serif, QUOTE_LH, 40.0),
                (&f.sans, TITLE_LH, 60.0),
                (&f.serif, SUB_LH, 34.0),
            ] {
                let mut c = Canvas::new(&QUOTE_RAMPS);
                let p = Para {
                    size,
                    lines: vec!["gỵ pyg ỹ gỹ jg".into(), "Ỗ Ễ Ặ Ẫ Ừ Ở Ỡ".into()],
                    shaped: Vec::new(),
                };
                for (i, l) in p.lines.iter().enumerate() {
                    c.text(font, size, 20.0, baseline(font, &p, lh, 20.0, i), l, INK);
                }
                let (above, below) = (c.ink[0], c.ink[1]);
                eprintln!(
                    "{size}px × {lh}: descenders to {:.1}, marks from {:.1}",
                    above.3, below.1
                );
                assert!(
                    above.3 <= below.1,
                    "{size}px × {lh}: descenders to {:.1}, marks from {:.1}",
                    above.3,
                    below.1
                );
            }
        });
    }

    /// The glyphs a line keeps from its paragraph's shaping are those of shaping it alone.
    #[test]
    fn reused_glyphs_are_the_line_shaped_alone() {
        let key = |g: &Glyph| (g.cluster, g.advance, g.dx, g.dy, g.id.0);
        let compound = format!("Xem {} nhé", "đường-dẫn-rất-dài-không-có-khoảng-trắng-".repeat(4));
        let texts = [
            LONG_VI.to_string(),
            LONG_VI.repeat(5),
            SHORT_VI.to_string(),
            compound,
            "AVAVAV To Ty Yo LT fi ffi \"c\" — ‘d’ W. V, Ỗ Ễ Ặ Ở Ừ ở đâu gỵ".repeat(6),
            "W".repeat(300),
            "f\u{301}\u{303}\u{309} ĩ\u{323}\u{300} VAVAV ".repeat(20),
        ];
        let (mut reused, mut total) = (0, 0);
        with_fonts(|f| {
            for font in [&f.serif, &f.sans] {
                for text in &texts {
                    for fit in [
                        quote_fit(),
                        Fit {
                            balance: false,
                            ..quote_fit()
                        },
                    ] {
                        let p = layout(font, text, TEXT_W, 300.0, &fit);
                        for (line, glyphs) in p.lines.iter().zip(&p.shaped) {
                            total += 1;
                            if let Some(glyphs) = glyphs {
                                reused += 1;
                                let alone: Vec<_> = font.shape(line).iter().map(key).collect();
                                assert_eq!(glyphs.iter().map(key).collect::<Vec<_>>(), alone, "{line}");
                            }
                        }
                    }
                }
            }
        });
        assert!(reused > total / 2, "{reused} of {total} lines reused");
    }

    /// Every pair of characters a card draws, one on either side of a space, and some long
    /// texts, shape in both fonts as their words do alone with the space between: what
    /// `Font::shape_words` relies on.
    #[test]
    fn words_shape_as_the_text_does() {
        let key = |g: &Glyph| (g.cluster, g.advance, g.dx, g.dy, g.id.0);
        let vi = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";
        let mut chars: Vec<char> = ('!'..='~').collect();
        chars.extend(vi.chars().chain(vi.to_uppercase().chars()));
        chars.extend("“”‘’…–—«»·".chars());
        let texts = [
            LONG_VI.to_string(),
            "AVAVAV To Ty Yo LT fi ffi \"c\" — ‘d’ W. V, Ỗ Ễ Ặ Ở Ừ ở đâu gỵ".repeat(3),
            "f\u{301}\u{303}\u{309} ĩ\u{323}\u{300} VAVAV ".repeat(5),
        ];
        with_fonts(|f| {
            for font in [&f.serif, &f.sans] {
                for &a in &chars {
                    for &b in &chars {
                        let text = format!("{a} {b}");
                        let words: Vec<_> = font.by_words(&text).iter().map(key).collect();
                        assert_eq!(words, font.shape(&text).iter().map(key).collect::<Vec<_>>(), "{text}");
                    }
                }
                for text in texts.iter().map(|t| normalize(t)) {
                    let words: Vec<_> = font.shape_words(&text).iter().map(key).collect();
                    assert_eq!(words, font.shape(&text).iter().map(key).collect::<Vec<_>>(), "{text}");
                }
            }
        });
    }

    #[test]
    fn balanced_lines() {
        let q = with_fonts(|f| layout(&f.serif, LONG_VI, TEXT_W, 300.0, &quote_fit()));
        let widths: Vec<i32> = q.lines.iter().map(|l| with_fonts(|f| f.serif.advance(l))).collect();
        let (min, max) = (widths.iter().min().unwrap(), widths.iter().max().unwrap());
        assert!(*min as f32 > *max as f32 * 0.6, "{:?}", q.lines);
    }

    /// This thread's CPU time in ns (the machine is shared: wall time would count the others).
    #[cfg(target_os = "linux")]
    fn cpu_ns() -> u64 {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        unsafe extern "C" {
            fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut t = Timespec { sec: 0, nsec: 0 };
        // SAFETY: `t` is a valid, writable timespec; the clock id is Linux's.
        assert_eq!(unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) }, 0);
        t.sec as u64 * 1_000_000_000 + t.nsec as u64
    }

    /// Writes sample cards to /tmp and times them:
    /// `cargo test --release --lib card::tests::samples -- --ignored --nocapture`.
    #[test]
    #[ignore]
    #[cfg(target_os = "linux")]
    fn samples() {
        let cases = [
            (
                "quote-short",
                quote_card(SHORT_VI, "Lê-nin", "Glossa · Đọc có chú giải"),
            ),
            (
                "quote-long",
                quote_card(LONG_VI, "Nguyễn Thị Ánh Tuyết", "Glossa · Đọc có chú giải"),
            ),
            ("quote-huge", quote_card(&LONG_VI.repeat(5), "Ừ", "Glossa")),
            (
                "title",
                title_card(
                    "Ở đâu có những người dân biết đứng lên, ở đó có hy vọng",
                    "28/11/2026 · Tuổi Trẻ",
                    "Glossa",
                ),
            ),
            ("title-short", title_card("Ễnh ương", "", "Glossa")),
            (
                "quote-word",
                quote_card(
                    &format!(
                        "Xem {} nhé: a < b && \"c\" </svg>",
                        "đường-dẫn-rất-dài-không-có-khoảng-trắng".repeat(4)
                    ),
                    "<script>",
                    "A & B",
                ),
            ),
        ];
        // Close-ups (3×): the stacked marks of capitals under descenders, at the quote line height.
        let zoom = |d: &Drawn, (x0, y0, w, h): (usize, usize, usize, usize), name: &str| {
            let pixels = d.pixels();
            let mut out = Vec::with_capacity(w * h * 27);
            for y in 0..h * 3 {
                for x in 0..w * 3 {
                    let i = (y0 + y / 3) * WIDTH as usize + x0 + x / 3;
                    out.extend_from_slice(&d.palette[pixels[i] as usize]);
                }
            }
            let mut bytes = Vec::new();
            let mut enc = ::png::Encoder::new(&mut bytes, (w * 3) as u32, (h * 3) as u32);
            enc.set_color(::png::ColorType::Rgb);
            let mut wr = enc.write_header().unwrap();
            wr.write_image_data(&out).unwrap();
            wr.finish().unwrap();
            std::fs::write(format!("/tmp/card-zoom-{name}.png"), bytes).unwrap();
        };
        let stack = with_fonts(|f| {
            let mut c = Canvas::new(&QUOTE_RAMPS);
            let p = Para {
                size: 40.0,
                lines: vec!["gỵ pyg ỹ gỹ jg".into(), "Ỗ Ễ Ặ Ẫ Ừ Ở".into()],
                shaped: Vec::new(),
            };
            for (i, l) in p.lines.iter().enumerate() {
                c.text(
                    &f.serif,
                    p.size,
                    20.0,
                    baseline(&f.serif, &p, QUOTE_LH, 20.0, i),
                    l,
                    INK,
                );
            }
            c.finish()
        });
        zoom(&stack, (10, 10, 330, 130), "stack");
        zoom(
            &draw_quote(LONG_VI, "Nguyễn Thị Ánh Tuyết", "Glossa"),
            (90, 140, 400, 140),
            "long",
        );
        // A fresh thread: fonts, shape plans and glyph cache made on its first card.
        std::thread::spawn(|| {
            for n in ["first", "second"] {
                let t = cpu_ns();
                quote_card(LONG_VI, "Nguyễn Thị Ánh Tuyết", "Glossa");
                eprintln!(
                    "long quote, {n} card of a thread: {:.2} ms",
                    (cpu_ns() - t) as f64 / 1e6
                );
            }
        })
        .join()
        .unwrap();
        for (name, png) in &cases {
            std::fs::write(format!("/tmp/card-{name}.png"), png).unwrap();
            eprintln!("{name}: {} bytes", png.len());
        }
        let t = cpu_ns();
        for _ in 0..20 {
            std::hint::black_box(draw_quote(LONG_VI, "Nguyễn Thị Ánh Tuyết", "Glossa"));
        }
        eprintln!("long quote, drawing only: {:.2} ms", (cpu_ns() - t) as f64 / 1e6 / 20.0);
        let d = draw_quote(LONG_VI, "Nguyễn Thị Ánh Tuyết", "Glossa");
        let t = cpu_ns();
        for _ in 0..20 {
            std::hint::black_box(png::encode(&d));
        }
        eprintln!("long quote, PNG only: {:.2} ms", (cpu_ns() - t) as f64 / 1e6 / 20.0);
        let t = cpu_ns();
        for _ in 0..20 {
            std::hint::black_box(Canvas::new(&QUOTE_RAMPS));
        }
        eprintln!("blank canvas: {:.2} ms", (cpu_ns() - t) as f64 / 1e6 / 20.0);
        let t = cpu_ns();
        for _ in 0..20 {
            std::hint::black_box(with_fonts(|f| layout(&f.serif, LONG_VI, TEXT_W, 300.0, &quote_fit())));
        }
        eprintln!("long quote, layout only: {:.2} ms", (cpu_ns() - t) as f64 / 1e6 / 20.0);
        for (name, f) in [
            (
                "short quote",
                Box::new(|| quote_card(SHORT_VI, "Lê-nin", "Glossa")) as Box<dyn Fn() -> Vec<u8>>,
            ),
            (
                "long quote",
                Box::new(|| quote_card(LONG_VI, "Nguyễn Thị Ánh Tuyết", "Glossa")),
            ),
            (
                "2000-char quote",
                Box::new(|| quote_card(&LONG_VI.repeat(5), "Ừ", "Glossa")),
            ),
            (
                "title",
                Box::new(|| title_card("Ở đâu có những người dân biết đứng lên", "28/11/2026", "Glossa")),
            ),
        ] {
            f();
            let n = 50;
            let t = cpu_ns();
            for _ in 0..n {
                std::hint::black_box(f());
            }
            eprintln!("{name}: {:.2} ms per card", (cpu_ns() - t) as f64 / 1e6 / n as f64);
        }
    }
}
