import { expect, test } from '@playwright/test';

// One run of the suite must not collide with data left by an earlier one in the same data dir.
const unique = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

// @smoke: the one journey scripts/test-containers runs against the container images.
test('a visitor signs up, publishes an article and finds it on the home page @smoke', async ({ page }) => {
  const username = `writer${unique}`;
  const title = `Notes from the field ${unique}`;

  await page.goto('/register');
  await expect(page).toHaveTitle(/Sign up/);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=email]').fill(`${username}@example.com`);
  await page.locator('input[name=password]').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();

  // Signed in: back home, with the user's own links in the header.
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('nav').getByRole('link', { name: username })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('jwtToken'))).toBeTruthy();

  await page.locator('nav').getByRole('link', { name: 'New Article' }).click();
  await expect(page).toHaveURL(/\/editor$/);
  await page.locator('input[name=title]').fill(title);
  await page.locator('input[name=description]').fill('What I learned');
  await page.locator('textarea[name=body]').fill('# Heading\n\nSome *markdown* text.\n\n<script>window.pwned = 1</script>');
  await page.locator('input[name=tags]').fill('field');
  await page.locator('input[name=tags]').press('Enter');
  await expect(page.locator('.tag-list .tag-pill')).toHaveText(['field']);
  await page.getByRole('button', { name: 'Publish Article' }).click();

  // The article page renders the markdown, and raw HTML stays inert text.
  await expect(page).toHaveURL(/\/article\/notes-from-the-field-/);
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  await expect(page.locator('.article-content h1')).toHaveText('Heading');
  await expect(page.locator('.article-content em')).toHaveText('markdown');
  await expect(page.locator('.article-content')).toContainText('<script>window.pwned = 1</script>');
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

  // The global feed on the home page lists it first, with its author and tag.
  await page.locator('nav').getByRole('link', { name: 'Home' }).click();
  const first = page.locator('.article-preview').first();
  await expect(first.locator('h1')).toHaveText(title);
  await expect(first.locator('.author')).toHaveText(username);
  await expect(first.locator('.tag-list li')).toHaveText(['field']);

  // A deep link survives a reload (nginx serves the SPA shell for client routes).
  await first.locator('.preview-link').click();
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  await page.reload();
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  await page.screenshot({ path: 'test-results/screenshots/article.png', fullPage: true });
});

test('a wrong password shows the server error next to the form', async ({ page }) => {
  await page.goto('/login');
  await page.locator('input[name=email]').fill(`nobody${unique}@example.com`);
  await page.locator('input[name=password]').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.error-messages')).toContainText('email or password is invalid');
  await expect(page).toHaveURL(/\/login$/);
});

test('signed-out visitors are sent from the editor to the sign-in page', async ({ page }) => {
  await page.goto('/editor');
  await expect(page).toHaveURL(/\/login$/);
});

test('an unknown article shows a not-found message, not a blank page', async ({ page }) => {
  await page.goto('/article/does-not-exist');
  await expect(page.getByRole('heading', { name: 'Article not found' })).toBeVisible();
});
