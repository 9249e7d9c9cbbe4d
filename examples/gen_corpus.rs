//! Deterministic benchmark corpus for glossa (issue #6).
//!
//! ```text
//! cargo run --release --example gen_corpus -- --articles N --out DIR [--hugo DIR] [--seed S] [--entities E]
//! ```
//!
//! `--dump-text DIR` also writes each article's rendered text (as the
//! generator models it) to `DIR/SLUG.txt`, to check the model against
//! glossa's own `markdown::Document`.
//!
//! Writes a glossa site to DIR (`glossa.toml`, `content/articles/*.md` with
//! `*.annotations.toml`, `content/entities/*.md`) and, with `--hugo`, the same
//! articles (no annotations) as a minimal Hugo site, so both tools are
//! measured on the same Markdown.
//!
//! The text is Vietnamese-like: syllables built from Vietnamese onsets,
//! nuclei with tone marks and codas (NFC), drawn with a Zipf distribution
//! after a head of real function words. Entity names and aliases, quotes and
//! glossed terms are inserted at known places while the article is written;
//! the generator keeps the article's rendered text (what glossa anchors on)
//! beside the Markdown and picks every annotation's selector (`all`, `nth`,
//! `prefix`, `suffix` or none) against it, with glossa's matching rules, so
//! every annotation resolves exactly to the span it was written for.
//!
//! Same seed, same arguments: byte-identical output (one PRNG stream per
//! article, so the parallel writer does not change anything).

use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use rayon::prelude::*;
use unicode_normalization::UnicodeNormalization;

/// TOML strings are written the way `glossa check --fix` writes them.
use glossa::anchor::selector::find_all;
use glossa::commands::fix::toml_string as toml_str;

// ─── PRNG (splitmix64) ──────────────────────────────────────────────────────

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    /// An independent stream for `stream` under `seed`.
    fn stream(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n < 2^32).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Zipf-like weights 1/(rank+offset)^s over `n` ranks.
struct Zipf {
    cum: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64, offset: f64) -> Zipf {
        let mut acc = 0.0;
        let cum = (0..n)
            .map(|r| {
                acc += 1.0 / (r as f64 + offset).powf(s);
                acc
            })
            .collect();
        Zipf { cum }
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit() * self.cum.last().copied().unwrap_or(0.0);
        self.cum.partition_point(|&c| c <= u).min(self.cum.len() - 1)
    }
}

// ─── Vietnamese-like syllables ──────────────────────────────────────────────

#[rustfmt::skip]
const ONSETS: &[&str] = &[
    "", "b", "c", "ch", "d", "đ", "g", "gi", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "r", "s", "t", "th",
    "tr", "v", "x",
];
#[rustfmt::skip]
const OPEN_NUCLEI: &[&str] = &[
    "a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oa",
    "oai", "oe", "oi", "ôi", "ơi", "ua", "ui", "uy", "ưa", "ưi", "ươi", "ưu", "uôi", "iêu",
];
#[rustfmt::skip]
const CLOSED_NUCLEI: &[&str] = &[
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "iê", "uô", "ươ", "oa", "oă", "uâ", "uy", "oe", "uyê",
];
const CODAS: &[&str] = &["c", "ch", "m", "n", "ng", "nh", "p", "t"];
/// ngang, huyền, sắc, hỏi, ngã, nặng (combining marks, composed by NFC).
const TONES: &[&str] = &["", "\u{300}", "\u{301}", "\u{309}", "\u{303}", "\u{323}"];

/// The most frequent syllables of real Vietnamese news text: the head of the
/// frequency distribution.
#[rustfmt::skip]
const COMMON: &[&str] = &[
    "của", "và", "các", "là", "có", "được", "trong", "cho", "những", "một", "người", "với", "không", "này", "đã", "để",
    "khi", "từ", "năm", "công", "ty", "nhiều", "theo", "về", "đến", "cũng", "ra", "như", "nước", "thể", "làm", "sẽ",
    "tại", "hơn", "đang", "vào", "nhà", "thị", "trường", "chính", "phủ", "phát", "triển", "kinh", "tế", "mới", "cao",
    "lớn", "dân", "việc", "hệ", "thống", "sản", "xuất", "đầu", "tư", "dự", "án", "họ", "nhưng", "còn", "đây", "thì",
    "sau", "trên", "giá", "quốc", "gia", "động", "hoạt", "tiếp", "cận", "nghệ", "doanh", "nghiệp",
];

fn tone_position(nucleus: &[char], has_coda: bool) -> usize {
    const MARKED: &[char] = &['ă', 'â', 'ê', 'ô', 'ơ', 'ư'];
    if let Some(i) = nucleus.iter().rposition(|c| MARKED.contains(c)) {
        return i;
    }
    match (nucleus.len(), has_coda) {
        (1, _) => 0,
        (_, true) => nucleus.len() - 1,
        (3, false) => 1,
        _ => 0,
    }
}

fn syllable(onset: &str, nucleus: &str, coda: &str, tone: usize) -> Option<String> {
    let first = nucleus.chars().next()?;
    let front = matches!(first, 'e' | 'ê' | 'i' | 'y');
    if onset == "qu" && matches!(first, 'u' | 'o') || onset == "gi" && first == 'i' {
        return None;
    }
    let onset = match (onset, front) {
        ("c", true) => "k",
        ("g", true) if first != 'y' => "gh",
        ("ng", true) if first != 'y' => "ngh",
        ("g" | "ng", true) => return None,
        (o, _) => o,
    };
    let chars: Vec<char> = nucleus.chars().collect();
    let at = tone_position(&chars, !coda.is_empty());
    let mut s = String::from(onset);
    for (i, c) in chars.iter().enumerate() {
        s.push(*c);
        if i == at {
            s.push_str(TONES[tone]);
        }
    }
    s.push_str(coda);
    Some(s.nfc().collect())
}

/// Weights (rough frequencies in news text) for drawing syllables.
#[rustfmt::skip]
const ONSET_W: &[f64] = &[
    6., 4., 8., 5., 5., 6., 3., 4., 7., 5., 6., 5., 6., 6., 6., 4., 3., 3., 5., 8., 9., 6., 5., 3.,
];
#[rustfmt::skip]
const OPEN_W: &[f64] = &[
    6., 2., 2., 4., 2., 2., 2., 3., 2., 1., 4., 3., 2., 3., 3., 3., 1., 1., 1., 1., 2., 1., 1., 1., 2., 2., 2., 1., 1.,
    2., 0.5, 1., 1., 1., 2.,
];
#[rustfmt::skip]
const CLOSED_W: &[f64] = &[
    8., 4., 6., 2., 2., 4., 3., 4., 2., 3., 2., 5., 3., 5., 3., 1., 1., 1., 0.5, 2.,
];
const CODA_W: &[f64] = &[4., 2., 3., 7., 8., 5., 2., 6.];
const TONE_W: &[f64] = &[30., 18., 20., 10., 5., 17.];

