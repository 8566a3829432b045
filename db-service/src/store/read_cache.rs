//! Cache of reads — article lists and feeds (as the JSON they are sent as), single articles, the tag list — kept per
//! viewer (their `favorited`/`following` differ), and the ranked ids of searches, shared by every viewer and page; each
//! served only while what it shows has not changed since: every value is stored with the version it was read at (the
//! data's, or a finer one below), and answered only at that same version. The data's version is the store's
//! (SqlStore::version): on SQLite a counter here that every write bumps before it is acknowledged (db-service is the
//! files' only writer); on MySQL a counter the database keeps, bumped by triggers in the same transaction as every
//! write, so several replicas stay exact. Each map is bounded by entries and by bytes: an article may carry a body of
//! about a megabyte, so a bound on entries alone would let a reader who asks for many large articles (or feeds of them)
//! grow the cache to gigabytes.
//!
//! Two more maps hold what nearly every read needs from users.db, versioned more finely, since the writes a crowd
//! makes (favorites, follows, comments) rarely change them: authors' profiles, stale only when a profile changes
//! ([`ReadCache::profiles_changed`]), and whom each reader follows, stale only when that reader follows or
//! unfollows someone ([`ReadCache::followees_changed`]). Searches' rankings are too: stale only when an article is
//! published, edited or deleted (on SQLite [`ReadCache::articles_changed`], on MySQL a counter of its own), unless
//! the search is within someone's favorites.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use bytes::Bytes;
use db_client::{ArticleFilter, ArticleRecord, AuthorView, UserId};

use super::article_list::ListFilter;

/// Entries per map; past it, stale entries go first (in a map of one version), then the least recently used
/// (Generational::put). Pages are kept per viewer, so this is how many readers' pages a map holds between writes:
/// at 512, a thousand signed-in readers evicted each other (bench/api.sh). [`MAX_BYTES`] binds first for lists (a
/// page is 5–10 KiB). Keys are not counted in it: the table and its keys take about 1.5 MiB per map, and up to
/// about 7.5 MiB for lists whose filters all carry the longest tag, author, favorited and search strings the api
/// lets through.
const MAX_ENTRIES: usize = 4096;

/// Bytes of values per map, evicted the same way (k8s/README.md, "Memory"): with six maps, the cache holds at
/// most about 6 × this (a search's ranking is at most 80 KiB: 10,000 ids).
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Followers share this many versions of whom they follow (by id, modulo): a follow makes the cached followees
/// of the others in its follower's stripe stale too, which costs them one read.
const FOLLOWER_STRIPES: usize = 1024;

/// Most followees listed for one reader (32 KiB); of a reader who follows more, only that is kept
/// ([`Followees::TooMany`]), and whether they follow each author is read with each page.
pub const MAX_CACHED_FOLLOWEES: usize = 4096;

#[derive(Debug)]
pub struct ReadCache {
    /// The version of data only this process writes (SQLite).
    local_version: AtomicU64,
    lists: Generational<ArticleFilter, Bytes>,
    /// A search's matching ids in the order its pages show them, for every viewer and page, under its filter as
    /// resolved to ids: ranking them is a search's whole cost. Each at the version of what it depends on
    /// (SqlStore::ranking_version): the articles' version unless it is within someone's favorites, so that
    /// favorites, follows and profile edits — most of a crowd's writes — leave rankings kept.
    searches: Generational<ListFilter, Vec<i64>>,
    /// Moves when an article is published, edited or deleted: what a search matches and how it ranks.
    articles_version: AtomicU64,
    articles: Generational<(String, Option<UserId>), ArticleRecord>,
    tags: Generational<(), Vec<String>>,
    /// Moves when a user's name, bio or image changes.
    profiles_version: AtomicU64,
    /// Users' public profiles by id, `following` always false (it is the viewer's, from `followees`).
    profiles: Generational<i64, AuthorView>,
    /// Counts follows and unfollows: each stripe holds its value at the last one by a follower of the stripe.
    follow_clock: AtomicU64,
    follower_versions: Box<[AtomicU64]>,
    /// Whom each follower follows, at their stripe's version.
    followees: Generational<i64, Followees>,
}

impl Default for ReadCache {
    fn default() -> Self {
        Self {
            local_version: AtomicU64::default(),
            lists: Generational::default(),
            searches: Generational::per_key(),
            articles_version: AtomicU64::default(),
            articles: Generational::default(),
            tags: Generational::default(),
            profiles_version: AtomicU64::default(),
            profiles: Generational::default(),
            follow_clock: AtomicU64::default(),
            follower_versions: (0..FOLLOWER_STRIPES).map(|_| AtomicU64::new(0)).collect(),
            followees: Generational::per_key(),
        }
    }
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

