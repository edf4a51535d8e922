/**
 * Every window page in Debian's Chromium (playwright-core), built with esbuild exactly as
 * Electron loads them, with a test bridge in place of the preload. Screenshots go to
 * test-results/tray/.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../../native-test/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserFindings,
  certificateFindings,
  countsText,
  portFindings,
  tokenFindings,
  worstOf,
  type DoctorReport,
} from '../../agent/doctor/index.ts';
import { catalog, signWarning } from '../../agent/protocol/index.ts';
import type { CertificateInfo, TokenInfo } from '../../agent/tokens/types.ts';
import type { DialogRequest, SettingsView, StatusView } from '../bridge.ts';
import { buildPages } from '../build.ts';

const SHOTS = join(process.cwd(), 'test-results', 'tray');
let browser: Browser;
let server: Server;
let base: string;

beforeAll(async () => {
  const dir = await buildPages(mkdtempSync(join(tmpdir(), 'kyso-pages-')));
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
  };
  server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    if (path === 'favicon.ico') return void res.writeHead(204).end();
    try {
      const body = readFileSync(join(dir, path));
      res.writeHead(200, {
        'content-type': `${types[extname(path)] ?? 'application/octet-stream'}; charset=utf-8`,
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

interface BridgeData {
  locale: 'vi' | 'en';
  dialog?: DialogRequest;
  status?: StatusView;
  settings?: SettingsView;
  doctor?: DoctorReport;
}

/** Opens a page with a test bridge recording every call in window.__calls. */
async function open(
  name: string,
  data: BridgeData,
  size = { width: 480, height: 600 },
): Promise<Page> {
  const page = await browser.newPage({
    viewport: size,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript((d: BridgeData) => {
    const calls: unknown[][] = [];
    const listeners: ((l: 'vi' | 'en') => void)[] = [];
    let locale = d.locale;
    let settings = d.settings;
    Object.assign(window, { __calls: calls });
    Object.assign(window, {
      kyso: {
        locale: async () => locale,
        setLocale: async (l: 'vi' | 'en') => {
          calls.push(['setLocale', l]);
          locale = l;
          for (const f of listeners) f(l);
        },
        onLocaleChanged: (f: (l: 'vi' | 'en') => void) => listeners.push(f),
        dialogRequest: async () => d.dialog,
        dialogRespond: async (r: unknown) => {
          calls.push(['respond', r]);
        },
        status: async () => d.status,
        settings: async () => settings,
        saveSettings: async (u: { pinCache?: SettingsView['pinCache'] }) => {
          calls.push(['save', u]);
          if (settings && u.pinCache) settings = { ...settings, pinCache: u.pinCache };
          return settings;
        },
        revokeOrigin: async (o: string) => {
          calls.push(['revoke', o]);
          if (settings)
            settings = {
              ...settings,
              approvedOrigins: settings.approvedOrigins.filter((x) => x.origin !== o),
            };
          return settings;
        },
        runDoctor: async () => d.doctor,
      },
    });
  }, data);
  await page.goto(`${base}/${name}.html`);
  await page.waitForSelector('body[data-ready="true"]');
  expect(errors).toEqual([]);
  return page;
}

const calls = (page: Page) =>
  page.evaluate(() => (window as unknown as { __calls: unknown[][] }).__calls);
const text = (page: Page, selector: string) => page.locator(selector).innerText();
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

const NOW = Date.now();
const DAY = 86_400_000;

function token(overrides: Partial<TokenInfo> = {}, pin: Partial<TokenInfo['pin']> = {}): TokenInfo {
  return {
    id: 'm/1',
    moduleId: 'm',
    slotId: '1',
    slotDescription: '',
    label: 'VNPT-CA Lãnh đạo',
    serialNumber: '0123',
    manufacturer: 'Feitian',
    model: 'ePass2003',
    present: true,
    loginRequired: true,
    protectedAuthenticationPath: false,
    hardwareSlot: true,
    removableDevice: true,
    pin: {
      countLow: false,
      finalTry: false,
      locked: false,
      toBeChanged: false,
      initialized: true,
      ...pin,
    },
    minPinLength: 6,
    maxPinLength: 16,
    ...overrides,
  };
}

function cert(commonName: string, daysLeft: number): CertificateInfo {
  return {
    id: commonName,
    tokenId: 'm/1',
    label: commonName,
    keyId: '01',
    hasPrivateKey: true,
    alwaysAuthenticate: false,
    subject: {
      text: `CN=${commonName}`,
      attributes: [{ type: 'CN', oid: '2.5.4.3', value: commonName }],
    },
    issuer: {
      text: 'CN=CA phục vụ các cơ quan Nhà nước G2',
      attributes: [{ type: 'CN', oid: '2.5.4.3', value: 'CA phục vụ các cơ quan Nhà nước G2' }],
    },
    commonName,
    serialNumber: '01',
    notBefore: new Date(NOW - 400 * DAY).toISOString(),
    notAfter: new Date(NOW + daysLeft * DAY + 3600_000).toISOString(),
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    extendedKeyUsage: [],
    keyAlgorithm: 'RSA',
    keySize: 2048,
    isCA: false,
    certificate: '',
  };
}

const ORIGIN = 'https://vanban.hanoi.gov.vn';

describe('PIN window', () => {
  const dialog = (
    pin: Partial<TokenInfo['pin']> = {},
    extra: Partial<TokenInfo> = {},
    previous = false,
  ): DialogRequest => ({
    kind: 'pin',
    request: {
      token: token(extra, pin),
      certificate: cert('Nguyễn Văn Ánh', 400),
      origin: ORIGIN,
      ...(previous ? { previousAttempt: 'incorrect' as const } : {}),
    },
  });

  it('shows token, certificate and origin, and returns the PIN typed', async () => {
    const page = await open('pin', { locale: 'vi', dialog: dialog() });
    expect(await text(page, 'h1')).toBe('Nhập mã PIN của thiết bị ký số');
    expect(await page.title()).toBe('Nhập mã PIN — Kyso');
    const facts = await text(page, '.facts');
    expect(facts).toContain('VNPT-CA Lãnh đạo (Feitian ePass2003)');
    expect(facts).toContain('Nguyễn Văn Ánh');
    expect(facts).toContain(ORIGIN);
    expect(await page.locator('#pin').getAttribute('type')).toBe('password');
    await page.fill('#pin', '123456');
    await shot(page, 'pin-vi');
    await page.click('#submit');
    expect(await calls(page)).toEqual([['respond', { kind: 'pin', pin: '123456' }]]);
    await page.close();
  });

  it('refuses a PIN outside the token length, with a message in the chosen language', async () => {
    const page = await open('pin', { locale: 'vi', dialog: dialog() });
    await page.fill('#pin', '12');
    await page.press('#pin', 'Enter');
    expect(await text(page, '#pin-error')).toBe('Mã PIN phải có từ 6 đến 16 ký tự.');
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, '#pin-error')).toBe('The PIN must be 6 to 16 characters long.');
    expect(await calls(page)).toEqual([['setLocale', 'en']]);
    await page.close();
  });

  it('switches to English and keeps what was typed', async () => {
    const page = await open('pin', { locale: 'vi', dialog: dialog({ countLow: true }, {}, true) });
    await page.fill('#pin', '654321');
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, 'h1')).toBe('Enter your token PIN');
    expect(await page.title()).toBe('Enter PIN — Kyso');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.inputValue('#pin')).toBe('654321');
    expect(await text(page, '#incorrect')).toBe(catalog.PIN_INCORRECT.en);
    expect(await text(page, '#count-low')).toContain('A wrong PIN was entered before');
    await shot(page, 'pin-en-wrong-pin');
    await page.click('#submit');
    expect((await calls(page)).at(-1)).toEqual(['respond', { kind: 'pin', pin: '654321' }]);
    await page.close();
  });

  it('warns on the final try, hints at the PIN pad, and cancels with Escape', async () => {
    const page = await open('pin', {
      locale: 'vi',
      dialog: dialog({ finalTry: true, countLow: true }, { protectedAuthenticationPath: true }),
    });
    expect(await text(page, '#final-try')).toBe(
      'Chỉ còn MỘT lần thử: nhập sai lần nữa thiết bị sẽ bị khóa.',
    );
    expect(await page.locator('#count-low').count()).toBe(0);
    expect(await text(page, '#pin-pad')).toContain('nhập mã PIN trên đầu đọc');
    await shot(page, 'pin-vi-final-try');
    await page.keyboard.press('Escape');
    await page.click('#submit').catch(() => undefined);
    expect(await calls(page)).toEqual([['respond', { kind: 'pin', pin: null }]]);
    await page.close();
  });

  it('disables entry on a locked token; Cancel answers null', async () => {
    const page = await open('pin', { locale: 'vi', dialog: dialog({ locked: true }) });
    expect(await page.locator('#pin').isDisabled()).toBe(true);
    expect(await page.locator('#show').isDisabled()).toBe(true);
    expect(await page.locator('#submit').isDisabled()).toBe(true);
    expect(await page.getAttribute('#pin', 'aria-describedby')).toContain('locked');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('cancel');
    expect(await text(page, '.alert.error')).toContain('Mã PIN đã bị khóa');
    await shot(page, 'pin-vi-locked');
    await page.press('body', 'Enter').catch(() => undefined);
    await page.click('#cancel');
    expect(await calls(page)).toEqual([['respond', { kind: 'pin', pin: null }]]);
    await page.close();
  });
});

