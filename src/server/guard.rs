//! Who may talk to the monitor, checked before any handler runs (see SECURITY.md):
//! - `Host` must name this monitor (its address, `localhost`, or a name allowed with `--allow-host`), so that a
//!   web page cannot reach it through DNS rebinding;
//! - a request that changes something (`DELETE`, server-function `POST`s) from a browser must come from the
//!   monitor's own pages (`Origin`), so that another site cannot delete runs;
//! - with an access token, every request must carry it (`Authorization: Bearer`, the cookie the dashboard sets,
//!   or `?token=`), compared in constant time.
//!
//! No CORS header is ever sent, so browsers keep other sites from reading any answer.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

/// The access rules of one running monitor.
#[derive(Clone, Debug)]
pub struct Guard {
    bound: SocketAddr,
    token: Option<String>,
    /// Host names (lowercase) accepted besides the bound address and `localhost`; `*` accepts any.
    allowed_hosts: Vec<String>,
}

impl Guard {
    pub fn new(bound: SocketAddr, token: Option<String>, allowed_hosts: Vec<String>) -> Self {
        Self {
            bound,
            token: token.filter(|t| !t.is_empty()),
            allowed_hosts: allowed_hosts
                .into_iter()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
                .collect(),
        }
    }

    /// A monitor on loopback without a token, as in-process tests build one.
    pub fn loopback() -> Self {
        Self::new(SocketAddr::from(([127, 0, 0, 1], 0)), None, Vec::new())
    }

    /// A new random token: 256 bits from the operating system's generator, as 64 hex digits.
    pub fn generate_token() -> String {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The cookie that carries the token for the dashboard; named by port, as cookies do not tell ports apart.
    fn cookie_name(&self) -> String {
        format!("asgard_token_{}", self.bound.port())
    }

    /// Whether `host` (a `Host` header: name or address, with or without port) names this monitor.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host).trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            let bound = self.bound.ip();
            return bound.is_unspecified()
                || ip == bound
                || (ip.is_loopback() && bound.is_loopback());
        }
        self.allowed_hosts.iter().any(|a| a == "*" || *a == name)
    }

    /// The token the request presents, and whether it came in the query string.
    fn presented<'a>(
        &self,
        headers: &'a HeaderMap,
        query: Option<&'a str>,
    ) -> Option<(String, bool)> {
        if let Some(bearer) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            return Some((bearer.trim().to_owned(), false));
        }
        let cookie_name = self.cookie_name();
        let from_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == cookie_name)
            .map(|(_, value)| value.to_owned());
        if let Some(value) = from_cookie {
            return Some((value, false));
        }
        form_urlencoded::parse(query?.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| (v.into_owned(), true))
    }
}

/// The name or address of a `Host` header, without its port (and without the brackets of an IPv6 address).
fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    }
}

fn refuse(status: StatusCode, message: String) -> Response {
    let mut response = (status, axum::Json(json!({ "error": message }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"asgard\""),
        );
    }
    response
}

/// The middleware: applies the [`Guard`] to every request, and adds headers that keep pages out of frames
/// and tokens out of `Referer`.
pub async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    // Requests without `Host` come from no browser (browsers always send it), so rebinding cannot be one.
    let host = headers
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("(not text)").to_owned());
    if let Some(host) = &host {
        if !guard.host_allowed(host) {
            return refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "Host `{host}` is not an address of this monitor; if you reach it by that name, start it with \
                     --allow-host {}",
                    host_name(host)
                ),
            );
        }
    }
    let method = request.method().clone();
    if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let own = host.as_ref().map(|h| format!("http://{h}"));
            if own.as_deref() != origin.to_str().ok() {
                return refuse(
                    StatusCode::FORBIDDEN,
                    format!(
                        "a {method} from another site (Origin {}) is refused: changes come only from this \
                         monitor's own pages",
                        origin.to_str().unwrap_or("(not text)")
                    ),
                );
            }
        }
    }
    let mut set_cookie = None;
    if let Some(token) = guard.token() {
        let presented = guard.presented(headers, request.uri().query());
        match presented {
            Some((given, from_query)) if bool::from(given.as_bytes().ct_eq(token.as_bytes())) => {
                if from_query {
                    set_cookie = Some(format!(
                        "{}={token}; Path=/; HttpOnly; SameSite=Strict",
                        guard.cookie_name()
                    ));
                    // A page opened from the printed URL: set the cookie and drop the token from the address bar.
                    let wants_page = headers
                        .get(header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|a| a.contains("text/html"));
                    if method == Method::GET && wants_page {
                        let rest: String = form_urlencoded::Serializer::new(String::new())
                            .extend_pairs(
                                form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                                    .filter(|(k, _)| k != "token"),
                            )
                            .finish();
                        let path = request.uri().path();
                        let target = if rest.is_empty() {
                            path.to_owned()
                        } else {
                            format!("{path}?{rest}")
                        };
                        let mut response = (
                            StatusCode::SEE_OTHER,
                            [(header::LOCATION, target)],
                        )
                            .into_response();
                        if let Ok(cookie) = HeaderValue::from_str(set_cookie.as_deref().unwrap_or("")) {
                            response.headers_mut().insert(header::SET_COOKIE, cookie);
                        }
                        return secure(response);
                    }
                }
            }
            Some(_) => {
                return secure(refuse(
                    StatusCode::UNAUTHORIZED,
                    "the access token is wrong: use the one the monitor printed with its URL".into(),
                ))
            }
            None => {
                return secure(refuse(
                    StatusCode::UNAUTHORIZED,
                    "this monitor needs its access token: open the URL it printed (…/?token=…), or send \
                     `Authorization: Bearer <token>`"
                        .into(),
                ))
            }
        }
    }
    let mut response = next.run(request).await;
    if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    secure(response)
}

fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_this_monitor_or_is_refused() {
        let local = Guard::new(
            "127.0.0.1:8000".parse().unwrap(),
            None,
            vec!["Sim.Lab.example".into()],
        );
        for ok in [
            "127.0.0.1:8000",
            "localhost:8000",
            "LOCALHOST",
            "app.localhost:1",
            "[::1]:8000",
            "sim.lab.example:8000",
            "sim.lab.example.",
        ] {
            assert!(local.host_allowed(ok), "{ok}");
        }
        for refused in [
            "evil.example:8000",
            "10.0.0.5:8000",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "",
        ] {
            assert!(!local.host_allowed(refused), "{refused}");
        }
        let lan = Guard::new("10.0.0.5:8000".parse().unwrap(), None, Vec::new());
        assert!(lan.host_allowed("10.0.0.5:8000"));
        assert!(!lan.host_allowed("10.0.0.6:8000"));
        let any = Guard::new("0.0.0.0:8000".parse().unwrap(), None, Vec::new());
        assert!(any.host_allowed("192.168.1.20:8000"));
        assert!(!any.host_allowed("rebind.evil.example:8000"));
        let star = Guard::new("0.0.0.0:8000".parse().unwrap(), None, vec!["*".into()]);
        assert!(star.host_allowed("anything.example"));
    }

    #[test]
    fn tokens_are_long_random_and_empty_means_none() {
        let (a, b) = (Guard::generate_token(), Guard::generate_token());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(
            Guard::new(
                "127.0.0.1:1".parse().unwrap(),
                Some(String::new()),
                Vec::new()
            )
            .token(),
            None
        );
    }
}
