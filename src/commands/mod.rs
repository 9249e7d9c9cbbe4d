//! The commands beside `build` and `serve`: thin users of the pipeline.
//!
//! - [`check`]: `glossa check`, every page rendered in memory;
//! - [`permalinks`]: `check`'s warning about quote URLs the last build
//!   had that the site would not;
//! - [`linkcheck`]: `check`'s internal-link checking over rendered pages;
//! - [`fix`]: `check --fix`, re-anchored texts written back;
//! - [`suggest`]: the annotation coverage report;
//! - [`export`]: W3C Web Annotation export;
//! - [`init`]: a new site's scaffold.

pub mod check;
pub mod export;
pub mod fix;
pub mod init;
pub mod linkcheck;
pub mod permalinks;
pub mod suggest;
