/**
 * did:plc operations (web.plc.directory/spec/v0.1/did-plc): the signed operation forms
 * ({@link dev.alteran.atproto.plc.PlcOperation}, {@link dev.alteran.atproto.plc.PlcTombstone} and the legacy
 * genesis {@link dev.alteran.atproto.plc.PlcLegacyCreate}), their DAG-CBOR and JSON encodings, signing,
 * DID derivation from the genesis operation, and verification of an operation log
 * ({@link dev.alteran.atproto.plc.Plc}). Talking to a directory is left to the caller: nothing here does I/O.
 */
package dev.alteran.atproto.plc;
