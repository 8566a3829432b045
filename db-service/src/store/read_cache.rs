//! Cache of reads — article lists and feeds (as the JSON they are sent as), single articles, the tag list — kept
//! per viewer (their `favorited`/`following` differ) and served only while the data has not changed since: every
//! value is stored with the data's version when it was read, and answered only at that same version. The version
//! is the store's (SqlStore::version): on SQLite a counter here that every write bumps before it is acknowledged
//! (db-service is the files' only writer); on MySQL a counter the database keeps, bumped by triggers in the same
//! transaction as every write, so several replicas stay exact. Each map is bounded.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use bytes::Bytes;
use db_client::{ArticleFilter, ArticleRecord, UserId};

/// Entries per map before it is emptied; bounds memory to a few MB of pages.
const MAX_ENTRIES: usize = 512;

#[derive(Debug, Default)]
pub struct ReadCache {
    /// The version of data only this process writes (SQLite).
    local_version: AtomicU64,
    lists: Generational<ArticleFilter, Bytes>,
    articles: Generational<(String, Option<UserId>), ArticleRecord>,
    tags: Generational<(), Vec<String>>,
}

impl ReadCache {
    /// The version of data only this process writes.
    pub fn local_version(&self) -> u64 {
        self.local_version.load(Ordering::Acquire)
    }

    /// Marks everything cached at the local version as stale. Call after a write commits and before it is
    /// acknowledged.
    pub fn invalidate(&self) {
        self.local_version.fetch_add(1, Ordering::AcqRel);
    }

    /// A list page's JSON, if read at `version`.
    pub fn list(&self, key: &ArticleFilter, version: u64) -> Option<Bytes> {
        self.lists.get(key, version).map(|page| Bytes::clone(&page))
    }

    pub fn put_list(&self, key: ArticleFilter, version: u64, page: Bytes) {
        self.lists.put(key, version, Arc::new(page));
    }

    pub fn article(
        &self,
        slug: &str,
        viewer: Option<UserId>,
        version: u64,
    ) -> Option<Arc<ArticleRecord>> {
        self.articles.get(&(slug.to_owned(), viewer), version)
    }

    pub fn put_article(&self, viewer: Option<UserId>, version: u64, article: Arc<ArticleRecord>) {
        self.articles
            .put((article.slug.clone(), viewer), version, article);
    }

    pub fn tags(&self, version: u64) -> Option<Arc<Vec<String>>> {
        self.tags.get(&(), version)
    }

    pub fn put_tags(&self, version: u64, tags: Arc<Vec<String>>) {
        self.tags.put((), version, tags);
    }
}

/// A map whose entries are valid only at the version they were read at.
#[derive(Debug)]
struct Generational<K, V>(Mutex<HashMap<K, (u64, Arc<V>)>>);

impl<K, V> Default for Generational<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V> Generational<K, V> {
    fn get<Q>(&self, key: &Q, version: u64) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(stored, _)| *stored == version)
            .map(|(_, value)| Arc::clone(value))
    }

    fn put(&self, key: K, version: u64, value: Arc<V>) {
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (stored, _)| *stored == version);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(key, (version, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: u64) -> Bytes {
        Bytes::from(format!("{{\"articles\":[],\"articlesCount\":{total}}}"))
    }

    fn key() -> ArticleFilter {
        ArticleFilter::default()
    }

    #[test]
    fn a_value_is_served_only_at_the_version_it_was_read_at() {
        let cache = ReadCache::default();
        let version = cache.local_version();
        cache.put_list(key(), version, page(1));
        assert_eq!(cache.list(&key(), version), Some(page(1)));
        cache.invalidate();
        assert!(cache.list(&key(), cache.local_version()).is_none());
        assert!(cache.list(&key(), version + 7).is_none());
    }

    #[test]
    fn the_map_stays_bounded() {
        let cache = ReadCache::default();
        for offset in 0..(MAX_ENTRIES as u64 * 2) {
            cache.put_list(ArticleFilter { offset, ..key() }, 0, page(offset));
        }
        assert!(cache.lists.0.lock().map(|m| m.len()).unwrap_or(usize::MAX) <= MAX_ENTRIES);
    }
}
