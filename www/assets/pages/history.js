// /history: the user's restored photos (all sessions, newest first) as a thumbnail grid with
// pagination and a session filter; open one in the comparison view, download or delete it.

import { h, replace, icon } from '../dom.js';
import { api, download, errorMessages } from '../api.js';
import { createNotice, pageHeader, pagination, confirmDialog, openDialog, toast, field } from '../ui.js';
import { setQuery } from '../router.js';
import { loadModels, modelName } from '../models.js';
import { createCompare } from '../compare.js';
import { timeEl, describeUserAgent, formatDate, formatDateTime, plural, humanize } from '../format.js';

const PAGE_SIZES = [12, 24, 48, 96];

function parseParams(json) {
  if (!json) return null;
  try {
    const v = typeof json === 'string' ? JSON.parse(json) : json;
    return v && typeof v === 'object' && Object.keys(v).length ? v : null;
  } catch { return null; }
}

export default {
  title: 'History',
  async render(container, ctx) {
    const q = ctx.params;
    let limit = Number.parseInt(q.get('limit') || '24', 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) limit = 24;
    let page = Math.max(1, Number.parseInt(q.get('page') || '1', 10) || 1);
    let sessionFilter = q.get('session') || '';
    let sessions = [];
    let models = [];
    let items = [];
    let total = 0;
    let reloadedForExpiry = false;

    const notice = createNotice();
    const summary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite' });
    const grid = h('ul', { class: 'history-grid', 'aria-label': 'Restored photos', 'aria-busy': 'true' });
    const pager = h('div', { class: 'pager-slot' });

    const sessionField = field({ label: 'Session', name: 'session', type: 'select', options: [{ value: '', label: 'All sessions' }], value: sessionFilter });
    const sizeField = field({
      label: 'Per page', name: 'limit', type: 'select', value: String(limit),
      options: [...new Set([...PAGE_SIZES, limit])].sort((a, b) => a - b).map((n) => ({ value: String(n), label: String(n) })),
    });
    sessionField.input.addEventListener('change', () => { sessionFilter = sessionField.input.value; page = 1; sync(); load(); });
    sizeField.input.addEventListener('change', () => { limit = Number(sizeField.input.value); page = 1; sync(); load(); });
    const toolbar = h('div', { class: 'toolbar' }, sessionField.el, sizeField.el);

    container.append(
      pageHeader('History', 'Every photo you have restored, from all your devices.', h('a', { href: '/', class: 'btn btn-primary' }, icon('upload'), 'Restore a photo')),
      toolbar, notice.el, summary, grid, pager);

    function sync() {
      setQuery({ page: page > 1 ? page : null, session: sessionFilter || null, limit: limit !== 24 ? limit : null });
    }

    function sessionLabel(s) {
      if (s.is_current) return `This device (${describeUserAgent(s.user_agent)}) · ${plural(s.image_count ?? 0, 'photo')}`;
      return `${describeUserAgent(s.user_agent)} · since ${formatDate(s.created_at)} · ${plural(s.image_count ?? 0, 'photo')}`;
    }

    function fillSessions() {
      const opts = [h('option', { value: '', text: 'All sessions' })];
      for (const s of sessions) opts.push(h('option', { value: s.session_id, text: sessionLabel(s) }));
      if (sessionFilter && !sessions.some((s) => s.session_id === sessionFilter)) {
        opts.push(h('option', { value: sessionFilter, text: `Ended session ${sessionFilter.slice(0, 8)}…` }));
      }
      replace(sessionField.input, opts);
      sessionField.input.value = sessionFilter;
    }

    function skeleton() {
      const n = Math.min(limit, 8);
      replace(grid, Array.from({ length: n }, () => h('li', { class: 'history-card is-skeleton', 'aria-hidden': 'true' },
        h('div', { class: 'thumb skeleton' }), h('div', { class: 'card-body' }, h('div', { class: 'skeleton skeleton-line' }), h('div', { class: 'skeleton skeleton-line short' })))));
    }

    function sessionName(id) {
      if (!id) return 'Unknown session';
      const s = sessions.find((x) => x.session_id === id);
      if (!s) return 'A session that has ended';
      return s.is_current ? 'This device' : `${describeUserAgent(s.user_agent)}, since ${formatDate(s.created_at)}`;
    }

    async function doDownload(item, btn) {
      if (btn) btn.disabled = true;
      try {
        const name = await download(`/restore/${encodeURIComponent(item.id)}/download`, `restored-${item.original_filename}`);
        toast(`Downloading ${name}.`, 'success');
      } catch (err) {
        if (!err.handled) toast(`The download failed: ${errorMessages(err).join(' ')}`, 'error');
      } finally {
        if (btn) btn.disabled = false;
      }
    }

    async function doDelete(item, afterDelete) {
      const ok = await confirmDialog({
        title: 'Delete this photo?',
        message: [`“${item.original_filename}” and its restored version will be deleted permanently.`, 'This cannot be undone.'],
        confirmLabel: 'Delete photo', danger: true,
      });
      if (!ok) return false;
      try {
        await api(`/restore/${encodeURIComponent(item.id)}`, { method: 'DELETE' });
        toast(`Deleted “${item.original_filename}”.`, 'success');
        if (afterDelete) afterDelete();
        if (items.length === 1 && page > 1) page -= 1;
        sync();
        await load({ keepFocus: true });
        return true;
      } catch (err) {
        if (!err.handled) toast(`The photo could not be deleted: ${errorMessages(err).join(' ')}`, 'error');
        return false;
      }
    }

    function openItem(item, thumbImg) {
      let compare = null;
      const aspect = thumbImg && thumbImg.naturalWidth ? [thumbImg.naturalWidth, thumbImg.naturalHeight] : null;
      compare = createCompare({
        before: item.original_url, after: item.processed_url,
        beforeAlt: `Original: ${item.original_filename}`, afterAlt: `Restored: ${item.original_filename}`,
        aspect,
        onDownload: (btn) => doDownload(item, btn),
      });
      const params = parseParams(item.model_parameters);
      const details = h('dl', { class: 'details' },
        h('div', null, h('dt', { text: 'Model' }), h('dd', { text: modelName(models, item.model_id) })),
        h('div', null, h('dt', { text: 'Restored' }), h('dd', { text: formatDateTime(item.created_at) })),
        h('div', null, h('dt', { text: 'Session' }), h('dd', { text: sessionName(item.session_id) })),
        params ? h('div', null, h('dt', { text: 'Settings' }), h('dd', { text: Object.entries(params).map(([k, v]) => `${humanize(k)}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ') })) : null);
      const del = h('button', { type: 'button', class: 'btn btn-danger' }, icon('trash'), 'Delete');
      const close = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Close');
      const d = openDialog({
        title: item.original_filename, wide: true, className: 'dialog-compare',
        body: [compare.el, details],
        actions: [del, close],
        onClose: () => compare.destroy(),
      });
      close.addEventListener('click', () => d.close());
      del.addEventListener('click', async () => {
        d.dialog.close();
        await doDelete(item);
      });
    }

    function card(item) {
      const processed = h('img', { class: 'thumb-img', src: item.processed_url, alt: '', loading: 'lazy', decoding: 'async' });
      const original = h('img', { class: 'thumb-inset', src: item.original_url, alt: '', loading: 'lazy', decoding: 'async' });
      const thumb = h('div', { class: 'thumb' }, processed, h('span', { class: 'thumb-inset-wrap', title: 'Original' }, original));
      const onError = () => {
        thumb.classList.add('is-error');
        if (!reloadedForExpiry) { reloadedForExpiry = true; setTimeout(() => load({ keepFocus: true }), 100); }
      };
      processed.addEventListener('error', onError);
      processed.addEventListener('load', () => thumb.classList.add('is-loaded'));
      const openBtn = h('button', { type: 'button', class: 'thumb-btn', 'aria-label': `Open ${item.original_filename} in the comparison view` }, thumb);
      openBtn.addEventListener('click', () => openItem(item, original));
      const dl = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon', 'aria-label': `Download restored ${item.original_filename}`, title: 'Download', dataset: { action: 'download' } }, icon('download'));
      dl.addEventListener('click', () => doDownload(item, dl));
      const del = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon btn-danger-text', 'aria-label': `Delete ${item.original_filename}`, title: 'Delete', dataset: { action: 'delete' } }, icon('trash'));
      del.addEventListener('click', () => doDelete(item));
      const open = h('button', { type: 'button', class: 'btn btn-secondary btn-sm btn-compare', 'aria-label': `Compare ${item.original_filename}`, dataset: { action: 'compare' } }, 'Compare');
      open.addEventListener('click', () => openItem(item, original));
      return h('li', { class: 'history-card', dataset: { id: String(item.id) } },
        openBtn,
        h('div', { class: 'card-body' },
          h('p', { class: 'card-title', title: item.original_filename, text: item.original_filename }),
          h('p', { class: 'card-meta' }, modelName(models, item.model_id), ' · ', timeEl(item.created_at)),
          h('div', { class: 'card-actions' }, open, dl, del)));
    }

    let loadSeq = 0;
    async function load({ keepFocus = false } = {}) {
      loadSeq += 1;
      const mine = loadSeq;
      notice.clear();
      grid.setAttribute('aria-busy', 'true');
      if (!items.length) skeleton();
      try {
        const data = await api('/restore/history', { query: { limit, offset: (page - 1) * limit, session_id: sessionFilter || undefined }, signal: ctx.signal });
        if (mine !== loadSeq) return;
        items = Array.isArray(data.items) ? data.items : [];
        total = Number.isFinite(data.total) ? data.total : items.length;
        if (!items.length && total > 0 && page > 1) {
          page = Math.max(1, Math.ceil(total / limit));
          sync();
          return load({ keepFocus });
        }
      } catch (err) {
        if (mine !== loadSeq || err.handled || err.aborted) return;
        grid.removeAttribute('aria-busy');
        grid.replaceChildren();
        notice.show('error', [`Your history could not be loaded. ${errorMessages(err).join(' ')}`]);
        return;
      }
      grid.removeAttribute('aria-busy');
      if (!items.length) {
        replace(grid, h('li', { class: 'empty-state' },
          icon('image', 'empty-icon'),
          h('p', { class: 'empty-title', text: sessionFilter ? 'No photos were restored in this session.' : 'You have not restored any photos yet.' }),
          sessionFilter ? null : h('a', { href: '/', class: 'btn btn-primary' }, 'Restore your first photo')));
        summary.textContent = sessionFilter ? 'No photos in this session.' : 'No photos yet.';
      } else {
        replace(grid, items.map(card));
        const from = (page - 1) * limit + 1;
        summary.textContent = `Showing ${from}–${from + items.length - 1} of ${plural(total, 'photo')}.`;
      }
      replace(pager, pagination({
        total, limit, offset: (page - 1) * limit, label: 'History pages',
        onPage: (offset) => { page = Math.floor(offset / limit) + 1; sync(); load().then(() => summary.focus()); },
      }));
      if (keepFocus && document.activeElement === document.body) summary.focus();
    }
    summary.tabIndex = -1;

    skeleton();
    const [, sessRes, modelRes] = await Promise.allSettled([
      Promise.resolve(),
      api('/users/me/sessions', { signal: ctx.signal }),
      loadModels({ signal: ctx.signal }),
    ]);
    if (sessRes.status === 'fulfilled' && sessRes.value && Array.isArray(sessRes.value.sessions)) sessions = sessRes.value.sessions;
    if (sessRes.status === 'rejected' && sessRes.reason && sessRes.reason.handled) return undefined;
    if (modelRes.status === 'fulfilled') models = modelRes.value;
    fillSessions();
    await load();
    return undefined;
  },
};
