//! A paginated list of article previews.

use api_types::MAX_OFFSET;
use leptos::prelude::*;

use crate::{
    api::{self, articles::ArticleQuery},
    components::{article_preview::ArticlePreview, error_list::ErrorList},
    remote::fetched,
};

/// The previews for `query` with `ul.pagination`; `page` is the zero-based page shown.
#[component]
pub fn ArticleList(
    /// Which articles to list (page included).
    #[prop(into)]
    query: Signal<ArticleQuery>,
    /// Current page, set by the pagination links.
    page: RwSignal<u32>,
    /// What to say when nothing matches.
    #[prop(default = "No articles are here... yet.")]
    empty: &'static str,
) -> impl IntoView {
    let articles = fetched(move || {
        let query = query.get();
        async move { api::articles::list(&query).await }
    });
    view! {
        {move || match articles.get() {
            None => view! { <div class="article-preview">"Loading articles..."</div> }.into_any(),
            Some(answer) => match answer {
                Err(e) => view! {
                    <div class="article-preview empty-feed-message">
                        <ErrorList messages=e.messages()/>
                    </div>
                }.into_any(),
                Ok(list) if list.articles.is_empty() => {
                    view! { <div class="article-preview empty-feed-message">{empty}</div> }
                        .into_any()
                }
                Ok(list) => {
                    let pages = reachable_pages(list.articles_count);
                    let beyond = pages < list.articles_count.div_ceil(PAGE_SIZE);
                    view! {
                        {list.articles.into_iter().map(|article| view! { <ArticlePreview article/> }).collect_view()}
                        <Pagination pages page/>
                        {beyond.then(|| view! {
                            <p class="pagination-note">
                                "Older articles are beyond the last page: narrow the list with a tag, an author or a search."
                            </p>
                        })}
                    }
                        .into_any()
                }
            },
        }}
    }
}

/// `ul.pagination`: first, previous, a few pages around the current one, next and last (at most [`WINDOW`] numbered
/// links however many pages there are); hidden when everything fits on one page.
#[component]
fn Pagination(
    /// Number of pages.
    pages: u64,
    /// The page shown.
    page: RwSignal<u32>,
) -> impl IntoView {
    let pages = u32::try_from(pages).unwrap_or(u32::MAX);
    (pages > 1).then(|| {
        view! {
            <nav aria-label="Pages">
                <ul class="pagination">
                    {move || {
                        let current = page.get();
                        page_links(current, pages)
                            .into_iter()
                            .map(|link| {
                                let target = link.target;
                                let (text, label) = match link.kind {
                                    LinkKind::First => ("«".to_owned(), "First page".to_owned()),
                                    LinkKind::Previous => ("‹".to_owned(), "Previous page".to_owned()),
                                    LinkKind::Next => ("›".to_owned(), "Next page".to_owned()),
                                    LinkKind::Last => ("»".to_owned(), "Last page".to_owned()),
                                    LinkKind::Number => ((target + 1).to_string(), format!("Page {}", target + 1)),
                                };
                                let active = link.kind == LinkKind::Number && target == current;
                                view! {
                                    <li class="page-item" class:active=active>
                                        <a
                                            class="page-link"
                                            href=""
                                            aria-label=label
                                            aria-current=active.then_some("page")
                                            on:click=move |ev| {
                                                ev.prevent_default();
                                                page.set(target);
                                            }
                                        >
                                            {text}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </nav>
        }
    })
}

/// Page size as a `u64`, for counting.
const PAGE_SIZE: u64 = api::articles::PAGE_SIZE as u64;

/// The pages of `count` articles that paging can reach: the API takes offsets up to [`MAX_OFFSET`].
fn reachable_pages(count: u64) -> u64 {
    count.div_ceil(PAGE_SIZE).min(MAX_OFFSET / PAGE_SIZE + 1)
}

/// The most numbered page links shown at once.
const WINDOW: u32 = 5;

/// What a pagination link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    First,
    Previous,
    Number,
    Next,
    Last,
}

/// One pagination link: its kind and the zero-based page it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageLink {
    kind: LinkKind,
    target: u32,
}

/// The links for page `current` of `pages`: first and previous unless on the first page, [`WINDOW`] numbers
/// around the current one (shifted at either end), next and last unless on the last page.
fn page_links(current: u32, pages: u32) -> Vec<PageLink> {
    let last = pages.saturating_sub(1);
    let current = current.min(last);
    let start = current
        .saturating_sub(WINDOW / 2)
        .min(pages.saturating_sub(WINDOW));
    let end = start.saturating_add(WINDOW - 1).min(last);
    let link = |kind, target| PageLink { kind, target };
    let mut links = Vec::with_capacity(WINDOW as usize + 4);
    if current > 0 {
        links.extend([
            link(LinkKind::First, 0),
            link(LinkKind::Previous, current - 1),
        ]);
    }
    links.extend((start..=end).map(|n| link(LinkKind::Number, n)));
    if current < last {
        links.extend([
            link(LinkKind::Next, current + 1),
            link(LinkKind::Last, last),
        ]);
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(links: &[PageLink]) -> Vec<u32> {
        links
            .iter()
            .filter(|l| l.kind == LinkKind::Number)
            .map(|l| l.target)
            .collect()
    }

    fn kinds(links: &[PageLink]) -> Vec<LinkKind> {
        links.iter().map(|l| l.kind).collect()
    }

    #[test]
    fn few_pages_are_all_listed() {
        let links = page_links(0, 3);
        assert_eq!(numbers(&links), [0, 1, 2]);
        assert_eq!(
            kinds(&links),
            [
                LinkKind::Number,
                LinkKind::Number,
                LinkKind::Number,
                LinkKind::Next,
                LinkKind::Last
            ]
        );
    }

    #[test]
    fn the_window_stays_bounded_around_the_current_page() {
        let links = page_links(50_000, 100_000);
        assert_eq!(numbers(&links), [49_998, 49_999, 50_000, 50_001, 50_002]);
        assert_eq!(
            links.first(),
            Some(&PageLink {
                kind: LinkKind::First,
                target: 0
            })
        );
        assert_eq!(
            links.last(),
            Some(&PageLink {
                kind: LinkKind::Last,
                target: 99_999
            })
        );
        assert_eq!(links.len(), 9);
    }

    #[test]
    fn the_window_shifts_at_either_end() {
        assert_eq!(numbers(&page_links(1, 100_000)), [0, 1, 2, 3, 4]);
        let at_end = page_links(99_999, 100_000);
        assert_eq!(numbers(&at_end), [99_995, 99_996, 99_997, 99_998, 99_999]);
        assert_eq!(at_end.last().map(|l| l.kind), Some(LinkKind::Number));
        assert_eq!(
            at_end[1],
            PageLink {
                kind: LinkKind::Previous,
                target: 99_998
            }
        );
    }

    #[test]
    fn paging_reaches_as_deep_as_the_api_allows() {
        assert_eq!(reachable_pages(0), 0);
        assert_eq!(reachable_pages(21), 3);
        assert_eq!(reachable_pages(10_010), 1_001);
        assert_eq!(reachable_pages(1_000_000), 1_001);
        assert_eq!((reachable_pages(1_000_000) - 1) * PAGE_SIZE, MAX_OFFSET);
    }

    #[test]
    fn a_page_past_the_end_is_read_as_the_last() {
        assert_eq!(numbers(&page_links(7, 2)), [0, 1]);
        assert!(page_links(0, u32::MAX).len() <= WINDOW as usize + 4);
    }
}
