// The model catalogue (GET /api/v1/models), fetched once per page load.

import { api } from './api.js';

let cache = null;

/** Resolves to the list of ModelInfo objects. */
export function loadModels({ signal } = {}) {
  if (!cache) {
    cache = api('/models', { signal: undefined }).then((data) => (data && Array.isArray(data.models) ? data.models : []));
    cache.catch(() => { cache = null; });
  }
  if (!signal) return cache;
  return Promise.race([cache, new Promise((_, reject) => signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { aborted: true })), { once: true }))]);
}

/** A display name for a model id (falls back to the id). */
export function modelName(models, id) {
  const m = (models || []).find((x) => x.id === id);
  return m ? m.name || m.id : id;
}

/** Groups models by category, keeping first-seen order. */
export function groupByCategory(models) {
  const groups = new Map();
  for (const m of models) {
    const key = m.category || 'other';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(m);
  }
  return groups;
}

export const PROVIDER_LABELS = { local: 'Runs on this server', huggingface: 'Hugging Face', replicate: 'Replicate' };
