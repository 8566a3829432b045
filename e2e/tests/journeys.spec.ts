import { expect, test } from '@playwright/test';
import { articleViaApi, readerOfNewArticle, registerViaApi, signIn, uniqueName } from './helpers';

test('an author edits an article, changing its tags, then deletes it', async ({ page, request }) => {
  const author = await registerViaApi(request, 'editor');
  const title = uniqueName('Draft ');
  const slug = await articleViaApi(request, author, title, ['first', 'second']);
  await signIn(page, author);

  await page.goto(`/article/${slug}`);
  await page.getByRole('link', { name: 'Edit Article' }).first().click();
  await expect(page).toHaveURL(new RegExp(`/editor/${slug}$`));
  await expect(page.locator('input[name=title]')).toHaveValue(title);
  await page.locator('input[name=title]').fill(`${title} revised`);
  await page.getByRole('button', { name: 'Remove tag first' }).click();
  await page.getByRole('button', { name: 'Remove tag second' }).click();
  await page.locator('input[name=tags]').fill('third');
  await page.locator('input[name=tags]').press('Enter');
  await page.getByRole('button', { name: 'Publish Article' }).click();

  await expect(page.locator('.banner h1')).toHaveText(`${title} revised`);
  await expect(page.locator('.article-content .tag-list li')).toHaveText(['third']);
  await page.getByRole('button', { name: 'Delete Article' }).first().click();
  await expect(page).toHaveURL(/\/$/);
  const gone = await request.get(`/api/articles/${slug}`);
  expect(gone.status()).toBe(404);
});

test('a reader comments, sees the comment, and deletes only their own', async ({ page, request }) => {
  const author = await registerViaApi(request, 'author');
  const reader = await registerViaApi(request, 'reader');
  const slug = await articleViaApi(request, author, uniqueName('Discussed '));
  await request.post(`/api/articles/${slug}/comments`, {
    headers: { Authorization: `Token ${author.token}` },
    data: { comment: { body: 'Author remark' } },
  });
  await signIn(page, reader);
  await page.goto(`/article/${slug}`);

  await page.locator('textarea[name=comment]').fill('<img src=x onerror="window.pwned=1"> Great read!');
  await page.getByRole('button', { name: 'Post Comment' }).click();
  const mine = page.locator('.card', { hasText: 'Great read!' });
  await expect(mine.locator('.card-text')).toHaveText('<img src=x onerror="window.pwned=1"> Great read!');
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

  const theirs = page.locator('.card', { hasText: 'Author remark' });
  await expect(theirs.locator('.ion-trash-a')).toHaveCount(0);
  await mine.getByRole('button', { name: 'Delete comment' }).click();
  await expect(page.locator('.card', { hasText: 'Great read!' })).toHaveCount(0);
  await page.reload();
  await expect(page.locator('.card', { hasText: 'Author remark' })).toBeVisible();
  await expect(page.locator('.card', { hasText: 'Great read!' })).toHaveCount(0);
});

test('favoriting changes the count and following fills Your Feed', async ({ page, request }) => {
  const { author, title, slug } = await readerOfNewArticle(page, request, {
    author: 'famous',
    reader: 'fan',
    title: 'Popular ',
  });

  await page.goto(`/article/${slug}`);
  const favorite = page.locator('.banner').getByRole('button', { name: /Favorite Article/ });
  await expect(favorite).toContainText('(0)');
  await favorite.click();
  await expect(page.locator('.banner').getByRole('button', { name: /Unfavorite Article/ })).toContainText('(1)');
  await page.locator('.banner').getByRole('button', { name: /Unfavorite Article/ }).click();
  await expect(page.locator('.banner').getByRole('button', { name: /Favorite Article/ })).toContainText('(0)');

  await page.locator('.banner').getByRole('button', { name: `Follow ${author.username}` }).click();
  await expect(page.locator('.banner').getByRole('button', { name: `Unfollow ${author.username}` })).toBeVisible();
  await page.locator('nav').getByRole('link', { name: 'Home' }).click();
  await page.getByRole('link', { name: 'Your Feed' }).click();
  await expect(page.locator('.article-preview h1').first()).toHaveText(title);

  // The heart on a preview toggles the favorite too.
  const heart = page.locator('.article-preview').first().getByRole('button', { name: 'Favorite article' });
  await expect(heart).toHaveText('0');
  await heart.click();
  await expect(page.locator('.article-preview').first().getByRole('button', { name: 'Unfavorite article' })).toHaveText('1');
});

