/**
 * Stable token ids. The base id is `<module>:<serial>` (`<module>:slot<N>` without a serial).
 * Some tokens share a serial (libcacard virtual cards, vendor tokens with a constant serial);
 * once two present tokens of one module have been seen with the same serial, every token with
 * that serial gets a discriminator for the rest of the service's life, so ids stay the same
 * when one of them is pulled and put back: 8 hex digits of SHA-256 over label, manufacturer and
 * model, and when that still collides, over the slot description too.
 */
import { createHash } from 'node:crypto';

export interface TokenIdentity {
  slotId: string;
  serialNumber: string;
  label: string;
  manufacturer: string;
  model: string;
  slotDescription: string;
}

function short(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 8);
}

export class TokenIds {
  /** `<module>\0<serial>` of serials seen on two tokens at once. */
  private readonly shared = new Set<string>();

  /** Ids by slot id for the present tokens of one module. */
  assign(moduleName: string, tokens: readonly TokenIdentity[]): Map<string, string> {
    const bySerial = new Map<string, TokenIdentity[]>();
    for (const token of tokens) {
      const group = bySerial.get(token.serialNumber) ?? [];
      group.push(token);
      bySerial.set(token.serialNumber, group);
    }
    const ids = new Map<string, string>();
    for (const [serial, group] of bySerial) {
      const key = `${moduleName}\0${serial}`;
      if (serial !== '' && group.length > 1) this.shared.add(key);
      for (const token of group) {
        const base = `${moduleName}:${serial || `slot${token.slotId}`}`;
        if (serial === '' || !this.shared.has(key)) {
          ids.set(token.slotId, base);
          continue;
        }
        const identity = (t: TokenIdentity) => short(t.label, t.manufacturer, t.model);
        const clash = group.some((other) => other !== token && identity(other) === identity(token));
        const discriminator = clash
          ? short(token.label, token.manufacturer, token.model, token.slotDescription)
          : identity(token);
        ids.set(token.slotId, `${base}:${discriminator}`);
      }
    }
    return ids;
  }
}
