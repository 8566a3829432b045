//! Single articles: slugs, text and time fidelity, authors, edits, deletes, concurrent creates, freshness.

use super::*;

on_every_backend! {
    async fn articles_get_unique_slugs_sorted_tags_and_millisecond_timestamps(svc: TestService) {
        let jake = svc.user("jake").await;
        let first = svc
            .article(jake.id, "Dragons", &["training", "dragons"])
            .await;
        let second = svc.article(jake.id, "Dragons", &[]).await;
        assert_eq!(first.slug, "dragons");
        assert!(
            second.slug.starts_with("dragons-") && second.slug.len() == "dragons-".len() + 8,
            "a taken slug gets a short random suffix: {}",
            second.slug
        );
        assert_eq!(first.tags, vec!["dragons", "training"]);
        assert_eq!(first.author.username, "jake");
        assert_eq!(first.body.as_deref(), Some("the body"));
        // YYYY-MM-DDTHH:MM:SS.sssZ (NOTES.md #2)
        let ts = first.created_at.as_bytes();
        assert_eq!(ts.len(), 24, "{}", first.created_at);
        assert_eq!(
            (ts[10], ts[19], ts[23]),
            (b'T', b'.', b'Z'),
            "{}",
            first.created_at
        );

        assert_eq!(svc.read(&second.slug).await.expect("by slug"), second);
    }

    async fn text_keeps_every_character_tags_keep_their_case_and_times_are_utc(svc: TestService) {
        let emoji_user = svc.user("ünïcödé🦀").await;
        let profile = svc.profile("ünïcödé🦀", None).await;
        assert_eq!(profile.username, "ünïcödé🦀", "profile by a four-byte name");
        let article = svc
            .client
            .create_article(&NewArticle {
                author: emoji_user.id,
                slug: "crabs".into(),
                title: "Crabs 🦀 and 𝄞 clefs".into(),
                description: "naïve café — 漢字".into(),
                body: "# 🦀\n\n𝌆 four-byte characters".into(),
                tags: vec!["Rust".into(), "rust".into(), "🦀".into()],
            })
            .await
            .expect("create");
        let read = svc.read("crabs").await.expect("read");
        assert_eq!(read.title, "Crabs 🦀 and 𝄞 clefs");
        assert_eq!(read.description, "naïve café — 漢字");
        assert_eq!(read.body.as_deref(), Some("# 🦀\n\n𝌆 four-byte characters"));
        assert_eq!(read.author.username, "ünïcödé🦀");
        // Tags compare byte by byte: "Rust" and "rust" are two tags, sorted in byte order.
        assert_eq!(read.tags, vec!["Rust", "rust", "🦀"]);
        assert_eq!(read, article);
        let mut tags = svc.client.list_tags().await.expect("tags");
        tags.sort();
        assert_eq!(tags, vec!["Rust", "rust", "🦀"]);
        // Timestamps are UTC: within a minute of this machine's clock.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let created = utc_seconds(&read.created_at);
        assert!(
            now.abs_diff(created) < 60,
            "{} vs now {now}",
            read.created_at
        );
    }

    async fn articles_of_an_unknown_author_are_refused(svc: TestService) {
        let result = svc
            .client
            .create_article(&NewArticle {
                author: UserId(42),
                slug: "x".into(),
                title: "x".into(),
                description: "x".into(),
                body: "x".into(),
                tags: vec![],
            })
            .await;
        assert!(
            matches!(result, Err(DbError::NotFound { entity: Entity::User })),
            "{result:?}"
        );
    }

    async fn only_the_author_edits_and_a_new_title_brings_a_new_slug(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        svc.article(jake.id, "Old title", &["a", "b"]).await;
        svc.article(jake.id, "New title", &[]).await;

        let by_anna = db_client::ArticleChanges {
            editor: anna.id,
            title: None,
            slug: None,
            description: Some("hijacked".into()),
            body: None,
            tags: None,
        };
        let refused = svc.client.update_article("old-title", &by_anna).await;
        assert!(
            matches!(refused, Err(DbError::Forbidden { entity: Entity::Article })),
            "{refused:?}"
        );

        let by_jake = db_client::ArticleChanges {
            editor: jake.id,
            title: Some("New title".into()),
            slug: Some("new-title".into()),
            description: None,
            body: Some("rewritten".into()),
            tags: Some(vec!["c".into()]),
        };
        let edited = svc
            .client
            .update_article("old-title", &by_jake)
            .await
            .expect("edit");
        assert!(
            edited.slug.starts_with("new-title-") && edited.slug != "new-title",
            "the new slug is unique too: {}",
            edited.slug
        );
        assert_eq!(
            (edited.title.as_str(), edited.body.as_deref()),
            ("New title", Some("rewritten"))
        );
        assert_eq!(edited.description, "about it", "untouched fields stay");
        assert_eq!(edited.tags, vec!["c"]);
        assert!(edited.updated_at > edited.created_at);
        let gone = svc.read("old-title").await;
        assert!(matches!(gone, Err(DbError::NotFound { .. })));
        assert_eq!(
            svc.client.list_tags().await.expect("tags"),
            vec!["c"],
            "unused tags disappear"
        );
    }

    async fn deleting_an_article_takes_its_comments_favorites_and_tags_along(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        svc.article(jake.id, "Doomed", &["gone"]).await;
        svc.set_favorite("doomed", anna.id, true).await;
        svc.comment("doomed", anna.id, "nice").await;

        let refused = svc.client.delete_article("doomed", anna.id).await;
        assert!(
            matches!(refused, Err(DbError::Forbidden { .. })),
            "{refused:?}"
        );
        svc.client
            .delete_article("doomed", jake.id)
            .await
            .expect("delete");

        let gone = svc.read("doomed").await;
        assert!(matches!(gone, Err(DbError::NotFound { .. })));
        assert!(svc.client.list_tags().await.expect("tags").is_empty());
        assert_eq!(svc.list(&ArticleFilter::default()).await.total, 0);
        let missing = svc.client.delete_article("doomed", jake.id).await;
        assert!(matches!(missing, Err(DbError::NotFound { .. })));
    }

    /// Concurrent creates are group-committed (store/sqlite/blog_writer.rs): each caller must get its own article back,
    /// same titles must still get distinct slugs within one batch, and every acknowledged article must be listed.
    async fn concurrent_creates_each_get_their_own_article_and_all_are_stored(svc: TestService) {
        let jake = svc.user("jake").await;
        let creates = (0..48).map(|i| {
            let client = svc.client.clone();
            tokio::spawn(async move {
                // Half share one title, so slugs collide inside a batch.
                let title = if i % 2 == 0 {
                    "Same".to_owned()
                } else {
                    format!("Own {i}")
                };
                let created = client
                    .create_article(&NewArticle {
                        author: jake.id,
                        slug: title.to_lowercase().replace(' ', "-"),
                        title,
                        description: format!("#{i}"),
                        body: "b".into(),
                        // Unsorted, with a duplicate: the answer must show them as a later read does.
                        tags: vec![format!("t{i}"), "batch".into(), "batch".into()],
                    })
                    .await
                    .expect("create");
                (i, created)
            })
        });
        let mut slugs = std::collections::HashSet::new();
        for create in creates {
            let (i, created) = create.await.expect("task");
            assert_eq!(
                created.description,
                format!("#{i}"),
                "a caller got another's article"
            );
            assert_eq!(created.tags, vec!["batch".to_owned(), format!("t{i}")]);
            assert!(
                slugs.insert(created.slug.clone()),
                "duplicate slug {}",
                created.slug
            );
            assert_eq!(svc.read(&created.slug).await.expect("stored"), created);
        }
        let batch = ArticleFilter {
            tag: Some("batch".into()),
            ..ArticleFilter::default()
        };
        assert_eq!(svc.list(&batch).await.total, 48);
    }

    async fn a_signed_in_reader_sees_their_own_writes_at_once(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        svc.article(jake.id, "Watched", &[]).await;
        let as_anna = ArticleFilter {
            viewer: Some(anna.id),
            ..ArticleFilter::default()
        };
        let feed = ArticleFilter {
            followed_by: Some(anna.id),
            viewer: Some(anna.id),
            ..ArticleFilter::default()
        };
        let seen = |page: db_client::ArticlePage| {
            page.articles
                .first()
                .map(|a| (a.favorited, a.author.following))
        };
        // Warm every read anna makes, then change what she sees of them, one write at a time.
        assert_eq!(seen(svc.list(&as_anna).await), Some((false, false)));
        assert_eq!(svc.list(&feed).await.total, 0);
        assert!(!svc.read_as("watched", Some(anna.id)).await.expect("get").favorited);

        svc.set_favorite("watched", anna.id, true).await;
        assert_eq!(seen(svc.list(&as_anna).await), Some((true, false)));
        assert!(svc.read_as("watched", Some(anna.id)).await.expect("get").favorited);

        svc.set_follow("jake", anna.id, true).await;
        assert_eq!(seen(svc.list(&as_anna).await), Some((true, true)));
        assert_eq!(seen(svc.list(&feed).await), Some((true, true)));
        assert!(svc.read_as("watched", Some(anna.id)).await.expect("get").author.following);
        svc.set_follow("jake", anna.id, false).await;
        assert_eq!(svc.list(&feed).await.total, 0);
        // Another reader's view was never anna's.
        let as_jake = ArticleFilter {
            viewer: Some(jake.id),
            ..ArticleFilter::default()
        };
        assert_eq!(seen(svc.list(&as_jake).await), Some((false, false)));
    }

    async fn anonymous_reads_never_show_data_older_than_an_acknowledged_write(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        svc.article(jake.id, "Cached", &["one"]).await;
        let everything = ArticleFilter::default();
        // Warm every anonymous read.
        assert_eq!(svc.list(&everything).await.total, 1);
        assert_eq!(svc.read("cached").await.expect("get").favorites_count, 0);
        assert_eq!(svc.client.list_tags().await.expect("tags"), vec!["one"]);

        svc.set_favorite("cached", anna.id, true).await;
        assert_eq!(svc.read("cached").await.expect("get").favorites_count, 1);
        assert_eq!(svc.list(&everything).await.articles[0].favorites_count, 1);

        let bio = db_client::UserChanges {
            bio: Some("new bio".into()),
            ..Default::default()
        };
        svc.client
            .update_user(jake.id, &bio)
            .await
            .expect("update user");
        let seen = svc.read("cached").await.expect("get");
        assert_eq!(seen.author.bio.as_deref(), Some("new bio"));

        let retitle = db_client::ArticleChanges {
            editor: jake.id,
            title: Some("Renamed".into()),
            slug: Some("renamed".into()),
            description: None,
            body: None,
            tags: Some(vec!["two".into()]),
        };
        svc.client
            .update_article("cached", &retitle)
            .await
            .expect("edit");
        assert_eq!(svc.list(&everything).await.articles[0].title, "Renamed");
        assert_eq!(svc.client.list_tags().await.expect("tags"), vec!["two"]);
        assert!(matches!(
            svc.read("cached").await,
            Err(DbError::NotFound { .. })
        ));

        svc.article(anna.id, "Second", &[]).await;
        assert_eq!(svc.list(&everything).await.total, 2);
        svc.client
            .delete_article("renamed", jake.id)
            .await
            .expect("delete");
        assert!(matches!(
            svc.read("renamed").await,
            Err(DbError::NotFound { .. })
        ));
        assert_eq!(svc.list(&everything).await.total, 1);
    }
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS.sssZ`.
fn utc_seconds(ts: &str) -> u64 {
    let field = |range: std::ops::Range<usize>| -> i64 { ts[range].parse().expect("digits") };
    let (year, month, day) = (field(0..4), field(5..7), field(8..10));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + field(11..13) * 3600 + field(14..16) * 60 + field(17..19);
    u64::try_from(secs).expect("after 1970")
}
