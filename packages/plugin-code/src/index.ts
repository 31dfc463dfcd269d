// @mainframe-kb/plugin-code — MVP3: COBOL, JCL and copybooks analysed, stored and linked to the KB.
// Every public name is exported here explicitly.
export {};
