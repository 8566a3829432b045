//! Sitemaps (the sitemaps.org protocol) and robots.txt: an index naming one sitemap per page of ids, each listing
//! at most 50,000 article or profile addresses, so every file stays within the protocol's limits and costs one
//! bounded read.

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use db_client::{Entity, SitemapKind};

use super::{escape, SiteUrl};
use crate::{
    error::ApiError,
    extract::{Db, Path},
};

const XML: &str = "application/xml; charset=utf-8";

fn kind_name(kind: SitemapKind) -> &'static str {
    match kind {
        SitemapKind::Articles => "articles",
        SitemapKind::Profiles => "profiles",
    }
}

/// `/sitemap.xml`: the index of every sitemap page.
pub async fn sitemap_index(Db(db): Db, site: SiteUrl) -> Result<Response, ApiError> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for kind in [SitemapKind::Articles, SitemapKind::Profiles] {
        let pages = db.sitemap(kind, 0).await?.pages;
        for page in 1..=pages {
            let url = site.join(&format!("/sitemaps/{}/{page}", kind_name(kind)));
            xml.push_str(&format!(
                "  <sitemap><loc>{}</loc></sitemap>\n",
                escape::xml(&url)
            ));
        }
    }
    xml.push_str("</sitemapindex>\n");
    Ok(xml_response(xml))
}

/// `/sitemaps/{articles|profiles}/{page}`: the addresses of one page of ids.
pub async fn sitemap_page(
    Db(db): Db,
    site: SiteUrl,
    Path((kind, page)): Path<(SitemapKind, u32)>,
) -> Result<Response, ApiError> {
    if page == 0 {
        return Err(ApiError::NotFound(Entity::Route));
    }
    let found = db.sitemap(kind, page).await?;
    if page > found.pages {
        return Err(ApiError::NotFound(Entity::Route));
    }
    let prefix = match kind {
        SitemapKind::Articles => "/article/",
        SitemapKind::Profiles => "/profile/",
    };
    let mut xml = String::with_capacity(found.entries.len() * 120 + 200);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for entry in &found.entries {
        let url = site.join(&format!("{prefix}{}", escape::path_segment(&entry.key)));
        xml.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            escape::xml(&url),
            escape::xml(&entry.updated_at)
        ));
    }
    xml.push_str("</urlset>\n");
    Ok(xml_response(xml))
}

/// `/robots.txt`: everything may be crawled but the API; where the sitemap is.
pub async fn robots(site: SiteUrl) -> Response {
    let text = format!(
        "User-agent: *\nDisallow: /api/\nAllow: /\n\nSitemap: {}\n",
        site.join("/sitemap.xml")
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

fn xml_response(xml: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(XML))], xml).into_response()
}
