// Kernel truth for part 1 of 3 of the scenarios; see helpers/scenario-checks.ts.
import { describeScenarioPart } from './helpers/scenario-checks.js';

describeScenarioPart(1, 3);