describe('PIN-pad reader window', () => {
  const dialog = (): DialogRequest => ({
    kind: 'reader',
    request: {
      token: token({
        protectedAuthenticationPath: true,
        pinEntry: 'reader',
        label: 'KYSO PINPAD TEST',
        manufacturer: 'Kyso',
        model: 'PIN pad',
      }),
      certificate: cert('Nguyễn Văn Ánh', 400),
      origin: ORIGIN,
    },
  });

  it('tells to enter the PIN on the reader, with no PIN field, in Vietnamese and English', async () => {
    const page = await open(
      'reader',
      { locale: 'vi', dialog: dialog() },
      { width: 460, height: 400 },
    );
    expect(await text(page, 'h1')).toBe('Nhập mã PIN trên bàn phím của đầu đọc');
    expect(await page.title()).toBe('Nhập mã PIN trên đầu đọc — Kyso');
    const facts = await text(page, '.facts');
    expect(facts).toContain('KYSO PINPAD TEST (Kyso PIN pad)');
    expect(facts).toContain('Nguyễn Văn Ánh');
    expect(facts).toContain(ORIGIN);
    expect(await text(page, '#reader-wait')).toContain('Đầu đọc đang chờ mã PIN');
    expect(await page.locator('input').count()).toBe(0);
    expect(await page.locator('#reader-wait').getAttribute('role')).toBe('status');
    await shot(page, 'reader-vi');
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, 'h1')).toBe("Enter the PIN on the reader's keypad");
    expect(await page.title()).toBe('PIN on the reader — Kyso');
    expect(await text(page, '#reader-closes')).toBe(
      'This window closes by itself when the reader answers.',
    );
    await shot(page, 'reader-en');
    // Nothing to answer: the main process closes the window.
    expect(await calls(page)).toEqual([['setLocale', 'en']]);
    await page.close();
  });
});

