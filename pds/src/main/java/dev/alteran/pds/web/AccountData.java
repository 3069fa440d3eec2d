package dev.alteran.pds.web;

import dev.alteran.atproto.data.DataJson;
import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.pds.auth.AppPasswords;
import dev.alteran.pds.auth.Sessions;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.firehose.AccountActivation;
import dev.alteran.pds.firehose.Firehose;
import dev.alteran.pds.firehose.RelayAnnouncer;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.oauth.ClientMetadataFetcher;
import dev.alteran.pds.oauth.OAuthException;
import dev.alteran.pds.oauth.OAuthTokens;
import dev.alteran.pds.store.RepoStats;
import dev.alteran.pds.store.RepoStats.DayValue;
import dev.alteran.pds.store.SequenceLog;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Gathers the {@link Dashboard}, section by section, from the parts that own the data; the account
 * pages and {@code dev.alteran.account.getDashboard} both read it here, and the pages' actions go
 * through the same parts the XRPC methods use.
 */
public final class AccountData {
    public static final int CHART_DAYS = 90;
    static final int LATEST_RECORDS = 5;
    static final int PREVIEW_CHARS = 160;
    public static final String REPO_CAR = "/account/repo.car";
    public static final String BLOBS_ZIP = "/account/blobs.zip";

    private final Identity identity;
    private final DidDocuments didDocuments;
    private final AccountActivation activation;
    private final RepoStats repo;
    private final Blobs blobs;
    private final Firehose firehose;
    private final SequenceLog sequence;
    private final RelayAnnouncer relays;
    private final OAuthTokens oauth;
    private final ClientMetadataFetcher clients;
    private final AppPasswords appPasswords;
    private final Sessions sessions;
    private final Clock clock;

    public AccountData(Identity identity, DidDocuments didDocuments, AccountActivation activation, RepoStats repo, Blobs blobs,
                       Firehose firehose, SequenceLog sequence, RelayAnnouncer relays, OAuthTokens oauth, ClientMetadataFetcher clients,
                       AppPasswords appPasswords, Sessions sessions, Clock clock) {
        this.identity = identity;
        this.didDocuments = didDocuments;
        this.activation = activation;
        this.repo = repo;
        this.blobs = blobs;
        this.firehose = firehose;
        this.sequence = sequence;
        this.relays = relays;
        this.oauth = oauth;
        this.clients = clients;
        this.appPasswords = appPasswords;
        this.sessions = sessions;
        this.clock = clock;
    }

    /** Every section ({@code request}: the one the did:web document's endpoint is built for). */
    public Dashboard dashboard(HttpServletRequest request) {
        return new Dashboard(overview(request), storage(), federation(), access(), backup(), danger(request));
    }

    public Dashboard.Overview overview(HttpServletRequest request) {
        com.fasterxml.jackson.databind.JsonNode document = null;
        String documentError = null;
        try {
            document = didDocuments.ours(request).orElse(null);
            if (document == null) documentError = "The PLC directory does not know this DID";
        } catch (ResolutionException e) {
            documentError = "Could not resolve the DID document: " + e.getMessage();
        }
        var head = repo.head();
        var commit = head == null ? null : new Dashboard.Commit(head.rev(), head.time() == null ? null : Datetime.format(head.time()),
                head.cid().toString());
        var latest = repo.latest(LATEST_RECORDS).stream().map(l -> {
            var json = DataJson.toJsonString(l.record().value());
            var preview = json.length() > PREVIEW_CHARS ? json.substring(0, PREVIEW_CHARS) + "…" : json;
            return new Dashboard.LatestRecord(l.record().uri(), l.record().cid().toString(), l.indexedAt(), preview);
        }).toList();
        return new Dashboard.Overview(identity.handle(), identity.did(), document, documentError, status(request), commit,
                repo.collections(), latest);
    }

    private String status(HttpServletRequest request) {
        if (activation.status().isActive()) return "active";
        return didDocuments.whyNotHere(request) == null ? "deactivated" : "migrating";
    }

    public Dashboard.Storage storage() {
        var size = repo.size();
        var totals = blobs.totals();
        var growth = new TreeMap<String, Long>();
        for (var d : repo.blockBytesPerDay()) growth.merge(d.day(), d.value(), Long::sum);
        for (var d : blobs.bytesPerDay()) growth.merge(d.day(), d.value(), Long::sum);
        var overTime = new ArrayList<DayValue>();
        long total = 0;
        for (var e : growth.entrySet()) overTime.add(new DayValue(e.getKey(), total += e.getValue()));
        return new Dashboard.Storage(size.bytes(), size.blocks(), totals.count(), totals.bytes(), blobs.quotaBytes(), overTime,
                recordsPerDay());
    }

    /** Each of the last {@link #CHART_DAYS} days, today last, with its records (0 for none). */
    private List<DayValue> recordsPerDay() {
        var today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        var first = today.minusDays(CHART_DAYS - 1);
        var counts = new TreeMap<String, Long>();
        for (var d : repo.recordsPerDay(first.toString())) counts.put(d.day(), d.value());
        var out = new ArrayList<DayValue>(CHART_DAYS);
        for (var day = first; !day.isAfter(today); day = day.plusDays(1)) {
            out.add(new DayValue(day.toString(), counts.getOrDefault(day.toString(), 0L)));
        }
        return out;
    }

    public Dashboard.Federation federation() {
        var relayStates = relays.relays().stream().map(r -> r.last() == null
                ? new Dashboard.Relay(r.relay(), null, null, null)
                : new Dashboard.Relay(r.relay(), Datetime.format(r.last().at()), r.last().ok(), r.last().result())).toList();
        return new Dashboard.Federation(firehose.subscriberCount(), sequence.lastSeq(), relayStates);
    }

    public Dashboard.Access access() {
        var apps = oauth.sessions().stream().map(s -> new Dashboard.OAuthApp(s.id(), s.clientId(), clientName(s.clientId()),
                s.scope() == null ? List.of() : List.of(s.scope().split(" ")), format(s.createdAt()), format(s.lastUsedAt()))).toList();
        var passwords = appPasswords.list().stream().map(p -> new Dashboard.AppPassword(p.name(), p.createdAt(), p.privileged())).toList();
        var live = sessions.list().stream().map(s -> new Dashboard.PasswordSession(s.id(), s.appPassword(), format(s.expiresAt()))).toList();
        return new Dashboard.Access(apps, passwords, live);
    }

    /** The app's name as its metadata gives it (as on the consent page), or its client ID when that cannot be read. */
    private String clientName(String clientId) {
        try {
            return Pages.client(clients, clientId).name();
        } catch (OAuthException e) {
            return clientId;
        }
    }

    public Dashboard.Backup backup() {
        var size = repo.size();
        var totals = blobs.totals();
        return new Dashboard.Backup(REPO_CAR, BLOBS_ZIP, size.bytes(), totals.count(), totals.bytes());
    }

    public Dashboard.Danger danger(HttpServletRequest request) {
        return new Dashboard.Danger(activation.status().isActive(), status(request));
    }

    private static String format(Instant instant) {
        return instant == null ? null : Datetime.format(instant);
    }

    // ---- actions (the same calls the XRPC methods make) ----

    public AppPasswords appPasswords() {
        return appPasswords;
    }

    public Sessions sessions() {
        return sessions;
    }

    public OAuthTokens oauth() {
        return oauth;
    }

    public AccountActivation activation() {
        return activation;
    }
}
