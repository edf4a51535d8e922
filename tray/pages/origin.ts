/** Origin approval: may this website use the signing token? */
import { boot, h, header } from './common.ts';

void boot('window.origin', async ({ bridge, root }) => {
  const dialog = await bridge.dialogRequest();
  if (dialog.kind !== 'origin') throw new Error('not an origin request');
  let answered = false;
  const respond = (allow: boolean) => {
    if (answered) return;
    answered = true;
    void bridge.dialogRespond({ kind: 'origin', allow });
  };
  const url = new URL(dialog.request.origin);
  root.append(
    header(bridge, 'origin.heading'),
    h('p', { i18n: 'origin.body' }),
    h(
      'p',
      { class: 'origin big', attrs: { id: 'origin' } },
      h('span', { class: 'scheme', text: `${url.protocol}//` }),
      h('strong', { text: url.host }),
    ),
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
  );
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') respond(false);
  });
  document.getElementById('deny')?.focus();
});
