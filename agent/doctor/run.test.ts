import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualUsbSource, type Platform } from '../devices/index.ts';
import { exitCodeFor, formatReport, runDoctor, usbFindings } from './index.ts';

const bare: Platform = { os: 'linux', arch: 'x64', env: {}, exists: () => false };

function configDir(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-doctor-run-'));
  writeFileSync(join(dir, 'config.json'), text);
  return dir;
}

describe('runDoctor without hardware', () => {
  it('reports a broken config and a machine without any token library, and exits 2', async () => {
    const usb = new ManualUsbSource();
    usb.plug({ vid: '0529', pid: '0620', busNumber: 1, deviceAddress: 2 });
    const report = await runDoctor({
      configDir: configDir('{ "port": "fast" }'),
      platform: bare,
      usb,
      portState: async () => ({ state: 'free' }),
      openTokens: () => Promise.reject(new Error('must not be called without modules')),
      timezoneOffsetMinutes: -420,
    });
    const ids = report.findings.map((f) => f.id);
    expect(ids).toContain('agent.config-invalid');
    expect(report.findings.find((f) => f.id === 'agent.config-invalid')?.message.en).toContain(
      'port',
    );
    expect(ids).toContain('port.free');
    expect(ids).toContain('modules.none');
    expect(ids).toContain('usb.module-missing');
    expect(ids).toContain('clock.ok');
    expect(report.worst).toBe('error');
    expect(exitCodeFor(report.worst)).toBe(2);
    const text = formatReport(report);
    expect(text).toContain(
      '[LỖI/ERROR] Thiết bị USB / USB devices\n    Đã cắm Thales (SafeNet) SafeNet eToken 5110 / 5110 CC [0529:0620]',
    );
    // Counts first, worst first; times in Vietnam time.
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/— \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(\+07:00\) \(/);
    expect(lines[1]).toMatch(
      /^Kết quả: có lỗi cần sửa — \d+ lỗi, (\d+ cảnh báo, )?(\d+ ghi chú, )?\d+ đạt\.$/,
    );
    expect(lines[2]).toMatch(/^Result: errors to fix — \d+ errors?, /);
    const marks = lines.filter((l) => l.startsWith('[')).map((l) => l.slice(0, l.indexOf(']') + 1));
    const order = ['[LỖI/ERROR]', '[CẢNH BÁO/WARNING]', '[GHI CHÚ/NOTE]', '[ĐẠT/OK]'];
    expect(marks.map((m) => order.indexOf(m))).toEqual(
      [...marks.map((m) => order.indexOf(m))].sort((a, b) => a - b),
    );
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(text).toContain('→ Install SafeNet Authentication Client (SAC)');
  });

  it('reports a token service that does not answer instead of hanging', async () => {
    const report = await runDoctor({
      configDir: configDir('{}'),
      platform: { ...bare, exists: (p) => p === '/usr/lib/softhsm/libsofthsm2.so' },
      usb: null,
      portState: async () => ({ state: 'free' }),
      openTokens: () => new Promise(() => undefined),
      tokenTimeoutMs: 100,
    });
    const failed = report.findings.find((f) => f.id === 'tokens.check-failed');
    expect(failed?.severity).toBe('error');
    expect(failed?.message.en).toContain('did not answer within 100 ms');
  });

  it('lists a recognised device with its installed library', () => {
    const findings = usbFindings({
      mode: 'usb',
      devices: () => [
        {
          usb: { vid: '096e', pid: '0807' },
          device: {
            id: 'feitian-epass2003',
            vendor: 'Feitian',
            model: 'ePass2003',
            kind: 'token',
            usb: [],
            atr: [],
            modules: [],
          },
          installedModule: {
            moduleId: 'opensc',
            path: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
          },
        },
      ],
    });
    expect(findings).toEqual([
      expect.objectContaining({
        id: 'usb.recognised',
        severity: 'ok',
        facts: {
          device: 'feitian-epass2003',
          module: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
        },
      }),
    ]);
  });
});
