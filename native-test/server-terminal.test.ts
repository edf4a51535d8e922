/**
 * `kyso start` with the terminal consent on a real pseudo-terminal (util-linux `script`): the
 * signing dialog shows origin, document and certificate, the PIN is typed without echo, the
 * web app gets a signature, and Ctrl+C stops the agent with the terminal released.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentStartArgs } from './agent-process.ts';
import { loadTestPki } from './pki.ts';
import { TEST_ORIGIN, TestClient } from './server-harness.ts';
import { verifies } from './server-verify.ts';

const hasScript = spawnSync('script', ['--version']).status === 0;

async function waitFor(
  read: () => string,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpMatchArray> {
  const started = Date.now();
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${pattern}: ${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!hasScript)('terminal consent on a pseudo-terminal', () => {
  it('asks on the terminal, reads the PIN without echo, signs, and stops cleanly', async () => {
    const pki = loadTestPki();
    const leader = pki.token('leader');
    const dir = mkdtempSync(join(tmpdir(), 'kyso-tty-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ port: 0, allowedOrigins: [TEST_ORIGIN] }));
    const command = [
      process.execPath,
      ...agentStartArgs({ config, modules: [pki.modulePath] }),
    ].join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, TERM: 'dumb' },
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const [, port] = await waitFor(() => screen, /"port":(\d+)/);
      const client = await TestClient.connect(`ws://127.0.0.1:${port}`, { origin: TEST_ORIGIN });
      const message = Buffer.from('Giấy mời họp số 3/GM-UBND');
      const reply = client.call('sign.hash', {
        certificateId: leader.certificateId,
        hashAlgorithm: 'SHA-256',
        hash: createHash('sha256').update(message).digest('base64'),
        documentName: 'Giấy mời họp.pdf',
      });
      await waitFor(() => screen, /Sign\? \[c\/y/);
      expect(screen).toContain(TEST_ORIGIN);
      expect(screen).toContain('Giấy mời họp.pdf');
      expect(screen).toContain('Nguyễn Văn Ánh');
      child.stdin.write('c\r');
      await waitFor(() => screen, /PIN cho \/ for "KYSO TEST Lanh dao"/);
      child.stdin.write(`${leader.pin}\r`);
      const result = (await reply).result as { signature: string; certificate: string };
      expect(verifies(result.certificate, message, result.signature)).toBe(true);
      expect(screen).not.toContain(leader.pin);
      client.close();
      // Ctrl+C on the terminal stops the agent, and the released terminal lets `script` end.
      child.stdin.write('\x03');
      expect(
        await Promise.race([exited, new Promise((r) => setTimeout(() => r('hung'), 10_000))]),
      ).not.toBe('hung');
      expect(screen).toMatch(/stopped/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
