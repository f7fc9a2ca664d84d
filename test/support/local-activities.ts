/** Reading local activities back from a history: they leave a marker, not activity task events. */

type HistoryEventLike = {
  markerRecordedEventAttributes?: {
    markerName?: string | null;
    details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
  } | null;
};

export type LocalActivityMarker = {
  type: string;
  /** The attempt that completed (2 = the first attempt failed or timed out). */
  attempt: number;
  /** When it completed in the worker (the marker event is written later, with the workflow task). */
  completedAt: number;
};

/** A local activity's marker (`core_local_activity`), or null for any other event. */
export function localActivityOf(event: HistoryEventLike): LocalActivityMarker | null {
  const marker = event.markerRecordedEventAttributes;
  if (!marker || marker.markerName !== 'core_local_activity') return null;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return null;
  const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as {
    activityType?: string;
    activity_type?: string;
    completeTime?: Timestamp;
    complete_time?: Timestamp;
    attempt?: number;
  };
  const complete = parsed.completeTime ?? parsed.complete_time;
  const completedAt = timestampMs(complete);
  return {
    type: parsed.activityType ?? parsed.activity_type ?? '',
    attempt: parsed.attempt ?? 1,
    completedAt,
  };
}

type Timestamp = string | { seconds?: number | string; nanos?: number } | undefined;

function timestampMs(t: Timestamp): number {
  if (t === undefined) return Number.NaN;
  return typeof t === 'string'
    ? Date.parse(t)
    : Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}
