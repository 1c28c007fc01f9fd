/** The arena's size in its own units, shared by the room and the page (no imports: the page bundles it). */
export const ARENA = { width: 480, height: 300, radius: 12 } as const;