describe('origin approval window', () => {
  const dialog: DialogRequest = { kind: 'origin', request: { origin: ORIGIN } };

  it('shows the website and allows it', async () => {
    const page = await open('origin', { locale: 'vi', dialog }, { width: 480, height: 420 });
    expect(await text(page, '#domain')).toBe('hanoi.gov.vn');
    expect(await text(page, '#origin')).toBe('https://vanban.hanoi.gov.vn');
    expect(await text(page, '#origin .domain')).toBe('hanoi.gov.vn');
    expect(await page.locator('#look-alike').count()).toBe(0);
    expect(await text(page, '#allow')).toBe('Cho phép');
    await shot(page, 'origin-vi');
    await page.click('#allow');
    expect(await calls(page)).toEqual([['respond', { kind: 'origin', allow: true }]]);
    await page.close();
  });

  it('denies it (also in English), and answers only once', async () => {
    const page = await open('origin', { locale: 'en', dialog }, { width: 480, height: 420 });
    expect(await text(page, 'h1')).toBe('Allow this website to sign?');
    await shot(page, 'origin-en');
    await page.click('#deny');
    await page.click('#allow');
    expect(await calls(page)).toEqual([['respond', { kind: 'origin', allow: false }]]);
    await page.close();
  });

  it('puts the registrable domain of a look-alike address first, with a warning', async () => {
    const evil: DialogRequest = {
      kind: 'origin',
      request: { origin: 'https://vanban.hanoi.gov.vn.evil.com' },
    };
    for (const locale of ['vi', 'en'] as const) {
      const page = await open('origin', { locale, dialog: evil }, { width: 480, height: 420 });
      expect(await text(page, '#domain')).toBe('evil.com');
      expect(await text(page, '#origin')).toBe('https://vanban.hanoi.gov.vn.evil.com');
      expect(await text(page, '#origin .domain')).toBe('evil.com');
      expect(await text(page, '#look-alike')).toContain('evil.com');
      await shot(page, `origin-${locale}-look-alike`);
      await page.close();
    }
  });
});

