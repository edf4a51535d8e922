/** The compatibility script's pure parts: request parsing, dates, names, replies, Status. */
import { describe, expect, it } from 'vitest';
import { createVgcaGlobals, installVgcaGlobals } from './index.ts';
import { batchRequest, displayName, documentRequest, issuedDate, nameFromUrl } from './params.ts';
import { KysoClientError, catalog } from '../client/index.ts';
import { failureOf } from './compat.ts';
import { failure, statusOf, tooLargeFailure, VGCA_STATUS, VgcaError } from './status.ts';
import { dispositionName, fromBase64, handlerResult, ownBytes, toBase64 } from './transfer.ts';

describe('issuedDate (Vietnam time)', () => {
  it.each([
    ['2019-03-20T10:00:00+07:00', '2019-03-20'],
    ['2019-03-20T00:30:00+07:00', '2019-03-20'],
    ['2019-03-19T17:30:00.000Z', '2019-03-20'], // JSON of a Date: 00:30 in Hà Nội
    ['2019-03-19T16:59:59Z', '2019-03-19'],
    ['2019-03-20', '2019-03-20'],
    ['20/03/2019', '2019-03-20'],
    ['1/2/2020', '2020-02-01'],
  ])('%s → %s', (input, expected) => {
    expect(issuedDate(input)).toBe(expected);
  });

  it('a JS Date passed in the params object', () => {
    const date = new Date('2026-11-30T20:30:00Z');
    expect(issuedDate(documentRequest({ IssuedDate: date }).IssuedDate)).toBe('2026-12-01');
    expect(issuedDate(documentRequest(JSON.stringify({ IssuedDate: date })).IssuedDate)).toBe(
      '2026-12-01',
    );
  });

  it('empty: today in Vietnam; nonsense and zone-less times are refused', () => {
    expect(issuedDate('', new Date('2026-12-31T18:00:00Z'))).toBe('2027-01-01');
    for (const bad of ['31/02/2020', 'hôm nay', '2019-03-20T10:00:00', '2019-13-01']) {
      expect(() => issuedDate(bad), bad).toThrow(VgcaError);
    }
  });
});

describe('requests', () => {
  it('document calls: usual members, any casing, MetaData', () => {
    const r = documentRequest(
      JSON.stringify({
        FileUploadHandler: '/up',
        sessionId: 'abc',
        JwtToken: 't',
        FileName: '/f.pdf',
        MetaData: [{ Key: 'docId', Value: 12 }],
        DocNumber: '12/QĐ-UBND',
      }),
    );
    expect(r).toMatchObject({
      FileUploadHandler: '/up',
      SessionId: 'abc',
      JWTToken: 't',
      FileName: '/f.pdf',
      MetaData: [{ Key: 'docId', Value: '12' }],
      DocNumber: '12/QĐ-UBND',
      IssuedDate: '',
    });
    expect(() => documentRequest('not json')).toThrow(/VGCA_BAD_PARAMS/);
    expect(() => documentRequest('{"MetaData": {"a": 1}}')).toThrow(/MetaData/);
  });

  it('batches: URL falls back to FileName, FileID to the index', () => {
    const r = batchRequest({ Files: [{ FileName: '/a.pdf' }, { FileID: 7, URL: '/b.pdf' }] });
    expect(r.Files).toEqual([
      { FileID: 0, FileName: '/a.pdf', URL: '/a.pdf' },
      { FileID: 7, FileName: '/b.pdf', URL: '/b.pdf' },
    ]);
    expect(() => batchRequest({ Files: [] })).toThrow(/Files/);
  });
});

describe('names', () => {
  it('from URLs and Content-Disposition, without control or bidi characters', () => {
    expect(nameFromUrl('/api/Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%2012.pdf?x=1')).toBe(
      'Quyết định 12.pdf',
    );
    expect(dispositionName(`attachment; filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh.pdf`)).toBe(
      'Tờ trình.pdf',
    );
    expect(dispositionName('attachment; filename="a b.pdf"')).toBe('a b.pdf');
    expect(displayName('a\u202Efdp.exe\u0007')).toBe('afdp.exe');
    expect(displayName('  ')).toBe('document.pdf');
  });
});

describe('handler replies', () => {
  it('a plugin-shaped JSON reply passes through; other bodies become FileServer', () => {
    const json = { Status: 0, Message: 'ok', FileServer: '/s/1', Extra: 1 };
    expect(handlerResult({ httpStatus: 200, body: JSON.stringify(json) }, 'a.pdf')).toEqual({
      ...json,
      FileName: 'a.pdf',
    });
    expect(handlerResult({ httpStatus: 200, body: ' /uploads/a.pdf\n' }, 'a.pdf')).toEqual({
      Status: 0,
      Message: '',
      FileName: 'a.pdf',
      FileServer: '/uploads/a.pdf',
    });
    const nested = '{"path":"/x","id":3}';
    expect(handlerResult({ httpStatus: 200, body: nested }, 'a.pdf').FileServer).toBe(nested);
    const refused = { Status: 2, Message: 'Hết phiên đăng nhập' };
    expect(
      handlerResult({ httpStatus: 200, body: JSON.stringify(refused) }, 'a.pdf'),
    ).toMatchObject(refused);
  });
});

