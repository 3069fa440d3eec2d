package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.CommitData;

/** A committed change: the new commit's CID and rev, the seq of its firehose event, and the commit data. */
public record AppliedCommit(Cid cid, String rev, long seq, CommitData data) {}
