// The parsed view of a captured frame. INTERIM: `null` until the codec's
// ParseFrameToObject is merged, then the codec's ParsedFrame type.
export type ParsedFrameValue = unknown;
