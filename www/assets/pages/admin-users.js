// /admin/users (administrators): users table with search, role and status filters and
// skip/limit pagination; create, edit, activate/deactivate, reset password, delete.

import { h, replace, icon } from '../dom.js';
import { api, errorMessages } from '../api.js';
import {
  createNotice, pageHeader, pagination, confirmDialog, openDialog, toast, field, passwordField,
  passwordChecklist, checkbox, showFormError, busy,
} from '../ui.js';
import { setQuery } from '../router.js';
import { timeEl, plural } from '../format.js';

const PAGE_SIZES = [10, 25, 50, 100];
const ROLE_OPTIONS = [{ value: 'user', label: 'User' }, { value: 'admin', label: 'Administrator' }];

function forbidden(container, message) {
  container.append(h('div', { class: 'empty-state' },
    h('h1', { tabindex: '-1', class: 'page-title', text: 'Administrators only' }),
    h('p', { text: message || 'Admin access required. You do not have permission to perform this action.' }),
    h('p', null, h('a', { href: '/', class: 'btn btn-primary' }, 'Go to Restore'))));
}

export default {
  title: 'Users',
  async render(container, ctx) {
    if (ctx.user.role !== 'admin') { forbidden(container); return undefined; }
    const me = ctx.user;
    const q = ctx.params;
    let search = q.get('search') || '';
    let role = ['admin', 'user'].includes(q.get('role')) ? q.get('role') : '';
    let active = ['true', 'false'].includes(q.get('active')) ? q.get('active') : '';
    let limit = Number.parseInt(q.get('limit') || '25', 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) limit = 25;
    let skip = Math.max(0, Number.parseInt(q.get('skip') || '0', 10) || 0);
    let users = [];
    let total = 0;
    let seq = 0;

    const notice = createNotice();
    const summary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
    const tbody = h('tbody');
    const table = h('table', { class: 'table users-table', 'aria-busy': 'true' },
      h('caption', { class: 'visually-hidden', text: 'Users' }),
      h('thead', null, h('tr', null,
        ['User', 'Email', 'Role', 'Status', 'Last login', 'Created', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
      tbody);
    const pager = h('div', { class: 'pager-slot' });

    // ---- filters ----------------------------------------------------------------------------------
    const searchField = field({ label: 'Search users', name: 'search', type: 'search', value: search, attrs: { autocomplete: 'off', spellcheck: 'false', placeholder: 'Username, email or name' } });
    const roleField = field({ label: 'Role', name: 'role', type: 'select', value: role, options: [{ value: '', label: 'All roles' }, ...ROLE_OPTIONS] });
    const activeField = field({ label: 'Status', name: 'active', type: 'select', value: active, options: [{ value: '', label: 'All' }, { value: 'true', label: 'Active' }, { value: 'false', label: 'Inactive' }] });
    const sizeField = field({ label: 'Per page', name: 'limit', type: 'select', value: String(limit), options: [...new Set([...PAGE_SIZES, limit])].sort((a, b) => a - b).map((n) => ({ value: String(n), label: String(n) })) });
    let debounce = null;
    searchField.input.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => { search = searchField.input.value.trim(); skip = 0; sync(); load(); }, 300);
    });
    searchField.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); clearTimeout(debounce); search = searchField.input.value.trim(); skip = 0; sync(); load(); }
    });
    roleField.input.addEventListener('change', () => { role = roleField.input.value; skip = 0; sync(); load(); });
    activeField.input.addEventListener('change', () => { active = activeField.input.value; skip = 0; sync(); load(); });
    sizeField.input.addEventListener('change', () => { limit = Number(sizeField.input.value); skip = 0; sync(); load(); });
    const filters = h('form', { class: 'toolbar filters', role: 'search', 'aria-label': 'Filter users', novalidate: true }, searchField.el, roleField.el, activeField.el, sizeField.el);
    filters.addEventListener('submit', (e) => e.preventDefault());

    const createBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'create-user' }, icon('plus'), 'Create user');
    createBtn.addEventListener('click', () => createDialog());

    container.append(
      pageHeader('Users', 'Create accounts, change roles, and manage access.', createBtn),
      filters, notice.el, summary, h('div', { class: 'table-wrap' }, table), pager);

    function sync() {
      setQuery({ search: search || null, role: role || null, active: active || null, skip: skip || null, limit: limit !== 25 ? limit : null });
    }

    // ---- actions ----------------------------------------------------------------------------------
    async function setActive(u, value, btn) {
      if (!value) {
        const ok = await confirmDialog({
          title: `Deactivate ${u.username}?`,
          message: [`${u.username} will be logged out at once and will not be able to log in until the account is activated again.`, 'Their photos are kept.'],
          confirmLabel: 'Deactivate', danger: true,
        });
        if (!ok) return;
      }
      if (btn) btn.disabled = true;
      try {
        await api(`/admin/users/${u.id}`, { method: 'PUT', body: { is_active: value } });
        toast(value ? `${u.username} is active again.` : `${u.username} has been deactivated.`, 'success');
        await load();
      } catch (err) {
        if (btn) btn.disabled = false;
        if (!err.handled) notice.show('error', errorMessages(err));
      }
    }

    async function remove(u) {
      const ok = await confirmDialog({
        title: `Delete ${u.username}?`,
        message: [`The account ${u.username} (${u.email}) will be deleted together with all of its sessions and restored photos.`, 'This cannot be undone.'],
        confirmLabel: 'Delete user', danger: true,
      });
      if (!ok) return;
      try {
        await api(`/admin/users/${u.id}`, { method: 'DELETE' });
        toast(`${u.username} has been deleted.`, 'success');
        if (users.length === 1 && skip > 0) skip = Math.max(0, skip - limit);
        sync();
        await load();
        summary.focus();
      } catch (err) {
        if (!err.handled) notice.show('error', errorMessages(err));
      }
    }

    function formDialog({ title, content, submitLabel, onSubmit, fields, focus }) {
      const dnotice = createNotice();
      const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
      const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
      const form = h('form', { class: 'form dialog-form', novalidate: true }, dnotice.el, content, h('div', { class: 'dialog-actions' }, cancel, submit));
      const d = openDialog({ title, body: form });
      cancel.addEventListener('click', () => d.close());
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        dnotice.clear();
        for (const f of Object.values(fields)) f.clearError();
        const restore = busy(submit, 'Saving…');
        try {
          const ok = await onSubmit(dnotice);
          if (ok === false) { restore(); return; }
          d.close('ok');
        } catch (err) {
          restore();
          if (err.handled) { d.close(); return; }
          showFormError(err, dnotice, fields);
        }
      });
      if (focus) focus.focus();
      return d;
    }

    function createDialog() {
      const username = field({ label: 'Username', name: 'username', required: true, hint: '3–50 characters: letters, numbers, underscores or hyphens.', attrs: { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '50' } });
      const email = field({ label: 'Email', name: 'email', type: 'email', required: true, attrs: { autocomplete: 'off', maxlength: '255' } });
      const fullName = field({ label: 'Full name', name: 'full_name', required: true, attrs: { autocomplete: 'off', maxlength: '255' } });
      const password = passwordField({ label: 'Password', name: 'password', required: true, autocomplete: 'new-password' });
      const rules = passwordChecklist(password.input);
      const roleSel = field({ label: 'Role', name: 'role', type: 'select', value: 'user', options: ROLE_OPTIONS });
      const mustChange = checkbox({ label: 'Must change password at first login', name: 'password_must_change', checked: true, hint: 'Recommended: the user picks their own password.' });
      const fields = { username, email, full_name: fullName, password, role: roleSel };
      formDialog({
        title: 'Create user', submitLabel: 'Create user', fields, focus: username.input,
        content: [username.el, email.el, fullName.el, password.el, rules.el, roleSel.el, mustChange.el],
        onSubmit: async () => {
          const missing = [];
          if (!username.input.value.trim()) { username.setError('Enter a username.'); missing.push(username); }
          if (!email.input.value.trim()) { email.setError('Enter an email address.'); missing.push(email); }
          if (!fullName.input.value.trim()) { fullName.setError('Enter the full name.'); missing.push(fullName); }
          if (!rules.ok()) { password.setError('The password does not meet all the requirements.'); missing.push(password); }
          if (missing.length) { missing[0].input.focus(); return false; }
          const created = await api('/admin/users', {
            method: 'POST',
            body: {
              username: username.input.value.trim(), email: email.input.value.trim(), full_name: fullName.input.value.trim(),
              password: password.input.value, role: roleSel.input.value, password_must_change: mustChange.input.checked,
            },
          });
          toast(`User ${created.username} has been created.`, 'success');
          await load();
          return true;
        },
      });
    }

    function editDialog(u) {
      const self = u.id === me.id;
      const email = field({ label: 'Email', name: 'email', type: 'email', required: true, value: u.email, attrs: { maxlength: '255' } });
      const fullName = field({ label: 'Full name', name: 'full_name', required: true, value: u.full_name || '', attrs: { maxlength: '255' } });
      const roleSel = field({ label: 'Role', name: 'role', type: 'select', value: u.role, options: ROLE_OPTIONS, attrs: { disabled: self }, hint: self ? 'You cannot change your own role.' : null });
      const activeBox = checkbox({ label: 'Account is active', name: 'is_active', checked: u.is_active, hint: self ? 'You cannot deactivate your own account.' : 'Inactive users cannot log in; deactivating logs them out at once.' });
      activeBox.input.disabled = self;
      const fields = { email, full_name: fullName, role: roleSel };
      formDialog({
        title: `Edit ${u.username}`, submitLabel: 'Save changes', fields, focus: email.input,
        content: [h('p', { class: 'muted' }, 'Username: ', h('strong', { text: u.username })), email.el, fullName.el, roleSel.el, activeBox.el],
        onSubmit: async () => {
          const body = {};
          const e = email.input.value.trim();
          const n = fullName.input.value.trim();
          if (!e) { email.setError('Enter an email address.'); email.input.focus(); return false; }
          if (!n) { fullName.setError('Enter the full name.'); fullName.input.focus(); return false; }
          if (e !== u.email) body.email = e;
          if (n !== (u.full_name || '')) body.full_name = n;
          if (!self && roleSel.input.value !== u.role) body.role = roleSel.input.value;
          if (!self && activeBox.input.checked !== u.is_active) body.is_active = activeBox.input.checked;
          if (!Object.keys(body).length) { toast('Nothing was changed.', 'info'); return true; }
          await api(`/admin/users/${u.id}`, { method: 'PUT', body });
          toast(`Saved changes to ${u.username}.`, 'success');
          await load();
          return true;
        },
      });
    }

    function resetDialog(u) {
      const password = passwordField({ label: 'New password', name: 'new_password', required: true, autocomplete: 'new-password' });
      const rules = passwordChecklist(password.input);
      const mustChange = checkbox({ label: 'Must change password at next login', name: 'password_must_change', checked: true });
      const fields = { new_password: password };
      formDialog({
        title: `Reset password for ${u.username}`, submitLabel: 'Reset password', fields, focus: password.input,
        content: [h('p', { text: `${u.username} will be logged out on all devices and must use the new password.` }), password.el, rules.el, mustChange.el],
        onSubmit: async () => {
          if (!rules.ok()) { password.setError('The password does not meet all the requirements.'); password.input.focus(); return false; }
          await api(`/admin/users/${u.id}/reset-password`, { method: 'PUT', body: { new_password: password.input.value, password_must_change: mustChange.input.checked } });
          toast(`The password of ${u.username} has been reset.`, 'success');
          await load();
          return true;
        },
      });
    }

    // ---- table ------------------------------------------------------------------------------------
    function row(u) {
      const self = u.id === me.id;
      const td = (label, ...content) => h('td', { 'data-label': label }, ...content);
      const edit = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'aria-label': `Edit ${u.username}`, title: 'Edit', dataset: { action: 'edit' } }, icon('edit'), h('span', { class: 'btn-text', text: 'Edit' }));
      edit.addEventListener('click', () => editDialog(u));
      const toggle = h('button', {
        type: 'button', class: 'btn btn-secondary btn-sm', dataset: { action: u.is_active ? 'deactivate' : 'activate' },
        'aria-label': `${u.is_active ? 'Deactivate' : 'Activate'} ${u.username}`, disabled: self,
        title: self ? 'You cannot deactivate your own account' : u.is_active ? 'Deactivate' : 'Activate',
      }, icon('power'), h('span', { class: 'btn-text', text: u.is_active ? 'Deactivate' : 'Activate' }));
      toggle.addEventListener('click', () => setActive(u, !u.is_active, toggle));
      const reset = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'aria-label': `Reset password of ${u.username}`, title: 'Reset password', dataset: { action: 'reset' } }, icon('key'), h('span', { class: 'btn-text', text: 'Reset password' }));
      reset.addEventListener('click', () => resetDialog(u));
      const del = h('button', {
        type: 'button', class: 'btn btn-danger-outline btn-sm', 'aria-label': `Delete ${u.username}`, dataset: { action: 'delete' },
        disabled: self, title: self ? 'You cannot delete your own account' : 'Delete',
      }, icon('trash'), h('span', { class: 'btn-text', text: 'Delete' }));
      del.addEventListener('click', () => remove(u));
      return h('tr', { dataset: { userId: String(u.id), username: u.username }, class: [!u.is_active && 'is-inactive'] },
        td('User', h('div', { class: 'user-cell' },
          h('span', { class: 'user-name' }, h('strong', { text: u.username }), self ? h('span', { class: 'badge badge-current', text: 'You' }) : null),
          h('span', { class: 'user-full', text: u.full_name || '' }))),
        td('Email', h('span', { class: 'user-email', text: u.email })),
        td('Role', h('span', { class: `badge ${u.role === 'admin' ? 'badge-admin' : 'badge-user'}`, text: u.role === 'admin' ? 'Admin' : 'User' })),
        td('Status',
          h('span', { class: `badge ${u.is_active ? 'badge-active' : 'badge-inactive'}`, text: u.is_active ? 'Active' : 'Inactive' }),
          u.password_must_change ? h('span', { class: 'badge badge-warn', text: 'Must change password' }) : null),
        td('Last login', u.last_login ? timeEl(u.last_login) : h('span', { class: 'muted', text: 'never' })),
        td('Created', timeEl(u.created_at, 'date')),
        td('Actions', h('div', { class: 'row-actions' }, edit, toggle, reset, del)));
    }

    async function load() {
      seq += 1;
      const mine = seq;
      table.setAttribute('aria-busy', 'true');
      let data;
      try {
        data = await api('/admin/users', { query: { skip, limit, search: search || undefined, role: role || undefined, is_active: active || undefined }, signal: ctx.signal });
      } catch (err) {
        if (mine !== seq || err.handled || err.aborted) return;
        table.removeAttribute('aria-busy');
        if (err.status === 403) { container.replaceChildren(); forbidden(container, err.detail); return; }
        notice.show('error', [`The users could not be loaded. ${errorMessages(err).join(' ')}`]);
        return;
      }
      if (mine !== seq) return;
      users = Array.isArray(data.users) ? data.users : [];
      total = Number.isFinite(data.total) ? data.total : users.length;
      if (!users.length && total > 0 && skip > 0) { skip = Math.floor((total - 1) / limit) * limit; sync(); load(); return; }
      table.removeAttribute('aria-busy');
      notice.clear();
      if (!users.length) {
        replace(tbody, h('tr', null, h('td', { colspan: '7', class: 'empty-cell', text: search || role || active ? 'No users match these filters.' : 'There are no users yet.' })));
        summary.textContent = 'No users found.';
      } else {
        replace(tbody, users.map(row));
        summary.textContent = `Showing ${skip + 1}–${skip + users.length} of ${plural(total, 'user')}.`;
      }
      replace(pager, pagination({
        total, limit, offset: skip, label: 'User pages',
        onPage: (offset) => { skip = offset; sync(); load().then(() => summary.focus()); },
      }));
    }

    await load();
    return () => clearTimeout(debounce);
  },
};
