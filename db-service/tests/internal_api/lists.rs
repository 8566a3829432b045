//! Article lists, the feed and the tag ranking.

use super::*;

on_every_backend! {
    async fn lists_are_newest_first_filtered_paginated_bodiless_and_counted_in_full(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        for i in 0..5 {
            svc.article(jake.id, &format!("jake {i}"), &["rust"]).await;
        }
        svc.article(anna.id, "anna 0", &["go"]).await;

        let all = svc.list(&ArticleFilter::default()).await;
        assert_eq!(all.total, 6);
        assert_eq!(all.articles[0].title, "anna 0");
        assert!(all.articles.iter().all(|a| a.body.is_none()));

        let jakes_second_page = ArticleFilter {
            author: Some("jake".into()),
            limit: 2,
            offset: 1,
            ..ArticleFilter::default()
        };
        let tagged = ArticleFilter {
            tag: Some("go".into()),
            ..ArticleFilter::default()
        };
        let nobodys = ArticleFilter {
            author: Some("nobody".into()),
            ..ArticleFilter::default()
        };
        // The total counts every match, not the page.
        for (filter, total, titles) in [
            (jakes_second_page, 5, vec!["jake 3", "jake 2"]),
            (tagged, 1, vec!["anna 0"]),
            (nobodys, 0, vec![]),
        ] {
            let page = svc.list(&filter).await;
            assert_eq!((page.total, titles_of(&page)), (total, titles), "{filter:?}");
        }
    }

    async fn every_filter_counts_its_matches_on_its_pages_and_past_its_end(svc: TestService) {
        let [jake, anna, bob] = svc.users(["jake", "anna", "bob"]).await;
        for i in 0..3 {
            svc.article(jake.id, &format!("Rust {i}"), &["rust"]).await;
        }
        svc.article(jake.id, "Go by jake", &["go"]).await;
        svc.article(anna.id, "Rust by anna", &["rust"]).await;
        svc.article(bob.id, "Rust by bob", &["rust"]).await;
        svc.set_favorite("rust-1", anna.id, true).await;
        svc.set_favorite("go-by-jake", anna.id, true).await;
        svc.set_favorite("rust-by-bob", jake.id, true).await;
        svc.set_follow("jake", anna.id, true).await;
        svc.set_follow("bob", anna.id, true).await;

        let filter = |edit: &dyn Fn(&mut ArticleFilter)| {
            let mut filter = ArticleFilter {
                limit: 2,
                ..ArticleFilter::default()
            };
            edit(&mut filter);
            filter
        };
        let cases: [(&str, ArticleFilter, u64); 11] = [
            ("none", filter(&|_| {}), 6),
            ("tag", filter(&|f| f.tag = Some("rust".into())), 5),
            ("author", filter(&|f| f.author = Some("jake".into())), 4),
            ("favorited", filter(&|f| f.favorited = Some("anna".into())), 2),
            // Two followed authors: their ids are bound in the count and in the page.
            ("feed", filter(&|f| f.followed_by = Some(anna.id)), 5),
            // Two filters: counted through an index rather than from a counter.
            (
                "tag and author",
                filter(&|f| {
                    f.tag = Some("rust".into());
                    f.author = Some("jake".into());
                }),
                3,
            ),
            (
                "tag and favorited",
                filter(&|f| {
                    f.tag = Some("rust".into());
                    f.favorited = Some("anna".into());
                }),
                1,
            ),
            (
                "favorited and author",
                filter(&|f| {
                    f.favorited = Some("anna".into());
                    f.author = Some("jake".into());
                }),
                2,
            ),
            (
                "feed and tag",
                filter(&|f| {
                    f.followed_by = Some(anna.id);
                    f.tag = Some("go".into());
                }),
                1,
            ),
            ("search", filter(&|f| f.q = Some("rust".into())), 5),
            ("unused tag", filter(&|f| f.tag = Some("zig".into())), 0),
        ];
        for (name, first_page, total) in cases {
            let page = svc.list(&first_page).await;
            assert_eq!(page.total, total, "{name}, first page");
            assert_eq!(page.articles.len() as u64, total.min(2), "{name}, first page");
            // Past the end no row carries the total: it is counted on its own.
            for offset in [total.saturating_sub(1), total, total + 7] {
                let page = svc
                    .list(&ArticleFilter {
                        offset,
                        ..first_page.clone()
                    })
                    .await;
                assert_eq!(page.total, total, "{name} at offset {offset}");
                assert_eq!(
                    page.articles.len() as u64,
                    total.saturating_sub(offset).min(2),
                    "{name} at offset {offset}"
                );
            }
        }
    }

    async fn tags_are_listed_most_used_first(svc: TestService) {
        let jake = svc.user("jake").await;
        // Most used first is not alphabetical here, and the two used twice are ordered by name.
        svc.article(jake.id, "One", &["apple", "zebra"]).await;
        svc.article(jake.id, "Two", &["zebra"]).await;
        svc.article(jake.id, "Three", &["zebra", "mango", "kiwi"]).await;
        svc.article(jake.id, "Four", &["mango", "kiwi"]).await;
        assert_eq!(
            svc.client.list_tags().await.expect("tags"),
            vec!["zebra", "kiwi", "mango", "apple"]
        );
        let tagged = ArticleFilter {
            tag: Some("mango".into()),
            ..ArticleFilter::default()
        };
        assert_eq!(svc.list(&tagged).await.total, 2);
    }

    async fn the_feed_holds_only_followed_authors_newest_first(svc: TestService) {
        let [jake, anna, bob] = svc.users(["jake", "anna", "bob"]).await;
        svc.article(anna.id, "Anna 1", &[]).await;
        svc.article(bob.id, "Bob 1", &[]).await;
        svc.article(anna.id, "Anna 2", &[]).await;

        let feed = ArticleFilter {
            followed_by: Some(jake.id),
            viewer: Some(jake.id),
            ..ArticleFilter::default()
        };
        assert_eq!(svc.list(&feed).await.total, 0, "an empty feed");

        svc.set_follow("anna", jake.id, true).await;
        let page = svc.list(&feed).await;
        assert_eq!(titles_of(&page), ["Anna 2", "Anna 1"]);
        assert_eq!(page.total, 2);
        assert!(page.articles.iter().all(|a| a.author.following));
    }

    /// A feed's pages near its start are read author by author, further on through `author_id IN (…)` (past 137
    /// rows on SQLite, 5,000 on MySQL with four authors): the same pages either way, for authors who wrote nothing,
    /// one article, a few and many, between the articles of one who is not followed.
    async fn the_feed_s_pages_are_the_same_read_author_by_author_or_whole(svc: TestService) {
        let names = ["reader", "none", "one", "few", "many", "other"];
        let users = svc.users(names).await;
        let reader = users[0].id;
        for name in ["none", "one", "few", "many"] {
            svc.set_follow(name, reader, true).await;
        }
        let written = [0, 0, 1, 3, 30, 40];
        let mut expected = Vec::new();
        for round in 0..40 {
            for (k, user) in users.iter().enumerate() {
                if round < written[k] {
                    let title = format!("{} {round}", names[k]);
                    svc.article(user.id, &title, &[]).await;
                    if names[k] != "other" {
                        expected.push(title);
                    }
                }
            }
        }
        expected.reverse();
        assert_eq!(expected.len(), 34);
        let pages = [
            (20, 0),
            (1, 0),
            (7, 5),
            (20, 19),
            (20, 30),
            (50, 10),
            (20, 33),
            (20, 34),
            (100, 130),
            (20, 200),
            (20, 9_990),
        ];
        assert_feed_pages(&svc, reader, &expected, &pages).await;
    }

    /// A feed of more authors than are read one by one (101: past SQLite's bound, and MySQL's 100 derived tables)
    /// is read whole from its first page; its pages past the end come from its counters alone.
    async fn a_feed_of_many_authors_is_read_whole_newest_first(svc: TestService) {
        let reader = svc.user("reader").await.id;
        let mut expected = Vec::new();
        for k in 0..101 {
            let name = format!("author{k}");
            let author = svc.user(&name).await.id;
            svc.set_follow(&name, reader, true).await;
            // Every seventh writes two, the others one or none.
            for n in 0..[1, 0, 1, 1, 0, 1, 2][k % 7] {
                let title = format!("{name} {n}");
                svc.article(author, &title, &[]).await;
                expected.push(title);
            }
        }
        svc.article(svc.user("stranger").await.id, "not followed", &[]).await;
        expected.reverse();
        let total = u64::try_from(expected.len()).expect("small");
        let pages = [(20, 0), (7, 30), (20, total - 5), (20, total), (20, 500)];
        assert_feed_pages(&svc, reader, &expected, &pages).await;
    }
}

/// Each of `pages` (limit, offset) of `reader`'s feed holds its slice of `expected` (every title of the feed,
/// newest first), and counts them all.
async fn assert_feed_pages(
    svc: &TestService,
    reader: UserId,
    expected: &[String],
    pages: &[(u32, u64)],
) {
    for &(limit, offset) in pages {
        let page = svc
            .list(&ArticleFilter {
                followed_by: Some(reader),
                viewer: Some(reader),
                limit,
                offset,
                ..ArticleFilter::default()
            })
            .await;
        let start = usize::try_from(offset).expect("small").min(expected.len());
        let end = (start + usize::try_from(limit).expect("small")).min(expected.len());
        assert_eq!(
            titles_of(&page),
            expected[start..end],
            "{limit} at {offset}"
        );
        assert_eq!(
            page.total,
            u64::try_from(expected.len()).expect("small"),
            "{limit} at {offset}"
        );
    }
}
