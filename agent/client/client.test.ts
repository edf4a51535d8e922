/** The SDK's result handling without a real agent: a scripted socket answers its requests. */
import { describe, expect, it } from 'vitest';
import {
  catalog,
  KysoClient,
  KysoClientError,
  messageFor,
  warningsOf,
  type SignPdfsProgress,
  type WebSocketLike,
} from './index.ts';

type Answer = (method: string, params: unknown) => unknown;

/** A socket that opens at once and answers each request with `answer`'s result. */
function scriptedSocket(answer: Answer): WebSocketLike {
  const socket: WebSocketLike = {
    readyState: 0,
    onopen: null,
    onclose: null,
    onerror: null,
    onmessage: null,
    send(data: string) {
      const request = JSON.parse(data) as { id: number; method: string; params?: unknown };
      const result = answer(request.method, request.params);
      setTimeout(() =>
        socket.onmessage?.({ data: JSON.stringify({ jsonrpc: '2.0', id: request.id, result }) }),
      );
    },
    close() {
      (socket as { readyState: number }).readyState = 3;
    },
  };
  setTimeout(() => {
    (socket as { readyState: number }).readyState = 1;
    socket.onopen?.({});
  });
  return socket;
}

const info = {
  agent: 'Kyso Agent',
  version: '0.1.0',
  protocolVersion: '1.0',
  origin: 'https://vanban.example.gov.vn',
  methods: ['agent.info', 'sign.pdf', 'sign.pdfs', 'verify.pdf'],
  notifications: ['tokens.changed'],
  limits: { maxPayloadBytes: 1, maxInFlight: 1, maxBatchItems: 1 },
  pinCache: { enabled: false, ttlSeconds: 0 },
};

function clientAnswering(results: Record<string, unknown>): KysoClient {
  return new KysoClient({
    createSocket: () =>
      scriptedSocket((method) => (method === 'agent.info' ? info : results[method])),
  });
}

describe('SDK results', () => {
  it('always have warnings, normalised from strings or objects', async () => {
    const kyso = clientAnswering({
      'sign.pdf': { pdf: 'JVBE', fieldName: 'Signature1', certificateId: 'c', certificate: 'x' },
      'verify.pdf': {
        fileSize: 1,
        signatures: [],
        totalDocumentSigned: false,
        valid: false,
        warnings: ['PDF_ANCHOR_NOT_FOUND', { code: 'NEW_CODE', message: { vi: 'Mới', en: 'New' } }],
      },
    });
    const signed = await kyso.signPdf({ certificateId: 'c', pdf: 'JVBE' });
    expect(signed.warnings).toEqual([]);
    const report = await kyso.verifyPdf({ pdf: 'JVBE' });
    expect(report.warnings).toEqual([
      { code: 'PDF_ANCHOR_NOT_FOUND', message: catalog.PDF_ANCHOR_NOT_FOUND, details: {} },
      { code: 'NEW_CODE', message: { vi: 'Mới', en: 'New' }, details: {} },
    ]);
    expect(warningsOf({ warnings: 'not a list' })).toEqual([]);
    kyso.close();
  });

  it('signPdfs reports progress per document, in order, when the results arrive', async () => {
    const kyso = clientAnswering({
      'sign.pdfs': {
        certificateId: 'c',
        certificate: 'x',
        items: [
          { name: 'a.pdf', ok: true, pdf: 'JVBE', fieldName: 'Signature1', warnings: ['W'] },
          {
            name: 'b.pdf',
            ok: false,
            error: { code: 'PDF_ENCRYPTED', message: catalog.PDF_ENCRYPTED, details: {} },
          },
        ],
      },
    });
    const seen: SignPdfsProgress[] = [];
    const result = await kyso.signPdfs(
      {
        certificateId: 'c',
        items: [
          { name: 'a.pdf', pdf: 'JVBE' },
          { name: 'b.pdf', pdf: 'JVBE' },
        ],
      },
      { onProgress: (p) => seen.push(p) },
    );
    expect(seen.map((p) => [p.done, p.total, p.item?.name])).toEqual([
      [0, 2, undefined],
      [1, 2, 'a.pdf'],
      [2, 2, 'b.pdf'],
    ]);
    expect(result.items[0]?.warnings.map((w) => w.code)).toEqual(['W']);
    expect(result.warnings).toEqual([]);
    kyso.close();
  });

  it('a method the agent does not announce is AGENT_UPDATE_REQUIRED, before anything is sent', async () => {
    const kyso = clientAnswering({});
    const error = await kyso
      .signHash({ certificateId: 'c', hashAlgorithm: 'SHA-256', hash: 'AA==' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(KysoClientError);
    expect(error).toMatchObject({
      code: 'AGENT_UPDATE_REQUIRED',
      messages: messageFor('AGENT_UPDATE_REQUIRED'),
      details: { side: 'agent', method: 'sign.hash' },
    });
    kyso.close();
  });
});
