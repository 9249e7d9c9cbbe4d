//! A new entity made with a mention or a quote: its id (slugged from the
//! name, checked as `check` checks ids), its file under
//! `content/entities/`, never one that exists.
//!
//! On top of the pipeline: the preview server.

use std::path::{Path, PathBuf};

use super::reply::Reply;
use super::request::NewEntity;
use crate::content::{self, EntityKind};
use crate::site::Site;
use crate::text::slugify;

/// A new entity: its id, its file (relative to the root) and the file's text.
pub(super) type Created = (String, PathBuf, String);

/// The new entity's id and file, checked as `check` checks ids.
pub(super) fn new_entity(site: &Site, root: &Path, e: &NewEntity) -> Result<Created, Reply> {
    let name = crate::text::nfc(e.name.trim()).into_owned();
    if name.is_empty() {
        return Err(Reply::refused("Give the new entity a name."));
    }
    let Some(kind) = EntityKind::ALL.iter().find(|k| k.as_str() == e.kind) else {
        return Err(Reply::refused(format!("`{}` is not a kind of entity.", e.kind)));
    };
    let id = match e.id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(id) => id.to_string(),
        None => slugify(&name),
    };
    if id.is_empty() || slugify(&id) != id {
        return Err(Reply::refused(format!(
            "The entity id `{id}` is not a URL slug; use lowercase ASCII letters, digits and hyphens, e.g. `{}`.",
            slugify(&name)
        )));
    }
    if content::is_reserved_name(&id) {
        return Err(Reply::refused(format!(
            "`{id}` is a reserved file name on some systems; choose another id."
        )));
    }
    let rel = PathBuf::from(format!("content/entities/{id}.md"));
    if let Some(&i) = site.entity_index.get(&id) {
        return Err(Reply::refused(format!(
            "An entity with the id `{id}` exists already ({}); pick it from the list, or give the new one another id.",
            site.entities[i].src.name
        )));
    }
    if root.join(&rel).symlink_metadata().is_ok() {
        return Err(Reply::refused(format!(
            "{} exists already; it is never overwritten.",
            rel.display()
        )));
    }
    let text = format!(
        "+++\nname = {}\nkind = \"{}\"\n+++\n",
        annotation_file_string(&name),
        kind.as_str()
    );
    Ok((id, rel, text))
}

pub(super) fn annotation_file_string(s: &str) -> String {
    crate::commands::fix::toml_string(s)
}
