//! `/api/articles`, comments, favorites and tags.

use api_types::{
    Article, ArticleEnvelope, ArticleList, Comment, CommentEnvelope, CommentList, NewArticle,
    NewComment, TagList, UpdateArticle,
};

use super::{build, fetch, send_empty, send_json, ApiError, Method};

/// Page size of every article list in the app.
pub const PAGE_SIZE: u32 = 10;

/// Which articles a list shows: all, the feed, or those of one filter (the pages never combine them).
#[derive(Debug, Clone, PartialEq)]
pub enum ArticleSource {
    /// Every article, newest first.
    Global,
    /// The signed-in user's feed: articles by the authors they follow.
    Feed,
    /// Only articles with this tag.
    Tag(String),
    /// Only articles by this author.
    Author(String),
    /// Only articles favorited by this user.
    Favorited(String),
    /// Only articles matching these words, best match first.
    Search(String),
}

/// One page of a list of articles.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleQuery {
    /// Which articles.
    pub source: ArticleSource,
    /// Zero-based page number.
    pub page: u32,
}

impl ArticleQuery {
    fn to_path(&self) -> String {
        let (base, filter) = match &self.source {
            ArticleSource::Global => ("/articles", None),
            ArticleSource::Feed => ("/articles/feed", None),
            ArticleSource::Tag(tag) => ("/articles", Some(("tag", tag))),
            ArticleSource::Author(name) => ("/articles", Some(("author", name))),
            ArticleSource::Favorited(name) => ("/articles", Some(("favorited", name))),
            ArticleSource::Search(words) => ("/articles", Some(("q", words))),
        };
        let offset = u64::from(self.page) * u64::from(PAGE_SIZE);
        let mut path = format!("{base}?limit={PAGE_SIZE}&offset={offset}");
        if let Some((key, value)) = filter {
            path.push_str(&format!("&{key}={}", encode(value)));
        }
        path
    }
}

/// Percent-encodes a path segment or query value.
pub fn encode(value: &str) -> String {
    String::from(web_sys::js_sys::encode_uri_component(value))
}

fn article_path(slug: &str) -> String {
    format!("/articles/{}", encode(slug))
}

/// `GET /api/articles?…` or `GET /api/articles/feed?…`.
pub async fn list(query: &ArticleQuery) -> Result<ArticleList, ApiError> {
    fetch(Method::GET, &query.to_path()).await
}

/// `GET /api/articles/:slug`.
pub async fn get(slug: &str) -> Result<Article, ApiError> {
    let envelope: ArticleEnvelope<Article> = fetch(Method::GET, &article_path(slug)).await?;
    Ok(envelope.article)
}

/// `POST /api/articles`.
pub async fn create(article: NewArticle) -> Result<Article, ApiError> {
    let envelope: ArticleEnvelope<Article> =
        send_json(Method::POST, "/articles", &ArticleEnvelope { article }).await?;
    Ok(envelope.article)
}

/// `PUT /api/articles/:slug`.
pub async fn update(slug: &str, article: UpdateArticle) -> Result<Article, ApiError> {
    let envelope: ArticleEnvelope<Article> = send_json(
        Method::PUT,
        &article_path(slug),
        &ArticleEnvelope { article },
    )
    .await?;
    Ok(envelope.article)
}

/// `DELETE /api/articles/:slug`.
pub async fn delete(slug: &str) -> Result<(), ApiError> {
    send_empty(build(Method::DELETE, &article_path(slug)).build()).await
}

/// `POST` (favorite) or `DELETE` (unfavorite) `/api/articles/:slug/favorite`.
pub async fn set_favorite(slug: &str, favorite: bool) -> Result<Article, ApiError> {
    let method = if favorite {
        Method::POST
    } else {
        Method::DELETE
    };
    let envelope: ArticleEnvelope<Article> =
        fetch(method, &format!("{}/favorite", article_path(slug))).await?;
    Ok(envelope.article)
}

/// Comments per page of an article's comments.
pub const COMMENTS_PAGE_SIZE: u32 = 20;

/// `GET /api/articles/:slug/comments?limit=&offset=`: the page of comments from `offset` on (oldest first) and
/// how many there are in all.
pub async fn comments(slug: &str, offset: u64) -> Result<CommentList, ApiError> {
    let path = format!(
        "{}/comments?limit={COMMENTS_PAGE_SIZE}&offset={offset}",
        article_path(slug)
    );
    fetch(Method::GET, &path).await
}

/// `POST /api/articles/:slug/comments`.
pub async fn add_comment(slug: &str, body: String) -> Result<Comment, ApiError> {
    let path = format!("{}/comments", article_path(slug));
    let comment = CommentEnvelope {
        comment: NewComment { body },
    };
    let envelope: CommentEnvelope<Comment> = send_json(Method::POST, &path, &comment).await?;
    Ok(envelope.comment)
}

/// `DELETE /api/articles/:slug/comments/:id`.
pub async fn delete_comment(slug: &str, id: i64) -> Result<(), ApiError> {
    send_empty(
        build(
            Method::DELETE,
            &format!("{}/comments/{id}", article_path(slug)),
        )
        .build(),
    )
    .await
}

/// `GET /api/tags`.
pub async fn tags() -> Result<Vec<String>, ApiError> {
    let list: TagList = fetch(Method::GET, "/tags").await?;
    Ok(list.tags)
}