fn weighted(rng: &mut Rng, w: &[f64]) -> usize {
    let mut u = rng.unit() * w.iter().sum::<f64>();
    for (i, x) in w.iter().enumerate() {
        if u < *x {
            return i;
        }
        u -= x;
    }
    w.len() - 1
}

/// One syllable drawn by the weights, if the spelling rules allow it.
fn draw_syllable(rng: &mut Rng) -> Option<String> {
    let onset = ONSETS[weighted(rng, ONSET_W)];
    let tone = weighted(rng, TONE_W);
    if rng.chance(0.45) {
        return syllable(onset, OPEN_NUCLEI[weighted(rng, OPEN_W)], "", tone);
    }
    let nucleus = CLOSED_NUCLEI[weighted(rng, CLOSED_W)];
    let coda = CODAS[weighted(rng, CODA_W)];
    let last = nucleus.chars().last().unwrap_or('a');
    if matches!(coda, "ch" | "nh") && !matches!(nucleus, "a" | "ê" | "i" | "oa" | "uy") {
        return None;
    }
    if matches!(coda, "c" | "ng") && matches!(last, 'e' | 'ê' | 'i' | 'y') && nucleus != "iê" {
        return None;
    }
    // Stop codas take only the sắc and nặng tones.
    let tone = if matches!(coda, "c" | "ch" | "p" | "t") {
        if tone < 3 { 2 } else { 5 }
    } else {
        tone
    };
    syllable(onset, nucleus, coda, tone)
}

fn capitalize(s: &str) -> String {
    let mut it = s.chars();
    match it.next() {
        Some(f) => f.to_uppercase().chain(it).collect(),
        None => String::new(),
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in deunicode::deunicode(s).chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// The shared vocabulary: syllables ranked by frequency.
struct Lexicon {
    words: Vec<String>,
    zipf: Zipf,
}

impl Lexicon {
    fn new(seed: u64) -> Lexicon {
        let mut rng = Rng::stream(seed, 0x1e81c0);
        // The common head, then 3,000 syllables in the order the weights
        // draw them (likely ones first, so rank follows frequency).
        let mut words: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for w in COMMON.iter().map(|w| w.nfc().collect::<String>()) {
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        while words.len() < 3000 {
            if let Some(w) = draw_syllable(&mut rng)
                && seen.insert(w.clone())
            {
                words.push(w);
            }
        }
        let zipf = Zipf::new(words.len(), 1.0, 2.7);
        Lexicon { words, zipf }
    }
    fn word(&self, rng: &mut Rng) -> &str {
        &self.words[self.zipf.sample(rng)]
    }
    /// A less common syllable (for names and terms).
    fn rare(&self, rng: &mut Rng) -> &str {
        &self.words[rng.range(150, self.words.len() - 1)]
    }
    fn phrase(&self, rng: &mut Rng, lo: usize, hi: usize) -> Vec<String> {
        (0..rng.range(lo, hi)).map(|_| self.word(rng).to_string()).collect()
    }
}

// ─── Entities ───────────────────────────────────────────────────────────────

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Person,
    Organization,
    Place,
    Product,
    Concept,
    Event,
    Work,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::Organization => "organization",
            Kind::Place => "place",
            Kind::Product => "product",
            Kind::Concept => "concept",
            Kind::Event => "event",
            Kind::Work => "work",
        }
    }
}

struct Entity {
    id: String,
    name: String,
    kind: Kind,
    aliases: Vec<String>,
    /// What an article calls a person when quoting: `ông An`, or the name.
    speaker_form: String,
    wikidata: Option<u32>,
    url: Option<String>,
    relations: Vec<(&'static str, usize)>,
    description: String,
}

#[rustfmt::skip]
const FAMILY: &[&str] = &[
    "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
    "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Tô", "Lương", "Đoàn", "Vương", "Tạ", "Kiều",
    "Lâm",
];
#[rustfmt::skip]
const MIDDLE_M: &[&str] = &[
    "Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Gia", "Bảo", "Công", "Xuân", "Tiến", "Quang",
];
#[rustfmt::skip]
const MIDDLE_F: &[&str] = &[
    "Thị", "Ngọc", "Thu", "Hoài", "Thanh", "Minh", "Bích", "Kim", "Phương", "Diệu",
];
#[rustfmt::skip]
const GIVEN_M: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hải", "Hiếu", "Hòa", "Hùng", "Huy", "Khánh", "Khoa", "Long", "Minh",
    "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tâm", "Thắng", "Thành", "Trung", "Tú", "Tuấn", "Việt",
    "Vinh",
];
#[rustfmt::skip]
const GIVEN_F: &[&str] = &[
    "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hương", "Lan", "Linh", "Mai", "My", "Nga", "Ngân",
    "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thủy", "Trang", "Tuyết", "Vân", "Vy", "Xuân", "Yến", "Hoa",
    "Loan",
];
#[rustfmt::skip]
const FOREIGN_FIRST: &[&str] = &[
    "David", "Maria", "Kenji", "Anna", "Peter", "Sarah", "Wei", "Hiroshi", "Elena", "Thomas", "Lucas", "Yuki", "Carlos",
    "Nadia", "Oliver", "Min-jun", "Priya", "Jonas", "Sofia", "Daniel",
];
#[rustfmt::skip]
const FOREIGN_LAST: &[&str] = &[
    "Miller", "Tanaka", "Kowalski", "Schmidt", "Chen", "Park", "Rossi", "Novak", "Dubois", "Larsen", "Okafor", "Silva",
    "Ivanov", "Moreau", "Becker", "Nakamura", "Haddad", "Lindqvist", "Costa", "Fischer",
];
#[rustfmt::skip]
const LATIN: &[&str] = &[
    "vor", "tex", "lum", "ara", "nix", "sol", "ka", "ri", "on", "ze", "tra", "mo", "vel", "quin", "dor", "sy", "na",
    "pex", "ly", "cor", "zen", "ta", "bri", "go", "lo", "mar", "vi", "ex",
];
#[rustfmt::skip]
const ORG_PREFIX: &[&str] = &[
    "Công ty", "Tập đoàn", "Ngân hàng", "Viện", "Đại học", "Quỹ", "Hiệp hội", "Tổng công ty", "Báo", "Bệnh viện",
];
const EVENT_PREFIX: &[&str] = &["Hội nghị", "Diễn đàn", "Lễ hội", "Triển lãm", "Giải"];
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "digital", "open", "green", "smart", "supply", "chain", "data", "market", "energy", "public", "policy", "network",
    "model", "risk", "capital", "growth", "urban", "value", "trust", "platform",
];
const TLDS: &[&str] = &["vn", "com", "org", "com.vn", "net"];

