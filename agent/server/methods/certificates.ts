/** certificates.list with the filters document systems ask for (key usage, issuer, validity...). */
import { KEY_USAGES, type CertificateInfo } from '../../protocol/index.ts';
import { boolean, object, optional, refine, string, withDefault } from '../../validation/index.ts';
import { readParams, stringList, text } from '../params.ts';
import type { MethodTable } from './types.ts';

const listParams = object({
  keyUsage: optional(stringList(KEY_USAGES)),
  issuer: optional(
    text(1000, { vi: 'một chuỗi ký tự (1-1000 ký tự)', en: 'a string (1-1000 characters)' }),
  ),
  validNow: optional(boolean()),
  thumbprint: optional(
    refine(
      string({
        pattern: /^[0-9a-fA-F]{64}$/,
        expected: {
          vi: 'dấu vân tay SHA-256 (64 ký tự thập lục phân)',
          en: 'a SHA-256 thumbprint (64 hex characters)',
        },
      }),
      (value) => value.toLowerCase(),
    ),
  ),
  tokenId: optional(
    text(2000, { vi: 'một chuỗi ký tự (1-2000 ký tự)', en: 'a string (1-2000 characters)' }),
  ),
  withPrivateKey: withDefault(boolean(), true),
});

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
    const query: CertificateQuery = readParams(listParams, params);
    const all = await ctx.tokens.listCertificates({
      withPrivateKey: query.withPrivateKey,
      ...(query.tokenId !== undefined ? { tokenId: query.tokenId } : {}),
    });
    return { certificates: filterCertificates(all, query) };
  },
};
