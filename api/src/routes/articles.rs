//! Articles: list, feed, read, create, update, delete, favorite.

use api_types::{Article, ArticleEnvelope, NewArticle, UpdateArticle};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use db_client::{ArticleChanges, ArticleFilter, ViewerQuery, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use serde::Deserialize;

use super::views;
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    domain::article::{Body, Description, TagList, Title},
    error::{ApiError, FieldErrors},
    extract::{Db, Json, Path, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list_articles).post(create_article))
        .route("/articles/feed", get(feed_articles))
        .route(
            "/articles/{slug}",
            get(get_article).put(update_article).delete(delete_article),
        )
        // No JSON extractor on favorite routes: clients send stray bodies (NOTES.md #13).
        .route(
            "/articles/{slug}/favorite",
            post(favorite_article).delete(unfavorite_article),
        )
}

type ArticleResponse = axum::Json<ArticleEnvelope<Article>>;

async fn create_article(
    Db(db): Db,
    auth: AuthUser,
    Json(ArticleEnvelope { article: input }): Json<ArticleEnvelope<NewArticle>>,
) -> Result<(StatusCode, ArticleResponse), ApiError> {
    let mut errors = FieldErrors::default();
    let title = errors.check(Title::parse(&input.title));
    let description = errors.check(Description::parse(&input.description));
    let body = errors.check(Body::parse(&input.body));
    let tags = errors.check(TagList::parse(&input.tag_list));
    errors.into_result()?;
    let (Some(title), Some(description), Some(body), Some(tags)) = (title, description, body, tags)
    else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };

    let new = db_client::NewArticle {
        author: auth.id,
        slug: title.slug(),
        title: title.as_ref().to_owned(),
        description: description.as_ref().to_owned(),
        body: body.as_ref().to_owned(),
        tags: tags.into_inner(),
    };
    let record = db.create_article(&new).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ArticleEnvelope {
            article: views::article(record),
        }),
    ))
}

/// Query of `GET /api/articles` and the feed. Numbers arrive as text so that a bad one is a 422 naming the
/// parameter.
#[derive(Debug, Default, Deserialize)]
struct ListArticlesQuery {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `limit` (default 20, at most 100) and `offset` (default 0), or a 422 naming the bad one.
fn page_bounds(query: &ListArticlesQuery) -> Result<(u32, u64), ApiError> {
    let mut errors = FieldErrors::default();
    let limit = match query.limit.as_deref().map(str::parse::<u32>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if n >= 1 => n.min(MAX_PAGE_SIZE),
        Some(_) => {
            errors.add("limit", "must be a whole number of at least 1");
            DEFAULT_PAGE_SIZE
        }
    };
    let offset = match query.offset.as_deref().map(str::parse::<u64>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            errors.add("offset", "must be a whole number of at least 0");
            0
        }
    };
    errors.into_result().map(|()| (limit, offset))
}

async fn list_articles(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Query(query): Query<ListArticlesQuery>,
) -> Result<Response, ApiError> {
    let (limit, offset) = page_bounds(&query)?;
    let filter = ArticleFilter {
        tag: query.tag,
        author: query.author,
        favorited: query.favorited,
        followed_by: None,
        limit,
        offset,
        viewer: viewer.id(),
    };
    list_page(&db, &filter).await
}

/// Articles by the authors the caller follows, newest first.
async fn feed_articles(
    Db(db): Db,
    auth: AuthUser,
    Query(query): Query<ListArticlesQuery>,
) -> Result<Response, ApiError> {
    let (limit, offset) = page_bounds(&query)?;
    let filter = ArticleFilter {
        followed_by: Some(auth.id),
        limit,
        offset,
        viewer: Some(auth.id),
        ..ArticleFilter::default()
    };
    list_page(&db, &filter).await
}

/// db-service's page already is the public `{"articles": […], "articlesCount": n}` body (db_client::ArticlePage):
/// relay it as it came, which saves decoding and re-encoding every article on the hottest route.
async fn list_page(db: &db_client::DbClient, filter: &ArticleFilter) -> Result<Response, ApiError> {
    let body = db.list_articles_json(filter).await?;
    let json = HeaderValue::from_static("application/json");
    Ok(([(header::CONTENT_TYPE, json)], body).into_response())
}

async fn update_article(
    Db(db): Db,
    auth: AuthUser,
    Path(slug): Path<String>,
    Json(ArticleEnvelope { article: input }): Json<ArticleEnvelope<UpdateArticle>>,
) -> Result<ArticleResponse, ApiError> {
    let mut errors = FieldErrors::default();
    if input == UpdateArticle::default() {
        errors.add("article", "must change at least one field");
    }
    let title = input
        .title
        .as_deref()
        .map(Title::parse)
        .and_then(|r| errors.check(r));
    let description = input
        .description
        .as_deref()
        .map(Description::parse)
        .and_then(|r| errors.check(r));
    let body = input
        .body
        .as_deref()
        .map(Body::parse)
        .and_then(|r| errors.check(r));
    let tags = input
        .tag_list
        .as_deref()
        .map(TagList::parse)
        .and_then(|r| errors.check(r));
    errors.into_result()?;

    let changes = ArticleChanges {
        editor: auth.id,
        slug: title.as_ref().map(Title::slug),
        title: title.map(|t| t.as_ref().to_owned()),
        description: description.map(|d| d.as_ref().to_owned()),
        body: body.map(|b| b.as_ref().to_owned()),
        tags: tags.map(TagList::into_inner),
    };
    let record = db.update_article(&slug, &changes).await?;
    Ok(axum::Json(ArticleEnvelope {
        article: views::article(record),
    }))
}

async fn delete_article(
    Db(db): Db,
    auth: AuthUser,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    db.delete_article(&slug, auth.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn favorite_article(
    Db(db): Db,
    auth: AuthUser,
    Path(slug): Path<String>,
) -> Result<ArticleResponse, ApiError> {
    article_response(db.favorite(&slug, auth.id).await?)
}

async fn unfavorite_article(
    Db(db): Db,
    auth: AuthUser,
    Path(slug): Path<String>,
) -> Result<ArticleResponse, ApiError> {
    article_response(db.unfavorite(&slug, auth.id).await?)
}

fn article_response(record: db_client::ArticleRecord) -> Result<ArticleResponse, ApiError> {
    Ok(axum::Json(ArticleEnvelope {
        article: views::article(record),
    }))
}

async fn get_article(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Path(slug): Path<String>,
) -> Result<ArticleResponse, ApiError> {
    let record = db
        .find_article_by_slug(
            &slug,
            ViewerQuery {
                viewer: viewer.id(),
            },
        )
        .await?;
    Ok(axum::Json(ArticleEnvelope {
        article: views::article(record),
    }))
}