describe('focus order', () => {
  /** Tab ids from the focused control, twice round: never the body, always a control. */
  async function tabOrder(page: Page, presses: number): Promise<string[]> {
    const order: string[] = [];
    for (let i = 0; i < presses; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const el = document.activeElement;
          return !el || el === document.body
            ? 'BODY'
            : el.id || `${el.tagName.toLowerCase()}[${el.getAttribute('data-lang') ?? ''}]`;
        }),
      );
    }
    return order;
  }

  it('cycles through the controls of the origin dialog without stopping on the body', async () => {
    const page = await open('origin', {
      locale: 'vi',
      dialog: { kind: 'origin', request: { origin: ORIGIN } },
    });
    expect(await tabOrder(page, 5)).toEqual(['allow', 'button[vi]', 'button[en]', 'deny', 'allow']);
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('deny');
    await page.close();
  });

  it('tabs through the signing dialog: language, search, the list, the buttons', async () => {
    const page = await open('signing', {
      locale: 'vi',
      dialog: {
        kind: 'signing',
        request: {
          origin: ORIGIN,
          certificate: cert('Nguyễn Văn Ánh', 400),
          token: token(),
          kind: 'pdf',
          documents: Array.from({ length: 30 }, (_, i) => ({
            name: `Văn bản ${i}`,
            hashAlgorithm: 'SHA-256' as const,
            digestHex: 'ab'.repeat(32),
          })),
        },
      },
    });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('refuse');
    expect(await tabOrder(page, 7)).toEqual([
      'approve',
      'button[vi]',
      'button[en]',
      'search',
      'documents',
      'refuse',
      'approve',
    ]);
    await page.close();
  });

  it('gives every control of every dialog an accessible name', async () => {
    const dialogs: [string, DialogRequest][] = [
      ['origin', { kind: 'origin', request: { origin: ORIGIN } }],
      [
        'pin',
        {
          kind: 'pin',
          request: { token: token(), certificate: cert('Nguyễn Văn Ánh', 400), origin: ORIGIN },
        },
      ],
      [
        'signing',
        {
          kind: 'signing',
          request: {
            origin: ORIGIN,
            certificate: cert('Nguyễn Văn Ánh', 400),
            token: token(),
            kind: 'hash',
            documents: Array.from({ length: 10 }, (_, i) => ({
              name: `Văn bản ${i}`,
              hashAlgorithm: 'SHA-256' as const,
              digestHex: 'ab'.repeat(32),
            })),
          },
        },
      ],
    ];
    for (const [name, dialog] of dialogs) {
      const page = await open(name, { locale: 'vi', dialog });
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('button, input, select, [tabindex="0"]')]
          .filter((el) => {
            const labelled = (el as HTMLInputElement).labels?.length ?? 0;
            const byId = (el.getAttribute('aria-labelledby') ?? '')
              .split(' ')
              .some((id) => document.getElementById(id)?.textContent?.trim());
            return !(
              labelled > 0 ||
              byId ||
              el.getAttribute('aria-label') ||
              el.textContent?.trim()
            );
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unnamed, name).toEqual([]);
      expect(await page.getAttribute('.lang', 'aria-label')).toBe('Ngôn ngữ');
      await page.close();
    }
  });
});

