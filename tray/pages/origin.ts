/**
 * Origin approval: may this website use the signing token? The registrable domain (who owns
 * the site, see domain.ts) is shown large, the full address below it, so
 * "https://vanban.hanoi.gov.vn.evil.com" reads as "evil.com".
 */
import { boot, h, header, originView, present } from './common.ts';
import { splitHost } from './domain.ts';

void boot('window.origin', async ({ bridge, root }) => {
  const dialog = await bridge.dialogRequest();
  if (dialog.kind !== 'origin') throw new Error('not an origin request');
  let answered = false;
  const respond = (allow: boolean) => {
    if (answered) return;
    answered = true;
    void bridge.dialogRespond({ kind: 'origin', allow });
  };
  const origin = dialog.request.origin;
  let domain = origin;
  let lookAlike = false;
  try {
    const parts = splitHost(new URL(origin).hostname);
    domain = parts.domain;
    // A left part that itself looks like a domain name ("vanban.hanoi.gov.vn.") is a warning sign.
    lookAlike = /\.(vn|com|net|org|gov)\.$/.test(parts.prefix);
  } catch {
    // not a URL: shown as given
  }
  root.append(
    ...present(
      header(bridge, 'origin.heading'),
      h('p', { i18n: 'origin.body' }),
      h(
        'div',
        { class: 'site' },
        h('p', { class: 'muted site-label', i18n: 'origin.domain' }),
        h('p', { class: 'domain big', attrs: { id: 'domain' }, text: domain }),
        h('p', { class: 'muted site-label', i18n: 'origin.fullAddress' }),
        h('p', { class: 'full' }, originView(origin, 'origin')),
      ),
      lookAlike
        ? h('p', {
            class: 'alert warn',
            i18n: 'origin.lookAlike',
            params: { domain },
            attrs: { id: 'look-alike', role: 'alert' },
          })
        : null,
      h('p', { class: 'alert info', i18n: 'origin.note' }),
      h(
        'div',
        { class: 'buttons' },
        h('button', {
          i18n: 'origin.deny',
          attrs: { type: 'button', id: 'deny' },
          on: { click: () => respond(false) },
        }),
        h('button', {
          class: 'primary',
          i18n: 'origin.allow',
          attrs: { type: 'button', id: 'allow' },
          on: { click: () => respond(true) },
        }),
      ),
    ),
  );
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') respond(false);
  });
  document.getElementById('deny')?.focus();
});
