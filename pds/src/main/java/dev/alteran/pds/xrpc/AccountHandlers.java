package dev.alteran.pds.xrpc;

import static dev.alteran.pds.xrpc.AuthLevel.FULL_SESSION;

import dev.alteran.pds.web.AccountData;

/**
 * This server's own methods for its owner ({@code dev.alteran.*}, no Lexicon): the account pages'
 * data as JSON, so that scripts do not read the HTML.
 */
public final class AccountHandlers {
    public static final String GET_DASHBOARD = "dev.alteran.account.getDashboard";
    private final AccountData data;

    public AccountHandlers(AccountData data) {
        this.data = data;
    }

    public void register(XrpcRouter router) {
        // The account password's session only, as the pages ask for the account password.
        router.queryWithoutLexicon(GET_DASHBOARD, FULL_SESSION, call -> data.dashboard(call.request()));
    }
}
