//! Stage 3, time in the site graph: the month each dated article falls in,
//! the date archive (articles by year and month), an entity's timeline (its
//! mentions per month or per year), the quotes said by or about an entity,
//! and the entities in the news (the most mentioned in the newest
//! articles). Plain data read off the graph on demand — nothing here is
//! stored in [`Site`], so an edit in place ([`super::patch`]) has nothing to
//! keep in step; the renderer draws it and `render::deps` hashes it.
//!
//! Dates are taken as written: `2026-11-01T01:00:00+07:00` is in November,
//! the month its author wrote. Undated articles are in no period: no
//! timeline counts them and no archive page lists them.

use std::collections::BTreeMap;
use std::ops::Range;

use super::Site;

/// A month of a year (`month` 1–12), or a whole year (`month` 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: u16,
    pub month: u8,
}

impl Period {
    /// The month of a date (`YYYY-MM-…`); `None` for anything else.
    pub fn of(date: &str) -> Option<Period> {
        let year = date.get(0..4)?.parse().ok()?;
        let month = date.get(5..7)?.parse().ok().filter(|m| (1..=12).contains(m))?;
        Some(Period { year, month })
    }

    /// The year this period is in, as a period.
    pub fn whole_year(self) -> Period {
        Period { month: 0, ..self }
    }

    /// `2026-11` for a month, `2026` for a year: what element ids and
    /// archive URLs are made of.
    pub fn key(self) -> String {
        match self.month {
            0 => format!("{:04}", self.year),
            m => format!("{:04}-{m:02}", self.year),
        }
    }

    /// Months since year 0, for spans.
    fn ordinal(self) -> i64 {
        self.year as i64 * 12 + self.month.max(1) as i64 - 1
    }

    /// The period after this one, of the same length.
    fn next(self) -> Period {
        match self.month {
            0 => Period {
                year: self.year + 1,
                month: 0,
            },
            12 => Period {
                year: self.year + 1,
                month: 1,
            },
            m => Period { month: m + 1, ..self },
        }
    }
}

/// How long a timeline's bars are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Month,
    Year,
}

/// A timeline has a bar per month when an entity's mentions span at most
/// this many months (three years), else a bar per year: at most 36 bars
/// of months, and a decade of mentions reads as ten years, not 120 slivers.
pub const MONTHS_AT_MOST: i64 = 36;

/// An entity's mentions over time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timeline {
    pub step: Step,
    /// Every period from the first mention's to the last's, oldest first,
    /// with its mention count (0 for a period with none: time stays
    /// linear).
    pub bars: Vec<(Period, usize)>,
    /// The dated articles mentioning the entity.
    pub articles: usize,
}

impl Timeline {
    /// The period of a date on this timeline (its month or its year).
    pub fn period(&self, date: &str) -> Option<Period> {
        let p = Period::of(date)?;
        Some(match self.step {
            Step::Month => p,
            Step::Year => p.whole_year(),
        })
    }

    /// The period of article `a` on this timeline, `None` when undated.
    pub fn period_of(&self, site: &Site, a: usize) -> Option<Period> {
        self.period(site.articles[a].src.date.as_deref()?)
    }

    /// Mentions counted in all (those in dated articles).
    pub fn total(&self) -> usize {
        self.bars.iter().map(|b| b.1).sum()
    }
}

/// The period of article `a` (its month), `None` when undated.
pub fn month_of(site: &Site, a: usize) -> Option<Period> {
    Period::of(site.articles[a].src.date.as_deref()?)
}

