//! Stage 4, the views of time: an entity's timeline (chart, counts table,
//! or the date line of a one-article entity), its mentions and quotes
//! grouped by period, the home page's "in the news", and the date
//! archive's pages. The periods come from [`crate::site::time`]; the chart
//! is drawn by [`super::timeline`].

use serde::Serialize;

use super::context::PageContext;
use super::timeline::{self, Bar};
use super::views::{EntityItem, QuoteCard, Views};
use super::{Page, paginator};
use crate::site::time::{self as st, Period, Step, Timeline};

/// A period's count, for the timeline's table.
#[derive(Serialize)]
pub struct PeriodCount {
    pub label: String,
    pub count: usize,
    /// Its part of the mention list (`#t-2026-11`, or the URL of the page
    /// of the list it starts on, then `#t-2026-11`).
    pub url: String,
}

/// What an entity page shows of its mentions over time.
#[derive(Serialize, Default)]
pub struct TimelineView {
    /// The chart, inline SVG; empty when there is none (no dated
    /// mention, or one article: see `single`).
    pub svg: String,
    /// What the chart shows ("Mentions per month"), its accessible name.
    pub title: String,
    /// Every period with a mention, oldest first (the chart's text
    /// alternative).
    pub periods: Vec<PeriodCount>,
    /// For an entity named in one dated article: the date line instead of
    /// a chart ("Mentioned on 28 November 2026"), `single_date` its ISO day
    /// and `single_url` its part of the mention list.
    pub single: String,
    pub single_date: String,
    pub single_url: String,
}

/// A run of the mention list in one period: `mention_groups[start..end]`.
/// The last run has an empty `id` and `label` when it holds the undated
/// articles.
#[derive(Serialize)]
pub struct MentionPeriod {
    /// The heading's element id (`t-2026-11`, `t-2026`), which the
    /// timeline's bars link to.
    pub id: String,
    pub label: String,
    /// Mentions in the period.
    pub count: usize,
    pub start: usize,
    pub end: usize,
}

/// A period's heading in the mention list, on its first group.
#[derive(Serialize)]
pub struct PeriodHead {
    pub id: String,
    pub label: String,
    pub count: usize,
}

/// The runs of `periods` (over the whole mention list) within the groups
/// `on_page` of it, as runs of that page's groups: a run cut by the page's
/// start or end keeps its id, label and whole count.
pub fn periods_on_page(periods: Vec<MentionPeriod>, on_page: std::ops::Range<usize>) -> Vec<MentionPeriod> {
    periods
        .into_iter()
        .filter(|p| p.start < on_page.end && on_page.start < p.end)
        .map(|p| MentionPeriod {
            start: p.start.max(on_page.start) - on_page.start,
            end: p.end.min(on_page.end) - on_page.start,
            ..p
        })
        .collect()
}

/// Puts each dated period's heading on its first mention group and marks
/// its groups, so a template draws the periods in one pass over
/// `mention_groups` (slicing the list per period would copy it).
pub fn mark_periods(groups: &mut [super::views::MentionGroup], periods: &[MentionPeriod]) {
    for p in periods.iter().filter(|p| !p.id.is_empty()) {
        groups[p.start].period = Some(PeriodHead {
            id: p.id.clone(),
            label: p.label.clone(),
            count: p.count,
        });
        for g in &mut groups[p.start..p.end] {
            g.in_period = true;
        }
        groups[p.end - 1].period_end = true;
    }
}

/// A quote on an entity's page: said by it, or about it.
#[derive(Serialize)]
pub struct EntityQuote<'a> {
    #[serde(flatten)]
    pub card: QuoteCard<'a>,
    pub said: bool,
}

/// An entity's quotes in one period (the undated last, with an empty `id`
/// and `label`).
#[derive(Serialize)]
pub struct QuotePeriod<'a> {
    /// `tq-2026-11`.
    pub id: String,
    pub label: String,
    pub quotes: Vec<EntityQuote<'a>>,
}

