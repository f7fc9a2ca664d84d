/** Every workflow type the worker registers (DESIGN §9 names). */
export { launch } from './launch.js';
export { readiness } from './readiness.js';
export { lockdown } from './lockdown.js';
export { trafficRamp } from './traffic.js';
export { rollbackDrill } from './rollback-drill.js';
export { monitoring } from './monitoring.js';
export { postLaunchReview } from './review.js';
export { serviceLock } from './service-lock.js';
