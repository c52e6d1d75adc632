/**
 * A zstd frame that stores its content uncompressed, in one raw block (RFC 8878 §3.1.1): every
 * zstd decoder reads it. Used for replies of a few hundred bytes — most replies of a sync
 * (`meta`, `start`, `applyChunk`, `sanityCheck2`, `finish`, every media `uploadChanges`) — where
 * compression saves a handful of bytes but setting up a compressor (its tables are allocated
 * and cleared per call) costs more than the rest of the reply's work.
 */

const MAGIC = 0xfd2fb528;
/** A raw block holds at most 128 KiB (Block_Maximum_Size); callers send far less this way. */
export const RAW_FRAME_MAX_CONTENT = 128 * 1024;

/**
 * `content` as one zstd frame: single segment (so the window is the content size and no window
 * descriptor follows), the content size in the header, no checksum, one last raw block.
 */
export function zstdRawFrame(content: Buffer): Buffer {
  const size = content.length;
  if (size > RAW_FRAME_MAX_CONTENT) throw new RangeError(`zstdRawFrame: ${size} bytes is over one block`);
  // Frame_Content_Size (RFC 8878 §3.1.1.1.4): 1 byte below 256, 2 bytes holding size - 256 up
  // to 65,791, else 4 bytes; FCS_flag (bits 7-6 of the descriptor) is 0, 1 or 2 for these.
  const fcsFlag = size < 256 ? 0 : size <= 65_791 ? 1 : 2;
  const fcsBytes = [1, 2, 4][fcsFlag]!;
  const header = Buffer.allocUnsafe(4 + 1 + fcsBytes + 3);
  header.writeUInt32LE(MAGIC, 0);
  // Frame_Header_Descriptor: FCS_flag, Single_Segment (bit 5); no checksum, no dictionary.
  header[4] = (fcsFlag << 6) | (1 << 5);
  if (fcsFlag === 0) header[5] = size;
  else if (fcsFlag === 1) header.writeUInt16LE(size - 256, 5);
  else header.writeUInt32LE(size, 5);
  // Block_Header, 3 bytes little-endian: Last_Block (bit 0), Block_Type 0 = raw (bits 1-2), Block_Size (bits 3-23).
  const block = (size << 3) | 1;
  const at = 5 + fcsBytes;
  header[at] = block & 0xff;
  header[at + 1] = (block >>> 8) & 0xff;
  header[at + 2] = (block >>> 16) & 0xff;
  return Buffer.concat([header, content], header.length + size);
}
