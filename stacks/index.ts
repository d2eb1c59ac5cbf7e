// Entry point for `pulumi up` (main in Pulumi.yaml): the Pulumi CLI requires this module and calls
// the exported function; its result becomes the stack outputs.
import { program } from "./program";

export = program;