fn latin_word(rng: &mut Rng) -> String {
    let s: String = (0..rng.range(2, 3)).map(|_| *rng.pick(LATIN)).collect();
    capitalize(&s)
}

/// Two capitalised rare syllables: a Vietnamese-looking proper name.
fn viet_name(lex: &Lexicon, rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| capitalize(lex.rare(rng))).collect::<Vec<_>>().join(" ")
}

fn make_entities(lex: &Lexicon, seed: u64, count: usize) -> Vec<Entity> {
    let mut rng = Rng::stream(seed, 0xe471);
    let mut out: Vec<Entity> = Vec::with_capacity(count);
    let mut ids = std::collections::HashMap::<String, usize>::new();
    for _ in 0..count {
        let roll = rng.unit();
        let kind = match roll {
            r if r < 0.40 => Kind::Person,
            r if r < 0.65 => Kind::Organization,
            r if r < 0.80 => Kind::Place,
            r if r < 0.88 => Kind::Product,
            r if r < 0.95 => Kind::Concept,
            r if r < 0.98 => Kind::Event,
            _ => Kind::Work,
        };
        let mut aliases = Vec::new();
        let mut url = None;
        let (name, speaker_form) = match kind {
            Kind::Person if rng.chance(0.85) => {
                let female = rng.chance(0.45);
                let family = *rng.pick(FAMILY);
                let middle = *rng.pick(if female { MIDDLE_F } else { MIDDLE_M });
                let given = *rng.pick(if female { GIVEN_F } else { GIVEN_M });
                let title = format!("{} {given}", if female { "bà" } else { "ông" });
                aliases.push(title.clone());
                if rng.chance(0.3) {
                    aliases.push(format!("{family} {given}"));
                }
                (format!("{family} {middle} {given}"), title)
            }
            Kind::Person => {
                let first = *rng.pick(FOREIGN_FIRST);
                let last = *rng.pick(FOREIGN_LAST);
                aliases.push(last.to_string());
                let name = format!("{first} {last}");
                (name.clone(), name)
            }
            Kind::Organization if rng.chance(0.7) => {
                let core = viet_name(lex, &mut rng, 2);
                let acronym: String = (0..rng.range(3, 4))
                    .map(|_| (b'A' + rng.below(26) as u8) as char)
                    .collect();
                aliases.push(core.clone());
                aliases.push(acronym.clone());
                url = rng
                    .chance(0.6)
                    .then(|| format!("https://{}.{}", acronym.to_lowercase(), rng.pick(TLDS)));
                let name = format!("{} {core}", rng.pick(ORG_PREFIX));
                (name.clone(), name)
            }
            Kind::Organization => {
                let brand = latin_word(&mut rng);
                aliases.push(format!(
                    "{brand} {}",
                    rng.pick(&["Group", "Labs", "Inc", "Holdings", "Corporation"])
                ));
                url = Some(format!("https://www.{}.com", brand.to_lowercase()));
                (brand.clone(), brand)
            }
            Kind::Place if rng.chance(0.75) => {
                let core = viet_name(lex, &mut rng, 2);
                aliases.push(format!("{} {core}", rng.pick(&["tỉnh", "thành phố", "huyện", "xã"])));
                (core.clone(), core)
            }
            Kind::Place => {
                let n = latin_word(&mut rng);
                (n.clone(), n)
            }
            Kind::Product => {
                let brand = latin_word(&mut rng);
                let model = format!(
                    "{} {}",
                    rng.pick(&["Nova", "Pro", "Air", "Max", "Edge", "One"]),
                    rng.range(2, 19)
                );
                aliases.push(model.clone());
                url = rng
                    .chance(0.5)
                    .then(|| format!("https://{}.example.com", brand.to_lowercase()));
                let name = format!("{brand} {model}");
                (name.clone(), name)
            }
            Kind::Concept => {
                let n = (0..rng.range(2, 3))
                    .map(|_| lex.rare(&mut rng).to_string())
                    .collect::<Vec<_>>()
                    .join(" ");
                aliases.push(format!("{} {}", rng.pick(ENGLISH), rng.pick(ENGLISH)));
                (n.clone(), n)
            }
            Kind::Event => {
                let core = viet_name(lex, &mut rng, 2);
                let prefix = *rng.pick(EVENT_PREFIX);
                aliases.push(format!("{prefix} {core}"));
                let name = format!("{prefix} {core} {}", rng.range(2010, 2026));
                (name.clone(), name)
            }
            Kind::Work => {
                let n = capitalize(&lex.phrase(&mut rng, 2, 4).join(" "));
                (n.clone(), n)
            }
        };
        let base = slug(&name);
        let base = if base.is_empty() { "entity".to_string() } else { base };
        let seen = ids.entry(base.clone()).or_insert(0);
        *seen += 1;
        let id = if *seen == 1 { base } else { format!("{base}-{seen}") };
        let wikidata = rng.chance(0.3).then(|| rng.range(1000, 99_999_999) as u32);
        let mut description = format!("{name} là {}.", lex.phrase(&mut rng, 8, 16).join(" "));
        for _ in 0..rng.range(1, 3) {
            description.push(' ');
            description.push_str(&capitalize(&lex.phrase(&mut rng, 8, 20).join(" ")));
            description.push('.');
        }
        out.push(Entity {
            id,
            name,
            kind,
            aliases,
            speaker_form,
            wikidata,
            url,
            relations: Vec::new(),
            description,
        });
    }
    // Relations, to entities that exist.
    let of_kind = |k: Kind| -> Vec<usize> {
        out.iter()
            .enumerate()
            .filter(|(_, e)| e.kind == k)
            .map(|(i, _)| i)
            .collect()
    };
    let (orgs, places, products, concepts, people) = (
        of_kind(Kind::Organization),
        of_kind(Kind::Place),
        of_kind(Kind::Product),
        of_kind(Kind::Concept),
        of_kind(Kind::Person),
    );
    for (i, e) in out.iter_mut().enumerate() {
        let mut rel = Vec::new();
        let mut add = |rng: &mut Rng, p: f64, ty: &'static str, pool: &[usize]| {
            if !pool.is_empty() && rng.chance(p) {
                let t = *rng.pick(pool);
                if t != i && !rel.iter().any(|&(_, x)| x == t) {
                    rel.push((ty, t));
                }
            }
        };
        match e.kind {
            Kind::Person => {
                let ty = *rng.pick(&["works_at", "ceo_of", "founder_of", "member_of"]);
                add(&mut rng, 0.5, ty, &orgs);
            }
            Kind::Organization => {
                add(&mut rng, 0.4, "located_in", &places);
                add(&mut rng, 0.15, "parent_of", &orgs);
                add(&mut rng, 0.2, "maker_of", &products);
            }
            Kind::Place => add(&mut rng, 0.3, "located_in", &places),
            Kind::Concept => add(&mut rng, 0.2, "related_to", &concepts),
            Kind::Event => add(&mut rng, 0.5, "located_in", &places),
            Kind::Work => add(&mut rng, 0.5, "created_by", &people),
            Kind::Product => {}
        }
        e.relations = rel;
    }
    out
}