describe('Status', () => {
  it('groups Kyso codes so pages can tell "not running" from token problems', () => {
    expect(statusOf('AGENT_NOT_RUNNING')).toBe(VGCA_STATUS.AGENT_UNAVAILABLE);
    expect(statusOf('ORIGIN_NOT_ALLOWED')).toBe(VGCA_STATUS.AGENT_UNAVAILABLE);
    expect(statusOf('PIN_LOCKED')).toBe(VGCA_STATUS.TOKEN);
    expect(statusOf('TOKEN_NOT_PRESENT')).toBe(VGCA_STATUS.TOKEN);
    expect(statusOf('PDF_ENCRYPTED')).toBe(VGCA_STATUS.DOCUMENT);
    expect(statusOf('USER_CANCELLED')).toBe(VGCA_STATUS.CANCELLED);
    expect(statusOf('SOMETHING_NEW')).toBe(VGCA_STATUS.OTHER);
  });

  it('failures carry the Vietnamese text in Message and Error, and the code', () => {
    expect(failure('AGENT_NOT_RUNNING')).toMatchObject({
      Status: 8,
      ErrorCode: 'AGENT_NOT_RUNNING',
      Message: expect.stringMatching(/^Kyso Agent chưa chạy/),
      Error: expect.stringMatching(/^Kyso Agent chưa chạy/),
    });
    expect(failure('VGCA_UPLOAD_FAILED', { detail: 'HTTP 500' }).Message).toMatch(/\(HTTP 500\)$/);
  });
});

describe('documents over the agent limit', () => {
  it('Status 6 (the document), DOCUMENT_TOO_LARGE, both sizes in each language', () => {
    expect(statusOf('DOCUMENT_TOO_LARGE')).toBe(VGCA_STATUS.DOCUMENT);
    const r = tooLargeFailure({ size: 26_529_997, maxDocumentBytes: 20 * 1024 * 1024 });
    expect(r).toMatchObject({
      Status: 6,
      ErrorCode: 'DOCUMENT_TOO_LARGE',
      Details: { size: 26_529_997, maxDocumentBytes: 20 * 1024 * 1024 },
    });
    expect(r.Message).toMatch(
      /^Văn bản quá lớn để ký số: tệp 25,3 MB, Kyso Agent nhận tối đa 20 MB\./,
    );
    expect(r.Error).toBe(r.Message);
    expect(r.MessageEn).toMatch(/the file is 25.3 MB, Kyso Agent takes at most 20 MB\./);
    expect(tooLargeFailure({ size: 3000, maxDocumentBytes: 2048 }).Message).toMatch(
      /tệp 2,9 KB, Kyso Agent nhận tối đa 2 KB/,
    );
  });

  it("the SDK's and the agent's DOCUMENT_TOO_LARGE get the same reply; without sizes, the catalog's", () => {
    const details = { size: 5 * 1024 * 1024, maxDocumentBytes: 4 * 1024 * 1024, index: 0 };
    const sdk = new KysoClientError('DOCUMENT_TOO_LARGE', catalog.DOCUMENT_TOO_LARGE, { details });
    expect(failureOf(sdk)).toEqual(tooLargeFailure(details));
    expect(failureOf(new VgcaError('DOCUMENT_TOO_LARGE', undefined, details))).toEqual(
      tooLargeFailure(details),
    );
    expect(tooLargeFailure({})).toMatchObject({
      Status: 6,
      Message: catalog.DOCUMENT_TOO_LARGE.vi,
    });
  });
});

describe('base64 (FileBase64)', () => {
  it('the table fallback matches Node on sizes around the 3-byte groups and on 5 MiB', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 5 * 1024 * 1024 + 1]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);
      const text = toBase64(bytes);
      expect(text, String(n)).toBe(Buffer.from(bytes).toString('base64'));
      // Buffer.equals: vitest's deep equality walks 5 MiB element by element.
      expect(Buffer.from(fromBase64(text)).equals(bytes), String(n)).toBe(true);
    }
  });

  it('ownBytes keeps a plain ArrayBuffer view and copies other views', () => {
    const plain = new Uint8Array([1, 2, 3]);
    expect(ownBytes(plain)).toBe(plain);
    const shared = new Uint8Array(new SharedArrayBuffer(3)).fill(7);
    const owned = ownBytes(shared);
    expect(owned.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...owned]).toEqual([7, 7, 7]);
  });
});

describe('globals', () => {
  it('defines the plugin functions; bad params reach the callback as a string', async () => {
    const target: Record<string, unknown> = {};
    const api = installVgcaGlobals(target);
    for (const name of Object.keys(createVgcaGlobals(() => ({})))) {
      expect(typeof target[name], name).toBe('function');
    }
    const approved = target.vgca_sign_approved as (p: unknown, cb: (r: string) => void) => void;
    const got = await new Promise<string>((resolve) => approved('{oops', resolve));
    expect(typeof got).toBe('string');
    expect(JSON.parse(got)).toMatchObject({ Status: 2, ErrorCode: 'VGCA_BAD_PARAMS' });
    api.configure({ uploadFieldName: 'file' });
    target.KysoVgcaOptions = { uploadFieldName: 'x', timeoutMs: 5 };
    expect(api.options()).toMatchObject({ uploadFieldName: 'file', timeoutMs: 5 });
    target.KysoVgcaAgentDefault = 'ws://127.0.0.1:6000';
    expect(api.options().agentUrl).toBe('ws://127.0.0.1:6000');
    api.configure({ agentUrl: 'ws://127.0.0.1:7000' });
    expect(api.options().agentUrl).toBe('ws://127.0.0.1:7000');
  });
});
