// The one failure both test servers share: the client went away, so there is nobody to answer.

/** Thrown while receiving a body whose connection closed; the answer is to destroy the response. */
export class ConnectionGone extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ConnectionGone';
  }
}
