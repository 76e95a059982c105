#!/usr/bin/env node
// `doin` where the package is installed: the command is TypeScript (as the
// runner and the plugins are), run through tsx's loader, which is a
// dependency of the package. Plugins given with --plugin are TypeScript too.
import { register } from "tsx/esm/api";

register();
await import("../cli/doin.ts");
