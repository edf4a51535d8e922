/** Checks a signature made over a digest of `message` against the certificate, with node:crypto. */
import { constants, verify, X509Certificate } from 'node:crypto';

export function verifies(
  certificateB64: string,
  message: Buffer,
  signatureB64: string,
  hash = 'sha256',
  scheme = 'RSASSA-PKCS1-v1_5',
): boolean {
  const cert = new X509Certificate(Buffer.from(certificateB64, 'base64'));
  const signature = Buffer.from(signatureB64, 'base64');
  if (scheme === 'ECDSA') {
    return verify(hash, message, { key: cert.publicKey, dsaEncoding: 'der' }, signature);
  }
  if (scheme === 'RSA-PSS') {
    return verify(
      hash,
      message,
      {
        key: cert.publicKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_AUTO,
      },
      signature,
    );
  }
  return verify(hash, message, cert.publicKey, signature);
}