fn entity_file(e: &Entity, all: &[Entity]) -> String {
    let mut s = String::from("+++\n");
    let _ = writeln!(s, "name = {}", toml_str(&e.name));
    let _ = writeln!(s, "kind = \"{}\"", e.kind.name());
    let aliases: Vec<String> = e.aliases.iter().map(|a| toml_str(a)).collect();
    let _ = writeln!(s, "aliases = [{}]", aliases.join(", "));
    if let Some(q) = e.wikidata {
        let _ = writeln!(s, "wikidata = \"Q{q}\"");
    }
    if let Some(u) = &e.url {
        let _ = writeln!(s, "url = {}", toml_str(u));
    }
    if !e.relations.is_empty() {
        s.push_str("relations = [\n");
        for (ty, t) in &e.relations {
            let _ = writeln!(s, "  {{ type = \"{ty}\", target = \"{}\" }},", all[*t].id);
        }
        s.push_str("]\n");
    }
    s.push_str("+++\n\n");
    s.push_str(&e.description);
    s.push('\n');
    s
}

// ─── Articles ───────────────────────────────────────────────────────────────

#[rustfmt::skip]
const TAGS: &[&str] = &[
    "Kinh tế", "Công nghệ", "Xã hội", "Giáo dục", "Y tế", "Thể thao", "Văn hóa", "Pháp luật", "Môi trường", "Du lịch",
    "Khoa học", "Quốc tế", "Bất động sản", "Tài chính", "Nông nghiệp", "Năng lượng", "Giao thông", "Đô thị", "AI",
    "Bán dẫn", "Khởi nghiệp", "Chứng khoán", "Ngân hàng", "Lao động", "Việc làm", "Âm nhạc", "Điện ảnh", "Sức khỏe",
    "Gia đình", "Thời trang", "Ẩm thực", "Xe", "Số hóa", "Viễn thông", "An ninh mạng", "Biển đảo", "Thời tiết",
    "Đầu tư", "Xuất khẩu", "Chính sách",
];

enum Tok {
    /// A filler word.
    W(String),
    /// Punctuation glued to what precedes it.
    P(&'static str),
    Code(String),
    /// `*a b*` or `**a b**`.
    Emph(String, bool),
    /// `[a b](url)`.
    Link(String, String),
    /// An insertion: index into the article's insert list.
    Ins(usize),
    /// A quotation `“…”`: index into the article's quotes.
    Quote(usize),
}

struct Sentence {
    toks: Vec<Tok>,
    /// May receive insertions (filler sentences).
    open: bool,
}

enum Block {
    Heading(String),
    Para(Vec<Sentence>),
    List(Vec<Sentence>),
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    All,
    Nth,
    Prefix,
}

/// Occurrences of one entity's alias text that this article annotates.
struct Group {
    entity: usize,
    text: String,
    style: Style,
    ranges: Vec<Range<usize>>,
}

struct Insert {
    /// `Some(group)` for an alias, `None` for a glossed term.
    group: Option<usize>,
    term: usize,
    text: String,
    bold: bool,
}

struct QuoteDef {
    inner: Sentence,
    /// Ends with `,` (attribution after) or `.` (attribution before).
    closing: &'static str,
    speaker_group: usize,
    range: Range<usize>,
}

struct Term {
    text: String,
    body: String,
    range: Range<usize>,
}

/// Markdown and its rendered text, written side by side.
#[derive(Default)]
struct Out {
    md: String,
    text: String,
    code: Vec<Range<usize>>,
    glue: bool,
}

impl Out {
    fn sep(&mut self) {
        if !self.glue {
            self.md.push(' ');
            self.text.push(' ');
        }
        self.glue = false;
    }
    fn both(&mut self, s: &str) {
        self.md.push_str(s);
        self.text.push_str(s);
    }
    fn end_block(&mut self, md_sep: &str) {
        self.md.push_str(md_sep);
        self.text.push('\n');
        self.glue = true;
    }
}

struct Ctx<'a> {
    inserts: &'a [Insert],
    groups: &'a mut Vec<Group>,
    terms: &'a mut Vec<Term>,
    quotes: &'a mut Vec<QuoteDef>,
}

fn render_toks(out: &mut Out, toks: &[Tok], ctx: &mut Ctx) {
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::W(s) => {
                out.sep();
                if i == 0 {
                    out.both(&capitalize(s));
                } else {
                    out.both(s);
                }
            }
            Tok::P(p) => out.both(p),
            Tok::Code(c) => {
                out.sep();
                out.md.push('`');
                let at = out.text.len();
                out.both(c);
                out.code.push(at..out.text.len());
                out.md.push('`');
            }
            Tok::Emph(s, strong) => {
                out.sep();
                let m = if *strong { "**" } else { "*" };
                out.md.push_str(m);
                out.both(s);
                out.md.push_str(m);
            }
            Tok::Link(s, url) => {
                out.sep();
                out.md.push('[');
                out.both(s);
                let _ = write!(out.md, "]({url})");
            }
            Tok::Ins(k) => {
                out.sep();
                let ins = &ctx.inserts[*k];
                if ins.bold {
                    out.md.push_str("**");
                }
                let at = out.text.len();
                out.both(&ins.text);
                let r = at..out.text.len();
                match ins.group {
                    Some(g) => ctx.groups[g].ranges.push(r),
                    None => ctx.terms[ins.term].range = r,
                }
                if ins.bold {
                    out.md.push_str("**");
                }
            }
            Tok::Quote(q) => {
                out.sep();
                out.both("“");
                let at = out.text.len();
                out.glue = true;
                let inner = std::mem::take(&mut ctx.quotes[*q].inner.toks);
                render_toks(out, &inner, ctx);
                let closing = ctx.quotes[*q].closing;
                out.both(closing);
                ctx.quotes[*q].range = at..out.text.len();
                ctx.quotes[*q].inner.toks = inner;
                out.both("”");
            }
        }
    }
}

// Anchoring, as glossa does it (`glossa::anchor::selector::find_all`: overlapping
// occurrences); prefix/suffix context compared with `\n` read as a space.

fn prefix_ok(text: &str, at: usize, prefix: &str) -> bool {
    let before = text[..at].replace('\n', " ");
    before.ends_with(prefix) || before.trim_end().ends_with(prefix.trim_end())
}

fn suffix_ok(text: &str, end: usize, suffix: &str) -> bool {
    let after = text[end..].replace('\n', " ");
    after.starts_with(suffix) || after.trim_start().starts_with(suffix.trim_start())
}

#[derive(Clone)]
enum Sel {
    Plain,
    All,
    Nth(usize),
    Prefix(String),
    Suffix(String),
}

