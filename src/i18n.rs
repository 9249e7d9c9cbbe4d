//! UI strings in the site's language (`vi` and `en`), relation labels in both
//! directions, and date formatting. Templates get the strings as `t`.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Strings {
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
    pub kind: Kinds,
}

#[derive(Debug, Clone, Serialize)]
pub struct Kinds {
    pub person: &'static str,
    pub organization: &'static str,
    pub place: &'static str,
    pub product: &'static str,
    pub concept: &'static str,
    pub event: &'static str,
    pub work: &'static str,
}

impl Kinds {
    pub fn label(&self, kind: crate::content::EntityKind) -> &'static str {
        use crate::content::EntityKind::*;
        match kind {
            Person => self.person,
            Organization => self.organization,
            Place => self.place,
            Product => self.product,
            Concept => self.concept,
            Event => self.event,
            Work => self.work,
        }
    }
}

const VI: Strings = Strings {
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
    kind: Kinds {
        person: "Nhân vật",
        organization: "Tổ chức",
        place: "Địa danh",
        product: "Sản phẩm",
        concept: "Khái niệm",
        event: "Sự kiện",
        work: "Tác phẩm",
    },
};

const EN: Strings = Strings {
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
    kind: Kinds {
        person: "People",
        organization: "Organisations",
        place: "Places",
        product: "Products",
        concept: "Concepts",
        event: "Events",
        work: "Works",
    },
};

/// The strings for a language tag (`vi`, `en`, `vi-VN`…); English otherwise.
pub fn strings(language: &str) -> &'static Strings {
    if language
        .split(['-', '_'])
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("vi"))
    {
        &VI
    } else {
        &EN
    }
}

fn is_vi(language: &str) -> bool {
    std::ptr::eq(strings(language), &VI)
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

/// `2026-11-28` → `28/11/2026` (vi) or `28 November 2026` (en).
pub fn format_date(date: &str, language: &str) -> String {
    let (Some(y), Some(m), Some(d)) = (date.get(0..4), date.get(5..7), date.get(8..10)) else {
        return date.to_string();
    };
    if is_vi(language) {
        return format!("{d}/{m}/{y}");
    }
    const MONTHS: [&str; 12] = [
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
    ];
    let mi: usize = m.parse().unwrap_or(1);
    let di: u32 = d.parse().unwrap_or(1);
    format!("{di} {} {y}", MONTHS[mi.clamp(1, 12) - 1])
}
