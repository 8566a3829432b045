//! Typed HTTP client for db-service's `/v1` API, used by the api.

use std::{sync::Arc, time::Duration};

use reqwest::{header::HeaderValue, Method, RequestBuilder, StatusCode, Url};
use serde::{de::DeserializeOwned, Serialize};

use crate::{
    ActorQuery, ArticleChanges, ArticleFilter, ArticlePage, ArticleRecord, AuthorView,
    BackupReport, CommentPage, CommentRecord, CommentsQuery, DbError, NewArticle, NewComment,
    NewUser, SitemapKind, SitemapPage, UserChanges, UserId, UserRecord, ViewerQuery, WireError,
    REQUEST_ID_HEADER, TOKEN_HEADER,
};

/// A cheap-to-clone handle on db-service. Keeps a keep-alive connection pool; every call carries the internal
/// token and, once scoped with [`DbClient::with_request_id`], the caller's request id.
#[derive(Debug, Clone)]
pub struct DbClient {
    shared: Arc<Shared>,
    request_id: Option<HeaderValue>,
}

#[derive(Debug)]
struct Shared {
    http: reqwest::Client,
    base: Url,
    token: HeaderValue,
}

/// How a db-service URL names a Unix socket: `unix:` and the socket's absolute path.
const UNIX_SCHEME: &str = "unix:";

/// The address calls over a Unix socket are made to.
const UNIX_BASE: &str = "http://db-service/";

