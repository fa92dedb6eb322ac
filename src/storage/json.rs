//! The storage's JSON: standard JSON plus the non-finite numbers Python's `json` module writes by default
//! (`NaN`, `Infinity`, `-Infinity`), which every simulation that diverges produces.
//!
//! `serde_json::Value` has no room for a non-finite number, so reading turns each bare `NaN`, `Infinity` and
//! `-Infinity` (outside strings) into a *marker*: a string of a NUL character and the word, which JSON text only
//! makes by writing `\u0000` on purpose. Readers of numeric fields take a marker as its number ([`number`]);
//! writing turns markers back into words ([`to_text`]), in the form the reader of the text asks for
//! ([`NonFinite`]). A string `"NaN"` that a writer quoted stays a string: only bare words are numbers, as in
//! Python.

use memchr::memmem;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The three words, their markers, the markers as JSON text (serde_json writes NUL as `\u0000`), and the
/// numbers they stand for.
const WORDS: [(&str, &str, &str, f64); 3] = [
    ("NaN", "\0NaN", r#""\u0000NaN""#, f64::NAN),
    (
        "Infinity",
        "\0Infinity",
        r#""\u0000Infinity""#,
        f64::INFINITY,
    ),
    (
        "-Infinity",
        "\0-Infinity",
        r#""\u0000-Infinity""#,
        f64::NEG_INFINITY,
    ),
];

/// How non-finite numbers are written in JSON meant for others (the REST API, `asgard dump`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NonFinite {
    /// Bare `NaN`, `Infinity`, `-Infinity`, as Python's `json` writes and reads them (and JSON5): the values as
    /// they are, but not strict JSON (JavaScript's `JSON.parse` refuses them).
    #[default]
    Literal,
    /// The strings `"NaN"`, `"Infinity"`, `"-Infinity"` (as protobuf's JSON mapping writes doubles): strict
    /// JSON that keeps which value it was; `float("NaN")` and NumPy read them back.
    String,
    /// `null`, as strict JSON writers commonly do: any parser reads it, but NaN and ±∞ look alike.
    Null,
}

impl NonFinite {
    /// Parses the `nonfinite` query parameter.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "literal" => Ok(Self::Literal),
            "string" => Ok(Self::String),
            "null" => Ok(Self::Null),
            other => Err(format!(
                "`nonfinite` must be literal, string or null, got `{}`",
                other.chars().take(40).collect::<String>()
            )),
        }
    }

    fn token(self, word: &str) -> String {
        match self {
            Self::Literal => word.to_owned(),
            Self::String => format!("\"{word}\""),
            Self::Null => "null".to_owned(),
        }
    }
}

/// The entry of [`WORDS`] for a non-finite `v`: NaN, +∞ or −∞.
fn non_finite_words(v: f64) -> &'static (&'static str, &'static str, &'static str, f64) {
    if v.is_nan() {
        &WORDS[0]
    } else if v > 0.0 {
        &WORDS[1]
    } else {
        &WORDS[2]
    }
}

/// Writes one number as [`to_text`] writes it in a value (finite as `serde_json` does, non-finite as `style`
/// says): a download written a number at a time reads exactly as the whole value would.
pub fn write_number(out: &mut Vec<u8>, v: f64, style: NonFinite) {
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(style.token(non_finite_words(v).0).as_bytes());
    }
}

/// Parses storage JSON: standard JSON, or JSON with bare `NaN`, `Infinity` and `-Infinity`.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match with_markers(bytes) {
        Some(rewritten) => serde_json::from_slice(&rewritten),
        None => serde_json::from_slice(bytes),
    }
}

/// The number a numeric JSON leaf stands for: a number, or a marker read from a bare non-finite word.
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => marker_number(s),
        _ => None,
    }
}

/// Whether `value` is a marker of a non-finite number (so a numeric leaf, not text).
pub fn is_marker(value: &Value) -> bool {
    matches!(value, Value::String(s) if marker_number(s).is_some())
}

/// A number as a JSON value that keeps NaN and ±∞ (as markers, written out by [`to_text`]).
pub fn value_of(v: f64) -> Value {
    match serde_json::Number::from_f64(v) {
        Some(n) => Value::Number(n),
        None => Value::String(non_finite_words(v).1.to_owned()),
    }
}

fn marker_number(s: &str) -> Option<f64> {
    if !s.starts_with('\0') {
        return None;
    }
    WORDS
        .iter()
        .find(|(_, m, _, _)| *m == s)
        .map(|(_, _, _, v)| *v)
}

