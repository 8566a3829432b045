//! api: configuration (or `healthcheck`) → telemetry → connect to db-service → serve until Ctrl-C / SIGTERM.

use clap::Parser;
use conduit_api::config::{Cli, Command};
use conduit_runtime::{health_probe, telemetry};

// The api allocates and frees small buffers on every request; mimalloc does that with less contention and
// fewer cache misses than glibc's malloc (and far better than musl's, which the container image uses).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.command == Some(Command::Healthcheck) {
        health_probe::healthcheck(cli.addr())?;
        return Ok(());
    }
    let config = cli.into_config()?;
    telemetry::init(config.log_format, conduit_api::DEFAULT_LOG_FILTER);
    let listener = conduit_runtime::serve::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (API_ADDR): {e}", config.addr))?;
    conduit_api::run(listener, config, telemetry::shutdown_signal()).await
}