/// The name of a period in the site's language.
pub fn period_label(v: &Views, p: Period) -> String {
    match p.month {
        0 => v.t.format_year(p.year),
        m => v.t.format_month(p.year, m),
    }
}

/// The chart's title: "Mentions per month" or "per year".
fn chart_title(v: &Views, tl: &Timeline) -> String {
    match tl.step {
        Step::Month => v.t.per_month.clone(),
        Step::Year => v.t.per_year.clone(),
    }
}

/// A bar's tick: the year under the first bar and every January (or every
/// year, thinned to about twelve labels); with at most twelve months, the
/// month number under each.
fn tick(tl: &Timeline, i: usize) -> String {
    let (p, n) = (tl.bars[i].0, tl.bars.len());
    match tl.step {
        Step::Month if i == 0 || p.month == 1 => format!("{:02}/{:04}", p.month, p.year),
        Step::Month if n <= 12 => format!("{:02}", p.month),
        Step::Month => String::new(),
        Step::Year if i.is_multiple_of(n.div_ceil(12)) => format!("{:04}", p.year),
        Step::Year => String::new(),
    }
}

/// The chart's bars; `href` (given a period's element id, `t-2026-11`) the
/// link of each, none when not given.
fn bars(v: &Views, tl: &Timeline, href: Option<&dyn Fn(&str) -> String>) -> Vec<Bar> {
    (0..tl.bars.len())
        .map(|i| {
            let (p, count) = tl.bars[i];
            Bar {
                label: period_label(v, p),
                tick: tick(tl, i),
                count,
                href: href.map(|h| h(&format!("t-{}", p.key()))).unwrap_or_default(),
            }
        })
        .collect()
}

/// Entity `e`'s timeline view (see [`TimelineView`]); `href` gives the link
/// to a period of the mention list from its element id (`t-2026-11`): on
/// this page, `#t-2026-11`, else on the page of the list it starts on.
pub fn timeline_view(v: &Views, e: usize, tl: &Timeline, href: impl Fn(&str) -> String) -> TimelineView {
    if tl.bars.is_empty() {
        return TimelineView::default();
    }
    let title = chart_title(v, tl);
    let periods = tl
        .bars
        .iter()
        .filter(|b| b.1 > 0)
        .map(|&(p, count)| PeriodCount {
            label: period_label(v, p),
            count,
            url: href(&format!("t-{}", p.key())),
        })
        .collect();
    if tl.articles == 1 {
        // (its one dated article: the first with a date among its mentions)
        let site = v.site;
        let date = site.entities[e]
            .mentions
            .iter()
            .find_map(|&(a, _)| site.articles[a].src.date.as_deref())
            .unwrap_or_default();
        return TimelineView {
            single: v.t.mentioned_on.replace("{date}", &v.t.format_date(date)),
            single_date: date.get(..10).unwrap_or(date).to_string(),
            single_url: href(&format!("t-{}", tl.bars[0].0.key())),
            title,
            periods,
            svg: String::new(),
        };
    }
    let options = timeline::Options {
        title: title.clone(),
        id: "timeline".into(),
        unit: v.t.mention_count.clone(),
        compact: false,
    };
    TimelineView {
        svg: timeline::svg(&bars(v, tl, Some(&href)), &options),
        title,
        periods,
        ..Default::default()
    }
}

/// The runs of the mention list (`groups`: each mention group's article,
/// newest first, and its mention count) in each period of the timeline.
pub fn mention_periods(v: &Views, tl: &Timeline, groups: &[(usize, usize)]) -> Vec<MentionPeriod> {
    let mut out: Vec<(Option<Period>, MentionPeriod)> = Vec::new();
    for (gi, &(a, count)) in groups.iter().enumerate() {
        let p = tl.period_of(v.site, a);
        match out.last_mut() {
            Some((last, run)) if *last == p => {
                run.end = gi + 1;
                run.count += count;
            }
            _ => out.push((
                p,
                MentionPeriod {
                    id: p.map(|p| format!("t-{}", p.key())).unwrap_or_default(),
                    label: p.map(|p| period_label(v, p)).unwrap_or_default(),
                    count,
                    start: gi,
                    end: gi + 1,
                },
            )),
        }
    }
    out.into_iter().map(|r| r.1).collect()
}

