/**
 * Python text from spec names and values, in one place: string literals that
 * hold any string exactly (ASCII only, every other character escaped), number
 * literals, identifiers that are never a Python keyword, builtin or a name
 * model.py uses itself, attribute paths of nested modules, and comments on
 * one line.
 */
import { Names } from "../names.js";
import { commentText } from "../spec-lines.js";

/** Python's keywords (never an attribute name: pyAttr). */
const KEYWORDS = new Set(
  ("False None True and as assert async await break class continue def del elif else except finally for from global if import in is " +
    "lambda nonlocal not or pass raise return try while with yield").split(" "),
);

/** Python's keywords and soft keywords, builtins model.py could shadow, and the names model.py uses itself. */
const RESERVED = new Set([
  ...KEYWORDS,
  ...("match case type _ " +
    "print len range reversed list dict tuple int float str bool min max sum abs zip map object super self isinstance getattr setattr " +
    "torch nn F S math json Model INFO PARAMS batch dims initial finals n like step steps out").split(" "),
]);

/** Identifiers of model.py, unique within one scope (a module's forward, the file's classes). */
export const pythonNames = (): Names => new Names(RESERVED);

/** A Python string literal of exactly `s` (code points above U+FFFF as \U escapes; lone surrogates as \u escapes). */
export function pyStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += `\\U${cp.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/** A Python float literal (numbers of the spec are finite). */
export function pyNum(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`pytorch target: the number ${v} is not finite`);
  const s = String(Object.is(v, -0) ? 0 : v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** A comment line's text: one line, no control characters (Python refuses NUL in a source file). */
export function pyComment(s: string): string {
  // eslint-disable-next-line no-control-regex
  return commentText(s).replace(/[\u0000-\u001f\u007f]/g, " ");
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An attribute of `base` by name: `base.name` when the name is an identifier, else `getattr(base, "name")`. */
export function pyAttr(base: string, name: string): string {
  return IDENT.test(name) && !KEYWORDS.has(name) ? `${base}.${name}` : `getattr(${base}, ${pyStr(name)})`;
}

/**
 * Attributes of torch.nn.Module that a submodule or parameter must not take
 * (register_parameter and add_module refuse them, and a model's methods would
 * be shadowed): a part of a seqc name that is one of them gets a `_` suffix in
 * the module tree, and PARAMS maps it back.
 */
const MODULE_ATTRS = new Set(
  ("T_destination add_module apply bfloat16 buffers call_super_init children cpu cuda double dump_patches eval extra_repr float forward " +
    "get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict modules named_buffers named_children named_modules " +
    "named_parameters parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook " +
    "register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook register_module register_parameter " +
    "register_state_dict_pre_hook requires_grad_ set_extra_state share_memory state_dict to to_empty train training type xpu zero_grad " +
    "mtia compile smart_apply").split(" "),
);

/** A part of a parameter's seqc name as a key of the module tree. */
export function moduleKey(part: string): string {
  return MODULE_ATTRS.has(part) || part.startsWith("_") ? `${part}_` : part;
}
