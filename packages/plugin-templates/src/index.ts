// @mainframe-kb/plugin-templates — MVP4: versioned templates, safe rendering, IDz workspaces.
// Every public name is exported here explicitly.
export {};
