// Phone-width pass (390×844, touch): no horizontal scrolling on any page, the collapsible
// menu, a restoration with the comparison stacked for a narrow screen, the users table as
// cards. Then the dark theme (prefers-color-scheme) on a desktop-size window.
import { run, photo } from './lib/harness.mjs';

const noOverflow = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

run('mobile', async (t) => {
  const page = await t.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
  const toggle = page.locator('#nav-toggle');

  await t.step('login page fits the phone', async () => {
    await page.goto(`${t.base}/login`);
    await page.locator('#main input[name=username]').waitFor();
    t.assert(await noOverflow(page), 'no horizontal overflow');
    await t.shot(page, 'mobile-login');
    await t.uiLogin(page, t.admin.username, t.admin.password, { expectPath: '/' });
  });

  await t.step('navigation collapses behind a Menu button', async () => {
    t.assert(await toggle.isVisible(), 'Menu button visible');
    t.assert(!(await page.locator('#site-nav a[href="/history"]').isVisible()), 'links hidden');
    t.assert(await toggle.getAttribute('aria-expanded') === 'false', 'aria-expanded=false');
    await toggle.tap();
    t.assert(await toggle.getAttribute('aria-expanded') === 'true', 'aria-expanded=true');
    await page.locator('#site-nav a[href="/history"]').waitFor({ state: 'visible' });
    await t.shot(page, 'mobile-menu');
    await page.locator('#site-nav a[href="/history"]').tap();
    await t.waitPath(page, '/history');
    t.assert(await toggle.getAttribute('aria-expanded') === 'false', 'menu closes after navigating');
    await toggle.tap();
    await page.keyboard.press('Escape');
    t.assert(await toggle.getAttribute('aria-expanded') === 'false', 'Escape closes the menu');
  });

  await t.step('restore a photo on the phone', async () => {
    await page.goto(`${t.base}/`);
    await page.locator('.model-card').first().waitFor();
    t.assert(await noOverflow(page), 'restore page: no horizontal overflow');
    await t.shot(page, 'mobile-restore');
    await page.setInputFiles('#photo-input', photo('astronaut.png'));
    await page.locator('.chosen-name', { hasText: 'astronaut.png' }).waitFor();
    await page.locator('#restore-btn').tap();
    await page.locator('#progress-area[data-state=done]').waitFor({ timeout: 120000 });
    await page.waitForFunction(() => [...document.querySelectorAll('#main .compare .cmp-img')].every((i) => i.complete && i.naturalWidth > 0));
    t.assert(await noOverflow(page), 'result: no horizontal overflow');
    await page.locator('#main .compare').scrollIntoViewIfNeeded();
    await page.waitForTimeout(400);
    await t.shot(page, 'mobile-restore-result');
  });

  await t.step('side by side stacks vertically on a narrow screen', async () => {
    const compare = page.locator('#main .compare');
    await compare.locator('label', { hasText: 'Side by side' }).tap();
    const [a, b] = await compare.locator('.cmp-pane').evaluateAll((ps) => ps.map((p) => p.getBoundingClientRect().toJSON()));
    t.assert(Math.abs(a.left - b.left) < 2 && Math.abs(a.top - b.top) > 50, 'panes stacked');
    t.assert(await noOverflow(page), 'no overflow');
    await compare.locator('label', { hasText: 'Slider' }).tap();
  });

  await t.step('history, profile and users fit the phone', async () => {
    for (const [path, ready, name] of [
      ['/history', '.history-card:not(.is-skeleton)', 'mobile-history'],
      ['/profile', '.session', 'mobile-profile'],
      ['/admin/users', '.users-table tbody tr[data-user-id]', 'mobile-admin-users'],
    ]) {
      await page.goto(`${t.base}${path}`);
      await page.locator(ready).first().waitFor();
      t.assert(await noOverflow(page), `${path}: no horizontal overflow`);
      await t.shot(page, name);
    }
    const headH = await page.locator('.users-table thead').evaluate((e) => e.getBoundingClientRect().height);
    t.assert(headH <= 1, `table header visually hidden (${headH}px): rows are cards`);
    const display = await page.locator('.users-table tbody tr').first().evaluate((r) => getComputedStyle(r).display);
    t.assert(display === 'block', `rows display as cards (${display})`);
  });

  await t.step('touch targets are at least 34 px high', async () => {
    await page.goto(`${t.base}/profile`);
    await page.locator('.session').first().waitFor();
    const small = await page.evaluate(() => [...document.querySelectorAll('#main button, #main input:not([type=checkbox]):not([type=radio]), #main select')]
      .filter((e) => e.offsetParent !== null)
      .map((e) => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
      .filter(([, hgt]) => hgt < 34));
    t.assert(small.length === 0, `small targets: ${JSON.stringify(small)}`);
  });

  await t.step('dark mode follows the system', async () => {
    const dark = await t.newPage({ colorScheme: 'dark', viewport: { width: 1280, height: 900 } });
    await dark.goto(`${t.base}/login`);
    await t.uiLogin(dark, t.admin.username, t.admin.password, { expectPath: '/' });
    const lum = await dark.evaluate(() => {
      const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
      return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    });
    t.assert(lum < 0.2, `dark background (luminance ${lum.toFixed(2)})`);
    await dark.goto(`${t.base}/history`);
    await dark.locator('.history-card:not(.is-skeleton)').first().waitFor();
    await dark.waitForFunction(() => [...document.querySelectorAll('.thumb-img')].every((i) => i.complete && i.naturalWidth > 0));
    await dark.locator('.history-card .thumb-btn').first().click();
    await dark.waitForFunction(() => [...document.querySelectorAll('dialog[open] .cmp-img')].every((i) => i.complete && i.naturalWidth > 0));
    await dark.waitForTimeout(300);
    await t.shot(dark, 'dark-history-compare');
    await dark.keyboard.press('Escape');
    await dark.goto(`${t.base}/admin/users`);
    await dark.locator('.users-table tbody tr[data-user-id]').first().waitFor();
    await t.shot(dark, 'dark-admin-users');
  });
});
