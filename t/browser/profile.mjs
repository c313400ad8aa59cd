// Profile: account details, sessions with the current one marked, "Log out this device" for
// another session, "Log out everywhere else", and the password change form.
import { run } from './lib/harness.mjs';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0';

run('profile', async (t) => {
  const page = await t.newPage();
  const admin = await t.adminToken();
  await t.createUser(admin, { username: 'dave', password: 'Dave-Pass-123', full_name: 'Dave Bowman', email: 'dave@example.org' });
  const phone = await t.apiLogin('dave', 'Dave-Pass-123', { userAgent: IPHONE });
  const laptop = await t.apiLogin('dave', 'Dave-Pass-123', { userAgent: FIREFOX });
  const sessions = page.locator('.session-list .session');

  await t.step('the profile shows the account', async () => {
    await t.uiLogin(page, 'dave', 'Dave-Pass-123', { expectPath: '/' });
    await page.locator('#site-nav a[href="/profile"]').click();
    await t.waitPath(page, '/profile');
    const details = page.locator('.details-grid');
    await details.waitFor();
    const text = await details.textContent();
    for (const s of ['dave', 'Dave Bowman', 'dave@example.org', 'User']) t.assert(text.includes(s), `shows ${s}`);
  });

  await t.step('sessions list marks this device', async () => {
    await sessions.nth(2).waitFor();
    t.assert(await sessions.count() === 3, `3 sessions (got ${await sessions.count()})`);
    t.assert(await page.locator('.session.is-current').count() === 1, 'one current');
    t.assert((await page.locator('.session.is-current').textContent()).includes('This device'), 'marked "This device"');
    t.assert(await page.locator('.session.is-current .session-revoke').count() === 0, 'no logout button on the current one');
    const devices = await page.locator('.session-device').allTextContents();
    t.assert(devices.some((d) => d.includes('Safari on iPhone')) && devices.some((d) => d.includes('Firefox on Windows')), `devices: ${devices.join(' | ')}`);
    await t.shot(page, 'profile');
  });

  await t.step('"Log out this device" ends that session only', async () => {
    const row = sessions.filter({ hasText: 'Safari on iPhone' });
    const resp = page.waitForResponse((r) => /\/api\/v1\/users\/me\/sessions\/[0-9a-f-]+$/.test(r.url()) && r.request().method() === 'DELETE');
    await row.locator('.session-revoke').click();
    t.assert((await resp).status() === 204, 'DELETE answered 204');
    await page.locator('#main .summary', { hasText: '1 other device' }).waitFor();
    t.assert(await sessions.count() === 2, 'two left');
    const r = await t.api('GET', '/api/v1/auth/me', { token: phone });
    t.assert(r.status === 401 && r.data.detail === 'Session has been terminated', `revoked token: ${r.status} ${JSON.stringify(r.data)}`);
    const still = await t.api('GET', '/api/v1/auth/me', { token: laptop });
    t.assert(still.status === 200, 'the other one still works');
  });

  await t.step('"Log out everywhere else" asks, then ends all other sessions', async () => {
    await page.locator('#logout-others').click();
    const dialog = page.locator('dialog[open]');
    await dialog.locator('.dialog-title', { hasText: 'Log out everywhere else?' }).waitFor();
    await dialog.getByRole('button', { name: 'Log out other devices' }).click();
    await page.locator('#main .summary', { hasText: 'this device only' }).waitFor();
    t.assert(await sessions.count() === 1, 'only this device');
    t.assert(await page.locator('#logout-others').isDisabled(), 'button disabled now');
    const r = await t.api('GET', '/api/v1/auth/me', { token: laptop });
    t.assert(r.status === 401, `laptop token: ${r.status}`);
    const me = await t.api('GET', '/api/v1/auth/me', { token: await t.token(page) });
    t.assert(me.status === 200, 'this browser still signed in');
  });

  await t.step('password change: wrong current password is explained', async () => {
    const form = page.locator('#password-form');
    await form.locator('input[name=current_password]').fill('Wrong-Pass-123');
    await form.locator('input[name=new_password]').fill('Dave-New-Pass-1');
    await form.locator('input[name=confirm_password]').fill('Dave-New-Pass-1');
    await form.locator('button[type=submit]').click();
    await form.locator('.notice-error', { hasText: 'Current password is incorrect' }).waitFor();
  });

  await t.step('password change succeeds and the new password works', async () => {
    const form = page.locator('#password-form');
    await form.locator('input[name=current_password]').fill('Dave-Pass-123');
    await form.locator('button[type=submit]').click();
    await form.locator('.notice-success', { hasText: 'Your password has been changed' }).waitFor();
    t.assert(await form.locator('input[name=current_password]').inputValue() === '', 'form cleared');
    t.assert(await t.apiLogin('dave', 'Dave-New-Pass-1'), 'new password logs in');
    const me = await t.api('GET', '/api/v1/auth/me', { token: await t.token(page) });
    t.assert(me.status === 200, 'this session survives its own password change');
  });
});
