/**
 * Signing consent: who asks (the registrable domain in bold), with which certificate and
 * token, the Decree 30 preset, and every document of the batch (number and date when the web
 * app gives them) in a scrollable list with a search field, so a batch of hundreds can be
 * checked one by one. For hashes the dialog says that Kyso cannot see the content. Sign
 * warnings known before the signature (protocol/warnings.ts) are shown under their document,
 * Vietnamese first and English second whatever the page's language, like the CLI prints them.
 */
import type { DocumentToSign } from '../../agent/consent/types.ts';
import type { SignWarning } from '../../agent/protocol/index.ts';
import type { MessageKey } from '../i18n.ts';
import { boot, present, facts, h, header, originView, retranslate } from './common.ts';

/** Batches longer than this get the search field. */
const SEARCH_FROM = 6;

/** Lower case without Vietnamese diacritics: "Quyết định" and "quyet dinh" both match. */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'd')
    .toLowerCase();
}

/** One block per warning: `[CODE] vi` then the English words (the catalog's text, filled). */
function warningList(warnings: readonly SignWarning[]): HTMLElement {
  return h(
    'ul',
    { class: 'alert warn doc-warnings' },
    ...warnings.map((w) =>
      h(
        'li',
        { attrs: { 'data-code': w.code } },
        h('span', { attrs: { lang: 'vi' }, text: `[${w.code}] ${w.message.vi}` }),
        h('span', { class: 'muted', attrs: { lang: 'en' }, text: w.message.en }),
      ),
    ),
  );
}

function documentItem(
  d: DocumentToSign,
  index: number,
  showPreset: boolean,
  showMeta: boolean,
): HTMLElement {
  const meta = showMeta
    ? present(
        d.documentNumber
          ? h('span', { i18n: 'signing.numberValue', params: { number: d.documentNumber } })
          : null,
        d.documentDate
          ? h('span', {
              i18n: 'signing.dateValue',
              params: { date: d.documentDate },
              dates: ['date'],
            })
          : null,
        showPreset && d.preset ? h('span', { i18n: `preset.${d.preset}` as MessageKey }) : null,
      )
    : [];
  const item = h(
    'li',
    // value: a filtered list keeps each document's number in the batch.
    { attrs: { 'data-index': String(index), value: String(index + 1) } },
    h(
      'div',
      { class: 'doc' },
      h('span', { class: 'doc-name', text: d.name }),
      h(
        'span',
        { class: 'digest', attrs: { title: `${d.hashAlgorithm} ${d.digestHex}` } },
        `${d.hashAlgorithm} ${d.digestHex.slice(0, 8)}…${d.digestHex.slice(-8)}`,
      ),
    ),
    meta.length > 0 ? h('div', { class: 'doc-meta muted' }, ...meta) : null,
    d.warnings && d.warnings.length > 0 ? warningList(d.warnings) : null,
  );
  item.dataset['search'] = fold([d.name, d.documentNumber ?? '', d.documentDate ?? ''].join(' '));
  return item;
}

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
  const presets = [...new Set(documents.map((d) => d.preset))];
  const commonPreset = presets.length === 1 ? presets[0] : undefined;
  const single = count === 1 ? documents[0] : undefined;
  const warned = documents.filter((d) => (d.warnings?.length ?? 0) > 0).length;

  const items = documents.map((d, i) => documentItem(d, i, commonPreset === undefined, count > 1));
  const list = h(
    'ol',
    {
      class: 'documents',
      attrs: { id: 'documents', tabindex: '0', 'aria-labelledby': 'documents-heading' },
    },
    ...items,
  );
  const noMatch = h('p', {
    class: 'muted',
    i18n: 'signing.noMatch',
    attrs: { id: 'no-match', hidden: '' },
  });
  const shown = h('span', {
    class: 'muted',
    i18n: 'signing.shown',
    params: { shown: count, count },
    attrs: { id: 'shown', 'aria-live': 'polite' },
  });
  const filter = (query: string) => {
    const q = fold(query.trim());
    let visible = 0;
    for (const item of items) {
      const hit = q === '' || (item.dataset['search'] ?? '').includes(q);
      item.hidden = !hit;
      if (hit) visible += 1;
    }
    noMatch.hidden = visible > 0;
    shown.dataset['params'] = JSON.stringify({ shown: visible, count });
    retranslate();
  };
  const search =
    count >= SEARCH_FROM
      ? h(
          'div',
          { class: 'search' },
          h('label', { i18n: 'signing.search', attrs: { for: 'search' } }),
          h('input', {
            placeholder: 'signing.searchHint',
            attrs: { id: 'search', type: 'search', autocomplete: 'off', spellcheck: 'false' },
            on: { input: (e) => filter((e.target as HTMLInputElement).value) },
          }),
          shown,
        )
      : null;

  root.append(
    ...present(
      header(bridge, 'signing.heading'),
      facts([
        ['signing.origin', originView(origin)],
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
        ...(commonPreset
          ? [
              [
                'signing.preset',
                h('span', {
                  i18n: `preset.${commonPreset}` as MessageKey,
                  attrs: { id: 'preset' },
                }),
              ] as [MessageKey, Node],
            ]
          : []),
        ...(single?.documentNumber
          ? [['signing.number', single.documentNumber] as [MessageKey, string]]
          : []),
        ...(single?.documentDate
          ? [
              [
                'signing.date',
                h('span', {
                  i18n: 'signing.dateOnly',
                  params: { date: single.documentDate },
                  dates: ['date'],
                }),
              ] as [MessageKey, Node],
            ]
          : []),
      ]),
      kind === 'hash'
        ? h('p', { class: 'alert warn', i18n: 'signing.hashNote', attrs: { id: 'hash-note' } })
        : null,
      warned > 0
        ? h('p', {
            class: 'alert warn',
            i18n: 'signing.warningsNote',
            params: { count: warned },
            attrs: { id: 'warnings-note', role: 'alert' },
          })
        : null,
      h(
        'h2',
        { attrs: { id: 'documents-heading' } },
        h('span', { i18n: 'signing.documents', params: { count } }),
        ' · ',
        h('span', { i18n: kind === 'pdf' ? 'signing.kind.pdf' : 'signing.kind.hash' }),
      ),
      search,
      list,
      noMatch,
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
