/** Something that can be undone once: a listener registration, a timer. */
export interface Disposable {
  /** Undo the registration; calling it twice is harmless. */
  dispose(): void;
}
