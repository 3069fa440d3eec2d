package dev.alteran.pds.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.store.RepoStats.CollectionCount;
import dev.alteran.pds.store.RepoStats.DayValue;
import java.util.List;

/**
 * What the owner's account pages show, one section per page. The same values are rendered as HTML
 * ({@code /account/...}) and as JSON ({@code dev.alteran.account.getDashboard}, sections as keys).
 * Times are atproto datetimes (UTC); days are {@code yyyy-mm-dd}; sizes are bytes.
 */
public record Dashboard(Overview overview, Storage storage, Federation federation, Access access, Backup backup, Danger danger) {

    /** {@code status}: active, deactivated, or migrating (deactivated and the DID document names another server). */
    public record Overview(String handle, String did, JsonNode didDocument, String didDocumentError, String status, Commit lastCommit,
                           List<CollectionCount> collections, List<LatestRecord> latestRecords) {}

    /** The head commit; {@code time} is what its rev (a TID) says. */
    public record Commit(String rev, String time, String cid) {}

    /** A recently written record and the start of its JSON. */
    public record LatestRecord(String uri, String cid, String indexedAt, String preview) {}

    /**
     * {@code storageOverTime}: repository and blob bytes in total at the end of each day that added
     * some (from the current blocks' revs and the blobs' upload times). {@code recordsPerDay}: current
     * records by the day they were written, for each of the last 90 days.
     */
    public record Storage(long repoBytes, long repoBlocks, long blobCount, long blobBytes, long blobQuotaBytes,
                          List<DayValue> storageOverTime, List<DayValue> recordsPerDay) {}

    /** {@code seq}: the last sequence number on the firehose. */
    public record Federation(int subscribers, long seq, List<Relay> relays) {}

    /** A configured relay and the last requestCrawl sent to it since the server started (nulls: none yet). */
    public record Relay(String relay, String lastRequestAt, Boolean ok, String result) {}

    public record Access(List<OAuthApp> oauthApps, List<AppPassword> appPasswords, List<PasswordSession> sessions) {}

    /** A signed-in OAuth app: {@code name} from its client metadata when it can be read. */
    public record OAuthApp(String id, String clientId, String name, List<String> scopes, String createdAt, String lastUsedAt) {}

    public record AppPassword(String name, String createdAt, boolean privileged) {}

    /** A password session (createSession): its ID, until when it lasts, the app password it used (null: the account password). */
    public record PasswordSession(String id, String appPassword, String expiresAt) {}

    /** Where the owner downloads the repository (CAR) and the blobs (zip), signed in on the pages. */
    public record Backup(String repoCar, String blobsZip, long repoBytes, long blobCount, long blobBytes) {}

    public record Danger(boolean active, String status) {}
}
