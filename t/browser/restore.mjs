// Restore page end to end: models grouped by category, client-side file checks, drag and
// drop, upload progress and processing indicator, a real restoration with the local model,
// the comparison viewer (slider, side by side, toggle, zoom), download, server errors.
import { run, photoBytes, photo } from './lib/harness.mjs';
import { readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

run('restore', async (t) => {
  const page = await t.newPage();
  const compare = page.locator('#main .compare');

  await t.step('log in and see the models grouped by category', async () => {
    await t.uiLogin(page, t.admin.username, t.admin.password, { expectPath: '/' });
    await page.locator('.model-card').first().waitFor();
    const groups = await page.locator('.model-group legend').allTextContents();
    t.assert(groups.length >= 1, `categories: ${groups.join(', ')}`);
    const api = await t.api('GET', '/api/v1/models', { token: await t.token(page) });
    const models = api.data.models;
    t.assert(await page.locator('.model-card').count() === models.length, 'one card per model');
    t.assert(models.some((m) => m.id === 'local-restore'), 'local-restore is offered');
    const first = models[0];
    t.assert(await page.locator(`input.model-radio[value="${first.id}"]`).isChecked(), 'the first model is selected');
    const card = page.locator('.model-card', { has: page.locator('input[value="local-restore"]') });
    const desc = models.find((m) => m.id === 'local-restore').description;
    if (desc) t.assert((await card.locator('.model-desc').textContent()).trim() === desc, 'description shown');
    for (const tag of models.find((m) => m.id === 'local-restore').tags) {
      t.assert(await card.locator('.tag', { hasText: tag }).count() >= 1, `tag ${tag} shown`);
    }
    await page.locator('input.model-radio[value="local-restore"]').check();
    t.assert(await page.locator('#restore-btn').isDisabled(), 'restore disabled without a photo');
    await t.shot(page, 'restore-empty');
  });

  await t.step('client-side checks refuse a wrong type and a file over 10 MB', async () => {
    // Files are made inside the page (a 10 MB buffer is slow to send over the protocol).
    const pick = (name, type, size, text) => page.evaluate(([n, ty, sz, tx]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([tx !== null ? tx : new Uint8Array(sz)], n, { type: ty }));
      const input = document.getElementById('photo-input');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, [name, type, size, text]);
    await pick('notes.txt', 'text/plain', 0, 'hello');
    await page.locator('#file-error', { hasText: 'Only .jpg, .jpeg, .png' }).waitFor();
    await pick('huge.png', 'image/png', 10 * 1024 * 1024 + 1, null);
    await page.locator('#file-error', { hasText: 'larger than the 10.0 MB limit' }).waitFor();
    await pick('fake.png', 'image/png', 0, 'not really a png');
    await page.locator('#file-error', { hasText: 'could not be opened as an image' }).waitFor();
    t.assert(await page.locator('#restore-btn').isDisabled(), 'restore still disabled');
  });

  await t.step('a photo can be dropped on the drop zone', async () => {
    const b64 = photoBytes('camera.png').toString('base64');
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'camera.png', { type: 'image/png' }));
      const zone = document.getElementById('dropzone');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }
    }, b64);
    await page.locator('.chosen-name', { hasText: 'camera.png' }).waitFor();
    t.assert(await page.locator('#file-error').isHidden(), 'error cleared');
  });

  await t.step('the picker replaces it; the preview shows size and dimensions', async () => {
    await page.setInputFiles('#photo-input', photo('chelsea.png'));
    await page.locator('.chosen-name', { hasText: 'chelsea.png' }).waitFor();
    const meta = await page.locator('.chosen-meta').textContent();
    t.assert(/451 × 300/.test(meta), `dimensions shown: ${meta}`);
    t.assert(await page.locator('#restore-btn').isEnabled(), 'restore enabled');
    await t.shot(page, 'restore-chosen');
  });

  await t.step('restoring shows upload progress, then processing with elapsed time, then the comparison', async () => {
    await page.evaluate(() => {
      window.__states = [];
      const area = document.getElementById('progress-area');
      new MutationObserver(() => { const s = area.dataset.state; if (window.__states.at(-1) !== s) window.__states.push(s); })
        .observe(area, { attributes: true, attributeFilter: ['data-state'] });
    });
    const req = page.waitForRequest((r) => r.url().endsWith('/api/v1/restore') && r.method() === 'POST');
    await page.locator('#restore-btn').click();
    const r = await req;
    t.assert((r.headers().authorization || '').startsWith('Bearer '), 'upload carries the token');
    t.assert((r.headers()['content-type'] || '').startsWith('multipart/form-data'), 'multipart upload');
    await page.locator('#progress-area[data-state=done]').waitFor({ timeout: 120000 });
    const states = await page.evaluate(() => window.__states);
    t.assert(states.includes('uploading') && states.includes('processing'), `states seen: ${states.join(' → ')}`);
    await compare.waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('#main .compare .cmp-img')].every((i) => i.complete && i.naturalWidth > 0));
    const srcs = await compare.locator('.cmp-img').evaluateAll((imgs) => imgs.map((i) => new URL(i.src).pathname));
    t.assert(srcs.some((s) => s.startsWith('/processed/')) && srcs.some((s) => s.startsWith('/uploads/')), `image URLs: ${srcs.join(', ')}`);
    t.assert((await page.locator('#progress-label').textContent()).startsWith('Done in'), 'says done');
    await page.waitForTimeout(300);
    await t.shot(page, 'restore-result-slider');
  });

  await t.step('the slider moves with the keyboard and the mouse', async () => {
    const handle = compare.locator('.cmp-handle');
    t.assert(await handle.getAttribute('aria-valuenow') === '50', 'starts at 50');
    await handle.focus();
    for (let i = 0; i < 5; i += 1) await page.keyboard.press('ArrowLeft');
    t.assert(await handle.getAttribute('aria-valuenow') === '40', `ArrowLeft ×5 → ${await handle.getAttribute('aria-valuenow')}`);
    await page.keyboard.press('End');
    t.assert(await handle.getAttribute('aria-valuenow') === '100', 'End → 100');
    const box = await compare.locator('.compare-stage').boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const v = Number(await handle.getAttribute('aria-valuenow'));
    t.assert(Math.abs(v - 25) <= 2, `dragged to ${v}`);
    const clip = await compare.locator('.cmp-before').evaluate((el) => getComputedStyle(el).clipPath);
    t.assert(/inset/.test(clip), `original is clipped: ${clip}`);
  });

  await t.step('side by side and toggle modes', async () => {
    await compare.locator('label', { hasText: 'Side by side' }).click();
    t.assert(await compare.getAttribute('data-mode') === 'side', 'side mode');
    const [a, b] = await compare.locator('.cmp-pane').evaluateAll((ps) => ps.map((p) => p.getBoundingClientRect().toJSON()));
    t.assert(Math.abs(a.top - b.top) < 2 && Math.abs(a.left - b.left) > 100, 'panes are next to each other');
    await t.shot(page, 'restore-result-side-by-side');
    await compare.locator('label', { hasText: 'Toggle' }).click();
    t.assert(await compare.getAttribute('data-mode') === 'toggle', 'toggle mode');
    t.assert(await compare.getAttribute('data-show') === 'after', 'shows the restored photo');
    t.assert(!(await compare.locator('.cmp-before').isVisible()), 'original hidden');
    await compare.locator('.cmp-toggle-btn').click();
    t.assert(await compare.getAttribute('data-show') === 'before', 'shows the original after the button');
    t.assert(await compare.locator('.cmp-before').isVisible(), 'original visible');
    await compare.locator('.compare-stage').click();
    t.assert(await compare.getAttribute('data-show') === 'after', 'a click on the picture toggles back');
    await compare.locator('label', { hasText: 'Slider' }).click();
  });

  await t.step('zoom in, out and back to fit', async () => {
    const level = compare.locator('.zoom-level');
    await compare.getByRole('button', { name: 'Zoom in' }).click();
    t.assert(await level.textContent() === '150%', `zoom ${await level.textContent()}`);
    await compare.getByRole('button', { name: 'Zoom in' }).click();
    t.assert(await level.textContent() === '225%', `zoom ${await level.textContent()}`);
    const tf = await compare.locator('.cmp-after .cmp-img').evaluate((i) => getComputedStyle(i).transform);
    t.assert(/matrix\(2\.25/.test(tf), `image scaled: ${tf}`);
    await compare.locator('.compare-stage').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('-');
    t.assert(await level.textContent() === '150%', `keyboard zoom out → ${await level.textContent()}`);
    await t.shot(page, 'restore-result-zoomed');
    await compare.getByRole('button', { name: 'Reset zoom to fit' }).click();
    t.assert(await level.textContent() === '100%', 'back to 100%');
  });

  await t.step('download fetches the file with the token and saves restored-<name>', async () => {
    const req = page.waitForRequest((r) => /\/api\/v1\/restore\/\d+\/download$/.test(r.url()));
    const dl = page.waitForEvent('download');
    await compare.locator('.cmp-download').click();
    const r = await req;
    t.assert((r.headers().authorization || '').startsWith('Bearer '), 'download request carries the token');
    const d = await dl;
    t.assert(d.suggestedFilename() === 'restored-chelsea.png', `file name ${d.suggestedFilename()}`);
    const file = join(tmpdir(), `pr-dl-${process.pid}.png`);
    await d.saveAs(file);
    const bytes = readFileSync(file);
    unlinkSync(file);
    t.assert(bytes.length > 1000 && bytes.subarray(1, 4).toString() === 'PNG', `downloaded ${bytes.length} bytes of PNG`);
  });

  await t.step('another model (local-upscale-2x) is sent and doubles the size', async () => {
    await page.locator('#restore-another').click();
    await page.setInputFiles('#photo-input', photo('camera.png'));
    await page.locator('.chosen-name', { hasText: 'camera.png' }).waitFor();
    const radio = page.locator('input.model-radio[value="local-upscale-2x"]');
    if (await radio.count() === 0) throw new Error('local-upscale-2x not offered');
    await radio.check();
    await page.locator('#restore-btn').click();
    await page.locator('#progress-area[data-state=done]').waitFor({ timeout: 120000 });
    await page.waitForFunction(() => [...document.querySelectorAll('#main .compare .cmp-img')].every((i) => i.complete && i.naturalWidth > 0));
    const [before, after] = await Promise.all([
      compare.locator('.cmp-before .cmp-img').evaluate((i) => i.naturalWidth),
      compare.locator('.cmp-after .cmp-img').evaluate((i) => i.naturalWidth),
    ]);
    t.assert(after === before * 2, `upscaled ${before} → ${after}`);
  });

  await t.step('server errors are shown in words (503 with Retry-After)', async () => {
    await page.route('**/api/v1/restore', (route) => route.fulfill({
      status: 503, headers: { 'Retry-After': '30' }, contentType: 'application/json',
      body: JSON.stringify({ detail: 'Model service is busy' }),
    }));
    await page.locator('#restore-another').click();
    await page.setInputFiles('#photo-input', photo('coffee.png'));
    await page.locator('.chosen-name', { hasText: 'coffee.png' }).waitFor();
    await page.locator('#restore-btn').click();
    await page.locator('#main .notice-error', { hasText: 'Model service is busy' }).waitFor();
    t.assert(/try again in 30 seconds/i.test(await page.locator('#main .notice-error').textContent()), 'says when to retry');
    t.assert(await page.locator('#restore-btn').isEnabled(), 'can try again');
    await page.unroute('**/api/v1/restore');
  });

  await t.step('parameter inputs are generated from model.schema and sent as JSON', async () => {
    const schemaModel = {
      id: 'test-schema-model', name: 'Schema Test', model: 'owner/schema-test', provider: 'replicate',
      category: 'face_restoration', description: 'A model with a UI schema (injected by the test).',
      parameters: {}, tags: ['faces'], version: 'v1',
      schema: {
        parameters: [
          { name: 'fidelity', type: 'float', required: false, description: 'Quality versus fidelity.', default: 0.5, min: 0, max: 1, values: null, ui_group: 'Quality' },
          { name: 'upscale', type: 'integer', required: false, description: 'Upscale factor.', default: 2, min: 1, max: 4, values: null, ui_group: 'Quality' },
          { name: 'face_upsample', type: 'boolean', required: false, description: 'Upsample faces.', default: true, min: null, max: null, values: null, ui_group: 'Faces' },
          { name: 'mode', type: 'enum', required: true, description: 'Mode.', default: 'balanced', min: null, max: null, values: ['fast', 'balanced', 'best'], ui_group: 'Quality' },
          { name: 'prompt', type: 'string', required: false, description: 'Guidance.', default: null, min: null, max: null, values: null, ui_group: null },
        ],
        custom: { max_file_size_mb: 5, supported_formats: ['png'], estimated_time_seconds: 12 },
      },
    };
    await page.route('**/api/v1/models', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.models.push(schemaModel);
      body.total = body.models.length;
      await route.fulfill({ response: res, json: body });
    });
    await page.reload();
    await page.locator('input.model-radio[value="test-schema-model"]').check();
    const box = page.locator('.param-box');
    const fid = box.locator('input[name=fidelity]');
    t.assert(await fid.getAttribute('type') === 'number' && await fid.getAttribute('min') === '0' && await fid.getAttribute('max') === '1', 'float → number with min/max');
    t.assert(await fid.inputValue() === '0.5', 'default value');
    t.assert(await box.locator('input[name=upscale]').getAttribute('step') === '1', 'integer → step 1');
    t.assert(await box.locator('input[name=face_upsample]').isChecked(), 'boolean → checkbox, default on');
    t.assert(await box.locator('select[name=mode] option:checked').textContent() === 'balanced', 'enum → select, default chosen');
    t.assert(await box.locator('input[name=prompt]').getAttribute('type') === 'text', 'string → text');
    t.assert(await box.locator('legend', { hasText: 'Quality' }).count() === 1, 'grouped by ui_group');
    t.assert((await page.locator('#drop-hint').textContent()).includes('PNG, up to 5 MB'), 'model limits shown');
    await page.evaluate(() => document.getElementById('step-settings').scrollIntoView({ block: 'start' }));
    await t.shot(page, 'restore-model-parameters');
    await page.setInputFiles('#photo-input', photo('camera.png'));
    await page.locator('.chosen-name', { hasText: 'camera.png' }).waitFor();
    await fid.fill('1.5');
    await page.locator('#restore-btn').click();
    await page.locator('#main .notice-error', { hasText: 'Fidelity: must be at most 1.' }).waitFor();
    await fid.fill('0.8');
    await box.locator('input[name=upscale]').fill('3');
    await box.locator('input[name=face_upsample]').uncheck();
    await box.locator('select[name=mode]').selectOption({ label: 'best' });
    await box.locator('input[name=prompt]').fill('old family photo');
    let sent = null;
    await page.route('**/api/v1/restore', async (route) => {
      sent = route.request().postDataBuffer().toString('latin1');
      await route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ detail: 'Unknown model: test-schema-model' }) });
    });
    await page.locator('#restore-btn').click();
    await page.locator('#main .notice-error', { hasText: 'Unknown model: test-schema-model' }).waitFor();
    const m = /name="parameters"\r\n\r\n(.*)\r\n/.exec(sent);
    t.assert(m, 'a parameters part was sent');
    const params = JSON.parse(m[1]);
    t.assert(params.fidelity === 0.8 && params.upscale === 3 && params.face_upsample === false && params.mode === 'best' && params.prompt === 'old family photo', `parameters ${m[1]}`);
    t.assert(/name="model_id"\r\n\r\ntest-schema-model\r\n/.test(sent), 'model_id sent');
    await page.unroute('**/api/v1/restore');
    await page.unroute('**/api/v1/models');
    await page.reload();
    await page.locator('.model-card').first().waitFor();
  });

  await t.step('an aged photo (faded, noisy, scratched JPEG) is visibly restored', async () => {
    const b64 = photoBytes('astronaut.png').toString('base64');
    await page.evaluate(async (data) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = 512; c.height = 512;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0, 512, 512);
      const d = g.getImageData(0, 0, 512, 512);
      let seed = 12345;
      const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
      for (let i = 0; i < d.data.length; i += 4) {
        const [r, gg, b] = [d.data[i], d.data[i + 1], d.data[i + 2]];
        const y = 0.3 * r + 0.59 * gg + 0.11 * b;
        const n = (rnd() + rnd() + rnd() - 1.5) * 40;
        // Fade towards a warm, low-contrast sepia and add grain.
        d.data[i] = Math.min(255, Math.max(0, 0.45 * r + 0.35 * (y * 1.07 + 20) + 45 + n));
        d.data[i + 1] = Math.min(255, Math.max(0, 0.45 * gg + 0.35 * (y * 0.95 + 10) + 40 + n));
        d.data[i + 2] = Math.min(255, Math.max(0, 0.45 * b + 0.35 * (y * 0.75) + 30 + n));
      }
      g.putImageData(d, 0, 0);
      g.strokeStyle = 'rgba(250,245,235,0.85)';
      for (let k = 0; k < 9; k += 1) {
        g.lineWidth = 0.6 + rnd() * 1.4;
        g.beginPath();
        const x = rnd() * 512;
        g.moveTo(x, 0);
        g.bezierCurveTo(x + rnd() * 40 - 20, 170, x + rnd() * 60 - 30, 340, x + rnd() * 80 - 40, 512);
        g.stroke();
      }
      g.fillStyle = 'rgba(255,255,250,0.9)';
      for (let k = 0; k < 160; k += 1) { g.beginPath(); g.arc(rnd() * 512, rnd() * 512, 0.5 + rnd() * 1.8, 0, 7); g.fill(); }
      const blob = await new Promise((res) => c.toBlob(res, 'image/jpeg', 0.55));
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'old-photo.jpg', { type: 'image/jpeg' }));
      const input = document.getElementById('photo-input');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, b64);
    await page.locator('.chosen-name', { hasText: 'old-photo.jpg' }).waitFor();
    await page.locator('input.model-radio[value="local-restore"]').check();
    await page.locator('#restore-btn').click();
    await page.locator('#progress-area[data-state=done]').waitFor({ timeout: 120000 });
    await page.waitForFunction(() => [...document.querySelectorAll('#main .compare .cmp-img')].every((i) => i.complete && i.naturalWidth > 0));
    const diff = await page.evaluate(() => {
      const px = (img) => {
        const c = document.createElement('canvas');
        c.width = 128; c.height = 128;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0, 128, 128);
        return g.getImageData(0, 0, 128, 128).data;
      };
      const a = px(document.querySelector('#main .cmp-before .cmp-img'));
      const b = px(document.querySelector('#main .cmp-after .cmp-img'));
      let sum = 0;
      for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
      return sum / (a.length / 4) / 3;
    });
    t.assert(diff > 2, `restored differs from the aged original (mean difference ${diff.toFixed(1)})`);
    await page.locator('#main .compare').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await t.shot(page, 'restore-aged-photo');
  });
});
