// Sizes and dates as people read and type them.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)) + ' ' + UNITS[i];
}

// "2G", "500M", "1.5 GiB", "1024" (bytes) → bytes; '' → null; NaN when unreadable.
export function parseSize(s) {
  s = String(s ?? '').trim();
  if (s === '') return null;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(s);
  if (!m) return NaN;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * mult);
}

export function sizeInput(n) {
  if (n === null || n === undefined) return '';
  for (const [u, m] of [['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]])
    if (n >= m && n % m === 0) return n / m + u;
  return String(n);
}

export function formatTime(t) {
  if (!t) return '—';
  return new Date(t * 1000).toLocaleString();
}

// <input type="date"> value ↔ Unix seconds (local midnight).
export function dateInput(t) {
  if (!t) return '';
  const d = new Date(t * 1000);
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
export function fromDateInput(s, endOfDay) {
  if (!s) return null;
  const [y, m, d] = s.split('-').map(Number);
  const dt = endOfDay ? new Date(y, m - 1, d, 23, 59, 59) : new Date(y, m - 1, d);
  return Math.floor(dt.getTime() / 1000);
}

export const list = (s) =>
  String(s ?? '')
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

// When a waiting recipient is tried next: "due now", or the time and how far off it is.
export function formatDue(t, now = Date.now() / 1000) {
  if (t === null || t === undefined) return '—';
  const s = t - now;
  if (s <= 0) return 'due now';
  const min = Math.ceil(s / 60);
  const away = min < 120 ? `${min} min` : `${Math.round(min / 60)} h`;
  return `${formatTime(t)} (in ${away})`;
}
