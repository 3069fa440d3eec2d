package dev.alteran.pds.config;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The account's e-mail address and how this server sends mail, named as the reference PDS names its
 * mail settings. Without SMTP nothing is sent: the PLC operation code stays on the console and in
 * the data directory.
 *
 * @param accountAddress {@code PDS_EMAIL}: the owner's address, where codes are sent
 * @param smtpUrl        {@code PDS_EMAIL_SMTP_URL}: {@code smtp://} or {@code smtps://[user:password@]host[:port]} (a secret)
 * @param fromAddress    {@code PDS_EMAIL_FROM_ADDRESS}: the sender
 */
public record EmailConfig(String accountAddress, String smtpUrl, String fromAddress) {
    /** A parsed {@code PDS_EMAIL_SMTP_URL}: {@code tls} is smtps (TLS from the first byte), else smtp with STARTTLS. */
    public record Smtp(boolean tls, String host, int port, String user, String password) {
        public boolean hasCredentials() {
            return user != null;
        }

        @Override
        public String toString() {
            return (tls ? "smtps://" : "smtp://") + host + ":" + port; // never the password
        }
    }

    public static EmailConfig none() {
        return new EmailConfig(null, null, null);
    }

    /** True when mail can be sent: the SMTP URL and the sender are set (the problems say whether they are valid). */
    public boolean isEnabled() {
        return smtpUrl != null && fromAddress != null;
    }

    /** The parsed SMTP URL; only call on a validated config. */
    public Optional<Smtp> smtp() {
        if (smtpUrl == null) return Optional.empty();
        try {
            return Optional.of(parse(smtpUrl));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("PDS_EMAIL_SMTP_URL is not valid: validate the configuration first", e);
        }
    }

    List<String> problems() {
        var problems = new ArrayList<String>();
        if ((smtpUrl == null) != (fromAddress == null)) {
            problems.add("PDS_EMAIL_SMTP_URL and PDS_EMAIL_FROM_ADDRESS: set both to send mail, or neither");
        }
        if (smtpUrl != null) {
            try {
                parse(smtpUrl);
            } catch (IllegalArgumentException e) {
                // The message, never the value: the URL may carry a password.
                problems.add("PDS_EMAIL_SMTP_URL: " + e.getMessage());
            }
            if (accountAddress == null) problems.add("PDS_EMAIL: required when PDS_EMAIL_SMTP_URL is set (the address codes are sent to)");
        }
        address(problems, "PDS_EMAIL", accountAddress);
        address(problems, "PDS_EMAIL_FROM_ADDRESS", fromAddress);
        return problems;
    }

    private static void address(List<String> problems, String name, String value) {
        if (value == null) return;
        try {
            new InternetAddress(value, true).validate();
        } catch (AddressException e) {
            problems.add(name + ": '" + value + "' is not an e-mail address");
        }
    }

    /**
     * {@code smtp://} or {@code smtps://}, an optional {@code user:password@} (percent-encoded, as in
     * any URL), a host and an optional port (default 587 for smtp, 465 for smtps); nothing else.
     */
    static Smtp parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL like smtps://user:password@smtp.example.com:465");
        }
        var scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("smtp") && !scheme.equals("smtps")) {
            throw new IllegalArgumentException("the scheme must be smtp or smtps, like smtps://user:password@smtp.example.com:465");
        }
        if (uri.getHost() == null) throw new IllegalArgumentException("no host name (smtp[s]://[user:password@]host[:port])");
        if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("only smtp[s]://[user:password@]host[:port], without a path or query");
        }
        boolean tls = scheme.equals("smtps");
        String user = null;
        String password = null;
        var info = uri.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("the credentials must be user:password");
            user = percentDecode(info.substring(0, colon));
            password = percentDecode(info.substring(colon + 1));
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : tls ? 465 : 587;
        return new Smtp(tls, uri.getHost(), port, user, password);
    }

    /** Percent escapes only: in a URL's user info a '+' is a plus, not a space. */
    private static String percentDecode(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "EmailConfig[accountAddress=" + accountAddress + ", smtp=" + (smtpUrl == null ? "none" : "set") + ", from=" + fromAddress + "]";
    }
}