/// Entity `e`'s timeline: its mentions in dated articles per month, or
/// per year when they span more than [`MONTHS_AT_MOST`] months.
pub fn timeline(site: &Site, e: usize) -> Timeline {
    let mut per_month: BTreeMap<Period, usize> = BTreeMap::new();
    let mut articles = 0;
    let mut last = usize::MAX;
    for &(a, _) in &site.entities[e].mentions {
        let Some(p) = month_of(site, a) else { continue };
        *per_month.entry(p).or_default() += 1;
        if a != last {
            articles += 1;
            last = a;
        }
    }
    let (Some(&first), Some(&end)) = (per_month.keys().next(), per_month.keys().next_back()) else {
        return Timeline {
            step: Step::Month,
            bars: Vec::new(),
            articles: 0,
        };
    };
    let step = match end.ordinal() - first.ordinal() < MONTHS_AT_MOST {
        true => Step::Month,
        false => Step::Year,
    };
    let counts: BTreeMap<Period, usize> = match step {
        Step::Month => per_month,
        Step::Year => per_month.into_iter().fold(BTreeMap::new(), |mut m, (p, n)| {
            *m.entry(p.whole_year()).or_default() += n;
            m
        }),
    };
    let (first, end) = match step {
        Step::Month => (first, end),
        Step::Year => (first.whole_year(), end.whole_year()),
    };
    let mut bars = Vec::new();
    let mut p = first;
    while p <= end {
        bars.push((p, counts.get(&p).copied().unwrap_or(0)));
        p = p.next();
    }
    Timeline { step, bars, articles }
}

/// A month of the archive: its articles, a range of the site's (newest
/// first) order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArchiveMonth {
    pub period: Period,
    pub articles: Range<usize>,
}

/// Every month with an article, newest first.
pub fn archive(site: &Site) -> Vec<ArchiveMonth> {
    let mut months: Vec<ArchiveMonth> = Vec::new();
    for a in 0..site.articles.len() {
        // (dated articles come first, so the first undated one ends it)
        let Some(p) = month_of(site, a) else { break };
        match months.last_mut() {
            Some(m) if m.period == p => m.articles.end = a + 1,
            _ => months.push(ArchiveMonth {
                period: p,
                articles: a..a + 1,
            }),
        }
    }
    months
}

/// The articles of a period (a month, or a year with `month` 0), a range
/// of the site's order: dated articles are sorted by their date's text,
/// newest first, so a period's are contiguous.
pub fn articles_in(site: &Site, p: Period) -> Range<usize> {
    let key = p.key();
    let of = |i: usize| -> &str {
        let date = site.articles[i].src.date.as_deref().unwrap_or("");
        date.get(..key.len()).unwrap_or("")
    };
    let n = site.articles.len();
    let start = partition(n, |i| of(i) > key.as_str());
    let end = partition(n, |i| of(i) >= key.as_str());
    start..end.max(start)
}

/// The first index in `0..n` where `pred` is false (`pred` true then false).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Whether a quote spanning `quote` holds a mention spanning `mention`
/// (both in its article's text): the quote is "about" the mention's entity.
fn holds(quote: &Range<usize>, mention: &Range<usize>) -> bool {
    quote.start <= mention.start && mention.end <= quote.end
}

/// The quotes of article `a` holding a mention: calls `found(entity,
/// quote)` once per entity a quote mentions (its speaker's own name
/// included), quotes in text order.
fn quotes_mentioning(site: &Site, a: usize, found: &mut impl FnMut(usize, usize)) {
    let art = &site.articles[a];
    for &q in &art.quotes {
        let range = &site.quotes[q].range;
        let mut seen: Vec<usize> = Vec::new();
        for m in &art.mentions {
            if holds(range, &m.range) && !seen.contains(&m.entity) {
                seen.push(m.entity);
                found(m.entity, q);
            }
        }
    }
}

