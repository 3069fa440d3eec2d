package dev.alteran.pds.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code com.atproto.server.describeServer} tells clients about the service: its privacy policy
 * and terms of service ({@code links}) and whom to write to ({@code contact}). The original Alteran's
 * settings, each null when unset.
 *
 * @param privacyPolicy  {@code PDS_LINK_PRIVACY}, an http(s) URL
 * @param termsOfService {@code PDS_LINK_TOS}, an http(s) URL
 * @param contactEmail   {@code PDS_CONTACT_EMAIL}
 */
public record PolicyLinks(String privacyPolicy, String termsOfService, String contactEmail) {

    public static PolicyLinks none() {
        return new PolicyLinks(null, null, null);
    }

    /** describeServer's {@code links}: only the URLs that are set. */
    public Map<String, String> links() {
        var links = new LinkedHashMap<String, String>();
        if (privacyPolicy != null) links.put("privacyPolicy", privacyPolicy);
        if (termsOfService != null) links.put("termsOfService", termsOfService);
        return links;
    }

    /** describeServer's {@code contact}: the e-mail address when set. */
    public Map<String, String> contact() {
        return contactEmail == null ? Map.of() : Map.of("email", contactEmail);
    }

    void addProblems(List<String> problems) {
        url(problems, "PDS_LINK_PRIVACY", privacyPolicy);
        url(problems, "PDS_LINK_TOS", termsOfService);
        if (contactEmail != null && !contactEmail.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
            problems.add("PDS_CONTACT_EMAIL: '" + contactEmail + "' is not an e-mail address");
        }
    }

    private static void url(List<String> problems, String name, String value) {
        if (value != null && !value.matches("https?://[^/\\s?#@]+(/\\S*)?")) {
            problems.add(name + ": '" + value + "' is not an http(s) URL like https://example.com/privacy");
        }
    }
}
