package dev.alteran.pds.web;

import java.util.List;

/** What the templates in {@code src/main/jte} show. Every value is escaped by the template engine. */
public final class Pages {
    private Pages() {}

    /** The app asking: from its metadata (name, home page, logo), or a loopback development client. */
    public record Client(String id, String name, String uri, String logoUri, boolean loopback) {}

    /** The hidden fields every form of one authorization request carries. */
    public record Form(String requestUri, String clientId, String csrf) {}

    public record SignIn(String stylesheet, Client client, Form form, String identifier, String error) {}

    public record Consent(String stylesheet, Client client, Form form, String handle, String did, List<String> permissions) {}

    public record ErrorPage(String stylesheet, String title, String message) {}
}
