import { describe, expect, it } from 'vitest';
import { TokenIds, type TokenIdentity } from './token-id.ts';

const card = (slotId: string, label: string, serialNumber = '000058bd002c19b5'): TokenIdentity => ({
  slotId,
  serialNumber,
  label,
  manufacturer: 'piv_II',
  model: 'PKCS#15 emulated',
  slotDescription: `Virtual PCD 00 0${slotId}`,
});

describe('TokenIds', () => {
  it('keeps <module>:<serial> while serials are unique', () => {
    const ids = new TokenIds().assign('opensc-pkcs11', [
      card('0', 'A', '01'),
      card('1', 'B', '02'),
    ]);
    expect([...ids.values()]).toEqual(['opensc-pkcs11:01', 'opensc-pkcs11:02']);
  });

  it('tells apart tokens sharing a serial, with ids that survive unplug and replug', () => {
    const ids = new TokenIds();
    const both = ids.assign('opensc-pkcs11', [card('0', 'A'), card('1', 'B')]);
    expect(new Set(both.values()).size).toBe(2);
    const a = both.get('0');
    // B pulled: A keeps its id; B back in another slot gets its old id.
    expect(ids.assign('opensc-pkcs11', [card('0', 'A')]).get('0')).toBe(a);
    expect(ids.assign('opensc-pkcs11', [card('0', 'A'), card('5', 'B')]).get('5')).toBe(
      both.get('1'),
    );
  });

  it('uses the slot description when label, manufacturer and model are the same too', () => {
    const ids = new TokenIds().assign('m', [card('0', 'A'), card('1', 'A')]);
    expect(new Set(ids.values()).size).toBe(2);
  });
});
