//! Hostile traffic through nginx, one test per attack, each asserting its bound: what one client sends costs a
//! bounded amount of CPU, memory, log and write work, and never denies service to another. (How fast each is
//! refused is measured by bench/hostile.sh, not asserted here.)

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::helpers::{spawn_behind_nginx, TestApp};

const MIB: u64 = 1024 * 1024;

/// Registers `name` as a client at `client_ip` (nginx trusts the test as a proxy); the answer's status.
async fn register_from(app: &TestApp, name: &str, client_ip: &str) -> u16 {
    app.http
        .post(app.url("/api/users"))
        .header("x-forwarded-for", client_ip)
        .json(&json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": "password123"}}))
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

/// A login as `email` from a client at `client_ip`; the answer's status.
async fn login_from(app: &TestApp, email: &str, password: &str, client_ip: &str) -> u16 {
    app.http
        .post(app.url("/api/users/login"))
        .header("x-forwarded-for", client_ip)
        .json(&json!({"user": {"email": email, "password": password}}))
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_body_of_120_000_tags_is_refused_by_its_count_and_tags_stay_served() {
    let app = spawn_behind_nginx(&[]).await;
    let token = app.register("jake").await;
    // As many short distinct tags as fit under the 1 MiB body limit.
    let tags: Vec<String> = (0..120_000).map(|i| format!("{i:x}")).collect();
    let (status, body) = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "t", "description": "d", "body": "b", "tagList": tags}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"]["tagList"],
        json!(["has too many tags (maximum is 10)"])
    );
    let (status, _) = app.get("/api/tags", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sign_ups_at_once_hash_a_bounded_number_at_a_time() {
    let app = spawn_behind_nginx(&[("SIGNUPS_PER_IP_PER_MINUTE", "2")]).await;
    let (_, before) = app.api_memory();
    // Fifty clients, ten sign-ups each at once: many more than the cores can hash, some beyond their limit.
    let attempts =
        (0..50).map(|i| {
            let app = &app;
            async move {
                register_from(app, &format!("user{i}"), &format!("198.51.100.{}", i % 10)).await
            }
        });
    let statuses = join_all(attempts).await;
    assert!(
        statuses.iter().all(|s| matches!(s, 201 | 429 | 503)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201), "{statuses:?}");
    assert!(
        statuses.contains(&429),
        "the per-client limit: {statuses:?}"
    );
    // One argon2id hash holds 19 MiB, in a buffer each hashing thread keeps: one thread per core, at most 4.
    let slots = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4) as u64;
    let (_, peak) = app.api_memory();
    eprintln!(
        "api RSS {} MiB before, peak {} MiB",
        before / MIB,
        peak / MIB
    );
    let bound = before + slots * 24 * MIB + 16 * MIB;
    assert!(
        peak <= bound,
        "api peak RSS {} MiB over {} MiB ({} MiB before, {slots} hashing threads)",
        peak / MIB,
        bound / MIB,
        before / MIB
    );
}

#[tokio::test]
async fn a_megabyte_email_is_a_422_and_stays_out_of_the_log() {
    let app = spawn_behind_nginx(&[]).await;
    let log_before = std::fs::metadata(app.api_log()).map_or(0, |m| m.len());
    let email = format!("{}@example.com", "x".repeat(1_000_000));
    let status = login_from(&app, &email, "whatever1", "203.0.113.5").await;
    assert_eq!(status, 422);
    // The next request's log line shows that everything of the first was written.
    let (status, _) = app.get("/api/tags", None).await;
    assert_eq!(status, 200);
    let grown = std::fs::metadata(app.api_log()).map_or(0, |m| m.len()) - log_before;
    assert!(grown < 4096, "the log grew by {grown} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eleven_hundred_articles_with_one_title_each_get_their_own_slug() {
    // One user writes them all: well past the default write allowance.
    let app = spawn_behind_nginx(&[("WRITES_PER_USER_PER_MINUTE", "100000")]).await;
    let token = app.register("jake").await;
    let mut slugs = std::collections::HashSet::new();
    for _ in 0..(1100 / 50) {
        let creates = (0..50).map(|_| {
            app.post(
                "/api/articles",
                Some(&token),
                json!({"article": {"title": "Same title", "description": "d", "body": "b"}}),
            )
        });
        for (status, body) in join_all(creates).await {
            assert_eq!(status, 201, "{body}");
            let slug = body["article"]["slug"].as_str().expect("slug").to_owned();
            assert!(slug.starts_with("same-title"), "{slug}");
            assert!(slugs.insert(slug), "a slug was given twice");
        }
    }
    assert_eq!(slugs.len(), 1100);
    let (_, list) = app.get("/api/articles?limit=1", None).await;
    assert_eq!(list["articlesCount"], 1100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_article_with_two_thousand_large_comments_is_read_a_bounded_page_at_a_time() {
    // One user writes them all: well past the default write allowance.
    let app = spawn_behind_nginx(&[("WRITES_PER_USER_PER_MINUTE", "100000")]).await;
    let token = app.register("jake").await;
    app.create_article(&token, "Discussed", &[]).await;
    let body = "💬".repeat(9_000);
    // Ten at a time: the setup must not trip the tests' short db-service timeout on a busy machine.
    for _ in 0..(2000 / 10) {
        let comments = (0..10).map(|_| {
            app.post(
                "/api/articles/discussed/comments",
                Some(&token),
                json!({"comment": {"body": body}}),
            )
        });
        for (status, answer) in join_all(comments).await {
            assert_eq!(status, 201, "{answer}");
        }
    }
    app.reset_peak_memory();
    let (api_before, _) = app.api_memory();
    let (db_before, _) = app.db_service_memory();
    let reads = (0..4).map(|_| app.get("/api/articles/discussed/comments?limit=100", None));
    let mut first_ids = None;
    for (status, page) in join_all(reads).await {
        assert_eq!(status, 200);
        assert_eq!(page["commentsCount"], 2000);
        let comments = page["comments"].as_array().expect("comments");
        // A page ends once 256 KiB of bodies have started: 8 of these 36 KB comments, not the 100 asked for.
        assert_eq!(comments.len(), 8, "{}", comments.len());
        let bytes = page.to_string().len();
        assert!(bytes < 300 * 1024, "a page of {bytes} bytes");
        first_ids = Some(comments.iter().map(|c| c["id"].clone()).collect::<Vec<_>>());
    }
    // The reader goes on from where the page ended, as the SPA does (offset = comments loaded).
    let first_ids = first_ids.expect("a page");
    let (_, next) = app
        .get("/api/articles/discussed/comments?limit=100&offset=8", None)
        .await;
    let next_ids: Vec<_> = next["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(next_ids.len(), 8);
    // It starts right after the first page: nothing skipped (the ids of this article's comments are consecutive).
    let last_of_first = first_ids.last().and_then(Value::as_i64).expect("an id");
    assert_eq!(next_ids[0].as_i64(), Some(last_of_first + 1));
    let (_, default_page) = app.get("/api/articles/discussed/comments", None).await;
    assert_eq!(default_page["comments"].as_array().map(Vec::len), Some(8));
    let (_, small) = app
        .get("/api/articles/discussed/comments?limit=3", None)
        .await;
    assert_eq!(small["comments"].as_array().map(Vec::len), Some(3));
    let (_, api_peak) = app.api_memory();
    let (_, db_peak) = app.db_service_memory();
    for (who, before, peak) in [
        ("api", api_before, api_peak),
        ("db-service", db_before, db_peak),
    ] {
        eprintln!(
            "{who} RSS {} MiB before the reads, peak {} MiB",
            before / MIB,
            peak / MIB
        );
        assert!(
            peak.saturating_sub(before) < 32 * MIB,
            "{who} grew from {} to {} MiB",
            before / MIB,
            peak / MIB
        );
    }
}

#[tokio::test]
async fn bad_logins_from_one_client_lock_out_neither_another_client_nor_the_owner() {
    let app = spawn_behind_nginx(&[
        ("LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "30"),
        ("LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE", "5"),
    ])
    .await;
    app.register("jake").await;
    app.register("anna").await;
    let attacker = "203.0.113.66";
    let mut refused = false;
    for _ in 0..40 {
        let status = login_from(&app, "jake@example.com", "guess-guess", attacker).await;
        assert!(matches!(status, 401 | 429), "{status}");
        refused |= status == 429;
    }
    assert!(refused, "the attacker is slowed down");
    // The owner, from home, and another user, from elsewhere, sign in as usual.
    assert_eq!(
        login_from(&app, "jake@example.com", "password123", "198.51.100.20").await,
        200
    );
    assert_eq!(
        login_from(&app, "anna@example.com", "password123", "198.51.100.21").await,
        200
    );
    // A forwarded address nginx does not trust cannot pose as another client: the peer is what counts.
    let spoofed = app
        .send(
            app.request(reqwest::Method::POST, "/api/users/login")
                .header("x-forwarded-for", "198.51.100.20")
                .header("x-real-ip", "198.51.100.20")
                .json(&json!({"user": {"email": "jake@example.com", "password": "x"}})),
        )
        .await;
    assert!(matches!(spoofed.status().as_u16(), 401 | 429));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_create_whose_caller_timed_out_is_never_committed() {
    let app = spawn_behind_nginx(&[("DB_TIMEOUT_MS", "300")]).await;
    let token = app.register("jake").await;
    // Another process holds blog.db's write lock: db-service's writer waits for it.
    let mut lock = tokio::process::Command::new("sqlite3")
        .arg(app.data_dir().join("blog.db"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("sqlite3");
    let mut stdin = lock.stdin.take().expect("stdin");
    stdin
        .write_all(b"BEGIN IMMEDIATE;\nSELECT 1;\n")
        .await
        .expect("lock");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "Timed out", "description": "d", "body": "b"}}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    stdin.write_all(b"COMMIT;\n.quit\n").await.expect("unlock");
    drop(stdin);
    lock.wait().await.expect("sqlite3 ends");
    // The next create goes through the same writer after the first was dealt with.
    app.create_article(&token, "Later", &[]).await;
    let (_, list) = app.get("/api/articles", None).await;
    let titles: Vec<&Value> = list["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| &a["title"])
        .collect();
    assert_eq!(titles, [&json!("Later")], "{list}");
}

#[tokio::test]
async fn ids_paths_and_pages_from_clients_are_bounded() {
    let app = spawn_behind_nginx(&[]).await;
    for (given, kept) in [
        ("ok-id_1.2:3", true),
        ("bad\"id{}", false),
        (&"x".repeat(200)[..], false),
    ] {
        let response = app.get_raw("/api/tags", &[("x-request-id", given)]).await;
        let echoed = response.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_eq!(echoed == given, kept, "{given:?} → {echoed:?}");
    }
    let (status, body) = app.get("/api/articles?offset=10001", None).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"]["offset"].is_array(), "{body}");
    let (status, _) = app
        .get(&format!("/api/articles/{}", "s".repeat(300)), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get(&format!("/api/articles?tag={}", "t".repeat(100)), None)
        .await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bodies_held_at_once_are_bounded_by_the_body_budget() {
    // Straight at the api: nginx would buffer each body whole before passing it on.
    let app = crate::helpers::spawn_app().await;
    let token = app.register("jake").await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    // 40 clients each declare the largest body allowed (1,280 KiB), send most of it and hold back the rest. The
    // budget (16 such bodies) admits 16 of them; the others are refused with 503 once they have waited 2 s, their
    // bodies unread.
    let clients = (0..40).map(|_| {
        let (addr, token) = (addr.clone(), token.clone());
        tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect");
            let head = format!(
                "POST /api/articles HTTP/1.1\r\nhost: conduit\r\nauthorization: Token {token}\r\n\
                 content-type: application/json\r\ncontent-length: 1310720\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await.expect("head");
            stream
                .write_all(&[b' '; 1_200_000])
                .await
                .expect("most of the body");
            let mut answer = [0u8; 12];
            let read = tokio::time::timeout(
                Duration::from_secs(6),
                tokio::io::AsyncReadExt::read_exact(&mut stream, &mut answer),
            )
            .await;
            // Answered (its status), or still waiting for the rest of its body: admitted.
            match read {
                Ok(Ok(_)) => String::from_utf8_lossy(&answer[9..12]).into_owned(),
                _ => "admitted".to_owned(),
            }
        })
    });
    let outcomes: Vec<String> = join_all(clients)
        .await
        .into_iter()
        .map(|joined| joined.expect("client"))
        .collect();
    let admitted = outcomes.iter().filter(|o| *o == "admitted").count();
    let refused = outcomes.iter().filter(|o| *o == "503").count();
    assert_eq!((admitted, refused), (16, 24), "{outcomes:?}");
}

/// `refused` is a 429 for `what` coming too fast, with a Retry-After within the minute the allowance spans.
async fn assert_coming_too_fast(refused: reqwest::Response, what: &str) {
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let body: serde_json::Value = refused.json().await.expect("JSON");
    let message = body["errors"][what][0].as_str().unwrap_or_default();
    assert!(
        message.starts_with("are coming too fast, try again in "),
        "{body}"
    );
}

/// One account writing as fast as it can is held to its allowance (WRITES_PER_USER_PER_MINUTE, each a burst):
/// past it every write is refused with 429 and a Retry-After, nothing of it done, while that account still reads,
/// and other accounts still write.
#[tokio::test]
async fn one_account_s_writes_are_held_to_its_allowance_and_nobody_else_s_are() {
    let app = spawn_behind_nginx(&[("WRITES_PER_USER_PER_MINUTE", "3")]).await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let slug = app.create_article(&jake, "Hot", &[]).await["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    let favorite = format!("/api/articles/{slug}/favorite");
    let (status, _) = app.post(&favorite, Some(&jake), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = app.comment(&slug, Some(&jake), "first").await;
    assert_eq!(status, 201);

    let refused = app
        .send(
            app.request(reqwest::Method::DELETE, &favorite)
                .header("authorization", format!("Token {jake}")),
        )
        .await;
    assert_coming_too_fast(refused, "writes").await;

    // The refused unfavorite was not made; jake still reads; jane's allowance is her own.
    let (status, article) = app.get(&format!("/api/articles/{slug}"), Some(&jake)).await;
    assert_eq!(status, 200);
    assert_eq!(article["article"]["favorited"], true);
    let (status, _) = app.get("/api/articles/feed", Some(&jake)).await;
    assert_eq!(status, 200);
    let (status, favorited) = app.post(&favorite, Some(&jane), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(favorited["article"]["favoritesCount"], 2);
}

/// One client making up searches as fast as it can is held to its allowance (SEARCHES_PER_IP_PER_MINUTE, each a
/// burst): each new search may cost db-service a ranking, one at a time for everyone. Past it a search is 429 with
/// a Retry-After, while that client still lists, and other clients still search.
#[tokio::test]
async fn one_client_s_searches_are_held_to_its_allowance_and_nobody_else_s_are() {
    let app = spawn_behind_nginx(&[("SEARCHES_PER_IP_PER_MINUTE", "3")]).await;
    let jake = app.register("jake").await;
    app.create_article(&jake, "Kestrel days", &[]).await;
    let search_from = |q: &str, client_ip: &str| {
        app.http
            .get(app.url(&format!("/api/articles?q={q}")))
            .header("x-forwarded-for", client_ip)
            .send()
    };
    // Distinct words: nginx's one-second cache of anonymous reads answers none of them.
    for q in ["kestrel", "falcon", "osprey"] {
        let answer = search_from(q, "198.51.100.20").await.expect("sent");
        assert_eq!(answer.status(), 200, "{q}");
    }
    let refused = search_from("harrier", "198.51.100.20").await.expect("sent");
    assert_coming_too_fast(refused, "searches").await;

    // The same client still lists (and a `q` with nothing to search for costs nothing); another searches.
    let listed = app
        .http
        .get(app.url("/api/articles?author=jake"))
        .header("x-forwarded-for", "198.51.100.20")
        .send()
        .await
        .expect("sent");
    assert_eq!(listed.status(), 200);
    let list: serde_json::Value = listed.json().await.expect("JSON");
    assert_eq!(list["articlesCount"], 1);
    let nothing = search_from("a+b", "198.51.100.20").await.expect("sent");
    assert_eq!(nothing.status(), 200);
    let elsewhere = search_from("kestrel", "198.51.100.21").await.expect("sent");
    assert_eq!(elsewhere.status(), 200);
    let found: serde_json::Value = elsewhere.json().await.expect("JSON");
    assert_eq!(found["articlesCount"], 1);
}
