// Before/after comparison viewer: slider, side-by-side and toggle modes, zoom and pan.
// All dynamic geometry goes through CSS custom properties set with the CSSOM
// (style.setProperty), which a strict CSP allows; no inline style attributes.

import { h, uid, icon } from './dom.js';

const MIN_ZOOM = 1;
const MAX_ZOOM = 8;
const MODES = [
  { id: 'slider', label: 'Slider' },
  { id: 'side', label: 'Side by side' },
  { id: 'toggle', label: 'Toggle' },
];

let lastMode = 'slider';

/**
 * createCompare({before, after, beforeAlt, afterAlt, aspect: [w, h], onDownload, mode})
 * before/after are image URLs. Returns {el, setAspect(w, h), destroy()}.
 */
export function createCompare(opts) {
  const id = uid('cmp');
  let mode = opts.mode || lastMode;
  let pos = 50;
  let zoom = 1;
  let tx = 0;
  let ty = 0;
  let showing = 'after';

  // --- panes --------------------------------------------------------------------------------
  const pane = (which, src, alt, label) => {
    const img = h('img', { class: 'cmp-img', alt, decoding: 'async', draggable: 'false' });
    const status = h('span', { class: 'cmp-pane-status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { class: 'visually-hidden', text: `Loading ${label.toLowerCase()} image` }));
    const el = h('div', { class: `cmp-pane cmp-${which}` },
      h('div', { class: 'cmp-frame' }, img, status),
      h('span', { class: 'cmp-label', 'aria-hidden': 'true', text: label }));
    img.addEventListener('load', () => {
      el.classList.add('is-loaded');
      status.replaceChildren();
      if (which === 'before' && img.naturalWidth && !opts.aspect) setAspect(img.naturalWidth, img.naturalHeight);
    });
    img.addEventListener('error', () => {
      el.classList.add('is-error');
      status.replaceChildren(h('span', { class: 'cmp-error', text: `The ${label.toLowerCase()} image could not be loaded. Its link may have expired: reload the page to get a new one.` }));
    });
    img.src = src;
    return { el, img };
  };
  const afterPane = pane('after', opts.after, opts.afterAlt || 'Restored photo', 'Restored');
  const beforePane = pane('before', opts.before, opts.beforeAlt || 'Original photo', 'Original');

  // --- divider ------------------------------------------------------------------------------
  const handle = h('div', {
    class: 'cmp-handle', role: 'slider', tabindex: '0', 'aria-label': 'Divider between original and restored',
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '50', 'aria-orientation': 'horizontal',
    'aria-controls': `${id}-stage`,
  }, h('span', { class: 'cmp-handle-grip', 'aria-hidden': 'true' }));
  const divider = h('div', { class: 'cmp-divider' }, handle);

  const helpId = `${id}-help`;
  const stage = h('div', {
    class: 'compare-stage', id: `${id}-stage`, tabindex: '0', role: 'group',
    'aria-roledescription': 'image comparison', 'aria-label': 'Original and restored photo', 'aria-describedby': helpId,
  }, afterPane.el, beforePane.el, divider);

  // --- toolbar ------------------------------------------------------------------------------
  const modeName = `${id}-mode`;
  const modeInputs = MODES.map((m) => {
    const input = h('input', { type: 'radio', name: modeName, id: `${id}-${m.id}`, value: m.id, checked: m.id === mode });
    input.addEventListener('change', () => { if (input.checked) setMode(m.id); });
    return h('span', { class: 'segment' }, input, h('label', { for: `${id}-${m.id}`, text: m.label }));
  });
  const modeGroup = h('fieldset', { class: 'segmented' }, h('legend', { class: 'visually-hidden', text: 'Comparison mode' }), modeInputs);

  const zoomOut = h('button', { type: 'button', class: 'btn btn-secondary btn-icon', 'aria-label': 'Zoom out', title: 'Zoom out (−)' }, icon('minus'));
  const zoomIn = h('button', { type: 'button', class: 'btn btn-secondary btn-icon', 'aria-label': 'Zoom in', title: 'Zoom in (+)' }, icon('plus'));
  const zoomLevel = h('output', { class: 'zoom-level', 'aria-live': 'polite', text: '100%' });
  const zoomReset = h('button', { type: 'button', class: 'btn btn-secondary btn-icon', 'aria-label': 'Reset zoom to fit', title: 'Fit (0)' }, icon('fit'));
  const zoomGroup = h('div', { class: 'zoom-controls', role: 'group', 'aria-label': 'Zoom' }, zoomOut, zoomLevel, zoomIn, zoomReset);
  zoomOut.addEventListener('click', () => setZoom(zoom / 1.5));
  zoomIn.addEventListener('click', () => setZoom(zoom * 1.5));
  zoomReset.addEventListener('click', () => setZoom(1));

  const extra = [];
  if (document.fullscreenEnabled) {
    const fs = h('button', { type: 'button', class: 'btn btn-secondary btn-icon cmp-fullscreen', 'aria-label': 'Full screen', title: 'Full screen' }, icon('expand'));
    fs.addEventListener('click', () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else root.requestFullscreen().catch(() => {});
    });
    extra.push(fs);
  }
  if (opts.onDownload) {
    const dl = h('button', { type: 'button', class: 'btn btn-primary cmp-download' }, icon('download'), 'Download');
    dl.addEventListener('click', () => opts.onDownload(dl));
    extra.push(dl);
  }

  const toolbar = h('div', { class: 'compare-toolbar' }, modeGroup, zoomGroup, extra.length ? h('div', { class: 'compare-extra' }, extra) : null);

  const toggleBtn = h('button', { type: 'button', class: 'btn btn-secondary cmp-toggle-btn', 'aria-pressed': 'false' });
  toggleBtn.addEventListener('click', () => setShowing(showing === 'after' ? 'before' : 'after'));
  const help = h('p', { class: 'compare-help', id: helpId });
  const footer = h('div', { class: 'compare-footer' }, toggleBtn, help);

  const root = h('section', { class: 'compare', 'aria-label': 'Before and after comparison' }, toolbar, stage, footer);

  // --- state appliers -----------------------------------------------------------------------
  function setAspect(w, hgt) {
    if (w > 0 && hgt > 0) root.style.setProperty('--ar', `${w} / ${hgt}`);
  }
  if (opts.aspect) setAspect(opts.aspect[0], opts.aspect[1]);

  function setPos(p) {
    pos = Math.min(100, Math.max(0, p));
    root.style.setProperty('--pos', `${pos}%`);
    handle.setAttribute('aria-valuenow', String(Math.round(pos)));
    handle.setAttribute('aria-valuetext', `${Math.round(pos)}% original, ${Math.round(100 - pos)}% restored`);
  }

  function clampPan() {
    const r = stage.getBoundingClientRect();
    const w = mode === 'side' ? r.width / (window.matchMedia('(max-width: 640px)').matches ? 1 : 2) : r.width;
    const hh = mode === 'side' && window.matchMedia('(max-width: 640px)').matches ? r.height / 2 : r.height;
    const mx = ((zoom - 1) * w) / 2;
    const my = ((zoom - 1) * hh) / 2;
    tx = Math.min(mx, Math.max(-mx, tx));
    ty = Math.min(my, Math.max(-my, ty));
  }

  function applyTransform() {
    clampPan();
    root.style.setProperty('--zoom', String(zoom));
    root.style.setProperty('--tx', `${tx}px`);
    root.style.setProperty('--ty', `${ty}px`);
    root.classList.toggle('is-zoomed', zoom > 1.001);
    root.classList.toggle('is-pixel', zoom >= 3);
    zoomLevel.textContent = `${Math.round(zoom * 100)}%`;
    zoomOut.disabled = zoom <= MIN_ZOOM + 0.001;
    zoomIn.disabled = zoom >= MAX_ZOOM - 0.001;
    zoomReset.disabled = zoom <= MIN_ZOOM + 0.001;
  }

  function setZoom(z) {
    const nz = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
    if (nz === 1) { tx = 0; ty = 0; } else { tx *= nz / zoom; ty *= nz / zoom; }
    zoom = nz;
    applyTransform();
    updateHelp();
  }

  function setShowing(which) {
    showing = which;
    root.dataset.show = which;
    toggleBtn.setAttribute('aria-pressed', String(which === 'before'));
    toggleBtn.textContent = which === 'after' ? 'Show original' : 'Show restored';
    stage.setAttribute('aria-label', which === 'after' ? 'Restored photo (toggle view)' : 'Original photo (toggle view)');
  }

  function updateHelp() {
    if (window.matchMedia('(pointer: coarse)').matches) {
      const pan = zoom > 1 ? ' Drag the picture to move around.' : '';
      help.textContent = {
        slider: `Drag the divider to compare. Zoom with the + and − buttons.${pan}`,
        side: `Original first, restored second. Zoom with the + and − buttons.${pan}`,
        toggle: `Tap the picture or the button to switch between original and restored.${pan}`,
      }[mode];
      return;
    }
    const zoomTip = zoom > 1 ? 'Drag the picture or use the arrow keys to move around. ' : '';
    const texts = {
      slider: `Drag the divider, or focus it and use the arrow keys, to compare. ${zoomTip}Zoom with the buttons, + and −, or Ctrl + scroll.`,
      side: `Original on the left (or top), restored on the right (or below). ${zoomTip}Zoom with the buttons, + and −, or Ctrl + scroll.`,
      toggle: `Click the picture or the button to switch between original and restored. ${zoomTip}Zoom with the buttons, + and −.`,
    };
    help.textContent = texts[mode];
  }

  function setMode(m) {
    mode = m;
    lastMode = m;
    root.dataset.mode = m;
    handle.hidden = m !== 'slider';
    toggleBtn.hidden = m !== 'toggle';
    if (m === 'slider') stage.setAttribute('aria-label', 'Original and restored photo, split by a divider');
    if (m === 'side') stage.setAttribute('aria-label', 'Original and restored photo side by side');
    if (m === 'toggle') setShowing(showing);
    for (const seg of modeInputs) { const i = seg.querySelector('input'); i.checked = i.value === m; }
    applyTransform();
    updateHelp();
  }

  // --- interaction --------------------------------------------------------------------------
  let drag = null;

  function posFromEvent(e) {
    const r = stage.getBoundingClientRect();
    return ((e.clientX - r.left) / r.width) * 100;
  }

  stage.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    const onHandle = e.target instanceof Element && e.target.closest('.cmp-handle');
    if (mode === 'slider' && (onHandle || zoom <= 1.001)) {
      drag = { kind: 'divider' };
      setPos(posFromEvent(e));
    } else if (zoom > 1.001) {
      drag = { kind: 'pan', x: e.clientX, y: e.clientY, tx, ty };
      root.classList.add('is-panning');
    } else {
      drag = { kind: 'click', x: e.clientX, y: e.clientY };
    }
    stage.setPointerCapture(e.pointerId);
    if (drag.kind !== 'click') e.preventDefault();
  });
  stage.addEventListener('pointermove', (e) => {
    if (!drag) return;
    if (drag.kind === 'divider') setPos(posFromEvent(e));
    else if (drag.kind === 'pan') {
      tx = drag.tx + (e.clientX - drag.x);
      ty = drag.ty + (e.clientY - drag.y);
      applyTransform();
    }
  });
  const endDrag = (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    root.classList.remove('is-panning');
    if (e.type === 'pointerup' && mode === 'toggle') {
      const moved = d.kind === 'pan' ? Math.hypot(e.clientX - d.x, e.clientY - d.y) : Math.hypot(e.clientX - (d.x ?? e.clientX), e.clientY - (d.y ?? e.clientY));
      if (moved < 5) setShowing(showing === 'after' ? 'before' : 'after');
    }
  };
  stage.addEventListener('pointerup', endDrag);
  stage.addEventListener('pointercancel', endDrag);

  stage.addEventListener('wheel', (e) => {
    if (!e.ctrlKey) return;
    e.preventDefault();
    setZoom(zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15));
  }, { passive: false });

  stage.addEventListener('keydown', (e) => {
    if (e.target === handle) return;
    const step = e.shiftKey ? 100 : 30;
    switch (e.key) {
      case '+': case '=': setZoom(zoom * 1.5); break;
      case '-': case '_': setZoom(zoom / 1.5); break;
      case '0': setZoom(1); break;
      case 'ArrowLeft': if (zoom <= 1.001) return; tx += step; applyTransform(); break;
      case 'ArrowRight': if (zoom <= 1.001) return; tx -= step; applyTransform(); break;
      case 'ArrowUp': if (zoom <= 1.001) return; ty += step; applyTransform(); break;
      case 'ArrowDown': if (zoom <= 1.001) return; ty -= step; applyTransform(); break;
      case ' ': case 'Enter':
        if (mode !== 'toggle') return;
        setShowing(showing === 'after' ? 'before' : 'after');
        break;
      default: return;
    }
    e.preventDefault();
  });

  handle.addEventListener('keydown', (e) => {
    const big = 10;
    const small = e.shiftKey ? 10 : 2;
    switch (e.key) {
      case 'ArrowLeft': case 'ArrowDown': setPos(pos - small); break;
      case 'ArrowRight': case 'ArrowUp': setPos(pos + small); break;
      case 'PageDown': setPos(pos - big); break;
      case 'PageUp': setPos(pos + big); break;
      case 'Home': setPos(0); break;
      case 'End': setPos(100); break;
      case '+': case '=': setZoom(zoom * 1.5); break;
      case '-': case '_': setZoom(zoom / 1.5); break;
      default: return;
    }
    e.preventDefault();
  });

  const onResize = () => applyTransform();
  window.addEventListener('resize', onResize);

  setPos(50);
  setShowing('after');
  setMode(mode);

  return {
    el: root,
    setAspect,
    destroy() { window.removeEventListener('resize', onResize); },
  };
}
