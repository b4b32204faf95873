import type { IncomingMessage } from 'node:http';

/**
 * The request target, made canonical once, before anything looks at it: the path that is routed,
 * rate-limited, logged, rewritten and sent upstream is the same string, and no URL library
 * re-normalises it afterwards (a `new URL()` later on resolved `/api/./checkout` to
 * `/api/checkout` after routing had missed the `/api/checkout` route and its limits).
 *
 * The rule (Envoy's `normalize_path`, `merge_slashes` and `path_with_escaped_slashes_action` are
 * the model; where we differ it is to refuse rather than guess):
 *  1. origin-form (`/p?q`) or absolute-form (`http://authority/p?q`, RFC 9112 §3.2.2; its path is
 *     routed and its authority replaces `Host`); anything else (`*`, `example.com:443`) is refused;
 *  2. control characters, space, DEL, `#` and non-ASCII bytes are refused;
 *  3. every `%` must start a valid escape; `%00` is refused;
 *  4. percent-encoded unreserved characters (ALPHA DIGIT `-` `.` `_` `~`) are decoded
 *     (RFC 3986 §6.2.2.2): `%2e` is a dot and `%63` is `c` to every upstream, so they are to us;
 *  5. `%2F` and `%5C` (escaped slash, backslash) follow `escaped_slashes`: REJECT_REQUEST
 *     (default), KEEP_UNCHANGED (kept as sent, not a separator) or UNESCAPE_AND_FORWARD (decoded
 *     to `/`; an escaped backslash is still refused);
 *  6. a raw `\` is refused: some servers read it as `/`, others as a byte;
 *  7. `//` runs are merged into one `/` when `merge_slashes` is on (our default, unlike Envoy's:
 *     many upstream frameworks merge them, so an unmerged `//` would reach a route's path without
 *     its policies);
 *  8. dot segments are removed (RFC 3986 §5.2.4; `..` at the root stays at the root);
 *  9. the query is kept exactly as sent.
 * Other bytes (`{`, `}`, `` ` ``, `|`, …) pass through as sent.
 */
/** Marks a raw request whose target was refused by `canonicalTarget` (with the reason); see the gateway's rewriteUrl. */
export const REFUSED = Symbol('brownout.refusedTarget');
export type RefusedRequest = IncomingMessage & { [REFUSED]?: string };

export type EscapedSlashesAction = 'REJECT_REQUEST' | 'KEEP_UNCHANGED' | 'UNESCAPE_AND_FORWARD';

export interface TargetRules {
  readonly mergeSlashes: boolean;
  readonly escapedSlashes: EscapedSlashesAction;
}

/** Result of `canonicalTarget`: `url` (path + query) or a refusal `reason`; `authority` for absolute-form. */
export interface CanonicalTarget {
  url: string;
  authority: string | undefined;
  reason: string | undefined;
}

/** A fresh result holder; the gateway keeps one and reuses it (the call is synchronous). */
export function emptyTarget(): CanonicalTarget {
  return { url: '', authority: undefined, reason: undefined };
}

function refuse(out: CanonicalTarget, reason: string): CanonicalTarget {
  out.url = '';
  out.authority = undefined;
  out.reason = reason;
  return out;
}

const HEX = /^[0-9a-fA-F]{2}$/;

function isUnreserved(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/**
 * Makes `raw` (Node's `req.url`) canonical under `rules`, into `out`. A clean origin-form target —
 * nearly every request — is checked in one pass and returned as is, without allocating.
 */
export function canonicalTarget(raw: string, rules: TargetRules, out: CanonicalTarget): CanonicalTarget {
  out.reason = undefined;
  out.authority = undefined;
  let target = raw;
  if (raw.charCodeAt(0) !== 0x2f) {
    const m = /^https?:\/\/([^/?#]*)/i.exec(raw);
    if (!m || m[1] === undefined || m[1] === '') return refuse(out, 'invalid request target');
    // Userinfo (`user:pw@`) has no place in a request target (RFC 9112 §3.2.2): never forwarded as Host.
    const authority = m[1];
    const at = authority.lastIndexOf('@');
    out.authority = at < 0 ? authority : authority.slice(at + 1);
    if (out.authority === '') return refuse(out, 'invalid request target');
    target = raw.slice(m[0].length);
    if (target === '' || target.charCodeAt(0) === 0x3f) target = '/' + target;
    else if (target.charCodeAt(0) !== 0x2f) return refuse(out, 'invalid request target');
  }
  const q = target.indexOf('?');
  const end = q < 0 ? target.length : q;
  let clean = true;
  for (let i = 0; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x23) return refuse(out, 'invalid character in the request path');
    if (c === 0x25 || c === 0x5c) clean = false;
    else if (c === 0x2f && i + 1 < end) {
      const n = target.charCodeAt(i + 1);
      if (n === 0x2f) clean = false;
      else if (n === 0x2e && (i + 2 === end || target.charCodeAt(i + 2) === 0x2f || target.charCodeAt(i + 2) === 0x2e)) clean = false;
    }
  }
  for (let i = end + 1; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x23) return refuse(out, 'invalid character in the query');
  }
  if (clean) {
    out.url = target;
    return out;
  }
  const path = slowPath(target.slice(0, end), rules);
  if (path.startsWith('!')) return refuse(out, path.slice(1));
  out.url = q < 0 ? path : path + target.slice(q);
  return out;
}

/** The careful pass: escapes, backslashes, slashes, dot segments. Returns the path or `!reason`. */
function slowPath(path: string, rules: TargetRules): string {
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\') return '!backslash in the request path';
    if (ch !== '%') {
      decoded += ch;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return '!invalid percent-encoding in the request path';
    const code = parseInt(hex, 16);
    i += 2;
    if (code === 0) return '!NUL in the request path';
    if (isUnreserved(code)) {
      decoded += String.fromCharCode(code);
    } else if (code === 0x2f || code === 0x5c) {
      if (rules.escapedSlashes === 'REJECT_REQUEST') return '!escaped slash or backslash in the request path';
      if (rules.escapedSlashes === 'KEEP_UNCHANGED') decoded += '%' + hex;
      else if (code === 0x5c) return '!escaped backslash in the request path';
      else decoded += '/';
    } else {
      decoded += '%' + hex;
    }
  }
  const segments = decoded.split('/');
  const outSegs: string[] = [];
  // segments[0] is '' (the path starts with '/'); walk the rest.
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) outSegs.push('');
    } else if (s === '..') {
      outSegs.pop();
      if (last) outSegs.push('');
    } else if (s === '' && rules.mergeSlashes && !last) {
      // an empty segment inside the path is a `//` run: merged
    } else {
      outSegs.push(s);
    }
  }
  return '/' + outSegs.join('/');
}
