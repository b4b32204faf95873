/**
 * Redis names shared by every writer (console, admin API) and reader (gateways). Versioned so the
 * format can change without old and new instances misreading each other.
 */
export const SWITCH_KEY = 'brownout:v1:switches';
export const SWITCH_CHANNEL = 'brownout:v1:switches:changed';
export const SWITCH_LOG = 'brownout:v1:switches:log';
