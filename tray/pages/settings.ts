/** Settings: allowed websites (revoke), PIN cache policy, language. */
import type { SettingsView } from '../bridge.ts';
import { isLocale } from '../i18n.ts';
import { boot, present, h, header, retranslate, originView } from './common.ts';

void boot('window.settings', async ({ bridge, root, locale }) => {
  let view = await bridge.settings();

  const origins = h('ul', { class: 'cards', attrs: { id: 'origins' } });
  const renderOrigins = (v: SettingsView) => {
    origins.replaceChildren(
      ...v.adminOrigins.map((origin) =>
        h(
          'li',
          { class: 'row' },
          originView(origin),
          h('span', { class: 'badge', i18n: 'settings.adminOrigin' }),
        ),
      ),
      ...v.approvedOrigins.map((o, i) =>
        h(
          'li',
          { class: 'row' },
          h(
            'span',
            {},
            originView(o.origin, `origin-${i}`),
            h('br'),
            h('small', {
              class: 'muted',
              i18n: 'settings.approvedAt',
              params: { date: o.approvedAt },
              times: ['date'],
            }),
          ),
          h('button', {
            i18n: 'settings.revoke',
            attrs: {
              type: 'button',
              'data-origin': o.origin,
              class: 'danger',
              id: `revoke-${i}`,
              'aria-labelledby': `revoke-${i} origin-${i}`,
            },
            on: {
              click: () =>
                void bridge.revokeOrigin(o.origin).then((next) => {
                  view = next;
                  renderOrigins(next);
                  retranslate();
                }),
            },
          }),
        ),
      ),
    );
    if (v.adminOrigins.length + v.approvedOrigins.length === 0) {
      origins.append(h('li', { class: 'muted', i18n: 'settings.noOrigins' }));
    }
  };
  renderOrigins(view);

  const enabled = h('input', { attrs: { type: 'checkbox', id: 'pin-cache' } }) as HTMLInputElement;
  enabled.checked = view.pinCache.enabled;
  const ttl = h('input', {
    attrs: { type: 'number', id: 'pin-cache-ttl', min: '1', max: '480', step: '1' },
  }) as HTMLInputElement;
  ttl.value = String(Math.round(view.pinCache.ttlSeconds / 60));
  if (!view.pinCacheAllowed) {
    enabled.disabled = true;
    ttl.disabled = true;
  }
  const syncTtl = () => (ttl.disabled = !view.pinCacheAllowed || !enabled.checked);
  enabled.addEventListener('change', syncTtl);
  syncTtl();

  const language = h(
    'select',
    { attrs: { id: 'language', 'aria-labelledby': 'language-heading' } },
    h('option', { i18n: 'lang.vi', attrs: { value: 'vi' } }),
    h('option', { i18n: 'lang.en', attrs: { value: 'en' } }),
  ) as HTMLSelectElement;
  language.value = locale();
  language.addEventListener('change', () => {
    if (isLocale(language.value)) void bridge.setLocale(language.value);
  });
  bridge.onLocaleChanged((next) => (language.value = next));

  const saved = h('p', { class: 'saved', attrs: { id: 'saved', 'aria-live': 'polite' } });
  const save = async () => {
    const minutes = Math.min(480, Math.max(1, Math.round(Number(ttl.value) || 5)));
    view = await bridge.saveSettings({
      pinCache: { enabled: enabled.checked, ttlSeconds: minutes * 60 },
    });
    saved.dataset['i18n'] = 'settings.saved';
    retranslate();
  };

  root.append(
    ...present(
      header(bridge, 'settings.heading'),
      h('h2', { i18n: 'settings.origins' }),
      origins,
      h('h2', { i18n: 'settings.pinCache' }),
      view.pinCacheAllowed ? null : h('p', { class: 'alert info', i18n: 'settings.pinCacheAdmin' }),
      h('label', { class: 'check' }, enabled, h('span', { i18n: 'settings.pinCacheEnabled' })),
      h('label', { class: 'inline' }, h('span', { i18n: 'settings.pinCacheTtl' }), ttl),
      h('h2', { i18n: 'settings.language', attrs: { id: 'language-heading' } }),
      language,
      h(
        'div',
        { class: 'buttons' },
        saved,
        h('button', {
          class: 'primary',
          i18n: 'settings.save',
          attrs: { type: 'button', id: 'save' },
          on: { click: () => void save() },
        }),
      ),
    ),
  );
});
