/** The error both transports reject requests with. */
import type { ContractError } from '../../../../src-main/contract/index.ts';

/** A failed request: the contract's error code, message and field issues. */
export class RequestError extends Error {
  readonly code: ContractError['code'] | 'disconnected';
  readonly issues: ContractError['issues'];
  constructor(error: ContractError | { code: 'disconnected'; message: string; issues?: undefined }) {
    super(error.message);
    this.name = 'RequestError';
    this.code = error.code;
    this.issues = error.issues;
  }
}
