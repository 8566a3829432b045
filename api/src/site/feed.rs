//! Atom 1.0 feeds of the newest articles (`/feed.atom`, narrowed by `?tag=` or `?author=`): each entry with its
//! title, link, author, dates, summary (the description) and content (the body rendered to HTML by the same
//! renderer and rules as the SPA). Conditional requests are answered 304 from a cheap read, before any body is
//! fetched or rendered.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use db_client::{ArticleFilter, ArticlePage};
use serde::Deserialize;

use super::{escape, SiteUrl};
use crate::{
    domain::{article::TagList, user::Username, FieldErrors},
    error::ApiError,
    extract::{header_text, Db, Query},
};

/// Entries in a feed.
const FEED_SIZE: u32 = 20;

/// A feed's filters.
#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    tag: Option<String>,
    author: Option<String>,
}

pub async fn atom_feed(
    Db(db): Db,
    site: SiteUrl,
    Query(query): Query<FeedQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::default();
    for (field, value, max) in [
        ("tag", &query.tag, TagList::MAX_TAG_CHARS),
        ("author", &query.author, Username::MAX_CHARS),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            errors.add(field, format!("is too long (maximum is {max} characters)"));
        }
    }
    errors.or(())?;
    let filter = ArticleFilter {
        tag: query.tag.clone(),
        author: query.author.clone(),
        limit: FEED_SIZE,
        ..ArticleFilter::default()
    };
    // Without bodies first (anonymous lists are cached by db-service): enough to answer a revalidation.
    let listed = db.list_articles(&filter).await?;
    let validators = Validators::of(&listed);
    if validators.satisfied_by(&headers) {
        return Ok(validators.apply(StatusCode::NOT_MODIFIED.into_response()));
    }
    let full = db
        .list_articles(&ArticleFilter {
            with_bodies: true,
            ..filter
        })
        .await?;
    let validators = Validators::of(&full);
    let xml = render(&site, &query, &full, &validators.updated);
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/atom+xml; charset=utf-8"),
        )],
        xml,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(validators.apply(response))
}

/// The ETag and Last-Modified of a feed, from what its entries show (a body edit changes `updated_at`).
struct Validators {
    etag: String,
    /// The newest entry's `updated_at` (ISO 8601), or the epoch for an empty feed.
    updated: String,
}

impl Validators {
    fn of(page: &ArticlePage) -> Self {
        let mut hasher = DefaultHasher::new();
        for article in &page.articles {
            (
                &article.slug,
                &article.updated_at,
                &article.title,
                &article.description,
                &article.tags,
                &article.author.username,
            )
                .hash(&mut hasher);
        }
        let updated = page
            .articles
            .iter()
            .map(|a| a.updated_at.as_str())
            .max()
            .unwrap_or("1970-01-01T00:00:00.000Z")
            .to_owned();
        Self {
            etag: format!("\"{:016x}\"", hasher.finish()),
            updated,
        }
    }

    /// Whether the client's copy is current: `If-None-Match` names this ETag, or (without it)
    /// `If-Modified-Since` is not older than the newest entry.
    fn satisfied_by(&self, headers: &HeaderMap) -> bool {
        if let Some(tags) = header_text(headers, header::IF_NONE_MATCH) {
            return tags
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == self.etag);
        }
        let since = header_text(headers, header::IF_MODIFIED_SINCE)
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok());
        match (since, chrono::DateTime::parse_from_rfc3339(&self.updated)) {
            (Some(since), Ok(updated)) => updated.timestamp() <= since.timestamp(),
            _ => false,
        }
    }

    fn apply(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, etag);
        }
        let http_date = chrono::DateTime::parse_from_rfc3339(&self.updated)
            .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
        if let Ok(Ok(date)) = http_date.map(|d| HeaderValue::from_str(&d)) {
            headers.insert(header::LAST_MODIFIED, date);
        }
        response
    }
}

/// The feed document.
fn render(site: &SiteUrl, query: &FeedQuery, page: &ArticlePage, updated: &str) -> String {
    let (title, self_query) = match (&query.tag, &query.author) {
        (Some(tag), _) => (
            format!("Conduit: #{tag}"),
            format!("?tag={}", escape::path_segment(tag)),
        ),
        (None, Some(author)) => (
            format!("Conduit: {author}"),
            format!("?author={}", escape::path_segment(author)),
        ),
        (None, None) => ("Conduit".to_owned(), String::new()),
    };
    let feed_url = site.join(&format!("/feed.atom{self_query}"));
    let mut xml = String::with_capacity(4096);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    push_element(&mut xml, 1, "id", &feed_url);
    push_element(&mut xml, 1, "title", &title);
    push_element(&mut xml, 1, "updated", updated);
    xml.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape::xml(&feed_url),
        escape::xml(&site.join("/"))
    ));
    for article in &page.articles {
        let url = site.join(&format!("/article/{}", escape::path_segment(&article.slug)));
        let author = &article.author.username;
        xml.push_str("  <entry>\n");
        push_element(&mut xml, 2, "id", &url);
        push_element(&mut xml, 2, "title", &article.title);
        xml.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape::xml(&url)
        ));
        xml.push_str("    <author>\n");
        push_element(&mut xml, 3, "name", author);
        push_element(
            &mut xml,
            3,
            "uri",
            &site.join(&format!("/profile/{}", escape::path_segment(author))),
        );
        xml.push_str("    </author>\n");
        push_element(&mut xml, 2, "published", &article.created_at);
        push_element(&mut xml, 2, "updated", &article.updated_at);
        for tag in &article.tags {
            xml.push_str(&format!("    <category term=\"{}\"/>\n", escape::xml(tag)));
        }
        push_element(&mut xml, 2, "summary", &article.description);
        let html = conduit_markdown::render_html(article.body.as_deref().unwrap_or_default());
        xml.push_str(&format!(
            "    <content type=\"html\">{}</content>\n",
            escape::xml(&html)
        ));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// `<name>text</name>` on its own line, indented `depth` levels.
fn push_element(xml: &mut String, depth: usize, name: &str, text: &str) {
    xml.push_str(&"  ".repeat(depth));
    xml.push_str(&format!("<{name}>{}</{name}>\n", escape::xml(text)));
}
