// Shared UI pieces: toasts and live announcements, flash messages across redirects, dialogs,
// form fields with errors, the password policy checklist, pagination.

import { h, append, replace, uid, icon } from './dom.js';
import { errorMessages } from './api.js';

// ---- announcements & toasts -------------------------------------------------------------------

/** Shows a toast in the polite live region (kind: info|success|error). */
export function toast(message, kind = 'info', timeout = 6000) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss message' }, icon('close'));
  const el = h('div', { class: `toast toast-${kind}` }, h('span', { class: 'toast-text', text: message }), close);
  const remove = () => { el.classList.add('toast-leaving'); setTimeout(() => el.remove(), 200); };
  close.addEventListener('click', remove);
  box.appendChild(el);
  if (timeout && kind !== 'error') setTimeout(remove, timeout);
  else if (timeout) setTimeout(remove, timeout * 2);
}

/** Says something to screen readers right away (assertive). */
export function alertSR(message) {
  const el = document.getElementById('sr-alert');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = message; }, 50);
}

// ---- flash (message carried across a navigation) -----------------------------------------------

const FLASH_KEY = 'flash';
export function setFlash(message, kind = 'info') {
  try { sessionStorage.setItem(FLASH_KEY, JSON.stringify({ message, kind })); } catch { /* ignore */ }
}
export function takeFlash() {
  try {
    const raw = sessionStorage.getItem(FLASH_KEY);
    sessionStorage.removeItem(FLASH_KEY);
    return raw ? JSON.parse(raw) : null;
  } catch { return null; }
}

// ---- notices (inline message boxes) -------------------------------------------------------------

/**
 * A message box that is also a live region. kind: error|success|info|warning.
 * notice.show(kind, messages) / notice.clear().
 */
export function createNotice({ className = '' } = {}) {
  const el = h('div', { class: `notice-slot ${className}`.trim(), role: 'alert', 'aria-live': 'assertive', 'aria-atomic': 'true' });
  return {
    el,
    show(kind, messages) {
      const list = Array.isArray(messages) ? messages : [messages];
      const body = list.length === 1
        ? h('p', { text: list[0] })
        : h('ul', null, list.map((m) => h('li', { text: m })));
      replace(el, h('div', { class: `notice notice-${kind}` }, body));
    },
    error(err) { this.show('error', errorMessages(err)); },
    clear() { el.replaceChildren(); },
  };
}

// ---- form fields --------------------------------------------------------------------------------

/**
 * A labelled field. opts: label, name, type, value, required, autocomplete, hint, attrs{},
 * input (an existing control element), options [{value,label}] for selects.
 * Returns {el, input, setError(msg), clearError()}.
 */
export function field(opts) {
  const id = opts.id || uid(`f-${opts.name || 'field'}`);
  const hintId = `${id}-hint`;
  const errId = `${id}-error`;
  let input = opts.input;
  if (!input) {
    if (opts.type === 'select') {
      input = h('select', { id, name: opts.name, required: opts.required, ...(opts.attrs || {}) },
        (opts.options || []).map((o) => h('option', { value: o.value, selected: String(o.value) === String(opts.value ?? '') }, o.label)));
    } else if (opts.type === 'textarea') {
      input = h('textarea', { id, name: opts.name, required: opts.required, ...(opts.attrs || {}) });
      if (opts.value !== undefined) input.value = opts.value;
    } else {
      input = h('input', {
        id, name: opts.name, type: opts.type || 'text', required: opts.required,
        autocomplete: opts.autocomplete, ...(opts.attrs || {}),
      });
      if (opts.value !== undefined && opts.value !== null) input.value = opts.value;
    }
  } else {
    input.id = id;
  }
  const describedBy = [];
  const hint = opts.hint ? h('p', { class: 'field-hint', id: hintId, text: opts.hint }) : null;
  if (hint) describedBy.push(hintId);
  const error = h('p', { class: 'field-error', id: errId, hidden: true });
  describedBy.push(errId);
  input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), ...describedBy].filter(Boolean).join(' '));
  const label = h('label', { for: id, class: 'field-label' }, opts.label,
    opts.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null);
  const control = opts.addon ? h('div', { class: 'input-group' }, input, opts.addon) : input;
  const el = h('div', { class: ['field', opts.className] }, label, control, hint, error);
  return {
    el, input,
    setError(msg) {
      error.textContent = msg;
      error.hidden = !msg;
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
    clearError() { this.setError(''); },
  };
}