/// Entity `e`'s quotes (said by it, about it) by period, newest first, those
/// of the periods `keep` keeps (`None`: the undated); `made` gives the card of
/// a quote whose card was made already.
pub fn quote_periods<'a>(
    v: &Views<'a>,
    e: usize,
    tl: &Timeline,
    keep: impl Fn(Option<Period>) -> bool,
    made: impl Fn(usize) -> Option<QuoteCard<'a>>,
) -> Vec<QuotePeriod<'a>> {
    let mut out: Vec<(Option<Period>, QuotePeriod)> = Vec::new();
    for (q, said) in st::quotes_of(v.site, e) {
        let p = tl.period_of(v.site, v.site.quotes[q].article);
        if !keep(p) {
            continue;
        }
        let quote = EntityQuote {
            card: made(q).unwrap_or_else(|| v.quote_card(q)),
            said,
        };
        match out.last_mut() {
            Some((last, run)) if *last == p => run.quotes.push(quote),
            _ => out.push((
                p,
                QuotePeriod {
                    id: p.map(|p| format!("tq-{}", p.key())).unwrap_or_default(),
                    label: p.map(|p| period_label(v, p)).unwrap_or_default(),
                    quotes: vec![quote],
                },
            )),
        }
    }
    out.into_iter().map(|r| r.1).collect()
}

/// The period of the oldest mention group on each page of an entity's
/// mention `groups` (`None`: undated), for [`quote_page`].
pub fn oldest_on_pages(v: &Views, tl: &Timeline, groups: &[(usize, usize)]) -> Vec<Option<Period>> {
    (0..v.site.config.pages_for(groups.len()))
        .filter_map(|k| {
            let on = v.site.config.page_range(groups.len(), k);
            let &(a, _) = groups.get(on.end.checked_sub(1)?)?;
            Some(tl.period_of(v.site, a))
        })
        .collect()
}

/// The page of an entity's mention list a period's quotes go on, given the
/// period of each page's oldest mention group (`None`: undated, older than
/// any date): the first page whose mentions reach back to the period, so
/// its quotes sit beside the mentions of their time; quotes older than every
/// mention go on the last page, and with no mentions on the first.
pub fn quote_page(oldest: &[Option<Period>], p: Option<Period>) -> usize {
    oldest
        .iter()
        .position(|&o| o <= p)
        .unwrap_or(oldest.len().saturating_sub(1))
}

/// An entity in the news: its link, its mentions in the window and its
/// small timeline.
#[derive(Serialize)]
pub struct NewsItem<'a> {
    #[serde(flatten)]
    pub entity: EntityItem<'a>,
    /// Mentions in the window's articles.
    pub mentions: usize,
    /// The compact timeline, inline SVG.
    pub svg: String,
}

/// The home page's "in the news".
#[derive(Serialize, Default)]
pub struct NewsView<'a> {
    /// What the window is ("Most mentioned in the articles of the 30 days
    /// up to 28 November 2026").
    pub window: String,
    pub entities: Vec<NewsItem<'a>>,
}

/// The entities in the news (see [`st::in_the_news`]).
pub fn news<'a>(v: &Views<'a>) -> NewsView<'a> {
    let news = st::in_the_news(v.site);
    if news.entities.is_empty() {
        return NewsView::default();
    }
    let date = |a: usize| {
        v.t.format_date(v.site.articles[a].src.date.as_deref().unwrap_or_default())
    };
    let window =
        v.t.in_the_news_window
            .replace("{days}", &st::NEWS_WINDOW_DAYS.to_string())
            .replace("{to}", &date(0));
    let entities = news
        .entities
        .iter()
        .map(|&(e, count)| {
            let item = v.entity_ref(e);
            let tl = st::timeline(v.site, e);
            let options = timeline::Options {
                title: format!("{}: {}", item.name, chart_title(v, &tl).to_lowercase()),
                id: format!("news-{}", item.id),
                unit: v.t.mention_count.clone(),
                compact: true,
            };
            NewsItem {
                svg: timeline::svg(&bars(v, &tl, None), &options),
                entity: item,
                mentions: count,
            }
        })
        .collect();
    NewsView { window, entities }
}

