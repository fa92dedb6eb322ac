//! Run metadata as queries read it: compact, and shared between runs.
//!
//! A sweep's 100,000 runs carry the same ten keys and a handful of distinct text values. Kept as `serde_json`
//! maps they cost about 1.5 KB a run and a query looks each key up by hashing its name in every run's map,
//! chasing pointers all over the heap. Here each run's metadata is one small sorted slice of (key, value)
//! [`Pairs`] (the index keeps every run's slice in one array, in the order it scans runs): keys are numbers
//! interned once in [`Symbols`], nested objects are flattened to dotted keys once, values are numbers, booleans
//! or text shared by every run that holds the same text.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::model::summary::RunStats;
use crate::storage::json;

/// How deep nested metadata objects are flattened (`meta.a.b.c…`); deeper levels are not queryable.
const MAX_NESTING: usize = 16;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// A metadata key's number in [`Symbols`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(u32);

impl Key {
    /// Its place in [`Symbols::names`].
    pub fn number(self) -> u32 {
        self.0
    }
}

/// A metadata value a query can compare: arrays and `null` are not.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// Also the `"NaN"`, `"Infinity"` and `"-Infinity"` markers of `storage::json`.
    Number(f64),
    Bool(bool),
    Text(Arc<str>),
}

/// One run's metadata: its scalar values, sorted by key, each key once.
pub type Pairs = [(Key, Scalar)];

/// The value of `key` in a run's metadata.
pub fn lookup(pairs: &Pairs, key: Key) -> Option<&Scalar> {
    pairs
        .binary_search_by_key(&key, |(k, _)| *k)
        .ok()
        .map(|i| &pairs[i].1)
}

/// The interned key names and text values of every run's metadata.
#[derive(Debug, Default)]
pub struct Symbols {
    keys: FastMap<Arc<str>, Key>,
    names: Vec<Arc<str>>,
    texts: FastSet<Arc<str>>,
    /// How many texts were kept after the last sweep of texts no run holds any more.
    texts_kept: usize,
}

impl Symbols {
    /// The key named `name` (`dt`, `solver.order`), if some run has it.
    pub fn key(&self, name: &str) -> Option<Key> {
        self.keys.get(name).copied()
    }

    pub fn name(&self, key: Key) -> &str {
        &self.names[key.0 as usize]
    }

    /// Every key's name, by key number ([`Key::number`]).
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// `metadata` in compact form. A nested object's values are under dotted keys (`{"grid": {"n": 64}}` is
    /// `grid.n`); a key written with a dot (`"grid.n": 64`) wins over the same path through objects.
    pub fn pairs(&mut self, metadata: &Map<String, Value>) -> Vec<(Key, Scalar)> {
        let mut pairs: Vec<(Key, Scalar)> = Vec::with_capacity(metadata.len());
        let mut nested: Vec<(String, &Map<String, Value>, usize)> = Vec::new();
        for (name, value) in metadata {
            match value {
                Value::Object(inner) => nested.push((name.clone(), inner, 1)),
                value => self.push(&mut pairs, name, value),
            }
        }
        // Breadth first, so that a shallower spelling of a key wins over a deeper one.
        let mut next = 0;
        while let Some((prefix, object, depth)) = nested.get(next).cloned() {
            next += 1;
            for (name, value) in object {
                let path = format!("{prefix}.{name}");
                match value {
                    Value::Object(inner) if depth < MAX_NESTING => {
                        nested.push((path, inner, depth + 1))
                    }
                    value => self.push(&mut pairs, &path, value),
                }
            }
        }
        pairs.sort_by_key(|(k, _)| *k);
        // The first spelling of a key stays (a stable sort keeps the order pairs were pushed in).
        pairs.dedup_by_key(|(k, _)| *k);
        pairs
    }

