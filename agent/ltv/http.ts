/**
 * One bounded HTTP exchange for PKI services (OCSP, CRL, TSA): a deadline covering connect,
 * headers and body, and a size cap, so a stalled or hostile server cannot hold the signing.
 */
import type { IncomingMessage } from 'node:http';

export interface HttpExchange {
  method?: 'GET' | 'POST';
  body?: Buffer;
  contentType?: string;
  accept?: string;
  timeoutMs: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface HttpReply {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** Why an exchange failed, for error details and retry decisions. */
export class HttpFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'too-large' | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

export function fetchBytes(url: string, x: HttpExchange): Promise<HttpReply> {
  const target = new URL(url);
  // Loaded on first use: `kyso verify` reaches this module but asks no server, and node:https
  // (with tls) costs ~20 ms of its start-up.
  const request =
    target.protocol === 'https:'
      ? process.getBuiltinModule('node:https').request
      : process.getBuiltinModule('node:http').request;
  const max = x.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise<HttpReply>((resolve, reject) => {
    let settled = false;
    const finish = (error: HttpFailure | undefined, reply?: HttpReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      x.signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else if (reply) resolve(reply);
    };
    const onAbort = (): void => finish(new HttpFailure('aborted', `request to ${url} aborted`));
    const timer = setTimeout(
      () => finish(new HttpFailure('timeout', `no answer from ${url} within ${x.timeoutMs} ms`)),
      x.timeoutMs,
    );
    const headers: Record<string, string | number> = { connection: 'close' };
    if (x.contentType) headers['content-type'] = x.contentType;
    if (x.accept) headers.accept = x.accept;
    if (x.body) headers['content-length'] = x.body.length;
    const req = request(target, { method: x.method ?? 'GET', headers }, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) finish(new HttpFailure('too-large', `${url} answered over ${max} bytes`));
        else parts.push(chunk);
      });
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: Buffer.concat(parts),
        }),
      );
      res.on('error', (e) => finish(new HttpFailure('network', e.message)));
    });
    req.on('error', (e) => finish(new HttpFailure('network', `${url}: ${e.message}`)));
    if (x.signal?.aborted) return onAbort();
    x.signal?.addEventListener('abort', onAbort);
    req.end(x.body);
  });
}

/**
 * Applies the first matching prefix rewrite (longest prefix wins), e.g. an internal
 * `http://ocsp.ca.ptc` name to the public `http://ocsp.ca.gov.vn` some certificates need.
 */
export function rewriteUrl(url: string, rewrites: Readonly<Record<string, string>> = {}): string {
  const prefix = Object.keys(rewrites)
    .filter((p) => url.toLowerCase().startsWith(p.toLowerCase()))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? url : `${rewrites[prefix]}${url.slice(prefix.length)}`;
}
