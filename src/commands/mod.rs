//! The commands beside `build` and `serve`: thin users of the pipeline.
//!
//! - [`check`]: `glossa check`, every page rendered in memory;
//! - [`check_stamp`]: `check`'s diagnostics kept for a check with nothing
//!   changed;
//! - [`permalinks`]: `check`'s warning about quote URLs the last build
//!   had that the site would not;
//! - [`linkcheck`]: `check`'s internal-link checking over rendered pages;
//! - [`fix`]: `check --fix`, re-anchored texts written back;
//! - [`annotation_file`]: one annotation added to, changed in or removed
//!   from an annotation file, every other byte kept (the annotator's writer);
//! - [`suggest`]: the annotation coverage report;
//! - [`export`]: W3C Web Annotation export;
//! - [`init`]: a new site's scaffold.
//!
//! On top of the pipeline: the commands.

pub mod annotation_file;
pub mod check;
pub mod check_stamp;
pub mod export;
pub mod fix;
pub mod init;
pub mod linkcheck;
pub mod permalinks;
pub mod suggest;
