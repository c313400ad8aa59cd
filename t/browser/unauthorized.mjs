// Any 401 from the API clears the token and goes back to /login with a message: a session
// revoked elsewhere, a forged token, an expired token, a deactivated account; logging in
// again returns to the page the user was on.
import { run } from './lib/harness.mjs';

function fakeToken(payload) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
}

run('unauthorized', async (t) => {
  const page = await t.newPage();
  const admin = await t.adminToken();
  await t.createUser(admin, { username: 'frank', password: 'Frank-Pass-123' });
  const flash = page.locator('#flash-area .notice');

  await t.step('a session revoked elsewhere: next API call → /login with the reason', async () => {
    await t.uiLogin(page, 'frank', 'Frank-Pass-123', { expectPath: '/' });
    const tok = await t.token(page);
    const out = await t.api('POST', '/api/v1/auth/logout', { token: tok });
    t.assert(out.status === 204, `logged out behind the page's back (${out.status})`);
    await page.locator('#site-nav a[href="/history"]').click();
    await t.waitPath(page, '/login');
    await flash.filter({ hasText: 'Session has been terminated' }).waitFor();
    t.assert(!(await t.token(page)), 'token cleared');
    t.assert(new URL(page.url()).searchParams.get('next') === '/history', 'next=/history');
    await t.shot(page, 'login-after-401');
  });

  await t.step('logging in again returns to the page', async () => {
    await t.uiLogin(page, 'frank', 'Frank-Pass-123', { expectPath: '/history' });
  });

  await t.step('a forged token is refused and cleared', async () => {
    const good = JSON.parse(Buffer.from((await t.token(page)).split('.')[1], 'base64url'));
    await page.evaluate((tk) => localStorage.setItem('token', tk), fakeToken({ ...good, role: 'admin' }));
    await page.goto(`${t.base}/profile`);
    await t.waitPath(page, '/login');
    await flash.filter({ hasText: 'no longer valid' }).waitFor();
    t.assert(!(await t.token(page)), 'token cleared');
  });

  await t.step('an expired token goes straight to /login', async () => {
    await page.evaluate((tk) => localStorage.setItem('token', tk), fakeToken({ sub: 'frank', user_id: 2, role: 'user', session_id: '00000000-0000-4000-8000-000000000000', password_must_change: false, exp: Math.floor(Date.now() / 1000) - 60 }));
    await page.goto(`${t.base}/history`);
    await t.waitPath(page, '/login');
  });

  await t.step('a deactivated account is told so', async () => {
    await t.uiLogin(page, 'frank', 'Frank-Pass-123', { expectPath: '/history' });
    await page.locator('#main .summary', { hasText: 'No photos yet' }).waitFor();
    const list = await t.api('GET', '/api/v1/admin/users?search=frank', { token: admin });
    const id = list.data.users[0].id;
    const r = await t.api('PUT', `/api/v1/admin/users/${id}`, { token: admin, json: { is_active: false } });
    t.assert(r.status === 200, `deactivated (${r.status})`);
    await page.goto(`${t.base}/profile`);
    await t.waitPath(page, '/login');
    await flash.waitFor();
    const text = await flash.textContent();
    t.assert(/disabled|terminated/.test(text), `explains: ${text}`);
  });
});
