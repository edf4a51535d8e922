import { describe, expect, it, vi } from 'vitest';
import { ConsentQueue } from '../consent/index.ts';
import type { Journal, NewJournalRecord } from '../journal/index.ts';
import type { CertificateInfo, TokenService } from '../tokens/index.ts';
import { placementFrom } from './placement.ts';
import { SigningPipeline } from './pipeline.ts';
import { SigningService } from './service.ts';

const caller = { origin: 'cli:tester', requestId: 'cli:1', signal: new AbortController().signal };

/** Any access throws: proves a path never reaches that dependency. */
const untouched = new Proxy(
  {},
  {
    get: () => {
      throw new Error('must not be called');
    },
  },
);

describe('SigningService', () => {
  it('refuses document names that could spoof the dialog, for every method, before any token call', async () => {
    const service = new SigningService({
      tokens: untouched as never,
      consent: untouched as never,
      queue: new ConsentQueue(),
      journal: untouched as never,
      pinCache: untouched as never,
    });
    await expect(
      service.sign(
        { origin: 'https://a.test', requestId: '1:1', signal: new AbortController().signal },
        {
          method: 'sign.pdfs',
          certificateId: 'a'.repeat(64),
          scheme: undefined,
          kind: 'pdf',
          documents: [
            { name: 'ok.pdf', hashAlgorithm: 'SHA-256', digest: Buffer.alloc(32) },
            { name: 'x\u202Efdp.exe', hashAlgorithm: 'SHA-256', digest: Buffer.alloc(32) },
          ],
        },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'documents[1].name' } });
  });
});

describe('PDF pipeline', () => {
  it('refuses an expired certificate before any PDF is opened, and journals the refusal', async () => {
    const expired = {
      id: 'e'.repeat(64),
      tokenId: 'softhsm:1',
      hasPrivateKey: true,
      notBefore: '2020-01-01T00:00:00Z',
      notAfter: '2021-01-01T00:00:00Z',
      keyUsage: ['digitalSignature', 'nonRepudiation'],
      subject: { text: 'CN=Expired' },
    } as unknown as CertificateInfo;
    const tokens = {
      getCertificate: vi.fn(() => Promise.resolve(expired)),
      getToken: vi.fn(() => Promise.reject(new Error('not reached'))),
      onEvent: () => () => undefined,
    } as unknown as TokenService;
    const records: NewJournalRecord[] = [];
    const journal = {
      append: (record: NewJournalRecord) => {
        records.push(record);
        return Promise.resolve();
      },
    } as unknown as Journal;
    const preparePdf = vi.fn(() => Promise.reject(new Error('a PDF was opened')));
    const pipeline = new SigningPipeline({
      tokens,
      consent: untouched as never,
      journal,
      pinCache: { enabled: false, ttlSeconds: 60 },
      trust: { anchors: [], intermediates: [] },
      preparePdf,
    });
    await expect(
      pipeline.pdf.signOne(caller, {
        method: 'sign.pdf',
        certificateId: expired.id,
        scheme: undefined,
        hash: 'SHA-256',
        item: {
          name: 'a.pdf',
          input: '/nonexistent/not-a.pdf',
          options: { preset: 'plain', appearance: {} },
        },
      }),
    ).rejects.toMatchObject({ code: 'CERTIFICATE_EXPIRED' });
    expect(preparePdf).not.toHaveBeenCalled();
    expect(records).toMatchObject([
      {
        origin: 'cli:tester',
        method: 'sign.pdf',
        result: 'failed',
        errorCode: 'CERTIFICATE_EXPIRED',
        documents: [{ name: 'a.pdf', hashAlgorithm: 'SHA-256' }],
      },
    ]);
  });
});

describe('placementFrom', () => {
  it('is a rect or an anchor, never both; pages count from 1', () => {
    expect(placementFrom({ page: 2, rect: [1, 2, 3, 4] }, 'f')).toEqual({
      page: 1,
      rect: [1, 2, 3, 4],
    });
    expect(placementFrom({ anchor: 'Ký tên' }, 'f')).toEqual({ anchor: 'Ký tên' });
    expect(placementFrom({}, 'f')).toBeUndefined();
    expect(() => placementFrom({ rect: [1, 2, 3, 4], anchor: 'x' }, '--rect')).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        details: expect.objectContaining({ field: '--rect' }),
      }),
    );
    expect(() => placementFrom({ page: 0 }, 'f')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