/** A password field with a show/hide toggle. */
export function passwordField(opts) {
  const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-icon input-addon', 'aria-label': 'Show password', 'aria-pressed': 'false' }, icon('eye'));
  const f = field({ ...opts, type: 'password', addon: toggle });
  toggle.setAttribute('aria-controls', f.input.id);
  toggle.addEventListener('click', () => {
    const show = f.input.type === 'password';
    f.input.type = show ? 'text' : 'password';
    toggle.setAttribute('aria-pressed', String(show));
    toggle.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
    toggle.replaceChildren(icon(show ? 'eyeOff' : 'eye'));
  });
  return f;
}

/** A checkbox with its label. */
export function checkbox({ label, name, checked = false, hint }) {
  const id = uid(`cb-${name}`);
  const input = h('input', { type: 'checkbox', id, name, checked });
  const hintEl = hint ? h('span', { class: 'field-hint', id: `${id}-hint`, text: hint }) : null;
  if (hintEl) input.setAttribute('aria-describedby', `${id}-hint`);
  const el = h('div', { class: 'check' }, input, h('label', { for: id, text: label }), hintEl);
  return { el, input };
}

/** Shows a server error on a form: field messages next to fields, the rest in the notice. */
export function showFormError(err, notice, fields = {}) {
  for (const f of Object.values(fields)) f.clearError();
  const rest = [];
  if (err && err.fields && Object.keys(err.fields).length) {
    for (const msg of err.messages) rest.push(msg);
    for (const [name, msg] of Object.entries(err.fields)) {
      if (fields[name]) fields[name].setError(msg);
    }
  }
  if (rest.length) notice.show('error', rest);
  else notice.error(err);
  const firstInvalid = Object.values(fields).find((f) => f.input.getAttribute('aria-invalid') === 'true');
  if (firstInvalid) firstInvalid.input.focus();
}

/** Puts a button into a busy state; returns a function that restores it. */
export function busy(button, label) {
  const old = [...button.childNodes];
  const wasDisabled = button.disabled;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  replace(button, h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }), label);
  return () => {
    button.disabled = wasDisabled;
    button.removeAttribute('aria-busy');
    replace(button, ...old);
  };
}

// ---- password policy ------------------------------------------------------------------------------

export const PASSWORD_RULES = [
  { id: 'length', label: 'At least 8 characters', test: (p) => p.length >= 8 },
  { id: 'upper', label: 'An uppercase letter (A–Z)', test: (p) => /[A-Z]/.test(p) },
  { id: 'lower', label: 'A lowercase letter (a–z)', test: (p) => /[a-z]/.test(p) },
  { id: 'digit', label: 'A digit (0–9)', test: (p) => /[0-9]/.test(p) },
];

export function passwordProblems(p) {
  return PASSWORD_RULES.filter((r) => !r.test(p)).map((r) => r.label);
}

/**
 * A live checklist bound to a password input. Returns {el, ok()}.
 * Each rule is a list item whose state is announced politely when it changes.
 */
export function passwordChecklist(input) {
  const id = uid('pw-rules');
  const items = PASSWORD_RULES.map((r) => {
    const state = h('span', { class: 'visually-hidden', text: 'not met: ' });
    const li = h('li', { class: 'rule', dataset: { rule: r.id } }, h('span', { class: 'rule-mark', 'aria-hidden': 'true' }), state, r.label);
    return { r, li, state };
  });
  const summary = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const el = h('div', { class: 'pw-rules-box' },
    h('p', { class: 'pw-rules-title', id: `${id}-title`, text: 'Your password needs:' }),
    h('ul', { class: 'pw-rules', id, 'aria-labelledby': `${id}-title` }, items.map((i) => i.li)),
    summary);
  input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  let lastCount = -1;
  const update = () => {
    const p = input.value;
    let met = 0;
    for (const i of items) {
      const ok = i.r.test(p);
      if (ok) met += 1;
      i.li.classList.toggle('met', ok);
      i.state.textContent = ok ? 'met: ' : 'not met: ';
    }
    if (p && met !== lastCount) {
      summary.textContent = met === items.length ? 'All password requirements met.' : `${met} of ${items.length} password requirements met.`;
    }
    lastCount = met;
  };
  input.addEventListener('input', update);
  update();
  return { el, ok: () => PASSWORD_RULES.every((r) => r.test(input.value)), update };
}

