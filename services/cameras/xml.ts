/**
 * A small, strict XML reader for SOAP responses. Elements are addressed by local name only: cameras pick arbitrary
 * prefixes (and some rebind them per element), so prefix-insensitive lookup is what works in the field.
 * DTDs are refused outright — SOAP 1.2 Part 1 §5 forbids them, and refusing them rules out entity-expansion attacks.
 */

export interface XmlElement {
  /** Local name, prefix stripped. */
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element, entities decoded, trimmed. */
  text: string;
}

export class XmlParseError extends Error {
  override name = 'XmlParseError';
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, ent: string) => {
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    const v = ENTITIES[ent];
    if (v === undefined) throw new XmlParseError(`unknown entity ${m}`);
    return v;
  });
}

const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

function skipPast(src: string, marker: string, from: number): number {
  const at = src.indexOf(marker, from);
  if (at < 0) throw new XmlParseError(`unterminated construct, expected '${marker}'`);
  return at + marker.length;
}

function parseStartTag(src: string, lt: number): { qname: string; attrs: Record<string, string>; selfClosing: boolean; end: number } {
  const nameMatch = /^<([A-Za-z_][\w.:-]*)/.exec(src.slice(lt, lt + 256));
  if (!nameMatch?.[1]) throw new XmlParseError(`bad tag at offset ${lt}`);
  const attrs: Record<string, string> = {};
  const attrRe = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')|\s*(\/?)>/y;
  attrRe.lastIndex = lt + nameMatch[0].length;
  for (;;) {
    const m = attrRe.exec(src);
    if (!m) throw new XmlParseError(`malformed attributes in <${nameMatch[1]}>`);
    if (m[1] === undefined) return { qname: nameMatch[1], attrs, selfClosing: m[5] === '/', end: attrRe.lastIndex };
    if (!m[1].startsWith('xmlns')) attrs[localName(m[1])] = decode(m[3] ?? m[4] ?? '');
  }
}

export function parseXml(src: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: { el: XmlElement; qname: string; raw: string }[] = [{ el: root, qname: '', raw: '' }];
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < src.length) {
    const top = stack[stack.length - 1]!;
    const lt = src.indexOf('<', i);
    if (lt < 0) {
      top.raw += src.slice(i);
      break;
    }
    top.raw += src.slice(i, lt);
    if (src.startsWith('<?', lt)) i = skipPast(src, '?>', lt);
    else if (src.startsWith('<!--', lt)) i = skipPast(src, '-->', lt);
    else if (src.startsWith('<![CDATA[', lt)) {
      i = skipPast(src, ']]>', lt);
      top.el.text += src.slice(lt + 9, i - 3);
    } else if (src.startsWith('<!', lt)) throw new XmlParseError('DTDs are not allowed in SOAP messages');
    else if (src.startsWith('</', lt)) {
      i = skipPast(src, '>', lt);
      const qname = src.slice(lt + 2, i - 1).trim();
      if (stack.length < 2 || qname !== top.qname) throw new XmlParseError(`unexpected </${qname}>`);
      top.el.text = (top.el.text + decode(top.raw)).trim();
      stack.pop();
    } else {
      const tag = parseStartTag(src, lt);
      const el: XmlElement = { name: localName(tag.qname), attrs: tag.attrs, children: [], text: '' };
      top.el.children.push(el);
      if (!tag.selfClosing) stack.push({ el, qname: tag.qname, raw: '' });
      i = tag.end;
    }
  }
  if (stack.length !== 1) throw new XmlParseError(`unclosed <${stack[stack.length - 1]?.qname ?? ''}>`);
  if (stack[0]!.raw.trim() !== '' || root.children.length !== 1) throw new XmlParseError('not a single-rooted XML document');
  return root.children[0]!;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el?.children.filter((c) => c.name === name) ?? [];
}

/** Follows a path of local names from el, e.g. path(body, 'Capabilities', 'Media', 'XAddr'). */
export function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  return names.reduce<XmlElement | undefined>((cur, n) => child(cur, n), el);
}

/** First descendant (depth-first) with this local name. */
export function find(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) {
    if (c.name === name) return c;
    const deep = find(c, name);
    if (deep) return deep;
  }
  return undefined;
}

export function xmlEscape(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c] ?? ''};`);
}
