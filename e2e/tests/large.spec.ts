import { expect, test } from '@playwright/test';

// @large: runs on a stack of its own whose databases hold LARGE_ARTICLES articles (e2e/run seeds a million with
// e2e/seed-articles): "Seeded article 1" … "Seeded article N", newest (N) first, 10 per page in the app. The API
// pages no deeper than offset 10,000 (page 1,001 of 10), so that is where the home page's pagination ends.
const count = Number(process.env.LARGE_ARTICLES ?? 1_000_000);
const reachable = Math.min(Math.ceil(count / 10), 1_001);
const titles = (from: number, to: number) =>
  Array.from({ length: from - to + 1 }, (_, i) => `Seeded article ${from - i}`);

test('with a million articles the pagination stays a small window and reaches as deep as the API pages @large', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('.article-preview h1')).toHaveText(titles(count, count - 9));
  const items = page.locator('.pagination .page-item');
  await expect(items).toHaveText(['1', '2', '3', '4', '5', '›', '»']);
  await expect(page.locator('.pagination .page-item.active')).toHaveText('1');
  await expect(page.locator('.pagination-note')).toContainText('narrow the list');

  await page.getByRole('link', { name: 'Next page' }).click();
  await expect(page.locator('.article-preview h1')).toHaveText(titles(count - 10, count - 19));
  await expect(page.locator('.pagination .page-item.active')).toHaveText('2');
  await expect(items).toHaveText(['«', '‹', '1', '2', '3', '4', '5', '›', '»']);

  await page.getByRole('link', { name: 'Page 5' }).click();
  await expect(page.locator('.article-preview h1').first()).toHaveText(`Seeded article ${count - 40}`);
  await expect(items).toHaveText(['«', '‹', '3', '4', '5', '6', '7', '›', '»']);

  // The last page paging reaches shows its articles, and the window ends there.
  await page.getByRole('link', { name: 'Last page' }).click();
  const firstOnLast = count - (reachable - 1) * 10;
  await expect(page.locator('.article-preview h1')).toHaveText(titles(firstOnLast, firstOnLast - 9));
  await expect(page.locator('.pagination .page-item.active')).toHaveText(String(reachable));
  await expect(items).toHaveText(['«', '‹', ...[4, 3, 2, 1, 0].map((n) => String(reachable - n))]);
  await expect(page.getByRole('link', { name: 'Next page' })).toHaveCount(0);

  await page.getByRole('link', { name: 'Previous page' }).click();
  await expect(page.locator('.article-preview h1').first()).toHaveText(`Seeded article ${firstOnLast + 10}`);
  await page.getByRole('link', { name: 'First page' }).click();
  await expect(page.locator('.article-preview h1').first()).toHaveText(`Seeded article ${count}`);

  // However many pages there are, the page stays small.
  expect(await page.locator('*').count()).toBeLessThan(1_000);
});

test('an author with ten thousand of the articles pages through all of them, to the oldest, on the profile @large', async ({ page }) => {
  // Author seeded1 wrote every article whose number is a multiple of 100.
  const byAuthor = Math.floor(count / 100);
  await page.goto('/profile/seeded1');
  await expect(page.locator('.article-preview h1').first()).toHaveText(`Seeded article ${byAuthor * 100}`);
  await page.getByRole('link', { name: 'Last page' }).click();
  await expect(page.locator('.pagination .page-item.active')).toHaveText(String(Math.ceil(byAuthor / 10)));
  await expect(page.locator('.article-preview h1').last()).toHaveText('Seeded article 100');
  await expect(page.locator('.pagination .page-item')).toHaveCount(7);
  // All of this author's pages are within reach.
  await expect(page.locator('.pagination-note')).toHaveCount(0);
});
