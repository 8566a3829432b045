//! `/api/articles`.

use api_types::{Article, ArticleEnvelope, ArticleList, NewArticle};

use super::{build, send, ApiError};

/// Page size of every article list in the app.
pub const PAGE_SIZE: u32 = 10;

/// Which articles a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleQuery {
    /// Only this tag.
    pub tag: Option<String>,
    /// Only by this author.
    pub author: Option<String>,
    /// Only favorited by this user.
    pub favorited: Option<String>,
    /// Zero-based page number.
    pub page: u32,
}

impl ArticleQuery {
    fn to_query_string(&self) -> String {
        let mut parts = vec![
            format!("limit={PAGE_SIZE}"),
            format!("offset={}", u64::from(self.page) * u64::from(PAGE_SIZE)),
        ];
        let filters = [
            ("tag", &self.tag),
            ("author", &self.author),
            ("favorited", &self.favorited),
        ];
        for (key, value) in filters {
            if let Some(value) = value {
                parts.push(format!("{key}={}", js_sys_encode(value)));
            }
        }
        parts.join("&")
    }
}

fn js_sys_encode(value: &str) -> String {
    String::from(web_sys::js_sys::encode_uri_component(value))
}

/// `GET /api/articles?…`.
pub async fn list(query: &ArticleQuery) -> Result<ArticleList, ApiError> {
    send(build("GET", &format!("/articles?{}", query.to_query_string())).build()).await
}

/// `GET /api/articles/:slug`.
pub async fn get(slug: &str) -> Result<Article, ApiError> {
    let path = format!("/articles/{}", js_sys_encode(slug));
    let envelope: ArticleEnvelope<Article> = send(build("GET", &path).build()).await?;
    Ok(envelope.article)
}

/// `POST /api/articles`.
pub async fn create(article: NewArticle) -> Result<Article, ApiError> {
    let envelope: ArticleEnvelope<Article> =
        send(build("POST", "/articles").json(&ArticleEnvelope { article })).await?;
    Ok(envelope.article)
}
