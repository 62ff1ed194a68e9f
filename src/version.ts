/** convgen's version, as generated files and reports state it. */
export const VERSION = '0.1.0';
