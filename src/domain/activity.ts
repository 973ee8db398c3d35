/** What camkeep keeps of each frame a detector or its own motion analysis reported. */

/** One frame as the decisions see it. */
export interface ActivityFrame {
  t: number;
  /** Sum of the motion boxes' areas. */
  motion: number;
  /** Objects that are real (not false positives) and moving. */
  objects: number;
}
