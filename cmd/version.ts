// version: csplab's release version (`csplab --version`, run.json).
export const VERSION = '0.1.0';
