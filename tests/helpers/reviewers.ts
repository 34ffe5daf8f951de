/** The reviewer the tests decide as: as a record, and as `--reviewer` takes it. */
import type { Reviewer } from '../../src/lib/records/schema-types.generated.ts';

export const ann: Reviewer = { name: 'Ann Lee', email: 'ann@example.org' };
export const ANN = 'Ann Lee <ann@example.org>';
