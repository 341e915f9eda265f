// Moved: the rows are read by db/repositories/fact-rows.ts and turned into PartnerFacts by
// services/facts.ts. This re-export keeps services/reads.ts (changed on another branch)
// working until it imports services/facts.ts; then this file goes.
export { loadPartnerFacts } from '../../services/facts.ts';
