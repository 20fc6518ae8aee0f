import { describe, expect, it } from 'vitest';
import { childrenNamed, parseXml, XML_LIMITS, XmlSyntaxError, type XmlElement } from '../../src/files/voc-xml.js';

const VOC = `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by a labelling tool -->
<annotation verified="yes">
  <folder>VisDrone2019-DET</folder>
  <size><width>1920</width><height>1080</height><depth>3</depth></size>
  <object>
    <name>car &amp; trailer</name>
    <bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox>
  </object>
  <empty/>
</annotation>
`;

function child(el: XmlElement, ...names: string[]): XmlElement {
  let at = el;
  for (const n of names) at = childrenNamed(at, n)[0]!;
  return at;
}

/** The parser's message for `text`, or 'ok'. */
function problem(text: string | Uint8Array, limits = XML_LIMITS): string {
  try {
    parseXml(text, limits);
    return 'ok';
  } catch (err) {
    if (err instanceof XmlSyntaxError) return err.message;
    throw err;
  }
}

describe('parseXml: the VOC subset', () => {
  it('parses elements, text, attributes (ignored), comments and the declaration', () => {
    const root = parseXml(Buffer.from(VOC));
    expect(root.name).toBe('annotation');
    expect(child(root, 'size', 'width').text).toBe('1920');
    expect(child(root, 'object', 'name').text).toBe('car & trailer');
    expect(child(root, 'object', 'bndbox').children.map((c) => c.name)).toEqual(['xmin', 'ymin', 'xmax', 'ymax']);
    expect(child(root, 'empty').children).toEqual([]);
  });

  it('decodes the five predefined entities and numeric character references', () => {
    const root = parseXml('<a>&lt;&gt;&amp;&apos;&quot; &#65;&#x42;&#x1F600;</a>');
    expect(root.text).toBe(`<>&'" AB\u{1F600}`);
  });

  it('accepts a UTF-8 BOM, CDATA, processing instructions and single-quoted attributes', () => {
    const root = parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("<?xml version='1.0'?><a x='1'><?pi data?><![CDATA[<b>&amp;]]></a>")]));
    expect(root.text).toBe('<b>&amp;');
  });

  it('accepts non-ASCII UTF-8 names and text', () => {
    expect(parseXml(Buffer.from('<annotation><name>Straßenbahn</name></annotation>')).children[0]!.text).toBe('Straßenbahn');
  });
});

describe('parseXml: refusals (never an expansion, a hang or a file read)', () => {
  it('refuses a billion-laughs document quickly, without expanding anything', () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<annotation>&lol9;</annotation>`;
    const started = performance.now();
    expect(problem(lol)).toMatch(/DOCTYPE declaration is not allowed.*\(line 2\)/);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('refuses an XXE document (external entity) without reading the file', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><annotation>&xxe;</annotation>';
    const msg = problem(xxe);
    expect(msg).toMatch(/DOCTYPE/);
    expect(msg).not.toContain('passwd');
  });

  it('refuses an entity reference even without a DTD, and never quotes it', () => {
    const msg = problem('<annotation>&secretname;</annotation>');
    expect(msg).toMatch(/entity reference other than/);
    expect(msg).not.toContain('secretname');
    expect(problem('<a b="&ext;"/>')).toMatch(/entity reference/);
  });

  it.each([
    ['<!ENTITY x "y"><a/>', /ENTITY declaration is not allowed/],
    ['<a><!ELEMENT a ANY></a>', /markup declarations/],
    ['<a>fish & chips</a>', /bare "&"/],
    ['<a>&#0;</a>', /character XML does not allow/],
    ['<a>&#xD800;</a>', /character XML does not allow/],
    ['<a></b>', /closing tag does not match/],
    ['<a><b></a>', /closing tag does not match/],
    ['<a>', /ends inside an open element/],
    ['<a/><b/>', /more than one root/],
    ['text<a/>', /text outside the root/],
    ['<a/>tail', /text outside the root/],
    ['', /no root element/],
    ['<!-- only a comment -->', /no root element/],
    ['<a><!-- open', /comment is not closed/],
    ['<a x=1/>', /not quoted/],
    ['<a x="1" x="2"/>', /attribute appears twice/],
    ['<a x="1"y="2"/>', /separated by white space/],
    ['<a x="<"/>', /contains "<"/],
    ['<a', /not closed/],
    ['<1a/>', /no valid name/],
    ['<a>\u0001</a>', /control character/],
    ['<a/><?xml version="1.0"?>', /very start/],
    ['<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /encoding other than UTF-8/],
    ['<a><![CDATA[x</a>', /CDATA section is not closed/],
  ])('refuses %j', (text, message) => {
    expect(problem(text)).toMatch(message);
  });

  it('refuses invalid UTF-8 (and so UTF-16)', () => {
    expect(problem(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))).toMatch(/not valid UTF-8/);
    expect(problem(Buffer.from('\uFEFF<a/>', 'utf16le'))).toMatch(/not valid UTF-8/);
  });

  it('bounds the input size, the depth and the element count', () => {
    expect(problem(Buffer.alloc(XML_LIMITS.maxBytes + 1, 0x20))).toMatch(/larger than/);
    const deep = '<a>'.repeat(XML_LIMITS.maxDepth + 1) + '</a>'.repeat(XML_LIMITS.maxDepth + 1);
    expect(problem(deep)).toMatch(/nested deeper/);
    expect(problem('<a>'.repeat(XML_LIMITS.maxDepth) + '</a>'.repeat(XML_LIMITS.maxDepth))).toBe('ok');
    expect(problem(`<r>${'<o/>'.repeat(11)}</r>`, { ...XML_LIMITS, maxElements: 10 })).toMatch(/more than 10 elements/);
  });

  it('parses a 1 MiB document in linear time', () => {
    const objects = '<object><name>car</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>';
    const text = `<annotation>${objects.repeat(Math.floor((XML_LIMITS.maxBytes - 40) / objects.length / 1.2))}</annotation>`;
    const started = performance.now();
    expect(parseXml(text).children.length).toBeGreaterThan(1000);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('names the line of the problem', () => {
    expect(problem('<a>\n<b>\n</c>\n</a>')).toMatch(/\(line 3\)$/);
  });
});
