// hop-eb-v1 for tablets and trustees' browsers (docs/ENCRYPTED_BALLOTS.md). `make install`
// bundles this module with noble into /static/vendor/eb/eb.js, the file pages load.
export * from "./group.js";
export * from "./transcript.js";
export * from "./canon.js";
export * from "./board.js";
export * from "./proofs.js";
export * from "./ballot.js";
export * from "./dkg.js";
export * from "./decrypt.js";
export * from "./keyfile.js";
export * from "./shape.js";
export * from "./params.js";
export * from "./chain.js";
export * from "./board_check.js";
