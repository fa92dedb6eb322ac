//! The query bar's suggestions: as a user types, the fields (the fixed ones, the result statistics and every
//! metadata key present, each with how many runs have it) that start with the word at the cursor, or, after
//! `field =` (or `<`, `~`, `IN [`…), that field's most frequent values; after `has(`, the result types. Arrow keys
//! move, Tab or Enter takes one, Escape closes; the query stays the address, as when typed.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{FieldCount, ResultType, ValueCount};

/// How many suggestions are shown at once.
const SHOWN: usize = 8;

/// What the word at the cursor is, and where it starts (a byte offset into the query).
#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    /// A field's name (or a bare word).
    Field { start: usize, prefix: String },
    /// A value after `field op`, `field IN [`, or `,` in such a list.
    Value {
        start: usize,
        field: String,
        prefix: String,
    },
    /// A result type, inside `has(`.
    Type { start: usize, prefix: String },
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The last word of `text` (field names are words).
fn last_word(text: &str) -> &str {
    let text = text.trim_end();
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !word_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[start..]
}

/// `text` without a trailing keyword `in` (any case), if it ends with one as a word of its own.
fn strip_in(text: &str) -> Option<&str> {
    let text = text.trim_end();
    let head = text.get(..text.len().checked_sub(2)?)?;
    (text[head.len()..].eq_ignore_ascii_case("in") && head.ends_with(char::is_whitespace))
        .then_some(head)
}

/// What is being typed at byte `cursor` of `q`; `None` inside quotes or a regular expression, or with nothing
/// to complete.
pub fn slot(q: &str, cursor: usize) -> Option<Slot> {
    let mut cursor = cursor.min(q.len());
    while !q.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &q[..cursor];
    if before.matches('"').count() % 2 == 1 || before.matches('/').count() % 2 == 1 {
        return None;
    }
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !word_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let prefix = before[start..].to_owned();
    let head = before[..start].trim_end();
    if head.to_ascii_lowercase().ends_with("has(") {
        return Some(Slot::Type { start, prefix });
    }
    // After a comparison, or in a list or range after IN.
    let field = ["!=", "<=", ">=", "=", "<", ">", "~"]
        .iter()
        .find_map(|op| head.strip_suffix(op))
        .or_else(|| {
            let list = head.strip_suffix('[').or_else(|| {
                let open = head.rfind('[')?;
                (head.ends_with(',') && !head[open..].contains(']')).then(|| &head[..open])
            })?;
            strip_in(list)
        })
        .or_else(|| strip_in(head))
        .map(last_word)
        .filter(|f| !f.is_empty());
    match field {
        Some(field) => Some(Slot::Value {
            start,
            field: field.to_owned(),
            prefix,
        }),
        None if prefix.is_empty() => None,
        None => Some(Slot::Field { start, prefix }),
    }
}

/// One suggestion: the text it puts in place of the word at the cursor, and how many runs have it.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub insert: String,
    pub runs: Option<usize>,
}

