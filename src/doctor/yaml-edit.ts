import { isMap, isScalar, parseDocument } from 'yaml';
import { EXIT, TmError } from '../errors.js';

/**
 * `services.<name>.<key>` (`port`, `management_port`, `ports.admin`) set to `port` by editing
 * only that value in the source text: comments, flow maps and quoting elsewhere stay byte for
 * byte (Document.toString() would reformat them).
 */
export function setServicePort(text: string, name: string, port: number, key = 'port'): string {
  const doc = parseDocument(text);
  const path = ['services', name, ...key.split('.')];
  const node = doc.getIn(path, true);
  if (isScalar(node) && node.range) {
    const [start, end] = node.range;
    const written = text.slice(start, end);
    // A generic service's "8080:80": only the port on this machine changes.
    const mapped = /^(["']?)\d+(:\d+\1)$/.exec(written);
    if (mapped) return text.slice(0, start) + mapped[1] + String(port) + mapped[2] + text.slice(end);
    if (written.includes('${')) {
      throw new TmError('TM_PORT_INTERPOLATED', `services.${name}.${key} comes from a variable (${written})`, {
        exit: EXIT.config,
        hint: `set that variable to ${port} in .env`,
      });
    }
    return text.slice(0, start) + String(port) + text.slice(end);
  }
  const svc = doc.getIn(['services', name], true);
  if (isMap(svc) && svc.range) {
    if (svc.flow) {
      // `{ image: x }` -> `{ image: x, port: N }`: insert before the closing brace.
      const close = text.lastIndexOf('}', svc.range[1]);
      let at = close;
      while (at > svc.range[0] + 1 && /\s/.test(text[at - 1]!)) at--;
      const sep = svc.items.length > 0 ? ', ' : '';
      return `${text.slice(0, at)}${sep}${key}: ${port}${text.slice(at)}`;
    }
    const first = svc.items[0]?.key;
    if (isScalar(first) && first.range) {
      const lineStart = text.lastIndexOf('\n', first.range[0] - 1) + 1;
      const indent = text.slice(lineStart, first.range[0]);
      if (/^\s*$/.test(indent)) return `${text.slice(0, lineStart)}${indent}${key}: ${port}\n${text.slice(lineStart)}`;
    }
  }
  // Anything else (`redis:` with no value): let the yaml package write it.
  doc.setIn(path, port);
  return doc.toString();
}
