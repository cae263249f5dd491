// Kernel truth for part 2 of 3 of the scenarios; see helpers/scenario-checks.ts.
import { describeScenarioPart } from './helpers/scenario-checks.js';

describeScenarioPart(2, 3);