    /// The version of the articles' text, tags and existence, when this process is their only writer.
    pub fn articles_version(&self) -> u64 {
        self.articles_version.load(Ordering::Acquire)
    }

    /// Marks what was ranked at the articles' version as stale. Call after an article was published, edited or
    /// deleted, before [`ReadCache::invalidate`] (a reader that sees the data's new version then sees this one's
    /// too) and before the write is acknowledged.
    pub fn articles_changed(&self) {
        self.articles_version.fetch_add(1, Ordering::AcqRel);
    }

    /// The ranked ids of the search `filter` describes, if read at `version`.
    pub(super) fn search_hits(&self, filter: &ListFilter, version: u64) -> Option<Arc<Vec<i64>>> {
        self.searches.get(filter, version)
    }

    pub(super) fn put_search_hits(&self, filter: ListFilter, version: u64, ids: Arc<Vec<i64>>) {
        self.searches.put(filter, version, ids);
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

    /// The version cached profiles are valid at.
    pub fn profiles_version(&self) -> u64 {
        self.profiles_version.load(Ordering::Acquire)
    }

    /// Marks every cached profile as stale. Call after a user's name, bio or image changed and before that is
    /// acknowledged.
    pub fn profiles_changed(&self) {
        self.profiles_version.fetch_add(1, Ordering::AcqRel);
    }

    /// The cached profiles among `ids`, read at `version`.
    pub fn profiles(&self, ids: &[i64], version: u64) -> Vec<(i64, Arc<AuthorView>)> {
        self.profiles.get_each(ids, version)
    }

    pub fn put_profiles(&self, version: u64, profiles: Vec<(i64, Arc<AuthorView>)>) {
        self.profiles.put_each(version, profiles);
    }

    /// The version `follower`'s cached followees are valid at.
    pub fn followees_version(&self, follower: UserId) -> u64 {
        self.follower_versions[follower_stripe(follower)].load(Ordering::Acquire)
    }

    /// Marks `follower`'s cached followees (and those of their stripe) as stale. Call after they followed or
    /// unfollowed someone and before that is acknowledged.
    pub fn followees_changed(&self, follower: UserId) {
        let now = self.follow_clock.fetch_add(1, Ordering::AcqRel) + 1;
        // Two follows in one stripe may get here out of order: its version only ever grows.
        self.follower_versions[follower_stripe(follower)].fetch_max(now, Ordering::AcqRel);
    }

    /// Whom `follower` follows, if read at `version`.
    pub fn followees(&self, follower: UserId, version: u64) -> Option<Arc<Followees>> {
        self.followees.get(&follower.0, version)
    }

    /// Keeps whom `follower` follows, read at `version`.
    pub fn put_followees(&self, follower: UserId, version: u64, followees: Arc<Followees>) {
        self.followees.put(follower.0, version, followees);
    }
}

/// Whom one user follows.
#[derive(Debug, PartialEq, Eq)]
pub enum Followees {
    /// Their ids, sorted, without spare capacity (the cache counts them by what they hold).
    Listed(Vec<i64>),
    /// More than [`MAX_CACHED_FOLLOWEES`]: read from the database each time.
    TooMany,
}

impl Followees {
    /// The first `MAX_CACHED_FOLLOWEES + 1` ids of whom a user follows, sorted, as kept.
    pub fn from_sorted(mut ids: Vec<i64>) -> Self {
        if ids.len() > MAX_CACHED_FOLLOWEES {
            return Followees::TooMany;
        }
        ids.shrink_to_fit();
        Followees::Listed(ids)
    }

