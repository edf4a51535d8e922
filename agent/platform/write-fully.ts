/**
 * A positioned write of the whole buffer. A disk that fills part-way through a write gives a
 * short count, not an error (write(2)): taken as done, a chunk or a signed copy would be
 * stored cut short under a size and digest that claim it whole. Writing the rest makes the
 * disk answer ENOSPC, which asDiskFull turns into DISK_FULL.
 */
/** What writeFully needs of a FileHandle (tests give a disk that fills). */
export interface PositionalWriter {
  write(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
}

export async function writeFully(
  handle: PositionalWriter,
  data: Buffer,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    // write(2) never returns 0 for a non-empty buffer; looping on it would never end.
    if (bytesWritten === 0) throw new Error(`wrote 0 of ${data.length - done} bytes`);
    done += bytesWritten;
  }
}
