//! Social-card images (`og:image`, 1200×630 PNG) for quotes and articles, rendered at build time:
//! no browser, no network, no system fonts.
//!
//! How: the text is shaped with rustybuzz (the Rust port of HarfBuzz: kerning, mark placement,
//! the Vietnamese `locl` forms) against two OFL fonts embedded with `include_bytes!`
//! (`static/fonts/`, Noto Serif Regular and Noto Sans Bold, both with every precomposed Vietnamese
//! letter, see `static/fonts/OFL.txt`). This module lays it out itself — word wrap, shrink to fit,
//! balanced lines, elision with "…" — and fills the glyph outlines (ttf-parser, which rustybuzz
//! re-exports) straight into a tiny-skia pixmap, which the `png` crate encodes.
//!
//! Why not resvg: going through an SVG string would only be a detour. We must measure and break
//! the lines ourselves anyway (SVG has no wrapping), and usvg would bring an XML parser, CSS, a
//! font database, image decoders and a second text layout engine, roughly doubling what this
//! costs to compile, and add an escaping step where a mistake is a broken card. Here the text is
//! never markup: `<`, `&` and `"` are just glyphs.
//!
//! Deterministic: the same input gives the same bytes on every run and machine of the same
//! architecture — only the embedded fonts are used, all arithmetic is in a fixed order, the
//! PNG has no timestamp, and the crate versions are pinned by `Cargo.lock`.
//!
//! Text is NFC-normalized first, so decomposed input (`e` + U+0302 + U+0303) uses the font's
//! precomposed `ễ`. Lines break only at spaces (Vietnamese words are space-separated syllables);
//! a word wider than a line breaks between grapheme clusters, never inside one. Glyphs the fonts
//! lack (CJK, emoji) draw as the font's missing-glyph box.

use std::cell::RefCell;

use rustybuzz::ttf_parser::{GlyphId, OutlineBuilder};
use rustybuzz::{Direction, Face, Language, ShapePlan, UnicodeBuffer, script};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Card width in pixels (the Open Graph recommended size).
pub const WIDTH: u32 = 1200;
/// Card height in pixels.
pub const HEIGHT: u32 = 630;

static SERIF_TTF: &[u8] = include_bytes!("../../static/fonts/NotoSerif-Regular.ttf");
static SANS_BOLD_TTF: &[u8] = include_bytes!("../../static/fonts/NotoSans-Bold.ttf");

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

/// Line height as a multiple of the font size. Vietnamese stacked marks reach about 1.15 em
/// above the baseline on capitals (`Ỗ`), descenders about 0.27 em below; 1.32 keeps lowercase
/// lines (`ễ` under `g`) apart and lets a stacked capital touch a descender only by a hair.
const QUOTE_LH: f32 = 1.32;
const TITLE_LH: f32 = 1.2;

/// Renders the card of a quote: a large opening quote mark, the quote (serif, as large as fits,
/// elided with "…" at a word boundary when even the smallest size does not fit), "— speaker" and
/// the site name in a footer band. Returns PNG bytes, 1200×630.
pub fn quote_card(quote: &str, speaker: &str, site_name: &str) -> Vec<u8> {
    encode_png(&draw_quote(quote, speaker, site_name).pixmap)
}

/// Renders the card of an article: the title (bold, as large as fits), a subtitle line (for
/// example "date · source") and the site name in a footer band. Returns PNG bytes, 1200×630.
pub fn title_card(title: &str, subtitle: &str, site_name: &str) -> Vec<u8> {
    encode_png(&draw_title(title, subtitle, site_name).pixmap)
}

#[derive(Clone, Copy)]
struct Rgb(u8, u8, u8);

impl Rgb {
    fn color(self) -> Color {
        Color::from_rgba8(self.0, self.1, self.2, 255)
    }
}

// ---------------------------------------------------------------------------------------------
// Fonts

struct Font {
    face: Face<'static>,
    plan: ShapePlan,
    lang: Language,
    upem: f32,
}

