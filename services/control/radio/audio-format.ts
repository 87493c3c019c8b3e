/**
 * Recognises an uploaded bulletin by its bytes (never by its name or declared type) and reads its length from the
 * headers: WAV (RIFF fmt/data chunks), Ogg (Vorbis or Opus identification header + last page's granule position),
 * MP3 (ID3v2 skipped; first frame header; Xing/Info or VBRI frame count, else constant bit rate).
 */
export interface AudioInfo {
  format: 'mp3' | 'wav' | 'ogg';
  mime: string;
  durationS: number;
  sampleRate: number;
  channels: number | null;
  codec: string;
  bitrateKbps: number | null;
}

export type Probe = { ok: true; info: AudioInfo } | { ok: false; reason: string };

const fail = (reason: string): Probe => ({ ok: false, reason });
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function probeWav(b: Buffer): Probe {
  if (b.length < 12 || b.toString('ascii', 8, 12) !== 'WAVE') return fail('RIFF file that is not WAVE');
  let off = 12;
  let fmt: { codec: number; channels: number; rate: number; byteRate: number } | null = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > b.length) return fail('WAV fmt chunk is truncated');
      fmt = { codec: b.readUInt16LE(body), channels: b.readUInt16LE(body + 2), rate: b.readUInt32LE(body + 4), byteRate: b.readUInt32LE(body + 8) };
    } else if (id === 'data') {
      if (!fmt) return fail('WAV data chunk before its fmt chunk');
      if (fmt.byteRate === 0 || fmt.rate === 0) return fail('WAV fmt chunk has a zero rate');
      // Streaming writers leave the size at 0 or 0xFFFFFFFF: the rest of the file is the data then.
      const dataBytes = size === 0 || size === 0xffffffff || body + size > b.length ? b.length - body : size;
      const codec = fmt.codec === 1 ? 'pcm' : fmt.codec === 3 ? 'float' : fmt.codec === 0xfffe ? 'extensible' : `wav-${fmt.codec}`;
      return {
        ok: true,
        info: {
          format: 'wav',
          mime: 'audio/wav',
          durationS: round3(dataBytes / fmt.byteRate),
          sampleRate: fmt.rate,
          channels: fmt.channels,
          codec,
          bitrateKbps: Math.round((fmt.byteRate * 8) / 1000),
        },
      };
    }
    off = body + size + (size % 2);
  }
  return fail('WAV file without a data chunk');
}

/** Granule position of the last Ogg page of the first logical stream. */
function lastGranule(b: Buffer, serial: number): bigint | null {
  for (let i = b.length - 27; i >= 0; i--) {
    if (b[i] === 0x4f && b.toString('ascii', i, i + 4) === 'OggS' && b.readUInt32LE(i + 14) === serial) {
      const g = b.readBigInt64LE(i + 6);
      if (g >= 0n) return g;
    }
  }
  return null;
}

function probeOgg(b: Buffer): Probe {
  if (b.length < 28) return fail('Ogg file is truncated');
  const serial = b.readUInt32LE(14);
  const segs = b[26] ?? 0;
  const p = 27 + segs;
  if (p + 19 > b.length) return fail('Ogg first page is truncated');
  let rate: number;
  let channels: number;
  let codec: string;
  let preSkip = 0;
  if (b[p] === 1 && b.toString('ascii', p + 1, p + 7) === 'vorbis') {
    channels = b[p + 11] ?? 0;
    rate = b.readUInt32LE(p + 12);
    codec = 'vorbis';
  } else if (b.toString('ascii', p, p + 8) === 'OpusHead') {
    channels = b[p + 9] ?? 0;
    preSkip = b.readUInt16LE(p + 10);
    // Opus granule positions always count 48 kHz samples, whatever the input rate was.
    rate = 48_000;
    codec = 'opus';
  } else {
    return fail('Ogg stream that is neither Vorbis nor Opus');
  }
  if (!rate) return fail('Ogg identification header has no sample rate');
  const g = lastGranule(b, serial);
  if (g === null) return fail('Ogg file has no page with a granule position');
  const durationS = round3(Math.max(0, Number(g) - preSkip) / rate);
  return {
    ok: true,
    info: {
      format: 'ogg',
      mime: 'audio/ogg',
      durationS,
      sampleRate: codec === 'opus' ? 48_000 : rate,
      channels,
      codec,
      bitrateKbps: durationS > 0 ? Math.round((b.length * 8) / durationS / 1000) : null,
    },
  };
}

