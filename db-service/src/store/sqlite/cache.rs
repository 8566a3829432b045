//! Cache of reads — article lists and feeds (as the JSON they are sent as), single articles, the tag list —
//! invalidated by a generation counter that every committed write which could change them bumps before it is
//! acknowledged. Exact, because db-service is the only writer of its databases. Pages are kept per viewer (their
//! `favorited`/`following` differ), so signed-in readers are served as fast as anonymous ones; each map is bounded.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use bytes::Bytes;
use db_client::{ArticleRecord, UserId};

/// Entries per map before it is emptied; bounds memory to a few MB of pages.
const MAX_ENTRIES: usize = 512;

/// What identifies a list page: its filters, page, and who looks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListKey {
    pub viewer: Option<UserId>,
    pub followed_by: Option<UserId>,
    pub with_bodies: bool,
    pub q: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub favorited: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Default)]
pub struct ReadCache {
    generation: AtomicU64,
    lists: Generational<ListKey, Bytes>,
    articles: Generational<(String, Option<UserId>), ArticleRecord>,
    tags: Generational<(), Vec<String>>,
}

impl ReadCache {
    /// The generation to tag a value with: read it before querying, so a write that commits meanwhile makes the
    /// value stale at once.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Marks everything cached so far as stale. Call after a write commits and before acknowledging it.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A list page's JSON.
    pub fn list(&self, key: &ListKey) -> Option<Bytes> {
        self.lists
            .get(key, self.generation())
            .map(|page| Bytes::clone(&page))
    }

    pub fn put_list(&self, key: ListKey, generation: u64, page: Bytes) {
        self.lists.put(key, generation, Arc::new(page));
    }

    pub fn article(&self, slug: &str, viewer: Option<UserId>) -> Option<Arc<ArticleRecord>> {
        self.articles
            .get(&(slug.to_owned(), viewer), self.generation())
    }

    pub fn put_article(
        &self,
        viewer: Option<UserId>,
        generation: u64,
        article: Arc<ArticleRecord>,
    ) {
        self.articles
            .put((article.slug.clone(), viewer), generation, article);
    }

    pub fn tags(&self) -> Option<Arc<Vec<String>>> {
        self.tags.get(&(), self.generation())
    }

    pub fn put_tags(&self, generation: u64, tags: Arc<Vec<String>>) {
        self.tags.put((), generation, tags);
    }
}

/// A map whose entries are valid only for the generation they were computed in.
#[derive(Debug)]
struct Generational<K, V>(Mutex<HashMap<K, (u64, Arc<V>)>>);

impl<K, V> Default for Generational<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V> Generational<K, V> {
    fn get<Q>(&self, key: &Q, generation: u64) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(stored, _)| *stored == generation)
            .map(|(_, value)| Arc::clone(value))
    }

    fn put(&self, key: K, generation: u64, value: Arc<V>) {
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (stored, _)| *stored == generation);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(key, (generation, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: u64) -> Bytes {
        Bytes::from(format!("{{\"articles\":[],\"articlesCount\":{total}}}"))
    }

    fn key() -> ListKey {
        ListKey {
            viewer: None,
            followed_by: None,
            with_bodies: false,
            q: None,
            tag: None,
            author: None,
            favorited: None,
            limit: 20,
            offset: 0,
        }
    }

    #[test]
    fn a_value_is_served_until_the_next_write() {
        let cache = ReadCache::default();
        let generation = cache.generation();
        cache.put_list(key(), generation, page(1));
        assert_eq!(cache.list(&key()), Some(page(1)));
        cache.invalidate();
        assert!(cache.list(&key()).is_none());
    }

    #[test]
    fn a_value_computed_across_a_write_is_never_served() {
        let cache = ReadCache::default();
        let before_query = cache.generation();
        cache.invalidate(); // a write commits while the read runs
        cache.put_list(key(), before_query, page(1));
        assert!(cache.list(&key()).is_none());
    }

    #[test]
    fn the_map_stays_bounded() {
        let cache = ReadCache::default();
        let generation = cache.generation();
        for offset in 0..(MAX_ENTRIES as u64 * 2) {
            cache.put_list(ListKey { offset, ..key() }, generation, page(offset));
        }
        assert!(cache.lists.0.lock().map(|m| m.len()).unwrap_or(usize::MAX) <= MAX_ENTRIES);
    }
}
