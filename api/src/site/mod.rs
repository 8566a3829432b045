//! What the site offers besides the JSON API, for feed readers, crawlers and link previews: Atom feeds
//! (`/feed.atom`), sitemaps (`/sitemap.xml`, `/sitemaps/…`), `/robots.txt`, and the head of the SPA's shell for
//! an article or profile page (`/page-meta/…`, asked by nginx). Every value from a user is escaped.

mod escape;
mod feed;
mod meta;
mod sitemap;

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
    routing::get,
    Router,
};

use crate::{extract::header_text, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feed.atom", get(feed::atom_feed))
        .route("/sitemap.xml", get(sitemap::sitemap_index))
        .route("/sitemaps/{kind}/{page}", get(sitemap::sitemap_page))
        .route("/robots.txt", get(sitemap::robots))
        .route("/page-meta/article/{slug}", get(meta::article_head))
        .route("/page-meta/profile/{username}", get(meta::profile_head))
}

/// The site's public address, without a trailing slash, for the absolute URLs feeds, sitemaps and link previews
/// need: `PUBLIC_URL` when configured, else the address the request came to (nginx passes `Host` and
/// `X-Forwarded-Proto`), when it looks like a host name.
#[derive(Debug, Clone)]
pub struct SiteUrl(String);

impl SiteUrl {
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl FromRequestParts<AppState> for SiteUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(url) = &state.public_url {
            return Ok(SiteUrl(url.clone()));
        }
        let header = |name| header_text(&parts.headers, name).map(str::trim);
        let scheme = match header("x-forwarded-proto") {
            Some("https") => "https",
            _ => "http",
        };
        let host = header(header::HOST.as_str())
            .filter(|host| {
                !host.is_empty()
                    && host.len() <= 255
                    && host.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            })
            .unwrap_or("localhost");
        Ok(SiteUrl(format!("{scheme}://{host}")))
    }
}
