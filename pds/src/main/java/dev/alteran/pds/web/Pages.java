package dev.alteran.pds.web;

import dev.alteran.pds.oauth.ClientId;
import dev.alteran.pds.oauth.ClientMetadataFetcher;
import dev.alteran.pds.oauth.OAuthException;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** What the templates in {@code src/main/jte} show. Every value is escaped by the template engine. */
public final class Pages {
    private Pages() {}

    /** The app asking: from its metadata (name, home page, logo), or a loopback development client. */
    public record Client(String id, String name, String uri, String logoUri, boolean loopback) {}

    /**
     * An app's details for a page, from its metadata (fetched, or cached since its sign-in).
     *
     * @throws OAuthException when the client ID is invalid or its metadata cannot be had
     */
    static Client client(ClientMetadataFetcher clients, String clientId) {
        var id = ClientId.parse(clientId);
        var m = clients.get(id);
        if (id instanceof ClientId.Loopback) return new Client(clientId, "Development app (localhost)", null, null, true);
        var name = m.clientName() != null && !m.clientName().isBlank() ? m.clientName() : URI.create(clientId).getHost();
        var logo = m.logoUri() != null && m.logoUri().startsWith("https://") ? m.logoUri() : null;
        return new Client(clientId, name, m.clientUri(), logo, false);
    }

    /** The hidden fields a sign-in form carries: an authorization request's (null on the account pages) and the CSRF token. */
    public record Form(String requestUri, String clientId, String csrf) {}

    /**
     * The sign-in page: for an app ({@code client}, posting to the authorization endpoint) or for the
     * account pages (no client; the device is remembered, so no "remember" box).
     */
    public record SignIn(String stylesheet, Client client, String action, String lead, Form form, String identifier, String error,
                         boolean rememberChoice) {
        static SignIn forApp(Client client, Form form, String identifier, String error) {
            return new SignIn(WebPages.STYLESHEET, client, "/oauth/authorize", "to let this app use your account.", form, identifier, error, true);
        }

        static SignIn forAccount(String csrf, String identifier, String error) {
            return new SignIn(WebPages.STYLESHEET, null, AccountServlet.SIGN_IN, "to manage your PDS. You stay signed in on this browser for "
                    + AccountServlet.SIGNED_IN_DAYS + " days, or until you sign out.", new Form(null, null, csrf), identifier, error, false);
        }
    }

    public record Consent(String stylesheet, Client client, Form form, String handle, String did, List<String> permissions) {}

    public record ErrorPage(String stylesheet, String title, String message) {}

    /** The public status page at {@code /}: who this PDS is for and whether its checks pass. */
    public record Status(String stylesheet, String handle, String did, boolean up, Map<String, String> checks) {}

    /**
     * What every account page shares: which section is shown, the form token, and a message from
     * the last action ({@code notice}) or why it failed ({@code error}).
     */
    public record Shell(String stylesheet, String script, String title, String current, String handle, String csrf, String notice,
                        String error) {
        /** The sections, in the order of the navigation: path and title. */
        public static final List<List<String>> SECTIONS = List.of(
                List.of("/account", "Overview"),
                List.of("/account/storage", "Storage"),
                List.of("/account/federation", "Federation"),
                List.of("/account/access", "Access"),
                List.of("/account/backup", "Backup"),
                List.of("/account/danger", "Danger zone"));
    }

    /** An app password just created: shown once. */
    public record NewPassword(String name, String password) {}

    /** A confirmation before activating or deactivating: the form's action value, and what it does. */
    public record Confirm(String action, String title, String message, String button) {}
}
