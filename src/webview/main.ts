// The Prompt Workbench panel (browser side). Filled in by the run panel feature.
export {};
