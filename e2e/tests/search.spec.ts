import { expect, test } from '@playwright/test';
import { articleViaApi, registerViaApi, uniqueName } from './helpers';

test('searching from the header lists matching articles on a shareable, paged results page', async ({ browser, page, request }) => {
  const author = await registerViaApi(request, 'searcher');
  const word = uniqueName('zebra').toLowerCase();
  const unrelated = uniqueName('Unrelated ');
  await articleViaApi(request, author, unrelated, [], 'Nothing to find here.');
  const matching: string[] = [];
  for (let i = 0; i < 12; i++) {
    const title = `Match ${i} ${uniqueName('')}`;
    matching.push(title);
    // The word in the title, the body, or the description.
    await articleViaApi(
      request,
      author,
      i % 3 === 0 ? `${title} ${word}` : title,
      [],
      i % 3 === 1 ? `Body with ${word} inside.` : 'Plain body.',
      i % 3 === 2 ? `Described by ${word}` : 'Plain description',
    );
  }
  const tagged = uniqueName('Tagged ');
  await articleViaApi(request, author, tagged, [word]);

  await page.goto('/');
  const field = page.getByRole('searchbox', { name: 'Search articles' });
  await field.fill(word);
  await field.press('Enter');
  await expect(page).toHaveURL(`/search?q=${word}`);
  await expect(page).toHaveTitle(`Search: ${word} — Conduit`);
  await expect(page.locator('.search-title')).toHaveText(`Articles matching “${word}”`);
  await expect(page.locator('.article-preview')).toHaveCount(10);
  await expect(page.locator('.pagination .page-item')).toHaveText(['1', '2', '›', '»']);
  await page.getByRole('link', { name: 'Page 2' }).click();
  // Thirteen matches: the twelve, and the one tagged with the word.
  await expect(page.locator('.article-preview')).toHaveCount(3);

  // Title, body, description and tags are all searched; nothing else comes back.
  const found = new Set<string>();
  for (const pageNumber of ['1', '2']) {
    await page.getByRole('link', { name: `Page ${pageNumber}` }).click();
    await expect(page.locator('.pagination .page-item.active')).toHaveText(pageNumber);
    for (const text of await page.locator('.article-preview h1').allTextContents()) found.add(text.replace(` ${word}`, ''));
  }
  expect([...found].sort()).toEqual([...matching, tagged].sort());

  // The address is the search: opened elsewhere, it shows the same results, and the field shows the words.
  const elsewhere = await browser.newPage();
  await elsewhere.goto(page.url());
  await expect(elsewhere.locator('.article-preview')).toHaveCount(10);
  await expect(elsewhere.getByRole('searchbox', { name: 'Search articles' })).toHaveValue(word);
  await elsewhere.close();
});

test('a search without matches says so, and one without words asks for them', async ({ page }) => {
  await page.goto(`/search?q=${uniqueName('nothingmatches')}`);
  await expect(page.locator('.empty-feed-message')).toHaveText('No articles match these words.');
  await page.goto('/search');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Search articles');
  await expect(page.locator('.article-preview')).toHaveCount(0);
});
