// How one reconcile ended: the reconciler returns it, act.ts produces it, the work queue reads when
// to run the key again, and the controller counts it in metrics.

export interface ReconcileOutcome {
  /** conflict: a write lost to a newer object, whose watch event brings another reconcile. */
  result: 'success' | 'conflict';
  /** Run the key again after this long (the next rotation transition, or at once after a Secret change). */
  requeueAfterMs?: number;
  /** The version of each referenced Secret it read, by name: an event for that version during it brings nothing new. */
  secretsRead?: ReadonlyMap<string, string>;
  /** A write or event it decided on was held back because this replica does not lead: a takeover runs it again. */
  heldBack?: true;
}

/** What act.ts adds for the reconciler alone. */
export interface ActOutcome extends ReconcileOutcome {
  /** Missing Secrets that could not be generated, with the API's message: facts for the next reconcile. */
  generationFailures?: ReadonlyMap<string, string>;
}
