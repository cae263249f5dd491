// Shape of the addon's netlink exports, as the C++ side defines them.
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NetlinkBinding {}