    /// A run's result statistics in compact form, sorted by key: each statistic by name (NaN when it is not a
    /// finite number, so that no comparison holds), and each result type it has with how many.
    pub fn stat_pairs(&mut self, stats: &RunStats) -> Vec<(Key, Scalar)> {
        let mut pairs = Vec::with_capacity(stats.values.len() + stats.types.len());
        for &(name, v) in &stats.values {
            pairs.push((self.intern_key(name), Scalar::Number(v.unwrap_or(f64::NAN))));
        }
        for (result_type, n) in &stats.types {
            pairs.push((self.intern_key(result_type), Scalar::Number(*n as f64)));
        }
        pairs.sort_by_key(|(k, _)| *k);
        pairs.dedup_by_key(|(k, _)| *k);
        pairs
    }

    fn push(&mut self, pairs: &mut Vec<(Key, Scalar)>, name: &str, value: &Value) {
        let scalar = match value {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::String(text) if !json::is_marker(value) => Scalar::Text(self.text(text)),
            value => match json::number(value) {
                Some(n) => Scalar::Number(n),
                None => return,
            },
        };
        pairs.push((self.intern_key(name), scalar));
    }

    /// The key named `name`, made if no run had it.
    pub fn intern_key(&mut self, name: &str) -> Key {
        if let Some(&key) = self.keys.get(name) {
            return key;
        }
        let key = Key(u32::try_from(self.names.len()).expect("fewer than 2³² metadata keys"));
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        self.keys.insert(name, key);
        key
    }

    /// `text`, shared with every run that holds the same text.
    pub fn text(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.texts.get(text) {
            return shared.clone();
        }
        // Texts that no run holds any more (a run rewritten with new values) are let go once the set has doubled.
        if self.texts.len() >= 2 * self.texts_kept.max(1024) {
            self.texts.retain(|t| Arc::strong_count(t) > 1);
            self.texts_kept = self.texts.len();
        }
        let shared: Arc<str> = Arc::from(text);
        self.texts.insert(shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn meta(symbols: &mut Symbols, value: Value) -> Vec<(Key, Scalar)> {
        symbols.pairs(value.as_object().expect("an object"))
    }

    #[test]
    fn nested_objects_flatten_to_dotted_keys_and_written_dots_win() {
        let mut symbols = Symbols::default();
        let m = meta(
            &mut symbols,
            json!({"grid": {"n": 64, "shape": {"x": 3}}, "grid.n": 32, "dt": "\u{0}NaN", "solver": "rk4",
                   "ok": true, "list": [1, 2], "none": null}),
        );
        let get = |name: &str| symbols.key(name).and_then(|k| lookup(&m, k)).cloned();
        assert_eq!(get("grid.n"), Some(Scalar::Number(32.0)));
        assert_eq!(get("grid.shape.x"), Some(Scalar::Number(3.0)));
        assert!(matches!(get("dt"), Some(Scalar::Number(n)) if n.is_nan()));
        assert_eq!(get("solver"), Some(Scalar::Text("rk4".into())));
        assert_eq!(get("ok"), Some(Scalar::Bool(true)));
        assert_eq!(get("list"), None);
        assert_eq!(get("none"), None);
        assert_eq!(get("grid"), None);
    }

    #[test]
    fn keys_and_texts_are_shared_between_runs() {
        let mut symbols = Symbols::default();
        let a = meta(&mut symbols, json!({"solver": "rk4", "dt": 1e-3}));
        let b = meta(&mut symbols, json!({"dt": 2e-3, "solver": "rk4"}));
        let keys = |m: &Pairs| m.iter().map(|(k, _)| *k).collect::<Vec<_>>();
        assert_eq!(keys(&a), keys(&b));
        let solver = symbols.key("solver").unwrap();
        match (lookup(&a, solver), lookup(&b, solver)) {
            (Some(Scalar::Text(x)), Some(Scalar::Text(y))) => assert!(Arc::ptr_eq(x, y)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn texts_no_run_holds_are_let_go() {
        let mut symbols = Symbols::default();
        let kept = meta(&mut symbols, json!({"tag": "kept"}));
        for i in 0..10_000 {
            meta(&mut symbols, json!({ "tag": format!("gone {i}") }));
        }
        assert!(symbols.texts.len() < 3_000, "{} texts", symbols.texts.len());
        let again = meta(&mut symbols, json!({"tag": "kept"}));
        assert_eq!(kept, again);
    }
}
