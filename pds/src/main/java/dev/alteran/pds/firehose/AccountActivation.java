package dev.alteran.pds.firehose;

import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.store.AccountStatus;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Activating and deactivating the account, whoever asks (activateAccount and deactivateAccount,
 * the owner's account page): {@link AccountStatus} changes the status and sequences its events;
 * an activation is refused while the DID document does not name this server, and is followed by a
 * requestCrawl to the relays.
 */
public final class AccountActivation {
    private final AccountStatus account;
    private final RepoStore repo;
    private final DidDocuments didDocuments;
    private final Runnable requestCrawl;

    /** @param requestCrawl asks the relays to crawl this server now */
    public AccountActivation(AccountStatus account, RepoStore repo, DidDocuments didDocuments, Runnable requestCrawl) {
        this.account = account;
        this.repo = repo;
        this.didDocuments = didDocuments;
        this.requestCrawl = requestCrawl;
    }

    /** @throws XrpcException 400 InvalidRequest when the DID document does not make this server the account's PDS */
    public void activate(HttpServletRequest request) {
        var problem = didDocuments.whyNotHere(request);
        if (problem != null) throw XrpcException.invalidRequest(problem);
        account.activate(repo);
        requestCrawl.run();
    }

    /** @param deleteAfter the owner's hint for how long to keep the account, a datetime, or null */
    public void deactivate(String deleteAfter) {
        account.deactivate(deleteAfter);
    }

    public AccountStatus status() {
        return account;
    }
}
