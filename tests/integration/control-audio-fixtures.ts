/** Tiny, valid audio files built byte by byte, for upload tests (no binary fixtures in the repository). */

/** PCM WAV: 8 kHz mono 16-bit, `seconds` of silence. */
export function wav(seconds: number, rate = 8000): Buffer {
  const data = Math.round(seconds * rate) * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(data, 40);
  return b;
}

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo: `frames` frames of 417 bytes (1152 samples each), after an ID3v2 tag. */
export function mp3(frames: number, opts: { xing?: boolean } = {}): Buffer {
  const id3 = Buffer.alloc(10 + 20);
  id3.write('ID3', 0, 'ascii');
  id3[3] = 4;
  id3[9] = 20;
  const frame = (): Buffer => {
    const f = Buffer.alloc(417);
    f[0] = 0xff;
    f[1] = 0xfb;
    f[2] = 0x90;
    f[3] = 0x00;
    return f;
  };
  const list = Array.from({ length: frames }, frame);
  if (opts.xing && list[0]) {
    // Xing header after 32 bytes of side information: flags = frames present; count excludes nothing here.
    list[0].write('Xing', 36, 'ascii');
    list[0].writeUInt32BE(1, 40);
    list[0].writeUInt32BE(frames * 2, 44);
  }
  return Buffer.concat([id3, ...list]);
}

function oggPage(serial: number, seq: number, granule: bigint, headerType: number, body: Buffer): Buffer {
  const h = Buffer.alloc(27 + 1);
  h.write('OggS', 0, 'ascii');
  h[5] = headerType;
  h.writeBigInt64LE(granule, 6);
  h.writeUInt32LE(serial, 14);
  h.writeUInt32LE(seq, 18);
  h[26] = 1;
  h[27] = body.length;
  return Buffer.concat([h, body]);
}

/** Ogg Vorbis: identification header at 44.1 kHz, last page's granule = seconds × 44100. */
export function oggVorbis(seconds: number): Buffer {
  const id = Buffer.alloc(30);
  id[0] = 1;
  id.write('vorbis', 1, 'ascii');
  id[11] = 2;
  id.writeUInt32LE(44_100, 12);
  const audio = Buffer.alloc(200, 0x55);
  return Buffer.concat([oggPage(7, 0, 0n, 2, id), oggPage(7, 1, 0n, 0, audio), oggPage(7, 2, BigInt(Math.round(seconds * 44_100)), 4, audio)]);
}

/** Ogg Opus: 312 samples of pre-skip; granules count 48 kHz samples. */
export function oggOpus(seconds: number): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'ascii');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(312, 10);
  head.writeUInt32LE(16_000, 12);
  const audio = Buffer.alloc(120, 0x33);
  return Buffer.concat([oggPage(9, 0, 0n, 2, head), oggPage(9, 1, BigInt(Math.round(seconds * 48_000) + 312), 4, audio)]);
}

/** A PNG signature and header: an image with an audio name is still not audio. */
export const png = (): Buffer => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