/// A link to an archive page, with how many articles it lists.
#[derive(Serialize, Clone)]
pub struct ArchiveLink {
    pub label: String,
    pub url: String,
    pub count: usize,
}

/// A year of the archive's index, with its months.
#[derive(Serialize)]
pub struct ArchiveYear {
    #[serde(flatten)]
    pub link: ArchiveLink,
    pub months: Vec<ArchiveLink>,
}

fn archive_link(v: &Views, p: Period, count: usize) -> ArchiveLink {
    ArchiveLink {
        label: period_label(v, p),
        url: v.urls.archive_period(p.year, p.month),
        count,
    }
}

/// The archive's years (newest first), each with its months.
pub fn archive_years(v: &Views) -> Vec<ArchiveYear> {
    let mut years: Vec<ArchiveYear> = Vec::new();
    for m in st::archive(v.site) {
        let (year, count) = (m.period.whole_year(), m.articles.len());
        let month = archive_link(v, m.period, count);
        match years.last_mut() {
            Some(y) if y.link.url == v.urls.archive_period(year.year, 0) => {
                y.link.count += count;
                y.months.push(month);
            }
            _ => years.push(ArchiveYear {
                link: archive_link(v, year, count),
                months: vec![month],
            }),
        }
    }
    years
}

/// What an archive page (a year's or a month's) shows besides its articles.
#[derive(Serialize)]
pub struct ArchivePeriodView {
    #[serde(flatten)]
    pub link: ArchiveLink,
    /// `year` or `month`.
    pub kind: &'static str,
    /// The year (a month's page links up to it).
    pub year: ArchiveLink,
    /// A year's page: its months, newest first.
    pub months: Vec<ArchiveLink>,
    /// The next period with articles, and the previous one.
    pub newer: Option<ArchiveLink>,
    pub older: Option<ArchiveLink>,
}

/// The link to the archive page of article `a`'s month (or year), when
/// there is such an article and it is dated.
fn link_of(v: &Views, a: usize, year: bool) -> Option<ArchiveLink> {
    if a >= v.site.articles.len() {
        return None;
    }
    let p = st::month_of(v.site, a)?;
    let p = if year { p.whole_year() } else { p };
    Some(archive_link(v, p, st::articles_in(v.site, p).len()))
}

/// Fills the view of archive page `page` of period `p` (a month, or a year
/// with month 0). Everything is found by binary search in the site's
/// (date-sorted) articles: an archive page is one of hundreds, and a pass
/// over every article for each would cost more than the page.
pub fn archive_page(v: &Views, ctx: &mut PageContext, p: Period, page: usize) {
    let site = v.site;
    let range = st::articles_in(site, p);
    let year = st::articles_in(site, p.whole_year());
    let mut months = Vec::new();
    let mut a = year.start;
    while p.month == 0 && a < year.end {
        let Some(link) = link_of(v, a, false) else { break };
        a += link.count;
        months.push(link);
    }
    let on_page = site.config.page_range(range.len(), page);
    let items: Vec<_> = (range.start + on_page.start..range.start + on_page.end)
        .map(|a| v.article_item(a))
        .collect();
    let view = ArchivePeriodView {
        link: archive_link(v, p, range.len()),
        kind: if p.month == 0 { "year" } else { "month" },
        year: archive_link(v, p.whole_year(), year.len()),
        months,
        newer: range.start.checked_sub(1).and_then(|a| link_of(v, a, p.month == 0)),
        older: link_of(v, range.end, p.month == 0),
    };
    ctx.insert("period", &view);
    ctx.insert("articles", &items);
    let (y, m) = (p.year, p.month);
    ctx.insert(
        "paginator",
        &paginator(site, page, range.len(), |k| Page::Archive(y, m, k)),
    );
}
