//! Accounts: the internal token, unique names and e-mails, lookups, changes, malformed requests.

use reqwest::Method;

use super::*;

on_every_backend! {
    async fn calls_without_the_internal_token_are_refused_but_health_is_open(svc: TestService) {
        let (status, body) = send(svc.request(Method::GET, "/v1/users/1")).await;
        assert_eq!(status, 401);
        assert_eq!(body["kind"], "unauthorized");

        let wrong = svc
            .request(Method::GET, "/v1/users/1")
            .header("x-internal-token", "test-internal-token-0123456788");
        assert_eq!(send(wrong).await.0, 401);

        for path in ["/healthz", "/readyz"] {
            assert_eq!(send(svc.request(Method::GET, path)).await.0, 200, "{path}");
        }
    }

    async fn a_taken_username_or_email_is_a_typed_conflict_naming_the_field(svc: TestService) {
        svc.user("jake").await;
        for (username, email, field) in [
            ("JAKE", "other@example.com", "username"),
            ("other", "Jake@Example.com", "email"),
        ] {
            let taken = svc
                .client
                .create_user(&NewUser {
                    username: username.into(),
                    email: email.into(),
                    password_hash: "h".into(),
                })
                .await;
            assert!(
                matches!(taken, Err(DbError::Conflict { field: ref named }) if named == field),
                "{taken:?}"
            );
        }
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
        let [jake, _anna] = svc.users(["jake", "anna"]).await;
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
            .request(Method::POST, "/v1/users")
            .header("x-internal-token", TOKEN)
            .header("content-type", "application/json")
            .body("{not json");
        let (status, body) = send(malformed).await;
        assert_eq!(status, 400);
        assert_eq!(body["kind"], "bad_request");

        // Its own client: the server closes the connection after refusing an unread body.
        let oversized = reqwest::Client::new()
            .post(format!("{}/v1/users", svc.base_url))
            .header("x-internal-token", TOKEN)
            .header("content-type", "application/json")
            .body(vec![b' '; 3 * 1024 * 1024]);
        assert_eq!(send(oversized).await.0, 413);

        let (status, body) = send(svc.request(Method::GET, "/nope")).await;
        assert_eq!(status, 404);
        assert_eq!(body["kind"], "not_found");

        let bad_id = svc
            .request(Method::GET, "/v1/users/abc")
            .header("x-internal-token", TOKEN);
        assert_eq!(send(bad_id).await.0, 400);

        svc.user("still-serving").await;
    }
}
