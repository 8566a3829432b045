//! Conduit's public REST API: the RealWorld spec over db-service. Tests start it through [`run`].

mod auth;
pub mod config;
mod domain;
mod error;
mod extract;
mod password;
mod rate_limit;
mod routes;
mod site;
mod state;
mod token_versions;

use std::future::Future;

use tokio::net::TcpListener;

use crate::{config::Config, state::AppState};

// The SPA pages no deeper than the API serves: its copy of the bound (api-types cannot depend on db-client) must
// be db-service's.
const _: () = assert!(api_types::MAX_OFFSET == db_client::MAX_OFFSET);

/// The log filter when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Serves the API on `listener` until `shutdown` completes, letting in-flight requests finish. Does not wait for
/// db-service: until it answers, requests get 503 and `/readyz` says not ready.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::new(&config)?;
    let unix = match config.unix_socket.as_deref() {
        Some(path) => Some(conduit_runtime::serve::bind_unix(path).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {} (API_UNIX_SOCKET): {e}", path.display())
        })?),
        None => None,
    };
    let pruning = tokio::spawn(state.limits.clone().prune_forever());
    let app = routes::router(state, config.role);
    tracing::info!(
        addr = %listener.local_addr()?,
        unix_socket = config.unix_socket.as_ref().map(|path| tracing::field::display(path.display())),
        role = config.role.name(),
        db_service = %config.db_service_url,
        "api listening"
    );
    let served = conduit_runtime::serve::serve(listener, unix, app, shutdown).await;
    pruning.abort();
    served?;
    tracing::info!("api stopped");
    Ok(())
}
