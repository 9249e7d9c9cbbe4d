//! A drawn card (`Drawn`: palette indices, the columns drawn on in each row, the palette) as a
//! palette PNG — 4 bits a pixel when the palette has at most 16 colours (a quote card), else 8 —
//! written here rather than by the `png` crate so that it can skip what the drawing did not
//! touch: the row filters are chosen here, and the DEFLATE stream is written here (literals,
//! and runs of zeros as a literal zero and a copy at distance 1, the shape of fdeflate's fast
//! stream) with a Huffman code of our own, fitted to cards (`HUFFMAN_LENGTHS`), with blank rows
//! and margins neither filtered, coded nor summed, the bytes of a row that are not zero found
//! 64 at a time and each coded with the run before it (`Bits::row`), runs of rows that recur
//! from card to card coded once per thread (`Blocks`), and a kept footer band's rows coded once
//! (`footer_code`). `deflate_decodes_to_the_filtered_rows`
//! in the card tests checks the stream with fdeflate's decoder.
//!
//! Stage 4 of the pipeline: rendering.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use super::{BAND_ROW, Drawn, Footer, HEIGHT, NO_SPAN, Span, WIDTH};

/// Whether a card is stored at 4 bits a pixel (two pixels a byte, the left one in the high
/// nibble): its palette has at most 16 colours.
fn packed(d: &Drawn) -> bool {
    d.palette.len() <= 16
}

/// Bytes in a row of the image (without the filter type).
fn row_bytes(packed: bool) -> usize {
    if packed { WIDTH as usize / 2 } else { WIDTH as usize }
}

/// Encodes the card as a palette PNG: each row filtered with the cheaper of Up and Sub (a row
/// equal to the one above is Up, all zeros), compressed into one DEFLATE block whose Huffman
/// code, fixed in advance (`HUFFMAN_LENGTHS`), is fitted to filtered card rows: small
/// differences and long runs of zeros are short. Choosing the filter here instead of in the
/// `png` crate (which tries all five on every row) halves the encoding time; writing the stream
/// here (`Deflate`) lets both skip what the drawing did not touch, and reuse the code of rows
/// drawn on card after card (`Blocks`). (A general DEFLATE with matches at any distance does
/// better on the unfiltered rows, but costs several times the whole card: see
/// `docs/performance.md`.)
pub(super) fn encode(d: &Drawn) -> Vec<u8> {
    let packed = packed(d);
    let mut out = Vec::with_capacity(32 * 1024);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = [0; 13];
    ihdr[..4].copy_from_slice(&WIDTH.to_be_bytes());
    ihdr[4..8].copy_from_slice(&HEIGHT.to_be_bytes());
    ihdr[8] = if packed { 4 } else { 8 }; // bit depth
    ihdr[9] = 3; // colour type: palette
    chunk(&mut out, b"IHDR", |o| o.extend_from_slice(&ihdr));
    chunk(&mut out, b"PLTE", |o| o.extend_from_slice(d.palette.as_flattened()));
    chunk(&mut out, b"IDAT", |o| {
        let mut z = Deflate::new(o);
        let mut row = Scratch::new();
        let blank = |y: usize| d.spans[y].0 >= d.spans[y].1;
        let mut y = 0;
        while y < HEIGHT as usize {
            if let Some(f) = &d.footer
                && y == BAND_ROW
            {
                z.append(footer_code(f));
                break;
            }
            if blank(y) || (y > 0 && !blank(y - 1)) {
                encode_row(&mut z, d, y, &mut row, packed);
                y += 1;
                continue;
            }
            // Rows drawn on, under a blank one: with the blank row after them, they encode the
            // same wherever they are.
            let e = (y..HEIGHT as usize).find(|&r| blank(r)).unwrap_or(HEIGHT as usize);
            let end = (e + 1).min(HEIGHT as usize);
            BLOCKS.with(|b| b.borrow_mut().encode(&mut z, d, y, e, end, &mut row, packed));
            y = end;
        }
        z.finish();
    });
    chunk(&mut out, b"IEND", |_| {});
    out
}

/// Two pixels a byte, the left one in the high nibble (every index below 16); eight pixels at a
/// time as a word: shifted left by a nibble, or-ed with the next pixel, every other byte kept.
#[inline(always)]
fn pack(pixels: &[u8], out: &mut [u8]) {
    let (p8, o4) = (pixels.chunks_exact(8), out.chunks_exact_mut(4));
    for (o, p) in o4.into_remainder().iter_mut().zip(p8.remainder().chunks_exact(2)) {
        *o = p[0] << 4 | p[1];
    }
    for (o, p) in out.chunks_exact_mut(4).zip(pixels.chunks_exact(8)) {
        let w = u64::from_le_bytes(p.try_into().expect("eight pixels"));
        let mut x = (w << 4 | w >> 8) & 0x00FF_00FF_00FF_00FF;
        x = (x | x >> 8) & 0x0000_FFFF_0000_FFFF;
        x |= x >> 16;
        o.copy_from_slice(&(x as u32).to_le_bytes());
    }
}

/// Buffers for a row: the filter type and the filtered row (zero outside the columns last
/// written), and the packed row (`packed_rows[cur_at]`) and the one above it (the other).
struct Scratch {
    row: [u8; WIDTH as usize + 1],
    packed_rows: [[u8; WIDTH as usize / 2]; 2],
    cur_at: usize,
    /// The row `packed_rows[cur_at]` holds packed, and the bytes `a..b` it holds (at 4 bits a
    /// pixel): the next row's row above there, without packing it again.
    packed_last: Option<(usize, usize, usize)>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            row: [0; WIDTH as usize + 1],
            packed_rows: [[0; WIDTH as usize / 2]; 2],
            cur_at: 0,
            packed_last: None,
        }
    }
}

