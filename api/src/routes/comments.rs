//! Comments on articles, a bounded page at a time.

use api_types::{Comment, CommentEnvelope, CommentList, NewComment};
use axum::{
    http::StatusCode,
    routing::{delete, get},
    Router,
};
use db_client::CommentsQuery;
use serde::Deserialize;

use super::{articles::slug, views};
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    domain::{article::CommentBody, page::Page},
    error::ApiError,
    extract::{Db, Json, Path, Query},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/articles/{slug}/comments",
            get(list_comments).post(add_comment),
        )
        .route("/articles/{slug}/comments/{id}", delete(delete_comment))
}

/// Query of `GET /api/articles/:slug/comments`; numbers as text, as for article lists.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    limit: Option<String>,
    offset: Option<String>,
}

/// Oldest first, a page at a time (20 unless `limit` says otherwise, at most 100, and fewer once
/// [`db_client::MAX_COMMENT_PAGE_BYTES`] of bodies have started), with `commentsCount`: the
/// RealWorld shape plus what a reader needs to page through a long discussion.
async fn list_comments(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Path(raw): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<axum::Json<CommentList>, ApiError> {
    let slug = slug(&raw)?;
    let page = Page::parse(query.limit.as_deref(), query.offset.as_deref())?;
    let found = db
        .list_comments(
            slug.as_ref(),
            CommentsQuery {
                viewer: viewer.id(),
                limit: page.limit.get(),
                offset: page.offset.get(),
            },
        )
        .await?;
    Ok(axum::Json(CommentList {
        comments: found.comments.into_iter().map(views::comment).collect(),
        comments_count: found.total,
    }))
}

/// 201 as in the v2 spec (NOTES.md #15).
async fn add_comment(
    Db(db): Db,
    auth: AuthUser,
    Path(raw): Path<String>,
    Json(CommentEnvelope { comment: input }): Json<CommentEnvelope<NewComment>>,
) -> Result<(StatusCode, axum::Json<CommentEnvelope<Comment>>), ApiError> {
    let slug = slug(&raw)?;
    let body = CommentBody::parse(&input.body).map_err(crate::domain::FieldErrors::from)?;
    let new = db_client::NewComment {
        author: auth.id,
        body: body.as_ref().to_owned(),
    };
    let record = db.create_comment(slug.as_ref(), &new).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CommentEnvelope {
            comment: views::comment(record),
        }),
    ))
}

async fn delete_comment(
    Db(db): Db,
    auth: AuthUser,
    Path((raw, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    db.delete_comment(slug(&raw)?.as_ref(), id, auth.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
