//! The built-in examples: the files under `examples/`, compiled into the binary.

use std::borrow::Cow;
use std::path::Path;

use include_dir::{include_dir, Dir};

static LIBRARY: Dir = include_dir!("$CARGO_MANIFEST_DIR/examples");

/// An example's text and the path that names it (`basic/01_integration.yaml`, or a user's file).
#[derive(Clone, Debug)]
pub struct Example {
    pub path: String,
    pub text: Cow<'static, str>,
}

/// Every built-in example, by path.
pub fn builtin() -> Vec<Example> {
    let mut out = Vec::new();
    for dir in LIBRARY.dirs() {
        for file in dir.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            if !path.ends_with(".yaml") {
                continue;
            }
            if let Some(text) = file.contents_utf8() {
                out.push(Example {
                    path,
                    text: Cow::Borrowed(text),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The categories, in order.
pub fn categories() -> Vec<String> {
    let mut out: Vec<String> = builtin()
        .iter()
        .filter_map(|e| category_of(&e.path))
        .collect();
    out.dedup();
    out
}

pub fn category_of(path: &str) -> Option<String> {
    path.split_once('/').map(|(c, _)| c.to_owned())
}

/// The examples of a category.
pub fn category(name: &str) -> Result<Vec<Example>, String> {
    let found: Vec<Example> = builtin()
        .into_iter()
        .filter(|e| category_of(&e.path).as_deref() == Some(name))
        .collect();
    if found.is_empty() {
        return Err(format!(
            "no category `{name}`: expected one of {}",
            categories().join(", ")
        ));
    }
    Ok(found)
}

/// An example named by a path: a file on disk (relative to the working directory), else a built-in one.
pub fn resolve(path: &str) -> Result<Example, String> {
    let on_disk = Path::new(path);
    if on_disk.is_file() {
        let text =
            std::fs::read_to_string(on_disk).map_err(|e| format!("cannot read {path}: {e}"))?;
        return Ok(Example {
            path: path.to_owned(),
            text: Cow::Owned(text),
        });
    }
    let wanted = path
        .trim_start_matches("./")
        .trim_start_matches("examples/");
    builtin().into_iter().find(|e| e.path == wanted).ok_or_else(|| {
        format!("no example `{path}`: expected a YAML file or a built-in example such as basic/01_integration.yaml (see `asgard example --list`)")
    })
}
