export { startTokenService } from './service.ts';
export { findInstalledModules } from './known-modules.ts';
export { digestLengths, isHashAlgorithm, isSignatureScheme, ecdsaRawToDer } from './mechanisms.ts';
export type * from './api.ts';
export type * from './types.ts';
