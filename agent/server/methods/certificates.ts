/** certificates.list with the filters document systems ask for (key usage, issuer, validity...). */
import type { CertificateInfo } from '../../tokens/index.ts';
import { Params } from '../params.ts';
import type { MethodTable } from './registry.ts';

const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export interface CertificateQuery {
  keyUsage?: string[];
  issuer?: string;
  validNow?: boolean;
  thumbprint?: string;
  tokenId?: string;
  withPrivateKey: boolean;
}

/** Pure filter, shared with tests. issuer matches a case-insensitive part of the issuer DN. */
export function filterCertificates(
  certificates: CertificateInfo[],
  query: CertificateQuery,
  now = new Date(),
): CertificateInfo[] {
  const issuer = query.issuer?.toLocaleLowerCase('vi');
  return certificates.filter(
    (c) =>
      (!query.withPrivateKey || c.hasPrivateKey) &&
      (query.tokenId === undefined || c.tokenId === query.tokenId) &&
      (query.thumbprint === undefined || c.id === query.thumbprint) &&
      (issuer === undefined || c.issuer.text.toLocaleLowerCase('vi').includes(issuer)) &&
      (query.keyUsage === undefined || query.keyUsage.every((u) => c.keyUsage.includes(u))) &&
      (query.validNow !== true ||
        (Date.parse(c.notBefore) <= now.getTime() && now.getTime() <= Date.parse(c.notAfter))),
  );
}

export const certificateMethods: MethodTable = {
  'certificates.list': async (params, ctx) => {
    const p = new Params(params).only(
      'keyUsage',
      'issuer',
      'validNow',
      'thumbprint',
      'tokenId',
      'withPrivateKey',
    );
    const query: CertificateQuery = {
      keyUsage: p.optionalStrings('keyUsage', KEY_USAGES),
      issuer: p.optionalString('issuer', { max: 1000 }),
      validNow: p.optionalBoolean('validNow'),
      thumbprint: p.has('thumbprint')
        ? p
            .string('thumbprint', {
              pattern: /^[0-9a-fA-F]{64}$/,
              what: 'a SHA-256 thumbprint (64 hex characters)',
            })
            .toLowerCase()
        : undefined,
      tokenId: p.optionalString('tokenId', { max: 2000 }),
      withPrivateKey: p.optionalBoolean('withPrivateKey') ?? true,
    };
    const all = await ctx.tokens.listCertificates({
      withPrivateKey: query.withPrivateKey,
      ...(query.tokenId !== undefined ? { tokenId: query.tokenId } : {}),
    });
    return { certificates: filterCertificates(all, query) };
  },
};
