/**
 * The production Signer: the digest goes to the token service, the key stays on the token.
 * `signMany` lets a batch sign every document's digest with one login.
 */
import type { Credentials, HashAlgorithm, SignatureScheme, TokenService } from '../tokens/index.ts';
import type { Signer } from './build.ts';

export interface TokenSigner extends Signer {
  signMany(digests: Buffer[], hash: HashAlgorithm): Promise<Buffer[]>;
}

export async function tokenSigner(options: {
  service: TokenService;
  certificateId: string;
  credentials: Credentials;
  /** DER of the issuing CAs (the token usually holds only the signer's certificate). */
  chain?: Buffer[];
  scheme?: SignatureScheme;
}): Promise<TokenSigner> {
  const { service, certificateId, credentials, scheme } = options;
  const info = await service.getCertificate(certificateId);
  return {
    certificate: Buffer.from(info.certificate, 'base64'),
    chain: options.chain ?? [],
    scheme,
    async sign(digest, hash) {
      const result = await service.sign(
        { certificateId, hashAlgorithm: hash, digest, ...(scheme ? { scheme } : {}) },
        credentials,
      );
      return result.signature;
    },
    async signMany(digests, hash) {
      const results = await service.signMany(
        certificateId,
        digests.map((digest) => ({ hashAlgorithm: hash, digest, ...(scheme ? { scheme } : {}) })),
        credentials,
      );
      return results.map((r) => r.signature);
    },
  };
}
