//! `/v1/articles`: articles joined with tags, favorites and author profiles; their favorites and comments; and
//! `/v1/tags`.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get},
    Json, Router,
};
use db_client::{
    ActorQuery, ArticleChanges, ArticleFilter, ArticleRecord, CommentPage, CommentRecord,
    CommentsQuery, NewArticle, NewComment, SitemapKind, SitemapPage, ViewerQuery,
};

use crate::{
    error::ServiceError,
    extract::{JsonBody, PathArg, QueryArgs},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list_articles).post(create_article))
        .route(
            "/articles/{slug}",
            get(find_article_by_slug)
                .patch(update_article)
                .delete(delete_article),
        )
        .route(
            "/articles/{slug}/favorites/{user}",
            super::relation(|state, slug, user, favorite| async move {
                state.store.set_favorite(&slug, user, favorite).await
            }),
        )
        .route(
            "/articles/{slug}/comments",
            get(list_comments).post(create_comment),
        )
        .route("/articles/{slug}/comments/{id}", delete(delete_comment))
        .route("/tags", get(list_tags))
        .route("/sitemap/{kind}/{page}", get(sitemap))
}

async fn create_article(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewArticle>,
) -> Result<(StatusCode, Json<ArticleRecord>), ServiceError> {
    let article = state.store.insert_article(new).await?;
    Ok((StatusCode::CREATED, Json(article)))
}

async fn find_article_by_slug(
    State(state): State<AppState>,
    PathArg(slug): PathArg<String>,
    QueryArgs(query): QueryArgs<ViewerQuery>,
) -> Result<Json<Arc<ArticleRecord>>, ServiceError> {
    Ok(Json(
        state
            .store
            .find_article_by_slug(&slug, query.viewer)
            .await?,
    ))
}

async fn update_article(
    State(state): State<AppState>,
    PathArg(slug): PathArg<String>,
    JsonBody(changes): JsonBody<ArticleChanges>,
) -> Result<Json<ArticleRecord>, ServiceError> {
    Ok(Json(state.store.update_article(&slug, &changes).await?))
}

async fn delete_article(
    State(state): State<AppState>,
    PathArg(slug): PathArg<String>,
    QueryArgs(actor): QueryArgs<ActorQuery>,
) -> Result<StatusCode, ServiceError> {
    state.store.delete_article(&slug, actor.by).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The page as the JSON db-service keeps it ([`db_client::ArticlePage`]), written once per cached page.
async fn list_articles(
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<ArticleFilter>,
) -> Result<Response, ServiceError> {
    let json = state.store.list_articles(&filter).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response())
}

async fn list_comments(
    State(state): State<AppState>,
    PathArg(slug): PathArg<String>,
    QueryArgs(query): QueryArgs<CommentsQuery>,
) -> Result<Json<CommentPage>, ServiceError> {
    Ok(Json(
        state
            .store
            .list_comments(&slug, query.viewer, query.limit, query.offset)
            .await?,
    ))
}

async fn create_comment(
    State(state): State<AppState>,
    PathArg(slug): PathArg<String>,
    JsonBody(new): JsonBody<NewComment>,
) -> Result<(StatusCode, Json<CommentRecord>), ServiceError> {
    let comment = state.store.insert_comment(&slug, &new).await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

async fn delete_comment(
    State(state): State<AppState>,
    PathArg((slug, id)): PathArg<(String, i64)>,
    QueryArgs(actor): QueryArgs<ActorQuery>,
) -> Result<StatusCode, ServiceError> {
    state.store.delete_comment(&slug, id, actor.by).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tags(State(state): State<AppState>) -> Result<Json<Arc<Vec<String>>>, ServiceError> {
    Ok(Json(state.store.list_tags().await?))
}

async fn sitemap(
    State(state): State<AppState>,
    PathArg((kind, page)): PathArg<(SitemapKind, u32)>,
) -> Result<Json<SitemapPage>, ServiceError> {
    Ok(Json(state.store.sitemap(kind, page).await?))
}