/// Filters and encodes row `y` (`packed`: 4 bits a pixel).
fn encode_row(z: &mut Deflate, d: &Drawn, y: usize, s: &mut Scratch, packed: bool) {
    const W: usize = WIDTH as usize;
    static ZERO: [u8; W] = [0; W];
    let cur = &d.idx[y * W..][..W];
    let (prev, prev_span) = match y {
        0 => (&ZERO[..], NO_SPAN),
        _ => (&d.idx[(y - 1) * W..][..W], d.spans[y - 1]),
    };
    // Outside lo..hi this row and the one above are both paper, so both filters give zeros
    // there: Up trivially, Sub because the pixel (or byte) left of `lo` is paper too.
    let (lo, hi) = changed(d.spans[y], prev_span);
    let (lo, hi) = if packed {
        // the bytes holding columns lo..hi, and one more on the right (where Sub steps back down
        // to paper: `hi` is one past the last pixel drawn, which may share its byte)
        let (a, b) = (lo / 2, (hi.div_ceil(2) + 1).min(W / 2));
        // The row above was packed as the last row, over `pa..pb`: only the rest is packed now.
        let (pa, pb) = match s.packed_last {
            Some((last, pa, pb)) if last + 1 == y => {
                s.cur_at ^= 1;
                let pa = pa.clamp(a, b);
                (pa, pb.clamp(pa, b))
            }
            _ => (a, a),
        };
        let [r0, r1] = &mut s.packed_rows;
        let (cur_p, prev_p) = if s.cur_at == 0 { (r0, r1) } else { (r1, r0) };
        pack(&cur[2 * a..2 * b], &mut cur_p[a..b]);
        pack(&prev[2 * a..2 * pa], &mut prev_p[a..pa]);
        pack(&prev[2 * pb..2 * b], &mut prev_p[pb..b]);
        s.packed_last = Some((y, a, b));
        s.row[0] = filter_row(&prev_p[a..b], &cur_p[a..b], &mut s.row[1 + a..1 + b], false);
        (a, b)
    } else {
        let small = d.palette.len() <= 128;
        s.row[0] = filter_row(&prev[lo..hi], &cur[lo..hi], &mut s.row[1 + lo..1 + hi], small);
        (lo, hi)
    };
    z.row(&s.row[..1 + row_bytes(packed)], 1 + lo, 1 + hi);
    s.row[1 + lo..1 + hi].fill(0);
}

/// Runs of rows drawn on between blank rows that recur from card to card — the footer band with
/// the site name, the quote mark, a speaker's name — encoded once per thread: such a run and the
/// blank row after it always give the same DEFLATE code (runs of zeros are cut at the end of
/// each row, and each row starts with a non-zero filter type) and the same Adler-32 terms, so a
/// card that has the same rows again (the same spans, then the same pixels, compared) appends
/// the code. A run is kept the second time its spans are seen, not to copy every line of every
/// quote.
#[derive(Default)]
pub(super) struct Blocks {
    seen: HashSet<u64>,
    kept: HashMap<u64, Block>,
    size: usize,
}

struct Block {
    /// Whether the rows were coded at 4 bits a pixel.
    packed: bool,
    /// The spans of the rows drawn on; `rows` is one more when a blank row follows.
    spans: Vec<Span>,
    rows: usize,
    /// Their pixels within the spans, row after row.
    pixels: Vec<u8>,
    code: Code,
}

/// A piece of DEFLATE code and the Adler-32 terms of the data it codes.
pub(super) struct Code {
    /// Whole bytes, then the last `nbits` bits (fewer than eight).
    bytes: Vec<u8>,
    bits: u64,
    nbits: u32,
    /// The data's length, its byte sum and the sum of each byte times the number of bytes
    /// from it to the end (inclusive), all modulo `ADLER_MOD`.
    len: u64,
    sum: u64,
    weighted: u64,
}

/// Past this many bytes of kept rows and code, or this many spans seen, each starts over.
const BLOCKS_MAX: usize = 4 << 20;
const SEEN_MAX: usize = 4096;

thread_local! {
    pub(super) static BLOCKS: RefCell<Blocks> = RefCell::default();
}

impl Blocks {
    /// Whether a run of rows is kept (for the tests).
    #[cfg(test)]
    pub(super) fn keeps_any(&self) -> bool {
        !self.kept.is_empty()
    }

