// / (Restore): pick or drop a photo, choose a model (grouped by category, with description and
// tags) and its parameters (from model.schema), upload with a progress bar, wait with an elapsed
// time indicator, then compare before/after and download the result.

import { h, replace, uid, icon } from '../dom.js';
import { upload, download, errorMessages } from '../api.js';
import { createNotice, pageHeader, toast, alertSR } from '../ui.js';
import { loadModels, groupByCategory, PROVIDER_LABELS } from '../models.js';
import { createCompare } from '../compare.js';
import { formatBytes, humanize } from '../format.js';
import { createBatch } from '../batch.js';

const MAX_BYTES = 10 * 1024 * 1024;
const EXTENSIONS = ['.jpg', '.jpeg', '.png'];
const LAST_MODEL_KEY = 'last_model_id';

function extOf(name) {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(i).toLowerCase() : '';
}

/** Client-side checks for a chosen file, given the selected model's limits. Returns an error or null. */
export function checkFile(file, model) {
  const custom = model && model.schema && model.schema.custom ? model.schema.custom : {};
  let allowed = EXTENSIONS;
  if (Array.isArray(custom.supported_formats) && custom.supported_formats.length) {
    const fmts = custom.supported_formats.map((f) => `.${String(f).toLowerCase().replace(/^\./, '')}`);
    const narrowed = EXTENSIONS.filter((e) => fmts.includes(e) || (e === '.jpeg' && fmts.includes('.jpg')) || (e === '.jpg' && fmts.includes('.jpeg')));
    if (narrowed.length) allowed = narrowed;
  }
  let maxBytes = MAX_BYTES;
  if (Number.isFinite(custom.max_file_size_mb) && custom.max_file_size_mb > 0) maxBytes = Math.min(maxBytes, custom.max_file_size_mb * 1024 * 1024);
  const ext = extOf(file.name);
  if (!ext) return `“${file.name}” has no file extension. Please choose a JPEG (.jpg, .jpeg) or PNG (.png) photo.`;
  if (!allowed.includes(ext)) return `“${file.name}” is a ${ext} file. Only ${allowed.join(', ')} photos can be restored${allowed.length < 3 ? ' with this model' : ''}.`;
  if (file.size === 0) return `“${file.name}” is empty (0 bytes). Please choose another photo.`;
  if (file.size > maxBytes) return `“${file.name}” is ${formatBytes(file.size)}, which is larger than the ${formatBytes(maxBytes)} limit${maxBytes < MAX_BYTES ? ' of this model' : ''}. Please choose a smaller photo.`;
  return null;
}

