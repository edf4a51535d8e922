/** agent.info: version handshake and what this agent offers. */
import { KysoError } from '../../errors/index.ts';
import { PROTOCOL_VERSION, protocolMajor } from '../../protocol/index.ts';
import { Params } from '../params.ts';
import type { MethodTable } from './registry.ts';

export const agentMethods: MethodTable = {
  'agent.info': async (params, ctx) => {
    const p = new Params(params).only('protocolVersion', 'client');
    const requested = p.optionalString('protocolVersion', {
      pattern: /^\d{1,4}\.\d{1,4}$/,
      what: 'a "major.minor" version such as "1.0"',
    });
    p.optionalString('client', { max: 200 });
    if (requested !== undefined && protocolMajor(requested) !== protocolMajor(PROTOCOL_VERSION)) {
      throw new KysoError('PROTOCOL_VERSION_UNSUPPORTED', {
        requested,
        agentProtocolVersion: PROTOCOL_VERSION,
        agentVersion: ctx.agentVersion,
      });
    }
    const { limits, pinCache } = ctx.config;
    return {
      agent: 'Kyso Agent',
      version: ctx.agentVersion,
      protocolVersion: PROTOCOL_VERSION,
      origin: ctx.origin,
      methods: ctx.methodNames,
      notifications: ['tokens.changed'],
      limits: {
        maxPayloadBytes: limits.maxPayloadBytes,
        maxInFlight: limits.maxInFlight,
        maxBatchItems: limits.maxBatchItems,
      },
      pinCache: { enabled: pinCache.enabled, ttlSeconds: pinCache.ttlSeconds },
    };
  },
};
