/**
 * Doctor view: the same findings as `kyso doctor`, in the chosen language: the counts first
 * ("2 lỗi, 1 cảnh báo, 5 đạt"), then every finding worst first, each naming its section.
 */
import {
  bySeverity,
  countsText,
  type DoctorReport,
  type Finding,
} from '../../agent/doctor/types.ts';
import type { Locale, MessageKey } from '../i18n.ts';
import { boot, h, header, retranslate } from './common.ts';

let report: DoctorReport | undefined;
let failure: string | undefined;
const results = h('div', { attrs: { id: 'results', 'aria-live': 'polite' } });

function renderFinding(f: Finding, locale: Locale): HTMLElement {
  return h(
    'li',
    { class: `finding ${f.severity}`, attrs: { 'data-id': f.id } },
    h('span', {
      class: `badge ${f.severity === 'warning' ? 'warn' : f.severity}`,
      i18n: `doctor.severity.${f.severity}` as MessageKey,
    }),
    h('span', { class: 'section', i18n: `doctor.section.${f.section}` as MessageKey }),
    h('span', { class: 'message', text: f.message[locale] }),
    f.fix
      ? h('div', { class: 'fix' }, h('strong', { i18n: 'doctor.fix' }), ': ', f.fix[locale])
      : null,
    f.snippet ? h('pre', { class: 'snippet', text: f.snippet }) : null,
  );
}

function render(locale: Locale): void {
  if (failure !== undefined) {
    results.replaceChildren(
      h('p', { class: 'alert error', i18n: 'doctor.failed', params: { error: failure } }),
    );
    return;
  }
  if (!report) {
    results.replaceChildren(h('p', { class: 'muted', i18n: 'doctor.running' }));
    return;
  }
  const list = h(
    'ul',
    { class: 'findings', attrs: { id: 'findings' } },
    ...bySeverity(report.findings).map((f) => renderFinding(f, locale)),
  );
  const tone = report.worst === 'warning' ? 'warn' : report.worst;
  results.replaceChildren(
    h(
      'div',
      { class: `alert ${tone === 'ok' ? 'ok' : tone}`, attrs: { id: 'summary' } },
      h('strong', { i18n: `doctor.result.${report.worst}` as MessageKey }),
      ' ',
      h('span', { attrs: { id: 'counts' }, text: countsText(report.findings)[locale] }),
    ),
    h(
      'p',
      { class: 'muted small' },
      h('span', {
        i18n: 'doctor.generatedAt',
        params: { time: report.generatedAt },
        times: ['time'],
      }),
    ),
    list,
  );
}

void boot(
  'window.doctor',
  async ({ bridge, root, locale }) => {
    const run = async () => {
      report = undefined;
      failure = undefined;
      render(locale());
      retranslate();
      try {
        report = await bridge.runDoctor();
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      render(locale());
      retranslate();
    };
    root.append(
      header(bridge, 'doctor.heading'),
      h(
        'div',
        { class: 'buttons top' },
        h('button', {
          i18n: 'doctor.run',
          attrs: { type: 'button', id: 'rerun' },
          on: { click: () => void run() },
        }),
      ),
      results,
    );
    await run();
  },
  (locale) => render(locale),
);
