//! The head of the SPA's shell for one article or profile page: its title, description, canonical address,
//! Open Graph and Twitter card tags. nginx asks for it (an `auth_request` subrequest) when it serves
//! `/article/…` or `/profile/…`, and puts it into `index.html` in place of the generic title — so a shared link
//! previews the page, and crawlers that run no JavaScript see what it is about.
//!
//! The answer is `204` with the markup in `X-Page-Head` (pure ASCII, every value escaped; no script: the CSP
//! stays strict), or `403` when there is no such page: for nginx's `auth_request` a 403 is the one refusal it
//! passes on, and nginx turns it into the shell with a 404.

use axum::{
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use db_client::{DbError, ViewerQuery};

use super::{escape, SiteUrl};
use crate::{
    error::ApiError,
    extract::{Db, Path},
};

/// The header carrying the markup.
pub const PAGE_HEAD: HeaderName = HeaderName::from_static("x-page-head");

/// Longest description put into a preview, in characters.
const DESCRIPTION_CHARS: usize = 300;

/// What a page's head says.
struct Head<'a> {
    title: &'a str,
    description: String,
    kind: &'static str,
    path: String,
    image: Option<&'a str>,
}

pub async fn article_head(
    Db(db): Db,
    site: SiteUrl,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let found = db.find_article_by_slug(&slug, ViewerQuery::default()).await;
    head_of(&site, found, |article| Head {
        title: &article.title,
        description: escape::excerpt(&article.description, DESCRIPTION_CHARS),
        kind: "article",
        path: format!("/article/{}", escape::path_segment(&article.slug)),
        image: article.author.image.as_deref(),
    })
}

pub async fn profile_head(
    Db(db): Db,
    site: SiteUrl,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let found = db.find_profile(&username, ViewerQuery::default()).await;
    head_of(&site, found, |profile| {
        let bio = profile
            .bio
            .as_deref()
            .map(|bio| escape::excerpt(bio, DESCRIPTION_CHARS));
        Head {
            title: &profile.username,
            description: bio.unwrap_or_else(|| format!("{} writes on Conduit.", profile.username)),
            kind: "profile",
            path: format!("/profile/{}", escape::path_segment(&profile.username)),
            image: profile.image.as_deref(),
        }
    })
}

/// The head of the page about what db-service `found`; a page about nothing there gets no head.
fn head_of<T>(
    site: &SiteUrl,
    found: Result<T, DbError>,
    head: impl FnOnce(&T) -> Head<'_>,
) -> Result<Response, ApiError> {
    match found {
        Ok(subject) => Ok(head_response(site, &head(&subject))),
        Err(DbError::NotFound { .. }) => Ok(StatusCode::FORBIDDEN.into_response()),
        Err(e) => Err(e.into()),
    }
}

fn head_response(site: &SiteUrl, head: &Head<'_>) -> Response {
    let markup = head_markup(site, head);
    let mut response = StatusCode::NO_CONTENT.into_response();
    match HeaderValue::from_str(&markup) {
        Ok(value) => {
            response.headers_mut().insert(PAGE_HEAD, value);
            response
        }
        // Unreachable: the markup is ASCII without control characters. The generic shell is the fallback.
        Err(_) => response,
    }
}

/// The tags, every value escaped to ASCII.
fn head_markup(site: &SiteUrl, head: &Head<'_>) -> String {
    let e = escape::ascii_html;
    let url = site.join(&head.path);
    let title = format!("{} — Conduit", head.title);
    let mut markup = format!(
        "<title>{}</title>\
         <meta name=\"description\" content=\"{}\">\
         <link rel=\"canonical\" href=\"{}\">\
         <meta property=\"og:site_name\" content=\"Conduit\">\
         <meta property=\"og:type\" content=\"{}\">\
         <meta property=\"og:title\" content=\"{}\">\
         <meta property=\"og:description\" content=\"{}\">\
         <meta property=\"og:url\" content=\"{}\">\
         <meta name=\"twitter:card\" content=\"summary\">",
        e(&title),
        e(&head.description),
        e(&url),
        head.kind,
        e(head.title),
        e(&head.description),
        e(&url),
    );
    if let Some(image) = head.image {
        markup.push_str(&format!(
            "<meta property=\"og:image\" content=\"{}\">",
            e(image)
        ));
    }
    markup
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_titles_cannot_leave_their_attribute() {
        let site = SiteUrl("https://conduit.example".into());
        let head = Head {
            title: "\"><script>alert(1)</script>",
            description: "<img src=x onerror=alert(1)> café".into(),
            kind: "article",
            path: "/article/x".into(),
            image: Some("https://i.example/a.png\" onload=\"alert(1)"),
        };
        let markup = head_markup(&site, &head);
        assert!(markup.is_ascii());
        for injected in ["<script", "<img", "\" onload"] {
            assert!(!markup.contains(injected), "{markup}");
        }
        assert!(
            markup.starts_with("<title>&quot;&gt;&lt;script&gt;"),
            "{markup}"
        );
        assert!(HeaderValue::from_str(&markup).is_ok());
    }
}
