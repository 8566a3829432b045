//! Conduit's Database Service: the only process that opens the databases. Tests start it through [`run`]; the
//! backup commands are [`backup_now`], [`verify_backup`] and [`restore_backup`]; moving data between backends is
//! [`export_data`] and [`import_data`].

mod backup;
pub mod config;
mod error;
mod extract;
mod folder_lock;
mod metrics;
mod routes;
mod state;
mod store;

pub use store::{Compacted, Counts};

/// The log filter when `RUST_LOG` is unset: info, with sqlx's per-statement lines only when they are slow or fail.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sqlx::query=error";

use std::{future::Future, path::Path, time::Duration};

use db_client::BackupReport;
use tokio::net::TcpListener;

pub use backup::BackupSource;

use crate::{
    backup::{Backups, Upload},
    config::{Backend, Config, Storage},
    state::Shared,
    store::Store,
};

/// Opens and migrates the databases, then serves the internal API on `listener` until `shutdown` completes,
/// letting in-flight requests finish. Takes scheduled backups meanwhile when configured to.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let backups = Backups::new(&config.storage)?;
    let store = Store::open(&config.storage).await?;
    // Bound once the store is open: its folder lock keeps a second db-service on the same data from getting here.
    let unix = match config.unix_socket.as_deref() {
        Some(path) => Some(conduit_runtime::serve::bind_unix(path).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {} (DB_SERVICE_UNIX_SOCKET): {e}",
                path.display()
            )
        })?),
        None => None,
    };
    let state = Shared::new_state(store.clone(), backups.clone(), config.internal_token);
    let app = routes::router(state, config.max_concurrent_requests);
    let schedule = match (config.backup_interval, store.snapshot_sources()) {
        (Some(every), Some(_)) => {
            metrics::record_backup_schedule(every, backups.newest());
            Some(tokio::spawn(scheduled_backups(
                backups,
                store.clone(),
                every,
            )))
        }
        (Some(_), None) => {
            tracing::info!("no scheduled backups: a MySQL server is backed up by its operator");
            None
        }
        (None, _) => None,
    };
    tracing::info!(
        addr = %listener.local_addr()?,
        unix_socket = config.unix_socket.as_ref().map(|path| tracing::field::display(path.display())),
        backend = if matches!(config.storage.backend, Backend::Sqlite) { "sqlite" } else { "mysql" },
        data_dir = %config.storage.data_dir.display(),
        backup_dir = %config.storage.backup_dir.display(),
        backup_url = %config.storage.remote.as_ref().map_or_else(|| "-".to_owned(), |r| r.location.to_string()),
        "db-service listening"
    );
    let served = conduit_runtime::serve::serve(listener, unix, app, shutdown).await;
    if let Some(schedule) = schedule {
        schedule.abort();
    }
    store.close().await;
    served?;
    tracing::info!("db-service stopped");
    Ok(())
}

/// Takes a backup every `every`, the first one `every` after startup.
async fn scheduled_backups(backups: Backups, store: Store, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(sources) = store.snapshot_sources() else {
            return;
        };
        match backups.take(&sources).await {
            Ok(report) => {
                metrics::record_backup(Some(backup::total_size(&report.files)));
                tracing::info!(path = %report.path, "scheduled backup taken and verified");
            }
            Err(e) => {
                metrics::record_backup(None);
                tracing::error!(error = ?e, "scheduled backup failed");
            }
        }
    }
}

/// Takes one verified backup of the databases in `storage.data_dir`, whether or not a db-service is serving them,
/// and copies it to BACKUP_URL when set. A failed upload is an error, though the local backup (named in the
/// error) stands.
pub async fn backup_now(storage: &Storage) -> anyhow::Result<BackupReport> {
    if let Backend::Mysql { .. } = storage.backend {
        anyhow::bail!("{}", backup::NOT_ON_MYSQL);
    }
    let backups = Backups::new(storage)?;
    let sources = store::SnapshotSources::open(&storage.data_dir).await?;
    let (report, upload) = backups.take_then_upload(sources).await?;
    match upload {
        Upload::Off | Upload::Done => Ok(report),
        Upload::Failed(e) => Err(anyhow::Error::new(e).context(format!(
            "backup {} was taken and verified, but not copied off the node",
            report.path
        ))),
    }
}

/// Checks a backup folder against its manifest.
pub async fn verify_backup(path: &Path) -> anyhow::Result<BackupReport> {
    Ok(backup::verify(path).await?.report)
}

/// Replaces the databases in `storage.data_dir` with the backup at `source` (a folder, or `s3://…/<id>`); returns
/// where the old files went, if any.
pub async fn restore_backup(
    source: &BackupSource,
    storage: &Storage,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    backup::restore(source, &storage.data_dir, &storage.object_store).await
}

/// Writes all of Conduit's data from the databases `storage` names to `file`; the rows written per table.
pub async fn export_data(storage: &Storage, file: &Path) -> anyhow::Result<store::Counts> {
    store::export(storage, file).await
}

/// Gives back the space the SQLite files in `storage.data_dir` no longer use and packs their rows (db-service
/// stopped); what each file measured before and after.
pub async fn compact_data(storage: &Storage) -> anyhow::Result<Vec<Compacted>> {
    store::compact(storage).await
}

/// Loads the export `file` into the empty databases `storage` names; the rows loaded per table.
pub async fn import_data(storage: &Storage, file: &Path) -> anyhow::Result<store::Counts> {
    store::import(storage, file).await
}
