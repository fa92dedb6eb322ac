//! A run's tags, note and star: their bounds, and the one change that edits them (`PATCH /api/run`, the run
//! page, the writers).

use serde::{Deserialize, Serialize};

/// The most tags a run can have.
pub const MAX_TAGS: usize = 64;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

/// A change to a run's tags, note and star (`PATCH /api/run?id=`, the run page): each part that is present is
/// applied, in the order `tags`, `add_tags`, `remove_tags`, under the run's lock, so that edits from several
/// places (a tag added while the simulation appends results) all survive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunPatch {
    /// Every tag, replacing the run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_tags: Vec<String>,
    /// The note, replacing the run's (empty: no note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starred: Option<bool>,
}

impl RunPatch {
    /// Applies the patch to a run's `tags`, `note` and `starred`, or says which part is wrong (a tag that is
    /// empty, too long or holds a control character; too many tags; too long a note). Tags are trimmed and kept
    /// once each, in the order given.
    pub fn apply(
        &self,
        tags: &mut Vec<String>,
        note: &mut String,
        starred: &mut bool,
    ) -> Result<(), String> {
        let clean = |tag: &String| -> Result<String, String> {
            let t = tag.trim();
            if t.is_empty() {
                return Err("a tag cannot be empty".into());
            }
            if t.chars().count() > MAX_TAG_CHARS {
                return Err(format!(
                    "tag `{t}` is longer than {MAX_TAG_CHARS} characters"
                ));
            }
            if t.chars().any(char::is_control) {
                return Err(format!("tag {t:?} holds a control character"));
            }
            Ok(t.to_owned())
        };
        let mut next = tags.clone();
        if let Some(all) = &self.tags {
            next.clear();
            for tag in all {
                let tag = clean(tag)?;
                if !next.contains(&tag) {
                    next.push(tag);
                }
            }
        }
        for tag in &self.add_tags {
            let tag = clean(tag)?;
            if !next.contains(&tag) {
                next.push(tag);
            }
        }
        for tag in &self.remove_tags {
            let tag = tag.trim();
            next.retain(|t| t != tag);
        }
        if next.len() > MAX_TAGS {
            return Err(format!(
                "a run can have at most {MAX_TAGS} tags; this would give it {}",
                next.len()
            ));
        }
        if let Some(text) = &self.note {
            let count = text.chars().count();
            if count > MAX_NOTE_CHARS {
                return Err(format!(
                    "the note is {count} characters long; at most {MAX_NOTE_CHARS} are kept"
                ));
            }
            *note = text.clone();
        }
        *tags = next;
        if let Some(star) = self.starred {
            *starred = star;
        }
        Ok(())
    }
}
