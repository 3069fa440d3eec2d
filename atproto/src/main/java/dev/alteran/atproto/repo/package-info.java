/**
 * The atproto repository (atproto.com/specs/repository): the Merkle Search Tree of records
 * ({@link dev.alteran.atproto.repo.Mst}), v3 commits ({@link dev.alteran.atproto.repo.Commit}),
 * applying writes ({@link dev.alteran.atproto.repo.Repo}), diffs for storage and the firehose
 * ({@link dev.alteran.atproto.repo.MstDiff}), inclusion/absence proofs
 * ({@link dev.alteran.atproto.repo.Proofs}) and whole-repository verification
 * ({@link dev.alteran.atproto.repo.RepoVerifier}). Blocks come from a {@link
 * dev.alteran.atproto.repo.BlockSource}; nothing here does I/O of its own.
 */
package dev.alteran.atproto.repo;
