/**
 * The PKI services a signature needs, as loopback doubles run by the tests: an OCSP responder
 * (`openssl ocsp -index` answering each request), CRLs, and an RFC 3161 TSA (`openssl ts
 * -reply`). Each runs openssl once per request behind a Node server bound to 127.0.0.1
 * (`openssl ocsp -port` would listen on every interface). Modes simulate trouble.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCaHierarchy, type CaHierarchy } from './ca.ts';
import { closedPort, delay, listenLoopback, startSlowProxy, type Loopback } from './loopback.ts';

const run = promisify(execFile);

export type OcspMode = 'normal' | 'issuer-signed' | 'wrong-signer' | 'error';
export type TsaMode = 'ok' | 'error' | 'slow';

export interface PkiServices {
  ca: CaHierarchy;
  ocspUrl: string;
  crlBase: string;
  tsaUrl: string;
  /** OCSP through a proxy that waits `slowDelayMs`. */
  slowOcspUrl: string;
  /** A loopback URL nothing answers on. */
  downUrl: string;
  ocsp: { mode: OcspMode; requests: number };
  crl: { requests: Map<string, number> };
  tsa: {
    mode: TsaMode;
    /** Requests answered 503 before answering normally. */
    failuresLeft: number;
    /** Extra time every request takes (to make concurrent requests overlap). */
    delayMs: number;
    inFlight: number;
    maxInFlight: number;
    requests: number;
  };
  stop(): Promise<void>;
}

function tsaConfig(dir: string, serial: string): string {
  return `[tsa]
default_tsa = tsa_config
[tsa_config]
serial = ${serial}
crypto_device = builtin
signer_cert = ${join(dir, 'tsa.pem')}
certs = ${join(dir, 'int.pem')}
signer_key = ${join(dir, 'tsa.key')}
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;
}

export async function startPkiServices(
  options: { slowDelayMs?: number } = {},
): Promise<PkiServices> {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-pki-services-'));
  let sequence = 0;
  const scratch = (ext: string): string => join(dir, `x${++sequence}.${ext}`);
  const servers: Loopback[] = [];

  const state = {
    ocsp: { mode: 'normal' as OcspMode, requests: 0 },
    crl: { requests: new Map<string, number>() },
    tsa: {
      mode: 'ok' as TsaMode,
      failuresLeft: 0,
      delayMs: 0,
      inFlight: 0,
      maxInFlight: 0,
      requests: 0,
    },
  };

  const crl = await listenLoopback((req, _body, res) => {
    const name = (req.url ?? '/').slice(1);
    state.crl.requests.set(name, (state.crl.requests.get(name) ?? 0) + 1);
    if (!/^(root|int)\.crl$/.test(name)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/pkix-crl' });
    res.end(readFileSync(join(dir, name)));
  });
  servers.push(crl);

  // The OCSP server starts before the certificates exist; it reads them per request.
  const ocsp = await listenLoopback(async (req, body, res) => {
    state.ocsp.requests++;
    if (req.method !== 'POST' || state.ocsp.mode === 'error') return void res.writeHead(500).end();
    const signer = { normal: 'ocspSigner', 'issuer-signed': 'int', 'wrong-signer': 'tsa' }[
      state.ocsp.mode
    ];
    const reqFile = scratch('req');
    const respFile = scratch('resp');
    writeFileSync(reqFile, body);
    await run(
      'openssl',
      [
        'ocsp',
        '-index',
        'int-index.txt',
        '-CA',
        'int.pem',
        '-rsigner',
        `${signer}.pem`,
        '-rkey',
        `${signer}.key`,
        '-reqin',
        reqFile,
        '-respout',
        respFile,
        '-ndays',
        '1',
      ],
      { cwd: dir, timeout: 10_000 },
    );
    res.writeHead(200, { 'content-type': 'application/ocsp-response' });
    res.end(readFileSync(respFile));
  });
  servers.push(ocsp);

  const tsa = await listenLoopback(async (req, body, res) => {
    const t = state.tsa;
    t.requests++;
    t.inFlight++;
    t.maxInFlight = Math.max(t.maxInFlight, t.inFlight);
    try {
      if (t.delayMs) await delay(t.delayMs);
      // Slow: hold the request until the client gives up (so it no longer counts as in flight).
      if (t.mode === 'slow') {
        await Promise.race([delay(5_000), new Promise((resolve) => res.once('close', resolve))]);
        if (res.destroyed) return;
      }
      if (t.mode === 'error' || t.failuresLeft > 0) {
        t.failuresLeft = Math.max(0, t.failuresLeft - 1);
        return void res.writeHead(503).end('busy');
      }
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        return void res.writeHead(400).end();
      }
      const query = scratch('tsq');
      const reply = scratch('tsr');
      writeFileSync(query, body);
      // A serial file per request: concurrent runs sharing one race on it.
      const serial = scratch('serial');
      const config = scratch('cnf');
      writeFileSync(serial, `${randomBytes(8).toString('hex')}\n`);
      writeFileSync(config, tsaConfig(dir, serial));
      await run(
        'openssl',
        ['ts', '-reply', '-config', config, '-queryfile', query, '-out', reply],
        {
          cwd: dir,
          timeout: 10_000,
        },
      );
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' });
      res.end(readFileSync(reply));
    } finally {
      t.inFlight--;
    }
  });
  servers.push(tsa);

  const ca = makeCaHierarchy(dir, { ocsp: ocsp.base, crlBase: crl.base });
  const slow = await startSlowProxy(ocsp.base, options.slowDelayMs ?? 3_000);
  servers.push(slow);

  return {
    ca,
    ocspUrl: ocsp.base,
    crlBase: crl.base,
    tsaUrl: tsa.base,
    slowOcspUrl: slow.base,
    downUrl: `http://127.0.0.1:${await closedPort()}`,
    ...state,
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
