//! Backups copied off the node (BACKUP_URL) to a real S3-protocol server on loopback: uploaded and listed, restored
//! identical into an empty DATA_DIR, a corrupted remote copy refused, and a store that is down: the failure shows
//! in the metrics and the command's exit status, the local backup stands, and the next backup is uploaded.

use std::path::Path;

use conduit_testkit::unused_port;

use super::{
    assert_exposes, assert_favorite_back, cli_env, everything, s3, scheduled_backups, seed,
    verified_local_backups, Service,
};

const BUCKET: &str = "conduit-backups";

/// The keys of the complete backups (folders with a manifest) under `prefix`.
async fn complete_backups(server: &s3::S3Server, prefix: &str) -> Vec<String> {
    let keys = server.keys(BUCKET, &format!("{prefix}/")).await;
    keys.iter()
        .filter_map(|k| k.strip_suffix("/manifest.json"))
        .map(str::to_owned)
        .collect()
}

/// An S3 server with the bucket, and db-service's settings for `prefix` in it.
async fn store_with_bucket(prefix: &str) -> (s3::S3Server, Vec<(&'static str, String)>) {
    let server = s3::S3Server::start(unused_port()).await;
    server.create_bucket(BUCKET).await;
    let settings = s3::settings(server.port(), BUCKET, prefix);
    (server, settings)
}

#[tokio::test]
async fn a_backup_goes_off_the_node_and_restores_identical_data_into_an_empty_data_dir() {
    let (server, settings) = store_with_bucket("site-a").await;
    let data = tempfile::tempdir().expect("temp dir");
    let mut service = Service::start(data.path(), settings.clone()).await;
    seed(&service.client).await;
    let before = everything(&service.client).await;

    // `db-service backup` prints the local folder, then the remote location.
    let (ok, printed, stderr) = cli_env(data.path(), &["backup"], &settings);
    assert!(ok, "backup failed: {stderr}");
    let [local, remote] = printed.lines().collect::<Vec<_>>()[..] else {
        panic!("expected the local folder and the remote location, got {printed:?}");
    };
    let id = Path::new(local)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("backup id");
    assert_eq!(remote, format!("s3://{BUCKET}/site-a/{id}"));

    // The store holds the manifest and both databases, byte for byte.
    assert_eq!(
        server.keys(BUCKET, "site-a/").await,
        ["blog.db", "manifest.json", "users.db"].map(|f| format!("site-a/{id}/{f}"))
    );
    for file in ["users.db", "blog.db"] {
        let uploaded = server.get(BUCKET, &format!("site-a/{id}/{file}")).await;
        let kept = std::fs::read(Path::new(local).join(file)).expect("local copy");
        assert!(uploaded == kept, "{file} differs from the local backup");
    }
    // The endpoint uploads too, and answers with where.
    let report = service.client.backup().await.expect("backup endpoint");
    let remote_of_endpoint = report.remote.expect("uploaded");
    assert!(
        remote_of_endpoint.starts_with(&format!("s3://{BUCKET}/site-a/")),
        "{remote_of_endpoint}"
    );
    assert_eq!(complete_backups(&server, "site-a").await.len(), 2);

    // The node is lost: a new, empty DATA_DIR is rebuilt from the store alone.
    service.stop().await;
    let fresh = tempfile::tempdir().expect("temp dir");
    let (ok, restored, stderr) = cli_env(fresh.path(), &["restore", remote], &settings);
    assert!(ok, "restore failed: {stderr}");
    assert!(
        restored.starts_with(&format!("restored {remote} into")),
        "{restored}"
    );
    assert!(
        !restored.contains("previous files"),
        "nothing to replace: {restored}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(fresh.path())
        .expect("data dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !["users.db", "blog.db", ".lock", ".files.lock"].contains(&n.as_str()))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");

    let restored = Service::start(fresh.path(), vec![]).await;
    assert_eq!(everything(&restored.client).await, before);
    assert_favorite_back(&restored.client).await;
}

#[tokio::test]
async fn a_corrupted_remote_copy_is_refused_and_nothing_is_moved_into_place() {
    let (server, settings) = store_with_bucket("site-b").await;
    let data = tempfile::tempdir().expect("temp dir");
    let service = Service::start(data.path(), settings.clone()).await;
    seed(&service.client).await;
    let report = service.client.backup().await.expect("backup");
    let remote = report.remote.expect("uploaded");
    let key = remote
        .strip_prefix(&format!("s3://{BUCKET}/"))
        .expect("in the bucket");
    let restore_into_empty_dir = || async {
        let fresh = tempfile::tempdir().expect("temp dir");
        let (ok, _, stderr) = cli_env(fresh.path(), &["restore", &remote], &settings);
        let placed = ["users.db", "blog.db"]
            .iter()
            .any(|f| fresh.path().join(f).exists());
        (ok, stderr, placed)
    };

    // Same size, one byte flipped: the checksum catches it.
    let original = server.get(BUCKET, &format!("{key}/blog.db")).await;
    let mut flipped = original.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    server.put(BUCKET, &format!("{key}/blog.db"), flipped).await;
    let (ok, stderr, placed) = restore_into_empty_dir().await;
    assert!(!ok, "a corrupted copy must be refused");
    assert!(
        stderr.contains("blog.db") && stderr.contains("does not match"),
        "{stderr}"
    );
    assert!(!placed, "nothing may be moved into place");

    // Longer than the manifest says: refused before it is read in full.
    let mut longer = original;
    longer.extend_from_slice(&[0; 4096]);
    server.put(BUCKET, &format!("{key}/blog.db"), longer).await;
    let (ok, stderr, placed) = restore_into_empty_dir().await;
    assert!(!ok && stderr.contains("blog.db") && !placed, "{stderr}");

    // A manifest naming a path outside the backup: refused before any name is used.
    let manifest = String::from_utf8(server.get(BUCKET, &format!("{key}/manifest.json")).await)
        .expect("manifest text");
    let hostile = manifest.replace("\"users.db\"", "\"../../users.db\"");
    assert_ne!(hostile, manifest);
    server
        .put(
            BUCKET,
            &format!("{key}/manifest.json"),
            hostile.into_bytes(),
        )
        .await;
    let (ok, stderr, placed) = restore_into_empty_dir().await;
    assert!(
        !ok && stderr.contains("unexpected file") && !placed,
        "{stderr}"
    );
}

#[tokio::test]
async fn while_the_store_is_down_backups_stay_local_the_failure_shows_and_the_next_one_is_uploaded()
{
    let port = unused_port();
    let settings = s3::settings(port, BUCKET, "site-c");
    let mut env = settings.clone();
    env.extend(scheduled_backups());
    env.push(("BACKUP_REMOTE_RETENTION", "2".to_owned()));
    let data = tempfile::tempdir().expect("temp dir");
    let mut service = Service::start(data.path(), env).await;
    seed(&service.client).await;

    // No store: scheduled backups are still taken locally, and the failed uploads are counted.
    let metrics = service
        .wait_for_metric("db_backup_uploads_total{result=\"failed\"}", 2.0)
        .await;
    assert_exposes(&metrics, &["db_backup_upload_last_result 0"]);
    assert!(
        !metrics.contains("db_backup_uploads_total{result=\"ok\"}"),
        "{metrics}"
    );
    service
        .wait_for_metric("db_backups_total{result=\"ok\"}", 2.0)
        .await;
    // The command line says so too, with a non-zero exit, and keeps its local backup.
    let (ok, _, stderr) = cli_env(data.path(), &["backup"], &settings);
    assert!(
        !ok,
        "a backup that did not leave the node must not look successful"
    );
    assert!(stderr.contains("not copied off the node"), "{stderr}");
    let local = verified_local_backups(data.path());
    assert!(!local.is_empty(), "the local backups stand");
    // Serving was never disturbed.
    assert_eq!(everything(&service.client).await.0.total, 25);

    // The store comes back: the next scheduled backups are uploaded.
    let server = s3::S3Server::start(port).await;
    server.create_bucket(BUCKET).await;
    let metrics = service
        .wait_for_metric("db_backup_uploads_total{result=\"ok\"}", 3.0)
        .await;
    assert_exposes(
        &metrics,
        &[
            "db_backup_upload_last_result 1",
            "db_backup_upload_last_success_timestamp_seconds",
        ],
    );

    // The store keeps only BACKUP_REMOTE_RETENTION (checked after one more backup, with the schedule stopped).
    service.stop().await;
    let (ok, printed, stderr) = cli_env(
        data.path(),
        &["backup", "--backup-remote-retention", "2"],
        &settings,
    );
    assert!(ok, "{stderr}");
    let remote = printed.lines().last().expect("remote location");
    let kept = complete_backups(&server, "site-c").await;
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(
        format!("s3://{BUCKET}/{}", kept.last().expect("newest")),
        remote
    );
    // What is there is whole: every file its manifest lists, with its size.
    for backup in &kept {
        let manifest: db_client::BackupReport =
            serde_json::from_slice(&server.get(BUCKET, &format!("{backup}/manifest.json")).await)
                .expect("manifest");
        for file in &manifest.files {
            let bytes = server.get(BUCKET, &format!("{backup}/{}", file.name)).await;
            assert_eq!(bytes.len() as u64, file.size, "{backup}/{}", file.name);
        }
    }
}
