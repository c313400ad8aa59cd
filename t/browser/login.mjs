// Login page: deep link redirect, validation, wrong credentials, network error, rate limiting
// with Retry-After, login by email with remember me, keyboard focus, logout via the API.
import { run, claims } from './lib/harness.mjs';

run('login', async (t) => {
  const page = await t.newPage();
  const notice = page.locator('#main .notice-slot .notice');

  await t.step('a deep link while logged out lands on /login with next=', async () => {
    await page.goto(`${t.base}/history`);
    await t.waitPath(page, '/login');
    const url = new URL(page.url());
    t.assert(url.searchParams.get('next') === '/history', `next is ${url.searchParams.get('next')}`);
    await page.locator('h1', { hasText: 'Log in' }).waitFor();
    t.assert(await page.evaluate(() => document.activeElement && document.activeElement.name === 'username'), 'username field has focus');
    t.assert((await page.title()).includes('Log in'), 'title says Log in');
    await t.shot(page, 'login');
  });

  await t.step('the form is keyboard usable with labels and a visible focus ring', async () => {
    for (const name of ['username', 'password', 'remember_me']) {
      const label = await page.evaluate((n) => {
        const i = document.querySelector(`#main [name=${n}]`);
        return i && i.labels && i.labels[0] ? i.labels[0].textContent.trim() : null;
      }, name);
      t.assert(label, `${name} has a label`);
    }
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement.name);
    t.assert(focused === 'password', `Tab moves to password (got ${focused})`);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    t.assert(outline && outline !== 'none', `focused field shows an outline (${outline})`);
  });

  await t.step('empty submit shows field messages', async () => {
    await page.locator('#main button[type=submit]').click();
    await page.getByText('Enter your username or email address.').waitFor();
    t.assert(await page.locator('#main input[name=username][aria-invalid=true]').count() === 1, 'username marked invalid');
  });

  await t.step('wrong password says "Invalid credentials"', async () => {
    await page.locator('#main input[name=username]').fill(t.admin.username);
    await page.locator('#main input[name=password]').fill('wrong-password');
    await page.locator('#main button[type=submit]').click();
    await notice.filter({ hasText: 'Invalid credentials' }).waitFor();
    t.assert(!(await t.token(page)), 'no token stored');
    await t.shot(page, 'login-invalid-credentials');
  });

  await t.step('a network error is explained', async () => {
    await page.route('**/api/v1/auth/login', (route) => route.abort('internetdisconnected'));
    await page.locator('#main input[name=password]').fill('whatever');
    await page.locator('#main button[type=submit]').click();
    await notice.filter({ hasText: 'Cannot reach the server' }).waitFor();
    await page.unroute('**/api/v1/auth/login');
  });

  await t.step('rate limiting (429) shows when to retry, from Retry-After', async () => {
    const user = page.locator('#main input[name=username]');
    await user.fill('nobody-here');
    let limited = false;
    for (let i = 0; i < 12 && !limited; i += 1) {
      await page.locator('#main input[name=password]').fill(`bad-${i}`);
      const resp = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
      await page.locator('#main button[type=submit]').click();
      const r = await resp;
      limited = r.status() === 429;
      if (limited) t.assert(r.headers()['retry-after'], 'the 429 has Retry-After');
    }
    t.assert(limited, 'login got rate limited');
    await notice.filter({ hasText: 'Too many failed login attempts' }).waitFor();
    const text = await notice.textContent();
    t.assert(/Try again in \d+ (second|minute)/.test(text), `says when to retry: ${text}`);
    t.assert(await page.locator('#main button[type=submit]').isDisabled(), 'submit is disabled while locked');
    t.assert(/Try again in/.test(await page.locator('#main button[type=submit]').textContent()), 'button counts down');
    await t.shot(page, 'login-rate-limited');
  });

  await t.step('login by email (any case) with remember me follows next= and stores a 7-day token', async () => {
    await page.goto(`${t.base}/login?next=%2Fhistory`);
    const me = await t.api('POST', '/api/v1/auth/login', { json: { username: t.admin.username, password: t.admin.password } });
    const adminTok = me.data.access_token;
    const info = await t.api('GET', '/api/v1/users/me', { token: adminTok });
    await t.api('POST', '/api/v1/auth/logout', { token: adminTok });
    await t.uiLogin(page, info.data.email.toUpperCase(), t.admin.password, { remember: true, expectPath: '/history' });
    const tok = await t.token(page);
    const c = claims(tok);
    t.assert(c && c.sub === t.admin.username.toLowerCase(), `token sub ${c && c.sub}`);
    const life = c.exp - Math.floor(Date.now() / 1000);
    t.assert(life > 6 * 86400, `remember-me token lives ${life} s`);
    await page.locator('.nav-username', { hasText: t.admin.username }).waitFor();
  });

  await t.step('logout calls POST /auth/logout, forgets the token and kills the session', async () => {
    const tok = await t.token(page);
    const req = page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/logout') && r.method() === 'POST');
    await page.locator('.nav-logout').click();
    const r = await req;
    t.assert((r.headers().authorization || '').startsWith('Bearer '), 'logout sent the token');
    await t.waitPath(page, '/login');
    await page.locator('#flash-area', { hasText: 'You have been logged out' }).waitFor();
    t.assert(!(await t.token(page)), 'token removed from localStorage');
    const check = await t.api('GET', '/api/v1/auth/me', { token: tok });
    t.assert(check.status === 401, `old token now gets ${check.status}`);
  });

  await t.step('login by username without remember me gets a 1-day token and lands on /', async () => {
    await t.uiLogin(page, t.admin.username, t.admin.password, { expectPath: '/' });
    const c = claims(await t.token(page));
    const life = c.exp - Math.floor(Date.now() / 1000);
    t.assert(life <= 86400 + 60 && life > 3600, `token lives ${life} s`);
    await page.goto(`${t.base}/login`);
    await t.waitPath(page, '/');
  });
});
