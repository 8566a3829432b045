//! Follows and favorites.

use super::*;

on_every_backend! {
    async fn following_shows_in_profiles_and_oneself_cannot_be_followed(svc: TestService) {
        let jake = svc.user("jake").await;
        let anna = svc.user("anna").await;

        let followed = svc.client.set_follow("anna", jake.id, true).await.expect("follow");
        assert!(followed.following);
        let again = svc
            .client
            .set_follow("anna", jake.id, true)
            .await
            .expect("follow twice");
        assert!(again.following, "following is idempotent");
        let seen = svc
            .client
            .find_profile(
                "anna",
                ViewerQuery {
                    viewer: Some(jake.id),
                },
            )
            .await
            .expect("profile");
        assert!(seen.following);
        let anonymous = svc
            .client
            .find_profile("anna", ViewerQuery::default())
            .await
            .expect("profile");
        assert!(!anonymous.following);

        let unfollowed = svc
            .client
            .set_follow("anna", jake.id, false)
            .await
            .expect("unfollow");
        assert!(!unfollowed.following);

        let own = svc.client.set_follow("jake", jake.id, true).await;
        assert!(matches!(own, Err(DbError::Forbidden { .. })), "{own:?}");
        let nobody = svc.client.set_follow("nobody", anna.id, true).await;
        assert!(
            matches!(nobody, Err(DbError::NotFound { entity: Entity::Profile })),
            "{nobody:?}"
        );
    }

    async fn favorites_count_per_article_and_filter_lists(svc: TestService) {
        let jake = svc.user("jake").await;
        let anna = svc.user("anna").await;
        svc.article(jake.id, "Liked", &[]).await;
        svc.article(jake.id, "Ignored", &[]).await;

        let liked = svc
            .client
            .set_favorite("liked", anna.id, true)
            .await
            .expect("favorite");
        assert!(liked.favorited);
        assert_eq!(liked.favorites_count, 1);
        let twice = svc
            .client
            .set_favorite("liked", anna.id, true)
            .await
            .expect("favorite again");
        assert_eq!(twice.favorites_count, 1, "favoriting is idempotent");
        let by_jake = svc
            .client
            .set_favorite("liked", jake.id, true)
            .await
            .expect("favorite");
        assert_eq!(by_jake.favorites_count, 2);

        let filter = ArticleFilter {
            favorited: Some("anna".into()),
            viewer: Some(anna.id),
            ..ArticleFilter::default()
        };
        let page = svc
            .client
            .list_articles(&filter)
            .await
            .expect("favorited list");
        assert_eq!(page.total, 1);
        assert_eq!(
            (page.articles[0].slug.as_str(), page.articles[0].favorited),
            ("liked", true)
        );

        let unliked = svc
            .client
            .set_favorite("liked", anna.id, false)
            .await
            .expect("unfavorite");
        assert!(!unliked.favorited);
        assert_eq!(unliked.favorites_count, 1);
        let missing = svc.client.set_favorite("nope", anna.id, true).await;
        assert!(matches!(missing, Err(DbError::NotFound { entity: Entity::Article })));
    }
}
