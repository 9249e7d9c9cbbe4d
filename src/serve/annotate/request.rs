//! The requests as the annotate page sends them (JSON): a selection to
//! check, a change to make, what an annotation says, a new entity.
//!
//! On top of the pipeline: the preview server.

use serde::Deserialize;

/// A new entity asked for with a mention or a quote.
#[derive(Debug, Clone, Deserialize)]
pub struct NewEntity {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
}

/// What an annotation says, as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct WhatReq {
    pub kind: String,
    #[serde(default)]
    pub entity: Option<String>,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub new_entity: Option<NewEntity>,
}

/// A change, as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct ApplyReq {
    pub slug: String,
    pub version: String,
    /// `add`, `edit` or `delete`.
    pub op: String,
    /// The annotation edited or deleted (its place in the state's list).
    #[serde(default)]
    pub index: Option<usize>,
    /// The selection: UTF-16 offsets into the rendered text, and the text
    /// the page saw there.
    #[serde(default)]
    pub start: Option<usize>,
    #[serde(default)]
    pub end: Option<usize>,
    #[serde(default)]
    pub text: Option<String>,
    /// Several spans of the same text at once (a suggestion accepted for
    /// every occurrence of its name).
    #[serde(default)]
    pub ranges: Option<Vec<[usize; 2]>>,
    /// Every occurrence (`all = true`).
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub what: Option<WhatReq>,
}

/// A selection to check, as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct SelectReq {
    pub slug: String,
    pub version: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
}
