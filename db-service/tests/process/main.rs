//! db-service as a real process: crash durability, backups through the command line, the endpoint and the
//! schedule, restore, off-node copies in object storage, and metrics.

mod off_node;
mod s3;

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use conduit_testkit::{new_user, wait_ready, Socket};
use db_client::{ArticleFilter, DbClient, DbError, NewArticle, UserId, ViewerQuery};
use tokio::process::{Child, Command};

const TOKEN: &str = "process-test-internal-token";

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_db-service")
}

/// A db-service process on a socket the test holds and a data dir, restartable at the same address.
struct Service {
    socket: Socket,
    data_dir: PathBuf,
    extra_env: Vec<(&'static str, String)>,
    child: Option<Child>,
    client: DbClient,
    /// A temporary data dir the service owns: removed after the process (fields drop in this order).
    owned_data_dir: Option<tempfile::TempDir>,
}

impl Service {
    async fn start(data_dir: &Path, extra_env: Vec<(&'static str, String)>) -> Self {
        let socket = Socket::new();
        let client = DbClient::new(&socket.url(), TOKEN, Duration::from_secs(10)).expect("client");
        let mut service = Self {
            socket,
            data_dir: data_dir.to_owned(),
            extra_env,
            child: None,
            client,
            owned_data_dir: None,
        };
        service.restart().await;
        service
    }

    async fn restart(&mut self) {
        let mut command = Command::new(binary());
        self.socket
            .hand_to(&mut command)
            .env("DATA_DIR", &self.data_dir)
            .env("INTERNAL_TOKEN", TOKEN)
            .env("BACKUP_INTERVAL_SECS", "0")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .kill_on_drop(true);
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start db-service");
        wait_ready(&format!("{}/readyz", self.socket.url()), &mut child).await;
        self.child = Some(child);
    }

    /// Polls `/metrics` until the sample `series` (name and labels as exposed) reaches `at_least`; returns the
    /// whole exposition then.
    async fn wait_for_metric(&self, series: &str, at_least: f64) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.metrics().await;
            if sample(&text, series).is_some_and(|value| value >= at_least) {
                return text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{series} did not reach {at_least} in time:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The value of the sample `series` (name and labels as exposed) now; 0 before it is first recorded.
    async fn metric(&self, series: &str) -> f64 {
        sample(&self.metrics().await, series).unwrap_or(0.0)
    }

    /// The Prometheus exposition, now.
    async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.socket.url()))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// The first page of articles tagged `tag`.
    async fn tagged(&self, tag: &str) -> db_client::ArticlePage {
        let filter = ArticleFilter {
            tag: Some(tag.into()),
            ..ArticleFilter::default()
        };
        self.client.list_articles(&filter).await.expect("list")
    }

    /// SIGKILL: no chance to flush or close anything.
    async fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill -9");
        }
    }

    /// SIGTERM, then wait for a clean exit.
    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().expect("running").to_string();
            let sent = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill");
            assert!(sent.success());
            let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
                .await
                .expect("stops in time")
                .expect("exit status");
            assert!(status.success(), "graceful stop exits 0, got {status}");
        }
    }
}

/// Runs `db-service <args>` against `data_dir` and returns (success, stdout, stderr).
fn cli(data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    cli_env(data_dir, args, &[])
}