    /// Encodes rows `y..end` of `d`, of which `y..e` are drawn on, the row above `y` and row `e`
    /// (when `end > e`) are blank.
    #[allow(clippy::too_many_arguments)]
    fn encode(&mut self, z: &mut Deflate, d: &Drawn, y: usize, e: usize, end: usize, row: &mut Scratch, packed: bool) {
        const W: usize = WIDTH as usize;
        let spans = &d.spans[y..e];
        // (the palette's size tells the kinds of card apart, whose footers differ in the index
        // of the accent stripe: each keeps its own)
        let mut h = (end - y) as u64 | (d.palette.len() as u64) << 32;
        for &(a, b) in spans {
            h = (h.rotate_left(26) ^ (a as u64) << 16 ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        let pixels = || {
            spans
                .iter()
                .zip(d.idx[y * W..e * W].chunks_exact(W))
                .map(|(&(a, b), r)| &r[a as usize..b as usize])
        };
        if let Some(k) = self.kept.get(&h)
            && k.rows == end - y
            && k.packed == packed
            && k.spans == spans
        {
            let mut at = 0;
            let same = pixels().all(|p| {
                at += p.len();
                k.pixels[at - p.len()..at] == *p
            });
            if same {
                z.append(&k.code);
                return;
            }
        }
        if !self.seen.contains(&h) {
            if self.seen.len() >= SEEN_MAX {
                self.seen.clear();
            }
            self.seen.insert(h);
            for r in y..end {
                encode_row(z, d, r, row, packed);
            }
            return;
        }
        let code = coded(d, y, end, row, packed);
        z.append(&code);
        let block = Block {
            packed,
            spans: spans.to_vec(),
            rows: end - y,
            // (a row at a time, not byte by byte)
            pixels: pixels().collect::<Vec<_>>().concat(),
            code,
        };
        self.size += block.pixels.len() + block.code.bytes.len() + 64;
        if self.size > BLOCKS_MAX {
            self.kept.clear();
            self.size = 0;
        }
        self.kept.insert(h, block);
    }
}

/// Rows `y..end` of `d` coded on their own, as a piece of the stream that can be appended
/// after any row (`y - 1` must be blank).
fn coded(d: &Drawn, y: usize, end: usize, row: &mut Scratch, packed: bool) -> Code {
    let mut bytes = Vec::new();
    let mut part = Deflate::bare(&mut bytes);
    for r in y..end {
        encode_row(&mut part, d, r, row, packed);
    }
    let (bits, nbits, a, b) = part.done();
    bytes.shrink_to_fit();
    let len = ((end - y) * (row_bytes(packed) + 1)) as u64;
    Code {
        bytes,
        bits,
        nbits,
        len: len % ADLER_MOD,
        sum: (a + ADLER_MOD - 1) % ADLER_MOD,
        weighted: (b + ADLER_MOD - len % ADLER_MOD) % ADLER_MOD,
    }
}

/// The code of a footer's rows, made the first time: from a card that is the footer's rows
/// under one blank row, with the footer's palette (every card given it has that palette).
fn footer_code(f: &Footer) -> &Code {
    f.code.get_or_init(|| {
        const W: usize = WIDTH as usize;
        let mut idx = vec![0; W];
        idx.extend_from_slice(&f.pixels);
        let mut spans = vec![NO_SPAN];
        spans.extend_from_slice(&f.spans);
        let rows = spans.len();
        let alone = Drawn {
            idx,
            spans,
            palette: f.palette.clone(),
            ink: Vec::new(),
            footer: None,
        };
        coded(&alone, 1, rows, &mut Scratch::new(), packed(&alone))
    })
}

/// The columns where a row or the one above may differ from paper, and one more on the right
/// (where Sub steps back down to paper); `(0, 0)` when both rows are all paper.
fn changed(span: Span, above: Span) -> (usize, usize) {
    let (s0, s1) = if span.0 < span.1 {
        (span.0 as usize, (span.1 as usize + 1).min(WIDTH as usize))
    } else {
        (WIDTH as usize, 0)
    };
    let (lo, hi) = (s0.min(above.0 as usize), s1.max(above.1 as usize));
    if lo < hi { (lo, hi) } else { (0, 0) }
}

/// Appends a PNG chunk whose data `write` appends: length, type, data, CRC of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], write: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    write(out);
    let len = (out.len() - at - 8) as u32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    let crc = crc32fast::hash(&out[at + 4..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Filters part of a row (`cur`, under `prev`, the pixel left of it paper) into `out` and returns
/// the filter type: Up when the row repeats the one above (all zeros: the margins, the gaps
/// between lines, the band; `out` is left as it is, zeros), else whichever of Sub and Up has the
/// smaller sum of absolute differences. (Also trying Paeth, as the `png` crate's adaptive filter
/// does with all five, makes the cards 4% smaller and the encoding twice as slow; None and
/// Average never win on these cards.)
pub(super) fn filter_row(prev: &[u8], cur: &[u8], out: &mut [u8], small: bool) -> u8 {
    if cur == prev {
        return 2;
    }
    let (up, sub) = if small {
        costs_small(prev, cur)
    } else {
        costs(prev, cur)
    };
    if sub < up {
        out[0] = cur[0];
        for ((o, &c), &l) in out[1..].iter_mut().zip(&cur[1..]).zip(cur) {
            *o = c.wrapping_sub(l);
        }
        1
    } else {
        for ((o, &c), &p) in out.iter_mut().zip(cur).zip(prev) {
            *o = c.wrapping_sub(p);
        }
        2
    }
}

/// `|d as i8|`, as a byte (128 for -128).
#[inline(always)]
fn abs_i8(d: u8) -> u8 {
    d.min(d.wrapping_neg())
}

/// `costs` when every index is below 128: then `|(a - b) as i8|` is `|a - b|`, whose sum over
/// sixteen bytes is one instruction (`psadbw` on x86-64).
pub(super) fn costs_small(prev: &[u8], cur: &[u8]) -> (u32, u32) {
    match cur.split_first() {
        Some((&first, rest)) => (sad(cur, prev), first as u32 + sad(rest, &cur[..rest.len()])),
        None => (0, 0),
    }
}

/// The sum of `|a - b|` over two rows.
#[inline(never)]
fn sad(a: &[u8], b: &[u8]) -> u32 {
    const L: usize = 16;
    let d = |a: u8, b: u8| (a as i32 - b as i32).unsigned_abs();
    let (a16, b16) = (a.chunks_exact(L), b.chunks_exact(L));
    let mut sum = a16
        .remainder()
        .iter()
        .zip(b16.remainder())
        .map(|(&a, &b)| d(a, b))
        .sum();
    for (a, b) in a16.zip(b16) {
        let (a, b): (&[u8; L], &[u8; L]) = (a.try_into().expect("sixteen"), b.try_into().expect("sixteen"));
        sum += a.iter().zip(b).map(|(&a, &b)| d(a, b)).sum::<u32>();
    }
    sum
}

/// The costs of Up and Sub over part of a row (the pixel left of it paper): the sums of
/// `|r as i8|` over the two filtered rows, computed together without writing either, sixteen
/// lanes of 16-bit sums at a time (a row of 1200 bytes sums to at most 75 × 128 per lane).
pub(super) fn costs(prev: &[u8], cur: &[u8]) -> (u32, u32) {
    const L: usize = 16;
    let n = cur.len();
    if n == 0 {
        return (0, 0);
    }
    let mut up = abs_i8(cur[0].wrapping_sub(prev[0])) as u32;
    let mut sub = abs_i8(cur[0]) as u32;
    let (cur1, left, prev1) = (&cur[1..], &cur[..n - 1], &prev[1..]);
    let mut lanes_up = [0u16; L];
    let mut lanes_sub = [0u16; L];
    let whole = (n - 1) / L * L;
    for ((c, l), p) in cur1[..whole]
        .chunks_exact(L)
        .zip(left[..whole].chunks_exact(L))
        .zip(prev1[..whole].chunks_exact(L))
    {
        for j in 0..L {
            lanes_up[j] += abs_i8(c[j].wrapping_sub(p[j])) as u16;
            lanes_sub[j] += abs_i8(c[j].wrapping_sub(l[j])) as u16;
        }
    }
    for ((&c, &l), &p) in cur1[whole..].iter().zip(&left[whole..]).zip(&prev1[whole..]) {
        up += abs_i8(c.wrapping_sub(p)) as u32;
        sub += abs_i8(c.wrapping_sub(l)) as u32;
    }
    up += lanes_up.iter().map(|&x| x as u32).sum::<u32>();
    sub += lanes_sub.iter().map(|&x| x as u32).sum::<u32>();
    (up, sub)
}

/// The Huffman code lengths for literals and lengths, fitted to filtered card rows (the symbol
/// counts of 500 quote and title cards, optimal lengths of at most 15 bits, every symbol given
/// a code): `fit_huffman_code` in the tests prints it and the header below. It codes those
/// cards' symbols in a quarter fewer bits than fdeflate's code for filtered images in general,
/// which this encoder used before. The one distance code (distance 1, for runs of zeros) is a
/// single 0 bit.
const HUFFMAN_LENGTHS: [u8; 286] = [
    1, 5, 5, 7, 11, 10, 11, 12, 15, 15, 15, 15, 15, 13, 12, 10, 5, 6, 7, 8, 9, 14, 14, 13, 14, 15, 15, 15, 15, 14, 13,
    12, 6, 7, 7, 8, 9, 13, 14, 14, 15, 15, 15, 15, 15, 15, 13, 13, 7, 8, 8, 7, 9, 14, 14, 13, 14, 15, 15, 15, 15, 15,
    15, 15, 10, 9, 9, 9, 9, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 10, 13, 13, 14, 15, 11, 12, 13, 13, 15, 15, 15,
    15, 15, 15, 15, 11, 12, 13, 14, 15, 14, 11, 13, 13, 15, 15, 15, 15, 15, 15, 15, 12, 13, 14, 12, 15, 14, 13, 12, 13,
    14, 13, 14, 15, 14, 15, 15, 13, 14, 12, 13, 15, 15, 14, 14, 13, 14, 13, 14, 15, 15, 14, 15, 12, 15, 15, 15, 15, 15,
    15, 15, 15, 12, 13, 12, 15, 13, 14, 13, 11, 15, 15, 15, 15, 15, 15, 15, 15, 13, 14, 11, 15, 14, 14, 13, 10, 15, 15,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 9, 9, 9, 9, 11, 15, 15, 15, 15, 15, 15, 15, 13, 14, 14, 13, 9, 7, 8, 8, 8, 15,
    15, 14, 15, 15, 15, 15, 14, 13, 13, 14, 9, 8, 7, 8, 6, 13, 15, 14, 15, 15, 15, 15, 14, 14, 13, 13, 9, 8, 7, 7, 5,
    12, 13, 15, 15, 15, 15, 15, 15, 13, 11, 11, 11, 8, 6, 5, 15, 15, 15, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 8,
    8, 8, 9, 8, 7, 9, 9, 9, 9, 10, 10, 6,
];

/// The zlib header and the start of the block: the dynamic Huffman code above, stored; the last
/// `HEADER_LAST_BITS` bits are those of the last byte (`the_stored_header_is_that_of_the_code`
/// in the tests writes it again from `HUFFMAN_LENGTHS`).
const HEADER_LAST_BITS: u32 = 2;
const DEFLATE_HEADER: [u8; 110] = [
    120, 1, 237, 224, 247, 127, 164, 107, 158, 223, 231, 93, 247, 93, 115, 102, 157, 184, 231, 126, 10, 45, 81, 14,
    226, 62, 85, 104, 74, 142, 100, 1, 213, 18, 229, 124, 58, 56, 59, 28, 82, 158, 37, 157, 103, 41, 107, 72, 231, 165,
    214, 226, 82, 148, 101, 83, 75, 91, 162, 40, 91, 94, 103, 47, 215, 20, 199, 217, 212, 88, 226, 113, 118, 232, 48,
    206, 148, 216, 5, 192, 150, 131, 72, 53, 10, 15, 45, 7, 137, 108, 84, 221, 75, 71, 206, 12, 158, 219, 118, 21, 50,
    128, 110, 0, 141, 234, 112, 206, 115, 1,
];

/// The canonical codes of `HUFFMAN_LENGTHS`, bit-reversed as DEFLATE writes them.
const HUFFMAN_CODES: [u16; 286] = {
    let mut codes = [0u16; 286];
    let mut code = 0u32;
    let mut len = 1;
    while len <= 15 {
        let mut i = 0;
        while i < 286 {
            if HUFFMAN_LENGTHS[i] == len {
                codes[i] = (code as u16).reverse_bits() >> (16 - len);
                code += 1;
            }
            i += 1;
        }
        code <<= 1;
        len += 1;
    }
    assert!(code == 1 << 16, "a complete code");
    assert!(
        codes[0] == 0,
        "a literal zero is all zero bits: runs of them rely on it"
    );
    codes
};

/// `HUFFMAN_CODES` and, above them, `HUFFMAN_LENGTHS`, for the literals: one load per byte.
const HUFFMAN_CODES_LENGTHS: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = HUFFMAN_CODES[i] as u32 | (HUFFMAN_LENGTHS[i] as u32) << 16;
        i += 1;
    }
    t
};

/// DEFLATE's length symbols: (symbol, extra bits) for each copy length `3..=258`, less 3.
const LENGTH_SYMBOLS: [(u16, u8); 256] = {
    const BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ];
    let mut t = [(0u16, 0u8); 256];
    let mut sym = 0;
    let mut len = 3;
    while len <= 258 {
        if sym + 1 < 29 && len >= BASE[sym + 1] as usize {
            sym += 1;
        }
        let extra = if sym < 8 || sym == 28 { 0 } else { (sym - 4) / 4 };
        t[len - 3] = (257 + sym as u16, extra as u8);
        len += 1;
    }
    t
};

/// The codes of runs of `1..=258` zeros (`Bits::run`): a literal zero, then a copy of the
/// rest when longer than 4, else literal zeros; (bits, count), at most 2 + 12 + 5 + 1 bits.
const RUN_CODES: [(u32, u8); 259] = {
    let mut t = [(0u32, 0u8); 259];
    let mut run = 1;
    while run <= 258 {
        let (mut bits, mut n) = (HUFFMAN_CODES[0] as u32, HUFFMAN_LENGTHS[0] as u32);
        let rest = run - 1;
        if rest > 4 {
            let (sym, extra) = LENGTH_SYMBOLS[rest - 3];
            bits |= (HUFFMAN_CODES[sym as usize] as u32) << n;
            n += HUFFMAN_LENGTHS[sym as usize] as u32;
            bits |= (((rest - 3) as u32) & ((1 << extra) - 1)) << n;
            n += extra as u32 + 1;
        } else {
            n += rest as u32 * HUFFMAN_LENGTHS[0] as u32;
        }
        t[run] = (bits, n as u8);
        run += 1;
    }
    t
};

/// The bits of the bytes of `chunk` that are not zero, the first byte's lowest: eight bytes at
/// a time, the top bit of each byte set when it is not zero (its low seven bits plus 127
/// carry into it, or it was set), then the eight top bits gathered into the top byte by one
/// multiplication (byte k's bit moves up 7·(7 - k); no two products' bits meet, so nothing
/// carries).
#[inline(always)]
fn nonzero(chunk: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (k, c) in chunk.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        let top = (((w & LOW7) + LOW7) | w) & HIGH;
        mask |= (top.wrapping_mul(0x0002_0408_1020_4081) >> 56) << (8 * k);
    }
    mask
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The DEFLATE stream of a card: literals, and runs of zeros as a literal zero and a copy at
/// distance 1 (the shape of fdeflate's fast stream), a run cut at the end of each row. Rows are
/// given with the columns that may be non-zero, so the rest costs a few instructions instead
/// of one per byte, for the code and for the Adler-32.
struct Deflate<'a> {
    /// Bytes written up to `pos`; past it, room to write eight bytes at a time (`room`).
    out: &'a mut Vec<u8>,
    pos: usize,
    /// Bits not yet written (fewer than eight).
    bits: u64,
    nbits: u32,
    /// Adler-32 of the data so far (reduced after each row).
    a: u64,
    b: u64,
}

