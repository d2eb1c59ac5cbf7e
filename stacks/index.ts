// Entry point for `pulumi up` (main in Pulumi.yaml): the Pulumi CLI requires this module and calls
// the exported function; its result becomes the stack outputs. Stack traces are set up first.
import "./stackTraces";
import { program } from "./program";

export = program;
