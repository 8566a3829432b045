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

    /// A search is ranked once for everyone (db-service caches its ids); each reader still sees their own
    /// `favorited` and `following`, every page is a slice of the one order, and writes show at once.
    async fn one_ranking_serves_every_viewer_and_page_as_each_sees_it(svc: TestService) {
        let [jake, anna, bob] = svc.users(["jake", "anna", "bob"]).await;
        for n in 1..=5 {
            svc.publish(jake.id, &format!("Note {n}"), "a kestrel", &[]).await;
        }
        svc.publish(anna.id, "Kestrel year", "kestrel kestrel", &[]).await;
        svc.set_favorite("note-2", anna.id, true).await;
        svc.set_follow("jake", bob.id, true).await;
        let page = |viewer: Option<UserId>, limit: u32, offset: u64| ArticleFilter {
            q: Some("kestrel".into()),
            viewer,
            limit,
            offset,
            ..ArticleFilter::default()
        };

        let whole = svc.list(&page(None, 20, 0)).await;
        assert_eq!(whole.total, 6);
        let order = titles_of(&whole).into_iter().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(order[0], "Kestrel year", "the title match first");
        for (viewer, favorited, following) in [
            (Some(anna.id), vec!["note-2"], false),
            (Some(bob.id), vec![], true),
            (None, vec![], false),
        ] {
            let mut seen = Vec::new();
            for offset in (0..6).step_by(2) {
                let part = svc.list(&page(viewer, 2, offset)).await;
                assert_eq!(part.total, 6);
                for article in &part.articles {
                    assert_eq!(
                        article.favorited,
                        favorited.contains(&article.slug.as_str()),
                        "{viewer:?} {}",
                        article.slug
                    );
                    if article.author.username == "jake" {
                        assert_eq!(article.author.following, following, "{viewer:?}");
                    }
                }
                seen.extend(titles_of(&part).into_iter().map(str::to_owned));
            }
            assert_eq!(seen, order, "{viewer:?}'s pages are slices of one order");
        }
        let other = ArticleFilter {
            q: Some("year".into()),
            ..page(Some(anna.id), 20, 0)
        };
        assert_eq!(titles_of(&svc.list(&other).await), ["Kestrel year"], "each search its own");

        // Writes show at once, to their writer and to everyone else.
        svc.set_favorite("note-4", bob.id, true).await;
        let bobs = svc.list(&page(Some(bob.id), 20, 0)).await;
        let note_4 = bobs.articles.iter().find(|a| a.slug == "note-4").expect("note-4");
        assert!(note_4.favorited && note_4.favorites_count == 1);
        let annas = svc.list(&page(Some(anna.id), 20, 0)).await;
        let note_4 = annas.articles.iter().find(|a| a.slug == "note-4").expect("note-4");
        assert!(!note_4.favorited && note_4.favorites_count == 1);
        // A search within someone's favorites depends on them.
        let in_bobs_favorites = ArticleFilter {
            favorited: Some("bob".into()),
            ..page(None, 20, 0)
        };
        assert_eq!(titles_of(&svc.list(&in_bobs_favorites).await), ["Note 4"]);
        svc.set_favorite("note-5", bob.id, true).await;
        assert_eq!(titles_of(&svc.list(&in_bobs_favorites).await), ["Note 5", "Note 4"]);
        // An article's words edited move it in the ranking at once, for every spelling of the search.
        let edit = conduit_testkit::body_edit(jake.id, "kestrel, kestrel, kestrel: a kestrel");
        svc.client.update_article("note-3", &edit).await.expect("edit");
        let upper = ArticleFilter {
            q: Some("KESTREL".into()),
            ..page(Some(bob.id), 20, 0)
        };
        let edited = svc.list(&upper).await;
        let at = |title: &str| titles_of(&edited).iter().position(|t| *t == title).expect(title);
        assert!(at("Note 3") < at("Note 5"), "more mentions first: {:?}", titles_of(&edited));
        svc.publish(bob.id, "Kestrel again", "kestrel", &[]).await;
        assert_eq!(svc.list(&page(Some(anna.id), 20, 0)).await.total, 7);
        svc.client.delete_article("note-1", jake.id).await.expect("delete");
        let after = svc.list(&page(None, 20, 0)).await;
        assert_eq!(after.total, 6);
        assert!(after.articles.iter().all(|a| a.slug != "note-1"));
        let past_the_end = svc.list(&page(Some(anna.id), 20, 40)).await;
        assert_eq!((past_the_end.articles.len(), past_the_end.total), (0, 6));
    }

    /// A ranking is kept under the filter as resolved to users' ids: a name that passed to another user leads to
    /// that user's articles at once, and `favorited` and bodies are each their own request.
    async fn a_search_by_a_name_follows_the_name_to_its_new_owner(svc: TestService) {
        let [alice, anna] = svc.users(["alice", "anna"]).await;
        svc.publish(alice.id, "Kestrel days", "a kestrel", &[]).await;
        svc.set_favorite("kestrel-days", anna.id, true).await;
        let by = |author: Option<&str>, favorited: Option<&str>| ArticleFilter {
            q: Some("kestrel".into()),
            author: author.map(str::to_owned),
            favorited: favorited.map(str::to_owned),
            ..ArticleFilter::default()
        };
        assert_eq!(svc.list(&by(Some("alice"), None)).await.total, 1);
        assert_eq!(svc.list(&by(None, Some("anna"))).await.total, 1);
        assert_eq!(svc.list(&by(None, Some("alice"))).await.total, 0, "alice favorited nothing");

        let rename = |name: &str| db_client::UserChanges {
            username: Some(name.into()),
            ..Default::default()
        };
        svc.client.update_user(alice.id, &rename("alicia")).await.expect("rename");
        let newcomer = svc
            .client
            .create_user(&db_client::NewUser {
                username: "alice".into(),
                email: "the-new-alice@example.com".into(),
                password_hash: "$argon2id$x".into(),
            })
            .await
            .expect("the name taken again");
        assert_ne!(newcomer.id, alice.id);
        assert_eq!(svc.list(&by(Some("alice"), None)).await.total, 0, "the new alice wrote nothing");
        assert_eq!(svc.list(&by(Some("alicia"), None)).await.total, 1);

        let with_bodies = svc
            .list(&ArticleFilter {
                with_bodies: true,
                ..by(Some("alicia"), None)
            })
            .await;
        assert_eq!(with_bodies.articles[0].body.as_deref(), Some("a kestrel"));
        let without = svc.list(&by(Some("alicia"), None)).await;
        assert_eq!(without.articles[0].body, None);
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