const ADLER_MOD: u64 = 65521;

impl<'a> Deflate<'a> {
    fn new(out: &'a mut Vec<u8>) -> Deflate<'a> {
        out.extend_from_slice(&DEFLATE_HEADER[..DEFLATE_HEADER.len() - 1]);
        let mut z = Deflate::bare(out);
        z.with_bits(|w| w.put(DEFLATE_HEADER[DEFLATE_HEADER.len() - 1] as u64, HEADER_LAST_BITS));
        z
    }

    /// A writer of a piece of the stream: no header, the Adler-32 of its data alone.
    fn bare(out: &'a mut Vec<u8>) -> Deflate<'a> {
        Deflate {
            pos: out.len(),
            out,
            bits: 0,
            nbits: 0,
            a: 1,
            b: 0,
        }
    }

    /// Writes with `f` (at most `ROOM` bytes of code): the bit writer holds the output as a
    /// slice and the state in registers.
    #[inline(always)]
    fn with_bits<R>(&mut self, f: impl FnOnce(&mut Bits) -> R) -> R {
        if self.out.len() < self.pos + ROOM {
            self.out.resize(self.pos + 2 * ROOM, 0);
        }
        let mut w = Bits {
            buf: &mut self.out[..],
            pos: self.pos,
            bits: self.bits,
            nbits: self.nbits,
        };
        let r = f(&mut w);
        (self.pos, self.bits, self.nbits) = (w.pos, w.bits, w.nbits);
        r
    }

    /// The bytes written, and the bits after them.
    fn done(self) -> (u64, u32, u64, u64) {
        self.out.truncate(self.pos);
        (self.bits, self.nbits, self.a, self.b)
    }

    /// Appends a piece of code made by a `bare` writer.
    fn append(&mut self, code: &Code) {
        for block in code.bytes.chunks(ROOM / 2) {
            self.with_bits(|w| {
                let words = block.chunks_exact(4);
                let rest = words.remainder();
                for c in words {
                    w.put(u32::from_le_bytes(c.try_into().expect("four bytes")) as u64, 32);
                }
                for &b in rest {
                    w.put(b as u64, 8);
                }
            });
        }
        self.with_bits(|w| w.put(code.bits, code.nbits));
        // Over data x_1..x_n: a gains the sum, b gains n·a plus the sum of (n - i + 1)·x_i.
        self.b = (self.b + code.len * self.a + code.weighted) % ADLER_MOD;
        self.a = (self.a + code.sum) % ADLER_MOD;
    }

    /// One row (a filter type, then the filtered bytes): `data` is zero except at 0 and in
    /// `lo..hi`.
    fn row(&mut self, data: &[u8], lo: usize, hi: usize) {
        let (sum, weighted) = self.with_bits(|w| w.row(data, lo, hi));
        // Over the row's bytes x_0..x_{n-1}: `b` gains n·a plus the sum of (n - i)·x_i.
        self.b = (self.b + data.len() as u64 * self.a + weighted) % ADLER_MOD;
        self.a = (self.a + sum) % ADLER_MOD;
    }

    /// The end-of-block code, the last bits and the Adler-32.
    fn finish(mut self) {
        self.with_bits(|w| {
            w.put(HUFFMAN_CODES[256] as u64, HUFFMAN_LENGTHS[256] as u32);
            if w.nbits > 0 {
                w.put(0, 8 - w.nbits);
            }
        });
        let adler = ((self.b << 16 | self.a) as u32).to_be_bytes();
        self.out.truncate(self.pos);
        self.out.extend_from_slice(&adler);
    }
}

/// Bytes of code `Deflate::with_bits` makes room for: more than a row's longest (at most 35
/// bits a byte, a run of zeros and a literal; a row is at most 1,201 bytes).
const ROOM: usize = 8 << 10;

/// A bit writer over a slice with room: DEFLATE's bits, least significant first.
struct Bits<'b> {
    buf: &'b mut [u8],
    pos: usize,
    bits: u64,
    nbits: u32,
}

impl Bits<'_> {
    /// Writes the `n` low bits of `bits` (no others set; `n` at most 56), with no branch: the
    /// pending bits and these, as eight bytes at `pos`, which moves past the whole ones.
    #[inline(always)]
    fn put(&mut self, bits: u64, n: u32) {
        debug_assert!(n <= 56 && bits >> n == 0);
        self.bits |= bits << self.nbits;
        self.nbits += n;
        self.buf[self.pos..self.pos + 8].copy_from_slice(&self.bits.to_le_bytes());
        let whole = self.nbits / 8;
        self.pos += whole as usize;
        self.bits >>= 8 * whole;
        self.nbits -= 8 * whole;
    }