    /// The ids, sorted, unless there are too many to keep.
    pub fn ids(&self) -> Option<&[i64]> {
        match self {
            Followees::Listed(ids) => Some(ids),
            Followees::TooMany => None,
        }
    }
}

fn follower_stripe(follower: UserId) -> usize {
    // Ids are positive; any other value still lands in a stripe.
    (follower.0.unsigned_abs() % FOLLOWER_STRIPES as u64) as usize
}

/// About how many bytes a cached value holds.
trait Weight {
    fn weight(&self) -> usize;
}

impl Weight for Bytes {
    fn weight(&self) -> usize {
        self.len()
    }
}

impl Weight for Vec<String> {
    fn weight(&self) -> usize {
        self.iter().map(|s| s.len() + size_of::<String>()).sum()
    }
}

impl Weight for Vec<i64> {
    fn weight(&self) -> usize {
        self.capacity() * size_of::<i64>() + size_of::<Self>()
    }
}

impl Weight for Followees {
    fn weight(&self) -> usize {
        let ids = match self {
            Followees::Listed(ids) => ids.capacity(),
            Followees::TooMany => 0,
        };
        ids * size_of::<i64>() + size_of::<Self>()
    }
}

impl Weight for AuthorView {
    fn weight(&self) -> usize {
        [Some(&self.username), self.bio.as_ref(), self.image.as_ref()]
            .into_iter()
            .flatten()
            .map(String::len)
            .sum::<usize>()
            + size_of::<Self>()
    }
}

impl Weight for ArticleRecord {
    fn weight(&self) -> usize {
        [
            Some(&self.slug),
            Some(&self.title),
            Some(&self.description),
            self.body.as_ref(),
            Some(&self.created_at),
            Some(&self.updated_at),
        ]
        .into_iter()
        .flatten()
        .map(String::len)
        .sum::<usize>()
            + self.author.weight()
            + self.tags.weight()
            + size_of::<Self>()
    }
}

/// A map whose entries are valid only at the version they were read at: one version for the whole map (the
/// default), or one per key ([`Generational::per_key`]).
#[derive(Debug)]
struct Generational<K, V> {
    entries: Mutex<Entries<K, V>>,
    /// Whether each key has a version of its own: then no version tells that an entry of another key is stale.
    per_key: bool,
}

#[derive(Debug)]
struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    /// The values' weight, summed.
    bytes: usize,
    /// Counts gets and puts: an entry's `used` is the count at its last one, so no two entries share it.
    clock: u64,
    /// The newest version a value was stored at: entries read at older ones are stale. Unused where each key has
    /// a version of its own.
    newest: u64,
}

#[derive(Debug)]
struct Entry<V> {
    /// The version the value was read at (the data's, or the finer one its map is kept by).
    version: u64,
    value: Arc<V>,
    /// The value's [`Weight`], computed once.
    weight: usize,
    /// When it was last served or stored ([`Entries::clock`]).
    used: u64,
}

impl<K, V> Default for Generational<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                bytes: 0,
                clock: 0,
                newest: 0,
            }),
            per_key: false,
        }
    }
}

impl<K, V> Generational<K, V> {
    /// A map whose keys each have their own version: a put is kept whatever other keys' versions are, and is
    /// evicted only by use.
    fn per_key() -> Self {
        Self {
            per_key: true,
            ..Self::default()
        }
    }
}

impl<K, V> Entries<K, V> {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

impl<K: Eq + Hash, V: Weight> Generational<K, V> {
    fn get<Q>(&self, key: &Q, version: u64) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut entries = self.entries.lock().ok()?;
        let now = entries.tick();
        let entry = entries.map.get_mut(key).filter(|e| e.version == version)?;
        entry.used = now;
        Some(Arc::clone(&entry.value))
    }

    /// [`Generational::get`] of each of `keys`, under one lock: the keys found, with their values.
    fn get_each(&self, keys: &[K], version: u64) -> Vec<(K, Arc<V>)>
    where
        K: Clone,
    {
        let Ok(mut entries) = self.entries.lock() else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(|key| {
                let now = entries.tick();
                let entry = entries.map.get_mut(key).filter(|e| e.version == version)?;
                entry.used = now;
                Some((key.clone(), Arc::clone(&entry.value)))
            })
            .collect()
    }

    /// [`Generational::put`] of each of `values`, all read at `version`.
    fn put_each(&self, version: u64, values: Vec<(K, Arc<V>)>) {
        for (key, value) in values {
            self.put(key, version, value);
        }
    }

