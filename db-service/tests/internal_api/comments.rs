//! Comments: order, paging, ownership.

use super::*;

on_every_backend! {
    async fn comments_list_oldest_first_and_only_their_author_deletes_them(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        svc.article(jake.id, "Talked about", &[]).await;
        let first = svc.comment("talked-about", anna.id, "first").await;
        svc.comment("talked-about", jake.id, "second").await;
        assert_eq!(first.author.username, "anna");

        let page = svc.comments("talked-about").await.expect("comments");
        let bodies: Vec<_> = page.comments.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, ["first", "second"]);
        assert_eq!(page.total, 2);
        // The new comment is answered as it is stored and listed.
        let listed = &page.comments[0];
        assert_eq!(
            (listed.id, &listed.created_at, &listed.updated_at, &listed.body),
            (first.id, &first.created_at, &first.updated_at, &first.body)
        );
        assert_eq!(first.created_at.len(), "2026-01-01T00:00:00.000Z".len(), "{}", first.created_at);
        let on_no_article = svc
            .client
            .create_comment("nope", &NewComment { author: anna.id, body: "lost".into() })
            .await;
        assert!(
            matches!(on_no_article, Err(DbError::NotFound { entity: Entity::Article })),
            "{on_no_article:?}"
        );

        let refused = svc
            .client
            .delete_comment("talked-about", first.id, jake.id)
            .await;
        assert!(
            matches!(refused, Err(DbError::Forbidden { entity: Entity::Comment })),
            "{refused:?}"
        );
        svc.client
            .delete_comment("talked-about", first.id, anna.id)
            .await
            .expect("delete");
        let left = svc.comments("talked-about").await.expect("comments");
        assert_eq!((left.comments.len(), left.total), (1, 1));
        let wrong_article = svc.comments("nope").await;
        assert!(matches!(wrong_article, Err(DbError::NotFound { .. })));
        // The commenter must exist (users.db has no foreign key into blog.db): nothing is stored otherwise.
        let stranger = NewComment {
            author: UserId(9_999),
            body: "from nobody".into(),
        };
        let refused = svc.client.create_comment("talked-about", &stranger).await;
        assert!(
            matches!(refused, Err(DbError::NotFound { entity: Entity::User })),
            "{refused:?}"
        );
        assert_eq!(svc.comments("talked-about").await.expect("comments").total, 1);
    }

    async fn comments_come_a_bounded_page_at_a_time_with_their_count(svc: TestService) {
        let jake = svc.user("jake").await;
        svc.article(jake.id, "Busy thread", &[]).await;
        for i in 0..7 {
            svc.comment("busy-thread", jake.id, &format!("c{i}")).await;
        }
        let page = |limit, offset| CommentsQuery {
            viewer: None,
            limit,
            offset,
        };
        let second = svc
            .client
            .list_comments("busy-thread", page(3, 3))
            .await
            .expect("page");
        let bodies: Vec<_> = second.comments.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, ["c3", "c4", "c5"]);
        assert_eq!(second.total, 7);
        let capped = svc
            .client
            .list_comments("busy-thread", page(10_000, 0))
            .await
            .expect("page");
        assert_eq!(capped.comments.len(), 7);
        let past_the_end = svc
            .client
            .list_comments("busy-thread", page(20, 1_000_000))
            .await
            .expect("page");
        assert!(past_the_end.comments.is_empty());
        assert_eq!(past_the_end.total, 7);
    }
}
