/**
 * The CA certificates a signature by a token certificate carries: the explicit ones first, then
 * the path found through the CA certificates stored on the same token and the configured
 * intermediates, up to a configured anchor or a self-signed root.
 */
import { mergeCertificates, signingChain } from './chain.ts';

export interface ChainSources {
  /** Configured trust anchors (DER); the path stops there. */
  anchors: readonly Buffer[];
  /** Configured intermediate CA certificates (DER). */
  intermediates: readonly Buffer[];
}

/**
 * The one thing this needs of a token: its certificates. Declared here, met by the
 * TokenService, so pki (pure X.509) never imports tokens (the hardware that uses pki).
 */
export interface CertificateSource {
  listCertificates(filter: {
    tokenId: string;
    withPrivateKey: boolean;
  }): Promise<readonly { isCA: boolean; certificate: string }[]>;
}

export async function chainForCertificate(
  tokens: CertificateSource,
  /** tokenId and DER (base64), as in a CertificateInfo. */
  certificate: { tokenId: string; certificate: string },
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
