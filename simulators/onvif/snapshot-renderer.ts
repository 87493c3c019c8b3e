/**
 * Renders the simulated camera's JPEG: a per-camera background with the camera name, its clock and the PTZ position as
 * SVG text, so a test (or a person looking at the dashboard) can see the picture change after a move.
 * 640×360 keeps one render at a few milliseconds; identical frames within the same second are served from a cache.
 */
import sharp from 'sharp';
import type { PtzPosition } from './ptz-model.ts';
import { xmlEscape } from './soap-envelope.ts';

export const SNAPSHOT_WIDTH = 640;
export const SNAPSHOT_HEIGHT = 360;

function hueOf(id: string): number {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

function overlay(name: string, at: Date, pos: PtzPosition): string {
  const line = (y: number, size: number, s: string): string =>
    `<text x="24" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="#fff">${xmlEscape(s)}</text>`;
  // A cross-hair that moves with pan/tilt makes the PTZ state visible in the picture itself.
  const cx = Math.round(SNAPSHOT_WIDTH / 2 + pos.pan * 280);
  const cy = Math.round(SNAPSHOT_HEIGHT / 2 - pos.tilt * 150);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SNAPSHOT_WIDTH}" height="${SNAPSHOT_HEIGHT}">` +
    `<circle cx="${cx}" cy="${cy}" r="${12 + Math.round(pos.zoom * 40)}" stroke="#ff0" stroke-width="4" fill="none"/>` +
    line(48, 30, name) +
    line(90, 22, at.toISOString().replace('T', ' ').slice(0, 19) + ' UTC') +
    line(126, 22, `pan ${pos.pan.toFixed(3)}  tilt ${pos.tilt.toFixed(3)}  zoom ${pos.zoom.toFixed(3)}`) +
    `</svg>`
  );
}

export class SnapshotRenderer {
  private cache: { key: string; jpeg: Promise<Buffer> } | undefined;

  constructor(
    private readonly id: string,
    private readonly name: string,
  ) {}

  render(at: Date, pos: PtzPosition): Promise<Buffer> {
    const key = `${Math.floor(at.getTime() / 1000)}|${pos.pan.toFixed(3)}|${pos.tilt.toFixed(3)}|${pos.zoom.toFixed(3)}`;
    if (this.cache?.key === key) return this.cache.jpeg;
    const jpeg = sharp({
      create: {
        width: SNAPSHOT_WIDTH,
        height: SNAPSHOT_HEIGHT,
        channels: 3,
        background: `hsl(${hueOf(this.id)}, 45%, 30%)`,
      },
    })
      .composite([{ input: Buffer.from(overlay(this.name, at, pos)), top: 0, left: 0 }])
      .jpeg({ quality: 70 })
      .toBuffer();
    this.cache = { key, jpeg };
    // A failed render must not be cached forever.
    jpeg.catch(() => {
      if (this.cache?.jpeg === jpeg) this.cache = undefined;
    });
    return jpeg;
  }
}
