//! Conduit's public REST API: the RealWorld spec over db-service. Tests start it through [`run`].

mod auth;
pub mod config;
mod domain;
mod error;
mod extract;
mod password;
mod routes;
mod state;
pub mod telemetry;

use std::future::Future;

use tokio::net::TcpListener;

use crate::{config::Config, state::AppState};

/// Serves the API on `listener` until `shutdown` completes, letting in-flight requests finish. Does not wait for
/// db-service: until it answers, requests get 503 and `/readyz` says not ready.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::new(&config)?;
    let app = routes::router(state);
    tracing::info!(addr = %listener.local_addr()?, db_service = %config.db_service_url, "api listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("api stopped");
    Ok(())
}
