// Browser tests of the web panel: Debian's chromium driven by playwright-core against a real
// `posthouse serve` (see server.mjs). One scenario per role, the HR user-manager flow and a
// cross-domain negative. Screenshots go to tests/e2e/screenshots/ for review.
// Prints `E2E: N passed, N failed`; exits non-zero on any failure (a server that does not exit 0
// after SIGTERM, or whose log holds a sanitizer report, is one).
// Usage: POSTHOUSE_BIN=build/asan/posthouse node tests/e2e/run.mjs [name-filter...]
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from './server.mjs';
import { scenarios } from './scenarios.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const bin = path.resolve(process.env.POSTHOUSE_BIN || path.join(repo, 'build/asan/posthouse'));
const webRoot = path.resolve(process.env.POSTHOUSE_WEB_ROOT || path.join(repo, 'web/dist'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = path.join(here, 'screenshots');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function main() {
  for (const [what, p] of [
    ['POSTHOUSE_BIN', bin],
    ['the built panel (make build-web)', path.join(webRoot, 'index.html')],
    ['chromium (scripts/install-deps)', chromiumPath],
  ]) {
    if (!fs.existsSync(p)) {
      console.error(`e2e: missing ${what}: ${p}`);
      console.log('E2E: 0 passed, 1 failed');
      process.exit(1);
    }
  }
  fs.mkdirSync(shots, { recursive: true });
  const filters = process.argv.slice(2);
  const chosen = scenarios.filter((s) => !filters.length || filters.some((f) => s.name.includes(f)));
  const server = new Server({ bin, webRoot });
  let passed = 0;
  let failed = 0;
  try {
    await server.start();
    const world = await import('./world.mjs').then((m) => m.seed(server));
    for (const sc of chosen) {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'posthouse-e2e-profile-'));
      let ctx;
      let step = 0;
      try {
        ctx = await chromium.launchPersistentContext(profile, {
          executablePath: chromiumPath,
          headless: true,
          args: CHROMIUM_ARGS,
          viewport: sc.viewport || { width: 1280, height: 900 },
          baseURL: server.url(),
        });
        ctx.setDefaultTimeout(15000);
        const page = ctx.pages()[0] || (await ctx.newPage());
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const shot = async (name) => {
          step++;
          await page.screenshot({ path: path.join(shots, `${sc.name}-${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
        };
        await sc.run({ page, server, world, shot });
        if (errors.length) throw new Error('uncaught errors in the page: ' + errors.join('; '));
        passed++;
        console.log(`ok   ${sc.name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${sc.name}: ${e.stack || e}`);
        try {
          const page = ctx && ctx.pages()[0];
          if (page) await page.screenshot({ path: path.join(shots, `${sc.name}-FAILED.png`), fullPage: true });
        } catch (x) {
          /* the browser is gone */
        }
      } finally {
        if (ctx) await ctx.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    }
  } catch (e) {
    failed++;
    console.log(`FAIL setup: ${e.stack || e}\n${server.log()}`);
  } finally {
    const problem = await server.stop();
    if (problem) {
      failed++;
      console.log(`FAIL server: ${problem}`);
    }
  }
  console.log(`E2E: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
