/**
 * The real SigningPipeline over a token service whose keys are software keys issued by the
 * loopback CA (issue 14 tests and bench/ltv.ts): consent answers yes and counts dialogs, the
 * journal is kept in memory, progress events are collected.
 */
import { readFileSync } from 'node:fs';
import { softwareSigner } from '../../agent/cms/index.ts';
import type { RevocationSettings, TimestampSettings } from '../../agent/config/index.ts';
import type { ConsentProvider } from '../../agent/consent/index.ts';
import type { Journal, NewJournalRecord } from '../../agent/journal/index.ts';
import { parseCertificate } from '../../agent/pki/index.ts';
import { SigningPipeline, type LtvProgress } from '../../agent/signing/index.ts';
import type { CertificateInfo, TokenInfo, TokenService } from '../../agent/tokens/index.ts';
import type { LeafName } from './ca.ts';
import type { PkiServices } from './services.ts';

export function certificateInfo(pki: PkiServices, leaf: LeafName): CertificateInfo {
  return {
    ...parseCertificate(pki.ca.leaves[leaf]),
    tokenId: `soft:${leaf}`,
    label: leaf,
    keyId: '01',
    hasPrivateKey: true,
    alwaysAuthenticate: false,
  };
}

function tokenInfo(id: string): TokenInfo {
  return {
    id,
    moduleId: 'soft',
    slotId: '0',
    slotDescription: 'software',
    label: id,
    serialNumber: id,
    manufacturer: 'Kyso TEST',
    model: 'software',
    present: true,
    loginRequired: true,
    protectedAuthenticationPath: false,
    hardwareSlot: false,
    removableDevice: false,
    pin: { countLow: false, finalTry: false, locked: false, toBeChanged: false, initialized: true },
    minPinLength: 4,
    maxPinLength: 16,
  } as TokenInfo;
}

/** A token service over the loopback CA's leaf keys; each token also holds the issuing CA. */
export function softTokens(pki: PkiServices): TokenService {
  const leaves: LeafName[] = ['good', 'revoked', 'unknown', 'crlGood', 'crlRevoked'];
  const infos = new Map(leaves.map((l) => [certificateInfo(pki, l).id, l] as const));
  const signer = (leaf: LeafName) =>
    softwareSigner({
      privateKey: readFileSync(pki.ca.file(`${leaf}.key`)),
      certificate: pki.ca.leaves[leaf],
    });
  const find = (id: string): LeafName => {
    const leaf = infos.get(id);
    if (!leaf) throw new Error(`no certificate ${id}`);
    return leaf;
  };
  const service = {
    getCertificate: (id: string) => Promise.resolve(certificateInfo(pki, find(id))),
    getToken: (id: string) => Promise.resolve(tokenInfo(id)),
    listTokens: () => Promise.resolve([]),
    listCertificates: () =>
      Promise.resolve([{ isCA: true, certificate: pki.ca.intermediate.toString('base64') }]),
    onEvent: () => () => undefined,
    sign: async (r: { certificateId: string; digest: Buffer; hashAlgorithm: 'SHA-256' }) => ({
      signature: await signer(find(r.certificateId)).sign(r.digest, r.hashAlgorithm),
      scheme: 'RSASSA-PKCS1-v1_5',
      hashAlgorithm: r.hashAlgorithm,
      certificateId: r.certificateId,
    }),
    signMany: async (
      certificateId: string,
      items: { digest: Buffer; hashAlgorithm: 'SHA-256' }[],
    ) =>
      Promise.all(
        items.map(async (r) => ({
          signature: await signer(find(certificateId)).sign(r.digest, r.hashAlgorithm),
          scheme: 'RSASSA-PKCS1-v1_5',
          hashAlgorithm: r.hashAlgorithm,
          certificateId,
        })),
      ),
  };
  return service as unknown as TokenService;
}

export interface Harness {
  pipeline: SigningPipeline;
  records: NewJournalRecord[];
  consent: { approvals: number; pins: number };
  progress: LtvProgress[];
}

export function harness(
  pki: PkiServices,
  options: {
    revocation?: Partial<RevocationSettings>;
    timestamp?: Partial<TimestampSettings>;
  } = {},
): Harness {
  const records: NewJournalRecord[] = [];
  const consentCount = { approvals: 0, pins: 0 };
  const progress: LtvProgress[] = [];
  const consent: ConsentProvider = {
    approveOrigin: () => Promise.resolve(true),
    approveSigning: () => {
      consentCount.approvals++;
      return Promise.resolve(true);
    },
    askPin: () => {
      consentCount.pins++;
      return Promise.resolve('1234');
    },
  };
  const journal = {
    append: (record: NewJournalRecord) => {
      records.push(record);
      return Promise.resolve();
    },
    // The 'signing' record before the token signs; `records` keeps the outcomes.
    begin: () => ({ id: 'attempt', written: Promise.resolve() }),
  } as unknown as Journal;
  const pipeline = new SigningPipeline({
    tokens: softTokens(pki),
    consent,
    journal,
    pinCache: { enabled: false, ttlSeconds: 60 },
    trust: { anchors: [pki.ca.file('root.pem')], intermediates: [] },
    revocation: { policy: 'refuse', timeoutMs: 5_000, urlRewrites: {}, ...options.revocation },
    timestamp: {
      urls: [pki.tsaUrl],
      timeoutMs: 10_000,
      tries: 2,
      maxConcurrent: 4,
      ...options.timestamp,
    },
    onLtvProgress: (e) => progress.push(e),
  });
  return { pipeline, records, consent: consentCount, progress };
}
