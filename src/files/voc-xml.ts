/**
 * A small, safe, non-validating XML parser for the subset Pascal VOC annotations use: elements,
 * character data, attributes (checked for syntax, then ignored), comments, processing instructions,
 * CDATA sections and the `<?xml …?>` declaration.
 *
 * Safe by construction: there is no DTD support at all, so `<!DOCTYPE` and `<!ENTITY` are errors,
 * and so is every entity reference other than the five predefined ones and numeric character
 * references. Nothing is ever expanded or fetched (no billion laughs, no XXE). Input size, nesting
 * depth and element count are bounded, and the parser is a single linear scan.
 *
 * Error messages describe the problem and its line, never the file's content.
 */

export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  /** The character data directly inside this element, entities decoded. */
  text: string;
}

export interface XmlLimits {
  /** Largest input accepted, in bytes. */
  readonly maxBytes: number;
  /** Deepest element nesting accepted (the root is depth 1). */
  readonly maxDepth: number;
  /** Most elements accepted. */
  readonly maxElements: number;
}

export const XML_LIMITS: XmlLimits = { maxBytes: 1024 * 1024, maxDepth: 32, maxElements: 100_000 };

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  constructor(
    message: string,
    /** 1-based line of the problem. */
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
  }
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const NAME = /[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9._:\-\u00B7-\uFFFF]*/y;
const SPACE = /[ \t\r\n]*/y;
/** Characters XML 1.0 forbids anywhere (control characters other than tab, LF, CR; U+FFFE/U+FFFF). */
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ACCEPTED_ENCODINGS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/** Parses `input` (UTF-8 bytes, or already decoded text) into its root element. */
export function parseXml(input: Uint8Array | string, limits: XmlLimits = XML_LIMITS): XmlElement {
  return new Parser(decode(input, limits), limits).document();
}

function decode(input: Uint8Array | string, limits: XmlLimits): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (bytes > limits.maxBytes) throw new XmlSyntaxError(`the file is larger than ${limits.maxBytes} bytes`, 1);
  if (typeof input === 'string') return input.startsWith('\uFEFF') ? input.slice(1) : input;
  try {
    // fatal: invalid UTF-8 is an error; the BOM is dropped.
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new XmlSyntaxError('the file is not valid UTF-8', 1);
  }
}

class Parser {
  private pos = 0;
  private elements = 0;

  constructor(
    private readonly s: string,
    private readonly limits: XmlLimits,
  ) {}

  document(): XmlElement {
    const { s } = this;
    const bad = FORBIDDEN_CHARS.exec(s);
    if (bad) this.fail('the file contains a control character XML does not allow', bad.index);
    if (/^<\?xml[ \t\r\n?]/.test(s)) this.declaration();

    const stack: XmlElement[] = [];
    let root: XmlElement | null = null;
    while (this.pos < s.length) {
      const lt = s.indexOf('<', this.pos);
      const end = lt === -1 ? s.length : lt;
      if (end > this.pos) this.text(stack, this.pos, end);
      if (lt === -1) break;
      this.pos = lt;
      if (s.startsWith('<!--', lt)) {
        this.pos = this.endOf('-->', lt + 4, 'a comment is not closed');
      } else if (s.startsWith('<![CDATA[', lt)) {
        const close = this.endOf(']]>', lt + 9, 'a CDATA section is not closed');
        const top = stack[stack.length - 1];
        if (!top) this.fail('a CDATA section is outside the root element', lt);
        top.text += s.slice(lt + 9, close - 3);
        this.pos = close;
      } else if (s.startsWith('<!', lt)) {
        this.fail(this.declarationMessage(lt), lt);
      } else if (s.startsWith('<?', lt)) {
        if (/^<\?xml[ \t\r\n?]/i.test(s.slice(lt, lt + 6))) this.fail('the XML declaration must be at the very start of the file', lt);
        this.pos = this.endOf('?>', lt + 2, 'a processing instruction is not closed');
      } else if (s.startsWith('</', lt)) {
        this.pos = lt + 2;
        const name = this.name('a closing tag has no valid name');
        this.skipSpace();
        this.expect('>', 'a closing tag is not closed by ">"');
        const open = stack.pop();
        if (!open || open.name !== name) this.fail('a closing tag does not match the open element', lt);
      } else {
        const { element, selfClosing } = this.startTag(lt);
        if (stack.length === 0) {
          if (root !== null) this.fail('the document has more than one root element', lt);
          root = element;
        } else {
          stack[stack.length - 1]!.children.push(element);
        }
        if (!selfClosing) {
          if (stack.length >= this.limits.maxDepth) this.fail(`elements are nested deeper than ${this.limits.maxDepth} levels`, lt);
          stack.push(element);
        }
      }
    }
    if (stack.length > 0) this.fail('the document ends inside an open element', s.length);
    if (root === null) this.fail('the document has no root element', s.length);
    return root;
  }

