// photorestore web client: boots the router, draws the header navigation, and applies the
// site-wide rules (401 → back to login with a message; 403 "Password change required" →
// the change-password page; logout calls the API, then forgets the token).

import { h, replace, icon } from './dom.js';
import { clearToken, currentUser, onUnauthorized, onPasswordRequired } from './api.js';
import { logout } from './session.js';
import { addRoute, setNotFound, onRender, startRouter, navigate, currentPath } from './router.js';
import { setFlash, takeFlash, toast } from './ui.js';
import loginPage from './pages/login.js';
import changePasswordPage from './pages/change-password.js';
import restorePage from './pages/restore.js';
import historyPage from './pages/history.js';
import profilePage from './pages/profile.js';
import adminUsersPage from './pages/admin-users.js';
import notFoundPage from './pages/not-found.js';

addRoute({ path: '/login', page: loginPage, public: true, guestOnly: true });
addRoute({ path: '/change-password', page: changePasswordPage });
addRoute({ path: '/', page: restorePage });
addRoute({ path: '/history', page: historyPage });
addRoute({ path: '/profile', page: profilePage });
addRoute({ path: '/admin/users', page: adminUsersPage, admin: true });
setNotFound(notFoundPage);

// ---- 401 / forced password change ------------------------------------------------------------

const UNAUTHORIZED_TEXT = {
  'Not authenticated': 'Please log in to continue.',
  'Could not validate credentials': 'Your sign-in is no longer valid (it may have expired). Please log in again.',
  'Session has been terminated': 'Session has been terminated: you were logged out of this device. Please log in again.',
  'User account has been disabled': 'User account has been disabled. Contact an administrator if you think this is a mistake.',
  'User account no longer exists': 'User account no longer exists.',
};

let redirecting = false;
onUnauthorized((detail) => {
  if (redirecting) return;
  redirecting = true;
  clearToken();
  setFlash(UNAUTHORIZED_TEXT[detail] || (detail ? `${detail}. Please log in again.` : 'Your session has ended. Please log in again.'), 'warning');
  const here = window.location.pathname + window.location.search;
  const next = currentPath() === '/login' ? '' : `?next=${encodeURIComponent(here)}`;
  navigate(`/login${next}`, { replace: true });
  setTimeout(() => { redirecting = false; }, 500);
});

onPasswordRequired(() => {
  if (currentPath() === '/change-password') return;
  setFlash('You need to choose a new password before you can continue.', 'warning');
  navigate('/change-password', { replace: true });
});

// ---- header ----------------------------------------------------------------------------------

const NAV = [
  { href: '/', label: 'Restore' },
  { href: '/history', label: 'History' },
  { href: '/profile', label: 'Profile' },
  { href: '/admin/users', label: 'Users', admin: true },
];

const header = document.querySelector('.site-header');
const nav = document.getElementById('site-nav');
const toggle = document.getElementById('nav-toggle');

function setMenu(open) {
  header.classList.toggle('menu-open', open);
  toggle.setAttribute('aria-expanded', String(open));
}

toggle.addEventListener('click', () => setMenu(toggle.getAttribute('aria-expanded') !== 'true'));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && header.classList.contains('menu-open')) { setMenu(false); toggle.focus(); }
});

const flashArea = document.getElementById('flash-area');

function drawFlash() {
  const flash = takeFlash();
  if (!flash) { flashArea.replaceChildren(); return; }
  const close = h('button', { type: 'button', class: 'btn btn-ghost btn-icon flash-close', 'aria-label': 'Dismiss message' }, icon('close'));
  const box = h('div', { class: `notice notice-${flash.kind} flash` }, h('p', { text: flash.message }), close);
  close.addEventListener('click', () => box.remove());
  replace(flashArea, box);
}

function drawHeader(ctx) {
  drawFlash();
  setMenu(false);
  const user = ctx.user;
  if (!user) {
    nav.hidden = true;
    toggle.hidden = true;
    nav.replaceChildren();
    return;
  }
  const path = ctx.path;
  const links = user.mustChange ? [] : NAV.filter((n) => !n.admin || user.role === 'admin');
  const list = h('ul', { class: 'nav-links' }, links.map((n) => {
    const active = n.href === '/' ? path === '/' : path === n.href || path.startsWith(`${n.href}/`);
    return h('li', null, h('a', { href: n.href, class: 'nav-link', 'aria-current': active ? 'page' : null }, n.label));
  }));
  const logoutBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm nav-logout' }, icon('logout'), 'Log out');
  logoutBtn.addEventListener('click', () => { logoutBtn.disabled = true; logout(); });
  const who = h('span', { class: 'nav-user' },
    h('span', { class: 'visually-hidden', text: 'Signed in as ' }),
    h('span', { class: 'nav-username', text: user.username }),
    user.role === 'admin' ? h('span', { class: 'badge badge-admin', text: 'admin' }) : null);
  replace(nav, list, h('div', { class: 'nav-account' }, who, logoutBtn));
  nav.hidden = false;
  toggle.hidden = false;
}

onRender(drawHeader);

// Another tab logged out or in: follow it.
window.addEventListener('storage', (e) => {
  if (e.key !== 'token') return;
  const user = currentUser();
  if (!user && currentPath() !== '/login') {
    setFlash('You were logged out in another tab.', 'info');
    navigate('/login', { replace: true });
  } else if (user && currentPath() === '/login') {
    navigate('/', { replace: true });
  }
});

window.addEventListener('unhandledrejection', (e) => {
  const err = e.reason;
  if (err && (err.handled || err.aborted)) { e.preventDefault(); return; }
  if (err && err.name === 'ApiError') {
    e.preventDefault();
    toast(err.message, 'error');
  }
});

document.getElementById('boot-loading')?.remove();
startRouter();
