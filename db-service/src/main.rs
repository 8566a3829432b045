//! db-service: parse the command line → telemetry → serve (default) or run a backup command.

use clap::Parser;
use conduit_runtime::telemetry;
use db_service::config::{Cli, Command};

// Every request allocates and frees small buffers; mimalloc does that with less contention and fewer cache
// misses than glibc's malloc (and far better than musl's, which the container image uses).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Cli { command, settings } = Cli::parse();
    telemetry::init(settings.log_format, db_service::DEFAULT_LOG_FILTER);
    match command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let config = settings.into_config()?;
            let listener = conduit_runtime::serve::bind(config.addr)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("cannot listen on {} (DB_SERVICE_ADDR): {e}", config.addr)
                })?;
            db_service::run(listener, config, telemetry::shutdown_signal()).await
        }
        Command::Backup => {
            let report = db_service::backup_now(&settings.storage()?).await?;
            tracing::info!(files = report.files.len(), "backup taken and verified");
            print_line(&report.path);
            if let Some(remote) = &report.remote {
                print_line(remote);
            }
            Ok(())
        }
        Command::Verify { path } => {
            let report = db_service::verify_backup(&path).await?;
            print_line(&format!(
                "{}: ok ({} files, taken {})",
                path.display(),
                report.files.len(),
                report.created_at
            ));
            Ok(())
        }
        Command::Export { file } => {
            let counts = db_service::export_data(&settings.storage()?, &file).await?;
            print_line(&format!("exported {counts} to {}", file.display()));
            Ok(())
        }
        Command::Import { file } => {
            let counts = db_service::import_data(&settings.storage()?, &file).await?;
            print_line(&format!("imported {counts} from {}", file.display()));
            Ok(())
        }
        Command::Compact => {
            for file in db_service::compact_data(&settings.storage()?).await? {
                print_line(&file.to_string());
            }
            Ok(())
        }
        Command::Healthcheck => {
            conduit_runtime::health_probe::healthcheck(settings.addr())?;
            Ok(())
        }
        Command::Restore { path } => {
            let storage = settings.storage()?;
            let replaced = db_service::restore_backup(&path, &storage).await?;
            let kept = replaced.map_or_else(String::new, |p| {
                format!("; previous files kept in {}", p.display())
            });
            print_line(&format!(
                "restored {path} into {}{kept}",
                storage.data_dir.display()
            ));
            Ok(())
        }
    }
}

/// A command's result on stdout, for scripts (logs go to stderr).
fn print_line(line: &str) {
    use std::io::Write;
    // A closed stdout (e.g. `| head`) is not worth failing a finished backup for.
    let _ = writeln!(std::io::stdout(), "{line}");
}
