//! UI strings in the site's language, relation labels in both directions,
//! and date formatting. `vi` and `en` are built in; a site adds a language,
//! or changes some strings of a built-in one, with `i18n/LANG.toml` (the
//! keys of [`Strings`]; unknown keys are errors with a "did you mean").
//! Templates get the strings as `t`.
//!
//! Foundation: shared by every stage of the pipeline.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::read_text;
use crate::schema;

/// The built-in tables, borrowed; see [`Strings`] for the owned, per-site form.
#[derive(Debug, Clone, Serialize)]
struct BuiltIn {
    pub home: &'static str,
    pub entities: &'static str,
    pub quotes: &'static str,
    pub tags: &'static str,
    pub mentions: &'static str,
    pub related_articles: &'static str,
    pub related_entities: &'static str,
    pub relations: &'static str,
    pub aliases: &'static str,
    pub articles: &'static str,
    pub notes: &'static str,
    pub source: &'static str,
    pub via: &'static str,
    pub said: &'static str,
    pub in_article: &'static str,
    pub permalink: &'static str,
    pub featured_quotes: &'static str,
    pub all_articles: &'static str,
    pub not_found: &'static str,
    pub not_found_text: &'static str,
    pub mention_count: &'static str,
    pub go_to_text: &'static str,
    pub in_this_article: &'static str,
    pub quote_link: &'static str,
    pub skip_to_content: &'static str,
    pub search: &'static str,
    pub entity_graph: &'static str,
    pub search_placeholder: &'static str,
    pub search_needs_js: &'static str,
    pub search_found: &'static str,
    pub search_none: &'static str,
    pub search_more: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    /// `{n}` (this page's number), `{pages}` (how many).
    pub page_number: &'static str,
    /// The accessible name of a sidenote's show/hide toggle, `{n}` its number.
    pub note_toggle: &'static str,
    /// The date archive (menu, footer, headings).
    pub archive: &'static str,
    /// A month of a year: `{month}` (its name), `{m}` (01–12), `{y}`.
    pub month_year: &'static str,
    /// A year as a heading: `{y}`.
    pub year: &'static str,
    pub timeline: &'static str,
    pub per_month: &'static str,
    pub per_year: &'static str,
    pub period: &'static str,
    /// An entity named in one article only: `{date}` its date.
    pub mentioned_on: &'static str,
    pub in_the_news: &'static str,
    /// `{days}`: how many days the window is, `{to}`: the newest article's date.
    pub in_the_news_window: &'static str,
    pub quote_by: &'static str,
    pub quote_about: &'static str,
    /// `{d}`, `{m}` (two digits), `{month}` (name), `{y}`.
    pub date_format: &'static str,
    pub months: [&'static str; 12],
    pub kind: BuiltInKinds,
}

#[derive(Debug, Clone, Serialize)]
struct BuiltInKinds {
    pub person: &'static str,
    pub organization: &'static str,
    pub place: &'static str,
    pub product: &'static str,
    pub concept: &'static str,
    pub event: &'static str,
    pub work: &'static str,
}

const VI: BuiltIn = BuiltIn {
    home: "Trang chủ",
    entities: "Thực thể",
    quotes: "Trích dẫn",
    tags: "Chủ đề",
    mentions: "Nhắc đến",
    related_articles: "Bài liên quan",
    related_entities: "Thực thể liên quan",
    relations: "Quan hệ",
    aliases: "Tên khác",
    articles: "Bài viết",
    notes: "Chú thích",
    source: "Theo",
    via: "Nguồn",
    said: "nói",
    in_article: "trong bài",
    permalink: "Liên kết cố định",
    featured_quotes: "Trích dẫn nổi bật",
    all_articles: "Tất cả bài viết",
    not_found: "Không tìm thấy trang",
    not_found_text: "Trang bạn tìm không tồn tại hoặc đã được chuyển đi.",
    mention_count: "lần nhắc đến",
    go_to_text: "Đến đoạn văn",
    in_this_article: "Trong bài này",
    quote_link: "Trang trích dẫn",
    skip_to_content: "Chuyển đến nội dung chính",
    search: "Tìm kiếm",
    entity_graph: "Đồ thị thực thể",
    search_placeholder: "Tìm bài viết, thực thể, trích dẫn…",
    search_needs_js: "Tìm kiếm cần JavaScript.",
    search_found: "Kết quả:",
    search_none: "Không tìm thấy kết quả.",
    search_more: "Xem thêm",
    previous_page: "Trang trước",
    next_page: "Trang sau",
    page_number: "Trang {n}/{pages}",
    note_toggle: "Chú thích {n}",
    archive: "Lưu trữ",
    month_year: "{month} năm {y}",
    year: "Năm {y}",
    timeline: "Dòng thời gian",
    per_month: "Số lần nhắc đến theo tháng",
    per_year: "Số lần nhắc đến theo năm",
    period: "Thời gian",
    mentioned_on: "Nhắc đến ngày {date}",
    in_the_news: "Đang được nhắc đến",
    in_the_news_window: "Nhắc đến nhiều nhất trong các bài viết {days} ngày tính đến {to}",
    quote_by: "Phát biểu",
    quote_about: "Được nhắc đến",
    date_format: "{d}/{m}/{y}",
    months: [
        "tháng 1",
        "tháng 2",
        "tháng 3",
        "tháng 4",
        "tháng 5",
        "tháng 6",
        "tháng 7",
        "tháng 8",
        "tháng 9",
        "tháng 10",
        "tháng 11",
        "tháng 12",
    ],
    kind: BuiltInKinds {
        person: "Nhân vật",
        organization: "Tổ chức",
        place: "Địa danh",
        product: "Sản phẩm",
        concept: "Khái niệm",
        event: "Sự kiện",
        work: "Tác phẩm",
    },
};

const EN: BuiltIn = BuiltIn {
    home: "Home",
    entities: "Entities",
    quotes: "Quotes",
    tags: "Tags",
    mentions: "Mentions",
    related_articles: "Related articles",
    related_entities: "Related entities",
    relations: "Relations",
    aliases: "Also known as",
    articles: "Articles",
    notes: "Notes",
    source: "From",
    via: "Via",
    said: "said",
    in_article: "in",
    permalink: "Permalink",
    featured_quotes: "Featured quotes",
    all_articles: "All articles",
    not_found: "Page not found",
    not_found_text: "The page you are looking for does not exist or has moved.",
    mention_count: "mentions",
    go_to_text: "Go to text",
    in_this_article: "In this article",
    quote_link: "Quote page",
    skip_to_content: "Skip to main content",
    search: "Search",
    entity_graph: "Entity graph",
    search_placeholder: "Search articles, entities, quotes…",
    search_needs_js: "Search needs JavaScript.",
    search_found: "Results:",
    search_none: "No results.",
    search_more: "Show more",
    previous_page: "Previous",
    next_page: "Next",
    page_number: "Page {n} of {pages}",
    note_toggle: "Note {n}",
    archive: "Archive",
    month_year: "{month} {y}",
    year: "{y}",
    timeline: "Timeline",
    per_month: "Mentions per month",
    per_year: "Mentions per year",
    period: "Period",
    mentioned_on: "Mentioned on {date}",
    in_the_news: "In the news",
    in_the_news_window: "Most mentioned in the articles of the {days} days up to {to}",
    quote_by: "Said",
    quote_about: "Mentioned",
    date_format: "{day} {month} {y}",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    kind: BuiltInKinds {
        person: "People",
        organization: "Organisations",
        place: "Places",
        product: "Products",
        concept: "Concepts",
        event: "Events",
        work: "Works",
    },
};

fn is_vi(language: &str) -> bool {
    language
        .split(['-', '_'])
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("vi"))
}

