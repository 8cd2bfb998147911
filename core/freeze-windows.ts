// Release freezes: absolute date ranges, and recurring windows given as a cron schedule with a duration in an IANA
// time zone ("0 18 * * 5" for 62h in Europe/Berlin: Friday 18:00 to Monday 08:00, local time, across daylight
// saving changes). The schedule is read by croner, which knows time zones through Intl. Pure.
import { Cron } from 'croner';

export interface DateRangeWindow {
  /** ISO 8601 instants; the window is [start, end). */
  start: string;
  end: string;
  reason?: string;
  /** The policy that set it ("ClusterGrayPolicy prod"), once merged. */
  policy?: string;
}

export interface RecurringWindow {
  /** Five-field cron (minute hour day-of-month month day-of-week), read in timeZone. */
  schedule: string;
  /** How long each freeze lasts from each time the schedule fires: "62h", "90m", "1h30m". */
  duration: string;
  /** IANA zone the schedule is read in ("Europe/Berlin"); default UTC. */
  timeZone?: string;
  reason?: string;
  policy?: string;
}

export type FreezeWindow = DateRangeWindow | RecurringWindow;

export interface Occurrence { start: Date; end: Date }

const isRecurring = (w: FreezeWindow): w is RecurringWindow => 'schedule' in w;

/** "1h30m" to milliseconds; undefined when it is not a whole number of hours, minutes and seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

function cronOf(w: RecurringWindow): Cron {
  return new Cron(w.schedule, { timezone: w.timeZone ?? 'UTC', mode: '5-part', paused: true });
}

/** What is wrong with a window, if anything: every problem named with its field. */
export function windowProblems(w: unknown): string[] {
  if (!w || typeof w !== 'object' || Array.isArray(w)) return ['expected {start, end, reason} or {schedule, duration, timeZone, reason}'];
  const o = w as Record<string, unknown>;
  const problems: string[] = [];
  if (o['reason'] !== undefined && typeof o['reason'] !== 'string') problems.push('reason: must be text');
  if ('schedule' in o) {
    for (const key of Object.keys(o)) if (!['schedule', 'duration', 'timeZone', 'reason'].includes(key)) problems.push(`${key}: unknown key (a recurring window has schedule, duration, timeZone, reason)`);
    const duration = typeof o['duration'] === 'string' ? parseDuration(o['duration']) : undefined;
    if (!duration) problems.push(`duration: "${String(o['duration'])}" must be hours, minutes and seconds, more than 0 (e.g. 62h, 1h30m)`);
    if (o['timeZone'] !== undefined && (typeof o['timeZone'] !== 'string' || !knownZone(o['timeZone']))) problems.push(`timeZone: "${String(o['timeZone'])}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
    else {
      try {
        if (typeof o['schedule'] !== 'string') throw new Error('must be text');
        cronOf(o as unknown as RecurringWindow);
      } catch (err) {
        problems.push(`schedule: "${String(o['schedule'])}" is not a five-field cron schedule (minute hour day month weekday): ${(err as Error).message}`);
      }
    }
    return problems;
  }
  for (const key of Object.keys(o)) if (!['start', 'end', 'reason'].includes(key)) problems.push(`${key}: unknown key (a date range has start, end, reason; a recurring window has schedule, duration, timeZone, reason)`);
  const start = typeof o['start'] === 'string' ? Date.parse(o['start']) : NaN;
  const end = typeof o['end'] === 'string' ? Date.parse(o['end']) : NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) problems.push('start and end must be ISO 8601 times');
  else if (end <= start) problems.push('end must come after start');
  return problems;
}

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Each recurring window's last answer and until when it holds (the current freeze's end, or the next one's start):
 * the webhook asks once per review, and reading a schedule costs more than the rest of a review (docs/performance.md).
 */
const answers = new WeakMap<RecurringWindow, { from: number; until: number; occurrence: Occurrence | undefined }>();

/** The occurrence of a window that covers `now`, if one does. */
export function freezeAt(w: FreezeWindow, now: Date): Occurrence | undefined {
  if (!isRecurring(w)) {
    const start = Date.parse(w.start);
    const end = Date.parse(w.end);
    return now.getTime() >= start && now.getTime() < end ? { start: new Date(start), end: new Date(end) } : undefined;
  }
  const t = now.getTime();
  const known = answers.get(w);
  if (known && t >= known.from && t < known.until) return known.occurrence;
  // The latest firing at or before now ends last: if it does not cover now, no earlier one does.
  const cron = cronOf(w);
  const last = cron.previousRuns(1, new Date(t + 1))[0];
  const end = last && new Date(last.getTime() + parseDuration(w.duration)!);
  const occurrence = last && end && now < end ? { start: last, end } : undefined;
  answers.set(w, { from: t, until: occurrence ? occurrence.end.getTime() : cron.nextRun(now)?.getTime() ?? Infinity, occurrence });
  return occurrence;
}

/** The next occurrence that starts after `now`. */
export function nextFreeze(w: FreezeWindow, now: Date): Occurrence | undefined {
  if (!isRecurring(w)) {
    const start = Date.parse(w.start);
    return start > now.getTime() ? { start: new Date(start), end: new Date(Date.parse(w.end)) } : undefined;
  }
  const start = cronOf(w).nextRun(now);
  return start ? { start, end: new Date(start.getTime() + parseDuration(w.duration)!) } : undefined;
}

/** A window in one line: `"0 18 * * 5" in Europe/Berlin for 62h (weekend)`, or its dates. */
export function describeWindow(w: FreezeWindow): string {
  const reason = w.reason ? ` (${w.reason})` : '';
  return isRecurring(w) ? `"${w.schedule}" in ${w.timeZone ?? 'UTC'} for ${w.duration}${reason}` : `${w.start} to ${w.end}${reason}`;
}

/** An instant in a zone, as people there read it: "2027-03-26 18:00 GMT+1". */
export function inZone(at: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

export function zoneOf(w: FreezeWindow): string {
  return isRecurring(w) ? w.timeZone ?? 'UTC' : 'UTC';
}