/// [`cli`] with more settings in the environment.
fn cli_env(data_dir: &Path, args: &[&str], env: &[(&str, String)]) -> (bool, String, String) {
    let output = std::process::Command::new(binary())
        .args(args)
        .env("DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run db-service command");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts that the exposition `metrics` has every one of `series` (names, labels or whole samples as exposed).
fn assert_exposes(metrics: &str, series: &[&str]) {
    for one in series {
        assert!(metrics.contains(one), "no {one} in:\n{metrics}");
    }
}

/// db-service's settings for a backup every second, keeping the newest two.
fn scheduled_backups() -> Vec<(&'static str, String)> {
    vec![
        ("BACKUP_INTERVAL_SECS", "1".to_owned()),
        ("BACKUP_RETENTION", "2".to_owned()),
    ]
}

/// The complete local backups (folders with a manifest) under `data_dir`, each checked with `verify`. Scheduled
/// backups may go on meanwhile: one that retention deleted between the listing and its check is left out.
fn verified_local_backups(data_dir: &Path) -> Vec<PathBuf> {
    let complete: Vec<_> = std::fs::read_dir(data_dir.join("backups"))
        .expect("backup dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|path| path.join("manifest.json").is_file())
        .collect();
    let mut verified = Vec::new();
    for path in complete {
        let (ok, _, stderr) = cli(data_dir, &["verify", &path.display().to_string()]);
        if !ok && !path.exists() {
            continue;
        }
        assert!(ok, "{stderr}");
        verified.push(path);
    }
    verified
}

/// The value of one sample of a Prometheus exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn seed(client: &DbClient) -> UserId {
    let user = client.create_user(&new_user("jake")).await.expect("user");
    for i in 0..25 {
        client
            .create_article(&NewArticle {
                author: user.id,
                slug: format!("post-{i}"),
                title: format!("Post {i}"),
                description: "d".into(),
                body: format!("body {i}"),
                tags: vec![format!("tag{}", i % 3)],
            })
            .await
            .expect("article");
    }
    client
        .set_favorite("post-3", user.id, true)
        .await
        .expect("favorite");
    user.id
}

/// What `seed` wrote is whole after a restore: jake, and his favorite of post-3 as he sees it.
async fn assert_favorite_back(client: &DbClient) {
    let jake = client
        .find_user_by_email("jake@example.com")
        .await
        .expect("user back");
    let post = client
        .find_article_by_slug(
            "post-3",
            ViewerQuery {
                viewer: Some(jake.id),
            },
        )
        .await
        .expect("article back");
    assert!(post.favorited && post.favorites_count == 1);
}

async fn everything(client: &DbClient) -> (db_client::ArticlePage, Vec<String>) {
    let filter = ArticleFilter {
        limit: 100,
        ..ArticleFilter::default()
    };
    (
        client.list_articles(&filter).await.expect("list"),
        client.list_tags().await.expect("tags"),
    )
}

#[tokio::test]
async fn a_backup_restores_identical_data_after_the_live_database_is_destroyed() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut service = Service::start(data.path(), vec![]).await;
    seed(&service.client).await;
    let before = everything(&service.client).await;

    // Taken from the command line while the service is running.
    let (ok, backup_path, stderr) = cli(data.path(), &["backup"]);
    assert!(ok, "backup failed: {stderr}");
    let backup = PathBuf::from(&backup_path);
    assert!(backup.join("manifest.json").is_file(), "{backup_path}");
    // A backup holds password hashes: only the service user may read it.
    for (path, mode) in [
        (backup.parent().expect("backups folder"), 0o700),
        (backup.as_path(), 0o700),
        (&backup.join("users.db"), 0o600),
        (&backup.join("blog.db"), 0o600),
        (&backup.join("manifest.json"), 0o600),
    ] {
        let actual = std::fs::metadata(path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(actual, mode, "{} is {actual:o}", path.display());
    }
    let (ok, verified, stderr) = cli(data.path(), &["verify", &backup_path]);
    assert!(ok && verified.contains(": ok"), "{verified} {stderr}");

    // Restore refuses while the service holds the data directory.
    let (ok, _, stderr) = cli(data.path(), &["restore", &backup_path]);
    assert!(
        !ok && stderr.contains("in use by a running db-service"),
        "{stderr}"
    );

    service.stop().await;
    for file in ["blog.db", "blog.db-wal", "blog.db-shm"] {
        let _ = std::fs::remove_file(data.path().join(file));
    }
    std::fs::write(data.path().join("users.db"), b"this is not a database")
        .expect("damage users.db");

    let (ok, restored, stderr) = cli(data.path(), &["restore", &backup_path]);
    assert!(ok, "restore failed: {stderr}");
    assert!(restored.contains("previous files kept in"), "{restored}");

    service.restart().await;
    let after = everything(&service.client).await;
    assert_eq!(after, before);
    assert_favorite_back(&service.client).await;
}

/// The `unshare` options that give a command a mount namespace of its own here: `--mount` as root, else with a
/// user namespace; `None` where CONDUIT_TEST_NO_NAMESPACES is set, for machines that allow neither (a container
/// without CAP_SYS_ADMIN, a host that forbids unprivileged user namespaces). Otherwise a machine that allows neither
/// fails the test, saying so: CI runs it.
fn mount_namespace() -> Option<&'static [&'static str]> {
    if std::env::var_os("CONDUIT_TEST_NO_NAMESPACES").is_some() {
        eprintln!("CONDUIT_TEST_NO_NAMESPACES is set: the full-volume compact test does not run");
        return None;
    }
    let mut refusals = String::new();
    for options in [
        &["--mount"][..],
        &["--user", "--map-root-user", "--mount"][..],
    ] {
        let probe = std::process::Command::new("unshare")
            .args(options)
            .arg("true")
            .output()
            .expect("run unshare (util-linux)");
        if probe.status.success() {
            return Some(options);
        }
        refusals += &format!("{options:?}: {}", String::from_utf8_lossy(&probe.stderr));
    }
    panic!(
        "this test mounts a small tmpfs in a mount namespace of its own, which needs root or unprivileged user \
         namespaces (CONDUIT_TEST_NO_NAMESPACES=1 leaves it out on a machine that allows neither); unshare \
         refused: {refusals}"
    );
}

