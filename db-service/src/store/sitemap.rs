//! Sitemaps: every article and profile address, a page of ids at a time, for crawlers.

use db_client::{SitemapEntry, SitemapKind, SitemapPage, SITEMAP_PAGE_SIZE};

use super::{backend::Backend, sql::SqlQuery, SqlStore};
use crate::error::ServiceError;

impl<B: Backend> SqlStore<B> {
    /// The entries of `kind` whose ids fall in page `page` (from 1), and how many pages there are; page 0 is
    /// only the count. A page is a range of ids, so reading one costs at most [`SITEMAP_PAGE_SIZE`] rows however
    /// large the site.
    #[tracing::instrument(skip_all)]
    pub async fn sitemap(&self, kind: SitemapKind, page: u32) -> Result<SitemapPage, ServiceError> {
        let d = B::DIALECT;
        let (pools, table, key) = match kind {
            SitemapKind::Articles => (&self.blog, "articles", d.text("slug")),
            SitemapKind::Profiles => (&self.users, "users", "username".to_owned()),
        };
        let (max_id,): (i64,) = pools
            .fetch_optional_long(&SqlQuery::from(format!(
                "SELECT COALESCE(MAX(id), 0) FROM {table}"
            )))
            .await?
            .unwrap_or((0,));
        let size = i64::from(SITEMAP_PAGE_SIZE);
        let pages = u32::try_from(((max_id + size - 1) / size).max(1)).unwrap_or(u32::MAX);
        if page == 0 {
            return Ok(SitemapPage {
                entries: Vec::new(),
                pages,
            });
        }
        let first = (i64::from(page) - 1) * size;
        let mut q = SqlQuery::from(format!(
            "SELECT {key} AS k, {} AS updated_at FROM {table} WHERE id > ",
            d.timestamp("updated_at")
        ));
        q.bind_int(Some(first))
            .push(" AND id <= ")
            .bind_int(Some(first + size))
            .push(" ORDER BY id");
        let rows: Vec<(String, String)> = pools.fetch_all_long(&q).await?;
        Ok(SitemapPage {
            entries: rows
                .into_iter()
                .map(|(key, updated_at)| SitemapEntry { key, updated_at })
                .collect(),
            pages,
        })
    }
}
