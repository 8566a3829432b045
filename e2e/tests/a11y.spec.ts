import AxeBuilder from '@axe-core/playwright';
import { Page, expect, test } from '@playwright/test';
import { Account, articleViaApi, registerViaApi, signIn, uniqueName } from './helpers';

// axe-core with all its default rules (WCAG 2.0–2.2 A and AA, plus best practices) on every page and state. An axe
// run takes a second or two, so the two tour tests get the slow-test allowance.

/** Fails with the rule, impact and elements of every violation axe finds on the page as it is now. */
async function expectNoViolations(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const found = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`,
  );
  expect(found, `axe violations on ${state}`).toEqual([]);
}

async function commentViaApi(page: Page, account: Account, slug: string, body: string): Promise<void> {
  const response = await page.request.post(`/api/articles/${slug}/comments`, {
    headers: { Authorization: `Token ${account.token}` },
    data: { comment: { body } },
  });
  expect(response.ok()).toBeTruthy();
}

test('every page a signed-out visitor sees has no axe violations', async ({ page, request }) => {
  test.slow();
  const author = await registerViaApi(request, 'axeauthor');
  const tag = uniqueName('axetag');
  const title = uniqueName('Accessible ');
  const slug = await articleViaApi(request, author, title, [tag], '# A heading\n\nSome *text* and a [link](https://example.com).');
  await commentViaApi(page, author, slug, 'A comment by the author');

  await page.goto('/');
  await expect(page.locator('.article-preview h1').first()).toBeVisible();
  await expect(page.locator('.sidebar .tag-pill').first()).toBeVisible();
  await expectNoViolations(page, 'home, global feed');

  await page.locator('.sidebar').getByRole('link', { name: tag }).click();
  await expect(page.locator('.article-preview h1')).toHaveText([title]);
  await expectNoViolations(page, 'home, tag feed');

  await page.goto(`/article/${slug}`);
  await expect(page.locator('.article-content h1')).toHaveText('A heading');
  await expect(page.locator('.card-text')).toHaveText(['A comment by the author']);
  await expectNoViolations(page, 'article with comments, signed out');

  await page.goto(`/profile/${author.username}`);
  await expect(page.locator('.article-preview h1')).toHaveText([title]);
  await expectNoViolations(page, 'profile, My Articles');
  await page.getByRole('link', { name: 'Favorited Articles' }).click();
  await expect(page.locator('.empty-feed-message')).toBeVisible();
  await expectNoViolations(page, 'profile, Favorited Articles');

  await page.goto(`/search?q=${encodeURIComponent(title)}`);
  await expect(page.locator('.article-preview h1').first()).toHaveText(title);
  await expectNoViolations(page, 'search results');

  await page.goto('/login');
  await expectNoViolations(page, 'sign in');
  await page.locator('input[name=email]').fill('nobody@example.com');
  await page.locator('input[name=password]').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.error-messages')).toBeVisible();
  await expectNoViolations(page, 'sign in with an error');

  await page.goto('/register');
  await expectNoViolations(page, 'sign up');

  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expectNoViolations(page, 'unknown page');
  await page.goto('/article/no-such-article');
  await expect(page.getByRole('heading', { name: 'Article not found' })).toBeVisible();
  await expectNoViolations(page, 'unknown article');
});

test('every page a signed-in writer sees has no axe violations', async ({ page, request }) => {
  test.slow();
  const writer = await registerViaApi(request, 'axewriter');
  const other = await registerViaApi(request, 'axeother');
  const mine = await articleViaApi(request, writer, uniqueName('Mine '), ['own']);
  const theirs = await articleViaApi(request, other, uniqueName('Theirs '), ['other']);
  await commentViaApi(page, writer, theirs, 'My comment on their article');
  await commentViaApi(page, other, theirs, 'Their own comment');
  await signIn(page, writer);

  await expect(page.getByRole('link', { name: 'Your Feed' })).toBeVisible();
  await page.getByRole('link', { name: 'Your Feed' }).click();
  await expect(page.locator('.empty-feed-message')).toBeVisible();
  await expectNoViolations(page, 'home, Your Feed (empty)');

  await page.goto(`/article/${theirs}`);
  await expect(page.locator('.card-text')).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Delete comment' })).toHaveCount(1);
  await expectNoViolations(page, "someone else's article with comments, signed in");
  await page.locator('.banner').getByRole('button', { name: /Favorite Article/ }).click();
  await expect(page.locator('.banner').getByRole('button', { name: /Unfavorite Article/ })).toBeVisible();
  await expectNoViolations(page, 'a favorited article');

  await page.goto(`/article/${mine}`);
  await expect(page.getByRole('button', { name: 'Delete Article' }).first()).toBeVisible();
  await expectNoViolations(page, 'own article');
  // Icons are drawn from inline SVG (no icon font that could be missing): each has a size and a shape.
  for (const icon of ['.ion-trash-a', '.ion-edit', '.ion-gear-a', '.ion-compose']) {
    const drawn = await page.locator(icon).first().evaluate((element) => {
      const style = getComputedStyle(element, '::before');
      return { width: parseFloat(style.width), mask: style.maskImage || style.webkitMaskImage };
    });
    expect(drawn.width, icon).toBeGreaterThan(0);
    expect(drawn.mask, icon).toContain('data:image/svg+xml');
  }

  await page.goto('/editor');
  await expect(page.locator('input[name=title]')).toBeVisible();
  await expectNoViolations(page, 'editor, empty');
  await page.locator('textarea[name=body]').fill('# Draft\n\nA body without a title');
  await page.locator('input[name=tags]').fill('pending');
  await page.locator('input[name=tags]').press('Enter');
  await page.getByRole('button', { name: 'Publish Article' }).click();
  await expect(page.locator('.error-messages li').first()).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Draft saved');
  await expectNoViolations(page, 'editor with errors and a saved draft');
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.locator('.editor-preview h1')).toHaveText('Draft');
  await expectNoViolations(page, 'editor preview');

  await page.goto(`/editor/${mine}`);
  await expect(page.locator('input[name=tags]')).toBeVisible();
  await expect(page.locator('.tag-list .tag-pill')).toHaveText(['own']);
  await expectNoViolations(page, 'editor, editing an article');

  await page.goto('/settings');
  await expect(page.locator('input[name=email]')).toHaveValue(writer.email);
  await expectNoViolations(page, 'settings');

  await page.goto(`/profile/${writer.username}`);
  await expect(page.getByRole('link', { name: 'Edit Profile Settings' })).toBeVisible();
  await expectNoViolations(page, 'own profile');
  await page.goto(`/profile/${other.username}/favorites`);
  await expect(page.locator('.article-preview')).toHaveCount(1);
  await expectNoViolations(page, "someone else's profile, Favorited Articles");

  await page.goto(`/search?q=${encodeURIComponent('no article has these words zzxq')}`);
  await expect(page.locator('.empty-feed-message')).toBeVisible();
  await expectNoViolations(page, 'search without results');
});

test('a writer publishes with the keyboard alone, seeing where the focus is', async ({ page, request }) => {
  const writer = await registerViaApi(request, 'keyboard');
  await signIn(page, writer);
  const title = uniqueName('Typed ');
  await page.goto('/editor');
  await expect(page.locator('input[name=title]')).toBeVisible();

  // From the top of the page, Tab walks through the header to the form.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('name') ?? document.activeElement?.textContent?.trim());
  for (let i = 0; i < 12 && (await focused()) !== 'title'; i++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement as Element);
      return style.outlineStyle !== 'none' || style.boxShadow !== 'none';
    });
    expect(ring, `focus is visible on ${await focused()}`).toBe(true);
  }
  expect(await focused()).toBe('title');
  await page.keyboard.type(title);
  await page.keyboard.press('Tab');
  await page.keyboard.type('Written without a mouse');
  await page.keyboard.press('Tab'); // Write
  await page.keyboard.press('Tab'); // Preview
  await page.keyboard.press('Enter');
  await expect(page.locator('.editor-preview')).toBeVisible();
  await page.keyboard.press('Shift+Tab'); // Write
  await page.keyboard.press('Enter');
  await expect(page.locator('textarea[name=body]')).toBeVisible();
  await page.keyboard.press('Tab'); // Preview
  await page.keyboard.press('Tab');
  expect(await focused()).toBe('body');
  await page.keyboard.type('Every *key* counts.');
  await page.keyboard.press('Tab');
  await page.keyboard.type('keys');
  await page.keyboard.press('Enter');
  await expect(page.locator('.tag-list .tag-pill')).toHaveText(['keys']);
  await page.keyboard.type('mouse');
  await page.keyboard.press('Enter');
  // The tag's remove button is reachable and works with the keyboard too.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Remove tag mouse');
  await page.keyboard.press('Enter');
  await expect(page.locator('.tag-list .tag-pill')).toHaveText(['keys']);
  // Tab goes on from where the removed tag was, to the publish button.
  await page.keyboard.press('Tab');
  expect(await focused()).toBe('Publish Article');
  await page.keyboard.press('Enter');

  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  await expect(page.locator('.article-content em')).toHaveText('key');
  await expect(page.locator('.article-content .tag-list li')).toHaveText(['keys']);
});
