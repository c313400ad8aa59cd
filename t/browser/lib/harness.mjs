// Minimal TAP harness for the browser tests: launches Debian's /usr/bin/chromium through
// playwright-core, runs named steps in order, prints TAP, takes screenshots, and fails on
// uncaught page errors and Content-Security-Policy violations.
//
//   node t/browser/<name>.mjs <base_url>
// Environment: AUTH_USERNAME / AUTH_PASSWORD (the seeded admin), SCREENSHOT_DIR,
// CHROMIUM (default /usr/bin/chromium), BROWSER_TIMEOUT_MS (per action, default 20000).

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '../../..');
export const PHOTOS = resolve(REPO, '../shared/testdata/photos');
export const SCREENSHOTS = process.env.SCREENSHOT_DIR || join(HERE, '..', 'screenshots');

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function photo(name) { return join(PHOTOS, name); }
export function photoBytes(name) { return readFileSync(photo(name)); }

/** The claims of a JWT (unverified), or null. */
export function claims(token) {
  try { return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')); } catch { return null; }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Harness {
  constructor(name, base) {
    this.name = name;
    this.base = base.replace(/\/+$/, '');
    this.n = 0;
    this.failed = 0;
    this.skipRest = null;
    this.pages = [];
    this.pageErrors = [];
    this.cspViolations = [];
    this.admin = { username: process.env.AUTH_USERNAME || 'admin', password: process.env.AUTH_PASSWORD || 'Admin-Pass-123' };
    this.timeout = Number(process.env.BROWSER_TIMEOUT_MS || 20000);
  }

  diag(msg) { for (const line of String(msg).split('\n')) console.log(`# ${line}`); }

  async launch() {
    this.browser = await chromium.launch({
      headless: true, executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS,
    });
  }

  /** A new browser context + page, watched for page errors and CSP violations. */
  async newPage(options = {}) {
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
    context.setDefaultTimeout(this.timeout);
    const page = await context.newPage();
    page.on('pageerror', (e) => { this.pageErrors.push(`${e.message}`); this.diag(`page error: ${e.message}`); });
    page.on('console', (m) => {
      const text = m.text();
      if (/Content Security Policy|Refused to (execute|apply|load|connect)/i.test(text)) {
        this.cspViolations.push(text);
        this.diag(`CSP violation: ${text}`);
      }
    });
    this.pages.push(page);
    this.lastPage = page;
    return page;
  }

  ok(cond, name) {
    this.n += 1;
    if (cond) console.log(`ok ${this.n} - ${name}`);
    else { this.failed += 1; console.log(`not ok ${this.n} - ${name}`); }
    return Boolean(cond);
  }

  /** Runs one step; a failure marks it "not ok" and skips the rest (they depend on it). */
  async step(name, fn) {
    if (this.skipRest) { this.n += 1; console.log(`ok ${this.n} - ${name} # SKIP after failure of "${this.skipRest}"`); return; }
    try {
      await fn();
      this.ok(true, name);
    } catch (err) {
      this.ok(false, name);
      this.diag(err && err.stack ? err.stack.split('\n').slice(0, 6).join('\n') : String(err));
      const page = this.lastPage;
      if (page && !page.isClosed()) {
        this.diag(`url: ${page.url()}`);
        try {
          const file = join(SCREENSHOTS, `FAILED-${this.name}-${this.n}.png`);
          await page.screenshot({ path: file, fullPage: true });
          this.diag(`screenshot: ${file}`);
        } catch { /* page gone */ }
      }
      this.skipRest = name;
    }
  }

  /** Saves a screenshot t/browser/screenshots/<name>.png. */
  async shot(page, name, { keepToasts = false, ...opts } = {}) {
    await page.evaluate((keep) => {
      if (!keep) document.getElementById('toasts')?.replaceChildren();
      return document.fonts && document.fonts.ready;
    }, keepToasts);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), ...opts });
  }

  // ---- direct API access for setup and checks (Node's fetch) ---------------------------------
  async api(method, path, { token, json, body, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload = body;
    if (json !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(json); }
    const res = await fetch(`${this.base}${path}`, { method, headers: h, body: payload });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    return { status: res.status, data, headers: res.headers };
  }

  async apiLogin(username, password, { userAgent, remember = false } = {}) {
    const r = await this.api('POST', '/api/v1/auth/login', { json: { username, password, remember_me: remember }, headers: userAgent ? { 'User-Agent': userAgent } : {} });
    if (r.status !== 200) throw new Error(`API login ${username} failed: ${r.status} ${JSON.stringify(r.data)}`);
    return r.data.access_token;
  }

  async adminToken() { return this.apiLogin(this.admin.username, this.admin.password); }

  async createUser(adminToken, u) {
    const r = await this.api('POST', '/api/v1/admin/users', {
      token: adminToken,
      json: { email: `${u.username}@example.com`, full_name: `User ${u.username}`, password: 'User-Pass-123', role: 'user', password_must_change: false, ...u },
    });
    if (r.status !== 201) throw new Error(`create user ${u.username}: ${r.status} ${JSON.stringify(r.data)}`);
    return r.data;
  }

  /** POST /api/v1/restore with a photo from shared/testdata. */
  async apiRestore(token, photoName, modelId = 'local-restore', uploadName = photoName) {
    const form = new FormData();
    form.append('file', new Blob([photoBytes(photoName)], { type: 'image/png' }), uploadName);
    form.append('model_id', modelId);
    const r = await this.api('POST', '/api/v1/restore', { token, body: form });
    if (r.status !== 200) throw new Error(`API restore ${photoName}: ${r.status} ${JSON.stringify(r.data)}`);
    return r.data;
  }

  // ---- UI helpers ------------------------------------------------------------------------------
  async uiLogin(page, username, password, { remember = false, expectPath = null } = {}) {
    if (!page.url().includes('/login')) await page.goto(`${this.base}/login`);
    await page.locator('#main input[name=username]').fill(username);
    await page.locator('#main input[name=password]').fill(password);
    await page.locator('#main input[name=remember_me]').setChecked(remember);
    await page.locator('#main button[type=submit]').click();
    await page.waitForFunction(() => !location.pathname.startsWith('/login'));
    if (expectPath) await this.waitPath(page, expectPath);
  }

  async waitPath(page, path) {
    await page.waitForFunction((p) => location.pathname === p, path);
  }

  async token(page) { return page.evaluate(() => localStorage.getItem('token')); }

  /** Fails if a condition does not hold, with a message. */
  assert(cond, message) { if (!cond) throw new Error(`assertion failed: ${message}`); }

  async finish() {
    if (!this.skipRest) {
      this.ok(this.pageErrors.length === 0, 'no uncaught JavaScript errors in the pages');
      if (this.pageErrors.length) this.diag(this.pageErrors.join('\n'));
      this.ok(this.cspViolations.length === 0, 'no Content-Security-Policy violations');
    }
    console.log(`1..${this.n}`);
    try { await this.browser.close(); } catch { /* already closed */ }
    process.exit(this.failed ? 1 : 0);
  }
}

/**
 * Runs a browser test: run('name', async (t) => { await t.step(...); ... }).
 * argv[2] is the site's base URL.
 */
export async function run(name, body) {
  const base = process.argv[2];
  if (!base) { console.log('1..0 # SKIP no base URL given'); process.exit(0); }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const t = new Harness(name, base);
  const limit = Number(process.env.BROWSER_TEST_LIMIT_MS || 300000);
  const timer = setTimeout(() => { console.log(`Bail out! ${name}: took longer than ${limit / 1000} s`); process.exit(2); }, limit);
  try {
    await t.launch();
  } catch (err) {
    console.log(`1..0 # SKIP chromium could not be started: ${String(err.message || err).split('\n')[0]}`);
    process.exit(0);
  }
  try {
    await body(t);
  } catch (err) {
    t.ok(false, `test body crashed: ${err.message}`);
    t.diag(err.stack || String(err));
  }
  clearTimeout(timer);
  await t.finish();
}

export { sleep };
