//! Comments on articles.

use api_types::{Comment, CommentEnvelope, CommentList, NewComment};
use axum::{
    http::StatusCode,
    routing::{delete, get},
    Router,
};
use db_client::ViewerQuery;

use super::views;
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    domain::article::CommentBody,
    error::{ApiError, FieldErrors},
    extract::{Db, Json, Path},
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

async fn list_comments(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Path(slug): Path<String>,
) -> Result<axum::Json<CommentList>, ApiError> {
    let comments = db
        .list_comments(
            &slug,
            ViewerQuery {
                viewer: viewer.id(),
            },
        )
        .await?;
    Ok(axum::Json(CommentList {
        comments: comments.into_iter().map(views::comment).collect(),
    }))
}

/// 201 as in the v2 spec (NOTES.md #15).
async fn add_comment(
    Db(db): Db,
    auth: AuthUser,
    Path(slug): Path<String>,
    Json(CommentEnvelope { comment: input }): Json<CommentEnvelope<NewComment>>,
) -> Result<(StatusCode, axum::Json<CommentEnvelope<Comment>>), ApiError> {
    let mut errors = FieldErrors::default();
    let body = errors.check(CommentBody::parse(&input.body));
    errors.into_result()?;
    let body = body.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("validated body missing")))?;
    let new = db_client::NewComment {
        author: auth.id,
        body: body.as_ref().to_owned(),
    };
    let record = db.create_comment(&slug, &new).await?;
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
    Path((slug, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    db.delete_comment(&slug, id, auth.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
