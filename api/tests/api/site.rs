//! What the site offers besides the JSON API, through nginx as a browser, a feed reader or a crawler sees it:
//! Atom feeds with revalidation, link previews in the shell of article and profile pages, sitemaps, robots.txt.

use serde_json::json;

use crate::helpers::{spawn_behind_nginx, TestApp};

/// `GET path` as text: status, a header's value, body.
async fn fetch(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    header: &str,
) -> (u16, String, String) {
    let mut request = app.http.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let value = response
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, value, response.text().await.expect("body"))
}

const HOSTILE: &str = "\"><script>alert('title')</script>";

#[tokio::test]
async fn atom_feeds_validate_narrow_and_revalidate_with_304() {
    let app = spawn_behind_nginx(&[("PUBLIC_URL", "https://conduit.example/")]).await;
    let jake = app.register("jake").await;
    let anna = app.register("anna").await;
    app.post(
        "/api/articles",
        Some(&jake),
        json!({"article": {"title": HOSTILE, "description": "about <b>x</b>", "tagList": ["rust"],
               "body": "# Hello\n\n<script>alert(1)</script>\n\nA [bad link](javascript:alert(2)) and [a good one](https://example.com)."}}),
    )
    .await;
    app.create_article(&anna, "Anna writes", &["go"]).await;

    let (status, content_type, xml) = fetch(&app, "/feed.atom", &[], "content-type").await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/atom+xml"),
        "{content_type}"
    );
    let feed = feed_rs::parser::parse(xml.as_bytes()).expect("a valid Atom feed");
    assert_eq!(feed.entries.len(), 2);
    let mine = &feed.entries[1];
    assert_eq!(
        mine.title.as_ref().map(|t| t.content.as_str()),
        Some(HOSTILE)
    );
    assert_eq!(mine.authors[0].name, "jake");
    assert!(mine.links[0]
        .href
        .starts_with("https://conduit.example/article/"));
    let html = mine
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .expect("content");
    assert!(html.contains("<h1>Hello</h1>"), "{html}");
    assert!(!html.contains("<script"), "raw HTML stays text: {html}");
    assert!(
        !html.contains("href=\"javascript:") && html.contains("bad link"),
        "unsafe links are dropped, their text kept: {html}"
    );
    assert!(html.contains("href=\"https://example.com\""), "{html}");

    let (_, by_tag, _) = fetch(&app, "/feed.atom?tag=go", &[], "etag").await;
    let narrowed = feed_rs::parser::parse(
        fetch(&app, "/feed.atom?author=jake", &[], "etag")
            .await
            .2
            .as_bytes(),
    )
    .expect("feed");
    assert_eq!(narrowed.entries.len(), 1);
    assert!(!by_tag.is_empty());

    // Revalidation: by ETag, then by date; a change makes it 200 again.
    let (_, etag, _) = fetch(&app, "/feed.atom", &[], "etag").await;
    let (_, modified, _) = fetch(&app, "/feed.atom", &[], "last-modified").await;
    assert_eq!(
        fetch(&app, "/feed.atom", &[("if-none-match", &etag)], "etag")
            .await
            .0,
        304
    );
    assert_eq!(
        fetch(
            &app,
            "/feed.atom",
            &[("if-modified-since", &modified)],
            "etag"
        )
        .await
        .0,
        304
    );
    app.create_article(&anna, "Something new", &[]).await;
    let (status, fresh_etag, _) =
        fetch(&app, "/feed.atom", &[("if-none-match", &etag)], "etag").await;
    assert_eq!(status, 200);
    assert_ne!(fresh_etag, etag);
}

#[tokio::test]
async fn article_and_profile_pages_carry_their_own_escaped_preview_and_unknown_ones_are_404() {
    let app = spawn_behind_nginx(&[("PUBLIC_URL", "https://conduit.example")]).await;
    let jake = app.register("jake").await;
    let (_, created) = app
        .post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": HOSTILE, "description": "A \"quoted\" <i>summary</i> — déjà vu", "body": "b"}}),
        )
        .await;
    let slug = created["article"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();

    let (status, _, page) = fetch(&app, &format!("/article/{slug}"), &[], "etag").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<title>&quot;&gt;&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; — Conduit</title>")
            || page.contains("<title>&quot;&gt;&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; &#x2014; Conduit</title>"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(
        page.contains(
            "property=\"og:description\" content=\"A &quot;quoted&quot; &lt;i&gt;summary&lt;/i&gt;"
        ),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<link rel=\"canonical\" href=\"https://conduit.example/article/{slug}\">"
        )),
        "{page}"
    );
    assert!(page.contains("name=\"twitter:card\""), "{page}");
    assert!(
        !page.contains("a place to share your knowledge"),
        "the generic description is replaced: {page}"
    );

    let (status, _, profile) = fetch(&app, "/profile/jake/favorites", &[], "etag").await;
    assert_eq!(status, 200);
    assert!(
        profile.contains("<title>jake &#x2014; Conduit</title>")
            || profile.contains("<title>jake — Conduit</title>"),
        "{profile}"
    );
    assert!(
        profile.contains("og:type\" content=\"profile\""),
        "{profile}"
    );

    for unknown in ["/article/no-such-article", "/profile/nobody"] {
        let (status, _, shell) = fetch(&app, unknown, &[], "etag").await;
        assert_eq!(status, 404, "{unknown}");
        assert!(
            shell.contains("<title>Conduit</title>"),
            "the shell still loads: {shell}"
        );
    }
}

#[tokio::test]
async fn sitemaps_list_every_article_and_profile_and_robots_points_to_them() {
    let app = spawn_behind_nginx(&[("PUBLIC_URL", "https://conduit.example")]).await;
    let jake = app.register("jake").await;
    app.register("zoë").await;
    app.create_article(&jake, "Mapped", &[]).await;
    let (status, content_type, index) = fetch(&app, "/sitemap.xml", &[], "content-type").await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/xml"),
        "{content_type}"
    );
    assert!(
        index.contains("<loc>https://conduit.example/sitemaps/articles/1</loc>"),
        "{index}"
    );
    assert!(
        index.contains("<loc>https://conduit.example/sitemaps/profiles/1</loc>"),
        "{index}"
    );
    let (_, _, articles) = fetch(&app, "/sitemaps/articles/1", &[], "etag").await;
    assert!(
        articles.contains("<loc>https://conduit.example/article/mapped</loc>"),
        "{articles}"
    );
    let (_, _, profiles) = fetch(&app, "/sitemaps/profiles/1", &[], "etag").await;
    assert!(
        profiles.contains("<loc>https://conduit.example/profile/zo%C3%AB</loc>"),
        "{profiles}"
    );
    assert_eq!(
        fetch(&app, "/sitemaps/articles/2", &[], "etag").await.0,
        404
    );
    let (_, _, robots) = fetch(&app, "/robots.txt", &[], "etag").await;
    assert!(
        robots.contains("Sitemap: https://conduit.example/sitemap.xml"),
        "{robots}"
    );
}
