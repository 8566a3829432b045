//! db-service records → RealWorld response types.

use api_types::{Article, ArticlePreview, Comment, Profile, User};
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

pub fn preview(record: ArticleRecord) -> ArticlePreview {
    ArticlePreview {
        slug: record.slug,
        title: record.title,
        description: record.description,
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
