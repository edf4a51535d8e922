/**
 * A full disk as a page meets it over a real socket: with less free space than an upload and
 * the configured reserve (limits.minFreeDiskBytes, set here above any real disk), the upload is
 * refused at document.upload.begin with DISK_FULL, the sizes, the words to act on and no local
 * path; nothing is stored and the agent goes on answering.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { totalStoredBytes } from '../agent/signing/index.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

let agent: TestAgent;
beforeAll(async () => {
  agent = await startTestAgent({ config: { limits: { minFreeDiskBytes: 2 ** 50 } } });
});
afterAll(async () => {
  await agent.close();
});

it('an upload that would fill the disk is DISK_FULL before a byte is stored', async () => {
  const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
  try {
    const before = totalStoredBytes();
    const size = 5 * 1024 * 1024;
    const refused = await client.call('document.upload.begin', { size });
    expect(refused.error?.data).toMatchObject({
      reason: 'DISK_FULL',
      details: { neededBytes: size, reserveBytes: 2 ** 50 },
    });
    const details = refused.error?.data.details ?? {};
    expect(details.freeBytes).toBeGreaterThan(0);
    // The documents folder is a local path: the page never sees it.
    expect(details).not.toHaveProperty('folder');
    expect(JSON.stringify(refused.error)).not.toMatch(/kyso-documents|\/tmp\//);
    expect(refused.error?.data.message.vi).toMatch(/^Ổ đĩa không còn đủ chỗ trống/);
    expect(refused.error?.data.message.en).toMatch(/Delete some files .* then retry/);
    expect(totalStoredBytes()).toBe(before);
    expect((await client.call('agent.info', { protocolVersion: '1.0' })).error).toBeUndefined();
  } finally {
    client.close();
  }
});
