//! Where a mistake in an example file is: the path to the key at fault (`computation.state[1].rate`), placed
//! in the YAML text by line and column — by serde where it can, and by following the document's indentation
//! (`locate`) for mistakes found after parsing.

use std::fmt;

/// A step of the path to a key: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A mistake in an example file, located.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    pub file: String,
    /// 1-based line and column, where known.
    pub position: Option<(usize, usize)>,
    /// The key at fault, e.g. `computation.state[1].rate`.
    pub key: String,
    pub message: String,
}

impl SpecError {
    /// A mistake found at `path` after parsing, placed in the file's text.
    pub fn located(file: &str, text: &str, (path, message): (Vec<Segment>, String)) -> Self {
        Self {
            file: file.to_owned(),
            position: locate(text, &path),
            key: path_text(&path),
            message,
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SpecError {}

pub(crate) fn path_text(path: &[Segment]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Where the key at `path` is in a YAML document (1-based line and column), found by following indentation
/// through block mappings and lists, and by searching flow mappings (`{name: N, rate: ...}`) on one line. Used
/// for mistakes serde cannot place: those found after parsing (expressions, ranges) and inside `computation`.
pub fn locate(text: &str, path: &[Segment]) -> Option<(usize, usize)> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let (mut start, mut end) = (0usize, lines.len());
    let mut found = None;
    let is_content = |line: &str| {
        let t = line.trim_start();
        !(t.is_empty() || t.starts_with('#'))
    };
    let indent = |line: &str| line.len() - line.trim_start().len();
    for (n, segment) in path.iter().enumerate() {
        let body: Vec<usize> = (start..end).filter(|&i| is_content(&lines[i])).collect();
        let base = body.iter().map(|&i| indent(&lines[i])).min()?;
        match segment {
            Segment::Key(key) => {
                let block = body.iter().copied().find(|&i| {
                    indent(&lines[i]) == base
                        && lines[i].trim_start().starts_with(&format!("{key}:"))
                });
                let Some(line) = block else {
                    // A flow mapping: `{a: 1, key: 2}` on one line.
                    return body
                        .iter()
                        .find_map(|&i| flow_key(&lines[i], key).map(|column| (i + 1, column + 1)));
                };
                found = Some((line + 1, base + 1));
                let rest = lines[line][base + key.len() + 1..].trim().to_owned();
                if !rest.is_empty() && !rest.starts_with('#') {
                    // The value is on this line; a key inside it is in a flow mapping.
                    return match path.get(n + 1..).and_then(|r| {
                        r.iter().rev().find_map(|s| match s {
                            Segment::Key(k) => Some(k),
                            Segment::Index(_) => None,
                        })
                    }) {
                        Some(inner) => flow_key(&lines[line], inner)
                            .map(|c| (line + 1, c + 1))
                            .or(found),
                        None => found,
                    };
                }
                start = line + 1;
                end = (line + 1..end)
                    .find(|&i| is_content(&lines[i]) && indent(&lines[i]) <= base)
                    .unwrap_or(end);
            }
            Segment::Index(index) => {
                let items: Vec<usize> = body
                    .iter()
                    .copied()
                    .filter(|&i| {
                        indent(&lines[i]) == base && lines[i].trim_start().starts_with('-')
                    })
                    .collect();
                let &line = items.get(*index)?;
                found = Some((line + 1, base + 3));
                end = items.get(index + 1).copied().unwrap_or(end);
                start = line;
                // The item's first key shares the dash's line: read the dash as indentation.
                lines[line].replace_range(base..base + 1, " ");
            }
        }
    }
    found
}

/// The column of `key:` inside a flow mapping on `line`, after `{` or `,`.
fn flow_key(line: &str, key: &str) -> Option<usize> {
    let needle = format!("{key}:");
    line.match_indices(&needle)
        .map(|(i, _)| i)
        .find(|&i| line[..i].trim_end().ends_with(['{', ',']))
}

pub(crate) fn segments(path: &serde_path_to_error::Path) -> Vec<Segment> {
    path.iter()
        .filter_map(|s| match s {
            serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
            serde_path_to_error::Segment::Enum { variant } => Some(Segment::Key(variant.clone())),
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect()
}

/// serde_yaml_ng appends "at line L column C"; the location is reported separately.
pub(crate) fn clean_message(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A path for [`SpecError`]s found by checks: `key!["computation", "state", 1, "rate"]`.
#[macro_export]
macro_rules! key {
    ($($s:expr),* $(,)?) => {
        vec![$($crate::example::located::IntoSegment::into_segment($s)),*]
    };
}

pub trait IntoSegment {
    fn into_segment(self) -> Segment;
}

impl IntoSegment for &str {
    fn into_segment(self) -> Segment {
        Segment::Key(self.to_owned())
    }
}

impl IntoSegment for String {
    fn into_segment(self) -> Segment {
        Segment::Key(self)
    }
}

impl IntoSegment for usize {
    fn into_segment(self) -> Segment {
        Segment::Index(self)
    }
}