    /// Stores `value`, read at `version`; one read at an older version than the newest stored is dropped (a slow
    /// read finishing late), since newer readers could not be served it — where each key has its own version,
    /// older than that key's entry. When the map would pass a bound, what is stale goes first (in a map of one
    /// version), then the least recently used entries, down to 7/8 of the bounds after the insert, so
    /// that a crowd of one-off reads sorts the map once in about 512 puts rather than on each. Evicting by use
    /// keeps what many readers ask for (the home page) while one-off reads, or a reader making up filters, pass
    /// through. A value larger than the whole bound is not kept.
    fn put(&self, key: K, version: u64, value: Arc<V>) {
        let weight = value.weight();
        if weight > MAX_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if !self.per_key {
            if version < entries.newest {
                return;
            }
            entries.newest = version;
        }
        let used = entries.tick();
        let Entries { map, bytes, .. } = &mut *entries;
        if self.per_key && map.get(&key).is_some_and(|kept| kept.version > version) {
            // A slow read finishing after a newer one of the same key.
            return;
        }
        if let Some(replaced) = map.remove(&key) {
            *bytes -= replaced.weight;
        }
        if !self.per_key && (map.len() >= MAX_ENTRIES || *bytes + weight > MAX_BYTES) {
            map.retain(|_, e| e.version == version);
            *bytes = map.values().map(|e| e.weight).sum();
        }
        if map.len() >= MAX_ENTRIES || *bytes + weight > MAX_BYTES {
            let (max_count, max_bytes) = (MAX_ENTRIES - MAX_ENTRIES / 8, MAX_BYTES - MAX_BYTES / 8);
            let mut by_use: Vec<(u64, usize)> = map.values().map(|e| (e.used, e.weight)).collect();
            by_use.sort_unstable();
            let (mut count, mut held) = (map.len(), *bytes);
            let mut keep_from = 0;
            for (used, freed) in by_use {
                if count < max_count && held + weight <= max_bytes {
                    break;
                }
                count -= 1;
                held -= freed;
                keep_from = used + 1;
            }
            map.retain(|_, e| e.used >= keep_from);
            *bytes = held;
        }
        map.insert(
            key,
            Entry {
                version,
                value,
                weight,
                used,
            },
        );
        *bytes += weight;
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
        assert!(
            cache
                .lists
                .entries
                .lock()
                .map(|e| e.map.len())
                .unwrap_or(usize::MAX)
                <= MAX_ENTRIES
        );
    }

    #[test]
    fn bytes_are_counted_exactly_when_values_are_replaced_and_evicted() {
        let cache = ReadCache::default();
        let big = Bytes::from(vec![b' '; MAX_BYTES / 3]);
        for round in 0..3 {
            for offset in 0..5 {
                let value = if offset % 2 == 0 {
                    big.clone()
                } else {
                    page(round)
                };
                cache.put_list(ArticleFilter { offset, ..key() }, 0, value);
            }
        }
        let (counted, actual) = cache
            .lists
            .entries
            .lock()
            .map(|e| {
                (
                    e.bytes,
                    e.map.values().map(|e| e.value.len()).sum::<usize>(),
                )
            })
            .unwrap_or_default();
        assert_eq!(counted, actual);
        assert!(counted <= MAX_BYTES);
        // Room was made for the newest value without emptying the map.
        assert!(cache
            .list(&ArticleFilter { offset: 4, ..key() }, 0)
            .is_some());
        let kept = cache
            .lists
            .entries
            .lock()
            .map(|e| e.map.len())
            .unwrap_or_default();
        assert!(kept >= 2, "{kept} entries kept");
    }

    #[test]
    fn the_map_stays_bounded_in_bytes_however_large_the_values() {
        let cache = ReadCache::default();
        let megabyte = Bytes::from(vec![b' '; 1024 * 1024]);
        for offset in 0..100 {
            cache.put_list(ArticleFilter { offset, ..key() }, 0, megabyte.clone());
        }
        let bytes = cache
            .lists
            .entries
            .lock()
            .map(|e| e.bytes)
            .unwrap_or(usize::MAX);
        assert!(bytes <= MAX_BYTES, "{bytes} bytes held");
        // The newest page is served.
        assert!(cache
            .list(
                &ArticleFilter {
                    offset: 99,
                    ..key()
                },
                0
            )
            .is_some());
    }

    #[test]
    fn what_readers_keep_asking_for_outlives_a_flood_of_one_off_reads() {
        let cache = ReadCache::default();
        let hot = |offset| ArticleFilter { offset, ..key() };
        let cold = |author: u64| ArticleFilter {
            author: Some(format!("one-off-{author}")),
            ..key()
        };
        for offset in 0..20 {
            cache.put_list(hot(offset), 0, page(offset));
        }
        for round in 0..(MAX_ENTRIES as u64 * 3) {
            cache.put_list(cold(round), 0, page(round));
            let asked_for = round % 20;
            assert_eq!(
                cache.list(&hot(asked_for), 0),
                Some(page(asked_for)),
                "a page read every 20 puts was evicted after {round} one-off reads"
            );
        }
        let (held, counted, actual) = cache
            .lists
            .entries
            .lock()
            .map(|e| {
                let actual = e.map.values().map(|e| e.value.len()).sum::<usize>();
                (e.map.len(), e.bytes, actual)
            })
            .unwrap_or_default();
        // Evicted by the eighth: never past the bound, never much below it.
        assert!(
            (MAX_ENTRIES - MAX_ENTRIES / 8..=MAX_ENTRIES).contains(&held),
            "{held} entries"
        );
        assert_eq!(counted, actual);
    }

