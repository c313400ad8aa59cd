// The batch queue on the Restore page (issue 10): several photos chosen at once, sent as one
// background job, each file's state shown as the worker goes, the zip of all results offered
// and saved; several photos dropped on the single-photo zone go to the batch.
import { run, photo, photoBytes } from './lib/harness.mjs';
import { readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

run('batch', async (t) => {
  const page = await t.newPage();
  const items = page.locator('#batch-list .batch-item');

  await t.step('log in; the batch panel is on the Restore page', async () => {
    await t.uiLogin(page, t.admin.username, t.admin.password, { expectPath: '/' });
    await page.locator('.model-card').first().waitFor();
    await page.locator('input.model-radio[value="local-restore"]').check();
    await page.locator('#batch').waitFor();
    t.assert(await page.locator('#batch-start').isDisabled(), 'nothing to start yet');
  });

  await t.step('choosing three photos lists them, a wrong type is refused', async () => {
    await page.setInputFiles('#batch-input', [photo('camera.png'), photo('chelsea.png'), photo('coffee.png')]);
    await items.nth(2).waitFor();
    t.assert(await items.count() === 3, 'three listed');
    t.assert(await page.locator('#batch-start').isEnabled(), 'start enabled');
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
      const input = document.getElementById('batch-input');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.locator('#batch', { hasText: 'Only .jpg, .jpeg, .png' }).waitFor();
    t.assert(await items.count() === 3, 'still three');
  });

  await t.step('restore all: each file goes to done, the progress reaches 100', async () => {
    const req = page.waitForRequest((r) => r.url().endsWith('/api/v1/jobs') && r.method() === 'POST');
    await page.locator('#batch-start').click();
    const r = await req;
    t.assert((r.headers().authorization || '').startsWith('Bearer '), 'the job request carries the token');
    await page.locator('#batch-status', { hasText: 'finished' }).waitFor({ timeout: 120000 });
    const states = await items.evaluateAll((els) => els.map((e) => e.dataset.state));
    t.assert(states.join(',') === 'done,done,done', `states ${states}`);
    t.assert(await page.locator('#batch-progress').evaluate((e) => e.value) === 100, 'progress 100');
    t.assert(await page.locator('#batch-zip').isVisible(), 'zip offered');
    await t.shot(page, 'batch-done');
  });

  await t.step('the zip downloads with the token', async () => {
    const req = page.waitForRequest((r) => /\/api\/v1\/jobs\/\d+\/download$/.test(r.url()));
    const dl = page.waitForEvent('download');
    await page.locator('#batch-zip').click();
    const r = await req;
    t.assert((r.headers().authorization || '').startsWith('Bearer '), 'download carries the token');
    const d = await dl;
    t.assert(/^photorestore-job-\d+\.zip$/.test(d.suggestedFilename()), `file name ${d.suggestedFilename()}`);
    const file = join(tmpdir(), `pr-batch-${process.pid}.zip`);
    await d.saveAs(file);
    const bytes = readFileSync(file);
    unlinkSync(file);
    t.assert(bytes.subarray(0, 4).toString('latin1') === 'PK\x03\x04', 'a zip');
  });

  await t.step('several photos dropped on the photo zone join the batch', async () => {
    await page.locator('#batch-clear').click();
    const a = photoBytes('camera.png').toString('base64');
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'one.png', { type: 'image/png' }));
      dt.items.add(new File([bytes], 'two.png', { type: 'image/png' }));
      const zone = document.getElementById('dropzone');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }
    }, a);
    await items.nth(1).waitFor();
    t.assert(await items.count() === 2, 'two in the batch');
    t.assert(await page.locator('.chosen-name').count() === 0, 'the single-photo zone stays empty');
  });
});