    /// A run of `run` zeros: a literal zero, then copies of it.
    #[inline(always)]
    fn run(&mut self, run: u32) {
        match RUN_CODES.get(run as usize) {
            Some(&(bits, n)) => self.put(bits as u64, n as u32),
            None => self.long_run(run),
        }
    }

    #[inline(never)]
    fn long_run(&mut self, mut run: u32) {
        self.put(HUFFMAN_CODES[0] as u64, HUFFMAN_LENGTHS[0] as u32);
        run -= 1;
        while run >= 258 {
            // Length 258 and the distance code, a 0 bit.
            self.put(HUFFMAN_CODES[285] as u64, HUFFMAN_LENGTHS[285] as u32 + 1);
            run -= 258;
        }
        if run > 4 {
            let (sym, extra) = LENGTH_SYMBOLS[run as usize - 3];
            self.put(HUFFMAN_CODES[sym as usize] as u64, HUFFMAN_LENGTHS[sym as usize] as u32);
            self.put(((run - 3) & ((1 << extra) - 1)) as u64, extra as u32 + 1);
        } else {
            self.put(0, run * HUFFMAN_LENGTHS[0] as u32);
        }
    }

    /// A run of `run` zeros (none when 0), then the literal `x`, in one `put` when the run is
    /// not longer than a copy.
    #[inline(always)]
    fn zeros_then(&mut self, run: usize, x: u8) {
        let c = HUFFMAN_CODES_LENGTHS[x as usize];
        let (code, len) = ((c & 0xFFFF) as u64, c >> 16);
        match RUN_CODES.get(run) {
            Some(&(bits, n)) => self.put(bits as u64 | code << n, n as u32 + len),
            None => {
                self.long_run(run as u32);
                self.put(code, len);
            }
        }
    }

