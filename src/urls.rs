//! Foundation: the URL path of every kind of page, under the site's root
//! path (the path of `base_url`).

/// URL paths of every page kind, under the site's root path.
#[derive(Debug, Clone)]
pub struct Urls {
    pub root: String,
}

impl Urls {
    pub fn article(&self, slug: &str) -> String {
        format!("{}articles/{slug}/", self.root)
    }
    pub fn entity(&self, id: &str) -> String {
        format!("{}entities/{id}/", self.root)
    }
    pub fn quote(&self, id: &str) -> String {
        format!("{}quotes/{id}/", self.root)
    }
    pub fn tag(&self, slug: &str) -> String {
        format!("{}tags/{slug}/", self.root)
    }
    /// The date archive's index.
    pub fn archive(&self) -> String {
        format!("{}archive/", self.root)
    }
    /// A month's archive page, or a year's with `month` 0.
    pub fn archive_period(&self, year: u16, month: u8) -> String {
        format!("{}{}", self.root, archive_dir(year, month))
    }
}

/// `archive/2026/11/` (a month), `archive/2026/` (`month` 0, the year):
/// an archive page's folder, relative to the root.
pub fn archive_dir(year: u16, month: u8) -> String {
    match month {
        0 => format!("archive/{year:04}/"),
        m => format!("archive/{year:04}/{m:02}/"),
    }
}
