/**
 * A one-file tar archive (ustar), enough for Docker's putArchive: the file lands in the container before it
 * starts, owned by root, readable only by its owner.
 */
export function singleFileTar(name: string, content: string | Buffer, mode = 0o600): Buffer {
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const header = Buffer.alloc(512, 0);
  const put = (s: string, offset: number, length: number): void => {
    header.write(s, offset, Math.min(Buffer.byteLength(s), length), 'utf8');
  };
  const octal = (n: number, length: number): string => `${n.toString(8).padStart(length - 1, '0')}\0`;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(body.length, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  put('0', 156, 1); // regular file
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512, 0);
  return Buffer.concat([header, body, pad, Buffer.alloc(1024, 0)]);
}
