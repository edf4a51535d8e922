/**
 * The CA certificates a signature by a token certificate carries: the explicit ones first, then
 * the path found through the CA certificates stored on the same token and the configured
 * intermediates, up to a configured anchor or a self-signed root.
 */
import type { TokenService } from '../tokens/api.ts';
import type { CertificateInfo } from '../tokens/types.ts';
import { mergeCertificates, signingChain } from './chain.ts';

export interface ChainSources {
  /** Configured trust anchors (DER); the path stops there. */
  anchors: readonly Buffer[];
  /** Configured intermediate CA certificates (DER). */
  intermediates: readonly Buffer[];
}

export async function chainForCertificate(
  tokens: Pick<TokenService, 'listCertificates'>,
  certificate: Pick<CertificateInfo, 'tokenId' | 'certificate'>,
  sources: ChainSources,
  explicit: readonly Buffer[] = [],
): Promise<Buffer[]> {
  const onToken = await tokens.listCertificates({
    tokenId: certificate.tokenId,
    withPrivateKey: false,
  });
  const candidates = [
    ...explicit,
    ...onToken.filter((c) => c.isCA).map((c) => Buffer.from(c.certificate, 'base64')),
    ...sources.intermediates,
  ];
  const found = signingChain(
    Buffer.from(certificate.certificate, 'base64'),
    candidates,
    sources.anchors,
  );
  return mergeCertificates(explicit, found);
}
