//! Full-text search: every word required, ranked by relevance then newest, tags searched too, combinable with
//! the other filters, kept exact by every write.

use super::*;

/// The titles of `q`'s results (with other filters from `filter`), and the count.
async fn search(svc: &TestService, q: &str, filter: ArticleFilter) -> (Vec<String>, u64) {
    let page = svc
        .list(&ArticleFilter {
            q: Some(q.into()),
            ..filter
        })
        .await;
    (
        page.articles.into_iter().map(|a| a.title).collect(),
        page.total,
    )
}

on_every_backend! {
    async fn searches_rank_by_relevance_need_every_word_and_cover_tags(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        svc.publish(jake.id, "Kestrel watching", "The kestrel hovers. A kestrel dives. Kestrel chicks, kestrel eggs.", &[]).await;
        svc.publish(anna.id, "Birds of prey", "Owls, hawks and one kestrel.", &["ornithology"]).await;
        svc.publish(jake.id, "Rust in production", "Ownership and borrowing.", &["rust"]).await;
        svc.publish(anna.id, "Gardening", "Tomatoes need sun.", &[]).await;
        svc.publish(jake.id, "Cooking", "Slow onions.", &["food"]).await;

        let all = ArticleFilter::default();
        assert_eq!(
            search(&svc, "kestrel", all.clone()).await,
            (vec!["Kestrel watching".to_owned(), "Birds of prey".to_owned()], 2),
            "more mentions rank first"
        );
        assert_eq!(
            search(&svc, "KESTREL watching", all.clone()).await,
            (vec!["Kestrel watching".to_owned()], 1),
            "every word is required, in any case"
        );
        assert_eq!(
            search(&svc, "ornithology", all.clone()).await,
            (vec!["Birds of prey".to_owned()], 1),
            "tags are searched"
        );
        assert_eq!(search(&svc, "nowhere", all.clone()).await, (vec![], 0));
        let by_anna = ArticleFilter {
            author: Some("anna".into()),
            ..all.clone()
        };
        assert_eq!(
            search(&svc, "kestrel", by_anna).await,
            (vec!["Birds of prey".to_owned()], 1)
        );
        let tagged = ArticleFilter {
            tag: Some("ornithology".into()),
            ..all.clone()
        };
        assert_eq!(search(&svc, "kestrel", tagged).await.1, 1);
        let second = ArticleFilter {
            limit: 1,
            offset: 1,
            ..all
        };
        assert_eq!(
            search(&svc, "kestrel", second).await,
            (vec!["Birds of prey".to_owned()], 2),
            "pages of a search, and its full count"
        );
    }

    async fn every_write_keeps_the_search_exact(svc: TestService) {
        let jake = svc.user("jake").await;
        svc.publish(jake.id, "Kestrel notes", "Seen a kestrel today.", &["birds"]).await;
        svc.publish(jake.id, "Other notes", "Nothing much.", &[]).await;
        for filler in ["One", "Two", "Three"] {
            svc.publish(jake.id, filler, "Filler text.", &[]).await;
        }
        let all = ArticleFilter::default;
        let changes = |title: Option<&str>, body: Option<&str>, tags: Option<&[&str]>| {
            db_client::ArticleChanges {
                editor: jake.id,
                title: title.map(str::to_owned),
                slug: title.map(|t| t.to_lowercase().replace(' ', "-")),
                description: None,
                body: body.map(str::to_owned),
                tags: tags.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
            }
        };
        svc.client
            .update_article("kestrel-notes", &changes(None, Some("Only a falcon today."), None))
            .await
            .expect("edit body");
        assert_eq!(search(&svc, "kestrel", all()).await.1, 1, "the title still says kestrel");
        assert_eq!(search(&svc, "falcon", all()).await.1, 1);
        svc.client
            .update_article("kestrel-notes", &changes(Some("Falcon notes"), None, Some(&["raptors"])))
            .await
            .expect("edit title and tags");
        assert_eq!(search(&svc, "kestrel", all()).await.1, 0);
        assert_eq!(search(&svc, "birds", all()).await.1, 0, "old tags are gone from the index");
        assert_eq!(
            search(&svc, "raptors falcon", all()).await.0,
            vec!["Falcon notes".to_owned()]
        );
        svc.client
            .delete_article("falcon-notes", jake.id)
            .await
            .expect("delete");
        assert_eq!(search(&svc, "falcon", all()).await.1, 0);
    }
}