/// A stopped service whose blog.db is large enough that half of it is room a compact's copy runs out of, and its
/// articles as served before; blog.db's size.
async fn stopped_with_a_large_blog(
    data_dir: &Path,
) -> (Service, (db_client::ArticlePage, Vec<String>), u64) {
    let mut service = Service::start(data_dir, vec![]).await;
    let jake = seed(&service.client).await;
    for i in 0..40 {
        service
            .client
            .create_article(&NewArticle {
                author: jake,
                slug: format!("long-{i}"),
                title: format!("Long {i}"),
                description: "d".into(),
                body: format!("{i} {}", "words ".repeat(3_000)),
                tags: vec![],
            })
            .await
            .expect("article");
    }
    let before = everything(&service.client).await;
    service.stop().await;
    let blog = data_dir.join("blog.db");
    let size = std::fs::metadata(&blog).expect("blog.db").len();
    assert!(size > 600_000, "blog.db is {size} bytes");
    // Nothing for compact to write into blog.db itself first, so the failing writes are the copy's: a last clean
    // close removes the WAL (the stopped process's may not have been the last, under load).
    rusqlite::Connection::open(&blog)
        .expect("open blog.db")
        .close()
        .expect("close blog.db");
    assert!(!data_dir.join("blog.db-wal").exists());
    (service, before, size)
}

/// After a compact of the data dir at `ran_in` that failed with `error` (SQLite's words for it): it named the
/// file and said it is unchanged, left no copy or journal, every row is served as before, and a compact with room
/// succeeds.
async fn a_failed_compact_left_the_data_whole(
    mut service: Service,
    before: (db_client::ArticlePage, Vec<String>),
    (output, ran_in): (std::process::Output, &Path),
    error: &str,
) {
    let data_dir = service.data_dir.clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "compact succeeded: {stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot compact {}; it is unchanged",
            ran_in.join("blog.db").display()
        )) && stderr.contains(error),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&data_dir)
        .expect("data dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("compacting") || name.ends_with("-journal"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    service.restart().await;
    assert_eq!(everything(&service.client).await, before);
    assert_favorite_back(&service.client).await;
    service.stop().await;
    let (ok, compacted, stderr) = cli(&data_dir, &["compact"]);
    assert!(ok, "compact with room: {stderr}");
    assert!(compacted.contains("blog.db"), "{compacted}");
    service.restart().await;
    assert_eq!(everything(&service.client).await, before);
}

/// Compact on a volume that cannot take its copy: the command fails naming the file, removes what it wrote, and
/// every row is served after. Here a file-size limit makes the copy's writes fail part of the way (EFBIG: SQLite's
/// I/O error).
#[tokio::test]
async fn a_compact_that_cannot_write_its_copy_leaves_the_data_whole() {
    let data = tempfile::tempdir().expect("temp dir");
    let (service, before, size) = stopped_with_a_large_blog(data.path()).await;
    // bash's `ulimit -f` counts KiB; SIGXFSZ ignored, so a write past the limit fails (EFBIG) instead of killing.
    let limit_kib = size / 1024 / 2;
    let output = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("trap '' XFSZ; ulimit -f {limit_kib}; exec \"$0\" compact"),
            binary(),
        ])
        .env("DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run db-service compact");
    a_failed_compact_left_the_data_whole(service, before, (output, data.path()), "disk I/O error")
        .await;
}