fn builtin(language: &str) -> &'static BuiltIn {
    if is_vi(language) { &VI } else { &EN }
}

/// The UI strings of one site, in its language.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub home: String,
    pub entities: String,
    pub quotes: String,
    pub tags: String,
    pub mentions: String,
    pub related_articles: String,
    pub related_entities: String,
    pub relations: String,
    pub aliases: String,
    pub articles: String,
    pub notes: String,
    pub source: String,
    pub via: String,
    pub said: String,
    pub in_article: String,
    pub permalink: String,
    pub featured_quotes: String,
    pub all_articles: String,
    pub not_found: String,
    pub not_found_text: String,
    pub mention_count: String,
    pub go_to_text: String,
    pub in_this_article: String,
    pub quote_link: String,
    pub skip_to_content: String,
    pub search: String,
    pub entity_graph: String,
    pub search_placeholder: String,
    pub search_needs_js: String,
    pub search_found: String,
    pub search_none: String,
    pub search_more: String,
    pub previous_page: String,
    pub next_page: String,
    pub page_number: String,
    pub note_toggle: String,
    pub archive: String,
    pub month_year: String,
    pub year: String,
    pub timeline: String,
    pub per_month: String,
    pub per_year: String,
    pub period: String,
    pub mentioned_on: String,
    pub in_the_news: String,
    pub in_the_news_window: String,
    pub quote_by: String,
    pub quote_about: String,
    pub date_format: String,
    pub months: Vec<String>,
    pub kind: Kinds,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kinds {
    pub person: String,
    pub organization: String,
    pub place: String,
    pub product: String,
    pub concept: String,
    pub event: String,
    pub work: String,
}

