/** Signing consent: origin, certificate, token, the documents (count for batches). */
import { boot, present, facts, h, header } from './common.ts';

const SHOWN = 8;

void boot('window.signing', async ({ bridge, root }) => {
  const dialog = await bridge.dialogRequest();
  if (dialog.kind !== 'signing') throw new Error('not a signing request');
  const { origin, certificate, token, documents, kind } = dialog.request;
  let answered = false;
  const respond = (approve: boolean) => {
    if (answered) return;
    answered = true;
    void bridge.dialogRespond({ kind: 'signing', approve });
  };
  const count = documents.length;
  const list = h(
    'ol',
    { class: 'documents', attrs: { id: 'documents' } },
    ...documents
      .slice(0, SHOWN)
      .map((d) =>
        h(
          'li',
          {},
          h(
            'div',
            { class: 'doc' },
            h('span', { class: 'doc-name', text: d.name }),
            h(
              'span',
              { class: 'digest', attrs: { title: d.digestHex } },
              `${d.hashAlgorithm} ${d.digestHex.slice(0, 8)}…${d.digestHex.slice(-8)}`,
            ),
          ),
        ),
      ),
  );
  root.append(
    ...present(
      header(bridge, 'signing.heading'),
      facts([
        ['signing.origin', h('span', { class: 'origin', text: origin })],
        ['signing.certificate', h('strong', { text: certificate.commonName })],
        [
          'signing.issuer',
          certificate.issuer.attributes.find((a) => a.type === 'CN')?.value ??
            certificate.issuer.text,
        ],
        [
          'signing.validUntil',
          h('span', {
            i18n: 'status.expiresIn',
            params: { days: daysLeft(certificate.notAfter), date: certificate.notAfter },
            dates: ['date'],
          }),
        ],
        ['signing.token', token.label],
      ]),
      h(
        'h2',
        {},
        h('span', { i18n: 'signing.documents' }),
        ' · ',
        h('span', { i18n: kind === 'pdf' ? 'signing.kind.pdf' : 'signing.kind.hash' }),
      ),
      list,
      count > SHOWN
        ? h('p', { class: 'more', i18n: 'signing.more', params: { count: count - SHOWN } })
        : null,
      h(
        'div',
        { class: 'buttons' },
        h('button', {
          i18n: 'signing.refuse',
          attrs: { type: 'button', id: 'refuse' },
          on: { click: () => respond(false) },
        }),
        h('button', {
          class: 'primary',
          i18n: count === 1 ? 'signing.countOne' : 'signing.countMany',
          params: { count },
          attrs: { type: 'button', id: 'approve' },
          on: { click: () => respond(true) },
        }),
      ),
    ),
  );
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') respond(false);
  });
  document.getElementById('refuse')?.focus();
});

function daysLeft(notAfter: string): number {
  return Math.max(0, Math.floor((new Date(notAfter).getTime() - Date.now()) / 86_400_000));
}
