//! The size of a built site against what common static hosts accept: the
//! figures `glossa build` prints on its last line, and the warning it prints
//! before it when a host would refuse the site, with the `cards` setting that
//! shrinks it.
//!
//! Stage 5 of the pipeline: output.

use std::fmt::Write as _;

/// What a build left in the output directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputSize {
    pub bytes: u64,
    pub files: usize,
    /// Articles' share cards (`articles/*/card.png`): bytes, files.
    pub article_cards: (u64, usize),
    /// Quotes' share cards and the site's (`quotes/*/card.png`, `card.png`).
    pub other_cards: (u64, usize),
}

impl OutputSize {
    /// The size of these output files: (path relative to the output, `/`-separated; bytes).
    pub fn of<'a>(files: impl IntoIterator<Item = (&'a str, u64)>) -> OutputSize {
        let mut s = OutputSize::default();
        for (path, bytes) in files {
            s.bytes += bytes;
            s.files += 1;
            let card = path == "card.png" || path.ends_with("/card.png");
            let counts = match (card, path.starts_with("articles/")) {
                (false, _) => continue,
                (true, true) => &mut s.article_cards,
                (true, false) => &mut s.other_cards,
            };
            counts.0 += bytes;
            counts.1 += 1;
        }
        s
    }
}

/// A limit of a host on a published site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub host: &'static str,
    pub max: u64,
    /// Of the bytes (else of the files).
    pub bytes: bool,
}

/// The limits of common static hosts (bytes in decimal units: 1 GB is 10⁹).
pub const LIMITS: [Limit; 5] = [
    Limit {
        host: "GitHub Pages",
        max: 1_000_000_000,
        bytes: true,
    },
    Limit {
        host: "GitLab Pages",
        max: 1_000_000_000,
        bytes: true,
    },
    Limit {
        host: "Cloudflare Pages (free plan)",
        max: 20_000,
        bytes: false,
    },
    Limit {
        host: "Cloudflare Pages (paid plans)",
        max: 100_000,
        bytes: false,
    },
    Limit {
        host: "GitLab Pages",
        max: 200_000,
        bytes: false,
    },
];

/// `1.49 GB`, `380 MB`, `12 kB`, `512 B`: rounded, in decimal units as hosts state limits.
pub fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..999_500 => format!("{} kB", (n + 500) / 1_000),
        999_500..999_500_000 => format!("{} MB", (n + 500_000) / 1_000_000),
        _ if n.is_multiple_of(1_000_000_000) => format!("{} GB", n / 1_000_000_000),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// `74,474`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the last line says of the output: `1.49 GB in 74,474 files`.
pub fn summary(s: &OutputSize) -> String {
    format!("{} in {} files", human_bytes(s.bytes), thousands(s.files as u64))
}

