// History: thumbnails from the signed URLs, pagination, filter by session, opening a result
// in the comparison view, download, and delete with confirmation.
import { run } from './lib/harness.mjs';

run('history', async (t) => {
  const page = await t.newPage();
  const cards = page.locator('.history-card:not(.is-skeleton)');
  const summary = page.locator('#main .summary');
  const admin = await t.adminToken();
  await t.createUser(admin, { username: 'hank', password: 'Hank-Pass-123' });
  // Session A (another device): three restorations through the API.
  const other = await t.apiLogin('hank', 'Hank-Pass-123', { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15' });
  for (const p of ['astronaut.png', 'coffee.png', 'camera.png']) await t.apiRestore(other, p);
  const otherSession = JSON.parse(Buffer.from(other.split('.')[1], 'base64url')).session_id;
  let mySession;

  await t.step('a fourth photo restored from this browser session', async () => {
    await t.uiLogin(page, 'hank', 'Hank-Pass-123', { expectPath: '/' });
    const tok = await t.token(page);
    mySession = JSON.parse(Buffer.from(tok.split('.')[1], 'base64url')).session_id;
    await t.apiRestore(tok, 'chelsea.png');
  });

  await t.step('/history shows all four with loaded thumbnails, newest first', async () => {
    await page.locator('#site-nav a[href="/history"]').click();
    await t.waitPath(page, '/history');
    await cards.first().waitFor();
    t.assert(await cards.count() === 4, `4 cards (got ${await cards.count()})`);
    await page.waitForFunction(() => [...document.querySelectorAll('.history-card .thumb-img, .history-card .thumb-inset')].every((i) => i.complete && i.naturalWidth > 0));
    const names = await page.locator('.history-card .card-title').allTextContents();
    t.assert(names[0] === 'chelsea.png' && names[3] === 'astronaut.png', `order: ${names.join(', ')}`);
    const src = await page.locator('.history-card .thumb-img').first().getAttribute('src');
    t.assert(/^\/processed\/.*[?&]e=\d+/.test(src), `signed processed URL: ${src}`);
    t.assert(/Showing 1–4 of 4 photos/.test(await summary.textContent()), await summary.textContent());
    await t.shot(page, 'history');
  });

  await t.step('pagination with limit/offset', async () => {
    await page.goto(`${t.base}/history?limit=3`);
    await cards.first().waitFor();
    t.assert(await cards.count() === 3, 'page 1 has 3');
    const req = page.waitForRequest((r) => r.url().includes('/api/v1/restore/history') && r.url().includes('offset=3'));
    await page.getByRole('button', { name: 'Next page' }).click();
    const r = await req;
    t.assert(new URL(r.url()).searchParams.get('limit') === '3', 'limit=3 sent');
    await summary.filter({ hasText: 'Showing 4–4 of 4 photos' }).waitFor();
    t.assert(await cards.count() === 1, 'page 2 has 1');
    t.assert(new URL(page.url()).searchParams.get('page') === '2', 'page=2 in the URL');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await summary.filter({ hasText: 'Showing 1–3 of 4 photos' }).waitFor();
  });

  await t.step('filter by session', async () => {
    await page.goto(`${t.base}/history`);
    await cards.first().waitFor();
    const select = page.locator('#main select[name=session]');
    const labels = await select.locator('option').allTextContents();
    t.assert(labels.length === 3, `options: ${labels.join(' | ')}`);
    t.assert(labels.some((l) => l.startsWith('This device')), 'current session is named');
    t.assert(labels.some((l) => l.startsWith('Safari on macOS')), 'other session is named by its device');
    await select.selectOption(mySession);
    await summary.filter({ hasText: 'of 1 photo' }).waitFor();
    t.assert(await cards.count() === 1, 'one photo in this session');
    t.assert(new URL(page.url()).searchParams.get('session') === mySession, 'session in the URL');
    await select.selectOption(otherSession);
    await summary.filter({ hasText: 'of 3 photos' }).waitFor();
    t.assert(await cards.count() === 3, 'three in the other session');
    await select.selectOption('');
    await summary.filter({ hasText: 'of 4 photos' }).waitFor();
  });

  await t.step('open a result in the comparison view', async () => {
    const thumb = page.locator('.history-card .thumb-btn').first();
    await thumb.click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    t.assert((await dialog.locator('.dialog-title').textContent()) === 'chelsea.png', 'dialog titled by file name');
    await page.waitForFunction(() => [...document.querySelectorAll('dialog[open] .cmp-img')].every((i) => i.complete && i.naturalWidth > 0));
    t.assert(await dialog.locator('.cmp-handle').isVisible(), 'slider shown');
    t.assert((await dialog.locator('.details').textContent()).includes('This device'), 'session shown');
    await page.waitForTimeout(200);
    await t.shot(page, 'history-compare');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    t.assert(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('thumb-btn')), 'focus returns to the thumbnail');
  });

  await t.step('download from a card', async () => {
    const card = cards.filter({ hasText: 'coffee.png' });
    const dl = page.waitForEvent('download');
    await card.locator('[data-action=download]').click();
    const d = await dl;
    t.assert(d.suggestedFilename() === 'restored-coffee.png', `file ${d.suggestedFilename()}`);
  });

  await t.step('delete asks first; cancel keeps, confirm deletes', async () => {
    const card = cards.filter({ hasText: 'camera.png' });
    const id = await card.getAttribute('data-id');
    await card.locator('[data-action=delete]').click();
    const dialog = page.locator('dialog[open]');
    await dialog.locator('.dialog-title', { hasText: 'Delete this photo?' }).waitFor();
    t.assert((await dialog.textContent()).includes('camera.png'), 'names the photo');
    await t.shot(page, 'history-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    t.assert(await cards.count() === 4, 'still 4 after cancel');
    await card.locator('[data-action=delete]').click();
    const resp = page.waitForResponse((r) => r.url().endsWith(`/api/v1/restore/${id}`) && r.request().method() === 'DELETE');
    await page.locator('dialog[open]').getByRole('button', { name: 'Delete photo' }).click();
    t.assert((await resp).status() === 200, 'DELETE answered 200');
    await summary.filter({ hasText: 'of 3 photos' }).waitFor();
    t.assert(await cards.filter({ hasText: 'camera.png' }).count() === 0, 'card gone');
    const gone = await t.api('GET', `/api/v1/restore/${id}`, { token: await t.token(page) });
    t.assert(gone.status === 404, `API says ${gone.status}`);
  });

  await t.step('delete from the comparison dialog', async () => {
    await cards.filter({ hasText: 'coffee.png' }).locator('[data-action=compare]').click();
    await page.locator('dialog[open] .compare').waitFor();
    await page.locator('dialog[open]').getByRole('button', { name: 'Delete' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Delete photo' }).click();
    await summary.filter({ hasText: 'of 2 photos' }).waitFor();
  });
});