describe('signing consent window', () => {
  const documents = Array.from({ length: 200 }, (_, i) => ({
    name: `Quyết định số ${100 + i}/QĐ-UBND về việc phê duyệt kế hoạch.pdf`,
    hashAlgorithm: 'SHA-256' as const,
    digestHex: (i + 10).toString(16).repeat(32).slice(0, 64),
    preset: 'approval' as const,
    documentNumber: `${100 + i}/QĐ-UBND`,
    documentDate: '2026-11-23',
  }));
  const dialog = (count: number, kind: 'pdf' | 'hash' = 'pdf'): DialogRequest => ({
    kind: 'signing',
    request: {
      origin: ORIGIN,
      certificate: cert('Nguyễn Văn Ánh', 400),
      token: token(),
      kind,
      documents: documents.slice(0, count),
    },
  });

  it('lists every document of a batch of 200, searchable, and approves', async () => {
    const page = await open(
      'signing',
      { locale: 'vi', dialog: dialog(200) },
      { width: 520, height: 760 },
    );
    expect(await text(page, '#approve')).toBe('Ký 200 văn bản');
    expect(await page.locator('#documents li').count()).toBe(200);
    expect(await page.locator('.more').count()).toBe(0);
    expect(await text(page, '#documents li:last-child')).toContain('Quyết định số 299/QĐ-UBND');
    const facts = await text(page, '.facts');
    expect(facts).toContain('Nguyễn Văn Ánh');
    expect(facts).toContain('CA phục vụ các cơ quan Nhà nước G2');
    expect(facts).toMatch(/Còn 400 ngày \(đến \d\d\/\d\d\/\d{4}\)/);
    expect(await text(page, '#preset')).toBe('Chữ ký của người có thẩm quyền');
    expect(await text(page, '#documents li:first-child')).toContain('Số: 100/QĐ-UBND');
    expect(await text(page, '#documents li:first-child')).toContain('Ngày: 23/11/2026');
    expect(await page.locator('#hash-note').count()).toBe(0);
    // The list scrolls inside the window rather than growing it.
    const box = await page.locator('#documents').boundingBox();
    expect(box?.height ?? 0).toBeLessThanOrEqual(360);
    expect(
      await page
        .locator('#documents')
        .evaluate((el) => el.scrollHeight > el.clientHeight * 10 && el.tabIndex === 0),
    ).toBe(true);
    expect(await text(page, '#shown')).toBe('Đang hiện 200/200 văn bản');
    await shot(page, 'signing-vi-batch');
    // Without diacritics, by number.
    await page.fill('#search', 'quyet dinh so 15');
    expect(await page.locator('#documents li:visible').count()).toBe(10);
    expect(await text(page, '#shown')).toBe('Đang hiện 10/200 văn bản');
    await page.fill('#search', '299/QĐ');
    expect(await page.locator('#documents li:visible').count()).toBe(1);
    // Still numbered as the 200th document of the batch.
    expect(await page.locator('#documents li:visible').getAttribute('value')).toBe('200');
    await shot(page, 'signing-vi-batch-search');
    await page.fill('#search', 'không có');
    expect(await page.locator('#no-match').isVisible()).toBe(true);
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, '#shown')).toBe('Showing 0 of 200 documents');
    expect(await text(page, '#no-match')).toBe('No document matches your search.');
    await page.fill('#search', '');
    expect(await page.locator('#documents li:visible').count()).toBe(200);
    await shot(page, 'signing-en-batch');
    await page.click('#approve');
    expect((await calls(page)).at(-1)).toEqual(['respond', { kind: 'signing', approve: true }]);
    await page.close();
  });

  it('refuses a single document, in English, with its number and date', async () => {
    const page = await open(
      'signing',
      { locale: 'vi', dialog: dialog(1) },
      { width: 520, height: 640 },
    );
    expect(await text(page, '#approve')).toBe('Ký 1 văn bản');
    expect(await page.locator('#search').count()).toBe(0);
    const facts = await text(page, '.facts');
    expect(facts).toContain('100/QĐ-UBND');
    expect(facts).toContain('23/11/2026');
    await shot(page, 'signing-vi-single');
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, '#approve')).toBe('Sign 1 document');
    expect(await text(page, 'h2')).toBe('Documents to sign (1) · PDF file');
    expect(await text(page, '#preset')).toBe('Signature of the authorised person');
    await shot(page, 'signing-en-single');
    await page.click('#refuse');
    expect((await calls(page)).at(-1)).toEqual(['respond', { kind: 'signing', approve: false }]);
    await page.close();
  });

  it('says that Kyso cannot see the content when only hashes are signed', async () => {
    const page = await open(
      'signing',
      { locale: 'vi', dialog: dialog(3, 'hash') },
      { width: 520, height: 640 },
    );
    expect(await text(page, '#hash-note')).toContain('Kyso không thấy nội dung văn bản');
    expect(await text(page, 'h2')).toBe('Văn bản sẽ ký (3) · giá trị băm');
    await shot(page, 'signing-vi-hash');
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, '#hash-note')).toContain('Kyso cannot see their content');
    await shot(page, 'signing-en-hash');
    await page.close();
  });
  it('shows the sign warnings of a document, Vietnamese first and English second', async () => {
    const [, second] = documents;
    if (!second) throw new Error('no second document');
    const warned = {
      ...second,
      warnings: [signWarning('DOC_NUMBER_NOT_PLACED', { docNumber: '101/QĐ-UBND' })],
    };
    const request = dialog(3);
    if (request.kind !== 'signing') throw new Error('not a signing dialog');
    request.request.documents[1] = warned;
    const page = await open(
      'signing',
      { locale: 'vi', dialog: request },
      { width: 520, height: 640 },
    );
    expect(await text(page, '#warnings-note')).toContain(
      '1 văn bản sẽ không được ký đúng như yêu cầu',
    );
    expect(await page.locator('.doc-warnings').count()).toBe(1);
    const item = page.locator('#documents li[data-index="1"] .doc-warnings li');
    expect(await item.getAttribute('data-code')).toBe('DOC_NUMBER_NOT_PLACED');
    const lines = (await item.innerText()).split('\n');
    expect(lines[0]).toBe(
      '[DOC_NUMBER_NOT_PLACED] Số, ký hiệu "101/QĐ-UBND" chưa được ghi vào văn bản: văn bản không có ô [SO_VB]. Thêm ô [SO_VB] vào mẫu văn bản, hoặc truyền docNumberPlacement (trang và khung, hoặc chữ neo).',
    );
    expect(lines[1]).toContain(
      'The number and symbol "101/QĐ-UBND" was not written on the document',
    );
    await shot(page, 'signing-vi-warning');
    // The page's language changes the note; the warning keeps both languages, vi first.
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, '#warnings-note')).toContain(
      '1 document(s) will not be signed quite as asked',
    );
    expect((await item.innerText()).split('\n')[0]).toContain(
      '[DOC_NUMBER_NOT_PLACED] Số, ký hiệu',
    );
    await page.click('#approve');
    expect((await calls(page)).at(-1)).toEqual(['respond', { kind: 'signing', approve: true }]);
    await page.close();
  });
});