/// One warning per limit of `limits` the output passes (hosts with the same
/// limit together), each saying what the `cards` setting would save; empty
/// when every host takes the site.
pub fn warnings(s: &OutputSize, limits: &[Limit]) -> Vec<String> {
    let mut out: Vec<(Limit, Vec<&str>)> = Vec::new();
    for l in limits {
        let value = if l.bytes { s.bytes } else { s.files as u64 };
        if value <= l.max {
            continue;
        }
        match out.iter_mut().find(|(o, _)| o.max == l.max && o.bytes == l.bytes) {
            Some((_, hosts)) => hosts.push(l.host),
            None => out.push((*l, vec![l.host])),
        }
    }
    out.into_iter()
        .map(|(l, hosts)| {
            let (limit, now) = match l.bytes {
                true => (human_bytes(l.max), human_bytes(s.bytes)),
                false => (format!("{} files", thousands(l.max)), thousands(s.files as u64)),
            };
            let mut w = format!(
                "warning: {} refuse{} a site of more than {limit}; this one has {now}",
                hosts.join(" and "),
                if hosts.len() == 1 { "s" } else { "" },
            );
            let saved = |c: (u64, usize)| match l.bytes {
                true => human_bytes(c.0),
                false => format!("{} files", thousands(c.1 as u64)),
            };
            let (articles, all) = (
                s.article_cards,
                (s.article_cards.0 + s.other_cards.0, s.article_cards.1 + s.other_cards.1),
            );
            let fits = |c: (u64, usize)| match l.bytes {
                true => s.bytes - c.0 <= l.max,
                false => (s.files - c.1) as u64 <= l.max,
            };
            if articles.1 > 0 {
                let _ = write!(
                    w,
                    "\n  hint: cards = \"quotes\" in glossa.toml drops the articles' share cards ({}{})",
                    saved(articles),
                    if fits(articles) {
                        ", enough"
                    } else {
                        ", not enough alone"
                    }
                );
            }
            if all.1 > 0 {
                let _ = write!(
                    w,
                    "\n  hint: cards = \"none\" in glossa.toml drops every share card ({}{})",
                    saved(all),
                    if fits(all) { ", enough" } else { ", not enough alone" }
                );
            }
            w
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(article_cards: usize, quote_cards: usize, pages: usize) -> OutputSize {
        let mut files: Vec<(String, u64)> = Vec::new();
        for i in 0..article_cards {
            files.push((format!("articles/a{i}/card.png"), 20_000));
        }
        for i in 0..quote_cards {
            files.push((format!("quotes/q{i}/card.png"), 10_000));
        }
        files.push(("card.png".into(), 10_000));
        for i in 0..pages {
            files.push((format!("articles/a{i}/index.html"), 30_000));
        }
        OutputSize::of(files.iter().map(|(p, b)| (p.as_str(), *b)))
    }

    #[test]
    fn sizes_and_cards_are_counted() {
        let s = site(2, 3, 2);
        assert_eq!(s.files, 8);
        assert_eq!(s.bytes, 2 * 20_000 + 4 * 10_000 + 2 * 30_000);
        assert_eq!(s.article_cards, (40_000, 2));
        assert_eq!(s.other_cards, (40_000, 4));
        assert_eq!(summary(&s), "140 kB in 8 files");
        assert_eq!(human_bytes(1_492_808_540), "1.49 GB");
        assert_eq!(human_bytes(37_983_878), "38 MB");
        assert_eq!(human_bytes(999_600_000), "1.00 GB");
        assert_eq!(human_bytes(999_499), "999 kB");
        assert_eq!(thousands(74_474), "74,474");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn no_warning_under_every_limit() {
        assert_eq!(warnings(&site(10, 30, 10), &LIMITS), Vec::<String>::new());
    }

    #[test]
    fn each_limit_passed_names_its_hosts_and_the_setting_that_shrinks_the_site() {
        // 10,000 article cards of 20 kB, 25,000 quote cards and the site's of 10 kB, 30,000
        // pages of 30 kB: 1.35 GB in 65,001 files.
        let s = site(10_000, 25_000, 30_000);
        let w = warnings(&s, &LIMITS);
        assert_eq!(w.len(), 2, "{w:#?}");
        assert!(
            w[0].starts_with(
                "warning: GitHub Pages and GitLab Pages refuse a site of more than 1 GB; this one has 1.35 GB"
            ),
            "{}",
            w[0]
        );
        assert!(
            w[0].contains(
                "cards = \"quotes\" in glossa.toml drops the articles' share cards (200 MB, not enough alone)"
            ),
            "{}",
            w[0]
        );
        assert!(
            w[0].contains("cards = \"none\" in glossa.toml drops every share card (450 MB, enough)"),
            "{}",
            w[0]
        );
        assert!(
            w[1].starts_with(
                "warning: Cloudflare Pages (free plan) refuses a site of more than 20,000 files; this one has 65,001"
            ),
            "{}",
            w[1]
        );
        assert!(
            w[1].contains("every share card (35,001 files, not enough alone)"),
            "{}",
            w[1]
        );
        assert!(
            w[1].contains("the articles' share cards (10,000 files, not enough alone)"),
            "{}",
            w[1]
        );
    }

    /// Low limits, as a test site would meet them: the warnings follow the limits given.
    #[test]
    fn tiny_limits() {
        let s = site(0, 3, 2);
        let limits = [
            Limit {
                host: "Tiny Host",
                max: 5,
                bytes: false,
            },
            Limit {
                host: "Small Host",
                max: 50_000,
                bytes: true,
            },
        ];
        let w = warnings(&s, &limits);
        assert_eq!(w.len(), 2, "{w:#?}");
        assert!(w[0].starts_with("warning: Tiny Host refuses a site of more than 5 files; this one has 6"));
        assert!(
            !w[0].contains("cards = \"quotes\""),
            "no article cards to drop: {}",
            w[0]
        );
        assert!(w[0].contains("cards = \"none\" in glossa.toml drops every share card (4 files, enough)"));
        assert!(w[1].starts_with("warning: Small Host refuses a site of more than 50 kB; this one has 100 kB"));
        let none = site(0, 0, 2);
        let w = warnings(
            &OutputSize {
                other_cards: (0, 0),
                ..none
            },
            &limits,
        );
        assert!(w.iter().all(|w| !w.contains("hint")), "no cards, no hint: {w:?}");
    }
}
