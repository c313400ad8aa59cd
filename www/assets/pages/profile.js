// /profile: account details, password change, and the sessions list (current one marked,
// "Log out this device" for each other one, "Log out everywhere else").

import { h, replace, icon } from '../dom.js';
import { api, errorMessages } from '../api.js';
import { createNotice, pageHeader, passwordField, passwordChecklist, showFormError, busy, confirmDialog, toast, loading } from '../ui.js';
import { timeEl, describeUserAgent, formatDateTime, plural } from '../format.js';

export default {
  title: 'Profile',
  async render(container, ctx) {
    const detailsBox = h('div', { class: 'details-box' }, loading('Loading your profile…'));
    const sessionsNotice = createNotice();
    const sessionsList = h('ul', { class: 'session-list', 'aria-label': 'Signed-in devices', 'aria-busy': 'true' }, h('li', null, loading('Loading sessions…')));
    const sessionsSummary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
    const logoutOthers = h('button', { type: 'button', class: 'btn btn-secondary', id: 'logout-others', disabled: true }, icon('logout'), 'Log out everywhere else');

    // ---- password form ------------------------------------------------------------------------
    const pwNotice = createNotice();
    const current = passwordField({ label: 'Current password', name: 'current_password', autocomplete: 'current-password', required: true });
    const next = passwordField({ label: 'New password', name: 'new_password', autocomplete: 'new-password', required: true });
    const confirm = passwordField({ label: 'Confirm new password', name: 'confirm_password', autocomplete: 'new-password', required: true });
    const rules = passwordChecklist(next.input);
    const pwSubmit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password');
    const fields = { current_password: current, new_password: next, confirm_password: confirm };
    confirm.input.addEventListener('input', () => {
      confirm.setError(confirm.input.value && confirm.input.value !== next.input.value ? 'The two new passwords do not match yet.' : '');
    });
    const pwForm = h('form', { class: 'form', novalidate: true, id: 'password-form' },
      pwNotice.el, current.el, next.el, rules.el, confirm.el,
      h('p', { class: 'field-hint', text: 'Changing your password logs you out on all your other devices.' }),
      h('div', { class: 'form-actions' }, pwSubmit));
    pwForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      pwNotice.clear();
      for (const f of Object.values(fields)) f.clearError();
      const problems = [];
      if (!current.input.value) { current.setError('Enter your current password.'); problems.push(current); }
      if (!rules.ok()) { next.setError('The new password does not meet all the requirements.'); problems.push(next); }
      else if (next.input.value === current.input.value) { next.setError('The new password must be different from your current password.'); problems.push(next); }
      if (confirm.input.value !== next.input.value) { confirm.setError('The two new passwords do not match.'); problems.push(confirm); }
      if (problems.length) { problems[0].input.focus(); return; }
      const restore = busy(pwSubmit, 'Changing…');
      try {
        await api('/users/me/password', { method: 'PUT', body: { current_password: current.input.value, new_password: next.input.value } });
        restore();
        pwForm.reset();
        rules.update();
        pwNotice.show('success', 'Your password has been changed. Your other devices have been logged out.');
        loadSessions();
      } catch (err) {
        restore();
        if (err.handled) return;
        if (err.status === 400 && /current password/i.test(err.detail || '')) {
          current.setError('Current password is incorrect.');
          current.input.focus();
        }
        showFormError(err, pwNotice, fields);
      }
    });

    container.append(
      pageHeader('Your profile', 'Your account, your password, and the devices you are signed in on.'),
      h('div', { class: 'profile-layout' },
        h('section', { class: 'panel', 'aria-labelledby': 'account-title' },
          h('h2', { id: 'account-title', class: 'panel-title', text: 'Account' }), detailsBox),
        h('section', { class: 'panel', 'aria-labelledby': 'pw-title', id: 'password' },
          h('h2', { id: 'pw-title', class: 'panel-title', text: 'Change password' }), pwForm),
        h('section', { class: 'panel panel-wide', 'aria-labelledby': 'sessions-title' },
          h('div', { class: 'panel-head' },
            h('h2', { id: 'sessions-title', class: 'panel-title', text: 'Where you are signed in' }),
            logoutOthers),
          sessionsNotice.el, sessionsSummary, sessionsList)));

    // ---- account details --------------------------------------------------------------------------
    async function loadMe() {
      try {
        const me = await api('/users/me', { signal: ctx.signal });
        const row = (label, value) => h('div', null, h('dt', { text: label }), h('dd', null, value));
        replace(detailsBox, h('dl', { class: 'details details-grid' },
          row('Username', me.username),
          row('Full name', me.full_name || '—'),
          row('Email', me.email || '—'),
          row('Role', h('span', { class: `badge ${me.role === 'admin' ? 'badge-admin' : 'badge-user'}`, text: me.role === 'admin' ? 'Administrator' : 'User' })),
          row('Member since', formatDateTime(me.created_at)),
          row('Last login', me.last_login ? timeEl(me.last_login) : 'never')));
      } catch (err) {
        if (err.handled || err.aborted) return;
        replace(detailsBox, h('p', { class: 'notice notice-error', text: `Your profile could not be loaded. ${errorMessages(err).join(' ')}` }));
      }
    }

    // ---- sessions ---------------------------------------------------------------------------------
    let sessions = [];

    async function revoke(s, btn) {
      btn.disabled = true;
      try {
        await api(`/users/me/sessions/${encodeURIComponent(s.session_id)}`, { method: 'DELETE' });
        toast(`Logged out ${describeUserAgent(s.user_agent)}.`, 'success');
        await loadSessions();
        sessionsSummary.focus();
        return true;
      } catch (err) {
        btn.disabled = false;
        if (!err.handled) sessionsNotice.show('error', [`That device could not be logged out. ${errorMessages(err).join(' ')}`]);
        return false;
      }
    }

    function sessionItem(s) {
      const device = describeUserAgent(s.user_agent);
      const btn = s.is_current ? null : h('button', { type: 'button', class: 'btn btn-secondary btn-sm session-revoke', 'aria-label': `Log out this device: ${device}, signed in ${formatDateTime(s.created_at)}` }, icon('logout'), 'Log out this device');
      if (btn) btn.addEventListener('click', () => revoke(s, btn));
      return h('li', { class: ['session', s.is_current && 'is-current'], dataset: { sessionId: s.session_id } },
        h('div', { class: 'session-main' },
          h('p', { class: 'session-device' }, h('span', { text: device }), s.is_current ? h('span', { class: 'badge badge-current', text: 'This device' }) : null),
          h('p', { class: 'session-meta' },
            s.ip_address ? `${s.ip_address} · ` : '',
            'signed in ', timeEl(s.created_at), ' · last active ', timeEl(s.last_accessed), ' · ', plural(s.image_count ?? 0, 'photo'))),
        btn);
    }

    async function loadSessions() {
      sessionsList.setAttribute('aria-busy', 'true');
      try {
        const data = await api('/users/me/sessions', { signal: ctx.signal });
        sessions = Array.isArray(data.sessions) ? data.sessions : [];
      } catch (err) {
        sessionsList.removeAttribute('aria-busy');
        if (err.handled || err.aborted) return;
        sessionsList.replaceChildren();
        sessionsNotice.show('error', [`Your sessions could not be loaded. ${errorMessages(err).join(' ')}`]);
        return;
      }
      sessionsNotice.clear();
      sessionsList.removeAttribute('aria-busy');
      const sorted = [...sessions].sort((a, b) => (b.is_current === true) - (a.is_current === true));
      replace(sessionsList, sorted.map(sessionItem));
      const others = sessions.filter((s) => !s.is_current).length;
      logoutOthers.disabled = others === 0;
      sessionsSummary.textContent = others === 0
        ? 'You are signed in on this device only.'
        : `You are signed in on this device and ${plural(others, 'other device')}.`;
    }

    logoutOthers.addEventListener('click', async () => {
      const others = sessions.filter((s) => !s.is_current);
      if (!others.length) return;
      const ok = await confirmDialog({
        title: 'Log out everywhere else?',
        message: `This logs you out on ${plural(others.length, 'other device')}. You stay signed in here. Your photos are kept.`,
        confirmLabel: 'Log out other devices', danger: true,
      });
      if (!ok) return;
      const restore = busy(logoutOthers, 'Logging out…');
      const failures = [];
      for (const s of others) {
        try {
          await api(`/users/me/sessions/${encodeURIComponent(s.session_id)}`, { method: 'DELETE' });
        } catch (err) {
          if (err.handled) return;
          if (err.status !== 404) failures.push(errorMessages(err).join(' '));
        }
      }
      restore();
      await loadSessions();
      if (failures.length) sessionsNotice.show('error', [`Some devices could not be logged out: ${failures[0]}`]);
      else toast(`Logged out ${plural(others.length, 'other device')}.`, 'success');
      sessionsSummary.focus();
    });

    await Promise.all([loadMe(), loadSessions()]);
  },
};
