/**
 * IBM Developer for z/OS (IDz) / Eclipse z/OS project workspaces: read a project folder into a
 * {@link WorkspaceModel} (members hashed, never stored) and write one back. Pure module: no database.
 *
 * Formats, as documented (the test folders are built from these descriptions; no IBM sample file is copied):
 * - Eclipse `.project` (projectDescription: name, comment, projects/project, buildSpec/buildCommand with
 *   name + arguments/dictionary key/value, natures/nature):
 *   https://wiki.eclipse.org/FAQ_Where_are_project_build_specifications_stored%3F
 * - The IDz local z/OS project nature `com.ibm.ftt.ui.views.project.navigator.local` (with
 *   `com.ibm.ftt.dbbz.integration.dbbzprojectnature` for DBB), as IBM's DBB Git migration tooling writes it
 *   into the `.project` of each migrated application: https://github.com/IBM/dbb-git-migration-modeler
 * - ZAPP files `zapp.yaml` / `zapp.json` (propertyGroups[]: name, language, compilerOptions,
 *   libraries[]: name, type local|mvs, locations[]; core keys name, description, version, author,
 *   profiles …):
 *   https://ibm.github.io/zopeneditor-about/Docs/setting_propertygroup
 *   https://www.ibm.com/docs/en/SSCH39_1.0.0/com.ibm.wazi.developer.vscode.doc/reference_propertygroup.html
 *   https://www.ibm.com/docs/en/developer-for-zos/17.0.x?topic=groups-exporting-importing-from-zapp-file
 *   https://www.ibm.com/docs/en/developer-for-zos/17.0.x?topic=file-zapp-yaml-schema
 *   https://raw.githubusercontent.com/IBM/zopeneditor-about/main/zapp/zapp-schema-1.4.0.json
 * - IDz MVS subproject definitions `*.hbpsd` (SUBPROJECT-STRUCTURE / SUBPROJECT: SUBPROJECT-NAME,
 *   FOLDER-LIST/FOLDER/FOLDER-NAME = data set, FILE-LIST/FILE: FILE-NAME, FILE-STATE/PHYSICAL-FILE/
 *   FILE-PHYSICAL-PATH = `DATA.SET/name.ext`), from the host-based project documentation:
 *   https://www.ibm.com/docs/en/developer-for-zos/17.0.0?topic=considerations-host-based-projects
 *   (Rational Developer for System z 8.0 help, "Creating a subproject definition file").
 * - Member folder layout of IBM's Z Open Editor sample (COBOL/, COPYBOOK/, COPYLIB/, JCL/, PLI/, INCLUDES/,
 *   ASM/, ASMMAC/, REXX/ with .cbl .cpy .jcl .pli .inc .asm .rexx files, zapp.yaml at the root):
 *   https://github.com/IBM/zopeneditor-sample
 *
 * Decisions:
 * - `.project` is required (ValidationError naming it); zapp.yaml wins over zapp.json; one `*.hbpsd` at the
 *   root is read (others reported). The IDz property-group XML that the Property Group Manager exports is
 *   not publicly specified and is not read: property groups come from the ZAPP file, which IDz imports.
 * - `idzProjectPath` = the subproject's high-level qualifier (first data set), else the ZAPP `name`, else null.
 * - Members: see ./members.ts. An invalid z/OS member name keeps its file as type `other` and adds an issue.
 *   Dot-files and dot-folders (.git, .settings, .vscode) are skipped; symlinks leaving the folder are
 *   refused; symlinked folders are not followed.
 * - Everything the reader notices without refusing is in `model.issues`.
 * - Limits: maxMembers (default 20,000; the walk also stops after 4×maxMembers + 10,000 entries),
 *   maxFileBytes (default 16 MiB, every file), 32 folder levels, XML depth 256, YAML depth 64.
 */

export { memberNameOf, memberTypeOf } from './members.js';
export { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_MEMBERS, readWorkspace } from './read.js';
export type {
  ReadWorkspaceOptions,
  WorkspaceIssue,
  WorkspaceLibrary,
  WorkspaceMember,
  WorkspaceMemberType,
  WorkspaceModel,
  WorkspacePropertyGroup,
  WriteWorkspaceOptions,
  WriteWorkspaceResult,
} from './types.js';
export { writeWorkspace } from './write.js';
export { parseXml, type XmlElement, type XmlNode, XmlSyntaxError } from './xml.js';
export { parseYamlSubset, stringifyYamlSubset, YamlSyntaxError, type YamlValue } from './yaml.js';
