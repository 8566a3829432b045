#!/usr/bin/env bash
# SPA budget: first-load bytes (raw and gzip) of wasm + js + css as nginx serves them, first contentful paint of
# the home page in headless Chromium on loopback (median of 5 cold loads), and the time until the first articles
# show with 1,000,000 articles (home page, and its last page), seeded straight into SQLite by e2e/seed-articles.
# Prints figures; asserts nothing.
# Usage: bench/web.sh   (builds web/dist and the release services if missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
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

# shellcheck source=../scripts/stack.sh
. scripts/stack.sh
export BIN_DIR=$root/target/release RUST_LOG=warn BACKUP_INTERVAL_SECS=0
start_stack

cd e2e
node - <<'JS'
const { chromium } = require('@playwright/test');
(async () => {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  const paints = [], ready = [], transferred = [];
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();   // a cold cache every time
    const page = await context.newPage();
    let bytes = 0;
    page.on('response', async (r) => {
      const len = Number((await r.allHeaders())['content-length'] || 0);
      if (!r.url().includes('/api/')) bytes += len;
    });
    const started = Date.now();
    await page.goto(process.env.BASE_URL + '/');
    await page.waitForSelector('.article-preview');
    ready.push(Date.now() - started);
    const fcp = await page.evaluate(() => {
      const entry = performance.getEntriesByName('first-contentful-paint')[0];
      return entry ? entry.startTime : NaN;
    });
    paints.push(fcp);
    transferred.push(bytes);
    await context.close();
  }
  await browser.close();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`first contentful paint: median ${median(paints).toFixed(0)} ms (runs: ${paints.map((p) => p.toFixed(0)).join(', ')} ms; budget 1000 ms)`);
  console.log(`home page with articles shown: median ${median(ready)} ms`);
  console.log(`bytes transferred for the page (gzip on the wire): median ${median(transferred)}`);
})();
JS

# The same SPA over 1,000,000 articles: db-service creates the databases, they are seeded while it is stopped.
cd "$root"
stop_stack
start_stack
stop_stack --keep
e2e/seed-articles "$DATA_DIR" 1000000
start_stack "$DATA_DIR"
cd e2e
node - <<'JS'
const { chromium } = require('@playwright/test');
(async () => {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  const first = [], last = [];
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    let started = Date.now();
    await page.goto(process.env.BASE_URL + '/');
    await page.waitForSelector('.article-preview .preview-link h1');
    first.push(Date.now() - started);
    started = Date.now();
    await page.click('a[aria-label="Last page"]');
    await page.waitForFunction(() => document.querySelector('.page-item.active')?.textContent === '100000'
      && document.querySelector('.article-preview .preview-link h1'));
    last.push(Date.now() - started);
    await context.close();
  }
  await browser.close();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`1,000,000 articles: first article shown after median ${median(first)} ms (cold load; runs: ${first.join(', ')} ms)`);
  console.log(`1,000,000 articles: last page (100,000) shown after median ${median(last)} ms from the click (runs: ${last.join(', ')} ms)`);
})();
JS