impl DbClient {
    /// A client for db-service at `base_url` (e.g. `http://127.0.0.1:3001`, or `unix:/run/conduit/db.sock` for a
    /// db-service on the same machine serving a Unix socket); every call fails with [`DbError::Unavailable`] after
    /// `timeout`.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, DbError> {
        let unix_socket = base_url.strip_prefix(UNIX_SCHEME);
        let base = match unix_socket {
            // Every call goes to the socket; the address only names it in requests and logs.
            Some(_) => Url::parse(UNIX_BASE),
            None => Url::parse(base_url),
        }
        .map_err(|e| DbError::Protocol(format!("invalid db-service URL {base_url:?}: {e}")))?;
        if base.cannot_be_a_base() {
            return Err(DbError::Protocol(format!(
                "db-service URL {base_url:?} cannot take paths"
            )));
        }
        if unix_socket.is_some_and(|path| !path.starts_with('/')) {
            return Err(DbError::Protocol(format!(
                "db-service URL {base_url:?} must name the socket by its absolute path"
            )));
        }
        let mut token = HeaderValue::from_str(token)
            .map_err(|_| DbError::Protocol("internal token is not a valid header value".into()))?;
        token.set_sensitive(true);
        let mut http = reqwest::Client::builder();
        if let Some(path) = unix_socket {
            http = http.unix_socket(path);
        }
        let http = http
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            // Shorter than db-service's idle limit (conduit_runtime::serve::HEADER_READ_TIMEOUT, 30 s), so the
            // pool never sends a request on a connection db-service is closing.
            .pool_idle_timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| DbError::Protocol(format!("cannot build HTTP client: {e}")))?;
        Ok(Self {
            shared: Arc::new(Shared { http, base, token }),
            request_id: None,
        })
    }

    /// The same client, tagging every call with `request_id` so one id spans api and db-service logs.
    pub fn with_request_id(&self, request_id: &str) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            request_id: HeaderValue::from_str(request_id).ok(),
        }
    }

    /// `GET /readyz`: databases open and migrated.
    pub async fn ready(&self) -> Result<(), DbError> {
        let url = self.url(&["readyz"])?;
        let response = self
            .send_idempotent(|| self.request(Method::GET, url.clone()))
            .await?;
        expect_success(response).await.map(drop)
    }

    /// Stores a new user; [`DbError::Conflict`] names `username` or `email` when taken.
    #[tracing::instrument(skip_all)]
    pub async fn create_user(&self, user: &NewUser) -> Result<UserRecord, DbError> {
        let url = self.url(&["v1", "users"])?;
        self.send_once(self.request(Method::POST, url).json(user))
            .await
    }

    /// The user with this id.
    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn find_user_by_id(&self, id: UserId) -> Result<UserRecord, DbError> {
        let url = self.url(&["v1", "users", &id.0.to_string()])?;
        self.get(url, &()).await
    }

    /// The user with this e-mail (exact, case-insensitive match).
    #[tracing::instrument(skip_all)]
    pub async fn find_user_by_email(&self, email: &str) -> Result<UserRecord, DbError> {
        let url = self.url(&["v1", "users"])?;
        self.get(url, &[("email", email)]).await
    }

    /// Changes the given fields of a user; [`DbError::Conflict`] names a taken `username` or `email`.
    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<UserRecord, DbError> {
        let url = self.url(&["v1", "users", &id.0.to_string()])?;
        self.send_once(self.request(Method::PATCH, url).json(changes))
            .await
    }

    /// The profile of `username` as `viewer` sees it.
    #[tracing::instrument(skip_all)]
    pub async fn find_profile(
        &self,
        username: &str,
        viewer: ViewerQuery,
    ) -> Result<AuthorView, DbError> {
        let url = self.url(&["v1", "profiles", username])?;
        self.get(url, &viewer).await
    }

    /// Makes `follower` follow `username` (`follow`), or stop following; idempotent. Following oneself is
    /// [`DbError::Forbidden`].
    #[tracing::instrument(skip_all)]
    pub async fn set_follow(
        &self,
        username: &str,
        follower: UserId,
        follow: bool,
    ) -> Result<AuthorView, DbError> {
        let url = self.url(&[
            "v1",
            "profiles",
            username,
            "followers",
            &follower.0.to_string(),
        ])?;
        self.send_idempotent_json(relation_method(follow), url)
            .await
    }

    /// Stores a new article with its tags and returns it as the author sees it.
    #[tracing::instrument(skip_all)]
    pub async fn create_article(&self, article: &NewArticle) -> Result<ArticleRecord, DbError> {
        let url = self.url(&["v1", "articles"])?;
        self.send_once(self.request(Method::POST, url).json(article))
            .await
    }

    /// The article with this slug, as `viewer` sees it.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn find_article_by_slug(
        &self,
        slug: &str,
        viewer: ViewerQuery,
    ) -> Result<ArticleRecord, DbError> {
        let url = self.url(&["v1", "articles", slug])?;
        self.get(url, &viewer).await
    }

    /// Changes an article; only its author may ([`DbError::Forbidden`] otherwise).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn update_article(
        &self,
        slug: &str,
        changes: &ArticleChanges,
    ) -> Result<ArticleRecord, DbError> {
        let url = self.url(&["v1", "articles", slug])?;
        self.send_once(self.request(Method::PATCH, url).json(changes))
            .await
    }

    /// Deletes an article with its comments and favorites; only its author may.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn delete_article(&self, slug: &str, by: UserId) -> Result<(), DbError> {
        self.delete_as(self.url(&["v1", "articles", slug])?, by)
            .await
    }

    /// Adds the article to `user`'s favorites (`favorite`), or removes it; idempotent. Returns it as `user`
    /// sees it.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn set_favorite(
        &self,
        slug: &str,
        user: UserId,
        favorite: bool,
    ) -> Result<ArticleRecord, DbError> {
        let url = self.url(&["v1", "articles", slug, "favorites", &user.0.to_string()])?;
        self.send_idempotent_json(relation_method(favorite), url)
            .await
    }

    /// One page of the article's comments, oldest first, as the viewer sees their authors, with the count.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn list_comments(
        &self,
        slug: &str,
        query: CommentsQuery,
    ) -> Result<CommentPage, DbError> {
        let url = self.url(&["v1", "articles", slug, "comments"])?;
        self.get(url, &query).await
    }

    /// Adds a comment to the article.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn create_comment(
        &self,
        slug: &str,
        comment: &NewComment,
    ) -> Result<CommentRecord, DbError> {
        let url = self.url(&["v1", "articles", slug, "comments"])?;
        self.send_once(self.request(Method::POST, url).json(comment))
            .await
    }

    /// Deletes a comment; only its author may.
    #[tracing::instrument(skip_all, fields(slug, comment_id = id))]
    pub async fn delete_comment(&self, slug: &str, id: i64, by: UserId) -> Result<(), DbError> {
        let url = self.url(&["v1", "articles", slug, "comments", &id.to_string()])?;
        self.delete_as(url, by).await
    }

    /// Tags in use, most used first (at most [`crate::MAX_TAGS_LISTED`]).
    #[tracing::instrument(skip_all)]
    pub async fn list_tags(&self) -> Result<Vec<String>, DbError> {
        let url = self.url(&["v1", "tags"])?;
        self.get(url, &()).await
    }

    /// Page `page` (from 1; 0 for only the number of pages) of the sitemap of `kind`.
    #[tracing::instrument(skip_all)]
    pub async fn sitemap(&self, kind: SitemapKind, page: u32) -> Result<SitemapPage, DbError> {
        let kind = match kind {
            SitemapKind::Articles => "articles",
            SitemapKind::Profiles => "profiles",
        };
        let url = self.url(&["v1", "sitemap", kind, &page.to_string()])?;
        self.get(url, &()).await
    }

    /// Takes a verified backup of every database now.
    #[tracing::instrument(skip_all)]
    pub async fn backup(&self) -> Result<BackupReport, DbError> {
        let url = self.url(&["v1", "backups"])?;
        self.send_once(self.request(Method::POST, url)).await
    }

    /// One page of articles matching `filter`, newest first, with the total count.
    #[tracing::instrument(skip_all)]
    pub async fn list_articles(&self, filter: &ArticleFilter) -> Result<ArticlePage, DbError> {
        let url = self.url(&["v1", "articles"])?;
        self.get(url, filter).await
    }

    /// The same page as [`Self::list_articles`], as db-service's JSON, undecoded: it already is the public
    /// `GET /api/articles` body, so the api relays it without parsing and re-encoding twenty articles.
    pub async fn list_articles_json(
        &self,
        filter: &ArticleFilter,
    ) -> Result<bytes::Bytes, DbError> {
        let url = self.url(&["v1", "articles"])?;
        let response = self
            .send_idempotent(|| self.request(Method::GET, url.clone()).query(filter))
            .await?;
        expect_success(response)
            .await?
            .bytes()
            .await
            .map_err(transport_error)
    }

    fn url(&self, segments: &[&str]) -> Result<Url, DbError> {
        let mut url = self.shared.base.clone();
        url.path_segments_mut()
            .map_err(|()| DbError::Protocol("db-service URL cannot take paths".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let builder = self
            .shared
            .http
            .request(method, url)
            .header(TOKEN_HEADER, self.shared.token.clone());
        match &self.request_id {
            Some(id) => builder.header(REQUEST_ID_HEADER, id.clone()),
            None => builder,
        }
    }

    async fn get<Q: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: Url,
        query: &Q,
    ) -> Result<T, DbError> {
        let response = self
            .send_idempotent(|| self.request(Method::GET, url.clone()).query(query))
            .await?;
        decode(response).await
    }

    /// Deletes the resource at `url` on behalf of `by` (db-service checks they own it).
    async fn delete_as(&self, url: Url, by: UserId) -> Result<(), DbError> {
        let response = self
            .send_idempotent(|| {
                self.request(Method::DELETE, url.clone())
                    .query(&ActorQuery { by })
            })
            .await?;
        expect_success(response).await.map(drop)
    }

    /// Sends a body-less idempotent request (PUT/DELETE of a relation) and decodes the answer.
    async fn send_idempotent_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
    ) -> Result<T, DbError> {
        let response = self
            .send_idempotent(|| self.request(method.clone(), url.clone()))
            .await?;
        decode(response).await
    }

    /// Sends a request that must not be repeated (a write): any transport failure is final.
    async fn send_once<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T, DbError> {
        let response = builder.send().await.map_err(transport_error)?;
        decode(response).await
    }

    /// Sends a read, retrying once when the connection failed before the request could be processed
    /// (typically a pooled keep-alive connection that db-service closed, e.g. across a restart).
    async fn send_idempotent(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<reqwest::Response, DbError> {
        match build().send().await {
            Ok(response) => Ok(response),
            Err(e) if e.is_connect() || e.is_request() => {
                tracing::debug!(error = %e, "retrying idempotent db-service call once");
                build().send().await.map_err(transport_error)
            }
            Err(e) => Err(transport_error(e)),
        }
    }
}

/// A relation (follow, favorite) is created with PUT and removed with DELETE.
fn relation_method(create: bool) -> Method {
    if create {
        Method::PUT
    } else {
        Method::DELETE
    }
}

fn transport_error(e: reqwest::Error) -> DbError {
    DbError::Unavailable(e.to_string())
}

async fn expect_success(response: reqwest::Response) -> Result<reqwest::Response, DbError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let bytes = response.bytes().await.map_err(transport_error)?;
    match serde_json::from_slice::<WireError>(&bytes) {
        Ok(wire) => Err(wire.into()),
        Err(_) if status == StatusCode::SERVICE_UNAVAILABLE => Err(DbError::Unavailable(format!(
            "db-service answered {status}"
        ))),
        Err(_) => Err(DbError::Protocol(format!("db-service answered {status}"))),
    }
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, DbError> {
    let response = expect_success(response).await?;
    let bytes = response.bytes().await.map_err(transport_error)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| DbError::Protocol(format!("unexpected db-service response: {e}")))
}
