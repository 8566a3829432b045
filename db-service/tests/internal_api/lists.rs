//! Article lists, the feed and the tag ranking.

use super::*;

on_every_backend! {
    async fn lists_are_newest_first_filtered_paginated_bodiless_and_counted_in_full(svc: TestService) {
        let jake = svc.user("jake").await;
        let anna = svc.user("anna").await;
        for i in 0..5 {
            svc.article(jake.id, &format!("jake {i}"), &["rust"]).await;
        }
        svc.article(anna.id, "anna 0", &["go"]).await;

        let all = svc
            .client
            .list_articles(&ArticleFilter::default())
            .await
            .expect("list");
        assert_eq!(all.total, 6);
        assert_eq!(all.articles[0].title, "anna 0");
        assert!(all.articles.iter().all(|a| a.body.is_none()));

        let page = ArticleFilter {
            author: Some("jake".into()),
            limit: 2,
            offset: 1,
            ..ArticleFilter::default()
        };
        let page = svc.client.list_articles(&page).await.expect("page");
        assert_eq!(page.total, 5, "total counts every match, not the page");
        let titles: Vec<_> = page.articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["jake 3", "jake 2"]);

        let by_tag = ArticleFilter {
            tag: Some("go".into()),
            ..ArticleFilter::default()
        };
        let by_tag = svc.client.list_articles(&by_tag).await.expect("by tag");
        assert_eq!(
            (by_tag.total, by_tag.articles[0].title.as_str()),
            (1, "anna 0")
        );

        let nobody = ArticleFilter {
            author: Some("nobody".into()),
            ..ArticleFilter::default()
        };
        assert_eq!(
            svc.client
                .list_articles(&nobody)
                .await
                .expect("empty")
                .total,
            0
        );
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
        assert_eq!(
            svc.client.list_articles(&tagged).await.expect("list").total,
            2
        );
    }

    async fn the_feed_holds_only_followed_authors_newest_first(svc: TestService) {
        let jake = svc.user("jake").await;
        let anna = svc.user("anna").await;
        let bob = svc.user("bob").await;
        svc.article(anna.id, "Anna 1", &[]).await;
        svc.article(bob.id, "Bob 1", &[]).await;
        svc.article(anna.id, "Anna 2", &[]).await;

        let feed = ArticleFilter {
            followed_by: Some(jake.id),
            viewer: Some(jake.id),
            ..ArticleFilter::default()
        };
        assert_eq!(
            svc.client
                .list_articles(&feed)
                .await
                .expect("empty feed")
                .total,
            0
        );

        svc.client.set_follow("anna", jake.id, true).await.expect("follow");
        let page = svc.client.list_articles(&feed).await.expect("feed");
        let titles: Vec<_> = page.articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["Anna 2", "Anna 1"]);
        assert_eq!(page.total, 2);
        assert!(page.articles.iter().all(|a| a.author.following));
    }
}
