//! db-service: configuration → telemetry → open databases → serve until Ctrl-C / SIGTERM.

use clap::Parser;
use db_service::{config::Cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.into_config()?;
    telemetry::init(config.log_format);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (DB_SERVICE_ADDR): {e}", config.addr))?;
    db_service::run(listener, config, telemetry::shutdown_signal()).await
}
