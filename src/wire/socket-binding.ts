// Shape of the addon's packetsocket exports, as the C++ side defines them.
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface PacketSocketBinding {}
