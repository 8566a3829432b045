//! Moving an installation from SQLite to MySQL with `db-service export` and `import`, as an operator would: the
//! real binary, a serving SQLite instance exported live, imported into a fresh MySQL (the MariaDB server of
//! `scripts/with-mariadb`), and every answer compared.

use std::{path::Path, process::Stdio, time::Duration};

use conduit_testkit::{fresh_mysql_url, wait_ready, Socket};
use db_client::{
    ArticleChanges, ArticleFilter, CommentsQuery, DbClient, NewArticle, NewComment, NewUser,
    UserChanges, UserId, ViewerQuery,
};
use tokio::process::{Child, Command};

const TOKEN: &str = "migration-test-internal-token";

/// Environment selecting a backend: the SQLite files in `data_dir`, or the MySQL `url` when given.
fn backend_env(data_dir: &Path, url: Option<&str>) -> Vec<(&'static str, String)> {
    let mut env = vec![("DATA_DIR", data_dir.display().to_string())];
    if let Some(url) = url {
        env.push(("DATABASE_URL", url.to_owned()));
    }
    env
}

/// A serving db-service process; killed when dropped.
struct Service {
    _child: Child,
    _socket: Socket,
    client: DbClient,
}

async fn serve(env: &[(&'static str, String)]) -> Service {
    let socket = Socket::new();
    let mut child = socket
        .hand_to(&mut Command::new(env!("CARGO_BIN_EXE_db-service")))
        .envs(env.iter().cloned())
        .env("INTERNAL_TOKEN", TOKEN)
        .env("BACKUP_INTERVAL_SECS", "0")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start db-service");
    wait_ready(&format!("{}/readyz", socket.url()), &mut child).await;
    let client = DbClient::new(&socket.url(), TOKEN, Duration::from_secs(10)).expect("client");
    Service {
        _child: child,
        _socket: socket,
        client,
    }
}

/// Runs `db-service <args>` with `env`; (success, stdout, stderr).
fn cli(env: &[(&'static str, String)], args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_db-service"))
        .args(args)
        .envs(env.iter().cloned())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run db-service command");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Users, follows, articles (one edited, one deleted), tags, favorites and comments (one deleted, leaving a gap
/// in the ids). Returns the users.
async fn seed(client: &DbClient) -> Vec<UserId> {
    let mut users = Vec::new();
    for (i, name) in ["jake", "anna", "zoë🦀"].into_iter().enumerate() {
        let user = client
            .create_user(&NewUser {
                username: name.into(),
                email: format!("user{i}@example.com"),
                password_hash: format!("$argon2id$v=19$hash-of-{name}"),
            })
            .await
            .expect("user");
        users.push(user.id);
    }
    client
        .update_user(
            users[0],
            &UserChanges {
                bio: Some("I work at statefarm".into()),
                image: Some("https://example.com/jake.png".into()),
                ..UserChanges::default()
            },
        )
        .await
        .expect("update user");
    for (followee, follower) in [("jake", users[1]), ("zoë🦀", users[1]), ("anna", users[2])] {
        client
            .set_follow(followee, follower, true)
            .await
            .expect("follow");
    }
    for i in 0..12 {
        let author = users[i % 3];
        client
            .create_article(&NewArticle {
                author,
                slug: format!("post-{i}"),
                title: format!("Post {i} ✨"),
                description: format!("about {i}"),
                body: format!(
                    "# Post {i}\n\nwith `code` and 𝄞 — {}",
                    "text ".repeat(i * 50)
                ),
                tags: match i % 3 {
                    0 => vec!["rust".into(), "Rust".into()],
                    1 => vec!["dragons".into()],
                    _ => Vec::new(),
                },
            })
            .await
            .expect("article");
    }
    client
        .update_article(
            "post-3",
            &ArticleChanges {
                editor: users[0],
                title: Some("Post three, edited".into()),
                slug: Some("post-three-edited".into()),
                description: None,
                body: Some("new body".into()),
                tags: Some(vec!["edited".into()]),
            },
        )
        .await
        .expect("edit");
    client
        .delete_article("post-7", users[1])
        .await
        .expect("delete");
    for (slug, user) in [
        ("post-0", users[1]),
        ("post-0", users[2]),
        ("post-1", users[0]),
    ] {
        client
            .set_favorite(slug, user, true)
            .await
            .expect("favorite");
    }
    for (i, slug) in ["post-0", "post-0", "post-1", "post-0"]
        .into_iter()
        .enumerate()
    {
        client
            .create_comment(
                slug,
                &NewComment {
                    author: users[i % 3],
                    body: format!("comment {i} 💬"),
                },
            )
            .await
            .expect("comment");
    }
    let first = client
        .list_comments("post-0", CommentsQuery::default())
        .await
        .expect("comments");
    client
        .delete_comment("post-0", first.comments[0].id, users[0])
        .await
        .expect("delete comment");
    users
}

/// Everything a client can read, as each user and anonymously.
async fn everything(client: &DbClient, users: &[UserId]) -> String {
    let mut seen = Vec::new();
    for viewer in std::iter::once(None).chain(users.iter().copied().map(Some)) {
        let query = ViewerQuery { viewer };
        let all = client
            .list_articles(&ArticleFilter {
                viewer,
                limit: 100,
                ..ArticleFilter::default()
            })
            .await
            .expect("list");
        seen.push(format!("{all:?}"));
        for filter in [
            ArticleFilter {
                tag: Some("rust".into()),
                ..ArticleFilter::default()
            },
            ArticleFilter {
                favorited: Some("anna".into()),
                ..ArticleFilter::default()
            },
            ArticleFilter {
                author: Some("zoë🦀".into()),
                ..ArticleFilter::default()
            },
            ArticleFilter {
                followed_by: viewer,
                ..ArticleFilter::default()
            },
            // The search index is rebuilt by the import: words of an edited title and of its new tags.
            ArticleFilter {
                q: Some("three edited".into()),
                ..ArticleFilter::default()
            },
        ] {
            let page = client
                .list_articles(&ArticleFilter { viewer, ..filter })
                .await
                .expect("filtered list");
            seen.push(format!("{page:?}"));
        }
        for article in &all.articles {
            let one = client
                .find_article_by_slug(&article.slug, query)
                .await
                .expect("article");
            let comments = client
                .list_comments(
                    &article.slug,
                    CommentsQuery {
                        viewer: query.viewer,
                        ..CommentsQuery::default()
                    },
                )
                .await
                .expect("comments");
            seen.push(format!("{one:?} {comments:?}"));
        }
        for name in ["jake", "anna", "zoë🦀"] {
            let profile = client.find_profile(name, query).await.expect("profile");
            seen.push(format!("{profile:?}"));
        }
    }
    for user in users {
        let record = client.find_user_by_id(*user).await.expect("user");
        seen.push(format!("{record:?}"));
    }
    seen.push(format!("{:?}", client.list_tags().await.expect("tags")));
    seen.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installation_moves_from_sqlite_to_mysql_with_every_row_and_answer_intact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_env = backend_env(&dir.path().join("data"), None);
    let sqlite = serve(&sqlite_env).await;
    let users = seed(&sqlite.client).await;
    let before = everything(&sqlite.client, &users).await;

    // Exported while the SQLite instance serves.
    let export = dir.path().join("conduit.jsonl");
    let export_arg = export.display().to_string();
    let (ok, out, err) = cli(&sqlite_env, &["export", &export_arg]);
    assert!(ok, "export failed: {err}");
    assert!(
        out.starts_with(
            "exported 3 users, 3 follows, 11 articles, 10 tags, 3 favorites, 3 comments to"
        ),
        "{out}"
    );

    let url = fresh_mysql_url();
    let mysql_env = backend_env(&dir.path().join("unused"), Some(&url));
    let (ok, out, err) = cli(&mysql_env, &["import", &export_arg]);
    assert!(ok, "import failed: {err}");
    assert!(out.starts_with("imported 3 users"), "{out}");

    let mysql = serve(&mysql_env).await;
    let after = everything(&mysql.client, &users).await;
    assert_eq!(after, before);

    // Exported again from MySQL, the file is the same, row for row.
    let again = dir.path().join("again.jsonl");
    let (ok, _, err) = cli(&mysql_env, &["export", &again.display().to_string()]);
    assert!(ok, "second export failed: {err}");
    let read = |path: &Path| std::fs::read_to_string(path).expect("export file");
    assert_eq!(read(&again), read(&export));

    // Life goes on: new rows get new ids after the imported ones.
    let comment = mysql
        .client
        .create_comment(
            "post-1",
            &NewComment {
                author: users[0],
                body: "after the move".into(),
            },
        )
        .await
        .expect("new comment");
    let imported = sqlite
        .client
        .list_comments("post-0", CommentsQuery::default())
        .await
        .expect("comments");
    assert!(imported.comments.iter().all(|c| c.id < comment.id));
    let user = mysql
        .client
        .create_user(&NewUser {
            username: "newcomer".into(),
            email: "newcomer@example.com".into(),
            password_hash: "$argon2id$x".into(),
        })
        .await
        .expect("new user");
    assert!(users.iter().all(|u| u.0 < user.id.0));
}

#[tokio::test]
async fn import_refuses_a_truncated_file_and_a_target_that_holds_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_env = backend_env(&dir.path().join("data"), None);
    {
        let sqlite = serve(&sqlite_env).await;
        seed(&sqlite.client).await;
    }
    let export = dir.path().join("conduit.jsonl");
    let (ok, _, err) = cli(&sqlite_env, &["export", &export.display().to_string()]);
    assert!(ok, "export failed: {err}");

    // Cut before the end line (as a copy interrupted midway would be): refused, nothing written.
    let text = std::fs::read_to_string(&export).expect("export");
    let lines: Vec<&str> = text.lines().collect();
    let truncated = dir.path().join("truncated.jsonl");
    std::fs::write(&truncated, lines[..lines.len() - 3].join("\n")).expect("write");
    let url = fresh_mysql_url();
    let mysql_env = backend_env(&dir.path().join("unused"), Some(&url));
    let (ok, _, err) = cli(&mysql_env, &["import", &truncated.display().to_string()]);
    assert!(!ok);
    assert!(err.contains("incomplete"), "{err}");

    // A whole file goes in once; a second import into the same databases is refused.
    let (ok, _, err) = cli(&mysql_env, &["import", &export.display().to_string()]);
    assert!(ok, "import failed: {err}");
    let (ok, _, err) = cli(&mysql_env, &["import", &export.display().to_string()]);
    assert!(!ok);
    assert!(err.contains("already holds data"), "{err}");

    // And back into a fresh SQLite directory.
    let back_env = backend_env(&dir.path().join("back"), None);
    let (ok, out, err) = cli(&back_env, &["import", &export.display().to_string()]);
    assert!(ok, "import into SQLite failed: {err}");
    assert!(out.starts_with("imported 3 users"), "{out}");
}
