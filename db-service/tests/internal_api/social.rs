//! Follows and favorites.

use super::*;

on_every_backend! {
    async fn following_shows_in_profiles_and_oneself_cannot_be_followed(svc: TestService) {
        let [jake, anna] = svc.users(["jake", "anna"]).await;

        let followed = svc.set_follow("anna", jake.id, true).await;
        assert!(followed.following);
        let again = svc.set_follow("anna", jake.id, true).await;
        assert!(again.following, "following is idempotent");
        assert!(svc.profile("anna", Some(jake.id)).await.following);
        assert!(!svc.profile("anna", None).await.following);

        let unfollowed = svc.set_follow("anna", jake.id, false).await;
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
        let [jake, anna] = svc.users(["jake", "anna"]).await;
        svc.article(jake.id, "Liked", &[]).await;
        svc.article(jake.id, "Ignored", &[]).await;

        let liked = svc.set_favorite("liked", anna.id, true).await;
        assert!(liked.favorited);
        assert_eq!(liked.favorites_count, 1);
        let twice = svc.set_favorite("liked", anna.id, true).await;
        assert_eq!(twice.favorites_count, 1, "favoriting is idempotent");
        let by_jake = svc.set_favorite("liked", jake.id, true).await;
        assert_eq!(by_jake.favorites_count, 2);

        let filter = ArticleFilter {
            favorited: Some("anna".into()),
            viewer: Some(anna.id),
            ..ArticleFilter::default()
        };
        let page = svc.list(&filter).await;
        assert_eq!(page.total, 1);
        assert_eq!(
            (page.articles[0].slug.as_str(), page.articles[0].favorited),
            ("liked", true)
        );

        let unliked = svc.set_favorite("liked", anna.id, false).await;
        assert!(!unliked.favorited);
        assert_eq!(unliked.favorites_count, 1);
        let missing = svc.client.set_favorite("nope", anna.id, true).await;
        assert!(matches!(missing, Err(DbError::NotFound { entity: Entity::Article })));
    }
}
