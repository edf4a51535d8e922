/** CMS SignedData for PAdES: building with a token-held key, parsing and verifying. */
export {
  type Signer,
  type PreparedSignedData,
  type SignedAttributes,
  buildSignedAttributes,
  assembleSignedData,
  createSignedData,
  estimateSignedDataSize,
  keySchemeOf,
  maxSignatureLength,
  prepareSignedData,
} from './build.ts';
export {
  type ParsedSignedData,
  parseSignedData,
  signedDataLength,
  signingCertificateMatches,
  verifyDigestSignature,
  verifySignatureValue,
} from './verify.ts';
export { HASH_LENGTH, HASH_NODE, HASH_OID } from './algorithms.ts';
export { softwareSigner } from './software-signer.ts';
export { type ChainResult, buildChain, loadCertificates } from '../pki/index.ts';
export { type TokenSigner, tokenSigner } from './token-signer.ts';
export * from './timestamp-attribute.ts';