/// Entity `e`'s quotes over time: those it said and those about it (a
/// quote holding one of its mentions), in the site's order (newest article
/// first, then text order), each with whether `e` said it.
///
/// (Found through `e`'s own mentions, each against its article's quotes —
/// not every mention of every article naming `e`, eighteen times the work
/// at 10,000 articles, where this was the largest function of a build
/// after one edit.)
pub fn quotes_of(site: &Site, e: usize) -> Vec<(usize, bool)> {
    let node = &site.entities[e];
    let mut v: Vec<(usize, bool)> = node.quotes.iter().map(|&q| (q, true)).collect();
    for &(a, mi) in &node.mentions {
        let article = &site.articles[a];
        let m = &article.mentions[mi].range;
        for &q in &article.quotes {
            let quote = &site.quotes[q];
            if holds(&quote.range, m) && quote.speaker != e {
                v.push((q, false));
            }
        }
    }
    v.sort_unstable();
    v.dedup_by_key(|x| x.0);
    v
}

/// [`quotes_of`] for every entity at once (one pass over the articles).
pub fn quotes_of_all(site: &Site) -> Vec<Vec<(usize, bool)>> {
    let mut all: Vec<Vec<(usize, bool)>> = site
        .entities
        .iter()
        .map(|n| n.quotes.iter().map(|&q| (q, true)).collect())
        .collect();
    for a in 0..site.articles.len() {
        quotes_mentioning(site, a, &mut |entity, q| {
            if site.quotes[q].speaker != entity {
                all[entity].push((q, false));
            }
        });
    }
    for v in &mut all {
        v.sort_unstable();
        v.dedup_by_key(|x| x.0);
    }
    all
}

/// The window of "in the news": the articles dated in the
/// [`NEWS_WINDOW_DAYS`] days up to the newest article's day — relative to
/// the content, never to the clock, so a build is the same on any day.
pub const NEWS_WINDOW_DAYS: i64 = 30;

/// How many entities "in the news" shows.
pub const NEWS_ENTITIES: usize = 8;

/// The entities in the news: the most mentioned in the window's articles.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct News {
    /// The window's articles (the first of the site's order).
    pub articles: Range<usize>,
    /// (entity, mentions in the window), most first (then by id), at most
    /// [`NEWS_ENTITIES`].
    pub entities: Vec<(usize, usize)>,
}

/// Days since 1970-01-01 of a `YYYY-MM-DD…` date (H. Hinnant's
/// `days_from_civil`).
pub fn days(date: &str) -> Option<i64> {
    let y: i64 = date.get(0..4)?.parse().ok()?;
    let m: i64 = date.get(5..7)?.parse().ok()?;
    let d: i64 = date.get(8..10)?.parse().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The entities in the news (see [`NEWS_WINDOW_DAYS`]); none when no
/// article is dated.
pub fn in_the_news(site: &Site) -> News {
    let day = |a: usize| site.articles[a].src.date.as_deref().and_then(days);
    let Some(newest) = (!site.articles.is_empty()).then(|| day(0)).flatten() else {
        return News {
            articles: 0..0,
            entities: Vec::new(),
        };
    };
    let end = partition(site.articles.len(), |a| {
        day(a).is_some_and(|d| d > newest - NEWS_WINDOW_DAYS)
    });
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for a in 0..end {
        for &(e, n) in &site.articles[a].entities {
            *counts.entry(e).or_default() += n;
        }
    }
    let mut entities: Vec<(usize, usize)> = counts.into_iter().collect();
    // (entities are sorted by id: ties keep that order)
    entities.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    entities.truncate(NEWS_ENTITIES);
    News {
        articles: 0..end,
        entities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_days() {
        let p = Period::of("2026-11-28T08:00:00+07:00").unwrap();
        assert_eq!((p.year, p.month, p.key()), (2026, 11, "2026-11".to_string()));
        assert_eq!(p.whole_year().key(), "2026");
        assert_eq!(Period::of("2026-12-01").unwrap().next().key(), "2027-01");
        assert_eq!(Period::of("2026-13-01"), None);
        assert_eq!(days("1970-01-01"), Some(0));
        assert_eq!(days("2026-03-01").unwrap() - days("2026-02-28").unwrap(), 1);
        assert_eq!(days("2024-03-01").unwrap() - days("2024-02-28").unwrap(), 2);
    }
}
