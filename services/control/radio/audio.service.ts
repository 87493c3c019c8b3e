/** Audio assets: checked by content, hashed, stored once per distinct file, served to clusters by signed URL. */
import { createHash } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { AppError, badRequest, conflict, notFound } from '../../common/errors.ts';
import { probeAudio } from './audio-format.ts';
import type { AudioStore } from './audio-store.ts';
import type { AudioRecord, RadioRepository } from './radio.repository.ts';

/** 20 MiB: a ten-minute bulletin at 128 kbit/s is ~9.6 MB; WAV masters should be encoded before upload. */
export const MAX_AUDIO_BYTES = 20 * 1024 * 1024;
/** Longest bulletin accepted (s): a file longer than two hours is almost certainly a mistake. */
const MAX_DURATION_S = 2 * 3600;

export class AudioService {
  private readonly repo: RadioRepository;
  private readonly store: AudioStore;

  constructor(repo: RadioRepository, store: AudioStore) {
    this.repo = repo;
    this.store = store;
  }

  /** Stores an upload; the same bytes uploaded again return the first asset (created: false). */
  async upload(body: Buffer, title: string, by: string): Promise<{ asset: AudioRecord; created: boolean }> {
    if (body.length === 0) throw badRequest('EMPTY_UPLOAD', 'the request body holds no file');
    if (body.length > MAX_AUDIO_BYTES) throw new AppError('AUDIO_TOO_LARGE', 413, `the file is ${body.length} bytes; at most ${MAX_AUDIO_BYTES} are accepted`);
    const p = probeAudio(body);
    if (!p.ok) throw new AppError('UNSUPPORTED_AUDIO', 415, `not an accepted audio file (MP3, WAV or Ogg Vorbis/Opus): ${p.reason}`);
    if (!(p.info.durationS > 0)) throw new AppError('UNSUPPORTED_AUDIO', 415, 'the file holds no audio (duration 0)');
    if (p.info.durationS > MAX_DURATION_S)
      throw badRequest('AUDIO_TOO_LONG', `the file lasts ${Math.round(p.info.durationS)} s; at most ${MAX_DURATION_S} s are accepted`);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const earlier = await this.repo.audioBySha(sha256);
    if (earlier) return { asset: earlier, created: false };
    await this.store.save(body, sha256, p.info.format);
    const asset = await this.repo.insertAudio({
      id: `au-${sha256.slice(0, 16)}`,
      title,
      format: p.info.format,
      mime: p.info.mime,
      sizeBytes: body.length,
      sha256,
      durationS: p.info.durationS,
      detail: { sampleRate: p.info.sampleRate, channels: p.info.channels, codec: p.info.codec, bitrateKbps: p.info.bitrateKbps },
      uploadedBy: by,
    });
    return { asset, created: true };
  }

  async get(id: string): Promise<AudioRecord> {
    const a = await this.repo.audio(id);
    if (!a) throw notFound('Audio', id);
    return a;
  }

  list(limit: number, offset: number): Promise<AudioRecord[]> {
    return this.repo.audioList(limit, offset);
  }

  async open(id: string): Promise<{ asset: AudioRecord; stream: ReadStream; size: number }> {
    const asset = await this.get(id);
    const size = await this.store.size(asset.sha256, asset.format);
    if (size === null) throw new AppError('AUDIO_FILE_MISSING', 410, `the file of '${id}' is no longer on disk`);
    return { asset, stream: this.store.open(asset.sha256, asset.format), size };
  }

  async remove(id: string): Promise<void> {
    const a = await this.get(id);
    const uses = await this.repo.audioInUse(id);
    if (uses) throw conflict('AUDIO_IN_USE', `audio '${id}' is used by ${uses} broadcast(s)`);
    await this.repo.deleteAudio(id);
    await this.store.remove(a.sha256, a.format);
  }
}
