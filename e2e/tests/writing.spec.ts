import { expect, test } from '@playwright/test';
import { articleViaApi, readerOfNewArticle, registerViaApi, signIn, uniqueName } from './helpers';

// The editor's local drafts and preview, document titles and feed links while navigating, and failures of the
// favorite and follow buttons.

test('a new article draft survives a reload and is gone once published', async ({ page, request }) => {
  const writer = await registerViaApi(request, 'drafter');
  await signIn(page, writer);
  const title = uniqueName('Kept ');
  await page.goto('/editor');
  const status = page.getByRole('status');
  await expect(status).toHaveText('');
  await page.locator('input[name=title]').fill(title);
  await page.locator('input[name=description]').fill('Never lost');
  await page.locator('textarea[name=body]').fill('Typed, then the tab closed.');
  await page.locator('input[name=tags]').fill('kept');
  await page.locator('input[name=tags]').press('Enter');
  await expect(status).toContainText('Draft saved');

  // A reload (or a closed tab: localStorage outlives both) brings everything back.
  await page.reload();
  await expect(page.locator('input[name=title]')).toHaveValue(title);
  await expect(page.locator('input[name=description]')).toHaveValue('Never lost');
  await expect(page.locator('textarea[name=body]')).toHaveValue('Typed, then the tab closed.');
  await expect(page.locator('.tag-list .tag-pill')).toHaveText(['kept']);
  await expect(status).toContainText('Draft restored');

  await page.getByRole('button', { name: 'Publish Article' }).click();
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  await page.goto('/editor');
  await expect(page.locator('input[name=title]')).toHaveValue('');
  await expect(page.locator('textarea[name=body]')).toHaveValue('');
  await expect(status).toHaveText('');
  const drafts = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('conduit.draft/')));
  expect(drafts).toEqual([]);
});

test('an edit in progress is kept per article until discarded, and is not another user\'s', async ({ page, request }) => {
  const writer = await registerViaApi(request, 'reviser');
  const slug = await articleViaApi(request, writer, uniqueName('Revised '), [], 'The published body.');
  const other = await articleViaApi(request, writer, uniqueName('Untouched '), [], 'The other body.');
  await signIn(page, writer);
  await page.goto(`/editor/${slug}`);
  await expect(page.locator('textarea[name=body]')).toHaveValue('The published body.');
  await page.locator('textarea[name=body]').fill('A better body, not yet published.');
  await expect(page.getByRole('status')).toContainText('Draft saved');

  // Another article's editor is not affected.
  await page.goto(`/editor/${other}`);
  await expect(page.locator('textarea[name=body]')).toHaveValue('The other body.');
  await expect(page.getByRole('status')).toHaveText('');

  await page.goto(`/editor/${slug}`);
  await expect(page.locator('textarea[name=body]')).toHaveValue('A better body, not yet published.');
  await expect(page.getByRole('status')).toContainText('Draft restored');
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await expect(page.locator('textarea[name=body]')).toHaveValue('The published body.');
  await page.reload();
  await expect(page.locator('textarea[name=body]')).toHaveValue('The published body.');
  await expect(page.getByRole('status')).toHaveText('');

  // Someone else signing in on the same browser does not get this writer's drafts.
  await page.locator('textarea[name=body]').fill('Private thoughts');
  await expect(page.getByRole('status')).toContainText('Draft saved');
  await page.evaluate(() => localStorage.removeItem('jwtToken'));
  const stranger = await registerViaApi(request, 'stranger');
  await signIn(page, stranger);
  await page.goto('/editor');
  await expect(page.locator('textarea[name=body]')).toHaveValue('');
});

