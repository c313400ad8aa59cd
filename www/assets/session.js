// Logging out: tell the server (POST /auth/logout deletes this session), then forget the token.

import { api, clearToken } from './api.js';
import { navigate } from './router.js';
import { setFlash } from './ui.js';

export async function logout() {
  try {
    await api('/auth/logout', { method: 'POST', global: false });
  } catch {
    // The session may already be gone (401) or the server unreachable: forget the token anyway.
  }
  clearToken();
  setFlash('You have been logged out.', 'success');
  navigate('/login');
}
