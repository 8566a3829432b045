//! `/v1/articles`: articles joined with tags, favorites and author profiles.

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use db_client::{ArticleFilter, ArticlePage, ArticleRecord, NewArticle, ViewerQuery};

use crate::{
    error::ServiceError,
    extract::{JsonBody, PathArg, QueryArgs},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list_articles).post(create_article))
        .route("/articles/{slug}", get(find_article_by_slug))
}

async fn create_article(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewArticle>,
) -> Result<(StatusCode, Json<ArticleRecord>), ServiceError> {
    let article = state.store.insert_article(&new).await?;
    Ok((StatusCode::CREATED, Json(article)))
}

async fn find_article_by_slug(
    State(state): State<AppState>,
    PathArg(slug): PathArg<String>,
    QueryArgs(query): QueryArgs<ViewerQuery>,
) -> Result<Json<ArticleRecord>, ServiceError> {
    Ok(Json(
        state
            .store
            .find_article_by_slug(&slug, query.viewer)
            .await?,
    ))
}

async fn list_articles(
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<ArticleFilter>,
) -> Result<Json<ArticlePage>, ServiceError> {
    Ok(Json(state.store.list_articles(&filter).await?))
}
