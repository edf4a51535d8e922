/** PIN entry: token label, certificate, origin, tries-left warnings, pin-pad hint. */
import { boot, facts, h, header, originView, retranslate } from './common.ts';

void boot('window.pin', async ({ bridge, root }) => {
  const dialog = await bridge.dialogRequest();
  if (dialog.kind !== 'pin') throw new Error('not a PIN request');
  const { token, certificate, origin, previousAttempt } = dialog.request;
  const min = token.minPinLength > 0 ? token.minPinLength : 4;
  const max = token.maxPinLength > 0 ? token.maxPinLength : 64;
  let answered = false;
  const respond = (pin: string | null) => {
    if (answered) return;
    answered = true;
    void bridge.dialogRespond({ kind: 'pin', pin });
  };

  const alerts: HTMLElement[] = [];
  if (token.pin.locked)
    alerts.push(
      h('p', { class: 'alert error', i18n: 'pin.locked', attrs: { role: 'alert', id: 'locked' } }),
    );
  else {
    if (previousAttempt === 'incorrect') {
      alerts.push(
        h('p', {
          class: 'alert error',
          i18n: 'pin.incorrect',
          attrs: { role: 'alert', id: 'incorrect' },
        }),
      );
    }
    if (token.pin.finalTry)
      alerts.push(
        h('p', { class: 'alert error', i18n: 'pin.finalTry', attrs: { id: 'final-try' } }),
      );
    else if (token.pin.countLow)
      alerts.push(
        h('p', { class: 'alert warn', i18n: 'pin.countLow', attrs: { id: 'count-low' } }),
      );
  }
  if (token.protectedAuthenticationPath)
    alerts.push(h('p', { class: 'alert info', i18n: 'pin.pinPad', attrs: { id: 'pin-pad' } }));

  const input = h('input', {
    attrs: {
      id: 'pin',
      type: 'password',
      autocomplete: 'off',
      spellcheck: 'false',
      minlength: String(min),
      maxlength: String(max),
      'aria-describedby': 'pin-error',
    },
  }) as HTMLInputElement;
  const error = h('p', { class: 'field-error', attrs: { id: 'pin-error', 'aria-live': 'polite' } });
  const show = h('input', { attrs: { type: 'checkbox', id: 'show' } }) as HTMLInputElement;
  const submitButton = h('button', {
    class: 'primary',
    i18n: 'pin.submit',
    attrs: { type: 'submit', id: 'submit' },
  }) as HTMLButtonElement;
  // A locked PIN cannot be entered: the field, its toggle and Confirm are disabled, and the
  // field points at the reason; only Cancel remains.
  if (token.pin.locked) {
    input.disabled = true;
    show.disabled = true;
    submitButton.disabled = true;
    input.setAttribute('aria-describedby', 'locked pin-error');
  }
  show.addEventListener('change', () => (input.type = show.checked ? 'text' : 'password'));

  const submit = (event: Event) => {
    event.preventDefault();
    if (token.pin.locked) return;
    const pin = input.value;
    if (pin.length < min || pin.length > max) {
      error.dataset['i18n'] = 'pin.length';
      error.dataset['params'] = JSON.stringify({ min, max });
      error.textContent = '';
      input.setAttribute('aria-invalid', 'true');
      retranslate();
      return;
    }
    respond(pin);
  };

  root.append(
    header(bridge, 'pin.heading'),
    facts([
      ['pin.token', `${token.label} (${token.manufacturer} ${token.model})`.trim()],
      ['pin.certificate', certificate.commonName],
      ['pin.origin', originView(origin)],
    ]),
    ...alerts,
    h(
      'form',
      { on: { submit }, attrs: { id: 'pin-form', novalidate: '' } },
      h('label', { i18n: 'pin.label', attrs: { for: 'pin' } }),
      input,
      h('label', { class: 'check' }, show, h('span', { i18n: 'pin.show' })),
      error,
      h(
        'div',
        { class: 'buttons' },
        h('button', {
          i18n: 'common.cancel',
          attrs: { type: 'button', id: 'cancel' },
          on: { click: () => respond(null) },
        }),
        submitButton,
      ),
    ),
    h('p', { class: 'footnote', i18n: 'pin.never' }),
  );
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') respond(null);
  });
  if (token.pin.locked) document.getElementById('cancel')?.focus();
  else input.focus();
});