enum AnnKind {
    Mention(usize),
    Quote(Option<String>, usize),
    Note(String),
}

struct Ann {
    kind: AnnKind,
    exact: String,
    sel: Sel,
    ranges: Vec<Range<usize>>,
}

/// The shortest context of whole words (up to 6, within the block) that
/// singles out `target` among `occ`.
fn unique_context(text: &str, occ: &[Range<usize>], target: &Range<usize>) -> Option<Sel> {
    let block_start = text[..target.start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[block_start..target.start];
    let words: Vec<&str> = before.split(' ').filter(|w| !w.is_empty()).collect();
    for n in 1..=words.len().min(6) {
        let p = words[words.len() - n..].join(" ");
        let hits: Vec<_> = occ.iter().filter(|o| prefix_ok(text, o.start, &p)).collect();
        if hits.len() == 1 && hits[0] == target {
            return Some(Sel::Prefix(p));
        }
    }
    let block_end = text[target.end..].find('\n').map_or(text.len(), |i| target.end + i);
    let after: Vec<&str> = text[target.end..block_end]
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect();
    for n in 1..=after.len().min(6) {
        let s = after[..n].join(" ");
        let hits: Vec<_> = occ.iter().filter(|o| suffix_ok(text, o.end, &s)).collect();
        if hits.len() == 1 && hits[0] == target {
            return Some(Sel::Suffix(s));
        }
    }
    None
}

fn nth_sel(occ: &[Range<usize>], target: &Range<usize>) -> Sel {
    let i = occ
        .iter()
        .position(|o| o == target)
        .expect("inserted text occurs where it was inserted");
    if occ.len() == 1 { Sel::Plain } else { Sel::Nth(i + 1) }
}

fn overlaps_code(code: &[Range<usize>], r: &Range<usize>) -> bool {
    code.iter().any(|c| c.start < r.end && r.start < c.end)
}

#[derive(Default, Clone, Copy)]
struct Stats {
    articles: usize,
    words: usize,
    md_bytes: usize,
    mentions: usize,
    quotes: usize,
    notes: usize,
    sel_all: usize,
    sel_nth: usize,
    sel_prefix: usize,
    sel_suffix: usize,
    dropped: usize,
}

impl Stats {
    fn add(mut self, o: Stats) -> Stats {
        self.articles += o.articles;
        self.words += o.words;
        self.md_bytes += o.md_bytes;
        self.mentions += o.mentions;
        self.quotes += o.quotes;
        self.notes += o.notes;
        self.sel_all += o.sel_all;
        self.sel_nth += o.sel_nth;
        self.sel_prefix += o.sel_prefix;
        self.sel_suffix += o.sel_suffix;
        self.dropped += o.dropped;
        self
    }
}

struct World {
    lex: Lexicon,
    entities: Vec<Entity>,
    people: Vec<usize>,
    entity_zipf: Zipf,
    people_zipf: Zipf,
    tag_zipf: Zipf,
    authors: Vec<String>,
    seed: u64,
    n: usize,
}

fn filler_sentence(lex: &Lexicon, rng: &mut Rng, lo: usize, hi: usize, decorate: bool) -> Sentence {
    let len = rng.range(lo, hi);
    let mut toks: Vec<Tok> = Vec::with_capacity(len + 4);
    let mut i = 0;
    while i < len {
        if decorate && i > 0 && i + 3 < len && rng.chance(0.012) {
            let n = rng.range(1, 3);
            let words = lex.phrase(rng, n, n).join(" ");
            toks.push(Tok::Emph(words, rng.chance(0.4)));
            i += n;
        } else if decorate && i > 0 && i + 4 < len && rng.chance(0.006) {
            let n = rng.range(2, 4);
            let words = lex.phrase(rng, n, n).join(" ");
            let url = format!("https://tin.example.vn/{}/{}", slug(&words), rng.range(1000, 99999));
            toks.push(Tok::Link(words, url));
            i += n;
        } else if decorate && i > 0 && rng.chance(0.0004) {
            let code = format!("{}_{}{}", rng.pick(LATIN), rng.pick(LATIN), rng.range(1, 9));
            toks.push(Tok::Code(code));
            i += 1;
        } else if i > 0 && rng.chance(0.02) {
            let n = if rng.chance(0.5) {
                format!("{}", rng.range(2, 2025))
            } else {
                format!("{}%", rng.range(1, 99))
            };
            toks.push(Tok::W(n));
            i += 1;
        } else {
            toks.push(Tok::W(lex.word(rng).to_string()));
            i += 1;
        }
        if i > 1 && i + 2 < len && rng.chance(0.07) {
            toks.push(Tok::P(","));
        }
    }
    Sentence { toks, open: true }
}

/// One generated article: file stem, Markdown file, annotation file, the
/// rendered text its selectors were chosen against, and counts.
struct Generated {
    slug: String,
    md: String,
    ann: String,
    text: String,
    stats: Stats,
}

fn gen_article(w: &World, idx: usize) -> Generated {
    let lex = &w.lex;
    let mut rng = Rng::stream(w.seed, 1_000_000 + idx as u64);

    // Front matter.
    let title_words = lex.phrase(&mut rng, 6, 12);
    let title = capitalize(&title_words.join(" "));
    let slug_base: String = slug(&title_words[..4.min(title_words.len())].join(" "));
    let file_slug = format!("{idx:05}-{slug_base}");
    let day = 16_436 + (idx * 3_650) / w.n.max(1) + rng.below(3); // from 2015-01-01
    let (y, m, d) = civil_from_days(day as i64);
    let mut tags: Vec<&str> = Vec::new();
    for _ in 0..rng.range(1, 4) {
        let t = TAGS[w.tag_zipf.sample(&mut rng)];
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let description = capitalize(&lex.phrase(&mut rng, 15, 30).join(" ")) + ".";
    let author = rng.pick(&w.authors).clone();

    // Which entities, under which alias, how selected.
    let mut groups: Vec<Group> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    let n_quotes = rng.range(2, 3);
    let mut speakers: Vec<usize> = Vec::new();
    while speakers.len() < n_quotes.min(2) {
        let p = w.people[w.people_zipf.sample(&mut rng)];
        if !speakers.contains(&p) {
            speakers.push(p);
        }
    }
    let mut chosen: Vec<usize> = speakers.clone();
    let target = rng.range(6, 9);
    while chosen.len() < target {
        let e = w.entity_zipf.sample(&mut rng);
        if !chosen.contains(&e) {
            chosen.push(e);
        }
    }
    let mut speaker_group = Vec::new();
    for (ci, &e) in chosen.iter().enumerate() {
        let ent = &w.entities[e];
        let is_speaker = ci < speakers.len();
        let mut forms: Vec<String> = Vec::new();
        if is_speaker {
            forms.push(ent.speaker_form.clone());
        } else if ent.aliases.is_empty() || rng.chance(0.6) {
            forms.push(ent.name.clone());
        } else {
            forms.push(rng.pick(&ent.aliases).clone());
        }
        if rng.chance(0.25) {
            let other = if rng.chance(0.5) || ent.aliases.is_empty() {
                ent.name.clone()
            } else {
                rng.pick(&ent.aliases).clone()
            };
            if !forms.contains(&other) {
                forms.push(other);
            }
        }
        for (fi, text) in forms.into_iter().enumerate() {
            let style = match rng.unit() {
                r if r < 0.6 => Style::All,
                r if r < 0.8 => Style::Nth,
                _ => Style::Prefix,
            };
            let count = match style {
                Style::All => rng.range(1, 3),
                _ => rng.range(2, 3),
            };
            if is_speaker && fi == 0 {
                speaker_group.push(groups.len());
            }
            groups.push(Group {
                entity: e,
                text,
                style,
                ranges: Vec::new(),
            });
            counts.push(count);
        }
    }

    // Skeleton: lead, sections with headings, one list.
    let words_target = rng.range(670, 870);
    let mut blocks: Vec<Block> = Vec::new();
    let mut words = 0usize;
    let para = |rng: &mut Rng, words: &mut usize| -> Block {
        let ss: Vec<Sentence> = (0..rng.range(3, 6))
            .map(|_| filler_sentence(lex, rng, 8, 25, true))
            .collect();
        *words += ss.iter().map(|s| s.toks.len()).sum::<usize>();
        Block::Para(ss)
    };
    blocks.push(para(&mut rng, &mut words));
    let mut list_done = false;
    while words < words_target {
        blocks.push(Block::Heading(capitalize(&lex.phrase(&mut rng, 3, 7).join(" "))));
        for p in 0..rng.range(2, 4) {
            if words >= words_target + 40 {
                break;
            }
            blocks.push(para(&mut rng, &mut words));
            if p == 0 && !list_done && rng.chance(0.5) {
                let items: Vec<Sentence> = (0..rng.range(3, 5))
                    .map(|_| filler_sentence(lex, &mut rng, 6, 14, false))
                    .collect();
                words += items.iter().map(|s| s.toks.len()).sum::<usize>();
                blocks.push(Block::List(items));
                list_done = true;
            }
        }
    }

    // Quotes replace some paragraph sentences.
    let mut quotes: Vec<QuoteDef> = Vec::new();
    let mut inserts: Vec<Insert> = Vec::new();
    let para_idx: Vec<usize> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, Block::Para(_)))
        .map(|(i, _)| i)
        .collect();
    for q in 0..n_quotes {
        let g = speaker_group[q % speaker_group.len()];
        let b = *rng.pick(&para_idx);
        let Block::Para(ss) = &mut blocks[b] else {
            unreachable!()
        };
        let s = rng.below(ss.len());
        if !ss[s].open {
            continue;
        }
        let inner = filler_sentence(lex, &mut rng, 10, 24, false);
        let ins = inserts.len();
        inserts.push(Insert {
            group: Some(g),
            term: 0,
            text: groups[g].text.clone(),
            bold: false,
        });
        counts[g] = counts[g].saturating_sub(1);
        let before = rng.chance(0.5);
        let toks = if before {
            // “…,” ông An nói.
            vec![
                Tok::Quote(quotes.len()),
                Tok::Ins(ins),
                Tok::W((*rng.pick(&["nói", "cho biết", "nhấn mạnh"])).into()),
            ]
        } else {
            // Theo ông An, “…”
            let mut t = vec![Tok::W("theo".into()), Tok::Ins(ins), Tok::P(",")];
            t.extend(lex.phrase(&mut rng, 2, 6).into_iter().map(Tok::W));
            t.push(Tok::P(":"));
            t.push(Tok::Quote(quotes.len()));
            t
        };
        quotes.push(QuoteDef {
            inner,
            closing: if before { "," } else { "." },
            speaker_group: g,
            range: 0..0,
        });
        ss[s] = Sentence { toks, open: false };
    }

    // Terms to gloss.
    let mut terms: Vec<Term> = Vec::new();
    for _ in 0..rng.range(2, 4) {
        let text = format!("{} {}", lex.rare(&mut rng), lex.rare(&mut rng));
        let body = format!("*{}*: {}.", capitalize(&text), lex.phrase(&mut rng, 10, 24).join(" "));
        terms.push(Term {
            text,
            body,
            range: 0..0,
        });
    }

    // Insertions into open sentences (paragraphs, list items, quote inners).
    for (g, &c) in counts.iter().enumerate() {
        for _ in 0..c {
            inserts.push(Insert {
                group: Some(g),
                term: 0,
                text: groups[g].text.clone(),
                bold: rng.chance(0.08),
            });
        }
    }
    for (t, term) in terms.iter().enumerate() {
        inserts.push(Insert {
            group: None,
            term: t,
            text: term.text.clone(),
            bold: false,
        });
    }
    let first_free = quotes.len();
    let mut slots: Vec<(usize, usize)> = Vec::new(); // (block or usize::MAX for quote, sentence or quote)
    for (bi, b) in blocks.iter().enumerate() {
        if let Block::Para(ss) | Block::List(ss) = b {
            for (si, s) in ss.iter().enumerate() {
                if s.open {
                    slots.push((bi, si));
                }
            }
        }
    }
    for qi in 0..quotes.len() {
        slots.push((usize::MAX, qi));
    }
    for (k, ins) in inserts.iter().enumerate().skip(first_free) {
        let (b, s) = loop {
            let slot = *rng.pick(&slots);
            // Terms stay out of quotes; aliases may nest in them.
            if slot.0 != usize::MAX || ins.group.is_some() {
                break slot;
            }
        };
        let toks = if b == usize::MAX {
            &mut quotes[s].inner.toks
        } else {
            match &mut blocks[b] {
                Block::Para(ss) | Block::List(ss) => &mut ss[s].toks,
                Block::Heading(_) => unreachable!(),
            }
        };
        let at = rng.range(1, toks.len());
        toks.insert(at, Tok::Ins(k));
    }

    // Render Markdown and rendered text together.
    let mut out = Out {
        glue: true,
        ..Out::default()
    };
    {
        let mut ctx = Ctx {
            inserts: &inserts,
            groups: &mut groups,
            terms: &mut terms,
            quotes: &mut quotes,
        };
        for b in &blocks {
            match b {
                Block::Heading(h) => {
                    out.md.push_str("## ");
                    out.both(h);
                    out.end_block("\n\n");
                }
                Block::Para(ss) => {
                    for s in ss {
                        render_toks(&mut out, &s.toks, &mut ctx);
                        if !matches!(s.toks.last(), Some(Tok::Quote(_))) {
                            out.both(".");
                        }
                    }
                    out.end_block("\n\n");
                }
                Block::List(items) => {
                    for (i, s) in items.iter().enumerate() {
                        out.md.push_str("- ");
                        out.glue = true;
                        render_toks(&mut out, &s.toks, &mut ctx);
                        out.both(if i + 1 == items.len() { "." } else { ";" });
                        out.end_block("\n");
                    }
                    out.md.push('\n');
                }
            }
        }
    }
    if out.text.ends_with('\n') {
        out.text.pop();
    }
    let text = &out.text;

    // Selectors, chosen against the rendered text.
    let mut anns: Vec<Ann> = Vec::new();
    let mut stats = Stats {
        articles: 1,
        ..Stats::default()
    };
    for g in &groups {
        if g.ranges.is_empty() {
            continue;
        }
        let occ = find_all(text, &g.text);
        let mut planned = g.ranges.clone();
        planned.sort_by_key(|r| r.start);
        let clean = occ == planned && !occ.iter().any(|r| overlaps_code(&out.code, r));
        let kind = || AnnKind::Mention(g.entity);
        if g.style == Style::All && clean {
            let sel = if occ.len() == 1 { Sel::Plain } else { Sel::All };
            anns.push(Ann {
                kind: kind(),
                exact: g.text.clone(),
                sel,
                ranges: occ,
            });
            continue;
        }
        for r in &planned {
            let sel = match g.style {
                Style::Prefix => unique_context(text, &occ, r).unwrap_or_else(|| nth_sel(&occ, r)),
                _ => nth_sel(&occ, r),
            };
            anns.push(Ann {
                kind: kind(),
                exact: g.text.clone(),
                sel,
                ranges: vec![r.clone()],
            });
        }
    }
    for (qi, q) in quotes.iter().enumerate() {
        let exact = text[q.range.clone()].to_string();
        let occ = find_all(text, &exact);
        let id = rng.chance(0.5).then(|| format!("q-{file_slug}-{}", qi + 1));
        let speaker = groups[q.speaker_group].entity;
        anns.push(Ann {
            kind: AnnKind::Quote(id, speaker),
            sel: nth_sel(&occ, &q.range),
            exact,
            ranges: vec![q.range.clone()],
        });
    }
    for t in &terms {
        if t.range.is_empty() {
            continue;
        }
        let occ = find_all(text, &t.text);
        anns.push(Ann {
            kind: AnnKind::Note(t.body.clone()),
            exact: t.text.clone(),
            sel: nth_sel(&occ, &t.range),
            ranges: vec![t.range.clone()],
        });
    }

    // Safety net: glossa's nesting rule; drop anything that would not nest.
    let mut all: Vec<(Range<usize>, usize)> = anns
        .iter()
        .enumerate()
        .flat_map(|(i, a)| a.ranges.iter().map(move |r| (r.clone(), i)))
        .collect();
    all.sort_by_key(|(r, i)| (r.start, std::cmp::Reverse(r.end), *i));
    let mut dropped = vec![false; anns.len()];
    let mut stack: Vec<(Range<usize>, usize)> = Vec::new();
    for (r, i) in &all {
        while stack.last().is_some_and(|(s, _)| s.end <= r.start) {
            stack.pop();
        }
        if let Some((s, j)) = stack.last()
            && r.end > s.end
            && !dropped[*j]
        {
            dropped[*i] = true;
            continue;
        }
        stack.push((r.clone(), *i));
    }
    for (i, a) in anns.iter().enumerate() {
        if a.ranges.iter().any(|r| overlaps_code(&out.code, r)) {
            dropped[i] = true;
        }
    }

    // The annotation file.
    let mut ann = format!("# {file_slug}: generated by gen_corpus (seed {})\n", w.seed);
    for (i, a) in anns.iter().enumerate() {
        if dropped[i] {
            stats.dropped += 1;
            continue;
        }
        ann.push('\n');
        match &a.kind {
            AnnKind::Mention(e) => {
                stats.mentions += 1;
                let _ = write!(ann, "[[mention]]\nentity = \"{}\"\n", w.entities[*e].id);
            }
            AnnKind::Quote(id, speaker) => {
                stats.quotes += 1;
                ann.push_str("[[quote]]\n");
                if let Some(id) = id {
                    let _ = writeln!(ann, "id = \"{id}\"");
                }
                let _ = writeln!(ann, "speaker = \"{}\"", w.entities[*speaker].id);
            }
            AnnKind::Note(_) => {
                stats.notes += 1;
                ann.push_str("[[note]]\n");
            }
        }
        let _ = writeln!(ann, "exact = {}", toml_str(&a.exact));
        match &a.sel {
            Sel::Plain => {}
            Sel::All => {
                stats.sel_all += 1;
                ann.push_str("all = true\n");
            }
            Sel::Nth(n) => {
                stats.sel_nth += 1;
                let _ = writeln!(ann, "nth = {n}");
            }
            Sel::Prefix(p) => {
                stats.sel_prefix += 1;
                let _ = writeln!(ann, "prefix = {}", toml_str(p));
            }
            Sel::Suffix(s) => {
                stats.sel_suffix += 1;
                let _ = writeln!(ann, "suffix = {}", toml_str(s));
            }
        }
        if let AnnKind::Note(body) = &a.kind {
            let _ = writeln!(ann, "body = {}", toml_str(body));
        }
    }

    let tags_toml: Vec<String> = tags.iter().map(|t| toml_str(t)).collect();
    let mut md = String::with_capacity(out.md.len() + 400);
    md.push_str("+++\n");
    let _ = writeln!(md, "title = {}", toml_str(&title));
    let _ = writeln!(md, "description = {}", toml_str(&description));
    let _ = writeln!(md, "date = \"{y:04}-{m:02}-{d:02}\"");
    let _ = writeln!(md, "authors = [{}]", toml_str(&author));
    let _ = writeln!(md, "tags = [{}]", tags_toml.join(", "));
    md.push_str("+++\n\n");
    md.push_str(out.md.trim_end());
    md.push('\n');
    stats.words = text.split_whitespace().count();
    stats.md_bytes = md.len();
    Generated {
        slug: file_slug,
        md,
        ann,
        text: out.text,
        stats,
    }
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// ─── Hugo site ──────────────────────────────────────────────────────────────

const HUGO_CONFIG: &str = r#"# Generated by gen_corpus: the same articles as the glossa site, for timing.
baseURL = "https://example.org/"
title = "glossa bench (Hugo)"
languageCode = "vi"
defaultContentLanguage = "vi"
# Taxonomies (tags, categories), RSS and sitemap are Hugo's defaults: left on.
"#;

const HUGO_HEAD: &str = r#"<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
{{ with .Description }}<meta name="description" content="{{ . }}">{{ end }}
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header>
<main>
"#;

const HUGO_SINGLE: &str = r#"<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "02/01/2006" }}</time>{{ with .Params.authors }} · {{ delimit . ", " }}{{ end }}</p>
{{ with .GetTerms "tags" }}<ul class="tags">{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>{{ end }}
{{ .Content }}
</article>
"#;

const HUGO_LIST: &str = r#"<h1>{{ .Title }}</h1>
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> <time>{{ .Date.Format "2006-01-02" }}</time></li>
{{ end }}</ul>
"#;

const HUGO_INDEX: &str = r#"<h1>{{ site.Title }}</h1>
<ul>
{{ range (where site.RegularPages "Section" "articles").ByDate.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <time>{{ .Date.Format "2006-01-02" }}</time>{{ with .Description }}<p>{{ . }}</p>{{ end }}</li>
{{ end }}</ul>
"#;

const HUGO_FOOT: &str = "</main>\n</body>\n</html>\n";

fn write_hugo_skeleton(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir.join("layouts/_default"))?;
    fs::create_dir_all(dir.join("content/articles"))?;
    fs::write(dir.join("hugo.toml"), HUGO_CONFIG)?;
    for (name, body) in [
        ("_default/single.html", HUGO_SINGLE),
        ("_default/list.html", HUGO_LIST),
        ("index.html", HUGO_INDEX),
    ] {
        fs::write(dir.join("layouts").join(name), format!("{HUGO_HEAD}{body}{HUGO_FOOT}"))?;
    }
    Ok(())
}

// ─── Main ───────────────────────────────────────────────────────────────────

const MARKER: &str = ".gen_corpus";

/// Makes `dir` ready: creates it, or clears a directory this tool wrote
/// before; refuses to touch any other non-empty directory.
fn prepare(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            if !dir.join(MARKER).is_file() {
                return Err(format!(
                    "{} is not empty and was not written by gen_corpus; refusing to overwrite it",
                    dir.display()
                ));
            }
            for sub in ["content", "public", "layouts"] {
                let p = dir.join(sub);
                if p.exists() {
                    fs::remove_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                }
            }
        }
    }
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::write(dir.join(MARKER), "written by examples/gen_corpus.rs; safe to delete\n").map_err(|e| e.to_string())
}

struct Args {
    articles: usize,
    entities: usize,
    out: PathBuf,
    hugo: Option<PathBuf>,
    seed: u64,
    dump_text: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        articles: 1000,
        entities: 2000,
        out: PathBuf::new(),
        hugo: None,
        seed: 6,
        dump_text: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--articles" | "-n" => a.articles = v()?.parse().map_err(|e| format!("--articles: {e}"))?,
            "--entities" => a.entities = v()?.parse().map_err(|e| format!("--entities: {e}"))?,
            "--out" => a.out = PathBuf::from(v()?),
            "--hugo" => a.hugo = Some(PathBuf::from(v()?)),
            "--seed" => a.seed = v()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--dump-text" => a.dump_text = Some(PathBuf::from(v()?)),
            "-h" | "--help" => {
                return Err(
                    "usage: gen_corpus --articles N --out DIR [--hugo DIR] [--seed S] [--entities E] [--dump-text DIR]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    if a.out.as_os_str().is_empty() {
        return Err("--out DIR is required (see --help)".into());
    }
    if a.entities < 20 {
        return Err("--entities must be at least 20".into());
    }
    Ok(a)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let t0 = Instant::now();
    let lex = Lexicon::new(args.seed);
    let entities = make_entities(&lex, args.seed, args.entities);
    let people: Vec<usize> = entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == Kind::Person)
        .map(|(i, _)| i)
        .collect();
    let mut arng = Rng::stream(args.seed, 0xa07);
    let authors = (0..50)
        .map(|_| format!("{} {} {}", arng.pick(FAMILY), arng.pick(MIDDLE_M), arng.pick(GIVEN_F)))
        .collect();
    let world = World {
        entity_zipf: Zipf::new(entities.len(), 0.9, 10.0),
        people_zipf: Zipf::new(people.len(), 0.9, 10.0),
        tag_zipf: Zipf::new(TAGS.len(), 1.0, 2.0),
        lex,
        entities,
        people,
        authors,
        seed: args.seed,
        n: args.articles,
    };

    prepare(&args.out)?;
    let art_dir = args.out.join("content/articles");
    let ent_dir = args.out.join("content/entities");
    fs::create_dir_all(&art_dir).map_err(|e| e.to_string())?;
    fs::create_dir_all(&ent_dir).map_err(|e| e.to_string())?;
    fs::write(
        args.out.join("glossa.toml"),
        format!(
            "# Generated by gen_corpus (seed {}, {} articles, {} entities).\ntitle = \"glossa bench\"\ndescription = \"Kho bài viết tổng hợp để đo hiệu năng glossa.\"\nbase_url = \"/\"\nlanguage = \"vi\"\n",
            args.seed, args.articles, args.entities
        ),
    )
    .map_err(|e| e.to_string())?;
    if let Some(d) = &args.dump_text {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let hugo_art = match &args.hugo {
        Some(h) => {
            prepare(h)?;
            write_hugo_skeleton(h).map_err(|e| e.to_string())?;
            Some(h.join("content/articles"))
        }
        None => None,
    };

    world
        .entities
        .par_iter()
        .try_for_each(|e| fs::write(ent_dir.join(format!("{}.md", e.id)), entity_file(e, &world.entities)))
        .map_err(|e| e.to_string())?;
    let stats = (0..args.articles)
        .into_par_iter()
        .map(|i| -> std::io::Result<Stats> {
            let g = gen_article(&world, i);
            fs::write(art_dir.join(format!("{}.md", g.slug)), &g.md)?;
            fs::write(art_dir.join(format!("{}.annotations.toml", g.slug)), &g.ann)?;
            if let Some(h) = &hugo_art {
                fs::write(h.join(format!("{}.md", g.slug)), &g.md)?;
            }
            if let Some(d) = &args.dump_text {
                fs::write(d.join(format!("{}.txt", g.slug)), &g.text)?;
            }
            Ok(g.stats)
        })
        .try_reduce(Stats::default, |a, b| Ok(a.add(b)))
        .map_err(|e| e.to_string())?;

    let n = stats.articles.max(1);
    eprintln!(
        "gen_corpus: {} articles ({:.1} MB Markdown, {} words/article), {} entities, {} annotations ({:.1}/article: {} mentions, {} quotes, {} notes; selectors: {} all, {} nth, {} prefix, {} suffix; {} dropped) in {:.2} s",
        stats.articles,
        stats.md_bytes as f64 / 1e6,
        stats.words / n,
        world.entities.len(),
        stats.mentions + stats.quotes + stats.notes,
        (stats.mentions + stats.quotes + stats.notes) as f64 / n as f64,
        stats.mentions,
        stats.quotes,
        stats.notes,
        stats.sel_all,
        stats.sel_nth,
        stats.sel_prefix,
        stats.sel_suffix,
        stats.dropped,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_corpus: {e}");
            ExitCode::from(2)
        }
    }
}