/// A value as a query writes it: as it is when it reads as one word, else quoted.
fn quoted(value: &str) -> String {
    let keyword = ["and", "or", "not", "in", "true", "false"]
        .iter()
        .any(|k| value.eq_ignore_ascii_case(k));
    if !value.is_empty() && !keyword && value.chars().all(word_char) {
        return value.to_owned();
    }
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// What to suggest for `slot`, from the fields the storage has and the values fetched so far (by field).
pub fn suggestions(
    slot: &Slot,
    fields: &[FieldCount],
    values: &HashMap<String, Vec<ValueCount>>,
) -> Vec<Suggestion> {
    let starts = |text: &str, prefix: &str| {
        text.len() >= prefix.len()
            && text.is_char_boundary(prefix.len())
            && text[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    match slot {
        Slot::Field { prefix, .. } => fields
            .iter()
            .filter(|f| {
                f.field != *prefix
                    && (starts(&f.field, prefix)
                        || f.field
                            .strip_prefix("meta.")
                            .is_some_and(|key| starts(key, prefix)))
            })
            .take(SHOWN)
            .map(|f| Suggestion {
                insert: f.field.clone(),
                runs: Some(f.runs),
            })
            .collect(),
        Slot::Value { field, prefix, .. } => values
            .get(field)
            .map(|values| {
                values
                    .iter()
                    .filter(|v| starts(&v.value, prefix) && v.value != *prefix)
                    .take(SHOWN)
                    .map(|v| Suggestion {
                        insert: quoted(&v.value),
                        runs: Some(v.runs),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Slot::Type { prefix, .. } => ResultType::NAMES
            .iter()
            .filter(|t| starts(t, prefix) && **t != prefix.as_str())
            .map(|t| Suggestion {
                insert: format!("{t})"),
                runs: None,
            })
            .collect(),
    }
}

/// `q` with the word at the cursor replaced by `insert` (and a space after it); the new query and where the
/// cursor goes.
pub fn accept(q: &str, cursor: usize, slot: &Slot, insert: &str) -> (String, usize) {
    let start = match slot {
        Slot::Field { start, .. } | Slot::Value { start, .. } | Slot::Type { start, .. } => *start,
    };
    let cursor = cursor.clamp(start, q.len());
    let rest = q[cursor..].trim_start_matches(word_char);
    let mut out = format!("{}{insert}", &q[..start]);
    let at = out.len() + 1;
    out.push(' ');
    out.push_str(rest.trim_start());
    (out, at)
}

/// The byte offset into `q` of a cursor at `utf16` code units (as the browser counts a caret).
pub fn byte_offset(q: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in q.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    q.len()
}

/// The caret position, in UTF-16 code units, of byte offset `byte` of `q`.
pub fn utf16_offset(q: &str, byte: usize) -> usize {
    q[..byte.min(q.len())].encode_utf16().count()
}

/// The suggestions under the query bar; a click on one (pressing, so the input keeps its focus) puts its text
/// in `picked`.
#[component]
pub fn SuggestionList(
    shown: Signal<Vec<Suggestion>>,
    active: RwSignal<Option<usize>>,
    picked: RwSignal<Option<String>>,
) -> impl IntoView {
    move || {
        let items = shown.get();
        (!items.is_empty()).then(|| {
            view! {
                <ul class="suggestions" role="listbox" data-testid="suggestions">
                    {items
                        .into_iter()
                        .enumerate()
                        .map(|(i, s)| {
                            let insert = s.insert.clone();
                            view! {
                                <li
                                    role="option"
                                    data-testid="suggestion"
                                    aria-selected=move || (active.get() == Some(i)).to_string()
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        picked.set(Some(insert.clone()));
                                    }
                                >
                                    <code>{s.insert}</code>
                                    {s
                                        .runs
                                        .map(|n| {
                                            let runs = if n == 1 { "run" } else { "runs" };
                                            view! { <span class="count">{format!("{n} {runs}")}</span> }
                                        })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(start: usize, prefix: &str) -> Option<Slot> {
        Some(Slot::Field {
            start,
            prefix: prefix.into(),
        })
    }

    fn value(start: usize, field: &str, prefix: &str) -> Option<Slot> {
        Some(Slot::Value {
            start,
            field: field.into(),
            prefix: prefix.into(),
        })
    }

    #[test]
    fn the_word_at_the_cursor_is_a_field_a_value_or_a_type() {
        assert_eq!(slot("sta", 3), field(0, "sta"));
        assert_eq!(slot("status = failed AND meta.d", 26), field(20, "meta.d"));
        assert_eq!(slot("meta.solver = r", 15), value(14, "meta.solver", "r"));
        assert_eq!(slot("meta.dt<1e", 10), value(8, "meta.dt", "1e"));
        assert_eq!(slot("meta.dt <= ", 11), value(11, "meta.dt", ""));
        assert_eq!(slot("status != ", 10), value(10, "status", ""));
        assert_eq!(slot("tag IN [a, b", 12), value(11, "tag", "b"));
        assert_eq!(slot("tag in [", 8), value(8, "tag", ""));
        assert_eq!(slot("meta.dt in 1e-4", 15), value(11, "meta.dt", "1e-4"));
        assert_eq!(
            slot("has(Sol", 7),
            Some(Slot::Type {
                start: 4,
                prefix: "Sol".into()
            })
        );
        assert_eq!(slot("name ~ /he", 10), None, "inside a regular expression");
        assert_eq!(slot("\"heat ", 6), None, "inside quotes");
        assert_eq!(slot("status = failed ", 16), None, "nothing typed yet");
        // A cursor in the middle of a multi-byte character is moved back to its start.
        assert_eq!(slot("é", 1), None);
    }

    #[test]
    fn suggestions_are_fields_by_prefix_or_key_and_quoted_values() {
        let fields: Vec<FieldCount> = [
            ("status", 10),
            ("meta.dt", 8),
            ("meta.solver", 8),
            ("error.max", 5),
        ]
        .into_iter()
        .map(|(f, n)| FieldCount {
            field: f.into(),
            runs: n,
        })
        .collect();
        let inserts = |s: Vec<Suggestion>| s.into_iter().map(|s| s.insert).collect::<Vec<_>>();
        let none = HashMap::new();
        assert_eq!(
            inserts(suggestions(&slot("s", 1).unwrap(), &fields, &none)),
            ["status", "meta.solver"]
        );
        assert_eq!(
            inserts(suggestions(&slot("err", 3).unwrap(), &fields, &none)),
            ["error.max"]
        );
        assert!(suggestions(&slot("status", 6).unwrap(), &fields, &none).is_empty());
        let mut values = HashMap::new();
        values.insert(
            "meta.solver".to_owned(),
            vec![
                ValueCount {
                    value: "rk4".into(),
                    runs: 6,
                },
                ValueCount {
                    value: "crank nicolson".into(),
                    runs: 2,
                },
                ValueCount {
                    value: "or".into(),
                    runs: 1,
                },
            ],
        );
        let s = slot("meta.solver = ", 14).unwrap();
        assert_eq!(
            inserts(suggestions(&s, &fields, &values)),
            ["rk4", "\"crank nicolson\"", "\"or\""]
        );
        let s = slot("meta.solver = c", 15).unwrap();
        assert_eq!(
            inserts(suggestions(&s, &fields, &values)),
            ["\"crank nicolson\""]
        );
        let s = slot("has(o", 5).unwrap();
        assert_eq!(
            inserts(suggestions(&s, &fields, &values)),
            ["OptimizationResult)"]
        );
    }

    #[test]
    fn carets_count_utf16_and_offsets_bytes() {
        let q = "name = \"ünï 𝜕\" x";
        for (byte, _) in q.char_indices() {
            assert_eq!(byte_offset(q, utf16_offset(q, byte)), byte);
        }
        assert_eq!(utf16_offset("𝜕x", 4), 2);
        assert_eq!(byte_offset("𝜕x", 99), 5);
    }

    #[test]
    fn a_suggestion_replaces_the_word_at_the_cursor() {
        let q = "status = failed AND meta.so";
        let s = slot(q, q.len()).unwrap();
        assert_eq!(
            accept(q, q.len(), &s, "meta.solver"),
            ("status = failed AND meta.solver ".into(), 32)
        );
        // In the middle of the query, the rest of the word goes and what follows stays.
        let q = "meta.solver = r AND status = failed";
        let s = slot(q, 15).unwrap();
        assert_eq!(
            accept(q, 15, &s, "rk4"),
            ("meta.solver = rk4 AND status = failed".into(), 18)
        );
    }
}
