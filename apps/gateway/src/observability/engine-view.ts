import { EjectionType, type Engine } from '@brownout/core';

export type { Engine };
export const EJECTION_TYPES_LIST = Object.values(EjectionType);
