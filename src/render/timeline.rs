//! The timeline chart: bars of counts per period drawn at build time as an
//! inline `<svg>` (no script, no library), like the entity graph. This
//! module knows nothing of the site graph: the caller hands it [`Bar`]s,
//! oldest first, and gets markup back.
//!
//! **Two sizes.** The full chart (entity pages) has a value axis, year
//! labels and a link per bar to that period's part of the page; the
//! compact one (`Options::compact`, the home page's "in the news") is a
//! sparkline with neither labels nor links.
//!
//! **Accessibility.** The full chart is `role="group"` labelled by its
//! `<title>`, each bar a link named by its own `<title>` ("November 2026:
//! 3 mentions"); the page gives the counts as a table too. The compact one
//! is `role="img"` with a `<title>` saying what it shows.
//!
//! **Styling.** Bars are `currentColor` and text `currentColor` at reduced
//! opacity, so the chart follows the page's colours in dark mode and in
//! print; `static/style.css` sets the colour (`.timeline-chart`) and the
//! focus ring. Every number is written with one decimal: same input, same
//! bytes.
//!
//! Stage 4 of the pipeline: rendering.

use std::fmt::Write as _;

use crate::text::escape_html;

/// One bar: a period and its count.
pub struct Bar {
    /// The period's name, for the bar's `<title>` ("tháng 11 năm 2026").
    pub label: String,
    /// A short label under the bar (a year), or empty.
    pub tick: String,
    pub count: usize,
    /// Where the bar links to (`#t-2026-11`); empty: not a link.
    pub href: String,
}

pub struct Options {
    /// The chart's accessible name.
    pub title: String,
    /// Its element id (the title's is `ID-title`).
    pub id: String,
    /// What a count counts, after the number in a bar's title ("mentions").
    pub unit: String,
    /// A sparkline: no axis, no labels, no links.
    pub compact: bool,
}

/// The chart as one inline `<svg>` element.
pub fn svg(bars: &[Bar], o: &Options) -> String {
    let (w, h) = if o.compact { (160.0, 36.0) } else { (640.0, 150.0) };
    // the plot area: room for the value label left, the ticks below
    let (left, top, bottom) = if o.compact { (0.0, 2.0, 2.0) } else { (28.0, 12.0, 22.0) };
    let (plot_w, plot_h) = (w - left, h - top - bottom);
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let slot = plot_w / bars.len().max(1) as f64;
    let bar_w = (slot * 0.8).min(48.0);
    let base = h - bottom;
    let id = escape_html(&o.id);
    let mut s = String::with_capacity(256 + bars.len() * 160);
    let role = if o.compact { "img" } else { "group" };
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline-chart{}\" id=\"{id}\" viewBox=\"0 0 {w:.1} {h:.1}\" \
         width=\"{w:.1}\" height=\"{h:.1}\" role=\"{role}\" aria-labelledby=\"{id}-title\">\n\
         <title id=\"{id}-title\">{}</title>\n",
        if o.compact { " compact" } else { "" },
        escape_html(&o.title),
    );
    let _ = writeln!(
        s,
        "<line class=\"axis\" x1=\"{left:.1}\" y1=\"{base:.1}\" x2=\"{w:.1}\" y2=\"{base:.1}\" stroke=\"currentColor\" stroke-opacity=\"0.4\"/>"
    );
    // Bars first, then the labels in one group carrying what they share.
    let xs: Vec<f64> = (0..bars.len())
        .map(|i| left + slot * i as f64 + (slot - bar_w) / 2.0)
        .collect();
    s.push_str("<g class=\"bars\" fill=\"currentColor\">\n");
    for (b, &x) in bars.iter().zip(&xs) {
        bar(&mut s, b, x, bar_w, base, plot_h * b.count as f64 / max, o);
    }
    s.push_str("</g>\n");
    if !o.compact {
        let _ = writeln!(
            s,
            "<g class=\"labels\" font-size=\"11\" fill=\"currentColor\" fill-opacity=\"0.75\" text-anchor=\"middle\">\n\
             <text class=\"max\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 4.0,
            top + 8.0,
            max as usize
        );
        for (b, &x) in bars.iter().zip(&xs) {
            if !b.tick.is_empty() {
                let _ = writeln!(
                    s,
                    "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    x + bar_w / 2.0,
                    h - 6.0,
                    escape_html(&b.tick)
                );
            }
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>");
    s
}

/// One bar (nothing for a count of 0), a link when it has one.
fn bar(s: &mut String, b: &Bar, x: f64, bar_w: f64, base: f64, height: f64, o: &Options) {
    if b.count == 0 {
        return;
    }
    // (at least 2 units high, so a count of 1 among hundreds still shows)
    let height = height.max(2.0);
    let rect = format!(
        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{height:.1}\"/>",
        base - height
    );
    let title = format!("{}: {} {}", b.label, b.count, o.unit);
    if o.compact || b.href.is_empty() {
        let _ = writeln!(s, "<g class=\"bar\">{rect}</g>");
        return;
    }
    let _ = writeln!(
        s,
        "<a class=\"bar\" href=\"{}\"><title>{}</title>{rect}</a>",
        escape_html(&b.href),
        escape_html(&title)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(counts: &[usize]) -> Vec<Bar> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &count)| Bar {
                label: format!("P{i}"),
                tick: if i == 0 { "2026".into() } else { String::new() },
                count,
                href: format!("#t-{i}"),
            })
            .collect()
    }

    fn options(compact: bool) -> Options {
        Options {
            title: "Mentions <per> month".into(),
            id: "timeline".into(),
            unit: "mentions".into(),
            compact,
        }
    }

    #[test]
    fn a_linked_bar_per_nonzero_count_and_escaped_text() {
        let s = svg(&bars(&[3, 0, 1]), &options(false));
        assert_eq!(s.matches("<a class=\"bar\"").count(), 2);
        assert!(s.contains("href=\"#t-0\"><title>P0: 3 mentions</title>"));
        assert!(!s.contains("#t-1"), "no bar for a period without mentions");
        assert!(s.contains("Mentions &lt;per&gt; month"));
        assert!(s.contains("role=\"group\""));
        assert_eq!(s, svg(&bars(&[3, 0, 1]), &options(false)), "deterministic");
    }

    #[test]
    fn the_compact_chart_is_an_image_without_links() {
        let s = svg(&bars(&[3, 0, 1]), &options(true));
        assert!(s.contains("role=\"img\"") && !s.contains("<a ") && !s.contains("<text"));
        assert_eq!(s.matches("<rect").count(), 2);
    }
}
