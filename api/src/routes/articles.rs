//! Articles: list, feed, read, create, update, delete, favorite.

use api_types::{Article, ArticleEnvelope, NewArticle, UpdateArticle};
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use db_client::{ArticleChanges, ArticleFilter, Entity};
use serde::Deserialize;

use super::views;
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    domain::{
        article::{ArticleEdit, Slug, TagList, ValidArticle},
        page::Page,
        search::SearchQuery,
        user::Username,
        FieldErrors,
    },
    error::ApiError,
    extract::{ClientAddr, Db, Json, Path, Query},
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
            post(|db, auth, path| set_favorite(db, auth, path, true))
                .delete(|db, auth, path| set_favorite(db, auth, path, false)),
        )
}

type ArticleResponse = axum::Json<ArticleEnvelope<Article>>;

fn article_response(record: db_client::ArticleRecord) -> ArticleResponse {
    axum::Json(ArticleEnvelope {
        article: views::article(record),
    })
}

/// The slug in a path, if it could name an article: a longer one is not looked up.
pub(super) fn slug(raw: &str) -> Result<Slug, ApiError> {
    Slug::parse(raw).ok_or(ApiError::NotFound(Entity::Article))
}

async fn create_article(
    Db(db): Db,
    auth: AuthUser,
    Json(ArticleEnvelope { article: input }): Json<ArticleEnvelope<NewArticle>>,
) -> Result<(StatusCode, ArticleResponse), ApiError> {
    let article = ValidArticle::try_from(input)?;
    let new = db_client::NewArticle {
        author: auth.id,
        slug: article.title.slug(),
        title: article.title.as_ref().to_owned(),
        description: article.description.as_ref().to_owned(),
        body: article.body.as_ref().to_owned(),
        tags: article.tags.into_inner(),
    };
    let record = db.create_article(&new).await?;
    Ok((StatusCode::CREATED, article_response(record)))
}

/// Query of `GET /api/articles` and the feed. Numbers arrive as text so that a bad one is a 422 naming the
/// parameter.
#[derive(Debug, Default, Deserialize)]
struct ListArticlesQuery {
    q: Option<String>,
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// A filter value that could match something: a tag or username longer than any can be is a 422.
fn filter_value(
    errors: &mut FieldErrors,
    field: &'static str,
    value: Option<String>,
    max_chars: usize,
) -> Option<String> {
    let value = value?;
    if value.chars().count() > max_chars {
        errors.add(
            field,
            format!("is too long (maximum is {max_chars} characters)"),
        );
        return None;
    }
    Some(value)
}

async fn list_articles(
    State(state): State<AppState>,
    Db(db): Db,
    ClientAddr(client): ClientAddr,
    viewer: MaybeAuthUser,
    Query(query): Query<ListArticlesQuery>,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::default();
    let page = Page::check(&mut errors, query.limit.as_deref(), query.offset.as_deref());
    let tag = filter_value(&mut errors, "tag", query.tag, TagList::MAX_TAG_CHARS);
    let author = filter_value(&mut errors, "author", query.author, Username::MAX_CHARS);
    let favorited = filter_value(
        &mut errors,
        "favorited",
        query.favorited,
        Username::MAX_CHARS,
    );
    let search = query
        .q
        .as_deref()
        .map(SearchQuery::parse)
        .and_then(|parsed| errors.check(parsed));
    let Some(page) = page else {
        return Err(errors.into());
    };
    let q = match search {
        // A query without a word long enough to search for matches nothing.
        Some(None) => return errors.or(no_articles()).map_err(Into::into),
        Some(Some(words)) => Some(words.into_inner()),
        None => None,
    };
    let filter = errors.or(ArticleFilter {
        q,
        tag,
        author,
        favorited,
        followed_by: None,
        limit: page.limit.get(),
        offset: page.offset.get(),
        viewer: viewer.id(),
        with_bodies: false,
    })?;
    if filter.q.is_some() {
        state.limits.search(client)?;
    }
    list_page(&db, &filter).await
}

/// Articles by the authors the caller follows, newest first.
async fn feed_articles(
    Db(db): Db,
    auth: AuthUser,
    Query(query): Query<ListArticlesQuery>,
) -> Result<Response, ApiError> {
    let page = Page::parse(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = ArticleFilter {
        followed_by: Some(auth.id),
        limit: page.limit.get(),
        offset: page.offset.get(),
        viewer: Some(auth.id),
        ..ArticleFilter::default()
    };
    list_page(&db, &filter).await
}

/// The empty list.
fn no_articles() -> Response {
    axum::Json(api_types::ArticleList {
        articles: Vec::new(),
        articles_count: 0,
    })
    .into_response()
}

/// db-service's page already is the public `{"articles": […], "articlesCount": n}` body (db_client::ArticlePage):
/// relay it as it came, which saves decoding and re-encoding every article on the hottest route.
async fn list_page(db: &db_client::DbClient, filter: &ArticleFilter) -> Result<Response, ApiError> {
    let body = db.list_articles_json(filter).await?;
    let json = HeaderValue::from_static("application/json");
    Ok(([(header::CONTENT_TYPE, json)], body).into_response())
}

async fn get_article(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Path(raw): Path<String>,
) -> Result<ArticleResponse, ApiError> {
    let record = db
        .find_article_by_slug(slug(&raw)?.as_ref(), viewer.query())
        .await?;
    Ok(article_response(record))
}

async fn update_article(
    Db(db): Db,
    auth: AuthUser,
    Path(raw): Path<String>,
    Json(ArticleEnvelope { article: input }): Json<ArticleEnvelope<UpdateArticle>>,
) -> Result<ArticleResponse, ApiError> {
    let slug = slug(&raw)?;
    let edit = ArticleEdit::try_from(input)?;
    let changes = ArticleChanges {
        editor: auth.id,
        slug: edit.title.as_ref().map(|t| t.slug()),
        title: edit.title.map(|t| t.as_ref().to_owned()),
        description: edit.description.map(|d| d.as_ref().to_owned()),
        body: edit.body.map(|b| b.as_ref().to_owned()),
        tags: edit.tags.map(TagList::into_inner),
    };
    let record = db.update_article(slug.as_ref(), &changes).await?;
    Ok(article_response(record))
}

async fn delete_article(
    Db(db): Db,
    auth: AuthUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    db.delete_article(slug(&raw)?.as_ref(), auth.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST favorites, DELETE unfavorites.
async fn set_favorite(
    Db(db): Db,
    auth: AuthUser,
    Path(raw): Path<String>,
    favorite: bool,
) -> Result<ArticleResponse, ApiError> {
    let record = db
        .set_favorite(slug(&raw)?.as_ref(), auth.id, favorite)
        .await?;
    Ok(article_response(record))
}