// MPEG audio frame header tables (ISO/IEC 11172-3, 13818-3).
const BITRATES: Record<string, number[]> = {
  v1l1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  v1l2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  v1l3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2l1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  v2l2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

interface Frame {
  version: number;
  layer: number;
  bitrate: number;
  rate: number;
  length: number;
  samples: number;
  mono: boolean;
}

function frameAt(b: Buffer, o: number): Frame | null {
  if (o + 4 > b.length || b[o] !== 0xff || ((b[o + 1] ?? 0) & 0xe0) !== 0xe0) return null;
  const h1 = b[o + 1] ?? 0;
  const h2 = b[o + 2] ?? 0;
  const version = (h1 >> 3) & 3;
  const layerBits = (h1 >> 1) & 3;
  const bi = h2 >> 4;
  const si = (h2 >> 2) & 3;
  if (version === 1 || layerBits === 0 || bi === 0 || bi === 15 || si === 3) return null;
  const layer = 4 - layerBits;
  const table = version === 3 ? `v1l${layer}` : layer === 1 ? 'v2l1' : 'v2l2';
  const bitrate = (BITRATES[table]?.[bi] ?? 0) * 1000;
  const rate = RATES[version]?.[si] ?? 0;
  const pad = (h2 >> 1) & 1;
  const samples = layer === 1 ? 384 : layer === 3 && version !== 3 ? 576 : 1152;
  const length = layer === 1 ? (Math.floor((12 * bitrate) / rate) + pad) * 4 : Math.floor(((samples / 8) * bitrate) / rate) + pad;
  return { version, layer, bitrate, rate, length, samples, mono: (b[o + 3] ?? 0) >> 6 === 3 };
}

/** Frame count from a Xing/Info or VBRI header in the first frame, if there is one. */
function vbrFrames(b: Buffer, o: number, f: Frame): number | null {
  const side = f.version === 3 ? (f.mono ? 17 : 32) : f.mono ? 9 : 17;
  const x = o + 4 + side;
  const tag = b.toString('ascii', x, x + 4);
  if ((tag === 'Xing' || tag === 'Info') && x + 12 <= b.length && (b.readUInt32BE(x + 4) & 1) === 1) return b.readUInt32BE(x + 8);
  const v = o + 36;
  if (b.toString('ascii', v, v + 4) === 'VBRI' && v + 18 <= b.length) return b.readUInt32BE(v + 14);
  return null;
}

function probeMp3(b: Buffer): Probe {
  let start = 0;
  if (b.toString('ascii', 0, 3) === 'ID3' && b.length >= 10) {
    const size = (((b[6] ?? 0) & 0x7f) << 21) | (((b[7] ?? 0) & 0x7f) << 14) | (((b[8] ?? 0) & 0x7f) << 7) | ((b[9] ?? 0) & 0x7f);
    start = 10 + size + ((b[5] ?? 0) & 0x10 ? 10 : 0);
  }
  // Some encoders pad before the first frame; a real frame is followed by another valid frame header.
  for (let o = start; o < Math.min(b.length, start + 8192); o++) {
    const f = frameAt(b, o);
    if (!f || f.length < 24) continue;
    const next = frameAt(b, o + f.length);
    if (!next && o + f.length < b.length) continue;
    const frames = vbrFrames(b, o, f);
    const tail = b.length >= 128 && b.toString('ascii', b.length - 128, b.length - 125) === 'TAG' ? 128 : 0;
    const durationS = frames !== null ? (frames * f.samples) / f.rate : ((b.length - o - tail) * 8) / f.bitrate;
    const codec = `mpeg${f.version === 3 ? 1 : f.version === 2 ? 2 : 2.5}-layer${f.layer}`;
    return {
      ok: true,
      info: {
        format: 'mp3',
        mime: 'audio/mpeg',
        durationS: round3(durationS),
        sampleRate: f.rate,
        channels: f.mono ? 1 : 2,
        codec,
        bitrateKbps: Math.round(f.bitrate / 1000),
      },
    };
  }
  return fail('no MPEG audio frame found');
}

/** Identifies MP3, WAV or Ogg by content. */
export function probeAudio(b: Buffer): Probe {
  if (b.length < 12) return fail('too short to be an audio file');
  if (b.toString('ascii', 0, 4) === 'RIFF') return probeWav(b);
  if (b.toString('ascii', 0, 4) === 'OggS') return probeOgg(b);
  if (b.toString('ascii', 0, 3) === 'ID3' || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)) return probeMp3(b);
  return fail('not an MP3, WAV or Ogg file (checked by content)');
}
