import { afterAll } from "bun:test";
import { removeTempDirs } from "./helpers.ts";

// Preloaded (bunfig.toml): after every test file has run, remove the folders tests made.
afterAll(removeTempDirs);
