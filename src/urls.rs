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
}
