/** Status window: agent, tokens with PIN state, certificates with expiry. */
import type { StatusView } from '../bridge.ts';
import type { MessageKey } from '../i18n.ts';
import { boot, h, header, retranslate } from './common.ts';

const DAY = 86_400_000;

function pinState(token: StatusView['tokens'][number]): [MessageKey, string] {
  if (token.pin.locked) return ['status.pin.locked', 'error'];
  if (token.pin.finalTry) return ['status.pin.finalTry', 'error'];
  if (token.pin.countLow) return ['status.pin.countLow', 'warn'];
  return ['status.pin.ok', 'ok'];
}

function render(view: StatusView): HTMLElement {
  const now = new Date(view.now).getTime();
  const tokens = view.tokens.length
    ? h(
        'ul',
        { class: 'cards', attrs: { id: 'tokens' } },
        ...view.tokens.map((token) => {
          const [key, tone] = pinState(token);
          return h(
            'li',
            {},
            h('strong', { text: token.label }),
            h('span', { class: 'muted', text: ` ${token.manufacturer} ${token.model}` }),
            h(
              'div',
              {},
              h('span', { class: `badge ${tone}`, i18n: key }),
              token.protectedAuthenticationPath
                ? h('span', { class: 'badge', i18n: 'status.pinPad' })
                : null,
            ),
          );
        }),
      )
    : h('p', { class: 'muted', i18n: 'status.noTokens', attrs: { id: 'tokens' } });
  const certificates = view.certificates.length
    ? h(
        'ul',
        { class: 'cards', attrs: { id: 'certificates' } },
        ...view.certificates.map((c) => {
          const days = Math.floor((new Date(c.notAfter).getTime() - now) / DAY);
          const tone = days < 0 ? 'error' : days <= 30 ? 'warn' : 'ok';
          return h(
            'li',
            { class: tone },
            h('strong', { text: c.commonName }),
            h('div', {
              class: 'muted',
              text: c.issuer.attributes.find((a) => a.type === 'CN')?.value ?? c.issuer.text,
            }),
            h(
              'div',
              {},
              days < 0
                ? h('span', {
                    class: 'badge error',
                    i18n: 'status.expired',
                    params: { date: c.notAfter },
                    dates: ['date'],
                  })
                : h('span', {
                    class: `badge ${tone}`,
                    i18n: 'status.expiresIn',
                    params: { days, date: c.notAfter },
                    dates: ['date'],
                  }),
            ),
            days >= 0 && days <= 30
              ? h('div', { class: 'alert warn', i18n: 'status.expiringSoon' })
              : null,
          );
        }),
      )
    : h('p', { class: 'muted', i18n: 'status.noCertificates', attrs: { id: 'certificates' } });
  return h(
    'div',
    { attrs: { id: 'status' } },
    h('h2', { i18n: 'status.agent' }),
    h(
      'p',
      {},
      view.agent.running
        ? h('span', {
            class: 'badge ok',
            i18n: 'status.agentRunning',
            params: { port: view.agent.port },
          })
        : h('span', { class: 'badge error', i18n: 'status.agentStopped' }),
    ),
    h('h2', { i18n: 'status.tokens' }),
    tokens,
    h('h2', { i18n: 'status.certificates' }),
    certificates,
  );
}

void boot('window.status', async ({ bridge, root }) => {
  let body = render(await bridge.status());
  const refresh = async () => {
    const next = render(await bridge.status());
    body.replaceWith(next);
    body = next;
    retranslate();
  };
  root.append(
    header(bridge, 'status.heading'),
    body,
    h(
      'div',
      { class: 'buttons' },
      h('button', {
        i18n: 'status.refresh',
        attrs: { type: 'button', id: 'refresh' },
        on: { click: () => void refresh() },
      }),
    ),
  );
});
