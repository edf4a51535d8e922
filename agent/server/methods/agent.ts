/** agent.info: version handshake and what this agent offers. */
import { KysoError } from '../../errors/index.ts';
import { object, optional, string } from '../../validation/index.ts';
import { readParams, text } from '../params.ts';
import { NOTIFICATION_NAMES, PROTOCOL_VERSION, protocolMajor } from '../../protocol/index.ts';
import { DOWNLOAD_REPLY_BYTES, UPLOAD_CHUNK_BYTES } from '../../signing/index.ts';
import type { MethodTable } from './types.ts';

const infoParams = object({
  protocolVersion: optional(
    string({
      pattern: /^\d{1,4}\.\d{1,4}$/,
      expected: {
        vi: 'số phiên bản dạng "chính.phụ", ví dụ "1.0"',
        en: 'a "major.minor" version such as "1.0"',
      },
    }),
  ),
  client: optional(
    text(200, { vi: 'tên ứng dụng (1-200 ký tự)', en: 'a client name (1-200 characters)' }),
  ),
});

export const agentMethods: MethodTable = {
  'agent.info': async (params, ctx) => {
    const requested = readParams(infoParams, params).protocolVersion;
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
      notifications: [...NOTIFICATION_NAMES],
      limits: {
        maxPayloadBytes: limits.maxPayloadBytes,
        maxInFlight: limits.maxInFlight,
        maxBatchItems: limits.maxBatchItems,
        maxDocumentBytes: limits.maxDocumentBytes,
        uploadChunkBytes: UPLOAD_CHUNK_BYTES,
        downloadReplyBytes: DOWNLOAD_REPLY_BYTES,
        binaryFrames: true,
      },
      pinCache: { enabled: pinCache.enabled, ttlSeconds: pinCache.ttlSeconds },
    };
  },
};
