//! Content negotiation: which encodings a request's `Accept-Encoding` takes, and the items of such comma-separated
//! headers.

use axum::http::{header, HeaderMap, HeaderName};

/// The comma-separated items of every `name` header, trimmed (`If-None-Match: "a", "b"` → `"a"`, `"b"`).
pub fn items<'a>(headers: &'a HeaderMap, name: &HeaderName) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// Whether the request takes `coding` (`gzip`, `br`): named, or covered by `*`, with a weight above zero
/// (`br;q=0` refuses brotli).
pub fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    let weights = items(headers, &header::ACCEPT_ENCODING).filter_map(|entry| {
        let mut parts = entry.split(';');
        let name = parts.next()?.trim().to_ascii_lowercase();
        let weight = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        Some((name, weight))
    });
    let mut wildcard = None;
    for (name, weight) in weights {
        if name == coding {
            return weight > 0.0;
        }
        if name == "*" {
            wildcard = Some(weight > 0.0);
        }
    }
    wildcard.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn takes(value: &str, coding: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        accepts(&headers, coding)
    }

    #[test]
    fn codings_are_taken_by_name_or_wildcard_unless_weighted_zero() {
        assert!(takes("gzip, deflate, br, zstd", "br"));
        assert!(takes("GZIP", "gzip"));
        assert!(!takes("gzip", "br"));
        assert!(!takes("gzip, br;q=0", "br"));
        assert!(takes("br;q=0.5", "br"));
        assert!(takes("*", "br"));
        assert!(!takes("*;q=0", "gzip"));
        assert!(!takes("*, gzip;q=0", "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }
}
