//! api: configuration (or `healthcheck`) → telemetry → connect to db-service → serve until Ctrl-C / SIGTERM.

use clap::Parser;
use conduit_api::{
    config::{Cli, Command},
    telemetry,
};

// The api allocates and frees small buffers on every request; mimalloc does that with less contention and
// fewer cache misses than glibc's malloc (and far better than musl's, which the container image uses).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.command == Some(Command::Healthcheck) {
        db_client::health_probe::healthcheck(cli.addr())?;
        return Ok(());
    }
    let config = cli.into_config()?;
    telemetry::init(config.log_format);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (API_ADDR): {e}", config.addr))?;
    conduit_api::run(listener, config, telemetry::shutdown_signal()).await
}
