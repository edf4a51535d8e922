/**
 * Token host: a child process that owns exactly one PKCS#11 module. The parent sends one
 * request at a time per slot; a crash or hang here costs only this process, which the
 * parent restarts.
 */
import { toKysoError } from '../../errors/index.ts';
import { Pkcs11Module } from './module.ts';
import type { HostCalls, HostMethod, HostRequest, HostResponse } from './protocol.ts';

const pkcs11 = new Pkcs11Module();

type Handlers = { [M in HostMethod]: (params: HostCalls[M]['params']) => HostCalls[M]['result'] };

const handlers: Handlers = {
  init: ({ modulePath }) => pkcs11.init(modulePath),
  listSlots: ({ refreshIfStale }) => pkcs11.listSlots(refreshIfStale),
  listCertificates: ({ slotId }) => pkcs11.listCertificates(slotId),
  sign: (params) => pkcs11.sign(params),
  isLoggedIn: ({ slotId }) => pkcs11.isLoggedIn(slotId),
  logout: ({ slotId }) => {
    pkcs11.logout(slotId);
    return null;
  },
};

function handle(request: HostRequest): HostResponse {
  try {
    const handler = handlers[request.method] as (params: unknown) => unknown;
    return { id: request.id, ok: true, result: handler(request.params) };
  } catch (error) {
    const kysoError = toKysoError(error);
    const details: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(kysoError.details)) {
      if (value !== undefined && value !== null) details[key] = value;
    }
    return { id: request.id, ok: false, error: { code: kysoError.code, details } };
  }
}

// Requests arrive in batches (all those the parent queued in one tick); answers go back the same way.
process.on('message', (batch: HostRequest[]) => {
  process.send?.(batch.map(handle));
});
// The parent went away: nothing left to serve.
process.on('disconnect', () => process.exit(0));
