/**
 * Launch Control's own metrics, emitted from workflow code through Temporal's replay-safe metric
 * meter (nothing is counted twice on replay) and exported with the SDK's runtime metrics on the
 * worker's Prometheus endpoint. Instruments are made at the call: the meter exists only inside a
 * workflow context (this module is also imported by tests and the API for types).
 */
import { metricMeter } from '@temporalio/workflow';

export function countLaunchEnded(phase: string, service: string) {
  metricMeter
    .createCounter('launch_control_launches_ended', 'launches', 'Launches that reached a terminal phase')
    .add(1, { phase, service });
}

export function countAbort(cause: string, service: string) {
  metricMeter
    .createCounter('launch_control_aborts', 'aborts', 'Launch aborts by cause')
    .add(1, { cause, service });
}

export function recordStageDuration(percent: number, seconds: number) {
  metricMeter
    .createHistogram(
      'launch_control_stage_duration',
      'float',
      's',
      'Traffic stage duration (set, observe, review)',
    )
    .record(seconds, { percent: String(percent) });
}

export function recordApprovalWait(signal: string, outcome: 'answered' | 'timeout', seconds: number) {
  metricMeter
    .createHistogram(
      'launch_control_approval_wait',
      'float',
      's',
      'Time from an approval request to its answer or timeout',
    )
    .record(seconds, { signal, outcome });
}