impl Strings {
    /// The built-in strings for a language tag (`vi`, `vi-VN`; English otherwise).
    pub fn builtin(language: &str) -> Strings {
        let table = toml::Table::try_from(builtin(language)).unwrap_or_default();
        table.try_into().unwrap_or_else(|_| unreachable_strings())
    }

    /// `2026-11-28` in this language's format.
    pub fn format_date(&self, date: &str) -> String {
        let (Some(y), Some(m), Some(d)) = (date.get(0..4), date.get(5..7), date.get(8..10)) else {
            return date.to_string();
        };
        let day: u32 = d.parse().unwrap_or(1);
        let day = day.to_string();
        let month = self.month_name(m.parse().unwrap_or(1));
        // (every article in every list is dated: ~180,000 calls at 10,000
        // articles, so one pass over the format)
        fill(
            &self.date_format,
            &[("{day}", &day), ("{d}", d), ("{month}", month), ("{m}", m), ("{y}", y)],
        )
    }

    /// Month `month` (1–12) of `year` in this language: `tháng 11 năm
    /// 2026`, `November 2026` (see [`Strings::month_year`]).
    pub fn format_month(&self, year: u16, month: u8) -> String {
        let (y, m) = (format!("{year:04}"), format!("{month:02}"));
        fill(
            &self.month_year,
            &[("{month}", self.month_name(month as usize)), ("{m}", &m), ("{y}", &y)],
        )
    }

    /// A year as a heading: `Năm 2026`, `2026`.
    pub fn format_year(&self, year: u16) -> String {
        fill(&self.year, &[("{y}", &format!("{year:04}"))])
    }

    fn month_name(&self, month: usize) -> &str {
        self.months.get(month.clamp(1, 12) - 1).map_or("", String::as_str)
    }
}

