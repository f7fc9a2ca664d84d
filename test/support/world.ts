/** The simulated outside world lives with the sandbox scripts (`npm start` uses it too). */
export * from '../../scripts/sandbox/world.js';
