/**
 * Token host: a child process that owns exactly one PKCS#11 module. Slot operations queue
 * per slot (Pkcs11Module.runOnSlot); signatures run on libuv threads so slots work in
 * parallel. A crash or hang here costs only this process, which the parent restarts.
 */
import { toKysoError } from '../../errors/index.ts';
import { Pkcs11Module } from './module.ts';
import type { HostCalls, HostMethod, HostRequest, HostResponse } from './protocol.ts';

const pkcs11 = new Pkcs11Module();

type Handlers = {
  [M in HostMethod]: (
    params: HostCalls[M]['params'],
  ) => HostCalls[M]['result'] | Promise<HostCalls[M]['result']>;
};

const handlers: Handlers = {
  init: ({ modulePath }) => pkcs11.init(modulePath),
  listSlots: ({ refreshIfStale }) => pkcs11.listSlots(refreshIfStale),
  listCertificates: ({ slotId }) => pkcs11.runOnSlot(slotId, () => pkcs11.listCertificates(slotId)),
  sign: (params) => pkcs11.sign(params),
  login: async (params) => {
    await pkcs11.login(params);
    return null;
  },
  isLoggedIn: ({ slotId }) => pkcs11.runOnSlot(slotId, () => pkcs11.isLoggedIn(slotId)),
  logout: ({ slotId }) =>
    pkcs11.runOnSlot(slotId, () => {
      pkcs11.logout(slotId);
      return null;
    }),
};

function failure(id: number, error: unknown): HostResponse {
  const kysoError = toKysoError(error);
  const details: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(kysoError.details)) {
    if (value !== undefined && value !== null) details[key] = value;
  }
  return { id, ok: false, error: { code: kysoError.code, details } };
}

async function handle(request: HostRequest): Promise<HostResponse> {
  try {
    const handler = handlers[request.method] as (params: unknown) => unknown;
    return { id: request.id, ok: true, result: await handler(request.params) };
  } catch (error) {
    return failure(request.id, error);
  }
}

// Answers finished in the same tick go back as one message, as requests come in.
let replies: HostResponse[] = [];
function reply(response: HostResponse): void {
  replies.push(response);
  if (replies.length > 1) return;
  setImmediate(() => {
    const batch = replies;
    replies = [];
    process.send?.(batch);
  });
}

process.on('message', (batch: HostRequest[]) => {
  for (const request of batch) void handle(request).then(reply);
});
// The parent went away: nothing left to serve.
process.on('disconnect', () => process.exit(0));
