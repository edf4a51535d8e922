import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPort, listeningInodes, probePort } from './port.ts';

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

function listen(): Promise<number> {
  return new Promise((resolve) => {
    server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server?.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('port probe', () => {
  it('sees a free port as free', async () => {
    const port = await listen();
    await new Promise<void>((r) => server?.close(() => r()));
    server = undefined;
    expect(await probePort(port)).toBe('free');
  });

  it('names this very process as the owner of a port it listens on', async () => {
    const port = await listen();
    const state = await checkPort(port);
    expect(state.state).toBe('in-use');
    if (process.platform === 'linux' && state.state === 'in-use') {
      expect(state.owner?.pid).toBe(process.pid);
      expect(state.owner?.command).toMatch(/node/);
    }
  });

  it('parses listening sockets out of /proc/net/tcp text', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:CB13 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 99887 1 0',
      '   1: 0100007F:CB13 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 11111 1 0',
      '   2: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22222 1 0',
    ].join('\n');
    expect(listeningInodes(text, 51987)).toEqual(['99887']);
    expect(listeningInodes(text, 80)).toEqual(['22222']);
    expect(listeningInodes(text, 443)).toEqual([]);
  });
});