    /// Codes a row, `data`, zero except at 0 and in `lo..hi`, and returns the Adler-32 terms
    /// of its bytes x_i: their sum and the sum of (n - i)·x_i. The bytes that are not zero are
    /// found 64 at a time as the bits of a word, and each is coded with the run of zeros before
    /// it in one `put`: the cost goes with the bytes drawn, not with the row's width, and there
    /// is no branch per byte to mispredict.
    #[inline(always)]
    fn row(&mut self, data: &[u8], lo: usize, hi: usize) -> (u64, u64) {
        debug_assert!(data[1..lo.max(1)].iter().chain(&data[hi.max(1)..]).all(|&b| b == 0));
        let n = data.len();
        let (mut sum, mut weighted) = (data[0] as u64, n as u64 * data[0] as u64);
        self.zeros_then(0, data[0]);
        let mut next = 1;
        let mut base = lo.max(1);
        while base < hi {
            let end = (base + 64).min(n);
            let mut tail = [0u8; 64];
            let chunk: &[u8; 64] = match data[base..].first_chunk() {
                Some(c) => c,
                None => {
                    tail[..end - base].copy_from_slice(&data[base..end]);
                    &tail
                }
            };
            let mut mask = nonzero(chunk);
            while mask != 0 {
                let j = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                let (i, x) = (base + j, chunk[j]);
                self.zeros_then(i - next, x);
                sum += x as u64;
                weighted += (n - i) as u64 * x as u64;
                next = i + 1;
            }
            base = end;
        }
        if next < n {
            self.run((n - next) as u32);
        }
        (sum, weighted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bits, least significant first, as DEFLATE writes them.
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }

    impl Bits {
        fn put(&mut self, v: u64, n: u32) {
            self.acc |= v << self.n;
            self.n += n;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
    }

    /// Canonical Huffman codes of `lengths`, bit-reversed.
    fn codes(lengths: &[u8]) -> Vec<u16> {
        let mut codes = vec![0; lengths.len()];
        let mut code = 0u32;
        for len in 1..=15 {
            for (i, &l) in lengths.iter().enumerate() {
                if l == len {
                    codes[i] = (code as u16).reverse_bits() >> (16 - len);
                    code += 1;
                }
            }
            code <<= 1;
        }
        codes
    }

    /// Optimal code lengths of at most `max` bits for `freqs`, every symbol given a code.
    fn lengths(freqs: &[u64], max: u8) -> Vec<u8> {
        let mut out = vec![0; freqs.len()];
        fdeflate::compute_code_lengths(freqs, &vec![1; freqs.len()], &vec![max; freqs.len()], &mut out);
        out
    }

    /// The zlib header and the start of the DEFLATE block that `Deflate` writes: last block,
    /// dynamic Huffman code, 286 literal/length codes of `lit` lengths and one distance code of
    /// one bit, the code lengths run-length coded. Whole bytes, then the last byte's bits.
    fn header(lit: &[u8; 286]) -> (Vec<u8>, u8, u32) {
        const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
        let all: Vec<u8> = lit.iter().copied().chain([1]).collect();
        // (symbol, extra bits, their value)
        let mut syms: Vec<(usize, u32, u64)> = Vec::new();
        let mut i = 0;
        while i < all.len() {
            let l = all[i];
            let run = all[i..].iter().take_while(|&&x| x == l).count();
            if l == 0 && run >= 11 {
                let k = run.min(138);
                syms.push((18, 7, (k - 11) as u64));
                i += k;
            } else if l == 0 && run >= 3 {
                syms.push((17, 3, (run - 3) as u64));
                i += run;
            } else if l != 0 && run >= 4 {
                // the length, then repeats of it
                let k = (run - 1).min(6);
                syms.push((l as usize, 0, 0));
                syms.push((16, 2, (k - 3) as u64));
                i += 1 + k;
            } else {
                syms.push((l as usize, 0, 0));
                i += 1;
            }
        }
        let mut freqs = [0u64; 19];
        for &(s, _, _) in &syms {
            freqs[s] += 1;
        }
        let cl = lengths(&freqs, 7);
        let cc = codes(&cl);
        let mut b = Bits::default();
        b.put(0x78, 8);
        b.put(0x01, 8);
        b.put(1, 1); // the last block
        b.put(2, 2); // dynamic Huffman codes
        b.put(286 - 257, 5);
        b.put(0, 5); // one distance code
        b.put(19 - 4, 4);
        for s in ORDER {
            b.put(cl[s] as u64, 3);
        }
        for (s, n, v) in syms {
            b.put(cc[s] as u64, cl[s] as u32);
            b.put(v, n);
        }
        (b.out, b.acc as u8, b.n)
    }

    #[test]
    fn nonzero_marks_the_bytes_that_are_not_zero() {
        let mut chunk = [0u8; 64];
        for seed in 0..2000u64 {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for b in &mut chunk {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // mostly zeros, and every value (1, 127, 128 and 255 the edges)
                *b = if x % 3 == 0 { (x >> 8) as u8 } else { 0 };
            }
            chunk[(seed % 64) as usize] = [1, 127, 128, 255][(seed / 64 % 4) as usize];
            let want = chunk
                .iter()
                .enumerate()
                .fold(0u64, |m, (j, &b)| m | ((b != 0) as u64) << j);
            assert_eq!(nonzero(&chunk), want, "{chunk:?}");
        }
    }

    #[test]
    fn the_stored_header_is_that_of_the_code() {
        let (bytes, last, n) = header(&HUFFMAN_LENGTHS);
        assert_eq!(DEFLATE_HEADER[..DEFLATE_HEADER.len() - 1], bytes[..]);
        assert_eq!((DEFLATE_HEADER[DEFLATE_HEADER.len() - 1], HEADER_LAST_BITS), (last, n));
        assert_eq!(HUFFMAN_CODES[0], 0, "a literal zero is all zero bits (runs rely on it)");
    }

    /// The symbols `Deflate` writes for filtered rows (`rb` bytes each, after the filter type):
    /// literals, and each maximal run of zeros in a row as a literal zero and copies of it.
    fn count_symbols(rows: &[u8], rb: usize, counts: &mut [u64; 286]) {
        const BASE: [usize; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
            227, 258,
        ];
        let copy = |len: usize, counts: &mut [u64; 286]| {
            let sym = BASE.iter().rposition(|&b| b <= len).expect("at least 3");
            counts[257 + sym] += 1;
        };
        for row in rows.chunks_exact(rb + 1) {
            let mut i = 0;
            while i < row.len() {
                if row[i] != 0 {
                    counts[row[i] as usize] += 1;
                    i += 1;
                    continue;
                }
                let run = row[i..].iter().take_while(|&&b| b == 0).count();
                i += run;
                counts[0] += 1;
                let mut rest = run - 1;
                while rest >= 258 {
                    copy(258, counts);
                    rest -= 258;
                }
                if rest > 4 {
                    copy(rest, counts);
                } else {
                    counts[0] += rest as u64;
                }
            }
        }
        counts[256] += 1;
    }

    /// Fits `HUFFMAN_LENGTHS` to cards and prints it with its header:
    /// `cargo test --release --lib card::png::tests::fit_huffman_code -- --ignored --nocapture`.
    /// The cards: 400 quotes (a sentence or two, sometimes a paragraph, with a speaker) for every
    /// 100 titles, of Vietnamese words from a fixed pseudo-random sequence — other texts than
    /// `examples/card_bench.rs` measures with.
    #[test]
    #[ignore]
    fn fit_huffman_code() {
        const WORDS: &str = "Ở đâu có những người dân biết đứng lên, ở đó có hy vọng. Chúng ta phải nhớ rằng \
            Ễnh ương kêu suốt đêm, những ngọn đèn vẫn sáng ở cuối phố, và Ừ thì cuộc đời vẫn tiếp diễn, \
            dẫu mưa gió bão bùng, dẫu có những người đã ra đi mãi mãi. Ặc ặc, tiếng cười của trẻ nhỏ \
            vang lên giữa những ngõ hẻm quen thuộc của Hà Nội, nơi mỗi viên gạch đều kể một câu chuyện. \
            Đặng Thùy Trâm viết nhật ký trong rừng; Nguyễn Du, Truyện Kiều, 3.254 câu lục bát. \
            “Không có gì quý hơn độc lập, tự do” — năm 1966, 42% dân số, Quốc hội khóa XV họp phiên thứ 8.";
        let words: Vec<&str> = WORDS.split_whitespace().collect();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let mut text = |lo: usize, hi: usize| {
            let n = lo + next(hi - lo + 1);
            (0..n).map(|_| words[next(words.len())]).collect::<Vec<_>>().join(" ")
        };
        let mut counts = [0u64; 286];
        for i in 0..500 {
            let d = if i % 5 == 4 {
                super::super::draw_title(&text(5, 20), &text(3, 8), "Báo Tin Tức · Trích dẫn")
            } else {
                let q = if i % 8 == 0 { text(60, 150) } else { text(8, 45) };
                super::super::draw_quote(&q, &text(2, 4), "Báo Tin Tức · Trích dẫn")
            };
            let png = encode(&d);
            let at = png.windows(4).position(|w| w == b"IDAT").unwrap();
            let len = u32::from_be_bytes(png[at - 4..at].try_into().unwrap()) as usize;
            let rows = fdeflate::decompress_to_vec(&png[at + 4..at + 4 + len]).unwrap();
            count_symbols(&rows, row_bytes(packed(&d)), &mut counts);
        }
        let fitted = lengths(&counts, 15);
        let bits = |l: &[u8]| counts.iter().zip(l).map(|(&c, &l)| c * l as u64).sum::<u64>();
        eprintln!(
            "coded symbols: {} bytes with the code in use, {} with the fitted one",
            bits(&HUFFMAN_LENGTHS) / 8,
            bits(&fitted) / 8
        );
        let (bytes, last, n) = header(fitted.as_slice().try_into().unwrap());
        println!("const HUFFMAN_LENGTHS: [u8; 286] = {fitted:?};");
        println!(
            "const DEFLATE_HEADER: [u8; {}] = {:?};",
            bytes.len() + 1,
            [&bytes[..], &[last]].concat()
        );
        println!("const HEADER_LAST_BITS: u32 = {n};");
    }
}