// ---- dialogs ------------------------------------------------------------------------------------

/**
 * A modal <dialog>. opts: title, body (node/array), actions (nodes), wide, onClose, className.
 * Returns {dialog, body, close()}. The dialog removes itself from the DOM when closed and
 * returns focus to the element that had it.
 */
export function openDialog({ title, body, actions = [], wide = false, className = '', onClose, labelledBy } = {}) {
  const titleId = uid('dlg-title');
  const opener = document.activeElement;
  const closeBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon dialog-close', 'aria-label': 'Close dialog' }, icon('close'));
  const bodyEl = h('div', { class: 'dialog-body' });
  append(bodyEl, [body]);
  const footer = actions.length ? h('div', { class: 'dialog-actions' }, actions) : null;
  const dialog = h('dialog', { class: ['dialog', wide && 'dialog-wide', className], 'aria-labelledby': labelledBy || titleId },
    h('div', { class: 'dialog-header' }, h('h2', { id: titleId, class: 'dialog-title', text: title }), closeBtn),
    bodyEl, footer);
  const close = (value) => { if (dialog.open) dialog.close(value ?? ''); };
  closeBtn.addEventListener('click', () => close('cancel'));
  dialog.addEventListener('click', (e) => { if (e.target === dialog) close('cancel'); });
  dialog.addEventListener('close', () => {
    if (onClose) onClose(dialog.returnValue);
    dialog.remove();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, body: bodyEl, close };
}

/** Asks to confirm; resolves true/false. opts: title, message, confirmLabel, danger. */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', cancelLabel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    let result = false;
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', text: cancelLabel });
    const ok = h('button', { type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], text: confirmLabel });
    const d = openDialog({
      title, className: 'dialog-confirm',
      body: Array.isArray(message) ? message.map((m) => h('p', { text: m })) : h('p', { text: message }),
      actions: [cancel, ok],
      onClose: () => resolve(result),
    });
    cancel.addEventListener('click', () => d.close('cancel'));
    ok.addEventListener('click', () => { result = true; d.close('ok'); });
    (danger ? cancel : ok).focus();
  });
}

// ---- pagination -----------------------------------------------------------------------------------

/**
 * Pagination nav. total, limit, offset; onPage(newOffset). Returns a <nav> element.
 */
export function pagination({ total, limit, offset, onPage, label = 'Pagination' }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const current = Math.floor(offset / limit) + 1;
  const nav = h('nav', { class: 'pagination', 'aria-label': label });
  if (total <= limit && offset === 0) { nav.hidden = true; return nav; }
  const go = (p) => onPage((p - 1) * limit);
  const btn = (p, text, aria, extra = {}) => h('button', {
    type: 'button', class: ['btn', 'btn-secondary', 'btn-sm', p === current && !extra.edge && 'is-current'],
    'aria-label': aria, 'aria-current': p === current && !extra.edge ? 'page' : null,
    disabled: extra.disabled, onclick: () => go(p),
  }, text);
  const items = [btn(current - 1, '‹ Previous', 'Previous page', { edge: true, disabled: current <= 1 })];
  const nums = new Set([1, pages, current - 1, current, current + 1].filter((p) => p >= 1 && p <= pages));
  let prev = 0;
  for (const p of [...nums].sort((a, b) => a - b)) {
    if (p - prev > 1) items.push(h('span', { class: 'pagination-gap', 'aria-hidden': 'true', text: '…' }));
    items.push(btn(p, String(p), `Page ${p}`));
    prev = p;
  }
  items.push(btn(current + 1, 'Next ›', 'Next page', { edge: true, disabled: current >= pages }));
  append(nav, [h('div', { class: 'pagination-inner' }, items)]);
  return nav;
}

/** A centered loading placeholder with reserved height. */
export function loading(text = 'Loading…') {
  return h('div', { class: 'page-loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { text }));
}

/** Page heading with focus target for route changes. */
export function pageHeader(title, subtitle, actions) {
  return h('div', { class: 'page-header' },
    h('div', { class: 'page-heading' },
      h('h1', { tabindex: '-1', class: 'page-title', text: title }),
      subtitle ? h('p', { class: 'page-subtitle', text: subtitle }) : null),
    actions ? h('div', { class: 'page-actions' }, actions) : null);
}