impl Font {
    fn new(data: &'static [u8]) -> Font {
        let face = Face::from_slice(data, 0).expect("embedded font parses");
        let lang: Language = "vi".parse().expect("language tag");
        let plan = ShapePlan::new(&face, Direction::LeftToRight, Some(script::LATIN), Some(&lang), &[]);
        let upem = face.units_per_em() as f32;
        Font { face, plan, lang, upem }
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
            })
            .collect()
    }

    fn advance(&self, text: &str) -> i32 {
        self.shape(text).iter().map(|g| g.advance).sum()
    }
}

struct Glyph {
    cluster: usize,
    advance: i32,
    dx: i32,
    dy: i32,
    id: GlyphId,
}

struct Fonts {
    serif: Font,
    sans: Font,
}

thread_local! {
    // A shape plan is not `Sync`, so each thread (rayon's workers) keeps its own; making one
    // parses the font's tables once, then every card reuses it.
    static FONTS: RefCell<Option<&'static Fonts>> = const { RefCell::new(None) };
}

fn with_fonts<R>(f: impl FnOnce(&Fonts) -> R) -> R {
    FONTS.with(|cell| {
        let fonts = *cell.borrow_mut().get_or_insert_with(|| {
            // Leaked once per thread: the pool's threads live as long as the process.
            Box::leak(Box::new(Fonts {
                serif: Font::new(SERIF_TTF),
                sans: Font::new(SANS_BOLD_TTF),
            }))
        });
        f(fonts)
    })
}

// ---------------------------------------------------------------------------------------------
// Layout

/// Normalized text shaped once, with prefix sums of the advances so the width of any substring
/// that starts and ends at a cluster boundary costs two binary searches.
struct Measured {
    text: String,
    clusters: Vec<usize>,
    prefix: Vec<i32>,
    words: Vec<(usize, usize)>,
    ellipsis: i32,
}

const ELLIPSIS: &str = "…";

