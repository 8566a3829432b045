import { defineConfig } from '@playwright/test';

// The stack is started by e2e/run (scripts/run-stack on ephemeral ports), which exports BASE_URL.
const baseURL = process.env.BASE_URL;
if (!baseURL) {
  throw new Error('BASE_URL is not set: run the browser tests with `make e2e` (or e2e/run)');
}

// e2e/run gives the @large journeys, which run on a stack of their own, their own output folder.
const outputDir = process.env.PW_OUTPUT_DIR ?? 'test-results';

export default defineConfig({
  testDir: './tests',
  outputDir,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: `${outputDir}/report.json` }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