test('clicking a popular tag lists only articles with that tag', async ({ page, request }) => {
  const author = await registerViaApi(request, 'tagger');
  const tag = uniqueName('tag');
  const title = uniqueName('Tagged ');
  await articleViaApi(request, author, title, [tag]);
  await articleViaApi(request, author, uniqueName('Untagged '));
  await page.goto('/');
  await page.locator('.sidebar').getByRole('link', { name: tag }).click();
  await expect(page.locator('.feed-toggle .nav-link.active')).toHaveText(`#${tag}`);
  await expect(page.locator('.article-preview h1')).toHaveText([title]);
});

test('more than one page of articles paginates', async ({ page, request }) => {
  const author = await registerViaApi(request, 'prolific');
  for (let i = 0; i < 21; i++) {
    await articleViaApi(request, author, `${author.username} post ${i}`);
  }
  await page.goto(`/profile/${author.username}`);
  await expect(page.locator('.article-preview')).toHaveCount(10);
  await expect(page.locator('.pagination .page-item')).toHaveText(['1', '2', '3', '›', '»']);
  await page.getByRole('link', { name: 'Page 3' }).click();
  await expect(page.locator('.article-preview h1')).toHaveText([`${author.username} post 0`]);
  await expect(page.locator('.pagination .page-item.active')).toHaveText('3');
  await expect(page.locator('.pagination .page-item')).toHaveText(['«', '‹', '1', '2', '3']);
  await page.getByRole('link', { name: 'Previous page' }).click();
  await expect(page.locator('.article-preview h1').first()).toHaveText(`${author.username} post 10`);
});

