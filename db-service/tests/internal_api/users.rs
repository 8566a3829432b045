//! Accounts: the internal token, unique names and e-mails, lookups, changes, malformed requests.

use super::*;

on_every_backend! {
    async fn calls_without_the_internal_token_are_refused_but_health_is_open(svc: TestService) {
        let no_token = svc
            .http
            .get(format!("{}/v1/users/1", svc.base_url))
            .send()
            .await
            .expect("send");
        assert_eq!(no_token.status(), 401);
        let body: serde_json::Value = no_token.json().await.expect("json body");
        assert_eq!(body["kind"], "unauthorized");

        let wrong = svc
            .http
            .get(format!("{}/v1/users/1", svc.base_url))
            .header("x-internal-token", "test-internal-token-0123456788")
            .send()
            .await
            .expect("send");
        assert_eq!(wrong.status(), 401);

        for path in ["/healthz", "/readyz"] {
            let open = svc
                .http
                .get(format!("{}{path}", svc.base_url))
                .send()
                .await
                .expect("send");
            assert_eq!(open.status(), 200, "{path}");
        }
    }

    async fn a_taken_username_or_email_is_a_typed_conflict_naming_the_field(svc: TestService) {
        svc.user("jake").await;
        let same_name = svc
            .client
            .create_user(&NewUser {
                username: "JAKE".into(),
                email: "other@example.com".into(),
                password_hash: "h".into(),
            })
            .await;
        assert!(
            matches!(same_name, Err(DbError::Conflict { ref field }) if field == "username"),
            "{same_name:?}"
        );
        let same_email = svc
            .client
            .create_user(&NewUser {
                username: "other".into(),
                email: "Jake@Example.com".into(),
                password_hash: "h".into(),
            })
            .await;
        assert!(
            matches!(same_email, Err(DbError::Conflict { ref field }) if field == "email"),
            "{same_email:?}"
        );
    }

    async fn users_are_found_by_id_and_by_email_case_insensitively(svc: TestService) {
        let jake = svc.user("jake").await;
        assert_eq!(
            svc.client.find_user_by_id(jake.id).await.expect("by id"),
            jake
        );
        assert_eq!(
            svc.client
                .find_user_by_email("JAKE@example.com")
                .await
                .expect("by email"),
            jake
        );
        let missing = svc.client.find_user_by_id(UserId(9999)).await;
        assert!(matches!(missing, Err(DbError::NotFound { entity: Entity::User })));
    }

    async fn users_change_only_what_is_given_and_keep_their_own_email(svc: TestService) {
        let jake = svc.user("jake").await;
        svc.user("anna").await;
        let changes = db_client::UserChanges {
            email: Some(jake.email.clone()),
            bio: Some("I like to skateboard".into()),
            ..Default::default()
        };
        let updated = svc
            .client
            .update_user(jake.id, &changes)
            .await
            .expect("update");
        assert_eq!(
            updated.email, jake.email,
            "own e-mail is no conflict (NOTES.md #14)"
        );
        assert_eq!(updated.bio.as_deref(), Some("I like to skateboard"));
        assert_eq!(updated.username, "jake");

        let cleared = db_client::UserChanges {
            bio: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(
            svc.client
                .update_user(jake.id, &cleared)
                .await
                .expect("clear")
                .bio,
            None
        );

        let taken = db_client::UserChanges {
            username: Some("anna".into()),
            ..Default::default()
        };
        let result = svc.client.update_user(jake.id, &taken).await;
        assert!(
            matches!(result, Err(DbError::Conflict { ref field }) if field == "username"),
            "{result:?}"
        );
    }

    async fn bad_requests_get_json_errors_and_the_service_keeps_serving(svc: TestService) {
        let malformed = svc
            .http
            .post(format!("{}/v1/users", svc.base_url))
            .header("x-internal-token", TOKEN)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("send");
        assert_eq!(malformed.status(), 400);
        let body: serde_json::Value = malformed.json().await.expect("json");
        assert_eq!(body["kind"], "bad_request");

        // Its own client: the server closes the connection after refusing an unread body.
        let oversized = reqwest::Client::new()
            .post(format!("{}/v1/users", svc.base_url))
            .header("x-internal-token", TOKEN)
            .header("content-type", "application/json")
            .body(vec![b' '; 3 * 1024 * 1024])
            .send()
            .await
            .expect("send");
        assert_eq!(oversized.status(), 413);

        let unknown = svc
            .http
            .get(format!("{}/nope", svc.base_url))
            .send()
            .await
            .expect("send");
        assert_eq!(unknown.status(), 404);
        let body: serde_json::Value = unknown.json().await.expect("json");
        assert_eq!(body["kind"], "not_found");

        let bad_id = svc
            .http
            .get(format!("{}/v1/users/abc", svc.base_url))
            .header("x-internal-token", TOKEN)
            .send()
            .await
            .expect("send");
        assert_eq!(bad_id.status(), 400);

        svc.user("still-serving").await;
    }
}