/// The same on a volume that is really full: the data dir copied onto a tmpfs with room for half of blog.db
/// more, in a mount namespace of the command's own (`unshare`: as root, or as a user where the kernel allows
/// user namespaces), compact run there (ENOSPC: SQLITE_FULL), and what it left copied back to be served.
#[tokio::test]
async fn a_compact_on_a_full_volume_leaves_the_data_whole() {
    let Some(unshare) = mount_namespace() else {
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    let (service, before, size) = stopped_with_a_large_blog(data.path()).await;
    let held: u64 = std::fs::read_dir(data.path())
        .expect("data dir")
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len().div_ceil(4096) * 4096)
        .sum();
    let room_kib = (held + size / 2) / 1024;
    let volume = tempfile::tempdir().expect("mount point");
    let left = tempfile::tempdir().expect("what compact left");
    // What compact left is copied out whole before it replaces the data dir's files.
    let script = r#"set -eu
mount -t tmpfs -o "size=${ROOM_KIB}k,mode=0700" conduit-full "$VOLUME"
cp -a "$DATA"/. "$VOLUME"/
status=0
DATA_DIR=$VOLUME "$BINARY" compact || status=$?
cp -a "$VOLUME"/. "$LEFT"/
find "$DATA" -mindepth 1 -delete
cp -a "$LEFT"/. "$DATA"/
exit "$status""#;
    let output = std::process::Command::new("unshare")
        .args(unshare)
        .args(["bash", "-c", script])
        .env("ROOM_KIB", room_kib.to_string())
        .env("VOLUME", volume.path())
        .env("DATA", data.path())
        .env("LEFT", left.path())
        .env("BINARY", binary())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run unshare");
    let failed = (output, volume.path());
    a_failed_compact_left_the_data_whole(service, before, failed, "database or disk is full").await;
}

#[tokio::test]
async fn verify_rejects_a_backup_whose_files_were_altered() {
    let data = tempfile::tempdir().expect("temp dir");
    let service = Service::start(data.path(), vec![]).await;
    seed(&service.client).await;
    let report = service
        .client
        .backup()
        .await
        .expect("backup through the endpoint");
    assert_eq!(report.files.len(), 2);
    assert!(report
        .files
        .iter()
        .all(|f| f.size > 0 && f.sha256.len() == 64));

    let blog = Path::new(&report.path).join("blog.db");
    let mut bytes = std::fs::read(&blog).expect("read copy");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blog, bytes).expect("alter copy");
    let (ok, _, stderr) = cli(data.path(), &["verify", &report.path]);
    assert!(!ok, "an altered backup must not verify");
    assert!(stderr.contains("blog.db"), "{stderr}");
}

