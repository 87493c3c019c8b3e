/**
 * The operator's microphone as a broadcast source: the browser records it (MediaRecorder, WebM/Opus at 32 kbit/s,
 * a chunk every 250 ms) and pushes the chunks over the WebSocket link the API gave when the broadcast was created.
 * Browsers give the microphone only to a secure page (HTTPS, or localhost): the caller says so when it is not.
 */
export interface MicSession {
  /** Bytes sent so far. */
  bytes(): number;
  /** Stops recording, sends what is left, closes the socket. */
  stop(): Promise<void>;
}

export const micAvailable = (): boolean => window.isSecureContext && !!navigator.mediaDevices?.getUserMedia && typeof MediaRecorder !== 'undefined';

/** Asks for the microphone first (before anything is created), so a refusal creates no broadcast. */
export async function openMicrophone(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
}

const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'];

export function pickType(): string {
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) ?? '';
}

export async function pushMicrophone(stream: MediaStream, link: string, onClosed: () => void): Promise<MicSession> {
  const type = pickType();
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${link}&type=${encodeURIComponent(type || 'audio/webm')}`;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('microphone link refused')), { once: true });
  });
  let sent = 0;
  const rec = new MediaRecorder(stream, { ...(type ? { mimeType: type } : {}), audioBitsPerSecond: 32_000 });
  rec.addEventListener('dataavailable', (e) => {
    if (!e.data.size || ws.readyState !== WebSocket.OPEN) return;
    sent += e.data.size;
    ws.send(e.data);
  });
  ws.addEventListener('close', () => {
    if (rec.state !== 'inactive') rec.stop();
    for (const tr of stream.getTracks()) tr.stop();
    onClosed();
  });
  rec.start(250);
  return {
    bytes: () => sent,
    async stop() {
      if (rec.state !== 'inactive') {
        const last = new Promise<void>((r) => rec.addEventListener('stop', () => r(), { once: true }));
        rec.stop();
        await last;
      }
      for (const tr of stream.getTracks()) tr.stop();
      // The last chunk is queued before 'stop'; give the socket a moment to send it.
      await new Promise((r) => setTimeout(r, 300));
      ws.close();
    },
  };
}