/** Builds the inputs for model.schema.parameters. Returns {el, values(), errors()}. */
function parameterForm(model) {
  const params = model && model.schema && Array.isArray(model.schema.parameters) ? model.schema.parameters : [];
  if (!params.length) {
    return { el: h('p', { class: 'muted', text: 'This model needs no settings: it works automatically.' }), values: () => null, errors: () => [] };
  }
  const groups = new Map();
  const controls = [];
  for (const p of params) {
    if (!p || !p.name) continue;
    const id = uid(`param-${p.name}`);
    const type = p.type || 'string';
    const label = humanize(p.name);
    const hintParts = [];
    if (p.description) hintParts.push(p.description);
    const hasMin = p.min !== null && p.min !== undefined;
    const hasMax = p.max !== null && p.max !== undefined;
    if ((type === 'integer' || type === 'float') && (hasMin || hasMax)) {
      hintParts.push(hasMin && hasMax ? `From ${p.min} to ${p.max}.` : hasMin ? `At least ${p.min}.` : `At most ${p.max}.`);
    }
    const hintId = `${id}-hint`;
    const errId = `${id}-err`;
    let input;
    let wrap;
    const err = h('p', { class: 'field-error', id: errId, hidden: true });
    const hint = hintParts.length ? h('p', { class: 'field-hint', id: hintId, text: hintParts.join(' ') }) : null;
    const described = [hint ? hintId : null, errId].filter(Boolean).join(' ');
    if (type === 'boolean') {
      input = h('input', { type: 'checkbox', id, name: p.name, checked: p.default === true, 'aria-describedby': described });
      wrap = h('div', { class: 'field field-check' }, h('div', { class: 'check' }, input, h('label', { for: id, text: label })), hint, err);
    } else if (type === 'enum') {
      const values = Array.isArray(p.values) ? p.values : [];
      input = h('select', { id, name: p.name, 'aria-describedby': described, required: p.required },
        p.required ? null : h('option', { value: '', text: 'Default' }),
        values.map((v, i) => h('option', { value: String(i), selected: p.default !== null && p.default !== undefined && String(v) === String(p.default), text: humanize(String(v)) === String(v) ? String(v) : String(v) })));
      wrap = h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label, p.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null), input, hint, err);
      input.dataset.values = JSON.stringify(values);
    } else {
      const attrs = { id, name: p.name, 'aria-describedby': described, required: p.required };
      if (type === 'integer' || type === 'float') {
        Object.assign(attrs, { type: 'number', inputmode: type === 'integer' ? 'numeric' : 'decimal', step: type === 'integer' ? '1' : 'any' });
        if (hasMin) attrs.min = String(p.min);
        if (hasMax) attrs.max = String(p.max);
      } else {
        attrs.type = 'text';
      }
      input = h('input', attrs);
      if (p.default !== null && p.default !== undefined) input.value = String(p.default);
      wrap = h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label, p.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null), input, hint, err);
    }
    const groupName = p.ui_group || 'Settings';
    if (!groups.has(groupName)) groups.set(groupName, []);
    groups.get(groupName).push(wrap);
    controls.push({ p, type, input, err, label });
  }
  const reset = h('button', { type: 'button', class: 'btn btn-link btn-sm' }, 'Reset to defaults');
  reset.addEventListener('click', () => {
    for (const c of controls) {
      if (c.type === 'boolean') c.input.checked = c.p.default === true;
      else if (c.type === 'enum') {
        const values = JSON.parse(c.input.dataset.values);
        const i = values.findIndex((v) => String(v) === String(c.p.default));
        c.input.value = i >= 0 ? String(i) : '';
      } else c.input.value = c.p.default !== null && c.p.default !== undefined ? String(c.p.default) : '';
      c.err.hidden = true;
      c.input.removeAttribute('aria-invalid');
    }
  });
  const blocks = [];
  for (const [name, items] of groups) {
    blocks.push(groups.size > 1
      ? h('fieldset', { class: 'param-group' }, h('legend', { text: humanize(name) }), items)
      : h('div', { class: 'param-group' }, items));
  }
  const el = h('div', { class: 'params' }, blocks, h('div', { class: 'params-actions' }, reset));

  function read() {
    const values = {};
    const problems = [];
    for (const c of controls) {
      const { p, type, input } = c;
      let v;
      let problem = null;
      if (type === 'boolean') v = input.checked;
      else if (type === 'enum') {
        const values2 = JSON.parse(input.dataset.values);
        v = input.value === '' ? undefined : values2[Number(input.value)];
        if (v === undefined && p.required) problem = `${c.label}: choose a value.`;
      } else if (type === 'integer' || type === 'float') {
        const raw = input.value.trim();
        if (raw === '') { v = undefined; if (p.required) problem = `${c.label}: enter a number.`; }
        else {
          v = Number(raw);
          if (!Number.isFinite(v) || input.validity.badInput) problem = `${c.label}: enter a number.`;
          else if (type === 'integer' && !Number.isInteger(v)) problem = `${c.label}: enter a whole number.`;
          else if (p.min !== null && p.min !== undefined && v < p.min) problem = `${c.label}: must be at least ${p.min}.`;
          else if (p.max !== null && p.max !== undefined && v > p.max) problem = `${c.label}: must be at most ${p.max}.`;
        }
      } else {
        v = input.value;
        if (v === '') { v = undefined; if (p.required) problem = `${c.label}: this field is required.`; }
      }
      c.err.textContent = problem || '';
      c.err.hidden = !problem;
      if (problem) { input.setAttribute('aria-invalid', 'true'); problems.push({ msg: problem, input }); } else input.removeAttribute('aria-invalid');
      if (v !== undefined) values[p.name] = v;
    }
    return { values, problems };
  }
  return { el, values: () => read().values, errors: () => read().problems };
}

