/**
 * Repairs, for damage that pdf.js's own recovery (XRef reconstruction, `ignoreErrors`)
 * leaves unread but poppler's `pdftotext` reads through:
 * - a Flate stream that does not inflate (a bad zlib header, a truncated or corrupt
 *   deflate tail) is replaced by the data inflated up to the error, as poppler reads it;
 *   pdf.js otherwise drops the whole stream (a bad header) or the whole page (a tail);
 * - a cross-reference entry that does not match its object (another generation, as in
 *   `5 1 obj` listed as generation 0, or another offset) is pointed at the object where it
 *   is, with the generation its header gives, as poppler's reconstruction does; pdf.js
 *   reconstructs only when the first or last page fails, so a page's content stream or
 *   font behind such an entry is lost (classic cross-reference tables only);
 * - a Pages tree with a loop (a Kids entry pointing back at an ancestor) or a kid named
 *   with the wrong generation (`4 1 R` for `4 0 obj`) is replaced by the pages it
 *   reaches, in order, with the loop skipped (as poppler does) and the kid taken at its
 *   object's generation (as pdf.js itself does for other references when it rebuilds a
 *   cross-reference table); pdf.js stops walking the tree at either and loses the pages
 *   after it.
 * The repairs are appended to the file as an incremental update (new versions of the
 * objects, a cross-reference section and a trailer whose /Prev is the file's own), so
 * nothing else in it changes. Only objects written out in the file are seen (not those
 * inside object streams), and encrypted files are left alone. Runs only when the loader
 * found pages missing or empty; a good file never comes here. Finding a damaged tail
 * means inflating every Flate stream (0.5 s for a 2 MB 10-Q of 1,189 streams), so that is
 * done only when `inflateAll` (a page failed to parse, as a damaged tail makes it fail);
 * pages that are merely empty (blank or scanned) get the cheap checks only.
 */

export interface Repaired {
  bytes: Uint8Array;
  /** One line per repair, for the document's warnings. */
  repairs: string[];
}

interface PdfObjectText {
  num: number;
  gen: number;
  /** Where `num gen obj` starts, counted from the file's header. */
  offset: number;
  /** The object's text between `obj` and `endobj` (or `stream`, for a stream). */
  dict: string;
  /** Offsets of a stream's data in the file's bytes. */
  data?: { start: number; end: number };
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);

export async function repairPdf(bytes: Uint8Array, { inflateAll }: { inflateAll: boolean }): Promise<Repaired | undefined> {
  // One character per byte, whatever the bytes: offsets in the string are offsets in the file.
  const text = new TextDecoder("latin1").decode(bytes);
  const root = lastRef(text, "Root");
  // Encrypted streams cannot be inflated here; without a catalog there is no trailer to write.
  if (/\/Encrypt\b/.test(text) || root === undefined) return undefined;
  // Offsets in a PDF count from its header (pdf.js and poppler skip bytes before it).
  const base = Math.max(0, text.indexOf("%PDF-"));
  const objects = scanObjects(text, base);
  const catalog = objects.get(root);
  const updates = new Map<number, Update>();
  const repairs: string[] = [];
  const listed = xrefEntries(text);
  const misplaced = [...objects.values()].filter((o) => listed.has(o.num) && (listed.get(o.num)!.gen !== o.gen || listed.get(o.num)!.offset !== o.offset));
  for (const object of misplaced) updates.set(object.num, { gen: object.gen, offset: object.offset });
  if (misplaced.length > 0) repairs.push(`the cross-reference entries of objects ${misplaced.map((o) => o.num).join(", ")} did not match the objects (generation or offset) and were corrected`);
  for (const object of objects.values()) {
    const fixed = await reflate(object, bytes, inflateAll);
    if (!fixed) continue;
    updates.set(object.num, { gen: object.gen, body: fixed.body });
    repairs.push(`object ${object.num}: a damaged Flate stream was read up to its error (${fixed.error})`);
  }
  const tree = catalog && flattenPageTree(catalog, objects);
  if (tree) {
    updates.set(tree.root.num, { gen: tree.root.gen, body: [latin1(tree.dict)] });
    repairs.push(`the Pages tree was rebuilt (${tree.why}): its ${tree.pages} pages were read`);
  }
  if (updates.size === 0) return undefined;
  const info = lastRef(text, "Info");
  const trailer = [`/Root ${root} ${catalog?.gen ?? 0} R`, ...(info === undefined ? [] : [`/Info ${info} ${objects.get(info)?.gen ?? 0} R`])];
  return { bytes: appendUpdate(bytes, text, base, objects, updates, trailer.join(" ")), repairs };
}

