/**
 * XEP-0082 DateTime, as used by the <time stamp='…'/> of XEP-0373. We write the canonical form (UTC, `Z`, whole
 * seconds) and read liberally: `Z`/`z`, `+hh:mm`, `+hhmm` (a real client sends it), `+hh`, fractional seconds of any
 * length. A stamp without a time zone is ambiguous and refused.
 */

const STAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** `2024-05-01T12:00:00Z`: seconds precision, which every implementation can read. */
export function formatStamp(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS[month - 1] ?? 0);
}

/** The instant a stamp names, or null if it is not a valid XEP-0082 DateTime. */
export function parseStamp(stamp: string): Date | null {
  if (stamp.length > 64) return null;
  const m = STAMP.exec(stamp.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  // A leap second (:60) is read as the last second of the minute.
  const second = Math.min(Number(s), 59);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || Number(s) > 60) return null;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const offH = Number(oh);
    const offM = om === undefined ? 0 : Number(om);
    if (offH > 23 || offM > 59) return null;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  const date = new Date(0);
  // setUTCFullYear, because Date.UTC maps the years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  date.setTime(date.getTime() - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? null : date;
}
