/** The protocol version both sides announce in agent.info. */

/** Major changes break clients; minor versions only add methods or optional members. */
export const PROTOCOL_VERSION = '1.0';

/** The major number of a "major.minor" version; null when it is not one. */
export function protocolMajor(version: string): number | null {
  const match = /^(\d{1,4})\.(\d{1,4})$/.exec(version);
  return match ? Number(match[1]) : null;
}
