/** The scripted approver lives with the demo (npm run demo plays the humans the same way). */
export * from '../../scripts/demo/approver.js';
