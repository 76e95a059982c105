// Types for explorer.client.js (checked by workers/explorer/assets/tsconfig.json): uPlot is
// the global its IIFE build defines; window.doinExplorer is what the script exposes.
/// <reference types="uplot" />

interface Window {
  doinExplorer: { charts: Map<string, uPlot>; refreshes: number; failures: number };
}
