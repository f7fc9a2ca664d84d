/**
 * OpenTelemetry tracing through Temporal's interceptors, on only when an OTLP endpoint is
 * configured (the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`).
 *
 * One trace follows a launch across processes: the API's client span (`StartWorkflow:launch`,
 * `UpdateWorkflow:submitSignal`, …) travels in Temporal headers to the workflow
 * (`RunWorkflow:launch`), its child workflows and activities (`RunActivity:…`). Workflow spans are
 * exported through a sink, outside the sandbox, and not again on replay.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { createRequire } from 'node:module';

export const TRACES_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
export const OTLP_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT';
export const SERVICE_NAME_ENV = 'OTEL_SERVICE_NAME';

/** The workflow-side interceptors, bundled into the workflow code when tracing is on. */
export const WORKFLOW_TRACING_MODULE = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

export type Tracing = {
  endpoint: string;
  /** For every `Client` of the process (the API's, the activities'). */
  clientInterceptors: WorkflowClientInterceptor[];
  /** Merged into `Worker.create`: workflow + activity interceptors and the span sink. */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Exports what is buffered; call before the process exits. */
  shutdown: () => Promise<void>;
};

/** The traces URL the settings name, or undefined when tracing is off. */
export function tracesEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const traces = env[TRACES_ENDPOINT_ENV]?.trim();
  if (traces) return traces;
  const base = env[OTLP_ENDPOINT_ENV]?.trim();
  // The spec: the signal path is appended to the generic endpoint, never to the traces one.
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * Installs a tracer provider for the process (once) exporting over OTLP/HTTP to `endpoint`.
 * `spanProcessor` replaces the batch exporter (tests use a simple processor to see spans at once).
 */
export function startTracing(opts: {
  endpoint: string;
  serviceName: string;
  spanProcessor?: SpanProcessor;
}): Tracing {
  const resource = new Resource({ [ATTR_SERVICE_NAME]: opts.serviceName });
  const processor =
    opts.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.endpoint }));
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  // Context across awaits (activity spans parent their own children) and W3C headers.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    endpoint: opts.endpoint,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    workerOptions: {
      interceptors: {
        workflowModules: [WORKFLOW_TRACING_MODULE],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
}

/** Tracing for this process when the environment names an endpoint; undefined otherwise. */
export function tracingFromEnv(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env) {
  const endpoint = tracesEndpointFromEnv(env);
  if (!endpoint) return undefined;
  return startTracing({ endpoint, serviceName: env[SERVICE_NAME_ENV]?.trim() || defaultServiceName });
}
