/** Hostile-client helpers for the attack tests: raw upgrades and huge frames over net sockets. */
import { connect, type Socket } from 'node:net';

export const upgradeHead = (port: number, origin: string): string =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n\r\n`;

/** Header of a masked text frame of `length` bytes with the all-zero mask (payload sent as is). */
export function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  header.writeUInt32BE(0, 10);
  return header;
}

export interface FloodResult {
  /** HTTP status of the upgrade (101 when accepted). */
  status: number;
  /** Close code the agent sent (0 when none came: closeReason then says 'reply' or why). */
  closeCode: number;
  closeReason: string;
  /** Payload bytes written before the agent hung up. */
  sent: number;
  body: string;
}

/**
 * Opens a raw WebSocket and sends one text frame of payload.length bytes (the frame header may
 * go in the same packet as the upgrade request), then waits for the agent's close frame.
 */
export function sendHugeFrame(
  port: number,
  origin: string,
  payload: Buffer,
  options: { withUpgrade?: boolean; timeoutMs?: number; chunk?: number } = {},
): Promise<FloodResult> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let sent = 0;
    let status = 0;
    let done = false;
    const finish = (closeCode: number, closeReason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, closeCode, closeReason, sent, body: buffer.toString('latin1') });
    };
    const timer = setTimeout(() => finish(0, 'timeout'), options.timeoutMs ?? 30_000);
    socket.on('error', () => undefined);
    socket.on('close', () => finish(0, 'closed'));
    const chunkSize = options.chunk ?? 1024 * 1024;
    const pump = () => {
      while (sent < payload.length && !socket.destroyed) {
        const part = payload.subarray(sent, Math.min(payload.length, sent + chunkSize));
        sent += part.length;
        if (!socket.write(part)) return void socket.once('drain', pump);
      }
    };
    socket.on('connect', () => {
      if (options.withUpgrade) {
        socket.write(
          Buffer.concat([Buffer.from(upgradeHead(port, origin)), frameHeader(payload.length)]),
        );
      } else socket.write(upgradeHead(port, origin));
    });
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = Number(buffer.subarray(9, 12).toString());
        if (status !== 101) {
          const length = /Content-Length: (\d+)/i.exec(buffer.toString('latin1'));
          if (length && buffer.length >= end + 4 + Number(length[1])) {
            buffer = buffer.subarray(end + 4);
            return finish(0, 'refused');
          }
          return;
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        if (!options.withUpgrade) socket.write(frameHeader(payload.length));
        pump();
      }
      // A reply (text frame) means the agent read and answered the whole message.
      if (upgraded && buffer[0] === 0x81) return finish(0, 'reply');
      // The agent's close frame: 0x88, length, 2-byte code, reason.
      const close = buffer.indexOf(0x88);
      if (upgraded && close >= 0 && buffer.length >= close + 2 + (buffer[close + 1] ?? 0)) {
        const length = buffer[close + 1] ?? 0;
        const code = length >= 2 ? buffer.readUInt16BE(close + 2) : 1005;
        finish(code, buffer.subarray(close + 4, close + 2 + length).toString());
      }
    });
  });
}