    #[test]
    fn a_late_read_at_an_older_version_is_not_kept_and_evicts_nothing() {
        let cache = ReadCache::default();
        // A full map at version 5, then a read that began at version 4 finishes.
        for offset in 1..=MAX_ENTRIES as u64 {
            cache.put_list(ArticleFilter { offset, ..key() }, 5, page(offset));
        }
        cache.put_list(key(), 4, page(0));
        assert_eq!(cache.list(&key(), 4), None);
        for offset in 1..=MAX_ENTRIES as u64 {
            let fresh = ArticleFilter { offset, ..key() };
            assert_eq!(cache.list(&fresh, 5), Some(page(offset)), "offset {offset}");
        }
    }

    fn followees(ids: &[i64]) -> Arc<Followees> {
        Arc::new(Followees::from_sorted(ids.to_vec()))
    }

    #[test]
    fn a_follow_makes_stale_whom_its_follower_follows_and_no_one_else_outside_their_stripe() {
        let cache = ReadCache::default();
        let (anna, ben, anna_s_neighbour) =
            (UserId(1), UserId(2), UserId(1 + FOLLOWER_STRIPES as i64));
        for (user, ids) in [(anna, [7]), (ben, [8]), (anna_s_neighbour, [9])] {
            let version = cache.followees_version(user);
            cache.put_followees(user, version, followees(&ids));
        }
        cache.followees_changed(anna);
        assert_eq!(cache.followees(anna, cache.followees_version(anna)), None);
        assert_eq!(
            cache.followees(anna_s_neighbour, cache.followees_version(anna_s_neighbour)),
            None
        );
        assert_eq!(
            cache.followees(ben, cache.followees_version(ben)),
            Some(followees(&[8]))
        );
        // What anna now follows is kept at her new version, whatever the other stripes' versions.
        let version = cache.followees_version(anna);
        cache.put_followees(anna, version, followees(&[7, 8]));
        cache.put_followees(ben, cache.followees_version(ben), followees(&[8, 9]));
        assert_eq!(cache.followees(anna, version), Some(followees(&[7, 8])));
        assert_eq!(
            cache.followees(ben, cache.followees_version(ben)),
            Some(followees(&[8, 9]))
        );
    }

    #[test]
    fn of_a_follower_of_more_than_the_bound_only_that_is_kept() {
        let many: Vec<i64> = (1..=MAX_CACHED_FOLLOWEES as i64 + 1).collect();
        let kept = Followees::from_sorted(many);
        assert_eq!(kept, Followees::TooMany);
        assert!(kept.weight() < 64);
        let just_enough: Vec<i64> = (1..=MAX_CACHED_FOLLOWEES as i64).collect();
        assert_eq!(
            Followees::from_sorted(just_enough).ids().map(<[i64]>::len),
            Some(MAX_CACHED_FOLLOWEES)
        );
    }

    #[test]
    fn a_slow_read_does_not_replace_a_newer_one_of_the_same_follower() {
        let cache = ReadCache::default();
        let anna = UserId(1);
        let old = cache.followees_version(anna);
        cache.followees_changed(anna);
        let new = cache.followees_version(anna);
        cache.put_followees(anna, new, followees(&[2, 3]));
        cache.put_followees(anna, old, followees(&[2]));
        assert_eq!(cache.followees(anna, new), Some(followees(&[2, 3])));
    }

    #[test]
    fn listed_followees_are_weighed_by_what_they_hold() {
        let mut grown = Vec::with_capacity(4096);
        grown.extend(1..=2049_i64);
        let kept = Followees::from_sorted(grown);
        let Followees::Listed(ids) = &kept else {
            panic!("2,049 ids are listed");
        };
        // Counted by what is held, and the growth's spare room given back.
        assert_eq!(
            kept.weight(),
            ids.capacity() * size_of::<i64>() + size_of::<Followees>()
        );
        assert!(ids.capacity() < 4096, "capacity {}", ids.capacity());
    }

    #[test]
    fn a_profile_change_makes_every_cached_profile_stale() {
        let cache = ReadCache::default();
        let profile = |name: &str| {
            Arc::new(AuthorView {
                username: name.into(),
                bio: None,
                image: None,
                following: false,
            })
        };
        let version = cache.profiles_version();
        cache.put_profiles(version, vec![(1, profile("jake")), (2, profile("anna"))]);
        let found = cache.profiles(&[1, 2, 3], version);
        assert_eq!(
            found
                .iter()
                .map(|(id, p)| (*id, p.username.as_str()))
                .collect::<Vec<_>>(),
            vec![(1, "jake"), (2, "anna")]
        );
        cache.profiles_changed();
        assert!(cache.profiles(&[1, 2], cache.profiles_version()).is_empty());
    }
}
