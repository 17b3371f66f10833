//! The timeline: which page to read, and the page.

use super::*;

/// The categories a timeline page shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CategoryFilter {
    /// Every category.
    #[default]
    Any,
    Only(PostCategory),
    /// A code that names no category (the API passes what it was given):
    /// no post matches.
    NoSuch,
}

impl CategoryFilter {
    /// The filter a code asks for: `""` is every category.
    pub fn from_code(code: &str) -> Self {
        match code {
            "" => CategoryFilter::Any,
            c => PostCategory::from_code(c).map_or(CategoryFilter::NoSuch, CategoryFilter::Only),
        }
    }
}

/// Which page of a timeline to read.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    /// Only posts older than this id (the next page).
    pub before: Option<PostId>,
    /// Folded search text; matches replies too.
    pub text: Option<String>,
    pub category: CategoryFilter,
    pub limit: i64,
}

/// A page of a timeline.
pub struct TimelineView {
    pub space: Space,
    pub patient: Option<Patient>,
    pub access: Access,
    pub urgent: Vec<PostView>,
    pub posts: Vec<PostView>,
    /// The id to ask for the next (older) page.
    pub next_before: Option<PostId>,
    pub members: Vec<Member>,
    pub consent_active: bool,
}
