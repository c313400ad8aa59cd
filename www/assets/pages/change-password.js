// /change-password: the forced password change after login (token claim password_must_change,
// or a 403 "Password change required" from the API). Shows the policy live while typing.
// After the change the old token still carries password_must_change=true, so we sign in again
// with the new password to get a fresh token and end the old session.

import { h } from '../dom.js';
import { api, API_BASE, getToken, setToken, decodeToken, getRememberMe, markPasswordChanged, clearPasswordMarkers } from '../api.js';
import { passwordField, passwordChecklist, createNotice, showFormError, busy, setFlash } from '../ui.js';
import { logout } from '../session.js';

/** Swaps the token for a fresh one after a successful forced change (best effort). */
async function renewToken(username, newPassword, sessionId) {
  const oldToken = getToken();
  try {
    const data = await api('/auth/login', { method: 'POST', auth: false, body: { username, password: newPassword, remember_me: getRememberMe() } });
    const claims = decodeToken(data && data.access_token);
    if (!claims) throw new Error('no token');
    setToken(data.access_token);
    clearPasswordMarkers();
    // End the old session, which the new token replaces.
    fetch(`${API_BASE}/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${oldToken}` } }).catch(() => {});
    if (claims.password_must_change === true) markPasswordChanged(claims.session_id);
  } catch {
    // Keep the old token (still valid) and remember that its password was changed.
    markPasswordChanged(sessionId);
  }
}

export default {
  title: 'Choose a new password',
  render(container, ctx) {
    const user = ctx.user;
    const notice = createNotice();
    const current = passwordField({ label: 'Current password', name: 'current_password', autocomplete: 'current-password', required: true, hint: 'The password you just logged in with.', attrs: { 'data-autofocus': '' } });
    const next = passwordField({ label: 'New password', name: 'new_password', autocomplete: 'new-password', required: true });
    const confirm = passwordField({ label: 'Confirm new password', name: 'confirm_password', autocomplete: 'new-password', required: true });
    const rules = passwordChecklist(next.input);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Change password and continue');
    const logoutBtn = h('button', { type: 'button', class: 'btn btn-link' }, 'Log out instead');
    logoutBtn.addEventListener('click', () => logout());
    const fields = { current_password: current, new_password: next, confirm_password: confirm };

    const matchState = () => {
      if (!confirm.input.value) { confirm.clearError(); return; }
      confirm.setError(confirm.input.value === next.input.value ? '' : 'The two new passwords do not match yet.');
    };
    confirm.input.addEventListener('input', matchState);
    next.input.addEventListener('input', () => { next.clearError(); if (confirm.input.value) matchState(); });

    const form = h('form', { class: 'form auth-form', novalidate: true },
      notice.el, current.el, next.el, rules.el, confirm.el, submit, h('p', { class: 'form-alt' }, logoutBtn));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      notice.clear();
      for (const f of Object.values(fields)) f.clearError();
      const problems = [];
      if (!current.input.value) { current.setError('Enter your current password.'); problems.push(current); }
      if (!rules.ok()) { next.setError('The new password does not meet all the requirements below.'); problems.push(next); }
      else if (next.input.value === current.input.value) { next.setError('The new password must be different from your current password.'); problems.push(next); }
      if (confirm.input.value !== next.input.value) { confirm.setError('The two new passwords do not match.'); problems.push(confirm); }
      if (problems.length) { problems[0].input.focus(); return; }
      const restore = busy(submit, 'Changing password…');
      try {
        await api('/users/me/password', { method: 'PUT', body: { current_password: current.input.value, new_password: next.input.value } });
        await renewToken(user.username, next.input.value, user.sessionId);
        setFlash('Your password has been changed. Welcome!', 'success');
        ctx.navigate('/', { replace: true });
      } catch (err) {
        restore();
        if (err.handled) return;
        if (err.status === 400 && /current password/i.test(err.detail || '')) {
          current.setError('Current password is incorrect.');
          notice.show('error', 'Current password is incorrect.');
          current.input.focus();
        } else if (err.status === 400 && /different/i.test(err.detail || '')) {
          next.setError('New password must be different from current password.');
          notice.show('error', 'New password must be different from current password.');
          next.input.focus();
        } else {
          showFormError(err, notice, fields);
        }
      }
    });

    container.append(h('div', { class: 'auth-wrap' },
      h('div', { class: 'card auth-card' },
        h('div', { class: 'auth-head' },
          h('h1', { tabindex: '-1', class: 'page-title', text: 'Choose a new password' }),
          h('p', { class: 'page-subtitle' }, 'Hello ', h('strong', { text: user.username }), '. Before you continue, please replace the password you were given with one only you know.')),
        form)));
  },
};
