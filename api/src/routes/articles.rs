//! Articles: create, list, read.

use api_types::{Article, ArticleEnvelope, ArticleList, NewArticle};
use axum::{extract::Path, http::StatusCode, routing::get, Router};
use db_client::{ArticleFilter, ViewerQuery, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use serde::Deserialize;

use super::views;
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    domain::article::{Body, Description, TagList, Title},
    error::{ApiError, FieldErrors},
    extract::{Db, Json, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list_articles).post(create_article))
        .route("/articles/{slug}", get(get_article))
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

/// Query of `GET /api/articles`. Numbers arrive as text so that a bad one is a 422 naming the parameter.
#[derive(Debug, Deserialize)]
struct ListArticlesQuery {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

async fn list_articles(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Query(query): Query<ListArticlesQuery>,
) -> Result<axum::Json<ArticleList>, ApiError> {
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
    errors.into_result()?;

    let filter = ArticleFilter {
        tag: query.tag,
        author: query.author,
        favorited: query.favorited,
        followed_by: None,
        limit,
        offset,
        viewer: viewer.id(),
    };
    let page = db.list_articles(&filter).await?;
    Ok(axum::Json(ArticleList {
        articles_count: page.total,
        articles: page.articles.into_iter().map(views::preview).collect(),
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