export default {
  title: 'Restore a photo',
  async render(container, ctx) {
    let file = null;
    let fileUrl = null;
    let fileDims = null;
    let models = [];
    let model = null;
    let params = null;
    let job = null; // {abort}
    let timer = null;
    let compare = null;

    const notice = createNotice();
    const announcer = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    const say = (msg) => { announcer.textContent = msg; };

    // ---- 1. photo -------------------------------------------------------------------------
    const fileInput = h('input', { type: 'file', accept: '.jpg,.jpeg,.png,image/jpeg,image/png', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', id: 'photo-input' });
    const chooseBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'choose-photo' }, icon('upload'), 'Choose a photo');
    const fileError = h('p', { class: 'field-error', role: 'alert', id: 'file-error', hidden: true });
    const dropEmpty = h('div', { class: 'drop-empty' },
      icon('image', 'drop-icon'),
      h('p', { class: 'drop-title', text: 'Drag and drop a photo here' }),
      h('p', { class: 'drop-or', text: 'or' }),
      chooseBtn,
      h('p', { class: 'field-hint drop-hint', id: 'drop-hint', text: 'JPEG or PNG, up to 10 MB.' }));
    const dropChosen = h('div', { class: 'drop-chosen', hidden: true });
    const dropzone = h('div', { class: 'dropzone', id: 'dropzone' }, dropEmpty, dropChosen, fileInput);
    chooseBtn.setAttribute('aria-describedby', 'drop-hint file-error');

    const openPicker = () => { if (!job) fileInput.click(); };
    chooseBtn.addEventListener('click', (e) => { e.stopPropagation(); openPicker(); });
    dropzone.addEventListener('click', (e) => { if (!file && e.target === dropzone) openPicker(); });
    dropEmpty.addEventListener('click', (e) => { if (e.target !== chooseBtn && !chooseBtn.contains(e.target)) openPicker(); });
    fileInput.addEventListener('change', () => { if (fileInput.files && fileInput.files[0]) setFile(fileInput.files[0]); fileInput.value = ''; });

    let dragDepth = 0;
    dropzone.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth += 1; dropzone.classList.add('is-dragover'); });
    dropzone.addEventListener('dragover', (e) => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = job ? 'none' : 'copy'; });
    dropzone.addEventListener('dragleave', () => { dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) dropzone.classList.remove('is-dragover'); });
    dropzone.addEventListener('drop', (e) => {
      e.preventDefault();
      dragDepth = 0;
      dropzone.classList.remove('is-dragover');
      if (job) return;
      const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
      if (files.length > 1) {
        batch.addFiles(files);
        toast(`${files.length} photos added to the batch below.`, 'info');
        batch.el.scrollIntoView({ block: 'start', behavior: 'smooth' });
        return;
      }
      if (files[0]) setFile(files[0]);
    });
    // Dropping a file elsewhere on the page must not navigate away from it.
    const stopWindowDrop = (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) e.preventDefault(); };
    window.addEventListener('dragover', stopWindowDrop);
    window.addEventListener('drop', stopWindowDrop);

    function showFileError(msg) {
      fileError.textContent = msg || '';
      fileError.hidden = !msg;
      dropzone.classList.toggle('has-error', Boolean(msg));
    }

    function clearFile() {
      if (fileUrl) URL.revokeObjectURL(fileUrl);
      file = null; fileUrl = null; fileDims = null;
      dropChosen.hidden = true;
      dropChosen.replaceChildren();
      dropEmpty.hidden = false;
      dropzone.classList.remove('has-file');
      showResultPlaceholder();
      updateAction();
    }

    function setFile(f) {
      notice.clear();
      const problem = checkFile(f, model);
      if (problem) { showFileError(problem); say(problem); return; }
      const url = URL.createObjectURL(f);
      const probe = new Image();
      probe.onload = () => {
        showFileError('');
        if (fileUrl) URL.revokeObjectURL(fileUrl);
        file = f; fileUrl = url; fileDims = [probe.naturalWidth, probe.naturalHeight];
        const changeBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'change-photo' }, 'Choose another');
        const removeBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'remove-photo' }, icon('trash'), 'Remove');
        changeBtn.addEventListener('click', openPicker);
        removeBtn.addEventListener('click', () => { clearFile(); chooseBtn.focus(); say('Photo removed.'); });
        replace(dropChosen,
          h('div', { class: 'chosen-thumb' }, h('img', { src: url, alt: `Preview of ${f.name}`, width: String(probe.naturalWidth), height: String(probe.naturalHeight) })),
          h('div', { class: 'chosen-info' },
            h('p', { class: 'chosen-name', title: f.name, text: f.name }),
            h('p', { class: 'chosen-meta', text: `${formatBytes(f.size)} · ${probe.naturalWidth} × ${probe.naturalHeight} pixels` }),
            h('div', { class: 'chosen-actions' }, changeBtn, removeBtn)));
        dropEmpty.hidden = true;
        dropChosen.hidden = false;
        dropzone.classList.add('has-file');
        say(`Photo chosen: ${f.name}.`);
        showResultPlaceholder();
        updateAction();
      };
      probe.onerror = () => {
        URL.revokeObjectURL(url);
        const msg = `“${f.name}” could not be opened as an image. The file may be damaged or not really a JPEG or PNG.`;
        showFileError(msg);
        say(msg);
      };
      probe.src = url;
    }

    // ---- 2. model -------------------------------------------------------------------------
    const modelBox = h('div', { class: 'model-box' }, h('div', { class: 'skeleton skeleton-models', 'aria-hidden': 'true' }), h('p', { class: 'visually-hidden', text: 'Loading models…' }));
    const paramBox = h('div', { class: 'param-box' });

    function selectModel(m) {
      model = m;
      try { localStorage.setItem(LAST_MODEL_KEY, m.id); } catch { /* ignore */ }
      params = parameterForm(m);
      replace(paramBox, params.el);
      const custom = m.schema && m.schema.custom ? m.schema.custom : null;
      const hint = document.getElementById('drop-hint');
      if (hint) {
        let text = 'JPEG or PNG, up to 10 MB.';
        if (custom && (custom.max_file_size_mb || custom.supported_formats)) {
          const fmts = Array.isArray(custom.supported_formats) && custom.supported_formats.length ? custom.supported_formats.map((x) => String(x).toUpperCase().replace(/^\./, '')).join(', ') : 'JPEG or PNG';
          const mb = custom.max_file_size_mb && custom.max_file_size_mb < 10 ? custom.max_file_size_mb : 10;
          text = `${fmts}, up to ${mb} MB.`;
        }
        hint.textContent = text;
      }
      if (file) {
        const problem = checkFile(file, m);
        showFileError(problem ? `${problem} Choose another photo or another model.` : '');
      }
      updateAction();
    }

    function renderModels() {
      if (!models.length) {
        replace(modelBox, h('p', { class: 'notice notice-warning', text: 'No restoration models are available right now. Please try again later or ask an administrator.' }));
        return;
      }
      let last = null;
      try { last = localStorage.getItem(LAST_MODEL_KEY); } catch { /* ignore */ }
      const initial = models.find((m) => m.id === last) || models[0];
      const groups = groupByCategory(models);
      const blocks = [];
      for (const [cat, list] of groups) {
        blocks.push(h('fieldset', { class: 'model-group' },
          h('legend', { class: 'model-group-title', text: humanize(cat) }),
          h('div', { class: 'model-list' }, list.map((m) => {
            const id = `model-${m.id}`;
            const input = h('input', { type: 'radio', name: 'model', id, value: m.id, checked: m === initial, class: 'model-radio', 'aria-describedby': `${id}-desc` });
            input.addEventListener('change', () => { if (input.checked) selectModel(m); });
            const est = m.schema && m.schema.custom && m.schema.custom.estimated_time_seconds;
            return h('label', { class: 'model-card', for: id },
              input,
              h('span', { class: 'model-head' },
                h('span', { class: 'model-name', text: m.name || m.id }),
                h('span', { class: `badge badge-provider provider-${m.provider}`, text: PROVIDER_LABELS[m.provider] || m.provider })),
              h('span', { class: 'model-desc', id: `${id}-desc`, text: m.description || '' }),
              (m.tags && m.tags.length) || est ? h('span', { class: 'model-tags' },
                (m.tags || []).map((t) => h('span', { class: 'tag', text: t })),
                est ? h('span', { class: 'tag tag-time', text: `≈ ${est} s` }) : null) : null);
          }))));
      }
      replace(modelBox, blocks);
      selectModel(initial);
    }

    // ---- 3. action + progress ---------------------------------------------------------------
    const restoreBtn = h('button', { type: 'button', class: 'btn btn-primary btn-lg btn-block', id: 'restore-btn', disabled: true }, 'Restore photo');
    const cancelBtn = h('button', { type: 'button', class: 'btn btn-secondary', id: 'cancel-btn', hidden: true }, 'Cancel');
    const progressLabel = h('span', { class: 'progress-label', id: 'progress-label', text: 'Choose a photo and a model to begin.' });
    const progressBar = h('progress', { max: '100', value: '0', 'aria-labelledby': 'progress-label', hidden: true, class: 'upload-progress' });
    const elapsedEl = h('span', { class: 'elapsed', 'aria-hidden': 'true' });
    const progressArea = h('div', { class: 'progress-area', id: 'progress-area', 'data-state': 'idle' },
      h('div', { class: 'progress-row' }, h('span', { class: 'spinner spinner-sm progress-spinner', 'aria-hidden': 'true' }), progressLabel, elapsedEl),
      progressBar);

    function updateAction() {
      const ready = Boolean(file && model) && !job && fileError.hidden;
      restoreBtn.disabled = !ready;
      if (!job) {
        progressArea.dataset.state = 'idle';
        progressBar.hidden = true;
        elapsedEl.textContent = '';
        progressLabel.textContent = !models.length ? 'Waiting for the list of models…' : !file ? 'Choose a photo to begin.' : ready ? 'Ready to restore.' : 'Fix the problem above to continue.';
      }
    }

    function setBusy(on) {
      restoreBtn.hidden = on;
      cancelBtn.hidden = !on;
      chooseBtn.disabled = on;
      for (const b of dropChosen.querySelectorAll('button')) b.disabled = on;
      for (const i of modelBox.querySelectorAll('input')) i.disabled = on;
      for (const i of paramBox.querySelectorAll('input,select,button')) i.disabled = on;
      dropzone.classList.toggle('is-busy', on);
    }

    const beforeUnload = (e) => { if (job) { e.preventDefault(); e.returnValue = ''; } };
    window.addEventListener('beforeunload', beforeUnload);

    async function startRestore() {
      notice.clear();
      if (!file || !model) return;
      const problem = checkFile(file, model);
      if (problem) { showFileError(problem); return; }
      let values = null;
      if (params) {
        const problems = params.errors();
        if (problems.length) { notice.show('error', problems.map((p) => p.msg)); problems[0].input.focus(); return; }
        values = params.values();
      }
      const form = new FormData();
      form.append('file', file, file.name);
      form.append('model_id', model.id);
      if (values && Object.keys(values).length) form.append('parameters', JSON.stringify(values));

      const started = performance.now();
      let processingSince = null;
      progressArea.dataset.state = 'uploading';
      progressBar.hidden = false;
      progressBar.value = 0;
      progressLabel.textContent = `Uploading… 0% (0 of ${formatBytes(file.size)})`;
      say('Uploading your photo.');
      setBusy(true);
      showResultProcessing();
      const tick = () => {
        const base = processingSince ?? started;
        const secs = Math.floor((performance.now() - base) / 1000);
        elapsedEl.textContent = processingSince ? `${secs} s` : '';
      };
      timer = setInterval(tick, 250);
      const req = upload('/restore', form, {
        onProgress(loaded, total) {
          const t = total || file.size;
          const pct = t ? Math.min(100, Math.round((loaded / t) * 100)) : 0;
          progressBar.value = pct;
          progressLabel.textContent = `Uploading… ${pct}% (${formatBytes(Math.min(loaded, file.size))} of ${formatBytes(file.size)})`;
        },
        onUploaded() {
          processingSince = performance.now();
          progressBar.value = 100;
          progressArea.dataset.state = 'processing';
          progressBar.hidden = true;
          progressLabel.textContent = `Restoring your photo with ${model.name || model.id}…`;
          say('Upload complete. Restoring your photo; this can take a little while.');
          tick();
        },
      });
      job = req;
      try {
        const result = await req.promise;
        const secs = ((performance.now() - started) / 1000).toFixed(1);
        job = null;
        clearInterval(timer); timer = null;
        setBusy(false);
        progressArea.dataset.state = 'done';
        progressLabel.textContent = `Done in ${secs} s.`;
        elapsedEl.textContent = '';
        showResult(result, secs);
        if (window.matchMedia('(max-width: 960px)').matches) resultSection.scrollIntoView({ block: 'start', behavior: 'smooth' });
        say(`Your photo has been restored in ${secs} seconds. The comparison is shown below.`);
      } catch (err) {
        job = null;
        clearInterval(timer); timer = null;
        setBusy(false);
        updateAction();
        showResultPlaceholder();
        if (err.handled) return;
        if (err.aborted) { progressLabel.textContent = 'Cancelled.'; say('Restoration cancelled.'); return; }
        const msgs = errorMessages(err);
        if (err.status === 413) msgs.push('Please choose a smaller photo.');
        notice.show('error', msgs);
        alertSR(`Restoration failed: ${msgs.join(' ')}`);
      }
    }
    restoreBtn.addEventListener('click', startRestore);
    cancelBtn.addEventListener('click', () => { if (job) job.abort(); });

    // ---- batch (several photos as one background job) -----------------------------------------
    const batch = createBatch({
      getModel: () => model,
      getParams: () => {
        if (!params) return null;
        const problems = params.errors();
        if (problems.length) { notice.show('error', problems.map((p) => p.msg)); problems[0].input.focus(); return undefined; }
        return params.values();
      },
      checkFile,
    });

    // ---- result -----------------------------------------------------------------------------
    const resultBody = h('div', { class: 'result-body' });
    const resultSection = h('section', { class: 'panel result-panel', 'aria-labelledby': 'result-title' },
      h('h2', { id: 'result-title', class: 'panel-title', text: 'Result' }), resultBody);

    function destroyCompare() { if (compare) { compare.destroy(); compare = null; } }

    function placeholderBox(content, extraClass = '') {
      const box = h('div', { class: `result-placeholder ${extraClass}`.trim() }, content);
      if (fileDims) box.style.setProperty('--ar', `${fileDims[0]} / ${fileDims[1]}`);
      return box;
    }

    function showResultPlaceholder() {
      destroyCompare();
      replace(resultBody,
        h('div', { class: 'result-toolbar-space', 'aria-hidden': 'true' }),
        placeholderBox(fileUrl
          ? h('img', { src: fileUrl, alt: file ? `Original: ${file.name}` : '', class: 'placeholder-img' })
          : h('div', { class: 'placeholder-text' }, icon('image', 'placeholder-icon'), h('p', { text: 'Your restored photo will appear here, next to the original, so you can compare them.' }))));
    }

    function showResultProcessing() {
      destroyCompare();
      replace(resultBody,
        h('div', { class: 'result-toolbar-space', 'aria-hidden': 'true' }),
        placeholderBox([
          fileUrl ? h('img', { src: fileUrl, alt: file ? `Original: ${file.name}` : '', class: 'placeholder-img' }) : null,
          h('div', { class: 'scan', 'aria-hidden': 'true' }),
        ], 'is-processing'));
    }

    function showResult(result, secs) {
      destroyCompare();
      const name = result.original_filename || (file && file.name) || 'photo';
      compare = createCompare({
        before: result.original_url,
        after: result.processed_url,
        beforeAlt: `Original: ${name}`,
        afterAlt: `Restored: ${name}`,
        aspect: fileDims,
        onDownload: async (btn) => {
          btn.disabled = true;
          try {
            const saved = await download(`/restore/${encodeURIComponent(result.id)}/download`, `restored-${name}`);
            toast(`Downloading ${saved}.`, 'success');
          } catch (err) {
            if (!err.handled) toast(`The download failed: ${errorMessages(err).join(' ')}`, 'error');
          } finally {
            btn.disabled = false;
          }
        },
      });
      const again = h('button', { type: 'button', class: 'btn btn-secondary', id: 'restore-another' }, 'Restore another photo');
      again.addEventListener('click', () => { clearFile(); chooseBtn.focus(); });
      replace(resultBody, compare.el,
        h('div', { class: 'result-meta' },
          h('p', null, h('strong', { text: name }), ` · ${model ? model.name || model.id : result.model_id} · ${secs} s`),
          h('div', { class: 'result-actions' }, again, h('a', { href: '/history', class: 'btn btn-ghost' }, 'See all in History'))));
    }

    // ---- page -------------------------------------------------------------------------------
    const controls = h('div', { class: 'restore-controls' },
      h('section', { class: 'panel step', 'aria-labelledby': 'step-photo' },
        h('h2', { id: 'step-photo', class: 'panel-title' }, h('span', { class: 'step-num', 'aria-hidden': 'true', text: '1' }), 'Choose a photo'),
        dropzone, fileError),
      h('section', { class: 'panel step', 'aria-labelledby': 'step-model' },
        h('h2', { id: 'step-model', class: 'panel-title' }, h('span', { class: 'step-num', 'aria-hidden': 'true', text: '2' }), 'Choose a model'),
        modelBox),
      h('section', { class: 'panel step', 'aria-labelledby': 'step-settings' },
        h('h2', { id: 'step-settings', class: 'panel-title' }, h('span', { class: 'step-num', 'aria-hidden': 'true', text: '3' }), 'Settings'),
        paramBox),
      h('div', { class: 'panel step step-action' }, notice.el, restoreBtn, cancelBtn, progressArea, announcer),
      batch.el);

    container.append(
      pageHeader('Restore a photo', 'Remove noise, dust and scratches, fix faded colours, or enlarge a photo.'),
      h('div', { class: 'restore-layout' }, controls, resultSection));
    showResultPlaceholder();
    updateAction();

    try {
      models = await loadModels({ signal: ctx.signal });
      renderModels();
    } catch (err) {
      if (err.handled || err.aborted) return cleanup;
      replace(modelBox, h('div', { class: 'notice notice-error' },
        h('p', { text: `The list of models could not be loaded. ${errorMessages(err).join(' ')}` }),
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', onclick: () => ctx.navigate('/', { replace: true }) }, icon('refresh'), 'Try again')));
    }
    updateAction();

    function cleanup() {
      if (job) job.abort();
      clearInterval(timer);
      batch.destroy();
      destroyCompare();
      window.removeEventListener('beforeunload', beforeUnload);
      window.removeEventListener('dragover', stopWindowDrop);
      window.removeEventListener('drop', stopWindowDrop);
      if (fileUrl) URL.revokeObjectURL(fileUrl);
    }
    return cleanup;
  },
};
