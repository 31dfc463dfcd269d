// @mainframe-kb/plugin-analytics — MVP5: series, predictions with tracked accuracy, models, auto-resolution.
// Every public name is exported here explicitly.
export {};