test('the preview renders the body through the markdown worker, safely', async ({ page, request }) => {
  const writer = await registerViaApi(request, 'previewer');
  await signIn(page, writer);
  await page.goto('/editor');
  await page
    .locator('textarea[name=body]')
    .fill('# Heading\n\nSome *emphasis*, [a link](https://example.com) and [a trap](javascript:window.pwned=1).\n\n<img src=x onerror="window.pwned=2">');
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.locator('.editor-preview');
  await expect(preview.locator('h1')).toHaveText('Heading');
  await expect(preview.locator('em')).toHaveText('emphasis');
  await expect(preview.locator('a')).toHaveText(['a link']);
  await expect(preview).toContainText('a trap');
  await expect(preview).toContainText('<img src=x onerror="window.pwned=2">');
  await expect(preview.locator('img')).toHaveCount(0);
  await expect(page.locator('textarea[name=body]')).toBeHidden();
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

  await page.getByRole('button', { name: 'Write' }).click();
  await expect(page.locator('textarea[name=body]')).toHaveValue(/^# Heading/);
});

test('the document title and the feed link follow the page shown', async ({ page, request }) => {
  const author = await registerViaApi(request, 'titled');
  const tag = uniqueName('feedtag');
  const title = uniqueName('Titled ');
  await articleViaApi(request, author, title, [tag]);
  const shellFeed = page.locator('link[rel=alternate][type="application/atom+xml"][href="/feed.atom"]');
  const pageFeed = page.locator('link#page-feed[rel=alternate][type="application/atom+xml"]');

  await page.goto('/');
  await expect(page).toHaveTitle('Home — Conduit');
  await expect(shellFeed).toHaveCount(1);
  await expect(pageFeed).toHaveCount(0);

  await page.locator('.sidebar').getByRole('link', { name: tag }).click();
  await expect(page).toHaveTitle(`#${tag} — Conduit`);
  await expect(pageFeed).toHaveAttribute('href', `/feed.atom?tag=${encodeURIComponent(tag)}`);
  // The link leads to that tag's feed, with the article in it.
  const feed = await request.get(`/feed.atom?tag=${encodeURIComponent(tag)}`);
  expect(feed.status()).toBe(200);
  expect(feed.headers()['content-type']).toContain('application/atom+xml');
  expect(await feed.text()).toContain(title);

  await page.locator('.article-preview .preview-link').first().click();
  await expect(page).toHaveTitle(`${title} — Conduit`);
  await expect(pageFeed).toHaveCount(0);

  await page.locator('.banner').getByRole('link', { name: author.username }).last().click();
  await expect(page).toHaveTitle(`${author.username} — Conduit`);
  await expect(pageFeed).toHaveAttribute('href', `/feed.atom?author=${encodeURIComponent(author.username)}`);
  await expect(pageFeed).toHaveAttribute('title', `Conduit: ${author.username}`);

  // Back and forward move between the pages, address, title and feed link together.
  await page.goBack();
  await expect(page).toHaveURL(/\/article\//);
  await expect(page).toHaveTitle(`${title} — Conduit`);
  await expect(pageFeed).toHaveCount(0);
  await page.goForward();
  await expect(page).toHaveURL(new RegExp(`/profile/${author.username}$`));
  await expect(page).toHaveTitle(`${author.username} — Conduit`);
  await page.getByRole('link', { name: 'Favorited Articles' }).click();
  await expect(page).toHaveURL(new RegExp(`/profile/${author.username}/favorites$`));
  await expect(page.locator('.articles-toggle .nav-link.active')).toHaveText('Favorited Articles');

  await page.locator('nav').getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveTitle('Sign in — Conduit');
  await expect(pageFeed).toHaveCount(0);
  await expect(shellFeed).toHaveCount(1);

  await page.goto('/nowhere');
  await expect(page).toHaveTitle('Page not found — Conduit');
});

test('a favorite or follow that fails says why instead of doing nothing', async ({ page, request }) => {
  const { author, title, slug } = await readerOfNewArticle(page, request, {
    author: 'vanishing',
    reader: 'clicker',
    title: 'Vanishing ',
  });
  await page.goto(`/profile/${author.username}`);
  await expect(page.locator('.article-preview h1')).toHaveText([title]);

  // The article is deleted while the reader looks at the list: the heart gets a 404.
  const deleted = await request.delete(`/api/articles/${slug}`, { headers: { Authorization: `Token ${author.token}` } });
  expect(deleted.ok()).toBeTruthy();
  await page.locator('.article-preview').getByRole('button', { name: 'Favorite article' }).click();
  await expect(page.locator('.article-preview .error-messages')).toContainText('not found');
  await expect(page.locator('.article-preview').getByRole('button', { name: 'Favorite article' })).toHaveText('0');

  // The follow request fails on its way (the network drops it): the profile says so.
  await page.route('**/api/profiles/*/follow', (route) => route.abort());
  await page.locator('.user-info').getByRole('button', { name: `Follow ${author.username}` }).click();
  await expect(page.locator('.user-info .error-messages')).toContainText('cannot reach the server');
  await page.unroute('**/api/profiles/*/follow');
  await page.locator('.user-info').getByRole('button', { name: `Follow ${author.username}` }).click();
  await expect(page.locator('.user-info').getByRole('button', { name: `Unfollow ${author.username}` })).toBeVisible();
  await expect(page.locator('.user-info .error-messages')).toHaveCount(0);
});