#[tokio::test]
async fn scheduled_backups_run_while_serving_and_old_ones_are_pruned() {
    let data = tempfile::tempdir().expect("temp dir");
    let service = Service::start(data.path(), scheduled_backups()).await;
    seed(&service.client).await;

    // Poll the metrics until at least three scheduled backups have succeeded.
    let metrics = service
        .wait_for_metric("db_backups_total{result=\"ok\"}", 3.0)
        .await;
    assert_exposes(
        &metrics,
        &[
            "db_backup_last_size_bytes",
            "db_pool_connections_open{database=\"blog\",pool=\"write\"}",
            "db_requests_total{operation=\"/v1/articles\"",
        ],
    );

    let complete = verified_local_backups(data.path());
    assert!(
        complete.len() <= 2,
        "retention keeps 2, found {}",
        complete.len()
    );
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_dash_nine() {
    kill_dash_nine_drill(vec![]).await;
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_dash_nine_on_mysql() {
    kill_dash_nine_drill(on_mysql()).await;
}

/// The setting that keeps a db-service's data on the test MariaDB (scripts/with-mariadb), in a database of its own.
fn on_mysql() -> Vec<(&'static str, String)> {
    let server = conduit_testkit::test_server_setting("CONDUIT_TEST_MYSQL_URL");
    let database = conduit_testkit::fresh_database_name();
    vec![("DATABASE_URL", format!("{server}/{database}"))]
}

/// Writers create users and articles as fast as they can; db-service is killed with SIGKILL mid-stream and
/// restarted; every write it acknowledged must be there.
async fn kill_dash_nine_drill(env: Vec<(&'static str, String)>) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut service = Service::start(data.path(), env).await;
    let author = seed(&service.client).await;
    // (kind, key) of every write db-service acknowledged: new users, and new articles (group-committed).
    let acknowledged = Arc::new(Mutex::new(Vec::<(&str, String)>::new()));

    let mut writers = Vec::new();
    for writer in 0..8 {
        let client = service.client.clone();
        let acknowledged = Arc::clone(&acknowledged);
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let name = format!("w{writer}n{n}");
                let result = if writer % 2 == 0 {
                    client
                        .create_user(&new_user(&name))
                        .await
                        .map(|_| ("user", name))
                } else {
                    client
                        .create_article(&NewArticle {
                            author,
                            slug: name.clone(),
                            title: name.clone(),
                            description: "d".into(),
                            body: "b".into(),
                            tags: vec!["crash".into()],
                        })
                        .await
                        .map(|article| ("article", article.slug))
                };
                match result {
                    Ok(write) => acknowledged.lock().expect("lock").push(write),
                    Err(DbError::Unavailable(_) | DbError::Protocol(_)) => break,
                    Err(other) => panic!("unexpected error while writing: {other:?}"),
                }
            }
        }));
    }
    // Let the writers get going, then pull the plug mid-stream.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().expect("lock").len() < 400 {
        assert!(tokio::time::Instant::now() < deadline, "writers too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    service.kill_hard().await;
    for writer in writers {
        writer.await.expect("writer task");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();

    service.restart().await;
    for (kind, key) in &acknowledged {
        let found = match *kind {
            "user" => service
                .client
                .find_user_by_email(&format!("{key}@example.com"))
                .await
                .map(drop),
            _ => service
                .client
                .find_article_by_slug(key, ViewerQuery::default())
                .await
                .map(drop),
        };
        assert!(
            found.is_ok(),
            "acknowledged {kind} {key} lost after kill -9: {found:?}"
        );
    }
    let articles = acknowledged
        .iter()
        .filter(|(kind, _)| *kind == "article")
        .count();
    assert!(
        articles >= 100 && acknowledged.len() - articles >= 100,
        "{articles} of {}",
        acknowledged.len()
    );
}

/// How often searches are ranked shows in `db_search_ranking_duration_seconds`: once for every viewer and page of
/// a search, again after an article is published, not after a favorite or a follow.
#[tokio::test]
async fn a_search_is_ranked_again_after_a_new_article_and_not_after_a_favorite() {
    rankings_drill(vec![]).await;
}

/// The same on MySQL, where the articles' version is a counter the triggers keep (blog migration 0005).
#[tokio::test]
async fn a_search_is_ranked_again_after_a_new_article_and_not_after_a_favorite_on_mysql() {
    rankings_drill(on_mysql()).await;
}

async fn rankings_drill(env: Vec<(&'static str, String)>) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut service = Service::start(data.path(), env).await;
    let jake = seed(&service.client).await;
    let anna = service
        .client
        .create_user(&new_user("anna"))
        .await
        .expect("anna")
        .id;
    let rankings = "db_search_ranking_duration_seconds_count";
    let search = |viewer: Option<UserId>, offset: u64| ArticleFilter {
        q: Some("body".into()),
        viewer,
        limit: 10,
        offset,
        ..ArticleFilter::default()
    };
    let total = |page: db_client::ArticlePage| page.total;
    let list = |filter: ArticleFilter| {
        let client = service.client.clone();
        async move { client.list_articles(&filter).await.expect("search") }
    };
    assert_eq!(total(list(search(None, 0)).await), 25);
    for (viewer, offset) in [(Some(jake), 0), (Some(anna), 10), (None, 20)] {
        assert_eq!(total(list(search(viewer, offset)).await), 25);
    }
    assert_eq!(
        service.metric(rankings).await,
        1.0,
        "one ranking for every viewer and page"
    );

    service
        .client
        .set_favorite("post-7", anna, true)
        .await
        .expect("favorite");
    service
        .client
        .set_follow("jake", anna, true)
        .await
        .expect("follow");
    let comment = db_client::NewComment {
        author: anna,
        body: "a body of its own".into(),
    };
    service
        .client
        .create_comment("post-7", &comment)
        .await
        .expect("comment");
    let page = list(search(Some(anna), 10)).await;
    let post_7 = page.articles.iter().find(|a| a.slug == "post-7");
    assert!(
        post_7.is_some_and(|a| a.favorited && a.author.following),
        "{page:?}"
    );
    assert_eq!(
        service.metric(rankings).await,
        1.0,
        "ranked again after a favorite, a follow or a comment"
    );

    service
        .client
        .create_article(&NewArticle {
            author: jake,
            slug: "post-25".into(),
            title: "Post 25".into(),
            description: "d".into(),
            body: "body 25".into(),
            tags: vec![],
        })
        .await
        .expect("article");
    assert_eq!(total(list(search(None, 0)).await), 26);
    assert_eq!(service.metric(rankings).await, 2.0);
    // An edit that takes the word away, and a deletion: each is ranked anew.
    let edit = conduit_testkit::body_edit(jake, "no such word");
    service
        .client
        .update_article("post-25", &edit)
        .await
        .expect("edit");
    assert_eq!(total(list(search(None, 0)).await), 25);
    service
        .client
        .delete_article("post-24", jake)
        .await
        .expect("delete");
    assert_eq!(total(list(search(None, 0)).await), 24);
    assert_eq!(service.metric(rankings).await, 4.0);
    service.stop().await;
}

#[tokio::test]
async fn healthcheck_succeeds_against_a_serving_instance_and_fails_once_it_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(dir.path(), vec![]).await;
    let healthcheck = |port: u16| {
        std::process::Command::new(binary())
            .arg("healthcheck")
            // The listen address as the container sets it: a wildcard means "this host".
            .env("DB_SERVICE_ADDR", format!("0.0.0.0:{port}"))
            .env("RUST_LOG", "error")
            .output()
            .expect("run db-service healthcheck")
    };
    let up = healthcheck(service.socket.addr().port());
    assert!(
        up.status.success(),
        "healthy: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    service.stop().await;
    let down = healthcheck(service.socket.addr().port());
    assert!(!down.status.success(), "a stopped service is not healthy");
    assert!(String::from_utf8_lossy(&down.stderr).contains("no answer"));
}

/// On MySQL, new articles that queue while a batch is written go into the next one, written with one statement
/// per table in one transaction (store/mysql/article_batches.rs): each caller still gets its own article, same
/// titles (also one already taken) still get distinct slugs, and every tag is stored; a batch with a row the
/// server refuses is written one by one, so only that article fails; creates whose callers gave up are not stored.
#[tokio::test]
async fn new_articles_queued_together_are_written_in_one_transaction_on_mysql() {
    use sqlx::Executor;

    let OnMysql {
        service,
        blog_database,
        mut holder,
        jake,
    } = OnMysql::start().await;
    let new = |i: usize| {
        // Half share one title, which an article below already has.
        let title = if i.is_multiple_of(2) {
            "Same".to_owned()
        } else {
            format!("Own {i}")
        };
        NewArticle {
            author: jake,
            slug: title.to_lowercase().replace(' ', "-"),
            title,
            description: format!("#{i}"),
            body: "b".into(),
            tags: vec![format!("t{i}"), "queued".into()],
        }
    };
    let first = service.client.create_article(&new(0)).await.expect("first");
    assert_eq!(first.slug, "same");

    // While the articles table is held, one create waits in its transaction and the writer takes no other: the
    // creates sent after it queue, and are written together once the table is free.
    let before = service.metric("db_blog_batches_total").await;
    let mut slugs = std::collections::HashSet::from([first.slug.clone()]);
    let articles = (1..=24).map(|i| (i, new(i))).collect();
    for (i, created) in held_then_sent(&service, &mut holder, &blog_database, articles).await {
        let created = created.expect("create");
        assert_eq!(
            created.description,
            format!("#{i}"),
            "a caller got another's article"
        );
        assert_eq!(created.tags, vec!["queued".to_owned(), format!("t{i}")]);
        assert!(
            slugs.insert(created.slug.clone()),
            "duplicate slug {}",
            created.slug
        );
        let stored = service
            .client
            .find_article_by_slug(&created.slug, ViewerQuery::default())
            .await;
        assert_eq!(stored.expect("stored"), created);
    }
    // The first create alone, then the 23 behind it together; one by one they would be 24 transactions.
    assert_eq!(service.metric("db_blog_batches_total").await - before, 2.0);
    assert_eq!(service.tagged("queued").await.total, 25);

    // One article's tag is longer than its column: the server refuses the batch, which is then written one by
    // one, so only that article fails.
    let articles = (100..=107)
        .map(|i| {
            let mut article = new(i);
            if i == 104 {
                article.tags.push("x".repeat(300));
            }
            (i, article)
        })
        .collect();
    for (i, created) in held_then_sent(&service, &mut holder, &blog_database, articles).await {
        match created {
            Err(_) if i == 104 => {}
            Ok(created) if i != 104 => assert_eq!(created.description, format!("#{i}")),
            other => panic!("create {i}: {other:?}"),
        }
    }
    assert_eq!(
        service.metric("db_article_batch_fallbacks_total").await,
        1.0
    );
    let page = service.tagged("queued").await;
    assert_eq!(page.total, 25 + 7);
    assert!(!page.articles.iter().any(|a| a.description == "#104"));

    // Creates whose callers give up while they wait are not stored: one by one or together, a client that
    // tries again would get a duplicate.
    let impatient =
        DbClient::new(&service.socket.url(), TOKEN, Duration::from_millis(300)).expect("client");
    holder
        .execute("LOCK TABLES articles WRITE")
        .await
        .expect("lock");
    let creates: Vec<_> = (200..206)
        .map(|i| {
            let client = impatient.clone();
            let mut article = new(i);
            article.tags = vec!["gone".into()];
            tokio::spawn(async move { client.create_article(&article).await })
        })
        .collect();
    for create in creates {
        assert!(
            create.await.expect("task").is_err(),
            "answered while locked"
        );
    }
    holder.execute("UNLOCK TABLES").await.expect("unlock");
    // After them, a create that waits: once it is answered, the writer is past the abandoned ones.
    service
        .client
        .create_article(&new(300))
        .await
        .expect("create");
    assert_eq!(service.tagged("gone").await.total, 0);
}

/// The MySQL server drops the writer's connection in the middle of a batch (a failover, a proxy or server
/// restart): every create of that batch is told to try again (503), none of them is stored, none is
/// stored twice when the next batch runs, and the writer goes on with a new connection.
#[tokio::test]
async fn a_batch_whose_connection_the_server_drops_fails_whole_and_the_writer_goes_on_on_mysql() {
    use sqlx::Executor;

    let OnMysql {
        service,
        blog_database,
        mut holder,
        jake,
    } = OnMysql::start().await;
    let new = |i: usize| NewArticle {
        author: jake,
        slug: format!("dropped-{i}"),
        title: format!("Dropped {i}"),
        description: format!("#{i}"),
        body: "b".into(),
        tags: vec!["dropped".into()],
    };
    holder
        .execute("LOCK TABLES articles WRITE")
        .await
        .expect("lock");
    let send = |i: usize| {
        let client = service.client.clone();
        let article = new(i);
        tokio::spawn(async move { client.create_article(&article).await })
    };
    // The first create alone, waiting for the table inside its transaction; then 23 queued behind it.
    let mut creates = vec![send(0)];
    let first_writer = waiting_for_the_table(&mut holder, &blog_database, &[]).await;
    creates.extend((1..24).map(send));
    poll_until("creates queued", 23.0, || {
        service.metric("db_writer_queued{writer=\"new_articles\"}")
    })
    .await;
    // The server drops the first batch's connection; the next batch (the 23) waits for the table on another
    // connection, which the server drops too.
    let killed = std::time::Instant::now();
    kill_connection(&mut holder, first_writer).await;
    let second_writer = waiting_for_the_table(&mut holder, &blog_database, &[first_writer]).await;
    kill_connection(&mut holder, second_writer).await;
    for (i, create) in creates.into_iter().enumerate() {
        let answer = create.await.expect("task");
        // db-service's own 503, not the client giving up (which would take its 10 s timeout).
        assert!(
            matches!(&answer, Err(DbError::Unavailable(message)) if message.contains("try again")),
            "create {i} on a dropped connection: {answer:?}"
        );
    }
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "the creates were answered {:?} after the kills",
        killed.elapsed()
    );
    holder.execute("UNLOCK TABLES").await.expect("unlock");

    // Nothing of the failed batches is stored, now or after later batches ran; the writer works on.
    let after = service
        .client
        .create_article(&new(100))
        .await
        .expect("a create after");
    assert_eq!(after.slug, "dropped-100");
    let page = service.tagged("dropped").await;
    assert_eq!(
        page.total,
        1,
        "{:?}",
        page.articles.iter().map(|a| &a.slug).collect::<Vec<_>>()
    );
    // The callers who were told of a failure try again: each is stored once, under the slug it asked for.
    for i in 0..24 {
        let created = service.client.create_article(&new(i)).await.expect("retry");
        assert_eq!(created.slug, format!("dropped-{i}"));
    }
    assert_eq!(service.tagged("dropped").await.total, 25);
    let response = reqwest::get(format!("{}/readyz", service.socket.url()))
        .await
        .expect("readyz");
    assert!(response.status().is_success(), "{}", response.status());
}

/// db-service on a fresh database of the test MySQL server, with one user.
struct OnMysql {
    /// Owning its data dir.
    service: Service,
    /// The name of its blog database.
    blog_database: String,
    /// A connection of the test's own to that database.
    holder: sqlx::MySqlConnection,
    /// The user's id.
    jake: UserId,
}

impl OnMysql {
    async fn start() -> Self {
        use sqlx::Connection;

        let database = conduit_testkit::fresh_database_name();
        let server = conduit_testkit::test_server_setting("CONDUIT_TEST_MYSQL_URL");
        let data = tempfile::tempdir().expect("temp dir");
        let mut service = Service::start(
            data.path(),
            vec![("DATABASE_URL", format!("{server}/{database}"))],
        )
        .await;
        service.owned_data_dir = Some(data);
        let jake = service
            .client
            .create_user(&new_user("jake"))
            .await
            .expect("user")
            .id;
        let blog_database = format!("{database}_blog");
        let holder = sqlx::MySqlConnection::connect(&format!("{server}/{blog_database}"))
            .await
            .expect("connect to the blog database");
        Self {
            service,
            blog_database,
            holder,
            jake,
        }
    }
}

/// Waits until a connection other than `holder` and those in `seen` waits for a table of `blog_database`; its id.
async fn waiting_for_the_table(
    holder: &mut sqlx::MySqlConnection,
    blog_database: &str,
    seen: &[i64],
) -> i64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: Vec<(i64,)> = sqlx::query_as(
            "SELECT ID FROM information_schema.PROCESSLIST \
             WHERE DB = ? AND STATE LIKE 'Waiting for table%' AND ID <> CONNECTION_ID()",
        )
        .bind(blog_database)
        .fetch_all(&mut *holder)
        .await
        .expect("processlist");
        if let Some((id,)) = waiting.into_iter().find(|(id,)| !seen.contains(id)) {
            return id;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no new write waits for the table after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Drops connection `id` server-side, as a restarting server or proxy would.
async fn kill_connection(holder: &mut sqlx::MySqlConnection, id: i64) {
    use sqlx::Executor;
    holder
        .execute(format!("KILL CONNECTION {id}").as_str())
        .await
        .expect("kill the writer's connection");
}

/// Sends `articles` to be created while `holder` holds the articles table of `blog_database`: the first alone,
/// which the writer takes and then waits for the table with, then the others, which queue behind it; then
/// frees the table. Each article's index with what its create answered.
async fn held_then_sent(
    service: &Service,
    holder: &mut sqlx::MySqlConnection,
    blog_database: &str,
    articles: Vec<(usize, NewArticle)>,
) -> Vec<(usize, Result<db_client::ArticleRecord, DbError>)> {
    use sqlx::Executor;

    let send = |(i, article): (usize, NewArticle)| {
        let client = service.client.clone();
        tokio::spawn(async move { (i, client.create_article(&article).await) })
    };
    holder
        .execute("LOCK TABLES articles WRITE")
        .await
        .expect("lock");
    let mut articles = articles.into_iter();
    let mut creates: Vec<_> = articles.next().into_iter().map(send).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE DB = ? AND STATE LIKE 'Waiting for table%'",
        )
        .bind(blog_database)
        .fetch_one(&mut *holder)
        .await
        .expect("processlist");
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no create waits for the table after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    creates.extend(articles.map(send));
    let queued = (creates.len() - 1) as f64;
    poll_until("creates queued", queued, || {
        service.metric("db_writer_queued{writer=\"new_articles\"}")
    })
    .await;
    holder.execute("UNLOCK TABLES").await.expect("unlock");
    let mut answers = Vec::with_capacity(creates.len());
    for create in creates {
        answers.push(create.await.expect("task"));
    }
    answers
}

/// Polls `read` every 20 ms until it gives `want`, for at most 10 s.
async fn poll_until<F, Fut>(what: &str, want: f64, mut read: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = f64>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let value = read().await;
        if value == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {value}, not {want}, after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
