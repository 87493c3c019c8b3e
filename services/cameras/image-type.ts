/** Content type from magic bytes. A camera's Content-Type header is not evidence: broken encoders label garbage image/jpeg. */
export function detectImageType(bytes: Buffer): 'image/jpeg' | 'image/png' | undefined {
  // JPEG: SOI marker FF D8 followed by another marker (ITU T.81 §B.1.1.2).
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}
