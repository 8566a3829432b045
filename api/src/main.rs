//! api: configuration → telemetry → connect to db-service → serve until Ctrl-C / SIGTERM.

use clap::Parser;
use conduit_api::{config::Cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Cli::parse().into_config()?;
    telemetry::init(config.log_format);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (API_ADDR): {e}", config.addr))?;
    conduit_api::run(listener, config, telemetry::shutdown_signal()).await
}
