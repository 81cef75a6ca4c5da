// KNOWN EXCEPTION: only api/alerting.test.ts imports through this file, and that test is being
// changed elsewhere today; once it imports from message.ts and channels/webhook.ts directly, delete this file.
export { SIGNATURE_HEADER } from './channels/webhook.ts';
export { renderEmail } from './message.ts';
