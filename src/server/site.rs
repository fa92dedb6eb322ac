//! The compiled front end (WASM, JS, CSS, public files) served from inside the binary. A release build carries
//! it (`build.rs` embeds the precompressed site folder), so that `asgard` copied alone anywhere serves the whole
//! dashboard, and a release binary never serves a debug front end it would not hydrate with. Each file goes
//! out in the encoding the browser prefers among those built (brotli, gzip, none), with its media type, an
//! `ETag` per encoding and `Cache-Control: no-cache` (the file names carry no hash, so a browser asks again and
//! gets a 304 while nothing changed).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

use crate::server::encoding::{accepts, items};

/// One file of the site, as `build.rs` embeds it.
#[derive(Debug)]
pub struct Asset {
    /// From the site's root: `/pkg/asgard.wasm`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// A hash of the file's bytes.
    pub etag: &'static str,
    pub identity: &'static [u8],
    pub gzip: &'static [u8],
    pub brotli: &'static [u8],
}

// `EMBEDDED`: the files this binary carries, sorted by path; empty in a debug build.
include!(concat!(env!("OUT_DIR"), "/site.rs"));

/// Where the front end's files come from.
#[derive(Clone, Copy, Debug)]
pub enum FrontEnd {
    /// Carried inside the binary.
    Embedded(&'static [Asset]),
    /// Read from the site folder on disk (`LEPTOS_SITE_ROOT`, as cargo-leptos serves a build it just made).
    Disk,
}

impl FrontEnd {
    /// The binary's own front end when it carries one, unless `LEPTOS_SITE_ROOT` asks for a folder on disk.
    pub fn chosen() -> Self {
        if EMBEDDED.is_empty() || std::env::var_os("LEPTOS_SITE_ROOT").is_some() {
            Self::Disk
        } else {
            Self::Embedded(EMBEDDED)
        }
    }

    /// The response for a request of one of the embedded files; `None` for anything else (a page, a file
    /// on disk).
    pub fn respond(&self, request: &Request<Body>) -> Option<Response<Body>> {
        let Self::Embedded(assets) = self else {
            return None;
        };
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let asset = assets
            .binary_search_by(|a| a.path.cmp(request.uri().path()))
            .ok()
            .map(|i| &assets[i])?;
        Some(serve(
            asset,
            request.headers(),
            request.method() == Method::HEAD,
        ))
    }
}

fn serve(asset: &Asset, headers: &HeaderMap, head: bool) -> Response<Body> {
    // The encodings built, best first, each with the suffix its `ETag` gets.
    let encoded = [("br", "br", asset.brotli), ("gzip", "gz", asset.gzip)];
    let (body, coding) = encoded
        .into_iter()
        .find(|(coding, ..)| accepts(headers, coding))
        .map(|(coding, suffix, body)| (body, Some((coding, suffix))))
        .unwrap_or((asset.identity, None));
    let etag = match coding {
        Some((_, suffix)) => format!("\"{}-{suffix}\"", asset.etag),
        None => format!("\"{}\"", asset.etag),
    };
    let unchanged = items(headers, &header::IF_NONE_MATCH)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    let mut response = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::VARY, "accept-encoding");
    if unchanged {
        response = response.status(StatusCode::NOT_MODIFIED);
        return response.body(Body::empty()).expect("valid headers");
    }
    response = response
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )
        .header(header::CONTENT_LENGTH, body.len());
    if let Some((coding, _)) = coding {
        response = response.header(header::CONTENT_ENCODING, coding);
    }
    let body = if head {
        Body::empty()
    } else {
        Body::from(body)
    };
    response.body(body).expect("valid headers")
}

#[cfg(test)]
mod tests {
    use super::*;

    static ASSETS: &[Asset] = &[
        Asset {
            path: "/favicon.svg",
            content_type: "image/svg+xml",
            etag: "00000000000000aa",
            identity: b"<svg/>",
            gzip: b"gz:<svg/>",
            brotli: b"br:<svg/>",
        },
        Asset {
            path: "/pkg/asgard.wasm",
            content_type: "application/wasm",
            etag: "00000000000000bb",
            identity: b"\0asm",
            gzip: b"gz:\0asm",
            brotli: b"br:\0asm",
        },
    ];

    fn get(path: &str, headers: &[(&str, &str)]) -> Option<Response<Body>> {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        FrontEnd::Embedded(ASSETS).respond(&request.body(Body::empty()).unwrap())
    }

    fn header(response: &Response<Body>, name: header::HeaderName) -> &str {
        response
            .headers()
            .get(name)
            .map_or("", |v| v.to_str().unwrap())
    }

    #[test]
    fn each_file_goes_out_in_the_best_encoding_the_browser_takes() {
        let both = get(
            "/pkg/asgard.wasm",
            &[("accept-encoding", "gzip, deflate, br")],
        )
        .unwrap();
        assert_eq!(both.status(), StatusCode::OK);
        assert_eq!(header(&both, header::CONTENT_TYPE), "application/wasm");
        assert_eq!(header(&both, header::CONTENT_ENCODING), "br");
        assert_eq!(header(&both, header::ETAG), "\"00000000000000bb-br\"");
        assert_eq!(header(&both, header::CONTENT_LENGTH), "7");
        let gzip = get("/pkg/asgard.wasm", &[("accept-encoding", "gzip, br;q=0")]).unwrap();
        assert_eq!(header(&gzip, header::CONTENT_ENCODING), "gzip");
        assert_eq!(header(&gzip, header::ETAG), "\"00000000000000bb-gz\"");
        let plain = get("/favicon.svg", &[]).unwrap();
        assert_eq!(header(&plain, header::CONTENT_ENCODING), "");
        assert_eq!(header(&plain, header::CONTENT_LENGTH), "6");
        assert_eq!(header(&plain, header::ETAG), "\"00000000000000aa\"");
        assert_eq!(header(&plain, header::VARY), "accept-encoding");
    }

    #[test]
    fn an_unchanged_file_answers_304_and_other_requests_pass_on() {
        let again = get(
            "/pkg/asgard.wasm",
            &[
                ("accept-encoding", "br"),
                ("if-none-match", "\"00000000000000bb-br\""),
            ],
        )
        .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        // The tag of another encoding does not match this one.
        let other = get(
            "/pkg/asgard.wasm",
            &[("if-none-match", "\"00000000000000bb-br\"")],
        )
        .unwrap();
        assert_eq!(other.status(), StatusCode::OK);
        assert!(get("/", &[]).is_none(), "pages are rendered, not embedded");
        assert!(get("/pkg/other.js", &[]).is_none());
        assert!(get("/pkg/../favicon.svg", &[]).is_none());
        let post = Request::post("/favicon.svg").body(Body::empty()).unwrap();
        assert!(FrontEnd::Embedded(ASSETS).respond(&post).is_none());
        let disk = Request::get("/favicon.svg").body(Body::empty()).unwrap();
        assert!(FrontEnd::Disk.respond(&disk).is_none());
    }
}
