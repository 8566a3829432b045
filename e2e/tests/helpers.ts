import { APIRequestContext, Page, expect } from '@playwright/test';

/** A name unique to this run, so repeated runs against one data dir never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export interface Account {
  username: string;
  email: string;
  password: string;
  token: string;
}

/** Registers a user through the API (fast set-up for journeys that are not about registering). */
export async function registerViaApi(request: APIRequestContext, prefix = 'user'): Promise<Account> {
  const username = uniqueName(prefix);
  const email = `${username}@example.com`;
  const password = 'correct horse battery';
  const response = await request.post('/api/users', { data: { user: { username, email, password } } });
  expect(response.status()).toBe(201);
  const { user } = await response.json();
  return { username, email, password, token: user.token };
}

/** Publishes an article through the API and returns its slug. */
export async function articleViaApi(
  request: APIRequestContext,
  account: Account,
  title: string,
  tagList: string[] = [],
  body = 'Body of the article.',
  description = `About ${title}`,
): Promise<string> {
  const response = await request.post('/api/articles', {
    headers: { Authorization: `Token ${account.token}` },
    data: { article: { title, description, body, tagList } },
  });
  expect(response.status()).toBe(201);
  return (await response.json()).article.slug;
}

/** Signs in through the UI. */
export async function signIn(page: Page, account: Account): Promise<void> {
  await page.goto('/login');
  await page.locator('input[name=email]').fill(account.email);
  await page.locator('input[name=password]').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('nav').getByRole('link', { name: account.username })).toBeVisible();
}

/** One article just published through the API by a new author, and a new reader signed in through the UI. */
export async function readerOfNewArticle(
  page: Page,
  request: APIRequestContext,
  names: { author: string; reader: string; title: string },
): Promise<{ author: Account; reader: Account; title: string; slug: string }> {
  const author = await registerViaApi(request, names.author);
  const reader = await registerViaApi(request, names.reader);
  const title = uniqueName(names.title);
  const slug = await articleViaApi(request, author, title);
  await signIn(page, reader);
  return { author, reader, title, slug };
}
