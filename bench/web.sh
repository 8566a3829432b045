#!/usr/bin/env bash
# SPA budget: first-load bytes (raw and gzip) of wasm + js + css as nginx serves them, first contentful paint of
# the home page in headless Chromium on loopback (median of 5 cold loads), and the time until the first articles
# show with 1,000,000 articles (home page, and its last page), seeded straight into SQLite by e2e/seed-articles.
# Prints figures; asserts nothing.
# Usage: bench/web.sh   (installs what is missing with scripts/bootstrap; builds web/dist and the release services
#        if missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Chromium and Playwright (e2e/node_modules), like everything else it needs: installed when missing, silent if not.
scripts/bootstrap
[ -f web/dist/index.html ] || make -s web
cargo build --release --locked -q -p db-service -p api

# What nginx sends for a file: its precompressed .gz sibling (gzip_static), else gzip -9 of it.
gz_size() { if [ -f "$1.gz" ]; then stat -c%s "$1.gz"; else gzip -9c "$1" | wc -c; fi; }

# First load: every wasm, js and css file index.html references. The markdown worker is fetched later, when the
# first article body is shown, and is listed on its own.
first_load=$(grep -oE '(href|src)="/[^"]+\.(wasm|js|css)"' web/dist/index.html | sed -E 's/.*"\/([^"]+)"/\1/' | sort -u)
echo "first-load assets (web/dist, referenced by index.html):"
raw=0; gz=0
for name in $first_load; do
  f=web/dist/$name
  r=$(stat -c%s "$f"); g=$(gz_size "$f")
  raw=$((raw + r)); gz=$((gz + g))
  printf '  %-40s %8d bytes raw %8d gzip\n' "$name" "$r" "$g"
done
printf '  %-40s %8d bytes raw %8d gzip (budget 250 KB = 250000 gzip)\n' total "$raw" "$gz"
echo "loaded with the first article (markdown worker):"
for f in web/dist/markdown-worker*.wasm web/dist/markdown-worker*.js; do
  printf '  %-40s %8d bytes raw %8d gzip\n' "$(basename "$f")" "$(stat -c%s "$f")" "$(gz_size "$f")"
done

# Cold loads (a fresh browser context each, median of 5) in headless Chromium on loopback. MODE=paint: first
# contentful paint, the article list shown, bytes on the wire; MODE=deep: the first article, then the last page
# paging reaches, with 1,000,000 articles.
browse() { # mode
  (cd "$root/e2e" && MODE=$1 node - <<'JS'
const { chromium } = require('@playwright/test');
(async () => {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  const runs = { paint: [], shown: [], bytes: [], deep: [] };
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    let bytes = 0;
    page.on('response', async (r) => {
      const len = Number((await r.allHeaders())['content-length'] || 0);
      if (!r.url().includes('/api/')) bytes += len;
    });
    let started = Date.now();
    await page.goto(process.env.BASE_URL + '/');
    // The small stack has no articles: its home page shows the empty-feed line (also an .article-preview).
    await page.waitForSelector(process.env.MODE === 'deep' ? '.article-preview .preview-link h1' : '.article-preview');
    runs.shown.push(Date.now() - started);
    runs.paint.push(await page.evaluate(() => {
      const entry = performance.getEntriesByName('first-contentful-paint')[0];
      return entry ? Math.round(entry.startTime) : NaN;
    }));
    runs.bytes.push(bytes);
    if (process.env.MODE === 'deep') {
      started = Date.now();
      await page.click('a[aria-label="Last page"]');
      await page.waitForFunction(() => document.querySelector('.page-item.active')?.textContent !== '1'
        && document.querySelector('.article-preview .preview-link h1'));
      runs.deep.push(Date.now() - started);
      runs.lastPage = await page.textContent('.page-item.active');
    }
    await context.close();
  }
  await browser.close();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const all = (xs) => xs.join(', ');
  if (process.env.MODE === 'paint') {
    console.log(`first contentful paint: median ${median(runs.paint)} ms (runs: ${all(runs.paint)} ms; budget 1000 ms)`);
    console.log(`home page with articles shown: median ${median(runs.shown)} ms`);
    console.log(`bytes transferred for the page (gzip on the wire): median ${median(runs.bytes)}`);
  } else {
    console.log(`1,000,000 articles: first article shown after median ${median(runs.shown)} ms (cold load; runs: ${all(runs.shown)} ms)`);
    console.log(`1,000,000 articles: last page paging reaches (${runs.lastPage}) shown after median ${median(runs.deep)} ms from the click (runs: ${all(runs.deep)} ms)`);
  }
})();
JS
  )
}

# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
export BIN_DIR=$root/target/release RUST_LOG=warn BACKUP_INTERVAL_SECS=0
start_stack
browse paint

# The same SPA over 1,000,000 articles: db-service creates the databases, they are seeded while it is stopped.
stop_stack
start_stack
stop_stack --keep
e2e/seed-articles "$DATA_DIR" 1000000
start_stack
browse deep
