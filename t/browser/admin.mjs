// Admin users page: the table with search, role/status filters and skip/limit pagination;
// create (with a 422 shown as sentences and a 400 conflict), edit, deactivate/activate,
// reset password with must-change, delete with confirmation; non-admins are kept out.
import { run, claims } from './lib/harness.mjs';

run('admin', async (t) => {
  const page = await t.newPage();
  const admin = await t.adminToken();
  for (let i = 1; i <= 12; i += 1) await t.createUser(admin, { username: `member${String(i).padStart(2, '0')}` });
  const rows = page.locator('.users-table tbody tr[data-user-id]');
  const row = (name) => page.locator(`.users-table tbody tr[data-username="${name}"]`);
  const summary = page.locator('#main .summary');
  const dialog = page.locator('dialog[open]');

  await t.step('the users table lists everyone, marks me, protects my own row', async () => {
    await t.uiLogin(page, t.admin.username, t.admin.password, { expectPath: '/' });
    await page.locator('#site-nav a[href="/admin/users"]').click();
    await t.waitPath(page, '/admin/users');
    await rows.first().waitFor();
    await summary.filter({ hasText: 'of 13 users' }).waitFor();
    const me = row(t.admin.username);
    t.assert((await me.textContent()).includes('You'), 'my row says You');
    t.assert(await me.locator('[data-action=delete]').isDisabled(), 'cannot delete myself');
    t.assert(await me.locator('[data-action=deactivate]').isDisabled(), 'cannot deactivate myself');
    await t.shot(page, 'admin-users');
  });

  await t.step('create: a 422 list is shown as readable sentences', async () => {
    await page.locator('#create-user').click();
    await dialog.locator('.dialog-title', { hasText: 'Create user' }).waitFor();
    await dialog.locator('input[name=username]').fill('bad name!');
    await dialog.locator('input[name=email]').fill('erin@example.com');
    await dialog.locator('input[name=full_name]').fill('Erin Example');
    await dialog.locator('input[name=password]').fill('Erin-Pass-123');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    const n = dialog.locator('.notice-error');
    await n.waitFor();
    const text = await n.textContent();
    t.assert(text.includes('Username: Username can only contain letters, numbers, underscores, and hyphens'), `422 sentence: ${text}`);
    t.assert(!text.includes('Value error'), 'no "Value error," prefix');
    t.assert(await dialog.locator('input[name=username][aria-invalid=true]').count() === 1, 'username field marked');
    await t.shot(page, 'admin-create-422');
  });

  await t.step('create a user (must change password)', async () => {
    await dialog.locator('input[name=username]').fill('Erin');
    t.assert(await dialog.locator('input[name=password_must_change]').isChecked(), 'must-change is on by default');
    const resp = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/users') && r.request().method() === 'POST');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    t.assert((await resp).status() === 201, 'created');
    await dialog.waitFor({ state: 'detached' });
    await summary.filter({ hasText: 'of 14 users' }).waitFor();
    const r = row('erin');
    await r.waitFor();
    t.assert((await r.textContent()).includes('Must change password'), 'flag shown');
  });

  await t.step('create: a duplicate is refused with the server message', async () => {
    await page.locator('#create-user').click();
    await dialog.locator('input[name=username]').fill('ERIN');
    await dialog.locator('input[name=email]').fill('other@example.com');
    await dialog.locator('input[name=full_name]').fill('Other');
    await dialog.locator('input[name=password]').fill('Other-Pass-123');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.locator('.notice-error', { hasText: "Username 'erin' already exists" }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  await t.step('search narrows the list', async () => {
    await page.locator('#main input[name=search]').fill('erin');
    await summary.filter({ hasText: 'of 1 user' }).waitFor();
    t.assert(await rows.count() === 1 && await row('erin').count() === 1, 'only erin');
    t.assert(new URL(page.url()).searchParams.get('search') === 'erin', 'search in the URL');
    await page.locator('#main input[name=search]').fill('Erin Example');
    await page.locator('#main input[name=search]').press('Enter');
    await summary.filter({ hasText: 'of 1 user' }).waitFor();
    await page.locator('#main input[name=search]').fill('');
    await page.locator('#main input[name=search]').press('Enter');
    await summary.filter({ hasText: 'of 14 users' }).waitFor();
  });

  await t.step('skip/limit pagination', async () => {
    const req = page.waitForRequest((r) => r.url().includes('/api/v1/admin/users?') && r.url().includes('limit=10'));
    await page.locator('#main select[name=limit]').selectOption('10');
    await req;
    await summary.filter({ hasText: 'Showing 1–10 of 14 users' }).waitFor();
    t.assert(await rows.count() === 10, '10 rows');
    const next = page.waitForRequest((r) => r.url().includes('skip=10'));
    await page.getByRole('button', { name: 'Next page' }).click();
    await next;
    await summary.filter({ hasText: 'Showing 11–14 of 14 users' }).waitFor();
    t.assert(await rows.count() === 4, '4 rows on page 2');
    t.assert(new URL(page.url()).searchParams.get('skip') === '10', 'skip in the URL');
    await page.locator('#main select[name=limit]').selectOption('25');
    await summary.filter({ hasText: 'Showing 1–14 of 14 users' }).waitFor();
  });

  await t.step('role filter', async () => {
    const req = page.waitForRequest((r) => r.url().includes('role=admin'));
    await page.locator('#main select[name=role]').selectOption('admin');
    await req;
    await summary.filter({ hasText: 'of 1 user' }).waitFor();
    t.assert(await row(t.admin.username).count() === 1, 'only the admin');
    await page.locator('#main select[name=role]').selectOption('');
    await summary.filter({ hasText: 'of 14 users' }).waitFor();
  });

  await t.step('edit email, full name and role', async () => {
    await row('erin').locator('[data-action=edit]').click();
    await dialog.locator('.dialog-title', { hasText: 'Edit erin' }).waitFor();
    await dialog.locator('input[name=email]').fill('erin.new@example.com');
    await dialog.locator('input[name=full_name]').fill('Erin Newname');
    await dialog.locator('select[name=role]').selectOption('admin');
    const resp = page.waitForResponse((r) => /\/api\/v1\/admin\/users\/\d+$/.test(r.url()) && r.request().method() === 'PUT');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const r = await resp;
    const sent = JSON.parse(r.request().postData());
    t.assert(sent.email === 'erin.new@example.com' && sent.full_name === 'Erin Newname' && sent.role === 'admin' && !('is_active' in sent), `sent only changes: ${JSON.stringify(sent)}`);
    await dialog.waitFor({ state: 'detached' });
    await row('erin').filter({ hasText: 'erin.new@example.com' }).waitFor();
    const text = await row('erin').textContent();
    t.assert(text.includes('Erin Newname') && text.includes('Admin'), `row updated: ${text}`);
  });

  await t.step('deactivate (with confirmation) and activate', async () => {
    await row('erin').locator('[data-action=deactivate]').click();
    await dialog.locator('.dialog-title', { hasText: 'Deactivate erin?' }).waitFor();
    await dialog.getByRole('button', { name: 'Deactivate' }).click();
    await row('erin').filter({ hasText: 'Inactive' }).waitFor();
    const login = await t.api('POST', '/api/v1/auth/login', { json: { username: 'erin', password: 'Erin-Pass-123' } });
    t.assert(login.status === 401, `inactive user cannot log in (${login.status})`);
    await page.locator('#main select[name=active]').selectOption('false');
    await summary.filter({ hasText: 'of 1 user' }).waitFor();
    t.assert(await row('erin').count() === 1, 'status filter shows erin as inactive');
    await t.shot(page, 'admin-users-inactive-filter');
    await row('erin').locator('[data-action=activate]').click();
    await summary.filter({ hasText: 'No users found' }).waitFor();
    await page.locator('#main select[name=active]').selectOption('true');
    await summary.filter({ hasText: 'of 14 users' }).waitFor();
    t.assert((await row('erin').textContent()).includes('Active'), 'active again');
    await page.locator('#main select[name=active]').selectOption('');
    await summary.filter({ hasText: 'of 14 users' }).waitFor();
  });

  await t.step('reset password with must-change', async () => {
    await row('erin').locator('[data-action=reset]').click();
    await dialog.locator('.dialog-title', { hasText: 'Reset password for erin' }).waitFor();
    await dialog.locator('input[name=new_password]').fill('weak');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await dialog.getByText('does not meet all the requirements').waitFor();
    await dialog.locator('input[name=new_password]').fill('Erin-Reset-123');
    t.assert(await dialog.locator('input[name=password_must_change]').isChecked(), 'must-change on by default');
    await t.shot(page, 'admin-reset-password');
    const resp = page.waitForResponse((r) => r.url().endsWith('/reset-password'));
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    const r = await resp;
    t.assert(r.status() === 200, 'reset answered 200');
    t.assert(JSON.parse(r.request().postData()).password_must_change === true, 'must-change sent');
    await dialog.waitFor({ state: 'detached' });
    const tok = await t.apiLogin('erin', 'Erin-Reset-123');
    t.assert(claims(tok).password_must_change === true, 'erin must change the password now');
  });

  await t.step('delete with confirmation', async () => {
    const id = await row('erin').getAttribute('data-user-id');
    await row('erin').locator('[data-action=delete]').click();
    await dialog.locator('.dialog-title', { hasText: 'Delete erin?' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    t.assert(await row('erin').count() === 1, 'cancel keeps erin');
    await row('erin').locator('[data-action=delete]').click();
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await summary.filter({ hasText: 'of 13 users' }).waitFor();
    t.assert(await row('erin').count() === 0, 'row gone');
    const r = await t.api('GET', `/api/v1/admin/users/${id}`, { token: admin });
    t.assert(r.status === 404, `API: ${r.status}`);
  });

  await t.step('a plain user sees no admin link and is refused on /admin/users', async () => {
    const p2 = await t.newPage();
    await p2.goto(`${t.base}/login`);
    await t.uiLogin(p2, 'member01', 'User-Pass-123', { expectPath: '/' });
    t.assert(await p2.locator('#site-nav a[href="/admin/users"]').count() === 0, 'no Users link');
    await p2.goto(`${t.base}/admin/users`);
    await p2.locator('h1', { hasText: 'Administrators only' }).waitFor();
    const r = await t.api('GET', '/api/v1/admin/users', { token: await t.token(p2) });
    t.assert(r.status === 403, `API refuses too (${r.status})`);
    await p2.context().close();
  });
});
