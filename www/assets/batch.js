// The batch queue on the Restore page (issue 10): several photos sent as one background job
// (POST /api/v1/jobs), each file's progress polled from GET /api/v1/jobs/{id}, the job
// cancellable (DELETE), and all results offered as one zip (GET /api/v1/jobs/{id}/download).

import { h, replace, icon } from './dom.js';
import { api, upload, download, errorMessages } from './api.js';
import { createNotice, toast, alertSR } from './ui.js';
import { formatBytes, plural } from './format.js';

const MAX_FILES = 14;
const POLL_MS = 1000;
const STATUS_TEXT = {
  pending: 'Waiting to upload', queued: 'Queued', running: 'Restoring…', done: 'Done', failed: 'Failed', cancelled: 'Cancelled',
};

/**
 * The batch panel. getModel() gives the selected model; getParams() its parameters object (or
 * null), or undefined when the settings form has problems (it shows them); checkFile(file,
 * model) the page's client-side check (an error sentence or null).
 * Returns {el, addFiles(files), destroy()}.
 */
export function createBatch({ getModel, getParams, checkFile }) {
  let files = [];
  let jobId = null;
  let req = null;
  let pollTimer = null;
  let destroyed = false;

  const notice = createNotice();
  const input = h('input', { type: 'file', multiple: true, accept: '.jpg,.jpeg,.png,image/jpeg,image/png', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', id: 'batch-input' });
  const chooseBtn = h('button', { type: 'button', class: 'btn btn-secondary', id: 'batch-choose' }, icon('upload'), 'Choose photos');
  const startBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'batch-start', disabled: true }, 'Restore all');
  const cancelBtn = h('button', { type: 'button', class: 'btn btn-secondary', id: 'batch-cancel', hidden: true }, 'Cancel');
  const clearBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'batch-clear', hidden: true }, 'Clear');
  const zipBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'batch-zip', hidden: true }, icon('download'), 'Download all (zip)');
  const overall = h('progress', { max: '100', value: '0', class: 'upload-progress', id: 'batch-progress', hidden: true, 'aria-labelledby': 'batch-status' });
  const status = h('p', { class: 'progress-label', id: 'batch-status', role: 'status', 'aria-live': 'polite', text: `Choose up to ${MAX_FILES} photos to restore them together.` });
  const list = h('ol', { class: 'batch-list', id: 'batch-list' });

  input.addEventListener('change', () => { if (input.files) addFiles([...input.files]); input.value = ''; });
  chooseBtn.addEventListener('click', () => { if (!req && jobId === null) input.click(); });

  function rowFor(name, state, detail, result) {
    const badge = h('span', { class: `badge batch-state batch-${state}`, text: STATUS_TEXT[state] || state });
    const extra = [];
    if (detail) extra.push(h('span', { class: 'field-error batch-error', text: detail }));
    if (result && result.processed_url) {
      extra.push(h('a', { href: result.processed_url, target: '_blank', rel: 'noopener', class: 'btn btn-link btn-sm' }, 'View'));
    }
    return h('li', { class: 'batch-item', dataset: { state } },
      h('span', { class: 'batch-name', title: name, text: name }), badge, extra);
  }

  function renderPending() {
    replace(list, files.map((f) => rowFor(`${f.name} (${formatBytes(f.size)})`, 'pending')));
    startBtn.disabled = files.length === 0 || Boolean(req) || jobId !== null;
    clearBtn.hidden = files.length === 0 || Boolean(req) || jobId !== null;
    if (jobId === null && !req) {
      status.textContent = files.length ? `${plural(files.length, 'photo')} ready.` : `Choose up to ${MAX_FILES} photos to restore them together.`;
    }
  }

  function addFiles(more) {
    if (req || jobId !== null) { toast('A batch is already running.', 'info'); return; }
    notice.clear();
    const model = getModel();
    const problems = [];
    for (const f of more) {
      const p = checkFile(f, model);
      if (p) { problems.push(p); continue; }
      if (files.length >= MAX_FILES) { problems.push(`At most ${MAX_FILES} photos per batch.`); break; }
      files.push(f);
    }
    if (problems.length) notice.show('error', problems);
    renderPending();
  }

  function reset() {
    files = []; jobId = null; req = null;
    clearInterval(pollTimer); pollTimer = null;
    overall.hidden = true; cancelBtn.hidden = true; zipBtn.hidden = true;
    chooseBtn.disabled = false;
    renderPending();
  }
  clearBtn.addEventListener('click', () => { reset(); chooseBtn.focus(); });

  function showJob(job) {
    replace(list, (job.items || []).map((it) => rowFor(it.original_filename, it.status,
      it.error ? it.error.detail : null, it.result)));
    overall.hidden = false;
    overall.value = job.progress;
    const over = ['done', 'failed', 'cancelled'].includes(job.status);
    status.textContent = over
      ? `Batch ${job.status === 'done' ? 'finished' : job.status}: ${job.done} of ${job.total} processed.`
      : `Restoring… ${job.progress}% (${job.done} of ${job.total}).`;
    if (over) {
      clearInterval(pollTimer); pollTimer = null;
      cancelBtn.hidden = true;
      clearBtn.hidden = false;
      chooseBtn.disabled = false;
      zipBtn.hidden = !(job.items || []).some((it) => it.result);
      alertSR(status.textContent);
      jobId = null;
      zipBtn.dataset.job = String(job.job_id);
    }
  }

  async function poll() {
    if (jobId === null || destroyed) return;
    try {
      showJob(await api(`/jobs/${encodeURIComponent(jobId)}`));
    } catch (err) {
      if (err.handled) { clearInterval(pollTimer); pollTimer = null; return; }
      status.textContent = `Could not read the batch's progress: ${errorMessages(err).join(' ')}`;
    }
  }

  startBtn.addEventListener('click', async () => {
    const model = getModel();
    if (!model || !files.length) return;
    const values = getParams();
    if (values === undefined) return;
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    form.append('model_id', model.id);
    if (values && Object.keys(values).length) form.append('parameters', JSON.stringify(values));
    notice.clear();
    startBtn.disabled = true; chooseBtn.disabled = true; clearBtn.hidden = true;
    overall.hidden = false; overall.value = 0;
    status.textContent = 'Uploading…';
    req = upload('/jobs', form, {
      onProgress(loaded, total) {
        const pct = total ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
        overall.value = pct;
        status.textContent = `Uploading… ${pct}%`;
      },
    });
    try {
      const created = await req.promise;
      req = null;
      jobId = created.job_id;
      zipBtn.hidden = true;
      cancelBtn.hidden = false;
      status.textContent = `Queued ${plural(created.total, 'photo')}.`;
      files = [];
      pollTimer = setInterval(poll, POLL_MS);
      poll();
    } catch (err) {
      req = null;
      chooseBtn.disabled = false;
      overall.hidden = true;
      renderPending();
      if (err.handled) return;
      const msgs = errorMessages(err);
      notice.show('error', msgs);
      alertSR(`The batch was not accepted: ${msgs.join(' ')}`);
    }
  });

  cancelBtn.addEventListener('click', async () => {
    if (jobId === null) return;
    cancelBtn.disabled = true;
    try {
      showJob(await api(`/jobs/${encodeURIComponent(jobId)}`, { method: 'DELETE' }));
    } catch (err) {
      if (!err.handled) toast(`The batch could not be cancelled: ${errorMessages(err).join(' ')}`, 'error');
    } finally {
      cancelBtn.disabled = false;
    }
  });

  zipBtn.addEventListener('click', async () => {
    const id = zipBtn.dataset.job;
    if (!id) return;
    zipBtn.disabled = true;
    try {
      const saved = await download(`/jobs/${encodeURIComponent(id)}/download`, `photorestore-job-${id}.zip`);
      toast(`Downloading ${saved}.`, 'success');
    } catch (err) {
      if (!err.handled) toast(`The download failed: ${errorMessages(err).join(' ')}`, 'error');
    } finally {
      zipBtn.disabled = false;
    }
  });

  const el = h('section', { class: 'panel batch-panel', id: 'batch', 'aria-labelledby': 'batch-title' },
    h('h2', { id: 'batch-title', class: 'panel-title' }, 'Restore several photos'),
    h('p', { class: 'field-hint', text: 'They are restored in the background with the model and settings chosen above; you can leave this page and find them in History.' }),
    notice.el,
    h('div', { class: 'batch-actions' }, chooseBtn, startBtn, cancelBtn, clearBtn, zipBtn, input),
    status, overall, list);
  renderPending();

  return {
    el,
    addFiles,
    destroy() {
      destroyed = true;
      clearInterval(pollTimer);
      if (req) req.abort();
    },
  };
}
