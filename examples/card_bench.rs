//! Social-card throughput: renders a fixed, varied set of Vietnamese quote and title cards
//! through the public API (`glossa::render::card`) on one thread and prints cards/s, the
//! average PNG size, a hash of every byte produced (to see at a glance that two runs give the
//! same cards) and a hash of the decoded RGB pixels (to see that two encodings of the same
//! drawing agree).
//!
//! ```text
//! cargo run --release --example card_bench -- [CARDS] [--write DIR] [--corpus SITE]
//! ```
//!
//! Three quotes per title, as on a typical site. The set is pseudo-random but fixed (same seed
//! every run). As many other cards (another seed) are rendered untimed first, to warm the
//! per-thread fonts and caches without putting the timed cards themselves in them: in a build
//! every card is new. `--write DIR` also writes the first quote and the first title card there.
//!
//! The fixed set draws its quotes from about a hundred words, so a cache of anything per word
//! sees nearly all of them again; a site's quotes do not (the 10,000-article `gen_corpus` site's
//! hold 13,850 different words). `--corpus SITE` takes the quote cards of a site instead (a
//! `gen_corpus` one, say), as its build draws them (each quote's text, its speaker's name, the
//! site's title), in the order of its annotation files: the first CARDS untimed, the next
//! CARDS timed.

use std::time::Instant;

use glossa::render::card::{quote_card, title_card};

const WORDS: &[&str] = &[
    "Những",
    "công",
    "ty",
    "trí",
    "tuệ",
    "nhân",
    "tạo",
    "Trung",
    "Quốc",
    "đang",
    "chạy",
    "đua",
    "để",
    "bắt",
    "kịp",
    "các",
    "đối",
    "thủ",
    "Mỹ",
    "trong",
    "cuộc",
    "cạnh",
    "tranh",
    "công",
    "nghệ",
    "ngày",
    "càng",
    "gay",
    "gắt,",
    "với",
    "những",
    "mô",
    "hình",
    "ngôn",
    "ngữ",
    "lớn",
    "được",
    "phát",
    "triển",
    "nhanh",
    "chóng.",
    "Ở",
    "đâu",
    "có",
    "người",
    "dân",
    "biết",
    "đứng",
    "lên,",
    "ở",
    "đó",
    "hy",
    "vọng.",
    "Chúng",
    "ta",
    "phải",
    "nhớ",
    "rằng",
    "Ễnh",
    "ương",
    "kêu",
    "suốt",
    "đêm",
    "ngọn",
    "đèn",
    "vẫn",
    "sáng",
    "cuối",
    "phố",
    "Ừ",
    "thì",
    "đời",
    "tiếp",
    "diễn,",
    "dẫu",
    "mưa",
    "gió",
    "bão",
    "bùng",
    "đã",
    "ra",
    "đi",
    "mãi",
    "Ặc",
    "tiếng",
    "cười",
    "của",
    "trẻ",
    "nhỏ",
    "vang",
    "giữa",
    "ngõ",
    "hẻm",
    "quen",
    "thuộc",
    "Hà",
    "Nội,",
    "nơi",
    "mỗi",
    "viên",
    "gạch",
    "đều",
    "kể",
    "một",
    "câu",
    "chuyện.",
    "DeepSeek",
    "Alibaba",
    "Baidu",
    "chip",
    "Nvidia",
    "xuất",
    "khẩu",
    "chính",
    "phủ",
    "“chúng",
    "tôi",
    "không",
    "sợ”",
    "thị",
    "trường",
    "đầu",
    "tư",
    "tỷ",
    "USD",
];

const SPEAKERS: &[&str] = &[
    "Lương Văn Phong",
    "Nguyễn Thị Ánh Tuyết",
    "Lâm Xuân Hải",
    "Jensen Huang",
    "Bộ Thương mại Trung Quốc",
    "Hồ Xuân Hương",
];

const SOURCES: &[&str] = &["The New York Times", "Báo Chính phủ", "Tuổi Trẻ", "VnExpress"];

/// xorshift64*: a fixed sequence, so every run renders the same cards.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn words(&mut self, lo: usize, hi: usize) -> String {
        let n = lo + self.below(hi - lo + 1);
        (0..n)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

enum Card {
    Quote(String, String),
    Title(String, String),
}

fn render(c: &Card, site: &str) -> Vec<u8> {
    match c {
        Card::Quote(q, s) => quote_card(q, s, site),
        Card::Title(t, s) => title_card(t, s, site),
    }
}

/// RGB pixels of a 1200×630 PNG (the palette expanded).
fn decode(png_bytes: &[u8]) -> Vec<u8> {
    let mut d = png::Decoder::new(std::io::Cursor::new(png_bytes));
    d.set_transformations(png::Transformations::EXPAND);
    let mut r = d.read_info().expect("a PNG");
    let mut buf = vec![0; r.output_buffer_size().expect("a size")];
    let info = r.next_frame(&mut buf).expect("a frame");
    assert_eq!((info.width, info.height), (1200, 630));
    buf.truncate(info.buffer_size());
    buf
}

