// Formatting helpers: dates, sizes, durations, user agents, labels.

const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** Parses an API timestamp (ISO-8601 UTC); tolerates a missing zone by assuming UTC. */
export function parseTime(value) {
  if (!value) return null;
  let s = String(value);
  if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(s)) s = s.replace(' ', 'T') + 'Z';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value) {
  const d = value instanceof Date ? value : parseTime(value);
  return d ? dateTimeFmt.format(d) : '—';
}

export function formatDate(value) {
  const d = value instanceof Date ? value : parseTime(value);
  return d ? dateFmt.format(d) : '—';
}

export function formatClock(value) {
  const d = value instanceof Date ? value : parseTime(value);
  return d ? timeFmt.format(d) : '';
}

/** "3 minutes ago", "yesterday"… */
export function formatRelative(value, now = Date.now()) {
  const d = value instanceof Date ? value : parseTime(value);
  if (!d) return '—';
  const diff = (d.getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return 'just now';
  const units = [
    ['year', 31536000], ['month', 2592000], ['week', 604800],
    ['day', 86400], ['hour', 3600], ['minute', 60],
  ];
  for (const [unit, secs] of units) {
    if (abs >= secs || unit === 'minute') return relFmt.format(Math.round(diff / secs), unit);
  }
  return dateTimeFmt.format(d);
}

/** A <time> element showing a relative time with the full date as tooltip. */
export function timeEl(value, mode = 'relative') {
  const d = parseTime(value);
  const t = document.createElement('time');
  if (!d) { t.textContent = mode === 'relative' ? 'never' : '—'; return t; }
  t.dateTime = d.toISOString();
  t.title = dateTimeFmt.format(d);
  t.textContent = mode === 'relative' ? formatRelative(d) : mode === 'date' ? dateFmt.format(d) : dateTimeFmt.format(d);
  return t;
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** 75 → "1 minute 15 seconds". */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts = [];
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (sec || parts.length === 0) parts.push(`${sec} second${sec === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** "Chrome on Linux" from a User-Agent string. */
export function describeUserAgent(ua) {
  if (!ua) return 'Unknown device';
  let browser = null;
  const tests = [
    [/Edg(e|A|iOS)?\//, 'Edge'], [/OPR\/|Opera/, 'Opera'], [/SamsungBrowser\//, 'Samsung Internet'],
    [/Firefox\/|FxiOS\//, 'Firefox'], [/HeadlessChrome\//, 'Headless Chrome'], [/Chrome\/|CriOS\//, 'Chrome'],
    [/Chromium\//, 'Chromium'], [/Safari\//, 'Safari'], [/^curl\//, 'curl'], [/python-requests|python-urllib|aiohttp|httpx/i, 'Python script'],
    [/^Wget/, 'Wget'], [/^(Mozilla\/5\.0 )?node|undici/i, 'Node.js'], [/Perl|libwww|HTTP::Tiny/, 'Perl script'],
  ];
  for (const [re, name] of tests) { if (re.test(ua)) { browser = name; break; } }
  let os = null;
  const osTests = [
    [/iPhone|iPod/, 'iPhone'], [/iPad/, 'iPad'], [/Android/, 'Android'], [/CrOS/, 'ChromeOS'],
    [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'], [/Linux|X11/, 'Linux'],
  ];
  for (const [re, name] of osTests) { if (re.test(ua)) { os = name; break; } }
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  if (os) return `Browser on ${os}`;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}

/** "upscaling" → "Upscaling", "face_restoration" → "Face restoration". */
export function humanize(s) {
  if (s === null || s === undefined || s === '') return '';
  const t = String(s).replace(/[_-]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
