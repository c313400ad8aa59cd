// Forced password change: a user created with password_must_change is sent to
// /change-password after login and cannot leave it; the policy checklist updates live;
// wrong current password and mismatches are explained; success gets a fresh token.
// Also: an API answer 403 "Password change required" sends the user to the same page.
import { run, claims } from './lib/harness.mjs';

run('password-change', async (t) => {
  const page = await t.newPage();
  const admin = await t.adminToken();
  const user = { username: 'carol', password: 'Carol-Pass-123' };
  await t.createUser(admin, { username: user.username, password: user.password, password_must_change: true, full_name: 'Carol Danvers' });
  const metRules = () => page.locator('.pw-rules li.met').count();

  await t.step('login with a must-change token lands on /change-password', async () => {
    await t.uiLogin(page, user.username, user.password, { expectPath: '/change-password' });
    await page.locator('h1', { hasText: 'Choose a new password' }).waitFor();
    t.assert(claims(await t.token(page)).password_must_change === true, 'token claim is true');
    t.assert(await page.locator('#site-nav a[href="/history"]').count() === 0, 'no navigation links while forced');
  });

  await t.step('other pages redirect back to /change-password', async () => {
    for (const p of ['/', '/history', '/profile']) {
      await page.goto(`${t.base}${p}`);
      await t.waitPath(page, '/change-password');
    }
  });

  await t.step('the policy checklist updates as you type', async () => {
    const input = page.locator('#main input[name=new_password]');
    t.assert(await metRules() === 0, 'nothing met at first');
    await input.fill('abc');
    t.assert(await metRules() === 1, `"abc" meets 1 rule (got ${await metRules()})`);
    t.assert(await page.locator('.pw-rules li.met[data-rule=lower]').count() === 1, 'lowercase is met');
    await input.fill('abcdefgh');
    t.assert(await metRules() === 2, '"abcdefgh" meets length+lower');
    await input.fill('Abcdefgh');
    t.assert(await metRules() === 3, '"Abcdefgh" meets 3');
    await input.pressSequentially('1');
    t.assert(await metRules() === 4, '"Abcdefgh1" meets all');
    await t.shot(page, 'change-password');
  });

  await t.step('a weak password is refused before sending', async () => {
    await page.locator('#main input[name=current_password]').fill(user.password);
    await page.locator('#main input[name=new_password]').fill('short');
    await page.locator('#main input[name=confirm_password]').fill('short');
    await page.locator('#main button[type=submit]').click();
    await page.getByText('does not meet all the requirements').first().waitFor();
  });

  await t.step('a wrong current password is explained', async () => {
    await page.locator('#main input[name=current_password]').fill('Not-The-Pass-1');
    await page.locator('#main input[name=new_password]').fill('Carol-New-Pass-1');
    await page.locator('#main input[name=confirm_password]').fill('Carol-New-Pass-1');
    await page.locator('#main button[type=submit]').click();
    await page.locator('#main .notice-error', { hasText: 'Current password is incorrect' }).waitFor();
  });

  await t.step('mismatched confirmation is explained', async () => {
    await page.locator('#main input[name=current_password]').fill(user.password);
    await page.locator('#main input[name=confirm_password]').fill('Carol-New-Pass-2');
    await page.locator('#main button[type=submit]').click();
    await page.getByText('The two new passwords do not match').first().waitFor();
  });

  await t.step('a valid change continues to / with a fresh token', async () => {
    const oldTok = await t.token(page);
    await page.locator('#main input[name=confirm_password]').fill('Carol-New-Pass-1');
    await page.locator('#main button[type=submit]').click();
    await t.waitPath(page, '/');
    await page.locator('#flash-area', { hasText: 'Your password has been changed' }).waitFor();
    const tok = await t.token(page);
    t.assert(tok && tok !== oldTok, 'token replaced');
    t.assert(claims(tok).password_must_change === false, 'new token claim is false');
    await page.locator('#site-nav a[href="/history"]').waitFor();
    const old = await t.api('GET', '/api/v1/auth/me', { token: oldTok });
    t.assert(old.status === 401, `old session ended (${old.status})`);
    const fresh = await t.api('GET', '/api/v1/restore/history', { token: tok });
    t.assert(fresh.status === 200, `new token can use the API (${fresh.status})`);
    t.assert(await t.apiLogin(user.username, 'Carol-New-Pass-1'), 'new password works');
  });

  await t.step('403 "Password change required" from the API sends the user to /change-password', async () => {
    await page.route('**/api/v1/restore/history**', (route) => route.fulfill({
      status: 403, contentType: 'application/json', body: JSON.stringify({ detail: 'Password change required' }),
    }));
    await page.goto(`${t.base}/history`);
    await t.waitPath(page, '/change-password');
    await page.locator('#flash-area', { hasText: 'choose a new password' }).waitFor();
    await page.unroute('**/api/v1/restore/history**');
    await page.locator('#main input[name=current_password]').fill('Carol-New-Pass-1');
    await page.locator('#main input[name=new_password]').fill('Carol-Third-Pass-1');
    await page.locator('#main input[name=confirm_password]').fill('Carol-Third-Pass-1');
    await page.locator('#main button[type=submit]').click();
    await t.waitPath(page, '/');
    await page.goto(`${t.base}/history`);
    await t.waitPath(page, '/history');
  });
});
