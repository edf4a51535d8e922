import { describe, expect, it } from 'vitest';
import type { CertificateInfo } from '../tokens/index.ts';
import { CertificateStatusCheck } from './status-check.ts';

const certificate = { certificate: '', tokenId: 't', subject: { text: 'CN=x' } } as CertificateInfo;
const tokens = { listCertificates: () => Promise.resolve([]) };

describe('CertificateStatusCheck', () => {
  it('without trust anchors: nothing checked, recorded as not-checked with a warning', async () => {
    const check = new CertificateStatusCheck({
      tokens,
      trust: () => ({ anchors: [], intermediates: [] }),
    });
    const outcome = await check.run(certificate);
    expect(outcome.error).toBeUndefined();
    expect(outcome.record).toMatchObject({ checked: 'none', status: 'not-checked' });
    expect(outcome.record.warnings[0]).toMatch(/trust anchors/);
  });
});
