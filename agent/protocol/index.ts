/**
 * The agent's protocol, in one place: method names with their params and results, the token
 * and certificate wire views, the error codes and sign warnings with their vi/en messages,
 * and the version.
 * The agent, the token service, the CLI, the tray and the browser SDK all import it; it
 * imports nothing (no node:, no packages), so the SDK bundle carries it unchanged.
 */
export * from './errors.ts';
export * from './methods.ts';
export * from './version.ts';
export * from './wire.ts';
export * from './time.ts';
export * from './display-text.ts';
export * from './warnings.ts';
