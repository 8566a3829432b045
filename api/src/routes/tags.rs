//! The tags in use, most used first.

use api_types::TagList;
use axum::{routing::get, Router};

use crate::{error::ApiError, extract::Db, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/tags", get(list_tags))
}

async fn list_tags(Db(db): Db) -> Result<axum::Json<TagList>, ApiError> {
    Ok(axum::Json(TagList {
        tags: db.list_tags().await?,
    }))
}
