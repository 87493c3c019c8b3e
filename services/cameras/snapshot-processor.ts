/**
 * Turns a camera's snapshot into what the dashboard shows: a small WebP thumbnail for lists and maps, and a bounded
 * full image. Decoding with sharp is also the real validity check — a frame that only *starts* like a JPEG (truncated
 * by a flaky 4G link, or a busy encoder's garbage) fails here with CAMERA_BAD_RESPONSE.
 */
import sharp from 'sharp';
import type { Metadata, Sharp } from 'sharp';
import { CameraErrorCode, cameraError } from './camera-errors.ts';

export interface ImageVariant {
  buffer: Buffer;
  format: 'webp' | 'jpeg';
  width: number;
  height: number;
  bytes: number;
}

export interface ProcessedSnapshot {
  thumbnail: ImageVariant;
  full: ImageVariant;
  source: { width: number; height: number; format: string; bytes: number };
}

export interface ProcessOptions {
  thumbnailWidth?: number;
  /** Longest side of the full image. */
  maxFullSize?: number;
  fullFormat?: 'jpeg' | 'webp';
  quality?: number;
  /** Camera id/address for error messages. */
  cameraLabel?: string;
}

/** 8K is the biggest sensor we expect; more pixels than this is a decompression bomb, not a camera. */
const MAX_INPUT_PIXELS = 7680 * 4320;

function bad(label: string, why: string) {
  return cameraError(CameraErrorCode.BAD_RESPONSE, `Snapshot from camera ${label} is not a usable image (${why}).`, {
    address: label,
    operation: 'snapshot-processing',
    cause: why,
  });
}

async function toVariant(pipeline: Sharp, format: 'webp' | 'jpeg', quality: number): Promise<ImageVariant> {
  const encoded = format === 'webp' ? pipeline.webp({ quality }) : pipeline.jpeg({ quality, mozjpeg: true });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  return { buffer: data, format, width: info.width, height: info.height, bytes: data.length };
}

export async function processSnapshot(input: Buffer, opts: ProcessOptions = {}): Promise<ProcessedSnapshot> {
  const label = opts.cameraLabel ?? 'unknown';
  // failOn 'truncated' rejects cut-off JPEGs that libvips would otherwise decode with a grey bottom half.
  const source = sharp(input, { failOn: 'truncated', limitInputPixels: MAX_INPUT_PIXELS });
  let meta: Metadata;
  try {
    meta = await source.metadata();
  } catch (err) {
    throw bad(label, err instanceof Error ? err.message : 'unreadable');
  }
  if (!meta.width || !meta.height || !['jpeg', 'png', 'webp'].includes(meta.format ?? '')) {
    throw bad(label, `format ${meta.format ?? 'unknown'}`);
  }
  const quality = opts.quality ?? 80;
  const max = opts.maxFullSize ?? 1920;
  try {
    // Decode once; .rotate() applies EXIF orientation (some dome cameras mounted upside down set it).
    const decoded = source.clone().rotate();
    const [thumbnail, full] = await Promise.all([
      toVariant(decoded.clone().resize({ width: opts.thumbnailWidth ?? 320, withoutEnlargement: true }), 'webp', quality),
      toVariant(decoded.clone().resize({ width: max, height: max, fit: 'inside', withoutEnlargement: true }), opts.fullFormat ?? 'jpeg', quality),
    ]);
    return { thumbnail, full, source: { width: meta.width, height: meta.height, format: meta.format ?? '', bytes: input.length } };
  } catch (err) {
    throw bad(label, err instanceof Error ? err.message : 'decode failed');
  }
}
