// The types of validators.generated.js (ajv standalone code compiled from the schemas).
import type { ValidateFunction } from 'ajv';

declare const validators: {
  candidate: ValidateFunction;
  correction: ValidateFunction;
  suggestion: ValidateFunction;
  config: ValidateFunction;
  exportLine: ValidateFunction;
  promptCompletionLine: ValidateFunction;
  preferenceLine: ValidateFunction;
  openaiPreferenceLine: ValidateFunction;
  ktoLine: ValidateFunction;
};
export default validators;