describe('status window', () => {
  it('lists tokens with PIN state and certificates with expiry', async () => {
    const status: StatusView = {
      now: new Date(NOW).toISOString(),
      agent: { running: true, port: 51987 },
      tokens: [token(), token({ id: 'm/2', label: 'Con dấu UBND' }, { countLow: true })],
      certificates: [
        cert('Nguyễn Văn Ánh', 400),
        cert('UBND tỉnh Thử Nghiệm', 12),
        cert('Trần Thị Cũ', -3),
      ],
    };
    const page = await open('status', { locale: 'vi', status }, { width: 560, height: 760 });
    expect(await text(page, '#tokens')).toContain('Con dấu UBND');
    expect(await text(page, '#tokens')).toContain('Đã nhập sai mã PIN');
    const certs = await text(page, '#certificates');
    expect(certs).toContain('Còn 12 ngày');
    expect(certs).toContain('Sắp hết hạn — liên hệ nơi cấp chứng thư số để gia hạn');
    expect(certs).toMatch(/Đã hết hạn ngày \d\d\/\d\d\/\d{4}/);
    expect(await text(page, '#status')).toContain('Đang chạy tại cổng 51987');
    await shot(page, 'status-vi');
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, '#certificates')).toContain('12 days left');
    await shot(page, 'status-en');
    await page.close();
  });

  it('says so when no token is plugged in', async () => {
    const status: StatusView = {
      now: new Date(NOW).toISOString(),
      agent: { running: false, port: 51987 },
      tokens: [],
      certificates: [],
    };
    const page = await open('status', { locale: 'vi', status });
    expect(await text(page, '#tokens')).toBe('Chưa cắm thiết bị ký số nào.');
    expect(await text(page, '#status')).toContain('Chưa chạy');
    await page.close();
  });
});