impl Measured {
    fn new(font: &Font, raw: &str) -> Measured {
        let text = normalize(raw);
        let glyphs = font.shape(&text);
        let clusters = glyphs.iter().map(|g| g.cluster).collect();
        let mut prefix = Vec::with_capacity(glyphs.len() + 1);
        prefix.push(0);
        let mut sum = 0;
        for g in &glyphs {
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
        Measured {
            text,
            clusters,
            prefix,
            words,
            ellipsis: font.advance(ELLIPSIS),
        }
    }

    /// Width of `text[a..b]` in font units.
    fn width(&self, a: usize, b: usize) -> f32 {
        let i = self.clusters.partition_point(|&c| c < a);
        let j = self.clusters.partition_point(|&c| c < b);
        (self.prefix[j] - self.prefix[i]) as f32
    }

    /// Greedy wrap at `limit` font units: byte ranges of the lines, and whether a word had to be
    /// broken (between graphemes) because it alone is wider than a line.
    fn wrap(&self, limit: f32) -> (Vec<(usize, usize)>, bool) {
        let mut lines = Vec::new();
        let mut cur: Option<(usize, usize)> = None;
        let mut broke = false;
        for &(ws, we) in &self.words {
            if let Some((cs, _)) = cur
                && self.width(cs, we) <= limit
            {
                cur = Some((cs, we));
                continue;
            }
            lines.extend(cur.take());
            if self.width(ws, we) <= limit {
                cur = Some((ws, we));
                continue;
            }
            broke = true;
            let mut cs = ws;
            for (off, g) in self.text[ws..we].grapheme_indices(true) {
                let (gs, ge) = (ws + off, ws + off + g.len());
                if gs > cs && self.width(cs, ge) > limit {
                    lines.push((cs, gs));
                    cs = gs;
                }
            }
            cur = Some((cs, we));
        }
        lines.extend(cur);
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
    for c in s.nfc() {
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

/// A laid-out paragraph: the font size and its lines.
struct Para {
    size: f32,
    lines: Vec<String>,
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
    out
}

fn para(m: &Measured, size: f32, lines: &[(usize, usize)]) -> Para {
    Para {
        size,
        lines: lines.iter().map(|&(a, b)| m.text[a..b].to_string()).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

struct Drawn {
    pixmap: Pixmap,
    /// Ink bounds of every line of text drawn, in pixels (for the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    ink: Vec<Rect>,
}

struct Outline<'a> {
    pb: &'a mut PathBuilder,
    x: f32,
    y: f32,
    s: f32,
}

impl OutlineBuilder for Outline<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.pb.move_to(self.x + x * self.s, self.y - y * self.s);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.pb.line_to(self.x + x * self.s, self.y - y * self.s);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.pb.quad_to(
            self.x + x1 * self.s,
            self.y - y1 * self.s,
            self.x + x * self.s,
            self.y - y * self.s,
        );
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.pb.cubic_to(
            self.x + x1 * self.s,
            self.y - y1 * self.s,
            self.x + x2 * self.s,
            self.y - y2 * self.s,
            self.x + x * self.s,
            self.y - y * self.s,
        );
    }
    fn close(&mut self) {
        self.pb.close();
    }
}

struct Canvas {
    pixmap: Pixmap,
    ink: Vec<Rect>,
}

impl Canvas {
    fn new() -> Canvas {
        let mut pixmap = Pixmap::new(WIDTH, HEIGHT).expect("card size is valid");
        pixmap.fill(PAPER.color());
        Canvas {
            pixmap,
            ink: Vec::new(),
        }
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        if let Some(r) = Rect::from_xywh(x, y, w, h) {
            self.pixmap.fill_rect(r, &paint(color), Transform::identity(), None);
        }
    }

    /// Draws one line with its left edge at `x` and its baseline at `baseline`.
    fn text(&mut self, font: &Font, size: f32, x: f32, baseline: f32, text: &str, color: Rgb) {
        let s = size / font.upem;
        let mut pb = PathBuilder::new();
        let mut pen = x;
        for g in font.shape(text) {
            let mut o = Outline {
                pb: &mut pb,
                x: pen + g.dx as f32 * s,
                y: baseline - g.dy as f32 * s,
                s,
            };
            font.face.outline_glyph(g.id, &mut o);
            pen += g.advance as f32 * s;
        }
        if let Some(path) = pb.finish() {
            self.ink.push(path.bounds());
            self.pixmap
                .fill_path(&path, &paint(color), FillRule::Winding, Transform::identity(), None);
        }
    }

    /// The footer band with the site name, elided to one line.
    fn footer(&mut self, fonts: &Fonts, site_name: &str) {
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
        for line in &p.lines {
            self.text(&fonts.sans, p.size, MARGIN_X, baseline, line, PAPER);
        }
    }

    fn finish(self) -> Drawn {
        Drawn {
            pixmap: self.pixmap,
            ink: self.ink,
        }
    }
}

fn paint(color: Rgb) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(color.color());
    p.anti_alias = true;
    p
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
        let mut c = Canvas::new();
        let region = REGION_BOTTOM - REGION_TOP;
        // The quote mark's ink box, so the block starts where the mark's ink does.
        let s = MARK_SIZE / fonts.serif.upem;
        let mark_glyph = fonts.serif.shape(MARK).first().map(|g| g.id);
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
        c.text(
            &fonts.serif,
            MARK_SIZE,
            MARGIN_X - mark_left,
            y + mark_top,
            MARK,
            ACCENT,
        );
        y += mark_h + MARK_GAP;
        for (i, line) in q.lines.iter().enumerate() {
            c.text(
                &fonts.serif,
                q.size,
                MARGIN_X,
                baseline(&fonts.serif, &q, QUOTE_LH, y, i),
                line,
                INK,
            );
        }
        y += q_h;
        if let Some(p) = &speaker_para {
            y += SPEAKER_GAP;
            for line in &p.lines {
                c.text(
                    &fonts.sans,
                    p.size,
                    MARGIN_X,
                    baseline(&fonts.sans, p, SPEAKER_LH, y, 0),
                    line,
                    ACCENT,
                );
            }
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
        let mut c = Canvas::new();
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
        for (i, line) in t.lines.iter().enumerate() {
            c.text(
                &fonts.sans,
                t.size,
                MARGIN_X,
                baseline(&fonts.sans, &t, TITLE_LH, y, i),
                line,
                INK,
            );
        }
        y += t_h;
        if let Some(p) = &sub {
            y += SUB_GAP;
            for (i, line) in p.lines.iter().enumerate() {
                c.text(
                    &fonts.serif,
                    p.size,
                    MARGIN_X,
                    baseline(&fonts.serif, p, SUB_LH, y, i),
                    line,
                    MUTED,
                );
            }
        }
        c.footer(fonts, site_name);
        c.finish()
    })
}

fn encode_png(pixmap: &Pixmap) -> Vec<u8> {
    // The card is opaque, so premultiplied RGBA is plain RGBA: keep RGB.
    let rgb: Vec<u8> = pixmap.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let mut out = Vec::with_capacity(64 * 1024);
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header().expect("writing a PNG to memory");
    w.write_image_data(&rgb).expect("writing a PNG to memory");
    w.finish().expect("writing a PNG to memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT_VI: &str = "Học, học nữa, học mãi.";
    const LONG_VI: &str = "Ở đâu có những người dân biết đứng lên, ở đó có hy vọng. Chúng ta phải nhớ rằng \
        Ễnh ương kêu suốt đêm, những ngọn đèn vẫn sáng ở cuối phố, và Ừ thì cuộc đời vẫn tiếp diễn, \
        dẫu mưa gió bão bùng, dẫu có những người đã ra đi mãi mãi. Ặc ặc, tiếng cười của trẻ nhỏ \
        vang lên giữa những ngõ hẻm quen thuộc của Hà Nội, nơi mỗi viên gạch đều kể một câu chuyện.";

    /// Width and height from the IHDR chunk, checking the signature and chunk order.
    fn ihdr(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
        (be(16), be(20))
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut r = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        (info.width, info.height, buf)
    }

    #[test]
    fn cards_are_1200_by_630_pngs() {
        for png in [
            quote_card(SHORT_VI, "Lê-nin", "Glossa"),
            title_card("Tiêu đề", "2026-11-28 · Tuổi Trẻ", "Glossa"),
        ] {
            assert_eq!(ihdr(&png), (1200, 630));
            let (w, h, pixels) = decode(&png);
            assert_eq!((w, h), (1200, 630));
            // Something was drawn besides the paper and the band.
            assert!(pixels.chunks_exact(3).any(|p| p == [INK.0, INK.1, INK.2]));
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
            let g = l.graphemes(true).last().unwrap();
            assert!(norm.graphemes(true).any(|x| x == g));
        }
        // A single grapheme wider than a line, and a word of many of them, do not panic either.
        title_card(&"W".repeat(3000), &"ễ".repeat(500), "");
        quote_card("", "", "");
        title_card("   ", " \n\t ", "\u{0}");
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
            assert!(band.top() > BAND_TOP && band.bottom() < H, "{band:?}");
            for r in rest {
                assert!(r.left() >= MARGIN_X - 30.0 && r.right() <= W - MARGIN_X + 4.0, "{r:?}");
                assert!(r.top() >= 8.0 && r.bottom() <= BAND_TOP - 8.0, "{r:?}");
            }
        }
    }

    #[test]
    fn balanced_lines() {
        let q = with_fonts(|f| layout(&f.serif, LONG_VI, TEXT_W, 300.0, &quote_fit()));
        let widths: Vec<i32> = q.lines.iter().map(|l| with_fonts(|f| f.serif.advance(l))).collect();
        let (min, max) = (widths.iter().min().unwrap(), widths.iter().max().unwrap());
        assert!(*min as f32 > *max as f32 * 0.6, "{:?}", q.lines);
    }

    /// Writes sample cards to /tmp and times them:
    /// `cargo test --release --lib card::tests::samples -- --ignored --nocapture`.
    #[test]
    #[ignore]
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
        ];
        for (name, png) in &cases {
            std::fs::write(format!("/tmp/card-{name}.png"), png).unwrap();
            eprintln!("{name}: {} bytes", png.len());
        }
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
            let t = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(f());
            }
            eprintln!(
                "{name}: {:.2} ms per card",
                t.elapsed().as_secs_f64() * 1000.0 / n as f64
            );
        }
    }
}
