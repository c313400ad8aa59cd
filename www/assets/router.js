// History-API router: route table, guards (signed in, forced password change, admin),
// link interception, focus and title management.

import { currentUser } from './api.js';

const routes = new Map();
let notFound = null;
let renderHook = null;
let current = { cleanup: null, controller: null, seq: 0 };
let started = false;

/** route: {path, page: {title, render(container, ctx)}, public, admin, guestOnly} */
export function addRoute(route) { routes.set(route.path, route); }
export function setNotFound(page) { notFound = page; }
/** hook(ctx) runs before each page renders (the header uses it). */
export function onRender(fn) { renderHook = fn; }

export function currentPath() { return window.location.pathname.replace(/\/+$/, '') || '/'; }

/** Navigates to an app path ("/history?page=2"). */
export function navigate(to, { replace = false, focus = true } = {}) {
  const url = new URL(to, window.location.origin);
  const target = url.pathname + url.search + url.hash;
  const here = window.location.pathname + window.location.search + window.location.hash;
  if (target !== here) {
    if (replace) window.history.replaceState({}, '', target);
    else window.history.pushState({}, '', target);
  }
  render({ focus });
}

/** Updates the query string without re-rendering (pages keep their state in the URL). */
export function setQuery(params) {
  const url = new URL(window.location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  window.history.replaceState({}, '', url.pathname + url.search + url.hash);
}

function resolve(path, user) {
  const route = routes.get(path);
  if (!route) return { page: notFound, route: null };
  if (!route.public && !user) {
    const next = window.location.pathname + window.location.search;
    return { redirect: `/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}` };
  }
  if (user && user.mustChange && path !== '/change-password' && path !== '/login') return { redirect: '/change-password' };
  if (route.guestOnly && user) return { redirect: '/' };
  if (path === '/change-password' && user && !user.mustChange) return { redirect: '/profile' };
  return { page: route.page, route };
}

async function render({ focus = true } = {}) {
  current.seq += 1;
  const seq = current.seq;
  if (current.cleanup) { try { current.cleanup(); } catch { /* page cleanup must not block navigation */ } }
  if (current.controller) current.controller.abort();
  current.cleanup = null;
  current.controller = null;

  let user = currentUser();
  if (user && user.expired) user = null;
  const path = currentPath();
  const res = resolve(path, user);
  if (res.redirect) {
    window.history.replaceState({}, '', res.redirect);
    await render({ focus });
    return;
  }
  const controller = new AbortController();
  current.controller = controller;
  const ctx = {
    user, path, route: res.route,
    params: new URLSearchParams(window.location.search),
    signal: controller.signal,
    navigate,
    isCurrent: () => current.seq === seq,
  };
  if (renderHook) renderHook(ctx);
  const main = document.getElementById('main');
  const container = document.createElement('div');
  container.className = 'page';
  main.replaceChildren(container);
  main.setAttribute('aria-busy', 'true');
  document.title = res.page.title ? `${res.page.title} · photorestore` : 'photorestore';
  try {
    const cleanup = await res.page.render(container, ctx);
    if (current.seq === seq) current.cleanup = typeof cleanup === 'function' ? cleanup : null;
    else if (typeof cleanup === 'function') cleanup();
  } catch (err) {
    if (current.seq === seq && !(err && (err.handled || err.aborted))) {
      const p = document.createElement('p');
      p.className = 'notice notice-error';
      p.textContent = `This page could not be shown: ${err && err.message ? err.message : err}`;
      container.appendChild(p);
    }
  } finally {
    if (current.seq === seq) main.removeAttribute('aria-busy');
  }
  if (current.seq === seq) {
    const autofocus = container.querySelector('[data-autofocus]');
    if (autofocus && (focus || !started)) {
      autofocus.focus();
    } else if (focus && started) {
      const heading = container.querySelector('h1');
      (heading || main).focus({ preventScroll: true });
    }
    if (focus && started) window.scrollTo(0, 0);
  }
}

function isAppLink(a, e) {
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return false;
  if (a.target && a.target !== '_self') return false;
  if (a.hasAttribute('download') || a.dataset.external !== undefined) return false;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('//')) return false;
  return !/^\/(api|uploads|processed|health)(\/|$|\?)/.test(href);
}

/** Starts routing: renders the current URL and handles links and back/forward. */
export function startRouter() {
  document.addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a') : null;
    if (!isAppLink(a, e)) return;
    e.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', () => render({ focus: true }));
  render({ focus: false }).then(() => { started = true; });
}

/** Re-renders the current route (e.g. after the token changed). */
export function refresh() { render({ focus: false }); }
