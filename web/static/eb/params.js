// The `parameters` body (§6.1, §6.2): every field's type and range, and slots, weights and
// allowed_sums equal to what kind, options and min/max choices derive.
import { deriveShape } from "./ballot.js";
import { PROTOCOL } from "./board.js";
import { EbError, hexToBytes } from "./group.js";
import { requireFields, requireInt, requireList, requireString } from "./shape.js";

export const PARAMETER_FIELDS = [
  "protocol", "poll_id", "meeting_id", "attempt", "board_nonce", "title", "kind", "options", "slots",
  "min_choices", "max_choices", "weights", "allowed_sums", "majority_rule", "trustees", "threshold",
];

function sameList(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function checkOptions(body) {
  requireList(body.options, undefined, "parameters.options");
  for (const option of body.options) {
    requireFields(option, ["id", "label"], "parameters.options");
    requireString(option.id, "parameters.options");
    requireString(option.label, "parameters.options");
  }
  const ids = body.options.map((o) => o.id);
  if (new Set([...ids, "abstain"]).size !== ids.length + 1) {
    throw new EbError("parameters.options", "ids repeat or use abstain");
  }
  if (body.kind === "yes_no" && !sameList(ids, ["yes", "no"])) {
    throw new EbError("parameters.options", "yes_no needs yes, no");
  }
}

function checkTrustees(body) {
  requireList(body.trustees, undefined, "parameters.trustees");
  const n = body.trustees.length;
  if (n < 3 || n > 5) throw new EbError("parameters.trustees", "3 <= n <= 5");
  body.trustees.forEach((trustee, k) => {
    requireFields(trustee, ["index", "person_id", "name"], "parameters.trustees");
    if (trustee.index !== k + 1) throw new EbError("parameters.trustees", "indexes must be 1..n in order");
    requireInt(trustee.person_id, "parameters.trustees");
    requireString(trustee.name, "parameters.trustees");
  });
  requireInt(body.threshold, "parameters.threshold", 2, n);
  return n;
}

/** Checks a `parameters` body; returns {n, t}. */
export function checkParameters(body) {
  requireFields(body, PARAMETER_FIELDS, "parameters");
  if (body.protocol !== PROTOCOL) throw new EbError("parameters.protocol", "not hop-eb-v1");
  for (const field of ["poll_id", "meeting_id"]) requireInt(body[field], `parameters.${field}`);
  requireInt(body.attempt, "parameters.attempt", 1);
  if (hexToBytes(body.board_nonce, "parameters.board_nonce").length !== 16) {
    throw new EbError("parameters.board_nonce", "not 16 bytes");
  }
  requireString(body.title, "parameters.title");
  if (!["yes_no", "single", "multiple"].includes(body.kind)) {
    throw new EbError("parameters.kind", "not encryptable");
  }
  checkOptions(body);
  requireInt(body.min_choices, "parameters.min_choices");
  requireInt(body.max_choices, "parameters.max_choices");
  if (body.kind !== "multiple" && (body.min_choices !== 1 || body.max_choices !== 1)) {
    throw new EbError("parameters.min_choices", "yes_no and single take 1, 1");
  }
  const shape = deriveShape(body);
  for (const field of ["slots", "weights", "allowed_sums"]) {
    requireList(body[field], undefined, `parameters.${field}`);
    if (!sameList(body[field], shape[field])) {
      throw new EbError(`parameters.${field}`, "not derived from the poll");
    }
  }
  if (body.majority_rule !== null) requireString(body.majority_rule, "parameters.majority_rule");
  const n = checkTrustees(body);
  return { n, t: body.threshold };
}
