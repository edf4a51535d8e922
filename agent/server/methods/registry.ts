/**
 * The method registry: every JSON-RPC method the agent answers, grouped by concern.
 *
 * Adding methods (e.g. the PDF helper's `sign.pdf` / `verify.pdf`):
 *   1. Create `agent/server/methods/<group>.ts` exporting a `MethodTable`:
 *        export const pdfMethods: MethodTable = {
 *          'sign.pdf': async (params, ctx) => { const p = readParams(schema, params); ... },
 *        };
 *      Read params with `readParams` and a schema (../params.ts, agent/validation): bad input becomes -32602 naming the field.
 *      Throw `KysoError(code, details)` for user-facing failures; the server turns it into
 *      error.data.reason. Call the pipeline (`ctx.signing`, agent/signing) for anything that needs
 *      consent + PIN + journal, so the security rules stay in one place.
 *   2. Add the table to `methodGroups` below (one line).
 *   3. Document the method in docs/protocol.md with an example.
 * Handlers get only the services on `MethodContext`; they never see the socket.
 */
import { agentMethods } from './agent.ts';
import { certificateMethods } from './certificates.ts';
import { signMethods } from './sign.ts';
import { tokenMethods } from './tokens.ts';
import { pdfMethods } from './pdf.ts';
import { documentMethods } from './documents.ts';
import type { MethodHandler, MethodTable } from './types.ts';

export type { MethodContext, MethodHandler, MethodTable } from './types.ts';

export const methodGroups: MethodTable[] = [
  agentMethods,
  tokenMethods,
  certificateMethods,
  signMethods,
  pdfMethods,
  documentMethods,
];

/** Merges groups into one lookup; a duplicate name is a programming error. */
export function buildRegistry(groups: MethodTable[] = methodGroups): Map<string, MethodHandler> {
  const registry = new Map<string, MethodHandler>();
  for (const group of groups) {
    for (const [name, handler] of Object.entries(group)) {
      if (registry.has(name)) throw new Error(`method ${name} registered twice`);
      registry.set(name, handler);
    }
  }
  return registry;
}
