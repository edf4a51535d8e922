/**
 * PIN-pad reader notice: the reader waits for the PIN on its own keypad during the signature.
 * No PIN field (the PIN never passes through Kyso); the main process closes the window when
 * the token answers, fails, or the request goes away.
 */
import { boot, facts, h, header, originView } from './common.ts';

void boot('window.reader', async ({ bridge, root }) => {
  const dialog = await bridge.dialogRequest();
  if (dialog.kind !== 'reader') throw new Error('not a reader notice');
  const { token, certificate, origin } = dialog.request;
  root.append(
    header(bridge, 'reader.heading'),
    facts([
      ['pin.token', `${token.label} (${token.manufacturer} ${token.model})`.trim()],
      ['pin.certificate', certificate.commonName],
      ['pin.origin', originView(origin)],
    ]),
    h(
      'div',
      { class: 'alert info reader-wait', attrs: { id: 'reader-wait', role: 'status' } },
      h('span', { class: 'keypad', attrs: { 'aria-hidden': 'true' }, text: '⌨' }),
      h('span', { i18n: 'reader.waiting' }),
    ),
    h('p', { i18n: 'reader.closes', attrs: { id: 'reader-closes' } }),
    h('p', { class: 'footnote', i18n: 'reader.never' }),
  );
});
