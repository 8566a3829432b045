//! db-service records → RealWorld response types.

use api_types::{Article, Comment, Profile, User};
use db_client::{ArticleRecord, AuthorView, CommentRecord, UserRecord};

pub fn user(record: UserRecord, token: String) -> User {
    User {
        email: record.email,
        token,
        username: record.username,
        bio: record.bio,
        image: record.image,
    }
}

pub fn profile(author: AuthorView) -> Profile {
    Profile {
        username: author.username,
        bio: author.bio,
        image: author.image,
        following: author.following,
    }
}

pub fn article(record: ArticleRecord) -> Article {
    Article {
        slug: record.slug,
        title: record.title,
        description: record.description,
        body: record.body.unwrap_or_default(),
        tag_list: record.tags,
        created_at: record.created_at,
        updated_at: record.updated_at,
        favorited: record.favorited,
        favorites_count: record.favorites_count,
        author: profile(record.author),
    }
}

pub fn comment(record: CommentRecord) -> Comment {
    Comment {
        id: record.id,
        created_at: record.created_at,
        updated_at: record.updated_at,
        body: record.body,
        author: profile(record.author),
    }
}

#[cfg(test)]
mod tests {
    use api_types::ArticleList;
    use db_client::ArticlePage;

    use super::*;

    fn record(n: u64, bio: Option<&str>) -> ArticleRecord {
        ArticleRecord {
            slug: format!("héllo-{n}"),
            title: format!("Héllo \"{n}\" 🦀"),
            description: "d".into(),
            body: None,
            tags: vec!["a".into(), "ü".into()],
            created_at: "2026-11-27T10:00:00.000Z".into(),
            updated_at: "2026-11-27T10:00:01.000Z".into(),
            favorited: n.is_multiple_of(2),
            favorites_count: n,
            author: AuthorView {
                username: "jo".into(),
                bio: bio.map(Into::into),
                image: None,
                following: true,
            },
        }
    }

    /// list_page relays db-service's page undecoded: its JSON must be exactly the public list response.
    #[test]
    fn an_article_page_on_the_wire_is_the_public_article_list() {
        let records = vec![record(1, None), record(2, Some("bio"))];
        let page = ArticlePage {
            articles: records.clone(),
            total: 41,
        };
        let wire = serde_json::to_value(&page).expect("page");
        // The public type reads it whole: nothing missing, renamed or left over.
        let list: ArticleList = serde_json::from_value(wire.clone()).expect("a public list");
        assert_eq!(serde_json::to_value(&list).expect("list"), wire);
        assert_eq!(list.articles_count, 41);
        // Each item is the public article, without its body.
        let items = wire["articles"].as_array().expect("items");
        assert_eq!(items.len(), records.len());
        for (item, record) in items.iter().zip(records) {
            let mut public = serde_json::to_value(article(record)).expect("article");
            public.as_object_mut().expect("an object").remove("body");
            assert_eq!(item, &public);
        }
    }
}
