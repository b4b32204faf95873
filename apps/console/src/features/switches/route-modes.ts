/** The modes an operator can put a route in (`normal` clears an override). No dependencies: the switch board's form lists them too. */
export const ROUTE_MODES = ['normal', 'cache', 'default', 'fallback_service', 'reject'] as const;
