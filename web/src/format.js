// How numbers and times read on the page.
export const NA = 'not available';

export function pct(rate, digits = 1) {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '–';
  return (rate * 100).toFixed(digits) + '%';
}

export function int(n) {
  if (n === null || n === undefined) return '–';
  return Number(n).toLocaleString('en-US');
}

export function num(x, digits = 1) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  return x.toFixed(digits);
}

export function usd(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return '$' + Math.round(x).toLocaleString('en-US');
  if (a >= 1) return '$' + x.toFixed(2);
  return '$' + x.toFixed(3);
}

export function fixed(x, digits = 4) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return Number(x).toFixed(digits);
}

// "2025-11-24 09:30 UTC": readable, and the same for everyone who looks.
export function when(rfc3339) {
  if (!rfc3339) return '–';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return String(rfc3339);
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function ago(rfc3339, nowMs = Date.now()) {
  const t = new Date(rfc3339).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, (nowMs - t) / 1000);
  if (s < 90) return 'just now';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 129600) return Math.round(s / 3600) + ' h ago';
  if (s < 30 * 86400) return Math.round(s / 86400) + ' days ago';
  return new Date(t).toISOString().slice(0, 10);
}