  /** `<?xml version="1.0" encoding="…" standalone="…"?>`: only UTF-8 (or its ASCII subset) is read. */
  private declaration(): void {
    const close = this.endOf('?>', 5, 'the XML declaration is not closed');
    const body = this.s.slice(5, close - 2);
    const encoding = /\bencoding[ \t\r\n]*=[ \t\r\n]*(["'])([^"']*)\1/.exec(body)?.[2];
    if (encoding !== undefined && !ACCEPTED_ENCODINGS.has(encoding.toLowerCase())) {
      this.fail('the XML declaration names an encoding other than UTF-8; re-save the file as UTF-8', 0);
    }
    this.pos = close;
  }

  private declarationMessage(at: number): string {
    const head = this.s.slice(at, at + 9).toUpperCase();
    if (head.startsWith('<!DOCTYPE')) return 'a DOCTYPE declaration is not allowed (DTDs and entity definitions are refused)';
    if (head.startsWith('<!ENTITY')) return 'an ENTITY declaration is not allowed (entities are never defined or expanded)';
    return 'markup declarations (<!…>) are not allowed';
  }

  private startTag(at: number): { element: XmlElement; selfClosing: boolean } {
    this.pos = at + 1;
    const name = this.name('a tag has no valid name');
    if (++this.elements > this.limits.maxElements) this.fail(`the document has more than ${this.limits.maxElements} elements`, at);
    const element: XmlElement = { name, children: [], text: '' };
    const seen = new Set<string>();
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      const c = this.s[this.pos];
      if (c === '>') {
        this.pos++;
        return { element, selfClosing: false };
      }
      if (c === '/') {
        this.pos++;
        this.expect('>', 'a tag is not closed by ">"');
        return { element, selfClosing: true };
      }
      if (c === undefined) this.fail('a tag is not closed', at);
      if (this.pos === before) this.fail('attributes must be separated by white space', this.pos);
      const attr = this.name('an attribute has no valid name');
      if (seen.has(attr)) this.fail('an attribute appears twice in one tag', this.pos);
      seen.add(attr);
      this.skipSpace();
      this.expect('=', 'an attribute has no "=" and value');
      this.skipSpace();
      const quote = this.s[this.pos];
      if (quote !== '"' && quote !== "'") this.fail('an attribute value is not quoted', this.pos);
      const close = this.s.indexOf(quote, this.pos + 1);
      if (close === -1) this.fail('an attribute value is not closed', this.pos);
      const value = this.s.slice(this.pos + 1, close);
      if (value.includes('<')) this.fail('an attribute value contains "<"', this.pos);
      decodeEntities(value, (m) => this.fail(m, this.pos)); // checked for safety, then ignored
      this.pos = close + 1;
    }
  }

  private text(stack: XmlElement[], start: number, end: number): void {
    const raw = this.s.slice(start, end);
    const top = stack[stack.length - 1];
    if (!top) {
      if (raw.trim() !== '') this.fail('there is text outside the root element', start);
      return;
    }
    top.text += decodeEntities(raw, (m) => this.fail(m, start));
  }

  private name(message: string): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.s);
    if (!m) this.fail(message, this.pos);
    this.pos += m[0].length;
    return m[0];
  }

  private skipSpace(): void {
    SPACE.lastIndex = this.pos;
    SPACE.exec(this.s);
    this.pos = SPACE.lastIndex;
  }

  private expect(char: string, message: string): void {
    if (this.s[this.pos] !== char) this.fail(message, this.pos);
    this.pos++;
  }

  /** Index just past `token` searched from `from`. */
  private endOf(token: string, from: number, message: string): number {
    const i = this.s.indexOf(token, from);
    if (i === -1) this.fail(message, from);
    return i + token.length;
  }

  private fail(message: string, at: number): never {
    let line = 1;
    for (let i = 0; i < at && i < this.s.length; i++) if (this.s.charCodeAt(i) === 10) line++;
    throw new XmlSyntaxError(message, line);
  }
}

/**
 * Replaces the five predefined entities and numeric character references; anything else that
 * starts with `&` is refused (there is no DTD, so no other entity can exist).
 */
export function decodeEntities(raw: string, fail: (message: string) => never): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let from = 0;
  for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', from)) {
    out += raw.slice(from, amp);
    const semi = raw.indexOf(';', amp);
    if (semi === -1 || semi - amp > 12) fail('a bare "&" is not allowed (write &amp;)');
    const ref = raw.slice(amp + 1, semi);
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined) {
      out += predefined;
    } else if (/^#[0-9]{1,7}$/.test(ref) || /^#x[0-9A-Fa-f]{1,6}$/.test(ref)) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!isXmlChar(cp)) fail('a character reference names a character XML does not allow');
      out += String.fromCodePoint(cp);
    } else {
      fail('an entity reference other than &lt; &gt; &amp; &apos; &quot; or a character reference is not allowed (entities are never expanded)');
    }
    from = semi + 1;
  }
  return out + raw.slice(from);
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** The child elements named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}
