/**
 * Record bytes as the page shows them: always as text, which the page puts in the DOM as text, never
 * as markup (a value `<img src=x onerror=…>` is a string like any other).
 *
 * - json: the bytes are UTF-8 of a JSON object or array, pretty-printed with two spaces. A bare JSON
 *   scalar (`42`, `"x"`, `true`) stays text: that is how it was most likely written, and pretty-printing
 *   would change nothing but the label.
 * - text: valid UTF-8 with no control characters other than tab, newline and carriage return.
 * - hex: anything else, as lower-case hex pairs separated by spaces.
 * `text` holds at most 64 KiB characters; `truncated` says when it was cut.
 */
import type { DecodedBytes } from '../api';

/** Longest `text` returned (characters). */
export const MAX_TEXT = 64 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Control characters other than \t \n \r, and DEL: bytes that are not meant to be read as text. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** null stays null (a record without key or value); anything else is decoded as above. */
export function decodeBytes(bytes: Buffer | null): DecodedBytes | null {
  if (bytes === null) return null;
  const text = utf8Text(bytes);
  if (text === undefined) return hex(bytes);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return cap('json', JSON.stringify(JSON.parse(text), null, 2), bytes.length);
    } catch {
      // not JSON after all: text
    }
  }
  return cap('text', text, bytes.length);
}

/** The bytes as a string when they are printable UTF-8; undefined otherwise. */
export function utf8Text(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  return UNPRINTABLE.test(text) ? undefined : text;
}

function hex(bytes: Buffer): DecodedBytes {
  // Three characters per byte ("ab "), less the last space.
  const shown = bytes.subarray(0, Math.floor((MAX_TEXT + 1) / 3));
  const pairs = shown.toString('hex').match(/../g) ?? [];
  return {
    encoding: 'hex',
    text: pairs.join(' '),
    size: bytes.length,
    truncated: shown.length < bytes.length,
  };
}

function cap(encoding: 'json' | 'text', text: string, size: number): DecodedBytes {
  if (text.length <= MAX_TEXT) return { encoding, text, size, truncated: false };
  // Do not split a surrogate pair.
  let end = MAX_TEXT;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { encoding, text: text.slice(0, end), size, truncated: true };
}
