// /login: username or email, password, remember me. Explains wrong credentials, rate limiting
// (with a countdown taken from Retry-After) and network errors in plain words.

import { h } from '../dom.js';
import { api, setToken, decodeToken, setRememberMe, getRememberMe, ApiError, errorMessages } from '../api.js';
import { field, passwordField, checkbox, createNotice, showFormError, busy } from '../ui.js';
import { formatDuration, formatClock } from '../format.js';

function safeNext(next) {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login') || next.startsWith('/change-password')) return '/';
  return next;
}

export default {
  title: 'Log in',
  render(container, ctx) {
    const notice = createNotice();
    const username = field({ label: 'Username or email', name: 'username', autocomplete: 'username', required: true, attrs: { autocapitalize: 'none', spellcheck: 'false', maxlength: '100', 'data-autofocus': '' } });
    const password = passwordField({ label: 'Password', name: 'password', autocomplete: 'current-password', required: true, attrs: { maxlength: '200' } });
    const remember = checkbox({ label: 'Remember me', name: 'remember_me', checked: getRememberMe(), hint: 'Keep me signed in on this device for longer.' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Log in');
    const form = h('form', { class: 'form auth-form', novalidate: true, 'aria-describedby': 'login-intro' },
      notice.el, username.el, password.el, remember.el, submit);

    let timer = null;
    let lockedUntil = 0;
    const fields = { username, password };

    function lockFor(seconds) {
      lockedUntil = Date.now() + seconds * 1000;
      const until = new Date(lockedUntil);
      submit.disabled = true;
      const tick = () => {
        const left = (lockedUntil - Date.now()) / 1000;
        if (left <= 0) {
          clearInterval(timer);
          timer = null;
          submit.disabled = false;
          notice.show('info', 'You can try logging in again now.');
          return;
        }
        submit.textContent = `Try again in ${formatDuration(left)}`;
      };
      notice.show('error', [`Too many failed login attempts. For your security, logging in is paused. Try again in ${formatDuration(seconds)} (at ${formatClock(until)}).`]);
      tick();
      clearInterval(timer);
      timer = setInterval(() => {
        tick();
        if (!timer) submit.textContent = 'Log in';
      }, 1000);
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      notice.clear();
      username.clearError();
      password.clearError();
      const u = username.input.value.trim();
      const p = password.input.value;
      let bad = false;
      if (!u) { username.setError('Enter your username or email address.'); bad = true; }
      if (!p) { password.setError('Enter your password.'); bad = true; }
      if (bad) { (u ? password : username).input.focus(); return; }
      const restore = busy(submit, 'Logging in…');
      try {
        const data = await api('/auth/login', { method: 'POST', auth: false, body: { username: u, password: p, remember_me: remember.input.checked } });
        if (!data || !data.access_token || !decodeToken(data.access_token)) throw new ApiError({ status: 200, message: 'The server answered without a valid sign-in token. Please try again.' });
        setToken(data.access_token);
        setRememberMe(remember.input.checked);
        const claims = decodeToken(data.access_token);
        if (claims.password_must_change === true) ctx.navigate('/change-password', { replace: true });
        else ctx.navigate(safeNext(ctx.params.get('next')), { replace: true });
        return;
      } catch (err) {
        restore();
        if (err.status === 401) {
          notice.show('error', 'Invalid credentials: the username, email or password is not right. Please check them and try again.');
          password.input.select();
          password.input.focus();
        } else if (err.status === 429) {
          lockFor(err.retryAfter ?? 60);
        } else if (err.network) {
          notice.show('error', 'Cannot reach the server. Check your internet connection and try again.');
        } else if (err.status === 422) {
          showFormError(err, notice, fields);
        } else {
          notice.show('error', errorMessages(err));
        }
      }
    });

    container.append(
      h('div', { class: 'auth-wrap' },
        h('div', { class: 'card auth-card' },
          h('div', { class: 'auth-head' },
            h('img', { src: '/favicon.svg', alt: '', width: '48', height: '48', class: 'auth-logo' }),
            h('h1', { tabindex: '-1', class: 'page-title', text: 'Log in to photorestore' }),
            h('p', { id: 'login-intro', class: 'page-subtitle', text: 'Bring old, faded and scratched photos back to life.' })),
          form)),
    );
    return () => clearInterval(timer);
  },
};
