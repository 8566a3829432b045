import { expect, test } from '@playwright/test';
import { articleViaApi, registerViaApi, signIn, uniqueName } from './helpers';

test('a long discussion shows its first twenty comments and loads the rest on request', async ({ page, request }) => {
  const author = await registerViaApi(request, 'talkative');
  const reader = await registerViaApi(request, 'listener');
  const slug = await articleViaApi(request, author, uniqueName('Discussed at length '));
  for (let i = 1; i <= 23; i++) {
    const response = await request.post(`/api/articles/${slug}/comments`, {
      headers: { Authorization: `Token ${author.token}` },
      data: { comment: { body: `Comment ${i}` } },
    });
    expect(response.status()).toBe(201);
  }
  const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `Comment ${from + i}`);
  await signIn(page, reader);
  await page.goto(`/article/${slug}`);
  const bodies = page.locator('.card .card-text');
  await expect(bodies).toHaveText(numbered(1, 20));
  const more = page.getByRole('button', { name: /Load more comments/ });
  await expect(more).toHaveText('Load more comments (3 more)');

  // A comment posted now shows at once, after those loaded; the server lists it after the rest.
  await page.locator('textarea[name=comment]').fill('A fresh reply');
  await page.getByRole('button', { name: 'Post Comment' }).click();
  await expect(bodies).toHaveText([...numbered(1, 20), 'A fresh reply']);
  await expect(more).toHaveText('Load more comments (3 more)');

  await more.click();
  await expect(bodies).toHaveText([...numbered(1, 23), 'A fresh reply']);
  await expect(more).toHaveCount(0);

  // Deleting one's own keeps the rest in order, and a reload shows the same thread a page at a time.
  await page.locator('.card', { hasText: 'A fresh reply' }).getByRole('button', { name: 'Delete comment' }).click();
  await expect(bodies).toHaveText(numbered(1, 23));
  await page.reload();
  await expect(bodies).toHaveText(numbered(1, 20));
  await page.getByRole('button', { name: /Load more comments/ }).click();
  await expect(bodies).toHaveText(numbered(1, 23));
});