type Update = { gen: number; offset: number; body?: undefined } | { gen: number; body: Uint8Array[]; offset?: undefined };

/** The entries of the file's classic cross-reference tables, later sections overriding earlier ones. */
function xrefEntries(text: string): Map<number, { offset: number; gen: number }> {
  const entries = new Map<number, { offset: number; gen: number }>();
  for (const table of text.matchAll(/(?:^|[\r\n])xref[ \t]*[\r\n]+((?:\d+[ \t]+\d+[ \t]*[\r\n]+(?:\d{10}[ \t]\d{5}[ \t][nf][ \t]*[\r\n]+)*)+)/g)) {
    let num = 0;
    for (const line of table[1]!.split(/[\r\n]+/)) {
      const entry = line.match(/^(\d{10})[ \t](\d{5})[ \t]([nf])/);
      const section = line.match(/^(\d+)[ \t]+\d+\s*$/);
      if (section) num = Number(section[1]);
      else if (entry) {
        if (entry[3] === "n") entries.set(num, { offset: Number(entry[1]), gen: Number(entry[2]) });
        else entries.delete(num);
        num++;
      }
    }
  }
  return entries;
}

/** Each object's last definition in the file (a later one overrides, as in an incremental update). */
function scanObjects(text: string, base: number): Map<number, PdfObjectText> {
  const objects = new Map<number, PdfObjectText>();
  const header = /(?:^|[\r\n\s])(\d+)\s+(\d+)\s+obj\b/g;
  for (let match = header.exec(text); match; match = header.exec(text)) {
    const from = header.lastIndex;
    const end = text.indexOf("endobj", from);
    if (end < 0) break;
    const stream = /\bstream(\r\n|\r|\n)/.exec(text.slice(from, end));
    const offset = match.index + match[0].length - match[0].trimStart().length - base;
    const object: PdfObjectText = { num: Number(match[1]), gen: Number(match[2]), offset, dict: stream ? text.slice(from, from + stream.index) : text.slice(from, end) };
    if (stream) {
      const start = from + stream.index + stream[0].length;
      const stop = text.indexOf("endstream", start);
      if (stop < 0) break;
      object.data = { start, end: text[stop - 2] === "\r" ? stop - 2 : /[\r\n]/.test(text[stop - 1] ?? "") ? stop - 1 : stop };
      header.lastIndex = text.indexOf("endobj", stop);
      if (header.lastIndex < 0) break;
    } else {
      header.lastIndex = end;
    }
    objects.set(object.num, object);
  }
  return objects;
}

/**
 * A Flate stream (no predictor, not an image or a cross-reference stream) with a bad zlib
 * header or, when `inflateAll`, one that does not inflate: as the data inflated up to the error.
 */
async function reflate(object: PdfObjectText, bytes: Uint8Array, inflateAll: boolean): Promise<{ body: Uint8Array[]; error: string } | undefined> {
  const { dict, data } = object;
  const filter = /\/Filter\s*(?:\/FlateDecode|\[\s*\/FlateDecode\s*\])/;
  if (!data || !filter.test(dict) || /\/DecodeParms|\/Subtype\s*\/Image|\/Type\s*\/XRef/.test(dict)) return undefined;
  const zlib = bytes.subarray(data.start, data.end);
  const [cmf = 0, flg = 0] = zlib;
  const header = (cmf & 0x0f) === 8 && (cmf * 256 + flg) % 31 === 0 && !(flg & 0x20) ? undefined : "bad zlib header";
  if (!header && !inflateAll) return undefined;
  // zlib = a two-byte header, deflate data, an Adler-32 checksum (which pdf.js does not check).
  // Inflated without the checksum first: workerd's raw inflater, unlike Node's, fails on
  // bytes after the deflate data and then gives nothing. With it too only if that fails
  // (a stream cut short, or written without a checksum).
  const body = await inflateRaw(zlib.subarray(2, -4));
  const all = body.error ? await inflateRaw(zlib.subarray(2)) : body;
  const why = header ?? (body.error && all.error);
  const inflated = all.inflated.length > body.inflated.length ? all.inflated : body.inflated;
  if (!why || inflated.length === 0) return undefined;
  const kept = dict
    .replace(filter, "")
    .replace(/\/Length\s+\d+(?:\s+\d+\s+R)?/, "")
    .replace(/\/DL\s+\d+/, "");
  return { body: [latin1(kept.replace("<<", `<< /Length ${inflated.length}`) + "stream\n"), inflated, latin1("\nendstream")], error: why };
}

