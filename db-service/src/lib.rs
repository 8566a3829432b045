//! Conduit's Database Service: the only process that opens the databases. Tests start it through [`run`].

pub mod config;
mod error;
mod extract;
mod routes;
mod state;
mod store;
pub mod telemetry;

use std::future::Future;

use tokio::net::TcpListener;

use crate::{config::Config, state::AppState, store::Store};

/// Opens and migrates the databases, then serves the internal API on `listener` until `shutdown` completes,
/// letting in-flight requests finish.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = Store::open(&config.data_dir).await?;
    let state = AppState::new(store.clone(), config.internal_token);
    let app = routes::router(state);
    tracing::info!(addr = %listener.local_addr()?, data_dir = %config.data_dir.display(), "db-service listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    store.close().await;
    tracing::info!("db-service stopped");
    Ok(())
}