describe('settings window', () => {
  const settings: SettingsView = {
    adminOrigins: ['https://vanban.hanoi.gov.vn'],
    approvedOrigins: [
      { origin: 'https://qlvb.example.gov.vn', approvedAt: '2026-11-20T03:00:00.000Z' },
      { origin: 'https://dichvucong.example.vn', approvedAt: '2026-11-21T03:00:00.000Z' },
    ],
    pinCache: { enabled: true, ttlSeconds: 300 },
    pinCacheAllowed: true,
    locale: 'vi',
  };

  it('revokes an approved website, saves the PIN cache policy, switches language', async () => {
    const page = await open('settings', { locale: 'vi', settings }, { width: 560, height: 700 });
    expect(await page.locator('#origins li').count()).toBe(3);
    expect(await text(page, '#origins')).toContain('Do bộ phận CNTT cấu hình');
    expect(await text(page, '#origins')).toContain('Cho phép lúc 20/11/2026 10:00:00 (+07:00)');
    await shot(page, 'settings-vi');
    await page.click('button[data-origin="https://qlvb.example.gov.vn"]');
    await expect.poll(() => page.locator('#origins li').count()).toBe(2);
    await page.uncheck('#pin-cache');
    expect(await page.locator('#pin-cache-ttl').isDisabled()).toBe(true);
    await page.check('#pin-cache');
    await page.fill('#pin-cache-ttl', '10');
    await page.click('#save');
    await expect.poll(() => text(page, '#saved')).toBe('Đã lưu cài đặt.');
    await page.selectOption('#language', 'en');
    expect(await text(page, 'h1')).toBe('Settings');
    expect(await text(page, '#saved')).toBe('Settings saved.');
    await shot(page, 'settings-en');
    expect(await calls(page)).toEqual([
      ['revoke', 'https://qlvb.example.gov.vn'],
      ['save', { pinCache: { enabled: true, ttlSeconds: 600 } }],
      ['setLocale', 'en'],
    ]);
    await page.close();
  });

  it('locks the PIN cache controls when IT has turned caching off', async () => {
    const page = await open('settings', {
      locale: 'vi',
      settings: {
        ...settings,
        pinCacheAllowed: false,
        pinCache: { enabled: false, ttlSeconds: 300 },
      },
    });
    expect(await page.locator('#pin-cache').isDisabled()).toBe(true);
    expect(await text(page, '.alert.info')).toBe('Bộ phận CNTT đã tắt ghi nhớ mã PIN.');
    await page.close();
  });
});

describe('doctor window', () => {
  it('shows findings by section in the chosen language, with fixes and snippets', async () => {
    const findings = [
      ...portFindings(51987, {
        state: 'in-use',
        owner: { pid: 4242, command: 'VGCASignService.exe' },
      }),
      ...tokenFindings([token({}, { finalTry: true })]),
      ...certificateFindings([cert('Nguyễn Văn Ánh', 20)], new Date(NOW), {
        anchors: [],
        intermediates: [],
      }),
      ...browserFindings([ORIGIN], 'windows').slice(0, 2),
    ];
    const doctor: DoctorReport = {
      tool: 'kyso doctor',
      agentVersion: '0.1.0',
      generatedAt: new Date(NOW).toISOString(),
      platform: { os: 'windows', arch: 'x64', node: 'v20' },
      worst: worstOf(findings),
      findings,
    };
    const page = await open('doctor', { locale: 'vi', doctor }, { width: 760, height: 900 });
    expect(await text(page, '#summary')).toBe(`Có lỗi cần sửa. ${countsText(findings).vi}`);
    expect(await text(page, '#counts')).toMatch(/^1 lỗi, 2 cảnh báo, \d+ ghi chú(, \d+ đạt)?$/);
    const badges = await page.locator('.finding .badge').allInnerTexts();
    const order = ['Lỗi', 'Cảnh báo', 'Ghi chú', 'Đạt'];
    expect(badges.map((b) => order.indexOf(b))).toEqual(
      badges.map((b) => order.indexOf(b)).sort((a, b) => a - b),
    );
    expect(await text(page, '.finding:first-child .section')).toBe('Cổng kết nối');
    expect(await text(page, 'main')).toMatch(
      /Kiểm tra lúc \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(\+07:00\)/,
    );
    expect(await text(page, '[data-id="port.in-use"]')).toContain(
      'VGCASignService.exe (tiến trình 4242)',
    );
    expect(await text(page, '[data-id="certificate.expiring"]')).toContain('còn 20 ngày');
    expect(await text(page, '.snippet')).toContain('LocalNetworkAccessAllowedForUrls');
    await shot(page, 'doctor-vi');
    await page.click('.lang button[data-lang="en"]');
    expect(await text(page, '#summary')).toMatch(
      /^There are errors to fix\. 1 error, 2 warnings, \d+ notes(, \d+ passed)?$/,
    );
    expect(await text(page, '[data-id="port.in-use"]')).toContain(
      'Port 51987 is used by another program',
    );
    await shot(page, 'doctor-en');
    await page.close();
  });
});
