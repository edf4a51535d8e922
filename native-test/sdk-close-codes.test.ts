/**
 * The SDK maps the agent's WebSocket close codes to their own errors (docs/protocol.md
 * "WebSocket close codes"): 1009 MESSAGE_TOO_LARGE over a real socket to a real agent (which
 * then serves the next connection), and the mapping of 1008 / 1013 / other codes.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KysoClient, KysoClientError, type WebSocketLike } from '../agent/client/index.ts';
import { closeError } from '../agent/client/close-codes.ts';
import { catalog } from '../agent/protocol/index.ts';
import { copyTestPki } from './pki.ts';
import { startTestAgent, TEST_ORIGIN, type TestAgent } from './server-harness.ts';

let agent: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({
    pki: copyTestPki(),
    config: { limits: { maxPayloadBytes: 64 * 1024 } },
  });
});

afterAll(async () => {
  await agent.close();
});

function sdk(): KysoClient {
  return new KysoClient({
    url: agent.url,
    reconnect: false,
    createSocket: (u) => new WebSocket(u, { origin: TEST_ORIGIN }) as unknown as WebSocketLike,
  });
}

describe('close codes', () => {
  it('a message over maxPayloadBytes ends in MESSAGE_TOO_LARGE, not CONNECTION_LOST', async () => {
    const client = sdk();
    try {
      await client.connect();
      const error = await client
        .call('sign.pdf', {
          certificateId: agent.pki.token('seal').certificateId,
          pdf: 'A'.repeat(100 * 1024),
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(KysoClientError);
      expect(error).toMatchObject({
        code: 'MESSAGE_TOO_LARGE',
        messages: catalog.MESSAGE_TOO_LARGE,
        details: { closeCode: 1009 },
      });
    } finally {
      client.close();
    }
    const next = sdk();
    try {
      expect((await next.connect()).limits?.binaryFrames).toBe(true);
    } finally {
      next.close();
    }
  });

  it('maps 1013 to AGENT_BUSY or TOO_MANY_CONNECTIONS, 1008 to TIMEOUT, others to none', () => {
    expect(closeError(1013, 'AGENT_BUSY')?.code).toBe('AGENT_BUSY');
    expect(closeError(1013, '')?.code).toBe('AGENT_BUSY');
    expect(closeError(1013, 'TOO_MANY_CONNECTIONS')?.code).toBe('TOO_MANY_CONNECTIONS');
    expect(closeError(1008, 'MESSAGE_TIMEOUT')).toMatchObject({
      code: 'TIMEOUT',
      text: catalog.TIMEOUT,
      details: { closeCode: 1008, reason: 'MESSAGE_TIMEOUT' },
    });
    expect(closeError(1009, '')?.text).toEqual(catalog.MESSAGE_TOO_LARGE);
    expect(closeError(1006, '')).toBeNull();
    expect(closeError(1001, 'agent stopping')).toBeNull();
  });
});
