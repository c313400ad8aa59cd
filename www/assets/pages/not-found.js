// Fallback for unknown paths.
import { h } from '../dom.js';

export default {
  title: 'Page not found',
  render(container, ctx) {
    container.append(h('div', { class: 'empty-state' },
      h('h1', { tabindex: '-1', class: 'page-title', text: 'Page not found' }),
      h('p', { text: `There is no page at ${ctx.path}.` }),
      h('p', null, h('a', { href: ctx.user ? '/' : '/login', class: 'btn btn-primary' }, ctx.user ? 'Go to Restore' : 'Go to login'))));
  },
};
