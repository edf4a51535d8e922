/**
 * Certificate parsing and path building for verification, cached by content for the whole
 * process: a running agent sees the same signers and roots again and again, and parsing a
 * certificate (X509Certificate) costs ~0.2 ms. Callers must not change what they get back.
 */
import { createHash } from 'node:crypto';
import { buildChain, parseCertificate, type ChainResult } from '../pki/index.ts';

/** Most entries the process-wide certificate caches hold before starting over. */
const CACHE_LIMIT = 256;

function remember<V>(cache: Map<string, V>, key: string, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, value);
  }
  return value;
}

/**
 * SHA-256 of one certificate, once per Buffer: a signature's chain is looked up 3 times. Only
 * for the document's own certificates (slices of its CMS and DSS, never changed); the
 * caller's trust material is hashed afresh each time (see trustKeyOf).
 */
const fingerprints = new WeakMap<Buffer, string>();
function fingerprint(der: Buffer): string {
  let f = fingerprints.get(der);
  if (f === undefined) {
    f = createHash('sha256').update(der).digest('base64');
    fingerprints.set(der, f);
  }
  return f;
}

/** A certificate set's key: the fingerprints in order (fixed length, so unambiguous). */
const setKey = (certificates: readonly Buffer[]): string => certificates.map(fingerprint).join('');

/** Anchors and intermediates as given, each length-prefixed, in one SHA-256. */
function trustKeyOf(anchors: readonly Buffer[], intermediates: readonly Buffer[]): string {
  const h = createHash('sha256');
  const length = Buffer.alloc(4);
  for (const list of [anchors, intermediates]) {
    length.writeUInt32BE(list.length);
    h.update(length);
    for (const c of list) {
      length.writeUInt32BE(c.length);
      h.update(length).update(c);
    }
  }
  return h.digest('base64');
}

/** A path's verdict does not depend on the time: validAtTime is worked out per call. */
const parsedCertificates = new Map<string, ReturnType<typeof parseCertificate>>();
const builtChains = new Map<string, ChainResult>();

/** Certificate parsing and path building, once per distinct certificate set. */
export class CertificateCache {
  private readonly trustKey: string;
  constructor(
    private readonly anchors: Buffer[],
    private readonly intermediates: Buffer[] = [],
  ) {
    this.trustKey = trustKeyOf(anchors, intermediates);
  }

  parse(der: Buffer): ReturnType<typeof parseCertificate> {
    return remember(parsedCertificates, fingerprint(der), () => parseCertificate(der));
  }

  chain(signer: Buffer, all: Buffer[], at: Date): ChainResult {
    const carried = all.filter((x) => !x.equals(signer));
    const others = [...carried, ...this.intermediates.filter((x) => !x.equals(signer))];
    const key = `${this.trustKey} ${setKey([signer, ...carried])}`;
    const chain = remember(builtChains, key, () => buildChain(signer, others, this.anchors, at));
    return {
      ...chain,
      validAtTime: at >= new Date(chain.validFrom) && at <= new Date(chain.validTo),
    };
  }
}
