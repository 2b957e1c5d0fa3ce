//! The page's routes: the page, its two assets (embedded in the binary, so a game-day room
//! needs no network) and the state. Read-only by design: there is no route that takes a body,
//! every route answers `GET` and `HEAD` only, anything else is `405`, an unknown path `404`.

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::Full;

/// The page.
pub const INDEX_HTML: &str = include_str!("../assets/index.html");
pub const SCREEN_CSS: &str = include_str!("../assets/screen.css");
pub const SCREEN_JS: &str = include_str!("../assets/screen.js");

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Page,
    Css,
    Js,
    State,
}

/// The route for `method path`, or the status that refuses it.
pub fn route(method: &Method, path: &str) -> Result<Route, StatusCode> {
    let route = match path {
        "/" | "/index.html" => Route::Page,
        "/screen.css" => Route::Css,
        "/screen.js" => Route::Js,
        "/api/state" => Route::State,
        _ => return Err(StatusCode::NOT_FOUND),
    };
    if method == Method::GET || method == Method::HEAD { Ok(route) } else { Err(StatusCode::METHOD_NOT_ALLOWED) }
}

/// An embedded asset, or `None` for the state.
pub fn asset(route: Route) -> Option<(&'static str, &'static str)> {
    match route {
        Route::Page => Some(("text/html; charset=utf-8", INDEX_HTML)),
        Route::Css => Some(("text/css; charset=utf-8", SCREEN_CSS)),
        Route::Js => Some(("text/javascript; charset=utf-8", SCREEN_JS)),
        Route::State => None,
    }
}

/// A response with `body` of `content_type`; never cached, since the state changes every
/// second and a host may be rebuilt between drills.
pub fn ok(method: &Method, content_type: &'static str, body: Bytes) -> http::Response<Full<Bytes>> {
    let body = if method == Method::HEAD { Bytes::new() } else { body };
    let mut resp = http::Response::new(Full::new(body));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    resp
}

/// A refusal, in plain text; a 405 says what is allowed.
pub fn refuse(status: StatusCode, method: &Method, path: &str) -> http::Response<Full<Bytes>> {
    let text = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!("{method} {path}: the game-day screen is read-only (GET only)\n"),
        _ => format!("no page {path}; the game-day screen is at /\n"),
    };
    let mut resp = ok(method, "text/plain; charset=utf-8", Bytes::from(text));
    *resp.status_mut() = status;
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_read_only_and_the_rest_is_not_found() {
        for path in ["/", "/index.html", "/screen.css", "/screen.js", "/api/state"] {
            assert!(route(&Method::GET, path).is_ok(), "{path}");
            assert!(route(&Method::HEAD, path).is_ok(), "{path}");
            for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
                assert_eq!(route(&method, path), Err(StatusCode::METHOD_NOT_ALLOWED), "{method} {path}");
            }
        }
        for path in ["/api/state/", "/api", "/debrief", "/../Cargo.toml", "/screen.js.map", ""] {
            assert_eq!(route(&Method::GET, path), Err(StatusCode::NOT_FOUND), "{path}");
        }
        assert_eq!(
            route(&Method::POST, "/nope"),
            Err(StatusCode::NOT_FOUND),
            "unknown paths are 404 whatever the method"
        );
    }

    #[test]
    fn the_page_links_its_assets_and_fetches_no_network() {
        assert!(INDEX_HTML.contains(r#"href="screen.css""#) && INDEX_HTML.contains(r#"src="screen.js""#));
        for asset in [INDEX_HTML, SCREEN_CSS, SCREEN_JS] {
            assert!(!asset.contains("http://") && !asset.contains("https://") && !asset.contains("//cdn"), "{asset}");
        }
        assert!(SCREEN_JS.contains("api/state"));
    }

    #[test]
    fn a_refusal_says_what_is_allowed() {
        let resp = refuse(StatusCode::METHOD_NOT_ALLOWED, &Method::POST, "/api/state");
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(resp.headers()[header::ALLOW], "GET, HEAD");
        assert_eq!(refuse(StatusCode::NOT_FOUND, &Method::GET, "/x").status(), StatusCode::NOT_FOUND);
    }
}