test('settings update the profile, and logging out signs the user out', async ({ page, request }) => {
  const account = await registerViaApi(request, 'settled');
  await signIn(page, account);
  await page.locator('nav').getByRole('link', { name: 'Settings' }).click();
  await expect(page.locator('input[name=email]')).toHaveValue(account.email);
  await page.locator('textarea[name=bio]').fill('I write <b>bold</b> things');
  await page.locator('input[name=image]').fill('https://example.com/avatar.png');
  await page.getByRole('button', { name: 'Update Settings' }).click();
  await expect(page).toHaveURL(new RegExp(`/profile/${account.username}$`));
  await expect(page.locator('.user-info p')).toHaveText('I write <b>bold</b> things');
  await expect(page.getByRole('link', { name: 'Edit Profile Settings' })).toBeVisible();

  await page.goto('/settings');
  await page.getByRole('button', { name: 'Or click here to logout.' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('nav').getByRole('link', { name: 'Sign in' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('jwtToken'))).toBeNull();
});

test('every route survives a reload on its deep link', async ({ page, request }) => {
  const account = await registerViaApi(request, 'deeplink');
  const slug = await articleViaApi(request, account, uniqueName('Deep '));
  await signIn(page, account);
  const routes: Array<[string, string]> = [
    ['/', '.home-page .banner'],
    ['/login', '.auth-page h1'],
    ['/register', '.auth-page h1'],
    ['/settings', '.settings-page h1'],
    ['/editor', '.editor-page form'],
    [`/editor/${slug}`, '.editor-page form'],
    [`/article/${slug}`, '.article-page .banner h1'],
    [`/profile/${account.username}`, '.profile-page .user-info h4'],
    [`/profile/${account.username}/favorites`, '.profile-page .user-info h4'],
  ];
  for (const [path, selector] of routes) {
    await page.goto(path);
    await page.reload();
    await expect(page.locator(selector), path).toBeVisible();
  }
  for (const [path, name] of [['/', 'home'], [`/article/${slug}`, 'article'], ['/editor', 'editor']]) {
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
  }
});

test('a stored token the server rejects is dropped and the user sees the signed-out header', async ({ page }) => {
  await page.goto('/');
  await page.evaluate(() => localStorage.setItem('jwtToken', 'not-a-valid-token'));
  await page.reload();
  await expect(page.locator('nav').getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect.poll(() => page.evaluate(() => localStorage.getItem('jwtToken'))).toBeNull();
});

test('markup in titles and descriptions stays inert text everywhere it is shown', async ({ page, request }) => {
  const author = await registerViaApi(request, 'mallory');
  const title = `<img src=x onerror="window.pwned=1"> ${uniqueName('Title')}`;
  const response = await request.post('/api/articles', {
    headers: { Authorization: `Token ${author.token}` },
    data: {
      article: {
        title,
        description: '<script>window.pwned=2</script>',
        body: '[click](javascript:window.pwned=3) <iframe src="javascript:window.pwned=4"></iframe>',
      },
    },
  });
  expect(response.status()).toBe(201);
  const slug = (await response.json()).article.slug;

  await page.goto(`/profile/${author.username}`);
  await expect(page.locator('.article-preview h1')).toHaveText(title);
  await expect(page.locator('.article-preview p')).toHaveText('<script>window.pwned=2</script>');
  await page.goto(`/article/${slug}`);
  await expect(page.locator('.banner h1')).toHaveText(title);
  await expect(page.locator('.article-content iframe')).toHaveCount(0);
  // The javascript: link is dropped; its text stays.
  await expect(page.locator('.article-content p').first()).toContainText('click');
  await expect(page.locator('.article-content a')).toHaveCount(0);
  await page.locator('.article-content').getByText('click').click();
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
});

test('server validation errors appear next to the sign-up and editor forms, and the draft is kept', async ({ page, request }) => {
  const taken = await registerViaApi(request, 'taken');
  await page.goto('/register');
  await page.locator('input[name=username]').fill(taken.username);
  await page.locator('input[name=email]').fill('not-an-email');
  await page.locator('input[name=password]').fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  const errors = page.locator('.error-messages li');
  await expect(errors).toContainText(['email is invalid', 'password is too short (minimum is 8 characters)']);
  await expect(page).toHaveURL(/\/register$/);

  await page.locator('input[name=email]').fill(`${uniqueName('fresh')}@example.com`);
  await page.locator('input[name=password]').fill('long enough password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('.error-messages li')).toHaveText(['username has already been taken']);

  const author = await registerViaApi(request, 'drafter');
  await signIn(page, author);
  await page.goto('/editor');
  await page.locator('textarea[name=body]').fill('A body without a title');
  await page.getByRole('button', { name: 'Publish Article' }).click();
  await expect(page.locator('.error-messages li')).toContainText(["description can't be blank", "title can't be blank"]);
  await expect(page.locator('textarea[name=body]')).toHaveValue('A body without a title');
  await expect(page).toHaveURL(/\/editor$/);
});

test('the markdown renderer loads with the first article, not with the home page', async ({ page, request }) => {
  const author = await registerViaApi(request, 'mdlazy');
  const slug = await articleViaApi(request, author, uniqueName('Lazy '), []);
  const workerFiles: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/markdown-worker')) workerFiles.push(new URL(r.url()).pathname);
  });
  page.on('worker', (w) => workerFiles.push(`worker ${new URL(w.url()).pathname}`));

  await page.goto('/');
  await expect(page.locator('.article-preview').first()).toBeVisible();
  expect(workerFiles).toEqual([]);

  await page.locator(`a.preview-link[href="/article/${slug}"]`).click();
  await expect(page.locator('.article-content')).toBeVisible();
  // Rendered by the worker: the markdown paragraph became a <p>.
  await expect(page.locator('.article-content p').first()).toHaveText('Body of the article.');
  await expect(page.locator('.article-loading')).toHaveCount(0);
  expect(workerFiles).toContain('worker /markdown-worker_loader.js');
  expect(workerFiles).toContain('/markdown-worker_bg.wasm');
});

test('an article whose markdown worker cannot load is shown as plain text, not a blank page', async ({ page, request }) => {
  const author = await registerViaApi(request, 'mdfail');
  const slug = await articleViaApi(request, author, uniqueName('Fallback '), [], 'Some **bold** words.');
  await page.route('**/markdown-worker*', (route) => route.abort());

  await page.goto(`/article/${slug}`);
  await expect(page.locator('.article-content .article-text')).toHaveText('Some **bold** words.');
  await expect(page.locator('.article-loading')).toHaveCount(0);
  await expect(page.locator('.article-content strong')).toHaveCount(0);
});