/// `format` with each `{field}` replaced by its value, in one pass; a `{…}`
/// that is not a field stays.
fn fill(format: &str, fields: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(format.len() + 24);
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        match fields.iter().find(|(f, _)| rest.starts_with(f)) {
            Some((f, value)) => {
                out.push_str(value);
                rest = &rest[f.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Never used: the built-in tables always convert. Kept so a mistake in them
/// shows as English strings rather than a panic.
fn unreachable_strings() -> Strings {
    Strings {
        home: "Home".into(),
        entities: "Entities".into(),
        quotes: "Quotes".into(),
        tags: "Tags".into(),
        mentions: "Mentions".into(),
        related_articles: "Related articles".into(),
        related_entities: "Related entities".into(),
        relations: "Relations".into(),
        aliases: "Also known as".into(),
        articles: "Articles".into(),
        notes: "Notes".into(),
        source: "From".into(),
        via: "Via".into(),
        said: "said".into(),
        in_article: "in".into(),
        permalink: "Permalink".into(),
        featured_quotes: "Featured quotes".into(),
        all_articles: "All articles".into(),
        not_found: "Page not found".into(),
        not_found_text: "".into(),
        mention_count: "mentions".into(),
        go_to_text: "Go to text".into(),
        in_this_article: "In this article".into(),
        quote_link: "Quote page".into(),
        skip_to_content: "Skip to main content".into(),
        search: "Search".into(),
        entity_graph: "Entity graph".into(),
        search_placeholder: "".into(),
        search_needs_js: "".into(),
        search_found: "".into(),
        search_none: "".into(),
        search_more: "".into(),
        previous_page: "Previous".into(),
        next_page: "Next".into(),
        page_number: "{n}/{pages}".into(),
        note_toggle: "Note {n}".into(),
        archive: "Archive".into(),
        month_year: "{month} {y}".into(),
        year: "{y}".into(),
        timeline: "Timeline".into(),
        per_month: "Mentions per month".into(),
        per_year: "Mentions per year".into(),
        period: "Period".into(),
        mentioned_on: "Mentioned on {date}".into(),
        in_the_news: "In the news".into(),
        in_the_news_window: "Most mentioned in the articles of the {days} days up to {to}".into(),
        quote_by: "Said".into(),
        quote_about: "Mentioned".into(),
        date_format: "{y}-{m}-{d}".into(),
        months: Vec::new(),
        kind: Kinds {
            person: "People".into(),
            organization: "Organisations".into(),
            place: "Places".into(),
            product: "Products".into(),
            concept: "Concepts".into(),
            event: "Events".into(),
            work: "Works".into(),
        },
    }
}

fn strings_keys_at(path: &[&str]) -> Option<&'static [&'static str]> {
    const TOP: &[&str] = &[
        "home",
        "entities",
        "quotes",
        "tags",
        "mentions",
        "related_articles",
        "related_entities",
        "relations",
        "aliases",
        "articles",
        "notes",
        "source",
        "via",
        "said",
        "in_article",
        "permalink",
        "featured_quotes",
        "all_articles",
        "not_found",
        "not_found_text",
        "mention_count",
        "go_to_text",
        "in_this_article",
        "quote_link",
        "skip_to_content",
        "search",
        "entity_graph",
        "search_placeholder",
        "search_needs_js",
        "search_found",
        "search_none",
        "search_more",
        "previous_page",
        "next_page",
        "page_number",
        "note_toggle",
        "archive",
        "month_year",
        "year",
        "timeline",
        "per_month",
        "per_year",
        "period",
        "mentioned_on",
        "in_the_news",
        "in_the_news_window",
        "quote_by",
        "quote_about",
        "date_format",
        "months",
        "kind",
    ];
    const KINDS: &[&str] = &["person", "organization", "place", "product", "concept", "event", "work"];
    match path {
        [] => Some(TOP),
        ["kind"] => Some(KINDS),
        _ => None,
    }
}

/// The site's strings: the built-in ones for its language, with
/// `ROOT/i18n/LANG.toml` laid over them when it exists.
pub fn load(root: &Path, language: &str, diags: &mut Diagnostics, sources: &mut Sources) -> Strings {
    let mut strings = Strings::builtin(language);
    let rel = Path::new("i18n").join(format!("{language}.toml"));
    if !root.join(&rel).is_file() {
        return strings;
    }
    let Some(text) = read_text(root, &rel, diags) else {
        return strings;
    };
    sources.insert(&rel, text.clone().into());
    // An unknown key is reported once, at its line, by the schema check (and
    // not again, without a line, by serde's `deny_unknown_fields` below).
    let errors = diags.error_count();
    let document = schema::parse(&text, 0, &rel, strings_keys_at, diags);
    let Some(document) = document.filter(|_| diags.error_count() == errors) else {
        return strings;
    };
    let overrides = match toml::Table::deserialize(document) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(&rel, e.span(), e.message().trim().to_string()));
            return strings;
        }
    };
    let mut base = toml::Table::try_from(&strings).unwrap_or_default();
    for (k, v) in overrides {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => b.extend(o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
    match base.try_into::<Strings>() {
        Ok(s) if s.months.len() == 12 => strings = s,
        Ok(_) => diags.push(
            Diagnostic::error(&rel, None, "`months` must list 12 month names")
                .with_hint("months = [\"January\", …, \"December\"]"),
        ),
        Err(e) => diags.push(
            Diagnostic::error(&rel, None, format!("UI strings: {}", e.message().trim()))
                .with_hint("every value is a string; `months` a list of 12; `kind` a table"),
        ),
    }
    strings
}

/// A relation type's label seen from its subject and from its target.
pub fn relation_labels(kind: &str, language: &str) -> (String, String) {
    let vi = is_vi(language);
    let (f, i) = match (kind, vi) {
        ("parent_of", true) => ("Công ty mẹ của", "Công ty con của"),
        ("parent_of", false) => ("Parent company of", "Subsidiary of"),
        ("ceo_of", true) => ("CEO của", "CEO"),
        ("ceo_of", false) => ("CEO of", "CEO"),
        ("maker_of", true) => ("Nhà phát triển", "Được phát triển bởi"),
        ("maker_of", false) => ("Maker of", "Made by"),
        ("founder_of", true) => ("Người sáng lập", "Được sáng lập bởi"),
        ("founder_of", false) => ("Founder of", "Founded by"),
        ("researcher_at", true) => ("Nhà nghiên cứu tại", "Nhà nghiên cứu"),
        ("researcher_at", false) => ("Researcher at", "Researcher"),
        ("manufactures_for", true) => ("Sản xuất chip cho", "Chip được sản xuất bởi"),
        ("manufactures_for", false) => ("Manufactures for", "Manufactured by"),
        ("located_in", true) => ("Trụ sở / vị trí tại", "Nơi có"),
        ("located_in", false) => ("Located in", "Location of"),
        ("member_of", true) => ("Thành viên của", "Thành viên"),
        ("member_of", false) => ("Member of", "Member"),
        ("part_of", true) => ("Thuộc", "Bao gồm"),
        ("part_of", false) => ("Part of", "Includes"),
        ("competitor_of", true) => ("Đối thủ của", "Đối thủ của"),
        ("competitor_of", false) => ("Competitor of", "Competitor of"),
        _ => {
            let words = kind.replace('_', " ");
            return (words.clone(), format!("← {words}"));
        }
    };
    (f.to_string(), i.to_string())
}

/// Relation types with built-in labels; others are shown by their name.
pub const KNOWN_RELATIONS: &[&str] = &[
    "parent_of",
    "ceo_of",
    "maker_of",
    "founder_of",
    "researcher_at",
    "manufactures_for",
    "located_in",
    "member_of",
    "part_of",
    "competitor_of",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_language() {
        assert_eq!(Strings::builtin("vi").format_date("2026-11-08"), "08/11/2026");
        assert_eq!(
            Strings::builtin("en").format_date("2026-11-08T10:00:00Z"),
            "8 November 2026"
        );
        let odd = Strings {
            date_format: "{y}{m}{d} {x} {day}{{month}} {".into(),
            ..Strings::builtin("vi")
        };
        assert_eq!(
            odd.format_date("2026-03-05"),
            "20260305 {x} 5{tháng 3} {",
            "unknown fields stay"
        );
        assert_eq!(odd.format_date("bad"), "bad");
    }

    #[test]
    fn months_and_years_follow_the_language() {
        let (vi, en) = (Strings::builtin("vi"), Strings::builtin("en"));
        assert_eq!(vi.format_month(2026, 11), "tháng 11 năm 2026");
        assert_eq!(en.format_month(2026, 11), "November 2026");
        assert_eq!(vi.format_year(2026), "Năm 2026");
        assert_eq!(en.format_year(987), "0987");
    }

    #[test]
    fn a_language_file_adds_a_language_and_reports_typos() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("i18n")).unwrap();
        std::fs::write(
            dir.path().join("i18n/fr.toml"),
            "home = \"Accueil\"\ndate_format = \"{day} {month} {y}\"\nmonths = [\"janvier\", \"février\", \"mars\", \"avril\", \"mai\", \"juin\", \"juillet\", \"août\", \"septembre\", \"octobre\", \"novembre\", \"décembre\"]\n[kind]\nperson = \"Personnes\"\n",
        )
        .unwrap();
        let (mut d, mut s) = (Diagnostics::default(), Sources::default());
        let fr = load(dir.path(), "fr", &mut d, &mut s);
        assert!(d.is_empty(), "{}", d.render(&s, false));
        assert_eq!(fr.home, "Accueil");
        assert_eq!(fr.kind.person, "Personnes");
        assert_eq!(fr.kind.place, "Places", "unset keys keep the English default");
        assert_eq!(fr.format_date("2026-02-01"), "1 février 2026");
        std::fs::write(dir.path().join("i18n/fr.toml"), "hme = \"Accueil\"\n").unwrap();
        let _ = load(dir.path(), "fr", &mut d, &mut s);
        assert!(d.render(&s, false).contains("did you mean `home`?"));
        assert_eq!(d.error_count(), 1, "reported once: {}", d.render(&s, false));
    }
}
