//! Named views of the run list, saved in the storage (`views/{id}.json`) so that everyone viewing it sees them.

use std::path::PathBuf;

use uuid::Uuid;

use super::{AsgardStorage, Error, Result};
use crate::model::SavedView;

/// The longest name of a view, in characters.
pub const MAX_VIEW_NAME_CHARS: usize = 80;

fn rel_view(id: &str) -> PathBuf {
    PathBuf::from(format!("views/{id}.json"))
}

impl AsgardStorage {
    /// Every saved view, by name. A damaged view file is left out (and logged once); the others still list.
    pub fn list_views(&self) -> Result<Vec<SavedView>> {
        let mut views = Vec::new();
        for name in self.list_names("views")? {
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            if Uuid::parse_str(id).is_err() {
                continue;
            }
            match self.read_json::<SavedView>(&rel_view(id)) {
                Ok(Some(view)) if view.id == id => views.push(view),
                Ok(_) => {}
                Err(e) => {
                    super::report_problem(&format!("saved view left out: {e}"));
                }
            }
        }
        views.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(views)
    }

    /// Saves `view` under its name (trimmed; a view of the same name is replaced) and returns it as saved.
    pub fn save_view(&self, mut view: SavedView) -> Result<SavedView> {
        view.name = view.name.trim().to_owned();
        if view.name.is_empty() {
            return Err(Error::Invalid("a view needs a name".into()));
        }
        let chars = view.name.chars().count();
        if chars > MAX_VIEW_NAME_CHARS {
            return Err(Error::Invalid(format!(
                "a view's name is at most {MAX_VIEW_NAME_CHARS} characters; this one has {chars}"
            )));
        }
        if view.name.chars().any(char::is_control) {
            return Err(Error::Invalid(
                "a view's name cannot hold control characters".into(),
            ));
        }
        if let Some(root) = self.dir() {
            std::fs::create_dir_all(root.join("views")).map_err(|source| Error::Io {
                path: "views".into(),
                source,
            })?;
        }
        let existing = self.list_views()?;
        view.id = match existing.iter().find(|v| v.name == view.name) {
            Some(same) => same.id.clone(),
            None => Uuid::new_v4().to_string(),
        };
        self.write_json(&rel_view(&view.id), &view)?;
        Ok(view)
    }

    /// Deletes a saved view (nothing when there is none).
    pub fn delete_view(&self, id: &str) -> Result<()> {
        let id = Uuid::parse_str(id)
            .map_err(|_| Error::Invalid(format!("a view id is a UUID, not {id:?}")))?
            .to_string();
        self.remove(&rel_view(&id))
    }
}