/// Serializes `value` (compact, or pretty when asked), writing markers as `style` says.
pub fn to_text(value: &impl Serialize, style: NonFinite, pretty: bool) -> Vec<u8> {
    let text = if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    }
    .expect("JSON values and records serialize");
    // serde_json writes NUL as `\u0000`: without that sequence there is no marker.
    if memmem::find(&text, b"\\u0000").is_none() {
        return text;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'"' {
            let end = end_of_string(&text, i);
            let literal = &text[i..end];
            if let Some((word, ..)) = WORDS.iter().find(|(_, _, m, _)| m.as_bytes() == literal) {
                out.extend_from_slice(&text[copied..i]);
                out.extend_from_slice(style.token(word).as_bytes());
                copied = end;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(&text[copied..]);
    out
}

/// `bytes` with each bare `NaN`, `Infinity` and `-Infinity` outside strings replaced by its marker string;
/// `None` when there is none, so that ordinary JSON is parsed as it is.
fn with_markers(bytes: &[u8]) -> Option<Vec<u8>> {
    if memmem::find(bytes, b"NaN").is_none() && memmem::find(bytes, b"Infinity").is_none() {
        return None;
    }
    let mut out = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let word = match bytes[i] {
            b'"' => {
                i = end_of_string(bytes, i);
                continue;
            }
            b'N' | b'I' | b'-' => WORDS
                .iter()
                .find(|(word, ..)| bytes[i..].starts_with(word.as_bytes())),
            _ => None,
        };
        match word {
            Some((word, _, literal, _)) => {
                if out.is_empty() {
                    out.reserve(bytes.len() + 64);
                }
                out.extend_from_slice(&bytes[copied..i]);
                out.extend_from_slice(literal.as_bytes());
                i += word.len();
                copied = i;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return None;
    }
    out.extend_from_slice(&bytes[copied..]);
    Some(out)
}

/// The index just past the string literal that opens at `bytes[start]` (a `"`), or the end of the input.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(at) = memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
        let at = i + at;
        if bytes[at] == b'\\' {
            i = at + 2;
        } else {
            return at + 1;
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};

    use super::*;

    fn read(text: &str) -> Value {
        from_slice(text.as_bytes()).unwrap()
    }

    #[test]
    fn the_markers_json_text_is_what_serde_json_writes() {
        for (_, marker, literal, _) in WORDS {
            assert_eq!(serde_json::to_string(marker).unwrap(), literal);
        }
    }

    #[test]
    fn python_non_finite_words_are_read_as_numbers() {
        // What `json.dumps([1.0, float("nan"), float("inf"), -float("inf")])` writes.
        let v = read(r#"{"a": [1.0, NaN, Infinity, -Infinity], "b": -Infinity,"c":NaN}"#);
        let a: Vec<f64> = v["a"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| number(x).unwrap())
            .collect();
        assert_eq!(a[0], 1.0);
        assert!(a[1].is_nan());
        assert_eq!(a[2], f64::INFINITY);
        assert_eq!(a[3], f64::NEG_INFINITY);
        assert_eq!(number(&v["b"]), Some(f64::NEG_INFINITY));
        assert!(number(&v["c"]).unwrap().is_nan());
    }

    #[test]
    fn words_inside_strings_and_quoted_words_stay_text() {
        let v = read(r#"{"name": "NaN and Infinity \" NaN -Infinity", "q": "NaN", "n": [NaN]}"#);
        assert_eq!(v["name"], "NaN and Infinity \" NaN -Infinity");
        assert_eq!(v["q"], "NaN");
        assert_eq!(number(&v["q"]), None);
        assert!(is_marker(&v["n"][0]));
    }

    #[test]
    fn ordinary_json_and_errors_are_unchanged() {
        assert_eq!(read(r#"{"x": [1, 2.5e-3]}"#), json!({"x": [1, 2.5e-3]}));
        // Lower case is not Python's word, and stays an error at its place.
        let err = from_slice::<Value>(b"{\"x\": [1, nan]}").unwrap_err();
        assert!(err.to_string().contains("column 12"), "{err}");
        assert!(from_slice::<Value>(b"{\"x\": NaNa}").is_err());
    }

    #[test]
    fn markers_are_written_in_the_style_asked_for() {
        let v = json!({"a": [value_of(1.0), value_of(f64::NAN), value_of(f64::INFINITY), value_of(f64::NEG_INFINITY)], "s": "NaN"});
        let text = |style| String::from_utf8(to_text(&v, style, false)).unwrap();
        assert_eq!(
            text(NonFinite::Literal),
            r#"{"a":[1.0,NaN,Infinity,-Infinity],"s":"NaN"}"#
        );
        assert_eq!(
            text(NonFinite::String),
            r#"{"a":[1.0,"NaN","Infinity","-Infinity"],"s":"NaN"}"#
        );
        assert_eq!(
            text(NonFinite::Null),
            r#"{"a":[1.0,null,null,null],"s":"NaN"}"#
        );
        // What was written literally reads back as the same values.
        assert_eq!(read(&text(NonFinite::Literal)), v);
    }

    #[test]
    fn an_escaped_quote_before_a_nul_is_not_a_marker() {
        let mut m = Map::new();
        m.insert("k".into(), Value::String("a\"\0NaN".into()));
        m.insert("n".into(), value_of(f64::NAN));
        let text = String::from_utf8(to_text(&m, NonFinite::Literal, false)).unwrap();
        assert_eq!(text, r#"{"k":"a\"\u0000NaN","n":NaN}"#);
        assert_eq!(read(&text), Value::Object(m));
    }
}