/** Inflates raw deflate data, keeping what came out before an error. */
async function inflateRaw(data: Uint8Array): Promise<{ inflated: Uint8Array; error?: string }> {
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  writer.write(data.slice()).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let error: string | undefined;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
  }
  return { inflated: concat(chunks), ...(error ? { error } : {}) };
}

/**
 * The root Pages node rewritten to list, in order, every page its tree reaches when a
 * node already visited is skipped and a kid is taken at its object's generation;
 * undefined when the tree has neither a loop nor a kid of the wrong generation, or cannot be
 * walked here (a node inside an object stream, Kids given by reference).
 */
function flattenPageTree(catalog: PdfObjectText, objects: Map<number, PdfObjectText>): { root: PdfObjectText; dict: string; pages: number; why: string } | undefined {
  const root = objects.get(Number(catalog.dict.match(/\/Pages\s+(\d+)\s+\d+\s+R/)?.[1]));
  if (!root) return undefined;
  const pages: string[] = [];
  const seen = new Set<number>();
  const why = new Set<string>();
  const walk = (node: PdfObjectText): boolean => {
    const kids = node.dict.match(/\/Kids\s*\[([^\]]*)\]/);
    if (!kids) {
      if (/\/Kids/.test(node.dict)) return false;
      pages.push(`${node.num} ${node.gen} R`);
      return true;
    }
    for (const [, num, gen] of kids[1]!.matchAll(/(\d+)\s+(\d+)\s+R/g)) {
      if (seen.has(Number(num))) {
        why.add("a loop skipped");
        continue;
      }
      seen.add(Number(num));
      const kid = objects.get(Number(num));
      if (!kid || !walk(kid)) return false;
      if (kid.gen !== Number(gen)) why.add(`kid ${num} ${gen} R taken as ${num} ${kid.gen} obj`);
    }
    return true;
  };
  seen.add(root.num);
  if (!walk(root) || why.size === 0 || pages.length === 0) return undefined;
  const dict = root.dict
    .replace(/\/Kids\s*\[[^\]]*\]/, `/Kids [${pages.join(" ")}]`)
    .replace(/\/Count\s+\d+/, "")
    .replace("<<", `<< /Count ${pages.length}`);
  return { root, dict, pages: pages.length, why: [...why].join(", ") };
}

/** The object number of the last `/key n g R` in the file: the newest trailer's, in an updated file. */
function lastRef(text: string, key: string): number | undefined {
  const last = [...text.matchAll(new RegExp(`/${key}\\s+(\\d+)\\s+\\d+\\s+R`, "g"))].at(-1);
  return last ? Number(last[1]) : undefined;
}

/** `bytes` followed by the updated objects, a cross-reference section for them and a trailer pointing back at the file's own. */
function appendUpdate(bytes: Uint8Array, text: string, base: number, objects: Map<number, PdfObjectText>, updates: Map<number, Update>, entries: string): Uint8Array {
  const parts: Uint8Array[] = [bytes, latin1("\n")];
  let length = bytes.length + 1 - base;
  const xref: string[] = ["xref\n0 1\n0000000000 65535 f \n"];
  for (const [num, { gen, body, offset }] of [...updates].sort(([a], [b]) => a - b)) {
    xref.push(`${num} 1\n${String(offset ?? length).padStart(10, "0")} ${String(gen).padStart(5, "0")} n \n`);
    if (!body) continue;
    for (const part of [latin1(`${num} ${gen} obj\n`), ...body, latin1("\nendobj\n")]) {
      parts.push(part);
      length += part.length;
    }
  }
  let size = 0;
  for (const num of objects.keys()) size = Math.max(size, num + 1);
  for (const [, declared] of text.matchAll(/\/Size\s+(\d+)/g)) size = Math.max(size, Number(declared));
  const prev = [...text.matchAll(/startxref\s+(\d+)/g)].at(-1)?.[1];
  const trailer = `trailer\n<< /Size ${size} ${entries}${prev ? ` /Prev ${prev}` : ""} >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(latin1(xref.join("") + trailer));
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
