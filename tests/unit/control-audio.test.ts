import { describe, expect, it } from 'vitest';
import { probeAudio } from '../../services/control/radio/audio-format.ts';
import { mp3, oggOpus, oggVorbis, png, wav } from '../integration/control-audio-fixtures.ts';

describe('audio recognised by content, with its length from the header', () => {
  it('WAV: length = data bytes / byte rate', () => {
    expect(probeAudio(wav(2.5))).toMatchObject({
      ok: true,
      info: { format: 'wav', mime: 'audio/wav', durationS: 2.5, sampleRate: 8000, channels: 1, codec: 'pcm' },
    });
  });

  it('MP3: constant bit rate after an ID3v2 tag, and a Xing frame count when present', () => {
    // 100 frames × 417 bytes × 8 / 128 kbit/s = 2.606 s (CBR estimate); 1152 samples / 44.1 kHz per frame otherwise.
    expect(probeAudio(mp3(100))).toMatchObject({
      ok: true,
      info: { format: 'mp3', durationS: 2.606, sampleRate: 44_100, bitrateKbps: 128, codec: 'mpeg1-layer3' },
    });
    expect(probeAudio(mp3(100, { xing: true }))).toMatchObject({ ok: true, info: { durationS: 5.224 } });
  });

  it('Ogg Vorbis and Opus: length from the last granule position', () => {
    expect(probeAudio(oggVorbis(3))).toMatchObject({ ok: true, info: { format: 'ogg', codec: 'vorbis', durationS: 3, sampleRate: 44_100 } });
    expect(probeAudio(oggOpus(1.5))).toMatchObject({ ok: true, info: { format: 'ogg', codec: 'opus', durationS: 1.5 } });
  });

  it('refuses what is not audio, whatever it is called', () => {
    for (const b of [png(), Buffer.from('{"title":"not audio"} padding padding'), Buffer.alloc(4096), Buffer.from('RIFF\0\0\0\0AVI LIST')]) {
      expect(probeAudio(b).ok).toBe(false);
    }
    // A lone byte pattern that looks like a frame sync is not enough: the next frame must follow.
    const fake = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x00]), Buffer.alloc(1000, 0x20)]);
    expect(probeAudio(fake).ok).toBe(false);
  });
});