/// The measured pass: total bytes and an FNV-1a hash of every card. Not inlined, so that an
/// instruction count can be limited to it:
/// `valgrind --tool=callgrind --toggle-collect='card_bench::timed' …/card_bench 300`.
#[inline(never)]
fn timed(cards: &[Card], site: &str) -> (usize, u64) {
    let mut bytes = 0;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for c in cards {
        let png = render(c, site);
        bytes += png.len();
        for &b in &png {
            hash = (hash ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    (bytes, hash)
}

/// The quote cards of a site, as its build draws them: the site loaded as a build loads it
/// (which stores each article's anchoring in its `.glossa-cache`, as a build does), each quote's
/// text and its speaker's name, in the order of the annotation files (file name, then place in
/// the file); and the site's title.
fn corpus_cards(root: &std::path::Path) -> (Vec<Card>, String) {
    let (mut diags, mut sources) = Default::default();
    let site = glossa::site::load(
        root,
        &Default::default(),
        None,
        None,
        false,
        glossa::render::card::undrawable_in_quote,
        &mut diags,
        &mut sources,
    );
    assert!(!diags.has_errors(), "{} does not load: {diags:?}", root.display());
    let mut quotes: Vec<_> = site.quotes.iter().collect();
    quotes.sort_by_key(|q| (&site.articles[q.article].src.path, q.at.start));
    let cards = quotes
        .into_iter()
        .map(|q| Card::Quote(q.text.clone(), site.entities[q.speaker].src.name.clone()))
        .collect();
    (cards, site.config.title.clone())
}

/// `n` cards from the sequence of `seed`.
fn make_cards(seed: u64, n: usize) -> Vec<Card> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            if i % 4 == 3 {
                let date = format!("{} tháng {} năm 2026", 1 + rng.below(28), 1 + rng.below(12));
                let sub = format!("{date} · {}", SOURCES[rng.below(SOURCES.len())]);
                Card::Title(rng.words(6, 22), sub)
            } else {
                // Mostly a sentence or two, sometimes a long paragraph that must shrink or elide.
                let q = if rng.below(8) == 0 {
                    rng.words(60, 160)
                } else {
                    rng.words(8, 45)
                };
                Card::Quote(q, SPEAKERS[rng.below(SPEAKERS.len())].to_string())
            }
        })
        .collect()
}

fn main() {
    let mut n = 300;
    let mut write = None;
    let mut corpus = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--write" {
            write = Some(args.next().expect("--write DIR"));
        } else if a == "--corpus" {
            corpus = Some(std::path::PathBuf::from(args.next().expect("--corpus SITE")));
        } else {
            n = a.parse().expect("CARDS is a number");
        }
    }
    let (warm, cards, site) = match &corpus {
        Some(dir) => {
            let (mut all, title) = corpus_cards(dir);
            assert!(
                all.len() >= 2 * n,
                "{} quotes in {}: fewer than 2 × {n}",
                all.len(),
                dir.display()
            );
            all.truncate(2 * n);
            let timed = all.split_off(n);
            (all, timed, title)
        }
        None => (
            make_cards(0x2545_F491_4F6C_DD1D, n),
            make_cards(0x9E37_79B9_7F4A_7C15, n),
            "Glossa · Đọc có chú giải".to_string(),
        ),
    };
    let site = site.as_str();

    // Warm-up on other cards (another seed, or the site's earlier quotes): a build renders
    // every card once, so the timed cards must not be in any per-thread cache yet.
    for c in &warm {
        std::hint::black_box(render(c, site));
    }
    let t = Instant::now();
    let (bytes, hash) = timed(&cards, site);
    let secs = t.elapsed().as_secs_f64();
    let mut pixels: u64 = 0xcbf2_9ce4_8422_2325;
    for c in &cards {
        for &b in &decode(&render(c, site)) {
            pixels = (pixels ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    println!(
        "{n} cards in {:.3} s: {:.0} cards/s, {:.0} bytes/card on average, hash {hash:016x}, pixels {pixels:016x}",
        secs,
        n as f64 / secs,
        bytes as f64 / n as f64
    );

    if let Some(dir) = write {
        std::fs::create_dir_all(&dir).expect("creating the output folder");
        // (with --corpus, the first timed quote's card in place of the title card)
        let first = |quote: bool| {
            cards
                .iter()
                .find(|c| matches!(c, Card::Quote(..)) == quote)
                .or(cards.first())
                .expect("a card")
        };
        let q = "Những công ty trí tuệ nhân tạo Trung Quốc đang chạy đua để bắt kịp các đối thủ Mỹ, \
                 “chúng tôi không sợ” — Ễnh ương, Ặc ặc, Ừ, Ỗ, Ẫ, gỵ.";
        let files = [
            ("quote.png", render(first(true), site)),
            ("title.png", render(first(false), site)),
            ("quote-fixed.png", quote_card(q, "Lương Văn Phong", site)),
            (
                "title-fixed.png",
                title_card(
                    "Những công ty trí tuệ nhân tạo Trung Quốc đang chạy đua",
                    "28 tháng 11 năm 2026 · The New York Times",
                    site,
                ),
            ),
        ];
        // A close-up (3×) of the start of the fixed quote, to compare the antialiasing.
        let rgb = decode(&files[2].1);
        let (x0, y0, w, h) = (90, 150, 400, 150);
        let mut zoom = Vec::with_capacity(w * h * 27);
        for y in 0..h * 3 {
            for x in 0..w * 3 {
                let i = ((y0 + y / 3) * 1200 + x0 + x / 3) * 3;
                zoom.extend_from_slice(&rgb[i..i + 3]);
            }
        }
        let mut bytes = Vec::new();
        let mut enc = png::Encoder::new(&mut bytes, (w * 3) as u32, (h * 3) as u32);
        enc.set_color(png::ColorType::Rgb);
        let mut wr = enc.write_header().expect("a PNG header");
        wr.write_image_data(&zoom).expect("PNG data");
        wr.finish().expect("a PNG");
        std::fs::write(format!("{dir}/quote-zoom.png"), bytes).expect("writing the close-up");
        for (name, png) in files {
            std::fs::write(format!("{dir}/{name}"), png).expect("writing a card");
        }
    }
}
