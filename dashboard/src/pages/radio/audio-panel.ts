import { api, ApiError } from '../../api.ts';
import { clear, fmtNum, fmtTime, h } from '../../dom.ts';
import { t } from '../../i18n.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { dur, type Audio } from './model.ts';
import './words.ts';

const errText = errorText;
const note = (el: HTMLElement, text: string, cls = 'muted'): void => {
  el.className = cls;
  el.textContent = text;
};

/** Uploads the file itself as the request body (the API takes raw bytes, not a multipart form). */
async function uploadAudio(file: File, title: string): Promise<Audio> {
  const r = await fetch(`/api/v1/radio/audio?title=${encodeURIComponent(title)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token ?? ''}`, 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  const data = (await r.json().catch(() => ({}))) as Audio & { error?: { code?: string; message?: string } };
  if (!r.ok) throw new ApiError(r.status, data.error?.code ?? 'HTTP', data.error?.message ?? r.statusText);
  return data;
}

/**
/** Audio files: raw upload, the list, delete; keeps the schedule form's and the emergency dialog's file choices current. */
export function audioPanel(
  lang: string,
  alive: () => boolean,
): { el: HTMLElement; audioSelect: HTMLSelectElement; emAudio: HTMLSelectElement; load: () => Promise<void> } {
  let audio: Audio[] = [];
  const audioBox = h('section', { class: 'panel', id: 'radio-audio' });
  const fileInput = h('input', { type: 'file', id: 'audio-file', accept: 'audio/*,.mp3,.wav,.ogg,.opus' });
  const titleInput = h('input', { id: 'audio-title', placeholder: t('title'), maxlength: 256 });
  const audioMsg = h('p', { class: 'muted', id: 'audio-msg', role: 'status' });
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f && !titleInput.value) titleInput.value = f.name.replace(/\.[^.]+$/, '');
  });
  const doUpload = async (): Promise<void> => {
    const f = fileInput.files?.[0];
    if (!f) return note(audioMsg, t('chooseAudio'), 'error');
    note(audioMsg, t('loading'));
    try {
      const a = await uploadAudio(f, titleInput.value.trim() || f.name);
      note(audioMsg, `${t('uploaded')}: ${a.title} (${a.format}, ${dur(a.durationS)})`);
      fileInput.value = '';
      titleInput.value = '';
      await loadAudio();
      audioSelect.value = a.id;
    } catch (e) {
      note(audioMsg, errText(e), 'error');
    }
  };
  const audioTable = h('tbody');
  audioBox.append(
    h('h2', {}, t('audioFiles')),
    gated(
      h(
        'div',
        { class: 'filters', id: 'audio-upload-form' },
        h('label', {}, t('file'), fileInput),
        h('label', {}, t('title'), titleInput),
        h('button', { type: 'button', class: 'primary', id: 'audio-upload', onclick: () => void doUpload() }, t('upload')),
        h('small', { class: 'muted' }, t('uploadHint')),
      ),
    ),
    audioMsg,
    h(
      'table',
      { class: 'grid', id: 'audio-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('title'), t('format'), t('length'), t('size'), t('uploaded'), ''].map((c) => h('th', {}, c)),
        ),
      ),
      audioTable,
    ),
  );
  const audioSelect = h('select', { id: 'bc-audio', required: true });
  const emAudio = h('select', { id: 'em-audio', required: true });
  const paintAudio = (): void => {
    clear(audioTable);
    for (const a of audio) {
      audioTable.append(
        h(
          'tr',
          { 'data-audio': a.id },
          h('td', {}, a.title),
          h('td', {}, a.format),
          h('td', {}, dur(a.durationS)),
          h('td', {}, `${fmtNum(a.sizeBytes / 1024, 0)} KiB`),
          h('td', {}, `${fmtTime(a.createdAt, lang)} · ${a.uploadedBy}`),
          h('td', { class: 'actions' }, gated(h('button', { type: 'button', onclick: () => void removeAudio(a) }, t('delete')))),
        ),
      );
    }
    if (!audio.length) audioTable.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('noData'))));
    for (const sel of [audioSelect, emAudio]) {
      const keep = sel.value;
      sel.replaceChildren(
        h('option', { value: '' }, `— ${t('chooseAudio')} —`),
        ...audio.map((a) => h('option', { value: a.id, selected: a.id === keep }, `${a.title} (${dur(a.durationS)})`)),
      );
    }
  };
  const removeAudio = async (a: Audio): Promise<void> => {
    if (!confirm(`${t('delete')} “${a.title}”?`)) return;
    try {
      await api.request('DELETE', `/api/v1/radio/audio/${encodeURIComponent(a.id)}`);
      await loadAudio();
    } catch (e) {
      note(audioMsg, errText(e), 'error');
    }
  };
  const loadAudio = async (): Promise<void> => {
    audio = (await api.get<{ items: Audio[] }>('/api/v1/radio/audio?limit=200')).items;
    if (alive()) paintAudio();
  };
  return { el: audioBox, audioSelect, emAudio, load: loadAudio };
}
