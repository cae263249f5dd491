// The probe plan's types live with the classifier that reads them (src/diagnose/plan-types.ts),
// so diagnose never imports pair; this re-export keeps pair's imports short.
export type * from '../diagnose/plan-types.js';
