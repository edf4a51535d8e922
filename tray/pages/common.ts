/// <reference lib="dom.iterable" />
/**
 * Shared helpers of the window pages: a tiny DOM builder whose text comes from the locale
 * files (data-i18n keys, re-translated in place when the language changes, so typed input
 * survives a switch), times in Vietnam time (agent/protocol/time.ts), and the VI/EN switch.
 */
import type { KysoBridge } from '../bridge.ts';
import { formatTime } from '../../agent/protocol/time.ts';
import { t, type Locale, type MessageKey } from '../i18n.ts';
import { splitHost } from './domain.ts';

declare global {
  interface Window {
    kyso: KysoBridge;
  }
}

type Params = Record<string, string | number>;

export interface Props {
  class?: string;
  i18n?: MessageKey;
  params?: Params;
  /** Names of params holding ISO times shown as a day ("23/11/2026", Vietnam time). */
  dates?: string[];
  /** Names of params holding ISO times shown in full ("23/11/2026 11:08:09 (+07:00)"). */
  times?: string[];
  text?: string;
  /** Key of the element's accessible name (aria-label), translated like the text. */
  label?: MessageKey;
  /** Key of an input's placeholder. */
  placeholder?: MessageKey;
  attrs?: Record<string, string>;
  on?: Partial<Record<'click' | 'submit' | 'change' | 'input' | 'keydown', (event: Event) => void>>;
}

export function h(
  tag: string,
  props: Props = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElement {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.i18n) {
    el.dataset['i18n'] = props.i18n;
    if (props.params) el.dataset['params'] = JSON.stringify(props.params);
    if (props.dates) el.dataset['dates'] = props.dates.join(',');
    if (props.times) el.dataset['times'] = props.times.join(',');
  }
  if (props.label) el.dataset['i18nLabel'] = props.label;
  if (props.placeholder) el.dataset['i18nPlaceholder'] = props.placeholder;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const [k, fn] of Object.entries(props.on ?? {})) if (fn) el.addEventListener(k, fn);
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

/** Children without the absent ones (optional parts of a page). */
export function present(...children: (Node | string | null | undefined)[]): (Node | string)[] {
  return children.filter((c): c is Node | string => c !== null && c !== undefined);
}

export function translate(root: ParentNode, locale: Locale): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const params = el.dataset['params'] ? (JSON.parse(el.dataset['params']) as Params) : {};
    for (const [list, part] of [
      [el.dataset['dates'], 'date'],
      [el.dataset['times'], 'datetime'],
    ] as const) {
      for (const name of list?.split(',') ?? []) {
        const value = params[name];
        if (typeof value === 'string') params[name] = formatTime(value, part);
      }
    }
    el.textContent = t(locale, el.dataset['i18n'] as MessageKey, params);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(locale, el.dataset['i18nLabel'] as MessageKey));
  }
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) {
    el.placeholder = t(locale, el.dataset['i18nPlaceholder'] as MessageKey);
  }
}

const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * Keeps Tab inside the window's controls: from the last control to the first and back, so
 * focus never rests on the page body (a dialog has nothing else to tab to).
 */
export function trapFocus(): void {
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const controls = [...document.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => !(el as HTMLButtonElement).disabled && el.offsetParent !== null,
    );
    const first = controls[0];
    const last = controls.at(-1);
    if (!first || !last) return;
    const active = document.activeElement;
    const outside =
      !active || active === document.body || !controls.includes(active as HTMLElement);
    if (e.shiftKey && (active === first || outside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || outside)) {
      e.preventDefault();
      first.focus();
    }
  });
}

let applyCurrent: (() => void) | undefined;

/** Translates the page again (after changing data-i18n attributes). */
export function retranslate(): void {
  applyCurrent?.();
}

export interface PageContext {
  bridge: KysoBridge;
  locale: () => Locale;
  root: HTMLElement;
}

/**
 * Starts a page: builds it with `render`, translates it, and keeps it translated when the
 * language changes (here or from another window). `relocalise` re-renders parts whose
 * content depends on the language beyond plain keys (e.g. doctor findings).
 */
export async function boot(
  page: MessageKey,
  render: (ctx: PageContext) => Promise<void> | void,
  relocalise?: (locale: Locale) => void,
): Promise<void> {
  const bridge = window.kyso;
  let locale = await bridge.locale();
  const root = document.getElementById('app') ?? document.body;
  const apply = () => {
    document.documentElement.lang = locale;
    document.title = t(locale, page);
    translate(document, locale);
    for (const b of document.querySelectorAll<HTMLButtonElement>('.lang button')) {
      b.setAttribute('aria-pressed', String(b.dataset['lang'] === locale));
    }
  };
  applyCurrent = apply;
  bridge.onLocaleChanged((next) => {
    locale = next;
    relocalise?.(locale);
    apply();
  });
  trapFocus();
  try {
    await render({ bridge, locale: () => locale, root });
  } finally {
    apply();
    document.body.dataset['ready'] = 'true';
  }
}

/** VI | EN switch shown on every window. */
export function langSwitch(bridge: KysoBridge): HTMLElement {
  const button = (lang: Locale, label: string) =>
    h('button', {
      text: label,
      attrs: {
        type: 'button',
        'data-lang': lang,
        lang,
        title: lang === 'vi' ? 'Tiếng Việt' : 'English',
        'aria-label': lang === 'vi' ? 'Tiếng Việt' : 'English',
      },
      on: { click: () => void bridge.setLocale(lang) },
    });
  return h(
    'div',
    { class: 'lang', label: 'lang.switch', attrs: { role: 'group' } },
    button('vi', 'VI'),
    button('en', 'EN'),
  );
}

export function header(bridge: KysoBridge, heading: MessageKey): HTMLElement {
  return h('header', {}, h('h1', { i18n: heading }), langSwitch(bridge));
}

/**
 * A website's address with its registrable domain (the owner) in bold and the rest muted:
 * "https://vanban.hanoi.gov.vn.evil.com" shows **evil.com** as the part that counts.
 */
export function originView(origin: string, id?: string): HTMLElement {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (!url) return h('span', { class: 'origin', text: origin, attrs: id ? { id } : {} });
  const { prefix, domain } = splitHost(url.hostname);
  return h(
    'span',
    { class: 'origin', attrs: id ? { id } : {} },
    h('span', { class: 'scheme', text: `${url.protocol}//${prefix}` }),
    h('strong', { class: 'domain', text: domain }),
    url.port ? h('span', { class: 'scheme', text: `:${url.port}` }) : null,
  );
}

/** A two-column fact list: [label key, value]. */
export function facts(rows: [MessageKey, Node | string][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    ...rows.flatMap(([key, value]) => [h('dt', { i18n: key }), h('dd', {}, value)]),
  );
}
